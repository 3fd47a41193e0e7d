// SPDX-License-Identifier: GPL-2.0
/*
 * vtop's notification programs (uvdev_notif_post, _deliver, _wait_end, _bh)
 * driven through BPF_PROG_TEST_RUN: a device's counters and its delivery
 * and wait histograms, checked exactly, field by field.
 */
#include <uapi/uvdev_trace.h>

#include "bpf_fixture.h"

#define DEV	3
#define OTHER	4

/* The device's counters with only the notification part compared. */
#define assert_notif(fx, dev, ...)					\
	do {								\
		struct vtop_dev_stats got_ = fx_dev_stats((fx), (dev));	\
		fx_assert_dev_stats(&got_, &(struct vtop_dev_stats){	\
			.notif = __VA_ARGS__ });			\
	} while (0)

/*
 * One burst as the kernel traces it: the backend posts 1, 2, 3, 2 and the
 * bottom-half value in one call; the top half takes 1 (two waiters woken),
 * 2 (posted twice, no waiter: remembered), 3 (one waiter) and 0; the
 * bottom half runs; the three waiters end woken, and a later wait takes
 * the remembered 2.
 */
static void burst_counts_every_outcome(void **state)
{
	static const uint32_t values[] = { 1, 2, 3, 2, VTOP_NOTIF_BOTTOM_HALF };
	struct fx *fx = *state;
	unsigned int i;

	fx_dev_create(fx, DEV, 2, 1, 256);
	fx_drain_events(fx);
	for (i = 0; i < ARRAY_SIZE(values); i++)
		fx_notif_post(fx, DEV, values[i], ARRAY_SIZE(values));
	fx_notif_deliver(fx, DEV, 1, 1500, 1, 2);
	fx_notif_deliver(fx, DEV, 2, 3000, 2, 0);
	fx_notif_deliver(fx, DEV, 3, 1, 1, 1);
	fx_notif_deliver(fx, DEV, VTOP_NOTIF_BOTTOM_HALF, 70000, 1, 0);
	fx_notif_bh(fx, DEV, 1, 250000);
	fx_notif_wait_end(fx, DEV, 1, UVDEV_TRACE_WAIT_WOKEN, 5000);
	fx_notif_wait_end(fx, DEV, 1, UVDEV_TRACE_WAIT_WOKEN, 6000);
	fx_notif_wait_end(fx, DEV, 3, UVDEV_TRACE_WAIT_WOKEN, 2000000);
	fx_notif_wait_end(fx, DEV, 2, UVDEV_TRACE_WAIT_REMEMBERED, 0);

	assert_notif(fx, DEV, {
		.posts = 5, .deliveries = 4, .merged = 1,
		.woke = 2, .wakeups = 3, .unwaited = 1, .bh_requests = 1,
		.bottom_halves = 1,
		.waits = { [UVDEV_TRACE_WAIT_WOKEN] = 3, [UVDEV_TRACE_WAIT_REMEMBERED] = 1 },
		.deliver_sum_ns = 1500 + 3000 + 1 + 70000,
		.wait_sum_ns = 5000 + 6000 + 2000000,
		/* 1500: slot 10; 3000: 11; 1: 0; 70000: 16. */
		.deliver_hist = { [0] = 1, [10] = 1, [11] = 1, [16] = 1 },
		/* 5000 and 6000: slot 12; 2 ms: 20; 0: 0. */
		.wait_hist = { [0] = 1, [12] = 2, [20] = 1 },
	});
	/* Nothing of a queue, no rare event, no other device. */
	assert_int_equal(fx_queue_entries(fx), 0);
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 1);
	fx_expect_no_event(fx);
}

/* posts = 1 merges nothing; posts = 0 (not traced by uvdev) neither. */
static void merged_counts_posts_past_the_first(void **state)
{
	struct fx *fx = *state;

	fx_dev_create(fx, DEV, 2, 1, 256);
	fx_notif_deliver(fx, DEV, 7, 100, 1, 0);
	fx_notif_deliver(fx, DEV, 7, 100, 0, 0);
	fx_notif_deliver(fx, DEV, 8, 100, 64, 3);
	fx_notif_deliver(fx, DEV, 9, 100, 0xffffffff, 0);
	assert_notif(fx, DEV, {
		.deliveries = 4, .merged = 63 + 0xfffffffeULL,
		.woke = 1, .wakeups = 3, .unwaited = 3,
		.deliver_sum_ns = 400, .deliver_hist = { [6] = 4 },
	});
	fx_drain_events(fx);
}

