/*
 * bench (64-bit): the benchmark guest (bench/exitbench.c). RBX picks the
 * loop, RCX is its count; then it reports on PORT_VAL32 and halts.
 *   0: IN from PORT_IN8       (a port read answered by userspace)
 *   1: CPUID leaf 0           (handled in the kernel)
 *   2: OUT to PORT_OUT        (serial bytes: posted, or one exit each)
 */
#include "guest.h"
	.globl _start
_start:
	mov	%rcx, %r8
	cmp	$1, %rbx
	je	cpuid_loop
	cmp	$2, %rbx
	je	out_loop
	mov	$PORT_IN8, %dx
1:	in	%dx, %al
	dec	%r8
	jnz	1b
	jmp	done
cpuid_loop:
	xor	%eax, %eax
	xor	%ecx, %ecx
	cpuid
	dec	%r8
	jnz	cpuid_loop
	jmp	done
out_loop:
	mov	$PORT_OUT, %dx
	mov	$'.', %al
2:	out	%al, %dx
	dec	%r8
	jnz	2b
done:
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	hlt
