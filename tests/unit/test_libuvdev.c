// SPDX-License-Identifier: GPL-2.0
/*
 * libuvdev's batch helpers (tools/uvdev/libuvdev.c) against the fake ring
 * ioctls: partial success, per-entry errors that must not stop the rest,
 * errors that must, and batches larger than UVDEV_MAX_BATCH.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fake_uvdev.h"
#include "libuvdev.h"

static int setup(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

/* Make @n chains of 8 out-bytes and 8 in-bytes and pop them. */
static void pop_chains(uint32_t n)
{
	struct uvdev_vq_elem elems[UVDEV_MAX_BATCH];
	uint8_t out[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint32_t i, popped = 0;

	for (i = 0; i < n; i++)
		fake_add_chain(out, sizeof(out), 8);
	while (popped < n) {
		int ret = uvdev_vq_pop(FAKE_FD, 0, elems, UVDEV_MAX_BATCH, NULL, 0);

		assert_true(ret > 0);
		popped += (uint32_t)ret;
	}
}

static void set_op(struct uvdev_vq_xfer_op *op, uint32_t head, uint32_t dir,
		   uint32_t offset, void *buf, uint32_t len)
{
	memset(op, 0, sizeof(*op));
	op->head = head;
	op->dir = dir;
	op->offset = offset;
	op->len = len;
	op->addr = (uintptr_t)buf;
}

static void pop_peeks_headers(void **state)
{
	struct uvdev_vq_elem elems[4];
	uint8_t out[20], peek[4 * 16];

	(void)state;
	memset(out, 0x11, sizeof(out));
	fake_add_chain(out, sizeof(out), 1);
	fake_add_chain(out, 4, 1);
	memset(peek, 0xff, sizeof(peek));
	assert_int_equal(uvdev_vq_pop(FAKE_FD, 0, elems, 4, peek, 16), 2);
	assert_int_equal(elems[0].out_bytes, 20);
	assert_int_equal(elems[1].head, 1);
	assert_int_equal(peek[15], 0x11);
	/* The second chain has 4 out-bytes: the rest of its slot is zero. */
	assert_int_equal(peek[16 + 3], 0x11);
	assert_int_equal(peek[16 + 4], 0);
	assert_int_equal(uvdev_vq_pop(FAKE_FD, 0, elems, 4, peek, 16), 0);
	assert_int_equal(uvdev_vq_pop(FAKE_FD, 1, elems, 4, peek, 16), -EINVAL);
}

static void xfer_all_runs_past_bad_ops(void **state)
{
	struct uvdev_vq_xfer_op ops[5];
	uint8_t data[8] = { 9, 9, 9, 9, 9, 9, 9, 9 }, in[8];

	(void)state;
	pop_chains(3);
	set_op(&ops[0], 0, UVDEV_XFER_WRITE, 0, data, 8);
	set_op(&ops[1], 1, UVDEV_XFER_WRITE, 4, data, 8);	/* beyond the chain */
	set_op(&ops[2], 2, UVDEV_XFER_WRITE, 0, data, 8);
	set_op(&ops[3], 7, UVDEV_XFER_READ, 0, in, 8);		/* not popped */
	set_op(&ops[4], 1, UVDEV_XFER_READ, 0, in, 8);
	assert_int_equal(uvdev_vq_xfer_all(FAKE_FD, ops, 5), 0);
	assert_int_equal(ops[0].result, 8);
	assert_int_equal(ops[1].result, -ERANGE);
	assert_int_equal(ops[2].result, 8);
	assert_int_equal(ops[3].result, -ENOENT);
	assert_int_equal(ops[4].result, 8);
	assert_int_equal(fake.xfers, 3);
	assert_int_equal(fake.xfer_ops, 3);
	assert_memory_equal(fake.chains[2].in, data, 8);
	assert_int_equal(in[7], 8);
}

static void xfer_all_first_op_fails(void **state)
{
	struct uvdev_vq_xfer_op ops[2];
	uint8_t data[8] = { 0 };

	(void)state;
	pop_chains(1);
	set_op(&ops[0], 5, UVDEV_XFER_WRITE, 0, data, 8);
	set_op(&ops[1], 0, UVDEV_XFER_WRITE, 0, data, 8);
	assert_int_equal(uvdev_vq_xfer_all(FAKE_FD, ops, 2), 0);
	assert_int_equal(ops[0].result, -ENOENT);
	assert_int_equal(ops[1].result, 8);
	assert_int_equal(fake.xfers, 2);
}

static void xfer_all_stops_when_the_queue_is_gone(void **state)
{
	struct uvdev_vq_xfer_op ops[2];
	uint8_t data[8] = { 0 };

	(void)state;
	pop_chains(2);
	set_op(&ops[0], 0, UVDEV_XFER_WRITE, 0, data, 8);
	set_op(&ops[1], 1, UVDEV_XFER_WRITE, 0, data, 8);
	fake.xfer_error = ENODEV;
	assert_int_equal(uvdev_vq_xfer_all(FAKE_FD, ops, 2), -ENODEV);
	fake.xfer_error = EIO;
	assert_int_equal(uvdev_vq_xfer_all(FAKE_FD, ops, 2), -EIO);
	assert_int_equal(fake.xfer_ops, 0);
}

static void xfer_all_splits_large_batches(void **state)
{
	static struct uvdev_vq_xfer_op ops[300];
	uint8_t data[8] = { 0 };
	uint32_t i;

	(void)state;
	pop_chains(300);
	for (i = 0; i < 300; i++)
		set_op(&ops[i], i, UVDEV_XFER_WRITE, 0, data, 8);
	assert_int_equal(uvdev_vq_xfer_all(FAKE_FD, ops, 300), 0);
	assert_int_equal(fake.xfers, 2);
	assert_int_equal(fake.xfer_ops, 300);
}

static void push_all_skips_refused_entries(void **state)
{
	struct uvdev_vq_used used[5] = {
		{ .head = 0, .len = 8 },
		{ .head = 9, .len = 0 },	/* not in flight */
		{ .head = 1, .len = 1 },
		{ .head = 2, .len = 9 },	/* longer than the chain */
		{ .head = 3, .len = 0 },
	};

	(void)state;
	pop_chains(4);
	assert_int_equal(uvdev_vq_push_all(FAKE_FD, 0, used, 5, UVDEV_PUSH_F_IRQ), 2);
	assert_int_equal(fake.pushed, 3);
	assert_int_equal(fake.used_order[0], 0);
	assert_int_equal(fake.used_order[1], 1);
	assert_int_equal(fake.used_order[2], 3);
	assert_int_equal(fake.chains[1].used_len, 1);
	assert_int_equal(fake.chains[2].state, FAKE_POPPED);
	assert_int_equal(fake.irqs, fake.pushes);

	/* A refused first entry comes back as -1/ENOENT. */
	used[0].head = 0;
	used[1].head = 2;
	used[1].len = 8;
	assert_int_equal(uvdev_vq_push_all(FAKE_FD, 0, used, 2, 0), 1);
	assert_int_equal(fake.chains[2].state, FAKE_USED);
	/* A bad queue is not an entry's fault. */
	assert_int_equal(uvdev_vq_push_all(FAKE_FD, 1, used, 1, 0), -EINVAL);
}

static void push_all_splits_large_batches(void **state)
{
	static struct uvdev_vq_used used[300];
	uint32_t i;

	(void)state;
	pop_chains(300);
	for (i = 0; i < 300; i++)
		used[i] = (struct uvdev_vq_used){ .head = i, .len = 1 };
	assert_int_equal(uvdev_vq_push_all(FAKE_FD, 0, used, 300, UVDEV_PUSH_F_IRQ), 0);
	assert_int_equal(fake.pushes, 2);
	assert_int_equal(fake.pushed, 300);
}

static void serve_pushes_then_pops(void **state)
{
	struct uvdev_vq_used used[2] = { { .head = 0, .len = 8 }, { .head = 1, .len = 1 } };
	struct uvdev_vq_elem elems[4];
	uint32_t pushed = 99;

	(void)state;
	pop_chains(2);
	fake_add_chain(NULL, 0, 8);
	assert_int_equal(uvdev_vq_serve(FAKE_FD, 0, used, 2, UVDEV_PUSH_F_IRQ, elems, 4,
					NULL, 0, &pushed), 1);
	assert_int_equal(pushed, 2);
	assert_int_equal(fake.serves, 1);
	assert_int_equal(fake.irqs, 1);
	assert_int_equal(elems[0].head, 2);
	/* A refused entry: those before it stay pushed, nothing is popped. */
	fake_add_chain(NULL, 0, 8);
	used[0] = (struct uvdev_vq_used){ .head = 2, .len = 1 };
	used[1] = (struct uvdev_vq_used){ .head = 0, .len = 1 };	/* used already */
	assert_int_equal(uvdev_vq_serve(FAKE_FD, 0, used, 2, 0, elems, 4, NULL, 0, &pushed),
			 -ENOENT);
	assert_int_equal(pushed, 1);
	assert_int_equal(fake.chains[2].state, FAKE_USED);
	assert_int_equal(fake.chains[3].state, FAKE_AVAIL);
}

static void serve_all_skips_refused_entries(void **state)
{
	static struct uvdev_vq_used used[300];
	struct uvdev_vq_elem elems[4];
	uint32_t i;
	int refused = -1;

	(void)state;
	pop_chains(300);
	fake_add_chain(NULL, 0, 8);
	for (i = 0; i < 300; i++)
		used[i] = (struct uvdev_vq_used){ .head = i, .len = 1 };
	used[100].len = 9;	/* longer than the chain: refused */
	used[290].head = 400;	/* not a chain: refused */
	assert_int_equal(uvdev_vq_serve_all(FAKE_FD, 0, used, 300, UVDEV_PUSH_F_IRQ, elems, 4,
					    NULL, 0, &refused), 1);
	assert_int_equal(refused, 2);
	assert_int_equal(fake.pushed, 298);
	assert_int_equal(elems[0].head, 300);
	assert_int_equal(fake.chains[100].state, FAKE_POPPED);
	/* Nothing to push: a plain pop. */
	assert_int_equal(uvdev_vq_serve_all(FAKE_FD, 0, used, 0, 0, elems, 4, NULL, 0,
					    &refused), 0);
	assert_int_equal(refused, 0);
	/* A bad queue stops it. */
	used[0].head = 100;
	assert_int_equal(uvdev_vq_serve_all(FAKE_FD, 1, used, 1, 0, elems, 4, NULL, 0,
					    &refused), -EINVAL);
}

static void names(void **state)
{
	(void)state;
	assert_true(uvdev_name_valid("blk0"));
	assert_true(uvdev_name_valid("A-b_9"));
	assert_true(uvdev_name_valid("0123456789012345678901234567890"));
	assert_false(uvdev_name_valid("01234567890123456789012345678901"));
	assert_false(uvdev_name_valid(""));
	assert_false(uvdev_name_valid(NULL));
	assert_false(uvdev_name_valid("../control"));
	assert_false(uvdev_name_valid("a b"));
	assert_false(uvdev_name_valid("a.b"));
	/* Names that would leave /dev/uvdev/ or open the control node. */
	assert_int_equal(uvdev_open("../null"), -EINVAL);
	assert_int_equal(uvdev_open("control"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(pop_peeks_headers, setup),
		cmocka_unit_test_setup(xfer_all_runs_past_bad_ops, setup),
		cmocka_unit_test_setup(xfer_all_first_op_fails, setup),
		cmocka_unit_test_setup(xfer_all_stops_when_the_queue_is_gone, setup),
		cmocka_unit_test_setup(xfer_all_splits_large_batches, setup),
		cmocka_unit_test_setup(push_all_skips_refused_entries, setup),
		cmocka_unit_test_setup(push_all_splits_large_batches, setup),
		cmocka_unit_test_setup(serve_pushes_then_pops, setup),
		cmocka_unit_test_setup(serve_all_skips_refused_entries, setup),
		cmocka_unit_test(names),
	};

	return cmocka_run_group_tests_name("libuvdev", tests, NULL, NULL);
}
