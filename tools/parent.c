// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-nvme: what sysfs says about parents (PCI functions bound to mdev_nvme)
 * and the mdev types they offer.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mnv.h"

bool mnv_module_loaded(void)
{
	return mnv_exists("/sys/bus/pci/drivers/%s", MNV_DRIVER_NAME);
}

/* An empty name means: bound to no driver. */
int mnv_driver_of(const char *bdf, char *drv, size_t len)
{
	int ret = mnv_link_name(drv, len, "/sys/bus/pci/devices/%s/driver", bdf);

	if (ret == -ENOENT) {
		drv[0] = '\0';
		ret = 0;
	}
	return ret;
}

/*
 * The checks every command that acts on an NVMe PCI function starts with
 * (need_bound: also that it is a parent, bound to mdev_nvme), in the order
 * that gives the most useful message first.  Prints the error.
 */
int mnv_check_nvme_dev(const char *bdf, bool need_bound)
{
	char buf[64], drv[MNV_NAME_LEN];
	unsigned long class;
	char *end;
	int ret;

	if (!mnv_exists("/sys/bus/pci/devices/%s", bdf)) {
		mnv_err("no PCI device %s", bdf);
		return MNV_EXIT_FAIL;
	}
	ret = mnv_read(buf, sizeof(buf), "/sys/bus/pci/devices/%s/class", bdf);
	if (ret) {
		mnv_err("cannot read the PCI class of %s: %s", bdf, strerror(-ret));
		return MNV_EXIT_FAIL;
	}
	class = strtoul(buf, &end, 16);
	if (*end || end == buf || class != MNV_PCI_CLASS_NVME) {
		mnv_err("%s is not an NVMe controller (PCI class %s, NVMe is 0x%06lx)",
			bdf, buf, MNV_PCI_CLASS_NVME);
		return MNV_EXIT_FAIL;
	}
	if (!mnv_module_loaded()) {
		mnv_err("the %s module is not loaded (load it: modprobe %s)",
			MNV_DRIVER_NAME, MNV_DRIVER_NAME);
		return MNV_EXIT_FAIL;
	}
	if (!need_bound)
		return MNV_EXIT_OK;
	ret = mnv_driver_of(bdf, drv, sizeof(drv));
	if (ret) {
		mnv_err("cannot read the driver of %s: %s", bdf, strerror(-ret));
		return MNV_EXIT_FAIL;
	}
	if (strcmp(drv, MNV_DRIVER_NAME)) {
		mnv_err("%s is not bound to %s (bind it first: %s bind %s)",
			bdf, MNV_DRIVER_NAME, MNV_PROG, bdf);
		return MNV_EXIT_FAIL;
	}
	return MNV_EXIT_OK;
}

static int parse_namespaces(char *buf, struct mnv_parent *p)
{
	char *line, *save = NULL;

	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[3], *fsave = NULL;
		uint64_t v[3];
		struct mnv_ns *ns;
		int i;

		for (i = 0; i < 3; i++) {
			f[i] = strtok_r(i ? NULL : line, " \t", &fsave);
			if (!f[i] || mnv_parse_u64(f[i], &v[i]))
				return -EINVAL;
		}
		if (strtok_r(NULL, " \t", &fsave) || v[0] > UINT32_MAX ||
		    v[2] > UINT32_MAX)
			return -EINVAL;
		ns = mnv_array_grow(&p->ns, &p->nr_ns, sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		ns->nsid = (uint32_t)v[0];
		ns->lba_count = v[1];
		ns->lba_size = (uint32_t)v[2];
	}
	return 0;
}

static int cmp_type(const void *a, const void *b)
{
	const struct mnv_parent_type *x = a, *y = b;

	return (x->qpairs > y->qpairs) - (x->qpairs < y->qpairs);
}

/* Type directories are "mdev_nvme-<n>q"; others are not ours to offer. */
static int type_qpairs(const char *dir, unsigned int *qpairs)
{
	size_t plen = strlen(MNV_TYPE_DIR_PREFIX);
	uint64_t n;
	char num[16];
	size_t len;

	if (strncmp(dir, MNV_TYPE_DIR_PREFIX, plen))
		return -EINVAL;
	dir += plen;
	len = strlen(dir);
	if (len < 2 || len >= sizeof(num) || dir[len - 1] != 'q')
		return -EINVAL;
	memcpy(num, dir, len - 1);
	num[len - 1] = '\0';
	if (mnv_parse_u64(num, &n) || !n || n > UINT_MAX)
		return -EINVAL;
	*qpairs = (unsigned int)n;
	return 0;
}

