// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.2, 5.2) on a raw image file: --disk FILE[,ro], up
 * to MAX_DISKS of them. Reads and writes go straight between the file and
 * guest memory (preadv/pwritev on the chain's iovecs) on the event thread;
 * FLUSH is fdatasync, DISCARD punches holes. A read-only disk offers
 * VIRTIO_BLK_F_RO and answers writes and discards with IOERR (5.2.6.2).
 *
 * A request the driver may not send (5.2.6.1) breaks the device: a
 * header or status byte missing, a data length that is not whole sectors,
 * a range beyond the capacity.
 */
#define _GNU_SOURCE		/* fallocate */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>

#include "virtio/virtio.h"

#define SECTOR		512ULL
#define QUEUE_MAX	256
#define MAX_DISCARD_SEG	32

struct blk {
	int fd;
	bool ro;
	uint64_t sectors;
	char id[VIRTIO_BLK_ID_BYTES];
	struct iovec iov[VQ_MAX_SEGS];	/* the data part of one request */
};

/* Whole transfer at `off`, short transfers retried; false on error. */
static bool blk_rw(struct blk *b, struct iovec *iov, unsigned int n,
		   uint64_t off, bool write)
{
	while (n) {
		ssize_t r = write ? pwritev(b->fd, iov, (int)n, (off_t)off) :
				    preadv(b->fd, iov, (int)n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		off += (uint64_t)r;
		while (n && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return true;
}

static bool in_range(const struct blk *b, uint64_t sector, uint64_t count)
{
	return sector <= b->sectors && count <= b->sectors - sector;
}

static uint8_t blk_discard(struct virtio_dev *d, struct blk *b,
			   const struct vq_elem *e, uint64_t len, bool *bad)
{
	struct virtio_blk_discard_write_zeroes seg;
	uint64_t i, n = len / sizeof(seg);

	if (len % sizeof(seg) || !n || n > MAX_DISCARD_SEG) {
		*bad = true;
		return 0;
	}
	if (b->ro)
		return VIRTIO_BLK_S_IOERR;
	for (i = 0; i < n; i++) {
		uint64_t s;
		uint32_t cnt;

		iov_to_buf(e->iov, e->nout, sizeof(struct virtio_blk_outhdr) +
			   i * sizeof(seg), &seg, sizeof(seg));
		s = le64toh(seg.sector);
		cnt = le32toh(seg.num_sectors);
		if (!in_range(b, s, cnt)) {
			virtio_broken(d, "discard of sectors %" PRIu64 "+%u beyond the disk's %" PRIu64,
				      s, cnt, b->sectors);
			*bad = true;
			return 0;
		}
		if (cnt && fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				     (off_t)(s * SECTOR), (off_t)(cnt * SECTOR)))
			return errno == EOPNOTSUPP ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/* One request; false if it broke the device (nothing pushed then). */
static bool blk_request(struct virtio_dev *d, struct blk *b, struct vq_elem *e,
			uint32_t *written)
{
	struct virtio_blk_outhdr h;
	const unsigned int hdr = sizeof(h);
	struct iovec *last;
	uint64_t dlen, sector;
	uint8_t status = VIRTIO_BLK_S_OK;
	unsigned int n;
	bool bad = false;

	if (e->out_len < hdr || e->in_len < 1) {
		virtio_broken(d, "request without its header or status byte");
		return false;
	}
	iov_to_buf(e->iov, e->nout, 0, &h, hdr);
	sector = le64toh(h.sector);
	*written = 1;
	switch (le32toh(h.type)) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (le32toh(h.type) == VIRTIO_BLK_T_IN) {
			/* The writable part less its last byte, the status. */
			dlen = e->in_len - 1;
			n = e->nin;
			memcpy(b->iov, e->iov + e->nout, n * sizeof(*b->iov));
			last = &b->iov[n - 1];
			if (!--last->iov_len)
				n--;
		} else {
			dlen = e->out_len - hdr;
			n = 0;
			/* The readable part after the header. */
			for (unsigned int i = 0, skip = hdr; i < e->nout; i++) {
				struct iovec v = e->iov[i];

				if (skip >= v.iov_len) {
					skip -= (unsigned int)v.iov_len;
					continue;
				}
				v.iov_base = (uint8_t *)v.iov_base + skip;
				v.iov_len -= skip;
				skip = 0;
				b->iov[n++] = v;
			}
		}
		if (dlen % SECTOR || !in_range(b, sector, dlen / SECTOR)) {
			virtio_broken(d, "%s of %" PRIu64 " bytes at sector %" PRIu64
				      ": not whole sectors within the disk's %" PRIu64,
				      le32toh(h.type) == VIRTIO_BLK_T_IN ? "read" : "write",
				      dlen, sector, b->sectors);
			return false;
		}
		if (le32toh(h.type) == VIRTIO_BLK_T_IN) {
			if (!blk_rw(b, b->iov, n, sector * SECTOR, false))
				status = VIRTIO_BLK_S_IOERR;
			else
				*written = (uint32_t)(dlen + 1);
		} else if (b->ro) {
			status = VIRTIO_BLK_S_IOERR;
		} else if (!blk_rw(b, b->iov, n, sector * SECTOR, true)) {
			status = VIRTIO_BLK_S_IOERR;
		}
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (!b->ro && fdatasync(b->fd))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		*written = (uint32_t)iov_from_buf(e->iov + e->nout, e->nin, 0, b->id,
			e->in_len - 1 < sizeof(b->id) ? e->in_len - 1 : sizeof(b->id)) + 1;
		break;
	case VIRTIO_BLK_T_DISCARD:
		status = blk_discard(d, b, e, e->out_len - hdr, &bad);
		if (bad) {
			virtio_broken(d, "malformed discard request");
			return false;
		}
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	/* The status is the last byte the device writes (5.2.6). */
	iov_from_buf(e->iov + e->nout, e->nin, e->in_len - 1, &status, 1);
	return true;
}

static void blk_queue(struct virtio_dev *d, struct virtq *q)
{
	struct blk *b = d->priv;
	struct vq_elem *e = d->elem;
	unsigned int taken = 0;
	uint32_t written;

	while (virtq_budget(d, q, &taken) && virtq_pop(d, q, e) > 0) {
		if (!blk_request(d, b, e, &written))
			break;
		virtq_push(q, e->head, written);
	}
	virtq_notify(d, q);
}

static void blk_fini(struct virtio_dev *d)
{
	struct blk *b = d->priv;

	close(b->fd);
	free(b);
}

static const struct virtio_dev_ops blk_ops_rw = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.pci_class = 0x0180,			/* mass storage, other */
	.nqueues = 1,
	.queue_max = QUEUE_MAX,
	.features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
		    (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_DISCARD),
	.config_len = sizeof(struct virtio_blk_config),
	.queue = blk_queue,
	.fini = blk_fini,
};

static const struct virtio_dev_ops blk_ops_ro = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.pci_class = 0x0180,
	.nqueues = 1,
	.queue_max = QUEUE_MAX,
	.features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
		    (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_RO),
	.config_len = sizeof(struct virtio_blk_config),
	.queue = blk_queue,
	.fini = blk_fini,
};

static int blk_add(struct vm *vm, const struct disk_config *dc, unsigned int idx)
{
	struct virtio_blk_config c = { 0 };
	struct virtio_dev *d;
	struct stat st;
	struct blk *b = calloc(1, sizeof(*b));
	const char *base;

	if (!b)
		return -ENOMEM;
	b->ro = dc->ro;
	b->fd = open(dc->path, (dc->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0 || fstat(b->fd, &st) ||
	    flock(b->fd, (dc->ro ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		int err = errno;

		plumb_err("--disk %s: %s%s", dc->path, strerror(err),
			  err == EWOULDBLOCK ? " (another VM has it open?)" : "");
		if (b->fd >= 0)
			close(b->fd);
		free(b);
		return -err;
	}
	b->sectors = (uint64_t)st.st_size / SECTOR;
	base = strrchr(dc->path, '/');
	/* GET_ID: at most 20 bytes, not NUL-terminated when all used. */
	base = base ? base + 1 : dc->path;
	memcpy(b->id, base, strnlen(base, sizeof(b->id)));
	d = virtio_dev_new(vm, dc->ro ? &blk_ops_ro : &blk_ops_rw, b);
	if (!d) {
		close(b->fd);
		free(b);
		return -EINVAL;
	}
	c.capacity = htole64(b->sectors);
	c.seg_max = htole32(QUEUE_MAX - 2);
	c.blk_size = htole32(SECTOR);
	c.num_queues = htole16(1);
	c.max_discard_sectors = htole32(UINT32_MAX);
	c.max_discard_seg = htole32(MAX_DISCARD_SEG);
	c.discard_sector_alignment = htole32(8);	/* 4 KiB pages */
	memcpy(d->config, &c, sizeof(c));
	vm_log(vm, "%s: %s (%" PRIu64 " sectors%s)", d->name, dc->path, b->sectors,
	       dc->ro ? ", read-only" : "");
	(void)idx;
	return 0;
}

static int blk_init(struct vm *vm, void *priv)
{
	unsigned int i;
	int ret;

	(void)priv;
	for (i = 0; i < vm->cfg->ndisks; i++) {
		ret = blk_add(vm, &vm->cfg->disks[i], i);
		if (ret)
			return ret;
	}
	return 0;
}

static struct device_type blk_type = {
	.name = "virtio-blk",
	.level = DEVICE_VIRTIO,
	.init = blk_init,
};
DEVICE_REGISTER(blk_type);
