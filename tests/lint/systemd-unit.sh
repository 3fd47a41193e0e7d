#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vtop-exporter.service passes 'systemd-analyze verify' without a single
# message: the template with ExecStart pointing at the built vtop (verify
# needs the binary to exist), the project's man pages on MANPATH (verify
# runs man for each Documentation= page). First it checks its own premise:
# a copy with an unknown directive must draw a message.
set -euo pipefail

cd "$(dirname "$0")/../.."
build=${UVDEV_BUILD:-build}
vtop_dir=$(cd "$build/tools/vtop" 2>/dev/null && pwd) || {
	echo "systemd-unit: $build/tools/vtop is missing: run 'make all' first" >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
template=tools/systemd/vtop-exporter.service.in

mkdir -p "$tmp/man/man4" "$tmp/man/man8" "$tmp/bad"
cp man/*.4 "$tmp/man/man4/"
cp man/*.8 "$tmp/man/man8/"
sed "s|@SBINDIR@|$vtop_dir|g" "$template" >"$tmp/vtop-exporter.service"
sed 's/^LockPersonality=/LockPersonalityTypo=/' "$tmp/vtop-exporter.service" \
	>"$tmp/bad/vtop-exporter.service"

# verify UNIT: systemd-analyze's messages about UNIT, in $tmp/out.
verify() {
	MANPATH=$tmp/man SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$1" >"$tmp/out" 2>&1 || true
}

verify "$tmp/bad/vtop-exporter.service"
if ! grep -q LockPersonalityTypo "$tmp/out"; then
	echo "systemd-unit: systemd-analyze verify said nothing of an unknown directive:" \
		"this check would pass anything" >&2
	exit 1
fi

verify "$tmp/vtop-exporter.service"
if [ -s "$tmp/out" ]; then
	echo "systemd-unit: systemd-analyze verify $template (ExecStart at the built vtop):" >&2
	sed "s|$tmp/||; s/^/  /" "$tmp/out" >&2
	exit 1
fi
