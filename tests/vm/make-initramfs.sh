#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make-initramfs.sh KVER OUT [MODDIR]
#
# Build the VM's initramfs: a static busybox, the init script, and the few
# modules needed to mount the host's root over 9p, decompressed and listed
# in load order (dependencies first, from modules.dep). MODDIR is the
# kernel's module directory (default /lib/modules/KVER); a kernel with them
# built in (modules.builtin) gets none.
set -euo pipefail

kver=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
moddir=${3:-/lib/modules/$kver}
wanted=(virtio_pci 9pnet_virtio 9p)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,newroot,lib/modules}

busybox=$(command -v busybox) || { echo "make-initramfs: busybox not found; run 'make deps' (busybox-static)" >&2; exit 1; }
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	[ -x /bin/busybox ] && busybox=/bin/busybox
fi
cp "$busybox" "$stage/bin/busybox"
install -m 0755 "$here/initramfs/init" "$stage/init"

# Resolve each wanted module's dependencies depth first, so every module
# comes after the ones it needs.
declare -A seen=()
order=()
dep_of() {
	awk -v m="$1" -F': *' '{ n = $1; sub(".*/", "", n); sub("\\.ko.*", "", n);
		gsub("-", "_", n); if (n == m) { print $1 ":" $2; exit } }' "$moddir/modules.dep"
}
visit() {
	local name=${1//-/_} line path deps d
	[ -n "${seen[$name]:-}" ] && return
	seen[$name]=1
	line=$(dep_of "$name")
	if [ -z "$line" ]; then
		# Built into the kernel: nothing to load.
		grep -q "/$1.ko" "$moddir/modules.builtin" && return
		echo "make-initramfs: module $1 not found for $kver" >&2
		exit 1
	fi
	path=${line%%:*}
	deps=${line#*:}
	for d in $deps; do
		d=${d##*/}
		visit "${d%%.ko*}"
	done
	order+=("$path")
}
for m in "${wanted[@]}"; do
	visit "$m"
done

: >"$stage/modules.order"
for path in "${order[@]}"; do
	base=${path##*/}
	base=${base%%.ko*}.ko
	case "$path" in
	*.xz) xz -dc "$moddir/$path" >"$stage/lib/modules/$base" ;;
	*.zst) zstd -qdc "$moddir/$path" >"$stage/lib/modules/$base" ;;
	*.gz) gzip -dc "$moddir/$path" >"$stage/lib/modules/$base" ;;
	*) cp "$moddir/$path" "$stage/lib/modules/$base" ;;
	esac
	echo "$base" >>"$stage/modules.order"
done

(cd "$stage" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
