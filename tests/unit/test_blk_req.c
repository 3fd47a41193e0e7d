// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk request validation (tools/uvdev/blk_req.c): well-formed
 * requests, and every kind of malformed one a driver could send.
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "blk_req.h"

static const struct blk_limits disk = {
	.capacity = 2048,		/* 1 MiB */
	.max_discard_sectors = 1024,
	.max_discard_seg = 4,
	.max_write_zeroes_sectors = 512,
	.max_write_zeroes_seg = 2,
};

static const struct blk_limits ro_disk = {
	.capacity = 2048,
	.read_only = true,
	.max_discard_sectors = 1024,
	.max_discard_seg = 4,
	.max_write_zeroes_sectors = 512,
	.max_write_zeroes_seg = 2,
};

static struct blk_req parse(uint32_t type, uint64_t sector, uint32_t out_bytes,
			    uint32_t in_bytes, const struct blk_limits *limits)
{
	struct virtio_blk_outhdr hdr = {
		.type = htole32(type),
		.sector = htole64(sector),
	};
	struct blk_req req;

	/* Poison: every field must be set by the parser. */
	memset(&req, 0xa5, sizeof(req));
	blk_req_parse(&req, &hdr, out_bytes, in_bytes, limits);
	return req;
}

static void assert_refused(struct blk_req req, uint8_t status)
{
	assert_int_equal(req.op, BLK_OP_NONE);
	assert_int_equal(req.status, status);
	assert_int_equal(req.out_len, 0);
	assert_int_equal(req.in_len, 0);
}

static void read_well_formed(void **state)
{
	struct blk_req req = parse(VIRTIO_BLK_T_IN, 8, 16, 4096 + 1, &disk);

	(void)state;
	assert_int_equal(req.op, BLK_OP_READ);
	assert_int_equal(req.status, VIRTIO_BLK_S_OK);
	assert_true(req.has_status);
	assert_int_equal(req.offset, 8 * 512);
	assert_int_equal(req.in_len, 4096);
	assert_int_equal(req.out_len, 0);
	assert_int_equal(req.status_offset, 4096);

	/* The last sector of the disk. */
	req = parse(VIRTIO_BLK_T_IN, 2047, 16, 512 + 1, &disk);
	assert_int_equal(req.op, BLK_OP_READ);
	assert_int_equal(req.offset, 2047 * 512);
}

static void read_outside_the_disk(void **state)
{
	const struct blk_limits huge = { .capacity = UINT64_MAX };

	(void)state;
	/* One sector too many. */
	assert_refused(parse(VIRTIO_BLK_T_IN, 2047, 16, 1024 + 1, &disk), VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_IN, 2048, 16, 512 + 1, &disk), VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_IN, 4096, 16, 512 + 1, &disk), VIRTIO_BLK_S_IOERR);
	/* sector + length wraps around 2^64; sector * 512 would too. */
	assert_refused(parse(VIRTIO_BLK_T_IN, UINT64_MAX - 1, 16, 1024 + 1, &disk),
		       VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_IN, (UINT64_MAX >> 9) + 1, 16, 512 + 1, &disk),
		       VIRTIO_BLK_S_IOERR);
	/* Against a disk of 2^64 sectors, byte offsets still may not wrap. */
	assert_refused(parse(VIRTIO_BLK_T_IN, UINT64_MAX, 16, 0xfffffe01, &huge),
		       VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_IN, 1ULL << 60, 16, 513, &huge), VIRTIO_BLK_S_IOERR);
	assert_int_equal(parse(VIRTIO_BLK_T_IN, (UINT64_MAX >> 9) - 1, 16, 513, &huge).op,
			 BLK_OP_READ);
}

static void read_malformed(void **state)
{
	(void)state;
	/* Data not a multiple of 512. */
	assert_refused(parse(VIRTIO_BLK_T_IN, 0, 16, 1000 + 1, &disk), VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_IN, 0, 16, 512, &disk), VIRTIO_BLK_S_IOERR);
	/* Out-bytes beyond the header. */
	assert_refused(parse(VIRTIO_BLK_T_IN, 0, 16 + 512, 512 + 1, &disk), VIRTIO_BLK_S_IOERR);
}

static void write_well_formed(void **state)
{
	struct blk_req req = parse(VIRTIO_BLK_T_OUT, 16, 16 + 8192, 1, &disk);

	(void)state;
	assert_int_equal(req.op, BLK_OP_WRITE);
	assert_int_equal(req.offset, 16 * 512);
	assert_int_equal(req.out_len, 8192);
	assert_int_equal(req.in_len, 0);
	assert_int_equal(req.status_offset, 0);
}

static void write_malformed(void **state)
{
	(void)state;
	assert_refused(parse(VIRTIO_BLK_T_OUT, 0, 16 + 100, 1, &disk), VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_OUT, 2047, 16 + 1024, 1, &disk), VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_OUT, UINT64_MAX, 16 + 512, 1, &disk), VIRTIO_BLK_S_IOERR);
	/* In-bytes beyond the status byte. */
	assert_refused(parse(VIRTIO_BLK_T_OUT, 0, 16 + 512, 2, &disk), VIRTIO_BLK_S_IOERR);
}

