// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev-nvme bind / unbind: move a controller between nvme and mdev_nvme.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mnv.h"

#define NVME_DRIVER	"nvme"

static const char bind_help[] =
"Usage: " MNV_PROG " bind [--force] BDF\n"
"\n"
"Hand the NVMe controller at BDF (DDDD:BB:DD.F, or BB:DD.F for domain 0000)\n"
"to " MNV_DRIVER_NAME ": set its driver_override, unbind it from its current\n"
"driver and probe it again.  If " MNV_DRIVER_NAME " does not take it, the\n"
"previous driver_override is restored and the old driver probed again.\n"
"\n"
"While the controller is driven by nvme, bind refuses if one of its block\n"
"devices (or a partition) is mounted, used as swap or held by another\n"
"device (device-mapper, md, LVM): unbinding would pull it away.\n"
"A controller that holds the root filesystem (directly or under\n"
"device-mapper, md or LVM) is always refused, even with --force.\n"
"\n"
"Options:\n"
"  --force     skip the in-use check of the nvme block devices (not the\n"
"              root filesystem check)\n"
"  -h, --help  show this help\n";

static const char unbind_help[] =
"Usage: " MNV_PROG " unbind BDF\n"
"\n"
"Give the controller at BDF back to the nvme driver: clear its\n"
"driver_override, unbind it from " MNV_DRIVER_NAME " and probe it again.\n"
"Refused while instances exist on it (unbinding would remove them):\n"
"destroy them first.\n"
"\n"
"Options:\n"
"  -h, --help  show this help\n";

/* Parses "[options] BDF"; returns -1 to go on, else an exit status. */
static int parse_bdf_args(int argc, char **argv, const char *help,
			  bool *force, char *bdf, size_t len)
{
	int ret = mnv_flag_opts(argc, argv, "force", help, force);

	if (ret >= 0)
		return ret;
	if (optind >= argc)
		return mnv_usage_err(argv[0], "missing BDF");
	if (optind + 1 < argc)
		return mnv_usage_err(argv[0], "unexpected argument '%s'", argv[optind + 1]);
	if (mnv_parse_bdf(argv[optind], bdf, len))
		return mnv_usage_err(argv[0], "'%s' is not a PCI address (DDDD:BB:DD.F or BB:DD.F)",
				     argv[optind]);
	return -1;
}

/* Looks for "/dev/<name>" in a /proc/mounts or /proc/swaps style table. */
static bool in_table(const char *table, const char *name, char *where, size_t len)
{
	char path[MNV_PATH_LEN], dev[MNV_PATH_LEN];
	char *line = NULL, *save = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f;

	if (mnv_path(path, sizeof(path), "%s", table))
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	while (!found && getline(&line, &cap, f) > 0) {
		const char *src = strtok_r(line, " \t\n", &save);
		const char *dst = strtok_r(NULL, " \t\n", &save);

		if (src && !strcmp(src, dev)) {
			snprintf(where, len, "%s", dst ? dst : "");
			found = true;
		}
	}
	free(line);
	fclose(f);
	return found;
}

/* A reason too long for the buffer is cut: it is only shown to the user. */
static void __printf(3, 4) say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static bool dir_first_entry(const char *path, char *name, size_t len)
{
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(path);

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(name, len, "%s", de->d_name);
		found = true;
	}
	closedir(d);
	return found;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* Where the root filesystem is mounted from. */
struct root_fs {
	char devt[32];			/* "MAJ:MIN" */
	char src[MNV_PATH_LEN];		/* mount source, e.g. /dev/nvme0n1p2 */
};

/*
 * The last mount on "/" in mountinfo (a later mount hides the earlier
 * ones).  The device number, not the name in /proc/mounts, which reads
 * /dev/root for a root the kernel mounted itself; and the mount source,
 * because btrfs shows an anonymous device number.
 */
static bool find_root_fs(struct root_fs *root)
{
	char path[MNV_PATH_LEN];
	char *line = NULL, *save = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f;

	if (mnv_path(path, sizeof(path), "/proc/self/mountinfo"))
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		const char *dev, *mnt, *tok, *src = "";

		/* id parent MAJ:MIN root mountpoint options... - fstype source ... */
		if (!strtok_r(line, " \n", &save) || !strtok_r(NULL, " \n", &save))
			continue;
		dev = strtok_r(NULL, " \n", &save);
		if (!dev || !strtok_r(NULL, " \n", &save))
			continue;
		mnt = strtok_r(NULL, " \n", &save);
		if (!mnt || strcmp(mnt, "/"))
			continue;
		while ((tok = strtok_r(NULL, " \n", &save)) && strcmp(tok, "-"))
			;
		if (tok && strtok_r(NULL, " \n", &save)) {
			tok = strtok_r(NULL, " \n", &save);
			src = tok ? tok : "";
		}
		snprintf(root->devt, sizeof(root->devt), "%s", dev);
		snprintf(root->src, sizeof(root->src), "%s", src);
		found = true;
	}
	free(line);
	fclose(f);
	return found;
}

