#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Debian's stock kernel under QEMU with the host root shared read-only
# over 9p, run VM test cases inside as root, and judge them on the host.
# Run with --help for usage.
set -uo pipefail

usage() {
	cat <<'USAGE'
Usage: tests/vm/run.sh [OPTIONS] [--all | CASE...]

Boot the stock Debian kernel (or the one given with --kernel) in QEMU (KVM
when /dev/kvm is usable, TCG otherwise) and run VM test cases from
tests/vm/cases/ inside it, in one boot.

A case fails when its script exits non-zero or times out, when the kernel log
it caused shows WARNING, BUG, Oops, general protection, a hung task (the
guest reports tasks blocked for 10 s), a soft lockup or a similar report,
when it adds a kernel taint other than O (out-of-tree) or E (unsigned), or
when the uvdev module does not unload after it (every case starts from a
fresh load). On a kernel with kmemleak, the harness scans for leaks after
each case and fails the case when a leaked object was allocated through one
of the project's modules or a module unloaded since (see the README's debug
tier); on a --kernel run, a problem in the boot log fails the run too.

Options:
  --all                 run every case in tests/vm/cases (sorted by name)
  --list                list the cases and exit
  --cases-dir DIR       take cases from DIR instead of tests/vm/cases
  --timeout SEC         per-case timeout (default 300, or the case's own
                        "# timeout: SEC" line); a case's "# qemu: ARGS"
                        lines add QEMU arguments (devices) to the boot
  --deterministic       -icount shift=0,sleep=off -smp 1, and the same memory
                        layout every boot (for benchmarks)
  --smp N               guest CPUs (default 2)
  --memory MB           guest memory (default 2048)
  --results DIR         where to keep results (default build/vm/results)
  --kernel IMAGE        boot IMAGE (a bzImage) instead of the stock kernel
  --modules DIR         with --kernel: the guest's /lib/modules (DIR holds
                        RELEASE/ as 'make modules_install INSTALL_MOD_PATH=X'
                        writes X/lib/modules), shared read-only
  --append ARGS         more kernel command-line arguments
  --timeout-scale N     multiply every case's timeout, the guest's wait_for
                        limits and the boot allowance by N (slow kernels)
  --demo                run tools/demo/guest-demo.sh on the console instead
  -h, --help            this help

Environment:
  UVDEV_VM_ACCEL=tcg    never try KVM (by default KVM is used when a probe
                        boot shows it works)
  UVDEV_DEMO_SECONDS=N  how long --demo runs vtop (default 60)
  UVDEV_FUZZ_CALLS=N    total calls of the fuzz case (60-fuzz, make fuzz)
  UVDEV_FUZZ_SEEDS=A,B  its seeds

Exit status: 0 all cases passed, 1 a case failed, 2 usage or setup error.

Examples:
  tests/vm/run.sh --all
  tests/vm/run.sh 00-module-load
  tests/vm/run.sh --deterministic bench-blk
  tests/vm/run.sh --kernel build/debug-kernel/linux/arch/x86/boot/bzImage \
      --modules build/debug-kernel/modules/lib/modules --timeout-scale 4 --all
USAGE
}

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${UVDEV_BUILD:-$root/build}
results=$build/vm/results
default_timeout=300
all=0
list=0
deterministic=0
smp=2
memory=2048
demo=0
cases=()
cases_dir=$here/cases
kernel_image=
modules_dir=
extra_append=
time_scale=1

while [ $# -gt 0 ]; do
	case "$1" in
	--cases-dir) cases_dir=$(cd "$2" && pwd) || exit 2; shift ;;
	--all) all=1 ;;
	--list) list=1 ;;
	--timeout) default_timeout=$2; shift ;;
	--deterministic) deterministic=1; smp=1 ;;
	--smp) smp=$2; shift ;;
	--memory) memory=$2; shift ;;
	--results) results=$2; shift ;;
	--kernel) kernel_image=$2; shift ;;
	--modules) modules_dir=$2; shift ;;
	--append) extra_append=$2; shift ;;
	--timeout-scale) time_scale=$2; shift ;;
	--demo) demo=1 ;;
	-h|--help) usage; exit 0 ;;
	-*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) cases+=("${1%.sh}") ;;
	esac
	shift
