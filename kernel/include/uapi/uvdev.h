/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * uvdev: userspace virtio devices on the virtio bus.
 *
 * The ioctl ABI between the uvdev module and its backends. Every structure
 * has fixed-width fields, explicit padding and reserved space that must be
 * zero, so the layout is the same for 32- and 64-bit callers.
 */
#ifndef _UAPI_LINUX_UVDEV_H
#define _UAPI_LINUX_UVDEV_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define UVDEV_CONTROL_PATH	"/dev/uvdev/control"
#define UVDEV_DEV_DIR		"/dev/uvdev"

/* Device names: [a-zA-Z0-9_-], 1..UVDEV_NAME_MAX-1 bytes, NUL terminated. */
#define UVDEV_NAME_MAX		32
#define UVDEV_MAX_QUEUES	64
#define UVDEV_MAX_QUEUE_SIZE	1024
#define UVDEV_MAX_CONFIG_SIZE	4096
#define UVDEV_MAX_TIMEOUT_MS	(3600 * 1000)

#define UVDEV_IOC_MAGIC		0xE5

/*
 * UVDEV_IOC_CREATE - create a device (CAP_SYS_ADMIN).
 * @name: device name, also /dev/uvdev/<name>.
 * @device_id: virtio device id (VIRTIO_ID_*); see the README for the allowed ids.
 * @vendor_id: virtio vendor id reported to the driver.
 * @features: device feature bits offered to the driver; must include
 *	VIRTIO_F_VERSION_1 and must not include VIRTIO_F_ACCESS_PLATFORM.
 * @num_queues: number of virtqueues, 1..UVDEV_MAX_QUEUES.
 * @max_queue_size: largest ring the driver may ask for, a power of two
 *	in 2..UVDEV_MAX_QUEUE_SIZE.
 * @msg_timeout_ms: how long a control message waits for the backend;
 *	0 takes the module's msg_timeout_ms parameter.
 * @config_size: bytes of device config space, 0..UVDEV_MAX_CONFIG_SIZE.
 * @config: user pointer to @config_size bytes of initial config space.
 * @dev_id: out: the device's id, the "dev" field of every uvdev tracepoint.
 * @reserved: must be zero.
 */
struct uvdev_create {
	char name[UVDEV_NAME_MAX];
	__u32 device_id;
	__u32 vendor_id;
	__u64 features;
	__u32 num_queues;
	__u32 max_queue_size;
	__u32 msg_timeout_ms;
	__u32 config_size;
	__u64 config;
	__u32 dev_id;
	__u32 reserved[7];
};

/* UVDEV_IOC_DESTROY - destroy a device by name (CAP_SYS_ADMIN). */
struct uvdev_destroy {
	char name[UVDEV_NAME_MAX];
	__u32 reserved[4];
};

#define UVDEV_IOC_CREATE	_IOWR(UVDEV_IOC_MAGIC, 0x00, struct uvdev_create)
#define UVDEV_IOC_DESTROY	_IOW(UVDEV_IOC_MAGIC, 0x01, struct uvdev_destroy)

#endif /* _UAPI_LINUX_UVDEV_H */
