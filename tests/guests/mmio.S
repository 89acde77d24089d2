/*
 * mmio (64-bit): MOV forms on unbacked guest-physical memory at
 * 0xd0000000 (RBX), each an MMIO record, writes and reads; then a read and
 * a write on the read-only slot at 0x500000 (R11). Reads are reported on
 * PORT_VAL32 (32 bits, or low then high for 64).
 */
#include "guest.h"
	.globl _start
_start:
	mov	$0xd0000000, %ebx
	movb	$0x5a, (%rbx)
	movw	$0x1234, 2(%rbx)
	mov	$0xdeadbeef, %ecx
	movl	%ecx, 4(%rbx)
	mov	$0x1122334455667788, %r9
	movq	%r9, 8(%rbx)
	mov	$0x4142, %eax
	movb	%ah, 16(%rbx)
	mov	$0x80, %esi
	movb	%sil, 17(%rbx)

	mov	$PORT_VAL32, %dx
	movl	0x20(%rbx), %eax
	out	%eax, %dx
	movzbl	0x24(%rbx), %ecx
	mov	%ecx, %eax
	out	%eax, %dx
	movsbl	0x25(%rbx), %ecx
	mov	%ecx, %eax
	out	%eax, %dx
	movq	0x28(%rbx), %r10
	mov	%r10d, %eax
	out	%eax, %dx
	shr	$32, %r10
	mov	%r10d, %eax
	out	%eax, %dx
	mov	$-1, %rax
	movw	0x30(%rbx), %ax		/* 16-bit load keeps the upper bits */
	out	%eax, %dx

	mov	$0x500000, %r11d
	movzbl	(%r11), %eax		/* RAM: no exit */
	out	%eax, %dx
	movb	$0x99, (%r11)		/* read-only: an MMIO write */
	movzbl	(%r11), %eax		/* still the old value */
	out	%eax, %dx
	hlt
