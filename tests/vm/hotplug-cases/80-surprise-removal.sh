#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Surprise removal of the physical controller while guests run I/O.
# Controller 2 (run-l1.sh --hotplug) sits in a hot-plug slot; two
# instances on it run tests/vfio/vfio-io's verified data tests, each in a
# VMM of its own.  With both busy, the clients are paused (see below)
# and the slot's power is cut behind the back of the kernel's hot-plug
# driver: QEMU detaches the controller of a
# slot switched off at once (a device_del would find it gone), so its
# registers read all ones; the host action channel confirms QEMU no
# longer has it.  (device_del itself only presses the slot's attention
# button: the kernel then removes the function while it still answers,
# an orderly unplug.)  pciehp takes the slot for switched off by
# its own hand and leaves the function in place, as a dead link can: a
# third instance is created on it then, whose first admin command must
# find the controller gone and fail it at once, not after the 30 s admin
# timeout, and the clients must see their controllers fail.  Then the
# function is removed from the kernel, as the hot-plug driver does when a
# card is pulled: removal waits for the VMM still holding an instance (a
# third VMM holds an idle one open throughout, as QEMU holds its device
# whatever the guest does) and must complete once it closes; the module
# must unload, the kernel log stay clean.
#
# The clients are killed before the removal starts, not during it.  On
# 6.1, a process that exits while the kernel unregisters its last device
# races in VFIO's own code: the container's release calls the type1
# IOMMU driver's notify callback without the lock under which the
# unregistering side may free that driver's data (drivers/vfio/
# container.c, vfio_fops_release), and the exiting process takes a mutex
# in freed memory.  Any VFIO driver's device can hit it; later kernels
# dropped that callback.  The holder closes its device, group and
# container in that order, as QEMU does, which serialises with the
# unregistering side on the group's lock.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 3 vfio-io
mnv_require_cmd setpci
VFIO_OPEN=$MNV_REPO/tests/vfio/vfio-open
B=$C
DEV=/sys/bus/pci/devices/$B
PORT=$(basename "$(readlink -f "$DEV/..")")
ACTIONS=$MNV_OUT/host-action
host_action() {
	"$MNV_REPO/tests/vm/host-action.sh" "$1"
}

