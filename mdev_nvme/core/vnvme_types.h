/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Basic types and helpers of the vNVMe controller-emulation core.
 *
 * The core is built twice from the same sources: into the mdev_nvme kernel
 * module, and as plain userspace C for the unit tests and the fuzzer.  This
 * header is the only place where the two builds differ.  In the kernel it
 * just pulls in the usual headers; in userspace it provides minimal
 * equivalents of the few kernel helpers the core uses.  No other core file
 * may include a kernel or libc header directly.
 */
#ifndef VNVME_TYPES_H
#define VNVME_TYPES_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <asm/byteorder.h>

#else /* !__KERNEL__ */

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT32_TYPE__ s32;

/* No sparse in userspace: the little-endian types are plain integers. */
typedef u16 __le16;
typedef u32 __le32;
typedef u64 __le64;

#define cpu_to_le16(x)	((__le16)htole16(x))
#define cpu_to_le32(x)	((__le32)htole32(x))
#define cpu_to_le64(x)	((__le64)htole64(x))
#define le16_to_cpu(x)	((u16)le16toh(x))
#define le32_to_cpu(x)	((u32)le32toh(x))
#define le64_to_cpu(x)	((u64)le64toh(x))

#define __packed	__attribute__((__packed__))
#define __aligned(x)	__attribute__((__aligned__(x)))
#define fallthrough	__attribute__((__fallthrough__))
#define __always_unused	__attribute__((__unused__))

#define BIT(nr)		(1UL << (nr))
#define BIT_ULL(nr)	(1ULL << (nr))
#define GENMASK(h, l)	(((~0UL) << (l)) & (~0UL >> (63 - (h))))
#define GENMASK_ULL(h, l) (((~0ULL) << (l)) & (~0ULL >> (63 - (h))))

#define U32_MAX		(~(u32)0)
#define U64_MAX		(~(u64)0)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define lower_32_bits(n) ((u32)((n) & 0xffffffff))
#define upper_32_bits(n) ((u32)(((n) >> 16) >> 16))

#define min(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); \
		     _a < _b ? _a : _b; })
#define max(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); \
		     _a > _b ? _a : _b; })
#define min_t(type, a, b) min((type)(a), (type)(b))
#define max_t(type, a, b) max((type)(a), (type)(b))

/* Single untorn accesses, for scalars as in the kernel */
#define READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val) __atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

/* Same single-argument form as the kernel's <linux/build_bug.h>. */
#define static_assert(expr, ...) __vnvme_static_assert(expr, ##__VA_ARGS__, #expr)
#define __vnvme_static_assert(expr, msg, ...) _Static_assert(expr, msg)

#endif /* __KERNEL__ */

#endif /* VNVME_TYPES_H */
