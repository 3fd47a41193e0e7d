#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vtop's notifications against the kernel and bpftrace. A backend
# (tests/vm/bin/notif-burst) posts a known burst, 4 threads x 25 batches x
# 16 values over keys 1..8 and one bottom-half value, with 2 tasks waiting
# on each key; then each key is taken once more with timeout 0. vtop (JSON)
# and tools/bpftrace/notif.bt, both attached before the device exists,
# count exactly what the kernel's UVDEV_IOC_NOTIF_STATE counts: posts (and
# 1600 of them), deliveries, merged posts, keys that woke waiters, waiters
# woken, keys no one waited for, bottom halves, waits woken and waits that
# took a remembered key; vtop and bpftrace agree on the waits that timed
# out. Then a task waits 4 s for a key nobody posts: vtop shows the device
# notif-stalled once the wait passes --stall-ms (1.5 s) and not before,
# with the kernel's waiter count and longest wait, and no longer once the
# wait has ended. Drivers are kept from binding (the virtio bus's
# drivers_autoprobe, restored at the end): the device's one queue is never
# used.
# timeout: 240
# vtop-induces: notif-stalled
. "$UVDEV_ROOT/tests/vm/lib.sh"

STALL_MS=1500
HOLD_MS=4000
KEYS=8
WAITERS=2
POSTERS=4
BATCHES=25
BATCH=16
AUTOPROBE=/sys/bus/virtio/drivers_autoprobe

autoprobe_was=
cleanup() {
	local rc=$?
	[ -z "$autoprobe_was" ] || echo "$autoprobe_was" >"$AUTOPROBE"
	if [ "$rc" -ne 0 ]; then
		mkdir -p "$UVDEV_RESULTS/56-vtop-notif.files"
		cp -f ./*.json ./*.txt ./*.out ./*.err "$UVDEV_RESULTS/56-vtop-notif.files/" 2>/dev/null
	fi
	return "$rc"
}
trap cleanup EXIT

# holds_within SECONDS COMMAND...: poll COMMAND until it succeeds, for
# SECONDS at most (times the run's time scale); non-zero if it never did.
holds_within() {
	local deadline=$(( $(date +%s%N) + $1 * ${UVDEV_TIME_SCALE:-1} * 1000000000 ))
	shift
	until "$@"; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

problems=0
problem() {
	echo "FAIL: $*" >&2
	problems=$((problems + 1))
}

# last_sample: vtop's last complete JSON line.
last_sample() {
	sed -n "$(wc -l <vtop.json)p" vtop.json
}

# NOTIF_AWK prints, for each JSON line on its input, tee0's figures:
# posts deliveries merged woke wakeups unwaited bh_requests bottom_halves
# woken remembered timeout waiters longest_wait_ms own_state (a line of
# "-" when the line has no tee0).
# shellcheck disable=SC2016 # an awk program: its $0 and $i are awk's
NOTIF_AWK="$JSON_AWK"'
{
	i = index($0, "\"name\":\"tee0\",")
	if (!i) { print "-"; next }
	d = substr($0, i)
	t = substr(d, index(d, "\"notif_total\":"))
	print val(t, "posts"), val(t, "deliveries"), val(t, "merged"), val(t, "woke"),
		val(t, "wakeups"), val(t, "unwaited"), val(t, "bh_requests"),
		val(t, "bottom_halves"), val(t, "woken"), val(t, "remembered"),
		val(t, "timeout"), val(d, "notif_waiters"), val(d, "notif_longest_wait_ms"),
		val(d, "own_state")
}'

# kernel_field NAME: NAME=VALUE from the backend's "kernel" line.
kernel_field() {
	sed -n "s/^kernel .*\<$1=\([0-9]*\).*/\1/p" burst.out
}

# bt_count MAP [KEY]: notif.bt's value of @MAP[dev(, KEY)], 0 if absent.
bt_count() {
	local key=$dev_id
	[ -z "${2:-}" ] || key="$dev_id, $2"
	awk -v k="@$1[$key]:" '$1 " " $2 == k || $1 == k { v = $NF } END { print v + 0 }' notif.out
}

load_module
autoprobe_was=$(cat "$AUTOPROBE")
echo 0 >"$AUTOPROBE"

step "[${SECONDS}s] vtop and notif.bt attach"
start_vtop vtop.json -o json --no-cost --stall-ms "$STALL_MS" 0.5
bpftrace "$UVDEV_ROOT/tools/bpftrace/notif.bt" >notif.out 2>notif.err &
bt_pid=$!
wait_for 300 "notif.bt to attach" file_has notif.out '^Tracing'

