// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI configuration space of the emulated NVMe function.
 *
 * The space is a byte array plus, per byte, a mask of bits the guest may
 * write and a mask of write-1-to-clear bits.  The masks come from a small
 * table, so the write path is generic and the few registers with side
 * effects (command, MSI-X control, PM control, device control) are handled
 * after the bytes have been merged.  BAR sizing needs no special case:
 * writing all-ones to BAR0 leaves only the writable address bits set.
 *
 * Only the first 256 bytes hold registers; the PCIe extended space is
 * empty (a zero header at 0x100 ends the extended capability list).
 */
#include "vnvme_priv.h"
#include "pci_spec.h"

#define VNVME_CFG_REGS		256

struct vnvme_cfg_mask {
	u8 off;
	u8 size;
	u32 wmask;
	u32 w1c;
};

static const struct vnvme_cfg_mask vnvme_cfg_masks[] = {
	{ VNVME_PCI_COMMAND, 2,
	  VNVME_PCI_CMD_MEMORY | VNVME_PCI_CMD_MASTER | VNVME_PCI_CMD_PARITY |
	  VNVME_PCI_CMD_SERR | VNVME_PCI_CMD_INTX_DIS, 0 },
	{ VNVME_PCI_STATUS, 2, 0, VNVME_PCI_STS_W1C },
	{ VNVME_PCI_CACHE_LINE, 1, 0xff, 0 },
	/* BAR0/1: 64-bit memory BAR of VNVME_BAR0_SIZE bytes */
	{ VNVME_PCI_BAR0, 4, ~(u32)(VNVME_BAR0_SIZE - 1), 0 },
	{ VNVME_PCI_BAR1, 4, 0xffffffff, 0 },
	{ VNVME_PCI_INT_LINE, 1, 0xff, 0 },
	{ VNVME_CAP_PM + VNVME_PM_CTRL, 2, VNVME_PM_STATE_MASK, 0 },
	{ VNVME_CAP_MSIX + VNVME_MSIX_FLAGS, 2,
	  VNVME_MSIX_FLAGS_ENABLE | VNVME_MSIX_FLAGS_MASKALL, 0 },
	{ VNVME_CAP_EXP + VNVME_EXP_DEVCTL, 2, VNVME_EXP_DEVCTL_RW, 0 },
	{ VNVME_CAP_EXP + VNVME_EXP_DEVSTA, 2, 0, VNVME_EXP_DEVSTA_W1C },
	{ VNVME_CAP_EXP + VNVME_EXP_LNKCTL, 2, VNVME_EXP_LNKCTL_RW, 0 },
};

static void cfg_put(u8 *p, u32 off, u32 val, u32 size)
{
	u32 i;

	for (i = 0; i < size; i++)
		p[off + i] = val >> (8 * i);
}

static u32 cfg_get(const u8 *p, u32 off, u32 size)
{
	u32 val = 0;
	u32 i;

	for (i = 0; i < size; i++)
		val |= (u32)p[off + i] << (8 * i);
	return val;
}

