/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio 1.x devices (docs/virtio.md): the transport-independent core
 * (feature negotiation, device status, split virtqueues that distrust every
 * byte the guest wrote), the two transports (virtio-mmio version 2,
 * modern virtio-pci) and the device models, each in its own file.
 *
 * Threads and locks. Register accesses arrive on vCPU threads (the
 * transports register their ranges without a bus lock) and take the
 * device's own lock. A queue notification only wakes the event thread
 * (an eventfd), which services the queue under the device lock: a disk
 * read blocks no other device, though a vCPU touching that device's
 * registers waits for it. Every service takes at most VQ_BUDGET chains.
 * The lock order is the PCI bus lock (configuration space), then a
 * device's lock, then the interrupt controllers' (dev/irq.c), a leaf.
 */
#ifndef PLUMB_VIRTIO_H
#define PLUMB_VIRTIO_H

#include <sys/uio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "vm.h"

#define VIRTIO_MAX_QUEUES	8
#define VQ_MAX_SIZE		1024		/* split ring: a power of 2 */
#define VQ_MAX_SEGS		VQ_MAX_SIZE	/* segments in one chain */
#define VIRTIO_CONFIG_MAX	256
#define VIRTIO_NO_VECTOR	0xffff
/*
 * Chains one service of a queue takes before it yields: the rest goes
 * back to the event thread through the queue's eventfd, behind whatever
 * else waits there, and a vCPU serving an inline queue returns to its
 * guest (and releases the device lock).
 */
#define VQ_BUDGET		64

struct virtio_dev;

struct virtq {
	struct virtio_dev *dev;
	unsigned int index;
	uint16_t size, max_size;
	bool ready;
	uint16_t vector;		/* virtio-pci MSI-X vector */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* From QUEUE_READY on: the checked host views of the three areas. */
	uint8_t *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	/* Device side, under the device lock. */
	uint16_t last_avail;		/* next avail entry to take */
	uint16_t used_idx;		/* next used entry to fill */
	uint16_t signalled_used;	/* used_idx at the last interrupt */
	int kick_fd;			/* eventfd: guest -> event thread */
};

/* One descriptor chain: iov[0, nout) the device reads, then nin it writes. */
struct vq_elem {
	uint16_t head;
	unsigned int nout, nin;
	uint64_t out_len, in_len;
	struct iovec iov[VQ_MAX_SEGS];
};

/* What a device model provides. */
struct virtio_dev_ops {
	const char *name;		/* "virtio-blk" */
	uint16_t device_id;		/* VIRTIO_ID_* */
	uint16_t pci_class;		/* PCI class and subclass */
	unsigned int nqueues;
	uint16_t queue_max;
	uint64_t features;		/* device-specific feature bits */
	uint32_t config_len;
	/*
	 * Serve notifications on the notifying vCPU's thread instead of the
	 * event thread: only for work that never blocks (virtio-rng), where
	 * the event thread's wake-up would be most of the latency.
	 */
	bool inline_queue;
	/*
	 * Notifications exit instead of being posted: for drivers that spin
	 * until the device answers (Linux's hvc output over virtio-console
	 * waits with a lock held), which a posted write would deadlock.
	 */
	bool notify_exits;
	/* Event thread (or see inline_queue), device lock held: the guest
	 * made buffers available. */
	void (*queue)(struct virtio_dev *d, struct virtq *q);
	/* Device lock held. Optional. */
	void (*driver_ok)(struct virtio_dev *d);
	void (*reset)(struct virtio_dev *d);
	void (*config_write)(struct virtio_dev *d, unsigned int off,
			     unsigned int len);
	void (*fini)(struct virtio_dev *d);
};

/* What a transport provides to the core. */
struct virtio_transport {
	/* Interrupt for queue q (NULL: configuration change); device lock held. */
	void (*signal)(struct virtio_dev *d, struct virtq *q);
};

struct virtio_dev {
	struct vm *vm;
	const struct virtio_dev_ops *ops;
	void *priv;			/* the device model's */
	char name[32];			/* "virtio-blk0" in messages */
	pthread_mutex_t lock;

	uint64_t host_features, guest_features;
	uint32_t dfsel, gfsel;
	uint8_t status;
	uint8_t config_gen;
	uint16_t config_vector;
	uint16_t queue_sel;
	uint32_t isr;			/* atomic: bit 0 queue, bit 1 config */
	bool intx_dirty;		/* atomic: isr changed, line to update */
	bool broken_logged;
	bool on_event_thread;		/* ops->queue runs there now */
	uint8_t config[VIRTIO_CONFIG_MAX];
	struct virtq vq[VIRTIO_MAX_QUEUES];

