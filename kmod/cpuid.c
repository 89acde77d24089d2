// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: what a guest may be shown, and what its own table allows.
 *
 * The supported-CPUID table is built once at load from the boot CPU's
 * CPUID, then filtered: the hypervisor bit is set, VMX/SVM and their
 * feature leaves are never shown (we do not offer nested virtualization),
 * and leaf 0x40000000 carries our signature.
 *
 * The guest's table is the one userspace set (PLUMB_SET_CPUID). It is the
 * policy for the guest's CPUID instruction and for the state the guest
 * may enter: a CR4 bit whose feature the table does not offer is reserved,
 * and MAXPHYADDR comes from leaf 0x80000008.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include "apic.h"
#include "backend.h"
#include "cpuid.h"
#include "lapic.h"
#include "pvclock.h"
#include "vcpu.h"

/* Leaf 1 ECX / leaf 0x80000001 ECX bits (SDM Vol. 2A CPUID; APM Vol. 3 E.4) */
#define CPUID_1_ECX_VMX		BIT(5)
#define CPUID_1_ECX_SMX		BIT(6)
#define CPUID_1_ECX_X2APIC	BIT(21)
#define CPUID_1_ECX_TSC_DEADLINE	BIT(24)
#define CPUID_1_ECX_HYPERVISOR	BIT(31)
#define CPUID_81_ECX_SVM	BIT(2)

#define PLUMB_CPUID_SIGNATURE	"PlumbHVPlumb"	/* 12 bytes: EBX, ECX, EDX */

/* Highest leaves copied; later ones describe hardware a guest cannot use. */
#define PLUMB_CPUID_MAX_BASIC	0x1fU
#define PLUMB_CPUID_MAX_EXT	0x80000021U
#define PLUMB_CPUID_MAX_SUBLEAF	64U

static struct plumb_cpuid_entry *supported;
static u32 nr_supported;

static struct plumb_cpuid_entry *add_entry(u32 function, u32 index, u32 flags)
{
	struct plumb_cpuid_entry *e;

	if (nr_supported >= PLUMB_MAX_CPUID_ENTRIES)
		return NULL;
	e = &supported[nr_supported++];
	memset(e, 0, sizeof(*e));	/* the slot may hold a dropped sub-leaf */
	e->function = function;
	e->index = index;
	e->flags = flags;
	cpuid_count(function, index, &e->eax, &e->ebx, &e->ecx, &e->edx);
	return e;
}

/* How many sub-leaves a leaf has, or 0 if ECX does not select one. */
static u32 nr_subleaves(u32 function)
{
	u32 eax, ebx, ecx, edx, i;

	switch (function) {
	case 0x4:
	case 0x8000001d:
		/* Cache descriptors: the list ends with type 0 (EAX[4:0]). */
		for (i = 0; i < PLUMB_CPUID_MAX_SUBLEAF; i++) {
			cpuid_count(function, i, &eax, &ebx, &ecx, &edx);
			if (!(eax & 0x1f))
				break;
		}
		return i + 1;	/* keep the terminating entry */
	case 0x7:
	case 0x14:
	case 0x17:
	case 0x18:
	case 0x1d:
		/* EAX of sub-leaf 0 is the highest sub-leaf. */
		cpuid_count(function, 0, &eax, &ebx, &ecx, &edx);
		return min(eax, PLUMB_CPUID_MAX_SUBLEAF - 1) + 1;
	case 0xb:
	case 0x1f:
		/* Topology levels end with level type 0 (ECX[15:8]). */
		for (i = 0; i < PLUMB_CPUID_MAX_SUBLEAF; i++) {
			cpuid_count(function, i, &eax, &ebx, &ecx, &edx);
			if (!(ecx & 0xff00))
				break;
		}
		return i + 1;
	case 0xd:
	case 0xf:
	case 0x10:
	case 0x12:
		return PLUMB_CPUID_MAX_SUBLEAF;
	default:
		return 0;
	}
}

static void add_leaf(u32 function)
{
	u32 n = nr_subleaves(function), i;
	struct plumb_cpuid_entry *e;

	if (!n) {
		add_entry(function, 0, 0);
		return;
	}
	for (i = 0; i < n; i++) {
		e = add_entry(function, i, PLUMB_CPUID_FLAG_SIGNIFICANT_INDEX);
		/* Sparse leaves (0xd...): drop empty sub-leaves past 1. */
		if (e && i > 1 && !(e->eax | e->ebx | e->ecx | e->edx))
			nr_supported--;
	}
}

