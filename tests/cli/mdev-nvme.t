#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Tests of tools/mdev-nvme against a fake sysfs tree (TAP output).
#
#   prove tests/cli/            (from the top of the repository)
#
# Needs neither root, nor the module, nor a VM.  The tool is built with
# tools/Makefile and pointed at a temporary tree through MNV_SYSFS_ROOT.
#
# What is simulated: a fake tree has no kernel behind it, so writes are
# given one by fake_kernel.c, LD_PRELOADed into the tool.  It acts on
# unbind, drivers_probe, create, remove and the instance attributes the way
# Documentation/sysfs.rst describes (our reading of it, not the module),
# logs every write, and can be told to fail a write with a given errno
# (MNV_FAKE_FAIL) so that the tool's handling of kernel refusals is covered.
# The real module is exercised by the VM tests.

# shellcheck disable=SC2317 # the c_* checks are called through $CASES
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
TOOL=$TOP/tools/mdev-nvme

# The shell TAP helpers (tap_ok, tap_fail, diag, ...) of all the tests
# shellcheck source-path=SCRIPTDIR source=../vm/lib.sh
. "$TOP/tests/vm/lib.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/mnv-cli.XXXXXX") || tap_bail "mktemp"
trap 'rm -rf "$T"' EXIT

if ! make -s -C "$TOP/tools" >"$T/build.log" 2>&1; then
	diag "$(cat "$T/build.log")"
	tap_bail "building tools/mdev-nvme failed"
fi
SHIM=$T/fake_kernel.so
if ! ${CC:-gcc} -O2 -Wall -Wextra -shared -fPIC -o "$SHIM" "$HERE/fake_kernel.c" -ldl \
		>"$T/build.log" 2>&1; then
	diag "$(cat "$T/build.log")"
	tap_bail "building tests/cli/fake_kernel.c failed"
fi

UA=11111111-1111-4111-8111-111111111111		# 05:00.0, 2q, ns 1 [0, 1000)
UB=22222222-2222-4222-8222-222222222222		# 05:00.0, 1q, ns 2 [1000, end)
UG=33333333-3333-4333-8333-333333333333		# a GPU's mdev, not ours
UR=0f1e2d3c-4b5a-4697-8877-665544332211		# what /proc hands out
UN=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee		# free for --uuid

TPL=$T/template
R=$T/root

# ---------------------------------------------------------------------------
# The fake tree

# mk_pci BDF CLASS [DRIVER]
mk_pci() {
	local d=$TPL/sys/devices/pci0000:00/$1

	mkdir -p "$d"
	echo "$2" >"$d/class"
	echo "(null)" >"$d/driver_override"
	ln -s "../../../devices/pci0000:00/$1" "$TPL/sys/bus/pci/devices/$1"
	if [ -n "${3:-}" ]; then
		mkdir -p "$TPL/sys/bus/pci/drivers/$3"
		ln -s "../../../bus/pci/drivers/$3" "$d/driver"
		ln -s "../../../../devices/pci0000:00/$1" "$TPL/sys/bus/pci/drivers/$3/$1"
	fi
}

# mk_mnv BDF TOTAL FREE NAMESPACES: the parent group and the types
mk_mnv() {
	local d=$TPL/sys/devices/pci0000:00/$1 n t

	mkdir -p "$d/mdev_nvme"
	echo "QEMU NVMe Ctrl" >"$d/mdev_nvme/model"
	echo "deadbeef$1" >"$d/mdev_nvme/serial"
	echo "8.0.0" >"$d/mdev_nvme/firmware"
	echo "$2" >"$d/mdev_nvme/queue_pairs_total"
	echo "$3" >"$d/mdev_nvme/queue_pairs_free"
	printf "%b" "$4" >"$d/mdev_nvme/namespaces"
	for n in 1 2 4 8; do
		[ "$n" -le "$2" ] || continue
		t=$d/mdev_supported_types/mdev_nvme-${n}q
		mkdir -p "$t/devices"
		echo "nvme-${n}q" >"$t/name"
		echo "vfio-pci" >"$t/device_api"
		echo $(($3 / n)) >"$t/available_instances"
		: >"$t/create"
	done
}

# mk_inst BDF UUID TYPE NSID START COUNT QP [OPEN]
mk_inst() {
	local d=$TPL/sys/devices/pci0000:00/$1/$2

	mkdir -p "$d"
	echo "$4" >"$d/nsid"
	echo "$5" >"$d/lba_start"
	echo "$6" >"$d/lba_count"
	echo "-1" >"$d/cpu"
	echo "$7" >"$d/queue_pairs"
	echo "1 2" >"$d/hw_qids"
	echo "${8:-0}" >"$d/open"
	echo 0 >"$d/pinned_pages"
	mkdir -p "$d/stats"
	for s in read_cmds write_cmds other_cmds read_bytes write_bytes \
		refused_cmds stray_cqes pin_hits pin_misses list_reads list_reads_rw \
		list_read_ns polls idle_sleeps irq_waits hw_naps hw_irqs guest_irqs \
		host_doorbells mmio_doorbells; do
		echo 0 >"$d/stats/$s"
	done
	: >"$d/remove"
	ln -s "../mdev_supported_types/$3" "$d/mdev_type"
	ln -s "../../../devices/pci0000:00/$1/$2" "$TPL/sys/bus/mdev/devices/$2"
	[ -d "$TPL/sys/devices/pci0000:00/$1/mdev_supported_types/$3/devices" ] &&
		ln -s "../../../$2" \
			"$TPL/sys/devices/pci0000:00/$1/mdev_supported_types/$3/devices/$2"
	return 0
}

