// SPDX-License-Identifier: GPL-2.0
/*
 * The console: the terminal in raw mode while a guest runs (restored on
 * every way out), keyboard input to whichever device asked for it, the
 * Ctrl-A escape (x quits, h helps, Ctrl-A sends itself), and the signals
 * that end a VM from outside (SIGINT, SIGTERM, SIGHUP), and SIGQUIT, which
 * asks every vCPU for its state (for a guest that hangs).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "vm.h"

#define CTRL_A	0x01

static struct termios saved;
static volatile sig_atomic_t raw_on;
static console_input_t *input_fn;
static void *input_opaque;

void console_set_input(struct vm *vm, console_input_t *fn, void *opaque)
{
	(void)vm;
	input_fn = fn;
	input_opaque = opaque;
}

void console_restore(void)
{
	if (raw_on) {
		/* FLUSH: answers to the guest's terminal queries that came
		 * after we stopped reading must not reach the user's shell. */
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		raw_on = 0;
	}
}

/* A crash must not leave the user's terminal raw either. */
static void fatal_signal(int sig)
{
	console_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

void console_start(struct vm *vm)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct termios raw;
	size_t i;

	if (vm->cfg->no_console_input || !isatty(STDIN_FILENO) ||
	    tcgetattr(STDIN_FILENO, &saved))
		return;
	raw = saved;
	cfmakeraw(&raw);
	raw.c_oflag |= OPOST | ONLCR;	/* our own messages stay readable */
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw))
		return;
	raw_on = 1;
	atexit(console_restore);
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], fatal_signal);
}

static void help(void)
{
	static const char text[] =
		"\r\nplumb console: Ctrl-A x  quit (exit status 0)\r\n"
		"               Ctrl-A h  this help\r\n"
		"               Ctrl-A Ctrl-A  send Ctrl-A to the guest\r\n";

	if (write(STDERR_FILENO, text, sizeof(text) - 1) < 0)
		return;
}

void console_feed(struct vm *vm, const uint8_t *buf, size_t len)
{
	if (!input_fn || !len)
		return;
	(void)vm;
	input_fn(input_opaque, buf, len);	/* it takes its own lock */
}

/* Keyboard bytes: Ctrl-A escapes only on a terminal, pipes pass through. */
void console_input(struct vm *vm, const uint8_t *buf, size_t len, bool escapes)
{
	static bool escape;
	uint8_t out[256];
	size_t i, n = 0;

	if (!escapes) {
		console_feed(vm, buf, len);
		return;
	}
	for (i = 0; i < len; i++) {
		uint8_t c = buf[i];

		if (escape) {
			escape = false;
			if (c == 'x' || c == 'X') {
				console_feed(vm, out, n);	/* what came before */
				vm_stop(vm, PLUMB_EXIT_OK, "quit from the console (Ctrl-A x)");
				return;
			} else if (c == 'h' || c == 'H' || c == '?') {
				help();
			} else if (c == CTRL_A) {
				out[n++] = c;
			} else {
				out[n++] = CTRL_A;
				out[n++] = c;
			}
		} else if (c == CTRL_A) {
			escape = true;
		} else {
			out[n++] = c;
		}
		if (n >= sizeof(out) - 2) {
			console_feed(vm, out, n);
			n = 0;
		}
	}
	console_feed(vm, out, n);
}

void console_loop(struct vm *vm)
{
	struct pollfd p[3];
	sigset_t sigs;
	int sfd;
	bool in_open = !vm->cfg->no_console_input;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGQUIT);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	while (!vm->stopping) {
		p[0] = (struct pollfd){ .fd = vm->wake_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = in_open ? STDIN_FILENO : -1,
					.events = POLLIN };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			vm_stop(vm, PLUMB_EXIT_INTERNAL, "poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				si.ssi_signo = 0;
			if (si.ssi_signo == SIGQUIT)
				vcpu_request_dump_all(vm);
			else if (si.ssi_signo)
				vm_stop(vm, PLUMB_EXIT_SIGNAL, "stopped by %s",
					strsignal((int)si.ssi_signo));
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			uint8_t buf[256];
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n > 0)
				console_input(vm, buf, (size_t)n, raw_on);
			else if (n == 0 || errno != EINTR)
				in_open = false;	/* EOF: the guest runs on */
		}
	}
	if (sfd >= 0)
		close(sfd);
}
