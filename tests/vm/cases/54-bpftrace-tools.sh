#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bpftrace collection (tools/bpftrace/*.bt) against vtop on real
# workloads, every script running at once beside one vtop (JSON and its
# exporter), all attached before the first device exists:
# - uvdev-blk (two queues) under fio, a fixed 2048 I/Os, and uvdev-rng read
#   64 times: msg-latency, kick-pop, pop-push and irq-latency hold exactly
#   vtop's samples, bucket by log2 bucket, with the same sums (each
#   histogram against the exporter's cumulative one, before and after the
#   scripts stop: a sample either side of the stop brackets them);
# - the blk backend SIGSTOPped under fio with chains in flight: stuck.bt
#   names the queues vtop shows stalled with chains in flight, once each
#   past the limit, and their ends after SIGCONT;
# - the backend stopped again while virtio_blk probes the device: the
#   probe's message is stuck (stuck.bt), times out and the device breaks
#   (broken.bt), the same message and cause as vtop's events;
# - lifecycle.bt's events (create, status, queue setup, destroy) are
#   vtop's, one for one.
# timeout: 480
# vtop-induces: stalled,broken
. "$UVDEV_ROOT/tests/vm/lib.sh"

BT=$UVDEV_ROOT/tools/bpftrace
PORT=9466
STUCK_MS=500
MSG_TIMEOUT_MS=2000
HISTS=(msg-latency kick-pop pop-push irq-latency)
EVENTS=(lifecycle broken stuck)

keep_files() {
	local rc=$?
	if [ "$rc" -ne 0 ]; then
		mkdir -p "$UVDEV_RESULTS/54-bpftrace-tools.files"
		cp -f ./*.json ./*.txt ./*.out ./*.err ./*.prom "$UVDEV_RESULTS/54-bpftrace-tools.files/" 2>/dev/null
	fi
	return "$rc"
}
trap keep_files EXIT

step() {
	echo "== [${SECONDS}s] $*"
}

now_ms() { date +%s%3N; }

# problem MESSAGE: a comparison failed; the case goes on to the others (each
# step's premise still holds) and fails at its end.
problems=0
problem() {
	echo "FAIL: $*" >&2
	problems=$((problems + 1))
}

# stop_bt NAME...: SIGINT each script and wait for it to print its maps and
# exit. One that still runs after 30 s has its state shown and gets a
# second SIGINT (seen once under a heavily loaded host: a bpftrace that did
# not exit on the first).
stop_bt() {
	local s p
	for s in "$@"; do
		kill -INT "${bt_pid[$s]}"
	done
	for s in "$@"; do
		p=${bt_pid[$s]}
		if ! exits_within 30 "$p"; then
			echo "$s.bt (pid $p) still runs 30 s after SIGINT:"
			grep -E '^(State|SigBlk|SigCgt|SigPnd|ShdPnd|Threads)' "/proc/$p/status" || true
			for t in /proc/"$p"/task/*; do
				echo "task ${t##*/}: $(cat "$t/wchan" 2>/dev/null) $(tr '\n' ' ' <"$t/stack" 2>/dev/null)"
			done
			kill -INT "$p"
			exits_within 60 "$p" || fail "$s.bt still runs 60 s after a second SIGINT"
		fi
		wait "$p" || echo "$s.bt exited with $? on SIGINT: $(cat "$s.err")"
	done
}

# ---- vtop and the scripts, before any device -----------------------------

load_module
modprobe -a virtio_blk virtio-rng
ip link set lo up	# the exporter on loopback
step "vtop and every script attach"
start_vtop vtop.json -o json --no-cost --stall-ms $STUCK_MS --exporter "127.0.0.1:$PORT" 0.5
declare -A bt_pid=()
for s in "${HISTS[@]}" lifecycle broken; do
	bpftrace "$BT/$s.bt" >"$s.out" 2>"$s.err" &
	bt_pid[$s]=$!
done
bpftrace "$BT/stuck.bt" $STUCK_MS >stuck.out 2>stuck.err &
bt_pid[stuck]=$!
# Each prints its first line in BEGIN; bpftrace shows it only once every
# probe is attached (it polls its output buffers after attaching). Seven
# bpftrace starts on 2 vCPUs under TCG, each loading LLVM: the last came
# after 171 s to 256 s on a 2-core host running four other TCG guests.
for s in "${HISTS[@]}" "${EVENTS[@]}"; do
	wait_for 300 "$s.bt to attach" file_has "$s.out" '^Tracing'
	echo "[${SECONDS}s] $s.bt attached"
