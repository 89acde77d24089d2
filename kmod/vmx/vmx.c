// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VT-x backend: detection, VM and vCPU setup, register state and the
 * run path. VMX root and the VMCS live in vmcs.c, exit handlers in exit.c,
 * the world switch in vmenter.S.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tsc.h>

#include "../backend.h"
#include "../cpuid.h"
#include "../dr.h"
#include "../fpu.h"
#include "../hw.h"
#include "../lapic.h"
#include "../msr.h"
#include "../spec.h"
#include "../spec_host.h"
#include "../vcpu.h"
#include "../vm.h"
#include "vmx.h"

struct vmx_conf vmx_conf;


/* VPIDs, one per vCPU, from 1 (VPID 0 is the host's). */
#define VMX_NR_VPIDS	65536
static DECLARE_BITMAP(vmx_vpids, VMX_NR_VPIDS);
static DEFINE_SPINLOCK(vmx_vpid_lock);

/* High dword of a VMX control MSR = the allowed-1 settings (SDM Vol. 3D A.3). */
static bool vmx_ctl_allows(u32 msr, u32 bit)
{
	u64 val;

	if (rdmsrl_safe(msr, &val))
		return false;
	return (val >> 32) & bit;
}

/*
 * A control word: the bits we need must be allowed to be 1, the optional
 * ones are taken if allowed, and the CPU's default-1 bits are forced
 * (SDM Vol. 3D A.3-A.5). Returns the bits of @want the CPU lacks.
 */
static u32 vmx_adjust(u32 msr, u32 want, u32 optional, u32 *out)
{
	u64 v;
	u32 ctl;

	if (rdmsrl_safe(msr, &v))
		return want ? want : ~0U;
	ctl = ((want | optional) & (u32)(v >> 32)) | (u32)v;
	*out = ctl;
	return want & ~ctl;
}

/*
 * IA32_FEATURE_CONTROL (SDM Vol. 3C 24.7): locked with "VMX outside SMX" off
 * means firmware disabled VMX and nothing can turn it on until reset.
 * Unlocked, we set and lock it ourselves when we first enable VMX.
 */
