# SPDX-License-Identifier: GPL-2.0-only
#
# DKMS and Debian packaging (included by the top-level Makefile).
#
#   make dkms-install    sources to /usr/src/mdev-nvme-VERSION, then
#                        dkms install for the running kernel (DKMS_KVER=...:
#                        for another installed one)
#   make dkms-uninstall  dkms remove --all, sources removed
#   make deb             build/deb/mdev-nvme-dkms_VERSION_all.deb and
#                        build/deb/mdev-nvme-tools_VERSION_ARCH.deb
#                        (DEB_OUT=DIR: elsewhere)
#
# The version is the one of debian/changelog.  make deb builds in a copy
# of the files the packages need, under DEB_OUT, so the tree stays clean.

DKMS_NAME   := mdev-nvme
PKG_VERSION ?= $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
DKMS_DIR     = $(DESTDIR)/usr/src/$(DKMS_NAME)-$(PKG_VERSION)
DEB_OUT     ?= build/deb
DKMS_KVER   ?= $(shell uname -r)

# What the package build reads: the module, the CLI, the docs, debian/.
DEB_SRCS = $(MODULE_SRCS) dkms.conf Makefile LICENSE README.md \
	scripts/pick-kernel.sh scripts/check-debug.mk scripts/packaging.mk \
	tools/Makefile $(wildcard tools/*.c tools/*.h tools/mdevctl/*) tools/mdev-nvme.8 \
	$(wildcard Documentation/*.rst) \
	$(wildcard debian/changelog debian/control debian/copyright debian/rules \
		debian/source/format debian/*.dkms debian/*.install \
		debian/*.manpages debian/*.docs debian/*.links)

# dkms-src [DESTDIR=...]: the module's sources as DKMS wants them; the
# dkms.conf is added by dh_dkms (package) or by dkms-install.
dkms-src:
	@test -n "$(PKG_VERSION)" || { echo "error: no version in debian/changelog" >&2; exit 1; }
	install -d $(DKMS_DIR)
	tar cf - $(MODULE_SRCS) | tar xf - -C $(DKMS_DIR)

dkms-install:
	@test "$$(id -u)" = 0 || { echo "error: make dkms-install must run as root" >&2; exit 1; }
	@command -v dkms >/dev/null || { echo "error: dkms is not installed (apt-get install dkms)" >&2; exit 1; }
	@if dpkg-query -W -f='$${Status}' mdev-nvme-dkms 2>/dev/null | grep -q 'ok installed'; then \
		echo "error: the mdev-nvme-dkms package is installed and owns /usr/src/$(DKMS_NAME)-*: remove it first" >&2; \
		exit 1; fi
	if [ -d /var/lib/dkms/$(DKMS_NAME)/$(PKG_VERSION) ]; then \
		dkms remove $(DKMS_NAME)/$(PKG_VERSION) --all; fi
	rm -rf /usr/src/$(DKMS_NAME)-$(PKG_VERSION)
	$(MAKE) dkms-src DESTDIR=
	sed 's/#MODULE_VERSION#/$(PKG_VERSION)/' dkms.conf >/usr/src/$(DKMS_NAME)-$(PKG_VERSION)/dkms.conf
	dkms install $(DKMS_NAME)/$(PKG_VERSION) -k $(DKMS_KVER)

dkms-uninstall:
	@test "$$(id -u)" = 0 || { echo "error: make dkms-uninstall must run as root" >&2; exit 1; }
	if [ -d /var/lib/dkms/$(DKMS_NAME)/$(PKG_VERSION) ]; then \
		dkms remove $(DKMS_NAME)/$(PKG_VERSION) --all; fi
	rm -rf /usr/src/$(DKMS_NAME)-$(PKG_VERSION)

deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh_dkms >/dev/null || \
		{ echo "error: dpkg-dev, debhelper and dh-dkms are needed (make deps)" >&2; exit 1; }
	rm -rf $(DEB_OUT)
	mkdir -p $(DEB_OUT)/$(DKMS_NAME)-$(PKG_VERSION)
	@tar cf - $(DEB_SRCS) | tar xf - -C $(DEB_OUT)/$(DKMS_NAME)-$(PKG_VERSION)
	cd $(DEB_OUT)/$(DKMS_NAME)-$(PKG_VERSION) && \
		dpkg-buildpackage --build=binary --no-sign >../build.log 2>&1 || \
		{ tail -n 40 ../build.log >&2; echo "error: dpkg-buildpackage failed, see $(DEB_OUT)/build.log" >&2; exit 1; }
	rm -rf $(DEB_OUT)/$(DKMS_NAME)-$(PKG_VERSION)
	@ls $(DEB_OUT)/*.deb

# The packages installed in an L1 VM: DKMS builds the module for the
# running kernel and the packaged CLI drives a controller
# (tests/vm/package-cases/).  Its own target: DKMS compiling under TCG
# takes 15-20 minutes, more than make check has room for.
check-packages: need-deps modules-all tools test-progs deb
	prove -v tests/vm/l1-packages-6.1.t
