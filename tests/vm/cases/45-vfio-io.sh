#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The I/O path through VFIO: tests/vfio/vfio-io drives two instances with
# adjacent slices of one namespace as a guest driver would (data at every
# size and PRP form, refused commands with their exact status, bad
# doorbells, reset; PRP lists and DSM ranges read from the pin cache,
# then through VFIO).  Its TAP results become this case's tests.  Then the
# controller goes back to nvme and the raw namespace must hold what
# vfio-io wrote at slice start + guest LBA, with the guard patterns
# written just outside the slices beforehand unchanged.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 2 vfio-io

# Controller B namespace 1: 1048576 LBAs of 512 bytes.  Two adjacent
# slices; vfio-io marks guest LBAs 0, MARK and the last 8 of each.
S1=4096
N1=8192
S2=$((S1 + N1))
N2=8192
MARK=100
TAG=io45
GUARD_LO=$((S1 - 8))
GUARD_HI=$((S2 + N2))

# ns1_dev: the block device of B's namespace 1 under nvme (listed first:
# mnv_nvme_namespaces sorts by NSID; device names do not follow NSIDs).
ns1_dev() {
	mnv_nvme_namespaces "$B" | head -n 1
}

# --- guards through nvme, before the module takes the controller ----------
mnv_nvme_take "$B" 2
DEV=$(ns1_dev)
diag "namespace 1 of $B: $DEV"
# shellcheck disable=SC2317 # called through tap_run
write_guards() {
	mnv_pattern_write "$DEV" "$GUARD_LO" 8 guard-lo &&
		mnv_pattern_write "$DEV" "$GUARD_HI" 8 guard-hi
}
# shellcheck disable=SC2317 # called through tap_run
verify_guards() {
	mnv_pattern_verify "$DEV" "$GUARD_LO" 8 guard-lo &&
		mnv_pattern_verify "$DEV" "$GUARD_HI" 8 guard-hi
}
tap_run "guard patterns written before slice 1 and after slice 2" \
	write_guards
tap_run "guards read back through nvme" verify_guards

# --- the module, two instances with adjacent slices --------------------------
mnv_take_controllers "$B"
mnv_instance U1 "$B" 2 1 "$S1" "$N1"
mnv_instance U2 "$B" 1 1 "$S2" "$N2"
diag "instances: $U1 (2q) $U2 (1q)"
# A variant runs the whole case in another mode (iommu-cases/).
if [ -n "${MNV_CASE45_MODE:-}" ]; then
	tap_eq "both instances in $MNV_CASE45_MODE mode" \
		"$MNV_CASE45_MODE $MNV_CASE45_MODE" \
		"$(echo "$MNV_CASE45_MODE" >"$MDEV/$U1/mode" &&
			echo "$MNV_CASE45_MODE" >"$MDEV/$U2/mode" &&
			cat "$MDEV/$U1/mode" "$MDEV/$U2/mode" | xargs)"
fi

# --- the client ---------------------------------------------------------------
out=$MNV_TMP/vfio-io.tap
"$CLIENT" -m "$MARK" -t "$TAG" "$U1" "$U2" >"$out"
rc=$?
tap_reemit vfio-io "$out" "$rc"
# MSI-X as cloud-hypervisor, crosvm and userspace drivers use it: eventfds
# wired with VFIO_DEVICE_SET_IRQS alone, the capability never written
# (vfio-io above enables it in config space as QEMU does, then wires).
"$CLIENT" -x "$U1" >"$MNV_TMP/vfio-io-msix.tap"
tap_reemit "vfio-io msix by SET_IRQS" "$MNV_TMP/vfio-io-msix.tap" $?

tap_eq "instances closed, nothing pinned" "0 0 0 0" \
	"$(cat "$MDEV/$U1/open" "$MDEV/$U2/open" "$MDEV/$U1/pinned_pages" \
		"$MDEV/$U2/pinned_pages" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
# The counters after the client: its reads and writes, its refused
# commands, and a pin cache that was hit far more often than missed.
"$MNV_CLI" stats --json "$U1" >"$MNV_TMP/stats.json" 2>"$MNV_TMP/stats.err"
tap_eq "mdev-nvme stats $U1" 0 $?
# With all DMA bounced (swiotlb=force on this L1's command line), the
# module keeps no page pinned after its command: pages are pinned afresh
# (a hit is only a page two commands in flight share).
BOUNCE=0
grep -Eq '(^| )swiotlb=[^ ]*force' /proc/cmdline && BOUNCE=1
# shellcheck disable=SC2317 # called through tap_run
stats_plausible() {
	python3 - "$MNV_TMP/stats.json" "$BOUNCE" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
bounce = sys.argv[2] == "1"
need = ["read_cmds", "write_cmds", "read_bytes", "write_bytes",
        "refused_cmds", "pin_misses", "polls", "guest_irqs", "host_doorbells"]
if not bounce:
    need.append("pin_hits")
bad = [k for k in need if s[k] <= 0]
cache = s["pin_hits"] < s["pin_misses"] if bounce else s["pin_hits"] > s["pin_misses"]
if bad or not cache or s["read_bytes"] < 512 * s["read_cmds"]:
    sys.exit("implausible: %s %s" % (bad, s))
PY
}
if [ "$BOUNCE" = 1 ]; then
	tap_run "stats count reads, writes, refusals, doorbells; pin misses > hits (swiotlb=force)" \
		stats_plausible
