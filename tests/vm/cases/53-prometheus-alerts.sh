#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Prometheus rules of dashboards/rules/, loaded unchanged by a real
# Prometheus scraping vtop's exporter every second and evaluating them
# every two. With uvdev-blk under a light fio load no alert is pending or
# firing. The backend stopped with a request pending or in flight makes
# UvdevQueueStalled fire for blk0/0;
# by Prometheus's own time stamps (the alert's activeAt, its ALERTS
# series) and vtop's: pending no earlier than vtop's first stalled sample,
# itself no earlier than --stall-ms after the oldest request, and firing
# no earlier than the rule's for: after that; each step within a scrape
# and an evaluation (plus a slack) of the one before. Resumed, it resolves
# within a scrape and an evaluation of vtop's first sample that is not
# stalled. Frozen by the stop, the recording rules equal vtop's JSON (and
# the kernel's counts) exactly: chains pending and in flight, state codes,
# devices per state; so do the raw counters. Over their last minute, the recorded
# push and kick rates agree with vtop's JSON counters within 10 %, and the
# recorded service p99 with vtop's. The exporter serves the families
# dashboards/vtop-metrics.txt lists (the page is kept in the results),
# every recording rule has series, and every dashboard query runs.
# About 2 minutes of guest time on a host running two other TCG guests,
# nearly 4 with four: Prometheus's own CPU, and each program started in
# the guest, grow with the host's load.
# timeout: 420
# vtop-induces: stalled
# shellcheck disable=SC2016 # jq programs in single quotes name jq's variables
. "$UVDEV_ROOT/tests/vm/lib.sh"

STALL_MS=1000
INTERVAL_MS=1000
SCRAPE_MS=1000
# Evaluating the rules costs Prometheus most of its CPU here: under TCG a
# group's evaluation took over a second of a busy guest's time.
EVAL_MS=2000
# Beyond a scrape and an evaluation: Prometheus's timers in a guest whose
# host runs other TCG guests fire late (the case prints how late).
SLACK_MS=$((3000 * ${UVDEV_TIME_SCALE:-1}))
VTOP_PORT=9466
PROM_PORT=9090
rules=$UVDEV_ROOT/dashboards/rules
fixture=$UVDEV_ROOT/dashboards/vtop-metrics.txt

now_ms() { date +%s%3N; }
step() {
	echo "== [${SECONDS}s] $*"
}

# wait_every PERIOD SECONDS DESCRIPTION COMMAND...: wait_for, polling every
# PERIOD seconds: each poll of Prometheus runs a few processes, on the
# CPUs Prometheus and vtop need.
wait_every() {
	local period=$1 limit=$(($2 * ${UVDEV_TIME_SCALE:-1})) what=$3 deadline
	shift 3
	deadline=$(( $(now_ms) + limit * 1000 ))
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || fail "timed out after ${limit}s waiting for $what"
		sleep "$period"
	done
}

