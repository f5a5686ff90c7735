#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The mediation micro-benchmark, in an L1 VM with two CPUs and an emulated
# IOMMU, with no nested guest: tests/vfio/vfio-perf, a userspace NVMe
# driver on CPU 0, runs timed random 4 KiB reads and writes at each queue
# depth against controller B, sleeping on its queue's MSI-X interrupt
# between completions as a guest's driver does (BENCH_MICRO_WAIT=irq; a
# client spinning on CPU 0 and a poller spinning on CPU 1 leave no host
# core of two to the QEMU threads that emulate the controller, and poll
# mode then measures their starvation)
#   passthrough  bound to vfio-pci, the whole controller;
#   mdev-MODE    bound to mdev_nvme, through a one-queue vNVMe over its
#                namespace 1 in each polling mode, the instance's thread
#                or poller on CPU 1.
# Same controller, same client, same backing: the difference is what the
# mediation costs, in IOPS and in microseconds per I/O.  On a host of two
# cores that runs the whole L1, one measurement is not enough: others'
# work moves it by several times.  So the configurations are measured in
# turn, BENCH_MICRO_ROUNDS rounds of all of them, and the report takes
# each one's median and the spread of its ratio to passthrough in the
# same round.  Leaves in $MNV_OUT micro.jsonl: one vfio-perf JSON object
# a line, with the configuration and the round (bench/micro-report.py).
. "$MNV_REPO/tests/vm/lib.sh"
. "$MNV_REPO/bench/lib-bench.sh"
mnv_case 2 vfio-perf

OUT=$MNV_OUT/micro.jsonl
: >"$OUT"
modprobe vfio-pci
modprobe vfio_iommu_type1

[ "$(nproc)" -ge 2 ] || tap_bail "the micro-benchmark needs two L1 CPUs (run-l1.sh --smp 2)"

# measure CONFIG NAME ROUND: vfio-perf on device NAME for every workload
# and depth, on CPU 0; appends its results, tagged, to micro.jsonl.
measure() {
	local config=$1 name=$2 round=$3 rw qd line
	for rw in $BENCH_RWS; do
		for qd in $BENCH_MICRO_QDS; do
			line=$(taskset -c 0 "$CLIENT" "$name" "$rw" "$qd" \
				"$BENCH_RUNTIME" 1 "$BENCH_MICRO_WAIT")
			tap_eq "round $round: $config: $rw QD $qd ran" 0 $? ||
				continue
			diag "round $round: $config $rw QD $qd: $line"
			printf '{"config": "%s", "round": %s, "run": %s}\n' \
				"$config" "$round" "$line" >>"$OUT"
		done
	done
}

bench_fill "$B"

for round in $(seq "$BENCH_MICRO_ROUNDS"); do
	tap_run "round $round: bind $B to vfio-pci" mnv_pci_bind "$B" vfio-pci ||
		tap_bail "cannot bind $B to vfio-pci"
	measure passthrough "$B" "$round"
	tap_run "round $round: unbind $B from vfio-pci" mnv_pci_bind "$B" ""

	mnv_take_controllers "$B"
	for mode in $BENCH_MODES; do
		real=${mode%-trapped}
		[ "$mode" = "$real" ] ||
			echo N >/sys/module/mdev_nvme/parameters/mmap_doorbells
		out=$("$MNV_CLI" create "$B" --type nvme-1q --nsid 1 \
			--mode "$real" --cpu 1)
		tap_eq "round $round: create a $mode instance over namespace 1, its thread on CPU 1" \
			0 $? || continue
		u=$(printf '%s\n' "$out" | tail -n 1)
		measure "mdev-$mode" "$u" "$round"
		echo Y >/sys/module/mdev_nvme/parameters/mmap_doorbells
		"$MNV_CLI" stats --json "$u" \
			>"$MNV_OUT/micro-mdev-$mode-round$round.stats.json"
		tap_run "round $round: destroy the $mode instance" \
			"$MNV_CLI" destroy "$u"
	done
	mnv_release "$B"
done
tap_done
