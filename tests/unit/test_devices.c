// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace devices' register semantics, driven through the bus as the
 * vCPU threads drive them, on a VM without a kernel (no /dev/plumb needed).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>

#include "vm.h"

static struct vm vm;
static struct vm_config cfg;
static int out_pipe[2];
static uint64_t fake_ns;

static uint64_t fake_clock(void)
{
	return fake_ns;
}

/* Advance the fake clock by PIT ticks (1.193182 MHz). */
static void pit_wait(uint64_t ticks)
{
	fake_ns += ticks * 1000000000ULL / 1193182 + 1;
}

static void make_vm_ram(unsigned int cpus, bool testdev, bool ram)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.cpus = cpus;
	cfg.mem = 128 * MiB;
	cfg.pc_testdev = testdev;
	ck_assert_int_eq(vm_init(&vm, &cfg), 0);
	if (ram)
		ck_assert_int_eq(gmem_alloc(&vm.mem, cfg.mem), 0);
	else
		gmem_layout(&vm.mem, cfg.mem);	/* sizes only: no RAM needed */
	ck_assert_int_eq(pipe(out_pipe), 0);
	fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
	vm.out_fd = out_pipe[1];
	plumb_clock_ns = fake_clock;
	fake_ns = 1000000000ULL;
	ck_assert_int_eq(devices_init(&vm), 0);
}

static void make_vm(unsigned int cpus, bool testdev)
{
	make_vm_ram(cpus, testdev, false);
}

static void setup(void)
{
	make_vm(1, true);
}

static void teardown(void)
{
	devices_fini(&vm);
	close(out_pipe[0]);
	close(out_pipe[1]);
	free(vm.pio_logged);
	close(vm.wake_fd);
	gmem_free(&vm.mem);
}

static uint32_t in(uint16_t port, uint8_t size)
{
	uint64_t d = 0;

	io_dispatch(&vm, BUS_PIO, 0, port, size, false, &d);
	return (uint32_t)d;
}

static void out(uint16_t port, uint8_t size, uint32_t v)
{
	uint64_t d = v;

	io_dispatch(&vm, BUS_PIO, 0, port, size, true, &d);
}

#define inb(p)		in((p), 1)
#define outb(p, v)	out((p), 1, (v))

static size_t console_output(char *buf, size_t len)
{
	ssize_t n;

	devices_flush(&vm);
	n = read(out_pipe[0], buf, len - 1);
	n = n < 0 ? 0 : n;
	buf[n] = 0;
	return (size_t)n;
}

/* ---- UART ---- */

