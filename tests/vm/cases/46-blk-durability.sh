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
#   carries more) and its fdatasync calls (the kernel's tracepoints
#   uvdev_vq_pop and syscalls/sys_enter_fdatasync, by the backend's threads);
# - ordering: at the push of each flush chain, the pushing thread is the one
#   that popped it and its last fdatasync began after that pop, so (being
#   the same thread, now pushing) it returned before the completion.
# The check passes when every flush was popped, there are at least as many
# fdatasyncs as flushes, and every flush was ordered. The same check runs
# against fault-backend --mode flush-noop (a backend that completes flushes
# without fdatasync) and must fail there: the check can see the bug.
# timeout: 300
. "$UVDEV_ROOT/tests/vm/lib.sh"

FB=$TESTBIN/fault-backend
[ -x "$FB" ] || fail "$FB missing: make $FB"

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

# Flush chains popped, fdatasync calls and pushes, traced by the kernel
# (events with a global clock: a thread may change CPUs between them).
T=/sys/kernel/tracing
step "tracing flush chains, fdatasyncs and pushes"
echo mono >"$T/trace_clock"
echo 'bytes == 17' >"$T/events/uvdev/uvdev_vq_pop/filter"
echo 'bytes == 1' >"$T/events/uvdev/uvdev_vq_push/filter"
echo >"$T/trace"
for e in uvdev/uvdev_vq_pop uvdev/uvdev_vq_push syscalls/sys_enter_fdatasync; do
	echo 1 >"$T/events/$e/enable"
done
# untrace: as it was (changing the clock also empties the trace).
untrace() {
	local e
	[ -n "${traced:-}" ] || return 0
	traced=""
	for e in uvdev/uvdev_vq_pop uvdev/uvdev_vq_push syscalls/sys_enter_fdatasync; do
		echo 0 >"$T/events/$e/enable"
	done
	echo 0 >"$T/events/uvdev/uvdev_vq_pop/filter"
	echo 0 >"$T/events/uvdev/uvdev_vq_push/filter"
	echo local >"$T/trace_clock"
}
traced=1
trap 'show_backends $?; untrace' EXIT

# threads PID: PID's thread ids, as an ERE alternation.
threads() {
	local t out=""
	for t in /proc/"$1"/task/*; do
		out+="${out:+|}${t##*/}"
	done
	echo "$out"
}

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

# counts NAME THREADS BLK_FLUSHES LOOP_FLUSHES: from the trace, for the
# backend's THREADS: flush chains popped, fdatasyncs, and flushes whose push
# came from the popping thread after an fdatasync it began after the pop
# (ordered) or not (unordered). Checks the pops against the block layer.
counts() {
	read -r flush_pops fdatasyncs ordered unordered < <(awk -v tids="^($2)\$" '
		function field(name,   k) {
			for (k = 1; k <= NF; k++)
				if (index($k, name "=") == 1)
					return substr($k, length(name) + 2)
		}
		{
			n = split($1, task, "-")
			tid = task[n]
			if (tid !~ tids)
				next
			for (i = 2; i < NF; i++)
				if ($i ~ /^[0-9]+\.[0-9]+:$/)
					break
			ts = substr($i, 1, length($i) - 1) + 0
			ev = $(i + 1)
			key = field("dev") ":" field("head")
			if (ev == "uvdev_vq_pop:") {
				pop_ts[key] = ts
				pop_tid[key] = tid
				pops++
			} else if (ev ~ /^sys_fdatasync/) {
				sync_ts[tid] = ts
				syncs++
			} else if (ev == "uvdev_vq_push:" && (key in pop_ts)) {
				if (pop_tid[key] == tid && (tid in sync_ts) && sync_ts[tid] > pop_ts[key])
					ordered++
				else
					unordered++
				delete pop_ts[key]
			}
		}
		END { print pops + 0, syncs + 0, ordered + 0, unordered + 0 }' durability.trace)
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
blk1=$blk_flushes loop1=$loop_flushes tids1=$(threads "$pid1")
stop_backend "$pid1"

step "a backend whose flush is a no-op"
"$FB" --mode flush-noop --size 64M d2 /tmp/dur/d2.img 2>d2.err &
pid2=$!
workload d2
blk2=$blk_flushes loop2=$loop_flushes tids2=$(threads "$pid2")
uvdevctl destroy d2
wait "$pid2" || fail "fault-backend exited with $? after the destroy"
grep -E 'flushes' d2.err

cp "$T/trace" durability.trace
untrace
echo "traced: $(grep -c uvdev_vq_pop durability.trace) flush pops," \
     "$(grep -c sys_fdatasync durability.trace) fdatasyncs," \
     "$(grep -c uvdev_vq_push durability.trace) pushes of 1 byte"
grep -m 3 -E 'uvdev_vq_pop|sys_fdatasync' durability.trace || true

step "the check passes uvdev-blk"
counts d1 "$tids1" "$blk1" "$loop1"
durable || fail "uvdev-blk completed flushes without making them durable"
[ "$loop1" -gt 0 ] || fail "no flush reached the loop device: fdatasync did nothing"
echo "ok: uvdev-blk made every flush durable before completing it"

step "the same check catches the no-op flush"
counts d2 "$tids2" "$blk2" "$loop2"
if durable; then
	fail "the check passed a backend that never calls fdatasync"
fi
echo "ok: the check caught the no-op flush"

umount /tmp/dur
losetup -d "$loopdev"
unload_module
