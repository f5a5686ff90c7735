// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-nvme create / destroy: make and remove vNVMe instances.
 *
 * Everything the kernel would refuse is checked first, so that a refusal
 * comes with a clear message and nothing is changed.  The kernel checks
 * again (other tools may race with us), and its errno is translated.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mnv.h"

static const char create_help[] =
"Usage: " MNV_PROG " create BDF [--type T] [--nsid N] [--lba-start S]\n"
"                        [--lba-count C] [--cpu N] [--mode M] [--idle-us U]\n"
"                        [--uuid U]\n"
"\n"
"Create a vNVMe instance on the controller at BDF (bound to " MNV_DRIVER_NAME ").\n"
"The guest sees LBAs [S, S+C) of host namespace N as its namespace 1.\n"
"\n"
"Options:\n"
"  --type T       mdev type: nvme-<n>q, <n>q or " MNV_TYPE_DIR_PREFIX "<n>q, with n\n"
"                 the hardware queue pairs reserved (default: the smallest\n"
"                 type the controller offers)\n"
"  --nsid N       host namespace (default 1)\n"
"  --lba-start S  first LBA of the slice (default 0)\n"
"  --lba-count C  LBAs in the slice (default: the rest of the namespace)\n"
"                 With none of these three and a slice policy on the\n"
"                 controller (its default_slice_bytes), the kernel picks\n"
"                 the slice: the first free one of that size.\n"
"  --cpu N        CPU of the polling thread, or -1/any (default any)\n"
"  --mode M       how the polling thread waits: adaptive (default: polls\n"
"                 while busy, sleeps when idle), poll (never sleeps) or\n"
"                 interrupt (sleeps whenever there is nothing to do)\n"
"  --idle-us U    adaptive mode: polling time after the last I/O before\n"
"                 sleeping, 0 to 1000000 us (default 100)\n"
"  --uuid U       UUID of the instance (default: a random one)\n"
"  -h, --help     show this help\n"
"\n"
"The slice must fit in the namespace and must not overlap the slice of\n"
"another instance on the same namespace.  On success the UUID is printed as\n"
"the last line.\n";

static const char destroy_help[] =
"Usage: " MNV_PROG " destroy [--force] UUID\n"
"\n"
"Remove the " MNV_DRIVER_NAME " instance UUID.  Refused while a VMM holds it\n"
"open, unless --force is given: the VMM is then asked to release the device\n"
"and the removal waits until it has.\n"
"\n"
"Options:\n"
"  --force     remove an open instance\n"
"  -h, --help  show this help\n";

/* Why the kernel refused a write, in the terms of Documentation/sysfs.rst. */
static const char *refusal(int err, const char *attr)
{
	bool create = !strcmp(attr, "create");

	switch (err) {
	case EEXIST:
		return create ? "an mdev device with this UUID already exists" :
			"the slice overlaps another instance's slice on the same namespace";
	case ERANGE:
		return "the slice does not fit in the namespace";
	case ENXIO:
		if (!strcmp(attr, "nsid"))
			return "the controller has no such namespace";
		if (!strcmp(attr, "cpu"))
			return "that CPU is not online";
		return "no such namespace or CPU";
	case ENOSPC:
		return "not enough free hardware queue pairs";
	case EBUSY:
		return "the instance is in use (open by a VMM)";
	case EINVAL:
		return create ? "the UUID was rejected" : "the value was rejected as invalid";
	default:
		return strerror(err);
	}
}

/*
 * 1 if cpu is in the kernel's online list ("0-3,6,8-11"), 0 if not, or
 * -errno if the list cannot be read, in which case the kernel will judge.
 */
static int cpu_online(int64_t cpu, char *list, size_t len)
{
	char buf[4096], *tok, *save = NULL;
	int ret;

	ret = mnv_read(buf, sizeof(buf), "/sys/devices/system/cpu/online");
	if (ret)
		return ret;
	snprintf(list, len, "%s", buf);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		uint64_t lo, hi;

		if (dash)
			*dash = '\0';
		if (mnv_parse_u64(tok, &lo))
			return -EINVAL;
		hi = lo;
		if (dash && mnv_parse_u64(dash + 1, &hi))
			return -EINVAL;
		if ((uint64_t)cpu >= lo && (uint64_t)cpu <= hi)
			return 1;
	}
	return 0;
}

