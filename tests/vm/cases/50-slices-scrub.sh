#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Instances created with nothing but a UUID, as libvirt, mdevctl, Nova and
# KubeVirt create them: the parent's slice policy gives each a slice of
# its own, available_instances counts what fits, a policy that cannot fit
# is refused and changes nothing, explicit slice attributes still win.
# And no data crosses tenants: blocks an instance wrote read as zeroes on
# the next instance given the same LBAs, which cannot be opened before
# they are scrubbed; a removal in the middle of a scrub leaves them dirty.
# Controller 1 (first of MNV_BDFS): one namespace of 2097152 LBAs of 512
# bytes, 16 queue pairs.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 1 vfio-blk

BLK=$CLIENT
P=/sys/bus/pci/devices/$A/mdev_nvme
T=/sys/bus/pci/devices/$A/mdev_supported_types
CHUNK=/sys/module/mdev_nvme/parameters/scrub_chunk_kib
HALF=524288		# LBAs of a 256 MiB slice

slice_of() {
	echo "$(cat "$MDEV/$1/nsid") $(cat "$MDEV/$1/lba_start") $(cat "$MDEV/$1/lba_count")"
}

avail() {
	cat "$T/mdev_nvme-$1/available_instances"
}

new_uuid() {
	cat /proc/sys/kernel/random/uuid
}

# bare UUID: create a 1q instance the way the operators' stacks do.
bare() {
	echo "$1" >"$T/mdev_nvme-1q/create"
}

# wait_scrub UUID STATE SECONDS: wait until the instance's scrub reads STATE.
wait_scrub() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(cat "$MDEV/$1/scrub")" = "$2" ] && return 0
		sleep 0.1
	done
	diag "scrub of $1: $(cat "$MDEV/$1/scrub") $(cat "$MDEV/$1/scrub_progress")"
	return 1
}

mnv_take_controllers "$A"

# --- the policy ------------------------------------------------------------------------
tap_eq "no slice policy by default" 0 "$(cat "$P/default_slice_bytes")"
tap_eq "scrubbing on by default" 1 "$(cat "$P/scrub")"
before="$(avail 1q) $(avail 8q)"
tap_eq "without a policy, queue pairs alone count" "16 2" "$before"
tap_eq "a slice larger than every namespace is refused" \
	"Numerical result out of range" "$(mnv_sysfs_err "$P/default_slice_bytes" 2G)"
tap_eq "a slice that is not whole LBAs is refused" \
	"Invalid argument" "$(mnv_sysfs_err "$P/default_slice_bytes" 1000)"
tap_eq "garbage is refused" "Invalid argument" \
	"$(mnv_sysfs_err "$P/default_slice_bytes" 12x)"
# 2^24 T is 2^64 bytes: it must not wrap to 0 (which means no policy).
tap_eq "a size beyond 64 bits is refused, not wrapped" \
	"Numerical result out of range" \
	"$(mnv_sysfs_err "$P/default_slice_bytes" 16777216T)"
tap_eq "refused policies changed nothing" "0 $before" \
	"$(cat "$P/default_slice_bytes") $(avail 1q) $(avail 8q)"
tap_eq "policy: slices of 256 MiB" ok "$(mnv_sysfs_err "$P/default_slice_bytes" 256M)"
tap_eq "read back in bytes" 268435456 "$(cat "$P/default_slice_bytes")"
tap_eq "available: 4 slices fit (1q), 2 by queue pairs (8q)" "4 2" \
	"$(avail 1q) $(avail 8q)"
tap_eq "description: queue pairs and slice size" \
	"virtual NVMe controller with 2 I/O queue pair(s)|namespace slice of 268435456 bytes (256 MiB)" \
	"$(paste -sd '|' "$T/mdev_nvme-2q/description")"
tap_eq "a policy that does not fit keeps the one in place" \
	"Numerical result out of range 268435456 4" \
	"$(mnv_sysfs_err "$P/default_slice_bytes" 4G) $(cat "$P/default_slice_bytes") $(avail 1q)"

# --- two instances with nothing but a UUID ---------------------------------------------
U1=$(new_uuid)
U2=$(new_uuid)
tap_run "create instance 1 with only its UUID" bare "$U1"
tap_run "create instance 2 with only its UUID" bare "$U2"
tap_eq "instance 1: the first slice" "1 0 $HALF" "$(slice_of "$U1")"
tap_eq "instance 2: the next one, disjoint" "1 $HALF $HALF" "$(slice_of "$U2")"
tap_eq "available: 2 slices left" 2 "$(avail 1q)"
tap_eq "both clean: nothing was written before" "clean clean" \
	"$(cat "$MDEV/$U1/scrub") $(cat "$MDEV/$U2/scrub")"
