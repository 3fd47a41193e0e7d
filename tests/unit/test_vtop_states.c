// SPDX-License-Identifier: GPL-2.0
/*
 * Failure-state rules and their priority (tools/vtop/states.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "states.h"

#define MS	1000000ULL
#define NOW	(100 * 1000 * MS)	/* 100 s */

static const struct vtop_state_opts opts = { .stall_ms = 1000, .irq_ms = 500 };
static const struct vtop_queue_activity busy = { .kicks = 1, .pops = 1, .pushes = 1 };
static const struct vtop_queue_activity quiet;

static struct vtop_dev running_dev(void)
{
	struct vtop_dev d;

	memset(&d, 0, sizeof(d));
	strcpy(d.name, "blk0");
	d.status = 0x0f;	/* ... | DRIVER_OK */
	return d;
}

static struct vtop_queue_snap ready_queue(void)
{
	struct vtop_queue_snap q;

	memset(&q, 0, sizeof(q));
	q.k.known = true;
	q.k.flags = UVDEV_QUEUE_READY | UVDEV_QUEUE_BACKEND;
	q.k.size = 256;
	return q;
}

static void busy_queue_is_ok(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();

	(void)state;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_OK);
}

static void each_activity_alone_is_not_idle(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();
	struct vtop_queue_activity a;

	(void)state;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_IDLE);
	a = (struct vtop_queue_activity){ .kicks = 1 };
	assert_int_equal(vtop_queue_state(&d, &q, &a, NOW, &opts), VTOP_STATE_OK);
	a = (struct vtop_queue_activity){ .pops = 1 };
	assert_int_equal(vtop_queue_state(&d, &q, &a, NOW, &opts), VTOP_STATE_OK);
	a = (struct vtop_queue_activity){ .pushes = 1 };
	assert_int_equal(vtop_queue_state(&d, &q, &a, NOW, &opts), VTOP_STATE_OK);
	/* Nothing happened, but a chain is in flight: not idle. */
	q.k.inflight = 1;
	q.k.inflight_since_ns = NOW - MS;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_OK);
	/* Nothing happened, but a request waits for the backend: not idle. */
	q.k.inflight = 0;
	q.k.inflight_since_ns = 0;
	q.k.pending = 1;
	q.k.pending_since_ns = NOW - MS;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_OK);
}

static void not_ready_rules(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();

	(void)state;
	q.k.flags &= ~UVDEV_QUEUE_READY;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_NOT_READY);
	q.k.flags |= UVDEV_QUEUE_READY;
	d.status = 0x0b;	/* FEATURES_OK but no DRIVER_OK */
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_NOT_READY);
	/* An unknown device: only the queue's own readiness counts. */
	assert_int_equal(vtop_queue_state(NULL, &q, &busy, NOW, &opts), VTOP_STATE_OK);
	q.k.flags &= ~UVDEV_QUEUE_READY;
	assert_int_equal(vtop_queue_state(NULL, &q, &busy, NOW, &opts), VTOP_STATE_NOT_READY);
}

/* A request waits for a pop longer than stall_ms (a stopped backend). */
static void stalled_on_pending_work(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();

	(void)state;
	q.k.pending = 3;
	q.k.pending_since_ns = NOW - 1000 * MS;	/* exactly stall_ms: not yet */
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_OK);
	q.k.pending_since_ns = NOW - 1000 * MS - 1;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_STALLED);
	/* Also when nothing happened in the interval: that is the point. */
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_STALLED);
	/* Kicked after the snapshot's clock was read: not stalled. */
	q.k.pending_since_ns = NOW + MS;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_OK);
	/* Made available without a kick: the driver has not asked yet. */
	q.k.pending_since_ns = 0;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_OK);
	/* An old kick time with nothing pending any more (a late kick). */
	q.k.pending = 0;
	q.k.pending_since_ns = NOW - 3600 * 1000 * MS;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_IDLE);
}

/* A backend that popped everything and hangs. */
static void stalled_on_chains_in_flight(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();

	(void)state;
	q.k.inflight = 64;
	q.k.inflight_since_ns = NOW - 1000 * MS;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_OK);
	q.k.inflight_since_ns = NOW - 1000 * MS - 1;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_STALLED);
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_STALLED);
}

/* Buffers posted for data the device starts are not work waiting. */
static void receive_queues_never_stall(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();

	(void)state;
	q.k.flags |= UVDEV_QUEUE_RECEIVE;
	q.k.pending = 256;
	q.k.pending_since_ns = NOW - 3600 * 1000 * MS;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_IDLE);
	q.k.inflight = 2;
	q.k.inflight_since_ns = NOW - 3600 * 1000 * MS;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_OK);
	/* An interrupt it lost is lost all the same. */
	q.k.irq_since_ns = NOW - 501 * MS;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_IRQ_LOST);
}

