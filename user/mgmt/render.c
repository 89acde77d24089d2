// SPDX-License-Identifier: GPL-2.0
/*
 * The management plane's structs (mgmt.h) as text: the human tables of
 * `plumb ps`, `stat`, `top` and `events`, and their --json output through
 * json-c. Both are made from the same structs, which msg.c filled; the
 * JSON keys are documented in docs/abi.md ("The management plane: JSON
 * output") and never change.
 */
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <json-c/json.h>

#include <plumb/names.h>

#include "mgmt.h"

/* A name from include/plumb/names.h, or "unknown-N" for a newer value. */
static const char *name_or(char *buf, size_t len, const char *name,
			   unsigned int v)
{
	if (name)
		return name;
	snprintf(buf, len, "unknown-%u", v);
	return buf;
}

void mgmt_human_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	uint64_t unit = 1024;
	unsigned int u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64, bytes);
		return;
	}
	while (u + 1 < sizeof(units) - 1 && bytes / unit >= 1024) {
		unit *= 1024;
		u++;
	}
	if (bytes % unit == 0)
		snprintf(buf, len, "%" PRIu64 "%c", bytes / unit, units[u]);
	else
		snprintf(buf, len, "%.1f%c", (double)bytes / (double)unit, units[u]);
}

void mgmt_human_created(char *buf, size_t len, uint64_t ns, time_t now)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm, today;

	if (!ns || !localtime_r(&t, &tm) || !localtime_r(&now, &today)) {
		snprintf(buf, len, "-");
		return;
	}
	if (tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday)
		strftime(buf, len, "%H:%M:%S", &tm);
	else
		strftime(buf, len, "%Y-%m-%d", &tm);
}

void mgmt_user_name(char *buf, size_t len, uint32_t uid)
{
	struct passwd *pw = getpwuid(uid);

	if (pw && pw->pw_name)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%" PRIu32, uid);
}

/* Nanoseconds as seconds: "12.345s". */
static void human_ns(char *buf, size_t len, uint64_t ns)
{
	snprintf(buf, len, "%" PRIu64 ".%03" PRIu64 "s", ns / 1000000000,
		 ns % 1000000000 / 1000000);
}

/* (cur - prev) / dt; 0 when a counter went backwards or no time passed. */
static double rate(uint64_t cur, uint64_t prev, double dt)
{
	return cur >= prev && dt > 0 ? (double)(cur - prev) / dt : 0;
}

/* ---- plumb ps ---- */

#define PS_FMT "%-5s %-7s %-10s %-16s %-5s %5s %6s %6s %-8s %-10s %s\n"

void mgmt_render_ps(FILE *f, const struct mgmt_vm *vms, size_t n, time_t now)
{
	size_t i;

	fprintf(f, PS_FMT, "ID", "PID", "USER", "COMM", "ABI", "VCPUS", "MEM",
		"PINNED", "STATE", "CREATED", "EXITS");
	for (i = 0; i < n; i++) {
		const struct mgmt_vm *vm = &vms[i];
		char id[16], pid[16], user[64], abi[32], vcpus[16], mem[16];
		char pinned[16], state[32], created[32], exits[32];

		snprintf(id, sizeof(id), "%" PRIu32, vm->id);
		snprintf(pid, sizeof(pid), "%" PRIu32, vm->pid);
		mgmt_user_name(user, sizeof(user), vm->uid);
		snprintf(vcpus, sizeof(vcpus), "%" PRIu32, vm->nr_vcpus);
		mgmt_human_bytes(mem, sizeof(mem), vm->mem_bytes);
		mgmt_human_bytes(pinned, sizeof(pinned),
				 vm->pinned_pages * MGMT_PAGE_SIZE);
		mgmt_human_created(created, sizeof(created), vm->created_ns, now);
		snprintf(exits, sizeof(exits), "%" PRIu64, vm->stats.exits);
		fprintf(f, PS_FMT, id, pid, user, vm->comm,
			name_or(abi, sizeof(abi), plumb_abi_name(vm->abi), vm->abi),
			vcpus, mem, pinned,
			name_or(state, sizeof(state), plumb_vm_state_name(vm->state),
				vm->state),
			created, exits);
	}
}

/* ---- plumb stat ---- */