mk_template() {
	local d

	mkdir -p "$TPL/sys/bus/pci/devices" "$TPL/sys/bus/pci/drivers" \
		"$TPL/sys/bus/mdev/devices" "$TPL/sys/block" \
		"$TPL/sys/devices/system/cpu" "$TPL/proc/sys/kernel/random"
	: >"$TPL/sys/bus/pci/drivers_probe"
	echo "0-3" >"$TPL/sys/devices/system/cpu/online"
	echo "$UR" >"$TPL/proc/sys/kernel/random/uuid"
	echo "sysfs /sys sysfs rw 0 0" >"$TPL/proc/mounts"
	printf 'Filename\tType\tSize\tUsed\tPriority\n' >"$TPL/proc/swaps"
	# The root filesystem on a disk of its own (259:9), then one mount on it.
	mkdir -p "$TPL/proc/self"
	printf '%s\n' "22 1 259:9 / / rw,relatime shared:1 - ext4 /dev/sda2 rw" \
		"23 22 0:21 / /sys rw shared:2 - sysfs sysfs rw" >"$TPL/proc/self/mountinfo"

	# Bound to mdev_nvme, two instances: 8 queue pairs, 3 taken.
	mk_pci 0000:05:00.0 0x010802 mdev_nvme
	echo mdev_nvme >"$TPL/sys/devices/pci0000:00/0000:05:00.0/driver_override"
	mk_mnv 0000:05:00.0 8 5 "1 1000000 512\n2 5000 4096\n"
	mk_inst 0000:05:00.0 "$UA" mdev_nvme-2q 1 0 1000 2
	mk_inst 0000:05:00.0 "$UB" mdev_nvme-1q 2 1000 0 1

	# Driven by nvme, with a disk and a partition.
	mk_pci 0000:06:00.0 0x010802 nvme
	d=$TPL/sys/devices/pci0000:00/0000:06:00.0/nvme/nvme0/nvme0n1
	mkdir -p "$d/holders" "$d/nvme0n1p1/holders"
	echo 1 >"$d/nvme0n1p1/partition"
	echo 259:0 >"$d/dev"
	echo 259:1 >"$d/nvme0n1p1/dev"
	ln -s ../devices/pci0000:00/0000:06:00.0/nvme/nvme0/nvme0n1 \
		"$TPL/sys/block/nvme0n1"

	# A network card, an NVMe on vfio-pci, an NVMe with no driver.
	mk_pci 0000:07:00.0 0x020000 e1000e
	mk_pci 0000:08:00.0 0x010802 vfio-pci
	mk_pci 0000:0a:00.0 0x010802

	# Bound to mdev_nvme, no instance yet.
	mk_pci 0000:09:00.0 0x010802 mdev_nvme
	echo mdev_nvme >"$TPL/sys/devices/pci0000:00/0000:09:00.0/driver_override"
	mk_mnv 0000:09:00.0 4 4 "1 2048 512\n"

	# Another driver's mdev.
	mk_pci 0000:00:02.0 0x030000 i915
	d=$TPL/sys/devices/pci0000:00/0000:00:02.0
	mkdir -p "$d/mdev_supported_types/i915-GVTg_V5_4/devices"
	mkdir -p "$d/$UG"
	: >"$d/$UG/remove"
	ln -s ../mdev_supported_types/i915-GVTg_V5_4 "$d/$UG/mdev_type"
	ln -s "../../../devices/pci0000:00/0000:00:02.0/$UG" "$TPL/sys/bus/mdev/devices/$UG"

	for d in nvme mdev_nvme e1000e vfio-pci i915; do
		: >"$TPL/sys/bus/pci/drivers/$d/bind"
		: >"$TPL/sys/bus/pci/drivers/$d/unbind"
	done
}

DEV=$R/sys/devices/pci0000:00

snapshot() {
	(cd "$R" && find . -printf '%p %y %l\n' | LC_ALL=C sort &&
		find . -type f -exec md5sum {} + | LC_ALL=C sort)
}

fresh() {
	rm -rf "$R"
	cp -a "$TPL" "$R"
	FAIL=
	WHY=
}

# run ARGS...: the tool, with the fake kernel, on the fake tree
run() {
	snapshot >"$T/before"
	: >"$T/log"
	LD_PRELOAD=$SHIM MNV_SYSFS_ROOT=$R MNV_FAKE_LOG=$T/log MNV_FAKE_FAIL=$FAIL \
		timeout 20 "$TOOL" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	return 0
}

# ---------------------------------------------------------------------------
# Checks: each returns 1 and says why in WHY

no() { WHY=$*; return 1; }

rc_is() {
	[ "$RC" -eq "$1" ] || no "exit status $RC, expected $1"
}

# err_line TEXT...: stderr is one error line mentioning every TEXT
err_line() {
	local n s

	n=$(wc -l <"$T/err")
	[ "$n" -eq 1 ] || { no "stderr has $n lines, expected 1"; return 1; }
	grep -q '^mdev-nvme: error: ' "$T/err" || { no "stderr is not an error line"; return 1; }
	for s in "$@"; do
		grep -qiF -- "$s" "$T/err" || { no "stderr lacks '$s'"; return 1; }
	done
}

