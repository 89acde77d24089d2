// SPDX-License-Identifier: GPL-2.0
/*
 * Resource limits of plumb.ko (docs/abi.md, "Limits"): slot sizes whose
 * metadata used to hit a kmalloc WARN, pinned pages charged to
 * RLIMIT_MEMLOCK, the per-user VM cap, and slots backed by file page
 * cache. Every subtest ends with the module's counters at zero.
 * Usage: t_res bigslot|memlock|vmcap|fileslot
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "vmlib.h"

#define MEMSUM		"guests/memsum-64.bin"
#define PORT_VAL32	0x1238
#define NOBODY		65534
#define PLUMB_GID	990		/* group plumb (mkinitramfs.sh) */
#define TIB		(1ULL << 40)

static long sysfs_num(const char *dir, const char *name)
{
	char path[160], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0] ? atol(buf) : -1;
}

static long counter(const char *name)
{
	return sysfs_num("/sys/class/misc/plumb", name);
}

static void check_counters_zero(void)
{
	T_CHECK(counter("nr_vms") == 0 && counter("nr_vcpus") == 0 &&
		counter("pinned_pages") == 0,
		"counters back to zero: nr_vms %ld, nr_vcpus %ld, pinned_pages %ld",
		counter("nr_vms"), counter("nr_vcpus"), counter("pinned_pages"));
}

static int set_slot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
		    uint64_t uaddr, uint32_t flags)
{
	struct plumb_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = uaddr,
	};

	return ioctl(vm->fd, PLUMB_SET_MEMORY_REGION, &r);
}

/*
 * One RUN of memsum writing @len bytes from @gpa: 0 when it reported its
 * sum (the first record is its OUT), else -errno of RUN.
 */
static int memsum_run(struct vm *vm, uint64_t gpa, uint64_t len)
{
	struct plumb_regs r;
	struct vcpu v;
	int ret = 0;

	vm_load(vm, MEMSUM, GUEST_LOAD);
	vcpu_create(vm, &v, 0);
	vcpu_set_mode(&v, MODE_LONG64, GUEST_LOAD);
	if (ioctl(v.fd, PLUMB_GET_REGS, &r))
		ret = -errno;
	r.rsi = gpa;
	r.rcx = len;
	if (!ret && ioctl(v.fd, PLUMB_SET_REGS, &r))
		ret = -errno;
	if (!ret && ioctl(v.fd, PLUMB_RUN, 0))
		ret = -errno;
	if (!ret) {
		const struct plumb_exit *e = &v.ring[v.cons % v.hdr->entry_count];

		if (v.cons == v.hdr->producer || e->reason != PLUMB_EXIT_IO ||
		    e->io.port != PORT_VAL32)
			ret = -EPROTO;
	}
	vcpu_destroy(&v);
	return ret;
}

/* ---- F7: slot sizes ---------------------------------------------------- */

/*
 * A 2 TiB slot needed more than INT_MAX bytes of page array, which
 * kvmalloc answers with a WARN (a panic with panic_on_warn); 8 TiB is the
 * limit. Nothing need be mapped: the range is only access_ok'd. The
 * harness fails a WARN in the kernel log.
 */
static int t_bigslot(void)
{
	static const uint64_t sizes[] = { 2 * TIB, 8 * TIB };
	uint64_t uaddr = 16 * TIB, gpa = 16 * TIB;
	struct vm vm;

	vm_create(&vm, 4 << 20);
	for (unsigned int i = 0; i < 2; i++) {
		T_CHECK(set_slot(&vm, 1, gpa, sizes[i], uaddr, 0) == 0,
			"a slot of %llu TiB is taken (%s)",
			(unsigned long long)(sizes[i] / TIB),
			strerror(errno));
		T_CHECK(set_slot(&vm, 1, gpa, 0, 0, 0) == 0, "and deleted");
	}
	T_ERRNO(set_slot(&vm, 1, gpa, 8 * TIB + 4096, uaddr, 0), EINVAL,
		"a slot of 8 TiB + 4 KiB");
	T_CHECK(memsum_run(&vm, 0x200000, 1 << 20) == 0,
		"the VM still runs a guest");
	vm_destroy(&vm);
	check_counters_zero();
	return t_done();
}

