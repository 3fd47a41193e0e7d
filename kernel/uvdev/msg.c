// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev: control messages to the backend.
 *
 * A sender queues a message and sleeps until the backend answers it, the
 * timeout passes or the sender is killed. The backend reads messages with
 * read() and answers with write() on its device fd. A timeout marks the
 * device broken: every waiting and later message fails with -EIO, the
 * driver's requests are failed, and the virtio device is broken, so a hung
 * backend costs one timeout, never a hung kernel.
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

static void uvdev_broken_work(struct work_struct *work);

void uvdev_msg_init(struct uvdev_device *udev)
{
	spin_lock_init(&udev->msg_lock);
	INIT_LIST_HEAD(&udev->msg_pending);
	INIT_LIST_HEAD(&udev->msg_sent);
	init_waitqueue_head(&udev->msg_wq);
	init_waitqueue_head(&udev->reply_wq);
	INIT_WORK(&udev->broken_work, uvdev_broken_work);
}

bool uvdev_is_broken(struct uvdev_device *udev)
{
	return READ_ONCE(udev->broken);
}

/* Complete every queued message with @result. Caller holds msg_lock. */
static void uvdev_msg_fail_all(struct uvdev_device *udev, int result)
{
	struct uvdev_pending_msg *pm, *tmp;

	list_splice_tail_init(&udev->msg_sent, &udev->msg_pending);
	list_for_each_entry_safe(pm, tmp, &udev->msg_pending, node) {
		list_del_init(&pm->node);
		pm->result = result;
		WRITE_ONCE(pm->done, true);
	}
	wake_up_all(&udev->reply_wq);
}

/*
 * Fail what the driver has in the rings, then break the virtio device so
 * the driver stops adding more. Runs from a work item: the failing sender
 * may be inside one of the driver's own calls.
 */
static void uvdev_broken_work(struct work_struct *work)
{
	struct uvdev_device *udev = container_of(work, struct uvdev_device,
						 broken_work);
	u32 i;

	for (i = 0; i < udev->num_queues; i++)
		uvdev_vq_fail_all(&udev->vqs[i]);
	if (READ_ONCE(udev->registered))
		virtio_break_device(&udev->vdev);
}

/* Returns true if this call broke the device. Caller holds msg_lock. */
static bool uvdev_set_broken_locked(struct uvdev_device *udev)
{
	if (udev->broken)
		return false;
	udev->broken = true;
	uvdev_msg_fail_all(udev, -EIO);
	return true;
}

static void uvdev_broken_notify(struct uvdev_device *udev)
{
	wake_up_interruptible_poll(&udev->msg_wq, EPOLLERR);
	queue_work(system_wq, &udev->broken_work);
}