START_TEST(uart_transmit)
{
	char buf[64];

	ck_assert_uint_eq(inb(0x3fd), 0x60);		/* THRE | TEMT */
	outb(0x3f8, 'h');
	outb(0x3f8, 'i');
	ck_assert_uint_eq(inb(0x3fd), 0x60);
	ck_assert_uint_eq(console_output(buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "hi");
}
END_TEST

/*
 * No vCPU thread flushes before RUN any more: a line goes out when it
 * ends, the rest of one from the event thread a moment later.
 */
START_TEST(uart_output_unflushed)
{
	char buf[64];
	ssize_t n = 0;
	int i;

	outb(0x3f8, 'a');
	outb(0x3f8, '\n');
	n = read(out_pipe[0], buf, sizeof(buf) - 1);
	ck_assert_int_eq(n, 2);				/* at once */
	ck_assert_int_eq(event_start(&vm), 0);
	outb(0x3f8, '>');
	outb(0x3f8, ' ');
	for (i = 0, n = 0; i < 200 && n <= 0; i++) {	/* 2 s at most */
		usleep(10000);
		n = read(out_pipe[0], buf, sizeof(buf) - 1);
	}
	event_stop(&vm);
	ck_assert_int_eq(n, 2);
	buf[n] = 0;
	ck_assert_str_eq(buf, "> ");
}
END_TEST

START_TEST(uart_dlab)
{
	char buf[8];

	outb(0x3f9, 0x05);				/* IER */
	outb(0x3fb, 0x83);				/* DLAB, 8N1 */
	outb(0x3f8, 0x0c);				/* DLL: 9600 baud */
	outb(0x3f9, 0x00);				/* DLM */
	ck_assert_uint_eq(inb(0x3f8), 0x0c);
	ck_assert_uint_eq(inb(0x3f9), 0x00);
	ck_assert_uint_eq(inb(0x3fb), 0x83);
	outb(0x3fb, 0x03);
	ck_assert_uint_eq(inb(0x3f9), 0x05);		/* IER kept apart */
	ck_assert_uint_eq(console_output(buf, sizeof(buf)), 0);	/* DLL is no data */
	outb(0x3ff, 0x5a);
	ck_assert_uint_eq(inb(0x3ff), 0x5a);		/* scratch */
}
END_TEST

START_TEST(uart_loopback)
{
	char buf[8];

	outb(0x3fc, 0x10 | 0x01 | 0x02);		/* LOOP DTR RTS */
	outb(0x3f8, 'Z');
	ck_assert_uint_eq(inb(0x3fd) & 0x01, 0x01);	/* DR */
	ck_assert_uint_eq(inb(0x3f8), 'Z');
	ck_assert_uint_eq(inb(0x3fd) & 0x01, 0);
	ck_assert_uint_eq(console_output(buf, sizeof(buf)), 0);	/* not sent */
	ck_assert_uint_eq(inb(0x3fe) & 0xf0, 0x30);	/* CTS DSR from RTS DTR */
	outb(0x3fc, 0x10 | 0x04 | 0x08);		/* LOOP OUT1 OUT2 */
	ck_assert_uint_eq(inb(0x3fe) & 0xf0, 0xc0);	/* RI DCD */
	outb(0x3fc, 0x10);
	ck_assert_uint_eq(inb(0x3fe) & 0x0f, 0x04 | 0x08);	/* TERI, DDCD */
	ck_assert_uint_eq(inb(0x3fe) & 0x0f, 0);		/* deltas cleared */
	/* overrun without FIFO */
	outb(0x3f8, 'a');
	outb(0x3f8, 'b');
	ck_assert_uint_eq(inb(0x3fd) & 0x03, 0x03);	/* DR | OE */
	ck_assert_uint_eq(inb(0x3fd) & 0x02, 0);	/* OE clears on read */
}
END_TEST

START_TEST(uart_fifo_and_iir)
{
	const uint8_t msg[] = "0123456789abcdefXYZ";	/* 19 > 16 */
	int i;

	ck_assert_uint_eq(inb(0x3fa), 0x01);		/* no FIFO, nothing pending */
	outb(0x3fa, 0x07);				/* FIFO on, clear both */
	ck_assert_uint_eq(inb(0x3fa), 0xc1);
	outb(0x3f9, 0x02);				/* THRI */
	ck_assert_uint_eq(inb(0x3fa), 0xc2);		/* raised at once */
	ck_assert_uint_eq(inb(0x3fa), 0xc1);		/* acked by the read */
	outb(0x3f9, 0x01);				/* RDI */
	console_feed(&vm, msg, sizeof(msg) - 1);
	ck_assert_uint_eq(inb(0x3fa), 0xc4);
	for (i = 0; i < 19; i++) {
		ck_assert_uint_eq(inb(0x3fd) & 0x01, 0x01);
		ck_assert_uint_eq(inb(0x3f8), msg[i]);	/* nothing lost */
	}
	ck_assert_uint_eq(inb(0x3fd) & 0x01, 0);
	ck_assert_uint_eq(inb(0x3fa), 0xc1);
	console_feed(&vm, msg, 4);
	outb(0x3fa, 0x03);				/* clear RX */
	ck_assert_uint_eq(inb(0x3fd) & 0x01, 0);
	ck_assert_uint_eq(inb(0x3f8), 0);
}
END_TEST

START_TEST(console_escape)
{
	const uint8_t keys[] = { 'a', 0x01, 0x01, 'b', 0x01, 'q', 0x01, 'h' };
	const uint8_t quit[] = { 'c', 0x01, 'x', 'd' };
	const uint8_t want[] = { 'a', 0x01, 'b', 0x01, 'q', 'c' };
	unsigned int i;

	outb(0x3fa, 0x01);				/* FIFO */
	console_input(&vm, keys, sizeof(keys), true);	/* Ctrl-A h: help only */
	ck_assert_int_eq(vm.stopping, 0);
	console_input(&vm, quit, sizeof(quit), true);	/* Ctrl-A x: quit */
	ck_assert_int_eq(vm.stopping, 1);
	ck_assert_int_eq(vm.status, PLUMB_EXIT_OK);
	for (i = 0; i < sizeof(want); i++)
		ck_assert_uint_eq(inb(0x3f8), want[i]);
	ck_assert_uint_eq(inb(0x3fd) & 0x01, 0);	/* 'd' never sent */
	vm.stopping = 0;
	console_input(&vm, quit, sizeof(quit), false);	/* a pipe: all bytes */
	ck_assert_int_eq(vm.stopping, 0);
	for (i = 0; i < sizeof(quit); i++)
		ck_assert_uint_eq(inb(0x3f8), quit[i]);
}
END_TEST

START_TEST(uart_wide_access)
{
	/* a 16-bit read of LSR+MSR returns both */
	ck_assert_uint_eq(in(0x3fd, 2) & 0xff, 0x60);
}
END_TEST

/* ---- exits ---- */

START_TEST(debug_exit)
{
	out(0xf4, 4, 0);
	ck_assert_int_eq(vm.stopping, 1);
	ck_assert_int_eq(vm.status, 1);
	vm.stopping = 0;
	out(0xf4, 4, 38);
	ck_assert_int_eq(vm.status, 77);		/* kvm-unit-tests' SKIP */
	vm.stopping = 0;
	out(0xf4, 1, 0x80);
	ck_assert_int_eq(vm.status, 1);			/* (0x80<<1|1) & 0xff */
}
END_TEST

START_TEST(shutdown_port)
{
	const char *s = "ShShutdown";

	for (; *s; s++) {
		ck_assert_int_eq(vm.stopping, 0);
		outb(0x8900, (uint8_t)*s);
	}
	ck_assert_int_eq(vm.stopping, 1);
	ck_assert_int_eq(vm.status, PLUMB_EXIT_OK);
}
END_TEST

/* ---- fw_cfg ---- */

static uint64_t fw(uint16_t key, int len)
{
	uint64_t v = 0;
	int i;

	out(0x510, 2, key);
	for (i = 0; i < len; i++)
		v |= (uint64_t)inb(0x511) << (8 * i);
	return v;
}

START_TEST(fw_cfg)
{
	ck_assert_uint_eq(fw(0, 4), 0x554d4551);	/* "QEMU" */
	ck_assert_uint_eq(fw(0, 5) >> 32, 0);		/* nothing past the item */
	ck_assert_uint_eq(fw(1, 4), 1);
	ck_assert_uint_eq(fw(5, 2), 1);
	ck_assert_uint_eq(fw(3, 8), 128 * MiB);
	ck_assert_uint_eq(fw(0x11, 8), 0);
	ck_assert_uint_eq(fw(0x4242, 8), 0);
	ck_assert_uint_eq(in(0x510, 2), 0x4242);
	teardown();
	make_vm(3, false);
	ck_assert_uint_eq(fw(5, 2), 3);
}
END_TEST

/* ---- i8042 ---- */

START_TEST(i8042)
{
	ck_assert_uint_eq(inb(0x64) & 0x01, 0);
	outb(0x64, 0xaa);
	ck_assert_uint_eq(inb(0x64) & 0x01, 0x01);
	ck_assert_uint_eq(inb(0x60), 0x55);
	ck_assert_uint_eq(inb(0x64) & 0x01, 0);
	outb(0x64, 0x60);
	outb(0x60, 0x47);
	outb(0x64, 0x20);
	ck_assert_uint_eq(inb(0x60), 0x47);
	outb(0x64, 0xdd);				/* A20 off */
	outb(0x64, 0xd0);
	ck_assert_uint_eq(inb(0x60) & 0x02, 0);
	outb(0x64, 0xdf);
	outb(0x64, 0xd0);
	ck_assert_uint_eq(inb(0x60) & 0x02, 0x02);
	outb(0x60, 0xff);				/* keyboard reset */
	ck_assert_uint_eq(inb(0x60), 0xfa);
	ck_assert_uint_eq(inb(0x60), 0xaa);
	ck_assert_uint_eq(inb(0x92) & 0x02, 0x02);	/* fast A20 mirrors */
	ck_assert_int_eq(vm.stopping, 0);
	outb(0x64, 0xfe);				/* pulse reset */
	ck_assert_int_eq(vm.stopping, 1);
	ck_assert_int_eq(vm.status, PLUMB_EXIT_OK);
}
END_TEST

START_TEST(port92_reset)
{
	outb(0x92, 0x02);
	ck_assert_int_eq(vm.stopping, 0);
	outb(0x92, 0x03);
	ck_assert_int_eq(vm.stopping, 1);
}
END_TEST

/* ---- RTC / CMOS ---- */

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return (uint8_t)inb(0x71);
}

