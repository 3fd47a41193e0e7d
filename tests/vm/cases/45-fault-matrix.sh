#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fault matrix: a backend misbehaves (absent, closed, exited, killed,
# stopped, never pops, pops and never pushes, answers garbage, its buffer on
# a userfaultfd page never served) at a moment (probe: the partition scan's
# first read; under fio load; at the RESET of an unbind or destroy; at the
# VQ_READY of a probe), and destroy, unbind or rmmod must return within the
# device's message timeout plus a bound. Where the device breaks, fio ends
# with errors instead of hanging and later requests fail at once; a backend
# that comes back (uvdev-blk --attach) completes what was in flight and loses
# nothing acknowledged. Every cell first checks its premise (the kernel's
# view of the queue, the task really in the probe or in userfaultfd), then
# adds a row to the table printed at the end: cell, operation, ms, expected,
# outcome.
#
# Timing: the ms of an operation are the kernel's, from kprobes on the
# function that does it (uvdev_destroy_device, device_driver_detach,
# virtio_blk's cache_type_store), and for rmmod around its delete_module(2)
# call (the unload resets the trace): on a loaded host under TCG, starting
# a process alone can take seconds. A cell where the device must
# break at the deadline runs with msg_timeout_ms T_MS (1500) and must take
# T_MS .. T_MS + GRACE_MS + SLACK_MS, less 5 % below: the kernel's timers count jiffies
# and the trace clock is another clock, 1 % apart under TCG here. SLACK_MS (5000) is the driver's own removal once
# the device broke (failing the requests, del_gendisk, the reset, freeing the
# rings): 0..800 ms measured here, with fio running, under TCG on a 2-core
# host at load 2..13, where a healthy destroy took 50..300 ms. A cell where the operation must not wait runs with
# LONG_MS (30000) and must take under FAST_MS (5000): waiting for the timeout
# would take 30 s, so the generous bound hides nothing. An operation whose
# end does not come within HANG_MS of its start is recorded as hung and the
# device is destroyed to recover.
#
# Cells not run, and why:
# - no-pop, no-push, uffd at reset or vq-ready: the rings are empty there
#   (virtio_blk drains before it resets; no chain exists before VQ_READY is
#   answered), so they would be the healthy cell again.
# - every ring fault x rmmod: rmmod fails with EBUSY while any backend holds
#   a device fd, whatever it does; the stop cell shows it, and the no-backend
#   cell shows rmmod destroying devices left in each no-backend state.
# - unbind during a stuck probe runs once (stop at probe): the other faults
#   at probe block the probe the same way.
# - exit and SIGKILL are the same to the kernel (the exit releases the fd):
#   exit at probe, under load and at reset, and SIGKILL under load before a
#   restart (kill@load-attach) cover both.
# - stop under load x unbind: stop at reset x unbind and the other load x
#   unbind cells cover it.
# timeout: 900
# vtop-induces: stalled,broken
. "$UVDEV_ROOT/tests/vm/lib.sh"

T_MS=1500
T_LOW_MS=$((T_MS * 95 / 100))
# The driver's deadline on a probe or a removal: a second past the timeout,
# so that a control message timing out first is named as the cause.
GRACE_MS=1000
# Probe cells give the stuck probe longer, so the operation starts while it
# is still stuck; the probe's own deadline, armed when it began, then ends
# both: the operation takes at most T_PROBE_MS + GRACE_MS (+ SLACK_MS).
T_PROBE_MS=5000
LONG_MS=30000
FAST_MS=5000
SLACK_MS=5000
HANG_MS=$((T_PROBE_MS + GRACE_MS + SLACK_MS + 2000))
FIO_MS=15000
FB=$TESTBIN/fault-backend
TRACE=/sys/kernel/tracing
[ -x "$FB" ] || fail "$FB missing: make $FB"

echo 10 >/proc/sys/kernel/hung_task_timeout_secs
load_module
modprobe virtio_blk

# ---- without starting processes (each costs up to seconds under TCG) --------

exec {nap_fd}<> <(:)
nap() {
	read -rt 0.05 -u "$nap_fd" || true
}

# now: milliseconds, into $now.
now_ms() {
	now=$(( ${EPOCHREALTIME/./} / 1000 ))
}

# has_line FILE ERE: a line of FILE matches ERE.
has_line() {
	local l
	[ -r "$1" ] || return 1
	while IFS= read -r l; do
		[[ $l =~ $2 ]] && return 0
	done <"$1"
	return 1
}

# poll SECONDS WHAT COMMAND...: like wait_for (the time scale too), without a
# process per round.
poll() {
	local limit=$(( $1 * ${UVDEV_TIME_SCALE:-1} )) what=$2 deadline
	shift 2
	now_ms
	deadline=$((now + limit * 1000))
	until "$@"; do
		now_ms
		[ "$now" -lt "$deadline" ] || fail "timed out after ${limit}s waiting for $what"
		nap
	done
}

attr() {
	local v=""
	read -r v <"/sys/class/uvdev/$1/$2" 2>/dev/null || true
	echo "$v"
}

# ---- timing in the kernel ------------------------------------------------------

