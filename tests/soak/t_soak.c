// SPDX-License-Identifier: GPL-2.0
/*
 * The soak tests' C side (make soak, docs/testing.md "Soak"), run inside
 * the emulated hosts:
 *
 *   t_soak fuzz SEED N [FIRST]
 *	N guests of random instructions, guest FIRST..FIRST+N-1 of the
 *	stream SEED (any one of them again: t_soak fuzz SEED 1 I). Each is
 *	a fresh VM with random bytes as code in a valid real-mode, 32-bit
 *	or long-mode state (RFLAGS.IF=1), run until it ends in one of the
 *	statuses below, then destroyed. Prints the count of each.
 *   t_soak sercheck FILE
 *	Checks the serial output of tests/guests/soakser.S byte for byte.
 *
 * The statuses of a random guest (each guest gets exactly one):
 *   hlt             HLT with IF=0 (PLUMB_EXIT_HLT): halted for good
 *   shutdown        triple fault (PLUMB_EXIT_SHUTDOWN)
 *   internal-N      PLUMB_EXIT_INTERNAL_ERROR, sub-reason N (1 an
 *                   instruction the kernel could not decode, 2 a hardware
 *                   exit without handler, 3 ring state)
 *   fail-entry      PLUMB_EXIT_FAIL_ENTRY (a state the CPU refused)
 *   exit-limit      still running after EXIT_LIMIT records answered
 *                   (port and MMIO reads get random data, MSR records #GP,
 *                   hypercalls a random RAX)
 *   watchdog        still running at its time budget: the interval timer's
 *                   signal set immediate_exit and RUN returned EINTR
 * Anything else fails the test: RUN failing with another errno (named
 * with the guest's number), a record of an unknown reason, RUN not
 * returning within STUCK_FIRES timer periods of its watchdog.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "vmlib.h"

#define FUZZ_MEM	(2UL << 20)
#define CODE_BYTES	0x4000		/* random bytes from GUEST_LOAD */
#define EXIT_LIMIT	256		/* records answered per guest */
#define BUDGET_US	20000		/* a guest's time budget */
#define PERIOD_US	20000		/* the watchdog's period after it */
#define STUCK_FIRES	250		/* periods without RUN returning */

enum status {
	ST_HLT, ST_SHUTDOWN, ST_INTERNAL1, ST_INTERNAL2, ST_INTERNAL3,
	ST_INTERNAL_OTHER, ST_FAIL_ENTRY, ST_EXIT_LIMIT, ST_WATCHDOG,
	ST_RUN_ERROR, ST_UNKNOWN_RECORD, ST_N
};

static const char *const status_names[ST_N] = {
	[ST_HLT] = "hlt", [ST_SHUTDOWN] = "shutdown",
	[ST_INTERNAL1] = "internal-1", [ST_INTERNAL2] = "internal-2",
	[ST_INTERNAL3] = "internal-3", [ST_INTERNAL_OTHER] = "internal-other",
	[ST_FAIL_ENTRY] = "fail-entry", [ST_EXIT_LIMIT] = "exit-limit",
	[ST_WATCHDOG] = "watchdog", [ST_RUN_ERROR] = "run-error",
	[ST_UNKNOWN_RECORD] = "unknown-record",
};

static volatile struct plumb_ring_header *cur_hdr;
static volatile sig_atomic_t fires;
static volatile sig_atomic_t cur_guest;
static struct timespec first_fire;	/* when the watchdog first fired */

