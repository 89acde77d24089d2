// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio core (virtio 1.2, sections 2 and 3): feature negotiation, the
 * device status machine, config space, and the split virtqueue (2.7).
 *
 * Every index, address and length in a ring is the guest's and may be
 * hostile. The rules kept here: a queue is only used after its three areas
 * were found to be guest RAM of the right size and alignment (checked once
 * at QUEUE_READY: guest RAM never moves); each descriptor is copied out
 * before use; every buffer goes through gmem_ptr; a chain visits at most
 * as many descriptors as its table holds (loops); indirect tables are not
 * nested; the available index may not run ahead by more than the queue
 * size. Any breach marks the device broken (DEVICE_NEEDS_RESET, 2.1.1):
 * its queues stop until the driver resets it, one line is logged, and
 * every other device carries on.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/virtio_mmio.h>

#include "virtio/virtio.h"

#define DESC_SIZE	16	/* struct vring_desc */

static const uint64_t transport_features =
	(1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
	(1ULL << VIRTIO_RING_F_EVENT_IDX);

static bool has_feature(const struct virtio_dev *d, unsigned int bit)
{
	return d->guest_features & (1ULL << bit);
}

bool virtio_running(const struct virtio_dev *d)
{
	const uint8_t on = VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;

	return (d->status & on) == on &&
	       !(d->status & (VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED));
}

void virtio_broken(struct virtio_dev *d, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (d->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	d->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (!d->broken_logged) {
		/* Once per device: a guest resetting in a loop cannot flood. */
		d->broken_logged = true;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		plumb_err("%s: %s; the device needs a reset (further errors not logged)",
			  d->name, msg);
	}
	/* 2.1.2: DEVICE_NEEDS_RESET set after DRIVER_OK is announced. */
	if (d->status & VIRTIO_CONFIG_S_DRIVER_OK)
		d->transport->signal(d, NULL);
}

void virtio_config_changed(struct virtio_dev *d)
{
	d->config_gen++;
	if (d->status & VIRTIO_CONFIG_S_DRIVER_OK)
		d->transport->signal(d, NULL);
}

/* ---- features and status ---- */

uint32_t virtio_read_features(struct virtio_dev *d)
{
	return d->dfsel < 2 ? (uint32_t)(d->host_features >> (32 * d->dfsel)) : 0;
}

void virtio_write_features(struct virtio_dev *d, uint32_t v)
{
	/* Only before FEATURES_OK (3.1.1); bits we never offered stay clear. */
	if (d->status & VIRTIO_CONFIG_S_FEATURES_OK || d->gfsel >= 2)
		return;
	d->guest_features &= ~(0xffffffffULL << (32 * d->gfsel));
	d->guest_features |= ((uint64_t)v << (32 * d->gfsel)) & d->host_features;
}

static void queue_reset(struct virtq *q)
{
	q->size = q->max_size;
	q->ready = false;
	q->vector = VIRTIO_NO_VECTOR;
	q->desc_gpa = q->avail_gpa = q->used_gpa = 0;
	q->desc = NULL;
	q->avail = NULL;
	q->used = NULL;
	q->last_avail = q->used_idx = q->signalled_used = 0;
}

static void device_reset(struct virtio_dev *d)
{
	unsigned int i;

	if (d->ops->reset)
		d->ops->reset(d);
	d->status = 0;
	d->guest_features = 0;
	d->dfsel = d->gfsel = 0;
	d->queue_sel = 0;
	d->config_vector = VIRTIO_NO_VECTOR;
	__atomic_store_n(&d->isr, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&d->intx_dirty, true, __ATOMIC_SEQ_CST);
	for (i = 0; i < d->ops->nqueues; i++)
		queue_reset(&d->vq[i]);
}

void virtio_set_status(struct virtio_dev *d, uint8_t v)
{
	uint8_t old = d->status;

	if (!v) {
		device_reset(d);
		return;
	}
	/*
	 * 2.1.2: the driver never clears a bit; only a reset (0) takes them
	 * back, so the features stay what FEATURES_OK accepted while queues
	 * run. NEEDS_RESET is the device's to set.
	 */
	v = (uint8_t)((v & ~VIRTIO_CONFIG_S_NEEDS_RESET) | old);
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !has_feature(d, VIRTIO_F_VERSION_1))
		v &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;	/* modern only */
	/* 3.1.1: DRIVER_OK comes after FEATURES_OK, or not at all. */
	if (!(v & VIRTIO_CONFIG_S_FEATURES_OK))
		v &= (uint8_t)~VIRTIO_CONFIG_S_DRIVER_OK;
	d->status = v;
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    virtio_running(d)) {
		unsigned int i;

		if (d->ops->driver_ok)
			d->ops->driver_ok(d);
		/* Buffers made available before DRIVER_OK (2.1.2). */
		for (i = 0; i < d->ops->nqueues; i++) {
			if (!d->vq[i].ready)
				continue;
			if (d->ops->inline_queue)
				d->ops->queue(d, &d->vq[i]);	/* lock held */
			else
				virtio_kick(d, i);
		}
	}
}

