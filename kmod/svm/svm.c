// SPDX-License-Identifier: GPL-2.0
/*
 * AMD-V (SVM) backend: detection, per-CPU enable, VM and vCPU setup,
 * register state and the run path. Exit handlers live in exit.c, the world
 * switch in vmenter.S.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/trapnr.h>

#include "../backend.h"
#include "../cpuid.h"
#include "../dr.h"
#include "../fpu.h"
#include "../hw.h"
#include "../lapic.h"
#include "../msr.h"
#include "../spec_host.h"
#include "../vcpu.h"
#include "../vm.h"
#include "svm.h"

struct svm_caps svm_caps;

/* Per-CPU SVM state, valid while plumb_hw_enabled_here(). */
struct svm_cpu {
	struct page *hsave;		/* VM_HSAVE_PA: VMRUN's host area */
	struct page *host_save;		/* our VMSAVE of the host's state */
	u32 next_asid;
	u64 asid_gen;
	bool flush_all;			/* new generation: flush at next VMRUN */
	u64 host_tsc_aux;		/* the kernel's (CPU and node number) */
};
static DEFINE_PER_CPU(struct svm_cpu, svm_cpu);
static bool has_tsc_aux;	/* RDTSCP or RDPID: the guest reads TSC_AUX */


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
	has_tsc_aux = boot_cpu_has(X86_FEATURE_RDTSCP) ||
		      boot_cpu_has(X86_FEATURE_RDPID);
	return plumb_fpu_probe();
}

/* Runs on each CPU (CPU hotplug callback) when the first VM appears. */
static int svm_hardware_enable(void)
{
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpu);
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_err("SVM is already in use on CPU %d by another hypervisor (likely kvm_amd or VirtualBox): stop its VMs and unload it (rmmod kvm_amd), or boot with kvm.enable_virt_at_load=0 on Linux 6.12+\n",
		       smp_processor_id());
		return -EBUSY;
	}
	sd->hsave = alloc_page(GFP_KERNEL | __GFP_ZERO);
	sd->host_save = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!sd->hsave || !sd->host_save) {
		if (sd->hsave)
			__free_page(sd->hsave);
		if (sd->host_save)
			__free_page(sd->host_save);
		sd->hsave = sd->host_save = NULL;
		return -ENOMEM;
	}
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(sd->hsave));
	if (has_tsc_aux)
		rdmsrl(MSR_TSC_AUX, sd->host_tsc_aux);
	/* New ASID generation: nothing cached for guests on this CPU counts. */
	sd->asid_gen++;
	sd->next_asid = svm_caps.nr_asids;
	return 0;
}

static void svm_hardware_disable(void)
{
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpu);
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	__free_page(sd->hsave);
	__free_page(sd->host_save);
	sd->hsave = sd->host_save = NULL;
}

static int svm_vm_init(struct plumb_vm *vm)
{
	struct svm_vm *s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);

	if (!s)
		return -ENOMEM;
	/* Intercept every port and every MSR (all bits set). */
	s->iopm = alloc_pages_exact(IOPM_SIZE, GFP_KERNEL_ACCOUNT);
	s->msrpm = alloc_pages_exact(MSRPM_SIZE, GFP_KERNEL_ACCOUNT);
	if (!s->iopm || !s->msrpm) {
		if (s->iopm)
			free_pages_exact(s->iopm, IOPM_SIZE);
		if (s->msrpm)
			free_pages_exact(s->msrpm, MSRPM_SIZE);
		kfree(s);
		return -ENOMEM;
	}
	memset(s->iopm, 0xff, IOPM_SIZE);
	memset(s->msrpm, 0xff, MSRPM_SIZE);
	vm->backend = s;
	return 0;
}

static void svm_vm_destroy(struct plumb_vm *vm)
{
	struct svm_vm *s = vm->backend;

	free_pages_exact(s->iopm, IOPM_SIZE);
	free_pages_exact(s->msrpm, MSRPM_SIZE);
	kfree(s);
	vm->backend = NULL;
}