static void filter_entry(struct plumb_cpuid_entry *e)
{
	switch (e->function) {
	case 0x1:
		e->ecx &= ~(CPUID_1_ECX_VMX | CPUID_1_ECX_SMX);
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		/* The in-kernel APIC has both, whatever the host has. */
		e->ecx |= CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE;
		/* No IA32_PERF_CAPABILITIES behind PDCM (no vPMU, below). */
		e->ecx &= ~BIT(15);
		/*
		 * No MONITOR/MWAIT: both backends make them #UD, and Linux's
		 * intel_idle would use them (KVM does not offer them either).
		 */
		e->ecx &= ~BIT(3);
		/*
		 * No debug store, thermal monitors, SpeedStep or xTPR
		 * control: their MSRs are not kept (DTES64, DS-CPL, EST,
		 * TM2, xTPR; DS, ACPI, TM, PBE), as KVM does not offer them.
		 */
		e->ecx &= ~(BIT(2) | BIT(4) | BIT(7) | BIT(8) | BIT(14));
		e->edx &= ~(BIT(21) | BIT(22) | BIT(29) | BIT(31));
		break;
	case 0x6:
		/* Thermal and power: only ARAT, the APIC timer never stops. */
		e->eax = BIT(2);
		e->ebx = e->ecx = e->edx = 0;
		break;
	case 0x5:
		/* MONITOR/MWAIT leaf: nothing, as leaf 1 says. */
		e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	case 0xa:
		/*
		 * Intel's architectural PMU: not virtualized, so not offered
		 * (its counter MSRs would #GP; kvm-unit-tests clears them all).
		 */
		e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	case 0x7:
		/*
		 * LA57: the MSR and segment bases are checked as 48-bit
		 * canonical, so a 5-level guest would see valid writes refused.
		 */
		if (e->index == 0)
			e->ecx &= ~BIT(16);
		/*
		 * PKU only where the host kernel runs with CR4.PKE: PKRU is
		 * switched around entries with RDPKRU/WRPKRU, which #UD
		 * without it. OSPKE follows the guest's CR4 (cpuid lookup).
		 */
		if (e->index == 0 && !boot_cpu_has(X86_FEATURE_OSPKE))
			e->ecx &= ~BIT(3);
		if (e->index == 0)
			e->ecx &= ~BIT(4);
		/*
		 * SPEC_CTRL, PRED_CMD, FLUSH_CMD and ARCH_CAPABILITIES are not
		 * kept (decision 98): IBRS/IBPB, STIBP, L1D_FLUSH,
		 * ARCH_CAPABILITIES, SSBD; in sub-leaf 2 the SPEC_CTRL bits
		 * PSFD, IPRED/RRSBA/DDPD_U/BHI_DIS_S.
		 */
		if (e->index == 0)
			e->edx &= ~(BIT(26) | BIT(27) | BIT(28) | BIT(29) |
				    BIT(31));
		if (e->index == 2)
			e->edx &= ~GENMASK(4, 0);
		break;
	case 0xd:
		/* XSAVES/XRSTORS need IA32_XSS, which plumb does not keep. */
		if (e->index == 1)
			e->eax &= ~BIT(3);
		break;
	case 0x80000001:
		e->ecx &= ~CPUID_81_ECX_SVM;
		e->ecx &= ~BIT(29);	/* MONITORX/MWAITX: #UD, as MWAIT */
		break;
	case 0x80000008:
		/*
		 * AMD's names for the same MSRs (decision 98): IBPB, IBRS,
		 * STIBP, their always-on/preferred/same-mode hints, SSBD,
		 * VIRT_SSBD, PSFD, IBPB_RET.
		 */
		e->ebx &= ~(BIT(12) | GENMASK(19, 14) | BIT(24) | BIT(25) |
			    BIT(28) | BIT(30));
		break;
	case 0x80000021:
		e->eax &= ~BIT(27);	/* SBPB: a PRED_CMD bit */
		break;
	case 0x8000000a:
		/* SVM revision and features: nothing nested to offer. */
		e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	}
}

