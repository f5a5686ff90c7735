# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# The benchmark's guest side (busybox sh; also run directly in L1 for the
# native configuration).  /guest-env (or the environment) gives:
#   DEV       block device under test
#   RUNTIME   seconds per fio run
#   IDLE_S    seconds to stay idle first (host CPU use of an idle guest)
#   RWS, JOBS, QDS  workloads, numjobs and iodepth values (default
#             "randread randwrite", "1 4" and "1 4 16 64")
#   BS        block size (default 4k); any other goes into the labels
#   SIZE      the part of DEV each job uses (default 64m; job N starts N
#             times SIZE into it)
#   START_AT  (optional) time (seconds since the epoch) to wait for after
#             the idle period, so that several guests run together; the
#             time each really started is printed as "START <time>"
# For each workload, numjobs and iodepth: one fio run of BS direct I/O
# (libaio), its JSON report between "BEGIN <label>" and "END <label>"
# lines, which the host side uses to measure its own CPU time per run.
# shellcheck source=/dev/null
[ -r /guest-env ] && . /guest-env
: "${RUNTIME:=5}" "${IDLE_S:=10}" "${RWS:=randread randwrite}"
: "${JOBS:=1 4}" "${QDS:=1 4 16 64}" "${BS:=4k}" "${SIZE:=64m}"
suffix=
[ "$BS" = 4k ] || suffix=-bs$BS

i=0
while [ ! -b "$DEV" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
[ -b "$DEV" ] || { echo "ERROR no block device $DEV"; exit 1; }

echo "BEGIN idle"
sleep "$IDLE_S"
echo "END idle"
if [ -n "${START_AT:-}" ]; then
	while [ "$(date +%s)" -lt "$START_AT" ]; do sleep 0.2; done
	echo "START $(date +%s)"
fi

for rw in $RWS; do
	for jobs in $JOBS; do
		for qd in $QDS; do
			label="$rw-j$jobs-qd$qd$suffix"
			echo "BEGIN $label"
			fio --name=bench --filename="$DEV" --direct=1 \
				--ioengine=libaio --rw="$rw" --bs="$BS" \
				--iodepth="$qd" --numjobs="$jobs" --size="$SIZE" \
				--offset_increment="$SIZE" --time_based \
				--runtime="$RUNTIME" --ramp_time=1 \
				--group_reporting --randrepeat=0 \
				--output-format=json 2>&1
			echo "END $label"
		done
	done
done
echo "DONE"