/* APM Vol. 2 B, segment attributes: type:4 s:1 dpl:2 p:1 avl:1 l:1 db:1 g:1 */
static void seg_to_vmcb(struct vmcb_seg *v, const struct plumb_segment *s)
{
	v->selector = s->selector;
	v->base = s->base;
	v->limit = s->limit;
	v->attrib = s->unusable ? 0 :
		    (s->type & 0xf) | (s->s & 1) << 4 | (s->dpl & 3) << 5 |
		    (s->present & 1) << 7 | (s->avl & 1) << 8 |
		    (s->l & 1) << 9 | (s->db & 1) << 10 | (s->g & 1) << 11;
}

static void seg_from_vmcb(struct plumb_segment *s, const struct vmcb_seg *v)
{
	s->selector = v->selector;
	s->base = v->base;
	s->limit = v->limit;
	s->type = v->attrib & 0xf;
	s->s = (v->attrib >> 4) & 1;
	s->dpl = (v->attrib >> 5) & 3;
	s->present = (v->attrib >> 7) & 1;
	s->avl = (v->attrib >> 8) & 1;
	s->l = (v->attrib >> 9) & 1;
	s->db = (v->attrib >> 10) & 1;
	s->g = (v->attrib >> 11) & 1;
	s->unusable = !s->present;
}

static void vmcb_seg_set(struct vmcb_seg *v, u16 sel, u64 base, u32 limit,
			 u16 attrib)
{
	v->selector = sel;
	v->base = base;
	v->limit = limit;
	v->attrib = attrib;
}

/*
 * CR0.CD and CR0.NW are kept clear in the hardware CR0, as KVM does by
 * default: guests run cached (they read CR0 directly and see them clear).
 */
#define SVM_CR0_HIDDEN	(X86_CR0_CD | X86_CR0_NW)

/* The architectural reset state (APM Vol. 2 14.1.3; SDM Vol. 3A 10.1.1). */
static void svm_reset(struct plumb_vcpu *vcpu)
{
	struct vmcb_save *save = &to_svm(vcpu)->vmcb->save;

	vmcb_seg_set(&save->cs, 0xf000, 0xffff0000, 0xffff, 0x9b);
	vmcb_seg_set(&save->ds, 0, 0, 0xffff, 0x93);
	save->es = save->ss = save->fs = save->gs = save->ds;
	vmcb_seg_set(&save->gdtr, 0, 0, 0xffff, 0);
	save->idtr = save->gdtr;
	vmcb_seg_set(&save->ldtr, 0, 0, 0xffff, 0x82);
	vmcb_seg_set(&save->tr, 0, 0, 0xffff, 0x8b);
	save->cr0 = (X86_CR0_ET | X86_CR0_CD | X86_CR0_NW) & ~SVM_CR0_HIDDEN;
	save->cr3 = 0;
	save->cr4 = 0;
	save->efer = EFER_SVME;		/* required by VMRUN, hidden from the guest */
	save->rflags = X86_EFLAGS_FIXED;
	save->rip = 0xfff0;
	save->dr6 = DR6_RESERVED;
	save->dr7 = 0x400;		/* reset value, bit 10 reads as 1 */
	memset(to_svm(vcpu)->db, 0, sizeof(to_svm(vcpu)->db));
	save->g_pat = 0x0007040600070406ULL;
	save->cpl = 0;
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	/* RDX holds the processor signature at reset. */
	vcpu->regs[PLUMB_RDX] = cpuid_eax(1);
}

