#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: uvdev's asynchronous notifications against an
# eventfd, in the same VM. notif-stress --pingpong passes a key back and
# forth between two threads (one posts key 1 through UVDEV_IOC_NOTIFY, the
# other waits for it through UVDEV_IOC_NOTIF_WAIT and posts key 2 back),
# then does the same over two eventfds (write / blocking read): post-to-wake
# and round-trip p50 and p99 over ROUNDS exchanges. notif-stress --rate
# posts keys with no waiter from one thread: sustained posts per second,
# one post per call and 16 per call. BENCH_ROUNDS (default 3) samples of
# each, interleaved.
# timeout: 1800
# A measurement: no vtop watches it.
# vtop-watch: off
. "$UVDEV_ROOT/tests/perf/perf-guest.sh"
. "$UVDEV_ROOT/tests/perf/bench-guest.sh"

exchanges=2000
posts=20000

load_module
modprobe virtio_blk

# field FILE KEY: KEY's value in notif-stress's output FILE.
field() {
	sed -n "s/^$2=//p" "$1"
}

for round in $(seq 1 "$BENCH_ROUNDS"); do
	step "round $round"
	"$TESTBIN/notif-stress" --keys 2 --pingpong "$exchanges" "pp$round" >pp.txt 2>pp.err ||
		fail "notif-stress --pingpong: $(cat pp.err)"
	for k in uvdev_oneway_p50 uvdev_oneway_p99 uvdev_round_p50 uvdev_round_p99 \
		eventfd_oneway_p50 eventfd_oneway_p99 eventfd_round_p50 eventfd_round_p99; do
		bench_sample "$k" "$(field pp.txt "${k}_ns")" ns
	done
	for batch in 1 16; do
		"$TESTBIN/notif-stress" --keys 64 --batch "$batch" --rate "$posts" "rate$round" \
			>rate.txt 2>rate.err || fail "notif-stress --rate: $(cat rate.err)"
		bench_sample "posts/s batch $batch" "$(field rate.txt rate_posts_per_s)" posts/s
	done
done

step "results"
bench_table_ns "notification" "ns" uvdev_oneway_p50 uvdev_oneway_p99 uvdev_round_p50 \
	uvdev_round_p99
bench_table_ns "eventfd" "ns" eventfd_oneway_p50 eventfd_oneway_p99 eventfd_round_p50 \
	eventfd_round_p99
bench_table_ns "sustained" "posts/s" "posts/s batch 1" "posts/s batch 16"
awk -v u="$(bench_stats uvdev_round_p50 | awk '{ print $3 }')" \
	-v e="$(bench_stats eventfd_round_p50 | awk '{ print $3 }')" \
	'BEGIN { printf "bench: notification/eventfd round trip p50 = %.2f (median ns)\n", u / e }'
unload_module
