// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-nvme: drive a vNVMe instance through VFIO as a VMM plus a guest NVMe
 * driver would, and check what the instance answers.
 *
 *   vfio-nvme UUID [UUID2]
 *
 * UUID is opened like QEMU's vfio-pci does (container, group, device fd);
 * its config space and BAR0 are accessed through the region offsets, guest
 * memory is an anonymous mapping given to the device with
 * VFIO_IOMMU_MAP_DMA, interrupts are MSI-X eventfds.  UUID2, another
 * instance on the same host controller, is only used to show that a fatal
 * error of the first instance does not spread to it.
 *
 * Output is TAP (kselftest style); the exit status is 0 iff every test
 * passed or was skipped, 1 otherwise, 2 on bad usage.
 *
 * The tests run in order on the same instance: later ones build on the
 * state (identify data, held AERs) of earlier ones.  Each test reports all
 * of its failed checks as diagnostics before its "not ok" line.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "nvme_guest.h"
#include "tap.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* What the module puts in every instance (mdev_nvme/vctrl.c, core/) */
#define EXP_VENDOR		0x1af4
#define EXP_DEVICE		0x10f0
#define EXP_SUBSYS_VENDOR	0x1af4
#define EXP_SUBSYS		0x0001
#define EXP_MODEL		"mdev_nvme virtual controller"
#define EXP_FIRMWARE		"1.0"
#define EXP_NQN_PREFIX		"nqn.2014-08.org.nvmexpress:uuid:"
#define EXP_BAR0_SIZE		0x4000
#define EXP_MDTS_MAX		8

/* An NVMe status: @sf is the Status Field of a completion, -1 for none. */
static bool expect_sf_at(int sf, int want, int line, const char *what)
{
	if (sf < 0)
		return tap_expect(false, line,
				  "%s: no completion, expected SCT %d SC 0x%02x",
				  what, NVME_SF_SCT(want), NVME_SF_SC(want));
	return tap_expect(NVME_SF_CODE(sf) == want, line,
			  "%s: SCT %d SC 0x%02x, expected SCT %d SC 0x%02x",
			  what, NVME_SF_SCT(sf), NVME_SF_SC(sf),
			  NVME_SF_SCT(want), NVME_SF_SC(want));
}

#define expect_sf(sf, want)	expect_sf_at((sf), (want), __LINE__, #sf)

/* --- shared state -------------------------------------------------------- */

static struct {
	const char *uuid1;
	const char *uuid2;
	struct nvme_dev d1;
	struct nvme_dev d2;

	uint32_t mqes;			/* CAP.MQES, 0's based */
	uint32_t bar0_size;
	uint32_t msix_table;		/* offsets in BAR0 */
	uint32_t msix_pba;
	uint16_t devctl0;		/* PCIe Device Control at power-on */
	uint8_t id_ctrl[4096];		/* Identify Controller of d1 */
	bool have_id_ctrl;
	uint8_t id_ns[4096];		/* Identify Namespace 1 of d1 */
	bool have_id_ns;
	uint8_t ns_desc[4096];		/* Namespace descriptors of d1 */
	bool have_ns_desc;
	uint16_t held_aer[16];		/* AERs the controller holds */
	unsigned int nr_held_aer;
} C;

static struct nvme_dev *D1 = &C.d1;

static void fill(struct nvme_dev *d, uint64_t off, int byte, size_t len)
{
	memset(gptr(d, off), byte, len);
}

static bool all_bytes(const void *p, int byte, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != byte)
			return false;
	return true;
}

static void put64(void *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

/* Expected serial: "MNV" and the first 8 UUID bytes in hex, space padded */
static void expected_serial(const uint8_t *uuid, char sn[20])
{
	unsigned int i;

	memset(sn, ' ', 20);
	memcpy(sn, "MNV", 3);
	for (i = 0; i < 8; i++) {
		static const char hex[] = "0123456789abcdef";

		sn[3 + 2 * i] = hex[uuid[i] >> 4];
		sn[4 + 2 * i] = hex[uuid[i] & 0xf];
	}
}

/* A string of an Identify page: @exp, then spaces up to @len */
static bool id_string_is(const uint8_t *field, size_t len, const char *exp)
{
	size_t n = strlen(exp);

	return n <= len && !memcmp(field, exp, n) &&
	       all_bytes(field + n, ' ', len - n);
}

/*
 * The controller must be running for admin tests; if an earlier test left
 * it otherwise, bring it back so that one failure does not hide the rest.
 */
static bool need_ready(struct nvme_dev *d)
{
	if (nvme_ready(d))
		return true;
	diag("controller not ready (CSTS 0x%x), re-enabling",
	     bar_rd32(d, NVME_REG_CSTS));
	nvme_disable(d);
	nvme_enable(d);
	return expectf(nvme_ready(d), "controller cannot be enabled, CSTS 0x%x",
		       bar_rd32(d, NVME_REG_CSTS));
}

static int identify_ctrl(struct nvme_dev *d, uint64_t off)
{
	fill(d, off, 0xa5, G_PAGE);
	return nvme_identify(d, NVME_CNS_CTRL, 0, giova(off), 0);
}

/* A command with a reserved opcode: fails with Invalid Command Opcode */
static int bad_opcode(struct nvme_dev *d, uint8_t opcode, uint16_t *cid)
{
	struct nvme_sqe sqe;
	struct nvme_cqe cqe = { 0 };
	int sf;

	nvme_sqe_init(&sqe, opcode);
	sf = nvme_admin(d, &sqe, &cqe);
	if (cid)
		*cid = cqe.cid;
	return sf;
}

/*
 * Everything an FLR, VFIO_DEVICE_RESET or a fresh open must leave behind:
 * controller disabled with cleared admin queue registers, decoding and bus
 * mastering off, MSI-X off with every vector masked, BAR0 unassigned.
 */
static void check_power_on_state(struct nvme_dev *d)
{
	unsigned int i;

	expect_eq(bar_rd32(d, NVME_REG_CC), 0);
	expect_eq(bar_rd32(d, NVME_REG_CSTS), 0);
	expect_eq(bar_rd32(d, NVME_REG_AQA), 0);
	expect_eq(bar_rd64(d, NVME_REG_ASQ), 0);
	expect_eq(bar_rd64(d, NVME_REG_ACQ), 0);
	expect_eq(cfg_rd(d, PCI_COMMAND, 2) &
		  (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER), 0);
	expect_eq(cfg_rd(d, PCI_BASE_ADDRESS_0, 4),
		  PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64);
	expect_eq(cfg_rd(d, PCI_BASE_ADDRESS_1, 4), 0);
	if (expect(d->cap_msix)) {
		expect_eq(cfg_rd(d, d->cap_msix + PCI_MSIX_FLAGS, 2) &
			  (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL), 0);
		for (i = 0; i < d->qpairs + 1 && C.msix_table; i++)
			expectf(bar_rd32(d, C.msix_table + i * PCI_MSIX_ENTRY_SIZE +
					 PCI_MSIX_ENTRY_VECTOR_CTRL) &
				PCI_MSIX_ENTRY_CTRL_MASKBIT,
				"MSI-X vector %u not masked", i);
		if (C.msix_pba)
			expect_eq(bar_rd64(d, C.msix_pba), 0);
	}
	if (expect(d->cap_pm))
		expect_eq(cfg_rd(d, d->cap_pm + PCI_PM_CTRL, 2) &
			  PCI_PM_CTRL_STATE_MASK, 0);
	if (expect(d->cap_exp) && C.devctl0)
		expect_eq(cfg_rd(d, d->cap_exp + PCI_EXP_DEVCTL, 2), C.devctl0);
}

/* --- VFIO device ------------------------------------------------------------ */

static void t_device_info(void)
{
	struct vfio_user *vu = &D1->vu;
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ |
			    VFIO_REGION_INFO_FLAG_WRITE;
	unsigned int i;

	expect(vu->info.flags & VFIO_DEVICE_FLAGS_PCI);
	expect(vu->info.flags & VFIO_DEVICE_FLAGS_RESET);
	expect(vu->info.num_regions >= VFIO_PCI_NUM_REGIONS);
	expect(vu->info.num_irqs >= VFIO_PCI_NUM_IRQS);
	expect_eq(vu->regions[VFIO_PCI_CONFIG_REGION_INDEX].size, 4096);
	expect_eq(vu->regions[VFIO_PCI_CONFIG_REGION_INDEX].flags & rw, rw);
	expect_eq(vu->regions[VFIO_PCI_BAR0_REGION_INDEX].size, EXP_BAR0_SIZE);
	expect_eq(vu->regions[VFIO_PCI_BAR0_REGION_INDEX].flags & rw, rw);
	for (i = VFIO_PCI_BAR1_REGION_INDEX; i < VFIO_PCI_NUM_REGIONS; i++) {
		if (i == VFIO_PCI_CONFIG_REGION_INDEX)
			continue;
		expectf(vu->regions[i].size == 0, "region %u has size %llu", i,
			(unsigned long long)vu->regions[i].size);
	}
	C.bar0_size = vu->regions[VFIO_PCI_BAR0_REGION_INDEX].size;
}

static void t_irq_info(void)
{
	static const struct { unsigned int index; const char *name; } none[] = {
		{ VFIO_PCI_INTX_IRQ_INDEX, "INTx" },
		{ VFIO_PCI_MSI_IRQ_INDEX, "MSI" },
	};
	struct vfio_irq_info irq;
	unsigned int i;

	if (expect_eq(vfio_user_irq_info(&D1->vu, VFIO_PCI_MSIX_IRQ_INDEX,
					 &irq), 0)) {
		expect_eq(irq.count, D1->qpairs + 1);
		expect(irq.flags & VFIO_IRQ_INFO_EVENTFD);
	}
	for (i = 0; i < ARRAY_SIZE(none); i++) {
		if (expect_eq(vfio_user_irq_info(&D1->vu, none[i].index, &irq),
			      0))
			expectf(irq.count == 0, "%s offers %u vectors",
				none[i].name, irq.count);
	}
	if (expect_eq(vfio_user_irq_info(&D1->vu, VFIO_PCI_REQ_IRQ_INDEX,
					 &irq), 0)) {
		expect_eq(irq.count, 1);
		expect(irq.flags & VFIO_IRQ_INFO_EVENTFD);
	}
	/* No INTx vector, so no interrupt pin either. */
	expect_eq(cfg_rd(D1, PCI_INTERRUPT_PIN, 1), 0);
}

static void t_open_state(void)
{
	FILE *f;
	char path[256];
	int open_attr = -1;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/open",
		 C.uuid1);
	f = fopen(path, "r");
	if (expectf(f, "%s: %s", path, strerror(errno))) {
		if (fscanf(f, "%d", &open_attr) != 1)
			open_attr = -1;
		fclose(f);
	}
	expect_eq(open_attr, 1);
	/* BAR0 offsets are needed by the power-on check. */
	if (D1->cap_msix) {
		C.msix_table = cfg_rd(D1, D1->cap_msix + PCI_MSIX_TABLE, 4) &
			       PCI_MSIX_TABLE_OFFSET;
		C.msix_pba = cfg_rd(D1, D1->cap_msix + PCI_MSIX_PBA, 4) &
			     PCI_MSIX_PBA_OFFSET;
	}
	check_power_on_state(D1);
	if (D1->cap_exp)
		C.devctl0 = cfg_rd(D1, D1->cap_exp + PCI_EXP_DEVCTL, 2);
}

/*
 * The request IRQ the way QEMU uses it (one eventfd, then -1), and
 * VFIO_DEVICE_SET_IRQS ranges the device does not have.
 */
