// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev: the life of a device, in one place.
 *
 * A device is live from create, dying once destroy begins (no backend may
 * attach any more) and dead once destroyed (only an fd still open keeps its
 * memory; the fd reads end of file). Apart from that, a device breaks, for
 * good, when its backend fails it: a control message not answered in time,
 * a malformed chain, or an unbind or destroy the backend does not let
 * finish within the message timeout. A broken device fails every request
 * the driver has queued or queues later, so nothing waits on its backend
 * again; what is left to do with it is destroy.
 *
 * Every work item of a device is queued through uvdev_queue_work(), which
 * refuses once the device is dead; destroy marks it dead, then cancels them
 * all, so none outlives its device or the module.
 */
#include <linux/jiffies.h>
#include <linux/notifier.h>
#include <linux/virtio.h>

#include "uvdev.h"
#include "trace.h"

/*
 * A second past the message timeout, so a control message that times out
 * first is reported as what broke the device.
 */
#define UVDEV_DEADLINE_GRACE_MS	1000

/* Every work item of every device: destroying it at exit drains them. */
static struct workqueue_struct *uvdev_wq;

bool uvdev_is_broken(struct uvdev_device *udev)
{
	return READ_ONCE(udev->broken);
}

bool uvdev_is_dead(struct uvdev_device *udev)
{
	return READ_ONCE(udev->life) == UVDEV_DEAD;
}

static bool uvdev_queue_work_locked(struct uvdev_device *udev,
				    struct work_struct *work)
{
	lockdep_assert_held(&udev->state_lock);
	if (udev->life == UVDEV_DEAD)
		return false;
	return queue_work(uvdev_wq, work);
}

/* Queue one of @udev's work items, unless it is dead. */
bool uvdev_queue_work(struct uvdev_device *udev, struct work_struct *work)
{
	unsigned long flags;
	bool queued;

	spin_lock_irqsave(&udev->state_lock, flags);
	queued = uvdev_queue_work_locked(udev, work);
	spin_unlock_irqrestore(&udev->state_lock, flags);
	return queued;
}

/**
 * uvdev_break - mark a device broken, for good
 * @udev: the device
 * @reason: why, for the tracepoint: enum uvdev_trace_broken_reason
 * @fmt: why, for the kernel log
 *
 * Fails every control message at once, and from a work item every chain
 * the driver has queued (uvdev_vq_fail_all()). Idempotent; callable from
 * any context that may take state_lock.
 */
void uvdev_break(struct uvdev_device *udev, u32 reason, const char *fmt, ...)
{
	struct va_format vaf;
	unsigned long flags;
	va_list args;
	bool broke;

	spin_lock_irqsave(&udev->state_lock, flags);
	broke = !udev->broken && udev->life != UVDEV_DEAD;
	if (broke) {
		WRITE_ONCE(udev->broken, true);
		uvdev_msg_fail_all_locked(udev, -EIO);
		uvdev_queue_work_locked(udev, &udev->fail_work);
	}
	spin_unlock_irqrestore(&udev->state_lock, flags);
	if (!broke)
		return;

	uvdev_notif_fail(udev, -EIO);
	trace_uvdev_dev_broken(udev->id, reason);
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	dev_err(&udev->dev, "%pV: device broken, destroy it\n", &vaf);
	va_end(args);
	wake_up_interruptible_poll(&udev->msg_wq, EPOLLERR);
}

/*
 * Fail what the driver has in the rings. Drivers that busy-wait for the
 * device (allowed only with UVDEV_CREATE_F_BUSY_WAIT) also get their
 * virtqueues broken, so a spinner gives up even when the CPU it spins on is
 * the one the failing work needs. Their removal reclaims unused buffers, so
 * nothing waits for the completions that breaking hides.
 */
static void uvdev_fail_work(struct work_struct *work)
{
	struct uvdev_device *udev = container_of(work, struct uvdev_device,
						 fail_work);
	u32 i;

	for (i = 0; i < udev->num_queues; i++)
		uvdev_vq_fail_all(&udev->vqs[i]);
	/* Pairs with the release in uvdev_reset(): the list is initialised. */
	if (udev->busy_wait && smp_load_acquire(&udev->vdev_initialised))
		virtio_break_device(&udev->vdev);
}

/*
 * A driver's probe, an unbind and a destroy must finish within the message
 * timeout: past it, the backend is not serving the requests they wait for,
 * and breaking the device completes them. A probe holds the device lock
 * that an unbind takes first, so bounding unbinds alone would not do.
 */
static void uvdev_deadline_work(struct work_struct *work)
{
	struct uvdev_device *udev = container_of(to_delayed_work(work),
						 struct uvdev_device,
						 deadline_work);

	uvdev_break(udev, UVDEV_TRACE_BROKEN_DRIVER_TIMEOUT,
		    "the driver's probe or removal did not finish within %u ms",
		    READ_ONCE(udev->msg_timeout_ms) + UVDEV_DEADLINE_GRACE_MS);
}

static void uvdev_deadline_arm(struct uvdev_device *udev)
{
	unsigned long delay = msecs_to_jiffies(READ_ONCE(udev->msg_timeout_ms) +
					       UVDEV_DEADLINE_GRACE_MS);
	unsigned long flags;

	spin_lock_irqsave(&udev->state_lock, flags);
	if (udev->life != UVDEV_DEAD && !udev->broken)
		queue_delayed_work(uvdev_wq, &udev->deadline_work, delay);
	spin_unlock_irqrestore(&udev->state_lock, flags);
}

void uvdev_life_init(struct uvdev_device *udev)
{
	spin_lock_init(&udev->state_lock);
	udev->life = UVDEV_LIVE;
	INIT_WORK(&udev->fail_work, uvdev_fail_work);
	INIT_DELAYED_WORK(&udev->deadline_work, uvdev_deadline_work);
}

