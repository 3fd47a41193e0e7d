/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libuvdev: the C library over the uvdev ioctl ABI.
 *
 * Functions return 0 or a non-negative value on success and a negative errno
 * on failure; none of them prints. The service threads that backends share
 * are declared in uvdev_service.h.
 */
#ifndef LIBUVDEV_H
#define LIBUVDEV_H

#include <stdbool.h>
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
	uint32_t flags;		/* UVDEV_CREATE_F_* */
	uint32_t notif_max;	/* largest notification key, 0..UVDEV_NOTIF_MAX_KEY */
	uint32_t zc_window_pages;	/* zero-copy window; 0: none */
};

/* ---- control device (CAP_SYS_ADMIN) -------------------------------------- */

/* Create a device; returns its id (the "dev" of every tracepoint). */
int uvdev_create_device(const struct uvdev_params *params);
/* Destroy a device by name. */
int uvdev_destroy_device(const char *name);
/* Open /dev/uvdev/control for queries; returns the fd. */
int uvdev_control_open(void);
/*
 * The kernel's view of one queue of device @dev_id (its sysfs dev_id): see
 * UVDEV_IOC_QUEUE_STATE in uapi/uvdev.h.
 */
int uvdev_queue_state(int control_fd, uint32_t dev_id, uint32_t queue,
		      struct uvdev_queue_state *st);
/*
 * Notifications of device @dev_id (see UVDEV_IOC_NOTIF_WAIT in uapi/uvdev.h):
 * wait up to @timeout_ms for @key to be posted (0: only take a remembered
 * one); *@waited_ns, if not NULL, says how long it waited, also on error.
 */
int uvdev_notif_wait(int control_fd, uint32_t dev_id, uint32_t key,
		     uint32_t timeout_ms, uint64_t *waited_ns);
/* The kernel's notification counters and waiters (UVDEV_IOC_NOTIF_STATE). */
int uvdev_notif_state(int control_fd, uint32_t dev_id,
		      struct uvdev_notif_state *st);
/* A short explanation of an errno returned by the functions above. */
const char *uvdev_strerror(int err);
/*
 * True if @name is a valid device name: [a-zA-Z0-9_-], 1..UVDEV_NAME_MAX-1,
 * and not "control" (/dev/uvdev/control).
 */
bool uvdev_name_valid(const char *name);

/* ---- a device's backend fd ----------------------------------------------- */

/* Open /dev/uvdev/<name> (O_RDWR | O_CLOEXEC); returns the fd. */
int uvdev_open(const char *name);

/*
 * Read one control message. Returns 0, or -EAGAIN if the fd is non-blocking
 * and none waits, -EIO once the device is broken, -ESHUTDOWN once destroyed
 * (the kernel reports that as end of file).
 */
int uvdev_read_msg(int fd, struct uvdev_msg *msg);
/* Answer @msg with @result: 0 accepts, a negative errno refuses. */
int uvdev_reply_msg(int fd, const struct uvdev_msg *msg, int result);
/* The name of a control message type ("SET_STATUS", ...; "unknown"). */
const char *uvdev_msg_name(uint32_t type);

int uvdev_dev_info(int fd, struct uvdev_dev_info *info);
int uvdev_vq_info(int fd, uint32_t queue, struct uvdev_vq_info *info);
/* Signal @eventfd when the driver kicks @queue; -1 removes it. */
int uvdev_vq_set_kickfd(int fd, uint32_t queue, int eventfd);

/*
 * Pop up to @max (1..UVDEV_MAX_BATCH) available chains of @queue into
 * @elems. With @peek_len non-zero, the first @peek_len out-bytes of chain i
 * land at @peek_buf + i * @peek_len (zero-filled past the chain's out-bytes).
 * Returns the number popped, 0 when the ring is empty.
 */
int uvdev_vq_pop(int fd, uint32_t queue, struct uvdev_vq_elem *elems,
		 uint32_t max, void *peek_buf, uint32_t peek_len);

/*
 * One UVDEV_IOC_VQ_XFER: runs @ops in order, stops at the first that fails.
 * Returns how many succeeded; if fewer than @count, ops[ret].result holds
 * the error. A failure of the first op returns its negative errno.
 */
int uvdev_vq_xfer(int fd, struct uvdev_vq_xfer_op *ops, uint32_t count);

/*
 * Run every op of @ops (any count), in UVDEV_MAX_BATCH-sized ioctls. An op
 * that fails on its own (ENOENT, ERANGE, EINVAL, EFAULT) keeps its negative
 * errno in .result and the rest still run; every op that ran keeps the bytes
 * moved in .result. Returns 0 or the negative errno that stopped the whole
 * batch: -EIO (broken), -ENODEV (queue reset), -ESHUTDOWN (destroyed).
 */
