#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs on the VM's console (see demo.sh): load uvdev, then create and destroy
# devices while bpftrace prints every lifecycle tracepoint as it fires.
set -euo pipefail

. "$UVDEV_ROOT/tests/vm/lib.sh"

step "loading uvdev.ko (module BTF: /sys/kernel/btf/uvdev)"
load_module
ls -l /sys/kernel/btf/uvdev /dev/uvdev/

step "bpftrace on tracepoint:uvdev:* - every event as it fires"
bpftrace "$UVDEV_ROOT/tools/bpftrace/lifecycle.bt" >/tmp/demo-bpftrace.out 2>&1 &
bt=$!
tail -f /tmp/demo-bpftrace.out &
tailer=$!
wait_for 60 "bpftrace to attach" file_has /tmp/demo-bpftrace.out '^ready'

for name in demo-blk demo-rng demo-net; do
	uvdevctl create "$name" --queues 2
done
for name in demo-blk demo-rng demo-net; do
	uvdevctl destroy "$name"
done
wait_for 10 "bpftrace to print the last event" \
	file_has /tmp/demo-bpftrace.out '^destroy .* demo-net '
kill -INT $bt
wait $bt || true
kill $tailer
unload_module
step "demo finished"