	const struct virtio_transport *transport;
	void *tdata;			/* the transport's */
	unsigned int irq_line;		/* INTx / virtio-mmio line */
	struct vq_elem *elem;		/* scratch chain for the event thread */
	struct virtio_dev *next;
};

/*
 * Create a device of this type on the VM's transport (--virtio); the
 * model fills d->config and d->priv after. Returns NULL after a message.
 */
struct virtio_dev *virtio_dev_new(struct vm *vm, const struct virtio_dev_ops *ops,
				  void *priv);
/* The VM's virtio devices, for fini and tests. */
struct virtio_dev *virtio_devices(struct vm *vm);
void virtio_fini_all(struct vm *vm);

/* ---- for the transports (device lock held unless said) ---- */
uint32_t virtio_read_features(struct virtio_dev *d);
void virtio_write_features(struct virtio_dev *d, uint32_t v);
void virtio_set_status(struct virtio_dev *d, uint8_t v);
/*
 * Check and enable the selected queue (QUEUE_READY / queue_enable = 1);
 * ignored unless FEATURES_OK is set and DRIVER_OK is not.
 */
void virtq_enable(struct virtio_dev *d, struct virtq *q);
/* QUEUE_READY = 0: not ready, and the checked views are gone. */
void virtq_disable(struct virtq *q);
/* The guest notified queue `qi`: wake the event thread, or serve it here
 * (inline_queue: on this vCPU's thread, under the device lock). */
void virtio_kick(struct virtio_dev *d, unsigned int qi);
/* Config space bytes, bounds-checked. */
uint64_t virtio_config_read(struct virtio_dev *d, uint64_t off, unsigned int len);
void virtio_config_write(struct virtio_dev *d, uint64_t off, unsigned int len,
			 uint64_t v);
/* Bring an INTx line to the ISR's level (takes the device lock). */
void virtio_update_intx(struct virtio_dev *d);
/* The default signal for INTx-style transports: set ISR, line follows. */
void virtio_signal_isr(struct virtio_dev *d, struct virtq *q);

/* ---- for the device models (device lock held) ---- */

/*
 * Take the next available chain: 1 taken, 0 none, -1 the guest broke the
 * ring (the device is marked broken; stop).
 */
int virtq_pop(struct virtio_dev *d, struct virtq *q, struct vq_elem *e);
/* Hand a chain back with `len` bytes written into its writable part
 * (nothing if the queue is no longer ready). */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* Interrupt the guest for q if it asked to be (suppression, event index). */
void virtq_notify(struct virtio_dev *d, struct virtq *q);
/* Undo the last pop (no room: retry later). */
void virtq_unpop(struct virtq *q);
/* Have the event thread serve q (an inline_queue device that must wait). */
void virtio_defer(struct virtio_dev *d, struct virtq *q);
/*
 * Before each pop of a service loop, with *taken counting from 0: false
 * once the VM is stopping, or after VQ_BUDGET chains (then q is handed
 * to the event thread if the guest left more).
 */
bool virtq_budget(struct virtio_dev *d, struct virtq *q, unsigned int *taken);
/* Whether the device may use its queues now. */
bool virtio_running(const struct virtio_dev *d);
bool virtq_has_buffers(struct virtq *q);
/*
 * The guest did something the spec forbids: DEVICE_NEEDS_RESET, a
 * configuration interrupt, one log line per device; the queues stop.
 */
void virtio_broken(struct virtio_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The model changed its config space: generation, config interrupt. */
void virtio_config_changed(struct virtio_dev *d);

/* Gather / scatter through a chain's iovecs from byte `off`. */
size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t off,
		  void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t off,
		    const void *buf, size_t len);

/*
 * virtio-net's tap: opened, up, on its bridge; returns the fd (packets
 * with a 12-byte virtio-net header) and the interface name (IFNAMSIZ).
 * Unit tests put a socketpair here.
 */
extern int (*net_tap_setup)(const struct nic_config *nc, char *ifname);

/* ---- transports ---- */
int virtio_mmio_add(struct virtio_dev *d);
int virtio_pci_add(struct virtio_dev *d);

/*
 * The ACPI declarations of the first n virtio-mmio devices for the DSDT
 * (LNRO0005 devices with memory and interrupt resources): the bytes
 * written, at most `room`.
 */
size_t virtio_mmio_aml(unsigned int n, uint8_t *buf, size_t room);

/* virtio-mmio's window: device i at base + i * stride, line 16 + i. */
#define VIRTIO_MMIO_BASE	0xd0000000ULL
#define VIRTIO_MMIO_STRIDE	0x1000ULL
#define VIRTIO_MMIO_SIZE	0x200ULL
#define VIRTIO_MMIO_FIRST_LINE	16
#define VIRTIO_MMIO_MAX		8

#endif /* PLUMB_VIRTIO_H */
