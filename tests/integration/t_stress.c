// SPDX-License-Identifier: GPL-2.0
/*
 * Guests under pressure: threads, signals, CPU hotplug, slots changing
 * under a running vCPU, a megabyte of posted writes, AVX on both sides of
 * VMRUN, and another hypervisor owning the CPU's virtualization.
 * Usage: t_stress SUBTEST   (see main)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "testlib.h"
#include "vmlib.h"

#define GUESTS		"guests/"
#define COUNTER		0x3000ULL	/* the spin guest's progress counter */

/* Bochs hosts run ~20x slower: waits stretch (the runner's ptest_slow). */
static int slow = 1;

/*
 * Bochs 2.7 never takes a host interrupt in an SVM guest that runs with
 * RFLAGS.IF=0 (docs/decisions.md 23): there, the guests spin with IF=1, which
 * under V_INTR_MASKING changes nothing else for them.
 */
static int guest_if;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void on_signal(int sig)
{
	(void)sig;
}

static void catch(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: RUN sees EINTR */
	sigaction(sig, &sa, NULL);
}

static void setup(struct vm *vm, struct vcpu *v, size_t mem, const char *guest)
{
	char path[128];

	vm_create(vm, mem);
	snprintf(path, sizeof(path), GUESTS "%s-64.bin", guest);
	vm_load(vm, path, GUEST_LOAD);
	vcpu_create(vm, v, 0);
	vcpu_set_mode(v, MODE_LONG64, GUEST_LOAD);
}

/* Registers the guests take their arguments in; @rip 0 keeps RIP. */
static void set_args(struct vcpu *v, uint64_t rip, uint64_t rsi, uint64_t rdi,
		     uint64_t rcx)
{
	struct plumb_regs r;

	if (ioctl(v->fd, PLUMB_GET_REGS, &r)) {
		printf("FAIL: GET_REGS: %s\n", strerror(errno));
		exit(1);
	}
	if (rip)
		r.rip = rip;
	r.rsi = rsi;
	r.rdi = rdi;
	r.rcx = rcx;
	if (guest_if)
		r.rflags |= 0x200;
	if (ioctl(v->fd, PLUMB_SET_REGS, &r)) {
		printf("FAIL: SET_REGS: %s\n", strerror(errno));
		exit(1);
	}
}

static void set_rsi_rdi_rcx(struct vcpu *v, uint64_t rsi, uint64_t rdi,
			    uint64_t rcx)
{
	set_args(v, 0, rsi, rdi, rcx);
}

/*
 * Back to the guest's first instruction, registers only: vcpu_set_mode
 * would rewrite page tables that the VM's other vCPUs are using.
 */
static void restart(struct vcpu *v, uint64_t rsi, uint64_t rcx)
{
	set_args(v, GUEST_LOAD, rsi, 0, rcx);
}

static uint64_t counter(struct vm *vm)
{
	return __atomic_load_n((uint64_t *)(vm->mem + COUNTER), __ATOMIC_RELAXED);
}

/* Wait up to @secs (times slow) for the spin guest's counter to move. */
static int advances(struct vm *vm, int secs)
{
	uint64_t c0 = counter(vm);
	double end = now() + secs * slow;

	while (now() < end) {
		if (counter(vm) != c0)
			return 1;
		msleep(10);
	}
	return 0;
}

/* ---- 1 MiB of posted serial output ---------------------------------- */

static int t_burst(void)
{
	const uint32_t n = 1 << 20;
	struct plumb_posted_range p = { .addr = 0x3f8, .len = 1,
					.flags = PLUMB_POSTED_PIO };
	struct plumb_exit *e;
	uint32_t got = 0, bad = 0, notposted = 0;
	struct vm vm;
	struct vcpu v;
	double t;

	setup(&vm, &v, 4 << 20, "burst");
	set_rsi_rdi_rcx(&v, 0, 0, n);
	T_CHECK(ioctl(vm.fd, PLUMB_SET_POSTED_RANGE, &p) == 0,
		"port 0x3f8 is a posted range");
	t = now();
	for (;;) {
		e = vcpu_next(&v);
		if (e->reason != PLUMB_EXIT_IO || e->io.port != 0x3f8)
			break;
		if (e->io.data[0] != (uint8_t)(got ^ (got >> 8)))
			bad++;
		if (!(e->flags & PLUMB_EXIT_F_POSTED))
			notposted++;
		got++;
		vcpu_consume(&v);
	}
	t = now() - t;
	T_CHECK(got == n, "%u of %u bytes arrived", got, n);
	T_CHECK(bad == 0, "every byte in order (%u wrong)", bad);
	/* Only the write that fills the ring ends RUN without the flag. */
	T_CHECK(notposted <= v.runs, "all but the ring-filling writes posted (%u not, %llu RUN returns)",
		notposted, (unsigned long long)v.runs);
	T_CHECK(e->reason == PLUMB_EXIT_IO && e->io.port == 0x1238 &&
		*(uint32_t *)e->io.data == n, "the guest reports %u bytes sent", n);
	vcpu_consume(&v);
	expect_reason(&v, PLUMB_EXIT_HLT);
	printf("posted: %u bytes, %llu RUN returns (%.1f bytes per return), %.2fs\n",
	       got, (unsigned long long)v.runs, (double)got / v.runs, t);
	/*
	 * A full ring (1024 records) per return, give or take, plus the
	 * flushes of records older than a few ms (PLUMB_POSTED_MAX_AGE, at
	 * least 4 ms): at most one per 4 ms of an emulator's slow burst.
	 */
	T_CHECK(v.runs <= n / 512 + (uint64_t)(t / 0.004),
		"far fewer RUN returns than bytes (%llu <= %u + %.0f)",
		(unsigned long long)v.runs, n / 512, t / 0.004);
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

/* ---- signals, immediate_exit, SIGKILL against a spinning guest ------- */

static void *kick(void *arg)
{
	pthread_t target = *(pthread_t *)arg;

	msleep(300);
	pthread_kill(target, SIGUSR1);
	return NULL;
}

static int t_signal(void)
{
	struct itimerval it = { .it_value = { 0, 300000 } };
	pthread_t self = pthread_self(), th;
	struct vm vm;
	struct vcpu v;
	uint64_t c;
	pid_t pid;
	int status, i;
	double t;

	catch(SIGALRM);
	catch(SIGUSR1);
	setup(&vm, &v, 4 << 20, "spin");
	set_rsi_rdi_rcx(&v, COUNTER, 0, 0);

	setitimer(ITIMER_REAL, &it, NULL);
	t = now();
	T_ERRNO(ioctl(v.fd, PLUMB_RUN, 0), EINTR, "SIGALRM ends RUN of a spinning guest");
	t = now() - t;
	T_CHECK(t < 10.0 * slow, "RUN returned %.2fs after entering (signal at 0.3s)", t);
	c = counter(&vm);
	T_CHECK(c > 0, "the guest ran before the signal (%llu iterations)",
		(unsigned long long)c);

	v.hdr->immediate_exit = 1;
	T_ERRNO(ioctl(v.fd, PLUMB_RUN, 0), EINTR, "immediate_exit set: RUN returns at once");
	T_CHECK(counter(&vm) == c, "with immediate_exit the guest did not run");
	v.hdr->immediate_exit = 0;

	pthread_create(&th, NULL, kick, &self);
	T_ERRNO(ioctl(v.fd, PLUMB_RUN, 0), EINTR, "SIGUSR1 from another thread ends RUN");
	pthread_join(th, NULL);
	T_CHECK(counter(&vm) > c, "the guest resumed where it stopped");

	/* A blocked signal must not end RUN; a pending one must. */
	for (i = 0; i < 3; i++) {
		setitimer(ITIMER_REAL, &it, NULL);
		T_ERRNO(ioctl(v.fd, PLUMB_RUN, 0), EINTR, "RUN again after EINTR, signal again");
	}
	vcpu_destroy(&v);
	vm_destroy(&vm);

	/* SIGKILL: the task dies, nothing stays unkillable. */
	pid = fork();
	if (pid == 0) {
		setup(&vm, &v, 4 << 20, "spin");
		set_rsi_rdi_rcx(&v, COUNTER, 0, 0);
		ioctl(v.fd, PLUMB_RUN, 0);
		_exit(3);
	}
	msleep(500);
	kill(pid, SIGKILL);
	t = now();
	while (waitpid(pid, &status, WNOHANG) == 0 && now() - t < 20.0 * slow)
		msleep(20);
	T_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		"SIGKILL ends a process inside RUN (%.2fs)", now() - t);
	return t_done();
}

