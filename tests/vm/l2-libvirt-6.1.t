#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# libvirt's path to an instance and an L2 guest on it (libvirt-cases/, a
# real libvirtd in the L1 VM) on the newest installed Debian 6.1 kernel.
# Its own target, make check-libvirt: the case takes 4 minutes, most of
# it libvirtd and the guest starting under TCG, and make check has a time
# budget; what the kernel does for it (VFIO, the mdev bus, the guest's
# I/O) is what l2-cases/60-l2-fio.sh runs on both kernels.
exec "$(dirname "$(readlink -f "$0")")/l1-tap.sh" 6.1 libvirt-cases
