// SPDX-License-Identifier: GPL-2.0-only
/*
 * Identify (NVMe 1.4 section 5.15): controller, namespace 1, active
 * namespace list, namespace identification descriptors, and the NVM
 * command set's controller limits (CNS 06h, NVMe 2.0).
 *
 * The controller is alone in its NVM subsystem and has one namespace, the
 * slice of a physical namespace.  Its identifiers (NGUID, EUI-64, UUID, subsystem NQN) are all
 * derived from the instance UUID, so they are stable across reboots of the
 * guest and distinct between instances.
 */
#include "vnvme_priv.h"

/* Fixed controller properties reported to the guest */
#define VNVME_CNTLID		1
#define VNVME_POWER_MW_CENTI	2500	/* PSD0 max power: 25.00 W */

static void vnvme_uuid_string(const u8 *uuid, char *out)
{
	static const char hex[] = "0123456789abcdef";
	int i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[uuid[i] >> 4];
		out[o++] = hex[uuid[i] & 0xf];
	}
	out[o] = '\0';
}

/*
 * EUI-64 from the UUID: both halves folded together, marked locally
 * administered (bit 1 of the first byte) and unicast, since no IEEE OUI
 * stands behind it.
 */
static void vnvme_eui64(const struct vnvme_ctrl *c, u8 *eui)
{
	int i;

	for (i = 0; i < 8; i++)
		eui[i] = c->uuid[i] ^ c->uuid[i + 8];
	eui[0] = (eui[0] | 0x02) & ~0x01;
}

static void vnvme_identify_ctrl(struct vnvme_ctrl *c,
				struct vnvme_id_ctrl *id)
{
	static const char nqn_prefix[] = "nqn.2014-08.org.nvmexpress:uuid:";

	id->vid = cpu_to_le16(c->vid);
	id->ssvid = cpu_to_le16(c->ssvid);
	memcpy(id->sn, c->sn, sizeof(id->sn));
	memcpy(id->mn, c->mn, sizeof(id->mn));
	memcpy(id->fr, c->fr, sizeof(id->fr));
	id->mdts = c->mdts;
	id->cntlid = cpu_to_le16(VNVME_CNTLID);
	id->ver = cpu_to_le32(VNVME_VS_1_4);
	id->oaes = cpu_to_le32(VNVME_CTRL_OAES_NS_ATTR);
	id->cntrltype = VNVME_CTRL_CNTRLTYPE_IO;

	id->oacs = cpu_to_le16(c->dbbuf ? VNVME_CTRL_OACS_DBBUF : 0);
	id->acl = VNVME_ACL;
	id->aerl = VNVME_AERL;
	/* one firmware slot, read-only: no firmware download */
	id->frmw = VNVME_CTRL_FRMW_SLOT1_RO |
		   1 << VNVME_CTRL_FRMW_NR_SLOTS_SHIFT;
	id->lpa = VNVME_CTRL_LPA_SMART_PER_NS | VNVME_CTRL_LPA_CMD_EFFECTS |
		  VNVME_CTRL_LPA_EXT_DATA;
	id->elpe = VNVME_NR_ERR_LOG - 1;
	id->npss = 0;
	id->wctemp = cpu_to_le16(VNVME_TEMP_WARNING);
	id->cctemp = cpu_to_le16(VNVME_TEMP_CRITICAL);

	id->sqes = VNVME_SQES_LOG2 << 4 | VNVME_SQES_LOG2;
	id->cqes = VNVME_CQES_LOG2 << 4 | VNVME_CQES_LOG2;
	id->nn = cpu_to_le32(1);
	id->oncs = cpu_to_le16(c->oncs | VNVME_ONCS_SAVE_SELECT);
	id->vwc = c->vwc ? VNVME_CTRL_VWC_PRESENT : 0;

	/* A subsystem of its own: guests must not merge two instances. */
	memcpy(id->subnqn, nqn_prefix, sizeof(nqn_prefix) - 1);
	vnvme_uuid_string(c->uuid, id->subnqn + sizeof(nqn_prefix) - 1);

	id->psd[0].mp = cpu_to_le16(VNVME_POWER_MW_CENTI);
}

/*
 * NVM command set limits beyond MDTS (CNS 06h).  A Linux guest reads them
 * when the controller reports version 1.1 or later and bounds its Write
 * Zeroes and discard requests by them (nvme_init_non_mdts_limits());
 * io_check.c enforces the same values.
 */
