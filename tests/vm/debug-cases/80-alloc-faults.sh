#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Allocation failures (debug kernel: failslab and fail_page_alloc).  Each
# step of an instance's life runs with kernel allocations failing, in the
# task that asks for it and in the instance's I/O thread:
#   create   the write to the mdev type's "create"
#   open     the VFIO open of the device and the DMA mapping
#   enable   CC.EN
#   queues   Create I/O CQ and SQ
#   io       a write and a read (buffers pinned and submitted by the
#            I/O thread)
# Two ways: every allocation of the target fails (make-it-fail, with the
# attributes' task-filter), and only the N-th one fails (fail-nth), for
# N = 1, 2, ... until the step runs through without reaching an N-th
# fault site: every N up to EVERY_NTH, then every STRIDE-th (the open
# allocates a bounce page per command slot, a few hundred alike).  Every run must fail cleanly (an errno, CSTS.CFS or an NVMe
# error status; tests/faults/vfio-fault checks) or succeed, and the
# instance must then work again with injection off.  Afterwards nothing
# is left pinned, the instance goes away, the module unloads; the kernel
# log must stay clean and the runner's kmemleak scan empty.
. "$MNV_REPO/tests/vm/lib.sh"
mnv_require_root
mnv_require_ko

CLIENT=$MNV_REPO/tests/faults/vfio-fault
DBG=/sys/kernel/debug
MDEV=/sys/bus/mdev/devices
# A step that still meets a fault site after this many is reported: it
# would mean an allocation loop without end, or a client gone astray.
MAX_NTH=${MNV_FAULT_MAX_NTH:-1000}
EVERY_NTH=${MNV_FAULT_EVERY_NTH:-60}
STRIDE=${MNV_FAULT_STRIDE:-16}
# "Every allocation fails" stops after this many faults: a user page
# fault of the client that needs a kernel allocation (a page table, an
# anon_vma) is retried by the fault handler until it succeeds, so an
# unbounded injection would hang the client there for ever.
ALL_TIMES=${MNV_FAULT_ALL_TIMES:-500}

# Not a kernel with fault injection: a failure, never a quiet skip (this
# directory runs on the debug kernel only, see l1-tap.sh).
for a in failslab fail_page_alloc; do
	if [ ! -d "$DBG/$a" ]; then
		tap_fail "fault injection available ($DBG/$a)" \
			"kernel $(uname -r) lacks CONFIG_FAILSLAB/FAIL_PAGE_ALLOC/FAULT_INJECTION_DEBUG_FS"
		tap_done
	fi
done
[ -x "$CLIENT" ] || tap_bail "client not built: $CLIENT (make check-debug builds it)"

# shellcheck disable=SC2086 # one word per controller
set -- $MNV_BDFS
[ $# -ge 1 ] || tap_bail "no NVMe controller"
B=$1
TB=/sys/bus/pci/devices/$B/mdev_supported_types

# --- fault attributes ------------------------------------------------------------

# fault_attr ATTR FILE VALUE
fault_attr() {
	echo "$3" >"$DBG/$1/$2"
}

# Injection armed per task only (task-filter): probability 100 with
# make-it-fail, or fail-nth, which works on its own.  Quiet (verbose 0):
# each injected fault would otherwise print a stack trace, which the log
# checker rightly takes for a splat.  ignore-gfp-wait off: the module
# allocates with GFP_KERNEL.  User pages (__GFP_HIGHMEM) stay exempt: a
# failed user page fault is retried for ever by the fault handler, and
# those pages are the client's, not the module's.  "times" counts down
# with every injected fault; the client reads it to count them.
# shellcheck disable=SC2317 # called through tap_run
faults_setup() {
	local a
	for a in failslab fail_page_alloc; do
		fault_attr "$a" probability 0 &&
			fault_attr "$a" interval 1 &&
			fault_attr "$a" times 1000000000 &&
			fault_attr "$a" space 0 &&
			fault_attr "$a" verbose 0 &&
			fault_attr "$a" task-filter Y &&
			fault_attr "$a" ignore-gfp-wait N || return 1
	done
	fault_attr fail_page_alloc ignore-gfp-highmem Y &&
		fault_attr fail_page_alloc min-order 0 &&
		fault_attr failslab cache-filter N
}

# faults_on / faults_off: the probability make-it-fail needs.
faults_prob() {
	fault_attr failslab probability "$1" &&
		fault_attr fail_page_alloc probability "$1"
}
trap 'faults_prob 0 2>/dev/null' EXIT

tap_run "fault attributes set (task-filter, quiet, GFP_KERNEL included)" \
	faults_setup || tap_bail "cannot set the fault attributes"

# --- setup -------------------------------------------------------------------------

mnv_take_controllers "$B"

U=$(cat /proc/sys/kernel/random/uuid)
LOG=$MNV_OUT/$MNV_CASE.runs
: >"$LOG"

# --- create ---------------------------------------------------------------------------

# create_once MODE...: one create under injection; the instance either
# exists afterwards (then it is removed again) or never appeared.
# Prints the client's step line.
create_once() {
	local out step
	out=$("$CLIENT" "$@" -w "$TB/mdev_nvme-2q/create" "$U" 2>&1)
	step=$(printf '%s\n' "$out" | sed -n 's/^step write: //p')
	printf '%s\n' "create $* -> $step, $(printf '%s\n' "$out" | grep '^injected:')" >>"$LOG"
	case "$step" in
	ok)
		[ -e "$MDEV/$U" ] || { echo "write ok but no instance"; return 1; }
		echo 1 >"$MDEV/$U/remove" || { echo "cannot remove the instance"; return 1; }
		;;
	failed:*)
		[ ! -e "$MDEV/$U" ] || { echo "write failed ($step) but the instance exists"; return 1; }
		;;
	*)
		echo "no result from the client: $out"
		return 1
		;;
	esac
	printf '%s\n' "$out" | grep -E '^(step|injected)'
}

