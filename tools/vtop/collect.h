/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Collection: load and attach vtop's BPF programs, read their maps into
 * snapshots and hand over the rare events from the ring buffer.
 */
#ifndef VTOP_COLLECT_H
#define VTOP_COLLECT_H

#include <stdbool.h>

#include "model.h"

struct vtop_collector;

struct vtop_collect_opts {
	bool force_raw_tp;		/* raw_tp even when module BTF exists */
	bool measure_cost;		/* may turn BPF_ENABLE_STATS on (not --no-cost) */
	uint32_t debug_loops;		/* extra loop iterations per event (debug) */
};

typedef void (*vtop_event_fn)(const struct vtop_event *ev, void *ctx);

/*
 * Open, load and attach. On failure returns NULL and writes a message
 * naming the cause and the fix into @err (@errlen bytes).
 */
struct vtop_collector *vtop_collector_open(const struct vtop_collect_opts *opts,
					   char *err, size_t errlen);
void vtop_collector_close(struct vtop_collector *c);

/* "tp_btf" or "raw_tp": what was attached. */
const char *vtop_collector_mode(const struct vtop_collector *c);

/* Read the maps into @snap (freed with vtop_snapshot_free). 0 or -errno. */
int vtop_collect(struct vtop_collector *c, struct vtop_snapshot *snap);

/*
 * Measure vtop's BPF cost (see cost.h) from now on, or stop: holds a
 * BPF_ENABLE_STATS descriptor open or closes it. Snapshots carry the
 * figure. 0, or -errno when the kernel refused (the figure says so too);
 * never turns the stats on without measure_cost.
 */
int vtop_collector_measure(struct vtop_collector *c, bool on);

/* Deliver the events waiting in the ring buffer; returns how many. */
int vtop_collect_events(struct vtop_collector *c, vtop_event_fn fn, void *ctx);

#endif /* VTOP_COLLECT_H */
