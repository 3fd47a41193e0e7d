// SPDX-License-Identifier: GPL-2.0
/*
 * vtop's device programs (create, destroy, status, queue setup, control
 * messages) driven through BPF_PROG_TEST_RUN: device entries, counters,
 * what is in flight, and the events on the ring buffer, checked exactly.
 */
#include <uapi/uvdev_trace.h>

#include "bpf_fixture.h"

#define DEV	7
#define OTHER	8

/* ---- create and destroy ------------------------------------------------- */

static void dev_create_records_device(void **state)
{
	struct fx *fx = *state;
	struct vtop_dev d;
	struct fx_run r;

	r = fx_dev_create(fx, DEV, 2, 4, 256);
	d = fx_dev(fx, DEV);
	/* No kernel string on the host: the name read fails and stays empty. */
	assert_memory_equal(d.name, (char[VTOP_NAME_MAX]){ 0 }, VTOP_NAME_MAX);
	assert_int_equal(d.device_id, 2);
	assert_int_equal(d.num_queues, 4);
	assert_int_equal(d.max_queue_size, 256);
	assert_int_equal(d.status, 0);
	assert_int_equal(d.broken, 0);
	assert_int_equal(d.pad, 0);
	assert_in_run(d.created_ns, r);
	assert_int_equal(d.broken_ns, 0);
	fx_expect_event(fx, r, VTOP_EV_DEV_CREATE, DEV, 0, 2, 4);

	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_CREATE), 1);
	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_DESTROY), 0);
	assert_int_equal(fx_count(fx->skel->maps.devices), 1);
	/* Counters and queues come with traffic, not with the device. */
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 0);
	assert_int_equal(fx_count(fx->skel->maps.queues), 0);
	assert_int_equal(fx_count(fx->skel->maps.queues), 0);

	r = fx_dev_create(fx, OTHER, 4, 1, 1024);
	fx_expect_event(fx, r, VTOP_EV_DEV_CREATE, OTHER, 0, 4, 1);
	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_CREATE), 2);
	assert_int_equal(fx_count(fx->skel->maps.devices), 2);
	assert_int_equal(fx_dev(fx, DEV).device_id, 2);
}

/* Give device @dev with @nq queues something in every map vtop keeps. */
static void populate(struct fx *fx, uint32_t dev, uint32_t nq)
{
	uint32_t q;

	fx_dev_create(fx, dev, 2, nq, 256);
	fx_status(fx, dev, 0, 0x0f);
	for (q = 0; q < nq; q++) {
		fx_vq_setup(fx, dev, q, 256, 1);
		fx_kick(fx, dev, q, UVDEV_TRACE_KICK_EVENTFD);
		fx_vq_pop(fx, dev, q, q, 64, 100, 1);
		fx_vq_pop(fx, dev, q, q + 100, 64, 100, 0);
	}
	fx_msg_send(fx, dev, 1, 3);
	fx_msg_send(fx, dev, 2, 4);
	fx_irq_inject(fx, dev, UVDEV_TRACE_QUEUE_CONFIG);
	fx_drain_events(fx);
}

static void assert_device_gone(struct fx *fx, uint32_t dev, uint32_t nq)
{
	uint32_t q;

	assert_false(fx_has_dev(fx, dev));
	assert_false(fx_has_dev_stats(fx, dev));
	for (q = 0; q < nq; q++) {
		assert_false(fx_has_queue(fx, dev, q));
		assert_false(fx_has_queue(fx, dev, q));
		assert_false(fx_has_inflight(fx, dev, q, q));
		assert_false(fx_has_inflight(fx, dev, q, q + 100));
	}
	assert_false(fx_has_msg(fx, dev, 1));
	assert_false(fx_has_msg(fx, dev, 2));
}

static void assert_device_intact(struct fx *fx, uint32_t dev, uint32_t nq)
{
	uint32_t q;

	assert_int_equal(fx_dev(fx, dev).num_queues, nq);
	assert_int_equal(fx_dev(fx, dev).status, 0x0f);
	assert_int_equal(fx_dev_stats(fx, dev).status_changes, 1);
	assert_int_equal(fx_dev_stats(fx, dev).config_irq_injects, 1);
	for (q = 0; q < nq; q++) {
		assert_int_equal(fx_queue_stats(fx, dev, q).pops, 2);
		assert_int_equal(fx_queue_state(fx, dev, q).size, 256);
		assert_true(fx_has_inflight(fx, dev, q, q));
		assert_true(fx_has_inflight(fx, dev, q, q + 100));
	}
	assert_int_equal(fx_msg(fx, dev, 1).type, 3);
	assert_int_equal(fx_msg(fx, dev, 2).type, 4);
}