/* ---- config space ---- */

uint64_t virtio_config_read(struct virtio_dev *d, uint64_t off, unsigned int len)
{
	uint64_t v = 0;

	if (len > 8 || off >= d->ops->config_len || len > d->ops->config_len - off)
		return 0;
	memcpy(&v, d->config + off, len);
	return v;
}

void virtio_config_write(struct virtio_dev *d, uint64_t off, unsigned int len,
			 uint64_t v)
{
	if (len > 8 || off >= d->ops->config_len || len > d->ops->config_len - off ||
	    !d->ops->config_write)
		return;		/* read-only config: writes ignored */
	memcpy(d->config + off, &v, len);
	d->ops->config_write(d, (unsigned int)off, len);
}

/* ---- the split virtqueue ---- */

static bool aligned(uint64_t a, uint64_t to)
{
	return !(a & (to - 1));
}

void virtq_enable(struct virtio_dev *d, struct virtq *q)
{
	uint64_t n = q->size;

	/*
	 * 3.1.1: queues are set up after FEATURES_OK and before DRIVER_OK
	 * (we offer no RING_RESET). Anything else is ignored, as if never
	 * written: then the features, and so the ring layout, are fixed for
	 * as long as the queue is ready (status bits stick until a reset).
	 */
	if (!(d->status & VIRTIO_CONFIG_S_FEATURES_OK) ||
	    (d->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	if (!n || n > q->max_size || (n & (n - 1))) {
		virtio_broken(d, "queue %u: size %u is not a power of 2 up to %u",
			      q->index, q->size, q->max_size);
		return;
	}
	/*
	 * 2.7: alignment 16, 2 and 4. The sizes always count the event words
	 * (used_event, avail_event), as the spec's table and Linux's
	 * vring_size() do, negotiated or not: nothing the driver does later
	 * can then make pop or notify reach past what was checked here.
	 */
	q->desc = aligned(q->desc_gpa, 16) ?
		gmem_ptr(&d->vm->mem, q->desc_gpa, DESC_SIZE * n) : NULL;
	q->avail = aligned(q->avail_gpa, 2) ?
		gmem_ptr(&d->vm->mem, q->avail_gpa, 6 + 2 * n) : NULL;
	q->used = aligned(q->used_gpa, 4) ?
		gmem_ptr(&d->vm->mem, q->used_gpa, 6 + 8 * n) : NULL;
	if (!q->desc || !q->avail || !q->used) {
		virtio_broken(d, "queue %u: rings at %#llx/%#llx/%#llx are not aligned guest RAM",
			      q->index, (unsigned long long)q->desc_gpa,
			      (unsigned long long)q->avail_gpa,
			      (unsigned long long)q->used_gpa);
		q->desc = NULL;
		q->avail = NULL;
		q->used = NULL;
		return;
	}
	q->last_avail = q->used_idx = q->signalled_used = 0;
	q->ready = true;
}

void virtq_disable(struct virtq *q)
{
	/*
	 * The size and addresses become writable again: drop the views
	 * checked against the old ones, so that nothing can use them.
	 */
	q->ready = false;
	q->desc = NULL;
	q->avail = NULL;
	q->used = NULL;
}

static uint16_t avail_idx(const struct virtq *q)
{
	/* Acquire: the ring entries below idx are valid once idx is seen. */
	return le16toh(__atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE));
}

bool virtq_has_buffers(struct virtq *q)
{
	return q->ready && avail_idx(q) != q->last_avail;
}

static int chain_error(struct virtio_dev *d, struct virtq *q, const char *what,
		       unsigned int i)
{
	virtio_broken(d, "queue %u: %s (descriptor %u)", q->index, what, i);
	return -1;
}

/* Walk the chain at `head` into e (2.7.5, 2.7.7). */
static int walk_chain(struct virtio_dev *d, struct virtq *q, uint16_t head,
		      struct vq_elem *e)
{
	const uint8_t *table = q->desc;
	unsigned int tlen = q->size, seen = 0, i = head;
	bool indirect = false;

	e->head = head;
	e->nout = e->nin = 0;
	e->out_len = e->in_len = 0;
	if (head >= q->size)
		return chain_error(d, q, "head index beyond the queue", head);
	for (;;) {
		struct vring_desc desc;
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
		void *p;

		/* One copy: the guest may rewrite the table meanwhile. */
		memcpy(&desc, table + (size_t)i * DESC_SIZE, sizeof(desc));
		addr = le64toh(desc.addr);
		len = le32toh(desc.len);
		flags = le16toh(desc.flags);
		if (++seen > tlen)
			return chain_error(d, q, "descriptor loop", i);
		if (flags & VRING_DESC_F_INDIRECT) {
			if (!has_feature(d, VIRTIO_RING_F_INDIRECT_DESC))
				return chain_error(d, q, "indirect descriptor not negotiated", i);
			if (indirect)
				return chain_error(d, q, "nested indirect table", i);
			if (flags & VRING_DESC_F_NEXT)
				return chain_error(d, q, "indirect descriptor with NEXT", i);
			if (!len || len % DESC_SIZE || len / DESC_SIZE > VQ_MAX_SEGS)
				return chain_error(d, q, "indirect table of a bad length", i);
			table = gmem_ptr(&d->vm->mem, addr, len);
			if (!table)
				return chain_error(d, q, "indirect table outside guest RAM", i);
			tlen = len / DESC_SIZE;
			indirect = true;
			seen = 0;
			i = 0;
			continue;
		}
		if (len) {
			p = gmem_ptr(&d->vm->mem, addr, len);
			if (!p)
				return chain_error(d, q, "buffer outside guest RAM", i);
			if (e->nout + e->nin == VQ_MAX_SEGS)
				return chain_error(d, q, "too many segments", i);
			if (flags & VRING_DESC_F_WRITE) {
				e->in_len += len;
				e->iov[e->nout + e->nin++] =
					(struct iovec){ .iov_base = p, .iov_len = len };
			} else {
				if (e->nin)
					return chain_error(d, q,
						"device-readable after device-writable", i);
				e->out_len += len;
				e->iov[e->nout++] =
					(struct iovec){ .iov_base = p, .iov_len = len };
			}
		}
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = le16toh(desc.next);
		if (i >= tlen)
			return chain_error(d, q, "next index beyond the table", i);
	}
}

/* avail_event (2.7.10): notify us when entries pass the next one we take. */
static void set_avail_event(struct virtq *q)
{
	__atomic_store_n((uint16_t *)&q->used->ring[q->size],
			 htole16(q->last_avail), __ATOMIC_RELAXED);
}

int virtq_pop(struct virtio_dev *d, struct virtq *q, struct vq_elem *e)
{
	uint16_t idx, head;

	if (!q->ready || !virtio_running(d))
		return 0;
	idx = avail_idx(q);
	if (idx == q->last_avail && has_feature(d, VIRTIO_RING_F_EVENT_IDX)) {
		/*
		 * Empty: say where we stand and look again. Without the fence
		 * our store of avail_event could still be on its way while the
		 * driver, having added a buffer, reads the old value and skips
		 * its notification, and we would sleep on a buffer.
		 */
		set_avail_event(q);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		idx = avail_idx(q);
	}
	if ((uint16_t)(idx - q->last_avail) > q->size) {
		virtio_broken(d, "queue %u: available index %u is %u ahead of %u",
			      q->index, idx, (uint16_t)(idx - q->last_avail),
			      q->last_avail);
		return -1;
	}
	if (idx == q->last_avail)
		return 0;
	head = le16toh(__atomic_load_n(&q->avail->ring[q->last_avail & (q->size - 1)],
				       __ATOMIC_RELAXED));
	q->last_avail++;
	if (has_feature(d, VIRTIO_RING_F_EVENT_IDX))
		set_avail_event(q);
	return walk_chain(d, q, head, e) ? -1 : 1;
}

void virtq_unpop(struct virtq *q)
{
	q->last_avail--;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	struct vring_used_elem *u;

	/* A completion for a queue disabled or reset since its pop: dropped. */
	if (!q->ready || !q->used)
		return;
	u = &q->used->ring[q->used_idx & (q->size - 1)];
	u->id = htole32(head);
	u->len = htole32(len);
	q->used_idx++;
	/* Release: the element is written before the index shows it. */
	__atomic_store_n(&q->used->idx, htole16(q->used_idx), __ATOMIC_RELEASE);
}

void virtq_notify(struct virtio_dev *d, struct virtq *q)
{
	uint16_t old = q->signalled_used, now = q->used_idx;
	bool need;

	if (old == now || !q->ready)
		return;
	/* The used index must be visible before we read the driver's wish. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (has_feature(d, VIRTIO_RING_F_EVENT_IDX)) {
		uint16_t ev = le16toh(__atomic_load_n(&q->avail->ring[q->size],
						      __ATOMIC_RELAXED));

		need = vring_need_event(ev, now, old);
	} else {
		need = !(le16toh(__atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED)) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	}
	q->signalled_used = now;
	if (need)
		d->transport->signal(d, q);
}

/* ---- INTx-style interrupts (virtio-mmio, virtio-pci without MSI-X) ---- */

void virtio_signal_isr(struct virtio_dev *d, struct virtq *q)
{
	__atomic_or_fetch(&d->isr, q ? VIRTIO_MMIO_INT_VRING : VIRTIO_MMIO_INT_CONFIG,
			  __ATOMIC_SEQ_CST);
	__atomic_store_n(&d->intx_dirty, true, __ATOMIC_SEQ_CST);
}

void virtio_update_intx(struct virtio_dev *d)
{
	if (!__atomic_exchange_n(&d->intx_dirty, false, __ATOMIC_SEQ_CST))
		return;
	/* The level is read and set under the device lock, which ISR reads
	 * hold: a racing one cannot leave the line high with nothing pending. */
	pthread_mutex_lock(&d->lock);
	irq_set(d->vm, d->irq_line, __atomic_load_n(&d->isr, __ATOMIC_SEQ_CST) != 0);
	pthread_mutex_unlock(&d->lock);
}

/* ---- notifications: vCPU -> event thread ---- */

void virtio_kick(struct virtio_dev *d, unsigned int qi)
{
	uint64_t one = 1;

	if (qi >= d->ops->nqueues)
		return;
	if (d->ops->inline_queue) {
		struct virtq *q = &d->vq[qi];

		pthread_mutex_lock(&d->lock);
		if (q->ready && virtio_running(d))
			d->ops->queue(d, q);
		pthread_mutex_unlock(&d->lock);
		virtio_update_intx(d);
		return;
	}
	(void)!write(d->vq[qi].kick_fd, &one, sizeof(one));
}

static void kick_event(struct vm *vm, void *opaque, uint32_t events)
{
	struct virtq *q = opaque;
	struct virtio_dev *d = q->dev;
	uint64_t n;

	(void)vm;
	(void)events;
	if (read(q->kick_fd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_mutex_lock(&d->lock);
	d->on_event_thread = true;
	if (q->ready && virtio_running(d))
		d->ops->queue(d, q);
	d->on_event_thread = false;
	pthread_mutex_unlock(&d->lock);
	virtio_update_intx(d);
}

void virtio_defer(struct virtio_dev *d, struct virtq *q)
{
	uint64_t one = 1;

	(void)d;
	(void)!write(q->kick_fd, &one, sizeof(one));
}

bool virtq_budget(struct virtio_dev *d, struct virtq *q, unsigned int *taken)
{
	if (d->vm->stopping)
		return false;
	if (*taken < VQ_BUDGET) {
		++*taken;
		return true;
	}
	if (virtq_has_buffers(q))
		virtio_defer(d, q);
	return false;
}

/* ---- scatter/gather ---- */

/* Copy len bytes between buf and the iovec from offset off, either way. */
static size_t iov_copy(const struct iovec *iov, unsigned int n, size_t off,
		       uint8_t *buf, size_t len, bool to_iov)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < n && done < len; i++) {
		uint8_t *p;
		size_t l;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		p = (uint8_t *)iov[i].iov_base + off;
		l = iov[i].iov_len - off;
		if (l > len - done)
			l = len - done;
		if (to_iov)
			memcpy(p, buf + done, l);
		else
			memcpy(buf + done, p, l);
		done += l;
		off = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t off,
		  void *buf, size_t len)
{
	return iov_copy(iov, n, off, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t off,
		    const void *buf, size_t len)
{
	/* buf is only read when copying into the iovec. */
	return iov_copy(iov, n, off, (uint8_t *)(uintptr_t)buf, len, true);
}

/* ---- devices ---- */

struct virtio_dev *virtio_dev_new(struct vm *vm, const struct virtio_dev_ops *ops,
				  void *priv)
{
	struct virtio_dev *d = calloc(1, sizeof(*d)), **p;
	unsigned int i, same = 0;
	int ret;

	if (!d || ops->nqueues > VIRTIO_MAX_QUEUES ||
	    ops->config_len > VIRTIO_CONFIG_MAX) {
		free(d);
		return NULL;
	}
	for (p = &vm->virtio; *p; p = &(*p)->next)
		same += (*p)->ops == ops;
	snprintf(d->name, sizeof(d->name), "%s%u", ops->name, same);
	d->vm = vm;
	d->ops = ops;
	d->priv = priv;
	pthread_mutex_init(&d->lock, NULL);
	d->host_features = transport_features | ops->features;
	d->elem = malloc(sizeof(*d->elem));
	for (i = 0; i < ops->nqueues; i++) {
		struct virtq *q = &d->vq[i];

		q->dev = d;
		q->index = i;
		q->max_size = ops->queue_max;
		q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->kick_fd < 0 ||
		    event_add(vm, q->kick_fd, EPOLLIN, kick_event, q))
			goto fail;
	}
	device_reset(d);
	d->intx_dirty = false;
	if (!d->elem)
		goto fail;
	ret = vm->cfg->virtio == VIRTIO_PCI ? virtio_pci_add(d) : virtio_mmio_add(d);
	if (ret) {
		plumb_err("%s: cannot add it on virtio-%s: %s", d->name,
			  vm->cfg->virtio == VIRTIO_PCI ? "pci" : "mmio",
			  strerror(-ret));
		goto fail;
	}
	*p = d;
	return d;
fail:
	for (i = 0; i < ops->nqueues; i++) {
		if (d->vq[i].kick_fd > 0) {
			event_del(vm, d->vq[i].kick_fd);
			close(d->vq[i].kick_fd);
		}
	}
	free(d->elem);
	free(d);
	return NULL;
}

struct virtio_dev *virtio_devices(struct vm *vm)
{
	return vm->virtio;
}

void virtio_fini_all(struct vm *vm)
{
	struct virtio_dev *d;
	unsigned int i;

	while ((d = vm->virtio)) {
		vm->virtio = d->next;
		if (d->ops->fini)
			d->ops->fini(d);
		for (i = 0; i < d->ops->nqueues; i++) {
			event_del(vm, d->vq[i].kick_fd);
			close(d->vq[i].kick_fd);
		}
		free(d->tdata);
		free(d->elem);
		free(d);
	}
}

static int virtio_init(struct vm *vm, void *priv)
{
	(void)vm;	/* the models create their devices */
	(void)priv;
	return 0;
}

static void virtio_fini(struct vm *vm, void *priv)
{
	(void)priv;
	virtio_fini_all(vm);
}

static struct device_type virtio_type = {
	.name = "virtio",
	.level = DEVICE_BUS,
	.init = virtio_init,
	.fini = virtio_fini,
};
DEVICE_REGISTER(virtio_type);
