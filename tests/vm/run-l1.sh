#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run-l1.sh [OPTIONS] CASE.sh...
#
# Boot an L1 VM (QEMU/TCG) on a Debian kernel of this machine, with the
# host's / as read-only 9p root and two emulated NVMe controllers, and run
# the given case scripts inside it (tests/vm/in-vm-runner.sh).  Results land
# in the output directory; tests/vm/tap-aggregate.sh turns them into TAP.
#
# Options:
#   --kver KVER         kernel to boot (default: running kernel); uses
#                       /boot/vmlinuz-KVER and /lib/modules/KVER
#   --kernel IMAGE      boot IMAGE instead of /boot/vmlinuz-KVER
#   --out DIR           results directory (default build/vm-results/KVER);
#                       emptied first
#   --timeout SEC       kill the VM after SEC seconds (default 1500)
#   --case-timeout SEC  per-case limit inside the VM (default 600)
#   --boot-timeout SEC  kill the VM if its runner has not started SEC
#                       seconds after QEMU did (default 600)
#   --mem MB            guest memory (default 3072)
#   --smp N             guest CPUs (default 2)
#   --iommu             q35 + emulated Intel IOMMU, intel_iommu=on
#   --machine TYPE      QEMU machine type (default pc, q35 with --iommu)
#   --ko PATH           module under test (default
#                       build/KVER/mdev_nvme/mdev_nvme.ko in the repo)
#   --append ARGS       extra kernel command line arguments
#   --qemu-arg ARG      extra QEMU argument, e.g. "-d cpu_reset" (repeatable)
#   --no-mem-debug      boot without slub_debug and KFENCE (measurements)
#   --throttle-iops N   controller 1's namespaces serve N commands a second
#                       together (QEMU drive throttling): a slow drive
#   --hotplug           a third controller (serial MNV0003, id "nvhp",
#                       one 256 MiB namespace) behind a PCIe root port
#                       with native hot-plug (q35), a QMP monitor and the
#                       host action channel below, so that a case can
#                       have it removed from the running VM
#   --shell             interactive shell in the VM instead of the runner
#                       (console on this terminal, no timeout)
#
# Host action channel (--hotplug): a case asks the host to act on the VM
# by writing one QMP command (a JSON object on one line) to
# $MNV_OUT/host-action/N.req, N a number it has not used before; a
# watcher started next to QEMU sends it to the monitor and writes QEMU's
# reply line to N.ack (the file appears complete: written aside, then
# renamed).  E.g. {"execute": "device_del", "arguments": {"id": "nvhp"}}.
#
# Environment: MNV_DISK_DIR, where the emulated namespaces' images are
# created (default build/vm/disks; a tmpfs keeps the host's page cache
# writeback out of write measurements).
#
# Exit status: 0 when the VM ran the runner to its end (whatever the case
# results), 1 on usage or setup errors, 2 when the VM died, timed out or
# never produced results.
set -uo pipefail

SELF=$(readlink -f "$0")
VMDIR=$(dirname "$SELF")
REPO=$(cd "$VMDIR/../.." && pwd)
BUILD=${MNV_BUILD_DIR:-$REPO/build}

# Fixed guest-side facts shared with mkinitramfs.sh's /init and the runner.
GUEST_OUT=/run/mnv-out
RESULTS_MARK=.mnv-vm-results

die() {
	echo "run-l1: error: $*" >&2
	exit 1
}

log() {
	echo "run-l1: $*" >&2
}

usage() {
	sed -n '3,/^set -uo/{/^set/d;s/^# \{0,1\}//;p}' "$SELF" >&2
	exit 1
}

kver=$(uname -r)
kernel=
out=
timeout=1500
case_timeout=600
boot_timeout=600
mem=3072
smp=2
iommu=0
machine=
ko=
append=
mem_debug=1
throttle=
hotplug=0
qemu_extra=()
shell=0
cases=()