static void dev_destroy_forgets_device(void **state)
{
	struct fx *fx = *state;
	struct fx_run r;

	populate(fx, DEV, 4);
	populate(fx, OTHER, 2);
	assert_int_equal(fx_inflight_count(fx), 12);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), 4);

	r = fx_dev_destroy(fx, DEV, 2, 4, 256);
	fx_expect_event(fx, r, VTOP_EV_DEV_DESTROY, DEV, 0, 0, 0);
	assert_device_gone(fx, DEV, 4);
	assert_device_intact(fx, OTHER, 2);
	assert_int_equal(fx_count(fx->skel->maps.devices), 1);
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 1);
	assert_int_equal(fx_count(fx->skel->maps.queues), 2);
	assert_int_equal(fx_count(fx->skel->maps.queues), 2);
	assert_int_equal(fx_inflight_count(fx), 4);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), 2);
	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_CREATE), 2);
	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_DESTROY), 1);

	r = fx_dev_destroy(fx, OTHER, 2, 2, 256);
	fx_expect_event(fx, r, VTOP_EV_DEV_DESTROY, OTHER, 0, 0, 0);
	assert_device_gone(fx, OTHER, 2);
	assert_int_equal(fx_count(fx->skel->maps.devices), 0);
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 0);
	assert_int_equal(fx_count(fx->skel->maps.queues), 0);
	assert_int_equal(fx_count(fx->skel->maps.queues), 0);
	assert_int_equal(fx_inflight_count(fx), 0);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), 0);
	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_DESTROY), 2);
}

static void dev_destroy_reaches_last_queue(void **state)
{
	struct fx *fx = *state;

	/* UVDEV_MAX_QUEUES: the last queue is 63. */
	fx_dev_create(fx, DEV, 2, 64, 256);
	fx_kick(fx, DEV, 0, UVDEV_TRACE_KICK_EVENTFD);
	fx_kick(fx, DEV, 63, UVDEV_TRACE_KICK_EVENTFD);
	fx_vq_pop(fx, DEV, 63, 0, 64, 100, 0);
	fx_kick(fx, OTHER, 63, UVDEV_TRACE_KICK_EVENTFD);
	assert_int_equal(fx_count(fx->skel->maps.queues), 3);

	fx_dev_destroy(fx, DEV, 2, 64, 256);
	assert_device_gone(fx, DEV, 64);
	assert_true(fx_has_queue(fx, OTHER, 63));
	assert_true(fx_has_queue(fx, OTHER, 63));
	assert_int_equal(fx_count(fx->skel->maps.queues), 1);
	assert_int_equal(fx_count(fx->skel->maps.queues), 1);
	assert_int_equal(fx_inflight_count(fx), 0);
}

static void dev_destroy_of_unknown_device(void **state)
{
	struct fx *fx = *state;
	struct fx_run r;

	/* Created before vtop started: nothing to forget, still counted. */
	r = fx_dev_destroy(fx, DEV, 2, 1, 256);
	fx_expect_event(fx, r, VTOP_EV_DEV_DESTROY, DEV, 0, 0, 0);
	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_DESTROY), 1);
	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_CREATE), 0);
	assert_int_equal(fx_count(fx->skel->maps.devices), 0);
}

/* ---- status ------------------------------------------------------------- */

static void status_updates_device(void **state)
{
	struct fx *fx = *state;
	static const uint32_t steps[] = { 0x01, 0x03, 0x0b, 0x0f, 0x4f, 0x00 };
	struct vtop_dev_stats s;
	uint32_t old = 0;
	struct vtop_dev d;
	struct fx_run r;
	size_t i;

	fx_dev_create(fx, DEV, 2, 1, 256);
	fx_drain_events(fx);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		r = fx_status(fx, DEV, old, steps[i]);
		fx_expect_event(fx, r, VTOP_EV_STATUS, DEV, 0, old, steps[i]);
		assert_int_equal(fx_dev(fx, DEV).status, steps[i]);
		assert_int_equal(fx_dev_stats(fx, DEV).status_changes, i + 1);
		old = steps[i];
	}
	s = fx_dev_stats(fx, DEV);
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){ .status_changes = 6 });
	/* The rest of the device is untouched. */
	d = fx_dev(fx, DEV);
	assert_int_equal(d.device_id, 2);
	assert_int_equal(d.broken, 0);
}

