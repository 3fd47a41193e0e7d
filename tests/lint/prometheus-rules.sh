#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Prometheus rules of dashboards/rules/: promtool check rules accepts
# them, promtool test rules passes their unit tests
# (dashboards/rules/tests/), and the example configuration
# (dashboards/prometheus.yml) checks with them. Every alert has a for:, a
# severity label (critical, warning or info), and a summary and a
# description that name the device ($labels.device) when its expression
# reads device or queue series, and the queue ($labels.queue) when it reads
# queue series; and the unit tests hold, for every alert, a case where it
# fires and one where it stays silent.
set -euo pipefail

cd "$(dirname "$0")/../.."
lib=tests/lint/lib
rules=(dashboards/rules/*.yml)
tests=(dashboards/rules/tests/*.yml)
fails=0

if ! command -v promtool >/dev/null; then
	echo "prometheus-rules: promtool is missing: run 'make deps' (Debian package prometheus)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

problem() {
	echo "prometheus-rules: $*" >&2
	fails=$((fails + 1))
}

if ! promtool check rules "${rules[@]}" >"$tmp/check" 2>&1; then
	problem "promtool check rules ${rules[*]}:"
	cat "$tmp/check" >&2
fi
# promtool test rules resolves rule_files relative to each test file.
if ! promtool test rules "${tests[@]}" >"$tmp/test" 2>&1; then
	problem "promtool test rules ${tests[*]}:"
	cat "$tmp/test" >&2
fi
if ! promtool check config dashboards/prometheus.yml >"$tmp/config" 2>&1; then
	problem "promtool check config dashboards/prometheus.yml:"
	cat "$tmp/config" >&2
fi

# Each alert's parts: ALERT<TAB>what it lacks, one line per gap.
awk -f "$lib/rule-exprs.awk" "${rules[@]}" >"$tmp/exprs"
awk -v exprs="$tmp/exprs" '
	function indent(s) { match(s, /^ */); return RLENGTH }
	function done() {
		if (alert == "")
			return
		e = expr[alert]
		if (!has["for"])
			print where ": alert " alert " has no for:"
		if (has["severity"] !~ /^(critical|warning|info)$/)
			print where ": alert " alert " has no severity label critical, warning or info"
		for (a = 1; a <= 2; a++) {
			k = a == 1 ? "summary" : "description"
			if (!(k in has)) {
				print where ": alert " alert " has no " k " annotation"
				continue
			}
			if (e ~ /uvdev_(queue|device)_/ && has[k] !~ /\$labels\.device/)
				print where ": alert " alert ": its " k " does not name the device ({{ $labels.device }})"
			if (e ~ /uvdev_queue_/ && has[k] !~ /\$labels\.queue/)
				print where ": alert " alert ": its " k " does not name the queue ({{ $labels.queue }})"
		}
		alert = ""
		delete has
	}
	BEGIN {
		while ((getline l <exprs) > 0) {
			split(l, f, "\t")
			n = f[1]
			sub(/^[^ ]* /, "", n)
			expr[n] = f[2]
		}
	}
	FNR == 1 { done() }
	/^[ \t]*- (alert|record):/ {
		done()
		if ($0 ~ /alert:/) {
			alert = $0
			sub(/^[^:]*:[ \t]*/, "", alert)
			where = FILENAME ":" FNR
			key = ""
		}
		next
	}
	alert == "" { next }
	/^[ \t]*for:/ { has["for"] = 1 }
	/^[ \t]*severity:/ { v = $0; sub(/^[^:]*:[ \t]*/, "", v); gsub(/["\x27]/, "", v); has["severity"] = v }
	/^[ \t]*(summary|description):/ {
		key = $0
		sub(/^[ \t]*/, "", key)
		sub(/:.*/, "", key)
		keyindent = indent($0)
		v = $0
		sub(/^[^:]*:[ \t]*/, "", v)
		has[key] = v
		next
	}
	key != "" && indent($0) > keyindent && $0 !~ /^[ \t]*$/ { has[key] = has[key] " " $0; next }
	{ key = "" }
	END { done() }
' "${rules[@]}" >"$tmp/gaps"
while IFS= read -r line; do
	problem "$line"
done <"$tmp/gaps"

# Every alert is tested both ways: a case with exp_alerts listing it, and
# one with exp_alerts: [].
awk '
	/^[ \t]*alertname:/ { a = $0; sub(/^[^:]*:[ \t]*/, "", a); next }
	/^[ \t]*exp_alerts:[ \t]*\[\][ \t]*$/ { if (a != "") print a, "silent"; a = ""; next }
	/^[ \t]*exp_alerts:[ \t]*$/ { if (a != "") print a, "fires"; a = ""; next }
' "${tests[@]}" | LC_ALL=C sort -u >"$tmp/cases"
while read -r alert; do
	for kind in fires silent; do
		grep -qxF "$alert $kind" "$tmp/cases" ||
			problem "alert $alert has no unit test where it $([ "$kind" = fires ] && echo fires ||
				echo stays silent) (${tests[*]})"
	done
done < <(awk '/^[ \t]*- alert:/ { sub(/^[^:]*:[ \t]*/, ""); print }' "${rules[@]}")

if [ "$fails" -gt 0 ]; then
	echo "prometheus-rules: $fails problems" >&2
	exit 1
fi
echo "prometheus-rules: $(grep -c '^[ \t]*- alert:' "${rules[@]}" | awk -F: '{ n += $NF } END { print n }') alerts" \
	"and $(grep -c '^[ \t]*- record:' "${rules[@]}" | awk -F: '{ n += $NF } END { print n }') recording rules" \
	"checked; promtool's unit tests pass"
