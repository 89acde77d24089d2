// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of spec.h: the facts read from the kernel's X86_BUG_* and
 * X86_FEATURE_* bits at load, the unmitigated= parameter, the load-time
 * line, and the C half of the actions (IBPB, L1D flush, SPEC_CTRL value,
 * VMSCAPE) around each entry. The assembly half is in vmx/vmenter.S and
 * svm/vmenter.S.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/cpu.h>
#include <linux/atomic.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>

#include "compat.h"
#include "spec.h"
#include "spec_host.h"
#include "vm.h"

static char unmitigated[8] = "auto";
module_param_string(unmitigated, unmitigated, sizeof(unmitigated), 0444);
MODULE_PARM_DESC(unmitigated,
		 "host CPU bugs plumb leaves open: auto (refuse to load unless the host runs with mitigations=off), allow, refuse");

/* Read-mostly after load: PSA() bits. */
static u32 spec_actions __read_mostly;

/* The VM whose vCPU this CPU entered last (PSA_IBPB_VM); 0: none yet. */
static DEFINE_PER_CPU(u64, spec_last_vm);
static atomic64_t spec_vm_ids = ATOMIC64_INIT(0);

/* The host's X86_BUG_* and X86_FEATURE_* bits, and the fact each is. */
static const struct {
	u16 bit;
	u8 fact;
} spec_bits[] = {
	{ X86_BUG_SPECTRE_V2, PSF_BUG_SPECTRE_V2 },
	{ X86_BUG_EIBRS_PBRSB, PSF_BUG_EIBRS_PBRSB },
	{ X86_BUG_RETBLEED, PSF_BUG_RETBLEED },
	{ X86_BUG_SRSO, PSF_BUG_SRSO },
	{ X86_BUG_L1TF, PSF_BUG_L1TF },
	{ X86_BUG_MDS, PSF_BUG_MDS },
	{ X86_BUG_TAA, PSF_BUG_TAA },
	{ X86_BUG_MMIO_STALE_DATA, PSF_BUG_MMIO },
	{ X86_BUG_MMIO_UNKNOWN, PSF_BUG_MMIO },
	{ X86_BUG_RFDS, PSF_BUG_RFDS },
	{ X86_BUG_TSA, PSF_BUG_TSA },
	{ X86_BUG_BHI, PSF_BUG_BHI },
	{ X86_BUG_VMSCAPE, PSF_BUG_VMSCAPE },
	{ X86_BUG_ITLB_MULTIHIT, PSF_BUG_ITLB_MULTIHIT },
	{ X86_FEATURE_RSB_VMEXIT, PSF_RSB_VMEXIT },
	{ X86_FEATURE_RSB_VMEXIT_LITE, PSF_RSB_VMEXIT_LITE },
	{ X86_FEATURE_USE_IBPB, PSF_USE_IBPB },
	{ X86_FEATURE_MSR_SPEC_CTRL, PSF_MSR_SPEC_CTRL },
	{ X86_FEATURE_KERNEL_IBRS, PSF_KERNEL_IBRS },
	{ X86_FEATURE_UNRET, PSF_UNRET },
	{ X86_FEATURE_ENTRY_IBPB, PSF_ENTRY_IBPB },
	{ X86_FEATURE_IBPB_ON_VMEXIT, PSF_IBPB_ON_VMEXIT },
	{ X86_FEATURE_SRSO, PSF_SRSO_SAFE_RET },
	{ X86_FEATURE_SRSO_ALIAS, PSF_SRSO_ALIAS },
	{ X86_FEATURE_CLEAR_CPU_BUF, PSF_CLEAR_CPU_BUF },
	{ X86_FEATURE_CLEAR_CPU_BUF_VM, PSF_CLEAR_CPU_BUF_VM },
	{ X86_FEATURE_RTM, PSF_RTM },
	{ X86_FEATURE_FLUSH_L1D, PSF_FLUSH_L1D },
	{ X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT, PSF_CLEAR_BHB_VMEXIT },
	{ X86_FEATURE_CLEAR_BHB_HW, PSF_BHI_DIS_S },
	{ X86_FEATURE_IBPB_EXIT_TO_USER, PSF_IBPB_EXIT_TO_USER },
};

