/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * NVMe wire format used by the vNVMe core: controller registers, admin
 * command and completion layouts, Identify data and log pages, as defined
 * by the NVM Express Base Specification 1.4.
 *
 * <linux/nvme.h> is deliberately not used: the core must also build in
 * userspace.  Every name carries a vnvme_/VNVME_ prefix so that this
 * header can coexist with <linux/nvme.h> in the same translation unit.
 * It holds layouts, constants and pure decoders, no state and nothing
 * that acts on a controller: the layer under the core (host_*.c) may read
 * the wire format through it too.
 */
#ifndef VNVME_NVME_SPEC_H
#define VNVME_NVME_SPEC_H

#include "vnvme_types.h"

/* Memory page size: CAP.MPSMIN = CAP.MPSMAX = 0, i.e. 4 KiB only. */
#define VNVME_PAGE_SHIFT	12
#define VNVME_PAGE_SIZE		BIT(VNVME_PAGE_SHIFT)

/* Controller registers (section 3.1) */
#define VNVME_REG_CAP		0x00	/* Controller Capabilities, 64 bit */
#define VNVME_REG_VS		0x08	/* Version */
#define VNVME_REG_INTMS		0x0c	/* Interrupt Mask Set */
#define VNVME_REG_INTMC		0x10	/* Interrupt Mask Clear */
#define VNVME_REG_CC		0x14	/* Controller Configuration */
#define VNVME_REG_CSTS		0x1c	/* Controller Status */
#define VNVME_REG_NSSR		0x20	/* NVM Subsystem Reset */
#define VNVME_REG_AQA		0x24	/* Admin Queue Attributes */
#define VNVME_REG_ASQ		0x28	/* Admin SQ Base Address, 64 bit */
#define VNVME_REG_ACQ		0x30	/* Admin CQ Base Address, 64 bit */
#define VNVME_REG_DBS		0x1000	/* first doorbell (DSTRD = 0) */

#define VNVME_CAP_MQES_MASK	GENMASK_ULL(15, 0)
#define VNVME_CAP_CQR		BIT_ULL(16)
#define VNVME_CAP_TO_SHIFT	24
#define VNVME_CAP_DSTRD_SHIFT	32
#define VNVME_CAP_CSS_NVM	BIT_ULL(37)
#define VNVME_CAP_MPSMIN_SHIFT	48
#define VNVME_CAP_MPSMAX_SHIFT	52

#define VNVME_VS_1_4		0x00010400

#define VNVME_CC_EN		BIT(0)
#define VNVME_CC_CSS_SHIFT	4
#define VNVME_CC_CSS_MASK	GENMASK(6, 4)
#define VNVME_CC_MPS_SHIFT	7
#define VNVME_CC_MPS_MASK	GENMASK(10, 7)
#define VNVME_CC_AMS_MASK	GENMASK(13, 11)
#define VNVME_CC_SHN_SHIFT	14
#define VNVME_CC_SHN_MASK	GENMASK(15, 14)
#define VNVME_CC_IOSQES_SHIFT	16
#define VNVME_CC_IOSQES_MASK	GENMASK(19, 16)
#define VNVME_CC_IOCQES_SHIFT	20
#define VNVME_CC_IOCQES_MASK	GENMASK(23, 20)
#define VNVME_CC_WRITABLE	GENMASK(23, 0)

#define VNVME_CSTS_RDY		BIT(0)
#define VNVME_CSTS_CFS		BIT(1)
#define VNVME_CSTS_SHST_MASK	GENMASK(3, 2)
#define VNVME_CSTS_SHST_CMPLT	(2U << 2)

#define VNVME_AQA_ASQS_MASK	GENMASK(11, 0)
#define VNVME_AQA_ACQS_SHIFT	16
#define VNVME_AQA_ACQS_MASK	GENMASK(27, 16)

/* log2 of the queue entry sizes: the only ones this controller accepts */
#define VNVME_SQES_LOG2		6
#define VNVME_CQES_LOG2		4

