/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Failure states of queues and devices, judged on one snapshot plus the
 * activity of the interval that ended with it. Pure functions: the caller
 * passes every input, including the time.
 */
#ifndef VTOP_STATES_H
#define VTOP_STATES_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* In rising priority: when several rules hold, the highest one wins. */
enum vtop_state {
	VTOP_STATE_OK,
	VTOP_STATE_IDLE,
	VTOP_STATE_NOT_READY,
	VTOP_STATE_IRQ_LOST,
	VTOP_STATE_NOTIF_STALLED,
	VTOP_STATE_STALLED,
	VTOP_STATE_NEEDS_RESET,
	VTOP_STATE_BROKEN,
	VTOP_STATE_COUNT
};

#define VTOP_STATE_BIT(s)	(1U << (s))

#define VTOP_STALL_MS_DEFAULT	1000
#define VTOP_IRQ_MS_DEFAULT	1000

struct vtop_state_opts {
	uint64_t stall_ms;	/* work waiting or in flight for longer: stalled;
				 * a notification wait that long: notif-stalled */
	uint64_t irq_ms;	/* completed and not signalled for longer: irq-lost */
};

/* What a queue did during the interval (deltas, not totals). */
struct vtop_queue_activity {
	uint64_t kicks;		/* every kick mode */
	uint64_t pops;
	uint64_t pushes;
};

/*
 * The state of queue @q at @now_ns, from the kernel's view of its ring
 * (q->k) and the interval's activity. @dev is its device's entry, or NULL
 * when the device is unknown (its device rules are skipped).
 *
 * stalled: a request queue has a chain available and not popped since a
 * kick more than stall_ms ago, or a chain popped and not pushed for more
 * than stall_ms (a backend stopped, or one that pops and hangs). Receive
 * queues (buffers posted for data the device starts) are never stalled.
 * irq-lost: a completion the driver has not been interrupted for, older
 * than irq_ms. idle: nothing happened in the interval and nothing is in
 * flight or (on a request queue) waiting.
 */
enum vtop_state vtop_queue_state(const struct vtop_dev *dev,
				 const struct vtop_queue_snap *q,
				 const struct vtop_queue_activity *interval,
				 uint64_t now_ns, const struct vtop_state_opts *opts);

/*
 * The state of device @d on its own, from its identity, control messages
 * and notification waiters: broken, needs-reset, stalled (a message in
 * flight for longer than stall_ms), notif-stalled (a task has waited for a
 * notification key for longer than stall_ms, as the kernel's waiter list
 * says), not-ready (no DRIVER_OK), idle (nothing in the interval, no
 * message in flight, no waiter) or ok. @interval_events counts the
 * messages done and the notification events (posts, deliveries, waits
 * ended) of the interval.
 */
enum vtop_state vtop_device_own_state(const struct vtop_dev_snap *d,
				      uint64_t interval_events, uint64_t now_ns,
				      const struct vtop_state_opts *opts);

/*
 * The worse of two states, to fold a device's own state with its queues'.
 * By priority, except that ok beats idle: a device is idle only when it
 * and all its queues are.
 */
enum vtop_state vtop_state_worse(enum vtop_state a, enum vtop_state b);

/* broken, needs-reset, stalled, notif-stalled and irq-lost: the states to flag. */
bool vtop_state_is_failure(enum vtop_state s);

/*
 * "ok", "idle", "not-ready", "irq-lost", "notif-stalled", "stalled",
 * "needs-reset", "broken".
 */
const char *vtop_state_name(enum vtop_state s);

/* The state named @name (exactly); 0 or -EINVAL. */
int vtop_state_parse(const char *name, enum vtop_state *out);

#endif /* VTOP_STATES_H */
