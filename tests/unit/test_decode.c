// SPDX-License-Identifier: GPL-2.0
/*
 * The MMIO instruction decoder (kmod/decode.c), built here in userspace.
 *
 * Every byte sequence below was assembled with GNU as (.code16/32/64) and
 * checked against objdump, or built by hand where as will not emit it (REX
 * in odd places, redundant prefixes, invalid forms); the assembly is in the
 * comment next to it. Register numbers: 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP,
 * 5 RBP, 6 RSI, 7 RDI, 8-15 R8-R15.
 */
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "decode.h"

/* An instruction as a string literal of \xNN bytes, and its length. */
#define B(s)	.b = (const u8 *)(s), .n = sizeof(s) - 1

#define R	0	/* read: memory to register */
#define W	1	/* write: register/immediate to memory */

#define NONE	PLUMB_EXT_NONE
#define ZX	PLUMB_EXT_ZERO
#define SX	PLUMB_EXT_SIGN
#define IMM	PLUMB_INSN_F_IMM
#define H8	PLUMB_INSN_F_HIGH8
#define RIP	PLUMB_INSN_F_RIP_REL
#define MOFFS	PLUMB_INSN_F_MOFFS

struct vec {
	const char *what;
	int mode;
	const u8 *b;
	unsigned int n;		/* bytes, all of them the instruction */
	u8 dir, size, reg, reg_size, ext, flags;
	u64 imm, disp;
	u8 seg;			/* 0 means PLUMB_SEG_NONE here */
	u8 op_size, addr_size;	/* 0: not checked */
};

#define SEG(s)	(PLUMB_SEG_##s + 1)