# At exit: what the backends said if the case failed; then nothing of it
# stays: a device left with no backend and a request in flight would block
# every later sync for good (as it waits for a backend to come back).
cleanup() {
	local rc=$? d
	show_backends "$rc"
	jobs -p | xargs -r kill -KILL 2>/dev/null || true
	for d in /sys/class/uvdev/*; do
		[ -e "$d" ] && uvdevctl destroy "${d##*/}"
	done
	echo 0 >"$TRACE/events/fmatrix/enable" 2>/dev/null || true
	echo >"$TRACE/kprobe_events" 2>/dev/null || true
	echo local >"$TRACE/trace_clock" 2>/dev/null || true
}
trap cleanup EXIT
for p in 'destroy uvdev_destroy_device' 'unbind device_driver_detach' \
	 'config virtio_blk:cache_type_store'; do
	read -r op func <<<"$p"
	echo "p:fmatrix/begin_$op $func" >>"$TRACE/kprobe_events"
	echo "r:fmatrix/end_$op $func" >>"$TRACE/kprobe_events"
done
echo mono >"$TRACE/trace_clock"
echo 1 >"$TRACE/events/fmatrix/enable"

# trace_ts OP PID begin|end: the kernel traced that event for PID; sets
# $ts to its time in microseconds (the first begin, the last end).
trace_ts() {
	local l re="-$2 +\\[[0-9]+\\] [^ ]+ +([0-9]+)\\.([0-9]{6}): $3_$1:"
	ts=""
	while IFS= read -r l; do
		[[ $l =~ $re ]] || continue
		ts=$((10#${BASH_REMATCH[1]} * 1000000 + 10#${BASH_REMATCH[2]}))
		[ "$3" = end ] || break
	done <"$TRACE/trace"
	[ -n "$ts" ]
}

# ---- cells -------------------------------------------------------------------

table=$PWD/matrix.txt
printf '%-24s %-9s %7s  %-10s %s\n' cell operation ms expected outcome >"$table"
failed_cells=0

cell_begin() {
	cell=$1
	cell_errors=""
	now_ms
	cell_start=$now
	fb_pid=""
	fio_pid=""
	op_ms="-"
	echo
	echo "== cell $cell"
}

# bad MESSAGE: the cell fails (it goes on, so the table is complete).
bad() {
	echo "FAIL ($cell): $*"
	cell_errors+="${cell_errors:+; }$*"
}

# cell_end OPERATION EXPECTED: one row of the table.
cell_end() {
	local outcome=ok
	if [ -n "$cell_errors" ]; then
		outcome="FAIL: $cell_errors"
		failed_cells=$((failed_cells + 1))
	fi
	printf '%-24s %-9s %7s  %-10s %s\n' "$cell" "$1" "$op_ms" "$2" "$outcome" >>"$table"
	now_ms
	echo "-- $cell: $1 $op_ms ms, expected $2: $outcome (cell: $(( (now - cell_start) / 1000 )) s)"
}

# ---- backends ----------------------------------------------------------------

# fb NAME MODE MOMENT TIMEOUT_MS: start fault-backend on /tmp/NAME.img.
fb() {
	local at=()
	[ "$3" = - ] || at=(--at "$3")
	"$FB" --mode "$2" "${at[@]}" --timeout-ms "$4" "$1" "/tmp/$1.img" 2>"$1.err" &
	fb_pid=$!
	poll 60 "fault-backend $1 to serve" has_line "$1.err" ': serving '
}

# premise_line NAME: wait for the backend's fault line and show it.
premise_line() {
	poll 30 "$1's fault" has_line "$1.err" ': fault: '
	grep -E ': fault: ' "$1.err"
}

# pid_exits PID MS: does PID end within MS (times the VM's time scale)? Sets pid_rc.
pid_exits() {
	local deadline
	now_ms
	deadline=$((now + $2 * ${UVDEV_TIME_SCALE:-1}))
	pid_rc=running
	while kill -0 "$1" 2>/dev/null; do
		now_ms
		[ "$now" -lt "$deadline" ] || return 1
		nap
	done
	pid_rc=0
	wait "$1" || pid_rc=$?
}

# fb_end RC: the backend exits with RC ("killed": SIGKILL it first,
# "cont:RC": SIGCONT it first).
fb_end() {
	local want=$1
	[ -n "$fb_pid" ] || return 0
	case $want in
	killed) kill -KILL "$fb_pid"; want=137 ;;
	cont:*) kill -CONT "$fb_pid"; want=${want#cont:} ;;
	esac
	if ! pid_exits "$fb_pid" 20000; then
		bad "the backend did not exit"
		kill -KILL "$fb_pid"
		wait "$fb_pid" || true
	elif [ "$pid_rc" != "$want" ]; then
		bad "the backend exited with $pid_rc, expected $want"
	fi
	fb_pid=""
}

# ---- the kernel's view -------------------------------------------------------

# qstate NAME: queue 0 as uvdevctl status shows it: q_flags, q_pending,
# q_inflight.
qstate() {
	local q flags pending inflight
	q_flags=gone q_pending=0 q_inflight=0
	while read -r q _ flags pending _ inflight _; do
		[ "$q" = 0 ] || continue
		q_flags=$flags q_pending=$pending q_inflight=$inflight
	done < <(uvdevctl status "$1" 2>/dev/null || true)
}

pending_ge() {
	qstate "$1"
	[ "$q_pending" -ge "$2" ]
}

inflight_ge() {
	qstate "$1"
	[ "$q_inflight" -ge "$2" ]
}

waiting_ge() {
	qstate "$1"
	[ $((q_pending + q_inflight)) -ge "$2" ]
}

# show_state NAME: the premise as the kernel sees it, on the case's output.
show_state() {
	qstate "$1"
	echo "premise ($1): flags $q_flags, $q_pending pending, $q_inflight in flight"
}

# in_stack FUNCTION [PID]: is a task (or PID) inside FUNCTION in the kernel?
in_stack() {
	if [ -n "${2:-}" ]; then
		grep -qs "$1" /proc/"$2"/stack
	else
		grep -qs "$1" /proc/[0-9]*/stack
	fi
}

has_backend() {
	[ "$(attr "$1" backend)" = 1 ]
}

is_broken() {
	[ "$(attr "$1" broken)" = 1 ]
}

# broke_for NAME: the reason the kernel log gives for NAME breaking, if any.
broke_for() {
	dmesg | sed -n "s/.*uvdev $1: \\(.*\\): device broken.*/\\1/p"
}

expect_broke() {
	local why
	why=$(broke_for "$1")
	if [ -z "$why" ]; then
		bad "the kernel log says nothing of $1 breaking"
	elif [[ $why != *"$2"* ]]; then
		bad "$1 broke for another reason: $why"
	else
		echo "ok: $1 broke: $why"
	fi
}

expect_not_broken() {
	local why
	why=$(broke_for "$1")
	[ -z "$why" ] || bad "$1 broke: $why"
}

expect_gone() {
	if [ -e "/sys/class/uvdev/$1" ] || [ -e "/dev/uvdev/$1" ]; then
		bad "$1 still exists"
	fi
}

vdev_of() {
	local d
	for d in /sys/class/uvdev/"$1"/virtio*; do
		echo "${d##*/}"
	done
}

# ---- load --------------------------------------------------------------------

ios_done() {
	local s
	read -r -a s <"/sys/block/$1/stat"
	echo $(( s[0] + s[4] ))
}

ios_ge() {
	[ "$(ios_done "$1")" -ge "$2" ]
}

# start_fio NAME DEV: QD32 random read/write, direct; returns once I/O flows.
start_fio() {
	local disk=${2#/dev/} base
	base=$(ios_done "$disk")
	fio --name="$1" --filename="$2" --direct=1 --ioengine=libaio --iodepth=32 \
		--rw=randrw --bs=4k --time_based --runtime=120 \
		--clocksource=clock_gettime >"$1.fio" 2>&1 &
	fio_pid=$!
	cell_fio=$1.fio
	poll 120 "fio to load $2" ios_ge "$disk" $((base + 64))
}

# fio_end errors|any: fio ends within FIO_MS of the operation's end, with
# I/O errors, or either way.
fio_end() {
	[ -n "$fio_pid" ] || return 0
	if ! pid_exits "$fio_pid" $FIO_MS; then
		bad "fio still running ${FIO_MS} ms after the operation"
		kill -KILL "$fio_pid"
		wait "$fio_pid" || true
	elif [ "$1" = errors ]; then
		if [ "$pid_rc" -ne 0 ] && has_line "$cell_fio" 'Input/output error'; then
			echo "ok: fio ended with I/O errors"
		else
			bad "fio exited $pid_rc without I/O errors"
		fi
	fi
	fio_pid=""
}

# ---- operations --------------------------------------------------------------

dump_blocked() {
	local t st
	for t in /proc/[0-9]*; do
		read -r -a st <"$t/stat" 2>/dev/null || continue
		[ "${st[2]}" = D ] || continue
		echo "blocked: $(<"$t/comm") ($t):"
		sed 's/^/    /' "$t/stack" 2>/dev/null || true
	done
}

read_kpid() {
	[ -s "$cell.pid" ] && read -r kpid <"$cell.pid"
}

# run_op OP NAME: destroy, unbind, rmmod, or config (a SET_CONFIG message
# through virtio_blk's cache_type) on NAME. Sets op_rc, op_ms (the kernel's
# time) and op_hung when its end did not come within HANG_MS of its start.
run_op() {
	local deadline begin_us ts cmd kpid=""
	case $1 in
	destroy) cmd="exec uvdevctl destroy $2" ;;
	rmmod) cmd="exec rmmod uvdev" ;;
	unbind) cmd="echo $(vdev_of "$2") >/sys/bus/virtio/drivers/virtio_blk/unbind" ;;
	config)
		cmd=$(uvdev_block "$2")
		cmd="echo 'write through' >/sys/block/${cmd#/dev/}/cache_type" ;;
	esac
	if [ "$1" = rmmod ]; then
		run_rmmod
		return
	fi
	echo >"$TRACE/trace"
	rm -f "$cell.pid"
	# The process that enters the kernel says who it is, then does it.
	( echo "$BASHPID" >"$cell.pid"; eval "$cmd" ) >"$cell.op" 2>&1 &
	op_pid=$!
	op_hung=0
	op_rc=""
	poll 60 "$1 to start" read_kpid
	# Starting a process may take long; the clock starts in the kernel.
	poll 60 "$1 to start" trace_ts "$1" "$kpid" begin
	begin_us=$ts
	now_ms
	deadline=$((now + HANG_MS))
	until trace_ts "$1" "$kpid" end; do
		now_ms
		if [ "$now" -ge "$deadline" ]; then
			op_hung=1
			op_ms=hung
			echo "$1 $2: no end after $HANG_MS ms"
			dump_blocked
			return
		fi
		nap
	done
	op_ms=$(( (ts - begin_us) / 1000 ))
	pid_exits "$op_pid" 60000 || fail "$1 ended in the kernel but its process did not exit"
	op_rc=$pid_rc
	echo "$1 $2: rc $op_rc, $op_ms ms in the kernel"
}

