/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AMD-V (SVM) backend internals (APM Vol. 2 chapter 15; APM Vol. 3
 * Appendix E, CPUID Fn8000_000A).
 */
#ifndef PLUMB_SVM_H
#define PLUMB_SVM_H

#include <linux/bits.h>
#include <linux/types.h>

#include "vmcb.h"

#define SVM_CPUID_81_ECX_SVM		BIT(2)

/* CPUID Fn8000_000A_EDX */
#define SVM_FEAT_NPT			BIT(0)
#define SVM_FEAT_NRIPS			BIT(3)
#define SVM_FEAT_VMCB_CLEAN		BIT(5)
#define SVM_FEAT_FLUSH_BY_ASID		BIT(6)
#define SVM_FEAT_DECODE_ASSISTS		BIT(7)
#define SVM_FEAT_PAUSE_FILTER		BIT(10)
#define SVM_FEAT_VGIF			BIT(16)

/* VM_CR MSR (APM Vol. 2 15.30.1) */
#define SVM_VM_CR_LOCK			BIT_ULL(3)
#define SVM_VM_CR_SVMDIS		BIT_ULL(4)

#define IOPM_SIZE	(3 * PAGE_SIZE)		/* 64K ports + 3 bits */
#define MSRPM_SIZE	(2 * PAGE_SIZE)

struct plumb_vcpu;

struct svm_caps {
	u32 features;		/* CPUID Fn8000_000A_EDX */
	u32 nr_asids;		/* CPUID Fn8000_000A_EBX */
};
extern struct svm_caps svm_caps;

static inline bool svm_has(u32 feature)
{
	return svm_caps.features & feature;
}

struct svm_vm {
	void *iopm;
	void *msrpm;
};

struct svm_vcpu {
	struct vmcb *vmcb;
	int asid_cpu;		/* CPU whose ASID space @vmcb.asid is from */
	u64 asid_gen;
	bool need_flush;	/* the guest's TLB, at the next entry */
	bool nmi_masked;	/* an NMI was injected; no other before IRET */
	/*
	 * The guest's IRET was intercepted (it runs after the intercept):
	 * NMIs stay masked until the guest is seen past @iret_rip.
	 */
	bool awaiting_iret;
	u64 iret_rip;
	bool nmi_singlestep;	/* TF|RF set by us to step over what blocks */
	u64 ss_rflags;		/* the guest's TF|RF when we set ours */
	u64 ss_dr6;		/* the guest's DR6 then */
	u64 db[4];		/* the guest's DR0-3 (DR6, DR7: the VMCB's) */
};

void plumb_svm_enter(u64 vmcb_pa, u64 *regs, u64 host_save_pa, u32 flags,
		     u64 host_spec_ctrl);

/* exit.c */
int svm_handle_exit(struct plumb_vcpu *vcpu);
void svm_nmi_singlestep_off(struct svm_vcpu *svm);
void svm_inject_exception(struct plumb_vcpu *vcpu, u8 vector, bool has_err,
			  u32 err);
void svm_skip_instruction(struct plumb_vcpu *vcpu, unsigned int len);

static inline struct svm_vcpu *to_svm(struct plumb_vcpu *vcpu)
{
	return vcpu->backend;
}

#endif /* PLUMB_SVM_H */
