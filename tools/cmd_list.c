// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-nvme list: controllers bound to mdev_nvme, their types and instances.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mnv.h"

static const char list_help[] =
"Usage: " MNV_PROG " list [--json]\n"
"\n"
"Show the controllers bound to " MNV_DRIVER_NAME ": model, serial, firmware,\n"
"namespaces (LBA count and size), hardware queue pairs (total and free),\n"
"the mdev types they offer with their available instances, and their\n"
"instances (UUID, type, namespace, slice, CPU, queue pairs, open).\n"
"\n"
"An instance whose LBA count is 0 covers the namespace from its first LBA\n"
"to the end.\n"
"\n"
"Options:\n"
"  --json      machine-readable output\n"
"  -h, --help  show this help\n";

static const char *fmt_u64(char *buf, size_t len, bool ok, uint64_t v)
{
	if (ok)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "?");
	return buf;
}

static const char *fmt_size(char *buf, size_t len, uint64_t lbas, uint32_t lba_size)
{
	static const char * const unit[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	double sz = (double)lbas * lba_size;
	unsigned int u = 0;

	while (sz >= 1024 && u + 1 < ARRAY_SIZE(unit)) {
		sz /= 1024;
		u++;
	}
	snprintf(buf, len, "%.2f %s", sz, unit[u]);
	return buf;
}

static void text_parent(const struct mnv_parent *p, const struct mnv_inst *insts, size_t nr)
{
	char a[32], b[32], d[32], e[32], s[32];
	size_t i;

	printf("%s: %s (serial %s, firmware %s)\n", p->bdf,
	       p->model[0] ? p->model : "?", p->serial[0] ? p->serial : "?",
	       p->firmware[0] ? p->firmware : "?");
	printf("  queue pairs: %s total, %s free\n",
	       fmt_u64(a, sizeof(a), p->qp_total >= 0, (uint64_t)p->qp_total),
	       fmt_u64(b, sizeof(b), p->qp_free >= 0, (uint64_t)p->qp_free));

	printf("  namespaces:\n");
	if (p->ns_err)
		printf("    (unreadable: %s)\n", strerror(-p->ns_err));
	else if (!p->nr_ns)
		printf("    (none)\n");
	else
		printf("    %-6s %-20s %-9s %s\n", "NSID", "LBA_COUNT", "LBA_SIZE", "SIZE");
	for (i = 0; i < p->nr_ns; i++)
		printf("    %-6" PRIu32 " %-20" PRIu64 " %-9" PRIu32 " %s\n",
		       p->ns[i].nsid, p->ns[i].lba_count, p->ns[i].lba_size,
		       fmt_size(s, sizeof(s), p->ns[i].lba_count, p->ns[i].lba_size));

	printf("  types:\n");
	if (!p->nr_types)
		printf("    (none)\n");
	else
		printf("    %-10s %-11s %s\n", "TYPE", "QUEUE_PAIRS", "AVAILABLE");
	for (i = 0; i < p->nr_types; i++) {
		const struct mnv_parent_type *t = &p->types[i];

		printf("    %-10s %-11u %s\n", t->name, t->qpairs,
		       fmt_u64(a, sizeof(a), t->avail >= 0, (uint64_t)t->avail));
	}

	printf("  instances:\n");
	if (!mnv_count_insts(insts, nr, p->bdf)) {
		printf("    (none)\n");
		return;
	}
	printf("    %-36s %-10s %-6s %-20s %-20s %-5s %-3s %s\n", "UUID", "TYPE",
	       "NSID", "LBA_START", "LBA_COUNT", "CPU", "QP", "OPEN");
	for (i = 0; i < nr; i++) {
		const struct mnv_inst *in = &insts[i];
		char type[MNV_NAME_LEN], cpu[32], open[8];

		if (strcmp(in->bdf, p->bdf))
			continue;
		mnv_type_name(in->type, type, sizeof(type));
		if (!(in->valid & MNV_I_CPU))
			snprintf(cpu, sizeof(cpu), "?");
		else if (in->cpu < 0)
			snprintf(cpu, sizeof(cpu), "any");
		else
			snprintf(cpu, sizeof(cpu), "%" PRId64, in->cpu);
		if (!(in->valid & MNV_I_OPEN))
			snprintf(open, sizeof(open), "?");
		else
			snprintf(open, sizeof(open), "%s", in->open ? "yes" : "no");
		if ((in->valid & MNV_I_LBA_COUNT) && !in->lba_count)
			snprintf(d, sizeof(d), "0 (to end)");
		else
			fmt_u64(d, sizeof(d), in->valid & MNV_I_LBA_COUNT, in->lba_count);
		printf("    %-36s %-10s %-6s %-20s %-20s %-5s %-3s %s\n", in->uuid, type,
		       fmt_u64(a, sizeof(a), in->valid & MNV_I_NSID, in->nsid),
		       fmt_u64(b, sizeof(b), in->valid & MNV_I_LBA_START, in->lba_start),
		       d, cpu, fmt_u64(e, sizeof(e), in->valid & MNV_I_QPAIRS, in->qpairs),
		       open);
	}
}

static void json_opt_u64(struct mnv_json *j, const char *key, bool ok, uint64_t v)
{
	if (ok)
		mnv_json_u64(j, key, v);
	else
		mnv_json_null(j, key);
}

static void json_parent(struct mnv_json *j, const struct mnv_parent *p,
		      const struct mnv_inst *insts, size_t nr)
{
	size_t i;

	mnv_json_obj_begin(j, NULL);
	mnv_json_str(j, "bdf", p->bdf);
	mnv_json_str(j, "model", p->model);
	mnv_json_str(j, "serial", p->serial);
	mnv_json_str(j, "firmware", p->firmware);
	json_opt_u64(j, "queue_pairs_total", p->qp_total >= 0, (uint64_t)p->qp_total);
	json_opt_u64(j, "queue_pairs_free", p->qp_free >= 0, (uint64_t)p->qp_free);

	mnv_json_arr_begin(j, "namespaces");
	for (i = 0; i < p->nr_ns; i++) {
		mnv_json_obj_begin(j, NULL);
		mnv_json_u64(j, "nsid", p->ns[i].nsid);
		mnv_json_u64(j, "lba_count", p->ns[i].lba_count);
		mnv_json_u64(j, "lba_size", p->ns[i].lba_size);
		mnv_json_obj_end(j);
	}
	mnv_json_arr_end(j);

	mnv_json_arr_begin(j, "types");
	for (i = 0; i < p->nr_types; i++) {
		const struct mnv_parent_type *t = &p->types[i];

		mnv_json_obj_begin(j, NULL);
		mnv_json_str(j, "type", t->name);
		mnv_json_str(j, "dir", t->dir);
		mnv_json_u64(j, "queue_pairs", t->qpairs);
		json_opt_u64(j, "available_instances", t->avail >= 0, (uint64_t)t->avail);
		mnv_json_obj_end(j);
	}
	mnv_json_arr_end(j);

	mnv_json_arr_begin(j, "instances");
	for (i = 0; i < nr; i++) {
		const struct mnv_inst *in = &insts[i];
		char type[MNV_NAME_LEN];

		if (strcmp(in->bdf, p->bdf))
			continue;
		mnv_type_name(in->type, type, sizeof(type));
		mnv_json_obj_begin(j, NULL);
		mnv_json_str(j, "uuid", in->uuid);
		mnv_json_str(j, "type", type);
		json_opt_u64(j, "nsid", in->valid & MNV_I_NSID, in->nsid);
		json_opt_u64(j, "lba_start", in->valid & MNV_I_LBA_START, in->lba_start);
		json_opt_u64(j, "lba_count", in->valid & MNV_I_LBA_COUNT, in->lba_count);
		if (in->valid & MNV_I_CPU)
			mnv_json_s64(j, "cpu", in->cpu);
		else
			mnv_json_null(j, "cpu");
		json_opt_u64(j, "queue_pairs", in->valid & MNV_I_QPAIRS, in->qpairs);
		if (in->valid & MNV_I_OPEN)
			mnv_json_bool(j, "open", in->open);
		else
			mnv_json_null(j, "open");
		mnv_json_obj_end(j);
	}
	mnv_json_arr_end(j);
	mnv_json_obj_end(j);
}

int mnv_cmd_list(int argc, char **argv)
{
	struct mnv_bdf *bdfs = NULL;
	struct mnv_inst *insts = NULL;
	size_t nr_bdfs, nr_insts, i;
	struct mnv_parent *parents;
	struct mnv_json j;
	bool json = false, loaded;
	int ret;

	ret = mnv_flag_opts(argc, argv, "json", list_help, &json);
	if (ret >= 0)
		return ret;
	if (optind < argc)
		return mnv_usage_err(argv[0], "unexpected argument '%s'", argv[optind]);

	loaded = mnv_module_loaded();
	ret = mnv_bound_parents(&bdfs, &nr_bdfs);
	if (ret) {
		mnv_err("cannot list the devices bound to %s: %s", MNV_DRIVER_NAME,
			strerror(-ret));
		return MNV_EXIT_FAIL;
	}
	ret = mnv_load_insts(&insts, &nr_insts);
	if (ret) {
		mnv_err("cannot list the mdev devices: %s", strerror(-ret));
		free(bdfs);
		return MNV_EXIT_FAIL;
	}
	parents = calloc(nr_bdfs ? nr_bdfs : 1, sizeof(*parents));
	if (!parents) {
		mnv_err("out of memory");
		free(bdfs);
		free(insts);
		return MNV_EXIT_FAIL;
	}
	for (i = 0; i < nr_bdfs; i++) {
		ret = mnv_load_parent(bdfs[i].name, &parents[i]);
		if (ret) {
			mnv_err("cannot read %s: %s", bdfs[i].name, strerror(-ret));
			while (i--)
				mnv_free_parent(&parents[i]);
			free(parents);
			free(bdfs);
			free(insts);
			return MNV_EXIT_FAIL;
		}
	}

	if (json) {
		mnv_json_init(&j, stdout);
		mnv_json_obj_begin(&j, NULL);
		mnv_json_bool(&j, "module_loaded", loaded);
		mnv_json_arr_begin(&j, "controllers");
		for (i = 0; i < nr_bdfs; i++)
			json_parent(&j, &parents[i], insts, nr_insts);
		mnv_json_arr_end(&j);
		mnv_json_obj_end(&j);
	} else if (!loaded) {
		printf("the %s module is not loaded\n", MNV_DRIVER_NAME);
	} else if (!nr_bdfs) {
		printf("no controller is bound to %s (bind one: %s bind BDF)\n",
		       MNV_DRIVER_NAME, MNV_PROG);
	} else {
		for (i = 0; i < nr_bdfs; i++) {
			if (i)
				putchar('\n');
			text_parent(&parents[i], insts, nr_insts);
		}
	}

	for (i = 0; i < nr_bdfs; i++)
		mnv_free_parent(&parents[i]);
	free(parents);
	free(bdfs);
	free(insts);
	if (fflush(stdout) || ferror(stdout)) {
		mnv_err("cannot write the output");
		return MNV_EXIT_FAIL;
	}
	return MNV_EXIT_OK;
}
