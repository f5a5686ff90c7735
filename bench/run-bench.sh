#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: the same emulated controller and the same L2 guest image in
# every configuration, in one run: native, passthrough, virtio-blk,
# emulated nvme and mdev_nvme in each polling mode (see bench/l1-*.sh).
# Results: bench/results/<UTC time>/ (results.md, results.json, PNG
# charts) and bench/results/latest.md.
#
# Any "not ok" of a VM run (tests/vm/tap-aggregate.sh on it) fails the
# bench: non-zero exit, no report.
#
# Everything runs under QEMU TCG with nested KVM on top: absolute numbers
# mean nothing, compare the ratios.  BENCH_RUNTIME (seconds per fio run,
# default 5), BENCH_IDLE_S (default 10), BENCH_JOBS (numjobs values,
# default 1,4), BENCH_QDS (iodepths, default 1,4,16,64), BENCH_RWS
# (default randread,randwrite), BENCH_MULTI (how many instances and
# guests run at once, default 4,8; 1 skips that part),
# BENCH_MULTI_TOTAL_QD (the iodepth of all of them together, shared
# equally, default 64), BENCH_MODES (polling modes, default
# poll,adaptive,interrupt; poll-trapped is poll without the mapped
# doorbell page) and BENCH_LISTS (1, the default: 64 KiB I/O with PRP
# lists read from the pin cache and through VFIO; 0 skips it) tune it.
#
# BENCH_PARTS (default "guests micro") picks what runs: "guests" is the
# fio matrix in L2 guests and L1 (two VM runs, bench/l1-bench.sh and
# bench/l1-passthrough.sh), "micro" the mediation micro-benchmark in a
# two-CPU L1 without nested guests (bench/l1-micro.sh, BENCH_MICRO_QDS,
# default 1,16,64; BENCH_MICRO_ROUNDS, default 3, the times each
# configuration is measured, in turn; BENCH_MICRO_WAIT, irq or poll, how
# its client waits for completions); make bench-micro runs it alone.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
kver=$("$repo/scripts/pick-kernel.sh" --boot 6.1)
[ -n "$kver" ] || { echo "bench: error: no Debian 6.1 kernel installed (run: make deps)" >&2; exit 1; }
stamp=$(date -u +%Y%m%d-%H%M%S)
raw=$repo/build/bench
results=$repo/bench/results/$stamp
mkdir -p "$raw" "$results" || exit 1

# The L1 side reads these from its kernel command line (lib-bench.sh).
append="mnv_bench_runtime=${BENCH_RUNTIME:-5} mnv_bench_idle=${BENCH_IDLE_S:-10}"
append="$append mnv_bench_rws=${BENCH_RWS:-randread,randwrite}"
append="$append mnv_bench_jobs=${BENCH_JOBS:-1,4} mnv_bench_qds=${BENCH_QDS:-1,4,16,64}"
append="$append mnv_bench_multi=${BENCH_MULTI:-4,8}"
append="$append mnv_bench_multi_total_qd=${BENCH_MULTI_TOTAL_QD:-64}"
append="$append mnv_bench_modes=${BENCH_MODES:-poll,adaptive,interrupt}"
append="$append mnv_bench_lists=${BENCH_LISTS:-1}"
append="$append mnv_bench_micro_qds=${BENCH_MICRO_QDS:-1,16,64}"
append="$append mnv_bench_micro_rounds=${BENCH_MICRO_ROUNDS:-3}"
append="$append mnv_bench_micro_wait=${BENCH_MICRO_WAIT:-irq}"
parts=${BENCH_PARTS:-guests micro}
has_part() {
	case " $parts " in *" $1 "*) return 0 ;; esac
	return 1
}

# The namespaces' images in memory when there is room: on disk, the
# host's writeback of a few hundred MiB of random writes throttles the
# emulated controller for minutes, and writes would measure that.
if [ -z "${MNV_DISK_DIR:-}" ] && [ -d /dev/shm ] &&
	[ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt $((4 * 1024 * 1024)) ]; then
	export MNV_DISK_DIR=/dev/shm/mdev-nvme-bench-disks
fi

if ! command -v gnuplot >/dev/null; then
	echo "bench: installing gnuplot-nox for the charts"
	apt-get install -y -q gnuplot-nox >/dev/null ||
		echo "bench: warning: no gnuplot, no charts" >&2
fi