static void vnvme_identify_ctrl_nvm(struct vnvme_ctrl *c,
				    struct vnvme_id_ctrl_nvm *id)
{
	id->wzsl = vnvme_io_wzsl(c);
	id->dmrl = c->dmrl;	/* 0: no limit below the 256 of the command */
	/* A Linux guest reads DMRSL only: a range above DMSL would fail. */
	id->dmrsl = cpu_to_le32(min(vnvme_io_dsm_range_max_lbas(c),
				    vnvme_io_dsm_max_lbas(c)));
	id->dmsl = cpu_to_le64(vnvme_io_dsm_max_lbas(c));
}

static void vnvme_identify_ns(struct vnvme_ctrl *c, struct vnvme_id_ns *id)
{
	id->nsze = cpu_to_le64(c->nsze);
	id->ncap = cpu_to_le64(c->nsze);
	id->nuse = cpu_to_le64(c->nsze);
	id->nlbaf = 0;		/* one format, 0's based */
	id->flbas = 0;
	id->lbaf[0].lbads = c->lba_shift;
	id->dlfeat = c->dlfeat;
	memcpy(id->nguid, c->uuid, sizeof(id->nguid));
	vnvme_eui64(c, id->eui64);
}

static u8 *vnvme_put_desc(u8 *p, u8 type, const u8 *id, u8 len)
{
	struct vnvme_ns_id_desc hdr = { .nidt = type, .nidl = len };

	memcpy(p, &hdr, sizeof(hdr));
	memcpy(p + sizeof(hdr), id, len);
	return p + sizeof(hdr) + len;
}

static void vnvme_identify_ns_desc(struct vnvme_ctrl *c, u8 *buf)
{
	u8 eui[8];

	vnvme_eui64(c, eui);
	buf = vnvme_put_desc(buf, VNVME_NIDT_EUI64, eui, sizeof(eui));
	buf = vnvme_put_desc(buf, VNVME_NIDT_NGUID, c->uuid, 16);
	vnvme_put_desc(buf, VNVME_NIDT_UUID, c->uuid, 16);
}

u16 vnvme_adm_identify(struct vnvme_ctrl *c, struct vnvme_req *req)
{
	u8 cns = vnvme_cdw10(req) & 0xff;
	u32 nsid = le32_to_cpu(req->cmd.nsid);
	u8 *buf = c->scratch;

	static_assert(sizeof(c->scratch) >= sizeof(struct vnvme_id_ctrl));
	static_assert(sizeof(c->scratch) >= sizeof(struct vnvme_id_ns));

	switch (cns) {
	case VNVME_CNS_NS:
	case VNVME_CNS_NS_DESC_LIST:
		if (nsid != 1)
			return vnvme_err(req, VNVME_SC_INVALID_NS,
					 VNVME_SQE_OFF(nsid));
		break;
	case VNVME_CNS_NS_ACTIVE_LIST:
		if (nsid >= 0xfffffffe)
			return vnvme_err(req, VNVME_SC_INVALID_NS,
					 VNVME_SQE_OFF(nsid));
		break;
	case VNVME_CNS_CTRL:
		break;
	case VNVME_CNS_CS_CTRL:
		if (vnvme_cdw11(req) >> VNVME_IDENTIFY_CSI_SHIFT != VNVME_CSI_NVM)
			return vnvme_err(req, VNVME_SC_INVALID_FIELD,
					 VNVME_LOC(VNVME_SQE_OFF(cdw11) + 3, 0));
		break;
	default:
		return vnvme_err(req, VNVME_SC_INVALID_FIELD,
				 VNVME_SQE_OFF(cdw10));
	}

	memset(buf, 0, VNVME_PAGE_SIZE);
	switch (cns) {
	case VNVME_CNS_NS:
		vnvme_identify_ns(c, (struct vnvme_id_ns *)buf);
		break;
	case VNVME_CNS_CTRL:
		vnvme_identify_ctrl(c, (struct vnvme_id_ctrl *)buf);
		break;
	case VNVME_CNS_CS_CTRL:
		vnvme_identify_ctrl_nvm(c, (struct vnvme_id_ctrl_nvm *)buf);
		break;
	case VNVME_CNS_NS_ACTIVE_LIST:
		/* namespaces with an ID greater than NSID: just 1, or none */
		if (nsid == 0)
			*(__le32 *)buf = cpu_to_le32(1);
		break;
	case VNVME_CNS_NS_DESC_LIST:
		vnvme_identify_ns_desc(c, buf);
		break;
	}
	return vnvme_prp_to_guest(c, req, buf, VNVME_PAGE_SIZE,
				  VNVME_PAGE_SIZE);
}
