#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Zero copy. The window's semantics and isolation (tests/vm/bin/zc-test:
# buffer shapes mapped or bounced with the data right, completion ranges
# across the id wrap, EAGAIN, a full window, read-only out-segments,
# faults after push, fork, split/move/grow refused, a backend killed with
# chains mapped leaving no page reference); then uvdev-blk on the
# zero-copy path with real clients: fio verify with 4k..1M requests and
# O_DIRECT, ext4 and fsck, SIGKILL mid-I/O and --attach.
# timeout: 240
. "$UVDEV_ROOT/tests/vm/lib.sh"

load_module
modprobe virtio_blk
modprobe ext4
trap 'show_backends $?' EXIT

step "zero-copy semantics and isolation"
"$UVDEV_BUILD/tests/vm/bin/zc-test" zc0 "${ZC_KILL_CYCLES:-1000}"

step "uvdev-blk --zero-copy always: fio verify, 4k..1M, O_DIRECT"
truncate -s 128M /tmp/zc.img
uvdev-blk --zero-copy always --queues 2 zcb /tmp/zc.img 2>zcb.err &
backend=$!
dev=$(wait_block zcb)
fio --name=zc --filename="$dev" --direct=1 --ioengine=libaio --rw=randrw \
	--bssplit=4k/25:16k/15:64k/20:256k/20:1m/20 --iodepth=8 --numjobs=2 \
	--size=8M --offset_increment=32M --verify=crc32c --verify_fatal=1 \
	--do_verify=1 --group_reporting --output=fio-zc.txt
grep -E 'err=|READ:|WRITE:' fio-zc.txt
grep -q 'err= 0' fio-zc.txt || fail "fio reported errors"

step "ext4, files, fsck -f, checksums"
mkfs.ext4 -q -F "$dev"
mkdir -p /tmp/mnt
mount "$dev" /tmp/mnt
head -c 8M /dev/urandom >/tmp/big.bin
cp /tmp/big.bin /tmp/mnt/big.bin
mkdir /tmp/mnt/small
for i in $(seq 1 60); do
	head -c $((i * 1531)) /dev/urandom >"/tmp/mnt/small/f$i"
done
(cd /tmp/mnt && find . -type f -print0 | sort -z | xargs -0 sha256sum) >/tmp/sums
umount /tmp/mnt
fsck.ext4 -f -n "$dev"
mount "$dev" /tmp/mnt
(cd /tmp/mnt && sha256sum --quiet -c /tmp/sums)
cmp /tmp/big.bin /tmp/mnt/big.bin
umount /tmp/mnt
echo "ok: $(wc -l </tmp/sums) files intact"

step "SIGKILL with chains in flight on the zero-copy path, then --attach"
fio --name=kill --filename="$dev" --direct=1 --ioengine=libaio --rw=write \
	--bs=128k --iodepth=8 --size=24M --verify=crc32c --verify_fatal=1 \
	--do_verify=1 --output=fio-kill.txt &
writer=$!
# shellcheck disable=SC2016 # awk's own $5
wait_for 60 "fio to start writing" awk '{ exit !($5 > 0) }' "/sys/block/${dev#/dev/}/stat"
stop_in_flight "$backend" zcb 200
[ "$held" -gt 0 ] || fail "no chain was in flight at the kill (premise): $(cat fio-kill.txt)"
echo "killing the backend with $held chain(s) in flight (attempt $attempt)"
kill -KILL "$backend"
kill -CONT "$backend" 2>/dev/null || true
wait "$backend" || true
uvdev-blk --zero-copy always --attach zcb /tmp/zc.img 2>zcb2.err &
backend=$!
wait "$writer" || fail "fio failed across the restart: $(tail -n 5 fio-kill.txt)"
grep -q 'err= 0' fio-kill.txt || fail "fio reported errors across the restart"
echo "ok: fio's writes across the kill verified"

step "the backend's counts: requests went through the window"
stop_backend "$backend"
cat zcb2.err
maps=$(sed -n 's/.*zero copy: \([0-9]*\) maps.*/\1/p' zcb2.err)
[ "${maps:-0}" -gt 0 ] || fail "the attached backend mapped nothing"

step "vtop's zero-copy counts equal the backend's"
start_vtop zc.json -o json --no-cost 0.5
truncate -s 16M /tmp/zct.img
uvdev-blk --zero-copy always zct /tmp/zct.img 2>zct.err &
backend=$!
zdev=$(wait_block zct)
"$UVDEV_BUILD/tests/vm/bin/zc-test" --shapes "$zdev" 20
lines=$(wc -l <zc.json)
wait_for 10 "two more vtop samples" bash -c "[ \$(wc -l <zc.json) -ge $((lines + 2)) ]"
queue=$(tail -n 1 zc.json | awk "$JSON_AWK"' { print queue_json($0, "zct", 0) }')
stop_backend "$backend"
stop_vtop
cat zct.err
read -r mapped copied < <(sed -n 's/.*zero copy: [0-9]* maps, \([0-9]*\) pages mapped, \([0-9]*\) pages copied.*/\1 \2/p' zct.err)
if [ "${mapped:-0}" -eq 0 ] || [ "${copied:-0}" -eq 0 ]; then
	fail "the backend did not both map and bounce pages (premise): ${mapped:-?} ${copied:-?}"
fi
expect_eq "pages mapped, vtop vs backend" "$mapped" "$(json_field "$queue" zc_mapped_pages)"
expect_eq "pages copied, vtop vs backend" "$copied" "$(json_field "$queue" zc_copied_pages)"
echo "ok: zero-copy share $((100 * mapped / (mapped + copied))) % both ways"

step "unload"
unload_module