err_empty() {
	[ ! -s "$T/err" ] || no "stderr not empty"
}

out_has() {
	local s

	for s in "$@"; do
		grep -qF -- "$s" "$T/out" || { no "stdout lacks '$s'"; return 1; }
	done
}

out_lacks() {
	! grep -qF -- "$1" "$T/out" || no "stdout has '$1'"
}

last_line_is() {
	[ "$(tail -n 1 "$T/out")" = "$1" ] || no "last line of stdout is not '$1'"
}

tree_same() {
	snapshot >"$T/after"
	cmp -s "$T/before" "$T/after" || no "the tree changed"
}

# Nothing in the tree changed and nothing was written.
unchanged() {
	tree_same || return 1
	[ ! -s "$T/log" ] || no "writes were made: $(tr '\n' ';' <"$T/log")"
}

log_has() {
	grep -qF -- "$1" "$T/log" || no "no write '$1' in: $(tr '\n' ';' <"$T/log")"
}

valid_json() {
	python3 -m json.tool "$T/out" >/dev/null 2>&1 || no "not valid JSON"
}

# refused STATUS TEXT...: the usual shape of a refusal
refused() {
	local rc=$1

	shift
	rc_is "$rc" && err_line "$@" && unchanged
}

# log_is LINE...: exactly these writes, in this order
log_is() {
	local want

	want=$(printf '%s\n' "$@")
	[ "$(cat "$T/log")" = "$want" ] ||
		no "writes: $(tr '\n' ';' <"$T/log") expected: $(tr '\n' ';' <<<"$want")"
}

file_is() {
	[ "$(cat "$1" 2>/dev/null)" = "$2" ] || no "${1#"$R"} is '$(cat "$1" 2>/dev/null)', expected '$2'"
}

driver_is() {
	local l

	l=$(readlink "$R/sys/bus/pci/devices/$1/driver") || l=
	[ "${l##*/}" = "$2" ] || no "$1 is bound to '${l##*/}', expected '$2'"
}

gone() {
	if [ -e "$R/sys/bus/mdev/devices/$1" ] || [ -e "$DEV/0000:05:00.0/$1" ] ||
	   [ -e "$DEV/0000:09:00.0/$1" ]; then
		no "instance $1 still exists"
	fi
}

# py CODE: python3 with the JSON of stdout as 'd'
py() {
	python3 -c "import json,sys
d = json.load(open(sys.argv[1]))
$1" "$T/out" 2>"$T/py" || no "python check failed: $(tail -n 1 "$T/py")"
}

# ---------------------------------------------------------------------------
# Cases

c_help() { run --help && rc_is 0 && out_has "Usage: mdev-nvme COMMAND" bind unbind list create destroy stats && err_empty; }
c_help_bind() { run bind --help && rc_is 0 && out_has "Usage: mdev-nvme bind" && err_empty; }
c_help_unbind() { run unbind --help && rc_is 0 && out_has "Usage: mdev-nvme unbind" && err_empty; }
c_help_list() { run list --help && rc_is 0 && out_has "Usage: mdev-nvme list" && err_empty; }
c_help_create() { run create --help && rc_is 0 && out_has "Usage: mdev-nvme create" "--lba-count" && err_empty; }
c_help_destroy() { run destroy --help && rc_is 0 && out_has "Usage: mdev-nvme destroy" && err_empty; }
c_no_command() { run && refused 2 "no command"; }
c_unknown_command() { run status "$UA" && refused 2 "unknown command 'status'"; }
c_unknown_global_option() { run --verbose && refused 2 "unknown option '--verbose'"; }

