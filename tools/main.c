// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-nvme: manage the vNVMe mediated devices of the mdev_nvme module.
 *
 * The tool speaks to the module only through sysfs, as documented in
 * Documentation/sysfs.rst.
 */
#include <string.h>

#include "mnv.h"

static const char main_help[] =
"Usage: " MNV_PROG " COMMAND [ARGS]\n"
"\n"
"Manage vNVMe mediated devices: slices of an NVMe namespace with reserved\n"
"hardware queue pairs, served by the " MNV_DRIVER_NAME " module to VMs through\n"
"VFIO mdev.\n"
"\n"
"Commands:\n"
"  bind BDF        hand an NVMe controller to " MNV_DRIVER_NAME "\n"
"  unbind BDF      give a controller back to the nvme driver\n"
"  list [--json]   show controllers, mdev types and instances\n"
"  create BDF ...  create an instance on a controller\n"
"  destroy UUID    remove an instance\n"
"  stats UUID      show the I/O counters of an instance\n"
"\n"
"'" MNV_PROG " COMMAND --help' describes a command and its options.\n"
"BDF is a PCI address: DDDD:BB:DD.F, or BB:DD.F for domain 0000.\n"
"\n"
"Exit status: 0 on success, 1 when the operation failed or was refused\n"
"(nothing is changed then), 2 for a usage error.\n"
"\n"
"Environment:\n"
"  MNV_SYSFS_ROOT  prefix put in front of every /sys and /proc path\n"
"                  (for testing against a fake tree; default empty)\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "bind", mnv_cmd_bind },
	{ "unbind", mnv_cmd_unbind },
	{ "list", mnv_cmd_list },
	{ "create", mnv_cmd_create },
	{ "destroy", mnv_cmd_destroy },
	{ "stats", mnv_cmd_stats },
};

int main(int argc, char **argv)
{
	size_t i;

	mnv_sysfs_init();
	if (argc < 2)
		return mnv_usage_err(NULL, "no command given");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(main_help, stdout);
		return MNV_EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		return mnv_usage_err(NULL, "unknown option '%s'", argv[1]);
	return mnv_usage_err(NULL, "unknown command '%s'", argv[1]);
}