static int svm_vcpu_create(struct plumb_vcpu *vcpu)
{
	struct svm_vm *svm_vm = vcpu->vm->backend;
	struct vmcb_control *c;
	struct svm_vcpu *svm;
	struct page *page;

	svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		goto err_svm;
	svm->vmcb = page_address(page);
	if (plumb_fpu_alloc(vcpu))
		goto err_vmcb;
	svm->asid_cpu = -1;
	vcpu->backend = svm;

	c = &svm->vmcb->control;
	c->intercept_misc1 = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_SMI |
			     INTERCEPT_INIT | INTERCEPT_CPUID | INTERCEPT_INVD |
			     INTERCEPT_RDPMC |
			     INTERCEPT_HLT | INTERCEPT_INVLPGA |
			     INTERCEPT_IOIO_PROT | INTERCEPT_MSR_PROT |
			     INTERCEPT_SHUTDOWN;
	c->intercept_misc2 = INTERCEPT_VMRUN | INTERCEPT_VMMCALL |
			     INTERCEPT_VMLOAD | INTERCEPT_VMSAVE |
			     INTERCEPT_STGI | INTERCEPT_CLGI | INTERCEPT_SKINIT |
			     INTERCEPT_WBINVD | INTERCEPT_MONITOR |
			     INTERCEPT_MWAIT | INTERCEPT_XSETBV;
	/* CR4 bits depend on the guest's CPUID: checked in exit.c. */
	c->intercept_cr = INTERCEPT_CR4_WRITE;
	/* The guest's debug registers are the vCPU's, not the host's. */
	c->intercept_dr = INTERCEPT_DR_ALL;
	/*
	 * A #AC or #DB whose delivery raises the same exception again loops
	 * in the CPU, where no host interrupt gets in (CVE-2015-5307,
	 * CVE-2015-8104): intercepted, each one exits (exit.c).
	 */
	c->intercept_exceptions = BIT(X86_TRAP_AC) | BIT(X86_TRAP_DB);
	c->iopm_base_pa = virt_to_phys(svm_vm->iopm);
	c->msrpm_base_pa = virt_to_phys(svm_vm->msrpm);
	c->int_ctl = V_INTR_MASKING;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = vcpu->vm->mmu.root_pa;
	svm_reset(vcpu);
	return 0;

err_vmcb:
	__free_page(page);
err_svm:
	kfree(svm);
	return -ENOMEM;
}

static void svm_vcpu_free(struct plumb_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (!svm)
		return;
	plumb_fpu_free(vcpu);
	free_page((unsigned long)svm->vmcb);
	kfree(svm);
	vcpu->backend = NULL;
}

static u64 svm_get_rip(struct plumb_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->save.rip;
}

static void svm_set_rip(struct plumb_vcpu *vcpu, u64 rip)
{
	to_svm(vcpu)->vmcb->save.rip = rip;
}

static u64 svm_get_rflags(struct plumb_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->save.rflags;
}

static void svm_set_rflags(struct plumb_vcpu *vcpu, u64 rflags)
{
	to_svm(vcpu)->vmcb->save.rflags = rflags;
}

static void svm_get_sregs(struct plumb_vcpu *vcpu, struct plumb_sregs *s)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_save *save = &vmcb->save;

	seg_from_vmcb(&s->cs, &save->cs);
	seg_from_vmcb(&s->ds, &save->ds);
	seg_from_vmcb(&s->es, &save->es);
	seg_from_vmcb(&s->fs, &save->fs);
	seg_from_vmcb(&s->gs, &save->gs);
	seg_from_vmcb(&s->ss, &save->ss);
	seg_from_vmcb(&s->tr, &save->tr);
	seg_from_vmcb(&s->ldt, &save->ldtr);
	s->gdt.base = save->gdtr.base;
	s->gdt.limit = save->gdtr.limit;
	s->idt.base = save->idtr.base;
	s->idt.limit = save->idtr.limit;
	s->cr0 = save->cr0;
	s->cr2 = save->cr2;
	s->cr3 = save->cr3;
	s->cr4 = save->cr4;
	s->cr8 = plumb_lapic_get_cr8(vcpu);
	s->efer = save->efer & ~EFER_SVME;
	s->apic_base = plumb_lapic_get_base(vcpu);
}

