/*
 * hello: port I/O in every mode (built as hello-16, hello-32, hello-64).
 * Writes "hello\n" to PORT_OUT, echoes an 8-bit and a 32-bit IN back + 1,
 * then halts. Loaded and entered at 0x1000.
 */
#include "guest.h"
	.globl _start
_start:
	mov	$PORT_OUT, %dx
	putc	'h'
	putc	'e'
	putc	'l'
	putc	'l'
	putc	'o'
	putc	'\n'
	mov	$PORT_IN8, %dx
	in	%dx, %al
	inc	%al
	mov	$PORT_ECHO8, %dx
	out	%al, %dx
	mov	$PORT_IN32, %dx
	in	%dx, %eax
	inc	%eax
	mov	$PORT_ECHO32, %dx
	out	%eax, %dx
	hlt
	/* a second RUN after HLT continues here */
	mov	$PORT_OUT, %dx
	putc	'!'
	hlt
