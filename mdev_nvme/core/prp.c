// SPDX-License-Identifier: GPL-2.0-only
/*
 * PRP data pointer walking for admin commands (NVMe 1.4 section 4.3).
 *
 * Admin commands only ever move data from the controller to the host, so
 * only that direction exists.  Guest memory is reached through
 * ops->dma_write; any failure there is the guest's problem (a bad pointer)
 * and ends the command with Data Transfer Error, never the controller.
 */
#include "vnvme_priv.h"

#define VNVME_PAGE_MASK		((u64)VNVME_PAGE_SIZE - 1)

/* Source of zeroes for the part of a transfer beyond the data we have */
static const u8 vnvme_zeroes[256];

/*
 * Copy transfer bytes [@pos, @pos + @len) to guest address @iova: the
 * first @buf_len bytes of the transfer come from @buf, the rest are zero.
 */
static u16 vnvme_prp_seg(struct vnvme_ctrl *c, u64 iova, u32 len, u64 pos,
			 const u8 *buf, u32 buf_len)
{
	while (len) {
		const void *src;
		u32 n;

		if (pos < buf_len) {
			n = min_t(u64, len, buf_len - pos);
			src = buf + pos;
		} else {
			n = min_t(u32, len, sizeof(vnvme_zeroes));
			src = vnvme_zeroes;
		}
		if (c->ops->dma_write(c->env, iova, src, n))
			return VNVME_SC_DATA_XFER_ERROR;
		iova += n;
		pos += n;
		len -= n;
	}
	return VNVME_SC_SUCCESS;
}

static int vnvme_prp_entry(struct vnvme_ctrl *c, u64 iova, u64 *entry)
{
	__le64 raw;
	int ret;

	ret = c->ops->dma_read(c->env, iova, &raw, sizeof(raw));
	if (ret)
		return ret;
	*entry = le64_to_cpu(raw);
	return 0;
}

/**
 * vnvme_prp_to_guest() - copy a command's data to the guest
 * @c:       controller
 * @req:     command; its PRP1/PRP2 describe the host buffer
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
	u64 prp1 = le64_to_cpu(req->cmd.prp1);
	u64 prp2 = le64_to_cpu(req->cmd.prp2);
	u64 list = prp2;
	u64 pos;
	u16 status;
	u32 n;

	if (!len)
		return VNVME_SC_SUCCESS;

	/* PRP1 may start anywhere in a page, but dword aligned. */
	if (prp1 & 3)
		return vnvme_err(req, VNVME_SC_INVALID_PRP_OFFSET,
				 VNVME_SQE_OFF(prp1));
	n = min_t(u64, len, VNVME_PAGE_SIZE - (prp1 & VNVME_PAGE_MASK));
	status = vnvme_prp_seg(c, prp1, n, 0, buf, buf_len);
	if (status)
		return vnvme_err(req, status, VNVME_SQE_OFF(prp1));
	pos = n;
	if (pos == len)
		return VNVME_SC_SUCCESS;

	/* At most one more page: PRP2 is a page-aligned data pointer. */
	if (len - pos <= VNVME_PAGE_SIZE) {
		if (prp2 & VNVME_PAGE_MASK)
			return vnvme_err(req, VNVME_SC_INVALID_PRP_OFFSET,
					 VNVME_SQE_OFF(prp2));
		status = vnvme_prp_seg(c, prp2, len - pos, pos, buf, buf_len);
		return status ? vnvme_err(req, status, VNVME_SQE_OFF(prp2)) : 0;
	}

	/*
	 * PRP2 points into a PRP list (qword aligned, any offset).  The last
	 * entry of each list page points to the next list page, unless it
	 * describes the final data page.  Every list page after the first
	 * holds 511 data entries, so the walk always makes progress and ends
	 * after len / 4 KiB data entries whatever the guest put there.
	 */
	if (list & 7)
		return vnvme_err(req, VNVME_SC_INVALID_PRP_OFFSET,
				 VNVME_SQE_OFF(prp2));
	while (pos < len) {
		u64 entry;

		if (vnvme_prp_entry(c, list, &entry))
			return vnvme_err(req, VNVME_SC_DATA_XFER_ERROR,
					 VNVME_SQE_OFF(prp2));
		if (((list + 8) & VNVME_PAGE_MASK) == 0 &&
		    len - pos > VNVME_PAGE_SIZE) {
			if (entry & VNVME_PAGE_MASK)
				return vnvme_err(req,
						 VNVME_SC_INVALID_PRP_OFFSET,
						 VNVME_SQE_OFF(prp2));
			list = entry;
			continue;
		}
		list += 8;
		if (entry & VNVME_PAGE_MASK)
			return vnvme_err(req, VNVME_SC_INVALID_PRP_OFFSET,
					 VNVME_SQE_OFF(prp2));
		n = min_t(u64, len - pos, VNVME_PAGE_SIZE);
		status = vnvme_prp_seg(c, entry, n, pos, buf, buf_len);
		if (status)
			return vnvme_err(req, status, VNVME_SQE_OFF(prp2));
		pos += n;
	}
	return VNVME_SC_SUCCESS;
}