static void ns_list(const struct mnv_parent *p, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < p->nr_ns && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%" PRIu32, i ? ", " : "",
				      p->ns[i].nsid);
	if (!p->nr_ns)
		snprintf(buf, len, "none");
}

static void type_list(const struct mnv_parent *p, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < p->nr_types && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
				      p->types[i].name);
}

struct create_req {
	char bdf[MNV_BDF_LEN];
	char uuid[MNV_UUID_LEN + 1];
	const char *type_spec;
	const struct mnv_parent_type *type;
	uint64_t nsid;
	uint64_t start;
	uint64_t count;
	bool have_count;
	bool have_slice;	/* --nsid, --lba-start or --lba-count given */
	uint64_t policy_bytes;	/* the controller's default_slice_bytes */
	int64_t cpu;
	const char *mode;
	uint64_t idle_us;
};

static int parse_create_args(int argc, char **argv, struct create_req *r)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "nsid", required_argument, NULL, 'n' },
		{ "lba-start", required_argument, NULL, 's' },
		{ "lba-count", required_argument, NULL, 'c' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "mode", required_argument, NULL, 'M' },
		{ "idle-us", required_argument, NULL, 'I' },
		{ "uuid", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	uint64_t v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			r->type_spec = optarg;
			break;
		case 'n':
			if (mnv_parse_u64(optarg, &r->nsid) || r->nsid > UINT32_MAX)
				return mnv_usage_err(cmd, "--nsid '%s' is not a namespace id", optarg);
			r->have_slice = true;
			break;
		case 's':
			if (mnv_parse_u64(optarg, &r->start))
				return mnv_usage_err(cmd, "--lba-start '%s' is not a number of 0 to 2^64-1",
						     optarg);
			r->have_slice = true;
			break;
		case 'c':
			if (mnv_parse_u64(optarg, &r->count))
				return mnv_usage_err(cmd, "--lba-count '%s' is not a number of 0 to 2^64-1",
						     optarg);
			r->have_count = true;
			r->have_slice = true;
			break;
		case 'C':
			if (!strcmp(optarg, "-1") || !strcmp(optarg, "any"))
				r->cpu = MNV_CPU_ANY;
			else if (!mnv_parse_u64(optarg, &v) && v <= INT32_MAX)
				r->cpu = (int64_t)v;
			else
				return mnv_usage_err(cmd, "--cpu '%s' is not a CPU number, -1 or any",
						     optarg);
			break;
		case 'M':
			if (strcmp(optarg, "adaptive") && strcmp(optarg, "poll") &&
			    strcmp(optarg, "interrupt"))
				return mnv_usage_err(cmd, "--mode '%s' is not adaptive, poll or interrupt",
						     optarg);
			r->mode = optarg;
			break;
		case 'I':
			if (mnv_parse_u64(optarg, &r->idle_us) ||
			    r->idle_us > MNV_IDLE_US_MAX)
				return mnv_usage_err(cmd, "--idle-us '%s' is not a number of 0 to %u",
						     optarg, MNV_IDLE_US_MAX);
			break;
		case 'u':
			if (mnv_parse_uuid(optarg, r->uuid, sizeof(r->uuid)))
				return mnv_usage_err(cmd, "--uuid '%s' is not a UUID (8-4-4-4-12 hex digits)",
						     optarg);
			break;
		case 'h':
			fputs(create_help, stdout);
			return MNV_EXIT_OK;
		default:
			return mnv_opt_err(cmd, c, argv);
		}
	}
	if (optind >= argc)
		return mnv_usage_err(cmd, "missing BDF");
	if (optind + 1 < argc)
		return mnv_usage_err(cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (mnv_parse_bdf(argv[optind], r->bdf, sizeof(r->bdf)))
		return mnv_usage_err(cmd, "'%s' is not a PCI address (DDDD:BB:DD.F or BB:DD.F)",
				     argv[optind]);
	return -1;
}

