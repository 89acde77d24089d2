/*
 * modes (entered in real mode at 0x1000): climbs through every paging mode
 * a boot loader and kernel use, by itself: real mode -> protected mode
 * (reports 1) -> PAE paging (reports 2, reading a word through the page
 * tables) -> paging off, EFER.LME, paging on: long mode (reports EFER).
 * Each MOV to CR0/CR4 is one the hypervisor may have to follow (VMX:
 * PE/PG/PAE exit; EFER.LMA and PAE's PDPTEs are the hypervisor's to keep).
 */
#include "guest.h"

#define PDPT_PAE	0x3000
#define PD		0x4000
#define PML4		0x5000
#define PDPT_LONG	0x6000

	.globl _start
_start:
	cli
	lgdtl	gdt_desc
	mov	%cr0, %eax
	or	$1, %eax		/* PE */
	mov	%eax, %cr0
	ljmpl	$0x08, $pm32

	.code32
pm32:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$PORT_VAL32, %dx
	mov	$1, %eax
	out	%eax, %dx

	/* Identity map 0-4 MiB with 2 MiB pages, for PAE and then long mode. */
	movl	$(PD | 1), PDPT_PAE	/* PAE PDPTEs: P only (RW is reserved) */
	movl	$0x83, PD		/* P RW PS */
	movl	$0x200083, PD + 8
	movl	$(PDPT_LONG | 3), PML4
	movl	$(PD | 3), PDPT_LONG

	mov	$PDPT_PAE, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$0x20, %eax		/* PAE */
	mov	%eax, %cr4
	mov	%cr0, %eax
	or	$0x80000000, %eax	/* PG */
	mov	%eax, %cr0
	mov	magic, %eax		/* a read through the PAE tables */
	out	%eax, %dx

	mov	%cr0, %eax
	and	$0x7fffffff, %eax	/* paging off to set LME */
	mov	%eax, %cr0
	mov	$PML4, %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx	/* EFER */
	rdmsr
	or	$0x100, %eax		/* LME */
	wrmsr
	mov	%cr0, %eax
	or	$0x80000000, %eax	/* PG: now IA-32e, compatibility mode */
	mov	%eax, %cr0
	ljmp	$0x18, $lm64

	.code64
lm64:
	mov	$0xc0000080, %ecx
	rdmsr
	mov	$PORT_VAL32, %dx
	out	%eax, %dx		/* EFER: LME | LMA */
	hlt

	.p2align 3
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff	/* 0x08: 32-bit code */
	.quad	0x00cf93000000ffff	/* 0x10: data */
	.quad	0x00af9b000000ffff	/* 0x18: 64-bit code (L, not D) */
gdt_desc:
	.word	gdt_desc - gdt - 1
	.long	gdt
magic:
	.long	2
