// SPDX-License-Identifier: GPL-2.0
/*
 * `plumb run`: read the command line, check every input before the device
 * is even opened, make the VM, load the guest, run it, and exit with the
 * guest's status (plumb.h lists the codes; docs/plumb.1 explains them).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

#define DEFAULT_MEM	(128 * MiB)	/* QEMU's default, what kvm-unit-tests expects */
#define MAX_CPUS	64
#define DEFAULT_GUEST	"plumb-default-guest"

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: plumb run [OPTIONS]\n"
		"\n"
		"Boot a guest with its serial console (COM1) on this terminal.\n"
		"Without --kernel or --flat, boots plumb's own small default guest.\n"
		"\n"
		"  -k, --kernel FILE      a multiboot (v1) ELF, such as kvm-unit-tests' .flat\n"
		"                         images, or a Linux bzImage\n"
		"  -i, --initrd FILE      bzImage: the initrd; multiboot: module 1\n"
		"                         (kvm-unit-tests' environment file)\n"
		"  -a, --append CMDLINE   the kernel command line (multiboot: after the\n"
		"                         program name, which is the --kernel path)\n"
		"      --flat FILE@ADDR[,MODE]\n"
		"                         a flat binary at guest-physical ADDR, entered there in\n"
		"                         MODE: real (16), 32 (flat protected, paging off;\n"
		"                         the default) or 64 (long mode, 0-4 GiB identity-mapped)\n"
		"  -m, --mem SIZE         guest RAM, e.g. 512M, 2G (plain number: MiB;\n"
		"                         default 128M)\n"
		"  -c, --cpus N           vCPUs (default 1)\n"
		"      --pc-testdev       add QEMU's pc-testdev (ports 0xe0-0xe8, 0x2000)\n"
		"      --disk FILE[,ro]   a virtio-blk disk on a raw image (repeatable)\n"
		"      --net tap[=NAME][,bridge=BR]\n"
		"                         a virtio-net NIC on a tap device (repeatable)\n"
		"      --rng              a virtio-rng device (the host's getrandom)\n"
		"      --vconsole         a virtio console (hvc0), which takes the input\n"
		"      --virtio pci|mmio|mmio-cmdline\n"
		"                         the virtio transport (default pci); virtio-mmio\n"
		"                         devices are declared in ACPI, or with\n"
		"                         virtio_mmio.device= on the command line\n"
		"  -d, --device PATH      the plumb device (default " PLUMB_DEVICE ")\n"
		"  -v, --verbose          say what the VM does that the launcher ignores\n"
		"  -h, --help             this help\n"
		"\n"
		"Console: Ctrl-A x quits, Ctrl-A h lists the keys (on a terminal).\n"
		"Exit status: (v << 1) | 1 for a guest's write of v to port 0xf4;\n"
		"0 power-off, reset or Ctrl-A x; 2 usage; 4 bad input or setup failure;\n"
		"6 triple fault; 8 internal error; 10 all vCPUs halted with interrupts\n"
		"off; 12 stopped by a signal. kill -QUIT prints every vCPU's state.\n"
		"See plumb(1).\n");
}

/* "512M", "2G", "64" (MiB), "1048576K". */
int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t unit = MiB;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		unit = KiB;
		end++;
		break;
	case 'm': case 'M':
		end++;
		break;
	case 'g': case 'G':
		unit = GiB;
		end++;
		break;
	case 't': case 'T':
		unit = 1024 * GiB;
		end++;
		break;
	case 'b': case 'B':
		unit = 1;
		end++;
		break;
	default:
		break;
	}
	if (*end == 'i' || *end == 'B')	/* 512MiB, 512MB */
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || v > UINT64_MAX / unit)
		return -EINVAL;
	*out = v * unit;
	return 0;
}

