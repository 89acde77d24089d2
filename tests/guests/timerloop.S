/*
 * timerloop (64-bit): a periodic APIC timer (vector 0x40, counted at
 * 0x3000) that the guest keeps rewriting: LVT_TIMER on every iteration
 * (re-arms the running timer), TIMER_ICR every 64th (restarts the count),
 * with interrupts on. Iterations count at 0x3008. Never ends: the host
 * stops it. Every write is an exit that re-arms the host's hrtimer from
 * whichever CPU the vCPU thread is on (t_stress timer_migrate).
 */
#include "guest.h"

#define APIC		0xfee00000
#define CNT_TIMER	0x3000
#define CNT_LOOP	0x3008

	.globl _start
_start:
	mov	$APIC, %ebp
	set_gate	0x40, timer_handler
	load_tables
	movq	$0, CNT_TIMER
	movq	$0, CNT_LOOP
	movl	$0x1ff, 0xf0(%rbp)		/* SVR: enabled, spurious 0xff */
	movl	$0xb, 0x3e0(%rbp)		/* divide by 1 */
	movl	$0x20040, 0x320(%rbp)		/* periodic, vector 0x40 */
	movl	$100000, 0x380(%rbp)		/* the host's floor applies */
	sti
1:	movl	$0x20040, 0x320(%rbp)
	incq	CNT_LOOP
	testq	$63, CNT_LOOP
	jnz	1b
	movl	$100000, 0x380(%rbp)
	jmp	1b

timer_handler:
	incq	CNT_TIMER
	movl	$0, 0xb0(%rbp)			/* EOI */
	iretq

	tables	0x41
