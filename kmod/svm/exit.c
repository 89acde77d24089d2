// SPDX-License-Identifier: GPL-2.0
/*
 * SVM exit handlers, in a table indexed by the exit code (APM Vol. 2
 * Appendix C). An exit without a handler reaches userspace as an internal
 * error; nothing a guest does can crash the host.
 *
 * The instructions both vendors intercept alike are x86.c's. Without
 * NRIP-save the CPU does not tell us where the next instruction starts;
 * for the fixed-length instructions we intercept we skip their
 * architectural length, which the handlers pass to svm_skip_instruction (a
 * redundant prefix would defeat that; KVM uses its emulator there). I/O
 * exits carry the next RIP in EXITINFO2 always.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/percpu.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/trapnr.h>

#include "../cpuid.h"
#include "../dr.h"
#include "../emulate.h"
#include "../mmu.h"
#include "../vcpu.h"
#include "../x86.h"
#include "svm.h"

typedef int (*svm_exit_fn)(struct plumb_vcpu *vcpu);

void svm_inject_exception(struct plumb_vcpu *vcpu, u8 vector, bool has_err,
			  u32 err)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	c->event_inj = vector | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID |
		       (has_err ? SVM_EVTINJ_VALID_ERR : 0);
	c->event_inj_err = err;
	if (plumb_exception_is_fault(vector))
		to_svm(vcpu)->vmcb->save.rflags |= X86_EFLAGS_RF;
}

/*
 * Step over the intercepted instruction (the skip_instruction op): where
 * it ends with NRIP-save, else @len bytes on (its architectural length,
 * or what the decoder found; a redundant prefix would defeat the former).
 */
void svm_skip_instruction(struct plumb_vcpu *vcpu, unsigned int len)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	if (svm_has(SVM_FEAT_NRIPS) && vmcb->control.next_rip)
		vmcb->save.rip = vmcb->control.next_rip;
	else
		vmcb->save.rip += len;
	/*
	 * The instruction is done: an STI or MOV SS shadow over it is over
	 * (STI; HLT exits with the shadow set on Bochs, and injection would
	 * wait forever for it).
	 */
	vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW;
}

static int handle_nothing(struct plumb_vcpu *vcpu)
{
	return 1;	/* a host interrupt: taken once GIF was set again */
}

/*
 * The guest's IRET, intercepted before it executes (APM Vol. 2 15.9): NMIs
 * are unmasked once it completed, i.e. once the guest is seen past it
 * (svm_handle_exit). An NMI injected now would come in before the IRET, on
 * the handler's own frame.
 */
static int handle_iret(struct plumb_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->vmcb->control.intercept_misc1 &= ~INTERCEPT_IRET;
	svm->awaiting_iret = true;
	svm->iret_rip = svm->vmcb->save.rip;
	return 1;
}

/* Our single step is over: the guest's own TF and RF back. */
void svm_nmi_singlestep_off(struct svm_vcpu *svm)
{
	struct vmcb *vmcb = svm->vmcb;

	if (!svm->nmi_singlestep)
		return;
	svm->nmi_singlestep = false;
	vmcb->save.rflags &= ~(X86_EFLAGS_TF | X86_EFLAGS_RF) | svm->ss_rflags;
}

/*
 * #DB, always intercepted (as KVM does since CVE-2015-8104): a #DB whose
 * delivery raises another (a data breakpoint on the handler's stack)
 * then exits each time instead of looping in the CPU, where no host
 * interrupt gets in. The CPU has already updated the guest's DR6 in the
 * VMCB; the #DB is reflected. Our own single step towards an NMI window
 * (svm_enable_nmi_window) leaves no trace: if nothing of the guest's came
 * with it, its DR6 is put back and nothing is injected.
 */
static int handle_db(struct plumb_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save *save = &svm->vmcb->save;
	bool guest_tf = svm->ss_rflags & X86_EFLAGS_TF;

	if (svm->nmi_singlestep) {
		svm_nmi_singlestep_off(svm);
		if (!guest_tf) {
			if (!(save->dr6 & ~svm->ss_dr6 & DR_TRAP_BITS)) {
				save->dr6 = svm->ss_dr6;
				return 1;
			}
			save->dr6 &= ~DR_STEP | svm->ss_dr6;
		}
	}
	svm_inject_exception(vcpu, X86_TRAP_DB, false, 0);
	return 1;
}

/* #AC, always intercepted so that an #AC loop cannot hang the host. */
static int handle_ac(struct plumb_vcpu *vcpu)
{
	svm_inject_exception(vcpu, X86_TRAP_AC, true, 0);
	return 1;
}