/* Power-on (and FLR) contents of the configuration space. */
void vnvme_cfg_reset(struct vnvme_ctrl *c)
{
	u8 *cfg = c->cfg;
	const u32 pm = VNVME_CAP_PM, msix = VNVME_CAP_MSIX, exp = VNVME_CAP_EXP;
	size_t i;

	memset(c->cfg, 0, sizeof(c->cfg));
	memset(c->cfg_wmask, 0, sizeof(c->cfg_wmask));
	memset(c->cfg_w1c, 0, sizeof(c->cfg_w1c));

	cfg_put(cfg, VNVME_PCI_VENDOR_ID, c->vid, 2);
	cfg_put(cfg, VNVME_PCI_DEVICE_ID, c->did, 2);
	cfg_put(cfg, VNVME_PCI_STATUS, VNVME_PCI_STS_CAP_LIST, 2);
	cfg_put(cfg, VNVME_PCI_REVISION, c->rev, 1);
	cfg_put(cfg, VNVME_PCI_CLASS_PROG, VNVME_PCI_CLASS_NVME, 3);
	cfg_put(cfg, VNVME_PCI_BAR0, VNVME_PCI_BAR_MEM_64, 4);
	cfg_put(cfg, VNVME_PCI_SUBSYS_VID, c->ssvid, 2);
	cfg_put(cfg, VNVME_PCI_SUBSYS_ID, c->ssid, 2);
	cfg_put(cfg, VNVME_PCI_CAP_PTR, pm, 1);
	/* Interrupt Pin 0: no INTx, the guest must use MSI-X. */

	/* Power Management: D0 and D3hot, no PME, state kept in D3hot. */
	cfg_put(cfg, pm, VNVME_PCI_CAP_ID_PM | msix << 8, 2);
	cfg_put(cfg, pm + VNVME_PM_PMC, VNVME_PM_PMC_VER3, 2);
	cfg_put(cfg, pm + VNVME_PM_CTRL, VNVME_PM_NO_SOFT_RESET, 2);

	/* MSI-X: one vector for the admin queue and one per I/O queue. */
	cfg_put(cfg, msix, VNVME_PCI_CAP_ID_MSIX | exp << 8, 2);
	cfg_put(cfg, msix + VNVME_MSIX_FLAGS, c->nr_vectors - 1, 2);
	cfg_put(cfg, msix + VNVME_MSIX_TABLE, VNVME_BAR0_MSIX_TABLE, 4);
	cfg_put(cfg, msix + VNVME_MSIX_PBA, VNVME_BAR0_MSIX_PBA, 4);

	/* PCI Express endpoint, last capability in the list. */
	cfg_put(cfg, exp, VNVME_PCI_CAP_ID_EXP, 2);
	cfg_put(cfg, exp + VNVME_EXP_FLAGS, VNVME_EXP_FLAGS_V2_ENDPOINT, 2);
	cfg_put(cfg, exp + VNVME_EXP_DEVCAP,
		VNVME_EXP_DEVCAP_PAYLOAD_256 | VNVME_EXP_DEVCAP_L0S_NOLIMIT |
		VNVME_EXP_DEVCAP_L1_NOLIMIT | VNVME_EXP_DEVCAP_RBER |
		VNVME_EXP_DEVCAP_FLR, 4);
	cfg_put(cfg, exp + VNVME_EXP_DEVCTL, VNVME_EXP_DEVCTL_DEFAULT, 2);
	cfg_put(cfg, exp + VNVME_EXP_LNKCAP,
		VNVME_EXP_LNK_SPEED_8GT | VNVME_EXP_LNK_WIDTH_X4, 4);
	cfg_put(cfg, exp + VNVME_EXP_LNKSTA,
		VNVME_EXP_LNK_SPEED_8GT | VNVME_EXP_LNK_WIDTH_X4 |
		VNVME_EXP_LNKSTA_SLC, 2);
	cfg_put(cfg, exp + VNVME_EXP_LNKCAP2, VNVME_EXP_LNKCAP2_SPEEDS, 4);
	cfg_put(cfg, exp + VNVME_EXP_LNKCTL2, VNVME_EXP_LNK_SPEED_8GT, 2);

	for (i = 0; i < ARRAY_SIZE(vnvme_cfg_masks); i++) {
		const struct vnvme_cfg_mask *m = &vnvme_cfg_masks[i];

		cfg_put(c->cfg_wmask, m->off, m->wmask, m->size);
		cfg_put(c->cfg_w1c, m->off, m->w1c, m->size);
	}
}

bool vnvme_cfg_bus_master(const struct vnvme_ctrl *c)
{
	return cfg_get(c->cfg, VNVME_PCI_COMMAND, 2) & VNVME_PCI_CMD_MASTER;
}

u16 vnvme_cfg_msix_ctrl(const struct vnvme_ctrl *c)
{
	return cfg_get(c->cfg, VNVME_CAP_MSIX + VNVME_MSIX_FLAGS, 2);
}

int vnvme_cfg_read(struct vnvme_ctrl *c, u32 off, void *buf, u32 len)
{
	u8 *dst = buf;
	u32 i;

	if (!vnvme_access_ok(off, len, VNVME_CFG_SIZE))
		return -EINVAL;
	for (i = 0; i < len; i++)
		dst[i] = off + i < VNVME_CFG_REGS ? c->cfg[off + i] : 0;
	return 0;
}

int vnvme_cfg_write(struct vnvme_ctrl *c, u32 off, const void *buf, u32 len)
{
	const u32 pmcsr = VNVME_CAP_PM + VNVME_PM_CTRL;
	const u32 devctl = VNVME_CAP_EXP + VNVME_EXP_DEVCTL;
	const u8 *src = buf;
	u8 old_pm_state;
	bool flr = false;
	u32 i;

	if (!vnvme_access_ok(off, len, VNVME_CFG_SIZE))
		return -EINVAL;

	old_pm_state = c->cfg[pmcsr] & VNVME_PM_STATE_MASK;
	for (i = 0; i < len; i++) {
		u32 o = off + i;
		u8 v = src[i];

		if (o >= VNVME_CFG_REGS)
			break;
		/* Initiate FLR is write-only: it always reads as zero. */
		if (o == devctl + 1 && (v & (VNVME_EXP_DEVCTL_BCR_FLR >> 8)))
			flr = true;
		c->cfg[o] = (c->cfg[o] & ~c->cfg_wmask[o]) |
			    (v & c->cfg_wmask[o]);
		c->cfg[o] &= ~(v & c->cfg_w1c[o]);
	}

	if (flr) {
		vnvme_flr(c);
		return 0;
	}

	/* D1 and D2 are not supported: such writes leave the state alone. */
	switch (c->cfg[pmcsr] & VNVME_PM_STATE_MASK) {
	case VNVME_PM_STATE_D0:
	case VNVME_PM_STATE_D3HOT:
		break;
	default:
		c->cfg[pmcsr] = (c->cfg[pmcsr] & ~VNVME_PM_STATE_MASK) |
				old_pm_state;
		break;
	}

	/*
	 * Enabling bus mastering may release interrupts held in the PBA;
	 * so may enabling MSI-X or clearing the function mask, when the
	 * core owns MSI-X (not under VFIO, where wired eventfds decide).
	 */
	vnvme_msix_deliver_pending(c);
	return 0;
}
