// SPDX-License-Identifier: GPL-2.0
/*
 * Interval views from two snapshots: rates, interval percentiles from the
 * histogram deltas, totals, states, filter (tools/vtop/view.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <uapi/uvdev.h>
#include <uapi/uvdev_trace.h>

#include "table.h"
#include "view.h"
#include "vtop_fixture.h"

static const struct vtop_state_opts opts = { .stall_ms = 1000, .irq_ms = 1000 };

/* blk0 (dev 1) with queue 0, sampled at 1 s and 3 s. */
static void two_samples(struct fixture *older, struct fixture *newer)
{
	struct vtop_queue_snap *o, *n;
	struct vtop_dev_snap *od, *nd;

	fixture_init(older, 1 * SEC, 1700000000000);
	fixture_init(newer, 3 * SEC, 1700000002000);
	od = fixture_dev(older, 1, "blk0", STATUS_RUNNING);
	nd = fixture_dev(newer, 1, "blk0", STATUS_RUNNING);
	o = fixture_queue(older, 1, 0);
	n = fixture_queue(newer, 1, 0);

	o->stats.kicks[UVDEV_TRACE_KICK_EVENTFD] = 10;
	n->stats.kicks[UVDEV_TRACE_KICK_EVENTFD] = 26;
	n->stats.kicks[UVDEV_TRACE_KICK_DEFERRED] = 4;	/* 20 kicks in 2 s */
	o->stats.pops = 100;
	n->stats.pops = 300;
	o->stats.pushes = 90;
	n->stats.pushes = 290;
	n->stats.pop_bytes = 409600;
	n->stats.push_bytes = 2048;
	o->stats.irq_injects = 50;
	n->stats.irq_injects = 250;
	n->stats.irq_delivers[UVDEV_TRACE_IRQ_HANDLED] = 150;
	n->stats.irq_delivers[UVDEV_TRACE_IRQ_SPURIOUS] = 50;

	/* Old samples in slot 5 must not move the interval's percentiles. */
	o->stats.wait_hist[5] = 1000;
	n->stats.wait_hist[5] = 1000;
	/* The interval: 98 in [1024, 2047] ns and 2 in [2^20, 2^21) ns. */
	n->stats.wait_hist[10] = 98;
	n->stats.wait_hist[20] = 2;
	o->stats.wait_sum_ns = 5000;
	n->stats.wait_sum_ns = 5000 + 100 * 3000;

	n->stats.service_hist[12] = 200;		/* [4096, 8191] */
	n->stats.service_sum_ns = 200 * 5000;
	n->stats.irq_hist[0] = 200;			/* 0 and 1 ns */

	n->k.inflight = 3;
	n->k.inflight_since_ns = 3 * SEC - 250 * MS;

	od->stats.msgs[UVDEV_MSG_SET_STATUS][UVDEV_TRACE_MSG_OK] = 5;
	nd->stats.msgs[UVDEV_MSG_SET_STATUS][UVDEV_TRACE_MSG_OK] = 15;
	nd->stats.msgs[UVDEV_MSG_RESET][UVDEV_TRACE_MSG_TIMEOUT] = 1;
	nd->stats.msg_hist[UVDEV_MSG_SET_STATUS][14] = 10;	/* [16384, 32767] */
	nd->stats.msg_hist[UVDEV_MSG_RESET][30] = 1;
	od->stats.msg_hist[UVDEV_MSG_SET_STATUS][14] = 0;

	older->snap.cost.state = VTOP_COST_WAITING;
	newer->snap.cost.state = VTOP_COST_MEASURED;
	newer->snap.cost.run_ns = 4000;
	newer->snap.cost.runs = 40;
}

static void rates_over_the_interval(void **state)
{
	struct fixture older, newer;
	const struct vtop_queue_row *q;
	struct vtop_view v;

	(void)state;
	two_samples(&older, &newer);
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	assert_int_equal(v.interval_ns, 2 * SEC);
	assert_int_equal(v.ndevs, 1);
	assert_int_equal(v.nqueues, 1);
	q = &v.queues[0];
	assert_int_equal(q->kicks_all, 20);
	assert_int_equal(q->kicks[UVDEV_TRACE_KICK_EVENTFD], 16);
	assert_int_equal(q->kicks[UVDEV_TRACE_KICK_DEFERRED], 4);
	assert_true(q->kicks_ps == 10.0);
	assert_true(q->pops_ps == 100.0);
	assert_true(q->pushes_ps == 100.0);
	assert_true(q->irqs_ps == 100.0);
	assert_true(q->irqs_delivered_ps == 100.0);
	assert_true(q->pop_bytes_ps == 204800.0);
	assert_true(q->push_bytes_ps == 1024.0);
	assert_int_equal(q->cur.k.inflight, 3);
	assert_true(q->oldest_ms == 250.0);
	assert_true(v.kicks_ps == 10.0);
	assert_true(v.irqs_ps == 100.0);
	/* The newer snapshot's cost: 4000 ns over 40 runs. */
	assert_int_equal(v.cost.state, VTOP_COST_MEASURED);
	assert_true(vtop_cost_ns_per_event(&v.cost) == 100.0);
	vtop_view_free(&v);
}