static int vmx_check_feature_control(void)
{
	u64 fc;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &fc)) {
		pr_err("refusing to load: cannot read IA32_FEATURE_CONTROL\n");
		return -ENODEV;
	}
	vmx_conf.feature_control_locked = fc & FEAT_CTL_LOCKED;
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
	struct vmx_conf *c = &vmx_conf;
	bool true_ctls, ept_ok, ug, vpid_ok;
	u32 missing, cpu2_allowed = 0;
	u64 v;
	int ret;

	if (!(cpuid_ecx(1) & VMX_CPUID_1_ECX_VMX)) {
		pr_err("refusing to load: this %s CPU does not report VMX in CPUID (no Intel VT-x, or it is hidden by a hypervisor)\n",
		       boot_cpu_data.x86_vendor_id);
		return -ENODEV;
	}
	ret = vmx_check_feature_control();
	if (ret)
		return ret;
	if (rdmsrl_safe(MSR_IA32_VMX_BASIC, &c->basic)) {
		pr_err("refusing to load: cannot read IA32_VMX_BASIC\n");
		return -ENODEV;
	}
	c->revision = VMXB_REVISION(c->basic);
	true_ctls = c->basic & VMXB_TRUE_CTLS;

	if (vmx_ctl_allows(MSR_IA32_VMX_PROCBASED_CTLS,
			   CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	    !rdmsrl_safe(MSR_IA32_VMX_PROCBASED_CTLS2, &v))
		cpu2_allowed = v >> 32;
	if (rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &c->ept_vpid_cap))
		c->ept_vpid_cap = 0;

	/* We build 4-level, write-back EPT tables and need INVEPT (A.10). */
	v = c->ept_vpid_cap;
	ept_ok = (cpu2_allowed & SECONDARY_EXEC_ENABLE_EPT) &&
		 (v & VMX_EPT_PAGE_WALK_4_BIT) && (v & VMX_EPTP_WB_BIT) &&
		 (v & VMX_EPT_INVEPT_BIT) &&
		 (v & (VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT));
	ug = cpu2_allowed & SECONDARY_EXEC_UNRESTRICTED_GUEST;
	vpid_ok = (cpu2_allowed & SECONDARY_EXEC_ENABLE_VPID) &&
		  (v & VMX_VPID_INVVPID_BIT) &&
		  (v & (VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT |
			VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT));
	c->invept_type = (v & VMX_EPT_EXTENT_CONTEXT_BIT) ?
			 VMX_INVEPT_SINGLE : VMX_INVEPT_GLOBAL;
	c->invvpid_type = !vpid_ok ? 0 :
			  (v & VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT) ?
			  VMX_INVVPID_SINGLE : VMX_INVVPID_ALL;
	c->vpid = vpid_ok;
	c->preemption_timer = vmx_ctl_allows(MSR_IA32_VMX_PINBASED_CTLS,
					     PIN_BASED_VMX_PREEMPTION_TIMER);

	plumb_feature_add(feat, "ept", ept_ok, true);
	plumb_feature_add(feat, "unrestricted-guest", ug, true);
	plumb_feature_add(feat, "vpid", vpid_ok, false);
	plumb_feature_add(feat, "preemption-timer", c->preemption_timer,
			  false);
	plumb_feature_add(feat, "feature-control-locked",
			  c->feature_control_locked, false);

	if (!ept_ok || !ug) {
		pr_err("refusing to load: VMX lacks mandatory features:%s%s (plumb needs EPT with 4-level write-back tables and unrestricted guest)\n",
		       ept_ok ? "" : " ept", ug ? "" : " unrestricted-guest");
		return -ENODEV;
	}

	/*
	 * The controls we run with. Host interrupts and NMIs exit the guest
	 * (so RUN notices signals); every port and MSR exits; the guest never
	 * touches the debug registers or CR8 (the host's TPR) directly.
	 */
	missing = vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
			     MSR_IA32_VMX_PINBASED_CTLS,
			     PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING,
			     (c->preemption_timer ?
			      PIN_BASED_VMX_PREEMPTION_TIMER : 0) |
			     PIN_BASED_VIRTUAL_NMIS, &c->pin);
	missing |= vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			      MSR_IA32_VMX_PROCBASED_CTLS,
			      CPU_BASED_HLT_EXITING | CPU_BASED_CR8_LOAD_EXITING |
			      CPU_BASED_CR8_STORE_EXITING |
			      CPU_BASED_MOV_DR_EXITING |
			      CPU_BASED_UNCOND_IO_EXITING |
			      CPU_BASED_USE_MSR_BITMAPS |
			      CPU_BASED_MWAIT_EXITING |
			      CPU_BASED_MONITOR_EXITING |
			      CPU_BASED_RDPMC_EXITING |
			      CPU_BASED_USE_TSC_OFFSETTING |
			      CPU_BASED_ACTIVATE_SECONDARY_CONTROLS, 0, &c->cpu);
	missing |= vmx_adjust(MSR_IA32_VMX_PROCBASED_CTLS2,
			      SECONDARY_EXEC_ENABLE_EPT |
			      SECONDARY_EXEC_UNRESTRICTED_GUEST,
			      (vpid_ok ? SECONDARY_EXEC_ENABLE_VPID : 0) |
			      SECONDARY_EXEC_ENABLE_RDTSCP |
			      SECONDARY_EXEC_WBINVD_EXITING |
			      SECONDARY_EXEC_ENABLE_INVPCID, &c->cpu2);
	missing |= vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
			      MSR_IA32_VMX_EXIT_CTLS,
			      VM_EXIT_HOST_ADDR_SPACE_SIZE |
			      VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT |
			      VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER,
			      0, &c->exit);
	missing |= vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
			      MSR_IA32_VMX_ENTRY_CTLS,
			      VM_ENTRY_LOAD_IA32_PAT | VM_ENTRY_LOAD_IA32_EFER |
			      VM_ENTRY_LOAD_DEBUG_CONTROLS, 0, &c->entry);
	/* NMI-window exiting needs virtual NMIs (SDM Vol. 3C 26.2.1.1). */
	if (!rdmsrl_safe(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			 MSR_IA32_VMX_PROCBASED_CTLS, &v))
		c->nmi_window = (c->pin & PIN_BASED_VIRTUAL_NMIS) &&
				((v >> 32) & CPU_BASED_NMI_WINDOW_EXITING);
	/* Neither acknowledge interrupts on exit nor enter IA-32e by default. */
	c->exit &= ~VM_EXIT_ACK_INTR_ON_EXIT;
	c->entry &= ~VM_ENTRY_IA32E_MODE;
	if (missing) {
		pr_err("refusing to load: VMX lacks controls plumb needs (mask %#x: exiting on interrupts/HLT/CR8/DR/I/O, MSR bitmaps, EFER/PAT switching)\n",
		       missing);
		return -ENODEV;
	}
	if (VMXB_VMCS_SIZE(c->basic) > PAGE_SIZE) {
		pr_err("refusing to load: VMCS size %llu exceeds a page\n",
		       VMXB_VMCS_SIZE(c->basic));
		return -ENODEV;
	}
	if (c->pin & PIN_BASED_VMX_PREEMPTION_TIMER) {
		/* It counts TSC >> IA32_VMX_MISC[4:0] (SDM Vol. 3C 26.5.1). */
		rdmsrl(MSR_IA32_VMX_MISC, v);
		v = ((u64)tsc_khz * VMX_SLICE_MS) >> (v & 0x1f);
		c->preemption_slice = clamp_val(v, 1, U32_MAX);
	}
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, c->cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, c->cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, c->cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, c->cr4_fixed1);
	/* The same on every CPU: switched around the guest in vmx_vcpu_run. */
	rdmsrl(MSR_STAR, c->host_star);
	rdmsrl(MSR_LSTAR, c->host_lstar);
	rdmsrl(MSR_SYSCALL_MASK, c->host_sfmask);
	return plumb_fpu_probe();
}

