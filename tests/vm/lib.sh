# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers for the VM test cases (tests/vm/*cases/*.sh): the TAP of
# tests/lib/tap.sh, the set-up steps every case takes (each one a test or
# a bail-out), and NVMe, PCI and data pattern helpers.
#
# Source it from a case with:   . "$MNV_REPO/tests/vm/lib.sh"
#
# Finish every case with tap_done: its exit status is 0 when nothing failed.
#
# This file only defines functions and variables; it does not change the
# caller's shell options, but everything here is safe under "set -u".

# Guard against double sourcing: the counters must not be reset mid-case.
if [ -n "${MNV_TAP_LIB_LOADED:-}" ]; then
	return 0
fi
MNV_TAP_LIB_LOADED=1

# The TAP functions (tap_ok, tap_fail, tap_run, tap_eq, tap_reemit, diag,
# tap_done...) are those of every shell test.
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

# --- environment checks -----------------------------------------------------

# mnv_time_scale: how many times slower than a stock kernel this L1 runs
# (mnv.time_scale=N on the kernel command line, put there by l1-tap.sh for
# the debug kernel; 1 otherwise).  Waits for guests scale with it.
mnv_time_scale() {
	local n
	n=$(sed -n 's/.*mnv\.time_scale=\([1-9][0-9]*\).*/\1/p' /proc/cmdline 2>/dev/null)
	echo "${n:-1}"
}

mnv_require_root() {
	[ "$(id -u)" -eq 0 ] || tap_skip_all "needs root"
}

# mnv_require_ko: skip the case when the module under test was not built.
mnv_require_ko() {
	[ -n "${MNV_KO:-}" ] || tap_skip_all "MNV_KO not set"
	[ -f "$MNV_KO" ] || tap_skip_all "module not built: $MNV_KO"
}

mnv_require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || tap_skip_all "missing command: $c"
	done
}

# mnv_require_client NAME: CLIENT becomes the VFIO test client
# tests/vfio/NAME; bails out if it is not built.
mnv_require_client() {
	CLIENT=$MNV_REPO/tests/vfio/$1
	[ -x "$CLIENT" ] || tap_bail "client not built: $CLIENT (make test-progs)"
}

# mnv_take_controllers BDF...: load VFIO's type1 backend and the module
# under test, and bind each controller BDF to it: one test each, bailing
# out at the first failure (nothing after it could run).
mnv_take_controllers() {
	local b
	tap_run "modprobe vfio_iommu_type1" modprobe vfio_iommu_type1 ||
		tap_bail "no vfio_iommu_type1"
	tap_run "load mdev_nvme" mnv_insmod_ko || tap_bail "insmod failed"
	for b in "$@"; do
		tap_run "bind $b to mdev_nvme" mnv_pci_bind "$b" mdev_nvme ||
			tap_bail "cannot bind $b"
	done
}

# mnv_insmod_ko [PARAM=VALUE...]: load the module under test after the
# in-tree modules it depends on (insmod does not resolve dependencies).
mnv_insmod_ko() {
	local deps d
	deps=$(modinfo -F depends "$MNV_KO" 2>/dev/null) || return 1
	for d in ${deps//,/ }; do
		modprobe "$d" || return 1
	done
	insmod "$MNV_KO" "$@"
}

# --- NVMe / PCI helpers -----------------------------------------------------

# QEMU's emulated NVMe controller.
MNV_NVME_VENDOR=0x1b36
MNV_NVME_DEVICE=0x0010

# mnv_nvme_bdfs: BDFs of the emulated NVMe controllers, in bus order (which
# is the order of the -device options: run-l1.sh gives them fixed slots).
mnv_nvme_bdfs() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ -r "$d/vendor" ] || continue
		[ "$(cat "$d/vendor")" = "$MNV_NVME_VENDOR" ] || continue
		[ "$(cat "$d/device")" = "$MNV_NVME_DEVICE" ] || continue
		basename "$d"
	done | sort
}

# mnv_pci_driver BDF: name of the driver bound to BDF (empty if none).
mnv_pci_driver() {
	local link=/sys/bus/pci/devices/$1/driver
	[ -e "$link" ] || return 0
	basename "$(readlink -f "$link")"
}

