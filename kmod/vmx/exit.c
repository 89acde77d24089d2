// SPDX-License-Identifier: GPL-2.0
/*
 * VMX exit handlers, in a table indexed by the basic exit reason (SDM Vol.
 * 3D Appendix C). They run with preemption on and work on the cached guest
 * state (struct vmx_guest), never on the VMCS. An exit without a handler
 * reaches userspace as an internal error; nothing a guest does can crash
 * the host. The instructions both vendors intercept alike are x86.c's.
 *
 * VMX reports the length of the instruction behind an instruction exit
 * (VM_EXIT_INSTRUCTION_LEN) but not its bytes: the MMIO decoder fetches
 * them through the guest's page tables (kmod/emulate.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/trapnr.h>

#include "../cpuid.h"
#include "../decode.h"
#include "../dr.h"
#include "../emulate.h"
#include "../lapic.h"
#include "../mmu.h"
#include "../vcpu.h"
#include "../x86.h"
#include "vmx.h"

typedef int (*vmx_exit_fn)(struct plumb_vcpu *vcpu);

void vmx_inject_exception(struct plumb_vcpu *vcpu, u8 vector, bool has_err,
			  u32 err)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->inject_info = vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID;
	/* Real mode delivers no error code; entry checks it (26.2.1.3). */
	if (has_err && (vmx->g.cr0 & X86_CR0_PE))
		vmx->inject_info |= INTR_INFO_DELIVER_CODE;
	vmx->inject_err = err;
	vmx->inject_len = 0;
	if (plumb_exception_is_fault(vector))
		vmx->g.rflags |= X86_EFLAGS_RF;
}

static bool long_mode64(const struct vmx_guest *g)
{
	return (g->efer & EFER_LMA) && (g->seg[VMX_CS].ar & BIT(13));
}

/* Step over the instruction that exited; it ends an STI/MOV SS shadow. */
static void skip_insn(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_guest *g = &vmx->g;

	g->rip += vmx->exit.insn_len;
	if (!long_mode64(g))
		g->rip = (u32)g->rip;
	g->interruptibility &= ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
}

/*
 * The skip_instruction op: VMX reports the length of every instruction
 * exit (SDM Vol. 3C 28.2.5), prefixes included; @len is not needed.
 */
void vmx_skip_instruction(struct plumb_vcpu *vcpu, unsigned int len)
{
	skip_insn(vcpu);
}

/* MOV from CRn/DRn: outside 64-bit mode the upper half is cleared. */
static void set_gpr(struct plumb_vcpu *vcpu, unsigned int reg, u64 v)
{
	if (!long_mode64(&to_vmx(vcpu)->g))
		v = (u32)v;
	vcpu->regs[reg] = v;
}

static int unhandled(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 data[5] = { vmx->exit.reason, vmx->exit.qual, vmx->exit.intr_info,
			vmx->g.rip, vmx->exit.gpa };

	pr_warn_ratelimited("vCPU %u: unhandled VMX exit %llu (qualification %#llx, interruption %#llx, rip %#llx)\n",
			    vcpu->id, data[0], data[1], data[2], data[3]);
	return plumb_exit_internal(vcpu, PLUMB_INTERNAL_UNHANDLED_EXIT, 5,
				   data);
}

/* PAE paging reads its 4 PDPTEs at CR3 into the VMCS (SDM Vol. 3C 29.4.1). */
int vmx_load_pdptrs(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_guest *g = &vmx->g;

	if (!(g->cr0 & X86_CR0_PG) || !(g->cr4 & X86_CR4_PAE) ||
	    (g->efer & EFER_LMA))
		return 0;
	vmx->dirty = true;
	return plumb_read_guest(vcpu->vm, g->cr3 & 0xffffffe0, g->pdptr,
				sizeof(g->pdptr));
}

static int handle_nothing(struct plumb_vcpu *vcpu)
{
	return 1;	/* a host interrupt: taken once interrupts were on */
}

/*
 * #DB, intercepted so that a #DB whose delivery raises another (a data
 * breakpoint on the handler's stack) exits each time instead of looping
 * in the CPU (CVE-2015-8104). The exit did not touch DR6; the
 * qualification holds what the CPU would have set in it (27.2.1), which
 * goes into the guest's DR6 as the #DB is reflected. INT1 (ICEBP) is a
 * privileged software exception: its #DB comes after the instruction.
 */
