# SPDX-License-Identifier: GPL-2.0-only
#
# dm-vaio top-level Makefile.
#
#   make deps     install every Debian package the project needs (idempotent)
#   make          kernel modules (against KDIR) and userspace programs
#   make demo     deps + build + a demo in two QEMU guests (a few minutes)
#   make check    deps + build + the selftests in the QEMU guest (T=<pattern>)
#   make check-debug  CI's subset of the tests under a debug kernel (KASAN,
#                 lockdep, kmemleak, KUnit, fault injection), built once
#                 and cached; make check-debug-full: all of them
#   make check-full   every lane: make check, then make check-debug-full
#   make torture  the reconfiguration torture test, SCHEDULES (500) in each
#                 of two guests from SEED (random); replays a failure;
#                 make torture-power: its power-cut rounds (ROUNDS, 20)
#   make bench    deps + build + benchmarks in the QEMU guest, then the
#                 replication benchmark in two guests (bench-repl) and
#                 the cache anchors (bench-cache)
#   make bench-qos  the qos filter against io.max and io.weight (one guest)
#   make bench-crypt  the crypt filter against dm-crypt (one guest)
#   make bench-cbt  the cbt filter against vaio passthrough, dm-era against
#                 dm-linear (one guest)
#   make lint     checkpatch --strict, sparse (C=2) and W=1 over the kernel
#                 code, -Werror over the userspace code (even under
#                 WERROR=0), shellcheck over the scripts
#   make install  modules, programs, man pages, completion and units onto
#                 this host (DESTDIR, PREFIX, SBINDIR, MANDIR; KDIR: the
#                 kernel); make uninstall, with the same, removes them
#   make deb      the Debian packages dm-vaio-dkms and dm-vaio-utils
#                 (debian/), built from a copy of the tree in build/deb/src,
#                 into build/deb/ (DEBDIR)
#
# The kernel modules are built out of tree in build/<kernelrelease>/, a
# mirror of the sources made of symlinks, so that builds for several
# kernels (this host's, the guest's) never mix their objects.

SHELL := /bin/bash
TOP := $(CURDIR)
BUILD := $(TOP)/build

# The guest kernel: Debian's cloud flavour, newest installed.
GUEST_KVER ?= $(shell tools/vm/guest-kver)
GUEST_KDIR ?= /usr/src/linux-headers-$(GUEST_KVER)

# The kernel to build for by default: the running one if it has a build
# tree (a normal Linux host), otherwise the guest's.
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)/Makefile),$(RUNNING_KDIR),$(GUEST_KDIR))

kver = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
	$(1)/include/generated/utsrelease.h 2>/dev/null)
KVER = $(call kver,$(KDIR))

# Extra kbuild arguments, e.g. KBUILD_ARGS="W=1 C=2".
KBUILD_ARGS ?=

PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

# Tests to run: a shell pattern matched against selftests/<dir>/<name>.
T ?=
export T

.PHONY: all modules guest-modules userspace deps check check-run demo demo-run \
	check-debug check-debug-run check-debug-full check-debug-full-run check-full \
	userspace-asan \
	bench bench-run bench-repl bench-repl-run bench-cache bench-cache-run \
	bench-qos bench-qos-run bench-crypt bench-crypt-run bench-cbt bench-cbt-run \
	lint install uninstall clean help torture torture-run torture-power \
	torture-power-run deb

all: modules userspace

help:
	@sed -n '3,31p' Makefile

