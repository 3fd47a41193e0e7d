// SPDX-License-Identifier: GPL-2.0
/*
 * vtop's programs at their limits: every map filled to the brim, and the
 * events ring buffer until a reserve fails. What cannot be kept is counted
 * in the drops map, exactly once per loss, and the rest keeps working.
 */
#include <uapi/uvdev_trace.h>

#include "bpf_fixture.h"

/* ---- devices ------------------------------------------------------------ */

static void devices_map_full(void **state)
{
	struct fx *fx = *state;
	uint32_t dev;

	/*
	 * The devices map has an entry for every id the module hands out
	 * (below 256), so it cannot fill within them: a crafted id beyond
	 * them shows the drop.
	 */
	for (dev = 0; dev < VTOP_MAX_DEVICES; dev++)
		fx_dev_create(fx, dev, 1, 1, 64);
	assert_int_equal(fx_count(fx->skel->maps.devices), VTOP_MAX_DEVICES);
	fx_expect_drops(fx, 0, 0, 0, 0);
	fx_drain_events(fx);

	fx_dev_create(fx, VTOP_MAX_DEVICES, 3, 2, 128);
	fx_expect_drops(fx, 0, 1, 0, 0);
	assert_false(fx_has_dev(fx, VTOP_MAX_DEVICES));
	/* Still counted and told: only the entry is lost. */
	assert_int_equal(fx_lifecycle(fx, VTOP_LC_DEV_CREATE), VTOP_MAX_DEVICES + 1);
	fx_expect_event(fx, fx->last, VTOP_EV_DEV_CREATE, VTOP_MAX_DEVICES, 0, 3, 2);

	/* Created again, a device it holds is replaced, not dropped. */
	fx_dev_create(fx, 5, 4, 3, 512);
	fx_expect_drops(fx, 0, 1, 0, 0);
	assert_int_equal(fx_dev(fx, 5).device_id, 4);
	fx_drain_events(fx);

	/* Destroyed, one makes room. */
	fx_dev_destroy(fx, 5, 4, 3, 512);
	fx_dev_create(fx, VTOP_MAX_DEVICES, 3, 2, 128);
	assert_int_equal(fx_dev(fx, VTOP_MAX_DEVICES).device_id, 3);
	fx_drain_events(fx);
	fx_expect_drops(fx, 0, 1, 0, 0);
}

static void dev_stats_map_full(void **state)
{
	struct fx *fx = *state;
	struct fx_run r;
	uint32_t dev;

	/* Likewise dev_stats (sized as devices), filled by config interrupts. */
	for (dev = 0; dev < VTOP_MAX_DEVICES; dev++)
		fx_irq_inject(fx, dev, UVDEV_TRACE_QUEUE_CONFIG);
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), VTOP_MAX_DEVICES);
	fx_expect_drops(fx, 0, 0, 0, 0);

	/* Every event that would make a device's counters counts a drop. */
	r = fx_status(fx, VTOP_MAX_DEVICES, 0, 1);
	fx_msg_done(fx, VTOP_MAX_DEVICES, 1, 1, UVDEV_TRACE_MSG_OK, 10);
	fx_irq_inject(fx, VTOP_MAX_DEVICES, UVDEV_TRACE_QUEUE_CONFIG);
	fx_irq_deliver(fx, VTOP_MAX_DEVICES, UVDEV_TRACE_QUEUE_CONFIG, 10,
		       UVDEV_TRACE_IRQ_HANDLED);
	fx_expect_drops(fx, 0, 4, 0, 0);
	assert_false(fx_has_dev_stats(fx, VTOP_MAX_DEVICES));
	/* The status event still goes out. */
	fx_expect_event(fx, r, VTOP_EV_STATUS, VTOP_MAX_DEVICES, 0, 0, 1);
	/* The devices it holds still count. */
	fx_irq_deliver(fx, 0, UVDEV_TRACE_QUEUE_CONFIG, 10, UVDEV_TRACE_IRQ_HANDLED);
	fx_expect_drops(fx, 0, 4, 0, 0);
	assert_int_equal(fx_dev_stats(fx, 0).config_irq_delivers, 1);
}