static int vmx_vm_init(struct plumb_vm *vm)
{
	struct vmx_vm *vv = kzalloc(sizeof(*vv), GFP_KERNEL_ACCOUNT);

	if (!vv)
		return -ENOMEM;
	/* All bits set: every RDMSR and WRMSR exits (SDM Vol. 3C 25.6.9). */
	vv->msr_bitmap = (void *)__get_free_page(GFP_KERNEL_ACCOUNT);
	if (!vv->msr_bitmap) {
		kfree(vv);
		return -ENOMEM;
	}
	memset(vv->msr_bitmap, 0xff, PAGE_SIZE);
	vv->eptp = vm->mmu.root_pa | VMX_EPTP_PWL_4 | VMX_EPTP_MT_WB;
	vm->backend = vv;
	return 0;
}

static void vmx_vm_destroy(struct plumb_vm *vm)
{
	struct vmx_vm *vv = vm->backend;

	free_page((unsigned long)vv->msr_bitmap);
	kfree(vv);
	vm->backend = NULL;
}

static u16 vmx_alloc_vpid(void)
{
	unsigned long id;

	if (!vmx_conf.vpid)
		return 0;
	spin_lock(&vmx_vpid_lock);
	id = find_next_zero_bit(vmx_vpids, VMX_NR_VPIDS, 1);
	if (id < VMX_NR_VPIDS)
		__set_bit(id, vmx_vpids);
	else
		id = 0;		/* all taken: this vCPU runs without VPID */
	spin_unlock(&vmx_vpid_lock);
	return id;
}

static void vmx_free_vpid(u16 vpid)
{
	if (!vpid)
		return;
	spin_lock(&vmx_vpid_lock);
	__clear_bit(vpid, vmx_vpids);
	spin_unlock(&vmx_vpid_lock);
}

static void vmx_seg_set(struct vmx_seg *s, u16 sel, u64 base, u32 limit,
			u32 ar)
{
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->ar = ar;
}

/* The architectural reset state (SDM Vol. 3A 10.1.1, table 10-1). */
static void vmx_reset(struct plumb_vcpu *vcpu)
{
	struct vmx_guest *g = &to_vmx(vcpu)->g;
	int i;

	memset(g, 0, sizeof(*g));
	vmx_seg_set(&g->seg[VMX_CS], 0xf000, 0xffff0000, 0xffff, 0x9b);
	for (i = 0; i < VMX_NR_SEGS; i++)
		if (i != VMX_CS)
			vmx_seg_set(&g->seg[i], 0, 0, 0xffff, 0x93);
	vmx_seg_set(&g->seg[VMX_LDTR], 0, 0, 0xffff, 0x82);
	vmx_seg_set(&g->seg[VMX_TR], 0, 0, 0xffff, 0x8b);
	g->gdt_limit = 0xffff;
	g->idt_limit = 0xffff;
	g->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	g->rflags = X86_EFLAGS_FIXED;
	g->rip = 0xfff0;
	g->pat = 0x0007040600070406ULL;
	g->dr6 = DR6_RESERVED;
	g->dr7 = 0x400;
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	/* RDX holds the processor signature at reset. */
	vcpu->regs[PLUMB_RDX] = cpuid_eax(1);
	to_vmx(vcpu)->dirty = true;
}

static int vmx_vcpu_create(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx;
	int ret = -ENOMEM;

	vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	if (!vmx)
		return -ENOMEM;
	vmx->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vmx->vmcs)
		goto err_vmx;
	*(u32 *)vmx->vmcs = vmx_conf.revision;
	ret = plumb_fpu_alloc(vcpu);
	if (ret)
		goto err_vmcs;
	vmx->vcpu = vcpu;
	vmx->vpid = vmx_alloc_vpid();
	vmx->loaded_cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	vmx->cpu_ctls = vmx_conf.cpu;
	vcpu->backend = vmx;
	vmx_reset(vcpu);
	return 0;