# run_rmmod: run_op's rmmod. Unloading a module with events resets the
# trace, so the kprobes cannot time it: delete-module times its own
# delete_module(2) call (what rmmod does), from the call, not from the
# process's start.
run_rmmod() {
	local deadline
	op_hung=0
	op_rc=""
	"$TESTBIN/delete-module" uvdev >"$cell.op" 2>&1 &
	op_pid=$!
	poll 60 "rmmod to start" has_line "$cell.op" '^calling$'
	now_ms
	deadline=$((now + HANG_MS))
	until has_line "$cell.op" '^rc '; do
		now_ms
		if [ "$now" -ge "$deadline" ]; then
			op_hung=1
			op_ms=hung
			echo "rmmod: no end after $HANG_MS ms"
			dump_blocked
			return
		fi
		nap
	done
	read -r _ op_rc _ _ _ op_ms < <(grep '^rc ' "$cell.op")
	pid_exits "$op_pid" 60000 || fail "rmmod ended but delete-module did not exit"
	echo "rmmod: rc $op_rc, $op_ms ms in the kernel"
}

expect_fast() {
	if ! [[ $op_ms =~ ^[0-9]+$ ]]; then
		bad "$1: no time measured ($op_ms)"
	elif [ "$op_hung" = 1 ]; then
		bad "$1 still running after $HANG_MS ms"
	elif [ "$op_ms" -ge $FAST_MS ]; then
		bad "$1 took $op_ms ms, not under $FAST_MS (timeout $LONG_MS)"
	fi
}

