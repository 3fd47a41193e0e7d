#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every option a tool's --help prints is in the tool's man page. Runs each
# built tool's --help (build/, so after 'make all'), takes every long option
# it names (--name, in the option list, the usage and the prose) and every
# short option of the option list ("-x, --name"), and fails naming each one
# the rendered page does not mention.
set -euo pipefail

cd "$(dirname "$0")/../.."
build=${UVDEV_BUILD:-build}
declare -A pages=(
	[tools/vtop/vtop]=man/vtop.8
	[tools/uvdev/uvdev-blk]=man/uvdev-blk.8
	[tools/uvdev/uvdev-rng]=man/uvdev-rng.8
	[tools/uvdev/uvdevctl]=man/uvdevctl.8
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

for tool in "${!pages[@]}"; do
	bin=$build/$tool
	page=${pages[$tool]}
	name=${tool##*/}
	if [ ! -x "$bin" ]; then
		echo "man-options: $bin is missing: run 'make all' first" >&2
		failed=1
		continue
	fi
	if ! "$bin" --help >"$tmp/$name.help" 2>&1; then
		echo "man-options: '$bin --help' failed (exit status not 0)" >&2
		failed=1
		continue
	fi
	if [ ! -f "$page" ]; then
		echo "man-options: $page is missing: $name has no man page" >&2
		failed=1
		continue
	fi
	# Rendered as plain text, one paragraph a line and no hyphenation, so
	# an option is never split across lines.
	groff -man -Tascii -rLL=3000n -rHY=0 "$page" 2>/dev/null | col -bx >"$tmp/$name.txt"
	grep -oE -- '--[a-z][a-z0-9-]*' "$tmp/$name.help" | sort -u >"$tmp/$name.opts" || true
	sed -nE 's/^[[:space:]]+(-[a-zA-Z]), --.*/\1/p' "$tmp/$name.help" | sort -u >>"$tmp/$name.opts"
	if [ "$(grep -c -- '^--' "$tmp/$name.opts")" -eq 0 ]; then
		echo "man-options: found no long option in '$bin --help': is the extraction broken?" >&2
		failed=1
		continue
	fi
	missing=()
	while read -r opt; do
		grep -qE -- "(^|[^a-zA-Z0-9-])${opt}([^a-zA-Z0-9-]|\$)" "$tmp/$name.txt" ||
			missing+=("$opt")
	done <"$tmp/$name.opts"
	if [ ${#missing[@]} -gt 0 ]; then
		echo "man-options: $page does not document ${missing[*]} (printed by '$name --help'):" \
			"describe each under OPTIONS" >&2
		failed=1
	fi
done
exit "$failed"
