// SPDX-License-Identifier: GPL-2.0
/*
 * The modern virtio-pci transport (virtio 1.2, 4.1): vendor 0x1af4, device
 * 0x1040 + the virtio device ID, revision 1, no legacy interface. One
 * 32-bit memory BAR (BAR 0, 16 KiB) holds every structure the vendor
 * capabilities point at:
 *
 *   0x0000  common configuration	0x1000  ISR status
 *   0x2000  device configuration	0x2800  MSI-X table, 0x2c00 its PBA
 *   0x3000  notifications (queue i at 0x3000 + 4 i): a posted range
 *
 * plus the PCI configuration access capability (4.1.4.9). Interrupts are
 * MSI-X (one vector per queue and one for configuration changes) sent
 * with irq_msi; without MSI-X enabled, the ISR and an INTx line.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_pci.h>

#include "dev/pci.h"
#include "virtio/virtio.h"

#define BAR_SIZE	0x4000
#define COMMON_AT	0x0000
#define ISR_AT		0x1000
#define DEVCFG_AT	0x2000
#define MSIX_TABLE_AT	0x2800
#define MSIX_PBA_AT	0x2c00
#define NOTIFY_AT	0x3000
#define NOTIFY_MULT	4

#define CAP_MSIX	0x40
#define CAP_COMMON	0x50
#define CAP_NOTIFY	0x60
#define CAP_ISR		0x78
#define CAP_DEVCFG	0x88
#define CAP_PCICFG	0x98

#define MSIX_MAX	(VIRTIO_MAX_QUEUES + 1)

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct vpci {
	struct pci_dev pci;
	struct virtio_dev *d;
	unsigned int nvec;
	/* Device lock: the table, PBA and the control word's copy. */
	struct msix_entry table[MSIX_MAX];
	uint64_t pba;
	bool msix_on, msix_masked;
};

static struct vpci *vp_of(struct virtio_dev *d)
{
	return d->tdata;
}

/* ---- MSI-X (PCI Local Bus 3.0, 6.8.2) ---- */

static void msix_send(struct vpci *vp, unsigned int vec)
{
	const struct msix_entry *e = &vp->table[vec];

	if (vp->msix_masked || (e->ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT)) {
		vp->pba |= 1ULL << vec;
		return;
	}
	irq_msi(vp->d->vm, (uint64_t)e->addr_hi << 32 | e->addr_lo, e->data);
}

/* A vector unmasked: send what it held back. */
static void msix_flush(struct vpci *vp)
{
	unsigned int v;

	for (v = 0; v < vp->nvec; v++) {
		if (!(vp->pba & (1ULL << v)) || vp->msix_masked ||
		    (vp->table[v].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT))
			continue;
		vp->pba &= ~(1ULL << v);
		msix_send(vp, v);
	}
}

static void vpci_signal(struct virtio_dev *d, struct virtq *q)
{
	struct vpci *vp = vp_of(d);
	uint16_t vec = q ? q->vector : d->config_vector;

	if (!vp->msix_on) {
		virtio_signal_isr(d, q);
		return;
	}
	if (vec < vp->nvec)
		msix_send(vp, vec);
}

static const struct virtio_transport vpci_transport = {
	.signal = vpci_signal,
};

/* ---- the BAR ---- */

static struct virtq *sel_queue(struct virtio_dev *d)
{
	return d->queue_sel < d->ops->nqueues ? &d->vq[d->queue_sel] : NULL;
}

static uint64_t common_read(struct virtio_dev *d, unsigned int off)
{
	struct virtq *q = sel_queue(d);

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return d->dfsel;
	case VIRTIO_PCI_COMMON_DF:
		return virtio_read_features(d);
	case VIRTIO_PCI_COMMON_GFSELECT:
		return d->gfsel;
	case VIRTIO_PCI_COMMON_GF:
		return d->gfsel < 2 ? (uint32_t)(d->guest_features >> (32 * d->gfsel)) : 0;
	case VIRTIO_PCI_COMMON_MSIX:
		return d->config_vector;
	case VIRTIO_PCI_COMMON_NUMQ:
		return d->ops->nqueues;
	case VIRTIO_PCI_COMMON_STATUS:
		return d->status;
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return d->config_gen;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		return d->queue_sel;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return q ? q->size : 0;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return q ? q->vector : VIRTIO_NO_VECTOR;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return q ? q->ready : 0;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return q ? q->index : 0;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
		return q ? (uint32_t)q->desc_gpa : 0;
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		return q ? q->desc_gpa >> 32 : 0;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
		return q ? (uint32_t)q->avail_gpa : 0;
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		return q ? q->avail_gpa >> 32 : 0;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
		return q ? (uint32_t)q->used_gpa : 0;
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return q ? q->used_gpa >> 32 : 0;
	default:
		return 0;
	}
}

