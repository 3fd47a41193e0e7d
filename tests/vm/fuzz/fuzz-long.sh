#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz: the fuzz case (tests/vm/cases/60-fuzz.sh) with a long budget,
# 10^6 calls over 8 seeds unless UVDEV_FUZZ_CALLS and UVDEV_FUZZ_SEEDS (set
# on the host, passed by run.sh) say otherwise. About 25 minutes under TCG
# (240000 calls over these seeds took 5).
# timeout: 5400
# vtop-induces: stalled,irq-lost,broken,needs-reset
export UVDEV_FUZZ_CALLS=${uvdev_fuzz_calls:-1000000}
export UVDEV_FUZZ_SEEDS=${uvdev_fuzz_seeds:-101,102,103,104,105,106,107,108}
exec bash "$UVDEV_ROOT/tests/vm/cases/60-fuzz.sh"
