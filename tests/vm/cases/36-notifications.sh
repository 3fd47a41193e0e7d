#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Asynchronous notifications: a burst of 10^5 posts from four threads with
# sixteen waiters, every post and wake-up accounted for by the kernel's
# counters; bad posts refused with nothing left behind; waits ended by
# destroy (ENODEV) and by a broken device (EIO); a key remembered across a
# backend restart; online resize of a mounted ext4 (SIGHUP to uvdev-blk, a
# config change through the bottom half, resize2fs, fsck); NEEDS_RESET seen
# by the driver and vtop when the backing file is removed and when it fails
# with I/O errors (an offline scsi_debug disk). The wait held across
# mute0's probe may pass the watching vtop's --stall-ms on a loaded host:
# notif-stalled is then a true state, not a false alarm.
# timeout: 300
# vtop-induces: broken,needs-reset,notif-stalled
. "$UVDEV_ROOT/tests/vm/lib.sh"

load_module
modprobe virtio_blk
modprobe ext4
trap 'show_backends $?' EXIT

# notif NAME FIELD: a field of uvdevctl status's notification line.
notif() {
	uvdevctl status "$1" >"notif-$1.txt" || return 1
	sed -n "s/.*[ ,]$2 \([0-9]*\).*/\1/p" "notif-$1.txt"
}

# notif_is NAME FIELD VALUE: the notification field has VALUE now.
notif_is() {
	[ "$(notif "$1" "$2")" = "$3" ]
}

# attr_is NAME ATTR VALUE: /sys/class/uvdev/NAME/ATTR reads VALUE now.
attr_is() {
	[ "$(cat "/sys/class/uvdev/$1/$2" 2>/dev/null)" = "$3" ]
}

# size_is SYSBLK SECTORS: the disk has SECTORS now.
size_is() {
	[ "$(cat "$1/size")" = "$2" ]
}

# needs_reset NAME: the driver sees NEEDS_RESET in NAME's status now.
needs_reset() {
	[ $(( $(virtio_status "$1") & 0x40 )) = 64 ]
}

# exit_code CMD...: CMD's exit status, as text (its output goes to stderr).
exit_code() {
	local rc=0
	"$@" >&2 || rc=$?
	echo "$rc"
}

# virtio_status NAME: the virtio status byte the driver sees for NAME.
virtio_status() {
	cat /sys/class/uvdev/"$1"/virtio*/status
}

step "a burst of 100000 posts, 4 posters, 16 waiters on 16 of 64 keys"
"$TESTBIN/notif-stress" --keys 64 --posters 4 --posts 25000 --batch 16 \
	--waiters 16 --wait-ms 1000 stress0 >burst.txt 2>burst.err ||
	fail "notif-stress: $(cat burst.err)"
cat burst.txt
expect_eq "bad posts" refused "$(sed -n 's/^bad_posts=//p' burst.txt)"
expect_eq "posted" 100064 "$(sed -n 's/^kernel_posted=//p' burst.txt)"
expect_eq "verdict" ok "$(sed -n 's/^verdict=//p' burst.txt)"
woken=$(sed -n 's/^kernel_wakeups=//p' burst.txt)
[ "$woken" -gt 0 ] || fail "no waiter was woken by a post: the waits never overlapped the posts"
top=$(sed -n 's/^kernel_top_halves=//p' burst.txt)
delivered=$(sed -n 's/^kernel_delivered=//p' burst.txt)
[ "$top" -lt "$delivered" ] || fail "$top top halves for $delivered values: bursts were not taken in one run"
echo "ok: $delivered values in $top top-half runs, $woken waiters woken"

step "waits: a key above notif_max, timeout 0, ended by destroy"
"$TESTBIN/notif-stress" --keys 8 --serve srv0 2>srv0.err &
srv=$!
wait_for 30 "srv0's backend" attr_is srv0 backend 1
expect_eq "notif_max in sysfs" 8 "$(cat /sys/class/uvdev/srv0/notif_max)"
expect_eq "uvdevctl wait for key 9 of 8" 1 "$(exit_code uvdevctl wait srv0 9 2>wait9.err)"
grep -q "above the device's notif_max" wait9.err || fail "key 9: $(cat wait9.err)"
expect_eq "uvdevctl wait --timeout 0, nothing posted" 3 \
	"$(exit_code uvdevctl wait srv0 3 --timeout 0 2>wait0.err)"
uvdevctl wait srv0 3 --timeout 60000 >waitd.out 2>waitd.err &
waiter=$!
wait_for 30 "the waiter to wait" notif_is srv0 waiters 1
uvdevctl destroy srv0
exits_within 10 "$waiter" || fail "the waiter still waits after destroy"
rc=0
wait "$waiter" || rc=$?
expect_eq "the waiter's exit status after destroy" 1 "$rc"
grep -q "destroyed while waiting" waitd.err || fail "waiter: $(cat waitd.err)"
wait "$srv" || true	# its device was destroyed under it