tap_run "tenant A writes through instance 1 (start and end of its slice)" \
	sh -c "'$BLK' '$U1' write 0 2048 tenantA && '$BLK' '$U1' write $((HALF - 64)) 64 tenantA"
tap_run "tenant B writes through instance 2" "$BLK" "$U2" write 0 2048 tenantB
tap_run "tenant A reads its data back" \
	sh -c "'$BLK' '$U1' verify 0 2048 tenantA && '$BLK' '$U1' verify $((HALF - 64)) 64 tenantA"
tap_run "tenant B reads its data back" "$BLK" "$U2" verify 0 2048 tenantB
tap_eq "no dirty LBAs while their instances live" "" "$(cat "$P/dirty")"

# --- A goes, the next instance gets its LBAs ---------------------------------------------
tap_run "remove instance 1" sh -c "echo 1 > $MDEV/$U1/remove"
tap_eq "its slice is recorded as holding a tenant's data" "1 0 $HALF" "$(cat "$P/dirty")"
# 16 KiB per command: long enough to try an open in the middle.
mnv_write "scrub_chunk_kib set to 16" "$CHUNK" 16
U3=$(new_uuid)
tap_run "create instance 3 with only its UUID" bare "$U3"
tap_eq "instance 3 gets the LBAs of instance 1" "1 0 $HALF" "$(slice_of "$U3")"
tap_eq "opening it during the scrub fails: try again" \
	"$U3: open: Resource temporarily unavailable" "$("$BLK" "$U3" open)"
tap_eq "moved by its attributes mid-scrub: open-ended, nothing to scrub yet" \
	"ok 1 1048576 0 clean" \
	"$(mnv_sysfs_err "$MDEV/$U3/lba_start" 1048576) $(slice_of "$U3") $(cat "$MDEV/$U3/scrub")"
tap_eq "the LBAs it gave up are still dirty" "1 0 $HALF" "$(cat "$P/dirty")"
tap_eq "back on them: the scrub starts over" "ok ok 1 0 $HALF" \
	"$(mnv_sysfs_err "$MDEV/$U3/lba_start" 0) $(mnv_sysfs_err "$MDEV/$U3/lba_count" "$HALF") $(slice_of "$U3")"
tap_eq "and the open is refused again meanwhile" \
	"$U3: open: Resource temporarily unavailable" "$("$BLK" "$U3" open)"
tap_cond "scrub finishes" wait_scrub "$U3" clean 300
tap_eq "progress: the whole slice" "$HALF $HALF" "$(cat "$MDEV/$U3/scrub_progress")"
tap_eq "dirty record cleared" "" "$(cat "$P/dirty")"
tap_run "tenant C reads only zeroes where tenant A wrote" \
	sh -c "'$BLK' '$U3' zeroes 0 2048 && '$BLK' '$U3' zeroes $((HALF - 64)) 64"
tap_run "tenant B's data untouched by the scrub next door" \
	"$BLK" "$U2" verify 0 2048 tenantB

# --- removal during a scrub --------------------------------------------------------------
tap_run "tenant C writes" "$BLK" "$U3" write 0 2048 tenantC
tap_run "remove instance 3" sh -c "echo 1 > $MDEV/$U3/remove"
# 1 KiB per command: the scrub of 256 MiB takes far longer than the test.
mnv_write "scrub_chunk_kib set to 1" "$CHUNK" 1
U4=$(new_uuid)
free=$(cat "$P/queue_pairs_free")
tap_run "create instance 4 over the same LBAs" bare "$U4"
read -r d1 total < <(sleep 1; cat "$MDEV/$U4/scrub_progress")
sleep 1
read -r d2 _ < <(cat "$MDEV/$U4/scrub_progress")
diag "scrub progress: $d1 then $d2 of $total"
tap_cond "the scrub advances and is not done" \
	test "$total" = "$HALF" -a "$d2" -gt "$d1" -a "$d2" -lt "$total"