static void irq_lost_after_irq_ms(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();

	(void)state;
	q.k.irq_since_ns = NOW - 500 * MS;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_OK);
	q.k.irq_since_ns = NOW - 500 * MS - 1;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_IRQ_LOST);
	q.k.irq_since_ns = 0;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_OK);
}

static void needs_reset_and_failed(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();

	(void)state;
	d.status = 0x0f | VTOP_STATUS_NEEDS_RESET;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_NEEDS_RESET);
	d.status = VTOP_STATUS_FAILED;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_NEEDS_RESET);
}

static void broken_device(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();

	(void)state;
	d.broken = 1;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_BROKEN);
	/* The kernel's word alone is enough. */
	d.broken = 0;
	q.k.flags |= UVDEV_QUEUE_BROKEN;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_BROKEN);
	assert_int_equal(vtop_queue_state(NULL, &q, &busy, NOW, &opts), VTOP_STATE_BROKEN);
}

/* Every rule holds; peel them off from the top and watch the next one win. */
static void priority_order(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();

	(void)state;
	d.broken = 1;
	d.status = VTOP_STATUS_NEEDS_RESET;	/* and no DRIVER_OK */
	q.k.pending = 1;
	q.k.pending_since_ns = NOW - 2000 * MS;
	q.k.irq_since_ns = NOW - 2000 * MS;
	q.k.flags &= ~UVDEV_QUEUE_READY;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_BROKEN);
	d.broken = 0;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_NEEDS_RESET);
	d.status = 0x0b;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_STALLED);
	q.k.pending = 0;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_IRQ_LOST);
	q.k.irq_since_ns = 0;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_NOT_READY);
	d.status = 0x0f;
	q.k.flags |= UVDEV_QUEUE_READY;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_IDLE);
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_OK);
}

static void device_own_state(void **state)
{
	struct vtop_dev_snap d;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.info.status = 0x0f;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_IDLE);
	assert_int_equal(vtop_device_own_state(&d, 3, NOW, &opts), VTOP_STATE_OK);
	/* A message in flight: not idle; stuck past stall_ms: stalled. */
	d.msgs_inflight = 1;
	d.oldest_msg_ns = NOW - 1000 * MS;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_OK);
	d.oldest_msg_ns = NOW - 1000 * MS - 1;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_STALLED);
	d.msgs_inflight = 0;
	d.info.status = 0x03;
	assert_int_equal(vtop_device_own_state(&d, 5, NOW, &opts), VTOP_STATE_NOT_READY);
	d.info.status = 0x0f | VTOP_STATUS_NEEDS_RESET;
	assert_int_equal(vtop_device_own_state(&d, 5, NOW, &opts), VTOP_STATE_NEEDS_RESET);
	d.info.status = VTOP_STATUS_FAILED;
	assert_int_equal(vtop_device_own_state(&d, 5, NOW, &opts), VTOP_STATE_NEEDS_RESET);
	d.info.broken = 1;
	assert_int_equal(vtop_device_own_state(&d, 5, NOW, &opts), VTOP_STATE_BROKEN);
}

/* A task waiting for a notification key longer than stall_ms. */
static void notif_stalled_on_a_long_wait(void **state)
{
	struct vtop_dev_snap d;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.info.status = 0x0f;
	d.notif.known = true;
	d.notif.notif_max = 8;
	/* A waiter is not idle, however quiet the interval. */
	d.notif.waiters = 1;
	d.notif.oldest_wait_ns = NOW - 1000 * MS;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_OK);
	d.notif.oldest_wait_ns = NOW - 1000 * MS - 1;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_NOTIF_STALLED);
	assert_int_equal(vtop_device_own_state(&d, 9, NOW, &opts), VTOP_STATE_NOTIF_STALLED);
	/* The kernel's count decides: no waiter, no stall, whatever the time. */
	d.notif.waiters = 0;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_IDLE);
	/* A start time in the future (clock read order) is not a stall. */
	d.notif.waiters = 3;
	d.notif.oldest_wait_ns = NOW + 1;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_OK);
	d.notif.oldest_wait_ns = 0;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_OK);
	/* Notification events alone make a quiet device ok. */
	d.notif.waiters = 0;
	assert_int_equal(vtop_device_own_state(&d, 1, NOW, &opts), VTOP_STATE_OK);
}

/* Every device rule holds; peel them off and watch the next one win. */
static void device_priority_order(void **state)
{
	struct vtop_dev_snap d;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.info.broken = 1;
	d.info.status = VTOP_STATUS_NEEDS_RESET;	/* and no DRIVER_OK */
	d.msgs_inflight = 1;
	d.oldest_msg_ns = NOW - 2000 * MS;
	d.notif.waiters = 1;
	d.notif.oldest_wait_ns = NOW - 2000 * MS;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_BROKEN);
	d.info.broken = 0;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_NEEDS_RESET);
	d.info.status = 0x0b;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_STALLED);
	d.msgs_inflight = 0;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_NOTIF_STALLED);
	d.notif.waiters = 0;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_NOT_READY);
	d.info.status = 0x0f;
	assert_int_equal(vtop_device_own_state(&d, 0, NOW, &opts), VTOP_STATE_IDLE);
	/* Between irq-lost and stalled when folded with the queues' states. */
	assert_int_equal(vtop_state_worse(VTOP_STATE_NOTIF_STALLED, VTOP_STATE_IRQ_LOST),
			 VTOP_STATE_NOTIF_STALLED);
	assert_int_equal(vtop_state_worse(VTOP_STATE_NOTIF_STALLED, VTOP_STATE_STALLED),
			 VTOP_STATE_STALLED);
	assert_int_equal(vtop_state_worse(VTOP_STATE_OK, VTOP_STATE_NOTIF_STALLED),
			 VTOP_STATE_NOTIF_STALLED);
}

