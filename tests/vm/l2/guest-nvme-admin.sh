# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Runs inside the L2 guest (busybox sh): the stock nvme driver has probed
# the vNVMe; nvme-cli admin commands answer as the instance is configured.
# Expects /guest-env with EXPECT_NSZE (LBAs of the slice).  Prints TAP.
. /guest-env

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
# Details are cut to a few lines: usage texts would drown the log.
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "$l"; done | head -n 8 | sed 's/^/# /'; }
check() { name=$1; shift; if out=$("$@" 2>&1); then ok "$name"; else fail "$name" "$* failed:" "$out"; fi; }

i=0
while [ ! -e /sys/class/nvme/nvme0 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if [ -e /sys/class/nvme/nvme0 ]; then
	ok "stock nvme driver probed the controller"
else
	fail "stock nvme driver probed the controller" "$(dmesg | grep -i nvme | tail -n 8)"
	echo "Bail out! no controller"
	exit 1
fi
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if [ -b /dev/nvme0n1 ]; then ok "namespace block device appeared"; else fail "namespace block device appeared"; fi

idc=$(nvme id-ctrl /dev/nvme0 2>&1)
case "$idc" in *"mdev_nvme virtual controller"*) ok "id-ctrl model" ;; *) fail "id-ctrl model" "$idc" ;; esac
sn=$(echo "$idc" | sed -n 's/^sn *: *//p')
case "$sn" in MNV*) ok "id-ctrl serial derived from the instance" ;; *) fail "id-ctrl serial" "sn=$sn" ;; esac
nn=$(echo "$idc" | sed -n 's/^nn *: *//p')
[ "$nn" = 1 ] && ok "id-ctrl nn is 1" || fail "id-ctrl nn is 1" "nn=$nn"

ids=$(nvme id-ns /dev/nvme0 -n 1 2>&1)
nsze=$(echo "$ids" | sed -n 's/^nsze *: *//p')
[ "$((nsze))" = "$EXPECT_NSZE" ] && ok "id-ns nsze is the slice size" || fail "id-ns nsze is the slice size" "nsze=$nsze expected $EXPECT_NSZE" "$ids"
size=$(cat /sys/block/nvme0n1/size 2>/dev/null)
[ "$size" = "$EXPECT_SECTORS" ] && ok "block device size is the slice" || fail "block device size is the slice" "size=$size expected $EXPECT_SECTORS"

check "nvme list" nvme list
check "nvme smart-log" nvme smart-log /dev/nvme0
check "nvme error-log" nvme error-log /dev/nvme0
check "nvme fw-log" nvme fw-log /dev/nvme0
nq=$(nvme get-feature /dev/nvme0 -f 7 2>&1)
case "$nq" in *"Current value:"*) ok "get-feature number of queues" ;; *) fail "get-feature number of queues" "$nq" ;; esac
check "nvme id-ns descriptors" nvme ns-descs /dev/nvme0 -n 1

echo 1 >/sys/class/nvme/nvme0/reset_controller
i=0
while [ "$(cat /sys/class/nvme/nvme0/state 2>/dev/null)" != live ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
st=$(cat /sys/class/nvme/nvme0/state 2>/dev/null)
[ "$st" = live ] && ok "controller reset from the guest" || fail "controller reset from the guest" "state=$st"
check "id-ctrl after reset" nvme id-ctrl /dev/nvme0

bad=$(dmesg | grep -iE 'nvme.*(timeout|error|fail|abort)' | grep -iv 'command line')
[ -z "$bad" ] && ok "guest kernel log has no nvme errors" || fail "guest kernel log has no nvme errors" "$bad"
echo "1..$n"
