#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package the project needs to build and test.
# Idempotent: packages already present are left alone; only the missing ones
# are named and installed. Needs root (it runs apt-get).
set -euo pipefail

packages=(
	# build: kernel module, BPF, user space
	make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev dwarves
	pkg-config libcmocka-dev libncurses-dev libmicrohttpd-dev kmod xz-utils
	linux-image-amd64 linux-headers-amd64 linux-source-6.1 binutils
	# the debug kernel (make debug-kernel): Kbuild's own tools
	flex bison bc
	# VM tier: the machine, its initramfs and the clients that exercise devices
	qemu-system-x86 busybox-static cpio bpftrace fio e2fsprogs
	nbd-server nbd-client rng-tools5 procps util-linux iproute2 file
	# exporter check; dashboards and rules (promtool, a real Prometheus in
	# the VM, jq over the dashboards' JSON and Prometheus's API answers)
	prometheus jq
	# lint tier: shell scripts; the packaging checks (DKMS and its signing
	# key, man pages, the systemd unit)
	shellcheck dkms openssl groff-base man-db bsdextrautils systemd
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#packages[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run 'make deps' as root to install them" >&2
	exit 1
fi

echo "deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	echo "deps: apt-get failed (output above); check the network and the apt sources" >&2
	exit 1
fi
echo "deps: done"
