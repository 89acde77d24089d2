/*
 * acloop (32-bit protected mode, paging off): alignment checks at CPL 3.
 * CR0.AM is set, a ring-3 #AC handler is installed (same privilege: no
 * stack switch) and the guest IRETs to ring 3 with EFLAGS.AC, IOPL 3 and
 * ESP = EBX (set by the host), then makes a misaligned load. It reports
 * 0xac on PORT_VAL32 before leaving ring 0.
 *   EBX aligned: the handler counts the #AC, clears AC in the frame and
 *   returns; the load is redone and ring 3 reports the count (1).
 *   EBX misaligned: delivering the #AC pushes on a misaligned stack,
 *   which is another #AC, and so on (CVE-2015-5307): unintercepted, the
 *   host CPU hangs; intercepted, each #AC passes through the host and RUN
 *   ends on a signal (or the emulator ends it in a triple fault).
 * Ring 3 then spins.
 */
#include "guest.h"

#define ACCOUNT	0x9000

	.globl _start
_start:
	lgdt	gdtr
	lidt	idtr
	ljmp	$0x08, $1f
1:	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$ac_handler, %eax		/* gate 17: 0x1b:ac_handler */
	mov	%ax, idt + 17 * 8
	shr	$16, %eax
	mov	%ax, idt + 17 * 8 + 6
	movw	$0x1b, idt + 17 * 8 + 2
	movb	$0xee, idt + 17 * 8 + 5		/* 32-bit interrupt gate, DPL 3 */
	movl	$0, ACCOUNT
	mov	%cr0, %eax
	or	$0x40000, %eax			/* AM */
	mov	%eax, %cr0
	mov	$0xac, %eax
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	push	$0x23				/* SS */
	push	%ebx				/* ESP */
	push	$0x43202			/* AC, IOPL 3, IF */
	push	$0x1b				/* CS */
	push	$user
	iret

user:
	mov	$0x23, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	0x9101, %eax			/* misaligned: #AC */
	mov	ACCOUNT, %eax
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
1:	pause
	jmp	1b

ac_handler:
	incl	ACCOUNT
	add	$4, %esp			/* the error code */
	andl	$~0x40000, 8(%esp)		/* AC off in the frame */
	iret

	.balign 8
gdt:	.quad	0
	.quad	0x00cf9b000000ffff	/* 0x08: ring-0 code */
	.quad	0x00cf93000000ffff	/* 0x10: ring-0 data */
	.quad	0x00cffb000000ffff	/* 0x18: ring-3 code */
	.quad	0x00cff3000000ffff	/* 0x20: ring-3 data */
gdtr:	.word	5 * 8 - 1
	.long	gdt
	.balign 8
idt:	.fill	18 * 8, 1, 0
idtr:	.word	18 * 8 - 1
	.long	idt
