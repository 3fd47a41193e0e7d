// SPDX-License-Identifier: GPL-2.0
/*
 * Percentiles from log2 histograms.
 */
#include "hist.h"

uint64_t hist_slot_low(unsigned int slot)
{
	return slot == 0 ? 0 : 1ULL << slot;
}

uint64_t hist_slot_high(unsigned int slot)
{
	if (slot >= 63)
		return UINT64_MAX;
	return (1ULL << (slot + 1)) - 1;
}

uint64_t hist_total(const uint64_t *slots, unsigned int n)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += slots[i];
	return total;
}

uint64_t hist_percentile(const uint64_t *slots, unsigned int n, double pct)
{
	uint64_t total = hist_total(slots, n);
	double rank, seen = 0;
	unsigned int i;

	if (total == 0 || pct <= 0)
		return 0;
	if (pct > 100)
		pct = 100;
	/* The rank of the wanted sample, 1-based: p50 of 4 samples is the 2nd. */
	rank = pct / 100.0 * (double)total;
	for (i = 0; i < n; i++) {
		double low, high, frac;

		if (!slots[i])
			continue;
		if (seen + (double)slots[i] < rank) {
			seen += (double)slots[i];
			continue;
		}
		low = (double)hist_slot_low(i);
		high = (double)hist_slot_high(i);
		frac = (rank - seen) / (double)slots[i];
		return (uint64_t)(low + frac * (high - low));
	}
	return hist_slot_high(n - 1);
}
