#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vtop's screen renders a frame with the expected columns on vt100 and
# linux terminals (captured under script(1)); vtop --once measures its own
# BPF cost, --no-cost leaves the BPF statistics alone, and statistics
# another tool turned on stay on; the Prometheus exporter listens on
# loopback only by default, answers a scrape within 2 s while 16 idle
# connections are open, names /metrics on /, serves metrics that promtool
# accepts, and a destroyed device's series disappear.
# timeout: 420
. "$UVDEV_ROOT/tests/vm/lib.sh"

load_module
modprobe virtio_blk
modprobe virtio-rng
truncate -s 64M /tmp/disk.img
uvdev-blk blk0 /tmp/disk.img 2>blk.err &
blk=$!
uvdev-rng rng0 2>rng.err &
rng=$!
dev=$(wait_block blk0)
# reads_past N: blk0 has completed more than N reads.
reads_past() {
	awk -v n="$1" '{ exit !($1 > n) }' "/sys/block/${dev#/dev/}/stat"
}
reads=$(awk '{ print $1 }' "/sys/block/${dev#/dev/}/stat")
# A light load (200 reads/s): vtop turning the BPF statistics on and off
# patches kernel code on every CPU, and under TCG a vCPU running the patched
# jump in a tight loop has locked up (soft lockup in bpf_trace_run2 while
# uvdev-blk pushed at full speed). Only this case measures vtop's cost; the
# others run vtop with --no-cost.
fio --name=bg --filename="$dev" --direct=1 --ioengine=libaio --rw=randread \
	--bs=4k --iodepth=8 --rate_iops=200 --time_based --runtime=420 --output=/dev/null &
fio_pid=$!
# The screen shows a queue once it sees I/O on it: fio must be reading.
wait_for 60 "fio to read" reads_past $((reads + 64))

for term in vt100 linux; do
	step "the screen on TERM=$term"
	TERM=$term script -qfec "vtop --no-cost 0.5 4" "screen-$term.raw" </dev/null >/dev/null
	# Drop the escape sequences; keep the text the terminal would show.
	sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[()][0-9A-Za-z]//g; s/\x1b[=>]//g' \
		"screen-$term.raw" | tr -d '\r\017\016' >"screen-$term.txt"
	cp "screen-$term.txt" "$UVDEV_RESULTS/51-screen-$term.txt"
	for col in DEVICE KICK/s IRQ/s INFL WAIT50 WAIT99 SVC50 SVC99 IRQ99 'ZC%' STATE; do
		grep -qF -- "$col" "screen-$term.txt" || fail "no $col column on the $term screen"
	done
	grep -q 'blk0' "screen-$term.txt" || fail "no blk0 row on the $term screen"
	grep -q 'rng0' "screen-$term.txt" || fail "no rng0 row on the $term screen"
	# ncurses may move the cursor instead of writing blanks: no space after q0.
	grep -q 'q0' "screen-$term.txt" || fail "no queue row on the $term screen"
	echo "ok: a frame with every column, both devices and their queues"
done
grep -E 'blk0|DEVICE' screen-vt100.txt | tail -n 3

