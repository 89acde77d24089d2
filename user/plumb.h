/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PLUMB_USER_H
#define PLUMB_USER_H

#include <linux/plumb.h>

#define PLUMB_VERSION	"0.1.0"
#define PLUMB_DEVICE	"/dev/plumb"

/*
 * Exit statuses. The guest's debug-exit value v gives (v << 1) | 1, as
 * QEMU's isa-debug-exit does, so every odd status belongs to the guest;
 * the launcher's own are even (docs/decisions.md 47, docs/plumb.1).
 */
#define PLUMB_EXIT_OK		0	/* guest powered off or reset; Ctrl-A x */
#define PLUMB_EXIT_USAGE	2	/* a command line we cannot understand */
#define PLUMB_EXIT_SETUP	4	/* bad input: file, module, memory, ... */
#define PLUMB_EXIT_TRIPLE	6	/* the guest triple-faulted */
#define PLUMB_EXIT_INTERNAL	8	/* internal error, failed VM entry */
#define PLUMB_EXIT_HALTED	10	/* every vCPU halted with interrupts off */
#define PLUMB_EXIT_SIGNAL	12	/* stopped by SIGINT/SIGTERM */
#define PLUMB_EXIT_KILLED	14	/* plumb kill: RUN said ECANCELED */

/* Print "plumb: MESSAGE" on stderr; returns 1 for `return plumb_err(...)`. */
int plumb_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Open the device, or explain on stderr why not (and what to do). */
int plumb_open_device(const char *path);

/* The module's supported CPUID table (malloc'ed), or NULL after a message. */
struct plumb_cpuid *plumb_get_supported_cpuid(int fd);

/* `plumb run ARGS` (run.c) and the QEMU-compatible entry point (qemu.c). */
int cmd_run(int argc, char **argv, const char *device);
int cmd_qemu(int argc, char **argv);

/*
 * The management plane (mgmt/cmd.c): argv[0] is the command's name.
 * cmd_vmctl is pause, resume and kill.
 */
int cmd_ps(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_vmctl(int argc, char **argv);

#endif /* PLUMB_USER_H */
