// SPDX-License-Identifier: GPL-2.0
/*
 * Synthetic snapshots for vtop's unit tests (see vtop_fixture.h).
 */
#include <stdlib.h>
#include <string.h>

#include "vtop_fixture.h"

void fixture_init(struct fixture *f, uint64_t now_ns, int64_t wall_ms)
{
	memset(f, 0, sizeof(*f));
	f->snap.now_ns = now_ns;
	f->snap.wall_ms = wall_ms;
	f->snap.devs = f->devs;
	f->snap.queues = f->queues;
}

struct vtop_dev_snap *fixture_dev(struct fixture *f, uint32_t dev, const char *name,
				  uint32_t status)
{
	struct vtop_dev_snap *d;

	if (f->snap.ndevs >= FIXTURE_DEVS)
		abort();
	d = &f->devs[f->snap.ndevs++];
	d->dev = dev;
	strncpy(d->info.name, name, sizeof(d->info.name));
	d->info.device_id = 2;
	d->info.num_queues = 1;
	d->info.max_queue_size = 256;
	d->info.status = status;
	return d;
}

struct vtop_queue_snap *fixture_queue(struct fixture *f, uint32_t dev, uint32_t queue)
{
	struct vtop_queue_snap *q;

	if (f->snap.nqueues >= FIXTURE_QUEUES)
		abort();
	q = &f->queues[f->snap.nqueues++];
	q->dev = dev;
	q->queue = queue;
	q->k.known = true;
	q->k.flags = UVDEV_QUEUE_READY | UVDEV_QUEUE_BACKEND;
	q->k.size = 256;
	return q;
}
