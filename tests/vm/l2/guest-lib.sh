# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Helpers for the guest scripts (busybox sh), copied into every L2
# initramfs as /guest-lib.sh by run-l2.sh.  Also usable on the host.

# fio_verified TERSE_OUTPUT KIB: fio's terse (version 3) result of a write
# job with verification (--verify, one group: --group_reporting) shows
# that the jobs wrote KIB KiB and read every byte of it back to verify.
# A job cut off by --runtime, or one whose verify phase never ran, exits
# 0 all the same: only these counters tell.  Prints one line: what was
# verified, or what is wrong; returns 0 only when everything was verified.
fio_verified() {
	echo "$1" | awk -F';' -v want="$2" '
		$1 == "3" && NF > 47 { seen++; err = $5; r = $6; w = $47 }
		END {
			if (seen != 1) { print "expected one terse result line from fio, found " seen + 0; exit 1 }
			if (err != 0) { print "fio reports error " err; exit 1 }
			if (w != want) { print "written " w " KiB, expected " want " KiB"; exit 1 }
			if (r != w) { print "verified " r " KiB of the " w " KiB written: the verify phase was cut short or never ran"; exit 1 }
			print "written and verified " w " KiB"
		}'
}

# size_kib SIZE: fio size (512k, 4m, 1g or bytes) in KiB
size_kib() {
	case $1 in
	*k) echo "${1%k}" ;;
	*m) echo $((${1%m} * 1024)) ;;
	*g) echo $((${1%g} * 1024 * 1024)) ;;
	*) echo $(($1 / 1024)) ;;
	esac
}
