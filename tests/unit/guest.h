/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny "guest NVMe driver" for the unit tests: programs config space and
 * BAR0 the way a real driver does, and submits admin commands through the
 * emulated admin queue in fake guest memory.
 */
#ifndef GUEST_H
#define GUEST_H

#include "fake_env.h"
#include "../../mdev_nvme/core/nvme_spec.h"
#include "../../mdev_nvme/core/pci_spec.h"

/* Guest memory map */
#define G_MEM_SIZE	(8ULL << 20)
#define G_ASQ		0x10000ULL
#define G_ACQ		0x20000ULL
#define G_DATA		0x100000ULL	/* data buffers */
#define G_LIST		0x200000ULL	/* PRP lists */
#define G_IOQ		0x300000ULL	/* I/O queues */
#define G_HOLE		0x700000ULL	/* unmapped, 64 KiB */
#define G_HOLE_LEN	0x10000ULL
#define G_AQ_DEPTH	32

/* Expected failure status: the core sets Do Not Retry on errors */
#define ERR(sc)		((sc) | VNVME_SC_DNR)
#define NO_CQE		0xffff

struct guest {
	struct fake_env env;
	struct vnvme_ctrl *c;
	struct vnvme_params p;
	u16 sq_tail;
	u16 cq_head;
	u16 sq_size;
	u16 cq_size;
	u8 phase;
	u16 next_cid;
};

void guest_default_params(struct vnvme_params *p);
/* allocate and vnvme_init(); @p NULL for the defaults */
int guest_init(struct guest *g, const struct vnvme_params *p);
/* the same with environment @ops (fake_ops or fake_io_ops) */
int guest_init_ops(struct guest *g, const struct vnvme_params *p,
		   const struct vnvme_env_ops *ops);
void guest_fini(struct guest *g);

u32 cfg_rd(struct guest *g, u32 off, u32 len);
void cfg_wr(struct guest *g, u32 off, u32 val, u32 len);
u32 bar_rd32(struct guest *g, u32 off);
u64 bar_rd64(struct guest *g, u32 off);
void bar_wr32(struct guest *g, u32 off, u32 val);
void bar_wr64(struct guest *g, u32 off, u64 val);

/* PCI setup (MSE, BME, MSI-X on, all vectors unmasked) */
void guest_pci_setup(struct guest *g);
/* PCI setup, admin queue registers and CC.EN; returns CSTS */
u32 guest_enable(struct guest *g);
u32 guest_enable_cc(struct guest *g, u32 cc);
void guest_disable(struct guest *g);

void guest_sqe(struct vnvme_sqe *sqe, u8 opcode);
/* put @sqe on the admin SQ and ring the tail doorbell; returns the CID */
u16 guest_submit(struct guest *g, struct vnvme_sqe *sqe);
/* fetch the next admin CQE if its phase says it is new */
bool guest_reap(struct guest *g, struct vnvme_cqe *cqe);
/*
 * Submit, run the admin queue, reap one completion.  Returns its 15-bit
 * status (DNR included) or NO_CQE, @result gets dword 0 if not NULL.
 */
u16 guest_admin(struct guest *g, struct vnvme_sqe *sqe, u32 *result);

/* helpers building common commands */
u16 guest_identify(struct guest *g, u8 cns, u32 nsid, u64 buf);
u16 guest_get_log(struct guest *g, u8 lid, u32 nsid, u64 lpo, u32 len,
		  bool rae, u64 buf);
u16 guest_set_feature(struct guest *g, u8 fid, u32 cdw11, u32 *result);
u16 guest_get_feature(struct guest *g, u8 fid, u32 sel, u32 cdw11,
		      u32 *result);
u16 guest_create_cq(struct guest *g, u16 qid, u16 entries, u16 vector,
		    bool ien);
u16 guest_create_sq(struct guest *g, u16 qid, u16 entries, u16 cqid);
u16 guest_delete_q(struct guest *g, u8 opcode, u16 qid);

static inline void *gmem(struct guest *g, u64 iova)
{
	return g->env.mem + iova;
}

#endif /* GUEST_H */
