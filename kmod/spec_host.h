/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spec_host.c: speculative-execution mitigations around guest entry and
 * exit; the policy itself is the pure spec.c (spec.h).
 */
#ifndef PLUMB_SPEC_HOST_H
#define PLUMB_SPEC_HOST_H

#include <linux/types.h>

struct plumb_vm;

int plumb_spec_init(bool vmx);
u32 plumb_spec_before_entry(struct plumb_vm *vm, u64 *host_spec_ctrl);
void plumb_spec_after_exit(void);

#endif /* PLUMB_SPEC_HOST_H */
