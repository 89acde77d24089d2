// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 instruction decoder behind MMIO exits: see decode.h for what it
 * decodes and its contract. Section numbers are those of the Intel SDM
 * (Intel 64 and IA-32 Architectures Software Developer's Manual).
 *
 * The decoder walks the instruction once: legacy prefixes and REX, the
 * opcode, ModRM (with SIB and displacement), then the immediate or moffs
 * offset. It never reads past 'len' nor past 15 bytes, and it fills the
 * caller's struct only on success.
 */
#include "decode.h"

/* Byte-wise cursor over the instruction bytes. */
struct cursor {
	const u8 *bytes;
	unsigned int len;	/* bytes available */
	unsigned int pos;	/* bytes consumed */
};

/* REX is 0100WRXB (SDM Vol. 2A 2.2.1.2, Table 2-4). */
#define REX_B	0x1
#define REX_X	0x2
#define REX_R	0x4
#define REX_W	0x8

/*
 * Consume 'n' bytes as a little-endian value. An instruction that would run
 * past 15 bytes is invalid (#GP on hardware), whatever the caller gave us;
 * short of that, running out of bytes only means "give me more".
 */
static int fetch(struct cursor *c, unsigned int n, u64 *val)
{
	u64 v = 0;
	unsigned int i;

	if (c->pos + n > PLUMB_INSN_MAX_LEN)
		return -EINVAL;
	if (c->pos + n > c->len)
		return -ENODATA;
	for (i = 0; i < n; i++)
		v |= (u64)c->bytes[c->pos + i] << (8 * i);
	c->pos += n;
	*val = v;
	return 0;
}

static int fetch_u8(struct cursor *c, u8 *val)
{
	u64 v;
	int ret;

	ret = fetch(c, 1, &v);
	if (!ret)
		*val = (u8)v;
	return ret;
}

/* Sign-extend the low 'size' bytes of 'v' to 64 bits. */
static u64 sign_extend(u64 v, unsigned int size)
{
	switch (size) {
	case 1:
		return (u64)(s64)(s8)v;
	case 2:
		return (u64)(s64)(s16)v;
	case 4:
		return (u64)(s64)(s32)v;
	default:
		return v;
	}
}

static u64 trunc_size(u64 v, unsigned int size)
{
	return size >= 8 ? v : v & ((1ULL << (8 * size)) - 1);
}

/*
 * Consume the ModRM byte and whatever memory-operand bytes it implies (SIB,
 * displacement), per SDM Vol. 2A 2.1.5, Tables 2-1 (16-bit addressing), 2-2
 * (32-bit) and 2-3 (SIB); 64-bit addressing is the 32-bit form extended by
 * REX, with RIP-relative replacing disp32-only (2.2.1.6).
 *
 * Returns the ModRM reg field (extended by REX.R) in *reg. A register
 * operand (mod == 11b) cannot have caused an MMIO exit: -EINVAL.
 */
static int decode_modrm(struct cursor *c, struct plumb_insn *insn, u8 rex,
			int cpu_mode, u8 *reg)
{
	unsigned int mod, rm, disp_len = 0;
	u8 modrm, sib;
	u64 disp = 0;
	int ret;

	ret = fetch_u8(c, &modrm);
	if (ret)
		return ret;
	mod = modrm >> 6;
	rm = modrm & 7;
	*reg = ((modrm >> 3) & 7) | (rex & REX_R ? 8 : 0);

	if (mod == 3)
		return -EINVAL;

	if (insn->addr_size == 2) {
		/* Table 2-1: no SIB; mod 00 r/m 110 is disp16 alone. */
		if (mod == 0 && rm == 6)
			disp_len = 2;
		else if (mod == 1)
			disp_len = 1;
		else if (mod == 2)
			disp_len = 2;
	} else {
		/*
		 * Table 2-2: r/m 100 means a SIB byte follows; mod 00 r/m 101
		 * is disp32 alone, which 64-bit mode turns into RIP-relative
		 * (EIP-relative with 67h; 2.2.1.6). REX.B does not change
		 * either escape (2.2.1.2, Table 2-5).
		 */
		if (rm == 4) {
			ret = fetch_u8(c, &sib);
			if (ret)
				return ret;
			/* Table 2-3: mod 00 base 101: disp32, no base. */
			if (mod == 0 && (sib & 7) == 5)
				disp_len = 4;
		} else if (mod == 0 && rm == 5) {
			disp_len = 4;
			if (cpu_mode == 64)
				insn->flags |= PLUMB_INSN_F_RIP_REL;
		}
		if (mod == 1)
			disp_len = 1;
		else if (mod == 2)
			disp_len = 4;
	}

	if (disp_len) {
		ret = fetch(c, disp_len, &disp);
		if (ret)
			return ret;
		disp = sign_extend(disp, disp_len);
	}
	insn->disp = disp;
	return 0;
}

/*
 * A byte register in ModRM.reg: without any REX prefix, 4-7 are AH, CH, DH,
 * BH (bits 15:8 of RAX..RBX); with one, SPL, BPL, SIL, DIL (SDM Vol. 2A
 * 2.2.1.2, Table 3-1 of Vol. 2A 3.1.1.1).
 */
static void set_byte_reg(struct plumb_insn *insn, u8 reg, bool has_rex)
{
	if (!has_rex && reg >= 4 && reg < 8) {
		insn->reg = reg - 4;
		insn->flags |= PLUMB_INSN_F_HIGH8;
	} else {
		insn->reg = reg;
	}
}

/* MOVZX/MOVSX: 0F B6, B7, BE, BF (the only two-byte opcodes we decode). */
static int decode_0f(struct cursor *c, struct plumb_insn *insn, u8 rex,
		     int cpu_mode)
{
	u8 op, reg;
	int ret;

	ret = fetch_u8(c, &op);
	if (ret)
		return ret;
	insn->opcode = op;
	insn->two_byte = 1;
	switch (op) {
	case 0xb6:
	case 0xb7:
	case 0xbe:
	case 0xbf:
		break;
	default:
		return -EINVAL;
	}
	ret = decode_modrm(c, insn, rex, cpu_mode, &reg);
	if (ret)
		return ret;
	insn->is_write = 0;
	insn->size = (op & 1) ? 2 : 1;
	insn->ext = (op & 8) ? PLUMB_EXT_SIGN : PLUMB_EXT_ZERO;
	insn->reg = reg;
	insn->reg_size = insn->op_size;
	return 0;
}

/*
 * One-byte opcodes: MOV (88, 89, 8A, 8B, C6 /0, C7 /0, A0-A3) and MOVSXD
 * (63). The operand-size attribute is already in insn->op_size; the byte
 * forms ignore it.
 */
static int decode_1byte(struct cursor *c, struct plumb_insn *insn, u8 op,
			u8 rex, bool has_rex, int cpu_mode)
{
	unsigned int imm_len;
	u64 v;
	u8 reg;
	int ret;

	switch (op) {
	case 0x88:	/* MOV r/m8, r8 */
	case 0x8a:	/* MOV r8, r/m8 */
		ret = decode_modrm(c, insn, rex, cpu_mode, &reg);
		if (ret)
			return ret;
		insn->size = 1;
		insn->reg_size = 1;
		insn->is_write = op == 0x88;
		set_byte_reg(insn, reg, has_rex);
		return 0;

	case 0x89:	/* MOV r/m, r */
	case 0x8b:	/* MOV r, r/m */
		ret = decode_modrm(c, insn, rex, cpu_mode, &reg);
		if (ret)
			return ret;
		insn->size = insn->op_size;
		insn->reg_size = insn->op_size;
		insn->is_write = op == 0x89;
		insn->reg = reg;
		return 0;

	case 0x63:
		/*
		 * MOVSXD r64, r/m32 is 63 with REX.W in 64-bit mode; elsewhere
		 * 63 is ARPL. Without REX.W it is a 32- or 16-bit move whose
		 * 16-bit form the vendors do not describe alike: refuse it.
		 */
		if (cpu_mode != 64 || !(rex & REX_W))
			return -EINVAL;
		ret = decode_modrm(c, insn, rex, cpu_mode, &reg);
		if (ret)
			return ret;
		insn->size = 4;
		insn->reg_size = 8;
		insn->ext = PLUMB_EXT_SIGN;
		insn->is_write = 0;
		insn->reg = reg;
		return 0;

	case 0xc6:	/* MOV r/m8, imm8 */
	case 0xc7:	/* MOV r/m, imm16/32 */
		ret = decode_modrm(c, insn, rex, cpu_mode, &reg);
		if (ret)
			return ret;
		/* Group 11: only /0 is MOV (others: XABORT/XBEGIN, #UD). */
		if (reg & 7)
			return -EINVAL;
		insn->size = op == 0xc6 ? 1 : insn->op_size;
		/* 2.2.1.5: with REX.W the imm32 is sign-extended to 64 bits. */
		imm_len = insn->size > 4 ? 4 : insn->size;
		ret = fetch(c, imm_len, &v);
		if (ret)
			return ret;
		insn->imm = insn->size == 8 ? sign_extend(v, 4) : v;
		insn->reg_size = insn->size;
		insn->is_write = 1;
		insn->flags |= PLUMB_INSN_F_IMM;
		return 0;

	case 0xa0:	/* MOV AL, moffs8 */
	case 0xa1:	/* MOV eAX, moffs */
	case 0xa2:	/* MOV moffs8, AL */
	case 0xa3:	/* MOV moffs, eAX */
		/*
		 * No ModRM: the offset follows the opcode and is as wide as
		 * the address size, 8 bytes in 64-bit mode (4 with 67h). The
		 * register is always AL/eAX; REX.B does not extend it.
		 */
		ret = fetch(c, insn->addr_size, &v);
		if (ret)
			return ret;
		insn->disp = v;
		insn->flags |= PLUMB_INSN_F_MOFFS;
		insn->size = (op & 1) ? insn->op_size : 1;
		insn->reg_size = insn->size;
		insn->is_write = op >= 0xa2;
		insn->reg = 0;
		return 0;

	default:
		return -EINVAL;
	}
}

/* Segment-override prefixes (SDM Vol. 2A 2.1.1, group 2). */
static int seg_of_prefix(u8 b)
{
	switch (b) {
	case 0x26:
		return PLUMB_SEG_ES;
	case 0x2e:
		return PLUMB_SEG_CS;
	case 0x36:
		return PLUMB_SEG_SS;
	case 0x3e:
		return PLUMB_SEG_DS;
	case 0x64:
		return PLUMB_SEG_FS;
	case 0x65:
		return PLUMB_SEG_GS;
	default:
		return -1;
	}
}

int plumb_decode(const u8 *bytes, unsigned int len, int cpu_mode,
		 struct plumb_insn *out)
{
	struct cursor c = { .bytes = bytes, .len = len, .pos = 0 };
	struct plumb_insn insn = { .seg = PLUMB_SEG_NONE };
	bool opsize_prefix = false, addrsize_prefix = false, has_rex;
	u8 b, rex = 0;
	int ret, seg;

	if (cpu_mode != 16 && cpu_mode != 32 && cpu_mode != 64)
		return -EINVAL;

	/*
	 * Prefixes (2.1.1), then at most one REX in 64-bit mode (2.2.1). A
	 * REX counts only if it immediately precedes the opcode: any prefix
	 * after it makes it ignored, and of two REX bytes in a row only the
	 * last one can be immediately before the opcode.
	 */
	for (;;) {
		ret = fetch_u8(&c, &b);
		if (ret)
			return ret;
		seg = seg_of_prefix(b);
		if (seg >= 0) {
			insn.seg = (u8)seg;
			rex = 0;
		} else if (b == 0x66) {
			opsize_prefix = true;
			rex = 0;
		} else if (b == 0x67) {
			addrsize_prefix = true;
			rex = 0;
		} else if (b == 0xf0 || b == 0xf2 || b == 0xf3) {
			/*
			 * LOCK on MOV is #UD (LOCK in Vol. 2A 3.2). REP/REPNE
			 * select other instructions in the 0F map (POPCNT,
			 * TZCNT...) or mean XACQUIRE/XRELEASE: not ours.
			 */
			return -EINVAL;
		} else if (cpu_mode == 64 && (b & 0xf0) == 0x40) {
			rex = b;
		} else {
			break;
		}
	}
	has_rex = rex != 0;

	/*
	 * Operand size (Vol. 1 3.6, Table 3-4 for 64-bit mode): 16 by default
	 * in 16-bit mode, 32 otherwise; 66h toggles between them; REX.W forces
	 * 64 and wins over 66h. Address size: the mode's width, 67h toggles
	 * 16/32 in legacy modes and selects 32 in 64-bit mode.
	 */
	if (rex & REX_W)
		insn.op_size = 8;
	else if (cpu_mode == 16)
		insn.op_size = opsize_prefix ? 4 : 2;
	else
		insn.op_size = opsize_prefix ? 2 : 4;
	if (cpu_mode == 64)
		insn.addr_size = addrsize_prefix ? 4 : 8;
	else if (cpu_mode == 32)
		insn.addr_size = addrsize_prefix ? 2 : 4;
	else
		insn.addr_size = addrsize_prefix ? 4 : 2;

	if (b == 0x0f) {
		ret = decode_0f(&c, &insn, rex, cpu_mode);
	} else {
		insn.opcode = b;
		ret = decode_1byte(&c, &insn, b, rex, has_rex, cpu_mode);
	}
	if (ret)
		return ret;

	insn.len = (u8)c.pos;
	*out = insn;
	return 0;
}

/*
 * The prefixes, 0F, the second opcode byte and the ModRM byte of a MOV
 * to or from a control or debug register.
 */
static int decode_0f_modrm(struct cursor *c, int cpu_mode, u8 *op, u8 *modrm,
			   u8 *rex, bool *lock)
{
	u8 b;
	int ret;

	if (cpu_mode != 16 && cpu_mode != 32 && cpu_mode != 64)
		return -EINVAL;
	*rex = 0;
	*lock = false;
	for (;;) {
		ret = fetch_u8(c, &b);
		if (ret)
			return ret;
		if (seg_of_prefix(b) >= 0 || b == 0x66 || b == 0x67 ||
		    b == 0xf2 || b == 0xf3) {
			*rex = 0;
		} else if (b == 0xf0) {
			*lock = true;
			*rex = 0;
		} else if (cpu_mode == 64 && (b & 0xf0) == 0x40) {
			*rex = b;
		} else {
			break;
		}
	}
	if (b != 0x0f)
		return -EINVAL;
	ret = fetch_u8(c, op);
	if (!ret)
		ret = fetch_u8(c, modrm);
	return ret;
}

int plumb_decode_mov_to_cr(const u8 *bytes, unsigned int len, int cpu_mode,
			   u8 *cr, u8 *gpr, u8 *insn_len)
{
	struct cursor c = { .bytes = bytes, .len = len, .pos = 0 };
	u8 op, rex, modrm;
	bool lock;
	int ret;

	ret = decode_0f_modrm(&c, cpu_mode, &op, &modrm, &rex, &lock);
	if (ret)
		return ret;
	if (op != 0x22)
		return -EINVAL;
	*cr = ((modrm >> 3) & 7) | ((rex & REX_R) ? 8 : 0) | (lock ? 8 : 0);
	*gpr = (modrm & 7) | ((rex & REX_B) ? 8 : 0);
	*insn_len = (u8)c.pos;
	return 0;
}

int plumb_decode_mov_dr(const u8 *bytes, unsigned int len, int cpu_mode,
			bool *write, u8 *dr, u8 *gpr, u8 *insn_len)
{
	struct cursor c = { .bytes = bytes, .len = len, .pos = 0 };
	u8 op, rex, modrm;
	bool lock;
	int ret;

	ret = decode_0f_modrm(&c, cpu_mode, &op, &modrm, &rex, &lock);
	if (ret)
		return ret;
	/* DR8-15 (REX.R) and LOCK are #UD, raised before any intercept. */
	if ((op != 0x21 && op != 0x23) || (rex & REX_R) || lock)
		return -EINVAL;
	*write = op == 0x23;
	*dr = (modrm >> 3) & 7;
	*gpr = (modrm & 7) | ((rex & REX_B) ? 8 : 0);
	*insn_len = (u8)c.pos;
	return 0;
}

u64 plumb_insn_apply_read(const struct plumb_insn *insn, u64 old_reg,
			  u64 mem_value)
{
	u64 v = trunc_size(mem_value, insn->size);

	if (insn->ext == PLUMB_EXT_SIGN)
		v = sign_extend(v, insn->size);

	/*
	 * Vol. 1 3.4.1.1: in 64-bit mode a 32-bit destination is zero-extended
	 * to 64 bits, while 8- and 16-bit destinations leave the other bits
	 * alone. Outside 64-bit mode the upper half is not visible to the
	 * guest; zero-extending there too is harmless.
	 */
	switch (insn->reg_size) {
	case 1:
		if (insn->flags & PLUMB_INSN_F_HIGH8)
			return (old_reg & ~0xff00ULL) | ((v & 0xff) << 8);
		return (old_reg & ~0xffULL) | (v & 0xff);
	case 2:
		return (old_reg & ~0xffffULL) | (v & 0xffff);
	case 4:
		return v & 0xffffffffULL;
	default:
		return v;
	}
}

u64 plumb_insn_write_value(const struct plumb_insn *insn, const u64 *regs)
{
	u64 v;

	if (insn->flags & PLUMB_INSN_F_IMM)
		v = insn->imm;
	else if (insn->flags & PLUMB_INSN_F_HIGH8)
		v = regs[insn->reg & 3] >> 8;
	else
		v = regs[insn->reg & 15];
	return trunc_size(v, insn->size);
}
