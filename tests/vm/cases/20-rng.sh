#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# virtio_rng binds to uvdev-rng, and /dev/hwrng returns the seeded stream.
# timeout: 180
. "$UVDEV_ROOT/tests/vm/lib.sh"

load_module
modprobe virtio-rng

step "start uvdev-rng --seed 42"
uvdev-rng --seed 42 rng0 2>rng.err &
backend=$!
wait_for 60 "virtio_rng to become the current hwrng" \
	grep -q '^virtio_rng' /sys/class/misc/hw_random/rng_current
cat /sys/class/misc/hw_random/rng_current
# Stop the hw_random core feeding the entropy pool from it in the
# background: those reads would take bytes out of the stream we check.
echo 0 >/sys/class/misc/hw_random/rng_quality

step "read 256 KiB from /dev/hwrng"
dd if=/dev/hwrng of=hw.bin bs=4096 count=64 iflag=fullblock status=none
expect_eq "bytes read" 262144 "$(stat -c %s hw.bin)"

step "they are the seeded stream"
uvdev-rng --seed 42 --dump 1048576 >stream.bin
off=$("$TESTBIN/find-substream" stream.bin hw.bin) ||
	fail "/dev/hwrng bytes are not a run of the seed-42 stream"
echo "ok: /dev/hwrng = seed-42 stream from offset $off"
# Only the core's reads at registration and before rng_quality was set
# come before ours.
[ "$off" -le 65536 ] || fail "stream offset $off: bytes were lost before the read"
uvdev-rng --seed 43 --dump 1048576 >other.bin
if "$TESTBIN/find-substream" other.bin hw.bin >/dev/null; then
	fail "the seed-43 stream matches too: the check proves nothing"
fi

step "clean shutdown"
stop_backend "$backend"
test ! -e /dev/uvdev/rng0 || fail "/dev/uvdev/rng0 still exists after SIGTERM"
grep -q virtio_rng /sys/class/misc/hw_random/rng_current && fail "virtio_rng still current"
rmmod virtio_rng
unload_module
