/*
 * soakser (64-bit BSP, real-mode AP; `plumb run --cpus 2 --flat
 * soakser-64.bin@0x1000,64`): the soak tests' exit-heavy serial writer
 * (tests/soak/soak_serial.sh). Both vCPUs write numbered lines to COM1,
 * one at a time under a ticket lock in guest memory (fair: with 64 vCPU
 * threads on two CPUs a test-and-set lock let the AP write 30 lines for
 * each of the BSP's), every byte after polling LSR: two exits to the
 * launcher per byte.
 *
 *   "A %08x\n"  the AP's lines, numbered from 0
 *   "B %08x\n"  the BSP's
 *
 * The BSP reads the RTC (binary mode) after each of its lines and adds up
 * the seconds of the day that passed (a vCPU starved for over a minute
 * still counts right); after the count in the dword at 0x2500 (file
 * offset 0x1500, which the test patches; 10 as built) it raises STOP. The
 * AP then writes "a %08x\n" with its line count and sets DONE; the BSP
 * writes "b %08x\n" with its own and leaves through port 0xf4 with 0x2a:
 * `plumb run` exits with status 85. Every byte is known in advance:
 * `t_soak sercheck` checks each.
 */
#include "guest.h"

#define TICKET	0x2400		/* the next ticket of the lock */
#define STOP	0x2404
#define DONE	0x2408
#define SERVING	0x240c		/* the ticket that holds it */
#define SECS	0x2500
#define COM1	0x3f8
#define LSR	0x3fd

	.globl _start
_start:
	mov	$0x0b, %al			/* RTC register B: 24 h, binary */
	out	%al, $0x70
	mov	$0x06, %al
	out	%al, $0x71
	mov	$0xfee00000, %ebp
	movl	$0x1ff, 0xf0(%rbp)		/* APIC on */
	movl	$0xc4500, 0x300(%rbp)		/* INIT, assert, all but self */
	movl	$0xc4602, 0x300(%rbp)		/* STARTUP, vector 2: 0x2000 */
	sti				/* IF=1 (decisions.md 23) */
	xor	%r12d, %r12d			/* seconds counted */
	call	rtc_sec
	mov	%eax, %r13d			/* the last RTC second seen */
	xor	%r14d, %r14d			/* next line number */
1:	mov	$'B', %bl
	mov	%r14d, %esi
	call	line64
	inc	%r14d
	call	rtc_sec
	mov	%eax, %ecx
	sub	%r13d, %ecx
	jns	2f
	add	$86400, %ecx			/* past midnight */
2:	mov	%eax, %r13d
	add	%ecx, %r12d
	cmp	SECS, %r12d
	jb	1b
	movl	$1, STOP
3:	pause
	cmpl	$1, DONE
	jne	3b
	mov	$'b', %bl
	mov	%r14d, %esi
	call	line64
	mov	$0x2a, %al
	out	%al, $0xf4
	cli
	hlt

rtc_sec:				/* EAX = second of the day */
	mov	$0, %al
	call	rtc_reg
	mov	%eax, %r8d
	mov	$4, %al				/* hours */
	call	rtc_reg
	imul	$3600, %eax, %r9d
	mov	$2, %al				/* minutes */
	call	rtc_reg
	imul	$60, %eax, %eax
	add	%eax, %r9d
	mov	$0, %al				/* seconds, again */
	call	rtc_reg
	cmp	%eax, %r8d
	jne	rtc_sec				/* a minute passed meanwhile */
	lea	(%r9, %rax), %eax
	ret

rtc_reg:				/* EAX = RTC register AL */
	out	%al, $0x70
	in	$0x71, %al
	movzbl	%al, %eax
	ret

/* One line: BL its letter, ESI its number, under the ticket lock. */
line64:
	mov	$1, %eax
	lock xadd %eax, TICKET
1:	cmp	SERVING, %eax
	je	2f
	pause
	jmp	1b
2:	mov	%bl, %al
	call	putc64
	mov	$' ', %al
	call	putc64
	mov	$8, %ecx
3:	rol	$4, %esi
	mov	%esi, %eax
	and	$15, %eax
	mov	hexd(%rax), %al
	call	putc64
	dec	%ecx
	jnz	3b
	mov	$'\n', %al
	call	putc64
	lock incl SERVING
	ret

putc64:					/* AL to COM1 once LSR says THRE */
	mov	%al, %ah
	mov	$LSR, %dx
1:	in	%dx, %al
	test	$0x20, %al
	jz	1b
	mov	$COM1, %dx
	mov	%ah, %al
	out	%al, %dx
	ret

hexd:	.ascii	"0123456789abcdef"

	.org	0x1000			/* guest physical 0x2000: the AP */
	.code16
ap:
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	$0x8000, %sp
	sti				/* an AP starts with IF=0 */
	xor	%esi, %esi			/* next line number */
1:	cmpl	$0, STOP
	jne	9f
	mov	$'A', %bl
	call	line16
	inc	%esi
	jmp	1b
9:	mov	$'a', %bl
	call	line16
	movl	$1, DONE
	cli
8:	hlt
	jmp	8b

line16:
	mov	$1, %eax
	lock xadd %eax, TICKET
1:	cmp	SERVING, %eax
	je	2f
	pause
	jmp	1b
2:	mov	%bl, %al
	call	putc16
	mov	$' ', %al
	call	putc16
	mov	$8, %cx
3:	rol	$4, %esi
	mov	%si, %di
	and	$15, %di
	mov	hexd(%di), %al
	call	putc16
	dec	%cx
	jnz	3b
	mov	$'\n', %al
	call	putc16
	lock incl SERVING
	ret

putc16:
	mov	%al, %ah
	mov	$LSR, %dx
1:	in	%dx, %al
	test	$0x20, %al
	jz	1b
	mov	$COM1, %dx
	mov	%ah, %al
	out	%al, %dx
	ret

	.org	0x1400			/* 0x2400: TICKET, STOP, DONE, SERVING */
	.long	0, 0, 0, 0
	.org	0x1500			/* 0x2500: seconds to run */
	.long	10
