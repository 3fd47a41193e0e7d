/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Serving one virtio-blk queue from a file, a batch at a time: the batch
 * (popped with the 16-byte headers peeked), one VQ_XFER to fetch the data
 * of every write, the file I/O, one VQ_XFER to return read data and status
 * bytes, and one VQ_SERVE that pushes the batch, injects the interrupt and
 * pops the next batch (a VQ_POP only starts a pass).
 */
#ifndef UVDEV_BLK_QUEUE_H
#define UVDEV_BLK_QUEUE_H

#include "backend.h"
#include "blk_req.h"
#include "uvdev_service.h"

#include <stdatomic.h>

#define BLK_BATCH		64		/* chains per VQ_POP */
#define BLK_ARENA_SIZE		(4u << 20)	/* data buffer of a queue */

/* Notification keys uvdev-blk posts; see uvdevctl wait and uvdev-blk(8). */
#define BLK_KEY_RELOADED	1	/* a SIGHUP reload was applied */
#define BLK_KEY_RESET		2	/* the file failed: NEEDS_RESET was raised */
#define BLK_NOTIF_MAX		2
/*
 * Zero copy: reads and writes of at least zc_min data bytes are mapped
 * into the device's window (UVDEV_IOC_ZC_MAP) and the file I/O goes
 * straight to the request's pages; smaller ones, and any the kernel
 * refuses (window full), go through the arena with VQ_XFER.
 */
struct blk_zc_stats {
	uint64_t maps;		/* requests served through the window */
	uint64_t mapped_pages;	/* window pages that were the request's own */
	uint64_t copied_pages;	/* bounced by the kernel, or refused */
	uint64_t refused;	/* maps refused: window full */
	uint64_t xfer_requests;	/* reads and writes served by XFER */
};

/* The disk, shared read-only by the queue threads. */
struct blk_disk {
	const struct backend *backend;	/* for messages */
	const char *path;
	int fd;
	int dev_fd;			/* the device, for notifications */
	struct blk_limits limits;	/* capacity may change on SIGHUP */
	char serial[VIRTIO_BLK_ID_BYTES];
	atomic_bool *failed;		/* see blk_disk_failed() */
	uint8_t *window;		/* the zero-copy window, or NULL */
	uint32_t zc_min;		/* data bytes from which to map; 0: never */
	/*
	 * The file mapped read-only (--file-map), or NULL: reads within
	 * map_len are moved by VQ_XFER straight from the mapping, with no
	 * read(2) and no copy into the arena. The backend never touches the
	 * mapping itself, only the kernel does: a fault there (an I/O error,
	 * a file that shrank) fails that op with EFAULT, and the read is done
	 * again with pread(2). Reads past map_len (the disk grew) use pread.
	 */
	const uint8_t *map;
	uint64_t map_len;
	bool zc_reads;			/* map reads into the window even so */
};

struct blk_queue;

/*
 * The file failed (@err, a negative errno) or is gone (@err 0): the first
 * time, say so and ask the driver for a reset (NEEDS_RESET, then key
 * BLK_KEY_RESET). Requests the file fails still fail with IOERR.
 */
void blk_disk_failed(const struct blk_disk *disk, const char *what, int err);

/* A queue's state, with its data arena; NULL when out of memory. */
struct blk_queue *blk_queue_alloc(const struct blk_disk *disk);
void blk_queue_free(struct blk_queue *bq);
/* Add @bq's zero-copy counters to @sum. */
void blk_queue_zc_stats(const struct blk_queue *bq, struct blk_zc_stats *sum);

/*
 * The serve_batch of struct uvdev_service_ops; q->priv is a struct
 * blk_queue. Every popped chain is answered: malformed requests with
 * VIRTIO_BLK_S_IOERR, unknown ones with VIRTIO_BLK_S_UNSUPP.
 */
int blk_serve_batch(struct uvdev_queue *q);

#endif /* UVDEV_BLK_QUEUE_H */
