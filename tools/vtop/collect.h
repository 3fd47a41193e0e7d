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
	bool measure_cost;		/* BPF_ENABLE_STATS for bpf_run_ns */
	uint32_t debug_loops;		/* extra loop iterations per event (debug) */
};

/*
 * Measuring the programs' run time costs every event two clock reads, so it
 * is sampled: the stats are on during one interval in VTOP_COST_EVERY (the
 * first, then every VTOP_COST_EVERY-th), and a snapshot carries the totals
 * of the last closed window.
 */
#define VTOP_COST_EVERY		10

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

/* Deliver the events waiting in the ring buffer; returns how many. */
int vtop_collect_events(struct vtop_collector *c, vtop_event_fn fn, void *ctx);

#endif /* VTOP_COLLECT_H */