done

if [ $list -eq 1 ]; then
	for f in "$cases_dir"/*.sh; do
		basename "$f" .sh
	done
	exit 0
fi
if [ $all -eq 1 ]; then
	for f in "$cases_dir"/*.sh; do
		cases+=("$(basename "$f" .sh)")
	done
fi
if [ $demo -eq 0 ] && [ ${#cases[@]} -eq 0 ]; then
	echo "run.sh: no case named; use --all or name cases (see --list)" >&2
	exit 2
fi
for c in "${cases[@]}"; do
	if [ ! -f "$cases_dir/$c.sh" ]; then
		echo "run.sh: no case '$c' in $cases_dir (see --list)" >&2
		exit 2
	fi
done
case "$root" in
*[[:space:]]*) echo "run.sh: the project path must not contain spaces: $root" >&2; exit 2 ;;
esac

case "$time_scale" in
''|*[!0-9]*|0) echo "run.sh: --timeout-scale takes a positive integer, not '$time_scale'" >&2; exit 2 ;;
esac
own_kernel=0
if [ -n "$kernel_image" ]; then
	own_kernel=1
	[ -f "$kernel_image" ] || { echo "run.sh: no kernel image at $kernel_image" >&2; exit 2; }
	kernel_image=$(cd "$(dirname "$kernel_image")" && pwd)/$(basename "$kernel_image")
	# The release is in the image's header, as file(1) reads it.
	kver=$(file -bL "$kernel_image" | sed -n 's/.*, version \([^ ]*\) .*/\1/p')
	[ -n "$kver" ] || { echo "run.sh: $kernel_image is not a bzImage (file(1) finds no version)" >&2; exit 2; }
	moddir=
	if [ -n "$modules_dir" ]; then
		modules_dir=$(cd "$modules_dir" && pwd) || exit 2
		moddir=$modules_dir/$kver
		[ -f "$moddir/modules.dep" ] || {
			echo "run.sh: no $kver/modules.dep in $modules_dir (the modules of $kernel_image)" >&2
			exit 2
		}
	fi
else
	[ -z "$modules_dir" ] || { echo "run.sh: --modules goes with --kernel" >&2; exit 2; }
	kver=$("$root/tools/build/kernel-version.sh") || exit 2
	kernel_image=/boot/vmlinuz-$kver
	moddir=/lib/modules/$kver
fi
qemu=$(command -v qemu-system-x86_64) || {
	echo "run.sh: qemu-system-x86_64 not found; run 'make deps'" >&2
	exit 2
}

initrd=$build/vm/initramfs-$kver.cpio.gz
mkdir -p "$build/vm"
# Two runs may start at once (make check-vm boots the harness self-test
# beside the cases): one builds the initramfs, the other waits for it.
exec {initrd_lock}>"$build/vm/initramfs.lock"
flock "$initrd_lock"
if [ ! -f "$initrd" ] || [ "$here/initramfs/init" -nt "$initrd" ] ||
   [ "$here/make-initramfs.sh" -nt "$initrd" ] ||
   { [ -n "$moddir" ] && [ "$moddir/modules.dep" -nt "$initrd" ]; }; then
	"$here/make-initramfs.sh" "$kver" "$initrd" ${moddir:+"$moddir"} || exit 2
fi
flock -u "$initrd_lock"
exec {initrd_lock}>&-

rm -rf "$results"
mkdir -p "$results"
echo "$build" >"$results/build-dir"
echo "$time_scale" >"$results/time-scale"
total_timeout=0
: >"$results/plan"
# A case may ask for devices of QEMU's own ("# qemu: ARGS...", split at
# blanks): a benchmark's reference peers. They are there for the whole boot.
case_qemu_args=()
for c in "${cases[@]}"; do
	while read -r -a words; do
		case_qemu_args+=("${words[@]}")
	done < <(sed -n 's/^# qemu: *//p' "$cases_dir/$c.sh")
	t=$(sed -n 's/^# timeout: *\([0-9]\+\).*/\1/p; T; q' "$cases_dir/$c.sh")
	t=$(( ${t:-$default_timeout} * time_scale ))
	echo "$c $t $cases_dir/$c.sh" >>"$results/plan"
	# 15 s to collect the case's results (a kmemleak scan takes longer).
	total_timeout=$((total_timeout + t + 15 * time_scale))
