/*
 * softint (64-bit): INT3 and INT n whose delivery the host interrupts. Each
 * round moves RSP to the top of a page the guest never touched, so the
 * first push of the delivery meets an unmapped nested page: an exit in
 * the middle of the delivery (EXITINTINFO / IDT-vectoring information).
 * The handlers log the RIP the CPU pushed; it must be the instruction
 * after the INT3 or INT n (a trap), whatever the host did with the
 * interrupted delivery. Reports on PORT_VAL32, per round: 1 if INT3's
 * pushed RIP was right (else that RIP's low dword), then the same for
 * INT $0x40; then the number of handler runs; CLI; HLT.
 */
#include "guest.h"

#define ROUNDS	4
#define STACKS	0x300000	/* ROUNDS fresh pages from here */
#define LOGRIP	0x9000		/* the last pushed RIP */
#define NRUNS	0x9008		/* handler runs */

.macro report
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
.endm

/* 1 in EAX if LOGRIP holds \where, else LOGRIP's low dword. */
.macro check where
	lea	\where(%rip), %rcx
	mov	LOGRIP, %rax
	cmp	%rcx, %rax
	jne	1f
	mov	$1, %eax
1:	report
.endm

	.globl _start
_start:
	set_gate	3, handler
	set_gate	0x40, handler
	load_tables
	movq	$0, NRUNS
	mov	%rsp, %r12
	xor	%r13d, %r13d
round:
	mov	%r13, %rsp		/* a fresh page for INT3 ... */
	shl	$13, %rsp
	add	$STACKS + 0x1000, %rsp
	int3
after_int3:
	mov	%r12, %rsp
	check	after_int3
	mov	%r13, %rsp		/* ... and another for INT n */
	shl	$13, %rsp
	add	$STACKS + 0x2000, %rsp
	int	$0x40
after_intn:
	mov	%r12, %rsp
	check	after_intn
	inc	%r13
	cmp	$ROUNDS, %r13
	jne	round
	mov	NRUNS, %eax
	report
	cli			/* the host may have set IF: HLT must reach it */
	hlt

handler:
	mov	(%rsp), %rax
	mov	%rax, LOGRIP
	incq	NRUNS
	iretq

	tables	0x41
