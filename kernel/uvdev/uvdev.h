/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uvdev: state shared by the driver's files.
 */
#ifndef _UVDEV_H
#define _UVDEV_H

#include <linux/list.h>
#include <linux/types.h>
#include <uapi/uvdev.h>

struct uvdev_device {
	struct list_head node;		/* in uvdev_devices, under uvdev_devices_lock */
	u32 id;				/* stable id, the "dev" of every tracepoint */
	char name[UVDEV_NAME_MAX];
	u32 device_id;			/* virtio device id */
	u32 num_queues;
	u32 max_queue_size;
};

#endif /* _UVDEV_H */