static void on_watchdog(int sig)
{
	(void)sig;
	if (cur_hdr)
		cur_hdr->immediate_exit = 1;
	if (!fires)
		clock_gettime(CLOCK_MONOTONIC, &first_fire);
	if (++fires > STUCK_FIRES) {
		static const char msg[] = "FAIL: RUN did not return after its watchdog fired "
			"(STUCK_FIRES periods); see the guest number above\n";

		if (write(1, msg, sizeof(msg) - 1) < 0)
			_exit(4);
		_exit(3);
	}
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void arm(long first_us, long period_us)
{
	struct itimerval it = {
		.it_value = { first_us / 1000000, first_us % 1000000 },
		.it_interval = { period_us / 1000000, period_us % 1000000 },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Answers every record up to the producer; returns a status or -1. */
static int take_records(struct vcpu *v, uint64_t *st, unsigned int *answered,
			unsigned long *reasons)
{
	while (v->cons != __atomic_load_n(&v->hdr->producer, __ATOMIC_ACQUIRE)) {
		struct plumb_exit *e = &v->ring[v->cons % v->hdr->entry_count];
		uint64_t r = splitmix(st);

		reasons[e->reason < 16 ? e->reason : 15]++;
		switch (e->reason) {
		case PLUMB_EXIT_IO:
			if (e->io.direction == PLUMB_IO_IN)
				memcpy(e->io.data, &r, sizeof(r) < sizeof(e->io.data) ?
				       sizeof(r) : sizeof(e->io.data));
			break;
		case PLUMB_EXIT_MMIO:
			if (!e->mmio.is_write)
				e->mmio.data = r;
			break;
		case PLUMB_EXIT_MSR:
			e->msr.error = 1;
			break;
		case PLUMB_EXIT_HYPERCALL:
			e->hypercall.ret = r;
			break;
		case PLUMB_EXIT_EOI:
			break;
		case PLUMB_EXIT_HLT:
			return ST_HLT;
		case PLUMB_EXIT_SHUTDOWN:
			return ST_SHUTDOWN;
		case PLUMB_EXIT_FAIL_ENTRY:
			printf("guest %d: fail-entry, hardware reason %#llx\n", (int)cur_guest,
			       (unsigned long long)e->fail_entry.hardware_reason);
			return ST_FAIL_ENTRY;
		case PLUMB_EXIT_INTERNAL_ERROR:
			switch (e->internal.suberror) {
			case PLUMB_INTERNAL_EMULATION: return ST_INTERNAL1;
			case PLUMB_INTERNAL_UNHANDLED_EXIT: return ST_INTERNAL2;
			case PLUMB_INTERNAL_RING: return ST_INTERNAL3;
			default: return ST_INTERNAL_OTHER;
			}
		default:
			printf("FAIL: guest %d: record of unknown reason %u\n",
			       (int)cur_guest, e->reason);
			return ST_UNKNOWN_RECORD;
		}
		vcpu_consume(v);
		if (++*answered >= EXIT_LIMIT)
			return ST_EXIT_LIMIT;
	}
	return -1;
}

static int fuzz_one(uint64_t seed, unsigned int i, unsigned long *reasons,
		    double *worst_stop)
{
	static const enum guest_mode modes[] = { MODE_REAL, MODE_PROT32, MODE_LONG64 };
	uint64_t st = seed ^ ((uint64_t)i * 0xd1342543de82ef95ULL);
	struct plumb_msr_exits mx = { .flags = PLUMB_MSR_EXIT_UNKNOWN };
	unsigned int answered = 0, k;
	enum guest_mode mode;
	struct plumb_regs r;
	struct vm vm;
	struct vcpu v;
	double t_fire = 0;
	int status = -1;

	vm_create(&vm, FUZZ_MEM);
	for (k = 0; k < CODE_BYTES; k += 8) {
		uint64_t x = splitmix(&st);

		memcpy(vm.mem + GUEST_LOAD + k, &x, 8);
	}
	vcpu_create(&vm, &v, 0);
	vcpu_set_supported_cpuid(&v);
	if (splitmix(&st) & 1)		/* unknown MSRs as records, else #GP */
		ioctl(vm.fd, PLUMB_SET_MSR_EXITS, &mx);
	mode = modes[splitmix(&st) % 3];
	vcpu_set_mode(&v, mode, GUEST_LOAD + splitmix(&st) % (CODE_BYTES - 16));
	ioctl(v.fd, PLUMB_GET_REGS, &r);
	r.rax = splitmix(&st);
	r.rbx = splitmix(&st);
	r.rcx = splitmix(&st);
	r.rdx = splitmix(&st);
	r.rsi = splitmix(&st);
	r.rdi = splitmix(&st);
	r.rbp = splitmix(&st);
	r.rflags = 0x202;		/* IF=1: host interrupts exit the guest */
	if (ioctl(v.fd, PLUMB_SET_REGS, &r))
		printf("guest %u: SET_REGS failed: %s\n", i, strerror(errno));

	cur_guest = (int)i;
	fires = 0;
	cur_hdr = v.hdr;
	arm(BUDGET_US, PERIOD_US);
	while (status < 0) {
		int ret = ioctl(v.fd, PLUMB_RUN, 0);

		if (ret == -1 && errno == EINTR) {
			if (!fires)	/* a stray signal: go on */
				continue;
			t_fire = now();
			status = ST_WATCHDOG;
			break;
		}
		if (ret == -1) {
			printf("FAIL: guest %u: RUN: %s (errno %d)\n", i, strerror(errno), errno);
			status = ST_RUN_ERROR;
			break;
		}
		v.runs++;
		status = take_records(&v, &st, &answered, reasons);
		if (status < 0 && fires) {
			/* The budget ran out between two RUNs: immediate_exit is set. */
			status = ST_WATCHDOG;
		}
	}
	arm(0, 0);
	cur_hdr = NULL;
	if (t_fire > 0) {
		/* Time between the first signal and RUN's return. */
		double late = t_fire - (first_fire.tv_sec + first_fire.tv_nsec / 1e9);

		if (late > *worst_stop)
			*worst_stop = late;
	}
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return status;
}

static int t_fuzz(uint64_t seed, unsigned int n, unsigned int first)
{
	struct sigaction sa = { .sa_handler = on_watchdog };
	unsigned long counts[ST_N] = { 0 }, reasons[16] = { 0 };
	double t0 = now(), worst_stop = 0, secs;
	unsigned int i, total = 0;
	const char *slow = getenv("PLUMB_SLOW");
	double stop_limit = 1.0 * (slow && atoi(slow) > 1 ? atoi(slow) : 1);

	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: RUN sees EINTR */
	printf("fuzz: seed %#llx, guests %u..%u\n", (unsigned long long)seed,
	       first, first + n - 1);
	for (i = first; i < first + n; i++) {
		int s = fuzz_one(seed, i, reasons, &worst_stop);

		counts[s]++;
		if (s == ST_RUN_ERROR || s == ST_UNKNOWN_RECORD)
			printf("  reproduce: t_soak fuzz %#llx 1 %u\n",
			       (unsigned long long)seed, i);
		if ((i - first + 1) % 1000 == 0)
			printf("  %u guests, %.0fs\n", i - first + 1, now() - t0);
	}
	secs = now() - t0;
	printf("statuses:");
	for (i = 0; i < ST_N; i++) {
		printf(" %s=%lu", status_names[i], counts[i]);
		total += counts[i];
	}
	printf("\nrecords answered or ending a guest: io=%lu mmio=%lu hlt=%lu shutdown=%lu hypercall=%lu fail-entry=%lu internal=%lu msr=%lu eoi=%lu\n",
	       reasons[PLUMB_EXIT_IO], reasons[PLUMB_EXIT_MMIO], reasons[PLUMB_EXIT_HLT],
	       reasons[PLUMB_EXIT_SHUTDOWN], reasons[PLUMB_EXIT_HYPERCALL],
	       reasons[PLUMB_EXIT_FAIL_ENTRY], reasons[PLUMB_EXIT_INTERNAL_ERROR],
	       reasons[PLUMB_EXIT_MSR], reasons[PLUMB_EXIT_EOI]);
	printf("%u guests in %.1fs (%.1f guests/s)\n", n, secs, n / secs);
	T_CHECK(total == n, "every one of the %u guests ended with one status (%u)", n, total);
	T_CHECK(counts[ST_RUN_ERROR] == 0, "RUN never failed with an errno other than EINTR (%lu did)",
		counts[ST_RUN_ERROR]);
	T_CHECK(counts[ST_UNKNOWN_RECORD] == 0, "no record of an unknown reason (%lu)",
		counts[ST_UNKNOWN_RECORD]);
	T_CHECK(worst_stop <= stop_limit,
		"RUN returned within %.2fs of its watchdog (worst %.2fs)", stop_limit, worst_stop);
	return t_done();
}

/*
 * tests/guests/soakser.S writes lines "A %08x\n" (the AP) and "B %08x\n"
 * (the BSP) numbered from 0 per vCPU, under a lock, and at the end "a
 * %08x\n" (the AP's line count) then "b %08x\n" (the BSP's). Every byte
 * is therefore known: check each.
 */
static int t_sercheck(const char *path)
{
	unsigned long next[2] = { 0, 0 }, lines = 0, bytes = 0;
	int ended[2] = { 0, 0 }, bad = 0;
	char line[64];
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("FAIL: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		unsigned long n;
		char *end;
		int who;

		bytes += len;
		lines++;
		if (len != 11 || line[1] != ' ' || line[10] != '\n' ||
		    !strchr("ABab", line[0]) || ended[1]) {
			if (bad++ < 5)
				printf("FAIL: %s line %lu (byte %lu): bad line \"%.*s\"\n",
				       path, lines, bytes - len, (int)strcspn(line, "\n"), line);
			continue;
		}
		line[10] = 0;
		n = strtoul(line + 2, &end, 16);
		if (*end) {
			if (bad++ < 5)
				printf("FAIL: %s line %lu: bad number \"%s\"\n", path, lines, line);
			continue;
		}
		who = line[0] == 'A' || line[0] == 'a' ? 0 : 1;
		if (ended[who] || n != next[who]) {
			if (bad++ < 5)
				printf("FAIL: %s line %lu: \"%s\", want number %#lx%s\n", path,
				       lines, line, next[who], ended[who] ? " (after the end line)" : "");
			next[who] = n;
		}
		if (line[0] == 'a' || line[0] == 'b')
			ended[who] = 1;
		else
			next[who]++;
	}
	fclose(f);
	if (!ended[0] || !ended[1]) {
		printf("FAIL: %s: no end line from the %s\n", path,
		       !ended[0] ? "AP (a)" : "BSP (b)");
		bad++;
	}
	printf("%s: %lu bytes, %lu lines (AP %lu, BSP %lu): %s\n", path, bytes, lines,
	       next[0], next[1], bad ? "BAD" : "every byte as expected");
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && !strcmp(argv[1], "fuzz"))
		return t_fuzz(strtoull(argv[2], NULL, 0), strtoul(argv[3], NULL, 0),
			      argc > 4 ? strtoul(argv[4], NULL, 0) : 0);
	if (argc == 3 && !strcmp(argv[1], "sercheck"))
		return t_sercheck(argv[2]);
	fprintf(stderr, "usage: t_soak fuzz SEED N [FIRST] | t_soak sercheck FILE\n");
	return 2;
}
