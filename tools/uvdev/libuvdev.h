/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libuvdev: the C library over the uvdev ioctl ABI.
 *
 * Functions return 0 or a non-negative value on success and a negative errno
 * on failure; none of them prints.
 */
#ifndef LIBUVDEV_H
#define LIBUVDEV_H

#include <stddef.h>
#include <stdint.h>

#include <uapi/uvdev.h>

/* Parameters of a new device; see struct uvdev_create in uapi/uvdev.h. */
struct uvdev_params {
	const char *name;
	uint32_t device_id;
	uint32_t vendor_id;
	uint64_t features;
	uint32_t num_queues;
	uint32_t max_queue_size;
	uint32_t msg_timeout_ms;
	const void *config;
	uint32_t config_size;
};

/* Create a device; returns its id (the "dev" of every tracepoint). */
int uvdev_create_device(const struct uvdev_params *params);
/* Destroy a device by name. */
int uvdev_destroy_device(const char *name);
/* A short explanation of an errno returned by the functions above. */
const char *uvdev_strerror(int err);

#endif /* LIBUVDEV_H */
