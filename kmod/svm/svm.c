// SPDX-License-Identifier: GPL-2.0
/*
 * AMD-V (SVM) backend.
 *
 * This file detects what the CPU offers and fills plumb_svm_ops. Setting
 * EFER.SVME and running guests arrive with the SVM backend work; until then
 * those ops answer -EOPNOTSUPP.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "../plumb.h"
#include "svm.h"

struct svm_caps {
	u32 features;		/* CPUID Fn8000_000A_EDX */
	u32 nr_asids;		/* CPUID Fn8000_000A_EBX */
};

static struct svm_caps svm_caps;

static bool svm_has(u32 feature)
{
	return svm_caps.features & feature;
}

static int svm_probe(struct plumb_features *feat)
{
	u64 vm_cr;

	if (cpuid_eax(0x80000000) < 0x8000000a ||
	    !(cpuid_ecx(0x80000001) & SVM_CPUID_81_ECX_SVM)) {
		pr_err("refusing to load: this %s CPU does not report SVM in CPUID (no AMD-V, or it is hidden by a hypervisor)\n",
		       boot_cpu_data.x86_vendor_id);
		return -ENODEV;
	}

	/* APM Vol. 2 15.4: SVMDIS set (and locked) by firmware. */
	if (!rdmsrl_safe(MSR_VM_CR, &vm_cr) && (vm_cr & SVM_VM_CR_SVMDIS)) {
		pr_err("refusing to load: SVM is disabled by the firmware (VM_CR=%#llx%s); enable AMD-V/SVM in the BIOS/UEFI setup\n",
		       vm_cr, vm_cr & SVM_VM_CR_LOCK ? ", locked" : "");
		return -ENODEV;
	}

	svm_caps.features = cpuid_edx(0x8000000a);
	svm_caps.nr_asids = cpuid_ebx(0x8000000a);

	plumb_feature_add(feat, "npt", svm_has(SVM_FEAT_NPT), true);
	plumb_feature_add(feat, "nrip-save", svm_has(SVM_FEAT_NRIPS), false);
	plumb_feature_add(feat, "decode-assists",
			  svm_has(SVM_FEAT_DECODE_ASSISTS), false);
	plumb_feature_add(feat, "flush-by-asid",
			  svm_has(SVM_FEAT_FLUSH_BY_ASID), false);
	plumb_feature_add(feat, "vmcb-clean", svm_has(SVM_FEAT_VMCB_CLEAN),
			  false);
	plumb_feature_add(feat, "pause-filter",
			  svm_has(SVM_FEAT_PAUSE_FILTER), false);
	plumb_feature_add(feat, "vgif", svm_has(SVM_FEAT_VGIF), false);

	if (!svm_has(SVM_FEAT_NPT)) {
		pr_err("refusing to load: SVM lacks mandatory features: npt (plumb needs nested paging)\n");
		return -ENODEV;
	}
	if (svm_caps.nr_asids < 2) {
		pr_err("refusing to load: SVM reports %u ASIDs; plumb needs at least 2\n",
		       svm_caps.nr_asids);
		return -ENODEV;
	}
	return 0;
}

static int svm_hardware_enable(void)
{
	return -EOPNOTSUPP;
}

static void svm_hardware_disable(void)
{
}

static int svm_vm_init(struct plumb_vm *vm)
{
	return -EOPNOTSUPP;
}

static void svm_vm_destroy(struct plumb_vm *vm)
{
}

const struct plumb_backend_ops plumb_svm_ops = {
	.name			= "SVM",
	.id			= PLUMB_BACKEND_SVM,
	.probe			= svm_probe,
	.hardware_enable	= svm_hardware_enable,
	.hardware_disable	= svm_hardware_disable,
	.vm_init		= svm_vm_init,
	.vm_destroy		= svm_vm_destroy,
};
