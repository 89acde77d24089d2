/*
 * memsum (64-bit): fills RCX bytes from RSI with a pattern derived from
 * the address, sums the qwords it wrote, reports the sum, halts. The host
 * checks both the sum and the memory it sees.
 */
#include "guest.h"
	.globl _start
_start:
	mov	%rsi, %rdi
	mov	%rcx, %r8
	shr	$3, %r8
	xor	%eax, %eax
1:	mov	%rdi, %rbx
	imul	$0x3779b1, %rbx, %rbx
	mov	%rbx, (%rdi)
	add	(%rdi), %rax
	add	$8, %rdi
	dec	%r8
	jnz	1b
	report64_halt
