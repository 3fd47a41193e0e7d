// SPDX-License-Identifier: GPL-2.0
/*
 * libuvdev: device creation and destruction over /dev/uvdev/control.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
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
	default:
		return strerror(-err);
	}
}