run() {
	local what=$1 smp=$2
	shift 2
	echo "bench: $what"
	# L2 guests run in an L1 of one CPU: with two, nested SVM under TCG
	# loses IPIs and hangs L1 (tests/vm/README.md).  The polling thread
	# then shares the CPU with the guest, which the poll mode pays for;
	# the micro-benchmark, without nested guests, has two.
	# No slub_debug or KFENCE: they would weigh on every configuration.
	"$repo/tests/vm/run-l1.sh" --kver "$kver" --smp "$smp" --timeout 7200 \
		--case-timeout 7000 --no-mem-debug "$@"
	local rc=$?
	[ "$rc" -eq 0 ] || echo "bench: the $what VM ended badly (exit $rc)" >&2
	return 0
}

runs=
if has_part guests; then
	# Room for eight L2 guests of 512 MiB at once (multi-8): with less,
	# their initramfs does not unpack.
	run "native, virtio-blk, emulated nvme, mdev_nvme (L1 without IOMMU)" 1 \
		--mem 6144 --out "$raw/main" --append "$append" "$repo/bench/l1-bench.sh"
	run "passthrough (L1 with an emulated IOMMU)" 1 --iommu \
		--append "$append vfio_iommu_type1.allow_unsafe_interrupts=1" \
		--out "$raw/passthrough" "$repo/bench/l1-passthrough.sh"
	runs="main passthrough"
fi
if has_part micro; then
	run "mediation micro-benchmark (two-CPU L1, emulated IOMMU, no L2)" 2 \
		--iommu --append "$append vfio_iommu_type1.allow_unsafe_interrupts=1" \
		--out "$raw/micro" "$repo/bench/l1-micro.sh"
	runs="$runs micro"
fi
[ -n "$runs" ] || { echo "bench: error: BENCH_PARTS '$parts' names no part (guests, micro)" >&2; exit 1; }

# The verdict of the test suite on each VM run (every step, bail-outs,
# both levels' kernel logs): a run that failed gives no report.
failed=
for d in $runs; do
	echo "== $d: steps"
	"$repo/tests/vm/tap-aggregate.sh" "$raw/$d" || failed="$failed $d"
done
if [ -n "$failed" ]; then
	echo "bench: FAILED: the VM run of$failed did not pass (\"not ok\" above; raw results in $raw); no report" >&2
	rmdir "$results" 2>/dev/null
	[ "${MNV_DISK_DIR:-}" != /dev/shm/mdev-nvme-bench-disks ] || rm -rf "$MNV_DISK_DIR"
	exit 1
fi
: >"$results/results.md"
if has_part guests; then
	python3 "$repo/bench/report.py" "$results" "$raw/main" "$raw/passthrough" ||
		exit 1
fi
if has_part micro; then
	python3 "$repo/bench/micro-report.py" "$results" "$raw/micro" >/dev/null ||
		exit 1
	{ echo; cat "$results/micro.md"; } >>"$results/results.md"
fi
# An nvme driver that timed out on the emulated controller (L1's, or an
# L2 guest's) measured its stalls: the report says so, run by run.
stalled=
for d in $runs; do
	n=$(cat "$raw/$d/console.log" "$raw/$d"/*.console 2>/dev/null |
		grep -c 'nvme[0-9]*: I/O .*timeout')
	[ "$n" -eq 0 ] || stalled="$stalled $d ($n)"
done
if [ -n "$stalled" ]; then
	echo "bench: warning: nvme I/O timeouts in the kernel logs of:$stalled" >&2
	{
		echo
		echo "**Warning:** nvme I/O timeouts were logged in the VM run of:$stalled."
		echo "The configurations that ran meanwhile measured stalls (console logs in $raw)."
	} >>"$results/results.md"
fi
# latest.md is the whole benchmark's; a part alone leaves latest-PART.md.
latest=$repo/bench/results/latest.md
[ "$runs" = "main passthrough micro" ] || latest=$repo/bench/results/latest-${parts// /-}.md
{
	echo "Benchmark of $stamp (kernel $kver in L1, QEMU TCG, nested KVM)."
	echo
	cat "$results/results.md"
} >"$latest"
[ "${MNV_DISK_DIR:-}" = /dev/shm/mdev-nvme-bench-disks ] && rm -rf "$MNV_DISK_DIR"
echo "bench: results in $results (and ${latest#"$repo"/})"
