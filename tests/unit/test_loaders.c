// SPDX-License-Identifier: GPL-2.0
/*
 * The loaders against well-formed, truncated, malformed and hostile images
 * built in memory: each bad header must give a clear error and leave the
 * launcher standing; each good one must put every byte and register where
 * the boot protocol says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "vm.h"

static struct gmem mem;
static uint8_t buf[64 * 1024];

static void setup(void)
{
	ck_assert_int_eq(gmem_alloc(&mem, 64 * MiB), 0);
	memset(mem.low, 0xaa, 32 * MiB);	/* so that zeroing shows */
	memset(buf, 0, sizeof(buf));
	/* Loaders explain failures on stderr; keep the test output short. */
	if (!freopen("/dev/null", "w", stderr))
		abort();
}

static void teardown(void)
{
	gmem_free(&mem);
}

static struct image img(size_t len)
{
	struct image i = { .data = buf, .len = len, .path = "test-image" };

	return i;
}

static void put32(size_t off, uint32_t v)
{
	memcpy(buf + off, &v, 4);
}

static void put16(size_t off, uint16_t v)
{
	memcpy(buf + off, &v, 2);
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, gmem_ptr(&mem, gpa, 4), 4);
	return v;
}

/* ---- multiboot ---- */

/*
 * An ELF32/EM_386 file: header, two program headers at 0x34, the multiboot
 * header and code at file offset 0x1000 -> paddr 0x400000 (0x100 bytes),
 * data at 0x2000 -> paddr 0x402000 with 0x10 bytes of file and 0x3000 of
 * memory (bss), entry 0x40000c. Like kvm-unit-tests' .flat files.
 */
#define MB_LEN	0x2010

static void make_elf(uint32_t mbflags)
{
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "\177ELF\001\001\001", 7);
	put16(16, 2);			/* ET_EXEC */
	put16(18, 3);			/* EM_386 */
	put32(20, 1);
	put32(24, 0x40000c);		/* entry */
	put32(28, 0x34);		/* phoff */
	put16(40, 0x34);
	put16(42, 32);			/* phentsize */
	put16(44, 2);			/* phnum */
	/* PT_LOAD text */
	put32(0x34 + 0, 1);
	put32(0x34 + 4, 0x1000);
	put32(0x34 + 8, 0x400000);
	put32(0x34 + 12, 0x400000);
	put32(0x34 + 16, 0x100);
	put32(0x34 + 20, 0x100);
	/* PT_LOAD data + bss */
	put32(0x54 + 0, 1);
	put32(0x54 + 4, 0x2000);
	put32(0x54 + 8, 0x402000);
	put32(0x54 + 12, 0x402000);
	put32(0x54 + 16, 0x10);
	put32(0x54 + 20, 0x3000);
	put32(0x1000, 0x1BADB002);
	put32(0x1004, mbflags);
	put32(0x1008, -(0x1BADB002U + mbflags));
	memset(buf + 0x100c, 0x90, 0xf4);	/* "code" */
	memset(buf + 0x2000, 0x77, 0x10);	/* data */
}

