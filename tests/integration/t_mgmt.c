// SPDX-License-Identifier: GPL-2.0
/*
 * The management plane from the kernel's side: the "plumb" generic
 * netlink family (include/uapi/linux/plumb_genl.h) seen through libnl,
 * against VMs this program makes with vmlib. The launcher's commands on
 * top of it (plumb ps/stat/pause/...) have their own test (mgmt.sh).
 *
 * Usage: t_mgmt counts|list|pause|kill|perm|events|hold
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/plumb_genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "testlib.h"
#include "vmlib.h"

/* ---- netlink ------------------------------------------------------- */

struct nl {
	struct nl_sock *sk;
	int family;
};

struct vminfo {
	int found;
	uint32_t id, pid, uid, vcpus;
	uint8_t abi, state;
	char comm[32];
	uint64_t mem, pinned, created;
	uint64_t stat[PLUMB_STAT_MAX + 1];
	uint64_t reason[PLUMB_XR_NR];
	uint32_t nvcpu_nests;
};

static void mg_open(struct nl *n)
{
	n->sk = nl_socket_alloc();
	if (!n->sk || genl_connect(n->sk)) {
		printf("FAIL: cannot connect a generic netlink socket\n");
		exit(1);
	}
	n->family = genl_ctrl_resolve(n->sk, PLUMB_GENL_NAME);
	if (n->family < 0) {
		printf("FAIL: no generic netlink family \"%s\": %s\n",
		       PLUMB_GENL_NAME, nl_geterror(n->family));
		exit(1);
	}
}

static void mg_close(struct nl *n)
{
	nl_socket_free(n->sk);
}

static void parse_stats(struct nlattr *a, struct vminfo *v)
{
	struct nlattr *tb[PLUMB_STAT_MAX + 1], *r[PLUMB_XR_NR + 1];
	int i;

	if (nla_parse_nested(tb, PLUMB_STAT_MAX, a, NULL))
		return;
	for (i = PLUMB_STAT_RUNS; i <= PLUMB_STAT_MAX; i++)
		if (tb[i] && i != PLUMB_STAT_EXIT_REASONS)
			v->stat[i] = nla_get_u64(tb[i]);
	if (!tb[PLUMB_STAT_EXIT_REASONS] ||
	    nla_parse_nested(r, PLUMB_XR_NR, tb[PLUMB_STAT_EXIT_REASONS], NULL))
		return;
	for (i = 0; i < PLUMB_XR_NR; i++)
		if (r[i + 1])
			v->reason[i] = nla_get_u64(r[i + 1]);
}

struct want {
	uint32_t id;		/* the VM looked for */
	struct vminfo *v;
	int nvms;		/* VMs in the reply */
	uint8_t abi;		/* my_vm_id(): this process's VMs of this ABI */
	uint32_t newest;	/* ... the highest id among them */
};