/* One "name: value" line; with @prev, the rate too. */
static void stat_line(FILE *f, const char *name, uint64_t v,
		      const uint64_t *prev, double dt)
{
	fprintf(f, "%-12s %" PRIu64, name, v);
	if (prev)
		fprintf(f, " (%.1f/s)", rate(v, *prev, dt));
	fputc('\n', f);
}

static void stat_time_line(FILE *f, const char *name, uint64_t ns,
			   const uint64_t *prev, double dt)
{
	char buf[32];

	human_ns(buf, sizeof(buf), ns);
	fprintf(f, "%-12s %s", name, buf);
	/* Seconds of it per second: 1.000 is one vCPU all the time. */
	if (prev)
		fprintf(f, " (%.3fs/s)", rate(ns, *prev, dt) / 1e9);
	fputc('\n', f);
}

static const struct mgmt_vcpu *find_vcpu(const struct mgmt_vm *vm, uint32_t id)
{
	size_t i;

	for (i = 0; vm && i < vm->nr_vcpu_stats; i++)
		if (vm->vcpus[i].id == id)
			return &vm->vcpus[i];
	return NULL;
}

static void render_vcpus(FILE *f, const struct mgmt_vm *vm,
			 const struct mgmt_vm *prev, double dt)
{
	size_t i;

	fprintf(f, "\n%-4s %-9s %12s", "VCPU", "STATE", "EXITS");
	if (prev)
		fprintf(f, " %10s", "EXITS/S");
	fprintf(f, " %10s %10s %10s %8s %6s %10s %12s %12s\n", "USER",
		"RECORDS", "POSTED", "IRQS", "NMIS", "HALTS", "HALT", "GUEST");
	for (i = 0; i < vm->nr_vcpu_stats; i++) {
		const struct mgmt_vcpu *v = &vm->vcpus[i];
		const struct mgmt_vcpu *pv = find_vcpu(prev, v->id);
		char state[32], halt[32], guest[32];

		human_ns(halt, sizeof(halt), v->stats.halt_ns);
		human_ns(guest, sizeof(guest), v->stats.guest_ns);
		fprintf(f, "%-4" PRIu32 " %-9s %12" PRIu64, v->id,
			name_or(state, sizeof(state),
				plumb_vcpu_state_name(v->state), v->state),
			v->stats.exits);
		if (prev)
			fprintf(f, " %10.1f",
				pv ? rate(v->stats.exits, pv->stats.exits, dt) : 0.0);
		fprintf(f, " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8" PRIu64
			" %6" PRIu64 " %10" PRIu64 " %12s %12s\n",
			v->stats.exits_user, v->stats.records, v->stats.posted,
			v->stats.irqs, v->stats.nmis, v->stats.halts, halt, guest);
	}
}

/* The exit reasons of @st, most frequent first, into @order; how many. */
static unsigned int sort_reasons(const uint64_t *counts, const double *rates,
				 unsigned int *order)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < PLUMB_XR_NR; i++) {
		if (!counts[i] && (!rates || rates[i] <= 0))
			continue;
		/* Insertion: PLUMB_XR_NR is small. */
		for (j = n; j > 0; j--) {
			unsigned int o = order[j - 1];
			bool before = rates ? rates[i] > rates[o] : counts[i] > counts[o];

			if (!before)
				break;
			order[j] = o;
		}
		order[j] = i;
		n++;
	}
	return n;
}

static void render_reasons(FILE *f, const struct mgmt_stats *st,
			   const struct mgmt_stats *prev, double dt)
{
	unsigned int order[PLUMB_XR_NR], i, n;
	uint64_t total = 0;

	for (i = 0; i < PLUMB_XR_NR; i++)
		total += st->exit_reasons[i];
	n = sort_reasons(st->exit_reasons, NULL, order);
	fprintf(f, "\n%-10s %14s %6s", "REASON", "EXITS", "%");
	if (prev)
		fprintf(f, " %10s", "/S");
	fputc('\n', f);
	for (i = 0; i < n; i++) {
		unsigned int xr = order[i];

		fprintf(f, "%-10s %14" PRIu64 " %6.1f", plumb_xr_name(xr),
			st->exit_reasons[xr],
			100.0 * (double)st->exit_reasons[xr] / (double)total);
		if (prev)
			fprintf(f, " %10.1f",
				rate(st->exit_reasons[xr], prev->exit_reasons[xr], dt));
		fputc('\n', f);
	}
}

