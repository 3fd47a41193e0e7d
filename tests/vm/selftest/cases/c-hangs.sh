#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A case that never ends: the harness must stop it at its timeout and go on.
# timeout: 10
exec sleep 1000
