// SPDX-License-Identifier: GPL-2.0
/*
 * Failure states: the rules of states.h, highest priority first.
 */
#include <errno.h>
#include <string.h>

#include "states.h"

static const char *const state_names[VTOP_STATE_COUNT] = {
	[VTOP_STATE_OK] = "ok",
	[VTOP_STATE_IDLE] = "idle",
	[VTOP_STATE_NOT_READY] = "not-ready",
	[VTOP_STATE_IRQ_LOST] = "irq-lost",
	[VTOP_STATE_NOTIF_STALLED] = "notif-stalled",
	[VTOP_STATE_STALLED] = "stalled",
	[VTOP_STATE_NEEDS_RESET] = "needs-reset",
	[VTOP_STATE_BROKEN] = "broken",
};

/* True when @since_ns is set and lies more than @limit_ms before @now_ns. */
static bool older_than(uint64_t since_ns, uint64_t now_ns, uint64_t limit_ms)
{
	if (!since_ns || since_ns >= now_ns)
		return false;
	return now_ns - since_ns > limit_ms * 1000000ULL;
}

static bool needs_reset(const struct vtop_dev *dev)
{
	return dev->status & (VTOP_STATUS_NEEDS_RESET | VTOP_STATUS_FAILED);
}

static bool driver_ok(const struct vtop_dev *dev)
{
	return dev->status & VTOP_STATUS_DRIVER_OK;
}

enum vtop_state vtop_queue_state(const struct vtop_dev *dev,
				 const struct vtop_queue_snap *q,
				 const struct vtop_queue_activity *interval,
				 uint64_t now_ns, const struct vtop_state_opts *opts)
{
	const struct vtop_kqueue *k = &q->k;
	bool receive = k->flags & UVDEV_QUEUE_RECEIVE;

	if ((dev && dev->broken) || (k->flags & UVDEV_QUEUE_BROKEN))
		return VTOP_STATE_BROKEN;
	if (dev && needs_reset(dev))
		return VTOP_STATE_NEEDS_RESET;
	if (!receive && k->pending &&
	    older_than(k->pending_since_ns, now_ns, opts->stall_ms))
		return VTOP_STATE_STALLED;
	if (!receive && k->inflight &&
	    older_than(k->inflight_since_ns, now_ns, opts->stall_ms))
		return VTOP_STATE_STALLED;
	if (older_than(k->irq_since_ns, now_ns, opts->irq_ms))
		return VTOP_STATE_IRQ_LOST;
	if (!(k->flags & UVDEV_QUEUE_READY) || (dev && !driver_ok(dev)))
		return VTOP_STATE_NOT_READY;
	if (!interval->kicks && !interval->pops && !interval->pushes &&
	    !k->inflight && (receive || !k->pending))
		return VTOP_STATE_IDLE;
	return VTOP_STATE_OK;
}

enum vtop_state vtop_device_own_state(const struct vtop_dev_snap *d,
				      uint64_t interval_events, uint64_t now_ns,
				      const struct vtop_state_opts *opts)
{
	if (d->info.broken)
		return VTOP_STATE_BROKEN;
	if (needs_reset(&d->info))
		return VTOP_STATE_NEEDS_RESET;
	if (d->msgs_inflight && older_than(d->oldest_msg_ns, now_ns, opts->stall_ms))
		return VTOP_STATE_STALLED;
	if (d->notif.waiters &&
	    older_than(d->notif.oldest_wait_ns, now_ns, opts->stall_ms))
		return VTOP_STATE_NOTIF_STALLED;
	if (!driver_ok(&d->info))
		return VTOP_STATE_NOT_READY;
	if (!interval_events && !d->msgs_inflight && !d->notif.waiters)
		return VTOP_STATE_IDLE;
	return VTOP_STATE_OK;
}

enum vtop_state vtop_state_worse(enum vtop_state a, enum vtop_state b)
{
	if ((a == VTOP_STATE_OK && b == VTOP_STATE_IDLE) ||
	    (a == VTOP_STATE_IDLE && b == VTOP_STATE_OK))
		return VTOP_STATE_OK;
	return a > b ? a : b;
}

bool vtop_state_is_failure(enum vtop_state s)
{
	return s >= VTOP_STATE_IRQ_LOST && s < VTOP_STATE_COUNT;
}

const char *vtop_state_name(enum vtop_state s)
{
	if ((unsigned int)s >= VTOP_STATE_COUNT)
		return "unknown";
	return state_names[s];
}

int vtop_state_parse(const char *name, enum vtop_state *out)
{
	unsigned int s;

	for (s = 0; s < VTOP_STATE_COUNT; s++) {
		if (!strcmp(name, state_names[s])) {
			*out = s;
			return 0;
		}
	}
	return -EINVAL;
}
