// SPDX-License-Identifier: GPL-2.0
/*
 * plumb's default guest, embedded in the launcher: `plumb run` with no
 * image boots it. It shows what a VM looks like from the inside (CPUID
 * vendor, brand and features, the memory map it was given, the vCPU count
 * and RAM size from fw_cfg, its command line) and powers off (status 0).
 */
#include "lib.h"

static const char *const edx1[32] = {
	"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", 0,
	"sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "psn", "clflush", 0,
	"ds", "acpi", "mmx", "fxsr", "sse", "sse2", "ss", "htt", "tm", "ia64", "pbe",
};
static const char *const ecx1[32] = {
	"sse3", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est",
	"tm2", "ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm", 0, "pcid",
	"dca", "sse4_1", "sse4_2", "x2apic", "movbe", "popcnt", "tsc_deadline",
	"aes", "xsave", "osxsave", "avx", "f16c", "rdrand", "hypervisor",
};
static const char *const ecx81[32] = {
	"lahf_lm", "cmp_legacy", "svm", "extapic", "cr8_legacy", "abm", "sse4a",
	"misalignsse", "3dnowprefetch", "osvw", "ibs", "xop", "skinit", "wdt", 0,
	"lwp", "fma4", "tce", 0, "nodeid_msr", 0, "tbm", "topoext", "perfctr_core",
};
static const char *const edx81[32] = {
	[11] = "syscall", [20] = "nx", [22] = "mmxext", [25] = "fxsr_opt",
	[26] = "pdpe1gb", [27] = "rdtscp", [29] = "lm", [30] = "3dnowext",
	[31] = "3dnow",
};

static void flags(const char *what, uint32_t v, const char *const names[32])
{
	int i, col = 0;

	printf("  %s:", what);
	for (i = 0; i < 32; i++) {
		if (!(v & (1U << i)) || !names[i])
			continue;
		if (col > 60) {
			printf("\n   ");
			col = 0;
		}
		printf(" %s", names[i]);
		col += strlen_(names[i]) + 1;
	}
	printf("\n");
}

static void show_cpu(void)
{
	uint32_t r[4], max, maxext, brand[13];
	char vendor[13];
	int i;

	cpuid(0, 0, r);
	max = r[0];
	((uint32_t *)vendor)[0] = r[1];
	((uint32_t *)vendor)[1] = r[3];
	((uint32_t *)vendor)[2] = r[2];
	vendor[12] = 0;
	cpuid(1, 0, r);
	printf("CPU: vendor %s, family %u model %u stepping %u, max leaf %#x\n",
	       vendor, ((r[0] >> 8) & 0xf) + ((r[0] >> 20) & 0xff),
	       ((r[0] >> 4) & 0xf) | ((r[0] >> 12) & 0xf0), r[0] & 0xf, max);
	flags("features", r[3], edx1);
	flags("        ", r[2], ecx1);
	cpuid(0x80000000, 0, r);
	maxext = r[0];
	if (maxext >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		flags("extended", r[3], edx81);
		flags("        ", r[2], ecx81);
	}
	if (maxext >= 0x80000004) {
		for (i = 0; i < 3; i++)
			cpuid(0x80000002 + i, 0, brand + 4 * i);
		brand[12] = 0;
		printf("  brand: %s\n", (const char *)brand);
	}
	cpuid(0x40000000, 0, r);
	if (r[0] >= 0x40000000) {
		((uint32_t *)vendor)[0] = r[1];
		((uint32_t *)vendor)[1] = r[2];
		((uint32_t *)vendor)[2] = r[3];
		printf("  hypervisor: %s\n", vendor);
	}
}

static void show_memory(const struct mb_info *mbi)
{
	uint32_t off;

	printf("memory: %u KiB low, %u KiB above 1 MiB (multiboot)\n",
	       mbi->mem_lower, mbi->mem_upper);
	if (!(mbi->flags & (1U << 6)))
		return;
	for (off = 0; off < mbi->mmap_length;) {
		const struct mb_mmap *e = (const void *)(mbi->mmap_addr + off);

		printf("  %016llx-%016llx %s\n", (unsigned long long)e->addr,
		       (unsigned long long)(e->addr + e->len - 1),
		       e->type == 1 ? "RAM" : "reserved");
		off += e->size + 4;
	}
}

int main(void);
int main(void)
{
	const struct mb_info *mbi = (const void *)mb_info;
	uint64_t ram;

	uart_init();
	printf("\nHello from plumb's default guest, inside a plumb VM.\n\n");
	show_cpu();
	show_memory(mbi);
	ram = fw_cfg_read(3, 8);
	printf("fw_cfg: %u vCPU(s), %u MiB of RAM\n",
	       (uint32_t)fw_cfg_read(5, 2), (uint32_t)(ram >> 20));
	if (mbi->flags & (1U << 2))
		printf("command line: \"%s\"\n", (const char *)mbi->cmdline);
	printf("\nThe guest powers off now (exit status 0). Try: plumb run --help\n");
	poweroff();
}