void mgmt_render_stat(FILE *f, const struct mgmt_vm *vm,
		      const struct mgmt_vm *prev, double dt, time_t now)
{
	const struct mgmt_stats *st = &vm->stats;
	const struct mgmt_stats *ps = prev ? &prev->stats : NULL;
	char buf[64], buf2[32];

	fprintf(f, "%-12s %" PRIu32 "\n", "id:", vm->id);
	fprintf(f, "%-12s %" PRIu32 "\n", "pid:", vm->pid);
	mgmt_user_name(buf, sizeof(buf), vm->uid);
	fprintf(f, "%-12s %s\n", "user:", buf);
	fprintf(f, "%-12s %s\n", "comm:", vm->comm);
	fprintf(f, "%-12s %s\n", "abi:",
		name_or(buf, sizeof(buf), plumb_abi_name(vm->abi), vm->abi));
	fprintf(f, "%-12s %" PRIu32 "\n", "vcpus:", vm->nr_vcpus);
	mgmt_human_bytes(buf, sizeof(buf), vm->mem_bytes);
	fprintf(f, "%-12s %s\n", "mem:", buf);
	mgmt_human_bytes(buf, sizeof(buf), vm->pinned_pages * MGMT_PAGE_SIZE);
	fprintf(f, "%-12s %s (%" PRIu64 " pages)\n", "pinned:", buf,
		vm->pinned_pages);
	fprintf(f, "%-12s %s\n", "state:",
		name_or(buf, sizeof(buf), plumb_vm_state_name(vm->state), vm->state));
	mgmt_human_created(buf2, sizeof(buf2), vm->created_ns, now);
	fprintf(f, "%-12s %s\n\n", "created:", buf2);

	stat_line(f, "runs:", st->runs, ps ? &ps->runs : NULL, dt);
	stat_line(f, "exits:", st->exits, ps ? &ps->exits : NULL, dt);
	stat_line(f, "exits-user:", st->exits_user, ps ? &ps->exits_user : NULL, dt);
	stat_line(f, "records:", st->records, ps ? &ps->records : NULL, dt);
	stat_line(f, "posted:", st->posted, ps ? &ps->posted : NULL, dt);
	stat_line(f, "irqs:", st->irqs, ps ? &ps->irqs : NULL, dt);
	stat_line(f, "nmis:", st->nmis, ps ? &ps->nmis : NULL, dt);
	stat_line(f, "halts:", st->halts, ps ? &ps->halts : NULL, dt);
	stat_time_line(f, "halt-time:", st->halt_ns, ps ? &ps->halt_ns : NULL, dt);
	stat_time_line(f, "guest-time:", st->guest_ns, ps ? &ps->guest_ns : NULL, dt);

	render_vcpus(f, vm, prev, dt);
	render_reasons(f, st, ps, dt);
}

/* ---- plumb top ---- */

struct top_row {
	const struct mgmt_vm *vm;
	double exits;
	double reasons[PLUMB_XR_NR];
};

static int top_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->exits != y->exits)
		return x->exits < y->exits ? 1 : -1;
	return x->vm->id < y->vm->id ? -1 : x->vm->id > y->vm->id;
}

static const struct mgmt_vm *find_vm(const struct mgmt_vm *vms, size_t n,
				     uint32_t id)
{
	size_t i;

	for (i = 0; vms && i < n; i++)
		if (vms[i].id == id)
			return &vms[i];
	return NULL;
}

#define TOP_REASONS	3

