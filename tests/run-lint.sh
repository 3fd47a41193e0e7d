#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-lint.sh [CHECK...]
# The lint tier: run each static check in tests/lint/ (or the ones named)
# from the repository's root, after 'make all'. A check is an executable
# script that exits 0 when the tree passes it and otherwise says on stderr
# what is wrong and where. Ends with one "lint: N passed, M failed" line.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
if [ $# -gt 0 ]; then
	checks=()
	for name in "$@"; do
		checks+=("tests/lint/${name%.sh}.sh")
	done
else
	checks=(tests/lint/*.sh)
fi

passed=0
failed=0
for check in "${checks[@]}"; do
	name=$(basename "$check" .sh)
	t0=$(date +%s%N)
	out=$("$check" 2>&1)
	rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [ $rc -eq 0 ]; then
		echo "PASS $name (${ms} ms)"
		passed=$((passed + 1))
	else
		[ -n "$out" ] && echo "  ${out//$'\n'/$'\n'  }"
		echo "FAIL $name (exit $rc, ${ms} ms)"
		failed=$((failed + 1))
	fi
done
echo "lint: $passed passed, $failed failed"
[ $failed -eq 0 ]
