#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-cmocka.sh TIER BINARY...
# Run cmocka test binaries and total their results in one closing line.
set -uo pipefail

tier=$1
shift

passed=0
failed=0
for bin in "$@"; do
	out=$("$bin" 2>&1)
	rc=$?
	echo "$out"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]\+\) test.*/\1/p' <<<"$out" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]\+\) test.*/\1/p' <<<"$out" | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		echo "$tier: $(basename "$bin") exited with $rc without reporting a failed test"
		failed=$((failed + 1))
	fi
done
echo "$tier: $passed passed, $failed failed"
[ $failed -eq 0 ]
