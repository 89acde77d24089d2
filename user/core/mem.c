// SPDX-License-Identifier: GPL-2.0
/* Guest memory: layout, host pointers for guest addresses, the memory map. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "vm.h"

void gmem_layout(struct gmem *m, uint64_t size)
{
	memset(m, 0, sizeof(*m));
	m->low_size = size < LOWMEM_LIMIT ? size : LOWMEM_LIMIT;
	m->high_size = size - m->low_size;
}

int gmem_alloc(struct gmem *m, uint64_t size)
{
	gmem_layout(m, size);
	/* NORESERVE: a guest that never touches its RAM costs nothing. */
	m->low = mmap(NULL, m->low_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->low == MAP_FAILED) {
		m->low = NULL;
		return -ENOMEM;
	}
	if (m->high_size) {
		m->high = mmap(NULL, m->high_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);
		if (m->high == MAP_FAILED) {
			m->high = NULL;
			gmem_free(m);
			return -ENOMEM;
		}
	}
	return 0;
}

void gmem_free(struct gmem *m)
{
	if (m->low)
		munmap(m->low, m->low_size);
	if (m->high)
		munmap(m->high, m->high_size);
	m->low = m->high = NULL;
}

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	/* Written so that no sum can overflow: hostile headers come here. */
	if (m->low && gpa <= m->low_size && len <= m->low_size - gpa)
		return m->low + gpa;
	if (m->high && gpa >= HIGHMEM_BASE &&
	    gpa - HIGHMEM_BASE <= m->high_size &&
	    len <= m->high_size - (gpa - HIGHMEM_BASE))
		return m->high + (gpa - HIGHMEM_BASE);
	return NULL;
}

/*
 * A guest virtual address in long mode (4- or 5-level paging, 2 MiB and
 * 1 GiB pages), for the launcher's dumps; the tables are guest memory,
 * hostile: a walk leaving RAM or meeting a non-present entry fails
 * (-1). Other modes: the address is taken as physical.
 */
int gmem_gva_to_gpa(const struct gmem *m, uint64_t cr3, uint64_t cr4,
		    uint64_t efer, uint64_t gva, uint64_t *gpa)
{
	const uint64_t addr = 0x000ffffffffff000ULL;
	int level = cr4 & (1U << 12) ? 5 : 4;
	uint64_t table = cr3 & addr;

	if (!(efer & (1U << 10))) {	/* EFER.LMA clear: no paging here */
		*gpa = gva;
		return 0;
	}
	for (; level > 0; level--) {
		int shift = 12 + 9 * (level - 1);
		uint64_t *e = gmem_ptr(m, table + ((gva >> shift) & 511) * 8, 8);

		if (!e || !(*e & 1))
			return -1;
		if (level == 1 || (level <= 3 && (*e & 0x80))) {
			uint64_t size = 1ULL << shift;

			*gpa = (*e & addr & ~(size - 1)) | (gva & (size - 1));
			return 0;
		}
		table = *e & addr;
	}
	return -1;
}

/*
 * The map a PC BIOS would report: conventional memory up to the EBDA, the
 * BIOS area reserved, RAM from 1 MiB, high RAM from 4 GiB. The area
 * 640 KiB-1 MiB is backed by RAM (a guest may write there) but reported
 * reserved, so that nothing allocates it.
 */
int gmem_map(const struct gmem *m, struct map_entry *out)
{
	int n = 0;

	if (m->low_size <= 1 * MiB) {
		out[n++] = (struct map_entry){ 0, m->low_size, MAP_RAM };
	} else {
		out[n++] = (struct map_entry){ 0, 0x9fc00, MAP_RAM };
		out[n++] = (struct map_entry){ 0x9fc00, 0x400, MAP_RESERVED };
		out[n++] = (struct map_entry){ 0xf0000, 0x10000, MAP_RESERVED };
		out[n++] = (struct map_entry){ 1 * MiB, m->low_size - 1 * MiB,
					       MAP_RAM };
	}
	if (m->high_size)
		out[n++] = (struct map_entry){ HIGHMEM_BASE, m->high_size,
					       MAP_RAM };
	return n;
}

int boot_identity_tables(const struct gmem *m, uint64_t at)
{
	uint64_t *pml4 = gmem_ptr(m, at, 6 * 4096), *pdpt, *pd;
	int i;

	if (!pml4 || (at & 0xfff))
		return -EINVAL;
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	memset(pml4, 0, 6 * 4096);
	pml4[0] = (at + 0x1000) | 3;
	for (i = 0; i < 4; i++)
		pdpt[i] = (at + 0x2000 + i * 0x1000ULL) | 3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* P RW PS */
	return 0;
}
