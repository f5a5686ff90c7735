#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Chaos run: four instances, two on each controller, each driven by
# tests/vfio/vfio-chaos (verified I/O with faults of its own: controller
# reset, FLR, queue deletion, unmap, ring unmap, bus mastering off),
# while this script, for the length of the run, at random: SIGKILLs a
# client and starts it again, removes an instance (closed, or open: the
# client is asked to let go) and creates it again, or resets a
# controller through sysfs.  Seeded: the seed is printed, and the same
# seed gives the same choices (not the same timing).
#
# Length and seed come from the L1 kernel command line (run-l1.sh
# --append; the case's environment does not reach the VM), one word:
#   mnv.chaos=SECONDS[:SEED]   (default 90 s, the make check run, and a
#                               seed from the clock; make soak
#                               SOAK_SECONDS=N [SOAK_SEED=S] sets it)
#
# After the run: no data error and no unexpected status in any
# incarnation of any client, each surviving client's own checks, every
# instance closed with nothing pinned, both controllers live, every
# hardware queue pair back in the pool, the module unloads.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_require_root
mnv_require_ko

mnv_require_client vfio-chaos
# shellcheck disable=SC2086 # one word per controller
set -- $MNV_BDFS
[ $# -ge 2 ] || tap_bail "needs two NVMe controllers, found: $MNV_BDFS"
MDEV=/sys/bus/mdev/devices

cmdline_value() {
	tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1
}
ARG=$(cmdline_value mnv.chaos)
DURATION=${ARG%%:*}
SEED=
[[ $ARG != *:* ]] || SEED=${ARG#*:}
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || DURATION=90
[[ $SEED =~ ^[0-9]+$ ]] || SEED=$(($(date +%s%N) % 1000000007))
diag "chaos: $DURATION s, seed $SEED (again: make soak SOAK_SECONDS=$DURATION SOAK_SEED=$SEED)"
RANDOM=$((SEED % 32768 ^ SEED / 32768 % 32768))

# Instance i: controller, type (queue pairs), namespace, slice start.
BDF=("" "$1" "$1" "$2" "$2")
NQ=("" 2 1 2 1)
NSID=("" 1 1 1 2)
START=("" 0 65536 0 0)
COUNT=65536
UUID=("")
for i in 1 2 3 4; do
	UUID[i]=$(cat /proc/sys/kernel/random/uuid)
done

mnv_take_controllers "$1" "$2"
for b in "$1" "$2"; do
	# A re-created instance verifies its predecessor's data: no scrub.
	tap_run "$b: no scrub between instances" \
		sh -c "echo 0 > /sys/bus/pci/devices/$b/mdev_nvme/scrub"
done

# create I [MODE]: instance I with its slice (and polling mode).
create() {
	local i=$1 mode=${2:-}
	mnv_mdev_create "${BDF[i]}" "${UUID[i]}" "${NQ[i]}" "${NSID[i]}" \
		"${START[i]}" "$COUNT" || return 1
	[ -z "$mode" ] || echo "$mode" >"$MDEV/${UUID[i]}/mode"
}
MODES=(adaptive interrupt)
for i in 1 2 3 4; do
	tap_run "create instance $i: ${NQ[i]}q on ${BDF[i]} ns ${NSID[i]} [${START[i]}, +$COUNT)" \
		create "$i" "${MODES[i % 2]}" || tap_bail "cannot create instance $i"
done

T0=$(date +%s)
END=$((T0 + DURATION))
PID=("")
INC=(0 0 0 0 0)		# incarnations started per instance
LOGS=()			# every client log, "i log" per line
KILLS=0 KILL_LEAKS=0 REMOVES=0 REMOVES_OPEN=0 REMOVE_FAILS=0
PRESETS=0 PRESET_FAILS=0 EARLY_EXITS=0

note() {
	echo "$(($(date +%s) - T0)) $*" >>"$MNV_TMP/driver.log"
}

# start I: a client on instance I for what is left of the run.
start() {
	local i=$1 left log seed
	left=$((END - $(date +%s)))
	[ "$left" -ge 5 ] || left=5
	seed=$((RANDOM * 32768 + RANDOM))
	INC[i]=$((INC[i] + 1))
	log=$MNV_TMP/client$i.${INC[i]}.log
	LOGS+=("$i $log")
	"$CLIENT" --chaos "$left" "$seed" --state "$MNV_TMP/state$i" \
		"${UUID[i]}" >"$log" 2>&1 &
	PID[i]=$!
	note "client $i incarnation ${INC[i]}: seed $seed, pid ${PID[i]}, $left s"
}

# closed_clean I: instance I closed, nothing pinned (after its VMM went).
closed_clean() {
	local u=${UUID[$1]}
	[ "$(cat "$MDEV/$u/open" 2>&1)" = 0 ] &&
		[ "$(cat "$MDEV/$u/pinned_pages" 2>&1)" = 0 ]
}


# kill_client I: SIGKILL its VMM; the kernel closes the device.
kill_client() {
	local i=$1
	kill -KILL "${PID[i]}" 2>/dev/null
	wait "${PID[i]}" 2>/dev/null
	KILLS=$((KILLS + 1))
	if ! closed_clean "$i"; then
		KILL_LEAKS=$((KILL_LEAKS + 1))
		note "instance $i after SIGKILL: open $(cat "$MDEV/${UUID[i]}/open"), pinned $(cat "$MDEV/${UUID[i]}/pinned_pages")"
	fi
}

# remove_create I: remove instance I (closed, or open: its client is
# asked to let go through the request interrupt) and create it again.
remove_create() {
	local i=$1 open=$2 t rc
	if [ "$open" -eq 0 ]; then
		kill_client "$i"
	fi
	t=$(date +%s)
	timeout 120 sh -c "echo 1 > $MDEV/${UUID[i]}/remove"
	rc=$?
	if [ "$open" -eq 1 ]; then
		wait "${PID[i]}"
		note "instance $i removed while open in $(($(date +%s) - t)) s: remove rc $rc, client rc $?"
		REMOVES_OPEN=$((REMOVES_OPEN + 1))
	fi
	REMOVES=$((REMOVES + 1))
	if [ "$rc" -ne 0 ] || [ -e "$MDEV/${UUID[i]}" ] ||
		! create "$i" "${MODES[RANDOM % 2]}"; then
		REMOVE_FAILS=$((REMOVE_FAILS + 1))
		note "instance $i: remove rc $rc, or it could not be created again"
		return 1
	fi
	return 0
}

# parent_reset C: reset controller C (1 or 2) from outside.
parent_reset() {
	local b=$1 t state
	t=$(date +%s%N)
	echo 1 >"/sys/bus/pci/devices/$b/reset"
	state=$(cat "/sys/bus/pci/devices/$b/mdev_nvme/state" 2>&1)
	PRESETS=$((PRESETS + 1))
	note "reset of $b: $((($(date +%s%N) - t) / 1000000)) ms, state $state"
	if [ "$state" != live ]; then
		PRESET_FAILS=$((PRESET_FAILS + 1))
		return 1
	fi
}

for i in 1 2 3 4; do
	start "$i"
done
# 0: SIGKILL, 5: removal of a closed instance, 6: of an open one, 3:
# controller reset (2: removal, either way; 4: nothing).
FIRST=(0 5 6 3)
while [ "$(($(date +%s) + 8))" -lt "$END" ]; do
	sleep "$((1 + RANDOM % 4))"
	# A client that ended early (a bug, or a removal it did not ask
	# for) is counted and started again.
	for i in 1 2 3 4; do
		if ! kill -0 "${PID[i]}" 2>/dev/null; then
			wait "${PID[i]}"
			note "client $i ended early with status $?"
			EARLY_EXITS=$((EARLY_EXITS + 1))
			start "$i"
		fi
	done
	i=$((1 + RANDOM % 4))
	# Each kind once first, in a seeded order, so that even the short
	# run has them all; then at random.
	if [ ${#FIRST[@]} -gt 0 ]; then
		k=$((RANDOM % ${#FIRST[@]}))
		action=${FIRST[k]}
		FIRST=("${FIRST[@]:0:k}" "${FIRST[@]:k+1}")
	else
		action=$(((RANDOM % 10) / 2))
	fi
	case $action in
	0 | 1)
		note "SIGKILL client $i"
		kill_client "$i"
		start "$i"
		;;
	2)
		open=$((RANDOM % 2))
		note "remove and create instance $i ($([ "$open" = 1 ] && echo open || echo closed))"
		remove_create "$i" "$open" && start "$i"
		;;
	3)
		b=${BDF[i]}
		note "reset controller $b"
		parent_reset "$b"
		;;
	5)
		note "remove and create instance $i (closed)"
		remove_create "$i" 0 && start "$i"
		;;
	6)
		note "remove and create instance $i (open)"
		remove_create "$i" 1 && start "$i"
		;;
	*)
		note "nothing"
		;;
	esac
done
note "faults over; waiting for the clients"

# The clients end on their own: drain, read everything back, close.
rcs=()
for i in 1 2 3 4; do
	deadline=$(($(date +%s) + 300))
	while kill -0 "${PID[i]}" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
		sleep 1
	done
	if kill -0 "${PID[i]}" 2>/dev/null; then
		note "client $i still running 300 s after the end: SIGKILL"
		kill -KILL "${PID[i]}"
	fi
	wait "${PID[i]}"
	rcs[i]=$?
done
# Every client's log and the driver's, kept with the results.
keep=$MNV_OUT/$MNV_CASE.logs
mkdir -p "$keep" && cp "$MNV_TMP"/client*.log "$MNV_TMP/driver.log" "$keep/"
diag "chaos ran $(($(date +%s) - T0)) s: $KILLS SIGKILLs, $REMOVES removals ($REMOVES_OPEN while open), $PRESETS controller resets, $EARLY_EXITS early exits"
diag_file "$MNV_TMP/driver.log" 400

# sum_counts I: the last counts line of each incarnation of instance I,
# added up field by field.
sum_counts() {
	local i=$1 j log
	for j in "${LOGS[@]}"; do
		[ "${j%% *}" = "$i" ] || continue
		log=${j#* }
		grep '^# counts ' "$log" | tail -n 1
	done | awk '{
		for (f = 1; f <= NF; f++) {
			gsub(/[()]/, "", $f)
			if (split($f, kv, "=") != 2 || kv[2] !~ /^[0-9]+$/)
				continue
			if (!(kv[1] in sum))
				order[n++] = kv[1]
			sum[kv[1]] += kv[2]
		}
	} END {
		for (k = 0; k < n; k++)
			printf "%s=%d ", order[k], sum[order[k]]
	}'
}
for i in 1 2 3 4; do
	diag "instance $i (${INC[i]} incarnations): $(sum_counts "$i")"
done

# Every incarnation: no error reported (killed ones print none at the end).
errs=$MNV_TMP/errors
: >"$errs"
for j in "${LOGS[@]}"; do
	grep -H 'ERROR' "${j#* }" >>"$errs"
done
tap_eq "no data error, lost command or unexpected status in any client incarnation" \
	0 "$(wc -l <"$errs")" || diag_file "$errs" 40
tap_eq "no client ended before the end of the run" 0 "$EARLY_EXITS"
tap_eq "every SIGKILL left its instance closed with nothing pinned ($KILLS kills)" \
	0 "$KILL_LEAKS"
tap_eq "every removal and re-creation went through ($REMOVES, $REMOVES_OPEN while open)" \
	0 "$REMOVE_FAILS"
tap_eq "every controller reset left it live ($PRESETS resets)" 0 "$PRESET_FAILS"
for i in 1 2 3 4; do
	log=$(printf '%s\n' "${LOGS[@]}" | sed -n "s/^$i //p" | tail -n 1)
	tap_reemit "client $i" "$log" "${rcs[i]}"
done

for i in 1 2 3 4; do
	tap_eq "instance $i closed, nothing pinned" "0 0" \
		"$(cat "$MDEV/${UUID[i]}/open" "$MDEV/${UUID[i]}/pinned_pages" 2>&1 |
			tr '\n' ' ' | sed 's/ $//')"
