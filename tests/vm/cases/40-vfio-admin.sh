#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A vNVMe driven from userspace through VFIO as a VMM and a guest NVMe
# driver would: tests/vfio/vfio-nvme checks config space, BAR0, MSI-X and
# the admin command set of a real instance.  Its TAP results become this
# case's tests, renumbered after the setup steps; teardown checks follow.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_require_root
mnv_require_ko

mnv_require_client vfio-nvme
# shellcheck disable=SC2086 # one word per controller
set -- $MNV_BDFS
[ $# -ge 2 ] || tap_skip_all "needs two NVMe controllers"
B=$2
TB=/sys/bus/pci/devices/$B/mdev_supported_types
MDEV=/sys/bus/mdev/devices

# --- setup: module, controller B (8 queue pairs, namespaces of 1048576
# and 524288 LBAs), a 2q instance on [0, 4096) of namespace 1 and a 1q
# instance on the whole of namespace 2 ----------------------------------------
mnv_take_controllers "$B"

U1=$(cat /proc/sys/kernel/random/uuid)
U2=$(cat /proc/sys/kernel/random/uuid)
# shellcheck disable=SC2317 # called through tap_run
create_2q() {
	echo "$U1" >"$TB/mdev_nvme-2q/create" &&
		echo 1 >"$MDEV/$U1/nsid" &&
		echo 0 >"$MDEV/$U1/lba_start" &&
		echo 4096 >"$MDEV/$U1/lba_count"
}
# shellcheck disable=SC2317 # called through tap_run
create_1q() {
	echo "$U2" >"$TB/mdev_nvme-1q/create" &&
		echo 2 >"$MDEV/$U2/nsid"
}
tap_run "create 2q instance on nsid 1, LBAs [0, 4096)" create_2q ||
	tap_bail "cannot create $U1"
tap_run "create 1q instance on nsid 2" create_1q ||
	tap_bail "cannot create $U2"
diag "instances: $U1 (2q) $U2 (1q)"

# --- the client --------------------------------------------------------------
# Its stderr goes to this case's .err; its TAP lines are re-emitted through
# lib.sh so that numbering and plan stay those of this case.
out=$MNV_TMP/vfio-nvme.tap
"$CLIENT" "$U1" "$U2" >"$out"
rc=$?
tap_reemit vfio-nvme "$out" "$rc"

# --- teardown -----------------------------------------------------------------
tap_eq "instances closed" "0 0" \
	"$(cat "$MDEV/$U1/open" 2>&1) $(cat "$MDEV/$U2/open" 2>&1)"
tap_run "remove the instances" sh -c \
	"echo 1 > $MDEV/$U1/remove && echo 1 > $MDEV/$U2/remove"
tap_cond "instances gone" test ! -e "$MDEV/$U1" -a ! -e "$MDEV/$U2"
tap_eq "all 8 queue pairs free again" 8 \
	"$(cat "/sys/bus/pci/devices/$B/mdev_nvme/queue_pairs_free" 2>&1)"
tap_run "unbind $B" mnv_pci_bind "$B" ""
tap_run "rmmod mdev_nvme" rmmod mdev_nvme
tap_done