START_TEST(mb_good)
{
	struct image k, mod = { .data = (const uint8_t *)"NR_CPUS=1\nMEMSIZE=64\n",
				.len = 21, .path = "ENVFILE" };
	struct boot_state b;
	uint64_t mbi;
	const uint8_t *p;
	uint32_t mods, mmap, mmlen;

	make_elf(0);
	k = img(MB_LEN);
	ck_assert(multiboot_probe(&k));
	ck_assert(!bzimage_probe(&k));
	ck_assert_int_eq(load_multiboot(&mem, &k, "x86/dummy.flat a b", &mod, 1, &b), 0);
	ck_assert_int_eq(b.mode, CPU_PROT32);
	ck_assert_uint_eq(b.rip, 0x40000c);
	ck_assert_uint_eq(b.rax, 0x2BADB002);
	ck_assert_uint_eq(b.cs, 0x08);
	/* segments copied, bss zeroed */
	p = gmem_ptr(&mem, 0x400000, 0x100);
	ck_assert_uint_eq(get32(0x400000), 0x1BADB002);
	ck_assert_uint_eq(p[0x20], 0x90);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&mem, 0x402000, 1), 0x77);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&mem, 0x402010, 1), 0);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&mem, 0x404fff, 1), 0);
	/* the MBI lies above the end of bss, page aligned */
	mbi = b.rbx;
	ck_assert_uint_ge(mbi, 0x405000);
	ck_assert_uint_eq(mbi & 0xfff, 0);
	ck_assert_uint_eq(get32(mbi) & 0x24d, 0x24d);	/* mem cmdline mods mmap name */
	ck_assert_uint_eq(get32(mbi + 4), 639);
	ck_assert_uint_eq(get32(mbi + 8), 63 * 1024);
	ck_assert_str_eq((const char *)gmem_ptr(&mem, get32(mbi + 16), 1),
			 "x86/dummy.flat a b");
	ck_assert_uint_eq(get32(mbi + 20), 1);
	mods = get32(mbi + 24);
	ck_assert_uint_ge(get32(mods), 0x405000);
	ck_assert_uint_eq(get32(mods) & 0xfff, 0);
	ck_assert_uint_eq(get32(mods + 4) - get32(mods), 21);
	ck_assert(!memcmp(gmem_ptr(&mem, get32(mods), 21), "NR_CPUS=1\nMEMSIZE=64\n", 21));
	ck_assert_str_eq((const char *)gmem_ptr(&mem, get32(mods + 8), 1), "ENVFILE");
	mmlen = get32(mbi + 44);
	mmap = get32(mbi + 48);
	ck_assert_uint_eq(mmlen, 4 * 24);
	ck_assert_uint_eq(get32(mmap), 20);			/* size */
	ck_assert_uint_eq(get32(mmap + 4), 0);			/* RAM at 0 */
	ck_assert_uint_eq(get32(mmap + 20), 1);
	ck_assert_uint_eq(get32(mmap + 3 * 24 + 4), 0x100000);	/* RAM from 1 MiB */
	ck_assert_uint_eq(get32(mmap + 3 * 24 + 12), 63 * MiB);
	/* page 0 is RAM a guest can write */
	ck_assert_ptr_nonnull(gmem_ptr(&mem, 0, 4096));
}
END_TEST

START_TEST(mb_no_header)
{
	struct image k;
	struct boot_state b;

	make_elf(0);
	put32(0x1008, 0);		/* bad checksum */
	k = img(MB_LEN);
	ck_assert(!multiboot_probe(&k));
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	k = img(0);
	ck_assert(!multiboot_probe(&k));
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
}
END_TEST

START_TEST(mb_truncated)
{
	struct image k;
	struct boot_state b;

	make_elf(0);
	/* the header survives, the data segment does not */
	k = img(0x1100);
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	/* program headers beyond the end of the file */
	make_elf(0);
	put32(28, 0xfffffff0);
	k = img(MB_LEN);
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	make_elf(0);
	put16(44, 0xffff);
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
}
END_TEST

START_TEST(mb_malformed)
{
	struct image k = img(MB_LEN);
	struct boot_state b;

	make_elf(0);
	buf[4] = 2;			/* ELFCLASS64 */
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	make_elf(0);
	put16(18, 62);			/* EM_X86_64 */
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	make_elf(0);
	buf[0] = 'X';			/* not ELF, no a.out kludge */
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	make_elf(0);
	put32(0x54 + 16, 0x4000);	/* filesz > memsz */
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	make_elf(0);
	put32(0x54 + 4, 0xfffff000);	/* offset + filesz wraps */
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	make_elf(0);
	put16(42, 40);			/* phentsize */
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	make_elf(1U << 3);		/* a requirement we do not know */
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	make_elf(0);
	put32(0x34, 0);			/* no PT_LOAD at all */
	put32(0x54, 0);
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
}
END_TEST

