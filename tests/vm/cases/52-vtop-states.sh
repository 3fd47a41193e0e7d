#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vtop's failure states tell the truth both ways. Each state is induced by a
# real fault and seen in vtop's JSON and in its exporter: ok and idle
# (/dev/hwrng read, then not), stalled (a backend stopped with a request
# kicked, and one that pops everything and hangs), not-ready (driver
# unbound), irq-lost (completions pushed without an interrupt), needs-reset
# (features refused: the probe fails and sets FAILED), broken (an unbind
# under fio load overruns the message timeout: in flight returns to 0, fio
# ends with errors). A vtop started after a hang sees it at once. Healthy
# idle devices, a net receive queue with its buffers posted among them,
# show no failure state at any interval; 8 devices x 64 queues under load
# are all listed with no drop; vtop's latency percentiles agree with
# bpftrace's own clock reads, and fio's latency is not below them.
# timeout: 900
# vtop-induces: stalled,irq-lost,broken,needs-reset
. "$UVDEV_ROOT/tests/vm/lib.sh"

STALL_MS=1500
IRQ_MS=1500
INTERVAL_MS=500
PORT=9465
# A state is due once its rule holds (stall_ms after the kick), and the next
# sample is due at most one interval later. It can come later still: vtop's
# poll() wakes late on a busy guest, and a sample (BPF map walks, one ioctl
# per queue) takes time. Under TCG on a 2-CPU host loaded with several
# other TCG guests, samples came up to 0.95 s late (the case prints the
# latest it saw); 2 s covers twice that. The exact bound needs no slack: the last sample
# before the state showed was taken no later than stall_ms after the kick,
# so the state showed at the first sample that was due to show it.
SLACK_MS=2000