START_TEST(rtc)
{
	uint8_t s, y;

	ck_assert_uint_eq(cmos(0x0d), 0x80);
	ck_assert_uint_eq(cmos(0x0a) & 0x80, 0);	/* no update in progress */
	s = cmos(0x00);
	ck_assert((s & 0x0f) <= 9 && (s >> 4) <= 5);	/* BCD */
	ck_assert_uint_eq(cmos(0x15) | cmos(0x16) << 8, 640);
	ck_assert_uint_eq(cmos(0x34) | cmos(0x35) << 8, (128 - 16) * 16);
	ck_assert_uint_eq(cmos(0x17) | cmos(0x18) << 8, 0xffff);	/* capped */
	outb(0x70, 0x0b);
	outb(0x71, 0x06);				/* binary, 24 h */
	ck_assert_uint_le(cmos(0x00), 59);
	ck_assert_uint_le(cmos(0x04), 23);
	outb(0x70, 0x09);
	outb(0x71, 50);					/* year 50 */
	y = cmos(0x09);
	ck_assert_uint_eq(y, 50);
	outb(0x70, 0x40);
	outb(0x71, 0x99);				/* plain CMOS RAM */
	ck_assert_uint_eq(cmos(0x40), 0x99);
	ck_assert_uint_eq(cmos(0x80 | 0x40), 0x99);	/* NMI bit ignored */
}
END_TEST

