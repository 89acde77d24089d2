/* SPDX-License-Identifier: GPL-2.0 */
/*
 * emulate.c: the guest instructions that reach userspace (the MOV behind
 * an MMIO exit, string port I/O), and the MOV CR/DR decode for a backend
 * whose exit does not name the register.
 */
#ifndef PLUMB_EMULATE_H
#define PLUMB_EMULATE_H

#include <linux/types.h>

struct plumb_vcpu;

/* Like vcpu_run's ops: 1 go on, 0 a record for userspace. */
int plumb_emulate_mmio(struct plumb_vcpu *vcpu, u64 gpa, const u8 *hw_bytes,
		       unsigned int hw_len);
int plumb_emulate_string_io(struct plumb_vcpu *vcpu, u16 port, u8 size,
			    bool in, bool rep, u8 addr_size, int seg,
			    u64 next_rip);
int plumb_decode_cr_write(struct plumb_vcpu *vcpu, u8 *cr, u64 *val, u8 *len);
int plumb_decode_dr_access(struct plumb_vcpu *vcpu, bool *write, u8 *dr,
			   u8 *gpr, u8 *len, bool *long64);

#endif /* PLUMB_EMULATE_H */
