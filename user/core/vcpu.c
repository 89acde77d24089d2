// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU threads: one per vCPU consumes its exit ring in order (the
 * kernel never lets a read overtake an earlier posted write), hands port
 * and MMIO accesses to the bus, replies to reads, and turns the other
 * records into the end of the VM with the documented exit status. The
 * run as a whole (threads, console, the end) is run.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <plumb/names.h>

#include "vm.h"

static void kick_handler(int sig)
{
	(void)sig;	/* only there to interrupt PLUMB_RUN */
}

void vcpu_init_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;	/* no SA_RESTART: RUN returns EINTR */
	sigaction(VCPU_KICK, &sa, NULL);
}

static void handle_io(struct vcpu *v, struct plumb_exit *e)
{
	struct plumb_exit_io *io = &e->io;
	uint32_t i, n = io->count ? io->count : 1;
	bool out = io->direction == PLUMB_IO_OUT;

	/* Divided, not multiplied: count * size could wrap in 32 bits. */
	if ((io->size != 1 && io->size != 2 && io->size != 4) ||
	    n > sizeof(io->data) / io->size) {
		vm_stop(v->vm, PLUMB_EXIT_INTERNAL,
			"vCPU %u: malformed port I/O record (size %u count %u)",
			v->id, io->size, io->count);
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t d = 0;

		if (out)
			memcpy(&d, io->data + i * io->size, io->size);
		io_dispatch(v->vm, BUS_PIO, v->id, io->port, io->size, out, &d);
		if (!out)
			memcpy(io->data + i * io->size, &d, io->size);
	}
}

static void handle_mmio(struct vcpu *v, struct plumb_exit *e)
{
	struct plumb_exit_mmio *m = &e->mmio;
	uint64_t d = m->is_write ? m->data : 0;

	if (m->size != 1 && m->size != 2 && m->size != 4 && m->size != 8) {
		vm_stop(v->vm, PLUMB_EXIT_INTERNAL,
			"vCPU %u: malformed MMIO record (size %u)", v->id, m->size);
		return;
	}
	io_dispatch(v->vm, BUS_MMIO, v->id, m->phys_addr, m->size, m->is_write,
		    &d);
	if (!m->is_write)
		m->data = d;
}

static bool vcpu_state(struct vcpu *v, struct plumb_regs *r,
		       struct plumb_sregs *s)
{
	return !ioctl(v->fd, PLUMB_GET_REGS, r) && !ioctl(v->fd, PLUMB_GET_SREGS, s);
}

/*
 * A vCPU's registers as kvmtool and QEMU print them on a triple fault or
 * an internal error: enough to find the guest code (RIP, CR3) and what it
 * faulted on (CR2, the IDT, the stack).
 */
static void format_regs(const struct plumb_regs *r, const struct plumb_sregs *s,
			char *buf, size_t size)
{
	snprintf(buf, size,
		 "\n  rip %#" PRIx64 " rsp %#" PRIx64 " rflags %#" PRIx64
		 " rax %#" PRIx64 " rcx %#" PRIx64 " rdx %#" PRIx64
		 "\n  cs %#x ss %#x cr0 %#" PRIx64 " cr2 %#" PRIx64 " cr3 %#" PRIx64
		 " cr4 %#" PRIx64 " efer %#" PRIx64 " idt %#" PRIx64 "/%#x",
		 (uint64_t)r->rip, (uint64_t)r->rsp, (uint64_t)r->rflags,
		 (uint64_t)r->rax, (uint64_t)r->rcx, (uint64_t)r->rdx,
		 s->cs.selector, s->ss.selector, (uint64_t)s->cr0, (uint64_t)s->cr2,
		 (uint64_t)s->cr3, (uint64_t)s->cr4, (uint64_t)s->efer,
		 (uint64_t)s->idt.base, s->idt.limit);
}

/*
 * The top 8 quadwords of a long-mode guest's stack (return addresses to
 * look up in the guest's System.map), read through its page tables.
 */
static void format_stack(const struct gmem *m, const struct plumb_regs *r,
			 const struct plumb_sregs *s, char *buf, size_t size)
{
	char word[24];
	size_t n, k;
	int i;

	buf[0] = '\0';
	if (size < 16 || !(s->efer & (1U << 10)))
		return;
	n = (size_t)snprintf(buf, size, "\n  stack:");
	for (i = 0; i < 8; i++) {
		uint64_t gva = r->rsp + 8 * (uint64_t)i, gpa;
		const uint64_t *q;

		if (gmem_gva_to_gpa(m, s->cr3, s->cr4, s->efer, gva, &gpa) ||
		    !(q = gmem_ptr(m, gpa, 8)))
			break;
		k = (size_t)snprintf(word, sizeof(word), " %#" PRIx64, *q);
		if (n + k >= size)
			break;
		memcpy(buf + n, word, k + 1);
		n += k;
	}
}

