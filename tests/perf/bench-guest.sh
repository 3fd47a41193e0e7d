# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Samples and tables for the benchmarks in tests/perf/cases (sourced after
# perf-guest.sh). A sample is the guest ns per request of one run; a table
# row gives, over a point's samples, IOPS as min / median / max (10^9 / ns:
# per second of guest time) and the median ns per request, which is guest
# instructions per request.

BENCH_ROUNDS=${BENCH_ROUNDS:-3}
[ "$BENCH_ROUNDS" -ge 3 ] || fail "BENCH_ROUNDS must be at least 3 (min, median, max)"
# The block benchmarks' file (on tmpfs) and their reads per sample: timed
# at queue depth 1 and 32, after untimed warm-up reads. For the cases.
# shellcheck disable=SC2034
{
	img=/tmp/bench.img
	qd1_count=3000
	qd32_count=6000
	warmup=300
}
bench_samples=$PWD/bench.samples
: >"$bench_samples"

# bench_sample POINT VALUE [UNIT]: one sample of POINT (any text without a
# tab); UNIT (default ns/request) only labels the log line.
bench_sample() {
	printf '%s\t%s\n' "$1" "$2" >>"$bench_samples"
	echo "bench-sample: $1: $2 ${3:-ns/request}"
}

# bench_stats POINT: "N MIN MEDIAN MAX" of POINT's ns samples.
bench_stats() {
	awk -F'\t' -v p="$1" '$1 == p { print $2 }' "$bench_samples" | sort -g |
		awk '{ a[++n] = $1 } END {
			if (!n) exit 1
			med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			print n, a[1], med, a[n] }'
}

# bench_table TITLE POINT...: one row per POINT, in the order given.
bench_table() {
	local title=$1 p n lo med hi st
	shift
	printf 'bench: %-22s %28s %12s %4s\n' "$title" "IOPS min / median / max" "ns/req" "n"
	for p in "$@"; do
		st=$(bench_stats "$p") || fail "no samples of $p"
		read -r n lo med hi <<<"$st"
		# The fewest IOPS come from the most ns per request.
		awk -v p="$p" -v n="$n" -v lo="$lo" -v med="$med" -v hi="$hi" 'BEGIN {
			printf "bench: %-22s %8.0f / %8.0f / %8.0f %12.0f %4d\n",
				p, 1e9 / hi, 1e9 / med, 1e9 / lo, med, n }'
	done
}

# bench_ratio LABEL A B: median IOPS of point A over point B.
bench_ratio() {
	local a b
	a=$(bench_stats "$2" | awk '{ print $3 }')
	b=$(bench_stats "$3" | awk '{ print $3 }')
	[[ -n $a && -n $b ]] || fail "bench_ratio: no samples of $2 or $3"
	awk -v l="$1" -v a="$a" -v b="$b" 'BEGIN { printf "bench: %s = %.3f (median IOPS)\n", l, b / a }'
}

# bench_table_ns TITLE UNIT POINT...: rows of plain ns samples (not per
# request), min / median / max.
bench_table_ns() {
	local title=$1 unit=$2 p n lo med hi st
	shift 2
	printf 'bench: %-22s %28s %4s\n' "$title" "$unit min / median / max" "n"
	for p in "$@"; do
		st=$(bench_stats "$p") || fail "no samples of $p"
		read -r n lo med hi <<<"$st"
		printf 'bench: %-22s %8.1f / %8.1f / %8.1f %4d\n' "$p" "$lo" "$med" "$hi" "$n"
	done
}
