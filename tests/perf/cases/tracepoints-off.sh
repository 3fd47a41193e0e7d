#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: what uvdev's tracepoints cost when nothing is
# attached to them. 4k O_DIRECT random reads on uvdev-blk (file on tmpfs) at
# queue depth 1 and 32 with the module as built (tracepoints compiled in,
# none enabled) and with the same sources built with the tracepoints
# compiled out (make's build/modules/notrace/uvdev.ko, -DNOTRACE), in
# interleaved rounds (in out, in out, ...), BENCH_ROUNDS (default 3) samples
# each. Each round loads its module afresh.
# timeout: 3600
# A measurement: no vtop watches it (and none could attach to the build
# without tracepoints).
# vtop-watch: off
. "$UVDEV_ROOT/tests/perf/perf-guest.sh"
. "$UVDEV_ROOT/tests/perf/bench-guest.sh"
traced=$MODULE
notrace=$UVDEV_BUILD/modules/notrace/uvdev.ko
[ -f "$notrace" ] || fail "no $notrace: 'make bench' builds it"

modprobe virtio_blk
dd if=/dev/urandom of="$img" bs=1M count=64 status=none
# The build is right: one module has the tracepoints, the other none.
for m in "$traced" "$notrace"; do
	MODULE=$m load_module
	n=0
	for e in /sys/kernel/tracing/events/uvdev/uvdev_*; do
		[ -d "$e" ] && n=$((n + 1))
	done
	echo "$m: $n uvdev tracepoints"
	if [ "$m" = "$traced" ]; then
		[ "$n" -gt 0 ] || fail "the module as built has no tracepoints"
	else
		[ "$n" -eq 0 ] || fail "the notrace module has $n tracepoints"
	fi
	unload_module
done

for round in $(seq 1 "$BENCH_ROUNDS"); do
	for variant in in out; do
		step "round $round: tracepoints compiled $variant"
		m=$traced
		[ "$variant" = in ] || m=$notrace
		MODULE=$m load_module
		uvdev_blk_disk blk0 "$img"
		for qd in 1 32; do
			count=$qd1_count
			[ "$qd" -eq 1 ] || count=$qd32_count
			bench_sample "compiled $variant qd=$qd" \
				"$(blk_reqs "$disk_dev" "$qd" "$count" "$warmup")"
		done
		stop_backend "$disk_backend"
		unload_module
	done
done

step "results"
bench_table "tracepoints qd" "compiled in qd=1" "compiled out qd=1" \
	"compiled in qd=32" "compiled out qd=32"
for qd in 1 32; do
	bench_ratio "in (not enabled)/out qd=$qd" "compiled in qd=$qd" "compiled out qd=$qd"
done
