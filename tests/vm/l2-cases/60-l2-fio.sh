#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Data integrity under a real guest: an L2 guest (nested KVM, two vCPUs)
# runs fio with crc32c verification on its vNVMe at block sizes up to the
# transfer limit and queue depths 1 and 32, then writes a tagged pattern
# at a guest LBA; L1 finds it at slice start + that LBA on the raw
# namespace, with the guards around the slice unchanged.  A second guest,
# in poll mode with its doorbell page mapped, must ring no trapped
# doorbell while its fio verifies every round of writes; it is killed
# with SIGKILL under load: the instance must be
# closed, hold no pinned page and open again.  In between, guest 1 also puts an ext4
# filesystem on its disk (fsck must find it clean) and checks that a
# discarded range reads back as DLFEAT says.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 2
mnv_require_cmd qemu-system-x86_64 fio
L2=$MNV_REPO/tests/vm/l2

# Slice of B's namespace 1 (1048576 LBAs of 512 bytes): 64 MiB.
S=65536
N=131072
MARK=100000
TAG=l2fio
GUARD_LO=$((S - 8))
GUARD_HI=$((S + N))
# Two vCPUs so that the guest driver creates two I/O queues; run-l2.sh
# passes -smp 1 first, and QEMU takes the last -smp.
SMP2=(--qemu-arg -smp --qemu-arg 2)

mnv_require_kvm

ns1_dev() {
	mnv_nvme_namespaces "$B" | head -n 1
}

