/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the host-side test programs run inside the emulated host.
 * Each program prints one line per check and exits 0 only if all held;
 * t_note() lines between them say how far it got.
 */
#ifndef PLUMB_TESTLIB_H
#define PLUMB_TESTLIB_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Failed checks so far, over all of a program's files (vmlib.c has it). */
extern int t_failures;

#define T_CHECK(cond, ...) do {						\
	if (cond) {							\
		printf("ok: ");						\
	} else {							\
		printf("FAIL (%s:%d): ", __FILE__, __LINE__);		\
		t_failures++;						\
	}								\
	printf(__VA_ARGS__);						\
	putchar('\n');							\
} while (0)

/*
 * A progress line, such as "the guest wrote hello": what the expect_*()
 * calls before it asserted (they exit on a mismatch). Never a check: it
 * cannot fail and does not count.
 */
#define t_note(...) do {						\
	printf("  -> ");						\
	printf(__VA_ARGS__);						\
	putchar('\n');							\
} while (0)

/* An ioctl expected to fail with @err: the call is evaluated once. */
#define T_ERRNO(call, err, what) do {					\
	long t_ret_ = (call);						\
	int t_errno_ = errno;						\
	T_CHECK(t_ret_ == -1 && t_errno_ == (err),			\
		"%s -> %ld errno %d (%s), want -1 errno %d (%s)", (what),\
		t_ret_, t_ret_ == -1 ? t_errno_ : 0,			\
		t_ret_ == -1 ? strerror(t_errno_) : "-", (err),		\
		strerror(err));						\
} while (0)

static inline int t_done(void)
{
	printf("%s: %d failure(s)\n", t_failures ? "FAILED" : "PASSED",
	       t_failures);
	return t_failures ? 1 : 0;
}

#endif /* PLUMB_TESTLIB_H */
