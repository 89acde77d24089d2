// SPDX-License-Identifier: GPL-2.0
/*
 * Guests running on plumb: each subtest is a tiny guest from tests/guests
 * and the exits it must produce, asserted one by one (KVM selftests style).
 * The subtests live in guest/SUBJECT.c, one file per subject, each with its
 * table of names (guest/guest.h); this file looks the name up.
 * Usage: t_guest SUBTEST [ARG]   (without one: the list)
 */
#define _GNU_SOURCE
#include <time.h>

#include "guest/guest.h"

static const struct guest_test *const subjects[] = {
	guest_exits_tests, guest_mmio_tests, guest_posted_tests,
	guest_cpu_tests, guest_vm_tests, guest_sregs_tests, guest_run_tests,
	guest_debug_tests, guest_state_tests, guest_dirty_tests,
};

void setup(struct vm *vm, struct vcpu *v, const char *guest, int mode)
{
	char path[128];

	vm_create(vm, MEM_SIZE);
	snprintf(path, sizeof(path), GUESTS "%s-%d.bin", guest, mode);
	vm_load(vm, path, GUEST_LOAD);
	vcpu_create(vm, v, 0);
	vcpu_set_mode(v, mode, GUEST_LOAD);
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void on_alarm(int sig)
{
	(void)sig;
}

static int usage(void)
{
	fprintf(stderr, "usage: t_guest SUBTEST [ARG], SUBTEST one of:\n");
	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		for (const struct guest_test *t = subjects[i]; t->name; t++)
			fprintf(stderr, "  %s%s%s\n", t->name,
				t->usage ? " " : "", t->usage ? t->usage : "");
	return 2;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		for (const struct guest_test *t = subjects[i]; t->name; t++) {
			if (strcmp(t->name, name))
				continue;
			if (t->run_int)
				return t->run_int(t->param);
			if (t->run_arg)
				return t->run_arg(arg);
			return t->run();
		}
	}
	return usage();
}
