# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for VM test cases; each case sources this file. Cases run as root
# inside the VM with the project at $UVDEV_ROOT and its build at $UVDEV_BUILD.

set -euo pipefail

export PATH=$UVDEV_BUILD/tools/vtop:$UVDEV_BUILD/tools/uvdev:$PATH
MODULE=$UVDEV_BUILD/modules/uvdev.ko

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

step() {
	echo "== $*"
}

# wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND until it succeeds,
# failing the case if it does not within SECONDS (times the run's
# --timeout-scale, for slow debug kernels).
wait_for() {
	local limit=$(( $1 * ${UVDEV_TIME_SCALE:-1} )) what=$2 deadline
	shift 2
	deadline=$(( $(date +%s%N) + limit * 1000000000 ))
	until "$@"; do
		[ "$(date +%s%N)" -lt "$deadline" ] || fail "timed out after ${limit}s waiting for $what"
		sleep 0.1
	done
}

# exits_within SEC PID: poll until child PID has exited (bash reaps it),
# for SEC seconds at most; non-zero if it still runs.
exits_within() {
	local deadline=$(( $(date +%s%N) + $1 * ${UVDEV_TIME_SCALE:-1} * 1000000000 ))
	while kill -0 "$2" 2>/dev/null; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
	echo "ok: $1 = $3"
}

load_module() {
	if [ ! -d /sys/module/uvdev ]; then
		insmod "$MODULE" "$@" || fail "insmod $MODULE"
	fi
	wait_for 10 "/dev/uvdev/control" test -c /dev/uvdev/control
}

# stop_watch: stop the vtop the harness runs beside every case (see
# guest-run.sh), which holds the module, and wait for it to exit.
stop_watch() {
	local pid
	pid=$(cat /tmp/watch.pid 2>/dev/null) || return 0
	rm -f /tmp/watch.pid
	kill -INT "$pid" 2>/dev/null || return 0
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
}

unload_module() {
	stop_watch
	rmmod uvdev || fail "rmmod uvdev"
	[ ! -e /dev/uvdev/control ] || fail "/dev/uvdev/control still exists after rmmod"
}

# file_has FILE PATTERN: does FILE contain a line matching PATTERN (ERE)?
file_has() {
	grep -Eq -- "$2" "$1" 2>/dev/null
}

# shellcheck disable=SC2034 # for the cases that source this file
TESTBIN=$UVDEV_BUILD/tests/vm/bin

# uvdev_block NAME: the block device (/dev/vdX) of uvdev device NAME, or
# nothing while virtio_blk has not bound to it yet.
uvdev_block() {
	local d
	for d in /sys/class/uvdev/"$1"/virtio*/block/*; do
		[ -e "$d" ] && echo "/dev/${d##*/}" && return 0
	done
	return 1
}

# wait_block NAME: wait for uvdev device NAME's disk, print its path.
wait_block() {
	wait_for 60 "virtio_blk to bind to $1" uvdev_block "$1" >/dev/null
	uvdev_block "$1"
}

# kqueue NAME Q: uvdevctl status's row for queue Q of NAME (also kept in
# kq-NAME.txt): queue size flags pending pend_ms inflight infl_ms irq_ms slot.
kqueue() {
	uvdevctl status "$1" >"kq-$1.txt" || return 1
	awk -v q="$2" 'NR > 1 && $1 == q' "kq-$1.txt"
}

# row_field ROW N: the Nth field of a row.
row_field() {
	local -a f
	read -r -a f <<<"$1"
	echo "${f[$(($2 - 1))]}"
}

# quiet NAME Q: nothing pending, in flight or waiting for an interrupt on
# queue Q of NAME, as the kernel sees it.
quiet() {
	local row
	row=$(kqueue "$1" "$2") || return 1
	[ -n "$row" ] && [ "$(row_field "$row" 4)" = 0 ] && [ "$(row_field "$row" 6)" = 0 ] &&
		[ "$(row_field "$row" 8)" = 0.0 ]
}

