#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: where the guest instructions of one 4k O_DIRECT
# read through uvdev-blk (file on tmpfs, queue depth 1) go. The driver
# times three spans itself and its tracepoints carry them: wait (kick to
# pop: the backend's wake-up, its eventfd read and the pop ioctl's entry),
# service (pop to push: the pop's return, the backend reading the file, the
# transfer and the push ioctl's entry) and interrupt (inject to deliver:
# virtio_blk's callback, the block layer's completion, the client's
# wake-up). Each span is summed by bpftrace in a run of its own with one
# probe, on the tracepoint that closes the span, so no probe runs inside
# it. The rest of the untraced instructions per request is the client's
# submission and reaping, the push's return, the backend's empty pop and
# its sleep, and the context switches. Interleaved rounds (untraced, wait,
# service, interrupt), BENCH_ROUNDS (default 3); spans are medians.
# timeout: 3600
# A measurement: no vtop watches it.
# vtop-watch: off
. "$UVDEV_ROOT/tests/perf/perf-guest.sh"
. "$UVDEV_ROOT/tests/perf/bench-guest.sh"

declare -A probe=(
	[wait]='tracepoint:uvdev:uvdev_vq_pop /!args->resubmitted/ { @ns = sum(args->wait_ns); @n = count(); }'
	[service]='tracepoint:uvdev:uvdev_vq_push { @ns = sum(args->service_ns); @n = count(); }'
	[interrupt]='tracepoint:uvdev:uvdev_irq_deliver { @ns = sum(args->latency_ns); @n = count(); }'
)
spans=(wait service interrupt)

load_module
modprobe virtio_blk
dd if=/dev/urandom of="$img" bs=1M count=64 status=none
uvdev_blk_disk blk0 "$img"
dev=$disk_dev
blk_reqs "$dev" 1 "$qd1_count" "$warmup" >/dev/null

# span NAME: run the reads with NAME's probe attached; one sample of the
# span's mean ns, which must have been seen once per read.
span() {
	local out=span-$1.out ns n
	bpftrace -B line -e "BEGIN { printf(\"ready\\n\"); } ${probe[$1]}" >"$out" 2>"$out.err" &
	bt=$!
	wait_for 600 "bpftrace to attach" file_has "$out" '^ready$'
	blk_reqs "$dev" 1 "$qd1_count" "$warmup" >/dev/null
	stop_bpftrace "$bt"
	ns=$(awk '/^@ns: / { print $2 }' "$out")
	n=$(awk '/^@n: / { print $2 }' "$out")
	[ "${n:-0}" -eq $((qd1_count + warmup)) ] || fail "$1: $n spans for $((qd1_count + warmup)) reads"
	bench_sample "$1" $((ns / n))
}

for round in $(seq 1 "$BENCH_ROUNDS"); do
	step "round $round"
	bench_sample total "$(blk_reqs "$dev" 1 "$qd1_count" "$warmup")"
	for s in "${spans[@]}"; do
		span "$s"
	done
done

step "results"
bench_table "request steps" total "${spans[@]}"
total=$(bench_stats total | awk '{ print $3 }')
rest=$total
printf 'bench: %-34s %10s %8s\n' "step (QD1, median)" "instr" "share"
for s in "${spans[@]}"; do
	v=$(bench_stats "$s" | awk '{ print $3 }')
	rest=$(awk -v r="$rest" -v v="$v" 'BEGIN { print r - v }')
	awk -v s="$s" -v v="$v" -v t="$total" 'BEGIN { printf "bench: %-34s %10.0f %7.1f%%\n", s, v, 100 * v / t }'
done
awk -v r="$rest" -v t="$total" 'BEGIN {
	printf "bench: %-34s %10.0f %7.1f%%\n", "rest (client, push return, sleep)", r, 100 * r / t
	printf "bench: %-34s %10.0f\n", "total per request", t }'
stop_backend "$disk_backend"
unload_module
