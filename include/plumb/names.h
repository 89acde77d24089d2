/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names for the exit records of include/uapi/linux/plumb.h, for userspace
 * messages (the launcher, the tests, the benchmarks): one table, so that
 * every program names an exit the same way. tests/unit/test_names.c fails
 * when the uapi header defines a PLUMB_EXIT_* reason or a PLUMB_INTERNAL_*
 * sub-reason that has no name here.
 */
#ifndef PLUMB_NAMES_H
#define PLUMB_NAMES_H

#include <stddef.h>
#include <linux/plumb.h>

/* plumb_exit.reason's name, or NULL for a reason the uapi does not define. */
static inline const char *plumb_exit_name(unsigned int reason)
{
	static const char *const names[] = {
		[PLUMB_EXIT_NONE]		= "none",
		[PLUMB_EXIT_IO]			= "io",
		[PLUMB_EXIT_MMIO]		= "mmio",
		[PLUMB_EXIT_HLT]		= "hlt",
		[PLUMB_EXIT_SHUTDOWN]		= "shutdown",
		[PLUMB_EXIT_HYPERCALL]		= "hypercall",
		[PLUMB_EXIT_FAIL_ENTRY]		= "fail-entry",
		[PLUMB_EXIT_INTERNAL_ERROR]	= "internal-error",
		[PLUMB_EXIT_MSR]		= "msr",
		[PLUMB_EXIT_EOI]		= "eoi",
	};

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : NULL;
}

/* plumb_exit.internal.suberror's name, or NULL for an undefined one. */
static inline const char *plumb_internal_name(unsigned int suberror)
{
	static const char *const names[] = {
		[PLUMB_INTERNAL_EMULATION]	= "emulation",
		[PLUMB_INTERNAL_UNHANDLED_EXIT]	= "unhandled-exit",
		[PLUMB_INTERNAL_RING]		= "ring",
	};

	return suberror < sizeof(names) / sizeof(names[0]) ? names[suberror] : NULL;
}

#endif /* PLUMB_NAMES_H */
