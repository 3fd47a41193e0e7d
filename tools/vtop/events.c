// SPDX-License-Identifier: GPL-2.0
/*
 * Events of one interval (see events.h).
 */
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "names.h"

void vtop_event_batch_reset(struct vtop_event_batch *b)
{
	b->n = 0;
	b->dropped = 0;
}

void vtop_event_batch_add(const struct vtop_event *ev, void *ctx)
{
	struct vtop_event_batch *b = ctx;

	if (b->n >= VTOP_EVENT_BATCH_MAX) {
		b->dropped++;
		return;
	}
	b->ev[b->n] = *ev;
	b->names[b->n][0] = '\0';
	b->n++;
}

static const char *snap_dev_name(const struct vtop_snapshot *snap, uint32_t dev)
{
	size_t i;

	if (!snap)
		return NULL;
	for (i = 0; i < snap->ndevs; i++)
		if (snap->devs[i].dev == dev && snap->devs[i].info.name[0])
			return snap->devs[i].info.name;
	return NULL;
}

void vtop_event_batch_name(struct vtop_event_batch *b, const struct vtop_snapshot *older,
			   const struct vtop_snapshot *newer)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		const char *name = snap_dev_name(newer, b->ev[i].dev);

		if (!name)
			name = snap_dev_name(older, b->ev[i].dev);
		if (name)
			snprintf(b->names[i], sizeof(b->names[i]), "%.*s", VTOP_NAME_MAX, name);
		else
			snprintf(b->names[i], sizeof(b->names[i]), "dev%u", b->ev[i].dev);
	}
}

void vtop_event_describe(const struct vtop_event *ev, char *buf, size_t len)
{
	char type_buf[16];

	switch (ev->type) {
	case VTOP_EV_DEV_CREATE:
		snprintf(buf, len, "created (virtio id %u, %u queues)", ev->a, ev->b);
		break;
	case VTOP_EV_DEV_DESTROY:
		snprintf(buf, len, "destroyed");
		break;
	case VTOP_EV_MSG_TIMEOUT:
		snprintf(buf, len, "message %u (%s) timed out: device broken", ev->a,
			 vtop_msg_type_label(ev->b, type_buf, sizeof(type_buf)));
		break;
	case VTOP_EV_STATUS:
		snprintf(buf, len, "status 0x%02x -> 0x%02x", ev->a, ev->b);
		break;
	case VTOP_EV_BROKEN:
		snprintf(buf, len, "broken: %s", vtop_broken_reason_name(ev->a));
		break;
	case VTOP_EV_VQ_SETUP:
		snprintf(buf, len, "queue %u set up: size %u, %s", ev->queue, ev->a,
			 ev->b ? "ready" : "not ready");
		break;
	default:
		snprintf(buf, len, "event %u (%u, %u)", ev->type, ev->a, ev->b);
		break;
	}
}