# mnv_pci_unbind BDF: detach BDF from whatever driver owns it.
mnv_pci_unbind() {
	local dev=/sys/bus/pci/devices/$1
	[ -e "$dev/driver" ] || return 0
	echo "$1" >"$dev/driver/unbind"
}

# mnv_mdev_create BDF UUID NQ NSID START COUNT: create instance UUID of
# type nvme-NQq on controller BDF, on LBAs [START, +COUNT) of namespace NSID.
mnv_mdev_create() {
	echo "$2" >"/sys/bus/pci/devices/$1/mdev_supported_types/mdev_nvme-${3}q/create" &&
		echo "$4" >"/sys/bus/mdev/devices/$2/nsid" &&
		echo "$5" >"/sys/bus/mdev/devices/$2/lba_start" &&
		echo "$6" >"/sys/bus/mdev/devices/$2/lba_count"
}

# mnv_pci_bind BDF DRIVER: bind BDF to DRIVER through driver_override, so
# that no other driver grabs it in between.  The override stays set: clear
# it with mnv_pci_bind BDF "" (which rebinds to the default driver).
mnv_pci_bind() {
	local bdf=$1 drv=$2 dev=/sys/bus/pci/devices/$1
	mnv_pci_unbind "$bdf" || return 1
	if [ -n "$drv" ]; then
		echo "$drv" >"$dev/driver_override" || return 1
	else
		echo >"$dev/driver_override" || return 1
	fi
	echo "$bdf" >/sys/bus/pci/drivers_probe || return 1
	[ -z "$drv" ] || [ "$(mnv_pci_driver "$bdf")" = "$drv" ]
}

# mnv_nvme_ctrl BDF: the nvme driver's controller name (nvme0...) for BDF.
mnv_nvme_ctrl() {
	local c
	for c in /sys/bus/pci/devices/"$1"/nvme/nvme*; do
		[ -e "$c" ] && basename "$c"
	done
	return 0
}

# mnv_nvme_namespaces BDF: block devices (/dev/nvmeXnY) of BDF's namespaces,
# in NSID order.  With NVMe multipath (Debian enables it) the controller
# holds hidden path devices nvmeXcZnY while the usable disk is the head
# nvmeXnY.  The Y in a name is an instance number, not the NSID: namespaces
# scanned in parallel may get them in any order, hence the sort by NSID.
mnv_nvme_namespaces() {
	local ctrl ns name nsid
	ctrl=$(mnv_nvme_ctrl "$1")
	[ -n "$ctrl" ] || return 0
	for ns in /sys/class/nvme/"$ctrl"/nvme*n*; do
		[ -e "$ns" ] || continue
		nsid=$(cat "$ns/nsid" 2>/dev/null || echo 0)
		name=$(basename "$ns")
		if [[ $name =~ ^nvme([0-9]+)c[0-9]+n([0-9]+)$ ]]; then
			name=nvme${BASH_REMATCH[1]}n${BASH_REMATCH[2]}
		fi
		echo "$nsid /dev/$name"
	done | sort -n | cut -d' ' -f2
}

# mnv_wait_file PATH [SECONDS]: wait until PATH exists.
mnv_wait_file() {
	local path=$1 t=$((${2:-10} * 10))
	while [ "$t" -gt 0 ]; do
		[ -e "$path" ] && return 0
		sleep 0.1
		t=$((t - 1))
	done
	[ -e "$path" ]
}

# mnv_wait_blockdev DEV [SECONDS]: wait for a block device node (devtmpfs
# creates it; there is no udev in the VM).
mnv_wait_blockdev() {
	local dev=$1 t=$((${2:-10} * 10))
	while [ "$t" -gt 0 ]; do
		[ -b "$dev" ] && return 0
		sleep 0.1
		t=$((t - 1))
	done
	[ -b "$dev" ]
}