static const struct vec valid[] = {
	/* ---- 64-bit mode ---- */
	{ "mov %cl,(%rax)", 64, B("\x88\x08"), W, 1, 1, 1 },
	{ "mov %ah,(%rax)", 64, B("\x88\x20"), W, 1, 0, 1, NONE, H8 },
	{ "mov %spl,(%rax)", 64, B("\x40\x88\x20"), W, 1, 4, 1 },
	{ "mov %r9b,(%r10)", 64, B("\x45\x88\x0a"), W, 1, 9, 1 },
	{ "mov %ecx,(%rax)", 64, B("\x89\x08"), W, 4, 1, 4, .op_size = 4,
	  .addr_size = 8 },
	{ "mov %rcx,(%rax)", 64, B("\x48\x89\x08"), W, 8, 1, 8, .op_size = 8 },
	{ "mov %cx,(%rax)", 64, B("\x66\x89\x08"), W, 2, 1, 2, .op_size = 2 },
	{ "mov %r8d,(%rax)", 64, B("\x44\x89\x00"), W, 4, 8, 4 },
	{ "mov %r15,0x12(%r8,%r9,8)", 64, B("\x4f\x89\x7c\xc8\x12"),
	  W, 8, 15, 8, .disp = 0x12 },
	{ "mov 0x0(%rip),%eax", 64, B("\x8b\x05\x00\x00\x00\x00"),
	  R, 4, 0, 4, NONE, RIP },
	{ "mov 0x1234(%rip),%r11", 64, B("\x4c\x8b\x1d\x34\x12\x00\x00"),
	  R, 8, 11, 8, NONE, RIP, .disp = 0x1234 },
	{ "mov -0x10(%rip),%r11 (REX.B: still RIP-relative)", 64,
	  B("\x4d\x8b\x1d\xf0\xff\xff\xff"), R, 8, 11, 8, NONE, RIP,
	  .disp = 0xfffffffffffffff0ULL },
	{ "addr32 mov 0x10(%eip),%eax", 64, B("\x67\x8b\x05\x10\x00\x00\x00"),
	  R, 4, 0, 4, NONE, RIP, .disp = 0x10, .addr_size = 4 },
	{ "mov 0x11223344(,%rcx,4),%edx (SIB, no base)", 64,
	  B("\x8b\x14\x8d\x44\x33\x22\x11"), R, 4, 2, 4, .disp = 0x11223344 },
	{ "mov 0x11223344(,%r12,1),%edx (REX.X)", 64,
	  B("\x42\x8b\x14\x25\x44\x33\x22\x11"), R, 4, 2, 4,
	  .disp = 0x11223344 },
	{ "mov 0x7ffffff0,%ebx (SIB, no base, no index)", 64,
	  B("\x8b\x1c\x25\xf0\xff\xff\x7f"), R, 4, 3, 4, .disp = 0x7ffffff0 },
	{ "mov 0x11223344,%eax (REX.B on SIB base 101: still no base)", 64,
	  B("\x41\x8b\x04\x25\x44\x33\x22\x11"), R, 4, 0, 4,
	  .disp = 0x11223344 },
	{ "mov 0x0(%r13),%al", 64, B("\x41\x8a\x45\x00"), R, 1, 0, 1 },
	{ "mov 0x0(%rbp),%eax", 64, B("\x8b\x45\x00"), R, 4, 0, 4 },
	{ "mov 0x100(%rbp,%rax,2),%esi", 64, B("\x8b\xb4\x45\x00\x01\x00\x00"),
	  R, 4, 6, 4, .disp = 0x100 },
	{ "mov -0x80(%rsp),%ebp", 64, B("\x8b\x6c\x24\x80"), R, 4, 5, 4,
	  .disp = 0xffffffffffffff80ULL },
	{ "mov (%eax,%ecx,4),%eax", 64, B("\x67\x8b\x04\x88"), R, 4, 0, 4,
	  .addr_size = 4 },
	{ "mov (%rax),%ch", 64, B("\x8a\x28"), R, 1, 1, 1, NONE, H8 },
	{ "mov (%rax),%ah", 64, B("\x8a\x20"), R, 1, 0, 1, NONE, H8 },
	{ "mov (%rax),%spl", 64, B("\x40\x8a\x20"), R, 1, 4, 1 },
	{ "mov (%rax),%dil", 64, B("\x40\x8a\x38"), R, 1, 7, 1 },
	{ "mov (%rax),%r12b", 64, B("\x44\x8a\x20"), R, 1, 12, 1 },
	{ "mov (%rax),%ecx", 64, B("\x8b\x08"), R, 4, 1, 4 },
	{ "mov (%rax),%cx", 64, B("\x66\x8b\x08"), R, 2, 1, 2 },
	{ "mov (%rax),%rcx", 64, B("\x48\x8b\x08"), R, 8, 1, 8 },
	{ "REX.W wins over 66: mov %rcx,(%rax)", 64, B("\x66\x48\x89\x08"),
	  W, 8, 1, 8, .op_size = 8 },
	{ "REX before 66 is ignored: mov %cx,(%rax)", 64,
	  B("\x48\x66\x89\x08"), W, 2, 1, 2, .op_size = 2 },
	{ "REX.R before 66 is ignored: mov %ax,(%rax)", 64,
	  B("\x44\x66\x89\x00"), W, 2, 0, 2 },
	{ "REX before 2E is ignored: mov %ah,(%rax), not %spl", 64,
	  B("\x40\x2e\x88\x20"), W, 1, 0, 1, NONE, H8, .seg = SEG(CS) },
	{ "of two REX only the last counts: mov %ecx,(%rax)", 64,
	  B("\x4c\x41\x89\x08"), W, 4, 1, 4 },
	{ "movb $0x7f,(%rax)", 64, B("\xc6\x00\x7f"), W, 1, 0, 1, NONE, IMM,
	  .imm = 0x7f },
	{ "movb $0xff,0x0(%r13)", 64, B("\x41\xc6\x45\x00\xff"),
	  W, 1, 0, 1, NONE, IMM, .imm = 0xff },
	{ "movw $0xbeef,(%rbx)", 64, B("\x66\xc7\x03\xef\xbe"),
	  W, 2, 0, 2, NONE, IMM, .imm = 0xbeef },
	{ "movl $0xdeadbeef,(%rcx)", 64, B("\xc7\x01\xef\xbe\xad\xde"),
	  W, 4, 0, 4, NONE, IMM, .imm = 0xdeadbeef },
	{ "movq $-2,(%rdx)", 64, B("\x48\xc7\x02\xfe\xff\xff\xff"),
	  W, 8, 0, 8, NONE, IMM, .imm = 0xfffffffffffffffeULL },
	{ "movq $0x7fffffff,0x40(%rsp)", 64,
	  B("\x48\xc7\x44\x24\x40\xff\xff\xff\x7f"),
	  W, 8, 0, 8, NONE, IMM, .imm = 0x7fffffff, .disp = 0x40 },
	{ "movl $1,0x10(%rip)", 64,
	  B("\xc7\x05\x10\x00\x00\x00\x01\x00\x00\x00"),
	  W, 4, 0, 4, NONE, IMM | RIP, .imm = 1, .disp = 0x10 },
	{ "movabs 0x1122334455667788,%al", 64,
	  B("\xa0\x88\x77\x66\x55\x44\x33\x22\x11"),
	  R, 1, 0, 1, NONE, MOFFS, .disp = 0x1122334455667788ULL },
	{ "movabs 0x1122334455667788,%eax", 64,
	  B("\xa1\x88\x77\x66\x55\x44\x33\x22\x11"),
	  R, 4, 0, 4, NONE, MOFFS, .disp = 0x1122334455667788ULL },
	{ "movabs 0x1122334455667788,%rax", 64,
	  B("\x48\xa1\x88\x77\x66\x55\x44\x33\x22\x11"),
	  R, 8, 0, 8, NONE, MOFFS, .disp = 0x1122334455667788ULL },
	{ "movabs 0x8877665544332211,%rax (REX.B does not extend)", 64,
	  B("\x49\xa1\x11\x22\x33\x44\x55\x66\x77\x88"),
	  R, 8, 0, 8, NONE, MOFFS, .disp = 0x8877665544332211ULL },
	{ "movabs %ax,0x1122334455667788", 64,
	  B("\x66\xa3\x88\x77\x66\x55\x44\x33\x22\x11"),
	  W, 2, 0, 2, NONE, MOFFS, .disp = 0x1122334455667788ULL },
	{ "movabs %al,0x1122334455667788", 64,
	  B("\xa2\x88\x77\x66\x55\x44\x33\x22\x11"),
	  W, 1, 0, 1, NONE, MOFFS, .disp = 0x1122334455667788ULL },
	{ "addr32 mov 0x11223344,%eax", 64, B("\x67\xa1\x44\x33\x22\x11"),
	  R, 4, 0, 4, NONE, MOFFS, .disp = 0x11223344, .addr_size = 4 },
	{ "movzbl (%rax),%ecx", 64, B("\x0f\xb6\x08"), R, 1, 1, 4, ZX },
	{ "movzwl (%rax),%ecx", 64, B("\x0f\xb7\x08"), R, 2, 1, 4, ZX },
	{ "movzbq (%rax),%r9", 64, B("\x4c\x0f\xb6\x08"), R, 1, 9, 8, ZX },
	{ "movzwq (%rax),%rcx", 64, B("\x48\x0f\xb7\x08"), R, 2, 1, 8, ZX },
	{ "movzbw (%rax),%cx", 64, B("\x66\x0f\xb6\x08"), R, 1, 1, 2, ZX },
	{ "movsbl (%rax),%ecx", 64, B("\x0f\xbe\x08"), R, 1, 1, 4, SX },
	{ "movswl (%rax),%ecx", 64, B("\x0f\xbf\x08"), R, 2, 1, 4, SX },
	{ "movsbq (%rax),%rcx", 64, B("\x48\x0f\xbe\x08"), R, 1, 1, 8, SX },
	{ "movswq (%rax),%r15", 64, B("\x4c\x0f\xbf\x38"), R, 2, 15, 8, SX },
	{ "movsbw (%rax),%cx", 64, B("\x66\x0f\xbe\x08"), R, 1, 1, 2, SX },
	{ "movzbl 0x8(%rip),%esp (no high-byte regs here)", 64,
	  B("\x0f\xb6\x25\x08\x00\x00\x00"), R, 1, 4, 4, ZX, RIP,
	  .disp = 8 },
	{ "movslq (%rax),%rcx", 64, B("\x48\x63\x08"), R, 4, 1, 8, SX },
	{ "movslq (%r8),%r14", 64, B("\x4d\x63\x30"), R, 4, 14, 8, SX },
	{ "movslq 0x4(%rip),%rax", 64, B("\x48\x63\x05\x04\x00\x00\x00"),
	  R, 4, 0, 8, SX, RIP, .disp = 4 },
	{ "mov %fs:(%rax),%eax", 64, B("\x64\x8b\x00"), R, 4, 0, 4,
	  .seg = SEG(FS) },
	{ "mov %gs:0x10,%rax", 64, B("\x65\x48\x8b\x04\x25\x10\x00\x00\x00"),
	  R, 8, 0, 8, .disp = 0x10, .seg = SEG(GS) },

	/* ---- 32-bit mode ---- */
	{ "mov %cl,(%eax)", 32, B("\x88\x08"), W, 1, 1, 1 },
	{ "mov %bh,(%ebx)", 32, B("\x88\x3b"), W, 1, 3, 1, NONE, H8 },
	{ "mov %ecx,(%eax)", 32, B("\x89\x08"), W, 4, 1, 4, .op_size = 4,
	  .addr_size = 4 },
	{ "mov %cx,(%eax)", 32, B("\x66\x89\x08"), W, 2, 1, 2, .op_size = 2 },
	{ "mov 0x11223344,%edx (disp32, not RIP-relative)", 32,
	  B("\x8b\x15\x44\x33\x22\x11"), R, 4, 2, 4, .disp = 0x11223344 },
	{ "mov 0x11223344(,%ecx,4),%edx", 32,
	  B("\x8b\x14\x8d\x44\x33\x22\x11"), R, 4, 2, 4, .disp = 0x11223344 },
	{ "mov 0x8(%esp,%esi,2),%edi", 32, B("\x8b\x7c\x74\x08"),
	  R, 4, 7, 4, .disp = 8 },
	{ "mov (%eax),%dh", 32, B("\x8a\x30"), R, 1, 2, 1, NONE, H8 },
	{ "movb $0x80,(%eax)", 32, B("\xc6\x00\x80"), W, 1, 0, 1, NONE, IMM,
	  .imm = 0x80 },
	{ "movl $0xdeadbeef,(%ecx)", 32, B("\xc7\x01\xef\xbe\xad\xde"),
	  W, 4, 0, 4, NONE, IMM, .imm = 0xdeadbeef },
	{ "movw $0xbeef,(%ebx)", 32, B("\x66\xc7\x03\xef\xbe"),
	  W, 2, 0, 2, NONE, IMM, .imm = 0xbeef },
	{ "mov 0x11223344,%al", 32, B("\xa0\x44\x33\x22\x11"),
	  R, 1, 0, 1, NONE, MOFFS, .disp = 0x11223344 },
	{ "mov 0x11223344,%eax", 32, B("\xa1\x44\x33\x22\x11"),
	  R, 4, 0, 4, NONE, MOFFS, .disp = 0x11223344 },
	{ "mov %ax,0x11223344", 32, B("\x66\xa3\x44\x33\x22\x11"),
	  W, 2, 0, 2, NONE, MOFFS, .disp = 0x11223344 },
	{ "addr16 mov 0x1122,%eax", 32, B("\x67\xa1\x22\x11"),
	  R, 4, 0, 4, NONE, MOFFS, .disp = 0x1122, .addr_size = 2 },
	{ "addr16 mov (%bx,%si),%eax", 32, B("\x67\x8b\x00"), R, 4, 0, 4,
	  .addr_size = 2 },
	{ "addr16 mov 0x12(%bp),%eax", 32, B("\x67\x8b\x46\x12"),
	  R, 4, 0, 4, .disp = 0x12 },
	{ "addr16 mov 0x1234(%bx,%di),%ecx", 32, B("\x67\x8b\x89\x34\x12"),
	  R, 4, 1, 4, .disp = 0x1234 },
	{ "addr16 mov 0x1234,%eax (mod 00 r/m 110)", 32,
	  B("\x67\x8b\x06\x34\x12"), R, 4, 0, 4, .disp = 0x1234 },
	{ "movzbl (%eax),%ecx", 32, B("\x0f\xb6\x08"), R, 1, 1, 4, ZX },
	{ "movswl (%eax),%ecx", 32, B("\x0f\xbf\x08"), R, 2, 1, 4, SX },
	{ "movsbw (%eax),%cx", 32, B("\x66\x0f\xbe\x08"), R, 1, 1, 2, SX },
	{ "movzwl (%eax),%esp", 32, B("\x0f\xb7\x20"), R, 2, 4, 4, ZX },
	{ "mov %es:(%eax),%eax", 32, B("\x26\x8b\x00"), R, 4, 0, 4,
	  .seg = SEG(ES) },
	{ "mov %ss:(%eax),%eax", 32, B("\x36\x8b\x00"), R, 4, 0, 4,
	  .seg = SEG(SS) },
	{ "mov %ds:(%eax),%eax", 32, B("\x3e\x8b\x00"), R, 4, 0, 4,
	  .seg = SEG(DS) },
	{ "mov %cs:0x10,%eax", 32, B("\x2e\xa1\x10\x00\x00\x00"),
	  R, 4, 0, 4, NONE, MOFFS, .disp = 0x10, .seg = SEG(CS) },
	{ "es fs mov (%eax),%eax: the last override", 32,
	  B("\x26\x64\x8b\x00"), R, 4, 0, 4, .seg = SEG(FS) },

	/* ---- 16-bit mode ---- */
	{ "mov %cl,(%bx)", 16, B("\x88\x0f"), W, 1, 1, 1 },
	{ "mov %ax,(%bx,%si)", 16, B("\x89\x00"), W, 2, 0, 2, .op_size = 2,
	  .addr_size = 2 },
	{ "mov %eax,(%bx)", 16, B("\x66\x89\x07"), W, 4, 0, 4, .op_size = 4 },
	{ "mov 0x1234,%ax", 16, B("\xa1\x34\x12"), R, 2, 0, 2, NONE, MOFFS,
	  .disp = 0x1234 },
	{ "mov 0x1234,%ax (ModRM)", 16, B("\x8b\x06\x34\x12"), R, 2, 0, 2,
	  .disp = 0x1234 },
	{ "mov 0x0(%bp),%ax", 16, B("\x8b\x46\x00"), R, 2, 0, 2 },
	{ "mov 0x12(%bp),%dx", 16, B("\x8b\x56\x12"), R, 2, 2, 2,
	  .disp = 0x12 },
	{ "mov 0x1234(%bx,%di),%cx", 16, B("\x8b\x89\x34\x12"), R, 2, 1, 2,
	  .disp = 0x1234 },
	{ "mov -0x2(%si),%ah", 16, B("\x8a\x64\xfe"), R, 1, 0, 1, NONE, H8,
	  .disp = 0xfffffffffffffffeULL },
	{ "movb $0x5a,(%di)", 16, B("\xc6\x05\x5a"), W, 1, 0, 1, NONE, IMM,
	  .imm = 0x5a },
	{ "movw $0xbeef,(%bx)", 16, B("\xc7\x07\xef\xbe"), W, 2, 0, 2, NONE,
	  IMM, .imm = 0xbeef },
	{ "movl $0xdeadbeef,(%bx)", 16, B("\x66\xc7\x07\xef\xbe\xad\xde"),
	  W, 4, 0, 4, NONE, IMM, .imm = 0xdeadbeef },
	{ "mov 0x1234,%al", 16, B("\xa0\x34\x12"), R, 1, 0, 1, NONE, MOFFS,
	  .disp = 0x1234 },
	{ "mov %al,0x1234", 16, B("\xa2\x34\x12"), W, 1, 0, 1, NONE, MOFFS,
	  .disp = 0x1234 },
	{ "mov %eax,0x1234", 16, B("\x66\xa3\x34\x12"), W, 4, 0, 4, NONE,
	  MOFFS, .disp = 0x1234 },
	{ "addr32 mov 0x11223344,%ax", 16, B("\x67\xa1\x44\x33\x22\x11"),
	  R, 2, 0, 2, NONE, MOFFS, .disp = 0x11223344, .addr_size = 4 },
	{ "mov (%eax,%ecx,4),%dx", 16, B("\x67\x8b\x14\x88"), R, 2, 2, 2,
	  .addr_size = 4 },
	{ "mov 0x11223344,%ax (addr32, ModRM disp32)", 16,
	  B("\x67\x8b\x05\x44\x33\x22\x11"), R, 2, 0, 2, .disp = 0x11223344 },
	{ "movzbw (%bx),%cx", 16, B("\x0f\xb6\x0f"), R, 1, 1, 2, ZX },
	{ "movzbl (%bx),%ecx", 16, B("\x66\x0f\xb6\x0f"), R, 1, 1, 4, ZX },
	{ "movsbw (%bx),%cx", 16, B("\x0f\xbe\x0f"), R, 1, 1, 2, SX },
	{ "movswl (%bx),%ecx", 16, B("\x66\x0f\xbf\x0f"), R, 2, 1, 4, SX },
	{ "mov %fs:(%bx),%ax", 16, B("\x64\x8b\x07"), R, 2, 0, 2,
	  .seg = SEG(FS) },
};

