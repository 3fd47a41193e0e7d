# SPDX-License-Identifier: GPL-2.0
#
# The perf gate's guest side, sourced by tests/perf/gate/*.sh, which run in
# the deterministic VM (tests/vm/run.sh --deterministic: -icount shift=0,
# sleep=off, one CPU). There one guest nanosecond is one guest instruction
# while the CPU is busy; an idle CPU makes the clock jump to the next timer,
# so every timed window here keeps the CPU busy (the disk is on tmpfs) and
# nothing in it waits for the host.
#
# Each measurement prints "perf-sample: VARIANT METRIC VALUE"; gate.sh takes
# the median of the repetitions and compares it with tests/perf/baseline.txt.
#
# Metrics (all guest instructions):
#   blk_qd1_ns_per_req       per 4k O_DIRECT random read, queue depth 1
#   blk_qd32_ns_per_req      the same at queue depth 32
#   blk_qd1_vtop_ns_per_req  queue depth 1 with vtop attached
#   vtop_bpf_ns_per_event    per run of vtop's BPF programs (run_time_ns /
#                            run_cnt of the programs vtop holds, counted by
#                            the kernel with kernel.bpf_stats_enabled, over
#                            exactly the timed reads)
. "$UVDEV_ROOT/tests/vm/lib.sh"

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
	uvdev-blk --queues 1 --queue-size 256 blk0 "$GATE_IMG" 2>blk.err &
	gate_backend=$!
	gate_dev=$(wait_block blk0)
	local q=/sys/block/${gate_dev#/dev/}/queue
	echo 2 >"$q/nomerges"
	echo none >"$q/scheduler"
	[[ "$(cat "$q/scheduler")" == *"[none]"* ]] || fail "the I/O scheduler is not none: $(cat "$q/scheduler")"
	# Warm up: binaries in the page cache, every block read once.
	gate_reqs 1 "$GATE_QD1_COUNT" >/dev/null
	gate_reqs 32 "$GATE_QD32_COUNT" >/dev/null
}

gate_teardown() {
	stop_backend "$gate_backend"
	unload_module
}

# gate_reqs QD COUNT: run blk-reqs on the disk, print its ns per request.
gate_reqs() {
	local out
	out=$("$TESTBIN/blk-reqs" --qd "$1" --count "$2" --warmup "$GATE_WARMUP" "$gate_dev") ||
		fail "blk-reqs --qd $1 --count $2 failed"
	echo "$out" >&2
	out=${out##*ns_per_req=}
	[[ "$out" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "blk-reqs printed no ns_per_req"
	echo "$out"
}

sample() {
	echo "perf-sample: $1 $2 $3"
}

# bpf_totals PID: "run_time_ns run_cnt" summed over the BPF programs PID
# holds (their fdinfo; kernel.bpf_stats_enabled must be 1).
bpf_totals() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null |
		awk '/^run_time_ns:/ { ns += $2; progs++ } /^run_cnt:/ { cnt += $2 }
		     END { if (progs) print ns, cnt }'
}

# gate_measure_blk VARIANT: GATE_REPS samples of blk_qd1_ns_per_req and
# blk_qd32_ns_per_req, interleaved.
gate_measure_blk() {
	local variant=$1 rep
	step "$variant: block requests, $GATE_REPS repetitions, queue depth 1 and 32 interleaved"
	for rep in $(seq 1 "$GATE_REPS"); do
		sample "$variant" blk_qd1_ns_per_req "$(gate_reqs 1 "$GATE_QD1_COUNT")"
		sample "$variant" blk_qd32_ns_per_req "$(gate_reqs 32 "$GATE_QD32_COUNT")"
	done
}

# gate_measure_vtop VARIANT [VTOP_ARGS...]: GATE_REPS samples of
# blk_qd1_vtop_ns_per_req and vtop_bpf_ns_per_event; VTOP_ARGS go to vtop.
gate_measure_vtop() {
	local variant=$1 rep before after ns cnt reqs vtop_pid
	shift
	step "$variant: with vtop attached ($*)"
	sysctl -q -w kernel.bpf_stats_enabled=1
	# A long interval: vtop stays attached and quiet; it is stopped below.
	vtop -o json "$@" 3600 >"vtop-$variant.json" 2>"vtop-$variant.err" &
	vtop_pid=$!
	wait_for 600 "vtop to attach" file_has "vtop-$variant.err" '^vtop: attached'
	gate_reqs 1 "$GATE_WARMUP" >/dev/null	# vtop's maps get their entries
	reqs=$((GATE_QD1_COUNT + GATE_WARMUP))
	for rep in $(seq 1 "$GATE_REPS"); do
		before=$(bpf_totals "$vtop_pid")
		[ -n "$before" ] || fail "no BPF program fds in vtop's /proc/$vtop_pid/fdinfo"
		sample "$variant" blk_qd1_vtop_ns_per_req "$(gate_reqs 1 "$GATE_QD1_COUNT")"
		after=$(bpf_totals "$vtop_pid")
		read -r ns cnt < <(awk -v b="$before" -v a="$after" 'BEGIN {
			split(b, x, " "); split(a, y, " "); print y[1] - x[1], y[2] - x[2] }')
		# Each request is at least a pop and a push: vtop saw these reads.
		[ "$cnt" -ge $((2 * reqs)) ] ||
			fail "vtop's programs ran $cnt times for $reqs requests (stats off?)"
		sample "$variant" vtop_bpf_ns_per_event "$(awk -v n="$ns" -v c="$cnt" \
			'BEGIN { printf "%.2f", n / c }')"
		echo "info: $variant: $cnt BPF runs for $reqs requests"
	done
	kill -INT "$vtop_pid"
	wait "$vtop_pid" || fail "vtop exited with $?: $(cat "vtop-$variant.err")"
	sysctl -q -w kernel.bpf_stats_enabled=0
}
