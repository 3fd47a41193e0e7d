#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A case whose module WARNs at load but exits 0: the harness must fail it on
# the kernel log and the new W taint. It runs last: the taint stays.
# timeout: 60
. "$UVDEV_ROOT/tests/vm/lib.sh"
insmod "$UVDEV_BUILD/modules/uvdev_selftest_warn.ko"
rmmod uvdev_selftest_warn
