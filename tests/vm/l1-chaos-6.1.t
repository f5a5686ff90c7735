#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Chaos run (chaos-cases/) on the newest installed Debian 6.1 kernel (see
# l1-tap.sh): 90 s under make check, longer with make soak.
exec "$(dirname "$(readlink -f "$0")")/l1-tap.sh" 6.1 chaos-cases
