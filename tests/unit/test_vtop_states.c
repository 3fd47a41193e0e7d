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
	q.state.ready = 1;
	q.state.size = 256;
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
	q.inflight = 1;
	q.oldest_pop_ns = NOW - MS;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_OK);
}

static void not_ready_rules(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();

	(void)state;
	q.state.ready = 0;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_NOT_READY);
	q.state.ready = 1;
	d.status = 0x0b;	/* FEATURES_OK but no DRIVER_OK */
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_NOT_READY);
	/* An unknown device: only the queue's own readiness counts. */
	assert_int_equal(vtop_queue_state(NULL, &q, &busy, NOW, &opts), VTOP_STATE_OK);
	q.state.ready = 0;
	assert_int_equal(vtop_queue_state(NULL, &q, &busy, NOW, &opts), VTOP_STATE_NOT_READY);
}

static void stalled_after_stall_ms(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();

	(void)state;
	q.state.work_since_ns = NOW - 1000 * MS;	/* exactly stall_ms: not yet */
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_OK);
	q.state.work_since_ns = NOW - 1000 * MS - 1;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_STALLED);
	/* Also when nothing happened in the interval: that is the point. */
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_STALLED);
	/* Set after the snapshot's clock was read: not stalled. */
	q.state.work_since_ns = NOW + MS;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_OK);
	q.state.work_since_ns = 0;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_OK);
}

static void irq_lost_after_irq_ms(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();

	(void)state;
	q.state.undelivered_since_ns = NOW - 500 * MS;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_OK);
	q.state.undelivered_since_ns = NOW - 500 * MS - 1;
	assert_int_equal(vtop_queue_state(&d, &q, &busy, NOW, &opts), VTOP_STATE_IRQ_LOST);
	q.state.undelivered_since_ns = 0;
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
}

/* Every rule holds; peel them off from the top and watch the next one win. */
static void priority_order(void **state)
{
	struct vtop_dev d = running_dev();
	struct vtop_queue_snap q = ready_queue();

	(void)state;
	d.broken = 1;
	d.status = VTOP_STATUS_NEEDS_RESET;	/* and no DRIVER_OK */
	q.state.work_since_ns = NOW - 2000 * MS;
	q.state.undelivered_since_ns = NOW - 2000 * MS;
	q.state.ready = 0;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_BROKEN);
	d.broken = 0;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_NEEDS_RESET);
	d.status = 0x0b;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_STALLED);
	q.state.work_since_ns = 0;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_IRQ_LOST);
	q.state.undelivered_since_ns = 0;
	assert_int_equal(vtop_queue_state(&d, &q, &quiet, NOW, &opts), VTOP_STATE_NOT_READY);
	d.status = 0x0f;
	q.state.ready = 1;
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
		"ok", "idle", "not-ready", "irq-lost", "stalled", "needs-reset", "broken",
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

static void failures_are_the_top_four(void **state)
{
	(void)state;
	assert_false(vtop_state_is_failure(VTOP_STATE_OK));
	assert_false(vtop_state_is_failure(VTOP_STATE_IDLE));
	assert_false(vtop_state_is_failure(VTOP_STATE_NOT_READY));
	assert_true(vtop_state_is_failure(VTOP_STATE_IRQ_LOST));
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
		cmocka_unit_test(stalled_after_stall_ms),
		cmocka_unit_test(irq_lost_after_irq_ms),
		cmocka_unit_test(needs_reset_and_failed),
		cmocka_unit_test(broken_device),
		cmocka_unit_test(priority_order),
		cmocka_unit_test(device_own_state),
		cmocka_unit_test(worse_folds_device_and_queues),
		cmocka_unit_test(names_round_trip),
		cmocka_unit_test(failures_are_the_top_four),
	};

	return cmocka_run_group_tests_name("vtop_states", tests, NULL, NULL);
}
