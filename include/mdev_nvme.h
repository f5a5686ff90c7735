/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mdev_nvme: names and limits shared by the kernel module and userspace
 * (the mdev-nvme CLI and the tests).  The sysfs layout they describe is
 * documented in Documentation/sysfs.rst.
 */
#ifndef MDEV_NVME_H
#define MDEV_NVME_H

/* PCI driver name; also the prefix of every mdev type directory. */
#define MNV_DRIVER_NAME		"mdev_nvme"

/* Attribute group below the bound PCI function: /sys/bus/pci/devices/BDF/ */
#define MNV_PARENT_GROUP	"mdev_nvme"

/*
 * mdev types are named by the number of hardware queue pairs an instance
 * reserves: sysfs name "<n>q", directory "mdev_nvme-<n>q", pretty name
 * "nvme-<n>q".  The module's table of types is in mdev_types.c.
 */
#define MNV_TYPE_PREFIX		"nvme-"

/*
 * Largest number of I/O queue pairs one instance reserves (its largest
 * type), and so of I/O queue pairs its guest can create.  A plain decimal
 * literal: the module stringifies it into the largest type's name.
 */
#define MNV_INSTANCE_MAX_QPAIRS	8

/* Upper bound of hardware I/O queue pairs one controller hands out. */
#define MNV_MAX_HW_QPAIRS	128

/* Entries of each hardware I/O submission / completion queue. */
#define MNV_HW_QUEUE_DEPTH	256

/* Value of the instance "cpu" attribute meaning: any CPU. */
#define MNV_CPU_ANY		(-1)

/*
 * Values of the instance "mode" attribute: how its polling thread waits.
 *  poll:      never sleeps while the device is open;
 *  adaptive:  polls while busy, sleeps after "idle_us" without work;
 *  interrupt: sleeps as soon as a pass finds nothing to do.
 */
#define MNV_MODE_NAMES		{ "adaptive", "poll", "interrupt" }

/* Default and largest "idle_us" (adaptive mode's polling after work). */
#define MNV_IDLE_US_DEFAULT	100
#define MNV_IDLE_US_MAX		1000000

#endif /* MDEV_NVME_H */