#define EQ(v, got, want)						\
	ck_assert_msg((u64)(got) == (u64)(want),			\
		      "%s: %s = %#llx, want %#llx", (v)->what, #got,	\
		      (unsigned long long)(got), (unsigned long long)(want))

/* Each valid form decodes to exactly what the table says. */
START_TEST(test_valid)
{
	const struct vec *v = &valid[_i];
	struct plumb_insn insn;
	int ret;

	ret = plumb_decode(v->b, v->n, v->mode, &insn);
	ck_assert_msg(ret == 0, "%s: returned %d", v->what, ret);
	EQ(v, insn.len, v->n);
	EQ(v, insn.is_write, v->dir);
	EQ(v, insn.size, v->size);
	EQ(v, insn.reg, v->reg);
	EQ(v, insn.reg_size, v->reg_size);
	EQ(v, insn.ext, v->ext);
	EQ(v, insn.flags, v->flags);
	EQ(v, insn.imm, v->imm);
	EQ(v, insn.disp, v->disp);
	EQ(v, insn.seg, v->seg ? v->seg - 1 : PLUMB_SEG_NONE);
	if (v->op_size)
		EQ(v, insn.op_size, v->op_size);
	if (v->addr_size)
		EQ(v, insn.addr_size, v->addr_size);
}
END_TEST

