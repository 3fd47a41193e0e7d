// SPDX-License-Identifier: GPL-2.0
/*
 * vtop's queue programs (kick, pop, push, IRQ inject and deliver) driven
 * through BPF_PROG_TEST_RUN: counters, histograms, last-activity times and
 * the chains in flight, checked exactly.
 */
#include <uapi/uvdev_trace.h>

#include "bpf_fixture.h"

#define DEV	3
#define Q	1

/*
 * Latencies and their log2 slots: 0 and 1 share slot 0, 2 -> 1, 1000 -> 9,
 * 2^40 -> 40, UINT64_MAX -> 63. Their sum wraps, as the kernel's u64 does.
 */
static const uint64_t slot_probe[] = { 0, 1, 2, 1000, 1ULL << 40, UINT64_MAX };
#define SLOT_PROBE_SUM	(0 + 1 + 2 + 1000 + (1ULL << 40) + UINT64_MAX)

/* ---- kick --------------------------------------------------------------- */

static void kick_counts_each_mode(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;

	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_EVENTFD);
	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_DEFERRED);
	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_DEFERRED);
	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_DROPPED);
	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_DROPPED);
	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_DROPPED);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 1, 2, 3, 0 } });
	/* Only this queue exists, and nothing is in flight. */
	assert_int_equal(fx_count(fx->skel->maps.queues), 1);
	assert_int_equal(fx_count(fx->skel->maps.queues), 1);
	assert_int_equal(fx_inflight_count(fx), 0);
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 0);
	fx_expect_no_event(fx);
}

static void kick_first_seen_queue_is_ready(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_state st;

	/* A queue first seen through traffic was set up before vtop. */
	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_EVENTFD);
	st = fx_queue_state(fx, DEV, Q);
	assert_int_equal(st.ready, 1);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.last_pop_ns, 0);
	assert_int_equal(st.undelivered_since_ns, 0);
}

static void kick_starts_work_once(void **state, uint32_t mode)
{
	struct fx *fx = *state;
	struct vtop_queue_state st;
	struct fx_run first, second;

	first = fx_kick(fx, DEV, Q, mode);
	st = fx_queue_state(fx, DEV, Q);
	assert_in_run(st.work_since_ns, first);

	/* A second kick does not move the start of the work. */
	second = fx_kick(fx, DEV, Q, mode);
	st = fx_queue_state(fx, DEV, Q);
	assert_in_run(st.work_since_ns, first);
	assert_true(st.work_since_ns < second.after);

	/* Nor does a dropped one. */
	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_DROPPED);
	st = fx_queue_state(fx, DEV, Q);
	assert_in_run(st.work_since_ns, first);
}

static void kick_eventfd_starts_work(void **state)
{
	kick_starts_work_once(state, UVDEV_TRACE_KICK_EVENTFD);
}

static void kick_deferred_starts_work(void **state)
{
	kick_starts_work_once(state, UVDEV_TRACE_KICK_DEFERRED);
}

static void kick_dropped_starts_no_work(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_state st;
	int i;

	for (i = 0; i < 2; i++) {
		fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_DROPPED);
		st = fx_queue_state(fx, DEV, Q);
		assert_int_equal(st.work_since_ns, 0);
		assert_int_equal(fx_queue_stats(fx, DEV, Q).kicks[UVDEV_TRACE_KICK_DROPPED],
				 (uint64_t)i + 1);
	}
}

static void kick_mode_out_of_range_is_spare(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;

	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_MODES);	/* 3: the spare slot */
	fx_kick(fx, DEV, Q, 4);
	fx_kick(fx, DEV, Q, 5);
	fx_kick(fx, DEV, Q, 7);
	fx_kick(fx, DEV, Q, UINT32_MAX);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 0, 0, 0, 5 } });
	/* Not a kick that brought work, and no sign the queue is ready. */
	assert_int_equal(fx_queue_state(fx, DEV, Q).work_since_ns, 0);
	assert_int_equal(fx_queue_state(fx, DEV, Q).ready, 0);
}

