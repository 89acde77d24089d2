// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VT-x backend.
 *
 * This file detects what the CPU offers and fills plumb_vmx_ops. Entering VMX
 * root and running guests arrive with the VMX backend work; until then
 * vm_init answers -EOPNOTSUPP, so PLUMB_CREATE_VM fails cleanly on VMX.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "../plumb.h"
#include "vmx.h"

struct vmx_caps {
	bool ept;
	bool vpid;
	bool unrestricted_guest;
	bool preemption_timer;
	bool feature_control_locked;
};

static struct vmx_caps vmx_caps;

/* High dword of a VMX control MSR = the allowed-1 settings (SDM Vol. 3D A.3). */
static bool vmx_ctl_allows(u32 msr, u32 bit)
{
	u64 val;

	if (rdmsrl_safe(msr, &val))
		return false;
	return (val >> 32) & bit;
}

/*
 * IA32_FEATURE_CONTROL (SDM Vol. 3C 24.7): locked with "VMX outside SMX" off
 * means firmware disabled VMX and nothing can turn it on until reset.
 * Unlocked, we may set and lock it ourselves when we first enable VMX.
 */
static int vmx_check_feature_control(void)
{
	u64 fc;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &fc)) {
		pr_err("refusing to load: cannot read IA32_FEATURE_CONTROL\n");
		return -ENODEV;
	}
	vmx_caps.feature_control_locked = fc & FEAT_CTL_LOCKED;
	if ((fc & FEAT_CTL_LOCKED) &&
	    !(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("refusing to load: VMX is disabled and locked by the firmware (IA32_FEATURE_CONTROL=%#llx); enable Intel VT-x in the BIOS/UEFI setup\n",
		       fc);
		return -ENODEV;
	}
	return 0;
}

static int vmx_probe(struct plumb_features *feat)
{
	bool secondary, ept_ok = false;
	u64 ept_cap = 0;
	int ret;

	if (!(cpuid_ecx(1) & VMX_CPUID_1_ECX_VMX)) {
		pr_err("refusing to load: this %s CPU does not report VMX in CPUID (no Intel VT-x, or it is hidden by a hypervisor)\n",
		       boot_cpu_data.x86_vendor_id);
		return -ENODEV;
	}
	ret = vmx_check_feature_control();
	if (ret)
		return ret;

	secondary = vmx_ctl_allows(MSR_IA32_VMX_PROCBASED_CTLS,
				   CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	if (secondary) {
		vmx_caps.ept = vmx_ctl_allows(MSR_IA32_VMX_PROCBASED_CTLS2,
					      SECONDARY_EXEC_ENABLE_EPT);
		vmx_caps.vpid = vmx_ctl_allows(MSR_IA32_VMX_PROCBASED_CTLS2,
					       SECONDARY_EXEC_ENABLE_VPID);
		vmx_caps.unrestricted_guest =
			vmx_ctl_allows(MSR_IA32_VMX_PROCBASED_CTLS2,
				       SECONDARY_EXEC_UNRESTRICTED_GUEST);
	}
	vmx_caps.preemption_timer =
		vmx_ctl_allows(MSR_IA32_VMX_PINBASED_CTLS,
			       PIN_BASED_VMX_PREEMPTION_TIMER);

	/* We build 4-level, write-back EPT tables (SDM Vol. 3D A.10). */
	if (vmx_caps.ept && !rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &ept_cap))
		ept_ok = (ept_cap & VMX_EPT_PAGE_WALK_4_BIT) &&
			 (ept_cap & VMX_EPTP_WB_BIT);
	vmx_caps.ept = ept_ok;

	plumb_feature_add(feat, "ept", vmx_caps.ept, true);
	plumb_feature_add(feat, "unrestricted-guest",
			  vmx_caps.unrestricted_guest, true);
	plumb_feature_add(feat, "vpid", vmx_caps.vpid, false);
	plumb_feature_add(feat, "preemption-timer",
			  vmx_caps.preemption_timer, false);
	plumb_feature_add(feat, "feature-control-locked",
			  vmx_caps.feature_control_locked, false);

	if (!vmx_caps.ept || !vmx_caps.unrestricted_guest) {
		pr_err("refusing to load: VMX lacks mandatory features:%s%s (plumb needs EPT with 4-level write-back tables and unrestricted guest)\n",
		       vmx_caps.ept ? "" : " ept",
		       vmx_caps.unrestricted_guest ? "" : " unrestricted-guest");
		return -ENODEV;
	}
	return 0;
}

