# SPDX-License-Identifier: GPL-2.0-only
#
# make check-debug: the VM suites on a debug 6.1 kernel (KASAN, lockdep,
# kmemleak, KFENCE, fault injection; scripts/debug-kernel.sh), plus the
# allocation-failure cases of tests/vm/debug-cases/.  Included by the
# top-level Makefile, whose MODULE_SRCS it uses.  make check does not
# depend on anything here.

DEBUG_KDIR := build/debug-kernel
# Same suites as make check's 6.1 ones, plus allocation failures.
DEBUG_VM_TESTS := tests/vm/l1-debug.t tests/vm/l1-faults-debug.t \
	tests/vm/l1-iommu-debug.t tests/vm/l1-slow-debug.t tests/vm/l1-chaos-debug.t \
	tests/vm/l2-debug.t

.PHONY: check-debug debug-kernel debug-module

# Its own dependencies (libssl-dev for the kernel build) stay out of
# make check's.
debug-kernel:
	@bash scripts/deps.sh --debug-kernel
	bash scripts/debug-kernel.sh

# The module against the debug tree, in a private copy of the sources as
# modules-all makes them: build/<kernelrelease>/.
debug-module: debug-kernel
	@kver=$$(cat $(DEBUG_KDIR)/kernelrelease) && mkdir -p build/$$kver && \
		tar cf - $(MODULE_SRCS) | tar xf - -C build/$$kver && \
		$(MAKE) -C $(DEBUG_KDIR)/linux-source-6.1 M=$(CURDIR)/build/$$kver W=1 modules

check-debug: debug-module tools test-progs
	$(MAKE) -C tests/faults
	MNV_DEBUG_KERNEL=$(CURDIR)/$(DEBUG_KDIR) prove -v $(DEBUG_VM_TESTS)
