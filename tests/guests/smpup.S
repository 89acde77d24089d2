/*
 * smpup (64-bit BSP, real-mode APs): the BSP reads the number of logical
 * CPUs from CPUID.1:EBX[23:16], starts every other vCPU at once with a
 * broadcast INIT and start-up IPI (all excluding self, vector 2), and
 * waits until each AP, which begins in real mode at 0000:2000, has added
 * one to the count at 0x2100 (LOCK INC) and halted with IF=0. Then it
 * writes the number of CPUs up (APs + itself) to port 0xf4: `plumb run`
 * exits with (n << 1) | 1. An AP that never starts leaves the BSP
 * spinning: the test's time limit and SIGQUIT's dump tell which.
 */
#include "guest.h"

#define COUNT	0x2100

	.globl _start
_start:
	mov	$1, %eax
	cpuid
	shr	$16, %ebx
	movzbl	%bl, %ebx
	dec	%ebx				/* APs to wait for */
	mov	$0xfee00000, %ebp
	movl	$0x1ff, 0xf0(%rbp)		/* APIC on */
	movl	$0xc4500, 0x300(%rbp)		/* INIT, assert, all but self */
	movl	$0xc4602, 0x300(%rbp)		/* STARTUP, vector 2, all but self */
	sti				/* spin with IF=1 (decisions.md 23) */
1:	pause
	cmp	COUNT, %ebx
	jne	1b
	lea	1(%rbx), %eax
	out	%al, $0xf4
	cli
	hlt

	.org	0x1000			/* guest physical 0x2000 */
	.code16
ap:
	xor	%ax, %ax
	mov	%ax, %ds
	lock incl COUNT
	cli
2:	hlt
	jmp	2b

	.org	0x1100			/* COUNT */
	.long	0