/*
 * MOV to/from DRn, always intercepted: the guest's registers are the
 * vCPU's (kmod/dr.h), never the host's. Without decode assists the exit
 * does not name the GPR: the instruction is decoded.
 */
static int handle_dr(struct plumb_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save *save = &svm->vmcb->save;
	struct plumb_dr d = { svm->db, &save->dr6, &save->dr7 };
	u64 code = svm->vmcb->control.exit_code, val = 0;
	bool write, long64;
	u8 dr, gpr, len;
	int ret;

	ret = plumb_decode_dr_access(vcpu, &write, &dr, &gpr, &len, &long64);
	if (ret || write != (code >= SVM_EXIT_WRITE_DR0) || dr != (code & 7)) {
		u64 data[3] = { code, save->rip, (u64)ret };

		return plumb_exit_internal(vcpu, PLUMB_INTERNAL_EMULATION, 3,
					   data);
	}
	if (save->cpl)
		return plumb_inject_gp(vcpu);
	if (write) {
		val = vcpu->regs[gpr];
		if (!long64)
			val = (u32)val;
	}
	ret = plumb_dr_access(&d, dr, write, save->cr4, &val);
	if (ret) {
		svm_inject_exception(vcpu, ret, ret == X86_TRAP_GP, 0);
		return 1;
	}
	if (!write)
		vcpu->regs[gpr] = long64 ? val : (u32)val;
	svm_skip_instruction(vcpu, len);
	return 1;
}

/* The guest can take an interrupt now: drop the request, inject the real one. */
static int handle_vintr(struct plumb_vcpu *vcpu)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	c->int_ctl &= ~(V_IRQ | V_IGN_TPR | (0xfu << V_INTR_PRIO_SHIFT));
	c->intercept_misc1 &= ~INTERCEPT_VINTR;
	return 1;
}

/*
 * MOV to CR4, intercepted because the guest's CPUID decides which bits
 * exist (plumb_cr4_valid). The exit does not name the source register
 * without decode assists: the instruction is decoded.
 */
static int handle_cr4_write(struct plumb_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save *save = &svm->vmcb->save;
	const u64 flush = X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE |
			  X86_CR4_PCIDE | X86_CR4_SMEP | X86_CR4_LA57;
	u64 val, old = save->cr4;
	u8 cr, len;
	int ret;

	ret = plumb_decode_cr_write(vcpu, &cr, &val, &len);
	if (ret || cr != 4) {
		u64 data[3] = { SVM_EXIT_WRITE_CR4, save->rip, (u64)ret };

		return plumb_exit_internal(vcpu, PLUMB_INTERNAL_EMULATION, 3,
					   data);
	}
	if (!plumb_cr4_valid(vcpu, old, val, save->cr3,
			     save->efer & EFER_LMA))
		return plumb_inject_gp(vcpu);
	save->cr4 = val;
	/* SDM Vol. 3A 4.10.4.1: these changes invalidate the TLBs. */
	if ((old ^ val) & flush)
		svm->need_flush = true;
	svm_skip_instruction(vcpu, len);
	return 1;
}

static int handle_shutdown(struct plumb_vcpu *vcpu)
{
	/*
	 * The VMCB is undefined after a shutdown intercept (APM 15.11), and
	 * the event being delivered died with the CPU: a vCPU that userspace
	 * resets and runs again (KVM's ABI) must not get it injected.
	 */
	to_svm(vcpu)->vmcb->control.event_inj = 0;
	return plumb_exit_shutdown(vcpu);
}

/* RDMSR and WRMSR share an exit code; EXITINFO1 tells them apart. */
static int handle_msr(struct plumb_vcpu *vcpu)
{
	if (to_svm(vcpu)->vmcb->control.exit_info_1)
		return plumb_emulate_wrmsr(vcpu);
	return plumb_emulate_rdmsr(vcpu);
}

