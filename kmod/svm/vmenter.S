/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SVM world switch (APM Vol. 2 15.5, 15.6).
 *
 * void plumb_svm_enter(u64 vmcb_pa, u64 *regs, u64 host_save_pa, u32 flags,
 *		       u64 host_spec_ctrl)
 *
 * regs[] holds the guest GPRs in x86 encoding order; its RAX and RSP are not
 * touched here (VMRUN takes them from the VMCB, where svm_vcpu_run copies
 * them in and out). Called with GIF clear and host IF set, so a host
 * interrupt arriving now is held until VMRUN and then exits the guest (INTR
 * intercept). VMRUN saves and restores the host's RSP, RAX, RIP,
 * RFLAGS, segments' selectors, CRs and EFER; the other host GPRs are ours to
 * save. VMLOAD/VMSAVE move the state VMRUN does not (FS/GS/TR/LDTR, the
 * syscall MSRs, KERNEL_GS_BASE): the host's is saved to host_save_pa first
 * and reloaded from it before anything can use GS-relative (per-CPU) data.
 *
 * Speculation (docs/security.md): CPU buffers are cleared right before
 * VMRUN; after the exit, before the first RET, the RSB is refilled, the
 * host's SPEC_CTRL written back (flags: PLUMB_ENTER_HOST_SPEC_CTRL) and the
 * return predictor untrained. Each is an ALTERNATIVE on the host's own
 * X86_FEATURE_* bit, as in KVM; spec.c says the same for the load-time line.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#include "../spec.h"
#include "../spec_asm.h"

#define GUEST(n)	((n) * 8)
/* On the stack once the VMCB, regs and host save pointers are popped. */
#define FLAGS		0
#define SPEC_CTRL	8

.section .text
SYM_FUNC_START(plumb_svm_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%r8			/* host SPEC_CTRL */
	push	%rcx			/* flags */
	push	%rdx			/* host save area */
	push	%rsi			/* guest regs */
	push	%rdi			/* VMCB */

	/* The host's FS/GS/TR/LDTR and syscall MSRs, for the VMLOAD below. */
	mov	%rdx, %rax
	vmsave	%rax

	mov	%rsi, %rax
	mov	GUEST(1)(%rax), %rcx
	mov	GUEST(2)(%rax), %rdx
	mov	GUEST(3)(%rax), %rbx
	mov	GUEST(5)(%rax), %rbp
	mov	GUEST(6)(%rax), %rsi
	mov	GUEST(7)(%rax), %rdi
	mov	GUEST(8)(%rax), %r8
	mov	GUEST(9)(%rax), %r9
	mov	GUEST(10)(%rax), %r10
	mov	GUEST(11)(%rax), %r11
	mov	GUEST(12)(%rax), %r12
	mov	GUEST(13)(%rax), %r13
	mov	GUEST(14)(%rax), %r14
	mov	GUEST(15)(%rax), %r15

	pop	%rax			/* VMCB */
	vmload	%rax
	/* TSA, and the MDS family where the host asks: after it, no host access. */
	PLUMB_CLEAR_CPU_BUFFERS
	vmrun	%rax
	vmsave	%rax

	pop	%rax			/* guest regs */
	mov	%rcx, GUEST(1)(%rax)
	mov	%rdx, GUEST(2)(%rax)
	mov	%rbx, GUEST(3)(%rax)
	mov	%rbp, GUEST(5)(%rax)
	mov	%rsi, GUEST(6)(%rax)
	mov	%rdi, GUEST(7)(%rax)
	mov	%r8, GUEST(8)(%rax)
	mov	%r9, GUEST(9)(%rax)
	mov	%r10, GUEST(10)(%rax)
	mov	%r11, GUEST(11)(%rax)
	mov	%r12, GUEST(12)(%rax)
	mov	%r13, GUEST(13)(%rax)
	mov	%r14, GUEST(14)(%rax)
	mov	%r15, GUEST(15)(%rax)

	pop	%rax			/* host save area */
	vmload	%rax

	/* Before the first RET: no guest-filled RSB entry predicts it. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT
	PLUMB_RESTORE_HOST_SPEC_CTRL FLAGS, SPEC_CTRL
	PLUMB_UNTRAIN_RET_VM

	/* Leave no guest value in a register the host may speculate on. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$16, %rsp		/* flags, host SPEC_CTRL */
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(plumb_svm_enter)