static void write_on_read_only(void **state)
{
	(void)state;
	assert_refused(parse(VIRTIO_BLK_T_OUT, 0, 16 + 512, 1, &ro_disk), VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_DISCARD, 0, 16 + 16, 1, &ro_disk), VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16 + 16, 1, &ro_disk),
		       VIRTIO_BLK_S_IOERR);
	/* Reads and flushes still work. */
	assert_int_equal(parse(VIRTIO_BLK_T_IN, 0, 16, 513, &ro_disk).op, BLK_OP_READ);
	assert_int_equal(parse(VIRTIO_BLK_T_FLUSH, 0, 16, 1, &ro_disk).op, BLK_OP_FLUSH);
}

static void short_header(void **state)
{
	struct blk_req req;

	(void)state;
	req = parse(VIRTIO_BLK_T_IN, 0, 15, 513, &disk);
	assert_refused(req, VIRTIO_BLK_S_IOERR);
	assert_true(req.has_status);
	assert_int_equal(req.status_offset, 512);
	assert_refused(parse(VIRTIO_BLK_T_FLUSH, 0, 0, 1, &disk), VIRTIO_BLK_S_IOERR);
}

static void missing_status_byte(void **state)
{
	struct blk_req req;

	(void)state;
	req = parse(VIRTIO_BLK_T_IN, 0, 16, 0, &disk);
	assert_int_equal(req.op, BLK_OP_NONE);
	assert_false(req.has_status);
	req = parse(VIRTIO_BLK_T_OUT, 0, 16 + 512, 0, &disk);
	assert_int_equal(req.op, BLK_OP_NONE);
	assert_false(req.has_status);
	req = parse(VIRTIO_BLK_T_FLUSH, 0, 0, 0, &disk);
	assert_false(req.has_status);
}

static void unknown_types(void **state)
{
	(void)state;
	assert_refused(parse(VIRTIO_BLK_T_SCSI_CMD, 0, 16, 1, &disk), VIRTIO_BLK_S_UNSUPP);
	assert_refused(parse(VIRTIO_BLK_T_SECURE_ERASE, 0, 16 + 16, 1, &disk),
		       VIRTIO_BLK_S_UNSUPP);
	assert_refused(parse(VIRTIO_BLK_T_BARRIER | VIRTIO_BLK_T_OUT, 0, 16 + 512, 1, &disk),
		       VIRTIO_BLK_S_UNSUPP);
	assert_refused(parse(3, 0, 16, 1, &disk), VIRTIO_BLK_S_UNSUPP);
	assert_refused(parse(UINT32_MAX, 0, 16, 1, &disk), VIRTIO_BLK_S_UNSUPP);
}

static void flush_and_get_id(void **state)
{
	struct blk_req req;

	(void)state;
	req = parse(VIRTIO_BLK_T_FLUSH, 0, 16, 1, &disk);
	assert_int_equal(req.op, BLK_OP_FLUSH);
	assert_int_equal(req.in_len, 0);
	assert_refused(parse(VIRTIO_BLK_T_FLUSH, 0, 16, 2, &disk), VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_FLUSH, 0, 32, 1, &disk), VIRTIO_BLK_S_IOERR);

	req = parse(VIRTIO_BLK_T_GET_ID, 0, 16, VIRTIO_BLK_ID_BYTES + 1, &disk);
	assert_int_equal(req.op, BLK_OP_GET_ID);
	assert_int_equal(req.in_len, VIRTIO_BLK_ID_BYTES);
	assert_int_equal(req.status_offset, VIRTIO_BLK_ID_BYTES);
	assert_refused(parse(VIRTIO_BLK_T_GET_ID, 0, 16, VIRTIO_BLK_ID_BYTES, &disk),
		       VIRTIO_BLK_S_IOERR);
}

static void discard_layout(void **state)
{
	struct blk_req req;

	(void)state;
	req = parse(VIRTIO_BLK_T_DISCARD, 0, 16 + 2 * 16, 1, &disk);
	assert_int_equal(req.op, BLK_OP_DISCARD);
	assert_int_equal(req.nsegs, 2);
	assert_int_equal(req.out_len, 32);
	req = parse(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16 + 16, 1, &disk);
	assert_int_equal(req.op, BLK_OP_WRITE_ZEROES);
	assert_int_equal(req.nsegs, 1);

	/* No segment, a partial segment, too many segments, no status only. */
	assert_refused(parse(VIRTIO_BLK_T_DISCARD, 0, 16, 1, &disk), VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_DISCARD, 0, 16 + 20, 1, &disk), VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_DISCARD, 0, 16 + 5 * 16, 1, &disk), VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16 + 3 * 16, 1, &disk),
		       VIRTIO_BLK_S_IOERR);
	assert_refused(parse(VIRTIO_BLK_T_DISCARD, 0, 16 + 16, 2, &disk), VIRTIO_BLK_S_IOERR);
}

static void put_segment(uint8_t *buf, unsigned int i, uint64_t sector,
			uint32_t num_sectors, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes seg = {
		.sector = htole64(sector),
		.num_sectors = htole32(num_sectors),
		.flags = htole32(flags),
	};

	memcpy(buf + i * 16, &seg, sizeof(seg));
}

