// SPDX-License-Identifier: GPL-2.0
/*
 * libuvdev: device creation and destruction over /dev/uvdev/control, and
 * the backend's calls on /dev/uvdev/<name>.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libuvdev.h"

static int control_ioctl(unsigned long cmd, void *arg)
{
	int fd, ret = 0;

	fd = open(UVDEV_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, cmd, arg) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

bool uvdev_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	size_t i;

	if (len == 0 || len >= UVDEV_NAME_MAX || !strcmp(name, "control"))
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int copy_name(char dst[UVDEV_NAME_MAX], const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len >= UVDEV_NAME_MAX)
		return -EINVAL;
	memcpy(dst, name, len + 1);
	return 0;
}

int uvdev_create_device(const struct uvdev_params *p)
{
	struct uvdev_create req;
	int ret;

	memset(&req, 0, sizeof(req));
	ret = copy_name(req.name, p->name);
	if (ret)
		return ret;
	req.device_id = p->device_id;
	req.vendor_id = p->vendor_id;
	req.features = p->features;
	req.num_queues = p->num_queues;
	req.max_queue_size = p->max_queue_size;
	req.msg_timeout_ms = p->msg_timeout_ms;
	req.config_size = p->config_size;
	req.config = (uintptr_t)p->config;
	req.flags = p->flags;
	req.notif_max = p->notif_max;
	req.zc_window_pages = p->zc_window_pages;
	ret = control_ioctl(UVDEV_IOC_CREATE, &req);
	return ret ? ret : (int)req.dev_id;
}

int uvdev_destroy_device(const char *name)
{
	struct uvdev_destroy req;
	int ret;

	memset(&req, 0, sizeof(req));
	ret = copy_name(req.name, name);
	if (ret)
		return ret;
	return control_ioctl(UVDEV_IOC_DESTROY, &req);
}

int uvdev_control_open(void)
{
	int fd = open(UVDEV_CONTROL_PATH, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int uvdev_queue_state(int control_fd, uint32_t dev_id, uint32_t queue,
		      struct uvdev_queue_state *st)
{
	memset(st, 0, sizeof(*st));
	st->dev_id = dev_id;
	st->queue = queue;
	return ioctl(control_fd, UVDEV_IOC_QUEUE_STATE, st) < 0 ? -errno : 0;
}

int uvdev_notif_wait(int control_fd, uint32_t dev_id, uint32_t key,
		     uint32_t timeout_ms, uint64_t *waited_ns)
{
	struct uvdev_notif_wait req = {
		.dev_id = dev_id,
		.key = key,
		.timeout_ms = timeout_ms,
	};
	int ret;

	ret = ioctl(control_fd, UVDEV_IOC_NOTIF_WAIT, &req) < 0 ? -errno : 0;
	if (waited_ns)
		*waited_ns = req.waited_ns;
	return ret;
}

int uvdev_notif_state(int control_fd, uint32_t dev_id,
		      struct uvdev_notif_state *st)
{
	memset(st, 0, sizeof(*st));
	st->dev_id = dev_id;
	return ioctl(control_fd, UVDEV_IOC_NOTIF_STATE, st) < 0 ? -errno : 0;
}

const char *uvdev_strerror(int err)
{
	switch (-err) {
	case ENOENT:
		return "no such device, or /dev/uvdev/control is missing (is the uvdev module loaded?)";
	case EPERM:
	case EACCES:
		return "permission denied (creating and destroying devices needs CAP_SYS_ADMIN)";
	case EEXIST:
		return "a device with that name already exists";
	case EINVAL:
		return "invalid parameters (check the name, queue count and size, features and config)";
	case EOPNOTSUPP:
		return "this device's driver busy-waits for the device (virtio_console, virtio_net with "
		       "VIRTIO_NET_F_CTRL_VQ); accept that explicitly with UVDEV_CREATE_F_BUSY_WAIT";
	case EALREADY:
		return "the device is already being destroyed";
	case ENOSPC:
		return "no room: 256 devices exist, or their queues would exceed the uvdev "
		       "module's max_queues (see /sys/module/uvdev/parameters/max_queues; "
		       "load the module with a larger max_queues=N)";
	default:
		return strerror(-err);
	}
}

int uvdev_open(const char *name)
{
	char path[sizeof(UVDEV_DEV_DIR) + UVDEV_NAME_MAX + 1];
	int fd;

	/* The name becomes a path: keep it to one component under /dev/uvdev. */
	if (!uvdev_name_valid(name))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", UVDEV_DEV_DIR, name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

const char *uvdev_msg_name(uint32_t type)
{
	switch (type) {
	case UVDEV_MSG_SET_STATUS:
		return "SET_STATUS";
	case UVDEV_MSG_RESET:
		return "RESET";
	case UVDEV_MSG_VQ_READY:
		return "VQ_READY";
	case UVDEV_MSG_SET_CONFIG:
		return "SET_CONFIG";
	default:
		return "unknown";
	}
}

