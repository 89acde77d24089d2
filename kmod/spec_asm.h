/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The assembly half of the speculation mitigations (spec.h), shared by
 * vmx/vmenter.S and svm/vmenter.S. Each is an ALTERNATIVE on the host
 * kernel's own X86_FEATURE_* bit, patched when plumb.ko is loaded, and
 * spec.c's rules name exactly these conditions. Written here rather than
 * taken from asm/nospec-branch.h because 6.1 and 6.12 differ there
 * (UNTRAIN_RET_VM is 6.12's), and because the VMX switch needs VERW both
 * for X86_FEATURE_CLEAR_CPU_BUF (Intel's MDS family) and _VM (AMD's TSA).
 */
#ifndef PLUMB_SPEC_ASM_H
#define PLUMB_SPEC_ASM_H

#ifdef __ASSEMBLY__

#include <asm/alternative.h>
#include <asm/cpufeatures.h>
#include <asm/msr-index.h>

/*
 * Last before entry: flush the CPU buffers (MDS, TAA, RFDS, TSA). Only
 * VERW's memory-operand form does; it writes ZF. The VERW stays out of the
 * replacement: 6.1's objtool takes no RIP-relative operand there.
 */
.macro PLUMB_CLEAR_CPU_BUFFERS
	ALTERNATIVE_2 "jmp .Lskip_verw_\@", "", X86_FEATURE_CLEAR_CPU_BUF, \
		"", X86_FEATURE_CLEAR_CPU_BUF_VM
	verw	x86_verw_sel(%rip)
.Lskip_verw_\@:
.endm

/*
 * After the exit, before any indirect branch: the host's SPEC_CTRL (from
 * \flags(%rsp) and \val(%rsp), see plumb_spec_before_entry()). With legacy
 * IBRS the write itself is what fences off predictions the guest trained.
 * The LFENCE keeps the host from running ahead of the decision, as KVM's
 * barrier_nospec() does. Clobbers RAX, RCX, RDX.
 */
.macro PLUMB_RESTORE_HOST_SPEC_CTRL flags:req, val:req
	ALTERNATIVE "jmp .Lspec_ctrl_done_\@", "", X86_FEATURE_MSR_SPEC_CTRL
	testl	$PLUMB_ENTER_HOST_SPEC_CTRL, \flags(%rsp)
	jz	.Lspec_ctrl_fence_\@
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	mov	\val(%rsp), %eax
	mov	\val+4(%rsp), %edx
	wrmsr
.Lspec_ctrl_fence_\@:
	lfence
.Lspec_ctrl_done_\@:
.endm

/*
 * SVM, after the exit and before the first RET: untrain the return
 * predictor (Retbleed on Zen 1/2, SRSO on Zen 3/4), or IBPB where the host
 * chose it (retbleed=ibpb, spec_rstack_overflow=ibpb/ibpb-vmexit).
 * entry_ibpb clobbers RAX, RCX, RDX.
 */
.macro PLUMB_UNTRAIN_RET_VM
	ALTERNATIVE_2 "", "call entry_untrain_ret", X86_FEATURE_UNRET, \
		"call srso_alias_untrain_ret", X86_FEATURE_SRSO_ALIAS
	ALTERNATIVE_2 "", "call entry_ibpb", X86_FEATURE_ENTRY_IBPB, \
		"call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT
.endm

#endif /* __ASSEMBLY__ */
#endif /* PLUMB_SPEC_ASM_H */
