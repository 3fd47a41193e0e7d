// SPDX-License-Identifier: GPL-2.0
/*
 * vtop's device programs (create, destroy, status, broken, queue setup,
 * control messages) driven through BPF_PROG_TEST_RUN: device entries,
 * counters, the messages in flight, and the events on the ring buffer,
 * checked exactly.
 */
#include <uapi/uvdev_trace.h>

#include "bpf_fixture.h"

#define DEV	7
#define OTHER	8

/* The device entry dev_create makes, but for its creation time. */
static void assert_dev_is(struct fx *fx, uint32_t dev, const struct vtop_dev *want)
{
	struct vtop_dev d = fx_dev(fx, dev);

	assert_memory_equal(d.name, want->name, VTOP_NAME_MAX);
	assert_int_equal(d.device_id, want->device_id);
	assert_int_equal(d.num_queues, want->num_queues);
	assert_int_equal(d.max_queue_size, want->max_queue_size);
	assert_int_equal(d.status, want->status);
	assert_int_equal(d.broken, want->broken);
	assert_int_equal(d.broken_reason, want->broken_reason);
	assert_int_equal(d.broken_ns, want->broken_ns);
}

/* ---- create and destroy ------------------------------------------------- */

static void dev_create_records_device(void **state)
{
	struct fx *fx = *state;
	struct fx_run r;

	r = fx_dev_create(fx, DEV, 2, 4, 256);
	/* No kernel string on the host: the name read fails and stays empty. */
	assert_dev_is(fx, DEV, &(struct vtop_dev){
		.device_id = 2, .num_queues = 4, .max_queue_size = 256,
	});
	assert_in_run(fx_dev(fx, DEV).created_ns, r);
	fx_expect_event(fx, r, VTOP_EV_DEV_CREATE, DEV, 0, 2, 4);

	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_CREATE), 1);
	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_DESTROY), 0);
	assert_int_equal(fx_count(fx->skel->maps.devices), 1);
	/* Counters and queues come with traffic, not with the device. */
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 0);
	assert_int_equal(fx_queue_entries(fx), 0);

	r = fx_dev_create(fx, OTHER, 4, 1, 1024);
	fx_expect_event(fx, r, VTOP_EV_DEV_CREATE, OTHER, 0, 4, 1);
	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_CREATE), 2);
	assert_int_equal(fx_count(fx->skel->maps.devices), 2);
	assert_int_equal(fx_dev(fx, DEV).device_id, 2);
	assert_int_equal(fx_dev(fx, OTHER).max_queue_size, 1024);
}

static void dev_create_again_starts_afresh(void **state)
{
	struct fx *fx = *state;
	struct fx_run r;

	/* An id the module reuses after a destroy vtop did not see. */
	fx_dev_create(fx, DEV, 2, 4, 256);
	fx_status(fx, DEV, 0, 0x0f);
	fx_dev_broken(fx, DEV, UVDEV_TRACE_BROKEN_MALFORMED);
	fx_drain_events(fx);

	r = fx_dev_create(fx, DEV, 4, 1, 128);
	fx_expect_event(fx, r, VTOP_EV_DEV_CREATE, DEV, 0, 4, 1);
	assert_dev_is(fx, DEV, &(struct vtop_dev){
		.device_id = 4, .num_queues = 1, .max_queue_size = 128,
	});
	assert_in_run(fx_dev(fx, DEV).created_ns, r);
	assert_int_equal(fx_count(fx->skel->maps.devices), 1);
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
		fx_vq_pop(fx, dev, q, q, 64, 100, 1, 1, 0);
		fx_vq_pop(fx, dev, q, q + 100, 64, 100, 0, 2, 0);
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
	for (q = 0; q < nq; q++)
		assert_false(fx_has_queue(fx, dev, q));
	assert_false(fx_has_msg(fx, dev, 1));
	assert_false(fx_has_msg(fx, dev, 2));
}