faults_prob 100
out=$(create_once -a)
rc=$?
faults_prob 0
if [ "$rc" -eq 0 ] && [[ $out == "step write: failed:"* ]]; then
	tap_ok "create with every allocation failing: refused cleanly (${out%%$'\n'*})"
else
	tap_fail "create with every allocation failing: refused cleanly" "$out"
fi

# walk_nth NAME CMD...: run CMD -n N for N = 1, 2, ... EVERY_NTH, then
# every STRIDE-th N, until CMD reports that it met no N-th fault site
# (injected: 0).  Every run must exit 0, and the walk must end before
# MAX_NTH.
walk_nth() {
	local name=$1 n=0 runs=0 out rc inj bad='' okc=0 failc=0
	shift
	while [ "$n" -lt "$MAX_NTH" ]; do
		if [ "$n" -lt "$EVERY_NTH" ]; then
			n=$((n + 1))
		else
			n=$((n + STRIDE))
		fi
		runs=$((runs + 1))
		out=$("$@" -n "$n" 2>&1)
		rc=$?
		inj=$(printf '%s\n' "$out" | sed -n 's/^injected: //p')
		printf '%s\n' "$name N=$n rc=$rc $(printf '%s\n' "$out" | grep -E '^(step|recovered|# setup)' | tr '\n' ' ')" >>"$LOG"
		if [ "$rc" -ne 0 ]; then
			bad="N=$n: exit status $rc"$'\n'"$out"
			break
		fi
		if printf '%s\n' "$out" | grep -q -E '^step [a-z]+: ok'; then
			okc=$((okc + 1))
		else
			failc=$((failc + 1))
		fi
		[ "$inj" = 0 ] && break
	done
	if [ -n "$bad" ]; then
		tap_fail "$name: the N-th allocation failing, N = 1..$n" "$bad"
	elif [ "$inj" != 0 ]; then
		tap_fail "$name: the N-th allocation failing, N = 1..$n" \
			"still meeting fault sites at N = $MAX_NTH"
	else
		tap_ok "$name: the N-th allocation failing, N = 1..$n ($runs runs): $failc failed cleanly, $okc succeeded"
	fi
}

# shellcheck disable=SC2317 # called through walk_nth
create_nth() {
	create_once "$@"
}
walk_nth "create" create_nth

# The instance of the remaining steps: 2 queue pairs on LBAs [0, 65536).
tap_run "create the instance" mnv_mdev_create "$B" "$U" 2 1 0 65536 ||
	tap_bail "cannot create $U"
tap_run "it works without injection" "$CLIENT" -c io "$U" ||
	tap_bail "the instance does not work without injection"

# --- open, enable, queues, io ---------------------------------------------------

# all_fail STEP [-t]: every allocation of the client (or the I/O thread)
# fails during STEP, up to ALL_TIMES of them.
all_fail() {
	local step=$1 who=client out rc
	shift
	[ $# -eq 0 ] || who="I/O thread"
	fault_attr failslab times "$ALL_TIMES"
	fault_attr fail_page_alloc times "$ALL_TIMES"
	faults_prob 100
	out=$("$CLIENT" "$@" -a "$step" "$U" 2>&1)
	rc=$?
	faults_prob 0
	fault_attr failslab times 1000000000
	fault_attr fail_page_alloc times 1000000000
	printf '%s\n' "all $step $* rc=$rc $(printf '%s\n' "$out" | grep -E '^(step|injected|recovered)' | tr '\n' ' ')" >>"$LOG"
	if [ "$rc" -eq 0 ]; then
		tap_ok "$step with every allocation of the $who failing: $(printf '%s\n' "$out" | grep -E '^(step|injected)' | tr '\n' ' ')"
	else
		tap_fail "$step with every allocation of the $who failing" "exit status $rc" "$out"
	fi
}

for step in open enable queues io; do
	all_fail "$step"
done
for step in enable queues io; do
	all_fail "$step" -t
done

for step in open enable queues io; do
	walk_nth "$step" "$CLIENT" "$step" "$U"
done
for step in enable queues io; do
	walk_nth "$step in the I/O thread" "$CLIENT" -t "$step" "$U"
done
diag "every run: $LOG (results share)"

# --- afterwards ------------------------------------------------------------------------

tap_run "the instance works with injection off" "$CLIENT" -c io "$U"
tap_eq "instance closed" 0 "$(cat "$MDEV/$U/open" 2>&1)"
tap_eq "no page left pinned" 0 "$(cat "$MDEV/$U/pinned_pages" 2>&1)"
tap_run "remove the instance" sh -c "echo 1 > $MDEV/$U/remove"
tap_cond "instance gone" test ! -e "$MDEV/$U"
tap_eq "all 16 queue pairs free again" 16 \
	"$(cat "/sys/bus/pci/devices/$B/mdev_nvme/queue_pairs_free" 2>&1)"
tap_run "unbind $B" mnv_pci_bind "$B" ""
tap_run "rmmod mdev_nvme" rmmod mdev_nvme
tap_done