/*
 * Every valid form, cut short anywhere, asks for more bytes; followed by
 * unrelated bytes, it still ends where it should.
 */
START_TEST(test_truncated)
{
	const struct vec *v = &valid[_i];
	struct plumb_insn insn;
	u8 buf[PLUMB_INSN_MAX_LEN];
	unsigned int n;
	int ret;

	for (n = 0; n < v->n; n++) {
		ret = plumb_decode(v->b, n, v->mode, &insn);
		ck_assert_msg(ret == -ENODATA, "%s: %u bytes: returned %d",
			      v->what, n, ret);
	}
	memset(buf, 0x01, sizeof(buf));		/* ADD: not ours */
	memcpy(buf, v->b, v->n);
	ret = plumb_decode(buf, sizeof(buf), v->mode, &insn);
	ck_assert_msg(ret == 0, "%s: padded: returned %d", v->what, ret);
	EQ(v, insn.len, v->n);
}
END_TEST

struct bad {
	const char *what;
	int mode;
	const u8 *b;
	unsigned int n;
};

/* Never guessed: each of these is -EINVAL, with every byte available. */
static const struct bad invalid[] = {
	{ "add %ecx,(%rax)", 64, B("\x01\x08") },
	{ "add (%rax),%cl", 64, B("\x02\x08") },
	{ "or %ecx,(%rax)", 64, B("\x09\x08") },
	{ "movsb", 64, B("\xa4") },
	{ "movsl", 32, B("\xa5") },
	{ "rep movsb", 64, B("\xf3\xa4") },
	{ "stosl", 32, B("\xab") },
	{ "lodsb", 16, B("\xac") },
	{ "lock mov %cl,(%rax)", 64, B("\xf0\x88\x08") },
	{ "lock mov %ecx,(%eax)", 32, B("\xf0\x89\x08") },
	{ "xrelease mov %cl,(%rax)", 64, B("\xf3\x88\x08") },
	{ "repne mov (%rax),%ecx", 64, B("\xf2\x8b\x08") },
	{ "popcnt (%rax),%ecx", 64, B("\xf3\x0f\xb8\x08") },
	{ "mov %cl,%al (register operand)", 64, B("\x88\xc8") },
	{ "mov %ecx,%eax (register operand)", 32, B("\x8b\xc1") },
	{ "movzbl %cl,%eax (register operand)", 64, B("\x0f\xb6\xc1") },
	{ "movslq %ecx,%rax (register operand)", 64, B("\x48\x63\xc1") },
	{ "movb $0,(%rax) with C6 /1", 64, B("\xc6\x08\x00") },
	{ "movl $0,(%rax) with C7 /7", 64, B("\xc7\x38\x00\x00\x00\x00") },
	{ "xabort $0", 64, B("\xc6\xf8\x00") },
	{ "xbegin", 64, B("\xc7\xf8\x00\x00\x00\x00") },
	{ "movslq without REX.W", 64, B("\x63\x08") },
	{ "arpl %cx,(%eax)", 32, B("\x63\x08") },
	{ "arpl %cx,(%bx)", 16, B("\x63\x0f") },
	{ "dec %eax; mov (no REX in 32-bit mode)", 32, B("\x48\x89\x08") },
	{ "inc %ax; mov (no REX in 16-bit mode)", 16, B("\x40\x88\x20") },
	{ "mov %cs,(%rax)", 64, B("\x8c\x08") },
	{ "mov (%rax),%ds", 64, B("\x8e\x18") },
	{ "lea (%rax),%ecx", 64, B("\x8d\x08") },
	{ "xchg %ecx,(%rax)", 64, B("\x87\x08") },
	{ "test %ecx,(%rax)", 64, B("\x85\x08") },
	{ "cmpb $0,(%rax)", 64, B("\x80\x38\x00") },
	{ "incl (%rax)", 64, B("\xff\x00") },
	{ "movnti %ecx,(%rax)", 64, B("\x0f\xc3\x08") },
	{ "movups (%rax),%xmm0", 64, B("\x0f\x10\x00") },
	{ "movd (%rax),%mm0", 64, B("\x0f\x6e\x00") },
	{ "cmpxchg %ecx,(%rax)", 64, B("\x0f\xb1\x08") },
	{ "bt %ecx,(%rax)", 64, B("\x0f\xa3\x08") },
	{ "movbe (%rax),%ecx", 64, B("\x0f\x38\xf0\x08") },
	{ "pfadd (%rax),%mm0 (3DNow!)", 64, B("\x0f\x0f\x00\x9e") },
	{ "vmovdqa (%rax),%xmm0 (VEX C5)", 64, B("\xc5\xf9\x6f\x00") },
	{ "vmovdqa (%rax),%ymm0 (VEX C4)", 64, B("\xc4\xe1\x7d\x6f\x00") },
	{ "vmovdqa32 (%rax),%zmm0 (EVEX)", 64,
	  B("\x62\xf1\x7d\x48\x6f\x00") },
	{ "lds (%eax),%eax (C5 in 32-bit mode)", 32, B("\xc5\x00") },
	{ "ud2", 64, B("\x0f\x0b") },
	{ "mov %cr0,%rax", 64, B("\x0f\x20\xc0") },
	{ "bad cpu mode 8", 8, B("\x88\x08") },
	{ "bad cpu mode 0", 0, B("\x88\x08") },
	/* 16 bytes: 14 x 66h + 89 08. */
	{ "16-byte mov (14 prefixes)", 64,
	  B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"
	    "\x89\x08") },
	{ "16 bytes of prefixes", 64,
	  B("\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e"
	    "\x2e") },
	{ "16 bytes of REX", 64,
	  B("\x48\x48\x48\x48\x48\x48\x48\x48\x48\x48\x48\x48\x48\x48\x48"
	    "\x48") },
	/* The 16th byte is the last of the immediate. */
	{ "16-byte movq $imm32,disp32(%rax,%rcx,4)", 64,
	  B("\x2e\x2e\x66\x67\x48\xc7\x84\x88\x44\x33\x22\x11"
	    "\x01\x02\x03\x04") },
};