static void t_req_irq(void)
{
	int32_t fd, none = -1;
	int ret;

	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!expect(fd >= 0))
		return;
	ret = vfio_user_set_irq_eventfds(&D1->vu, VFIO_PCI_REQ_IRQ_INDEX, 0, 1,
					 &fd);
	expectf(!ret, "request IRQ eventfd: %s", strerror(-ret));
	/* Nothing asks the user to release the device now */
	expect_eq(nvme_efd_count(fd), 0);
	ret = vfio_user_set_irq_eventfds(&D1->vu, VFIO_PCI_REQ_IRQ_INDEX, 0, 1,
					 &none);
	expectf(!ret, "request IRQ disconnect: %s", strerror(-ret));
	ret = vfio_user_set_irq_eventfds(&D1->vu, VFIO_PCI_REQ_IRQ_INDEX, 1, 1,
					 &fd);
	expect_eq(ret, -EINVAL);
	ret = vfio_user_set_irq_eventfds(&D1->vu, VFIO_PCI_MSIX_IRQ_INDEX,
					 D1->qpairs + 1, 1, &fd);
	expect_eq(ret, -EINVAL);
	ret = vfio_user_set_irq_eventfds(&D1->vu, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
					 &fd);
	expect_eq(ret, -EINVAL);
	/*
	 * "Disable all" on the one-slot request index must touch that slot
	 * only (it once ran over the MSI-X count and oopsed the host).
	 */
	ret = vfio_user_set_irq_eventfds(&D1->vu, VFIO_PCI_REQ_IRQ_INDEX, 0, 1,
					 &fd);
	expectf(!ret, "request IRQ eventfd: %s", strerror(-ret));
	ret = vfio_user_disable_irqs(&D1->vu, VFIO_PCI_REQ_IRQ_INDEX);
	expectf(!ret, "request IRQ disable-all: %s", strerror(-ret));
	close(fd);
}

/* --- PCI configuration space ------------------------------------------------ */

static void t_cfg_ids(void)
{
	expect_eq(cfg_rd(D1, PCI_VENDOR_ID, 2), EXP_VENDOR);
	expect_eq(cfg_rd(D1, PCI_DEVICE_ID, 2), EXP_DEVICE);
	expect_eq(cfg_rd(D1, PCI_SUBSYSTEM_VENDOR_ID, 2), EXP_SUBSYS_VENDOR);
	expect_eq(cfg_rd(D1, PCI_SUBSYSTEM_ID, 2), EXP_SUBSYS);
}

