/*
 * apic (64-bit): the in-kernel local APIC seen from a guest. With its own
 * GDT and IDT (vector 0x40: timer, 0x41: IPI; both count at 0x3000/0x3008
 * and EOI) it reports on PORT_VAL32:
 *   1. the xAPIC ID; CR8 and the TPR are one register: CR8 = 5 reads
 *      back as TPR 0x50, TPR 0x30 as CR8 3 (reported as 0x53);
 *   2. one-shot timer of 1 ms, waited for with STI; HLT: count 1;
 *   3. periodic timer of 10 ms, 10 HLTs: count 11, then masked;
 *   4. a fixed self-IPI through the ICR: IPI count 1;
 *   5. TPR 0x50 holds back vector 0x41 (count stays 1), TPR 0 lets it in: 2;
 *   6. x2APIC: the ID from MSR 0x802, a self-IPI through MSR 0x83F: 3;
 *   7. the timer's current count went down (one-shot of 1 s, read twice);
 *   8. a self-NMI through the x2APIC ICR: NMI count 1 (vector 2, no IF);
 *   9. three more, each WRMSR an exit: each delivered, count 4;
 *  10. an NMI whose handler sends itself another: the second waits for
 *      the first's IRET (count seen inside: 5), then runs (count 6),
 *      after the IRET completed: not on the IRET instruction (1);
 *  11. MOV to CR4 with every bit set is #GP (CR4 unchanged): 1;
 *  12. CPUID.1:EDX.APIC follows IA32_APIC_BASE.EN: clear with the APIC
 *      disabled, set again once enabled (0x200 | 1);
 * then CLI; HLT (the host sees HLT).
 */
#include "guest.h"

#define APIC		0xfee00000
#define CNT_TIMER	0x3000
#define CNT_IPI		0x3008
#define X2APIC_ON	0x3010
#define CNT_NMI		0x3018
#define NMI_INSIDE	0x3028
#define NMI6_RIP	0x3030
#define CNT_GP		0x3038

.macro report
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
.endm

	.globl _start
_start:
	mov	$APIC, %ebp
	set_gate	0x40, timer_handler
	set_gate	0x41, ipi_handler
	set_gate	2, nmi_handler
	set_gate	13, gp_handler
	load_tables
	movq	$0, CNT_TIMER
	movq	$0, CNT_IPI
	movq	$0, X2APIC_ON
	movq	$0, CNT_NMI

	movl	$0x1ff, 0xf0(%rbp)		/* SVR: enabled, spurious 0xff */
	mov	0x20(%rbp), %eax		/* 1. ID */
	report
	mov	$5, %eax
	mov	%rax, %cr8
	mov	0x80(%rbp), %ebx		/* TPR */
	movl	$0x30, 0x80(%rbp)
	mov	%cr8, %rax
	or	%ebx, %eax			/* 1b. 0x50 | 3 */
	report
	movl	$0, 0x80(%rbp)

	movl	$0xb, 0x3e0(%rbp)		/* divide by 1 */
	movl	$0x40, 0x320(%rbp)		/* one-shot, vector 0x40 */
	movl	$1000000, 0x380(%rbp)		/* 1 ms */
1:	sti
	hlt
	cli
	cmpq	$1, CNT_TIMER
	jb	1b
	mov	CNT_TIMER, %eax			/* 2. */
	report

	movl	$0x20040, 0x320(%rbp)		/* periodic */
	movl	$10000000, 0x380(%rbp)		/* 10 ms */
2:	sti
	hlt
	cli
	cmpq	$11, CNT_TIMER
	jb	2b
	movl	$0x10040, 0x320(%rbp)		/* masked */
	mov	CNT_TIMER, %eax			/* 3. */
	report

	movl	$0, 0x310(%rbp)
	movl	$0x44041, 0x300(%rbp)		/* self, fixed, vector 0x41 */
	sti
	nop
	cli
	mov	CNT_IPI, %eax			/* 4. */
	report

	movl	$0x50, 0x80(%rbp)		/* TPR class 5 */
	movl	$0x44041, 0x300(%rbp)
	sti
	mov	$1000, %ecx