int plumb_cpuid_init(void)
{
	u32 max_basic, max_ext, f, i;
	struct plumb_cpuid_entry *e;

	supported = kcalloc(PLUMB_MAX_CPUID_ENTRIES, sizeof(*supported),
			    GFP_KERNEL);
	if (!supported)
		return -ENOMEM;

	max_basic = min(cpuid_eax(0), PLUMB_CPUID_MAX_BASIC);
	for (f = 0; f <= max_basic; f++)
		add_leaf(f);

	if (nr_supported < PLUMB_MAX_CPUID_ENTRIES) {
		e = &supported[nr_supported++];
		memset(e, 0, sizeof(*e));
		e->function = 0x40000000;
		e->eax = 0x40000000;	/* highest hypervisor leaf */
		memcpy(&e->ebx, PLUMB_CPUID_SIGNATURE, 4);
		memcpy(&e->ecx, PLUMB_CPUID_SIGNATURE + 4, 4);
		memcpy(&e->edx, PLUMB_CPUID_SIGNATURE + 8, 4);
	}

	/*
	 * KVM's paravirtual interface at the next base, with only its clock
	 * (pvclock.c): KVM_FEATURE_CLOCKSOURCE2 (3), CLOCKSOURCE_STABLE_BIT (24).
	 */
	if (plumb_pvclock_available() &&
	    nr_supported + 2 <= PLUMB_MAX_CPUID_ENTRIES) {
		e = &supported[nr_supported++];
		memset(e, 0, sizeof(*e));
		e->function = 0x40000100;
		e->eax = 0x40000101;
		memcpy(&e->ebx, "KVMK", 4);
		memcpy(&e->ecx, "VMKV", 4);
		memcpy(&e->edx, "M\0\0\0", 4);
		e = &supported[nr_supported++];
		memset(e, 0, sizeof(*e));
		e->function = 0x40000101;
		e->eax = BIT(3) | BIT(24);
	}

	max_ext = cpuid_eax(0x80000000);
	if (max_ext >= 0x80000000) {
		max_ext = min(max_ext, PLUMB_CPUID_MAX_EXT);
		for (f = 0x80000000; f <= max_ext; f++)
			add_leaf(f);
	}

	for (i = 0; i < nr_supported; i++)
		filter_entry(&supported[i]);
	return 0;
}

void plumb_cpuid_exit(void)
{
	kfree(supported);
	supported = NULL;
	nr_supported = 0;
}

/* The table itself, read-only, for the KVM personality's own answer. */
const struct plumb_cpuid_entry *plumb_supported_cpuid(u32 *nr)
{
	*nr = nr_supported;
	return supported;
}

/* @hdr: the checked copy of *@uc (ioctl.c) */
long plumb_get_supported_cpuid(const struct plumb_cpuid *hdr,
			       struct plumb_cpuid __user *uc)
{
	if (hdr->nent < nr_supported) {
		if (put_user(nr_supported, &uc->nent))
			return -EFAULT;
		return -E2BIG;
	}
	if (copy_to_user(uc->entries, supported,
			 nr_supported * sizeof(*supported)))
		return -EFAULT;
	if (put_user(nr_supported, &uc->nent))
		return -EFAULT;
	return 0;
}

/* The guest's CPUID table as userspace set it. */
static void cpuid_table(struct plumb_vcpu *vcpu, u32 fn, u32 idx, u32 *eax,
			u32 *ebx, u32 *ecx, u32 *edx)
{
	u32 i;

	for (i = 0; i < vcpu->nr_cpuid; i++) {
		const struct plumb_cpuid_entry *e = &vcpu->cpuid[i];

		if (e->function != fn)
			continue;
		if ((e->flags & PLUMB_CPUID_FLAG_SIGNIFICANT_INDEX) &&
		    e->index != idx)
			continue;
		*eax = e->eax;
		*ebx = e->ebx;
		*ecx = e->ecx;
		*edx = e->edx;
		return;
	}
	/* Not in the table: zeros (userspace decides what a guest sees). */
	*eax = *ebx = *ecx = *edx = 0;
}

