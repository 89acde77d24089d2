/*
 * ipi (64-bit, two vCPUs sharing memory): RBX = 0 sends, RBX = 1 receives.
 * The receiver (APIC ID 1) sets a ready flag and sleeps in STI;HLT,
 * counting vector 0x41 at 0x3008. The sender waits for the flag, then
 * sends RCX fixed IPIs to APIC ID 1 one by one, each after the last was
 * counted. Both report the count on PORT_VAL32 and then sleep for good
 * (STI;HLT: the host ends them with a signal).
 */
#include "guest.h"

#define APIC		0xfee00000
#define CNT_IPI		0x3008
#define READY		0x3020

	.globl _start
_start:
	mov	$APIC, %ebp
	mov	%rcx, %r8
	set_gate 0x41, ipi_handler
	load_tables
	movl	$0x1ff, 0xf0(%rbp)		/* APIC on */
	test	%rbx, %rbx
	jnz	receiver

	/* sender */
1:	pause
	cmpq	$1, READY
	jne	1b
	xor	%esi, %esi			/* IPIs sent */
2:	inc	%rsi
	movl	$0x01000000, 0x310(%rbp)	/* destination: APIC ID 1 */
	movl	$0x4041, 0x300(%rbp)		/* fixed, physical, 0x41 */
3:	pause
	cmp	CNT_IPI, %rsi
	ja	3b
	cmp	%r8, %rsi
	jb	2b
	mov	CNT_IPI, %eax
	jmp	done

receiver:
	movq	$0, CNT_IPI
	movq	$1, READY
4:	sti
	hlt
	cli
	cmp	CNT_IPI, %r8
	ja	4b
	mov	CNT_IPI, %eax
done:
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
5:	sti
	hlt
	jmp	5b

ipi_handler:
	incq	CNT_IPI
	movl	$0, 0xb0(%rbp)			/* EOI */
	iretq

	tables	0x42
