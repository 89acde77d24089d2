// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs that are plain per-vCPU storage on both vendors: the backends handle
 * the ones that live in the VMCB/VMCS (EFER, syscall MSRs, segment bases,
 * PAT, TSC) and fall back to these. Anything in neither list raises #GP in
 * the guest, as on hardware without the MSR.
 */
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/mtrr.h>

#include "apic.h"
#include "cpuid.h"
#include "lapic.h"
#include "msr.h"
#include "pvclock.h"
#include "vcpu.h"

#define PLUMB_MTRR_CAP_VCNT		8
#define PLUMB_MTRR_CAP_FIX		BIT_ULL(8)
#define PLUMB_MTRR_CAP_WC		BIT_ULL(10)

/*
 * AMD's core performance counters (legacy 0xc0010000-7, extended
 * 0xc0010200-b) read 0 and ignore writes, as KVM's without a vPMU: Linux
 * then finds no PMU ("not available due to virtualization") instead of
 * counters that never count and an RDPMC that faults.
 */
static bool amd_perf_msr(u32 index)
{
	return (index >= MSR_K7_EVNTSEL0 && index <= MSR_K7_PERFCTR3) ||
	       (index >= MSR_F15H_PERF_CTL && index < MSR_F15H_PERF_CTL + 12);
}

static u64 *mtrr_reg(struct plumb_vcpu *vcpu, u32 index)
{
	if (index >= MTRRphysBase_MSR(0) && index <= MTRRphysMask_MSR(7))
		return &vcpu->msrs.mtrr_var[index - MTRRphysBase_MSR(0)];
	switch (index) {
	case MSR_MTRRfix64K_00000:
		return &vcpu->msrs.mtrr_fixed[0];
	case MSR_MTRRfix16K_80000:
	case MSR_MTRRfix16K_A0000:
		return &vcpu->msrs.mtrr_fixed[1 + index - MSR_MTRRfix16K_80000];
	case MSR_MTRRfix4K_C0000 ... MSR_MTRRfix4K_F8000:
		return &vcpu->msrs.mtrr_fixed[3 + index - MSR_MTRRfix4K_C0000];
	case MSR_MTRRdefType:
		return &vcpu->msrs.mtrr_def_type;
	default:
		return NULL;
	}
}


/*
 * IA32_MCG_CTL and the banks' IA32_MCi_CTL/STATUS/ADDR/MISC: storage for
 * userspace only (plumb_msr_host()). The guest's IA32_MCG_CAP says there
 * are no banks and no MCG_CTL, so its own RDMSR/WRMSR of them is #GP.
 */
static u64 *mce_reg(struct plumb_vcpu *vcpu, u32 index)
{
	if (index == MSR_IA32_MCG_CTL)
		return &vcpu->msrs.mcg_ctl;
	if (index >= MSR_IA32_MC0_CTL &&
	    index < MSR_IA32_MC0_CTL + 4 * PLUMB_MCE_BANKS)
		return &vcpu->msrs.mce_banks[index - MSR_IA32_MC0_CTL];
	return NULL;
}

/*
 * MSRs only userspace reads and writes (the MSR ioctls), before the
 * vCPU's get_msr/set_msr: 0, or -ENOENT when @index is not one.
 */
int plumb_msr_host(struct plumb_vcpu *vcpu, u32 index, u64 *data, bool set)
{
	u64 *reg = mce_reg(vcpu, index);

	if (!reg)
		return -ENOENT;
	if (set)
		*reg = *data;
	else
		*data = *reg;
	return 0;
}

int plumb_msr_get(struct plumb_vcpu *vcpu, u32 index, u64 *data)
{
	u64 *reg;

	switch (index) {
	case MSR_IA32_APICBASE:
		*data = plumb_lapic_get_base(vcpu);
		return 0;
	case MSR_TSC_AUX:
		*data = vcpu->msrs.tsc_aux;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->msrs.misc_enable;
		return 0;
	case MSR_MTRRcap:
		*data = PLUMB_MTRR_CAP_VCNT | PLUMB_MTRR_CAP_FIX | PLUMB_MTRR_CAP_WC;
		return 0;
	case MSR_IA32_UCODE_REV:
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_MCG_STATUS:
	case MSR_K7_HWCR:
	case MSR_AMD64_SYSCFG:
	case MSR_K8_INT_PENDING_MSG:
		*data = 0;
		return 0;
	}
	if (amd_perf_msr(index)) {
		*data = 0;
		return 0;
	}
	reg = mtrr_reg(vcpu, index);
	if (!reg) {
		int ret = plumb_pvclock_msr_get(vcpu, index, data);

		return ret != -ENOENT ? ret :
		       plumb_lapic_msr_get(vcpu, index, data);
	}
	*data = *reg;
	return 0;
}

