// SPDX-License-Identifier: GPL-2.0
/*
 * VMX root per CPU, and the VMCS of each vCPU: VMXON/VMXOFF, VMCLEAR and
 * VMPTRLD as a vCPU moves between CPUs, the constant and per-CPU host
 * state, and the copy of the guest state between the VMCS and the cache.
 *
 * A VMCS is active on at most one CPU (SDM Vol. 3C 25.1): each CPU keeps a
 * list of the VMCSs loaded on it. A vCPU that moves has its VMCS cleared on
 * the old CPU by IPI before it is loaded on the new one; a CPU going offline
 * (or VMX being switched off) clears all of its own first, so that no VMCS
 * data stays cached in a CPU that leaves VMX operation.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <asm/cpu_entry_area.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>

#include "../vcpu.h"
#include "../vm.h"
#include "vmx.h"

struct vmx_cpu {
	void *vmxon;			/* the VMXON region */
	void *current_vmcs;		/* the current VMCS, as far as we know */
	struct list_head loaded;	/* vmx_vcpu.loaded_link */
};
static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpu);

static __always_inline u64 vmcs_read(u32 field)
{
	u64 v;

	asm volatile("vmread %1, %0" : "=r" (v) : "r" ((u64)field) : "cc");
	return v;
}

static __always_inline void vmcs_write(u32 field, u64 v)
{
	bool fail;

	asm volatile("vmwrite %2, %1; setna %0"
		     : "=qm" (fail) : "r" ((u64)field), "rm" (v) : "cc");
	if (unlikely(fail))
		pr_warn_once("VMWRITE of field %#x failed (error %llu)\n",
			     field, vmcs_read(VM_INSTRUCTION_ERROR));
}

/* VMfail (CF or ZF) is reported as true. */
static bool vmxon(u64 pa)
{
	bool fail;

	asm volatile("vmxon %1; setna %0"
		     : "=qm" (fail) : "m" (pa) : "cc", "memory");
	return fail;
}

static bool vmclear(u64 pa)
{
	bool fail;

	asm volatile("vmclear %1; setna %0"
		     : "=qm" (fail) : "m" (pa) : "cc", "memory");
	return fail;
}

static bool vmptrld(u64 pa)
{
	bool fail;

	asm volatile("vmptrld %1; setna %0"
		     : "=qm" (fail) : "m" (pa) : "cc", "memory");
	return fail;
}

static void invept(int type, u64 eptp)
{
	struct { u64 eptp, gpa; } desc = { eptp, 0 };

	asm volatile("invept %0, %1"
		     : : "m" (desc), "r" ((u64)type) : "cc", "memory");
}

static void invvpid(int type, u16 vpid)
{
	struct { u64 vpid, gla; } desc = { vpid, 0 };

	asm volatile("invvpid %0, %1"
		     : : "m" (desc), "r" ((u64)type) : "cc", "memory");
}

/*
 * Runs on each CPU (CPU hotplug callback) when the first VM appears.
 * SDM Vol. 3C 24.7: IA32_FEATURE_CONTROL, CR0/CR4 fixed bits, VMXON region.
 */