/* The slice must not meet another instance's on the same namespace. */
static int check_overlap(const struct create_req *r, uint64_t nsze)
{
	uint64_t end = r->start + r->count;
	struct mnv_inst *insts;
	size_t nr, i;
	int ret;

	ret = mnv_load_insts(&insts, &nr);
	if (ret) {
		mnv_err("cannot list the mdev devices: %s", strerror(-ret));
		return MNV_EXIT_FAIL;
	}
	ret = MNV_EXIT_OK;
	for (i = 0; i < nr; i++) {
		const unsigned int need = MNV_I_NSID | MNV_I_LBA_START | MNV_I_LBA_COUNT;
		const struct mnv_inst *in = &insts[i];
		uint64_t os = in->lba_start, oe;

		/* An unreadable instance is left to the kernel to judge. */
		if (strcmp(in->bdf, r->bdf) || (in->valid & need) != need ||
		    in->nsid != r->nsid)
			continue;
		/* lba_count 0 claims the rest of the namespace when opened. */
		if (!in->lba_count)
			oe = nsze;
		else
			oe = os + in->lba_count < os ? UINT64_MAX : os + in->lba_count;
		if (os >= oe || r->start >= oe || os >= end)
			continue;
		mnv_err("LBAs [%" PRIu64 ", %" PRIu64 ") of namespace %" PRIu64
			" overlap instance %s, which has [%" PRIu64 ", %" PRIu64 ")%s",
			r->start, end, r->nsid, in->uuid, os, oe,
			in->lba_count ? "" : " (lba_count 0: to the end)");
		ret = MNV_EXIT_FAIL;
		break;
	}
	free(insts);
	return ret;
}

static int precheck(struct create_req *r, const struct mnv_parent *p)
{
	const struct mnv_ns *ns;
	char list[4096];
	uint64_t nsze;
	int ret;

	if (!r->uuid[0]) {
		char buf[64];

		ret = mnv_read(buf, sizeof(buf), "/proc/sys/kernel/random/uuid");
		if (ret || mnv_parse_uuid(buf, r->uuid, sizeof(r->uuid))) {
			mnv_err("cannot get a random UUID from /proc/sys/kernel/random/uuid: %s (pass --uuid)",
				ret ? strerror(-ret) : "malformed");
			return MNV_EXIT_FAIL;
		}
	}
	if (mnv_exists("/sys/bus/mdev/devices/%s", r->uuid)) {
		mnv_err("an mdev device with UUID %s already exists (pick another --uuid)", r->uuid);
		return MNV_EXIT_FAIL;
	}

	if (!p->nr_types) {
		mnv_err("%s offers no mdev type (queue_pairs_total too small?)", r->bdf);
		return MNV_EXIT_FAIL;
	}
	r->type = r->type_spec ? mnv_find_parent_type(p, r->type_spec) :
				   &p->types[0];
	if (!r->type) {
		type_list(p, list, sizeof(list));
		mnv_err("%s offers no type '%s' (offered: %s)", r->bdf, r->type_spec, list);
		return MNV_EXIT_FAIL;
	}

	/* The kernel carves the slice: its checks are the ones that count. */
	if (!r->have_slice && r->policy_bytes)
		goto slice_done;
	if (p->ns_err) {
		mnv_err("cannot read the namespaces of %s: %s", r->bdf, strerror(-p->ns_err));
		return MNV_EXIT_FAIL;
	}
	ns = mnv_find_ns(p, r->nsid);
	if (!ns) {
		ns_list(p, list, sizeof(list));
		mnv_err("%s has no namespace %" PRIu64 " (namespaces: %s)", r->bdf, r->nsid, list);
		return MNV_EXIT_FAIL;
	}
	nsze = ns->lba_count;
	if (r->start >= nsze) {
		mnv_err("lba-start %" PRIu64 " is outside namespace %" PRIu64
			" of %s, which has %" PRIu64 " LBAs", r->start, r->nsid, r->bdf, nsze);
		return MNV_EXIT_FAIL;
	}
	if (!r->have_count) {
		r->count = nsze - r->start;
	} else if (!r->count) {
		mnv_err("lba-count 0 is an empty slice (leave --lba-count out to take the rest of the namespace)");
		return MNV_EXIT_FAIL;
	}
	if (r->start + r->count < r->start) {
		mnv_err("lba-start %" PRIu64 " + lba-count %" PRIu64 " overflows 64 bits",
			r->start, r->count);
		return MNV_EXIT_FAIL;
	}
	if (r->start + r->count > nsze) {
		mnv_err("LBAs [%" PRIu64 ", %" PRIu64 ") are outside namespace %" PRIu64
			" of %s, which has %" PRIu64 " LBAs",
			r->start, r->start + r->count, r->nsid, r->bdf, nsze);
		return MNV_EXIT_FAIL;
	}
	ret = check_overlap(r, nsze);
	if (ret)
		return ret;
slice_done:

	if (!r->type->avail) {
		mnv_err("no free queue pairs on %s for %s, which needs %u (%" PRId64 " of %" PRId64 " free)",
			r->bdf, r->type->name, r->type->qpairs, p->qp_free, p->qp_total);
		return MNV_EXIT_FAIL;
	}
	if (r->cpu >= 0 && !cpu_online(r->cpu, list, sizeof(list))) {
		mnv_err("CPU %" PRId64 " is not online (online: %s)", r->cpu, list);
		return MNV_EXIT_FAIL;
	}
	return MNV_EXIT_OK;
}

