// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev types of a controller: one per number of hardware queue pairs an
 * instance reserves.  A type needing more pairs than the controller
 * granted is not offered at all.
 */
#include <linux/kernel.h>
#include <linux/mdev.h>
#include <linux/stringify.h>

#include "host.h"
#include "instance.h"

struct mnv_type_def {
	unsigned int qpairs;
	const char *sysfs_name;		/* "<n>q" */
	const char *pretty_name;	/* "nvme-<n>q" */
};

/* Both names of a type follow from its number of queue pairs. */
#define MNV_TYPE_DEF(n) {						\
	.qpairs = (n),							\
	.sysfs_name = __stringify(n) "q",				\
	.pretty_name = MNV_TYPE_PREFIX __stringify(n) "q",		\
}

/*
 * The one table of types, smallest first.  Powers of two, so that a
 * controller's pairs split into few types; the largest is the limit an
 * instance has room for.
 */
static const struct mnv_type_def mnv_type_defs[] = {
	MNV_TYPE_DEF(1),
	MNV_TYPE_DEF(2),
	MNV_TYPE_DEF(4),
	MNV_TYPE_DEF(MNV_INSTANCE_MAX_QPAIRS),
};

static_assert(ARRAY_SIZE(mnv_type_defs) == MNV_NR_TYPES);
/* The table stays sorted, and the largest type's name stays "8q". */
static_assert(MNV_INSTANCE_MAX_QPAIRS == 8);

static struct mnv_host *mnv_type_host(struct mdev_type *mtype)
{
	return container_of(mtype->parent, struct mnv_host, parent);
}

/*
 * Free queue pairs, and with a slice policy free space for a default
 * slice too: what a creation with nothing but a UUID would get.
 */
unsigned int mnv_mdev_get_available(struct mdev_type *mtype)
{
	struct mnv_type *type = container_of(mtype, struct mnv_type, mtype);
	struct mnv_host *host = mnv_type_host(mtype);
	unsigned int avail;

	mutex_lock(&host->lock);
	avail = host->nr_free_qpairs / type->qpairs;
	if (host->default_slice_bytes)
		avail = min(avail, mnv_policy_fit_locked(host));
	mutex_unlock(&host->lock);
	return avail;
}

/* mdevctl shows the lines joined by ", ". */
ssize_t mnv_mdev_show_description(struct mdev_type *mtype, char *buf)
{
	struct mnv_type *type = container_of(mtype, struct mnv_type, mtype);
	struct mnv_host *host = mnv_type_host(mtype);
	u64 bytes;
	int len;

	mutex_lock(&host->lock);
	bytes = host->default_slice_bytes;
	mutex_unlock(&host->lock);
	len = sysfs_emit(buf, "virtual NVMe controller with %u I/O queue pair(s)\n",
			 type->qpairs);
	if (bytes)
		len += sysfs_emit_at(buf, len, "namespace slice of %llu bytes (%llu MiB)\n",
				     bytes, bytes >> 20);
	else
		len += sysfs_emit_at(buf, len, "namespace slice: whole namespace %u unless set\n",
				     host->nr_namespaces ?
				     host->namespaces[0].nsid : 1);
	return len;
}

int mnv_mdev_parent_register(struct mnv_host *host)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(mnv_type_defs); i++) {
		const struct mnv_type_def *def = &mnv_type_defs[i];

		if (def->qpairs > host->nr_qpairs)
			continue;
		host->types[n].qpairs = def->qpairs;
		host->types[n].mtype.sysfs_name = def->sysfs_name;
		host->types[n].mtype.pretty_name = def->pretty_name;
		host->type_ptrs[n] = &host->types[n].mtype;
		n++;
	}
	if (!n) {
		dev_err(mnv_host_dev(host), "controller granted no I/O queue pair\n");
		return -ENOSPC;
	}
	host->nr_types = n;
	return mdev_register_parent(&host->parent, mnv_host_dev(host),
				    &mnv_mdev_driver, host->type_ptrs, n);
}

void mnv_mdev_parent_unregister(struct mnv_host *host)
{
	mdev_unregister_parent(&host->parent);
}
