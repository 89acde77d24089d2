// SPDX-License-Identifier: GPL-2.0
/*
 * The event thread: one per VM, waiting in epoll on what devices hand it
 * (their timers, later a tap or a disk's completions), so that nothing
 * that waits ever runs on a vCPU thread. Callbacks run without vm->lock.
 *
 * Sources live until the VM is destroyed: event_del only stops watching,
 * so a callback running on the event thread never sees its source freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vm.h"

struct event_src {
	int fd;
	event_fn_t *fn;
	void *opaque;
	struct event_src *next;
};

static int event_setup(struct vm *vm)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	if (vm->epoll_fd >= 0)
		return 0;
	vm->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (vm->epoll_fd < 0)
		return -errno;
	vm->event_quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->event_quit_fd < 0)
		return -errno;
	/* data.ptr NULL: the quit signal. */
	if (epoll_ctl(vm->epoll_fd, EPOLL_CTL_ADD, vm->event_quit_fd, &ev))
		return -errno;
	return 0;
}

int event_add(struct vm *vm, int fd, uint32_t events, event_fn_t *fn,
	      void *opaque)
{
	struct epoll_event ev = { .events = events };
	struct event_src *s;
	int ret = event_setup(vm);

	if (ret)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = fd;
	s->fn = fn;
	s->opaque = opaque;
	ev.data.ptr = s;
	if (epoll_ctl(vm->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		ret = -errno;
		free(s);
		return ret;
	}
	pthread_mutex_lock(&vm->lock);
	s->next = vm->events;
	vm->events = s;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

void event_del(struct vm *vm, int fd)
{
	if (vm->epoll_fd >= 0)
		epoll_ctl(vm->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
}

static void *event_thread(void *arg)
{
	struct vm *vm = arg;
	struct epoll_event evs[16];

	for (;;) {
		int i, n = epoll_wait(vm->epoll_fd, evs, 16, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			vm_stop(vm, PLUMB_EXIT_INTERNAL, "event thread: epoll_wait: %s",
				strerror(errno));
			return NULL;
		}
		for (i = 0; i < n; i++) {
			struct event_src *s = evs[i].data.ptr;

			if (!s)
				return NULL;	/* event_stop */
			s->fn(vm, s->opaque, evs[i].events);
		}
	}
}

int event_start(struct vm *vm)
{
	int ret = event_setup(vm);

	if (ret)
		return ret;
	ret = pthread_create(&vm->event_thread, NULL, event_thread, vm);
	if (ret)
		return -ret;
	vm->event_started = true;
	return 0;
}

void event_stop(struct vm *vm)
{
	uint64_t one = 1;
	struct event_src *s;

	if (vm->event_started) {
		(void)!write(vm->event_quit_fd, &one, sizeof(one));
		pthread_join(vm->event_thread, NULL);
		vm->event_started = false;
	}
	while ((s = vm->events)) {
		vm->events = s->next;
		free(s);
	}
	if (vm->epoll_fd >= 0)
		close(vm->epoll_fd);
	if (vm->event_quit_fd >= 0)
		close(vm->event_quit_fd);
	vm->epoll_fd = vm->event_quit_fd = -1;
}

/* ---- timers ---- */

static void vtimer_event(struct vm *vm, void *opaque, uint32_t events)
{
	struct vtimer *t = opaque;
	uint64_t n = 0;

	(void)events;
	/* A timer disarmed or re-armed since it fired reads EAGAIN: no call. */
	if (read(t->fd, &n, sizeof(n)) != sizeof(n) || !n)
		return;
	t->overruns = n - 1;
	t->fn(vm, t->opaque);
}

int vtimer_init(struct vm *vm, struct vtimer *t, vtimer_fn_t *fn, void *opaque)
{
	int ret;

	t->fn = fn;
	t->opaque = opaque;
	t->overruns = 0;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (t->fd < 0)
		return -errno;
	ret = event_add(vm, t->fd, EPOLLIN, vtimer_event, t);
	if (ret) {
		close(t->fd);
		t->fd = -1;
	}
	return ret;
}

static struct timespec ns_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000ULL),
				  .tv_nsec = (long)(ns % 1000000000ULL) };
}

void vtimer_arm(struct vtimer *t, uint64_t delay_ns, uint64_t period_ns)
{
	struct itimerspec its = {
		.it_value = ns_ts(delay_ns),
		.it_interval = ns_ts(delay_ns ? period_ns : 0),
	};

	if (t->fd >= 0)
		timerfd_settime(t->fd, 0, &its, NULL);
}

void vtimer_fini(struct vm *vm, struct vtimer *t)
{
	if (t->fd < 0)
		return;
	event_del(vm, t->fd);
	close(t->fd);
	t->fd = -1;
}