/* FILE@ADDR[,MODE] */
int parse_flat(char *arg, struct vm_config *cfg)
{
	char *at = strrchr(arg, '@'), *mode, *end;

	if (!at || at == arg)
		return -EINVAL;
	*at = 0;
	mode = strchr(at + 1, ',');
	if (mode)
		*mode++ = 0;
	errno = 0;
	cfg->flat_addr = strtoull(at + 1, &end, 0);
	if (errno || end == at + 1 || *end)
		return -EINVAL;
	cfg->flat = arg;
	cfg->flat_mode = CPU_PROT32;
	if (!mode)
		return 0;
	if (!strcmp(mode, "real") || !strcmp(mode, "16"))
		cfg->flat_mode = CPU_REAL;
	else if (!strcmp(mode, "32") || !strcmp(mode, "prot"))
		cfg->flat_mode = CPU_PROT32;
	else if (!strcmp(mode, "64") || !strcmp(mode, "long"))
		cfg->flat_mode = CPU_LONG64;
	else
		return -EINVAL;
	return 0;
}

/* --disk FILE[,ro] */
int parse_disk(char *arg, struct vm_config *cfg)
{
	char *opt = strrchr(arg, ',');

	if (cfg->ndisks == MAX_DISKS || !*arg)
		return -EINVAL;
	cfg->disks[cfg->ndisks].ro = false;
	if (opt && !strcmp(opt, ",ro")) {
		*opt = 0;
		cfg->disks[cfg->ndisks].ro = true;
	}
	if (!*arg)
		return -EINVAL;
	cfg->disks[cfg->ndisks++].path = arg;
	return 0;
}

/* --net tap[=NAME][,bridge=BR] */
int parse_net(char *arg, struct vm_config *cfg)
{
	struct nic_config *n = &cfg->nics[cfg->nnics];
	char *opt = strchr(arg, ',');

	if (cfg->nnics == MAX_NICS)
		return -EINVAL;
	if (opt)
		*opt++ = 0;
	if (strncmp(arg, "tap", 3) || (arg[3] && arg[3] != '='))
		return -EINVAL;
	n->tap = arg[3] ? arg + 4 : NULL;
	n->bridge = NULL;
	if (n->tap && (!*n->tap || strlen(n->tap) >= 16))
		return -EINVAL;
	if (opt) {
		if (strncmp(opt, "bridge=", 7) || !opt[7] || strlen(opt + 7) >= 16 ||
		    strchr(opt, ','))
			return -EINVAL;
		n->bridge = opt + 7;
	}
	cfg->nnics++;
	return 0;
}

/* Both kinds of kernel the launcher knows, told apart by their headers. */
static int load_kernel(struct vm *vm, const struct vm_config *cfg,
		       struct boot_state *boot)
{
	struct image kernel, initrd = { 0 };
	char *cmdline = NULL;
	bool is_default = !cfg->kernel && !cfg->flat;
	int ret = -1;

	if (cfg->flat) {
		if (image_read(&kernel, cfg->flat, "--flat"))
			return -1;
		ret = load_flat(&vm->mem, &kernel, cfg->flat_addr, cfg->flat_mode, boot);
		image_free(&kernel);
		return ret;
	}
	if (is_default) {
		memset(&kernel, 0, sizeof(kernel));
		kernel.data = plumb_default_guest;
		kernel.len = (size_t)(plumb_default_guest_end - plumb_default_guest);
		kernel.path = DEFAULT_GUEST;
	} else if (image_read(&kernel, cfg->kernel, "--kernel")) {
		return -1;
	}
	if (cfg->initrd && image_read(&initrd, cfg->initrd, "--initrd"))
		goto out;
	if (bzimage_probe(&kernel)) {
		/* What the devices add (virtio_mmio.device=...) goes last. */
		if (vm->cmdline_extra[0]) {
			size_t n = (cfg->append ? strlen(cfg->append) : 0) +
				   strlen(vm->cmdline_extra) + 2;

			cmdline = malloc(n);
			if (!cmdline)
				goto out;
			strcpy(cmdline, cfg->append ? cfg->append : "");
			if (cfg->append)
				strcat(cmdline, " ");
			strcat(cmdline, vm->cmdline_extra);
		}
		ret = load_bzimage(&vm->mem, &kernel, cmdline ? cmdline : cfg->append,
				   cfg->initrd ? &initrd : NULL, boot);
	} else if (multiboot_probe(&kernel)) {
		size_t n = strlen(kernel.path) + 2 + (cfg->append ? strlen(cfg->append) : 0);

		cmdline = malloc(n);
		if (!cmdline)
			goto out;
		strcpy(cmdline, kernel.path);
		if (cfg->append) {
			strcat(cmdline, " ");
			strcat(cmdline, cfg->append);
		}
		ret = load_multiboot(&vm->mem, &kernel, cmdline, &initrd,
				     cfg->initrd ? 1 : 0, boot);
	} else {
		plumb_err("--kernel %s: neither a Linux bzImage nor a multiboot image",
			  kernel.path);
	}
out:
	free(cmdline);
	image_free(&initrd);
	image_free(&kernel);
	return ret;
}