START_TEST(mb_hostile_placement)
{
	struct image k = img(MB_LEN);
	struct boot_state b;

	make_elf(0);
	put32(0x54 + 12, 0xfffff000);	/* bss wraps 4 GiB */
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	make_elf(0);
	put32(0x54 + 12, 63 * MiB);	/* data beyond the 64 MiB of RAM */
	put32(0x54 + 20, 2 * MiB);
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	make_elf(0);
	put32(0x54 + 12, 0x400080);	/* overlaps the text segment */
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	make_elf(0);
	put32(0x54 + 12, 64 * MiB - 0x3000);	/* ends at RAM's end: no room for the MBI */
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
	make_elf(0);
	put32(24, 0xf0000000);		/* entry outside RAM */
	ck_assert_int_ne(load_multiboot(&mem, &k, "x", NULL, 0, &b), 0);
}
END_TEST

START_TEST(mb_aout)
{
	struct image k;
	struct boot_state b;

	/* header at 0, load_addr 0x200000, 0x100 bytes, bss to 0x201000 */
	put32(0, 0x1BADB002);
	put32(4, 1U << 16);
	put32(8, -(0x1BADB002U + (1U << 16)));
	put32(12, 0x200000);		/* header_addr */
	put32(16, 0x200000);		/* load_addr */
	put32(20, 0x200100);		/* load_end_addr */
	put32(24, 0x201000);		/* bss_end_addr */
	put32(28, 0x200020);		/* entry */
	memset(buf + 32, 0x90, 0xe0);
	k = img(0x100);
	ck_assert_int_eq(load_multiboot(&mem, &k, "a", NULL, 0, &b), 0);
	ck_assert_uint_eq(b.rip, 0x200020);
	ck_assert_uint_eq(get32(0x200000), 0x1BADB002);
	ck_assert_uint_eq(get32(0x200100), 0);
	ck_assert_uint_ge(b.rbx, 0x201000);
	/* load_end beyond the file */
	put32(20, 0x300000);
	ck_assert_int_ne(load_multiboot(&mem, &k, "a", NULL, 0, &b), 0);
	/* bss_end before load_end */
	put32(20, 0x200100);
	put32(24, 0x200010);
	ck_assert_int_ne(load_multiboot(&mem, &k, "a", NULL, 0, &b), 0);
	/* header_addr below load_addr */
	put32(24, 0x201000);
	put32(12, 0x100000);
	ck_assert_int_ne(load_multiboot(&mem, &k, "a", NULL, 0, &b), 0);
}
END_TEST

/* ---- bzImage ---- */

#define BZ_LEN	(5 * 512 + 4096)

static void make_bz(uint16_t version)
{
	memset(buf, 0, sizeof(buf));
	buf[0x1f1] = 4;				/* setup_sects */
	put16(0x1fe, 0xaa55);
	buf[0x200] = 0xeb;
	buf[0x201] = 0x6a;			/* jump past the header */
	memcpy(buf + 0x202, "HdrS", 4);
	put16(0x206, version);
	buf[0x211] = 0x01;			/* LOADED_HIGH */
	put32(0x22c, 0x7fffffff);		/* initrd_addr_max */
	put32(0x230, 0x200000);			/* kernel_alignment */
	buf[0x234] = 1;				/* relocatable */
	put16(0x236, 0x1);			/* XLF_KERNEL_64 */
	put32(0x238, 2047);			/* cmdline_size */
	put32(0x258, 0x1000000);		/* pref_address */
	put32(0x25c, 0);
	put32(0x260, 0x800000);			/* init_size */
	memset(buf + 5 * 512, 0xcc, 4096);	/* "the kernel" */
}

