/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk requests: what a chain asks for and whether it is well formed.
 *
 * A request is a chain of out-bytes (the 16-byte header, then write data or
 * discard segments) and in-bytes (read data or the id, then the status
 * byte, always the chain's last in-byte). Pure logic, no I/O, so every rule
 * is unit tested.
 */
#ifndef UVDEV_BLK_REQ_H
#define UVDEV_BLK_REQ_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_blk.h>

#define BLK_SECTOR_SIZE		512u
#define BLK_HDR_SIZE		16u	/* struct virtio_blk_outhdr */
#define BLK_SEG_SIZE		16u	/* struct virtio_blk_discard_write_zeroes */

/* What the device offers, as its config space says. */
struct blk_limits {
	_Atomic uint64_t capacity;	/* sectors; uvdev-blk's SIGHUP changes it */
	bool read_only;
	uint32_t max_discard_sectors;	/* per segment */
	uint32_t max_discard_seg;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
};

enum blk_op {
	BLK_OP_NONE,		/* nothing to do: the status is already known */
	BLK_OP_READ,
	BLK_OP_WRITE,
	BLK_OP_FLUSH,
	BLK_OP_GET_ID,
	BLK_OP_DISCARD,
	BLK_OP_WRITE_ZEROES,
};

struct blk_req {
	enum blk_op op;
	uint8_t status;		/* VIRTIO_BLK_S_*; the answer when op is NONE */
	bool has_status;	/* the chain has an in-byte for the status */
	uint32_t status_offset;	/* of the status byte in the in-bytes */
	uint64_t offset;	/* disk byte offset of READ and WRITE data */
	uint32_t out_len;	/* out-bytes after the header to fetch */
	uint32_t in_len;	/* in-bytes before the status byte to fill */
	uint32_t nsegs;		/* DISCARD and WRITE_ZEROES segments */
};

/*
 * Classify a chain of @out_bytes and @in_bytes whose header is @hdr (as
 * peeked: zero past the chain's out-bytes). A malformed request gets
 * op NONE and status VIRTIO_BLK_S_IOERR, an unknown type
 * VIRTIO_BLK_S_UNSUPP.
 */
void blk_req_parse(struct blk_req *req, const struct virtio_blk_outhdr *hdr,
		   uint32_t out_bytes, uint32_t in_bytes,
		   const struct blk_limits *limits);

/*
 * Check the @req->nsegs segments of a DISCARD or WRITE_ZEROES request, read
 * from the chain into @segs (any alignment). Returns VIRTIO_BLK_S_OK,
 * VIRTIO_BLK_S_UNSUPP for flags the request type does not allow, or
 * VIRTIO_BLK_S_IOERR for a range outside the disk or over the limits.
 */
uint8_t blk_req_check_segments(const struct blk_req *req, const void *segs,
			       const struct blk_limits *limits);

/* Segment @i of @segs, in host byte order. */
void blk_req_segment(const void *segs, uint32_t i, uint64_t *sector,
		     uint32_t *num_sectors, uint32_t *flags);

/*
 * The device's serial (VIRTIO_BLK_T_GET_ID), from its name: the name itself
 * if it fits in VIRTIO_BLK_ID_BYTES (zero padded), else its first 11
 * characters, '-' and 8 hex digits of the name's FNV-1a hash.
 */
void blk_serial(const char *name, char id[VIRTIO_BLK_ID_BYTES]);

#endif /* UVDEV_BLK_REQ_H */