blk=
keep_files() {
	local rc=$?
	[ -z "$blk" ] || kill -CONT "$blk" 2>/dev/null || true
	if [ "$rc" -ne 0 ]; then
		mkdir -p "$UVDEV_RESULTS/53-prometheus-alerts.files"
		cp -f ./*.json ./*.txt ./*.tsv ./*.err ./*.yml "$UVDEV_RESULTS/53-prometheus-alerts.files/" \
			2>/dev/null
	fi
	return "$rc"
}
trap keep_files EXIT

# The for: of alert $1 in the rule file, in ms.
for_ms() {
	awk -v a="$1" '
		/^[ \t]*- alert:/ { on = $3 == a }
		on && /^[ \t]*for:/ {
			v = $2
			n = v + 0
			if (v ~ /ms$/) print n; else if (v ~ /s$/) print n * 1000
			else if (v ~ /m$/) print n * 60000
			exit
		}' "$rules/uvdev-alerts.yml"
}
FOR_MS=$(for_ms UvdevQueueStalled)
[ -n "$FOR_MS" ] || fail "no for: for UvdevQueueStalled in $rules/uvdev-alerts.yml"

# ---- Prometheus's HTTP API ------------------------------------------------------

# The polls below run as few programs as they can, jq least of all (it
# compiles its builtins at every start, about a second of a TCG guest's
# time): each costs CPU that Prometheus and vtop need.

# api PATH OUT: GET PATH from Prometheus into OUT; fails unless a 200
# (Prometheus answers an error with another status).
api() {
	"$TESTBIN/http-get" "$PROM_PORT" "$1" "$2" >/dev/null
}

# uri_encode STRING: STRING percent-encoded, into URI.
uri_encode() {
	local s=$1 c i
	URI=
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9._~-]) URI+=$c ;;
		*) printf -v c '%%%02X' "'$c"; URI+=$c ;;
		esac
	done
}

# query EXPR [TIME]: an instant query (at TIME, Unix seconds) into q.json.
query() {
	uri_encode "$1"
	api "/api/v1/query?query=$URI${2:+&time=$2}" q.json || fail "query $1: $(cat q.json 2>/dev/null)"
}

# value EXPR [TIME]: the value of the one series EXPR gives, empty for none.
value() {
	local body re='"value":\[[^],]*,"([^"]*)"\]' n=0 v=
	query "$@"
	read -r -d '' body <q.json || true
	while [[ $body =~ $re ]]; do
		v=${BASH_REMATCH[1]}
		n=$((n + 1))
		body=${body#*"${BASH_REMATCH[0]}"}
	done
	[ "$n" -le 1 ] || fail "$1 gives $n series, not one"
	echo "$v"
}

# no_alerts: Prometheus has no alert pending or firing.
no_alerts() {
	local body
	api /api/v1/alerts alerts.json || fail "/api/v1/alerts: $(cat alerts.json 2>/dev/null)"
	read -r -d '' body <alerts.json || true
	[[ $body == *'"alerts":[]'* ]]
}

# stalled_state: UvdevQueueStalled's state for blk0/0 into stall_state:
# pending, firing, or empty when inactive. Prometheus sorts the labels;
# the alert's state follows its annotations.
STALLED_JQ='.data.alerts[] | select(.labels.alertname == "UvdevQueueStalled" and
	.labels.device == "blk0" and .labels.queue == "0")'
stalled_state() {
	local body re='"alertname":"UvdevQueueStalled","device":"blk0"[^{}]*"queue":"0"[^{}]*\},"annotations":\{[^{}]*\},"state":"([a-z]+)","activeAt"'
	api /api/v1/alerts alerts.json || fail "/api/v1/alerts: $(cat alerts.json 2>/dev/null)"
	read -r -d '' body <alerts.json || true
	stall_state=
	if [[ $body =~ $re ]]; then
		stall_state=${BASH_REMATCH[1]}
	fi
}

is_firing() {
	stalled_state
	[ "$stall_state" = firing ]
}

is_gone() {
	stalled_state
	[ -z "$stall_state" ]
}

# alert_samples: the first and last time stamps (ms) of the ALERTS samples
# of UvdevQueueStalled for blk0/0 over the last 5 minutes, a line for each
# state: STATE FIRST LAST, in alert-samples.txt.
alert_samples() {
	query 'ALERTS{alertname="UvdevQueueStalled",device="blk0",queue="0"}[5m]'
	jq -r '.data.result[] | "\(.metric.alertstate) \(.values[0][0] * 1000 | round)" +
		" \(.values[-1][0] * 1000 | round)"' q.json >alert-samples.txt
}

ready() {
	"$TESTBIN/http-get" "$PROM_PORT" /-/ready ready.txt >/dev/null
}

target_up() {
	[ "$(value 'up{job="vtop"}')" = 1 ]
}

# ---- vtop's JSON lines ----------------------------------------------------------

# samples: vtop's complete lines (it may be writing the next one).
samples() {
	head -n "$(wc -l <vtop.json)" vtop.json
}

# blk0_pushes: blk0's pushes (all queues) in vtop's last sample.
blk0_pushes() {
	sed -n "$(wc -l <vtop.json)p" vtop.json | awk '{
		d = substr($0, index($0, "\"name\":\"blk0\","))
		sub(/\]\},\{"dev":.*/, "", d)
		n = 0
		while ((i = index(d, "\"pushes\":")) > 0) {
			d = substr(d, i + 9)
			n += d + 0
		}
		print n
	}'
}

# blk0_states: time (ms) and blk0/0's state, one line per vtop sample, into
# states.txt (by awk: jq over every sample is slow in the guest).
blk0_states() {
	samples | awk "$JSON_AWK"'{
		q = queue_json($0, "blk0", 0)
		if (q != "")
			printf "%.0f %s\n", val($0, "time_ms"), val(q, "state")
	}' >states.txt
}