int vmx_cpu_enable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	int cpu = smp_processor_id();
	unsigned long cr0 = read_cr0();
	struct page *page;
	u64 fc;

	if (__read_cr4() & X86_CR4_VMXE) {
		pr_err("VMX is already in use on CPU %d by another hypervisor (likely kvm_intel, VirtualBox or VMware): stop its VMs and unload it (rmmod kvm_intel), or boot with kvm.enable_virt_at_load=0 on Linux 6.12+\n",
		       cpu);
		return -EBUSY;
	}
	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &fc))
		return -EIO;
	if (!(fc & FEAT_CTL_LOCKED)) {
		/* As the kernel itself does when firmware left it open. */
		fc |= FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;
		if (wrmsrl_safe(MSR_IA32_FEAT_CTL, fc))
			return -EIO;
	} else if (!(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("VMX is disabled and locked by the firmware on CPU %d (IA32_FEATURE_CONTROL=%#llx)\n",
		       cpu, fc);
		return -EIO;
	}
	if ((cr0 & vmx_conf.cr0_fixed0) != vmx_conf.cr0_fixed0 ||
	    (cr0 & ~vmx_conf.cr0_fixed1)) {
		pr_err("CR0 %#lx does not meet VMX's fixed bits on CPU %d\n",
		       cr0, cpu);
		return -EIO;
	}

	page = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
	if (!page)
		return -ENOMEM;
	vc->vmxon = page_address(page);
	*(u32 *)vc->vmxon = vmx_conf.revision;

	cr4_set_bits(X86_CR4_VMXE);
	if (vmxon(page_to_phys(page))) {
		cr4_clear_bits(X86_CR4_VMXE);
		free_page((unsigned long)vc->vmxon);
		vc->vmxon = NULL;
		pr_err("VMXON failed on CPU %d: another hypervisor may own VMX (kvm_intel, VirtualBox, VMware); stop it and retry\n",
		       cpu);
		return -EBUSY;
	}
	INIT_LIST_HEAD(&vc->loaded);
	vc->current_vmcs = NULL;
	/* Nothing cached from an earlier VMX session may survive. */
	invept(VMX_INVEPT_GLOBAL, 0);
	if (vmx_conf.invvpid_type)
		invvpid(VMX_INVVPID_ALL, 0);
	return 0;
}

/* Irqs off, on the CPU the VMCS is loaded on. */
void vmx_vmcs_clear_local(struct vmx_vcpu *vmx)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);

	vmclear(virt_to_phys(vmx->vmcs));
	if (vc->current_vmcs == vmx->vmcs)
		vc->current_vmcs = NULL;
	list_del(&vmx->loaded_link);
	vmx->launched = false;
	/* The VMCS data is in memory before anyone sees it unloaded. */
	smp_store_release(&vmx->loaded_cpu, -1);
}

void vmx_cpu_disable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	struct vmx_vcpu *vmx, *tmp;
	unsigned long flags;

	local_irq_save(flags);
	list_for_each_entry_safe(vmx, tmp, &vc->loaded, loaded_link)
		vmx_vmcs_clear_local(vmx);
	asm volatile("vmxoff" ::: "cc", "memory");
	cr4_clear_bits_irqsoff(X86_CR4_VMXE);
	local_irq_restore(flags);
	free_page((unsigned long)vc->vmxon);
	vc->vmxon = NULL;
}

static void vmcs_clear_ipi(void *arg)
{
	struct vmx_vcpu *vmx = arg;

	if (READ_ONCE(vmx->loaded_cpu) == smp_processor_id())
		vmx_vmcs_clear_local(vmx);
}

/*
 * Clear the VMCS wherever it is loaded. A CPU that went offline meanwhile
 * cleared it itself (vmx_cpu_disable), so an IPI that finds no CPU is fine.
 */
void vmx_vmcs_clear(struct vmx_vcpu *vmx)
{
	int cpu = smp_load_acquire(&vmx->loaded_cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmcs_clear_ipi, vmx, 1);
}

