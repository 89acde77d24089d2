// SPDX-License-Identifier: GPL-2.0
/*
 * t_guest: RUN and the host: the in-kernel APIC and HLT sleeping, a vCPU that
 * moves between host CPUs, signals.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "guest.h"

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The in-kernel local APIC: timer, self-IPIs, TPR, x2APIC, HLT sleeping. */
static int t_apic(void)
{
	struct {
		struct plumb_cpuid hdr;
		struct plumb_cpuid_entry e[1];
	} c = { .hdr.nent = 1 };
	struct vm vm;
	struct vcpu v;
	double wall, cpu;

	setup(&vm, &v, "apic", 64);
	/* Leaf 1: APIC and x2APIC (EXTD is #GP without it). */
	c.e[0].function = 1;
	c.e[0].ecx = 1u << 21;
	c.e[0].edx = 1u << 9;
	T_CHECK(ioctl(v.fd, PLUMB_SET_CPUID, &c) == 0, "SET_CPUID: APIC, x2APIC");
	wall = now();
	cpu = cpu_seconds();
	T_CHECK(expect_out32(&v, 0x1238) == 0, "xAPIC ID of vCPU 0 is 0");
	T_CHECK(expect_out32(&v, 0x1238) == 0x53,
		"CR8 5 reads as TPR 0x50, TPR 0x30 as CR8 3");
	T_CHECK(expect_out32(&v, 0x1238) == 1, "one-shot timer woke STI;HLT once");
	T_CHECK(expect_out32(&v, 0x1238) == 11,
		"periodic timer: 10 more interrupts, each ending a HLT");
	wall = now() - wall;
	cpu = cpu_seconds() - cpu;
	printf("timer phase: %.3f s wall, %.3f s CPU of the vCPU thread\n",
	       wall, cpu);
	T_CHECK(wall > 0.09, "10 periods of 10 ms took %.3f s (>= 0.09)", wall);
	T_CHECK(cpu < wall / 2, "halted vCPU sleeps: CPU %.3f s < half of %.3f s",
		cpu, wall);
	T_CHECK(expect_out32(&v, 0x1238) == 1, "self-IPI through the ICR delivered");
	T_CHECK(expect_out32(&v, 0x1238) == 1, "TPR 0x50 holds back vector 0x41");
	T_CHECK(expect_out32(&v, 0x1238) == 2, "TPR 0 lets it in");
	T_CHECK(expect_out32(&v, 0x1238) == 0, "x2APIC ID (MSR 0x802) is 0");
	T_CHECK(expect_out32(&v, 0x1238) == 3, "self-IPI through MSR 0x83f");
	T_CHECK(expect_out32(&v, 0x1238) == 1, "the timer's current count goes down");
	T_CHECK(expect_out32(&v, 0x1238) == 1, "a self-NMI ran the vector 2 handler");
	T_CHECK(expect_out32(&v, 0x1238) == 4, "3 more NMIs, each delivered");
	T_CHECK(expect_out32(&v, 0x1238) == 5,
		"an NMI sent from inside the NMI handler waits for its IRET");
	T_CHECK(expect_out32(&v, 0x1238) == 6, "and runs after it");
	T_CHECK(expect_out32(&v, 0x1238) == 1,
		"once the IRET completed, not on the IRET instruction");
	T_CHECK(expect_out32(&v, 0x1238) == 1,
		"MOV to CR4 with reserved bits is #GP, CR4 unchanged");
	T_CHECK(expect_out32(&v, 0x1238) == 1,
		"CPUID.1:EDX.APIC clear with the APIC disabled, set when enabled");
	expect_reason(&v, PLUMB_EXIT_HLT);
	t_note("HLT with IF=0 comes to userspace");
	T_CHECK(v.runs == 18, "18 RUN returns: the 17 reports and the last HLT (%llu)",
		(unsigned long long)v.runs);
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

/*
 * Two vCPUs of one VM, run alternately from one thread that moves to
 * another host CPU before every RUN: each VMCS/VMCB is cleared where it
 * was and loaded where the thread is now, many times over.
 */
static int t_migrate(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const char *msg = "hello\n";
	struct vm vm;
	struct vcpu v[2];
	struct plumb_regs r;
	int i, moves = 0;

	setup(&vm, &v[0], "hello", 64);
	vcpu_create(&vm, &v[1], 1);
	vcpu_set_mode(&v[1], 64, GUEST_LOAD);
	ioctl(v[1].fd, PLUMB_GET_REGS, &r);
	r.rsp = GUEST_STACK - 0x800;
	ioctl(v[1].fd, PLUMB_SET_REGS, &r);
	for (i = 0; i < 12; i++) {
		struct vcpu *w = &v[i & 1];
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET((i / 2) % (ncpu > 0 ? ncpu : 1), &set);
		if (!sched_setaffinity(0, sizeof(set), &set))
			moves++;
		expect_out(w, 0x3f8, 1, (uint8_t)msg[i / 2]);
	}
	t_note("2 vCPUs wrote \"hello\\n\" alternately on %ld host CPU(s), %d pinnings",
		ncpu, moves);
	for (i = 0; i < 2; i++) {
		expect_in(&v[i], 0x1234, 1, 0x41);
		expect_out(&v[i], 0x1235, 1, 0x42);
	}
	t_note("both finish their IN/OUT");
	vcpu_destroy(&v[1]);
	vcpu_destroy(&v[0]);
	vm_destroy(&vm);
	return t_done();
}

/*
 * A signal interrupts a guest that never exits on its own: RUN returns
 * EINTR promptly (host interrupts exit the guest; the run loop checks for
 * signals between entries), and the guest goes on afterwards. With "if0"
 * the guest runs with EFLAGS.IF clear, which must not matter.
 */
static int t_signal(const char *arg)
{
	int if0 = !strcmp(arg, "if0");
	struct sigaction sa = { .sa_handler = on_alarm };
	struct plumb_regs r;
	struct vm vm;
	struct vcpu v;
	double t;
	int ret;

	setup(&vm, &v, "loop", 64);
	ioctl(v.fd, PLUMB_GET_REGS, &r);
	r.rcx = ~0ULL;			/* 2^64 iterations: forever */
	r.rflags = if0 ? 0x2 : 0x202;
	ioctl(v.fd, PLUMB_SET_REGS, &r);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
	alarm(1);
	t = now();
	ret = ioctl(v.fd, PLUMB_RUN, 0);
	t = now() - t;
	T_CHECK(ret == -1 && errno == EINTR, "RUN (guest IF=%d) interrupted by SIGALRM (ret %d, %s)",
		!if0, ret, strerror(errno));
	T_CHECK(t < 3.0, "within %.2fs of a 1s alarm", t);
	ioctl(v.fd, PLUMB_GET_REGS, &r);
	T_CHECK(r.rcx != ~0ULL && r.rip >= GUEST_LOAD, "the guest ran (rcx %#llx)",
		(unsigned long long)r.rcx);
	r.rcx = 3;
	ioctl(v.fd, PLUMB_SET_REGS, &r);
	expect_out32(&v, 0x1238);
	t_note("and goes on after RUN again");
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

const struct guest_test guest_run_tests[] = {
	{ "apic", .run = t_apic },
	{ "migrate", .run = t_migrate },
	{ "signal", .run_arg = t_signal, .usage = "[if0]" },
	{ NULL }
};
