#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the newest installed Debian kernel that has both its image in /boot
# and its headers, which is the kernel the module is built for and the VM
# boots. The running kernel is not used: it may not be able to load modules.
set -euo pipefail

best=
for dir in /lib/modules/*/build; do
	[ -e "$dir/Makefile" ] || continue
	kver=${dir#/lib/modules/}
	kver=${kver%/build}
	[ -e "/boot/vmlinuz-$kver" ] || continue
	best=$(printf '%s\n%s\n' "$best" "$kver" | sort -V | tail -n 1)
done

if [ -z "$best" ]; then
	echo "kernel-version: no kernel with both /boot/vmlinuz-* and headers installed;" \
	     "run 'make deps' (linux-image-amd64, linux-headers-amd64)" >&2
	exit 1
fi
echo "$best"