# On failure, keep what the case saw (the work directory is the guest's).
keep_files() {
	local rc=$?
	if [ "$rc" -ne 0 ]; then
		mkdir -p "$UVDEV_RESULTS/52-vtop-states.files"
		cp -f ./*.json ./*.txt ./*.err ./*.out "$UVDEV_RESULTS/52-vtop-states.files/" 2>/dev/null
	fi
	return "$rc"
}
trap keep_files EXIT

load_module
modprobe -a virtio_blk virtio-rng virtio_net
ip link set lo up

now_ms() { date +%s%3N; }

# Steps with the case's elapsed time, to see where it goes.
step() {
	echo "== [${SECONDS}s] $*"
}

# ---- reading vtop's JSON lines (no jq: grep, sed and awk only) ----------

# JSON_AWK's val() and queue_json() (lib.sh) read them.

# queue_total FILE NAME Q KEY: KEY in the totals of queue Q of NAME, in
# FILE's last line.
queue_total() {
	last_sample "$1" | awk -v name="$2" -v q="$3" -v key="$4" "$JSON_AWK"'
	{
		d = substr($0, index($0, "\"name\":\"" name "\","))
		o = substr(d, index(d, "{\"queue\":" q ","))
		print val(substr(o, index(o, "\"totals\":")), key)
	}'
}

# queue_rows FILE NAME Q: one row per JSON line that has queue Q of device
# NAME: time_ms, queue state, pending, oldest_pending_ms, inflight,
# oldest_inflight_ms, device state.
queue_rows() {
	awk -v name="$2" -v q="$3" "$JSON_AWK"'
	{
		i = index($0, "\"name\":\"" name "\",")
		if (!i)
			next
		d = substr($0, i)
		j = index(d, "{\"queue\":" q ",")
		if (!j)
			next
		o = substr(d, j)
		o = substr(o, 1, index(o, "\"totals\""))
		print val($0, "time_ms"), val(o, "state"), val(o, "pending"),
		      val(o, "oldest_pending_ms"), val(o, "inflight"),
		      val(o, "oldest_inflight_ms"), val(d, "state")
	}' "$1"
}

# last_row FILE NAME Q: the row of FILE's last line (a line still being
# written does not match, and the caller polls again).
last_row() {
	tail -n 1 "$1" >"$1.last"
	queue_rows "$1.last" "$2" "$3"
}

# in_state FILE NAME Q STATE: in FILE's last line, queue Q of NAME and the
# device are both in STATE.
in_state() {
	local row
	row=$(last_row "$1" "$2" "$3")
	[ -n "$row" ] && [ "$(row_field "$row" 2)" = "$4" ] && [ "$(row_field "$row" 7)" = "$4" ]
}

# ---- the exporter ----------------------------------------------------------

# scrape FILE: GET /metrics into FILE.
scrape() {
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
	cat <&3 >"$1"
	exec 3<&-
}

# exported NAME Q STATE: the exporter has the queue and its device in STATE.
exported() {
	scrape metrics.txt || return 1
	grep -qF "uvdev_queue_state{device=\"$1\",queue=\"$2\",state=\"$3\"} 1" metrics.txt &&
		grep -qF "uvdev_device_state{device=\"$1\",state=\"$3\"} 1" metrics.txt
}

# see_state NAME Q STATE: vtop's JSON, then its exporter, show queue Q of
# device NAME and the device in STATE.
see_state() {
	wait_for 60 "vtop's JSON to show $1/$2 $3" in_state main.json "$1" "$2" "$3"
	wait_for 10 "the exporter to show $1/$2 $3" exported "$1" "$2" "$3"
	echo "ok: $1/$2 $3, in JSON and in the exporter"
}

# lateness FILE: how many samples FILE has, and how late the latest came:
# the largest gap between two time stamps, beyond the interval.
lateness() {
	awk -v iv=$INTERVAL_MS '{
		t = substr($0, index($0, "\"time_ms\":") + 10) + 0
		if (n++ && t - prev - iv > late)
			late = t - prev - iv
		prev = t
	} END { print n " samples; the latest came " late + 0 " ms after its interval" }' "$1"
}

# lines_after FILE N: FILE has more than N lines.
lines_after() {
	[ "$(wc -l <"$1")" -gt "$2" ]
}

# samples FILE: FILE's complete lines (vtop may be writing the next one: a
# sample of 512 queues takes several writes).
samples() {
	head -n "$(wc -l <"$1")" "$1"
}

# last_sample FILE: the last complete line of FILE.
last_sample() {
	sed -n "$(wc -l <"$1")p" "$1"
}

# ---- the kernel's view ------------------------------------------------------

virtio_of() {
	basename "$(readlink -f /sys/class/uvdev/"$1"/virtio*)"
}

rng_is_current() {
	grep -q "^virtio_rng" /sys/class/misc/hw_random/rng_current
}

start_vtop main.json -o json --no-cost --exporter "127.0.0.1:$PORT" --stall-ms $STALL_MS \
	--irq-ms $IRQ_MS "0.$((INTERVAL_MS / 100))"
main_vtop=$vtop_pid

# ---- ok, idle, stalled with work pending, not-ready ---------------------------

step "ok: /dev/hwrng read through uvdev-rng"
uvdev-rng rng0 2>rng0.err &
rng0=$!
wait_for 60 "virtio_rng to become the current hwrng" rng_is_current
dd if=/dev/hwrng of=/dev/null bs=4096 count=1000000 status=none &
reader=$!
see_state rng0 0 ok
kill "$reader"
wait "$reader" || true		# killed on purpose

step "idle: nothing read"
see_state rng0 0 idle

step "stalled: backend stopped with a request kicked; bounded both ways"
# Stop the backend with nothing pending or in flight and the interrupt
# delivered (virtio_rng holds a full buffer), then take that buffer with a
# non-blocking read: virtio_rng posts and kicks the next request at once.
# t0 is read before the kernel says the queue is quiet, t1 after the read,
# so the kick lies between them. The hw_random core's own reader can kick
# too, but only between t0 and t1 as well: the queue was quiet at t0.
for attempt in 1 2 3 4 5; do
	wait_for 30 "rng0 to be quiet" quiet rng0 0
	kill -STOP "$rng0"
	t0=$(now_ms)
	if quiet rng0 0; then
		break
	fi
	kill -CONT "$rng0"
	[ "$attempt" -lt 5 ] || fail "rng0 never quiet while stopped"
done
# EAGAIN when the core's own reader took the buffer first: checked below.
dd if=/dev/hwrng of=/dev/null bs=128 count=1 iflag=nonblock status=none 2>dd.err || true
t1=$(now_ms)
row=$(kqueue rng0 0)
echo "kernel after the read: $row"
[ "$(row_field "$row" 4)" = 1 ] || fail "no request pending after the read: $row"
see_state rng0 0 stalled
queue_rows main.json rng0 0 >all-rows.txt
awk -v t0="$t0" '$1 >= t0' all-rows.txt >stall-rows.txt
first=$(awk '$2 == "stalled" { print; exit }' stall-rows.txt)
seen=$(row_field "$first" 1)
# The sample before the first stalled one (before t0 at the earliest).
before=$(awk -v t="$seen" '$1 == t { print prev; exit } { prev = $1 }' all-rows.txt)
# (mawk's %d stops at 2^31: whole numbers go through %.0f.)
kick=$(awk -v r="$first" 'BEGIN { split(r, f, " "); k = f[1] - f[4]; printf "%.0f", k - k % 1 }')
echo "kick between t0 and t1 ($((t1 - t0)) ms apart); the kernel's kick at t0 + $((kick - t0)) ms"
echo "stalled first shown $((seen - t0)) ms after t0, $((seen - t1)) ms after t1" \
	"(bounds: >= $STALL_MS after t0, <= $((STALL_MS + INTERVAL_MS + SLACK_MS)) after t1)"
[ $((seen - t0)) -ge $STALL_MS ] || fail "stalled shown $((seen - t0)) ms after t0, before stall_ms"
[ $((seen - t1)) -le $((STALL_MS + INTERVAL_MS + SLACK_MS)) ] ||
	fail "stalled shown $((seen - t1)) ms after the kick, more than stall_ms + interval + slack"
[ -n "$before" ] || fail "no sample of rng0 before the stall"
echo "the last sample not stalled: $((before - t1)) ms after t1 (bound: <= $STALL_MS)"
[ $((before - t1)) -le $((STALL_MS + 1)) ] ||
	fail "a sample $((before - t1)) ms after the kick was not stalled"
# The kernel's kick time (vtop's age of the oldest pending chain) lies
# between t0 and t1 (1 ms for rounding each way).
(( kick >= t0 - 1 && kick <= t1 + 1 )) ||
	fail "the kernel's kick time is t0 + $((kick - t0)) ms, outside [t0, t1]"
# Timing-free: every sample before the first stalled one saw the chain
# waiting at most stall_ms, and that one more.
awk -v s=$STALL_MS -v t1="$t1" '
	$2 == "stalled" { if ($4 == "null" || $4 + 0 <= s) bad = bad "\n" $0; exit }
	$1 >= t1 && $4 != "null" && $4 + 0 > s { bad = bad "\n" $0 }
	END { if (bad != "") { print "rows that contradict the rule:" bad; exit 1 } }
' stall-rows.txt || fail "vtop's pending ages and its stalled state disagree"
echo "ok: the last sample before: $(awk '$2 == "stalled" { print prev; exit } { prev = $0 }' stall-rows.txt)"
echo "ok: the first stalled one:  $first"
kill -CONT "$rng0"
wait_for 30 "rng0 served again, then idle" in_state main.json rng0 0 idle

step "not-ready: virtio_rng unbound"
virtio_of rng0 >/sys/bus/virtio/drivers/virtio_rng/unbind
see_state rng0 0 not-ready
stop_backend "$rng0"

# ---- stalled in flight, and a vtop started after the hang -------------------

step "stalled: a backend that pops everything and hangs"
"$TESTBIN/sink-backend" --device-id 4 --queues 1 --hold 0 rnghold 2>rnghold.err &
hold=$!
see_state rnghold 0 stalled
row=$(last_row main.json rnghold 0)
echo "vtop: $row"
[ "$(row_field "$row" 3)" = 0 ] || fail "rnghold: pending $(row_field "$row" 3), expected 0"
[ "$(row_field "$row" 5)" -ge 1 ] || fail "rnghold: nothing in flight"
queue_rows main.json rnghold 0 >hold-rows.txt
awk -v s=$STALL_MS '
	$2 == "stalled" { if ($6 == "null" || $6 + 0 <= s) bad = bad "\n" $0; exit }
	$6 != "null" && $6 + 0 > s { bad = bad "\n" $0 }
	END { if (bad != "") { print "rows that contradict the rule:" bad; exit 1 } }
' hold-rows.txt || fail "vtop's in-flight ages and its stalled state disagree"
echo "ok: pending 0, in flight $(row_field "$row" 5) for $(row_field "$row" 6) ms"

step "a vtop started after the hang: --once --fail-on stalled exits 3"
set +e
vtop --once --fail-on stalled --no-cost --stall-ms $STALL_MS -o json 0.5 >once.json 2>once.err
rc=$?
set -e
expect_eq "vtop --once --fail-on stalled exit status" 3 "$rc"
row=$(queue_rows once.json rnghold 0)
[ "$(row_field "$row" 2)" = stalled ] || fail "the new vtop shows rnghold/0 as: $row"
echo "ok: its only sample: $row"
stop_backend "$hold"

# ---- irq-lost, needs-reset ------------------------------------------------------

step "irq-lost: completions pushed without an interrupt"
"$TESTBIN/sink-backend" --device-id 4 --queues 1 --sink 0 --no-irq rngnoirq 2>rngnoirq.err &
noirq=$!
see_state rngnoirq 0 irq-lost
row=$(last_row main.json rngnoirq 0)
[[ $(row_field "$row" 3) = 0 && $(row_field "$row" 5) = 0 ]] ||
	fail "rngnoirq: expected nothing pending or in flight: $row"
echo "ok: nothing pending or in flight; kernel: $(kqueue rngnoirq 0)"
stop_backend "$noirq"

step "needs-reset: the backend refuses the features, the probe fails"
"$TESTBIN/sink-backend" --device-id 4 --queues 1 --refuse-features rngrefuse 2>rngrefuse.err &
refuse=$!
see_state rngrefuse 0 needs-reset
status=$(cat /sys/class/uvdev/rngrefuse/status)
echo "device status $status"
[ $((status & 0x80)) -ne 0 ] || fail "status $status has no FAILED bit"
stop_backend "$refuse"

# ---- broken under fio load -------------------------------------------------------

step "broken under fio load: in flight returns to 0, fio ends with errors"
truncate -s 64M /tmp/blkb.img
uvdev-blk --queues 2 blkb /tmp/blkb.img 2>blkb.err &
blkb=$!
dev=$(wait_block blkb)
fio --name=load --filename="$dev" --direct=1 --ioengine=libaio --rw=randread --bs=4k \
	--iodepth=32 --numjobs=2 --time_based --runtime=120 --output=broken-fio.txt &
fio_pid=$!
busy() {
	last_row main.json blkb 0 >busy.txt
	last_row main.json blkb 1 >>busy.txt
	[ "$(awk '$2 == "ok"' busy.txt | wc -l)" -gt 0 ]
}
wait_for 60 "fio load on blkb" busy
echo "[${SECONDS}s] fio is loading blkb"
echo 1000 >/sys/class/uvdev/blkb/msg_timeout_ms
# Stop the backend with chains in flight (popped, not pushed).
stop_in_flight "$blkb" blkb 100
[ "$held" -gt 0 ] || fail "never stopped blkb with a chain in flight"
has_inflight() {
	local r0 r1
	r0=$(last_row main.json blkb 0)
	r1=$(last_row main.json blkb 1)
	[ -n "$r0" ] && [ -n "$r1" ] &&
		[ $(( $(row_field "$r0" 5) + $(row_field "$r1" 5) )) -gt 0 ]
}
wait_for 30 "vtop to show blkb's chains in flight" has_inflight
echo "in flight before: $held (kernel); vtop: $(last_row main.json blkb 0) / $(last_row main.json blkb 1)"
# The driver's removal waits for what is in flight; past the message
# timeout the device breaks, every request fails, and the unbind returns.
t=$(now_ms)
virtio_of blkb >/sys/bus/virtio/drivers/virtio_blk/unbind
echo "unbind returned after $(( $(now_ms) - t )) ms"
fio_done() { ! kill -0 "$fio_pid" 2>/dev/null; }
wait_for 30 "fio to end" fio_done
echo "[${SECONDS}s] fio ended"
set +e
wait "$fio_pid"
rc=$?
set -e
grep -E 'err=' broken-fio.txt || true
[ "$rc" -ne 0 ] || fail "fio exited 0 on a broken device"
grep -qE 'err= *[1-9]' broken-fio.txt || fail "fio reports no error"
echo "ok: fio ended with exit status $rc and errors"
see_state blkb 0 broken
see_state blkb 1 broken
for q in 0 1; do
	row=$(last_row main.json blkb $q)
	[[ $(row_field "$row" 3) = 0 && $(row_field "$row" 5) = 0 ]] ||
		fail "vtop: blkb/$q still holds chains: $row"
	row=$(kqueue blkb $q)
	[[ $(row_field "$row" 4) = 0 && $(row_field "$row" 6) = 0 ]] ||
		fail "uvdevctl status: blkb/$q still holds chains: $row"
	case "$(row_field "$row" 3)" in *broken*) ;; *) fail "uvdevctl status: blkb/$q not broken: $row" ;; esac
done
cat kq-blkb.txt
failed=$(( $(queue_total main.json blkb 0 failed) + $(queue_total main.json blkb 1 failed) ))
echo "chains the broken device failed: $failed"
[ "$failed" -ge "$held" ] || fail "$held chains were in flight, $failed failed"
echo "ok: nothing pending or in flight, in vtop and in uvdevctl status; the chains failed"
# Resumed, the backend finds the device broken, destroys it and exits 1.
kill -CONT "$blkb"
set +e
wait "$blkb"
rc=$?
set -e
expect_eq "uvdev-blk exit status on a broken device" 1 "$rc"
echo "[${SECONDS}s] blkb destroyed"
test ! -e /sys/class/uvdev/blkb || fail "blkb still exists"

# ---- idle soak ------------------------------------------------------------------

step "idle soak: blk, rng and net with receive buffers posted, no failure state"
truncate -s 64M /tmp/blks.img
uvdev-blk blks /tmp/blks.img 2>blks.err &
blks=$!
uvdev-rng rngs 2>rngs.err &
rngs=$!
"$TESTBIN/sink-backend" --device-id 1 --queues 2 --sink 1 nets 2>nets.err &
nets=$!
wait_block blks >/dev/null
wait_for 60 "virtio_rng to become the current hwrng" rng_is_current
wait_for 60 "virtio_net to bind" bash -c 'ls /sys/class/uvdev/nets/virtio*/net/* >/dev/null 2>&1'
iface=$(basename /sys/class/uvdev/nets/virtio*/net/*)
ip link set "$iface" up
posted() {
	local row
	row=$(last_row main.json nets 0)
	[ -n "$row" ] && [ "$(row_field "$row" 3)" -gt 0 ]
}
wait_for 30 "receive buffers posted on nets/0" posted
soak_start=$(now_ms)
soak_end=$((soak_start + 3 * STALL_MS))
soaked() {
	local row
	row=$(last_row main.json nets 0)
	[ -n "$row" ] && [ "$(row_field "$row" 1)" -gt "$soak_end" ]
}
wait_for 60 "three stall limits of samples" soaked
# Every sample of the soak, from its start to the first one after its end
# (by their time stamps), has the three devices, and no failure state on
# any device or queue.
awk -v a="$soak_start" -v b="$soak_end" '
	{
		t = substr($0, index($0, "\"time_ms\":") + 10) + 0
		if (t < a || done)
			next
		done = t > b
		n++
		if (match($0, /state":"(stalled|irq-lost|broken|needs-reset)"/)) {
			print "a failure state at " t ": " substr($0, RSTART - 40, RLENGTH + 40)
			bad++
		}
		for (d = 1; d <= 3; d++) {
			name = d == 1 ? "blks" : d == 2 ? "rngs" : "nets"
			if (!index($0, "\"name\":\"" name "\","))
				{ print name " missing at " t; bad++ }
		}
	}
	END { print n " samples over the soak"; if (!done || bad) exit 1 }
' main.json || fail "the idle soak showed a failure state or missed a device"
queue_rows main.json nets 0 | awk -v a="$soak_start" -v b="$soak_end" '
	$1 < a || done { next }
	{ done = $1 > b; print }
	!($3 > 0) { print "nets/0 with no buffer posted: " $0; bad = 1 }
	END { exit bad }
' >soak-nets.txt || fail "$(grep 'no buffer' soak-nets.txt)"
echo "ok: nets/0 in the soak (time state pending ...): $(tail -n 1 soak-nets.txt)"
# What SLACK_MS is for: how late vtop sampled so far.
echo "vtop: $(lateness main.json)"
ip link set "$iface" down
stop_backend "$nets"
stop_backend "$rngs"
stop_backend "$blks"

# ---- latency truth, set up ------------------------------------------------------

# The latency step's device and bpftrace start here: bpftrace compiles its
# script (slow under TCG) while the next step runs, and blkl stays idle.
truncate -s 64M /tmp/blkl.img
uvdev-blk blkl /tmp/blkl.img 2>blkl.err &
blkl=$!
dev=$(wait_block blkl)
echo 2 >"/sys/block/${dev#/dev/}/queue/nomerges"
id=$(cat /sys/class/uvdev/blkl/dev_id)
# Service: pop -> push of each chain, keyed by (dev, queue, head). IRQ: the
# kernel times an interrupt from its inject to the end of its delivery, both
# in the task that delivers it (the pushing backend's); so does this, keyed
# by that task.
cat >lat.bt <<'EOF'
BEGIN { printf("ready\n"); }
tracepoint:uvdev:uvdev_vq_pop /args->dev == $1/ { @pop[args->queue, args->head] = nsecs; }
tracepoint:uvdev:uvdev_vq_push /args->dev == $1 && @pop[args->queue, args->head]/ {
	@service = hist(nsecs - @pop[args->queue, args->head]);
	@service_n = count();
	delete(@pop[args->queue, args->head]);
}
tracepoint:uvdev:uvdev_irq_inject /args->dev == $1 && args->queue == 0/ {
	@injected[tid] = nsecs;
}
tracepoint:uvdev:uvdev_irq_deliver /args->dev == $1 && args->queue == 0 && @injected[tid]/ {
	@irq = hist(nsecs - @injected[tid]);
	@irq_n = count();
	delete(@injected[tid]);
}
END { clear(@pop); clear(@injected); }
EOF
bpftrace lat.bt "$id" >bt.out 2>&1 &
bt=$!

# ---- 8 devices x 64 queues under load --------------------------------------------

step "8 devices x 64 queues under load: every queue listed, no drop"
pids=()
for i in $(seq 0 7); do
	truncate -s 32M "/tmp/m$i.img"
	uvdev-blk --queues 64 "m$i" "/tmp/m$i.img" 2>"m$i.err" &
	pids+=($!)
done
fio_jobs=()
for i in $(seq 0 7); do
	d=$(wait_block "m$i")
	echo 2 >"/sys/block/${d#/dev/}/queue/nomerges"	# one read, one chain
	fio_jobs+=(--name="m$i" --filename="$d")
done
# Each device's pushes before the load, from a sample taken after all exist.
# vtop reads 512 queues a sample: under TCG on a loaded host its samples
# come seconds late (the lateness is printed below), so the waits are long.
lines=$(wc -l <main.json)
wait_for 60 "a sample with every device" lines_after main.json "$lines"
last_sample main.json >many-before.json
load_start=$(now_ms)
# A fixed amount per device (256 reads of 4k), not a time: every device
# gets its load however slowly the jobs start.
fio --direct=1 --ioengine=libaio --rw=randread --bs=4k --iodepth=8 --io_size=1M \
	--output=many-fio.txt "${fio_jobs[@]}"
lines=$(wc -l <main.json)
wait_for 60 "two more samples" lines_after main.json $((lines + 1))
load_end=$(now_ms)
samples main.json >many.json
awk -v a="$load_start" -v b="$load_end" '
	{
		t = substr($0, index($0, "\"time_ms\":") + 10) + 0
		if (t < a || t > b)
			next
		n++
		# One chunk per device: its name, its queue objects.
		nd = split($0, dev, /\{"dev":/)
		m = nq = 0
		for (i = 2; i <= nd; i++) {
			if (dev[i] !~ /"name":"m[0-7]",/)
				continue
			m++
			nq += gsub(/\{"queue":/, "&", dev[i])
		}
		if (m != 8 || nq != 512) { print "at " t ": " m " devices, " nq " queues"; bad++ }
	}
	END { print n " samples under load, each with 8 devices and 512 queues"; if (!n || bad) exit 1 }
' many.json || fail "vtop did not list every queue"
# No record dropped in vtop's whole run (the counts are cumulative): name
# the first sample that had one, and the devices it saw.
awk '
	{
		t = substr($0, index($0, "\"time_ms\":") + 10) + 0
		d = substr($0, index($0, "\"drops\":"))
		d = substr(d, 1, index(d, "}"))
		if (d == "\"drops\":{\"queues\":0,\"devices\":0,\"messages\":0,\"events\":0}")
			next
		names = ""
		s = $0
		while (match(s, /"name":"[^"]*"/)) {
			names = names " " substr(s, RSTART + 8, RLENGTH - 9)
			s = substr(s, RSTART + RLENGTH)
		}
		printf "first drop in sample %d (time_ms %.0f): %s; devices:%s\n", NR, t, d, names
		exit 1
	}
' many.json || fail "vtop dropped records"
echo "ok: no record dropped in $(wc -l <many.json) samples"
tail -n 1 many.json >many-last.json
for i in $(seq 0 7); do
	pushes=0
	for q in 0 1; do
		pushes=$((pushes + $(queue_total many-last.json "m$i" $q pushes) -
			$(queue_total many-before.json "m$i" $q pushes)))
	done
	echo "m$i: $pushes pushes during the load on its two queues in use"
	[ "$pushes" -ge 256 ] || fail "m$i: $pushes pushes for fio's 256 reads"
done
echo "ok: vtop counted each device's 256 reads"
scrape many-metrics.txt || fail "the exporter did not answer with 8 x 64 queues"
grep -qF 'uvdev_queue_state{device="m7",queue="63",state="not-ready"} 1' many-metrics.txt ||
	fail "the exporter has no state for m7/63"
echo "the exporter's page with 8 x 64 queues: $(wc -l <many-metrics.txt) lines, $(wc -c <many-metrics.txt) bytes"
for pid in "${pids[@]}"; do
	kill -TERM "$pid"
done
for pid in "${pids[@]}"; do
	wait "$pid" || fail "a uvdev-blk exited with $? on SIGTERM"
done

kill -INT "$main_vtop"
wait "$main_vtop" || fail "the main vtop exited with $?: $(cat main.json.err)"
echo "vtop, with 8 x 64 queues too: $(lateness main.json)"

# ---- latency truth ----------------------------------------------------------------

step "latency: vtop against bpftrace's own clock reads and fio"
uvdevs=()
for d in /sys/class/uvdev/*; do
	[ -e "$d" ] && uvdevs+=("${d##*/}")
