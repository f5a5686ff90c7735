# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Demo workload inside the L2 guest: fio on the vNVMe, with verification.
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
echo "== guest: $(cat /sys/class/nvme/nvme0/model) serial $(cat /sys/class/nvme/nvme0/serial)"
echo "== guest: /dev/nvme0n1 is $(($(cat /sys/block/nvme0n1/size) / 2048)) MiB"
fio --name=demo --filename=/dev/nvme0n1 --direct=1 --ioengine=libaio \
	--rw=randrw --bs=4k --iodepth=16 --size=16m --runtime=20 --time_based \
	--verify=crc32c --verify_fatal=1 --group_reporting --eta=never
echo "== guest: fio exit $?"
