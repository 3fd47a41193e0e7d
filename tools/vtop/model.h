/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vtop knows at one instant: a snapshot of the BPF maps, summed over
 * CPUs and independent of how it is shown. Two snapshots make an interval
 * (rates, interval percentiles); states are judged on the newer one.
 */
#ifndef VTOP_MODEL_H
#define VTOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include <uapi/uvdev.h>

#include "cost.h"
#include "vtop.h"

_Static_assert(VTOP_NOTIF_BOTTOM_HALF == UVDEV_NOTIF_BOTTOM_HALF,
	       "vtop.h names uvdev's bottom-half value");

/*
 * One queue as the kernel sees it (UVDEV_IOC_QUEUE_STATE), read at every
 * sample: what the ring holds, not what events suggest. Times are
 * CLOCK_MONOTONIC.
 */
struct vtop_kqueue {
	bool known;			/* read from the kernel for this snapshot */
	uint32_t size;			/* ring size, 0 before setup */
	uint32_t flags;			/* UVDEV_QUEUE_* */
	uint32_t pending;		/* available, not popped */
	uint32_t inflight;		/* popped, not pushed */
	uint64_t pending_since_ns;	/* kick of the oldest pending; 0: none or unknown */
	uint64_t inflight_since_ns;	/* pop of the oldest in flight; 0: none */
	uint64_t irq_since_ns;		/* oldest completion not signalled; 0: none */
};

/*
 * A device's notifications as the kernel sees them (UVDEV_IOC_NOTIF_STATE),
 * read at every sample: who waits now, not what events suggest.
 */
struct vtop_knotif {
	bool known;			/* read from the kernel for this snapshot */
	uint32_t notif_max;		/* the device's largest key; 0: none */
	uint32_t waiters;		/* tasks waiting for a key now */
	uint32_t remembered_now;	/* keys posted with no waiter, not taken yet */
	uint64_t oldest_wait_ns;	/* start of the longest wait now; 0: none */
};

struct vtop_queue_snap {
	uint32_t dev;
	uint32_t queue;
	struct vtop_queue_stats stats;	/* cumulative since vtop attached */
	struct vtop_kqueue k;
};

struct vtop_dev_snap {
	uint32_t dev;
	struct vtop_dev info;		/* name, ids, status, broken */
	struct vtop_dev_stats stats;	/* cumulative since vtop attached */
	uint32_t msgs_inflight;		/* control messages sent and not done */
	uint64_t oldest_msg_ns;		/* send time of the oldest of them; 0: none */
	struct vtop_knotif notif;
};

struct vtop_snapshot {
	uint64_t now_ns;		/* CLOCK_MONOTONIC, the BPF clock */
	int64_t wall_ms;		/* CLOCK_REALTIME, for output */
	struct vtop_dev_snap *devs;	/* sorted by dev */
	size_t ndevs;
	struct vtop_queue_snap *queues;	/* sorted by (dev, queue) */
	size_t nqueues;
	struct vtop_cost cost;		/* vtop's own BPF cost, at the last measurement */
	uint64_t lifecycle[VTOP_LC_MAX];
	uint64_t drops[VTOP_DROP_KINDS];	/* cumulative, see enum vtop_drop */
};

void vtop_snapshot_free(struct vtop_snapshot *snap);

/* The device and queue entries of @snap, or NULL. */
const struct vtop_dev_snap *vtop_snapshot_dev(const struct vtop_snapshot *snap,
					      uint32_t dev);
const struct vtop_queue_snap *vtop_snapshot_queue(const struct vtop_snapshot *snap,
						  uint32_t dev, uint32_t queue);

#endif /* VTOP_MODEL_H */
