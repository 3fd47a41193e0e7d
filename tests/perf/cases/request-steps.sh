#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: where the guest instructions of one 4k O_DIRECT
# read through uvdev-blk (file on tmpfs, queue depth 1) go, step by step:
# block layer issue, kick, the backend's wake-up, eventfd read, pop, file
# read, transfer, push, interrupt injection and delivery, completion, the
# backend's empty pop and sleep, the client's reaping and next submission.
# tests/perf/uvdev-steps.bt times the interval between consecutive
# milestones; every interval then also holds one probe's cost, estimated as
# (traced - untraced ns per request) / probes per request and subtracted.
# Interleaved rounds (untraced, traced), BENCH_ROUNDS (default 3); the step
# table sums the traced rounds.
# timeout: 3600
# A measurement: no vtop watches it.
# vtop-watch: off
. "$UVDEV_ROOT/tests/perf/perf-guest.sh"
. "$UVDEV_ROOT/tests/perf/bench-guest.sh"

img=/tmp/bench.img
count=2000
warmup=200

load_module
modprobe virtio_blk
dd if=/dev/urandom of="$img" bs=1M count=64 status=none
uvdev_blk_disk blk0 "$img"
dev=$disk_dev
blk_reqs "$dev" 1 "$count" "$warmup" >/dev/null

: >steps.all
for round in $(seq 1 "$BENCH_ROUNDS"); do
	step "round $round: untraced"
	bench_sample untraced "$(blk_reqs "$dev" 1 "$count" "$warmup")"
	step "round $round: traced"
	bpftrace -B line "$UVDEV_ROOT/tests/perf/uvdev-steps.bt" >"steps-$round.out" 2>"steps-$round.err" &
	bt=$!
	wait_for 600 "bpftrace to attach" file_has "steps-$round.out" '^ready$'
	bench_sample traced "$(blk_reqs "$dev" 1 "$count" "$warmup")"
	kill -INT "$bt"
	wait "$bt" || fail "bpftrace exited with $?: $(cat "steps-$round.err")"
	cat "steps-$round.out" >>steps.all
done

step "results"
bench_table "request steps" untraced traced
untraced=$(bench_stats untraced | awk '{ print $3 }')
traced=$(bench_stats traced | awk '{ print $3 }')
reqs=$((BENCH_ROUNDS * (count + warmup)))
# Lines "@ns[FROM, TO]: SUM" and "@n[FROM, TO]: COUNT"; FROM is empty for
# the first milestone of a run, which closes no interval.
awk -v reqs="$reqs" -v untraced="$untraced" -v traced="$traced" '
	/^@(ns|n)\[/ {
		map = substr($0, 2, index($0, "[") - 2)
		key = substr($0, index($0, "[") + 1)
		key = substr(key, 1, index(key, "]:") - 1)
		val = $NF
		split(key, ft, ", ")
		if (ft[1] == "") next
		k = ft[1] " -> " ft[2]
		if (map == "ns") ns[k] += val; else n[k] += val
		if (map == "n") probes += val
	}
	END {
		if (!probes) { print "request-steps: no intervals traced"; exit 1 }
		per_req = probes / reqs
		probe = (traced - untraced) / per_req
		printf "bench: %.1f probes per request; each costs about %.0f ns (%.0f traced - %.0f untraced ns per request)\n",
			per_req, probe, traced, untraced
		printf "bench: %-34s %10s %12s %12s\n", "step (interval between milestones)", "per req", "ns each", "ns per req"
		for (k in n) {
			each = ns[k] / n[k] - probe
			rate = n[k] / reqs
			if (rate < 0.01) continue
			# Most expensive first: sort reads the key before the tab.
			printf "%.0f\tbench: %-34s %10.2f %12.0f %12.0f\n", each * rate, k, rate,
				each, each * rate | "sort -rn | cut -f 2-"
			total += each * rate
		}
		close("sort -rn | cut -f 2-")
		printf "bench: %-34s %10s %12s %12.0f (untraced: %.0f)\n", "sum", "", "", total, untraced
	}' steps.all || fail "no step table"
stop_backend "$disk_backend"
unload_module