static int svm_set_sregs(struct plumb_vcpu *vcpu, const struct plumb_sregs *s)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_save *save = &vmcb->save;

	/* What VMRUN would refuse anyway (APM Vol. 2 15.5.1), said early. */
	if ((s->cr0 >> 32) || (s->cr4 >> 32) || s->cr8 > 15 ||
	    (s->efer & ~(u64)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX |
			      EFER_FFXSR)) ||
	    ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG) &&
	     !(s->cr4 & X86_CR4_PAE)) ||
	    (s->gdt.padding[0] | s->gdt.padding[1] | s->gdt.padding[2] |
	     s->idt.padding[0] | s->idt.padding[1] | s->idt.padding[2]))
		return -EINVAL;
	if (plumb_msr_set_apic_base_host(vcpu, s->apic_base))
		return -EINVAL;

	seg_to_vmcb(&save->cs, &s->cs);
	seg_to_vmcb(&save->ds, &s->ds);
	seg_to_vmcb(&save->es, &s->es);
	seg_to_vmcb(&save->fs, &s->fs);
	seg_to_vmcb(&save->gs, &s->gs);
	seg_to_vmcb(&save->ss, &s->ss);
	seg_to_vmcb(&save->tr, &s->tr);
	seg_to_vmcb(&save->ldtr, &s->ldt);
	save->gdtr.base = s->gdt.base;
	save->gdtr.limit = s->gdt.limit;
	save->idtr.base = s->idt.base;
	save->idtr.limit = s->idt.limit;
	save->cr0 = s->cr0 & ~SVM_CR0_HIDDEN;
	save->cr2 = s->cr2;
	save->cr3 = s->cr3;
	save->cr4 = s->cr4;
	plumb_lapic_set_cr8(vcpu, s->cr8);
	save->efer = s->efer | EFER_SVME;
	/* CPL is SS.DPL in protected mode, 0 in real mode (APM 15.5.1). */
	save->cpl = (s->cr0 & X86_CR0_PE) ? s->ss.dpl & 3 : 0;
	return 0;
}

/* The guest-state MSRs in the VMCB's save area. */
static void svm_msr_state(struct vmcb_save *save, struct plumb_msr_state *m)
{
	*m = (struct plumb_msr_state) {
		.star = &save->star, .lstar = &save->lstar,
		.cstar = &save->cstar, .sfmask = &save->sfmask,
		.kernel_gs_base = &save->kernel_gs_base,
		.fs_base = &save->fs.base, .gs_base = &save->gs.base,
		.sysenter_cs = &save->sysenter_cs,
		.sysenter_esp = &save->sysenter_esp,
		.sysenter_eip = &save->sysenter_eip,
		.pat = &save->g_pat,
	};
}

static int svm_get_msr(struct plumb_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmcb_save *save = &to_svm(vcpu)->vmcb->save;
	struct plumb_msr_state m;

	switch (index) {
	case MSR_EFER:
		*data = save->efer & ~EFER_SVME;
		return 0;
	case MSR_IA32_TSC:
		*data = rdtsc() + to_svm(vcpu)->vmcb->control.tsc_offset;
		return 0;
	case MSR_IA32_TSC_ADJUST:
		if (!PLUMB_GUEST_TSC_ADJUST(vcpu))
			return -EINVAL;
		*data = vcpu->msrs.tsc_adjust;
		return 0;
	default:
		svm_msr_state(save, &m);
		return plumb_msr_get_state(vcpu, &m, index, data);
	}
}

