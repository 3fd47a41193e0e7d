#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# might_sleep() under a spinlock: DEBUG_ATOMIC_SLEEP's report must fail the case.
# timeout: 60
. "$UVDEV_ROOT/tests/vm/lib.sh"
insmod "$UVDEV_BUILD/modules/uvdev_selftest_debug.ko" bug=sleep
rmmod uvdev_selftest_debug