static void cmos_set(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

/* The date's fields are in range, and the century is 19 or 20 (binary). */
static void date_sane(void)
{
	ck_assert_uint_ge(cmos(0x07), 1);
	ck_assert_uint_le(cmos(0x07), 31);
	ck_assert_uint_ge(cmos(0x08), 1);
	ck_assert_uint_le(cmos(0x08), 12);
	ck_assert_uint_le(cmos(0x09), 99);
	ck_assert(cmos(0x32) == 19 || cmos(0x32) == 20);
}

/*
 * Security review L2: year writes of 255 move the date ~200 years a
 * time; enough of them carried it past what gmtime() can express, and
 * the day and month registers then returned the launcher's stack. The
 * date now stays within 1900..2099 (the century byte's 19 and 20):
 * writes that leave it are ignored, and a clock running past the end
 * stops at 2099-12-31 23:59:59.
 */
START_TEST(rtc_year_window)
{
	uint8_t y, c;
	int i;

	cmos_set(0x0b, 0x06);				/* binary, 24 h */
	y = cmos(0x09);
	c = cmos(0x32);
	ck_assert_uint_eq(c, 20);
	cmos_set(0x09, 255);				/* 2255 */
	ck_assert_uint_eq(cmos(0x09), y);
	ck_assert_uint_eq(cmos(0x32), c);
	for (i = 0; i < 20000; i++)			/* the review's hammer */
		cmos_set(0x09, 255);
	ck_assert_uint_eq(cmos(0x09), y);
	date_sane();

	/* The last second of 2099 is in; the clock stops there. */
	cmos_set(0x09, 99);
	cmos_set(0x08, 12);
	cmos_set(0x07, 31);
	cmos_set(0x04, 23);
	cmos_set(0x02, 59);
	cmos_set(0x00, 59);
	ck_assert_uint_eq(cmos(0x09), 99);
	ck_assert_uint_eq(cmos(0x08), 12);
	ck_assert_uint_eq(cmos(0x07), 31);
	cmos_set(0x07, 32);				/* 2100-01-01 */
	ck_assert_uint_eq(cmos(0x07), 31);
	usleep(1200 * 1000);
	ck_assert_uint_eq(cmos(0x00), 59);
	ck_assert_uint_eq(cmos(0x02), 59);
	ck_assert_uint_eq(cmos(0x04), 23);
	ck_assert_uint_eq(cmos(0x07), 31);
	ck_assert_uint_eq(cmos(0x08), 12);
	ck_assert_uint_eq(cmos(0x09), 99);
	ck_assert_uint_eq(cmos(0x32), 20);

	/* Down to 1900: 2000-01-01, month 0 = 1999-12, year 0 = 1900-12,
	 * and month 0 again would be 1899: ignored. */
	cmos_set(0x09, 0);
	cmos_set(0x08, 1);
	cmos_set(0x07, 1);
	cmos_set(0x08, 0);
	ck_assert_uint_eq(cmos(0x32), 19);
	ck_assert_uint_eq(cmos(0x09), 99);
	cmos_set(0x09, 0);
	ck_assert_uint_eq(cmos(0x09), 0);
	cmos_set(0x08, 0);
	ck_assert_uint_eq(cmos(0x08), 12);
	ck_assert_uint_eq(cmos(0x09), 0);
	ck_assert_uint_eq(cmos(0x32), 19);
	date_sane();
}
END_TEST

/* ---- console output ---- */

/*
 * Security review L6: COM1 output to a pipe whose reader has gone. The
 * launcher ignores SIGPIPE (from vm_init on), so the write fails with
 * EPIPE, the output counts as gone, and the guest runs on; before, the
 * SIGPIPE killed the launcher (here: the test).
 */
START_TEST(output_reader_gone)
{
	const char *p;

	close(out_pipe[0]);
	out_pipe[0] = -1;
	for (p = "hello\n"; *p; p++)
		outb(0x3f8, (uint8_t)*p);
	ck_assert(vm.out_gone);
	for (p = "again\n"; *p; p++)
		outb(0x3f8, (uint8_t)*p);
	ck_assert(vm.out_gone);
	ck_assert_int_eq(vm.stopping, 0);
}
END_TEST

/* ---- exit records ---- */

/*
 * Security review L5: a string I/O record whose count * size wraps in
 * 32 bits (2^30 x 4 = 0) must be refused as malformed, not walked past
 * its 32 data bytes. The kernel never sends one (it caps count at
 * 32 / size); the launcher must not rely on that.
 */
START_TEST(string_io_record_bounds)
{
	struct vcpu v = { .vm = &vm, .id = 0 };
	struct plumb_exit *e = calloc(1, sizeof(*e));

	ck_assert_ptr_nonnull(e);
	e->reason = PLUMB_EXIT_IO;
	e->io.port = 0x1234;				/* nothing there */
	e->io.size = 4;
	e->io.direction = PLUMB_IO_IN;
	e->io.count = 8;				/* 32 bytes: fits */
	vcpu_handle_exit(&v, e);
	ck_assert_int_eq(vm.stopping, 0);
	ck_assert_uint_eq(e->io.data[31], 0xff);	/* unhandled reads ones */
	e->io.count = 1U << 30;
	vcpu_handle_exit(&v, e);
	ck_assert_int_eq(vm.stopping, 1);
	ck_assert_int_eq(vm.status, PLUMB_EXIT_INTERNAL);
	ck_assert_ptr_nonnull(strstr(vm_stop_message(), "malformed port I/O record"));
	free(e);
}
END_TEST

START_TEST(string_io_record_one_too_many)
{
	struct vcpu v = { .vm = &vm, .id = 0 };
	struct plumb_exit e;

	memset(&e, 0, sizeof(e));
	e.reason = PLUMB_EXIT_IO;
	e.io.port = 0x1234;
	e.io.size = 2;
	e.io.direction = PLUMB_IO_OUT;
	e.io.count = 17;				/* 34 bytes */
	vcpu_handle_exit(&v, &e);
	ck_assert_int_eq(vm.stopping, 1);
	ck_assert_int_eq(vm.status, PLUMB_EXIT_INTERNAL);
}
END_TEST

/* ---- PIT ---- */

START_TEST(pit_channel2_gate)
{
	outb(0x61, 0x00);				/* gate off */
	outb(0x43, 0xb0);				/* ch2 lo/hi mode 0 */
	outb(0x42, 1000 & 0xff);
	outb(0x42, 1000 >> 8);
	pit_wait(2000);
	ck_assert_uint_eq(inb(0x61) & 0x20, 0);		/* gate low: no count */
	outb(0x61, 0x01);
	ck_assert_uint_eq(inb(0x61) & 0x21, 0x01);
	pit_wait(500);
	ck_assert_uint_eq(inb(0x61) & 0x20, 0);
	outb(0x43, 0x80);				/* latch ch2 */
	pit_wait(100);					/* the latch holds */
	{
		uint16_t v = (uint16_t)inb(0x42);

		v |= (uint16_t)(inb(0x42) << 8);
		ck_assert_uint_ge(v, 498);
		ck_assert_uint_le(v, 500);
	}
	pit_wait(500);
	ck_assert_uint_eq(inb(0x61) & 0x20, 0x20);	/* terminal count */
}
END_TEST

START_TEST(pit_modes)
{
	uint16_t v;

	outb(0x43, 0x34);				/* ch0 lo/hi mode 2 */
	outb(0x40, 100);
	outb(0x40, 0);
	pit_wait(250);
	outb(0x43, 0x00);
	v = (uint16_t)(inb(0x40) | inb(0x40) << 8);
	ck_assert_uint_ge(v, 49);
	ck_assert_uint_le(v, 51);
	outb(0x43, 0xe2);				/* read-back status ch0 */
	ck_assert_uint_eq(inb(0x40) & 0x3f, 0x34);	/* lo/hi, mode 2, binary */
	outb(0x43, 0x16);				/* ch0 LSB only, mode 3 */
	outb(0x40, 0);					/* 65536 */
	pit_wait(10);
	ck_assert_uint_ge(inb(0x40), 0);
	ck_assert_uint_eq(inb(0x43), 0xff);		/* control is write-only */
}
END_TEST

/* ---- pc-testdev, legacy ports, unhandled ---- */

START_TEST(pc_testdev)
{
	out(0xe0, 4, 0xdeadbeef);
	ck_assert_uint_eq(in(0xe0, 4), 0xdeadbeef);
	ck_assert_uint_eq(in(0xe2, 2), 0xdead);
	outb(0xe1, 0x11);
	ck_assert_uint_eq(in(0xe0, 4), 0xdead11ef);
	outb(0xe8, 0x01);
	outb(0xe9, 0x02);
	ck_assert_uint_eq(in(0xe8, 2), 0x0201);
	outb(0x2003, 1);
	ck_assert_uint_eq(inb(0x2003), 1);
	out(0x2004, 2, 0x0101);				/* bytes only */
	ck_assert_uint_eq(inb(0x2004), 0);
	out(0xe4, 4, 0x1000);				/* flush: accepted */
	ck_assert_uint_eq(vm.unhandled, 0);
}
END_TEST

START_TEST(pc_testdev_off)
{
	teardown();
	make_vm(1, false);
	ck_assert_uint_eq(in(0xe0, 4), 0xffffffff);
	ck_assert_uint_eq(vm.unhandled, 1);
}
END_TEST

START_TEST(legacy_ports)
{
	outb(0x20, 0x11);				/* ICW1 */
	outb(0x21, 0x20);				/* ICW2 */
	outb(0x21, 0x04);				/* ICW3 */
	outb(0x21, 0x01);				/* ICW4 */
	ck_assert_uint_eq(inb(0x21), 0);
	outb(0x21, 0xfb);				/* OCW1: mask */
	outb(0xa1, 0xff);
	ck_assert_uint_eq(inb(0x21), 0xfb);
	ck_assert_uint_eq(inb(0xa1), 0xff);
	ck_assert_uint_eq(inb(0x20), 0);
	outb(0x80, 0x42);
	ck_assert_uint_eq(vm.unhandled, 0);
}
END_TEST

START_TEST(unhandled)
{
	ck_assert_uint_eq(inb(0x1234), 0xff);
	ck_assert_uint_eq(in(0x1234, 2), 0xffff);
	ck_assert_uint_eq(in(0x1234, 4), 0xffffffff);
	out(0x1234, 4, 1);
	ck_assert_uint_eq(vm.unhandled, 4);
	ck_assert_int_eq(vm.stopping, 0);		/* never fatal */
	{
		uint64_t d = 0;

		io_dispatch(&vm, BUS_MMIO, 0, 0xe0000000, 8, false, &d);
		ck_assert_uint_eq(d, ~0ULL);
	}
}
END_TEST

START_TEST(bus_overlap)
{
	ck_assert_int_ne(io_register(&vm, BUS_PIO, 0x3fc, 2, NULL, NULL, NULL, "x", 0), 0);
	ck_assert_int_ne(io_register(&vm, BUS_PIO, 0x10, 0, NULL, NULL, NULL, "x", 0), 0);
	ck_assert_int_eq(io_register(&vm, BUS_PIO, 0x400, 2, NULL, NULL, NULL, "x", 0), 0);
}
END_TEST

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* The table at a, checked: its signature, its length, its checksum. */
static const uint8_t *table(uint64_t a, const char *sig)
{
	const uint8_t *t = gmem_ptr(&vm.mem, a, 36);
	uint32_t len;

	ck_assert_ptr_nonnull(t);
	ck_assert_msg(!memcmp(t, sig, 4), "%s at %#llx", sig, (unsigned long long)a);
	memcpy(&len, t + 4, 4);
	ck_assert_ptr_nonnull(gmem_ptr(&vm.mem, a, len));
	ck_assert_uint_eq(sum(t, len), 0);
	return t;
}

START_TEST(acpi)
{
	const uint8_t *rsdp, *rsdt, *xsdt, *fadt, *madt, *dsdt, *e;
	uint32_t a, t0, t1, len, cpus = 0, ioapics = 0, overrides = 0;
	uint64_t x;

	teardown();
	make_vm_ram(4, false, true);
	rsdp = gmem_ptr(&vm.mem, 0xf0000, 36);
	ck_assert(!memcmp(rsdp, "RSD PTR ", 8));
	ck_assert_uint_eq(sum(rsdp, 20), 0);
	ck_assert_uint_eq(rsdp[15], 2);			/* XSDT too */
	ck_assert_uint_eq(sum(rsdp, 36), 0);
	memcpy(&a, rsdp + 16, 4);
	rsdt = table(a, "RSDT");
	memcpy(&x, rsdp + 24, 8);
	xsdt = table(x, "XSDT");
	memcpy(&a, rsdt + 36, 4);
	memcpy(&x, xsdt + 36, 8);
	ck_assert_uint_eq(a, x);			/* both list the FADT */
	fadt = table(a, "FACP");
	memcpy(&a, rsdt + 40, 4);
	madt = table(a, "APIC");
	memcpy(&a, fadt + 76, 4);
	ck_assert_uint_eq(a, 0x608);			/* PM_TMR_BLK */
	memcpy(&x, fadt + 208 + 4, 8);
	ck_assert_uint_eq(x, 0x608);			/* X_PM_TMR_BLK */
	memcpy(&a, fadt + 40, 4);
	dsdt = table(a, "DSDT");
	ck_assert_ptr_nonnull(memmem(dsdt, 60, "_S5_", 4));
	/* MADT: 4 enabled CPUs, the IOAPIC, IRQ 0 on GSI 2. */
	memcpy(&len, madt + 4, 4);
	for (e = madt + 44; e < madt + len; e += e[1]) {
		ck_assert_uint_ge(e[1], 2);
		if (e[0] == 0) {
			ck_assert_uint_eq(e[3], cpus);
			ck_assert_uint_eq(e[4] & 1, 1);
			cpus++;
		} else if (e[0] == 1) {
			memcpy(&a, e + 4, 4);
			ck_assert_uint_eq(a, 0xfec00000);
			ioapics++;
		} else if (e[0] == 2 && e[3] == 0) {
			memcpy(&a, e + 4, 4);
			ck_assert_uint_eq(a, 2);
			overrides++;
		}
	}
	ck_assert_uint_eq(cpus, 4);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_eq(overrides, 1);
	t0 = in(0x608, 4);
	fake_ns += 1000000;				/* 1 ms */
	t1 = in(0x608, 4);
	ck_assert_uint_ge((t1 - t0) & 0xffffff, 3579);
	ck_assert_uint_le((t1 - t0) & 0xffffff, 3580);
	ck_assert_uint_eq(t1 >> 24, 0);			/* 24 bits */
	ck_assert_uint_eq(in(0x604, 2) & 1, 1);		/* SCI_EN: ACPI mode */
	out(0x604, 2, (5 << 10) | 0x2000);		/* S5 + SLP_EN */
	ck_assert_int_eq(vm.stopping, 1);
	ck_assert_int_eq(vm.status, PLUMB_EXIT_OK);
}
END_TEST

/* ---- PIC and IOAPIC: the messages they send to the local APICs ---- */

static struct plumb_msi msis[16];
static unsigned int nmsi;
static int msi_taken = 1;		/* what the fake kernel answers */

static int fake_msi(struct vm *v, const struct plumb_msi *m)
{
	(void)v;
	if (nmsi < 16)
		msis[nmsi] = *m;
	nmsi++;
	return msi_taken;
}

static void irq_setup(void)
{
	make_vm(1, true);
	irq_signal_msi = fake_msi;
	nmsi = 0;
	msi_taken = 1;
}

static void pic_init_pair(void)
{
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01);
}