done
if [ $demo -eq 1 ]; then
	echo demo >"$results/mode"
	total_timeout=$((total_timeout + 900))
else
	echo test >"$results/mode"
fi

# /dev/kvm can exist and still not work (nested virtualisation that rejects
# MSRs or never runs the guest), so boot the kernel once under KVM with no
# root: it panics within seconds if KVM works. The answer is cached per kernel.
kvm_works() {
	local cache=$build/vm/kvm-$kver out
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	if [ ! -f "$cache" ]; then
		# The whole output, then the match: grep -q on a pipe would end
		# early, and QEMU's next write would fail the pipeline (SIGPIPE).
		out=$(timeout 20 "$qemu" -machine q35 -accel kvm -cpu host -m 256 -nographic \
			-no-reboot -kernel "$kernel_image" -append "console=ttyS0 panic=-1" \
			</dev/null 2>&1)
		if [[ $out == *'Kernel panic'* ]]; then
			echo yes >"$cache"
		else
			echo no >"$cache"
			echo "vm: /dev/kvm exists but KVM cannot boot a guest here; using TCG"
		fi
	fi
	[ "$(cat "$cache")" = yes ]
}

accel=(-accel 'tcg,thread=multi' -cpu max)
if [ $deterministic -eq 1 ]; then
	accel=(-accel tcg -cpu max -icount 'shift=0,sleep=off' -rtc clock=vm)
elif [ "${UVDEV_VM_ACCEL:-auto}" = tcg ]; then
	:
elif kvm_works; then
	accel=(-accel kvm -cpu host)
fi

append="console=ttyS0 panic=-1 oops=panic uvdev_repo=$root"
# Deterministic runs lay memory out the same way every boot: no kernel or
# process address randomisation, no transparent huge pages. With them,
# boots of one build read two modes 1 % apart in instructions per request
# (likely whether buffers land in huge pages: the kernel's paths differ).
[ $deterministic -eq 0 ] || append+=" nokaslr norandmaps transparent_hugepage=never"
[ -z "$extra_append" ] || append+=" $extra_append"
# The demo owns the console: only errors may interrupt its screen.
if [ $demo -eq 1 ]; then
	append+=" loglevel=3"
else
	append+=" loglevel=5"
fi
# The fuzzer's budget (tests/vm/cases/60-fuzz.sh reads it; make fuzz sets it).
for v in UVDEV_FUZZ_CALLS UVDEV_FUZZ_SEEDS; do
	case "${!v:-}" in
	"") ;;
	*[!0-9,]*) echo "run.sh: $v must be numbers separated by commas" >&2; exit 2 ;;
	*) append+=" ${v,,}=${!v}" ;;
	esac
done
if [ $demo -eq 1 ]; then
	append+=" uvdev_demo_seconds=${UVDEV_DEMO_SECONDS:-60}"
	if [ -t 0 ] && [ -t 1 ]; then
		append+=" uvdev_interactive=1 uvdev_rows=$(tput lines) uvdev_cols=$(tput cols)"
		append+=" uvdev_term=${TERM:-vt100}"
	fi
fi