err_vmcs:
	free_page((unsigned long)vmx->vmcs);
err_vmx:
	kfree(vmx);
	return ret;
}

static void vmx_vcpu_free(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!vmx)
		return;
	/* Not active on any CPU before its memory goes. */
	vmx_vmcs_clear(vmx);
	vmx_free_vpid(vmx->vpid);
	plumb_fpu_free(vcpu);
	free_page((unsigned long)vmx->vmcs);
	kfree(vmx);
	vcpu->backend = NULL;
}

static u64 vmx_get_rip(struct plumb_vcpu *vcpu)
{
	return to_vmx(vcpu)->g.rip;
}

static void vmx_set_rip(struct plumb_vcpu *vcpu, u64 rip)
{
	to_vmx(vcpu)->g.rip = rip;
}

static u64 vmx_get_rflags(struct plumb_vcpu *vcpu)
{
	return to_vmx(vcpu)->g.rflags;
}

static void vmx_set_rflags(struct plumb_vcpu *vcpu, u64 rflags)
{
	to_vmx(vcpu)->g.rflags = rflags;
}

/* SDM Vol. 3C 25.4.1: access rights are descriptor bits 47:40 and 55:52. */
static void seg_to_vmx(struct vmx_seg *v, const struct plumb_segment *s)
{
	v->selector = s->selector;
	v->base = s->base;
	v->limit = s->limit;
	if (s->unusable || !s->present)
		v->ar = VMX_AR_UNUSABLE;
	else
		v->ar = (s->type & 0xf) | (s->s & 1) << 4 |
			(s->dpl & 3) << 5 | 1 << 7 | (s->avl & 1) << 12 |
			(s->l & 1) << 13 | (s->db & 1) << 14 | (s->g & 1) << 15;
}

static void seg_from_vmx(struct plumb_segment *s, const struct vmx_seg *v)
{
	s->selector = v->selector;
	s->base = v->base;
	s->limit = v->limit;
	s->unusable = !!(v->ar & VMX_AR_UNUSABLE);
	s->type = v->ar & 0xf;
	s->s = (v->ar >> 4) & 1;
	s->dpl = (v->ar >> 5) & 3;
	s->present = s->unusable ? 0 : (v->ar >> 7) & 1;
	s->avl = (v->ar >> 12) & 1;
	s->l = (v->ar >> 13) & 1;
	s->db = (v->ar >> 14) & 1;
	s->g = (v->ar >> 15) & 1;
}

static void vmx_get_sregs(struct plumb_vcpu *vcpu, struct plumb_sregs *s)
{
	struct vmx_guest *g = &to_vmx(vcpu)->g;

	seg_from_vmx(&s->cs, &g->seg[VMX_CS]);
	seg_from_vmx(&s->ds, &g->seg[VMX_DS]);
	seg_from_vmx(&s->es, &g->seg[VMX_ES]);
	seg_from_vmx(&s->fs, &g->seg[VMX_FS]);
	seg_from_vmx(&s->gs, &g->seg[VMX_GS]);
	seg_from_vmx(&s->ss, &g->seg[VMX_SS]);
	seg_from_vmx(&s->tr, &g->seg[VMX_TR]);
	seg_from_vmx(&s->ldt, &g->seg[VMX_LDTR]);
	s->gdt.base = g->gdt_base;
	s->gdt.limit = g->gdt_limit;
	s->idt.base = g->idt_base;
	s->idt.limit = g->idt_limit;
	s->cr0 = g->cr0;
	s->cr2 = g->cr2;
	s->cr3 = g->cr3;
	s->cr4 = g->cr4;
	s->cr8 = plumb_lapic_get_cr8(vcpu);
	s->efer = g->efer;
	s->apic_base = plumb_lapic_get_base(vcpu);
}

