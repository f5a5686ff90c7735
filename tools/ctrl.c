// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-nvme: what sysfs says about controllers, mdev types and instances.
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
 * The checks every command that acts on a controller starts with, in the
 * order that gives the most useful message first.  Prints the error.
 */
int mnv_check_ctrl(const char *bdf, bool need_bound)
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

static int parse_namespaces(char *buf, struct mnv_ctrl *c)
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
		ns = realloc(c->ns, (c->nr_ns + 1) * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		c->ns = ns;
		ns += c->nr_ns++;
		ns->nsid = (uint32_t)v[0];
		ns->lba_count = v[1];
		ns->lba_size = (uint32_t)v[2];
	}
	return 0;
}

static int cmp_type(const void *a, const void *b)
{
	const struct mnv_type *x = a, *y = b;

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

static int load_types(struct mnv_ctrl *c)
{
	char path[MNV_PATH_LEN];
	struct dirent *de;
	DIR *d;
	int ret;

	ret = mnv_path(path, sizeof(path),
		       "/sys/bus/pci/devices/%s/mdev_supported_types", c->bdf);
	if (ret)
		return ret;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct mnv_type *t;
		unsigned int qp;

		if (type_qpairs(de->d_name, &qp) ||
		    strlen(de->d_name) >= sizeof(t->dir))
			continue;
		t = realloc(c->types, (c->nr_types + 1) * sizeof(*t));
		if (!t) {
			closedir(d);
			return -ENOMEM;
		}
		c->types = t;
		t += c->nr_types++;
		strcpy(t->dir, de->d_name);
		mnv_type_name(t->dir, t->name, sizeof(t->name));
		t->qpairs = qp;
		if (mnv_read_s64(&t->avail,
				 "/sys/bus/pci/devices/%s/mdev_supported_types/%s/available_instances",
				 c->bdf, t->dir))
			t->avail = -1;
	}
	closedir(d);
	if (c->nr_types)
		qsort(c->types, c->nr_types, sizeof(*c->types), cmp_type);
	return 0;
}

int mnv_load_ctrl(const char *bdf, struct mnv_ctrl *c)
{
	static const char grp[] = "/sys/bus/pci/devices/%s/" MNV_PARENT_GROUP "/%s";
	char buf[16384];
	int ret;

	memset(c, 0, sizeof(*c));
	snprintf(c->bdf, sizeof(c->bdf), "%s", bdf);
	/* Descriptive strings are best effort; a missing one is shown empty. */
	if (mnv_read(c->model, sizeof(c->model), grp, bdf, "model"))
		c->model[0] = '\0';
	if (mnv_read(c->serial, sizeof(c->serial), grp, bdf, "serial"))
		c->serial[0] = '\0';
	if (mnv_read(c->firmware, sizeof(c->firmware), grp, bdf, "firmware"))
		c->firmware[0] = '\0';
	if (mnv_read_s64(&c->qp_total, grp, bdf, "queue_pairs_total"))
		c->qp_total = -1;
	if (mnv_read_s64(&c->qp_free, grp, bdf, "queue_pairs_free"))
		c->qp_free = -1;
	c->ns_err = mnv_read(buf, sizeof(buf), grp, bdf, "namespaces");
	if (!c->ns_err)
		c->ns_err = parse_namespaces(buf, c);
	ret = load_types(c);
	if (ret)
		mnv_free_ctrl(c);
	return ret;
}

void mnv_free_ctrl(struct mnv_ctrl *c)
{
	free(c->ns);
	free(c->types);
	c->ns = NULL;
	c->types = NULL;
	c->nr_ns = 0;
	c->nr_types = 0;
}

const struct mnv_ns *mnv_find_ns(const struct mnv_ctrl *c, uint64_t nsid)
{
	size_t i;

	for (i = 0; i < c->nr_ns; i++)
		if (c->ns[i].nsid == nsid)
			return &c->ns[i];
	return NULL;
}

/* Accepts the directory name, the "name" attribute or just "<n>q". */
const struct mnv_type *mnv_find_type(const struct mnv_ctrl *c, const char *spec)
{
	size_t plen = strlen(MNV_TYPE_DIR_PREFIX);
	size_t i;

	for (i = 0; i < c->nr_types; i++) {
		const struct mnv_type *t = &c->types[i];

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
int mnv_bound_ctrls(struct mnv_bdf **bdfs, size_t *nr)
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
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		strcpy(v[n++].name, bdf);
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_bdf);
	*bdfs = v;
	*nr = n;
	return 0;
}

static const char *base_of(char *path)
{
	char *s = strrchr(path, '/');

	if (!s)
		return path;
	*s = '\0';
	return s + 1;
}

