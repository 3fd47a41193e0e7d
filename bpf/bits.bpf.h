/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log2 helpers for histograms in BPF programs.
 */
#ifndef BITS_BPF_H
#define BITS_BPF_H

/* floor(log2(v)) for v > 0; 0 for v == 0. Branch-free steps. */
static __always_inline __u32 log2_u32(__u32 v)
{
	__u32 r, shift;

	r = (v > 0xFFFF) << 4;
	v >>= r;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? log2_u32(hi) + 32 : log2_u32(v);
}

/*
 * The slot of @v in a 64-slot histogram: slot 0 holds 0 and 1, slot i holds
 * [2^i, 2^(i+1)). The mask is for the verifier, which cannot follow the
 * arithmetic above.
 */
static __always_inline __u32 hist_slot(__u64 v)
{
	return log2_u64(v) & 63;
}

#endif /* BITS_BPF_H */
