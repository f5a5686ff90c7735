// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev_nvme: share one NVMe controller between virtual machines through
 * mediated pass-through.  See Documentation/design.rst.
 */
#include <linux/module.h>

#include "host.h"
#include "instance.h"
#include "io_fault.h"

static int __init mnv_init(void)
{
	int ret;

	/* The mdev driver must exist before a parent can name it. */
	ret = mdev_register_driver(&mnv_mdev_driver);
	if (ret)
		return ret;
	ret = pci_register_driver(&mnv_pci_driver);
	if (ret) {
		mdev_unregister_driver(&mnv_mdev_driver);
		return ret;
	}
	mnv_io_fault_init();
	return 0;
}

static void __exit mnv_exit(void)
{
	mnv_io_fault_exit();
	/* Unbinds every controller, which removes its instances. */
	pci_unregister_driver(&mnv_pci_driver);
	mdev_unregister_driver(&mnv_mdev_driver);
	mnv_dirty_kept_free();
}

module_init(mnv_init);
module_exit(mnv_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Mediated pass-through of NVMe controllers to virtual machines");
MODULE_SOFTDEP("pre: vfio_iommu_type1");