static void wait_results_each_and_unknown(void **state)
{
	struct fx *fx = *state;
	uint32_t r;

	fx_dev_create(fx, DEV, 2, 1, 256);
	for (r = 0; r < UVDEV_TRACE_WAIT_RESULTS; r++)
		fx_notif_wait_end(fx, DEV, 1, r, 1ULL << (r + 20));
	/* Results uvdev does not define count as failed. */
	fx_notif_wait_end(fx, DEV, 1, UVDEV_TRACE_WAIT_RESULTS, 1);
	fx_notif_wait_end(fx, DEV, 1, 0xffffffff, 1);
	fx_notif_wait_end(fx, DEV, 1, VTOP_WAIT_RESULTS, UINT64_MAX - 1);
	assert_notif(fx, DEV, {
		.waits = {
			[UVDEV_TRACE_WAIT_WOKEN] = 1,
			[UVDEV_TRACE_WAIT_REMEMBERED] = 1,
			[UVDEV_TRACE_WAIT_TIMEOUT] = 1,
			[UVDEV_TRACE_WAIT_INTERRUPTED] = 1,
			[UVDEV_TRACE_WAIT_FAILED] = 4,
		},
		/* The sum wraps like the kernel's u64: 2^20..2^24 + 2 + 2^64 - 2. */
		.wait_sum_ns = (1ULL << 20) + (1ULL << 21) + (1ULL << 22) +
			       (1ULL << 23) + (1ULL << 24),
		.wait_hist = { [0] = 2, [20] = 1, [21] = 1, [22] = 1, [23] = 1,
			       [24] = 1, [63] = 1 },
	});
	fx_drain_events(fx);
}

/*
 * A device vtop does not know is not counted: a wait that destroy ended
 * can be traced after the destroy event, and the id goes to the next
 * device created.
 */
static void unknown_device_not_counted(void **state)
{
	struct fx *fx = *state;

	fx_notif_post(fx, DEV, 1, 1);
	fx_notif_deliver(fx, DEV, 1, 10, 1, 0);
	fx_notif_wait_end(fx, DEV, 1, UVDEV_TRACE_WAIT_FAILED, 10);
	fx_notif_bh(fx, DEV, 0, 10);
	assert_false(fx_has_dev_stats(fx, DEV));

	fx_dev_create(fx, DEV, 2, 1, 256);
	fx_notif_wait_end(fx, DEV, 1, UVDEV_TRACE_WAIT_TIMEOUT, 1000);
	fx_dev_destroy(fx, DEV, 2, 1, 256);
	assert_false(fx_has_dev_stats(fx, DEV));
	/* Late: the waiter destroy woke. */
	fx_notif_wait_end(fx, DEV, 1, UVDEV_TRACE_WAIT_FAILED, 1000);
	assert_false(fx_has_dev_stats(fx, DEV));

	/* The id's next device starts from zero. */
	fx_dev_create(fx, DEV, 2, 1, 256);
	fx_notif_post(fx, DEV, 5, 1);
	assert_notif(fx, DEV, { .posts = 1 });
	fx_drain_events(fx);
}

/* Devices count apart, and their message counters are left alone. */
static void devices_count_apart(void **state)
{
	struct fx *fx = *state;
	struct vtop_dev_stats s;

	fx_dev_create(fx, DEV, 2, 1, 256);
	fx_dev_create(fx, OTHER, 4, 1, 256);
	fx_msg_done(fx, DEV, 1, 0, UVDEV_TRACE_MSG_OK, 1000);
	fx_notif_post(fx, DEV, 1, 2);
	fx_notif_post(fx, OTHER, 1, 1);
	fx_notif_post(fx, DEV, 2, 2);
	fx_notif_bh(fx, OTHER, 3, 42);
	assert_notif(fx, OTHER, { .posts = 1, .bottom_halves = 1 });
	s = fx_dev_stats(fx, DEV);
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){
		.msgs = { [0] = { [UVDEV_TRACE_MSG_OK] = 1 } },
		.msg_sum_ns = { [0] = 1000 },
		.msg_hist = { [0] = { [9] = 1 } },
		.notif = { .posts = 2 },
	});
	fx_drain_events(fx);
}

/* Per-CPU counters: runs on two CPUs sum as vtop reads them. */
static void cpus_sum(void **state)
{
	struct fx *fx = *state;
	int cpus[2];

	if (fx_online_cpus(cpus, 2) < 2)
		skip();
	fx_dev_create(fx, DEV, 2, 1, 256);
	fx_on_cpu(fx, cpus[0]);
	fx_notif_post(fx, DEV, 1, 1);
	fx_notif_deliver(fx, DEV, 1, 4096, 1, 1);
	fx_on_cpu(fx, cpus[1]);
	fx_notif_post(fx, DEV, 1, 1);
	fx_notif_deliver(fx, DEV, 1, 4096, 1, 1);
	fx_notif_wait_end(fx, DEV, 1, UVDEV_TRACE_WAIT_WOKEN, 8192);
	assert_notif(fx, DEV, {
		.posts = 2, .deliveries = 2, .woke = 2, .wakeups = 2,
		.waits = { [UVDEV_TRACE_WAIT_WOKEN] = 1 },
		.deliver_sum_ns = 8192, .wait_sum_ns = 8192,
		.deliver_hist = { [12] = 2 }, .wait_hist = { [13] = 1 },
	});
	fx_drain_events(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX_TEST(burst_counts_every_outcome),
		FX_TEST(merged_counts_posts_past_the_first),
		FX_TEST(wait_results_each_and_unknown),
		FX_TEST(unknown_device_not_counted),
		FX_TEST(devices_count_apart),
		FX_TEST(cpus_sum),
	};

	return cmocka_run_group_tests_name("vtop_bpf_notif", tests, NULL, NULL);
}
