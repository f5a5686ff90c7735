#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# L2 guest tests (nested KVM inside the L1 VM) on the newest installed
# Debian 6.12 kernel (see l1-tap.sh).
exec "$(dirname "$(readlink -f "$0")")/l1-tap.sh" 6.12 l2-cases
