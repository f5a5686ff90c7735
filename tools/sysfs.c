// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-nvme: reading and writing sysfs (and procfs) attributes.
 *
 * Every path goes through mnv_path(), which puts $MNV_SYSFS_ROOT in front
 * of it, so that the tests can point the tool at a fake tree.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mnv.h"

static const char *sysfs_root = "";

void mnv_sysfs_init(void)
{
	const char *r = getenv("MNV_SYSFS_ROOT");

	if (r)
		sysfs_root = r;
}

static int vpath(char *buf, size_t len, const char *fmt, va_list ap)
{
	size_t n = strlen(sysfs_root);
	int m;

	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(buf, sysfs_root, n);
	m = vsnprintf(buf + n, len - n, fmt, ap);
	if (m < 0 || (size_t)m >= len - n)
		return -ENAMETOOLONG;
	return 0;
}

int mnv_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(buf, len, fmt, ap);
	va_end(ap);
	return ret;
}

/* Read the file at path, already under the sysfs root, without trailing blanks. */
int mnv_read_file(const char *path, char *buf, size_t len)
{
	size_t n = 0;
	int fd, err = 0;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, len - 1 - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (err)
		return err;
	/* sysfs values end in a newline; trailing blanks carry no meaning. */
	while (n && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	return 0;
}

int mnv_read(char *buf, size_t len, const char *fmt, ...)
{
	char path[MNV_PATH_LEN];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	return mnv_read_file(path, buf, len);
}

int mnv_read_u64(uint64_t *val, const char *fmt, ...)
{
	char path[MNV_PATH_LEN], buf[64];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (!ret)
		ret = mnv_read_file(path, buf, sizeof(buf));
	if (!ret)
		ret = mnv_parse_u64(buf, val) ? -EINVAL : 0;
	return ret;
}

int mnv_read_s64(int64_t *val, const char *fmt, ...)
{
	char path[MNV_PATH_LEN], buf[64];
	uint64_t u;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (!ret)
		ret = mnv_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	if (buf[0] == '-') {
		if (mnv_parse_u64(buf + 1, &u) || u > (uint64_t)INT64_MAX)
			return -EINVAL;
		*val = -(int64_t)u;
	} else {
		if (mnv_parse_u64(buf, &u) || u > (uint64_t)INT64_MAX)
			return -EINVAL;
		*val = (int64_t)u;
	}
	return 0;
}

/*
 * One write() of the whole value, like echo does: a sysfs store method sees
 * each write() separately, so a split value would be parsed in pieces.
 * O_CREAT is never used: a missing attribute is an error, not a new file.
 */
int mnv_write(const char *val, const char *fmt, ...)
{
	char path[MNV_PATH_LEN];
	size_t len = strlen(val);
	va_list ap;
	ssize_t r;
	int fd, ret;

	va_start(ap, fmt);
	ret = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		r = write(fd, val, len);
	} while (r < 0 && errno == EINTR);
	ret = r < 0 ? -errno : (size_t)r != len ? -EIO : 0;
	if (close(fd) && !ret && errno != EINTR)
		ret = -errno;
	return ret;
}

/* The last component of a symlink's target, e.g. the name of a driver. */
int mnv_link_name(char *buf, size_t len, const char *fmt, ...)
{
	char path[MNV_PATH_LEN], target[MNV_PATH_LEN];
	const char *base;
	va_list ap;
	ssize_t n;
	int ret;

	va_start(ap, fmt);
	ret = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (ret)
		return ret;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	while (n > 1 && target[n - 1] == '/')
		target[--n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

bool mnv_exists(const char *fmt, ...)
{
	char path[MNV_PATH_LEN];
	struct stat st;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(path, sizeof(path), fmt, ap);
	va_end(ap);
	return !ret && !stat(path, &st);
}
