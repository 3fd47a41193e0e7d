# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for what runs in the deterministic VM (tests/vm/run.sh
# --deterministic: -icount shift=0,sleep=off, one CPU), shared by the perf
# gate (gate-guest.sh) and the benchmarks (cases/). While the CPU is busy
# one guest nanosecond is one guest instruction; an idle CPU makes the clock
# jump to the next timer. Timed windows here keep the CPU busy: the disks
# are backed by tmpfs and nothing in a window waits for the host.
. "$UVDEV_ROOT/tests/vm/lib.sh"

# blk_reqs DEV QD COUNT WARMUP [ARGS...]: COUNT 4k O_DIRECT random reads of
# DEV at queue depth QD after WARMUP untimed ones (tests/vm/bin/blk-reqs.c;
# ARGS such as --bs 131072 --seq go to it); print the guest ns per read.
# blk-reqs' own line goes to stderr, for the log.
blk_reqs() {
	local out dev=$1 qd=$2 count=$3 warmup=$4
	shift 4
	out=$("$TESTBIN/blk-reqs" --qd "$qd" --count "$count" --warmup "$warmup" "$@" "$dev") ||
		fail "blk-reqs --qd $qd --count $count $* $dev failed"
	echo "$out" >&2
	out=${out##*ns_per_req=}
	[[ "$out" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "blk-reqs printed no ns_per_req"
	echo "$out"
}

# bpf_totals PID: "run_time_ns run_cnt" summed over the BPF programs PID
# holds (their fdinfo), which the kernel counts while
# kernel.bpf_stats_enabled is 1; nothing if PID holds none.
bpf_totals() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null |
		awk '/^run_time_ns:/ { ns += $2; progs++ } /^run_cnt:/ { cnt += $2 }
		     END { if (progs) print ns, cnt }'
}

# bpf_cost PID DEV COUNT WARMUP: run blk_reqs DEV 1 COUNT WARMUP with the
# kernel's BPF statistics on and print "NS_PER_REQ NS_PER_RUN RUNS": the
# guest ns per read, and per run of the BPF programs PID holds over exactly
# those reads. Fails unless the programs ran at least twice per read (a
# pop and a push): they saw the reads.
bpf_cost() {
	local pid=$1 dev=$2 before after per_req ns cnt reqs=$(($3 + $4))
	sysctl -q -w kernel.bpf_stats_enabled=1
	before=$(bpf_totals "$pid")
	[ -n "$before" ] || fail "no BPF program fds in /proc/$pid/fdinfo"
	per_req=$(blk_reqs "$dev" 1 "$3" "$4")
	after=$(bpf_totals "$pid")
	sysctl -q -w kernel.bpf_stats_enabled=0
	read -r ns cnt <<<"$(awk -v b="$before" -v a="$after" 'BEGIN {
		split(b, x, " "); split(a, y, " "); print y[1] - x[1], y[2] - x[2] }')"
	[ "$cnt" -ge $((2 * reqs)) ] ||
		fail "the BPF programs of $pid ran $cnt times for $reqs reads"
	awk -v r="$per_req" -v n="$ns" -v c="$cnt" 'BEGIN { printf "%s %.2f %d\n", r, n / c, c }'
}

# uvdev_blk_disk NAME FILE [OPTIONS...]: start uvdev-blk serving FILE as
# NAME with one queue of 256 (plus OPTIONS), wait for its disk, switch off
# request merging and the I/O scheduler; sets disk_dev and disk_backend.
uvdev_blk_disk() {
	local name=$1 file=$2 q
	shift 2
	uvdev-blk --queues 1 --queue-size 256 "$@" "$name" "$file" 2>"$name.err" &
	# shellcheck disable=SC2034 # for the cases that stop it
	disk_backend=$!
	disk_dev=$(wait_block "$name")
	pin_queue "$disk_dev"
}

# pin_queue DEV: no request merging, no I/O scheduler on block device DEV.
pin_queue() {
	local q=/sys/block/${1#/dev/}/queue
	echo 2 >"$q/nomerges"
	echo none >"$q/scheduler"
	[[ "$(cat "$q/scheduler")" == *"[none]"* ]] ||
		fail "$1: the I/O scheduler is not none: $(cat "$q/scheduler")"
}
