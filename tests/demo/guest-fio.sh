# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Demo workload inside the L2 guest: fio writes 32 MiB of random 4 KiB
# blocks on the vNVMe with crc32c checksums and reads every block back to
# verify it while it writes (--verify_backlog), bounded by size, not time.
# fio's counters (terse output) must show all it wrote read back and
# verified; only then does the script say "fio verified".
. /guest-lib.sh
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
echo "== guest: $(cat /sys/class/nvme/nvme0/model) serial $(cat /sys/class/nvme/nvme0/serial)"
echo "== guest: /dev/nvme0n1 is $(($(cat /sys/block/nvme0n1/size) / 2048)) MiB"
out=$(fio --name=demo --filename=/dev/nvme0n1 --direct=1 --ioengine=libaio \
	--rw=randwrite --bs=4k --iodepth=16 --size=32m --randrepeat=0 \
	--verify=crc32c --verify_backlog=256 --verify_fatal=1 \
	--group_reporting --eta=never --output-format=normal,terse \
	--terse-version=3 2>&1)
rc=$?
echo "$out" | grep -v '^3;'
echo "== guest: fio exit $rc"
if [ $rc -eq 0 ] && res=$(fio_verified "$out" 32768); then
	echo "== guest: fio verified: $res"
else
	echo "== guest: fio NOT verified: ${res:-fio failed}"
fi
