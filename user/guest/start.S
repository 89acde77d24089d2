/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry of plumb's small multiboot guests (the default guest, the test
 * guests): a multiboot v1 header with flags 0 (the loader reads our ELF
 * program headers, as for kvm-unit-tests), a stack, and main().
 * Entered in 32-bit flat protected mode, paging off, EAX = 0x2BADB002,
 * EBX = the multiboot information.
 */
	.section .multiboot, "a"
	.align 4
	.long	0x1BADB002
	.long	0
	.long	-0x1BADB002

	.text
	.globl	_start
_start:
	mov	$stack_top, %esp
	mov	%eax, mb_magic
	mov	%ebx, mb_info
	call	main
	push	%eax
	call	guest_exit
1:	cli
	hlt
	jmp	1b

	.bss
	.align	16
	.space	16384
stack_top:
