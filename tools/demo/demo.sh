#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's demo command: install what is missing, build, and boot a VM
# that runs guest-demo.sh on its console. It ends by itself.
set -euo pipefail
cd "$(dirname "$0")/../.."

tools/build/install-deps.sh
make -s all
exec tests/vm/run.sh --demo
