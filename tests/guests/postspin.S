/*
 * postspin (64-bit): one write of 0x5a to PORT_VAL32, then a loop with no
 * exits of its own, counting in RAX. With PORT_VAL32 a posted range, the
 * write is a record the host must get before the guest's next exit to
 * userspace, which never comes (t_guest posted_flush).
 */
#include "guest.h"
	.globl _start
_start:
	mov	$PORT_VAL32, %dx
	mov	$0x5a, %eax
	out	%eax, %dx
	xor	%eax, %eax
1:	inc	%rax
	jmp	1b