/* ---- F7: RLIMIT_MEMLOCK -------------------------------------------------- */

/*
 * In a child: set RLIMIT_MEMLOCK to @limit_kib, become uid/gid 65534 in
 * group plumb unless @stay_root (which keeps CAP_IPC_LOCK), and run
 * memsum over 4 MiB of an 8 MiB VM. Exit status: 0 when the guest
 * reported, 10 + errno of RUN otherwise, 1 on a setup failure.
 */
static int memlock_child(unsigned long limit_kib, int stay_root)
{
	struct rlimit rl = { limit_kib << 10, limit_kib << 10 };
	gid_t groups[] = { PLUMB_GID };
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct vm vm;
		int ret;

		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(1);
		if (!stay_root && (setgroups(1, groups) || setgid(NOBODY) ||
				   setuid(NOBODY)))
			_exit(1);
		vm_create(&vm, 8 << 20);
		ret = memsum_run(&vm, 0x200000, 4 << 20);
		vm_destroy(&vm);
		_exit(ret ? 10 + -ret : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int t_memlock(void)
{
	int st;

	st = memlock_child(1024, 0);
	T_CHECK(st == 10 + ENOMEM,
		"uid 65534, RLIMIT_MEMLOCK 1 MiB, 4 MiB touched: RUN fails with ENOMEM (child status %d)",
		st);
	T_CHECK(counter("pinned_pages") == 0,
		"its pins are gone with it (pinned_pages %ld)",
		counter("pinned_pages"));
	st = memlock_child(16384, 0);
	T_CHECK(st == 0, "uid 65534, RLIMIT_MEMLOCK 16 MiB: the guest runs (child status %d)",
		st);
	st = memlock_child(1024, 1);
	T_CHECK(st == 0, "root (CAP_IPC_LOCK), RLIMIT_MEMLOCK 1 MiB: the guest runs (child status %d)",
		st);
	check_counters_zero();
	return t_done();
}

/* ---- F7: VMs per user ------------------------------------------------- */

static const char cap_knob[] = "/sys/module/plumb/parameters/max_vms_per_user";

static int write_knob(const char *path, long val)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%ld\n", val) < 0;
	return fclose(f) || ret ? -1 : 0;
}

static int t_vmcap(void)
{
	long old = sysfs_num("/sys/module/plumb/parameters", "max_vms_per_user");
	int sys = open("/dev/plumb", O_RDWR | O_CLOEXEC), a, b, c, status;
	pid_t pid;

	T_CHECK(old == 64, "max_vms_per_user defaults to 64 (%ld)", old);
	T_CHECK(write_knob(cap_knob, 2) == 0, "root sets it to 2");
	a = ioctl(sys, PLUMB_CREATE_VM, 0);
	b = ioctl(sys, PLUMB_CREATE_VM, 0);
	T_CHECK(a >= 0 && b >= 0, "two VMs");
	T_ERRNO(ioctl(sys, PLUMB_CREATE_VM, 0), EMFILE, "a third VM of the same user");
	pid = fork();
	if (pid == 0) {
		gid_t groups[] = { PLUMB_GID };
		int fd;

		if (setgroups(1, groups) || setgid(NOBODY) || setuid(NOBODY))
			_exit(1);
		fd = open("/dev/plumb", O_RDWR | O_CLOEXEC);
		_exit(fd >= 0 && ioctl(fd, PLUMB_CREATE_VM, 0) >= 0 ? 0 : 2);
	}
	T_CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		WEXITSTATUS(status) == 0,
		"another user (uid 65534) still makes one (status %#x)", status);
	close(b);
	c = ioctl(sys, PLUMB_CREATE_VM, 0);
	T_CHECK(c >= 0, "one closed: a VM again (%s)", c < 0 ? strerror(errno) : "ok");
	close(a);
	if (c >= 0)
		close(c);
	T_CHECK(write_knob(cap_knob, 0) == 0, "0: no limit");
	a = ioctl(sys, PLUMB_CREATE_VM, 0);
	b = ioctl(sys, PLUMB_CREATE_VM, 0);
	c = ioctl(sys, PLUMB_CREATE_VM, 0);
	T_CHECK(a >= 0 && b >= 0 && c >= 0, "three VMs without a limit");
	close(a);
	close(b);
	close(c);
	write_knob(cap_knob, old > 0 ? old : 64);
	close(sys);
	check_counters_zero();
	return t_done();
}