/* Host state that differs per CPU (SDM Vol. 3C 25.5): rewritten on a move. */
static void vmx_write_host_per_cpu(int cpu)
{
	struct desc_ptr gdt, idt;
	u64 v;

	native_store_gdt(&gdt);
	store_idt(&idt);
	vmcs_write(HOST_GDTR_BASE, gdt.address);
	vmcs_write(HOST_IDTR_BASE, idt.address);
	vmcs_write(HOST_TR_BASE,
		   (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	rdmsrl(MSR_GS_BASE, v);
	vmcs_write(HOST_GS_BASE, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_write(HOST_IA32_SYSENTER_ESP, v);
}

/*
 * Make the vCPU's VMCS current on this CPU. Preemption off, interrupts on
 * (the IPI to the old CPU waits for it).
 */
void vmx_vmcs_load(struct vmx_vcpu *vmx, int cpu)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	u64 pa = virt_to_phys(vmx->vmcs);
	bool moved = false;

	if (vmx->relaunch && vmx->loaded_cpu == cpu) {
		/* After a failed entry: start the VMCS over with VMLAUNCH. */
		local_irq_disable();
		vmx_vmcs_clear_local(vmx);
		local_irq_enable();
	}
	vmx->relaunch = false;
	if (READ_ONCE(vmx->loaded_cpu) != cpu) {
		vmx_vmcs_clear(vmx);
		local_irq_disable();
		/* Launch state clear, data in memory: ready for VMPTRLD. */
		vmclear(pa);
		list_add(&vmx->loaded_link, &vc->loaded);
		WRITE_ONCE(vmx->loaded_cpu, cpu);
		vmx->launched = false;
		local_irq_enable();
		moved = true;
	}
	if (vc->current_vmcs != vmx->vmcs) {
		if (vmptrld(pa))
			pr_warn_once("VMPTRLD failed on CPU %d\n", cpu);
		vc->current_vmcs = vmx->vmcs;
	}
	if (!vmx->setup_done)
		vmx_vmcs_setup(vmx);
	if (moved) {
		vmx_write_host_per_cpu(cpu);
		/* Its EPT/VPID tags may be stale on this CPU: flush them. */
		vmx->need_flush = true;
	}
}

/* Irqs off: the guest runs with mappings no older than vm->tlb_gen. */
void vmx_flush(struct vmx_vcpu *vmx)
{
	struct vmx_vm *vv = vmx->vcpu->vm->backend;

	invept(vmx_conf.invept_type, vv->eptp);
	if (vmx->vpid)
		invvpid(vmx_conf.invvpid_type, vmx->vpid);
}

u64 vmx_hw_cr0(u64 cr0)
{
	/* Unrestricted guest: PE and PG may be clear (SDM Vol. 3C 26.3.1.1). */
	u64 fixed0 = vmx_conf.cr0_fixed0 & ~(u64)(X86_CR0_PE | X86_CR0_PG);

	/* CD/NW stay clear in hardware (docs/decisions.md 14). */
	return ((cr0 & ~(u64)(X86_CR0_CD | X86_CR0_NW)) | fixed0) &
	       vmx_conf.cr0_fixed1;
}

u64 vmx_hw_cr4(u64 cr4)
{
	return (cr4 | vmx_conf.cr4_fixed0 | X86_CR4_VMXE) & vmx_conf.cr4_fixed1;
}

/* Bits of CR0/CR4 whose guest writes exit (the rest the guest owns). */
#define VMX_CR0_TRAPPED	(X86_CR0_PE | X86_CR0_PG | X86_CR0_CD | X86_CR0_NW | \
			 X86_CR0_NE)
/*
 * CR4: all but the bits every guest may flip (as KVM's guest-owned set):
 * the others depend on the guest's CPUID or need more checks (set_cr4).
 */
#define VMX_CR4_TRAPPED	((u32)~(X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | \
				X86_CR4_PCE | X86_CR4_OSFXSR | \
				X86_CR4_OSXMMEXCPT | X86_CR4_PGE))

/* The fields that never change for this vCPU; its VMCS is current. */
void vmx_vmcs_setup(struct vmx_vcpu *vmx)
{
	struct vmx_vm *vv = vmx->vcpu->vm->backend;
	u64 v;

	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx_conf.pin);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, vmx->vpid ? vmx_conf.cpu2 :
		   vmx_conf.cpu2 & ~SECONDARY_EXEC_ENABLE_VPID);
	vmcs_write(VM_EXIT_CONTROLS, vmx_conf.exit);
	/*
	 * #AC and #DB are intercepted: a guest loop delivering either would
	 * otherwise never exit (CVE-2015-5307, CVE-2015-8104).
	 */
	vmcs_write(EXCEPTION_BITMAP, BIT(X86_TRAP_AC) | BIT(X86_TRAP_DB));
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(MSR_BITMAP, virt_to_phys(vv->msr_bitmap));
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
	if (vmx->vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vmx->vpid);
	vmcs_write(EPT_POINTER, vv->eptp);
	vmcs_write(CR0_GUEST_HOST_MASK, VMX_CR0_TRAPPED);
	vmcs_write(CR4_GUEST_HOST_MASK, VMX_CR4_TRAPPED);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, 0);
	/* Not saved on exit (no such exit control): every entry starts anew. */
	if (vmx_conf.pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, vmx_conf.preemption_slice);

	/* Host state that is the same on every CPU (SDM Vol. 3C 26.2.2-3). */
	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_write(HOST_RIP, (unsigned long)plumb_vmx_exit);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write(HOST_IA32_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_write(HOST_IA32_SYSENTER_EIP, v);
	rdmsrl(MSR_IA32_CR_PAT, v);
	vmcs_write(HOST_IA32_PAT, v);
	rdmsrl(MSR_EFER, v);
	vmcs_write(HOST_IA32_EFER, v);
	vmx->host_cr3 = vmx->host_cr4 = vmx->host_fs_base = ~0ULL;
	vmx->setup_done = true;
	vmx->dirty = true;
}