done
for b in "$1" "$2"; do
	tap_eq "controller $b live" live \
		"$(cat "/sys/bus/pci/devices/$b/mdev_nvme/state" 2>&1)"
	diag "controller $b: $(cat "/sys/bus/pci/devices/$b/mdev_nvme/resets") resets"
done
# What the module counted for each instance since it was last created.
for i in 1 2 3 4; do
	st=$MDEV/${UUID[i]}/stats
	diag "instance $i stats: $(for k in write_cmds read_cmds refused_cmds aborted_cmds queue_restarts cache_flushes pin_hits pin_misses; do
		printf '%s=%s ' "$k" "$(cat "$st/$k" 2>/dev/null)"
	done)"
done
for i in 1 2 3 4; do
	tap_run "remove instance $i" sh -c "echo 1 > $MDEV/${UUID[i]}/remove"
done
for b in "$1" "$2"; do
	tap_eq "$b: all hardware queue pairs back in the pool" \
		"$(cat "/sys/bus/pci/devices/$b/mdev_nvme/queue_pairs_total")" \
		"$(cat "/sys/bus/pci/devices/$b/mdev_nvme/queue_pairs_free")"
	tap_run "$b back on its default driver" mnv_pci_bind "$b" ""
done
tap_run "rmmod mdev_nvme" rmmod mdev_nvme
tap_done