static void percentiles_from_the_delta(void **state)
{
	struct fixture older, newer;
	const struct vtop_queue_row *q;
	struct vtop_view v;

	(void)state;
	two_samples(&older, &newer);
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	q = &v.queues[0];
	assert_int_equal(q->wait.count, 100);
	assert_int_equal(q->wait_hist[5], 0);
	/* p50: rank 50 of 98 in [1024, 2047]: 1024 + 50/98 * 1023. */
	assert_int_equal(q->wait.p50_ns, 1545);
	/* p99: rank 99, the first of 2 in [2^20, 2^21 - 1]: half way. */
	assert_int_equal(q->wait.p99_ns, 1048576 + 524287);
	assert_int_equal(q->wait.avg_ns, 3000);
	assert_int_equal(q->service.count, 200);
	assert_int_equal(q->service.p50_ns, 4096 + 4095 / 2);
	assert_int_equal(q->service.p99_ns, 4096 + (uint64_t)(0.99 * 4095));
	assert_int_equal(q->service.avg_ns, 5000);
	assert_int_equal(q->irq.count, 200);
	assert_int_equal(q->irq.p99_ns, 0);
	vtop_view_free(&v);
}

static void zero_copy_share_and_latency(void **state)
{
	struct fixture older, newer;
	struct vtop_queue_snap *o, *n;
	const struct vtop_queue_row *q;
	struct vtop_view v;

	(void)state;
	two_samples(&older, &newer);
	o = &older.snap.queues[0];
	n = &newer.snap.queues[0];
	/* Before the interval: 100 pages all mapped; in it 60 mapped, 20 copied. */
	o->stats.zc_maps = 10;
	o->stats.zc_mapped_pages = 100;
	n->stats.zc_maps = 25;
	n->stats.zc_mapped_pages = 160;
	n->stats.zc_copied_pages = 20;
	o->stats.zc_fallbacks = 1;
	n->stats.zc_fallbacks = 4;
	o->stats.zc_complete_hist[3] = 7;
	n->stats.zc_complete_hist[3] = 7;
	n->stats.zc_complete_hist[16] = 10;	/* [65536, 131071] */
	n->stats.zc_complete_sum_ns = 10 * 70000;
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	q = &v.queues[0];
	assert_int_equal(q->zc_maps, 15);
	assert_int_equal(q->zc_mapped_pages, 60);
	assert_int_equal(q->zc_copied_pages, 20);
	assert_int_equal(q->zc_fallbacks, 3);
	assert_true(q->zc_pct == 75.0);
	assert_int_equal(q->zc_complete.count, 10);
	assert_int_equal(q->zc_complete.p50_ns, 65536 + 65535 / 2);
	assert_int_equal(q->zc_complete.avg_ns, 70000);
	vtop_view_free(&v);

	/* No zero-copy traffic: no share (not 0 %). */
	assert_true(vtop_zc_pct(0, 0) < 0);
	assert_true(vtop_zc_pct(0, 5) == 0.0);
	assert_true(vtop_zc_pct(3, 1) == 75.0);
}

static void device_messages(void **state)
{
	struct fixture older, newer;
	const struct vtop_dev_row *d;
	struct vtop_view v;

	(void)state;
	two_samples(&older, &newer);
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	d = &v.devs[0];
	assert_string_equal(d->name, "blk0");
	assert_true(d->known);
	assert_int_equal(d->msgs, 11);
	assert_true(d->msgs_ps == 5.5);
	assert_int_equal(d->timeouts, 1);
	assert_int_equal(d->timeouts_total, 1);
	assert_int_equal(d->msgs_total, 16);
	assert_int_equal(d->msgs_by[UVDEV_MSG_SET_STATUS][UVDEV_TRACE_MSG_OK], 10);
	assert_int_equal(d->msg.count, 11);
	/* 10 of 11 in slot 14; p99 (rank 10.89) is in slot 30. */
	assert_in_range(d->msg.p50_ns, 16384, 32767);
	assert_in_range(d->msg.p99_ns, 1ULL << 30, (1ULL << 31) - 1);
	assert_true(d->oldest_msg_ms < 0);
	vtop_view_free(&v);
}

