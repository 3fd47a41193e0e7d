#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# uvdev-blk with the kernel's virtio_blk and real clients: mkfs.ext4, mount,
# files, fsck -f, remount and checksums; fio randrw with crc32c verify over
# several jobs, queue depth 16 and two queues.
# timeout: 600
. "$UVDEV_ROOT/tests/vm/lib.sh"

load_module
modprobe virtio_blk
modprobe ext4

step "start uvdev-blk (2 queues, 256 MiB file)"
truncate -s 256M /tmp/disk.img
uvdev-blk --queues 2 blk0 /tmp/disk.img 2>blk.err &
backend=$!
dev=$(wait_block blk0)
echo "disk: $dev ($(cat "/sys/block/${dev#/dev/}/size") sectors)"
expect_eq "capacity in sectors" 524288 "$(cat "/sys/block/${dev#/dev/}/size")"
hw_queues=("/sys/block/${dev#/dev/}"/mq/*)
expect_eq "hardware queues" 2 "${#hw_queues[@]}"

step "mkfs.ext4, mount, write files"
mkfs.ext4 -q -F "$dev"
mkdir -p /tmp/mnt
mount "$dev" /tmp/mnt
head -c 20M /dev/urandom >/tmp/big.bin
cp /tmp/big.bin /tmp/mnt/big.bin
mkdir /tmp/mnt/small
for i in $(seq 1 200); do
	head -c $((i * 97)) /dev/urandom >"/tmp/mnt/small/f$i"
done
(cd /tmp/mnt && find . -type f -print0 | sort -z | xargs -0 sha256sum) >/tmp/sums
umount /tmp/mnt

step "fsck -f finds it clean"
fsck.ext4 -f -n "$dev"

step "remount: checksums equal"
mount "$dev" /tmp/mnt
(cd /tmp/mnt && sha256sum --quiet -c /tmp/sums)
cmp /tmp/big.bin /tmp/mnt/big.bin
umount /tmp/mnt
echo "ok: $(wc -l </tmp/sums) files intact"

step "fio randrw, crc32c verify, 4 jobs x QD16, counting pops per queue"
bpftrace -e 'BEGIN { printf("ready\n"); }
	tracepoint:uvdev:uvdev_vq_pop { @pops[args->queue] = count(); }' >pops.out 2>&1 &
bt=$!
wait_for 60 "bpftrace to attach" file_has pops.out '^ready'
fio --name=verify --filename="$dev" --direct=1 --ioengine=libaio \
	--rw=randrw --bs=4k --iodepth=16 --numjobs=4 --size=16M \
	--offset_increment=20M --verify=crc32c --verify_fatal=1 \
	--do_verify=1 --group_reporting --output=fio.txt
stop_bpftrace "$bt"
grep -E 'err=|READ:|WRITE:' fio.txt
grep -q 'err= 0' fio.txt || fail "fio reported errors"
cat pops.out
queues=$(grep -c '^@pops\[[0-9]*\]: [1-9]' pops.out || true)
[ "$queues" -ge 2 ] || fail "requests went to $queues queue(s), expected 2"

step "clean shutdown while bound"
stop_backend "$backend"
test ! -e "$dev" || fail "$dev still exists after the backend's clean exit"
unload_module
