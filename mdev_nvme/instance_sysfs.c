// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-instance sysfs attributes (Documentation/sysfs.rst).  The slice and
 * the polling CPU can be changed only while no VMM holds the device open.
 */
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/mdev.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "instance.h"

static struct mnv_instance *dev_to_instance(struct device *dev)
{
	return dev_get_drvdata(dev);
}

static const char *mnv_slice_error(int err)
{
	switch (err) {
	case -ENXIO:
		return "no such namespace";
	case -ERANGE:
		return "slice does not fit in the namespace";
	case -EEXIST:
		return "slice overlaps another instance";
	default:
		return "invalid slice";
	}
}

enum mnv_slice_field { MNV_FIELD_NSID, MNV_FIELD_START, MNV_FIELD_COUNT };

static bool mnv_slices_equal(const struct mnv_slice *a,
			     const struct mnv_slice *b)
{
	return a->nsid == b->nsid && a->lba_start == b->lba_start &&
	       a->lba_count == b->lba_count;
}

static ssize_t mnv_slice_set(struct device *dev, const char *buf,
			     size_t count, enum mnv_slice_field field)
{
	struct mnv_instance *inst = dev_to_instance(dev);
	struct mnv_host *host = inst->host;
	struct mnv_extent *node;
	struct mnv_slice slice;
	u64 val;
	int ret;

	ret = kstrtou64(buf, 10, &val);
	if (ret)
		return ret;
	if (field == MNV_FIELD_NSID && (val == 0 || val > U32_MAX))
		return -ENXIO;
	/* Records the old slice as dirty if the instance wrote to it. */
	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return -ENOMEM;

	/* inst->lock: waits for a scrub command on the old slice to end. */
	mutex_lock(&inst->lock);
	mutex_lock(&host->lock);
	if (inst->open) {
		ret = -EBUSY;
		goto out;
	}
	/*
	 * The first explicit write replaces a slice the policy carved with
	 * the default one, so that nsid, lba_start, lba_count written in
	 * that order claim nothing in between, as without a policy.
	 */
	if (inst->slice_auto)
		mnv_slice_default(host, &slice);
	else
		slice = inst->slice;
	if (field == MNV_FIELD_NSID)
		slice.nsid = val;
	else if (field == MNV_FIELD_START)
		slice.lba_start = val;
	else
		slice.lba_count = val;
	ret = mnv_slice_check_locked(inst, &slice);
	if (ret) {
		dev_info(dev, "slice nsid %u lba %llu+%llu refused: %s\n",
			 slice.nsid, slice.lba_start, slice.lba_count,
			 mnv_slice_error(ret));
		goto out;
	}
	if (mnv_slices_equal(&slice, &inst->slice) && !inst->slice_auto)
		goto out;
	if (inst->wrote) {
		mnv_dirty_add_locked(host, &inst->slice,
				     mnv_instance_uuid(inst), &node);
		inst->wrote = false;
	}
	inst->slice = slice;
	inst->slice_auto = false;
	mnv_scrub_restart_locked(inst, false);
out:
	mutex_unlock(&host->lock);
	mutex_unlock(&inst->lock);
	kfree(node);
	return ret ? ret : count;
}

/* nsid, lba_start and lba_count: one field of the slice each */
struct mnv_slice_attr {
	struct device_attribute dattr;
	enum mnv_slice_field field;
};

#define MNV_SLICE_ATTR(_name, _field)					\
	struct mnv_slice_attr mnv_attr_##_name = {			\
		__ATTR(_name, 0644, mnv_slice_show, mnv_slice_store),	\
		_field							\
	}

static ssize_t mnv_slice_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	const struct mnv_slice *slice = &dev_to_instance(dev)->slice;

	switch (container_of(attr, struct mnv_slice_attr, dattr)->field) {
	case MNV_FIELD_NSID:
		return sysfs_emit(buf, "%u\n", READ_ONCE(slice->nsid));
	case MNV_FIELD_START:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(slice->lba_start));
	case MNV_FIELD_COUNT:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(slice->lba_count));
	}
	return -EINVAL;
}

static ssize_t mnv_slice_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t count)
{
	return mnv_slice_set(dev, buf, count,
			     container_of(attr, struct mnv_slice_attr,
					  dattr)->field);
}

static MNV_SLICE_ATTR(nsid, MNV_FIELD_NSID);
static MNV_SLICE_ATTR(lba_start, MNV_FIELD_START);
static MNV_SLICE_ATTR(lba_count, MNV_FIELD_COUNT);

/*
 * Settings of the polling thread may change only while the device is
 * closed.  Return: 0, or -EBUSY if it is open.
 */