static int handle_ioio(struct plumb_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	u64 info = vmcb->control.exit_info_1;
	unsigned int size = (info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;
	bool in = info & SVM_IOIO_TYPE_IN;
	u16 port = info >> SVM_IOIO_PORT_SHIFT;

	/* SZ8/SZ16/SZ32 are one-hot: 1, 2, 4 bytes. */
	if (size != 1 && size != 2 && size != 4) {
		u64 data[2] = { SVM_EXIT_IOIO, info };

		return plumb_exit_internal(vcpu, PLUMB_INTERNAL_UNHANDLED_EXIT,
					   2, data);
	}
	if (info & SVM_IOIO_STR) {
		/* A16/A32/A64 one-hot in bits 9:7; the segment (bits 12:10)
		 * only with decode assists, else DS as without a prefix. */
		u8 asz = (info & BIT(9)) ? 8 : (info & BIT(8)) ? 4 : 2;
		int seg = svm_has(SVM_FEAT_DECODE_ASSISTS) ?
			  (info >> 10) & 7 : 3;

		return plumb_emulate_string_io(vcpu, port, size, in,
					       info & SVM_IOIO_REP, asz, seg,
					       vmcb->control.exit_info_2);
	}

	/* EXITINFO2 is the next RIP, with or without NRIP-save (APM 15.10.2). */
	vmcb->save.rip = vmcb->control.exit_info_2;
	return plumb_exit_io(vcpu, port, size, in);
}

static int handle_npf(struct plumb_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 gpa = vmcb->control.exit_info_2;
	u64 err = vmcb->control.exit_info_1;
	int ret;

	ret = plumb_mmu_fault(vcpu, gpa, err & SVM_NPF_WRITE);
	if (ret < 0)
		return ret;	/* e.g. the launcher unmapped guest memory */
	if (ret == 1)
		return 1;
	/* MMIO: decode assists hand us the bytes, else they are fetched. */
	return plumb_emulate_mmio(vcpu, gpa, vmcb->control.insn_bytes,
				  svm_has(SVM_FEAT_DECODE_ASSISTS) ?
				  vmcb->control.insn_len & 0xf : 0);
}

static const svm_exit_fn svm_exit_handlers[SVM_EXIT_MAX] = {
	[SVM_EXIT_WRITE_CR4]	= handle_cr4_write,
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR0 + 7]	= handle_dr,
	[SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR0 + 7] = handle_dr,
	[SVM_EXIT_DB]		= handle_db,
	[SVM_EXIT_AC]		= handle_ac,
	[SVM_EXIT_INTR]		= handle_nothing,
	[SVM_EXIT_NMI]		= handle_nothing,
	[SVM_EXIT_SMI]		= handle_nothing,
	[SVM_EXIT_INIT]		= handle_nothing,
	[SVM_EXIT_CPUID]	= plumb_emulate_cpuid,
	[SVM_EXIT_INVD]		= plumb_emulate_invd,
	[SVM_EXIT_HLT]		= plumb_emulate_hlt,
	[SVM_EXIT_VINTR]	= handle_vintr,
	[SVM_EXIT_IRET]		= handle_iret,
	[SVM_EXIT_INVLPGA]	= plumb_inject_ud,
	[SVM_EXIT_IOIO]		= handle_ioio,
	[SVM_EXIT_MSR]		= handle_msr,
	[SVM_EXIT_SHUTDOWN]	= handle_shutdown,
	[SVM_EXIT_VMRUN]	= plumb_inject_ud,
	[SVM_EXIT_VMMCALL]	= plumb_emulate_hypercall,
	[SVM_EXIT_VMLOAD]	= plumb_inject_ud,
	[SVM_EXIT_VMSAVE]	= plumb_inject_ud,
	[SVM_EXIT_STGI]		= plumb_inject_ud,
	[SVM_EXIT_CLGI]		= plumb_inject_ud,
	[SVM_EXIT_SKINIT]	= plumb_inject_ud,
	[SVM_EXIT_RDPMC]	= plumb_emulate_rdpmc,
	[SVM_EXIT_MONITOR]	= plumb_inject_ud,
	[SVM_EXIT_MWAIT]	= plumb_inject_ud,
	[SVM_EXIT_WBINVD]	= plumb_emulate_wbinvd,
	[SVM_EXIT_XSETBV]	= plumb_emulate_xsetbv,
	[SVM_EXIT_NPF]		= handle_npf,
};