# ms since boot
now_ms() {
	local up
	read -r up _ </proc/uptime
	echo $((${up%.*} * 1000 + 10#${up#*.} * 10))
}

peripherals() {
	host_action '{"execute": "qom-list", "arguments": {"path": "/machine/peripheral"}}'
}

[ -d "$ACTIONS" ] || tap_bail "no host action channel at $ACTIONS (run-l1.sh --hotplug)"
tap_eq "QEMU lists the hot-plug controller (host action channel)" 1 \
	"$(peripherals | grep -c '"name": "nvhp"')"
mnv_take_controllers "$B"
mnv_instance U1 "$B" 2 1 0 8192
mnv_instance U2 "$B" 2 1 8192 8192
mnv_instance U0 "$B" 1 1 16384 8192 "create 1q instance on [16384, +8192) for an idle VMM"
HOLD=$MNV_OUT/$MNV_CASE-hold.$$
"$VFIO_OPEN" "$U0" hold "$HOLD" &
holder=$!
mnv_wait_file "$HOLD" 10
tap_eq "idle instance held open by its VMM" 1 "$(cat "$MDEV/$U0/open")"

OUT1=$MNV_OUT/$MNV_CASE-client1.tap
OUT2=$MNV_OUT/$MNV_CASE-client2.tap
"$CLIENT" -t hp1 "$U1" >"$OUT1" 2>&1 &
c1=$!
"$CLIENT" -t hp2 "$U2" >"$OUT2" 2>&1 &
c2=$!

# Both clients past their setup, with data commands done and more coming.
busy=0
for _ in $(seq 600); do
	w1=$(cat "$MDEV/$U1/stats/write_cmds" 2>/dev/null || echo 0)
	w2=$(cat "$MDEV/$U2/stats/write_cmds" 2>/dev/null || echo 0)
	if [ "$w1" -gt 0 ] && [ "$w2" -gt 0 ]; then
		busy=1
		break
	fi
	sleep 0.1
done
tap_eq "both instances doing I/O" 1 "$busy"
tap_eq "both clients running" "0 0" \
	"$(kill -0 "$c1" 2>/dev/null; echo -n "$? "; kill -0 "$c2" 2>/dev/null; echo $?)"
n1=$(grep -c '^not ok' "$OUT1")
n2=$(grep -c '^not ok' "$OUT2")

# Commands both instances completed so far.
completed() {
	cat "$MDEV/$U1/stats/read_cmds" "$MDEV/$U1/stats/write_cmds" \
		"$MDEV/$U2/stats/read_cmds" "$MDEV/$U2/stats/write_cmds" |
		xargs
}

# QEMU 7.2 may crash when it drops an emulated NVMe controller whose own
# block I/O is still in flight (a segfault in its main loop, about one
# run in seven here).  So the clients are stopped while the slot is
# switched off, once no command of theirs is left to complete, and go on
# after: their next commands meet the gone controller.
kill -STOP "$c1" "$c2"
settled=0
last=$(completed)
for _ in $(seq 25); do
	sleep 0.2
	now=$(completed)
	if [ "$now" = "$last" ]; then
		settled=1
		break
	fi
	last=$now
done
tap_eq "clients stopped, their commands all completed" 1 "$settled"

# Slot Control (PCIe capability + 0x18): Power Controller Control off,
# Power Indicator off.  QEMU unplugs the device of a slot switched off.
sltctl=$(setpci -s "$PORT" CAP_EXP+0x18.w)
tap_run "power off slot of $PORT behind pciehp's back" \
	setpci -s "$PORT" "CAP_EXP+0x18.w=$(printf %04x $((0x$sltctl | 0x0700)))"
for _ in $(seq 100); do
	[ "$(setpci -s "$B" VENDOR_ID.w)" = ffff ] && break
	sleep 0.1
done
tap_eq "controller $B reads all ones" ffff "$(setpci -s "$B" VENDOR_ID.w)"
tap_eq "QEMU no longer has the controller" 0 \
	"$(peripherals | grep -c '"name": "nvhp"')"
# The instances' I/O is what must find the controller gone, below.
diag "controller state before the clients go on:" \
	"$(cat "$DEV/mdev_nvme/state" 2>&1)"
kill -CONT "$c1" "$c2"

# The instances' own I/O must find the controller gone: their commands
# on the hardware get no completion, and after a second of that each
# instance asks whether the controller is still there.  No admin command
# is needed for it.
t0=$(now_ms)
state=
while [ $(($(now_ms) - t0)) -lt 30000 ]; do
	state=$(cat "$DEV/mdev_nvme/state" 2>&1)
	[ "$state" = failed ] && break
	sleep 0.1
done
t_io=$(($(now_ms) - t0))
diag "controller state $state ${t_io} ms after QEMU let go of it"
tap_eq "the instances' I/O found the controller gone" failed "$state"
tap_cond "... within 5 s (${t_io} ms), not at a guest's command timeout" \
	[ "$t_io" -lt 5000 ]

# An admin command to the gone controller: creating an instance sends
# Create I/O CQ.  It must fail fast, and the controller be failed.
U3=$(cat /proc/sys/kernel/random/uuid)
t0=$(now_ms)
if echo "$U3" >"$DEV/mdev_supported_types/mdev_nvme-1q/create" 2>/dev/null; then
	rc=0
else
	rc=1
fi
t_create=$(($(now_ms) - t0))
diag "instance creation on the gone controller: status $rc after ${t_create} ms"
tap_eq "instance creation on the gone controller refused" 1 "$rc"
tap_cond "... within 5 s, not after an admin timeout (${t_create} ms)" \
	[ "$t_create" -lt 5000 ]
tap_eq "controller failed" failed "$(cat "$DEV/mdev_nvme/state" 2>&1)"

# Each client sees its controller fail: a new failed test in its output.
saw=0
for _ in $(seq 600); do
	if [ "$(grep -c '^not ok' "$OUT1")" -gt "$n1" ] &&
		[ "$(grep -c '^not ok' "$OUT2")" -gt "$n2" ]; then
		saw=1
		break
	fi
	sleep 0.1
done
tap_eq "both clients saw their controller fail" 1 "$saw"
for i in 1 2; do
	f=$MNV_OUT/$MNV_CASE-client$i.tap
	diag "client $i: $(grep '^not ok' "$f" | head -n 3)"
done
diag "pinned pages while the VMMs hold the failed instances:" \
	"$(cat "$MDEV/$U1/pinned_pages" "$MDEV/$U2/pinned_pages" 2>&1 | tr '\n' ' ')"

# The clients go first (see the top of this file for why not during the
# removal); their failed instances close as any other.
kill -9 "$c1" "$c2" 2>/dev/null
wait "$c1" "$c2" 2>/dev/null
tap_eq "the killed clients' instances closed" "0 0" \
	"$(cat "$MDEV/$U1/open" "$MDEV/$U2/open" | xargs)"
tap_eq "... and hold no pinned page" "0 0" \
	"$(cat "$MDEV/$U1/pinned_pages" "$MDEV/$U2/pinned_pages" | xargs)"

# The kernel removes the function.  Removal waits for the VMM to close.
t0=$(now_ms)
echo 1 >"$DEV/remove" &
remover=$!
sleep 2
tap_eq "removal waits for the VMM" 0 "$(kill -0 "$remover" 2>/dev/null; echo $?)"
rm -f "$HOLD"
wait "$holder"
tap_eq "the idle VMM closed its failed instance normally" 0 $?
gone=0
for _ in $(seq 300); do
	if ! kill -0 "$remover" 2>/dev/null && [ ! -e "$DEV" ]; then
		gone=1
		break
	fi
	sleep 0.1
done
t_gone=$(($(now_ms) - t0))
tap_eq "function $B removed once the VMM closed" 1 "$gone"
diag "removal took ${t_gone} ms (2 s of it waiting for the VMM)"
wait "$remover"
tap_eq "instances destroyed" "no no no" \
	"$(for u in "$U0" "$U1" "$U2"; do [ -e "$MDEV/$u" ] && echo yes || echo no; done | xargs)"
# No admin command may wait its 30 s timeout on a gone controller.
tap_eq "no admin command waited for the gone controller" 0 \
	"$(dmesg | grep -c 'did not complete within')"
diag "$(dmesg | grep -E 'mdev_nvme|pciehp' | tail -n 20)"
tap_run "rmmod mdev_nvme" rmmod mdev_nvme
tap_done
