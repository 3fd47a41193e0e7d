#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: /dev/hwrng through uvdev-rng against QEMU's own
# virtio-rng-pci in the same VM, the kernel's same virtio_rng driver on
# both. hw_random reads one 64-byte request at a time, so this is the cost
# of one request on each path: QEMU answers from the host (no guest
# instructions), uvdev-rng from a guest process (getrandom(2), the pop,
# the transfer, the push and the interrupt). Reads of BYTES from
# /dev/hwrng with each as the current source, in interleaved rounds (pci
# uvdev, pci uvdev, ...), BENCH_ROUNDS (default 3) samples each.
# qemu: -device virtio-rng-pci
# timeout: 1800
# A measurement: no vtop watches it.
# vtop-watch: off
. "$UVDEV_ROOT/tests/perf/perf-guest.sh"
. "$UVDEV_ROOT/tests/perf/bench-guest.sh"

bytes=$((256 * 1024))
hw=/sys/class/misc/hw_random

# rngs: the hw_random sources available now, one per line.
rngs() {
	tr ' ' '\n' <"$hw/rng_available" | sed '/^$/d'
}

load_module
modprobe virtio_pci
modprobe virtio-rng
# QEMU's device comes first: the only virtio_rng source before uvdev-rng's.
wait_for 60 "virtio-rng-pci's hw_random source" file_has "$hw/rng_available" virtio_rng
pci=$(rngs | grep '^virtio_rng')
[ "$(wc -l <<<"$pci")" -eq 1 ] || fail "more than one virtio_rng before uvdev-rng: $pci"
uvdev-rng rng0 2>rng.err &
backend=$!
# uvdev_source: the virtio_rng source that is not QEMU's, once there is one.
uvdev_source() {
	rngs | grep '^virtio_rng' | grep -vx -- "$pci"
}
wait_for 60 "uvdev-rng's hw_random source" uvdev_source
uvdev=$(uvdev_source)
echo "sources: QEMU $pci, uvdev $uvdev"

# read_ns SOURCE: make SOURCE current, read $bytes from /dev/hwrng; print
# the guest ns per 64-byte request.
read_ns() {
	local t0 t1
	echo "$1" >"$hw/rng_current"
	[ "$(cat "$hw/rng_current")" = "$1" ] || fail "$1 is not the current source"
	dd if=/dev/hwrng of=/dev/null bs=4096 count=16 iflag=fullblock status=none
	t0=$(date +%s%N)
	dd if=/dev/hwrng of=/dev/null bs=4096 count=$((bytes / 4096)) iflag=fullblock \
		status=none || fail "reading /dev/hwrng from $1 failed"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / (bytes / 64)))
}

for round in $(seq 1 "$BENCH_ROUNDS"); do
	step "round $round"
	bench_sample "virtio-rng-pci" "$(read_ns "$pci")"
	bench_sample "uvdev-rng" "$(read_ns "$uvdev")"
done

step "results"
bench_table "hwrng source" virtio-rng-pci uvdev-rng
bench_ratio "uvdev-rng/virtio-rng-pci" uvdev-rng virtio-rng-pci
stop_backend "$backend"
unload_module