expect_deadline() {
	if [ "$op_hung" = 1 ]; then
		bad "$1 still running after $HANG_MS ms (timeout $T_MS)"
	elif ! [[ $op_ms =~ ^[0-9]+$ ]]; then
		bad "$1: no time measured ($op_ms)"
	elif [ "$op_ms" -lt $T_LOW_MS ] || [ "$op_ms" -gt $((T_MS + GRACE_MS + SLACK_MS)) ]; then
		bad "$1 took $op_ms ms, not $T_LOW_MS..$((T_MS + GRACE_MS + SLACK_MS))"
	fi
}

# expect_probe_deadline OP: OP began during a stuck probe, whose deadline
# runs from the probe's start: no lower bound, the same upper one.
expect_probe_deadline() {
	if [ "$op_hung" = 1 ]; then
		bad "$1 still running after $HANG_MS ms (timeout $T_PROBE_MS)"
	elif ! [[ $op_ms =~ ^[0-9]+$ ]]; then
		bad "$1: no time measured ($op_ms)"
	elif [ "$op_ms" -gt $((T_PROBE_MS + GRACE_MS + SLACK_MS)) ]; then
		bad "$1 took $op_ms ms, more than $((T_PROBE_MS + GRACE_MS + SLACK_MS))"
	fi
}

expect_rc0() {
	[ "$op_hung" = 1 ] || [ "$op_rc" = 0 ] || bad "$1 failed ($op_rc): $(<"$cell.op")"
}

# recover NAME: after a hung operation, destroy the device (it arms the
# deadline that unblocks the operation), then wait for both.
recover() {
	echo "recovering: destroying $1 under the hung operation"
	uvdevctl destroy "$1" &
	local d=$!
	pid_exits "$d" 30000 || bad "destroy to recover hung too"
	pid_exits "$op_pid" 30000 || bad "the hung operation did not end after destroy"
}

# destroy_after NAME: destroy an unbound or broken device: fast.
destroy_after() {
	local rc=0 ms
	run_op destroy "$1"
	rc=$op_rc ms=$op_ms
	[ "$rc" = 0 ] || bad "destroy after the operation failed ($rc)"
	if [ "$op_hung" = 1 ] || [ "$ms" -ge $FAST_MS ]; then
		bad "destroy after the operation took $ms ms"
	fi
	expect_gone "$1"
}

# ---- the matrix --------------------------------------------------------------

# A backend serving: what is in flight completes, nothing breaks.
cell_begin healthy-destroy
fb h1 none - $LONG_MS
dev=$(wait_block h1)
start_fio h1 "$dev"
run_op destroy h1
expect_rc0 destroy; expect_fast destroy; expect_not_broken h1; expect_gone h1
fio_end any
fb_end 0
cell_end destroy fast

cell_begin healthy-unbind
fb h2 none - $LONG_MS
wait_block h2 >/dev/null
run_op unbind h2
expect_rc0 unbind; expect_fast unbind; expect_not_broken h2
saved=$op_ms
destroy_after h2
op_ms=$saved
fb_end 0
cell_end unbind fast

