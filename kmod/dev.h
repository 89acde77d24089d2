/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dev.c: /dev/plumb, its system ioctls and its sysfs counters.
 */
#ifndef PLUMB_DEV_H
#define PLUMB_DEV_H

int plumb_dev_init(void);
void plumb_dev_exit(void);

#endif /* PLUMB_DEV_H */