static void kick_keys_by_device_and_queue(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;

	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_EVENTFD);
	fx_kick(fx, DEV, Q + 1, UVDEV_TRACE_KICK_DEFERRED);
	fx_kick(fx, DEV + 1, Q, UVDEV_TRACE_KICK_DROPPED);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 1, 0, 0, 0 } });
	s = fx_queue_stats(fx, DEV, Q + 1);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 0, 1, 0, 0 } });
	s = fx_queue_stats(fx, DEV + 1, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 0, 0, 1, 0 } });
	assert_int_equal(fx_count(fx->skel->maps.queues), 3);
	assert_int_equal(fx_count(fx->skel->maps.queues), 3);
}

/* ---- pop ---------------------------------------------------------------- */

static void pop_counts_bytes_and_wait(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(slot_probe); i++)
		fx_vq_pop(fx, DEV, Q, i, 100 * (i + 1), slot_probe[i], 0);
	/* The largest byte count a u32 carries. */
	fx_vq_pop(fx, DEV, Q, 50, UINT32_MAX, 3, 0);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.pops = 7,
		.pop_bytes = 2100 + (uint64_t)UINT32_MAX,
		.wait_sum_ns = SLOT_PROBE_SUM + 3,
		.wait_hist = { [0] = 2, [1] = 2, [9] = 1, [40] = 1, [63] = 1 },
	});
}

static void pop_hist_slot_edges(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s, want = { 0 };
	int i;

	/* 2^i - 1 ends slot i - 1 and 2^i starts slot i, for every i. */
	for (i = 1; i < 64; i++) {
		uint64_t p = 1ULL << i;

		fx_vq_pop(fx, DEV, Q, 0, 0, p - 1, 0);
		fx_vq_pop(fx, DEV, Q, 0, 0, p, 0);
		want.wait_hist[i - 1]++;
		want.wait_hist[i]++;
		want.wait_sum_ns += 2 * p - 1;
		want.pops += 2;
	}
	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &want);
}

static void pop_moves_work_since(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_state st;
	struct fx_run r;

	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_EVENTFD);

	/* Chains left after the pop have waited since the pop. */
	r = fx_vq_pop(fx, DEV, Q, 7, 64, 500, 3);
	st = fx_queue_state(fx, DEV, Q);
	assert_in_run(st.last_pop_ns, r);
	assert_int_equal(st.work_since_ns, st.last_pop_ns);

	/* None left: no work waits. */
	r = fx_vq_pop(fx, DEV, Q, 8, 64, 500, 0);
	st = fx_queue_state(fx, DEV, Q);
	assert_in_run(st.last_pop_ns, r);
	assert_int_equal(st.work_since_ns, 0);
}

static void pop_of_unknown_queue_creates_it(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_state st;
	struct fx_run r;

	r = fx_vq_pop(fx, DEV, Q, 0, 16, 10, 1);
	st = fx_queue_state(fx, DEV, Q);
	assert_int_equal(st.ready, 1);
	assert_in_run(st.last_pop_ns, r);
	assert_int_equal(st.work_since_ns, st.last_pop_ns);
}

static void pop_records_chain_in_flight(void **state)
{
	struct fx *fx = *state;
	struct fx_run r1, r2;

	r1 = fx_vq_pop(fx, DEV, Q, 5, 64, 10, 1);
	r2 = fx_vq_pop(fx, DEV, Q, 1023, 64, 10, 0);

	assert_in_run(fx_inflight(fx, DEV, Q, 5), r1);
	assert_in_run(fx_inflight(fx, DEV, Q, 1023), r2);
	assert_int_equal(fx_inflight(fx, DEV, Q, 1023), fx_queue_state(fx, DEV, Q).last_pop_ns);
	assert_false(fx_has_inflight(fx, DEV, Q, 6));
	assert_int_equal(fx_inflight_count(fx), 2);

	/* Popped again (a new backend after a crash): the entry is renewed. */
	r2 = fx_vq_pop(fx, DEV, Q, 5, 64, 10, 0);
	assert_in_run(fx_inflight(fx, DEV, Q, 5), r2);
	assert_int_equal(fx_inflight_count(fx), 2);
}

/* ---- push --------------------------------------------------------------- */