START_TEST(test_invalid)
{
	const struct bad *v = &invalid[_i];
	struct plumb_insn insn, before;
	int ret;

	memset(&insn, 0xa5, sizeof(insn));
	before = insn;
	ret = plumb_decode(v->b, v->n, v->mode, &insn);
	ck_assert_msg(ret == -EINVAL, "%s: returned %d", v->what, ret);
	ck_assert_msg(!memcmp(&insn, &before, sizeof(insn)),
		      "%s: output written on error", v->what);
}
END_TEST

/* The longest legal instructions: exactly 15 bytes. */
START_TEST(test_max_length)
{
	static const u8 mov[] = {	/* 13 x 66h + mov %cx,(%rax) */
		0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
		0x66, 0x66, 0x66, 0x89, 0x08,
	};
	/* cs cs movq $0x4030201,0x11223344(%eax,%ecx,4): 16 bytes */
	static const u8 imm[] = {
		0x2e, 0x2e, 0x66, 0x67, 0x48, 0xc7, 0x84, 0x88,
		0x44, 0x33, 0x22, 0x11, 0x01, 0x02, 0x03, 0x04,
	};
	struct plumb_insn insn;

	ck_assert_int_eq(plumb_decode(mov, sizeof(mov), 64, &insn), 0);
	ck_assert_uint_eq(insn.len, 15);
	ck_assert_uint_eq(insn.size, 2);
	/* one cs less: 15 */
	ck_assert_int_eq(plumb_decode(imm + 1, sizeof(imm) - 1, 64, &insn), 0);
	ck_assert_uint_eq(insn.len, 15);
	ck_assert_uint_eq(insn.size, 8);
	ck_assert_uint_eq(insn.imm, 0x04030201);
	ck_assert_uint_eq(insn.disp, 0x11223344);
	ck_assert_uint_eq(insn.addr_size, 4);
	/* one prefix more: 16 bytes, invalid even with bytes to spare */
	ck_assert_int_eq(plumb_decode(imm, sizeof(imm), 64, &insn), -EINVAL);
	/* cut short inside the 15: more bytes wanted, not invalid */
	ck_assert_int_eq(plumb_decode(imm + 1, 14, 64, &insn), -ENODATA);
	ck_assert_int_eq(plumb_decode(imm, 15, 64, &insn), -EINVAL);
}
END_TEST

