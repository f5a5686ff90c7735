// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bring-up of the physical controller: the CC.EN handshake, Identify and
 * the Number of Queues negotiation that sizes the hardware queue pool.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/jiffies.h>
#include <linux/string.h>

#include "core/nvme_spec.h"
#include "host.h"

/* NVMe page size the module programs in CC.MPS: 4 KiB (MPS = 0). */
#define MNV_HOST_PAGE_SHIFT	12

/*
 * Wait until CSTS.RDY equals @ready, for at most CAP.TO (units of 500 ms).
 * A controller that reads all-ones has left the bus.
 */
static int mnv_host_wait_ready(struct mnv_host *host, bool ready)
{
	unsigned long timeout_ms = (NVME_CAP_TIMEOUT(host->cap) + 1) * 500;
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);
	u32 csts;

	for (;;) {
		csts = readl(host->bar + NVME_REG_CSTS);
		if (csts == ~0U) {
			dev_err(mnv_host_dev(host), "controller is not responding (CSTS reads all ones)\n");
			return -ENODEV;
		}
		if (ready && (csts & NVME_CSTS_CFS)) {
			dev_err(mnv_host_dev(host), "controller reports a fatal status while enabling\n");
			return -EIO;
		}
		if (!!(csts & NVME_CSTS_RDY) == ready)
			return 0;
		if (time_after(jiffies, deadline))
			break;
		msleep(MNV_CSTS_POLL_MS);
	}
	dev_err(mnv_host_dev(host), "controller did not become %s within %lu ms (CSTS 0x%x)\n",
		ready ? "ready" : "disabled", timeout_ms, csts);
	return -ETIMEDOUT;
}

int mnv_host_disable(struct mnv_host *host)
{
	u32 cc = readl(host->bar + NVME_REG_CC);

	if (cc == ~0U)
		return -ENODEV;
	if (cc & NVME_CC_ENABLE)
		writel(cc & ~NVME_CC_ENABLE, host->bar + NVME_REG_CC);
	return mnv_host_wait_ready(host, false);
}

int mnv_host_enable(struct mnv_host *host)
{
	struct mnv_hwq *aq = &host->adminq;
	u32 aqa = (aq->depth - 1) | ((aq->depth - 1) << 16);
	u32 cc;

	if (NVME_CAP_MPSMIN(host->cap) > MNV_HOST_PAGE_SHIFT - 12) {
		dev_err(mnv_host_dev(host), "controller needs pages larger than 4 KiB (CAP.MPSMIN %llu)\n",
			NVME_CAP_MPSMIN(host->cap));
		return -EINVAL;
	}
	if (!(NVME_CAP_CSS(host->cap) & NVME_CAP_CSS_NVM)) {
		dev_err(mnv_host_dev(host), "controller does not support the NVM command set\n");
		return -EINVAL;
	}

	writel(aqa, host->bar + NVME_REG_AQA);
	lo_hi_writeq(aq->sq_dma, host->bar + NVME_REG_ASQ);
	lo_hi_writeq(aq->cq_dma, host->bar + NVME_REG_ACQ);

	cc = NVME_CC_CSS_NVM | NVME_CC_AMS_RR | NVME_CC_SHN_NONE |
	     NVME_CC_IOSQES | NVME_CC_IOCQES |
	     ((MNV_HOST_PAGE_SHIFT - 12) << NVME_CC_MPS_SHIFT);
	writel(cc, host->bar + NVME_REG_CC);
	writel(cc | NVME_CC_ENABLE, host->bar + NVME_REG_CC);
	return mnv_host_wait_ready(host, true);
}

/*
 * An Identify string, as the kernel log and sysfs show it: the drive's
 * bytes without their padding (spaces, or the tabs and line ends some
 * drives pad with), and a control or non-ASCII byte left inside (which
 * could forge a line of the log) as '?'.
 */
static void mnv_copy_id_string(char *dst, const char *src, size_t len)
{
	unsigned char c;
	size_t i;

	memcpy(dst, src, len);
	dst[len] = '\0';
	strim(dst);
	for (i = 0; i < len && dst[i]; i++) {
		c = dst[i];
		if (c < 0x20 || c > 0x7e)
			dst[i] = '?';
	}
}

static int mnv_identify(struct mnv_host *host, u8 cns, u32 nsid,
			dma_addr_t buf_dma)
{
	struct nvme_command cmd = { };

	cmd.identify.opcode = nvme_admin_identify;
	cmd.identify.nsid = cpu_to_le32(nsid);
	cmd.identify.cns = cns;
	cmd.identify.dptr.prp1 = cpu_to_le64(buf_dma);
	return mnv_admin_exec(host, &cmd, NULL);
}

