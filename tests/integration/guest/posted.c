// SPDX-License-Identifier: GPL-2.0
/*
 * t_guest: posted writes: records the guest does not wait for, and how soon
 * they reach userspace.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/time.h>

#include "guest.h"

static int t_posted(void)
{
	struct plumb_posted_range p = { .addr = 0x3f8, .len = 1,
					.flags = PLUMB_POSTED_PIO };
	struct plumb_exit *e;
	struct vm vm;
	struct vcpu v;
	char buf[8] = "";
	int n = 0;

	setup(&vm, &v, "hello", 64);
	T_CHECK(ioctl(vm.fd, PLUMB_SET_POSTED_RANGE, &p) == 0,
		"posted range for port 0x3f8");
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_POSTED_RANGE, &p), EEXIST,
		"the same range twice");
	for (;;) {
		e = vcpu_next(&v);
		if (e->reason != PLUMB_EXIT_IO || e->io.port != 0x3f8)
			break;
		T_CHECK(e->flags & PLUMB_EXIT_F_POSTED, "record %d is posted", n);
		buf[n++ % 7] = e->io.data[0];
		vcpu_consume(&v);
	}
	T_CHECK(!strcmp(buf, "hello\n"), "6 posted bytes in order");
	T_CHECK(v.runs == 1, "one RUN return for 6 posted writes and the IN (%llu)",
		(unsigned long long)v.runs);
	expect_in(&v, 0x1234, 1, 1);
	p.flags |= PLUMB_POSTED_DELETE;
	T_CHECK(ioctl(vm.fd, PLUMB_SET_POSTED_RANGE, &p) == 0, "delete the range");
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_POSTED_RANGE, &p), ENOENT,
		"delete it again");
	p.flags = 0x80;
	T_ERRNO(ioctl(vm.fd, PLUMB_SET_POSTED_RANGE, &p), EINVAL,
		"unknown posted flag");
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

/*
 * A posted write must reach userspace even when the guest never exits to
 * it again: postspin posts one OUT and computes, leaving its loop only for
 * host interrupts. Before, RUN kept the record until a signal came (a
 * guest that kicked virtio-net and then computed for seconds stalled its
 * transmit queue; the guest's watchdog called it a timeout).
 */
static int t_posted_flush(void)
{
	struct plumb_posted_range p = { .addr = 0x1238, .len = 4,
					.flags = PLUMB_POSTED_PIO };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct plumb_regs r;
	struct plumb_exit *e;
	struct vm vm;
	struct vcpu v;
	int ret, limit = 10;
	const char *slow = getenv("PLUMB_SLOW");
	double t;

	if (slow && atoi(slow) > 1)
		limit *= atoi(slow);
	setup(&vm, &v, "postspin", 64);
	/*
	 * IF=1 (nothing is ever injected): Bochs' SVM takes no host
	 * interrupt in an IF=0 guest (decision 23), and host interrupts are
	 * what bound the wait.
	 */
	ioctl(v.fd, PLUMB_GET_REGS, &r);
	r.rflags |= 0x200;
	T_CHECK(ioctl(v.fd, PLUMB_SET_REGS, &r) == 0, "guest RFLAGS.IF=1");
	T_CHECK(ioctl(vm.fd, PLUMB_SET_POSTED_RANGE, &p) == 0,
		"posted range for port 0x1238");
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
	alarm(limit);
	t = now();
	ret = ioctl(v.fd, PLUMB_RUN, 0);
	t = now() - t;
	alarm(0);
	T_CHECK(ret == 0, "RUN returned by itself, not by the %ds alarm (ret %d, %s)",
		limit, ret, ret ? strerror(errno) : "ok");
	if (ret == 0) {
		uint32_t val;

		e = &v.ring[v.hdr->consumer % v.hdr->entry_count];
		memcpy(&val, e->io.data, sizeof(val));
		T_CHECK(v.hdr->producer - v.hdr->consumer == 1,
			"with one record (%u)", v.hdr->producer - v.hdr->consumer);
		T_CHECK(e->reason == PLUMB_EXIT_IO && e->io.port == 0x1238 &&
			(e->flags & PLUMB_EXIT_F_POSTED) && val == 0x5a,
			"the posted write of 0x5a to port 0x1238 (reason %u, port %#x)",
			e->reason, e->io.port);
		t_note("after %.3fs of guest computing", t);
	}
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

const struct guest_test guest_posted_tests[] = {
	{ "posted", .run = t_posted },
	{ "posted_flush", .run = t_posted_flush },
	{ NULL }
};
