/*
 * wbinvd (64-bit): RCX WBINVDs in a loop (security review F9: each must
 * be intercepted), then reports the count on PORT_VAL32 and halts.
 */
#include "guest.h"

	.globl _start
_start:
	mov	%rcx, %rbx
1:	wbinvd
	dec	%rcx
	jnz	1b
	mov	%ebx, %eax
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	cli
	hlt