/* VMXON arrives with the VMX backend; nothing to switch on until then. */
static int vmx_hardware_enable(void)
{
	return 0;
}

static void vmx_hardware_disable(void)
{
}

static int vmx_vm_init(struct plumb_vm *vm)
{
	return -EOPNOTSUPP;
}

static void vmx_vm_destroy(struct plumb_vm *vm)
{
}

/*
 * Until the VMX backend runs guests, vm_init refuses, so none of the vCPU
 * ops below can be reached; they exist so the table is complete.
 */
static int vmx_vcpu_create(struct plumb_vcpu *vcpu)
{
	return -EOPNOTSUPP;
}

static void vmx_vcpu_free(struct plumb_vcpu *vcpu)
{
}

static int vmx_vcpu_run(struct plumb_vcpu *vcpu)
{
	return -EOPNOTSUPP;
}

static int vmx_vcpu_complete(struct plumb_vcpu *vcpu,
			     const struct plumb_exit *reply)
{
	return -EOPNOTSUPP;
}

static void vmx_get_regs(struct plumb_vcpu *vcpu, struct plumb_regs *regs)
{
}

static int vmx_set_regs(struct plumb_vcpu *vcpu, const struct plumb_regs *regs)
{
	return -EOPNOTSUPP;
}

static void vmx_get_sregs(struct plumb_vcpu *vcpu, struct plumb_sregs *sregs)
{
}

static int vmx_set_sregs(struct plumb_vcpu *vcpu,
			 const struct plumb_sregs *sregs)
{
	return -EOPNOTSUPP;
}

static int vmx_get_msr(struct plumb_vcpu *vcpu, u32 index, u64 *data)
{
	return -EOPNOTSUPP;
}

static int vmx_set_msr(struct plumb_vcpu *vcpu, u32 index, u64 data)
{
	return -EOPNOTSUPP;
}

/* EPT entries (SDM Vol. 3C 29.3.2): read/write/execute, WB leaves. */
static u64 vmx_ept_table(phys_addr_t pa)
{
	return pa | 0x7;
}

static u64 vmx_ept_leaf(phys_addr_t pa, bool writable)
{
	return pa | 0x5 | (writable ? 0x2 : 0) | (6 << 3);
}

static int vmx_ept_levels(void)
{
	return 4;
}

const struct plumb_backend_ops plumb_vmx_ops = {
	.name			= "VMX",
	.id			= PLUMB_BACKEND_VMX,
	.probe			= vmx_probe,
	.hardware_enable	= vmx_hardware_enable,
	.hardware_disable	= vmx_hardware_disable,
	.vm_init		= vmx_vm_init,
	.vm_destroy		= vmx_vm_destroy,
	.vcpu_create		= vmx_vcpu_create,
	.vcpu_free		= vmx_vcpu_free,
	.vcpu_run		= vmx_vcpu_run,
	.vcpu_complete		= vmx_vcpu_complete,
	.get_regs		= vmx_get_regs,
	.set_regs		= vmx_set_regs,
	.get_sregs		= vmx_get_sregs,
	.set_sregs		= vmx_set_sregs,
	.get_msr		= vmx_get_msr,
	.set_msr		= vmx_set_msr,
	.npt_table		= vmx_ept_table,
	.npt_leaf		= vmx_ept_leaf,
	.npt_levels		= vmx_ept_levels,
};
