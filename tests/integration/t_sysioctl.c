// SPDX-License-Identifier: GPL-2.0
/*
 * System ioctls on /dev/plumb, as a user of the ABI sees them.
 * Usage: t_sysioctl SUBTEST   (see the table at the bottom)
 */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/plumb.h>

#include "testlib.h"
#include "vmlib.h"

#define DEV "/dev/plumb"

static int open_dev(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("FAIL: open %s: %s\n", DEV, strerror(errno));
		exit(1);
	}
	return fd;
}

static int t_api_version(void)
{
	int fd = open_dev();

	T_CHECK(ioctl(fd, PLUMB_GET_API_VERSION, 0) == PLUMB_API_VERSION,
		"GET_API_VERSION == %d", PLUMB_API_VERSION);
	T_CHECK(ioctl(fd, PLUMB_GET_VCPU_MMAP_SIZE, 0) ==
		PLUMB_RING_HEADER_SIZE +
		ioctl(fd, PLUMB_CHECK_CAPABILITY, PLUMB_CAP_RING_ENTRIES) *
		(long)sizeof(struct plumb_exit),
		"GET_VCPU_MMAP_SIZE == header + entries * %zu",
		sizeof(struct plumb_exit));
	close(fd);
	return t_done();
}

static int t_capabilities(const char *want_backend)
{
	static const struct {
		unsigned long nr;
		const char *name;
	} caps[] = {
#define CAP(name, str) { PLUMB_CAP_##name, "PLUMB_CAP_" #name },
		PLUMB_CAPS(CAP)
#undef CAP
	};
	int fd = open_dev();
	int backend = ioctl(fd, PLUMB_CHECK_CAPABILITY, PLUMB_CAP_BACKEND);
	int want = !strcmp(want_backend, "vmx") ? PLUMB_BACKEND_VMX :
		   PLUMB_BACKEND_SVM;

	T_CHECK(backend == want, "CAP_BACKEND == %d (%s), got %d", want,
		want_backend, backend);
	T_CHECK(ioctl(fd, PLUMB_CHECK_CAPABILITY, PLUMB_CAP_MAX_VCPUS) >= 64,
		"CAP_MAX_VCPUS >= 64");
	T_CHECK(ioctl(fd, PLUMB_CHECK_CAPABILITY, PLUMB_CAP_NR_MEMSLOTS) > 0,
		"CAP_NR_MEMSLOTS > 0");
	T_CHECK(ioctl(fd, PLUMB_CHECK_CAPABILITY, PLUMB_CAP_RING_ENTRIES) > 0,
		"CAP_RING_ENTRIES > 0");
	T_CHECK(ioctl(fd, PLUMB_CHECK_CAPABILITY, PLUMB_CAP_READONLY_MEM) == 1,
		"CAP_READONLY_MEM == 1");
	T_CHECK(ioctl(fd, PLUMB_CHECK_CAPABILITY, PLUMB_CAP_TSC_KHZ) >= 1000,
		"CAP_TSC_KHZ: %d kHz", ioctl(fd, PLUMB_CHECK_CAPABILITY, PLUMB_CAP_TSC_KHZ));
	/*
	 * Every capability answers nonzero on both backends (test_abi.c:
	 * PLUMB_CAPS holds every PLUMB_CAP_* of the header). None depends
	 * on a hardware feature yet; one that does, and may answer 0 on a
	 * host that runs guests, is excepted here by name, with the hosts.
	 */
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int v = ioctl(fd, PLUMB_CHECK_CAPABILITY, caps[i].nr);

		T_CHECK(v > 0, "%s answers %d", caps[i].name, v);
	}
	T_CHECK(ioctl(fd, PLUMB_CHECK_CAPABILITY, 0x7fff) == 0,
		"an unknown capability answers 0");
	T_CHECK(ioctl(fd, PLUMB_CHECK_CAPABILITY, ~0UL) == 0,
		"capability ~0 answers 0");
	close(fd);
	return t_done();
}

static int t_unknown_ioctl(void)
{
	int fd = open_dev();

	T_ERRNO(ioctl(fd, _IO(PLUMBIO, 0x3f), 0), ENOTTY,
		"unused system number 0x3f");
	T_ERRNO(ioctl(fd, _IO(0x42, 0x00), 0), ENOTTY, "foreign magic");
	T_ERRNO(ioctl(fd, PLUMB_RUN, 0), ENOTTY, "vCPU ioctl on /dev/plumb");
	T_ERRNO(ioctl(fd, PLUMB_SET_MEMORY_REGION, NULL), ENOTTY,
		"VM ioctl on /dev/plumb");
	/* Right number, wrong direction/size: a different ioctl. */
	T_ERRNO(ioctl(fd, _IOR(PLUMBIO, 0x00, uint32_t), 0), ENOTTY,
		"GET_API_VERSION encoded as _IOR");
	close(fd);
	return t_done();
}

