#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A vNVMe driven from userspace through VFIO as a VMM and a guest NVMe
# driver would: tests/vfio/vfio-nvme checks config space, BAR0, MSI-X and
# the admin command set of a real instance.  Its TAP results become this
# case's tests, renumbered after the setup steps; teardown checks follow.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 2 vfio-nvme

# --- setup: module, controller B (8 queue pairs, namespaces of 1048576
# and 524288 LBAs), a 2q instance on [0, 4096) of namespace 1 and a 1q
# instance on the whole of namespace 2 ----------------------------------------
mnv_take_controllers "$B"
mnv_instance U1 "$B" 2 1 0 4096
mnv_instance U2 "$B" 1 2 - - "create 1q instance on the whole of nsid 2"
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
mnv_release "$B"
tap_done