/* Admin command opcodes (section 5) */
enum {
	VNVME_ADM_DELETE_SQ	= 0x00,
	VNVME_ADM_CREATE_SQ	= 0x01,
	VNVME_ADM_GET_LOG_PAGE	= 0x02,
	VNVME_ADM_DELETE_CQ	= 0x04,
	VNVME_ADM_CREATE_CQ	= 0x05,
	VNVME_ADM_IDENTIFY	= 0x06,
	VNVME_ADM_ABORT		= 0x08,
	VNVME_ADM_SET_FEATURES	= 0x09,
	VNVME_ADM_GET_FEATURES	= 0x0a,
	VNVME_ADM_ASYNC_EVENT	= 0x0c,
	VNVME_ADM_DBBUF_CONFIG	= 0x7c,
};

/* NVM command set opcodes */
enum {
	VNVME_CMD_FLUSH		= 0x00,
	VNVME_CMD_WRITE		= 0x01,
	VNVME_CMD_READ		= 0x02,
	VNVME_CMD_WRITE_UNCOR	= 0x04,
	VNVME_CMD_COMPARE	= 0x05,
	VNVME_CMD_WRITE_ZEROES	= 0x08,
	VNVME_CMD_DSM		= 0x09,
	VNVME_CMD_VERIFY	= 0x0c,
};

/*
 * NVM command fields (NVM Command Set specification 1.0, 3.2): Read, Write
 * and Write Zeroes keep the SLBA in CDW10-11 and these bits in CDW12; the
 * access hints of Read and Write are in CDW13 7:0.
 */
#define VNVME_RW_NLB_MASK	GENMASK(15, 0)	/* 0's based */
#define VNVME_RW_DEAC		BIT(25)		/* Write Zeroes only */
#define VNVME_RW_FUA		BIT(30)
#define VNVME_RW_LR		BIT(31)
#define VNVME_RW_DSM_MASK	GENMASK(7, 0)

/* Dataset Management: CDW10 number of ranges (0's based), CDW11 attributes */
#define VNVME_DSM_NR_MASK	GENMASK(7, 0)
#define VNVME_DSM_ATTR_MASK	GENMASK(2, 0)
#define VNVME_DSM_MAX_RANGES	256

struct vnvme_dsm_range {
	__le32	cattr;
	__le32	nlb;		/* not 0's based */
	__le64	slba;
} __packed;
static_assert(sizeof(struct vnvme_dsm_range) == 16);

/*
 * Status: the 15-bit Status Field of a completion (section 4.6.1.2) as a
 * 16-bit value, bits 7:0 Status Code, 10:8 Status Code Type, 14 DNR.  The
 * phase tag is added when the completion is written.
 */
#define VNVME_SCT_GENERIC	0x000
#define VNVME_SCT_CMD_SPECIFIC	0x100
#define VNVME_SC_DNR		0x4000

enum {
	VNVME_SC_SUCCESS		= 0x00,
	VNVME_SC_INVALID_OPCODE		= 0x01,
	VNVME_SC_INVALID_FIELD		= 0x02,
	VNVME_SC_DATA_XFER_ERROR	= 0x04,
	VNVME_SC_INTERNAL		= 0x06,
	VNVME_SC_ABORT_REQ		= 0x07,
	VNVME_SC_ABORT_SQ_DELETED	= 0x08,
	VNVME_SC_INVALID_NS		= 0x0b,
	VNVME_SC_CMD_SEQ_ERROR		= 0x0c,
	VNVME_SC_INVALID_PRP_OFFSET	= 0x13,
	VNVME_SC_LBA_RANGE		= 0x80,	/* NVM command set */