static void status_of_unknown_device(void **state)
{
	struct fx *fx = *state;
	struct vtop_dev_stats s;
	struct fx_run r;

	r = fx_status(fx, DEV, 0x0f, 0x8f);
	fx_expect_event(fx, r, VTOP_EV_STATUS, DEV, 0, 0x0f, 0x8f);
	/* Counted, but no device entry made up. */
	s = fx_dev_stats(fx, DEV);
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){ .status_changes = 1 });
	assert_false(fx_has_dev(fx, DEV));
}

/* ---- queue setup -------------------------------------------------------- */

static void vq_setup_creates_queue(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_state st;
	struct vtop_queue_stats s;
	struct fx_run r;

	r = fx_vq_setup(fx, DEV, 2, 512, 0);
	fx_expect_event(fx, r, VTOP_EV_VQ_SETUP, DEV, 2, 512, 0);
	st = fx_queue_state(fx, DEV, 2);
	assert_memory_equal(&st, &((struct vtop_queue_state){ .size = 512 }), sizeof(st));
	s = fx_queue_stats(fx, DEV, 2);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ 0 });
	assert_int_equal(fx_count(fx->skel->maps.queues), 1);

	r = fx_vq_setup(fx, DEV, 2, 512, 1);
	fx_expect_event(fx, r, VTOP_EV_VQ_SETUP, DEV, 2, 512, 1);
	st = fx_queue_state(fx, DEV, 2);
	assert_int_equal(st.size, 512);
	assert_int_equal(st.ready, 1);
}

static void vq_setup_resets_queue(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_state before, st;
	struct vtop_queue_stats s;
	struct fx_run r;

	/* Work waiting, a chain pushed and not signalled, two in flight. */
	fx_vq_setup(fx, DEV, 0, 256, 1);
	fx_kick(fx, DEV, 0, UVDEV_TRACE_KICK_EVENTFD);
	fx_vq_pop(fx, DEV, 0, 1, 64, 100, 1);
	fx_vq_pop(fx, DEV, 0, 2, 64, 100, 1);
	fx_vq_pop(fx, DEV, 0, 3, 64, 100, 1);
	fx_vq_push(fx, DEV, 0, 3, 64, 100);
	/* The same heads on another queue and on another device. */
	fx_vq_pop(fx, DEV, 1, 1, 64, 100, 0);
	fx_vq_pop(fx, OTHER, 0, 1, 64, 100, 0);
	fx_drain_events(fx);
	before = fx_queue_state(fx, DEV, 0);
	assert_int_not_equal(before.work_since_ns, 0);
	assert_int_not_equal(before.undelivered_since_ns, 0);

	/* Reset: the queue goes not ready and its ring is gone. */
	r = fx_vq_setup(fx, DEV, 0, 256, 0);
	fx_expect_event(fx, r, VTOP_EV_VQ_SETUP, DEV, 0, 256, 0);
	st = fx_queue_state(fx, DEV, 0);
	assert_int_equal(st.size, 256);
	assert_int_equal(st.ready, 0);
	assert_int_equal(st.work_since_ns, 0);
	assert_int_equal(st.undelivered_since_ns, 0);
	/* What happened before stays history. */
	assert_int_equal(st.last_pop_ns, before.last_pop_ns);
	s = fx_queue_stats(fx, DEV, 0);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.kicks = { 1 }, .pops = 3, .pop_bytes = 192, .wait_sum_ns = 300,
		.pushes = 1, .push_bytes = 64, .service_sum_ns = 100,
		.wait_hist = { [6] = 3 }, .service_hist = { [6] = 1 },
	});

	assert_false(fx_has_inflight(fx, DEV, 0, 1));
	assert_false(fx_has_inflight(fx, DEV, 0, 2));
	assert_true(fx_has_inflight(fx, DEV, 1, 1));
	assert_true(fx_has_inflight(fx, OTHER, 0, 1));
	assert_int_equal(fx_inflight_count(fx), 2);
}

