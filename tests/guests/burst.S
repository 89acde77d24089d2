/*
 * burst (64-bit): writes RCX bytes to the serial port, byte i being
 * (i ^ (i >> 8)) & 0xff, then reports the count on PORT_VAL32 and halts.
 * The host checks every byte, in order, and counts its RUN returns.
 */
#include "guest.h"
	.globl _start
_start:
	mov	%rcx, %r8
	xor	%ebx, %ebx
	mov	$PORT_OUT, %dx
1:	mov	%rbx, %rax
	shr	$8, %rax
	xor	%bl, %al
	out	%al, %dx
	inc	%rbx
	cmp	%r8, %rbx
	jne	1b
	mov	$PORT_VAL32, %dx
	mov	%ebx, %eax
	out	%eax, %dx
	cli			/* the host may have set IF: HLT must reach it */
	hlt