	VNVME_SC_CQ_INVALID		= VNVME_SCT_CMD_SPECIFIC | 0x00,
	VNVME_SC_QID_INVALID		= VNVME_SCT_CMD_SPECIFIC | 0x01,
	VNVME_SC_QUEUE_SIZE		= VNVME_SCT_CMD_SPECIFIC | 0x02,
	VNVME_SC_ABORT_LIMIT		= VNVME_SCT_CMD_SPECIFIC | 0x03,
	VNVME_SC_AER_LIMIT		= VNVME_SCT_CMD_SPECIFIC | 0x05,
	VNVME_SC_INVALID_VECTOR		= VNVME_SCT_CMD_SPECIFIC | 0x08,
	VNVME_SC_INVALID_LOG_PAGE	= VNVME_SCT_CMD_SPECIFIC | 0x09,
	VNVME_SC_QUEUE_DELETION		= VNVME_SCT_CMD_SPECIFIC | 0x0c,
	VNVME_SC_FEAT_NOT_SAVEABLE	= VNVME_SCT_CMD_SPECIFIC | 0x0d,
	VNVME_SC_FEAT_NOT_CHANGEABLE	= VNVME_SCT_CMD_SPECIFIC | 0x0e,
};

/* Submission Queue Entry, common layout (section 4.2) */
struct vnvme_sqe {
	u8	opcode;
	u8	flags;		/* 1:0 FUSE, 7:6 PSDT */
	__le16	cid;
	__le32	nsid;
	__le32	cdw2;
	__le32	cdw3;
	__le64	mptr;
	__le64	prp1;
	__le64	prp2;
	__le32	cdw10;
	__le32	cdw11;
	__le32	cdw12;
	__le32	cdw13;
	__le32	cdw14;
	__le32	cdw15;
} __packed;
static_assert(sizeof(struct vnvme_sqe) == 64);

#define VNVME_SQE_FUSE_MASK	GENMASK(1, 0)
#define VNVME_SQE_PSDT_MASK	GENMASK(7, 6)

/* Byte offsets inside an SQE, for the Error log's Parameter Error Location */
#define VNVME_SQE_OFF(field)	((u16)offsetof(struct vnvme_sqe, field))

/* Completion Queue Entry (section 4.6) */
struct vnvme_cqe {
	__le32	result;
	__le32	dw1;
	__le16	sq_head;
	__le16	sq_id;
	__le16	cid;
	__le16	status;		/* bit 0 phase tag, 15:1 Status Field */
} __packed;
static_assert(sizeof(struct vnvme_cqe) == 16);

/*
 * Phase Tag, bit 0 of a CQE's status: the producer writes 1 on the first
 * pass through a ring and inverts it on each wrap, so a consumer tells a
 * new entry from last pass's by this bit alone.
 */
#define VNVME_CQE_PHASE		BIT(0)
#define VNVME_CQE_STATUS_SHIFT	1	/* the Status Field is bits 15:1 */

/* Identify (section 5.15) */
enum {
	VNVME_CNS_NS		= 0x00,
	VNVME_CNS_CTRL		= 0x01,
	VNVME_CNS_NS_ACTIVE_LIST = 0x02,
	VNVME_CNS_NS_DESC_LIST	= 0x03,
	VNVME_CNS_CS_CTRL	= 0x06,	/* I/O command set specific */
};

/* Identify CDW11 31:24: Command Set Identifier; 0 is the NVM command set */
#define VNVME_IDENTIFY_CSI_SHIFT 24
#define VNVME_CSI_NVM		0

struct vnvme_id_power_state {
	__le16	mp;
	u8	rsvd2;
	u8	flags;
	__le32	enlat;
	__le32	exlat;
	u8	rrt;
	u8	rrl;
	u8	rwt;
	u8	rwl;
	__le16	idlp;
	u8	ips;
	u8	rsvd19;
	__le16	actp;
	u8	apw_aps;
	u8	rsvd23[9];
} __packed;
static_assert(sizeof(struct vnvme_id_power_state) == 32);

