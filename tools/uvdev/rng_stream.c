// SPDX-License-Identifier: GPL-2.0
/*
 * The seeded byte stream of uvdev-rng (see rng_stream.h).
 */
#include <string.h>

#include "rng_stream.h"

uint64_t rng_splitmix64(uint64_t *state)
{
	uint64_t z;

	*state += 0x9e3779b97f4a7c15ULL;
	z = *state;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_stream_init(struct rng_stream *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->state = seed;
	s->used = sizeof(s->word);
}

static void next_word(struct rng_stream *s)
{
	uint64_t v = rng_splitmix64(&s->state);
	unsigned int i;

	for (i = 0; i < sizeof(s->word); i++)
		s->word[i] = (uint8_t)(v >> (8 * i));
	s->used = 0;
}

void rng_stream_fill(struct rng_stream *s, void *buf, size_t len)
{
	uint8_t *out = buf;

	while (len) {
		size_t n;

		if (s->used == sizeof(s->word))
			next_word(s);
		n = sizeof(s->word) - s->used;
		if (n > len)
			n = len;
		memcpy(out, s->word + s->used, n);
		s->used += n;
		out += n;
		len -= n;
	}
}
