/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hw.c: VMX/SVM on every online CPU while a VM exists.
 */
#ifndef PLUMB_HW_H
#define PLUMB_HW_H

#include <linux/types.h>

int plumb_hw_get(void);
void plumb_hw_put(void);
bool plumb_hw_enabled_here(void);

#endif /* PLUMB_HW_H */
