/*
 * msr (64-bit): writes and reads back MSRs the kernel keeps (STAR, LSTAR,
 * PAT, TSC_AUX, an MTRR, an AMD perf counter) and reports each read on
 * PORT_VAL32 (low, high). Then reads MSR 0xdeadbeef, which must raise #GP:
 * with no IDT that is a triple fault, which the host must see.
 */
#include "guest.h"
.macro rw msr, lo, hi
	mov	$\msr, %ecx
	mov	$\lo, %eax
	mov	$\hi, %edx
	wrmsr
	xor	%eax, %eax
	xor	%edx, %edx
	rdmsr
	mov	%edx, %ebx
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	mov	%ebx, %eax
	out	%eax, %dx
.endm
	.globl _start
_start:
	rw	0xc0000081, 0x11223344, 0x00230010	/* STAR */
	rw	0xc0000082, 0xfedcba98, 0xffffffff	/* LSTAR */
	rw	0x277, 0x00070406, 0x00070106		/* PAT */
	rw	0xc0000103, 0x7, 0x0			/* TSC_AUX */
	rw	0x200, 0x6, 0x1				/* MTRRphysBase0 */
	rw	0xc0010004, 0x1234, 0x0			/* PERF_CTR0 */
	mov	$0xdeadbeef, %ecx
	rdmsr
	/* not reached: #GP -> no IDT -> triple fault */
	mov	$PORT_OUT, %dx
	putc	'X'
	hlt
