// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI configuration space: identity, BAR sizing, per-byte masks, the
 * capability chain, power states, MSI-X gating and FLR.
 */
#include "guest.h"
#include "tap.h"

static u8 find_cap(struct guest *g, u8 id)
{
	u8 pos = cfg_rd(g, VNVME_PCI_CAP_PTR, 1);
	int n = 0;

	while (pos && n++ < 48) {
		if (cfg_rd(g, pos, 1) == id)
			return pos;
		pos = cfg_rd(g, pos + 1, 1);
	}
	return 0;
}

static void test_identity(void)
{
	struct vnvme_params p;
	struct guest g;

	guest_init(&g, NULL);
	is(cfg_rd(&g, 0, 2), VNVME_DEF_VENDOR_ID, "default vendor ID");
	is(cfg_rd(&g, 2, 2), VNVME_DEF_DEVICE_ID, "default device ID");
	is(cfg_rd(&g, 8, 4) >> 8, 0x010802, "class code NVMe");
	is(cfg_rd(&g, 0x0e, 1), 0, "header type 0");
	is(cfg_rd(&g, VNVME_PCI_STATUS, 2), VNVME_PCI_STS_CAP_LIST,
	   "status: capability list only");
	is(cfg_rd(&g, 0x3d, 1), 0, "no INTx pin");
	is(cfg_rd(&g, VNVME_PCI_SUBSYS_VID, 2), VNVME_DEF_SUBSYS_VENDOR_ID,
	   "default subsystem vendor");
	guest_fini(&g);

	guest_default_params(&p);
	p.vendor_id = 0x1234;
	p.device_id = 0x5678;
	p.subsys_vendor_id = 0x9abc;
	p.subsys_id = 0xdef0;
	p.revision = 7;
	guest_init(&g, &p);
	is(cfg_rd(&g, 0, 4), 0x56781234, "vendor/device from params");
	is(cfg_rd(&g, 0x2c, 4), 0xdef09abc, "subsystem IDs from params");
	is(cfg_rd(&g, 8, 1), 7, "revision from params");
	guest_fini(&g);
}

static void test_bars(void)
{
	struct guest g;
	int i;

	guest_init(&g, NULL);
	is(cfg_rd(&g, VNVME_PCI_BAR0, 4), 0x4, "BAR0: 64-bit memory, non-pref");
	cfg_wr(&g, VNVME_PCI_BAR0, 0xffffffff, 4);
	is(cfg_rd(&g, VNVME_PCI_BAR0, 4), (u32)~(VNVME_BAR0_SIZE - 1) | 4,
	   "BAR0 sizing reports 16 KiB");
	cfg_wr(&g, VNVME_PCI_BAR1, 0xffffffff, 4);
	is(cfg_rd(&g, VNVME_PCI_BAR1, 4), 0xffffffff,
	   "BAR1 is the upper half, fully writable");
	cfg_wr(&g, VNVME_PCI_BAR0, 0xfebf1234, 4);
	is(cfg_rd(&g, VNVME_PCI_BAR0, 4), 0xfebf0004,
	   "BAR0 keeps its address, low bits read-only");
	for (i = 0x18; i <= 0x24; i += 4) {
		cfg_wr(&g, i, 0xffffffff, 4);
		if (cfg_rd(&g, i, 4))
			break;
	}
	ok(i > 0x24, "BAR2..5 not implemented");
	cfg_wr(&g, 0x30, 0xffffffff, 4);
	is(cfg_rd(&g, 0x30, 4), 0, "no expansion ROM");
	guest_fini(&g);
}

