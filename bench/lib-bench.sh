# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers of the benchmark's L1 side, sourced after tests/vm/lib.sh.
#
# Every configuration runs bench/guest-fio-matrix.sh (in an L2 guest, or
# directly in L1 for "native") and leaves in $MNV_OUT:
#   NAME.out  the script's output: fio JSON reports between BEGIN/END lines
#   NAME.cpu  "BEGIN|END LABEL BUSY TOTAL": L1's busy and total CPU time
#             (USER_HZ ticks, all CPUs) sampled when each line appeared
# bench/report.py turns them into the tables.

BENCH_DIR=$MNV_REPO/bench
BENCH_RUNTIME=5
BENCH_IDLE_S=10
BENCH_RWS="randread randwrite"
BENCH_JOBS="1 4"
BENCH_QDS="1 4 16 64"
# shellcheck disable=SC2034 # l1-bench.sh uses it
BENCH_MODES="poll adaptive interrupt"
# The numbers of guests run at once (one instance each), and the iodepth
# all of them have together: each guest gets an equal part, so that the
# aggregate compares with one guest alone at that depth.
BENCH_MULTI="4 8"
BENCH_MULTI_TOTAL_QD=64
# The fio block size of every configuration; l1-bench.sh changes it for
# the list reads' (BENCH_LISTS: 1 runs them, 0 not).
BENCH_BS=4k
# MiB of namespace 1 that bench_fill writes, and every job reads within.
BENCH_FILL_MIB=256
# shellcheck disable=SC2034 # l1-bench.sh uses it
BENCH_LISTS=1
# The micro-benchmark's queue depths, and how many times it measures
# every configuration, in turn (bench/l1-micro.sh).
BENCH_MICRO_QDS="1 16 64"
BENCH_MICRO_ROUNDS=3
# How the micro-benchmark's client waits for completions: "irq" sleeps on
# the queue's MSI-X eventfd as a guest's driver does, "poll" spins.
BENCH_MICRO_WAIT=irq
# run-bench.sh passes its settings on the L1 kernel command line.
read -r -a cmdline </proc/cmdline
# shellcheck disable=SC2034 # BENCH_MODES: l1-bench.sh uses it
for arg in "${cmdline[@]}"; do
	case $arg in
	mnv_bench_runtime=*) BENCH_RUNTIME=${arg#*=} ;;
	mnv_bench_idle=*) BENCH_IDLE_S=${arg#*=} ;;
	mnv_bench_rws=*) BENCH_RWS=$(echo "${arg#*=}" | tr , ' ') ;;
	mnv_bench_jobs=*) BENCH_JOBS=$(echo "${arg#*=}" | tr , ' ') ;;
	mnv_bench_qds=*) BENCH_QDS=$(echo "${arg#*=}" | tr , ' ') ;;
	mnv_bench_modes=*) BENCH_MODES=$(echo "${arg#*=}" | tr , ' ') ;;
	mnv_bench_multi=*) BENCH_MULTI=$(echo "${arg#*=}" | tr , ' ') ;;
	mnv_bench_multi_total_qd=*) BENCH_MULTI_TOTAL_QD=${arg#*=} ;;
	mnv_bench_lists=*) BENCH_LISTS=${arg#*=} ;;
	mnv_bench_micro_qds=*) BENCH_MICRO_QDS=$(echo "${arg#*=}" | tr , ' ') ;;
	mnv_bench_micro_rounds=*) BENCH_MICRO_ROUNDS=${arg#*=} ;;
	mnv_bench_micro_wait=*) BENCH_MICRO_WAIT=${arg#*=} ;;
	esac
done

# cpu_ticks: busy and total ticks of all CPUs (busy = not idle or
# iowait).  Bash builtins only: under TCG every fork costs L1 real CPU
# time, which would show up in the measurement.
cpu_ticks() {
	local user nice sys idle iowait irq softirq steal rest
	read -r _ user nice sys idle iowait irq softirq steal rest </proc/stat
	local busy=$((user + nice + sys + irq + softirq + steal))
	echo "$busy $((busy + idle + iowait))"
}

# watch_markers OUT CPULOG: sample cpu_ticks as BEGIN/END lines appear in
# OUT, until DONE (or the guest's exit line) does.  Runs in the background;
# tail -F waits on inotify, so nothing polls while the guest runs.
watch_markers() {
	local out=$1 log=$2 mark label rest
	: >"$log"
	while read -r mark label rest; do
		label=${label%$'\r'}	# the guest's serial port ends lines in CR LF
		case $mark in
		BEGIN | END) echo "$mark $label $(cpu_ticks)" >>"$log" ;;
		DONE | mnv-l2:) break ;;
		esac
	done < <(exec tail -n +1 -F "$out" 2>/dev/null)
	kill "$!" 2>/dev/null	# the tail of the process substitution
}

# bench_fill BDF: bind controller BDF to nvme and write the first 256 MiB
# of its namespace 1, which every configuration's jobs use, so that reads
# find allocated blocks everywhere; DEV becomes that namespace's disk.
bench_fill() {
	modprobe nvme
	tap_run "bind $1 to nvme" mnv_pci_bind "$1" nvme || tap_bail "cannot bind $1"
	mnv_wait_namespaces "$1" 2 || tap_bail "namespaces of $1 did not appear"
	DEV=$(mnv_nvme_namespaces "$1" | head -n 1)
	diag "namespace 1 of $1: $DEV"
	tap_run "fill the $BENCH_FILL_MIB MiB the jobs use" fio --name=fill \
		--filename="$DEV" --direct=1 --ioengine=libaio --rw=write --bs=1m \
		--iodepth=8 --size="${BENCH_FILL_MIB}m" --output=/dev/null
}

