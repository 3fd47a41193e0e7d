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
UVDEV_BUILD=$(cat "$results/build-dir" 2>/dev/null || echo "$UVDEV_ROOT/build")
export UVDEV_BUILD
export UVDEV_RESULTS=$results
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"
set +e +o pipefail
UVDEV_TIME_SCALE=$(cat "$results/time-scale" 2>/dev/null || echo 1)
export UVDEV_TIME_SCALE
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
	# Report a task stuck in D state after 10 s, not 120: the log gate
	# fails the case on it. Control message waits are killable and are
	# not reported; tests keep message timeouts well under 10 s.
	echo 10 >/proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
	echo 2 >/proc/sys/kernel/hung_task_check_interval_secs 2>/dev/null
	echo -1 >/proc/sys/kernel/hung_task_warnings 2>/dev/null
}

# unload_uvdev NAME: the module must unload after every case (no device,
# fd or work item may outlive it), so the next case starts from a fresh
# load. The case's processes were just killed: their fds close as they
# exit, so retry for up to 10 s.
unload_uvdev() {
	local name=$1
	[ -d /sys/module/uvdev ] || return 0
	for _ in $(seq 100); do
		rmmod uvdev 2>/dev/null && return 0
		sleep 0.1
	done
	echo "uvdev did not unload after the case: $(rmmod uvdev 2>&1)" >"$results/$name.unload"
}

# A vtop watches every case (unless its header says "# vtop-watch: off"),
# with limits well above a healthy device's worst pause under TCG and no
# self-cost measurement (it patches kernel code, twice an interval): a
# failure state it shows that the case does not declare it induces
# ("# vtop-induces: stalled,broken") is a false alarm, and fails the case.
watch_limits=(--stall-ms 5000 --irq-ms 5000 --no-cost)

start_watch() {
	local name=$1
	insmod "$UVDEV_BUILD/modules/uvdev.ko" 2>"$results/$name.watch.err" || return 0
	"$UVDEV_BUILD/tools/vtop/vtop" -o json "${watch_limits[@]}" 1 \
		>"$results/$name.watch.json" 2>>"$results/$name.watch.err" </dev/null &
	echo $! >/tmp/watch.pid
	for _ in $(seq 600); do
		grep -q '^vtop: attached' "$results/$name.watch.err" && return 0
		kill -0 "$(cat /tmp/watch.pid)" 2>/dev/null || break
		sleep 0.1
	done
	echo "the watching vtop did not attach: $(tail -n 3 "$results/$name.watch.err")" \
		>"$results/$name.watch"
}

# judge_watch NAME SCRIPT: after the watcher stopped (lib.sh stops it
# before the module goes; stop_watch here otherwise).
judge_watch() {
	local name=$1 script=$2 allowed state line
	[ -f "$results/$name.watch.json" ] || return 0
	allowed=$(sed -n 's/^# vtop-induces: *//; T; p; q' "$script")
	for state in stalled irq-lost broken needs-reset notif-stalled; do
		case ",$allowed," in *",$state,"*) continue ;; esac
		line=$(grep -m 1 "\"state\":\"$state\"" "$results/$name.watch.json") || continue
		echo "vtop showed $state, which the case does not induce: ${line:0:300}" \
			>>"$results/$name.watch"
	done
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

# dump_before_timeout NAME PGID TIMEOUT: a timer; 5 s before the case's
# timeout, write where each task of its process group waits (its kernel
# stack) to NAME.stacks, for the host to show with the timeout.
dump_before_timeout() {
	local name=$1 pgid=$2 at=$(( $3 > 10 ? $3 - 5 : $3 / 2 )) tasks p
	sleep "$at" || return 0
	tasks=$(ps -eo pid,pgid,stat,wchan:32,args | awk -v g="$pgid" 'NR == 1 || $2 == g')
	{
		echo "$tasks"
		awk 'NR > 1 { print $1 }' <<<"$tasks" | while read -r p; do
			echo "--- $p: $(tr '\0' ' ' <"/proc/$p/cmdline")"
			cat "/proc/$p/stack"
		done
	} >"$results/$name.stacks" 2>&1
}

run_case() {
	local name=$1 timeout=$2 script=$3
	local start end rc pid dumper

	echo "uvdev-vm: begin $name" >/dev/kmsg
	cat /proc/sys/kernel/tainted >"$results/$name.taint-before"
	if ! grep -q '^# vtop-watch: *off' "$script"; then
		start_watch "$name"
	fi
	start=$(date +%s.%N)
	mkdir -p "/tmp/work/$name"
	# timeout runs the case in a process group of its own: whatever the
	# case leaves running is killed with it, so cases cannot leak into
	# each other.
	(cd "/tmp/work/$name" && exec timeout -k 10 "$timeout" bash "$script") \
		</dev/null >"$results/$name.out" 2>&1 &
	pid=$!
	dump_before_timeout "$name" "$pid" "$timeout" &
	dumper=$!
	wait "$pid"
	rc=$?
	pkill -P "$dumper" -x sleep || true	# the timer; a dump under way finishes
	wait "$dumper" || true
	kill -KILL -- "-$pid" 2>/dev/null
	stop_watch
	judge_watch "$name" "$script"
	unload_uvdev "$name"
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
