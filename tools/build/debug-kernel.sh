#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel of `make check-debug` from Debian's linux-source-6.1:
# allnoconfig plus tools/build/debug-kernel.config (KASAN, lockdep, kmemleak,
# debug objects, ...), bzImage and modules, with the modules installed where
# the VM mounts them as its /lib/modules. Run with --help for usage.
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: tools/build/debug-kernel.sh [OPTIONS]

Build a debug kernel for the VM tier from Debian's kernel source tarball and
cache it: when the config fragment, this script, the source tarball and the
toolchain are the same as for the last successful build, nothing is rebuilt.
A change to any of them rebuilds incrementally in the same tree (the tree is
extracted again only when the tarball changed).

Output, under DIR:
  linux/                      the kernel tree (sources and objects): the KDIR
                              that out-of-tree modules build against
  linux/arch/x86/boot/bzImage the kernel image
  modules/lib/modules/REL/    the installed modules (REL: the kernel release)
  release                     the kernel release (uname -r in the guest)
  build.log                   the last build's output

Options:
  --out DIR        where to build (default build/debug-kernel)
  --source TARBALL the kernel source (default /usr/src/linux-source-6.1.tar.xz,
                   package linux-source-6.1)
  -j N             parallel jobs (default: the number of CPUs); the build
                   runs under nice -n 19
  --config-only    write and check linux/.config, build nothing
  -h, --help       this help

Exit status: 0 the kernel is built (or was up to date), 1 the build failed,
2 usage error or a missing tool.
USAGE
}

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/build/debug-kernel
tarball=/usr/src/linux-source-6.1.tar.xz
jobs=$(nproc)
config_only=0
fragment=$here/debug-kernel.config

while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift ;;
	--source) tarball=$2; shift ;;
	-j) jobs=$2; shift ;;
	-j[0-9]*) jobs=${1#-j} ;;
	--config-only) config_only=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "debug-kernel: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
tree=$out/linux
log=$out/build.log

say() {
	echo "debug-kernel: $*"
}

if [ ! -r "$tarball" ]; then
	echo "debug-kernel: no kernel source at $tarball; run 'make deps' (linux-source-6.1)" >&2
	exit 2
fi
for tool in gcc make flex bison bc pahole depmod xz; do
	command -v "$tool" >/dev/null || {
		echo "debug-kernel: $tool not found; run 'make deps'" >&2
		exit 2
	}
done

# What the build depends on besides the tree itself. The toolchain is in it
# because a new compiler or pahole changes the objects and the BTF.
source_id="$(basename "$tarball") $(stat -c '%s %Y' "$tarball")"
key=$( {
	echo "$source_id"
	cat "$fragment" "$0"
	gcc --version | sed -n 1p
	pahole --version
} | sha256sum | cut -d' ' -f1)

image=$tree/arch/x86/boot/bzImage
if [ $config_only -eq 0 ] && [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$key" ] &&
   [ -f "$image" ] && [ -f "$out/release" ] &&
   [ -f "$out/modules/lib/modules/$(cat "$out/release")/modules.dep" ]; then
	say "up to date: $(cat "$out/release") ($image)"
	exit 0
fi
rm -f "$out/stamp"

# Extract (again) when the tarball is not the one the tree came from.
if [ ! -f "$tree/.source-id" ] || [ "$(cat "$tree/.source-id")" != "$source_id" ]; then
	say "extracting $tarball into $tree"
	rm -rf "$tree"
	mkdir -p "$tree"
	tar -xJf "$tarball" -C "$tree" --strip-components=1 || {
		echo "debug-kernel: cannot extract $tarball" >&2
		exit 1
	}
	echo "$source_id" >"$tree/.source-id"
fi

kmake() {
	nice -n 19 make -C "$tree" ARCH=x86_64 -j"$jobs" "$@"
}

: >"$log"
say "configuring: allnoconfig + $(basename "$fragment")"
# merge_config.sh -n: allnoconfig with the fragment as KCONFIG_ALLCONFIG, then
# a report of every requested value the result does not have.
if ! (cd "$tree" && ARCH=x86_64 scripts/kconfig/merge_config.sh -n "$fragment") >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "debug-kernel: configuring failed (log: $log)" >&2
	exit 1
fi
kmake olddefconfig >>"$log" 2>&1
# merge_config.sh only warns; a fragment line Kconfig did not grant is an
# error here. Check every line against the final .config.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n) want="# ${line%=n} is not set" ;;
	CONFIG_*) want=$line ;;
	*) continue ;;
	esac
	if ! grep -qxF -- "$want" "$tree/.config"; then
		sym=${line%%=*}
		have=$(grep -E "^$sym=|^# $sym is not set" "$tree/.config" || echo "absent")
		echo "debug-kernel: $fragment asks for '$line', the config has '$have'" >&2
		bad=1
	fi
done <"$fragment"
if [ $bad -ne 0 ]; then
	echo "debug-kernel: the fragment does not apply to this source (dependencies missing?);" \
	     "see 'make -C $tree menuconfig' for what each option depends on" >&2
	exit 1
fi
release=$(kmake -s kernelrelease)
if [ $config_only -eq 1 ]; then
	say "config written: $tree/.config ($release)"
	exit 0
fi

say "building $release: bzImage and modules (-j$jobs, nice 19; log: $log)"
start=$(date +%s)
if ! kmake bzImage modules >>"$log" 2>&1; then
	grep -E -m 20 'error|Error' "$log" >&2 || tail -n 30 "$log" >&2
	echo "debug-kernel: the kernel build failed (log: $log)" >&2
	exit 1
fi
rm -rf "$out/modules"
if ! kmake modules_install INSTALL_MOD_PATH="$out/modules" INSTALL_MOD_STRIP=1 >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "debug-kernel: modules_install failed (log: $log)" >&2
	exit 1
fi
# The build and source links point into the tree: the guest needs neither.
rm -f "$out/modules/lib/modules/$release/build" "$out/modules/lib/modules/$release/source"
echo "$release" >"$out/release"
echo "$key" >"$out/stamp"
say "built $release in $(( $(date +%s) - start ))s: $image"
