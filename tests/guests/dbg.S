/*
 * dbg (64-bit): the guest's own debug registers, as a debugger inside it
 * uses them. With a #DB handler (vector 1) that logs DR6 and the RIP of
 * each #DB, then clears DR6 and returns with RF set, it reports on
 * PORT_VAL32 (64-bit values as two dwords, low first):
 *   1. DR0-3 as read at reset: 0 each, whatever the host has in its own;
 *   2. 0x123456789a written to DR2 reads back;
 *   3. DR0 on an instruction (ibp_fn), DR7.L0: one #DB, DR6 B0 (0x1),
 *      at ibp_fn (1 if so);
 *   4. DR1 on a 4-byte write to dvar, DR7.L1: a second #DB, DR6 B1 (0x2),
 *      after the store (1 if so);
 *   5. TF set by POPF: three single-step #DBs (the handler clears TF at
 *      the third), DR6 BS (0x4000);
 * then CLI; HLT. DR6 is reported as DR6 & 0xe00f (B0-3, BD, BS, BT).
 */
#include "guest.h"

#define NDB	0x9000		/* #DBs taken */
#define NSTEP	0x9008		/* of which single steps */
#define DR6LOG	0x9100		/* DR6 of each */
#define RIPLOG	0x9200		/* RIP of each */
#define DVAR	0x9300		/* the watched variable */

.macro report
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
.endm

.macro report64
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	shr	$32, %rax
	out	%eax, %dx
.endm

/* The last #DB's DR6 (masked) and whether its RIP was \where. */
.macro report_last where
	mov	NDB, %rbx
	mov	DR6LOG - 8(,%rbx,8), %rax
	and	$0xe00f, %eax
	report
	lea	\where(%rip), %rcx
	xor	%eax, %eax
	cmp	%rcx, RIPLOG - 8(,%rbx,8)
	sete	%al
	report
.endm

	.globl _start
_start:
	set_gate	1, db_handler
	load_tables
	movq	$0, NDB
	movq	$0, NSTEP

	mov	%db0, %rax			/* 1. */
	report64
	mov	%db1, %rax
	report64
	mov	%db2, %rax
	report64
	mov	%db3, %rax
	report64

	mov	$0x123456789a, %rax		/* 2. */
	mov	%rax, %db2
	xor	%eax, %eax
	mov	%db2, %rax
	report64

	lea	ibp_fn(%rip), %rax		/* 3. */
	mov	%rax, %db0
	mov	$0x1, %eax			/* L0, execute, 1 byte */
	mov	%rax, %db7
	call	ibp_fn
	xor	%eax, %eax
	mov	%rax, %db7
	mov	NDB, %eax
	report
	report_last ibp_fn

	mov	$DVAR, %eax			/* 4. */
	mov	%rax, %db1
	mov	$(1 << 2) | (1 << 20) | (3 << 22), %eax	/* L1, write, 4 bytes */
	mov	%rax, %db7
	movl	$5, DVAR
after_store:
	xor	%eax, %eax
	mov	%rax, %db7
	mov	NDB, %eax
	report
	report_last after_store

	pushf					/* 5. */
	orq	$0x100, (%rsp)
	popf
	nop
	nop
	nop
	nop
	mov	NSTEP, %eax
	report
	mov	NDB, %rbx
	mov	DR6LOG - 8(,%rbx,8), %rax
	and	$0xe00f, %eax
	report
	cli
	hlt

ibp_fn:
	nop
	ret

db_handler:
	push	%rax
	push	%rbx
	mov	%db6, %rax
	mov	NDB, %rbx
	mov	%rax, DR6LOG(,%rbx,8)
	push	%rax
	mov	24(%rsp), %rax			/* the frame's RIP */
	mov	%rax, RIPLOG(,%rbx,8)
	pop	%rax
	incq	NDB
	mov	$0xffff0ff0, %ebx
	mov	%rbx, %db6
	orq	$0x10000, 32(%rsp)		/* RF: past an instruction breakpoint */
	/*
	 * A single step is a #DB that interrupted TF=1 code: DR6 is not
	 * trusted to stop the stepping, since Bochs' SVM leaves it without
	 * BS on an intercepted #DB, and a step into the OUT below would then
	 * leave its pending trap to the host (docs/decisions.md 116).
	 */
	testl	$0x100, 32(%rsp)
	jz	1f
	incq	NSTEP
	cmpq	$3, NSTEP
	jb	1f
	andq	$~0x100, 32(%rsp)		/* TF off after the third step */
1:	pop	%rbx
	pop	%rax
	iretq

	tables	2
