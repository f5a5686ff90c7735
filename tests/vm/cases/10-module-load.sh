#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The module loads and unloads cleanly, over and over, with no controller
# bound and with its PCI and mdev drivers registered while loaded.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_require_root
mnv_require_ko

LOOPS=20
fails=0
for i in $(seq 1 $LOOPS); do
	if ! mnv_insmod_ko; then
		diag "insmod failed in round $i"
		fails=$((fails + 1))
		break
	fi
	if [ ! -d /sys/bus/pci/drivers/mdev_nvme ] ||
	   [ ! -d /sys/bus/mdev/drivers/mdev_nvme ]; then
		diag "drivers not registered in round $i"
		fails=$((fails + 1))
	fi
	if ! rmmod mdev_nvme; then
		diag "rmmod failed in round $i"
		fails=$((fails + 1))
		break
	fi
	if [ -e /sys/module/mdev_nvme ]; then
		diag "module still present after rmmod in round $i"
		fails=$((fails + 1))
		break
	fi
done
tap_eq "load and unload $LOOPS times" 0 "$fails"

# Loading must not take any controller: binding is opt-in.
tap_setup "load mdev_nvme" mnv_insmod_ko
bound=0
for bdf in $MNV_BDFS; do
	[ "$(mnv_pci_driver "$bdf")" = mdev_nvme ] && bound=$((bound + 1))
done
tap_eq "no controller bound by merely loading" 0 "$bound"
tap_run "unload" rmmod mdev_nvme
tap_done
