// SPDX-License-Identifier: GPL-2.0-only
/*
 * Asynchronous Event Request (NVMe 1.4 section 5.2) and Abort (5.1).
 *
 * Up to AERL + 1 AER commands are held; events wait in a small queue until
 * one is available.  Once an event of some type has been reported, further
 * events of that type stay queued until the guest reads the associated log
 * page with RAE cleared (section 5.2.1), see vnvme_aen_unmask().  A reset
 * drops held AERs without completions, like a real controller.
 */
#include "vnvme_priv.h"

u16 vnvme_adm_async_event(struct vnvme_ctrl *c, struct vnvme_req *req)
{
	if (c->nr_aer > VNVME_AERL)
		return VNVME_SC_AER_LIMIT;
	c->aer_cid[c->nr_aer++] = le16_to_cpu(req->cmd.cid);
	return VNVME_SC_NO_COMPLETION;
}

static void vnvme_aer_remove(struct vnvme_ctrl *c, u8 i)
{
	memmove(&c->aer_cid[i], &c->aer_cid[i + 1],
		(c->nr_aer - i - 1) * sizeof(c->aer_cid[0]));
	c->nr_aer--;
}

/*
 * Admin commands other than AERs complete before the next one is fetched,
 * so a held AER is the only admin command an Abort can find.  I/O commands
 * belong to the I/O path and are never aborted here: "not aborted" is a
 * valid answer (dword 0 bit 0 set).
 */
u16 vnvme_adm_abort(struct vnvme_ctrl *c, struct vnvme_req *req)
{
	u32 cdw10 = vnvme_cdw10(req);
	u16 sqid = cdw10 & 0xffff;
	u16 cid = cdw10 >> 16;
	u8 i;

	req->result = 1;
	if (sqid)
		return VNVME_SC_SUCCESS;
	for (i = 0; i < c->nr_aer; i++) {
		if (c->aer_cid[i] != cid)
			continue;
		vnvme_aer_remove(c, i);
		vnvme_admin_post(c, cid, VNVME_SC_ABORT_REQ, 0);
		req->result = 0;
		break;
	}
	return VNVME_SC_SUCCESS;
}

/*
 * Queue an event; identical ones already waiting are merged.  The caller
 * runs vnvme_aen_flush() once it has posted its own completion, if any.
 */
void vnvme_aen_add(struct vnvme_ctrl *c, u8 type, u8 info, u8 lid)
{
	struct vnvme_event *ev;
	u8 i;

	for (i = 0; i < c->nr_events; i++) {
		ev = &c->events[i];
		if (ev->type == type && ev->info == info)
			return;
	}
	if (c->nr_events == VNVME_NR_EVENTS)
		return;
	ev = &c->events[c->nr_events++];
	ev->type = type;
	ev->info = info;
	ev->lid = lid;
}

/* Complete held AERs with queued events of types not masked. */
void vnvme_aen_flush(struct vnvme_ctrl *c)
{
	while (c->nr_aer && vnvme_admin_active(c) &&
	       !vnvme_admin_cq_full(c)) {
		struct vnvme_event ev;
		u8 i;

		for (i = 0; i < c->nr_events; i++)
			if (!(c->aen_masked & BIT(c->events[i].type)))
				break;
		if (i == c->nr_events)
			return;

		ev = c->events[i];
		memmove(&c->events[i], &c->events[i + 1],
			(c->nr_events - i - 1) * sizeof(c->events[0]));
		c->nr_events--;
		c->aen_masked |= BIT(ev.type);

		vnvme_admin_post(c, c->aer_cid[0], VNVME_SC_SUCCESS,
				 ev.type | ev.info << 8 | ev.lid << 16);
		vnvme_aer_remove(c, 0);
	}
}

/*
 * The guest read the log page of @type with RAE cleared.  Events now
 * deliverable go out after the Get Log Page completion, see
 * vnvme_process_admin().
 */
void vnvme_aen_unmask(struct vnvme_ctrl *c, u8 type)
{
	c->aen_masked &= ~BIT(type);
}
