#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The operator's path through Debian's libvirt, as Nova takes it: a real
# libvirtd (qemu:///system) lists the controller's mdev types, creates an
# instance through mdevctl with <attr> elements (nodedev-define and
# nodedev-start), and starts a domain whose <hostdev type='mdev'> names
# it.  The L2 guest's stock nvme driver runs the verified fio of
# guest-fio-verify.sh; a second domain holds the device open until
# virsh destroy, which must leave the instance closed with nothing
# pinned.  nodedev-destroy and nodedev-undefine remove the instance and
# its definition; a definition with an attribute the module refuses
# fails with the module's error and leaves nothing behind.
#
# The root is read-only in the VM: libvirt's and mdevctl's directories
# get a tmpfs each, with a configuration of the case's own (no default
# network; QEMU as root, with no cgroups, private /dev or security
# driver, since the VM has no systemd) and the project's mdevctl
# call-out where its package installs it.  udevd runs because libvirt
# learns of the instances mdevctl creates from udev events.
#
# make check-libvirt runs it on 6.1 (tests/vm/l2-libvirt-6.1.t says why
# not in make check); with l1-tap.sh 6.12 libvirt-cases it runs on 6.12.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_require_root
mnv_require_ko
mnv_require_cmd qemu-system-x86_64 libvirtd virsh mdevctl udevadm python3
UDEVD=/lib/systemd/systemd-udevd
[ -x "$UDEVD" ] || tap_skip_all "missing $UDEVD"

