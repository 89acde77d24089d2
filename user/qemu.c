// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU-compatible entry point: `plumb` installed (or symlinked) under a
 * name containing "qemu" takes the subset of qemu-system-x86_64's command
 * line that test suites pass (kvm-unit-tests' x86/run in particular:
 * QEMU=/path/to/plumb-qemu ./run_tests.sh). Display, machine and
 * accelerator options are ignored; an option we cannot honour is refused
 * with one error line and status 2, so that such a test reports SKIP
 * rather than a wrong result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

/* Options that take an argument we ignore, and flags we ignore. */
static const char *const ignored_arg[] = {
	"-machine", "-M", "-display", "-global", "-serial", "-name", "-vnc",
	"-monitor", "-accel", "-boot", "-rtc", "-vga", "-k", NULL,
};
static const char *const ignored_flag[] = {
	"-no-reboot", "-nodefaults", "-nographic", "-enable-kvm", "-S",
	"-no-hpet", "-no-acpi", NULL,
};

static bool in(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static int device(struct vm_config *cfg, const char *d)
{
	if (!strcmp(d, "?") || !strcmp(d, "help")) {
		printf("name \"pc-testdev\", bus ISA\n"
		       "name \"isa-debug-exit\", bus ISA\n"
		       "name \"isa-serial\", bus ISA\n");
		exit(0);
	}
	if (!strncmp(d, "pc-testdev", 10)) {
		cfg->pc_testdev = true;
		return 0;
	}
	/* Our debug-exit is fixed at 0xf4, 4 bytes: what test suites use. */
	if (!strncmp(d, "isa-debug-exit", 14) &&
	    (!strstr(d, "iobase=") || strstr(d, "iobase=0xf4")))
		return 0;
	if (!strncmp(d, "isa-serial", 10))
		return 0;
	fprintf(stderr, "qemu-system-x86_64: -device %s: plumb has no such device\n", d);
	return -1;
}

static int cpu(const char *model)
{
	/* Feature flags would silently collapse test variants: refuse them. */
	if ((!strcmp(model, "max") || !strcmp(model, "qemu64")) &&
	    !strchr(model, ','))
		return 0;
	fprintf(stderr, "qemu-system-x86_64: -cpu %s: CPU model not supported by plumb (only max and qemu64, without feature flags)\n",
		model);
	return -1;
}

int cmd_qemu(int argc, char **argv)
{
	struct vm_config cfg = {
		.device = PLUMB_DEVICE, .mem = 128 * MiB, .cpus = 1,
		.no_console_input = true,
	};
	FILE *f;
	int i;

	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;

		if (o[0] == '-' && o[1] == '-')
			o++;		/* QEMU takes -opt and --opt alike */
		if (!strcmp(o, "-help") || !strcmp(o, "-h") || !strcmp(o, "-version")) {
			printf("QEMU emulator version 7.2.0 compatible: plumb %s (a plumb.ko VM, not QEMU)\n"
			       "usage: plumb-qemu -kernel FILE [-initrd FILE] [-append CMDLINE] [-smp N] [-m SIZE]\n"
			       "                  [-device pc-testdev|isa-debug-exit] [-cpu max|qemu64]\n",
			       PLUMB_VERSION);
			return 0;
		}
		if (in(ignored_flag, o))
			continue;
		if (!a) {
			fprintf(stderr, "qemu-system-x86_64: %s: missing argument or unknown option\n", o);
			return PLUMB_EXIT_USAGE;
		}
		i++;
		if (in(ignored_arg, o))
			continue;
		if (!strcmp(o, "-kernel")) {
			cfg.kernel = a;
		} else if (!strcmp(o, "-initrd")) {
			cfg.initrd = a;
		} else if (!strcmp(o, "-append")) {
			cfg.append = a;
		} else if (!strcmp(o, "-smp")) {
			const char *c = strstr(a, "cpus=");

			cfg.cpus = (unsigned int)strtoul(c ? c + 5 : a, NULL, 10);
		} else if (!strcmp(o, "-m")) {
			const char *s = strstr(a, "size=");

			if (parse_size(s ? s + 5 : a, &cfg.mem)) {
				fprintf(stderr, "qemu-system-x86_64: -m %s: bad size\n", a);
				return PLUMB_EXIT_USAGE;
			}
		} else if (!strcmp(o, "-device")) {
			if (device(&cfg, a))
				return PLUMB_EXIT_USAGE;
		} else if (!strcmp(o, "-cpu")) {
			if (cpu(a))
				return PLUMB_EXIT_USAGE;
		} else {
			fprintf(stderr, "qemu-system-x86_64: %s: option not supported by plumb\n", o);
			return PLUMB_EXIT_USAGE;
		}
	}
	if (!cfg.kernel) {
		fprintf(stderr, "qemu-system-x86_64: no -kernel given (plumb boots images only)\n");
		return PLUMB_EXIT_USAGE;
	}
	f = fopen(cfg.kernel, "r");
	if (!f) {
		fprintf(stderr, "qemu-system-x86_64: could not load kernel '%s'\n", cfg.kernel);
		return PLUMB_EXIT_USAGE;
	}
	fclose(f);
	return run_vm(&cfg);
}