/* ---- 2 VMs x 4 vCPUs ------------------------------------------------- */

#define SMP_VMS		2
#define SMP_VCPUS	4
#define SMP_ROUNDS	3
#define SMP_LEN		0x100000ULL

struct smp_job {
	struct vm *vm;
	struct vcpu v;
	unsigned int id;
	int fails;
	uint64_t runs;
};

static void *smp_vcpu(void *arg)
{
	struct smp_job *j = arg;
	uint64_t base = 0x200000 + j->id * SMP_LEN;

	for (int round = 0; round < SMP_ROUNDS; round++) {
		uint64_t want = 0, got;

		restart(&j->v, base, SMP_LEN);
		got = expect_out32(&j->v, 0x1238);
		got |= (uint64_t)expect_out32(&j->v, 0x1238) << 32;
		expect_reason(&j->v, PLUMB_EXIT_HLT);
		for (uint64_t off = 0; off < SMP_LEN; off += 8)
			want += (base + off) * 0x3779b1ULL;
		if (got != want)
			j->fails++;
	}
	j->runs = j->v.runs;
	return NULL;
}

static int t_smp(void)
{
	struct vm vms[SMP_VMS];
	struct smp_job jobs[SMP_VMS * SMP_VCPUS];
	pthread_t th[SMP_VMS * SMP_VCPUS];
	unsigned int i;

	for (i = 0; i < SMP_VMS; i++) {
		vm_create(&vms[i], 8 << 20);
		vm_load(&vms[i], GUESTS "memsum-64.bin", GUEST_LOAD);
	}
	for (i = 0; i < SMP_VMS * SMP_VCPUS; i++) {
		jobs[i].vm = &vms[i / SMP_VCPUS];
		jobs[i].id = i % SMP_VCPUS;
		jobs[i].fails = 0;
		vcpu_create(jobs[i].vm, &jobs[i].v, jobs[i].id);
	}
	/* The page tables are shared per VM: build them before the threads. */
	for (i = 0; i < SMP_VMS * SMP_VCPUS; i++)
		vcpu_set_mode(&jobs[i].v, MODE_LONG64, GUEST_LOAD);
	for (i = 0; i < SMP_VMS * SMP_VCPUS; i++)
		pthread_create(&th[i], NULL, smp_vcpu, &jobs[i]);
	for (i = 0; i < SMP_VMS * SMP_VCPUS; i++) {
		pthread_join(th[i], NULL);
		T_CHECK(jobs[i].fails == 0,
			"VM %u vCPU %u: %d rounds of 1 MiB checksums right (%llu RUN returns)",
			i / SMP_VCPUS, jobs[i].id, SMP_ROUNDS,
			(unsigned long long)jobs[i].runs);
	}
	for (i = 0; i < SMP_VMS; i++)
		for (unsigned int k = 0; k < SMP_VCPUS; k++) {
			uint64_t base = 0x200000 + k * SMP_LEN;

			T_CHECK(*(uint64_t *)(vms[i].mem + base + 8) ==
				(base + 8) * 0x3779b1ULL,
				"VM %u: the host sees vCPU %u's pattern", i, k);
		}
	for (i = 0; i < SMP_VMS * SMP_VCPUS; i++)
		vcpu_destroy(&jobs[i].v);
	for (i = 0; i < SMP_VMS; i++)
		vm_destroy(&vms[i]);
	return t_done();
}

/* ---- a vCPU thread that runs until told to stop ---------------------- */

