#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# host-action.sh JSON: inside an L1 VM of run-l1.sh --hotplug, have the
# host send one QMP command to this VM's monitor and print QEMU's reply
# (see run-l1.sh, "Host action channel").  Exit status 1 when the channel
# is missing or the host does not answer within 30 s.
#
# Environment: MNV_OUT (the channel is $MNV_OUT/host-action), MNV_CASE
# (names the request).
set -u
dir=${MNV_OUT:?}/host-action
[ -d "$dir" ] || { echo "no host action channel at $dir" >&2; exit 1; }
# Named by the clock: callers in subshells share no counter.
n=${MNV_CASE:-case}-$(date +%s%N)
echo "$1" >"$dir/.$n.req" && mv "$dir/.$n.req" "$dir/$n.req" || exit 1
for _ in $(seq 300); do
	if [ -e "$dir/$n.ack" ]; then
		cat "$dir/$n.ack"
		exit 0
	fi
	sleep 0.1
done
echo "no answer from the host in 30 s" >&2
exit 1
