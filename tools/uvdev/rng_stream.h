/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seeded byte stream of uvdev-rng --seed: splitmix64 (Steele, Lea and
 * Flood, 2014) from the seed as its initial state, each 64-bit output
 * written little-endian, the outputs concatenated. Requests take the next
 * bytes in stream order, so what a reader of /dev/hwrng sees is a slice of
 * `uvdev-rng --seed N --dump BYTES`.
 *
 * Seed 0 starts with the bytes af cd 1d 7b 39 a8 20 e2 (the first output,
 * 0xe220a8397b1dcdaf).
 */
#ifndef UVDEV_RNG_STREAM_H
#define UVDEV_RNG_STREAM_H

#include <stddef.h>
#include <stdint.h>

struct rng_stream {
	uint64_t state;
	uint8_t word[8];	/* the current output, little-endian */
	unsigned int used;	/* bytes of @word already handed out */
};

/* The next splitmix64 output; advances @state. */
uint64_t rng_splitmix64(uint64_t *state);

void rng_stream_init(struct rng_stream *s, uint64_t seed);

/* The next @len bytes of the stream. */
void rng_stream_fill(struct rng_stream *s, void *buf, size_t len);

#endif /* UVDEV_RNG_STREAM_H */
