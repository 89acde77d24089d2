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
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
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
