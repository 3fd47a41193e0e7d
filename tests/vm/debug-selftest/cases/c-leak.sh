#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A module that leaks an object: the harness must fail the case on the
# kmemleak scan after it (the module is unloaded by then).
# timeout: 60
. "$UVDEV_ROOT/tests/vm/lib.sh"
insmod "$UVDEV_BUILD/modules/uvdev_selftest_debug.ko" bug=leak
rmmod uvdev_selftest_debug