static int t_noarg_nonzero(void)
{
	int fd = open_dev();

	T_ERRNO(ioctl(fd, PLUMB_GET_API_VERSION, 1), EINVAL,
		"GET_API_VERSION(1)");
	T_ERRNO(ioctl(fd, PLUMB_GET_VCPU_MMAP_SIZE, 0x1000), EINVAL,
		"GET_VCPU_MMAP_SIZE(0x1000)");
	T_ERRNO(ioctl(fd, PLUMB_CREATE_VM, 7), EINVAL, "CREATE_VM(type 7)");
	close(fd);
	return t_done();
}

static int t_reserved(void)
{
	struct plumb_cpuid *c;
	int fd = open_dev();
	size_t sz = sizeof(*c) + 512 * sizeof(c->entries[0]);

	c = calloc(1, sz);
	c->nent = 512;
	c->flags = 1;
	T_ERRNO(ioctl(fd, PLUMB_GET_SUPPORTED_CPUID, c), EINVAL,
		"GET_SUPPORTED_CPUID with flags=1");
	c->flags = 0x80000000u;
	T_ERRNO(ioctl(fd, PLUMB_GET_SUPPORTED_CPUID, c), EINVAL,
		"GET_SUPPORTED_CPUID with flags=0x80000000");
	T_ERRNO(ioctl(fd, PLUMB_GET_SUPPORTED_CPUID, (void *)16), EFAULT,
		"GET_SUPPORTED_CPUID with a bad pointer");
	free(c);
	close(fd);
	return t_done();
}

