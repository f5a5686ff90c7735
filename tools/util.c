// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-nvme: messages and the parsing of what the user types.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mnv.h"

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	/* One line per message: callers never embed newlines. */
	fprintf(stderr, "%s: %s", MNV_PROG, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void mnv_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void mnv_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

int mnv_usage_err(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cmd)
		mnv_err("%s: %s (see %s %s --help)", cmd, msg, MNV_PROG, cmd);
	else
		mnv_err("%s (see %s --help)", msg, MNV_PROG);
	return MNV_EXIT_USAGE;
}

/*
 * getopt_long() was called with a leading ':' in its option string, so a
 * missing argument and an unknown option can be told apart; its own
 * messages are disabled so that every error stays one line in our format.
 */
int mnv_opt_err(const char *cmd, int c, char **argv)
{
	const char *opt = argv[optind - 1];

	if (c == ':')
		return mnv_usage_err(cmd, "option '%s' needs a value", opt);
	return mnv_usage_err(cmd, "unknown option '%s'", opt);
}

/*
 * The options of a command whose only option besides --help is the flag
 * --@flag_name: sets *@flag when it is given (with @flag NULL, it is an
 * unknown option like any other).  Returns -1 to go on, else the exit
 * status: success after printing @help, a usage error otherwise.
 */
int mnv_flag_opts(int argc, char **argv, const char *flag_name,
		  const char *help, bool *flag)
{
	struct option opts[3] = { { "help", no_argument, NULL, 'h' } };
	int c;

	if (flag)
		opts[1] = (struct option){ flag_name, no_argument, NULL, 'F' };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			*flag = true;
			break;
		case 'h':
			fputs(help, stdout);
			return MNV_EXIT_OK;
		default:
			return mnv_opt_err(argv[0], c, argv);
		}
	}
	return -1;
}

static int parse_hex(const char *s, size_t n, unsigned long max, unsigned long *val)
{
	unsigned long v = 0;
	size_t i;

	if (!n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 16 + (unsigned long)(isdigit((unsigned char)s[i]) ?
			s[i] - '0' : tolower((unsigned char)s[i]) - 'a' + 10);
		if (v > max)
			return -EINVAL;
	}
	*val = v;
	return 0;
}

/*
 * Accepts "DDDD:BB:DD.F" and "BB:DD.F" (domain 0) and writes the canonical
 * lower-case form sysfs uses.  Domains wider than 16 bits exist (VMD), so up
 * to 8 hex digits are allowed there.
 */
/*
 * Grow the array *arrayp of *nr elements of size bytes by one zeroed
 * element and return it; on failure the array is left as it was and NULL
 * is returned.
 */
void *mnv_array_grow(void *arrayp, size_t *nr, size_t size)
{
	void **v = arrayp;
	char *nv = realloc(*v, (*nr + 1) * size);

	if (!nv)
		return NULL;
	*v = nv;
	nv += (*nr)++ * size;
	memset(nv, 0, size);
	return nv;
}

int mnv_parse_bdf(const char *in, char *out, size_t len)
{
	unsigned long dom = 0, bus, dev, fn;
	const char *p = in, *c1, *c2, *dot;

	c1 = strchr(p, ':');
	if (!c1)
		return -EINVAL;
	c2 = strchr(c1 + 1, ':');
	if (c2) {
		if (parse_hex(p, (size_t)(c1 - p), 0xffffffffUL, &dom))
			return -EINVAL;
		p = c1 + 1;
		c1 = c2;
	}
	dot = strchr(c1 + 1, '.');
	if (!dot || c1 - p > 2 || dot - c1 - 1 > 2 || strlen(dot + 1) != 1)
		return -EINVAL;
	if (parse_hex(p, (size_t)(c1 - p), 0xff, &bus) ||
	    parse_hex(c1 + 1, (size_t)(dot - c1 - 1), 0x1f, &dev) ||
	    parse_hex(dot + 1, 1, 7, &fn))
		return -EINVAL;
	if ((size_t)snprintf(out, len, "%04lx:%02lx:%02lx.%lx",
			     dom, bus, dev, fn) >= len)
		return -EINVAL;
	return 0;
}

/*
 * The kernel names mdev devices by the lower-case form of their UUID, so a
 * UUID typed in upper case is normalised before it is looked up.
 */
int mnv_parse_uuid(const char *in, char *out, size_t len)
{
	size_t i;

	if (strlen(in) != MNV_UUID_LEN || len <= MNV_UUID_LEN)
		return -EINVAL;
	for (i = 0; i < MNV_UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? in[i] != '-' : !isxdigit((unsigned char)in[i]))
			return -EINVAL;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[MNV_UUID_LEN] = '\0';
	return 0;
}

/* Decimal only: strtoull() alone would take "-1", " 5" and "0x10". */
/*
 * The operands after the options must be exactly one UUID: normalised
 * into @uuid.  Return: -1 if so, else the exit status of a usage error.
 */
int mnv_uuid_operand(const char *cmd, int argc, char **argv, char *uuid,
		     size_t len)
{
	if (optind >= argc)
		return mnv_usage_err(cmd, "missing UUID");
	if (optind + 1 < argc)
		return mnv_usage_err(cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (mnv_parse_uuid(argv[optind], uuid, len))
		return mnv_usage_err(cmd, "'%s' is not a UUID (8-4-4-4-12 hex digits)",
				     argv[optind]);
	return -1;
}

int mnv_parse_u64(const char *s, uint64_t *val)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*val = v;
	return 0;
}

const char *mnv_errname(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" },
		{ ENXIO, "ENXIO" }, { EACCES, "EACCES" }, { EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
		{ ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
		{ EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" }, { EROFS, "EROFS" },
		{ ERANGE, "ERANGE" }, { EAGAIN, "EAGAIN" }, { EINTR, "EINTR" },
		{ ENOMEM, "ENOMEM" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ EOPNOTSUPP, "EOPNOTSUPP" },
	};
	static char other[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(other, sizeof(other), "errno %d", err);
	return other;
}