static int handle_db(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_guest *g = &vmx->g;
	u64 qual = vmx->exit.qual;

	if ((vmx->exit.intr_info & INTR_INFO_TYPE_MASK) ==
	    INTR_TYPE_PRIV_SW_EXCEPTION)
		skip_insn(vcpu);
	g->dr6 = (g->dr6 & ~(u64)DR_TRAP_BITS) | (qual & PLUMB_DR6_VOLATILE);
	/* Delivering a #DB clears DR7.GD (SDM Vol. 3B 18.2.4). */
	if (g->dr7 & PLUMB_DR7_GD) {
		g->dr7 &= ~PLUMB_DR7_GD;
		vmx->dirty = true;
	}
	vmx_inject_exception(vcpu, X86_TRAP_DB, false, 0);
	return 1;
}

static int handle_exception_nmi(struct plumb_vcpu *vcpu)
{
	struct vmx_exit_info *x = &to_vmx(vcpu)->exit;

	if ((x->intr_info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI)
		return 1;	/* the host's, delivered in vmx_vcpu_run() */
	switch (x->intr_info & INTR_INFO_VECTOR_MASK) {
	case X86_TRAP_AC:
		/* Intercepted only so that an #AC loop cannot hang the host. */
		vmx_inject_exception(vcpu, X86_TRAP_AC, true, x->intr_err);
		return 1;
	case X86_TRAP_DB:
		return handle_db(vcpu);
	}
	return unhandled(vcpu);
}

static int handle_triple_fault(struct plumb_vcpu *vcpu)
{
	/* The event being delivered died with the CPU (svm/exit.c). */
	to_vmx(vcpu)->inject_info = 0;
	return plumb_exit_shutdown(vcpu);
}

static int handle_interrupt_window(struct plumb_vcpu *vcpu)
{
	to_vmx(vcpu)->cpu_ctls &= ~CPU_BASED_INTR_WINDOW_EXITING;
	return 1;
}

static int handle_nmi_window(struct plumb_vcpu *vcpu)
{
	to_vmx(vcpu)->cpu_ctls &= ~CPU_BASED_NMI_WINDOW_EXITING;
	return 1;
}

/* MOV to CR0 (SDM Vol. 3A 2.5, Vol. 2B MOV): 0, or 1 for #GP. */
static int set_cr0(struct plumb_vcpu *vcpu, u64 val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_guest *g = &vmx->g;
	u64 old = g->cr0;

	val |= X86_CR0_ET;
	if ((val >> 32) || ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
	    ((val & X86_CR0_NW) && !(val & X86_CR0_CD)))
		return 1;
	/* Paging stays on with CR4.PCIDE set, and in 64-bit code (MOV CR0). */
	if ((old & X86_CR0_PG) && !(val & X86_CR0_PG) &&
	    ((g->cr4 & X86_CR4_PCIDE) ||
	     ((g->efer & EFER_LMA) && (g->seg[VMX_CS].ar & VMX_AR_L))))
		return 1;
	/* Paging on with EFER.LME enters IA-32e mode; off leaves it. */
	if (!(old & X86_CR0_PG) && (val & X86_CR0_PG) &&
	    (g->efer & EFER_LME)) {
		if (!(g->cr4 & X86_CR4_PAE))
			return 1;
		g->efer |= EFER_LMA;
	} else if ((old & X86_CR0_PG) && !(val & X86_CR0_PG)) {
		g->efer &= ~EFER_LMA;
	}
	if ((old ^ val) & X86_CR0_PG)
		vmx->need_flush = true;	/* SDM Vol. 3A 4.10.4.1 */
	g->cr0 = val;
	vmx->dirty = true;
	return vmx_load_pdptrs(vcpu) ? 1 : 0;
}

static int set_cr4(struct plumb_vcpu *vcpu, u64 val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_guest *g = &vmx->g;
	const u64 flush = X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PCIDE |
			  X86_CR4_SMEP | X86_CR4_LA57;

	/* The guest's CPUID, then what this CPU can run (VMXE is ours). */
	if (!plumb_cr4_valid(vcpu, g->cr4, val, g->cr3, g->efer & EFER_LMA) ||
	    (val & ~vmx_conf.cr4_fixed1))
		return 1;
	/* SDM Vol. 3A 4.10.4.1: these changes invalidate the TLBs. */
	if ((g->cr4 ^ val) & flush)
		vmx->need_flush = true;
	g->cr4 = val;
	vmx->dirty = true;
	return vmx_load_pdptrs(vcpu) ? 1 : 0;
}

/* Exit qualification for control-register accesses (SDM Vol. 3C 28.2.1). */
static int handle_cr(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_guest *g = &vmx->g;
	u64 qual = vmx->exit.qual;
	unsigned int cr = qual & 15, reg = (qual >> 8) & 15;
	u64 val;
	int fault = 0;

	switch ((qual >> 4) & 3) {
	case 0:		/* MOV to CR */
		val = vcpu->regs[reg];
		if (cr == 0) {
			fault = set_cr0(vcpu, val);
		} else if (cr == 3) {
			g->cr3 = val;
			vmx->dirty = true;
			fault = vmx_load_pdptrs(vcpu) ? 1 : 0;
		} else if (cr == 4) {
			fault = set_cr4(vcpu, val);
		} else if (cr == 8) {
			if (val > 15)
				fault = 1;
			else		/* CR8 is the APIC's TPR[7:4] */
				plumb_lapic_set_cr8(vcpu, val);
		} else {
			return unhandled(vcpu);
		}
		break;
	case 1:		/* MOV from CR */
		if (cr == 3)
			set_gpr(vcpu, reg, g->cr3);
		else if (cr == 8)
			set_gpr(vcpu, reg, plumb_lapic_get_cr8(vcpu));
		else
			return unhandled(vcpu);
		break;
	case 2:		/* CLTS */
		g->cr0 &= ~(u64)X86_CR0_TS;
		vmx->dirty = true;
		break;
	default:	/* LMSW: bits 3:0, and it never clears PE */
		val = (qual >> 16) & 0xf;
		fault = set_cr0(vcpu, (g->cr0 & ~0xfULL) | val |
				      (g->cr0 & X86_CR0_PE));
		break;
	}
	if (fault)
		return plumb_inject_gp(vcpu);
	skip_insn(vcpu);
	return 1;
}

/*
 * MOV to/from DRn (28.2.1; MOV-DR exiting is always on): the guest's
 * registers are the vCPU's copy (kmod/dr.h); GUEST_DR7 follows DR7.
 */
static int handle_dr(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_guest *g = &vmx->g;
	struct plumb_dr d = { g->dr, &g->dr6, &g->dr7 };
	u64 qual = vmx->exit.qual, val = 0, dr7 = g->dr7;
	unsigned int reg = (qual >> 8) & 15;
	bool write = !(qual & BIT(4));
	int vector;

	if (write)
		val = vcpu->regs[reg];
	vector = plumb_dr_access(&d, qual & 7, write, g->cr4, &val);
	if (g->dr7 != dr7)
		vmx->dirty = true;	/* GUEST_DR7 */
	if (vector) {
		vmx_inject_exception(vcpu, vector, vector == X86_TRAP_GP, 0);
		return 1;
	}
	if (!write)
		set_gpr(vcpu, reg, val);
	skip_insn(vcpu);
	return 1;
}

/* I/O exit qualification (28.2.1); string details in the instruction info. */
static int handle_io(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_guest *g = &vmx->g;
	u64 qual = vmx->exit.qual;
	unsigned int size = (qual & 7) + 1;
	bool in = qual & BIT(3);
	u16 port = qual >> 16;
	u64 next_rip = g->rip + vmx->exit.insn_len;

	if (!long_mode64(g))
		next_rip = (u32)next_rip;
	if (size != 1 && size != 2 && size != 4)
		return unhandled(vcpu);
	if (qual & BIT(4)) {		/* INS/OUTS */
		unsigned int asz, seg = PLUMB_SEG_DS;

		if (vmx_conf.basic & VMXB_INSOUTS_INFO) {
			/* Address size in bits 9:7, segment in 17:15 (28.2.5). */
			asz = (vmx->exit.insn_info >> 7) & 7;
			if (asz > 2)
				return unhandled(vcpu);
			asz = 2 << asz;
			seg = (vmx->exit.insn_info >> 15) & 7;
		} else {
			/* The default: an address-size prefix is not seen. */
			asz = long_mode64(g) ? 8 :
			      (g->seg[VMX_CS].ar & BIT(14)) ? 4 : 2;
		}
		return plumb_emulate_string_io(vcpu, port, size, in,
					       qual & BIT(5), asz, seg,
					       next_rip);
	}

	g->rip = next_rip;
	g->interruptibility &= ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
	return plumb_exit_io(vcpu, port, size, in);
}

/* EPT violation (28.2.1): bit 1 of the qualification is a write. */
static int handle_ept_violation(struct plumb_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 gpa = vmx->exit.gpa;
	int ret;

	ret = plumb_mmu_fault(vcpu, gpa, vmx->exit.qual & BIT(1));
	if (ret < 0)
		return ret;	/* e.g. the launcher unmapped guest memory */
	if (ret == 1)
		return 1;
	/* MMIO: VMX gives no instruction bytes, the emulator fetches them. */
	return plumb_emulate_mmio(vcpu, gpa, NULL, 0);
}

static const vmx_exit_fn vmx_exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI]		= handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= handle_nothing,
	[EXIT_REASON_TRIPLE_FAULT]		= handle_triple_fault,
	[EXIT_REASON_INIT_SIGNAL]		= handle_nothing,
	[EXIT_REASON_SIPI_SIGNAL]		= handle_nothing,
	[EXIT_REASON_INTERRUPT_WINDOW]		= handle_interrupt_window,
	[EXIT_REASON_NMI_WINDOW]		= handle_nmi_window,
	[EXIT_REASON_CPUID]			= plumb_emulate_cpuid,
	[EXIT_REASON_GETSEC]			= plumb_inject_ud,
	[EXIT_REASON_HLT]			= plumb_emulate_hlt,
	[EXIT_REASON_INVD]			= plumb_emulate_invd,
	[EXIT_REASON_VMCALL]			= plumb_emulate_hypercall,
	[EXIT_REASON_VMCLEAR]			= plumb_inject_ud,
	[EXIT_REASON_VMLAUNCH]			= plumb_inject_ud,
	[EXIT_REASON_VMPTRLD]			= plumb_inject_ud,
	[EXIT_REASON_VMPTRST]			= plumb_inject_ud,
	[EXIT_REASON_VMREAD]			= plumb_inject_ud,
	[EXIT_REASON_VMRESUME]			= plumb_inject_ud,
	[EXIT_REASON_VMWRITE]			= plumb_inject_ud,
	[EXIT_REASON_VMOFF]			= plumb_inject_ud,
	[EXIT_REASON_VMON]			= plumb_inject_ud,
	[EXIT_REASON_CR_ACCESS]			= handle_cr,
	[EXIT_REASON_DR_ACCESS]			= handle_dr,
	[EXIT_REASON_IO_INSTRUCTION]		= handle_io,
	[EXIT_REASON_MSR_READ]			= plumb_emulate_rdmsr,
	[EXIT_REASON_MSR_WRITE]			= plumb_emulate_wrmsr,
	[EXIT_REASON_MWAIT_INSTRUCTION]		= plumb_inject_ud,
	[EXIT_REASON_MONITOR_INSTRUCTION]	= plumb_inject_ud,
	[EXIT_REASON_RDPMC]			= plumb_emulate_rdpmc,
	[EXIT_REASON_EPT_VIOLATION]		= handle_ept_violation,
	[EXIT_REASON_INVEPT]			= plumb_inject_ud,
	[EXIT_REASON_PREEMPTION_TIMER]		= handle_nothing,
	[EXIT_REASON_INVVPID]			= plumb_inject_ud,
	[EXIT_REASON_WBINVD]			= plumb_emulate_wbinvd,
	[EXIT_REASON_XSETBV]			= plumb_emulate_xsetbv,
	[EXIT_REASON_VMFUNC]			= plumb_inject_ud,
};

