/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMX world switch (SDM Vol. 3C 26-28).
 *
 * int plumb_vmx_enter(u64 *regs, u32 flags, u64 host_spec_ctrl)
 *
 * regs[] holds the guest GPRs in x86 encoding order; regs[4] (RSP) is not
 * touched here (it travels in GUEST_RSP: vmx_write_guest, vmx_read_guest).
 * flags: PLUMB_ENTER_RESUME (VMRESUME, not VMLAUNCH),
 * PLUMB_ENTER_HOST_SPEC_CTRL (write host_spec_ctrl to SPEC_CTRL after the
 * exit). Called with host interrupts off: a host interrupt
 * arriving in the guest exits it (external-interrupt exiting) and is taken
 * when the caller enables interrupts again. VM exit loads RSP from
 * HOST_RSP, written here, and continues at plumb_vmx_exit (HOST_RIP), with
 * the regs pointer, the flags and host_spec_ctrl on top of the stack.
 * Everything else of the host (CRs, segments, EFER, PAT) the CPU reloads
 * from the VMCS host-state area.
 *
 * Speculation (docs/security.md): CPU buffers are cleared last before
 * entry, and after the exit, before the first RET or indirect branch, the
 * RSB is refilled, the host's SPEC_CTRL written back and branch history
 * cleared. Each is an ALTERNATIVE on the host's own X86_FEATURE_* bit, as
 * in KVM; spec.c says the same for the load-time line.
 *
 * Returns 0 after a VM exit (including a VM-entry failure exit), 1 when
 * VMLAUNCH/VMRESUME itself failed (VMfail: read VM_INSTRUCTION_ERROR).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>

#include "../spec.h"
#include "../spec_asm.h"

#define GUEST(n)	((n) * 8)
#define HOST_RSP	0x6c14
/* Above the regs pointer on the stack, from plumb_vmx_enter's pushes. */
#define FLAGS		8
#define SPEC_CTRL	16

.section .text
SYM_FUNC_START(plumb_vmx_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdx			/* host SPEC_CTRL */
	push	%rsi			/* flags */
	push	%rdi			/* guest regs, for the exit path */

	mov	$HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lfail

	/*
	 * CF from here to VMLAUNCH/VMRESUME: movs leave the flags alone and
	 * VERW writes only ZF.
	 */
	bt	$0, %esi		/* PLUMB_ENTER_RESUME */
	mov	%rdi, %rax
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
	mov	GUEST(0)(%rax), %rax

	/* MDS, TAA, RFDS: no host data left in CPU buffers (uses a memory operand). */
	PLUMB_CLEAR_CPU_BUFFERS

	UNWIND_HINT_SAVE
	jc	.Lresume
	vmlaunch
	jmp	.Lfail
.Lresume:
	vmresume
	jmp	.Lfail

SYM_INNER_LABEL(plumb_vmx_exit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	/* RSP is HOST_RSP: the guest regs pointer is on top. */
	push	%rax
	mov	8(%rsp), %rax
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
	popq	GUEST(0)(%rax)

	/* Leave no guest value in a register the host may speculate on. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	/*
	 * Before the first RET: an RSB the guest filled must not predict
	 * host returns (Spectre v2, and PBRSB with eIBRS).
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE
	PLUMB_RESTORE_HOST_SPEC_CTRL FLAGS, SPEC_CTRL
	CLEAR_BRANCH_HISTORY_VMEXIT

	xor	%eax, %eax
	jmp	.Lout

.Lfail:
	mov	$1, %eax
.Lout:
	pop	%rdi
	add	$16, %rsp		/* flags, host SPEC_CTRL */
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(plumb_vmx_enter)
