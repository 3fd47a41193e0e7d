# SPDX-License-Identifier: GPL-2.0
#
# The expressions of Prometheus rule files, one line each:
#   FILE:LINE NAME<TAB>EXPR
# NAME being the rule's record or alert name; a block scalar (expr: | or
# expr: >) is joined into one line. Reads the YAML that rule files are
# written in here (a rule's keys on their own lines); an expr: it cannot
# read (a quoted scalar spread over lines, a flow mapping) is an error, so
# nothing is skipped silently: the callers also compare the count with
# promtool's.
function flush() {
	if (inblock) {
		printf "%s:%d %s\t%s\n", FILENAME, line, name, expr
		inblock = 0
	}
}

function indent(s) {
	match(s, /^ */)
	return RLENGTH
}

FNR == 1 {
	flush()
}

inblock {
	if ($0 ~ /^[ \t]*$/) {
		next
	}
	if (indent($0) > keyindent) {
		t = $0
		sub(/^ +/, "", t)
		expr = expr (expr == "" ? "" : " ") t
		next
	}
	flush()
}

/^[ \t]*(- )?(record|alert):/ {
	name = $0
	sub(/^[^:]*:[ \t]*/, "", name)
	gsub(/["']/, "", name)
}

/^[ \t]*(- )?expr:/ {
	line = FNR
	keyindent = indent($0)
	value = $0
	sub(/^[^:]*:[ \t]*/, "", value)
	if (value ~ /^[|>][-+]?[ \t]*$/) {
		inblock = 1
		expr = ""
		next
	}
	if (value ~ /^"([^"\\]|\\.)*"[ \t]*$/ || value ~ /^'[^']*'[ \t]*$/) {
		sub(/^["']/, "", value)
		sub(/["'][ \t]*$/, "", value)
	} else if (value ~ /^["'{[]/ || value == "") {
		printf "%s:%d: an expr: this check cannot read; write it on one line or as a block (expr: |)\n",
			FILENAME, FNR >"/dev/stderr"
		bad = 1
		next
	}
	printf "%s:%d %s\t%s\n", FILENAME, line, name, value
}

END {
	flush()
	exit bad
}
