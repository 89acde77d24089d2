/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioctl tables: each fd's ioctls as data, after bhyve's vmmdev_ioctl
 * table. One generic step (plumb_ioctl() in ioctl.c) finds the entry,
 * takes the lock it asks for, copies the argument struct in and rejects
 * unknown flags and nonzero padding or reserved bytes with -EINVAL, so a
 * handler sees only a checked kernel copy; it copies an _IOR result out.
 * Each struct's size is _IOC_SIZE(cmd), pinned by the uapi header.
 */
#ifndef PLUMB_IOCTL_H
#define PLUMB_IOCTL_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/ioctl.h>
#include <linux/mutex.h>
#include <linux/stddef.h>
#include <linux/types.h>

/* Room for the largest argument struct; a larger one does not build. */
#define PLUMB_IOCTL_MAX_SIZE	416

/* plumb_ioctl.how */
#define PLUMB_IOC_LOCK		BIT(0)	/* under the fd's mutex, killable */
#define PLUMB_IOC_ARG0		BIT(1)	/* _IO: a nonzero argument is -EINVAL */
#define PLUMB_IOC_ENTRIES	BIT(2)	/* entries follow the struct: the
					 * handler reads and writes them, and
					 * whatever it returns, itself */
#define PLUMB_IOC_BIG		BIT(3)	/* larger than PLUMB_IOCTL_MAX_SIZE:
					 * the handler copies the whole
					 * argument in and out itself (@arg
					 * is NULL), and checks it */

struct plumb_ioctl {
	unsigned int cmd;
	unsigned int how;		/* PLUMB_IOC_* */
	/*
	 * With _IOC_WRITE: the u32 flags word at @flags_at must not have
	 * the bits of @flags_bad (the complement of those it may have), and
	 * every byte from @zero_from to the end of the struct must be 0
	 * (0: no such bytes). Set with PLUMB_IOC_FLAGS() and
	 * PLUMB_IOC_ZERO_FROM().
	 */
	u16 flags_at;
	u16 zero_from;
	u32 flags_bad;
	/*
	 * @obj: the fd's object (a VM, a vCPU, or NULL for /dev/plumb);
	 * @arg: the checked copy of an _IOW/_IOWR struct, a zeroed one to
	 * fill for _IOR, NULL for _IO; @raw: the ioctl's argument as
	 * userspace passed it. Returns the ioctl's result or -errno; @arg
	 * goes back to userspace for _IOC_READ when it returns >= 0.
	 */
	long (*fn)(void *obj, void *arg, unsigned long raw);
};

#define PLUMB_IOCTL(_cmd, _fn, ...)					\
	{ .cmd = (_cmd) +						\
		 BUILD_BUG_ON_ZERO(_IOC_SIZE(_cmd) > PLUMB_IOCTL_MAX_SIZE), \
	  .fn = (_fn), __VA_ARGS__ }

/* An ioctl whose struct is too big for the stack copy: PLUMB_IOC_BIG. */
#define PLUMB_IOCTL_BIG(_cmd, _fn, _how)				\
	{ .cmd = (_cmd), .fn = (_fn), .how = PLUMB_IOC_BIG | (_how) }

/* A u32 flags word that may have only the bits of @ok. */
#define PLUMB_IOC_FLAGS(type, field, ok)				\
	.flags_at = offsetof(type, field) +				\
		    BUILD_BUG_ON_ZERO(sizeof_field(type, field) != 4),	\
	.flags_bad = ~(u32)(ok)

/* @field and all that follows it in @type must be 0. */
#define PLUMB_IOC_ZERO_FROM(type, field)				\
	.zero_from = offsetof(type, field) +				\
		     BUILD_BUG_ON_ZERO(offsetof(type, field) == 0)

long plumb_ioctl(const struct plumb_ioctl *table, unsigned int n, void *obj,
		 struct mutex *lock, unsigned int cmd, unsigned long arg);

#endif /* PLUMB_IOCTL_H */
