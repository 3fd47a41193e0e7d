// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev: userspace virtio devices on the virtio bus.
 *
 * main.c owns the module's lifetime and /dev/uvdev/control, through which a
 * privileged process creates and destroys devices.
 */
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/idr.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "uvdev.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* Serialises create and destroy, and protects uvdev_devices. */
static DEFINE_MUTEX(uvdev_devices_lock);
static LIST_HEAD(uvdev_devices);
static DEFINE_IDA(uvdev_ids);

static bool uvdev_name_valid(const char *name)
{
	size_t len = strnlen(name, UVDEV_NAME_MAX);
	size_t i;

	if (len == 0 || len == UVDEV_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!isalnum(c) && c != '_' && c != '-')
			return false;
	}
	return true;
}

static bool uvdev_reserved_zero(const u32 *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (words[i])
			return false;
	return true;
}

/* Callers hold uvdev_devices_lock. */
static struct uvdev_device *uvdev_find(const char *name)
{
	struct uvdev_device *udev;

	list_for_each_entry(udev, &uvdev_devices, node)
		if (!strcmp(udev->name, name))
			return udev;
	return NULL;
}

static int uvdev_create(struct uvdev_create __user *argp)
{
	struct uvdev_create req;
	struct uvdev_device *udev;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (!uvdev_name_valid(req.name) ||
	    !uvdev_reserved_zero(req.reserved, ARRAY_SIZE(req.reserved)) ||
	    req.num_queues == 0 || req.num_queues > UVDEV_MAX_QUEUES ||
	    req.max_queue_size < 2 ||
	    req.max_queue_size > UVDEV_MAX_QUEUE_SIZE ||
	    !is_power_of_2(req.max_queue_size))
		return -EINVAL;

	udev = kzalloc(sizeof(*udev), GFP_KERNEL);
	if (!udev)
		return -ENOMEM;
	strscpy(udev->name, req.name, sizeof(udev->name));
	udev->device_id = req.device_id;
	udev->num_queues = req.num_queues;
	udev->max_queue_size = req.max_queue_size;

	mutex_lock(&uvdev_devices_lock);
	if (uvdev_find(udev->name)) {
		ret = -EEXIST;
		goto err_unlock;
	}
	ret = ida_alloc(&uvdev_ids, GFP_KERNEL);
	if (ret < 0)
		goto err_unlock;
	udev->id = ret;
	list_add_tail(&udev->node, &uvdev_devices);
	mutex_unlock(&uvdev_devices_lock);

	trace_uvdev_dev_create(udev->id, udev->name, udev->device_id,
			       udev->num_queues, udev->max_queue_size);
	req.dev_id = udev->id;
	if (copy_to_user(&argp->dev_id, &req.dev_id, sizeof(req.dev_id)))
		return -EFAULT;
	return 0;

err_unlock:
	mutex_unlock(&uvdev_devices_lock);
	kfree(udev);
	return ret;
}

static void uvdev_free(struct uvdev_device *udev)
{
	trace_uvdev_dev_destroy(udev->id, udev->name, udev->device_id,
				udev->num_queues, udev->max_queue_size);
	ida_free(&uvdev_ids, udev->id);
	kfree(udev);
}

static int uvdev_destroy(struct uvdev_destroy __user *argp)
{
	struct uvdev_destroy req;
	struct uvdev_device *udev;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (!uvdev_name_valid(req.name) ||
	    !uvdev_reserved_zero(req.reserved, ARRAY_SIZE(req.reserved)))
		return -EINVAL;

	mutex_lock(&uvdev_devices_lock);
	udev = uvdev_find(req.name);
	if (udev)
		list_del(&udev->node);
	mutex_unlock(&uvdev_devices_lock);
	if (!udev)
		return -ENOENT;
	uvdev_free(udev);
	return 0;
}

static long uvdev_control_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	switch (cmd) {
	case UVDEV_IOC_CREATE:
		return uvdev_create(argp);
	case UVDEV_IOC_DESTROY:
		return uvdev_destroy(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations uvdev_control_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = uvdev_control_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice uvdev_control = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "uvdev-control",
	.nodename = "uvdev/control",
	.fops = &uvdev_control_fops,
	.mode = 0600,
};

static int __init uvdev_init(void)
{
	return misc_register(&uvdev_control);
}

static void __exit uvdev_exit(void)
{
	struct uvdev_device *udev, *tmp;

	misc_deregister(&uvdev_control);
	list_for_each_entry_safe(udev, tmp, &uvdev_devices, node) {
		list_del(&udev->node);
		uvdev_free(udev);
	}
}

module_init(uvdev_init);
module_exit(uvdev_exit);

MODULE_DESCRIPTION("Userspace virtio devices on the virtio bus");
MODULE_LICENSE("GPL");
