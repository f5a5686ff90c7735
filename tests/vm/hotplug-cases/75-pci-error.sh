#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# PCI error recovery of the physical controller while two instances run
# I/O.  Controller 2 (run-l1.sh --hotplug) sits behind a PCIe root port
# with AER.  The port reports an uncorrectable fatal error (Surprise
# Down: the link to the controller went down): the kernel's AER driver
# calls the module's error_detected (link frozen), resets the link, then
# slot_reset and resume.  The module must bring the controller back instead of failing
# it, and the instances must see what a controller reset looks like: their
# commands complete or come back retryable, data written reads back, both
# keep working (tests/vfio/vfio-io -e).  A non-fatal error after that
# must reset nothing.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 3 vfio-io
B=$C
DEV=/sys/bus/pci/devices/$B
PORT=$(basename "$(readlink -f "$DEV/..")")
ACTION=$MNV_REPO/tests/vm/host-action.sh
[ -d "$MNV_OUT/host-action" ] || tap_bail "no host action channel (run-l1.sh --hotplug)"

# inject_script ERROR: a script that has the root port above the hot-plug
# controller report ERROR (QEMU's name of an AER uncorrectable error).
# The port reports it itself: errors of the controller would reach the
# root complex only with the port's SERR# forwarding on.
inject_script() {
	local f=$MNV_TMP/inject-$1.sh
	cat >"$f" <<EOS
#!/bin/bash
"$ACTION" '{"execute": "human-monitor-command", "arguments": {"command-line": "pcie_aer_inject_error rp1 $1"}}' |
	grep -q 'OK id: rp1'
EOS
	chmod +x "$f"
	echo "$f"
}

mnv_take_controllers "$B"
mnv_instance U1 "$B" 2 1 0 65536
mnv_instance U2 "$B" 1 1 65536 65536

# The kernel log from here on (not cleared: the run checks all of it).
seen=$(dmesg | wc -l)
# Surprise Down is fatal by default: the link is taken for frozen.
"$CLIENT" -f "$B" -e "$(inject_script SDN)" "$U1" "$U2" \
	>"$MNV_TMP/vfio-io-pci-error.tap" 2>&1
tap_reemit "vfio-io PCI error" "$MNV_TMP/vfio-io-pci-error.tap" $?
log=$(dmesg | tail -n +$((seen + 1)))
tap_cond "the AER driver saw a fatal error at $PORT" \
	grep -q "$PORT.*Uncorrected (Fatal)" <<<"$log"
tap_eq "the module was told the link is frozen" 1 \
	"$(grep -c "$B: PCI error (channel state 2)" <<<"$log")"
tap_eq "the module brought the controller back" 1 \
	"$(grep -c "$B: controller reset: PCI error recovery" <<<"$log")"
tap_eq "error recovery succeeded" 1 \
	"$(grep -c 'device recovery successful' <<<"$log")"
tap_eq "controller live" live "$(cat "$DEV/mdev_nvme/state")"
tap_eq "one controller reset" 1 "$(cat "$DEV/mdev_nvme/resets")"
diag "$(grep -E 'mdev_nvme|AER|pcieport' <<<"$log" | tail -n 20)"

# A Completion Timeout is non-fatal by default: nothing to reset.
seen=$(dmesg | wc -l)
tap_run "the port reports a non-fatal error" "$(inject_script COMP_TIME)"
sleep 3
log=$(dmesg | tail -n +$((seen + 1)))
tap_eq "the module was told the link still works" 1 \
	"$(grep -c "$B: PCI error (channel state 1)" <<<"$log")"
diag "$(grep -E 'mdev_nvme|AER|pcieport' <<<"$log")"
tap_eq "still one controller reset" 1 "$(cat "$DEV/mdev_nvme/resets")"
tap_eq "controller live" live "$(cat "$DEV/mdev_nvme/state")"

tap_run "remove the instances" sh -c \
	"echo 1 > $MDEV/$U1/remove && echo 1 > $MDEV/$U2/remove"
tap_run "rmmod mdev_nvme" rmmod mdev_nvme
tap_done
