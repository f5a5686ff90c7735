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

# Where the instances are.
# shellcheck disable=SC2034 # for the cases
MDEV=/sys/bus/mdev/devices

# mnv_case NCTRL [CLIENT]: what every case that drives the module starts
# with: root, the module built, the VFIO client tests/vfio/CLIENT (see
# mnv_require_client) and at least NCTRL emulated controllers: A is the
# first of MNV_BDFS, B the second, C the third (the hot-plug one of
# run-l1.sh --hotplug).  Bails out when one is missing.
mnv_case() {
	mnv_require_root
	mnv_require_ko
	[ -z "${2:-}" ] || mnv_require_client "$2"
	# shellcheck disable=SC2086 # one word per controller
	set -- "$1" $MNV_BDFS
	[ $# -gt "$1" ] ||
		tap_bail "needs $1 emulated NVMe controller(s), found: ${MNV_BDFS:-none}"
	# shellcheck disable=SC2034 # for the cases
	A=$2 B=${3:-} C=${4:-}
}

# mnv_require_kvm: nested KVM in this L1, for the L2 guests.
mnv_require_kvm() {
	[ -e /dev/kvm ] || modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
	[ -e /dev/kvm ] || tap_bail "no nested KVM in L1 (/dev/kvm): the L2 cases need it"
}

# --- set-up steps -------------------------------------------------------------
# Every step a case takes to set itself up is a test that must pass, or
# the case bails out: nothing after it could run (tap_setup).

# mnv_load [PARAM=VALUE...]: load VFIO's type1 backend and the module
# under test with module parameters PARAM=VALUE.
# shellcheck disable=SC2120 # the parameters are optional
mnv_load() {
	tap_setup "modprobe vfio_iommu_type1" modprobe vfio_iommu_type1
	tap_setup "load mdev_nvme${*:+ with $*}" mnv_insmod_ko "$@"
}

# mnv_bind BDF...: bind each controller BDF to the module.
mnv_bind() {
	local b
	for b in "$@"; do
		tap_setup "bind $b to mdev_nvme" mnv_pci_bind "$b" mdev_nvme
	done
}

# mnv_take_controllers BDF...: mnv_load, then mnv_bind BDF...
mnv_take_controllers() {
	# shellcheck disable=SC2119 # no module parameter
	mnv_load
	mnv_bind "$@"
}

# mnv_nvme_take BDF NS: bind BDF to the nvme driver and wait for its NS
# namespaces (the cases that write through nvme before the module).
mnv_nvme_take() {
	tap_setup "modprobe nvme" modprobe nvme
	tap_setup "bind $1 to nvme" mnv_pci_bind "$1" nvme
	tap_setup "$2 namespace(s) of $1 under nvme" mnv_wait_namespaces "$1" "$2"
}

# mnv_instance VAR BDF NQ NSID START COUNT [NAME]: create an instance of
# type nvme-NQq on BDF with a new UUID, which becomes the value of VAR,
# on LBAs [START, +COUNT) of namespace NSID; "-" for NSID, START or COUNT
# keeps what the module chose.  One set-up step, named NAME.  No local
# variables: one of the same name as VAR would take the UUID.
mnv_instance() {
	printf -v "$1" '%s' "$(cat /proc/sys/kernel/random/uuid)"
	tap_setup "${7:-"create ${3}q instance on nsid $4, LBAs [$5, +$6)"}" \
		mnv_mdev_create "$2" "${!1}" "$3" "$4" "$5" "$6"
}

# mnv_write NAME FILE VALUE: write VALUE to the sysfs attribute FILE, as a
# set-up step named NAME.
mnv_write() {
	tap_setup "$1" _mnv_write "$2" "$3"
}

_mnv_write() {
	echo "$2" >"$1"
}

# mnv_sysfs_err FILE VALUE: the error text of writing VALUE to FILE, or
# "ok" (the checks of what an attribute refuses).
mnv_sysfs_err() {
	local out
	if out=$( (echo "$2" >"$1") 2>&1); then
		echo ok
	else
		echo "${out##*: }"
	fi
}

# mnv_release BDF...: the teardown: every controller BDF back on its
# default driver, the module unloaded.  Tests, no bail-out: each step is
# worth trying.
mnv_release() {
	local b
	for b in "$@"; do
		tap_run "$b back on its default driver" mnv_pci_bind "$b" ""
	done
	tap_run "rmmod mdev_nvme" rmmod mdev_nvme
}

# mnv_guest_results FILE: the TAP a guest script (tests/vm/l2) printed in
# FILE, re-emitted as tests of this case, then one more: the guest printed
# its plan.
mnv_guest_results() {
	local line l
	while IFS= read -r line; do
		line=${line%$'\r'}
		case "$line" in
		"ok "*" - "*" # SKIP "*)
			l=${line#* - }
			tap_skip "guest: ${l%% \# SKIP *}" "${l#* \# SKIP }" ;;
		"ok "*" - "*) tap_ok "guest: ${line#* - }" ;;
		"not ok "*" - "*) tap_fail "guest: ${line#* - }" ;;
		"# "*) diag "${line#\# }" ;;
		esac
	done <"$1"
	tap_cond "guest reported its results" grep -q '^1\.\.' "$1"
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
# type nvme-NQq on controller BDF, on LBAs [START, +COUNT) of namespace
# NSID; "-" for NSID, START or COUNT leaves that attribute as it is.
mnv_mdev_create() {
	local d=/sys/bus/mdev/devices/$2
	echo "$2" >"/sys/bus/pci/devices/$1/mdev_supported_types/mdev_nvme-${3}q/create" &&
		{ [ "$4" = - ] || echo "$4" >"$d/nsid"; } &&
		{ [ "$5" = - ] || echo "$5" >"$d/lba_start"; } &&
		{ [ "$6" = - ] || echo "$6" >"$d/lba_count"; }
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

# mnv_wait SECONDS CMD...: run CMD every 0.1 s until it succeeds, for up
# to SECONDS; returns CMD's last status.
mnv_wait() {
	local t=$(($1 * 10))
	shift
	while [ "$t" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		t=$((t - 1))
	done
	"$@"
}

# mnv_wait_file PATH [SECONDS]: wait until PATH exists.
mnv_wait_file() {
	mnv_wait "${2:-10}" test -e "$1"
}

# mnv_wait_blockdev DEV [SECONDS]: wait for a block device node (devtmpfs
# creates it; there is no udev in the VM).
mnv_wait_blockdev() {
	mnv_wait "${2:-10}" test -b "$1"
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