# native_config NAME DEV: the matrix in L1 itself, on block device DEV.
native_config() {
	local name=$1 dev=$2 out=$MNV_OUT/$1.out
	: >"$out"
	watch_markers "$out" "$MNV_OUT/$name.cpu" &
	local watcher=$!
	DEV=$dev RUNTIME=$BENCH_RUNTIME IDLE_S=$BENCH_IDLE_S RWS=$BENCH_RWS \
		JOBS=$BENCH_JOBS QDS=$BENCH_QDS BS=$BENCH_BS \
		sh "$BENCH_DIR/guest-fio-matrix.sh" >>"$out" 2>&1
	local rc=$?
	wait "$watcher"
	tap_eq "$name: fio matrix ran" 0 "$rc"
}

# guest_config NAME GUEST_DEV [run-l2.sh options...]: the matrix in an L2
# guest that sees the device under test as GUEST_DEV.
guest_config() {
	local name=$1 gdev=$2 out=$MNV_OUT/$1.out env=$MNV_TMP/$1.env
	shift 2
	printf 'DEV=%s\nRUNTIME=%s\nIDLE_S=%s\nRWS="%s"\nJOBS="%s"\nQDS="%s"\nBS=%s\n' \
		"$gdev" "$BENCH_RUNTIME" "$BENCH_IDLE_S" "$BENCH_RWS" "$BENCH_JOBS" \
		"$BENCH_QDS" "$BENCH_BS" >"$env"
	: >"$out"
	watch_markers "$out" "$MNV_OUT/$name.cpu" &
	local watcher=$!
	"$MNV_REPO/tests/vm/l2/run-l2.sh" --results "$out" \
		--console "$MNV_OUT/$name.console" --env "$env" --mem 1024 \
		--timeout 1800 "$@" "$BENCH_DIR/guest-fio-matrix.sh"
	local rc=$?
	# A guest that died never prints DONE: stop the watcher ourselves.
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	tap_eq "$name: L2 guest ran the fio matrix" 0 "$rc"
	tap_cond "$name: every run reported" grep -q '^DONE' "$out"
}

# multi_config BDF MODE COUNT: COUNT one-queue instances in MODE on
# adjacent equal slices of the BENCH_FILL_MIB of namespace 1 that
# bench_fill wrote, each given to its own L2 guest; the guests run the same 4 KiB
# randread over their slice, at an iodepth of BENCH_MULTI_TOTAL_QD /
# COUNT each, together, from a common start time far enough ahead for
# all of them to boot.  Leaves multi-COUNT-gI.out per guest and
# multi-COUNT.stats (the instances' counters) for report.py.
multi_config() {
	local bdf=$1 mode=$2 count=$3 i u out env
	# In 512-byte LBAs, the namespace's format.
	local slice=$((BENCH_FILL_MIB * 2048 / count))
	local qd=$((BENCH_MULTI_TOTAL_QD / count))
	local -a uuids=() runners=()
	# Several guests boot on one L1 CPU: about a minute each, more with
	# eight at once.
	local start_at=$(($(date +%s) + 120 + 90 * count)) started
	[ "$qd" -ge 1 ] || qd=1
	for ((i = 1; i <= count; i++)); do
		u=$("$MNV_CLI" create "$bdf" --type nvme-1q --nsid 1 --mode "$mode" \
			--lba-start $(((i - 1) * slice)) --lba-count "$slice" | tail -n 1)
		tap_cond "multi-$count: instance $i created" test -n "$u" || return 1
		uuids+=("$u")
	done
	for ((i = 1; i <= count; i++)); do
		out=$MNV_OUT/multi-$count-g$i.out
		env=$MNV_TMP/multi-$count-g$i.env
		printf 'DEV=/dev/nvme0n1\nRUNTIME=%s\nIDLE_S=0\nRWS=randread\nJOBS=1\nQDS=%s\nSIZE=%s\nSTART_AT=%s\n' \
			"$((BENCH_RUNTIME * 4))" "$qd" "$((slice / 2048))m" "$start_at" >"$env"
		: >"$out"
		"$MNV_REPO/tests/vm/l2/run-l2.sh" --results "$out" \
			--console "$MNV_OUT/multi-$count-g$i.console" --env "$env" \
			--mem 512 --timeout 1800 --sysfsdev "$MDEV/${uuids[i - 1]}" \
			"$BENCH_DIR/guest-fio-matrix.sh" &
		runners+=($!)
	done
	for ((i = 1; i <= count; i++)); do
		wait "${runners[i - 1]}"
		tap_eq "multi-$count: guest $i ran fio" 0 $?
		started=$(tr -d '\r' <"$MNV_OUT/multi-$count-g$i.out" |
			sed -n 's/^START \([0-9]*\)$/\1/p')
		tap_cond "multi-$count: guest $i started on time (${started:-never}, due $start_at)" \
			test -n "$started" -a "${started:-0}" -le $((start_at + 2))
	done
	: >"$MNV_OUT/multi-$count.stats"
	for u in "${uuids[@]}"; do
		"$MNV_CLI" stats --json "$u" >>"$MNV_OUT/multi-$count.stats"
		tap_run "multi-$count: destroy $u" "$MNV_CLI" destroy "$u"
	done
}
