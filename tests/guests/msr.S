/*
 * msr (64-bit): writes and reads back MSRs the kernel keeps (STAR, LSTAR,
 * PAT, TSC_AUX, an MTRR; an AMD perf counter, which reads 0) and reports
 * each read on
 * PORT_VAL32 (low, high); reads TSC_AUX back with RDTSCP too. Then, with
 * its own GDT and IDT:
 *   1. RDMSR 0xdeadbeef must raise #GP (the handler reports vector 13 and
 *      the error code);
 *   2. after the host asked for MSR exits: RDMSR 0xdeadbeef is answered by
 *      the host (reported), WRMSR 0xdeadbeef reaches the host, and
 *      RDMSR 0xdeadbef0, refused by the host, raises #GP again;
 *   3. RDPMC raises #GP (no PMU is offered). Halts.
 */
#include "guest.h"
.macro rw msr, lo, hi
	mov	$\msr, %ecx
	mov	$\lo, %eax
	mov	$\hi, %edx
	wrmsr
	xor	%eax, %eax
	xor	%edx, %edx
	rdmsr
	mov	%edx, %ebx
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	mov	%ebx, %eax
	out	%eax, %dx
.endm
	.globl _start
_start:
	set_gate 13, gp_handler			/* #GP */
	load_tables

	rw	0xc0000081, 0x11223344, 0x00230010	/* STAR */
	rw	0xc0000082, 0xfedcba98, 0xffffffff	/* LSTAR */
	rw	0x277, 0x00070406, 0x00070106		/* PAT */
	rw	0xc0000103, 0x7, 0x0			/* TSC_AUX */
	rw	0x200, 0x6, 0x1				/* MTRRphysBase0 */
	rw	0xc0010004, 0x1234, 0x0			/* PERF_CTR0 */
	rdtscp						/* ECX = TSC_AUX */
	mov	%ecx, %eax
	mov	$PORT_VAL32, %dx
	out	%eax, %dx

	lea	phase2(%rip), %r15
	mov	%rsp, %r14
	mov	$0xdeadbeef, %ecx
	rdmsr				/* #GP */
	mov	$PORT_OUT, %dx		/* not reached */
	putc	'X'
	hlt

phase2:
	mov	$0xdeadbeef, %ecx
	rdmsr				/* the host answers */
	mov	%edx, %ebx
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	mov	%ebx, %eax
	out	%eax, %dx
	mov	$0xdeadbeef, %ecx
	mov	$0xf00d, %eax
	mov	$0xcafe, %edx
	wrmsr				/* the host sees it */
	mov	$PORT_VAL32, %dx
	mov	$1, %eax
	out	%eax, %dx
	lea	done(%rip), %r15
	mov	$0xdeadbef0, %ecx
	rdmsr				/* the host refuses: #GP */
	mov	$PORT_OUT, %dx
	putc	'Y'
done:
	lea	done2(%rip), %r15
	xor	%ecx, %ecx
	rdpmc				/* no PMU: #GP, never the host's counter */
	mov	$PORT_OUT, %dx
	putc	'Z'
done2:
	hlt

/* Report vector 13 and the error code, go on at R15 with the old stack. */
gp_handler:
	mov	$PORT_VAL32, %dx
	mov	$13, %eax
	out	%eax, %dx
	pop	%rax
	out	%eax, %dx
	mov	%r14, %rsp
	jmp	*%r15

	tables	14