# No backend ever.
cell_begin never-opened
uvdevctl create n1 --device-id 2 --timeout-ms $LONG_MS >/dev/null
run_op destroy n1
expect_rc0 destroy; expect_fast destroy; expect_gone n1
cell_end destroy fast

# The backend exits with the partition scan's read popped: destroy breaks
# the device at once, the read fails, the probe ends, the removal runs.
cell_begin exit@probe
fb e1 exit probe $LONG_MS
premise_line e1
fb_end 4
show_state e1
[ "$q_inflight" -ge 1 ] || bad "premise: no chain in flight after the exit"
has_backend e1 && bad "premise: a backend still holds e1"
in_stack virtblk_probe || bad "premise: no probe in progress"
run_op destroy e1
expect_rc0 destroy; expect_fast destroy; expect_broke e1 'no backend'; expect_gone e1
cell_end destroy fast

# The backend closes its fd under load, chains in flight: destroy is at once.
cell_begin close@load-destroy
fb c1 close sigusr1 $LONG_MS
dev=$(wait_block c1)
start_fio c1 "$dev"
kill -USR1 "$fb_pid"
premise_line c1
show_state c1
[ "$q_inflight" -ge 1 ] || bad "premise: no chain in flight after the close"
has_backend c1 && bad "premise: a backend still holds c1"
run_op destroy c1
expect_rc0 destroy; expect_fast destroy; expect_broke c1 'no backend'; expect_gone c1
fio_end errors
kill -TERM "$fb_pid"; fb_end 0
cell_end destroy fast

# The backend exits under load, chains in flight; unbind is bounded by the
# deadline (unbind waits for a backend that may come back; destroy does not).
cell_begin exit@load-unbind
fb e2 exit sigusr1 $T_MS
dev=$(wait_block e2)
start_fio e2 "$dev"
kill -USR1 "$fb_pid"
premise_line e2
fb_end 4
show_state e2
[ "$q_inflight" -ge 1 ] || bad "premise: no chain in flight after the exit"
run_op unbind e2
expect_rc0 unbind; expect_deadline unbind
is_broken e2 || bad "e2 not broken after the unbind"
expect_broke e2 'did not finish within'
fio_end errors
saved=$op_ms
destroy_after e2
op_ms=$saved
cell_end unbind deadline

# The backend stops at the partition scan's read, during the probe.
cell_begin stop@probe-destroy
fb s1 stop probe $T_PROBE_MS
premise_line s1
poll 10 "s1's request pending" pending_ge s1 1
show_state s1
in_stack virtblk_probe || bad "premise: no probe in progress"
run_op destroy s1
expect_rc0 destroy; expect_probe_deadline destroy; expect_broke s1 'did not finish within'
expect_gone s1
fb_end cont:3
cell_end destroy deadline

# Unbind during the same stuck probe. unbind_store waits for the device
# lock, which the probe holds, before the driver core tells anyone.
cell_begin stop@probe-unbind
fb s2 stop probe $T_PROBE_MS
premise_line s2
poll 10 "s2's request pending" pending_ge s2 1
show_state s2
in_stack virtblk_probe || bad "premise: no probe in progress"
run_op unbind s2
if [ "$op_hung" = 1 ]; then
	bad "unbind during a probe stuck on a request never breaks the device"
	is_broken s2 && bad "s2 broke, yet the unbind hangs"
	recover s2
	expect_gone s2
else
	expect_rc0 unbind; expect_probe_deadline unbind
	is_broken s2 || bad "s2 not broken after the unbind"
	saved=$op_ms
	destroy_after s2
	op_ms=$saved
fi
fb_end cont:3
cell_end unbind deadline

# Stopped under load.
cell_begin stop@load-destroy
fb s3 stop sigusr1 $T_MS
dev=$(wait_block s3)
start_fio s3 "$dev"
kill -USR1 "$fb_pid"
premise_line s3
poll 10 "requests pending on s3" pending_ge s3 1
show_state s3
run_op destroy s3
expect_rc0 destroy; expect_deadline destroy; expect_broke s3 'did not finish within'
expect_gone s3
fio_end errors
fb_end cont:3
cell_end destroy deadline

# Stopped at the RESET that removal sends once it has drained the rings.
cell_begin stop@reset-destroy
fb s5 stop reset $T_MS
wait_block s5 >/dev/null
run_op destroy s5
premise_line s5
expect_rc0 destroy; expect_deadline destroy; expect_broke s5 'within'
expect_gone s5
fb_end cont:3
cell_end destroy deadline

cell_begin stop@reset-unbind
fb s6 stop reset $T_MS
wait_block s6 >/dev/null
run_op unbind s6
premise_line s6
expect_rc0 unbind; expect_deadline unbind
is_broken s6 || bad "s6 not broken after the unbind"
saved=$op_ms
destroy_after s6
op_ms=$saved
fb_end cont:3
cell_end unbind deadline

# Stops popping: the partition scan's read stays in the ring.
cell_begin no-pop@probe-destroy
fb p1 no-pop probe $T_PROBE_MS
premise_line p1
poll 10 "p1's request pending" pending_ge p1 1
show_state p1
in_stack virtblk_probe || bad "premise: no probe in progress"
run_op destroy p1
expect_rc0 destroy; expect_probe_deadline destroy; expect_broke p1 'did not finish within'
expect_gone p1
fb_end 3
cell_end destroy deadline