static void assert_device_intact(struct fx *fx, uint32_t dev, uint32_t nq)
{
	struct vtop_queue_stats s;
	uint32_t q;

	assert_int_equal(fx_dev(fx, dev).num_queues, nq);
	assert_int_equal(fx_dev(fx, dev).status, 0x0f);
	assert_int_equal(fx_dev_stats(fx, dev).status_changes, 1);
	assert_int_equal(fx_dev_stats(fx, dev).config_irq_injects, 1);
	for (q = 0; q < nq; q++) {
		s = fx_queue_stats(fx, dev, q);
		fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
			.kicks = { 1 }, .pops = 2, .pop_bytes = 128, .wait_sum_ns = 200,
			.wait_hist = { [6] = 2 },
		});
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
	assert_int_equal(fx_queue_entries(fx), 6);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), 4);

	r = fx_dev_destroy(fx, DEV, 2, 4, 256);
	fx_expect_event(fx, r, VTOP_EV_DEV_DESTROY, DEV, 0, 0, 0);
	assert_device_gone(fx, DEV, 4);
	assert_device_intact(fx, OTHER, 2);
	assert_int_equal(fx_count(fx->skel->maps.devices), 1);
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 1);
	assert_int_equal(fx_queue_entries(fx), 2);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), 2);
	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_CREATE), 2);
	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_DESTROY), 1);

	r = fx_dev_destroy(fx, OTHER, 2, 2, 256);
	fx_expect_event(fx, r, VTOP_EV_DEV_DESTROY, OTHER, 0, 0, 0);
	assert_device_gone(fx, OTHER, 2);
	assert_int_equal(fx_count(fx->skel->maps.devices), 0);
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 0);
	assert_int_equal(fx_queue_entries(fx), 0);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), 0);
	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_DESTROY), 2);
}

static void slot_reuse_starts_from_zero(void **state)
{
	struct fx *fx = *state;
	int cpus[2];
	struct vtop_queue_stats s;

	/* The old owner counted on one CPU, the new one counts on another. */
	if (fx_online_cpus(cpus, 2) < 2)
		skip();
	fx_on_cpu(fx, cpus[0]);
	populate(fx, DEV, 2);
	fx_dev_destroy(fx, DEV, 2, 2, 256);
	fx_drain_events(fx);
	assert_false(fx_has_queue(fx, DEV, 0));

	/* A new device gets the same id and, here, the same slots. */
	fx_dev_create(fx, DEV, 2, 2, 256);
	fx_drain_events(fx);
	fx_on_cpu(fx, cpus[1]);
	fx_kick(fx, DEV, 0, UVDEV_TRACE_KICK_DROPPED);
	s = fx_queue_stats(fx, DEV, 0);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 0, 0, 1 } });

	/* On the old owner's CPU, the new owner's first event starts over. */
	fx_on_cpu(fx, cpus[0]);
	fx_vq_pop(fx, DEV, 0, 7, 512, 1000, 0, 1, 0);
	s = fx_queue_stats(fx, DEV, 0);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.kicks = { 0, 0, 1 }, .pops = 1, .pop_bytes = 512, .wait_sum_ns = 1000,
		.wait_hist = { [9] = 1 },
	});
	assert_false(fx_has_queue(fx, DEV, 1));
}

static void late_event_of_older_owner_is_ignored(void **state)
{
	struct fx *fx = *state;
	uint32_t slot = fx_slot(fx, DEV, 3);
	struct vtop_queue_stats s;

	fx->serial[DEV] = 5;
	fx_kick_as(fx, DEV, 3, UVDEV_TRACE_KICK_EVENTFD, slot, 5);
	/* A device destroyed before serial 5 was created traces once more. */
	fx_kick_as(fx, DEV, 3, UVDEV_TRACE_KICK_DEFERRED, slot, 4);
	s = fx_queue_stats(fx, DEV, 3);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 1 } });
	assert_int_equal(fx_queue_entries(fx), 1);
}

static void serial_wraps(void **state)
{
	struct fx *fx = *state;
	uint32_t slot = fx_slot(fx, DEV, 0);
	struct vtop_queue_stats s;

	fx->serial[DEV] = UINT32_MAX;
	fx_kick_as(fx, DEV, 0, UVDEV_TRACE_KICK_EVENTFD, slot, UINT32_MAX);
	fx_kick_as(fx, DEV, 0, UVDEV_TRACE_KICK_EVENTFD, slot, UINT32_MAX);
	s = fx_queue_stats(fx, DEV, 0);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 2 } });

	/* Serial 1 comes after 2^32 - 1 (the module skips 0): newer. */
	fx->serial[DEV] = 1;
	fx_kick_as(fx, DEV, 0, UVDEV_TRACE_KICK_DEFERRED, slot, 1);
	s = fx_queue_stats(fx, DEV, 0);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 0, 1 } });
	fx_kick_as(fx, DEV, 0, UVDEV_TRACE_KICK_EVENTFD, slot, UINT32_MAX);
	s = fx_queue_stats(fx, DEV, 0);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 0, 1 } });
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

