#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The mdevctl call-out (tools/mdevctl/mdev-nvme-callout) on a fake sysfs
# tree, called the way mdevctl calls it: other types are left to other
# scripts (exit 2), "get" prints the instance's settings in the order they
# must be written, "pre" refuses a missing parent with the reason.  The VM
# case tests/vm/cases/55-mdevctl.sh runs it under Debian's mdevctl.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
CALLOUT=$HERE/../../tools/mdevctl/mdev-nvme-callout
# shellcheck source=tests/vm/lib.sh
. "$HERE/../vm/lib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

U=11111111-1111-4111-8111-111111111111
BDF=0000:05:00.0
I=$TMP/sys/bus/mdev/devices/$U
mkdir -p "$I" "$TMP/sys/bus/pci/devices/$BDF/mdev_supported_types" \
	"$TMP/sys/bus/pci/devices/0000:06:00.0"
printf '%s\n' 1 >"$I/nsid"
printf '%s\n' 4096 >"$I/lba_start"
printf '%s\n' 8192 >"$I/lba_count"
printf '%s\n' adaptive >"$I/mode"
printf '%s\n' 100 >"$I/idle_us"
printf '%s\n' -1 >"$I/cpu"

# call EVENT ACTION TYPE PARENT [STDIN]: the call-out as mdevctl runs it;
# OUT, ERR and RC hold what it did.
call() {
	printf '%s' "${5:-}" | MNV_SYSFS_ROOT=$TMP "$CALLOUT" -t "$3" -e "$1" -a "$2" \
		-s none -u "$U" -p "$4" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

call get attributes i915-GVTg_V5_4 "$BDF"
tap_eq "another driver's type is not ours: exit 2, silent" "2||" "$RC|$OUT|$ERR"
call get attributes mdev_nvme-2q "$BDF"
tap_eq "get: the slice, in write order, then mode and idle_us; cpu -1 left out" \
	'0|[{"nsid":"1"},{"lba_start":"4096"},{"lba_count":"8192"},{"mode":"adaptive"},{"idle_us":"100"}]' "$RC|$OUT"
tap_cond "get: the output is a JSON array" \
	python3 -c 'import json,sys; assert isinstance(json.load(open(sys.argv[1])), list)' "$TMP/out"
printf '%s\n' poll >"$I/mode"
printf '%s\n' 0 >"$I/idle_us"
printf '%s\n' 1 >"$I/cpu"
call get attributes mdev_nvme-2q "$BDF"
tap_eq "get: a chosen CPU follows the polling settings" \
	'0|[{"nsid":"1"},{"lba_start":"4096"},{"lba_count":"8192"},{"mode":"poll"},{"idle_us":"0"},{"cpu":"1"}]' \
	"$RC|$OUT"
printf '%s\n' '1"}' >"$I/nsid"
call get attributes mdev_nvme-2q "$BDF"
tap_eq "get: a value that is not a plain word or number is refused" \
	"1||unexpected value '1\"}' in $I/nsid" "$RC|$OUT|$ERR"
rm -rf "$I"
call get attributes mdev_nvme-2q "$BDF"
tap_eq "get: an instance that does not exist is an error" \
	"1||no instance $U" "$RC|$OUT|$ERR"

call pre define mdev_nvme-1q 0000:ff:1f.7 '{"mdev_type":"mdev_nvme-1q"}'
tap_eq "pre define: a parent that is no PCI device is refused" \
	"1|no PCI device 0000:ff:1f.7 on this host: nothing defined (the parent is a PCI address such as 0000:01:00.0)" \
	"$RC|$ERR"
call pre define mdev_nvme-1q 0000:06:00.0 '{"mdev_type":"mdev_nvme-1q"}'
tap_eq "pre define: a controller not bound yet may be defined" "0|" "$RC|$ERR"
call pre start mdev_nvme-1q 0000:06:00.0 '{"mdev_type":"mdev_nvme-1q"}'
tap_eq "pre start: a parent not bound to mdev_nvme is refused, with the remedy" \
	"1|0000:06:00.0 is not bound to mdev_nvme (bind it first: mdev-nvme bind 0000:06:00.0, or driverctl set-override 0000:06:00.0 mdev_nvme)" \
	"$RC|$ERR"
call pre start mdev_nvme-1q "$BDF" '{"mdev_type":"mdev_nvme-1q"}'
tap_eq "pre start on a bound parent" "0|" "$RC|$ERR"
call post start mdev_nvme-1q 0000:ff:1f.7 '{"mdev_type":"mdev_nvme-1q"}'
tap_eq "post: nothing to do" "0|" "$RC|$ERR"
MNV_SYSFS_ROOT=$TMP "$CALLOUT" -t mdev_nvme-1q -e get -u >"$TMP/out" 2>"$TMP/err" </dev/null
tap_eq "an option without its value is an error" "1|call-out: -u needs a value" \
	"$?|$(cat "$TMP/err")"
tap_done
