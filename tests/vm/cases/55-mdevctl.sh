#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The operator's path with Debian's mdevctl and driverctl, as at boot:
# driverctl binds the controller to mdev_nvme and records it; the module
# registers it with mdev (MDEV_STATE=registered change uevent); udevd runs
# mdevctl, which starts the definitions marked auto and writes their
# attributes in order.  mdevctl types, define (JSON file, --auto with
# modify --addattr), start, list, stop, undefine on a real instance, the
# get call-out capturing a running instance's slice, and bad input
# refused with nothing changed.
# /etc is read-only in the VM: /etc/mdevctl.d and /etc/driverctl.d get a
# tmpfs each; udevd takes the project's rule from /run/udev/rules.d.
# Controller 1 (first of MNV_BDFS): one namespace of 2097152 LBAs of 512
# bytes, 16 queue pairs.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 1 vfio-blk
mnv_require_cmd mdevctl driverctl udevadm systemd-escape python3
UDEVD=/lib/systemd/systemd-udevd
[ -x "$UDEVD" ] || tap_skip_all "missing $UDEVD"
PCI=/sys/bus/pci/devices/$A
CONF=/etc/mdevctl.d
DRVCONF=/etc/driverctl.d
RULE=61-mdev-nvme-mdevctl.rules
U1=6a1f3c2e-7b5d-4e8f-9a0b-1c2d3e4f5a01
U2=6a1f3c2e-7b5d-4e8f-9a0b-1c2d3e4f5a02
U3=6a1f3c2e-7b5d-4e8f-9a0b-1c2d3e4f5a03
U4=6a1f3c2e-7b5d-4e8f-9a0b-1c2d3e4f5a04
U5=6a1f3c2e-7b5d-4e8f-9a0b-1c2d3e4f5a05
MON=$MNV_TMP/uevents
MONPID=

slice_of() {
	echo "$(cat "$MDEV/$1/nsid") $(cat "$MDEV/$1/lba_start") $(cat "$MDEV/$1/lba_count")"
}

# settings UUID: slice, mode and queue pairs of a running instance.
settings() {
	echo "$(slice_of "$1") $(cat "$MDEV/$1/mode") $(cat "$MDEV/$1/queue_pairs")q"
}

# wait_for PATH SECONDS: wait until PATH exists (udevd works on its own).
wait_for() {
	mnv_wait_file "$1" "$2" || { diag "$1 did not appear in $2 s"; return 1; }
}

# instances: the UUIDs of the mdev devices, space separated.
instances() {
	find "$MDEV" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' '
}

# state: what must not change when mdevctl refuses something.
state() {
	echo "instances: $(instances)"
	echo "free: $(cat "$PCI/mdev_nvme/queue_pairs_free")"
	echo "dirty: $(tr '\n' ' ' <"$PCI/mdev_nvme/dirty")"
	echo "defined: $(mdevctl list --defined | tr '\n' ' ')"
	(cd "$CONF" && find . -path ./scripts.d -prune -o -type f -print | sort | tr '\n' ' ')
}

# has_all TEXT WORD...: TEXT contains every WORD.
has_all() {
	local text=$1 w

	shift
	for w; do
		[[ $text == *"$w"* ]] || return 1
	done
}

# listing ARGS...: mdevctl list's lines, sorted, joined by "|".
listing() {
	mdevctl list "$@" | grep -v '^$' | sort | paste -sd '|'
}

# json_norm FILE: the JSON in FILE, compact, keys in their order.
json_norm() {
	python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":")))' "$1"
}

cleanup() {
	[ -z "$MONPID" ] || kill "$MONPID" 2>/dev/null
	udevadm control --exit >/dev/null 2>&1
	rm -f "/run/udev/rules.d/$RULE"
	umount "$CONF" 2>/dev/null
	umount "$DRVCONF" 2>/dev/null
}
trap cleanup EXIT

# --- a private configuration, udevd with the project's rule --------------------------
setup() {
	mount -t tmpfs mnv-mdevctl "$CONF" &&
		mkdir -p "$CONF/scripts.d/callouts" "$CONF/scripts.d/notifiers" &&
		install -m 755 "$MNV_REPO/tools/mdevctl/mdev-nvme-callout" \
			"$CONF/scripts.d/callouts/mdev-nvme-callout" &&
		mount -t tmpfs mnv-driverctl "$DRVCONF" &&
		mkdir -p /run/udev/rules.d &&
		cp "$MNV_REPO/tools/mdevctl/$RULE" /run/udev/rules.d/
}
tap_run "tmpfs over $CONF and $DRVCONF, call-out and udev rule installed" setup ||
	tap_bail "cannot set up the configuration"
