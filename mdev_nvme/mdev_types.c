// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev types of a controller: one per number of hardware queue pairs an
 * instance reserves.  A type needing more pairs than the controller
 * granted is not offered at all.
 */
#include <linux/kernel.h>
#include <linux/mdev.h>

#include "host.h"
#include "instance.h"

static const unsigned int mnv_type_qpairs[MNV_NR_TYPES] = MNV_TYPE_QPAIRS;

static const char * const mnv_type_sysfs_names[MNV_NR_TYPES] = {
	"1q", "2q", "4q", "8q"
};

static const char * const mnv_type_pretty_names[MNV_NR_TYPES] = {
	MNV_TYPE_PREFIX "1q", MNV_TYPE_PREFIX "2q",
	MNV_TYPE_PREFIX "4q", MNV_TYPE_PREFIX "8q"
};

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

	for (i = 0; i < MNV_NR_TYPES; i++) {
		if (mnv_type_qpairs[i] > host->nr_qpairs)
			continue;
		host->types[n].qpairs = mnv_type_qpairs[i];
		host->types[n].mtype.sysfs_name = mnv_type_sysfs_names[i];
		host->types[n].mtype.pretty_name = mnv_type_pretty_names[i];
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
