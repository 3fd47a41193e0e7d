#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every bpftrace script in tools/bpftrace/ carries the project's header:
# the SPDX line, a "// Usage: bpftrace tools/bpftrace/NAME.bt" line naming
# the file itself, and an "// Example output" paragraph of real output (at
# least two indented lines, no placeholder). Then each script must compile
# against the module's tracepoints as kernel/uvdev/trace.h declares them:
# `bpftrace -d` (a dry run: parse and semantic analysis, nothing loaded)
# in a private mount namespace whose tracefs holds format files made from
# trace.h, so a field that does not exist or an argument misused fails
# here, not only in the VM (tests/vm/cases/54-bpftrace-tools.sh runs them),
# and so does a warning bpftrace gives about a script.
# Without bpftrace, or where a mount namespace cannot be made, the compile
# check is skipped with a note; the header check always runs.
set -euo pipefail

cd "$(dirname "$0")/../.."
dir=tools/bpftrace
trace_h=kernel/uvdev/trace.h
bad=0

complain() {
	echo "$1" >&2
	bad=1
}

shopt -s nullglob
scripts=("$dir"/*.bt)
[ "${#scripts[@]}" -gt 0 ] || { echo "$dir: no .bt scripts" >&2; exit 1; }

# The compile check runs this file again in a mount namespace of its own.
[ "${1:-}" = --in-namespace ] || for f in "${scripts[@]}"; do
	head -n 3 "$f" >"${TMPDIR:-/tmp}/bt-head.$$"
	grep -qx '// SPDX-License-Identifier: GPL-2.0' "${TMPDIR:-/tmp}/bt-head.$$" ||
		complain "$f:1: no '// SPDX-License-Identifier: GPL-2.0' in its first 3 lines: add it after the #! line"
	rm -f "${TMPDIR:-/tmp}/bt-head.$$"
	grep -q "^// Usage: bpftrace $f\b" "$f" ||
		complain "$f: no '// Usage: bpftrace $f [ARGS]' line in its header: say how to run it"
	# The example: the lines after "// Example output", up to the first
	# line that is not a comment.
	example=$(awk '/^\/\/ Example output/ { on = 1; next } on && !/^\/\// { exit } on' "$f")
	lines=$(grep -c '^//   *[^ ]' <<<"$example" || true)
	[ "$lines" -ge 2 ] ||
		complain "$f: no '// Example output' paragraph with at least two lines of output (indented '//   ') from a real run"
	if grep -qE 'EXAMPLE|TODO|XXX' <<<"$example"; then
		complain "$f: the example output holds a placeholder: paste the output of a real run"
	fi
done

# ---- compile check ------------------------------------------------------

# formats OUTDIR: a tracefs tree (events/uvdev/EVENT/format, and
# available_events) for every event trace.h defines, with the fields of its
# class; __string() fields are __data_loc, as the kernel writes them.
formats() {
	awk -v out="$1" '
	function flush_class() { if (cls != "") fields[cls] = body; cls = ""; body = "" }
	/^DECLARE_EVENT_CLASS\(/ { flush_class(); cls = $0; sub(/^DECLARE_EVENT_CLASS\(/, "", cls); sub(/,.*/, "", cls); inent = 0; next }
	/TP_STRUCT__entry\(/ { inent = 1; next }
	inent && /^\t\)/ { inent = 0; next }
	inent && /__field\(/ {
		s = $0; sub(/.*__field\(/, "", s); sub(/\).*/, "", s)
		n = split(s, p, /, */)
		body = body "\tfield:" p[1] " " p[2] ";\toffset:0;\tsize:0;\tsigned:0;\n"
	}
	inent && /__string\(/ {
		s = $0; sub(/.*__string\(/, "", s); sub(/,.*/, "", s)
		body = body "\tfield:__data_loc char[] " s ";\toffset:0;\tsize:4;\tsigned:0;\n"
	}
	/^DEFINE_EVENT\(/ {
		flush_class()
		s = $0; sub(/^DEFINE_EVENT\(/, "", s); split(s, p, /, */)
		ev[p[2]] = p[1]; sub(/,.*/, "", ev[p[2]])
		evs[++n_ev] = p[2]; sub(/,.*/, "", evs[n_ev])
	}
	END {
		for (i = 1; i <= n_ev; i++) {
			e = evs[i]; c = ev[e]
			d = out "/events/uvdev/" e
			system("mkdir -p \"" d "\"")
			f = d "/format"
			printf "name: %s\nID: %d\nformat:\n", e, 9000 + i > f
			printf "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" > f
			printf "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" > f
			printf "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n" > f
			printf "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n" > f
			printf "%s\nprint fmt: \"\"\n", fields[c] > f
			close(f)
			print "uvdev:" e > (out "/available_events")
		}
		if (!n_ev)
			exit 1
	}' "$trace_h"
}

if ! command -v bpftrace >/dev/null; then
	echo "bpftrace-headers: no bpftrace here: compile check skipped (headers checked)" >&2
	exit "$bad"
fi
# In a mount namespace of its own (root, CAP_SYS_ADMIN): a tmpfs over
# tracefs holding the formats, then bpftrace -d on each script.
if [ "${1:-}" != --in-namespace ]; then
	if ! unshare -m true 2>/dev/null; then
		echo "bpftrace-headers: cannot make a mount namespace (needs root): compile check skipped (headers checked)" >&2
		exit "$bad"
	fi
	rc=0
	unshare -m "$0" --in-namespace || rc=$?
	[ "$bad" -eq 0 ] && exit "$rc"
	exit 1
fi
mount -t tmpfs uvdev-fake-tracefs /sys/kernel/tracing ||
	{ echo "bpftrace-headers: cannot mount a tmpfs over /sys/kernel/tracing in the namespace" >&2; exit 1; }
formats /sys/kernel/tracing || { echo "$trace_h: no DEFINE_EVENT found" >&2; exit 1; }
for f in "${scripts[@]}"; do
	if ! out=$(bpftrace -d "$f" 2>&1 >/dev/null); then
		grep -F "$f:" <<<"$out" >&2 || echo "$out" >&2
		complain "$f: bpftrace -d fails against the tracepoints of $trace_h: fix the script (or the header above)"
	elif grep -qF "$f:" <<<"$out"; then
		# A warning about the script itself (signedness, types) is a bug.
		grep -F -A 2 "$f:" <<<"$out" >&2
		complain "$f: bpftrace -d warns about the script: fix it"
	fi
done
exit "$bad"
