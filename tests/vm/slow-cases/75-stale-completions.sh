#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A drive that posts a completion twice (debug kernel: the module's
# fail_stale_cqe fault attribute).  While the I/O path reaps a hardware
# pair, the injected fault hands it the pair's previous completion again,
# before another command's, when the slot that completion names already
# runs another command still on the drive.  The module must refuse it
# (stats/stray_cqes counts it) rather than end the slot's new command
# early: that would release the command's pages while the drive still
# transfers into them, and the guest would read data the drive has not
# written yet.  Controller 1 is throttled (run-l1.args), so a command
# ended early is still far from done on the drive; tests/vfio/vfio-io -s
# keeps reads in flight and checks each buffer the moment its completion
# arrives, which catches it.  Armed for that run only.
#
# mnv-case: debug-kernel
# shellcheck source=../lib.sh
. "$MNV_REPO/tests/vm/lib.sh"
mnv_require_root

DBG=/sys/kernel/debug
FAULT=$DBG/mdev_nvme/fail_stale_cqe
# Fault injection in debugfs: the debug kernel has it (and its allocation
# failure attributes), the distribution kernels have none.
if [ ! -d "$DBG/failslab" ]; then
	case "$(uname -r)" in
	*mnvdebug*)
		tap_fail "fault injection available ($DBG/failslab)" \
			"the debug kernel should have CONFIG_FAULT_INJECTION_DEBUG_FS"
		tap_done
		;;
	esac
	tap_skip_all "kernel $(uname -r) has no fault injection (make check-debug runs this case)"
fi
mnv_case 2 vfio-io
PARENT=/sys/bus/pci/devices/$B/mdev_nvme
TIMES=40
# 200 reads on a drive of 40 commands a second: about 5 s.
READS=200

mnv_take_controllers "$B"
tap_cond "the module offers fail_stale_cqe" [ -d "$FAULT" ] ||
	tap_bail "no $FAULT"
mnv_instance U1 "$B" 2 1 0 8192

# Every chance, up to TIMES faults; quiet (a stack trace per fault would
# read as a splat); not only in some tasks: the polling thread reaps.
# shellcheck disable=SC2317 # called through tap_run
arm() {
	echo 0 >"$FAULT/verbose" && echo N >"$FAULT/task-filter" &&
		echo 1 >"$FAULT/interval" && echo "$TIMES" >"$FAULT/times" &&
		echo 100 >"$FAULT/probability"
}
# shellcheck disable=SC2317 # called through tap_run and the trap
disarm() {
	echo 0 >"$FAULT/probability"
}
trap 'disarm 2>/dev/null' EXIT
tap_run "arm fail_stale_cqe ($TIMES faults)" arm

out=$MNV_TMP/vfio-io-stale.tap
"$CLIENT" -s "$READS" "$U1" >"$out"
rc=$?
tap_run "disarm fail_stale_cqe" disarm
tap_reemit "vfio-io -s $READS (reads in flight, checked at completion)" \
	"$out" "$rc"

injected=$((TIMES - $(cat "$FAULT/times")))
diag "$injected stale completions injected"
tap_cond "stale completions were injected ($injected)" [ "$injected" -gt 0 ]
tap_eq "each was refused, and no real completion (stats/stray_cqes)" \
	"$injected" "$(cat "$MDEV/$U1/stats/stray_cqes" 2>&1)"
tap_eq "controller $B still live" live "$(cat "$PARENT/state" 2>&1)"
tap_eq "instance closed, nothing pinned" "0 0" \
	"$(cat "$MDEV/$U1/open" "$MDEV/$U1/pinned_pages" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
tap_run "remove the instance" sh -c "echo 1 > $MDEV/$U1/remove"
tap_eq "all hardware queue pairs back in the pool" \
	"$(cat "$PARENT/queue_pairs_total")" "$(cat "$PARENT/queue_pairs_free")"
mnv_release "$B"
tap_done