static void test_masks(void)
{
	struct guest g;

	guest_init(&g, NULL);
	cfg_wr(&g, VNVME_PCI_COMMAND, 0xffff, 2);
	is(cfg_rd(&g, VNVME_PCI_COMMAND, 2), 0x0546,
	   "command: only MSE, BME, PERR, SERR, INTx-disable writable");
	cfg_wr(&g, VNVME_PCI_STATUS, 0xffff, 2);
	is(cfg_rd(&g, VNVME_PCI_STATUS, 2), VNVME_PCI_STS_CAP_LIST,
	   "status: writing ones clears W1C bits, sets nothing");
	cfg_wr(&g, 0, 0xffffffff, 4);
	is(cfg_rd(&g, 0, 4), VNVME_DEF_DEVICE_ID << 16 | VNVME_DEF_VENDOR_ID,
	   "IDs read-only");
	cfg_wr(&g, 8, 0, 4);
	is(cfg_rd(&g, 8, 4) >> 8, 0x010802, "class code read-only");
	cfg_wr(&g, 0x3c, 0xffff, 2);
	is(cfg_rd(&g, 0x3c, 2), 0x00ff, "interrupt line RW, pin RO");
	cfg_wr(&g, VNVME_PCI_CAP_PTR, 0, 1);
	is(cfg_rd(&g, VNVME_PCI_CAP_PTR, 1), VNVME_CAP_PM,
	   "capability pointer read-only");
	guest_fini(&g);
}

static void test_caps(void)
{
	struct guest g;
	u8 pm, msix, exp;
	u32 v;

	guest_init(&g, NULL);
	pm = find_cap(&g, VNVME_PCI_CAP_ID_PM);
	msix = find_cap(&g, VNVME_PCI_CAP_ID_MSIX);
	exp = find_cap(&g, VNVME_PCI_CAP_ID_EXP);
	ok(pm && msix && exp, "PM, MSI-X and PCIe capabilities chained");

	is(cfg_rd(&g, msix + 2, 2) & VNVME_MSIX_FLAGS_QSIZE, 4,
	   "MSI-X table size = nr_ioq + 1 (0's based)");
	is(cfg_rd(&g, msix + 4, 4), VNVME_BAR0_MSIX_TABLE, "table in BAR0");
	is(cfg_rd(&g, msix + 8, 4), VNVME_BAR0_MSIX_PBA, "PBA in BAR0");
	cfg_wr(&g, msix + 2, 0xffff, 2);
	is(cfg_rd(&g, msix + 2, 2), 0xc004, "only enable and mask writable");

	is(cfg_rd(&g, exp + 2, 2) & 0xff, 0x02, "PCIe v2 endpoint");
	v = cfg_rd(&g, exp + 4, 4);
	ok(v & VNVME_EXP_DEVCAP_FLR, "DevCap advertises FLR");
	v = cfg_rd(&g, exp + 0x0c, 4);
	ok((v & 0xf) && ((v >> 4) & 0x3f), "link speed and width plausible");
	v = cfg_rd(&g, exp + 0x12, 2);
	is(v & 0x3ff, 0x43, "link status x4 at 8 GT/s");
	cfg_wr(&g, exp + 8, 0x7fff, 2);
	is(cfg_rd(&g, exp + 8, 2), 0x78ff, "DevCtl writable bits");
	is(cfg_rd(&g, 0x100, 4), 0, "empty extended capability list");

	is(cfg_rd(&g, pm + 2, 2) & 7, 3, "PM version 3");
	ok(cfg_rd(&g, pm + 4, 2) & VNVME_PM_NO_SOFT_RESET, "NoSoftReset");
	cfg_wr(&g, pm + 4, 3, 2);
	is(cfg_rd(&g, pm + 4, 2) & 3, 3, "D3hot accepted");
	cfg_wr(&g, pm + 4, 1, 2);
	is(cfg_rd(&g, pm + 4, 2) & 3, 3, "D1 refused, state unchanged");
	cfg_wr(&g, pm + 4, 0, 2);
	is(cfg_rd(&g, pm + 4, 2) & 3, 0, "back to D0");
	guest_fini(&g);
}

