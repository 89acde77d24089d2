// SPDX-License-Identifier: GPL-2.0
/*
 * Linux bzImage by the 64-bit boot protocol (Documentation/arch/x86/
 * boot.rst, "64-bit Boot Protocol"): the protected-mode kernel at its
 * preferred address, boot_params (the "zero page") holding the image's
 * setup header, an e820 map, the command line and the initrd, and entry at
 * load address + 0x200 in long mode with identity paging, RSI = boot_params,
 * CS/DS = __BOOT_CS/__BOOT_DS (0x10/0x18) from a GDT we provide.
 *
 * Guest-physical layout below 1 MiB: GDT 0x8000, page tables 0x9000-0xefff,
 * boot_params 0x10000, command line 0x20000. The initrd goes as high in low
 * RAM as the header's initrd_addr_max allows.
 */
#include <inttypes.h>
#include <string.h>

#include "vm.h"

#define BZ_GDT		0x8000
#define BZ_PT		0x9000
#define BZ_PARAMS	0x10000
#define BZ_CMDLINE	0x20000
#define BZ_CMDLINE_MAX	0x10000		/* room before anything else */

/* Offsets in boot_params / the image (the setup header starts at 0x1f1). */
#define H_SETUP_SECTS	0x1f1
#define H_VID_MODE	0x1fa
#define H_BOOT_FLAG	0x1fe
#define H_JUMP		0x200
#define H_MAGIC		0x202
#define H_VERSION	0x206
#define H_TYPE_OF_LOADER 0x210
#define H_LOADFLAGS	0x211
#define H_RAMDISK_IMAGE	0x218
#define H_RAMDISK_SIZE	0x21c
#define H_CMD_LINE_PTR	0x228
#define H_INITRD_MAX	0x22c
#define H_KERNEL_ALIGN	0x230
#define H_RELOCATABLE	0x234
#define H_XLOADFLAGS	0x236
#define H_CMDLINE_SIZE	0x238
#define H_PREF_ADDRESS	0x258
#define H_INIT_SIZE	0x260
#define H_END_MAX	0x290		/* the end of struct setup_header */
#define BP_E820_ENTRIES	0x1e8
#define BP_E820_TABLE	0x2d0
#define BP_E820_MAX	128

#define LOADED_HIGH	(1U << 0)
#define XLF_KERNEL_64	(1U << 0)

