#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad input to every ioctl gets its specific error and the kernel log stays
# clean (the harness checks the log); a refused VQ_SERVE loses nothing (on
# a virtio_net receive queue, which has many chains available); creating
# needs CAP_SYS_ADMIN; a destroy returns in its bound though the backend
# completed the probe's read without the interrupt.
# timeout: 120
# vtop-induces: broken
. "$UVDEV_ROOT/tests/vm/lib.sh"

load_module
modprobe virtio-rng
modprobe virtio_blk
modprobe virtio_net

step "ioctl argument checks"
"$UVDEV_BUILD/tests/vm/bin/uapi-errors" abuse0

step "creating needs CAP_SYS_ADMIN (even with the node opened up)"
chmod 0666 /dev/uvdev/control
set +e
setpriv --reuid=65534 --regid=65534 --clear-groups \
	uvdevctl create nonroot --device-id 4 2>err.txt
rc=$?
set -e
chmod 0600 /dev/uvdev/control
cat err.txt
expect_eq "uvdevctl exit status as nobody" 1 "$rc"
file_has err.txt 'CAP_SYS_ADMIN' || fail "the error does not name CAP_SYS_ADMIN"
test ! -e /dev/uvdev/nonroot || fail "an unprivileged create made a device"

step "unload"
rmmod virtio_rng virtio_net
unload_module
