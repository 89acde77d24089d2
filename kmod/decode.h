/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 instruction decoder behind MMIO exits.
 *
 * A guest access to a guest-physical address with no RAM behind it exits
 * with the address, but not (reliably, on both vendors) with the value or
 * the register involved: we decode the instruction to learn them. Only the
 * plain data moves a driver uses on device registers are decoded: MOV to and
 * from memory (88, 89, 8A, 8B, C6 /0, C7 /0, A0-A3), MOVZX, MOVSX and, in
 * 64-bit mode, MOVSXD with REX.W. Everything else is refused, never guessed.
 *
 * Pure code: no allocation, no locking, no kernel services, so the same
 * decode.c builds into plumb.ko and into the userspace unit tests
 * (tests/unit/test_decode.c).
 *
 * Errors are negative errno values, the same numbers in both worlds (this
 * header includes the right errno header for each):
 *   -EINVAL   not an instruction we decode, or not a valid one: unknown
 *             opcode, register (not memory) operand, LOCK/REP prefix, an
 *             instruction longer than 15 bytes, a bad cpu_mode;
 *   -ENODATA  the bytes given end before the instruction does: fetch more
 *             (up to PLUMB_INSN_MAX_LEN) and call again.
 */
#ifndef PLUMB_DECODE_H
#define PLUMB_DECODE_H

#include "pure.h"

/* SDM Vol. 2A 2.2.1: no instruction is longer than 15 bytes. */
#define PLUMB_INSN_MAX_LEN	15

/* plumb_insn.ext: how a read is widened into the register operand */
#define PLUMB_EXT_NONE		0	/* MOV: size == reg_size */
#define PLUMB_EXT_ZERO		1	/* MOVZX */
#define PLUMB_EXT_SIGN		2	/* MOVSX, MOVSXD */

/* plumb_insn.flags */
#define PLUMB_INSN_F_IMM	(1U << 0)	/* write source is 'imm' */
#define PLUMB_INSN_F_HIGH8	(1U << 1)	/* 'reg' is AH/CH/DH/BH */
#define PLUMB_INSN_F_RIP_REL	(1U << 2)	/* RIP-relative operand */
#define PLUMB_INSN_F_MOFFS	(1U << 3)	/* A0-A3: offset in 'disp' */

/*
 * plumb_insn.seg: the last segment-override prefix, in the SDM's Sreg
 * encoding, recorded as given (64-bit mode ignores all but FS and GS).
 */
#define PLUMB_SEG_ES		0
#define PLUMB_SEG_CS		1
#define PLUMB_SEG_SS		2
#define PLUMB_SEG_DS		3
#define PLUMB_SEG_FS		4
#define PLUMB_SEG_GS		5
#define PLUMB_SEG_NONE		0xff

/*
 * A decoded instruction. Sizes are in bytes.
 *
 * 'reg' is a GPR number, 0 (RAX) to 15 (R15), in the order of the ModRM reg
 * field extended by REX.R. With PLUMB_INSN_F_HIGH8 it is 0..3 and names bits
 * 15:8 of that register: AH, CH, DH, BH (a byte operand without REX).
 *
 * Reads (is_write == 0): 'size' bytes are read and land in 'reg', widened
 * to 'reg_size' as 'ext' says; plumb_insn_apply_read() does it.
 * Writes (is_write == 1): 'size' bytes of 'reg' (reg_size == size), or of
 * 'imm' with PLUMB_INSN_F_IMM, are written; plumb_insn_write_value().
 */
struct plumb_insn {
	u8 len;			/* instruction length, 1..15 */
	u8 size;		/* memory access: 1, 2, 4 or 8 */
	u8 is_write;		/* 1: to memory, 0: from memory */
	u8 ext;			/* PLUMB_EXT_* (reads) */
	u8 reg;			/* destination (read) or source (write) GPR */
	u8 reg_size;		/* size of the register operand */
	u8 flags;		/* PLUMB_INSN_F_* */
	u8 seg;			/* PLUMB_SEG_* */
	u8 op_size;		/* operand-size attribute: 2, 4 or 8 */
	u8 addr_size;		/* address-size attribute: 2, 4 or 8 */
	u8 opcode;		/* opcode byte (the one after 0F if two-byte) */
	u8 two_byte;		/* 1 if the opcode was escaped with 0F */
	u64 imm;		/* immediate, extended to 'size' */
	u64 disp;		/* sign-extended displacement, or moffs */
};

/*
 * Decode the instruction at 'bytes' ('len' of them readable; more than 15 is
 * fine) executed in 'cpu_mode' 16, 32 or 64 (the code segment's default
 * operand size; 64 for long mode). Returns 0 and fills *out, or -EINVAL or
 * -ENODATA (see above) and leaves *out untouched.
 */
int plumb_decode(const u8 *bytes, unsigned int len, int cpu_mode,
		 struct plumb_insn *out);

/*
 * A read's effect on its register: 'old_reg' is regs[insn->reg], 'mem_value'
 * the little-endian value read (bytes beyond 'size' are ignored). Returns
 * the register's new 64-bit value.
 */
u64 plumb_insn_apply_read(const struct plumb_insn *insn, u64 old_reg,
			  u64 mem_value);

/* A write's value, truncated to 'size'; 'regs' is RAX..R15 (16 entries). */
u64 plumb_insn_write_value(const struct plumb_insn *insn, const u64 *regs);

/*
 * MOV to a control register, 0F 22 /r (SDM Vol. 2B MOV; APM Vol. 3 MOV
 * CRn): for the exits that do not name the source register (SVM without
 * decode assists). The ModRM mod field is ignored (always a register),
 * REX.R and AMD's LOCK prefix (APM: "LOCK MOV CR0" is CR8) select CR8-15.
 * Returns 0 and fills *cr, *gpr and *len, or -EINVAL / -ENODATA.
 */
int plumb_decode_mov_to_cr(const u8 *bytes, unsigned int len, int cpu_mode,
			   u8 *cr, u8 *gpr, u8 *insn_len);

/*
 * MOV from (0F 21 /r) or to (0F 23 /r) a debug register (SDM Vol. 2B MOV
 * DR), for SVM without decode assists: the mod field is ignored, REX.B
 * extends the GPR. Returns 0 and fills *write, *dr (0-7), *gpr and *len,
 * or -EINVAL / -ENODATA.
 */
int plumb_decode_mov_dr(const u8 *bytes, unsigned int len, int cpu_mode,
			bool *write, u8 *dr, u8 *gpr, u8 *insn_len);

#endif /* PLUMB_DECODE_H */