static int vmx_set_sregs(struct plumb_vcpu *vcpu, const struct plumb_sregs *s)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_guest *g = &vmx->g;

	/* What VM entry would refuse anyway (SDM Vol. 3C 27.3.1), said early. */
	if ((s->cr0 >> 32) || (s->cr4 >> 32) || s->cr8 > 15 ||
	    (s->cr4 & (X86_CR4_VMXE | X86_CR4_SMXE)) ||
	    (s->efer & ~(u64)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)) ||
	    ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG) &&
	     !(s->cr4 & X86_CR4_PAE)) ||
	    (s->gdt.padding[0] | s->gdt.padding[1] | s->gdt.padding[2] |
	     s->idt.padding[0] | s->idt.padding[1] | s->idt.padding[2]))
		return -EINVAL;
	if (plumb_msr_set_apic_base_host(vcpu, s->apic_base))
		return -EINVAL;

	seg_to_vmx(&g->seg[VMX_CS], &s->cs);
	seg_to_vmx(&g->seg[VMX_DS], &s->ds);
	seg_to_vmx(&g->seg[VMX_ES], &s->es);
	seg_to_vmx(&g->seg[VMX_FS], &s->fs);
	seg_to_vmx(&g->seg[VMX_GS], &s->gs);
	seg_to_vmx(&g->seg[VMX_SS], &s->ss);
	seg_to_vmx(&g->seg[VMX_TR], &s->tr);
	seg_to_vmx(&g->seg[VMX_LDTR], &s->ldt);
	g->gdt_base = s->gdt.base;
	g->gdt_limit = s->gdt.limit;
	g->idt_base = s->idt.base;
	g->idt_limit = s->idt.limit;
	g->cr0 = s->cr0;
	g->cr2 = s->cr2;
	g->cr3 = s->cr3;
	g->cr4 = s->cr4;
	plumb_lapic_set_cr8(vcpu, s->cr8);
	g->efer = s->efer;
	vmx->dirty = true;
	/* PAE paging takes its PDPTEs from the VMCS at entry (27.3.2.4). */
	return vmx_load_pdptrs(vcpu) ? -EINVAL : 0;
}

/* The guest-state MSRs in the cached guest state. */
static void vmx_msr_state(struct vmx_guest *g, struct plumb_msr_state *m)
{
	*m = (struct plumb_msr_state) {
		.star = &g->star, .lstar = &g->lstar, .cstar = &g->cstar,
		.sfmask = &g->sfmask, .kernel_gs_base = &g->kernel_gs_base,
		.fs_base = &g->seg[VMX_FS].base,
		.gs_base = &g->seg[VMX_GS].base,
		.sysenter_cs = &g->sysenter_cs,
		.sysenter_esp = &g->sysenter_esp,
		.sysenter_eip = &g->sysenter_eip,
		.pat = &g->pat,
	};
}

static int vmx_get_msr(struct plumb_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmx_guest *g = &to_vmx(vcpu)->g;
	struct plumb_msr_state m;

	switch (index) {
	case MSR_EFER:
		*data = g->efer;
		return 0;
	case MSR_IA32_TSC:
		*data = rdtsc() + g->tsc_offset;
		return 0;
	case MSR_IA32_TSC_ADJUST:
		if (!PLUMB_GUEST_TSC_ADJUST(vcpu))
			return -EINVAL;
		*data = vcpu->msrs.tsc_adjust;
		return 0;
	default:
		vmx_msr_state(g, &m);
		return plumb_msr_get_state(vcpu, &m, index, data);
	}
}

static int vmx_set_msr(struct plumb_vcpu *vcpu, u32 index, u64 data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_guest *g = &vmx->g;
	struct plumb_msr_state m;

	switch (index) {
	case MSR_EFER:
		if (data & ~(u64)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX))
			return -EINVAL;
		/* LME may not change under paging; LMA is the CPU's. */
		if ((g->cr0 & X86_CR0_PG) && ((data ^ g->efer) & EFER_LME))
			return -EINVAL;
		g->efer = (data & ~EFER_LMA) | (g->efer & EFER_LMA);
		break;
	case MSR_IA32_TSC: {
		u64 now = rdtsc();

		/* A TSC write moves IA32_TSC_ADJUST by as much (18.17.3). */
		vcpu->msrs.tsc_adjust += data - (now + g->tsc_offset);
		g->tsc_offset = data - now;
		break;
	}
	case MSR_IA32_TSC_ADJUST:
		if (!PLUMB_GUEST_TSC_ADJUST(vcpu))
			return -EINVAL;
		g->tsc_offset += data - vcpu->msrs.tsc_adjust;
		vcpu->msrs.tsc_adjust = data;
		break;
	default: {
		int ret;

		vmx_msr_state(g, &m);
		ret = plumb_msr_set_state(vcpu, &m, index, data);
		if (ret)
			return ret;	/* -EINVAL: #GP; -ENOENT */
		break;
	}
	}
	/* Some of them live in the VMCS: write the state back. */
	vmx->dirty = true;
	return 0;
}

/*
 * MSRs VMX does not switch (SDM Vol. 3C 27.3, 28.5): the SYSCALL MSRs and
 * KERNEL_GS_BASE (SWAPGS in the guest exchanges it), loaded around each
 * entry. The host's KERNEL_GS_BASE is the task's user GS base.
 */
struct vmx_host_msrs {
	u64 kernel_gs_base;
};

