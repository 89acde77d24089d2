// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace devices' register semantics, driven through the bus as the
 * vCPU threads drive them, on a VM without a kernel (no /dev/plumb needed).
 */
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
	ck_assert_int_eq(vm_init_devices(&vm), 0);
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
	vm_fini_devices(&vm);
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

	vm_flush_devices(&vm);
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
	ck_assert_int_ne(io_register(&vm, BUS_PIO, 0x3fc, 2, NULL, NULL, "x", 0), 0);
	ck_assert_int_ne(io_register(&vm, BUS_PIO, 0x10, 0, NULL, NULL, "x", 0), 0);
	ck_assert_int_eq(io_register(&vm, BUS_PIO, 0x400, 2, NULL, NULL, "x", 0), 0);
}
END_TEST

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

START_TEST(acpi)
{
	const uint8_t *rsdp, *rsdt, *fadt;
	uint32_t a, t0, t1;

	teardown();
	make_vm_ram(1, false, true);
	rsdp = gmem_ptr(&vm.mem, 0xf0000, 20);
	ck_assert(!memcmp(rsdp, "RSD PTR ", 8));
	ck_assert_uint_eq(sum(rsdp, 20), 0);
	memcpy(&a, rsdp + 16, 4);
	rsdt = gmem_ptr(&vm.mem, a, 40);
	ck_assert(!memcmp(rsdt, "RSDT", 4));
	ck_assert_uint_eq(sum(rsdt, 40), 0);
	memcpy(&a, rsdt + 36, 4);
	fadt = gmem_ptr(&vm.mem, a, 116);
	ck_assert(!memcmp(fadt, "FACP", 4));
	ck_assert_uint_eq(sum(fadt, 116), 0);
	memcpy(&a, fadt + 76, 4);
	ck_assert_uint_eq(a, 0x608);			/* PM_TMR_BLK */
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

static Suite *devices_suite(void)
{
	Suite *s = suite_create("devices");
	TCase *t = tcase_create("devices");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, uart_transmit);
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
	tcase_add_test(t, pit_channel2_gate);
	tcase_add_test(t, pit_modes);
	tcase_add_test(t, pc_testdev);
	tcase_add_test(t, pc_testdev_off);
	tcase_add_test(t, legacy_ports);
	tcase_add_test(t, unhandled);
	tcase_add_test(t, bus_overlap);
	tcase_add_test(t, acpi);
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
