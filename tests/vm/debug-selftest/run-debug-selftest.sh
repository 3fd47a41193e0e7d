#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of the debug tier: boot the debug kernel with cases whose module
# commits one deliberate bug each (uvdev_selftest_debug.c) and check that the
# harness fails each case on the right report, and passes the clean one.
# Arguments are passed to tests/vm/run.sh: the debug kernel's --kernel,
# --modules and the rest (see 'make check-debug').
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=${UVDEV_BUILD:-$root/build}
out=$build/vm/debug-selftest.log
failed=0
passed=0

if [ ! -f "$build/modules/uvdev_selftest_debug.ko" ]; then
	echo "debug-selftest: no $build/modules/uvdev_selftest_debug.ko; run 'make check-debug'" >&2
	exit 2
fi
mkdir -p "$build/vm"
"$root/tests/vm/run.sh" "$@" --cases-dir "$here/cases" \
	--results "$build/vm/debug-selftest-results" --all >"$out" 2>&1
rc=$?

# check DESCRIPTION PATTERN: the harness output must match PATTERN (ERE).
check() {
	if grep -Eq -- "$2" "$out"; then
		echo "ok: $1"
		passed=$((passed + 1))
	else
		echo "FAIL: $1 (no line matching '$2' in $out)"
		failed=$((failed + 1))
	fi
}

check "a clean module passes" '^PASS a-clean'
check "a leak fails on kmemleak's scan" \
	"^FAIL c-leak: kmemleak: 1 leaked object\\(s\\) allocated through the project's modules"
check "the leak's size is quoted" '^ +unreferenced object 0x[0-9a-f]+ \(size 128\):'
check "sleeping in atomic context fails" \
	'^FAIL d-sleep: kernel log reports a problem:'
check "DEBUG_ATOMIC_SLEEP's report is quoted" 'BUG: sleeping function called from invalid context'
check "a freed queued work item fails" '^FAIL e-odebug: kernel log reports a problem:'
check "debugobjects' report is quoted" 'ODEBUG: free active .*object type: work_struct'
check "a read after free fails" '^FAIL f-kasan: kernel log reports a problem:'
check "KASAN's report is quoted" 'BUG: KASAN: use-after-free in commit_kasan'
check "a lock order inversion fails" '^FAIL b-lockdep: kernel log reports a problem:'
check "lockdep's report is quoted" 'WARNING: possible circular locking dependency detected'
check "the console's crash lines fail the run too" '^FAIL the console log shows a kernel crash:'
# Five cases, and the console (KASAN's and DEBUG_ATOMIC_SLEEP's "BUG:").
check "the summary counts them" '^vm: 1 passed, 6 failed$'
if [ $rc -eq 1 ]; then
	echo "ok: the harness exits 1"
	passed=$((passed + 1))
else
	echo "FAIL: the harness exited $rc, not 1"
	failed=$((failed + 1))
fi
[ $failed -eq 0 ] || { echo "--- harness output:"; cat "$out"; }
echo "debug-selftest: $passed passed, $failed failed"
[ $failed -eq 0 ]
