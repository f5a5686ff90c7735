// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-nvme: a small streaming JSON writer, pretty-printed with two spaces.
 *
 * Strings come from the device (Identify data) and are not trusted to be
 * UTF-8: every byte outside printable ASCII is written as a \u escape of
 * its Latin-1 value, so the output is always valid JSON.
 */
#include <inttypes.h>

#include "mnv.h"

void mnv_json_init(struct mnv_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
}

static void put_string(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Separator, newline and indentation before a member, then its key. */
static void indent(const struct mnv_json *j)
{
	int i;

	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void member(struct mnv_json *j, const char *key)
{
	if (j->depth) {
		fputs(j->first[j->depth] ? "\n" : ",\n", j->f);
		indent(j);
	}
	j->first[j->depth] = false;
	if (key) {
		put_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void nest_open(struct mnv_json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < MNV_JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void nest_close(struct mnv_json *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth)
		j->depth--;
	if (!empty) {
		fputc('\n', j->f);
		indent(j);
	}
	fputc(c, j->f);
	if (!j->depth)
		fputc('\n', j->f);
}

void mnv_json_obj_begin(struct mnv_json *j, const char *key)
{
	nest_open(j, key, '{');
}

void mnv_json_obj_end(struct mnv_json *j)
{
	nest_close(j, '}');
}

void mnv_json_arr_begin(struct mnv_json *j, const char *key)
{
	nest_open(j, key, '[');
}

void mnv_json_arr_end(struct mnv_json *j)
{
	nest_close(j, ']');
}

void mnv_json_str(struct mnv_json *j, const char *key, const char *val)
{
	member(j, key);
	put_string(j->f, val);
}

void mnv_json_u64(struct mnv_json *j, const char *key, uint64_t val)
{
	member(j, key);
	fprintf(j->f, "%" PRIu64, val);
}

void mnv_json_s64(struct mnv_json *j, const char *key, int64_t val)
{
	member(j, key);
	fprintf(j->f, "%" PRId64, val);
}

void mnv_json_bool(struct mnv_json *j, const char *key, bool val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->f);
}

void mnv_json_null(struct mnv_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}