/* The management plane's name for each exit (PLUMB_XR_OTHER: 0). */
static const u8 vmx_exit_reasons[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI]		= PLUMB_XR_EXCEPTION,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= PLUMB_XR_EXTINT,
	[EXIT_REASON_TRIPLE_FAULT]		= PLUMB_XR_SHUTDOWN,
	[EXIT_REASON_INTERRUPT_WINDOW]		= PLUMB_XR_WINDOW,
	[EXIT_REASON_NMI_WINDOW]		= PLUMB_XR_WINDOW,
	[EXIT_REASON_CPUID]			= PLUMB_XR_CPUID,
	[EXIT_REASON_GETSEC]			= PLUMB_XR_INVALID,
	[EXIT_REASON_HLT]			= PLUMB_XR_HLT,
	[EXIT_REASON_INVD]			= PLUMB_XR_INVD,
	[EXIT_REASON_VMCALL]			= PLUMB_XR_HYPERCALL,
	[EXIT_REASON_VMCLEAR ... EXIT_REASON_VMON] = PLUMB_XR_INVALID,
	[EXIT_REASON_CR_ACCESS]			= PLUMB_XR_CR,
	[EXIT_REASON_IO_INSTRUCTION]		= PLUMB_XR_IO,
	[EXIT_REASON_MSR_READ]			= PLUMB_XR_MSR,
	[EXIT_REASON_MSR_WRITE]			= PLUMB_XR_MSR,
	[EXIT_REASON_MWAIT_INSTRUCTION]		= PLUMB_XR_INVALID,
	[EXIT_REASON_MONITOR_INSTRUCTION]	= PLUMB_XR_INVALID,
	[EXIT_REASON_PAUSE_INSTRUCTION]		= PLUMB_XR_PAUSE,
	[EXIT_REASON_RDPMC]			= PLUMB_XR_RDPMC,
	/* plumb's time slice (VMX_SLICE_MS): the host takes the CPU back. */
	[EXIT_REASON_PREEMPTION_TIMER]		= PLUMB_XR_EXTINT,
	[EXIT_REASON_EPT_VIOLATION]		= PLUMB_XR_NPF,
	[EXIT_REASON_EPT_MISCONFIG]		= PLUMB_XR_NPF,
	[EXIT_REASON_INVEPT]			= PLUMB_XR_INVALID,
	[EXIT_REASON_INVVPID]			= PLUMB_XR_INVALID,
	[EXIT_REASON_WBINVD]			= PLUMB_XR_INVD,
	[EXIT_REASON_XSETBV]			= PLUMB_XR_XSETBV,
	[EXIT_REASON_VMFUNC]			= PLUMB_XR_INVALID,
};

