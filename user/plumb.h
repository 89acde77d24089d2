/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PLUMB_USER_H
#define PLUMB_USER_H

#include <linux/plumb.h>

#define PLUMB_VERSION	"0.1.0"
#define PLUMB_DEVICE	"/dev/plumb"

/* Exit status for a command line the launcher cannot understand. */
#define PLUMB_EXIT_USAGE	2

/* Print "plumb: MESSAGE" on stderr; returns 1 for `return plumb_err(...)`. */
int plumb_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Open the device, or explain on stderr why not (and what to do). */
int plumb_open_device(const char *path);

/* The module's supported CPUID table (malloc'ed), or NULL after a message. */
struct plumb_cpuid *plumb_get_supported_cpuid(int fd);

#endif /* PLUMB_USER_H */
