#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A case that fails: the harness must report its exit code.
# timeout: 30
exit 3