tap_run "udevd runs" sh -c "'$UDEVD' --daemon && udevadm control --ping" ||
	tap_bail "no udevd"

# --- boot, part 1: nvme owns the controller, driverctl hands it over ------------------
mnv_load
tap_setup "modprobe nvme" modprobe nvme
tap_setup "$A given to its default driver" mnv_pci_bind "$A" ""
tap_eq "$A starts on nvme" nvme "$(mnv_pci_driver "$A")"
# udevadm's monitor and test refuse to run in a chroot unless told.
export SYSTEMD_IGNORE_CHROOT=1
udevadm monitor --kernel --property --subsystem-match=pci >"$MON" 2>&1 &
MONPID=$!
sleep 1
tap_run "driverctl set-override $A mdev_nvme" driverctl set-override "$A" mdev_nvme
tap_eq "bound to mdev_nvme, override set and recorded" "mdev_nvme mdev_nvme mdev_nvme" \
	"$(mnv_pci_driver "$A") $(cat "$PCI/driver_override") $(cat "$DRVCONF/pci-$A" 2>&1)"
sleep 1
# The kernel's change uevent on the parent, with the driver udev matches on.
reg=$(awk -v dp="/$A" 'BEGIN { RS = "" }
	index($0, "MDEV_STATE=registered") && match($0, /DEVPATH=[^\n]*/) &&
	substr($0, RSTART + RLENGTH - length(dp), length(dp)) == dp {
		if (match($0, /ACTION=[^\n]*/)) a = substr($0, RSTART, RLENGTH)
		if (match($0, /DRIVER=[^\n]*/)) d = substr($0, RSTART, RLENGTH)
		print a, d
	}' "$MON")
tap_eq "registering emits MDEV_STATE=registered (change, DRIVER=mdev_nvme)" \
	"ACTION=change DRIVER=mdev_nvme" "$reg" || diag_file "$MON" 30
kill "$MONPID" 2>/dev/null
MONPID=
tap_cond "at boot, driverctl's udev rule asks for driverctl@pci-$A.service" \
	sh -c "udevadm test --action=add '$PCI' 2>&1 | grep -qF 'SYSTEMD_WANTS=driverctl@pci-$A.service'"

# --- mdevctl types --------------------------------------------------------------------
tap_run "mdevctl types" mdevctl types -p "$A"
types=$(printf '%s\n' "$TAP_OUT" | grep -o '^ *mdev_nvme-[0-9]*q$' | tr -d ' ' | tr '\n' ' ')
tap_eq "it lists the four types" "mdev_nvme-1q mdev_nvme-2q mdev_nvme-4q mdev_nvme-8q " "$types"
t2=$(printf '%s\n' "$TAP_OUT" | sed 's/^ *//' |
	awk '/^mdev_nvme-2q$/ { on = 1; next } /^mdev_nvme-/ { on = 0 } on' | paste -sd '|')
tap_eq "type mdev_nvme-2q as mdevctl shows it" \
	"Available instances: 8|Device API: vfio-pci|Name: nvme-2q|Description: virtual NVMe controller with 2 I/O queue pair(s), namespace slice: whole namespace 1 unless set" \
	"$t2" || diag "$TAP_OUT"

# --- define --------------------------------------------------------------------------
cat >"$MNV_TMP/u1.json" <<'EOF'
{
  "mdev_type": "mdev_nvme-2q",
  "start": "auto",
  "attrs": [
    { "nsid": "1" },
    { "lba_start": "4096" },
    { "lba_count": "8192" },
    { "mode": "interrupt" }
  ]
}
EOF
tap_run "define $U1 from a JSON file (auto, attrs)" \
	mdevctl define -u "$U1" -p "$A" --jsonfile "$MNV_TMP/u1.json"
def2() {
	mdevctl define --auto -u "$U2" -p "$A" -t mdev_nvme-1q &&
		mdevctl modify -u "$U2" --addattr=nsid --value=1 &&
		mdevctl modify -u "$U2" --addattr=lba_start --value=20480 &&
		mdevctl modify -u "$U2" --addattr=lba_count --value=2048
}
tap_run "define --auto $U2, attrs by modify --addattr" def2
tap_eq "list --defined: both, auto" \
	"$U1 $A mdev_nvme-2q auto|$U2 $A mdev_nvme-1q auto" \
	"$(listing --defined)"
tap_eq "the attrs of $U2 are kept in order" \
	'{"mdev_type":"mdev_nvme-1q","start":"auto","attrs":[{"nsid":"1"},{"lba_start":"20480"},{"lba_count":"2048"}]}' \
	"$(json_norm "$CONF/$A/$U2")"
tap_cond "defining started nothing" test ! -e "$MDEV/$U1" -a ! -e "$MDEV/$U2"

# --- start, I/O, stop ------------------------------------------------------------------
tap_run "start $U1" mdevctl start -u "$U1"
tap_eq "$U1 in sysfs: its slice, mode and queue pairs" "1 4096 8192 interrupt 2q" \
	"$(settings "$U1")"
tap_run "start $U2" mdevctl start -u "$U2"
tap_eq "$U2 in sysfs: its slice" "1 20480 2048 adaptive 1q" "$(settings "$U2")"
tap_eq "mdevctl list shows both running" \
	"$U1 $A mdev_nvme-2q auto (defined)|$U2 $A mdev_nvme-1q auto (defined)" \
	"$(listing)"
tap_eq "queue pairs taken" 13 "$(cat "$PCI/mdev_nvme/queue_pairs_free")"
tap_run "verified I/O through $U1" \
	sh -c "'$CLIENT' '$U1' write 0 64 defined && '$CLIENT' '$U1' verify 0 64 defined && '$CLIENT' '$U1' write 8128 64 defined-end"
tap_run "I/O through $U2" "$CLIENT" "$U2" write 0 16 second
tap_run "stop $U1" mdevctl stop -u "$U1"
tap_run "stop $U2" mdevctl stop -u "$U2"
tap_cond "both gone from sysfs" test ! -e "$MDEV/$U1" -a ! -e "$MDEV/$U2"
tap_eq "still defined" 2 "$(mdevctl list --defined | grep -c auto)"
tap_eq "queue pairs free again" 16 "$(cat "$PCI/mdev_nvme/queue_pairs_free")"

# --- boot, part 2: the controller comes back, the auto definitions start ----------------
# As after a reboot: nvme owns the controller, then driverctl's unit runs
# "driverctl load-override" with its instance name unescaped.
tap_run "$A back to nvme" mnv_pci_bind "$A" ""
tap_eq "on nvme, no instance" "nvme " "$(mnv_pci_driver "$A") $(instances)"
tap_run "driverctl load-override (driverctl@.service)" \
	driverctl load-override "$(systemd-escape -u "pci-$A")"
tap_eq "bound to mdev_nvme again" mdev_nvme "$(mnv_pci_driver "$A")"
[ -e /usr/sbin/mdevctl ] || diag "no /usr/sbin/mdevctl: mdevctl's own udev rule cannot run, the project's does"
tap_cond "udev started $U1" wait_for "$MDEV/$U1" 30
tap_cond "udev started $U2" wait_for "$MDEV/$U2" 30
# mdevctl writes the attributes after the create: wait for the last one.
for _ in $(seq 50); do
	[ "$(cat "$MDEV/$U2/lba_count" 2>/dev/null)" = 2048 ] &&
		[ "$(cat "$MDEV/$U1/mode" 2>/dev/null)" = interrupt ] && break
	sleep 0.2
done
tap_eq "$U1 got its attributes back" "1 4096 8192 interrupt 2q" "$(settings "$U1")"
tap_eq "$U2 got its attributes back" "1 20480 2048 adaptive 1q" "$(settings "$U2")"
# The record of written LBAs outlived the unbind and names $U1 as their
# writer (sysfs.rst): the same UUID is the same tenant's device, so no
# scrub stands between it and its data, which proves the same LBAs.
tap_eq "$U1: its own LBAs, nothing to scrub" clean "$(cat "$MDEV/$U1/scrub")"
tap_run "$U1 reads what it wrote before the rebind" \
	sh -c "'$CLIENT' '$U1' verify 0 64 defined && '$CLIENT' '$U1' verify 8128 64 defined-end"

# --- the get call-out: define captures a running instance's slice ------------------------
tap_run "start transient $U3" mdevctl start -u "$U3" -p "$A" -t mdev_nvme-1q
set3() {
	echo 1 >"$MDEV/$U3/nsid" && echo 65536 >"$MDEV/$U3/lba_start" &&
		echo 4096 >"$MDEV/$U3/lba_count" && echo poll >"$MDEV/$U3/mode"
}
tap_run "its slice and mode set through sysfs" set3
tap_run "mdevctl define -u $U3 (running)" mdevctl define -u "$U3"
tap_eq "the definition holds its slice, from the call-out" \
	'{"mdev_type":"mdev_nvme-1q","start":"manual","attrs":[{"nsid":"1"},{"lba_start":"65536"},{"lba_count":"4096"},{"mode":"poll"},{"idle_us":"100"}]}' \
	"$(json_norm "$CONF/$A/$U3")"
tap_run "stop $U3" mdevctl stop -u "$U3"
tap_run "start $U3 from its definition" mdevctl start -u "$U3"
tap_eq "$U3 has the slice it was defined with" "1 65536 4096 poll 1q" "$(settings "$U3")"

# --- bad input: mdevctl's error, nothing changed -----------------------------------------
before=$(state)
tap_run_fail "define on a parent that does not exist is refused" \
	mdevctl define -u "$U4" -p 0000:ff:1f.7 -t mdev_nvme-1q
tap_cond "with the call-out's reason" \
	has_all "$TAP_OUT" "no PCI device 0000:ff:1f.7 on this host" || diag "$TAP_OUT"
tap_eq "nothing changed" "$before" "$(state)"
cat >"$MNV_TMP/u5.json" <<'EOF'
{
  "mdev_type": "mdev_nvme-1q",
  "start": "manual",
  "attrs": [ { "nsid": "1" }, { "lba_start": "8000" }, { "lba_count": "1000" } ]
}
EOF
tap_run "define $U5 over LBAs of $U1" mdevctl define -u "$U5" -p "$A" --jsonfile "$MNV_TMP/u5.json"
before=$(state)
tap_run_fail "its start is refused: lba_count overlaps $U1" mdevctl start -u "$U5"
tap_cond "mdevctl names the attribute and the kernel's reason" \
	has_all "$TAP_OUT" lba_count "File exists" || diag "$TAP_OUT"
tap_eq "nothing changed: mdevctl removed the instance it created" "$before" "$(state)"
tap_eq "$U1 keeps its slice" "1 4096 8192 interrupt 2q" "$(settings "$U1")"
tap_run "undefine $U5" mdevctl undefine -u "$U5"

# --- undefine --------------------------------------------------------------------------
tap_run "undefine $U1 (running)" mdevctl undefine -u "$U1"
tap_cond "its definition is gone" test ! -e "$CONF/$A/$U1"
tap_eq "list --defined: $U2 and $U3 left, running" \
	"$U2 $A mdev_nvme-1q auto (active)|$U3 $A mdev_nvme-1q manual (active)" \
	"$(listing --defined)"
tap_cond "a running instance outlives its definition" test -e "$MDEV/$U1"
for u in "$U1" "$U2" "$U3"; do
	tap_run "stop $u" mdevctl stop -u "$u"
done
tap_run "undefine $U2 and $U3" sh -c "mdevctl undefine -u $U2 && mdevctl undefine -u $U3"
tap_eq "no definition, no instance left" "|" \
	"$(listing --defined)|$(instances)"
tap_eq "all queue pairs free" 16 "$(cat "$PCI/mdev_nvme/queue_pairs_free")"

# --- driverctl gives the controller back -------------------------------------------------
tap_run "driverctl unset-override $A" driverctl unset-override "$A"
tap_eq "back on nvme, nothing recorded" "nvme (null) absent" \
	"$(mnv_pci_driver "$A") $(cat "$PCI/driver_override") $([ -e "$DRVCONF/pci-$A" ] && echo present || echo absent)"
cleanup
trap - EXIT
tap_run "rmmod" rmmod mdev_nvme
tap_done
