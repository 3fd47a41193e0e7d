#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM as its init process, after initramfs/init has mounted the
# host root. Reads the plan the host wrote into the results share and, per
# test case, records its output, exit code, the kernel log it caused and the
# kernel taint, then powers the VM off. In demo mode it runs the demo on the
# console instead.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8

results=/tmp/results
here=$(cd "$(dirname "$0")" && pwd)
export UVDEV_ROOT=${here%/tests/vm}
export UVDEV_BUILD=$(cat "$results/build-dir" 2>/dev/null || echo "$UVDEV_ROOT/build")
export UVDEV_RESULTS=$results
export UVDEV_TIME_SCALE=$(cat "$results/time-scale" 2>/dev/null || echo 1)
kmemleak=/sys/kernel/debug/kmemleak

say() {
	echo "[vm] $*" >/dev/console
}

power_off() {
	sync
	exec /bin/busybox poweroff -f
}

setup() {
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null
	mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
	mkdir -p /dev/pts /dev/shm
	mount -t devpts devpts /dev/pts 2>/dev/null
	mount -t tmpfs tmpfs /dev/shm 2>/dev/null
	ln -sf /proc/self/fd /dev/fd 2>/dev/null
	hostname uvdev-vm
	ulimit -l unlimited
	echo 1 >/proc/sys/kernel/printk_devkmsg 2>/dev/null
}

# kmemleak_scan NAME SINCE: on a kernel with kmemleak, write the leaks found
# since the last scan to NAME.kmemleak and forget them, so that the next
# report holds only new ones. kmemleak reports an object only when it is at
# least 5 s old (MSECS_MIN_AGE in mm/kmemleak.c) and unchanged over two
# scans, so this waits until 5 s (and a margin) after SINCE, the time the
# case ended, and scans twice.
kmemleak_scan() {
	local name=$1 since=$2 left
	[ -e "$kmemleak" ] || return 0
	left=$(awk -v s="$since" -v now="$(date +%s.%N)" 'BEGIN { w = s + 6 - now; printf "%.2f\n", (w > 0 ? w : 0) }')
	sleep "$left"
	if ! { echo scan >"$kmemleak" && echo scan >"$kmemleak"; } 2>"$results/$name.kmemleak"; then
		echo "kmemleak: the scan failed ($(cat "$results/$name.kmemleak")); is kmemleak disabled? see the kernel log" \
			>"$results/$name.kmemleak"
		return 0
	fi
	cat "$kmemleak" >"$results/$name.kmemleak"
	echo clear >"$kmemleak"
}

run_case() {
	local name=$1 timeout=$2 script=$3
	local start end rc pid

	echo "uvdev-vm: begin $name" >/dev/kmsg
	cat /proc/sys/kernel/tainted >"$results/$name.taint-before"
	start=$(date +%s.%N)
	mkdir -p "/tmp/work/$name"
	# timeout runs the case in a process group of its own: whatever the
	# case leaves running is killed with it, so cases cannot leak into
	# each other.
	(cd "/tmp/work/$name" && exec timeout -k 10 "$timeout" bash "$script") \
		</dev/null >"$results/$name.out" 2>&1 &
	pid=$!
	wait "$pid"
	rc=$?
	kill -KILL -- "-$pid" 2>/dev/null
	end=$(date +%s.%N)
	kmemleak_scan "$name" "$end"
	echo "uvdev-vm: end $name rc=$rc" >/dev/kmsg
	dmesg -c >"$results/$name.dmesg" 2>&1
	cat /proc/sys/kernel/tainted >"$results/$name.taint"
	awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", e - s }' >"$results/$name.seconds"
	echo "$rc" >"$results/$name.rc"
	if [ "$rc" -eq 0 ]; then
		say "$name: exit 0 ($(cat "$results/$name.seconds")s)"
	else
		say "$name: exit $rc ($(cat "$results/$name.seconds")s)"
	fi
}

setup
kmemleak_scan boot "$(date +%s.%N)"
dmesg -c >"$results/boot.dmesg" 2>&1

mode=$(cat "$results/mode" 2>/dev/null || echo test)
if [ "$mode" = demo ]; then
	export TERM=${uvdev_term:-vt100}
	stty rows "${uvdev_rows:-24}" cols "${uvdev_cols:-80}" </dev/console 2>/dev/null
	bash "$UVDEV_ROOT/tools/demo/guest-demo.sh" </dev/console >/dev/console 2>&1
	echo "$?" >"$results/demo.rc"
	dmesg -c >"$results/demo.dmesg" 2>&1
	cat /proc/sys/kernel/tainted >"$results/demo.taint"
	power_off
fi

while read -r name timeout script; do
	[ -n "$name" ] || continue
	say "$name: running (timeout ${timeout}s)"
	run_case "$name" "$timeout" "$script"
done <"$results/plan"
power_off