# shellcheck disable=SC2086 # one word per controller
set -- $MNV_BDFS
[ $# -ge 2 ] || tap_skip_all "needs two NVMe controllers"
B=$2
PCI=/sys/bus/pci/devices/$B
MDEV=/sys/bus/mdev/devices
L2=$MNV_REPO/tests/vm/l2
PARENT=pci_$(echo "$B" | tr ':.' '__')
TYPE=mdev_nvme-2q
U=0d6f8a52-3c1e-4b7a-9e2d-5f4c3b2a1001
UBAD=0d6f8a52-3c1e-4b7a-9e2d-5f4c3b2a1002
DOM=mnv-l2
# Slice of B's namespace 1 (1048576 LBAs of 512 bytes): 64 MiB, as in
# 60-l2-fio.sh, and what the guest must see there follows from the same
# configuration (run-l1.sh): MDTS 8, deallocated blocks read as zeroes.
S=65536
N=131072
MARK=100000
SCALE=$(mnv_time_scale)
LV_DIRS="/etc/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /etc/mdevctl.d"
LOG=/var/log/libvirt/libvirtd.log
PIDFILE=/run/mnv-libvirtd.pid

cleanup() {
	local d

	virsh destroy "$DOM" >/dev/null 2>&1
	[ -s "$PIDFILE" ] && kill "$(cat "$PIDFILE")" 2>/dev/null && sleep 1
	[ -s "$LOG" ] && cp "$LOG" "$MNV_OUT/70-l2-libvirt.libvirtd.log"
	udevadm control --exit >/dev/null 2>&1
	for d in $LV_DIRS; do
		umount "$d" 2>/dev/null
	done
}
trap cleanup EXIT

modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
[ -e /dev/kvm ] || tap_bail "no nested KVM in L1 (/dev/kvm): the L2 cases need it"

mnv_take_controllers "$B"

# --- libvirtd of the case's own ------------------------------------------------------
# shellcheck disable=SC2317 # called through tap_run
setup() {
	local d

	for d in $LV_DIRS; do
		mount -t tmpfs mnv-libvirt "$d" || return 1
	done
	mkdir -p /etc/libvirt/qemu/networks /var/log/libvirt/qemu \
		/etc/mdevctl.d/scripts.d/callouts /etc/mdevctl.d/scripts.d/notifiers || return 1
	# Where mdev-nvme-tools installs the call-out.
	install -m 755 "$MNV_REPO/tools/mdevctl/mdev-nvme-callout" \
		/etc/mdevctl.d/scripts.d/callouts/ || return 1
	cat >/etc/libvirt/libvirtd.conf <<-EOF || return 1
		auth_unix_ro = "none"
		auth_unix_rw = "none"
		log_outputs = "3:file:$LOG"
	EOF
	# QEMU as root with the files as they are, its output in a file
	# (no virtlogd), no cgroups, no private /dev: the VM has neither
	# systemd nor a writable root.
	cat >/etc/libvirt/qemu.conf <<-EOF
		user = "root"
		group = "root"
		dynamic_ownership = 0
		remember_owner = 0
		security_driver = "none"
		namespaces = [ ]
		cgroup_controllers = [ ]
		stdio_handler = "file"
	EOF
}
tap_run "tmpfs over libvirt's and mdevctl's directories, configuration written" setup ||
	tap_bail "cannot set up libvirt's directories"
export SYSTEMD_IGNORE_CHROOT=1
# A change event marks the PCI devices initialised in udev's database
# (an add event would load drivers for the other controller).
tap_run "udevd runs" sh -c "'$UDEVD' --daemon && udevadm control --ping &&
	udevadm trigger --action=change --subsystem-match=pci && udevadm settle -t 60" ||
	tap_bail "no udevd"

# lv_wait SECONDS CMD...: retry CMD each second until it succeeds.
lv_wait() {
	local t=$(($1 * SCALE))

	shift
	until "$@" >/dev/null 2>&1; do
		t=$((t - 1))
		[ "$t" -gt 0 ] || return 1
		sleep 1
	done
}

# has_parent: libvirt's node devices include the parent, with its types.
# shellcheck disable=SC2317 # called through lv_wait
has_parent() {
	virsh nodedev-list --cap mdev_types | grep -qx "$PARENT"
}

t0=$(date +%s)
tap_run "libvirtd starts" libvirtd --daemon --pid-file "$PIDFILE" ||
	tap_bail "libvirtd did not start"
tap_cond "qemu:///system answers" lv_wait 120 virsh -c qemu:///system version ||
	{ diag_file "$LOG"; tap_bail "libvirtd does not answer"; }
tap_cond "virsh nodedev-list --cap mdev_types lists $PARENT" lv_wait 60 has_parent
diag "libvirtd up and its node devices listed in $(($(date +%s) - t0)) s"
tap_eq "and nothing else (the other controller is not bound to mdev_nvme)" "$PARENT" \
	"$(virsh nodedev-list --cap mdev_types | grep -v '^$' | paste -sd ' ')"

# --- what libvirt reads from sysfs -----------------------------------------------------
# The parent's mdev_types capability, one line per type: id, name,
# device API and available instances, and the same from sysfs.
virsh nodedev-dumpxml "$PARENT" >"$MNV_TMP/parent.xml" 2>&1
diag_file "$MNV_TMP/parent.xml"
lv_types=$(python3 - "$MNV_TMP/parent.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for cap in root.iter("capability"):
    if cap.get("type") != "mdev_types":
        continue
    for t in cap.findall("type"):
        print(t.get("id"), t.findtext("name"), t.findtext("deviceAPI"),
              t.findtext("availableInstances"))
EOF
)
sys_types=$(for t in "$PCI"/mdev_supported_types/*; do
	echo "$(basename "$t") $(cat "$t/name") $(cat "$t/device_api") $(cat "$t/available_instances")"
done)
tap_cond "nodedev-dumpxml $PARENT has the mdev_types capability" \
	grep -q "<capability type='mdev_types'>" "$MNV_TMP/parent.xml"
tap_eq "its types: id, name, deviceAPI, availableInstances as in sysfs" \
	"$(echo "$sys_types" | sort | paste -sd '|')" "$(echo "$lv_types" | sort | paste -sd '|')"
tap_cond "$TYPE among them" grep -q "^$TYPE nvme-2q vfio-pci " <<<"$lv_types"

# --- bad input: an attribute the module refuses ------------------------------------
# nodedev_xml UUID ATTRS: a mediated device of TYPE on the parent.
nodedev_xml() {
	cat <<-EOF
		<device>
		  <parent>$PARENT</parent>
		  <capability type='mdev'>
		    <type id='$TYPE'/>
		    <uuid>$1</uuid>
		$2
		  </capability>
		</device>
	EOF
}

# state: what a refused definition must leave as it was.
state() {
	echo "instances: $(ls "$MDEV")"
	echo "free: $(cat "$PCI/mdev_nvme/queue_pairs_free")"
	echo "dirty: $(tr '\n' ' ' <"$PCI/mdev_nvme/dirty")"
	echo "mdevctl: $(mdevctl list --defined | paste -sd ' ')"
	echo "nodedevs: $(virsh nodedev-list --all --cap mdev | paste -sd ' ')"
}
before=$(state)
# Namespace 9 does not exist: the module answers ENXIO to the write.
nodedev_xml "$UBAD" "    <attr name='nsid' value='9'/>" >"$MNV_TMP/bad.xml"
tap_run_fail "nodedev-create with <attr name='nsid' value='9'/> fails" \
	virsh nodedev-create "$MNV_TMP/bad.xml"
diag "$TAP_OUT"
# mdevctl's message names the attribute and the value; libvirt keeps its
# first lines, without the kernel's reason below them.
tap_cond "the error names the attribute and the value the module refused" \
	grep -q "Failed to write 9 to attribute nsid" <<<"$TAP_OUT"
tap_eq "and leaves nothing behind: no instance, queue pairs, definition or node device" \
	"$before" "$(state)"

# --- a persistent instance with <attr> elements ---------------------------------------
nodedev_xml "$U" "    <attr name='nsid' value='1'/>
    <attr name='lba_start' value='$S'/>
    <attr name='lba_count' value='$N'/>
    <attr name='idle_us' value='250'/>" >"$MNV_TMP/mdev.xml"
diag_file "$MNV_TMP/mdev.xml"
tap_run "virsh nodedev-define" virsh nodedev-define "$MNV_TMP/mdev.xml"
NAME=$(virsh nodedev-list --all --cap mdev | grep -m 1 "${U//-/_}")
diag "node device: ${NAME:-none}"
tap_cond "defined: mdevctl has the definition, no instance yet" \
	test -n "$NAME" -a ! -e "$MDEV/$U" -a "$(mdevctl list --defined --uuid "$U" | wc -l)" -ge 1
tap_run "virsh nodedev-start $NAME" virsh nodedev-start "$NAME" ||
	tap_bail "libvirt did not start the instance"
tap_cond "instance $U exists, of type $TYPE" \
	test "$(basename "$(readlink "$MDEV/$U/mdev_type")")" = "$TYPE"
tap_eq "its attributes were written: nsid lba_start lba_count idle_us" "1 $S $N 250" \
	"$(cat "$MDEV/$U/nsid" "$MDEV/$U/lba_start" "$MDEV/$U/lba_count" "$MDEV/$U/idle_us" 2>&1 | paste -sd ' ')"
tap_cond "nodedev-dumpxml shows it active with its attributes" \
	sh -c "virsh nodedev-dumpxml '$NAME' | grep -q \"<attr name='lba_count' value='$N'/>\""
# Nothing earlier wrote these LBAs since the module was loaded; a scrub
# would make the open fail with EAGAIN.
tap_cond "slice clean" lv_wait 60 grep -qx clean "$MDEV/$U/scrub"

# --- the domain -------------------------------------------------------------------------------
img=$MNV_TMP/image
mkdir -p "$img"
# domain_xml IMAGE_DIR CONSOLE RESULTS: two vCPUs (two I/O queues in the
# guest), the guest's kernel and initramfs, both serial ports to files,
# and the instance.
domain_xml() {
	cat <<-EOF
		<domain type='kvm'>
		  <name>$DOM</name>
		  <memory unit='MiB'>512</memory>
		  <vcpu>2</vcpu>
		  <os>
		    <type arch='x86_64' machine='pc'>hvm</type>
		    <kernel>$1/kernel</kernel>
		    <initrd>$1/initrd</initrd>
		    <cmdline>$(cat "$1/cmdline")</cmdline>
		  </os>
		  <features><acpi/></features>
		  <cpu mode='host-passthrough'/>
		  <on_poweroff>destroy</on_poweroff>
		  <on_reboot>destroy</on_reboot>
		  <on_crash>destroy</on_crash>
		  <devices>
		    <emulator>$(command -v qemu-system-x86_64)</emulator>
		    <serial type='file'>
		      <source path='$2'/>
		      <target port='0'/>
		    </serial>
		    <serial type='file'>
		      <source path='$3'/>
		      <target port='1'/>
		    </serial>
		    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
		      <source>
		        <address uuid='$U'/>
		      </source>
		    </hostdev>
		    <controller type='usb' model='none'/>
		    <memballoon model='none'/>
		  </devices>
		</domain>
	EOF
}

# record SCRIPT CONSOLE: list the guest for tap-aggregate.sh as run-l2.sh
# does (its console is scanned like a kernel log, QEMU's for VFIO errors).
record() {
	local qlog=70-l2-libvirt.$1.qemu.log

	cp "/var/log/libvirt/qemu/$DOM.log" "$MNV_OUT/$qlog" 2>/dev/null
	echo "$MNV_CASE $1 1 0 $(basename "$2") $qlog" >>"$MNV_OUT/l2-guests.list"
}

# domain_gone SECONDS: wait until the transient domain has ended.
# shellcheck disable=SC2317 # called through tap_cond
domain_gone() {
	lv_wait "$1" sh -c "! virsh domstate '$DOM'"
}

# fio at the smallest page and at the transfer limit, queue depths 1
# and 32: 60-l2-fio.sh runs every size on both kernels; here the path
# through libvirt is what is new.
env=$MNV_TMP/guest-env
printf 'MARK_LBA=%s\nMARK_HOST_LBA=%s\nMARK_TAG=%s\nSLICE_LBAS=%s\nEXPECT_MDTS=%s\nEXPECT_DLFEAT_READ=%s\nFIO_SPECS="%s"\n' \
	"$MARK" $((S + MARK)) l2virt "$N" 8 1 "4k:1m 1m:8m" >"$env"
tap_run "guest image built (guest-image.sh)" \
	"$L2/guest-image.sh" --env "$env" "$img" "$L2/guest-fio-verify.sh"
diag "guest image built $(($(date +%s) - t0)) s after libvirtd"
domain_xml "$img" "$MNV_OUT/70-l2-libvirt.guest-console" \
	"$MNV_OUT/70-l2-libvirt.guest" >"$MNV_TMP/domain.xml"
diag_file "$MNV_TMP/domain.xml"
start=$(date +%s)
diag "domain starts $(($(date +%s) - t0)) s after libvirtd"
if ! tap_run "virsh create: the domain starts with the mdev hostdev" \
	virsh create "$MNV_TMP/domain.xml"; then
	diag_file "/var/log/libvirt/qemu/$DOM.log"
	tap_bail "the domain did not start"
fi
tap_cond "the domain holds the instance open" lv_wait 60 grep -qx 1 "$MDEV/$U/open"
tap_cond "the guest powered off at the end of its script" domain_gone 400
diag "guest took $(($(date +%s) - start)) s"
res=$MNV_OUT/70-l2-libvirt.guest
record guest-fio-verify.sh "$MNV_OUT/70-l2-libvirt.guest-console"
rc=$(sed -n 's/^mnv-l2: script exit \([0-9]*\).*/\1/p' "$res" | tr -d '\r')
tap_reemit guest "$res" "${rc:-255}"
tap_eq "after the guest: closed, nothing pinned" "0 0" \
	"$(cat "$MDEV/$U/open") $(cat "$MDEV/$U/pinned_pages")"

# --- virsh destroy of a running guest --------------------------------------------------
# The guest reads from its disk, says so and waits to be destroyed.
cat >"$MNV_TMP/guest-hold.sh" <<'EOF'
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
dd if=/dev/nvme0n1 of=/dev/null bs=1M count=8 iflag=direct 2>&1 && echo "# holding"
sleep 3600
EOF
# The same image with this script instead: the kernel unpacks the
# archives of an initramfs in turn, a later file replacing an earlier one.
img2=$MNV_TMP/image2
mkdir -p "$img2/root"
# shellcheck disable=SC2317 # called through tap_run
hold_image() {
	cp "$MNV_TMP/guest-hold.sh" "$img2/root/guest-script" &&
		(cd "$img2/root" && echo guest-script | cpio -o -H newc --quiet) >"$img2/hold.cpio" &&
		cat "$img/initrd" "$img2/hold.cpio" >"$img2/initrd" &&
		cp -P "$img/kernel" "$img/cmdline" "$img2/"
}
tap_run "holding guest's image: the first one, its script replaced" hold_image
rm -rf "$img"
res2=$MNV_OUT/70-l2-libvirt.hold-guest
domain_xml "$img2" "$res2-console" "$res2" >"$MNV_TMP/domain2.xml"
diag "second domain starts $(($(date +%s) - t0)) s after libvirtd"
tap_run "virsh create: the second domain starts" virsh create "$MNV_TMP/domain2.xml" ||
	tap_bail "the second domain did not start"
tap_cond "its guest read its disk" lv_wait 180 grep -q '^# holding' "$res2"
tap_cond "open, with guest pages pinned" \
	test "$(cat "$MDEV/$U/open")" = 1 -a "$(cat "$MDEV/$U/pinned_pages")" -gt 0
diag "pinned pages: $(cat "$MDEV/$U/pinned_pages")"
tap_run "virsh destroy $DOM" virsh destroy "$DOM"
# QEMU closes the device as it exits; the release may lag.
lv_wait 10 grep -qx 0 "$MDEV/$U/open"
tap_eq "after virsh destroy: closed, nothing pinned" "0 0" \
	"$(cat "$MDEV/$U/open") $(cat "$MDEV/$U/pinned_pages")"
record guest-hold.sh "$res2-console"

# --- removal ------------------------------------------------------------------------------
tap_run "virsh nodedev-destroy $NAME" virsh nodedev-destroy "$NAME"
tap_cond "the instance is gone from sysfs" lv_wait 10 test ! -e "$MDEV/$U"
tap_run "virsh nodedev-undefine $NAME" virsh nodedev-undefine "$NAME"
tap_eq "no definition, no mediated node device left" "mdevctl: [] nodedevs: []" \
	"mdevctl: [$(mdevctl list --defined | paste -sd ' ')] nodedevs: [$(virsh nodedev-list --all --cap mdev | grep -v '^$' | paste -sd ' ')]"
tap_eq "all queue pairs free again" "$(cat "$PCI/mdev_nvme/queue_pairs_total")" \
	"$(cat "$PCI/mdev_nvme/queue_pairs_free")"
diag "case took $(($(date +%s) - t0)) s from libvirtd's start"

cleanup
trap - EXIT
tap_run "$B back on its default driver" mnv_pci_bind "$B" ""
tap_run "rmmod mdev_nvme" rmmod mdev_nvme
tap_done