step "vtop's own BPF cost"
stats=/proc/sys/kernel/bpf_stats_enabled
expect_eq "$stats before" 0 "$(cat "$stats")"
# cost_run OUT ARGS...: vtop --once -o json 1 ARGS into OUT; prints the cost state.
cost_run() {
	local out=$1
	shift
	vtop --once -o json "$@" 1 >"$out" 2>"$out.err" || fail "vtop $* exited with $?: $(cat "$out.err")"
	json_field "$(cat "$out")" cost | tr -d '"'
}
state=$(cost_run cost.json)
[ "$state" = measured ] || fail "no cost figure with --once under fio: $(grep -o '"cost_note":"[^"]*"' cost.json)"
ns=$(json_field "$(cat cost.json)" ns_per_event)
awk -v ns="$ns" 'BEGIN { exit !(ns > 0) }' || fail "ns_per_event is '$ns'"
expect_eq "stats_on_elsewhere" false "$(json_field "$(cat cost.json)" stats_on_elsewhere)"
expect_eq "$stats after vtop" 0 "$(cat "$stats")"
echo "ok: --once measured ${ns} ns per event"

# --no-cost: the events ran, and nothing counted them.
expect_eq "cost with --no-cost" off "$(cost_run nocost.json --no-cost)"
expect_eq "ns_per_event with --no-cost" null "$(json_field "$(cat nocost.json)" ns_per_event)"
expect_eq "$stats after --no-cost" 0 "$(cat "$stats")"

# Another tool turned the statistics on: a measuring vtop leaves them on
# (the exporter's vtop below, with --no-cost, still measures through them).
echo 1 >"$stats"
trap 'echo 0 >"$stats"' EXIT
expect_eq "cost, stats on elsewhere" measured "$(cost_run other.json)"
expect_eq "stats_on_elsewhere" true "$(json_field "$(cat other.json)" stats_on_elsewhere)"
expect_eq "$stats after vtop" 1 "$(cat "$stats")"

step "the exporter"
ip link set lo up
port=9464
vtop --exporter $port --no-cost -o json 0.5 >exporter.json 2>exporter.err &
vtop_pid=$!
wait_for 60 "vtop to attach" file_has exporter.err '^vtop: attached'

# http PATH FILE: GET PATH into FILE (the head in FILE.head); fails unless
# 200. The time it took, measured by http-get itself, is in FILE.ms.
http() {
	local out
	out=$("$TESTBIN/http-get" "$port" "$1" "$2") || return 1
	echo "${out##*ms=}" >"$2.ms"
}
scrape() {
	http /metrics "$1"
}
# scrape_has FILE PATTERN: a scrape into FILE has a line matching PATTERN.
scrape_has() {
	scrape "$1" && file_has "$1" "$2"
}
wait_for 30 "a 200 from /metrics" scrape m1.txt

# Loopback only: a listening socket on 127.0.0.1:9464 (hex 24F8), none on
# any other IPv4 or IPv6 address.
listeners=$(awk 'NR > 1 && $4 == "0A" && $2 ~ /:24F8$/ { print FILENAME, $2 }' \
	/proc/net/tcp /proc/net/tcp6)
expect_eq "listening sockets on port $port" "/proc/net/tcp 0100007F:24F8" "$listeners"

# --no-cost, and the statistics another tool turned on are still on.
wait_for 60 "the exporter's cost figure" scrape_has m1.txt '^vtop_bpf_seconds_per_event [0-9]'
echo 0 >"$stats"
promtool check metrics <m1.txt || fail "promtool rejects the exposition"
for family in uvdev_queue_kicks_total uvdev_queue_pushes_total uvdev_queue_wait_seconds_bucket \
	uvdev_queue_service_seconds_sum uvdev_queue_irq_latency_seconds_count \
	uvdev_device_messages_total uvdev_queue_state; do
	grep -q "^$family{" m1.txt || fail "no $family series"
done
grep -q 'device="blk0"' m1.txt || fail "no blk0 series"
grep -q 'device="rng0"' m1.txt || fail "no rng0 series"
grep -Eq '^vtop_build_info\{version="[^"]+"\} 1$' m1.txt || fail "no vtop_build_info"
grep -Eq '^vtop_attach_mode\{mode="(tp_btf|raw_tp)"\} 1$' m1.txt || fail "no vtop_attach_mode"
# The last sample is at most a few intervals older than the answer (its
# Date header; the checks since may have taken long on a loaded host).
last=$(sed -n 's/^vtop_last_sample_timestamp_seconds //p' m1.txt)
served=$(date -d "$(sed -n 's/^Date: //ip' m1.txt.head | tr -d '\r')" +%s) ||
	fail "no Date header: $(cat m1.txt.head)"
awk -v t="$last" -v served="$served" 'BEGIN { exit !(t > served - 30 && t <= served + 1) }' ||
	fail "vtop_last_sample_timestamp_seconds is '$last', the answer is from $served"
if grep -Eq 'le="0\.0000000|le="0\.000000[1-9]' m1.txt; then
	fail "sub-microsecond buckets: $(grep -m 1 -E 'le="0\.000000' m1.txt)"
fi
echo "ok: $(grep -vc '^#' m1.txt) series, promtool clean"

http / index.html || fail "/ does not answer 200"
grep -q '/metrics' index.html || fail "/ does not name /metrics: $(cat index.html)"
if http /nope nope.txt; then
	fail "/nope answers 200"
fi
grep -q '^HTTP/1.. 404 ' nope.txt.head || fail "/nope: $(sed -n 1p nope.txt.head)"
echo "ok: / names /metrics, /nope is a 404"

# Idle clients hold their own connections only: 16 silent or half-sent
# requests, then scrapes, one at a time and 8 at once.
idle=()
for i in $(seq 1 16); do
	exec {fd}<>/dev/tcp/127.0.0.1/$port || fail "idle connection $i refused"
	idle+=("$fd")
	if [ $((i % 2)) -eq 0 ]; then
		printf 'GET /metrics HTTP/1.1\r\nHo' >&"$fd"
	fi
done
for i in 1 2 3; do
	scrape "busy$i.txt" || fail "scrape $i with 16 idle connections failed"
	ms=$(cat "busy$i.txt.ms")
	[ "$ms" -lt 2000 ] || fail "scrape $i took ${ms} ms with 16 idle connections"
	echo "ok: scrape $i in ${ms} ms with 16 idle connections"
done
promtool check metrics <busy1.txt || fail "promtool rejects the scrape made beside idle clients"
pids=()
for i in $(seq 1 8); do
	scrape "par$i.txt" &
	pids+=($!)
done
for i in $(seq 1 8); do
	wait "${pids[$((i - 1))]}" || fail "parallel scrape $i failed"
	grep -q '^uvdev_queue_pushes_total{' "par$i.txt" || fail "parallel scrape $i has no series"
done
echo "ok: 8 parallel scrapes beside 16 idle connections"
for fd in "${idle[@]}"; do
	exec {fd}>&-
done

step "a destroyed device's series disappear"
kill -INT "$fio_pid" 2>/dev/null || true	# done already on a slow host
wait "$fio_pid" || true
stop_backend "$blk"
lines=$(wc -l <exporter.json)
wait_for 10 "two more vtop samples" bash -c "[ \$(wc -l <exporter.json) -ge $((lines + 2)) ]"
scrape m2.txt || fail "the second scrape failed"
if grep -q 'device="blk0"' m2.txt; then
	fail "blk0 series remain after destroy: $(grep -m 3 'device="blk0"' m2.txt)"
fi
grep -q 'device="rng0"' m2.txt || fail "rng0 series went too"
echo "ok: blk0 gone, rng0 still there"
kill -INT "$vtop_pid"
wait "$vtop_pid" || fail "vtop exited with $?"

stop_backend "$rng"
unload_module
