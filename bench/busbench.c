// SPDX-License-Identifier: GPL-2.0
/*
 * busbench: what the launcher's vCPU threads cost each other per exit,
 * without a guest. N threads run the launcher's own vcpu_thread() loop;
 * PLUMB_RUN is replaced by a fake kernel that puts one port-write record
 * in the vCPU's ring per RUN (as a non-posted OUT does), so every exit
 * pays exactly what the launcher adds: the ring, vcpu_handle_exit,
 * io_dispatch, the device handler, and whatever runs before each RUN.
 *
 *   busbench [-t THREADS] [-n EXITS_PER_THREAD] [-w own|mixed|uart]
 *
 * own:   every vCPU writes a device of its own (an MMIO page each);
 *        nothing is shared but what the launcher shares.
 * mixed: the platform devices are there; vCPU 0 prints on COM1 (a line
 *        of 64 bytes: one write(2) to the console per line) and every
 *        other vCPU writes a device of its own.
 * uart:  the platform devices are there and every vCPU writes COM1's
 *        scratch register: one device, shared by all.
 *
 * Prints "RESULT workload threads exits/s ns/exit csw/kexit": csw/kexit
 * is the vCPU threads' voluntary context switches per 1000 exits, i.e.
 * how often one went to sleep on a lock another one held (the
 * machine's core count bounds exits/s; it does not hide the waits).
 * Not a test, asserts nothing (bench/README.md has the method and
 * figures).
 */
#define _GNU_SOURCE	/* RUSAGE_THREAD */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vm.h"

#define RING_ENTRIES	64
#define OWN_MMIO	0xe0000000ULL	/* + 4 KiB per vCPU */

static struct vm vm;
static struct vm_config cfg;
static unsigned long exits_per_thread = 200000;
static unsigned int nthreads = 1;
static unsigned int finished;
static struct timespec t_end;

/* Per vCPU, a cache line each: the bench itself shares nothing. */
static struct per_cpu {
	unsigned long made;		/* records the fake kernel produced */
	unsigned long written;		/* own: writes its device saw */
	long csw0, csw;			/* its voluntary context switches */
	pthread_mutex_t lock;		/* own: its device's lock */
	uint16_t port;			/* 0: MMIO at `addr` */
	uint64_t addr;
} __attribute__((aligned(64))) cpu[1024];

static void own_io(void *opaque, struct io_req *r)
{
	struct per_cpu *c = opaque;

	c->written += r->write;
}

/* The fake kernel: one OUT record per RUN, then wait for the others. */
static long thread_csw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw;
}

static int fake_run(struct vcpu *v)
{
	struct plumb_exit *e;

	if (!cpu[v->id].made)
		cpu[v->id].csw0 = thread_csw();
	if (cpu[v->id].made == exits_per_thread) {
		/* Up to here: the waits below are the bench's, not the launcher's. */
		cpu[v->id].csw = thread_csw() - cpu[v->id].csw0;
		if (__atomic_add_fetch(&finished, 1, __ATOMIC_ACQ_REL) == nthreads) {
			clock_gettime(CLOCK_MONOTONIC, &t_end);
			vm_stop(v->vm, 0, NULL);
		}
		cpu[v->id].made++;
	}
	if (cpu[v->id].made > exits_per_thread) {
		while (!__atomic_load_n(&v->vm->stopping, __ATOMIC_ACQUIRE))
			usleep(200);
		errno = EINTR;
		return -1;
	}
	e = &v->ring[v->hdr->producer % RING_ENTRIES];
	memset(e, 0, sizeof(*e));
	if (cpu[v->id].port) {
		e->reason = PLUMB_EXIT_IO;
		e->io.port = cpu[v->id].port;
		e->io.size = 1;
		e->io.direction = PLUMB_IO_OUT;
		e->io.count = 1;
		/* COM1's THR: a line of 64 bytes. */
		e->io.data[0] = cpu[v->id].made % 64 == 63 ? '\n' : 'x';
	} else {
		e->reason = PLUMB_EXIT_MMIO;
		e->mmio.phys_addr = cpu[v->id].addr;
		e->mmio.size = 4;
		e->mmio.is_write = 1;
		e->mmio.data = cpu[v->id].made;
	}
	cpu[v->id].made++;
	__atomic_store_n(&v->hdr->producer, v->hdr->producer + 1, __ATOMIC_RELEASE);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: busbench [-t THREADS] [-n EXITS] [-w own|mixed|uart]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *workload = "own";
	struct timespec t0;
	long csw = 0;
	unsigned int i;
	double s;
	int c;

	while ((c = getopt(argc, argv, "t:n:w:")) != -1) {
		switch (c) {
		case 't':
			nthreads = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			exits_per_thread = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			workload = optarg;
			break;
		default:
			usage();
		}
	}
	if (!nthreads || nthreads > 1024 ||
	    (strcmp(workload, "own") && strcmp(workload, "mixed") &&
	     strcmp(workload, "uart")))
		usage();

	cfg.cpus = nthreads;
	cfg.mem = 64 * MiB;
	cfg.no_console_input = true;
	if (vm_init(&vm, &cfg))
		return 1;
	gmem_layout(&vm.mem, cfg.mem);	/* sizes only: no guest RAM */
	vm.out_fd = open("/dev/null", O_WRONLY);
	vcpu_enter = fake_run;
	if (strcmp(workload, "own") && devices_init(&vm))
		return 1;
	for (i = 0; i < nthreads; i++) {
		if (!strcmp(workload, "uart"))
			cpu[i].port = 0x3ff;		/* COM1 scratch */
		else if (!strcmp(workload, "mixed") && i == 0)
			cpu[i].port = 0x3f8;		/* COM1 THR */
		else
			cpu[i].addr = OWN_MMIO + 0x1000 * (uint64_t)i;
		pthread_mutex_init(&cpu[i].lock, NULL);
		if (!cpu[i].port &&
		    io_register(&vm, BUS_MMIO, cpu[i].addr, 4, own_io, &cpu[i],
				&cpu[i].lock, "bench", 0)) {
			fprintf(stderr, "busbench: no room for %u devices\n",
				nthreads);
			return 1;
		}
	}

	vm.vcpus = calloc(nthreads, sizeof(*vm.vcpus));
	if (!vm.vcpus)
		return 1;
	for (i = 0; i < nthreads; i++) {
		struct vcpu *v = &vm.vcpus[i];

		v->vm = &vm;
		v->id = i;
		v->fd = -1;
		v->hdr = aligned_alloc(64, sizeof(*v->hdr));
		v->ring = aligned_alloc(64, RING_ENTRIES * sizeof(*v->ring));
		if (!v->hdr || !v->ring)
			return 1;
		memset(v->hdr, 0, sizeof(*v->hdr));
		v->hdr->entry_count = RING_ENTRIES;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&vm.vcpus[i].thread, NULL, vcpu_thread,
				   &vm.vcpus[i]))
			return 1;
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(vm.vcpus[i].thread, NULL);
	for (i = 0; i < nthreads; i++)
		csw += cpu[i].csw;
	s = (double)(t_end.tv_sec - t0.tv_sec) +
	    (double)(t_end.tv_nsec - t0.tv_nsec) / 1e9;
	printf("RESULT %s threads %u exits/s %.0f ns/exit %.0f csw/kexit %.2f\n",
	       workload, nthreads, (double)nthreads * (double)exits_per_thread / s,
	       s * 1e9 / ((double)nthreads * (double)exits_per_thread),
	       (double)csw * 1000.0 /
	       ((double)nthreads * (double)exits_per_thread));
	return 0;
}