# --- guards through nvme ---------------------------------------------------------
mnv_nvme_take "$B" 2
DEV=$(ns1_dev)
# shellcheck disable=SC2317 # called through tap_run
write_guards() {
	mnv_pattern_write "$DEV" "$GUARD_LO" 8 guard-lo &&
		mnv_pattern_write "$DEV" "$GUARD_HI" 8 guard-hi
}
tap_run "guards written around the slice" write_guards
# What the guest must see follows from the configuration (run-l1.sh):
# controller B has MDTS 8 (1 MiB), the module's cap is the same, and its
# drives read deallocated blocks as zeroes.  Check the backing side here,
# so that the guest's checks measure the module against it.
EXPECT_MDTS=8
EXPECT_DLFEAT_READ=1
ctrl=${DEV#/dev/}
tap_eq "backing controller's MDTS is $EXPECT_MDTS (run-l1.sh: mdts=8)" "$EXPECT_MDTS" \
	"$(nvme id-ctrl "/dev/${ctrl%n*}" 2>/dev/null | sed -n 's/^mdts *: *//p')"
tap_eq "backing namespace reads deallocated blocks as zeroes (DLFEAT & 7)" \
	"$EXPECT_DLFEAT_READ" \
	"$(nvme id-ns "$DEV" 2>/dev/null | awk -F: '$1 ~ /^dlfeat/ { print ($2 + 0) % 8 }')"

mnv_take_controllers "$B"
mnv_instance U "$B" 2 1 "$S" "$N"

# --- guest 1: fio with verification ------------------------------------------------
env=$MNV_TMP/guest-env
printf 'MARK_LBA=%s\nMARK_HOST_LBA=%s\nMARK_TAG=%s\nSLICE_LBAS=%s\nEXPECT_MDTS=%s\nEXPECT_DLFEAT_READ=%s\n' \
	"$MARK" $((S + MARK)) "$TAG" "$N" "$EXPECT_MDTS" "$EXPECT_DLFEAT_READ" >"$env"
res=$MNV_OUT/60-l2-fio.guest
start=$(date +%s)
"$L2/run-l2.sh" --sysfsdev "$MDEV/$U" --env "$env" --results "$res" \
	--console "$MNV_OUT/60-l2-fio.guest-console" --timeout 360 \
	"${SMP2[@]}" "$L2/guest-fio-verify.sh"
tap_eq "L2 guest ran fio to its end" 0 $?
diag "guest 1 took $(($(date +%s) - start)) s"
mnv_guest_results "$res"
tap_eq "after guest 1: closed, nothing pinned" "0 0" \
	"$(cat "$MDEV/$U/open") $(cat "$MDEV/$U/pinned_pages")"

# --- guest 2: poll mode, zero-exit doorbells, SIGKILL under load -------------------
# In poll mode QEMU maps the doorbell page into the guest: from boot to
# the kill, not one of the guest's doorbell writes may trap.
tap_run "instance set to poll mode" sh -c "echo poll > $MDEV/$U/mode"
# inst_stat NAME: counter NAME of the instance
inst_stat() {
	cat "$MDEV/$U/stats/$1"
}
trapped0=$(inst_stat mmio_doorbells)
cmds0=$(($(inst_stat read_cmds) + $(inst_stat write_cmds)))
res2=$MNV_OUT/60-l2-fio.kill-guest
"$L2/run-l2.sh" --sysfsdev "$MDEV/$U" --results "$res2" \
	--console "$MNV_OUT/60-l2-fio.kill-guest-console" --timeout 300 \
	"${SMP2[@]}" "$L2/guest-fio-kill.sh" 2>"$MNV_TMP/run-l2.err" &
runner=$!
wait_limit=$((240 * $(mnv_time_scale)))
t=0
until grep -q '^# fio running' "$res2" 2>/dev/null || [ $t -ge "$wait_limit" ]; do
	sleep 1
	t=$((t + 1))
done
tap_cond "guest 2 started its load" grep -q '^# fio running' "$res2"
# The load is rounds of verified writes: wait for the first to finish
# (or fail), then keep the load on a while longer before the kill.
t=0
until grep -Eq '^(not )?ok [0-9]+ - fio round' "$res2" 2>/dev/null || [ $t -ge "$wait_limit" ]; do
	sleep 1
	t=$((t + 1))
done
sleep 15
# run-l2.sh runs qemu under timeout(1): find that qemu by parentage.
qemu=
for tpid in $(pgrep -P "$runner" -x timeout); do
	qemu=$(pgrep -P "$tpid" -x qemu-system-x86 || pgrep -P "$tpid")
done
tap_cond "guest 2 is open on the instance under load" \
	test "$(cat "$MDEV/$U/open")" = 1 -a -n "$qemu"
trapped=$(($(inst_stat mmio_doorbells) - trapped0))
cmds=$(($(inst_stat read_cmds) + $(inst_stat write_cmds) - cmds0))
diag "guest 2: $cmds commands, $trapped trapped doorbell writes"
tap_cond "guest 2 (poll mode): $cmds commands, no trapped doorbell write" \
	test "$trapped" = 0 -a "$cmds" -gt 100
[ -z "$qemu" ] || kill -KILL "$qemu"
wait "$runner"
tap_eq "run-l2 reports the guest died (exit 2)" 2 $?
# Every round the guest finished wrote and verified its data (a round cut
# by the kill prints nothing).
rounds=$(tr -d '\r' <"$res2" | grep -Ec '^ok [0-9]+ - fio round [0-9]+: written and verified')
bad=$(tr -d '\r' <"$res2" | grep -E '^not ok' -A 12)
diag "guest 2: $rounds verified fio rounds before the kill"
tap_cond "guest 2: fio rounds under load, each written and verified ($rounds)" \
	test "$rounds" -ge 1
tap_eq "guest 2: no fio round failed" "" "$bad"
# The VFIO file descriptors go with the process; the release may lag.
t=0
while [ "$(cat "$MDEV/$U/open")" != 0 ] && [ $t -lt 100 ]; do
	sleep 0.1
	t=$((t + 1))
done
tap_eq "after SIGKILL: closed, nothing pinned" "0 0" \
	"$(cat "$MDEV/$U/open") $(cat "$MDEV/$U/pinned_pages")"
tap_run "instance opens again (vfio-open info)" \
	"$MNV_REPO/tests/vfio/vfio-open" "$U" info
tap_run "remove instance" sh -c "echo 1 > $MDEV/$U/remove"

# --- placement on the raw namespace ---------------------------------------------------
tap_run "give $B back to nvme" mnv_pci_bind "$B" nvme
tap_run "its namespaces are back" mnv_wait_namespaces "$B" 2
DEV=$(ns1_dev)
tap_run "guest LBA $MARK is at host LBA $((S + MARK))" \
	mnv_pattern_verify "$DEV" $((S + MARK)) 8 "$TAG"
tap_run_fail "and not at host LBA $MARK (no rebasing would put it there)" \
	mnv_pattern_verify "$DEV" "$MARK" 8 "$TAG"
tap_run "guard before the slice unchanged" \
	mnv_pattern_verify "$DEV" "$GUARD_LO" 8 guard-lo
tap_run "guard after the slice unchanged" \
	mnv_pattern_verify "$DEV" "$GUARD_HI" 8 guard-hi

mnv_release "$B"
tap_done