static void vmx_load_guest_msrs(struct vmx_guest *g, struct vmx_host_msrs *h)
{
	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, g->kernel_gs_base);
	if (g->star != vmx_conf.host_star)
		wrmsrl(MSR_STAR, g->star);
	if (g->lstar != vmx_conf.host_lstar)
		wrmsrl(MSR_LSTAR, g->lstar);
	if (g->sfmask != vmx_conf.host_sfmask)
		wrmsrl(MSR_SYSCALL_MASK, g->sfmask);
}

/* The guest's KERNEL_GS_BASE was read right after the exit. */
static void vmx_load_host_msrs(struct vmx_guest *g, struct vmx_host_msrs *h)
{
	wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	if (g->star != vmx_conf.host_star)
		wrmsrl(MSR_STAR, vmx_conf.host_star);
	if (g->lstar != vmx_conf.host_lstar)
		wrmsrl(MSR_LSTAR, vmx_conf.host_lstar);
	if (g->sfmask != vmx_conf.host_sfmask)
		wrmsrl(MSR_SYSCALL_MASK, vmx_conf.host_sfmask);
}

static int vmx_vcpu_run(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_host_msrs hmsr;
	u16 ds, es, fs, gs, ldt;
	u64 fs_base, debugctl, host_aux, spec_ctrl = 0, t0;
	struct desc_ptr gdt;
	u32 insn_error = 0, flags;
	int cpu, gen, ret;
	bool dr_loaded;

	preempt_disable();
	if (!plumb_hw_enabled_here()) {
		/* This CPU is going offline: let the scheduler move us. */
		preempt_enable();
		schedule_timeout_uninterruptible(1);
		return 1;
	}
	cpu = smp_processor_id();
	vmx_vmcs_load(vmx, cpu);

	/* Guest FPU state goes in the registers; the host's is saved. */
	kernel_fpu_begin();
	local_irq_disable();

	/* Pairs with plumb_vm_flush_tlbs(): flush or be interrupted. */
	WRITE_ONCE(vcpu->cpu, cpu);
	smp_store_mb(vcpu->mode, PLUMB_IN_GUEST);
	/* An interrupt arrived since plumb_lapic_inject(): look again. */
	if (test_bit(PLUMB_REQ_EVENT, &vcpu->requests)) {
		WRITE_ONCE(vcpu->mode, PLUMB_OUTSIDE_GUEST);
		local_irq_enable();
		kernel_fpu_end();
		preempt_enable();
		return 1;
	}
	gen = atomic_read(&vcpu->vm->tlb_gen);
	if (gen != vcpu->tlb_gen || vmx->need_flush) {
		vcpu->tlb_gen = gen;
		vmx->need_flush = false;
		vmx_flush(vmx);
	}
	vmx_write_guest(vmx);
	vmx_write_host_per_entry(vmx);

	/* What VM exit does not restore (SDM Vol. 3C 28.5): saved here. */
	savesegment(ds, ds);
	savesegment(es, es);
	savesegment(fs, fs);
	savesegment(gs, gs);
	asm volatile("sldt %0" : "=g" (ldt));
	native_store_gdt(&gdt);
	debugctl = get_debugctlmsr();
	if (fs)
		rdmsrl(MSR_FS_BASE, fs_base);

	if (plumb_fpu_load_guest(vcpu)) {
		WRITE_ONCE(vcpu->mode, PLUMB_OUTSIDE_GUEST);
		local_irq_enable();
		kernel_fpu_end();
		preempt_enable();
		return -EIO;
	}
	vmx_load_guest_msrs(&vmx->g, &hmsr);
	/* RDTSCP and RDPID read TSC_AUX without an exit: the guest's. */
	host_aux = (cpu_to_node(cpu) << 12) | cpu;	/* the kernel's value */
	if (!boot_cpu_has(X86_FEATURE_RDTSCP) && !boot_cpu_has(X86_FEATURE_RDPID))
		host_aux = vcpu->msrs.tsc_aux;		/* no such MSR */
	if (vcpu->msrs.tsc_aux != host_aux)
		wrmsrl(MSR_TSC_AUX, vcpu->msrs.tsc_aux);
	if (native_read_cr2() != vmx->g.cr2)
		native_write_cr2(vmx->g.cr2);

	/* Guest mode is a quiescent state for RCU (see svm_vcpu_run). */
	rcu_note_context_switch(false);
	dr_loaded = vmx->g.dr7 & PLUMB_DR7_ENABLES;
	if (dr_loaded)
		plumb_dr_load_guest(vmx->g.dr);
	/* Last before the switch: IBPB, L1D flush (spec_host.c). */
	flags = plumb_spec_before_entry(vcpu->vm, &spec_ctrl);
	if (vmx->launched)
		flags |= PLUMB_ENTER_RESUME;
	t0 = rdtsc();
	ret = plumb_vmx_enter(vcpu->regs, flags, spec_ctrl);
	vcpu->stats.guest_tsc += rdtsc() - t0;
	plumb_spec_after_exit();

	vmx->g.cr2 = native_read_cr2();
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->g.kernel_gs_base);

	/*
	 * Exit left the GDT limit at 0xffff (a user's LAR/LSL could then make
	 * the CPU read past the GDT page), DS/ES/FS/GS null, LDTR unusable and
	 * TR's limit at 0x67 (SDM Vol. 3C 28.5.2).
	 */
	native_load_gdt(&gdt);
	if (ds)
		loadsegment(ds, ds);
	if (es)
		loadsegment(es, es);
	if (fs)
		loadsegment(fs, fs);
	if (gs)
		load_gs_index(gs);
	if (ldt)
		asm volatile("lldt %0" : : "r" (ldt));
	invalidate_tss_limit();
	/* After the selectors: loading one replaces the base MSRs. */
	if (fs)
		wrmsrl(MSR_FS_BASE, fs_base);
	vmx_load_host_msrs(&vmx->g, &hmsr);
	if (vcpu->msrs.tsc_aux != host_aux)
		wrmsrl(MSR_TSC_AUX, host_aux);
	plumb_fpu_save_guest(vcpu);
	if (debugctl)
		update_debugctlmsr(debugctl);

	if (!ret) {
		vmx->launched = true;
		vmx_read_guest(vmx);
		/* An NMI that exited the guest is the host's: deliver it. */
		if ((vmx->exit.reason & 0xffff) == EXIT_REASON_EXCEPTION_NMI &&
		    (vmx->exit.intr_info & (INTR_INFO_VALID |
					    INTR_INFO_TYPE_MASK)) ==
		    (INTR_INFO_VALID | INTR_TYPE_NMI))
			asm volatile("int $2");
	} else {
		insn_error = vmx_insn_error();
	}
	if ((!ret && (vmx->exit.reason & EXIT_REASON_FAILED_VMENTRY)) || ret)
		vmx->relaunch = true;
	WRITE_ONCE(vcpu->mode, PLUMB_OUTSIDE_GUEST);

	/* VM exit leaves DR7 at 0x400: host breakpoints back. */
	plumb_dr_restore_host(dr_loaded);
	local_irq_enable();
	kernel_fpu_end();
	preempt_enable();

	vcpu->stats.exits++;
	return vmx_handle_exit(vcpu, ret, insn_error);
}

