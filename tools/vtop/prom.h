/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus text exposition (format 0.0.4) of a view's totals, gauges and
 * states: what the exporter serves. Every device and queue of the view is
 * written, whatever the filter; a device gone from the snapshot has no
 * series.
 */
#ifndef VTOP_PROM_H
#define VTOP_PROM_H

#include <stdio.h>

#include "view.h"

#define VTOP_PROM_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* @mode: "tp_btf" or "raw_tp". 0, or -EIO when @out failed. */
int vtop_prom_render(FILE *out, const struct vtop_view *v, const char *mode);

/* @ns as seconds, exactly: 1500 -> "0.0000015". */
void vtop_prom_put_seconds(FILE *out, uint64_t ns);

#endif /* VTOP_PROM_H */