tap_eq "it reads scrubbing" scrubbing "$(cat "$MDEV/$U4/scrub")"
# The parent's scrub off pauses it; on again, it goes on by itself.
tap_eq "parent's scrub off mid-scrub" ok "$(mnv_sysfs_err "$P/scrub" 0)"
sleep 1
read -r p1 _ < <(cat "$MDEV/$U4/scrub_progress")
sleep 1
read -r p2 _ < <(cat "$MDEV/$U4/scrub_progress")
tap_eq "paused while off" "$p1" "$p2"
tap_eq "parent's scrub on again" ok "$(mnv_sysfs_err "$P/scrub" 1)"
sleep 1
read -r p3 _ < <(cat "$MDEV/$U4/scrub_progress")
tap_cond "resumed without an open ($p2 -> $p3 LBAs)" test "$p3" -gt "$p2"
t0=$(date +%s)
tap_run "remove instance 4 in the middle of its scrub" \
	timeout 60 sh -c "echo 1 > $MDEV/$U4/remove"
tap_cond "the removal did not wait for the scrub (under 10 s)" \
	test $(($(date +%s) - t0)) -lt 10
tap_eq "its queue pair is free again" "$free" "$(cat "$P/queue_pairs_free")"
tap_eq "the interrupted scrub left the LBAs dirty" "1 0 $HALF" "$(cat "$P/dirty")"
mnv_write "scrub_chunk_kib set to 8192" "$CHUNK" 8192
U5=$(new_uuid)
tap_run "create instance 5 over the same LBAs" bare "$U5"
tap_cond "its scrub finishes" wait_scrub "$U5" clean 300
tap_run "tenant D reads only zeroes where tenant C wrote" "$BLK" "$U5" zeroes 0 2048

# --- explicit attributes still override --------------------------------------------------
tap_eq "nsid, lba_start, lba_count written after a bare create" "1 0 4096" \
	"$(echo 1 >"$MDEV/$U5/nsid" && echo 0 >"$MDEV/$U5/lba_start" &&
	   echo 4096 >"$MDEV/$U5/lba_count" && slice_of "$U5")"
U6=$(new_uuid)
tap_run "create instance 6 with only its UUID" bare "$U6"
tap_eq "it gets the first gap that fits" "1 1048576 $HALF" "$(slice_of "$U6")"
tap_eq "an explicit start inside instance 2, count still 0" ok \
	"$(mnv_sysfs_err "$MDEV/$U6/lba_start" $((HALF + 10)))"
tap_eq "overlap with instance 2 refused" "File exists" \
	"$(mnv_sysfs_err "$MDEV/$U6/lba_count" 100)"
tap_eq "a slice in the free gap is accepted" "ok ok 1 4096 100" \
	"$(mnv_sysfs_err "$MDEV/$U6/lba_start" 4096) $(mnv_sysfs_err "$MDEV/$U6/lba_count" 100) $(slice_of "$U6")"
tap_eq "available counts the gaps left" 2 "$(avail 1q)"
tap_run "instance 6 opens and does verified I/O" \
	sh -c "'$BLK' '$U6' write 0 100 tenantE && '$BLK' '$U6' verify 0 100 tenantE"

# --- no policy: the old default slice ----------------------------------------------------
tap_eq "policy off again" ok "$(mnv_sysfs_err "$P/default_slice_bytes" 0)"
U7=$(new_uuid)
tap_run "create instance 7 with only its UUID" bare "$U7"
tap_eq "it gets namespace 1, claimed at open" "1 0 0" "$(slice_of "$U7")"
tap_eq "available by queue pairs alone" 12 "$(avail 1q)"

# --- a closed instance handed to another tenant: a scrub on request ------------------------
tap_eq "scrub asked for on closed instance 6" ok "$(mnv_sysfs_err "$MDEV/$U6/scrub" 1)"
tap_cond "it finishes" wait_scrub "$U6" clean 120
tap_run "the next tenant of instance 6 reads only zeroes" "$BLK" "$U6" zeroes 0 100

# --- the parent's scrub off: a slice opens as it is ---------------------------------------
tap_run "tenant F writes through instance 6" "$BLK" "$U6" write 0 100 tenantF
tap_run "remove instance 6" sh -c "echo 1 > $MDEV/$U6/remove"
tap_eq "its slice is dirty" "1 4096 100" "$(cat "$P/dirty")"
tap_eq "scrubbing off" ok "$(mnv_sysfs_err "$P/scrub" 0)"
U8=$(new_uuid)
tap_eq "instance 8 set on those LBAs waits for a scrub that does not run" \
	"1 4096 100 pending" \
	"$(bare "$U8" && echo 1 >"$MDEV/$U8/nsid" && echo 4096 >"$MDEV/$U8/lba_start" &&
	   echo 100 >"$MDEV/$U8/lba_count" && slice_of "$U8") $(cat "$MDEV/$U8/scrub")"
