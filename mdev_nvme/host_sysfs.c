// SPDX-License-Identifier: GPL-2.0-only
/*
 * Facts about a bound controller, and its slice policy, below
 * /sys/bus/pci/devices/BDF/mdev_nvme/ (Documentation/sysfs.rst).
 */
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "host.h"
#include "instance.h"

static struct mnv_host *dev_to_host(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

static ssize_t model_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_to_host(dev)->model);
}
static DEVICE_ATTR_RO(model);

static ssize_t serial_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_to_host(dev)->serial);
}
static DEVICE_ATTR_RO(serial);

static ssize_t firmware_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", dev_to_host(dev)->firmware);
}
static DEVICE_ATTR_RO(firmware);

/*
 * The controller's command size limits, which bound the scrub's commands
 * and what guests are offered: 0 where it reports none.
 */
#define MNV_HOST_LIMIT_ATTR(name, expr)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	const struct mnv_host *host = dev_to_host(dev);			\
									\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(expr));	\
}									\
static DEVICE_ATTR_RO(name)

MNV_HOST_LIMIT_ATTR(max_transfer_bytes, host->max_transfer_bytes);
MNV_HOST_LIMIT_ATTR(write_zeroes_max_bytes, host->write_zeroes_limit ?
		    (u64)SZ_4K << min_t(u8, host->write_zeroes_limit, 32) : 0);
MNV_HOST_LIMIT_ATTR(dsm_max_ranges, host->dsm_max_ranges);
MNV_HOST_LIMIT_ATTR(dsm_range_max_blocks, host->dsm_range_max_lbas);
MNV_HOST_LIMIT_ATTR(dsm_max_blocks, host->dsm_max_lbas);

static ssize_t namespaces_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct mnv_host *host = dev_to_host(dev);
	const struct mnv_namespace *ns;
	int len = 0;
	u32 i;

	for (i = 0; i < host->nr_namespaces; i++) {
		ns = &host->namespaces[i];
		len += sysfs_emit_at(buf, len, "%u %llu %u\n", ns->nsid,
				     ns->lba_count, 1U << ns->lba_shift);
	}
	return len;
}
static DEVICE_ATTR_RO(namespaces);

static ssize_t queue_pairs_total_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_host(dev)->nr_qpairs);
}
static DEVICE_ATTR_RO(queue_pairs_total);

static ssize_t queue_pairs_free_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct mnv_host *host = dev_to_host(dev);
	unsigned int nr;

	mutex_lock(&host->lock);
	nr = host->nr_free_qpairs;
	mutex_unlock(&host->lock);
	return sysfs_emit(buf, "%u\n", nr);
}
static DEVICE_ATTR_RO(queue_pairs_free);

/* "live", or "failed" once the controller is cut off (rebind to recover). */
static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  READ_ONCE(dev_to_host(dev)->dead) ? "failed" : "live");
}
static DEVICE_ATTR_RO(state);

/* Controller resets the module did or went through to recover. */
static ssize_t resets_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	/* Not under admin_lock, which a slow admin command holds long. */
	return sysfs_emit(buf, "%u\n", READ_ONCE(dev_to_host(dev)->nr_resets));
}
static DEVICE_ATTR_RO(resets);

/*
 * default_slice_bytes: the size of the slice an instance created without
 * attributes gets; 0 for namespace 1 whole, claimed at open.  A decimal
 * number with an optional suffix K, M, G or T (powers of 1024).
 */
static int mnv_parse_bytes(const char *buf, u64 *bytes)
{
	static const char suffixes[] = "KMGT";
	char num[24], *sfx;
	size_t len = strcspn(buf, "\n");
	unsigned int shift = 0;
	u64 val;

	if (!len || len >= sizeof(num) || (buf[len] && buf[len + 1]))
		return -EINVAL;
	memcpy(num, buf, len);
	num[len] = '\0';
	sfx = strchr(suffixes, num[len - 1]);
	if (sfx && *sfx) {
		shift = 10 * (unsigned int)(sfx - suffixes + 1);
		num[len - 1] = '\0';
	}
	if (kstrtou64(num, 10, &val))
		return -EINVAL;
	/* Refused rather than wrapped: 16E must not read as 0 (off). */
	if (check_shl_overflow(val, shift, bytes))
		return -ERANGE;
	return 0;
}

