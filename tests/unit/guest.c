// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest driver model for the unit tests, see guest.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "guest.h"

void guest_default_params(struct vnvme_params *p)
{
	static const u8 uuid[16] = {
		0x5a, 0x1c, 0xe0, 0x42, 0x7b, 0x11, 0x4c, 0x3e,
		0x9d, 0x20, 0x61, 0x0f, 0x8a, 0xb3, 0x2e, 0x77,
	};

	memset(p, 0, sizeof(*p));
	p->serial = "VNVME0001";
	p->model = "mdev_nvme virtual controller";
	p->firmware = "1.0";
	p->nr_ioq = 4;
	p->nsze = 1ULL << 21;
	p->lba_shift = 9;
	p->dlfeat = 0x19;	/* reads zeroes, DEAC, guard CRC (dropped) */
	p->mdts = 5;
	p->vwc = true;
	p->dbbuf = true;
	p->oncs = VNVME_ONCS_DSM | VNVME_ONCS_WRITE_ZEROES;
	memcpy(p->uuid, uuid, sizeof(uuid));
}

int guest_init(struct guest *g, const struct vnvme_params *p)
{
	return guest_init_ops(g, p, &fake_ops);
}

int guest_init_ops(struct guest *g, const struct vnvme_params *p,
		   const struct vnvme_env_ops *ops)
{
	int ret;

	memset(g, 0, sizeof(*g));
	if (p)
		g->p = *p;
	else
		guest_default_params(&g->p);
	ret = fake_env_init(&g->env, G_MEM_SIZE, g->p.nr_ioq + 1);
	if (ret)
		return ret;
	fake_env_add_hole(&g->env, G_HOLE, G_HOLE_LEN);
	g->c = calloc(1, sizeof(*g->c));
	if (!g->c)
		return -ENOMEM;
	ret = vnvme_init(g->c, &g->p, ops, &g->env);
	if (ret) {
		free(g->c);
		g->c = NULL;
		fake_env_fini(&g->env);
	}
	return ret;
}

void guest_fini(struct guest *g)
{
	free(g->c);
	fake_env_fini(&g->env);
}

static void die(const char *what)
{
	fprintf(stderr, "guest: %s\n", what);
	abort();
}

u32 cfg_rd(struct guest *g, u32 off, u32 len)
{
	u8 b[8] = { 0 };
	u32 v = 0, i;

	if (vnvme_cfg_read(g->c, off, b, len))
		die("config read refused");
	for (i = 0; i < len && i < 4; i++)
		v |= (u32)b[i] << (8 * i);
	return v;
}

void cfg_wr(struct guest *g, u32 off, u32 val, u32 len)
{
	u8 b[4];
	u32 i;

	for (i = 0; i < 4; i++)
		b[i] = val >> (8 * i);
	if (vnvme_cfg_write(g->c, off, b, len))
		die("config write refused");
}

u32 bar_rd32(struct guest *g, u32 off)
{
	__le32 v;

	if (vnvme_bar0_read(g->c, off, &v, 4))
		die("BAR0 read refused");
	return le32_to_cpu(v);
}

u64 bar_rd64(struct guest *g, u32 off)
{
	__le64 v;

	if (vnvme_bar0_read(g->c, off, &v, 8))
		die("BAR0 read refused");
	return le64_to_cpu(v);
}

void bar_wr32(struct guest *g, u32 off, u32 val)
{
	__le32 v = cpu_to_le32(val);

	if (vnvme_bar0_write(g->c, off, &v, 4))
		die("BAR0 write refused");
}

void bar_wr64(struct guest *g, u32 off, u64 val)
{
	__le64 v = cpu_to_le64(val);

	if (vnvme_bar0_write(g->c, off, &v, 8))
		die("BAR0 write refused");
}

void guest_pci_setup(struct guest *g)
{
	u32 v;

	cfg_wr(g, VNVME_PCI_BAR0, 0xfebf0000, 4);
	cfg_wr(g, VNVME_PCI_BAR1, 0, 4);
	cfg_wr(g, VNVME_PCI_COMMAND,
	       VNVME_PCI_CMD_MEMORY | VNVME_PCI_CMD_MASTER, 2);
	for (v = 0; v < g->c->nr_vectors; v++)
		bar_wr32(g, VNVME_BAR0_MSIX_TABLE + 16 * v + 12, 0);
	cfg_wr(g, VNVME_CAP_MSIX + VNVME_MSIX_FLAGS,
	       VNVME_MSIX_FLAGS_ENABLE, 2);
}

u32 guest_enable_cc(struct guest *g, u32 cc)
{
	guest_pci_setup(g);
	g->sq_size = G_AQ_DEPTH;
	g->cq_size = G_AQ_DEPTH;
	g->sq_tail = 0;
	g->cq_head = 0;
	g->phase = 1;
	memset(gmem(g, G_ACQ), 0, g->cq_size * sizeof(struct vnvme_cqe));
	bar_wr32(g, VNVME_REG_AQA,
		 (g->cq_size - 1) << 16 | (g->sq_size - 1));
	bar_wr64(g, VNVME_REG_ASQ, G_ASQ);
	bar_wr64(g, VNVME_REG_ACQ, G_ACQ);
	bar_wr32(g, VNVME_REG_CC, cc);
	return bar_rd32(g, VNVME_REG_CSTS);
}

u32 guest_enable(struct guest *g)
{
	return guest_enable_cc(g, VNVME_CC_EN |
			       VNVME_SQES_LOG2 << VNVME_CC_IOSQES_SHIFT |
			       VNVME_CQES_LOG2 << VNVME_CC_IOCQES_SHIFT);
}