need_arg() {
	if [ $# -lt 2 ] || [ -z "$2" ]; then
		die "option $1 needs an argument"
	fi
}

while [ $# -gt 0 ]; do
	case "$1" in
	--kver) need_arg "$@"; kver=$2; shift 2 ;;
	--kernel) need_arg "$@"; kernel=$2; shift 2 ;;
	--out) need_arg "$@"; out=$2; shift 2 ;;
	--timeout) need_arg "$@"; timeout=$2; shift 2 ;;
	--case-timeout) need_arg "$@"; case_timeout=$2; shift 2 ;;
	--boot-timeout) need_arg "$@"; boot_timeout=$2; shift 2 ;;
	--mem) need_arg "$@"; mem=$2; shift 2 ;;
	--smp) need_arg "$@"; smp=$2; shift 2 ;;
	--iommu) iommu=1; shift ;;
	--machine) need_arg "$@"; machine=$2; shift 2 ;;
	--ko) need_arg "$@"; ko=$2; shift 2 ;;
	--append) need_arg "$@"; append=$2; shift 2 ;;
	--qemu-arg) need_arg "$@"; qemu_extra+=("$2"); shift 2 ;;
	--no-mem-debug) mem_debug=0; shift ;;
	--throttle-iops) need_arg "$@"; throttle=$2; shift 2 ;;
	--hotplug) hotplug=1; shift ;;
	--shell) shell=1; shift ;;
	-h|--help) usage ;;
	--) shift; cases+=("$@"); break ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) cases+=("$1"); shift ;;
	esac
done