# bind
c_bind_malformed() { run bind 5:0:0.0.0 && refused 2 "not a PCI address"; }
c_bind_bad_function() { run bind 05:00.8 && refused 2 "not a PCI address"; }
c_bind_missing() { run bind && refused 2 "missing BDF"; }
c_bind_extra() { run bind 05:00.0 06:00.0 && refused 2 "unexpected argument"; }
c_bind_unknown_option() { run bind --bogus 06:00.0 && refused 2 "unknown option '--bogus'"; }
c_bind_unknown() { run bind 0000:0f:00.0 && refused 1 "no PCI device 0000:0f:00.0"; }
c_bind_not_nvme() { run bind 07:00.0 && refused 1 "0000:07:00.0 is not an NVMe controller" "0x020000"; }
c_bind_no_module() {
	rm -rf "$R/sys/bus/pci/drivers/mdev_nvme"
	run bind 06:00.0 && refused 1 "mdev_nvme module is not loaded" "modprobe mdev_nvme"
}
c_bind_already() {
	run bind 05:00.0 && rc_is 0 && err_empty && out_has "0000:05:00.0 is already bound to mdev_nvme" &&
		unchanged
}
c_bind_ok() {
	run bind 06:00.0 && rc_is 0 && err_empty && out_has "bound to mdev_nvme (was: nvme)" &&
		driver_is 0000:06:00.0 mdev_nvme &&
		file_is "$DEV/0000:06:00.0/driver_override" mdev_nvme &&
		log_is "/sys/devices/pci0000:00/0000:06:00.0/driver_override 'mdev_nvme\n'" \
			"/sys/bus/pci/drivers/nvme/unbind '0000:06:00.0'" \
			"/sys/bus/pci/drivers_probe '0000:06:00.0'"
}
c_bind_from_no_driver() {
	run bind 0000:0A:00.0 && rc_is 0 && out_has "(was: no driver)" &&
		driver_is 0000:0a:00.0 mdev_nvme &&
		log_is "/sys/devices/pci0000:00/0000:0a:00.0/driver_override 'mdev_nvme\n'" \
			"/sys/bus/pci/drivers_probe '0000:0a:00.0'"
}
c_bind_refused_restores() {
	: >"$R/sys/bus/pci/drivers/mdev_nvme/.refuse"
	run bind 06:00.0 && rc_is 1 && err_line "mdev_nvme did not take 0000:06:00.0" "bound to nvme again" &&
		driver_is 0000:06:00.0 nvme &&
		file_is "$DEV/0000:06:00.0/driver_override" "(null)" &&
		log_is "/sys/devices/pci0000:00/0000:06:00.0/driver_override 'mdev_nvme\n'" \
			"/sys/bus/pci/drivers/nvme/unbind '0000:06:00.0'" \
			"/sys/bus/pci/drivers_probe '0000:06:00.0'" \
			"/sys/devices/pci0000:00/0000:06:00.0/driver_override '\n'" \
			"/sys/bus/pci/drivers_probe '0000:06:00.0'"
}
c_bind_override_restored() {
	# A driver_override someone else set is put back as it was.
	echo nvme >"$DEV/0000:06:00.0/driver_override"
	: >"$R/sys/bus/pci/drivers/mdev_nvme/.refuse"
	run bind 06:00.0 && rc_is 1 && err_line "did not take" &&
		driver_is 0000:06:00.0 nvme && file_is "$DEV/0000:06:00.0/driver_override" nvme
}
c_bind_mounted() {
	echo "/dev/nvme0n1p1 /srv/data ext4 rw 0 0" >>"$R/proc/mounts"
	run bind 06:00.0 && refused 1 "0000:06:00.0 is in use" "nvme0n1p1 is mounted on /srv/data" "--force"
}
c_bind_held() {
	mkdir -p "$DEV/0000:06:00.0/nvme/nvme0/nvme0n1/holders/dm-0"
	run bind 06:00.0 && refused 1 "nvme0n1 is held by dm-0"
}
c_bind_swap() {
	printf '/dev/nvme0n1\tpartition\t1024\t0\t-2\n' >>"$R/proc/swaps"
	run bind 06:00.0 && refused 1 "nvme0n1 is used as swap"
}
c_bind_multipath_head_mounted() {
	local d=$DEV/0000:06:00.0/nvme/nvme0

	mv "$d/nvme0n1" "$d/nvme0c0n1"
	mv "$d/nvme0c0n1/nvme0n1p1" "$d/nvme0c0n1/nvme0c0n1p1"
	rm "$R/sys/block/nvme0n1"
	mkdir -p "$R/sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1/holders" \
		"$R/sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1/multipath"
	ln -s ../devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1 "$R/sys/block/nvme0n1"
	ln -s ../../../../../pci0000:00/0000:06:00.0/nvme/nvme0/nvme0c0n1 \
		"$R/sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1/multipath/nvme0c0n1"
	echo "/dev/nvme0n1 / xfs rw 0 0" >>"$R/proc/mounts"
	run bind 06:00.0 && refused 1 "nvme0n1 is mounted on /"
}
# root_on MAJ:MIN: the root filesystem is mounted from that device (a later
# mount on "/" hides the first).
root_on() {
	echo "40 22 $1 / / rw,relatime shared:9 - ext4 /dev/root rw" >>"$R/proc/self/mountinfo"
}
c_bind_root() {
	root_on 259:1
	echo "/dev/nvme0n1p1 / ext4 rw 0 0" >>"$R/proc/mounts"
	run bind 06:00.0 && refused 1 "0000:06:00.0 holds the root filesystem" \
		"nvme0n1p1 holds the root filesystem" "--force does not override"
}
c_bind_root_force() {
	root_on 259:1
	run bind --force 06:00.0 && refused 1 "nvme0n1p1 holds the root filesystem"
}
c_bind_root_named_dev_root() {
	# A root the kernel mounted itself reads /dev/root in /proc/mounts:
	# only the device number tells it is this controller's.
	root_on 259:0
	echo "/dev/root / ext4 rw 0 0" >>"$R/proc/mounts"
	run bind 06:00.0 && refused 1 "nvme0n1 holds the root filesystem"
}
c_bind_root_btrfs() {
	# btrfs shows an anonymous device number: the mount source tells.
	echo "41 22 0:33 /@ / rw,relatime shared:9 - btrfs /dev/nvme0n1p1 rw" \
		>>"$R/proc/self/mountinfo"
	run bind --force 06:00.0 && refused 1 "nvme0n1p1 holds the root filesystem"
}
c_bind_root_under_lvm() {
	local d=$DEV/0000:06:00.0/nvme/nvme0/nvme0n1/nvme0n1p1/holders/dm-0

	mkdir -p "$d/holders/dm-1"
	echo 253:0 >"$d/dev"
	echo 253:1 >"$d/holders/dm-1/dev"
	root_on 253:1
	run bind --force 06:00.0 && refused 1 "nvme0n1p1 holds the root filesystem (through dm-1)"
}
c_bind_root_elsewhere_force() {
	# The root filesystem is on another disk: --force takes a controller
	# whose holder is not the root's.
	mkdir -p "$DEV/0000:06:00.0/nvme/nvme0/nvme0n1/holders/dm-0"
	echo 253:0 >"$DEV/0000:06:00.0/nvme/nvme0/nvme0n1/holders/dm-0/dev"
	run bind --force 06:00.0 && rc_is 0 && driver_is 0000:06:00.0 mdev_nvme
}
c_bind_force() {
	echo "/dev/nvme0n1p1 /srv/data ext4 rw 0 0" >>"$R/proc/mounts"
	run bind --force 06:00.0 && rc_is 0 && driver_is 0000:06:00.0 mdev_nvme
}