/* ---- F8: slots backed by a file's page cache ------------------------- */

#define FILE_GPA	0x1000000ULL	/* 16 MiB, inside the identity map */
#define FILE_LEN	0x10000ULL

/* A MAP_SHARED mapping of a new @len-byte file at @path, or NULL. */
static uint8_t *map_file(const char *path, int fd)
{
	uint8_t *p;

	if (fd < 0)
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, FILE_LEN)) {
		printf("  %s: %s\n", path, strerror(errno));
		return NULL;
	}
	p = mmap(NULL, FILE_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* memsum writing into a slot that maps @p: 0, or RUN's -errno. */
static int run_on(uint8_t *p)
{
	struct vm vm;
	int ret;

	vm_create(&vm, 4 << 20);
	ret = set_slot(&vm, 1, FILE_GPA, FILE_LEN, (uintptr_t)p, 0) ? -errno : 0;
	if (!ret)
		ret = memsum_run(&vm, FILE_GPA, FILE_LEN);
	vm_destroy(&vm);
	return ret;
}

/*
 * The emulated host has no disk filesystem; ramfs stands in for one: its
 * pages are the page cache of a regular file, neither anonymous nor
 * swap-backed (shmem). 6.1's GUP pins them FOLL_LONGTERM|FOLL_WRITE, so
 * there only plumb's check refuses them; 6.12's GUP refuses them itself
 * (same EFAULT). tmpfs (shmem) and a memfd must still work.
 */
static int t_fileslot(void)
{
	const char *dir = "/tmp/plumb-ramfs";
	uint8_t *p;
	int ret;

	mkdir(dir, 0700);
	T_CHECK(mount("ramfs", dir, "ramfs", 0, NULL) == 0, "ramfs at %s (%s)",
		dir, strerror(errno));
	p = map_file("/tmp/plumb-ramfs/ram", -1);
	T_CHECK(p != NULL, "a MAP_SHARED file on ramfs");
	if (p) {
		ret = run_on(p);
		T_CHECK(ret == -EFAULT,
			"a guest writing into a slot on it: RUN fails with EFAULT (%d %s)",
			ret, strerror(-ret));
		munmap(p, FILE_LEN);
	}
	umount(dir);
	rmdir(dir);
	p = map_file("/tmp/plumb-shm", -1);
	ret = p ? run_on(p) : -ENOENT;
	T_CHECK(ret == 0, "a MAP_SHARED file on tmpfs (shmem) works (%d)", ret);
	if (p) {
		T_CHECK(*(uint64_t *)(p + 8) == (FILE_GPA + 8) * 0x3779b1ULL,
			"the file holds what the guest wrote");
		munmap(p, FILE_LEN);
	}
	unlink("/tmp/plumb-shm");
	p = map_file("memfd", memfd_create("plumb", MFD_CLOEXEC));
	ret = p ? run_on(p) : -ENOENT;
	T_CHECK(ret == 0, "a memfd works (%d)", ret);
	if (p)
		munmap(p, FILE_LEN);
	check_counters_zero();
	return t_done();
}

int main(int argc, char **argv)
{
	const char *t = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(t, "bigslot"))
		return t_bigslot();
	if (!strcmp(t, "memlock"))
		return t_memlock();
	if (!strcmp(t, "vmcap"))
		return t_vmcap();
	if (!strcmp(t, "fileslot"))
		return t_fileslot();
	fprintf(stderr, "usage: t_res bigslot|memlock|vmcap|fileslot\n");
	return 2;
}