static void t_cfg_class(void)
{
	/* Mass storage / Non-Volatile Memory / NVM Express I/O controller */
	expect_eq(cfg_rd(D1, PCI_CLASS_PROG, 1), 0x02);
	expect_eq(cfg_rd(D1, PCI_CLASS_DEVICE, 2), 0x0108);
	expect_eq(cfg_rd(D1, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
	expect(cfg_rd(D1, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
}

static void t_cfg_bar0(void)
{
	const uint32_t type = PCI_BASE_ADDRESS_SPACE_MEMORY |
			      PCI_BASE_ADDRESS_MEM_TYPE_64;
	uint32_t b0 = cfg_rd(D1, PCI_BASE_ADDRESS_0, 4);
	uint32_t b1 = cfg_rd(D1, PCI_BASE_ADDRESS_1, 4);
	uint32_t s0, s1;
	uint64_t size;

	/* 64-bit, not prefetchable: registers must not be prefetched. */
	expect_eq(b0 & ~PCI_BASE_ADDRESS_MEM_MASK, type);

	cfg_wr(D1, PCI_BASE_ADDRESS_0, ~0u, 4);
	cfg_wr(D1, PCI_BASE_ADDRESS_1, ~0u, 4);
	s0 = cfg_rd(D1, PCI_BASE_ADDRESS_0, 4);
	s1 = cfg_rd(D1, PCI_BASE_ADDRESS_1, 4);
	size = ~((uint64_t)s1 << 32 | (s0 & PCI_BASE_ADDRESS_MEM_MASK)) + 1;
	expect_eq(s0 & ~PCI_BASE_ADDRESS_MEM_MASK, type);
	expect_eq(size, C.bar0_size);
	diag("BAR0 sizing: 0x%08x%08x, %llu bytes", s1, s0,
	     (unsigned long long)size);

	/* An address as firmware would assign it, above 4 GiB */
	cfg_wr(D1, PCI_BASE_ADDRESS_0, 0xfebf0000, 4);
	cfg_wr(D1, PCI_BASE_ADDRESS_1, 0x1, 4);
	expect_eq(cfg_rd(D1, PCI_BASE_ADDRESS_0, 4), 0xfebf0000 | type);
	expect_eq(cfg_rd(D1, PCI_BASE_ADDRESS_1, 4), 0x1);

	cfg_wr(D1, PCI_BASE_ADDRESS_0, b0, 4);
	cfg_wr(D1, PCI_BASE_ADDRESS_1, b1, 4);
	expect_eq(cfg_rd(D1, PCI_BASE_ADDRESS_0, 4), b0);
	expect_eq(cfg_rd(D1, PCI_BASE_ADDRESS_1, 4), b1);
}

static void t_cfg_other_bars(void)
{
	static const uint32_t regs[] = {
		PCI_BASE_ADDRESS_2, PCI_BASE_ADDRESS_3, PCI_BASE_ADDRESS_4,
		PCI_BASE_ADDRESS_5, PCI_ROM_ADDRESS,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		expectf(cfg_rd(D1, regs[i], 4) == 0, "0x%02x not zero", regs[i]);
		cfg_wr(D1, regs[i], ~0u, 4);
		expectf(cfg_rd(D1, regs[i], 4) == 0,
			"0x%02x sizes to 0x%08x: not unimplemented", regs[i],
			cfg_rd(D1, regs[i], 4));
	}
}

static void t_cfg_command(void)
{
	/* Hardwired to 0 for a PCIe function without I/O BARs */
	const uint32_t ro0 = PCI_COMMAND_IO | PCI_COMMAND_SPECIAL |
			     PCI_COMMAND_INVALIDATE | PCI_COMMAND_VGA_PALETTE |
			     PCI_COMMAND_WAIT | PCI_COMMAND_FAST_BACK;
	const uint32_t me = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	uint32_t orig = cfg_rd(D1, PCI_COMMAND, 2);
	uint32_t v;

	cfg_wr(D1, PCI_COMMAND, me, 2);
	expect_eq(cfg_rd(D1, PCI_COMMAND, 2) & (me | PCI_COMMAND_IO), me);
	cfg_wr(D1, PCI_COMMAND, 0, 2);
	expect_eq(cfg_rd(D1, PCI_COMMAND, 2) & (me | PCI_COMMAND_IO), 0);
	cfg_wr(D1, PCI_COMMAND, 0xffff, 2);
	v = cfg_rd(D1, PCI_COMMAND, 2);
	expect_eq(v & me, me);
	expect_eq(v & ro0, 0);
	cfg_wr(D1, PCI_COMMAND, orig, 2);
	expect_eq(cfg_rd(D1, PCI_COMMAND, 2), orig);
}

static void t_cfg_caps(void)
{
	bool seen[256] = { false };
	unsigned int pos, n_pm = 0, n_msix = 0, n_exp = 0;

	pos = cfg_rd(D1, PCI_CAPABILITY_LIST, 1);
	while (pos) {
		uint32_t id;

		if (!expectf(pos >= 0x40 && pos <= 0xfc && !(pos & 3),
			     "capability pointer 0x%02x out of place", pos) ||
		    !expectf(!seen[pos], "capability list loops at 0x%02x",
			     pos))
			break;
		seen[pos] = true;
		id = cfg_rd(D1, pos, 1);
		diag("capability 0x%02x at 0x%02x", id, pos);
		n_pm += id == PCI_CAP_ID_PM;
		n_msix += id == PCI_CAP_ID_MSIX;
		n_exp += id == PCI_CAP_ID_EXP;
		pos = cfg_rd(D1, pos + PCI_CAP_LIST_NEXT, 1);
	}
	expect_eq(n_pm, 1);
	expect_eq(n_msix, 1);
	expect_eq(n_exp, 1);
	if (D1->cap_pm) {
		/* PCI PM 1.2 and the device is in D0 */
		expect_eq(cfg_rd(D1, D1->cap_pm + PCI_PM_PMC, 2) &
			  PCI_PM_CAP_VER_MASK, 3);
		expect_eq(cfg_rd(D1, D1->cap_pm + PCI_PM_CTRL, 2) &
			  PCI_PM_CTRL_STATE_MASK, 0);
	}
}

static void t_cfg_msix(void)
{
	unsigned int n, i, db_end, pba_len;
	uint32_t ctrl, table, pba;

	if (!expect(D1->cap_msix))
		return;
	ctrl = cfg_rd(D1, D1->cap_msix + PCI_MSIX_FLAGS, 2);
	table = cfg_rd(D1, D1->cap_msix + PCI_MSIX_TABLE, 4);
	pba = cfg_rd(D1, D1->cap_msix + PCI_MSIX_PBA, 4);
	n = (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1;
	diag("MSI-X: %u vectors, table 0x%08x, PBA 0x%08x", n, table, pba);
	expect_eq(n, D1->qpairs + 1);
	expect_eq(table & PCI_MSIX_TABLE_BIR, 0);
	expect_eq(pba & PCI_MSIX_PBA_BIR, 0);
	table &= PCI_MSIX_TABLE_OFFSET;
	pba &= PCI_MSIX_PBA_OFFSET;
	pba_len = (n + 63) / 64 * 8;
	expectf(table + n * PCI_MSIX_ENTRY_SIZE <= C.bar0_size,
		"table ends beyond BAR0");
	expectf(pba + pba_len <= C.bar0_size, "PBA ends beyond BAR0");
	expectf(table + n * PCI_MSIX_ENTRY_SIZE <= pba ||
		pba + pba_len <= table, "table and PBA overlap");
	/* Neither may sit on the registers or the doorbells (DSTRD 0) */
	db_end = NVME_REG_DB + 8 * (D1->qpairs + 1);
	expectf(table >= db_end && pba >= db_end,
		"MSI-X structures below the doorbells' end 0x%x", db_end);
	/* Every vector starts masked (PCI 3.0 6.8.2.9) */
	for (i = 0; i < n; i++)
		expectf(bar_rd32(D1, table + i * PCI_MSIX_ENTRY_SIZE +
				 PCI_MSIX_ENTRY_VECTOR_CTRL) &
			PCI_MSIX_ENTRY_CTRL_MASKBIT, "vector %u not masked", i);
	expect_eq(bar_rd32(D1, pba), 0);
}

static void t_cfg_pcie(void)
{
	uint32_t flags, devcap;

	if (!expect(D1->cap_exp))
		return;
	flags = cfg_rd(D1, D1->cap_exp + PCI_EXP_FLAGS, 2);
	devcap = cfg_rd(D1, D1->cap_exp + PCI_EXP_DEVCAP, 4);
	expect_eq(flags & PCI_EXP_FLAGS_VERS, 2);
	expect_eq((flags & PCI_EXP_FLAGS_TYPE) >> 4, PCI_EXP_TYPE_ENDPOINT);
	expect(devcap & PCI_EXP_DEVCAP_FLR);
	/* Initiate FLR is write-only */
	expect_eq(cfg_rd(D1, D1->cap_exp + PCI_EXP_DEVCTL, 2) &
		  PCI_EXP_DEVCTL_BCR_FLR, 0);
}

static void t_cfg_readonly(void)
{
	struct { uint32_t off, len; } ro[] = {
		{ PCI_VENDOR_ID, 4 },		/* vendor and device ID */
		{ PCI_CLASS_REVISION, 4 },
		{ PCI_HEADER_TYPE, 1 },
		{ PCI_SUBSYSTEM_VENDOR_ID, 4 },
		{ PCI_CAPABILITY_LIST, 1 },
		{ PCI_INTERRUPT_PIN, 1 },
		{ D1->cap_pm, 4 },		/* ID, next, PMC */
		{ D1->cap_msix, 2 },		/* ID, next */
		{ D1->cap_msix + PCI_MSIX_TABLE, 4 },
		{ D1->cap_msix + PCI_MSIX_PBA, 4 },
		{ D1->cap_exp, 4 },		/* ID, next, flags */
		{ D1->cap_exp + PCI_EXP_DEVCAP, 4 },
		{ D1->cap_exp + PCI_EXP_LNKCAP, 4 },
		{ D1->cap_exp + PCI_EXP_LNKCAP2, 4 },
	};
	uint32_t mask, orig, ctrl, status;
	unsigned int i;

	if (!expect(D1->cap_pm && D1->cap_msix && D1->cap_exp))
		return;
	for (i = 0; i < ARRAY_SIZE(ro); i++) {
		mask = ro[i].len == 4 ? ~0u : (1u << (8 * ro[i].len)) - 1;
		orig = cfg_rd(D1, ro[i].off, ro[i].len);
		cfg_wr(D1, ro[i].off, ~orig & mask, ro[i].len);
		expectf(cfg_rd(D1, ro[i].off, ro[i].len) == orig,
			"%u bytes at 0x%02x: 0x%x changed to 0x%x", ro[i].len,
			ro[i].off, orig, cfg_rd(D1, ro[i].off, ro[i].len));
		cfg_wr(D1, ro[i].off, 0, ro[i].len);
		expectf(cfg_rd(D1, ro[i].off, ro[i].len) == orig,
			"%u bytes at 0x%02x: 0x%x cleared to 0x%x", ro[i].len,
			ro[i].off, orig, cfg_rd(D1, ro[i].off, ro[i].len));
	}
	/* MSI-X Table Size, with the enable and mask bits left alone */
	ctrl = cfg_rd(D1, D1->cap_msix + PCI_MSIX_FLAGS, 2);
	cfg_wr(D1, D1->cap_msix + PCI_MSIX_FLAGS, ctrl ^ PCI_MSIX_FLAGS_QSIZE,
	       2);
	expect_eq(cfg_rd(D1, D1->cap_msix + PCI_MSIX_FLAGS, 2), ctrl);
	/* Capabilities List in the status register: not W1C, read-only */
	status = cfg_rd(D1, PCI_STATUS, 2);
	cfg_wr(D1, PCI_STATUS, PCI_STATUS_CAP_LIST, 2);
	expect_eq(cfg_rd(D1, PCI_STATUS, 2), status);
}

static void t_cfg_odd(void)
{
	uint8_t snap[256], b[4];
	uint32_t off, cmd, v;

	if (!expect_eq(cfg_read(D1, 0, snap, sizeof(snap)), 0))
		return;
	/* The bulk read agrees with dword reads */
	for (off = 0; off < sizeof(snap); off += 4)
		expectf(cfg_rd(D1, off, 4) == get32(snap, off),
			"dword 0x%02x differs from the 256-byte read", off);

	expect(!cfg_read(D1, 0x01, b, 1) && b[0] == snap[0x01]);
	expect(!cfg_read(D1, 0x01, b, 2) && !memcmp(b, snap + 0x01, 2));
	expect(!cfg_read(D1, 0x03, b, 2) && !memcmp(b, snap + 0x03, 2));
	expect(!cfg_read(D1, 0x09, b, 4) && !memcmp(b, snap + 0x09, 4));
	expect(!cfg_read(D1, 0x2d, b, 3) && !memcmp(b, snap + 0x2d, 3));
	expect(!cfg_read(D1, D1->cap_msix + 1, b, 2) &&
	       !memcmp(b, snap + D1->cap_msix + 1, 2));
	expect(!cfg_read(D1, D1->cap_exp + 5, b, 4) &&
	       !memcmp(b, snap + D1->cap_exp + 5, 4));

	/* 1 byte at 0x05: Interrupt Disable is bit 2 of the command's MSB */
	cmd = get16(snap, PCI_COMMAND);
	b[0] = PCI_COMMAND_INTX_DISABLE >> 8;
	expect_eq(cfg_write(D1, 0x05, b, 1), 0);
	expect_eq(cfg_rd(D1, PCI_COMMAND, 2), cmd | PCI_COMMAND_INTX_DISABLE);
	b[0] = cmd >> 8;
	expect_eq(cfg_write(D1, 0x05, b, 1), 0);
	expect_eq(cfg_rd(D1, PCI_COMMAND, 2), cmd);

	/* 2 bytes at 0x0b: class (read-only) and cache line size */
	b[0] = 0x55;
	b[1] = 0x10;
	expect_eq(cfg_write(D1, 0x0b, b, 2), 0);
	expect_eq(cfg_rd(D1, PCI_CLASS_DEVICE + 1, 1), snap[0x0b]);
	expect_eq(cfg_rd(D1, PCI_CACHE_LINE_SIZE, 1), 0x10);
	cfg_wr(D1, PCI_CACHE_LINE_SIZE, snap[PCI_CACHE_LINE_SIZE], 1);

	/* 4 bytes at 0x39: reserved bytes and the interrupt line */
	b[0] = 0xaa;
	b[1] = 0xbb;
	b[2] = 0xcc;
	b[3] = 0x5a;
	expect_eq(cfg_write(D1, 0x39, b, 4), 0);
	v = cfg_rd(D1, 0x38, 4);
	expect_eq(v >> 8, get32(snap, 0x38) >> 8);
	expect_eq(cfg_rd(D1, PCI_INTERRUPT_LINE, 1), 0x5a);
	cfg_wr(D1, PCI_INTERRUPT_LINE, snap[PCI_INTERRUPT_LINE], 1);
}

static void t_cfg_beyond(void)
{
	uint8_t b[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	long n;

	n = vfio_user_rw(&D1->vu, VFIO_PCI_CONFIG_REGION_INDEX, 4096, b, 4, 0);
	expectf(n < 0, "4-byte read at 4096 returned %ld", n);
	n = vfio_user_rw(&D1->vu, VFIO_PCI_CONFIG_REGION_INDEX, 4096, b, 4, 1);
	expectf(n < 0, "4-byte write at 4096 returned %ld", n);
	n = vfio_user_rw(&D1->vu, VFIO_PCI_CONFIG_REGION_INDEX, 0x10000, b, 8,
			 0);
	expectf(n < 0, "8-byte read at 0x10000 returned %ld", n);
	/* Straddling the end: at most the byte inside may be transferred */
	b[0] = 0xff;
	n = vfio_user_rw(&D1->vu, VFIO_PCI_CONFIG_REGION_INDEX, 4095, b, 2, 0);
	expectf(n < 0 || (n == 1 && b[0] == 0),
		"2-byte read at 4095 returned %ld, byte 0x%02x", n, b[0]);
	/* The extended space exists but is empty */
	expect_eq(cfg_rd(D1, 0x100, 4), 0);
	expect_eq(cfg_rd(D1, 0xffc, 4), 0);
	/* The device is still fine */
	expect_eq(cfg_rd(D1, PCI_VENDOR_ID, 2), EXP_VENDOR);
}

/* --- BAR0 ------------------------------------------------------------------- */

static void t_bar_cap(void)
{
	uint64_t cap = bar_rd64(D1, NVME_REG_CAP);
	uint64_t halves = bar_rd32(D1, NVME_REG_CAP) |
			  (uint64_t)bar_rd32(D1, NVME_REG_CAP + 4) << 32;

	diag("CAP 0x%016llx: MQES %u CQR %u TO %u DSTRD %u CSS 0x%x MPSMIN %u MPSMAX %u",
	     (unsigned long long)cap, NVME_CAP_MQES(cap), NVME_CAP_CQR(cap),
	     NVME_CAP_TO(cap), NVME_CAP_DSTRD(cap), NVME_CAP_CSS(cap),
	     NVME_CAP_MPSMIN(cap), NVME_CAP_MPSMAX(cap));
	expect_eq(cap, halves);
	expect(NVME_CAP_MQES(cap) >= 1);
	/* The module has no PRP-list queues: contiguous ones are required. */
	expect_eq(NVME_CAP_CQR(cap), 1);
	expect_eq(NVME_CAP_DSTRD(cap), 0);
	expect(NVME_CAP_TO(cap) >= 1);
	expect(NVME_CAP_CSS(cap) & NVME_CAP_CSS_NVM);
	expect_eq(NVME_CAP_MPSMIN(cap), 0);
	expect(NVME_CAP_MPSMAX(cap) >= NVME_CAP_MPSMIN(cap));
	/* Read-only */
	bar_wr64(D1, NVME_REG_CAP, ~cap);
	expect_eq(bar_rd64(D1, NVME_REG_CAP), cap);
	C.mqes = NVME_CAP_MQES(cap);
}

static void t_bar_vs(void)
{
	expect_eq(bar_rd32(D1, NVME_REG_VS), 0x00010400);
	bar_wr32(D1, NVME_REG_VS, 0x00020000);
	expect_eq(bar_rd32(D1, NVME_REG_VS), 0x00010400);
}

static void t_bar_enable(void)
{
	uint32_t csts = nvme_enable(D1);

	expect_eq(csts & (NVME_CSTS_RDY | NVME_CSTS_CFS), NVME_CSTS_RDY);
	expect_eq(bar_rd32(D1, NVME_REG_AQA),
		  (AQ_DEPTH - 1) << 16 | (AQ_DEPTH - 1));
	expect_eq(bar_rd64(D1, NVME_REG_ASQ), giova(G_ASQ));
	expect_eq(bar_rd64(D1, NVME_REG_ACQ), giova(G_ACQ));
	expect_eq(bar_rd32(D1, NVME_REG_CC), NVME_CC_DEFAULT | NVME_CC_EN);
}

/* --- MSI-X ------------------------------------------------------------------ */

static void t_msix_fire(void)
{
	unsigned int i;
	int ret;

	ret = nvme_connect_eventfds(D1);
	if (!expectf(!ret, "VFIO_DEVICE_SET_IRQS: %s", strerror(-ret)))
		return;
	if (!need_ready(D1))
		return;
	expect(cfg_rd(D1, D1->cap_msix + PCI_MSIX_FLAGS, 2) &
	       PCI_MSIX_FLAGS_ENABLE);
	nvme_drain_eventfds(D1);
	expect_sf(identify_ctrl(D1, G_DATA), SC_SUCCESS);
	expect_eq(nvme_efd_count(D1->efd[0]), 1);
	for (i = 1; i < D1->nr_vectors; i++)
		expectf(nvme_efd_count(D1->efd[i]) == 0, "vector %u fired", i);
	/* Nothing more without a completion */
	expect_eq(nvme_efd_count(D1->efd[0]), 0);
}

/* An admin command whose completion raises vector 0; its cid */
static uint16_t submit_get_feat(void)
{
	struct nvme_sqe sqe;

	nvme_sqe_init(&sqe, NVME_ADM_GET_FEAT);
	sqe.cdw10 = htole32(FEAT_ARBITRATION);
	return nvme_submit(D1, &sqe);
}

static void reaped(const char *what, uint16_t cid)
{
	struct nvme_cqe cqe;

	if (expectf(nvme_reap(D1, &cqe, 2000), "%s: no completion", what)) {
		expect_eq(cqe.cid, cid);
		expect_sf(cqe.status >> 1, SC_SUCCESS);
	}
}

/*
 * Submit a command while vector 0 has no eventfd (VFIO_DEVICE_SET_IRQS
 * with fd -1, as vfio-pci leaves such a vector masked at the host),
 * check it is held in the PBA, wire the eventfd again, check it fires
 * once and the pending bit clears.
 */
static void held_unwired(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 20 * 1000 * 1000 };
	int32_t none = -1;
	uint16_t cid;

	nvme_drain_eventfds(D1);
	expect_eq(vfio_user_set_irq_eventfds(&D1->vu, VFIO_PCI_MSIX_IRQ_INDEX,
					     0, 1, &none), 0);
	cid = submit_get_feat();
	nanosleep(&ts, NULL);
	expectf(nvme_efd_count(D1->efd[0]) == 0, "unwired: vector 0 fired");
	expectf(bar_rd32(D1, C.msix_pba) & 1, "unwired: PBA bit 0 not set");
	expect_eq(vfio_user_set_irq_eventfds(&D1->vu, VFIO_PCI_MSIX_IRQ_INDEX,
					     0, 1, &D1->efd[0]), 0);
	expectf(nvme_efd_count(D1->efd[0]) == 1,
		"wired again: vector 0 not delivered");
	expectf(!(bar_rd32(D1, C.msix_pba) & 1),
		"wired again: PBA bit 0 still set");
	reaped("unwired", cid);
}

/*
 * The VFIO contract: with its eventfd wired, vector 0 fires whatever the
 * VMM wrote to the MSI-X capability (value @val at @off); the VMM masks
 * vectors itself, as with a vfio-pci device.
 */
static void fires_wired(const char *what, uint32_t off, uint32_t val,
			uint32_t restore)
{
	uint16_t cid;

	nvme_drain_eventfds(D1);
	cfg_wr(D1, off, val, 2);
	cid = submit_get_feat();
	reaped(what, cid);
	expectf(nvme_efd_count(D1->efd[0]) == 1, "%s: vector 0 not delivered",
		what);
	expectf(!(bar_rd32(D1, C.msix_pba) & 1), "%s: PBA bit 0 set", what);
	cfg_wr(D1, off, restore, 2);
	expectf(nvme_efd_count(D1->efd[0]) == 0, "%s: vector 0 fired again",
		what);
}

/*
 * Without Bus Master Enable the function may not touch host memory: a
 * command waits unseen (no completion, no pending interrupt) and runs once
 * the guest turns bus mastering back on.
 */
static void held_by_bus_master(uint32_t cmd)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 20 * 1000 * 1000 };
	struct nvme_sqe sqe;
	struct nvme_cqe cqe;
	uint16_t cid;

	nvme_drain_eventfds(D1);
	cfg_wr(D1, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER, 2);
	nvme_sqe_init(&sqe, NVME_ADM_GET_FEAT);
	sqe.cdw10 = htole32(FEAT_ARBITRATION);
	cid = nvme_submit(D1, &sqe);
	nanosleep(&ts, NULL);
	expectf(!nvme_reap(D1, &cqe, 50), "bus master off: command completed");
	expectf(nvme_efd_count(D1->efd[0]) == 0, "bus master off: vector 0 fired");
	expectf(!(bar_rd32(D1, C.msix_pba) & 1),
		"bus master off: PBA bit 0 set without a completion");
	cfg_wr(D1, PCI_COMMAND, cmd, 2);
	if (expectf(nvme_reap(D1, &cqe, 2000),
		    "bus master on: no completion")) {
		expect_eq(cqe.cid, cid);
		expect_sf(cqe.status >> 1, SC_SUCCESS);
	}
	expectf(nvme_efd_count(D1->efd[0]) == 1, "bus master on: vector 0 not delivered");
}

static void t_msix_pending(void)
{
	uint32_t cmd, ctrl;

	if (!expect(D1->nr_vectors && C.msix_pba) || !need_ready(D1))
		return;
	cmd = cfg_rd(D1, PCI_COMMAND, 2);
	ctrl = cfg_rd(D1, D1->cap_msix + PCI_MSIX_FLAGS, 2);
	held_by_bus_master(cmd);
	held_unwired();
	fires_wired("function masked", D1->cap_msix + PCI_MSIX_FLAGS,
		    ctrl | PCI_MSIX_FLAGS_MASKALL, ctrl);
	fires_wired("MSI-X disabled", D1->cap_msix + PCI_MSIX_FLAGS,
		    ctrl & ~PCI_MSIX_FLAGS_ENABLE, ctrl);
}

/* --- Identify ---------------------------------------------------------------- */

static void t_id_ctrl(void)
{
	const uint8_t *id = gptr(D1, G_DATA);
	char sn[20], nqn[sizeof(EXP_NQN_PREFIX) + 36];
	unsigned int i;

	if (!need_ready(D1) ||
	    !expect_sf(identify_ctrl(D1, G_DATA), SC_SUCCESS))
		return;
	memcpy(C.id_ctrl, id, sizeof(C.id_ctrl));
	C.have_id_ctrl = true;
	diag("SN '%.20s' MN '%.40s' FR '%.8s' MDTS %u AERL %u ELPE %u VWC 0x%x",
	     (const char *)id + ID_CTRL_SN, (const char *)id + ID_CTRL_MN,
	     (const char *)id + ID_CTRL_FR, id[ID_CTRL_MDTS], id[ID_CTRL_AERL],
	     id[ID_CTRL_ELPE], id[ID_CTRL_VWC]);

	/* VID and SSVID are the PCI ones (Figure 247) */
	expect_eq(get16(id, ID_CTRL_VID), cfg_rd(D1, PCI_VENDOR_ID, 2));
	expect_eq(get16(id, ID_CTRL_SSVID),
		  cfg_rd(D1, PCI_SUBSYSTEM_VENDOR_ID, 2));
	expected_serial(D1->uuid_bin, sn);
	expectf(!memcmp(id + ID_CTRL_SN, sn, 20), "SN is not '%.20s'", sn);
	expectf(id_string_is(id + ID_CTRL_MN, 40, EXP_MODEL),
		"MN is not '%s'", EXP_MODEL);
	expectf(id_string_is(id + ID_CTRL_FR, 8, EXP_FIRMWARE),
		"FR is not '%s'", EXP_FIRMWARE);
	expectf(id[ID_CTRL_MDTS] >= 1 && id[ID_CTRL_MDTS] <= EXP_MDTS_MAX,
		"MDTS %u outside 1..%u", id[ID_CTRL_MDTS], EXP_MDTS_MAX);
	expect_eq(get32(id, ID_CTRL_VER), bar_rd32(D1, NVME_REG_VS));
	expect_eq(id[ID_CTRL_SQES], 0x66);
	expect_eq(id[ID_CTRL_CQES], 0x44);
	expect_eq(get32(id, ID_CTRL_NN), 1);
	/* The Commands Supported and Effects log is read below. */
	expect(id[ID_CTRL_LPA] & 0x02);
	expect(id[ID_CTRL_AERL] < ARRAY_SIZE(C.held_aer) - 1);
	/* A subsystem of its own, named after the instance */
	snprintf(nqn, sizeof(nqn), "%s%s", EXP_NQN_PREFIX, C.uuid1);
	for (i = 0; nqn[i]; i++)
		if (nqn[i] >= 'A' && nqn[i] <= 'F')
			nqn[i] += 'a' - 'A';
	expectf(!memcmp(id + ID_CTRL_SUBNQN, nqn, strlen(nqn) + 1),
		"SUBNQN '%.100s' is not '%s'",
		(const char *)id + ID_CTRL_SUBNQN, nqn);
}

static void t_id_ns(void)
{
	const uint8_t *id = gptr(D1, G_DATA);
	unsigned int fmt;

	fill(D1, G_DATA, 0xa5, G_PAGE);
	if (!need_ready(D1) ||
	    !expect_sf(nvme_identify(D1, NVME_CNS_NS, 1, giova(G_DATA), 0),
		       SC_SUCCESS))
		return;
	memcpy(C.id_ns, id, sizeof(C.id_ns));
	C.have_id_ns = true;
	diag("NSZE %llu, sysfs lba_count %llu",
	     (unsigned long long)get64(id, ID_NS_NSZE),
	     (unsigned long long)D1->lba_count);
	expect_eq(get64(id, ID_NS_NSZE), D1->lba_count);
	expect_eq(get64(id, ID_NS_NCAP), D1->lba_count);
	expect_eq(get64(id, ID_NS_NUSE), D1->lba_count);
	fmt = id[ID_NS_FLBAS] & 0xf;
	expect(fmt <= id[ID_NS_NLBAF]);
	/* LBA format in use: 512-byte blocks (LBADS 9), no metadata */
	expect_eq(id[ID_NS_LBAF0 + 4 * fmt + 2], 9);
	expect_eq(get16(id, ID_NS_LBAF0 + 4 * fmt), 0);
	/* The whole page was written: reserved and vendor areas are zero */
	expect(all_bytes(id + 192, 0, G_PAGE - 192));
}

static void t_id_active(void)
{
	const uint8_t *list = gptr(D1, G_DATA);

	if (!need_ready(D1))
		return;
	fill(D1, G_DATA, 0xa5, G_PAGE);
	if (expect_sf(nvme_identify(D1, NVME_CNS_NS_ACTIVE, 0, giova(G_DATA),
				    0), SC_SUCCESS)) {
		expect_eq(get32(list, 0), 1);
		expect(all_bytes(list + 4, 0, G_PAGE - 4));
	}
	/* Active namespaces above NSID 1: none */
	fill(D1, G_DATA, 0xa5, G_PAGE);
	if (expect_sf(nvme_identify(D1, NVME_CNS_NS_ACTIVE, 1, giova(G_DATA),
				    0), SC_SUCCESS))
		expect(all_bytes(list, 0, G_PAGE));
}

/* Find descriptor @type in a descriptor list; returns its length or -1 */
static int find_desc(const uint8_t *list, uint8_t type, const uint8_t **id)
{
	unsigned int pos = 0;

	while (pos + 4 <= G_PAGE && list[pos]) {
		if (list[pos] == type) {
			*id = list + pos + 4;
			return list[pos + 1];
		}
		pos += 4 + list[pos + 1];
	}
	return -1;
}

static void t_id_desc(void)
{
	const uint8_t *list = gptr(D1, G_DATA), *v;

	if (!need_ready(D1))
		return;
	fill(D1, G_DATA, 0xa5, G_PAGE);
	if (!expect_sf(nvme_identify(D1, NVME_CNS_NS_DESC, 1, giova(G_DATA), 0),
		       SC_SUCCESS))
		return;
	memcpy(C.ns_desc, list, sizeof(C.ns_desc));
	C.have_ns_desc = true;
	if (expect_eq(find_desc(list, NIDT_UUID, &v), 16))
		expectf(!memcmp(v, D1->uuid_bin, 16),
			"UUID descriptor is not the instance UUID");
	if (expect_eq(find_desc(list, NIDT_NGUID, &v), 16) && C.have_id_ns)
		expectf(!memcmp(v, C.id_ns + ID_NS_NGUID, 16),
			"NGUID descriptor differs from Identify Namespace");
	if (expect_eq(find_desc(list, NIDT_EUI64, &v), 8) && C.have_id_ns)
		expectf(!memcmp(v, C.id_ns + ID_NS_EUI64, 8),
			"EUI-64 descriptor differs from Identify Namespace");
}

static void t_id_bad_cns(void)
{
	if (!need_ready(D1))
		return;
	/* 55h is reserved; 10h (allocated namespaces) needs NS management */
	expect_sf(nvme_identify(D1, 0x55, 0, giova(G_DATA), 0),
		  SC_INVALID_FIELD);
	expect_sf(nvme_identify(D1, 0x10, 0, giova(G_DATA), 0),
		  SC_INVALID_FIELD);
}

static void t_id_bad_nsid(void)
{
	if (!need_ready(D1))
		return;
	expect_sf(nvme_identify(D1, NVME_CNS_NS, 2, giova(G_DATA), 0),
		  SC_INVALID_NS);
	expect_sf(nvme_identify(D1, NVME_CNS_NS, 0, giova(G_DATA), 0),
		  SC_INVALID_NS);
	expect_sf(nvme_identify(D1, NVME_CNS_NS_DESC, 2, giova(G_DATA), 0),
		  SC_INVALID_NS);
	expect_sf(nvme_identify(D1, NVME_CNS_NS_DESC, 0xffffffff,
				giova(G_DATA), 0), SC_INVALID_NS);
}

static void t_id_prp2(void)
{
	const uint8_t *p1 = gptr(D1, G_DATA2 + 0x800);
	const uint8_t *p2 = gptr(D1, G_DATA2 + 0x3000);

	if (!need_ready(D1) || !expect(C.have_id_ctrl))
		return;
	fill(D1, G_DATA2, 0xa5, 4 * G_PAGE);
	/* Second half in a page that is not the next one */
	if (expect_sf(nvme_identify(D1, NVME_CNS_CTRL, 0,
				    giova(G_DATA2 + 0x800),
				    giova(G_DATA2 + 0x3000)), SC_SUCCESS)) {
		expect(!memcmp(p1, C.id_ctrl, 0x800));
		expect(!memcmp(p2, C.id_ctrl + 0x800, 0x800));
		expect(all_bytes(gptr(D1, G_DATA2 + 0x1000), 0xa5, 0x2000));
		expect(all_bytes(gptr(D1, G_DATA2), 0xa5, 0x800));
	}
	/* PRP entries must be dword aligned */
	expect_sf(nvme_identify(D1, NVME_CNS_CTRL, 0, giova(G_DATA) + 2, 0),
		  NVME_SF(0, 0x13));
}

static void t_id_unmapped(void)
{
	uint32_t csts;

	if (!need_ready(D1) || !expect(C.have_id_ctrl))
		return;
	expect_sf(nvme_identify(D1, NVME_CNS_CTRL, 0, GMEM_HOLE, 0),
		  SC_DATA_XFER_ERROR);
	/* First half fine, PRP2 unmapped */
	expect_sf(nvme_identify(D1, NVME_CNS_CTRL, 0, giova(G_DATA2 + 0x800),
				GMEM_HOLE), SC_DATA_XFER_ERROR);
	csts = bar_rd32(D1, NVME_REG_CSTS);
	expectf(csts == NVME_CSTS_RDY, "CSTS 0x%x after the failed transfer",
		csts);
	if (expect_sf(identify_ctrl(D1, G_DATA), SC_SUCCESS))
		expect(!memcmp(gptr(D1, G_DATA), C.id_ctrl, G_PAGE));
}

static void t_bad_opcode(void)
{
	if (!need_ready(D1))
		return;
	/* 03h is reserved, FFh vendor specific and not implemented */
	expect_sf(bad_opcode(D1, 0x03, NULL), SC_INVALID_OPCODE);
	expect_sf(bad_opcode(D1, 0xff, NULL), SC_INVALID_OPCODE);
	expect_sf(bad_opcode(D1, 0x7f, NULL), SC_INVALID_OPCODE);
}

/* --- Features ----------------------------------------------------------------- */

static void t_feat_nq(void)
{
	uint32_t want = (D1->qpairs - 1) << 16 | (D1->qpairs - 1);
	uint32_t res = ~0u;

	if (!need_ready(D1))
		return;
	/* Ask for 64 of each: the answer is what the instance has */
	if (expect_sf(nvme_set_feat(D1, FEAT_NUM_QUEUES, 0x003f003f, &res),
		      SC_SUCCESS))
		expect_eq(res, want);
	res = ~0u;
	if (expect_sf(nvme_get_feat(D1, FEAT_NUM_QUEUES, FEAT_SEL_CURRENT, 0,
				    &res), SC_SUCCESS))
		expect_eq(res, want);
}

static void t_feat_vwc(void)
{
	uint32_t res = ~0u;

	if (!need_ready(D1) || !expect(C.have_id_ctrl))
		return;
	if (!(C.id_ctrl[ID_CTRL_VWC] & 1)) {
		diag("no volatile write cache: the feature must not exist");
		expect_sf(nvme_get_feat(D1, FEAT_VWC, FEAT_SEL_CURRENT, 0, NULL),
			  SC_INVALID_FIELD);
		expect_sf(nvme_set_feat(D1, FEAT_VWC, 1, NULL),
			  SC_INVALID_FIELD);
		return;
	}
	diag("volatile write cache present");
	expect_sf(nvme_set_feat(D1, FEAT_VWC, 0, NULL), SC_SUCCESS);
	if (expect_sf(nvme_get_feat(D1, FEAT_VWC, FEAT_SEL_CURRENT, 0, &res),
		      SC_SUCCESS))
		expect_eq(res & 1, 0);
	expect_sf(nvme_set_feat(D1, FEAT_VWC, 1, NULL), SC_SUCCESS);
	res = ~0u;
	if (expect_sf(nvme_get_feat(D1, FEAT_VWC, FEAT_SEL_CURRENT, 0, &res),
		      SC_SUCCESS))
		expect_eq(res, 1);
}

static void t_feat_aec(void)
{
	/* SMART warnings 4:0 and Namespace Attribute Notices (OAES bit 8) */
	const uint32_t aec = 0x11f;
	uint32_t res = ~0u;

	if (!need_ready(D1))
		return;
	expect_sf(nvme_set_feat(D1, FEAT_ASYNC_EVENT, aec, NULL), SC_SUCCESS);
	if (expect_sf(nvme_get_feat(D1, FEAT_ASYNC_EVENT, FEAT_SEL_CURRENT, 0,
				    &res), SC_SUCCESS))
		expect_eq(res, aec);
	expect_sf(nvme_set_feat(D1, FEAT_ASYNC_EVENT, 0, NULL), SC_SUCCESS);
	res = ~0u;
	if (expect_sf(nvme_get_feat(D1, FEAT_ASYNC_EVENT, FEAT_SEL_CURRENT, 0,
				    &res), SC_SUCCESS))
		expect_eq(res, 0);
}

static void t_feat_arb(void)
{
	/* HPW 10, MPW 20, LPW 30, burst 2^3 */
	const uint32_t arb = 0x0a141e03;
	uint32_t orig = ~0u, res = ~0u;

	if (!need_ready(D1) ||
	    !expect_sf(nvme_get_feat(D1, FEAT_ARBITRATION, FEAT_SEL_CURRENT, 0,
				     &orig), SC_SUCCESS))
		return;
	expect_sf(nvme_set_feat(D1, FEAT_ARBITRATION, arb, NULL), SC_SUCCESS);
	if (expect_sf(nvme_get_feat(D1, FEAT_ARBITRATION, FEAT_SEL_CURRENT, 0,
				    &res), SC_SUCCESS))
		expect_eq(res, arb);
	/* Capabilities: changeable, not saveable, not namespace specific */
	res = ~0u;
	if (expect_sf(nvme_get_feat(D1, FEAT_ARBITRATION, FEAT_SEL_SUPPORTED, 0,
				    &res), SC_SUCCESS))
		expect_eq(res & 7, 4);
	expect_sf(nvme_set_feat(D1, FEAT_ARBITRATION, orig, NULL), SC_SUCCESS);
}

static void t_feat_unknown(void)
{
	if (!need_ready(D1))
		return;
	/* 00h is reserved, 55h unassigned */
	expect_sf(nvme_get_feat(D1, 0x00, FEAT_SEL_CURRENT, 0, NULL),
		  SC_INVALID_FIELD);
	expect_sf(nvme_get_feat(D1, 0x55, FEAT_SEL_CURRENT, 0, NULL),
		  SC_INVALID_FIELD);
	expect_sf(nvme_set_feat(D1, 0x55, 0, NULL), SC_INVALID_FIELD);
}

static void t_feat_sv(void)
{
	uint32_t before = ~0u, after = ~1u;

	if (!need_ready(D1))
		return;
	nvme_get_feat(D1, FEAT_ARBITRATION, FEAT_SEL_CURRENT, 0, &before);
	expect_sf(nvme_set_feat(D1, FEAT_SV | FEAT_ARBITRATION, 0x01010101,
				NULL), SC_FEAT_NOT_SAVEABLE);
	/* A refused Set Features changes nothing */
	if (expect_sf(nvme_get_feat(D1, FEAT_ARBITRATION, FEAT_SEL_CURRENT, 0,
				    &after), SC_SUCCESS))
		expect_eq(after, before);
}

/* --- I/O queue management ------------------------------------------------------ */

/* Largest queue the test memory holds, MQES + 1 entries normally */
static uint32_t max_entries(uint32_t entry_size, uint32_t room)
{
	uint32_t n = C.mqes + 1;

	return n * entry_size > room ? room / entry_size : n;
}

static void t_q_create(void)
{
	uint32_t ncq = max_entries(16, G_IOCQ2 - G_IOCQ1);
	uint32_t nsq = max_entries(64, G_IOSQ2 - G_IOSQ1);

	if (!need_ready(D1))
		return;
	diag("CQ 1 with %u entries, SQ 1 with %u entries", ncq, nsq);
	expect_sf(nvme_create_cq(D1, 1, ncq, giova(G_IOCQ1), 1, true, true),
		  SC_SUCCESS);
	expect_sf(nvme_create_sq(D1, 1, nsq, giova(G_IOSQ1), 1, true),
		  SC_SUCCESS);
}

static void t_q_qid(void)
{
	uint16_t big = D1->qpairs + 1;

	if (!need_ready(D1))
		return;
	expect_sf(nvme_create_cq(D1, 0, 16, giova(G_IOCQ2), 0, false, true),
		  SC_QID_INVALID);
	expect_sf(nvme_create_cq(D1, big, 16, giova(G_IOCQ2), 0, false, true),
		  SC_QID_INVALID);
	expect_sf(nvme_create_cq(D1, 0xffff, 16, giova(G_IOCQ2), 0, false,
				 true), SC_QID_INVALID);
	expect_sf(nvme_create_cq(D1, 1, 16, giova(G_IOCQ2), 0, false, true),
		  SC_QID_INVALID);
	expect_sf(nvme_create_sq(D1, 0, 16, giova(G_IOSQ2), 1, true),
		  SC_QID_INVALID);
	expect_sf(nvme_create_sq(D1, big, 16, giova(G_IOSQ2), 1, true),
		  SC_QID_INVALID);
	expect_sf(nvme_create_sq(D1, 1, 16, giova(G_IOSQ2), 1, true),
		  SC_QID_INVALID);
}

static void t_q_size(void)
{
	if (!need_ready(D1))
		return;
	if (D1->qpairs < 2) {
		tap_test_skip("needs an instance with 2 queue pairs");
		return;
	}
	/* QSIZE is 0's based: MQES + 1 is one entry too many */
	expect_sf(nvme_create_cq(D1, 2, C.mqes + 2, giova(G_IOCQ2), 0, false,
				 true), SC_QSIZE_INVALID);
	expect_sf(nvme_create_cq(D1, 2, 1, giova(G_IOCQ2), 0, false, true),
		  SC_QSIZE_INVALID);
	expect_sf(nvme_create_sq(D1, 2, C.mqes + 2, giova(G_IOSQ2), 1, true),
		  SC_QSIZE_INVALID);
	expect_sf(nvme_create_sq(D1, 2, 1, giova(G_IOSQ2), 1, true),
		  SC_QSIZE_INVALID);
}

static void t_q_vector(void)
{
	if (!need_ready(D1))
		return;
	if (D1->qpairs < 2) {
		tap_test_skip("needs an instance with 2 queue pairs");
		return;
	}
	/* Vectors 0..qpairs exist */
	expect_sf(nvme_create_cq(D1, 2, 16, giova(G_IOCQ2), D1->qpairs + 1,
				 true, true), SC_VECTOR_INVALID);
	expect_sf(nvme_create_cq(D1, 2, 16, giova(G_IOCQ2), 0xffff, true,
				 true), SC_VECTOR_INVALID);
}

static void t_q_cq_invalid(void)
{
	if (!need_ready(D1))
		return;
	if (D1->qpairs < 2) {
		tap_test_skip("needs an instance with 2 queue pairs");
		return;
	}
	expect_sf(nvme_create_sq(D1, 2, 16, giova(G_IOSQ2), 2, true),
		  SC_CQ_INVALID);
	/* The admin CQ cannot take I/O completions */
	expect_sf(nvme_create_sq(D1, 2, 16, giova(G_IOSQ2), 0, true),
		  SC_CQ_INVALID);
	expect_sf(nvme_create_sq(D1, 2, 16, giova(G_IOSQ2), D1->qpairs + 1,
				 true), SC_CQ_INVALID);
}

static void t_q_pc(void)
{
	if (!need_ready(D1))
		return;
	if (D1->qpairs < 2) {
		tap_test_skip("needs an instance with 2 queue pairs");
		return;
	}
	/* CAP.CQR: only physically contiguous queues */
	expect_sf(nvme_create_cq(D1, 2, 16, giova(G_IOCQ2), 0, false, false),
		  SC_INVALID_FIELD);
	expect_sf(nvme_create_sq(D1, 2, 16, giova(G_IOSQ2), 1, false),
		  SC_INVALID_FIELD);
}

static void t_q_del_busy(void)
{
	if (!need_ready(D1))
		return;
	expect_sf(nvme_delete_q(D1, NVME_ADM_DELETE_CQ, 1), SC_QUEUE_DELETION);
}

static void t_q_delete(void)
{
	if (!need_ready(D1))
		return;
	expect_sf(nvme_delete_q(D1, NVME_ADM_DELETE_SQ, 1), SC_SUCCESS);
	expect_sf(nvme_delete_q(D1, NVME_ADM_DELETE_CQ, 1), SC_SUCCESS);
	expect_sf(nvme_delete_q(D1, NVME_ADM_DELETE_SQ, 1), SC_QID_INVALID);
	expect_sf(nvme_delete_q(D1, NVME_ADM_DELETE_CQ, 1), SC_QID_INVALID);
	/* The admin queues are not for deleting */
	expect_sf(nvme_delete_q(D1, NVME_ADM_DELETE_SQ, 0), SC_QID_INVALID);
	expect_sf(nvme_delete_q(D1, NVME_ADM_DELETE_CQ, 0), SC_QID_INVALID);
	/* QID 1 is free again */
	expect_sf(nvme_create_cq(D1, 1, 16, giova(G_IOCQ1), 1, true, true),
		  SC_SUCCESS);
	expect_sf(nvme_delete_q(D1, NVME_ADM_DELETE_CQ, 1), SC_SUCCESS);
}

/* --- Log pages ---------------------------------------------------------------- */

static uint8_t *read_log(uint8_t lid, uint32_t nsid, uint64_t lpo,
			 uint32_t len, uint64_t off, int *sf)
{
	fill(D1, off, 0xa5, (len + G_PAGE - 1) / G_PAGE * G_PAGE);
	*sf = nvme_get_log(D1, lid, nsid, lpo, len, true, giova(off),
			   len + (off & (G_PAGE - 1)) > G_PAGE ?
			   giova(off + G_PAGE) : 0);
	return gptr(D1, off);
}

static void t_log_error(void)
{
	struct nvme_sqe sqe;
	struct nvme_cqe cqe = { 0 };
	const uint8_t *e;
	uint16_t cid1 = 0, cid2 = 0;
	uint64_t count;
	int sf;

	if (!need_ready(D1))
		return;
	expect_sf(bad_opcode(D1, 0x03, &cid1), SC_INVALID_OPCODE);
	e = read_log(LOG_ERROR, 0, 0, G_PAGE, G_DATA, &sf);
	if (!expect_sf(sf, SC_SUCCESS))
		return;
	count = get64(e, 0);
	diag("newest error: count %llu sqid %u cid %u status 0x%04x loc 0x%04x",
	     (unsigned long long)count, get16(e, 8), get16(e, 10),
	     get16(e, 12), get16(e, 14));
	expect(count >= 1);
	expect_eq(get16(e, 8), 0);
	expect_eq(get16(e, 10), cid1);
	/* Status Field as in the completion, above the phase tag bit */
	expect_eq(NVME_SF_CODE(get16(e, 12) >> 1), SC_INVALID_OPCODE);
	/* Parameter Error Location: byte 0 (opcode), bit 0 */
	expect_eq(get16(e, 14), 0);

	/* A second error goes in front, with the next count */
	nvme_sqe_init(&sqe, NVME_ADM_IDENTIFY);
	sqe.prp1 = htole64(giova(G_DATA2));
	sqe.cdw10 = htole32(0x55);
	expect_sf(nvme_admin(D1, &sqe, &cqe), SC_INVALID_FIELD);
	cid2 = cqe.cid;
	e = read_log(LOG_ERROR, 0, 0, G_PAGE, G_DATA, &sf);
	if (!expect_sf(sf, SC_SUCCESS))
		return;
	expect_eq(get64(e, 0), count + 1);
	expect_eq(get16(e, 10), cid2);
	expect_eq(NVME_SF_CODE(get16(e, 12) >> 1), SC_INVALID_FIELD);
	expect_eq(get64(e, LOG_ERROR_ENTRY), count);
	expect_eq(get16(e, LOG_ERROR_ENTRY + 10), cid1);
}

static void t_log_error_window(void)
{
	uint8_t full[G_PAGE];
	const uint8_t *w;
	unsigned int size;
	int sf;

	if (!need_ready(D1) || !expect(C.have_id_ctrl))
		return;
	size = (C.id_ctrl[ID_CTRL_ELPE] + 1) * LOG_ERROR_ENTRY;
	if (size > G_PAGE)
		size = G_PAGE;
	w = read_log(LOG_ERROR, 0, 0, size, G_DATA, &sf);
	if (!expect_sf(sf, SC_SUCCESS))
		return;
	memcpy(full, w, size);
	w = read_log(LOG_ERROR, 0, 64, 128, G_DATA, &sf);
	if (expect_sf(sf, SC_SUCCESS)) {
		expect(!memcmp(w, full + 64, 128));
		expect(all_bytes(w + 128, 0xa5, 64));
	}
	w = read_log(LOG_ERROR, 0, 4, 8, G_DATA, &sf);
	if (expect_sf(sf, SC_SUCCESS)) {
		expect(!memcmp(w, full + 4, 8));
		expect(all_bytes(w + 8, 0xa5, 8));
	}
}

static void t_log_smart(void)
{
	uint8_t full[512];
	const uint8_t *s, *e;
	uint64_t errors;
	unsigned int temp;
	int sf;

	if (!need_ready(D1) || !expect(C.have_id_ctrl))
		return;
	e = read_log(LOG_ERROR, 0, 0, 64, G_DATA2, &sf);
	if (!expect_sf(sf, SC_SUCCESS))
		return;
	errors = get64(e, 0);
	s = read_log(LOG_SMART, 0xffffffff, 0, 512, G_DATA, &sf);
	if (!expect_sf(sf, SC_SUCCESS))
		return;
	memcpy(full, s, sizeof(full));
	temp = get16(s, 1);
	diag("SMART: warning 0x%x temperature %u K spare %u%% (threshold %u%%)",
	     s[0], temp, s[3], s[4]);
	diag("SMART: power cycles %llu, error log entries %llu",
	     (unsigned long long)get64(s, 112),
	     (unsigned long long)get64(s, 176));
	expect_eq(s[0], 0);
	expectf(temp > 273 && temp < 373, "temperature %u K", temp);
	expect(s[3] <= 100 && s[4] <= 100);
	expect(get64(s, 112) >= 1);
	expect_eq(get64(s, 176), errors);
	/* The upper halves of the 128-bit counters */
	expect_eq(get64(s, 120), 0);
	expect_eq(get64(s, 184), 0);

	s = read_log(LOG_SMART, 0xffffffff, 176, 16, G_DATA, &sf);
	if (expect_sf(sf, SC_SUCCESS))
		expect(!memcmp(s, full + 176, 16));
	/* Per namespace (LPA bit 0): namespace 1 yes, 2 does not exist */
	if (C.id_ctrl[ID_CTRL_LPA] & 1) {
		read_log(LOG_SMART, 1, 0, 512, G_DATA, &sf);
		expect_sf(sf, SC_SUCCESS);
		read_log(LOG_SMART, 2, 0, 512, G_DATA, &sf);
		expect_sf(sf, SC_INVALID_NS);
	}
}

static void t_log_fw(void)
{
	const uint8_t *f;
	unsigned int slots, active;
	int sf;

	if (!need_ready(D1) || !expect(C.have_id_ctrl))
		return;
	slots = (C.id_ctrl[ID_CTRL_FRMW] >> 1) & 7;
	f = read_log(LOG_FW_SLOT, 0, 0, 512, G_DATA, &sf);
	if (!expect_sf(sf, SC_SUCCESS))
		return;
	active = f[0] & 7;
	diag("%u firmware slots, slot %u active", slots, active);
	expect(slots >= 1);
	if (!expectf(active >= 1 && active <= slots, "active slot %u", active))
		return;
	expect(!memcmp(f + 8 * active, C.id_ctrl + ID_CTRL_FR, 8));
	f = read_log(LOG_FW_SLOT, 0, 8 * active, 8, G_DATA, &sf);
	if (expect_sf(sf, SC_SUCCESS))
		expect(!memcmp(f, C.id_ctrl + ID_CTRL_FR, 8));
}

static void t_log_effects(void)
{
	static const uint8_t admin_ops[] = {
		NVME_ADM_DELETE_SQ, NVME_ADM_CREATE_SQ, NVME_ADM_GET_LOG,
		NVME_ADM_DELETE_CQ, NVME_ADM_CREATE_CQ, NVME_ADM_IDENTIFY,
		NVME_ADM_ABORT, NVME_ADM_SET_FEAT, NVME_ADM_GET_FEAT,
		NVME_ADM_AER,
	};
	uint8_t full[G_PAGE];
	const uint8_t *l;
	unsigned int i;
	int sf;

	if (!need_ready(D1))
		return;
	l = read_log(LOG_CMD_EFFECTS, 0, 0, G_PAGE, G_DATA, &sf);
	if (!expect_sf(sf, SC_SUCCESS))
		return;
	memcpy(full, l, sizeof(full));
	for (i = 0; i < ARRAY_SIZE(admin_ops); i++)
		expectf(get32(l, 4 * admin_ops[i]) & 1,
			"admin opcode 0x%02x not supported", admin_ops[i]);
	/* Opcodes the instance refuses must not be listed */
	expect_eq(get32(l, 4 * 0x03), 0);
	expect_eq(get32(l, 4 * 0xff), 0);
	/* I/O: read; write changes the LBA content (LBCC) */
	expect_eq(get32(l, 1024 + 4 * NVME_CMD_READ) & 1, 1);
	expect_eq(get32(l, 1024 + 4 * NVME_CMD_WRITE) & 3, 3);
	expect_eq(get32(l, 1024 + 4 * NVME_CMD_FLUSH) & 1, 1);

	l = read_log(LOG_CMD_EFFECTS, 0, 1024, 1024, G_DATA, &sf);
	if (expect_sf(sf, SC_SUCCESS))
		expect(!memcmp(l, full + 1024, 1024));
	l = read_log(LOG_CMD_EFFECTS, 0, 4 * NVME_ADM_IDENTIFY, 4, G_DATA,
		     &sf);
	if (expect_sf(sf, SC_SUCCESS))
		expect(!memcmp(l, full + 4 * NVME_ADM_IDENTIFY, 4) &&
		       all_bytes(l + 4, 0xa5, 4));
}

static void t_log_limits(void)
{
	const uint8_t *s;
	int sf;

	if (!need_ready(D1))
		return;
	/* Past the end of the 512-byte SMART log: zeroes */
	s = read_log(LOG_SMART, 0xffffffff, 0, 1024, G_DATA, &sf);
	if (expect_sf(sf, SC_SUCCESS))
		expect(all_bytes(s + 512, 0, 512));
	read_log(LOG_FW_SLOT, 0, 516, 4, G_DATA, &sf);
	expect_sf(sf, SC_INVALID_FIELD);
	/* LPO must be dword aligned */
	read_log(LOG_SMART, 0xffffffff, 2, 4, G_DATA, &sf);
	expect_sf(sf, SC_INVALID_FIELD);
	/* Reserved log identifier: 1.4 says Invalid Field, 2.0 Invalid Log */
	read_log(0x20, 0, 0, 512, G_DATA, &sf);
	expectf(sf >= 0 && (NVME_SF_CODE(sf) == SC_INVALID_FIELD ||
			    NVME_SF_CODE(sf) == SC_LOG_PAGE_INVALID),
		"log page 20h: status 0x%x", sf);
}

static void t_log_prp_list(void)
{
	uint8_t ref[G_PAGE];
	const uint8_t *big = gptr(D1, G_BIG);
	uint8_t *list = gptr(D1, G_LIST);
	uint32_t len, pages, i;
	unsigned int mdts;
	const uint8_t *e;
	int sf;

	if (!need_ready(D1) || !expect(C.have_id_ctrl))
		return;
	mdts = C.id_ctrl[ID_CTRL_MDTS];
	len = mdts && mdts <= 8 ? G_PAGE << mdts : 1u << 20;
	pages = len / G_PAGE;
	diag("%u KiB Error log read through a PRP list of %u entries",
	     len / 1024, pages - 1);
	e = read_log(LOG_ERROR, 0, 0, G_PAGE, G_DATA, &sf);
	if (!expect_sf(sf, SC_SUCCESS))
		return;
	memcpy(ref, e, sizeof(ref));

	memset(list, 0, G_PAGE);
	for (i = 1; i < pages; i++)
		put64(list + 8 * (i - 1), giova(G_BIG + (uint64_t)i * G_PAGE));
	fill(D1, G_BIG, 0xa5, len);
	sf = nvme_get_log(D1, LOG_ERROR, 0, 0, len, true, giova(G_BIG),
			  giova(G_LIST));
	if (expect_sf(sf, SC_SUCCESS)) {
		expect(!memcmp(big, ref, G_PAGE));
		expect(all_bytes(big + G_PAGE, 0, len - G_PAGE));
	}
	/* One dword beyond MDTS */
	if (mdts) {
		sf = nvme_get_log(D1, LOG_ERROR, 0, 0, len + 4, true,
				  giova(G_BIG), giova(G_LIST));
		expect_sf(sf, SC_INVALID_FIELD);
	}
}

/* --- Asynchronous events ------------------------------------------------------ */

static uint16_t submit_aer(struct nvme_dev *d)
{
	struct nvme_sqe sqe;

	nvme_sqe_init(&sqe, NVME_ADM_AER);
	return nvme_submit(d, &sqe);
}

static bool held_aer_remove(uint16_t cid)
{
	unsigned int i;

	for (i = 0; i < C.nr_held_aer; i++) {
		if (C.held_aer[i] != cid)
			continue;
		memmove(&C.held_aer[i], &C.held_aer[i + 1],
			(C.nr_held_aer - i - 1) * sizeof(C.held_aer[0]));
		C.nr_held_aer--;
		return true;
	}
	return false;
}

/*
 * Submit AERL + 1 AERs, which the controller must hold, and one more, which
 * it must fail at once.  A command after them completes next: none of the
 * held ones completed meanwhile.
 */
static void fill_aers(struct nvme_dev *d)
{
	unsigned int i, n = C.id_ctrl[ID_CTRL_AERL] + 1;
	struct nvme_cqe cqe;
	uint16_t extra;

	C.nr_held_aer = 0;
	for (i = 0; i < n; i++)
		C.held_aer[C.nr_held_aer++] = submit_aer(d);
	extra = submit_aer(d);
	if (expectf(nvme_reap(d, &cqe, 2000), "no completion for AER %u",
		    n + 1)) {
		expect_eq(cqe.cid, extra);
		expect_sf(cqe.status >> 1, SC_AER_LIMIT);
	}
	expect_sf(nvme_get_feat(d, FEAT_ARBITRATION, FEAT_SEL_CURRENT, 0, NULL),
		  SC_SUCCESS);
}

static void t_aer_limit(void)
{
	if (!need_ready(D1) || !expect(C.have_id_ctrl))
		return;
	diag("AERL %u: %u AERs accepted", C.id_ctrl[ID_CTRL_AERL],
	     C.id_ctrl[ID_CTRL_AERL] + 1);
	fill_aers(D1);
}

static void t_aer_event(void)
{
	struct nvme_cqe cqe;
	const uint8_t *e;
	int sf;

	if (!need_ready(D1) || !expect(C.nr_held_aer))
		return;
	/* An SQ tail beyond the queue is an Invalid Doorbell Write Value */
	bar_wr32(D1, NVME_REG_DB, AQ_DEPTH + 3);
	if (!expect(nvme_reap(D1, &cqe, 2000)))
		return;
	diag("AER completion: cid %u status 0x%x result 0x%08x", cqe.cid,
	     cqe.status >> 1, cqe.result);
	expectf(held_aer_remove(cqe.cid), "cid %u is not a held AER",
		cqe.cid);
	expect_sf(cqe.status >> 1, SC_SUCCESS);
	/* Type Error (0), Invalid Doorbell Write Value (1), Error log (1) */
	expect_eq(cqe.result & 0x7, 0);
	expect_eq((cqe.result >> 8) & 0xff, 0x01);
	expect_eq((cqe.result >> 16) & 0xff, LOG_ERROR);
	/* The bad write did not move the tail: commands still work */
	expect_sf(nvme_get_feat(D1, FEAT_ARBITRATION, FEAT_SEL_CURRENT, 0, NULL),
		  SC_SUCCESS);
	/* Reading the log with RAE cleared re-arms error events */
	fill(D1, G_DATA, 0xa5, G_PAGE);
	sf = nvme_get_log(D1, LOG_ERROR, 0, 0, 64, false, giova(G_DATA), 0);
	if (expect_sf(sf, SC_SUCCESS)) {
		e = gptr(D1, G_DATA);
		expect_eq(get16(e, 8), 0);
		expect_eq(get16(e, 10), 0xffff);
	}
}

static void t_aer_abort(void)
{
	struct nvme_cqe cqe[2];
	struct nvme_sqe sqe;
	uint16_t aer, cid;
	unsigned int i;

	if (!need_ready(D1) || !expect(C.nr_held_aer))
		return;
	aer = C.held_aer[C.nr_held_aer - 1];
	nvme_sqe_init(&sqe, NVME_ADM_ABORT);
	sqe.cdw10 = htole32((uint32_t)aer << 16);	/* SQID 0 */
	cid = nvme_submit(D1, &sqe);
	for (i = 0; i < 2; i++)
		if (!expectf(nvme_reap(D1, &cqe[i], 2000), "completion %u", i))
			return;
	/* The aborted AER and the Abort itself, in either order */
	if (cqe[0].cid == cid) {
		struct nvme_cqe t = cqe[0];

		cqe[0] = cqe[1];
		cqe[1] = t;
	}
	expect_eq(cqe[0].cid, aer);
	expect_sf(cqe[0].status >> 1, SC_ABORT_REQUESTED);
	expect_eq(cqe[1].cid, cid);
	expect_sf(cqe[1].status >> 1, SC_SUCCESS);
	/* Dword 0 bit 0 clear: the command was aborted */
	expect_eq(cqe[1].result & 1, 0);
	held_aer_remove(aer);
}

/* --- Resets --------------------------------------------------------------------- */

static void t_cc_reset(void)
{
	uint32_t arb_def = ~0u, arb = ~0u, csts, aqa;
	uint64_t asq, acq;

	if (!need_ready(D1) || !expect(C.have_id_ctrl))
		return;
	expect_sf(nvme_create_cq(D1, 1, 16, giova(G_IOCQ1), 1, true, true),
		  SC_SUCCESS);
	expect_sf(nvme_create_sq(D1, 1, 16, giova(G_IOSQ1), 1, true),
		  SC_SUCCESS);
	expect_sf(nvme_get_feat(D1, FEAT_ARBITRATION, FEAT_SEL_DEFAULT, 0,
				&arb_def), SC_SUCCESS);
	expect_sf(nvme_set_feat(D1, FEAT_ARBITRATION, arb_def ^ 0x7, NULL),
		  SC_SUCCESS);
	diag("%u AERs held across the reset", C.nr_held_aer);
	aqa = bar_rd32(D1, NVME_REG_AQA);
	asq = bar_rd64(D1, NVME_REG_ASQ);
	acq = bar_rd64(D1, NVME_REG_ACQ);

	csts = nvme_disable(D1);
	expect_eq(csts, 0);
	/* Held AERs end without a completion */
	expect_eq(nvme_cq_status(D1, D1->cq_head) & 1, D1->phase ^ 1);
	/* The admin queue registers are kept (section 7.3.2) */
	expect_eq(bar_rd32(D1, NVME_REG_AQA), aqa);
	expect_eq(bar_rd64(D1, NVME_REG_ASQ), asq);
	expect_eq(bar_rd64(D1, NVME_REG_ACQ), acq);

	csts = nvme_enable(D1);
	if (!expect_eq(csts, NVME_CSTS_RDY))
		return;
	expect_sf(nvme_delete_q(D1, NVME_ADM_DELETE_SQ, 1), SC_QID_INVALID);
	expect_sf(nvme_delete_q(D1, NVME_ADM_DELETE_CQ, 1), SC_QID_INVALID);
	if (expect_sf(nvme_get_feat(D1, FEAT_ARBITRATION, FEAT_SEL_CURRENT, 0,
				    &arb), SC_SUCCESS))
		expect_eq(arb, arb_def);
	/* The AER count starts from zero again */
	fill_aers(D1);
	if (expect_sf(identify_ctrl(D1, G_DATA), SC_SUCCESS))
		expect(!memcmp(gptr(D1, G_DATA), C.id_ctrl, G_PAGE));
}

static void t_shutdown(void)
{
	uint32_t csts, cc;

	if (!need_ready(D1))
		return;
	cc = bar_rd32(D1, NVME_REG_CC);
	bar_wr32(D1, NVME_REG_CC, cc | NVME_CC_SHN_NORMAL);
	csts = nvme_wait_csts(D1, NVME_CSTS_SHST_MASK, NVME_CSTS_SHST_DONE,
			      5000);
	expect_eq(csts & (NVME_CSTS_SHST_MASK | NVME_CSTS_CFS),
		  NVME_CSTS_SHST_DONE);
	expect_eq(bar_rd32(D1, NVME_REG_CC) & NVME_CC_SHN_MASK,
		  NVME_CC_SHN_NORMAL);
	/* Reset after shutdown: everything clears, the controller restarts */
	csts = nvme_disable(D1);
	expect_eq(csts, 0);
	csts = nvme_enable(D1);
	expect_eq(csts, NVME_CSTS_RDY);
	expect_sf(identify_ctrl(D1, G_DATA), SC_SUCCESS);
	C.nr_held_aer = 0;
}

static void t_flr(void)
{
	uint32_t devctl;

	if (!need_ready(D1) || !expect(D1->cap_exp))
		return;
	expect_sf(nvme_create_cq(D1, 1, 16, giova(G_IOCQ1), 1, true, true),
		  SC_SUCCESS);
	devctl = cfg_rd(D1, D1->cap_exp + PCI_EXP_DEVCTL, 2);
	cfg_wr(D1, D1->cap_exp + PCI_EXP_DEVCTL,
	       devctl | PCI_EXP_DEVCTL_BCR_FLR, 2);
	/* PCIe allows 100 ms for an FLR */
	usleep(100 * 1000);
	check_power_on_state(D1);
	expect_eq(nvme_enable(D1), NVME_CSTS_RDY);
	/* The CQ did not survive */
	expect_sf(nvme_delete_q(D1, NVME_ADM_DELETE_CQ, 1), SC_QID_INVALID);
	expect_sf(identify_ctrl(D1, G_DATA), SC_SUCCESS);
	C.nr_held_aer = 0;
}

static void t_vfio_reset(void)
{
	uint32_t arb_def = ~0u, arb = ~1u;
	int ret;

	if (!need_ready(D1))
		return;
	expect_sf(nvme_create_cq(D1, 1, 16, giova(G_IOCQ1), 1, true, true),
		  SC_SUCCESS);
	expect_sf(nvme_get_feat(D1, FEAT_ARBITRATION, FEAT_SEL_DEFAULT, 0,
				&arb_def), SC_SUCCESS);
	expect_sf(nvme_set_feat(D1, FEAT_ARBITRATION, arb_def ^ 0x7, NULL),
		  SC_SUCCESS);
	cfg_wr(D1, PCI_BASE_ADDRESS_0, 0xfebf0000, 4);
	ret = vfio_user_reset(&D1->vu);
	if (!expectf(!ret, "VFIO_DEVICE_RESET: %s", strerror(-ret)))
		return;
	check_power_on_state(D1);
	if (!expect_eq(nvme_enable(D1), NVME_CSTS_RDY))
		return;
	expect_sf(nvme_delete_q(D1, NVME_ADM_DELETE_CQ, 1), SC_QID_INVALID);
	if (expect_sf(nvme_get_feat(D1, FEAT_ARBITRATION, FEAT_SEL_CURRENT, 0,
				    &arb), SC_SUCCESS))
		expect_eq(arb, arb_def);
	nvme_drain_eventfds(D1);
	if (expect_sf(identify_ctrl(D1, G_DATA), SC_SUCCESS))
		expect(!memcmp(gptr(D1, G_DATA), C.id_ctrl, G_PAGE));
	C.nr_held_aer = 0;
}

static void t_reopen(void)
{
	int ret;

	if (!expect(C.have_ns_desc && C.have_id_ctrl))
		return;
	nvme_disable(D1);
	nvme_dev_close(D1);
	ret = nvme_dev_open(D1, C.uuid1);
	if (!expectf(!ret, "reopen: %s", strerror(-ret)))
		return;
	/* Each open starts from power-on */
	check_power_on_state(D1);
	if (!expect_eq(nvme_enable(D1), NVME_CSTS_RDY))
		return;
	fill(D1, G_DATA, 0xa5, G_PAGE);
	if (expect_sf(nvme_identify(D1, NVME_CNS_NS_DESC, 1, giova(G_DATA), 0),
		      SC_SUCCESS))
		expectf(!memcmp(gptr(D1, G_DATA), C.ns_desc, G_PAGE),
			"namespace descriptors changed across opens");
	if (expect_sf(identify_ctrl(D1, G_DATA), SC_SUCCESS))
		expectf(!memcmp(gptr(D1, G_DATA + ID_CTRL_SN),
				C.id_ctrl + ID_CTRL_SN, 20),
			"serial changed across opens");
}

/* --- Fatal errors ------------------------------------------------------------- */

static void t_cfs_cq(void)
{
	uint32_t csts;

	if (!expect(D1->opened))
		return;
	nvme_disable(D1);
	csts = nvme_enable_at(D1, giova(G_ASQ), GMEM_HOLE, NVME_CC_DEFAULT);
	if (!expect_eq(csts, NVME_CSTS_RDY))
		return;
	/* Completion queue unreachable: nothing to report to, fatal */
	diag("this Identify must not complete:");
	expect_eq(nvme_identify(D1, NVME_CNS_CTRL, 0, giova(G_DATA), 0), -1);
	csts = nvme_wait_csts(D1, NVME_CSTS_CFS, NVME_CSTS_CFS, 2000);
	expect(csts & NVME_CSTS_CFS);
	/* A controller reset clears it */
	expect_eq(nvme_disable(D1), 0);
	expect_eq(nvme_enable(D1), NVME_CSTS_RDY);
	expect_sf(identify_ctrl(D1, G_DATA), SC_SUCCESS);
}

static void t_cfs_sq(void)
{
	uint32_t csts;

	if (!expect(D1->opened))
		return;
	nvme_disable(D1);
	csts = nvme_enable_at(D1, GMEM_HOLE, giova(G_ACQ), NVME_CC_DEFAULT);
	if (!expect_eq(csts, NVME_CSTS_RDY))
		return;
	/* One command "submitted" into memory that was never mapped */
	bar_wr32(D1, NVME_REG_DB, 1);
	csts = nvme_wait_csts(D1, NVME_CSTS_CFS, NVME_CSTS_CFS, 2000);
	diag("CSTS 0x%x", csts);
	expect(csts & NVME_CSTS_CFS);
	expect_eq(nvme_cq_status(D1, 0), 0);
	/* More doorbells on a failed controller are ignored */
	bar_wr32(D1, NVME_REG_DB, 2);
	bar_wr32(D1, NVME_REG_DB + 4, 0);
	expect(bar_rd32(D1, NVME_REG_CSTS) & NVME_CSTS_CFS);
	expect_eq(bar_rd32(D1, NVME_REG_VS), 0x00010400);
	expect_eq(cfg_rd(D1, PCI_VENDOR_ID, 2), EXP_VENDOR);
}

static void t_second_instance(void)
{
	struct nvme_dev *d2 = &C.d2;
	const uint8_t *id, *v;
	char sn[20];
	int ret;

	if (!C.uuid2) {
		tap_test_skip("no second instance given");
		return;
	}
	ret = nvme_dev_open(d2, C.uuid2);
	if (!expectf(!ret, "open %s: %s", C.uuid2, strerror(-ret)))
		return;
	id = gptr(d2, G_DATA);
	/* The first instance is still failed while this one works */
	expect(bar_rd32(D1, NVME_REG_CSTS) & NVME_CSTS_CFS);
	if (!expect_eq(nvme_enable(d2), NVME_CSTS_RDY))
		goto out;
	if (expect_sf(identify_ctrl(d2, G_DATA), SC_SUCCESS)) {
		expected_serial(d2->uuid_bin, sn);
		expectf(!memcmp(id + ID_CTRL_SN, sn, 20), "SN '%.20s' not '%.20s'",
			(const char *)id + ID_CTRL_SN, sn);
		expect(memcmp(id + ID_CTRL_SN, C.id_ctrl + ID_CTRL_SN, 20));
		expect_eq(get32(id, ID_CTRL_NN), 1);
	}
	fill(d2, G_DATA, 0xa5, G_PAGE);
	if (expect_sf(nvme_identify(d2, NVME_CNS_NS, 1, giova(G_DATA), 0),
		      SC_SUCCESS)) {
		diag("second instance: %u queue pairs, NSZE %llu, sysfs lba_count %llu",
		     d2->qpairs, (unsigned long long)get64(id, ID_NS_NSZE),
		     (unsigned long long)d2->lba_count);
		expect_eq(get64(id, ID_NS_NSZE), d2->lba_count);
	}
	fill(d2, G_DATA, 0xa5, G_PAGE);
	if (expect_sf(nvme_identify(d2, NVME_CNS_NS_DESC, 1, giova(G_DATA), 0),
		      SC_SUCCESS) &&
	    expect_eq(find_desc(id, NIDT_UUID, &v), 16))
		expect(!memcmp(v, d2->uuid_bin, 16));
	expect_sf(nvme_set_feat(d2, FEAT_NUM_QUEUES, 0x003f003f, NULL),
		  SC_SUCCESS);
	expect_eq(nvme_disable(d2), 0);
out:
	nvme_dev_close(d2);
}

static void t_cfs_recover(void)
{
	if (!expect(D1->opened))
		return;
	expect_eq(nvme_disable(D1), 0);
	if (!expect_eq(nvme_enable(D1), NVME_CSTS_RDY))
		return;
	if (expect_sf(identify_ctrl(D1, G_DATA), SC_SUCCESS))
		expect(!memcmp(gptr(D1, G_DATA), C.id_ctrl, G_PAGE));
}

/* --- Interrupt teardown and close --------------------------------------------- */

static void t_irq_disable(void)
{
	int ret;

	if (!need_ready(D1))
		return;
	ret = nvme_connect_eventfds(D1);
	if (!expectf(!ret, "VFIO_DEVICE_SET_IRQS: %s", strerror(-ret)))
		return;
	nvme_drain_eventfds(D1);
	expect_sf(identify_ctrl(D1, G_DATA), SC_SUCCESS);
	expect_eq(nvme_efd_count(D1->efd[0]), 1);
	ret = vfio_user_disable_irqs(&D1->vu, VFIO_PCI_MSIX_IRQ_INDEX);
	expectf(!ret, "SET_IRQS DATA_NONE: %s", strerror(-ret));
	expect_sf(identify_ctrl(D1, G_DATA), SC_SUCCESS);
	expect_eq(nvme_efd_count(D1->efd[0]), 0);
}

static void t_close(void)
{
	char path[256];
	FILE *f;
	int open_attr = -1;

	nvme_dev_close(D1);
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/open",
		 C.uuid1);
	f = fopen(path, "r");
	if (expectf(f, "%s: %s", path, strerror(errno))) {
		if (fscanf(f, "%d", &open_attr) != 1)
			open_attr = -1;
		fclose(f);
	}
	expect_eq(open_attr, 0);
}

/* --- main ------------------------------------------------------------------------ */

static const struct {
	void (*fn)(void);
	const char *name;
} tests[] = {
	{ t_device_info,
	  "VFIO device info: PCI, resettable, config 4 KiB, BAR0 16 KiB, no other BARs" },
	{ t_irq_info,
	  "VFIO IRQ info: MSI-X vectors = queue pairs + 1, no INTx or MSI, one request IRQ" },
	{ t_open_state,
	  "open instance starts in power-on state" },
	{ t_req_irq,
	  "VFIO_DEVICE_SET_IRQS: request IRQ eventfd, invalid ranges refused" },
	{ t_cfg_ids,
	  "config: vendor, device and subsystem IDs" },
	{ t_cfg_class,
	  "config: class 010802, header type 0, capability list" },
	{ t_cfg_bar0,
	  "config: BAR0 64-bit memory, sizing with all-ones, restore" },
	{ t_cfg_other_bars,
	  "config: BARs 2-5 and expansion ROM unimplemented" },
	{ t_cfg_command,
	  "config: command register memory and bus master bits" },
	{ t_cfg_caps,
	  "config: capability list walk finds PM, MSI-X and PCIe" },
	{ t_cfg_msix,
	  "config: MSI-X table size = queue pairs + 1, table and PBA in BAR0" },
	{ t_cfg_pcie,
	  "config: PCIe endpoint with FLR in DevCap" },
	{ t_cfg_readonly,
	  "config: read-only fields unchanged when written" },
	{ t_cfg_odd,
	  "config: 1, 2, 3 and 4 byte accesses at odd offsets" },
	{ t_cfg_beyond,
	  "config: accesses at and beyond 4096 fail cleanly" },
	{ t_bar_cap,
	  "BAR0: CAP MQES, CQR, DSTRD 0, TO, CSS NVM, 4 KiB pages" },
	{ t_bar_vs,
	  "BAR0: VS 1.4" },
	{ t_bar_enable,
	  "BAR0: AQA/ASQ/ACQ, CC.EN=1 sets CSTS.RDY" },
	{ t_msix_fire,
	  "MSI-X: eventfds via VFIO_DEVICE_SET_IRQS, vector 0 fires on an admin completion" },
	{ t_msix_pending,
	  "MSI-X and bus mastering: commands wait while bus master is off; vector 0 pending while its eventfd is away, not for the capability" },
	{ t_id_ctrl,
	  "Identify CNS 1: IDs, serial, model, MDTS, NN, SQES/CQES, subsystem NQN" },
	{ t_id_ns,
	  "Identify CNS 0: NSZE/NCAP/NUSE = lba_count, 512-byte LBA format" },
	{ t_id_active,
	  "Identify CNS 2: active namespace list is {1}" },
	{ t_id_desc,
	  "Identify CNS 3: UUID, NGUID and EUI-64 descriptors" },
	{ t_id_bad_cns,
	  "Identify with a bad CNS: Invalid Field" },
	{ t_id_bad_nsid,
	  "Identify with a bad NSID: Invalid Namespace or Format" },
	{ t_id_prp2,
	  "Identify through PRP1 with offset and PRP2" },
	{ t_id_unmapped,
	  "Identify into unmapped IOVA: Data Transfer Error, instance still works" },
	{ t_bad_opcode,
	  "unknown admin opcodes: Invalid Command Opcode" },
	{ t_feat_nq,
	  "Features: Number of Queues = queue pairs - 1 in both halves" },
	{ t_feat_vwc,
	  "Features: Volatile Write Cache" },
	{ t_feat_aec,
	  "Features: Asynchronous Event Configuration" },
	{ t_feat_arb,
	  "Features: Arbitration and its capabilities" },
	{ t_feat_unknown,
	  "Features: unknown FID: Invalid Field" },
	{ t_feat_sv,
	  "Features: SV=1: Feature Identifier Not Saveable" },
	{ t_q_create,
	  "Create I/O CQ and SQ of MQES + 1 entries" },
	{ t_q_qid,
	  "Create I/O CQ/SQ with QID 0, too large or in use: Invalid Queue Identifier" },
	{ t_q_size,
	  "Create I/O CQ/SQ above MQES or of one entry: Invalid Queue Size" },
	{ t_q_vector,
	  "Create I/O CQ with a bad vector: Invalid Interrupt Vector" },
	{ t_q_cq_invalid,
	  "Create I/O SQ on a missing CQ: Completion Queue Invalid" },
	{ t_q_pc,
	  "Create I/O CQ/SQ with PC=0: Invalid Field" },
	{ t_q_del_busy,
	  "Delete I/O CQ with an SQ on it: Invalid Queue Deletion" },
	{ t_q_delete,
	  "Delete I/O SQ and CQ; again: Invalid Queue Identifier" },
	{ t_log_error,
	  "Get Log Page Error Information: newest failure first" },
	{ t_log_error_window,
	  "Get Log Page Error Information with offset and length" },
	{ t_log_smart,
	  "Get Log Page SMART / Health Information" },
	{ t_log_fw,
	  "Get Log Page Firmware Slot Information" },
	{ t_log_effects,
	  "Get Log Page Commands Supported and Effects" },
	{ t_log_limits,
	  "Get Log Page beyond the log, misaligned, reserved LID" },
	{ t_log_prp_list,
	  "Get Log Page of MDTS size through a PRP list" },
	{ t_aer_limit,
	  "AER: AERL + 1 held, the next gets Asynchronous Event Request Limit Exceeded" },
	{ t_aer_event,
	  "AER: invalid doorbell write completes an AER with an error event" },
	{ t_aer_abort,
	  "Abort of a held AER" },
	{ t_cc_reset,
	  "CC.EN=0: CSTS.RDY clears, queues, features and AERs reset; re-enable works" },
	{ t_shutdown,
	  "CC.SHN normal: CSTS.SHST complete; reset and re-enable" },
	{ t_flr,
	  "Initiate FLR in PCIe Device Control: power-on state" },
	{ t_vfio_reset,
	  "VFIO_DEVICE_RESET: power-on state, controller comes back" },
	{ t_reopen,
	  "close and reopen: power-on state, same namespace descriptors and serial" },
	{ t_cfs_cq,
	  "admin CQ in unmapped IOVA: CSTS.CFS, cleared by reset" },
	{ t_cfs_sq,
	  "admin SQ in unmapped IOVA: CSTS.CFS" },
	{ t_second_instance,
	  "second instance on the same controller answers Identify" },
	{ t_cfs_recover,
	  "failed instance recovers through CC.EN 0 -> 1" },
	{ t_irq_disable,
	  "VFIO_DEVICE_SET_IRQS DATA_NONE disconnects the MSI-X eventfds" },
	{ t_close,
	  "close releases the instance (sysfs open = 0)" },
};

int main(int argc, char **argv)
{
	unsigned int i;
	int ret;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s UUID [UUID2]\n", argv[0]);
		return 2;
	}
	C.uuid1 = argv[1];
	C.uuid2 = argc > 2 ? argv[2] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);

	tap_plan(ARRAY_SIZE(tests));
	ret = nvme_dev_open(D1, C.uuid1);
	if (ret)
		tap_bail("cannot open %s: %s", C.uuid1, strerror(-ret));
	diag("instance %s: %u queue pairs, %llu LBAs", C.uuid1, D1->qpairs,
	     (unsigned long long)D1->lba_count);

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		tap_test_begin();
		if (D1->opened || tests[i].fn == t_close)
			tests[i].fn();
		else
			expectf(false, "instance is not open");
		tap_test_end("%s", tests[i].name);
	}
	nvme_dev_close(D1);
	nvme_dev_close(&C.d2);
	diag("%zu tests, %u failed", ARRAY_SIZE(tests), tap_failures());
	return tap_done();
}
