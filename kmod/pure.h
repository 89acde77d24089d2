/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the pure code (decode.c, apic.c) that builds both into plumb.ko and
 * into the userspace unit tests: the kernel's integer types and errno
 * values, from the right headers in each world.
 */
#ifndef PLUMB_PURE_H
#define PLUMB_PURE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#else
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
#endif

#endif /* PLUMB_PURE_H */
