// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev-blk's queue service (tools/uvdev/blk_queue.c) against the fake ring
 * ioctls and a memfd disk: what lands in the file and in the chains, the
 * status of every kind of request, and the syscalls a batch costs.
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "blk_queue.h"
#include "fake_uvdev.h"

#define DISK_SECTORS	(16 * 2048)	/* 16 MiB: more than the arena */
#define DISK_BYTES	((size_t)DISK_SECTORS * 512)

struct fixture {
	struct backend backend;
	struct blk_disk disk;
	struct uvdev_service svc;
	struct uvdev_queue q;
	struct blk_queue *bq;
	uint8_t *image;		/* what the disk held at setup */
};

static uint8_t pattern(size_t off)
{
	return (uint8_t)(off * 7 + off / 4096);
}

static int setup_disk(void **state, bool read_only)
{
	struct fixture *f = calloc(1, sizeof(*f));
	size_t i;

	if (!f)
		return -1;
	fake_reset();
	f->backend.prog = "test";
	f->backend.name = "t0";
	f->disk.backend = &f->backend;
	f->disk.path = "memfd";
	f->disk.fd = memfd_create("disk", MFD_CLOEXEC);
	f->disk.limits = (struct blk_limits){
		.capacity = DISK_SECTORS,
		.read_only = read_only,
		.max_discard_sectors = 4096,
		.max_discard_seg = 8,
		.max_write_zeroes_sectors = 4096,
		.max_write_zeroes_seg = 8,
	};
	memcpy(f->disk.serial, "serial-of-t0", 12);
	f->image = malloc(DISK_BYTES);
	if (f->disk.fd < 0 || !f->image)
		return -1;
	for (i = 0; i < DISK_BYTES; i++)
		f->image[i] = pattern(i);
	if (pwrite(f->disk.fd, f->image, DISK_BYTES, 0) != (ssize_t)DISK_BYTES)
		return -1;
	f->bq = blk_queue_alloc(&f->disk);
	if (!f->bq)
		return -1;
	f->svc.dev_fd = FAKE_FD;
	f->svc.num_queues = 1;
	f->q.svc = &f->svc;
	f->q.index = 0;
	f->q.priv = f->bq;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_disk(state, false);
}

static int setup_read_only(void **state)
{
	return setup_disk(state, true);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	blk_queue_free(f->bq);
	close(f->disk.fd);
	free(f->image);
	free(f);
	fake_reset();
	return 0;
}

/* A request's out-bytes: the header, then @len bytes of @payload. */
static uint32_t add_request(uint32_t type, uint64_t sector, const void *payload,
			    uint32_t len, uint32_t in_bytes)
{
	struct virtio_blk_outhdr hdr = {
		.type = htole32(type),
		.sector = htole64(sector),
	};
	uint8_t *out = malloc(sizeof(hdr) + len);
	uint32_t head;

	assert_non_null(out);
	memcpy(out, &hdr, sizeof(hdr));
	if (len)
		memcpy(out + sizeof(hdr), payload, len);
	head = fake_add_chain(out, sizeof(hdr) + len, in_bytes);
	free(out);
	return head;
}

static uint8_t status_of(uint32_t head)
{
	const struct fake_chain *c = &fake.chains[head];

	assert_int_equal(c->state, FAKE_USED);
	assert_true(c->in_len > 0);
	return c->in[c->in_len - 1];
}

static void read_file(const struct fixture *f, void *buf, size_t len, uint64_t off)
{
	assert_int_equal(pread(f->disk.fd, buf, len, (off_t)off), (ssize_t)len);
}