# vtop_first STATE T: the time (ms) of vtop's first sample after T with
# blk0/0 in STATE (!STATE: in another state), from blk0_states's list.
vtop_first() {
	awk -v s="$1" -v t="$2" '$1 > t && (s ~ /^!/ ? "!" $2 != s : $2 == s) { print $1; exit }' \
		states.txt
}

# vtop_last_not STATE T: the time (ms) of vtop's last sample before T with
# blk0/0 not in STATE, from blk0_states's list.
vtop_last_not() {
	awk -v s="$1" -v t="$2" '$1 < t && $2 != s { last = $1 } END { printf "%.0f\n", last }' states.txt
}

# cpu NAME PID: the CPU seconds (user + system) process PID has used.
cpu() {
	awk -v n="$1" -v hz="$(getconf CLK_TCK)" '{ printf "%s %.1f s", n, ($14 + $15) / hz }' \
		"/proc/$2/stat"
}

# ---- start -------------------------------------------------------------------------

# Prometheus first: it takes long to start in a TCG guest (its binary comes
# over 9p), and it can while the rest starts. It runs its Go code on one
# thread and collects garbage only near 256 MiB: under TCG its runtime
# costs the guest more CPU than its work, and the guest's two CPUs are the
# backend's, fio's and vtop's too (the case prints the CPU it used). Its scrapes fail until vtop
# listens (VtopExporterDown pends meanwhile, and goes once they succeed).
ip link set lo up
cat >prometheus.yml <<EOF
global:
  scrape_interval: $((SCRAPE_MS / 1000))s
  scrape_timeout: $((SCRAPE_MS / 1000))s
  evaluation_interval: $((EVAL_MS / 1000))s
rule_files:
  - $rules/uvdev-recording.yml
  - $rules/uvdev-alerts.yml
scrape_configs:
  - job_name: vtop
    static_configs:
      - targets: ["127.0.0.1:$VTOP_PORT"]
EOF
step "Prometheus with the project's rules (UvdevQueueStalled for: ${FOR_MS} ms)"
GOMAXPROCS=1 GOGC=off GOMEMLIMIT=256MiB prometheus --config.file=prometheus.yml --storage.tsdb.path=/tmp/prometheus53 \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn 2>prometheus.err &
prom=$!

step "uvdev-blk under fio, vtop and its exporter"
load_module
modprobe virtio_blk
truncate -s 64M /tmp/disk53.img
uvdev-blk blk0 /tmp/disk53.img 2>blk.err &
blk=$!
start_vtop vtop.json -o json --no-cost --exporter "127.0.0.1:$VTOP_PORT" \
	--stall-ms $STALL_MS "$((INTERVAL_MS / 1000)).$((INTERVAL_MS % 1000 / 100))"
dev=$(wait_block blk0)
wait_every 0.5 90 "Prometheus to be ready" ready
echo "[${SECONDS}s] Prometheus ready"
wait_every 0.5 30 "Prometheus to scrape vtop" target_up
t_up=$(now_ms)
echo "[${SECONDS}s] target up; CPU used: $(cpu prometheus "$prom"), $(cpu vtop "$vtop_pid")"
# The load starts once Prometheus scrapes: blk0's counters stood still
# before its first sample (see the rates step).
pushes_before=$(blk0_pushes)
fio --name=load --filename="$dev" --direct=1 --ioengine=libaio --rw=randread --bs=4k \
	--iodepth=4 --rate_iops=50 --time_based --runtime=200 --output=fio.txt &
fio_pid=$!

step "the exporter serves the families dashboards/vtop-metrics.txt lists"
"$TESTBIN/http-get" "$VTOP_PORT" /metrics metrics.txt >/dev/null || fail "no /metrics"
cp metrics.txt "$UVDEV_RESULTS/53-metrics.txt"
awk -f "$UVDEV_ROOT/tests/lint/lib/exposition-families.awk" metrics.txt >families.txt ||
	fail "the page has series of no family"
LC_ALL=C sort families.txt >live-families.txt
grep -v '^#' "$fixture" >fixture-families.txt
if ! diff -u fixture-families.txt live-families.txt >families-diff.txt; then
	{ grep '^#' "$fixture"; cat live-families.txt; } >"$UVDEV_RESULTS/53-vtop-metrics.txt"
	cat families-diff.txt
	fail "the exporter's families differ from $fixture (diff above): check that the" \
		"dashboards and rules still hold, then copy build/vm/results/53-vtop-metrics.txt" \
		"to dashboards/vtop-metrics.txt"