struct runner {
	struct vcpu *v;
	pthread_t th;
	atomic_int stop;
	atomic_uint last;	/* last value the guest reported */
	atomic_uint reports;
	atomic_uint mmio_reads;
	atomic_uint eois;
	atomic_uint eoi_vector;
	uint64_t mmio_reply;
	int cpu;		/* pin to this CPU first, or -1 */
	int error;		/* errno of an unexpected RUN failure */
	/*
	 * From report number `check >> 32` on, only the value `(u32)check`
	 * (0: no such check). One word, so that a runner never pairs one
	 * round's first report with the next round's value.
	 */
	_Atomic uint64_t check;
	atomic_uint stale;	/* reports that broke it */
};

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	struct vcpu *v = r->v;

	if (r->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(r->cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	while (!atomic_load(&r->stop)) {
		struct plumb_exit *e;

		if (v->cons == __atomic_load_n(&v->hdr->producer, __ATOMIC_ACQUIRE)) {
			if (ioctl(v->fd, PLUMB_RUN, 0)) {
				if (errno == EINTR)
					continue;
				r->error = errno;
				break;
			}
			continue;
		}
		e = &v->ring[v->cons % v->hdr->entry_count];
		if (e->reason == PLUMB_EXIT_IO && e->io.port == 0x1238) {
			uint32_t val = *(uint32_t *)e->io.data;
			unsigned int n = atomic_fetch_add(&r->reports, 1) + 1;
			uint64_t check = atomic_load(&r->check);
			unsigned int from = check >> 32;
			uint32_t want = (uint32_t)check;

			atomic_store(&r->last, val);
			if (from && n >= from && val != want &&
			    !atomic_fetch_add(&r->stale, 1))
				printf("  stale: report %u (checked from %u): %#x, want %#x\n",
				       n, from, val, want);
		} else if (e->reason == PLUMB_EXIT_EOI) {
			atomic_store(&r->eoi_vector, e->eoi.vector);
			atomic_fetch_add(&r->eois, 1);
		} else if (e->reason == PLUMB_EXIT_MMIO && !e->mmio.is_write) {
			e->mmio.data = r->mmio_reply;
			atomic_fetch_add(&r->mmio_reads, 1);
		} else {
			printf("  unexpected exit %s\n", exit_name(e->reason));
			r->error = EPROTO;
			break;
		}
		vcpu_consume(v);
	}
	return NULL;
}

static void runner_start(struct runner *r, struct vcpu *v, int cpu)
{
	memset(r, 0, sizeof(*r));
	r->v = v;
	r->cpu = cpu;
	pthread_create(&r->th, NULL, runner_main, r);
}

static void runner_stop(struct runner *r)
{
	atomic_store(&r->stop, 1);
	pthread_kill(r->th, SIGUSR1);
	pthread_join(r->th, NULL);
}

static int wait_last(struct runner *r, uint32_t want, int secs)
{
	double end = now() + secs * slow;

	while (now() < end && !r->error) {
		if (atomic_load(&r->last) == want)
			return 1;
		msleep(5);
	}
	return 0;
}

/* ---- replace and delete a slot under a running vCPU ------------------ */

#define SLOT_GPA	0x1000000ULL
#define SLOT_SIZE	0x10000ULL

static uint8_t *filled(uint8_t byte)
{
	uint8_t *p = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		printf("FAIL: mmap: %s\n", strerror(errno));
		exit(1);
	}
	memset(p, byte, SLOT_SIZE);
	return p;
}

static int set_slot1(struct vm *vm, uint8_t *mem)
{
	struct plumb_memory_region m = {
		.slot = 1, .guest_phys_addr = SLOT_GPA,
		.memory_size = mem ? SLOT_SIZE : 0,
		.userspace_addr = (uintptr_t)mem,
	};

	return ioctl(vm->fd, PLUMB_SET_MEMORY_REGION, &m);
}

static int t_slots(void)
{
	uint8_t *a = filled(0xaa), *b = filled(0xbb), *d = filled(0xdd);
	struct runner r;
	struct vm vm;
	struct vcpu v;

	catch(SIGUSR1);
	setup(&vm, &v, 4 << 20, "spin");
	/* Report the qword at SLOT_GPA every 2000 iterations. */
	set_rsi_rdi_rcx(&v, COUNTER, SLOT_GPA, 2000);
	T_CHECK(set_slot1(&vm, a) == 0, "slot 1 at 16 MiB, 64 KiB of 0xaa");
	runner_start(&r, &v, -1);
	r.mmio_reply = 0xcccccccccccccccc;
	T_CHECK(wait_last(&r, 0xaaaaaaaa, 20), "the guest reads 0xaa from slot 1");
	for (int i = 0; i < 20; i++) {
		uint8_t *mem = i & 1 ? a : b;
		uint32_t want = i & 1 ? 0xaaaaaaaa : 0xbbbbbbbb;

		if (set_slot1(&vm, mem) || !wait_last(&r, want, 20)) {
			T_CHECK(0, "replace %d: slot 1 now %#x: the guest sees it", i, want);
			break;
		}
	}
	T_CHECK(!r.error, "20 replacements of slot 1 under the running guest, each seen");
	munmap(a, SLOT_SIZE);	/* no slot uses it now */
	T_CHECK(set_slot1(&vm, NULL) == 0, "delete slot 1 while the vCPU runs");
	T_CHECK(wait_last(&r, 0xcccccccc, 20) && atomic_load(&r.mmio_reads) > 0,
		"the guest's reads there became MMIO reads (%u)",
		atomic_load(&r.mmio_reads));
	T_CHECK(set_slot1(&vm, d) == 0, "slot 1 again, now 0xdd");
	T_CHECK(wait_last(&r, 0xdddddddd, 20), "the guest reads 0xdd");
	runner_stop(&r);
	T_CHECK(r.error == 0, "no RUN error (%s)", strerror(r.error));
	vcpu_destroy(&v);
	vm_destroy(&vm);
	munmap(b, SLOT_SIZE);
	munmap(d, SLOT_SIZE);
	return t_done();
}

/*
 * Security review F3 (SVM lost the full flush of an ASID rollover when an
 * event arrived at the wrong moment): slot 1 replaced 200 times under a
 * guest that keeps reading it, each replacement a TLB generation (a new
 * ASID on SVM, so rollovers come often), while another thread sends MSIs
 * to the vCPU as fast as it can. Once a replacement has returned, the
 * guest may report the old contents at most once (a read made before it,
 * reported after); from its second report on, never.
 */