static void test_access_rules(void)
{
	struct guest g;
	u8 buf[8];
	u64 v;

	guest_init(&g, NULL);
	ok(vnvme_cfg_read(g.c, 4095, buf, 1) == 0, "last byte readable");
	ok(vnvme_cfg_read(g.c, 4095, buf, 2) == -EINVAL, "read past end");
	ok(vnvme_cfg_read(g.c, 4096, buf, 1) == -EINVAL, "read at end");
	ok(vnvme_cfg_read(g.c, 0, buf, 3) == -EINVAL, "3-byte access refused");
	ok(vnvme_cfg_read(g.c, 0, buf, 0) == -EINVAL, "empty access refused");
	ok(vnvme_cfg_write(g.c, 0xfffffffe, buf, 4) == -EINVAL,
	   "offset wrap refused");
	ok(vnvme_cfg_read(g.c, 0, buf, 8) == 0, "8-byte access");
	memcpy(&v, buf, 8);
	is(v & 0xffffffff, VNVME_DEF_DEVICE_ID << 16 | VNVME_DEF_VENDOR_ID,
	   "8-byte read content");
	ok(vnvme_cfg_read(g.c, 1, buf, 4) == 0, "misaligned access");
	is(buf[0] | buf[1] << 8, VNVME_DEF_VENDOR_ID >> 8 |
	   (VNVME_DEF_DEVICE_ID & 0xff) << 8, "misaligned read content");
	ok(vnvme_cfg_read(g.c, 0xfc, buf, 8) == 0 &&
	   !buf[4] && !buf[5] && !buf[6] && !buf[7],
	   "read straddling 0x100 sees zeroes above");
	guest_fini(&g);
}

static void test_msix_gating(void)
{
	struct guest g;
	u32 pba;

	guest_init(&g, NULL);
	vnvme_irq_raise(g.c, 1);
	is(g.env.irq_total, 0, "MSI-X disabled: no interrupt");
	is(bar_rd32(&g, VNVME_BAR0_MSIX_PBA), 1 << 1, "but kept pending");
	guest_pci_setup(&g);
	is(g.env.irqs[1], 1, "delivered once MSI-X is enabled");
	vnvme_irq_raise(g.c, 1);
	is(g.env.irqs[1], 2, "enabled, unmasked: vector fires");
	vnvme_irq_raise(g.c, 5);
	is(g.env.irq_total, 2, "vector beyond table ignored");

	bar_wr32(&g, VNVME_BAR0_MSIX_TABLE + 16 * 2 + 12, 1);
	vnvme_irq_raise(g.c, 2);
	is(g.env.irqs[2], 0, "masked vector does not fire");
	pba = bar_rd32(&g, VNVME_BAR0_MSIX_PBA);
	is(pba, 1 << 2, "masked vector pending in PBA");
	bar_wr32(&g, VNVME_BAR0_MSIX_TABLE + 16 * 2 + 12, 0);
	is(g.env.irqs[2], 1, "unmasking delivers the pending vector");
	is(bar_rd32(&g, VNVME_BAR0_MSIX_PBA), 0, "PBA cleared");

	cfg_wr(&g, VNVME_CAP_MSIX + 2,
	       VNVME_MSIX_FLAGS_ENABLE | VNVME_MSIX_FLAGS_MASKALL, 2);
	vnvme_irq_raise(g.c, 3);
	is(g.env.irqs[3], 0, "function mask holds the vector");
	cfg_wr(&g, VNVME_CAP_MSIX + 2, VNVME_MSIX_FLAGS_ENABLE, 2);
	is(g.env.irqs[3], 1, "clearing function mask delivers it");

	cfg_wr(&g, VNVME_PCI_COMMAND, VNVME_PCI_CMD_MEMORY, 2);
	vnvme_irq_raise(g.c, 4);
	is(g.env.irqs[4], 0, "no bus master: held");
	cfg_wr(&g, VNVME_PCI_COMMAND,
	       VNVME_PCI_CMD_MEMORY | VNVME_PCI_CMD_MASTER, 2);
	is(g.env.irqs[4], 1, "bus master on: delivered");

	bar_wr32(&g, VNVME_BAR0_MSIX_TABLE + 16, 0xfee00003);
	is(bar_rd32(&g, VNVME_BAR0_MSIX_TABLE + 16), 0xfee00000,
	   "message address dword aligned");
	bar_wr32(&g, VNVME_BAR0_MSIX_TABLE + 16 + 8, 0x4041);
	is(bar_rd32(&g, VNVME_BAR0_MSIX_TABLE + 16 + 8), 0x4041,
	   "message data stored");
	bar_wr32(&g, VNVME_BAR0_MSIX_PBA, 0xffffffff);
	is(bar_rd32(&g, VNVME_BAR0_MSIX_PBA), 0, "PBA read-only");
	guest_fini(&g);
}

