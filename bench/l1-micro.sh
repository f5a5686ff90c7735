#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The mediation micro-benchmark, in an L1 VM with two CPUs and an emulated
# IOMMU, with no nested guest: tests/vfio/vfio-perf, a userspace NVMe
# driver on CPU 0, runs timed random 4 KiB reads and writes at each queue
# depth against controller B
#   passthrough  bound to vfio-pci, the whole controller;
#   mdev-MODE    bound to mdev_nvme, through a one-queue vNVMe over its
#                namespace 1 in each polling mode, the instance's thread
#                or poller on CPU 1.
# Same controller, same client, same backing: the difference is what the
# mediation costs, in IOPS and in microseconds per I/O.  Leaves in $MNV_OUT
# micro.jsonl: one vfio-perf JSON object a line, with the configuration
# (bench/micro-report.py).
. "$MNV_REPO/tests/vm/lib.sh"
. "$MNV_REPO/bench/lib-bench.sh"
mnv_case 2 vfio-perf

OUT=$MNV_OUT/micro.jsonl
: >"$OUT"
modprobe vfio-pci
modprobe vfio_iommu_type1

[ "$(nproc)" -ge 2 ] || tap_bail "the micro-benchmark needs two L1 CPUs (run-l1.sh --smp 2)"

# measure CONFIG NAME: vfio-perf on device NAME for every workload and
# depth, on CPU 0; appends its results, tagged, to micro.jsonl.
measure() {
	local config=$1 name=$2 rw qd line
	for rw in $BENCH_RWS; do
		for qd in $BENCH_MICRO_QDS; do
			line=$(taskset -c 0 "$CLIENT" "$name" "$rw" "$qd" \
				"$BENCH_RUNTIME" 1)
			tap_eq "$config: $rw QD $qd ran" 0 $? || continue
			diag "$config $rw QD $qd: $line"
			printf '{"config": "%s", "run": %s}\n' "$config" "$line" >>"$OUT"
		done
	done
}

bench_fill "$B"

tap_run "bind $B to vfio-pci" mnv_pci_bind "$B" vfio-pci ||
	tap_bail "cannot bind $B to vfio-pci"
measure passthrough "$B"
tap_run "unbind $B from vfio-pci" mnv_pci_bind "$B" ""

mnv_take_controllers "$B"
for mode in $BENCH_MODES; do
	real=${mode%-trapped}
	[ "$mode" = "$real" ] || echo N >/sys/module/mdev_nvme/parameters/mmap_doorbells
	out=$("$MNV_CLI" create "$B" --type nvme-1q --nsid 1 --mode "$real" --cpu 1)
	tap_eq "create a $mode instance over namespace 1, its thread on CPU 1" 0 $? ||
		continue
	u=$(printf '%s\n' "$out" | tail -n 1)
	measure "mdev-$mode" "$u"
	echo Y >/sys/module/mdev_nvme/parameters/mmap_doorbells
	"$MNV_CLI" stats --json "$u" >"$MNV_OUT/micro-mdev-$mode.stats.json"
	tap_run "destroy the $mode instance" "$MNV_CLI" destroy "$u"
done
mnv_release "$B"
tap_done
