/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A minimal VFIO user, opening an mdev (by UUID) or a PCI device bound to
 * vfio-pci (by address) the way QEMU's vfio-pci does (container + group +
 * device fd), for the tests and the benchmark.
 */
#ifndef MNV_TEST_VFIO_USER_H
#define MNV_TEST_VFIO_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

struct vfio_user {
	int container;
	int group;
	int device;
	struct vfio_device_info info;
	struct vfio_region_info regions[VFIO_PCI_NUM_REGIONS];
};

/* @name: UUID or PCI address.  0 or -errno; on failure prints why. */
int vfio_user_open(struct vfio_user *vu, const char *name);
void vfio_user_close(struct vfio_user *vu);

/* Read/write @len bytes of region @index at @off; returns bytes or -errno. */
long vfio_user_rw(struct vfio_user *vu, unsigned int index, uint64_t off,
		  void *buf, size_t len, int write);

/* Map @len bytes of anonymous memory at @iova for device DMA. */
void *vfio_user_map(struct vfio_user *vu, uint64_t iova, size_t len);
/* The same, the device may write it only if @device_writes. */
void *vfio_user_map_prot(struct vfio_user *vu, uint64_t iova, size_t len,
			 bool device_writes);
/* Map @len bytes of this process's memory at @va for device DMA at @iova. */
int vfio_user_map_va(struct vfio_user *vu, uint64_t iova, void *va,
		     size_t len, bool device_writes);
int vfio_user_unmap(struct vfio_user *vu, uint64_t iova, size_t len);

/*
 * VFIO_DEVICE_SET_IRQS, action TRIGGER: connect @count eventfds @fds (-1
 * disconnects one) to vectors @start.. of IRQ @index.  Returns 0 or -errno.
 */
int vfio_user_set_irq_eventfds(struct vfio_user *vu, unsigned int index,
			       unsigned int start, unsigned int count,
			       const int32_t *fds);
/* DATA_NONE with count 0: disconnect every vector of IRQ @index. */
int vfio_user_disable_irqs(struct vfio_user *vu, unsigned int index);
/* VFIO_DEVICE_GET_IRQ_INFO for @index; 0 or -errno. */
int vfio_user_irq_info(struct vfio_user *vu, unsigned int index,
		       struct vfio_irq_info *info);
/*
 * The mmap-able areas of region @index: its flags in *@flags, up to @max
 * areas from its sparse-mmap capability in @areas.  Returns the number of
 * areas the capability lists (0 without one) or -errno.
 */
int vfio_user_sparse_areas(struct vfio_user *vu, unsigned int index,
			   uint32_t *flags,
			   struct vfio_region_sparse_mmap_area *areas,
			   unsigned int max);
/* mmap @len bytes of region @index at @off with @mmap_flags; or MAP_FAILED */
void *vfio_user_mmap(struct vfio_user *vu, unsigned int index, uint64_t off,
		     size_t len, int mmap_flags);
/* VFIO_DEVICE_RESET; 0 or -errno. */
int vfio_user_reset(struct vfio_user *vu);

#endif /* MNV_TEST_VFIO_USER_H */
