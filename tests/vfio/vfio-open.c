// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-open: open a vNVMe through VFIO like a VMM would, for shell tests.
 *
 *   vfio-open UUID info        print device, region and IRQ info, close
 *   vfio-open UUID hold FILE   open, create FILE, wait until FILE is
 *                              removed (or SIGTERM), check the device
 *                              still answers a config read, close
 *
 * Exit status: 0 on success, 1 if the device cannot be opened (errno
 * printed), 2 on bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio_user.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int print_info(struct vfio_user *vu)
{
	unsigned int i;

	printf("flags 0x%x regions %u irqs %u\n", vu->info.flags,
	       vu->info.num_regions, vu->info.num_irqs);
	for (i = 0; i < vu->info.num_regions && i < VFIO_PCI_NUM_REGIONS; i++)
		printf("region %u size %llu flags 0x%x\n", i,
		       (unsigned long long)vu->regions[i].size,
		       vu->regions[i].flags);
	for (i = 0; i < vu->info.num_irqs; i++) {
		struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = i };

		if (ioctl(vu->device, VFIO_DEVICE_GET_IRQ_INFO, &irq)) {
			perror("VFIO_DEVICE_GET_IRQ_INFO");
			return 1;
		}
		printf("irq %u count %u flags 0x%x\n", i, irq.count,
		       irq.flags);
	}
	return 0;
}

static int hold(struct vfio_user *vu, const char *file)
{
	FILE *f = fopen(file, "w");
	uint16_t vendor = 0;
	long n;

	if (!f) {
		perror(file);
		return 1;
	}
	fclose(f);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop && access(file, F_OK) == 0)
		usleep(50000);

	/* The device must stay usable until it is closed, even mid-removal. */
	n = vfio_user_rw(vu, VFIO_PCI_CONFIG_REGION_INDEX, 0, &vendor,
			 sizeof(vendor), 0);
	if (n != sizeof(vendor) || vendor == 0 || vendor == 0xffff) {
		fprintf(stderr, "vfio-open: config read after hold failed (%ld, 0x%x)\n",
			n, vendor);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct vfio_user vu;
	int ret;

	if (argc < 3 || (!strcmp(argv[2], "hold") && argc != 4)) {
		fprintf(stderr, "usage: %s UUID info | %s UUID hold FILE\n",
			argv[0], argv[0]);
		return 2;
	}
	ret = vfio_user_open(&vu, argv[1]);
	if (ret) {
		fprintf(stderr, "vfio-open: cannot open %s: %s\n", argv[1],
			strerror(-ret));
		return 1;
	}
	if (!strcmp(argv[2], "info"))
		ret = print_info(&vu);
	else if (!strcmp(argv[2], "hold"))
		ret = hold(&vu, argv[3]);
	else
		ret = 2;
	vfio_user_close(&vu);
	return ret;
}
