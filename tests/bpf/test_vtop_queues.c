// SPDX-License-Identifier: GPL-2.0
/*
 * vtop's queue programs (kick, pop, push, IRQ inject and deliver, zero-copy
 * map and completion) driven
 * through BPF_PROG_TEST_RUN: counters and histograms, checked exactly and
 * summed over CPUs; the ring path reads no clock and emits no event.
 */
#include <linux/bpf.h>
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
	/* Only this queue exists; no device, message or event came of it. */
	assert_int_equal(fx_queue_entries(fx), 1);
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 0);
	assert_int_equal(fx_count(fx->skel->maps.devices), 0);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), 0);
	fx_expect_no_event(fx);
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
}

static void kick_keys_by_device_and_queue(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;

	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_EVENTFD);
	fx_kick(fx, DEV, Q + 1, UVDEV_TRACE_KICK_DEFERRED);
	fx_kick(fx, DEV + 1, Q, UVDEV_TRACE_KICK_DROPPED);
	/* The largest ids the module has: device 255, queue 63. */
	fx_kick(fx, VTOP_MAX_DEVICES - 1, VTOP_MAX_DEV_QUEUES - 1, UVDEV_TRACE_KICK_EVENTFD);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 1, 0, 0, 0 } });
	s = fx_queue_stats(fx, DEV, Q + 1);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 0, 1, 0, 0 } });
	s = fx_queue_stats(fx, DEV + 1, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 0, 0, 1, 0 } });
	s = fx_queue_stats(fx, VTOP_MAX_DEVICES - 1, VTOP_MAX_DEV_QUEUES - 1);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){ .kicks = { 1, 0, 0, 0 } });
	assert_int_equal(fx_queue_entries(fx), 4);
}

/* ---- pop ---------------------------------------------------------------- */

static void pop_counts_bytes_and_wait(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(slot_probe); i++)
		fx_vq_pop(fx, DEV, Q, i, 100 * (i + 1), slot_probe[i], 0, 1, 0);
	/* The largest byte count a u32 carries. */
	fx_vq_pop(fx, DEV, Q, 50, UINT32_MAX, 3, 0, 1, 0);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.pops = 7,
		.pop_bytes = 2100 + (uint64_t)UINT32_MAX,
		.wait_sum_ns = SLOT_PROBE_SUM + 3,
		.wait_hist = { [0] = 2, [1] = 2, [9] = 1, [40] = 1, [63] = 1 },
	});
	fx_expect_no_event(fx);
}

static void pop_resubmitted_counts_no_wait(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;

	/* First pops, then the same chains handed to a new backend. */
	fx_vq_pop(fx, DEV, Q, 4, 100, 1000, 1, 1, 0);
	fx_vq_pop(fx, DEV, Q, 5, 200, 2000, 0, 2, 0);
	fx_vq_pop(fx, DEV, Q, 4, 100, 1ULL << 40, 0, 1, 1);
	fx_vq_pop(fx, DEV, Q, 5, 200, UINT64_MAX, 0, 2, 1);
	/* Any non-zero flag is a resubmission. */
	fx_vq_pop(fx, DEV, Q, 6, 8, 7, 0, 3, 2);
	fx_vq_pop(fx, DEV, Q, 7, 8, 7, 0, 4, UINT32_MAX);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.pops = 6,
		.pop_bytes = 616,
		.resubmits = 4,
		.wait_sum_ns = 3000,
		.wait_hist = { [9] = 1, [10] = 1 },
	});
}