static void read_returns_file_data(void **state)
{
	struct fixture *f = *state;
	uint32_t head = add_request(VIRTIO_BLK_T_IN, 8, NULL, 0, 4096 + 1);

	assert_int_equal(blk_serve_batch(&f->q), 1);
	assert_memory_equal(fake.chains[head].in, f->image + 8 * 512, 4096);
	assert_int_equal(status_of(head), VIRTIO_BLK_S_OK);
	assert_int_equal(fake.chains[head].used_len, 4097);
	/*
	 * One pop, one xfer for data and status together, one serve: the
	 * push with its IRQ and the pop that finds the ring empty.
	 */
	assert_int_equal(fake.pops, 1);
	assert_int_equal(fake.xfers, 1);
	assert_int_equal(fake.serves, 1);
	assert_int_equal(fake.pushes, 0);
	assert_int_equal(fake.irqs, 1);
	/* The serve found the ring empty: no syscall to learn it again. */
	assert_int_equal(blk_serve_batch(&f->q), 0);
	assert_int_equal(fake.pops, 1);
	assert_int_equal(fake.serves, 1);
}

static void write_lands_in_file(void **state)
{
	struct fixture *f = *state;
	uint8_t data[1024], back[1024];
	uint32_t head;

	memset(data, 0x5a, sizeof(data));
	head = add_request(VIRTIO_BLK_T_OUT, 100, data, sizeof(data), 1);
	assert_int_equal(blk_serve_batch(&f->q), 1);
	assert_int_equal(status_of(head), VIRTIO_BLK_S_OK);
	assert_int_equal(fake.chains[head].used_len, 1);
	read_file(f, back, sizeof(back), 100 * 512);
	assert_memory_equal(back, data, sizeof(data));
	/* The neighbours are untouched. */
	read_file(f, back, 512, 99 * 512);
	assert_memory_equal(back, f->image + 99 * 512, 512);
	read_file(f, back, 512, 102 * 512);
	assert_memory_equal(back, f->image + 102 * 512, 512);
}

static void batch_costs_four_syscalls(void **state)
{
	struct fixture *f = *state;
	uint32_t heads[48], i;
	uint8_t data[4096];

	for (i = 0; i < 48; i++) {
		if (i % 3 == 2) {
			memset(data, (int)i, sizeof(data));
			heads[i] = add_request(VIRTIO_BLK_T_OUT, 1000 + i * 8, data,
					       sizeof(data), 1);
		} else {
			heads[i] = add_request(VIRTIO_BLK_T_IN, i * 8, NULL, 0, 4096 + 1);
		}
	}
	assert_int_equal(blk_serve_batch(&f->q), 48);
	assert_int_equal(fake.pops, 1);
	assert_int_equal(fake.xfers, 2);	/* write data in, replies out */
	assert_int_equal(fake.serves, 1);	/* push, IRQ, next pop */
	assert_int_equal(fake.pushes, 0);
	assert_int_equal(fake.irqs, 1);
	assert_int_equal(fake.pushed, 48);
	for (i = 0; i < 48; i++) {
		assert_int_equal(fake.used_order[i], heads[i]);
		assert_int_equal(status_of(heads[i]), VIRTIO_BLK_S_OK);
		if (i % 3 != 2)
			assert_memory_equal(fake.chains[heads[i]].in, f->image + i * 8 * 512, 4096);
	}
	read_file(f, data, sizeof(data), (1000 + 47 * 8) * 512);
	assert_int_equal(data[0], 47);
	assert_int_equal(data[4095], 47);
}

static void more_than_a_batch(void **state)
{
	struct fixture *f = *state;
	uint32_t i;

	for (i = 0; i < BLK_BATCH + 10; i++)
		add_request(VIRTIO_BLK_T_IN, i, NULL, 0, 512 + 1);
	assert_int_equal(blk_serve_batch(&f->q), BLK_BATCH);
	assert_int_equal(blk_serve_batch(&f->q), 10);
	assert_int_equal(blk_serve_batch(&f->q), 0);
	for (i = 0; i < BLK_BATCH + 10; i++)
		assert_int_equal(status_of(i), VIRTIO_BLK_S_OK);
	/* Each batch's serve popped the next: one ring call per batch. */
	assert_int_equal(fake.pops, 1);
	assert_int_equal(fake.serves, 2);
	assert_int_equal(fake.pushes, 0);
}

