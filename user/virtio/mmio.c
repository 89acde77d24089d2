// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-mmio transport, version 2 (virtio 1.2, 4.2.2): a 0x200-byte
 * register block per device at VIRTIO_MMIO_BASE + i * 0x1000, interrupt
 * line 16 + i (IOAPIC-only, level). A Linux guest learns of them from the
 * DSDT (--virtio mmio: LNRO0005 devices, which Linux's virtio_mmio
 * matches; Debian builds it without command-line devices) or from
 * "virtio_mmio.device=512@ADDR:IRQ" on its command line
 * (--virtio mmio-cmdline).
 *
 * QueueNotify (0x50) is a posted write: the guest does not wait for it,
 * and the event thread is woken when the vCPU's ring is read. The block is
 * registered as three ranges so that only the notify register is posted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_mmio.h>

#include "virtio/virtio.h"

#define MMIO_MAGIC	0x74726976	/* "virt" */
#define MMIO_VENDOR	0x554d4551	/* "QEMU", as every VMM answers */

struct vmmio_part {
	struct virtio_dev *d;
	uint64_t off;			/* of the range in the block */
};

struct vmmio {
	struct vmmio_part part[3];
};

static struct virtq *sel_queue(struct virtio_dev *d)
{
	return d->queue_sel < d->ops->nqueues ? &d->vq[d->queue_sel] : NULL;
}

static uint32_t reg_read(struct virtio_dev *d, uint64_t off)
{
	struct virtq *q = sel_queue(d);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return virtio_read_features(d);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? q->max_size : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&d->isr, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return d->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return d->config_gen;
	default:
		return 0;
	}
}

static void set_half(uint64_t *v, bool high, uint32_t x)
{
	*v = high ? (*v & 0xffffffffULL) | ((uint64_t)x << 32) :
		    (*v & ~0xffffffffULL) | x;
}