static void pop_ignores_head_pending_and_inflight(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats a, b;

	/* The same pops but for what the ring held: the same counters. */
	fx_vq_pop(fx, DEV, 0, 0, 64, 500, 0, 1, 0);
	fx_vq_pop(fx, DEV, 0, 1, 64, 600, 0, 1, 0);
	fx_vq_pop(fx, DEV, 1, UINT32_MAX, 64, 500, UINT32_MAX, UINT32_MAX, 0);
	fx_vq_pop(fx, DEV, 1, 1023, 64, 600, 1024, 0, 0);

	a = fx_queue_stats(fx, DEV, 0);
	b = fx_queue_stats(fx, DEV, 1);
	fx_assert_queue_stats(&a, &(struct vtop_queue_stats){
		.pops = 2, .pop_bytes = 128, .wait_sum_ns = 1100, .wait_hist = { [8] = 1, [9] = 1 },
	});
	fx_assert_queue_stats(&b, &a);
}

/* ---- push --------------------------------------------------------------- */

static void push_counts_bytes_and_service(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(slot_probe); i++)
		fx_vq_push(fx, DEV, Q, i, 512 * i, slot_probe[i], 5 - i, UVDEV_TRACE_PUSH_OK);
	fx_vq_push(fx, DEV, Q, 9, UINT32_MAX, 3, 0, UVDEV_TRACE_PUSH_OK);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.pushes = 7,
		.push_bytes = 512 * 15 + (uint64_t)UINT32_MAX,
		.service_sum_ns = SLOT_PROBE_SUM + 3,
		.service_hist = { [0] = 2, [1] = 2, [9] = 1, [40] = 1, [63] = 1 },
	});
	fx_expect_no_event(fx);
}

/* Failed completions count, but are no service: they stay out of its figures. */
static void push_failed_counts_as_push_and_failed(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;

	fx_vq_push(fx, DEV, Q, 0, 512, 1000, 3, UVDEV_TRACE_PUSH_OK);
	fx_vq_push(fx, DEV, Q, 1, 0, 2000, 2, UVDEV_TRACE_PUSH_FAILED);
	fx_vq_push(fx, DEV, Q, 2, 0, 4000, 1, UVDEV_TRACE_PUSH_FAILED);
	/* Results uvdev does not define count as failed. */
	fx_vq_push(fx, DEV, Q, 3, 0, 8000, 0, UVDEV_TRACE_PUSH_RESULTS);
	fx_vq_push(fx, DEV, Q, 4, 0, 16000, 0, UINT32_MAX);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.pushes = 5,
		.push_bytes = 512,
		.failed = 4,
		.service_sum_ns = 1000,
		.service_hist = { [9] = 1 },
	});
	/* A failed chain is the queue's business: the device is not marked. */
	assert_int_equal(fx_count(fx->skel->maps.devices), 0);
	fx_expect_no_event(fx);
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
	fx_expect_no_event(fx);
}

/* ---- zero copy ---------------------------------------------------------- */

static void zc_map_counts_pages_and_fallbacks(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;

	fx_zc_map(fx, DEV, Q, 5, 100, 16, 0, UVDEV_TRACE_ZC_MAPPED);
	fx_zc_map(fx, DEV, Q, 6, 101, 9, 2, UVDEV_TRACE_ZC_MAPPED);	/* bounced some */
	fx_zc_map(fx, DEV, Q, 7, 0, 0, 32, UVDEV_TRACE_ZC_WINDOW_FULL); /* refused */
	fx_zc_map(fx, DEV, Q, 8, 102, 1, 0, UVDEV_TRACE_ZC_MAPPED);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.zc_maps = 4, .zc_mapped_pages = 26, .zc_copied_pages = 34,
		.zc_fallbacks = 2,
	});
	fx_expect_no_event(fx);
}

static void zc_complete_counts_and_latency(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(slot_probe); i++)
		fx_zc_complete(fx, DEV, Q, 0xfffffffe, 1, 8, i & 1, slot_probe[i]);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.zc_completions = ARRAY_SIZE(slot_probe),
		.zc_complete_sum_ns = SLOT_PROBE_SUM,
		.zc_complete_hist = { [0] = 2, [1] = 1, [9] = 1, [40] = 1, [63] = 1 },
	});
	fx_expect_no_event(fx);
}

