// SPDX-License-Identifier: GPL-2.0-only
/*
 * Opening an mdev, or a PCI device bound to vfio-pci, through the legacy
 * VFIO container/group interface, which both supported kernels offer
 * (CONFIG_VFIO_CONTAINER).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio_user.h"

/*
 * The group of device @name: an mdev's UUID, or else a PCI address.  Both
 * kinds are then opened the same way, VFIO_GROUP_GET_DEVICE_FD taking the
 * device's name.
 */
static int vfio_group_of(const char *name)
{
	char link[PATH_MAX], target[PATH_MAX], dev[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/bus/mdev/devices/%s", name);
	if (access(link, F_OK))
		snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s", name);
	strncat(link, "/iommu_group", sizeof(link) - strlen(link) - 1);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		fprintf(stderr, "vfio: %s: %s\n", link, strerror(errno));
		return -errno;
	}
	target[n] = '\0';
	snprintf(dev, sizeof(dev), "/dev/vfio/%s", basename(target));
	n = open(dev, O_RDWR);
	if (n < 0) {
		fprintf(stderr, "vfio: open %s: %s\n", dev, strerror(errno));
		return -errno;
	}
	return n;
}

static int vfio_fail(const char *what)
{
	int err = errno;

	fprintf(stderr, "vfio: %s: %s\n", what, strerror(err));
	return -err;
}

int vfio_user_open(struct vfio_user *vu, const char *name)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	unsigned int i;
	int ret;

	memset(vu, 0, sizeof(*vu));
	vu->container = vu->group = vu->device = -1;

	vu->container = open("/dev/vfio/vfio", O_RDWR);
	if (vu->container < 0)
		return vfio_fail("open /dev/vfio/vfio");
	if (ioctl(vu->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    !ioctl(vu->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU)) {
		fprintf(stderr, "vfio: container lacks the type1v2 IOMMU\n");
		ret = -ENODEV;
		goto err;
	}
	vu->group = vfio_group_of(name);
	if (vu->group < 0) {
		ret = vu->group;
		goto err;
	}
	if (ioctl(vu->group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		fprintf(stderr, "vfio: group of %s is not viable\n", name);
		ret = -EBUSY;
		goto err;
	}
	if (ioctl(vu->group, VFIO_GROUP_SET_CONTAINER, &vu->container)) {
		ret = vfio_fail("VFIO_GROUP_SET_CONTAINER");
		goto err;
	}
	if (ioctl(vu->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		ret = vfio_fail("VFIO_SET_IOMMU");
		goto err;
	}
	vu->device = ioctl(vu->group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (vu->device < 0) {
		ret = vfio_fail("VFIO_GROUP_GET_DEVICE_FD");
		goto err;
	}
	vu->info.argsz = sizeof(vu->info);
	if (ioctl(vu->device, VFIO_DEVICE_GET_INFO, &vu->info)) {
		ret = vfio_fail("VFIO_DEVICE_GET_INFO");
		goto err;
	}
	for (i = 0; i < VFIO_PCI_NUM_REGIONS && i < vu->info.num_regions; i++) {
		vu->regions[i].argsz = sizeof(vu->regions[i]);
		vu->regions[i].index = i;
		if (!ioctl(vu->device, VFIO_DEVICE_GET_REGION_INFO,
			   &vu->regions[i]))
			continue;
		/* vfio-pci: a region the device lacks (VGA) is invalid. */
		if (errno == EINVAL) {
			vu->regions[i].size = 0;
			vu->regions[i].flags = 0;
			continue;
		}
		ret = vfio_fail("VFIO_DEVICE_GET_REGION_INFO");
		goto err;
	}
	return 0;
err:
	vfio_user_close(vu);
	return ret;
}

void vfio_user_close(struct vfio_user *vu)
{
	if (vu->device >= 0)
		close(vu->device);
	if (vu->group >= 0)
		close(vu->group);
	if (vu->container >= 0)
		close(vu->container);
	vu->container = vu->group = vu->device = -1;
}

long vfio_user_rw(struct vfio_user *vu, unsigned int index, uint64_t off,
		  void *buf, size_t len, int write)
{
	ssize_t n;

	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	off += vu->regions[index].offset;
	n = write ? pwrite(vu->device, buf, len, off) :
		    pread(vu->device, buf, len, off);
	return n < 0 ? -errno : n;
}

void *vfio_user_map(struct vfio_user *vu, uint64_t iova, size_t len)
{
	return vfio_user_map_prot(vu, iova, len, true);
}

int vfio_user_map_va(struct vfio_user *vu, uint64_t iova, void *va,
		     size_t len, bool device_writes)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };

	map.vaddr = (uintptr_t)va;
	map.iova = iova;
	map.size = len;
	map.flags = VFIO_DMA_MAP_FLAG_READ;
	if (device_writes)
		map.flags |= VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(vu->container, VFIO_IOMMU_MAP_DMA, &map))
		return vfio_fail("VFIO_IOMMU_MAP_DMA");
	return 0;
}

