# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Runs inside the L2 guest (busybox sh): fio writes random data with
# crc32c verification headers over the raw vNVMe and reads it back, at
# block sizes from 512 bytes to the controller's transfer limit, queue
# depths 1 and 32, two jobs (two vCPUs: two I/O queues), with buffers
# 512 bytes past a page boundary so that every PRP1 has an offset.
# Then an ext4 filesystem on the first 32 MiB: files written, synced,
# fsck clean, read back after a remount; and a discarded range that must
# read back as zeroes.  Last, a tagged pattern at MARK_LBA for the L1
# side to find on the raw namespace.  Expects /guest-env with MARK_LBA,
# MARK_HOST_LBA, MARK_TAG (the pattern of tests/vm/lib.sh, numbered by
# host LBA), SLICE_LBAS, and what the L1 side configured: EXPECT_MDTS (the
# controller's MDTS, which the instance must offer) and EXPECT_DLFEAT_READ
# (1: deallocated blocks read as zeroes); optionally FIO_SPECS (see
# below).  Prints TAP.
#
# Every fio job is bounded by its size, never by a runtime: a job cut off
# by --runtime exits 0 without verifying anything.  fio's own counters
# must show that every byte written was read back and verified.  TAP
# from tests/lib/tap.sh, shipped as /tap.sh.
. /guest-env
. /guest-lib.sh
# The end of fio's report is what tells.
TAP_DIAG_CUT="tail -n 12"
# shellcheck source-path=SCRIPTDIR source=../../lib/tap.sh
. /tap.sh

DEV=/dev/nvme0n1