done
[ "${#uvdevs[@]}" -eq 1 ] || fail "other devices exist: ${uvdevs[*]}"
wait_for 120 "bpftrace to attach" file_has bt.out '^ready'
echo "[${SECONDS}s] bpftrace attached"
# One vtop interval over the whole fio run: it opens when vtop attaches
# (blkl idle) and closes 12 s later, well after fio's 3 s even on a loaded
# TCG guest (checked below: the sample counts of both windows are equal).
vtop --no-cost -o json 12 1 >lat.json 2>lat.err &
lat_vtop=$!
wait_for 60 "vtop to attach" file_has lat.err '^vtop: attached'
# Every wait below is bounded, and a stuck one says where things stand.
lat_stuck() {
	echo "--- stuck: blkl's queues, the block layer's in-flight count, the tasks"
	uvdevctl status blkl
	cat "/sys/block/${dev#/dev/}/inflight"
	ps -eo pid,stat,wchan:32,args | awk '/fio|vtop|bpftrace|uvdev-blk/ && !/awk/'
	fail "$1"
}
timeout 120 fio --name=lat --filename="$dev" --direct=1 --ioengine=libaio --rw=randread \
	--bs=4k --iodepth=4 --time_based --runtime=3 --output-format=json >lat-fio.json ||
	lat_stuck "fio exited with $? (124: still running after 120 s)"
