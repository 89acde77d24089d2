/*
 * pkru (64-bit): security review F5. Sets CR4.PKE (reports 13 and halts
 * if that is #GP: no PKU offered), reports 0, then WRPKRU of ESI and
 * reports RDPKRU twice, each an exit: the host checks its own PKRU in
 * between, and the second read shows the guest's value survived the exit.
 */
#include "guest.h"

	.globl _start
_start:
	set_gate 13, gp_handler			/* #GP */
	load_tables
	mov	%cr4, %rax
	or	$(1 << 22), %rax		/* CR4.PKE */
	mov	%rax, %cr4
	mov	$PORT_VAL32, %dx
	xor	%eax, %eax
	out	%eax, %dx
	mov	%esi, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	wrpkru
	.rept 2
	xor	%ecx, %ecx
	rdpkru
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	.endr
	cli
	hlt

gp_handler:
	mov	$PORT_VAL32, %dx
	mov	$13, %eax
	out	%eax, %dx
	cli
	hlt

	tables	14
