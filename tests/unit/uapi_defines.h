/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit tests that check a list against the uapi headers read their
 * defines from the headers themselves (UAPI_HEADER, UAPI_GENL_HEADER, given
 * by the Makefile).
 */
#ifndef PLUMB_TEST_UAPI_DEFINES_H
#define PLUMB_TEST_UAPI_DEFINES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#ifndef UAPI_HEADER
#error "UAPI_HEADER: the path of include/uapi/linux/plumb.h (Makefile)"
#endif
#ifndef UAPI_GENL_HEADER
#error "UAPI_GENL_HEADER: the path of include/uapi/linux/plumb_genl.h (Makefile)"
#endif

/*
 * Calls @check(value, name) for each "#define PREFIX<NAME> <number>" of
 * the header @path, skipping PREFIX<skip>*; returns how many there were.
 * A define of the prefix whose value is not a plain number fails.
 */
static inline int for_each_define_in(const char *path, const char *prefix,
				     const char *skip,
				     void (*check)(unsigned long, const char *))
{
	FILE *f = fopen(path, "r");
	char line[256], name[128], value[64];
	int n = 0;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		char *end;
		unsigned long v;

		if (sscanf(line, "#define %127s %63s", name, value) != 2 ||
		    strncmp(name, prefix, strlen(prefix)) ||
		    (skip && !strncmp(name + strlen(prefix), skip, strlen(skip))))
			continue;
		v = strtoul(value, &end, 0);
		ck_assert_msg(*end == '\0', "%s = %s: not a number", name, value);
		check(v, name);
		n++;
	}
	fclose(f);
	return n;
}

/* for_each_define_in() on include/uapi/linux/plumb.h. */
static inline int for_each_define(const char *prefix, const char *skip,
				  void (*check)(unsigned long, const char *))
{
	return for_each_define_in(UAPI_HEADER, prefix, skip, check);
}

#endif /* PLUMB_TEST_UAPI_DEFINES_H */