int uvdev_read_msg(int fd, struct uvdev_msg *msg)
{
	ssize_t n;

	do {
		n = read(fd, msg, sizeof(*msg));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* End of file: the device was destroyed. */
	if (n == 0)
		return -ESHUTDOWN;
	return n == sizeof(*msg) ? 0 : -EPROTO;
}

int uvdev_reply_msg(int fd, const struct uvdev_msg *msg, int result)
{
	struct uvdev_msg_reply reply = {
		.id = msg->id,
		.type = msg->type,
		.result = result,
	};
	ssize_t n;

	do {
		n = write(fd, &reply, sizeof(reply));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(reply) ? 0 : -EPROTO;
}

static int dev_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

int uvdev_dev_info(int fd, struct uvdev_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	return dev_ioctl(fd, UVDEV_IOC_DEV_INFO, info);
}

int uvdev_vq_info(int fd, uint32_t queue, struct uvdev_vq_info *info)
{
	memset(info, 0, sizeof(*info));
	info->queue = queue;
	return dev_ioctl(fd, UVDEV_IOC_VQ_INFO, info);
}

int uvdev_vq_set_kickfd(int fd, uint32_t queue, int eventfd)
{
	struct uvdev_vq_kickfd req = { .queue = queue, .fd = eventfd };

	return dev_ioctl(fd, UVDEV_IOC_VQ_SET_KICKFD, &req);
}

int uvdev_vq_pop(int fd, uint32_t queue, struct uvdev_vq_elem *elems,
		 uint32_t max, void *peek_buf, uint32_t peek_len)
{
	struct uvdev_vq_pop req = {
		.queue = queue,
		.max = max,
		.elems = (uintptr_t)elems,
		.peek_len = peek_len,
		.peek_buf = (uintptr_t)peek_buf,
	};

	return dev_ioctl(fd, UVDEV_IOC_VQ_POP, &req);
}

int uvdev_vq_xfer(int fd, struct uvdev_vq_xfer_op *ops, uint32_t count)
{
	struct uvdev_vq_xfer req = { .count = count, .ops = (uintptr_t)ops };

	return dev_ioctl(fd, UVDEV_IOC_VQ_XFER, &req);
}

/* Errors that concern one op or used entry, not the device or the queue. */
static bool error_is_per_entry(int err)
{
	return err == -ENOENT || err == -ERANGE || err == -EINVAL || err == -EFAULT;
}

static uint32_t batch_len(size_t left)
{
	return left > UVDEV_MAX_BATCH ? UVDEV_MAX_BATCH : (uint32_t)left;
}

int uvdev_vq_xfer_all(int fd, struct uvdev_vq_xfer_op *ops, size_t count)
{
	size_t done = 0;

	while (done < count) {
		uint32_t n = batch_len(count - done);
		int ret, err;

		/* Tells an error of the first op apart from one of the call. */
		ops[done].result = 0;
		ret = uvdev_vq_xfer(fd, ops + done, n);
		if (ret < 0) {
			if (ops[done].result != ret || !error_is_per_entry(ret))
				return ret;
			done++;
			continue;
		}
		done += ret;
		if ((uint32_t)ret == n)
			continue;
		err = ops[done].result;
		if (err >= 0)
			return -EPROTO;
		if (!error_is_per_entry(err))
			return err;
		done++;
	}
	return 0;
}

int uvdev_vq_push(int fd, uint32_t queue, const struct uvdev_vq_used *used,
		  uint32_t count, uint32_t flags)
{
	struct uvdev_vq_push req = {
		.queue = queue,
		.count = count,
		.used = (uintptr_t)used,
		.flags = flags,
	};

	return dev_ioctl(fd, UVDEV_IOC_VQ_PUSH, &req);
}

int uvdev_vq_push_all(int fd, uint32_t queue, const struct uvdev_vq_used *used,
		      size_t count, uint32_t flags)
{
	size_t done = 0;
	int refused = 0;

	while (done < count) {
		uint32_t n = batch_len(count - done);
		int ret;

		ret = uvdev_vq_push(fd, queue, used + done, n, flags);
		if (ret < 0) {
			/* Entry-level errors only name the first entry. */
			if (ret != -ENOENT && ret != -ERANGE)
				return ret;
			ret = 0;
		}
		done += ret;
		if ((uint32_t)ret < n) {
			refused++;
			done++;
		}
	}
	return refused;
}

int uvdev_vq_serve(int fd, uint32_t queue, const struct uvdev_vq_used *used,
		   uint32_t count, uint32_t flags, struct uvdev_vq_elem *elems,
		   uint32_t max, void *peek_buf, uint32_t peek_len,
		   uint32_t *pushed)
{
	struct uvdev_vq_serve req = {
		.queue = queue,
		.push_count = count,
		.used = (uintptr_t)used,
		.push_flags = flags,
		.pop_max = max,
		.elems = (uintptr_t)elems,
		.peek_len = peek_len,
		.peek_buf = (uintptr_t)peek_buf,
	};
	int ret = dev_ioctl(fd, UVDEV_IOC_VQ_SERVE, &req);

	if (pushed)
		*pushed = req.pushed;
	return ret;
}

int uvdev_vq_serve_all(int fd, uint32_t queue, const struct uvdev_vq_used *used,
		       size_t count, uint32_t flags, struct uvdev_vq_elem *elems,
		       uint32_t max, void *peek_buf, uint32_t peek_len,
		       int *refused)
{
	size_t first = count > UVDEV_MAX_BATCH ? count - UVDEV_MAX_BATCH : 0;
	uint32_t pushed = 0;
	int ret;

	*refused = 0;
	if (!count)
		return uvdev_vq_pop(fd, queue, elems, max, peek_buf, peek_len);
	/* All but the last UVDEV_MAX_BATCH entries go by plain pushes. */
	if (first) {
		ret = uvdev_vq_push_all(fd, queue, used, first, flags);
		if (ret < 0)
			return ret;
		*refused = ret;
	}
	ret = uvdev_vq_serve(fd, queue, used + first, (uint32_t)(count - first),
			     flags, elems, max, peek_buf, peek_len, &pushed);
	if (ret != -ENOENT && ret != -ERANGE)
		return ret;
	/* Entry first + pushed was refused: push the rest, then pop. */
	(*refused)++;
	first += (size_t)pushed + 1;
	if (first < count) {
		ret = uvdev_vq_push_all(fd, queue, used + first, count - first, flags);
		if (ret < 0)
			return ret;
		*refused += ret;
	}
	return uvdev_vq_pop(fd, queue, elems, max, peek_buf, peek_len);
}

int uvdev_vq_irq(int fd, uint32_t queue)
{
	struct uvdev_vq_irq req = { .queue = queue };

	return dev_ioctl(fd, UVDEV_IOC_VQ_IRQ, &req);
}

int uvdev_set_config(int fd, uint32_t offset, const void *data, uint32_t len,
		     uint32_t flags)
{
	struct uvdev_config_update req = {
		.offset = offset,
		.len = len,
		.data = (uintptr_t)data,
		.flags = flags,
	};

	return dev_ioctl(fd, UVDEV_IOC_SET_CONFIG, &req);
}

int uvdev_notify(int fd, const uint32_t *values, uint32_t count,
		 uint32_t events)
{
	struct uvdev_notify req = {
		.count = count,
		.events = events,
		.values = (uintptr_t)values,
	};

	return dev_ioctl(fd, UVDEV_IOC_NOTIFY, &req);
}

int uvdev_zc_window(int fd, uint32_t pages, void **window)
{
	long page = sysconf(_SC_PAGESIZE);
	void *addr;

	if (page <= 0 || pages == 0)
		return -EINVAL;
	addr = mmap(NULL, (size_t)pages * (size_t)page, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		return -errno;
	*window = addr;
	return 0;
}

void uvdev_zc_window_unmap(void *window, uint32_t pages)
{
	long page = sysconf(_SC_PAGESIZE);

	if (window && page > 0)
		munmap(window, (size_t)pages * (size_t)page);
}

int uvdev_zc_map(int fd, uint32_t queue, uint32_t head, uint32_t out_offset,
		 uint32_t out_len, uint32_t in_offset, uint32_t in_len,
		 struct uvdev_zc_seg *segs, uint32_t max_segs,
		 struct uvdev_zc_map *res)
{
	memset(res, 0, sizeof(*res));
	res->queue = queue;
	res->head = head;
	res->out_offset = out_offset;
	res->out_len = out_len;
	res->in_offset = in_offset;
	res->in_len = in_len;
	res->max_segs = max_segs;
	res->segs = (uintptr_t)segs;
	return dev_ioctl(fd, UVDEV_IOC_ZC_MAP, res);
}

int uvdev_zc_reap(int fd, struct uvdev_zc_completion *recs, uint32_t max)
{
	struct uvdev_zc_reap req = { .max = max, .recs = (uintptr_t)recs };
	int ret = ioctl(fd, UVDEV_IOC_ZC_REAP, &req);

	return ret < 0 ? -errno : ret;
}

int uvdev_zc_info(int fd, struct uvdev_zc_info *info)
{
	memset(info, 0, sizeof(*info));
	return dev_ioctl(fd, UVDEV_IOC_ZC_INFO, info);
}
