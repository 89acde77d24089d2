// SPDX-License-Identifier: GPL-2.0
/*
 * Multiboot v1 (the Multiboot Specification 0.6.96), as kvm-unit-tests'
 * images use it: an ELF32/EM_386 container (whose code may well be 64-bit)
 * with a header of flags 0, so the program headers say where everything
 * goes. The a.out kludge (flags bit 16) is honoured too.
 *
 * Entry (spec 3.2): 32-bit flat protected mode, paging off, EAX=0x2BADB002,
 * EBX = the multiboot information (MBI). The MBI, the command line, the
 * memory map and the modules go after the image's end of bss, page aligned:
 * never inside it, since the guest zeroes its bss again.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vm.h"

#define MB_MAGIC		0x1BADB002U
#define MB_BOOT_MAGIC		0x2BADB002U
#define MB_SEARCH		8192
#define MB_F_PAGE_ALIGN		(1U << 0)
#define MB_F_MEMINFO		(1U << 1)
#define MB_F_VIDEO		(1U << 2)
#define MB_F_AOUT		(1U << 16)

#define MBI_MEM		(1U << 0)
#define MBI_CMDLINE	(1U << 2)
#define MBI_MODS	(1U << 3)
#define MBI_MMAP	(1U << 6)
#define MBI_LOADER	(1U << 9)

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe[6];
};

struct mb_module {
	uint32_t mod_start, mod_end, string, reserved;
};

struct mb_mmap {
	uint32_t size;		/* of the rest: 20 */
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

/* ELF32, only what we read (System V ABI, i386 supplement). */
struct elf32_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

#define PT_LOAD		1
#define EM_386		3
#define MB_MAX_SEGS	16

static const struct mb_header *find_header(const struct image *img, size_t *off)
{
	size_t o, lim = img->len < MB_SEARCH ? img->len : MB_SEARCH;

	for (o = 0; o + 12 <= lim; o += 4) {
		struct mb_header h;

		memcpy(&h, img->data + o, 12);
		if (h.magic == MB_MAGIC && h.magic + h.flags + h.checksum == 0) {
			*off = o;
			return (const struct mb_header *)(img->data + o);
		}
	}
	return NULL;
}

bool multiboot_probe(const struct image *img)
{
	size_t off;

	return find_header(img, &off) != NULL;
}

/* Load the program headers' PT_LOAD segments; *end = highest byte + 1. */
static int load_elf(const struct gmem *m, const struct image *img,
		    uint64_t *entry, uint64_t *end)
{
	struct elf32_ehdr eh;
	struct elf32_phdr ph[MB_MAX_SEGS];
	unsigned int i, j, n = 0;

	if (img->len < sizeof(eh))
		return plumb_err("%s: truncated ELF header", img->path), -1;
	memcpy(&eh, img->data, sizeof(eh));
	if (memcmp(eh.ident, "\177ELF", 4))
		return plumb_err("%s: multiboot header without the a.out kludge, but not an ELF file",
				 img->path), -1;
	if (eh.ident[4] != 1 || eh.ident[5] != 1)
		return plumb_err("%s: not a little-endian ELF32 file (multiboot v1 wants ELF32; objcopy -O elf32-i386)",
				 img->path), -1;
	if (eh.machine != EM_386 || eh.type != 2)
		return plumb_err("%s: not an i386 executable (e_machine %u, e_type %u)",
				 img->path, eh.machine, eh.type), -1;
	if (eh.phentsize != sizeof(struct elf32_phdr) || !eh.phnum ||
	    eh.phoff > img->len ||
	    (uint64_t)eh.phnum * sizeof(struct elf32_phdr) > img->len - eh.phoff)
		return plumb_err("%s: program headers missing or beyond the end of the file",
				 img->path), -1;
	*end = 0;
	for (i = 0; i < eh.phnum; i++) {
		struct elf32_phdr p;

		memcpy(&p, img->data + eh.phoff + i * sizeof(p), sizeof(p));
		if (p.type != PT_LOAD || !p.memsz)
			continue;
		if (n == MB_MAX_SEGS)
			return plumb_err("%s: more than %d loadable segments",
					 img->path, MB_MAX_SEGS), -1;
		if (p.filesz > p.memsz || p.offset > img->len ||
		    p.filesz > img->len - p.offset)
			return plumb_err("%s: segment %u lies beyond the end of the file",
					 img->path, i), -1;
		if (!gmem_ptr(m, p.paddr, p.memsz))
			return plumb_err("%s: segment %u at %#x-%#" PRIx64 " is not in guest RAM (more --mem?)",
					 img->path, i, p.paddr,
					 (uint64_t)p.paddr + p.memsz), -1;
		for (j = 0; j < n; j++)
			if (p.paddr < ph[j].paddr + (uint64_t)ph[j].memsz &&
			    ph[j].paddr < p.paddr + (uint64_t)p.memsz)
				return plumb_err("%s: segments overlap at %#x",
						 img->path, p.paddr), -1;
		ph[n++] = p;
		if ((uint64_t)p.paddr + p.memsz > *end)
			*end = (uint64_t)p.paddr + p.memsz;
	}
	if (!n)
		return plumb_err("%s: no loadable segment", img->path), -1;
	for (i = 0; i < n; i++) {
		uint8_t *dst = gmem_ptr(m, ph[i].paddr, ph[i].memsz);

		memcpy(dst, img->data + ph[i].offset, ph[i].filesz);
		memset(dst + ph[i].filesz, 0, ph[i].memsz - ph[i].filesz);
	}
	*entry = eh.entry;
	return 0;
}

