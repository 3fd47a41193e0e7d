// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev: userspace virtio devices on the virtio bus.
 *
 * main.c owns the module's lifetime, /dev/uvdev/control (create and destroy
 * devices), each device's /dev/uvdev/<name> for its backend, and the sysfs
 * attributes under /sys/class/uvdev/<name>.
 */
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "uvdev.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

unsigned int uvdev_default_timeout_ms = 30000;

static int uvdev_timeout_param_set(const char *val,
				   const struct kernel_param *kp)
{
	unsigned int ms;
	int ret;

	ret = kstrtouint(val, 0, &ms);
	if (ret)
		return ret;
	if (ms == 0 || ms > UVDEV_MAX_TIMEOUT_MS)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, ms);
	return 0;
}

static const struct kernel_param_ops uvdev_timeout_param_ops = {
	.set = uvdev_timeout_param_set,
	.get = param_get_uint,
};

module_param_cb(msg_timeout_ms, &uvdev_timeout_param_ops,
		&uvdev_default_timeout_ms, 0644);
MODULE_PARM_DESC(msg_timeout_ms,
		 "Default control message timeout for new devices, in ms (1..3600000, default 30000)");

/*
 * Virtqueues of all devices together. A limit of the module's own, so that
 * monitors can size their maps from it (/sys/module/uvdev/parameters) and
 * never run out of room; raise it at load time for more.
 */
static unsigned int uvdev_max_queues = 1024;
module_param_named(max_queues, uvdev_max_queues, uint, 0444);
MODULE_PARM_DESC(max_queues,
		 "Virtqueues of all devices together, 1..16384 (default 1024)");

/*
 * Protects uvdev_devices, each device's destroying flag and
 * uvdev_last_serial; held briefly, never across a destroy, which may wait
 * for the message timeout.
 */
static DEFINE_MUTEX(uvdev_devices_lock);
static LIST_HEAD(uvdev_devices);
static u32 uvdev_last_serial;
static DEFINE_IDA(uvdev_ids);
/*
 * Every live device's queues hold a slot below max_queues, taken at create
 * and given back at destroy: no free slot, no device (ENOSPC). Queue
 * tracepoints carry the slot and the device's serial, so a monitor keeps a
 * queue's counters in an array indexed by slot and tells a slot's
 * successive owners apart by serial.
 */
static DEFINE_IDA(uvdev_queue_slots);
static dev_t uvdev_devt;
static struct class *uvdev_class;

/* Transport feature bits a device may offer; see uapi/uvdev.h. */
#define UVDEV_TRANSPORT_FEATURES \
	GENMASK_ULL(VIRTIO_TRANSPORT_F_END - 1, VIRTIO_TRANSPORT_F_START)
#define UVDEV_ALLOWED_TRANSPORT_FEATURES \
	(BIT_ULL(VIRTIO_F_VERSION_1) | BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC))

static bool uvdev_device_id_allowed(u32 device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET:
	case VIRTIO_ID_BLOCK:
	case VIRTIO_ID_CONSOLE:
	case VIRTIO_ID_RNG:
		return true;
	default:
		return false;
	}
}

/*
 * Drivers that wait for the device by spinning on a CPU, with interrupts
 * or preemption off: virtio_console for console output and port control,
 * virtio_net for control virtqueue commands (under rtnl_lock).
 */
static bool uvdev_driver_busy_waits(const struct uvdev_create *req)
{
	switch (req->device_id) {
	case VIRTIO_ID_CONSOLE:
		return true;
	case VIRTIO_ID_NET:
		return req->features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ);
	default:
		return false;
	}
}

static bool uvdev_name_valid(const char *name)
{
	size_t len = strnlen(name, UVDEV_NAME_MAX);
	size_t i;

	if (len == 0 || len == UVDEV_NAME_MAX || !strcmp(name, "control"))
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		/* The kernel's isalnum() takes Latin-1 letters too. */
		if ((!isascii(c) || !isalnum(c)) && c != '_' && c != '-')
			return false;
	}
	return true;
}