static void reset_forgets_the_next_batch(void **state)
{
	struct fixture *f = *state;
	uint32_t i;

	for (i = 0; i < BLK_BATCH + 1; i++)
		add_request(VIRTIO_BLK_T_IN, i, NULL, 0, 512 + 1);
	assert_int_equal(blk_serve_batch(&f->q), BLK_BATCH);
	/* A RESET (the service clears it) drops the chain the serve popped. */
	f->q.carried = false;
	fake.chains[BLK_BATCH].state = FAKE_AVAIL;
	fake.next_avail = BLK_BATCH;
	assert_int_equal(blk_serve_batch(&f->q), 1);
	assert_int_equal(fake.pops, 2);
	assert_int_equal(status_of(BLK_BATCH), VIRTIO_BLK_S_OK);
}

static void malformed_requests_are_answered(void **state)
{
	struct fixture *f = *state;
	struct virtio_blk_outhdr hdr = { .type = htole32(VIRTIO_BLK_T_IN) };
	uint32_t short_hdr, past_end, odd_len, no_status, unknown, good;
	uint8_t data[512] = { 0 };

	short_hdr = fake_add_chain(&hdr, 8, 512 + 1);
	past_end = add_request(VIRTIO_BLK_T_IN, DISK_SECTORS, NULL, 0, 512 + 1);
	odd_len = add_request(VIRTIO_BLK_T_OUT, 0, data, 100, 1);
	no_status = add_request(VIRTIO_BLK_T_IN, 0, NULL, 0, 0);
	unknown = add_request(VIRTIO_BLK_T_SCSI_CMD, 0, data, 64, 1);
	good = add_request(VIRTIO_BLK_T_IN, 0, NULL, 0, 512 + 1);

	assert_int_equal(blk_serve_batch(&f->q), 6);
	assert_int_equal(status_of(short_hdr), VIRTIO_BLK_S_IOERR);
	assert_int_equal(status_of(past_end), VIRTIO_BLK_S_IOERR);
	assert_int_equal(status_of(odd_len), VIRTIO_BLK_S_IOERR);
	assert_int_equal(status_of(unknown), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(status_of(good), VIRTIO_BLK_S_OK);
	/* Refused reads get only their status byte written. */
	assert_int_equal(fake.chains[past_end].in[0], 0xee);
	/* No status byte: pushed with nothing written. */
	assert_int_equal(fake.chains[no_status].state, FAKE_USED);
	assert_int_equal(fake.chains[no_status].used_len, 0);
	/* Nothing was written to the disk. */
	read_file(f, data, sizeof(data), 0);
	assert_memory_equal(data, f->image, sizeof(data));
}

static void read_only_refuses_writes(void **state)
{
	struct fixture *f = *state;
	uint8_t data[512], seg[16] = { 0 };
	uint32_t write, discard, read;

	memset(data, 0x33, sizeof(data));
	write = add_request(VIRTIO_BLK_T_OUT, 0, data, sizeof(data), 1);
	discard = add_request(VIRTIO_BLK_T_DISCARD, 0, seg, sizeof(seg), 1);
	read = add_request(VIRTIO_BLK_T_IN, 0, NULL, 0, 512 + 1);
	assert_int_equal(blk_serve_batch(&f->q), 3);
	assert_int_equal(status_of(write), VIRTIO_BLK_S_IOERR);
	assert_int_equal(status_of(discard), VIRTIO_BLK_S_IOERR);
	assert_int_equal(status_of(read), VIRTIO_BLK_S_OK);
	read_file(f, data, sizeof(data), 0);
	assert_memory_equal(data, f->image, sizeof(data));
}

static void flush_and_get_id(void **state)
{
	struct fixture *f = *state;
	uint32_t flush, id;

	flush = add_request(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 1);
	id = add_request(VIRTIO_BLK_T_GET_ID, 0, NULL, 0, VIRTIO_BLK_ID_BYTES + 1);
	assert_int_equal(blk_serve_batch(&f->q), 2);
	assert_int_equal(status_of(flush), VIRTIO_BLK_S_OK);
	assert_int_equal(status_of(id), VIRTIO_BLK_S_OK);
	assert_memory_equal(fake.chains[id].in, f->disk.serial, VIRTIO_BLK_ID_BYTES);
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

static void assert_zero(const struct fixture *f, uint64_t sector, uint32_t sectors)
{
	uint8_t buf[512];
	uint32_t i;

	for (i = 0; i < sectors; i++) {
		read_file(f, buf, sizeof(buf), (sector + i) * 512);
		assert_true(buf[0] == 0 && !memcmp(buf, buf + 1, sizeof(buf) - 1));
	}
}

static void discard_and_write_zeroes(void **state)
{
	struct fixture *f = *state;
	uint8_t segs[2 * 16], buf[512];
	uint32_t discard, zeroes, unmap;

	put_segment(segs, 0, 64, 16, 0);
	put_segment(segs, 1, 256, 8, 0);
	discard = add_request(VIRTIO_BLK_T_DISCARD, 0, segs, 32, 1);
	put_segment(segs, 0, 512, 8, 0);
	zeroes = add_request(VIRTIO_BLK_T_WRITE_ZEROES, 0, segs, 16, 1);
	put_segment(segs, 0, 1024, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	unmap = add_request(VIRTIO_BLK_T_WRITE_ZEROES, 0, segs, 16, 1);
	assert_int_equal(blk_serve_batch(&f->q), 3);
	assert_int_equal(status_of(discard), VIRTIO_BLK_S_OK);
	assert_int_equal(status_of(zeroes), VIRTIO_BLK_S_OK);
	assert_int_equal(status_of(unmap), VIRTIO_BLK_S_OK);
	/* memfd punches holes (reads zero); write zeroes must zero. */
	assert_zero(f, 64, 16);
	assert_zero(f, 256, 8);
	assert_zero(f, 512, 8);
	assert_zero(f, 1024, 8);
	read_file(f, buf, sizeof(buf), 80 * 512);
	assert_memory_equal(buf, f->image + 80 * 512, sizeof(buf));
	read_file(f, buf, sizeof(buf), 520 * 512);
	assert_memory_equal(buf, f->image + 520 * 512, sizeof(buf));
}

static void bad_ranges_are_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t segs[2 * 16], buf[512];
	uint32_t past_end, flagged, too_long;

	/* The second range is bad: the first must not be applied either. */
	put_segment(segs, 0, 0, 8, 0);
	put_segment(segs, 1, DISK_SECTORS - 4, 8, 0);
	past_end = add_request(VIRTIO_BLK_T_DISCARD, 0, segs, 32, 1);
	put_segment(segs, 1, 8, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	flagged = add_request(VIRTIO_BLK_T_DISCARD, 0, segs, 32, 1);
	put_segment(segs, 1, 8, 4097, 0);
	too_long = add_request(VIRTIO_BLK_T_WRITE_ZEROES, 0, segs, 32, 1);
	assert_int_equal(blk_serve_batch(&f->q), 3);
	assert_int_equal(status_of(past_end), VIRTIO_BLK_S_IOERR);
	assert_int_equal(status_of(flagged), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(status_of(too_long), VIRTIO_BLK_S_IOERR);
	read_file(f, buf, sizeof(buf), 0);
	assert_memory_equal(buf, f->image, sizeof(buf));
}

static void large_requests_go_in_pieces(void **state)
{
	struct fixture *f = *state;
	uint32_t len = BLK_ARENA_SIZE + 512 * 3;
	uint32_t read, small, write;
	uint8_t *data = malloc(len), *back = malloc(len);

	assert_non_null(data);
	assert_non_null(back);
	memset(data, 0xc3, len);
	read = add_request(VIRTIO_BLK_T_IN, 8, NULL, 0, len + 1);
	small = add_request(VIRTIO_BLK_T_IN, 0, NULL, 0, 512 + 1);
	write = add_request(VIRTIO_BLK_T_OUT, 20000, data, len, 1);
	assert_int_equal(blk_serve_batch(&f->q), 3);
	assert_int_equal(status_of(read), VIRTIO_BLK_S_OK);
	assert_memory_equal(fake.chains[read].in, f->image + 8 * 512, len);
	assert_int_equal(status_of(small), VIRTIO_BLK_S_OK);
	assert_int_equal(status_of(write), VIRTIO_BLK_S_OK);
	read_file(f, back, len, 20000ULL * 512);
	assert_memory_equal(back, data, len);
	/* Still one push (with the next pop) for the whole batch. */
	assert_int_equal(fake.serves, 1);
	assert_int_equal(fake.pushes, 0);
	free(data);
	free(back);
}

static void failed_fetch_fails_only_its_request(void **state)
{
	struct fixture *f = *state;
	uint8_t data[512], back[512];
	uint32_t bad, good;

	memset(data, 0x77, sizeof(data));
	bad = add_request(VIRTIO_BLK_T_OUT, 0, data, sizeof(data), 1);
	good = add_request(VIRTIO_BLK_T_OUT, 1, data, sizeof(data), 1);
	fake.chains[bad].fail_read = EFAULT;
	assert_int_equal(blk_serve_batch(&f->q), 2);
	assert_int_equal(status_of(bad), VIRTIO_BLK_S_IOERR);
	assert_int_equal(status_of(good), VIRTIO_BLK_S_OK);
	read_file(f, back, sizeof(back), 0);
	assert_memory_equal(back, f->image, sizeof(back));
	read_file(f, back, sizeof(back), 512);
	assert_memory_equal(back, data, sizeof(back));
}

/* --file-map: the disk's file mapped as uvdev-blk maps it, @len bytes of it. */
static void map_disk(struct fixture *f, uint64_t len)
{
	void *map = mmap(NULL, DISK_BYTES, PROT_READ, MAP_SHARED, f->disk.fd, 0);

	assert_true(map != MAP_FAILED);
	f->disk.map = map;
	f->disk.map_len = len;
}

static void unmap_disk(struct fixture *f)
{
	munmap((void *)f->disk.map, DISK_BYTES);
	f->disk.map = NULL;
}

static void mapped_read_is_one_copy(void **state)
{
	struct fixture *f = *state;
	uint32_t head, small;

	map_disk(f, DISK_BYTES);
	head = add_request(VIRTIO_BLK_T_IN, 8, NULL, 0, 65536 + 1);
	small = add_request(VIRTIO_BLK_T_IN, 300, NULL, 0, 512 + 1);
	assert_int_equal(blk_serve_batch(&f->q), 2);
	assert_memory_equal(fake.chains[head].in, f->image + 8 * 512, 65536);
	assert_int_equal(status_of(head), VIRTIO_BLK_S_OK);
	assert_int_equal(fake.chains[head].used_len, 65537);
	assert_memory_equal(fake.chains[small].in, f->image + 300 * 512, 512);
	assert_int_equal(status_of(small), VIRTIO_BLK_S_OK);
	/* Still one XFER: each read's data from the mapping, then its status. */
	assert_int_equal(fake.xfers, 1);
	assert_int_equal(fake.xfer_ops, 4);
	unmap_disk(f);
}

static void mapping_fault_reads_the_file(void **state)
{
	struct fixture *f = *state;
	uint32_t bad, good;

	map_disk(f, DISK_BYTES);
	/* An I/O error in the page cache, or a file that shrank: EFAULT. */
	fake.fault_lo = f->disk.map + 8 * 512;
	fake.fault_hi = f->disk.map + 9 * 512;
	bad = add_request(VIRTIO_BLK_T_IN, 8, NULL, 0, 4096 + 1);
	good = add_request(VIRTIO_BLK_T_IN, 64, NULL, 0, 4096 + 1);
	assert_int_equal(blk_serve_batch(&f->q), 2);
	/* Read again with pread(2): the right data, and the status it says. */
	assert_memory_equal(fake.chains[bad].in, f->image + 8 * 512, 4096);
	assert_int_equal(status_of(bad), VIRTIO_BLK_S_OK);
	assert_memory_equal(fake.chains[good].in, f->image + 64 * 512, 4096);
	assert_int_equal(status_of(good), VIRTIO_BLK_S_OK);
	/*
	 * The batch's XFER stops at the failed op and goes on from the next
	 * (libuvdev), then one XFER answers the read done again.
	 */
	assert_int_equal(fake.xfers, 3);
	unmap_disk(f);
}

static void reads_past_the_mapping_use_pread(void **state)
{
	struct fixture *f = *state;
	uint32_t in, across, past;

	/* The disk grew after the file was mapped. */
	map_disk(f, 64 * 512);
	in = add_request(VIRTIO_BLK_T_IN, 56, NULL, 0, 4096 + 1);
	across = add_request(VIRTIO_BLK_T_IN, 60, NULL, 0, 4096 + 1);
	past = add_request(VIRTIO_BLK_T_IN, 64, NULL, 0, 4096 + 1);
	assert_int_equal(blk_serve_batch(&f->q), 3);
	assert_memory_equal(fake.chains[in].in, f->image + 56 * 512, 4096);
	assert_memory_equal(fake.chains[across].in, f->image + 60 * 512, 4096);
	assert_memory_equal(fake.chains[past].in, f->image + 64 * 512, 4096);
	/* Two ops for the mapped read, one for each read through the arena. */
	assert_int_equal(fake.xfer_ops, 4);
	unmap_disk(f);
}

static void queue_gone_ends_the_batch(void **state)
{
	struct fixture *f = *state;

	fake.pop_error = ENODEV;
	add_request(VIRTIO_BLK_T_IN, 0, NULL, 0, 512 + 1);
	assert_int_equal(blk_serve_batch(&f->q), -ENODEV);
	fake.pop_error = 0;
	/* Reset while the batch is served: nothing is pushed. */
	fake.xfer_error = ENODEV;
	assert_int_equal(blk_serve_batch(&f->q), -ENODEV);
	assert_int_equal(fake.pushes, 0);
	fake.xfer_error = EIO;
	add_request(VIRTIO_BLK_T_IN, 0, NULL, 0, 512 + 1);
	assert_int_equal(blk_serve_batch(&f->q), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(read_returns_file_data, setup, teardown),
		cmocka_unit_test_setup_teardown(write_lands_in_file, setup, teardown),
		cmocka_unit_test_setup_teardown(batch_costs_four_syscalls, setup, teardown),
		cmocka_unit_test_setup_teardown(more_than_a_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_forgets_the_next_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_requests_are_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(read_only_refuses_writes, setup_read_only, teardown),
		cmocka_unit_test_setup_teardown(flush_and_get_id, setup, teardown),
		cmocka_unit_test_setup_teardown(discard_and_write_zeroes, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_ranges_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(large_requests_go_in_pieces, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_fetch_fails_only_its_request, setup, teardown),
		cmocka_unit_test_setup_teardown(queue_gone_ends_the_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(mapped_read_is_one_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(mapping_fault_reads_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(reads_past_the_mapping_use_pread, setup, teardown),
	};

	return cmocka_run_group_tests_name("blk_queue", tests, NULL, NULL);
}
