#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A case whose module load blocks in D state past the hung-task threshold
# (10 s in the guest) but exits 0: the harness must fail it on the report.
# timeout: 60
. "$UVDEV_ROOT/tests/vm/lib.sh"
insmod "$UVDEV_BUILD/modules/uvdev_selftest_warn.ko" hang_ms=15000
rmmod uvdev_selftest_warn
