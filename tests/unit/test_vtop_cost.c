// SPDX-License-Identifier: GPL-2.0
/*
 * vtop's self-cost accounting (tools/vtop/cost.c): which intervals are
 * measured, what a figure is made of, and how statistics another tool
 * turned on are told apart from vtop's own.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cost.h"

#define SEC	1000000000ULL

static void measured_while_holding(void **state)
{
	struct vtop_cost_meter m;

	(void)state;
	vtop_cost_meter_init(&m, true, false);
	assert_int_equal(m.fig.state, VTOP_COST_WAITING);
	assert_true(vtop_cost_ns_per_event(&m.fig) < 0);
	/* The baseline: counters from an earlier run of someone's stats. */
	vtop_cost_meter_read(&m, 7000, 70, 1 * SEC);
	assert_int_equal(m.fig.state, VTOP_COST_WAITING);
	vtop_cost_meter_switched(&m, true, 0, 7000, 70);
	assert_true(m.holding);
	/* An interval with no event: still waiting. */
	vtop_cost_meter_read(&m, 7000, 70, 2 * SEC);
	assert_int_equal(m.fig.state, VTOP_COST_WAITING);
	/* 40 events, 12000 ns. */
	vtop_cost_meter_read(&m, 19000, 110, 3 * SEC);
	assert_int_equal(m.fig.state, VTOP_COST_MEASURED);
	assert_int_equal(m.fig.run_ns, 12000);
	assert_int_equal(m.fig.runs, 40);
	assert_int_equal(m.fig.at_ns, 3 * SEC);
	assert_false(m.fig.elsewhere);
	assert_true(vtop_cost_ns_per_event(&m.fig) == 300.0);
}

static void off_between_measurements(void **state)
{
	struct vtop_cost_meter m;

	(void)state;
	vtop_cost_meter_init(&m, true, false);
	vtop_cost_meter_switched(&m, true, 0, 0, 0);
	vtop_cost_meter_read(&m, 1000, 10, 1 * SEC);
	/* Runs counted between that reading and the switch belong nowhere. */
	vtop_cost_meter_switched(&m, false, 0, 1200, 12);
	assert_false(m.holding);
	vtop_cost_meter_read(&m, 1200, 12, 2 * SEC);
	/* The figure stands, and nobody else is seen. */
	assert_int_equal(m.fig.state, VTOP_COST_MEASURED);
	assert_int_equal(m.fig.runs, 10);
	assert_int_equal(m.fig.at_ns, 1 * SEC);
	assert_false(m.fig.elsewhere);
	/* Counters moving while vtop does not hold the stats: another tool does. */
	vtop_cost_meter_read(&m, 2200, 17, 3 * SEC);
	assert_int_equal(m.fig.runs, 5);
	assert_true(vtop_cost_ns_per_event(&m.fig) == 200.0);
	assert_true(m.fig.elsewhere);
}

static void no_cost_never_measures_alone(void **state)
{
	struct vtop_cost_meter m;
	char buf[128];

	(void)state;
	vtop_cost_meter_init(&m, false, false);
	assert_int_equal(m.fig.state, VTOP_COST_OFF);
	assert_false(vtop_cost_due(&m.fig, 0));
	vtop_cost_meter_read(&m, 500, 5, 1 * SEC);
	vtop_cost_meter_read(&m, 500, 5, 2 * SEC);
	assert_int_equal(m.fig.state, VTOP_COST_OFF);
	assert_non_null(strstr(vtop_cost_describe(&m.fig, buf, sizeof(buf)), "--no-cost"));
	/* Another tool turns the stats on: its counts are vtop's figure. */
	vtop_cost_meter_read(&m, 1500, 9, 3 * SEC);
	assert_int_equal(m.fig.state, VTOP_COST_MEASURED);
	assert_true(vtop_cost_ns_per_event(&m.fig) == 250.0);
	assert_true(m.fig.elsewhere);
	assert_non_null(strstr(vtop_cost_describe(&m.fig, buf, sizeof(buf)), "another tool"));

	/* The sysctl already on at start: waiting, not off. */
	vtop_cost_meter_init(&m, false, true);
	assert_int_equal(m.fig.state, VTOP_COST_WAITING);
	assert_true(m.fig.elsewhere);
}

