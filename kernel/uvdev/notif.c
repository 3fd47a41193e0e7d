// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev: asynchronous notifications from the backend, on the model of
 * OP-TEE's (drivers/tee/optee/notif.c and its interrupt's value loop).
 *
 * The backend posts values (UVDEV_IOC_NOTIFY). A post only marks the value
 * posted and queues the top half, an irq_work: a burst of posts is one run.
 * The top half never sleeps: it takes the posted values one at a time, each
 * with a "more pending" answer, until none is left. Value 0 asks for the
 * bottom half, a work item that tells the driver of the events the backend
 * made pending (config change, NEEDS_RESET). Values 1..max are keys: a key
 * completes every task waiting for it, or, with no one waiting, is
 * remembered once for the next wait. A value posted again before the top
 * half took it is merged into that one delivery: nothing is delivered
 * twice, and every post is counted as delivered or merged.
 */
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/virtio_config.h>

#include "uvdev.h"
#include "trace.h"

/* A task waiting for a key; on its stack, on the device's list. */
struct uvdev_notif_waiter {
	struct list_head node;
	struct completion done;
	u64 start_ns;
	u32 key;
	bool ended;			/* result is set: woken or failed */
	int result;
};

/* ---- top half ------------------------------------------------------------ */

/*
 * Take one posted value, the next after the last one taken so no value
 * starves; false if none was posted. *more says whether others wait, as
 * OP-TEE's "get value" call does. Under n->lock.
 */
static bool uvdev_notif_take(struct uvdev_notif *n, u32 *value, bool *more)
{
	unsigned long v;

	v = find_next_bit(n->posted, n->max + 1, n->cursor);
	if (v > n->max)
		v = find_first_bit(n->posted, n->max + 1);
	if (v > n->max) {
		*more = false;
		return false;
	}
	__clear_bit(v, n->posted);
	n->cursor = v + 1;
	*value = v;
	*more = !bitmap_empty(n->posted, n->max + 1);
	return true;
}

/* Complete every waiter of @key; how many. Under n->lock. */
static u32 uvdev_notif_wake_key(struct uvdev_notif *n, u32 key)
{
	struct uvdev_notif_waiter *w;
	u32 woken = 0;

	list_for_each_entry(w, &n->waiters, node) {
		if (w->key != key || w->ended)
			continue;
		w->ended = true;
		w->result = 0;
		complete(&w->done);
		woken++;
	}
	return woken;
}

static void uvdev_notif_top_half(struct irq_work *work)
{
	struct uvdev_notif *n = container_of(work, struct uvdev_notif,
					     top_half);
	struct uvdev_device *udev = container_of(n, struct uvdev_device, notif);
	bool bottom_half = false;
	unsigned long flags;
	bool more;

	do {
		u32 value, posts, woken = 0;
		u64 post_ns, now;

		raw_spin_lock_irqsave(&n->lock, flags);
		if (!uvdev_notif_take(n, &value, &more)) {
			raw_spin_unlock_irqrestore(&n->lock, flags);
			break;
		}
		now = ktime_get_ns();
		posts = n->posts[value];
		post_ns = n->post_ns[value];
		n->stats.delivered++;
		if (value == UVDEV_NOTIF_BOTTOM_HALF) {
			if (!bottom_half)
				n->bh_ns = now;
			bottom_half = true;
		} else {
			woken = uvdev_notif_wake_key(n, value);
			if (woken) {
				n->stats.woke++;
				n->stats.wakeups += woken;
			} else if (__test_and_set_bit(value, n->remembered)) {
				n->stats.remembered_merged++;
			} else {
				n->stats.remembered++;
			}
		}
		raw_spin_unlock_irqrestore(&n->lock, flags);
		trace_uvdev_notif_deliver(udev->id, value, now - post_ns, posts,
					  woken);
	} while (more);

	raw_spin_lock_irqsave(&n->lock, flags);
	n->stats.top_halves++;
	raw_spin_unlock_irqrestore(&n->lock, flags);
	/* Refused once the device is dead: its driver is gone. */
	if (bottom_half)
		uvdev_queue_work(udev, &n->bottom_half);
}

/* ---- bottom half --------------------------------------------------------- */