static int uvdev_check_create(const struct uvdev_create *req)
{
	u64 transport = req->features & UVDEV_TRANSPORT_FEATURES;

	if (!uvdev_name_valid(req->name) ||
	    memchr_inv(req->reserved, 0, sizeof(req->reserved)) || req->dev_id ||
	    req->zc_window_pages > UVDEV_ZC_MAX_WINDOW_PAGES ||
	    (req->flags & ~UVDEV_CREATE_F_BUSY_WAIT))
		return -EINVAL;
	if (!uvdev_device_id_allowed(req->device_id))
		return -EINVAL;
	if (!(req->features & BIT_ULL(VIRTIO_F_VERSION_1)) ||
	    (transport & ~UVDEV_ALLOWED_TRANSPORT_FEATURES))
		return -EINVAL;
	if (req->num_queues == 0 || req->num_queues > UVDEV_MAX_QUEUES ||
	    req->max_queue_size < 2 ||
	    req->max_queue_size > UVDEV_MAX_QUEUE_SIZE ||
	    !is_power_of_2(req->max_queue_size))
		return -EINVAL;
	if (req->config_size > UVDEV_MAX_CONFIG_SIZE ||
	    req->msg_timeout_ms > UVDEV_MAX_TIMEOUT_MS ||
	    req->notif_max > UVDEV_NOTIF_MAX_KEY)
		return -EINVAL;
	if (uvdev_driver_busy_waits(req) &&
	    !(req->flags & UVDEV_CREATE_F_BUSY_WAIT))
		return -EOPNOTSUPP;
	return 0;
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

/* ---- sysfs: /sys/class/uvdev/<name>/ ------------------------------------ */

static struct uvdev_device *dev_to_uvdev(struct device *dev)
{
	return container_of(dev, struct uvdev_device, dev);
}

static ssize_t dev_id_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_uvdev(dev)->id);
}
static DEVICE_ATTR_RO(dev_id);

static ssize_t device_id_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_uvdev(dev)->device_id);
}
static DEVICE_ATTR_RO(device_id);

static ssize_t num_queues_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_uvdev(dev)->num_queues);
}
static DEVICE_ATTR_RO(num_queues);

static ssize_t max_queue_size_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_uvdev(dev)->max_queue_size);
}
static DEVICE_ATTR_RO(max_queue_size);

static ssize_t status_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "0x%02x\n", uvdev_status(dev_to_uvdev(dev)));
}
static DEVICE_ATTR_RO(status);

static ssize_t broken_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n", uvdev_is_broken(dev_to_uvdev(dev)));
}
static DEVICE_ATTR_RO(broken);

static ssize_t backend_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(dev_to_uvdev(dev)->backend));
}
static DEVICE_ATTR_RO(backend);

static ssize_t msg_timeout_ms_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(dev_to_uvdev(dev)->msg_timeout_ms));
}

static ssize_t msg_timeout_ms_store(struct device *dev,
				    struct device_attribute *attr,
				    const char *buf, size_t count)
{
	unsigned int ms;
	int ret;

	ret = kstrtouint(buf, 0, &ms);
	if (ret)
		return ret;
	if (ms == 0 || ms > UVDEV_MAX_TIMEOUT_MS)
		return -EINVAL;
	WRITE_ONCE(dev_to_uvdev(dev)->msg_timeout_ms, ms);
	return count;
}
static DEVICE_ATTR_RW(msg_timeout_ms);

static ssize_t notif_max_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_uvdev(dev)->notif.max);
}
static DEVICE_ATTR_RO(notif_max);

static struct attribute *uvdev_attrs[] = {
	&dev_attr_dev_id.attr,
	&dev_attr_device_id.attr,
	&dev_attr_num_queues.attr,
	&dev_attr_max_queue_size.attr,
	&dev_attr_status.attr,
	&dev_attr_broken.attr,
	&dev_attr_backend.attr,
	&dev_attr_msg_timeout_ms.attr,
	&dev_attr_notif_max.attr,
	NULL,
};
ATTRIBUTE_GROUPS(uvdev);

/* ---- the backend's fd: /dev/uvdev/<name> -------------------------------- */

