#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Build (if needed) and run one unit test program; every *.t file is a
# two-line wrapper around this, so that prove can run the C tests.
dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$dir/../lib/tap.sh"
mkdir -p "$dir/build"
if command -v flock >/dev/null 2>&1; then
	lock="flock $dir/build/.lock"
else
	lock=
fi
if ! $lock make -s -C "$dir" "build/$1" >&2; then
	tap_bail "cannot build $1"
fi
exec "$dir/build/$1"
