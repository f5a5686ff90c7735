#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Isolation under faults on a throttled drive (slow-cases/) on the newest
# installed Debian 6.12 kernel (see l1-tap.sh).
exec "$(dirname "$(readlink -f "$0")")/l1-tap.sh" 6.12 slow-cases