i=0
while [ ! -b $DEV ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if [ -b $DEV ]; then
	tap_ok "namespace block device appeared"
else
	tap_fail "namespace block device appeared" "$(dmesg | grep -i nvme | tail -n 8)"
	tap_bail "no namespace"
fi
size=$(cat /sys/block/nvme0n1/size)
[ "$size" = "$SLICE_LBAS" ] && tap_ok "namespace is the slice ($size sectors)" ||
	tap_fail "namespace is the slice" "size=$size expected $SLICE_LBAS"
nq=$(ls -d /sys/block/nvme0n1/mq/* 2>/dev/null | wc -l)
[ "$nq" -eq 2 ] && tap_ok "two vCPUs, two hardware queues" ||
	tap_fail "two vCPUs, two hardware queues" "mq dirs: $nq, cpus: $(nproc)"

# The transfer limit follows from the configuration: the instance offers
# the controller's MDTS (the module's cap is the same 2^8 pages), and the
# guest driver turns it into its largest request.
mdts=$(nvme id-ctrl /dev/nvme0 2>/dev/null | sed -n 's/^mdts *: *//p')
max_kb=$(cat /sys/block/nvme0n1/queue/max_hw_sectors_kb)
want_kb=$((4 << EXPECT_MDTS))
diag "MDTS ${mdts:-?}, max_hw_sectors_kb $max_kb"
[ "$mdts" = "$EXPECT_MDTS" ] && tap_ok "id-ctrl MDTS is $EXPECT_MDTS, as configured" ||
	tap_fail "id-ctrl MDTS is $EXPECT_MDTS, as configured" "mdts=${mdts:-none}"
[ "$max_kb" = "$want_kb" ] && tap_ok "largest request $want_kb KiB (MDTS $EXPECT_MDTS)" ||
	tap_fail "largest request $want_kb KiB (MDTS $EXPECT_MDTS)" "max_hw_sectors_kb=$max_kb"

# run_fio BS SIZE_PER_JOB DEPTH: random writes, then verify what was written.
run_fio() {
	bs=$1 sz=$2 qd=$3 res=
	name="fio randwrite+verify crc32c bs=$bs iodepth=$qd numjobs=2"
	out=$(fio --name=verify --filename=$DEV --direct=1 --ioengine=libaio \
		--rw=randwrite --bs="$bs" --size="$sz" --numjobs=2 \
		--offset_increment="$sz" --iodepth="$qd" --iomem_align=512 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 \
		--verify_dump=0 --group_reporting --randrepeat=0 \
		--output-format=terse --terse-version=3 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && res=$(fio_verified "$out" $((2 * $(size_kib "$sz")))); then
		tap_ok "$name"
		diag "$res"
	else
		tap_fail "$name" "exit $rc" "$res" "$out"
	fi
}

# FIO_SPECS (in /guest-env): the block size:size per job pairs to run,
# when a case needs fewer than all.
for spec in ${FIO_SPECS:-512:512k 4k:1m 16k:2m 128k:4m 1m:8m}; do
	bs=${spec%%:*}
	sz=${spec#*:}
	for qd in 1 32; do
		run_fio "$bs" "$sz" "$qd"
	done
done
# The transfer limit itself, when it is not one of the sizes above.
case $want_kb in
4 | 16 | 128 | 1024) ;;
*) run_fio "${want_kb}k" 8m 32 ;;
esac

# --- ext4 on the first 32 MiB ------------------------------------------------
fs_test() {
	mkfs.ext4 -F -q -b 4096 $DEV 8192 || return 1
	mkdir -p /mnt && mount -t ext4 $DEV /mnt || return 1
	for s in 1 7 300 2048; do
		dd if=/dev/urandom of=/mnt/f$s bs=1k count=$s 2>/dev/null ||
			return 1
	done
	cp /mnt/f2048 /mnt/copy && mkdir /mnt/d && mv /mnt/f7 /mnt/d/ &&
		(cd /mnt && md5sum f1 d/f7 f300 f2048 copy) >/tmp/sums &&
		sync && umount /mnt || return 1
	e2fsck -fn $DEV >/tmp/fsck.out 2>&1 || return 1
	mount -t ext4 $DEV /mnt && (cd /mnt && md5sum -c /tmp/sums) &&
		umount /mnt
}
if out=$(fs_test 2>&1); then
	tap_ok "ext4: mkfs, files written and synced, fsck clean, read back after remount"
else
	tap_fail "ext4: mkfs, files written and synced, fsck clean, read back after remount" \
		"$out" "$(cat /tmp/fsck.out 2>/dev/null)"
fi

# --- discard: [36 MiB, 40 MiB) written, discarded, read back as zeroes -------
# The L1 side's drives take discards and read deallocated blocks as zeroes
# (run-l1.sh, discard=unmap): the instance must say so (DLFEAT bits 2:0)
# and keep its word.
dlfeat=$(nvme id-ns $DEV 2>/dev/null | awk -F: '$1 ~ /^dlfeat/ { print $2 + 0 }')
diag "dlfeat ${dlfeat:-?}"
[ "$((${dlfeat:-0} & 7))" = "$EXPECT_DLFEAT_READ" ] &&
	tap_ok "id-ns DLFEAT read behaviour is $EXPECT_DLFEAT_READ, as the backing namespace" ||
	tap_fail "id-ns DLFEAT read behaviour is $EXPECT_DLFEAT_READ, as the backing namespace" \
		"dlfeat=${dlfeat:-none}"
if ! dd if=/dev/urandom of=$DEV bs=1M seek=36 count=4 oflag=direct 2>/dev/null; then
	tap_fail "data written before the discard"
elif ! blkdiscard -o $((36 << 20)) -l $((4 << 20)) $DEV 2>/tmp/discard.err; then
	tap_fail "blkdiscard of 4 MiB" "$(cat /tmp/discard.err)"
elif ! dd if=$DEV of=/tmp/discarded bs=1M skip=36 count=4 iflag=direct 2>/dev/null; then
	tap_fail "discarded range reads back" "read failed"
else
	dd if=/dev/zero of=/tmp/want bs=1M count=4 2>/dev/null
	if cmp -s /tmp/discarded /tmp/want; then
		tap_ok "discarded range reads back as zeroes"
	else
		tap_fail "discarded range reads back as zeroes" \
			"$(od -A d -t x1 /tmp/discarded | head -n 4)"
	fi
fi

# A tagged pattern (as tests/vm/lib.sh makes it) at MARK_LBA, numbered by
# host LBA, for the L1 side to find at slice start + MARK_LBA.
awk -v tag="$MARK_TAG" -v lba="$MARK_HOST_LBA" 'BEGIN {
	for (i = 0; i < 8; i++) {
		s = sprintf("mnv tag=%s lba=%d |", tag, lba + i)
		while (length(s) < 512)
			s = s s
		printf "%s\n", substr(s, 1, 511)
	}
}' >/tmp/mark
if dd if=/tmp/mark of=$DEV bs=4096 seek=$((MARK_LBA / 8)) oflag=direct \
	conv=fsync 2>/tmp/dd.err; then
	tap_ok "pattern written at guest LBA $MARK_LBA"
else
	tap_fail "pattern written at guest LBA $MARK_LBA" "$(cat /tmp/dd.err)"
fi
dd if=$DEV of=/tmp/back bs=4096 skip=$((MARK_LBA / 8)) count=1 \
	iflag=direct 2>/dev/null
cmp -s /tmp/mark /tmp/back && tap_ok "pattern reads back in the guest" ||
	tap_fail "pattern reads back in the guest" "$(head -c 40 /tmp/back)"

bad=$(dmesg | grep -iE 'nvme.*(timeout|error|fail|abort|reset)' | grep -iv 'command line')
[ -z "$bad" ] && tap_ok "guest kernel log has no nvme errors" ||
	tap_fail "guest kernel log has no nvme errors" "$bad"
tap_done
