# SPDX-License-Identifier: GPL-2.0-only
#
# mdev_nvme top-level Makefile.
#
#   make                 module (mdev_nvme/mdev_nvme.ko) and CLI (tools/mdev-nvme)
#   make KVER=<version>  the same against /lib/modules/<version>/build
#   make modules-all     the module for every supported installed kernel,
#                        each in build/<version>/ (what the VM tests load)
#   make check           everything: builds, unit tests, VM tests on 6.1 and 6.12
#   make check-debug     the VM tests on a debug 6.1 kernel built in
#                        build/debug-kernel/ (KASAN, lockdep, kmemleak, faults)
#   make demo            boot the L1/L2 stack, create a vNVMe, run fio in the guest
#   make bench           fio in every configuration side by side, and the
#                        mediation micro-benchmark (bench/results/)
#   make bench-micro     the micro-benchmark alone (vfio-perf in a 2-CPU L1)
#   make soak            the chaos run for SOAK_SECONDS (default 3600), seed
#                        SOAK_SEED if given (tests/vm/chaos-cases/)
#   make deps            install what the build and the tests need (apt)
#   make dkms-install    install the module's sources under /usr/src and let
#                        DKMS build and install it (dkms-uninstall: undo)
#   make deb             Debian packages mdev-nvme-dkms and mdev-nvme-tools
#                        in build/deb/ (DEB_OUT=DIR elsewhere)
#   make check-packages  the packages installed in a VM: DKMS builds the
#                        module, the packaged CLI drives a controller
#   make check-libvirt   a real libvirtd in a VM creates an instance and
#                        runs a guest on it
#   make lint            checkpatch --strict and sparse on the module
#   make fuzz            each libFuzzer target of the core for FUZZ_RUNS inputs
#                        (default 10 million), FUZZ_JOBS at once (default nproc)

# Newest installed kernel of each series with a build tree (the one rule
# for the build, the tests, the demo and the benchmark).
KVER_61  := $(shell scripts/pick-kernel.sh 6.1)
KVER_612 := $(shell scripts/pick-kernel.sh 6.12)
KVER     ?= $(KVER_61)
KDIR     ?= /lib/modules/$(KVER)/build
KVERS    := $(strip $(KVER_61) $(KVER_612))

CHECKPATCH ?= $(firstword $(wildcard /usr/src/linux-source-6.1/scripts/checkpatch.pl) \
		$(wildcard $(KDIR)/scripts/checkpatch.pl))

MODULE_SRCS := Kbuild $(filter-out %.mod.c,$(wildcard mdev_nvme/Kbuild mdev_nvme/*.[ch] \
		mdev_nvme/core/*.[ch] mdev_nvme/core/Kbuild* include/*.h))

# The two shim headers define what checkpatch wants used instead (version
# tests, attribute macros): they are checked without those two rules.
SHIM_HDRS   := mdev_nvme/compat.h mdev_nvme/core/vnvme_types.h

# One L1 VM per file: L1-only cases, isolation on a throttled drive, a
# short chaos run, then the cases that start L2 guests.  The packages
# installed in a VM (DKMS compiling under TCG: 15-20 minutes) are make
# check-packages, like the debug kernel's suites are make check-debug.
VM_TESTS := tests/vm/l1-6.1.t tests/vm/l1-6.12.t tests/vm/l1-iommu-6.1.t \
	tests/vm/l1-hotplug-6.1.t \
	tests/vm/l1-slow-6.1.t tests/vm/l1-slow-6.12.t tests/vm/l1-chaos-6.1.t \
	tests/vm/l2-6.1.t tests/vm/l2-6.12.t

# The VM files one after the other (each VM takes the machine's cores
# under TCG, and some cases measure fairness), the rest beside them: the
# unit, CLI, script and packaging tests then cost the suite less time.
PROVE_RULES := --rules='seq=tests/vm/*.t' --rules='par=**'

.PHONY: all module tools modules-all clean check test-progs vm-tests demo bench bench-micro soak \
	deps need-deps lint checkpatch sparse help fuzz dkms-src dkms-install \
	dkms-uninstall deb check-packages check-libvirt

all: module tools

help:
	@sed -n '3,26p' Makefile

module:
	@test -d "$(KDIR)" || { echo "error: no kernel build tree at $(KDIR) (run: make deps)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools

# One private copy of the sources per kernel, so that builds for different
# kernels never mix objects.
modules-all: $(foreach v,$(KVERS),build/$(v)/mdev_nvme/mdev_nvme.ko)

build/%/mdev_nvme/mdev_nvme.ko: $(MODULE_SRCS)
	@mkdir -p build/$*
	@tar cf - $(MODULE_SRCS) | tar xf - -C build/$*
	$(MAKE) -C /lib/modules/$*/build M=$(CURDIR)/build/$* W=1 modules

deps:
	bash scripts/deps.sh

# Install only when something is missing (cheap check inside deps.sh).
need-deps:
	@bash scripts/deps.sh

test-progs:
	$(MAKE) -C tests/unit
	$(MAKE) -C tests/vfio

check: need-deps
	$(MAKE) modules-all tools test-progs deb
	prove -v --timer -j2 $(PROVE_RULES) tests/unit tests/cli tests/scripts \
		tests/packaging $(VM_TESTS)

# libvirt's path (a real libvirtd in L1, a domain on an instance): about
# 8 minutes with the VM's boot, outside make check's time budget.
check-libvirt: need-deps modules-all tools test-progs
	prove -v tests/vm/l2-libvirt-6.1.t

FUZZ_RUNS ?= 10000000
FUZZ_JOBS ?= $(shell nproc)

fuzz: need-deps
	$(MAKE) -C tests/unit -j$(FUZZ_JOBS) fuzz FUZZ_RUNS=$(FUZZ_RUNS)

vm-tests: modules-all tools test-progs
	prove -v $(VM_TESTS)

# The chaos case reads its length and seed from the L1 kernel command
# line; the VM and the case get the run's length plus room for the rest.
SOAK_SECONDS ?= 3600
soak: need-deps modules-all tools test-progs
	MNV_L1_ARGS="--append mnv.chaos=$(SOAK_SECONDS)$(if $(SOAK_SEED),:$(SOAK_SEED)) \
		--timeout $$(($(SOAK_SECONDS) + 1200)) --case-timeout $$(($(SOAK_SECONDS) + 900))" \
		prove -v tests/vm/l1-chaos-6.1.t

include scripts/check-debug.mk
include scripts/packaging.mk

demo: need-deps modules-all tools
	bash tests/demo/run-demo.sh

bench: need-deps modules-all tools test-progs
	bash bench/run-bench.sh

# The mediation micro-benchmark alone (bench/l1-micro.sh): about 15 min.
bench-micro: need-deps modules-all tools test-progs
	BENCH_PARTS=micro bash bench/run-bench.sh

lint: checkpatch sparse

CHECKPATCH_ARGS := --strict --no-tree --terse --show-types --ignore FILE_PATH_CHANGES

checkpatch:
	$(CHECKPATCH) $(CHECKPATCH_ARGS) \
		-f $(filter-out $(SHIM_HDRS),$(filter %.c %.h,$(MODULE_SRCS)))
	$(CHECKPATCH) $(CHECKPATCH_ARGS) \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,PREFER_DEFINED_ATTRIBUTE_MACRO,MACRO_ARG_REUSE,CAMELCASE \
		-f $(SHIM_HDRS)

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 W=1 modules

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C tools clean
	-$(MAKE) -C tests/unit clean
	-$(MAKE) -C tests/vfio clean
	-$(MAKE) -C tests/faults clean
	rm -rf build