void mgmt_render_top(FILE *f, const struct mgmt_vm *vms, size_t n,
		     const struct mgmt_vm *prev, size_t nprev, double dt,
		     uint64_t now_ns)
{
	struct top_row *rows = calloc(n ? n : 1, sizeof(*rows));
	time_t now = (time_t)(now_ns / 1000000000);
	double total = 0;
	char clock[16];
	struct tm tm;
	size_t i;

	if (!rows) {
		fprintf(f, "plumb top: out of memory\n");
		return;
	}
	for (i = 0; i < n; i++) {
		const struct mgmt_vm *vm = &vms[i];
		const struct mgmt_vm *p = find_vm(prev, nprev, vm->id);
		double span = dt;
		unsigned int xr;
		uint64_t zero = 0;

		/* Not seen before: the averages since the VM was created. */
		if (!p) {
			span = now_ns > vm->created_ns && vm->created_ns ?
				(double)(now_ns - vm->created_ns) / 1e9 : 0;
		}
		rows[i].vm = vm;
		rows[i].exits = rate(vm->stats.exits, p ? p->stats.exits : zero, span);
		for (xr = 0; xr < PLUMB_XR_NR; xr++)
			rows[i].reasons[xr] = rate(vm->stats.exit_reasons[xr],
						   p ? p->stats.exit_reasons[xr] : zero,
						   span);
		total += rows[i].exits;
	}
	qsort(rows, n, sizeof(*rows), top_cmp);

	if (!localtime_r(&now, &tm) || !strftime(clock, sizeof(clock), "%H:%M:%S", &tm))
		snprintf(clock, sizeof(clock), "-");
	fprintf(f, "plumb top - %s, %zu VM%s, %.0f exits/s\n", clock, n,
		n == 1 ? "" : "s", total);
	fprintf(f, "%-5s %-16s %-8s %5s %10s  %s\n", "ID", "COMM", "STATE",
		"VCPUS", "EXITS/S", "TOP REASONS (/S)");
	for (i = 0; i < n; i++) {
		const struct mgmt_vm *vm = rows[i].vm;
		unsigned int order[PLUMB_XR_NR], k, m;
		char state[32];

		fprintf(f, "%-5" PRIu32 " %-16s %-8s %5" PRIu32 " %10.0f ", vm->id,
			vm->comm,
			name_or(state, sizeof(state),
				plumb_vm_state_name(vm->state), vm->state),
			vm->nr_vcpus, rows[i].exits);
		m = sort_reasons(vm->stats.exit_reasons, rows[i].reasons, order);
		for (k = 0; k < m && k < TOP_REASONS; k++) {
			if (rows[i].reasons[order[k]] <= 0)
				break;
			fprintf(f, "%s %s %.0f", k ? "," : "",
				plumb_xr_name(order[k]), rows[i].reasons[order[k]]);
		}
		fputc('\n', f);
	}
	free(rows);
}

/* ---- plumb events ---- */

