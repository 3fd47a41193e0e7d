#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Durability: every flush the guest's block layer sends to a uvdev-blk disk
# becomes an fdatasync of the backing file before the flush completes.
#
# The backing file is on ext4 over a loop device: on tmpfs, where the VM
# keeps everything else, fdatasync costs nothing and a backend that skips it
# loses nothing, so no durability bug could show. fio writes to the disk
# with an fsync every 4 writes, and three counts are taken over the run:
# - flushes the block layer completed on the disk (/sys/block/vdX/stat);
# - flush chains the backend popped (uvdev_vq_pop of exactly 17 bytes, the
#   16-byte header and the status byte: any read, write, discard or get-id
#   carries more) and its fdatasync calls (bpftrace, filtered by its pid);
# - ordering: at the push of each flush chain, the pushing thread is the one
#   that popped it and its last fdatasync began after that pop, so (being
#   the same thread, now pushing) it returned before the completion.
# One bpftrace counts for both backends, keyed by pid.
# The check passes when every flush was popped, there are at least as many
# fdatasyncs as flushes, and every flush was ordered. The same check runs
# against fault-backend --mode flush-noop (a backend that completes flushes
# without fdatasync) and must fail there: the check can see the bug.
# timeout: 300
. "$UVDEV_ROOT/tests/vm/lib.sh"

FB=$TESTBIN/fault-backend
[ -x "$FB" ] || fail "$FB missing: make $FB"

# On failure, what the backends said.
show_backends() {
	local rc=$? f
	[ "$rc" -eq 0 ] && return
	for f in *.err; do
		[ -s "$f" ] && echo "--- $f:" && tail -n 5 "$f"
	done
}

trap show_backends EXIT
load_module
modprobe virtio_blk
modprobe loop
modprobe ext4

step "backing store: ext4 over a loop device"
truncate -s 256M /tmp/backing.img
loopdev=$(losetup -f --show /tmp/backing.img)
mkfs.ext4 -q -F "$loopdev"
mkdir -p /tmp/dur
mount "$loopdev" /tmp/dur
expect_eq "file system under the backing files" ext4 "$(findmnt -n -o FSTYPE /tmp/dur)"
loopname=${loopdev#/dev/}

# flushes DISK: flush requests the block layer completed on DISK.
flushes() {
	local s
	read -r -a s <"/sys/block/$1/stat"
	echo "${s[15]}"
}

# bt_value MAP PID: a count map's value for PID in bpftrace's output, 0 if
# unset.
bt_value() {
	local v
	v=$(sed -n "s/^@$1\[$2\]: \([0-9]*\)$/\1/p" durability.bt)
	echo "${v:-0}"
}

# One bpftrace for both backends (starting it costs a minute under TCG),
# its counts keyed by the backend's pid.
step "bpftrace counts flush chains, fdatasyncs and their order"
bpftrace -e '
BEGIN { printf("ready\n"); }
tracepoint:uvdev:uvdev_vq_pop /args->bytes == 17/ {
	@pop_ns[pid, args->dev, args->head] = nsecs;
	@pop_tid[pid, args->dev, args->head] = tid;
	@flush_pops[pid] = count();
}
tracepoint:syscalls:sys_enter_fdatasync {
	@sync_ns[tid] = nsecs;
	@fdatasyncs[pid] = count();
}
tracepoint:uvdev:uvdev_vq_push /@pop_ns[pid, args->dev, args->head] != 0/ {
	if (@pop_tid[pid, args->dev, args->head] == tid &&
	    @sync_ns[tid] > @pop_ns[pid, args->dev, args->head]) {
		@ordered[pid] = count();
	} else {
		@unordered[pid] = count();
	}
	delete(@pop_ns[pid, args->dev, args->head]);
	delete(@pop_tid[pid, args->dev, args->head]);
}
END { clear(@pop_ns); clear(@pop_tid); clear(@sync_ns); }' >durability.bt 2>&1 &
bt=$!
wait_for 180 "bpftrace to attach" file_has durability.bt '^ready'

# workload NAME: fio with an fsync every 4 writes on NAME's disk; sets
# blk_flushes and loop_flushes (flushes completed on the disk and on the
# loop device under the backing file).
workload() {
	local dev disk f0 l0
	dev=$(wait_block "$1")
	disk=${dev#/dev/}
	expect_eq "$disk's cache" "write back" "$(cat "/sys/block/$disk/queue/write_cache")"
	f0=$(flushes "$disk")
	l0=$(flushes "$loopname")
	fio --name="$1" --filename="$dev" --direct=1 --ioengine=psync --rw=randwrite \
		--bs=4k --size=2M --fsync=4 --clocksource=clock_gettime --output="$1.fio"
	grep -q 'err= 0' "$1.fio" || fail "fio reported errors on $1"
	blk_flushes=$(( $(flushes "$disk") - f0 ))
	loop_flushes=$(( $(flushes "$loopname") - l0 ))
	# The counting must work whatever the backend does.
	[ "$blk_flushes" -ge 100 ] || fail "only $blk_flushes flushes: fio's fsyncs did not reach $disk"
}

# counts NAME PID BLK_FLUSHES LOOP_FLUSHES: bpftrace's counts for PID; sets
# flush_pops, fdatasyncs, ordered, unordered and checks the pops.
counts() {
	flush_pops=$(bt_value flush_pops "$2")
	fdatasyncs=$(bt_value fdatasyncs "$2")
	ordered=$(bt_value ordered "$2")
	unordered=$(bt_value unordered "$2")
	echo "$1: block layer flushes $3, flush chains popped $flush_pops," \
	     "fdatasyncs $fdatasyncs, ordered $ordered, unordered $unordered;" \
	     "flushes reaching the loop device $4"
	expect_eq "$1: flush chains popped = flushes completed" "$3" "$flush_pops"
}

# durable: do the last counts show every flush made durable first?
durable() {
	local ok=0
	if [ "$fdatasyncs" -lt "$flush_pops" ]; then
		echo "  $fdatasyncs fdatasyncs for $flush_pops flushes"
		ok=1
	fi
	if [ "$ordered" -ne "$flush_pops" ] || [ "$unordered" -ne 0 ]; then
		echo "  $unordered of $flush_pops flushes completed without an fdatasync after their pop"
		ok=1
	fi
	return $ok
}

step "uvdev-blk: every flush is an fdatasync, completed after it"
uvdev-blk --size 64M d1 /tmp/dur/d1.img 2>d1.err &
pid1=$!
workload d1
blk1=$blk_flushes loop1=$loop_flushes
stop_backend "$pid1"

step "a backend whose flush is a no-op"
"$FB" --mode flush-noop --size 64M d2 /tmp/dur/d2.img 2>d2.err &
pid2=$!
workload d2
blk2=$blk_flushes loop2=$loop_flushes
uvdevctl destroy d2
wait "$pid2" || fail "fault-backend exited with $? after the destroy"
grep -E 'flushes' d2.err

kill -INT "$bt"
wait "$bt" || true

step "the check passes uvdev-blk"
counts d1 "$pid1" "$blk1" "$loop1"
durable || fail "uvdev-blk completed flushes without making them durable"
[ "$loop1" -gt 0 ] || fail "no flush reached the loop device: fdatasync did nothing"
echo "ok: uvdev-blk made every flush durable before completing it"

step "the same check catches the no-op flush"
counts d2 "$pid2" "$blk2" "$loop2"
if durable; then
	fail "the check passed a backend that never calls fdatasync"
fi
echo "ok: the check caught the no-op flush"

umount /tmp/dur
losetup -d "$loopdev"
unload_module
