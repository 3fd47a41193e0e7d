#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: 4k O_DIRECT random reads at queue depth 1 and 32
# on one file served four ways at once, read-only: uvdev-blk (reading the
# file through its mapping, the default), uvdev-blk --file-map never
# (pread(2) into a buffer, then XFER), the kernel's loop device and NBD
# (nbd-server over loopback TCP). The file is on tmpfs,
# so every peer reads it through the page cache (tmpfs has no O_DIRECT);
# loop on tmpfs never leaves the kernel, which makes it the hardest
# reference. The client is blk-reqs (fixed request counts through Linux
# AIO, as fio's libaio engine; timed in guest ns).
#
# Points are measured in interleaved rounds (uvdev-blk uvdev-blk-pread
# loop nbd, uvdev-blk ...), BENCH_ROUNDS (default 3) samples each; the table gives
# min, median and max. IOPS are per second of guest time in the
# deterministic VM: 10^9 guest instructions (see the README).
# timeout: 3600
# A measurement: no vtop watches it (its BPF programs would run on every
# event measured, and its output each second would cross 9p to the host).
# vtop-watch: off
. "$UVDEV_ROOT/tests/perf/perf-guest.sh"
. "$UVDEV_ROOT/tests/perf/bench-guest.sh"

load_module
modprobe virtio_blk
modprobe loop
modprobe nbd nbds_max=1
# Random bytes, so no peer can take a short cut on zeroes.
dd if=/dev/urandom of="$img" bs=1M count=64 status=none

step "uvdev-blk, reading through the file's mapping and with pread"
uvdev_blk_disk blk0 "$img" --read-only
declare -A dev=([uvdev-blk]=$disk_dev)
blk0_backend=$disk_backend
uvdev_blk_disk blk1 "$img" --read-only --file-map never
dev[uvdev-blk-pread]=$disk_dev

step "loop"
dev[loop]=$(losetup --find --show --read-only "$img")
pin_queue "${dev[loop]}"

step "NBD (nbd-server on 127.0.0.1)"
ip link set lo up
cat >nbd.conf <<CONF
[generic]
	port = 10809
	listenaddr = 127.0.0.1
[bench]
	exportname = $img
	readonly = true
CONF
nbd-server -C "$PWD/nbd.conf" -p "$PWD/nbd.pid"
nbd-client -N bench 127.0.0.1 10809 /dev/nbd0 -b 4096 -C 1
nbd_sized() {
	[ "$(cat /sys/block/nbd0/size)" -gt 0 ]
}
wait_for 600 "the NBD device to be sized" nbd_sized
dev[nbd]=/dev/nbd0
pin_queue /dev/nbd0

peers=(uvdev-blk uvdev-blk-pread loop nbd)
step "warm-up: every peer, both depths, once"
for p in "${peers[@]}"; do
	blk_reqs "${dev[$p]}" 1 "$qd1_count" "$warmup" >/dev/null
	blk_reqs "${dev[$p]}" 32 "$qd32_count" "$warmup" >/dev/null
done

for round in $(seq 1 "$BENCH_ROUNDS"); do
	step "round $round"
	for qd in 1 32; do
		count=$qd1_count
		[ "$qd" -eq 1 ] || count=$qd32_count
		for p in "${peers[@]}"; do
			ns=$(blk_reqs "${dev[$p]}" "$qd" "$count" "$warmup")
			bench_sample "$p qd=$qd" "$ns"
		done
	done
done

step "results"
bench_table "peer qd" "${peers[@]/%/ qd=1}" "${peers[@]/%/ qd=32}"
for qd in 1 32; do
	bench_ratio "uvdev-blk/loop qd=$qd" "uvdev-blk qd=$qd" "loop qd=$qd"
	bench_ratio "uvdev-blk-pread/loop qd=$qd" "uvdev-blk-pread qd=$qd" "loop qd=$qd"
	bench_ratio "uvdev-blk/uvdev-blk-pread qd=$qd" "uvdev-blk qd=$qd" "uvdev-blk-pread qd=$qd"
	bench_ratio "uvdev-blk/nbd qd=$qd" "uvdev-blk qd=$qd" "nbd qd=$qd"
done

nbd-client -d /dev/nbd0
kill "$(cat nbd.pid)"
losetup -d "${dev[loop]}"
stop_backend "$disk_backend"
stop_backend "$blk0_backend"
unload_module