fio_end=$(now_ms)
exits_within 60 "$lat_vtop" || lat_stuck "vtop still runs 60 s after fio ended"
wait "$lat_vtop" || fail "vtop exited with $?: $(cat lat.err)"
stop_bpftrace "$bt"
row=$(tail -n 1 lat.json)
closed=$(awk '{ printf "%.0f", substr($0, index($0, "\"time_ms\":") + 10) + 0 }' lat.json)
echo "vtop's interval closed $((closed - fio_end)) ms after fio ended"

# bt_slots MAP: bpftrace's hist() of MAP as "slot count" lines, in vtop's
# slots: slot 0 holds 0 and 1, slot i holds [2^i, 2^(i+1)).
bt_slots() {
	awk -v m="@$1:" '
	$1 == m { on = 1; next }
	/^@/ { on = 0 }
	on && /^\[/ {
		s = $1
		gsub(/[][,)]/, "", s)
		mult = 1
		if (s ~ /[KMGTP]$/) {
			u = substr(s, length(s))
			s = substr(s, 1, length(s) - 1)
			mult = 1024 ^ index("KMGTP", u)
		}
		low = s * mult
		for (f = 2; f <= NF; f++)
			if ($f ~ /^\|/)
				break
		slot = 0
		for (v = low; v >= 2; v = int(v / 2))
			slot++
		print slot, $(f - 1)
	}' bt.out
}