/* The a.out kludge (spec 3.1.3): addresses straight from the header. */
static int load_aout(const struct gmem *m, const struct image *img, size_t hoff,
		     const struct mb_header *h, uint64_t *entry, uint64_t *end)
{
	uint64_t start, fend, bss_end, len;
	uint8_t *dst;

	if (img->len - hoff < sizeof(*h))
		return plumb_err("%s: truncated multiboot header", img->path), -1;
	if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > hoff)
		return plumb_err("%s: multiboot header_addr/load_addr inconsistent",
				 img->path), -1;
	start = hoff - (h->header_addr - h->load_addr);
	fend = h->load_end_addr ? h->load_end_addr : h->load_addr + (uint64_t)(img->len - start);
	if (fend < h->load_addr || fend - h->load_addr > img->len - start)
		return plumb_err("%s: multiboot load_end_addr beyond the file",
				 img->path), -1;
	len = fend - h->load_addr;
	bss_end = h->bss_end_addr ? h->bss_end_addr : fend;
	if (bss_end < fend)
		return plumb_err("%s: multiboot bss_end_addr before load_end_addr",
				 img->path), -1;
	dst = gmem_ptr(m, h->load_addr, bss_end - h->load_addr);
	if (!dst)
		return plumb_err("%s: image at %#x-%#" PRIx64 " is not in guest RAM",
				 img->path, h->load_addr, bss_end), -1;
	memcpy(dst, img->data + start, len);
	memset(dst + len, 0, bss_end - fend);
	*entry = h->entry_addr;
	*end = bss_end;
	return 0;
}

#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((uint64_t)(a) - 1))

int load_multiboot(const struct gmem *m, const struct image *img,
		   const char *cmdline, const struct image *mods, unsigned int nmods,
		   struct boot_state *b)
{
	struct map_entry map[MAP_MAX];
	struct mb_header h;
	struct mb_info *mbi;
	struct mb_module *mod;
	struct mb_mmap *mm;
	uint64_t entry, end, at, mbi_at, need;
	size_t hoff;
	unsigned int i;
	int nmap;
	const char *loader = "plumb";