static int msi(struct vm *vm, uint32_t addr, uint32_t data);
static atomic_int storm_stop;
static atomic_uint storm_sent;

static void *msi_storm(void *arg)
{
	struct vm *vm = arg;
	uint32_t vec = 0x40;

	while (!atomic_load(&storm_stop)) {
		if (msi(vm, 0xfee00000, vec) == 1)
			atomic_fetch_add(&storm_sent, 1);
		vec = vec == 0xfe ? 0x40 : vec + 1;
	}
	return NULL;
}

static int t_slot_storm(void)
{
	struct {
		struct plumb_msrs hdr;
		struct plumb_msr_entry e[3];
	} m = { .hdr.nmsrs = 3 };
	uint8_t *a = filled(0xaa), *b = filled(0xbb);
	const int rounds = 200;
	pthread_t storm;
	struct runner r;
	struct vm vm;
	struct vcpu v;
	int i, seen = 0;

	catch(SIGUSR1);
	setup(&vm, &v, 4 << 20, "spin");
	set_rsi_rdi_rcx(&v, COUNTER, SLOT_GPA, 200);
	/*
	 * The MSIs must be accepted (x2APIC on, software-enabled) but never
	 * taken: the guest has no IDT, and on bochs-svm it runs with IF=1
	 * (a nested triple fault there stops the emulator). TPR 0xf0 keeps
	 * every vector pending; each new one still kicks the vCPU.
	 */
	vcpu_set_supported_cpuid(&v);
	m.e[0].index = 0x1b;
	m.e[0].data = 0xfee00000 | (1 << 11) | (1 << 10) | (1 << 8);
	m.e[1].index = 0x80f;
	m.e[1].data = 0x1ff;
	m.e[2].index = 0x808;
	m.e[2].data = 0xf0;
	T_CHECK(ioctl(v.fd, PLUMB_SET_MSRS, &m) == 3, "x2APIC enabled, SVR 0x1ff, TPR 0xf0");
	T_CHECK(set_slot1(&vm, a) == 0, "slot 1 at 16 MiB, 64 KiB of 0xaa");
	runner_start(&r, &v, -1);
	T_CHECK(wait_last(&r, 0xaaaaaaaa, 20), "the guest reads 0xaa from slot 1");
	T_CHECK(msi(&vm, 0xfee00000, 0x40) == 1, "an MSI reaches the vCPU");
	pthread_create(&storm, NULL, msi_storm, &vm);
	for (i = 0; i < rounds; i++) {
		uint8_t *mem = i & 1 ? a : b;
		uint32_t want = i & 1 ? 0xaaaaaaaa : 0xbbbbbbbb;
		unsigned int k;
		double end;

		atomic_store(&r.check, 0);
		if (set_slot1(&vm, mem)) {
			T_CHECK(0, "replace %d: %s", i, strerror(errno));
			break;
		}
		k = atomic_load(&r.reports);
		atomic_store(&r.check, (uint64_t)(k + 2) << 32 | want);
		end = now() + 20 * slow;
		while (atomic_load(&r.reports) < k + 4 && now() < end && !r.error)
			msleep(1);
		if (atomic_load(&r.reports) < k + 4)
			break;
		seen++;
	}
	atomic_store(&storm_stop, 1);
	pthread_join(storm, NULL);
	runner_stop(&r);
	T_CHECK(seen == rounds, "%d of %d replacements each followed by 4 reports", seen, rounds);
	T_CHECK(atomic_load(&r.stale) == 0,
		"no stale read of the replaced memory (%u stale reports)",
		atomic_load(&r.stale));
	T_CHECK(atomic_load(&storm_sent) > (unsigned int)rounds,
		"the storm: %u MSIs accepted meanwhile", atomic_load(&storm_sent));
	T_CHECK(r.error == 0, "no RUN error (%s)", strerror(r.error));
	vcpu_destroy(&v);
	vm_destroy(&vm);
	munmap(a, SLOT_SIZE);
	munmap(b, SLOT_SIZE);
	return t_done();
}

/* ---- AVX state on both sides ------------------------------------------ */

typedef uint8_t ymmset[16][32];

#define YMM_LOAD(n)	"vmovdqu " #n "*32(%[in]), %%ymm" #n "\n\t"
#define YMM_STORE(n)	"vmovdqu %%ymm" #n ", " #n "*32(%[out])\n\t"
#define YMM_ALL(m)	m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9) \
			m(10) m(11) m(12) m(13) m(14) m(15)
#define YMM_CLOBBERS	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", \
			"xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", \
			"xmm12", "xmm13", "xmm14", "xmm15"

/* A raw syscall with YMM0-15 loaded from @in before and stored to @out after. */
static long ymm_syscall(long nr, long a1, long a2, const ymmset in, ymmset out)
{
	long ret;

	asm volatile(YMM_ALL(YMM_LOAD)
		     "syscall\n\t"
		     YMM_ALL(YMM_STORE)
		     "vzeroupper"
		     : "=a"(ret)
		     : "a"(nr), "D"(a1), "S"(a2), "d"(0L), [in] "r"(in),
		       [out] "r"(out)
		     : "rcx", "r11", "memory", YMM_CLOBBERS);
	return ret;
}

static void fill(ymmset s, unsigned int seed)
{
	for (unsigned int i = 0; i < sizeof(ymmset); i++)
		((uint8_t *)s)[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 5));
}

static atomic_int avx_stop;
static atomic_uint avx_bad, avx_rounds;

/* Another host thread keeps its own values in the YMM registers. */
static void *avx_worker(void *arg)
{
	ymmset in, out;

	(void)arg;
	fill(in, 99);
	while (!atomic_load(&avx_stop)) {
		ymm_syscall(SYS_sched_yield, 0, 0, in, out);
		if (memcmp(in, out, sizeof(in)))
			atomic_fetch_add(&avx_bad, 1);
		atomic_fetch_add(&avx_rounds, 1);
	}
	return NULL;
}

static int has_avx(void)
{
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int yes = 0;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " avx ")) {
			yes = 1;
			break;
		}
	if (f)
		fclose(f);
	return yes;
}

