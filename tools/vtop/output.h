/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Batch outputs: JSON lines (one object per interval) and CSV (a header
 * once, then one row per queue per interval). Only visible rows are
 * written. Each returns 0, or -EIO when @out failed.
 */
#ifndef VTOP_OUTPUT_H
#define VTOP_OUTPUT_H

#include <stdio.h>

#include "events.h"
#include "view.h"

/* @events may be NULL; @mode is "tp_btf" or "raw_tp". */
int vtop_output_json(FILE *out, const struct vtop_view *v,
		     const struct vtop_event_batch *events, const char *mode);

int vtop_output_csv_header(FILE *out);
int vtop_output_csv(FILE *out, const struct vtop_view *v);

#endif /* VTOP_OUTPUT_H */