/*
 * Host state the kernel changes under us, checked before every entry:
 * CR3 (the process, PCID), CR4 (per-task bits like TSD) and the FS base
 * (the task's TLS, set by user space with WRFSBASE).
 */
void vmx_write_host_per_entry(struct vmx_vcpu *vmx)
{
	u64 v;

	v = __read_cr3();
	if (v != vmx->host_cr3) {
		vmcs_write(HOST_CR3, v);
		vmx->host_cr3 = v;
	}
	v = __read_cr4();
	if (v != vmx->host_cr4) {
		vmcs_write(HOST_CR4, v);
		vmx->host_cr4 = v;
	}
	rdmsrl(MSR_FS_BASE, v);
	if (v != vmx->host_fs_base) {
		vmcs_write(HOST_FS_BASE, v);
		vmx->host_fs_base = v;
	}
}

static bool pae_paging(const struct vmx_guest *g)
{
	return (g->cr0 & X86_CR0_PG) && (g->cr4 & X86_CR4_PAE) &&
	       !(g->efer & EFER_LMA);
}

/* The cache into the VMCS, before an entry; irqs off, VMCS current. */
void vmx_write_guest(struct vmx_vcpu *vmx)
{
	struct vmx_guest *g = &vmx->g;
	u32 entry = vmx_conf.entry;
	int i;

	vmcs_write(GUEST_RIP, g->rip);
	vmcs_write(GUEST_RSP, vmx->vcpu->regs[PLUMB_RSP]);
	vmcs_write(GUEST_RFLAGS, g->rflags);
	/* No STI shadow with IF=0 (26.3.1.5), whatever SET_REGS did since. */
	if (!(g->rflags & X86_EFLAGS_IF))
		g->interruptibility &= ~GUEST_INTR_STATE_STI;
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, g->interruptibility);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmx->cpu_ctls);
	if (vmx->inject_info & INTR_INFO_VALID) {
		vmcs_write(VM_ENTRY_INTR_INFO_FIELD, vmx->inject_info);
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vmx->inject_err);
		vmcs_write(VM_ENTRY_INSTRUCTION_LEN, vmx->inject_len);
		vmx->inject_info = 0;
	}
	if (!vmx->dirty)
		return;

	if (g->efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	vmcs_write(VM_ENTRY_CONTROLS, entry);
	vmcs_write(GUEST_CR0, vmx_hw_cr0(g->cr0));
	vmcs_write(CR0_READ_SHADOW, g->cr0);
	vmcs_write(GUEST_CR3, g->cr3);
	vmcs_write(GUEST_CR4, vmx_hw_cr4(g->cr4));
	vmcs_write(CR4_READ_SHADOW, g->cr4);
	vmcs_write(GUEST_IA32_EFER, g->efer);
	vmcs_write(GUEST_IA32_PAT, g->pat);
	vmcs_write(GUEST_DR7, g->dr7);	/* loaded by entry, cleared by exit */
	vmcs_write(GUEST_SYSENTER_CS, g->sysenter_cs);
	vmcs_write(GUEST_SYSENTER_ESP, g->sysenter_esp);
	vmcs_write(GUEST_SYSENTER_EIP, g->sysenter_eip);
	for (i = 0; i < VMX_NR_SEGS; i++) {
		vmcs_write(GUEST_ES_SELECTOR + 2 * i, g->seg[i].selector);
		vmcs_write(GUEST_ES_BASE + 2 * i, g->seg[i].base);
		vmcs_write(GUEST_ES_LIMIT + 2 * i, g->seg[i].limit);
		vmcs_write(GUEST_ES_AR_BYTES + 2 * i, g->seg[i].ar);
	}
	vmcs_write(GUEST_GDTR_BASE, g->gdt_base);
	vmcs_write(GUEST_GDTR_LIMIT, g->gdt_limit);
	vmcs_write(GUEST_IDTR_BASE, g->idt_base);
	vmcs_write(GUEST_IDTR_LIMIT, g->idt_limit);
	vmcs_write(TSC_OFFSET, g->tsc_offset);
	if (pae_paging(g))
		for (i = 0; i < 4; i++)
			vmcs_write(GUEST_PDPTR0 + 2 * i, g->pdptr[i]);
	vmx->dirty = false;
}