/* The kernel refused attr: undo the creation so nothing is left behind. */
static int rollback(const struct create_req *r, const char *attr, const char *val, int err)
{
	int ret = mnv_write("1\n", "/sys/bus/mdev/devices/%s/remove", r->uuid);

	if (!ret)
		mnv_err("the kernel refused %s %s for the new instance: %s (%s); instance %s removed",
			attr, val, refusal(err, attr), mnv_errname(err), r->uuid);
	else
		mnv_err("the kernel refused %s %s for the new instance: %s (%s); removing it failed too (%s), remove it with: %s destroy %s",
			attr, val, refusal(err, attr), mnv_errname(err), strerror(-ret),
			MNV_PROG, r->uuid);
	return MNV_EXIT_FAIL;
}

static int do_create(const struct create_req *r)
{
	struct {
		const char *attr;
		char val[32];
	} set[6] = {
		{ .attr = "nsid" }, { .attr = "lba_start" },
		{ .attr = "lba_count" }, { .attr = "cpu" },
		{ .attr = "mode" }, { .attr = "idle_us" },
	};
	char line[MNV_UUID_LEN + 2];
	size_t i;
	int ret;

	snprintf(line, sizeof(line), "%s\n", r->uuid);
	ret = mnv_write(line, "/sys/bus/pci/devices/%s/mdev_supported_types/%s/create",
			r->bdf, r->type->dir);
	if (ret) {
		mnv_err("the kernel refused to create a %s instance on %s: %s (%s)",
			r->type->name, r->bdf, refusal(-ret, "create"), mnv_errname(-ret));
		return MNV_EXIT_FAIL;
	}
	if (!mnv_exists("/sys/bus/mdev/devices/%s", r->uuid)) {
		mnv_err("the kernel accepted %s but /sys/bus/mdev/devices/%s did not appear",
			r->uuid, r->uuid);
		return MNV_EXIT_FAIL;
	}

	/*
	 * This order never trips the kernel's overlap check on a half-set
	 * slice: the range is only checked once lba_count is non-zero.
	 */
	snprintf(set[0].val, sizeof(set[0].val), "%" PRIu64, r->nsid);
	snprintf(set[1].val, sizeof(set[1].val), "%" PRIu64, r->start);
	snprintf(set[2].val, sizeof(set[2].val), "%" PRIu64, r->count);
	snprintf(set[3].val, sizeof(set[3].val), "%" PRId64, r->cpu);
	snprintf(set[4].val, sizeof(set[4].val), "%s", r->mode);
	snprintf(set[5].val, sizeof(set[5].val), "%" PRIu64, r->idle_us);
	/* With the policy's slice, the three slice attributes are left alone. */
	for (i = (!r->have_slice && r->policy_bytes) ? 3 : 0; i < ARRAY_SIZE(set); i++) {
		snprintf(line, sizeof(line), "%s\n", set[i].val);
		ret = mnv_write(line, "/sys/bus/mdev/devices/%s/%s", r->uuid, set[i].attr);
		if (ret)
			return rollback(r, set[i].attr, set[i].val, -ret);
	}

	if (!r->have_slice && r->policy_bytes) {
		uint64_t nsid = 0, start = 0, count = 0;

		if (mnv_read_u64(&nsid, "/sys/bus/mdev/devices/%s/nsid", r->uuid) ||
		    mnv_read_u64(&start, "/sys/bus/mdev/devices/%s/lba_start", r->uuid) ||
		    mnv_read_u64(&count, "/sys/bus/mdev/devices/%s/lba_count", r->uuid))
			mnv_note("cannot read back the slice the kernel gave %s", r->uuid);
		printf("created %s instance on %s: namespace %" PRIu64 ", LBAs [%" PRIu64
		       ", %" PRIu64 ") (slice policy), cpu %s, mode %s\n", r->type->name,
		       r->bdf, nsid, start, start + count,
		       r->cpu < 0 ? "any" : set[3].val, r->mode);
		printf("%s\n", r->uuid);
		return MNV_EXIT_OK;
	}
	printf("created %s instance on %s: namespace %" PRIu64 ", LBAs [%" PRIu64 ", %"
	       PRIu64 "), cpu %s, mode %s\n", r->type->name, r->bdf, r->nsid,
	       r->start, r->start + r->count, r->cpu < 0 ? "any" : set[3].val,
	       r->mode);
	printf("%s\n", r->uuid);
	return MNV_EXIT_OK;
}

