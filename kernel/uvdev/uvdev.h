/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uvdev: state shared by the driver's files.
 */
#ifndef _UVDEV_H
#define _UVDEV_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/highmem.h>
#include <linux/irq_work.h>
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

struct uvdev_zc;
struct uvdev_zc_ent;

/* A chain the backend has popped and not pushed yet. */
struct uvdev_inflight {
	u64 pop_ns;
	u32 out_bytes;
	u32 in_bytes;
	bool in_use;
	struct uvdev_zc_ent *zc;	/* its zero-copy mapping, or NULL */
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
	u32 slot;			/* among all devices' queues; see main.c */
	bool receive;			/* buffers wait for device-initiated data */

	/*
	 * Serialises everything that reads or changes the device side of the
	 * ring (the backend's pop, xfer and push, failing chains, setup,
	 * reset, teardown, backend restart) and protects the fields up to
	 * kick_lock. Held across kernel memory accesses only, never across a
	 * user memory access, so reset, teardown and destroy never wait on
	 * the backend.
	 */
	struct mutex lock;
	struct virtqueue *vq;		/* the driver's virtqueue, or NULL */
	const struct vring *vring;	/* its rings, in kernel memory */
	u32 num;			/* ring size */
	u32 gen;			/* bumped whenever the chains are forgotten */
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

	/*
	 * Written under both lock and kick_lock; read under either. The
	 * queue's interrupt is delivered only while it is set, under lock,
	 * so reset and teardown end every callback by taking lock.
	 */
	bool ready;

	/* First completion published since the last delivery, 0 if none. */
	atomic64_t unnotified_ns;
};

/* A device's asynchronous notifications (notif.c). */
struct uvdev_notif {
	u32 max;			/* the largest key */
	struct irq_work top_half;	/* takes the posted values */
	struct work_struct bottom_half;	/* delivers events to the driver */

	/*
	 * Protects everything below. Taken by posters, waiters and the top
	 * half, which runs in hard interrupt context: always irqsave, and raw
	 * so that it does not sleep there on PREEMPT_RT either. Every section
	 * is bounded: at most 256 values per post, UVDEV_NOTIF_MAX_WAITERS
	 * waiters, a bitmap of notif_max + 1 bits.
	 */
	raw_spinlock_t lock;
	unsigned long *posted;		/* values the top half has not taken */
	u32 *posts;			/* [max + 1]: posts merged into each */
	u64 *post_ns;			/* [max + 1]: when each was first posted */
	u32 cursor;			/* the top half takes values from here */
	unsigned long *remembered;	/* keys posted while no one waited */
	struct list_head waiters;	/* struct uvdev_notif_waiter */
	u32 nwaiters;
	u32 events;			/* UVDEV_NOTIF_EV_* for the bottom half */
	u64 bh_ns;			/* when the bottom half was asked for */
	int fail;			/* 0, or what every wait now ends with */
	struct {
		u64 posted, merged, delivered, woke, wakeups, remembered,
		    remembered_merged, consumed, bottom_halves, top_halves;
	} stats;			/* see struct uvdev_notif_state */
};

/*
 * The life of a device (lifecycle.c). Broken is separate: any live or
 * dying device can break, for good.
 */
enum uvdev_life {
	UVDEV_LIVE,		/* created; on the virtio bus from the first open */
	UVDEV_DYING,		/* destroy has begun: no backend may attach */
	UVDEV_DEAD,		/* destroyed: no work may be queued, the fd reads EOF */
};

struct uvdev_device {
	struct virtio_device vdev;	/* on the virtio bus once registered */
	struct device dev;		/* /sys/class/uvdev/<name>; owns the memory */
	struct cdev cdev;		/* /dev/uvdev/<name> */
	/* In uvdev_devices from create until destroy has removed the node. */
	struct list_head node;
	bool destroying;		/* under uvdev_devices_lock */

