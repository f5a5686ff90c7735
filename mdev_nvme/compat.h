/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Differences between the kernel APIs of the supported kernels (Debian's
 * 6.1 and 6.12).  Nothing else in the module tests LINUX_VERSION_CODE.
 */
#ifndef MNV_COMPAT_H
#define MNV_COMPAT_H

#include <linux/eventfd.h>
#include <linux/version.h>
#include <linux/vfio.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
/* eventfd_signal() lost its count argument in 6.8. */
static inline void mnv_eventfd_signal(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx);
}
#else
static inline void mnv_eventfd_signal(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx, 1);
}
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
/* Since 6.2 the VFIO core frees the device after ops->release. */
static inline void mnv_compat_vfio_free_device(struct vfio_device *vdev)
{
}

/* Since 6.2 emulated-IOMMU devices may also be opened through iommufd. */
#define MNV_VFIO_IOMMUFD_OPS					\
	.bind_iommufd = vfio_iommufd_emulated_bind,		\
	.unbind_iommufd = vfio_iommufd_emulated_unbind,		\
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,	\
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
#else
static inline void mnv_compat_vfio_free_device(struct vfio_device *vdev)
{
	vfio_free_device(vdev);
}

#define MNV_VFIO_IOMMUFD_OPS
#endif

#endif /* MNV_COMPAT_H */