/*
 * An instance's mdev_type link resolves to
 * .../<BDF>/mdev_supported_types/<type>, which names both its type and its
 * parent controller.  bdf is left empty if the layout is not that one.
 */
int mnv_inst_type(const char *uuid, char *bdf, size_t blen, char *type, size_t tlen)
{
	char path[MNV_PATH_LEN], real[PATH_MAX];
	const char *t, *s;
	int ret;

	ret = mnv_path(path, sizeof(path), "/sys/bus/mdev/devices/%s/mdev_type",
		       uuid);
	if (ret)
		return ret;
	if (!realpath(path, real))
		return -errno;
	t = base_of(real);
	if (strlen(t) >= tlen)
		return -ENAMETOOLONG;
	strcpy(type, t);
	bdf[0] = '\0';
	s = base_of(real);
	if (strcmp(s, "mdev_supported_types"))
		return 0;
	s = base_of(real);
	if (strlen(s) < blen)
		strcpy(bdf, s);
	return 0;
}

/*
 * @uuid must name an instance of the module; say why not if it does not.
 * Return: 0, or MNV_EXIT_FAIL.
 */
int mnv_check_inst(const char *uuid, char *bdf, size_t blen, char *type,
		   size_t tlen)
{
	int ret;

	if (!mnv_exists("/sys/bus/mdev/devices/%s", uuid)) {
		mnv_err("no mdev device %s (see: %s list)", uuid, MNV_PROG);
		return MNV_EXIT_FAIL;
	}
	ret = mnv_inst_type(uuid, bdf, blen, type, tlen);
	if (ret) {
		mnv_err("cannot resolve the mdev type of %s: %s", uuid, strerror(-ret));
		return MNV_EXIT_FAIL;
	}
	if (strncmp(type, MNV_TYPE_DIR_PREFIX, strlen(MNV_TYPE_DIR_PREFIX))) {
		mnv_err("%s is not an %s instance (its type is %s); leaving it alone",
			uuid, MNV_DRIVER_NAME, type);
		return MNV_EXIT_FAIL;
	}
	return 0;
}

static void read_inst(struct mnv_inst *in)
{
	static const char dir[] = "/sys/bus/mdev/devices/%s/%s";

	if (!mnv_read_u64(&in->nsid, dir, in->uuid, "nsid"))
		in->valid |= MNV_I_NSID;
	if (!mnv_read_u64(&in->lba_start, dir, in->uuid, "lba_start"))
		in->valid |= MNV_I_LBA_START;
	if (!mnv_read_u64(&in->lba_count, dir, in->uuid, "lba_count"))
		in->valid |= MNV_I_LBA_COUNT;
	if (!mnv_read_s64(&in->cpu, dir, in->uuid, "cpu"))
		in->valid |= MNV_I_CPU;
	if (!mnv_read_u64(&in->qpairs, dir, in->uuid, "queue_pairs"))
		in->valid |= MNV_I_QPAIRS;
	if (!mnv_read_u64(&in->open, dir, in->uuid, "open"))
		in->valid |= MNV_I_OPEN;
}

static int cmp_inst(const void *a, const void *b)
{
	const struct mnv_inst *x = a, *y = b;
	int r = strcmp(x->bdf, y->bdf);

	return r ? r : strcmp(x->uuid, y->uuid);
}

/* Every mdev_nvme instance on the system, sorted by controller and UUID. */
int mnv_load_insts(struct mnv_inst **insts, size_t *nr)
{
	struct mnv_inst *v = NULL, in;
	char path[MNV_PATH_LEN];
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int ret;

	*insts = NULL;
	*nr = 0;
	ret = mnv_path(path, sizeof(path), "/sys/bus/mdev/devices");
	if (ret)
		return ret;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		void *nv;

		memset(&in, 0, sizeof(in));
		if (mnv_parse_uuid(de->d_name, in.uuid, sizeof(in.uuid)) ||
		    mnv_inst_type(in.uuid, in.bdf, sizeof(in.bdf), in.type,
				  sizeof(in.type)) ||
		    strncmp(in.type, MNV_TYPE_DIR_PREFIX,
			    strlen(MNV_TYPE_DIR_PREFIX)))
			continue;
		read_inst(&in);
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		v[n++] = in;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_inst);
	*insts = v;
	*nr = n;
	return 0;
}

size_t mnv_count_insts(const struct mnv_inst *insts, size_t nr, const char *bdf)
{
	size_t i, n = 0;

	for (i = 0; i < nr; i++)
		n += !strcmp(insts[i].bdf, bdf);
	return n;
}