# unbind
c_unbind_malformed() { run unbind 0000:05:00 && refused 2 "not a PCI address"; }
c_unbind_missing() { run unbind && refused 2 "missing BDF"; }
c_unbind_unknown() { run unbind 0f:00.0 && refused 1 "no PCI device 0000:0f:00.0"; }
c_unbind_instances() {
	run unbind 05:00.0 && refused 1 "0000:05:00.0 still has 2 instances" "destroy them first"
}
c_unbind_other_driver() { run unbind 08:00.0 && refused 1 "bound to vfio-pci, not to mdev_nvme"; }
c_unbind_already_nvme() {
	run unbind 06:00.0 && rc_is 0 && err_empty && out_has "already bound to nvme" && unchanged
}
c_unbind_ok() {
	run unbind 09:00.0 && rc_is 0 && err_empty && out_has "now bound to nvme" &&
		driver_is 0000:09:00.0 nvme &&
		file_is "$DEV/0000:09:00.0/driver_override" "(null)" &&
		log_is "/sys/devices/pci0000:00/0000:09:00.0/driver_override '\n'" \
			"/sys/bus/pci/drivers/mdev_nvme/unbind '0000:09:00.0'" \
			"/sys/bus/pci/drivers_probe '0000:09:00.0'"
}
c_unbind_no_nvme_driver() {
	rm -rf "$R/sys/bus/pci/drivers/nvme"
	run unbind 09:00.0 && rc_is 1 && err_line "now bound to no driver" "modprobe nvme" &&
		driver_is 0000:09:00.0 ""
}

# list
c_list_text() {
	run list && rc_is 0 && err_empty &&
		out_has "0000:05:00.0: QEMU NVMe Ctrl (serial deadbeef0000:05:00.0, firmware 8.0.0)" \
			"queue pairs: 8 total, 5 free" "1000000" "4096" "nvme-8q" \
			"$UA" "$UB" "0 (to end)" "0000:09:00.0" &&
		out_lacks "0000:06:00.0" && out_lacks "$UG" &&
		{ grep -qE "nvme-2q +2 +2$" "$T/out" || no "nvme-2q row wrong"; } &&
		{ grep -qE "$UA +nvme-2q +1 +0 +1000 +any +2 +no$" "$T/out" ||
			no "instance row wrong"; }
}
c_list_json() {
	run list --json && rc_is 0 && err_empty && valid_json &&
		py '
assert d["module_loaded"] is True
c = d["controllers"]
assert [x["bdf"] for x in c] == ["0000:05:00.0", "0000:09:00.0"], c
a = c[0]
assert a["model"] == "QEMU NVMe Ctrl" and a["firmware"] == "8.0.0"
assert a["serial"] == "deadbeef0000:05:00.0"
assert a["queue_pairs_total"] == 8 and a["queue_pairs_free"] == 5
assert a["namespaces"] == [{"nsid": 1, "lba_count": 1000000, "lba_size": 512},
			   {"nsid": 2, "lba_count": 5000, "lba_size": 4096}], a["namespaces"]
assert [(t["type"], t["queue_pairs"], t["available_instances"]) for t in a["types"]] == \
	[("nvme-1q", 1, 5), ("nvme-2q", 2, 2), ("nvme-4q", 4, 1), ("nvme-8q", 8, 0)], a["types"]
i = {x["uuid"]: x for x in a["instances"]}
assert set(i) == {"'"$UA"'", "'"$UB"'"}, i
assert i["'"$UA"'"] == {"uuid": "'"$UA"'", "type": "nvme-2q", "nsid": 1, "lba_start": 0,
	"lba_count": 1000, "cpu": -1, "queue_pairs": 2, "open": False}, i["'"$UA"'"]
assert i["'"$UB"'"]["lba_count"] == 0 and i["'"$UB"'"]["nsid"] == 2
assert c[1]["instances"] == [] and len(c[1]["types"]) == 3
'
}
c_list_json_escaping() {
	printf 'Quote" Back\\slash\tTab\351\n' >"$DEV/0000:05:00.0/mdev_nvme/model"
	run list --json && rc_is 0 && valid_json &&
		py 'assert d["controllers"][0]["model"] == "Quote\" Back\\slash\tTab\u00e9", repr(d["controllers"][0]["model"])'
}
c_list_json_unreadable() {
	rm "$DEV/0000:05:00.0/$UA/open" "$DEV/0000:05:00.0/mdev_nvme/queue_pairs_free"
	run list --json && rc_is 0 &&
		py '
a = d["controllers"][0]
assert a["queue_pairs_free"] is None
assert [x["open"] for x in a["instances"]] == [None, False]'
}
c_list_none_bound() {
	rm "$R/sys/bus/pci/drivers/mdev_nvme/0000:05:00.0" "$R/sys/bus/pci/drivers/mdev_nvme/0000:09:00.0"
	run list && rc_is 0 && err_empty && out_has "no controller is bound to mdev_nvme" &&
		run list --json && rc_is 0 &&
		py 'assert d == {"module_loaded": True, "controllers": []}, d'
}
c_list_no_module() {
	rm -rf "$R/sys/bus/pci/drivers/mdev_nvme"
	run list && rc_is 0 && out_has "mdev_nvme module is not loaded" &&
		run list --json && rc_is 0 &&
		py 'assert d == {"module_loaded": False, "controllers": []}, d'
}
c_list_extra() { run list 05:00.0 && refused 2 "unexpected argument"; }
c_list_bad_option() { run list --yaml && refused 2 "unknown option '--yaml'"; }