static void irq_config_counts_per_device(void **state)
{
	struct fx *fx = *state;
	struct vtop_dev_stats s;

	fx_irq_inject(fx, DEV, UVDEV_TRACE_QUEUE_CONFIG);
	fx_irq_inject(fx, DEV, UVDEV_TRACE_QUEUE_CONFIG);
	fx_irq_deliver(fx, DEV, UVDEV_TRACE_QUEUE_CONFIG, 1000, UVDEV_TRACE_IRQ_HANDLED);
	fx_irq_deliver(fx, DEV, UVDEV_TRACE_QUEUE_CONFIG, UINT64_MAX, UINT32_MAX);
	fx_irq_inject(fx, DEV + 1, UVDEV_TRACE_QUEUE_CONFIG);

	s = fx_dev_stats(fx, DEV);
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){
		.config_irq_injects = 2,
		.config_irq_delivers = 2,
	});
	s = fx_dev_stats(fx, DEV + 1);
	fx_assert_dev_stats(&s, &(struct vtop_dev_stats){ .config_irq_injects = 1 });

	/* The config "queue" is no queue, and counting makes no device. */
	assert_int_equal(fx_queue_entries(fx), 0);
	assert_false(fx_has_dev(fx, DEV));
	fx_expect_no_event(fx);
}

/* ---- histograms --------------------------------------------------------- */

static void hist_slot_edges(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s, want = { 0 };
	int i;

	/*
	 * 2^i - 1 ends slot i - 1 and 2^i starts slot i, for every i, in each
	 * of the three histograms: wait on pop, service on push, IRQ latency
	 * on deliver.
	 */
	for (i = 1; i < 64; i++) {
		uint64_t p = 1ULL << i;

		fx_vq_pop(fx, DEV, Q, 0, 0, p - 1, 0, 1, 0);
		fx_vq_pop(fx, DEV, Q, 0, 0, p, 0, 1, 0);
		fx_vq_push(fx, DEV, Q, 0, 0, p - 1, 0, UVDEV_TRACE_PUSH_OK);
		fx_vq_push(fx, DEV, Q, 0, 0, p, 0, UVDEV_TRACE_PUSH_OK);
		fx_irq_deliver(fx, DEV, Q, p - 1, UVDEV_TRACE_IRQ_HANDLED);
		fx_irq_deliver(fx, DEV, Q, p, UVDEV_TRACE_IRQ_HANDLED);
		want.wait_hist[i - 1]++;
		want.wait_hist[i]++;
		want.service_hist[i - 1]++;
		want.service_hist[i]++;
		want.irq_hist[i - 1]++;
		want.irq_hist[i]++;
		want.wait_sum_ns += 2 * p - 1;
		want.service_sum_ns += 2 * p - 1;
		want.irq_sum_ns += 2 * p - 1;
		want.pops += 2;
		want.pushes += 2;
		want.irq_delivers[UVDEV_TRACE_IRQ_HANDLED] += 2;
	}
	/* The top of the last slot. */
	fx_vq_pop(fx, DEV, Q, 0, 0, UINT64_MAX, 0, 1, 0);
	want.wait_hist[63]++;
	want.wait_sum_ns += UINT64_MAX;
	want.pops++;

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &want);
}

/* ---- per-CPU counters --------------------------------------------------- */

