/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the vtop BPF programs and user space. Fixed-width fields
 * only; both sides check the sizes at compile time.
 */
#ifndef VTOP_H
#define VTOP_H

#define VTOP_NAME_MAX		32	/* = UVDEV_NAME_MAX */
#define VTOP_MAX_DEVICES	256

/* Lifecycle counters, one slot each in the lifecycle_counts map. */
enum vtop_lifecycle {
	VTOP_LC_DEV_CREATE,
	VTOP_LC_DEV_DESTROY,
	VTOP_LC_MAX,
};

/* Value of the devices map, keyed by the device id. */
struct vtop_dev_info {
	char name[VTOP_NAME_MAX];
	__u32 device_id;
	__u32 num_queues;
	__u32 max_queue_size;
	__u32 pad;
};

#define VTOP_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
VTOP_STATIC_ASSERT(sizeof(struct vtop_dev_info) == 48, "vtop_dev_info layout");

#endif /* VTOP_H */