static int t_avx(void)
{
	const unsigned int rounds = 2000;
	unsigned int host_bad = 0, reports = 0, i;
	struct plumb_sregs s;
	ymmset in, out;
	pthread_t th;
	struct vm vm;
	struct vcpu v;

	T_CHECK(has_avx(), "the emulated host has AVX");
	if (!has_avx())
		return t_done();
	setup(&vm, &v, 4 << 20, "avx");
	for (i = 0; i < sizeof(ymmset); i++)	/* the guest's table at 0x4000 */
		vm.mem[0x4000 + i] = (uint8_t)(i * 13 + 5);
	set_rsi_rdi_rcx(&v, 0x4000, 0, rounds);
	vcpu_set_supported_cpuid(&v);	/* XSETBV follows CPUID leaf 0xD */
	ioctl(v.fd, PLUMB_GET_SREGS, &s);
	s.cr4 |= (1 << 18) | (1 << 9) | (1 << 10);	/* OSXSAVE OSFXSR OSXMMEXCPT */
	T_CHECK(ioctl(v.fd, PLUMB_SET_SREGS, &s) == 0, "CR4.OSXSAVE for the guest");

	pthread_create(&th, NULL, avx_worker, NULL);
	fill(in, 1);
	for (;;) {
		struct plumb_exit *e;

		if (v.cons == __atomic_load_n(&v.hdr->producer, __ATOMIC_ACQUIRE)) {
			long ret = ymm_syscall(SYS_ioctl, v.fd, PLUMB_RUN, in, out);

			if (ret) {
				T_CHECK(0, "RUN: %ld", ret);
				break;
			}
			if (memcmp(in, out, sizeof(in)))
				host_bad++;
			continue;
		}
		e = &v.ring[v.cons % v.hdr->entry_count];
		if (e->reason != PLUMB_EXIT_IO || e->io.port != 0x1238) {
			struct plumb_regs r;

			if (e->reason == PLUMB_EXIT_IO)
				break;	/* the guest's verdict */
			ioctl(v.fd, PLUMB_GET_REGS, &r);
			printf("  %s at rip %#llx after %u reports\n",
			       exit_name(e->reason), (unsigned long long)r.rip,
			       reports);
			break;
		}
		reports++;
		vcpu_consume(&v);
	}
	atomic_store(&avx_stop, 1);
	pthread_join(th, NULL);
	T_CHECK(reports == rounds, "%u guest exits with its YMM registers live", reports);
	expect_out(&v, 0x1237, 4, 0);
	t_note("the guest's YMM0-15 survived every exit (0 mismatches)");
	expect_reason(&v, PLUMB_EXIT_HLT);
	T_CHECK(host_bad == 0, "the host's YMM0-15 survived %u RUN calls (%u mismatches)",
		rounds, host_bad);
	T_CHECK(atomic_load(&avx_bad) == 0,
		"another host thread's YMM registers survived %u switches (%u mismatches)",
		atomic_load(&avx_rounds), atomic_load(&avx_bad));
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

/* ---- CPU hotplug ------------------------------------------------------ */

static int cpu_online(int cpu, int on)
{
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, on ? "1" : "0", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* memsum on @vm's vCPU from where it is, on this thread's CPU. */
static int memsum_once(struct vm *vm, struct vcpu *v)
{
	uint64_t want = 0, got;

	vcpu_set_mode(v, MODE_LONG64, GUEST_LOAD);
	set_rsi_rdi_rcx(v, 0x200000, 0, 0x10000);
	got = expect_out32(v, 0x1238);
	got |= (uint64_t)expect_out32(v, 0x1238) << 32;
	expect_reason(v, PLUMB_EXIT_HLT);
	for (uint64_t off = 0; off < 0x10000; off += 8)
		want += (0x200000 + off) * 0x3779b1ULL;
	(void)vm;
	return got == want;
}

static int t_hotplug(void)
{
	struct vm a, b, c;
	struct vcpu va, vb, vc;
	struct runner r;

	catch(SIGUSR1);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		T_CHECK(0, "this test needs 2 online CPUs");
		return t_done();
	}
	setup(&a, &va, 4 << 20, "spin");
	set_rsi_rdi_rcx(&va, COUNTER, 0, 0);
	runner_start(&r, &va, 1);
	T_CHECK(advances(&a, 10), "VM A spins on CPU 1");
	T_CHECK(cpu_online(1, 0) == 0, "CPU 1 offline while VM A runs there");
	T_CHECK(advances(&a, 10), "VM A goes on running (on CPU 0)");

	vm_create(&b, 4 << 20);
	vm_load(&b, GUESTS "memsum-64.bin", GUEST_LOAD);
	vcpu_create(&b, &vb, 0);
	T_CHECK(memsum_once(&b, &vb), "VM B made and run while CPU 1 is offline");

	T_CHECK(cpu_online(1, 1) == 0, "CPU 1 online again");
	T_CHECK(pin(1) == 0 && sched_getcpu() == 1, "this thread moved to CPU 1");
	T_CHECK(memsum_once(&b, &vb), "VM B runs on CPU 1 (enabled when it came back)");
	T_CHECK(pin(0) == 0 && memsum_once(&b, &vb), "and on CPU 0 again");

	for (int i = 0; i < 3; i++) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(1, &set);
		sched_setaffinity(0, sizeof(set), &set);	/* ours, to CPU 1 */
		T_CHECK(cpu_online(1, 0) == 0 && cpu_online(1, 1) == 0,
			"cycle %d: CPU 1 off and on with VM A running", i);
		T_CHECK(advances(&a, 10), "cycle %d: VM A still runs", i);
	}
	runner_stop(&r);
	T_CHECK(r.error == 0, "VM A's RUN never failed (%s)", strerror(r.error));
	vcpu_destroy(&va);
	vm_destroy(&a);
	vcpu_destroy(&vb);
	vm_destroy(&b);

	/* No VM: offline CPU 1, make the first VM, bring CPU 1 back, run there. */
	pin(0);
	T_CHECK(cpu_online(1, 0) == 0, "no VM left; CPU 1 offline");
	vm_create(&c, 4 << 20);
	vm_load(&c, GUESTS "memsum-64.bin", GUEST_LOAD);
	vcpu_create(&c, &vc, 0);
	T_CHECK(memsum_once(&c, &vc), "first VM made while CPU 1 is offline runs");
	T_CHECK(cpu_online(1, 1) == 0 && pin(1) == 0, "CPU 1 back, this thread on it");
	T_CHECK(memsum_once(&c, &vc), "the VM runs on the CPU that came back");
	vcpu_destroy(&vc);
	vm_destroy(&c);
	return t_done();
}

