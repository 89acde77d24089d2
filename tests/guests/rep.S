/*
 * rep (32-bit, paging off): REP OUTSB of 40 bytes up and down, REP INSB of
 * 8 bytes up and down, reporting what INSB stored on PORT_ECHO8.
 */
#include "guest.h"
	.globl _start
_start:
	mov	$PORT_OUT, %dx
	cld
	mov	$msg, %esi
	mov	$40, %ecx
	rep outsb
	std
	mov	$msg + 39, %esi
	mov	$40, %ecx
	rep outsb
	cld

	mov	$PORT_IN8, %dx
	mov	$buf, %edi
	mov	$8, %ecx
	rep insb
	xor	%eax, %eax
	xor	%ecx, %ecx
1:	add	buf(%ecx), %al
	inc	%ecx
	cmp	$8, %ecx
	jne	1b
	mov	$PORT_ECHO8, %dx
	out	%al, %dx		/* 1 + ... + 8 = 36 */

	std
	mov	$PORT_IN8, %dx
	mov	$buf + 7, %edi
	mov	$8, %ecx
	rep insb
	cld
	mov	$PORT_ECHO8, %dx
	mov	buf, %al
	out	%al, %dx		/* the last byte read */
	mov	buf + 7, %al
	out	%al, %dx		/* the first byte read */
	mov	%edi, %eax
	mov	$PORT_VAL32, %dx
	out	%eax, %dx		/* EDI went down by 8 */
	hlt

msg:	.ascii	"0123456789abcdefghijklmnopqrstuvwxyzABCD"
buf:	.fill	8, 1, 0
