#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of the VM harness: boot one VM with cases that pass, fail, hang,
# leave the module loaded, block a task in D state and WARN, and check the
# harness judges each one right. This needs a boot of
# its own because a WARN taints the kernel for the rest of that boot.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=${UVDEV_BUILD:-$root/build}
out=$build/vm/selftest.log
failed=0
passed=0

# On a fresh tree nothing has made build/vm yet: this script may start
# before the run.sh beside it does.
mkdir -p "$build/vm" || exit 1
"$root/tests/vm/run.sh" --cases-dir "$here/cases" --results "$build/vm/selftest-results" \
	--all >"$out" 2>&1
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

check "a clean case passes" '^PASS a-passes'
check "a non-zero exit fails" '^FAIL b-exits-nonzero: exited with 3'
check "a hung case times out" '^FAIL c-hangs: timed out'
check "where its tasks waited is kept" '^  where its tasks waited 5 s before: .*/c-hangs\.stacks$'
stacks=$build/vm/selftest-results/c-hangs.stacks
# The line after the sleep's header is the first frame of its stack.
sleep_stack=$(grep -A 1 -E -- '^--- [0-9]+: sleep 1000 $' "$stacks" 2>/dev/null)
if grep -Eq -- '^--- [0-9]+: sleep 1000 $' <<<"$sleep_stack" &&
	grep -Eq 'nanosleep' <<<"$sleep_stack"; then
	echo "ok: the hung task's stack is in it"
	passed=$((passed + 1))
else
	echo "FAIL: no kernel stack of 'sleep 1000' in $stacks"
	failed=$((failed + 1))
fi
check "a module that does not unload fails" '^FAIL b2-module-stays: uvdev did not unload'
check "a hung task fails" '^FAIL c2-task-hangs: kernel log reports a problem'
check "the hung task is quoted" 'INFO: task insmod:[0-9]+ blocked for more than'
check "a WARN in the kernel log fails" '^FAIL d-module-warns: kernel log reports a problem'
check "the WARN is quoted" 'WARNING: CPU: .*uvdev_selftest_warn'
check "the new taint is named" 'kernel tainted: .*W'
check "the summary counts them" '^vm: 1 passed, 5 failed$'
if [ $rc -eq 1 ]; then
	echo "ok: the harness exits 1"
	passed=$((passed + 1))
else
	echo "FAIL: the harness exited $rc, not 1"
	failed=$((failed + 1))
fi
[ $failed -eq 0 ] || { echo "--- harness output:"; cat "$out"; }
echo "harness-selftest: $passed passed, $failed failed"
[ $failed -eq 0 ]