# mnv_wait_namespaces BDF COUNT [SECONDS]: wait until BDF shows COUNT
# namespaces with their block device nodes (namespace scan is async).
mnv_wait_namespaces() {
	local bdf=$1 want=$2 t=$((${3:-20} * 10)) devs d n
	while :; do
		devs=$(mnv_nvme_namespaces "$bdf")
		n=0
		for d in $devs; do
			[ -b "$d" ] && n=$((n + 1))
		done
		[ "$n" -ge "$want" ] && return 0
		[ "$t" -le 0 ] && return 1
		sleep 0.1
		t=$((t - 1))
	done
}

# --- data pattern helpers ---------------------------------------------------

# Scratch directory for pattern files (tmpfs in the VM).
_mnv_scratch() {
	local d=${MNV_TMP:-${TMPDIR:-/tmp}}
	mkdir -p "$d" && printf '%s' "$d"
}

# mnv_pattern_gen FILE TAG LBA NLB LBS: write NLB blocks of LBS bytes to
# FILE.  Every block carries TAG and its own LBA, so data that lands at the
# wrong offset or on the wrong namespace is caught, not just lost data.
mnv_pattern_gen() {
	awk -v tag="$2" -v lba="$3" -v n="$4" -v bs="$5" 'BEGIN {
		for (i = 0; i < n; i++) {
			s = sprintf("mnv tag=%s lba=%d |", tag, lba + i)
			while (length(s) < bs)
				s = s s
			printf "%s\n", substr(s, 1, bs - 1)
		}
	}' >"$1"
}

# mnv_lbs DEV: logical block size of DEV in bytes.
mnv_lbs() {
	blockdev --getss "$1"
}

# mnv_pattern_write DEV LBA NLB TAG: write the pattern with O_DIRECT.
mnv_pattern_write() {
	local dev=$1 lba=$2 nlb=$3 tag=$4 lbs f rc
	lbs=$(mnv_lbs "$dev") || return 1
	f=$(mktemp "$(_mnv_scratch)/mnv-pattern.XXXXXX") || return 1
	rc=0
	mnv_pattern_gen "$f" "$tag" "$lba" "$nlb" "$lbs" &&
		dd if="$f" of="$dev" bs=64K oflag=direct,seek_bytes \
			seek=$((lba * lbs)) conv=fsync status=none || rc=1
	rm -f "$f"
	return "$rc"
}

# _mnv_pattern_report WANT GOT LBA LBS: describe the first mismatch.
_mnv_pattern_report() {
	local want=$1 got=$2 lba=$3 lbs=$4 msg off blk
	msg=$(cmp "$want" "$got" 2>&1)
	echo "pattern mismatch: $msg" >&2
	off=$(printf '%s' "$msg" | sed -n 's/.* differ: byte \([0-9]*\).*/\1/p')
	[ -n "$off" ] || return 0
	blk=$(((off - 1) / lbs))
	echo "first bad block: LBA $((lba + blk))" >&2
	echo "expected: $(dd if="$want" bs="$lbs" skip="$blk" count=1 status=none | head -c 48)" >&2
	echo "actual (first 48 bytes):" >&2
	dd if="$got" bs="$lbs" skip="$blk" count=1 status=none | head -c 48 | od -A d -c >&2
}

# mnv_pattern_verify DEV LBA NLB TAG: read back with O_DIRECT and compare.
# On mismatch, print the first differing bytes on stderr.
mnv_pattern_verify() {
	local dev=$1 lba=$2 nlb=$3 tag=$4 lbs f rc
	lbs=$(mnv_lbs "$dev") || return 1
	f=$(mktemp "$(_mnv_scratch)/mnv-pattern.XXXXXX") || return 1
	if ! mnv_pattern_gen "$f.want" "$tag" "$lba" "$nlb" "$lbs"; then
		rm -f "$f" "$f.want"
		return 1
	fi
	if ! dd if="$dev" of="$f" bs=64K iflag=direct,skip_bytes,count_bytes \
		skip=$((lba * lbs)) count=$((nlb * lbs)) status=none; then
		rm -f "$f" "$f.want"
		return 1
	fi
	rc=0
	if ! cmp -s "$f.want" "$f"; then
		rc=1
		_mnv_pattern_report "$f.want" "$f" "$lba" "$lbs"
	fi
	rm -f "$f" "$f.want"
	return "$rc"
}