/* ---- IPIs between two vCPUs of one VM (in-kernel APIC) --------------- */

static int t_ipi(void)
{
	const unsigned int n = 200;
	struct runner r0, r1;
	struct vcpu v0, v1;
	struct plumb_regs r;
	struct vm vm;

	catch(SIGUSR1);
	vm_create(&vm, 4 << 20);
	vm_load(&vm, GUESTS "ipi-64.bin", GUEST_LOAD);
	vcpu_create(&vm, &v0, 0);
	vcpu_create(&vm, &v1, 1);
	vcpu_set_mode(&v0, MODE_LONG64, GUEST_LOAD);
	vcpu_set_mode(&v1, MODE_LONG64, GUEST_LOAD);
	for (int i = 0; i < 2; i++) {
		struct vcpu *v = i ? &v1 : &v0;

		ioctl(v->fd, PLUMB_GET_REGS, &r);
		r.rbx = i;
		r.rcx = n;
		r.rsp = GUEST_STACK - i * 0x1000;	/* a stack each */
		if (guest_if)		/* the sender spins (decision 23) */
			r.rflags |= 0x200;
		ioctl(v->fd, PLUMB_SET_REGS, &r);
	}
	runner_start(&r1, &v1, -1);
	runner_start(&r0, &v0, -1);
	T_CHECK(wait_last(&r1, n, 60), "vCPU 1 took %u IPIs from vCPU 0, each waking its HLT", n);
	T_CHECK(wait_last(&r0, n, 5), "vCPU 0 saw every one counted");
	runner_stop(&r0);
	runner_stop(&r1);
	T_CHECK(!r0.error && !r1.error, "no RUN error (%s, %s)", strerror(r0.error),
		strerror(r1.error));
	T_CHECK(r1.reports == 1, "vCPU 1 left the guest once for userspace (%u reports)",
		atomic_load(&r1.reports));
	vcpu_destroy(&v0);
	vcpu_destroy(&v1);
	vm_destroy(&vm);
	return t_done();
}

/* ---- MSIs from userspace into a sleeping vCPU ------------------------ */

static int msi(struct vm *vm, uint32_t addr, uint32_t data)
{
	struct plumb_msi m = { .address_lo = addr, .data = data };

	return ioctl(vm->fd, PLUMB_SIGNAL_MSI, &m);
}

static int t_msi(void)
{
	const unsigned int n = 100;
	volatile uint64_t *count, *ready;
	struct plumb_msi bad = { .address_lo = 0xfee00000, .flags = 1 };
	struct plumb_regs r;
	struct runner run;
	struct vcpu v;
	struct vm vm;
	unsigned int i;
	double end;

	catch(SIGUSR1);
	setup(&vm, &v, 4 << 20, "ipi");
	count = (volatile uint64_t *)(vm.mem + 0x3008);
	ready = (volatile uint64_t *)(vm.mem + 0x3020);
	ioctl(v.fd, PLUMB_GET_REGS, &r);
	r.rbx = 1;		/* the receiver's part */
	r.rcx = n + 1;
	ioctl(v.fd, PLUMB_SET_REGS, &r);
	T_ERRNO(ioctl(vm.fd, PLUMB_SIGNAL_MSI, &bad), EINVAL, "MSI with flags set");
	T_ERRNO(msi(&vm, 0xfed00000, 0x41), EINVAL, "MSI outside 0xFEExxxxx");
	T_ERRNO(msi(&vm, 0xfee00000, 0x641), EINVAL, "MSI with delivery mode STARTUP");
	runner_start(&run, &v, -1);
	end = now() + 30 * slow;
	while (*ready != 1 && now() < end)
		msleep(5);
	for (i = 1; i <= n && now() < end; i++) {
		if (msi(&vm, 0xfee00000, 0x41) != 1)
			break;
		while (*count < i && now() < end)
			sched_yield();
	}
	T_CHECK(*count == n, "%u edge MSIs, each counted by the sleeping guest (%llu)",
		n, (unsigned long long)*count);
	T_CHECK(atomic_load(&run.eois) == 0, "no EOI record for edge interrupts");
	T_CHECK(msi(&vm, 0xfee00000, 0x8041) == 1, "level-triggered MSI, taken by 1 vCPU");
	T_CHECK(wait_last(&run, n + 1, 30), "the guest took it");
	end = now() + 10 * slow;
	while (!atomic_load(&run.eois) && now() < end)
		msleep(5);
	T_CHECK(atomic_load(&run.eois) == 1 && atomic_load(&run.eoi_vector) == 0x41,
		"its EOI came to userspace as an EOI record for vector 0x41");
	/* ExtINT: a PIC's INTR, through vCPU 0's LINT0 (virtual wire at reset). */
	T_CHECK(msi(&vm, 0xfee00000, 0x741) == 1, "ExtINT taken by vCPU 0's LINT0");
	end = now() + 10 * slow;
	while (*count < n + 2 && now() < end)
		msleep(5);
	T_CHECK(*count == n + 2, "the guest took the ExtINT vector (count %llu)",
		(unsigned long long)*count);
	T_CHECK(atomic_load(&run.eois) == 1, "and it made no EOI record");
	runner_stop(&run);
	T_CHECK(!run.error, "no RUN error (%s)", strerror(run.error));
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

/* ---- INIT and SIPI: an AP waits in the kernel until vCPU 0 starts it -- */

static int t_sipi(void)
{
	struct plumb_mp_state mp = { .state = PLUMB_MP_WAIT_SIPI };
	struct runner r0, r1;
	struct vcpu v0, v1;
	struct vm vm;

	catch(SIGUSR1);
	vm_create(&vm, 4 << 20);
	vm_load(&vm, GUESTS "sipi-64.bin", GUEST_LOAD);
	vcpu_create(&vm, &v0, 0);
	vcpu_create(&vm, &v1, 1);
	vcpu_set_mode(&v0, MODE_LONG64, GUEST_LOAD);
	T_CHECK(ioctl(v1.fd, PLUMB_SET_MP_STATE, &mp) == 0, "vCPU 1 waits for SIPI");
	mp.state = 7;
	T_ERRNO(ioctl(v1.fd, PLUMB_SET_MP_STATE, &mp), EINVAL, "unknown MP state");
	mp.state = 0;
	mp.reserved[2] = 1;
	T_ERRNO(ioctl(v1.fd, PLUMB_SET_MP_STATE, &mp), EINVAL, "reserved field");
	T_CHECK(ioctl(v1.fd, PLUMB_GET_MP_STATE, &mp) == 0 &&
		mp.state == PLUMB_MP_WAIT_SIPI, "GET_MP_STATE says so");
	runner_start(&r1, &v1, -1);
	msleep(200);
	T_CHECK(atomic_load(&r1.reports) == 0 && !r1.error,
		"vCPU 1's RUN sleeps in the kernel before the SIPI");
	runner_start(&r0, &v0, -1);
	T_CHECK(wait_last(&r0, 1, 30), "vCPU 0 sent INIT and SIPI");
	T_CHECK(wait_last(&r1, 0xab, 30), "vCPU 1 started in real mode at 0000:2000");
	/* Now it sleeps in HLT with IF=1: INIT and SIPI must restart it. */
	msleep(300);
	__atomic_store_n((uint32_t *)(vm.mem + 0x2100), 1,
			 __ATOMIC_RELEASE);
	T_CHECK(wait_last(&r0, 2, 30), "vCPU 0 sent INIT and SIPI again");
	T_CHECK(wait_last(&r1, 0xac, 30), "the halted vCPU 1 woke on INIT and restarted");
	runner_stop(&r0);
	runner_stop(&r1);
	T_CHECK(!r0.error && !r1.error, "no RUN error (%s, %s)", strerror(r0.error),
		strerror(r1.error));
	T_CHECK(ioctl(v1.fd, PLUMB_GET_MP_STATE, &mp) == 0 &&
		mp.state == PLUMB_MP_RUNNABLE, "vCPU 1 is runnable now");
	vcpu_destroy(&v0);
	vcpu_destroy(&v1);
	vm_destroy(&vm);
	return t_done();
}

/* ---- another hypervisor owns the CPU ---------------------------------- */

static int kvm_virt_at_load(void)
{
	FILE *f = fopen("/sys/module/kvm/parameters/enable_virt_at_load", "r");
	int c = f ? fgetc(f) : 'N';

	if (f)
		fclose(f);
	return c == 'Y';
}

static long plumb_create_vm(void)
{
	int sys = open("/dev/plumb", O_RDWR | O_CLOEXEC);
	long fd;

	if (sys < 0)
		return -1;
	fd = ioctl(sys, PLUMB_CREATE_VM, 0);
	if (fd < 0) {
		int e = errno;

		close(sys);
		errno = e;
		return -1;
	}
	close(sys);
	return fd;
}

/* Kernel log lines after the runner's mark that contain @what. */
static int dmesg_count(const char *what)
{
	char cmd[256], line[512];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "dmesg | tail -n +%d",
		 atoi(getenv("PLUMB_DMESG_MARK") ?: "0") + 1);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p))
		if (strstr(line, what)) {
			printf("  log: %s", line);
			n++;
		}
	if (p)
		pclose(p);
	return n;
}