# create: refusals
c_create_missing() { run create && refused 2 "missing BDF"; }
c_create_malformed_bdf() { run create 0000:zz:00.0 && refused 2 "not a PCI address"; }
c_create_unknown_bdf() { run create 0f:00.0 && refused 1 "no PCI device 0000:0f:00.0"; }
c_create_not_nvme() { run create 07:00.0 && refused 1 "not an NVMe controller"; }
c_create_no_module() {
	rm -rf "$R/sys/bus/pci/drivers/mdev_nvme"
	run create 06:00.0 && refused 1 "mdev_nvme module is not loaded"
}
c_create_not_bound() {
	run create 06:00.0 &&
		refused 1 "0000:06:00.0 is not bound to mdev_nvme (bind it first: mdev-nvme bind 0000:06:00.0)"
}
c_create_bad_uuid() { run create 09:00.0 --uuid 1234 && refused 2 "--uuid '1234' is not a UUID"; }
c_create_bad_uuid_chars() {
	run create 09:00.0 --uuid aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeeg && refused 2 "is not a UUID"
}
c_create_uuid_exists() { run create 09:00.0 --uuid "$UA" && refused 1 "$UA already exists"; }
c_create_uuid_exists_upper() {
	run create 09:00.0 --uuid "${UG^^}" && refused 1 "$UG already exists"
}
c_create_unknown_type() {
	run create 05:00.0 --type nvme-3q --nsid 2 --lba-count 10 &&
		refused 1 "offers no type 'nvme-3q'" "nvme-1q, nvme-2q, nvme-4q, nvme-8q"
}
c_create_type_not_offered() {
	run create 09:00.0 --type 8q && refused 1 "offers no type '8q'"
}
c_create_no_free_queues() {
	run create 05:00.0 --type nvme-8q --nsid 2 --lba-count 10 &&
		refused 1 "no free queue pairs" "nvme-8q"
}
c_create_bad_nsid() { run create 05:00.0 --nsid 3 && refused 1 "0000:05:00.0 has no namespace 3" "1, 2"; }
c_create_nsid_zero() { run create 05:00.0 --nsid 0 && refused 1 "no namespace 0"; }
c_create_nsid_malformed() { run create 05:00.0 --nsid abc && refused 2 "--nsid 'abc'"; }
c_create_nsid_missing_value() { run create 05:00.0 --nsid && refused 2 "needs a value"; }
c_create_start_outside() {
	run create 05:00.0 --lba-start 1000000 && refused 1 "lba-start 1000000 is outside namespace 1"
}
c_create_slice_outside() {
	run create 05:00.0 --lba-start 999000 --lba-count 1001 &&
		refused 1 "[999000, 1000001) are outside namespace 1" "1000000 LBAs"
}
c_create_count_zero() { run create 05:00.0 --lba-start 5000 --lba-count 0 && refused 1 "empty slice"; }
c_create_overflow() {
	run create 05:00.0 --lba-start 5000 --lba-count 18446744073709551615 && refused 1 "overflows"
}
c_create_count_too_big() {
	run create 05:00.0 --lba-count 18446744073709551616 && refused 2 "--lba-count"
}
c_create_negative_start() { run create 05:00.0 --lba-start -5 && refused 2 "--lba-start '-5'"; }
c_create_overlap() {
	run create 05:00.0 --lba-start 999 --lba-count 10 && refused 1 "overlap" "$UA" "[0, 1000)"
}
c_create_overlap_default_slice() {
	# Defaults: namespace 1 from LBA 0 to the end, which meets UA.
	run create 05:00.0 && refused 1 "overlap" "$UA"
}
c_create_overlap_to_end() {
	run create 05:00.0 --nsid 2 --lba-start 4990 --lba-count 10 &&
		refused 1 "overlap" "$UB" "[1000, 5000)" "to the end"
}
c_create_cpu_offline() { run create 09:00.0 --cpu 7 && refused 1 "CPU 7 is not online" "0-3"; }
c_create_cpu_malformed() { run create 09:00.0 --cpu x && refused 2 "--cpu 'x'"; }
c_create_cpu_negative() { run create 09:00.0 --cpu -2 && refused 2 "--cpu '-2'"; }
c_create_unknown_option() { run create 09:00.0 --size 10 && refused 2 "unknown option '--size'"; }
c_create_extra() { run create 09:00.0 05:00.0 && refused 2 "unexpected argument"; }
c_create_bad_mode() { run create 09:00.0 --mode turbo && refused 2 "--mode 'turbo' is not adaptive, poll or interrupt"; }
c_create_bad_idle() { run create 09:00.0 --idle-us 1000001 && refused 2 "--idle-us '1000001' is not a number of 0 to 1000000"; }