static int on_vm(struct nl_msg *msg, void *arg)
{
	struct want *w = arg;
	struct nlattr *tb[PLUMB_A_MAX + 1], *a;
	struct vminfo *v = w->v;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, PLUMB_A_MAX, NULL))
		return NL_SKIP;
	w->nvms++;
	if (tb[PLUMB_A_VM_ID] && tb[PLUMB_A_VM_PID] && tb[PLUMB_A_VM_ABI] &&
	    nla_get_u32(tb[PLUMB_A_VM_PID]) == (uint32_t)getpid() &&
	    nla_get_u8(tb[PLUMB_A_VM_ABI]) == w->abi &&
	    nla_get_u32(tb[PLUMB_A_VM_ID]) > w->newest)
		w->newest = nla_get_u32(tb[PLUMB_A_VM_ID]);
	if (!tb[PLUMB_A_VM_ID] || nla_get_u32(tb[PLUMB_A_VM_ID]) != w->id)
		return NL_OK;
	memset(v, 0, sizeof(*v));
	v->found = 1;
	v->id = w->id;
	if (tb[PLUMB_A_VM_PID])
		v->pid = nla_get_u32(tb[PLUMB_A_VM_PID]);
	if (tb[PLUMB_A_VM_UID])
		v->uid = nla_get_u32(tb[PLUMB_A_VM_UID]);
	if (tb[PLUMB_A_VM_VCPUS])
		v->vcpus = nla_get_u32(tb[PLUMB_A_VM_VCPUS]);
	if (tb[PLUMB_A_VM_ABI])
		v->abi = nla_get_u8(tb[PLUMB_A_VM_ABI]);
	if (tb[PLUMB_A_VM_STATE])
		v->state = nla_get_u8(tb[PLUMB_A_VM_STATE]);
	if (tb[PLUMB_A_VM_COMM])
		snprintf(v->comm, sizeof(v->comm), "%s",
			 nla_get_string(tb[PLUMB_A_VM_COMM]));
	if (tb[PLUMB_A_VM_MEM_BYTES])
		v->mem = nla_get_u64(tb[PLUMB_A_VM_MEM_BYTES]);
	if (tb[PLUMB_A_VM_PINNED_PAGES])
		v->pinned = nla_get_u64(tb[PLUMB_A_VM_PINNED_PAGES]);
	if (tb[PLUMB_A_VM_CREATED_NS])
		v->created = nla_get_u64(tb[PLUMB_A_VM_CREATED_NS]);
	if (tb[PLUMB_A_STATS])
		parse_stats(tb[PLUMB_A_STATS], v);
	nlmsg_for_each_attr(a, nlmsg_hdr(msg), GENL_HDRLEN, rem)
		if (nla_type(a) == PLUMB_A_VCPU)
			v->nvcpu_nests++;
	return NL_OK;
}

/* GET_VM for @id (dump: all of them): 0 or -errno. */
static int get_vm_w(struct nl *n, uint32_t id, int dump, struct vminfo *v,
		    int *nvms, struct want *wp)
{
	struct want w0 = { .id = id, .v = v }, *wq = wp ? wp : &w0;
#define w (*wq)
	struct nl_msg *msg = nlmsg_alloc();
	int ret;

	memset(v, 0, sizeof(*v));
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, n->family, 0,
		    dump ? NLM_F_DUMP : 0, PLUMB_CMD_GET_VM, PLUMB_GENL_VERSION);
	if (!dump)
		nla_put_u32(msg, PLUMB_A_VM_ID, id);
	nl_socket_modify_cb(n->sk, NL_CB_VALID, NL_CB_CUSTOM, on_vm, &w);
	ret = nl_send_auto(n->sk, msg);
	nlmsg_free(msg);
	if (ret < 0)
		return -EIO;
	ret = nl_recvmsgs_default(n->sk);
	if (nvms)
		*nvms = w.nvms;
#undef w
	return ret == -NLE_PERM ? -EPERM : ret == -NLE_OBJ_NOTFOUND ? -ENOENT :
	       ret < 0 ? -EIO : 0;
}

static int get_vm(struct nl *n, uint32_t id, int dump, struct vminfo *v,
		  int *nvms)
{
	return get_vm_w(n, id, dump, v, nvms, NULL);
}

static int control(struct nl *n, uint8_t cmd, uint32_t id)
{
	struct nl_msg *msg = nlmsg_alloc();
	int ret;

	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, n->family, 0, 0, cmd,
		    PLUMB_GENL_VERSION);
	nla_put_u32(msg, PLUMB_A_VM_ID, id);
	ret = nl_send_sync(n->sk, msg);	/* frees msg, waits for the ACK */
	return ret == -NLE_PERM ? -EPERM : ret == -NLE_OBJ_NOTFOUND ? -ENOENT :
	       ret < 0 ? -EIO : 0;
}

/* Our VM's id: the newest of this ABI this process made (ids only grow). */
static uint32_t my_vm_id(struct nl *n, uint8_t abi)
{
	struct vminfo v;
	struct want w = { .v = &v, .abi = abi };

	if (get_vm_w(n, 0, 1, &v, NULL, &w))
		return 0;
	return w.newest;
}

/* ---- guests: 16-bit real mode code at GUEST_LOAD --------------------- */

static void put_code(struct vm *vm, const uint8_t *code, size_t len)
{
	memcpy(vm->mem + GUEST_LOAD, code, len);
}