/* ---- control messages --------------------------------------------------- */

static void msg_send_records_in_flight(void **state)
{
	struct fx *fx = *state;
	struct vtop_msg_inflight m;
	struct fx_run r;

	r = fx_msg_send(fx, DEV, 41, 3);
	m = fx_msg(fx, DEV, 41);
	assert_in_run(m.send_ns, r);
	assert_int_equal(m.type, 3);
	assert_int_equal(m.pad, 0);

	fx_msg_send(fx, DEV, 42, 5);
	fx_msg_send(fx, OTHER, 41, 1);
	assert_int_equal(fx_msg(fx, DEV, 42).type, 5);
	assert_int_equal(fx_msg(fx, OTHER, 41).type, 1);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), 3);
	/* Nothing counted before the answer. */
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 0);
	fx_expect_no_event(fx);
}

static void msg_done_counts_and_forgets(void **state)
{
	struct fx *fx = *state;
	struct vtop_dev_stats s;

	fx_dev_create(fx, DEV, 2, 1, 256);
	fx_drain_events(fx);
	fx_msg_send(fx, DEV, 1, 3);
	fx_msg_send(fx, DEV, 2, 3);
	fx_msg_send(fx, DEV, 3, 5);
	fx_msg_send(fx, OTHER, 1, 3);

	fx_msg_done(fx, DEV, 1, 3, UVDEV_TRACE_MSG_OK, 1000);
	assert_false(fx_has_msg(fx, DEV, 1));
	assert_true(fx_has_msg(fx, DEV, 2));
	assert_true(fx_has_msg(fx, OTHER, 1));
	fx_msg_done(fx, DEV, 2, 3, UVDEV_TRACE_MSG_FAILED, 2);
	fx_msg_done(fx, DEV, 3, 5, UVDEV_TRACE_MSG_INTERRUPTED, 1ULL << 40);
	/* Answered after vtop lost it, or sent before vtop started. */
	fx_msg_done(fx, DEV, 99, 0, UVDEV_TRACE_MSG_OK, 0);
	fx_msg_done(fx, DEV, 100, 7, UVDEV_TRACE_MSG_OK, UINT64_MAX);

	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), 1);
	s = fx_dev_stats(fx, DEV);
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){
		.msgs = {
			[0] = { [UVDEV_TRACE_MSG_OK] = 1 },
			[3] = { [UVDEV_TRACE_MSG_OK] = 1, [UVDEV_TRACE_MSG_FAILED] = 1 },
			[5] = { [UVDEV_TRACE_MSG_INTERRUPTED] = 1 },
			[7] = { [UVDEV_TRACE_MSG_OK] = 1 },
		},
		.msg_sum_ns = { [0] = 0, [3] = 1002, [5] = 1ULL << 40, [7] = UINT64_MAX },
		.msg_hist = {
			[0] = { [0] = 1 },
			[3] = { [1] = 1, [9] = 1 },
			[5] = { [40] = 1 },
			[7] = { [63] = 1 },
		},
	});
	assert_false(fx_has_dev_stats(fx, OTHER));
	/* Only a timeout breaks the device. */
	assert_int_equal(fx_dev(fx, DEV).broken, 0);
	assert_int_equal(fx_dev(fx, DEV).broken_ns, 0);
	fx_expect_no_event(fx);
}

