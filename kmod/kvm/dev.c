// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM personality's system fd: /dev/plumb-kvm always, and /dev/kvm
 * (misc minor 232, KVM's own) with kvm_personality=on when no KVM vendor
 * module holds it. Both nodes are the same device: GET_API_VERSION,
 * CHECK_EXTENSION, GET_SUPPORTED_CPUID, GET_MSR_INDEX_LIST, CREATE_VM and
 * GET_VCPU_MMAP_SIZE, as KVM answers them (Documentation/virt/kvm/api.rst
 * section 4), with plumb's limits.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "../compat.h"
#include "../cpuid.h"
#include "../ioctl.h"
#include "../vcpu.h"
#include "kvm.h"

static bool kvm_personality;
module_param(kvm_personality, bool, 0444);
MODULE_PARM_DESC(kvm_personality,
		 "also register /dev/kvm (misc minor 232) for KVM's ABI when no KVM module holds it (default off; /dev/plumb-kvm is always there)");

static long kdev_api_version(void *obj, void *arg, unsigned long raw)
{
	return PLUMB_KVM_API_VERSION;
}

static long kdev_check_extension(void *obj, void *arg, unsigned long raw)
{
	return plumb_kvm_check_extension(raw);
}

static long kdev_create_vm(void *obj, void *arg, unsigned long raw)
{
	return plumb_kvm_create_vm(raw);
}

static long kdev_vcpu_mmap_size(void *obj, void *arg, unsigned long raw)
{
	return PLUMB_KVM_RUN_PAGES * PAGE_SIZE;
}

/*
 * The MSRs the vCPU ioctls read and write whatever the guest's CPUID
 * says (KVM's msrs_to_save and emulated_msrs, as far as plumb has them):
 * QEMU saves and restores what this list names, and asserts that each
 * access succeeds.
 */
static const u32 kvm_msr_list[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_CSTAR, MSR_KERNEL_GS_BASE, MSR_SYSCALL_MASK, MSR_LSTAR,
	MSR_IA32_TSC, MSR_IA32_CR_PAT, MSR_TSC_AUX, MSR_IA32_MISC_ENABLE,
	MSR_IA32_TSC_DEADLINE,
	0x11, 0x12, 0x4b564d00, 0x4b564d01,	/* kvmclock, both pairs */
};

/* KVM_GET_MSR_INDEX_LIST: -E2BIG with the count when the room is short. */
static long kdev_msr_index_list(void *obj, void *arg, unsigned long raw)
{
	struct kvm_msr_list __user *u = (void __user *)raw;
	const struct kvm_msr_list *hdr = arg;
	u32 n = ARRAY_SIZE(kvm_msr_list);

	if (put_user(n, &u->nmsrs))
		return -EFAULT;
	if (hdr->nmsrs < n)
		return -E2BIG;
	if (copy_to_user(u->indices, kvm_msr_list, sizeof(kvm_msr_list)))
		return -EFAULT;
	return 0;
}

/*
 * KVM_GET_SUPPORTED_CPUID: plumb's table, with KVM's signature at the
 * first hypervisor leaf and, at 0x40000001, only the paravirtual features
 * plumb has (its clock: KVM_FEATURE_CLOCKSOURCE2 and the stable bit);
 * plumb's own signature leaf and the copy at 0x40000100 are left out.
 */
static void kvm_cpuid_fill(struct kvm_cpuid_entry2 *k,
			   const struct plumb_cpuid_entry *p)
{
	k->function = p->function;
	k->index = p->index;
	k->flags = p->flags & PLUMB_CPUID_FLAG_SIGNIFICANT_INDEX ?
		   KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;	/* (sic) */
	k->eax = p->eax;
	k->ebx = p->ebx;
	k->ecx = p->ecx;
	k->edx = p->edx;
	if (p->function == 0x40000100 || p->function == 0x40000101)
		k->function -= 0x100;
	if (p->function == 0x40000100)
		k->eax -= 0x100;	/* the last leaf: 0x40000001 */
}

static long kdev_supported_cpuid(void *obj, void *arg, unsigned long raw)
{
	struct kvm_cpuid2 __user *u = (void __user *)raw;
	const struct kvm_cpuid2 *hdr = arg;
	const struct plumb_cpuid_entry *table;
	struct kvm_cpuid_entry2 *out;
	u32 nr, i, n = 0;
	long ret = 0;

	table = plumb_supported_cpuid(&nr);
	out = kcalloc(nr, sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		if (table[i].function == 0x40000000)
			continue;	/* plumb's signature: KVM's instead */
		kvm_cpuid_fill(&out[n++], &table[i]);
	}
	if (hdr->nent < n) {
		ret = -E2BIG;
		goto out;
	}
	if (copy_to_user(u->entries, out, n * sizeof(*out)) ||
	    put_user(n, &u->nent))
		ret = -EFAULT;
out:
	kfree(out);
	return ret;
}

static const struct plumb_ioctl kdev_ioctls[] = {
	PLUMB_IOCTL(KVM_GET_API_VERSION, kdev_api_version,
		    .how = PLUMB_IOC_ARG0),
	PLUMB_IOCTL(KVM_CHECK_EXTENSION, kdev_check_extension),
	PLUMB_IOCTL(KVM_CREATE_VM, kdev_create_vm),
	PLUMB_IOCTL(KVM_GET_VCPU_MMAP_SIZE, kdev_vcpu_mmap_size,
		    .how = PLUMB_IOC_ARG0),
	PLUMB_IOCTL(KVM_GET_MSR_INDEX_LIST, kdev_msr_index_list,
		    .how = PLUMB_IOC_ENTRIES),
	PLUMB_IOCTL(KVM_GET_SUPPORTED_CPUID, kdev_supported_cpuid,
		    .how = PLUMB_IOC_ENTRIES,
		    PLUMB_IOC_ZERO_FROM(struct kvm_cpuid2, padding)),
};

static long kdev_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	return plumb_ioctl(kdev_ioctls, ARRAY_SIZE(kdev_ioctls), NULL, NULL,
			   cmd, arg);
}