tap_run "it opens as it is: tenant F's data is there" "$BLK" "$U8" verify 0 100 tenantF
tap_eq "the LBAs are its own now, not dirty" "" "$(cat "$P/dirty")"
tap_eq "scrubbing on again" ok "$(mnv_sysfs_err "$P/scrub" 1)"
tap_run "instance 8 still opens: its own data is not scrubbed" "$BLK" "$U8" verify 0 100 tenantF
tap_run "remove instance 8" sh -c "echo 1 > $MDEV/$U8/remove"
tap_eq "what it was handed counts as written: dirty again" "1 4096 100" "$(cat "$P/dirty")"

# --- the record outlives an unbind, not the module ------------------------------------------
for u in "$U2" "$U5" "$U7"; do
	echo 1 >"$MDEV/$u/remove" || tap_fail "remove $u"
done
tap_eq "all queue pairs free" 16 "$(cat "$P/queue_pairs_free")"
kept=$(cat "$P/dirty")
tap_eq "tenants' LBAs recorded before the unbind" "1 4096 100
1 $HALF $HALF" "$kept"
tap_run "unbind" mnv_pci_bind "$A" ""
tap_run "bound again" mnv_pci_bind "$A" mdev_nvme
tap_eq "the controller took its record back" "$kept" "$(cat "$P/dirty")"
U9=$(new_uuid)
tap_eq "instance 9 on tenant F's LBAs waits for a scrub" "1 4096 100" \
	"$(bare "$U9" && echo 1 >"$MDEV/$U9/nsid" && echo 4096 >"$MDEV/$U9/lba_start" &&
	   echo 100 >"$MDEV/$U9/lba_count" && slice_of "$U9")"
tap_cond "its scrub finishes" wait_scrub "$U9" clean 120
tap_run "tenant G reads only zeroes where tenant F wrote before the unbind" \
	"$BLK" "$U9" zeroes 0 100

# --- the same UUID is the same tenant: its data is kept --------------------------------------
tap_run "tenant G writes through instance 9" "$BLK" "$U9" write 0 100 tenantG
tap_run "remove instance 9" sh -c "echo 1 > $MDEV/$U9/remove"
tap_eq "its LBAs are recorded" "1 $HALF $HALF
1 4096 100" "$(cat "$P/dirty")"
# set_slice UUID: a bare instance on tenant G's LBAs.
set_slice() {
	bare "$1" && echo 1 >"$MDEV/$1/nsid" && echo 4096 >"$MDEV/$1/lba_start" &&
		echo 100 >"$MDEV/$1/lba_count"
}
tap_eq "instance 9 created again with its UUID: nothing to scrub" \
	"1 4096 100 clean 0 100" \
	"$(set_slice "$U9" && slice_of "$U9") $(cat "$MDEV/$U9/scrub") $(cat "$MDEV/$U9/scrub_progress")"
tap_run "tenant G finds its data" "$BLK" "$U9" verify 0 100 tenantG
tap_eq "they are its own again, not dirty" "1 $HALF $HALF" "$(cat "$P/dirty")"
tap_run "remove instance 9 again" sh -c "echo 1 > $MDEV/$U9/remove"
tap_eq "they are recorded again" "1 $HALF $HALF
1 4096 100" "$(cat "$P/dirty")"
U10=$(new_uuid)
tap_run "instance 10, another UUID, on them" set_slice "$U10"
tap_cond "its scrub finishes" wait_scrub "$U10" clean 120
tap_eq "it scrubbed the whole slice" "100 100" "$(cat "$MDEV/$U10/scrub_progress")"
tap_run "tenant H reads only zeroes where tenant G wrote" "$BLK" "$U10" zeroes 0 100
tap_run "remove instance 10" sh -c "echo 1 > $MDEV/$U10/remove"
tap_eq "tenant B's LBAs still recorded" "1 $HALF $HALF" "$(cat "$P/dirty")"

