/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log2 histograms as the BPF programs fill them: slot 0 counts values 0 and
 * 1, slot i (i >= 1) counts values in [2^i, 2^(i+1)).
 */
#ifndef VTOP_HIST_H
#define VTOP_HIST_H

#include <stdint.h>

/* Lowest and highest value slot @slot counts. */
uint64_t hist_slot_low(unsigned int slot);
uint64_t hist_slot_high(unsigned int slot);

/* Total count of @n slots. */
uint64_t hist_total(const uint64_t *slots, unsigned int n);

/*
 * The @pct-th percentile (0 < pct <= 100), interpolated linearly inside the
 * slot that holds it. Returns 0 for an empty histogram.
 */
uint64_t hist_percentile(const uint64_t *slots, unsigned int n, double pct);

#endif /* VTOP_HIST_H */