static void set_half(uint64_t *v, bool high, uint32_t x)
{
	*v = high ? (*v & 0xffffffffULL) | ((uint64_t)x << 32) :
		    (*v & ~0xffffffffULL) | x;
}

static uint16_t checked_vector(struct vpci *vp, uint64_t v)
{
	/* 4.1.5.1.2: an unusable vector reads back as NO_VECTOR. */
	return v < vp->nvec ? (uint16_t)v : VIRTIO_NO_VECTOR;
}

static void common_write(struct vpci *vp, unsigned int off, uint64_t v)
{
	struct virtio_dev *d = vp->d;
	struct virtq *q = sel_queue(d);
	bool q_open = q && !q->ready;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		d->dfsel = (uint32_t)v;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		d->gfsel = (uint32_t)v;
		break;
	case VIRTIO_PCI_COMMON_GF:
		virtio_write_features(d, (uint32_t)v);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		d->config_vector = checked_vector(vp, v);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		virtio_set_status(d, (uint8_t)v);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		d->queue_sel = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (q_open)
			q->size = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (q)
			q->vector = checked_vector(vp, v);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (q_open && v == 1)
			virtq_enable(d, q);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		if (q_open)
			set_half(&q->desc_gpa, off == VIRTIO_PCI_COMMON_Q_DESCHI, (uint32_t)v);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		if (q_open)
			set_half(&q->avail_gpa, off == VIRTIO_PCI_COMMON_Q_AVAILHI, (uint32_t)v);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		if (q_open)
			set_half(&q->used_gpa, off == VIRTIO_PCI_COMMON_Q_USEDHI, (uint32_t)v);
		break;
	default:
		break;		/* read-only or unknown */
	}
}

/* Natural size and alignment of each common field (4.1.4.3). */
static unsigned int common_width(unsigned int off)
{
	if (off < VIRTIO_PCI_COMMON_MSIX)
		return 4;
	if (off < VIRTIO_PCI_COMMON_STATUS)
		return 2;
	if (off < VIRTIO_PCI_COMMON_Q_SELECT)
		return 1;
	if (off < VIRTIO_PCI_COMMON_Q_DESCLO)
		return 2;
	if (off < VIRTIO_PCI_COMMON_Q_NDATA)
		return 4;
	return 0;
}

static void msix_access(struct vpci *vp, unsigned int off, struct io_req *r)
{
	if (off >= MSIX_PBA_AT) {
		off -= MSIX_PBA_AT;
		if (!r->write && off < 8)
			r->data = vp->pba >> (8 * off);
		return;
	}
	off -= MSIX_TABLE_AT;
	if (off / 16 >= vp->nvec || (r->size != 4 && r->size != 8) || (off & 3)) {
		if (!r->write)
			r->data = 0;
		return;
	}
	if (r->write) {
		uint32_t *w = (uint32_t *)&vp->table[off / 16] + (off % 16) / 4;

		w[0] = (uint32_t)r->data;
		if (r->size == 8 && (off % 16) < 12)
			w[1] = (uint32_t)(r->data >> 32);
		msix_flush(vp);
	} else {
		const uint32_t *w = (const uint32_t *)&vp->table[off / 16] + (off % 16) / 4;

		r->data = w[0];
		if (r->size == 8 && (off % 16) < 12)
			r->data |= (uint64_t)w[1] << 32;
	}
}