step "a wait ended by a broken device"
# The device is created first and opened only on SIGHUP, by a backend that
# answers nothing: the driver's probe then times out and breaks it, after
# the waiter is known to wait.
"$TESTBIN/notif-stress" --keys 4 --mute --timeout-ms 2000 mute0 2>mute0.err &
mute=$!
wait_for 30 "mute0" test -e /sys/class/uvdev/mute0/notif_max
uvdevctl wait mute0 1 --timeout 60000 >waitb.out 2>waitb.err &
waiter=$!
wait_for 30 "the waiter to wait" notif_is mute0 waiters 1
expect_eq "mute0 broken while the waiter waits" 0 "$(cat /sys/class/uvdev/mute0/broken)"
kill -HUP "$mute"
exits_within 30 "$waiter" || fail "the waiter still waits after the device broke"
expect_eq "mute0 broken" 1 "$(cat /sys/class/uvdev/mute0/broken)"
rc=0
wait "$waiter" || rc=$?
expect_eq "the waiter's exit status" 1 "$rc"
grep -q "the device is broken" waitb.err || fail "waiter: $(cat waitb.err)"
stop_backend "$mute"

step "online resize of a mounted ext4: 64 MiB -> 128 MiB"
truncate -s 64M /tmp/disk.img
uvdev-blk blk0 /tmp/disk.img 2>blk0.err &
backend=$!
dev=$(wait_block blk0)
sysblk=/sys/block/${dev#/dev/}
expect_eq "capacity before" 131072 "$(cat "$sysblk/size")"
mkfs.ext4 -q -F "$dev"
mkdir -p /tmp/mnt
mount "$dev" /tmp/mnt
head -c 16M /dev/urandom >/tmp/mnt/before.bin
sync
blocks_before=$(stat -f -c %b /tmp/mnt)
truncate -s 128M /tmp/disk.img
kill -HUP "$backend"
uvdevctl wait blk0 1 --timeout 30000
wait_for 30 "virtio_blk to see the new capacity" size_is "$sysblk" 262144
echo "ok: $dev is 262144 sectors"
grep -q "131072 -> 262144 sectors" blk0.err || fail "uvdev-blk did not log the resize: $(cat blk0.err)"
resize2fs "$dev"
blocks_after=$(stat -f -c %b /tmp/mnt)
[ "$blocks_after" -gt $((blocks_before * 3 / 2)) ] ||
	fail "the mounted file system has $blocks_after blocks, was $blocks_before"
echo "ok: the mounted ext4 grew from $blocks_before to $blocks_after blocks"
head -c 16M /dev/urandom >/tmp/mnt/after.bin
(cd /tmp/mnt && sha256sum before.bin after.bin) >/tmp/sums
umount /tmp/mnt
fsck.ext4 -f -n "$dev"
mount "$dev" /tmp/mnt
(cd /tmp/mnt && sha256sum --quiet -c /tmp/sums)
umount /tmp/mnt

step "a remembered key survives a backend restart"
kill -HUP "$backend"	# same size: nothing to tell the driver, key 1 again
wait_for 30 "key 1 to be remembered" notif_is blk0 remembered 1
kill -KILL "$backend"
wait "$backend" || true
uvdev-blk --attach blk0 /tmp/disk.img 2>blk0b.err &
backend=$!
wait_for 30 "the new backend" attr_is blk0 backend 1
expect_eq "uvdevctl wait --timeout 0 after the restart" 0 \
	"$(exit_code uvdevctl wait blk0 1 --timeout 0)"
expect_eq "remembered keys left" 0 "$(notif blk0 remembered)"

step "NEEDS_RESET when the backing file is removed"
start_vtop vtop.json -o json --stall-ms 60000 --filter 'blk*' 1
! needs_reset blk0 || fail "NEEDS_RESET before the file went"
rm /tmp/disk.img
kill -HUP "$backend"
uvdevctl wait blk0 2 --timeout 30000
wait_for 10 "the driver to see NEEDS_RESET" needs_reset blk0
echo "ok: virtio status $(virtio_status blk0)"
wait_for 30 "vtop to show blk0 needs-reset" file_has vtop.json '"blk0".*"needs-reset"'
grep -q "the file was removed: asking the driver to reset" blk0b.err ||
	fail "uvdev-blk did not say why: $(cat blk0b.err)"
stop_vtop vtop.json.err
stop_backend "$backend"

# The debug kernel (make check-debug) has no SCSI: there, this step is
# skipped and says so; the stock kernel always runs it.
if ! modprobe -n -q scsi_debug; then
	echo "skipped: NEEDS_RESET on I/O errors (no scsi_debug module in $(uname -r))"
else
	step "NEEDS_RESET on I/O errors: uvdev-blk over a scsi_debug disk taken offline"
	modprobe sd_mod
	modprobe scsi_debug dev_size_mb=16
	wait_for 30 "the scsi_debug disk" compgen -G '/sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/*' >/dev/null
	sd=$(basename "$(compgen -G '/sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/*')")
	uvdev-blk --read-only blk1 "/dev/$sd" 2>blk1.err &
	backend=$!
	vd=$(wait_block blk1)
	dd if="$vd" of=/dev/null bs=4k count=4 iflag=direct status=none
	echo offline >"/sys/block/$sd/device/state"
	if dd if="$vd" of=/dev/null bs=4k count=1 skip=3000 iflag=direct status=none 2>dd.err; then
		fail "a read of an offline disk succeeded"
	fi
	echo "ok: the read failed: $(cat dd.err)"
	uvdevctl wait blk1 2 --timeout 30000
	wait_for 10 "the driver to see NEEDS_RESET" needs_reset blk1
	echo running >"/sys/block/$sd/device/state"
	stop_backend "$backend"
	rmmod scsi_debug sd_mod
fi

unload_module