# The guest mounts tmpfs on /tmp, /run, /var/tmp and /root; the project and
# its build directory are shared on their own so they show wherever they are.
extra_shares=()
case "$build/" in
"$root"/*) ;;
*) extra_shares=(-virtfs "local,path=$build,mount_tag=build,security_model=none,readonly=on,multidevs=remap")
   append+=" uvdev_build=$build" ;;
esac
# A kernel of our own brings its modules: the guest mounts them over the
# host's /lib/modules.
if [ -n "$modules_dir" ]; then
	extra_shares+=(-virtfs "local,path=$modules_dir,mount_tag=modules,security_model=none,readonly=on,multidevs=remap")
	append+=" uvdev_modules=1"
fi

qemu_cmd=("$qemu" -machine q35 "${accel[@]}" -smp "$smp" -m "$memory"
	-nographic -no-reboot -nic none
	-kernel "$kernel_image" -initrd "$initrd" -append "$append"
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$root,mount_tag=project,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$results,mount_tag=results,security_model=none,multidevs=remap"
	"${extra_shares[@]}" "${case_qemu_args[@]}")

# The console log sits beside a run's results, so runs with their own
# results directory (the harness self-test) can run at the same time.
console=$build/vm/console.log
[ "$results" = "$build/vm/results" ] || console=$results.console.log
boot_margin=$((180 * time_scale))
# Case timeouts count guest time; under -icount the guest's clock runs off
# instructions and the host needs several times longer for the same work.
if [ $deterministic -eq 1 ]; then
	total_timeout=$((total_timeout * 4))
fi
echo "vm: booting $kver (${accel[1]%%,*}, ${smp} cpu) for ${#cases[@]} case(s)"
start=$(date +%s)
if [ $demo -eq 1 ]; then
	# --foreground: QEMU must stay in the terminal's foreground process
	# group to read the keyboard (a background reader is stopped by SIGTTIN).
	timeout --foreground -k 10 $((total_timeout + boot_margin)) "${qemu_cmd[@]}" 2>&1 | tee "$console"
	qemu_rc=${PIPESTATUS[0]}
else
	timeout -k 10 $((total_timeout + boot_margin)) "${qemu_cmd[@]}" </dev/null 2>&1 |
		tee "$console" | grep --line-buffered '^\[vm\]'
	qemu_rc=${PIPESTATUS[0]}
fi
elapsed=$(( $(date +%s) - start ))
echo "vm: QEMU exited with $qemu_rc after ${elapsed}s"

# ---- judge -------------------------------------------------------------------

# Kernel reports that fail a run, whatever the test said. Most reports of the
# debug kernel's checks start with WARNING: or BUG:; their own titles are
# listed too, for the few that print another header first.
bad_log='WARNING:|BUG:|Oops|general protection|Kernel panic|kernel BUG|UBSAN:|KASAN:|refcount_t:|list_(add|del) corruption|INFO: task .* blocked|rcu: INFO|watchdog: BUG|Call Trace:'
bad_log+='|possible circular locking dependency|possible recursive locking|inconsistent lock state|'
bad_log+='irq lock inversion|suspicious RCU usage|sleeping function called from invalid context|'
bad_log+='ODEBUG:|INFO: trying to register non-static key|lockdep: .*turning off|DEBUG_LOCKS_WARN_ON'
# Taint bits a run may add: O (12, out-of-tree) and E (13, unsigned module).
allowed_taint=$(( (1 << 12) | (1 << 13) ))
taint_letters() {
	local t=$1 i out="" letters="PFSRMBUDAWCIOELKXT"
	for ((i = 0; i < ${#letters}; i++)); do
		(( t & (1 << i) )) && out+=${letters:i:1}
	done
	echo "$out"
}

# kmemleak_judge FILE: print why the kmemleak report in FILE (written by
# guest-run.sh after a case) fails the case, nothing if it does not. A leaked
# object counts against the case when its allocation backtrace has a frame in
# one of the project's modules ([uvdev...]) or a frame that no longer
# resolves to a symbol, which is code of a module unloaded since: uvdev, or a
# virtio driver a case unbound from a uvdev device. Other leaks are listed by
# kmemleak_notes and do not fail the case.
kmemleak_judge() {
	local file=$1 ours
	if grep -q '^kmemleak: ' "$file"; then
		grep -m 1 '^kmemleak: ' "$file"
		return
	fi
	ours=$(kmemleak_ours "$file")
	[ -n "$ours" ] || return 0
	echo "kmemleak: $(grep -c '^unreferenced object' <<<"$ours") leaked object(s) allocated through the project's modules ($file):"
	awk '/^unreferenced object/ { n++ } n == 1' <<<"$ours" | sed 's/^/    /'
}

# kmemleak_ours FILE: the leak reports in FILE that blame the project.
kmemleak_ours() {
	awk '/^unreferenced object/ { if (ours) printf "%s", rec; rec = ""; ours = 0 }
		{ rec = rec $0 "\n" }
		/^ +\[<[^>]*>\] (0x[0-9a-f]+$|.*\[uvdev[a-z0-9_]*\]$)/ { ours = 1 }
		END { if (ours) printf "%s", rec }' "$1"
}

# kmemleak_notes: one line per case whose kmemleak report lists leaks that
# do not blame the project.
kmemleak_notes() {
	local f all ours
	for f in "$results"/*.kmemleak; do
		[ -f "$f" ] || continue
		all=$(grep -c '^unreferenced object' "$f")
		ours=$(kmemleak_ours "$f" | grep -c '^unreferenced object')
		if [ "$all" -gt "$ours" ]; then
			echo "note: kmemleak: $((all - ours)) leaked object(s) not attributed to the project in $f"
		fi
	done
}

# judge NAME: print why a case failed, nothing if it passed.
judge() {
	local name=$1 rc before after new
	if [ ! -f "$results/$name.rc" ]; then
		echo "did not finish (the VM crashed or the whole run timed out; see $console)"
		return
	fi
	rc=$(cat "$results/$name.rc")
	case "$rc" in
	0) ;;
	124|137)
		echo "timed out"
		[ -s "$results/$name.stacks" ] &&
			echo "where its tasks waited 5 s before: $results/$name.stacks"
		;;
	*) echo "exited with $rc" ;;
	esac
	if grep -Eq "$bad_log" "$results/$name.dmesg"; then
		echo "kernel log reports a problem:"
		grep -E -m 5 "$bad_log" "$results/$name.dmesg" | sed 's/^/    /'
	fi
	if [ -f "$results/$name.unload" ]; then
		cat "$results/$name.unload"
	fi
	if [ -f "$results/$name.watch" ]; then
		cat "$results/$name.watch"
	fi
	if [ -f "$results/$name.kmemleak" ]; then
		kmemleak_judge "$results/$name.kmemleak"
	fi
	before=$(cat "$results/$name.taint-before" 2>/dev/null || echo 0)
	after=$(cat "$results/$name.taint" 2>/dev/null || echo 0)
	new=$(( after & ~before & ~allowed_taint ))
	if [ "$new" -ne 0 ]; then
		echo "kernel tainted: $(taint_letters "$new") (taint now $after)"
	fi
}

if [ $demo -eq 1 ]; then
	why=$(judge demo)
	[ -z "$why" ] && exit 0
	echo "demo: $why" >&2
	exit 1
fi

passed=0
failed=0
for c in "${cases[@]}"; do
	why=$(judge "$c")
	secs=$(cat "$results/$c.seconds" 2>/dev/null || echo "?")
	if [ -z "$why" ]; then
		passed=$((passed + 1))
		echo "PASS $c (${secs}s)"
	else
		failed=$((failed + 1))
		echo "FAIL $c: $why" | sed '2,$s/^/  /'
		if [ -f "$results/$c.out" ]; then
			echo "  --- last lines of $c's output ($results/$c.out):"
			tail -n 25 "$results/$c.out" | sed 's/^/  | /'
		fi
	fi
done
# A kernel of our own is judged from its boot on: a report at boot means
# the debug checks (lockdep stops at its first report) cannot be trusted.
if [ $own_kernel -eq 1 ] && [ -f "$results/boot.dmesg" ]; then
	why=$(grep -E -m 5 "$bad_log" "$results/boot.dmesg")
	[ -f "$results/boot.kmemleak" ] && why+=$(kmemleak_judge "$results/boot.kmemleak")
	if [ -n "$why" ]; then
		echo "FAIL the boot: the kernel log at boot reports a problem ($results/boot.dmesg):"
		echo "    ${why//$'\n'/$'\n'    }"
		failed=$((failed + 1))
	fi
fi
kmemleak_notes
if grep -Eq 'Kernel panic|Oops|BUG:' "$console"; then
	echo "FAIL the console log shows a kernel crash:"
	grep -E -m 5 'Kernel panic|Oops|BUG:' "$console" | sed 's/^/  /'
	failed=$((failed + 1))
fi
echo "vm: $passed passed, $failed failed"
[ $failed -eq 0 ]