3:	dec	%ecx
	jnz	3b
	cli
	mov	CNT_IPI, %eax			/* 5a. still 1 */
	report
	movl	$0, 0x80(%rbp)
	sti
	nop
	cli
	mov	CNT_IPI, %eax			/* 5b. 2 */
	report

	mov	$0x1b, %ecx			/* IA32_APIC_BASE */
	rdmsr
	or	$0x400, %eax			/* EXTD: x2APIC */
	wrmsr
	movq	$1, X2APIC_ON
	mov	$0x802, %ecx
	rdmsr
	report					/* 6a. x2APIC ID */
	mov	$0x83f, %ecx
	mov	$0x41, %eax
	xor	%edx, %edx
	wrmsr					/* self IPI */
	sti
	nop
	cli
	mov	CNT_IPI, %eax			/* 6b. 3 */
	report

	mov	$0x838, %ecx			/* initial count: 1 s */
	mov	$1000000000, %eax
	xor	%edx, %edx
	wrmsr
	mov	$0x839, %ecx
	rdmsr
	mov	%eax, %ebx
	mov	$100000, %esi
4:	dec	%esi
	jnz	4b
	rdmsr
	cmp	%ebx, %eax
	setb	%al
	movzbl	%al, %eax			/* 7. 1 if it went down */
	report

	mov	$0x830, %ecx			/* ICR: self, NMI */
	mov	$0x44400, %eax
	xor	%edx, %edx
	wrmsr
	nop
	mov	CNT_NMI, %eax			/* 8. */
	report
	mov	$0x44400, %eax
	wrmsr
	wrmsr
	wrmsr
	nop
	nop
	mov	CNT_NMI, %eax			/* 9. */
	report
	mov	$0x44400, %eax
	wrmsr
	nop
	nop
	mov	NMI_INSIDE, %eax		/* 10a. 5 */
	report
	mov	CNT_NMI, %eax			/* 10b. 6 */
	report
	lea	nmi_iret(%rip), %rax
	cmp	NMI6_RIP, %rax
	setne	%al
	movzbl	%al, %eax			/* 10c. 1: not on the IRET */
	report

	movq	$0, CNT_GP
	mov	%cr4, %rbx
	mov	$-1, %rax
	mov	%rax, %cr4			/* #GP: the handler skips it */
	mov	%cr4, %rax
	cmp	%rax, %rbx
	sete	%al
	movzbl	%al, %eax
	and	CNT_GP, %eax			/* 11. 1 */
	report

	mov	$0x1b, %ecx			/* APIC off (from x2APIC) */
	rdmsr
	and	$~0xc00, %eax
	wrmsr
	mov	$1, %eax
	cpuid
	mov	%edx, %esi
	and	$0x200, %esi			/* 0 now */
	mov	$0x1b, %ecx			/* and on, in xAPIC mode */
	rdmsr
	or	$0x800, %eax
	wrmsr
	mov	$1, %eax
	cpuid
	shr	$9, %edx
	and	$1, %edx
	lea	(%rsi, %rdx), %eax		/* 12. 1 */
	report
	cli
	hlt

gp_handler:					/* skip a 3-byte MOV to CR4 */
	incq	CNT_GP
	addq	$8, %rsp			/* the error code */
	addq	$3, (%rsp)
	iretq

nmi_handler:
	incq	CNT_NMI
	cmpq	$6, CNT_NMI
	jne	2f
	push	%rax
	mov	8(%rsp), %rax			/* where NMI 6 came in */
	mov	%rax, NMI6_RIP
	pop	%rax
2:	cmpq	$5, CNT_NMI
	jne	1f
	push	%rax
	push	%rcx
	push	%rdx
	mov	$0x830, %ecx			/* another self-NMI, from inside */
	mov	$0x44400, %eax
	xor	%edx, %edx
	wrmsr
	nop
	nop
	mov	CNT_NMI, %rax
	mov	%rax, NMI_INSIDE
	pop	%rdx
	pop	%rcx
	pop	%rax
1:
nmi_iret:
	iretq

eoi:
	cmpq	$0, X2APIC_ON
	jne	1f
	movl	$0, 0xb0(%rbp)
	ret
1:	push	%rcx
	push	%rdx
	mov	$0x80b, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	pop	%rdx
	pop	%rcx
	ret

timer_handler:
	push	%rax
	incq	CNT_TIMER
	call	eoi
	pop	%rax
	iretq

ipi_handler:
	push	%rax
	incq	CNT_IPI
	call	eoi
	pop	%rax
	iretq

	tables	0x42
