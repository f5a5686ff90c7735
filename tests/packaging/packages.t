#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make deb (TAP output): builds mdev-nvme-dkms and mdev-nvme-tools in a
# temporary directory and checks what they hold: the module's sources and
# a dkms.conf of the right version under /usr/src, the maintainer scripts
# that hand it to DKMS; the CLI (the same program as tools/mdev-nvme), its
# manual page and the documentation.  The tree must stay as it was, and
# lintian must find no error or warning.  Installing the packages and
# letting DKMS build the module is tests/vm/cases/60-packages.sh.
#
#   prove tests/packaging/          (from the top of the repository)

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
cd "$TOP" || exit 1

TAP_SKIP_EXIT=0
# shellcheck source-path=SCRIPTDIR source=../vm/lib.sh
. "$TOP/tests/vm/lib.sh"

for c in dpkg-buildpackage dh_dkms dpkg-deb; do
	command -v "$c" >/dev/null || tap_skip_all "$c missing (make deps)"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/mnv-deb.XXXXXX") || tap_bail "mktemp"
trap 'rm -rf "$T"' EXIT

VER=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
ARCH=$(dpkg --print-architecture)
DKMS_DEB=$T/deb/mdev-nvme-dkms_${VER}_all.deb
TOOLS_DEB=$T/deb/mdev-nvme-tools_${VER}_${ARCH}.deb
SRC=usr/src/mdev-nvme-$VER

# State of the tree before the build (status of every file, ignored
# ones included, so that a build product left in the tree shows).
tree_state() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git status --porcelain --ignored --untracked-files=all -- . ':!build'
	else
		find . -path ./build -prune -o -newer "$T" -print
	fi
}
before=$(tree_state)

if make -s deb DEB_OUT="$T/deb" >"$T/make.log" 2>&1; then
	tap_ok "make deb builds the packages"
else
	tap_fail "make deb builds the packages" "$(tail -n 30 "$T/make.log")"
	tap_bail "no packages to check"
fi
tap_eq "the tree is as it was (build products only under DEB_OUT)" "$before" "$(tree_state)"
tap_cond "mdev-nvme-dkms_${VER}_all.deb" test -f "$DKMS_DEB"
tap_cond "mdev-nvme-tools_${VER}_${ARCH}.deb" test -f "$TOOLS_DEB"
if [ ! -f "$DKMS_DEB" ] || [ ! -f "$TOOLS_DEB" ]; then
	tap_bail "a package is missing"
fi

# files DEB: the regular files of a package, without the leading "./".
files() {
	dpkg-deb --fsys-tarfile "$1" | tar -t | grep -v '/$' | sed 's|^\./||' | sort
}
files "$DKMS_DEB" >"$T/dkms.files"
files "$TOOLS_DEB" >"$T/tools.files"

