/* SPDX-License-Identifier: GPL-2.0 */
/*
 * t_guest's subjects: each guest/SUBJECT.c holds the subtests of one
 * subject and ends with its table, guest_SUBJECT_tests[]; t_guest.c lists
 * the tables and runs the subtest named on its command line. A new subtest
 * is a function and a row in its subject's table (and its tests.cfg line).
 */
#ifndef PLUMB_T_GUEST_H
#define PLUMB_T_GUEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../testlib.h"
#include "../vmlib.h"

#define MEM_SIZE	(4UL << 20)
#define GUESTS		"guests/"	/* tests/guests/, as copied to the host */

/*
 * One subtest: "t_guest NAME [ARG]". Exactly one of the run functions is
 * set: run() takes nothing, run_int() gets param (hello16 → 16), run_arg()
 * gets ARG ("" when absent), which usage describes.
 */
struct guest_test {
	const char *name;
	int (*run)(void);
	int (*run_int)(int param);
	int param;
	int (*run_arg)(const char *arg);
	const char *usage;
};

/* Each ends with an entry whose name is NULL. */
extern const struct guest_test guest_exits_tests[], guest_mmio_tests[],
	guest_posted_tests[], guest_cpu_tests[], guest_vm_tests[],
	guest_sregs_tests[], guest_run_tests[], guest_debug_tests[],
	guest_state_tests[], guest_dirty_tests[];

/*
 * A VM with MEM_SIZE of RAM, guests/GUEST-MODE.bin loaded at GUEST_LOAD and
 * one vCPU in MODE about to run it.
 */
void setup(struct vm *vm, struct vcpu *v, const char *guest, int mode);
/* CLOCK_MONOTONIC in seconds. */
double now(void);
/* A SIGALRM handler that does nothing: the signal only interrupts RUN. */
void on_alarm(int sig);

#endif /* PLUMB_T_GUEST_H */
