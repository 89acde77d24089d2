/*
 * sipi (64-bit BSP, real-mode AP): vCPU 0 turns its APIC on and starts
 * vCPU 1 (APIC ID 1, waiting for SIPI in the kernel) with INIT and a
 * start-up IPI of vector 2: the AP begins in real mode at 0000:2000 (here,
 * 4 KiB into this image), counts its starts at 0x2104, reports 0xaa plus
 * that count on PORT_VAL32 and sleeps (STI; HLT). The BSP reports 1, waits
 * for the host to set the word at 0x2100 (once the AP sleeps), sends INIT
 * and SIPI again, which must wake and restart the halted AP (it reports
 * 0xac), reports 2 and sleeps. The host ends both with a signal.
 */
#include "guest.h"

#define GO	0x2100		/* set by the host */
#define STARTS	0x2104		/* the AP's count of its starts */

.macro start_ap
	movl	$0x01000000, 0x310(%rbp)	/* APIC ID 1 */
	movl	$0x4500, 0x300(%rbp)		/* INIT, assert, physical */
	movl	$0x01000000, 0x310(%rbp)
	movl	$0x4602, 0x300(%rbp)		/* STARTUP, vector 2 */
.endm

	.globl _start
_start:
	mov	$0xfee00000, %ebp
	movl	$0x1ff, 0xf0(%rbp)		/* APIC on */
	start_ap
	mov	$PORT_VAL32, %dx
	mov	$1, %eax
	out	%eax, %dx
	sti				/* spin with IF=1 (decisions.md 23) */
3:	pause
	cmpl	$0, GO
	je	3b
	start_ap
	mov	$2, %eax
	out	%eax, %dx
1:	sti
	hlt
	jmp	1b

	.org	0x1000			/* guest physical 0x2000 */
	.code16
ap:
	xor	%ax, %ax
	mov	%ax, %ds
	incw	STARTS
	movzwl	STARTS, %eax
	add	$0xaa, %eax
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
2:	sti
	hlt
	jmp	2b

	.org	0x1100			/* GO, STARTS */
	.long	0, 0
