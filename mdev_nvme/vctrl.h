/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Glue between an instance and its emulated controller (core/): the VFIO
 * regions are served by the core, which reaches guest memory and raises
 * interrupts through the callbacks in vctrl.c.  Callers hold inst->lock
 * (asserted) but for mnv_vctrl_dma_unmap(), which takes it,
 * mnv_vctrl_mmap_bar0(), which runs under the mmap lock, and the constant
 * facts mnv_vctrl_region_size(), mnv_vctrl_nr_vectors() and
 * mnv_vctrl_dbpage_offered().  vfio_dev.c reaches the core and the I/O
 * path only through these.
 */
#ifndef MNV_VCTRL_H
#define MNV_VCTRL_H

#include "instance.h"

struct vm_area_struct;

int mnv_vctrl_open(struct mnv_instance *inst);
void mnv_vctrl_close(struct mnv_instance *inst);
int mnv_vctrl_access(struct mnv_instance *inst, unsigned int index, u64 off,
		     void *buf, size_t size, bool write);
void mnv_vctrl_run_admin(struct mnv_instance *inst);
bool mnv_vctrl_dbpage_replay(struct mnv_instance *inst);
void mnv_vctrl_io_sync(struct mnv_instance *inst);
void mnv_vctrl_io_apply(struct mnv_instance *inst);
bool mnv_vctrl_pass(struct mnv_instance *inst, unsigned int budget);
void mnv_vctrl_msix_wired(struct mnv_instance *inst);
void mnv_vctrl_reset(struct mnv_instance *inst);
u64 mnv_vctrl_region_size(struct mnv_instance *inst, unsigned int index);
unsigned int mnv_vctrl_nr_vectors(struct mnv_instance *inst);
void mnv_vctrl_dma_unmap(struct mnv_instance *inst, u64 iova, u64 length);
bool mnv_vctrl_dbpage_offered(struct mnv_instance *inst);
int mnv_vctrl_mmap_bar0(struct mnv_instance *inst, u64 region_off,
			struct vm_area_struct *vma);

/*
 * vctrl_thread.c: the polling thread of an instance, or its shared
 * poller in poll mode; all under inst->lock
 */
int mnv_vctrl_thread_start(struct mnv_instance *inst);
void mnv_vctrl_thread_stop(struct mnv_instance *inst);
void mnv_vctrl_thread_kick(struct mnv_instance *inst);

/* vctrl_poller.c: the shared pollers; all under inst->lock */
int mnv_vctrl_poller_attach(struct mnv_instance *inst);
void mnv_vctrl_poller_detach(struct mnv_instance *inst);

/* vctrl_poller.c: without inst->lock, which the worker it waits for takes */
void mnv_vctrl_poller_flush(struct mnv_instance *inst);

#endif /* MNV_VCTRL_H */