static void msg_timeout_breaks_device(void **state)
{
	struct fx *fx = *state;
	struct vtop_dev_stats s;
	struct vtop_dev d;
	struct fx_run r;

	fx_dev_create(fx, DEV, 2, 1, 256);
	fx_dev_create(fx, OTHER, 2, 1, 256);
	fx_drain_events(fx);
	fx_msg_send(fx, DEV, 17, 4);
	r = fx_msg_done(fx, DEV, 17, 4, UVDEV_TRACE_MSG_TIMEOUT, 30000000000ULL);

	fx_expect_event(fx, r, VTOP_EV_MSG_TIMEOUT, DEV, 0, 17, 4);
	d = fx_dev(fx, DEV);
	assert_int_equal(d.broken, 1);
	assert_in_run(d.broken_ns, r);
	assert_false(fx_has_msg(fx, DEV, 17));
	s = fx_dev_stats(fx, DEV);
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){
		.msgs = { [4] = { [UVDEV_TRACE_MSG_TIMEOUT] = 1 } },
		.msg_sum_ns = { [4] = 30000000000ULL },
		.msg_hist = { [4] = { [34] = 1 } },
	});
	assert_int_equal(fx_dev(fx, OTHER).broken, 0);

	/* Messages failing on the broken device change nothing of it. */
	fx_msg_done(fx, DEV, 18, 1, UVDEV_TRACE_MSG_FAILED, 10);
	fx_expect_no_event(fx);
	d = fx_dev(fx, DEV);
	assert_int_equal(d.broken, 1);
	assert_in_run(d.broken_ns, r);

	/* Another timeout is an event of its own; broken since the first. */
	fx_msg_done(fx, DEV, 19, 2, UVDEV_TRACE_MSG_TIMEOUT, 30000000000ULL);
	fx_expect_event(fx, fx->last, VTOP_EV_MSG_TIMEOUT, DEV, 0, 19, 2);
	d = fx_dev(fx, DEV);
	assert_int_equal(d.broken, 1);
	assert_in_run(d.broken_ns, r);
}

static void msg_timeout_of_unknown_device(void **state)
{
	struct fx *fx = *state;
	struct fx_run r;

	r = fx_msg_done(fx, DEV, 5, 1, UVDEV_TRACE_MSG_TIMEOUT, 1000);
	fx_expect_event(fx, r, VTOP_EV_MSG_TIMEOUT, DEV, 0, 5, 1);
	assert_false(fx_has_dev(fx, DEV));
	assert_int_equal(fx_dev_stats(fx, DEV).msgs[1][UVDEV_TRACE_MSG_TIMEOUT], 1);
}

static void msg_unknown_type_and_result(void **state)
{
	struct fx *fx = *state;
	struct vtop_dev_stats s;

	fx_dev_create(fx, DEV, 2, 1, 256);
	fx_drain_events(fx);
	/* Unknown types count as type 0, unknown results as failed. */
	fx_msg_done(fx, DEV, 1, 8, UVDEV_TRACE_MSG_OK, 1);
	fx_msg_done(fx, DEV, 2, 13, UVDEV_TRACE_MSG_FAILED, 2);
	fx_msg_done(fx, DEV, 3, UINT32_MAX, UVDEV_TRACE_MSG_OK, 4);
	fx_msg_done(fx, DEV, 4, 1, 4, 8);
	fx_msg_done(fx, DEV, 5, 1, 6, 16);
	fx_msg_done(fx, DEV, 6, 1, UINT32_MAX, 32);

	s = fx_dev_stats(fx, DEV);
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){
		.msgs = {
			[0] = { [UVDEV_TRACE_MSG_OK] = 2, [UVDEV_TRACE_MSG_FAILED] = 1 },
			[1] = { [UVDEV_TRACE_MSG_FAILED] = 3 },
		},
		.msg_sum_ns = { [0] = 7, [1] = 56 },
		.msg_hist = {
			[0] = { [0] = 1, [1] = 1, [2] = 1 },
			[1] = { [3] = 1, [4] = 1, [5] = 1 },
		},
	});
	/* Result 6 masks to 2 (timeout) but is not one: nothing broke. */
	assert_int_equal(fx_dev(fx, DEV).broken, 0);
	fx_expect_no_event(fx);
}

#define TEST(fn)	cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(dev_create_records_device),
		TEST(dev_destroy_forgets_device),
		TEST(dev_destroy_reaches_last_queue),
		TEST(dev_destroy_of_unknown_device),
		TEST(status_updates_device),
		TEST(status_of_unknown_device),
		TEST(vq_setup_creates_queue),
		TEST(vq_setup_resets_queue),
		TEST(msg_send_records_in_flight),
		TEST(msg_done_counts_and_forgets),
		TEST(msg_timeout_breaks_device),
		TEST(msg_timeout_of_unknown_device),
		TEST(msg_unknown_type_and_result),
	};

	return cmocka_run_group_tests_name("vtop_bpf_devices", tests, NULL, NULL);
}
