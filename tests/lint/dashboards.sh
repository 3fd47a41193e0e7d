#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Grafana dashboards (dashboards/grafana/*.json) load as Grafana's file
# provisioning reads them, and every PromQL expression in them and in the
# Prometheus rules (dashboards/rules/*.yml) names only what vtop's exporter
# serves:
# - each dashboard is valid JSON with a unique uid, a title, a current
#   schemaVersion, a Prometheus data source variable that every panel and
#   target uses, panels with an id, a type, a title and a grid position,
#   targets with an expression and a refId, and a unit on every panel;
#   every $variable an expression uses is defined;
# - every expression parses (promtool check rules over them, with
#   Grafana's variables filled in);
# - every metric an expression selects is a series of vtop's exporter
#   (dashboards/vtop-metrics.txt; a histogram as _bucket, _sum, _count), a
#   recording rule of dashboards/rules/, or one Prometheus makes itself
#   (up, ALERTS); every label it matches or groups by is one those series
#   carry, and every literal value of an enumerated label (state, mode,
#   result, ...) is one the exporter gives it;
# - dashboards/vtop-metrics.txt names the families tools/vtop/prom.c
#   renders, no more and no fewer (the VM case 53-prometheus-alerts checks
#   the list against the live exporter itself);
# - every recording rule is used by a dashboard;
# - the provisioning files name a file provider and a Prometheus source.
set -euo pipefail