static int svm_set_msr(struct plumb_vcpu *vcpu, u32 index, u64 data)
{
	struct vmcb_save *save = &to_svm(vcpu)->vmcb->save;
	struct plumb_msr_state m;

	switch (index) {
	case MSR_EFER:
		if (data & ~(u64)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX |
				  EFER_FFXSR))
			return -EINVAL;
		/* LMA is the CPU's to set when paging turns on. */
		save->efer = (data & ~EFER_LMA) | (save->efer & EFER_LMA) |
			     EFER_SVME;
		return 0;
	case MSR_IA32_TSC: {
		u64 *offset = &to_svm(vcpu)->vmcb->control.tsc_offset;
		u64 now = rdtsc();

		/* A TSC write moves IA32_TSC_ADJUST by as much (SDM 18.17.3). */
		vcpu->msrs.tsc_adjust += data - (now + *offset);
		*offset = data - now;
		return 0;
	}
	case MSR_IA32_TSC_ADJUST:
		if (!PLUMB_GUEST_TSC_ADJUST(vcpu))
			return -EINVAL;
		to_svm(vcpu)->vmcb->control.tsc_offset +=
			data - vcpu->msrs.tsc_adjust;
		vcpu->msrs.tsc_adjust = data;
		return 0;
	default:
		svm_msr_state(save, &m);
		return plumb_msr_set_state(vcpu, &m, index, data);
	}
}

/*
 * ASIDs: each CPU hands out its own, in generations (as KVM does). A vCPU
 * that moved to another CPU, or whose mappings were zapped, takes a fresh
 * one, which cannot have stale TLB entries; when a CPU runs out it starts a
 * new generation with a full flush. Flush-by-ASID is not needed for this.
 * The flush is owed by the CPU, not by the vCPU that ran out: it goes
 * into whichever VMCB next enters there, and is done only once a VMRUN
 * has taken it (security review F3: a vCPU that rolled over and then
 * left without entering took the request with it).
 */
static void svm_new_asid(struct svm_vcpu *svm, struct svm_cpu *sd)
{
	if (sd->next_asid >= svm_caps.nr_asids) {
		sd->asid_gen++;
		sd->next_asid = 1;
		sd->flush_all = true;
	}
	svm->vmcb->control.asid = sd->next_asid++;
	svm->asid_gen = sd->asid_gen;
	svm->asid_cpu = smp_processor_id();
}