cell_begin no-pop@load-unbind
fb p2 no-pop sigusr1 $T_MS
dev=$(wait_block p2)
start_fio p2 "$dev"
kill -USR1 "$fb_pid"
premise_line p2
poll 10 "requests pending on p2" pending_ge p2 1
show_state p2
run_op unbind p2
expect_rc0 unbind; expect_deadline unbind
is_broken p2 || bad "p2 not broken after the unbind"
fio_end errors
saved=$op_ms
destroy_after p2
op_ms=$saved
fb_end 3
cell_end unbind deadline

# Pops and never pushes.
cell_begin no-push@probe-destroy
fb u1 no-push probe $T_PROBE_MS
premise_line u1
poll 10 "u1's request in flight" inflight_ge u1 1
show_state u1
in_stack virtblk_probe || bad "premise: no probe in progress"
run_op destroy u1
expect_rc0 destroy; expect_probe_deadline destroy; expect_broke u1 'did not finish within'
expect_gone u1
fb_end 3
cell_end destroy deadline

cell_begin no-push@load-destroy
fb u2 no-push sigusr1 $T_MS
dev=$(wait_block u2)
start_fio u2 "$dev"
kill -USR1 "$fb_pid"
premise_line u2
poll 10 "requests in flight on u2" inflight_ge u2 1
show_state u2
run_op destroy u2
expect_rc0 destroy; expect_deadline destroy; expect_broke u2 'did not finish within'
expect_gone u2
fio_end errors
fb_end 3
cell_end destroy deadline

# Answers garbage: malformed pushes and replies, each refused.
cell_begin garbage@probe-destroy
fb g1 garbage probe $T_PROBE_MS
premise_line g1
has_line g1.err 'malformed pushes, [1-9][0-9]* refused' || bad "premise: no malformed push refused"
show_state g1
[ "$q_inflight" -ge 1 ] || bad "premise: no chain in flight"
run_op destroy g1
expect_rc0 destroy; expect_probe_deadline destroy; expect_broke g1 'did not finish within'
expect_gone g1
fb_end 3
cell_end destroy deadline

cell_begin garbage@load-unbind
fb g2 garbage sigusr1 $T_MS
dev=$(wait_block g2)
start_fio g2 "$dev"
kill -USR1 "$fb_pid"
premise_line g2
poll 10 "requests in flight on g2" inflight_ge g2 1
show_state g2
run_op unbind g2
expect_rc0 unbind; expect_deadline unbind
is_broken g2 || bad "g2 not broken after the unbind"
fio_end errors
saved=$op_ms
destroy_after g2
op_ms=$saved
fb_end 3
cell_end unbind deadline

cell_begin garbage@reset-unbind
fb g3 garbage reset $T_MS
wait_block g3 >/dev/null
run_op unbind g3
premise_line g3
has_line g3.err 'malformed replies, 5 refused' || bad "premise: the 5 malformed replies were not all refused"
expect_rc0 unbind; expect_deadline unbind
is_broken g3 || bad "g3 not broken after the unbind"
saved=$op_ms
destroy_after g3
op_ms=$saved
fb_end 3
cell_end unbind deadline

# Its buffer on a userfaultfd page nobody serves: the backend blocks inside
# XFER, holding no lock the removal needs.
cell_begin uffd@load-destroy
fb f1 uffd sigusr1 $T_MS
dev=$(wait_block f1)
start_fio f1 "$dev"
kill -USR1 "$fb_pid"
premise_line f1
poll 10 "f1's backend to block in userfaultfd" in_stack handle_userfault "$fb_pid"
show_state f1
[ "$q_inflight" -ge 1 ] || bad "premise: no chain in flight"
run_op destroy f1
expect_rc0 destroy; expect_deadline destroy; expect_broke f1 'did not finish within'
expect_gone f1
fio_end errors
fb_end killed
cell_end destroy deadline

cell_begin uffd@probe-destroy
fb f2 uffd probe $T_PROBE_MS
premise_line f2
poll 10 "f2's backend to block in userfaultfd" in_stack handle_userfault "$fb_pid"
show_state f2
in_stack virtblk_probe || bad "premise: no probe in progress"
run_op destroy f2
expect_rc0 destroy; expect_probe_deadline destroy; expect_broke f2 'did not finish within'
expect_gone f2
fb_end killed
cell_end destroy deadline

# Gone at the RESET: destroy breaks at once (no backend can come back);
# unbind waits for one, up to the deadline.
cell_begin exit@reset-destroy
fb x1 exit reset $LONG_MS
wait_block x1 >/dev/null
run_op destroy x1
premise_line x1
expect_rc0 destroy; expect_fast destroy
expect_broke x1 'closed the device while it was destroyed'
expect_gone x1
fb_end 4
cell_end destroy fast

cell_begin close@reset-unbind
fb x2 close reset $T_MS
wait_block x2 >/dev/null
run_op unbind x2
premise_line x2
expect_rc0 unbind; expect_deadline unbind
is_broken x2 || bad "x2 not broken after the unbind"
saved=$op_ms
destroy_after x2
op_ms=$saved
kill -TERM "$fb_pid"; fb_end 0
cell_end unbind deadline

