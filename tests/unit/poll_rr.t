#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
exec "$(dirname "$0")/run-test.sh" test_poll_rr