static int svm_vcpu_run(struct plumb_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct svm_cpu *sd;
	bool dr_loaded, flush_all;
	u64 spec_ctrl = 0, t0;
	u32 flags;
	u8 cr8;
	int gen;

	/* Guest FPU state goes in the registers; the host's is saved. */
	kernel_fpu_begin();
	local_irq_disable();
	if (!plumb_hw_enabled_here()) {
		/* This CPU is going offline: let the scheduler move us. */
		local_irq_enable();
		kernel_fpu_end();
		schedule_timeout_uninterruptible(1);
		return 1;
	}
	sd = this_cpu_ptr(&svm_cpu);
	if (svm->asid_cpu != smp_processor_id() || svm->asid_gen != sd->asid_gen)
		svm_new_asid(svm, sd);

	/* Pairs with plumb_vm_flush_tlbs(): flush or be interrupted. */
	WRITE_ONCE(vcpu->cpu, smp_processor_id());
	smp_store_mb(vcpu->mode, PLUMB_IN_GUEST);
	gen = atomic_read(&vcpu->vm->tlb_gen);
	if (gen != vcpu->tlb_gen || svm->need_flush) {
		vcpu->tlb_gen = gen;
		svm->need_flush = false;
		svm_new_asid(svm, sd);
	}
	/* An interrupt arrived since plumb_lapic_inject(): look again. */
	if (test_bit(PLUMB_REQ_EVENT, &vcpu->requests)) {
		WRITE_ONCE(vcpu->mode, PLUMB_OUTSIDE_GUEST);
		local_irq_enable();
		kernel_fpu_end();
		return 1;
	}

	if (plumb_fpu_load_guest(vcpu)) {
		WRITE_ONCE(vcpu->mode, PLUMB_OUTSIDE_GUEST);
		local_irq_enable();
		kernel_fpu_end();
		return -EIO;
	}
	/*
	 * Guest mode is a quiescent state for RCU, as user mode is (KVM's
	 * guest_context_enter_irqoff): a vCPU that stays in the guest, with
	 * preemption off around each entry, would otherwise stall RCU.
	 */
	rcu_note_context_switch(false);

	/* CR8 is the APIC's TPR: V_TPR follows it in and out (no exit). */
	cr8 = plumb_lapic_get_cr8(vcpu);
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~0xfU) | cr8;

	/* RDTSCP and RDPID are not intercepted: they read the guest's value. */
	if (has_tsc_aux && vcpu->msrs.tsc_aux != sd->host_tsc_aux)
		wrmsrl(MSR_TSC_AUX, vcpu->msrs.tsc_aux);

	/* VMRUN loads the guest's DR6/DR7 from the VMCB, not its DR0-3. */
	dr_loaded = vmcb->save.dr7 & PLUMB_DR7_ENABLES;
	if (dr_loaded)
		plumb_dr_load_guest(svm->db);

	/* Irqs off since the ASID check: no other VMCB runs here before. */
	flush_all = sd->flush_all;
	vmcb->control.tlb_control = flush_all ? TLB_CONTROL_FLUSH_ALL :
						TLB_CONTROL_DO_NOTHING;

	/* Last before the switch: IBPB on a VM change (spec_host.c). */
	flags = plumb_spec_before_entry(vcpu->vm, &spec_ctrl);

	/*
	 * VMRUN takes RAX and RSP from the VMCB, the other GPRs from
	 * vmenter.S: the VMCB's copies follow vcpu->regs in and out, so
	 * that common code sees one register file (as Jailhouse's
	 * svm-vmexit.S does).
	 */
	vmcb->save.rax = vcpu->regs[PLUMB_RAX];
	vmcb->save.rsp = vcpu->regs[PLUMB_RSP];
	/* GIF=0 holds host interrupts until VMRUN, where they exit. */
	asm volatile("clgi" ::: "memory");
	local_irq_enable();
	t0 = rdtsc();
	plumb_svm_enter(virt_to_phys(vmcb), vcpu->regs,
			page_to_phys(sd->host_save), flags, spec_ctrl);
	vcpu->stats.guest_tsc += rdtsc() - t0;
	local_irq_disable();
	asm volatile("stgi" ::: "memory");
	vcpu->regs[PLUMB_RAX] = vmcb->save.rax;
	vcpu->regs[PLUMB_RSP] = vmcb->save.rsp;
	/* A VMRUN that refused the state flushed nothing. */
	if (flush_all && (u32)vmcb->control.exit_code != (u32)SVM_EXIT_INVALID)
		sd->flush_all = false;
	plumb_spec_after_exit();

	plumb_fpu_save_guest(vcpu);
	WRITE_ONCE(vcpu->mode, PLUMB_OUTSIDE_GUEST);

	if (has_tsc_aux && vcpu->msrs.tsc_aux != sd->host_tsc_aux)
		wrmsrl(MSR_TSC_AUX, sd->host_tsc_aux);

	/* The host's breakpoints back (kmod/dr.h). */
	plumb_dr_restore_host(dr_loaded);
	local_irq_enable();
	kernel_fpu_end();

	if ((vmcb->control.int_ctl & 0xf) != cr8)
		plumb_lapic_set_cr8(vcpu, vmcb->control.int_ctl & 0xf);
	vcpu->stats.exits++;
	return svm_handle_exit(vcpu);
}

static u64 svm_npt_table(phys_addr_t pa)
{
	return pa | _PAGE_PRESENT | _PAGE_RW | _PAGE_USER;
}

static u64 svm_npt_leaf(phys_addr_t pa, bool writable)
{
	return pa | _PAGE_PRESENT | _PAGE_USER | (writable ? _PAGE_RW : 0);
}

