// SPDX-License-Identifier: GPL-2.0-only
/*
 * PRP data pointers (NVMe 1.4 section 4.3): the one walk of a PRP-described
 * guest buffer, shared by the admin commands (data to the guest) and the
 * I/O command check (io_check.c: data pages to pin, Dataset Management
 * ranges to read).
 *
 * Guest memory is reached through ops->dma_read and ops->dma_write (the
 * I/O command check reads its lists through ops->io_read, if the
 * environment has it); any failure there is the guest's problem (a bad
 * pointer) and ends the command with Data Transfer Error, never the
 * controller.
 */
#include "vnvme_priv.h"

#define VNVME_PAGE_MASK		((u64)VNVME_PAGE_SIZE - 1)
#define VNVME_PRPS_PER_PAGE	(VNVME_PAGE_SIZE / sizeof(__le64))

/*
 * The entries of the current list page that the transfer still needs:
 * its last one chains to the next list page, unless it describes the last
 * data page.  They are read at once, so that a list partly in unreachable
 * memory fails before any of it is used.
 */
static u16 vnvme_prp_list_read(struct vnvme_ctrl *c,
			       int (*read)(void *env, u64 iova, void *buf,
					   u32 len),
			       u64 list, u64 need, u32 *nr, bool *chained)
{
	u32 avail = (VNVME_PAGE_SIZE - (list & VNVME_PAGE_MASK)) /
		    sizeof(__le64);

	*chained = need > avail;
	*nr = *chained ? avail : need;
	if (read(c->env, list, c->prp_list, *nr * sizeof(__le64)))
		return VNVME_SC_DATA_XFER_ERROR;
	if (*chained)
		(*nr)--;
	return VNVME_SC_SUCCESS;
}

/**
 * vnvme_prp_walk() - visit the pieces of a PRP-described guest buffer
 * @c:    controller; its prp_list buffer holds the list entries read
 * @prp1: first data pointer (any dword-aligned offset)
 * @prp2: second data page, or PRP list pointer (any qword-aligned offset)
 * @len:  transfer length in bytes; 0 visits nothing
 * @read: how the PRP list pages are read: ops->dma_read for the admin
 *	  commands, c->io_read for the I/O command check
 * @seg:  called in transfer order for each piece, at most one page long,
 *	  with its guest address @iova and its offset @pos in the transfer;
 *	  a non-zero NVMe status it returns ends the walk
 * @ctx:  passed to @seg
 * @loc:  on failure, the SQE byte offset of the pointer at fault
 *
 * Every list page after the first holds 511 data entries and a chain
 * pointer, so the walk ends after len / 4 KiB data entries whatever the
 * guest put there (a list that chains to itself included).
 *
 * Return: NVMe status (generic command status type).
 */
u16 vnvme_prp_walk(struct vnvme_ctrl *c, u64 prp1, u64 prp2, u64 len,
		   int (*read)(void *env, u64 iova, void *buf, u32 len),
		   u16 (*seg)(struct vnvme_ctrl *c, void *ctx, u64 iova,
			      u32 len, u64 pos),
		   void *ctx, u16 *loc)
{
	u64 list = prp2;
	u64 pos;
	u16 status;
	u32 n;

	*loc = VNVME_SQE_OFF(prp1);
	if (!len)
		return VNVME_SC_SUCCESS;

	/* PRP1 may start anywhere in a page, but dword aligned. */
	if (prp1 & 3)
		return VNVME_SC_INVALID_PRP_OFFSET;
	n = min_t(u64, len, VNVME_PAGE_SIZE - (prp1 & VNVME_PAGE_MASK));
	status = seg(c, ctx, prp1, n, 0);
	if (status)
		return status;
	pos = n;
	if (pos == len)
		return VNVME_SC_SUCCESS;

	/* At most one more page: PRP2 is a page-aligned data pointer. */
	*loc = VNVME_SQE_OFF(prp2);
	if (len - pos <= VNVME_PAGE_SIZE) {
		if (prp2 & VNVME_PAGE_MASK)
			return VNVME_SC_INVALID_PRP_OFFSET;
		return seg(c, ctx, prp2, len - pos, pos);
	}

	/* PRP2 points into a PRP list (qword aligned, any offset). */
	if (list & 7)
		return VNVME_SC_INVALID_PRP_OFFSET;
	while (pos < len) {
		bool chained;
		u32 nr, i;

		status = vnvme_prp_list_read(c, read, list,
					     DIV_ROUND_UP(len - pos,
							  VNVME_PAGE_SIZE),
					     &nr, &chained);
		if (status)
			return status;
		for (i = 0; i < nr; i++) {
			u64 entry = le64_to_cpu(c->prp_list[i]);

			if (entry & VNVME_PAGE_MASK)
				return VNVME_SC_INVALID_PRP_OFFSET;
			n = min_t(u64, len - pos, VNVME_PAGE_SIZE);
			status = seg(c, ctx, entry, n, pos);
			if (status)
				return status;
			pos += n;
		}
		if (chained) {
			list = le64_to_cpu(c->prp_list[nr]);
			if (list & VNVME_PAGE_MASK)
				return VNVME_SC_INVALID_PRP_OFFSET;
		}
	}
	return VNVME_SC_SUCCESS;
}

/* Source of zeroes for the part of a transfer beyond the data we have */
static const u8 vnvme_zeroes[256];

struct vnvme_prp_src {
	const u8 *buf;
	u32 buf_len;
};

/*
 * Copy transfer bytes [@pos, @pos + @len) to guest address @iova: the
 * first buf_len bytes of the transfer come from the source, the rest are
 * zero.
 */
static u16 vnvme_prp_copy_out(struct vnvme_ctrl *c, void *ctx, u64 iova,
			      u32 len, u64 pos)
{
	const struct vnvme_prp_src *src = ctx;

	while (len) {
		const void *from;
		u32 n;

		if (pos < src->buf_len) {
			n = min_t(u64, len, src->buf_len - pos);
			from = src->buf + pos;
		} else {
			n = min_t(u32, len, sizeof(vnvme_zeroes));
			from = vnvme_zeroes;
		}
		if (c->ops->dma_write(c->env, iova, from, n))
			return VNVME_SC_DATA_XFER_ERROR;
		iova += n;
		pos += n;
		len -= n;
	}
	return VNVME_SC_SUCCESS;
}

/**
 * vnvme_prp_to_guest() - copy a command's data to the guest
 * @c:       controller
 * @req:     command; its PRP1/PRP2 describe the guest buffer
 * @buf:     data to copy
 * @buf_len: bytes available in @buf
 * @len:     transfer length; bytes past @buf_len are written as zeroes
 *
 * Return: NVMe status; on failure @req->param_loc names the bad pointer.
 * The guest buffer may be partly written when an error is returned.
 */
u16 vnvme_prp_to_guest(struct vnvme_ctrl *c, struct vnvme_req *req,
		       const void *buf, u32 buf_len, u64 len)
{
	struct vnvme_prp_src src = { .buf = buf, .buf_len = buf_len };
	u16 status, loc;

	status = vnvme_prp_walk(c, le64_to_cpu(req->cmd.prp1),
				le64_to_cpu(req->cmd.prp2), len,
				c->ops->dma_read, vnvme_prp_copy_out, &src,
				&loc);
	return status ? vnvme_err(req, status, loc) : VNVME_SC_SUCCESS;
}