# A message read and not answered by a backend that exits is queued again:
# the next backend answers it and the probe completes, well before the
# timeout.
cell_begin exit@vq-ready-attach
fb q1 exit vq-ready $LONG_MS
premise_line q1
has_line q1.err 'VQ_READY\) read and not answered' || bad "premise: VQ_READY not read"
fb_end 4
has_backend q1 && bad "premise: a backend still holds q1"
is_broken q1 && bad "premise: q1 broken before the attach"
in_stack virtblk_probe || bad "premise: no probe in progress"
uvdev-blk --attach q1 /tmp/q1.img 2>q1b.err &
fb_pid=$!
now_ms; t0=$now
poll 60 "uvdev-blk to attach" has_backend q1
dev=$(wait_block q1)
now_ms; op_ms=$((now - t0))
echo "the probe completed $op_ms ms after the attach"
[ "$op_ms" -lt $FAST_MS ] || bad "the probe took $op_ms ms after the attach"
dd if="$dev" of=/dev/null bs=64k count=16 iflag=direct status=none || bad "reading $dev failed"
expect_not_broken q1
stop_backend "$fb_pid"; fb_pid=""
expect_gone q1
cell_end attach fast

# ... and with no backend coming back, it times out (uvdev_msg_done says
# after how long) and the device breaks.
cell_begin exit@vq-ready-alone
echo >"$TRACE/trace"
echo 1 >"$TRACE/events/uvdev/uvdev_msg_done/enable"
fb q2 exit vq-ready $T_MS
premise_line q2
fb_end 4
poll 30 "q2 to break" is_broken q2
echo 0 >"$TRACE/events/uvdev/uvdev_msg_done/enable"
op_ms=$(sed -n "s/.* uvdev_msg_done: dev=$(attr q2 dev_id) .*result=timeout latency_ns=\([0-9]*\)[0-9]\{6\}$/\1/p" \
	"$TRACE/trace")
echo "q2's message timed out after ${op_ms:-?} ms"
if [ -z "$op_ms" ]; then
	bad "no message of q2 timed out"
	op_ms=-
elif [ "$op_ms" -lt $T_LOW_MS ] || [ "$op_ms" -gt $((T_MS + GRACE_MS + SLACK_MS)) ]; then
	bad "q2's message timed out after $op_ms ms"
fi
expect_broke q2 'did not answer message'
saved=$op_ms
destroy_after q2
op_ms=$saved
cell_end message deadline

# A broken device fails every request: those in the rings and those added
# later. The next control message (SET_CONFIG, from virtio_blk's cache_type)
# breaks it, with the backend stopped or gone, while fio runs; the disk
# stays.
for mode in stop close; do
	name=w${mode:0:1}
	cell_begin "$mode@load-config"
	fb "$name" "$mode" sigusr1 $T_MS
	dev=$(wait_block "$name")
	start_fio "$name" "$dev"
	kill -USR1 "$fb_pid"
	premise_line "$name"
	poll 10 "requests waiting on $name" waiting_ge "$name" 1
	show_state "$name"
	run_op config "$name"
	expect_rc0 "the config write"; expect_deadline "the config write"
	is_broken "$name" || bad "$name not broken after the config write"
	expect_broke "$name" 'did not answer message'
	fio_end errors
	saved=$op_ms
	now_ms; t0=$now
	if dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null; then
		bad "a read of the broken $dev succeeded"
	fi
	now_ms
	echo "a later read failed in $((now - t0)) ms"
	[ $((now - t0)) -lt $FIO_MS ] || bad "a later read took $((now - t0)) ms to fail"
	show_state "$name"
	if [ "$q_pending" -ne 0 ] || [ "$q_inflight" -ne 0 ]; then
		bad "requests left in the rings"
	fi
	destroy_after "$name"
	op_ms=$saved
	if [ "$mode" = stop ]; then
		fb_end cont:3
	else
		kill -TERM "$fb_pid"; fb_end 0
	fi
	cell_end config deadline
done

