/* Shared by the test guests: the mode directive and the ports they use. */
#if MODE == 16
	.code16
#elif MODE == 32
	.code32
#else
	.code64
#endif

#define PORT_OUT	0x3f8	/* bytes the host collects */
#define PORT_IN8	0x1234	/* the host answers a byte */
#define PORT_ECHO8	0x1235	/* the guest writes that byte + 1 */
#define PORT_IN32	0x1236	/* the host answers a dword */
#define PORT_ECHO32	0x1237	/* the guest writes that dword + 1 */
#define PORT_VAL32	0x1238	/* a 32-bit value for the host to check */

/* RAX on PORT_VAL32 as two dwords (low, high), then the final HLT. */
.macro report64_halt
	mov	$PORT_VAL32, %dx
	out	%eax, %dx
	shr	$32, %rax
	out	%eax, %dx
	cli			/* the host may have set IF: HLT must reach it */
	hlt
.endm

.macro putc c
	mov	$\c, %al
	out	%al, %dx
.endm

/*
 * 64-bit guests with their own descriptor tables: a flat GDT (0x08 code,
 * 0x10 data) and an IDT of \nvec gates, filled at run time with set_gate
 * (the handler's address is only known once linked). load_tables loads
 * both; the tables themselves go at the end of the image with tables.
 */
.macro set_gate vec, handler
	lea	\handler(%rip), %rax
	mov	%ax, idt + \vec * 16
	shr	$16, %rax
	mov	%ax, idt + \vec * 16 + 6
	shr	$16, %rax
	mov	%eax, idt + \vec * 16 + 8
	movw	$0x08, idt + \vec * 16 + 2	/* our code segment */
	movb	$0x8e, idt + \vec * 16 + 5	/* present interrupt gate */
.endm

.macro load_tables
	lgdt	gdtr
	lidt	idtr
.endm

.macro tables nvec
	.balign 8
gdt:	.quad	0
	.quad	0x00af9b000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf93000000ffff	/* 0x10: data */
gdtr:	.word	3 * 8 - 1
	.quad	gdt
	.balign 16
idt:	.fill	\nvec * 16, 1, 0
idtr:	.word	\nvec * 16 - 1
	.quad	idt
.endm
