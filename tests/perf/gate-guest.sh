# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The perf gate's guest side, sourced by tests/perf/gate/*.sh, which run in
# the deterministic VM (see perf-guest.sh for what its clock means).
#
# Each measurement prints "perf-sample: VARIANT METRIC VALUE"; gate.sh takes
# the median of the repetitions and compares it with tests/perf/baseline.txt.
#
# Metrics (all guest instructions):
#   blk_qd1_ns_per_req       per 4k O_DIRECT random read, queue depth 1
#   blk_qd32_ns_per_req      the same at queue depth 32
#   blk_qd1_vtop_ns_per_req  queue depth 1 with vtop attached (and the
#                            kernel's BPF statistics on, as for the next)
#   vtop_bpf_ns_per_event    per run of vtop's BPF programs (run_time_ns /
#                            run_cnt of the programs vtop holds, counted by
#                            the kernel with kernel.bpf_stats_enabled, over
#                            exactly the timed reads)
. "$UVDEV_ROOT/tests/perf/perf-guest.sh"

# Fixed request counts (not time-based runs) and pinned settings. A run
# lasts about twenty timer ticks (HZ=250: 4M instructions apart); repeated
# in one boot, runs agree to about 0.02 %.
GATE_REPS=3
GATE_QD1_COUNT=2000
GATE_QD32_COUNT=4000
GATE_WARMUP=250
GATE_IMG=/tmp/gate.img

# gate_setup: the module, a 64 MiB uvdev-blk disk backed by tmpfs with one
# queue of 256, no request merging, no I/O scheduler; sets gate_dev and
# gate_backend, and runs every workload once untimed.
gate_setup() {
	load_module "$@"
	modprobe virtio_blk
	# Written, so every block is a page of tmpfs and none a hole. The
	# bytes do not matter: a copy costs the same instructions whatever
	# they are (and zeroes are written much faster than random bytes).
	dd if=/dev/zero of="$GATE_IMG" bs=1M count=64 status=none
	uvdev_blk_disk blk0 "$GATE_IMG"
	gate_dev=$disk_dev
	gate_backend=$disk_backend
	# Warm up: binaries in the page cache, every block read once.
	gate_reqs 1 "$GATE_QD1_COUNT" >/dev/null
	gate_reqs 32 "$GATE_QD32_COUNT" >/dev/null
}

gate_teardown() {
	stop_backend "$gate_backend"
	unload_module
}

# gate_reqs QD COUNT: blk-reqs on the gate's disk; prints ns per request.
gate_reqs() {
	blk_reqs "$gate_dev" "$1" "$2" "$GATE_WARMUP"
}

sample() {
	echo "perf-sample: $1 $2 $3"
}

# gate_measure_blk VARIANT: GATE_REPS samples of blk_qd1_ns_per_req and
# blk_qd32_ns_per_req, interleaved.
gate_measure_blk() {
	local variant=$1 v
	step "$variant: block requests, $GATE_REPS repetitions, queue depth 1 and 32 interleaved"
	for _ in $(seq 1 "$GATE_REPS"); do
		v=$(gate_reqs 1 "$GATE_QD1_COUNT")
		sample "$variant" blk_qd1_ns_per_req "$v"
		v=$(gate_reqs 32 "$GATE_QD32_COUNT")
		sample "$variant" blk_qd32_ns_per_req "$v"
	done
}

# gate_measure_vtop VARIANT [VTOP_ARGS...]: GATE_REPS samples of
# blk_qd1_vtop_ns_per_req and vtop_bpf_ns_per_event; VTOP_ARGS go to vtop.
gate_measure_vtop() {
	local variant=$1 out per_req per_run runs vtop_pid
	shift
	step "$variant: with vtop attached ($*)"
	# A long interval: vtop stays attached and quiet; it is stopped below.
	vtop -o json "$@" 3600 >"vtop-$variant.json" 2>"vtop-$variant.err" &
	vtop_pid=$!
	wait_for 600 "vtop to attach" file_has "vtop-$variant.err" '^vtop: attached'
	gate_reqs 1 "$GATE_WARMUP" >/dev/null	# vtop's maps get their entries
	for _ in $(seq 1 "$GATE_REPS"); do
		out=$(bpf_cost "$vtop_pid" "$gate_dev" "$GATE_QD1_COUNT" "$GATE_WARMUP")
		read -r per_req per_run runs <<<"$out"
		sample "$variant" blk_qd1_vtop_ns_per_req "$per_req"
		sample "$variant" vtop_bpf_ns_per_event "$per_run"
		echo "info: $variant: $runs BPF runs for $((GATE_QD1_COUNT + GATE_WARMUP)) requests"
	done
	kill -INT "$vtop_pid"
	wait "$vtop_pid" || fail "vtop exited with $?: $(cat "vtop-$variant.err")"
}
