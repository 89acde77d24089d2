// SPDX-License-Identifier: GPL-2.0
/*
 * Flat binaries: the file's bytes at a guest-physical address, entered
 * there in real mode, 32-bit flat protected mode (paging off) or 64-bit
 * long mode with 0-4 GiB identity-mapped.
 */
#include <inttypes.h>
#include <string.h>

#include "vm.h"

int load_flat(const struct gmem *m, const struct image *img, uint64_t addr,
	      enum cpu_mode mode, struct boot_state *b)
{
	uint8_t *dst = gmem_ptr(m, addr, img->len);

	memset(b, 0, sizeof(*b));
	if (!img->len)
		return plumb_err("--flat %s: the file is empty", img->path), -1;
	if (!dst)
		return plumb_err("--flat %s@%#" PRIx64 ": %zu bytes there are not all guest RAM (see --mem)",
				 img->path, addr, img->len), -1;
	b->mode = mode;
	b->cs = 0x08;
	b->ds = 0x10;
	/* The stack grows down from the load address. */
	b->rsp = addr;
	switch (mode) {
	case CPU_REAL:
		if (addr + img->len > 1 * MiB)
			return plumb_err("--flat %s@%#" PRIx64 ",real: a real-mode image must lie below 1 MiB",
					 img->path, addr), -1;
		/* CS:IP with IP as small as the 64 KiB segment allows. */
		b->real_cs = (uint16_t)((addr >> 4) & 0xf000);
		b->rip = addr - ((uint64_t)b->real_cs << 4);
		b->rsp = b->rip;
		break;
	case CPU_PROT32:
		if (addr + img->len > 4 * GiB)
			return plumb_err("--flat %s@%#" PRIx64 ",32: a 32-bit image must lie below 4 GiB",
					 img->path, addr), -1;
		b->rip = addr;
		break;
	case CPU_LONG64:
		/* The tables take the top 24 KiB of low RAM. */
		b->cr3 = (m->low_size - 6 * 4096) & ~0xfffULL;
		if (addr < b->cr3 + 6 * 4096 && b->cr3 < addr + img->len)
			return plumb_err("--flat %s@%#" PRIx64 ",64: the image overlaps the page tables at %#" PRIx64,
					 img->path, addr, b->cr3), -1;
		if (boot_identity_tables(m, b->cr3))
			return plumb_err("--flat: no room for page tables"), -1;
		b->rip = addr;
		break;
	default:
		return plumb_err("--flat: unknown mode"), -1;
	}
	memcpy(dst, img->data, img->len);
	return 0;
}