static struct plumb_insn decode_ok(const char *b, unsigned int n, int mode)
{
	struct plumb_insn insn;

	ck_assert_int_eq(plumb_decode((const u8 *)b, n, mode, &insn), 0);
	return insn;
}

#define DEC(s, mode)	decode_ok((s), sizeof(s) - 1, (mode))

#define OLD	0x1122334455667788ULL
#define ONES	0xffffffffffffffffULL

/* Reads land with x86 semantics (SDM Vol. 1 3.4.1.1). */
START_TEST(test_apply_read_mov)
{
	struct plumb_insn i;

	/* 32-bit destination in 64-bit mode: upper half cleared */
	i = DEC("\x8b\x08", 64);			/* mov (%rax),%ecx */
	ck_assert_uint_eq(plumb_insn_apply_read(&i, ONES, 0x12345678),
			  0x12345678);
	/* 16- and 8-bit destinations keep the rest */
	i = DEC("\x66\x8b\x08", 64);			/* mov (%rax),%cx */
	ck_assert_uint_eq(plumb_insn_apply_read(&i, OLD, 0xabcd),
			  0x112233445566abcdULL);
	i = DEC("\x8a\x00", 64);			/* mov (%rax),%al */
	ck_assert_uint_eq(plumb_insn_apply_read(&i, OLD, 0xaa),
			  0x11223344556677aaULL);
	i = DEC("\x8a\x20", 64);			/* mov (%rax),%ah */
	ck_assert_uint_eq(plumb_insn_apply_read(&i, OLD, 0xaa),
			  0x112233445566aa88ULL);
	i = DEC("\x40\x8a\x20", 64);			/* mov (%rax),%spl */
	ck_assert_uint_eq(i.reg, 4);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, OLD, 0xaa),
			  0x11223344556677aaULL);
	i = DEC("\x8a\x3b", 32);			/* mov (%ebx),%bh */
	ck_assert_uint_eq(i.reg, 3);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, 0xffff0000, 0x5a),
			  0xffff5a00);
	i = DEC("\x48\x8b\x08", 64);			/* mov (%rax),%rcx */
	ck_assert_uint_eq(plumb_insn_apply_read(&i, OLD, 0x8000000000000001ULL),
			  0x8000000000000001ULL);
	i = DEC("\x8b\x07", 16);			/* mov (%bx),%ax */
	ck_assert_uint_eq(plumb_insn_apply_read(&i, OLD, 0xbeef),
			  0x112233445566beefULL);
	/* bytes beyond the access size are ignored */
	i = DEC("\x66\x8b\x08", 64);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, 0, 0xdeadbeefcafe1234ULL),
			  0x1234);
	i = DEC("\x8b\x08", 64);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, 0, 0xdeadbeefcafe1234ULL),
			  0xcafe1234);
	i = DEC("\xa0\x00\x00\x00\x00\x00\x00\x00\x00", 64); /* movabs ,%al */
	ck_assert_uint_eq(plumb_insn_apply_read(&i, OLD, 0xfedcba98),
			  0x1122334455667798ULL);
}
END_TEST

