# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Runs inside the L2 guest (busybox sh): the stock nvme driver has probed
# the vNVMe; nvme-cli admin commands answer as the instance is configured.
# Expects /guest-env with EXPECT_NSZE (LBAs of the slice).  Prints TAP
# (tests/lib/tap.sh, shipped as /tap.sh).
. /guest-env
# Details are cut to a few lines: usage texts would drown the log.
TAP_DIAG_CUT="head -n 8"
# shellcheck source-path=SCRIPTDIR source=../../lib/tap.sh
. /tap.sh

i=0
while [ ! -e /sys/class/nvme/nvme0 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if [ -e /sys/class/nvme/nvme0 ]; then
	tap_ok "stock nvme driver probed the controller"
else
	tap_fail "stock nvme driver probed the controller" "$(dmesg | grep -i nvme | tail -n 8)"
	tap_bail "no controller"
fi
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
tap_cond "namespace block device appeared" [ -b /dev/nvme0n1 ]

idc=$(nvme id-ctrl /dev/nvme0 2>&1)
case "$idc" in *"mdev_nvme virtual controller"*) tap_ok "id-ctrl model" ;; *) tap_fail "id-ctrl model" "$idc" ;; esac
sn=$(echo "$idc" | sed -n 's/^sn *: *//p')
case "$sn" in MNV*) tap_ok "id-ctrl serial derived from the instance" ;; *) tap_fail "id-ctrl serial" "sn=$sn" ;; esac
nn=$(echo "$idc" | sed -n 's/^nn *: *//p')
tap_eq "id-ctrl nn is 1" 1 "$nn"

ids=$(nvme id-ns /dev/nvme0 -n 1 2>&1)
nsze=$(echo "$ids" | sed -n 's/^nsze *: *//p')
[ "$((nsze))" = "$EXPECT_NSZE" ] && tap_ok "id-ns nsze is the slice size" || tap_fail "id-ns nsze is the slice size" "nsze=$nsze expected $EXPECT_NSZE" "$ids"
size=$(cat /sys/block/nvme0n1/size 2>/dev/null)
tap_eq "block device size is the slice" "$EXPECT_SECTORS" "$size"

tap_run "nvme list" nvme list
tap_run "nvme smart-log" nvme smart-log /dev/nvme0
tap_run "nvme error-log" nvme error-log /dev/nvme0
tap_run "nvme fw-log" nvme fw-log /dev/nvme0
nq=$(nvme get-feature /dev/nvme0 -f 7 2>&1)
case "$nq" in *"Current value:"*) tap_ok "get-feature number of queues" ;; *) tap_fail "get-feature number of queues" "$nq" ;; esac
tap_run "nvme id-ns descriptors" nvme ns-descs /dev/nvme0 -n 1

if echo 1 >/sys/class/nvme/nvme0/reset_controller; then
	i=0
	while [ "$(cat /sys/class/nvme/nvme0/state 2>/dev/null)" != live ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	tap_eq "controller reset from the guest" live "$(cat /sys/class/nvme/nvme0/state 2>/dev/null)"
else
	tap_fail "controller reset from the guest" "writing reset_controller failed"
fi
tap_run "id-ctrl after reset" nvme id-ctrl /dev/nvme0

bad=$(dmesg | grep -iE 'nvme.*(timeout|error|fail|abort)' | grep -iv 'command line')
tap_eq "guest kernel log has no nvme errors" "" "$bad"
tap_done