# --- mdev-nvme-dkms ---------------------------------------------------------------
# The module's sources: what the top-level Makefile builds from.
for f in Kbuild include/*.h mdev_nvme/Kbuild mdev_nvme/*.[ch] mdev_nvme/core/*.[ch] \
	mdev_nvme/core/Kbuild* dkms.conf; do
	[[ $f == *.mod.c ]] || echo "$SRC/$f"
done | sort >"$T/dkms.want"
missing=$(comm -23 "$T/dkms.want" "$T/dkms.files")
tap_eq "dkms: every module source and dkms.conf under /$SRC" "" "$missing"
extra=$(comm -13 "$T/dkms.want" "$T/dkms.files" | grep -v '^usr/share/doc/mdev-nvme-dkms/')
tap_eq "dkms: nothing else but its docs" "" "$extra"
dpkg-deb --fsys-tarfile "$DKMS_DEB" | tar -xO "./$SRC/dkms.conf" >"$T/dkms.conf"
tap_eq "dkms.conf: the package's version" "PACKAGE_VERSION=\"$VER\"" \
	"$(grep '^PACKAGE_VERSION=' "$T/dkms.conf")"
tap_eq "dkms.conf: name and module as in the tree" \
	"$(grep -E '^(PACKAGE_NAME|BUILT_MODULE_NAME|BUILT_MODULE_LOCATION)' dkms.conf)" \
	"$(grep -E '^(PACKAGE_NAME|BUILT_MODULE_NAME|BUILT_MODULE_LOCATION)' "$T/dkms.conf")"
tap_eq "dkms: the sources are those of the tree" "" \
	"$(dpkg-deb --fsys-tarfile "$DKMS_DEB" | tar -x -C "$T" "./$SRC" &&
		sed "s|^$SRC/||" "$T/dkms.want" | while read -r f; do
			[ "$f" = dkms.conf ] || cmp -s "$f" "$T/$SRC/$f" || echo "$f differs"
		done)"
dpkg-deb -e "$DKMS_DEB" "$T/dkms.ctl"
# dh_dkms's scripts: name and version, then DKMS's common.postinst, and
# dkms remove.
for s in postinst prerm; do
	tap_eq "dkms: $s names mdev-nvme $VER" "DKMS_NAME=mdev-nvme DKMS_VERSION=$VER" \
		"$(grep -E '^DKMS_(NAME|VERSION)=' "$T/dkms.ctl/$s" | paste -sd ' ')"
done
tap_cond "dkms: postinst hands the sources to DKMS" \
	grep -q "/usr/lib/dkms/common.postinst" "$T/dkms.ctl/postinst"
# shellcheck disable=SC2016 # the script's own variables, literally
tap_cond "dkms: prerm removes them from DKMS" \
	grep -q 'dkms remove -m $DKMS_NAME -v $DKMS_VERSION --all' "$T/dkms.ctl/prerm"
tap_cond "dkms: depends on dkms" sh -c "dpkg-deb -f '$DKMS_DEB' Depends | grep -qw dkms"

# --- mdev-nvme-tools --------------------------------------------------------------
for f in usr/sbin/mdev-nvme usr/share/man/man8/mdev-nvme.8.gz \
	usr/share/doc/mdev-nvme-tools/sysfs.rst usr/share/doc/mdev-nvme-tools/operators.rst \
	usr/share/doc/mdev-nvme-tools/copyright; do
	tap_cond "tools: ships /$f" grep -qx "$f" "$T/tools.files"
done
# The mdevctl call-out and udev rule, once the tree has them.
if [ -f tools/mdevctl/mdev-nvme-callout ]; then
	for f in etc/mdevctl.d/scripts.d/callouts/mdev-nvme-callout \
		lib/udev/rules.d/61-mdev-nvme-mdevctl.rules; do
		tap_cond "tools: ships /$f" grep -qx "$f" "$T/tools.files"
	done
	tap_cond "tools: the call-out is executable" sh -c \
		"dpkg-deb -c '$TOOLS_DEB' | grep -q '^-rwxr-xr-x .*/callouts/mdev-nvme-callout\$'"
fi
dpkg-deb -x "$TOOLS_DEB" "$T/tools"
make -s -C tools >/dev/null 2>&1
tap_eq "tools: the CLI prints the help of tools/mdev-nvme" "$(tools/mdev-nvme --help)" \
	"$("$T/tools/usr/sbin/mdev-nvme" --help 2>&1)"
tap_eq "tools: the manual page is tools/mdev-nvme.8" "" \
	"$(zcat "$T/tools/usr/share/man/man8/mdev-nvme.8.gz" | cmp - tools/mdev-nvme.8)"
tap_cond "tools: the manual page names version $VER" \
	grep -q "^\.TH .*\"mdev-nvme $VER\"" tools/mdev-nvme.8
for d in Documentation/*.rst; do
	tap_eq "tools: ${d#Documentation/} as in the tree" "" \
		"$(cmp "$d" "$T/tools/usr/share/doc/mdev-nvme-tools/${d#Documentation/}" 2>&1)"
done

# --- lintian --------------------------------------------------------------------
if command -v lintian >/dev/null; then
	lintian --pedantic -I "$T"/deb/*.changes >"$T/lintian.out" 2>"$T/lintian.err"
	grep -v '^I:' "$T/lintian.out" >"$T/lintian.bad"
	tap_eq "lintian: no error, warning or pedantic tag" "" "$(cat "$T/lintian.bad")"
	grep '^I:' "$T/lintian.out" | sed 's/^/# /'
else
	tap_skip "lintian: no error, warning or pedantic tag" "lintian is not installed"
fi

tap_done
