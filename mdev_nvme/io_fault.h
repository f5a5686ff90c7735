/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Faults of a misbehaving drive, injected for tests (io_fault.c); without
 * CONFIG_FAULT_INJECTION_DEBUG_FS none is ever injected.  Callable from
 * any context: the fault attributes have their own atomics.
 */
#ifndef MNV_IO_FAULT_H
#define MNV_IO_FAULT_H

#include <linux/types.h>

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
void mnv_io_fault_init(void);
void mnv_io_fault_exit(void);
bool mnv_io_fault_enabled(void);
bool mnv_io_fault_stale_cqe(void);
#else
static inline void mnv_io_fault_init(void) { }
static inline void mnv_io_fault_exit(void) { }
static inline bool mnv_io_fault_enabled(void) { return false; }
static inline bool mnv_io_fault_stale_cqe(void) { return false; }
#endif

#endif /* MNV_IO_FAULT_H */
