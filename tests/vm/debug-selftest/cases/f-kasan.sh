#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A read after free: KASAN's report must fail the case.
# timeout: 60
. "$UVDEV_ROOT/tests/vm/lib.sh"
insmod "$UVDEV_BUILD/modules/uvdev_selftest_debug.ko" bug=kasan
rmmod uvdev_selftest_debug
