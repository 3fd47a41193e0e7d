// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshot lookups and lifetime.
 */
#include <stdlib.h>

#include "model.h"

void vtop_snapshot_free(struct vtop_snapshot *snap)
{
	free(snap->devs);
	free(snap->queues);
	snap->devs = NULL;
	snap->queues = NULL;
	snap->ndevs = 0;
	snap->nqueues = 0;
}

const struct vtop_dev_snap *vtop_snapshot_dev(const struct vtop_snapshot *snap,
					      uint32_t dev)
{
	size_t lo = 0, hi = snap->ndevs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (snap->devs[mid].dev == dev)
			return &snap->devs[mid];
		if (snap->devs[mid].dev < dev)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct vtop_queue_snap *vtop_snapshot_queue(const struct vtop_snapshot *snap,
						  uint32_t dev, uint32_t queue)
{
	size_t lo = 0, hi = snap->nqueues;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct vtop_queue_snap *q = &snap->queues[mid];

		if (q->dev == dev && q->queue == queue)
			return q;
		if (q->dev < dev || (q->dev == dev && q->queue < queue))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
