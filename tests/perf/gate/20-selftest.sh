#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The perf gate's selftest (tests/perf/gate.sh): the same measurement with
# deliberate extra work, once in the driver's push path
# (uvdev.debug_push_delay_loops: every metric) and once in vtop's BPF
# programs (vtop --debug-bpf-loops: the metrics with vtop attached). gate.sh sizes both from the baseline and writes them
# to $UVDEV_BUILD/perf/knobs as "NAME VALUE" lines.
# timeout: 3600
# A measurement: no vtop watches it (its BPF programs would run on every
# event measured, and its output each second would cross 9p to the host).
# vtop-watch: off
. "$UVDEV_ROOT/tests/perf/gate-guest.sh"

knobs=$UVDEV_BUILD/perf/knobs
knob() {
	local v
	v=$(awk -v k="$1" '$1 == k { print $2 }' "$knobs")
	[[ "$v" =~ ^[1-9][0-9]*$ ]] || fail "$knobs has no positive $1 (run tests/perf/gate.sh)"
	echo "$v"
}
push_loops=$(knob push_delay_loops)
bpf_loops=$(knob bpf_loops)
param=/sys/module/uvdev/parameters/debug_push_delay_loops

# One repetition each: repeated runs in a boot agree to about 0.02 %, far
# inside any tolerance, and the selftest only needs the verdicts.
GATE_REPS=1
gate_setup
echo "$push_loops" >"$param"
expect_eq "uvdev.debug_push_delay_loops" "$push_loops" "$(cat "$param")"
gate_measure_blk push-delay
gate_measure_vtop push-delay
echo 0 >"$param"
gate_measure_vtop bpf-loops --debug-bpf-loops "$bpf_loops"
gate_teardown