# --- the namespace formatted while another driver has the controller ------------------
# The record is in LBAs of the format it was written in: formatted with
# 4096-byte LBAs and back, the LBAs of tenant I (7 of 512 bytes, not a
# whole 4 KiB block) grow to the 4 KiB blocks holding them and back to 16.
# Data left there (written through nvme, as if the format had kept it)
# is scrubbed for the next tenant.
# bare_at UUID START COUNT: a bare instance on LBAs [START, +COUNT) of
# namespace 1.
bare_at() {
	bare "$1" && echo 1 >"$MDEV/$1/nsid" && echo "$2" >"$MDEV/$1/lba_start" &&
		echo "$3" >"$MDEV/$1/lba_count"
}
U11=$(new_uuid)
tap_run "instance 11 on 7 LBAs at 100" bare_at "$U11" 100 7
tap_run "tenant I writes them" "$BLK" "$U11" write 0 7 tenantI
tap_run "remove instance 11" sh -c "echo 1 > $MDEV/$U11/remove"
dirty_sorted() {
	sort -n -k2 "$P/dirty" | paste -sd '|'
}
tap_eq "both recorded" "1 100 7|1 $HALF $HALF" "$(dirty_sorted)"
tap_setup "modprobe nvme" modprobe nvme
# on_nvme_format DS: bind A to nvme, format its namespace with 2^DS-byte
# LBAs, fill bytes [49152, +8192) (tenant I's) with 0xff through it.
on_nvme_format() {
	local dev f
	mnv_pci_bind "$A" nvme && mnv_wait_namespaces "$A" 1 || return 1
	dev=$(mnv_nvme_namespaces "$A" | head -n 1)
	f=$(nvme id-ns "$dev" | sed -n "s/^lbaf *\([0-9]*\) *: *ms:0 *lbads:$1 .*/\1/p" | head -n 1)
	[ -n "$f" ] || { echo "no LBA format of 2^$1 bytes without metadata"; return 1; }
	nvme format "$dev" --lbaf="$f" --force >/dev/null || return 1
	mnv_wait 10 test "$(blockdev --getss "$dev" 2>/dev/null)" = $((1 << $1)) || return 1
	head -c 8192 /dev/zero | tr '\0' '\377' |
		dd of="$dev" bs=8192 seek=6 oflag=direct conv=fsync status=none
}
# rebind_logs: A bound to mdev_nvme again; the kernel log lines of the bind.
rebind_logs() {
	local n
	n=$(dmesg | wc -l)
	mnv_pci_bind "$A" mdev_nvme || return 1
	dmesg | tail -n +$((n + 1))
}
tap_run "to nvme, formatted with 4096-byte LBAs" on_nvme_format 12
log=$(rebind_logs)
tap_cond "bound again: the log says the LBAs were rescaled, and why" \
	grep -q "namespace 1 was formatted from 512- to 4096-byte LBAs while the controller was unbound: the LBAs former tenants wrote are rescaled" <<<"$log" ||
	diag "$log"
tap_eq "the record in 4096-byte LBAs, tenant I's widened to whole ones" \
	"1 12 2|1 $((HALF / 8)) $((HALF / 8))" "$(dirty_sorted)"
tap_run "to nvme, formatted back to 512-byte LBAs" on_nvme_format 9
log=$(rebind_logs)
tap_cond "bound again: rescaled back" \
	grep -q "namespace 1 was formatted from 4096- to 512-byte LBAs" <<<"$log" || diag "$log"
tap_eq "the record in 512-byte LBAs: tenant I's covers the two 4 KiB blocks" \
	"1 96 16|1 $HALF $HALF" "$(dirty_sorted)"
U12=$(new_uuid)
tap_eq "instance 12 on them waits for a scrub" "1 96 16" \
	"$(bare_at "$U12" 96 16 && slice_of "$U12")"
tap_cond "its scrub finishes" wait_scrub "$U12" clean 120
tap_eq "it scrubbed all 16" "16 16" "$(cat "$MDEV/$U12/scrub_progress")"
tap_run "tenant J reads only zeroes where data was left" "$BLK" "$U12" zeroes 0 16
tap_run "remove instance 12 (it only read: nothing to record)" sh -c "echo 1 > $MDEV/$U12/remove"
tap_run "unbind" mnv_pci_bind "$A" ""
klog_lines=$(dmesg | wc -l)
tap_run "rmmod" rmmod mdev_nvme
tap_cond "the unload says what it forgets" \
	sh -c "dmesg | tail -n +$((klog_lines + 1)) | grep -q 'mdev_nvme: forgetting 1 LBA range(s) former tenants wrote'"
tap_run "insmod" mnv_insmod_ko
tap_run "bound to a module loaded afresh" mnv_pci_bind "$A" mdev_nvme
tap_eq "it knows of no dirty LBAs" "" "$(cat "$P/dirty")"
tap_run "unbind" mnv_pci_bind "$A" ""
tap_run "rmmod" rmmod mdev_nvme
tap_done
