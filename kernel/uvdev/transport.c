// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev: the virtio transport. Implements virtio_config_ops over a backend:
 * features and config space are kept in the kernel, status changes, resets
 * and queue setup are control messages the backend answers.
 */
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "uvdev.h"
#include "trace.h"

static void uvdev_get(struct virtio_device *vdev, unsigned int offset,
		      void *buf, unsigned int len)
{
	struct uvdev_device *udev = to_uvdev(vdev);

	spin_lock(&udev->config_lock);
	if ((u64)offset + len <= udev->config_size) {
		memcpy(buf, udev->config + offset, len);
	} else {
		memset(buf, 0, len);
		dev_err_ratelimited(&udev->dev,
				    "driver read config bytes %u..%u past its size %u\n",
				    offset, offset + len, udev->config_size);
	}
	spin_unlock(&udev->config_lock);
}

static void uvdev_set(struct virtio_device *vdev, unsigned int offset,
		      const void *buf, unsigned int len)
{
	struct uvdev_device *udev = to_uvdev(vdev);
	struct uvdev_msg msg = { .type = UVDEV_MSG_SET_CONFIG };
	unsigned int done;

	if ((u64)offset + len > udev->config_size) {
		dev_err_ratelimited(&udev->dev,
				    "driver wrote config bytes %u..%u past its size %u\n",
				    offset, offset + len, udev->config_size);
		return;
	}
	spin_lock(&udev->config_lock);
	memcpy(udev->config + offset, buf, len);
	spin_unlock(&udev->config_lock);

	/* Tell the backend, in pieces a message can carry. */
	for (done = 0; done < len; done += msg.config.len) {
		msg.config.offset = offset + done;
		msg.config.len = min_t(unsigned int, len - done,
				       UVDEV_MSG_CONFIG_MAX);
		memcpy(msg.config.data, buf + done, msg.config.len);
		if (uvdev_msg_sync(udev, &msg) == -ETIMEDOUT)
			return;
	}
}

static u32 uvdev_generation(struct virtio_device *vdev)
{
	return READ_ONCE(to_uvdev(vdev)->config_generation);
}

/* The status the driver set, with NEEDS_RESET if the device asked for one. */
u8 uvdev_status(struct uvdev_device *udev)
{
	return READ_ONCE(udev->status) |
	       (READ_ONCE(udev->needs_reset) ? VIRTIO_CONFIG_S_NEEDS_RESET : 0);
}

/*
 * The device needs a reset (the notification bottom half): the driver sees
 * NEEDS_RESET in the status until it resets the device.
 */
