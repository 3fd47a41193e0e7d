#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two mutexes taken in both orders: lockdep's report must fail the case. It
# runs before the other bugs: lockdep turns itself off after its first
# report, and on any taint (the reports of the cases after it taint).
# timeout: 60
. "$UVDEV_ROOT/tests/vm/lib.sh"
insmod "$UVDEV_BUILD/modules/uvdev_selftest_debug.ko" bug=lockdep
rmmod uvdev_selftest_debug
