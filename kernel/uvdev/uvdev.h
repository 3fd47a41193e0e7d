/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uvdev: state shared by the driver's files.
 */
#ifndef _UVDEV_H
#define _UVDEV_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/uvdev.h>
#include <uapi/uvdev_trace.h>

#define UVDEV_MAX_DEVICES	256
#define UVDEV_KICK_STAMPS	16

/* A chain the backend has popped and not pushed yet. */
struct uvdev_inflight {
	u64 pop_ns;
	u32 out_bytes;
	u32 in_bytes;
	bool in_use;
};

/* When a kick made the chains before avail index @avail_idx visible. */
struct uvdev_kick_stamp {
	u64 ns;
	u16 avail_idx;
};

/* The device side of one virtqueue. */
struct uvdev_vq {
	struct uvdev_device *udev;
	u32 index;

	/*
	 * Serialises the backend's ring access (pop, xfer, push) with queue
	 * setup, reset and teardown, and protects the fields up to kick_lock.
	 */
	struct mutex lock;
	struct virtqueue *vq;		/* the driver's virtqueue, or NULL */
	const struct vring *vring;	/* its rings, in kernel memory */
	u32 num;			/* ring size */
	u16 last_avail;			/* next avail ring slot to pop */
	u16 used_idx;			/* next used ring slot to fill */
	u32 ninflight;
	struct uvdev_inflight *inflight;	/* [num], by head */
	u16 *resubmit;			/* heads to hand out again, [num] */
	u32 nresubmit;

	/*
	 * Protects the kick state below. Taken in the driver's notify path,
	 * which may run with interrupts disabled.
	 */
	spinlock_t kick_lock;
	struct eventfd_ctx *kickfd;
	bool kick_pending;		/* a kick came while no eventfd was set */
	struct uvdev_kick_stamp stamps[UVDEV_KICK_STAMPS];
	u32 stamp_first;
	u32 stamp_count;

	/* Written under both lock and kick_lock; read under either. */
	bool ready;

	struct work_struct irq_work;
	atomic64_t irq_inject_ns;	/* first undelivered inject, 0 if none */
};

struct uvdev_device {
	struct virtio_device vdev;	/* on the virtio bus once registered */
	struct device dev;		/* /sys/class/uvdev/<name>; owns the memory */
	struct cdev cdev;		/* /dev/uvdev/<name> */
	struct list_head node;		/* in uvdev_devices, under uvdev_devices_lock */

	u32 id;				/* stable id, the "dev" of every tracepoint */
	char name[UVDEV_NAME_MAX];
	u32 device_id;
	u32 vendor_id;
	u64 device_features;
	u32 num_queues;
	u32 max_queue_size;
	u32 msg_timeout_ms;		/* READ_ONCE: sysfs may change it */

	/* Protects config and config_generation. */
	spinlock_t config_lock;
	u8 *config;
	u32 config_size;
	u32 config_generation;

	/* Set by the virtio core's calls, which it serialises; read by DEV_INFO. */
	u8 status;
	u64 driver_features;

	struct uvdev_vq *vqs;		/* [num_queues] */

	/* Protects the message lists, msg_next_id, broken, dying and dead. */
	spinlock_t msg_lock;
	struct list_head msg_pending;	/* queued, not read by the backend yet */
	struct list_head msg_sent;	/* read, awaiting the backend's reply */
	u32 msg_next_id;
	bool broken;			/* a message timed out */
	bool dying;			/* destroy has begun */
	bool dead;			/* destroyed; the fd outlived it */
	wait_queue_head_t msg_wq;	/* backend: messages, broken, dead */
	wait_queue_head_t reply_wq;	/* senders: replies */
	struct work_struct broken_work;

	atomic_t backend_open;		/* 1 while a backend holds the fd */

	/*
	 * Serialises scheduling the registration on the virtio bus (first
	 * open) with destroy; protects reg_scheduled. registered is written
	 * under it and read with READ_ONCE by work items.
	 */
	struct mutex reg_lock;
	bool reg_scheduled;
	bool registered;
	struct work_struct register_work;
	struct work_struct config_irq_work;
};

static inline struct uvdev_device *to_uvdev(struct virtio_device *vdev)
{
	return container_of(vdev, struct uvdev_device, vdev);
}

/* main.c */
extern unsigned int uvdev_default_timeout_ms;
extern struct workqueue_struct *uvdev_irq_wq;

/* transport.c */
void uvdev_transport_init(struct uvdev_device *udev);
int uvdev_transport_register(struct uvdev_device *udev);
long uvdev_config_ioctl(struct uvdev_device *udev, unsigned int cmd,
			struct uvdev_config_update __user *argp);

/* msg.c */
void uvdev_msg_init(struct uvdev_device *udev);
int uvdev_msg_sync(struct uvdev_device *udev, struct uvdev_msg *msg);
ssize_t uvdev_msg_read(struct uvdev_device *udev, char __user *buf,
		       size_t count, bool nonblock);
ssize_t uvdev_msg_write(struct uvdev_device *udev, const char __user *buf,
			size_t count);
__poll_t uvdev_msg_poll(struct uvdev_device *udev, struct file *file,
			poll_table *wait);
void uvdev_msg_backend_gone(struct uvdev_device *udev);
void uvdev_msg_kill(struct uvdev_device *udev);
bool uvdev_is_broken(struct uvdev_device *udev);
void uvdev_mark_broken(struct uvdev_device *udev);

/* vq.c */
void uvdev_vq_init(struct uvdev_vq *uq, struct uvdev_device *udev, u32 index);
struct virtqueue *uvdev_vq_setup(struct uvdev_vq *uq, vq_callback_t *callback,
				 const char *name, bool ctx);
void uvdev_vq_teardown(struct uvdev_vq *uq);
void uvdev_vq_reset(struct uvdev_vq *uq);
void uvdev_vq_backend_gone(struct uvdev_vq *uq);
void uvdev_vq_fail_all(struct uvdev_vq *uq);
void uvdev_vq_sync_irq(struct uvdev_vq *uq);
long uvdev_vq_ioctl(struct uvdev_device *udev, unsigned int cmd,
		    void __user *argp);

#endif /* _UVDEV_H */
