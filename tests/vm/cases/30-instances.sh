#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vNVMe instances through the mdev sysfs interface: creation and removal
# across types and controllers, the queue pool, slice attributes and their
# errors, and what changes while a VFIO user holds an instance open.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 2 vfio-open

VFIO_OPEN=$CLIENT
TA=/sys/bus/pci/devices/$A/mdev_supported_types
TB=/sys/bus/pci/devices/$B/mdev_supported_types

mnv_take_controllers "$A" "$B"

free_of() { cat "/sys/bus/pci/devices/$1/mdev_nvme/queue_pairs_free"; }

# is_int A B: A and B are both integers and equal.  A sysfs read that
# fails gives "": that is a mismatch, never a shell error that lets the
# check pass.
is_int() {
	[[ $1 =~ ^-?[0-9]+$ ]] && [[ $2 =~ ^-?[0-9]+$ ]] && [ "$1" -eq "$2" ]
}

# --- 200 instances, one after the other, across the types of both -------
qs=(1 2 4 8)
fails=0
for i in $(seq 0 199); do
	q=${qs[$((i % 4))]}
	if [ $((i % 2)) -eq 0 ]; then bdf=$A; t=$TA; else bdf=$B; t=$TB; fi
	before=$(free_of "$bdf")
	if ! [[ $before =~ ^[0-9]+$ ]]; then
		diag "instance $i: free queue pairs of $bdf unreadable ('$before')"
		fails=$((fails + 1))
		break
	fi
	u=$(cat /proc/sys/kernel/random/uuid)
	if ! echo "$u" >"$t/mdev_nvme-${q}q/create"; then
		diag "create $i (${q}q on $bdf) failed"
		fails=$((fails + 1))
		break
	fi
	if ! is_int "$(free_of "$bdf")" $((before - q)) ||
	   ! is_int "$(cat "$MDEV/$u/queue_pairs")" "$q" ||
	   ! is_int "$(wc -w <"$MDEV/$u/hw_qids")" "$q"; then
		diag "instance $i: pool or queue ids wrong"
		fails=$((fails + 1))
	fi
	if ! echo 1 >"$MDEV/$u/remove" || [ -e "$MDEV/$u" ] ||
	   ! is_int "$(free_of "$bdf")" "$before"; then
		diag "remove $i failed or did not free its queue pairs"
		fails=$((fails + 1))
		break
	fi
done
tap_eq "create and remove 200 instances across types and controllers" 0 "$fails"

# --- the pool: controller B has 8 queue pairs -------------------------------
tap_eq "B offers 8 queue pairs" 8 "$(free_of "$B")"
u8=$(cat /proc/sys/kernel/random/uuid)
tap_run "create an 8q instance on B" sh -c "echo $u8 > $TB/mdev_nvme-8q/create"
tap_eq "B has no free queue pair left" 0 "$(free_of "$B")"
tap_eq "B: available 1q instances is 0" 0 "$(cat "$TB/mdev_nvme-1q/available_instances")"
tap_eq "create on an empty pool: no space" "No space left on device" \
	"$(mnv_sysfs_err "$TB/mdev_nvme-1q/create" "$(cat /proc/sys/kernel/random/uuid)")"
tap_eq "A unaffected: 16 free" 16 "$(free_of "$A")"
tap_eq "queue ids of the 8q instance" "1 2 3 4 5 6 7 8" "$(cat "$MDEV/$u8/hw_qids")"
tap_run "remove it" sh -c "echo 1 > $MDEV/$u8/remove"
tap_eq "B: available 2q instances back to 4" 4 "$(cat "$TB/mdev_nvme-2q/available_instances")"

# --- slices -----------------------------------------------------------------
mnv_instance u1 "$B" 1 - - - "create a 1q instance on B"
mnv_instance u2 "$B" 1 - - - "create another 1q instance on B"
tap_eq "default slice" "1 0 0 -1" \
	"$(cat "$MDEV/$u1/nsid") $(cat "$MDEV/$u1/lba_start") $(cat "$MDEV/$u1/lba_count") $(cat "$MDEV/$u1/cpu")"
tap_eq "namespace 3 does not exist" "No such device or address" "$(mnv_sysfs_err "$MDEV/$u1/nsid" 3)"
tap_eq "nsid 0 refused" "No such device or address" "$(mnv_sysfs_err "$MDEV/$u1/nsid" 0)"
tap_eq "garbage refused" "Invalid argument" "$(mnv_sysfs_err "$MDEV/$u1/lba_start" abc)"
tap_eq "select namespace 2" ok "$(mnv_sysfs_err "$MDEV/$u1/nsid" 2)"
tap_eq "start beyond namespace 2 (524288 LBAs)" "Numerical result out of range" \
	"$(mnv_sysfs_err "$MDEV/$u1/lba_start" 524288)"
tap_eq "count beyond namespace 2" "Numerical result out of range" \
	"$(mnv_sysfs_err "$MDEV/$u1/lba_count" 524289)"
