/*
 * sipi (64-bit BSP, real-mode AP): vCPU 0 turns its APIC on and starts
 * vCPU 1 (APIC ID 1, waiting for SIPI in the kernel) with INIT and a
 * start-up IPI of vector 2: the AP begins in real mode at 0000:2000 (here,
 * 4 KiB into this image), reports 0xab on PORT_VAL32 and sleeps. The BSP
 * reports 1 and sleeps. The host ends both with a signal.
 */
#include "guest.h"

	.globl _start
_start:
	mov	$0xfee00000, %ebp
	movl	$0x1ff, 0xf0(%rbp)		/* APIC on */
	movl	$0x01000000, 0x310(%rbp)	/* APIC ID 1 */
	movl	$0x4500, 0x300(%rbp)		/* INIT, assert, physical */
	movl	$0x01000000, 0x310(%rbp)
	movl	$0x4602, 0x300(%rbp)		/* STARTUP, vector 2 */
	mov	$PORT_VAL32, %dx
	mov	$1, %eax
	out	%eax, %dx
1:	sti
	hlt
	jmp	1b

	.org	0x1000			/* guest physical 0x2000 */
	.code16
ap:
	mov	$PORT_VAL32, %dx
	mov	$0xab, %eax
	out	%eax, %dx
2:	sti
	hlt
	jmp	2b