void uvdev_set_needs_reset(struct uvdev_device *udev)
{
	u8 old = uvdev_status(udev);

	if (old & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	WRITE_ONCE(udev->needs_reset, true);
	trace_uvdev_status(udev->id, old, uvdev_status(udev));
	dev_warn(&udev->dev, "the backend asks for a device reset\n");
}

static u8 uvdev_get_status(struct virtio_device *vdev)
{
	return uvdev_status(to_uvdev(vdev));
}

static void uvdev_set_status(struct virtio_device *vdev, u8 status)
{
	struct uvdev_device *udev = to_uvdev(vdev);
	struct uvdev_msg msg = { .type = UVDEV_MSG_SET_STATUS };
	u8 old = udev->status, reset;
	int ret;

	/* The device's bit: the driver passes back what get_status showed. */
	status &= ~VIRTIO_CONFIG_S_NEEDS_RESET;

	msg.status.old_status = old;
	msg.status.status = status;
	msg.status.driver_features = udev->driver_features;
	ret = uvdev_msg_sync(udev, &msg);
	/*
	 * A status the backend refused (or could not be told of) is not set:
	 * refusing FEATURES_OK refuses the features, and a broken device
	 * never shows DRIVER_OK, so the core fails the probe.
	 */
	if (ret)
		status = old;
	WRITE_ONCE(udev->status, status);
	reset = uvdev_status(udev) & VIRTIO_CONFIG_S_NEEDS_RESET;
	trace_uvdev_status(udev->id, old | reset, status | reset);
}

static void uvdev_reset(struct virtio_device *vdev)
{
	struct uvdev_device *udev = to_uvdev(vdev);
	struct uvdev_msg msg = { .type = UVDEV_MSG_RESET };
	u8 old = uvdev_status(udev);
	u32 i;

	/*
	 * The core resets before anything else, once it has set up vdev's
	 * queue list and config lock.
	 */
	if (!udev->vdev_initialised) {
		/* Pairs with the acquires that use them: break, config IRQ. */
		smp_store_release(&udev->vdev_initialised, true);
	}
	uvdev_msg_sync(udev, &msg);
	for (i = 0; i < udev->num_queues; i++)
		uvdev_vq_reset(&udev->vqs[i]);
	WRITE_ONCE(udev->status, 0);
	WRITE_ONCE(udev->needs_reset, false);
	udev->driver_features = 0;
	trace_uvdev_status(udev->id, old, 0);
}

static void uvdev_del_vqs(struct virtio_device *vdev)
{
	struct uvdev_device *udev = to_uvdev(vdev);
	u32 i;

	for (i = 0; i < udev->num_queues; i++)
		uvdev_vq_teardown(&udev->vqs[i]);
}

static int uvdev_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			  struct virtqueue *vqs[], vq_callback_t *callbacks[],
			  const char * const names[], const bool *ctx,
			  struct irq_affinity *desc)
{
	struct uvdev_device *udev = to_uvdev(vdev);
	unsigned int i, queue = 0;
	int ret;

	for (i = 0; i < nvqs; i++) {
		if (!names[i]) {
			vqs[i] = NULL;
			continue;
		}
		if (queue >= udev->num_queues) {
			ret = -ENOENT;
			goto err_del_vqs;
		}
		vqs[i] = uvdev_vq_setup(&udev->vqs[queue++], callbacks[i],
					names[i], ctx ? ctx[i] : false);
		if (IS_ERR(vqs[i])) {
			ret = PTR_ERR(vqs[i]);
			goto err_del_vqs;
		}
	}
	return 0;

err_del_vqs:
	uvdev_del_vqs(vdev);
	return ret;
}

static void uvdev_synchronize_cbs(struct virtio_device *vdev)
{
	struct uvdev_device *udev = to_uvdev(vdev);
	u32 i;

	for (i = 0; i < udev->num_queues; i++)
		uvdev_vq_sync_irq(&udev->vqs[i]);
	flush_work(&udev->config_irq_work);
}

static u64 uvdev_get_features(struct virtio_device *vdev)
{
	return to_uvdev(vdev)->device_features;
}

static int uvdev_finalize_features(struct virtio_device *vdev)
{
	struct uvdev_device *udev = to_uvdev(vdev);

	vring_transport_features(vdev);
	if (!__virtio_test_bit(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&udev->dev, "driver did not accept VIRTIO_F_VERSION_1\n");
		return -EINVAL;
	}
	udev->driver_features = vdev->features;
	return 0;
}

static const char *uvdev_bus_name(struct virtio_device *vdev)
{
	return to_uvdev(vdev)->name;
}

static const struct virtio_config_ops uvdev_config_ops = {
	.get = uvdev_get,
	.set = uvdev_set,
	.generation = uvdev_generation,
	.get_status = uvdev_get_status,
	.set_status = uvdev_set_status,
	.reset = uvdev_reset,
	.find_vqs = uvdev_find_vqs,
	.del_vqs = uvdev_del_vqs,
	.synchronize_cbs = uvdev_synchronize_cbs,
	.get_features = uvdev_get_features,
	.finalize_features = uvdev_finalize_features,
	.bus_name = uvdev_bus_name,
};

