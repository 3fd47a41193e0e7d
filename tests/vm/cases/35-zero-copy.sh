#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Zero copy: the window's semantics and isolation (tests/vm/bin/zc-test:
# buffer shapes mapped or bounced with the data right, completion ranges
# across the id wrap, EAGAIN, a full window, read-only out-segments,
# faults after push, fork, split/move/grow refused, a backend killed with
# chains mapped leaving no page reference).
# timeout: 240
. "$UVDEV_ROOT/tests/vm/lib.sh"

load_module
modprobe virtio_blk

step "zero-copy semantics and isolation"
"$UVDEV_BUILD/tests/vm/bin/zc-test" zc0 "${ZC_KILL_CYCLES:-100}"

step "unload"
unload_module
