#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The mdev-nvme CLI against the real module: the success paths, and every
# refusal gives one line on stderr, a non-zero exit, and changes nothing.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_case 2
[ -x "$MNV_CLI" ] || tap_skip_all "CLI not built: $MNV_CLI"

CLI=$MNV_CLI

# refused NAME EXPECTED_EXIT PATTERN CMD...: CMD exits with EXPECTED_EXIT,
# prints exactly one stderr line matching PATTERN, and sysfs is unchanged.
refused() {
	local name=$1 want=$2 pat=$3 before after err rc
	shift 3
	before=$(state)
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	after=$(state)
	if [ "$rc" -ne "$want" ]; then
		tap_fail "$name" "exit $rc, expected $want" "$err"
	elif [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] ||
	     ! grep -Eq -- "$pat" <<<"$err"; then
		tap_fail "$name" "stderr does not match '$pat':" "$err"
	elif [ "$before" != "$after" ]; then
		tap_fail "$name" "system state changed"
	else
		tap_ok "$name"
	fi
}

# What a refusal must not change: drivers, instances and their slices.
state() {
	local u d
	for d in $MNV_BDFS; do
		echo "$d $(mnv_pci_driver "$d")"
	done
	for u in "$MDEV"/*; do
		[ -e "$u" ] || continue
		echo "$u $(cat "$u/nsid" "$u/lba_start" "$u/lba_count" 2>/dev/null | tr '\n' ' ')"
	done
}

refused "module not loaded: bind" 1 "not loaded|mdev_nvme" "$CLI" bind "$A"
refused "module not loaded: create" 1 "not loaded|mdev_nvme" "$CLI" create "$A"

mnv_load
tap_setup "modprobe nvme" modprobe nvme

refused "unknown BDF" 1 "0000:00:1f.7" "$CLI" bind 0000:00:1f.7
refused "malformed BDF" 2 "zz:00" "$CLI" bind zz:00.0
refused "not an NVMe controller" 1 "NVMe" "$CLI" bind 0000:00:00.0
refused "create on a controller not bound" 1 "not bound" "$CLI" create "$A"

tap_run "bind A" "$CLI" bind "$A"
tap_run "bind B (short BDF form)" "$CLI" bind "${B#0000:}"
tap_run "binding again is fine" "$CLI" bind "$A"

out=$("$CLI" create "$A" 2>/dev/null)
tap_eq "create with defaults exits 0" 0 $?
u1=$(printf '%s\n' "$out" | tail -n 1)
tap_cond "last line is the UUID of a new instance" test -d "$MDEV/$u1"
tap_eq "defaults: smallest type" 1 "$(cat "$MDEV/$u1/queue_pairs")"
tap_eq "defaults: whole namespace 1" "1 0 2097152" \
	"$(cat "$MDEV/$u1/nsid") $(cat "$MDEV/$u1/lba_start") $(cat "$MDEV/$u1/lba_count")"

u2=$(cat /proc/sys/kernel/random/uuid)
out=$("$CLI" create "$B" --type nvme-2q --nsid 2 --lba-start 100 \
	--lba-count 1000 --cpu 0 --uuid "$u2" 2>&1)
tap_eq "create with every option" "$u2" "$(printf '%s\n' "$out" | tail -n 1)"
tap_eq "slice and cpu as asked" "2 100 1000 0 2" \
	"$(cat "$MDEV/$u2/nsid") $(cat "$MDEV/$u2/lba_start") $(cat "$MDEV/$u2/lba_count") $(cat "$MDEV/$u2/cpu") $(cat "$MDEV/$u2/queue_pairs")"

refused "malformed UUID" 2 "UUID" "$CLI" create "$B" --uuid not-a-uuid
refused "UUID already exists" 1 "$u2" "$CLI" create "$B" --uuid "$u2"
refused "unknown type" 1 "type" "$CLI" create "$B" --type nvme-3q
refused "namespace does not exist" 1 "namespace" "$CLI" create "$B" --nsid 7
refused "slice outside the namespace" 1 "namespace|outside|fit" \
	"$CLI" create "$B" --nsid 2 --lba-start 524000 --lba-count 1000
refused "slice overlapping another" 1 "overlap" \
	"$CLI" create "$B" --nsid 2 --lba-start 1000 --lba-count 10
refused "whole-namespace default overlaps" 1 "overlap" "$CLI" create "$A"
refused "cpu not online" 1 "cpu|CPU" "$CLI" create "$B" --nsid 1 --cpu 999
refused "type too large for the free pool" 1 "queue|free" \
	"$CLI" create "$B" --type nvme-8q --nsid 1
refused "destroy malformed UUID" 2 "UUID" "$CLI" destroy 1234
ghost=$(cat /proc/sys/kernel/random/uuid)
refused "destroy unknown UUID" 1 "$ghost" "$CLI" destroy "$ghost"
refused "unbind with instances present" 1 "instance" "$CLI" unbind "$A"

json=$("$CLI" list --json)
tap_cond "list --json is valid JSON" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$json"
tap_cond "list --json names both instances" \
	python3 -c 'import sys; j=sys.argv[1]; sys.exit(0 if sys.argv[2] in j and sys.argv[3] in j else 1)' \
	"$json" "$u1" "$u2"
tap_cond "list shows the slice" grep -q "$u2" <<<"$("$CLI" list)"

tap_run "destroy first" "$CLI" destroy "$u1"
tap_run "destroy second" "$CLI" destroy "$u2"
tap_cond "instances are gone" test ! -e "$MDEV/$u1" -a ! -e "$MDEV/$u2"
tap_run "unbind A" "$CLI" unbind "$A"
tap_run "unbind B" "$CLI" unbind "$B"
tap_eq "A back on nvme" nvme "$(mnv_pci_driver "$A")"
tap_eq "B back on nvme" nvme "$(mnv_pci_driver "$B")"
tap_run "unload" rmmod mdev_nvme
tap_done
