/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mdev-nvme: declarations shared by the files of the command-line tool.
 * The sysfs layout it reads and writes is Documentation/sysfs.rst.
 */
#ifndef MNV_TOOL_H
#define MNV_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mdev_nvme.h"

#define MNV_PROG		"mdev-nvme"

#define MNV_EXIT_OK		0
#define MNV_EXIT_FAIL		1
#define MNV_EXIT_USAGE		2

/* NVM Express class code: mass storage, non-volatile memory, NVMe. */
#define MNV_PCI_CLASS_NVME	0x010802UL

/* Long enough for a 32-bit PCI domain: "ffffffff:ff:1f.7". */
#define MNV_BDF_LEN		32
#define MNV_UUID_LEN		36
#define MNV_NAME_LEN		256
#define MNV_PATH_LEN		4096

/* Directory prefix of our mdev types: "mdev_nvme-". */
#define MNV_TYPE_DIR_PREFIX	MNV_DRIVER_NAME "-"

#define __printf(a, b)		__attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* util.c */
void mnv_err(const char *fmt, ...) __printf(1, 2);
void mnv_note(const char *fmt, ...) __printf(1, 2);
int mnv_usage_err(const char *cmd, const char *fmt, ...) __printf(2, 3);
int mnv_opt_err(const char *cmd, int c, char **argv);
int mnv_flag_opts(int argc, char **argv, const char *flag_name,
		  const char *help, bool *flag);
int mnv_parse_bdf(const char *in, char *out, size_t len);
void *mnv_array_grow(void *arrayp, size_t *nr, size_t size);
int mnv_parse_uuid(const char *in, char *out, size_t len);
int mnv_parse_u64(const char *s, uint64_t *val);
int mnv_uuid_operand(const char *cmd, int argc, char **argv, char *uuid,
		     size_t len);
const char *mnv_errname(int err);

/* sysfs.c: every path is relative to $MNV_SYSFS_ROOT. */
void mnv_sysfs_init(void);
int mnv_path(char *buf, size_t len, const char *fmt, ...) __printf(3, 4);
int mnv_read_file(const char *path, char *buf, size_t len);
int mnv_read(char *buf, size_t len, const char *fmt, ...) __printf(3, 4);
int mnv_read_u64(uint64_t *val, const char *fmt, ...) __printf(2, 3);
int mnv_read_s64(int64_t *val, const char *fmt, ...) __printf(2, 3);
int mnv_write(const char *val, const char *fmt, ...) __printf(2, 3);
int mnv_link_name(char *buf, size_t len, const char *fmt, ...) __printf(3, 4);
bool mnv_exists(const char *fmt, ...) __printf(1, 2);

/*
 * parent.c: a parent is a PCI function bound to mdev_nvme, as sysfs shows it
 * (the module's physical controller, seen from userspace).
 */
struct mnv_ns {
	uint32_t nsid;
	uint64_t lba_count;
	uint32_t lba_size;
};

/* An mdev type as one parent offers it, with what is left of it. */
struct mnv_parent_type {
	char dir[MNV_NAME_LEN];		/* "mdev_nvme-2q" */
	char name[MNV_NAME_LEN];	/* "nvme-2q" */
	unsigned int qpairs;
	int64_t avail;			/* -1: unreadable */
};

struct mnv_bdf {
	char name[MNV_BDF_LEN];
};

struct mnv_parent {
	char bdf[MNV_BDF_LEN];
	char model[MNV_NAME_LEN];
	char serial[MNV_NAME_LEN];
	char firmware[MNV_NAME_LEN];
	int64_t qp_total;		/* -1: unreadable */
	int64_t qp_free;
	int ns_err;			/* 0, or -errno reading "namespaces" */
	struct mnv_ns *ns;
	size_t nr_ns;
	struct mnv_parent_type *types;
	size_t nr_types;
};

bool mnv_module_loaded(void);
int mnv_driver_of(const char *bdf, char *drv, size_t len);
int mnv_check_nvme_dev(const char *bdf, bool need_bound);
int mnv_load_parent(const char *bdf, struct mnv_parent *p);
void mnv_free_parent(struct mnv_parent *p);
const struct mnv_ns *mnv_find_ns(const struct mnv_parent *p, uint64_t nsid);
const struct mnv_parent_type *mnv_find_parent_type(const struct mnv_parent *p,
						   const char *spec);
void mnv_type_name(const char *dir, char *out, size_t len);
int mnv_bound_parents(struct mnv_bdf **bdfs, size_t *nr);

/* inst.c: the instances (mdev devices of our types) sysfs shows. */

/* Bits of mnv_inst.valid: which attributes could be read. */
#define MNV_I_NSID		(1U << 0)
#define MNV_I_LBA_START		(1U << 1)
#define MNV_I_LBA_COUNT		(1U << 2)
#define MNV_I_CPU		(1U << 3)
#define MNV_I_QPAIRS		(1U << 4)
#define MNV_I_OPEN		(1U << 5)

struct mnv_inst {
	char uuid[MNV_UUID_LEN + 1];
	char bdf[MNV_BDF_LEN];
	char type[MNV_NAME_LEN];	/* type directory name */
	unsigned int valid;
	uint64_t nsid;
	uint64_t lba_start;
	uint64_t lba_count;
	int64_t cpu;
	uint64_t qpairs;
	uint64_t open;
};

int mnv_inst_type(const char *uuid, char *bdf, size_t blen, char *type, size_t tlen);
int mnv_check_inst(const char *uuid, char *bdf, size_t blen, char *type,
		   size_t tlen);
int mnv_load_insts(struct mnv_inst **insts, size_t *nr);
size_t mnv_count_insts(const struct mnv_inst *insts, size_t nr, const char *bdf);

/* json.c: a small streaming JSON writer. */
#define MNV_JSON_MAX_DEPTH	16

struct mnv_json {
	FILE *f;
	int depth;
	bool first[MNV_JSON_MAX_DEPTH];
};

void mnv_json_init(struct mnv_json *j, FILE *f);
void mnv_json_obj_begin(struct mnv_json *j, const char *key);
void mnv_json_obj_end(struct mnv_json *j);
void mnv_json_arr_begin(struct mnv_json *j, const char *key);
void mnv_json_arr_end(struct mnv_json *j);
void mnv_json_str(struct mnv_json *j, const char *key, const char *val);
void mnv_json_u64(struct mnv_json *j, const char *key, uint64_t val);
void mnv_json_s64(struct mnv_json *j, const char *key, int64_t val);
void mnv_json_bool(struct mnv_json *j, const char *key, bool val);
void mnv_json_null(struct mnv_json *j, const char *key);

/* Commands: each gets argv[0] == its own name and returns an exit status. */
int mnv_cmd_bind(int argc, char **argv);
int mnv_cmd_unbind(int argc, char **argv);
int mnv_cmd_list(int argc, char **argv);
int mnv_cmd_create(int argc, char **argv);
int mnv_cmd_destroy(int argc, char **argv);
int mnv_cmd_stats(int argc, char **argv);

#endif /* MNV_TOOL_H */
