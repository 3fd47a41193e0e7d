#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The perf gate's measurement (tests/perf/gate.sh): every metric of
# tests/perf/gate-guest.sh, GATE_REPS times, as variant "gate".
# timeout: 3600
# A measurement: no vtop watches it (its BPF programs would run on every
# event measured, and its output each second would cross 9p to the host).
# vtop-watch: off
. "$UVDEV_ROOT/tests/perf/gate-guest.sh"

gate_setup
gate_measure_blk gate
gate_measure_vtop gate
gate_teardown
