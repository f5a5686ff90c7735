#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tap-aggregate.sh OUTDIR
#
# Turn the results of one run-l1.sh run into a single TAP stream for prove:
#   - "VM ran all cases" (fails with the console tail if it never did),
#   - every test line of every case, renumbered, its name prefixed by the
#     case name ("ok 7 - 10-lifecycle: create 2q instance"),
#   - a "not ok" per case that timed out, did not run, printed no plan,
#     ran a number of tests different from its plan, bailed out, or exited
#     with a failure status while reporting no failed test,
#   - "kernel log clean": no splat (check-klog.sh) in dmesg.txt, which
#     must exist when the runner finished, nor in console.log; no
#     warning/oops/lockup taint;
#   - "no memory leaks (kmemleak)" when the kernel command line asked for
#     a leak scan (mnv_kmemleak=1): the runner's report must be empty;
#   - per L2 guest run-l2.sh started (l2-guests.list): its console clean
#     by the same rules, and no VFIO region error from its QEMU;
#   - "retries": every retry of l1-tap.sh or run-l2.sh (retries.list) as a
#     diagnostic; fails when one case needed a retry twice in this run.
# A case skipped entirely ("1..0 # SKIP") is a failure: the suite's
# environment has everything the cases need.
# The plan comes last.  Exit status: 0 when everything passed, 1 otherwise.
set -u

VMDIR=$(dirname "$(readlink -f "$0")")

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
OUT=$1

# The TAP of every shell test; tap_line STATUS NAME [DIRECTIVE] prints
# one result, numbered, and counts it unless it passed or is a TODO.
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$VMDIR/../lib/tap.sh"

# diag_tail FILE LINES PREFIX: the end of a file as TAP diagnostics.
diag_tail() {
	[ -s "$1" ] || return 0
	tail -n "$2" "$1" | tr -d '\r' | sed "s/^/# $3/"
}