/* INIT: the reset state but for what INIT keeps (caches, MSRs we hold). */
static void svm_vcpu_reset(struct plumb_vcpu *vcpu)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	svm_reset(vcpu);
	c->event_inj = 0;
	c->int_ctl &= ~(V_IRQ | V_IGN_TPR | (0xfu << V_INTR_PRIO_SHIFT));
	c->intercept_misc1 &= ~INTERCEPT_VINTR;
	c->int_state = 0;
	c->intercept_misc1 &= ~INTERCEPT_IRET;
	to_svm(vcpu)->nmi_masked = false;
	to_svm(vcpu)->awaiting_iret = false;
	to_svm(vcpu)->nmi_singlestep = false;
}

static bool svm_interrupt_allowed(struct plumb_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	return (vmcb->save.rflags & X86_EFLAGS_IF) &&
	       !(vmcb->control.int_state & SVM_INTERRUPT_SHADOW) &&
	       !(vmcb->control.event_inj & SVM_EVTINJ_VALID);
}

/*
 * APM 15.21.4: a virtual interrupt request the guest takes as soon as it
 * can (V_IGN_TPR), intercepted (VINTR) so that we inject the real one.
 */
static void svm_enable_irq_window(struct plumb_vcpu *vcpu)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	if (c->event_inj & SVM_EVTINJ_VALID)
		return;		/* the exit after this injection comes anyway */
	c->int_ctl |= V_IRQ | V_IGN_TPR | (0xfu << V_INTR_PRIO_SHIFT);
	c->intercept_misc1 |= INTERCEPT_VINTR;
}

/*
 * NMIs (APM 15.20): blocked from injection until the guest's IRET, which
 * we intercept; the IRET intercept comes before the IRET completes, which
 * only opens the window one instruction early (as on a real NMI arriving
 * just then).
 */
static bool svm_nmi_allowed(struct plumb_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control *c = &svm->vmcb->control;

	return !svm->nmi_masked && !(c->int_state & SVM_INTERRUPT_SHADOW) &&
	       !(c->event_inj & SVM_EVTINJ_VALID);
}

/*
 * An NMI waits. Before the IRET of the NMI handler, its intercept brings us
 * back; after it (awaiting_iret), or behind an interrupt shadow, step the
 * guest over one instruction with TF, as KVM does: the #DB trap after it
 * exits. Behind an event we inject, the next exit will do.
 */
static void svm_enable_nmi_window(struct plumb_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;

	if (svm->nmi_singlestep || (vmcb->control.event_inj & SVM_EVTINJ_VALID))
		return;
	if (svm->nmi_masked && !svm->awaiting_iret)
		return;
	svm->ss_rflags = vmcb->save.rflags & (X86_EFLAGS_TF | X86_EFLAGS_RF);
	svm->ss_dr6 = vmcb->save.dr6;
	svm->nmi_singlestep = true;
	vmcb->save.rflags |= X86_EFLAGS_TF | X86_EFLAGS_RF;
}

static void svm_inject_nmi(struct plumb_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->vmcb->control.event_inj = 2 | SVM_EVTINJ_TYPE_NMI |
				       SVM_EVTINJ_VALID;
	svm->nmi_masked = true;
	svm->vmcb->control.intercept_misc1 |= INTERCEPT_IRET;
}

static void svm_inject_interrupt(struct plumb_vcpu *vcpu, u8 vector)
{
	to_svm(vcpu)->vmcb->control.event_inj = vector | SVM_EVTINJ_TYPE_INTR |
						  SVM_EVTINJ_VALID;
}

/*
 * EVENTINJ is the event in flight (svm_handle_exit() put an interrupted
 * one back), INT_STATE bit 0 the shadow (one bit for STI and MOV SS).
 */