for n in "$timeout" "$case_timeout" "$boot_timeout" "$mem" "$smp" ${throttle:+"$throttle"}; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $n"
done
[ "$shell" -eq 1 ] || [ ${#cases[@]} -gt 0 ] || die "no case scripts given"

# --- host prerequisites -------------------------------------------------------

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not installed"
command -v qemu-img >/dev/null || die "qemu-img not installed (qemu-utils)"
[ -n "$kernel" ] || kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || die "kernel image $kernel not found (is the kernel installed?)"
[ -n "$ko" ] || ko=$REPO/build/$kver/mdev_nvme/mdev_nvme.ko
ko=$(readlink -m "$ko")
[ -n "$out" ] || out=$BUILD/vm-results/$kver
out=$(readlink -m "$out")
# Hot-plug needs a PCIe root port, so a q35 machine.
[ -n "$machine" ] || { [ "$iommu" -eq 1 ] || [ "$hotplug" -eq 1 ] &&
	machine=q35 || machine=pc; }

# Paths travel to the guest through vm.env and the kernel command line;
# keep them to characters that need no quoting anywhere.
safe_path() {
	[[ $1 =~ ^[A-Za-z0-9_./+:=@,-]+$ ]] || die "unsupported characters in path: $1"
}
safe_path "$REPO"
safe_path "$out"

# Inside the VM /tmp, /run, /var/tmp, /dev, /proc and /sys are the guest's
# own, so host files there are invisible to it.
hidden_in_guest() {
	case "$1" in
	/tmp/*|/run/*|/var/tmp/*|/dev/*|/proc/*|/sys/*) return 0 ;;
	esac
	return 1
}
# A repository there (a clone under /tmp) is shared on its own and
# mounted back at the same path once the guest has its own /tmp; the
# results directory is always shared on its own (GUEST_OUT).
repo_share=0
hidden_in_guest "$REPO/" && repo_share=1
case "$REPO/" in
/dev/*|/proc/*|/sys/*) die "the repository ($REPO) cannot live under /dev, /proc or /sys" ;;
esac

# --- one VM at a time ---------------------------------------------------------

# The machine has two cores: two TCG guests at once would make both crawl and
# trip timeouts.  Runs from any checkout sharing this build dir serialise
# here (the lock is held until QEMU exits: it inherits the descriptor).
mkdir -p "$BUILD/vm" || die "cannot create $BUILD/vm"
exec 9>"$BUILD/vm/run.lock"
if ! flock -n 9; then
	log "another VM run holds $BUILD/vm/run.lock; waiting (at most 2 h)"
	flock -w 7200 9 || die "timed out waiting for $BUILD/vm/run.lock"
fi

# --- output directory ---------------------------------------------------------

# Emptying a directory the user named is dangerous: only do it for an empty
# directory or for one this script created before (it carries a marker).
if [ -e "$out" ]; then
	[ -d "$out" ] || die "$out exists and is not a directory"
	if [ -n "$(ls -A "$out")" ] && [ ! -e "$out/$RESULTS_MARK" ]; then
		die "$out is not empty and was not made by run-l1.sh; refusing to wipe it"
	fi
	rm -rf "$out" || die "cannot clean $out"
fi
mkdir -p "$out/cases" || die "cannot create $out"
touch "$out/$RESULTS_MARK"

# --- case list ------------------------------------------------------------------

# Each case runs from its place in the host tree, except cases under paths
# the guest hides, which are copied to the results share.
declare -A names=()
: >"$out/cases.list"
for c in "${cases[@]}"; do
	[ -f "$c" ] || die "case script not found: $c"
	abs=$(readlink -f "$c")
	name=$(basename "$abs")
	name=${name%.sh}
	[[ $name =~ ^[A-Za-z0-9_.+-]+$ ]] || die "bad case name '$name' (from $c)"
	[ -z "${names[$name]:-}" ] || die "two cases named $name"
	names[$name]=1
	if hidden_in_guest "$abs"; then
		cp "$abs" "$out/cases/$name.sh" || die "cannot copy $abs"
		guest_path=$GUEST_OUT/cases/$name.sh
	else
		safe_path "$abs"
		guest_path=$abs
	fi
	printf '%s %s\n' "$name" "$guest_path" >>"$out/cases.list"
done

guest_ko=$ko
if hidden_in_guest "$ko" && [ -f "$ko" ]; then
	cp "$ko" "$out/cases/" || die "cannot copy $ko"
	guest_ko=$GUEST_OUT/cases/$(basename "$ko")
fi
safe_path "$guest_ko"

# Quote a value for both bash and busybox sh (the guest /init sources it).
shq() {
	printf "'%s'" "${1//\'/\'\\\'\'}"
}

{
	echo "# Generated by run-l1.sh; sourced by the guest /init and runner."
	echo "MNV_RUNNER=$(shq "$VMDIR/in-vm-runner.sh")"
	echo "MNV_REPO=$(shq "$REPO")"
	echo "MNV_REPO_SHARE=$repo_share"
	echo "MNV_KO=$(shq "$guest_ko")"
	echo "MNV_CLI=$(shq "$REPO/tools/mdev-nvme")"
	echo "MNV_OUT=$(shq "$GUEST_OUT")"
	echo "MNV_HOST_KVER=$(shq "$kver")"
	echo "MNV_CASE_TIMEOUT=$(shq "$case_timeout")"
	echo "MNV_VM_TIMEOUT=$(shq "$timeout")"
} >"$out/vm.env"
echo "$kver" >"$out/kver"

# --- initramfs and disks ----------------------------------------------------------

initrd=$BUILD/vm/initramfs-$kver.cpio.gz
"$VMDIR/mkinitramfs.sh" "$kver" "$initrd" || die "initramfs build failed"

# Fresh sparse images each run, so every run starts from zeroed disks.
# The drives take discards (discard=unmap): a deallocated range becomes a
# hole in the image and reads back as zeroes, as the namespaces' DLFEAT
# announces.
disks=${MNV_DISK_DIR:-$BUILD/vm/disks}
mkdir -p "$disks" || die "cannot create $disks"
mkdisk() {
	rm -f "$disks/$1"
	truncate -s "$2" "$disks/$1" || die "cannot create $disks/$1"
}
mkdisk nvme0-ns1.img 1G
mkdisk nvme1-ns1.img 512M
mkdisk nvme1-ns2.img 256M
[ "$hotplug" -eq 1 ] && mkdisk nvme2-ns1.img 256M

# --- QEMU command line -------------------------------------------------------------

# A slow drive on demand: both namespaces of controller 1 share one
# throttle group, so commands of every instance there queue behind each
# other as on a busy drive.
slow=
[ -n "$throttle" ] &&
	slow=",throttling.iops-total=$throttle,throttling.group=nvme1"

# A soft lockup panics (and so ends the VM) at once: waiting for the
# timeout would only burn the time budget of the whole test run.
cmdline="console=ttyS0,115200 panic=1 softlockup_panic=1 log_buf_len=4M"
# Stock kernels catch some memory bugs too: SLUB sanity checks, red zones,
# poisoning and owner tracking (a report is a "BUG <cache>" block, which
# check-klog.sh fails on), and KFENCE sampling where the kernel has it
# (Debian builds it with the sampling interval 0, i.e. off).  slub_debug
# covers the kmalloc caches: every allocation of the module (kzalloc,
# kcalloc) and of the VFIO, mdev and nvme code it works with.  On every
# cache it made the shell-heavy cases 2-3 times slower under TCG (fork and
# exec allocate from dozens of other caches); on kmalloc-* it costs little.
if [ "$mem_debug" -eq 1 ]; then
	cmdline="$cmdline slub_debug=FZPU,kmalloc-*"
	config=/boot/config-$kver
	if [ ! -r "$config" ] || grep -q '^CONFIG_KFENCE=y' "$config"; then
		cmdline="$cmdline kfence.sample_interval=10"
	fi
fi
[ "$iommu" -eq 1 ] && cmdline="$cmdline intel_iommu=on"
[ "$shell" -eq 1 ] && cmdline="$cmdline mnv_shell=1"
[ -n "$append" ] && cmdline="$cmdline $append"

# shellcheck disable=SC2054 # commas are QEMU's, not array separators
qemu=(
	qemu-system-x86_64
	-machine "$machine"
	-accel tcg,thread=multi
	-cpu max
	-smp "$smp"
	-m "$mem"
	-nographic -nodefaults -no-user-config
	-no-reboot	# a panic (panic=1) or reboot ends the VM
	-kernel "$kernel"
	-initrd "$initrd"
	-append "$cmdline"
	-nic none
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$out,mount_tag=mnvout,security_model=none,multidevs=remap"
	# Controller 0: one namespace, 16 I/O queue pairs.  Fixed slots keep
	# the BDFs (and so MNV_BDFS order) stable: 00:10.0 then 00:11.0.
	-drive "file=$disks/nvme0-ns1.img,if=none,id=nvd0,format=raw,discard=unmap"
	-device "nvme,id=nvme0,serial=MNV0001,max_ioqpairs=16,drive=nvd0,addr=0x10"
	# Controller 1: two namespaces, 8 I/O queue pairs, and transfers up
	# to 1 MiB (MDTS 2^8 pages; QEMU's default is 512 KiB).
	-drive "file=$disks/nvme1-ns1.img,if=none,id=nvd1,format=raw,discard=unmap$slow"
	-drive "file=$disks/nvme1-ns2.img,if=none,id=nvd2,format=raw,discard=unmap$slow"
	-device "nvme,id=nvme1,serial=MNV0002,max_ioqpairs=8,mdts=8,addr=0x11"
	-device "nvme-ns,bus=nvme1,drive=nvd1,nsid=1"
	-device "nvme-ns,bus=nvme1,drive=nvd2,nsid=2"
)
# shellcheck disable=SC2054
[ "$iommu" -eq 1 ] && qemu+=(-device intel-iommu,intremap=off)
[ "$repo_share" -eq 1 ] &&
	qemu+=(-virtfs "local,path=$REPO,mount_tag=mnvrepo,security_model=none,readonly=on,multidevs=remap")

# The hot-pluggable controller sits on a root port of its own.  ACPI
# hot-plug of bridges is turned off, so that the guest's pciehp owns the
# slot, as on a server's NVMe bay.  Its BDF (bus 1) sorts after the other
# two in MNV_BDFS.
qmp_sock=
if [ "$hotplug" -eq 1 ]; then
	# A unix socket path is limited to 108 bytes: keep it short.
	qmp_sock=$(mktemp -u /tmp/mnv-qmp.XXXXXX)
	# shellcheck disable=SC2054
	qemu+=(
		-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off
		-device "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1,addr=0x1c"
		-drive "file=$disks/nvme2-ns1.img,if=none,id=nvd3,format=raw,discard=unmap"
		-device "nvme,id=nvhp,serial=MNV0003,max_ioqpairs=8,drive=nvd3,bus=rp1"
		-qmp "unix:$qmp_sock,server=on,wait=off"
	)
fi

if [ "$shell" -eq 1 ]; then
	log "interactive VM on $kver (Ctrl-A X quits QEMU)"
	exec "${qemu[@]}" -serial mon:stdio
fi

# QEMU reports what a driver does wrong to its emulated devices (a doorbell
# of a queue that does not exist, a write to a BAR while its memory
# decoding is off) as guest errors: tap-aggregate.sh fails the run on
# them.
qemu+=(-d guest_errors -D "$out/qemu-guest-errors.log")
qemu+=(-serial "file:$out/console.log" -monitor none "${qemu_extra[@]}")
printf '%q ' "${qemu[@]}" >"$out/qemu.cmd"
echo >>"$out/qemu.cmd"

# host_action_watch DIR SOCKET: serve the host action channel (see the
# top) until killed.  Each request gets its own monitor connection.
host_action_watch() {
	local dir=$1 sock=$2 req n
	while :; do
		for req in "$dir"/*.req; do
			[ -e "$req" ] || continue
			n=$(basename "$req" .req)
			[ -e "$dir/$n.ack" ] && continue
			python3 - "$sock" "$(head -n 1 "$req")" >"$dir/.$n.ack" 2>&1 <<'PYEOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()                     # the greeting
def ask(cmd):
    f.write(json.dumps(cmd) + "\n")
    f.flush()
    while True:                  # events may come before the reply
        line = f.readline()
        if not line:
            sys.exit("monitor closed the connection")
        reply = json.loads(line)
        if "return" in reply or "error" in reply:
            return line.strip()
ask({"execute": "qmp_capabilities"})
print(ask(json.loads(sys.argv[2])))
PYEOF
			mv "$dir/.$n.ack" "$dir/$n.ack"
			log "host action $n: $(head -n 1 "$req") -> $(head -c 200 "$dir/$n.ack")"
		done
		sleep 0.2
	done
}

# boot_watch PID: a kernel that hangs while booting (seen with the debug
# kernel under TCG: no message after "Running RCU-tasks wait API self
# tests") would otherwise hold the machine for the whole --timeout.  The
# runner creates runner.log as soon as it starts; kill QEMU (through
# PID, its timeout wrapper) if that has not happened in time.
boot_watch() {
	local waited=0
	while [ ! -e "$out/runner.log" ]; do
		kill -0 "$1" 2>/dev/null || return 0
		if [ "$waited" -ge "$boot_timeout" ]; then
			echo "$boot_timeout" >"$out/boot.timeout"
			kill "$1"
			return 0
		fi
		sleep 5
		waited=$((waited + 5))
	done
}

log "booting $kver (machine $machine, ${mem} MiB, timeout ${timeout}s), ${#cases[@]} case(s), results in $out"
start=$(date +%s)
watcher=
if [ "$hotplug" -eq 1 ]; then
	mkdir -p "$out/host-action" || die "cannot create $out/host-action"
	host_action_watch "$out/host-action" "$qmp_sock" &
	watcher=$!
fi
timeout --kill-after=15 "$timeout" "${qemu[@]}" </dev/null >"$out/qemu.log" 2>&1 &
qemu_pid=$!
boot_watch "$qemu_pid" &
boot_watcher=$!
wait "$qemu_pid"
rc=$?
kill "$boot_watcher" 2>/dev/null
wait "$boot_watcher" 2>/dev/null
if [ -n "$watcher" ]; then
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	rm -f "$qmp_sock"
fi
elapsed=$(($(date +%s) - start))
echo "$rc" >"$out/qemu.rc"
echo "$elapsed" >"$out/vm.seconds"

status=0
if [ -e "$out/boot.timeout" ]; then
	log "VM killed: its runner had not started after ${boot_timeout}s"
	echo boot-timeout >"$out/vm.status"
	status=2
elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	log "VM killed after ${timeout}s timeout"
	echo timeout >"$out/vm.status"
	status=2
elif [ "$rc" -ne 0 ]; then
	log "QEMU exited with status $rc:"
	sed 's/^/run-l1:   /' "$out/qemu.log" >&2
	echo "qemu-exit-$rc" >"$out/vm.status"
	status=2
elif grep -q 'Kernel panic' "$out/console.log" 2>/dev/null; then
	log "guest kernel panicked"
	echo panic >"$out/vm.status"
	status=2
elif [ ! -e "$out/runner.done" ]; then
	log "VM ended without the runner finishing"
	echo incomplete >"$out/vm.status"
	status=2
else
	echo ok >"$out/vm.status"
fi
log "VM ran ${elapsed}s, status $(cat "$out/vm.status")"
exit "$status"
