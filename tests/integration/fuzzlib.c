// SPDX-License-Identifier: GPL-2.0
/*
 * fuzzlib: what t_fuzz (/dev/plumb) and t_kvmfuzz (/dev/plumb-kvm) share;
 * fuzzlib.h says what each piece is for.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzzlib.h"

uint64_t rng;
int trace_from = -1;
uint64_t op_no;
atomic_ulong progress;
char cur_op[160];
uint8_t *buf, *guard_page;

/* ---- PRNG -------------------------------------------------------------- */

uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

int chance(unsigned int pct)
{
	return below(100) < pct;
}

const uint64_t boundary[] = {	/* NBOUNDARY of them (fuzzlib.h) */
	0, 1, 2, 0x7f, 0x80, 0xff, 0xfff, 0x1000, 0x7fff, 0x8000, 0xffff,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL, 0xfee00000,
	0x00007ffffffff000ULL, 0x0000800000000000ULL, 0xffff800000000000ULL,
	0x000fffffffffffffULL, 0x0010000000000000ULL, 0x7fffffffffffffffULL,
	0x8000000000000000ULL, 0xfffffffffffff000ULL, ~0ULL,
};

uint64_t interesting(void)
{
	switch (below(4)) {
	case 0:
		return boundary[below(sizeof(boundary) / sizeof(boundary[0]))];
	case 1:
		return rnd();
	case 2:
		return below(0x10000);
	default:
		return boundary[below(sizeof(boundary) / sizeof(boundary[0]))] +
		       below(3) - 1;
	}
}

/* Mutate a valid structure: a few bit flips or boundary values. */
void mutate(void *p, size_t len)
{
	uint8_t *b = p;
	unsigned int i, n;

	if (!len)
		return;
	n = 1 + below(4);
	for (i = 0; i < n; i++) {
		size_t at = below(len);

		switch (below(4)) {
		case 0:
			b[at] ^= 1U << below(8);
			break;
		case 1:
			b[at] = (uint8_t)interesting();
			break;
		case 2:
			if (len >= 8) {
				uint64_t v = interesting();

				at = below(len / 8) * 8;
				memcpy(b + at, &v, 8);
			}
			break;
		default:
			if (len >= 4) {
				uint32_t v = (uint32_t)interesting();

				at = below(len / 4) * 4;
				memcpy(b + at, &v, 4);
			}
			break;
		}
	}
}

/* 40% of the time leave a valid struct alone, else mutate it. */
void maybe_mutate(void *p, size_t len)
{
	if (chance(60))
		mutate(p, len);
}

/* ---- trace and watchdog ------------------------------------------------ */

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cur_op, sizeof(cur_op), fmt, ap);
	va_end(ap);
	if (trace_from >= 0 && op_no >= (uint64_t)trace_from) {
		printf("op %" PRIu64 ": %s\n", op_no, cur_op);
		fflush(stdout);
	}
}

/*
 * Where every thread of this process is in the kernel (a deadlock there
 * leaves threads that no signal ends, and a process that never exits),
 * and the host's blocked tasks into the kernel log.
 */
static void dump_stacks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *t;
	int f;

	while (d && (t = readdir(d))) {
		char path[96], line[256];
		FILE *st;

		if (t->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.40s/stack", t->d_name);
		st = fopen(path, "r");
		if (!st)
			continue;
		printf("  thread %s:\n", t->d_name);
		while (fgets(line, sizeof(line), st))
			printf("    %s", line);
		fclose(st);
	}
	if (d)
		closedir(d);
	f = open("/proc/sysrq-trigger", O_WRONLY);
	if (f >= 0) {
		if (write(f, "w", 1) != 1)
			printf("  sysrq w: %s\n", strerror(errno));
		close(f);
	}
}

void *watchdog(void *arg)
{
	unsigned long last = ~0UL;
	int still = 0;

	(void)arg;
	for (;;) {
		unsigned long p = atomic_load(&progress);

		sleep(1);
		if (p != last) {
			last = p;
			still = 0;
			continue;
		}
		if (++still >= 60) {
			printf("FAIL: no progress for 60 s at op %" PRIu64 " (%s); seed replays it\n",
			       op_no, cur_op);
			dump_stacks();
			fflush(stdout);
			_exit(3);
		}
	}
	return NULL;
}