static u64 spec_host_facts(bool vmx)
{
	u64 f = 0, cap = 0, efer;
	unsigned int i;

	if (vmx)
		f |= PSF(VMX);
	if (cpu_mitigations_off())
		f |= PSF(MITIGATIONS_OFF);
	for (i = 0; i < ARRAY_SIZE(spec_bits); i++)
		if (boot_cpu_has(spec_bits[i].bit))
			f |= (u64)1 << spec_bits[i].fact;
	if (plumb_host_call_depth())
		f |= PSF(CALL_DEPTH);
	/* Enhanced IBRS is on when the kernel put IBRS in its base value. */
	if (boot_cpu_has(X86_FEATURE_IBRS_ENHANCED) &&
	    (x86_spec_ctrl_base & SPEC_CTRL_IBRS))
		f |= PSF(EIBRS_ON);
	if (boot_cpu_has(X86_FEATURE_AUTOIBRS)) {
		rdmsrl(MSR_EFER, efer);
		if (efer & EFER_AUTOIBRS)
			f |= PSF(EIBRS_ON);
	}
	/* KVM's default l1tf=flush; only l1tf=off (or mitigations=off) skips. */
	if (l1tf_mitigation != L1TF_MITIGATION_OFF)
		f |= PSF(L1TF_FLUSH);
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, cap);
	if (cap & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH)
		f |= PSF(SKIP_L1DFL);
	return f;
}

int plumb_spec_init(bool vmx)
{
	struct plumb_spec_policy p;
	enum plumb_spec_accept accept;
	char act[128], open[128];
	u64 facts;

	if (plumb_spec_parse_accept(unmitigated, &accept)) {
		pr_err("refusing to load: unmitigated=%s: expected auto, allow or refuse\n",
		       unmitigated);
		return -EINVAL;
	}
	facts = spec_host_facts(vmx);
	plumb_spec_decide(facts, &p);
	plumb_spec_format_actions(p.actions, act, sizeof(act));
	plumb_spec_format_bugs(p.open, open, sizeof(open));
	if (plumb_spec_refuse(facts, &p, accept)) {
		pr_err("refusing to load: host CPU bugs plumb does not mitigate: %s (mitigations: %s); load with unmitigated=allow to accept the risk\n",
		       open, act);
		return -EPERM;
	}
	spec_actions = p.actions;
	if (!p.open)
		pr_info("mitigations: %s; open: none\n", act);
	else
		pr_warn("mitigations: %s; open: %s (accepted: %s)\n", act, open,
			accept == PLUMB_SPEC_ALLOW ? "unmitigated=allow" :
						     "host mitigations=off");
	return 0;
}

/* A VM's id for PSA_IBPB_VM: never reused, unlike its address. */
static u64 spec_vm_id(struct plumb_vm *vm)
{
	u64 id = READ_ONCE(vm->spec_id);

	if (likely(id))
		return id;
	id = atomic64_inc_return(&spec_vm_ids);
	return cmpxchg64(&vm->spec_id, 0, id) ?: id;
}

/*
 * Called last before the world switch, interrupts off. Returns the
 * PLUMB_ENTER_* flags for the assembly, and the host's SPEC_CTRL value
 * it writes back after exit. x86_spec_ctrl_current is this CPU's value
 * for the current task (SSBD, STIBP may differ per task), and cannot
 * change until interrupts are on again.
 */
u32 plumb_spec_before_entry(struct plumb_vm *vm, u64 *host_spec_ctrl)
{
	u32 a = spec_actions;
	u32 flags = 0;
	u64 id;

	if (a & PSA(IBPB_VM)) {
		id = spec_vm_id(vm);
		if (this_cpu_read(spec_last_vm) != id) {
			this_cpu_write(spec_last_vm, id);
			indirect_branch_prediction_barrier();
		}
	}
	if (a & PSA(HOST_SPEC_CTRL)) {
		*host_spec_ctrl = this_cpu_read(x86_spec_ctrl_current);
		flags |= PLUMB_ENTER_HOST_SPEC_CTRL;
	}
	/* Last: nothing of the host's may be loaded into L1D after it. */
	if (a & PSA(L1D_FLUSH))
		wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
	return flags;
}

/* Right after the exit, interrupts still off. */
void plumb_spec_after_exit(void)
{
	/* VMSCAPE: the VMM's user code must not see guest-trained branches. */
	if (spec_actions & PSA(IBPB_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);
}