fi
echo "ok: $(grep -c '^family' live-families.txt) families, as listed"

step "healthy under load: no alert pending or firing"
pushes_past() {
	[ "$(blk0_pushes)" -gt "$1" ]
}
wait_every 0.5 30 "fio's reads through blk0" pushes_past $((pushes_before + 100))
# A scrape failed before vtop listened: VtopExporterDown pended, and goes
# at the first evaluation after a successful scrape.
wait_every 0.5 10 "no alert (alerts.json in the results)" no_alerts
echo "ok: none"

step "stalled: the backend stopped with a request pending or in flight"
kill -STOP "$blk"
t_stop=$(now_ms)
# fio always has a read outstanding or about to be: it submits the next
# one within its rate's period of the last completion.
held() {
	local row
	t_before=$(now_ms)
	row=$(kqueue blk0 0) || return 1
	t_after=$(now_ms)
	echo "$row" >held.txt
	[ $(($(row_field "$row" 4) + $(row_field "$row" 6))) -gt 0 ]
}
wait_for 5 "a request pending or in flight on blk0/0" held
row=$(cat held.txt)
echo "kernel: $row (read between t0 + $((t_before - t_stop)) and t0 + $((t_after - t_stop)) ms)"
# The oldest request's age, in whole ms up (uvdevctl rounds to 0.1 ms).
age=$(awk -v p="$(row_field "$row" 5)" -v i="$(row_field "$row" 7)" \
	'BEGIN { a = p > i ? p : i; printf "%d\n", a + 1 }')
oldest_lo=$((t_before - age))
wait_every 1 60 "UvdevQueueStalled to fire for blk0/0" is_firing
echo "[${SECONDS}s] firing (seen at t0 + $(($(now_ms) - t_stop)) ms); CPU used: $(cpu prometheus "$prom")," \
	"$(cpu vtop "$vtop_pid")"
jq -c "$STALLED_JQ" alerts.json
# When each step happened, by vtop's and Prometheus's own clocks (the
# guest's, which this shell reads too).
active_ms=$(date -d "$(jq -r "$STALLED_JQ | .activeAt" alerts.json)" +%s%3N)
# The stall episode that made it pend began after vtop's last sample
# before it that was not stalled.
blk0_states
t_v=$(vtop_first stalled "$(vtop_last_not stalled "$active_ms")")
alert_samples
pend=$(awk '$1 == "pending" { print $2 }' alert-samples.txt)
fire=$(awk '$1 == "firing" { print $2 }' alert-samples.txt)
if [ -z "$t_v" ] || [ -z "$pend" ] || [ -z "$fire" ]; then
	fail "missing times: vtop stalled '$t_v', first pending sample '$pend', first firing '$fire'"
fi
echo "t0: SIGSTOP; the oldest request from t0 + $((oldest_lo - t_stop)) ms or later"
echo "vtop stalled:  t0 + $((t_v - t_stop)) ms (from the oldest request + $STALL_MS ms)"
echo "pending:       t0 + $((active_ms - t_stop)) ms (first ALERTS sample t0 + $((pend - t_stop)) ms;" \
	"bound: vtop's + [0, $((SCRAPE_MS + EVAL_MS + SLACK_MS))] ms)"
echo "firing:        t0 + $((fire - t_stop)) ms, pending + $((fire - active_ms)) ms" \
	"(bound: pending + [$FOR_MS, $((FOR_MS + EVAL_MS + SLACK_MS))] ms)"
[ "$t_v" -ge $((oldest_lo + STALL_MS)) ] || fail "vtop called blk0/0 stalled before --stall-ms"
[ "$active_ms" -ge "$t_v" ] || fail "pending before vtop showed the stall"
[ "$active_ms" -le $((t_v + SCRAPE_MS + EVAL_MS + SLACK_MS)) ] ||
	fail "pending $((active_ms - t_v)) ms after vtop showed the stall"
[ "$fire" -ge $((active_ms + FOR_MS)) ] || fail "firing before its for: ran out"
[ "$fire" -le $((active_ms + FOR_MS + EVAL_MS + SLACK_MS)) ] ||
	fail "firing $((fire - active_ms - FOR_MS)) ms after its for: ran out"