/* The checks that need no device: files exist, options make sense. */
static int precheck(const struct vm_config *cfg)
{
	struct image img;

	if (cfg->flat && cfg->kernel)
		return plumb_err("--flat and --kernel exclude each other");
	if (cfg->flat && cfg->initrd)
		return plumb_err("--initrd goes with --kernel, not --flat");
	if (!cfg->cpus || cfg->cpus > MAX_CPUS)
		return plumb_err("--cpus %u: give 1 to %d", cfg->cpus, MAX_CPUS);
	/* Read once now so that a bad path fails before /dev/plumb is asked. */
	if (cfg->kernel) {
		if (image_read(&img, cfg->kernel, "--kernel"))
			return 1;
		if (!bzimage_probe(&img) && !multiboot_probe(&img)) {
			image_free(&img);
			return plumb_err("--kernel %s: neither a Linux bzImage nor a multiboot image",
					 cfg->kernel);
		}
		image_free(&img);
	}
	if (cfg->initrd) {
		if (image_read(&img, cfg->initrd, "--initrd"))
			return 1;
		image_free(&img);
	}
	if (cfg->flat) {
		if (image_read(&img, cfg->flat, "--flat"))
			return 1;
		image_free(&img);
	}
	return 0;
}

/*
 * Run every vCPU in its thread, and the console here, until vm_stop;
 * returns the exit status.
 */
static int run_threads(struct vm *vm)
{
	sigset_t block;
	unsigned int i;
	int ret;

	vcpu_init_signals();
	/* Threads inherit this: only the console loop takes these signals. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, VCPU_KICK);
	pthread_sigmask(SIG_BLOCK, &block, NULL);

	console_start(vm);
	ret = event_start(vm);
	if (ret)
		vm_stop(vm, PLUMB_EXIT_INTERNAL, "cannot start the event thread: %s",
			strerror(-ret));
	for (i = 0; i < vm->ncpus && !ret; i++) {
		ret = vcpu_start(&vm->vcpus[i]);
		if (ret) {
			vm_stop(vm, PLUMB_EXIT_INTERNAL, "cannot start vCPU %u's thread: %s",
				i, strerror(ret));
			break;
		}
	}
	console_loop(vm);

	/*
	 * Stop every vCPU: immediate_exit for the next RUN, a signal for
	 * one running now (a vCPU serving a device holds only that
	 * device's lock, for at most VQ_BUDGET chains, and the service
	 * loops see vm->stopping). Then wake the ones halted in
	 * handle_hlt: under vm->lock, so that none misses the broadcast.
	 */
	for (i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i], true);
	pthread_mutex_lock(&vm->lock);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].thread_started)
			pthread_join(vm->vcpus[i].thread, NULL);
	/* The guest's last output before the reason it stopped. */
	devices_flush(vm);
	console_restore();
	/* Odd statuses are the guest's own verdict (debug-exit): quiet. */
	if (vm_stop_message()[0] &&
	    (vm->cfg->verbose || (vm->status != PLUMB_EXIT_OK && !(vm->status & 1))))
		plumb_err("%s", vm_stop_message());
	if (vm->unhandled)
		vm_log(vm, "%" PRIu64 " unhandled port/MMIO accesses", vm->unhandled);
	return vm->status;
}