	u32 id;				/* stable id, the "dev" of every tracepoint */
	u32 serial;			/* never reused; the "serial" of queue tracepoints */
	char name[UVDEV_NAME_MAX];
	u32 device_id;
	u32 vendor_id;
	u64 device_features;
	u32 num_queues;
	u32 max_queue_size;
	u32 msg_timeout_ms;		/* READ_ONCE: sysfs may change it */
	bool busy_wait;			/* UVDEV_CREATE_F_BUSY_WAIT */

	/* Protects config and config_generation. */
	spinlock_t config_lock;
	u8 *config;
	u32 config_size;
	u32 config_generation;

	/* Set by the virtio core's calls, which it serialises; read by DEV_INFO. */
	u8 status;
	/* VIRTIO_CONFIG_S_NEEDS_RESET, set by the bottom half until a reset. */
	bool needs_reset;
	u64 driver_features;

	struct uvdev_vq *vqs;		/* [num_queues] */
	struct uvdev_notif notif;
	struct uvdev_zc *zc;		/* zero-copy window, or NULL (zc.c) */

	/*
	 * Protects the device's life (life, broken, backend), the control
	 * message queues and msg_next_id, and orders queueing work against
	 * destroy: work is queued only under it, and never once the device
	 * is dead. Taken from the driver's notify path, which may run with
	 * interrupts off, so always with interrupts disabled.
	 */
	spinlock_t state_lock;
	enum uvdev_life life;
	bool broken;			/* for good: every request fails */
	bool backend;			/* a backend holds the fd */
	bool reg_scheduled;		/* register_work was queued */
	struct list_head msg_pending;	/* queued, not read by the backend yet */
	struct list_head msg_sent;	/* read, awaiting the backend's reply */
	u32 msg_next_id;
	wait_queue_head_t msg_wq;	/* backend: messages, broken, dead */
	wait_queue_head_t reply_wq;	/* senders: replies */

	/* The core has initialised vdev's queue list (release/acquire). */
	bool vdev_initialised;
	/* Written by register_work; read once it is flushed or cancelled. */
	bool registered;

	struct work_struct register_work;	/* puts vdev on the bus */
	struct work_struct config_irq_work;	/* config-change interrupt */
	struct work_struct fail_work;		/* fails a broken device's rings */
	struct delayed_work deadline_work;	/* breaks an overrunning unbind */
};

static inline struct uvdev_device *to_uvdev(struct virtio_device *vdev)
{
	return container_of(vdev, struct uvdev_device, vdev);
}

/* main.c */
extern unsigned int uvdev_default_timeout_ms;

/* lifecycle.c */
int uvdev_lifecycle_init(void);
void uvdev_lifecycle_exit(void);
void uvdev_life_init(struct uvdev_device *udev);
bool uvdev_is_broken(struct uvdev_device *udev);
bool uvdev_is_dead(struct uvdev_device *udev);
bool uvdev_queue_work(struct uvdev_device *udev, struct work_struct *work);
__printf(3, 4) void uvdev_break(struct uvdev_device *udev, u32 reason,
				const char *fmt, ...);
int uvdev_backend_attach(struct uvdev_device *udev);
void uvdev_backend_detach(struct uvdev_device *udev);
void uvdev_destroy_device(struct uvdev_device *udev);

/* transport.c */
void uvdev_transport_init(struct uvdev_device *udev);
int uvdev_transport_register(struct uvdev_device *udev);
struct uvdev_device *uvdev_from_bus_device(struct device *dev);
u8 uvdev_status(struct uvdev_device *udev);
void uvdev_set_needs_reset(struct uvdev_device *udev);
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
void uvdev_msg_requeue_locked(struct uvdev_device *udev);
void uvdev_msg_fail_all_locked(struct uvdev_device *udev, int result);

/* notif.c */
int uvdev_notif_init(struct uvdev_device *udev, u32 max);
void uvdev_notif_free(struct uvdev_device *udev);
long uvdev_notify_ioctl(struct uvdev_device *udev,
			struct uvdev_notify __user *argp);
int uvdev_notif_wait(struct uvdev_device *udev, u32 key, u32 timeout_ms,
		     u64 *waited_ns);
void uvdev_notif_fail(struct uvdev_device *udev, int err);
void uvdev_notif_stop(struct uvdev_device *udev);
void uvdev_notif_state(struct uvdev_device *udev, struct uvdev_notif_state *st);