static ssize_t default_slice_bytes_show(struct device *dev,
					struct device_attribute *attr,
					char *buf)
{
	struct mnv_host *host = dev_to_host(dev);
	u64 bytes;

	mutex_lock(&host->lock);
	bytes = host->default_slice_bytes;
	mutex_unlock(&host->lock);
	return sysfs_emit(buf, "%llu\n", bytes);
}

static ssize_t default_slice_bytes_store(struct device *dev,
					 struct device_attribute *attr,
					 const char *buf, size_t count)
{
	struct mnv_host *host = dev_to_host(dev);
	u64 bytes;
	int ret;

	ret = mnv_parse_bytes(buf, &bytes);
	if (ret)
		return ret;
	/* Namespaces are fixed since probe: no lock needed to check. */
	ret = mnv_policy_check(host, bytes);
	if (ret) {
		dev_info(dev, "default slice of %llu bytes refused: %s\n", bytes,
			 ret == -ERANGE ? "larger than every namespace" :
			 "not a whole number of LBAs of every namespace");
		return ret;
	}
	mutex_lock(&host->lock);
	host->default_slice_bytes = bytes;
	mutex_unlock(&host->lock);
	return count;
}
static DEVICE_ATTR_RW(default_slice_bytes);

/* scrub: 1 (default) to scrub former tenants' LBAs before reuse. */
static ssize_t scrub_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(dev_to_host(dev)->scrub));
}

static ssize_t scrub_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct mnv_host *host = dev_to_host(dev);
	struct mnv_instance *inst;
	bool val, resume;
	int ret;

	ret = kstrtobool(buf, &val);
	if (ret)
		return ret;
	mutex_lock(&host->lock);
	resume = val && !host->scrub;
	host->scrub = val;
	if (resume)
		list_for_each_entry(inst, &host->instances, host_node)
			mnv_scrub_resume_locked(inst);
	mutex_unlock(&host->lock);
	return count;
}
static DEVICE_ATTR_RW(scrub);

/* dirty: LBA ranges a former tenant wrote, "<nsid> <lba_start> <count>". */
static ssize_t dirty_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct mnv_host *host = dev_to_host(dev);
	struct mnv_extent *e;
	int len = 0;

	mutex_lock(&host->lock);
	list_for_each_entry(e, &host->dirty, node) {
		/* One page at most: the rest is left out, which is said. */
		if (len > PAGE_SIZE - 64) {
			len += sysfs_emit_at(buf, len, "...\n");
			break;
		}
		len += sysfs_emit_at(buf, len, "%u %llu %llu\n", e->nsid,
				     e->lba_start, e->lba_count);
	}
	mutex_unlock(&host->lock);
	return len;
}
static DEVICE_ATTR_RO(dirty);

static struct attribute *mnv_host_attrs[] = {
	&dev_attr_default_slice_bytes.attr,
	&dev_attr_scrub.attr,
	&dev_attr_dirty.attr,
	&dev_attr_state.attr,
	&dev_attr_resets.attr,
	&dev_attr_model.attr,
	&dev_attr_serial.attr,
	&dev_attr_firmware.attr,
	&dev_attr_namespaces.attr,
	&dev_attr_max_transfer_bytes.attr,
	&dev_attr_write_zeroes_max_bytes.attr,
	&dev_attr_dsm_max_ranges.attr,
	&dev_attr_dsm_range_max_blocks.attr,
	&dev_attr_dsm_max_blocks.attr,
	&dev_attr_queue_pairs_total.attr,
	&dev_attr_queue_pairs_free.attr,
	NULL
};

static const struct attribute_group mnv_host_group = {
	.name = MNV_PARENT_GROUP,
	.attrs = mnv_host_attrs,
};

const struct attribute_group *mnv_host_groups[] = {
	&mnv_host_group,
	NULL
};
