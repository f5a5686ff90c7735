// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-nvme stats: the I/O counters of one instance (sysfs stats/).
 */
#include <inttypes.h>
#include <string.h>

#include "mnv.h"

static const char stats_help[] =
"Usage: " MNV_PROG " stats [--json] UUID\n"
"\n"
"Show what the instance did since it was created: commands and bytes,\n"
"commands the module refused, completions the drive posted for no\n"
"command in flight, the pin cache, the reads of guest PRP lists and DSM\n"
"ranges (how many, how many through VFIO rather than the pin cache, the\n"
"nanoseconds they took in all), the polling thread, guest interrupts\n"
"and hardware doorbell writes; and the guest pages pinned now.\n"
"\n"
"Options:\n"
"  --json      machine-readable output\n"
"  -h, --help  show this help\n";

static const struct {
	const char *file;	/* under /sys/bus/mdev/devices/UUID/ */
	const char *key;	/* JSON key */
	const char *label;
} counters[] = {
	{ "stats/read_cmds", "read_cmds", "reads completed" },
	{ "stats/write_cmds", "write_cmds", "writes completed" },
	{ "stats/other_cmds", "other_cmds", "flush/zeroes/DSM submitted" },
	{ "stats/read_bytes", "read_bytes", "bytes read" },
	{ "stats/write_bytes", "write_bytes", "bytes written" },
	{ "stats/refused_cmds", "refused_cmds", "commands refused" },
	{ "stats/stray_cqes", "stray_cqes", "stray drive completions" },
	{ "stats/pin_hits", "pin_hits", "pin cache hits" },
	{ "stats/pin_misses", "pin_misses", "pages pinned" },
	{ "stats/list_reads", "list_reads", "PRP list/DSM range reads" },
	{ "stats/list_reads_rw", "list_reads_rw", "of which through VFIO" },
	{ "stats/list_read_ns", "list_read_ns", "time reading them (ns)" },
	{ "stats/polls", "polls", "polling passes" },
	{ "stats/idle_sleeps", "idle_sleeps", "idle sleeps" },
	{ "stats/irq_waits", "irq_waits", "waits for a drive interrupt" },
	{ "stats/hw_naps", "hw_naps", "naps on the drive" },
	{ "stats/hw_irqs", "hw_irqs", "drive interrupts" },
	{ "stats/guest_irqs", "guest_irqs", "guest interrupts" },
	{ "stats/host_doorbells", "host_doorbells", "hardware doorbells" },
	{ "stats/mmio_doorbells", "mmio_doorbells", "trapped guest doorbells" },
	{ "pinned_pages", "pinned_pages", "pages pinned now" },
};

int mnv_cmd_stats(int argc, char **argv)
{
	char uuid[MNV_UUID_LEN + 1], bdf[MNV_BDF_LEN], type[MNV_NAME_LEN];
	uint64_t val[ARRAY_SIZE(counters)];
	const char *cmd = argv[0];
	bool json = false;
	struct mnv_json j;
	int ret;
	size_t i;

	ret = mnv_flag_opts(argc, argv, "json", stats_help, &json);
	if (ret >= 0)
		return ret;
	ret = mnv_uuid_operand(cmd, argc, argv, uuid, sizeof(uuid));
	if (ret >= 0)
		return ret;
	ret = mnv_check_inst(uuid, bdf, sizeof(bdf), type, sizeof(type));
	if (ret)
		return ret;

	/* Read everything first: no half-printed report on an error. */
	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		ret = mnv_read_u64(&val[i], "/sys/bus/mdev/devices/%s/%s", uuid,
				   counters[i].file);
		if (ret) {
			mnv_err("cannot read %s of %s: %s (is the module older than this tool?)",
				counters[i].file, uuid, strerror(-ret));
			return MNV_EXIT_FAIL;
		}
	}

	if (json) {
		mnv_json_init(&j, stdout);
		mnv_json_obj_begin(&j, NULL);
		mnv_json_str(&j, "uuid", uuid);
		for (i = 0; i < ARRAY_SIZE(counters); i++)
			mnv_json_u64(&j, counters[i].key, val[i]);
		mnv_json_obj_end(&j);
		fputc('\n', stdout);
		return MNV_EXIT_OK;
	}
	printf("%s (on %s)\n", uuid, bdf[0] ? bdf : "?");
	for (i = 0; i < ARRAY_SIZE(counters); i++)
		printf("  %-28s %" PRIu64 "\n", counters[i].label, val[i]);
	return MNV_EXIT_OK;
}
