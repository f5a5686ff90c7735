#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Proves the test bench itself, with the stock nvme driver only: the two
# emulated controllers are there, with the expected serials, namespace
# counts and sizes, and data written to each namespace with O_DIRECT reads
# back intact, without bleeding into another namespace.  If this case fails,
# the results of every later case on the same run are suspect.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${MNV_LIB:-$MNV_REPO/tests/vm/lib.sh}"

mnv_require_root
mnv_require_cmd dd cmp awk blockdev modprobe

# Layout given by run-l1.sh: serial, namespace count, namespace sizes (MiB).
EXPECT_SERIAL=(MNV0001 MNV0002)
EXPECT_NS=(1 2)
EXPECT_MIB=("1024" "512 256")

read -r -a bdfs <<<"${MNV_BDFS:-}"
[ ${#bdfs[@]} -gt 0 ] || mapfile -t bdfs < <(mnv_nvme_bdfs)

tap_eq "two emulated NVMe controllers (1b36:0010)" 2 "${#bdfs[@]}" ||
	tap_bail "controllers missing; check the QEMU command line (qemu.cmd)"

tap_run "modprobe nvme" modprobe nvme

# Device names depend on probe order (asynchronous on 6.12), so tests are
# named after the controller and namespace index instead.
all_ns=()
labels=()
for i in 0 1; do
	bdf=${bdfs[$i]}
	tap_run "ctrl$i ($bdf) bound to nvme" \
		mnv_wait_file "/sys/bus/pci/devices/$bdf/nvme" 20
	ctrl=$(mnv_nvme_ctrl "$bdf")
	serial=$(tr -d ' ' <"/sys/class/nvme/$ctrl/serial" 2>/dev/null)
	tap_eq "ctrl$i serial" "${EXPECT_SERIAL[$i]}" "$serial"

	mnv_wait_namespaces "$bdf" "${EXPECT_NS[$i]}" 20
	mapfile -t ns < <(mnv_nvme_namespaces "$bdf")
	tap_eq "ctrl$i namespace count" "${EXPECT_NS[$i]}" "${#ns[@]}"

	read -r -a mib <<<"${EXPECT_MIB[$i]}"
	for j in "${!ns[@]}"; do
		dev=${ns[$j]}
		size=$(blockdev --getsize64 "$dev" 2>/dev/null)
		diag "ctrl$i ns$((j + 1)) is $dev"
		tap_eq "ctrl$i ns$((j + 1)) size" \
			"$((${mib[$j]:-0} * 1024 * 1024))" "${size:-none}"
		all_ns+=("$dev")
		labels+=("ctrl$i-ns$((j + 1))")
	done
done
tap_eq "3 namespaces in total" 3 "${#all_ns[@]}"

# Three ranges per namespace: the start, an unaligned range in the middle
# (crosses 4 KiB boundaries) and the very last blocks.
ranges() {
	local dev=$1 lbs nlb
	lbs=$(mnv_lbs "$dev") || return 1
	nlb=$(($(blockdev --getsize64 "$dev") / lbs))
	echo "0 64"
	echo "$((nlb / 2 + 3)) 301"
	echo "$((nlb - 16)) 16"
}

# every_range OP: OP (write or verify) the pattern of every range of
# every namespace, each tagged with its namespace.
every_range() {
	local k dev tag lba nlb
	for k in "${!all_ns[@]}"; do
		dev=${all_ns[$k]}
		tag=${labels[$k]}
		while read -r lba nlb; do
			tap_run "$1 pattern $tag lba $lba+$nlb" \
				"mnv_pattern_$1" "$dev" "$lba" "$nlb" "$tag"
		done < <(ranges "$dev")
	done
}

# Write everything first, then verify everything: a write that lands on
# the wrong namespace or offset shows up as a mismatch elsewhere.
every_range write
# Drop the page cache for good measure (O_DIRECT bypasses it anyway).
echo 3 >/proc/sys/vm/drop_caches || tap_bail "cannot drop the page cache"
every_range verify

# An untouched area must still read back as zeroes (fresh sparse images).
dev=${all_ns[0]:-}
if [ -n "$dev" ]; then
	tap_run "untouched LBAs of ctrl0-ns1 read as zeroes" \
		cmp -n 65536 <(dd if="$dev" bs=64K skip=100 count=1 iflag=direct status=none) /dev/zero
fi

tap_done
