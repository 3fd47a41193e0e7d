#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: what watching uvdev costs. 4k O_DIRECT random
# reads on uvdev-blk (file on tmpfs) at queue depth 1 and 32 with nothing
# attached, with vtop (-o json, 1 s interval) and with bpftrace running the
# same per-queue aggregation on the tracepoints (tests/perf/uvdev-queues.bt),
# in interleaved rounds (none vtop bpftrace, none vtop bpftrace, ...),
# BENCH_ROUNDS (default 3) samples each. Then, per tracer, its BPF cost per
# event: run_time_ns / run_cnt of the programs it holds over a timed run at
# queue depth 1, counted by the kernel with kernel.bpf_stats_enabled (for
# vtop this is what its own header reports, measured over exactly the run).
#
# bpftrace's counts are checked against the requests issued while it ran:
# one push per read.
# timeout: 3600
# A measurement: no vtop watches it (its BPF programs would run on every
# event measured, and its output each second would cross 9p to the host).
# vtop-watch: off
. "$UVDEV_ROOT/tests/perf/perf-guest.sh"
. "$UVDEV_ROOT/tests/perf/bench-guest.sh"

load_module
modprobe virtio_blk
dd if=/dev/urandom of="$img" bs=1M count=64 status=none
uvdev_blk_disk blk0 "$img"
dev=$disk_dev

step "warm-up"
blk_reqs "$dev" 1 "$qd1_count" "$warmup" >/dev/null
blk_reqs "$dev" 32 "$qd32_count" "$warmup" >/dev/null

# start_tracer NAME: attach the tracer and wait until it is; sets tracer_pid.
start_tracer() {
	tracer_pid=
	case "$1" in
	none) ;;
	vtop)
		vtop -o json 1 >vtop.json 2>vtop.err &
		tracer_pid=$!
		wait_for 600 "vtop to attach" file_has vtop.err '^vtop: attached'
		;;
	bpftrace)
		bpftrace -B line "$UVDEV_ROOT/tests/perf/uvdev-queues.bt" >bt.out 2>bt.err &
		tracer_pid=$!
		wait_for 600 "bpftrace to attach" file_has bt.out '^ready$'
		;;
	esac
}

# stop_tracer NAME ISSUED: SIGINT the tracer; bpftrace must have counted
# ISSUED pushes.
stop_tracer() {
	local pushes
	[ -n "$tracer_pid" ] || return 0
	kill -INT "$tracer_pid"
	wait "$tracer_pid" || fail "$1 exited with $?"
	if [ "$1" = bpftrace ]; then
		pushes=$(awk -F': ' '/^@pushes\[/ { n += $2 } END { print n + 0 }' bt.out)
		[ "$pushes" -eq "$2" ] || fail "bpftrace counted $pushes pushes for $2 reads"
		echo "ok: bpftrace counted $pushes pushes for $2 reads"
	fi
}

tracers=(none vtop bpftrace)
for round in $(seq 1 "$BENCH_ROUNDS"); do
	for t in "${tracers[@]}"; do
		step "round $round: $t"
		start_tracer "$t"
		issued=0
		for qd in 1 32; do
			count=$qd1_count
			[ "$qd" -eq 1 ] || count=$qd32_count
			ns=$(blk_reqs "$dev" "$qd" "$count" "$warmup")
			issued=$((issued + count + warmup))
			bench_sample "$t qd=$qd" "$ns"
		done
		if [ "$t" != none ]; then
			out=$(bpf_cost "$tracer_pid" "$dev" "$qd1_count" "$warmup")
			issued=$((issued + qd1_count + warmup))
			read -r _ per_run runs <<<"$out"
			echo "info: $t: $runs BPF runs for $((qd1_count + warmup)) reads"
			bench_sample "$t" "$per_run"
		fi
		stop_tracer "$t" "$issued"
	done
done

step "results"
bench_table "tracer qd" "${tracers[@]/%/ qd=1}" "${tracers[@]/%/ qd=32}"
for qd in 1 32; do
	bench_ratio "vtop/none qd=$qd" "vtop qd=$qd" "none qd=$qd"
	bench_ratio "bpftrace/none qd=$qd" "bpftrace qd=$qd" "none qd=$qd"
done
bench_table_ns "BPF cost per event" "guest ns" vtop bpftrace
stop_backend "$disk_backend"
unload_module