/*
 * MSI-X the VFIO way: the VMM wires eventfds (VFIO_DEVICE_SET_IRQS) and
 * may never write the capability, as cloud-hypervisor, crosvm and
 * userspace drivers do; masking is its own business.
 */
static void test_msix_vfio(void)
{
	const u32 mctl = VNVME_CAP_MSIX + 2;
	struct vnvme_params p;
	struct guest g;

	guest_default_params(&p);
	p.msix_vfio = true;
	guest_init(&g, &p);
	cfg_wr(&g, VNVME_PCI_COMMAND,
	       VNVME_PCI_CMD_MEMORY | VNVME_PCI_CMD_MASTER, 2);
	vnvme_irq_raise(g.c, 1);
	is(g.env.irqs[1], 0, "no eventfd wired: no interrupt");
	is(bar_rd32(&g, VNVME_BAR0_MSIX_PBA), 1 << 1, "but kept pending");
	vnvme_msix_wire(g.c, 0, true);
	is(g.env.irq_total, 0, "wiring another vector delivers nothing");
	vnvme_msix_wire(g.c, 1, true);
	is(g.env.irqs[1], 1, "wiring the vector delivers what it held");
	is(bar_rd32(&g, VNVME_BAR0_MSIX_PBA), 0, "PBA cleared");
	is(cfg_rd(&g, mctl, 2) & VNVME_MSIX_FLAGS_ENABLE, 0,
	   "capability Enable still clear");
	vnvme_irq_raise(g.c, 1);
	is(g.env.irqs[1], 2, "wired vector fires with Enable clear");
	vnvme_irq_raise(g.c, 2);
	is(g.env.irqs[2], 0, "an unwired vector next to it is held");

	/* QEMU writes the capability through and masks in its own table. */
	cfg_wr(&g, mctl, VNVME_MSIX_FLAGS_ENABLE | VNVME_MSIX_FLAGS_MASKALL,
	       2);
	vnvme_irq_raise(g.c, 0);
	is(g.env.irqs[0], 1, "Function Mask written: wired vector still fires");
	cfg_wr(&g, mctl, VNVME_MSIX_FLAGS_ENABLE, 2);
	is(bar_rd32(&g, VNVME_BAR0_MSIX_TABLE + 12), 1,
	   "table entry masked since reset");
	vnvme_irq_raise(g.c, 0);
	is(g.env.irqs[0], 2, "table Mask bit: wired vector still fires");
	cfg_wr(&g, mctl, 0, 2);
	vnvme_irq_raise(g.c, 0);
	is(g.env.irqs[0], 3, "Enable cleared: wired vector still fires");

	cfg_wr(&g, VNVME_PCI_COMMAND, VNVME_PCI_CMD_MEMORY, 2);
	vnvme_irq_raise(g.c, 1);
	is(g.env.irqs[1], 2, "no bus master: held");
	cfg_wr(&g, VNVME_PCI_COMMAND,
	       VNVME_PCI_CMD_MEMORY | VNVME_PCI_CMD_MASTER, 2);
	is(g.env.irqs[1], 3, "bus master on: delivered");

	/* DATA_NONE with count 0: every eventfd goes. */
	vnvme_msix_wire(g.c, 0, false);
	vnvme_msix_wire(g.c, 1, false);
	vnvme_irq_raise(g.c, 0);
	is(g.env.irqs[0], 3, "eventfds torn down: held");
	vnvme_msix_wire(g.c, 0, true);
	is(g.env.irqs[0], 4, "wired again: delivered");

	/* FLR resets the function; the eventfds are the VMM's and stay. */
	vnvme_flr(g.c);
	cfg_wr(&g, VNVME_PCI_COMMAND,
	       VNVME_PCI_CMD_MEMORY | VNVME_PCI_CMD_MASTER, 2);
	vnvme_irq_raise(g.c, 0);
	is(g.env.irqs[0], 5, "wiring survives FLR");
	vnvme_msix_wire(g.c, 5, true);
	vnvme_msix_wire(g.c, 200, true);
	vnvme_irq_raise(g.c, 5);
	is(g.env.irq_total, 8, "vectors beyond the table cannot be wired");
	guest_fini(&g);

	/* Without msix_vfio, wiring means nothing: the capability decides. */
	guest_init(&g, NULL);
	cfg_wr(&g, VNVME_PCI_COMMAND,
	       VNVME_PCI_CMD_MEMORY | VNVME_PCI_CMD_MASTER, 2);
	vnvme_msix_wire(g.c, 1, true);
	vnvme_irq_raise(g.c, 1);
	is(g.env.irqs[1], 0, "core-owned MSI-X: wiring does not enable");
	guest_fini(&g);
}