# The kernels the modules support: dkms.conf's BUILD_EXCLUSIVE_KERNEL (a
# regular expression over the release; why that range: see there).
KERNELS := $(shell sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$$/\1/p' $(TOP)/dkms.conf)

# kbuild over a symlink mirror of the sources, one per kernel release.
define build_modules
	@test -f $(1)/Makefile || { echo "no kernel build tree at $(1): run 'make deps'" >&2; exit 1; }
	@grep -Eq '$(KERNELS)' <<<'$(call kver,$(1))' || { echo "dm-vaio does not support kernel $(call kver,$(1)) (at $(1)): only releases matching '$(KERNELS)' (dkms.conf)" >&2; exit 1; }
	@mkdir -p $(BUILD)/$(call kver,$(1))
	@cp -rs --remove-destination $(TOP)/Kbuild $(TOP)/dm-vaio \
		$(wildcard $(TOP)/include) $(BUILD)/$(call kver,$(1))/
	$(MAKE) -C $(1) M=$(BUILD)/$(call kver,$(1)) $(KBUILD_ARGS) modules
endef

modules:
	$(call build_modules,$(KDIR))

guest-modules:
	$(call build_modules,$(GUEST_KDIR))

userspace:
	$(MAKE) -C userspace

# The programs make check runs in its guests: the same sources built with
# AddressSanitizer, LeakSanitizer and UBSan (userspace SANITIZE=1), in a
# copy of the tree under build/asan/ (never the programs make install
# puts); a source file deleted from the tree goes from the copy too.
ASAN := $(BUILD)/asan
userspace-asan:
	@mkdir -p $(ASAN)
	@set -o pipefail; cd $(TOP) && git ls-files -z --cached --others --exclude-standard \
		userspace include VERSION | xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar -C $(TOP) --null -T - -c | tar -C $(ASAN) -x
	@cd $(ASAN) && find userspace include -type f \( -name '*.[ch]' -o -name Makefile \) | \
		while read -r f; do [ -e "$(TOP)/$$f" ] || rm -f "$$f"; done
	@$(MAKE) --no-print-directory -s -C $(ASAN)/userspace SANITIZE=1

deps:
	@tools/deps.sh

# The README's commands: each installs what is missing, builds, then runs.
check: deps
	@$(MAKE) --no-print-directory check-run

check-run: guest-modules userspace userspace-asan
	@VAIO_USERSPACE=$(ASAN)/userspace tools/vm/vaio-test --kver $(GUEST_KVER) \
		$(if $(T),--pattern '$(T)')

check-debug: deps
	@$(MAKE) --no-print-directory check-debug-run

check-debug-run: userspace
	@tools/debug-kernel/check.sh --lane ci $(if $(T),'$(T)')

# The reconfiguration torture test at length (make check runs 2 schedules):
# SCHEDULES per guest (up to 40 s each), two guests with seeds SEED and
# SEED+1000000. make torture-power: its power-cut half, ROUNDS rounds (up
# to 90 s each) in one pair of guests from SEED.
SCHEDULES ?= 500
ROUNDS ?= 20
ifeq ($(origin SEED),undefined)
SEED := $(shell od -An -tu4 -N4 /dev/urandom | tr -d ' ')
endif
# torture_guest N SEED: core/torture in guest N, results in build/torture-N.
torture_guest = VAIO_RESULTS=$(BUILD)/torture-$(1) tools/vm/vaio-test --kver $(GUEST_KVER) \
		--pattern core/torture.sh --env TORTURE_SCHEDULES=$(SCHEDULES) \
		--env TORTURE_SEED=$(2) --timeout $$(($(SCHEDULES) * 40 + 120))
torture: deps
	@$(MAKE) --no-print-directory torture-run

torture-run: guest-modules userspace
	@echo "torture: $(SCHEDULES) schedules in each of two guests, seeds $(SEED) and $$(($(SEED) + 1000000))"
	@$(call torture_guest,1,$(SEED)) & p1=$$!; \
	$(call torture_guest,2,$$(($(SEED) + 1000000))); r2=$$?; wait $$p1; r1=$$?; \
	test $$r1 = 0 && test $$r2 = 0

torture-power: deps
	@$(MAKE) --no-print-directory torture-power-run

torture-power-run: guest-modules userspace
	@echo "torture-power: $(ROUNDS) rounds, seed $(SEED)"
	@VAIO_RESULTS=$(BUILD)/torture-power tools/vm/vaio-test --kver $(GUEST_KVER) \
		--pattern core/torture-power.sh --env TORTURE_POWER_ROUNDS=$(ROUNDS) \
		--env TORTURE_SEED=$(SEED) --timeout $$(($(ROUNDS) * 90 + 120))

# The whole debug lane (CI runs the subset above).
check-debug-full: deps
	@$(MAKE) --no-print-directory check-debug-full-run

check-debug-full-run: userspace
	@tools/debug-kernel/check.sh --lane full $(if $(T),'$(T)')

# Every lane, one after the other (both run, whatever the first gives).
check-full: deps
	@r=0; VAIO_CHECK_FULL=1 $(MAKE) --no-print-directory check-run || r=1; \
	$(MAKE) --no-print-directory check-debug-full-run || r=1; exit $$r

demo: deps
	@$(MAKE) --no-print-directory demo-run

# Two guests, vaio-a running the demo and vaio-b its replication peer, with
# one vCPU each, as the two-host tests have (tools/vm/vaio-test).
demo-run: guest-modules userspace
	@tools/vm/vaio-vm --kver $(GUEST_KVER) --hosts 2 --smp 1 --mem 1536 \
		--run tools/demo/demo.sh

bench: deps
	@$(MAKE) --no-print-directory bench-run

bench-run: guest-modules userspace
	@tools/bench/bench --kver $(GUEST_KVER) $(BENCH_ARGS)
	@tools/bench/bench-repl --kver $(GUEST_KVER) $(BENCH_REPL_ARGS)
	@tools/bench/bench-cache --kver $(GUEST_KVER) $(BENCH_CACHE_ARGS)

# The replication benchmark alone (vaio vs DRBD, two guests).
bench-repl: deps
	@$(MAKE) --no-print-directory bench-repl-run

bench-repl-run: guest-modules userspace
	@tools/bench/bench-repl --kver $(GUEST_KVER) $(BENCH_REPL_ARGS)

# Caches in front of a slow disk: dm-cache and dm-writecache, one guest.
bench-cache: deps
	@$(MAKE) --no-print-directory bench-cache-run

bench-cache-run: guest-modules userspace
	@tools/bench/bench-cache --kver $(GUEST_KVER) $(BENCH_CACHE_ARGS)

# The qos filter against blk-throttle (io.max) and io.cost (io.weight),
# one guest; BENCH_QOS_ARGS="--quick" for a short run.
bench-qos: deps
	@$(MAKE) --no-print-directory bench-qos-run

bench-qos-run: guest-modules userspace
	@tools/bench/bench-qos --kver $(GUEST_KVER) $(BENCH_QOS_ARGS)

# The crypt filter against dm-crypt (one guest, two vCPUs; not in make bench).
bench-crypt: deps
	@$(MAKE) --no-print-directory bench-crypt-run

bench-crypt-run: guest-modules userspace
	@tools/bench/bench-crypt --kver $(GUEST_KVER) $(BENCH_CRYPT_ARGS)

# The cbt filter against vaio without filters, dm-era against dm-linear
# (one guest, two vCPUs; not in make bench).
bench-cbt: deps
	@$(MAKE) --no-print-directory bench-cbt-run

bench-cbt-run: guest-modules userspace
	@tools/bench/bench-cbt --kver $(GUEST_KVER) $(BENCH_CBT_ARGS)

lint: guest-modules
	@tools/lint.sh --kdir $(GUEST_KDIR) --build $(BUILD)/$(GUEST_KVER)
	$(MAKE) -C userspace clean
	$(MAKE) -C userspace WERROR=1

# The test filter (dm-vaio-test) is for testing only: installed with
# INSTALL_TEST_FILTER=1.
INSTALL_TEST_FILTER ?= 0
MODDIR = $(DESTDIR)/lib/modules/$(KVER)/extra/dm-vaio
install: modules userspace
	$(MAKE) -C $(KDIR) M=$(BUILD)/$(KVER) INSTALL_MOD_DIR=extra \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	$(if $(filter 1,$(INSTALL_TEST_FILTER)),,rm -f $(MODDIR)/dm-vaio-test.ko)
	$(if $(DESTDIR),,depmod -a $(KVER))
	$(MAKE) -C userspace install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) \
		SBINDIR=$(SBINDIR) MANDIR=$(MANDIR)