# create: success, with the fake kernel making the instance
c_create_defaults() {
	local i=/sys/devices/pci0000:00/0000:09:00.0/$UR

	run create 09:00.0 && rc_is 0 && err_empty && last_line_is "$UR" &&
		log_is "/sys/devices/pci0000:00/0000:09:00.0/mdev_supported_types/mdev_nvme-1q/create '$UR\n'" \
			"$i/nsid '1\n'" "$i/lba_start '0\n'" "$i/lba_count '2048\n'" "$i/cpu '-1\n'" \
			"$i/mode 'adaptive\n'" "$i/idle_us '100\n'" &&
		file_is "$R$i/lba_count" 2048 &&
		file_is "$DEV/0000:09:00.0/mdev_nvme/queue_pairs_free" 3
}
c_create_policy() {
	local i=/sys/devices/pci0000:00/0000:09:00.0/$UR

	echo 524288 >"$DEV/0000:09:00.0/mdev_nvme/default_slice_bytes" &&
		run create 09:00.0 && rc_is 0 && err_empty && last_line_is "$UR" &&
		out_has "LBAs [0, 1024) (slice policy)" &&
		log_is "/sys/devices/pci0000:00/0000:09:00.0/mdev_supported_types/mdev_nvme-1q/create '$UR\n'" \
			"$i/cpu '-1\n'" "$i/mode 'adaptive\n'" "$i/idle_us '100\n'" &&
		file_is "$R$i/lba_count" 1024
}
c_create_policy_overridden() {
	local i=/sys/devices/pci0000:00/0000:09:00.0/$UR

	echo 524288 >"$DEV/0000:09:00.0/mdev_nvme/default_slice_bytes" &&
		run create 09:00.0 --lba-start 8 && rc_is 0 && err_empty &&
		log_has "$i/nsid '1\n'" && log_has "$i/lba_start '8\n'" &&
		log_has "$i/lba_count '2040\n'"
}
c_create_explicit() {
	local i=/sys/devices/pci0000:00/0000:05:00.0/$UN

	run create 0000:05:00.0 --type nvme-2q --nsid 1 --lba-start 1000 --lba-count 24 \
		--cpu 3 --mode poll --idle-us 250 --uuid "${UN^^}" &&
		rc_is 0 && err_empty && last_line_is "$UN" && out_has "LBAs [1000, 1024)" "mode poll" &&
		log_is "/sys/devices/pci0000:00/0000:05:00.0/mdev_supported_types/mdev_nvme-2q/create '$UN\n'" \
			"$i/nsid '1\n'" "$i/lba_start '1000\n'" "$i/lba_count '24\n'" "$i/cpu '3\n'" \
			"$i/mode 'poll\n'" "$i/idle_us '250\n'" &&
		run list --json && py '
i = [x for x in d["controllers"][0]["instances"] if x["uuid"] == "'"$UN"'"][0]
assert (i["type"], i["nsid"], i["lba_start"], i["lba_count"], i["cpu"]) == ("nvme-2q", 1, 1000, 24, 3), i
assert d["controllers"][0]["queue_pairs_free"] == 3'
}
c_create_type_short() {
	run create 05:00.0 --type 2q --nsid 2 --lba-count 1000 --uuid "$UN" && rc_is 0 &&
		log_has "mdev_nvme-2q/create '$UN\n'"
}
c_create_type_dir() {
	run create 05:00.0 --type mdev_nvme-4q --nsid 2 --lba-count 1000 --uuid "$UN" && rc_is 0 &&
		log_has "mdev_nvme-4q/create '$UN\n'"
}
c_create_adjacent() {
	# [0, 1000) of namespace 2 ends where UB's [1000, end) begins.
	run create 05:00.0 --nsid 2 --lba-count 1000 --uuid "$UN" && rc_is 0 && last_line_is "$UN" &&
		log_has "$UN/lba_count '1000\n'"
}

# create: the kernel refuses; the half-made instance is removed
kernel_refuses() {
	local attr=$1 err=$2

	shift 2
	FAIL=$attr=$err
	run create 09:00.0 --uuid "$UN" && rc_is 1 && err_line "$@" || return 1
	if [ "$attr" = create ]; then
		log_is "/sys/devices/pci0000:00/0000:09:00.0/mdev_supported_types/mdev_nvme-1q/create '$UN\n'" ||
			return 1
	else
		err_line "refused $attr" "instance $UN removed" &&
			log_has "$UN/remove '1\n'" || return 1
	fi
	gone "$UN" && tree_same
}
c_create_kernel_enospc() { kernel_refuses create ENOSPC "not enough free hardware queue pairs" "ENOSPC"; }
c_create_kernel_eexist_uuid() { kernel_refuses create EEXIST "already exists"; }
c_create_kernel_erange() { kernel_refuses lba_count ERANGE "does not fit in the namespace" "ERANGE"; }
c_create_kernel_eexist() { kernel_refuses lba_count EEXIST "overlaps another instance" "EEXIST"; }
c_create_kernel_enxio_nsid() { kernel_refuses nsid ENXIO "no such namespace" "ENXIO"; }
c_create_kernel_enxio_cpu() { kernel_refuses cpu ENXIO "CPU is not online" "ENXIO"; }
c_create_kernel_ebusy() { kernel_refuses lba_start EBUSY "in use" "EBUSY"; }
c_create_rollback_fails() {
	FAIL=lba_count=ERANGE,remove=EBUSY
	run create 09:00.0 --uuid "$UN" && rc_is 1 &&
		err_line "does not fit" "removing it failed too" "mdev-nvme destroy $UN"
}

