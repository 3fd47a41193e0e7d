// SPDX-License-Identifier: GPL-2.0
/*
 * Serving one virtio-blk queue from a file (see blk_queue.h).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "blk_queue.h"

#define BLK_ARENA_ALIGN		64

_Static_assert(sizeof(struct virtio_blk_outhdr) == BLK_HDR_SIZE, "header size");
_Static_assert(sizeof(struct virtio_blk_discard_write_zeroes) == BLK_SEG_SIZE,
	       "segment size");
/* Slot indexes are kept in uint8_t. */
_Static_assert(BLK_BATCH <= UVDEV_MAX_BATCH && BLK_BATCH <= UINT8_MAX + 1 &&
	       BLK_HDR_SIZE <= UVDEV_MAX_PEEK, "batch limits");

/* One popped request while its batch is served. */
struct blk_slot {
	struct blk_req req;
	uint8_t *out;		/* out payload: write data or ranges */
	uint8_t *reply;		/* req.in_len bytes of reply, then the status */
	bool mapped;		/* a read to answer from the file's mapping */
	bool done;		/* answered (or has no status byte to answer) */
};

/* A queue thread's state: everything a batch needs, allocated once. */
struct blk_queue {
	const struct blk_disk *disk;
	struct uvdev_vq_elem elems[BLK_BATCH];
	struct virtio_blk_outhdr hdrs[BLK_BATCH];
	struct blk_slot slots[BLK_BATCH];
	/* Up to two ops per slot: a mapped read's data, then its status. */
	struct uvdev_vq_xfer_op ops[2 * BLK_BATCH];
	uint8_t op_slot[2 * BLK_BATCH];	/* the slot of each op */
	struct uvdev_vq_used used[BLK_BATCH];
	uint8_t status_byte;
	uint8_t *arena;
	struct uvdev_zc_seg segs[UVDEV_ZC_MAX_SEGS];
	struct iovec iov[UVDEV_ZC_MAX_SEGS];
	struct blk_zc_stats zc;
	unsigned int maps_unreaped;	/* maps since this queue last reaped */
};

/* Reap completions after this many maps (and whenever the window is full). */
#define BLK_ZC_REAP_EVERY	8

static const uint8_t zeroes[64 * 1024];

/* ---- file I/O ------------------------------------------------------------ */

static int read_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* Past the end of a file that shrank under us: zeroes. */
		if (n == 0) {
			memset(buf, 0, len);
			return 0;
		}
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int write_full(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int write_zeroes(int fd, uint64_t off, uint64_t len)
{
	while (len) {
		size_t n = len < sizeof(zeroes) ? (size_t)len : sizeof(zeroes);
		int ret = write_full(fd, zeroes, n, off);

		if (ret)
			return ret;
		off += n;
		len -= n;
	}
	return 0;
}

static int punch_hole(int fd, uint64_t off, uint64_t len)
{
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len))
		return -errno;
	return 0;
}

/* Discard is a hint: where holes cannot be punched, the data stays. */
static int discard_range(int fd, uint64_t off, uint64_t len)
{
	int ret = punch_hole(fd, off, len);

	return ret == -EOPNOTSUPP ? 0 : ret;
}

/*
 * Reads of the range must return zeroes afterwards. With @unmap the driver
 * allows deallocating it; without, it stays allocated where the file system
 * can say so.
 */
static int zero_range(int fd, uint64_t off, uint64_t len, bool unmap)
{
	if (unmap && !punch_hole(fd, off, len))
		return 0;
	if (!fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len))
		return 0;
	if (errno != EOPNOTSUPP)
		return -errno;
	/* No ZERO_RANGE (tmpfs, for one): a hole reads as zeroes. */
	if (punch_hole(fd, off, len))
		return write_zeroes(fd, off, len);
	/* Allocate it again; if that fails, it still reads as zeroes. */
	if (!unmap)
		(void)fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len);
	return 0;
}

/*
 * Read or write all of @iov at @off. A read past the end of a file that
 * shrank under us gives zeroes. @iov is consumed.
 */
