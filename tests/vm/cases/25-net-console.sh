#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# virtio_net and virtio_console probe cleanly on uvdev devices and unbind
# cleanly when the device is destroyed; virtio_net sends through its
# transmit queue.
# The backend is a sink: it captures what is transmitted and receives
# nothing.
# timeout: 180
. "$UVDEV_ROOT/tests/vm/lib.sh"

load_module
modprobe virtio_net
modprobe virtio_console

step "virtio_net"
"$TESTBIN/sink-backend" --device-id 1 --queues 2 --sink 1 --capture net-tx.bin net0 2>net.err &
backend=$!
wait_for 60 "virtio_net to bind" bash -c 'ls /sys/class/uvdev/net0/virtio*/net/* >/dev/null 2>&1'
iface=$(basename /sys/class/uvdev/net0/virtio*/net/*)
echo "interface: $iface"
ip link set "$iface" up
ip addr add 169.254.77.1/24 dev "$iface"
# Nothing answers on the sink: the ARP request for the neighbour is the frame.
echo probe 2>/dev/null >/dev/udp/169.254.77.2/9 || true
printf '\xa9\xfe\x4d\x02' >target-ip.bin
wait_for 10 "the ARP request on the transmit queue" \
	bash -c "\"$TESTBIN/find-substream\" net-tx.bin target-ip.bin >/dev/null"
echo "ok: an ARP request for 169.254.77.2 went out ($(stat -c %s net-tx.bin) bytes sent)"
ip link set "$iface" down
stop_backend "$backend"
test ! -e "/sys/class/net/$iface" || fail "$iface still exists after destroy"

step "busy-waiting drivers are refused unless accepted explicitly"
set +e
uvdevctl create con-refused --device-id 3 --queues 2 2>refused.err
rc=$?
uvdevctl create net-refused --device-id 1 --queues 3 --features 0x100020000 2>>refused.err
rc2=$?
set -e
cat refused.err
expect_eq "uvdevctl create of a console device, exit status" 1 "$rc"
expect_eq "uvdevctl create of a net device with CTRL_VQ, exit status" 1 "$rc2"
[ "$(grep -c 'busy-waits' refused.err)" -eq 2 ] || fail "the refusals do not say why"
test ! -e /dev/uvdev/con-refused || fail "a refused console device was created"

step "virtio_console (probe and unbind only)"
# Console output (hvc) makes virtio_console busy-wait with interrupts off
# until the device returns the buffer: with a userspace backend that needs
# the same CPU, a write can spin for good. So this checks the probe only,
# with the busy-wait accepted explicitly; see the README's limitations.
"$TESTBIN/sink-backend" --device-id 3 --queues 2 --sink 1 --capture con-tx.bin --busy-wait con0 2>con.err &
backend=$!
wait_for 60 "virtio_console to bind" bash -c 'ls /sys/class/uvdev/con0/virtio*/virtio-ports/* >/dev/null 2>&1'
port=$(basename /sys/class/uvdev/con0/virtio*/virtio-ports/*)
echo "port: $port"
stop_backend "$backend"
test ! -e "/sys/class/virtio-ports/$port" || fail "port $port still exists after destroy"

rmmod virtio_net virtio_console
unload_module
