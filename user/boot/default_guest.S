/* SPDX-License-Identifier: GPL-2.0 */
/* The default guest's ELF image, built from guest/ by the Makefile. */
	.section .rodata
	.globl	plumb_default_guest
	.globl	plumb_default_guest_end
	.balign	16
plumb_default_guest:
	.incbin	"user/guest/default.elf"
plumb_default_guest_end:
	.section .note.GNU-stack, "", @progbits