static void mnv_parse_id_ctrl(struct mnv_host *host,
			      const struct nvme_id_ctrl *id)
{
	mnv_copy_id_string(host->model, id->mn, sizeof(id->mn));
	mnv_copy_id_string(host->serial, id->sn, sizeof(id->sn));
	mnv_copy_id_string(host->firmware, id->fr, sizeof(id->fr));
	/* NUL-padded (some drives pad it with spaces as well) */
	mnv_copy_id_string(host->subnqn, id->subnqn, sizeof(id->subnqn));
	/* MDTS is in units of the minimum page size, as a power of two. */
	if (id->mdts)
		host->max_transfer_bytes = (1U << MNV_HOST_PAGE_SHIFT)
			<< min_t(u8, id->mdts, 31 - MNV_HOST_PAGE_SHIFT);
	host->volatile_write_cache = id->vwc & NVME_CTRL_VWC_PRESENT;
	host->oncs = le16_to_cpu(id->oncs);
}

/*
 * The NVM command set's limits beyond MDTS (Identify CNS 06h, CSI 0): a
 * Write Zeroes, a Dataset Management larger than these fails on the
 * controller, so the scrub and the guests' commands stay within them.
 * Controllers before NVMe 1.1 may mishandle a CNS they do not know, and
 * one that refuses it reports no limits: both keep none.
 */
static int mnv_identify_nvm_limits(struct mnv_host *host, void *buf,
				   dma_addr_t buf_dma)
{
	const struct nvme_id_ctrl_nvm *id = buf;
	int ret;

	if (readl(host->bar + NVME_REG_VS) < NVME_VS(1, 1, 0))
		return 0;
	/* CSI 0, the NVM command set, is the command's zero. */
	ret = mnv_identify(host, NVME_ID_CNS_CS_CTRL, 0, buf_dma);
	if (ret > 0) {
		dev_info(mnv_host_dev(host), "Identify of the NVM command set limits refused (status 0x%x): none assumed\n",
			 ret);
		return 0;
	}
	if (ret)
		return ret;
	host->write_zeroes_limit = id->wzsl;
	host->dsm_max_ranges = id->dmrl;
	host->dsm_range_max_lbas = le32_to_cpu(id->dmrsl);
	host->dsm_max_lbas = le64_to_cpu(id->dmsl);
	return 0;
}

/*
 * Record namespace @nsid if it is usable: formatted, and without metadata,
 * which a guest slice could not carry.
 */
static int mnv_add_namespace(struct mnv_host *host, u32 nsid, void *buf,
			     dma_addr_t buf_dma)
{
	const struct nvme_id_ns *id = buf;
	struct mnv_namespace *ns;
	const struct nvme_lbaf *lbaf;
	int ret, fmt;

	ret = mnv_identify(host, NVME_ID_CNS_NS, nsid, buf_dma);
	if (ret)
		return ret < 0 ? ret : -EIO;
	if (!id->nsze)
		return 0;
	/*
	 * The full index (FLBAS bits 6:5 too), and one the controller lists:
	 * any other would have the slice's LBA size read from an unused
	 * LBA Format entry.
	 */
	fmt = vnvme_flbas_format(id->flbas, id->nlbaf);
	if (fmt < 0) {
		dev_info(mnv_host_dev(host),
			 "namespace %u not offered: FLBAS 0x%x names no LBA format of the %u listed\n",
			 nsid, id->flbas, id->nlbaf + 1);
		return 0;
	}
	lbaf = &id->lbaf[fmt];
	if (lbaf->ms || lbaf->ds < 9 || lbaf->ds > 16) {
		dev_info(mnv_host_dev(host),
			 "namespace %u not offered: LBA format with %u bytes of metadata, 2^%u data\n",
			 nsid, le16_to_cpu(lbaf->ms), lbaf->ds);
		return 0;
	}
	if (host->nr_namespaces == MNV_MAX_NAMESPACES) {
		dev_info(mnv_host_dev(host), "namespace %u not offered: more than %u namespaces\n",
			 nsid, MNV_MAX_NAMESPACES);
		return 0;
	}
	ns = &host->namespaces[host->nr_namespaces++];
	ns->nsid = nsid;
	ns->lba_count = le64_to_cpu(id->nsze);
	ns->lba_shift = lbaf->ds;
	ns->dlfeat = id->dlfeat;
	memcpy(ns->nguid, id->nguid, sizeof(ns->nguid));
	memcpy(ns->eui64, id->eui64, sizeof(ns->eui64));
	return 0;
}

int mnv_host_identify(struct mnv_host *host)
{
	struct device *dev = mnv_host_dev(host);
	size_t list_len = NVME_IDENTIFY_DATA_SIZE / sizeof(__le32);
	dma_addr_t buf_dma;
	__le32 *nslist;
	void *buf;
	u32 i, nsid;
	int ret;

	buf = dma_alloc_coherent(dev, NVME_IDENTIFY_DATA_SIZE, &buf_dma,
				 GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	ret = mnv_identify(host, NVME_ID_CNS_CTRL, 0, buf_dma);
	if (ret) {
		dev_err(dev, "Identify Controller failed (%d)\n", ret);
		ret = ret < 0 ? ret : -EIO;
		goto out;
	}
	mnv_parse_id_ctrl(host, buf);
	ret = mnv_identify_nvm_limits(host, buf, buf_dma);
	if (ret) {
		dev_err(dev, "Identify of the NVM command set limits failed (%d)\n", ret);
		goto out;
	}

	/* The active list is overwritten by each Identify Namespace: copy. */
	nslist = kcalloc(list_len, sizeof(*nslist), GFP_KERNEL);
	if (!nslist) {
		ret = -ENOMEM;
		goto out;
	}
	ret = mnv_identify(host, NVME_ID_CNS_NS_ACTIVE_LIST, 0, buf_dma);
	if (ret) {
		dev_err(dev, "Identify Active Namespace List failed (%d)\n", ret);
		ret = ret < 0 ? ret : -EIO;
		goto out_list;
	}
	memcpy(nslist, buf, list_len * sizeof(*nslist));
	for (i = 0; i < list_len; i++) {
		nsid = le32_to_cpu(nslist[i]);
		if (!nsid)
			break;
		ret = mnv_add_namespace(host, nsid, buf, buf_dma);
		if (ret) {
			dev_err(dev, "Identify Namespace %u failed (%d)\n", nsid, ret);
			goto out_list;
		}
	}
out_list:
	kfree(nslist);
out:
	dma_free_coherent(dev, NVME_IDENTIFY_DATA_SIZE, buf, buf_dma);
	return ret;
}

/**
 * mnv_host_request_queues_locked - Set Features (Number of Queues)
 * @host: controller; caller holds host->admin_lock
 * @granted: receives the I/O queue pairs the controller grants
 *
 * Asks for as many pairs as the module can hand out.  The grant is
 * further bounded by the doorbells BAR0 actually maps.
 */
int mnv_host_request_queues_locked(struct mnv_host *host, u32 *granted)
{
	u32 wanted = MNV_MAX_HW_QPAIRS - 1, result = 0, nsqa, ncqa, fit;
	struct nvme_command cmd = { };
	int ret;

	lockdep_assert_held(&host->admin_lock);
	cmd.features.opcode = nvme_admin_set_features;
	cmd.features.fid = cpu_to_le32(NVME_FEAT_NUM_QUEUES);
	cmd.features.dword11 = cpu_to_le32(wanted | (wanted << 16));
	ret = mnv_admin_exec_locked(host, &cmd, &result);
	if (ret) {
		dev_err(mnv_host_dev(host), "Set Features (Number of Queues) failed (%d)\n", ret);
		return ret < 0 ? ret : -EIO;
	}
	nsqa = (result & 0xffff) + 1;
	ncqa = (result >> 16) + 1;
	fit = (host->bar_len - NVME_REG_DBS) / (2 * host->doorbell_stride) - 1;
	*granted = min3(min(nsqa, ncqa), fit, (u32)MNV_MAX_HW_QPAIRS);
	return 0;
}

/* Size the hardware queue pool at probe. */
int mnv_host_negotiate_queues(struct mnv_host *host)
{
	u32 granted;
	int ret;

	mutex_lock(&host->admin_lock);
	ret = mnv_host_request_queues_locked(host, &granted);
	mutex_unlock(&host->admin_lock);
	if (ret)
		return ret;
	host->nr_qpairs = granted;
	host->nr_free_qpairs = host->nr_qpairs;
	host->hwq_depth = min_t(u32, MNV_HW_QUEUE_DEPTH,
				NVME_CAP_MQES(host->cap) + 1);
	return 0;
}

const struct mnv_namespace *mnv_host_namespace(struct mnv_host *host,
					       u32 nsid)
{
	u32 i;

	for (i = 0; i < host->nr_namespaces; i++)
		if (host->namespaces[i].nsid == nsid)
			return &host->namespaces[i];
	return NULL;
}