/*
 * Is the block device name, whose sysfs directory is dir, the root
 * filesystem's, or below a stack of devices (its holders, theirs...) that
 * ends in it?  via names the holder at the top of the stack, for the
 * message.
 */
static bool holds_root(const char *dir, const char *name, const struct root_fs *root,
		       int depth, char *via, size_t len)
{
	char path[MNV_PATH_LEN], devt[32];
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (!strncmp(root->src, "/dev/", 5) && !strcmp(root->src + 5, name))
		return true;
	if ((size_t)snprintf(path, sizeof(path), "%s/dev", dir) < sizeof(path) &&
	    !mnv_read_file(path, devt, sizeof(devt)) && !strcmp(devt, root->devt))
		return true;
	/* Stacks are a few levels deep; the bound ends a loop in a fake tree. */
	if (depth >= 8 ||
	    (size_t)snprintf(path, sizeof(path), "%s/holders", dir) >= sizeof(path))
		return false;
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char sub[MNV_PATH_LEN];

		if (de->d_name[0] == '.' ||
		    (size_t)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= sizeof(sub))
			continue;
		found = holds_root(sub, de->d_name, root, depth + 1, via, len);
		if (found && !via[0])
			snprintf(via, len, "%s", de->d_name);
	}
	closedir(d);
	return found;
}

/*
 * Is the block device (or one of its partitions) whose sysfs directory is
 * dir in use?  Mount points and swap come from procfs, stacked devices
 * (dm, md, LVM) from the "holders" directory.
 */
static bool blk_in_use(const char *dir, const char *name, const struct root_fs *root,
		       int depth, char *why, size_t len)
{
	char sub[MNV_PATH_LEN], what[MNV_PATH_LEN];
	struct dirent *de;
	bool used = false;
	DIR *d;

	if (root) {
		what[0] = '\0';
		if (holds_root(dir, name, root, 0, what, sizeof(what))) {
			if (what[0])
				say(why, len, "%s holds the root filesystem (through %s)",
				    name, what);
			else
				say(why, len, "%s holds the root filesystem", name);
			return true;
		}
		goto partitions;
	}
	snprintf(sub, sizeof(sub), "%s/holders", dir);
	if (dir_first_entry(sub, what, sizeof(what))) {
		say(why, len, "%s is held by %s", name, what);
		return true;
	}
	if (in_table("/proc/mounts", name, what, sizeof(what))) {
		say(why, len, "%s is mounted on %s", name, what);
		return true;
	}
	if (in_table("/proc/swaps", name, what, sizeof(what))) {
		say(why, len, "%s is used as swap", name);
		return true;
	}
partitions:
	if (depth)
		return false;
	d = opendir(dir);
	if (!d)
		return false;
	while (!used && (de = readdir(d))) {
		if (strncmp(de->d_name, name, strlen(name)) || !strcmp(de->d_name, name))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= sizeof(sub) ||
		    (size_t)snprintf(what, sizeof(what), "%s/partition", sub) >= sizeof(what))
			continue;
		if (is_dir(sub) && !access(what, F_OK))
			used = blk_in_use(sub, de->d_name, root, depth + 1, why, len);
	}
	closedir(d);
	return used;
}

/*
 * With native NVMe multipath the controller only has hidden path devices
 * (nvmeXcYnZ); the block device people mount is the head, which lists its
 * paths below /sys/block/<head>/multipath/.
 */
static bool head_in_use(const char *path_dev, const struct root_fs *root, char *why,
			size_t len)
{
	char dir[MNV_PATH_LEN], sub[MNV_PATH_LEN];
	struct dirent *de;
	bool used = false;
	DIR *d;

	if (mnv_path(dir, sizeof(dir), "/sys/block"))
		return false;
	d = opendir(dir);
	if (!d)
		return false;
	while (!used && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    (size_t)snprintf(sub, sizeof(sub), "%s/%s/multipath/%s", dir,
				     de->d_name, path_dev) >= sizeof(sub) ||
		    access(sub, F_OK))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) < sizeof(sub))
			used = blk_in_use(sub, de->d_name, root, 0, why, len);
	}
	closedir(d);
	return used;
}

/*
 * Is a block device of the nvme driver's controller on bdf in use?  With
 * root set, only whether one holds the root filesystem.
 */
