#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Faults: the backend is SIGKILLed mid-I/O and restarted (I/O completes
# after the reconnect; data fsync acknowledged survives; the restarted
# backend reads with pread(2) where the first read the file's mapping),
# the backend is SIGSTOPped during a control message (timeout, device
# broken, clean destroy), a device is destroyed while its driver is bound,
# and the module unloads once the devices are gone. The harness fails the case on any
# kernel warning.
# timeout: 600
# vtop-induces: stalled,broken
. "$UVDEV_ROOT/tests/vm/lib.sh"

load_module
modprobe virtio_blk
modprobe ext4
mkdir -p /tmp/mnt

step "SIGKILL mid-I/O, then restart with --attach"
truncate -s 256M /tmp/disk0.img
uvdev-blk blk0 /tmp/disk0.img 2>blk0.err &
backend=$!
dev=$(wait_block blk0)
mkfs.ext4 -q -F "$dev"
mount "$dev" /tmp/mnt
head -c 8M /dev/urandom >/tmp/acked.bin
cp /tmp/acked.bin /tmp/mnt/acked.bin
sync -f /tmp/mnt/acked.bin
head -c 96M /dev/urandom >/tmp/inflight.bin
dd if=/tmp/inflight.bin of=/tmp/mnt/inflight.bin bs=1M oflag=direct conv=fsync status=none &
writer=$!
# shellcheck disable=SC2016 # the child shell expands it, at every poll
wait_for 60 "the writer to get going" \
	bash -c '[ "$(stat -c %s /tmp/mnt/inflight.bin 2>/dev/null || echo 0)" -ge $((16 << 20)) ]'
kill -KILL "$backend"
wait "$backend" || true
echo "backend killed; writer still running: $(kill -0 $writer && echo yes)"
test -c /dev/uvdev/blk0 || fail "the device went away with its backend"
# The first backend read the file through its mapping; this one reads it
# with pread(2), so fsck and the checksums below see both read paths.
uvdev-blk --attach --file-map never blk0 /tmp/disk0.img 2>blk0b.err &
backend=$!
wait "$writer" || fail "the write in flight across the restart failed"
echo "ok: the write in flight completed after the reconnect"
umount /tmp/mnt
fsck.ext4 -f -n "$dev"
mount "$dev" /tmp/mnt
cmp /tmp/acked.bin /tmp/mnt/acked.bin
cmp /tmp/inflight.bin /tmp/mnt/inflight.bin
echo "ok: acknowledged and in-flight data intact"
umount /tmp/mnt

step "destroy while virtio_blk is bound"
stop_backend "$backend"
test ! -e "$dev" || fail "$dev still there after destroy"

step "SIGSTOP during a control message: timeout, broken, clean destroy"
truncate -s 64M /tmp/disk1.img
uvdev-blk blk1 /tmp/disk1.img 2>blk1.err &
backend=$!
dev=$(wait_block blk1)
echo 2000 >/sys/class/uvdev/blk1/msg_timeout_ms
vdev=$(basename "$(readlink -f /sys/class/uvdev/blk1/virtio*)")
kill -STOP "$backend"
start=$(date +%s%N)
# Unbinding resets the device: a control message nobody answers.
echo "$vdev" >/sys/bus/virtio/drivers/virtio_blk/unbind
took=$(( ($(date +%s%N) - start) / 1000000 ))
echo "unbind took ${took} ms"
[ "$took" -ge 1900 ] || fail "unbind returned before the 2 s message timeout"
[ "$took" -lt 20000 ] || fail "unbind took ${took} ms: more than one timeout"
expect_eq "broken" 1 "$(cat /sys/class/uvdev/blk1/broken)"
# Unbinding is bounded by the message timeout whatever it waits for: the
# removal's deadline or the reset message's own timeout breaks the device.
dmesg >dmesg.txt
grep -Eq 'blk1: (backend did not answer message|the driver.s probe or removal did not finish).*device broken' dmesg.txt ||
	fail "no kernel message names the device and why it broke"
uvdevctl destroy blk1
test ! -e /dev/uvdev/blk1 || fail "/dev/uvdev/blk1 still there after destroy"
kill -CONT "$backend"
set +e
wait "$backend"
rc=$?
set -e
echo "the stopped backend, continued, exited with $rc"
[ "$rc" -ne 0 ] || fail "the backend of a broken device exited 0"

step "rmmod once every device is gone"
unload_module