static uint32_t rd32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p, size_t off)
{
	uint16_t v;

	memcpy(&v, p + off, 2);
	return v;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

bool bzimage_probe(const struct image *img)
{
	return img->len >= H_END_MAX && !memcmp(img->data + H_MAGIC, "HdrS", 4);
}

int load_bzimage(const struct gmem *m, const struct image *img,
		 const char *cmdline, const struct image *initrd,
		 struct boot_state *b)
{
	const uint8_t *k = img->data;
	struct map_entry map[MAP_MAX];
	uint8_t *bp, *dst;
	uint64_t setup_len, kaddr, klen, init_size, align, hdr_end;
	uint64_t initrd_max, initrd_at = 0;
	uint32_t cmdline_size;
	uint16_t version;
	size_t cl;
	int i, n;
	static const uint64_t gdt[4] = {
		0, 0,
		0x00af9a000000ffffULL,	/* 0x10: 64-bit code */
		0x00cf92000000ffffULL,	/* 0x18: data */
	};

	memset(b, 0, sizeof(*b));
	if (!bzimage_probe(img))
		return plumb_err("%s: not a bzImage (no HdrS setup header)", img->path), -1;
	version = rd16(k, H_VERSION);
	if (rd16(k, H_BOOT_FLAG) != 0xaa55)
		return plumb_err("%s: bad boot flag in the setup header", img->path), -1;
	if (version < 0x20c)
		return plumb_err("%s: boot protocol %u.%02u is too old for a 64-bit entry (2.12 needed)",
				 img->path, version >> 8, version & 0xff), -1;
	if (!(k[H_LOADFLAGS] & LOADED_HIGH) || !(rd16(k, H_XLOADFLAGS) & XLF_KERNEL_64))
		return plumb_err("%s: not a 64-bit bzImage (LOADED_HIGH/XLF_KERNEL_64 missing)",
				 img->path), -1;
	setup_len = ((uint64_t)(k[H_SETUP_SECTS] ? k[H_SETUP_SECTS] : 4) + 1) * 512;
	if (setup_len >= img->len)
		return plumb_err("%s: truncated: the setup code covers the whole file",
				 img->path), -1;
	klen = img->len - setup_len;

	/* Where the kernel wants to be, and how much it will use there. */
	kaddr = rd64(k, H_PREF_ADDRESS);
	align = rd32(k, H_KERNEL_ALIGN);
	init_size = rd32(k, H_INIT_SIZE);
	if (init_size < klen)
		init_size = klen;
	if (!kaddr || (k[H_RELOCATABLE] && align && (kaddr & (align - 1))))
		kaddr = 16 * MiB;
	if (kaddr < 1 * MiB || !gmem_ptr(m, kaddr, init_size) ||
	    kaddr + init_size > 4 * GiB)
		return plumb_err("%s: the kernel needs %" PRIu64 " MiB from %#" PRIx64
				 ": more --mem", img->path, (init_size >> 20) + 1, kaddr), -1;

	/* The command line. */
	cmdline = cmdline ? cmdline : "";
	cl = strlen(cmdline);
	cmdline_size = rd32(k, H_CMDLINE_SIZE);
	if (cl > cmdline_size || cl >= BZ_CMDLINE_MAX)
		return plumb_err("%s: --append is %zu bytes; this kernel takes at most %u",
				 img->path, cl, cmdline_size), -1;
	if (!gmem_ptr(m, BZ_CMDLINE, BZ_CMDLINE_MAX))
		return plumb_err("%s: more --mem needed", img->path), -1;

	/* The initrd: as high as allowed, above the kernel's init_size. */
	if (initrd && initrd->len) {
		initrd_max = rd32(k, H_INITRD_MAX);
		if (!initrd_max || initrd_max >= m->low_size)
			initrd_max = m->low_size - 1;
		if (initrd->len > initrd_max + 1 ||
		    ((initrd_max + 1 - initrd->len) & ~0xfffULL) < kaddr + init_size)
			return plumb_err("%s: initrd %s (%zu MiB) does not fit between the kernel's end (%#" PRIx64
					 ") and its limit %#" PRIx64 ": more --mem or a smaller initrd",
					 img->path, initrd->path, initrd->len >> 20,
					 kaddr + init_size, initrd_max), -1;
		initrd_at = (initrd_max + 1 - initrd->len) & ~0xfffULL;
	}

	/* boot_params: zero, then the setup header as the image has it. */
	bp = gmem_ptr(m, BZ_PARAMS, 4096);
	if (!bp)
		return plumb_err("%s: more --mem needed", img->path), -1;
	memset(bp, 0, 4096);
	hdr_end = H_JUMP + 2 + (uint64_t)k[H_JUMP + 1];
	if (hdr_end > H_END_MAX)
		hdr_end = H_END_MAX;
	memcpy(bp + H_SETUP_SECTS, k + H_SETUP_SECTS, hdr_end - H_SETUP_SECTS);
	bp[H_TYPE_OF_LOADER] = 0xff;	/* undefined loader */
	memcpy(bp + H_VID_MODE, &(uint16_t){ 0xffff }, 2);
	memcpy(bp + H_CMD_LINE_PTR, &(uint32_t){ BZ_CMDLINE }, 4);
	if (initrd_at) {
		memcpy(bp + H_RAMDISK_IMAGE, &(uint32_t){ (uint32_t)initrd_at }, 4);
		memcpy(bp + H_RAMDISK_SIZE, &(uint32_t){ (uint32_t)initrd->len }, 4);
	}
	n = gmem_map(m, map);
	for (i = 0; i < n && i < BP_E820_MAX; i++) {
		uint8_t *e = bp + BP_E820_TABLE + i * 20;

		memcpy(e, &map[i].addr, 8);
		memcpy(e + 8, &map[i].len, 8);
		memcpy(e + 16, &map[i].type, 4);
	}
	bp[BP_E820_ENTRIES] = (uint8_t)n;

	/* Now that everything fits: copy. */
	memcpy(gmem_ptr(m, BZ_CMDLINE, cl + 1), cmdline, cl + 1);
	dst = gmem_ptr(m, kaddr, init_size);
	memcpy(dst, k + setup_len, klen);
	if (initrd_at)
		memcpy(gmem_ptr(m, initrd_at, initrd->len), initrd->data, initrd->len);
	memcpy(gmem_ptr(m, BZ_GDT, sizeof(gdt)), gdt, sizeof(gdt));
	if (boot_identity_tables(m, BZ_PT))
		return plumb_err("%s: more --mem needed", img->path), -1;

	b->mode = CPU_LONG64;
	b->cs = 0x10;
	b->ds = 0x18;
	b->gdt_base = BZ_GDT;
	b->gdt_limit = sizeof(gdt) - 1;
	b->cr3 = BZ_PT;
	b->rip = kaddr + 0x200;
	b->rsi = BZ_PARAMS;
	b->rsp = BZ_GDT - 16;
	return 0;
}
