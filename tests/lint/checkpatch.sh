#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel C (the module, the UAPI headers, the self-test modules) is
# checkpatch.pl --strict clean: 'make checkpatch' (see its flags there).
set -euo pipefail

make -s --no-print-directory checkpatch
