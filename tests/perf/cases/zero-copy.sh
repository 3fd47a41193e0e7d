#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: uvdev-blk's zero-copy data path against its XFER
# paths, the loop device and NBD, on one 64 MiB file on tmpfs served six
# ways at once, read-only: uvdev-blk --zero-copy always (zc: the file read
# with preadv(2) straight into the request's pages, one copy), the default
# (auto: --zero-copy auto with --file-map auto, where reads come by XFER
# from the file's mapping), --zero-copy never (xfer: the same XFER from
# the mapping, one copy), --zero-copy never --file-map never (pread: into
# the backend's buffer, then XFER, two copies), loop and nbd-server over
# loopback TCP. O_DIRECT reads by
# blk-reqs: sequential 128 KiB and random 4 KiB, at queue depth 1 and 32.
#
# Points are measured in interleaved rounds, BENCH_ROUNDS (default 3)
# samples each; IOPS are per second of guest time in the deterministic VM.
# timeout: 3600
# vtop-watch: off
. "$UVDEV_ROOT/tests/perf/perf-guest.sh"
. "$UVDEV_ROOT/tests/perf/bench-guest.sh"

load_module
modprobe virtio_blk
modprobe loop
modprobe nbd nbds_max=1
dd if=/dev/urandom of="$img" bs=1M count=64 status=none

declare -A dev
step "uvdev-blk, zero copy and XFER"
uvdev_blk_disk zc "$img" --read-only --zero-copy always
dev[zc]=$disk_dev
zc_backend=$disk_backend
uvdev_blk_disk auto "$img" --read-only
dev[auto]=$disk_dev
auto_backend=$disk_backend
uvdev_blk_disk xfer "$img" --read-only --zero-copy never
dev[xfer]=$disk_dev
xfer_backend=$disk_backend
uvdev_blk_disk pread "$img" --read-only --zero-copy never --file-map never
dev[pread]=$disk_dev
pread_backend=$disk_backend

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

peers=(zc auto xfer pread loop nbd)
# Workloads: name, blk-reqs arguments, reads at QD1 and QD32.
declare -A wargs=([seq128k]="--bs 131072 --seq" [rand4k]="--bs 4096")
declare -A wcount1=([seq128k]=600 [rand4k]=$qd1_count)
declare -A wcount32=([seq128k]=1200 [rand4k]=$qd32_count)
workloads=(seq128k rand4k)

step "warm-up: every peer, every point, once"
for w in "${workloads[@]}"; do
	for p in "${peers[@]}"; do
		# shellcheck disable=SC2086 # the arguments split on purpose
		blk_reqs "${dev[$p]}" 1 100 "$warmup" ${wargs[$w]} >/dev/null
		# shellcheck disable=SC2086
		blk_reqs "${dev[$p]}" 32 200 "$warmup" ${wargs[$w]} >/dev/null
	done
done

for round in $(seq 1 "$BENCH_ROUNDS"); do
	step "round $round"
	for w in "${workloads[@]}"; do
		for qd in 1 32; do
			count=${wcount1[$w]}
			[ "$qd" -eq 1 ] || count=${wcount32[$w]}
			for p in "${peers[@]}"; do
				# shellcheck disable=SC2086
				ns=$(blk_reqs "${dev[$p]}" "$qd" "$count" "$warmup" ${wargs[$w]})
				bench_sample "$p $w qd=$qd" "$ns"
			done
		done
	done
done

step "results"
for w in "${workloads[@]}"; do
	bench_table "peer $w" "${peers[@]/%/ $w qd=1}" "${peers[@]/%/ $w qd=32}"
	for qd in 1 32; do
		bench_ratio "zc/xfer $w qd=$qd" "zc $w qd=$qd" "xfer $w qd=$qd"
		bench_ratio "zc/pread $w qd=$qd" "zc $w qd=$qd" "pread $w qd=$qd"
		bench_ratio "xfer/pread $w qd=$qd" "xfer $w qd=$qd" "pread $w qd=$qd"
		bench_ratio "auto/xfer $w qd=$qd" "auto $w qd=$qd" "xfer $w qd=$qd"
		bench_ratio "zc/loop $w qd=$qd" "zc $w qd=$qd" "loop $w qd=$qd"
		bench_ratio "zc/nbd $w qd=$qd" "zc $w qd=$qd" "nbd $w qd=$qd"
	done
done

nbd-client -d /dev/nbd0
kill "$(cat nbd.pid)"
losetup -d "${dev[loop]}"
stop_backend "$pread_backend"
stop_backend "$xfer_backend"
stop_backend "$auto_backend"
stop_backend "$zc_backend"
grep -h 'zero copy' zc.err auto.err
unload_module
