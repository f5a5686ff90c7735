// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-nvme: what sysfs says about instances (mdev devices of our types).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mnv.h"

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
 * parent.  bdf is left empty if the layout is not that one.
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

/* Every mdev_nvme instance on the system, sorted by parent and UUID. */
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
		nv = mnv_array_grow(&v, &n, sizeof(*v));
		if (!nv) {
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		*(struct mnv_inst *)nv = in;
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
