// SPDX-License-Identifier: GPL-2.0-only
/*
 * A stand-in for the kernel side of the sysfs interface, for the tests of
 * tools/mdev-nvme only.  It is LD_PRELOADed into the tool and interposes
 * write(): a write to a file below $MNV_SYSFS_ROOT is logged and then acted
 * on the way Documentation/sysfs.rst says the kernel acts on it:
 *
 *   drivers/<drv>/unbind    drops the device's driver link
 *   drivers_probe           binds the device to its driver_override, or to
 *                           "nvme" when there is none; a driver directory
 *                           holding a file ".refuse" never takes a device
 *   .../<type>/create       makes the instance directory and its link under
 *                           bus/mdev/devices, takes its queue pairs; with a
 *                           non-zero mdev_nvme/default_slice_bytes its slice
 *                           is that many bytes of namespace 1 from LBA 0
 *                           (512-byte LBAs; enough for a controller with no
 *                           other instance, which is all the tests use)
 *   <instance>/nsid ...     checked as documented (EBUSY, EINVAL, ENXIO,
 *                           ERANGE, EEXIST), then stored; lba_start past
 *                           the namespace is ERANGE even with lba_count 0
 *   <instance>/remove       removes the instance, gives its queue pairs back
 *   any other attribute     its content is replaced, as a sysfs store does
 *
 * This is only our reading of the documentation, not the module: real
 * behaviour is tested against the module in the VM.  Writes are synchronous
 * here as in the kernel, so the tool sees the result when write() returns.
 *
 * Environment:
 *   MNV_FAKE_LOG   file to which each write is appended as: path 'value'
 *                  (path relative to the root, value with C escapes)
 *   MNV_FAKE_FAIL  "attr=ERRNO[,attr=ERRNO]": writes to files of that name
 *                  fail with that errno (EBUSY, ERANGE, ...) and do nothing
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

static ssize_t (*real_write)(int fd, const void *buf, size_t count);
static char root[PATH_MAX];
static size_t root_len;

static void __attribute__((constructor)) fake_init(void)
{
	const char *r = getenv("MNV_SYSFS_ROOT");

	real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (r && *r && realpath(r, root))
		root_len = strlen(root);
}

/* Paths and values here are short; a cut one would be a bug in the test. */
static void __printf(3, 4) fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		abort();
}

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(val);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = real_write(fd, val, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static int get(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static bool get_u64(const char *path, uint64_t *v)
{
	char buf[64], *end;

	if (get(path, buf, sizeof(buf)) || !buf[0] || buf[0] == '-')
		return false;
	*v = strtoull(buf, &end, 10);
	return !*end;
}

static void log_write(const char *rel, const char *buf, size_t count)
{
	const char *log = getenv("MNV_FAKE_LOG");
	size_t i;
	FILE *f;

	if (!log || !*log)
		return;
	f = fopen(log, "ae");
	if (!f)
		return;
	fprintf(f, "%s '", rel);
	for (i = 0; i < count; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n')
			fputs("\\n", f);
		else if (c == '\\' || c == '\'')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputs("'\n", f);
	fclose(f);
}

static int forced_errno(const char *name)
{
	static const struct {
		const char *name;
		int err;
	} errs[] = {
		{ "EBUSY", EBUSY }, { "EINVAL", EINVAL }, { "ENXIO", ENXIO },
		{ "ERANGE", ERANGE }, { "EEXIST", EEXIST }, { "ENOSPC", ENOSPC },
		{ "ENODEV", ENODEV }, { "EIO", EIO },
	};
	const char *spec = getenv("MNV_FAKE_FAIL");
	size_t n = strlen(name), i;
	const char *p;

	for (p = spec; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : "") {
		if (strncmp(p, name, n) || p[n] != '=')
			continue;
		for (i = 0; i < ARRAY_SIZE(errs); i++)
			if (!strncmp(p + n + 1, errs[i].name, strlen(errs[i].name)))
				return -errs[i].err;
		return -EIO;
	}
	return 0;
}

static void dir_of(char *path)
{
	char *s = strrchr(path, '/');

	if (s)
		*s = '\0';
}

static int pci_dev(const char *bdf, char *dev, size_t len)
{
	char link[PATH_MAX], real[PATH_MAX];

	fmt(link, sizeof(link), "%s/sys/bus/pci/devices/%s", root, bdf);
	if (!realpath(link, real))
		return -ENODEV;
	fmt(dev, len, "%s", real);
	return 0;
}

static int do_unbind(const char *drv, const char *bdf)
{
	char dev[PATH_MAX], p[PATH_MAX], cur[PATH_MAX];
	ssize_t n;

	if (pci_dev(bdf, dev, sizeof(dev)))
		return -ENODEV;
	fmt(p, sizeof(p), "%s/driver", dev);
	n = readlink(p, cur, sizeof(cur) - 1);
	if (n < 0)
		return -ENODEV;
	cur[n] = '\0';
	if (strcmp(strrchr(cur, '/') ? strrchr(cur, '/') + 1 : cur, drv))
		return -ENODEV;
	unlink(p);
	fmt(p, sizeof(p), "%s/sys/bus/pci/drivers/%s/%s", root, drv, bdf);
	unlink(p);
	return 0;
}

static int do_probe(const char *bdf)
{
	char dev[PATH_MAX], p[PATH_MAX], drv[256];
	struct stat st;

	if (pci_dev(bdf, dev, sizeof(dev)))
		return -ENODEV;
	fmt(p, sizeof(p), "%s/driver", dev);
	if (!lstat(p, &st))
		return 0;
	fmt(p, sizeof(p), "%s/driver_override", dev);
	if (get(p, drv, sizeof(drv)) || !drv[0] || !strcmp(drv, "(null)"))
		fmt(drv, sizeof(drv), "nvme");
	fmt(p, sizeof(p), "%s/sys/bus/pci/drivers/%s/.refuse", root, drv);
	if (!stat(p, &st))
		return 0;
	fmt(p, sizeof(p), "%s/sys/bus/pci/drivers/%s", root, drv);
	if (stat(p, &st))
		return 0;
	fmt(p, sizeof(p), "%s/driver", dev);
	{
		char target[PATH_MAX];

		fmt(target, sizeof(target), "%s/sys/bus/pci/drivers/%s", root, drv);
		if (symlink(target, p))
			return -EIO;
		fmt(p, sizeof(p), "%s/sys/bus/pci/drivers/%s/%s", root, drv, bdf);
		if (symlink(dev, p))
			return -EIO;
	}
	return 0;
}

/* available_instances = queue_pairs_free / n for every type, as the doc says. */
static void set_free(const char *dev, uint64_t free_qp)
{
	char p[PATH_MAX], v[32];
	struct dirent *de;
	DIR *d;

	fmt(p, sizeof(p), "%s/mdev_nvme/queue_pairs_free", dev);
	fmt(v, sizeof(v), "%" PRIu64 "\n", free_qp);
	put(p, v);
	fmt(p, sizeof(p), "%s/mdev_supported_types", dev);
	d = opendir(p);
	if (!d)
		return;
	while ((de = readdir(d))) {
		unsigned int n;

		if (sscanf(de->d_name, "mdev_nvme-%uq", &n) != 1 || !n)
			continue;
		fmt(p, sizeof(p), "%s/mdev_supported_types/%s/available_instances",
			 dev, de->d_name);
		fmt(v, sizeof(v), "%" PRIu64 "\n", free_qp / n);
		put(p, v);
	}
	closedir(d);
}

static int do_create(char *type_dir, const char *uuid)
{
	char dev[PATH_MAX], inst[PATH_MAX], p[PATH_MAX], v[64];
	const char *type = strrchr(type_dir, '/') + 1;
	uint64_t avail, free_qp, policy = 0;
	unsigned int n;
	struct stat st;

	if (strlen(uuid) != 36 || sscanf(type, "mdev_nvme-%uq", &n) != 1)
		return -EINVAL;
	fmt(p, sizeof(p), "%s/available_instances", type_dir);
	if (!get_u64(p, &avail) || !avail)
		return -ENOSPC;
	fmt(p, sizeof(p), "%s/sys/bus/mdev/devices/%s", root, uuid);
	if (!lstat(p, &st))
		return -EEXIST;
	fmt(dev, sizeof(dev), "%s", type_dir);
	dir_of(dev);
	dir_of(dev);
	fmt(inst, sizeof(inst), "%s/%s", dev, uuid);
	if (mkdir(inst, 0755))
		return -EIO;
#define ATTR(name, val) do { \
		fmt(p, sizeof(p), "%s/%s", inst, name); put(p, val); \
	} while (0)
	ATTR("nsid", "1\n");
	ATTR("lba_start", "0\n");
	fmt(p, sizeof(p), "%s/mdev_nvme/default_slice_bytes", dev);
	if (!get_u64(p, &policy))
		policy = 0;
	fmt(v, sizeof(v), "%" PRIu64 "\n", policy / 512);
	ATTR("lba_count", v);
	ATTR("cpu", "-1\n");
	ATTR("mode", "adaptive\n");
	ATTR("idle_us", "100\n");
	fmt(v, sizeof(v), "%u\n", n);
	ATTR("queue_pairs", v);
	ATTR("hw_qids", "1\n");
	ATTR("open", "0\n");
	ATTR("remove", "");
#undef ATTR
	fmt(p, sizeof(p), "%s/mdev_type", inst);
	fmt(v, sizeof(v), "../mdev_supported_types/%s", type);
	if (symlink(v, p))
		return -EIO;
	fmt(p, sizeof(p), "%s/sys/bus/mdev/devices", root);
	mkdir(p, 0755);
	fmt(p, sizeof(p), "%s/sys/bus/mdev/devices/%s", root, uuid);
	if (symlink(inst, p))
		return -EIO;
	fmt(p, sizeof(p), "%s/mdev_nvme/queue_pairs_free", dev);
	if (get_u64(p, &free_qp))
		set_free(dev, free_qp >= n ? free_qp - n : 0);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int do_remove(const char *inst)
{
	char dev[PATH_MAX], p[PATH_MAX];
	const char *uuid = strrchr(inst, '/') + 1;
	uint64_t qp = 0, free_qp;

	fmt(dev, sizeof(dev), "%s", inst);
	dir_of(dev);
	fmt(p, sizeof(p), "%s/queue_pairs", inst);
	get_u64(p, &qp);
	fmt(p, sizeof(p), "%s/sys/bus/mdev/devices/%s", root, uuid);
	unlink(p);
	if (nftw(inst, rm_one, 16, FTW_DEPTH | FTW_PHYS))
		return -EIO;
	fmt(p, sizeof(p), "%s/mdev_nvme/queue_pairs_free", dev);
	if (get_u64(p, &free_qp))
		set_free(dev, free_qp + qp);
	return 0;
}

static bool ns_size(const char *dev, uint64_t nsid, uint64_t *nsze)
{
	char p[PATH_MAX];
	uint64_t id, cnt, bs;
	bool found = false;
	FILE *f;

	fmt(p, sizeof(p), "%s/mdev_nvme/namespaces", dev);
	f = fopen(p, "re");
	if (!f)
		return false;
	while (!found && fscanf(f, "%" SCNu64 " %" SCNu64 " %" SCNu64, &id, &cnt, &bs) == 3)
		if (id == nsid) {
			*nsze = cnt;
			found = true;
		}
	fclose(f);
	return found;
}

static bool cpu_online(int64_t cpu)
{
	char p[PATH_MAX], buf[1024], *tok, *save = NULL;

	fmt(p, sizeof(p), "%s/sys/devices/system/cpu/online", root);
	if (get(p, buf, sizeof(buf)))
		return true;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long lo = 0, hi = 0;
		int n = sscanf(tok, "%ld-%ld", &lo, &hi);

		if (n == 1)
			hi = lo;
		if (n >= 1 && cpu >= lo && cpu <= hi)
			return true;
	}
	return false;
}

/* Would [start, start + count) of nsid meet another instance of dev? */
static bool overlaps(const char *dev, const char *self, uint64_t nsid,
		     uint64_t start, uint64_t count)
{
	char p[PATH_MAX], real[PATH_MAX], parent[PATH_MAX];
	uint64_t n, s, c;
	struct dirent *de;
	bool hit = false;
	DIR *d;

	fmt(p, sizeof(p), "%s/sys/bus/mdev/devices", root);
	d = opendir(p);
	if (!d)
		return false;
	while (!hit && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		fmt(p, sizeof(p), "%s/sys/bus/mdev/devices/%s", root, de->d_name);
		if (!realpath(p, real) || !strcmp(real, self))
			continue;
		fmt(parent, sizeof(parent), "%s", real);
		dir_of(parent);
		if (strcmp(parent, dev))
			continue;
		fmt(p, sizeof(p), "%s/nsid", real);
		if (!get_u64(p, &n) || n != nsid)
			continue;
		fmt(p, sizeof(p), "%s/lba_start", real);
		if (!get_u64(p, &s))
			continue;
		fmt(p, sizeof(p), "%s/lba_count", real);
		/* Only slices with a count are checked, as documented. */
		if (!get_u64(p, &c) || !c)
			continue;
		hit = start < s + c && s < start + count;
	}
	closedir(d);
	return hit;
}

static int do_attr(const char *inst, const char *attr, const char *val)
{
	char dev[PATH_MAX], p[PATH_MAX], *end;
	uint64_t open_, nsid = 0, start = 0, count = 0, nsze, v;

	fmt(dev, sizeof(dev), "%s", inst);
	dir_of(dev);
	fmt(p, sizeof(p), "%s/open", inst);
	if (get_u64(p, &open_) && open_)
		return -EBUSY;
	if (!strcmp(attr, "mode"))
		return strcmp(val, "adaptive") && strcmp(val, "poll") &&
		       strcmp(val, "interrupt") ? -EINVAL : 0;
	if (!strcmp(attr, "idle_us")) {
		v = strtoull(val, &end, 10);
		if (!*val || *val == '-' || *end)
			return -EINVAL;
		return v > 1000000 ? -ERANGE : 0;
	}
	if (!strcmp(attr, "cpu")) {
		int64_t cpu = strtoll(val, &end, 10);

		if (!*val || *end || cpu < -1)
			return -EINVAL;
		return cpu >= 0 && !cpu_online(cpu) ? -ENXIO : 0;
	}
	if (!*val || *val == '-')
		return -EINVAL;
	v = strtoull(val, &end, 10);
	if (*end)
		return -EINVAL;
	fmt(p, sizeof(p), "%s/nsid", inst);
	get_u64(p, &nsid);
	fmt(p, sizeof(p), "%s/lba_start", inst);
	get_u64(p, &start);
	fmt(p, sizeof(p), "%s/lba_count", inst);
	get_u64(p, &count);
	if (!strcmp(attr, "nsid"))
		nsid = v;
	else if (!strcmp(attr, "lba_start"))
		start = v;
	else
		count = v;
	if (!ns_size(dev, nsid, &nsze))
		return -ENXIO;
	if (start >= nsze)
		return -ERANGE;
	if (!count)
		return 0;
	if (count > nsze - start)
		return -ERANGE;
	return overlaps(dev, inst, nsid, start, count) ? -EEXIST : 0;
}

static bool is_inst(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	fmt(p, sizeof(p), "%s/mdev_type", dir);
	return !lstat(p, &st);
}

/* Returns -errno, or 0 to go on and store the value. */
static int act(char *path, const char *rel, const char *val, bool *stored)
{
	char dir[PATH_MAX], drv[256];
	const char *name = strrchr(path, '/') + 1;

	fmt(dir, sizeof(dir), "%s", path);
	dir_of(dir);
	/* Actions are write-only attributes: nothing to store. */
	*stored = true;
	if (sscanf(rel, "/sys/bus/pci/drivers/%255[^/]/unbind", drv) == 1)
		return do_unbind(drv, val);
	if (!strcmp(rel, "/sys/bus/pci/drivers_probe"))
		return do_probe(val);
	if (!strcmp(name, "create") && strstr(rel, "/mdev_supported_types/"))
		return do_create(dir, val);
	if (is_inst(dir) && !strcmp(name, "remove"))
		return strcmp(val, "0") ? do_remove(dir) : 0;
	*stored = false;
	if (is_inst(dir)) {
		if (!strcmp(name, "nsid") || !strcmp(name, "lba_start") ||
		    !strcmp(name, "lba_count") || !strcmp(name, "cpu") ||
		    !strcmp(name, "mode") || !strcmp(name, "idle_us"))
			return do_attr(dir, name, val);
		return -EACCES;
	}
	if (!strcmp(name, "driver_override") && !val[0]) {
		put(path, "(null)\n");
		*stored = true;
	}
	return 0;
}

ssize_t write(int fd, const void *buf, size_t count)
{
	static bool busy;
	char link[64], path[PATH_MAX], val[512];
	const char *rel;
	bool stored = false;
	ssize_t n;
	int err;

	if (busy || !root_len)
		return real_write(fd, buf, count);
	fmt(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return real_write(fd, buf, count);
	path[n] = '\0';
	if (strncmp(path, root, root_len) || path[root_len] != '/')
		return real_write(fd, buf, count);
	rel = path + root_len;

	busy = true;
	log_write(rel, buf, count);
	fmt(val, sizeof(val), "%.*s", (int)(count < sizeof(val) ? count : sizeof(val) - 1),
		 (const char *)buf);
	if (count && val[strlen(val) - 1] == '\n')
		val[strlen(val) - 1] = '\0';
	err = forced_errno(strrchr(path, '/') + 1);
	if (!err)
		err = act(path, rel, val, &stored);
	if (!err && !stored) {
		/* A sysfs store replaces the value; it is not a file write. */
		if (ftruncate(fd, 0) || pwrite(fd, buf, count, 0) != (ssize_t)count)
			err = -EIO;
	}
	busy = false;
	if (err) {
		errno = -err;
		return -1;
	}
	return (ssize_t)count;
}