done
bpftrace --version
step "all attached"

# ---- histograms ------------------------------------------------------------

step "workload: uvdev-blk under fio (2 jobs x 1024 I/Os), uvdev-rng read 64 times"
truncate -s 64M /tmp/bt-blk.img
uvdev-blk --queues 2 blk0 /tmp/bt-blk.img 2>blk0.err &
blk=$!
uvdev-rng rng0 2>rng0.err &
rng=$!
dev=$(wait_block blk0)
echo 2 >"/sys/block/${dev#/dev/}/queue/nomerges"	# one request, one chain
rng_is_current() {
	grep -q "^virtio_rng" /sys/class/misc/hw_random/rng_current
}
wait_for 60 "virtio_rng to become the current hwrng" rng_is_current
blk_id=$(cat /sys/class/uvdev/blk0/dev_id)
rng_id=$(cat /sys/class/uvdev/rng0/dev_id)
printf '%s blk0\n%s rng0\n' "$blk_id" "$rng_id" >ids.txt
# One job per CPU, so that both of blk0's queues carry requests.
fio --name=bt --filename="$dev" --direct=1 --ioengine=libaio --rw=randrw --bs=4k \
	--iodepth=16 --io_size=4M --numjobs=2 --cpus_allowed=0-1 --cpus_allowed_policy=split \
	--randrepeat=0 --output-format=json >fio.json
ios=$(grep -o '"total_ios" : [0-9]*' fio.json | awk '{ s += $3 } END { print s }')
expect_eq "fio's I/O count" 2048 "$ios"
dd if=/dev/hwrng of=/dev/null bs=64 count=64 status=none

all_quiet() {
	quiet blk0 0 && quiet blk0 1 && quiet rng0 0
}
lines_after() {
	[ "$(wc -l <"$1")" -gt "$2" ]
}
# next_samples: wait for two more vtop samples (the exporter serves the
# last one; the second was sampled wholly after this call).
next_samples() {
	local n
	n=$(wc -l <vtop.json)
	wait_for 20 "two more vtop samples" lines_after vtop.json $((n + 1))
}
scrape() {
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
	cat <&3 >"$1"
	exec 3<&-
}

wait_for 30 "blk0 and rng0 to be quiet" all_quiet
next_samples
scrape before.prom || fail "the exporter did not answer"
step "stop the histogram scripts"
stop_bt "${HISTS[@]}"
next_samples
scrape after.prom || fail "the exporter did not answer"

# Tables of "METRIC KEY SLOT VALUE" lines: for each histogram the
# cumulative count up to each log2 slot the exporter has (9, values up to
# 1023 ns, to 39), "inf" (the total) and "sum" (ns); counters as slot "n".
# Keys: DEVICE/QUEUE, message types (all devices together), and
# DEVICE/TYPE/RESULT, DEVICE/QUEUE/OUTCOME for counters.
AWK_NS='
function ns(sec,   i, w, f) {
	i = index(sec, ".")
	if (!i)
		return sec * 1000000000
	w = substr(sec, 1, i - 1)
	f = substr(substr(sec, i + 1) "000000000", 1, 9)
	return w * 1000000000 + f
}'