static void counters_sum_over_cpus(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats a, b, s;
	int cpus[2];

	if (fx_online_cpus(cpus, 2) < 2)
		skip();		/* one CPU: nothing to sum */

	/* Each CPU counts in its own copy of the queue's value. */
	fx_on_cpu(fx, cpus[0]);
	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_EVENTFD);
	fx_vq_pop(fx, DEV, Q, 0, 100, 1000, 0, 1, 0);
	fx_on_cpu(fx, cpus[1]);
	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_DEFERRED);
	fx_vq_pop(fx, DEV, Q, 1, 300, 2000, 0, 2, 0);
	fx_vq_push(fx, DEV, Q, 1, 10, 4000, 1, UVDEV_TRACE_PUSH_OK);
	fx_on_cpu(fx, cpus[0]);
	fx_vq_push(fx, DEV, Q, 0, 20, 8000, 0, UVDEV_TRACE_PUSH_FAILED);
	fx_irq_inject(fx, DEV, Q);
	fx_on_cpu(fx, cpus[1]);
	fx_irq_deliver(fx, DEV, Q, 100, UVDEV_TRACE_IRQ_HANDLED);

	a = fx_queue_stats_cpu(fx, DEV, Q, cpus[0]);
	fx_assert_queue_stats(&a, &(struct vtop_queue_stats){
		.kicks = { 1 }, .pops = 1, .pop_bytes = 100, .wait_sum_ns = 1000,
		.wait_hist = { [9] = 1 },
		.pushes = 1, .push_bytes = 20, .failed = 1,
		.irq_injects = 1,
	});
	b = fx_queue_stats_cpu(fx, DEV, Q, cpus[1]);
	fx_assert_queue_stats(&b, &(struct vtop_queue_stats){
		.kicks = { 0, 1 }, .pops = 1, .pop_bytes = 300, .wait_sum_ns = 2000,
		.wait_hist = { [10] = 1 },
		.pushes = 1, .push_bytes = 10, .service_sum_ns = 4000,
		.service_hist = { [11] = 1 },
		.irq_delivers = { 1 }, .irq_sum_ns = 100, .irq_hist = { [6] = 1 },
	});
	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.kicks = { 1, 1 }, .pops = 2, .pop_bytes = 400, .wait_sum_ns = 3000,
		.wait_hist = { [9] = 1, [10] = 1 },
		.pushes = 2, .push_bytes = 30, .failed = 1, .service_sum_ns = 4000,
		.service_hist = { [11] = 1 },
		.irq_injects = 1,
		.irq_delivers = { 1 }, .irq_sum_ns = 100, .irq_hist = { [6] = 1 },
	});
}

/* ---- the ring path ------------------------------------------------------ */

static const char *helper_name(int id)
{
	switch (id) {
	case -1:			return "a kfunc";
	case BPF_FUNC_map_lookup_elem:	return "map_lookup_elem";
	case BPF_FUNC_map_update_elem:	return "map_update_elem";
	case BPF_FUNC_ktime_get_ns:	return "ktime_get_ns";
	case BPF_FUNC_ringbuf_reserve:	return "ringbuf_reserve";
	default:			return "?";
	}
}

/* How many times @prog calls helper @id. */
static size_t calls_of(const struct bpf_program *prog, int id)
{
	int ids[256];
	size_t i, n, k = 0;

	n = fx_prog_helpers(prog, ids, ARRAY_SIZE(ids));
	assert_true(n <= ARRAY_SIZE(ids));
	for (i = 0; i < n; i++)
		k += ids[i] == id;
	return k;
}