START_TEST(bz_good)
{
	struct image k, rd = { .data = buf, .len = 5000, .path = "initrd" };
	struct boot_state b;
	uint8_t *bp;
	uint32_t rdaddr;

	make_bz(0x20f);
	k = img(BZ_LEN);
	ck_assert(bzimage_probe(&k));
	ck_assert_int_eq(load_bzimage(&mem, &k, "console=ttyS0", &rd, &b), 0);
	ck_assert_int_eq(b.mode, CPU_LONG64);
	ck_assert_uint_eq(b.rip, 0x1000200);
	ck_assert_uint_eq(b.cs, 0x10);
	ck_assert_uint_eq(b.ds, 0x18);
	ck_assert_uint_ne(b.gdt_limit, 0);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&mem, 0x1000000, 1), 0xcc);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&mem, 0x1000fff, 1), 0xcc);
	bp = gmem_ptr(&mem, b.rsi, 4096);
	ck_assert_ptr_nonnull(bp);
	ck_assert(!memcmp(bp + 0x202, "HdrS", 4));
	ck_assert_uint_eq(bp[0x210], 0xff);		/* type_of_loader */
	ck_assert_str_eq((const char *)gmem_ptr(&mem, get32(b.rsi + 0x228), 1),
			 "console=ttyS0");
	rdaddr = get32(b.rsi + 0x218);
	ck_assert_uint_eq(get32(b.rsi + 0x21c), 5000);
	ck_assert_uint_eq(rdaddr & 0xfff, 0);
	ck_assert_uint_ge(rdaddr, 0x1800000);		/* above the kernel's init_size */
	ck_assert_uint_le(rdaddr + 5000, 64 * MiB);
	ck_assert(!memcmp(gmem_ptr(&mem, rdaddr, 5000), buf, 5000));
	ck_assert_uint_eq(bp[0x1e8], 4);		/* e820 entries */
	ck_assert_uint_eq(get32(b.rsi + 0x2d0 + 3 * 20), 0x100000);
	ck_assert_uint_eq(get32(b.rsi + 0x2d0 + 3 * 20 + 16), 1);
	/* the page tables map the entry */
	ck_assert_uint_eq(b.cr3 & 0xfff, 0);
	ck_assert_uint_eq(get32(b.cr3) & ~0xfffU, b.cr3 + 0x1000);
}
END_TEST

START_TEST(bz_initrd_limit)
{
	struct image k, rd = { .data = buf, .len = 5000, .path = "initrd" };
	struct boot_state b;

	make_bz(0x20f);
	put32(0x22c, 0x1ffffff);		/* initrd must end below 32 MiB */
	k = img(BZ_LEN);
	ck_assert_int_eq(load_bzimage(&mem, &k, "", &rd, &b), 0);
	ck_assert_uint_le(get32(b.rsi + 0x218) + 5000, 0x2000000);
	/* a limit below the kernel's end: no room */
	put32(0x22c, 0x17fffff);
	ck_assert_int_ne(load_bzimage(&mem, &k, "", &rd, &b), 0);
	/* an initrd larger than RAM */
	put32(0x22c, 0x7fffffff);
	rd.len = 100 * MiB;
	ck_assert_int_ne(load_bzimage(&mem, &k, "", &rd, &b), 0);
}
END_TEST

START_TEST(bz_bad_headers)
{
	struct image k = img(BZ_LEN);
	struct boot_state b;
	char longline[4096];

	make_bz(0x20b);			/* too old for the 64-bit entry */
	ck_assert_int_ne(load_bzimage(&mem, &k, "", NULL, &b), 0);
	make_bz(0x20f);
	put16(0x236, 0);		/* not a 64-bit kernel */
	ck_assert_int_ne(load_bzimage(&mem, &k, "", NULL, &b), 0);
	make_bz(0x20f);
	buf[0x211] = 0;			/* zImage, not bzImage */
	ck_assert_int_ne(load_bzimage(&mem, &k, "", NULL, &b), 0);
	make_bz(0x20f);
	put16(0x1fe, 0);		/* boot flag */
	ck_assert_int_ne(load_bzimage(&mem, &k, "", NULL, &b), 0);
	make_bz(0x20f);
	buf[0x1f1] = 200;		/* setup covers the whole file */
	ck_assert_int_ne(load_bzimage(&mem, &k, "", NULL, &b), 0);
	make_bz(0x20f);
	put32(0x260, 0xfff00000);	/* init_size beyond RAM */
	ck_assert_int_ne(load_bzimage(&mem, &k, "", NULL, &b), 0);
	make_bz(0x20f);
	put32(0x258, 0xffffffff);	/* pref_address nowhere */
	put32(0x25c, 0xffffffff);
	buf[0x234] = 0;
	ck_assert_int_ne(load_bzimage(&mem, &k, "", NULL, &b), 0);
	make_bz(0x20f);
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	ck_assert_int_ne(load_bzimage(&mem, &k, longline, NULL, &b), 0);
	make_bz(0x20f);
	buf[0x201] = 0xff;		/* a header claiming to run past its end */
	ck_assert_int_eq(load_bzimage(&mem, &k, "", NULL, &b), 0);
	k = img(0x1f0);			/* truncated before the header */
	ck_assert(!bzimage_probe(&k));
	ck_assert_int_ne(load_bzimage(&mem, &k, "", NULL, &b), 0);
}
END_TEST