void on_signal(int sig)
{
	(void)sig;
}

/* ---- signals and threads ---- */

void block_main_signals(void)
{
	sigset_t s;

	/* SIGALRM bounds the main thread's RUN: only it may take it. */
	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
}

/* Stop a thread that may be inside RUN: signal it until it has left. */
void stop_thread(pthread_t th, atomic_int *stop, atomic_int *done)
{
	atomic_store(stop, 1);
	while (!atomic_load(done)) {
		pthread_kill(th, SIGUSR1);
		usleep(200);
	}
	pthread_join(th, NULL);
}

/* ---- argument pointers ---- */

/* An argument pointer: mostly our buffer, else hostile. */
void *pick_ptr(size_t len)
{
	switch (below(12)) {
	case 0:
		return NULL;
	case 1:
		return guard_page;
	case 2:	/* straddles into the PROT_NONE page */
		return guard_page - (len > 1 ? 1 + below(len - 1) : 1);
	case 3:
		return (void *)(uintptr_t)0xffff888000000000ULL;
	case 4:
		return buf + 1 + below(7);	/* unaligned */
	default:
		return buf;
	}
}

/* ---- guest memory ---- */

uint8_t *anon(size_t size)
{
	uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void put64(uint8_t *mem, uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}

/* The tame guest: page tables, GDT, IDT whose handlers IRET, a loop. */
void guest_image(uint8_t *mem)
{
	/* 1: inc %rax; out %al,$0x80; pause; jmp 1b */
	static const uint8_t loop[] = { 0x48, 0xff, 0xc0, 0xe6, 0x80, 0xf3,
					0x90, 0xeb, 0xf6 };
	static const uint8_t iret[] = { 0x48, 0xcf };
	static const uint8_t iret_err[] = { 0x48, 0x83, 0xc4, 0x08, 0x48, 0xcf };
	uint64_t *pml4 = (uint64_t *)(mem + PT_GPA);
	uint64_t *pdpt = pml4 + 512, *pd = pdpt + 512;
	unsigned int i;

	memset(pml4, 0, 6 * 4096);
	pml4[0] = (PT_GPA + 0x1000) | 3;
	for (i = 0; i < 4; i++)
		pdpt[i] = (PT_GPA + 0x2000 + i * 0x1000) | 3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
	put64(mem, GDT_GPA, 0);
	put64(mem, GDT_GPA + 8, 0x00af9b000000ffffULL);	/* 64-bit code */
	put64(mem, GDT_GPA + 16, 0x00cf93000000ffffULL);	/* data */
	put64(mem, GDT_GPA + 24, 0x00cf9b000000ffffULL);	/* 32-bit code */
	put64(mem, GDT_GPA + 32, 0x008f9b000000ffffULL);	/* 16-bit code */
	for (i = 0; i < 256; i++) {
		int err = i == 8 || (i >= 10 && i <= 14) || i == 17 ||
			  i == 21 || i == 29 || i == 30;
		uint64_t h = ISR_GPA + (err ? 16 : 0);

		/* present, DPL0, 64-bit interrupt gate, selector 0x08 */
		put64(mem, IDT_GPA + i * 16, (h & 0xffff) | (0x08ULL << 16) |
		      (0x8eULL << 40) | ((h >> 16 & 0xffff) << 48));
		put64(mem, IDT_GPA + i * 16 + 8, h >> 32);
	}
	memcpy(mem + ISR_GPA, iret, sizeof(iret));
	memcpy(mem + ISR_GPA + 16, iret_err, sizeof(iret_err));
	memcpy(mem + CODE_GPA, loop, sizeof(loop));
	memset(mem + WILD_GPA, 0x90, 0x5000);
	mem[WILD_GPA + 0x5000 - 2] = 0xeb;	/* jmp back to the loop */
	mem[WILD_GPA + 0x5000 - 1] = 0xfe;
}

/* Instruction fragments that make exits, faults and mode changes. */
static const struct { uint8_t len, b[15]; } frags[] = {
	{ 2, { 0x0f, 0xa2 } },				/* cpuid */
	{ 2, { 0x0f, 0x32 } },				/* rdmsr */
	{ 2, { 0x0f, 0x30 } },				/* wrmsr */
	{ 1, { 0xf4 } },				/* hlt */
	{ 1, { 0xfa } },				/* cli */
	{ 1, { 0xfb } },				/* sti */
	{ 2, { 0xe6, 0x80 } },				/* out %al,$0x80 */
	{ 2, { 0xe4, 0x71 } },				/* in $0x71,%al */
	{ 1, { 0xec } },				/* in (%dx),%al */
	{ 2, { 0xf3, 0x6e } },				/* rep outsb */
	{ 2, { 0xf3, 0x6c } },				/* rep insb */
	{ 3, { 0x0f, 0x01, 0xc1 } },			/* vmcall */
	{ 3, { 0x0f, 0x01, 0xd9 } },			/* vmmcall */
	{ 3, { 0x0f, 0x01, 0xd1 } },			/* xsetbv */
	{ 3, { 0x0f, 0x01, 0xd0 } },			/* xgetbv */
	{ 3, { 0x0f, 0x22, 0xc0 } },			/* mov %rax,%cr0 */
	{ 3, { 0x0f, 0x22, 0xe0 } },			/* mov %rax,%cr4 */
	{ 3, { 0x0f, 0x22, 0xd8 } },			/* mov %rax,%cr3 */
	{ 4, { 0x44, 0x0f, 0x22, 0xc0 } },		/* mov %rax,%cr8 */
	{ 3, { 0x0f, 0x23, 0xf8 } },			/* mov %rax,%dr7 */
	{ 3, { 0x0f, 0x21, 0xc0 } },			/* mov %dr0,%rax */
	{ 2, { 0x0f, 0x31 } },				/* rdtsc */
	{ 3, { 0x0f, 0x01, 0xf9 } },			/* rdtscp */
	{ 2, { 0xcd, 0x80 } },				/* int $0x80 */
	{ 1, { 0xcc } },				/* int3 */
	{ 2, { 0x0f, 0x0b } },				/* ud2 */
	{ 2, { 0x48, 0xcf } },				/* iretq */
	{ 1, { 0x9d } },				/* popf */
	{ 3, { 0x0f, 0x01, 0x18 } },			/* lidt (%rax) */
	{ 3, { 0x0f, 0x01, 0x10 } },			/* lgdt (%rax) */
	{ 3, { 0x0f, 0x00, 0xd8 } },			/* ltr %ax */
	{ 2, { 0x8e, 0xd0 } },				/* mov %ax,%ss */
	{ 2, { 0x0f, 0x05 } },				/* syscall */
	{ 3, { 0x48, 0x0f, 0x07 } },			/* sysretq */
	{ 3, { 0x0f, 0x01, 0xc8 } },			/* monitor */
	{ 3, { 0x0f, 0x01, 0xc9 } },			/* mwait */
	{ 2, { 0x0f, 0x09 } },				/* wbinvd */
	{ 3, { 0x0f, 0x01, 0x38 } },			/* invlpg (%rax) */
	{ 2, { 0x0f, 0x34 } },				/* sysenter */
	{ 3, { 0x0f, 0xae, 0x28 } },			/* xrstor (%rax) */
	{ 5, { 0xb8, 0x00, 0x00, 0xe0, 0xfe } },	/* mov $0xfee00000,%eax */
	{ 5, { 0xb9, 0x1b, 0x00, 0x00, 0x00 } },	/* mov $0x1b,%ecx */
	{ 5, { 0xb9, 0x30, 0x08, 0x00, 0x00 } },	/* mov $0x830,%ecx (ICR) */
	{ 5, { 0xb9, 0x80, 0x00, 0x00, 0xc0 } },	/* mov $0xc0000080,%ecx */
	{ 6, { 0x89, 0x80, 0x00, 0x03, 0x00, 0x00 } },	/* mov %eax,0x300(%rax) */
	{ 6, { 0x8b, 0x80, 0x20, 0x00, 0x00, 0x00 } },	/* mov 0x20(%rax),%eax */
	{ 3, { 0x48, 0x8b, 0x00 } },			/* mov (%rax),%rax */
	{ 3, { 0x48, 0x89, 0x00 } },			/* mov %rax,(%rax) */
	{ 2, { 0xeb, 0xfe } },				/* jmp . */
	{ 2, { 0xf3, 0x90 } },				/* pause */
	{ 1, { 0x50 } },				/* push %rax */
	{ 1, { 0x58 } },				/* pop %rax */
	{ 3, { 0x48, 0x31, 0xc0 } },			/* xor %rax,%rax */
	{ 3, { 0x48, 0xf7, 0xd0 } },			/* not %rax */
	{ 3, { 0x48, 0xd1, 0xe0 } },			/* shl %rax */
	{ 2, { 0x31, 0xd2 } },				/* xor %edx,%edx */
	{ 4, { 0x0f, 0x20, 0xc0, 0x90 } },		/* mov %cr0,%rax */
};

void fuzz_code(uint8_t *mem, int no_crs)
{
	uint8_t tmp[256];
	size_t len = 0, at;

	while (len < 200) {
		if (chance(30)) {
			tmp[len++] = (uint8_t)rnd();
		} else {
			unsigned int f = (unsigned int)below(sizeof(frags) / sizeof(frags[0]));

			memcpy(tmp + len, frags[f].b, frags[f].len);
			len += frags[f].len;
		}
		if (chance(5))
			break;
	}
	/* The same draws, every MOV to a CR (0F 22) and WRMSR (0F 30) a SETO. */
	for (size_t i = 0; no_crs && i + 1 < len; i++)
		if (tmp[i] == 0x0f && (tmp[i + 1] == 0x22 || tmp[i + 1] == 0x30))
			tmp[i + 1] = 0x90;
	switch (below(8)) {
	case 0:	/* the loop itself */
		at = CODE_GPA + below(16);
		break;
	case 1:	/* anywhere in low memory, tables too */
		at = below(RAM_SIZE - len);
		break;
	case 2:	/* the handlers */
		at = ISR_GPA + below(32);
		break;
	default:
		at = WILD_GPA + below(0x4f00 - len);
		break;
	}
	note("code: %zu bytes at %#zx", len, at);
	/* The slot's memory may have been made read-only (op_slots). */
	if (mprotect(mem, RAM_SIZE, PROT_READ | PROT_WRITE) == 0)
		memcpy(mem + at, tmp, len);
}

/* ---- counters ------------------------------------------------------------ */

long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -2;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

long vmstat(const char *name)
{
	FILE *f = fopen("/proc/sys/vm/stat_refresh", "w");
	char key[64];
	long v, found = -1;

	/* Fold the per-CPU differences in first, or the sums lag. */
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

int check_counters(long pins0, long unpins0)
{
	static const char *const dirs[] = { "/sys/module/plumb/parameters",
					    "/sys/class/misc/plumb" };
	static const char *const names[] = { "nr_vms", "nr_vcpus", "pinned_pages" };
	int bad = 0, seen = 0;
	long pins, unpins;

	for (unsigned int d = 0; d < 2; d++)
		for (unsigned int i = 0; i < 3; i++) {
			char path[128];
			long v;

			snprintf(path, sizeof(path), "%s/%s", dirs[d], names[i]);
			v = read_long(path);
			if (v == -2)
				continue;
			seen++;
			printf("%s: %s = %ld\n", v ? "FAIL" : "ok", path, v);
			bad += v != 0;
		}
	if (!seen)
		printf("ok: no module counters to read (neither %s nor %s)\n",
		       dirs[0], dirs[1]);
	pins = vmstat("nr_foll_pin_acquired");
	unpins = vmstat("nr_foll_pin_released");
	if (pins >= 0 && unpins >= 0 && pins0 >= 0) {
		long leak = (pins - pins0) - (unpins - unpins0);

		printf("%s: FOLL_PIN pins %ld, unpins %ld during the campaign (leak %ld)\n",
		       leak ? "FAIL" : "ok", pins - pins0, unpins - unpins0, leak);
		bad += leak != 0;
	}
	return bad;
}