/* ---- messages ----------------------------------------------------------- */

static void msg_inflight_full(void **state)
{
	struct fx *fx = *state;
	struct vtop_msg_inflight m;
	struct fx_run r;
	uint32_t id;

	/* 4096 messages in flight fit; the 4097th is one drop. */
	for (id = 0; id < VTOP_MAX_MSGS; id++)
		fx_msg_send(fx, id % 3, id, id % VTOP_MSG_TYPES);
	fx_expect_drops(fx, 0, 0, 0, 0);
	fx_msg_send(fx, 9, 0, 1);
	fx_expect_drops(fx, 0, 0, 1, 0);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), VTOP_MAX_MSGS);
	assert_false(fx_has_msg(fx, 9, 0));

	/* One already in flight sent again is renewed, not dropped. */
	r = fx_msg_send(fx, 1, 4, 7);
	fx_expect_drops(fx, 0, 0, 1, 0);
	m = fx_msg(fx, 1, 4);
	assert_int_equal(m.type, 7);
	assert_in_run(m.send_ns, r);

	/* The lost message still counts when it ends. */
	fx_msg_done(fx, 9, 0, 1, UVDEV_TRACE_MSG_OK, 1000);
	assert_int_equal(fx_dev_stats(fx, 9).msgs[1][UVDEV_TRACE_MSG_OK], 1);

	/* One that ends makes room for the next. */
	fx_msg_done(fx, 0, 0, 0, UVDEV_TRACE_MSG_OK, 1000);
	fx_msg_send(fx, 9, 1, 2);
	fx_expect_drops(fx, 0, 0, 1, 0);
	assert_int_equal(fx_msg(fx, 9, 1).type, 2);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), VTOP_MAX_MSGS);
	fx_expect_no_event(fx);
}

/* ---- events ------------------------------------------------------------- */

static void ring_buffer_full(void **state)
{
	struct fx *fx = *state;
	struct fx_run first, r;
	uint32_t n = 0;
	size_t i, got;

	/* Emit until a reserve fails: the drop shows at once. */
	first = fx_vq_setup(fx, 1, n, 256, 1);
	while (fx_drops(fx, VTOP_DROP_EVENTS) == 0) {
		n++;
		assert_true(n <= FX_RINGBUF_EVENTS);
		fx_vq_setup(fx, 1, n, 256, 1);
	}
	/* Events 0..n-1 fit: exactly what 64 KiB of 40-byte records holds. */
	assert_int_equal(n, FX_RINGBUF_EVENTS);
	fx_expect_drops(fx, 0, 0, 0, 1);

	/*
	 * Every rare event now counts one drop, and does the rest of its
	 * work: the device is made, changes status, breaks, and goes.
	 */
	fx_dev_create(fx, 2, 1, 1, 64);
	fx_status(fx, 2, 0, 0x0f);
	r = fx_dev_broken(fx, 2, UVDEV_TRACE_BROKEN_MALFORMED);
	assert_int_equal(fx_dev(fx, 2).status, 0x0f);
	assert_int_equal(fx_dev(fx, 2).broken, 1);
	assert_in_run(fx_dev(fx, 2).broken_ns, r);
	fx_msg_done(fx, 2, 1, 1, UVDEV_TRACE_MSG_TIMEOUT, 10);
	fx_dev_destroy(fx, 2, 1, 1, 64);
	assert_false(fx_has_dev(fx, 2));
	fx_expect_drops(fx, 0, 0, 0, 6);
	/* The ring path emits nothing, so it drops nothing. */
	fx_kick(fx, 1, 0, UVDEV_TRACE_KICK_EVENTFD);
	fx_expect_drops(fx, 0, 0, 0, 6);

	/* The ring holds the events that fit, whole and in order. */
	got = fx_read_events(fx);
	assert_int_equal(got, FX_RINGBUF_EVENTS);
	for (i = 0; i < got; i++) {
		const struct vtop_event *ev = &fx->ev[i];

		assert_int_equal(ev->type, VTOP_EV_VQ_SETUP);
		assert_int_equal(ev->dev, 1);
		assert_int_equal(ev->queue, i);
		assert_int_equal(ev->a, 256);
		assert_int_equal(ev->b, 1);
		assert_int_equal(ev->pad, 0);
		assert_in_range(ev->ns, first.before, r.after);
		if (i)
			assert_true(ev->ns >= fx->ev[i - 1].ns);
	}
	fx_drain_events(fx);

	/* Read, the ring takes events again. */
	r = fx_dev_broken(fx, 3, UVDEV_TRACE_BROKEN_DRIVER_TIMEOUT);
	fx_expect_event(fx, r, VTOP_EV_BROKEN, 3, 0, UVDEV_TRACE_BROKEN_DRIVER_TIMEOUT, 0);
	fx_expect_drops(fx, 0, 0, 0, 6);
}