static void reg_write(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	struct virtq *q = sel_queue(d);
	/* Queue layout is fixed once the queue is ready (4.2.2.3). */
	bool q_open = q && !q->ready;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		d->dfsel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		virtio_write_features(d, v);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		d->gfsel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		d->queue_sel = (uint16_t)(v < 0x10000 ? v : 0xffff);
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (q_open)
			q->size = (uint16_t)(v < 0x10000 ? v : 0);
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!q)
			break;
		if (v && !q->ready)
			virtq_enable(d, q);
		else if (!v)
			virtq_disable(q);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_and_fetch(&d->isr, ~v, __ATOMIC_SEQ_CST);
		__atomic_store_n(&d->intx_dirty, true, __ATOMIC_SEQ_CST);
		break;
	case VIRTIO_MMIO_STATUS:
		virtio_set_status(d, (uint8_t)v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (q_open)
			set_half(&q->desc_gpa, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (q_open)
			set_half(&q->avail_gpa, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (q_open)
			set_half(&q->used_gpa, off == VIRTIO_MMIO_QUEUE_USED_HIGH, v);
		break;
	default:
		break;		/* read-only or unknown: ignored */
	}
}

static void vmmio_io(void *opaque, struct io_req *r)
{
	struct vmmio_part *p = opaque;
	struct virtio_dev *d = p->d;
	uint64_t off = p->off + r->addr;

	if (off == VIRTIO_MMIO_QUEUE_NOTIFY) {
		/* Posted, and no device lock: only the event thread is woken. */
		if (r->write && r->size == 4)
			virtio_kick(d, (unsigned int)r->data);
		return;
	}
	pthread_mutex_lock(&d->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		if (r->write)
			virtio_config_write(d, off - VIRTIO_MMIO_CONFIG, r->size, r->data);
		else
			r->data = virtio_config_read(d, off - VIRTIO_MMIO_CONFIG, r->size);
	} else if (r->size != 4 || (off & 3)) {
		/* 4.2.2.2: registers are 32-bit only. */
		r->data = 0;
	} else if (r->write) {
		reg_write(d, off, (uint32_t)r->data);
	} else {
		r->data = reg_read(d, off);
	}
	pthread_mutex_unlock(&d->lock);
	virtio_update_intx(d);
}

static const struct virtio_transport vmmio_transport = {
	.signal = virtio_signal_isr,
};

int virtio_mmio_add(struct virtio_dev *d)
{
	struct vm *vm = d->vm;
	uint64_t base = VIRTIO_MMIO_BASE + vm->nvirtio_mmio * VIRTIO_MMIO_STRIDE;
	struct vmmio *m;
	int ret;

	if (vm->nvirtio_mmio == VIRTIO_MMIO_MAX)
		return -ENOSPC;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->part[0] = (struct vmmio_part){ d, 0 };
	m->part[1] = (struct vmmio_part){ d, VIRTIO_MMIO_QUEUE_NOTIFY };
	m->part[2] = (struct vmmio_part){ d, VIRTIO_MMIO_QUEUE_NOTIFY + 4 };
	ret = io_register(vm, BUS_MMIO, base, VIRTIO_MMIO_QUEUE_NOTIFY, vmmio_io,
			  &m->part[0], NULL, d->name, 0);
	if (!ret)
		ret = io_register(vm, BUS_MMIO, base + VIRTIO_MMIO_QUEUE_NOTIFY, 4,
				  vmmio_io, &m->part[1], NULL, d->name,
				  d->ops->notify_exits ? 0 : IO_POSTED);
	if (!ret)
		ret = io_register(vm, BUS_MMIO, base + VIRTIO_MMIO_QUEUE_NOTIFY + 4,
				  VIRTIO_MMIO_SIZE - VIRTIO_MMIO_QUEUE_NOTIFY - 4,
				  vmmio_io, &m->part[2], NULL, d->name, 0);
	if (ret) {
		free(m);
		return ret;
	}
	d->transport = &vmmio_transport;
	d->tdata = m;
	d->irq_line = VIRTIO_MMIO_FIRST_LINE + vm->nvirtio_mmio;
	vm->nvirtio_mmio++;
	if (vm->cfg->virtio != VIRTIO_MMIO_CMDLINE)
		return 0;
	return vm_cmdline_add(vm, "virtio_mmio.device=%" PRIu64 "@%#" PRIx64 ":%u",
			      (uint64_t)VIRTIO_MMIO_SIZE, base, d->irq_line);
}

/*
 * Device (VRnn) {
 *	Name (_HID, "LNRO0005") Name (_UID, nn)
 *	Name (_CRS, ResourceTemplate () {
 *		Memory32Fixed (ReadWrite, BASE + nn * 0x1000, 0x200)
 *		Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { 16 + nn }
 *	})
 * }
 * at the namespace root: 61 bytes each.
 */
#define AML_DEV_LEN	61

size_t virtio_mmio_aml(unsigned int n, uint8_t *buf, size_t room)
{
	static const uint8_t tmpl[AML_DEV_LEN] = {
		0x5b, 0x82, 0x3b, 'V', 'R', '0', '0',
		0x08, '_', 'H', 'I', 'D', 0x0d,
		'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
		0x08, '_', 'U', 'I', 'D', 0x0a, 0x00,
		0x08, '_', 'C', 'R', 'S', 0x11, 0x1a, 0x0a, 0x17,
		0x86, 0x09, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x02, 0x00, 0x00,
		0x89, 0x06, 0x00, 0x01, 0x01, 0, 0, 0, 0,
		0x79, 0x00,
	};
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < n && i < VIRTIO_MMIO_MAX && room - done >= sizeof(tmpl); i++) {
		uint8_t *d = buf + done;
		uint32_t base = (uint32_t)(VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_STRIDE);
		uint32_t line = VIRTIO_MMIO_FIRST_LINE + i;

		memcpy(d, tmpl, sizeof(tmpl));
		d[5] = (uint8_t)('0' + i / 10);
		d[6] = (uint8_t)('0' + i % 10);
		d[28] = (uint8_t)i;
		memcpy(d + 42, &base, 4);
		memcpy(d + 55, &line, 4);
		done += sizeof(tmpl);
	}
	return done;
}
