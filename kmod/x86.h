/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86.c: the intercepted instructions both vendors' exit tables point at,
 * and architectural facts they share.
 */
#ifndef PLUMB_X86_H
#define PLUMB_X86_H

#include <linux/types.h>
#include <linux/bits.h>

struct plumb_vcpu;

/*
 * A fault-class exception (SDM Vol. 3A 6.5, Table 6-1): not the traps #DB,
 * #BP and #OF, nor the aborts #DF and #MC. Its handler sees RF set in the
 * pushed RFLAGS (6.8.3), which an injected one only has if we set it.
 */
static inline bool plumb_exception_is_fault(u8 vector)
{
	return vector < 32 && !((BIT(1) | BIT(3) | BIT(4) | BIT(8) | BIT(18)) &
				BIT(vector));
}

/* Like vcpu_run's ops: 1 go on, 0 a record for userspace. */
int plumb_inject_gp(struct plumb_vcpu *vcpu);
int plumb_inject_ud(struct plumb_vcpu *vcpu);
int plumb_emulate_cpuid(struct plumb_vcpu *vcpu);
int plumb_emulate_hlt(struct plumb_vcpu *vcpu);
int plumb_emulate_invd(struct plumb_vcpu *vcpu);
int plumb_emulate_wbinvd(struct plumb_vcpu *vcpu);
int plumb_emulate_hypercall(struct plumb_vcpu *vcpu);
int plumb_emulate_xsetbv(struct plumb_vcpu *vcpu);
int plumb_emulate_rdmsr(struct plumb_vcpu *vcpu);
int plumb_emulate_wrmsr(struct plumb_vcpu *vcpu);
int plumb_emulate_rdpmc(struct plumb_vcpu *vcpu);

#endif /* PLUMB_X86_H */