static void bar_access(struct vpci *vp, uint64_t off, struct io_req *r)
{
	struct virtio_dev *d = vp->d;

	if (off >= NOTIFY_AT) {
		if (r->write && (off - NOTIFY_AT) % NOTIFY_MULT == 0)
			virtio_kick(d, (unsigned int)((off - NOTIFY_AT) / NOTIFY_MULT));
		return;
	}
	pthread_mutex_lock(&d->lock);
	if (off < ISR_AT) {
		if (common_width((unsigned int)off) != r->size || (off & (r->size - 1))) {
			if (!r->write)
				r->data = 0;
		} else if (r->write) {
			common_write(vp, (unsigned int)off, r->data);
		} else {
			r->data = common_read(d, (unsigned int)off);
		}
	} else if (off < DEVCFG_AT) {
		if (!r->write && off == ISR_AT) {
			/* Reading clears it (4.1.4.5), and the line drops. */
			r->data = __atomic_exchange_n(&d->isr, 0, __ATOMIC_SEQ_CST);
			__atomic_store_n(&d->intx_dirty, true, __ATOMIC_SEQ_CST);
		}
	} else if (off < MSIX_TABLE_AT) {
		if (r->write)
			virtio_config_write(d, off - DEVCFG_AT, r->size, r->data);
		else
			r->data = virtio_config_read(d, off - DEVCFG_AT, r->size);
	} else {
		msix_access(vp, (unsigned int)off, r);
	}
	pthread_mutex_unlock(&d->lock);
	virtio_update_intx(d);
}

static void bar_io(void *opaque, struct io_req *r)
{
	struct vpci *vp = opaque;

	if (!pci_bar_active(&vp->pci, 0)) {
		if (!r->write)
			r->data = ~0ULL;
		return;
	}
	bar_access(vp, r->addr, r);
}

static void notify_io(void *opaque, struct io_req *r)
{
	struct vpci *vp = opaque;

	if (pci_bar_active(&vp->pci, 0))
		bar_access(vp, NOTIFY_AT + r->addr, r);
}

/* ---- configuration space ---- */

static void cap(struct pci_dev *p, unsigned int at, unsigned int next,
		uint8_t type, uint8_t len, uint32_t offset, uint32_t length)
{
	p->cfg[at] = PCI_CAP_ID_VNDR;
	p->cfg[at + 1] = (uint8_t)next;
	p->cfg[at + 2] = len;
	p->cfg[at + 3] = type;
	p->cfg[at + 4] = 0;			/* BAR 0 */
	pci_set32(p, at + 8, offset);
	pci_set32(p, at + 12, length);
}

/* The guest changed configuration space (the PCI bus lock held). */
static void vpci_cfg_written(struct pci_dev *p, unsigned int off, unsigned int len)
{
	struct vpci *vp = p->opaque;
	struct virtio_dev *d = vp->d;
	uint16_t ctl = (uint16_t)(p->cfg[CAP_MSIX + PCI_MSIX_FLAGS] |
				  p->cfg[CAP_MSIX + PCI_MSIX_FLAGS + 1] << 8);

	pthread_mutex_lock(&d->lock);
	vp->msix_on = ctl & PCI_MSIX_FLAGS_ENABLE;
	vp->msix_masked = ctl & PCI_MSIX_FLAGS_MASKALL;
	if (vp->msix_on)
		msix_flush(vp);
	/* The PCI configuration access window (4.1.4.9). */
	if (off + len > CAP_PCICFG + 16 && off < CAP_PCICFG + 20) {
		uint32_t boff = pci_get32(p, CAP_PCICFG + 8);
		uint32_t blen = pci_get32(p, CAP_PCICFG + 12);

		pthread_mutex_unlock(&d->lock);
		if ((blen == 1 || blen == 2 || blen == 4) && boff < BAR_SIZE &&
		    !(boff & (blen - 1)) && p->cfg[CAP_PCICFG + 4] == 0) {
			struct io_req r = {
				.vm = d->vm, .addr = boff, .size = (uint8_t)blen,
				.write = true,
			};

			memcpy(&r.data, p->cfg + CAP_PCICFG + 16, blen);
			bar_access(vp, boff, &r);
		}
		return;
	}
	pthread_mutex_unlock(&d->lock);
}

/* Reads of the access window's data fetch from the BAR first. */
static void vpci_cfg_reading(struct pci_dev *p, unsigned int off, unsigned int len)
{
	struct vpci *vp = p->opaque;
	uint32_t boff = pci_get32(p, CAP_PCICFG + 8);
	uint32_t blen = pci_get32(p, CAP_PCICFG + 12);
	struct io_req r = { .vm = vp->d->vm, .addr = boff, .size = (uint8_t)blen };

	if (off + len <= CAP_PCICFG + 16 || off >= CAP_PCICFG + 20)
		return;
	if ((blen != 1 && blen != 2 && blen != 4) || boff >= BAR_SIZE ||
	    (boff & (blen - 1)) || p->cfg[CAP_PCICFG + 4] != 0 ||
	    boff >= NOTIFY_AT)
		return;
	bar_access(vp, boff, &r);
	memcpy(p->cfg + CAP_PCICFG + 16, &r.data, blen);
}