static int mnv_closed_locked(struct mnv_instance *inst)
{
	lockdep_assert_held(&inst->host->lock);
	return inst->open ? -EBUSY : 0;
}

static ssize_t cpu_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(dev_to_instance(dev)->cpu));
}

static ssize_t cpu_store(struct device *dev, struct device_attribute *attr,
			 const char *buf, size_t count)
{
	struct mnv_instance *inst = dev_to_instance(dev);
	int cpu, ret;

	ret = kstrtoint(buf, 10, &cpu);
	if (ret)
		return ret;
	if (cpu != MNV_CPU_ANY &&
	    (cpu < 0 || cpu >= nr_cpu_ids || !cpu_online(cpu)))
		return -ENXIO;

	mutex_lock(&inst->host->lock);
	ret = mnv_closed_locked(inst);
	if (!ret)
		inst->cpu = cpu;
	mutex_unlock(&inst->host->lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(cpu);

static const char * const mnv_mode_names[] = MNV_MODE_NAMES;
static_assert(ARRAY_SIZE(mnv_mode_names) == MNV_IO_NR_MODES);

static ssize_t mode_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  mnv_mode_names[READ_ONCE(dev_to_instance(dev)->mode)]);
}

static ssize_t mode_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	struct mnv_instance *inst = dev_to_instance(dev);
	int mode, ret;

	mode = sysfs_match_string(mnv_mode_names, buf);
	if (mode < 0)
		return mode;

	mutex_lock(&inst->host->lock);
	ret = mnv_closed_locked(inst);
	if (!ret)
		inst->mode = mode;
	mutex_unlock(&inst->host->lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(mode);

/*
 * Which thread serves the open device: "poll<N>", the shared poller of
 * CPU N (poll mode), "thread", one of its own (the other modes), "none"
 * while closed.
 */
static ssize_t poller_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	int cpu = READ_ONCE(dev_to_instance(dev)->poller_cpu);

	if (cpu >= 0)
		return sysfs_emit(buf, "poll%d\n", cpu);
	return sysfs_emit(buf, "%s\n", cpu == MNV_POLLER_OWN ? "thread" : "none");
}
static DEVICE_ATTR_RO(poller);

static ssize_t idle_us_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dev_to_instance(dev)->idle_us));
}

static ssize_t idle_us_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct mnv_instance *inst = dev_to_instance(dev);
	u32 val;
	int ret;

	ret = kstrtou32(buf, 10, &val);
	if (ret)
		return ret;
	if (val > MNV_IDLE_US_MAX)
		return -ERANGE;

	mutex_lock(&inst->host->lock);
	ret = mnv_closed_locked(inst);
	if (!ret)
		inst->idle_us = val;
	mutex_unlock(&inst->host->lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(idle_us);

static ssize_t queue_pairs_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_instance(dev)->nr_qpairs);
}
static DEVICE_ATTR_RO(queue_pairs);

static ssize_t hw_qids_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct mnv_instance *inst = dev_to_instance(dev);
	unsigned int i;
	int len = 0;

	for (i = 0; i < inst->nr_qpairs; i++)
		len += sysfs_emit_at(buf, len, "%s%u", i ? " " : "",
				     inst->qids[i]);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}
static DEVICE_ATTR_RO(hw_qids);

/* Of the instance's hardware queue pairs, those with an MSI-X vector. */
static ssize_t hw_vectors_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct mnv_instance *inst = dev_to_instance(dev);
	unsigned int i, n = 0;

	for (i = 0; i < inst->nr_qpairs; i++)
		n += mnv_host_qid_has_irq(inst->host, inst->qids[i]);
	return sysfs_emit(buf, "%u\n", n);
}
static DEVICE_ATTR_RO(hw_vectors);

static ssize_t open_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(dev_to_instance(dev)->open));
}
static DEVICE_ATTR_RO(open);

static ssize_t pinned_pages_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct mnv_instance *inst = dev_to_instance(dev);

	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&inst->io.pinned_pages));
}
static DEVICE_ATTR_RO(pinned_pages);

/*
 * scrub: where the slice stands with former tenants' data; writing 1 asks
 * for a scrub now (between two tenants of the same instance, say).
 */
static ssize_t scrub_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct mnv_instance *inst = dev_to_instance(dev);
	const char *state;

	mutex_lock(&inst->host->lock);
	if (inst->scrub.state == MNV_SCRUB_CLEAN)
		state = "clean";
	else if (inst->scrub.state == MNV_SCRUB_FAILED)
		state = "failed";
	else if (inst->scrub.running)
		state = "scrubbing";
	else
		state = "pending";
	mutex_unlock(&inst->host->lock);
	return sysfs_emit(buf, "%s\n", state);
}

