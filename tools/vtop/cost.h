/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtop's own BPF cost per event, from the kernel's BPF run-time statistics
 * (run_time_ns and run_cnt of each program, counted only while
 * BPF_ENABLE_STATS is on somewhere on the host).
 *
 * Turning the statistics on costs every BPF program on the host two clock
 * reads per run, so vtop holds them on only while it measures (see
 * vtop_cost_due()) and never with --no-cost. vtop turns them on with a
 * BPF_ENABLE_STATS file descriptor: the kernel counts those, so closing it
 * never turns off statistics another tool turned on (with its own
 * descriptor or the kernel.bpf_stats_enabled sysctl, which vtop never
 * writes). When another tool has them on, vtop's programs' counters move
 * without vtop holding them: that is measured too, at no extra cost.
 *
 * The accounting below is pure: the collector reads the counters, holds
 * the descriptor and feeds the meter.
 */
#ifndef VTOP_COST_H
#define VTOP_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * After the first figure, vtop measures one interval in VTOP_COST_EVERY
 * (the first, then every VTOP_COST_EVERY-th); until then, every interval.
 */
#define VTOP_COST_EVERY		10

enum vtop_cost_state {
	VTOP_COST_WAITING,		/* measuring, and no event has run yet */
	VTOP_COST_MEASURED,		/* a figure, from the last measurement */
	VTOP_COST_OFF,			/* --no-cost, and no other tool has the stats on */
	VTOP_COST_UNAVAILABLE,		/* the kernel refused BPF_ENABLE_STATS */
	VTOP_COST_STATES,
};

/* The cost as a snapshot carries it. */
struct vtop_cost {
	enum vtop_cost_state state;
	int err;			/* UNAVAILABLE: the positive errno */
	uint64_t run_ns;		/* MEASURED: run time and runs of the */
	uint64_t runs;			/* last interval in which events ran */
	uint64_t at_ns;			/* CLOCK_MONOTONIC at its end */
	bool elsewhere;			/* another tool had the stats on */
};

/* Nanoseconds per event of the last measurement; < 0 when there is none. */
double vtop_cost_ns_per_event(const struct vtop_cost *c);

/* "waiting", "measured", "off", "unavailable". */
const char *vtop_cost_state_name(enum vtop_cost_state s);

/* Why there is a figure or not, in a few words, into @buf. */
const char *vtop_cost_describe(const struct vtop_cost *c, char *buf, size_t len);

/*
 * Should the interval that starts now (@interval: 0 for the first) be
 * measured, given the figure so far? Never after the kernel refused.
 */
bool vtop_cost_due(const struct vtop_cost *c, unsigned long interval);

/* ---- accounting ----------------------------------------------------------- */

struct vtop_cost_meter {
	struct vtop_cost fig;
	bool holding;			/* vtop's stats descriptor is open */
	bool have_last;
	uint64_t last_ns;		/* the counters at the last reading */
	uint64_t last_runs;
};

/*
 * @may_enable: false with --no-cost. @elsewhere: the stats are known to be
 * on already (the sysctl reads 1).
 */
void vtop_cost_meter_init(struct vtop_cost_meter *m, bool may_enable, bool elsewhere);

/*
 * The counters of vtop's programs, summed, read at @now_ns: the interval
 * since the last reading ends. Runs counted while vtop did not hold the
 * stats on mean another tool does.
 */
void vtop_cost_meter_read(struct vtop_cost_meter *m, uint64_t run_ns, uint64_t runs,
			  uint64_t now_ns);

/*
 * vtop's descriptor was opened (@holding, @err 0), refused (@holding, @err
 * -errno) or closed (!@holding); @run_ns and @runs are the counters read
 * right after, where the next interval starts.
 */
void vtop_cost_meter_switched(struct vtop_cost_meter *m, bool holding, int err,
			      uint64_t run_ns, uint64_t runs);

#endif /* VTOP_COST_H */