int run_vm(struct vm_config *cfg)
{
	struct boot_state boot;
	struct vm vm;
	int ret;

	if (precheck(cfg))
		return PLUMB_EXIT_SETUP;
	if (vm_init(&vm, cfg)) {
		plumb_err("out of memory");
		return PLUMB_EXIT_SETUP;
	}
	ret = PLUMB_EXIT_SETUP;
	/* Devices before the kernel: they add to its command line. */
	if (vm_open(&vm) || devices_init(&vm) || load_kernel(&vm, cfg, &boot) ||
	    vm_create_vcpus(&vm, &boot))
		goto out;
	ret = run_threads(&vm);
out:
	vm_destroy(&vm);
	return ret;
}

int cmd_run(int argc, char **argv, const char *device)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "flat", required_argument, NULL, 'f' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "pc-testdev", no_argument, NULL, 'T' },
		{ "device", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "disk", required_argument, NULL, 'D' },
		{ "net", required_argument, NULL, 'N' },
		{ "rng", no_argument, NULL, 'R' },
		{ "vconsole", no_argument, NULL, 'C' },
		{ "virtio", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_config cfg = {
		.device = device, .mem = DEFAULT_MEM, .cpus = 1,
	};
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:i:a:m:c:d:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			cfg.kernel = optarg;
			break;
		case 'i':
			cfg.initrd = optarg;
			break;
		case 'a':
			cfg.append = optarg;
			break;
		case 'f':
			if (parse_flat(optarg, &cfg)) {
				plumb_err("--flat %s: want FILE@ADDR[,real|32|64]", optarg);
				return PLUMB_EXIT_USAGE;
			}
			break;
		case 'm':
			if (parse_size(optarg, &cfg.mem)) {
				plumb_err("--mem %s: want a size such as 512M or 2G", optarg);
				return PLUMB_EXIT_USAGE;
			}
			break;
		case 'c':
			errno = 0;
			cfg.cpus = (unsigned int)strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-') {
				plumb_err("--cpus %s: want a number", optarg);
				return PLUMB_EXIT_USAGE;
			}
			break;
		case 'T':
			cfg.pc_testdev = true;
			break;
		case 'd':
			cfg.device = optarg;
			break;
		case 'D':
			if (parse_disk(optarg, &cfg)) {
				plumb_err("--disk %s: want FILE[,ro] (at most %d disks)",
					  optarg, MAX_DISKS);
				return PLUMB_EXIT_USAGE;
			}
			break;
		case 'N':
			if (parse_net(optarg, &cfg)) {
				plumb_err("--net %s: want tap[=NAME][,bridge=BR] (at most %d)",
					  optarg, MAX_NICS);
				return PLUMB_EXIT_USAGE;
			}
			break;
		case 'R':
			cfg.rng = true;
			break;
		case 'C':
			cfg.vconsole = true;
			break;
		case 'V':
			if (!strcmp(optarg, "mmio")) {
				cfg.virtio = VIRTIO_MMIO;
			} else if (!strcmp(optarg, "mmio-cmdline")) {
				cfg.virtio = VIRTIO_MMIO_CMDLINE;
			} else if (!strcmp(optarg, "pci")) {
				cfg.virtio = VIRTIO_PCI;
			} else {
				plumb_err("--virtio %s: want pci, mmio or mmio-cmdline", optarg);
				return PLUMB_EXIT_USAGE;
			}
			break;
		case 'v':
			cfg.verbose++;
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "(plumb run --help lists the options)\n");
			return PLUMB_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		plumb_err("run: unexpected argument '%s' (plumb run --help)", argv[optind]);
		return PLUMB_EXIT_USAGE;
	}
	return run_vm(&cfg);
}
