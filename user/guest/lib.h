/* SPDX-License-Identifier: GPL-2.0 */
/* The little library of plumb's guests: ports, COM1, printf, fw_cfg, exit. */
#ifndef PLUMB_GUEST_LIB_H
#define PLUMB_GUEST_LIB_H

#include <stdint.h>

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};

struct mb_module {
	uint32_t start, end, string, reserved;
};

struct mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

extern uint32_t mb_magic, mb_info;
extern char _end[];

static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

void uart_init(void);
void putc_(char c);
void puts_(const char *s);
void printf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t fw_cfg_read(uint16_t key, unsigned int len);
void guest_exit(int code) __attribute__((noreturn));
void poweroff(void) __attribute__((noreturn));
int strcmp_(const char *a, const char *b);
int strncmp_(const char *a, const char *b, unsigned int n);
unsigned int strlen_(const char *s);

#define printf printf_
#define puts puts_

#endif