/* INIT (SDM Vol. 3A 9.1.1): the reset state, nothing being injected. */
static void vmx_vcpu_reset(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx_reset(vcpu);
	vmx->inject_info = 0;
	vmx->cpu_ctls &= ~(CPU_BASED_INTR_WINDOW_EXITING |
			   CPU_BASED_NMI_WINDOW_EXITING);
	vmx->g.interruptibility = 0;
	vmx->dirty = true;
}

static bool vmx_interrupt_allowed(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	return (vmx->g.rflags & X86_EFLAGS_IF) &&
	       !(vmx->g.interruptibility &
		 (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)) &&
	       !(vmx->inject_info & INTR_INFO_VALID);
}

/* SDM Vol. 3C 26.7.5: an exit as soon as the guest can take one. */
static void vmx_enable_irq_window(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!(vmx->inject_info & INTR_INFO_VALID))
		vmx->cpu_ctls |= CPU_BASED_INTR_WINDOW_EXITING;
}

static void vmx_inject_interrupt(struct plumb_vcpu *vcpu, u8 vector)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->inject_info = vector | INTR_TYPE_EXT_INTR | INTR_INFO_VALID;
	vmx->inject_len = 0;
}

/*
 * NMIs: with virtual NMIs (SDM Vol. 3C 25.3, 26.7.1) the guest's
 * interruptibility state says whether it is blocking them: an injected NMI
 * sets it, its IRET clears it. Without them IRET would not unblock (NMI
 * exiting is on), so the bit is not trusted. One that must wait goes in at
 * a later exit (the preemption timer bounds the wait).
 */
static bool vmx_nmi_allowed(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	u32 block = GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS;

	if (vmx_conf.pin & PIN_BASED_VIRTUAL_NMIS)
		block |= GUEST_INTR_STATE_NMI;
	return !(vmx->g.interruptibility & block) &&
	       !(vmx->inject_info & INTR_INFO_VALID);
}