static int rw_iov_full(int fd, struct iovec *iov, int cnt, uint64_t off, bool write)
{
	while (cnt) {
		ssize_t n = write ? pwritev(fd, iov, cnt, (off_t)off) :
				    preadv(fd, iov, cnt, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			if (write)
				return -EIO;
			for (; cnt; iov++, cnt--)
				memset(iov->iov_base, 0, iov->iov_len);
			return 0;
		}
		off += (uint64_t)n;
		while (cnt && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* ---- the disk's health ------------------------------------------------------ */

void blk_disk_failed(const struct blk_disk *disk, const char *what, int err)
{
	uint32_t values[] = { UVDEV_NOTIF_BOTTOM_HALF, BLK_KEY_RESET };
	int ret;

	/* A full file system is not a failed disk: a reset would not help. */
	if (err == -ENOSPC || err == -EDQUOT || atomic_exchange(disk->failed, true))
		return;
	backend_error(disk->backend, "%s%s%s: asking the driver to reset the device; "
		      "restart %s on a working file with --attach",
		      what, err ? ": " : "", err ? strerror(-err) : "", disk->backend->prog);
	ret = uvdev_notify(disk->dev_fd, values, 2, UVDEV_NOTIF_EV_NEEDS_RESET);
	if (ret)
		backend_error(disk->backend, "asking for a reset failed: %s", strerror(-ret));
}

/* ---- one request ----------------------------------------------------------- */

/* A file I/O error: the request's status. */
static uint8_t file_failed(const struct blk_disk *disk, int err)
{
	backend_debug(disk->backend, "I/O on %s failed: %s", disk->path, strerror(-err));
	blk_disk_failed(disk, disk->path, err);
	return VIRTIO_BLK_S_IOERR;
}

static void slot_fail(struct blk_slot *s, uint8_t status)
{
	s->req.op = BLK_OP_NONE;
	s->req.status = status;
}

static int apply_ranges(const struct blk_disk *disk, const struct blk_req *req,
			const uint8_t *segs)
{
	uint32_t i;

	for (i = 0; i < req->nsegs; i++) {
		uint32_t num_sectors, flags;
		uint64_t sector, off, len;
		int ret;

		blk_req_segment(segs, i, &sector, &num_sectors, &flags);
		if (!num_sectors)
			continue;
		off = sector * BLK_SECTOR_SIZE;
		len = (uint64_t)num_sectors * BLK_SECTOR_SIZE;
		if (req->op == BLK_OP_DISCARD)
			ret = discard_range(disk->fd, off, len);
		else
			ret = zero_range(disk->fd, off, len,
					 flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
		if (ret)
			return ret;
	}
	return 0;
}

/* Whether the read of @len bytes at @off can come from the file's mapping. */
static bool blk_disk_mapped(const struct blk_disk *disk, uint64_t off, uint32_t len)
{
	return disk->map && off <= disk->map_len && len <= disk->map_len - off;
}

/* Do what @s asks of the file; its payload is fetched, its reply buffer set. */
static void execute(const struct blk_disk *disk, struct blk_slot *s)
{
	struct blk_req *req = &s->req;
	uint8_t status;
	int ret = 0;

	s->mapped = false;
	switch (req->op) {
	case BLK_OP_NONE:
		return;
	case BLK_OP_READ:
		if (blk_disk_mapped(disk, req->offset, req->in_len)) {
			s->mapped = true;
			return;
		}
		ret = read_full(disk->fd, s->reply, req->in_len, req->offset);
		break;
	case BLK_OP_WRITE:
		ret = write_full(disk->fd, s->out, req->out_len, req->offset);
		break;
	case BLK_OP_FLUSH:
		ret = fdatasync(disk->fd) ? -errno : 0;
		break;
	case BLK_OP_GET_ID:
		memcpy(s->reply, disk->serial, VIRTIO_BLK_ID_BYTES);
		break;
	case BLK_OP_DISCARD:
	case BLK_OP_WRITE_ZEROES:
		status = blk_req_check_segments(req, s->out, &disk->limits);
		if (status != VIRTIO_BLK_S_OK) {
			backend_debug(disk->backend, "rejected a %s with a bad range (status %u)",
				      req->op == BLK_OP_DISCARD ? "discard" : "write zeroes", status);
			slot_fail(s, status);
			return;
		}
		ret = apply_ranges(disk, req, s->out);
		break;
	}
	if (ret)
		slot_fail(s, file_failed(disk, ret));
}

/* ---- batches ----------------------------------------------------------------- */

static void set_op(struct uvdev_vq_xfer_op *op, uint32_t queue, uint32_t head,
		   uint32_t dir, uint32_t offset, const void *buf, uint32_t len)
{
	memset(op, 0, sizeof(*op));
	op->queue = queue;
	op->head = head;
	op->dir = dir;
	op->offset = offset;
	op->len = len;
	op->addr = (uintptr_t)buf;
}

/*
 * Move one range between chain @head and @buf. Returns a negative errno if
 * the device or queue is gone, else 0 with *@ok telling whether it moved.
 */
static int xfer_one(struct uvdev_queue *q, struct blk_queue *bq, uint32_t head,
		    uint32_t dir, uint32_t offset, void *buf, uint32_t len, bool *ok)
{
	int ret;

	set_op(&bq->ops[0], q->index, head, dir, offset, buf, len);
	ret = uvdev_vq_xfer_all(q->svc->dev_fd, bq->ops, 1);
	*ok = !ret && bq->ops[0].result >= 0;
	return ret;
}

/* Fetch the out payload of every slot in @round with one that needs it. */
static int fetch_payloads(struct uvdev_queue *q, struct blk_queue *bq,
			  const uint8_t *round, int nround)
{
	int i, nops = 0, ret;

	for (i = 0; i < nround; i++) {
		struct blk_slot *s = &bq->slots[round[i]];

		if (!s->req.out_len)
			continue;
		set_op(&bq->ops[nops], q->index, bq->elems[round[i]].head,
		       UVDEV_XFER_READ, BLK_HDR_SIZE, s->out, s->req.out_len);
		bq->op_slot[nops++] = round[i];
	}
	if (!nops)
		return 0;
	ret = uvdev_vq_xfer_all(q->svc->dev_fd, bq->ops, nops);
	if (ret)
		return ret;
	for (i = 0; i < nops; i++) {
		if (bq->ops[i].result < 0)
			slot_fail(&bq->slots[bq->op_slot[i]], VIRTIO_BLK_S_IOERR);
	}
	return 0;
}

/*
 * The op that answers @s from its reply buffer: with @data, the reply's
 * data and the status byte after it together, else the status byte alone.
 */
static void set_reply_op(struct uvdev_vq_xfer_op *op, uint32_t queue, uint32_t head,
			 struct blk_slot *s, bool data)
{
	uint32_t in_len = s->req.in_len;

	s->reply[in_len] = s->req.status;
	if (data)
		set_op(op, queue, head, UVDEV_XFER_WRITE, s->req.status_offset - in_len,
		       s->reply, in_len + 1);
	else
		set_op(op, queue, head, UVDEV_XFER_WRITE, s->req.status_offset,
		       s->reply + in_len, 1);
}

/*
 * A mapped read whose data op failed (the mapping faulted: an I/O error, or
 * the file shrank): read it again with pread(2), which says which, and
 * answer it. The status byte sent with it is overwritten: the driver reads
 * it only after the push. Uses ops[0], which send_replies() has looked at.
 */
static int reread_mapped(struct uvdev_queue *q, struct blk_queue *bq, int i)
{
	struct blk_slot *s = &bq->slots[i];
	int ret;

	ret = read_full(bq->disk->fd, s->reply, s->req.in_len, s->req.offset);
	if (ret)
		slot_fail(s, file_failed(bq->disk, ret));
	set_reply_op(&bq->ops[0], q->index, bq->elems[i].head, s,
		     s->req.status == VIRTIO_BLK_S_OK);
	return uvdev_vq_xfer_all(q->svc->dev_fd, bq->ops, 1);
}

/*
 * Write the replies: the data and status byte together from the arena, a
 * mapped read's data from the mapping and its status byte apart, or the
 * status byte alone.
 */
static int send_replies(struct uvdev_queue *q, struct blk_queue *bq,
			const uint8_t *round, int nround)
{
	const struct blk_disk *disk = bq->disk;
	int i, nops = 0, ret;

	for (i = 0; i < nround; i++) {
		struct blk_slot *s = &bq->slots[round[i]];
		uint32_t head = bq->elems[round[i]].head;
		bool ok = s->req.status == VIRTIO_BLK_S_OK;

		if (ok && s->mapped) {
			set_op(&bq->ops[nops], q->index, head, UVDEV_XFER_WRITE,
			       s->req.status_offset - s->req.in_len, disk->map + s->req.offset,
			       s->req.in_len);
			bq->op_slot[nops++] = round[i];
		}
		set_reply_op(&bq->ops[nops], q->index, head, s, ok && !s->mapped);
		bq->op_slot[nops++] = round[i];
	}
	ret = uvdev_vq_xfer_all(q->svc->dev_fd, bq->ops, nops);
	if (ret)
		return ret;
	for (i = 0; i < nops; i++) {
		struct blk_slot *s = &bq->slots[bq->op_slot[i]];

		if (bq->ops[i].result >= 0) {
			s->done = true;
			continue;
		}
		/* A mapped read's data op is the first of its two. */
		if (s->mapped && !s->done) {
			s->mapped = false;
			ret = reread_mapped(q, bq, bq->op_slot[i]);
			if (ret)
				return ret;
		} else {
			backend_debug(bq->disk->backend, "queue %u: answering chain %u failed: %s",
				      q->index, bq->ops[i].head, strerror(-bq->ops[i].result));
		}
		s->done = true;
	}
	return 0;
}

static int serve_round(struct uvdev_queue *q, struct blk_queue *bq,
		       const uint8_t *round, int nround)
{
	int i, ret;

	ret = fetch_payloads(q, bq, round, nround);
	if (ret)
		return ret;
	for (i = 0; i < nround; i++)
		execute(bq->disk, &bq->slots[round[i]]);
	return send_replies(q, bq, round, nround);
}

/*
 * A read or write larger than the arena (possible once max_sectors_kb is
 * raised): moved through the arena one piece at a time.
 */
static int serve_in_pieces(struct uvdev_queue *q, struct blk_queue *bq, int i)
{
	struct blk_slot *s = &bq->slots[i];
	uint32_t head = bq->elems[i].head;
	bool write = s->req.op == BLK_OP_WRITE;
	uint32_t total = write ? s->req.out_len : s->req.in_len;
	uint8_t status = VIRTIO_BLK_S_OK;
	uint32_t done = 0;
	bool ok = true;
	int ret;

	if (s->req.op != BLK_OP_READ && !write)
		status = s->req.op == BLK_OP_NONE ? s->req.status : VIRTIO_BLK_S_IOERR;
	while (status == VIRTIO_BLK_S_OK && done < total) {
		uint32_t len = total - done < BLK_ARENA_SIZE ? total - done : BLK_ARENA_SIZE;
		uint64_t off = s->req.offset + done;

		if (write) {
			ret = xfer_one(q, bq, head, UVDEV_XFER_READ, BLK_HDR_SIZE + done,
				       bq->arena, len, &ok);
			if (ret)
				return ret;
			if (!ok)
				status = VIRTIO_BLK_S_IOERR;
			else if ((ret = write_full(bq->disk->fd, bq->arena, len, off)))
				status = file_failed(bq->disk, ret);
		} else {
			ret = read_full(bq->disk->fd, bq->arena, len, off);
			if (ret) {
				status = file_failed(bq->disk, ret);
				break;
			}
			ret = xfer_one(q, bq, head, UVDEV_XFER_WRITE, done, bq->arena, len, &ok);
			if (ret)
				return ret;
			if (!ok)
				status = VIRTIO_BLK_S_IOERR;
		}
		done += len;
	}
	bq->status_byte = status;
	ret = xfer_one(q, bq, head, UVDEV_XFER_WRITE, s->req.status_offset,
		       &bq->status_byte, 1, &ok);
	if (ret)
		return ret;
	s->done = true;
	return 0;
}

static size_t arena_size(uint32_t len)
{
	return ((size_t)len + BLK_ARENA_ALIGN - 1) & ~(size_t)(BLK_ARENA_ALIGN - 1);
}

/*
 * Serve every slot of the batch: in rounds of as many slots as fit in the
 * arena (all of them, normally), and what is bigger than the whole arena
 * in pieces.
 */
static int serve_slots(struct uvdev_queue *q, struct blk_queue *bq, int n)
{
	uint8_t round[BLK_BATCH];
	int i, ret;

	for (;;) {
		size_t used = 0;
		int nround = 0, first = -1;

		for (i = 0; i < n; i++) {
			struct blk_slot *s = &bq->slots[i];
			size_t out = arena_size(s->req.out_len);
			size_t need = out + arena_size(s->req.in_len + 1);

			if (s->done)
				continue;
			if (first < 0)
				first = i;
			if (need > BLK_ARENA_SIZE - used)
				continue;
			s->out = bq->arena + used;
			s->reply = s->out + out;
			used += need;
			round[nround++] = (uint8_t)i;
		}
		if (first < 0)
			return 0;
		if (nround)
			ret = serve_round(q, bq, round, nround);
		else
			ret = serve_in_pieces(q, bq, first);
		if (ret)
			return ret;
	}
}

static void zc_reap(struct uvdev_queue *q, struct blk_queue *bq);

/*
 * Serve the read or write of slot @i through the window, if it is large
 * enough and the kernel maps it: the slot is then left with only its
 * status byte to send. Returns a negative errno if the device or queue is
 * gone, else 0 (served, or left for XFER).
 */
static int zc_serve(struct uvdev_queue *q, struct blk_queue *bq, int i)
{
	const struct blk_disk *disk = bq->disk;
	struct blk_slot *s = &bq->slots[i];
	bool write = s->req.op == BLK_OP_WRITE;
	uint32_t len = write ? s->req.out_len : s->req.in_len;
	uint32_t max_segs = bq->elems[i].nsegs;
	struct uvdev_zc_map res;
	int ret, tries;
	uint32_t k;

	if (s->req.op != BLK_OP_READ && !write)
		return 0;
	/* A mapped read costs one copy by XFER, and no map or unmap. */
	if (!disk->zc_min || len < disk->zc_min ||
	    (!write && !disk->zc_reads && blk_disk_mapped(disk, s->req.offset, len))) {
		bq->zc.xfer_requests++;
		return 0;
	}
	/* The chain's descriptors bound its segments. */
	if (max_segs > UVDEV_ZC_MAX_SEGS)
		max_segs = UVDEV_ZC_MAX_SEGS;
	for (tries = 0; tries < 2; tries++) {
		ret = uvdev_zc_map(q->svc->dev_fd, q->index, bq->elems[i].head,
				   write ? BLK_HDR_SIZE : 0, write ? len : 0,
				   0, write ? 0 : len, bq->segs, max_segs, &res);
		if (ret != -ENOBUFS)
			break;
		/* Counted as the kernel counts it: every page copied. */
		bq->zc.refused++;
		bq->zc.copied_pages += (len + 4095) / 4096;
		/* The window is full: free what completed, try once more. */
		zc_reap(q, bq);
	}
	if (ret == -ENODEV || ret == -EIO || ret == -ESHUTDOWN)
		return ret;
	if (ret) {
		/* Window still full (or the chain too fragmented): copy it. */
		if (ret != -ENOBUFS) {
			backend_debug(disk->backend, "queue %u: zero-copy map of chain %u failed: %s",
				      q->index, bq->elems[i].head, strerror(-ret));
		}
		bq->zc.xfer_requests++;
		return 0;
	}
	bq->zc.maps++;
	bq->maps_unreaped++;
	bq->zc.mapped_pages += res.mapped_pages;
	bq->zc.copied_pages += res.copied_pages;
	for (k = 0; k < res.nsegs; k++) {
		bq->iov[k].iov_base = disk->window + bq->segs[k].offset;
		bq->iov[k].iov_len = bq->segs[k].len;
	}
	ret = rw_iov_full(disk->fd, bq->iov, (int)res.nsegs, s->req.offset, write);
	if (ret == -EFAULT) {
		/* The window, not the file: the request fails, the disk is fine. */
		backend_debug(disk->backend, "I/O into the window failed: %s", strerror(-ret));
		slot_fail(s, VIRTIO_BLK_S_IOERR);
	} else if (ret) {
		slot_fail(s, file_failed(disk, ret));
	} else {
		s->req.op = BLK_OP_NONE;
		s->req.status = VIRTIO_BLK_S_OK;
	}
	/* The data is in place: only the status byte is left to send. */
	s->req.out_len = 0;
	s->req.in_len = 0;
	return 0;
}

/* Reap the window's completions, freeing its pages for the next maps. */
static void zc_reap(struct uvdev_queue *q, struct blk_queue *bq)
{
	struct uvdev_zc_completion recs[32];

	if (!bq->disk->window)
		return;
	bq->maps_unreaped = 0;
	while (uvdev_zc_reap(q->svc->dev_fd, recs, 32) == 32)
		;
}

int blk_serve_batch(struct uvdev_queue *q)
{
	struct blk_queue *bq = q->priv;
	int n, i, ret;

	n = uvdev_queue_pop(q, bq->elems, BLK_BATCH, bq->hdrs, BLK_HDR_SIZE);
	if (n <= 0)
		return n;
	for (i = 0; i < n; i++) {
		const struct uvdev_vq_elem *e = &bq->elems[i];
		struct blk_slot *s = &bq->slots[i];

		blk_req_parse(&s->req, &bq->hdrs[i], e->out_bytes, e->in_bytes,
			      &bq->disk->limits);
		s->done = !s->req.has_status;
		if (s->req.op == BLK_OP_NONE)
			backend_debug(bq->disk->backend,
				      "queue %u: chain %u (type %u, %u out, %u in bytes) refused with status %u",
				      q->index, e->head, le32toh(bq->hdrs[i].type),
				      e->out_bytes, e->in_bytes, s->req.status);
		if (bq->disk->window) {
			ret = zc_serve(q, bq, i);
			if (ret)
				return ret;
		}
	}
	ret = serve_slots(q, bq, n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		bq->used[i].head = bq->elems[i].head;
		bq->used[i].len = bq->slots[i].req.has_status ? bq->elems[i].in_bytes : 0;
	}
	/* Push the batch and pop the next one (the next call serves it). */
	ret = uvdev_queue_push_pop(q, bq->used, (size_t)n, UVDEV_PUSH_F_IRQ,
				   bq->elems, BLK_BATCH, bq->hdrs, BLK_HDR_SIZE);
	if (ret < 0)
		return ret;
	if (ret > 0)
		backend_debug(bq->disk->backend, "queue %u: the kernel refused %d completions",
			      q->index, ret);
	if (bq->maps_unreaped >= BLK_ZC_REAP_EVERY)
		zc_reap(q, bq);
	return n;
}

struct blk_queue *blk_queue_alloc(const struct blk_disk *disk)
{
	struct blk_queue *bq = calloc(1, sizeof(*bq));

	if (!bq)
		return NULL;
	bq->disk = disk;
	bq->arena = aligned_alloc(4096, BLK_ARENA_SIZE);
	if (!bq->arena) {
		free(bq);
		return NULL;
	}
	return bq;
}

void blk_queue_zc_stats(const struct blk_queue *bq, struct blk_zc_stats *sum)
{
	if (!bq)
		return;
	sum->maps += bq->zc.maps;
	sum->mapped_pages += bq->zc.mapped_pages;
	sum->copied_pages += bq->zc.copied_pages;
	sum->refused += bq->zc.refused;
	sum->xfer_requests += bq->zc.xfer_requests;
}

void blk_queue_free(struct blk_queue *bq)
{
	if (!bq)
		return;
	free(bq->arena);
	free(bq);
}
