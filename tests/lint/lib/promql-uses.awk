# SPDX-License-Identifier: GPL-2.0
#
# What PromQL expressions use: reads lines "WHERE<TAB>EXPR" (one expression
# per line) and prints, per expression, one line per use:
#   WHERE<TAB>metric<TAB>NAME           a series selector's metric name
#   WHERE<TAB>label<TAB>NAME            a label in a matcher or a grouping
#   WHERE<TAB>value<TAB>LABEL<TAB>VALUE a literal value a matcher compares
#                                       LABEL with (= and !=, and each word
#                                       of a plain a|b|c regex)
# A tokenizer for the PromQL this project writes, not a full parser: label
# matchers ({...}) and grouping clauses (by, without, on, ignoring,
# group_left, group_right) are read and removed first, then strings, range
# and subquery brackets and offsets; what is left is numbers, operators,
# keywords, functions and aggregations (an identifier followed by "("), and
# metric names.
BEGIN {
	FS = "\t"
	split("and or unless bool offset by without on ignoring group_left group_right " \
	      "inf nan atan2", kw, " ")
	for (i in kw)
		keyword[kw[i]] = 1
}

function out(kind, a, b) {
	if (b == "")
		printf "%s\t%s\t%s\n", where, kind, a
	else
		printf "%s\t%s\t%s\t%s\n", where, kind, a, b
}

# The matchers between braces: their labels and literal values.
function matchers(body,   m, label, op, value, n, words, i) {
	while (match(body, /[A-Za-z_][A-Za-z0-9_]*[ \t]*(=~|!~|!=|=)[ \t]*"[^"]*"/)) {
		m = substr(body, RSTART, RLENGTH)
		body = substr(body, RSTART + RLENGTH)
		match(m, /^[A-Za-z_][A-Za-z0-9_]*/)
		label = substr(m, 1, RLENGTH)
		m = substr(m, RLENGTH + 1)
		match(m, /(=~|!~|!=|=)/)
		op = substr(m, RSTART, RLENGTH)
		value = substr(m, index(m, "\"") + 1)
		value = substr(value, 1, length(value) - 1)
		out("label", label)
		if (value ~ /\$/)
			continue	# a dashboard variable
		if (op == "=" || op == "!=") {
			out("value", label, value)
		} else if (value ~ /^[A-Za-z0-9_|-]+$/) {
			n = split(value, words, "|")
			for (i = 1; i <= n; i++)
				out("value", label, words[i])
		}
	}
}

{
	where = $1
	s = $2
	# Label matchers.
	while (match(s, /\{[^{}]*\}/)) {
		body = substr(s, RSTART + 1, RLENGTH - 2)
		s = substr(s, 1, RSTART - 1) " " substr(s, RSTART + RLENGTH)
		matchers(body)
	}
	# Grouping clauses and their labels.
	while (match(s, /(^|[^A-Za-z0-9_:])(by|without|on|ignoring|group_left|group_right)[ \t]*\([^()]*\)/)) {
		g = substr(s, RSTART, RLENGTH)
		rest = substr(s, RSTART + RLENGTH)
		s = substr(s, 1, RSTART - 1) " " rest
		g = substr(g, index(g, "(") + 1)
		g = substr(g, 1, length(g) - 1)
		n = split(g, labels, /[ \t]*,[ \t]*/)
		for (i = 1; i <= n; i++) {
			gsub(/[ \t]/, "", labels[i])
			if (labels[i] != "")
				out("label", labels[i])
		}
	}
	gsub(/"[^"]*"/, " ", s)
	gsub(/'[^']*'/, " ", s)
	gsub(/\[[^]]*\]/, " ", s)
	gsub(/offset[ \t]+-?[0-9A-Za-z_$]+/, " ", s)
	while (match(s, /[A-Za-z_:][A-Za-z0-9_:]*|[0-9][0-9.]*([eE][-+]?[0-9]+)?[A-Za-z0-9]*|\.[0-9]+/)) {
		tok = substr(s, RSTART, RLENGTH)
		s = substr(s, RSTART + RLENGTH)
		if (tok ~ /^[0-9.]/ || tok in keyword)
			continue
		rest = s
		sub(/^[ \t]+/, "", rest)
		if (substr(rest, 1, 1) == "(")
			continue	# a function or an aggregation
		out("metric", tok)
	}
}