int plumb_msr_set(struct plumb_vcpu *vcpu, u32 index, u64 data)
{
	u64 *reg;

	switch (index) {
	case MSR_IA32_APICBASE:
		/*
		 * SDM Vol. 3A Table 11-5: invalid transitions are #GP; so is
		 * EXTD (a reserved bit) when CPUID does not offer x2APIC.
		 */
		if ((data & PAPIC_BASE_EXTD) && !PLUMB_GUEST_X2APIC(vcpu))
			return -EINVAL;
		/* The base is a physical address: MAXPHYADDR bounds it. */
		if (data >> plumb_guest_maxphyaddr(vcpu))
			return -EINVAL;
		return plumb_lapic_set_base(vcpu, data) ? -EINVAL : 0;
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		vcpu->msrs.tsc_aux = data;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		vcpu->msrs.misc_enable = data;
		return 0;
	case MSR_IA32_UCODE_REV:
	case MSR_IA32_MCG_STATUS:
	case MSR_K7_HWCR:
	case MSR_AMD64_SYSCFG:
	case MSR_K8_INT_PENDING_MSG:
		return 0;	/* writes ignored, as KVM does */
	}
	if (amd_perf_msr(index))
		return 0;
	reg = mtrr_reg(vcpu, index);
	if (!reg) {
		int ret = plumb_pvclock_msr_set(vcpu, index, data);

		return ret != -ENOENT ? ret :
		       plumb_lapic_msr_set(vcpu, index, data);
	}
	*reg = data;
	return 0;
}

/*
 * IA32_APIC_BASE from userspace (SET_SREGS, SET_MSRS: a reset or a
 * restore), as KVM's host-initiated write: any valid value, whatever the
 * APIC's mode now. The SDM's transition rules (Table 11-5) bind the
 * guest's WRMSR; a machine reset takes an x2APIC back to xAPIC in one
 * step. The walk goes through disabled (and xAPIC, on the way to
 * x2APIC), each step a legal one; a value the MSR refuses in any mode
 * changes nothing.
 */
int plumb_msr_set_apic_base_host(struct plumb_vcpu *vcpu, u64 data)
{
	int ret = plumb_msr_set(vcpu, MSR_IA32_APICBASE, data);

	if (ret != -EINVAL || data == plumb_lapic_get_base(vcpu))
		return ret;
	ret = plumb_msr_set(vcpu, MSR_IA32_APICBASE,
			    data & ~(PAPIC_BASE_EN | PAPIC_BASE_EXTD));
	if (!ret && (data & PAPIC_BASE_EXTD))
		ret = plumb_msr_set(vcpu, MSR_IA32_APICBASE,
				    data & ~PAPIC_BASE_EXTD);
	if (!ret)
		ret = plumb_msr_set(vcpu, MSR_IA32_APICBASE, data);
	return ret;
}

/* Each byte of IA32_PAT a valid memory type: 0, 1, 4, 5, 6, 7. */
bool plumb_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (8 * i);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

/* 48-bit canonical (a 5-level guest is not offered). */
bool plumb_is_canonical(u64 v)
{
	return ((s64)v << 16 >> 16) == (s64)v;
}

/* The slot of a guest-state MSR in @m, or NULL. */
static u64 *state_reg(const struct plumb_msr_state *m, u32 index)
{
	switch (index) {
	case MSR_STAR:			return m->star;
	case MSR_LSTAR:			return m->lstar;
	case MSR_CSTAR:			return m->cstar;
	case MSR_SYSCALL_MASK:		return m->sfmask;
	case MSR_KERNEL_GS_BASE:	return m->kernel_gs_base;
	case MSR_FS_BASE:		return m->fs_base;
	case MSR_GS_BASE:		return m->gs_base;
	case MSR_IA32_SYSENTER_CS:	return m->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:	return m->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:	return m->sysenter_eip;
	case MSR_IA32_CR_PAT:		return m->pat;
	default:			return NULL;
	}
}

/*
 * RDMSR/WRMSR of everything but what only the backend knows (EFER, TSC):
 * the guest-state MSRs where the backend keeps them (@m), then the
 * storage-only ones. 0, -EINVAL (#GP) or -ENOENT, as the get_msr op.
 */
int plumb_msr_get_state(struct plumb_vcpu *vcpu,
			const struct plumb_msr_state *m, u32 index, u64 *data)
{
	u64 *reg = state_reg(m, index);

	if (!reg)
		return plumb_msr_get(vcpu, index, data);
	*data = *reg;
	return 0;
}

int plumb_msr_set_state(struct plumb_vcpu *vcpu,
			const struct plumb_msr_state *m, u32 index, u64 data)
{
	u64 *reg = state_reg(m, index);

	switch (index) {
	case MSR_SYSCALL_MASK:
		data &= 0xffffffff;
		break;
	case MSR_IA32_SYSENTER_CS:
		data &= 0xffff;
		break;
	case MSR_IA32_CR_PAT:
		if (!plumb_pat_valid(data))
			return -EINVAL;
		break;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		if (!plumb_is_canonical(data))
			return -EINVAL;
		break;
	default:
		break;
	}
	if (!reg)
		return plumb_msr_set(vcpu, index, data);
	*reg = data;
	return 0;
}