	memset(b, 0, sizeof(*b));
	if (!find_header(img, &hoff))
		return plumb_err("%s: no multiboot header in its first 8 KiB", img->path), -1;
	memset(&h, 0, sizeof(h));
	memcpy(&h, img->data + hoff, img->len - hoff < sizeof(h) ? img->len - hoff : sizeof(h));
	/* Bits 0-15 are requirements (spec 3.1.2): refuse what we lack. */
	if (h.flags & 0xfff8U)
		return plumb_err("%s: multiboot header requires features %#x this loader lacks",
				 img->path, h.flags & 0xfff8U), -1;
	if ((h.flags & MB_F_AOUT) ? load_aout(m, img, hoff, &h, &entry, &end) :
				    load_elf(m, img, &entry, &end))
		return -1;
	if (entry >= 4 * GiB || !gmem_ptr(m, entry, 1))
		return plumb_err("%s: entry point %#" PRIx64 " is not in guest RAM",
				 img->path, entry), -1;

	/* Everything after the bss: MBI, mmap, module list, strings, modules. */
	nmap = gmem_map(m, map);
	cmdline = cmdline ? cmdline : "";
	need = sizeof(*mbi) + nmap * sizeof(*mm) + nmods * sizeof(*mod) +
	       strlen(cmdline) + 1 + strlen(loader) + 1 + 16;
	for (i = 0; i < nmods; i++)
		need += strlen(mods[i].path) + 1 + 4096 + mods[i].len;
	mbi_at = ALIGN_UP(end, 4096);
	if (mbi_at + need > 4 * GiB || !gmem_ptr(m, mbi_at, need))
		return plumb_err("%s: no room after the image (ends at %#" PRIx64 ") for its %" PRIu64
				 " bytes of boot information and modules: more --mem",
				 img->path, end, need), -1;
	mbi = gmem_ptr(m, mbi_at, sizeof(*mbi));
	memset(mbi, 0, sizeof(*mbi));
	at = mbi_at + sizeof(*mbi);

	mbi->flags = MBI_MEM | MBI_MMAP | MBI_CMDLINE | MBI_MODS | MBI_LOADER;
	mbi->mem_lower = m->low_size >= 640 * KiB ? 639 : (uint32_t)(m->low_size / KiB);
	mbi->mem_upper = m->low_size > MiB ? (uint32_t)((m->low_size - MiB) / KiB) : 0;

	mbi->mmap_addr = (uint32_t)at;
	mbi->mmap_length = nmap * sizeof(*mm);
	mm = gmem_ptr(m, at, mbi->mmap_length);
	for (i = 0; i < (unsigned int)nmap; i++) {
		struct mb_mmap e = { 20, map[i].addr, map[i].len, map[i].type };

		memcpy(&mm[i], &e, sizeof(e));
	}
	at += mbi->mmap_length;

	mbi->cmdline = (uint32_t)at;
	memcpy(gmem_ptr(m, at, strlen(cmdline) + 1), cmdline, strlen(cmdline) + 1);
	at += strlen(cmdline) + 1;
	mbi->boot_loader_name = (uint32_t)at;
	memcpy(gmem_ptr(m, at, strlen(loader) + 1), loader, strlen(loader) + 1);
	at += strlen(loader) + 1;

	at = ALIGN_UP(at, 16);
	mbi->mods_count = nmods;
	mbi->mods_addr = (uint32_t)at;
	mod = gmem_ptr(m, at, nmods * sizeof(*mod) + 1);
	at += nmods * sizeof(*mod);
	for (i = 0; i < nmods; i++) {
		size_t sl = strlen(mods[i].path) + 1;

		mod[i].string = (uint32_t)at;
		memcpy(gmem_ptr(m, at, sl), mods[i].path, sl);
		at = ALIGN_UP(at + sl, 4096);	/* modules are page aligned */
		mod[i].mod_start = (uint32_t)at;
		mod[i].mod_end = (uint32_t)(at + mods[i].len);
		memcpy(gmem_ptr(m, at, mods[i].len + 1), mods[i].data, mods[i].len);
		at += mods[i].len;
	}

	b->mode = CPU_PROT32;
	b->cs = 0x08;
	b->ds = 0x10;
	b->rip = entry;
	b->rax = MB_BOOT_MAGIC;
	b->rbx = mbi_at;
	b->rsp = 0;		/* the spec leaves ESP undefined */
	return 0;
}
