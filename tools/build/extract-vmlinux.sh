#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# extract-vmlinux.sh VMLINUZ OUT
#
# Debian's headers have no vmlinux, but its bzImage carries the kernel ELF
# (with its .BTF section) as an xz stream. Find the stream, decompress it and
# keep the result only if it is an ELF file with BTF.
set -euo pipefail

in=$1
out=$2
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT

# Offsets of the xz magic (FD 37 7A 58 5A 00) in the image.
offsets=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$in" | cut -d: -f1) || offsets=
while read -r off; do
	[ -n "$off" ] || continue
	# The stream is followed by other data, so xz reports trailing garbage:
	# the decompressed output is still whole, and the ELF check decides.
	tail -c +$((off + 1)) "$in" | xz -dc >"$tmp" 2>/dev/null || true
	# The section table whole, then the match: 'readelf | grep -q' under
	# pipefail fails at random when grep exits first (SIGPIPE).
	sections=$(readelf -S "$tmp" 2>/dev/null) || continue
	if [[ $sections == *' .BTF '* ]]; then
		mv "$tmp" "$out"
		trap - EXIT
		exit 0
	fi
done <<<"$offsets"
echo "extract-vmlinux: no xz-compressed ELF with .BTF found in $in" >&2
exit 1