trim() {
	local s=$1
	s=${s#"${s%%[![:space:]]*}"}
	s=${s%"${s##*[![:space:]]}"}
	printf '%s' "$s"
}

kver=$(cat "$OUT/kver" 2>/dev/null || echo unknown)
vmstatus=$(cat "$OUT/vm.status" 2>/dev/null || echo unknown)
vmsecs=$(cat "$OUT/vm.seconds" 2>/dev/null || echo '?')
echo "# L1 VM on $kver: status $vmstatus, ${vmsecs}s, results in $OUT"

# --- the VM itself -------------------------------------------------------------

if [ -e "$OUT/runner.done" ]; then
	tap_line "ok" "l1: VM booted and ran all cases ($kver)"
else
	tap_line "not ok" "l1: VM booted and ran all cases ($kver)"
	echo "# VM status: $vmstatus; no runner.done in $OUT"
	if [ -s "$OUT/qemu.log" ]; then
		echo "# qemu.log:"
		diag_tail "$OUT/qemu.log" 20 "  "
	fi
	if [ -s "$OUT/console.log" ]; then
		echo "# last lines of console.log:"
		diag_tail "$OUT/console.log" 40 "  "
	else
		echo "# console.log is empty or missing: the kernel never started?"
	fi
fi

# --- the cases -------------------------------------------------------------------

# run_case NAME: replay one case's TAP, renumbered and prefixed.
run_case() {
	local name=$1 tap=$OUT/$1.tap rc secs limit
	local plan='' planrest='' count=0 fails=0 problems=0 bail='' line rest st desc dir

	rc=$(cat "$OUT/$name.rc" 2>/dev/null)
	secs=$(cat "$OUT/$name.seconds" 2>/dev/null)
	limit=$(cat "$OUT/$name.limit" 2>/dev/null)
	echo "# ---- $name (status ${rc:-none}${secs:+, ${secs}s})"

	if [ -e "$tap" ]; then
		while IFS= read -r line || [ -n "$line" ]; do
			line=${line%$'\r'}
			if [[ $line =~ ^(not\ )?ok($|[[:space:]]) ]]; then
				st=ok
				rest=${line#ok}
				if [[ $line == not* ]]; then
					st="not ok"
					rest=${line#not ok}
				fi
				# Drop the case's own number and the "-" separator.
				rest=$(trim "$rest")
				[[ $rest =~ ^[0-9]+ ]] && rest=${rest#"${BASH_REMATCH[0]}"}
				rest=$(trim "$rest")
				rest=${rest#-}
				desc=$(trim "${rest%%#*}")
				dir=
				[[ $rest == *#* ]] && dir=$(trim "${rest#*#}")
				[ -n "$desc" ] || desc="test $((count + 1))"
				count=$((count + 1))
				[ "$st" = "not ok" ] && fails=$((fails + 1))
				tap_line "$st" "$name: $desc" "$dir"
			elif [[ $line =~ ^1\.\.([0-9]+)(.*)$ ]]; then
				if [ -n "$plan" ]; then
					echo "# $name: second plan line: $line"
					problems=$((problems + 1))
				else
					plan=${BASH_REMATCH[1]}
					planrest=$(trim "${BASH_REMATCH[2]}")
				fi
			elif [[ $line =~ ^Bail\ out!(.*)$ ]]; then
				bail=$(trim "${BASH_REMATCH[1]}")
				[ -n "$bail" ] || bail="(no reason given)"
			elif [[ $line =~ ^TAP\ version ]] || [ -z "$line" ]; then
				:
			elif [[ $line == \#* ]]; then
				printf '%s\n' "$line"
			else
				# Anything else (subtests, stray output) stays visible but
				# cannot confuse the harness.
				printf '#   %s\n' "$line"
			fi
		done <"$tap"
	fi

	if [ -z "$rc" ]; then
		local why="the VM stopped first ($vmstatus)"
		[ -e "$OUT/runner.done" ] && why="no exit status recorded"
		tap_line "not ok" "$name: did not complete: $why"
		problems=$((problems + 1))
	elif [ "$rc" = notrun ]; then
		tap_line "not ok" "$name: not run: VM time budget exhausted"
		problems=$((problems + 1))
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		tap_line "not ok" "$name: timed out after ${limit:-?}s"
		problems=$((problems + 1))
	fi
	if [ -n "$bail" ]; then
		tap_line "not ok" "$name: bailed out: $bail"
		problems=$((problems + 1))
	fi
	if [ -n "$rc" ] && [ "$rc" != notrun ]; then
		if [ -z "$plan" ]; then
			tap_line "not ok" "$name: no TAP plan printed"
			problems=$((problems + 1))
		elif [ "$plan" = 0 ] && [ "$count" -eq 0 ]; then
			# "1..0 # SKIP reason": the whole case is skipped.
			local reason=${planrest#\#}
			reason=$(trim "$reason")
			reason=${reason#[Ss][Kk][Ii][Pp]}
			reason=$(trim "$reason")
			# The suite's environment is known (CI has every kernel,
			# tool and nested KVM): a case that cannot run is a failure.
			tap_line "not ok" "$name: skipped entirely: ${reason:-no reason given}"
			problems=$((problems + 1))
		elif [ "$plan" -ne "$count" ] && [ -z "$bail" ]; then
			tap_line "not ok" "$name: planned $plan tests, ran $count"
			problems=$((problems + 1))
		fi
	fi
	if [ "$fails" -eq 0 ] && [ "$problems" -eq 0 ] && [[ $rc =~ ^[0-9]+$ ]] &&
		[ "$rc" -ne 0 ] && [ "$rc" -ne 4 ]; then
		tap_line "not ok" "$name: exited with status $rc"
		problems=$((problems + 1))
	fi
	if [ $((fails + problems)) -gt 0 ] && [ -s "$OUT/$name.err" ]; then
		echo "# $name stderr (last lines):"
		diag_tail "$OUT/$name.err" 30 "  "
	fi
}

if [ -r "$OUT/cases.list" ]; then
	while read -r name _; do
		[ -n "$name" ] && run_case "$name"
	done <"$OUT/cases.list"
else
	tap_line "not ok" "case list present in $OUT"
fi

# --- the kernel log --------------------------------------------------------------

# Taint flags that mean something went wrong (see
# Documentation/admin-guide/tainted-kernels.rst): M machine check, B bad
# page, D died (oops), W warning, L soft lockup.
TAINT_BAD=$(((1 << 4) | (1 << 5) | (1 << 7) | (1 << 9) | (1 << 14)))
TAINT_LETTERS=PFSRMBUDAWCIOELKXTN

taint_letters() {
	local t=$1 i s=
	for ((i = 0; i < ${#TAINT_LETTERS}; i++)); do
		((t & (1 << i))) && s+=${TAINT_LETTERS:i:1}
	done
	printf '%s' "$s"
}

# scan_klog NAME FILE: one test, FILE has no splat (check-klog.sh).
scan_klog() {
	local name=$1 f=$2 hits krc n first at
	hits=$("$VMDIR/check-klog.sh" "$f" 2>&1)
	krc=$?
	if [ "$krc" -eq 0 ]; then
		tap_line "ok" "$name"
		return 0
	fi
	tap_line "not ok" "$name"
	if [ "$krc" -eq 2 ]; then
		echo "# cannot read $f"
		return 1
	fi
	echo "# scanned $f"
	printf '%s\n' "$hits" | head -n 60 | sed 's/^/#   /'
	n=$(printf '%s\n' "$hits" | wc -l)
	[ "$n" -le 60 ] || echo "#   ... $((n - 60)) more lines"
	# The first report in context usually tells the story.
	first=$(printf '%s\n' "$hits" | head -n 1)
	at=$(tr -d '\r' <"$f" | grep -a -n -F -m 1 -- "$first" | cut -d: -f1)
	if [ -n "$at" ]; then
		echo "# first report in context ($(basename "$f") line $at):"
		tr -d '\r' <"$f" | sed -n "$((at > 5 ? at - 5 : 1)),$((at + 25))p" |
			sed 's/^/#   | /'
	fi
	return 1
}

# Both the saved dmesg and the serial console: the console also has what
# came after dmesg was saved, and everything when the VM died first.  A
# log that could not be read fails: it is no evidence of a clean kernel.
if [ -e "$OUT/runner.done" ]; then
	if [ -e "$OUT/dmesg.failed" ] || [ ! -s "$OUT/dmesg.txt" ]; then
		tap_line "not ok" "kernel log clean (dmesg)"
		echo "# the runner could not save the kernel log: $(cat "$OUT/dmesg.failed" 2>/dev/null || echo 'no dmesg.txt')"
		diag_tail "$OUT/dmesg.err" 5 "  "
	else
		scan_klog "kernel log clean (dmesg)" "$OUT/dmesg.txt"
	fi
fi
if [ -s "$OUT/console.log" ]; then
	scan_klog "kernel log clean (console)" "$OUT/console.log"
else
	tap_line "not ok" "kernel log clean (console)"
	echo "# console.log is empty or missing in $OUT"
fi

# What QEMU saw L1 do wrong to its devices (run-l1.sh: -d guest_errors):
# reports of the NVMe controllers start with pci_nvme_, and a write where
# no device answers (a BAR whose memory decoding is off during a function
# reset) is an "Invalid write".  A surprise removal (a run with a
# host-action channel, run-l1.sh --hotplug) resets the controller and
# takes it away under its driver, which learns of it only from doorbells
# nobody answers: such a run is not judged by this.
bad_access='^pci_nvme_|^Invalid (read|write) at addr'
if [ -d "$OUT/host-action" ]; then
	tap_line "ok" "no invalid access to the emulated devices" "SKIP a controller was removed under its driver"
elif [ -e "$OUT/qemu-guest-errors.log" ]; then
	nvme_errs=$(grep -cE "$bad_access" "$OUT/qemu-guest-errors.log")
	if [ "$nvme_errs" -eq 0 ]; then
		tap_line "ok" "no invalid access to the emulated devices"
	else
		tap_line "not ok" "no invalid access to the emulated devices"
		echo "# $nvme_errs reports in $OUT/qemu-guest-errors.log, e.g.:"
		grep -E "$bad_access" "$OUT/qemu-guest-errors.log" | sort | uniq -c |
			sort -rn | head -n 5 | sed 's/^/#   /'
	fi
else
	tap_line "not ok" "no invalid access to the emulated devices"
	echo "# no qemu-guest-errors.log in $OUT"
fi

taint=$(cat "$OUT/tainted" 2>/dev/null)
if [ -e "$OUT/runner.done" ] && [[ ! $taint =~ ^[0-9]+$ ]]; then
	tap_line "not ok" "kernel not tainted by a warning, oops or lockup"
	echo "# no readable taint flags in $OUT/tainted"
elif [[ $taint =~ ^[0-9]+$ ]]; then
	if [ $((taint & TAINT_BAD)) -eq 0 ]; then
		tap_line "ok" "kernel not tainted by a warning, oops or lockup"
		# Harmless taints (O, E for the out-of-tree module) are worth a note.
		[ "$taint" -eq 0 ] || echo "# taint flags at the end: $(taint_letters "$taint")"
	else
		tap_line "not ok" "kernel not tainted by a warning, oops or lockup"
		echo "# kernel tainted: $taint ($(taint_letters "$taint"))"
	fi
fi

# --- kmemleak ----------------------------------------------------------------------

# A run booted with mnv_kmemleak=1 (the debug kernel, see l1-tap.sh) must
# end with a leak report, and an empty one: every unreferenced object is
# a failure, whoever allocated it (the report names the allocation
# stack).
if grep -q 'mnv_kmemleak=1' "$OUT/qemu.cmd" 2>/dev/null && [ -e "$OUT/runner.done" ]; then
	if [ -e "$OUT/kmemleak.failed" ] || [ ! -e "$OUT/kmemleak.txt" ]; then
		tap_line "not ok" "no memory leaks (kmemleak)"
		echo "# no leak report: $(cat "$OUT/kmemleak.failed" 2>/dev/null || echo 'no kmemleak.txt')"
	elif [ -s "$OUT/kmemleak.txt" ]; then
		tap_line "not ok" "no memory leaks (kmemleak)"
		echo "# $(grep -c '^unreferenced object' "$OUT/kmemleak.txt") unreferenced object(s), $OUT/kmemleak.txt:"
		head -n 80 "$OUT/kmemleak.txt" | sed 's/^/#   /'
	else
		tap_line "ok" "no memory leaks (kmemleak)"
	fi
fi

# --- L2 guests ---------------------------------------------------------------------

# tests/vm/l2/run-l2.sh lists every guest it started in l2-guests.list:
# "CASE SCRIPT ATTEMPT QEMU-STATUS CONSOLE QEMU-LOG", paths relative to
# OUT.  Each guest's console gets the same scan as the L1 kernel log, and
# QEMU's own VFIO region errors (a refused BAR access) fail too.
if [ -s "$OUT/l2-guests.list" ]; then
	while read -r gcase gscript gattempt _ gcons gqlog; do
		[ -n "$gcase" ] || continue
		what="$gcase: L2 guest $gscript (attempt $gattempt)"
		if [ ! -s "$OUT/$gcons" ]; then
			tap_line "not ok" "$what: kernel log clean"
			echo "# no console capture $gcons"
		else
			scan_klog "$what: kernel log clean" "$OUT/$gcons"
		fi
		vhits=$(grep -a -E 'vfio_region_|vfio_err|VFIO_MAP_DMA failed|vfio: Error' "$OUT/$gqlog" 2>/dev/null)
		if [ ! -e "$OUT/$gqlog" ]; then
			tap_line "not ok" "$what: QEMU reported no VFIO error"
			echo "# no QEMU log $gqlog"
		elif [ -n "$vhits" ]; then
			tap_line "not ok" "$what: QEMU reported no VFIO error"
			printf '%s\n' "$vhits" | head -n 20 | sed 's/^/#   /'
		else
			tap_line "ok" "$what: QEMU reported no VFIO error"
		fi
	done <"$OUT/l2-guests.list"
fi

# --- retries -------------------------------------------------------------------------

# retries.list: "KEY REASON..." per retry (l1-tap.sh for the L1 VM,
# run-l2.sh for L2 guests).  A retry is never silent: it is said here and
# counted in one test, which fails when the same KEY needed a retry twice
# in this run of the suite (MNV_RUN_ID, counted in MNV_RETRY_LEDGER, which
# l1-tap.sh keeps) or twice in these results.
nretry=0
repeated=
retries=()
[ ! -s "$OUT/retries.list" ] || mapfile -t retries <"$OUT/retries.list"
for r in "${retries[@]}"; do
	read -r key reason <<<"$r"
	[ -n "$key" ] || continue
	nretry=$((nretry + 1))
	echo "# retry: $key: $reason"
	seen=$(printf '%s\n' "${retries[@]}" | awk -v k="$key" '$1 == k' | wc -l)
	if [ -n "${MNV_RUN_ID:-}" ] && [ -r "${MNV_RETRY_LEDGER:-}" ]; then
		inrun=$(awk -v r="$MNV_RUN_ID" -v k="$key" '$1 == r && $2 == k' \
			"$MNV_RETRY_LEDGER" | wc -l)
		[ "$inrun" -le "$seen" ] || seen=$inrun
	fi
	[ "$seen" -lt 2 ] || repeated="$repeated $key"
done
if [ "$nretry" -eq 0 ]; then
	tap_line "ok" "retries: none"
elif [ -z "$repeated" ]; then
	tap_line "ok" "retries: $nretry, each the first of its case in this run"
else
	tap_line "not ok" "retries: $nretry; needed a retry twice in this run:$repeated"
fi

tap_done
