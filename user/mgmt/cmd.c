// SPDX-License-Identifier: GPL-2.0
/*
 * The management plane's commands: `plumb ps`, `stat`, `top`, `events`,
 * `pause`, `resume` and `kill` (docs/plumb.1). Options and loops only:
 * genl.c talks to the module, render.c prints.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plumb.h"
#include "mgmt/mgmt.h"

/* SIGINT or SIGTERM: --watch, top and events end with status 0. */
static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void catch_stop(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	/* No SA_RESTART: a sleep or a poll returns at once. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Sleep @secs unless stopped; false once stopped. */
static bool nap(double secs)
{
	struct timespec ts = {
		.tv_sec = (time_t)secs,
		.tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9),
	};

	while (!stopping && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return !stopping;
}

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* A VM id as plumb ps shows it. */
static int parse_vm_id(const char *cmd, const char *s, uint32_t *id)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *s == '+' || v > UINT32_MAX) {
		plumb_err("%s: '%s' is not a VM id (plumb ps lists them)", cmd, s);
		return -1;
	}
	*id = (uint32_t)v;
	return 0;
}

/* Seconds between refreshes: 0.1 to a day. */
static int parse_secs(const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0.1 || v > 86400) {
		plumb_err("%s %s: want seconds, 0.1 to 86400", opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_count(const char *opt, const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || !*out) {
		plumb_err("%s %s: want a number, 1 or more", opt, s);
		return -1;
	}
	return 0;
}

static int bad_usage(const char *cmd)
{
	fprintf(stderr, "(plumb %s --help shows its usage)\n", cmd);
	return PLUMB_EXIT_USAGE;
}

/* ---- plumb ps ---- */

int cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mgmt_conn conn;
	struct mgmt_vm *vms = NULL;
	bool json = false;
	size_t n = 0;
	int c, err;

	optind = 0;	/* glibc: start over, options after the VM id too */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf("usage: plumb ps [--json]\n"
			       "Every VM on the host, of every user and both ABIs.\n");
			return 0;
		default:
			return bad_usage("ps");
		}
	}
	if (optind < argc) {
		plumb_err("ps: unexpected argument '%s'", argv[optind]);
		return bad_usage("ps");
	}
	err = mgmt_connect(&conn);
	if (err)
		return err;
	err = mgmt_dump(&conn, &vms, &n);
	mgmt_close(&conn);
	if (err)
		return mgmt_report(err, MGMT_NO_VM, false);
	if (json)
		err = mgmt_print_json(stdout, mgmt_ps_json(vms, n), false);
	else
		mgmt_render_ps(stdout, vms, n, time(NULL));
	mgmt_vms_free(vms, n);
	return err ? mgmt_report(err, MGMT_NO_VM, false) : 0;
}

/* ---- plumb stat ---- */

int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "watch", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mgmt_vm vm, prev = { 0 };
	struct mgmt_conn conn;
	double every = 0, t, prev_t = 0;
	bool json = false, have_prev = false;
	uint32_t id;
	int c, err;

	optind = 0;	/* glibc: start over, options after the VM id too */
	while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (parse_secs("--watch", optarg, &every))
				return PLUMB_EXIT_USAGE;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("usage: plumb stat VM [--watch N] [--json]\n"
			       "One VM: its counters, its vCPUs', its exits by reason;\n"
			       "with --watch, again every N seconds with rates per second.\n");
			return 0;
		default:
			return bad_usage("stat");
		}
	}
	if (optind + 1 != argc) {
		plumb_err("stat: want one VM id (plumb ps lists them)");
		return bad_usage("stat");
	}
	if (parse_vm_id("stat", argv[optind], &id))
		return PLUMB_EXIT_USAGE;
	err = mgmt_connect(&conn);
	if (err)
		return err;
	if (every)
		catch_stop();
	for (;;) {
		err = mgmt_get(&conn, id, &vm);
		if (err)
			break;
		t = monotonic();
		if (json) {
			err = mgmt_print_json(stdout, mgmt_vm_json(&vm, true), every > 0);
		} else {
			if (every) {
				char clock[16];
				time_t now = time(NULL);
				struct tm tm;

				if (!localtime_r(&now, &tm) ||
				    !strftime(clock, sizeof(clock), "%H:%M:%S", &tm))
					snprintf(clock, sizeof(clock), "-");
				printf("%s--- VM %u at %s ---\n", have_prev ? "\n" : "",
				       id, clock);
			}
			mgmt_render_stat(stdout, &vm, have_prev ? &prev : NULL,
					 t - prev_t, time(NULL));
		}
		fflush(stdout);
		mgmt_vm_free(&prev);
		prev = vm;
		prev_t = t;
		have_prev = true;
		if (err || !every || !nap(every))
			break;
	}
	mgmt_vm_free(&prev);
	mgmt_close(&conn);
	return err ? mgmt_report(err, id, false) : 0;
}

