// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev: control messages to the backend.
 *
 * A sender queues a message and sleeps until the backend answers it, the
 * timeout passes or the sender is killed. The backend reads messages with
 * read() and answers with write() on its device fd. A timeout breaks the
 * device (lifecycle.c): every waiting and later message fails with -EIO and
 * the driver's requests are failed, so a hung backend costs one timeout,
 * never a hung kernel.
 */
#include <linux/jiffies.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "uvdev.h"
#include "trace.h"

/* A message in flight; lives on its sender's stack. */
struct uvdev_pending_msg {
	struct list_head node;		/* in msg_pending or msg_sent */
	struct uvdev_msg msg;
	int result;
	bool done;
};

void uvdev_msg_init(struct uvdev_device *udev)
{
	INIT_LIST_HEAD(&udev->msg_pending);
	INIT_LIST_HEAD(&udev->msg_sent);
	init_waitqueue_head(&udev->msg_wq);
	init_waitqueue_head(&udev->reply_wq);
}

/* Complete every queued message with @result. Caller holds state_lock. */
void uvdev_msg_fail_all_locked(struct uvdev_device *udev, int result)
{
	struct uvdev_pending_msg *pm, *tmp;

	lockdep_assert_held(&udev->state_lock);
	list_splice_tail_init(&udev->msg_sent, &udev->msg_pending);
	list_for_each_entry_safe(pm, tmp, &udev->msg_pending, node) {
		list_del_init(&pm->node);
		pm->result = result;
		WRITE_ONCE(pm->done, true);
	}
	wake_up_all(&udev->reply_wq);
}

/*
 * Messages the backend read and did not answer go back in front of the
 * queue, for the next backend. Caller holds state_lock.
 */
void uvdev_msg_requeue_locked(struct uvdev_device *udev)
{
	lockdep_assert_held(&udev->state_lock);
	list_splice_init(&udev->msg_sent, &udev->msg_pending);
}

static u32 uvdev_msg_trace_result(int ret)
{
	switch (ret) {
	case 0:
		return UVDEV_TRACE_MSG_OK;
	case -ETIMEDOUT:
		return UVDEV_TRACE_MSG_TIMEOUT;
	case -EINTR:
		return UVDEV_TRACE_MSG_INTERRUPTED;
	default:
		return UVDEV_TRACE_MSG_FAILED;
	}
}

/*
 * A backend refuses with one of a few errnos the driver core and drivers
 * handle; anything else (-EPROBE_DEFER, -ERESTARTSYS, ...) would mean
 * something it does not, and becomes -EIO.
 */
static int uvdev_msg_result(s32 result)
{
	switch (result) {
	case 0:
	case -EINVAL:
	case -EIO:
	case -ENOMEM:
	case -ENOSPC:
	case -EBUSY:
	case -EOPNOTSUPP:
		return result;
	default:
		return -EIO;
	}
}

/**
 * uvdev_msg_sync - send a control message and wait for the backend's answer
 * @udev: the device
 * @msg: type and payload; the id is assigned here
 *
 * Return: the backend's result (0 or one of the errnos uvdev_msg_result()
 * passes), -ETIMEDOUT (the device is now broken), -EINTR (killed), -EIO
 * (already broken) or -ENOTCONN (the device is destroyed).
 */
int uvdev_msg_sync(struct uvdev_device *udev, struct uvdev_msg *msg)
{
	struct uvdev_pending_msg pm = { .msg = *msg };
	unsigned int timeout_ms = READ_ONCE(udev->msg_timeout_ms);
	unsigned long flags;
	bool timed_out = false;
	long left;
	u64 start;
	int ret;

	INIT_LIST_HEAD(&pm.node);
	spin_lock_irqsave(&udev->state_lock, flags);
	pm.msg.id = udev->msg_next_id++;
	if (udev->broken) {
		ret = -EIO;
	} else if (udev->life == UVDEV_DEAD) {
		ret = -ENOTCONN;
	} else {
		list_add_tail(&pm.node, &udev->msg_pending);
		ret = 0;
	}
	spin_unlock_irqrestore(&udev->state_lock, flags);

	start = ktime_get_ns();
	trace_uvdev_msg_send(udev->id, pm.msg.id, pm.msg.type);
	if (ret)
		goto out;
	wake_up_interruptible_poll(&udev->msg_wq, EPOLLIN | EPOLLRDNORM);

	left = wait_event_killable_timeout(udev->reply_wq, READ_ONCE(pm.done),
					   msecs_to_jiffies(timeout_ms));

	spin_lock_irqsave(&udev->state_lock, flags);
	if (pm.done) {
		ret = pm.result;
	} else {
		list_del(&pm.node);
		timed_out = left == 0;
		ret = timed_out ? -ETIMEDOUT : -EINTR;
	}
	spin_unlock_irqrestore(&udev->state_lock, flags);

	if (timed_out)
		uvdev_break(udev, UVDEV_TRACE_BROKEN_MSG_TIMEOUT,
			    "backend did not answer message %u (type %u) within %u ms",
			    pm.msg.id, pm.msg.type, timeout_ms);
out:
	trace_uvdev_msg_done(udev->id, pm.msg.id, pm.msg.type,
			     uvdev_msg_trace_result(ret), ktime_get_ns() - start);
	return ret;
}