# What install put, for the kernel KDIR names, with the same DESTDIR,
# PREFIX, SBINDIR...: the modules of dm-vaio/Kbuild (the test filter's
# whether INSTALL_TEST_FILTER put it there or not), and their directory,
# which is only theirs.
uninstall:
	@test -n "$(KVER)" || { echo "no kernel build tree at $(KDIR): KDIR names the kernel whose modules to remove" >&2; exit 1; }
	rm -f $(foreach m,dm-vaio dm-vaio-replication dm-vaio-cache dm-vaio-qos dm-vaio-crypt dm-vaio-cbt dm-vaio-test,$(MODDIR)/$(m).ko)
	rmdir --ignore-fail-on-non-empty $(MODDIR) 2>/dev/null || true
	$(if $(DESTDIR),,depmod -a $(KVER))
	$(MAKE) -C userspace uninstall DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) \
		SBINDIR=$(SBINDIR) MANDIR=$(MANDIR)

# The Debian packages: dpkg-buildpackage in a copy of the tree's files (as
# git knows them, edits included) in DEBDIR/src; the .deb, .buildinfo and
# .changes files land beside it, in DEBDIR, and nothing outside it.
DEBDIR ?= $(BUILD)/deb
deb:
	@rm -rf $(DEBDIR)/src $(DEBDIR)/*.deb $(DEBDIR)/*.buildinfo $(DEBDIR)/*.changes
	@mkdir -p $(DEBDIR)/src
	@set -o pipefail; cd $(TOP) && git ls-files -z --cached --others --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar -C $(TOP) --null -T - -c | tar -C $(DEBDIR)/src -x
	cd $(DEBDIR)/src && dpkg-buildpackage -us -uc -b
	@ls $(DEBDIR)/*.deb

# (Without userspace/, as in the sources the dm-vaio-dkms package installs,
# only the modules.)
clean:
	rm -rf $(BUILD)
	$(if $(wildcard $(TOP)/userspace/Makefile),$(MAKE) -C userspace clean)
