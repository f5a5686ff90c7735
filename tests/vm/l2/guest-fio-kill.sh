# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Runs inside the L2 guest (busybox sh): keeps the vNVMe busy until the L1
# side kills the VM, with rounds of random 64 KiB writes at queue depth 32
# on both queues, each verified as it goes (crc32c, --verify_backlog) and
# bounded by its size.  Every round prints a TAP line: fio's counters must
# show all it wrote read back and verified.  "# fio running" tells L1 the
# load has started.  TAP from tests/lib/tap.sh, shipped as /tap.sh.
. /guest-lib.sh
# shellcheck source-path=SCRIPTDIR source=../../lib/tap.sh
. /tap.sh
DEV=/dev/nvme0n1
i=0
while [ ! -b $DEV ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -b $DEV ]; then
	tap_fail "namespace block device appeared"
	tap_done
fi
tap_ok "namespace block device appeared"
diag "fio running"
round=0
while [ $round -lt 10000 ]; do
	round=$((round + 1))
	res=
	out=$(fio --name=load --filename=$DEV --direct=1 --ioengine=libaio \
		--rw=randwrite --bs=64k --size=4m --numjobs=2 \
		--offset_increment=4m --iodepth=32 --iomem_align=512 \
		--verify=crc32c --verify_backlog=16 --verify_fatal=1 \
		--verify_dump=0 --group_reporting --randrepeat=0 \
		--output-format=terse --terse-version=3 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && res=$(fio_verified "$out" 8192); then
		tap_ok "fio round $round: $res"
	else
		tap_fail "fio round $round: exit $rc, $res" "$(echo "$out" | tail -n 12)"
	fi
done
# Only reached if nobody killed the VM.
tap_fail "the VM was killed during fio"
tap_done
