#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The man pages (man/*.[1-9]) render without a single groff warning
# (groff -man -ww, all warning categories, at 80 columns), their .TH
# names the page and the section its file name says, and man-db finds
# their NAME line (lexgrog), which whatis and apropos use. First it checks
# its own premise: a page with a known mistake must draw a warning.
set -euo pipefail

cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# render PAGE: groff's warnings for PAGE, in $tmp/warnings.
render() {
	LC_ALL=C.UTF-8 groff -man -t -Tutf8 -rLL=80n -ww -z "$1" 2>"$tmp/warnings" || true
}

printf '.TH BAD 8\n.SH NAME\nbad \\- a page\n.SH DESCRIPTION\n.NOSUCHMACRO\n.BR\n' >"$tmp/bad.8"
render "$tmp/bad.8"
if [ ! -s "$tmp/warnings" ]; then
	echo "man-render: groff printed no warning for a page with an unknown macro:" \
		"this check would pass anything" >&2
	exit 1
fi

pages=(man/*.[1-9])
if [ ! -e "${pages[0]}" ]; then
	echo "man-render: no man page in man/" >&2
	exit 1
fi
for page in "${pages[@]}"; do
	render "$page"
	if [ -s "$tmp/warnings" ]; then
		echo "man-render: $page: groff warns (fix the markup):" >&2
		sed 's/^/  /' "$tmp/warnings" >&2
		failed=1
	fi
	base=${page##*/}
	want_name=${base%.*}
	want_sec=${base##*.}
	read -r _ th_name th_sec _ < <(grep -m1 '^\.TH ' "$page" || echo)
	th_name=${th_name//\\/}
	if [ "${th_name,,}" != "$want_name" ] || [ "$th_sec" != "$want_sec" ]; then
		echo "man-render: $page: '.TH $th_name $th_sec' should name $want_name and section $want_sec" >&2
		failed=1
	fi
	if ! lexgrog "$page" >/dev/null 2>&1; then
		echo "man-render: $page: lexgrog finds no NAME line ('name \\- what it is')" >&2
		failed=1
	fi
done
exit "$failed"