static int t_busy(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), kvm_vm;
	int at_load = kvm_virt_at_load();
	long fd;

	T_CHECK(kvm >= 0, "KVM is loaded (/dev/kvm)");
	if (kvm < 0)
		return t_done();
	printf("kvm enable_virt_at_load: %s\n", at_load ? "Y" : "N/absent");
	kvm_vm = ioctl(kvm, KVM_CREATE_VM, 0);
	T_CHECK(kvm_vm >= 0, "KVM made a VM (it owns VMX/SVM now)");
	T_ERRNO(plumb_create_vm(), EBUSY, "plumb's CREATE_VM while KVM owns the CPU");
	T_CHECK(dmesg_count("already in use") == 1,
		"exactly one log line says who owns it and what to do");
	close(kvm_vm);
	fd = plumb_create_vm();
	if (at_load) {
		T_CHECK(fd == -1 && errno == EBUSY,
			"KVM keeps VT on with enable_virt_at_load=Y: still EBUSY");
	} else {
		T_CHECK(fd >= 0, "KVM's VM closed: plumb makes its VM (%s)",
			fd < 0 ? strerror(errno) : "ok");
		/* And now the other way round: KVM must fail cleanly. */
		kvm_vm = ioctl(kvm, KVM_CREATE_VM, 0);
		T_CHECK(kvm_vm < 0, "KVM cannot make a VM while plumb has one (%s)",
			kvm_vm < 0 ? strerror(errno) : "it did");
		if (kvm_vm >= 0)
			close(kvm_vm);
	}
	if (fd >= 0)
		close((int)fd);
	close(kvm);
	return t_done();
}

/* ---- F6: the periodic APIC timer re-armed from CPU to CPU ------------- */

#define TL_TIMER	0x3000ULL	/* timerloop's timer interrupts */
#define TL_LOOP		0x3008ULL	/* and its loop iterations */

static uint64_t guest_qword(struct vm *vm, uint64_t gpa)
{
	return __atomic_load_n((uint64_t *)(vm->mem + gpa), __ATOMIC_RELAXED);
}

/* The longest of @n sleeps of 5 ms on @cpu, in seconds. */
static double worst_sleep(int cpu, int n)
{
	double worst = 0;

	pin(cpu);
	for (int i = 0; i < n; i++) {
		double t0 = now(), t;

		msleep(5);
		t = now() - t0;
		if (t > worst)
			worst = t;
	}
	return worst;
}

static int set_thread_cpu(pthread_t th, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(th, sizeof(set), &set);
}

/*
 * The guest rewrites its periodic timer in a loop while we move the vCPU
 * thread between CPU 0 and 1 every millisecond: each rewrite restarts the
 * hrtimer from the new CPU while its callback may be running on the old
 * one (finding F6). The callback must not change the expiry of the timer
 * re-queued meanwhile: that corrupts the old CPU's hrtimer queue, whose
 * tick and watchdog then stall (RCU stall, lockup: the harness reads the
 * kernel log). Afterwards, short sleeps on both CPUs must still wake.
 */
