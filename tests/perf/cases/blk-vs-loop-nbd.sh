#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: fio 4k random reads at QD1 and QD32 on the same
# file through uvdev-blk, the kernel's loop device and NBD (nbd-server over
# loopback), in the same VM. Prints one "bench:" line per run and the
# uvdev-blk/loop and uvdev-blk/NBD ratios.
# timeout: 900
. "$UVDEV_ROOT/tests/vm/lib.sh"

runtime=${BENCH_RUNTIME:-15}
img=/tmp/bench.img

load_module
modprobe virtio_blk
modprobe loop
modprobe nbd nbds_max=1
truncate -s 512M "$img"
# Random bytes, so no backend can take a short cut on zeroes.
dd if=/dev/urandom of="$img" bs=1M count=512 status=none

# fio_iops DEV QD: 4k random read IOPS on DEV at queue depth QD.
fio_iops() {
	fio --name=bench --filename="$1" --direct=1 --ioengine=libaio \
		--rw=randread --bs=4k --iodepth="$2" --numjobs=1 \
		--time_based --runtime="$runtime" --ramp_time=2 \
		--output-format=terse --terse-version=3 | awk -F';' '{ print $8 }'
}

declare -A iops
bench() {
	local what=$1 dev=$2 qd
	for qd in 1 32; do
		iops[$what-$qd]=$(fio_iops "$dev" "$qd")
		echo "bench: $what qd=$qd iops=${iops[$what-$qd]}"
	done
}

step "uvdev-blk"
uvdev-blk blk0 "$img" 2>blk.err &
backend=$!
dev=$(wait_block blk0)
bench uvdev-blk "$dev"
stop_backend "$backend"

step "loop"
# The image is on tmpfs, which has no O_DIRECT: loop reads it buffered.
loopdev=$(losetup --find --show "$img")
bench loop "$loopdev"
losetup -d "$loopdev"

step "NBD (nbd-server on 127.0.0.1)"
ip link set lo up
cat >nbd.conf <<CONF
[generic]
	port = 10809
	listenaddr = 127.0.0.1
[bench]
	exportname = $img
CONF
nbd-server -C "$PWD/nbd.conf" -p "$PWD/nbd.pid"
nbd-client -N bench 127.0.0.1 10809 /dev/nbd0 -b 4096 -C 1
wait_for 30 "the NBD device to be sized" test "$(cat /sys/block/nbd0/size)" -gt 0
bench nbd /dev/nbd0
nbd-client -d /dev/nbd0
kill "$(cat nbd.pid)"

step "ratios"
for qd in 1 32; do
	awk -v u="${iops[uvdev-blk-$qd]}" -v l="${iops[loop-$qd]}" -v n="${iops[nbd-$qd]}" -v qd="$qd" \
		'BEGIN { printf "bench: qd=%d uvdev-blk/loop=%.2f uvdev-blk/nbd=%.2f\n", qd, u / l, u / n }'
done
unload_module