static void new_device_counts_from_zero(void **state)
{
	struct fixture older, newer;
	struct vtop_queue_snap *q;
	const struct vtop_queue_row *row;
	struct vtop_view v;

	(void)state;
	two_samples(&older, &newer);
	fixture_dev(&newer, 2, "rng0", STATUS_RUNNING);
	q = fixture_queue(&newer, 2, 0);
	q->stats.pops = 40;
	q->stats.wait_hist[3] = 40;
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	row = vtop_view_queue(&v, 2, 0);
	assert_non_null(row);
	assert_int_equal(row->pops, 40);
	assert_true(row->pops_ps == 20.0);
	assert_int_equal(row->wait.count, 40);
	assert_in_range(row->wait.p50_ns, 8, 15);
	vtop_view_free(&v);
}

static void restarted_counters_count_from_zero(void **state)
{
	struct fixture older, newer;
	struct vtop_view v;

	(void)state;
	two_samples(&older, &newer);
	/* The entry went away and came back: its counters are below the old ones. */
	older.queues[0].stats.pops = 10000;
	newer.queues[0].stats.pops = 30;
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	assert_int_equal(v.queues[0].pops, 30);
	/* Every counter from zero, not only the one that went back. */
	assert_int_equal(v.queues[0].kicks_all, 30);
	assert_int_equal(v.queues[0].wait.count, 1100);
	vtop_view_free(&v);
}

static void without_older_rates_are_zero(void **state)
{
	struct fixture older, newer;
	struct vtop_view v;

	(void)state;
	two_samples(&older, &newer);
	assert_int_equal(vtop_view_build(&v, NULL, &newer.snap, &opts), 0);
	assert_int_equal(v.interval_ns, 0);
	assert_true(v.queues[0].kicks_ps == 0);
	assert_int_equal(v.queues[0].pops, 300);
	assert_int_equal(v.cost.runs, 40);
	assert_int_equal(v.queues[0].state, VTOP_STATE_OK);
	vtop_view_free(&v);
}

static void cost_of_the_newer(void **state)
{
	struct fixture older, newer;
	struct vtop_view v;

	(void)state;
	two_samples(&older, &newer);
	older.snap.cost.run_ns = 1;
	newer.snap.cost.elsewhere = true;
	newer.snap.cost.at_ns = 3 * SEC;
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	/* The last measurement as the collector made it: not a delta. */
	assert_memory_equal(&v.cost, &newer.snap.cost, sizeof(v.cost));
	vtop_view_free(&v);
}

static void queue_of_unknown_device(void **state)
{
	struct fixture newer;
	const struct vtop_dev_row *d;
	struct vtop_view v;

	(void)state;
	fixture_init(&newer, 5 * SEC, 0);
	fixture_dev(&newer, 1, "blk0", STATUS_RUNNING);
	fixture_queue(&newer, 1, 0);
	fixture_queue(&newer, 7, 0);
	fixture_queue(&newer, 7, 1)->k.flags &= ~UVDEV_QUEUE_READY;
	assert_int_equal(vtop_view_build(&v, NULL, &newer.snap, &opts), 0);
	assert_int_equal(v.ndevs, 2);
	d = vtop_view_dev(&v, 7);
	assert_non_null(d);
	assert_false(d->known);
	assert_string_equal(d->name, "dev7");
	assert_int_equal(d->nqueues, 2);
	assert_int_equal(v.queues[d->first_queue].state, VTOP_STATE_IDLE);
	assert_int_equal(v.queues[d->first_queue + 1].state, VTOP_STATE_NOT_READY);
	assert_int_equal(d->state, VTOP_STATE_NOT_READY);
	vtop_view_free(&v);
}