/* M x CPUID, N x OUT 0x80 of 0x5a, HLT. */
static void guest_counts(struct vm *vm, uint16_t m, uint16_t n)
{
	uint8_t code[] = {
		0xbe, m & 0xff, m >> 8,		/* mov si, m */
		0x66, 0x31, 0xc0,		/* 1: xor eax, eax */
		0x0f, 0xa2,			/* cpuid (ECX too) */
		0x4e,				/* dec si */
		0x75, 0xf8,			/* jnz 1b */
		0xb9, n & 0xff, n >> 8,		/* mov cx, n */
		0xb0, 0x5a,			/* mov al, 0x5a */
		0xe6, 0x80,			/* 2: out 0x80, al */
		0xe2, 0xfc,			/* loop 2b */
		0xf4,				/* hlt */
	};

	put_code(vm, code, sizeof(code));
}

/*
 * Forever: inc dword [0x500], with IF=1: Bochs' SVM never exits a guest
 * that runs with IF=0 for a host interrupt (vm_signal_if0), and its host
 * would freeze.
 */
static void guest_spin(struct vm *vm)
{
	static const uint8_t code[] = {
		0xfb,				/* sti */
		0x66, 0xff, 0x06, 0x00, 0x05,	/* 1: inc dword [0x500] */
		0xeb, 0xf9,			/* jmp 1b */
	};

	put_code(vm, code, sizeof(code));
}

/* An IDT of limit 0, then INT3: #GP, #DF, triple fault. */
static void guest_triple(struct vm *vm)
{
	static const uint8_t code[] = {
		0x0f, 0x01, 0x1e, 0x00, 0x06,	/* lidt [0x600] */
		0xcc,				/* int3 */
		0xf4,
	};

	memset(vm->mem + 0x600, 0, 6);
	put_code(vm, code, sizeof(code));
}

