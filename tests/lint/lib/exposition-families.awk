# SPDX-License-Identifier: GPL-2.0
#
# The metric families of a Prometheus text exposition (vtop's /metrics
# page), as dashboards/vtop-metrics.txt lists them:
#   family NAME TYPE LABELS    LABELS: the label names its series carry,
#                              comma-separated and sorted ("-": none; a
#                              histogram's le is implied)
#   values NAME LABEL VALUES   the values an enumerated label of family
#                              NAME takes (state, mode, result, direction,
#                              outcome, kind; not vtop_attach_mode's mode,
#                              which says how this vtop attached)
# Unsorted; the caller sorts. Series names are matched to their family by
# the TYPE lines (a histogram's _bucket, _sum and _count to its own).
BEGIN {
	split("state mode result direction outcome kind", e, " ")
	for (i in e)
		enumerated[e[i]] = 1
}

/^# TYPE / {
	type[$3] = $4
	next
}

/^#/ || /^[ \t]*$/ {
	next
}

{
	name = $0
	sub(/[{ ].*/, "", name)
	fam = name
	if (!(fam in type)) {
		fam = name
		sub(/_(bucket|sum|count)$/, "", fam)
		if (!(fam in type) || type[fam] != "histogram") {
			printf "a series of no family: %s\n", name >"/dev/stderr"
			bad = 1
			next
		}
	}
	if (!index($0, "{"))
		next
	body = substr($0, index($0, "{") + 1)
	while (match(body, /^[A-Za-z_][A-Za-z0-9_]*="([^"\\]|\\.)*"/)) {
		pair = substr(body, 1, RLENGTH)
		body = substr(body, RLENGTH + 1)
		sub(/^,/, "", body)
		label = substr(pair, 1, index(pair, "=") - 1)
		value = substr(pair, index(pair, "=") + 2)
		value = substr(value, 1, length(value) - 1)
		if (label == "le")
			continue
		has[fam, label] = 1
		if (!((fam, label) in seen)) {
			seen[fam, label] = 1
			labels[fam] = labels[fam] (labels[fam] == "" ? "" : " ") label
		}
		if (label in enumerated && fam != "vtop_attach_mode" &&
		    !((fam, label, value) in vseen)) {
			vseen[fam, label, value] = 1
			values[fam, label] = values[fam, label] \
				(values[fam, label] == "" ? "" : " ") value
		}
	}
}

# sorted(LIST): the words of LIST, sorted, comma-separated.
function sorted(list,   w, n, i, j, t, r) {
	n = split(list, w, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && w[j - 1] > w[j]; j--) {
			t = w[j]; w[j] = w[j - 1]; w[j - 1] = t
		}
	r = ""
	for (i = 1; i <= n; i++)
		r = r (i > 1 ? "," : "") w[i]
	return r == "" ? "-" : r
}

END {
	for (f in type)
		printf "family %s %s %s\n", f, type[f], sorted(labels[f])
	for (k in values) {
		split(k, fl, SUBSEP)
		printf "values %s %s %s\n", fl[1], fl[2], sorted(values[k])
	}
	exit bad
}