static void uvdev_register_work(struct work_struct *work)
{
	struct uvdev_device *udev = container_of(work, struct uvdev_device,
						 register_work);
	int ret;

	if (READ_ONCE(udev->life) != UVDEV_LIVE)
		return;
	ret = uvdev_transport_register(udev);
	if (ret) {
		dev_err(&udev->dev, "cannot register the virtio device: %d\n", ret);
		return;
	}
	WRITE_ONCE(udev->registered, true);
}

static int uvdev_dev_open(struct inode *inode, struct file *file)
{
	struct uvdev_device *udev = container_of(inode->i_cdev,
						 struct uvdev_device, cdev);
	int ret;

	ret = uvdev_backend_attach(udev);
	if (ret)
		return ret;
	get_device(&udev->dev);
	file->private_data = udev;
	return nonseekable_open(inode, file);
}

static int uvdev_dev_release(struct inode *inode, struct file *file)
{
	struct uvdev_device *udev = file->private_data;
	u32 i;

	for (i = 0; i < udev->num_queues; i++)
		uvdev_vq_backend_gone(&udev->vqs[i]);
	uvdev_zc_backend_gone(udev);
	uvdev_backend_detach(udev);
	put_device(&udev->dev);
	return 0;
}

static ssize_t uvdev_dev_read(struct file *file, char __user *buf,
			      size_t count, loff_t *ppos)
{
	return uvdev_msg_read(file->private_data, buf, count,
			      file->f_flags & O_NONBLOCK);
}

static ssize_t uvdev_dev_write(struct file *file, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	return uvdev_msg_write(file->private_data, buf, count);
}

static __poll_t uvdev_dev_poll(struct file *file, poll_table *wait)
{
	return uvdev_msg_poll(file->private_data, file, wait);
}

static int uvdev_dev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct uvdev_device *udev = file->private_data;

	if (uvdev_is_dead(udev))
		return -ESHUTDOWN;
	return uvdev_zc_mmap(udev, file, vma);
}

static long uvdev_dev_info(struct uvdev_device *udev,
			   struct uvdev_dev_info __user *argp)
{
	struct uvdev_dev_info info = {
		.dev_id = udev->id,
		.device_id = udev->device_id,
		.num_queues = udev->num_queues,
		.max_queue_size = udev->max_queue_size,
		.device_features = udev->device_features,
		.driver_features = READ_ONCE(udev->driver_features),
		.config_size = udev->config_size,
		.config_generation = READ_ONCE(udev->config_generation),
		.status = uvdev_status(udev),
		.broken = uvdev_is_broken(udev),
	};

	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static long uvdev_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct uvdev_device *udev = file->private_data;
	void __user *argp = (void __user *)arg;

	if (uvdev_is_dead(udev))
		return -ESHUTDOWN;
	switch (cmd) {
	case UVDEV_IOC_DEV_INFO:
		return uvdev_dev_info(udev, argp);
	case UVDEV_IOC_SET_CONFIG:
	case UVDEV_IOC_GET_CONFIG:
		return uvdev_config_ioctl(udev, cmd, argp);
	case UVDEV_IOC_NOTIFY:
		return uvdev_notify_ioctl(udev, argp);
	case UVDEV_IOC_ZC_REAP:
	case UVDEV_IOC_ZC_INFO:
		return uvdev_zc_ioctl(udev, cmd, argp);
	default:
		return uvdev_vq_ioctl(udev, cmd, argp);
	}
}

