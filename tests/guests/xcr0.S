/*
 * xcr0 (64-bit): XSETBV of each of the RCX 64-bit values in the table at
 * guest physical RSI (the host set CR4.OSXSAVE). For each, reports the
 * value's low dword on PORT_VAL32, then 0 if XSETBV took it or 13 if it
 * raised #GP; the OUT is an exit, so the host enters the guest again with
 * whatever XCR0 the guest now has (security review F1: the host loads
 * it). Finally reports XGETBV's low dword and halts.
 */
#include "guest.h"

	.globl _start
_start:
	mov	%rcx, %r8
	mov	%rsi, %r9
	set_gate 13, gp_handler			/* #GP */
	load_tables
1:	mov	(%r9), %eax
	mov	4(%r9), %edx
	mov	%eax, %ebx
	xor	%ecx, %ecx
	lea	2f(%rip), %r15
	mov	%rsp, %r14
	xsetbv
	xor	%esi, %esi		/* taken */
2:	mov	$PORT_VAL32, %dx
	mov	%ebx, %eax
	out	%eax, %dx
	mov	%esi, %eax
	out	%eax, %dx
	add	$8, %r9
	dec	%r8
	jnz	1b
	xor	%ecx, %ecx
	xgetbv
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	cli
	hlt

/* #GP: ESI = 13, go on at R15 with the old stack. */
gp_handler:
	mov	$13, %esi
	mov	%r14, %rsp
	jmp	*%r15

	tables	14