static ssize_t scrub_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct mnv_instance *inst = dev_to_instance(dev);
	bool val;
	int ret;

	ret = kstrtobool(buf, &val);
	if (ret)
		return ret;
	if (!val)
		return -EINVAL;
	mutex_lock(&inst->lock);
	mutex_lock(&inst->host->lock);
	if (inst->open)
		ret = -EBUSY;
	else
		mnv_scrub_restart_locked(inst, true);
	mutex_unlock(&inst->host->lock);
	mutex_unlock(&inst->lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(scrub);

/* LBAs of the slice scrubbed so far, and of the whole scrub. */
static ssize_t scrub_progress_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct mnv_instance *inst = dev_to_instance(dev);
	u64 done, total;

	mutex_lock(&inst->host->lock);
	done = inst->scrub.done;
	total = inst->scrub.total;
	mutex_unlock(&inst->host->lock);
	return sysfs_emit(buf, "%llu %llu\n", done, total);
}
static DEVICE_ATTR_RO(scrub_progress);

static struct attribute *mnv_instance_attrs[] = {
	&dev_attr_scrub.attr,
	&dev_attr_scrub_progress.attr,
	&mnv_attr_nsid.dattr.attr,
	&mnv_attr_lba_start.dattr.attr,
	&mnv_attr_lba_count.dattr.attr,
	&dev_attr_cpu.attr,
	&dev_attr_mode.attr,
	&dev_attr_poller.attr,
	&dev_attr_idle_us.attr,
	&dev_attr_queue_pairs.attr,
	&dev_attr_hw_qids.attr,
	&dev_attr_hw_vectors.attr,
	&dev_attr_open.attr,
	&dev_attr_pinned_pages.attr,
	NULL
};

static const struct attribute_group mnv_instance_group = {
	.attrs = mnv_instance_attrs,
};

/* stats/: one counter of struct mnv_io_stats per file. */
struct mnv_stat_attr {
	struct device_attribute attr;
	size_t offset;
};

static ssize_t mnv_stat_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct mnv_stat_attr *sa = container_of(attr, struct mnv_stat_attr,
						attr);
	struct mnv_instance *inst = dev_to_instance(dev);
	u64 val;

	/* Under the lock: 64-bit counters are not read torn anywhere. */
	mutex_lock(&inst->lock);
	val = *(u64 *)((char *)&inst->stats + sa->offset);
	mutex_unlock(&inst->lock);
	return sysfs_emit(buf, "%llu\n", val);
}

/* Counted outside inst->lock, by the hardware queues' interrupt. */
static ssize_t hw_irqs_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&dev_to_instance(dev)->hw_irqs));
}
static DEVICE_ATTR_RO(hw_irqs);

#define MNV_STAT_ATTR(_name, _offset)					\
	{ __ATTR(_name, 0444, mnv_stat_show, NULL), (_offset) }
#define MNV_STAT(field)	offsetof(struct mnv_io_stats, field)

static struct mnv_stat_attr mnv_stat_read_cmds =
	MNV_STAT_ATTR(read_cmds, MNV_STAT(read_cmds));
static struct mnv_stat_attr mnv_stat_write_cmds =
	MNV_STAT_ATTR(write_cmds, MNV_STAT(write_cmds));
static struct mnv_stat_attr mnv_stat_other_cmds =
	MNV_STAT_ATTR(other_cmds, MNV_STAT(other_cmds));
static struct mnv_stat_attr mnv_stat_read_bytes =
	MNV_STAT_ATTR(read_bytes, MNV_STAT(read_bytes));
static struct mnv_stat_attr mnv_stat_write_bytes =
	MNV_STAT_ATTR(write_bytes, MNV_STAT(write_bytes));
static struct mnv_stat_attr mnv_stat_refused_cmds =
	MNV_STAT_ATTR(refused_cmds, MNV_STAT(refused_cmds));
static struct mnv_stat_attr mnv_stat_stray_cqes =
	MNV_STAT_ATTR(stray_cqes, MNV_STAT(stray_cqes));
static struct mnv_stat_attr mnv_stat_pin_hits =
	MNV_STAT_ATTR(pin_hits, MNV_STAT(pin_hits));
static struct mnv_stat_attr mnv_stat_pin_misses =
	MNV_STAT_ATTR(pin_misses, MNV_STAT(pin_misses));
static struct mnv_stat_attr mnv_stat_polls =
	MNV_STAT_ATTR(polls, MNV_STAT(polls));
static struct mnv_stat_attr mnv_stat_idle_sleeps =
	MNV_STAT_ATTR(idle_sleeps, MNV_STAT(idle_sleeps));
