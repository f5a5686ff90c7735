#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Completion interrupts when the host has too few vectors: with the module
# allowed three (hw_vectors=3), hardware queues 1 to 3 get one and queue 4
# does not.  An instance on queues 1 and 2 sleeps until their interrupts;
# one on queues 3 and 4 is short of a vector and polls, taking none.  With no
# vector at all (hw_vectors=0) every instance polls.  I/O verifies in
# each case (vfio-io -q checks the interrupts and naps it sees against the
# instance's hw_vectors).
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 2 vfio-io

# run_client NAME UUID: vfio-io's mode checks on UUID in interrupt mode.
run_client() {
	tap_run "$1: interrupt mode set while closed" \
		sh -c "echo interrupt > $MDEV/$2/mode"
	"$CLIENT" -q "$2" >"$MNV_TMP/vfio-io-$1.tap"
	tap_reemit "vfio-io $1" "$MNV_TMP/vfio-io-$1.tap" $?
}

# --- three vectors for eight queues ------------------------------------------
mnv_load hw_vectors=3
mnv_bind "$B"
tap_cond "the kernel log says 3 pairs have a vector" \
	sh -c "dmesg | grep -q '$B.*I/O queue pairs of .* entries, 3 with a vector'"
mnv_instance X "$B" 2 1 4096 8192 "create 2q instance X"
mnv_instance Y "$B" 2 1 12288 8192 "create 2q instance Y"
tap_eq "X is on queues 1 and 2" "1 2" "$(cat "$MDEV/$X/hw_qids")"
tap_eq "Y is on queues 3 and 4" "3 4" "$(cat "$MDEV/$Y/hw_qids")"
tap_eq "X: both its pairs have a vector" 2 "$(cat "$MDEV/$X/hw_vectors")"
tap_eq "Y: one of its two pairs has a vector" 1 "$(cat "$MDEV/$Y/hw_vectors")"
run_client X "$X"
run_client Y "$Y"
tap_cond "X took drive interrupts" test "$(cat "$MDEV/$X/stats/hw_irqs")" -gt 0
tap_eq "Y took none" 0 "$(cat "$MDEV/$Y/stats/hw_irqs")"
tap_eq "X never napped on the drive" 0 "$(cat "$MDEV/$X/stats/hw_naps")"
tap_cond "no vector is held once X and Y are closed" \
	sh -c "! grep -q 'mdev_nvme-$B' /proc/interrupts"
tap_run "remove X and Y" sh -c \
	"echo 1 > $MDEV/$X/remove && echo 1 > $MDEV/$Y/remove"
mnv_release "$B"

# --- no vector at all -----------------------------------------------------------
tap_setup "load mdev_nvme with hw_vectors=0" mnv_insmod_ko hw_vectors=0
mnv_bind "$B"
tap_cond "no vector of $B in /proc/interrupts" \
	sh -c "! grep -q 'mdev_nvme-$B' /proc/interrupts"
mnv_instance Z "$B" 2 1 4096 8192 "create 2q instance Z"
tap_eq "Z: no pair has a vector" 0 "$(cat "$MDEV/$Z/hw_vectors")"
run_client Z "$Z"
tap_eq "Z took no drive interrupt" 0 "$(cat "$MDEV/$Z/stats/hw_irqs")"
tap_run "remove Z" sh -c "echo 1 > $MDEV/$Z/remove"

# --- the default: a vector for every queue --------------------------------------
mnv_release "$B"
tap_setup "load mdev_nvme with its defaults" mnv_insmod_ko
mnv_bind "$B"
mnv_instance W "$B" 2 1 4096 8192 "create 2q instance W"
tap_eq "W: both pairs have a vector" 2 "$(cat "$MDEV/$W/hw_vectors")"
tap_eq "no vector is held while W is closed" 0 \
	"$(grep -c "mdev_nvme-$B-q" /proc/interrupts)"
run_client W "$W"
tap_run "remove W" sh -c "echo 1 > $MDEV/$W/remove"

# --- teardown -------------------------------------------------------------------
mnv_release "$B"
tap_cond "no vector of $B left in /proc/interrupts" \
	sh -c "! grep -q 'mdev_nvme-$B' /proc/interrupts"
tap_done
