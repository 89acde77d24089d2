/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Speculative-execution mitigations around the world switch: which ones
 * plumb applies, and which host CPU bugs it leaves open (docs/security.md).
 *
 * The decision is pure code like apic.c: the host is described as a set
 * of facts, one bit each, taken from the kernel's own X86_BUG_* and
 * X86_FEATURE_* bits by spec_host.c (the features are the ones the host
 * kernel forces on when it mitigates a bug, e.g. X86_FEATURE_RSB_VMEXIT,
 * so plumb follows the administrator's mitigations= choices as KVM does).
 * plumb_spec_decide() turns them into actions and open bugs. The same
 * spec.c builds into plumb.ko and into tests/unit/test_spec.c.
 *
 * The actions that live in the world-switch assembly are ALTERNATIVEs
 * keyed on the same X86_FEATURE_* bits; the rules in spec.c must say
 * exactly what those alternatives do, so that the load-time line is true.
 */
#ifndef PLUMB_SPEC_H
#define PLUMB_SPEC_H

/* Flags of the world-switch entry points (vmx/vmenter.S, svm/vmenter.S). */
#define PLUMB_ENTER_RESUME		0x1	/* VMX: VMRESUME, not VMLAUNCH */
#define PLUMB_ENTER_HOST_SPEC_CTRL	0x2	/* write the host's SPEC_CTRL after exit */

#ifndef __ASSEMBLY__

#include "pure.h"

/* What the host is and what its kernel does: bit numbers of a u64. */
enum plumb_spec_fact {
	PSF_VMX,		/* the backend is VMX (else SVM) */
	PSF_MITIGATIONS_OFF,	/* the host kernel runs with mitigations=off */
	/* CPU bugs: X86_BUG_* */
	PSF_BUG_SPECTRE_V2,
	PSF_BUG_EIBRS_PBRSB,
	PSF_BUG_RETBLEED,
	PSF_BUG_SRSO,
	PSF_BUG_L1TF,
	PSF_BUG_MDS,
	PSF_BUG_TAA,
	PSF_BUG_MMIO,		/* MMIO_STALE_DATA or MMIO_UNKNOWN */
	PSF_BUG_RFDS,
	PSF_BUG_TSA,
	PSF_BUG_BHI,
	PSF_BUG_VMSCAPE,
	PSF_BUG_ITLB_MULTIHIT,
	/* The host kernel's mitigations and the CPU's features. */
	PSF_RSB_VMEXIT,		/* X86_FEATURE_RSB_VMEXIT */
	PSF_RSB_VMEXIT_LITE,	/* X86_FEATURE_RSB_VMEXIT_LITE */
	PSF_EIBRS_ON,		/* enhanced/automatic IBRS in use */
	PSF_USE_IBPB,		/* X86_FEATURE_USE_IBPB */
	PSF_MSR_SPEC_CTRL,	/* X86_FEATURE_MSR_SPEC_CTRL */
	PSF_KERNEL_IBRS,	/* X86_FEATURE_KERNEL_IBRS */
	PSF_CALL_DEPTH,		/* X86_FEATURE_CALL_DEPTH (6.12) */
	PSF_UNRET,		/* X86_FEATURE_UNRET */
	PSF_ENTRY_IBPB,		/* X86_FEATURE_ENTRY_IBPB */
	PSF_IBPB_ON_VMEXIT,	/* X86_FEATURE_IBPB_ON_VMEXIT */
	PSF_SRSO_SAFE_RET,	/* X86_FEATURE_SRSO */
	PSF_SRSO_ALIAS,		/* X86_FEATURE_SRSO_ALIAS */
	PSF_CLEAR_CPU_BUF,	/* X86_FEATURE_CLEAR_CPU_BUF */
	PSF_CLEAR_CPU_BUF_VM,	/* X86_FEATURE_CLEAR_CPU_BUF_VM */
	PSF_RTM,		/* X86_FEATURE_RTM (TSX still on) */
	PSF_L1TF_FLUSH,		/* l1tf= asks for the VM-entry flush */
	PSF_FLUSH_L1D,		/* X86_FEATURE_FLUSH_L1D (MSR_IA32_FLUSH_CMD) */
	PSF_SKIP_L1DFL,		/* ARCH_CAP_SKIP_VMENTRY_L1DFLUSH */
	PSF_CLEAR_BHB_VMEXIT,	/* X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT */
	PSF_BHI_DIS_S,		/* X86_FEATURE_CLEAR_BHB_HW */
	PSF_IBPB_EXIT_TO_USER,	/* X86_FEATURE_IBPB_EXIT_TO_USER */
	PSF_NR
};

#define PSF(f)	((u64)1 << (PSF_##f))

/* What plumb does (struct plumb_spec_policy.actions). */
enum plumb_spec_action {
	PSA_RSB_FILL,		/* exit: overwrite all 32 RSB entries */
	PSA_RSB_ONE,		/* exit: one retired CALL (PBRSB) */
	PSA_VERW,		/* entry: clear CPU buffers */
	PSA_L1D_FLUSH,		/* VMX entry: MSR_IA32_FLUSH_CMD */
	PSA_IBPB_VM,		/* entry on a CPU that last ran another VM */
	PSA_HOST_SPEC_CTRL,	/* exit: write the host's SPEC_CTRL */
	PSA_UNTRAIN_RET,	/* SVM exit: untrain the return predictor */
	PSA_IBPB_EXIT,		/* SVM exit: IBPB */
	PSA_CLEAR_BHB,		/* VMX exit: clear branch history */
	PSA_IBPB_USER,		/* exit: IBPB before the next return to user */
	PSA_NR
};

#define PSA(a)	(1u << (PSA_##a))

struct plumb_spec_policy {
	u32 actions;		/* PSA() bits */
	u64 open;		/* PSF(BUG_*) bits: host bugs left open */
};

/* The unmitigated= module parameter. */
enum plumb_spec_accept {
	PLUMB_SPEC_AUTO,	/* refuse, unless the host has mitigations=off */
	PLUMB_SPEC_ALLOW,	/* load anyway: the administrator accepts it */
	PLUMB_SPEC_REFUSE,	/* refuse whenever a bug is open */
};

void plumb_spec_decide(u64 facts, struct plumb_spec_policy *p);
bool plumb_spec_refuse(u64 facts, const struct plumb_spec_policy *p,
		       enum plumb_spec_accept accept);
int plumb_spec_parse_accept(const char *s, enum plumb_spec_accept *accept);
const char *plumb_spec_bug_name(unsigned int fact);
const char *plumb_spec_action_name(unsigned int action);
/* "rsb-fill verw" / "spectre_v2 l1tf": the names, or "none". */
void plumb_spec_format_actions(u32 actions, char *buf, size_t len);
void plumb_spec_format_bugs(u64 bugs, char *buf, size_t len);

#endif /* __ASSEMBLY__ */
#endif /* PLUMB_SPEC_H */
