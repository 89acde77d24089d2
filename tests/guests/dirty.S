/*
 * dirty (32-bit, paging off): writes and reads single dwords as the host
 * asks, for the dirty-log tests. Each IN from PORT_IN32 is a command, an
 * address with the operation in bits 1:0. 1: write the number of writes
 * so far (from 1) there; 2: read the dword there and report it on
 * PORT_ECHO32; 0: the round is over, OUT 0 on PORT_VAL32. The code and
 * the (unused) stack are in a slot that does not log.
 */
#include "guest.h"
	.globl _start
_start:
	xor	%esi, %esi
next:
	mov	$PORT_IN32, %dx
	in	%dx, %eax
	mov	%eax, %ebx
	and	$~3, %ebx
	and	$3, %eax
	cmp	$1, %eax
	je	write
	cmp	$2, %eax
	je	read
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	jmp	next
write:
	inc	%esi
	mov	%esi, (%ebx)
	jmp	next
read:
	mov	(%ebx), %eax
	mov	$PORT_ECHO32, %dx
	out	%eax, %dx
	jmp	next
