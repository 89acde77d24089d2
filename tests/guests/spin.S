/*
 * spin (64-bit): never exits on its own. Counts in the qword at guest
 * physical RSI so the host can see it make progress, and every RCX
 * iterations reads the qword at RDI and reports its low half on
 * PORT_VAL32 (RCX = 0: never). The host stops it with a signal.
 */
#include "guest.h"
	.globl _start
_start:
	mov	%rcx, %r8
	mov	$PORT_VAL32, %dx
1:	mov	%r8, %rcx
2:	incq	(%rsi)
	test	%r8, %r8
	jz	2b
	dec	%rcx
	jnz	2b
	mov	(%rdi), %rax
	out	%eax, %dx
	jmp	1b
