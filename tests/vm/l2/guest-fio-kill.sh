# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Runs inside the L2 guest (busybox sh): keeps the vNVMe busy with
# random reads and writes at queue depth 32 on both queues until the L1
# side kills the VM.  "# fio running" tells L1 the load has started.
DEV=/dev/nvme0n1
i=0
while [ ! -b $DEV ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -b $DEV ]; then
	echo "not ok 1 - namespace block device appeared"
	echo "1..1"
	exit 1
fi
echo "ok 1 - namespace block device appeared"
echo "# fio running"
fio --name=load --filename=$DEV --direct=1 --ioengine=libaio --rw=randrw \
	--bs=64k --size=16m --numjobs=2 --offset_increment=16m --iodepth=32 \
	--iomem_align=512 --time_based --runtime=600 >/dev/null 2>&1
# Only reached if nobody killed the VM.
echo "not ok 2 - the VM was killed during fio"
echo "1..2"
