// SPDX-License-Identifier: GPL-2.0
/*
 * Percentiles from log2 histograms (tools/vtop/hist.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hist.h"

static void slot_bounds(void **state)
{
	(void)state;
	assert_int_equal(hist_slot_low(0), 0);
	assert_int_equal(hist_slot_high(0), 1);
	assert_int_equal(hist_slot_low(1), 2);
	assert_int_equal(hist_slot_high(1), 3);
	assert_int_equal(hist_slot_low(10), 1024);
	assert_int_equal(hist_slot_high(10), 2047);
	assert_true(hist_slot_high(63) == UINT64_MAX);
}

static void empty_is_zero(void **state)
{
	uint64_t slots[64] = { 0 };

	(void)state;
	assert_int_equal(hist_total(slots, 64), 0);
	assert_int_equal(hist_percentile(slots, 64, 50), 0);
	assert_int_equal(hist_percentile(slots, 64, 99), 0);
}

static void single_slot_interpolates(void **state)
{
	uint64_t slots[64] = { 0 };

	(void)state;
	/* 100 samples in [1024, 2047]: p50 lands half way, p100 at the top. */
	slots[10] = 100;
	assert_int_equal(hist_percentile(slots, 64, 50), 1024 + (2047 - 1024) / 2);
	assert_int_equal(hist_percentile(slots, 64, 100), 2047);
	assert_int_equal(hist_percentile(slots, 64, 1), 1024 + (uint64_t)(0.01 * 1023));
}

static void percentile_picks_the_right_slot(void **state)
{
	uint64_t slots[64] = { 0 };

	(void)state;
	/* 98 fast samples (slot 4: 16..31) and 2 slow ones (slot 20). */
	slots[4] = 98;
	slots[20] = 2;
	assert_int_equal(hist_total(slots, 64), 100);
	assert_in_range(hist_percentile(slots, 64, 50), 16, 31);
	assert_in_range(hist_percentile(slots, 64, 98), 16, 31);
	assert_in_range(hist_percentile(slots, 64, 99), 1 << 20, (1 << 21) - 1);
}

static void out_of_range_percentiles(void **state)
{
	uint64_t slots[8] = { 0, 0, 5, 0, 0, 0, 0, 0 };

	(void)state;
	assert_int_equal(hist_percentile(slots, 8, 0), 0);
	assert_int_equal(hist_percentile(slots, 8, -3), 0);
	assert_int_equal(hist_percentile(slots, 8, 250), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slot_bounds),
		cmocka_unit_test(empty_is_zero),
		cmocka_unit_test(single_slot_interpolates),
		cmocka_unit_test(percentile_picks_the_right_slot),
		cmocka_unit_test(out_of_range_percentiles),
	};

	return cmocka_run_group_tests_name("hist", tests, NULL, NULL);
}
