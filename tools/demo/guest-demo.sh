#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs on the VM's console (see demo.sh): a file-backed uvdev-blk and a
# uvdev-rng under a mixed load (fio on the disk, readers of /dev/hwrng),
# with vtop live on the console. It ends by itself after
# $uvdev_demo_seconds (default 60) or when q is pressed in vtop.
set -euo pipefail

. "$UVDEV_ROOT/tests/vm/lib.sh"

seconds=${uvdev_demo_seconds:-60}
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT

step "loading uvdev.ko and the kernel's virtio drivers"
load_module
modprobe virtio_blk
modprobe virtio-rng

step "starting uvdev-blk (2 queues, 256 MiB) and uvdev-rng"
truncate -s 256M /tmp/demo-disk.img
uvdev-blk --queues 2 demo-blk /tmp/demo-disk.img 2>/tmp/demo-blk.log &
blk=$!
uvdev-rng demo-rng 2>/tmp/demo-rng.log &
rng=$!
dev=$(wait_block demo-blk)
wait_for 60 "virtio_rng" grep -q '^virtio_rng' /sys/class/misc/hw_random/rng_current
echo "disk $dev, rng $(cat /sys/class/misc/hw_random/rng_current)"

step "mixed load: fio randrw on $dev, readers of /dev/hwrng"
fio --name=mixed --filename="$dev" --direct=1 --ioengine=libaio --rw=randrw \
	--rwmixread=70 --bs=4k --iodepth=16 --numjobs=2 --time_based \
	--runtime=$((seconds + 30)) --eta=never --output=/tmp/demo-fio.txt &
pids+=($!)
(
	end=$(( $(date +%s) + seconds + 30 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		dd if=/dev/hwrng of=/dev/null bs=512 count=64 status=none 2>/dev/null || break
	done
) &
pids+=($!)

step "vtop for ${seconds} s (q quits)"
if [ -n "${uvdev_interactive:-}" ]; then
	vtop 1 "$seconds" || true
else
	vtop -o text 5 $((seconds / 5)) || true
fi

step "stopping the load and the backends"
cleanup
pids=()
stop_backend "$blk"
stop_backend "$rng"
grep -E 'READ:|WRITE:' /tmp/demo-fio.txt || true
unload_module
step "demo finished"
