#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The Debian packages installed in an L1 VM on the newest installed Debian
# 6.1 kernel, DKMS building the module there (package-cases/, see
# l1-tap.sh).  One kernel: the build under TCG takes many minutes, and
# tests/packaging/dkms-install.t builds for 6.12 through DKMS natively.
exec "$(dirname "$(readlink -f "$0")")/l1-tap.sh" 6.1 package-cases