static void push_counts_bytes_and_service(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(slot_probe); i++)
		fx_vq_push(fx, DEV, Q, i, 512 * i, slot_probe[i]);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.pushes = 6,
		.push_bytes = 512 * 15,
		.service_sum_ns = SLOT_PROBE_SUM,
		.service_hist = { [0] = 2, [1] = 1, [9] = 1, [40] = 1, [63] = 1 },
	});
}

static void push_starts_undelivered_once(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_state st;
	struct fx_run first, second;

	first = fx_vq_push(fx, DEV, Q, 0, 8, 100);
	st = fx_queue_state(fx, DEV, Q);
	assert_in_run(st.undelivered_since_ns, first);

	second = fx_vq_push(fx, DEV, Q, 1, 8, 100);
	st = fx_queue_state(fx, DEV, Q);
	assert_in_run(st.undelivered_since_ns, first);
	assert_true(st.undelivered_since_ns < second.after);
}

static void push_removes_chain_in_flight(void **state)
{
	struct fx *fx = *state;

	fx_vq_pop(fx, DEV, Q, 1, 64, 10, 1);
	fx_vq_pop(fx, DEV, Q, 2, 64, 10, 0);
	/* The same head on another queue and another device. */
	fx_vq_pop(fx, DEV, Q + 1, 1, 64, 10, 0);
	fx_vq_pop(fx, DEV + 1, Q, 1, 64, 10, 0);
	assert_int_equal(fx_inflight_count(fx), 4);

	fx_vq_push(fx, DEV, Q, 1, 64, 1000);
	assert_false(fx_has_inflight(fx, DEV, Q, 1));
	assert_true(fx_has_inflight(fx, DEV, Q, 2));
	assert_true(fx_has_inflight(fx, DEV, Q + 1, 1));
	assert_true(fx_has_inflight(fx, DEV + 1, Q, 1));
	assert_int_equal(fx_inflight_count(fx), 3);

	/* A head that was never popped (vtop started later) is counted only. */
	fx_vq_push(fx, DEV, Q, 9, 64, 1000);
	assert_int_equal(fx_inflight_count(fx), 3);
	assert_int_equal(fx_queue_stats(fx, DEV, Q).pushes, 2);
}

/* ---- IRQs --------------------------------------------------------------- */

static void irq_counts_outcomes_and_latency(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;

	fx_irq_inject(fx, DEV, Q);
	fx_irq_inject(fx, DEV, Q);
	fx_irq_inject(fx, DEV, Q);
	fx_irq_deliver(fx, DEV, Q, 0, UVDEV_TRACE_IRQ_HANDLED);
	fx_irq_deliver(fx, DEV, Q, 1000, UVDEV_TRACE_IRQ_HANDLED);
	fx_irq_deliver(fx, DEV, Q, 2, UVDEV_TRACE_IRQ_SPURIOUS);
	fx_irq_deliver(fx, DEV, Q, 1ULL << 40, UVDEV_TRACE_IRQ_SUPPRESSED);
	fx_irq_deliver(fx, DEV, Q, UINT64_MAX, UVDEV_TRACE_IRQ_OUTCOMES); /* spare */
	fx_irq_deliver(fx, DEV, Q, 1, 5);				/* -> 3 */
	fx_irq_deliver(fx, DEV, Q, 3, UINT32_MAX);			/* -> 3 */

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.irq_injects = 3,
		.irq_delivers = { 2, 1, 1, 3 },
		.irq_sum_ns = SLOT_PROBE_SUM + 3,
		.irq_hist = { [0] = 2, [1] = 2, [9] = 1, [40] = 1, [63] = 1 },
	});
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 0);
}

static void irq_deliver_ends_undelivered(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_state st;
	struct fx_run r;

	fx_vq_push(fx, DEV, Q, 0, 8, 100);
	fx_irq_inject(fx, DEV, Q);
	st = fx_queue_state(fx, DEV, Q);
	/* Injected is not delivered. */
	assert_int_not_equal(st.undelivered_since_ns, 0);

	fx_irq_deliver(fx, DEV, Q, 5000, UVDEV_TRACE_IRQ_HANDLED);
	st = fx_queue_state(fx, DEV, Q);
	assert_int_equal(st.undelivered_since_ns, 0);

	/* The next push starts a new wait for an IRQ. */
	r = fx_vq_push(fx, DEV, Q, 1, 8, 100);
	st = fx_queue_state(fx, DEV, Q);
	assert_in_run(st.undelivered_since_ns, r);
}