int virtio_pci_add(struct virtio_dev *d)
{
	struct vpci *vp = calloc(1, sizeof(*vp));
	struct pci_dev *p;
	unsigned int i, devcfg_next;
	int ret;

	if (!vp)
		return -ENOMEM;
	vp->d = d;
	vp->nvec = d->ops->nqueues + 1;
	for (i = 0; i < vp->nvec; i++)
		vp->table[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	p = &vp->pci;
	p->opaque = vp;
	p->cfg_written = vpci_cfg_written;
	p->cfg_reading = vpci_cfg_reading;
	pci_set16(p, PCI_VENDOR_ID, 0x1af4);
	pci_set16(p, PCI_DEVICE_ID, (uint16_t)(0x1040 + d->ops->device_id));
	p->cfg[PCI_REVISION_ID] = 1;
	pci_set16(p, PCI_CLASS_DEVICE, d->ops->pci_class);
	pci_set16(p, PCI_SUBSYSTEM_VENDOR_ID, 0x1af4);
	pci_set16(p, PCI_SUBSYSTEM_ID, (uint16_t)(0x1040 + d->ops->device_id));
	pci_set16(p, PCI_STATUS, PCI_STATUS_CAP_LIST);
	p->cfg[PCI_CAPABILITY_LIST] = CAP_MSIX;
	p->cfg[PCI_INTERRUPT_PIN] = 1;
	p->bar_size[0] = BAR_SIZE;

	/* MSI-X: the enable and function-mask bits are the guest's. */
	p->cfg[CAP_MSIX] = PCI_CAP_ID_MSIX;
	p->cfg[CAP_MSIX + 1] = CAP_COMMON;
	pci_set16(p, CAP_MSIX + PCI_MSIX_FLAGS, (uint16_t)(vp->nvec - 1));
	p->wmask[CAP_MSIX + PCI_MSIX_FLAGS + 1] =
		(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
	pci_set32(p, CAP_MSIX + PCI_MSIX_TABLE, MSIX_TABLE_AT);	/* BIR 0 */
	pci_set32(p, CAP_MSIX + PCI_MSIX_PBA, MSIX_PBA_AT);

	cap(p, CAP_COMMON, CAP_NOTIFY, VIRTIO_PCI_CAP_COMMON_CFG, 16, COMMON_AT,
	    sizeof(struct virtio_pci_common_cfg));
	cap(p, CAP_NOTIFY, CAP_ISR, VIRTIO_PCI_CAP_NOTIFY_CFG, 20, NOTIFY_AT,
	    BAR_SIZE - NOTIFY_AT);
	pci_set32(p, CAP_NOTIFY + 16, NOTIFY_MULT);
	devcfg_next = d->ops->config_len ? CAP_DEVCFG : CAP_PCICFG;
	cap(p, CAP_ISR, devcfg_next, VIRTIO_PCI_CAP_ISR_CFG, 16, ISR_AT, 4);
	if (d->ops->config_len)
		cap(p, CAP_DEVCFG, CAP_PCICFG, VIRTIO_PCI_CAP_DEVICE_CFG, 16,
		    DEVCFG_AT, d->ops->config_len);
	cap(p, CAP_PCICFG, 0, VIRTIO_PCI_CAP_PCI_CFG, 20, 0, 0);
	for (i = 4; i < 20; i++)		/* bar, offset, length, data */
		if (i < 5 || i > 7)
			p->wmask[CAP_PCICFG + i] = 0xff;

	ret = pci_add(d->vm, p);
	if (!ret)
		ret = io_register(d->vm, BUS_MMIO, p->bar_addr[0], NOTIFY_AT, bar_io,
				  vp, NULL, d->name, 0);
	if (!ret)
		ret = io_register(d->vm, BUS_MMIO, p->bar_addr[0] + NOTIFY_AT,
				  BAR_SIZE - NOTIFY_AT, notify_io, vp, NULL, d->name,
				  d->ops->notify_exits ? 0 : IO_POSTED);
	if (ret) {
		free(vp);
		return ret;
	}
	d->transport = &vpci_transport;
	d->tdata = vp;
	d->irq_line = 16 + p->slot % 8;
	p->cfg[PCI_INTERRUPT_LINE] = (uint8_t)d->irq_line;
	return 0;
}