else
	tap_run "stats count reads, writes, refusals, doorbells; pin hits > misses" \
		stats_plausible
fi
# Host-wide resources (tests/vfio/io_limits.c): a VMM without
# CAP_IPC_LOCK and a 32-page RLIMIT_MEMLOCK, then the bounce-buffer share
# at its smallest (one largest transfer).
"$CLIENT" -l 32 "$U1" >"$MNV_TMP/vfio-io-memlock.tap"
tap_reemit "vfio-io memlock" "$MNV_TMP/vfio-io-memlock.tap" $?
P=/sys/module/mdev_nvme/parameters/bounce_pages_max
old_share=$(cat "$P")
tap_run "bounce_pages_max set to 1" sh -c "echo 1 > $P"
"$CLIENT" -b "$U1" >"$MNV_TMP/vfio-io-bounce.tap"
tap_reemit "vfio-io bounce share" "$MNV_TMP/vfio-io-bounce.tap" $?
tap_run "bounce_pages_max back to $old_share" sh -c "echo $old_share > $P"
# The commands with PRP lists and DSM ranges again, their lists read
# through vfio_dma_rw() rather than the pin cache (pinned_list_reads is
# read at open); the client's diagnostics give the ns a list read took
# either way (the run above read them from the cache).
P=/sys/module/mdev_nvme/parameters/pinned_list_reads
tap_eq "pinned_list_reads is on by default" Y "$(cat "$P")"
tap_run "pinned_list_reads set to N" sh -c "echo N > $P"
"$CLIENT" -L "$U1" >"$MNV_TMP/vfio-io-lists-rw.tap"
tap_reemit "vfio-io lists through VFIO" "$MNV_TMP/vfio-io-lists-rw.tap" $?
tap_run "pinned_list_reads back to Y" sh -c "echo Y > $P"
# The polling thread's other modes, on instance 1 (adaptive above).
tap_run_fail "mode 'turbo' refused" sh -c "echo turbo > $MDEV/$U1/mode"
tap_run_fail "idle_us above 1 s refused" sh -c "echo 1000001 > $MDEV/$U1/idle_us"
for mode in poll interrupt; do
	tap_run "mode $mode set while closed" sh -c "echo $mode > $MDEV/$U1/mode"
	# The client branches on the mode it reads back: it must be the one
	# written here, or the client would check the wrong mode's rules.
	tap_eq "mode reads back as $mode" "$mode" "$(cat "$MDEV/$U1/mode")"
	"$CLIENT" -q "$U1" >"$MNV_TMP/vfio-io-$mode.tap"
	tap_reemit "vfio-io $mode" "$MNV_TMP/vfio-io-$mode.tap" $?
done
tap_eq "instance 1 back to adaptive" adaptive \
	"$(echo adaptive >"$MDEV/$U1/mode" && cat "$MDEV/$U1/mode")"
tap_run "remove the instances" sh -c \
	"echo 1 > $MDEV/$U1/remove && echo 1 > $MDEV/$U2/remove"

# --- placement on the raw namespace -------------------------------------------
tap_run "give $B back to nvme" mnv_pci_bind "$B" nvme
tap_run "its namespaces are back" mnv_wait_namespaces "$B" 2
DEV=$(ns1_dev)
for spec in "1 $S1 0" "1 $S1 $MARK" "1 $S1 $((N1 - 8))" \
	"2 $S2 0" "2 $S2 $MARK" "2 $S2 $((N2 - 8))"; do
	read -r i start lba <<<"$spec"
	tap_run "instance $i guest LBA $lba is at host LBA $((start + lba))" \
		mnv_pattern_verify "$DEV" $((start + lba)) 8 "$TAG-$i"
done
# The check above must be able to fail: instance 2's tag is not there.
tap_run_fail "instance 1's mark does not carry instance 2's tag" \
	mnv_pattern_verify "$DEV" $((S1 + MARK)) 8 "$TAG-2"
tap_run "guard before slice 1 unchanged" \
	mnv_pattern_verify "$DEV" "$GUARD_LO" 8 guard-lo
tap_run "guard after slice 2 unchanged" \
	mnv_pattern_verify "$DEV" "$GUARD_HI" 8 guard-hi

# --- teardown -------------------------------------------------------------------
mnv_release "$B"
tap_done