# percentile PCT: of "slot count" lines, as vtop's hist.c computes it: the
# sample of rank pct/100 * total, interpolated linearly inside its slot.
percentile() {
	awk -v pct="$1" '
	{ c[$1] += $2; total += $2; if ($1 > max) max = $1 }
	END {
		rank = pct / 100 * total
		for (i = 0; i <= max; i++) {
			if (!c[i])
				continue
			if (seen + c[i] < rank) {
				seen += c[i]
				continue
			}
			low = i ? 2 ^ i : 0
			high = 2 ^ (i + 1) - 1
			v = low + (rank - seen) / c[i] * (high - low)
			printf "%.0f\n", v - v % 1
			exit
		}
	}'
}

# slot_of NS: the log2 slot of a value.
slot_of() {
	local v=$1 s=0
	while [ "$v" -ge 2 ]; do
		v=$((v / 2))
		s=$((s + 1))
	done
	echo $s
}

q=$(awk -v id="$id" '{
	i = index($0, "\"dev\":" id ",\"name\":\"blkl\","); d = substr($0, i)
	j = index(d, "{\"queue\":0,"); o = substr(d, j); print substr(o, 1, index(o, "\"totals\""))
}' lat.json)
vt_pushes=$(queue_total lat.json blkl 0 pushes)
qv() { json_field "$q" "$1"; }
interval_ms=$(json_field "$row" interval_ms)
vt_service_n=$(awk -v r="$(qv pushes_per_s)" -v i="$interval_ms" 'BEGIN { v = r * i / 1000 + 0.5; printf "%.0f", v - v % 1 }')
vt_irq_n=$(awk -v r="$(qv irqs_delivered_per_s)" -v i="$interval_ms" 'BEGIN { v = r * i / 1000 + 0.5; printf "%.0f", v - v % 1 }')
bt_service_n=$(awk '$1 == "@service_n:" { print $2 }' bt.out)
bt_irq_n=$(awk '$1 == "@irq_n:" { print $2 }' bt.out)
fio_ios=$(grep -o '"total_ios" : [0-9]*' lat-fio.json | awk '{ s += $3 } END { print s }')
echo "samples: fio $fio_ios I/Os; service: vtop $vt_service_n (pushes since vtop attached:" \
	"$vt_pushes), bpftrace $bt_service_n; irq: vtop $vt_irq_n, bpftrace $bt_irq_n"
