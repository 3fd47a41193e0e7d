#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The project's one test command (the README's; also 'make check'): install
# missing Debian packages, build everything, run every tier even when an
# earlier one fails, and end with one summary line per tier and a total.
# Exit 0 only when every tier passed.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
tools/build/install-deps.sh || exit 1
tiers=(lint unit bpf vm perf)
declare -A target=([lint]=check-lint [unit]=check-unit [bpf]=check-bpf [vm]=check-vm
	[perf]=check-perf)
declare -A verdict=()
log_dir=build/check
mkdir -p "$log_dir"
total_passed=0
total_failed=0
start=$(date +%s)

if ! make -s all >"$log_dir/build.log" 2>&1; then
	tail -n 40 "$log_dir/build.log"
	echo "check: the build failed (full log: $log_dir/build.log)"
	echo "total: 0 passed, 1 failed"
	exit 1
fi

for t in "${tiers[@]}"; do
	echo "=== tier $t (make ${target[$t]})"
	t0=$(date +%s)
	make --no-print-directory "${target[$t]}" 2>&1 | tee "$log_dir/$t.log"
	rc=${PIPESTATUS[0]}
	secs=$(( $(date +%s) - t0 ))
	# Each tier's runners end with "NAME: N passed, M failed" lines.
	read -r p f < <(awk '/^[a-z-]+: [0-9]+ passed, [0-9]+ failed$/ {
		p += $2; f += $4 } END { print p + 0, f + 0 }' "$log_dir/$t.log")
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# failed before any test ran
	fi
	total_passed=$((total_passed + p))
	total_failed=$((total_failed + f))
	verdict[$t]="$(printf '%-5s %s  %d passed, %d failed  (%ds)' "$t" \
		"$([ "$rc" -eq 0 ] && echo ok || echo FAILED)" "$p" "$f" "$secs")"
done

echo
echo "=== summary ($(( $(date +%s) - start ))s; logs in $log_dir)"
for t in "${tiers[@]}"; do
	echo "  ${verdict[$t]}"
done
echo "total: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
