#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A case that does nothing wrong: the harness must pass it.
# timeout: 30
. "$UVDEV_ROOT/tests/vm/lib.sh"
test -d /sys/kernel/tracing/events || fail "tracefs is not mounted"
echo "fine"