static void dev_destroy_with_message_map_full(void **state)
{
	struct fx *fx = *state;
	uint32_t id;

	/* Every slot of msg_inflight taken, the two devices interleaved. */
	for (id = 0; id < VTOP_MAX_MSGS; id++)
		fx_msg_send(fx, id % 2 ? OTHER : DEV, id, id % VTOP_MSG_TYPES);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), VTOP_MAX_MSGS);

	fx_dev_destroy(fx, DEV, 2, 1, 256);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), VTOP_MAX_MSGS / 2);
	for (id = 0; id < VTOP_MAX_MSGS; id++) {
		if (id % 2)
			assert_int_equal(fx_msg(fx, OTHER, id).type, id % VTOP_MSG_TYPES);
		else
			assert_false(fx_has_msg(fx, DEV, id));
	}
	fx_dev_destroy(fx, OTHER, 2, 1, 256);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), 0);
}

/* ---- status ------------------------------------------------------------- */

static void status_updates_device(void **state)
{
	struct fx *fx = *state;
	static const uint32_t steps[] = { 0x01, 0x03, 0x0b, 0x0f, 0x4f, 0x00, 0xff };
	struct vtop_dev_stats s;
	uint32_t old = 0;
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
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){ .status_changes = 7 });
	/* The rest of the device is untouched. */
	assert_dev_is(fx, DEV, &(struct vtop_dev){
		.device_id = 2, .num_queues = 1, .max_queue_size = 256, .status = 0xff,
	});
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

/* ---- broken ------------------------------------------------------------- */

static void dev_broken_marks_device(void **state)
{
	struct fx *fx = *state;
	struct fx_run r, first;

	fx_dev_create(fx, DEV, 2, 1, 256);
	fx_dev_create(fx, OTHER, 2, 1, 256);
	fx_status(fx, DEV, 0, 0x0f);
	fx_drain_events(fx);

	first = fx_dev_broken(fx, DEV, UVDEV_TRACE_BROKEN_MALFORMED);
	fx_expect_event(fx, first, VTOP_EV_BROKEN, DEV, 0, UVDEV_TRACE_BROKEN_MALFORMED, 0);
	assert_in_run(fx_dev(fx, DEV).broken_ns, first);
	assert_dev_is(fx, DEV, &(struct vtop_dev){
		.device_id = 2, .num_queues = 1, .max_queue_size = 256, .status = 0x0f,
		.broken = 1, .broken_reason = UVDEV_TRACE_BROKEN_MALFORMED,
		.broken_ns = fx_dev(fx, DEV).broken_ns,
	});
	assert_int_equal(fx_dev(fx, OTHER).broken, 0);

	/*
	 * A second report is an event of its own, but the device broke once:
	 * it keeps the first reason and time.
	 */
	r = fx_dev_broken(fx, DEV, UVDEV_TRACE_BROKEN_DRIVER_TIMEOUT);
	fx_expect_event(fx, r, VTOP_EV_BROKEN, DEV, 0, UVDEV_TRACE_BROKEN_DRIVER_TIMEOUT, 0);
	assert_int_equal(fx_dev(fx, DEV).broken, 1);
	assert_int_equal(fx_dev(fx, DEV).broken_reason, UVDEV_TRACE_BROKEN_MALFORMED);
	assert_in_run(fx_dev(fx, DEV).broken_ns, first);

	/* Nothing is counted for it. */
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 1);
	assert_int_equal(fx_dev_stats(fx, DEV).status_changes, 1);
	assert_int_equal(fx_queue_entries(fx), 0);
}

static void dev_broken_each_reason(void **state)
{
	struct fx *fx = *state;
	static const uint32_t reasons[] = {
		UVDEV_TRACE_BROKEN_MSG_TIMEOUT, UVDEV_TRACE_BROKEN_MALFORMED,
		UVDEV_TRACE_BROKEN_DRIVER_TIMEOUT, UVDEV_TRACE_BROKEN_NO_BACKEND,
		/* Reasons uvdev does not define are kept as they came. */
		UVDEV_TRACE_BROKEN_REASONS, UINT32_MAX,
	};
	struct fx_run r;
	uint32_t i;

	for (i = 0; i < ARRAY_SIZE(reasons); i++)
		fx_dev_create(fx, i, 1, 1, 64);
	fx_drain_events(fx);
	for (i = 0; i < ARRAY_SIZE(reasons); i++) {
		r = fx_dev_broken(fx, i, reasons[i]);
		fx_expect_event(fx, r, VTOP_EV_BROKEN, i, 0, reasons[i], 0);
		assert_dev_is(fx, i, &(struct vtop_dev){
			.device_id = 1, .num_queues = 1, .max_queue_size = 64,
			.broken = 1, .broken_reason = reasons[i],
			.broken_ns = fx_dev(fx, i).broken_ns,
		});
		assert_in_run(fx_dev(fx, i).broken_ns, r);
	}
}