/* An exit as soon as the guest stops blocking NMIs (26.7.6). */
static void vmx_enable_nmi_window(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (vmx_conf.nmi_window && !(vmx->inject_info & INTR_INFO_VALID))
		vmx->cpu_ctls |= CPU_BASED_NMI_WINDOW_EXITING;
}

static void vmx_inject_nmi(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->inject_info = 2 | INTR_TYPE_NMI | INTR_INFO_VALID;
	vmx->inject_len = 0;
}

/*
 * The event for the next entry and the guest's interruptibility state
 * (SDM Vol. 3C 25.4.2). NMI blocking is the guest's own only with
 * virtual NMIs; without them it is always reported clear.
 */
static void vmx_get_events(struct plumb_vcpu *vcpu, struct plumb_events *ev)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 intr = vmx->g.interruptibility;

	ev->inject = (vmx->inject_info & INTR_INFO_VALID) ? vmx->inject_info : 0;
	ev->error_code = ev->inject ? vmx->inject_err : 0;
	ev->shadow = ((intr & GUEST_INTR_STATE_STI) ? PLUMB_SHADOW_STI : 0) |
		     ((intr & GUEST_INTR_STATE_MOV_SS) ? PLUMB_SHADOW_MOV_SS : 0);
	ev->nmi_masked = (vmx_conf.pin & PIN_BASED_VIRTUAL_NMIS) &&
			 (intr & GUEST_INTR_STATE_NMI);
}

/* At most one shadow bit: MOV SS wins, as in KVM (STI with it fails entry). */
static void vmx_set_events(struct plumb_vcpu *vcpu,
			   const struct plumb_events *ev)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 intr = vmx->g.interruptibility & ~(GUEST_INTR_STATE_STI |
					       GUEST_INTR_STATE_MOV_SS |
					       GUEST_INTR_STATE_NMI);

	vmx->inject_info = ev->inject;
	vmx->inject_err = ev->error_code;
	vmx->inject_len = 0;
	if (ev->shadow & PLUMB_SHADOW_MOV_SS)
		intr |= GUEST_INTR_STATE_MOV_SS;
	else if (ev->shadow & PLUMB_SHADOW_STI)
		intr |= GUEST_INTR_STATE_STI;
	/* An NMI to inject must find NMIs unblocked (26.3.1.5); it blocks. */
	if (ev->nmi_masked && (vmx_conf.pin & PIN_BASED_VIRTUAL_NMIS) &&
	    (ev->inject & INTR_INFO_TYPE_MASK) != INTR_TYPE_NMI)
		intr |= GUEST_INTR_STATE_NMI;
	vmx->g.interruptibility = intr;
}

/* The cache's copies; GUEST_DR7 is written again at the next entry. */
static void vmx_get_dr(struct plumb_vcpu *vcpu, struct plumb_dr *d)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	d->db = vmx->g.dr;
	d->dr6 = &vmx->g.dr6;
	d->dr7 = &vmx->g.dr7;
	vmx->dirty = true;
}

static u64 vmx_tsc_offset(struct plumb_vcpu *vcpu)
{
	return to_vmx(vcpu)->g.tsc_offset;
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
	.hardware_enable	= vmx_cpu_enable,
	.hardware_disable	= vmx_cpu_disable,
	.vm_init		= vmx_vm_init,
	.vm_destroy		= vmx_vm_destroy,
	.vcpu_create		= vmx_vcpu_create,
	.vcpu_free		= vmx_vcpu_free,
	.vcpu_run		= vmx_vcpu_run,
	.skip_instruction	= vmx_skip_instruction,
	.inject_exception	= vmx_inject_exception,
	.get_rip		= vmx_get_rip,
	.set_rip		= vmx_set_rip,
	.get_rflags		= vmx_get_rflags,
	.set_rflags		= vmx_set_rflags,
	.get_sregs		= vmx_get_sregs,
	.set_sregs		= vmx_set_sregs,
	.get_msr		= vmx_get_msr,
	.set_msr		= vmx_set_msr,
	.npt_table		= vmx_ept_table,
	.npt_leaf		= vmx_ept_leaf,
	.npt_levels		= vmx_ept_levels,
	.interrupt_allowed	= vmx_interrupt_allowed,
	.enable_irq_window	= vmx_enable_irq_window,
	.inject_interrupt	= vmx_inject_interrupt,
	.nmi_allowed		= vmx_nmi_allowed,
	.inject_nmi		= vmx_inject_nmi,
	.enable_nmi_window	= vmx_enable_nmi_window,
	.tsc_offset		= vmx_tsc_offset,
	.vcpu_reset		= vmx_vcpu_reset,
	.get_events		= vmx_get_events,
	.set_events		= vmx_set_events,
	.get_dr			= vmx_get_dr,
};