prom_table() {
	awk "$AWK_NS"'
	function label(s, k,   i, v) {
		i = index(s, k "=\"")
		if (!i)
			return ""
		v = substr(s, i + length(k) + 2)
		return substr(v, 1, index(v, "\"") - 1)
	}
	/^#/ { next }
	{
		name = $1; sub(/\{.*/, "", name); lab = $1
		d = label(lab, "device")
		if (d != "blk0" && d != "rng0")
			next
		m = ""
		if (name ~ /^uvdev_queue_wait_seconds/) m = "wait"
		else if (name ~ /^uvdev_queue_service_seconds/) m = "service"
		else if (name ~ /^uvdev_queue_irq_latency_seconds/) m = "irq"
		else if (name ~ /^uvdev_device_message_seconds/) m = "msg"
		else if (name == "uvdev_device_messages_total") {
			v[sprintf("msgs %s/%s/%s n", d, label(lab, "type"), label(lab, "result"))] += $2
			next
		} else if (name == "uvdev_queue_irqs_delivered_total") {
			v[sprintf("irqs %s/%s/%s n", d, label(lab, "queue"), label(lab, "outcome"))] += $2
			next
		} else
			next
		key = m == "msg" ? label(lab, "type") : d "/" label(lab, "queue")
		if (name ~ /_bucket$/) {
			le = label(lab, "le")
			if (le == "+Inf")
				slot = "inf"
			else {
				slot = 0
				for (x = ns(le) + 1; x > 2; x /= 2)
					slot++
			}
			v[m " " key " " slot] += $2
		} else if (name ~ /_sum$/)
			v[m " " key " sum"] += ns($2)
	}
	END { for (k in v) printf "%s %.0f\n", k, v[k] }' "$1" | sort
}

# bt_table METRIC HIST STATS FILE: bpftrace's @HIST histograms and @STATS
# sums in FILE, as prom_table writes them; device ids named from ids.txt.
bt_table() {
	awk -v m="$1" -v h="@$2[" -v st="@$3[" '
	FNR == NR { name[$1] = $2; next }
	function keyof(s,   k, n, p) {
		k = substr(s, index(s, "[") + 1)
		k = substr(k, 1, index(k, "]") - 1)
		n = split(k, p, /, */)
		if (m == "msg")
			return k
		return (p[1] in name ? name[p[1]] : "dev" p[1]) "/" p[2]
	}
	function flush(   i, c) {
		if (key == "")
			return
		for (i = 0; i <= 63; i++) {
			c += cnt[i]
			if (i >= 9 && i <= 39)
				v[m " " key " " i] += c
		}
		v[m " " key " inf"] += c
		delete cnt
		key = ""
	}
	index($0, h) == 1 { flush(); key = keyof($0); next }
	index($0, st) == 1 { flush(); v[m " " keyof($0) " sum"] += $NF; next }
	key != "" && /^[[(]/ {
		for (f = 2; f <= NF && $f !~ /^\|/; f++)
			;
		# hist() is signed: "(..., 0)" would hold u64 values of 2^63 and
		# more, the last slot in vtop; the kernel gives none (a pop before its
		# kick was stamped waited 0 ns).
		if ($1 == "(...,") {
			cnt[63] += $(f - 1)
			next
		}
		s = $1
		gsub(/[][,)]/, "", s)
		mult = 1
		if (s ~ /[KMGTP]$/) {
			mult = 1024 ^ index("KMGTP", substr(s, length(s)))
			s = substr(s, 1, length(s) - 1)
		}
		slot = 0
		for (x = s * mult; x >= 2; x /= 2)
			slot++
		cnt[slot] += $(f - 1)
		next
	}
	key != "" { flush() }
	END { flush(); for (k in v) printf "%s %.0f\n", k, v[k] }' ids.txt "$4" | sort
}

# bt_counts METRIC MAP FILE: a count() map keyed DEV, X, Y as "METRIC
# DEVICE/X/Y n VALUE".
bt_counts() {
	awk -v m="$1" -v h="@$2[" '
	FNR == NR { name[$1] = $2; next }
	index($0, h) == 1 {
		k = substr($0, length(h) + 1)
		k = substr(k, 1, index(k, "]") - 1)
		n = split(k, p, /, */)
		printf "%s %s/%s/%s n %s\n", m, (p[1] in name ? name[p[1]] : "dev" p[1]), p[2], p[3], $NF
	}' ids.txt "$3" | sort
}

{
	bt_table msg msg_ns msg_stats msg-latency.out
	bt_counts msgs msgs msg-latency.out
	bt_table wait wait_ns wait_stats kick-pop.out
	bt_table service service_ns service_stats pop-push.out
	bt_table irq irq_ns irq_stats irq-latency.out
	bt_counts irqs irqs irq-latency.out
} | sort >bt.txt
prom_table before.prom >before.txt
prom_table after.prom >after.txt

# Every line of either side, with a missing one as 0: before <= bpftrace <=
# after, and equal where before = after (nothing happened at the stop).
join -a1 -a2 -e 0 -o 0,1.2,2.2 <(awk '{ print $1 "|" $2 "|" $3, $4 }' before.txt | sort) \
	<(awk '{ print $1 "|" $2 "|" $3, $4 }' after.txt | sort) >ba.txt
join -a1 -a2 -e 0 -o 0,1.2,1.3,2.2 ba.txt <(awk '{ print $1 "|" $2 "|" $3, $4 }' bt.txt | sort) \
	>cmp.txt
awk '
	{ b = $2 + 0; a = $3 + 0; t = $4 + 0 }
	t < b || t > a { print "mismatch (METRIC|KEY|SLOT before after bpftrace): " $0; bad++ }
	b != a { moved++; print "moved at the stop: " $0 }
	END {
		print NR " values compared, " moved + 0 " moved while the scripts stopped"
		exit bad > 0
	}' cmp.txt || problem "bpftrace's histograms or counts differ from vtop's"
if ! grep -q '^wait|blk0/0|inf' cmp.txt || ! grep -q '^wait|blk0/1|inf' cmp.txt; then
	problem "no wait samples on both of blk0's queues"
fi
awk -F'[| ]' '$1 ~ /^(wait|service|irq)$/ && $2 ~ /^blk0/ && $4 != $5 { exit 1 }' cmp.txt ||
	problem "blk0's figures moved while the scripts stopped: nothing touches it then"

# A summary per histogram: samples, sum, and the log2 slot of p50 and p99
# from each side (the same when the buckets are).
awk -F'[| ]' '
	{ k = $1 "|" $2 }
	$3 == "inf" { tot[k, 0] = $4; tot[k, 1] = $6; if ($6 > 0) keys[k] = 1 }
	$3 == "sum" { sum[k, 0] = $4; sum[k, 1] = $6 }
	$3 ~ /^[0-9]+$/ { c[k, $3, 0] = $4; c[k, $3, 1] = $6 }
	function pslot(k, side, pct,   i) {
		for (i = 9; i <= 39; i++)
			if (c[k, i, side] >= pct / 100 * tot[k, side])
				return i == 9 ? "<=9" : i
		return "-"
	}
	END {
		for (k in keys)
			printf "%-16s samples %5d (vtop %5d), sum_ns %11.0f (vtop %11.0f), log2 slot of p50 %s (vtop %s), p99 %s (vtop %s)\n",
				k, tot[k, 1], tot[k, 0], sum[k, 1], sum[k, 0], pslot(k, 1, 50), pslot(k, 0, 50),
				pslot(k, 1, 99), pslot(k, 0, 99)
	}' cmp.txt | sort
for s in "${HISTS[@]}"; do
	echo "--- $s.bt"
	cat "$s.out"
done
[ "$problems" -gt 0 ] || echo "ok: the four histogram scripts hold vtop's samples, bucket for bucket"

# ---- stuck chains --------------------------------------------------------------

step "stuck chains: blk0's backend SIGSTOPped under fio with chains in flight"
fio --name=load --filename="$dev" --direct=1 --ioengine=libaio --rw=randread --bs=4k \
	--iodepth=32 --numjobs=2 --cpus_allowed=0-1 --cpus_allowed_policy=split \
	--time_based --runtime=120 --output=load.txt &
fio_pid=$!
loaded() {
	local r0 r1
	r0=$(kqueue blk0 0) && r1=$(kqueue blk0 1) &&
		[ $(( $(row_field "$r0" 4) + $(row_field "$r0" 6) + $(row_field "$r1" 4) + $(row_field "$r1" 6) )) -gt 0 ]
}
wait_for 30 "fio to load blk0" loaded
# Only what stuck.bt prints from here on (nothing was stuck before, but a
# slow chain under the histogram load must not count).
stuck_from=$(wc -l <stuck.out)
stop_in_flight "$blk" blk0 100
[ "$held" -gt 0 ] || fail "never stopped blk0's backend with a chain in flight"
stopped=$(now_ms)
echo "stopped with $held chains in flight (attempt $attempt)"
# inflight_queues FILE: the queues of blk0 that FILE's last vtop sample shows
# stalled with chains in flight.
inflight_queues() {
	tail -n 1 "$1" | awk -v id="$blk_id" '{
		d = substr($0, index($0, "{\"dev\":" id ","))
		d = substr(d, 1, index(d, "]"))
		n = split(d, q, /\{"queue":/)
		for (i = 2; i <= n; i++) {
			split(q[i], f, ",")
			if (q[i] ~ /"state":"stalled"/ && q[i] !~ /"inflight":0,/)
				print f[1]
		}
	}'
}
stuck_lines() {
	tail -n +$((stuck_from + 1)) stuck.out
}
stuck_queues() {
	stuck_lines | awk -v id="$blk_id" '$2 == "chain" && $3 == id { print $4 }' | sort -u
}
stuck_seen() {
	awk -v id="$blk_id" -v from="$stuck_from" 'NR > from && $2 == "chain" && $3 == id { f = 1 }
		END { exit !f }' stuck.out
}
vtop_stalled() {
	[ -n "$(inflight_queues vtop.json)" ]
}
wait_for 30 "stuck.bt to report a chain of blk0" stuck_seen
echo "stuck.bt reported a chain of blk0 within $(( $(now_ms) - stopped )) ms of the stop (limit $STUCK_MS ms)"
wait_for 30 "vtop to show blk0 stalled with chains in flight" vtop_stalled
# stuck.bt (a scan every 100 ms) and vtop (a sample every 500 ms) agree: each
# queue vtop shows stalled with chains in flight is named, and no other.
same_queues() {
	[ "$(inflight_queues vtop.json | sort -u)" = "$(stuck_queues)" ]
}
wait_for 10 "stuck.bt to name the queues vtop shows stalled with chains in flight" same_queues
echo "vtop: stalled with chains in flight on blk0 queue(s) $(inflight_queues vtop.json | tr '\n' ' ')"
stuck_lines >stuck-chains.out
kill -CONT "$blk"
grep -E '^[0-9:]+ chain' stuck-chains.out || true
awk -v id="$blk_id" -v ms=$STUCK_MS '$2 == "chain" && $3 == id && ($6 < ms || $6 > ms + 1000) { bad = 1 }
	END { exit bad }' stuck-chains.out || problem "a chain reported stuck at an age not in [$STUCK_MS, $((STUCK_MS + 1000))] ms"
n=$(awk -v id="$blk_id" '$2 == "chain" && $3 == id' stuck-chains.out | wc -l)
q=$(awk -v id="$blk_id" '$2 == "chain" && $3 == id { print $4 }' stuck-chains.out | sort -u | wc -l)
[ "$n" -eq "$q" ] || problem "stuck.bt reported $n chains on $q queues, not one per queue"
# Each reported chain ends, with the kernel's service time past the limit.
ended() {
	local q h
	while read -r q h; do
		awk -v id="$blk_id" -v q="$q" -v h="$h" -v ms=$STUCK_MS \
			'$2 == "done" && $3 == id && $4 == q && $5 == h && $6 >= ms && $7 == "result=ok" { f = 1 }
			END { exit !f }' stuck.out || return 1
	done < <(awk -v id="$blk_id" '$2 == "chain" && $3 == id { print $4, $5 }' stuck-chains.out)
}
wait_for 30 "a done line for each stuck chain" ended
grep -E '^[0-9:]+ done' stuck.out || true
kill -INT "$fio_pid"
wait "$fio_pid" || true		# interrupted on purpose
grep -q 'err= 0' load.txt || problem "fio saw errors after the backend resumed: $(grep err= load.txt)"
echo "ok: stuck.bt named each stalled queue once and saw its chain end"

# ---- a stuck message, a timeout, a broken device ----------------------------------

step "broken: the backend stopped while virtio_blk probes blk0 (message timeout $MSG_TIMEOUT_MS ms)"
echo $MSG_TIMEOUT_MS >/sys/class/uvdev/blk0/msg_timeout_ms
vdev=$(basename "$(readlink -f /sys/class/uvdev/blk0/virtio*)")
echo "$vdev" >/sys/bus/virtio/drivers/virtio_blk/unbind
kill -STOP "$blk"
echo "$vdev" >/sys/bus/virtio/drivers/virtio_blk/bind 2>bind.err || true
wait_for 20 "broken.bt to show blk0 broken" \
	file_has broken.out "^[0-9:]+ broken +$blk_id +blk0 +reason=msg_timeout$"
wait_for 20 "vtop to show the broken event" file_has vtop.json '"type":"broken"'
cat broken.out
uvdevctl destroy blk0
kill -CONT "$blk"
wait "$blk" || true		# it finds its device broken and gone
stop_backend "$rng"
wait_for 20 "lifecycle.bt to see both devices destroyed" \
	bash -c "[ \$(grep -cE '^[0-9:]+ destroy ' lifecycle.out) -eq 2 ]"
next_samples
stop_vtop
stop_bt "${EVENTS[@]}"
for s in "${EVENTS[@]}"; do
	echo "--- $s.bt"
	cat "$s.out"
done
grep -q '"events_dropped":[1-9]' vtop.json && problem "vtop dropped events"

# vtop's events, one per line: TYPE DEV, then what the type carries.
awk "$JSON_AWK"'{
	e = substr($0, index($0, "\"events\":[") + 10)
	n = split(e, ev, /\},\{/)
	for (i = 1; i <= n; i++) {
		t = val(ev[i], "type")
		d = val(ev[i], "dev")
		if (t == "dev_create")
			printf "create %s device_id=%s queues=%s\n", d, val(ev[i], "device_id"), val(ev[i], "num_queues")
		else if (t == "dev_destroy")
			printf "destroy %s\n", d
		else if (t == "status")
			printf "status %s 0x%x 0x%x\n", d, val(ev[i], "old_status"), val(ev[i], "new_status")
		else if (t == "vq_setup")
			printf "vq %s queue=%s size=%s ready=%d\n", d, val(ev[i], "queue"), val(ev[i], "size"), val(ev[i], "ready") == "true"
		else if (t == "msg_timeout")
			printf "timeout %s msg_id=%s type=%s\n", d, val(ev[i], "msg_id"), val(ev[i], "msg_type")
		else if (t == "broken")
			printf "broken %s reason=%s\n", d, val(ev[i], "a")
	}
}' vtop.json >vtop-events.txt

step "lifecycle.bt: vtop's events, one for one"
awk '$2 == "create" { print "create", $3, $5, $6 }
	$2 == "destroy" { print "destroy", $3 }
	$2 == "status" { print "status", $3, $5, $7 }
	$2 == "vq" { print "vq", $3, $5, $6, $7 }' lifecycle.out | sort >bt-lifecycle.txt
grep -E '^(create|destroy|status|vq) ' vtop-events.txt | sort >vtop-lifecycle.txt
diff vtop-lifecycle.txt bt-lifecycle.txt || problem "lifecycle.bt and vtop saw different events (< vtop, > bpftrace)"
echo "ok: $(wc -l <bt-lifecycle.txt) events: $(cut -d' ' -f1 bt-lifecycle.txt | sort | uniq -c | tr -s ' \n' ' ')"
grep -E "^[0-9:]+ (create|destroy) " lifecycle.out || true

step "broken.bt: vtop's timeouts and broken events"
awk '$2 == "timeout" { print "timeout", $3, $5, $6 }
	$2 == "broken" { print "broken", $3, $5 }' broken.out |
	sed 's/reason=msg_timeout/reason=0/; s/reason=malformed_chain/reason=1/; s/reason=driver_timeout/reason=2/; s/reason=no_backend/reason=3/' |
	sort >bt-broken.txt
grep -E '^(timeout|broken) ' vtop-events.txt | sort >vtop-broken.txt
diff vtop-broken.txt bt-broken.txt || problem "broken.bt and vtop saw different breaks (< vtop, > bpftrace)"
grep -q "^broken $blk_id reason=0$" bt-broken.txt || problem "no msg_timeout break of blk0"
echo "ok: $(tr '\n' ';' <bt-broken.txt)"

step "stuck.bt: the message that timed out was stuck first"
read -r _ _ msg_id msg_type < <(grep "^timeout $blk_id " bt-broken.txt | tr '=' ' ' | awk '{ print $1, $2, $4, $6 }')
grep -E '^[0-9:]+ (msg|done) +[0-9]+ +msg' stuck.out || true
awk -v id="$blk_id" -v m="$msg_id" -v t="type=$msg_type" -v ms=$STUCK_MS -v to=$MSG_TIMEOUT_MS \
	'$2 == "msg" && $3 == id && $5 == m && $7 == t && $6 >= ms && $6 < to { f = 1 }
	END { exit !f }' stuck.out || problem "stuck.bt did not report message $msg_id ($msg_type) of blk0 before it timed out"
awk -v id="$blk_id" -v m="$msg_id" -v ms=$MSG_TIMEOUT_MS \
	'$2 == "done" && $3 == id && $4 == "msg" && $5 == m && $6 >= ms && $7 == "result=timeout" { f = 1 }
	END { exit !f }' stuck.out || problem "stuck.bt did not see message $msg_id end in a timeout"
echo "ok: message $msg_id ($msg_type) stuck, then timed out; vtop's msg_timeout event names it too"

[ "$problems" -eq 0 ] || fail "$problems comparison(s) failed (above)"
unload_module
echo "done in ${SECONDS}s"