# The same window: bpftrace (attached first, stopped last) saw as many
# chains as vtop's one interval, which saw every push since vtop attached.
expect_eq "bpftrace's service samples (vtop's interval has as many)" "$vt_service_n" "$bt_service_n"
expect_eq "pushes since vtop attached (its interval has them all)" "$vt_service_n" "$vt_pushes"
[ "$vt_service_n" -ge "$fio_ios" ] || fail "vtop saw $vt_service_n requests, fio did $fio_ios"
expect_eq "bpftrace's IRQ samples (vtop's interval has as many)" "$vt_irq_n" "$bt_irq_n"

# Within one log2 slot: vtop's percentile is interpolated inside the slot
# that holds the sample of that rank, so both sides agree on the slot when
# they hold the same samples. They time them with different clock reads
# (the kernel's stamps inside uvdev; bpftrace's nsecs in its programs, a few
# microseconds apart), which can move a sample near a power of two into the
# next slot, and the rank with it: one slot apart, no more.
bt_slots service >bt-service.txt
bt_slots irq >bt-irq.txt
check_pct() {
	local what=$1 vt=$2 bt=$3 vs bs
	vs=$(slot_of "$vt")
	bs=$(slot_of "$bt")
	echo "$what: vtop $vt ns (slot $vs), bpftrace $bt ns (slot $bs)"
	(( vs - bs <= 1 && bs - vs <= 1 )) ||
		fail "$what: vtop and bpftrace are more than one log2 slot apart"
}
check_pct "service p50" "$(qv service_p50_ns)" "$(percentile 50 <bt-service.txt)"
check_pct "service p99" "$(qv service_p99_ns)" "$(percentile 99 <bt-service.txt)"
check_pct "irq p99" "$(qv irq_p99_ns)" "$(percentile 99 <bt-irq.txt)"
clat50=$(awk '/"clat_ns"/ { on = 1 } on && /"50.000000"/ { gsub(/[^0-9]/, "", $3); print $3; exit }' lat-fio.json)
wait50=$(qv wait_p50_ns)
svc50=$(qv service_p50_ns)
echo "fio clat p50 $clat50 ns; vtop wait p50 $wait50 + service p50 $svc50 = $((wait50 + svc50)) ns"
[ "$clat50" -ge $((wait50 + svc50)) ] || fail "fio's completion latency p50 is below vtop's wait + service"
stop_backend "$blkl"

unload_module
echo "done in ${SECONDS}s"
