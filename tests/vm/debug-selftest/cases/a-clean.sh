#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A module that loads and unloads cleanly: the harness must pass the case
# (no kmemleak or lockdep false positive from a module's life).
# timeout: 60
. "$UVDEV_ROOT/tests/vm/lib.sh"
insmod "$UVDEV_BUILD/modules/uvdev_selftest_debug.ko" bug=none
rmmod uvdev_selftest_debug