# A crash (SIGKILL) with chains popped and not pushed, mid fio verify, then
# uvdev-blk --attach: the chains are handed out again, fio's writes
# complete and verify, and data written and fsync-acknowledged before the
# crash is intact.
cell_begin kill@load-attach
fb k1 no-push sigusr1 $LONG_MS
dev=$(wait_block k1)
head -c 4M /dev/urandom >acked.bin
dd if=acked.bin of="$dev" bs=1M oflag=direct conv=fsync status=none
disk=${dev#/dev/}
base=$(ios_done "$disk")
fio --name=k1 --filename="$dev" --direct=1 --ioengine=libaio --iodepth=32 \
	--rw=randwrite --bs=4k --offset=16M --size=8M --verify=crc32c \
	--do_verify=1 --verify_fatal=1 --clocksource=clock_gettime >k1.fio 2>&1 &
fio_pid=$!
cell_fio=k1.fio
poll 120 "fio to write" ios_ge "$disk" $((base + 64))
kill -USR1 "$fb_pid"
premise_line k1
poll 10 "writes in flight on k1" inflight_ge k1 1
kill -KILL "$fb_pid"
wait "$fb_pid" || true
fb_pid=""
show_state k1
[ "$q_inflight" -ge 1 ] || bad "premise: no chain in flight at the kill"
has_backend k1 && bad "premise: a backend still holds k1"
kill -0 "$fio_pid" || bad "premise: fio ended before the restart"
# Ring events from here, for the diagnosis should fio not end.
echo >"$TRACE/trace"
for e in uvdev_vq_pop uvdev_vq_push uvdev_kick uvdev_irq_inject uvdev_irq_deliver; do
	echo 1 >"$TRACE/events/uvdev/$e/enable"
done
uvdev-blk --attach k1 /tmp/k1.img 2>k1b.err &
fb_pid=$!
now_ms; t0=$now
if ! pid_exits "$fio_pid" 120000; then
	bad "fio did not end after the restart"
	show_state k1
	cat "/sys/block/$disk/inflight"
	dump_blocked
	for t in /proc/"$fb_pid"/task/*; do
		echo "uvdev-blk thread $(<"$t/comm"):"
		sed 's/^/    /' "$t/stack"
	done
	grep -E 'uvdev_(vq_pop|vq_push|kick|irq)' "$TRACE/trace" | tail -n 40
	kill -KILL "$fio_pid"
fi
now_ms; op_ms=$((now - t0))
fio_pid=""
if [ "$pid_rc" != 0 ] || ! has_line k1.fio 'err= 0'; then
	bad "fio verify failed after the restart ($pid_rc)"
fi
echo 0 >"$TRACE/events/uvdev/enable"
echo "fio's writes and verify completed $op_ms ms after the attach"
dd if="$dev" of=acked.back bs=1M count=4 iflag=direct status=none
cmp acked.bin acked.back || bad "acknowledged data lost"
expect_not_broken k1
stop_backend "$fb_pid"; fb_pid=""
cell_end attach ok

# From here on, only backends may hold the module: not the vtop the harness
# runs beside the case, nor an enabled kprobe on a module function.
stop_watch
echo 0 >"$TRACE/events/fmatrix/begin_destroy/enable"
echo 0 >"$TRACE/events/fmatrix/end_destroy/enable"
# (The BPF programs of the vtop that exited let go of the module a little
# later.)
no_holder() {
	local refs
	read -r refs </sys/module/uvdev/refcnt
	[ "$refs" = 0 ]
}
poll 30 "the module to have no holder" no_holder

# rmmod: refused while a backend holds a device fd, whatever it does. The
# fd holds the module (its refcnt); rmmod sees that and does not even ask
# the kernel, so this is timed by the shell.
cell_begin stop-rmmod
fb r1 stop sigusr1 $T_MS
wait_block r1 >/dev/null
kill -USR1 "$fb_pid"
premise_line r1
read -r refs </sys/module/uvdev/refcnt
# (Opening a character device takes two: the cdev's and its fops'.)
echo "premise: uvdev refcnt $refs, 0 before the backend opened its device"
[ "$refs" -ge 1 ] || bad "premise: the backend's fd does not hold the module"
now_ms; t0=$now
op_rc=0
rmmod uvdev >"$cell.op" 2>&1 || op_rc=$?
now_ms; op_ms=$((now - t0)); op_hung=0
echo "rmmod: rc $op_rc, $op_ms ms (with starting rmmod)"
[ "$op_rc" != 0 ] || bad "rmmod succeeded with a backend holding r1"
has_line "$cell.op" 'in use' || bad "rmmod failed for another reason: $(<"$cell.op")"
expect_fast rmmod
[ -d /sys/module/uvdev ] || bad "the module is gone"
kill -CONT "$fb_pid"
uvdevctl destroy r1 || bad "destroy after rmmod failed"
expect_gone r1
fb_end 0
cell_end rmmod EBUSY

# rmmod with no backend: a device never opened, one whose backend closed
# with a chain in flight (the partition scan's read), and one whose backend
# exited in the middle of the probe; all are destroyed at once.
cell_begin no-backend-rmmod
uvdevctl create r2 --device-id 2 --timeout-ms $LONG_MS >/dev/null
fb r3 close probe $LONG_MS
r3_pid=$fb_pid
premise_line r3
show_state r3
[ "$q_inflight" -ge 1 ] || bad "premise: no chain in flight after r3's close"
fb r4 exit vq-ready $LONG_MS
premise_line r4
fb_end 4
in_stack virtblk_probe || bad "premise: no probe in progress"
run_op rmmod all
expect_rc0 rmmod; expect_fast rmmod
[ ! -d /sys/module/uvdev ] || bad "the module is still loaded"
for n in r2 r3 r4; do
	expect_gone "$n"
done
expect_broke r3 'no backend'
expect_broke r4 'no backend'
fb_pid=$r3_pid
kill -TERM "$fb_pid"; fb_end 0
cell_end rmmod fast

rm -f /tmp/*.img
echo
echo "== results: ms in the kernel; 'deadline' cells have msg_timeout_ms $T_MS and"
echo "   must take $T_LOW_MS..$((T_MS + GRACE_MS + SLACK_MS)) ms, 'fast' ones $LONG_MS and must take under $FAST_MS"
cat "$table"
[ "$failed_cells" -eq 0 ] || fail "$failed_cells cell(s) failed"
echo "fault-matrix: all cells passed"