/* vq.c */
void uvdev_vq_init(struct uvdev_vq *uq, struct uvdev_device *udev, u32 index);
struct virtqueue *uvdev_vq_setup(struct uvdev_vq *uq, vq_callback_t *callback,
				 const char *name, bool ctx);
void uvdev_vq_teardown(struct uvdev_vq *uq);
void uvdev_vq_reset(struct uvdev_vq *uq);
void uvdev_vq_backend_gone(struct uvdev_vq *uq);
void uvdev_vq_fail_all(struct uvdev_vq *uq);
void uvdev_vq_sync_irq(struct uvdev_vq *uq);
void uvdev_vq_state(struct uvdev_vq *uq, struct uvdev_queue_state *st);
long uvdev_vq_ioctl(struct uvdev_device *udev, unsigned int cmd,
		    void __user *argp);

/*
 * Copy between physical memory and a kernel buffer (chain.c's walk, zc.c's
 * bounce pages); inline, for the chain walk's sake.
 */
static inline int uvdev_phys_kernel(u64 addr, void *buf, u32 len, bool to_buf)
{
	while (len) {
		unsigned long pfn = PHYS_PFN(addr);
		size_t off = offset_in_page(addr);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);

		if (!pfn_valid(pfn))
			return -EIO;
		if (to_buf)
			memcpy_from_page(buf, pfn_to_page(pfn), off, n);
		else
			memcpy_to_page(pfn_to_page(pfn), off, buf, n);
		addr += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* chain.c */
int uvdev_chain_measure(struct uvdev_vq *uq, u16 head,
			struct uvdev_vq_elem *elem);
int uvdev_chain_copy(struct uvdev_vq *uq, u16 head, bool in, u32 offset,
		     u32 len, struct iov_iter *iter);

int uvdev_chain_pieces(struct uvdev_vq *uq, u16 head, bool in, u32 offset,
		       u32 len, int (*fn)(void *ctx, u64 addr, u32 len, u32 pos),
		       void *ctx);

/* zc.c */
struct uvdev_zc_batch {
	struct list_head ents;		/* retired, to unmap and complete */
	u32 first;			/* window pages [first, last) to unmap */
	u32 last;
};

int uvdev_zc_alloc(struct uvdev_device *udev, u32 window_pages);
void uvdev_zc_free(struct uvdev_device *udev);
int uvdev_zc_mmap(struct uvdev_device *udev, struct file *file,
		  struct vm_area_struct *vma);
long uvdev_zc_ioctl(struct uvdev_device *udev, unsigned int cmd,
		    void __user *argp);
int uvdev_zc_map(struct uvdev_vq *uq, struct uvdev_inflight *inf, u16 head,
		 struct uvdev_zc_map *req, struct uvdev_zc_seg *segs);
void uvdev_zc_prefault(struct uvdev_device *udev, u32 first, u32 npages);
void uvdev_zc_retire(struct uvdev_vq *uq, struct uvdev_inflight *inf,
		     u32 used_len, struct uvdev_zc_batch *b);
void uvdev_zc_batch_flush(struct uvdev_device *udev, struct uvdev_zc_batch *b,
			  u64 now, bool complete);

/* Inline: every push and failure pass runs them, zero copy or not. */
static inline void uvdev_zc_batch_init(struct uvdev_zc_batch *b)
{
	INIT_LIST_HEAD(&b->ents);
	b->first = U32_MAX;
	b->last = 0;
}

/*
 * Unmap what @b retired, drop the page references and queue a completion
 * for each id (@complete) or forget it: before the driver can see the
 * completions.
 */
static inline void uvdev_zc_batch_end(struct uvdev_device *udev,
				      struct uvdev_zc_batch *b, u64 now,
				      bool complete)
{
	if (!list_empty(&b->ents))
		uvdev_zc_batch_flush(udev, b, now, complete);
}

void uvdev_zc_forget_queue(struct uvdev_vq *uq, bool complete);
void uvdev_zc_backend_gone(struct uvdev_device *udev);

#endif /* _UVDEV_H */
