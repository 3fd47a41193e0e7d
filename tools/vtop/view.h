/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interval views: from an older and a newer snapshot, one row per device
 * and per queue with interval rates and percentiles (from the delta of the
 * log2 histograms), the newer snapshot's totals and the state of each.
 *
 * A view owns copies of what it shows, so it outlives its snapshots.
 */
#ifndef VTOP_VIEW_H
#define VTOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "states.h"

/* Interval latency of one histogram. */
struct vtop_latency {
	uint64_t count;			/* samples in the interval */
	uint64_t p50_ns;		/* 0 when count is 0 */
	uint64_t p99_ns;
	uint64_t avg_ns;
};

struct vtop_queue_row {
	struct vtop_queue_snap cur;	/* the newer snapshot's entry: totals */
	size_t dev_row;			/* index of its device in the view */

	/* Deltas over the interval. */
	uint64_t kicks[VTOP_KICK_MODES];
	uint64_t kicks_all;
	uint64_t pops;
	uint64_t pushes;
	uint64_t pop_bytes;
	uint64_t push_bytes;
	uint64_t irq_injects;
	uint64_t irq_delivers;		/* every outcome */
	uint64_t wait_hist[VTOP_HIST_SLOTS];
	uint64_t service_hist[VTOP_HIST_SLOTS];
	uint64_t irq_hist[VTOP_HIST_SLOTS];

	/* Per second over the interval. */
	double kicks_ps;
	double pops_ps;
	double pushes_ps;
	double irqs_ps;			/* injected */
	double irqs_delivered_ps;
	double pop_bytes_ps;
	double push_bytes_ps;

	struct vtop_latency wait;	/* kick -> pop */
	struct vtop_latency service;	/* pop -> push */
	struct vtop_latency irq;	/* inject -> deliver */
	double oldest_ms;		/* age of the oldest chain in flight; < 0: none */
	double pending_ms;		/* since the oldest pending chain's kick; < 0: none */
	enum vtop_state state;
	bool visible;			/* passes the filter */

	/* Zero copy: deltas over the interval. */
	uint64_t zc_maps;
	uint64_t zc_mapped_pages;
	uint64_t zc_copied_pages;	/* bounced, or in refused maps */
	uint64_t zc_fallbacks;		/* maps refused or with a page bounced */
	uint64_t zc_complete_hist[VTOP_HIST_SLOTS];
	/* Mapped share of the pages asked for, in %; < 0: no map in the interval. */
	double zc_pct;
	struct vtop_latency zc_complete;	/* first push -> reap */
};

struct vtop_dev_row {
	struct vtop_dev_snap cur;	/* the newer snapshot's entry: totals */
	bool known;			/* in the devices map (name, status) */
	char name[VTOP_NAME_MAX + 1];	/* "dev<N>" when the maps have none */
	size_t first_queue;		/* its queue rows, contiguous */
	size_t nqueues;

	/* Control messages: deltas over the interval, every type. */
	uint64_t msgs;
	uint64_t msgs_by[VTOP_MSG_TYPES][VTOP_MSG_RESULTS];
	uint64_t timeouts;
	uint64_t msg_hist[VTOP_HIST_SLOTS];
	/* Totals since vtop attached. */
	uint64_t msgs_total;
	uint64_t timeouts_total;

	double msgs_ps;
	struct vtop_latency msg;
	double oldest_msg_ms;		/* age of the oldest message in flight; < 0: none */

	/* Notifications: deltas over the interval. */
	uint64_t notif_posts;
	uint64_t notif_deliveries;
	uint64_t notif_merged;
	uint64_t notif_wakeups;
	uint64_t notif_wait_ends;	/* every result */
	uint64_t notif_bottom_halves;
	uint64_t notif_deliver_hist[VTOP_HIST_SLOTS];
	uint64_t notif_wait_hist[VTOP_HIST_SLOTS];
	double notif_posts_ps;		/* values posted: the notification rate */
	double notif_deliveries_ps;
	struct vtop_latency notif_deliver;	/* first post -> delivery */
	struct vtop_latency notif_wait;		/* waits that ended */
	double longest_wait_ms;		/* age of the longest wait now (kernel); < 0: none */

	/* Over its queues, for sorting. */
	double kicks_ps;
	double irqs_ps;
	uint64_t inflight;
	uint64_t wait_p99_ns;		/* the highest of its queues */
	uint64_t service_p99_ns;
	uint64_t irq_p99_ns;

	enum vtop_state own_state;	/* from the device alone */
	enum vtop_state state;		/* the worse of its own and its queues' */
	bool visible;
};

struct vtop_view {
	uint64_t now_ns;		/* the newer snapshot's */
	int64_t wall_ms;
	uint64_t interval_ns;		/* newer - older; 0 without an older one */
	struct vtop_cost cost;		/* vtop's own BPF cost, the newer snapshot's */
	uint64_t lifecycle[VTOP_LC_MAX];
	uint64_t drops[VTOP_DROP_KINDS];	/* cumulative, see enum vtop_drop */
	double kicks_ps;		/* over every device */
	double irqs_ps;
	double msgs_ps;
	double notif_posts_ps;
	struct vtop_dev_row *devs;	/* by device id */
	size_t ndevs;
	struct vtop_queue_row *queues;	/* by (device id, queue) */
	size_t nqueues;
};

/*
 * Build @v from @older (NULL: everything counts from zero, rates are 0)
 * and @newer. Entries missing from @older, or whose counters went back,
 * count from zero. Everything is visible. 0 or -ENOMEM.
 */
int vtop_view_build(struct vtop_view *v, const struct vtop_snapshot *older,
		    const struct vtop_snapshot *newer,
		    const struct vtop_state_opts *opts);

void vtop_view_free(struct vtop_view *v);

/*
 * Show only what matches the fnmatch(3) pattern @glob (NULL or "": all):
 * a device whose name matches shows with all its queues; otherwise a queue
 * shows when "<device>/<queue>" matches, under its device.
 */
void vtop_view_filter(struct vtop_view *v, const char *glob);

/* The states of the visible devices and queues, as VTOP_STATE_BIT()s. */
unsigned int vtop_view_states_seen(const struct vtop_view *v);

/*
 * Whether device row @d has notifications to show: keys to wait for, or
 * values posted since vtop attached (the bottom-half value needs no key).
 */
bool vtop_dev_has_notif(const struct vtop_dev_row *d);

/* The row of a device or a queue, or NULL. */
const struct vtop_dev_row *vtop_view_dev(const struct vtop_view *v, uint32_t dev);
const struct vtop_queue_row *vtop_view_queue(const struct vtop_view *v,
					     uint32_t dev, uint32_t queue);

/*
 * The zero-copy share of @mapped and @copied window pages, in %; -1 when
 * both are 0 (no zero-copy traffic).
 */
double vtop_zc_pct(uint64_t mapped, uint64_t copied);

#endif /* VTOP_VIEW_H */
