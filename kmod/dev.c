// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/plumb and its system ioctls.
 *
 * The node is a misc device with mode 0660; its group comes from the udev
 * rule in packaging/60-plumb.rules. An open fd holds a reference on the
 * module (fops.owner), so rmmod is refused while one exists.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/slab.h>

#include "plumb.h"

static long plumb_vcpu_mmap_size(void)
{
	return PLUMB_RING_HEADER_SIZE +
	       PLUMB_RING_ENTRIES * sizeof(struct plumb_exit);
}

static long plumb_dev_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg)
{
	switch (cmd) {
	case PLUMB_GET_API_VERSION:
		return arg ? -EINVAL : PLUMB_API_VERSION;
	case PLUMB_CHECK_CAPABILITY:
		return plumb_capability(arg);
	case PLUMB_GET_SUPPORTED_CPUID:
		return plumb_get_supported_cpuid((void __user *)arg);
	case PLUMB_CREATE_VM:
		return plumb_create_vm(arg);
	case PLUMB_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : plumb_vcpu_mmap_size();
	default:
		return -ENOTTY;
	}
}

static const struct file_operations plumb_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= plumb_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= plumb_no_llseek,
};

/* Object counters in /sys/class/misc/plumb/: all zero once every fd closed. */
static ssize_t nr_vms_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&plumb_nr_vms));
}
static DEVICE_ATTR_RO(nr_vms);

static ssize_t nr_vcpus_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&plumb_nr_vcpus));
}
static DEVICE_ATTR_RO(nr_vcpus);

static ssize_t pinned_pages_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&plumb_nr_pinned));
}
static DEVICE_ATTR_RO(pinned_pages);

static struct attribute *plumb_attrs[] = {
	&dev_attr_nr_vms.attr,
	&dev_attr_nr_vcpus.attr,
	&dev_attr_pinned_pages.attr,
	NULL,
};
ATTRIBUTE_GROUPS(plumb);

static struct miscdevice plumb_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "plumb",
	.fops	= &plumb_dev_fops,
	.mode	= 0660,
	.groups	= plumb_groups,
};

int plumb_dev_init(void)
{
	int ret;

	ret = misc_register(&plumb_miscdev);
	if (ret)
		pr_err("cannot register /dev/plumb: %d\n", ret);
	return ret;
}

void plumb_dev_exit(void)
{
	misc_deregister(&plumb_miscdev);
}