echo "ok: the stall alert fired within its bounds"

step "frozen: the recording rules equal vtop's JSON and the kernel"
# The kernel, vtop's last sample and Prometheus's last evaluation agree
# once each has seen the stop: nothing moves while the backend is stopped.
# One line per value, "NAME [qQUEUE] [STATE] VALUE", from Prometheus's
# recording rules and raw counters, and from vtop's last sample (the state
# codes in vtop's order of severity, as the rules number them).
PROM_FROZEN='{__name__=~"device:uvdev_queue_inflight:sum|device:uvdev_device_state:code|device_queue:uvdev_queue_state:code|uvdev_queue_pending|uvdev_queue_pushes_total|uvdev_queue_pops_total",device="blk0"} or instance_state:uvdev_devices:count'
VTOP_FROZEN='def states: ["ok", "idle", "not-ready", "irq-lost", "stalled", "needs-reset", "broken",
		"notif-stalled"];
	def code($s): states | index($s);
	. as $top | (.devices[] | select(.name == "blk0") |
		"device:uvdev_queue_inflight:sum \([.queues[].inflight] | add)",
		"device:uvdev_device_state:code \(code(.state))",
		(.queues[] | "device_queue:uvdev_queue_state:code q\(.queue) \(code(.state))",
			"uvdev_queue_pending q\(.queue) \(.pending)",
			"uvdev_queue_pushes_total q\(.queue) \(.totals.pushes)",
			"uvdev_queue_pops_total q\(.queue) \(.totals.pops)")),
	(states[] as $s | "instance_state:uvdev_devices:count \($s) \([$top.devices[] |
		select(.state == $s)] | length)")'