# stop_in_flight PID NAME TRIES: SIGSTOP backend PID at a moment when
# queues 0 and 1 of NAME hold chains in flight (popped, not pushed),
# SIGCONT and try again, TRIES times at most. Sets held (the chains in
# flight, 0 if never) and attempt; PID is left stopped when held > 0.
stop_in_flight() {
	held=0
	# shellcheck disable=SC2034 # the caller reports it
	for attempt in $(seq "$3"); do
		kill -STOP "$1"
		held=$(( $(row_field "$(kqueue "$2" 0)" 6) + $(row_field "$(kqueue "$2" 1)" 6) ))
		[ "$held" -eq 0 ] || return 0
		kill -CONT "$1"
	done
}

# JSON_AWK: awk functions for the cases that read vtop's JSON lines without
# jq (slow to start in the guest). val(s, key): the first value KEY has in
# JSON text s, quotes removed ("" if none). queue_json(s, name, q): s from
# queue Q of device NAME on ("" if none).
# shellcheck disable=SC2034 # for the cases that source this file
JSON_AWK='
function val(s, key,   i, v) {
	i = index(s, "\"" key "\":")
	if (!i)
		return ""
	v = substr(s, i + length(key) + 3)
	sub(/[,}\]].*/, "", v)
	gsub(/"/, "", v)
	return v
}
function queue_json(s, name, q,   i) {
	i = index(s, "\"name\":\"" name "\",")
	if (!i)
		return ""
	s = substr(s, i)
	i = index(s, "{\"queue\":" q ",")
	return i ? substr(s, i) : ""
}'

# stop_bpftrace PID: SIGINT bpftrace PID (a child of the case) so that it
# prints its maps and exits. bpftrace has been seen, on a heavily loaded
# host, to keep running after SIGINT: wait 30 s, say where it is, try once
# more, then fail rather than wait for the case's timeout.
stop_bpftrace() {
	kill -INT "$1" 2>/dev/null || true
	if ! exits_within 30 "$1"; then
		echo "bpftrace $1 still runs 30 s after SIGINT: $(tr '\n' ' ' </proc/"$1"/stack 2>&1)" >&2
		kill -INT "$1" 2>/dev/null || true
		exits_within 30 "$1" || {
			kill -KILL "$1" 2>/dev/null
			fail "bpftrace $1 did not exit on SIGINT"
		}
	fi
	wait "$1" || true	# interrupted on purpose
}

# stop_backend PID: SIGTERM a backend and check it exits 0.
stop_backend() {
	kill -TERM "$1"
	wait "$1" || fail "backend $1 exited with $? on SIGTERM"
}

# json_field LINE KEY: the first number or literal KEY has in JSON LINE.
json_field() {
	[[ $1 =~ \"$2\":([^,\}]*) ]] && echo "${BASH_REMATCH[1]}"
}

# start_vtop OUT ARGS...: run vtop in the background with its JSON lines in
# OUT (stderr in OUT.err) and wait until it has attached; sets vtop_pid.
start_vtop() {
	local out=$1
	shift
	vtop "$@" >"$out" 2>"$out.err" &
	vtop_pid=$!
	wait_for 60 "vtop to attach" file_has "$out.err" '^vtop: attached'
}

# stop_vtop: SIGINT vtop and check it exits 0.
stop_vtop() {
	kill -INT "$vtop_pid"
	wait "$vtop_pid" || fail "vtop exited with $?: $(cat "$@" 2>/dev/null)"
}

# show_backends RC: in an EXIT trap, when the case's status RC is not 0, the
# last lines of each backend's stderr (the case's *.err files).
show_backends() {
	local f
	[ "$1" -eq 0 ] && return
	for f in *.err; do
		[ -s "$f" ] && echo "--- $f:" && tail -n 5 "$f"
	done
}
