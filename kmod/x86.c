// SPDX-License-Identifier: GPL-2.0
/*
 * The intercepted instructions that mean the same on both vendors: CPUID,
 * HLT, INVD and WBINVD, VMCALL/VMMCALL, XSETBV, RDMSR/WRMSR and RDPMC. Both
 * backends' exit tables point here (as KVM's [SVM_EXIT_CPUID] =
 * kvm_emulate_cpuid does); the vendor only says which instruction exited.
 *
 * A handler works on vcpu->regs, steps over its instruction with the
 * backend's skip_instruction (given the architectural length, for SVM
 * without NRIP-save) and raises faults with inject_exception. It returns
 * as the backend's vcpu_run does: 1 go on, 0 a record for userspace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/sysfs.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "backend.h"
#include "cpuid.h"
#include "fpu.h"
#include "vcpu.h"
#include "vm.h"
#include "x86.h"

/* #GP(0) at the next entry; 1, so that an exit handler can return it. */
int plumb_inject_gp(struct plumb_vcpu *vcpu)
{
	plumb_ops->inject_exception(vcpu, X86_TRAP_GP, true, 0);
	return 1;
}

/* #UD: the instructions we offer no emulation of (VMX, SVM, MONITOR). */
int plumb_inject_ud(struct plumb_vcpu *vcpu)
{
	plumb_ops->inject_exception(vcpu, X86_TRAP_UD, false, 0);
	return 1;
}

/* CPUID from the guest's table (plumb_cpuid_lookup). */
int plumb_emulate_cpuid(struct plumb_vcpu *vcpu)
{
	u64 *r = vcpu->regs;
	u32 a, b, c, d;

	plumb_cpuid_lookup(vcpu, r[PLUMB_RAX], r[PLUMB_RCX], &a, &b, &c, &d);
	r[PLUMB_RAX] = a;
	r[PLUMB_RBX] = b;
	r[PLUMB_RCX] = c;
	r[PLUMB_RDX] = d;
	plumb_ops->skip_instruction(vcpu, 2);
	return 1;
}

/*
 * HLT. With interrupts enabled the vCPU sleeps in the kernel until one
 * arrives (vcpu_run); with IF=0 only an NMI or INIT wakes the CPU, so
 * userspace gets the HLT record (decision 80), unless the VM's ABI keeps
 * every HLT in the kernel (KVM's, halt_in_kernel): then it sleeps until
 * one of those, a signal or immediate_exit.
 */
int plumb_emulate_hlt(struct plumb_vcpu *vcpu)
{
	bool masked = !(plumb_ops->get_rflags(vcpu) & X86_EFLAGS_IF);

	plumb_ops->skip_instruction(vcpu, 1);
	vcpu->stats.halts++;
	if (!masked || vcpu->vm->halt_in_kernel) {
		vcpu->halted = true;
		vcpu->halted_masked = masked;
		return 1;
	}
	plumb_ring_commit(vcpu, plumb_ring_next(vcpu, PLUMB_EXIT_HLT), NULL);
	return 0;
}

/* INVD: nothing cached to drop, guest memory is write-back host memory. */
int plumb_emulate_invd(struct plumb_vcpu *vcpu)
{
	plumb_ops->skip_instruction(vcpu, 2);
	return 1;
}

/*
 * WBINVD (security review F9): intercepted on both backends and done as a
 * no-op, as KVM does without non-coherent DMA: guest memory is ordinary
 * write-back host memory, and a guest that flushes every cache of the
 * host in a loop would stall all of its CPUs. Counted module-wide
 * (/sys/module/plumb/parameters/wbinvd_exits) so tests can see it.
 */
static atomic_long_t wbinvd_exits;

static int wbinvd_exits_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&wbinvd_exits));
}

static const struct kernel_param_ops wbinvd_exits_ops = {
	.get = wbinvd_exits_get,
};
module_param_cb(wbinvd_exits, &wbinvd_exits_ops, NULL, 0444);
MODULE_PARM_DESC(wbinvd_exits, "guest WBINVDs intercepted (read-only)");

int plumb_emulate_wbinvd(struct plumb_vcpu *vcpu)
{
	atomic_long_inc(&wbinvd_exits);
	plumb_ops->skip_instruction(vcpu, 2);
	return 1;
}

/* The hypercall's result, from userspace's reply. */
static int complete_hypercall(struct plumb_vcpu *vcpu,
			      const struct plumb_exit *reply)
{
	vcpu->regs[PLUMB_RAX] = reply->hypercall.ret;
	return 0;
}

/* KVM's answer to a hypercall it does not offer (-KVM_ENOSYS). */
#define PLUMB_HC_ENOSYS		((u64)-1000)

