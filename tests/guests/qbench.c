// SPDX-License-Identifier: GPL-2.0
/*
 * qbench: a multiboot guest that times exits from the inside, for
 * bench/qemubench.sh: the same ELF under QEMU on Debian's KVM, under
 * QEMU on plumb's KVM personality, and under plumb's own launcher.
 * Three loops, each timed with RDTSC (the guest's TSC runs at the host's
 * rate on all three), reported as "QBENCH metric ticks-per-op" lines:
 *   pio_in    a read of port 0x80 (a device model in userspace)
 *   mmio_rd   a read of the IOAPIC's window at 0xfec00010 (userspace's:
 *             the split irqchip keeps the IOAPIC out of the kernel)
 *   cpuid     CPUID leaf 0 (handled in the kernel)
 * Command line "qbench iters=N" (default 10000). Exits through port 0xf4
 * with 0.
 */
#include "lib.h"

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static int find_iters(const char *s)
{
	int v = 0;

	for (; *s; s++) {
		if (!strncmp_(s, "iters=", 6)) {
			for (s += 6; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (*s - '0');
			return v;
		}
	}
	return 0;
}

/* 64 by 32 bits, long division: a 32-bit guest has no libgcc. */
static uint32_t div64_32(uint64_t a, uint32_t b)
{
	uint64_t q = 0, r = 0;
	int i;

	for (i = 63; i >= 0; i--) {
		r = (r << 1) | ((a >> i) & 1);
		if (r >= b) {
			r -= b;
			q |= 1ULL << i;
		}
	}
	return q > 0xffffffffULL ? 0xffffffffU : (uint32_t)q;
}

static void report(const char *what, uint64_t ticks, int n)
{
	printf("QBENCH %s %u\n", what, div64_32(ticks, (uint32_t)n));
}

int main(void)
{
	const struct mb_info *mbi = (const struct mb_info *)mb_info;
	volatile uint32_t *ioapic = (volatile uint32_t *)0xfec00000;
	uint32_t r[4];
	uint64_t t;
	int n = 0, i;

	uart_init();
	if (mbi->flags & (1u << 2))
		n = find_iters((const char *)mbi->cmdline);
	if (n <= 0)
		n = 10000;
	printf("QBENCH iters %u\n", (uint32_t)n);

	t = rdtsc();
	for (i = 0; i < n; i++)
		(void)inb(0x80);
	report("pio_in", rdtsc() - t, n);

	ioapic[0] = 1;			/* IOREGSEL: the version register */
	t = rdtsc();
	for (i = 0; i < n; i++)
		(void)ioapic[4];	/* IOWIN */
	report("mmio_rd", rdtsc() - t, n);

	t = rdtsc();
	for (i = 0; i < n; i++)
		cpuid(0, 0, r);
	report("cpuid", rdtsc() - t, n);
	guest_exit(0);
}