/*
 * A backend opens the device. The first open puts the virtio device on the
 * bus (register_work), so the driver probes while a backend is there.
 */
int uvdev_backend_attach(struct uvdev_device *udev)
{
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&udev->state_lock, flags);
	if (udev->life != UVDEV_LIVE) {
		ret = -ENODEV;
	} else if (udev->backend) {
		ret = -EBUSY;
	} else {
		udev->backend = true;
		if (!udev->reg_scheduled)
			udev->reg_scheduled =
				uvdev_queue_work_locked(udev, &udev->register_work);
	}
	spin_unlock_irqrestore(&udev->state_lock, flags);
	return ret;
}

/*
 * The backend's fd is closed. Messages it read and did not answer go back
 * to the queue for the next backend; but once destroy has begun no backend
 * can come, so the device breaks and everything fails at once.
 */
void uvdev_backend_detach(struct uvdev_device *udev)
{
	unsigned long flags;
	bool dying;

	spin_lock_irqsave(&udev->state_lock, flags);
	udev->backend = false;
	uvdev_msg_requeue_locked(udev);
	dying = udev->life == UVDEV_DYING;
	spin_unlock_irqrestore(&udev->state_lock, flags);
	if (dying)
		uvdev_break(udev, UVDEV_TRACE_BROKEN_NO_BACKEND,
			    "the backend closed the device while it was destroyed");
}

/**
 * uvdev_destroy_device - take a device off the bus and remove its node
 * @udev: the device; the caller's reference is dropped here
 *
 * The driver unbinds, talking to the backend if it is there: destroy with a
 * live backend completes what is in flight. With no backend, or one that
 * does not let the removal finish within the message timeout, the device
 * breaks and the removal completes with errors. Returns within the message
 * timeout, plus a second, plus the driver's own removal time.
 */
void uvdev_destroy_device(struct uvdev_device *udev)
{
	unsigned long flags;
	bool backend;

	spin_lock_irqsave(&udev->state_lock, flags);
	udev->life = UVDEV_DYING;
	backend = udev->backend;
	spin_unlock_irqrestore(&udev->state_lock, flags);
	/* No wait for a notification outlasts the start of destroy. */
	uvdev_notif_fail(udev, -ENODEV);
	if (backend)
		uvdev_deadline_arm(udev);
	else
		uvdev_break(udev, UVDEV_TRACE_BROKEN_NO_BACKEND,
			    "destroyed with no backend attached");

	/* A probe in progress ends: its requests are answered or failed. */
	cancel_work_sync(&udev->register_work);
	if (udev->registered)
		unregister_virtio_device(&udev->vdev);

	spin_lock_irqsave(&udev->state_lock, flags);
	udev->life = UVDEV_DEAD;
	uvdev_msg_fail_all_locked(udev, -ENOTCONN);
	spin_unlock_irqrestore(&udev->state_lock, flags);
	wake_up_interruptible_poll(&udev->msg_wq, EPOLLHUP);

	/* Nothing can queue them any more; the rings are gone. */
	cancel_delayed_work_sync(&udev->deadline_work);
	cancel_work_sync(&udev->fail_work);
	cancel_work_sync(&udev->config_irq_work);
	cancel_work_sync(&udev->register_work);
	uvdev_notif_stop(udev);
}

/* ---- watching unbinds on the virtio bus ------------------------------- */

static int uvdev_bus_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct uvdev_device *udev = uvdev_from_bus_device(data);

	if (!udev)
		return NOTIFY_DONE;
	switch (action) {
	case BUS_NOTIFY_BIND_DRIVER:	/* a probe begins */
	case BUS_NOTIFY_UNBIND_DRIVER:	/* a removal begins */
		uvdev_deadline_arm(udev);
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
	case BUS_NOTIFY_DRIVER_NOT_BOUND:
	case BUS_NOTIFY_UNBOUND_DRIVER:
		/* Destroy owns the deadline until the device is dead. */
		if (READ_ONCE(udev->life) == UVDEV_LIVE)
			cancel_delayed_work(&udev->deadline_work);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block uvdev_bus_nb = {
	.notifier_call = uvdev_bus_notify,
};

/*
 * The virtio core does not export its bus; registering a driver sets the
 * driver's bus pointer. This one matches no device (empty id table) and is
 * unregistered at once: it only tells the module which bus to watch.
 */
static const struct virtio_device_id uvdev_no_ids[] = {
	{ 0 },
};

static struct virtio_driver uvdev_bus_finder = {
	.driver.name = "uvdev-bus-finder",
	.driver.owner = THIS_MODULE,
	.id_table = uvdev_no_ids,
};

static struct bus_type *uvdev_virtio_bus;

int uvdev_lifecycle_init(void)
{
	int ret;

	uvdev_wq = alloc_workqueue("uvdev", WQ_HIGHPRI | WQ_MEM_RECLAIM, 0);
	if (!uvdev_wq)
		return -ENOMEM;
	ret = register_virtio_driver(&uvdev_bus_finder);
	if (ret)
		goto err_destroy_wq;
	uvdev_virtio_bus = uvdev_bus_finder.driver.bus;
	unregister_virtio_driver(&uvdev_bus_finder);
	ret = bus_register_notifier(uvdev_virtio_bus, &uvdev_bus_nb);
	if (ret)
		goto err_destroy_wq;
	return 0;

err_destroy_wq:
	destroy_workqueue(uvdev_wq);
	return ret;
}

void uvdev_lifecycle_exit(void)
{
	bus_unregister_notifier(uvdev_virtio_bus, &uvdev_bus_nb);
	destroy_workqueue(uvdev_wq);
}