tap_eq "slice 2:[0,1000)" ok "$(mnv_sysfs_err "$MDEV/$u1/lba_count" 1000)"
tap_eq "second instance on namespace 2" ok "$(mnv_sysfs_err "$MDEV/$u2/nsid" 2)"
tap_eq "start 999 accepted while count is 0" ok "$(mnv_sysfs_err "$MDEV/$u2/lba_start" 999)"
tap_eq "[999,1099) overlaps [0,1000)" "File exists" "$(mnv_sysfs_err "$MDEV/$u2/lba_count" 100)"
tap_eq "start 1000" ok "$(mnv_sysfs_err "$MDEV/$u2/lba_start" 1000)"
tap_eq "[1000,1100) is adjacent, accepted" ok "$(mnv_sysfs_err "$MDEV/$u2/lba_count" 100)"
tap_eq "moving it back onto the first is refused" "File exists" \
	"$(mnv_sysfs_err "$MDEV/$u2/lba_start" 500)"
tap_eq "a wrapping count is refused" "Numerical result out of range" \
	"$(mnv_sysfs_err "$MDEV/$u2/lba_count" 18446744073709551615)"
tap_eq "slice unchanged after refusals" "1000 100" \
	"$(cat "$MDEV/$u2/lba_start") $(cat "$MDEV/$u2/lba_count")"
tap_eq "cpu 0" ok "$(mnv_sysfs_err "$MDEV/$u2/cpu" 0)"
tap_eq "cpu 4096 refused" "No such device or address" "$(mnv_sysfs_err "$MDEV/$u2/cpu" 4096)"

# --- a VFIO user holds an instance -----------------------------------------
info=$("$VFIO_OPEN" "$u2" info 2>&1)
tap_cond "VFIO open, GET_INFO and region info" test $? -eq 0
diag "$info"
tap_cond "config space region is 4 KiB" grep -q '^region 7 size 4096 ' <<<"$info"
tap_cond "BAR0 region is present" grep -Eq '^region 0 size [1-9]' <<<"$info"
tap_cond "MSI-X offers admin + 1 vector" grep -q '^irq 2 count 2 ' <<<"$info"
tap_eq "closed again" 0 "$(cat "$MDEV/$u2/open")"

hold=$MNV_OUT/hold.$$
"$VFIO_OPEN" "$u2" hold "$hold" &
holder=$!
tap_setup "vfio-open holds the instance open" mnv_wait_file "$hold" 10
tap_eq "open while held" 1 "$(cat "$MDEV/$u2/open")"
tap_eq "slice is read-only while open" "Device or resource busy" \
	"$(mnv_sysfs_err "$MDEV/$u2/lba_count" 50)"
tap_eq "cpu is read-only while open" "Device or resource busy" \
	"$(mnv_sysfs_err "$MDEV/$u2/cpu" -1)"
tap_eq "a second open is refused" 1 "$("$VFIO_OPEN" "$u2" info >/dev/null 2>&1; echo $?)"
tap_run_fail "rmmod refused while an instance is open" rmmod mdev_nvme

# Removal waits for the holder to close instead of freeing under it (the
# bus link goes at once; the device itself lives until the close).
(echo 1 >"$MDEV/$u2/remove") &
remover=$!
sleep 2
tap_cond "removal waits while the device is open" kill -0 "$remover"
rm -f "$hold"
wait "$holder"
tap_eq "device still answered while its removal waited" 0 $?
wait "$remover"
tap_eq "removal completed after close" 0 $?
tap_cond "instance is gone" test ! -e "/sys/bus/pci/devices/$B/$u2"

# An instance whose slice is still open-ended claims the rest at open.
mnv_instance u3 "$B" 1 2 0 - "create a 1q instance on namespace 2 from LBA 0, no count"
tap_run_fail "open-ended slice overlapping another: open refused" "$VFIO_OPEN" "$u3" info
mnv_write "its slice moved to LBA 1000" "$MDEV/$u3/lba_start" 1000
tap_run "open-ended slice after it: open works" "$VFIO_OPEN" "$u3" info
tap_eq "count resolved at open" 523288 "$(cat "$MDEV/$u3/lba_count")"

# --- teardown with instances present ---------------------------------------
tap_eq "free pool of B with two 1q instances" 6 "$(free_of "$B")"
tap_run "unbind A with no instances" mnv_pci_bind "$A" ""
tap_run "rmmod with instances present tears them down" rmmod mdev_nvme
tap_cond "instances are gone" test ! -e "$MDEV/$u1" -a ! -e "$MDEV/$u3"
tap_eq "B has no driver after unload" "" "$(mnv_pci_driver "$B")"
# Loaded by earlier cases in a full run, not when this case runs alone.
tap_run "the nvme driver is loaded" modprobe nvme
tap_run "B: driver_override cleared, probed again" mnv_pci_bind "$B" ""
tap_eq "B back on nvme" nvme "$(mnv_pci_driver "$B")"
tap_done