static const struct file_operations kdev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= plumb_no_llseek,
};

/* Group and mode as /dev/plumb's (packaging/60-plumb.rules). */
static struct miscdevice kdev_plumb_kvm = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "plumb-kvm",
	.fops	= &kdev_fops,
	.mode	= 0660,
};

/* KVM's own node: udev's stock rule gives it group kvm, mode 0660. */
static struct miscdevice kdev_kvm = {
	.minor	= KVM_MINOR,
	.name	= "kvm",
	.fops	= &kdev_fops,
	.mode	= 0660,
};

static bool kvm_claimed;

/*
 * While plumb holds minor 232, a KVM vendor module would only reach its
 * own misc_register() and fail there, and Debian's 6.1 KVM leaves its
 * syscore ops registered on that path: once kvm.ko unloads, the host's
 * syscore list points into freed memory (the next suspend, shutdown or
 * KVM load walks it). So plumb refuses the vendor module before its init
 * runs, which every kernel unwinds cleanly (decision 138).
 */
static int kdev_module_notify(struct notifier_block *nb, unsigned long state,
			      void *data)
{
	struct module *mod = data;

	if (state != MODULE_STATE_COMING)
		return NOTIFY_DONE;
	if (strcmp(mod->name, "kvm_intel") && strcmp(mod->name, "kvm_amd"))
		return NOTIFY_DONE;
	pr_warn("refusing to load %s: plumb holds /dev/kvm (kvm_personality=on); unload plumb first\n",
		mod->name);
	return notifier_from_errno(-EBUSY);
}

static struct notifier_block kdev_module_nb = {
	.notifier_call	= kdev_module_notify,
};

int plumb_kvm_dev_init(void)
{
	int ret;

	ret = misc_register(&kdev_plumb_kvm);
	if (ret) {
		pr_err("cannot register /dev/plumb-kvm: %d\n", ret);
		return ret;
	}
	if (!kvm_personality) {
		pr_info("KVM ABI on /dev/plumb-kvm\n");
		return 0;
	}
	/* Watch first, so that no KVM load slips in between. */
	ret = register_module_notifier(&kdev_module_nb);
	if (ret) {
		pr_warn("kvm_personality=on, but cannot watch for KVM modules (%d): KVM ABI on /dev/plumb-kvm only\n",
			ret);
		return 0;
	}
	ret = misc_register(&kdev_kvm);
	if (ret) {
		unregister_module_notifier(&kdev_module_nb);
		/* Not fatal: /dev/plumb-kvm serves the same ABI. */
		pr_warn("kvm_personality=on, but /dev/kvm (minor %d) is taken (%d): kvm_intel or kvm_amd loaded? KVM ABI on /dev/plumb-kvm only\n",
			KVM_MINOR, ret);
		return 0;
	}
	kvm_claimed = true;
	pr_info("KVM ABI on /dev/plumb-kvm and /dev/kvm\n");
	return 0;
}

void plumb_kvm_dev_exit(void)
{
	if (kvm_claimed) {
		misc_deregister(&kdev_kvm);
		unregister_module_notifier(&kdev_module_nb);
	}
	kvm_claimed = false;
	misc_deregister(&kdev_plumb_kvm);
}

/* /sys/class/misc/plumb/kvm_nodes: where the KVM ABI is offered. */
ssize_t plumb_kvm_nodes_show(char *buf)
{
	return sysfs_emit(buf, "plumb-kvm%s\n", kvm_claimed ? " kvm" : "");
}