static void uvdev_config_irq_work(struct work_struct *work)
{
	struct uvdev_device *udev = container_of(work, struct uvdev_device,
						 config_irq_work);
	u64 start = ktime_get_ns();

	/*
	 * Pairs with the release in uvdev_reset(). Before and after a driver
	 * is bound, the core only notes the change.
	 */
	if (smp_load_acquire(&udev->vdev_initialised))
		virtio_config_changed(&udev->vdev);
	trace_uvdev_irq_deliver(udev->id, UVDEV_TRACE_QUEUE_CONFIG,
				ktime_get_ns() - start, UVDEV_TRACE_IRQ_HANDLED,
				UVDEV_TRACE_SLOT_NONE, udev->serial);
}

static long uvdev_get_config_ioctl(struct uvdev_device *udev,
				   const struct uvdev_config_update *req)
{
	void *data;
	long ret = 0;

	if (req->flags)
		return -EINVAL;
	data = kmalloc(max_t(u32, req->len, 1), GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	spin_lock(&udev->config_lock);
	memcpy(data, udev->config + req->offset, req->len);
	spin_unlock(&udev->config_lock);
	if (copy_to_user(u64_to_user_ptr(req->data), data, req->len))
		ret = -EFAULT;
	kfree(data);
	return ret;
}

long uvdev_config_ioctl(struct uvdev_device *udev, unsigned int cmd,
			struct uvdev_config_update __user *argp)
{
	struct uvdev_config_update req;
	void *data;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved || (req.flags & ~UVDEV_CONFIG_F_IRQ) ||
	    (u64)req.offset + req.len > udev->config_size)
		return -EINVAL;
	if (cmd == UVDEV_IOC_GET_CONFIG)
		return uvdev_get_config_ioctl(udev, &req);
	/* User memory first: it may block, and nothing is held yet. */
	data = memdup_user(u64_to_user_ptr(req.data), req.len);
	if (IS_ERR(data))
		return PTR_ERR(data);
	if (uvdev_is_broken(udev)) {
		kfree(data);
		return -EIO;
	}

	spin_lock(&udev->config_lock);
	memcpy(udev->config + req.offset, data, req.len);
	udev->config_generation++;
	spin_unlock(&udev->config_lock);
	kfree(data);

	if (req.flags & UVDEV_CONFIG_F_IRQ) {
		trace_uvdev_irq_inject(udev->id, UVDEV_TRACE_QUEUE_CONFIG,
				       UVDEV_TRACE_SLOT_NONE, udev->serial);
		/* Refused once the device is dead: its driver is gone. */
		uvdev_queue_work(udev, &udev->config_irq_work);
	}
	return 0;
}

static void uvdev_vdev_release(struct device *dev)
{
	struct virtio_device *vdev = dev_to_virtio(dev);

	put_device(&to_uvdev(vdev)->dev);
}

/* The uvdev device behind a device on the virtio bus, or NULL if not ours. */
struct uvdev_device *uvdev_from_bus_device(struct device *dev)
{
	struct virtio_device *vdev;

	if (!is_virtio_device(dev))
		return NULL;
	vdev = dev_to_virtio(dev);
	return vdev->config == &uvdev_config_ops ? to_uvdev(vdev) : NULL;
}

void uvdev_transport_init(struct uvdev_device *udev)
{
	INIT_WORK(&udev->config_irq_work, uvdev_config_irq_work);
}

/* Put the device on the virtio bus; the matching driver probes now. */
int uvdev_transport_register(struct uvdev_device *udev)
{
	int ret;

	udev->vdev.dev.parent = &udev->dev;
	udev->vdev.dev.release = uvdev_vdev_release;
	udev->vdev.config = &uvdev_config_ops;
	udev->vdev.id.device = udev->device_id;
	udev->vdev.id.vendor = udev->vendor_id;

	/* The virtio device holds the uvdev device until its release. */
	get_device(&udev->dev);
	ret = register_virtio_device(&udev->vdev);
	if (ret)
		put_device(&udev->vdev.dev);
	return ret;
}