/*
 * The registers of a vCPU that died, for its stop message. Best effort: a
 * vCPU whose state cannot be read gets none. From the vCPU's own thread,
 * outside PLUMB_RUN.
 */
static const char *vcpu_dump(struct vcpu *v, char *buf, size_t size)
{
	struct plumb_regs r;
	struct plumb_sregs s;

	buf[0] = '\0';
	if (vcpu_state(v, &r, &s))
		format_regs(&r, &s, buf, size);
	return buf;
}

/* Answer a SIGQUIT: one block on stderr per vCPU, then run on. */
static void vcpu_dump_if_asked(struct vcpu *v)
{
	struct plumb_mp_state mp = { 0 };
	struct plumb_regs r;
	struct plumb_sregs s;
	char regs[320] = "", stack[200] = "";

	if (!__atomic_exchange_n(&v->dump, 0, __ATOMIC_ACQ_REL))
		return;
	if (ioctl(v->fd, PLUMB_GET_MP_STATE, &mp))
		mp.state = ~0u;
	if (vcpu_state(v, &r, &s)) {
		format_regs(&r, &s, regs, sizeof(regs));
		if (mp.state != PLUMB_MP_WAIT_SIPI)
			format_stack(&v->vm->mem, &r, &s, stack, sizeof(stack));
	}
	fprintf(stderr, "plumb: vCPU %u: %s%s%s\r\n", v->id,
		mp.state == PLUMB_MP_WAIT_SIPI ? "waiting for INIT/SIPI" :
		v->halted ? "halted with interrupts disabled" : "runnable",
		regs, stack);
}

/*
 * HLT with interrupts disabled: the kernel sleeps through an HLT with IF
 * set and only hands us this one, after which nothing but an NMI or INIT
 * could wake the vCPU. It stays stopped, and a VM whose vCPUs all are
 * ends (PLUMB_EXIT_HALTED).
 */
static void handle_hlt(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct plumb_regs r = { 0 };
	unsigned int i, halted = 0;

	(void)ioctl(v->fd, PLUMB_GET_REGS, &r);
	pthread_mutex_lock(&vm->lock);
	v->halted = true;
	for (i = 0; i < vm->ncpus; i++)
		/* An AP that never ran waits in the kernel for its SIPI. */
		halted += vm->vcpus[i].halted || (i && !vm->vcpus[i].ran);
	if (halted == vm->ncpus)
		vm_stop(vm, PLUMB_EXIT_HALTED,
			"the guest halted with interrupts disabled on every vCPU (rip %#" PRIx64 ")",
			(uint64_t)r.rip);
	while (!vm->stopping) {
		pthread_cond_wait(&vm->cond, &vm->lock);
		if (__atomic_load_n(&v->dump, __ATOMIC_ACQUIRE)) {
			pthread_mutex_unlock(&vm->lock);
			vcpu_dump_if_asked(v);
			pthread_mutex_lock(&vm->lock);
		}
	}
	pthread_mutex_unlock(&vm->lock);
}