static void uvdev_notif_bottom_half(struct work_struct *work)
{
	struct uvdev_notif *n = container_of(work, struct uvdev_notif,
					     bottom_half);
	struct uvdev_device *udev = container_of(n, struct uvdev_device, notif);
	unsigned long flags;
	u32 events;
	u64 asked;

	raw_spin_lock_irqsave(&n->lock, flags);
	events = n->events;
	n->events = 0;
	asked = n->bh_ns;
	n->stats.bottom_halves++;
	raw_spin_unlock_irqrestore(&n->lock, flags);
	trace_uvdev_notif_bh(udev->id, events, ktime_get_ns() - asked);

	if (events & UVDEV_NOTIF_EV_NEEDS_RESET)
		uvdev_set_needs_reset(udev);
	/*
	 * Pairs with the release in uvdev_reset(). Before a driver is bound
	 * the core only notes the change; the driver reads config at probe.
	 */
	if (events && smp_load_acquire(&udev->vdev_initialised))
		virtio_config_changed(&udev->vdev);
}

/* ---- posting ------------------------------------------------------------- */

long uvdev_notify_ioctl(struct uvdev_device *udev,
			struct uvdev_notify __user *argp)
{
	struct uvdev_notif *n = &udev->notif;
	struct uvdev_notify req;
	unsigned long flags;
	u32 *values = NULL;
	long ret = 0;
	u64 now;
	u32 i;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (memchr_inv(req.reserved, 0, sizeof(req.reserved)) ||
	    (req.events & ~UVDEV_NOTIF_EVENTS) || req.count > UVDEV_MAX_BATCH ||
	    (!req.count && !req.events))
		return -EINVAL;
	if (req.count) {
		values = memdup_user(u64_to_user_ptr(req.values),
				     req.count * sizeof(*values));
		if (IS_ERR(values))
			return PTR_ERR(values);
	}
	for (i = 0; i < req.count; i++) {
		if (values[i] > n->max) {
			ret = -EINVAL;
			goto out;
		}
	}

	now = ktime_get_ns();
	raw_spin_lock_irqsave(&n->lock, flags);
	if (n->fail) {
		ret = n->fail;
		raw_spin_unlock_irqrestore(&n->lock, flags);
		goto out;
	}
	n->events |= req.events;
	for (i = 0; i < req.count; i++) {
		u32 v = values[i];

		n->stats.posted++;
		if (__test_and_set_bit(v, n->posted)) {
			n->stats.merged++;
			n->posts[v]++;
		} else {
			n->posts[v] = 1;
			n->post_ns[v] = now;
		}
	}
	/* Under the lock: once n->fail is set, no top half is queued. */
	if (req.count)
		irq_work_queue(&n->top_half);
	raw_spin_unlock_irqrestore(&n->lock, flags);

	if (trace_uvdev_notif_post_enabled())
		for (i = 0; i < req.count; i++)
			trace_uvdev_notif_post(udev->id, values[i], req.count);
out:
	kfree(values);
	return ret;
}

/* ---- waiting ------------------------------------------------------------- */

/**
 * uvdev_notif_wait - wait for a key to be posted
 * @udev: the device; the caller holds a reference
 * @key: 1..the device's notif_max
 * @timeout_ms: how long to wait; 0 only takes a remembered key
 * @waited_ns: out: how long it waited
 *
 * Return: 0 when the key was posted (or remembered), -EINVAL a bad key,
 * -EAGAIN timeout 0 and not remembered, -ETIMEDOUT, -EINTR on a signal,
 * -ENOSPC too many waiters, -EIO the device broke, -ENODEV it is destroyed.
 */
int uvdev_notif_wait(struct uvdev_device *udev, u32 key, u32 timeout_ms,
		     u64 *waited_ns)
{
	struct uvdev_notif *n = &udev->notif;
	struct uvdev_notif_waiter w = { .key = key };
	unsigned long flags;
	u32 result;
	long left;
	int ret;

	if (!key || key > n->max || timeout_ms > UVDEV_MAX_TIMEOUT_MS)
		return -EINVAL;
	w.start_ns = ktime_get_ns();
	init_completion(&w.done);
	trace_uvdev_notif_wait_start(udev->id, key);

	raw_spin_lock_irqsave(&n->lock, flags);
	if (n->fail) {
		ret = n->fail;
	} else if (__test_and_clear_bit(key, n->remembered)) {
		n->stats.consumed++;
		ret = 0;
	} else if (!timeout_ms) {
		ret = -EAGAIN;
	} else if (n->nwaiters >= UVDEV_NOTIF_MAX_WAITERS) {
		ret = -ENOSPC;
	} else {
		list_add_tail(&w.node, &n->waiters);
		n->nwaiters++;
		ret = 1;	/* waits */
	}
	raw_spin_unlock_irqrestore(&n->lock, flags);

	if (ret == 1) {
		unsigned long timeout = msecs_to_jiffies(timeout_ms);

		left = wait_for_completion_interruptible_timeout(&w.done,
								 timeout);
		raw_spin_lock_irqsave(&n->lock, flags);
		if (w.ended)
			ret = w.result;
		else
			ret = left ? -EINTR : -ETIMEDOUT;
		list_del(&w.node);
		n->nwaiters--;
		raw_spin_unlock_irqrestore(&n->lock, flags);
		result = !ret ? UVDEV_TRACE_WAIT_WOKEN :
			 ret == -ETIMEDOUT ? UVDEV_TRACE_WAIT_TIMEOUT :
			 ret == -EINTR ? UVDEV_TRACE_WAIT_INTERRUPTED :
			 UVDEV_TRACE_WAIT_FAILED;
	} else {
		result = !ret ? UVDEV_TRACE_WAIT_REMEMBERED :
			 ret == -EAGAIN ? UVDEV_TRACE_WAIT_TIMEOUT :
			 UVDEV_TRACE_WAIT_FAILED;
	}
	*waited_ns = ktime_get_ns() - w.start_ns;
	trace_uvdev_notif_wait_end(udev->id, key, result, *waited_ns);
	return ret;
}

