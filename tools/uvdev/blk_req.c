// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk request validation. Every chain length and every sector range
 * comes from the driver, so each is checked here before any I/O, with
 * arithmetic that cannot overflow.
 */
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "blk_req.h"

/*
 * True if [sector, sector + nsect) lies inside a disk of @capacity sectors
 * whose byte offsets fit in 64 bits.
 */
static bool range_inside(uint64_t capacity, uint64_t sector, uint64_t nsect)
{
	if (capacity > UINT64_MAX / BLK_SECTOR_SIZE)
		capacity = UINT64_MAX / BLK_SECTOR_SIZE;
	return sector <= capacity && nsect <= capacity - sector;
}

static void fail(struct blk_req *req, uint8_t status)
{
	req->op = BLK_OP_NONE;
	req->status = status;
	req->out_len = 0;
	req->in_len = 0;
	req->nsegs = 0;
}

/* READ: the header only out; data, then the status byte, in. */
static bool parse_read(struct blk_req *req, uint64_t sector, uint32_t out_bytes,
		       uint32_t in_bytes, const struct blk_limits *limits)
{
	uint32_t len = in_bytes - 1;

	if (out_bytes != BLK_HDR_SIZE || len % BLK_SECTOR_SIZE ||
	    !range_inside(limits->capacity, sector, len / BLK_SECTOR_SIZE))
		return false;
	req->op = BLK_OP_READ;
	req->offset = sector * BLK_SECTOR_SIZE;
	req->in_len = len;
	return true;
}

/* WRITE: the header and data out; the status byte only in. */
static bool parse_write(struct blk_req *req, uint64_t sector, uint32_t out_bytes,
			uint32_t in_bytes, const struct blk_limits *limits)
{
	uint32_t len = out_bytes - BLK_HDR_SIZE;

	if (limits->read_only || in_bytes != 1 || len % BLK_SECTOR_SIZE ||
	    !range_inside(limits->capacity, sector, len / BLK_SECTOR_SIZE))
		return false;
	req->op = BLK_OP_WRITE;
	req->offset = sector * BLK_SECTOR_SIZE;
	req->out_len = len;
	return true;
}

/* DISCARD, WRITE_ZEROES: the header and 1..max segments out; status in. */
static bool parse_ranges(struct blk_req *req, enum blk_op op, uint32_t out_bytes,
			 uint32_t in_bytes, uint32_t max_segs,
			 const struct blk_limits *limits)
{
	uint32_t len = out_bytes - BLK_HDR_SIZE;

	if (limits->read_only || in_bytes != 1 || len == 0 ||
	    len % BLK_SEG_SIZE || len / BLK_SEG_SIZE > max_segs)
		return false;
	req->op = op;
	req->out_len = len;
	req->nsegs = len / BLK_SEG_SIZE;
	return true;
}

/* FLUSH and GET_ID: the header only out; @in_len bytes and the status in. */
static bool parse_fixed(struct blk_req *req, enum blk_op op, uint32_t out_bytes,
			uint32_t in_bytes, uint32_t in_len)
{
	if (out_bytes != BLK_HDR_SIZE || in_bytes != in_len + 1)
		return false;
	req->op = op;
	req->in_len = in_len;
	return true;
}

void blk_req_parse(struct blk_req *req, const struct virtio_blk_outhdr *hdr,
		   uint32_t out_bytes, uint32_t in_bytes,
		   const struct blk_limits *limits)
{
	uint32_t type = le32toh(hdr->type);
	uint64_t sector = le64toh(hdr->sector);
	bool ok;

	memset(req, 0, sizeof(*req));
	req->status = VIRTIO_BLK_S_OK;
	req->has_status = in_bytes >= 1;
	req->status_offset = req->has_status ? in_bytes - 1 : 0;
	/* No room for the answer, or no header: nothing can be done. */
	if (!req->has_status || out_bytes < BLK_HDR_SIZE) {
		fail(req, VIRTIO_BLK_S_IOERR);
		return;
	}

	switch (type) {
	case VIRTIO_BLK_T_IN:
		ok = parse_read(req, sector, out_bytes, in_bytes, limits);
		break;
	case VIRTIO_BLK_T_OUT:
		ok = parse_write(req, sector, out_bytes, in_bytes, limits);
		break;
	case VIRTIO_BLK_T_FLUSH:
		ok = parse_fixed(req, BLK_OP_FLUSH, out_bytes, in_bytes, 0);
		break;
	case VIRTIO_BLK_T_GET_ID:
		ok = parse_fixed(req, BLK_OP_GET_ID, out_bytes, in_bytes,
				 VIRTIO_BLK_ID_BYTES);
		break;
	case VIRTIO_BLK_T_DISCARD:
		ok = parse_ranges(req, BLK_OP_DISCARD, out_bytes, in_bytes,
				  limits->max_discard_seg, limits);
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		ok = parse_ranges(req, BLK_OP_WRITE_ZEROES, out_bytes, in_bytes,
				  limits->max_write_zeroes_seg, limits);
		break;
	default:
		fail(req, VIRTIO_BLK_S_UNSUPP);
		return;
	}
	if (!ok)
		fail(req, VIRTIO_BLK_S_IOERR);
}

void blk_req_segment(const void *segs, uint32_t i, uint64_t *sector,
		     uint32_t *num_sectors, uint32_t *flags)
{
	struct virtio_blk_discard_write_zeroes seg;

	memcpy(&seg, (const uint8_t *)segs + (size_t)i * BLK_SEG_SIZE, sizeof(seg));
	*sector = le64toh(seg.sector);
	*num_sectors = le32toh(seg.num_sectors);
	*flags = le32toh(seg.flags);
}

uint8_t blk_req_check_segments(const struct blk_req *req, const void *segs,
			       const struct blk_limits *limits)
{
	bool discard = req->op == BLK_OP_DISCARD;
	uint32_t max_sectors = discard ? limits->max_discard_sectors :
					 limits->max_write_zeroes_sectors;
	/* Discard takes no flag; write zeroes may ask to unmap. */
	uint32_t allowed = discard ? 0 : VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	uint32_t i;

	if (req->op != BLK_OP_DISCARD && req->op != BLK_OP_WRITE_ZEROES)
		return VIRTIO_BLK_S_IOERR;
	for (i = 0; i < req->nsegs; i++) {
		uint32_t num_sectors, flags;
		uint64_t sector;

		blk_req_segment(segs, i, &sector, &num_sectors, &flags);
		if (flags & ~allowed)
			return VIRTIO_BLK_S_UNSUPP;
		if (num_sectors > max_sectors ||
		    !range_inside(limits->capacity, sector, num_sectors))
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/* 32-bit FNV-1a. */
static uint32_t fnv1a(const char *s)
{
	uint32_t hash = 2166136261u;

	while (*s) {
		hash ^= (uint8_t)*s++;
		hash *= 16777619u;
	}
	return hash;
}

void blk_serial(const char *name, char id[VIRTIO_BLK_ID_BYTES])
{
	size_t len = strlen(name);
	char tail[10];

	memset(id, 0, VIRTIO_BLK_ID_BYTES);
	if (len <= VIRTIO_BLK_ID_BYTES) {
		memcpy(id, name, len);
		return;
	}
	/* 11 characters of the name, then "-xxxxxxxx": 20 bytes. */
	snprintf(tail, sizeof(tail), "-%08x", fnv1a(name));
	memcpy(id, name, VIRTIO_BLK_ID_BYTES - 9);
	memcpy(id + VIRTIO_BLK_ID_BYTES - 9, tail, 9);
}