/* The management plane's name for each exit (PLUMB_XR_OTHER: 0). */
static const u8 svm_exit_reasons[SVM_EXIT_MAX] = {
	[SVM_EXIT_READ_CR0 ... SVM_EXIT_WRITE_CR0 + 15]	= PLUMB_XR_CR,
	[SVM_EXIT_EXCP_BASE ... SVM_EXIT_EXCP_BASE + 31] = PLUMB_XR_EXCEPTION,
	[SVM_EXIT_INTR]		= PLUMB_XR_EXTINT,
	[SVM_EXIT_NMI]		= PLUMB_XR_NMI,
	[SVM_EXIT_VINTR]	= PLUMB_XR_WINDOW,
	[SVM_EXIT_IRET]		= PLUMB_XR_WINDOW,
	[SVM_EXIT_CPUID]	= PLUMB_XR_CPUID,
	[SVM_EXIT_RDPMC]	= PLUMB_XR_RDPMC,
	[SVM_EXIT_PAUSE]	= PLUMB_XR_PAUSE,
	[SVM_EXIT_HLT]		= PLUMB_XR_HLT,
	[SVM_EXIT_INVD]		= PLUMB_XR_INVD,
	[SVM_EXIT_WBINVD]	= PLUMB_XR_INVD,
	[SVM_EXIT_IOIO]		= PLUMB_XR_IO,
	[SVM_EXIT_MSR]		= PLUMB_XR_MSR,
	[SVM_EXIT_SHUTDOWN]	= PLUMB_XR_SHUTDOWN,
	[SVM_EXIT_VMMCALL]	= PLUMB_XR_HYPERCALL,
	[SVM_EXIT_INVLPGA]	= PLUMB_XR_INVALID,
	[SVM_EXIT_VMRUN]	= PLUMB_XR_INVALID,
	[SVM_EXIT_VMLOAD ... SVM_EXIT_SKINIT] = PLUMB_XR_INVALID,
	[SVM_EXIT_MONITOR]	= PLUMB_XR_INVALID,
	[SVM_EXIT_MWAIT]	= PLUMB_XR_INVALID,
	[SVM_EXIT_XSETBV]	= PLUMB_XR_XSETBV,
	[SVM_EXIT_NPF]		= PLUMB_XR_NPF,
};

/*
 * An event whose delivery the exit cut short, from EXITINTINFO: does it go
 * in again? INT n, INT3 and INTO leave RIP on their instruction, and an
 * injected event pushes that RIP (the next one only through next_rip,
 * which we do not keep), so the handler would see the instruction itself
 * and come back to run it twice. The guest runs the instruction again
 * instead, as KVM did before next_rip. Everything else goes in again.
 */
static bool svm_reinject(u32 info)
{
	u32 type = info & SVM_EVTINJ_TYPE_MASK;
	u32 vector = info & SVM_EVTINJ_VEC_MASK;

	if (type == SVM_EVTINJ_TYPE_SOFT)
		return false;
	return type != SVM_EVTINJ_TYPE_EXEPT ||
	       (vector != X86_TRAP_BP && vector != X86_TRAP_OF);
}

int svm_handle_exit(struct plumb_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	u64 code = vmcb->control.exit_code;
	u32 info = vmcb->control.exit_int_info;
	u32 injected = vmcb->control.event_inj;

	/*
	 * An event we injected is consumed by this entry, unless its delivery
	 * was cut short (a nested page fault on the IDT or the stack, say):
	 * then it is in EXITINTINFO and goes in again (APM 15.7.2), but for
	 * the instructions svm_reinject() leaves to run again; a #BP or #OF
	 * that we injected ourselves (SET_VCPU_EVENTS) is no instruction.
	 */
	vmcb->control.event_inj = 0;
	if ((info & SVM_EVTINJ_VALID) &&
	    (svm_reinject(info) || info == injected)) {
		vmcb->control.event_inj = info;
		vmcb->control.event_inj_err = vmcb->control.exit_int_info_err;
	}
	/* The guest is past the IRET we intercepted: it completed. */
	if (svm->awaiting_iret && vmcb->save.rip != svm->iret_rip) {
		svm->awaiting_iret = false;
		svm->nmi_masked = false;
	}

	/* VMRUN refused the guest state (QEMU stores the code as 32 bits). */
	if (code == SVM_EXIT_INVALID || code == (u32)SVM_EXIT_INVALID) {
		struct plumb_exit *e = plumb_ring_next(vcpu,
						       PLUMB_EXIT_FAIL_ENTRY);

		e->fail_entry.hardware_reason = code;
		e->fail_entry.cpu = READ_ONCE(vcpu->cpu);
		plumb_ring_commit(vcpu, e, NULL);
		return 0;
	}
	plumb_stat_exit(&vcpu->stats, code < SVM_EXIT_MAX ?
			svm_exit_reasons[code] : PLUMB_XR_OTHER);
	if (code < SVM_EXIT_MAX && svm_exit_handlers[code])
		return svm_exit_handlers[code](vcpu);

	{
		u64 data[4] = { code, vmcb->control.exit_info_1,
				vmcb->control.exit_info_2, vmcb->save.rip };

		pr_warn_ratelimited("vCPU %u: unhandled SVM exit %#llx (info %#llx %#llx, rip %#llx)\n",
				    vcpu->id, data[0], data[1], data[2],
				    data[3]);
		return plumb_exit_internal(vcpu, PLUMB_INTERNAL_UNHANDLED_EXIT,
					   4, data);
	}
}
