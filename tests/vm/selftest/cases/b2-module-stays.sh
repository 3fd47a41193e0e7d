#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A case that leaves a uvdev device fd open in a process outside its own
# process group, so the module cannot unload after it: the harness must
# fail it. The holder lets go once the harness has recorded that, so the
# cases after it start clean.
# timeout: 60
. "$UVDEV_ROOT/tests/vm/lib.sh"
load_module
uvdevctl create held --device-id 4
verdict=$UVDEV_RESULTS/b2-module-stays.unload
setsid bash -c "exec 3<>/dev/uvdev/held
	for i in \$(seq 1200); do [ -e '$verdict' ] && exit 0; sleep 0.1; done" \
	</dev/null >/dev/null 2>&1 &
# shellcheck disable=SC2016 # the child shell expands it, at every poll
wait_for 10 "the holder to open the device" bash -c '[ "$(cat /sys/class/uvdev/held/backend)" = 1 ]'
echo "held"
