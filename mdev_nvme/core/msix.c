// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI-X table, Pending Bit Array and interrupt delivery.
 *
 * The table lives in BAR0 at VNVME_BAR0_MSIX_TABLE, the PBA at
 * VNVME_BAR0_MSIX_PBA.  The core does not build MSI messages: the env's
 * irq_raise() signals a vector (an eventfd in the kernel), and the VMM
 * turns it into the message the guest programmed.  The core only decides
 * whether a vector may fire now or must wait in the PBA (PCI Local Bus 3.0
 * section 6.8.2).  Bus mastering is needed in every case: a function
 * without Bus Master Enable cannot write the message.  What else is
 * needed depends on who owns MSI-X:
 *
 * - The core (msix_vfio clear): MSI-X enabled, function not masked,
 *   vector not masked, as the capability and the table say.
 *
 * - The VMM (msix_vfio set), as VFIO defines it for a vfio-pci device:
 *   VFIO_DEVICE_SET_IRQS on the MSI-X index is what enables MSI-X, and a
 *   vector is live once an eventfd is wired to it.  vfio-pci drops the
 *   user's writes to the capability and never delivers through the
 *   device's table, so a VMM that emulates the capability (cloud-
 *   hypervisor, crosvm) or a userspace driver never sets Enable here, and
 *   QEMU, which does write the capability through, masks vectors and the
 *   function in its own emulated table.  The wired eventfd is therefore
 *   the only enable and the only per-vector mask: Enable, Function Mask
 *   and the table's Mask bits are stored for the VMM to read back and
 *   hold nothing back.  A vector without an eventfd keeps its interrupt
 *   pending until one is wired, as a vfio-pci device keeps an interrupt
 *   of a vector the host kernel has masked.
 *
 * The function has no INTx pin, so an interrupt raised while it cannot
 * fire is always kept pending: a driver that briefly disables MSI-X to
 * reallocate vectors (Linux nvme does; QEMU then unwires every eventfd
 * until the guest enables MSI-X again) must not lose an admin completion
 * that arrived meanwhile.
 */
#include "vnvme_priv.h"
#include "pci_spec.h"

#define VNVME_MSIX_VCTRL	3	/* Vector Control dword of an entry */

/*
 * The wired vectors are left alone: they are the VMM's VFIO state, not the
 * function's, and survive a reset as vfio-pci's eventfds do.
 */
void vnvme_msix_reset(struct vnvme_ctrl *c)
{
	u16 v;

	memset(c->msix_table, 0, sizeof(c->msix_table));
	memset(c->msix_pba, 0, sizeof(c->msix_pba));
	/* Every vector comes out of reset masked. */
	for (v = 0; v < c->nr_vectors; v++)
		c->msix_table[v][VNVME_MSIX_VCTRL] = VNVME_MSIX_CTRL_MASKBIT;
}

static bool vnvme_msix_can_fire(const struct vnvme_ctrl *c, u16 vector)
{
	u16 ctrl;

	if (!vnvme_cfg_bus_master(c))
		return false;
	if (c->msix_vfio)
		return c->msix_wired[vector / 64] & BIT_ULL(vector % 64);
	ctrl = vnvme_cfg_msix_ctrl(c);
	if (!(ctrl & VNVME_MSIX_FLAGS_ENABLE) || ctrl & VNVME_MSIX_FLAGS_MASKALL)
		return false;
	return !(c->msix_table[vector][VNVME_MSIX_VCTRL] &
		 VNVME_MSIX_CTRL_MASKBIT);
}

void vnvme_irq_raise(struct vnvme_ctrl *c, u16 vector)
{
	if (vector >= c->nr_vectors)
		return;
	if (vnvme_msix_can_fire(c, vector))
		c->ops->irq_raise(c->env, vector);
	else
		c->msix_pba[vector / 64] |= BIT_ULL(vector % 64);
}

/* Fire every pending vector that is no longer held back. */
void vnvme_msix_deliver_pending(struct vnvme_ctrl *c)
{
	u16 v;

	if (!(c->msix_pba[0] | c->msix_pba[1]))
		return;
	for (v = 0; v < c->nr_vectors; v++) {
		u64 bit = BIT_ULL(v % 64);

		if (!(c->msix_pba[v / 64] & bit) || !vnvme_msix_can_fire(c, v))
			continue;
		c->msix_pba[v / 64] &= ~bit;
		c->ops->irq_raise(c->env, v);
	}
}

void vnvme_msix_wire(struct vnvme_ctrl *c, u16 vector, bool wired)
{
	u64 bit = BIT_ULL(vector % 64);

	if (!c->msix_vfio || vector >= c->nr_vectors)
		return;
	if (wired)
		c->msix_wired[vector / 64] |= bit;
	else
		c->msix_wired[vector / 64] &= ~bit;
	if (wired && c->msix_pba[vector / 64] & bit)
		vnvme_msix_deliver_pending(c);
}

/* @off is a dword-aligned offset from the start of the table. */
static u32 vnvme_msix_table_read(const struct vnvme_ctrl *c, u32 off)
{
	u32 entry = off / VNVME_MSIX_ENTRY_SIZE;

	if (entry >= c->nr_vectors)
		return 0;
	return c->msix_table[entry][(off % VNVME_MSIX_ENTRY_SIZE) / 4];
}

/* @off: dword-aligned offset in BAR0 inside the table or PBA area */
u32 vnvme_msix_read32(const struct vnvme_ctrl *c, u32 off)
{
	u32 idx;

	if (off < VNVME_BAR0_MSIX_PBA)
		return vnvme_msix_table_read(c, off - VNVME_BAR0_MSIX_TABLE);

	idx = (off - VNVME_BAR0_MSIX_PBA) / 4;
	if (idx >= 2 * ARRAY_SIZE(c->msix_pba))
		return 0;
	return idx & 1 ? upper_32_bits(c->msix_pba[idx / 2]) :
			 lower_32_bits(c->msix_pba[idx / 2]);
}

/*
 * @mask selects the bytes of @val being written.  The PBA is read-only;
 * in the table the address must stay dword aligned and only the Mask bit
 * of Vector Control is implemented.
 */
void vnvme_msix_write32(struct vnvme_ctrl *c, u32 off, u32 val, u32 mask)
{
	static const u32 wmask[4] = { ~3U, ~0U, ~0U, VNVME_MSIX_CTRL_MASKBIT };
	u32 entry, dw, *p;

	if (off >= VNVME_BAR0_MSIX_PBA)
		return;
	off -= VNVME_BAR0_MSIX_TABLE;
	entry = off / VNVME_MSIX_ENTRY_SIZE;
	if (entry >= c->nr_vectors)
		return;
	dw = (off % VNVME_MSIX_ENTRY_SIZE) / 4;
	mask &= wmask[dw];
	p = &c->msix_table[entry][dw];
	*p = (*p & ~mask) | (val & mask);
	if (dw == VNVME_MSIX_VCTRL)
		vnvme_msix_deliver_pending(c);
}