/* ---- flat ---- */

START_TEST(flat_modes)
{
	struct image k = img(16);
	struct boot_state b;

	memset(buf, 0xf4, 16);
	ck_assert_int_eq(load_flat(&mem, &k, 0x7c00, CPU_REAL, &b), 0);
	ck_assert_uint_eq(b.real_cs, 0);
	ck_assert_uint_eq(b.rip, 0x7c00);
	ck_assert_int_eq(load_flat(&mem, &k, 0x12345, CPU_REAL, &b), 0);
	ck_assert_uint_eq(b.real_cs, 0x1000);
	ck_assert_uint_eq(b.rip, 0x2345);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&mem, 0x12345, 1), 0xf4);
	ck_assert_int_eq(load_flat(&mem, &k, 0x200000, CPU_PROT32, &b), 0);
	ck_assert_uint_eq(b.rip, 0x200000);
	ck_assert_uint_eq(b.cs, 0x08);
	ck_assert_int_eq(load_flat(&mem, &k, 0x1000, CPU_LONG64, &b), 0);
	ck_assert_uint_eq(b.rip, 0x1000);
	ck_assert_uint_eq(b.cr3, 64 * MiB - 6 * 4096);
	/* PD entry 1: 2 MiB page at 2 MiB, present, writable, large */
	ck_assert_uint_eq(get32(b.cr3 + 0x2000 + 8), 0x200083);
}
END_TEST