void vcpu_handle_exit(struct vcpu *v, struct plumb_exit *e)
{
	struct vm *vm = v->vm;
	char dump[320];

	switch (e->reason) {
	case PLUMB_EXIT_IO:
		handle_io(v, e);
		break;
	case PLUMB_EXIT_MMIO:
		handle_mmio(v, e);
		break;
	case PLUMB_EXIT_HLT:
		handle_hlt(v);
		break;
	case PLUMB_EXIT_EOI:
		irq_eoi(vm, e->eoi.vector);
		break;
	case PLUMB_EXIT_SHUTDOWN:
		vm_stop(vm, PLUMB_EXIT_TRIPLE, "vCPU %u: triple fault (shutdown)%s",
			v->id, vcpu_dump(v, dump, sizeof(dump)));
		break;
	case PLUMB_EXIT_HYPERCALL:
		/* No hypercalls defined yet: -ENOSYS, as KVM answers (-1000). */
		vm_log(vm, "vCPU %u: hypercall %#llx not implemented", v->id,
		       (unsigned long long)e->hypercall.nr);
		e->hypercall.ret = (uint64_t)-1000;
		break;
	case PLUMB_EXIT_FAIL_ENTRY:
		vm_stop(vm, PLUMB_EXIT_INTERNAL,
			"vCPU %u: VM entry failed (hardware reason %#llx); dmesg has the state%s",
			v->id, (unsigned long long)e->fail_entry.hardware_reason,
			vcpu_dump(v, dump, sizeof(dump)));
		break;
	case PLUMB_EXIT_INTERNAL_ERROR:
		vm_stop(vm, PLUMB_EXIT_INTERNAL,
			"vCPU %u: internal error %u, %s (data %#llx %#llx %#llx)%s",
			v->id, e->internal.suberror,
			plumb_internal_name(e->internal.suberror) ?: "unknown",
			(unsigned long long)e->internal.data[0],
			(unsigned long long)e->internal.data[1],
			(unsigned long long)e->internal.data[2],
			vcpu_dump(v, dump, sizeof(dump)));
		break;
	default:
		/* A record the uapi names but the launcher has no use for. */
		vm_stop(vm, PLUMB_EXIT_INTERNAL, "vCPU %u: unexpected exit record %u (%s)",
			v->id, e->reason, plumb_exit_name(e->reason) ?: "unknown");
		break;
	}
}

/*
 * PLUMB_RUN's -ENOMEM: the kernel could not pin a guest page, which it
 * does at the guest's first touch and charges to RLIMIT_MEMLOCK (docs/abi.md).
 * Say which limit, and how to raise it.
 */
static void memlock_stop(struct vcpu *v)
{
	struct rlimit rl;
	char cur[32] = "unlimited";

	if (!getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur != RLIM_INFINITY)
		snprintf(cur, sizeof(cur), "%" PRIu64 " KiB",
			 (uint64_t)rl.rlim_cur / 1024);
	vm_stop(v->vm, PLUMB_EXIT_INTERNAL,
		"vCPU %u: cannot pin guest memory: the locked-memory limit "
		"(RLIMIT_MEMLOCK, %s here) is below the guest's RAM (%" PRIu64
		" MiB), or the host is out of memory. Raise the limit with "
		"'ulimit -l' (up to the hard limit), or for group plumb in "
		"/etc/security/limits.d/ (packaging/plumb-memlock.conf; log in "
		"again)", v->id, cur, v->vm->cfg->mem >> 20);
}

static int run_ioctl(struct vcpu *v)
{
	return ioctl(v->fd, PLUMB_RUN, 0);
}

int (*vcpu_enter)(struct vcpu *v) = run_ioctl;

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, VCPU_KICK);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	while (!vm->stopping) {
		struct plumb_exit *e;

		vcpu_dump_if_asked(v);
		if (v->cons == __atomic_load_n(&v->hdr->producer, __ATOMIC_ACQUIRE)) {
			if (vcpu_enter(v)) {
				if (errno == EINTR)
					continue;
				if (errno == ENOMEM)
					memlock_stop(v);
				else if (errno == ECANCELED)
					vm_stop(vm, PLUMB_EXIT_KILLED,
						"the VM was killed through the management plane (plumb kill)");
				else
					vm_stop(vm, PLUMB_EXIT_INTERNAL,
						"vCPU %u: PLUMB_RUN: %s", v->id,
						strerror(errno));
				break;
			}
			continue;
		}
		e = &v->ring[v->cons % v->hdr->entry_count];
		v->ran = true;
		vcpu_handle_exit(v, e);
		v->cons++;
		__atomic_store_n(&v->hdr->consumer, v->cons, __ATOMIC_RELEASE);
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	int ret = pthread_create(&v->thread, NULL, vcpu_thread, v);

	v->thread_started = !ret;
	return ret;
}

void vcpu_kick(struct vcpu *v, bool stop)
{
	if (!v->thread_started)
		return;
	if (stop)
		__atomic_store_n(&v->hdr->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, VCPU_KICK);
}

void vcpu_request_dump_all(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->ncpus; i++) {
		if (!vm->vcpus[i].thread_started)
			continue;
		__atomic_store_n(&vm->vcpus[i].dump, 1, __ATOMIC_RELEASE);
		vcpu_kick(&vm->vcpus[i], false);
	}
	/* The ones halted in handle_hlt. */
	pthread_mutex_lock(&vm->lock);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}
