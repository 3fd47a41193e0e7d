#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every shell script in the tree is shellcheck clean at its default
# severity, following sourced files (-x). Scripts are the tracked files
# named *.sh plus any tracked file whose first line runs bash or sh.
set -euo pipefail

scripts=()
while IFS= read -r -d '' f; do
	case $f in
	*.sh) scripts+=("$f") ;;
	*)
		IFS= read -r first <"$f" || true
		case $first in
		'#!'*/bash* | '#!'*/sh | '#!'*'env bash'*) scripts+=("$f") ;;
		esac
		;;
	esac
done < <(git ls-files -z)

if [ ${#scripts[@]} -eq 0 ]; then
	echo "shellcheck: no scripts found (is this a git checkout?)" >&2
	exit 1
fi
shellcheck -x "${scripts[@]}"