static void dev_broken_of_unknown_device(void **state)
{
	struct fx *fx = *state;
	struct fx_run r;

	/* Created before vtop started: the event tells, no entry is made up. */
	r = fx_dev_broken(fx, DEV, UVDEV_TRACE_BROKEN_NO_BACKEND);
	fx_expect_event(fx, r, VTOP_EV_BROKEN, DEV, 0, UVDEV_TRACE_BROKEN_NO_BACKEND, 0);
	assert_int_equal(fx_count(fx->skel->maps.devices), 0);
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 0);

	/* Nor does a later create inherit it. */
	fx_dev_create(fx, DEV, 2, 1, 256);
	assert_int_equal(fx_dev(fx, DEV).broken, 0);
}

/* ---- queue setup -------------------------------------------------------- */

static void vq_setup_emits_only(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;
	struct fx_run r;

	r = fx_vq_setup(fx, DEV, 2, 512, 0);
	fx_expect_event(fx, r, VTOP_EV_VQ_SETUP, DEV, 2, 512, 0);
	r = fx_vq_setup(fx, DEV, 2, 512, 1);
	fx_expect_event(fx, r, VTOP_EV_VQ_SETUP, DEV, 2, 512, 1);
	/* Edge values pass through as they came. */
	r = fx_vq_setup(fx, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX);
	fx_expect_event(fx, r, VTOP_EV_VQ_SETUP, UINT32_MAX, UINT32_MAX, UINT32_MAX,
			UINT32_MAX);
	/* Queues are counters of traffic: setting one up makes none. */
	assert_int_equal(fx_queue_entries(fx), 0);
	assert_int_equal(fx_count(fx->skel->maps.devices), 0);
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 0);

	/* A reset after traffic leaves the counters as history. */
	fx_kick(fx, DEV, 2, UVDEV_TRACE_KICK_EVENTFD);
	fx_vq_pop(fx, DEV, 2, 0, 64, 100, 0, 1, 0);
	r = fx_vq_setup(fx, DEV, 2, 512, 0);
	fx_expect_event(fx, r, VTOP_EV_VQ_SETUP, DEV, 2, 512, 0);
	s = fx_queue_stats(fx, DEV, 2);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.kicks = { 1 }, .pops = 1, .pop_bytes = 64, .wait_sum_ns = 100,
		.wait_hist = { [6] = 1 },
	});
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
	/* Types are kept as they came: they key nothing here. */
	fx_msg_send(fx, OTHER, UINT32_MAX, UINT32_MAX);
	assert_int_equal(fx_msg(fx, DEV, 42).type, 5);
	assert_int_equal(fx_msg(fx, OTHER, 41).type, 1);
	assert_int_equal(fx_msg(fx, OTHER, UINT32_MAX).type, UINT32_MAX);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), 4);

	/* The same id sent again (vtop missed its end): the entry is renewed. */
	r = fx_msg_send(fx, DEV, 41, 6);
	m = fx_msg(fx, DEV, 41);
	assert_in_run(m.send_ns, r);
	assert_int_equal(m.type, 6);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), 4);

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
	assert_int_equal(fx_dev(fx, DEV).broken, 0);
	fx_expect_no_event(fx);
}