static const struct file_operations uvdev_dev_fops = {
	.owner = THIS_MODULE,
	.open = uvdev_dev_open,
	.release = uvdev_dev_release,
	.read = uvdev_dev_read,
	.write = uvdev_dev_write,
	.poll = uvdev_dev_poll,
	.mmap = uvdev_dev_mmap,
	.unlocked_ioctl = uvdev_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

/* ---- create and destroy ------------------------------------------------- */

/* Free a device that never got as far as device_initialize(). */
static void uvdev_free(struct uvdev_device *udev)
{
	uvdev_notif_free(udev);
	uvdev_zc_free(udev);
	kfree(udev->vqs);
	kfree(udev->config);
	kfree(udev);
}

static void uvdev_dev_free(struct device *dev)
{
	struct uvdev_device *udev = dev_to_uvdev(dev);

	ida_free(&uvdev_ids, udev->id);
	uvdev_free(udev);
}

static struct uvdev_device *uvdev_alloc(const struct uvdev_create *req)
{
	struct uvdev_device *udev;
	int ret;
	u32 i;

	udev = kzalloc(sizeof(*udev), GFP_KERNEL);
	if (!udev)
		return ERR_PTR(-ENOMEM);
	udev->vqs = kcalloc(req->num_queues, sizeof(*udev->vqs), GFP_KERNEL);
	udev->config = kzalloc(max_t(u32, req->config_size, 1), GFP_KERNEL);
	ret = uvdev_notif_init(udev, req->notif_max);
	if (!ret)
		ret = uvdev_zc_alloc(udev, req->zc_window_pages);
	if (!udev->vqs || !udev->config || ret) {
		uvdev_free(udev);
		return ERR_PTR(-ENOMEM);
	}
	if (copy_from_user(udev->config, u64_to_user_ptr(req->config),
			   req->config_size)) {
		uvdev_free(udev);
		return ERR_PTR(-EFAULT);
	}

	strscpy(udev->name, req->name, sizeof(udev->name));
	udev->device_id = req->device_id;
	udev->vendor_id = req->vendor_id;
	udev->device_features = req->features;
	udev->num_queues = req->num_queues;
	udev->max_queue_size = req->max_queue_size;
	udev->config_size = req->config_size;
	udev->msg_timeout_ms = req->msg_timeout_ms ?:
			       READ_ONCE(uvdev_default_timeout_ms);
	udev->busy_wait = req->flags & UVDEV_CREATE_F_BUSY_WAIT;
	spin_lock_init(&udev->config_lock);
	INIT_WORK(&udev->register_work, uvdev_register_work);
	uvdev_life_init(udev);
	uvdev_msg_init(udev);
	uvdev_transport_init(udev);
	for (i = 0; i < udev->num_queues; i++)
		uvdev_vq_init(&udev->vqs[i], udev, i);
	return udev;
}

static void uvdev_put_slots(struct uvdev_device *udev, u32 n)
{
	while (n--)
		ida_free(&uvdev_queue_slots, udev->vqs[n].slot);
}

/*
 * A slot for each queue and a serial; under uvdev_devices_lock. -ENOSPC
 * (slots taken back) when max_queues has too few left.
 */
static int uvdev_take_slots(struct uvdev_device *udev)
{
	u32 i;
	int ret;

	for (i = 0; i < udev->num_queues; i++) {
		ret = ida_alloc_max(&uvdev_queue_slots, uvdev_max_queues - 1,
				    GFP_KERNEL);
		if (ret < 0) {
			uvdev_put_slots(udev, i);
			return ret;
		}
		udev->vqs[i].slot = ret;
	}
	if (!++uvdev_last_serial)
		uvdev_last_serial = 1;
	udev->serial = uvdev_last_serial;
	return 0;
}

static int uvdev_create(struct uvdev_create __user *argp)
{
	struct uvdev_create req;
	struct uvdev_device *udev;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ret = uvdev_check_create(&req);
	if (ret)
		return ret;
	udev = uvdev_alloc(&req);
	if (IS_ERR(udev))
		return PTR_ERR(udev);

	ret = ida_alloc_max(&uvdev_ids, UVDEV_MAX_DEVICES - 1, GFP_KERNEL);
	if (ret < 0) {
		uvdev_free(udev);
		return ret;
	}
	udev->id = ret;

	/* From here on, put_device() frees everything (uvdev_dev_free). */
	device_initialize(&udev->dev);
	udev->dev.class = uvdev_class;
	udev->dev.devt = MKDEV(MAJOR(uvdev_devt), udev->id);
	udev->dev.groups = uvdev_groups;
	udev->dev.release = uvdev_dev_free;
	ret = dev_set_name(&udev->dev, "%s", udev->name);
	if (ret)
		goto err_put;
	cdev_init(&udev->cdev, &uvdev_dev_fops);
	udev->cdev.owner = THIS_MODULE;
	/* Answer before the device exists, so a bad pointer creates nothing. */
	if (put_user(udev->id, &argp->dev_id)) {
		ret = -EFAULT;
		goto err_put;
	}

	mutex_lock(&uvdev_devices_lock);
	if (uvdev_find(udev->name)) {
		ret = -EEXIST;
		goto err_unlock;
	}
	ret = uvdev_take_slots(udev);
	if (ret)
		goto err_unlock;
	ret = cdev_device_add(&udev->cdev, &udev->dev);
	if (ret)
		goto err_slots;
	list_add_tail(&udev->node, &uvdev_devices);
	mutex_unlock(&uvdev_devices_lock);

	trace_uvdev_dev_create(udev->id, udev->name, udev->device_id,
			       udev->num_queues, udev->max_queue_size);
	return 0;

err_slots:
	uvdev_put_slots(udev, udev->num_queues);
err_unlock:
	mutex_unlock(&uvdev_devices_lock);
err_put:
	put_device(&udev->dev);
	return ret;
}

/*
 * Destroy a device the caller has marked destroying, then remove its node
 * and its name: a device of the same name can be created only after that.
 * The memory goes when the backend's fd, if still open, is closed.
 */
static void uvdev_destroy_marked(struct uvdev_device *udev)
{
	uvdev_destroy_device(udev);
	trace_uvdev_dev_destroy(udev->id, udev->name, udev->device_id,
				udev->num_queues, udev->max_queue_size);
	cdev_device_del(&udev->cdev, &udev->dev);
	mutex_lock(&uvdev_devices_lock);
	list_del(&udev->node);
	uvdev_put_slots(udev, udev->num_queues);
	mutex_unlock(&uvdev_devices_lock);
	put_device(&udev->dev);
}

static int uvdev_destroy(struct uvdev_destroy __user *argp)
{
	struct uvdev_destroy req;
	struct uvdev_device *udev;
	int ret = 0;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (!uvdev_name_valid(req.name) ||
	    memchr_inv(req.reserved, 0, sizeof(req.reserved)))
		return -EINVAL;

	mutex_lock(&uvdev_devices_lock);
	udev = uvdev_find(req.name);
	if (!udev)
		ret = -ENOENT;
	else if (udev->destroying)
		ret = -EALREADY;
	else
		udev->destroying = true;
	mutex_unlock(&uvdev_devices_lock);
	if (ret)
		return ret;
	uvdev_destroy_marked(udev);
	return 0;
}

/* The device with id @dev_id, with a reference, or NULL. */
static struct uvdev_device *uvdev_get_by_id(u32 dev_id)
{
	struct uvdev_device *udev, *found = NULL;

	mutex_lock(&uvdev_devices_lock);
	list_for_each_entry(udev, &uvdev_devices, node) {
		if (udev->id == dev_id) {
			found = udev;
			get_device(&found->dev);
			break;
		}
	}
	mutex_unlock(&uvdev_devices_lock);
	return found;
}

static long uvdev_queue_state(struct uvdev_queue_state __user *argp)
{
	struct uvdev_queue_state st;
	struct uvdev_device *found;

	if (copy_from_user(&st, argp, sizeof(st)))
		return -EFAULT;
	if (memchr_inv(&st.size, 0, sizeof(st) - offsetof(typeof(st), size)))
		return -EINVAL;
	found = uvdev_get_by_id(st.dev_id);
	if (!found)
		return -ENOENT;
	if (st.queue >= found->num_queues) {
		put_device(&found->dev);
		return -EINVAL;
	}

	uvdev_vq_state(&found->vqs[array_index_nospec(st.queue, found->num_queues)],
		       &st);
	st.serial = found->serial;
	if (uvdev_is_broken(found))
		st.flags |= UVDEV_QUEUE_BROKEN;
	if (READ_ONCE(found->backend))
		st.flags |= UVDEV_QUEUE_BACKEND;
	st.status = uvdev_status(found);
	st.now_ns = ktime_get_ns();
	put_device(&found->dev);
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long uvdev_notif_state_ioctl(struct uvdev_notif_state __user *argp)
{
	struct uvdev_notif_state st;
	struct uvdev_device *udev;

	if (copy_from_user(&st, argp, sizeof(st)))
		return -EFAULT;
	if (memchr_inv(&st.notif_max, 0,
		       sizeof(st) - offsetof(typeof(st), notif_max)))
		return -EINVAL;
	udev = uvdev_get_by_id(st.dev_id);
	if (!udev)
		return -ENOENT;
	uvdev_notif_state(udev, &st);
	st.now_ns = ktime_get_ns();
	put_device(&udev->dev);
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long uvdev_notif_wait_ioctl(struct uvdev_notif_wait __user *argp)
{
	struct uvdev_notif_wait req;
	struct uvdev_device *udev;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved || req.waited_ns)
		return -EINVAL;
	udev = uvdev_get_by_id(req.dev_id);
	if (!udev)
		return -ENOENT;
	ret = uvdev_notif_wait(udev, req.key, req.timeout_ms, &req.waited_ns);
	put_device(&udev->dev);
	if (ret == -EINVAL)
		return ret;
	if (put_user(req.waited_ns, &argp->waited_ns))
		return -EFAULT;
	return ret;
}

static long uvdev_control_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case UVDEV_IOC_QUEUE_STATE:
		return uvdev_queue_state(argp);
	case UVDEV_IOC_NOTIF_STATE:
		return uvdev_notif_state_ioctl(argp);
	case UVDEV_IOC_NOTIF_WAIT:
		return uvdev_notif_wait_ioctl(argp);
	case UVDEV_IOC_CREATE:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return uvdev_create(argp);
	case UVDEV_IOC_DESTROY:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
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

static char *uvdev_devnode(struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return kasprintf(GFP_KERNEL, "uvdev/%s", dev_name(dev));
}

static int __init uvdev_init(void)
{
	int ret;

	if (!uvdev_max_queues ||
	    uvdev_max_queues > UVDEV_MAX_DEVICES * UVDEV_MAX_QUEUES) {
		pr_err("uvdev: max_queues=%u: it must be 1..%u\n", uvdev_max_queues,
		       UVDEV_MAX_DEVICES * UVDEV_MAX_QUEUES);
		return -EINVAL;
	}

	ret = uvdev_lifecycle_init();
	if (ret)
		return ret;
	ret = alloc_chrdev_region(&uvdev_devt, 0, UVDEV_MAX_DEVICES, "uvdev");
	if (ret)
		goto err_lifecycle_exit;
	uvdev_class = class_create(THIS_MODULE, "uvdev");
	if (IS_ERR(uvdev_class)) {
		ret = PTR_ERR(uvdev_class);
		goto err_unregister_region;
	}
	uvdev_class->devnode = uvdev_devnode;
	ret = misc_register(&uvdev_control);
	if (ret)
		goto err_destroy_class;
	return 0;

err_destroy_class:
	class_destroy(uvdev_class);
err_unregister_region:
	unregister_chrdev_region(uvdev_devt, UVDEV_MAX_DEVICES);
err_lifecycle_exit:
	uvdev_lifecycle_exit();
	return ret;
}

/*
 * No backend holds a device fd (each holds the module) and the control
 * node is gone, so nothing else destroys devices now; each breaks at once
 * for want of a backend.
 */
static void __exit uvdev_exit(void)
{
	struct uvdev_device *udev, *tmp;

	misc_deregister(&uvdev_control);
	mutex_lock(&uvdev_devices_lock);
	list_for_each_entry(udev, &uvdev_devices, node)
		udev->destroying = true;
	mutex_unlock(&uvdev_devices_lock);
	list_for_each_entry_safe(udev, tmp, &uvdev_devices, node)
		uvdev_destroy_marked(udev);
	class_destroy(uvdev_class);
	unregister_chrdev_region(uvdev_devt, UVDEV_MAX_DEVICES);
	uvdev_lifecycle_exit();
}

module_init(uvdev_init);
module_exit(uvdev_exit);

MODULE_DESCRIPTION("Userspace virtio devices on the virtio bus");
MODULE_LICENSE("GPL");