START_TEST(pic)
{
	pic_init_pair();
	ck_assert_uint_eq(inb(0x21), 0);		/* ICW1 clears the IMR */
	outb(0x21, 0xfe);				/* only IRQ 0 */
	outb(0xa1, 0xff);
	ck_assert_uint_eq(inb(0x21), 0xfe);
	irq_set(&vm, 3, true);				/* masked: nothing */
	ck_assert_uint_eq(nmsi, 0);
	irq_pulse(&vm, 0);
	ck_assert_uint_eq(nmsi, 1);			/* ExtINT, vector 0x20 */
	ck_assert_uint_eq(msis[0].data, 0x720);
	outb(0x20, 0x0b);				/* OCW3: read ISR */
	ck_assert_uint_eq(inb(0x20), 0x01);		/* INTA done: in service */
	irq_pulse(&vm, 0);				/* waits for the EOI */
	ck_assert_uint_eq(nmsi, 1);
	outb(0x20, 0x20);				/* non-specific EOI */
	ck_assert_uint_eq(nmsi, 2);
	ck_assert_uint_eq(msis[1].data, 0x720);
	outb(0x20, 0x20);
	ck_assert_uint_eq(inb(0x20), 0);
	/* The slave's IRQ 12 through the cascade: vector 0x28 + 4. */
	outb(0x21, 0xfb);
	outb(0xa1, 0xef);
	irq_pulse(&vm, 12);
	ck_assert_uint_eq(nmsi, 3);
	ck_assert_uint_eq(msis[2].data, 0x72c);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	/* Refused by every vCPU: the request stays in IRR for later. */
	msi_taken = 0;
	irq_pulse(&vm, 12);
	ck_assert_uint_ge(nmsi, 4);
	outb(0xa0, 0x0a);				/* OCW3: read IRR */
	ck_assert_uint_eq(inb(0xa0), 0x10);
	msi_taken = 1;
	nmsi = 5;
	outb(0xa1, 0xef);				/* any change offers it again */
	ck_assert_uint_eq(nmsi, 6);
	ck_assert_uint_eq(inb(0xa0), 0x00);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	/* Level-triggered (ELCR) IRQ 10 stays requested while high. */
	out(0x4d0, 2, 0x0400);
	ck_assert_uint_eq(in(0x4d0, 2), 0x0400);
	out(0x4d0, 2, 0xffff);
	ck_assert_uint_eq(in(0x4d0, 2), 0xdef8);	/* 0-2, 8, 13 edge only */
	out(0x4d0, 2, 0x0400);
	outb(0xa1, 0xfb);
	irq_set(&vm, 10, true);
	ck_assert_uint_eq(nmsi, 7);
	ck_assert_uint_eq(msis[6].data, 0x72a);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	ck_assert_uint_eq(nmsi, 8);			/* still high: again */
	irq_set(&vm, 10, false);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	ck_assert_uint_eq(nmsi, 8);
	/* Poll mode: OCW3 poll, the read acknowledges. */
	outb(0x21, 0xfe);
	msi_taken = 0;
	irq_pulse(&vm, 0);
	outb(0x20, 0x0c);
	ck_assert_uint_eq(inb(0x20), 0x80);
	ck_assert_uint_eq(vm.unhandled, 0);
}
END_TEST

