/*
 * cpuid (32-bit): reports CPUID(0x40000000) and CPUID(7, ECX=1) EBX on
 * PORT_VAL32, then halts. The host set the table; it checks the values.
 */
#include "guest.h"
	.globl _start
_start:
	mov	$0x40000000, %eax
	xor	%ecx, %ecx
	cpuid
	mov	%edx, %esi		/* DX is about to hold the port */
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	mov	%ebx, %eax
	out	%eax, %dx
	mov	%ecx, %eax
	out	%eax, %dx
	mov	%esi, %eax
	out	%eax, %dx
	mov	$7, %eax
	mov	$1, %ecx
	cpuid
	mov	%ebx, %eax
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	hlt