int uvdev_vq_xfer_all(int fd, struct uvdev_vq_xfer_op *ops, size_t count);

/*
 * One UVDEV_IOC_VQ_PUSH of @count (1..UVDEV_MAX_BATCH) used entries, with
 * UVDEV_PUSH_F_* @flags. Returns how many were pushed.
 */
int uvdev_vq_push(int fd, uint32_t queue, const struct uvdev_vq_used *used,
		  uint32_t count, uint32_t flags);

/*
 * Push every entry of @used (any count), skipping entries the kernel
 * refuses one by one (not in flight, len beyond the chain). Returns the
 * number of refused entries, or the negative errno that stopped the whole
 * batch as for uvdev_vq_xfer_all().
 */
int uvdev_vq_push_all(int fd, uint32_t queue, const struct uvdev_vq_used *used,
		      size_t count, uint32_t flags);

/*
 * One UVDEV_IOC_VQ_SERVE: push @count (1..UVDEV_MAX_BATCH) used entries
 * with UVDEV_PUSH_F_* @flags, then pop up to @max chains as uvdev_vq_pop()
 * does. Returns the number popped (0: the ring is empty). On failure,
 * *@pushed (if not NULL) says how many entries were pushed: fewer than
 * @count with -ENOENT or -ERANGE (entry *@pushed was refused; nothing was
 * popped), all of them when the pop half failed. See uapi/uvdev.h.
 */
int uvdev_vq_serve(int fd, uint32_t queue, const struct uvdev_vq_used *used,
		   uint32_t count, uint32_t flags, struct uvdev_vq_elem *elems,
		   uint32_t max, void *peek_buf, uint32_t peek_len,
		   uint32_t *pushed);

/*
 * Push every entry of @used (any count, 0 too) as uvdev_vq_push_all() does,
 * storing the number refused in *@refused, then pop up to @max chains:
 * one UVDEV_IOC_VQ_SERVE when at most UVDEV_MAX_BATCH entries are pushed
 * and none is refused. Returns the number popped, or the negative errno
 * that stopped the whole batch as for uvdev_vq_xfer_all().
 */
int uvdev_vq_serve_all(int fd, uint32_t queue, const struct uvdev_vq_used *used,
		       size_t count, uint32_t flags, struct uvdev_vq_elem *elems,
		       uint32_t max, void *peek_buf, uint32_t peek_len,
		       int *refused);

/* Inject @queue's interrupt. */
int uvdev_vq_irq(int fd, uint32_t queue);

/* Change config space bytes; UVDEV_CONFIG_F_IRQ in @flags tells the driver. */
int uvdev_set_config(int fd, uint32_t offset, const void *data, uint32_t len,
		     uint32_t flags);

/*
 * Post @count notification values (0 runs the bottom half, 1..notif_max are
 * keys), making @events (UVDEV_NOTIF_EV_*) pending for the bottom half
 * first. @count may be 0 when @events is not.
 */
int uvdev_notify(int fd, const uint32_t *values, uint32_t count,
		 uint32_t events);
/* ---- zero copy (see UVDEV_IOC_ZC_MAP in uapi/uvdev.h) ------------------- */

/*
 * Map the device's zero-copy window of @pages pages (shared, read-write)
 * and store its address in @window. Returns 0.
 */
int uvdev_zc_window(int fd, uint32_t pages, void **window);
/* Unmap a window uvdev_zc_window() mapped. */
void uvdev_zc_window_unmap(void *window, uint32_t pages);

/*
 * Map @out_len out-bytes from @out_offset and @in_len in-bytes from
 * @in_offset of the popped chain @head of @queue into the window; up to
 * @max_segs segments land in @segs. On success fills @res (id, nsegs,
 * mapped and copied pages) and returns 0; -ENOBUFS when the window is full
 * (serve the chain with XFER, reap completions).
 */
int uvdev_zc_map(int fd, uint32_t queue, uint32_t head, uint32_t out_offset,
		 uint32_t out_len, uint32_t in_offset, uint32_t in_len,
		 struct uvdev_zc_seg *segs, uint32_t max_segs,
		 struct uvdev_zc_map *res);

/*
 * Reap up to @max (1..UVDEV_MAX_BATCH) completions into @recs; returns how
 * many, or -EAGAIN when none is pending. Never blocks.
 */
int uvdev_zc_reap(int fd, struct uvdev_zc_completion *recs, uint32_t max);

/* The window's state and counters. */
int uvdev_zc_info(int fd, struct uvdev_zc_info *info);

/* Ids in the completion @c: hi - lo + 1, modulo 2^32 (it may wrap). */
static inline uint64_t uvdev_zc_ids(const struct uvdev_zc_completion *c)
{
	return (uint64_t)(uint32_t)(c->hi - c->lo) + 1;
}

#endif /* LIBUVDEV_H */
