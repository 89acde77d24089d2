/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the two ABI fuzzers share (docs/testing.md, "The ABI fuzzer"):
 * t_fuzz drives /dev/plumb, t_kvmfuzz /dev/plumb-kvm. One xorshift64*
 * PRNG (a seed replays a sequence), boundary values and struct mutation,
 * the trace of the current operation and the watchdog that fails a run
 * that stopped making progress, hostile argument pointers, the tame
 * guest's image and random guest code, and the leak check at the end.
 */
#ifndef PLUMB_FUZZLIB_H
#define PLUMB_FUZZLIB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The tame guest's memory: slot 0, RAM at guest-physical 0. */
#define RAM_SIZE	(4UL << 20)
#define CODE_GPA	0x1000ULL	/* the tame loop */
#define WILD_GPA	0x3000ULL	/* random code: 0x3000-0x7fff */
#define GDT_GPA		0x500ULL
#define IDT_GPA		0x8000ULL
#define ISR_GPA		0x9000ULL
#define STACK_GPA	0xff000ULL
#define PT_GPA		0x100000ULL
/* The argument buffer (buf); guard_page, PROT_NONE, follows it. */
#define BUF_SIZE	(20 * 1024)

/* ---- PRNG: every choice of the main thread comes from rng ---- */
extern uint64_t rng;
uint64_t rnd(void);
uint64_t below(uint64_t n);
int chance(unsigned int pct);
#define NBOUNDARY	25
extern const uint64_t boundary[NBOUNDARY];
/* A boundary value, one off it, a random word or a small number. */
uint64_t interesting(void);
/* A few bit flips or boundary values anywhere in @p. */
void mutate(void *p, size_t len);
/* 40% of the time leave a valid struct alone, else mutate it. */
void maybe_mutate(void *p, size_t len);

/* ---- trace and watchdog ---- */
extern int trace_from;		/* --trace 0, --from N; -1: no trace */
extern uint64_t op_no;		/* the main thread's operation */
extern atomic_ulong progress;	/* bumped after every operation */
extern char cur_op[160];	/* what the operation is doing */
/* Name the current operation (printed with --trace / --from). */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A thread: 60 s without progress prints the operation, the kernel
 * stacks of this process's threads and the host's blocked tasks (sysrq
 * w, into the kernel log), and exits 3.
 */
void *watchdog(void *arg);

/* ---- signals and threads ---- */
void on_signal(int sig);
/* SIGALRM bounds the main thread's RUN: only the main thread takes it. */
void block_main_signals(void);
/* Stop a thread that may be inside RUN: signal it until it has left. */
void stop_thread(pthread_t th, atomic_int *stop, atomic_int *done);

/* ---- argument pointers ---- */
extern uint8_t *buf, *guard_page;
/* Mostly buf; else NULL, the PROT_NONE page, one straddling into it, a
 * kernel address or an unaligned one.
 */
void *pick_ptr(size_t len);

/* ---- guest memory ---- */
uint8_t *anon(size_t size);
void put64(uint8_t *mem, uint64_t gpa, uint64_t v);
/* Page tables (4 GiB identity), GDT, an IDT whose handlers IRET, a loop
 * of OUT to port 0x80 at CODE_GPA.
 */
void guest_image(uint8_t *mem);
/* 200-odd bytes of random code and instruction fragments somewhere in
 * the RAM_SIZE bytes at @mem: the loop, tables, handlers, the wild area.
 * @no_crs: no MOV to a control register and no WRMSR in it (t_kvmfuzz's
 * --avoid crs; the same PRNG draws either way).
 */
void fuzz_code(uint8_t *mem, int no_crs);

/* ---- the leak check ---- */
long read_long(const char *path);
long vmstat(const char *name);
/*
 * The module's counters (nr_vms, nr_vcpus, pinned_pages) must be 0 and
 * the kernel's FOLL_PIN counters must have moved by the same amount
 * since @pins0/@unpins0 (vmstat() before the campaign). Prints one line
 * per check; returns the number that failed.
 */
int check_counters(long pins0, long unpins0);

#endif /* PLUMB_FUZZLIB_H */
