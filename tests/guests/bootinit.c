// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the initramfs that run_linux gives a Debian kernel booted by
 * plumb: it proves userspace runs, says what the kernel found, checks
 * that time goes on, and powers the VM off.
 *
 *   PLUMB-BOOT-OK cpus=N clocksource=X clockevent=Y broadcast=Z
 *   PLUMB-SLEPT ms=S       (a 0.5 s nanosleep returned: timer interrupts)
 *   PLUMB-CPU constant_tsc=0|1
 *
 * followed by the kernel's /proc/interrupts for the log, then
 * reboot(POWER_OFF). A static binary: the initramfs has nothing else.
 *
 * With plumb_reboot on the command line (tests/integration/qemu_kvm.sh),
 * the first boot resets the machine instead, right after the marker:
 *
 *   PLUMB-REBOOT boot=1 rebooting      then reboot(RB_AUTOBOOT)
 *   PLUMB-REBOOT boot=2 powering off   the second boot, then as above
 *
 * The boot count lives in a CMOS RAM byte that neither QEMU's pc machine
 * nor SeaBIOS uses and that a system reset keeps (the RTC's RAM is not
 * cleared); the second boot clears it again.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static void read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		snprintf(buf, len, "none");
		return;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

static void dump(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Is flag in the first CPU's /proc/cpuinfo flags? */
static int has_flag(const char *flag)
{
	static char buf[16384];
	char *line, *p;
	int fd = open("/proc/cpuinfo", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	size_t len = strlen(flag);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	line = strstr(buf, "\nflags");
	if (!line)
		return 0;
	line[strcspn(line + 1, "\n") + 1] = 0;
	for (p = strstr(line, flag); p; p = strstr(p + 1, flag))
		if (p[-1] == ' ' && (p[len] == ' ' || !p[len]))
			return 1;
	return 0;
}

#define CMOS_BOOTS 0x4c	/* unused by QEMU 7.2's pc machine and SeaBIOS */
#define BOOTS_MAGIC 0xb0

/*
 * CMOS through /dev/port: the kernel does the port I/O. (ioperm() and
 * OUT from userspace took a #GP in a guest of Debian's KVM on QEMU's TCG
 * with nested SVM, though not under TCG alone.)
 */
static int cmos_rw(int fd, unsigned char idx, unsigned char *val, int write)
{
	if (pwrite(fd, &idx, 1, 0x70) != 1)
		return -1;
	if (write)
		return pwrite(fd, val, 1, 0x71) == 1 ? 0 : -1;
	return pread(fd, val, 1, 0x71) == 1 ? 0 : -1;
}

/* Is word a whole word of /proc/cmdline? */
static int cmdline_has(const char *word)
{
	char buf[4096], *p;
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	size_t len = strlen(word);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (p = strstr(buf, word); p; p = strstr(p + 1, word))
		if ((p == buf || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\n' || !p[len]))
			return 1;
	return 0;
}

/* plumb_reboot: returns only on the second boot (or if CMOS is out of reach). */
static void reboot_once(void)
{
	unsigned char v, mark = BOOTS_MAGIC, zero = 0;
	int fd;

	mknod("/dev/port", S_IFCHR | 0600, makedev(1, 4));
	fd = open("/dev/port", O_RDWR);
	if (fd < 0 || cmos_rw(fd, CMOS_BOOTS, &v, 0)) {
		printf("PLUMB-REBOOT FAIL: CMOS through /dev/port\n");
		return;
	}
	if (v != BOOTS_MAGIC) {
		if (cmos_rw(fd, CMOS_BOOTS, &mark, 1)) {
			printf("PLUMB-REBOOT FAIL: CMOS write\n");
			return;
		}
		printf("PLUMB-REBOOT boot=1 rebooting\n");
		sync();
		reboot(RB_AUTOBOOT);
		printf("PLUMB-REBOOT FAIL: reboot returned\n");
		return;
	}
	cmos_rw(fd, CMOS_BOOTS, &zero, 1);
	close(fd);
	printf("PLUMB-REBOOT boot=2 powering off\n");
}

int main(void)
{
	char cs[64], ce[64], bc[64];
	struct timespec nap = { 0, 500000000 };
	double t0;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	setvbuf(stdout, NULL, _IONBF, 0);
	read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  cs, sizeof(cs));
	read_line("/sys/devices/system/clockevents/clockevent0/current_device",
		  ce, sizeof(ce));
	read_line("/sys/devices/system/clockevents/broadcast/current_device",
		  bc, sizeof(bc));
	printf("PLUMB-BOOT-OK cpus=%ld clocksource=%s clockevent=%s broadcast=%s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), cs, ce, bc);
	if (cmdline_has("plumb_reboot"))
		reboot_once();
	/* Only a timer interrupt ends this sleep. */
	t0 = mono();
	nanosleep(&nap, NULL);
	printf("PLUMB-SLEPT ms=%.0f\n", (mono() - t0) * 1000);
	printf("PLUMB-CPU constant_tsc=%d\n", has_flag("constant_tsc"));
	dump("/proc/interrupts");
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}