static void test_flr(void)
{
	struct guest g;
	u32 devctl = VNVME_CAP_EXP + VNVME_EXP_DEVCTL;

	guest_init(&g, NULL);
	ok(guest_enable(&g) & VNVME_CSTS_RDY, "controller enabled");
	cfg_wr(&g, devctl, 0x2810 | 0x0020, 2);
	is(cfg_rd(&g, devctl, 2), 0x2830, "DevCtl written");
	is(cfg_rd(&g, devctl, 2) & 0x8000, 0, "Initiate FLR reads 0");
	cfg_wr(&g, devctl, 0x8000 | cfg_rd(&g, devctl, 2), 2);
	is(g.env.resets, 1, "FLR resets the I/O path");
	is(cfg_rd(&g, VNVME_PCI_COMMAND, 2), 0, "FLR clears command");
	is(cfg_rd(&g, VNVME_PCI_BAR0, 4), 4, "FLR clears BAR0");
	is(cfg_rd(&g, devctl, 2), 0x2810, "FLR restores DevCtl");
	is(cfg_rd(&g, VNVME_CAP_MSIX + 2, 2) & VNVME_MSIX_FLAGS_ENABLE, 0,
	   "FLR disables MSI-X");
	is(bar_rd32(&g, VNVME_BAR0_MSIX_TABLE + 12), 1,
	   "FLR masks MSI-X vectors");
	is(bar_rd32(&g, VNVME_REG_CSTS), 0, "FLR: controller not ready");
	is(bar_rd32(&g, VNVME_REG_CC), 0, "FLR clears CC");
	is(bar_rd64(&g, VNVME_REG_ASQ), 0, "FLR clears ASQ");
	ok(guest_enable(&g) & VNVME_CSTS_RDY, "enable works after FLR");
	vnvme_flr(g.c);
	is(g.env.resets, 2, "vnvme_flr() directly");
	guest_fini(&g);
}

int main(void)
{
	test_identity();
	test_bars();
	test_masks();
	test_caps();
	test_access_rules();
	test_msix_gating();
	test_msix_vfio();
	test_flr();
	return tap_done();
}