frozen_equal() {
	local row k_pend k_infl
	row=$(kqueue blk0 0)
	k_pend=$(row_field "$row" 4)
	k_infl=$(row_field "$row" 6)
	query "$PROM_FROZEN"
	jq -r '.data.result[] | .metric as $m | [$m.__name__, ($m.queue // empty | "q" + .),
		($m.state // empty), .value[1]] | join(" ")' q.json | LC_ALL=C sort >frozen-prom.txt
	sed -n "$(wc -l <vtop.json)p" vtop.json | jq -r "$VTOP_FROZEN" | LC_ALL=C sort >frozen-vtop.txt
	echo "kernel: $k_pend pending, $k_infl in flight" >frozen-kernel.txt
	grep -qxF "device:uvdev_device_state:code 4" frozen-vtop.txt &&
		grep -qxF "device:uvdev_queue_inflight:sum $k_infl" frozen-vtop.txt &&
		grep -qxF "uvdev_queue_pending q0 $k_pend" frozen-vtop.txt &&
		cmp -s frozen-prom.txt frozen-vtop.txt
}
if ! wait_every 0.5 10 "the rules to equal vtop's JSON" frozen_equal; then
	cat frozen-kernel.txt
	diff frozen-vtop.txt frozen-prom.txt || true
	exit 1
fi
cat frozen-kernel.txt
echo "vtop's last sample, and Prometheus's rules and counters, the same:"
cat frozen-prom.txt
is_firing || fail "UvdevQueueStalled stopped firing while blk0 is stopped"

step "resumed: the alert resolves"
kill -CONT "$blk"
t_cont=$(now_ms)
wait_every 0.5 30 "UvdevQueueStalled to resolve" is_gone
echo "[${SECONDS}s] resolved (seen at SIGCONT + $(($(now_ms) - t_cont)) ms)"
blk0_states
t_ok=$(vtop_first '!stalled' "$t_cont")
alert_samples
last=$(awk '$1 == "firing" { print $3 }' alert-samples.txt)
if [ -z "$t_ok" ] || [ -z "$last" ]; then
	fail "missing times: vtop served '$t_ok', last firing '$last'"
fi
echo "vtop not stalled: SIGCONT + $((t_ok - t_cont)) ms; the last firing sample: SIGCONT +" \
	"$((last - t_cont)) ms (bound: vtop's + $((SCRAPE_MS + EVAL_MS + SLACK_MS)) ms)"
[ "$last" -le $((t_ok + SCRAPE_MS + EVAL_MS + SLACK_MS)) ] ||
	fail "firing $((last - t_ok)) ms after vtop showed blk0/0 served again"
echo "ok: resolved"

step "every recording rule has series; every dashboard query runs"
api /api/v1/label/__name__/values names.json || fail "no metric names: $(cat names.json)"
jq -r '.data[]' names.json | LC_ALL=C sort >names.txt
awk '/^[ \t]*- record:/ { print $3 }' "$rules"/*.yml | LC_ALL=C sort >recorded.txt
LC_ALL=C comm -23 recorded.txt names.txt >unrecorded.txt
[ ! -s unrecorded.txt ] || fail "recording rules with no series: $(cat unrecorded.txt)"
echo "ok: $(wc -l <recorded.txt) recording rules have series"
# The queries with Grafana's variables set to this Prometheus's; empty only
# where there is nothing to show (vtop's cost with --no-cost, dropped
# kicks, firing alerts).
empty_ok='vtop_bpf_seconds_per_event|mode="dropped"|^ALERTS'
jq -r --arg inst "127.0.0.1:$VTOP_PORT" '
	(.panels[]? | ., (.panels[]?)) | select(.targets) | .targets[].expr // empty,
	(.annotations.list[]?.expr // empty),
	(.templating.list[]? | select(.type == "query") |
	 (.query | if type == "object" then .query else . end) |
	 capture("^label_values\\((?<e>.*),[ ]*[A-Za-z_][A-Za-z0-9_]*\\)$").e) |
	gsub("\n"; " ") | gsub("\\$__rate_interval"; "1m") | gsub("\\$job"; "vtop") |
	gsub("\\$instance"; $inst) | gsub("\\$device"; "blk0") | gsub("\\$queue"; ".*")' \
	"$UVDEV_ROOT"/dashboards/grafana/*.json >dq.txt
# One query for all: count(EXPR) labelled with its line in dq.txt, or'ed.
jq -rRs 'rtrimstr("\n") | split("\n") | to_entries |
	map("label_replace(count(\(.value)), \"dq\", \"\(.key + 1)\", \"\", \"\")") |
	join(" or ") | @uri' dq.txt >dq.uri
api "/api/v1/query?query=$(cat dq.uri)" dq.json || fail "the dashboards' queries fail: $(cat dq.json)"
jq -r '.data.result[].metric.dq' dq.json | LC_ALL=C sort >dq-answered.txt
n=$(wc -l <dq.txt)
seq "$n" | LC_ALL=C sort | LC_ALL=C comm -23 - dq-answered.txt >dq-unanswered.txt
while read -r i; do
	sed -n "${i}p" dq.txt >dq-empty.txt
	grep -qE -- "$empty_ok" dq-empty.txt || fail "a dashboard query gives nothing: $(cat dq-empty.txt)"
done <dq-unanswered.txt
echo "ok: $n dashboard queries ran"

step "rates over their last minute: the rules against vtop's counters"
# The recorded rate at its evaluation time te covers [te - 60 s, te]: the
# same window of vtop's counters, interpolated between its samples. When
# that window began before Prometheus's first scrape, blk0's counters
# stood still until then (fio started after it), and Prometheus's rate
# extrapolates at most half a scrape interval before its first sample:
# its rate is then vtop's plus at most that half second's worth (about
# 1 % here, within the 10 %).
# The minute must lie within vtop's samples: on a fast run the case gets
# here less than a minute after vtop started.
first_ms=$(awk '{ printf "%.0f\n", substr($0, index($0, "\"time_ms\":") + 10) + 0; exit }' vtop.json)
window_sampled() {
	query 'timestamp(device_queue:uvdev_queue_pushes:rate1m{device="blk0",queue="0"})'
	te=$(jq -r '.data.result[0].value[1]' q.json)
	te_ms=$(awk -v t="$te" 'BEGIN { printf "%.0f\n", t * 1000 }')
	[ "$te_ms" -gt $((first_ms + 60000)) ]
}
wait_every 1 90 "the rules' last minute to lie within vtop's samples" window_sampled
# vtop's samples up to one after te.
sampled_past_te() {
	blk0_states
	[ "$(awk 'END { print $1 }' states.txt)" -gt "$te_ms" ]
}
wait_every 0.5 10 "a vtop sample after the rules' evaluation" sampled_past_te
# Time, pushes, kicks (every mode) and service p99 of blk0/0, per sample.
samples | awk "$JSON_AWK"'
	{
		q = queue_json($0, "blk0", 0)
		if (q == "")
			next
		t = val($0, "time_ms")
		tot = substr(q, index(q, "\"totals\":"))
		k = substr(tot, index(tot, "\"kicks\":{") + 9)
		n = split(substr(k, 1, index(k, "}") - 1), kv, ",")
		kicks = 0
		for (x = 1; x <= n; x++) {
			split(kv[x], f, ":")
			kicks += f[2]
		}
		printf "%.0f %s %s %s\n", t, val(tot, "pushes"), kicks, val(q, "service_p99_ns")
	}' >counters.txt
# rate_of COLUMN TE: vtop's rate of the counter in COLUMN over [TE - 60 s, TE].
rate_of() {
	awk -v c="$1" -v te="$2" '
		function at(t,   i) {
			for (i = 2; i <= n; i++)
				if (T[i] >= t)
					return V[i - 1] + (V[i] - V[i - 1]) * (t - T[i - 1]) / (T[i] - T[i - 1])
			return -1
		}
		{ n++; T[n] = $1; V[n] = $c }
		END {
			a = at(te - 60000); b = at(te)
			if (a < 0 || b < 0 || T[1] > te - 60000) { print "none"; exit }
			printf "%.3f\n", (b - a) / 60
		}' counters.txt
}
for rule in 'pushes:2:device_queue:uvdev_queue_pushes:rate1m{device="blk0",queue="0"}' \
	'kicks:3:sum(device_queue_mode:uvdev_queue_kicks:rate1m{device="blk0",queue="0"})'; do
	name=${rule%%:*}
	col=${rule#*:}
	expr=${col#*:}
	col=${col%%:*}
	got=$(value "$expr" "$te")
	want=$(rate_of "$col" "$te_ms")
	echo "$name/s over the minute to $te: rule $got, vtop $want"
	[ "$want" != none ] || fail "vtop's samples do not cover the minute to $te"
	if [ $((te_ms - 60000)) -lt "$t_up" ]; then
		still=$(awk -v a=$((te_ms - 60000)) -v b="$t_up" -v c="$col" \
			'$1 >= a && $1 <= b { v[$c] = 1 } END { print length(v) }' counters.txt)
		[ "$still" -le 1 ] || fail "blk0's $name moved before Prometheus's first scrape"
	fi
	awk -v g="$got" -v w="$want" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(w > 0 && d <= 0.1 * w) }' ||
		fail "the recorded $name rate is not within 10 % of vtop's"
done
# Service p99 over the minute: within vtop's per-interval p99s over it,
# give or take a log2 slot (both come from the same log2 buckets).
got=$(value 'device_queue:uvdev_queue_service_seconds:p99_1m{device="blk0",queue="0"}' "$te")
read -r pmin pmax < <(awk -v te="$te_ms" '$1 > te - 60000 && $1 <= te && $4 != "null" {
	if (min == "" || $4 < min) min = $4; if ($4 > max) max = $4 }
	END { print min / 1e9, max / 1e9 }' counters.txt)
echo "service p99 over the minute: rule $got s; vtop's interval p99s from $pmin to $pmax s"
awk -v g="$got" -v a="$pmin" -v b="$pmax" 'BEGIN { exit !(g >= a / 2 && g <= b * 2 && b > 0) }' ||
	fail "the recorded service p99 is outside vtop's"

no_alerts || fail "alerts after the stall resolved: $(cat alerts.json)"
echo "ok: no alert at the end"

echo "CPU used in ${SECONDS}s: $(cpu prometheus "$prom"), $(cpu vtop "$vtop_pid")"
"$TESTBIN/http-get" "$PROM_PORT" /metrics prometheus-metrics.txt >/dev/null || true
grep -E '^(go_gc_duration_seconds_count|go_memstats_heap_alloc_bytes|prometheus_rule_group_iterations_missed_total|prometheus_rule_group_last_duration_seconds|prometheus_target_interval_length_seconds\{.*quantile="0.99")' \
	prometheus-metrics.txt || true
kill -INT "$fio_pid" 2>/dev/null || true
wait "$fio_pid" || true
kill -TERM "$prom"
wait "$prom" || fail "prometheus exited with $?: $(tail -n 5 prometheus.err)"
stop_vtop vtop.json.err
stop_backend "$blk"
blk=
unload_module
echo "[${SECONDS}s] done"