static void msg_timeout_does_not_break_device(void **state)
{
	struct fx *fx = *state;
	struct vtop_dev_stats s;
	struct fx_run r;

	fx_dev_create(fx, DEV, 2, 1, 256);
	fx_drain_events(fx);
	fx_msg_send(fx, DEV, 17, 4);
	r = fx_msg_done(fx, DEV, 17, 4, UVDEV_TRACE_MSG_TIMEOUT, 30000000000ULL);

	fx_expect_event(fx, r, VTOP_EV_MSG_TIMEOUT, DEV, 0, 17, 4);
	assert_false(fx_has_msg(fx, DEV, 17));
	s = fx_dev_stats(fx, DEV);
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){
		.msgs = { [4] = { [UVDEV_TRACE_MSG_TIMEOUT] = 1 } },
		.msg_sum_ns = { [4] = 30000000000ULL },
		.msg_hist = { [4] = { [34] = 1 } },
	});
	/* The kernel says when the device breaks (uvdev_dev_broken), not vtop. */
	assert_dev_is(fx, DEV, &(struct vtop_dev){
		.device_id = 2, .num_queues = 1, .max_queue_size = 256,
	});

	/* Which it does next; a later timeout leaves the reason alone. */
	r = fx_dev_broken(fx, DEV, UVDEV_TRACE_BROKEN_MSG_TIMEOUT);
	fx_expect_event(fx, r, VTOP_EV_BROKEN, DEV, 0, UVDEV_TRACE_BROKEN_MSG_TIMEOUT, 0);
	fx_msg_done(fx, DEV, 19, 2, UVDEV_TRACE_MSG_TIMEOUT, 30000000000ULL);
	fx_expect_event(fx, fx->last, VTOP_EV_MSG_TIMEOUT, DEV, 0, 19, 2);
	assert_int_equal(fx_dev(fx, DEV).broken, 1);
	assert_int_equal(fx_dev(fx, DEV).broken_reason, UVDEV_TRACE_BROKEN_MSG_TIMEOUT);
	assert_in_run(fx_dev(fx, DEV).broken_ns, r);
}

static void msg_timeout_of_unknown_device(void **state)
{
	struct fx *fx = *state;
	struct vtop_dev_stats s;
	struct fx_run r;

	r = fx_msg_done(fx, DEV, 5, 1, UVDEV_TRACE_MSG_TIMEOUT, 1000);
	fx_expect_event(fx, r, VTOP_EV_MSG_TIMEOUT, DEV, 0, 5, 1);
	assert_false(fx_has_dev(fx, DEV));
	s = fx_dev_stats(fx, DEV);
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){
		.msgs = { [1] = { [UVDEV_TRACE_MSG_TIMEOUT] = 1 } },
		.msg_sum_ns = { [1] = 1000 },
		.msg_hist = { [1] = { [9] = 1 } },
	});
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
	/* Result 6 masks to 2 (timeout) but is not one: no event. */
	fx_expect_no_event(fx);

	/* A timeout of an unknown type: its event carries type 0 too. */
	fx_msg_done(fx, DEV, 7, 9, UVDEV_TRACE_MSG_TIMEOUT, 64);
	fx_expect_event(fx, fx->last, VTOP_EV_MSG_TIMEOUT, DEV, 0, 7, 0);

	s = fx_dev_stats(fx, DEV);
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){
		.msgs = {
			[0] = { [UVDEV_TRACE_MSG_OK] = 2, [UVDEV_TRACE_MSG_FAILED] = 1,
				[UVDEV_TRACE_MSG_TIMEOUT] = 1 },
			[1] = { [UVDEV_TRACE_MSG_FAILED] = 3 },
		},
		.msg_sum_ns = { [0] = 71, [1] = 56 },
		.msg_hist = {
			[0] = { [0] = 1, [1] = 1, [2] = 1, [6] = 1 },
			[1] = { [3] = 1, [4] = 1, [5] = 1 },
		},
	});
	assert_int_equal(fx_dev(fx, DEV).broken, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX_TEST(dev_create_records_device),
		FX_TEST(dev_create_again_starts_afresh),
		FX_TEST(dev_destroy_forgets_device),
		FX_TEST(slot_reuse_starts_from_zero),
		FX_TEST(late_event_of_older_owner_is_ignored),
		FX_TEST(serial_wraps),
		FX_TEST(dev_destroy_of_unknown_device),
		FX_TEST(dev_destroy_with_message_map_full),
		FX_TEST(status_updates_device),
		FX_TEST(status_of_unknown_device),
		FX_TEST(dev_broken_marks_device),
		FX_TEST(dev_broken_each_reason),
		FX_TEST(dev_broken_of_unknown_device),
		FX_TEST(vq_setup_emits_only),
		FX_TEST(msg_send_records_in_flight),
		FX_TEST(msg_done_counts_and_forgets),
		FX_TEST(msg_timeout_does_not_break_device),
		FX_TEST(msg_timeout_of_unknown_device),
		FX_TEST(msg_unknown_type_and_result),
	};

	return cmocka_run_group_tests_name("vtop_bpf_devices", tests, NULL, NULL);
}