static void ioapic_write(unsigned int idx, uint32_t v)
{
	uint64_t d = idx;

	io_dispatch(&vm, BUS_MMIO, 0, 0xfec00000, 4, true, &d);
	d = v;
	io_dispatch(&vm, BUS_MMIO, 0, 0xfec00010, 4, true, &d);
}

static uint32_t ioapic_read(unsigned int idx)
{
	uint64_t d = idx;

	io_dispatch(&vm, BUS_MMIO, 0, 0xfec00000, 4, true, &d);
	d = 0;
	io_dispatch(&vm, BUS_MMIO, 0, 0xfec00010, 4, false, &d);
	return (uint32_t)d;
}

START_TEST(ioapic)
{
	outb(0x21, 0xff);				/* PIC masked */
	outb(0xa1, 0xff);
	ck_assert_uint_eq(ioapic_read(1), 0x00170011);	/* 24 pins, v0x11 */
	ck_assert_uint_eq(ioapic_read(0x10) & (1U << 16), 1U << 16);
	/* Pin 2 (ISA IRQ 0): edge, vector 0x30, to APIC ID 1. */
	ioapic_write(0x15, 1U << 24);
	ioapic_write(0x14, 0x30);
	irq_pulse(&vm, 0);
	ck_assert_uint_eq(nmsi, 1);
	ck_assert_uint_eq(msis[0].address_lo, 0xfee01000);
	ck_assert_uint_eq(msis[0].data & 0xc7ff, 0x4030);
	/* Pin 4 (the UART): logical, lowest priority, masked then unmasked. */
	ioapic_write(0x19, 0x03U << 24);
	ioapic_write(0x18, 0x10931);
	irq_set(&vm, 4, true);
	ck_assert_uint_eq(nmsi, 1);
	ioapic_write(0x18, 0x00931);			/* edge: no late delivery */
	ck_assert_uint_eq(nmsi, 1);
	irq_set(&vm, 4, false);
	irq_set(&vm, 4, true);
	ck_assert_uint_eq(nmsi, 2);
	ck_assert_uint_eq(msis[1].address_lo, 0xfee03004);
	ck_assert_uint_eq(msis[1].data & 0xc7ff, 0x4131);
	irq_set(&vm, 4, false);
	/* Pin 20: level. Remote IRR holds until the EOI of its vector. */
	ioapic_write(0x38, 0x08040);
	irq_set(&vm, 20, true);
	ck_assert_uint_eq(nmsi, 3);
	ck_assert_uint_eq(msis[2].data, 0xc040);
	ck_assert_uint_eq(ioapic_read(0x38) & (1U << 14), 1U << 14);
	ioapic_write(0x38, 0x08040);			/* Remote IRR read-only */
	ck_assert_uint_eq(ioapic_read(0x38) & (1U << 14), 1U << 14);
	irq_eoi(&vm, 0x41);				/* another vector */
	ck_assert_uint_eq(nmsi, 3);
	irq_eoi(&vm, 0x40);				/* still high: again */
	ck_assert_uint_eq(nmsi, 4);
	irq_set(&vm, 20, false);
	irq_eoi(&vm, 0x40);
	ck_assert_uint_eq(nmsi, 4);
	ck_assert_uint_eq(ioapic_read(0x38) & (1U << 14), 0);
	/* Out-of-range registers and lines are ignored. */
	ioapic_write(0x40, 0x1234);
	ck_assert_uint_eq(ioapic_read(0x40), 0xffffffff);
	irq_set(&vm, 99, true);
	ck_assert_uint_eq(nmsi, 4);
	/* The UART's line follows IER/IIR and OUT2 onto pin 4. */
	outb(0x3fc, 0x08);				/* OUT2 */
	outb(0x3f9, 0x02);				/* THRE interrupt */
	ck_assert_uint_eq(nmsi, 5);
	ck_assert_uint_eq(msis[4].data & 0xff, 0x31);
	ck_assert_uint_eq(inb(0x3fa) & 0x0f, 0x02);	/* IIR: THRE, acked */
	outb(0x3f8, 'x');				/* THR empty again: new edge */
	ck_assert_uint_eq(nmsi, 6);
	/* pc-testdev's IRQ ports drive the same lines. */
	outb(0x2014, 1);
	ck_assert_uint_eq(nmsi, 7);
	ck_assert_uint_eq(msis[6].data & 0xff, 0x40);
	ck_assert_uint_eq(vm.unhandled, 0);
}
END_TEST