static void svm_get_events(struct plumb_vcpu *vcpu, struct plumb_events *ev)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control *c = &svm->vmcb->control;

	ev->inject = (c->event_inj & SVM_EVTINJ_VALID) ? c->event_inj : 0;
	ev->error_code = ev->inject ? c->event_inj_err : 0;
	ev->shadow = (c->int_state & SVM_INTERRUPT_SHADOW) ?
		     PLUMB_SHADOW_STI | PLUMB_SHADOW_MOV_SS : 0;
	ev->nmi_masked = svm->nmi_masked;
}

/* Masked NMIs wait for the guest's next IRET, which we intercept. */
static void svm_set_events(struct plumb_vcpu *vcpu,
			   const struct plumb_events *ev)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control *c = &svm->vmcb->control;

	svm_nmi_singlestep_off(svm);
	c->event_inj = ev->inject;
	c->event_inj_err = ev->error_code;
	c->int_state &= ~SVM_INTERRUPT_SHADOW;
	if (ev->shadow)
		c->int_state |= SVM_INTERRUPT_SHADOW;
	/* An NMI we deliver blocks the next one, as svm_inject_nmi() has it. */
	svm->nmi_masked = ev->nmi_masked ||
			  (ev->inject & SVM_EVTINJ_TYPE_MASK) == SVM_EVTINJ_TYPE_NMI;
	svm->awaiting_iret = false;
	if (svm->nmi_masked)
		c->intercept_misc1 |= INTERCEPT_IRET;
	else
		c->intercept_misc1 &= ~INTERCEPT_IRET;
}

/* DR0-3 are ours to load; DR6 and DR7 are the VMCB's (no clean bits). */
static void svm_get_dr(struct plumb_vcpu *vcpu, struct plumb_dr *d)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	d->db = svm->db;
	d->dr6 = &svm->vmcb->save.dr6;
	d->dr7 = &svm->vmcb->save.dr7;
}

static u64 svm_tsc_offset(struct plumb_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->control.tsc_offset;
}

/* APM Vol. 2 15.25.3: nested paging uses the host's paging mode. */
static int svm_npt_levels(void)
{
	return (native_read_cr4() & X86_CR4_LA57) ? 5 : 4;
}

const struct plumb_backend_ops plumb_svm_ops = {
	.name			= "SVM",
	.id			= PLUMB_BACKEND_SVM,
	.probe			= svm_probe,
	.hardware_enable	= svm_hardware_enable,
	.hardware_disable	= svm_hardware_disable,
	.vm_init		= svm_vm_init,
	.vm_destroy		= svm_vm_destroy,
	.vcpu_create		= svm_vcpu_create,
	.vcpu_free		= svm_vcpu_free,
	.vcpu_run		= svm_vcpu_run,
	.skip_instruction	= svm_skip_instruction,
	.inject_exception	= svm_inject_exception,
	.get_rip		= svm_get_rip,
	.set_rip		= svm_set_rip,
	.get_rflags		= svm_get_rflags,
	.set_rflags		= svm_set_rflags,
	.get_sregs		= svm_get_sregs,
	.set_sregs		= svm_set_sregs,
	.get_msr		= svm_get_msr,
	.set_msr		= svm_set_msr,
	.npt_table		= svm_npt_table,
	.npt_leaf		= svm_npt_leaf,
	.npt_levels		= svm_npt_levels,
	.interrupt_allowed	= svm_interrupt_allowed,
	.enable_irq_window	= svm_enable_irq_window,
	.inject_interrupt	= svm_inject_interrupt,
	.nmi_allowed		= svm_nmi_allowed,
	.inject_nmi		= svm_inject_nmi,
	.enable_nmi_window	= svm_enable_nmi_window,
	.tsc_offset		= svm_tsc_offset,
	.vcpu_reset		= svm_vcpu_reset,
	.get_events		= svm_get_events,
	.set_events		= svm_set_events,
	.get_dr			= svm_get_dr,
};
