/*
 * avx (64-bit): enables x87/SSE/AVX state with XSETBV (the host set
 * CR4.OSXSAVE), loads YMM0-15 from the 16 x 32-byte table the host put at
 * guest physical RSI, then RCX times: exits with an OUT (the host runs,
 * computes with AVX, may migrate) and checks that every register still
 * holds its table entry. Reports the mismatches on PORT_ECHO32 and halts.
 * AVX1 only (Bochs' zambezi has no AVX2).
 */
#include "guest.h"

.macro load n
	vmovdqu	\n*32(%rsi), %ymm\n
.endm
.macro check n
	vxorps	\n*32(%rsi), %ymm\n, %ymm\n
	vptest	%ymm\n, %ymm\n
	jz	1f
	inc	%r9
1:	vmovdqu	\n*32(%rsi), %ymm\n
.endm

	.globl _start
_start:
	mov	%rcx, %r8
	xor	%r9d, %r9d
	xor	%ecx, %ecx
	mov	$7, %eax		/* XCR0: x87 | SSE | AVX */
	xor	%edx, %edx
	xsetbv
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	load	\n
	.endr
	mov	$PORT_VAL32, %dx
2:	mov	%r8d, %eax
	out	%eax, %dx
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	check	\n
	.endr
	dec	%r8
	jnz	2b
	mov	$PORT_ECHO32, %dx
	mov	%r9d, %eax
	out	%eax, %dx
	cli			/* the host may have set IF: HLT must reach it */
	hlt