struct vnvme_id_ctrl {
	__le16	vid;
	__le16	ssvid;
	char	sn[20];
	char	mn[40];
	char	fr[8];
	u8	rab;
	u8	ieee[3];
	u8	cmic;
	u8	mdts;
	__le16	cntlid;
	__le32	ver;
	__le32	rtd3r;
	__le32	rtd3e;
	__le32	oaes;
	__le32	ctratt;
	__le16	rrls;
	u8	rsvd102[9];
	u8	cntrltype;
	u8	fguid[16];
	__le16	crdt[3];
	u8	rsvd134[122];
	__le16	oacs;
	u8	acl;
	u8	aerl;
	u8	frmw;
	u8	lpa;
	u8	elpe;
	u8	npss;
	u8	avscc;
	u8	apsta;
	__le16	wctemp;
	__le16	cctemp;
	__le16	mtfa;
	__le32	hmpre;
	__le32	hmmin;
	u8	tnvmcap[16];
	u8	unvmcap[16];
	__le32	rpmbs;
	__le16	edstt;
	u8	dsto;
	u8	fwug;
	__le16	kas;
	__le16	hctma;
	__le16	mntmt;
	__le16	mxtmt;
	__le32	sanicap;
	__le32	hmminds;
	__le16	hmmaxd;
	__le16	nsetidmax;
	__le16	endgidmax;
	u8	anatt;
	u8	anacap;
	__le32	anagrpmax;
	__le32	nanagrpid;
	__le32	pels;
	u8	rsvd356[156];
	u8	sqes;
	u8	cqes;
	__le16	maxcmd;
	__le32	nn;
	__le16	oncs;
	__le16	fuses;
	u8	fna;
	u8	vwc;
	__le16	awun;
	__le16	awupf;
	u8	nvscc;
	u8	nwpc;
	__le16	acwu;
	u8	rsvd534[2];
	__le32	sgls;
	__le32	mnan;
	u8	rsvd544[224];
	char	subnqn[256];
	u8	rsvd1024[768];
	u8	nvmeof[256];
	struct vnvme_id_power_state psd[32];
	u8	vs[1024];
} __packed;
static_assert(sizeof(struct vnvme_id_ctrl) == 4096);

#define VNVME_CTRL_OAES_NS_ATTR		BIT(8)
#define VNVME_CTRL_CNTRLTYPE_IO		1
#define VNVME_CTRL_OACS_DBBUF		BIT(8)
#define VNVME_CTRL_LPA_SMART_PER_NS	BIT(0)
#define VNVME_CTRL_LPA_CMD_EFFECTS	BIT(1)
#define VNVME_CTRL_LPA_EXT_DATA		BIT(2)
#define VNVME_CTRL_FRMW_SLOT1_RO	BIT(0)
#define VNVME_CTRL_FRMW_NR_SLOTS_SHIFT	1
#define VNVME_CTRL_VWC_PRESENT		BIT(0)

/* Identify Namespace DLFEAT: read behaviour (2:0) and Write Zeroes DEAC (3) */
#define VNVME_DLFEAT_MASK		0x0f

#define VNVME_ONCS_COMPARE		BIT(0)
#define VNVME_ONCS_WRITE_UNCOR		BIT(1)
#define VNVME_ONCS_DSM			BIT(2)
#define VNVME_ONCS_WRITE_ZEROES		BIT(3)
#define VNVME_ONCS_SAVE_SELECT		BIT(4)
#define VNVME_ONCS_VERIFY		BIT(7)

struct vnvme_lbaf {
	__le16	ms;
	u8	lbads;
	u8	rp;
} __packed;
static_assert(sizeof(struct vnvme_lbaf) == 4);