static Suite *devices_suite(void)
{
	Suite *s = suite_create("devices");
	TCase *t = tcase_create("devices");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, uart_transmit);
	tcase_add_test(t, uart_output_unflushed);
	tcase_add_test(t, uart_dlab);
	tcase_add_test(t, uart_loopback);
	tcase_add_test(t, uart_fifo_and_iir);
	tcase_add_test(t, uart_wide_access);
	tcase_add_test(t, console_escape);
	tcase_add_test(t, debug_exit);
	tcase_add_test(t, shutdown_port);
	tcase_add_test(t, fw_cfg);
	tcase_add_test(t, i8042);
	tcase_add_test(t, port92_reset);
	tcase_add_test(t, rtc);
	tcase_add_test(t, rtc_year_window);
	tcase_add_test(t, string_io_record_bounds);
	tcase_add_test(t, output_reader_gone);
	tcase_add_test(t, string_io_record_one_too_many);
	tcase_add_test(t, pit_channel2_gate);
	tcase_add_test(t, pit_modes);
	tcase_add_test(t, pc_testdev);
	tcase_add_test(t, pc_testdev_off);
	tcase_add_test(t, legacy_ports);
	tcase_add_test(t, unhandled);
	tcase_add_test(t, bus_overlap);
	tcase_add_test(t, acpi);
	suite_add_tcase(s, t);
	t = tcase_create("irq");
	tcase_add_checked_fixture(t, irq_setup, teardown);
	tcase_add_test(t, pic);
	tcase_add_test(t, ioapic);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(devices_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