cd "$(dirname "$0")/../.."
lib=tests/lint/lib
fixture=dashboards/vtop-metrics.txt
dashboards=(dashboards/grafana/*.json)
rules=(dashboards/rules/*.yml)
fails=0

for tool in jq promtool; do
	if ! command -v "$tool" >/dev/null; then
		echo "dashboards: $tool is missing: run 'make deps' (tools/build/install-deps.sh)" >&2
		exit 1
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# problem MESSAGE...: report one problem; the check fails at the end.
problem() {
	echo "dashboards: $*" >&2
	fails=$((fails + 1))
}

# ---- the families list against prom.c --------------------------------------
awk '$1 == "family" { print $2 }' "$fixture" | LC_ALL=C sort >"$tmp/fixture-families"
grep -o '"\(uvdev\|vtop\)_[a-z0-9_]*"' tools/vtop/prom.c | tr -d '"' | LC_ALL=C sort -u \
	>"$tmp/source-families"
while read -r name; do
	problem "$fixture: $name is not a family tools/vtop/prom.c renders; run VM case" \
		"53-prometheus-alerts and copy build/vm/results/53-vtop-metrics.txt to $fixture"
done < <(LC_ALL=C comm -23 "$tmp/fixture-families" "$tmp/source-families")
while read -r name; do
	problem "tools/vtop/prom.c: family $name is not in $fixture; run VM case" \
		"53-prometheus-alerts and copy build/vm/results/53-vtop-metrics.txt to $fixture"
done < <(LC_ALL=C comm -13 "$tmp/fixture-families" "$tmp/source-families")

# ---- dashboard structure ------------------------------------------------------
for f in "${dashboards[@]}"; do
	if ! jq empty "$f" 2>"$tmp/jq.err"; then
		problem "$f: not valid JSON: $(cat "$tmp/jq.err")"
		continue
	fi
	# One line per problem, naming the panel.
	jq -r --arg f "$f" '
		def panels: .panels[]? | ., (.panels[]?);
		def where: "\($f): panel \(.id // "?") \"\(.title // "")\"";
		def dsvar: (.templating.list // [] | map(select(.type == "datasource"
			and .query == "prometheus")) | .[0].name) // null;
		dsvar as $ds
		| (if (.uid | type) != "string" or (.uid | test("^[A-Za-z0-9_-]{1,40}$") | not)
		   then "\($f): uid must be 1 to 40 letters, digits, - or _" else empty end),
		  (if (.title | type) != "string" or .title == "" then "\($f): no title" else empty end),
		  (if (.schemaVersion | type) != "number" or .schemaVersion < 36
		   then "\($f): schemaVersion \(.schemaVersion) is not a current Grafana schema (36 or later)"
		   else empty end),
		  (if $ds == null then "\($f): no data source variable of type prometheus in templating.list"
		   else empty end),
		  (if (.panels | type) != "array" or (.panels | length) == 0 then "\($f): no panels"
		   else empty end),
		  ([panels | .id] | group_by(.) | map(select(length > 1)) | .[] |
		   "\($f): panel id \(.[0]) used \(length) times"),
		  (panels | select(.type != "row") |
		   (if (.id | type) != "number" then "\(where): no numeric id" else empty end),
		   (if (.title // "") == "" then "\(where): no title" else empty end),
		   (if (.gridPos | type) != "object" or ([.gridPos.h, .gridPos.w, .gridPos.x, .gridPos.y]
		        | map(type == "number") | all | not)
		    then "\(where): no gridPos with h, w, x and y" else empty end),
		   (if (.gridPos.x // 0) + (.gridPos.w // 0) > 24 then "\(where): wider than the grid (24)"
		    else empty end),
		   (if .datasource.uid != "${\($ds)}"
		    then "\(where): datasource is not the ${\($ds)} variable" else empty end),
		   (if (.fieldConfig.defaults.unit // "") == "" then "\(where): no unit (fieldConfig.defaults.unit)"
		    else empty end),
		   (if .type == "heatmap" and (.options.yAxis.unit // "") == ""
		    then "\(where): heatmap without a y axis unit (options.yAxis.unit)" else empty end),
		   (if (.targets | type) != "array" or (.targets | length) == 0 then "\(where): no targets"
		    else empty end),
		   (.targets[]? |
		    (if (.expr // "") == "" then "\(where): target \(.refId // "?") has no expr" else empty end),
		    (if (.refId // "") == "" then "\(where): a target without refId" else empty end),
		    (if .datasource.uid != "${\($ds)}"
		     then "\(where): target \(.refId // "?") datasource is not the ${\($ds)} variable"
		     else empty end)))
	' "$f" >"$tmp/structure"
	while IFS= read -r line; do
		problem "$line"
	done <"$tmp/structure"
done
jq -r '.uid' "${dashboards[@]}" | LC_ALL=C sort | uniq -d >"$tmp/uids"
while read -r uid; do
	problem "uid $uid is used by more than one dashboard"
done <"$tmp/uids"

# ---- every expression ---------------------------------------------------------
# WHERE<TAB>EXPR, one line each: panel targets, annotations, and the
# queries of variables (label_values(EXPR, LABEL): EXPR, and LABEL a label).
for f in "${dashboards[@]}"; do
	jq -r --arg f "$f" '
		def panels: .panels[]? | ., (.panels[]?);
		def flat: gsub("[\n\t]"; " ");
		(panels | select(.targets) | . as $p | .targets[] | select(.expr) |
		 "\($f): panel \($p.id) \"\($p.title)\" target \(.refId)\t\(.expr | flat)"),
		(.annotations.list[]? | select(.expr) | "\($f): annotation \"\(.name)\"\t\(.expr | flat)"),
		(.templating.list[]? | select(.type == "query") |
		 (.query | if type == "object" then .query else . end) as $q |
		 ($q | capture("^label_values\\((?<e>.*),[ ]*(?<l>[A-Za-z_][A-Za-z0-9_]*)\\)$")) as $c |
		 "\($f): variable \(.name)\t\($c.e) + on (\($c.l)) vector(0)")
	' "$f"
done >"$tmp/dashboard-exprs"
# Every variable of type query must have been read: label_values(EXPR, L).
for f in "${dashboards[@]}"; do
	jq -r --arg f "$f" '.templating.list[]? | select(.type == "query") |
		(.query | if type == "object" then .query else . end) |
		select(test("^label_values\\(.*,[ ]*[A-Za-z_][A-Za-z0-9_]*\\)$") | not) |
		"\($f): variable query \(.) is not label_values(EXPR, LABEL)"' "$f"
done >"$tmp/odd-vars"
while IFS= read -r line; do
	problem "$line"
done <"$tmp/odd-vars"

awk -f "$lib/rule-exprs.awk" "${rules[@]}" >"$tmp/rule-exprs" || fails=$((fails + 1))
# The extractor read every rule promtool counts.
promtool check rules "${rules[@]}" >"$tmp/promtool-rules" 2>&1 ||
	problem "promtool check rules failed: $(cat "$tmp/promtool-rules")"
counted=$(awk '/SUCCESS: [0-9]+ rules found/ { n += $2 } END { print n + 0 }' "$tmp/promtool-rules")
read_here=$(wc -l <"$tmp/rule-exprs")
[ "$counted" = "$read_here" ] ||
	problem "promtool counts $counted rules in ${rules[*]}, this check read $read_here expressions"

# Variables each dashboard defines, and those expressions use.
for f in "${dashboards[@]}"; do
	jq -r '.templating.list[]?.name' "$f" | sed "s|^|$f |"
done >"$tmp/defined-vars"
awk -F '\t' '{
	where = $1; sub(/: .*/, "", where)
	s = $2
	while (match(s, /\$(\{[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*)/)) {
		v = substr(s, RSTART + 1, RLENGTH - 1)
		sub(/^\{/, "", v)
		s = substr(s, RSTART + RLENGTH)
		if (v !~ /^__/)
			print where, v, $1
	}
}' "$tmp/dashboard-exprs" >"$tmp/used-vars"
while read -r file var where; do
	grep -qxF "$file $var" "$tmp/defined-vars" ||
		problem "$where: uses \$$var, which $file does not define"
done <"$tmp/used-vars"

# Every dashboard expression parses: as the expressions of a rule file,
# with Grafana's variables filled in.
{
	echo "groups:"
	echo "  - name: dashboards"
	echo "    rules:"
	n=0
	while IFS=$'\t' read -r where expr; do
		n=$((n + 1))
		# shellcheck disable=SC2016 # the $ names are sed's text, not the shell's
		expr=$(sed -e 's/\$__rate_interval/1m/g; s/\$__interval/1m/g; s/\$__range/1h/g' \
			-e 's/\${[A-Za-z_][A-Za-z0-9_:]*}/x/g; s/\$[A-Za-z_][A-Za-z0-9_]*/x/g' <<<"$expr")
		echo "      # $where"
		echo "      - record: dashboard:expr:$n"
		echo "        expr: |"
		echo "          $expr"
	done <"$tmp/dashboard-exprs"
} >"$tmp/dashboard-exprs.yml"
promtool check rules "$tmp/dashboard-exprs.yml" >"$tmp/promtool-dash" 2>&1 ||
	problem "a dashboard expression does not parse (the rule's comment names it):" \
		"$(cat "$tmp/promtool-dash")" "$(grep -n '' "$tmp/dashboard-exprs.yml")"

# What the expressions use, against what vtop serves.
sed 's/^\([^ ]*\) \([^\t]*\)\t/\1 rule \2\t/' "$tmp/rule-exprs" |
	cat - "$tmp/dashboard-exprs" | awk -f "$lib/promql-uses.awk" >"$tmp/uses"
awk '/^[ \t]*(- )?record:/ { sub(/^[^:]*:[ \t]*/, ""); print }' "${rules[@]}" >"$tmp/recorded"
awk -F '\t' -v fixture="$fixture" -v recorded="$tmp/recorded" '
	BEGIN {
		while ((getline l <fixture) > 0) {
			n = split(l, w, " ")
			if (w[1] == "family") {
				if (w[3] == "histogram") {
					served[w[2] "_bucket"] = served[w[2] "_sum"] = served[w[2] "_count"] = 1
					labels["le"] = 1
				} else {
					served[w[2]] = 1
				}
				if (w[4] != "-") {
					k = split(w[4], ls, ",")
					for (i = 1; i <= k; i++)
						labels[ls[i]] = 1
				}
			} else if (w[1] == "values") {
				enumerated[w[3]] = 1
				k = split(w[4], vs, ",")
				for (i = 1; i <= k; i++)
					value[w[3], vs[i]] = 1
			}
		}
		while ((getline l <recorded) > 0)
			rule[l] = 1
		# What Prometheus adds: the up series of a scrape, the job and
		# instance labels of every scraped series, the ALERTS series.
		served["up"] = served["ALERTS"] = 1
		split("job instance alertname alertstate severity", p, " ")
		for (i in p)
			labels[p[i]] = 1
	}
	$2 == "metric" && !($3 in served) && !($3 in rule) {
		printf "%s: %s is neither a series vtop exports (%s) nor a recording rule\n", $1, $3, fixture
		bad++
	}
	$2 == "label" && !($3 in labels) {
		printf "%s: label %s is on no series vtop exports (%s)\n", $1, $3, fixture
		bad++
	}
	$2 == "value" && ($3 in enumerated) && !(($3, $4) in value) {
		printf "%s: %s=\"%s\": vtop gives %s no such value (%s)\n", $1, $3, $4, $3, fixture
		bad++
	}
	END { exit bad > 0 }
' "$tmp/uses" >"$tmp/use-problems" || true
while IFS= read -r line; do
	problem "$line"
done <"$tmp/use-problems"

# Every recording rule feeds a dashboard.
awk -F '\t' '$2 == "metric" && $1 ~ /\.json: / { print $3 }' "$tmp/uses" | LC_ALL=C sort -u \
	>"$tmp/dash-metrics"
while read -r r; do
	grep -qxF "$r" "$tmp/dash-metrics" ||
		problem "recording rule $r is used by no dashboard: plot it or drop it"
done <"$tmp/recorded"

# ---- provisioning ---------------------------------------------------------------
p=dashboards/provisioning/dashboards.yaml
for want in '^apiVersion: 1$' '^providers:' 'type: file' 'path: ' 'foldersFromFilesStructure:'; do
	grep -qE -- "$want" "$p" || problem "$p: no line matching '$want' (Grafana's dashboard provider)"
done
p=dashboards/provisioning/datasources.yaml
for want in '^apiVersion: 1$' '^datasources:' 'type: prometheus' 'url: '; do
	grep -qE -- "$want" "$p" || problem "$p: no line matching '$want' (a Prometheus data source)"
done

if [ "$fails" -gt 0 ]; then
	echo "dashboards: $fails problems" >&2
	exit 1
fi
echo "dashboards: ${#dashboards[@]} dashboards, $(wc -l <"$tmp/dashboard-exprs") dashboard" \
	"and $read_here rule expressions; every name is one vtop serves or a rule records"
