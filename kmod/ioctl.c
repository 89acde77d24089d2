// SPDX-License-Identifier: GPL-2.0
/*
 * The generic half of every ioctl (ioctl.h): find the table entry, lock,
 * copy in and check, call, copy out. The errors, in this order: -ENOTTY
 * for a command not in the table, -EINTR when a fatal signal interrupts
 * the wait for the lock, -EINVAL for a nonzero argument the ioctl does
 * not take, -EFAULT for an argument struct userspace cannot give or
 * take, -EINVAL for unknown flags or nonzero reserved bytes; then the
 * handler's own.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "ioctl.h"

static bool ioctl_arg_valid(const struct plumb_ioctl *ioc, const void *arg,
			    unsigned int size)
{
	if (*(const u32 *)(arg + ioc->flags_at) & ioc->flags_bad)
		return false;
	return !ioc->zero_from ||
	       !memchr_inv(arg + ioc->zero_from, 0, size - ioc->zero_from);
}

static long ioctl_call(const struct plumb_ioctl *ioc, void *obj,
		       unsigned long raw)
{
	u64 arg[PLUMB_IOCTL_MAX_SIZE / sizeof(u64)];
	void __user *uarg = (void __user *)raw;
	unsigned int size = _IOC_SIZE(ioc->cmd);
	unsigned int dir = _IOC_DIR(ioc->cmd);
	long ret;

	if (ioc->how & PLUMB_IOC_BIG)
		return ioc->fn(obj, NULL, raw);
	if (dir == _IOC_NONE) {
		if ((ioc->how & PLUMB_IOC_ARG0) && raw)
			return -EINVAL;
		return ioc->fn(obj, NULL, raw);
	}
	if (dir & _IOC_WRITE) {
		if (copy_from_user(arg, uarg, size))
			return -EFAULT;
		if (!ioctl_arg_valid(ioc, arg, size))
			return -EINVAL;
	} else {
		memset(arg, 0, size);
	}
	ret = ioc->fn(obj, arg, raw);
	if (ret >= 0 && (dir & _IOC_READ) && !(ioc->how & PLUMB_IOC_ENTRIES) &&
	    copy_to_user(uarg, arg, size))
		ret = -EFAULT;
	return ret;
}

/* @lock: the fd's mutex, for the entries with PLUMB_IOC_LOCK. */
long plumb_ioctl(const struct plumb_ioctl *table, unsigned int n, void *obj,
		 struct mutex *lock, unsigned int cmd, unsigned long arg)
{
	const struct plumb_ioctl *ioc;
	long ret;

	for (ioc = table; ioc < table + n; ioc++)
		if (ioc->cmd == cmd)
			break;
	if (ioc == table + n)
		return -ENOTTY;
	if (!(ioc->how & PLUMB_IOC_LOCK))
		return ioctl_call(ioc, obj, arg);
	/*
	 * RUN keeps a vCPU's mutex while the vCPU sleeps in HLT or
	 * WAIT_SIPI, for as long as the guest likes: another thread's
	 * ioctl waits killable, not in D state (no hung-task report;
	 * SIGKILL ends it), as KVM's.
	 */
	if (mutex_lock_killable(lock))
		return -EINTR;
	ret = ioctl_call(ioc, obj, arg);
	mutex_unlock(lock);
	return ret;
}