/* The dumps' page walk: 4 KiB, 2 MiB and 1 GiB pages, holes, hostile tables. */
START_TEST(gva_walk)
{
	uint64_t *pml4 = (uint64_t *)(mem.low + 0x10000);
	uint64_t *pdpt = (uint64_t *)(mem.low + 0x11000);
	uint64_t *pd = (uint64_t *)(mem.low + 0x12000);
	uint64_t *pt = (uint64_t *)(mem.low + 0x13000);
	const uint64_t lma = 1U << 10, kva = 0xffff800000000000ULL;
	uint64_t gpa = 0;

	memset(mem.low + 0x10000, 0, 0x4000);
	pml4[0] = 0x11003;
	pml4[256] = 0x11003;			/* the same tables up high */
	pdpt[0] = 0x12003;
	pdpt[1] = 0x40000083;			/* 1 GiB page at 1 GiB */
	pd[0] = 0x13003;
	pd[1] = 0x400083;			/* 2 MiB page at 4 MiB */
	pt[5] = 0x7000 | 3;			/* 0x5000 -> 0x7000 */
	ck_assert_int_eq(gmem_gva_to_gpa(&mem, 0x10000, 0, lma, 0x5123, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x7123);
	ck_assert_int_eq(gmem_gva_to_gpa(&mem, 0x10000, 0, lma, kva + 0x5008, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x7008);
	ck_assert_int_eq(gmem_gva_to_gpa(&mem, 0x10000, 0, lma, 0x212345, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x412345);
	ck_assert_int_eq(gmem_gva_to_gpa(&mem, 0x10000, 0, lma, 0x40abcdef, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x40abcdef);
	/* Not present: a hole in the PT, the PD and the PML4. */
	ck_assert_int_eq(gmem_gva_to_gpa(&mem, 0x10000, 0, lma, 0x6000, &gpa), -1);
	ck_assert_int_eq(gmem_gva_to_gpa(&mem, 0x10000, 0, lma, 0x600000, &gpa), -1);
	ck_assert_int_eq(gmem_gva_to_gpa(&mem, 0x10000, 0, lma, 1ULL << 39, &gpa), -1);
	/* Tables outside RAM, or CR3 there: no walk, no crash. */
	pt[6] = 0x3ff0000000000003ULL;
	pd[2] = 0xfff0000000003ULL;
	ck_assert_int_eq(gmem_gva_to_gpa(&mem, 0x10000, 0, lma, 0x400000, &gpa), -1);
	ck_assert_int_eq(gmem_gva_to_gpa(&mem, 0xffffff000, 0, lma, 0x5000, &gpa), -1);
	/* Without long mode the address is physical. */
	ck_assert_int_eq(gmem_gva_to_gpa(&mem, 0x10000, 0, 0, 0x5123, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x5123);
}
END_TEST

/* CPUID's topology for a VM: one package, a thread per core (64 and 3). */
START_TEST(cpuid_topo)
{
	struct plumb_cpuid_entry l2 = { .function = 4, .index = 2, .eax = 0x1c004143 };
	struct plumb_cpuid_entry l3 = { .function = 4, .index = 3, .eax = 0x1c03c163 };
	struct plumb_cpuid_entry none = { .function = 4, .index = 4, .eax = 0 };
	struct plumb_cpuid_entry smt = { .function = 0xb, .index = 0, .eax = 1, .ebx = 2 };
	struct plumb_cpuid_entry core = { .function = 0xb, .index = 1, .eax = 4, .ebx = 8 };
	struct plumb_cpuid_entry end = { .function = 0xb, .index = 2, .ecx = 2 };
	struct plumb_cpuid_entry amd = { .function = 0x80000008, .ecx = 0x3003 };
	struct plumb_cpuid_entry amd_i = amd;

	cpuid_topology(&l2, 5, 64, true);
	ck_assert_uint_eq(l2.eax, 0x143 | 63u << 26);	/* L2 per core, 64 core IDs */
	cpuid_topology(&l3, 5, 64, true);
	ck_assert_uint_eq(l3.eax, 0x163 | 63u << 14 | 63u << 26);	/* L3: all */
	cpuid_topology(&none, 5, 64, true);
	ck_assert_uint_eq(none.eax, 0);
	cpuid_topology(&smt, 5, 3, true);
	ck_assert_uint_eq(smt.eax, 0);			/* no SMT bits */
	ck_assert_uint_eq(smt.ebx, 1);
	ck_assert_uint_eq(smt.ecx, 0x100);
	ck_assert_uint_eq(smt.edx, 5);
	cpuid_topology(&core, 5, 3, true);
	ck_assert_uint_eq(core.eax, 2);			/* 3 cores: 2 ID bits */
	ck_assert_uint_eq(core.ebx, 3);
	ck_assert_uint_eq(core.ecx, 0x201);
	ck_assert_uint_eq(core.edx, 5);
	cpuid_topology(&end, 5, 3, true);
	ck_assert_uint_eq(end.eax | end.ebx, 0);
	ck_assert_uint_eq(end.ecx, 2);			/* type 0: the end */
	cpuid_topology(&amd, 5, 64, false);
	ck_assert_uint_eq(amd.ecx, 6u << 12 | 63);	/* 64 cores, 6 ID bits */
	cpuid_topology(&amd_i, 5, 64, true);
	ck_assert_uint_eq(amd_i.ecx, 0x3003);		/* Intel: untouched */
}
END_TEST

START_TEST(flat_bad)
{
	struct image k = img(16);
	struct boot_state b;

	ck_assert_int_ne(load_flat(&mem, &k, 0xffff8, CPU_REAL, &b), 0);	/* past 1 MiB */
	ck_assert_int_ne(load_flat(&mem, &k, 64 * MiB - 8, CPU_PROT32, &b), 0);	/* past RAM */
	ck_assert_int_ne(load_flat(&mem, &k, 0xffffffffffffff00ULL, CPU_PROT32, &b), 0);
	ck_assert_int_ne(load_flat(&mem, &k, 64 * MiB - 4096, CPU_LONG64, &b), 0);	/* on the tables */
	k = img(0);
	ck_assert_int_ne(load_flat(&mem, &k, 0x1000, CPU_PROT32, &b), 0);	/* empty */
}
END_TEST

START_TEST(memory_layout)
{
	struct gmem m;
	struct map_entry map[MAP_MAX];

	gmem_layout(&m, 5 * GiB);
	ck_assert_uint_eq(m.low_size, 3 * GiB);
	ck_assert_uint_eq(m.high_size, 2 * GiB);
	ck_assert_int_eq(gmem_map(&m, map), 5);
	ck_assert_uint_eq(map[4].addr, 4 * GiB);
	ck_assert_uint_eq(map[4].len, 2 * GiB);
	/* gmem_ptr never wraps */
	ck_assert_ptr_null(gmem_ptr(&mem, 0xfffffffffffff000ULL, 0x2000));
	ck_assert_ptr_null(gmem_ptr(&mem, 0x1000, 0xfffffffffffff000ULL));
	ck_assert_ptr_null(gmem_ptr(&mem, 64 * MiB, 1));
	ck_assert_ptr_nonnull(gmem_ptr(&mem, 64 * MiB - 1, 1));
}
END_TEST

START_TEST(command_line)
{
	struct vm_config cfg;
	uint64_t v;
	char f1[] = "g.bin@0x7c00,real", f2[] = "g.bin@4096", f3[] = "g.bin",
	     f4[] = "g.bin@0x1000,99", f5[] = "a@b@0x10,64";

	ck_assert_int_eq(parse_size("512M", &v), 0);
	ck_assert_uint_eq(v, 512 * MiB);
	ck_assert_int_eq(parse_size("2G", &v), 0);
	ck_assert_uint_eq(v, 2 * GiB);
	ck_assert_int_eq(parse_size("64", &v), 0);
	ck_assert_uint_eq(v, 64 * MiB);
	ck_assert_int_eq(parse_size("1024KiB", &v), 0);
	ck_assert_uint_eq(v, MiB);
	ck_assert_int_ne(parse_size("lots", &v), 0);
	ck_assert_int_ne(parse_size("-1G", &v), 0);
	ck_assert_int_ne(parse_size("99999999999999999999T", &v), 0);
	ck_assert_int_ne(parse_size("17179869184T", &v), 0);
	ck_assert_int_eq(parse_flat(f1, &cfg), 0);
	ck_assert_uint_eq(cfg.flat_addr, 0x7c00);
	ck_assert_int_eq(cfg.flat_mode, CPU_REAL);
	ck_assert_int_eq(parse_flat(f2, &cfg), 0);
	ck_assert_int_eq(cfg.flat_mode, CPU_PROT32);
	ck_assert_int_ne(parse_flat(f3, &cfg), 0);
	ck_assert_int_ne(parse_flat(f4, &cfg), 0);
	ck_assert_int_eq(parse_flat(f5, &cfg), 0);
	ck_assert_str_eq(cfg.flat, "a@b");
	ck_assert_int_eq(cfg.flat_mode, CPU_LONG64);
}
END_TEST

static Suite *loaders_suite(void)
{
	Suite *s = suite_create("loaders");
	TCase *mb = tcase_create("multiboot"), *bz = tcase_create("bzimage"),
	      *fl = tcase_create("flat");

	tcase_add_checked_fixture(mb, setup, teardown);
	tcase_add_test(mb, mb_good);
	tcase_add_test(mb, mb_no_header);
	tcase_add_test(mb, mb_truncated);
	tcase_add_test(mb, mb_malformed);
	tcase_add_test(mb, mb_hostile_placement);
	tcase_add_test(mb, mb_aout);
	suite_add_tcase(s, mb);
	tcase_add_checked_fixture(bz, setup, teardown);
	tcase_add_test(bz, bz_good);
	tcase_add_test(bz, bz_initrd_limit);
	tcase_add_test(bz, bz_bad_headers);
	suite_add_tcase(s, bz);
	tcase_add_checked_fixture(fl, setup, teardown);
	tcase_add_test(fl, flat_modes);
	tcase_add_test(fl, flat_bad);
	tcase_add_test(fl, gva_walk);
	tcase_add_test(fl, cpuid_topo);
	tcase_add_test(fl, memory_layout);
	tcase_add_test(fl, command_line);
	suite_add_tcase(s, fl);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loaders_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