static int load_types(struct mnv_parent *p)
{
	char path[MNV_PATH_LEN];
	struct dirent *de;
	DIR *d;
	int ret;

	ret = mnv_path(path, sizeof(path),
		       "/sys/bus/pci/devices/%s/mdev_supported_types", p->bdf);
	if (ret)
		return ret;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct mnv_parent_type *t;
		unsigned int qp;

		if (type_qpairs(de->d_name, &qp) ||
		    strlen(de->d_name) >= sizeof(t->dir))
			continue;
		t = mnv_array_grow(&p->types, &p->nr_types, sizeof(*t));
		if (!t) {
			closedir(d);
			return -ENOMEM;
		}
		strcpy(t->dir, de->d_name);
		mnv_type_name(t->dir, t->name, sizeof(t->name));
		t->qpairs = qp;
		if (mnv_read_s64(&t->avail,
				 "/sys/bus/pci/devices/%s/mdev_supported_types/%s/available_instances",
				 p->bdf, t->dir))
			t->avail = -1;
	}
	closedir(d);
	if (p->nr_types)
		qsort(p->types, p->nr_types, sizeof(*p->types), cmp_type);
	return 0;
}

int mnv_load_parent(const char *bdf, struct mnv_parent *p)
{
	static const char grp[] = "/sys/bus/pci/devices/%s/" MNV_PARENT_GROUP "/%s";
	char buf[16384];
	int ret;

	memset(p, 0, sizeof(*p));
	snprintf(p->bdf, sizeof(p->bdf), "%s", bdf);
	/* Descriptive strings are best effort; a missing one is shown empty. */
	if (mnv_read(p->model, sizeof(p->model), grp, bdf, "model"))
		p->model[0] = '\0';
	if (mnv_read(p->serial, sizeof(p->serial), grp, bdf, "serial"))
		p->serial[0] = '\0';
	if (mnv_read(p->firmware, sizeof(p->firmware), grp, bdf, "firmware"))
		p->firmware[0] = '\0';
	if (mnv_read_s64(&p->qp_total, grp, bdf, "queue_pairs_total"))
		p->qp_total = -1;
	if (mnv_read_s64(&p->qp_free, grp, bdf, "queue_pairs_free"))
		p->qp_free = -1;
	p->ns_err = mnv_read(buf, sizeof(buf), grp, bdf, "namespaces");
	if (!p->ns_err)
		p->ns_err = parse_namespaces(buf, p);
	ret = load_types(p);
	if (ret)
		mnv_free_parent(p);
	return ret;
}

void mnv_free_parent(struct mnv_parent *p)
{
	free(p->ns);
	free(p->types);
	p->ns = NULL;
	p->types = NULL;
	p->nr_ns = 0;
	p->nr_types = 0;
}

const struct mnv_ns *mnv_find_ns(const struct mnv_parent *p, uint64_t nsid)
{
	size_t i;

	for (i = 0; i < p->nr_ns; i++)
		if (p->ns[i].nsid == nsid)
			return &p->ns[i];
	return NULL;
}

/* Accepts the directory name, the "name" attribute or just "<n>q". */
const struct mnv_parent_type *mnv_find_parent_type(const struct mnv_parent *p,
						   const char *spec)
{
	size_t plen = strlen(MNV_TYPE_DIR_PREFIX);
	size_t i;

	for (i = 0; i < p->nr_types; i++) {
		const struct mnv_parent_type *t = &p->types[i];

		if (!strcasecmp(spec, t->dir) || !strcasecmp(spec, t->name) ||
		    !strcasecmp(spec, t->dir + plen))
			return t;
	}
	return NULL;
}

void mnv_type_name(const char *dir, char *out, size_t len)
{
	size_t plen = strlen(MNV_TYPE_DIR_PREFIX);

	if (!strncmp(dir, MNV_TYPE_DIR_PREFIX, plen))
		snprintf(out, len, "%s%s", MNV_TYPE_PREFIX, dir + plen);
	else
		snprintf(out, len, "%s", dir);
}

static int cmp_bdf(const void *a, const void *b)
{
	const struct mnv_bdf *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* The driver directory holds one link per bound device, named by its BDF. */
int mnv_bound_parents(struct mnv_bdf **bdfs, size_t *nr)
{
	char path[MNV_PATH_LEN], bdf[MNV_BDF_LEN];
	struct mnv_bdf *v = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int ret;

	*bdfs = NULL;
	*nr = 0;
	ret = mnv_path(path, sizeof(path), "/sys/bus/pci/drivers/%s",
		       MNV_DRIVER_NAME);
	if (ret)
		return ret;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		void *nv;

		if (mnv_parse_bdf(de->d_name, bdf, sizeof(bdf)) ||
		    strcmp(bdf, de->d_name))
			continue;
		nv = mnv_array_grow(&v, &n, sizeof(*v));
		if (!nv) {
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		strcpy(((struct mnv_bdf *)nv)->name, bdf);
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_bdf);
	*bdfs = v;
	*nr = n;
	return 0;
}