static void worse_folds_device_and_queues(void **state)
{
	enum vtop_state a, b;

	(void)state;
	/* ok beats idle: one busy queue makes the device ok. */
	assert_int_equal(vtop_state_worse(VTOP_STATE_OK, VTOP_STATE_IDLE), VTOP_STATE_OK);
	assert_int_equal(vtop_state_worse(VTOP_STATE_IDLE, VTOP_STATE_OK), VTOP_STATE_OK);
	assert_int_equal(vtop_state_worse(VTOP_STATE_IDLE, VTOP_STATE_IDLE), VTOP_STATE_IDLE);
	assert_int_equal(vtop_state_worse(VTOP_STATE_IDLE, VTOP_STATE_NOT_READY),
			 VTOP_STATE_NOT_READY);
	assert_int_equal(vtop_state_worse(VTOP_STATE_OK, VTOP_STATE_STALLED), VTOP_STATE_STALLED);
	assert_int_equal(vtop_state_worse(VTOP_STATE_BROKEN, VTOP_STATE_STALLED),
			 VTOP_STATE_BROKEN);
	/* Above idle, by priority, and symmetric. */
	for (a = VTOP_STATE_NOT_READY; a < VTOP_STATE_COUNT; a++)
		for (b = VTOP_STATE_OK; b < VTOP_STATE_COUNT; b++) {
			assert_int_equal(vtop_state_worse(a, b), a > b ? a : b);
			assert_int_equal(vtop_state_worse(b, a), a > b ? a : b);
		}
}

static void names_round_trip(void **state)
{
	static const char *const expected[VTOP_STATE_COUNT] = {
		"ok", "idle", "not-ready", "irq-lost", "notif-stalled", "stalled",
		"needs-reset", "broken",
	};
	enum vtop_state s, parsed;

	(void)state;
	for (s = 0; s < VTOP_STATE_COUNT; s++) {
		assert_string_equal(vtop_state_name(s), expected[s]);
		assert_int_equal(vtop_state_parse(expected[s], &parsed), 0);
		assert_int_equal(parsed, s);
	}
	assert_int_equal(vtop_state_parse("OK", &parsed), -EINVAL);
	assert_int_equal(vtop_state_parse("stall", &parsed), -EINVAL);
	assert_int_equal(vtop_state_parse("", &parsed), -EINVAL);
	assert_string_equal(vtop_state_name(VTOP_STATE_COUNT), "unknown");
}

static void failures_are_the_top_five(void **state)
{
	(void)state;
	assert_false(vtop_state_is_failure(VTOP_STATE_OK));
	assert_false(vtop_state_is_failure(VTOP_STATE_IDLE));
	assert_false(vtop_state_is_failure(VTOP_STATE_NOT_READY));
	assert_true(vtop_state_is_failure(VTOP_STATE_IRQ_LOST));
	assert_true(vtop_state_is_failure(VTOP_STATE_NOTIF_STALLED));
	assert_true(vtop_state_is_failure(VTOP_STATE_STALLED));
	assert_true(vtop_state_is_failure(VTOP_STATE_NEEDS_RESET));
	assert_true(vtop_state_is_failure(VTOP_STATE_BROKEN));
	assert_false(vtop_state_is_failure(VTOP_STATE_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(busy_queue_is_ok),
		cmocka_unit_test(each_activity_alone_is_not_idle),
		cmocka_unit_test(not_ready_rules),
		cmocka_unit_test(stalled_on_pending_work),
		cmocka_unit_test(stalled_on_chains_in_flight),
		cmocka_unit_test(receive_queues_never_stall),
		cmocka_unit_test(irq_lost_after_irq_ms),
		cmocka_unit_test(needs_reset_and_failed),
		cmocka_unit_test(broken_device),
		cmocka_unit_test(priority_order),
		cmocka_unit_test(device_own_state),
		cmocka_unit_test(notif_stalled_on_a_long_wait),
		cmocka_unit_test(device_priority_order),
		cmocka_unit_test(worse_folds_device_and_queues),
		cmocka_unit_test(names_round_trip),
		cmocka_unit_test(failures_are_the_top_five),
	};

	return cmocka_run_group_tests_name("vtop_states", tests, NULL, NULL);
}
