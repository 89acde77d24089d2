// SPDX-License-Identifier: GPL-2.0
/*
 * mbcheck: a multiboot guest in kvm-unit-tests' style, run through
 * `plumb run --kernel mbcheck.elf` by tests/integration/run_multiboot.sh.
 * It initialises COM1, checks what the loader and the devices give it,
 * prints PASS:/FAIL: lines and a SUMMARY, and exits through port 0xf4 with
 * 0 (all passed: launcher status 1) or 1 (failures: status 3).
 *
 * Its command line is "PROGRAM mem=MIB cpus=N" and its one module holds
 * "NR_CPUS=N" / "MEMSIZE=MIB" lines, as kvm-unit-tests' environment file.
 */
#include "lib.h"

static int tests, failures;
static uint8_t big_bss[64 * 1024];
static char env[1024];

static void report(int ok, const char *what, uint32_t got, uint32_t want)
{
	tests++;
	if (ok) {
		printf("PASS: %s\n", what);
	} else {
		failures++;
		printf("FAIL: %s (got %#x, want %#x)\n", what, got, want);
	}
}

/* got is evaluated once: it may be a port read with side effects. */
#define CHECK_EQ(what, got, want) do {					\
	uint32_t got_ = (uint32_t)(got), want_ = (uint32_t)(want);	\
	report(got_ == want_, what, got_, want_);			\
} while (0)
#define CHECK(what, cond) report(!!(cond), what, !!(cond), 1)

