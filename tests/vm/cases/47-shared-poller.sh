#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Shared pollers: eight poll-mode instances on one CPU are served by one
# thread, mnv/poll<CPU>, and none of their own.  Eight VFIO clients, one
# per instance, write and verify data on all of them at once for a fixed
# time, one command at a time, next to a ninth tenant on the same poller
# that keeps four deep queues full: each must make progress, with fair
# shares (Jain's index of their completed commands at least 0.95), and
# the hog never fetches more than the burst, 64 SQEs, in one turn (its
# stats/turn_fetch_peak: without the burst its four SQs would give 256),
# nor takes in or posts more than 128 completions (stats/turn_cqe_peak).
# The hog is an instance of the other controller, so that it competes
# for the poller, not for the drive.  An instance of the other controller
# held open and idle meanwhile, on the same CPU, costs the poller a check
# a turn, not a pass.  Once they are
# closed the poller is gone and nothing stays pinned.  Instances on two
# CPUs get two pollers; an adaptive one keeps a thread of its own.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_require_root
mnv_require_ko

mnv_require_client vfio-blk
VFIO_OPEN=$MNV_REPO/tests/vfio/vfio-open
# shellcheck disable=SC2086 # one word per controller
set -- $MNV_BDFS
[ $# -ge 2 ] || tap_skip_all "needs two NVMe controllers"
A=$1
B=$2
MDEV=/sys/bus/mdev/devices
NR=8
# Long enough for the last client to open while the first still runs: a
# client's open, enable and queue setup take seconds in a slow L1.
SECS=15
N=8192		# LBAs per instance
# The poller on the last CPU, the clients on the others (the first alone
# with one CPU).
LAST=$(($(nproc) - 1))
PCPU=$LAST
CCPUS=0-$((LAST > 0 ? LAST - 1 : 0))
KLOG_START=$(dmesg | wc -l)

# pollers: the shared pollers' threads, "name" per line, sorted.
pollers() {
	pgrep -l '^mnv/poll' | awk '{ print $2 }' | sort
}

# own_threads U...: how many of the instances U have a thread of their own.
own_threads() {
	local u n=0
	for u in "$@"; do
		pgrep -x "mnv/${u:0:8}" >/dev/null && n=$((n + 1))
	done
	echo "$n"
}

# attr NAME U...: attribute NAME of each instance, space-separated.
attr() {
	local a=$1 u
	shift
	for u in "$@"; do
		cat "$MDEV/$u/$a"
	done | tr '\n' ' ' | sed 's/ $//'
}

# shellcheck disable=SC2317 # called through tap_run
# wait_attr NAME WANT U...: until attribute NAME of the instances U reads
# WANT (space-separated), 60 s at most, however slow each look is (the
# clients take the other CPUs); prints what it read last.
wait_attr() {
	local a=$1 want=$2 end got
	shift 2
	end=$((SECONDS + 60 * $(mnv_time_scale)))
	while [ "$SECONDS" -lt "$end" ]; do
		got=$(attr "$a" "$@")
		[ "$got" = "$want" ] && return 0
		sleep 0.2
	done
	echo "$a: $got"
	return 1
}

# shellcheck disable=SC2317 # called through tap_run
# wait_two_pollers: until instances 0 and 1 are on the pollers of CPUs 0
# and 1, both threads seen at the same time, and instance 2 (adaptive)
# has its own thread; 60 s at most; prints what it saw last.
wait_two_pollers() {
	local end a p t
	end=$((SECONDS + 60 * $(mnv_time_scale)))
	while [ "$SECONDS" -lt "$end" ]; do
		a=$(attr poller "${U[0]}" "${U[1]}" "${U[2]}")
		p=$(pollers | tr '\n' ' ' | sed 's/ $//')
		t=$(own_threads "${U[2]}")
		[ "$a|$p|$t" = "poll0 poll1 thread|mnv/poll0 mnv/poll1|1" ] && return 0
		sleep 0.2
	done
	echo "poller: $a; threads: $p; own thread: $t"
	return 1
}

# repeat WORD N: WORD N times, space-separated.
repeat() {
	local i out=
	for ((i = 0; i < $2; i++)); do
		out="$out${out:+ }$1"
	done
	echo "$out"
}

# shellcheck disable=SC2317 # called through tap_run
# create_poll BDF UUID START CPU: a 1q poll-mode instance on CPU.
create_poll() {
	mnv_mdev_create "$1" "$2" 1 1 "$3" "$N" &&
		echo poll >"$MDEV/$2/mode" && echo "$4" >"$MDEV/$2/cpu"
}

# shellcheck disable=SC2317 # called through tap_run
# create_hog: instance HOG of the other controller, 4q, poll mode on the
# poller's CPU, a slice of 64 LBAs after the idle instance's.
create_hog() {
	mnv_mdev_create "$A" "$HOG" 4 1 $((4096 + N)) 64 &&
		echo poll >"$MDEV/$HOG/mode" && echo "$PCPU" >"$MDEV/$HOG/cpu"
}

mnv_take_controllers "$A" "$B"
avail=$(cat "/sys/bus/pci/devices/$B/mdev_supported_types/mdev_nvme-1q/available_instances")
[ "$avail" -ge "$NR" ] || tap_bail "$B offers $avail 1q instances, $NR needed"

U=()
for ((i = 0; i < NR; i++)); do
	U[i]=$(cat /proc/sys/kernel/random/uuid)
	tap_run "create poll-mode instance $i on CPU $PCPU" \
		create_poll "$B" "${U[i]}" $((4096 + i * N)) "$PCPU" ||
		tap_bail "cannot create instance $i"
done
HOG=$(cat /proc/sys/kernel/random/uuid)
# The hog reads LBAs [0, 8) of its slice only.
avail4=$(cat "/sys/bus/pci/devices/$A/mdev_supported_types/mdev_nvme-4q/available_instances")
if [ "$avail4" -ge 1 ]; then
	tap_run "create a 4q poll-mode instance, the hog, on CPU $PCPU" create_hog
else
	tap_skip "$A offers no 4q instance" "create the hog"
	HOG=
fi
IDLE=$(cat /proc/sys/kernel/random/uuid)
tap_run "create an instance left idle, on CPU $PCPU, on $A" \
	create_poll "$A" "$IDLE" 4096 "$PCPU" ||
	tap_bail "cannot create the idle instance"
tap_eq "closed: served by no thread" "$(repeat none $NR)" "$(attr poller "${U[@]}")"
tap_eq "no shared poller before an open" "" "$(pollers)"

# --- eight clients at once, a hog and one idle instance ---------------------
hold=$MNV_TMP/hold47.$$
"$VFIO_OPEN" "$IDLE" hold "$hold" &
holder=$!
mnv_wait_file "$hold" 10
PIDS=()
for ((i = 0; i < NR; i++)); do
	taskset -c "$CCPUS" "$CLIENT" "${U[i]}" run "$SECS" "t47-$i" \
		>"$MNV_TMP/blk47-$i.out" 2>&1 &
	PIDS[i]=$!
done
tap_run "the eight clients opened their instances, all served by the poller of CPU $PCPU" \
	wait_attr poller "$(repeat "poll$PCPU" $NR)" "${U[@]}"
# The hog once they run: its client would slow their opens down.
if [ -n "$HOG" ]; then
	taskset -c "$CCPUS" "$CLIENT" "$HOG" hog $((SECS / 2)) 4 >"$MNV_TMP/blk47-hog.out" 2>&1 &
	hog_pid=$!
fi
tap_eq "one poller thread: mnv/poll$PCPU" "mnv/poll$PCPU" "$(pollers)"
tap_eq "no instance has a thread of its own" 0 "$(own_threads "${U[@]}" "$IDLE")"
poller_pid=$(pgrep -x "mnv/poll$PCPU" | head -n 1)
tap_eq "the poller runs on CPU $PCPU" "$PCPU" \
	"$(ps -o psr= -p "$poller_pid" 2>/dev/null | tr -d ' ')"
idle_polls=$(cat "$MDEV/$IDLE/stats/polls")
sleep 2
idle_polls2=$(cat "$MDEV/$IDLE/stats/polls")
tap_eq "the idle instance had no pass in 2 s" "$idle_polls" "$idle_polls2"
tap_cond "the idle instance counts its idle period" \
	test "$(cat "$MDEV/$IDLE/stats/idle_sleeps")" -ge 1
fails=0
IOS=()
for ((i = 0; i < NR; i++)); do
	wait "${PIDS[i]}" || fails=$((fails + 1))
	diag "$(cat "$MNV_TMP/blk47-$i.out")"
	IOS[i]=$(sed -n 's/.*run: \([0-9]*\) ios$/\1/p' "$MNV_TMP/blk47-$i.out")
done
tap_eq "every client wrote and verified its data" 0 "$fails"
if [ -n "$HOG" ]; then
	wait "$hog_pid"
	hog_rc=$?
	diag "$(cat "$MNV_TMP/blk47-hog.out")"
	tap_eq "the hog's reads all completed" 0 "$hog_rc"
	peak=$(cat "$MDEV/$HOG/stats/turn_fetch_peak")
	tap_cond "the hog fetched at most the burst in a turn: peak $peak, 1..64" \
		test "$peak" -ge 1 -a "$peak" -le 64
	peak=$(cat "$MDEV/$HOG/stats/turn_cqe_peak")
	tap_cond "the hog took in and posted at most 128 completions in a turn: peak $peak, 1..128" \
		test "$peak" -ge 1 -a "$peak" -le 128
fi
progressed=0
for ((i = 0; i < NR; i++)); do
	[ "${IOS[i]:-0}" -gt 0 ] && progressed=$((progressed + 1))
done
tap_eq "every instance progressed" "$NR" "$progressed"
jain=$(printf '%s\n' "${IOS[@]}" | awk '{ s += $1; q += $1 * $1; n++ }
	END { if (q > 0) printf "%.4f", s * s / (n * q); else print 0 }')
diag "completed commands: ${IOS[*]}; Jain index $jain"
tap_cond "fair shares: Jain index $jain >= 0.95" \
	awk -v j="$jain" 'BEGIN { exit !(j >= 0.95) }'
for ((i = 0; i < NR; i++)); do
	diag "instance $i: polls $(cat "$MDEV/${U[i]}/stats/polls") idle_sleeps $(cat "$MDEV/${U[i]}/stats/idle_sleeps")"
done
tap_eq "the poller stays while an instance is open" "mnv/poll$PCPU" "$(pollers)"
rm -f "$hold"
wait "$holder"
tap_eq "the idle instance was held without error" 0 $?
tap_eq "all closed: the poller is gone" "" "$(pollers)"
tap_eq "closed: served by no thread" "$(repeat none $NR) none" \
	"$(attr poller "${U[@]}" "$IDLE")"
tap_eq "nothing pinned" "$(repeat 0 $((NR + 1)))" \
	"$(attr pinned_pages "${U[@]}" "$IDLE")"

# --- two CPUs, two pollers; adaptive keeps its thread -----------------------
if [ "$LAST" -ge 1 ]; then
	tap_run "instance 0 on CPU 0, instance 1 on CPU 1" sh -c \
		"echo 0 > $MDEV/${U[0]}/cpu && echo 1 > $MDEV/${U[1]}/cpu"
	tap_run "instance 2 adaptive" sh -c "echo adaptive > $MDEV/${U[2]}/mode"
	# Held open until checked: clients that ran for a fixed time could
	# close before a slow look saw all three open.
	for i in 0 1 2; do
		"$VFIO_OPEN" "${U[i]}" hold "$hold.b$i" &
		PIDS[i]=$!
	done
	tap_run "opened: each instance on its CPU's poller, two poller threads; adaptive has a thread of its own" \
		wait_two_pollers
	fails=0
	for i in 0 1 2; do
		mnv_wait_file "$hold.b$i" 10
		rm -f "$hold.b$i"
		wait "${PIDS[i]}" || fails=$((fails + 1))
	done
	tap_eq "the three instances were held and closed without error" 0 "$fails"
	tap_eq "closed: no poller left" "" "$(pollers)"
else
	tap_skip "one CPU" "instances on two CPUs get two pollers"
fi

# --- teardown ------------------------------------------------------------------
tap_run "remove the instances" sh -c \
	"for u in ${U[*]} $HOG $IDLE; do echo 1 > $MDEV/\$u/remove || exit 1; done"
tap_run "$B back on its default driver" mnv_pci_bind "$B" ""
tap_run "$A back on its default driver" mnv_pci_bind "$A" ""
tap_run "rmmod mdev_nvme" rmmod mdev_nvme
tap_cond "kernel log clean since the case started" sh -c \
	"! dmesg | tail -n +$((KLOG_START + 1)) | grep -E 'WARNING|BUG|Oops|circular locking|possible recursive|use-after-free|hung_task'"
tap_done
