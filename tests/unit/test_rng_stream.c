// SPDX-License-Identifier: GPL-2.0
/*
 * The seeded stream of uvdev-rng (tools/uvdev/rng_stream.c): its first
 * bytes are pinned, because tests compare /dev/hwrng output against it and
 * --help documents them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rng_stream.h"

static void splitmix64_outputs(void **state)
{
	uint64_t s = 0;

	(void)state;
	/* The published splitmix64 sequence for seed 0. */
	assert_true(rng_splitmix64(&s) == 0xe220a8397b1dcdafULL);
	assert_true(rng_splitmix64(&s) == 0x6e789e6aa1b965f4ULL);
	assert_true(rng_splitmix64(&s) == 0x06c45d188009454fULL);
	s = 42;
	assert_true(rng_splitmix64(&s) == 0xbdd732262feb6e95ULL);
}

static void stream_is_little_endian(void **state)
{
	static const uint8_t seed0[16] = {
		0xaf, 0xcd, 0x1d, 0x7b, 0x39, 0xa8, 0x20, 0xe2,
		0xf4, 0x65, 0xb9, 0xa1, 0x6a, 0x9e, 0x78, 0x6e,
	};
	static const uint8_t seed1[8] = {
		0xc1, 0x5c, 0x02, 0x89, 0xec, 0x2d, 0x0a, 0x91,
	};
	struct rng_stream s;
	uint8_t buf[16];

	(void)state;
	rng_stream_init(&s, 0);
	rng_stream_fill(&s, buf, sizeof(seed0));
	assert_memory_equal(buf, seed0, sizeof(seed0));
	rng_stream_init(&s, 1);
	rng_stream_fill(&s, buf, sizeof(seed1));
	assert_memory_equal(buf, seed1, sizeof(seed1));
}

/* Requests of any sizes take consecutive bytes: no byte skipped or repeated. */
static void pieces_concatenate(void **state)
{
	static const size_t sizes[] = { 1, 3, 8, 13, 64, 0, 7, 200, 1 };
	uint8_t whole[300], pieces[300];
	struct rng_stream s;
	size_t i, off = 0;

	(void)state;
	rng_stream_init(&s, 1234);
	rng_stream_fill(&s, whole, sizeof(whole));
	rng_stream_init(&s, 1234);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		rng_stream_fill(&s, pieces + off, sizes[i]);
		off += sizes[i];
	}
	assert_int_equal(off, 297);
	assert_memory_equal(whole, pieces, off);
}

static void seeds_differ(void **state)
{
	uint8_t a[32], b[32];
	struct rng_stream s;

	(void)state;
	rng_stream_init(&s, 7);
	rng_stream_fill(&s, a, sizeof(a));
	rng_stream_init(&s, 8);
	rng_stream_fill(&s, b, sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(splitmix64_outputs),
		cmocka_unit_test(stream_is_little_endian),
		cmocka_unit_test(pieces_concatenate),
		cmocka_unit_test(seeds_differ),
	};

	return cmocka_run_group_tests_name("rng_stream", tests, NULL, NULL);
}