static int t_timer_migrate(void)
{
	uint64_t t0, t1, l0, moves = 0;
	double end, w0, w1;
	struct runner r;
	struct vm vm;
	struct vcpu v;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		T_CHECK(0, "needs 2 host CPUs (tests.cfg: smp2)");
		return t_done();
	}
	catch(SIGUSR1);
	setup(&vm, &v, 4 << 20, "timerloop");
	runner_start(&r, &v, 0);
	end = now() + 4 * slow;
	while (now() < end && !r.error) {
		set_thread_cpu(r.th, moves & 1);
		moves++;
		msleep(1);
	}
	t0 = guest_qword(&vm, TL_TIMER);
	l0 = guest_qword(&vm, TL_LOOP);
	T_CHECK(l0 > 0 && t0 > 0,
		"%llu thread moves: the guest rewrote its timer %llu times and took %llu timer interrupts",
		(unsigned long long)moves, (unsigned long long)l0,
		(unsigned long long)t0);
	msleep(500 * slow);
	t1 = guest_qword(&vm, TL_TIMER);
	T_CHECK(t1 > t0, "its timer still fires (%llu more in 0.5 s)",
		(unsigned long long)(t1 - t0));
	runner_stop(&r);
	T_CHECK(r.error == 0, "no RUN error (%s)", strerror(r.error));
	vcpu_destroy(&v);
	vm_destroy(&vm);
	w0 = worst_sleep(0, 20);
	w1 = worst_sleep(1, 20);
	T_CHECK(w0 < 1.0 * slow && w1 < 1.0 * slow,
		"host timers on both CPUs still wake: worst 5 ms sleep %.3f s / %.3f s",
		w0, w1);
	return t_done();
}

/* ---- F10: a vCPU ioctl waiting behind a RUN that sleeps in HLT -------- */

static const char hung_knob[] = "/proc/sys/kernel/hung_task_timeout_secs";

static long read_knob(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0] ? atol(buf) : -1;
}

static int write_knob(const char *path, long val)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%ld\n", val) < 0;
	return fclose(f) || ret ? -1 : 0;
}

static void *run_forever(void *arg)
{
	struct vcpu *v = arg;

	ioctl(v->fd, PLUMB_RUN, 0);	/* sleeps in HLT: no interrupt comes */
	return NULL;
}

/*
 * The child: a vCPU halted with IF=1 (STI; HLT; JMP back) sleeps in the
 * kernel inside RUN, holding the vCPU's mutex; then GET_REGS from this
 * thread waits for that mutex. It never returns.
 */
static void hung_child(void)
{
	static const uint8_t halt_loop[] = { 0xfb, 0xf4, 0xeb, 0xfc };
	struct plumb_regs regs;
	struct vm vm;
	struct vcpu v;
	pthread_t th;

	vm_create(&vm, 4 << 20);
	memcpy(vm.mem + GUEST_LOAD, halt_loop, sizeof(halt_loop));
	vcpu_create(&vm, &v, 0);
	vcpu_set_mode(&v, MODE_LONG64, GUEST_LOAD);
	pthread_create(&th, NULL, run_forever, &v);
	msleep(500 * slow);
	printf("  child: GET_REGS while RUN sleeps in HLT\n");
	ioctl(v.fd, PLUMB_GET_REGS, &regs);
	printf("  child: GET_REGS returned (the guest woke?)\n");
	_exit(3);
}

/*
 * With the hung-task detector at 2 s, GET_REGS waits behind the halted
 * RUN for 5 of its periods: that wait must be killable (no "blocked for
 * more than" report, finding F10) and SIGKILL must end the process.
 */
static int t_hung_regs(void)
{
	long old = read_knob(hung_knob);
	int status = 0, gone = 0, reports;
	pid_t pid;
	double end;

	if (old < 0 || write_knob(hung_knob, 2)) {
		printf("note: no %s: the kernel log check cannot see a hung task\n",
		       hung_knob);
		old = -1;
	}
	pid = fork();
	if (pid == 0)
		hung_child();
	msleep((10 + 1) * 1000 * slow);
	T_CHECK(waitpid(pid, &status, WNOHANG) == 0,
		"GET_REGS still waits behind the halted RUN after %d s", 11 * slow);
	kill(pid, SIGKILL);
	end = now() + 10 * slow;
	while (now() < end && !gone) {
		gone = waitpid(pid, &status, WNOHANG) == pid;
		if (!gone)
			msleep(50);
	}
	T_CHECK(gone && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		"SIGKILL ends the process (status %#x)", status);
	if (old >= 0)
		write_knob(hung_knob, old);
	reports = dmesg_count("blocked for more than");
	T_CHECK(reports == 0, "no hung-task report (%d)", reports);
	return t_done();
}

/* The subtests by name ("t_stress NAME"); without one, the list. */
static const struct {
	const char *name;
	int (*run)(void);
} tests[] = {
	{ "burst", t_burst },
	{ "signal", t_signal },
	{ "smp", t_smp },
	{ "slots", t_slots },
	{ "slot_storm", t_slot_storm },
	{ "avx", t_avx },
	{ "hotplug", t_hotplug },
	{ "busy", t_busy },
	{ "ipi", t_ipi },
	{ "sipi", t_sipi },
	{ "msi", t_msi },
	{ "timer_migrate", t_timer_migrate },
	{ "hung_regs", t_hung_regs },
};

int main(int argc, char **argv)
{
	const char *t = argc > 1 ? argv[1] : "";
	const char *s = getenv("PLUMB_SLOW");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (s && atoi(s) > 1)
		slow = atoi(s);
	s = getenv("PLUMB_HOST");
	if (s && !strcmp(s, "bochs-svm")) {
		guest_if = 1;
		printf("note: Bochs SVM: spinning guests run with IF=1\n");
	}
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!strcmp(t, tests[i].name))
			return tests[i].run();
	fprintf(stderr, "usage: t_stress SUBTEST, one of:\n");
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		fprintf(stderr, "  %s\n", tests[i].name);
	return 2;
}
