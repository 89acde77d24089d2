// SPDX-License-Identifier: GPL-2.0
/*
 * The MC146818 RTC and CMOS RAM (index 0x70, bit 7 = NMI mask; data 0x71).
 * The clock is the host's (UTC), in BCD or binary and 12/24-hour as
 * register B asks; a guest's writes to the time registers are kept as an
 * offset from the host clock. Register A shows no update in progress.
 * The memory-size bytes follow the PC/QEMU layout: 0x15-0x18 and
 * 0x30-0x31 in KiB, 0x34-0x35 above 16 MiB and 0x5b-0x5d above 4 GiB in
 * 64 KiB units, 0x5f the vCPU count - 1.
 *
 * Interrupts on ISA IRQ 8: the periodic interrupt at register A's rate
 * (PIE), update-ended once a second (UIE) and the alarm (AIE, with the
 * "don't care" values 0xc0-0xff), flagged in register C, whose read
 * clears the flags and lowers the line. The timers run only while an
 * interrupt is enabled; periods below 1 ms (rates above 1024 Hz) are
 * stretched to 1 ms (docs/decisions.md, 59).
 *
 * The guest's date stays within 1900-01-01 00:00:00 .. 2099-12-31
 * 23:59:59 UTC, what the century byte (0x32: 19 or 20) can express: a
 * write that would leave it is ignored, and a clock that runs past the
 * end stops there (decision 85).
 */
#include <string.h>
#include <time.h>

#include "vm.h"

#define RTC_PORT	0x70
#define REG_A		0x0a
#define REG_B		0x0b
#define REG_C		0x0c
#define REG_D		0x0d
#define B_24H		0x02
#define B_BINARY	0x04
#define B_SET		0x80
#define B_PIE		0x40
#define B_AIE		0x20
#define B_UIE		0x10
#define C_IRQF		0x80
#define C_PF		0x40
#define C_AF		0x20
#define C_UF		0x10
#define RTC_MIN_PERIOD_NS	1000000ULL

struct rtc {
	pthread_mutex_t lock;		/* the state below; io_dispatch takes it */
	uint8_t index;
	uint8_t ram[128];
	time_t offset;		/* guest time - host time */
	struct vm *vm;
	struct vtimer periodic, second;
};