static void make_vm(struct vm *vm, struct vcpu *v)
{
	vm_create(vm, 2 << 20);
	vcpu_create(vm, v, 0);
	vcpu_set_supported_cpuid(v);
	vcpu_set_mode(v, MODE_REAL, GUEST_LOAD);
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- subtests ----------------------------------------------------- */

/* Exactly N port writes and M CPUIDs show as exactly that. */
static void t_counts(void)
{
	const uint16_t m = 23, n = 37;
	struct vminfo info;
	struct vcpu v;
	struct vm vm;
	struct nl nl;
	uint32_t id;
	int i;

	mg_open(&nl);
	make_vm(&vm, &v);
	guest_counts(&vm, m, n);
	for (i = 0; i < n; i++)
		expect_out(&v, 0x80, 1, 0x5a);
	expect_reason(&v, PLUMB_EXIT_HLT);
	id = my_vm_id(&nl, PLUMB_ABI_PLUMB);
	T_CHECK(id != 0, "our VM is listed (id %u)", id);
	T_CHECK(get_vm(&nl, id, 0, &info, NULL) == 0 && info.found,
		"GET_VM %u answers", id);
	T_CHECK(info.reason[PLUMB_XR_IO] == n, "io exits %llu, want %u",
		(unsigned long long)info.reason[PLUMB_XR_IO], n);
	T_CHECK(info.reason[PLUMB_XR_CPUID] == m, "cpuid exits %llu, want %u",
		(unsigned long long)info.reason[PLUMB_XR_CPUID], m);
	T_CHECK(info.reason[PLUMB_XR_HLT] == 1, "hlt exits %llu, want 1",
		(unsigned long long)info.reason[PLUMB_XR_HLT]);
	T_CHECK(info.stat[PLUMB_STAT_RECORDS] == n + 1u,
		"records %llu, want %u (the OUTs and the HLT)",
		(unsigned long long)info.stat[PLUMB_STAT_RECORDS], n + 1);
	T_CHECK(info.stat[PLUMB_STAT_POSTED] == 0, "no posted records");
	T_CHECK(info.stat[PLUMB_STAT_EXITS_USER] >= 1 &&
		info.stat[PLUMB_STAT_EXITS_USER] <= info.stat[PLUMB_STAT_RUNS],
		"returns to userspace %llu within %llu RUNs",
		(unsigned long long)info.stat[PLUMB_STAT_EXITS_USER],
		(unsigned long long)info.stat[PLUMB_STAT_RUNS]);
	T_CHECK(info.stat[PLUMB_STAT_EXITS] >= n + m + 1u,
		"exits %llu >= %u", (unsigned long long)info.stat[PLUMB_STAT_EXITS],
		n + m + 1);
	T_CHECK(info.stat[PLUMB_STAT_GUEST_NS] > 0, "time in the guest %llu ns",
		(unsigned long long)info.stat[PLUMB_STAT_GUEST_NS]);
	T_CHECK(info.nvcpu_nests == 1 && info.vcpus == 1, "one vCPU (%u nests)",
		info.nvcpu_nests);
	T_CHECK(info.pid == (uint32_t)getpid() && info.uid == getuid(),
		"owner pid %u uid %u", info.pid, info.uid);
	T_CHECK(!strcmp(info.comm, "t_mgmt"), "comm '%s'", info.comm);
	T_CHECK(info.mem == 2 << 20, "memory %llu bytes",
		(unsigned long long)info.mem);
	T_CHECK(info.pinned >= 1 && info.pinned <= 512, "pinned pages %llu",
		(unsigned long long)info.pinned);
	T_CHECK(info.state == PLUMB_VM_STATE_HALTED ||
		info.state == PLUMB_VM_STATE_RUNNING, "state %u", info.state);
	vcpu_destroy(&v);
	vm_destroy(&vm);
	{
		int ms = 0, r;

		while ((r = get_vm(&nl, id, 0, &info, NULL)) != -ENOENT &&
		       ms < 2000) {
			msleep(10);
			ms += 10;
		}
		/* The last reference may go in a deferred fput, a bit later. */
		T_CHECK(r == -ENOENT,
			"a closed VM is gone from the list (after %d ms)", ms);
	}
	mg_close(&nl);
}

/* Both ABIs' VMs in one dump. */
static void t_list(void)
{
	struct vminfo info;
	struct vcpu v;
	struct vm vm;
	struct nl nl;
	uint32_t id, kid;
	int kfd, kvm_fd, kvcpu_fd, nvms = 0, i;

	mg_open(&nl);
	make_vm(&vm, &v);
	kfd = open("/dev/plumb-kvm", O_RDWR | O_CLOEXEC);
	T_CHECK(kfd >= 0, "open /dev/plumb-kvm");
	kvm_fd = ioctl(kfd, KVM_CREATE_VM, 0);
	T_CHECK(kvm_fd >= 0, "KVM_CREATE_VM");
	{
		struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP,
					      .args = { 24 } };

		T_CHECK(ioctl(kvm_fd, KVM_ENABLE_CAP, &cap) == 0,
			"KVM_ENABLE_CAP(SPLIT_IRQCHIP)");
	}
	kvcpu_fd = ioctl(kvm_fd, KVM_CREATE_VCPU, 0);
	T_CHECK(kvcpu_fd >= 0, "KVM_CREATE_VCPU");
	id = my_vm_id(&nl, PLUMB_ABI_PLUMB);
	kid = my_vm_id(&nl, PLUMB_ABI_KVM);
	T_CHECK(id && kid && kid > id, "plumb VM %u, KVM VM %u", id, kid);
	T_CHECK(get_vm(&nl, kid, 1, &info, &nvms) == 0 && info.found,
		"the dump has the KVM VM");
	T_CHECK(nvms == 2, "the dump has %d VMs, want 2", nvms);
	T_CHECK(info.abi == PLUMB_ABI_KVM && info.vcpus == 1 &&
		info.nvcpu_nests == 0, "abi kvm, 1 vCPU, no vCPU nests in a dump");
	T_CHECK(get_vm(&nl, id, 1, &info, &nvms) == 0 && info.found &&
		info.abi == PLUMB_ABI_PLUMB, "the dump has the plumb VM");
	close(kvcpu_fd);
	close(kvm_fd);
	close(kfd);
	vcpu_destroy(&v);
	vm_destroy(&vm);
	for (i = 0; i < 200; i++) {
		if (get_vm(&nl, 0, 1, &info, &nvms) == 0 && nvms == 0)
			break;
		msleep(10);
	}
	T_CHECK(nvms == 0, "an empty dump once both are closed (%d)", nvms);
	T_CHECK(get_vm(&nl, 0xfffffff0, 0, &info, NULL) == -ENOENT,
		"an unknown id: ENOENT");
	mg_close(&nl);
}