struct vnvme_id_ns {
	__le64	nsze;
	__le64	ncap;
	__le64	nuse;
	u8	nsfeat;
	u8	nlbaf;
	u8	flbas;
	u8	mc;
	u8	dpc;
	u8	dps;
	u8	nmic;
	u8	rescap;
	u8	fpi;
	u8	dlfeat;
	__le16	nawun;
	__le16	nawupf;
	__le16	nacwu;
	__le16	nabsn;
	__le16	nabo;
	__le16	nabspf;
	__le16	noiob;
	u8	nvmcap[16];
	__le16	npwg;
	__le16	npwa;
	__le16	npdg;
	__le16	npda;
	__le16	nows;
	u8	rsvd74[18];
	__le32	anagrpid;
	u8	rsvd96[3];
	u8	nsattr;
	__le16	nvmsetid;
	__le16	endgid;
	u8	nguid[16];
	u8	eui64[8];
	struct vnvme_lbaf lbaf[16];
	u8	rsvd192[192];
	u8	vs[3712];
} __packed;
static_assert(sizeof(struct vnvme_id_ns) == 4096);

/*
 * Identify I/O Command Set specific Controller data for the NVM command
 * set (CNS 06h, CSI 0; NVM Command Set specification 1.0, 4.1.5.3).  Sizes
 * are powers of two in units of CAP.MPSMIN (WZSL, VSL, WUSL) or logical
 * blocks (DMRSL, DMSL); 0 means no limit.
 */
struct vnvme_id_ctrl_nvm {
	u8	vsl;
	u8	wzsl;
	u8	wusl;
	u8	dmrl;
	__le32	dmrsl;
	__le64	dmsl;
	u8	rsvd16[4080];
} __packed;
static_assert(sizeof(struct vnvme_id_ctrl_nvm) == 4096);

/* Namespace Identification Descriptor header (Figure 249) */
struct vnvme_ns_id_desc {
	u8	nidt;
	u8	nidl;
	__le16	rsvd;
} __packed;
static_assert(sizeof(struct vnvme_ns_id_desc) == 4);

#define VNVME_NIDT_EUI64	0x01
#define VNVME_NIDT_NGUID	0x02
#define VNVME_NIDT_UUID		0x03

/* Features (section 5.21.1) */
enum {
	VNVME_FEAT_ARBITRATION	= 0x01,
	VNVME_FEAT_POWER_MGMT	= 0x02,
	VNVME_FEAT_TEMP_THRESH	= 0x04,
	VNVME_FEAT_ERR_RECOVERY	= 0x05,
	VNVME_FEAT_VOLATILE_WC	= 0x06,
	VNVME_FEAT_NUM_QUEUES	= 0x07,
	VNVME_FEAT_IRQ_COALESCE	= 0x08,
	VNVME_FEAT_IRQ_CONFIG	= 0x09,
	VNVME_FEAT_WRITE_ATOMIC	= 0x0a,
	VNVME_FEAT_ASYNC_EVENT	= 0x0b,
};

#define VNVME_FEAT_SV			BIT(31)	/* Set Features CDW10 */
#define VNVME_FEAT_SEL_SHIFT		8	/* Get Features CDW10 */
#define VNVME_FEAT_SEL_MASK		GENMASK(10, 8)
enum {
	VNVME_SEL_CURRENT	= 0,
	VNVME_SEL_DEFAULT	= 1,
	VNVME_SEL_SAVED		= 2,
	VNVME_SEL_SUPPORTED	= 3,
};

/* Get Features SEL=3 result bits (Figure 282) */
#define VNVME_FEAT_CAP_SAVEABLE		BIT(0)
#define VNVME_FEAT_CAP_NS_SPECIFIC	BIT(1)
#define VNVME_FEAT_CAP_CHANGEABLE	BIT(2)

/* Asynchronous events (section 5.2) */
enum {
	VNVME_AER_TYPE_ERROR	= 0,
	VNVME_AER_TYPE_SMART	= 1,
	VNVME_AER_TYPE_NOTICE	= 2,
	VNVME_AER_NR_TYPES	= 3,
};

#define VNVME_AER_ERR_INVALID_DB	0x00
#define VNVME_AER_ERR_INVALID_DB_VALUE	0x01
#define VNVME_AER_SMART_TEMP_THRESH	0x01
#define VNVME_AER_NOTICE_NS_CHANGED	0x00