int mnv_cmd_create(int argc, char **argv)
{
	struct create_req r = { .nsid = 1, .cpu = MNV_CPU_ANY,
				.mode = "adaptive",
				.idle_us = MNV_IDLE_US_DEFAULT };
	struct mnv_parent p;
	int ret;

	ret = parse_create_args(argc, argv, &r);
	if (ret >= 0)
		return ret;
	ret = mnv_check_nvme_dev(r.bdf, true);
	if (ret)
		return ret;
	ret = mnv_load_parent(r.bdf, &p);
	if (ret) {
		mnv_err("cannot read %s: %s", r.bdf, strerror(-ret));
		return MNV_EXIT_FAIL;
	}
	/* Missing (an older module) reads as no policy. */
	if (mnv_read_u64(&r.policy_bytes, "/sys/bus/pci/devices/%s/" MNV_PARENT_GROUP
			 "/default_slice_bytes", r.bdf))
		r.policy_bytes = 0;
	ret = precheck(&r, &p);
	if (!ret)
		ret = do_create(&r);
	mnv_free_parent(&p);
	return ret;
}

int mnv_cmd_destroy(int argc, char **argv)
{
	char uuid[MNV_UUID_LEN + 1], bdf[MNV_BDF_LEN];
	char type[MNV_NAME_LEN], name[MNV_NAME_LEN];
	const char *cmd = argv[0];
	bool force = false;
	uint64_t open;
	int ret;

	ret = mnv_flag_opts(argc, argv, "force", destroy_help, &force);
	if (ret >= 0)
		return ret;
	ret = mnv_uuid_operand(cmd, argc, argv, uuid, sizeof(uuid));
	if (ret >= 0)
		return ret;

	ret = mnv_check_inst(uuid, bdf, sizeof(bdf), type, sizeof(type));
	if (ret)
		return ret;
	/* Removing an open instance blocks until the VMM lets go of it. */
	if (!mnv_read_u64(&open, "/sys/bus/mdev/devices/%s/open", uuid) && open) {
		if (!force) {
			mnv_err("%s is open by a VMM: stop the VM first (or use --force: the VMM is asked to release it and the removal waits until it does)",
				uuid);
			return MNV_EXIT_FAIL;
		}
		mnv_note("%s is open: asking the VMM to release it; this waits until it does",
			 uuid);
		fflush(stderr);
	}
	ret = mnv_write("1\n", "/sys/bus/mdev/devices/%s/remove", uuid);
	if (ret == -EBUSY) {
		mnv_err("the kernel refused to remove %s: it is in use (EBUSY); stop the VM using it and retry",
			uuid);
		return MNV_EXIT_FAIL;
	}
	if (ret) {
		mnv_err("cannot remove %s: %s (%s)", uuid, strerror(-ret), mnv_errname(-ret));
		return MNV_EXIT_FAIL;
	}
	mnv_type_name(type, name, sizeof(name));
	printf("destroyed %s (%s on %s)\n", uuid, name, bdf[0] ? bdf : "?");
	return MNV_EXIT_OK;
}
