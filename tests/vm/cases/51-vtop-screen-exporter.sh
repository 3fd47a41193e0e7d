#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vtop's screen renders a frame with the expected columns on vt100 and
# linux terminals (captured under script(1)); the Prometheus exporter
# serves metrics that promtool accepts, and a destroyed device's series
# disappear.
# timeout: 300
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
fio --name=bg --filename="$dev" --direct=1 --ioengine=libaio --rw=randread \
	--bs=4k --iodepth=8 --time_based --runtime=300 --output=/dev/null &
fio_pid=$!

for term in vt100 linux; do
	step "the screen on TERM=$term"
	TERM=$term script -qfec "vtop 0.5 4" "screen-$term.raw" </dev/null >/dev/null
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

step "the exporter"
ip link set lo up
vtop --exporter 127.0.0.1:9464 -o json 0.5 >exporter.json 2>exporter.err &
vtop_pid=$!
wait_for 60 "vtop to attach" file_has exporter.err '^vtop: attached'

# scrape FILE: GET /metrics into FILE (body only); fails unless 200.
scrape() {
	local status
	exec 3<>/dev/tcp/127.0.0.1/9464 || return 1
	printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
	cat <&3 >"$1.http"
	exec 3<&-
	status=$(head -n 1 "$1.http" | tr -d '\r')
	sed '1,/^\r\{0,1\}$/d' "$1.http" >"$1"
	[ "${status#* }" != "${status#* 200}" ]
}
wait_for 30 "a 200 from /metrics" scrape m1.txt
promtool check metrics <m1.txt || fail "promtool rejects the exposition"
for family in uvdev_queue_kicks_total uvdev_queue_pushes_total uvdev_queue_wait_seconds_bucket \
	uvdev_queue_service_seconds_sum uvdev_queue_irq_latency_seconds_count \
	uvdev_device_messages_total uvdev_queue_state; do
	grep -q "^$family{" m1.txt || fail "no $family series"
done
grep -q 'device="blk0"' m1.txt || fail "no blk0 series"
grep -q 'device="rng0"' m1.txt || fail "no rng0 series"
echo "ok: $(grep -vc '^#' m1.txt) series, promtool clean"

step "a destroyed device's series disappear"
kill -INT "$fio_pid"
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
