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

#include "compat.h"
#include "cpuid.h"
#include "dev.h"
#include "kvm/kvm.h"
#include "ioctl.h"
#include "mmu.h"
#include "vcpu.h"
#include "vm.h"

static long dev_api_version(void *obj, void *arg, unsigned long raw)
{
	return PLUMB_API_VERSION;
}

static long dev_check_capability(void *obj, void *arg, unsigned long raw)
{
	return plumb_capability(raw);
}

static long dev_supported_cpuid(void *obj, void *arg, unsigned long raw)
{
	return plumb_get_supported_cpuid(arg, (void __user *)raw);
}

static long dev_create_vm(void *obj, void *arg, unsigned long raw)
{
	return plumb_create_vm(raw);
}

static long dev_vcpu_mmap_size(void *obj, void *arg, unsigned long raw)
{
	return PLUMB_RING_HEADER_SIZE +
	       PLUMB_RING_ENTRIES * sizeof(struct plumb_exit);
}

/* The system ioctls (ioctl.h): the order is only for reading. */
static const struct plumb_ioctl dev_ioctls[] = {
	PLUMB_IOCTL(PLUMB_GET_API_VERSION, dev_api_version,
		    .how = PLUMB_IOC_ARG0),
	PLUMB_IOCTL(PLUMB_CHECK_CAPABILITY, dev_check_capability),
	PLUMB_IOCTL(PLUMB_GET_SUPPORTED_CPUID, dev_supported_cpuid,
		    .how = PLUMB_IOC_ENTRIES,
		    PLUMB_IOC_ZERO_FROM(struct plumb_cpuid, flags)),
	PLUMB_IOCTL(PLUMB_CREATE_VM, dev_create_vm),
	PLUMB_IOCTL(PLUMB_GET_VCPU_MMAP_SIZE, dev_vcpu_mmap_size,
		    .how = PLUMB_IOC_ARG0),
};

static long plumb_dev_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg)
{
	return plumb_ioctl(dev_ioctls, ARRAY_SIZE(dev_ioctls), NULL, NULL, cmd,
			   arg);
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

/* The KVM personality's nodes: "plumb-kvm", and "kvm" if it has /dev/kvm. */
static ssize_t kvm_nodes_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return plumb_kvm_nodes_show(buf);
}
static DEVICE_ATTR_RO(kvm_nodes);

static struct attribute *plumb_attrs[] = {
	&dev_attr_kvm_nodes.attr,
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
	if (ret) {
		pr_err("cannot register /dev/plumb: %d\n", ret);
		return ret;
	}
	/* The management plane checks readers against this node. */
	plumb_mgmt_set_devt(plumb_miscdev.this_device->devt);
	return 0;
}

void plumb_dev_exit(void)
{
	plumb_mgmt_set_devt(0);
	misc_deregister(&plumb_miscdev);
}