/* The number after "key=" in s (a command line or an env file), or -1. */
static int find_num(const char *s, const char *key)
{
	unsigned int kl = strlen_(key), i;
	int v;

	for (i = 0; s[i]; i++) {
		if ((!i || s[i - 1] == ' ' || s[i - 1] == '\n') &&
		    !strncmp_(s + i, key, kl)) {
			s += i + kl;
			for (v = 0; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (*s - '0');
			return v;
		}
	}
	return -1;
}

static void check_multiboot(const struct mb_info *mbi, int mem, int cpus)
{
	const struct mb_module *mod;
	const char *cmd = (const char *)mbi->cmdline;
	uint32_t off, found_low = 0, found_high = 0;

	CHECK_EQ("EAX holds the multiboot boot magic", mb_magic, 0x2BADB002);
	CHECK("MBI has memory, cmdline, modules and mmap",
	      (mbi->flags & 0x4d) == 0x4d);
	CHECK("MBI lies above the image's end of bss", mb_info >= (uint32_t)_end);
	CHECK_EQ("mem_lower is 639 KiB", mbi->mem_lower, 639);
	CHECK_EQ("mem_upper is RAM - 1 MiB", mbi->mem_upper, (mem - 1) * 1024);
	CHECK("cmdline starts with the program name",
	      !strncmp_(cmd, "mbcheck.elf", 11) ||
	      (strlen_(cmd) > 11 && cmd[0] == '/'));
	CHECK("cmdline carries the arguments", find_num(cmd, "mem=") == mem);
	CHECK_EQ("one module", mbi->mods_count, 1);
	if (mbi->mods_count == 1) {
		mod = (const struct mb_module *)mbi->mods_addr;
		CHECK("the module lies above the image", mod->start >= (uint32_t)_end);
		if (mod->end - mod->start < sizeof(env)) {
			const char *src = (const char *)mod->start;
			unsigned int i;

			for (i = 0; i < mod->end - mod->start; i++)
				env[i] = src[i];
			env[i] = 0;
		}
		CHECK("the module is the environment: NR_CPUS=",
		      find_num(env, "NR_CPUS=") == cpus);
		CHECK("the module is the environment: MEMSIZE=",
		      find_num(env, "MEMSIZE=") == mem);
	}
	for (off = 0; off < mbi->mmap_length;) {
		const struct mb_mmap *e = (const void *)(mbi->mmap_addr + off);

		if (e->type == 1 && e->addr == 0)
			found_low = 1;
		if (e->type == 1 && e->addr == 0x100000 &&
		    e->len == (uint64_t)(mem - 1) << 20)
			found_high = 1;
		off += e->size + 4;
	}
	CHECK("memory map: RAM at 0", found_low);
	CHECK("memory map: RAM from 1 MiB to the end", found_high);
}

static void check_bss_and_page0(void)
{
	volatile uint8_t *p0;
	unsigned int i, nonzero = 0;

	for (i = 0; i < sizeof(big_bss); i++)
		nonzero |= big_bss[i];
	CHECK("bss is zeroed", !nonzero);
	/* Hide the null pointer from the compiler's bounds analysis. */
	__asm__("xor %0, %0" : "=r"(p0));
	p0[0] = 0xcc;
	p0[4095] = 0x5a;
	CHECK("physical page 0 is writable RAM", p0[0] == 0xcc && p0[4095] == 0x5a);
}

static void check_fw_cfg(int mem, int cpus)
{
	CHECK_EQ("fw_cfg signature QEMU", fw_cfg_read(0, 4), 0x554d4551);
	CHECK_EQ("fw_cfg NB_CPUS", fw_cfg_read(5, 2), cpus);
	CHECK_EQ("fw_cfg RAM_SIZE (MiB)", fw_cfg_read(3, 8) >> 20, mem);
	CHECK_EQ("fw_cfg RAM_SIZE high half", fw_cfg_read(3, 8) >> 32, 0);
	CHECK_EQ("fw_cfg key 0x11 is 0 (no RAM cap)", fw_cfg_read(0x11, 8), 0);
}

static void check_devices(int mem)
{
	uint32_t t;
	uint8_t s, lo, hi, lsr, rbr, msr;

	/* UART: scratch register, loopback, LSR. */
	outb(0x3ff, 0xa5);
	CHECK_EQ("uart scratch register", inb(0x3ff), 0xa5);
	CHECK_EQ("uart LSR: THR empty, transmitter empty", inb(0x3fd) & 0x61, 0x60);
	/* Loopback: nothing may be printed until it is off again. */
	outb(0x3fc, 0x13);		/* loopback, DTR, RTS */
	outb(0x3f8, 'Q');
	lsr = inb(0x3fd);
	rbr = inb(0x3f8);
	msr = inb(0x3fe);
	outb(0x3fc, 0x03);
	CHECK("uart loopback: data ready", lsr & 1);
	CHECK_EQ("uart loopback: the byte comes back", rbr, 'Q');
	CHECK_EQ("uart loopback: MSR shows CTS|DSR", msr & 0xf0, 0x30);

	/* PIT channel 2 through port 0x61, as Linux calibrates the TSC. */
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(0x43, 0xb0);			/* ch2, lo/hi, mode 0 */
	outb(0x42, 0x9b);			/* 1193 ticks: 1 ms */
	outb(0x42, 0x04);
	for (t = 0; t < 100000000 && !(inb(0x61) & 0x20); t++)
		;
	CHECK("PIT channel 2 output rises after its count", inb(0x61) & 0x20);

	/* CMOS: a plausible BCD time, the extended-memory bytes. */
	outb(0x70, 0x00);
	s = inb(0x71);
	CHECK("RTC seconds in BCD", (s & 0x0f) <= 9 && (s >> 4) <= 5);
	outb(0x70, 0x0d);
	CHECK_EQ("RTC register D: valid", inb(0x71), 0x80);
	outb(0x70, 0x34);
	lo = inb(0x71);
	outb(0x70, 0x35);
	hi = inb(0x71);
	CHECK_EQ("CMOS: memory above 16 MiB in 64 KiB units", (hi << 8) | lo,
		 (mem - 16) * 16);

	/* i8042 self-test. */
	outb(0x64, 0xaa);
	CHECK_EQ("i8042 self-test answers 0x55", inb(0x60), 0x55);

	/* Unhandled ports read as all ones. */
	CHECK_EQ("an unhandled port reads all ones", inl(0x1230), 0xffffffff);

	/* pc-testdev (the test runs with --pc-testdev). */
	outl(0xe0, 0x12345678);
	CHECK_EQ("pc-testdev scratch register", inl(0xe0), 0x12345678);
	*(volatile uint32_t *)0xff000010 = 0xdeadbeef;
	CHECK_EQ("pc-testdev RAM-like MMIO", *(volatile uint32_t *)0xff000010, 0xdeadbeef);
}

int main(void);
int main(void)
{
	const struct mb_info *mbi = (const void *)mb_info;
	const char *cmd = (const char *)mbi->cmdline;
	int mem, cpus;

	uart_init();
	printf("mbcheck: %s\n", cmd);
	mem = find_num(cmd, "mem=");
	cpus = find_num(cmd, "cpus=");
	check_multiboot(mbi, mem, cpus);
	check_bss_and_page0();
	check_fw_cfg(mem, cpus);
	check_devices(mem);
	printf("SUMMARY: %d tests", tests);
	if (failures)
		printf(", %d unexpected failures", failures);
	printf("\n");
	return failures ? 1 : 0;
}