struct runner {
	struct vcpu *v;
	int ret, err;
	volatile int done;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	r->ret = ioctl(r->v->fd, PLUMB_RUN, 0);
	r->err = errno;
	r->done = 1;
	return NULL;
}

static uint32_t counter(struct vm *vm)
{
	return __atomic_load_n((uint32_t *)(vm->mem + 0x500), __ATOMIC_RELAXED);
}


/* Pause stops a spinning guest; resume lets it go on; kill ends RUN. */
static void t_pause(int kill_it)
{
	struct runner r = { 0 };
	struct vminfo info;
	struct vcpu v;
	struct vm vm;
	struct nl nl;
	pthread_t th;
	uint32_t id, a, b, c;

	mg_open(&nl);
	make_vm(&vm, &v);
	guest_spin(&vm);
	r.v = &v;
	pthread_create(&th, NULL, run_thread, &r);
	msleep(300);
	id = my_vm_id(&nl, PLUMB_ABI_PLUMB);
	a = counter(&vm);
	T_CHECK(a > 0 && !r.done, "the guest spins (%u)", a);
	if (kill_it) {
		/* vCPU 1 waits for a SIPI that never comes. */
		struct plumb_mp_state mp = { .state = PLUMB_MP_WAIT_SIPI };
		struct runner r1 = { 0 };
		struct vcpu v1;
		pthread_t th1;

		vcpu_create(&vm, &v1, 1);
		T_CHECK(ioctl(v1.fd, PLUMB_SET_MP_STATE, &mp) == 0,
			"vCPU 1 waits for INIT/SIPI");
		r1.v = &v1;
		pthread_create(&th1, NULL, run_thread, &r1);
		msleep(100);
		T_CHECK(control(&nl, PLUMB_CMD_KILL, id) == 0, "KILL %u", id);
		pthread_join(th1, NULL);
		T_CHECK(r1.ret == -1 && r1.err == ECANCELED,
			"vCPU 1's RUN, asleep for a SIPI -> %d errno %d (%s), want ECANCELED",
			r1.ret, r1.err, strerror(r1.err));
		vcpu_destroy(&v1);
		pthread_join(th, NULL);
		T_CHECK(r.ret == -1 && r.err == ECANCELED,
			"RUN -> %d errno %d (%s), want ECANCELED", r.ret, r.err,
			strerror(r.err));
		T_ERRNO(ioctl(v.fd, PLUMB_RUN, 0), ECANCELED, "RUN again");
		T_CHECK(get_vm(&nl, id, 0, &info, NULL) == 0 &&
			info.state == PLUMB_VM_STATE_DEAD, "state dead (%u)",
			info.state);
		goto out;
	}
	T_CHECK(control(&nl, PLUMB_CMD_PAUSE, id) == 0, "PAUSE %u", id);
	msleep(100);
	a = counter(&vm);
	msleep(500);
	b = counter(&vm);
	T_CHECK(a == b, "paused: the counter stays (%u, %u)", a, b);
	T_CHECK(!r.done, "RUN did not return while paused");
	T_CHECK(get_vm(&nl, id, 0, &info, NULL) == 0 &&
		info.state == PLUMB_VM_STATE_PAUSED, "state paused (%u)",
		info.state);
	T_CHECK(control(&nl, PLUMB_CMD_RESUME, id) == 0, "RESUME %u", id);
	msleep(300);
	c = counter(&vm);
	T_CHECK(c > b, "resumed: the counter goes on (%u -> %u)", b, c);
	T_CHECK(get_vm(&nl, id, 0, &info, NULL) == 0 &&
		info.state == PLUMB_VM_STATE_RUNNING, "state running (%u)",
		info.state);
	/* A signal still reaches a paused vCPU's thread. */
	T_CHECK(control(&nl, PLUMB_CMD_PAUSE, id) == 0, "PAUSE again");
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	T_CHECK(r.ret == -1 && r.err == EINTR,
		"a signal interrupts a paused RUN (%d, errno %d)", r.ret, r.err);
out:
	vcpu_destroy(&v);
	vm_destroy(&vm);
	mg_close(&nl);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Another user may neither steer nor, without the device, read. */
static void t_perm(void)
{
	struct vminfo info;
	struct vcpu v;
	struct vm vm;
	struct nl nl;
	uint32_t id;
	pid_t pid;
	int st;

	if (getuid() != 0) {
		printf("FAIL: run as root (it switches to uid 65534)\n");
		t_failures++;
		return;
	}
	mg_open(&nl);
	make_vm(&vm, &v);
	id = my_vm_id(&nl, PLUMB_ABI_PLUMB);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct nl n2;
		int fails;

		t_failures = 0;
		/* nobody, in no group: /dev/plumb is root:plumb 0660. */
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
			printf("FAIL: cannot become nobody\n");
			_exit(1);
		}
		/* setuid() left the process undumpable: /proc/self root's. */
		prctl(PR_SET_DUMPABLE, 1);
		mg_open(&n2);
		T_CHECK(control(&n2, PLUMB_CMD_PAUSE, id) == -EPERM,
			"another user's PAUSE: EPERM");
		T_CHECK(control(&n2, PLUMB_CMD_KILL, id) == -EPERM,
			"another user's KILL: EPERM");
		T_CHECK(get_vm(&n2, id, 0, &info, NULL) == -EPERM,
			"no access to /dev/plumb: GET_VM is EPERM");
		T_CHECK(get_vm(&n2, 0, 1, &info, NULL) == -EPERM,
			"... and so is the dump");
		mg_close(&n2);
		/*
		 * A /dev/plumb of its own making, in a user and mount
		 * namespace of its own (the network namespace stays the
		 * host's): still no access.
		 */
		T_CHECK(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0,
			"unshare a user and a mount namespace (%s)",
			strerror(errno));
		T_CHECK(write_file("/proc/self/setgroups", "deny") == 0 &&
			write_file("/proc/self/uid_map", "0 65534 1") == 0 &&
			write_file("/proc/self/gid_map", "0 65534 1") == 0,
			"root of that user namespace (%s)", strerror(errno));
		T_CHECK(mount("none", "/dev", "tmpfs", 0, NULL) == 0,
			"a tmpfs over /dev (%s)", strerror(errno));
		{
			int fd = open("/dev/plumb", O_CREAT | O_RDWR, 0666);

			T_CHECK(fd >= 0 && fchmod(fd, 0666) == 0,
				"a world-writable regular file /dev/plumb");
			if (fd >= 0)
				close(fd);
		}
		mg_open(&n2);
		T_CHECK(get_vm(&n2, id, 0, &info, NULL) == -EPERM,
			"a fake /dev/plumb gives no access: GET_VM is EPERM");
		T_CHECK(get_vm(&n2, 0, 1, &info, NULL) == -EPERM,
			"... nor the dump");
		fails = t_failures;
		fflush(stdout);
		_exit(fails ? 1 : 0);
	}
	waitpid(pid, &st, 0);
	T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the other user's checks");
	T_CHECK(get_vm(&nl, id, 0, &info, NULL) == 0 &&
		info.state != PLUMB_VM_STATE_PAUSED &&
		info.state != PLUMB_VM_STATE_DEAD, "the VM is untouched");
	vcpu_destroy(&v);
	vm_destroy(&vm);
	mg_close(&nl);
}