static bool nvme_driver_in_use(const char *bdf, const struct root_fs *root,
			       char *why, size_t len)
{
	char top[MNV_PATH_LEN], cdir[MNV_PATH_LEN], bdir[MNV_PATH_LEN];
	char hdir[MNV_PATH_LEN];
	struct dirent *ce, *be;
	bool used = false;
	DIR *cd, *bd;

	if (mnv_path(top, sizeof(top), "/sys/bus/pci/devices/%s/nvme", bdf))
		return false;
	cd = opendir(top);
	if (!cd)
		return false;
	while (!used && (ce = readdir(cd))) {
		if (strncmp(ce->d_name, "nvme", 4) ||
		    (size_t)snprintf(cdir, sizeof(cdir), "%s/%s", top, ce->d_name) >= sizeof(cdir))
			continue;
		bd = opendir(cdir);
		if (!bd)
			continue;
		while (!used && (be = readdir(bd))) {
			/* Block devices are the children that have "holders". */
			if (strncmp(be->d_name, "nvme", 4) ||
			    (size_t)snprintf(bdir, sizeof(bdir), "%s/%s", cdir,
					     be->d_name) >= sizeof(bdir) ||
			    (size_t)snprintf(hdir, sizeof(hdir), "%s/holders",
					     bdir) >= sizeof(hdir) ||
			    !is_dir(hdir))
				continue;
			used = blk_in_use(bdir, be->d_name, root, 0, why, len);
			if (!used && strchr(be->d_name + 4, 'c'))
				used = head_in_use(be->d_name, root, why, len);
		}
		closedir(bd);
	}
	closedir(cd);
	return used;
}

static const char *drv_or_none(const char *drv)
{
	return drv[0] ? drv : "no driver";
}

int mnv_cmd_bind(int argc, char **argv)
{
	char bdf[MNV_BDF_LEN], old[MNV_NAME_LEN], now[MNV_NAME_LEN];
	char ovr[MNV_NAME_LEN], line[MNV_NAME_LEN + 2], why[MNV_PATH_LEN];
	struct root_fs root;
	bool force = false;
	int ret, probe_err;

	ret = parse_bdf_args(argc, argv, bind_help, &force, bdf, sizeof(bdf));
	if (ret >= 0)
		return ret;
	ret = mnv_check_nvme_dev(bdf, false);
	if (ret)
		return ret;
	ret = mnv_driver_of(bdf, old, sizeof(old));
	if (ret) {
		mnv_err("cannot read the driver of %s: %s", bdf, strerror(-ret));
		return MNV_EXIT_FAIL;
	}
	if (!strcmp(old, MNV_DRIVER_NAME)) {
		printf("%s is already bound to %s\n", bdf, MNV_DRIVER_NAME);
		return MNV_EXIT_OK;
	}
	/* Unbinding it would take the system down: no --force for that. */
	if (!strcmp(old, NVME_DRIVER) && find_root_fs(&root) &&
	    nvme_driver_in_use(bdf, &root, why, sizeof(why))) {
		mnv_err("%s holds the root filesystem: %s; refusing to take it from nvme (--force does not override this)",
			bdf, why);
		return MNV_EXIT_FAIL;
	}
	if (!force && !strcmp(old, NVME_DRIVER) &&
	    nvme_driver_in_use(bdf, NULL, why, sizeof(why))) {
		mnv_err("%s is in use: %s (release it first, or use --force)", bdf, why);
		return MNV_EXIT_FAIL;
	}
	ret = mnv_read(ovr, sizeof(ovr), "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (ret) {
		mnv_err("cannot read the driver_override of %s: %s", bdf, strerror(-ret));
		return MNV_EXIT_FAIL;
	}
	/* The kernel shows an unset override as "(null)". */
	if (!strcmp(ovr, "(null)"))
		ovr[0] = '\0';
	snprintf(line, sizeof(line), "%s\n", ovr);

	ret = mnv_write(MNV_DRIVER_NAME "\n", "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (ret) {
		mnv_err("cannot set the driver_override of %s: %s", bdf, strerror(-ret));
		return MNV_EXIT_FAIL;
	}
	if (old[0]) {
		ret = mnv_write(bdf, "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		if (ret) {
			mnv_write(line, "/sys/bus/pci/devices/%s/driver_override", bdf);
			mnv_err("cannot unbind %s from %s: %s", bdf, old, strerror(-ret));
			return MNV_EXIT_FAIL;
		}
	}
	/* Binding shows in the driver link; a failed probe is not an error here. */
	probe_err = mnv_write(bdf, "/sys/bus/pci/drivers_probe");
	if (mnv_driver_of(bdf, now, sizeof(now)))
		now[0] = '\0';
	if (!strcmp(now, MNV_DRIVER_NAME)) {
		printf("%s: bound to %s (was: %s)\n", bdf, MNV_DRIVER_NAME, drv_or_none(old));
		return MNV_EXIT_OK;
	}

	/* Put things back the way they were. */
	ret = mnv_write(line, "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (old[0] && !now[0]) {
		mnv_write(bdf, "/sys/bus/pci/drivers_probe");
		if (mnv_driver_of(bdf, now, sizeof(now)))
			now[0] = '\0';
	}
	snprintf(why, sizeof(why), "%s%s%s",
		 probe_err ? " (drivers_probe: " : "",
		 probe_err ? mnv_errname(-probe_err) : "", probe_err ? ")" : "");
	if (ret)
		mnv_err("%s did not take %s%s (see the kernel log); restoring its driver_override failed (%s), it is bound to %s",
			MNV_DRIVER_NAME, bdf, why, strerror(-ret), drv_or_none(now));
	else if (strcmp(now, old))
		mnv_err("%s did not take %s%s (see the kernel log); it is now bound to %s instead of %s",
			MNV_DRIVER_NAME, bdf, why, drv_or_none(now), drv_or_none(old));
	else
		mnv_err("%s did not take %s%s (see the kernel log); restored, it is bound to %s again",
			MNV_DRIVER_NAME, bdf, why, drv_or_none(now));
	return MNV_EXIT_FAIL;
}