static uint8_t check(uint32_t type, const uint8_t *segs, unsigned int nsegs)
{
	struct blk_req req = parse(type, 0, 16 + nsegs * 16, 1, &disk);

	assert_int_not_equal(req.op, BLK_OP_NONE);
	return blk_req_check_segments(&req, segs, &disk);
}

static void discard_segments(void **state)
{
	/* One spare byte: segments need not be aligned. */
	uint8_t raw[4 * 16 + 1];
	uint8_t *segs = raw + 1;
	uint64_t sector;
	uint32_t num, flags;

	(void)state;
	put_segment(segs, 0, 0, 8, 0);
	put_segment(segs, 1, 2040, 8, 0);
	assert_int_equal(check(VIRTIO_BLK_T_DISCARD, segs, 2), VIRTIO_BLK_S_OK);
	blk_req_segment(segs, 1, &sector, &num, &flags);
	assert_int_equal(sector, 2040);
	assert_int_equal(num, 8);
	assert_int_equal(flags, 0);

	/* Past the end, by one sector and by wrapping. */
	put_segment(segs, 1, 2041, 8, 0);
	assert_int_equal(check(VIRTIO_BLK_T_DISCARD, segs, 2), VIRTIO_BLK_S_IOERR);
	put_segment(segs, 1, UINT64_MAX - 3, 8, 0);
	assert_int_equal(check(VIRTIO_BLK_T_DISCARD, segs, 2), VIRTIO_BLK_S_IOERR);
	/* Over max_discard_sectors. */
	put_segment(segs, 1, 0, 1025, 0);
	assert_int_equal(check(VIRTIO_BLK_T_DISCARD, segs, 2), VIRTIO_BLK_S_IOERR);

	/* Discard takes no flag: unmap or unknown ones are unsupported. */
	put_segment(segs, 1, 0, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	assert_int_equal(check(VIRTIO_BLK_T_DISCARD, segs, 2), VIRTIO_BLK_S_UNSUPP);
	put_segment(segs, 1, 0, 8, 0x80);
	assert_int_equal(check(VIRTIO_BLK_T_DISCARD, segs, 2), VIRTIO_BLK_S_UNSUPP);
}

static void write_zeroes_segments(void **state)
{
	uint8_t segs[2 * 16];

	(void)state;
	put_segment(segs, 0, 100, 512, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	put_segment(segs, 1, 0, 0, 0);
	assert_int_equal(check(VIRTIO_BLK_T_WRITE_ZEROES, segs, 2), VIRTIO_BLK_S_OK);
	/* Its own limit, not discard's. */
	put_segment(segs, 0, 100, 513, 0);
	assert_int_equal(check(VIRTIO_BLK_T_WRITE_ZEROES, segs, 2), VIRTIO_BLK_S_IOERR);
	put_segment(segs, 0, 100, 8, 2);
	assert_int_equal(check(VIRTIO_BLK_T_WRITE_ZEROES, segs, 2), VIRTIO_BLK_S_UNSUPP);
}

static void segments_of_other_requests(void **state)
{
	struct blk_req req = parse(VIRTIO_BLK_T_IN, 0, 16, 513, &disk);
	uint8_t segs[16] = { 0 };

	(void)state;
	assert_int_equal(blk_req_check_segments(&req, segs, &disk), VIRTIO_BLK_S_IOERR);
}

static void serial_from_name(void **state)
{
	char id[VIRTIO_BLK_ID_BYTES];
	char expect[VIRTIO_BLK_ID_BYTES] = "blk0";

	(void)state;
	memset(id, 'x', sizeof(id));
	blk_serial("blk0", id);
	assert_memory_equal(id, expect, sizeof(id));

	/* Exactly 20 bytes: no terminator. */
	blk_serial("abcdefghij0123456789", id);
	assert_memory_equal(id, "abcdefghij0123456789", sizeof(id));

	/* Longer: 11 characters, '-', the name's FNV-1a. */
	blk_serial("a-very-long-device-name-01", id);
	assert_memory_equal(id, "a-very-long-e99b5a95", sizeof(id));
	blk_serial("a-very-long-device-name-02", id);
	assert_memory_not_equal(id, "a-very-long-e99b5a95", sizeof(id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(read_well_formed),
		cmocka_unit_test(read_outside_the_disk),
		cmocka_unit_test(read_malformed),
		cmocka_unit_test(write_well_formed),
		cmocka_unit_test(write_malformed),
		cmocka_unit_test(write_on_read_only),
		cmocka_unit_test(short_header),
		cmocka_unit_test(missing_status_byte),
		cmocka_unit_test(unknown_types),
		cmocka_unit_test(flush_and_get_id),
		cmocka_unit_test(discard_layout),
		cmocka_unit_test(discard_segments),
		cmocka_unit_test(write_zeroes_segments),
		cmocka_unit_test(segments_of_other_requests),
		cmocka_unit_test(serial_from_name),
	};

	return cmocka_run_group_tests_name("blk_req", tests, NULL, NULL);
}