/* Mark the device broken (idempotent), for faults found outside messages. */
void uvdev_mark_broken(struct uvdev_device *udev)
{
	bool broke;

	spin_lock(&udev->msg_lock);
	broke = uvdev_set_broken_locked(udev);
	spin_unlock(&udev->msg_lock);
	if (broke)
		uvdev_broken_notify(udev);
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

/**
 * uvdev_msg_sync - send a control message and wait for the backend's answer
 * @udev: the device
 * @msg: type and payload; the id is assigned here
 *
 * Return: the backend's result (0 or a negative errno), -ETIMEDOUT (the
 * device is now broken), -EINTR (killed), -EIO (already broken) or
 * -ENOTCONN (the device is being destroyed and no backend is attached).
 */
int uvdev_msg_sync(struct uvdev_device *udev, struct uvdev_msg *msg)
{
	struct uvdev_pending_msg pm = { .msg = *msg };
	unsigned int timeout_ms = READ_ONCE(udev->msg_timeout_ms);
	bool broke = false;
	long left;
	u64 start;
	int ret;

	INIT_LIST_HEAD(&pm.node);
	spin_lock(&udev->msg_lock);
	pm.msg.id = udev->msg_next_id++;
	if (udev->broken) {
		ret = -EIO;
	} else if (udev->dead ||
		   (udev->dying && !atomic_read(&udev->backend_open))) {
		ret = -ENOTCONN;
	} else {
		list_add_tail(&pm.node, &udev->msg_pending);
		ret = 0;
	}
	spin_unlock(&udev->msg_lock);

	start = ktime_get_ns();
	trace_uvdev_msg_send(udev->id, pm.msg.id, pm.msg.type);
	if (ret)
		goto out;
	wake_up_interruptible_poll(&udev->msg_wq, EPOLLIN | EPOLLRDNORM);

	left = wait_event_killable_timeout(udev->reply_wq, READ_ONCE(pm.done),
					   msecs_to_jiffies(timeout_ms));

	spin_lock(&udev->msg_lock);
	if (pm.done) {
		ret = pm.result;
	} else {
		list_del(&pm.node);
		if (left == 0) {
			ret = -ETIMEDOUT;
			broke = uvdev_set_broken_locked(udev);
		} else {
			ret = -EINTR;
		}
	}
	spin_unlock(&udev->msg_lock);

	if (broke) {
		dev_err(&udev->dev,
			"backend did not answer message %u (type %u) within %u ms: device broken, destroy it\n",
			pm.msg.id, pm.msg.type, timeout_ms);
		uvdev_broken_notify(udev);
	}
out:
	trace_uvdev_msg_done(udev->id, pm.msg.id, pm.msg.type,
			     uvdev_msg_trace_result(ret), ktime_get_ns() - start);
	return ret;
}

static bool uvdev_msg_readable(struct uvdev_device *udev)
{
	bool ret;

	spin_lock(&udev->msg_lock);
	ret = !list_empty(&udev->msg_pending) || udev->broken || udev->dead;
	spin_unlock(&udev->msg_lock);
	return ret;
}

ssize_t uvdev_msg_read(struct uvdev_device *udev, char __user *buf,
		       size_t count, bool nonblock)
{
	struct uvdev_pending_msg *pm;
	struct uvdev_msg msg;
	int ret;

	if (count < sizeof(msg))
		return -EINVAL;

	for (;;) {
		spin_lock(&udev->msg_lock);
		if (udev->broken) {
			ret = -EIO;
			goto out_unlock;
		}
		if (udev->dead) {
			ret = 0;
			goto out_unlock;
		}
		pm = list_first_entry_or_null(&udev->msg_pending,
					      struct uvdev_pending_msg, node);
		if (pm)
			break;
		spin_unlock(&udev->msg_lock);
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(udev->msg_wq,
					       uvdev_msg_readable(udev));
		if (ret)
			return ret;
	}
	list_move_tail(&pm->node, &udev->msg_sent);
	msg = pm->msg;
	spin_unlock(&udev->msg_lock);

	if (copy_to_user(buf, &msg, sizeof(msg))) {
		/* Put it back in front, if its sender is still waiting. */
		spin_lock(&udev->msg_lock);
		list_for_each_entry(pm, &udev->msg_sent, node) {
			if (pm->msg.id == msg.id) {
				list_move(&pm->node, &udev->msg_pending);
				break;
			}
		}
		spin_unlock(&udev->msg_lock);
		return -EFAULT;
	}
	return sizeof(msg);

out_unlock:
	spin_unlock(&udev->msg_lock);
	return ret;
}

ssize_t uvdev_msg_write(struct uvdev_device *udev, const char __user *buf,
			size_t count)
{
	struct uvdev_msg_reply reply;
	struct uvdev_pending_msg *pm;
	int ret = -ENOENT;

	if (count != sizeof(reply))
		return -EINVAL;
	if (copy_from_user(&reply, buf, sizeof(reply)))
		return -EFAULT;
	if (reply.reserved || reply.result > 0 || reply.result < -MAX_ERRNO)
		return -EINVAL;

	spin_lock(&udev->msg_lock);
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
		pm->result = reply.result;
		WRITE_ONCE(pm->done, true);
		wake_up_all(&udev->reply_wq);
		ret = sizeof(reply);
		break;
	}
out_unlock:
	spin_unlock(&udev->msg_lock);
	return ret;
}

__poll_t uvdev_msg_poll(struct uvdev_device *udev, struct file *file,
			poll_table *wait)
{
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &udev->msg_wq, wait);
	spin_lock(&udev->msg_lock);
	if (!list_empty(&udev->msg_pending))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (udev->broken)
		mask |= EPOLLERR;
	if (udev->dead)
		mask |= EPOLLHUP;
	spin_unlock(&udev->msg_lock);
	return mask;
}

/*
 * The backend closed its fd: messages it read but did not answer go back in
 * front of the queue for the next backend, unless the device is being
 * destroyed, when nobody will answer them.
 */
void uvdev_msg_backend_gone(struct uvdev_device *udev)
{
	spin_lock(&udev->msg_lock);
	list_splice_init(&udev->msg_sent, &udev->msg_pending);
	if (udev->dying)
		uvdev_msg_fail_all(udev, -ENOTCONN);
	spin_unlock(&udev->msg_lock);
}

/* The device is destroyed: fail what is queued, wake the backend (EOF). */
void uvdev_msg_kill(struct uvdev_device *udev)
{
	spin_lock(&udev->msg_lock);
	udev->dead = true;
	uvdev_msg_fail_all(udev, -ENOTCONN);
	spin_unlock(&udev->msg_lock);
	wake_up_interruptible_poll(&udev->msg_wq, EPOLLHUP);
	cancel_work_sync(&udev->broken_work);
}
