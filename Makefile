# SPDX-License-Identifier: GPL-2.0
#
# uvdev + vtop. Everything builds into $(O) (default build/).
#
#   make deps        install the Debian packages the project needs (root)
#   make             build the module, the BPF objects and the tools
#   make check       run every test tier (lint, unit, bpf, vm, perf) and summarise
#   make demo        boot a VM with devices under load and vtop live
#   make help        list every target

O ?= build
override O := $(abspath $(O))
KVER ?= $(shell tools/build/kernel-version.sh)
KDIR := /lib/modules/$(KVER)/build
VMLINUZ := /boot/vmlinuz-$(KVER)

CC := gcc
CLANG ?= clang
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip
PAHOLE ?= pahole

CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
	  -Ikernel/include -I$(O)/bpf -Ibpf
LIBBPF_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)

MODULE := $(O)/modules/uvdev.ko
# The module with its tracepoints compiled out (make bench compares).
NOTRACE_MODULE := $(O)/modules/notrace/uvdev.ko
SELFTEST_MODULE := $(O)/modules/uvdev_selftest_warn.ko
DEBUG_SELFTEST_MODULE := $(O)/modules/uvdev_selftest_debug.ko
# KDIR may be a full kernel build tree (the debug kernel, make check-debug):
# it has its vmlinux, and Kbuild encodes the module's BTF itself.
FULL_KDIR := $(if $(wildcard $(KDIR)/vmlinux),1)
VMLINUX := $(if $(FULL_KDIR),$(KDIR)/vmlinux,$(O)/vmlinux)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(O)/bpf/%.bpf.o,$(wildcard bpf/*.bpf.c))
BPF_SKELS := $(BPF_OBJS:.bpf.o=.skel.h)
VTOP := $(O)/tools/vtop/vtop
LIBUVDEV := $(O)/tools/uvdev/libuvdev.a
UVDEV_TOOLS := $(O)/tools/uvdev/uvdevctl

all: module bpf tools

help:
	@sed -n 's/^#   //p' Makefile
	@echo "  make module      uvdev.ko with module BTF, for KVER=$(KVER)"
	@echo "  make bpf         BPF objects and skeletons"
	@echo "  make tools       vtop"
	@echo "  make vmlinux-h   regenerate vmlinux.h from the stock kernel's BTF"
	@echo "  make check-lint | check-unit | check-bpf | check-vm    one test tier"
	@echo "  make checkpatch  checkpatch.pl --strict over the module"
	@echo "  make bench       benchmarks in the deterministic VM (tests/perf)"
	@echo "  make fuzz        uvdev-fuzz in the VM for 10^6 calls (UVDEV_FUZZ_CALLS, UVDEV_FUZZ_SEEDS)"
	@echo "  make check-perf  the perf gate against tests/perf/baseline.txt, with its selftest"
	@echo "  make perf-selftest   the perf gate's selftest alone"
	@echo "  make perf-baseline   record the perf gate's baseline again (5 boots)"
	@echo "  make install     tools, man pages, bpftrace scripts, exporter unit (PREFIX, DESTDIR)"
	@echo "  make uninstall   remove what make install put there"
	@echo "  make debug-kernel  build the debug kernel (KASAN, lockdep, kmemleak; cached)"
	@echo "  make check-debug   the VM tier on the debug kernel (slow; not in 'make check')"

deps:
	tools/build/install-deps.sh

# ---- kernel ----------------------------------------------------------------

ifeq ($(FULL_KDIR),)
$(VMLINUX): $(VMLINUZ) tools/build/extract-vmlinux.sh
	@mkdir -p $(@D)
	tools/build/extract-vmlinux.sh $< $@
endif

# Kbuild writes its objects next to the sources, so build from a tree of
# symlinks under $(O) and keep the source tree clean.
# kbuild_module SRC, DIR [, TREE, KBUILD-ARGS]: build the module in SRC/DIR
# from a tree of symlinks to SRC in $(O)/TREE (default: SRC).
define kbuild_module
	@mkdir -p $(O)/$(or $(3),$(1))
	cp -rsf $(CURDIR)/$(1)/. $(O)/$(or $(3),$(1))/
	$(MAKE) -C $(KDIR) M=$(O)/$(or $(3),$(1))$(patsubst $(1)%,%,$(2)) O= $(4) modules
endef

# Module BTF: pahole encodes it against the stock kernel's BTF, so that
# /sys/kernel/btf/<module> appears on load (Kbuild skips this step because
# Debian's headers carry no vmlinux; a full tree's Kbuild has done it). It
# works on a copy in $(O)/modules so Kbuild's own output keeps its DWARF for
# the next incremental build.
# $(1): Kbuild's .ko, $(2): the installed copy.
define add_module_btf
	@mkdir -p $(dir $(2))
	cp $(1) $(2)
	$(if $(FULL_KDIR),,$(PAHOLE) -J $$(PAHOLE=$(PAHOLE) $(KDIR)/scripts/pahole-flags.sh) --btf_base $(VMLINUX) $(2))
	$(LLVM_STRIP) --strip-debug $(2)
endef

module: $(MODULE)
$(MODULE): $(VMLINUX) $(wildcard kernel/uvdev/* kernel/include/uapi/*)
	$(call kbuild_module,kernel,kernel/uvdev)
	$(call add_module_btf,$(O)/kernel/uvdev/uvdev.ko,$@)

$(NOTRACE_MODULE): $(wildcard kernel/uvdev/* kernel/include/uapi/*)
	$(call kbuild_module,kernel,kernel/uvdev,kernel-notrace,UVDEV_NOTRACE=y)
	@mkdir -p $(dir $@)
	cp $(O)/kernel-notrace/uvdev/uvdev.ko $@

$(SELFTEST_MODULE): $(VMLINUX) $(wildcard tests/vm/selftest/*)
	$(call kbuild_module,tests/vm/selftest,tests/vm/selftest)
	$(call add_module_btf,$(O)/tests/vm/selftest/uvdev_selftest_warn.ko,$@)

$(DEBUG_SELFTEST_MODULE): $(VMLINUX) $(wildcard tests/vm/debug-selftest/*)
	$(call kbuild_module,tests/vm/debug-selftest,tests/vm/debug-selftest)
	$(call add_module_btf,$(O)/tests/vm/debug-selftest/uvdev_selftest_debug.ko,$@)

vmlinux-h: $(VMLINUX)
	$(BPFTOOL) btf dump file $(VMLINUX) format c > vmlinux.h

CHECKPATCH := $(O)/checkpatch/scripts/checkpatch.pl
$(CHECKPATCH):
	@mkdir -p $(O)/checkpatch
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C $(O)/checkpatch --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	touch $@

# trace.h is exempt from two layout checks only: TRACE_EVENT macro arguments
# are code blocks, laid out as in the kernel's own trace headers.
CHECKPATCH_FLAGS := --strict --no-tree --show-types --terse --ignore FILE_PATH_CHANGES
checkpatch: $(CHECKPATCH)
	$(CHECKPATCH) $(CHECKPATCH_FLAGS) -f $(filter-out %/trace.h,$(wildcard \
		kernel/uvdev/*.c kernel/uvdev/*.h kernel/include/uapi/*.h tests/vm/selftest/*.c \
		tests/vm/debug-selftest/*.c))
	$(CHECKPATCH) $(CHECKPATCH_FLAGS) --ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT \
		-f kernel/uvdev/trace.h

# ---- BPF -------------------------------------------------------------------

bpf: $(BPF_SKELS)

$(O)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h kernel/include/uapi/*.h) vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -I. -Ibpf -Ikernel/include -c $< -o $@
	$(LLVM_STRIP) -g $@

$(O)/bpf/%.skel.h: $(O)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# ---- user space ------------------------------------------------------------

UVDEV_DAEMONS := $(O)/tools/uvdev/uvdev-blk $(O)/tools/uvdev/uvdev-rng

tools: $(VTOP) $(UVDEV_TOOLS) $(UVDEV_DAEMONS)

$(O)/tools/uvdev/%.o: tools/uvdev/%.c $(wildcard tools/uvdev/*.h kernel/include/uapi/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBUVDEV): $(O)/tools/uvdev/libuvdev.o $(O)/tools/uvdev/uvdev_service.o
	$(AR) rcs $@ $^

$(O)/tools/uvdev/uvdevctl: $(O)/tools/uvdev/uvdevctl.o $(LIBUVDEV)
	$(CC) $(CFLAGS) -o $@ $^

# The backend daemons: their own sources, the shared daemon life, libuvdev.
$(O)/tools/uvdev/uvdev-blk: $(addprefix $(O)/tools/uvdev/,uvdev-blk.o blk_queue.o blk_req.o backend.o) $(LIBUVDEV)
	$(CC) $(CFLAGS) -o $@ $^ -lpthread

$(O)/tools/uvdev/uvdev-rng: $(addprefix $(O)/tools/uvdev/,uvdev-rng.o rng_stream.o backend.o) $(LIBUVDEV)
	$(CC) $(CFLAGS) -o $@ $^ -lpthread

NCURSES_CFLAGS := $(shell pkg-config --cflags ncurses 2>/dev/null)
NCURSES_LIBS := $(shell pkg-config --libs ncurses 2>/dev/null || echo -lncurses -ltinfo)
MHD_LIBS := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
$(VTOP): $(wildcard tools/vtop/*.c tools/vtop/*.h) $(BPF_SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(NCURSES_CFLAGS) -o $@ $(filter %.c,$^) $(LIBBPF_LIBS) $(NCURSES_LIBS) \
		$(MHD_LIBS) -lpthread -lm

# ---- install ---------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=]: the tools (sbin: they need
# root), their man pages, the bpftrace scripts and vtop's exporter unit,
# whose ExecStart names the installed vtop. The module is installed by
# DKMS or 'make -C kernel/uvdev install' (README, Install).
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/uvdev
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL ?= install

MAN_PAGES := $(wildcard man/*.[0-9])
MAN_GZ := $(patsubst man/%,$(O)/man/%.gz,$(MAN_PAGES))
UNIT := $(O)/systemd/vtop-exporter.service
INSTALL_BINS := $(VTOP) $(UVDEV_TOOLS) $(UVDEV_DAEMONS)

$(O)/man/%.gz: man/%
	@mkdir -p $(@D)
	gzip -9nc $< > $@

# SBINDIR is part of the file: rebuild it when the value changes.
$(UNIT): tools/systemd/vtop-exporter.service.in FORCE
	@mkdir -p $(@D)
	sed 's|@SBINDIR@|$(SBINDIR)|g' $< > $@.tmp
	if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

install: tools $(MAN_GZ) $(UNIT)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/bpftrace $(DESTDIR)$(SYSTEMDUNITDIR)
	$(INSTALL) -m 0755 $(INSTALL_BINS) $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0644 tools/bpftrace/*.bt $(DESTDIR)$(DATADIR)/bpftrace/
	$(INSTALL) -m 0644 tools/systemd/vtop-exporter.default $(DESTDIR)$(DATADIR)/
	$(INSTALL) -m 0644 $(UNIT) $(DESTDIR)$(SYSTEMDUNITDIR)/
	for m in $(MAN_GZ); do \
		s=$${m%.gz}; s=$${s##*.}; \
		$(INSTALL) -d $(DESTDIR)$(MANDIR)/man$$s && \
		$(INSTALL) -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(INSTALL_BINS)))
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/vtop-exporter.service
	rm -rf $(DESTDIR)$(DATADIR)
	for m in $(notdir $(MAN_PAGES)); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m.gz; done

# ---- tests -----------------------------------------------------------------

check:
	tests/check.sh

# The lint tier: every static check in tests/lint/ (tests/run-lint.sh).
check-lint: all
	tests/run-lint.sh

check-unit:
	$(MAKE) -C tests/unit O=$(O)/tests/unit run

check-bpf: bpf
	$(MAKE) -C tests/bpf BUILD=$(O) O=$(O)/tests/bpf run

# Programs the VM cases run, besides the project's own tools.
VM_TEST_BINS := $(patsubst tests/vm/bin/%.c,$(O)/tests/vm/bin/%,$(wildcard tests/vm/bin/*.c))
$(O)/tests/vm/bin/%: tests/vm/bin/%.c $(wildcard kernel/include/uapi/*.h) \
		$(O)/tools/uvdev/backend.o $(LIBUVDEV)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itools/uvdev -o $@ $< $(O)/tools/uvdev/backend.o $(LIBUVDEV) -lpthread

vm-test-bins: $(VM_TEST_BINS)

# The harness self-test boots beside the cases (its own results and
# console log) and prints its verdicts after them.
check-vm: all $(SELFTEST_MODULE) $(VM_TEST_BINS)
	@UVDEV_BUILD=$(O) tests/vm/selftest/run-harness-selftest.sh >$(O)/vm-selftest.out 2>&1 & \
	selftest=$$!; \
	UVDEV_BUILD=$(O) tests/vm/run.sh --all; rc=$$?; \
	wait $$selftest || rc=1; \
	cat $(O)/vm-selftest.out; \
	exit $$rc

# The perf gate (tests/perf/gate.sh --help): guest instructions per request
# and per BPF event in the deterministic VM against tests/perf/baseline.txt.
PERF_DEPS := all $(VM_TEST_BINS)
check-perf: $(PERF_DEPS)
	UVDEV_BUILD=$(O) tests/perf/gate.sh

perf-selftest: $(PERF_DEPS)
	UVDEV_BUILD=$(O) tests/perf/gate.sh --selftest-only

perf-baseline: $(PERF_DEPS)
	UVDEV_BUILD=$(O) tests/perf/gate.sh --record

# Benchmarks (tests/perf/cases), in the deterministic VM mode; "bench:" lines.
bench: all $(VM_TEST_BINS) $(NOTRACE_MODULE)
	UVDEV_BUILD=$(O) tests/vm/run.sh --deterministic --cases-dir tests/perf/cases --all

# The fuzz case with a long budget (tests/vm/fuzz/), not part of check.
fuzz: all $(VM_TEST_BINS)
	UVDEV_BUILD=$(O) tests/vm/run.sh --cases-dir tests/vm/fuzz --all

demo: all
	UVDEV_BUILD=$(O) tests/vm/run.sh --demo

# ---- debug tier --------------------------------------------------------------
# A kernel with KASAN, lockdep, kmemleak and debug objects, built from
# Debian's linux-source-6.1 and cached in $(DEBUG_KERNEL) (tools/build/
# debug-kernel.sh); check-debug builds the project against it in $(O)/debug
# and runs the VM tier on it. Not part of 'make check': it takes long.
DEBUG_KERNEL := $(O)/debug-kernel

DEBUG_KDIR := $(DEBUG_KERNEL)/linux
# KASAN, lockdep and kmemleak under TCG make the cases several times slower;
# KASAN's shadow takes an eighth of the guest's memory.
DEBUG_TIMEOUT_SCALE ?= 4
DEBUG_MEMORY ?= 4096

debug-kernel:
	tools/build/debug-kernel.sh --out $(DEBUG_KERNEL)

# kasan_multi_shot: report every KASAN error, not only the first of the boot.
DEBUG_VM_ARGS := --kernel $(DEBUG_KDIR)/arch/x86/boot/bzImage \
	--modules $(DEBUG_KERNEL)/modules/lib/modules --memory $(DEBUG_MEMORY) \
	--timeout-scale $(DEBUG_TIMEOUT_SCALE) --append kasan_multi_shot

# The project built against the debug kernel, in $(O)/debug; the self-test
# (each debug check catches a deliberate bug) runs first, then every VM
# case. Both run even when the first fails.
check-debug: debug-kernel
	$(MAKE) O=$(O)/debug KDIR=$(DEBUG_KDIR) all vm-test-bins $(O)/debug/modules/uvdev_selftest_debug.ko
	UVDEV_BUILD=$(O)/debug tests/vm/debug-selftest/run-debug-selftest.sh $(DEBUG_VM_ARGS); rc=$$?; \
	UVDEV_BUILD=$(O)/debug tests/vm/run.sh $(DEBUG_VM_ARGS) --all || rc=1; \
	exit $$rc

clean:
	rm -rf $(O)

.SECONDARY: $(BPF_OBJS)

FORCE:

.PHONY: all help deps module vmlinux-h checkpatch bpf tools check check-lint check-unit \
	check-bpf check-vm vm-test-bins check-perf perf-selftest perf-baseline bench fuzz demo clean \
	debug-kernel check-debug install uninstall FORCE
