#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS for real, against Debian's headers, leaving the host as it was:
# 'make -C kernel/uvdev dkms' (the README's command: dkms add, build and
# install) for the kernel the project builds for, with DKMS's source, DKMS
# and install trees in a temporary directory, the module signed with a
# temporary key and no depmod of the system's tree; then the installed
# module's modinfo (name uvdev, vermagic of that kernel, signed), then
# 'make -C kernel/uvdev dkms-remove'. Whatever happens, /var/lib/dkms,
# /usr/src and /lib/modules/KVER must be as before (an EXIT trap removes
# what a half-done run left and compares). Compiles the module: ~30 s.
set -euo pipefail

cd "$(dirname "$0")/../.."
if ! command -v dkms >/dev/null; then
	echo "dkms: the dkms command is missing: run 'make deps' (Debian package dkms)" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "dkms: dkms needs root: run the lint tier as root" >&2
	exit 1
fi
kver=$(tools/build/kernel-version.sh)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' kernel/uvdev/dkms.conf)
[ -n "$version" ] || { echo "dkms: kernel/uvdev/dkms.conf has no PACKAGE_VERSION" >&2; exit 1; }

# What DKMS could touch on the host, with modification times.
snapshot() {
	local d
	for d in /var/lib/dkms /usr/src "/lib/modules/$kver" "/lib/modules/$kver/updates"; do
		[ ! -e "$d" ] || find "$d" -maxdepth 2 -printf '%p %T@\n'
	done | sort
}
before=$(snapshot)
tmp=$(mktemp -d)
flags=(--sourcetree "$tmp/src" --dkmstree "$tmp/dkms" --installtree "$tmp/root/lib/modules"
	--no-depmod)
make_args=(-C kernel/uvdev KVER="$kver" DKMS_SOURCE_TREE="$tmp/src" DKMS_FLAGS="${flags[*]}")

cleanup() {
	local rc=$? after
	if [ -d "$tmp/dkms/uvdev" ]; then
		TMPDIR=$tmp dkms "${flags[@]}" remove -m uvdev -v "$version" --all >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
	after=$(snapshot)
	if [ "$before" != "$after" ]; then
		echo "dkms: the host changed (- before, + after); clean it up by hand:" >&2
		diff <(echo "$before") <(echo "$after") | sed -n 's/^[<>]/  &/p' >&2
		rc=1
	fi
	exit "$rc"
}
trap cleanup EXIT

# run LOG WHAT CMD...: run CMD with its output in LOG; on failure say WHAT
# failed, show the end of LOG and fail.
run() {
	local log=$1 what=$2
	shift 2
	if ! "$@" >"$log" 2>&1; then
		echo "dkms: $what failed; the end of its output:" >&2
		tail -n 30 "$log" >&2
		exit 1
	fi
}

mkdir -p "$tmp/src" "$tmp/dkms" "$tmp/root/lib/modules/$kver"
export TMPDIR=$tmp mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
run "$tmp/dkms.log" "make -C kernel/uvdev dkms KVER=$kver (add, build, install)" \
	nice -n 19 make "${make_args[@]}" dkms

status=$(dkms "${flags[@]}" status "uvdev/$version")
expect="uvdev/$version, $kver, $(uname -m): installed"
if [ "$status" != "$expect" ]; then
	echo "dkms: dkms status says '$status', not '$expect'" >&2
	exit 1
fi
mapfile -t installed < <(cd "$tmp/root/lib/modules/$kver" && find . -type f)
if [ "${#installed[@]}" -ne 1 ] || [[ "${installed[0]}" != ./updates/*/uvdev.ko* &&
	"${installed[0]}" != ./updates/uvdev.ko* ]]; then
	echo "dkms: dkms install left '${installed[*]}' in the install tree, not one updates/.../uvdev.ko" >&2
	exit 1
fi
ko=$tmp/root/lib/modules/$kver/${installed[0]#./}
name=$(modinfo -F name "$ko")
vermagic=$(modinfo -F vermagic "$ko")
signer=$(modinfo -F signer "$ko")
[ "$name" = uvdev ] || { echo "dkms: $ko: modinfo name is '$name', not uvdev" >&2; exit 1; }
[ "${vermagic%% *}" = "$kver" ] ||
	{ echo "dkms: $ko: vermagic '$vermagic' is not for $kver" >&2; exit 1; }
[ "$signer" = "DKMS module signing key" ] ||
	{ echo "dkms: $ko: not signed by DKMS's key (signer '$signer')" >&2; exit 1; }

run "$tmp/remove.log" "make -C kernel/uvdev dkms-remove" make "${make_args[@]}" dkms-remove
left=$(cd "$tmp" && find dkms src "root/lib/modules/$kver" -mindepth 1)
if [ -n "$left" ]; then
	echo "dkms: dkms-remove left $(echo "$left" | tr '\n' ' ')" >&2
	exit 1
fi
