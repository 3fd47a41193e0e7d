#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module loads with its BTF, its tracepoints are visible in tracefs, and
# both bpftrace and vtop's libbpf programs count them when they fire.
# timeout: 120
# vtop-watch: off (it loads the module and runs vtop itself)
. "$UVDEV_ROOT/tests/vm/lib.sh"

step "load"
load_module
test -f /sys/kernel/btf/uvdev || fail "no /sys/kernel/btf/uvdev: the module was built without BTF"
echo "ok: /sys/kernel/btf/uvdev ($(stat -c %s /sys/kernel/btf/uvdev) bytes)"
for ev in uvdev_dev_create uvdev_dev_destroy; do
	test -d "/sys/kernel/tracing/events/uvdev/$ev" || fail "tracepoint uvdev:$ev missing in tracefs"
done
echo "ok: tracepoints in tracefs"

step "bpftrace counts uvdev_dev_create"
bpftrace -e 'BEGIN { printf("ready\n"); }
	tracepoint:uvdev:uvdev_dev_create { @creates = count(); }
	tracepoint:uvdev:uvdev_dev_destroy { @destroys = count(); }' >bpftrace.out 2>&1 &
bt=$!
wait_for 60 "bpftrace to attach" file_has bpftrace.out '^ready'

step "vtop (libbpf, tp_btf) counts them too"
vtop --no-cost -o json 1 >vtop.json 2>vtop.err &
vt=$!
wait_for 60 "vtop to attach" file_has vtop.err 'attached \(tp_btf\)'

for i in 1 2 3; do
	uvdevctl create "lt$i" --device-id 4 --queues "$i" >/dev/null
done
wait_for 10 "vtop to name the new devices" \
	file_has vtop.json '"name":"lt3","known":true,"device_id":4,"num_queues":3'
for i in 1 2 3; do
	uvdevctl destroy "lt$i"
done

stop_bpftrace "$bt"
cat bpftrace.out
file_has bpftrace.out '^@creates: 3$' || fail "bpftrace did not count 3 creates"
file_has bpftrace.out '^@destroys: 3$' || fail "bpftrace did not count 3 destroys"

wait_for 10 "vtop to report 3 creates" file_has vtop.json '"dev_create":3,"dev_destroy":3'
kill -INT $vt
wait $vt || fail "vtop exited with an error: $(cat vtop.err)"
tail -n 1 vtop.json

step "vtop's raw_tp fallback counts them too"
start_vtop raw.json -o json --no-cost --raw-tp 0.5
file_has raw.json.err 'attached \(raw_tp\)' || fail "vtop --raw-tp did not attach raw_tp: $(cat raw.json.err)"
uvdevctl create rt1 --device-id 4 >/dev/null
uvdevctl destroy rt1
wait_for 10 "vtop (raw_tp) to count them" file_has raw.json '"dev_create":1,"dev_destroy":1'
stop_vtop
echo "ok: raw_tp"

step "unload"
unload_module
echo "ok: rmmod"
