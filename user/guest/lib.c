// SPDX-License-Identifier: GPL-2.0
/* The little library of plumb's guests (see lib.h). */
#include <stdarg.h>

#include "lib.h"

uint32_t mb_magic, mb_info;

#define COM1 0x3f8

/* As kvm-unit-tests does it: DLAB, 115200 baud, 8N1, FIFOs, DTR|RTS. */
void uart_init(void)
{
	outb(COM1 + 3, 0x80);
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);
	outb(COM1 + 2, 0x07);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 4, 0x03);
}

void putc_(char c)
{
	if (c == '\n')
		putc_('\r');
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static void num(uint64_t v, unsigned int base, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		/* 32-bit code, no libgcc: divide in 32-bit halves. */
		uint32_t hi = (uint32_t)(v >> 32), lo = (uint32_t)v;
		uint32_t rhi = hi % base, qhi = hi / base;
		uint32_t d;

		/* (rhi:lo) / base, one bit of lo at a time. */
		{
			uint32_t qlo = 0, r = rhi;
			int i;

			for (i = 31; i >= 0; i--) {
				uint64_t cur = ((uint64_t)r << 1) | ((lo >> i) & 1);

				qlo <<= 1;
				if (cur >= base) {
					cur -= base;
					qlo |= 1;
				}
				r = (uint32_t)cur;
			}
			d = r;
			v = ((uint64_t)qhi << 32) | qlo;
		}
		buf[n++] = "0123456789abcdef"[d];
	} while (v);
	while (n < width--)
		putc_(pad);
	while (n)
		putc_(buf[--n]);
}

void printf_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		char pad = ' ';

		if (*fmt != '%') {
			putc_(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '#') {
			puts_("0x");
			fmt++;
		}
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			int64_t v = lng > 1 ? va_arg(ap, int64_t) : va_arg(ap, int32_t);

			if (v < 0) {
				putc_('-');
				v = -v;
			}
			num((uint64_t)v, 10, width, pad);
			break;
		}
		case 'u':
			num(lng > 1 ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t), 10, width, pad);
			break;
		case 'x':
			num(lng > 1 ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t), 16, width, pad);
			break;
		case 's':
			puts_(va_arg(ap, const char *));
			break;
		case 'c':
			putc_((char)va_arg(ap, int));
			break;
		default:
			putc_(*fmt);
			break;
		}
	}
	va_end(ap);
}

uint64_t fw_cfg_read(uint16_t key, unsigned int len)
{
	uint64_t v = 0;
	unsigned int i;

	outw(0x510, key);
	for (i = 0; i < len && i < 8; i++)
		v |= (uint64_t)inb(0x511) << (8 * i);
	return v;
}

void guest_exit(int code)
{
	outl(0xf4, (uint32_t)code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void poweroff(void)
{
	const char *s = "Shutdown";

	while (*s)
		outb(0x8900, (uint8_t)*s++);
	for (;;)
		__asm__ volatile("cli; hlt");
}

int strcmp_(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp_(const char *a, const char *b, unsigned int n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

unsigned int strlen_(const char *s)
{
	unsigned int n = 0;

	while (s[n])
		n++;
	return n;
}