static void refused_by_the_kernel(void **state)
{
	struct vtop_cost_meter m;
	char buf[128];

	(void)state;
	vtop_cost_meter_init(&m, true, false);
	vtop_cost_meter_switched(&m, true, -EPERM, 0, 0);
	assert_false(m.holding);
	assert_int_equal(m.fig.state, VTOP_COST_UNAVAILABLE);
	assert_int_equal(m.fig.err, EPERM);
	assert_string_equal(vtop_cost_state_name(m.fig.state), "unavailable");
	vtop_cost_describe(&m.fig, buf, sizeof(buf));
	assert_non_null(strstr(buf, "BPF_ENABLE_STATS"));
	assert_non_null(strstr(buf, strerror(EPERM)));
	assert_false(vtop_cost_due(&m.fig, 0));
	assert_false(vtop_cost_due(&m.fig, 10));
	/* A figure already made stays when a later attempt is refused. */
	vtop_cost_meter_init(&m, true, false);
	vtop_cost_meter_switched(&m, true, 0, 0, 0);
	vtop_cost_meter_read(&m, 100, 1, 1 * SEC);
	vtop_cost_meter_switched(&m, false, 0, 100, 1);
	vtop_cost_meter_switched(&m, true, -ENOMEM, 100, 1);
	assert_int_equal(m.fig.state, VTOP_COST_MEASURED);
	assert_true(vtop_cost_ns_per_event(&m.fig) == 100.0);
}

static void counters_that_go_back(void **state)
{
	struct vtop_cost_meter m;

	(void)state;
	vtop_cost_meter_init(&m, true, false);
	vtop_cost_meter_switched(&m, true, 0, 5000, 50);
	vtop_cost_meter_read(&m, 100, 1, 1 * SEC);
	assert_int_equal(m.fig.state, VTOP_COST_WAITING);
	vtop_cost_meter_read(&m, 400, 4, 2 * SEC);
	assert_int_equal(m.fig.runs, 3);
	assert_int_equal(m.fig.run_ns, 300);
}

static void which_intervals(void **state)
{
	struct vtop_cost c = { .state = VTOP_COST_WAITING };
	unsigned long i;

	(void)state;
	/* Every interval until a figure. */
	for (i = 0; i < 25; i++)
		assert_true(vtop_cost_due(&c, i));
	/* Then one in VTOP_COST_EVERY: the first, the eleventh, ... */
	c.state = VTOP_COST_MEASURED;
	for (i = 0; i < 3 * VTOP_COST_EVERY; i++)
		assert_int_equal(vtop_cost_due(&c, i), i % VTOP_COST_EVERY == 0);
	c.state = VTOP_COST_OFF;
	assert_false(vtop_cost_due(&c, 0));
}

static void names(void **state)
{
	struct vtop_cost c = { .state = VTOP_COST_MEASURED, .run_ns = 900, .runs = 3 };
	char buf[128];

	(void)state;
	assert_string_equal(vtop_cost_state_name(VTOP_COST_WAITING), "waiting");
	assert_string_equal(vtop_cost_state_name(VTOP_COST_MEASURED), "measured");
	assert_string_equal(vtop_cost_state_name(VTOP_COST_OFF), "off");
	assert_string_equal(vtop_cost_state_name(VTOP_COST_STATES), "unknown");
	assert_string_equal(vtop_cost_describe(&c, buf, sizeof(buf)), "measured over 3 events");
	c.state = VTOP_COST_WAITING;
	assert_true(vtop_cost_ns_per_event(&c) < 0);
	assert_non_null(strstr(vtop_cost_describe(&c, buf, sizeof(buf)), "no uvdev event"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(measured_while_holding),
		cmocka_unit_test(off_between_measurements),
		cmocka_unit_test(no_cost_never_measures_alone),
		cmocka_unit_test(refused_by_the_kernel),
		cmocka_unit_test(counters_that_go_back),
		cmocka_unit_test(which_intervals),
		cmocka_unit_test(names),
	};

	return cmocka_run_group_tests_name("vtop_cost", tests, NULL, NULL);
}