static const struct plumb_cpuid_entry *find(const struct plumb_cpuid *c,
					    uint32_t fn, uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

static int t_cpuid(void)
{
	const struct plumb_cpuid_entry *e;
	struct plumb_cpuid *c;
	uint32_t need;
	int fd = open_dev();

	c = calloc(1, sizeof(*c) + 512 * sizeof(c->entries[0]));
	c->nent = 1;
	T_ERRNO(ioctl(fd, PLUMB_GET_SUPPORTED_CPUID, c), E2BIG,
		"GET_SUPPORTED_CPUID with room for 1");
	need = c->nent;
	T_CHECK(need > 1 && need <= 256, "E2BIG reports %u entries needed",
		need);
	c->nent = 512;
	T_CHECK(ioctl(fd, PLUMB_GET_SUPPORTED_CPUID, c) == 0 &&
		c->nent == need, "GET_SUPPORTED_CPUID returns %u entries",
		c->nent);

	e = find(c, 0, 0);
	T_CHECK(e && e->eax >= 1, "leaf 0 present, max basic leaf %#x",
		e ? e->eax : 0);
	e = find(c, 1, 0);
	T_CHECK(e && (e->ecx & (1u << 31)), "leaf 1: hypervisor bit set");
	T_CHECK(e && (e->ecx & (1u << 21)) && (e->ecx & (1u << 24)),
		"leaf 1: x2APIC and TSC-deadline offered (the in-kernel APIC has both)");
	T_CHECK(e && !(e->ecx & (1u << 5)), "leaf 1: VMX hidden");
	e = find(c, 0x80000001, 0);
	T_CHECK(e && !(e->ecx & (1u << 2)), "leaf 0x80000001: SVM hidden");
	e = find(c, 0x8000000a, 0);
	T_CHECK(!e || !(e->eax | e->ebx | e->ecx | e->edx),
		"leaf 0x8000000a: no SVM features");
	e = find(c, 0x40000000, 0);
	T_CHECK(e && !memcmp(&e->ebx, "Plum", 4) && !memcmp(&e->ecx, "bHVP", 4)
		&& !memcmp(&e->edx, "lumb", 4),
		"leaf 0x40000000 carries the plumb signature (%08x %08x %08x)",
		e ? e->ebx : 0, e ? e->ecx : 0, e ? e->edx : 0);
	free(c);
	close(fd);
	return t_done();
}

/*
 * The generic argument check of the VM and vCPU ioctls that take a struct
 * (kmod/ioctl.c): from an argument the ioctl accepts, each padding or
 * reserved byte set alone, and each flag bit the ioctl does not know, is
 * -EINVAL; an unreadable argument is -EFAULT.
 */
#define NO_FLAGS SIZE_MAX

static const struct arg_case {
	const char *name;
	unsigned long cmd;
	bool on_vcpu;
	size_t zero_from;	/* bytes from here to the end must be 0 */
	size_t flags_at;	/* a u32 flags word, or NO_FLAGS */
	uint32_t flags_ok;
} arg_cases[] = {
	{ "SET_MEMORY_REGION", PLUMB_SET_MEMORY_REGION, false,
	  offsetof(struct plumb_memory_region, reserved),
	  offsetof(struct plumb_memory_region, flags),
	  PLUMB_MEM_READONLY | PLUMB_MEM_LOG_DIRTY },
	{ "SET_POSTED_RANGE", PLUMB_SET_POSTED_RANGE, false,
	  offsetof(struct plumb_posted_range, padding),
	  offsetof(struct plumb_posted_range, flags),
	  PLUMB_POSTED_PIO | PLUMB_POSTED_DELETE },
	{ "SET_MSR_EXITS", PLUMB_SET_MSR_EXITS, false,
	  offsetof(struct plumb_msr_exits, padding),
	  offsetof(struct plumb_msr_exits, flags), PLUMB_MSR_EXIT_UNKNOWN },
	{ "SIGNAL_MSI", PLUMB_SIGNAL_MSI, false,
	  offsetof(struct plumb_msi, flags), NO_FLAGS, 0 },
	{ "GET_DIRTY_LOG", PLUMB_GET_DIRTY_LOG, false,
	  offsetof(struct plumb_dirty_log, reserved),
	  offsetof(struct plumb_dirty_log, flags), 0 },
	{ "SET_REGS", PLUMB_SET_REGS, true,
	  offsetof(struct plumb_regs, flags), NO_FLAGS, 0 },
	{ "SET_SREGS", PLUMB_SET_SREGS, true,
	  offsetof(struct plumb_sregs, flags), NO_FLAGS, 0 },
	{ "GET_MSRS", PLUMB_GET_MSRS, true,
	  offsetof(struct plumb_msrs, flags), NO_FLAGS, 0 },
	{ "SET_MSRS", PLUMB_SET_MSRS, true,
	  offsetof(struct plumb_msrs, flags), NO_FLAGS, 0 },
	{ "SET_CPUID", PLUMB_SET_CPUID, true,
	  offsetof(struct plumb_cpuid, flags), NO_FLAGS, 0 },
	{ "SET_MP_STATE", PLUMB_SET_MP_STATE, true,
	  offsetof(struct plumb_mp_state, padding), NO_FLAGS, 0 },
	{ "SET_XCRS", PLUMB_SET_XCRS, true,
	  offsetof(struct plumb_xcrs, padding),
	  offsetof(struct plumb_xcrs, flags), 0 },
	{ "SET_VCPU_EVENTS", PLUMB_SET_VCPU_EVENTS, true,
	  offsetof(struct plumb_vcpu_events, reserved),
	  offsetof(struct plumb_vcpu_events, flags),
	  PLUMB_VCPUEVENT_VALID_NMI_PENDING | PLUMB_VCPUEVENT_VALID_SIPI_VECTOR |
	  PLUMB_VCPUEVENT_VALID_SHADOW },
	{ "SET_DEBUGREGS", PLUMB_SET_DEBUGREGS, true,
	  offsetof(struct plumb_debugregs, flags), NO_FLAGS, 0 },
};

/* An argument @c's ioctl accepts (or refuses for another reason). */
static void arg_base(const struct arg_case *c, uint8_t *buf, struct vm *vm,
		     struct vcpu *v)
{
	memset(buf, 0, 512);
	if (c->cmd == PLUMB_SET_MEMORY_REGION) {
		struct plumb_memory_region *r = (void *)buf;

		r->slot = 1;
		r->guest_phys_addr = 0x10000000;
		r->memory_size = 0x1000;
		r->userspace_addr = (uintptr_t)vm->mem;
	} else if (c->cmd == PLUMB_SET_POSTED_RANGE) {
		struct plumb_posted_range *p = (void *)buf;

		p->addr = 0x500;
		p->len = 1;
		p->flags = PLUMB_POSTED_PIO;
	} else if (c->cmd == PLUMB_GET_DIRTY_LOG) {
		((struct plumb_dirty_log *)buf)->slot = 99;	/* -ENOENT */
	} else if (c->cmd == PLUMB_SIGNAL_MSI) {
		((struct plumb_msi *)buf)->address_lo = 0xfee00000;
		((struct plumb_msi *)buf)->data = 0x30;
	} else if (c->cmd == PLUMB_SET_REGS) {
		ioctl(v->fd, PLUMB_GET_REGS, buf);
	} else if (c->cmd == PLUMB_SET_SREGS) {
		ioctl(v->fd, PLUMB_GET_SREGS, buf);
	}
}

static int t_ioctl_args(void)
{
	uint64_t mem[512 / 8];
	uint8_t *buf = (uint8_t *)mem;
	struct vm vm;
	struct vcpu v;

	vm_create(&vm, 1 << 20);
	vcpu_create(&vm, &v, 0);
	for (size_t i = 0; i < sizeof(arg_cases) / sizeof(arg_cases[0]); i++) {
		const struct arg_case *c = &arg_cases[i];
		int fd = c->on_vcpu ? v.fd : vm.fd;
		size_t size = _IOC_SIZE(c->cmd), bad = 0, n = 0;
		char what[64];
		int ret;

		arg_base(c, buf, &vm, &v);
		ret = ioctl(fd, c->cmd, buf);
		T_CHECK(ret >= 0 || errno != EINVAL,
			"%s: the base argument passes the check (%d, %s)",
			c->name, ret, ret < 0 ? strerror(errno) : "ok");
		for (size_t at = c->zero_from; at < size; at++, n++) {
			arg_base(c, buf, &vm, &v);
			buf[at] = 0x80;
			bad += !(ioctl(fd, c->cmd, buf) == -1 && errno == EINVAL);
		}
		for (unsigned int bit = 0; bit < 32; bit++) {
			if (c->flags_at == NO_FLAGS || (c->flags_ok & (1u << bit)))
				continue;
			arg_base(c, buf, &vm, &v);
			*(uint32_t *)(buf + c->flags_at) |= 1u << bit;
			bad += !(ioctl(fd, c->cmd, buf) == -1 && errno == EINVAL);
			n++;
		}
		T_CHECK(bad == 0,
			"%s: %zu reserved bytes and unknown flags, %zu not EINVAL",
			c->name, n, bad);
		snprintf(what, sizeof(what), "%s: bad pointer", c->name);
		T_ERRNO(ioctl(fd, c->cmd, (void *)8), EFAULT, what);
	}
	vcpu_destroy(&v);
	vm_destroy(&vm);
	return t_done();
}

/* Open and hold the device until killed: for the rmmod-while-open test. */
static int t_hold(void)
{
	int fd = open_dev();

	printf("holding %s open\n", DEV);
	fflush(stdout);
	pause();
	close(fd);
	return 0;
}

/*
 * Permissions: a process outside the node's group gets EACCES; one with
 * the group as a supplementary group can open it. Needs root to switch ids.
 */
static int t_perms(void)
{
	struct stat st;
	struct group *gr;
	gid_t plumb_gid;
	pid_t pid;
	int status;

	T_CHECK(stat(DEV, &st) == 0, "stat %s", DEV);
	gr = getgrnam("plumb");
	T_CHECK(gr != NULL, "group plumb exists");
	if (!gr)
		return t_done();
	plumb_gid = gr->gr_gid;

	for (int in_group = 0; in_group <= 1; in_group++) {
		pid = fork();
		if (pid == 0) {
			gid_t groups[1] = { plumb_gid };
			int fd;

			if (setgroups(in_group, groups) || setgid(65534) ||
			    setuid(65534))
				_exit(3);
			fd = open(DEV, O_RDWR);
			if (fd >= 0)
				_exit(0);
			_exit(errno == EACCES ? 1 : 2);
		}
		waitpid(pid, &status, 0);
		if (in_group)
			T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
				"uid 65534 in group plumb opens %s (child status %d)",
				DEV, WEXITSTATUS(status));
		else
			T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1,
				"uid 65534 outside group plumb gets EACCES (child status %d)",
				WEXITSTATUS(status));
	}
	return t_done();
}

int main(int argc, char **argv)
{
	const char *t = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(t, "api_version"))
		return t_api_version();
	if (!strcmp(t, "capabilities") && argc > 2)
		return t_capabilities(argv[2]);
	if (!strcmp(t, "unknown_ioctl"))
		return t_unknown_ioctl();
	if (!strcmp(t, "noarg_nonzero"))
		return t_noarg_nonzero();
	if (!strcmp(t, "reserved"))
		return t_reserved();
	if (!strcmp(t, "cpuid"))
		return t_cpuid();
	if (!strcmp(t, "ioctl_args"))
		return t_ioctl_args();
	if (!strcmp(t, "hold"))
		return t_hold();
	if (!strcmp(t, "perms"))
		return t_perms();
	fprintf(stderr,
		"usage: t_sysioctl api_version|capabilities BACKEND|unknown_ioctl|noarg_nonzero|reserved|ioctl_args|cpuid|hold|perms\n");
	return 2;
}
