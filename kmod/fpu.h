/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fpu.c: guest FPU/XSAVE state, shared by the backends.
 */
#ifndef PLUMB_FPU_H
#define PLUMB_FPU_H

#include <linux/compiler_types.h>
#include <linux/types.h>

struct fxregs_state;
struct plumb_vcpu;

int plumb_fpu_probe(void);
int plumb_fpu_alloc(struct plumb_vcpu *vcpu);
void plumb_fpu_free(struct plumb_vcpu *vcpu);
int plumb_fpu_load_guest(struct plumb_vcpu *vcpu);
void plumb_fpu_save_guest(struct plumb_vcpu *vcpu);
int plumb_set_xcr(struct plumb_vcpu *vcpu, u32 index, u64 value);
void plumb_fpu_get_fxsave(struct plumb_vcpu *vcpu, struct fxregs_state *fx);
int plumb_fpu_set_fxsave(struct plumb_vcpu *vcpu,
			 const struct fxregs_state *fx);
unsigned int plumb_fpu_xsave_size(void);
int plumb_fpu_get_xsave(struct plumb_vcpu *vcpu, void __user *to);
int plumb_fpu_set_xsave(struct plumb_vcpu *vcpu, const void __user *from);
struct plumb_xcrs;
void plumb_fpu_get_xcrs(struct plumb_vcpu *vcpu, struct plumb_xcrs *x);
int plumb_fpu_set_xcrs(struct plumb_vcpu *vcpu, const struct plumb_xcrs *x);

#endif /* PLUMB_FPU_H */