/* ---- plumb top ---- */

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mgmt_vm *vms, *prev = NULL;
	size_t n, nprev = 0;
	struct mgmt_conn conn;
	unsigned long iterations = 0, done = 0;
	double delay = 2, t, prev_t = 0;
	bool tty = isatty(STDOUT_FILENO);
	int c, err;

	optind = 0;	/* glibc: start over, options after the VM id too */
	while ((c = getopt_long(argc, argv, "d:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_secs("--delay", optarg, &delay))
				return PLUMB_EXIT_USAGE;
			break;
		case 'n':
			if (parse_count("--iterations", optarg, &iterations))
				return PLUMB_EXIT_USAGE;
			break;
		case 'h':
			printf("usage: plumb top [--delay N] [--iterations K]\n"
			       "Every VM's exits per second and its top exit reasons,\n"
			       "every N seconds (default 2), K times (default: until Ctrl-C).\n");
			return 0;
		default:
			return bad_usage("top");
		}
	}
	if (optind < argc) {
		plumb_err("top: unexpected argument '%s'", argv[optind]);
		return bad_usage("top");
	}
	err = mgmt_connect(&conn);
	if (err)
		return err;
	catch_stop();
	for (;;) {
		err = mgmt_dump(&conn, &vms, &n);
		if (err)
			break;
		t = monotonic();
		if (tty)
			fputs("\033[H\033[2J", stdout);
		else if (done)
			putchar('\n');
		mgmt_render_top(stdout, vms, n, prev, nprev, t - prev_t,
				realtime_ns());
		fflush(stdout);
		mgmt_vms_free(prev, nprev);
		prev = vms;
		nprev = n;
		prev_t = t;
		if (++done == iterations || !nap(delay))
			break;
	}
	mgmt_vms_free(prev, nprev);
	mgmt_close(&conn);
	return err ? mgmt_report(err, MGMT_NO_VM, false) : 0;
}

/* ---- plumb events ---- */

struct events_opts {
	bool json;
	unsigned long count, seen;
	int err;
};

static int print_event(const struct mgmt_event *ev, void *arg)
{
	struct events_opts *o = arg;

	if (o->json)
		o->err = mgmt_print_json(stdout, mgmt_event_json(ev), true);
	else
		mgmt_render_event(stdout, ev);
	/* Readers wait for each line (tests read through a pipe). */
	fflush(stdout);
	return o->err || (o->count && ++o->seen == o->count);
}

int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct events_opts o = { 0 };
	struct mgmt_conn conn;
	int c, err;

	optind = 0;	/* glibc: start over, options after the VM id too */
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'c':
			if (parse_count("--count", optarg, &o.count))
				return PLUMB_EXIT_USAGE;
			break;
		case 'h':
			printf("usage: plumb events [--json] [--count N]\n"
			       "The module's lifecycle events as they happen, one line each;\n"
			       "with --count, only the next N.\n");
			return 0;
		default:
			return bad_usage("events");
		}
	}
	if (optind < argc) {
		plumb_err("events: unexpected argument '%s'", argv[optind]);
		return bad_usage("events");
	}
	err = mgmt_connect(&conn);
	if (err)
		return err;
	err = mgmt_subscribe(&conn);
	if (err) {
		mgmt_close(&conn);
		return err;
	}
	catch_stop();
	err = mgmt_recv_events(&conn, print_event, &o, &stopping);
	mgmt_close(&conn);
	if (!err)
		err = o.err;
	return err ? mgmt_report(err, MGMT_NO_VM, false) : 0;
}

/* ---- plumb pause|resume|kill ---- */

int cmd_vmctl(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	struct mgmt_conn conn;
	uint8_t op;
	uint32_t id;
	int c, err;

	if (!strcmp(cmd, "pause"))
		op = PLUMB_CMD_PAUSE;
	else if (!strcmp(cmd, "resume"))
		op = PLUMB_CMD_RESUME;
	else
		op = PLUMB_CMD_KILL;
	optind = 0;	/* glibc: start over, options after the VM id too */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: plumb %s VM\n%s\n", cmd,
			       op == PLUMB_CMD_PAUSE ?
			       "Stop the VM's vCPUs, in the kernel, until plumb resume." :
			       op == PLUMB_CMD_RESUME ? "Let a paused VM run again." :
			       "End the VM for good: its vCPUs never run again.");
			return 0;
		default:
			return bad_usage(cmd);
		}
	}
	if (optind + 1 != argc) {
		plumb_err("%s: want one VM id (plumb ps lists them)", cmd);
		return bad_usage(cmd);
	}
	if (parse_vm_id(cmd, argv[optind], &id))
		return PLUMB_EXIT_USAGE;
	err = mgmt_connect(&conn);
	if (err)
		return err;
	err = mgmt_control(&conn, op, id);
	mgmt_close(&conn);
	return err ? mgmt_report(err, id, true) : 0;
}
