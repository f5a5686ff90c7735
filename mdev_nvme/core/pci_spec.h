/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCI / PCI Express configuration space layout of the emulated function.
 *
 * Register offsets follow the PCI Local Bus 3.0 and PCI Express Base 4.0
 * specifications; the capability placement is this device's own choice.
 * Names are prefixed so that <linux/pci_regs.h> may be included alongside.
 */
#ifndef VNVME_PCI_SPEC_H
#define VNVME_PCI_SPEC_H

#include "vnvme_types.h"

/* Type 0 header */
#define VNVME_PCI_VENDOR_ID	0x00
#define VNVME_PCI_DEVICE_ID	0x02
#define VNVME_PCI_COMMAND	0x04
#define VNVME_PCI_STATUS	0x06
#define VNVME_PCI_REVISION	0x08
#define VNVME_PCI_CLASS_PROG	0x09
#define VNVME_PCI_CACHE_LINE	0x0c
#define VNVME_PCI_BAR0		0x10
#define VNVME_PCI_BAR1		0x14
#define VNVME_PCI_SUBSYS_VID	0x2c
#define VNVME_PCI_SUBSYS_ID	0x2e
#define VNVME_PCI_CAP_PTR	0x34
#define VNVME_PCI_INT_LINE	0x3c

#define VNVME_PCI_CMD_MEMORY	BIT(1)
#define VNVME_PCI_CMD_MASTER	BIT(2)
#define VNVME_PCI_CMD_PARITY	BIT(6)
#define VNVME_PCI_CMD_SERR	BIT(8)
#define VNVME_PCI_CMD_INTX_DIS	BIT(10)

#define VNVME_PCI_STS_CAP_LIST	BIT(4)
/* Master Data Parity Error, Signaled/Received Target Abort, Received
 * Master Abort, Signaled System Error, Detected Parity Error
 */
#define VNVME_PCI_STS_W1C	0xf900

/* Mass storage, Non-Volatile memory controller, NVM Express (I/O) */
#define VNVME_PCI_CLASS_NVME	0x010802

#define VNVME_PCI_BAR_MEM_64	0x4

#define VNVME_PCI_CAP_ID_PM	0x01
#define VNVME_PCI_CAP_ID_MSIX	0x11
#define VNVME_PCI_CAP_ID_EXP	0x10

/* Capability placement */
#define VNVME_CAP_PM		0x40
#define VNVME_CAP_MSIX		0x50
#define VNVME_CAP_EXP		0x60

/* Power Management capability */
#define VNVME_PM_PMC		0x02
#define VNVME_PM_CTRL		0x04
#define VNVME_PM_PMC_VER3	0x0003
#define VNVME_PM_STATE_MASK	0x0003
#define VNVME_PM_STATE_D0	0
#define VNVME_PM_STATE_D3HOT	3
#define VNVME_PM_NO_SOFT_RESET	BIT(3)

/* MSI-X capability */
#define VNVME_MSIX_FLAGS	0x02
#define VNVME_MSIX_TABLE	0x04
#define VNVME_MSIX_PBA		0x08
#define VNVME_MSIX_FLAGS_QSIZE	GENMASK(10, 0)
#define VNVME_MSIX_FLAGS_MASKALL BIT(14)
#define VNVME_MSIX_FLAGS_ENABLE	BIT(15)
#define VNVME_MSIX_ENTRY_SIZE	16
#define VNVME_MSIX_CTRL_MASKBIT	BIT(0)

/* PCI Express capability, version 2 */
#define VNVME_EXP_FLAGS		0x02
#define VNVME_EXP_DEVCAP	0x04
#define VNVME_EXP_DEVCTL	0x08
#define VNVME_EXP_DEVSTA	0x0a
#define VNVME_EXP_LNKCAP	0x0c
#define VNVME_EXP_LNKCTL	0x10
#define VNVME_EXP_LNKSTA	0x12
#define VNVME_EXP_LNKCAP2	0x2c
#define VNVME_EXP_LNKCTL2	0x30
#define VNVME_EXP_SIZEOF	0x3c

#define VNVME_EXP_FLAGS_V2_ENDPOINT	0x0002	/* version 2, type 0 */
#define VNVME_EXP_DEVCAP_PAYLOAD_256	0x00000001
#define VNVME_EXP_DEVCAP_L0S_NOLIMIT	0x000001c0
#define VNVME_EXP_DEVCAP_L1_NOLIMIT	0x00000e00
#define VNVME_EXP_DEVCAP_RBER		BIT(15)
#define VNVME_EXP_DEVCAP_FLR		BIT(28)
/* Relaxed Ordering and No Snoop enabled, 128 B payload, 512 B read req. */
#define VNVME_EXP_DEVCTL_DEFAULT	0x2810
/* Error reporting enables, Relaxed Ordering, MPS, No Snoop, MRRS */
#define VNVME_EXP_DEVCTL_RW		0x78ff
#define VNVME_EXP_DEVCTL_BCR_FLR	BIT(15)
#define VNVME_EXP_DEVSTA_W1C		0x000f
/* 8 GT/s, x4: plausible for an NVMe SSD, port number 0 */
#define VNVME_EXP_LNK_SPEED_8GT		0x3
#define VNVME_EXP_LNK_WIDTH_X4		(4 << 4)
#define VNVME_EXP_LNKSTA_SLC		BIT(12)
/* Common Clock Configuration, Extended Synch */
#define VNVME_EXP_LNKCTL_RW		0x00c0
#define VNVME_EXP_LNKCAP2_SPEEDS	0x0000000e	/* 2.5, 5, 8 GT/s */

#endif /* VNVME_PCI_SPEC_H */