void *vfio_user_map_prot(struct vfio_user *vu, uint64_t iova, size_t len,
			 bool device_writes)
{
	void *mem;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	if (vfio_user_map_va(vu, iova, mem, len, device_writes)) {
		munmap(mem, len);
		return NULL;
	}
	return mem;
}

int vfio_user_unmap(struct vfio_user *vu, uint64_t iova, size_t len)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };

	unmap.iova = iova;
	unmap.size = len;
	return ioctl(vu->container, VFIO_IOMMU_UNMAP_DMA, &unmap) ? -errno : 0;
}

int vfio_user_set_irq_eventfds(struct vfio_user *vu, unsigned int index,
			       unsigned int start, unsigned int count,
			       const int32_t *fds)
{
	size_t size = sizeof(struct vfio_irq_set) + count * sizeof(int32_t);
	struct vfio_irq_set *set;
	int ret;

	set = calloc(1, size);
	if (!set)
		return -ENOMEM;
	set->argsz = size;
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = start;
	set->count = count;
	memcpy(set->data, fds, count * sizeof(int32_t));
	ret = ioctl(vu->device, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
	free(set);
	return ret;
}

int vfio_user_disable_irqs(struct vfio_user *vu, unsigned int index)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = index,
	};

	return ioctl(vu->device, VFIO_DEVICE_SET_IRQS, &set) ? -errno : 0;
}

int vfio_user_irq_info(struct vfio_user *vu, unsigned int index,
		       struct vfio_irq_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(vu->device, VFIO_DEVICE_GET_IRQ_INFO, info) ? -errno : 0;
}

int vfio_user_reset(struct vfio_user *vu)
{
	return ioctl(vu->device, VFIO_DEVICE_RESET) ? -errno : 0;
}

int vfio_user_sparse_areas(struct vfio_user *vu, unsigned int index,
			   uint32_t *flags,
			   struct vfio_region_sparse_mmap_area *areas,
			   unsigned int max)
{
	struct vfio_region_info *info, probe = { .argsz = sizeof(probe) };
	struct vfio_info_cap_header *hdr;
	struct vfio_region_info_cap_sparse_mmap *sparse;
	uint32_t off;
	int n = 0;

	probe.index = index;
	if (ioctl(vu->device, VFIO_DEVICE_GET_REGION_INFO, &probe))
		return -errno;
	*flags = probe.flags;
	if (!(probe.flags & VFIO_REGION_INFO_FLAG_CAPS))
		return 0;
	/* The first call said how much room the capabilities need. */
	info = calloc(1, probe.argsz);
	if (!info)
		return -ENOMEM;
	info->argsz = probe.argsz;
	info->index = index;
	if (ioctl(vu->device, VFIO_DEVICE_GET_REGION_INFO, info)) {
		n = -errno;
		goto out;
	}
	for (off = info->cap_offset; off; off = hdr->next) {
		if (off + sizeof(*hdr) > info->argsz) {
			n = -EPROTO;
			break;
		}
		hdr = (struct vfio_info_cap_header *)((char *)info + off);
		if (hdr->id != VFIO_REGION_INFO_CAP_SPARSE_MMAP)
			continue;
		sparse = (struct vfio_region_info_cap_sparse_mmap *)hdr;
		if (off + sizeof(*sparse) + sparse->nr_areas *
		    sizeof(sparse->areas[0]) > info->argsz) {
			n = -EPROTO;
			break;
		}
		n = sparse->nr_areas;
		memcpy(areas, sparse->areas,
		       (n < (int)max ? n : (int)max) * sizeof(areas[0]));
		break;
	}
out:
	free(info);
	return n;
}

void *vfio_user_mmap(struct vfio_user *vu, unsigned int index, uint64_t off,
		     size_t len, int mmap_flags)
{
	if (index >= VFIO_PCI_NUM_REGIONS)
		return MAP_FAILED;
	return mmap(NULL, len, PROT_READ | PROT_WRITE, mmap_flags, vu->device,
		    vu->regions[index].offset + off);
}