static bool uvdev_msg_readable(struct uvdev_device *udev)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&udev->state_lock, flags);
	ret = !list_empty(&udev->msg_pending) || udev->broken ||
	      udev->life == UVDEV_DEAD;
	spin_unlock_irqrestore(&udev->state_lock, flags);
	return ret;
}

ssize_t uvdev_msg_read(struct uvdev_device *udev, char __user *buf,
		       size_t count, bool nonblock)
{
	struct uvdev_pending_msg *pm;
	struct uvdev_msg msg;
	unsigned long flags;
	int ret;

	if (count < sizeof(msg))
		return -EINVAL;

	for (;;) {
		spin_lock_irqsave(&udev->state_lock, flags);
		if (udev->broken) {
			ret = -EIO;
			goto out_unlock;
		}
		if (udev->life == UVDEV_DEAD) {
			ret = 0;
			goto out_unlock;
		}
		pm = list_first_entry_or_null(&udev->msg_pending,
					      struct uvdev_pending_msg, node);
		if (pm)
			break;
		spin_unlock_irqrestore(&udev->state_lock, flags);
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(udev->msg_wq,
					       uvdev_msg_readable(udev));
		if (ret)
			return ret;
	}
	list_move_tail(&pm->node, &udev->msg_sent);
	msg = pm->msg;
	spin_unlock_irqrestore(&udev->state_lock, flags);

	if (copy_to_user(buf, &msg, sizeof(msg))) {
		/* Put it back in front, if its sender is still waiting. */
		spin_lock_irqsave(&udev->state_lock, flags);
		list_for_each_entry(pm, &udev->msg_sent, node) {
			if (pm->msg.id == msg.id) {
				list_move(&pm->node, &udev->msg_pending);
				break;
			}
		}
		spin_unlock_irqrestore(&udev->state_lock, flags);
		return -EFAULT;
	}
	return sizeof(msg);

out_unlock:
	spin_unlock_irqrestore(&udev->state_lock, flags);
	return ret;
}

ssize_t uvdev_msg_write(struct uvdev_device *udev, const char __user *buf,
			size_t count)
{
	struct uvdev_msg_reply reply;
	struct uvdev_pending_msg *pm;
	unsigned long flags;
	int ret = -ENOENT;

	if (count != sizeof(reply))
		return -EINVAL;
	if (copy_from_user(&reply, buf, sizeof(reply)))
		return -EFAULT;
	if (reply.reserved || reply.result > 0 || reply.result < -MAX_ERRNO)
		return -EINVAL;

	spin_lock_irqsave(&udev->state_lock, flags);
	if (udev->broken) {
		ret = -EIO;
		goto out_unlock;
	}
	list_for_each_entry(pm, &udev->msg_sent, node) {
		if (pm->msg.id != reply.id)
			continue;
		if (pm->msg.type != reply.type) {
			ret = -EINVAL;
			break;
		}
		list_del_init(&pm->node);
		pm->result = uvdev_msg_result(reply.result);
		WRITE_ONCE(pm->done, true);
		wake_up_all(&udev->reply_wq);
		ret = sizeof(reply);
		break;
	}
out_unlock:
	spin_unlock_irqrestore(&udev->state_lock, flags);
	return ret;
}

__poll_t uvdev_msg_poll(struct uvdev_device *udev, struct file *file,
			poll_table *wait)
{
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;
	unsigned long flags;

	poll_wait(file, &udev->msg_wq, wait);
	spin_lock_irqsave(&udev->state_lock, flags);
	if (!list_empty(&udev->msg_pending))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (udev->broken)
		mask |= EPOLLERR;
	if (udev->life == UVDEV_DEAD)
		mask |= EPOLLHUP;
	spin_unlock_irqrestore(&udev->state_lock, flags);
	return mask;
}