/* ---- queues ------------------------------------------------------------- */

/*
 * The queues array has a place for every slot the module can give (its
 * max_queues parameter; vtop sizes the array from it at load, the default
 * here): every slot counts, with no drop; an event whose slot is past the
 * array (a module loaded with more than vtop sized for) counts one drop.
 */
static void queues_array_holds_every_slot(void **state)
{
	struct fx *fx = *state;
	struct bpf_map *map = fx->skel->maps.queues;
	uint32_t max = bpf_map__max_entries(map), i;
	uint32_t beyond = max / VTOP_MAX_DEV_QUEUES;	/* a device past them */
	struct vtop_queue_stats s;

	assert_int_equal(max, VTOP_MAX_QUEUES);
	assert_int_equal(max % VTOP_MAX_DEV_QUEUES, 0);
	for (i = 0; i < max; i++)
		fx_kick(fx, i / VTOP_MAX_DEV_QUEUES, i % VTOP_MAX_DEV_QUEUES,
			UVDEV_TRACE_KICK_EVENTFD);
	assert_int_equal(fx_queue_entries(fx), max);
	fx_expect_drops(fx, 0, 0, 0, 0);

	assert_int_equal(fx_slot(fx, beyond, 0), max);
	fx_kick(fx, beyond, 0, UVDEV_TRACE_KICK_EVENTFD);
	fx_expect_drops(fx, 1, 0, 0, 0);
	fx_vq_pop(fx, beyond, 0, 0, 64, 100, 0, 1, 0);
	fx_vq_push(fx, beyond, 1, 0, 64, 100, 0, UVDEV_TRACE_PUSH_OK);
	fx_irq_inject(fx, beyond, 1);
	fx_irq_deliver(fx, beyond, 1, 100, UVDEV_TRACE_IRQ_HANDLED);
	fx_expect_drops(fx, 5, 0, 0, 0);
	assert_false(fx_has_queue(fx, beyond, 0));
	assert_false(fx_has_queue(fx, beyond, 1));
	assert_int_equal(fx_queue_entries(fx), max);

	/* The last slot counts like any other. */
	fx_vq_pop(fx, beyond - 1, VTOP_MAX_DEV_QUEUES - 1, 0, 64, 100, 0, 1, 0);
	s = fx_queue_stats(fx, beyond - 1, VTOP_MAX_DEV_QUEUES - 1);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.kicks = { 1 }, .pops = 1, .pop_bytes = 64, .wait_sum_ns = 100,
		.wait_hist = { [6] = 1 },
	});
	fx_expect_drops(fx, 5, 0, 0, 0);

	/* Slot UVDEV_TRACE_SLOT_NONE, a config interrupt's, is never a queue's. */
	fx_irq_inject(fx, 0, UVDEV_TRACE_QUEUE_CONFIG);
	assert_int_equal(fx_dev_stats(fx, 0).config_irq_injects, 1);
	fx_expect_drops(fx, 5, 0, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX_TEST(devices_map_full),
		FX_TEST(dev_stats_map_full),
		FX_TEST(msg_inflight_full),
		FX_TEST(ring_buffer_full),
		/* Last: it takes the per-CPU allocator's populated pages. */
		FX_TEST(queues_array_holds_every_slot),
	};

	return cmocka_run_group_tests_name("vtop_bpf_limits", tests, NULL, NULL);
}
