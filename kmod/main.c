// SPDX-License-Identifier: GPL-2.0
/*
 * plumb.ko: module load and unload, backend selection.
 *
 * The backend is chosen once, here, from the CPU vendor and CPUID; a machine
 * where neither VMX nor SVM is usable refuses the load with one log line that
 * names the reason. Nothing is switched on at load: VMX root / EFER.SVME are
 * entered when the first VM is created (see the backends).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <asm/processor.h>

#include "backend.h"
#include "cpuid.h"
#include "dev.h"
#include "mgmt.h"
#include "kvm/kvm.h"
#include "spec_host.h"

/* STYLE.md habit 1: a table that lacks a required op is refused. */
static bool plumb_backend_valid(const struct plumb_backend_ops *ops)
{
	return ops->name && ops->id && ops->probe && ops->hardware_enable &&
	       ops->hardware_disable && ops->vm_init && ops->vm_destroy &&
	       ops->vcpu_create && ops->vcpu_free && ops->vcpu_run &&
	       ops->skip_instruction && ops->inject_exception &&
	       ops->get_rip && ops->set_rip &&
	       ops->get_rflags && ops->set_rflags &&
	       ops->get_sregs && ops->set_sregs && ops->get_msr &&
	       ops->set_msr && ops->npt_table && ops->npt_leaf &&
	       ops->npt_levels && ops->interrupt_allowed &&
	       ops->enable_irq_window && ops->inject_interrupt &&
	       ops->nmi_allowed && ops->inject_nmi && ops->vcpu_reset &&
	       ops->tsc_offset && ops->get_events && ops->set_events &&
	       ops->get_dr;
}

static const struct plumb_backend_ops *plumb_pick_backend(void)
{
	switch (boot_cpu_data.x86_vendor) {
	case X86_VENDOR_INTEL:
	case X86_VENDOR_CENTAUR:
	case X86_VENDOR_ZHAOXIN:
		return &plumb_vmx_ops;
	case X86_VENDOR_AMD:
	case X86_VENDOR_HYGON:
		return &plumb_svm_ops;
	default:
		return NULL;
	}
}

/* One line: the backend and every feature it looked for. */
static void plumb_log_features(const struct plumb_backend_ops *ops,
			       const struct plumb_features *feat)
{
	char buf[256];
	int len = 0;
	unsigned int i;

	for (i = 0; i < feat->nr; i++)
		len += scnprintf(buf + len, sizeof(buf) - len, " %s%s",
				 feat->f[i].present ? "+" : "-",
				 feat->f[i].name);
	pr_info("%s backend on %s CPU, features:%s\n", ops->name,
		boot_cpu_data.x86_vendor_id, buf);
}

static int __init plumb_init(void)
{
	const struct plumb_backend_ops *ops;
	struct plumb_features feat = {};
	int ret;

	ops = plumb_pick_backend();
	if (!ops) {
		pr_err("refusing to load: CPU vendor '%s' has neither VMX nor SVM support in plumb\n",
		       boot_cpu_data.x86_vendor_id);
		return -ENODEV;
	}
	if (!plumb_backend_valid(ops)) {
		pr_err("refusing to load: %s backend ops table is incomplete\n",
		       ops->name);
		return -EINVAL;
	}

	ret = ops->probe(&feat);
	if (ret)
		return ret;	/* the backend said why */
	plumb_log_features(ops, &feat);

	/* May refuse: a host CPU bug left open (spec_host.c, unmitigated=). */
	ret = plumb_spec_init(ops == &plumb_vmx_ops);
	if (ret)
		return ret;
	plumb_ops = ops;

	ret = plumb_cpuid_init();
	if (ret)
		goto err_ops;

	/* Before the devices: their first VM's event has a family. */
	ret = plumb_genl_init();
	if (ret)
		goto err_cpuid;
	/* Last: from here on userspace can reach us. */
	ret = plumb_dev_init();
	if (ret)
		goto err_genl;
	ret = plumb_kvm_dev_init();
	if (ret)
		goto err_dev;
	return 0;

err_dev:
	plumb_dev_exit();
err_genl:
	plumb_genl_exit();
err_cpuid:
	plumb_cpuid_exit();
err_ops:
	plumb_ops = NULL;
	return ret;
}

static void __exit plumb_exit(void)
{
	plumb_kvm_dev_exit();
	plumb_dev_exit();
	plumb_genl_exit();
	plumb_cpuid_exit();
	plumb_ops = NULL;
	pr_info("unloaded\n");
}

module_init(plumb_init);
module_exit(plumb_exit);

MODULE_DESCRIPTION("plumb: a hosted hypervisor for VMX and SVM");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