struct evlist {
	int n;
	uint32_t ev[16], vm[16], vcpu[16];
	uint64_t seq[16];
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[PLUMB_A_MAX + 1];
	struct evlist *l = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, PLUMB_A_MAX, NULL) ||
	    !tb[PLUMB_A_EVENT] || l->n >= 16)
		return NL_SKIP;
	l->ev[l->n] = nla_get_u32(tb[PLUMB_A_EVENT]);
	l->vm[l->n] = tb[PLUMB_A_VM_ID] ? nla_get_u32(tb[PLUMB_A_VM_ID]) : 0;
	l->vcpu[l->n] = tb[PLUMB_A_VCPU_ID] ? nla_get_u32(tb[PLUMB_A_VCPU_ID]) :
					      ~0u;
	l->seq[l->n] = tb[PLUMB_A_EVENT_SEQ] ? nla_get_u64(tb[PLUMB_A_EVENT_SEQ]) : 0;
	l->n++;
	return NL_OK;
}

/* create -> triple fault -> destroy, in that order, as events. */
static void t_events(void)
{
	struct evlist l = { 0 };
	struct nl ev;
	struct vcpu v;
	struct vm vm;
	int grp, i;

	mg_open(&ev);
	grp = genl_ctrl_resolve_grp(ev.sk, PLUMB_GENL_NAME,
				    PLUMB_GENL_MCGRP_EVENTS);
	T_CHECK(grp >= 0, "the events group resolves (%d)", grp);
	T_CHECK(nl_socket_add_membership(ev.sk, grp) == 0, "join it");
	nl_socket_disable_seq_check(ev.sk);
	nl_socket_modify_cb(ev.sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, &l);

	make_vm(&vm, &v);
	guest_triple(&vm);
	expect_reason(&v, PLUMB_EXIT_SHUTDOWN);
	vcpu_destroy(&v);
	vm_destroy(&vm);

	nl_socket_set_nonblocking(ev.sk);
	for (i = 0; i < 50 && l.n < 3; i++) {
		if (nl_recvmsgs_default(ev.sk) < 0)
			msleep(20);
	}
	T_CHECK(l.n == 3, "three events (%d)", l.n);
	T_CHECK(l.ev[0] == PLUMB_EVENT_VM_CREATED, "first: created (%u)", l.ev[0]);
	T_CHECK(l.ev[1] == PLUMB_EVENT_VCPU_SHUTDOWN && l.vcpu[1] == 0,
		"then: vCPU 0 shut down (%u, vcpu %u)", l.ev[1], l.vcpu[1]);
	T_CHECK(l.ev[2] == PLUMB_EVENT_VM_DESTROYED, "last: destroyed (%u)",
		l.ev[2]);
	T_CHECK(l.vm[0] && l.vm[0] == l.vm[1] && l.vm[1] == l.vm[2],
		"all for one VM (%u)", l.vm[0]);
	T_CHECK(l.seq[0] < l.seq[1] && l.seq[1] < l.seq[2],
		"sequence numbers grow (%llu %llu %llu)",
		(unsigned long long)l.seq[0], (unsigned long long)l.seq[1],
		(unsigned long long)l.seq[2]);
	mg_close(&ev);
}

