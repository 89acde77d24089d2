/*
 * events (64-bit): takes what the host injects with SET_VCPU_EVENTS. With
 * IF=1 and gates for the NMI (2), #GP (13) and vector 0x41, it loops:
 * OUT 0xaa on PORT_VAL32 (the host sets events now), OUT 0xbb, an IRET to
 * itself (which ends NMI blocking), OUT 0xcc. Each handler reports
 * vector << 16 | error code (0 for those without) and returns.
 */
#include "guest.h"

.macro report
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
.endm

	.globl _start
_start:
	set_gate	2, nmi_h
	set_gate	3, bp_h
	set_gate	13, gp_h
	set_gate	0x41, irq_h
	load_tables
	sti
loop:
	mov	$0xaa, %eax
	report
	mov	$0xbb, %eax
	report
	mov	%ss, %eax		/* IRET to the next instruction */
	push	%rax
	lea	8(%rsp), %rax
	push	%rax
	pushfq
	mov	%cs, %eax
	push	%rax
	lea	1f(%rip), %rax
	push	%rax
	iretq
1:	mov	$0xcc, %eax
	report
	jmp	loop

nmi_h:
	push	%rax
	push	%rdx
	mov	$0x20000, %eax
	report
	pop	%rdx
	pop	%rax
	iretq

gp_h:
	xchg	%rax, (%rsp)		/* the error code; RAX saved in its place */
	push	%rdx
	movzwl	%ax, %eax
	or	$0xd0000, %eax
	report
	pop	%rdx
	pop	%rax
	iretq

bp_h:
	push	%rax
	push	%rdx
	mov	$0x30000, %eax
	report
	pop	%rdx
	pop	%rax
	iretq

irq_h:
	push	%rax
	push	%rdx
	mov	$0x410000, %eax
	report
	pop	%rdx
	pop	%rax
	iretq

	tables	0x42
