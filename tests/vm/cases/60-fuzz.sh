#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# uvdev-fuzz (tests/vm/bin/uvdev-fuzz.c) acts as a misbehaving backend of
# virtio_blk, virtio_rng, virtio_net and virtio_console devices, one seed
# after another, checking every answer of the ABI; then every device is
# gone and the module unloads. The hung-task detector is lowered so that a
# task stuck in the kernel is reported, which fails the case like any
# WARNING, BUG or Oops (the harness checks the kernel log).
#
# UVDEV_FUZZ_CALLS (total system calls over all seeds, default 32000) and
# UVDEV_FUZZ_SEEDS (default 1,2,3,4) change the run; tests/vm/run.sh passes
# them from the host on the kernel command line (make fuzz).
#
# The fuzzer breaks devices, holds chains, pushes without interrupts and
# refuses FEATURES_OK on purpose: the watching vtop sees all of that.
# timeout: 240
# vtop-induces: stalled,irq-lost,broken,needs-reset
. "$UVDEV_ROOT/tests/vm/lib.sh"

calls_total=${UVDEV_FUZZ_CALLS:-${uvdev_fuzz_calls:-32000}}
read -r -a seeds <<<"$(tr ',' ' ' <<<"${UVDEV_FUZZ_SEEDS:-${uvdev_fuzz_seeds:-1,2,3,4}}")"
per_seed=$(( (calls_total + ${#seeds[@]} - 1) / ${#seeds[@]} ))
# Wall-clock cap per seed, generous: the call budget is what ends a run. A
# slow kernel (the debug tier's time scale) gets more, and so do the
# fuzzer's own time bounds.
scale=${UVDEV_TIME_SCALE:-1}
seconds=$(( (per_seed / 100 + 60) * scale ))

hung=/proc/sys/kernel/hung_task_timeout_secs
if [ -w "$hung" ]; then
	old_hung=$(cat "$hung")
	trap 'echo "$old_hung" >"$hung"' EXIT
	echo 10 >"$hung"
	echo "hung-task detector: 10 s"
fi

load_module
# Messages nobody answers cost a device 1 s, not the default 30 s (devices
# created with msg_timeout_ms 0 take the module's).
echo 1000 >/sys/module/uvdev/parameters/msg_timeout_ms
modprobe virtio_blk
modprobe virtio-rng
modprobe virtio_net
modprobe virtio_console

total=0
for seed in "${seeds[@]}"; do
	step "seed $seed: $per_seed calls"
	set +e
	"$TESTBIN/uvdev-fuzz" --seed "$seed" --calls "$per_seed" --seconds "$seconds" \
		--time-scale "$scale" --progress 10 |
		tee "fuzz-$seed.out"
	rc=${PIPESTATUS[0]}
	set -e
	[ "$rc" -eq 0 ] || fail "uvdev-fuzz --seed $seed exited with $rc (see its report above)"
	calls=$(sed -n 's/^uvdev-fuzz: result seed=[0-9]* calls=\([0-9]*\) .*/\1/p' "fuzz-$seed.out")
	[ -n "$calls" ] || fail "uvdev-fuzz --seed $seed printed no result line"
	total=$((total + calls))
done
echo "calls over all seeds: $total"
[ "$total" -ge "$calls_total" ] || fail "only $total calls ran in time; the budget was $calls_total"

step "every device is gone and the module unloads"
left=$(find /sys/class/uvdev -mindepth 1 -maxdepth 1 | wc -l)
expect_eq "devices left" 0 "$left"
rmmod virtio_net virtio_console
unload_module