/* The VMCS into the cache, after an exit; irqs off, VMCS current. */
void vmx_read_guest(struct vmx_vcpu *vmx)
{
	struct vmx_guest *g = &vmx->g;
	struct vmx_exit_info *x = &vmx->exit;
	u64 cr0, cr4;
	int i;

	x->reason = vmcs_read(VM_EXIT_REASON);
	x->qual = vmcs_read(EXIT_QUALIFICATION);
	x->intr_info = vmcs_read(VM_EXIT_INTR_INFO);
	x->intr_err = vmcs_read(VM_EXIT_INTR_ERROR_CODE);
	x->idt_info = vmcs_read(IDT_VECTORING_INFO_FIELD);
	x->idt_err = vmcs_read(IDT_VECTORING_ERROR_CODE);
	x->insn_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	x->insn_info = vmcs_read(VMX_INSTRUCTION_INFO);
	x->gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);

	g->rip = vmcs_read(GUEST_RIP);
	vmx->vcpu->regs[PLUMB_RSP] = vmcs_read(GUEST_RSP);
	g->rflags = vmcs_read(GUEST_RFLAGS);
	g->interruptibility = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	/* Trapped bits are ours (the shadow), the others the guest's. */
	cr0 = vmcs_read(GUEST_CR0);
	g->cr0 = (cr0 & ~(u64)VMX_CR0_TRAPPED) | (g->cr0 & VMX_CR0_TRAPPED);
	cr4 = vmcs_read(GUEST_CR4);
	g->cr4 = (cr4 & ~(u64)VMX_CR4_TRAPPED) | (g->cr4 & VMX_CR4_TRAPPED);
	g->cr3 = vmcs_read(GUEST_CR3);
	g->efer = vmcs_read(GUEST_IA32_EFER);
	g->pat = vmcs_read(GUEST_IA32_PAT);
	g->sysenter_cs = vmcs_read(GUEST_SYSENTER_CS);
	g->sysenter_esp = vmcs_read(GUEST_SYSENTER_ESP);
	g->sysenter_eip = vmcs_read(GUEST_SYSENTER_EIP);
	for (i = 0; i < VMX_NR_SEGS; i++) {
		g->seg[i].selector = vmcs_read(GUEST_ES_SELECTOR + 2 * i);
		g->seg[i].base = vmcs_read(GUEST_ES_BASE + 2 * i);
		g->seg[i].limit = vmcs_read(GUEST_ES_LIMIT + 2 * i);
		g->seg[i].ar = vmcs_read(GUEST_ES_AR_BYTES + 2 * i);
	}
	g->gdt_base = vmcs_read(GUEST_GDTR_BASE);
	g->gdt_limit = vmcs_read(GUEST_GDTR_LIMIT);
	g->idt_base = vmcs_read(GUEST_IDTR_BASE);
	g->idt_limit = vmcs_read(GUEST_IDTR_LIMIT);
	if (pae_paging(g))
		for (i = 0; i < 4; i++)
			g->pdptr[i] = vmcs_read(GUEST_PDPTR0 + 2 * i);
}

u32 vmx_insn_error(void)
{
	return vmcs_read(VM_INSTRUCTION_ERROR);
}