step "[${SECONDS}s] the burst: $POSTERS x $BATCHES x $BATCH values, $WAITERS waiters on each of $KEYS keys"
"$TESTBIN/notif-burst" --keys $KEYS --waiters $WAITERS --posters $POSTERS \
	--batches $BATCHES --batch $BATCH --hold-ms $HOLD_MS tee0 >burst.out 2>burst.err &
burst=$!
burst_ended() {
	file_has burst.out '^burst ' || ! kill -0 "$burst" 2>/dev/null
}
wait_for 120 "the burst to end" burst_ended
cat burst.out
file_has burst.out '^burst ' || fail "the backend failed: $(cat burst.err)"
dev_id=$(sed -n 's/^burst .*dev_id=\([0-9]*\).*/\1/p' burst.out)
expect_eq "values posted, as the kernel counts them" $((POSTERS * BATCHES * BATCH)) \
	"$(kernel_field posted)"
expect_eq "waiters woken, as the kernel counts them" $((KEYS * WAITERS)) "$(kernel_field wakeups)"
expect_eq "bottom halves, as the kernel counts them" 1 "$(kernel_field bottom_halves)"

# What vtop must show: the kernel's counts in the JSON's order (timeout
# and the waiters aside).
want="$(kernel_field posted) $(kernel_field delivered) $(kernel_field merged)"
want+=" $(kernel_field woke) $(kernel_field wakeups)"
want+=" $(( $(kernel_field remembered) + $(kernel_field remembered_merged) ))"
want+=" 1 $(kernel_field bottom_halves) $(kernel_field wakeups) $(kernel_field consumed)"
vtop_counts() {
	last_sample | awk "$NOTIF_AWK" | cut -d' ' -f1-10 >vtop-counts.txt
	[ "$(cat vtop-counts.txt)" = "$want" ]
}
if ! holds_within 20 vtop_counts; then
	problem "vtop's counts (posts deliveries merged woke wakeups unwaited bh_requests" \
		"bottom_halves woken remembered): $(cat vtop-counts.txt), the kernel's: $want"
else
	echo "ok: vtop == kernel: $want"
fi

step "[${SECONDS}s] a wait longer than --stall-ms: notif-stalled"
# The wait began when the burst ended; every sample is in vtop.json.
wait_for 60 "the held wait to end" file_has burst.out '^held '
grep '^held ' burst.out
held_at=$(wc -l <vtop.json)
clears() {
	local -a f
	[ "$(wc -l <vtop.json)" -gt $((held_at + 1)) ] || return 1
	last_sample | awk "$NOTIF_AWK" >vtop-clear.txt
	read -r -a f <vtop-clear.txt
	[ "${f[13]:-}" != notif-stalled ] && [ "${f[11]}" = 0 ] && [ "${f[12]}" = null ]
}
wait_for 20 "notif-stalled to clear once the wait ended" clears
echo "ok: cleared: $(cut -d' ' -f12- vtop-clear.txt)"
# In every sample, notif-stalled if and only if the kernel counted a waiter
# whose wait had passed --stall-ms; and some sample did.
awk "$NOTIF_AWK" vtop.json >vtop-all.txt
awk -v s=$STALL_MS '$1 == "-" { next }
	{
		want = $12 > 0 && $13 != "null" && $13 > s
		if (want != ($14 == "notif-stalled")) { print "bad sample:", $0; bad = 1 }
		if (want) { n++; if ($13 > longest) longest = $13 }
	}
	END {
		printf "%d samples notif-stalled, the longest wait %s ms\n", n, longest
		exit bad || !n
	}' vtop-all.txt ||
	problem "vtop's notif-stalled did not follow the kernel's waiters and --stall-ms ($STALL_MS ms)"
wait_timeouts=$(cut -d' ' -f11 vtop-clear.txt)

step "[${SECONDS}s] notif.bt's counts"
stop_bpftrace "$bt_pid"
cat notif.out
bt="$(bt_count posts) $(bt_count delivered) $(bt_count merged) $(bt_count woke)"
bt+=" $(bt_count wakeups) $(bt_count unwaited) $(bt_count bh_requests) $(bt_count bottom_halves)"
bt+=" $(bt_count waits woken) $(bt_count waits remembered)"
if [ "$bt" = "$want" ]; then
	echo "ok: notif.bt == kernel: $bt"
else
	problem "notif.bt's counts: $bt, the kernel's: $want"
fi
expect_eq "waits that timed out, notif.bt (as vtop)" "$wait_timeouts" "$(bt_count waits timeout)"

step "[${SECONDS}s] the end"
stop_backend "$burst"
stop_vtop vtop.json.err
[ "$problems" -eq 0 ] || fail "$problems comparison(s) failed (above)"
unload_module
echo "done in ${SECONDS}s"
