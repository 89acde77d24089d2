/*
 * loop (64-bit): a long computation with no exits. Counts RCX down from
 * the value the host put in RCX, summing into RAX, then reports the sum.
 */
#include "guest.h"
	.globl _start
_start:
	xor	%eax, %eax
1:	add	%rcx, %rax
	dec	%rcx
	jnz	1b
	report64_halt
