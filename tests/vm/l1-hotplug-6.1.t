#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Removal of the physical controller from under running instances
# (hotplug-cases/: q35, a controller in a PCIe hot-plug slot, QEMU's
# monitor) on the newest installed Debian 6.1 kernel (see l1-tap.sh).
exec "$(dirname "$(readlink -f "$0")")/l1-tap.sh" 6.1 hotplug-cases