int mnv_cmd_unbind(int argc, char **argv)
{
	char bdf[MNV_BDF_LEN], old[MNV_NAME_LEN], now[MNV_NAME_LEN];
	struct mnv_inst *insts;
	size_t nr, n;
	int ret;

	ret = parse_bdf_args(argc, argv, unbind_help, NULL, bdf, sizeof(bdf));
	if (ret >= 0)
		return ret;
	if (!mnv_exists("/sys/bus/pci/devices/%s", bdf)) {
		mnv_err("no PCI device %s", bdf);
		return MNV_EXIT_FAIL;
	}
	ret = mnv_driver_of(bdf, old, sizeof(old));
	if (ret) {
		mnv_err("cannot read the driver of %s: %s", bdf, strerror(-ret));
		return MNV_EXIT_FAIL;
	}
	if (!strcmp(old, NVME_DRIVER)) {
		printf("%s is already bound to %s\n", bdf, NVME_DRIVER);
		return MNV_EXIT_OK;
	}
	/*
	 * Without a driver the device may still carry our driver_override
	 * (e.g. after an rmmod); clearing it and probing is what gives it back.
	 */
	if (old[0] && strcmp(old, MNV_DRIVER_NAME)) {
		mnv_err("%s is bound to %s, not to %s; leaving it alone", bdf, old,
			MNV_DRIVER_NAME);
		return MNV_EXIT_FAIL;
	}
	ret = mnv_load_insts(&insts, &nr);
	if (ret) {
		mnv_err("cannot list the mdev devices: %s", strerror(-ret));
		return MNV_EXIT_FAIL;
	}
	n = mnv_count_insts(insts, nr, bdf);
	free(insts);
	if (n) {
		mnv_err("%s still has %zu instance%s; unbinding would remove them (destroy them first: %s list, then %s destroy UUID)",
			bdf, n, n == 1 ? "" : "s", MNV_PROG, MNV_PROG);
		return MNV_EXIT_FAIL;
	}

	ret = mnv_write("\n", "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (ret) {
		mnv_err("cannot clear the driver_override of %s: %s", bdf, strerror(-ret));
		return MNV_EXIT_FAIL;
	}
	if (old[0]) {
		ret = mnv_write(bdf, "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		if (ret) {
			mnv_write(MNV_DRIVER_NAME "\n",
				  "/sys/bus/pci/devices/%s/driver_override", bdf);
			mnv_err("cannot unbind %s from %s: %s", bdf, old, strerror(-ret));
			return MNV_EXIT_FAIL;
		}
	}
	mnv_write(bdf, "/sys/bus/pci/drivers_probe");
	if (mnv_driver_of(bdf, now, sizeof(now)))
		now[0] = '\0';
	if (strcmp(now, NVME_DRIVER)) {
		mnv_err("%s was released by %s but is now bound to %s (is the nvme module loaded? modprobe nvme)",
			bdf, MNV_DRIVER_NAME, drv_or_none(now));
		return MNV_EXIT_FAIL;
	}
	printf("%s: released by %s, now bound to %s\n", bdf, MNV_DRIVER_NAME, now);
	return MNV_EXIT_OK;
}
