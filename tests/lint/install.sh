#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 'make install' into a temporary DESTDIR, twice (the default PREFIX,
# /usr/local, and PREFIX=/usr): exactly the expected files with the
# expected modes, the exporter unit's ExecStart naming the installed vtop,
# every man page found by 'man -M DESTDIR/PREFIX/share/man -w'; then
# 'make uninstall' removes every file it installed.
set -euo pipefail

cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
	echo "install: $*" >&2
	failed=1
}

# check_prefix PREFIX: install with PREFIX into a fresh DESTDIR and check.
check_prefix() {
	local prefix=$1 dest=$tmp/dest${1//\//_} unit exec page name sec found
	local expected=(
		"755 $prefix/sbin/vtop"
		"755 $prefix/sbin/uvdev-blk"
		"755 $prefix/sbin/uvdev-rng"
		"755 $prefix/sbin/uvdevctl"
		"644 $prefix/share/man/man8/vtop.8.gz"
		"644 $prefix/share/man/man8/uvdev-blk.8.gz"
		"644 $prefix/share/man/man8/uvdev-rng.8.gz"
		"644 $prefix/share/man/man8/uvdevctl.8.gz"
		"644 $prefix/share/man/man4/uvdev.4.gz"
		"644 $prefix/share/uvdev/vtop-exporter.default"
		"644 $prefix/lib/systemd/system/vtop-exporter.service"
	)
	for page in tools/bpftrace/*.bt; do
		expected+=("644 $prefix/share/uvdev/bpftrace/${page##*/}")
	done
	local make_args=(-s --no-print-directory DESTDIR="$dest")
	[ "$prefix" = /usr/local ] || make_args+=(PREFIX="$prefix")

	if ! make "${make_args[@]}" install >"$tmp/make.log" 2>&1; then
		fail "'make install ${make_args[*]:2}' failed:"
		sed 's/^/  /' "$tmp/make.log" >&2
		return
	fi
	printf '%s\n' "${expected[@]}" | sort >"$tmp/expected"
	(cd "$dest" && find . ! -type d -printf '%m /%P\n') | sort >"$tmp/got"
	if ! diff -u "$tmp/expected" "$tmp/got" >"$tmp/diff"; then
		fail "PREFIX=$prefix: the installed files (+) differ from the expected ones (-);" \
			"fix the Makefile's install target or this list:"
		sed 's/^/  /' "$tmp/diff" >&2
	fi

	unit=$dest$prefix/lib/systemd/system/vtop-exporter.service
	exec=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit" 2>/dev/null || true)
	[ "$exec" = "$prefix/sbin/vtop" ] ||
		fail "PREFIX=$prefix: the unit's ExecStart runs '$exec', not $prefix/sbin/vtop"
	grep -n '@[A-Z]*@' "$unit" >"$tmp/left" 2>/dev/null &&
		fail "PREFIX=$prefix: $unit keeps template placeholders: $(cat "$tmp/left")"

	for page in "vtop 8" "uvdev-blk 8" "uvdev-rng 8" "uvdevctl 8" "uvdev 4"; do
		read -r name sec <<<"$page"
		found=$(man -M "$dest$prefix/share/man" -w "$sec" "$name" 2>/dev/null || true)
		[ "$found" = "$dest$prefix/share/man/man$sec/$name.$sec.gz" ] ||
			fail "PREFIX=$prefix: 'man -M $prefix/share/man -w $sec $name' finds '$found'"
	done
	"$dest$prefix/sbin/uvdevctl" --help >/dev/null ||
		fail "PREFIX=$prefix: the installed uvdevctl does not run"

	if ! make "${make_args[@]}" uninstall >"$tmp/make.log" 2>&1; then
		fail "'make uninstall' failed:"
		sed 's/^/  /' "$tmp/make.log" >&2
		return
	fi
	(cd "$dest" && find . ! -type d -printf '/%P\n') >"$tmp/left"
	[ ! -s "$tmp/left" ] || fail "PREFIX=$prefix: 'make uninstall' left $(tr '\n' ' ' <"$tmp/left")"
}

check_prefix /usr/local
check_prefix /usr
exit "$failed"