# destroy
c_destroy_missing() { run destroy && refused 2 "missing UUID"; }
c_destroy_malformed() { run destroy not-a-uuid && refused 2 "'not-a-uuid' is not a UUID"; }
c_destroy_unknown() { run destroy "$UN" && refused 1 "no mdev device $UN"; }
c_destroy_foreign() { run destroy "$UG" && refused 1 "$UG is not an mdev_nvme instance" "i915-GVTg_V5_4"; }
c_destroy_open() {
	echo 1 >"$DEV/0000:05:00.0/$UA/open"
	run destroy "$UA" && refused 1 "$UA is open by a VMM" "--force"
}
c_destroy_ok() {
	run destroy "${UA^^}" && rc_is 0 && err_empty && out_has "destroyed $UA (nvme-2q on 0000:05:00.0)" &&
		log_is "/sys/devices/pci0000:00/0000:05:00.0/$UA/remove '1\n'" && gone "$UA" &&
		file_is "$DEV/0000:05:00.0/mdev_nvme/queue_pairs_free" 7
}
c_destroy_force_open() {
	echo 1 >"$DEV/0000:05:00.0/$UA/open"
	run destroy --force "$UA" && rc_is 0 && out_has "destroyed $UA" && gone "$UA" &&
		{ grep -q "waits until it does" "$T/err" || no "no notice about the wait"; }
}
c_destroy_kernel_busy() {
	FAIL=remove=EBUSY
	run destroy "$UA" && rc_is 1 && err_line "refused to remove $UA" "EBUSY" && tree_same
}

# stats
c_stats_missing() { run stats && refused 2 "missing UUID"; }
c_stats_unknown() { run stats "$UN" && refused 1 "no mdev device $UN"; }
c_stats_foreign() { run stats "$UG" && refused 1 "$UG is not an mdev_nvme instance"; }
c_stats_text() {
	echo 4096 >"$DEV/0000:05:00.0/$UA/stats/read_bytes"
	echo 17 >"$DEV/0000:05:00.0/$UA/stats/pin_misses"
	echo 3 >"$DEV/0000:05:00.0/$UA/pinned_pages"
	echo 2 >"$DEV/0000:05:00.0/$UA/stats/stray_cqes"
	echo 40 >"$DEV/0000:05:00.0/$UA/stats/list_reads"
	echo 1 >"$DEV/0000:05:00.0/$UA/stats/list_reads_rw"
	echo 52000 >"$DEV/0000:05:00.0/$UA/stats/list_read_ns"
	run stats "$UA" && rc_is 0 && err_empty &&
		out_has "$UA (on 0000:05:00.0)" && grep -qE '^  bytes read +4096$' "$T/out" &&
		grep -qE '^  stray drive completions +2$' "$T/out" &&
		grep -qE '^  PRP list/DSM range reads +40$' "$T/out" &&
		grep -qE '^  of which through VFIO +1$' "$T/out" &&
		grep -qE '^  time reading them \(ns\) +52000$' "$T/out" &&
		grep -qE '^  pages pinned +17$' "$T/out" &&
		grep -qE '^  pages pinned now +3$' "$T/out" || no "counters not shown"
}
c_stats_json() {
	echo 9 >"$DEV/0000:05:00.0/$UA/stats/guest_irqs"
	echo 5 >"$DEV/0000:05:00.0/$UA/stats/stray_cqes"
	echo 7 >"$DEV/0000:05:00.0/$UA/stats/list_read_ns"
	run stats --json "$UA" && rc_is 0 && err_empty &&
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["guest_irqs"] == 9 and d["stray_cqes"] == 5 and d["list_read_ns"] == 7 and d["uuid"] == sys.argv[2] and d["host_doorbells"] == 0))' \
			"$T/out" "$UA" || no "JSON wrong: $(cat "$T/out")"
}
c_stats_unreadable() {
	rm "$DEV/0000:05:00.0/$UA/stats/polls"
	run stats "$UA" && rc_is 1 && err_line "cannot read stats/polls of $UA" &&
		{ [ ! -s "$T/out" ] || no "half a report printed"; }
}

# ---------------------------------------------------------------------------

# In the order of this file.
CASES=$(grep -oE '^c_[a-z0-9_]+\(\)' "$0" | tr -d '()')

mk_template
tap_plan "$(wc -w <<<"$CASES")"
for c in $CASES; do
	fresh
	if "$c"; then
		tap_ok "${c#c_}"
	else
		tap_fail "${c#c_}" "${WHY:-failed}"
		sed 's/^/# stderr: /' "$T/err"
		sed 's/^/# stdout: /' "$T/out" | head -n 20
	fi
done
tap_done