/*
 * VMCALL/VMMCALL: a record for userspace, RAX the number, RBX, RCX, RDX,
 * RSI the arguments; its reply becomes RAX. A VM whose ABI has no
 * hypercall records (KVM's: its PV hypercalls are not offered) gets
 * KVM's -ENOSYS in RAX.
 */
int plumb_emulate_hypercall(struct plumb_vcpu *vcpu)
{
	struct plumb_exit *e;

	plumb_ops->skip_instruction(vcpu, 3);
	if (!vcpu->vm->hypercall_exits) {
		vcpu->regs[PLUMB_RAX] = PLUMB_HC_ENOSYS;
		return 1;
	}
	e = plumb_ring_next(vcpu, PLUMB_EXIT_HYPERCALL);
	e->hypercall.nr = vcpu->regs[PLUMB_RAX];
	e->hypercall.args[0] = vcpu->regs[PLUMB_RBX];
	e->hypercall.args[1] = vcpu->regs[PLUMB_RCX];
	e->hypercall.args[2] = vcpu->regs[PLUMB_RDX];
	e->hypercall.args[3] = vcpu->regs[PLUMB_RSI];
	plumb_ring_commit(vcpu, e, complete_hypercall);
	return 0;
}

/* XSETBV: EDX:EAX into XCR[ECX], if plumb_set_xcr() allows it, else #GP. */
int plumb_emulate_xsetbv(struct plumb_vcpu *vcpu)
{
	u64 *r = vcpu->regs;
	u64 v = (u32)r[PLUMB_RAX] | (r[PLUMB_RDX] << 32);

	if (plumb_set_xcr(vcpu, r[PLUMB_RCX], v))
		return plumb_inject_gp(vcpu);
	plumb_ops->skip_instruction(vcpu, 3);
	return 1;
}

/* Userspace answered an MSR record: #GP if it says so, else done. */
static int complete_msr(struct plumb_vcpu *vcpu, const struct plumb_exit *reply)
{
	if (reply->msr.error)
		plumb_inject_gp(vcpu);
	else
		plumb_ops->skip_instruction(vcpu, 2);
	return 0;
}

/* ... and a read's value goes into EDX:EAX. */
static int complete_rdmsr(struct plumb_vcpu *vcpu,
			  const struct plumb_exit *reply)
{
	if (!reply->msr.error) {
		vcpu->regs[PLUMB_RAX] = (u32)reply->msr.data;
		vcpu->regs[PLUMB_RDX] = reply->msr.data >> 32;
	}
	return complete_msr(vcpu, reply);
}

/*
 * An MSR nobody in the kernel knows: #GP, or, when userspace asked for
 * them (PLUMB_MSR_EXIT_UNKNOWN), a record it must reply to. RIP stays on
 * the instruction until the reply.
 */
static int msr_unknown(struct plumb_vcpu *vcpu, u32 index, bool write,
		       u64 data)
{
	struct plumb_exit *e;

	if (!(READ_ONCE(vcpu->vm->msr_exits) & PLUMB_MSR_EXIT_UNKNOWN))
		return plumb_inject_gp(vcpu);
	e = plumb_ring_next(vcpu, PLUMB_EXIT_MSR);
	e->msr.index = index;
	e->msr.is_write = write;
	e->msr.data = write ? data : 0;
	plumb_ring_commit(vcpu, e, write ? complete_msr : complete_rdmsr);
	return 0;
}

/* RDMSR: ECX's MSR into EDX:EAX (the backend's get_msr). */
int plumb_emulate_rdmsr(struct plumb_vcpu *vcpu)
{
	u32 index = vcpu->regs[PLUMB_RCX];
	u64 data;
	int ret;

	ret = plumb_ops->get_msr(vcpu, index, &data);
	if (ret == -ENOENT)
		return msr_unknown(vcpu, index, false, 0);
	if (ret)
		return plumb_inject_gp(vcpu);
	vcpu->regs[PLUMB_RAX] = (u32)data;
	vcpu->regs[PLUMB_RDX] = data >> 32;
	plumb_ops->skip_instruction(vcpu, 2);
	return 1;
}

/* WRMSR: EDX:EAX into ECX's MSR (the backend's set_msr). */
int plumb_emulate_wrmsr(struct plumb_vcpu *vcpu)
{
	u32 index = vcpu->regs[PLUMB_RCX];
	u64 data = (u32)vcpu->regs[PLUMB_RAX] | (vcpu->regs[PLUMB_RDX] << 32);
	int ret;

	ret = plumb_ops->set_msr(vcpu, index, data);
	if (ret == -ENOENT)
		return msr_unknown(vcpu, index, true, data);
	if (ret)
		return plumb_inject_gp(vcpu);
	plumb_ops->skip_instruction(vcpu, 2);
	return 1;
}

/* No PMU is offered: RDPMC must not read the host's counters. */
int plumb_emulate_rdpmc(struct plumb_vcpu *vcpu)
{
	return plumb_inject_gp(vcpu);
}