static void unsorted_snapshot(void **state)
{
	struct fixture newer;
	struct vtop_view v;

	(void)state;
	fixture_init(&newer, 5 * SEC, 0);
	fixture_queue(&newer, 3, 1);
	fixture_queue(&newer, 1, 0);
	fixture_queue(&newer, 3, 0);
	fixture_dev(&newer, 3, "net0", STATUS_RUNNING);
	fixture_dev(&newer, 1, "blk0", STATUS_RUNNING);
	assert_int_equal(vtop_view_build(&v, NULL, &newer.snap, &opts), 0);
	assert_int_equal(v.ndevs, 2);
	assert_string_equal(v.devs[0].name, "blk0");
	assert_string_equal(v.devs[1].name, "net0");
	assert_int_equal(v.devs[1].nqueues, 2);
	assert_int_equal(v.queues[v.devs[1].first_queue].cur.queue, 0);
	assert_int_equal(v.queues[v.devs[1].first_queue + 1].cur.queue, 1);
	vtop_view_free(&v);
}

static void device_state_is_worst_of_queues(void **state)
{
	struct fixture older, newer;
	struct vtop_queue_snap *q;
	struct vtop_view v;

	(void)state;
	two_samples(&older, &newer);
	fixture_queue(&older, 1, 1);
	q = fixture_queue(&newer, 1, 1);
	q->k.pending = 1;
	q->k.pending_since_ns = 1 * SEC;	/* 2 s ago */
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	assert_int_equal(v.queues[0].state, VTOP_STATE_OK);
	assert_int_equal(v.queues[1].state, VTOP_STATE_STALLED);
	assert_int_equal(v.devs[0].own_state, VTOP_STATE_OK);
	assert_int_equal(v.devs[0].state, VTOP_STATE_STALLED);
	vtop_view_free(&v);

	/* All quiet: the device and its queues are idle. */
	fixture_init(&older, 1 * SEC, 0);
	fixture_init(&newer, 2 * SEC, 0);
	fixture_dev(&older, 1, "blk0", STATUS_RUNNING);
	fixture_dev(&newer, 1, "blk0", STATUS_RUNNING);
	fixture_queue(&older, 1, 0)->stats.pops = 5;
	fixture_queue(&newer, 1, 0)->stats.pops = 5;
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	assert_int_equal(v.queues[0].state, VTOP_STATE_IDLE);
	assert_int_equal(v.devs[0].state, VTOP_STATE_IDLE);
	vtop_view_free(&v);
}

/* blk0 at 1 s and 3 s with notification counters in both samples. */
static void notif_samples(struct fixture *older, struct fixture *newer)
{
	struct vtop_notif_stats *o, *n;

	two_samples(older, newer);
	o = &older->devs[0].stats.notif;
	n = &newer->devs[0].stats.notif;
	o->posts = 100;
	n->posts = 300;				/* 100 posts/s */
	o->deliveries = 90;
	n->deliveries = 190;
	n->merged = 100;
	n->wakeups = 40;
	o->waits[UVDEV_TRACE_WAIT_WOKEN] = 5;
	n->waits[UVDEV_TRACE_WAIT_WOKEN] = 45;
	n->waits[UVDEV_TRACE_WAIT_TIMEOUT] = 2;
	n->bottom_halves = 3;
	/* Old deliveries in slot 4 stay out of the interval's percentiles. */
	o->deliver_hist[4] = 90;
	n->deliver_hist[4] = 90;
	n->deliver_hist[13] = 99;		/* [8192, 16383] */
	n->deliver_hist[22] = 1;		/* [4 ms, 8 ms) */
	o->deliver_sum_ns = 1000;
	n->deliver_sum_ns = 1000 + 100 * 20000;
	n->wait_hist[25] = 42;
	n->wait_sum_ns = 42 * (1ULL << 25);
	newer->devs[0].notif = (struct vtop_knotif){
		.known = true, .notif_max = 64, .waiters = 3, .remembered_now = 2,
		.oldest_wait_ns = 3 * SEC - 400 * MS,
	};
}