static void irq_config_counts_per_device(void **state)
{
	struct fx *fx = *state;
	struct vtop_dev_stats s;

	fx_irq_inject(fx, DEV, UVDEV_TRACE_QUEUE_CONFIG);
	fx_irq_inject(fx, DEV, UVDEV_TRACE_QUEUE_CONFIG);
	fx_irq_deliver(fx, DEV, UVDEV_TRACE_QUEUE_CONFIG, 1000, UVDEV_TRACE_IRQ_HANDLED);
	fx_irq_inject(fx, DEV + 1, UVDEV_TRACE_QUEUE_CONFIG);

	s = fx_dev_stats(fx, DEV);
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){
		.config_irq_injects = 2,
		.config_irq_delivers = 1,
	});
	s = fx_dev_stats(fx, DEV + 1);
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){ .config_irq_injects = 1 });

	/* The config "queue" is no queue. */
	assert_false(fx_has_queue(fx, DEV, UVDEV_TRACE_QUEUE_CONFIG));
	assert_false(fx_has_queue(fx, DEV, UVDEV_TRACE_QUEUE_CONFIG));
	assert_int_equal(fx_count(fx->skel->maps.queues), 0);
	assert_int_equal(fx_count(fx->skel->maps.queues), 0);
	assert_false(fx_has_dev(fx, DEV));
	fx_expect_no_event(fx);
}

/* ---- a request's life --------------------------------------------------- */

static void request_round_trip(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_state st;
	struct vtop_queue_stats s;
	struct fx_run pop;

	fx_vq_setup(fx, DEV, Q, 128, 1);
	fx_expect_event(fx, fx->last, VTOP_EV_VQ_SETUP, DEV, Q, 128, 1);
	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_EVENTFD);
	pop = fx_vq_pop(fx, DEV, Q, 17, 4096 + 16, 2000, 0);
	fx_vq_push(fx, DEV, Q, 17, 1, 300000);
	fx_irq_inject(fx, DEV, Q);
	fx_irq_deliver(fx, DEV, Q, 40000, UVDEV_TRACE_IRQ_HANDLED);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.kicks = { 1, 0, 0, 0 },
		.pops = 1, .pop_bytes = 4112, .wait_sum_ns = 2000,
		.pushes = 1, .push_bytes = 1, .service_sum_ns = 300000,
		.irq_injects = 1, .irq_delivers = { 1, 0, 0, 0 }, .irq_sum_ns = 40000,
		.wait_hist = { [10] = 1 },
		.service_hist = { [18] = 1 },
		.irq_hist = { [15] = 1 },
	});
	st = fx_queue_state(fx, DEV, Q);
	assert_in_run(st.last_pop_ns, pop);
	assert_int_equal(st.work_since_ns, 0);
	assert_int_equal(st.undelivered_since_ns, 0);
	assert_int_equal(st.size, 128);
	assert_int_equal(st.ready, 1);
	assert_int_equal(fx_inflight_count(fx), 0);
	fx_expect_no_event(fx);
}

#define TEST(fn)	cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(kick_counts_each_mode),
		TEST(kick_first_seen_queue_is_ready),
		TEST(kick_eventfd_starts_work),
		TEST(kick_deferred_starts_work),
		TEST(kick_dropped_starts_no_work),
		TEST(kick_mode_out_of_range_is_spare),
		TEST(kick_keys_by_device_and_queue),
		TEST(pop_counts_bytes_and_wait),
		TEST(pop_hist_slot_edges),
		TEST(pop_moves_work_since),
		TEST(pop_of_unknown_queue_creates_it),
		TEST(pop_records_chain_in_flight),
		TEST(push_counts_bytes_and_service),
		TEST(push_starts_undelivered_once),
		TEST(push_removes_chain_in_flight),
		TEST(irq_counts_outcomes_and_latency),
		TEST(irq_deliver_ends_undelivered),
		TEST(irq_config_counts_per_device),
		TEST(request_round_trip),
	};

	return cmocka_run_group_tests_name("vtop_bpf_queues", tests, NULL, NULL);
}