/*
 * CPUID as the guest sees it: the table, with the bits that follow the
 * vCPU's state (SDM Vol. 2A CPUID): leaf 1 EDX.APIC follows
 * IA32_APIC_BASE.EN, ECX.OSXSAVE CR4.OSXSAVE; leaf 7 ECX.OSPKE CR4.PKE.
 */
void plumb_cpuid_lookup(struct plumb_vcpu *vcpu, u32 fn, u32 idx, u32 *eax,
			u32 *ebx, u32 *ecx, u32 *edx)
{
	struct plumb_sregs s;

	cpuid_table(vcpu, fn, idx, eax, ebx, ecx, edx);
	if (fn != 1 && !(fn == 7 && idx == 0))
		return;
	plumb_ops->get_sregs(vcpu, &s);
	if (fn == 1) {
		if (!(plumb_lapic_get_base(vcpu) & PAPIC_BASE_EN))
			*edx &= ~BIT(9);
		*ecx &= ~BIT(27);
		if ((*ecx & BIT(26)) && (s.cr4 & X86_CR4_OSXSAVE))
			*ecx |= BIT(27);
	} else {
		*ecx &= ~BIT(4);
		if ((*ecx & BIT(3)) && (s.cr4 & X86_CR4_PKE))
			*ecx |= BIT(4);
	}
}

/* A feature bit of the guest's CPUID table; @reg 0-3 is EAX-EDX. */
bool plumb_guest_cpuid_has(struct plumb_vcpu *vcpu, u32 fn, u32 idx, int reg,
			   int bit)
{
	u32 r[4];

	cpuid_table(vcpu, fn, idx, &r[0], &r[1], &r[2], &r[3]);
	return r[reg & 3] & BIT(bit);
}

/* CPUID.80000008H:EAX[7:0], 36 bits when the table has no such leaf. */
unsigned int plumb_guest_maxphyaddr(struct plumb_vcpu *vcpu)
{
	u32 a, b, c, d;

	cpuid_table(vcpu, 0x80000008, 0, &a, &b, &c, &d);
	a &= 0xff;
	return a >= 32 && a <= 52 ? a : 36;
}

/*
 * The CR4 bits a guest may set (SDM Vol. 3A 2.5 and 4.10.1; APM Vol. 2
 * 3.1.3): a feature its CPUID does not offer has its CR4 bit reserved;
 * VMXE and SMXE are never offered (no nested VMX, no SMX).
 */
u64 plumb_cr4_allowed(struct plumb_vcpu *vcpu)
{
	u64 ok = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
		 X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |
		 X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	u32 a, b, c, d, b7, c7, d7;

	cpuid_table(vcpu, 1, 0, &a, &b, &c, &d);
	cpuid_table(vcpu, 7, 0, &a, &b7, &c7, &d7);
	if (c & BIT(17))
		ok |= X86_CR4_PCIDE;
	if (c & BIT(26))
		ok |= X86_CR4_OSXSAVE;
	if (b7 & BIT(0))
		ok |= X86_CR4_FSGSBASE;
	if (b7 & BIT(7))
		ok |= X86_CR4_SMEP;
	if (b7 & BIT(20))
		ok |= X86_CR4_SMAP;
	if (c7 & BIT(2))
		ok |= X86_CR4_UMIP;
	if ((c7 & BIT(3)) && boot_cpu_has(X86_FEATURE_OSPKE))
		ok |= X86_CR4_PKE;	/* PKRU is switched with RDPKRU */
	if (c7 & BIT(16))
		ok |= X86_CR4_LA57;
	if ((c7 & BIT(7)) || (d7 & BIT(20)))
		ok |= X86_CR4_CET;
	return ok;
}

/* MOV to CR4: false means #GP. */
bool plumb_cr4_valid(struct plumb_vcpu *vcpu, u64 old, u64 val, u64 cr3,
		     bool lma)
{
	if (val & ~plumb_cr4_allowed(vcpu))
		return false;
	if (lma && (!(val & X86_CR4_PAE) || ((val ^ old) & X86_CR4_LA57)))
		return false;
	/* PCIDE 0 -> 1 only in IA-32e mode, with CR3[11:0] = 0 (4.10.1). */
	if ((val & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	    (!lma || (cr3 & 0xfff)))
		return false;
	return true;
}