static uint8_t to_bcd(int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static int from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static uint8_t enc(struct rtc *rtc, int v)
{
	return (rtc->ram[REG_B] & B_BINARY) ? (uint8_t)v : to_bcd(v);
}

static int dec(struct rtc *rtc, uint8_t v)
{
	return (rtc->ram[REG_B] & B_BINARY) ? v : from_bcd(v);
}

#define RTC_FIRST	(-2208988800LL)	/* 1900-01-01 00:00:00 UTC */
#define RTC_LAST	4102444799LL	/* 2099-12-31 23:59:59 UTC */

static bool in_window(time_t t)
{
	return t >= RTC_FIRST && t <= RTC_LAST;
}

/* The guest's date; every field set, whatever the offset says. */
static void now(struct rtc *rtc, struct tm *tm)
{
	time_t t = time(NULL) + rtc->offset;

	if (t < RTC_FIRST)
		t = RTC_FIRST;
	else if (t > RTC_LAST)
		t = RTC_LAST;
	memset(tm, 0, sizeof(*tm));
	if (!gmtime_r(&t, tm)) {
		/* Cannot happen within the window; never leave fields unset. */
		memset(tm, 0, sizeof(*tm));
		tm->tm_year = 100;
		tm->tm_mday = 1;
	}
}

static uint8_t read_time(struct rtc *rtc, uint8_t reg)
{
	struct tm tm;
	int h;

	now(rtc, &tm);
	switch (reg) {
	case 0x00:
		return enc(rtc, tm.tm_sec);
	case 0x02:
		return enc(rtc, tm.tm_min);
	case 0x04:
		if (rtc->ram[REG_B] & B_24H)
			return enc(rtc, tm.tm_hour);
		h = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
		return (uint8_t)(enc(rtc, h) | (tm.tm_hour >= 12 ? 0x80 : 0));
	case 0x06:
		return enc(rtc, tm.tm_wday + 1);
	case 0x07:
		return enc(rtc, tm.tm_mday);
	case 0x08:
		return enc(rtc, tm.tm_mon + 1);
	case 0x09:
		return enc(rtc, tm.tm_year % 100);
	case 0x32:
		return enc(rtc, 19 + tm.tm_year / 100);
	default:
		return rtc->ram[reg];
	}
}

/* A guest setting the clock moves its offset from the host's clock. */
static void write_time(struct rtc *rtc, uint8_t reg, uint8_t v)
{
	struct tm tm;
	time_t t;

	now(rtc, &tm);
	switch (reg) {
	case 0x00:
		tm.tm_sec = dec(rtc, v);
		break;
	case 0x02:
		tm.tm_min = dec(rtc, v);
		break;
	case 0x04:
		if (rtc->ram[REG_B] & B_24H)
			tm.tm_hour = dec(rtc, v);
		else
			tm.tm_hour = dec(rtc, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
		break;
	case 0x07:
		tm.tm_mday = dec(rtc, v);
		break;
	case 0x08:
		tm.tm_mon = dec(rtc, v) - 1;
		break;
	case 0x09:
		tm.tm_year = (tm.tm_year / 100) * 100 + dec(rtc, v);
		break;
	default:
		return;
	}
	t = timegm(&tm);
	if (t != (time_t)-1 && in_window(t))
		rtc->offset = t - time(NULL);
}

/* Raise flags in register C; IRQ 8 follows IRQF (rtc->lock held). */
static void raise_flags(struct rtc *rtc, struct vm *vm, uint8_t flags)
{
	uint8_t b = rtc->ram[REG_B], c = rtc->ram[REG_C] | flags;

	if ((c & C_PF && b & B_PIE) || (c & C_AF && b & B_AIE) ||
	    (c & C_UF && b & B_UIE))
		c |= C_IRQF;
	rtc->ram[REG_C] = c;
	irq_set(vm, 8, c & C_IRQF);
}

static bool alarm_matches(struct rtc *rtc)
{
	static const uint8_t regs[3][2] = { { 0x01, 0x00 }, { 0x03, 0x02 },
					    { 0x05, 0x04 } };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		uint8_t want = rtc->ram[regs[i][0]];

		if (want < 0xc0 && want != read_time(rtc, regs[i][1]))
			return false;
	}
	return true;
}

static void periodic_tick(struct vm *vm, void *opaque)
{
	struct rtc *rtc = opaque;

	pthread_mutex_lock(&rtc->lock);
	raise_flags(rtc, vm, C_PF);
	pthread_mutex_unlock(&rtc->lock);
}

static void second_tick(struct vm *vm, void *opaque)
{
	struct rtc *rtc = opaque;

	pthread_mutex_lock(&rtc->lock);
	if (!(rtc->ram[REG_B] & B_SET))
		raise_flags(rtc, vm, C_UF | (alarm_matches(rtc) ? C_AF : 0));
	pthread_mutex_unlock(&rtc->lock);
}

/* Timers for what register A and B enable now. */
static void rearm(struct rtc *rtc)
{
	unsigned int rate = rtc->ram[REG_A] & 0x0f;
	uint64_t ns, now_ns;

	if (!rtc->vm || rtc->periodic.fd < 0)
		return;
	if ((rtc->ram[REG_B] & B_PIE) && rate) {
		/* 32768 Hz >> (rate - 1); rates 1 and 2 are 256 and 128 Hz. */
		if (rate < 3)
			rate += 7;
		ns = (1000000000ULL << (rate - 1)) / 32768;
		if (ns < RTC_MIN_PERIOD_NS)
			ns = RTC_MIN_PERIOD_NS;
		vtimer_arm(&rtc->periodic, ns, ns);
	} else {
		vtimer_arm(&rtc->periodic, 0, 0);
	}
	if (rtc->ram[REG_B] & (B_UIE | B_AIE)) {
		/* At the host clock's next whole second. */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		now_ns = (uint64_t)ts.tv_nsec;
		vtimer_arm(&rtc->second, 1000000000ULL - now_ns, 1000000000ULL);
	} else {
		vtimer_arm(&rtc->second, 0, 0);
	}
}

static void rtc_io(void *opaque, struct io_req *r)
{
	struct rtc *rtc = opaque;
	uint8_t reg = rtc->index & 0x7f;

	if (r->addr == 0) {
		if (r->write)
			rtc->index = (uint8_t)r->data;
		else
			r->data = 0xff;		/* the index port is write-only */
		return;
	}
	if (!r->write) {
		r->data = read_time(rtc, reg);
		if (reg == REG_C) {
			rtc->ram[REG_C] = 0;	/* flags clear on read */
			irq_set(r->vm, 8, false);
		}
		return;
	}
	switch (reg) {
	case REG_A:
		rtc->ram[REG_A] = (uint8_t)(r->data & 0x7f);	/* UIP is read-only */
		rearm(rtc);
		break;
	case REG_B:
		rtc->ram[REG_B] = (uint8_t)r->data;
		rearm(rtc);
		break;
	case REG_C:
	case REG_D:
		break;				/* read-only */
	case 0x00: case 0x02: case 0x04: case 0x06:
	case 0x07: case 0x08: case 0x09:
		write_time(rtc, reg, (uint8_t)r->data);
		break;
	default:
		rtc->ram[reg] = (uint8_t)r->data;
		break;
	}
}

static void set16(struct rtc *rtc, uint8_t lo, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	rtc->ram[lo] = (uint8_t)v;
	rtc->ram[lo + 1] = (uint8_t)(v >> 8);
}

static int rtc_init(struct vm *vm, void *priv)
{
	struct rtc *rtc = priv;
	uint64_t low = vm->mem.low_size, high = vm->mem.high_size;
	int ret;

	pthread_mutex_init(&rtc->lock, NULL);
	rtc->vm = vm;
	ret = vtimer_init(vm, &rtc->periodic, periodic_tick, rtc);
	if (!ret)
		ret = vtimer_init(vm, &rtc->second, second_tick, rtc);
	if (ret)
		return ret;
	rtc->ram[REG_A] = 0x26;		/* 32.768 kHz, 1024 Hz rate */
	rtc->ram[REG_B] = B_24H;		/* BCD, 24 hours, no interrupts */
	rtc->ram[REG_D] = 0x80;		/* valid RAM and time */
	set16(rtc, 0x15, 640);
	set16(rtc, 0x17, low > MiB ? (low - MiB) / KiB : 0);
	set16(rtc, 0x30, low > MiB ? (low - MiB) / KiB : 0);
	set16(rtc, 0x34, low > 16 * MiB ? (low - 16 * MiB) / (64 * KiB) : 0);
	rtc->ram[0x5b] = (uint8_t)(high >> 16);
	rtc->ram[0x5c] = (uint8_t)(high >> 24);
	rtc->ram[0x5d] = (uint8_t)(high >> 32);
	rtc->ram[0x5f] = (uint8_t)(vm->ncpus - 1);
	return io_register(vm, BUS_PIO, RTC_PORT, 2, rtc_io, rtc, &rtc->lock,
			   "rtc-cmos", 0);
}

static void rtc_fini(struct vm *vm, void *priv)
{
	struct rtc *rtc = priv;

	if (rtc->vm != vm)
		return;
	vtimer_fini(vm, &rtc->periodic);
	vtimer_fini(vm, &rtc->second);
}

static struct device_type rtc_type = {
	.name = "rtc",
	.level = DEVICE_DEV,
	.priv_size = sizeof(struct rtc),
	.init = rtc_init,
	.fini = rtc_fini,
};
DEVICE_REGISTER(rtc_type);