void guest_disable(struct guest *g)
{
	bar_wr32(g, VNVME_REG_CC, bar_rd32(g, VNVME_REG_CC) & ~VNVME_CC_EN);
}

void guest_sqe(struct vnvme_sqe *sqe, u8 opcode)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
}

u16 guest_submit(struct guest *g, struct vnvme_sqe *sqe)
{
	u16 cid = g->next_cid++;

	sqe->cid = cpu_to_le16(cid);
	memcpy(gmem(g, G_ASQ + g->sq_tail * sizeof(*sqe)), sqe, sizeof(*sqe));
	g->sq_tail = (g->sq_tail + 1) % g->sq_size;
	bar_wr32(g, VNVME_BAR0_DB_OFF, g->sq_tail);
	return cid;
}

bool guest_reap(struct guest *g, struct vnvme_cqe *cqe)
{
	memcpy(cqe, gmem(g, G_ACQ + g->cq_head * sizeof(*cqe)), sizeof(*cqe));
	if ((le16_to_cpu(cqe->status) & 1) != g->phase)
		return false;
	if (++g->cq_head == g->cq_size) {
		g->cq_head = 0;
		g->phase ^= 1;
	}
	bar_wr32(g, VNVME_BAR0_DB_OFF + 4, g->cq_head);
	return true;
}

u16 guest_admin(struct guest *g, struct vnvme_sqe *sqe, u32 *result)
{
	struct vnvme_cqe cqe;
	u16 cid;

	cid = guest_submit(g, sqe);
	vnvme_process_admin(g->c);
	if (!guest_reap(g, &cqe))
		return NO_CQE;
	if (le16_to_cpu(cqe.cid) != cid)
		return NO_CQE;
	if (result)
		*result = le32_to_cpu(cqe.result);
	return le16_to_cpu(cqe.status) >> 1;
}

u16 guest_identify(struct guest *g, u8 cns, u32 nsid, u64 buf)
{
	struct vnvme_sqe sqe;

	guest_sqe(&sqe, VNVME_ADM_IDENTIFY);
	sqe.nsid = cpu_to_le32(nsid);
	sqe.prp1 = cpu_to_le64(buf);
	sqe.prp2 = cpu_to_le64((buf & ~0xfffULL) + 0x1000);
	sqe.cdw10 = cpu_to_le32(cns);
	return guest_admin(g, &sqe, NULL);
}

u16 guest_get_log(struct guest *g, u8 lid, u32 nsid, u64 lpo, u32 len,
		  bool rae, u64 buf)
{
	struct vnvme_sqe sqe;
	u32 numd = len / 4 - 1;

	guest_sqe(&sqe, VNVME_ADM_GET_LOG_PAGE);
	sqe.nsid = cpu_to_le32(nsid);
	sqe.prp1 = cpu_to_le64(buf);
	sqe.prp2 = cpu_to_le64((buf & ~0xfffULL) + 0x1000);
	sqe.cdw10 = cpu_to_le32(lid | (rae ? VNVME_LOG_RAE : 0) |
				(numd & 0xffff) << 16);
	sqe.cdw11 = cpu_to_le32(numd >> 16);
	sqe.cdw12 = cpu_to_le32((u32)lpo);
	sqe.cdw13 = cpu_to_le32((u32)(lpo >> 32));
	return guest_admin(g, &sqe, NULL);
}

u16 guest_set_feature(struct guest *g, u8 fid, u32 cdw11, u32 *result)
{
	struct vnvme_sqe sqe;

	guest_sqe(&sqe, VNVME_ADM_SET_FEATURES);
	sqe.cdw10 = cpu_to_le32(fid);
	sqe.cdw11 = cpu_to_le32(cdw11);
	return guest_admin(g, &sqe, result);
}

u16 guest_get_feature(struct guest *g, u8 fid, u32 sel, u32 cdw11,
		      u32 *result)
{
	struct vnvme_sqe sqe;

	guest_sqe(&sqe, VNVME_ADM_GET_FEATURES);
	sqe.cdw10 = cpu_to_le32(fid | sel << VNVME_FEAT_SEL_SHIFT);
	sqe.cdw11 = cpu_to_le32(cdw11);
	return guest_admin(g, &sqe, result);
}

u16 guest_create_cq(struct guest *g, u16 qid, u16 entries, u16 vector,
		    bool ien)
{
	struct vnvme_sqe sqe;

	guest_sqe(&sqe, VNVME_ADM_CREATE_CQ);
	sqe.prp1 = cpu_to_le64(G_IOQ + qid * 0x10000ULL);
	sqe.cdw10 = cpu_to_le32((u32)(entries - 1) << 16 | qid);
	sqe.cdw11 = cpu_to_le32((u32)vector << 16 | (ien ? 2 : 0) | 1);
	return guest_admin(g, &sqe, NULL);
}

u16 guest_create_sq(struct guest *g, u16 qid, u16 entries, u16 cqid)
{
	struct vnvme_sqe sqe;

	guest_sqe(&sqe, VNVME_ADM_CREATE_SQ);
	sqe.prp1 = cpu_to_le64(G_IOQ + 0x8000 + qid * 0x10000ULL);
	sqe.cdw10 = cpu_to_le32((u32)(entries - 1) << 16 | qid);
	sqe.cdw11 = cpu_to_le32((u32)cqid << 16 | 1);
	return guest_admin(g, &sqe, NULL);
}

u16 guest_delete_q(struct guest *g, u8 opcode, u16 qid)
{
	struct vnvme_sqe sqe;

	guest_sqe(&sqe, opcode);
	sqe.cdw10 = cpu_to_le32(qid);
	return guest_admin(g, &sqe, NULL);
}