static void device_notifications(void **state)
{
	struct fixture older, newer;
	const struct vtop_dev_row *d;
	struct vtop_view v;

	(void)state;
	notif_samples(&older, &newer);
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	d = &v.devs[0];
	assert_true(vtop_dev_has_notif(d));
	assert_int_equal(d->notif_posts, 200);
	assert_int_equal(d->notif_deliveries, 100);
	assert_int_equal(d->notif_merged, 100);
	assert_int_equal(d->notif_wakeups, 40);
	assert_int_equal(d->notif_wait_ends, 42);
	assert_int_equal(d->notif_bottom_halves, 3);
	assert_true(d->notif_posts_ps == 100.0);
	assert_true(d->notif_deliveries_ps == 50.0);
	assert_true(v.notif_posts_ps == 100.0);
	assert_int_equal(d->notif_deliver.count, 100);
	assert_in_range(d->notif_deliver.p50_ns, 8192, 16383);
	assert_in_range(d->notif_deliver.p99_ns, 8192, 16383);
	assert_int_equal(d->notif_deliver.avg_ns, 20000);
	assert_int_equal(d->notif_wait.count, 42);
	assert_in_range(d->notif_wait.p99_ns, 1ULL << 25, (1ULL << 26) - 1);
	/* Waiters and the longest wait: the kernel's, at the newer sample. */
	assert_int_equal(d->cur.notif.waiters, 3);
	assert_true(d->longest_wait_ms > 399.999 && d->longest_wait_ms < 400.001);
	assert_int_equal(d->own_state, VTOP_STATE_OK);
	vtop_view_free(&v);

	/* Past stall_ms: notif-stalled, for the device and its fold. */
	notif_samples(&older, &newer);
	newer.devs[0].notif.oldest_wait_ns = 1 * SEC;
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	assert_true(v.devs[0].longest_wait_ms > 1999.999);
	assert_int_equal(v.devs[0].own_state, VTOP_STATE_NOTIF_STALLED);
	assert_int_equal(v.devs[0].state, VTOP_STATE_NOTIF_STALLED);
	assert_int_equal(v.queues[0].state, VTOP_STATE_OK);
	assert_true(vtop_view_states_seen(&v) & VTOP_STATE_BIT(VTOP_STATE_NOTIF_STALLED));
	vtop_view_free(&v);

	/* The wait ended: it clears at the next sample. */
	newer.devs[0].notif.waiters = 0;
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	assert_true(v.devs[0].longest_wait_ms < 0);
	assert_int_equal(v.devs[0].own_state, VTOP_STATE_OK);
	vtop_view_free(&v);
}

/* A device that went back (destroyed, its id reused) counts from zero. */
static void restarted_notifications_count_from_zero(void **state)
{
	struct fixture older, newer;
	const struct vtop_dev_row *d;
	struct vtop_view v;

	(void)state;
	notif_samples(&older, &newer);
	older.devs[0].stats.notif.posts = 100000;
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	d = &v.devs[0];
	assert_int_equal(d->notif_posts, 300);
	assert_int_equal(d->notif_deliveries, 190);
	assert_int_equal(d->notif_deliver.count, 190);
	/* Messages too: the whole entry started over. */
	assert_int_equal(d->msgs, d->msgs_total);
	vtop_view_free(&v);
}

/* Only notification activity: the device is ok, not idle. */
static void notifications_alone_are_not_idle(void **state)
{
	struct fixture older, newer;
	struct vtop_view v;

	(void)state;
	fixture_init(&older, 1 * SEC, 0);
	fixture_init(&newer, 2 * SEC, 0);
	fixture_dev(&older, 1, "tee0", STATUS_RUNNING);
	fixture_dev(&newer, 1, "tee0", STATUS_RUNNING)->stats.notif.posts = 1;
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	assert_int_equal(v.devs[0].state, VTOP_STATE_OK);
	vtop_view_free(&v);
	newer.devs[0].stats.notif.posts = 0;
	newer.devs[0].notif.waiters = 1;
	newer.devs[0].notif.oldest_wait_ns = 2 * SEC - 10 * MS;
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	assert_int_equal(v.devs[0].state, VTOP_STATE_OK);
	vtop_view_free(&v);
	newer.devs[0].notif.waiters = 0;
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	assert_int_equal(v.devs[0].state, VTOP_STATE_IDLE);
	assert_false(vtop_dev_has_notif(&v.devs[0]));
	vtop_view_free(&v);
}

/* The table's device row: notifications only for a device that has them. */
static void table_device_row(void **state)
{
	struct fixture older, newer;
	struct vtop_table t;
	struct vtop_view v;
	char line[512];
	int marker;

	(void)state;
	notif_samples(&older, &newer);
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	/* Plain text: every column, room for the long forms' short twins. */
	vtop_table_full(&t, &v);
	marker = vtop_table_device(&t, &v.devs[0], line, sizeof(line));
	assert_non_null(strstr(line, "ntf/s 100 p50/99 "));
	assert_non_null(strstr(line, "wait 3/400ms"));
	assert_string_equal(line + marker, " ok");
	/* The state column lines up with the header's. */
	assert_int_equal(vtop_table_header(&t, line, sizeof(line)), marker);
	/* A narrow screen: the short forms, cut at the span; the state stays. */
	vtop_table_fit(&t, &v, 80);
	marker = vtop_table_device(&t, &v.devs[0], line, sizeof(line));
	assert_non_null(strstr(line, "msg/s 5.5 p99 "));
	assert_string_equal(line + marker, " ok");
	assert_int_equal(vtop_table_header(&t, line, sizeof(line)), marker);
	vtop_view_free(&v);

	/* No key, no post: no notification part. */
	two_samples(&older, &newer);
	assert_int_equal(vtop_view_build(&v, &older.snap, &newer.snap, &opts), 0);
	vtop_table_fit(&t, &v, 300);
	vtop_table_device(&t, &v.devs[0], line, sizeof(line));
	assert_null(strstr(line, "notif"));
	assert_non_null(strstr(line, "msg/s 5.5  msg p99 "));
	vtop_view_free(&v);
}

