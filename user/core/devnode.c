// SPDX-License-Identifier: GPL-2.0
/* Opening /dev/plumb, with a message a user can act on when it fails. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "plumb.h"

int plumb_err(const char *fmt, ...)
{
	va_list ap;

	fputs("plumb: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int plumb_open_device(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		plumb_err("%s: %s: is the module loaded? (modprobe plumb; dmesg says why a load failed)",
			  path, strerror(errno));
		break;
	case EACCES:
	case EPERM:
		plumb_err("%s: %s: add yourself to the 'plumb' group (and log in again), or run as root",
			  path, strerror(errno));
		break;
	default:
		plumb_err("%s: %s", path, strerror(errno));
		break;
	}
	return -1;
}

struct plumb_cpuid *plumb_get_supported_cpuid(int fd)
{
	uint32_t nent = 64;

	for (;;) {
		struct plumb_cpuid *c;

		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c) {
			plumb_err("out of memory");
			return NULL;
		}
		c->nent = nent;
		if (!ioctl(fd, PLUMB_GET_SUPPORTED_CPUID, c))
			return c;
		if (errno != E2BIG || c->nent <= nent) {
			plumb_err("PLUMB_GET_SUPPORTED_CPUID: %s", strerror(errno));
			free(c);
			return NULL;
		}
		nent = c->nent;
		free(c);
	}
}
