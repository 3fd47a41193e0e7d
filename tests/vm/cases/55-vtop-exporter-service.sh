#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vtop-exporter.service's vtop works with what the unit gives it: vtop run
# as the unit runs it (its ExecStart options and default listen address,
# read from tools/systemd/vtop-exporter.service.in) with only the unit's
# CapabilityBoundingSet and no new privileges (setpriv, as systemd does
# for a root service) holds exactly those capabilities, attaches with no
# libbpf complaint, and serves metrics that follow a device's pushes; with
# CAP_PERFMON taken away it is refused, so the set is not larger than needed.
# timeout: 120
. "$UVDEV_ROOT/tests/vm/lib.sh"

unit=$UVDEV_ROOT/tools/systemd/vtop-exporter.service.in
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
listen=$(sed -n 's/^Environment=VTOP_EXPORTER_LISTEN=//p' "$unit")
line=$(sed -n 's|^ExecStart=@SBINDIR@/vtop ||p' "$unit")
if [ -z "$caps" ] || [ -z "$listen" ] || [ -z "$line" ]; then
	fail "$unit: no CapabilityBoundingSet, Environment=VTOP_EXPORTER_LISTEN or ExecStart of vtop"
fi
line=${line//\$\{VTOP_EXPORTER_LISTEN\}/$listen}
line=${line//\$VTOP_EXPORTER_ARGS/0.5}
read -ra args <<<"$line"
port=${listen##*:}
echo "unit: vtop ${args[*]}, capabilities $caps"

# The bounding set for setpriv (-all,+bpf,...) and the capability mask it
# gives: setpriv --list-caps lists capabilities in number order.
mapfile -t known < <(setpriv --list-caps)
bset=-all
mask=0
for cap in $caps; do
	name=${cap#CAP_}
	name=${name,,}
	bset+=",+$name"
	for i in "${!known[@]}"; do
		[ "${known[$i]}" = "$name" ] && mask=$(( mask | (1 << i) ))
	done
done
want_eff=$(printf '%016x' "$mask")

load_module
modprobe virtio-rng
ip link set lo up
uvdev-rng rng0 2>rng.err &
backend=$!
wait_for 60 "virtio_rng to bind" grep -q '^virtio_rng' /sys/class/misc/hw_random/rng_current

step "vtop with the unit's capabilities ($bset)"
setpriv --no-new-privs --bounding-set "$bset" -- vtop "${args[@]}" >/dev/null 2>vtop.err &
vtop_pid=$!
wait_for 60 "vtop to serve" file_has vtop.err '^vtop: metrics on '
eff=$(sed -n 's/^CapEff:\t//p' "/proc/$vtop_pid/status")
expect_eq "vtop's effective capabilities" "$want_eff" "$eff"
if grep -v '^vtop: \(attached (raw_tp)\|metrics on http://[^ ]*\)$' vtop.err; then
	fail "vtop said more than that it attached and serves (lines above): the journal would have them"
fi

# pushes_of FILE: rng0's queue 0 pushes in a scrape.
pushes_of() {
	sed -n 's/^uvdev_queue_pushes_total{device="rng0",queue="0"} //p' "$1"
}
"$TESTBIN/http-get" "$port" /metrics m0.txt >/dev/null || fail "no 200 from /metrics"
first=$(pushes_of m0.txt)
[ -n "$first" ] || fail "no uvdev_queue_pushes_total series for rng0"
# pushed_more: read the device, scrape; have the pushes grown?
pushed_more() {
	dd if=/dev/hwrng of=/dev/null bs=4096 count=4 status=none
	"$TESTBIN/http-get" "$port" /metrics m1.txt >/dev/null || return 1
	[ "$(pushes_of m1.txt)" -gt "$first" ]
}
wait_for 30 "the exporter's pushes of rng0 to grow past $first" pushed_more
echo "ok: pushes $first -> $(pushes_of m1.txt)"
kill -TERM "$vtop_pid"
wait "$vtop_pid" || fail "vtop exited with $? on SIGTERM"

step "the premise: without CAP_PERFMON vtop is refused"
rc=0
setpriv --no-new-privs --bounding-set "${bset//,+perfmon/}" -- vtop "${args[@]}" \
	>/dev/null 2>noperfmon.err || rc=$?
expect_eq "vtop's exit status without CAP_PERFMON" 1 "$rc"
file_has noperfmon.err 'Operation not permitted' || fail "vtop failed for another reason: $(cat noperfmon.err)"

stop_backend "$backend"
rmmod virtio_rng
unload_module