/*
 * For mgmt.sh: the counts guest run to its HLT, then the VM held open
 * until a signal, so that `plumb stat` can count it.
 */
static void t_hold(void)
{
	struct vcpu v;
	struct vm vm;
	sigset_t set;
	int sig, i;

	make_vm(&vm, &v);
	guest_counts(&vm, 23, 37);
	for (i = 0; i < 37; i++)
		expect_out(&v, 0x80, 1, 0x5a);
	expect_reason(&v, PLUMB_EXIT_HLT);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("held: 23 cpuid, 37 out\n");
	sigwait(&set, &sig);
	vcpu_destroy(&v);
	vm_destroy(&vm);
}

static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: RUN sees EINTR */
	if (argc != 2)
		goto usage;
	if (!strcmp(argv[1], "counts"))
		t_counts();
	else if (!strcmp(argv[1], "list"))
		t_list();
	else if (!strcmp(argv[1], "pause"))
		t_pause(0);
	else if (!strcmp(argv[1], "kill"))
		t_pause(1);
	else if (!strcmp(argv[1], "perm"))
		t_perm();
	else if (!strcmp(argv[1], "events"))
		t_events();
	else if (!strcmp(argv[1], "hold"))
		t_hold();
	else
		goto usage;
	return t_done();
usage:
	fprintf(stderr, "usage: t_mgmt counts|list|pause|kill|perm|events|hold\n");
	return 2;
}