static int fail_entry(struct plumb_vcpu *vcpu, u64 reason)
{
	struct plumb_exit *e = plumb_ring_next(vcpu, PLUMB_EXIT_FAIL_ENTRY);

	pr_info_ratelimited("vCPU %u: VM entry failed (%#llx)\n", vcpu->id,
			    reason);
	e->fail_entry.hardware_reason = reason;
	e->fail_entry.cpu = READ_ONCE(vcpu->cpu);
	plumb_ring_commit(vcpu, e, NULL);
	return 0;
}

int vmx_handle_exit(struct plumb_vcpu *vcpu, int entry_ret, u32 insn_error)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_exit_info *x = &vmx->exit;
	u32 basic = x->reason & 0xffff;

	/* VMLAUNCH/VMRESUME refused: the VM-instruction error (31.4). */
	if (entry_ret)
		return fail_entry(vcpu, PLUMB_FAIL_VMX_INSN_ERROR | insn_error);
	/* Entry failed while checking or loading guest state (27.8). */
	if (x->reason & EXIT_REASON_FAILED_VMENTRY)
		return fail_entry(vcpu, x->reason | x->qual << 32);

	/* An event whose delivery the exit interrupted goes in again (28.2.4). */
	if (x->idt_info & INTR_INFO_VALID) {
		vmx->inject_info = x->idt_info & ~INTR_INFO_UNBLOCK_NMI;
		vmx->inject_err = x->idt_err;
		vmx->inject_len = x->insn_len;
	}

	if (basic == EXIT_REASON_EXCEPTION_NMI &&
	    (x->intr_info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI)
		plumb_stat_exit(&vcpu->stats, PLUMB_XR_NMI);
	else
		plumb_stat_exit(&vcpu->stats, basic < EXIT_REASON_MAX ?
				vmx_exit_reasons[basic] : PLUMB_XR_OTHER);
	if (basic < EXIT_REASON_MAX && vmx_exit_handlers[basic])
		return vmx_exit_handlers[basic](vcpu);
	return unhandled(vcpu);
}
