/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Synthetic snapshots for vtop's unit tests: fixed arrays, no allocation,
 * so a test builds one on its stack and never frees it.
 */
#ifndef VTOP_FIXTURE_H
#define VTOP_FIXTURE_H

#include <stdint.h>

#include "model.h"

#define FIXTURE_DEVS	4
#define FIXTURE_QUEUES	8
#define MS		1000000ULL	/* nanoseconds */
#define SEC		1000000000ULL

struct fixture {
	struct vtop_snapshot snap;
	struct vtop_dev_snap devs[FIXTURE_DEVS];
	struct vtop_queue_snap queues[FIXTURE_QUEUES];
};

/* An empty snapshot taken at @now_ns (monotonic) and @wall_ms. */
void fixture_init(struct fixture *f, uint64_t now_ns, int64_t wall_ms);

/* Add device @dev named @name with status @status (DRIVER_OK etc.). */
struct vtop_dev_snap *fixture_dev(struct fixture *f, uint32_t dev, const char *name,
				  uint32_t status);

/* Add queue @queue of device @dev: ready, size 256. */
struct vtop_queue_snap *fixture_queue(struct fixture *f, uint32_t dev, uint32_t queue);

/* The virtio status of a device the driver runs: ACK | DRIVER | FEATURES_OK | DRIVER_OK. */
#define STATUS_RUNNING	0x0f

#endif /* VTOP_FIXTURE_H */