/* Asynchronous Event Configuration feature bits */
#define VNVME_AEC_SMART_MASK		GENMASK(4, 0)
#define VNVME_AEC_NS_ATTR		BIT(8)

/* SMART critical warning bits */
#define VNVME_SMART_CRIT_TEMP		BIT(1)

/* Log pages (section 5.14.1) */
enum {
	VNVME_LOG_ERROR		= 0x01,
	VNVME_LOG_SMART		= 0x02,
	VNVME_LOG_FW_SLOT	= 0x03,
	VNVME_LOG_CHANGED_NS	= 0x04,
	VNVME_LOG_CMD_EFFECTS	= 0x05,
};

#define VNVME_LOG_RAE		BIT(15)	/* Get Log Page CDW10 */

struct vnvme_error_log {
	__le64	error_count;
	__le16	sqid;
	__le16	cid;
	__le16	status;		/* bit 0 phase tag, 15:1 Status Field */
	__le16	param_loc;	/* 7:0 byte, 10:8 bit; 0xffff if none */
	__le64	lba;
	__le32	nsid;
	u8	vs;
	u8	trtype;
	u8	rsvd30[2];
	__le64	cs_info;
	__le16	trtype_info;
	u8	rsvd42[22];
} __packed;
static_assert(sizeof(struct vnvme_error_log) == 64);

struct vnvme_smart_log {
	u8	critical_warning;
	__le16	temperature;	/* Kelvin */
	u8	avail_spare;
	u8	spare_thresh;
	u8	percent_used;
	u8	endu_grp_crit_warn;
	u8	rsvd7[25];
	__le64	data_units_read[2];	/* 128-bit counters, low half first */
	__le64	data_units_written[2];
	__le64	host_reads[2];
	__le64	host_writes[2];
	__le64	ctrl_busy_time[2];
	__le64	power_cycles[2];
	__le64	power_on_hours[2];
	__le64	unsafe_shutdowns[2];
	__le64	media_errors[2];
	__le64	num_err_log_entries[2];
	__le32	warning_temp_time;
	__le32	critical_comp_time;
	__le16	temp_sensor[8];
	__le32	thm_temp1_trans_count;
	__le32	thm_temp2_trans_count;
	__le32	thm_temp1_total_time;
	__le32	thm_temp2_total_time;
	u8	rsvd232[280];
} __packed;
static_assert(sizeof(struct vnvme_smart_log) == 512);

struct vnvme_fw_slot_log {
	u8	afi;
	u8	rsvd1[7];
	char	frs[7][8];
	u8	rsvd64[448];
} __packed;
static_assert(sizeof(struct vnvme_fw_slot_log) == 512);

struct vnvme_changed_ns_log {
	__le32	nsid[1024];
} __packed;
static_assert(sizeof(struct vnvme_changed_ns_log) == 4096);

struct vnvme_effects_log {
	__le32	acs[256];
	__le32	iocs[256];
	u8	rsvd2048[2048];
} __packed;
static_assert(sizeof(struct vnvme_effects_log) == 4096);

#define VNVME_EFFECTS_CSUPP	BIT(0)
#define VNVME_EFFECTS_LBCC	BIT(1)

/*
 * The LBA format a namespace is formatted with, from its Identify
 * Namespace FLBAS and NLBAF (0's based): FLBAS bits 3:0 are the low bits
 * of the index; bits 6:5 its bits 5:4 when NLBAF is above 16, reserved
 * otherwise (NVMe 2.0, Identify Namespace).  Bit 4 is not part of it.
 * Return: the index, or -1 if it names a format the namespace does not
 * list (the data would be read from an unused LBA Format entry).
 */
static inline int vnvme_flbas_format(u8 flbas, u8 nlbaf)
{
	unsigned int idx = flbas & 0x0f;

	if (nlbaf > 16)
		idx |= (flbas & 0x60) >> 1;
	return idx <= nlbaf ? (int)idx : -1;
}

#endif /* VNVME_NVME_SPEC_H */