static void ring_path_reads_no_clock(void **state)
{
	struct fx *fx = *state;
	const struct bpf_program *ring_path[] = {
		fx->skel->progs.raw_uvdev_kick, fx->skel->progs.btf_uvdev_kick,
		fx->skel->progs.raw_uvdev_vq_pop, fx->skel->progs.btf_uvdev_vq_pop,
		fx->skel->progs.raw_uvdev_vq_push, fx->skel->progs.btf_uvdev_vq_push,
		fx->skel->progs.raw_uvdev_irq_inject, fx->skel->progs.btf_uvdev_irq_inject,
		fx->skel->progs.raw_uvdev_irq_deliver, fx->skel->progs.btf_uvdev_irq_deliver,
		fx->skel->progs.raw_uvdev_zc_map, fx->skel->progs.btf_uvdev_zc_map,
		fx->skel->progs.raw_uvdev_zc_complete, fx->skel->progs.btf_uvdev_zc_complete,
	};
	size_t i, j, n, bad = 0;
	int ids[256];

	/*
	 * Both entry points of every ring event call map lookups and updates
	 * only: no clock (ktime_get_*, jiffies64), no ring buffer, no kfunc.
	 */
	for (i = 0; i < ARRAY_SIZE(ring_path); i++) {
		n = fx_prog_helpers(ring_path[i], ids, ARRAY_SIZE(ids));
		assert_true(n > 0 && n <= ARRAY_SIZE(ids));
		for (j = 0; j < n; j++) {
			if (ids[j] == BPF_FUNC_map_lookup_elem ||
			    ids[j] == BPF_FUNC_map_update_elem)
				continue;
			print_error("%s calls helper %d (%s)\n",
				    bpf_program__name(ring_path[i]), ids[j],
				    helper_name(ids[j]));
			bad++;
		}
	}
	assert_int_equal(bad, 0);

	/* The scan sees a clock where there is one: the rare events stamp. */
	assert_true(calls_of(fx->skel->progs.raw_uvdev_dev_create,
			     BPF_FUNC_ktime_get_ns) > 0);
	assert_true(calls_of(fx->skel->progs.raw_uvdev_dev_broken,
			     BPF_FUNC_ktime_get_ns) > 0);
	assert_true(calls_of(fx->skel->progs.raw_uvdev_msg_send,
			     BPF_FUNC_ktime_get_ns) > 0);
	assert_true(calls_of(fx->skel->progs.raw_uvdev_vq_setup,
			     BPF_FUNC_ktime_get_ns) > 0);
	assert_true(calls_of(fx->skel->progs.raw_uvdev_vq_setup,
			     BPF_FUNC_ringbuf_reserve) > 0);
}

/* ---- a request's life --------------------------------------------------- */

static void request_round_trip(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;
	struct fx_run r;

	r = fx_vq_setup(fx, DEV, Q, 128, 1);
	fx_expect_event(fx, r, VTOP_EV_VQ_SETUP, DEV, Q, 128, 1);
	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_EVENTFD);
	fx_vq_pop(fx, DEV, Q, 17, 4096 + 16, 2000, 0, 1, 0);
	fx_vq_push(fx, DEV, Q, 17, 1, 300000, 0, UVDEV_TRACE_PUSH_OK);
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
	/*
	 * The ring path left nothing else behind: counters that hold only
	 * what the tracepoints carried (checked whole above, no time of its
	 * own), no event, no other map entry.
	 */
	fx_expect_no_event(fx);
	assert_int_equal(fx_queue_entries(fx), 1);
	assert_int_equal(fx_count(fx->skel->maps.dev_stats), 0);
	assert_int_equal(fx_count(fx->skel->maps.devices), 0);
	assert_int_equal(fx_count(fx->skel->maps.msg_inflight), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX_TEST(kick_counts_each_mode),
		FX_TEST(kick_mode_out_of_range_is_spare),
		FX_TEST(kick_keys_by_device_and_queue),
		FX_TEST(pop_counts_bytes_and_wait),
		FX_TEST(pop_resubmitted_counts_no_wait),
		FX_TEST(pop_ignores_head_pending_and_inflight),
		FX_TEST(push_counts_bytes_and_service),
		FX_TEST(push_failed_counts_as_push_and_failed),
		FX_TEST(irq_counts_outcomes_and_latency),
		FX_TEST(irq_config_counts_per_device),
		FX_TEST(zc_map_counts_pages_and_fallbacks),
		FX_TEST(zc_complete_counts_and_latency),
		FX_TEST(hist_slot_edges),
		FX_TEST(counters_sum_over_cpus),
		FX_TEST(ring_path_reads_no_clock),
		FX_TEST(request_round_trip),
	};

	return cmocka_run_group_tests_name("vtop_bpf_queues", tests, NULL, NULL);
}