START_TEST(test_apply_read_extend)
{
	struct plumb_insn i;

	/* movsbl: sign-extends to 32 bits, then the write clears 63:32 */
	i = DEC("\x0f\xbe\x08", 64);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, ONES, 0x80), 0xffffff80);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, ONES, 0x7f), 0x7f);
	/* movsbq */
	i = DEC("\x48\x0f\xbe\x08", 64);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, 0, 0x80),
			  0xffffffffffffff80ULL);
	/* movsbw: 16-bit destination, bits 63:16 kept */
	i = DEC("\x66\x0f\xbe\x08", 64);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, OLD, 0x80),
			  0x112233445566ff80ULL);
	/* movswl, movswq */
	i = DEC("\x0f\xbf\x08", 64);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, ONES, 0x8000), 0xffff8000);
	i = DEC("\x4c\x0f\xbf\x38", 64);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, 0, 0x8000),
			  0xffffffffffff8000ULL);
	/* movslq */
	i = DEC("\x48\x63\x08", 64);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, 0, 0x80000000),
			  0xffffffff80000000ULL);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, ONES, 0x7fffffff),
			  0x7fffffff);
	/* movzbl, movzwq, movzbw */
	i = DEC("\x0f\xb6\x08", 64);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, ONES, 0x80), 0x80);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, ONES, 0x1ff), 0xff);
	i = DEC("\x48\x0f\xb7\x08", 64);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, ONES, 0xffff8000), 0x8000);
	i = DEC("\x66\x0f\xb6\x08", 64);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, OLD, 0xff),
			  0x11223344556600ffULL);
	/* 16-bit mode: movsbw, movswl */
	i = DEC("\x0f\xbe\x0f", 16);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, OLD, 0xfe),
			  0x112233445566fffeULL);
	i = DEC("\x66\x0f\xbf\x0f", 16);
	ck_assert_uint_eq(plumb_insn_apply_read(&i, 0, 0xfffe), 0xfffffffe);
}
END_TEST

/* Byte k of register i is (i << 4) | k: every byte tells where it came from. */
static void fill_regs(u64 *regs)
{
	unsigned int i, k;

	for (i = 0; i < 16; i++) {
		regs[i] = 0;
		for (k = 0; k < 8; k++)
			regs[i] |= (u64)((i << 4) | k) << (8 * k);
	}
}

START_TEST(test_write_value)
{
	struct plumb_insn i;
	u64 regs[16];

	fill_regs(regs);
	i = DEC("\x88\x08", 64);			/* %cl */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x10);
	i = DEC("\x88\x20", 64);			/* %ah */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x01);
	i = DEC("\x40\x88\x20", 64);			/* %spl */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x40);
	i = DEC("\x88\x3b", 32);			/* %bh */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x31);
	i = DEC("\x88\x38", 64);			/* %bh */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x31);
	i = DEC("\x40\x88\x38", 64);			/* %dil */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x70);
	i = DEC("\x45\x88\x0a", 64);			/* %r9b */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x90);
	i = DEC("\x89\x08", 64);			/* %ecx */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x13121110);
	i = DEC("\x66\x89\x08", 64);			/* %cx */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x1110);
	i = DEC("\x48\x89\x08", 64);			/* %rcx */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs),
			  0x1716151413121110ULL);
	i = DEC("\x44\x89\x00", 64);			/* %r8d */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x83828180);
	i = DEC("\x4c\x89\x38", 64);			/* %r15 */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs),
			  0xf7f6f5f4f3f2f1f0ULL);
	i = DEC("\x66\xa3\x34\x12", 16);		/* %eax, moffs */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x03020100);
	i = DEC("\xa2\x34\x12", 16);			/* %al, moffs */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x00);
	/* immediates */
	i = DEC("\xc6\x00\x7f", 64);
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x7f);
	i = DEC("\x66\xc7\x03\xef\xbe", 64);
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0xbeef);
	i = DEC("\xc7\x01\xef\xbe\xad\xde", 64);
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0xdeadbeef);
	i = DEC("\x48\xc7\x02\x00\x00\x00\x80", 64);	/* movq $-2^31 */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs),
			  0xffffffff80000000ULL);
	i = DEC("\xc7\x07\x00\x80", 16);		/* movw $0x8000 */
	ck_assert_uint_eq(plumb_insn_write_value(&i, regs), 0x8000);
}
END_TEST

