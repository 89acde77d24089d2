// SPDX-License-Identifier: GPL-2.0
/*
 * plumb: the launcher's command line.
 *
 * `plumb run` boots a guest (run.c); `plumb info` and `plumb cpuid`
 * inspect the module; `plumb ps`, `stat`, `top`, `events`, `pause`,
 * `resume` and `kill` see and steer every VM on the host through the
 * management plane (mgmt/).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/plumb.h>

#include "plumb.h"

/* Every capability, from the uapi header's list (PLUMB_CAPS). */
static const struct {
	unsigned long cap;
	const char *name;
} caps[] = {
#define CAP(name, str) { PLUMB_CAP_##name, str },
	PLUMB_CAPS(CAP)
#undef CAP
};

static const char *backend_name(int id)
{
	switch (id) {
	case PLUMB_BACKEND_VMX:
		return "vmx";
	case PLUMB_BACKEND_SVM:
		return "svm";
	default:
		return "unknown";
	}
}

/*
 * Where the module offers KVM's ABI (docs/abi.md, "The KVM personality"):
 * /dev/plumb-kvm, and /dev/kvm when loaded with kvm_personality=on and
 * no KVM module held it.
 */
static void print_kvm_nodes(void)
{
	char buf[64], *p, *save = NULL;
	FILE *f = fopen("/sys/class/misc/plumb/kvm_nodes", "r");

	printf("kvm-abi:");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		printf(" none\n");
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	for (p = strtok_r(buf, " \n", &save); p; p = strtok_r(NULL, " \n", &save))
		printf(" /dev/%s", p);
	printf("\n");
}

static int cmd_info(int fd)
{
	int version, val;
	size_t i;

	version = ioctl(fd, PLUMB_GET_API_VERSION, 0);
	if (version < 0)
		return plumb_err("PLUMB_GET_API_VERSION: %s", strerror(errno));
	printf("api-version: %d\n", version);
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		val = ioctl(fd, PLUMB_CHECK_CAPABILITY, caps[i].cap);
		if (caps[i].cap == PLUMB_CAP_BACKEND)
			printf("%s: %s\n", caps[i].name, backend_name(val));
		else
			printf("%s: %d\n", caps[i].name, val);
	}
	print_kvm_nodes();
	if (version != PLUMB_API_VERSION)
		return plumb_err("module speaks API version %d, this launcher %d",
				 version, PLUMB_API_VERSION);
	return 0;
}

static int cmd_cpuid(int fd)
{
	struct plumb_cpuid *cpuid;
	uint32_t i;

	cpuid = plumb_get_supported_cpuid(fd);
	if (!cpuid)
		return 1;
	printf("function   index    eax      ebx      ecx      edx\n");
	for (i = 0; i < cpuid->nent; i++) {
		const struct plumb_cpuid_entry *e = &cpuid->entries[i];

		printf("%08x %c%-6x %08x %08x %08x %08x\n", e->function,
		       e->flags & PLUMB_CPUID_FLAG_SIGNIFICANT_INDEX ? '.' : ' ',
		       e->index, e->eax, e->ebx, e->ecx, e->edx);
	}
	free(cpuid);
	return 0;
}

/* The management plane's commands, which need no /dev/plumb (mgmt/). */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} mgmt_cmds[] = {
	{ "ps", cmd_ps },
	{ "stat", cmd_stat },
	{ "top", cmd_top },
	{ "events", cmd_events },
	{ "pause", cmd_vmctl },
	{ "resume", cmd_vmctl },
	{ "kill", cmd_vmctl },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: plumb [--device PATH] COMMAND [ARGS]\n"
		"\n"
		"Commands:\n"
		"  run      boot a guest (plumb run --help); alone, the default guest\n"
		"  info     show the module's API version, backend and limits\n"
		"  cpuid    show the CPUID leaves a guest may be given\n"
		"  ps       list every VM on the host (--json)\n"
		"  stat VM  one VM's counters, per vCPU and by exit reason\n"
		"           (--watch N, --json)\n"
		"  top      every VM's exits per second and top exit reasons\n"
		"           (--delay N, --iterations K)\n"
		"  events   print VM lifecycle events as they happen (--json, --count N)\n"
		"  pause VM, resume VM, kill VM\n"
		"           stop a VM's vCPUs, let them run again, end it\n"
		"\n"
		"Options:\n"
		"  -d, --device PATH   the plumb device (default %s)\n"
		"  -h, --help          this help\n"
		"  -V, --version       the launcher's version\n",
		PLUMB_DEVICE);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = PLUMB_DEVICE;
	const char *cmd, *base;
	int c, fd, ret;
	size_t i;

	/* Installed as a QEMU stand-in (e.g. for kvm-unit-tests' QEMU=). */
	base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	if (strstr(base, "qemu"))
		return cmd_qemu(argc, argv);
	while ((c = getopt_long(argc, argv, "+d:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			device = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("plumb %s (API version %d)\n", PLUMB_VERSION,
			       PLUMB_API_VERSION);
			return 0;
		default:
			usage(stderr);
			return PLUMB_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return PLUMB_EXIT_USAGE;
	}
	cmd = argv[optind];
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - optind, argv + optind, device);
	for (i = 0; i < sizeof(mgmt_cmds) / sizeof(mgmt_cmds[0]); i++)
		if (!strcmp(cmd, mgmt_cmds[i].name))
			return mgmt_cmds[i].fn(argc - optind, argv + optind);
	if (strcmp(cmd, "info") && strcmp(cmd, "cpuid")) {
		plumb_err("unknown command '%s' (try plumb --help)", cmd);
		return PLUMB_EXIT_USAGE;
	}

	fd = plumb_open_device(device);
	if (fd < 0)
		return 1;
	ret = strcmp(cmd, "info") ? cmd_cpuid(fd) : cmd_info(fd);
	close(fd);
	return ret;
}
