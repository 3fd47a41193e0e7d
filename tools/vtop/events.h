/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rare events (create, destroy, timeouts, status, queue setup) that
 * arrived during one interval, with the names of their devices.
 */
#ifndef VTOP_EVENTS_H
#define VTOP_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define VTOP_EVENT_BATCH_MAX	256

struct vtop_event_batch {
	struct vtop_event ev[VTOP_EVENT_BATCH_MAX];
	char names[VTOP_EVENT_BATCH_MAX][VTOP_NAME_MAX + 1];
	size_t n;
	uint64_t dropped;		/* past VTOP_EVENT_BATCH_MAX */
};

void vtop_event_batch_reset(struct vtop_event_batch *b);

/* A vtop_event_fn: append @ev to the batch @ctx. */
void vtop_event_batch_add(const struct vtop_event *ev, void *ctx);

/*
 * Name every event's device from @newer, else @older (a device destroyed
 * in the interval), else "dev<N>". Either snapshot may be NULL.
 */
void vtop_event_batch_name(struct vtop_event_batch *b, const struct vtop_snapshot *older,
			   const struct vtop_snapshot *newer);

/* One line of text, without the device name: "status 0x7 -> 0xf". */
void vtop_event_describe(const struct vtop_event *ev, char *buf, size_t len);

#endif /* VTOP_EVENTS_H */