/**
 * uvdev_notif_fail - end every wait with @err, and refuse later ones
 * @udev: the device
 * @err: -EIO when it broke, -ENODEV when it is destroyed
 *
 * The first error stays. Posts are refused from now on, so no top half is
 * queued after this returns; callable from any context.
 */
void uvdev_notif_fail(struct uvdev_device *udev, int err)
{
	struct uvdev_notif *n = &udev->notif;
	struct uvdev_notif_waiter *w;
	unsigned long flags;

	raw_spin_lock_irqsave(&n->lock, flags);
	if (!n->fail)
		n->fail = err;
	list_for_each_entry(w, &n->waiters, node) {
		if (w->ended)
			continue;
		w->ended = true;
		w->result = n->fail;
		complete(&w->done);
	}
	raw_spin_unlock_irqrestore(&n->lock, flags);
}

/*
 * Destroy: no wait outlives it, and no top half or bottom half runs after
 * this. The device is dead, so uvdev_queue_work() refuses the bottom half.
 */
void uvdev_notif_stop(struct uvdev_device *udev)
{
	uvdev_notif_fail(udev, -ENODEV);
	irq_work_sync(&udev->notif.top_half);
	cancel_work_sync(&udev->notif.bottom_half);
}

void uvdev_notif_state(struct uvdev_device *udev, struct uvdev_notif_state *st)
{
	struct uvdev_notif *n = &udev->notif;
	struct uvdev_notif_waiter *w;
	unsigned long flags;

	raw_spin_lock_irqsave(&n->lock, flags);
	st->notif_max = n->max;
	st->remembered_now = bitmap_weight(n->remembered, n->max + 1);
	st->events = n->events;
	/* A waiter already woken, or failed, waits no more: not counted. */
	list_for_each_entry(w, &n->waiters, node) {
		if (w->ended)
			continue;
		st->waiters++;
		if (!st->oldest_wait_ns || w->start_ns < st->oldest_wait_ns)
			st->oldest_wait_ns = w->start_ns;
	}
	st->posted = n->stats.posted;
	st->merged = n->stats.merged;
	st->delivered = n->stats.delivered;
	st->woke = n->stats.woke;
	st->wakeups = n->stats.wakeups;
	st->remembered = n->stats.remembered;
	st->remembered_merged = n->stats.remembered_merged;
	st->consumed = n->stats.consumed;
	st->bottom_halves = n->stats.bottom_halves;
	st->top_halves = n->stats.top_halves;
	raw_spin_unlock_irqrestore(&n->lock, flags);
}

/* ---- the device's notification state ---------------------------------- */

int uvdev_notif_init(struct uvdev_device *udev, u32 max)
{
	struct uvdev_notif *n = &udev->notif;

	n->max = max;
	raw_spin_lock_init(&n->lock);
	INIT_LIST_HEAD(&n->waiters);
	n->posted = bitmap_zalloc(max + 1, GFP_KERNEL);
	n->remembered = bitmap_zalloc(max + 1, GFP_KERNEL);
	n->posts = kcalloc(max + 1, sizeof(*n->posts), GFP_KERNEL);
	n->post_ns = kcalloc(max + 1, sizeof(*n->post_ns), GFP_KERNEL);
	n->top_half = IRQ_WORK_INIT_HARD(uvdev_notif_top_half);
	INIT_WORK(&n->bottom_half, uvdev_notif_bottom_half);
	/* uvdev_notif_free() frees what was allocated. */
	if (!n->posted || !n->remembered || !n->posts || !n->post_ns)
		return -ENOMEM;
	return 0;
}

void uvdev_notif_free(struct uvdev_device *udev)
{
	struct uvdev_notif *n = &udev->notif;

	kfree(n->post_ns);
	kfree(n->posts);
	bitmap_free(n->remembered);
	bitmap_free(n->posted);
}
