#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Isolation under faults on a slow drive (controller 1 throttled, see
# run-l1.args): tests/vfio/vfio-io -f fills instance 1's queues and then
# resets it, deletes its SQ, function-resets it, unmaps its memory,
# closes it and kills its VMM, while instance 2 on the same controller
# has verified writes in flight; last the controller itself is reset
# through sysfs with both busy.  Instance 2 must see no failure, the
# controller must stay live, and everything must be released after.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 2 vfio-io
PARENT=/sys/bus/pci/devices/$B/mdev_nvme

mnv_take_controllers "$B"
tap_eq "controller $B live after bind" live "$(cat "$PARENT/state" 2>&1)"

mnv_instance U1 "$B" 2 1 0 8192
mnv_instance U2 "$B" 1 1 8192 8192

out=$MNV_TMP/vfio-io-faults.tap
start=$(date +%s)
"$CLIENT" -f "$B" "$U1" "$U2" >"$out"
rc=$?
diag "vfio-io -f ran $(($(date +%s) - start)) s"
tap_reemit "vfio-io faults" "$out" "$rc"

tap_eq "instances closed, nothing pinned" "0 0 0 0" \
	"$(cat "$MDEV/$U1/open" "$MDEV/$U2/open" "$MDEV/$U1/pinned_pages" \
		"$MDEV/$U2/pinned_pages" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
tap_run "remove the instances" sh -c \
	"echo 1 > $MDEV/$U1/remove && echo 1 > $MDEV/$U2/remove"
tap_eq "all hardware queue pairs back in the pool" \
	"$(cat "$PARENT/queue_pairs_total")" "$(cat "$PARENT/queue_pairs_free")"
mnv_release "$B"
tap_done