/* MOV to CRn (0F 22 /r): the CR and GPR numbers and the length. */
START_TEST(test_mov_to_cr)
{
	static const struct {
		const char *b;
		unsigned int n;
		int mode;
		int ret;
		u8 cr, gpr, len;
	} t[] = {
		{ "\x0f\x22\xe0", 3, 64, 0, 4, 0, 3 },	/* mov %rax,%cr4 */
		{ "\x0f\x22\xc3", 3, 32, 0, 0, 3, 3 },	/* mov %ebx,%cr0 */
		{ "\x41\x0f\x22\xe7", 4, 64, 0, 4, 15, 4 },	/* mov %r15,%cr4 */
		{ "\x44\x0f\x22\xc1", 4, 64, 0, 8, 1, 4 },	/* mov %rcx,%cr8 */
		{ "\xf0\x0f\x22\xc2", 4, 32, 0, 8, 2, 4 },	/* lock mov %edx,%cr0 */
		{ "\x66\x0f\x22\xe6", 4, 16, 0, 4, 6, 4 },	/* mov %esi,%cr4 */
		{ "\x41\x0f\x22\xe0", 4, 32, -EINVAL, 0, 0, 0 },	/* REX outside 64-bit */
		{ "\x0f\x20\xe0", 3, 64, -EINVAL, 0, 0, 0 },	/* MOV from CR */
		{ "\x0f\x22", 2, 64, -ENODATA, 0, 0, 0 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		u8 cr = 0xff, gpr = 0xff, len = 0xff;
		int ret = plumb_decode_mov_to_cr((const u8 *)t[i].b, t[i].n,
						 t[i].mode, &cr, &gpr, &len);

		ck_assert_msg(ret == t[i].ret, "case %u: returned %d", i, ret);
		if (ret)
			continue;
		ck_assert_uint_eq(cr, t[i].cr);
		ck_assert_uint_eq(gpr, t[i].gpr);
		ck_assert_uint_eq(len, t[i].len);
	}
}
END_TEST

/* MOV to/from DRn (0F 23 /r, 0F 21 /r): direction, DR, GPR, length. */
START_TEST(test_mov_dr)
{
	static const struct {
		const char *b;
		unsigned int n;
		int mode;
		int ret;
		bool write;
		u8 dr, gpr, len;
	} t[] = {
		{ "\x0f\x23\xc0", 3, 64, 0, true, 0, 0, 3 },	/* mov %rax,%db0 */
		{ "\x0f\x21\xfb", 3, 32, 0, false, 7, 3, 3 },	/* mov %db7,%ebx */
		{ "\x41\x0f\x21\xf7", 4, 64, 0, false, 6, 15, 4 },	/* mov %db6,%r15 */
		{ "\x0f\x23\x0e", 3, 16, 0, true, 1, 6, 3 },	/* mod ignored */
		{ "\x44\x0f\x23\xc0", 4, 64, -EINVAL, 0, 0, 0, 0 },	/* DR8 */
		{ "\xf0\x0f\x23\xc0", 4, 32, -EINVAL, 0, 0, 0, 0 },	/* LOCK */
		{ "\x0f\x22\xe0", 3, 64, -EINVAL, 0, 0, 0, 0 },	/* MOV to CR */
		{ "\x0f\x21", 2, 64, -ENODATA, 0, 0, 0, 0 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		u8 dr = 0xff, gpr = 0xff, len = 0xff;
		bool write = false;
		int ret = plumb_decode_mov_dr((const u8 *)t[i].b, t[i].n,
					      t[i].mode, &write, &dr, &gpr,
					      &len);

		ck_assert_msg(ret == t[i].ret, "case %u: returned %d", i, ret);
		if (ret)
			continue;
		ck_assert_int_eq(write, t[i].write);
		ck_assert_uint_eq(dr, t[i].dr);
		ck_assert_uint_eq(gpr, t[i].gpr);
		ck_assert_uint_eq(len, t[i].len);
	}
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc;

	tc = tcase_create("forms");
	tcase_add_loop_test(tc, test_valid, 0,
			    (int)(sizeof(valid) / sizeof(valid[0])));
	tcase_add_loop_test(tc, test_truncated, 0,
			    (int)(sizeof(valid) / sizeof(valid[0])));
	tcase_add_loop_test(tc, test_invalid, 0,
			    (int)(sizeof(invalid) / sizeof(invalid[0])));
	tcase_add_test(tc, test_max_length);
	tcase_add_test(tc, test_mov_to_cr);
	tcase_add_test(tc, test_mov_dr);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, test_apply_read_mov);
	tcase_add_test(tc, test_apply_read_extend);
	tcase_add_test(tc, test_write_value);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(decode_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