/* "2026-12-07T23:02:08.123", local time. */
static void event_time(char *buf, size_t len, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	size_t n;

	if (!localtime_r(&t, &tm) ||
	    !(n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(buf, len, "%" PRIu64, ns);
		return;
	}
	snprintf(buf + n, len - n, ".%03" PRIu64, ns % 1000000000 / 1000000);
}

void mgmt_render_event(FILE *f, const struct mgmt_event *ev)
{
	char when[48], name[32], abi[32];

	event_time(when, sizeof(when), ev->time_ns);
	fprintf(f, "%" PRIu64 " %s %s vm %" PRIu32, ev->seq, when,
		name_or(name, sizeof(name), plumb_event_name(ev->event), ev->event),
		ev->vm_id);
	if (ev->has_vcpu)
		fprintf(f, " vcpu %" PRIu32, ev->vcpu_id);
	if (ev->has_abi)
		fprintf(f, " abi %s",
			name_or(abi, sizeof(abi), plumb_abi_name(ev->abi), ev->abi));
	fputc('\n', f);
}

/* ---- JSON ---- */

/*
 * Adders that remember a failure (json-c returns NULL when out of memory),
 * so that each builder checks once at its end.
 */
struct jb {
	bool failed;
};

static void jadd(struct jb *jb, json_object *obj, const char *key, json_object *val)
{
	if (!val || json_object_object_add(obj, key, val)) {
		json_object_put(val);
		jb->failed = true;
	}
}

static void jadd_u64(struct jb *jb, json_object *obj, const char *key, uint64_t v)
{
	jadd(jb, obj, key, json_object_new_uint64(v));
}

static void jadd_str(struct jb *jb, json_object *obj, const char *key, const char *s)
{
	jadd(jb, obj, key, json_object_new_string(s));
}

/* The counters of @st into @obj, and its "exit_reasons" object. */
static void stats_json(struct jb *jb, json_object *obj, const struct mgmt_stats *st)
{
	json_object *xr = json_object_new_object();
	unsigned int i;

	jadd_u64(jb, obj, "runs", st->runs);
	jadd_u64(jb, obj, "exits", st->exits);
	jadd_u64(jb, obj, "exits_user", st->exits_user);
	jadd_u64(jb, obj, "records", st->records);
	jadd_u64(jb, obj, "posted", st->posted);
	jadd_u64(jb, obj, "irqs", st->irqs);
	jadd_u64(jb, obj, "nmis", st->nmis);
	jadd_u64(jb, obj, "halts", st->halts);
	jadd_u64(jb, obj, "halt_ns", st->halt_ns);
	jadd_u64(jb, obj, "guest_ns", st->guest_ns);
	for (i = 0; xr && i < PLUMB_XR_NR; i++)
		jadd_u64(jb, xr, plumb_xr_name(i), st->exit_reasons[i]);
	jadd(jb, obj, "exit_reasons", xr);
}

static json_object *vcpu_json(struct jb *jb, const struct mgmt_vcpu *v)
{
	json_object *obj = json_object_new_object();
	char state[32];

	if (!obj) {
		jb->failed = true;
		return NULL;
	}
	jadd_u64(jb, obj, "id", v->id);
	jadd_str(jb, obj, "state", name_or(state, sizeof(state),
					   plumb_vcpu_state_name(v->state), v->state));
	stats_json(jb, obj, &v->stats);
	return obj;
}

json_object *mgmt_vm_json(const struct mgmt_vm *vm, bool with_vcpus)
{
	json_object *obj = json_object_new_object(), *arr;
	struct jb jb = { .failed = !obj };
	char buf[64];
	size_t i;

	if (!obj)
		return NULL;
	jadd_u64(&jb, obj, "id", vm->id);
	jadd_u64(&jb, obj, "pid", vm->pid);
	jadd_u64(&jb, obj, "uid", vm->uid);
	mgmt_user_name(buf, sizeof(buf), vm->uid);
	jadd_str(&jb, obj, "user", buf);
	jadd_str(&jb, obj, "comm", vm->comm);
	jadd_str(&jb, obj, "abi", name_or(buf, sizeof(buf),
					  plumb_abi_name(vm->abi), vm->abi));
	jadd_u64(&jb, obj, "nr_vcpus", vm->nr_vcpus);
	jadd_u64(&jb, obj, "mem_bytes", vm->mem_bytes);
	jadd_u64(&jb, obj, "pinned_pages", vm->pinned_pages);
	jadd_u64(&jb, obj, "pinned_bytes", vm->pinned_pages * MGMT_PAGE_SIZE);
	jadd_str(&jb, obj, "state", name_or(buf, sizeof(buf),
					    plumb_vm_state_name(vm->state), vm->state));
	jadd_u64(&jb, obj, "created_ns", vm->created_ns);
	stats_json(&jb, obj, &vm->stats);
	if (with_vcpus) {
		arr = json_object_new_array();
		for (i = 0; arr && i < vm->nr_vcpu_stats; i++) {
			json_object *v = vcpu_json(&jb, &vm->vcpus[i]);

			if (v && json_object_array_add(arr, v)) {
				json_object_put(v);
				jb.failed = true;
			}
		}
		jadd(&jb, obj, "vcpus", arr);
	}
	if (jb.failed) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

json_object *mgmt_ps_json(const struct mgmt_vm *vms, size_t n)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; arr && i < n; i++) {
		json_object *vm = mgmt_vm_json(&vms[i], false);

		if (!vm || json_object_array_add(arr, vm)) {
			json_object_put(vm);
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

json_object *mgmt_event_json(const struct mgmt_event *ev)
{
	json_object *obj = json_object_new_object();
	struct jb jb = { .failed = !obj };
	char buf[32];

	if (!obj)
		return NULL;
	jadd_u64(&jb, obj, "seq", ev->seq);
	jadd_u64(&jb, obj, "time_ns", ev->time_ns);
	jadd_str(&jb, obj, "event", name_or(buf, sizeof(buf),
					    plumb_event_name(ev->event), ev->event));
	jadd_u64(&jb, obj, "vm_id", ev->vm_id);
	if (ev->has_vcpu)
		jadd_u64(&jb, obj, "vcpu_id", ev->vcpu_id);
	if (ev->has_abi)
		jadd_str(&jb, obj, "abi", name_or(buf, sizeof(buf),
						  plumb_abi_name(ev->abi), ev->abi));
	if (jb.failed) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

int mgmt_print_json(FILE *f, json_object *obj, bool one_line)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		(one_line ? JSON_C_TO_STRING_PLAIN :
			    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
	const char *s;

	if (!obj)
		return -ENOMEM;
	s = json_object_to_json_string_ext(obj, flags);
	if (!s) {
		json_object_put(obj);
		return -ENOMEM;
	}
	fprintf(f, "%s\n", s);
	json_object_put(obj);
	return 0;
}