/* notif-stalled fits the state column. */
static void table_state_fits(void **state)
{
	struct fixture newer;
	struct vtop_table t;
	struct vtop_view v;
	char line[512], header[512];
	int marker;

	(void)state;
	fixture_init(&newer, 10 * SEC, 0);
	fixture_dev(&newer, 1, "tee0", STATUS_RUNNING)->notif =
		(struct vtop_knotif){ .known = true, .waiters = 1, .oldest_wait_ns = 1 * SEC };
	assert_int_equal(vtop_view_build(&v, NULL, &newer.snap, &opts), 0);
	vtop_table_fit(&t, &v, 80);
	marker = vtop_table_device(&t, &v.devs[0], line, sizeof(line));
	assert_string_equal(line + marker, "!notif-stalled");
	assert_int_equal(vtop_table_header(&t, header, sizeof(header)), marker);
	assert_true(strlen(line) <= 80);
	vtop_view_free(&v);
}

static void filter_by_glob(void **state)
{
	struct fixture newer;
	struct vtop_view v;

	(void)state;
	fixture_init(&newer, 5 * SEC, 0);
	fixture_dev(&newer, 1, "blk0", STATUS_RUNNING);
	fixture_dev(&newer, 2, "rng0", STATUS_RUNNING | VTOP_STATUS_NEEDS_RESET);
	fixture_queue(&newer, 1, 0);
	fixture_queue(&newer, 1, 1);
	fixture_queue(&newer, 2, 0);
	assert_int_equal(vtop_view_build(&v, NULL, &newer.snap, &opts), 0);
	assert_true(vtop_view_states_seen(&v) & VTOP_STATE_BIT(VTOP_STATE_NEEDS_RESET));

	vtop_view_filter(&v, "blk*");
	assert_true(v.devs[0].visible);
	assert_true(v.queues[0].visible && v.queues[1].visible);
	assert_false(v.devs[1].visible);
	assert_false(v.queues[2].visible);
	assert_false(vtop_view_states_seen(&v) & VTOP_STATE_BIT(VTOP_STATE_NEEDS_RESET));

	vtop_view_filter(&v, "blk0/1");
	assert_true(v.devs[0].visible);
	assert_false(v.queues[0].visible);
	assert_true(v.queues[1].visible);
	assert_false(v.devs[1].visible);

	vtop_view_filter(&v, "*/0");
	assert_true(v.queues[0].visible && v.queues[2].visible);
	assert_false(v.queues[1].visible);
	assert_true(v.devs[1].visible);

	vtop_view_filter(&v, "nothing");
	assert_int_equal(vtop_view_states_seen(&v), 0);

	vtop_view_filter(&v, NULL);
	assert_true(v.devs[1].visible && v.queues[1].visible);
	vtop_view_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rates_over_the_interval),
		cmocka_unit_test(percentiles_from_the_delta),
		cmocka_unit_test(zero_copy_share_and_latency),
		cmocka_unit_test(device_messages),
		cmocka_unit_test(new_device_counts_from_zero),
		cmocka_unit_test(restarted_counters_count_from_zero),
		cmocka_unit_test(without_older_rates_are_zero),
		cmocka_unit_test(cost_of_the_newer),
		cmocka_unit_test(queue_of_unknown_device),
		cmocka_unit_test(unsorted_snapshot),
		cmocka_unit_test(device_state_is_worst_of_queues),
		cmocka_unit_test(filter_by_glob),
		cmocka_unit_test(device_notifications),
		cmocka_unit_test(restarted_notifications_count_from_zero),
		cmocka_unit_test(notifications_alone_are_not_idle),
		cmocka_unit_test(table_device_row),
		cmocka_unit_test(table_state_fits),
	};

	return cmocka_run_group_tests_name("vtop_view", tests, NULL, NULL);
}