static struct mnv_stat_attr mnv_stat_irq_waits =
	MNV_STAT_ATTR(irq_waits, MNV_STAT(irq_waits));
static struct mnv_stat_attr mnv_stat_hw_naps =
	MNV_STAT_ATTR(hw_naps, MNV_STAT(hw_naps));
static struct mnv_stat_attr mnv_stat_guest_irqs =
	MNV_STAT_ATTR(guest_irqs, MNV_STAT(guest_irqs));
static struct mnv_stat_attr mnv_stat_host_doorbells =
	MNV_STAT_ATTR(host_doorbells, MNV_STAT(host_doorbells));
static struct mnv_stat_attr mnv_stat_mmio_doorbells =
	MNV_STAT_ATTR(mmio_doorbells, MNV_STAT(mmio_doorbells));
static struct mnv_stat_attr mnv_stat_aborted_cmds =
	MNV_STAT_ATTR(aborted_cmds, MNV_STAT(aborted_cmds));
static struct mnv_stat_attr mnv_stat_queue_restarts =
	MNV_STAT_ATTR(queue_restarts, MNV_STAT(queue_restarts));
static struct mnv_stat_attr mnv_stat_poller_handoffs =
	MNV_STAT_ATTR(poller_handoffs, MNV_STAT(poller_handoffs));
static struct mnv_stat_attr mnv_stat_turn_fetch_peak =
	MNV_STAT_ATTR(turn_fetch_peak, MNV_STAT(turn_fetch_peak));
static struct mnv_stat_attr mnv_stat_turn_cqe_peak =
	MNV_STAT_ATTR(turn_cqe_peak, MNV_STAT(turn_cqe_peak));
static struct mnv_stat_attr mnv_stat_cache_flushes =
	MNV_STAT_ATTR(cache_flushes, MNV_STAT(cache_flushes));
static struct mnv_stat_attr mnv_stat_bounce_waits =
	MNV_STAT_ATTR(bounce_waits, MNV_STAT(bounce_waits));
static struct mnv_stat_attr mnv_stat_bounce_peak =
	MNV_STAT_ATTR(bounce_peak, MNV_STAT(bounce_peak));
static struct mnv_stat_attr mnv_stat_list_reads =
	MNV_STAT_ATTR(list_reads, MNV_STAT(list_reads));
static struct mnv_stat_attr mnv_stat_list_reads_rw =
	MNV_STAT_ATTR(list_reads_rw, MNV_STAT(list_reads_rw));
static struct mnv_stat_attr mnv_stat_list_read_ns =
	MNV_STAT_ATTR(list_read_ns, MNV_STAT(list_read_ns));

static struct attribute *mnv_stat_attrs[] = {
	&mnv_stat_read_cmds.attr.attr,
	&mnv_stat_write_cmds.attr.attr,
	&mnv_stat_other_cmds.attr.attr,
	&mnv_stat_read_bytes.attr.attr,
	&mnv_stat_write_bytes.attr.attr,
	&mnv_stat_refused_cmds.attr.attr,
	&mnv_stat_stray_cqes.attr.attr,
	&mnv_stat_pin_hits.attr.attr,
	&mnv_stat_pin_misses.attr.attr,
	&mnv_stat_polls.attr.attr,
	&mnv_stat_idle_sleeps.attr.attr,
	&mnv_stat_irq_waits.attr.attr,
	&mnv_stat_hw_naps.attr.attr,
	&mnv_stat_guest_irqs.attr.attr,
	&dev_attr_hw_irqs.attr,
	&mnv_stat_host_doorbells.attr.attr,
	&mnv_stat_mmio_doorbells.attr.attr,
	&mnv_stat_aborted_cmds.attr.attr,
	&mnv_stat_queue_restarts.attr.attr,
	&mnv_stat_poller_handoffs.attr.attr,
	&mnv_stat_turn_fetch_peak.attr.attr,
	&mnv_stat_turn_cqe_peak.attr.attr,
	&mnv_stat_cache_flushes.attr.attr,
	&mnv_stat_bounce_waits.attr.attr,
	&mnv_stat_bounce_peak.attr.attr,
	&mnv_stat_list_reads.attr.attr,
	&mnv_stat_list_reads_rw.attr.attr,
	&mnv_stat_list_read_ns.attr.attr,
	NULL
};

static const struct attribute_group mnv_stat_group = {
	.name = "stats",
	.attrs = mnv_stat_attrs,
};

const struct attribute_group *mnv_instance_groups[] = {
	&mnv_instance_group,
	&mnv_stat_group,
	NULL
};
