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

#include <linux/const.h>
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
 * @device_id: virtio device id: VIRTIO_ID_NET (1), VIRTIO_ID_BLOCK (2),
 *	VIRTIO_ID_CONSOLE (3) or VIRTIO_ID_RNG (4).
 * @vendor_id: virtio vendor id reported to the driver.
 * @features: device feature bits offered to the driver. Must include
 *	VIRTIO_F_VERSION_1; of the other transport bits (28..40, the kernel's
 *	VIRTIO_TRANSPORT_F_START..END - 1) only
 *	VIRTIO_RING_F_INDIRECT_DESC is allowed (no ACCESS_PLATFORM: the kernel
 *	moves the bytes, the backend never sees an address; no EVENT_IDX and no
 *	packed ring).
 * @num_queues: number of virtqueues, 1..UVDEV_MAX_QUEUES.
 * @max_queue_size: largest ring the driver may ask for, a power of two
 *	in 2..UVDEV_MAX_QUEUE_SIZE.
 * @msg_timeout_ms: how long a control message waits for the backend;
 *	0 takes the module's msg_timeout_ms parameter.
 * @config_size: bytes of device config space, 0..UVDEV_MAX_CONFIG_SIZE.
 * @config: user pointer to @config_size bytes of initial config space.
 * @dev_id: out: the device's id, the "dev" field of every uvdev tracepoint.
 *	Written before the device exists: if it cannot be, nothing is created.
 * @flags: UVDEV_CREATE_F_*.
 * @notif_max: the largest notification key, 0..UVDEV_NOTIF_MAX_KEY: keys
 *	1..@notif_max can be posted (UVDEV_IOC_NOTIFY) and waited for
 *	(UVDEV_IOC_NOTIF_WAIT); 0 allows only the bottom-half value.
 * @zc_window_pages: size in pages of the device's zero-copy window (see
 *	UVDEV_IOC_ZC_MAP), 0..UVDEV_ZC_MAX_WINDOW_PAGES; 0 turns zero copy
 *	off for the device.
 * @reserved: must be zero.
 *
 * Errors: EINVAL a field out of range, EEXIST the name is taken (also while
 * a device of that name is being destroyed), EOPNOTSUPP the device's driver
 * busy-waits and UVDEV_CREATE_F_BUSY_WAIT is not set, ENOSPC no device id
 * left or its queues would exceed the module's max_queues parameter (all
 * devices' queues together, default 1024), EPERM not CAP_SYS_ADMIN.
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
	__u32 flags;
	__u32 notif_max;
	__u32 zc_window_pages;
	__u32 reserved[4];
};

/* The largest zero-copy window: 256 MiB of 4 KiB pages. */
#define UVDEV_ZC_MAX_WINDOW_PAGES	65536

/*
 * Some drivers wait for the device by spinning on a CPU with interrupts or
 * preemption off: virtio_console (every console device: console output and
 * port control) and virtio_net with VIRTIO_NET_F_CTRL_VQ (control commands,
 * under rtnl_lock). With a userspace backend, the spinning CPU waits for a
 * process that may need that very CPU (always, on one CPU) or that is
 * stopped: the CPU locks up until the backend answers, which no timeout
 * can end. Such devices are refused (EOPNOTSUPP) unless this flag accepts
 * that; then, when the device breaks, its virtqueues are broken too so a
 * spinner gives up.
 */
#define UVDEV_CREATE_F_BUSY_WAIT	_BITUL(0)

/*
 * UVDEV_IOC_DESTROY - destroy a device by name (CAP_SYS_ADMIN).
 *
 * The kernel's driver unbinds first. With the backend serving, what is in
 * flight completes normally. With no backend, or one that does not let the
 * driver's removal finish within the device's message timeout (and a
 * second's grace), the device breaks (every request fails, block requests
 * with VIRTIO_BLK_S_IOERR) and the removal completes. So DESTROY returns
 * within the message timeout, plus a second, plus the driver's own removal
 * time; a driver's probe and an unbind are bounded the same way. Errors:
 * ENOENT no such device, EALREADY it is being destroyed.
 */
struct uvdev_destroy {
	char name[UVDEV_NAME_MAX];
	__u32 reserved[4];
};

/*
 * UVDEV_IOC_QUEUE_STATE - one queue as the kernel sees it now, for monitors
 * (control node; no backend fd needed). Set @dev_id (sysfs dev_id) and
 * @queue and zero the rest, which is output. Times are CLOCK_MONOTONIC
 * nanoseconds.
 * @size: ring size, 0 until the driver sets the queue up.
 * @flags: UVDEV_QUEUE_*.
 * @pending: chains available to the backend and not popped yet.
 * @inflight: chains popped and not pushed yet, including those a backend
 *	that went away left to be handed out again.
 * @pending_since_ns: when the oldest pending chain was kicked; 0 if none is
 *	pending or its kick is not known (made available without a kick).
 * @inflight_since_ns: when the oldest chain in flight was first popped; 0 if
 *	none.
 * @irq_since_ns: when the oldest completion the driver has not been
 *	interrupted for was published (pushed, or failed); 0 if none. An
 *	interrupt delivered, or found suppressed by the driver, clears it.
 * @now_ns: when this state was read.
 * @status: the device status byte the driver last set.
 * @slot: the queue's slot among every device's queues, below the module's
 *	max_queues; the "slot" of its tracepoints. Monitors index arrays with
 *	it. Taken at create, given back at destroy.
 * @serial: its device's serial, the "serial" of its tracepoints: never the
 *	same for two devices (until it wraps at 2^32 creates), so a slot's
 *	counters can tell its owners apart. Never 0.
 * Errors: ENOENT no device with that id, EINVAL queue out of range or an
 * output field not zero.
 */
struct uvdev_queue_state {
	__u32 dev_id;
	__u32 queue;
	__u32 size;
	__u32 flags;
	__u32 pending;
	__u32 inflight;
	__u64 pending_since_ns;
	__u64 inflight_since_ns;
	__u64 irq_since_ns;
	__u64 now_ns;
	__u8 status;
	__u8 reserved[3];
	__u32 slot;
	__u32 serial;
	__u8 reserved2[4];
};

#define UVDEV_QUEUE_READY	_BITUL(0)	/* set up and not reset */
#define UVDEV_QUEUE_RECEIVE	_BITUL(1)	/* buffers wait for device data */
#define UVDEV_QUEUE_BROKEN	_BITUL(2)	/* the device is broken */
#define UVDEV_QUEUE_BACKEND	_BITUL(3)	/* a backend holds the device */

/*
 * Asynchronous notifications, on the model of OP-TEE's: the backend posts
 * values (UVDEV_IOC_NOTIFY); the kernel takes them in a top half that never
 * sleeps. Value UVDEV_NOTIF_BOTTOM_HALF runs the device's bottom half, in
 * process context, which tells the driver of the events the backend made
 * pending (UVDEV_NOTIF_EV_*). Values 1..notif_max are keys: a key wakes
 * every task waiting for it (UVDEV_IOC_NOTIF_WAIT); a key posted while no
 * one waits is remembered, once, and the next wait for it returns at once.
 * A key posted again before the top half took it counts once ("merged").
 * Remembered keys belong to the device: they outlive its backend. Destroy
 * and a broken device end every wait with an error.
 */
#define UVDEV_NOTIF_MAX_KEY	1024	/* the largest notif_max */
#define UVDEV_NOTIF_MAX_WAITERS	64	/* tasks waiting on one device */
#define UVDEV_NOTIF_BOTTOM_HALF	0	/* the value that runs the bottom half */

/*
 * UVDEV_IOC_NOTIF_WAIT - wait for a key to be posted (control node; no
 * backend fd needed). Returns at once, taking it, if the key was posted
 * while no one waited.
 * @dev_id: the device (sysfs dev_id).
 * @key: 1..the device's notif_max.
 * @timeout_ms: 0..UVDEV_MAX_TIMEOUT_MS; 0 only takes a remembered key.
 * @waited_ns: out: how long the call waited.
 * Errors: ENOENT no device with that id, EINVAL key or timeout out of
 * range or reserved not zero, EAGAIN timeout 0 and the key not remembered,
 * ETIMEDOUT not posted in time, EINTR a signal came first, ENOSPC
 * UVDEV_NOTIF_MAX_WAITERS tasks wait on the device already, EIO the device
 * is broken, ENODEV it was destroyed.
 */
struct uvdev_notif_wait {
	__u32 dev_id;
	__u32 key;
	__u32 timeout_ms;
	__u32 reserved;
	__u64 waited_ns;
};

/*
 * UVDEV_IOC_NOTIF_STATE - a device's notifications as the kernel sees them
 * now, for monitors and tests (control node). Set @dev_id and zero the
 * rest, which is output. The counters only grow; once the top half has run,
 * posted == delivered + merged, and every key delivered either woke its
 * waiters (woke), was remembered (remembered) or was remembered already
 * (remembered_merged). Waits that returned 0 == wakeups + consumed.
 * @notif_max: the device's largest key.
 * @waiters: tasks waiting now; @oldest_wait_ns: when the longest of them
 *	began (CLOCK_MONOTONIC), 0 if none.
 * @remembered_now: keys remembered and not taken by a wait yet.
 * @events: bottom-half events made pending and not delivered yet.
 * @posted: values accepted by UVDEV_IOC_NOTIFY (the bottom-half value too).
 * @merged: posts of a value the top half had not taken yet.
 * @delivered: values the top half took.
 * @woke: keys delivered to at least one waiter; @wakeups: waiters woken.
 * @remembered: keys delivered with no waiter, not remembered before.
 * @remembered_merged: keys delivered with no waiter, already remembered.
 * @consumed: waits that took a remembered key.
 * @bottom_halves: bottom-half runs.
 * @top_halves: top-half runs (each drains every value posted before it).
 * @now_ns: when this state was read.
 * Errors: ENOENT no device with that id, EINVAL an output field not zero.
 */
struct uvdev_notif_state {
	__u32 dev_id;
	__u32 notif_max;
	__u32 waiters;
	__u32 remembered_now;
	__u32 events;
	__u32 reserved;
	__u64 oldest_wait_ns;
	__u64 posted;
	__u64 merged;
	__u64 delivered;
	__u64 woke;
	__u64 wakeups;
	__u64 remembered;
	__u64 remembered_merged;
	__u64 consumed;
	__u64 bottom_halves;
	__u64 top_halves;
	__u64 now_ns;
};

#define UVDEV_IOC_CREATE	_IOWR(UVDEV_IOC_MAGIC, 0x00, struct uvdev_create)
#define UVDEV_IOC_DESTROY	_IOW(UVDEV_IOC_MAGIC, 0x01, struct uvdev_destroy)
#define UVDEV_IOC_QUEUE_STATE	_IOWR(UVDEV_IOC_MAGIC, 0x02, struct uvdev_queue_state)
#define UVDEV_IOC_NOTIF_WAIT	_IOWR(UVDEV_IOC_MAGIC, 0x03, struct uvdev_notif_wait)
#define UVDEV_IOC_NOTIF_STATE	_IOWR(UVDEV_IOC_MAGIC, 0x04, struct uvdev_notif_state)

/*
 * The backend's side: /dev/uvdev/<name>, one opener at a time (EBUSY for a
 * second). Opening it the first time registers the virtio device, so the
 * kernel's driver probes while a backend is there to answer.
 *
 * Control messages: read() returns one struct uvdev_msg per call (the buffer
 * must hold one); the backend answers each with one struct uvdev_msg_reply
 * per write(). poll() reports EPOLLIN when a message waits, EPOLLERR once
 * the device is broken (read() then fails with EIO) and EPOLLHUP once it is
 * destroyed (read() then returns 0, end of file; ioctls fail with
 * ESHUTDOWN). Messages read but not answered when the file is closed are
 * queued again for the next backend. A reply to a message whose sender has
 * given up (killed, or timed out) fails with ENOENT and is harmless.
 *
 * Every ioctl returns 0 or a count on success and -1 with errno on failure.
 * Errors common to all: EINVAL a malformed argument (index out of range,
 * reserved field not zero, count 0 or above the limit), EFAULT a bad user
 * pointer, ENODEV the queue is not set up by the driver (or was reset), EIO
 * the device is broken, ESHUTDOWN the device was destroyed under this fd,
 * ENOTTY an unknown ioctl.
 *
 * Queue lifetime: a queue becomes ready when the driver sets it up, which
 * the backend learns from UVDEV_MSG_VQ_READY (or UVDEV_IOC_VQ_INFO after a
 * reconnect). It stops on UVDEV_MSG_RESET: the kernel drops its chains once
 * the backend has answered, and no message with ready = 0 is sent. Kick
 * eventfds may be set on any queue at any time and survive resets; they are
 * dropped when the backend's fd is closed. A chain has at most as many
 * descriptors as its ring (or its indirect table) has entries.
 */
enum uvdev_msg_type {
	/* The driver wrote the status register; reply 0 to accept. */
	UVDEV_MSG_SET_STATUS = 1,
	/* The driver reset the device: drop all queue state. */
	UVDEV_MSG_RESET = 2,
	/* A virtqueue was set up (ready = 1) by the driver. */
	UVDEV_MSG_VQ_READY = 3,
	/* The driver wrote config space bytes (already applied). */
	UVDEV_MSG_SET_CONFIG = 4,
};

#define UVDEV_MSG_CONFIG_MAX	64

struct uvdev_msg_status {
	__u8 old_status;
	__u8 status;
	__u8 reserved[6];
	__u64 driver_features;	/* negotiated features (valid from FEATURES_OK) */
};

struct uvdev_msg_vq {
	__u32 queue;
	__u32 size;		/* ring size the driver chose */
	__u32 ready;
	__u32 reserved;
};

struct uvdev_msg_config {
	__u32 offset;
	__u32 len;		/* 1..UVDEV_MSG_CONFIG_MAX */
	__u8 data[UVDEV_MSG_CONFIG_MAX];
};

struct uvdev_msg {
	__u32 id;		/* echo it in the reply */
	__u32 type;		/* enum uvdev_msg_type */
	__u32 reserved[2];
	union {
		struct uvdev_msg_status status;
		struct uvdev_msg_vq vq;
		struct uvdev_msg_config config;
		__u8 raw[96];
	};
};

struct uvdev_msg_reply {
	__u32 id;
	__u32 type;
	__s32 result;		/* 0, or a negative errno to refuse */
	__u32 reserved;
};

/* UVDEV_IOC_DEV_INFO - the device as the kernel sees it now. */
struct uvdev_dev_info {
	__u32 dev_id;
	__u32 device_id;
	__u32 num_queues;
	__u32 max_queue_size;
	__u64 device_features;
	__u64 driver_features;
	__u32 config_size;
	__u32 config_generation;
	__u8 status;
	__u8 broken;		/* a message timed out; destroy the device */
	__u8 reserved[30];
};

/* UVDEV_IOC_VQ_INFO - one queue's state; set @queue, the rest is output. */
struct uvdev_vq_info {
	__u32 queue;
	__u32 size;		/* 0 until the driver sets the queue up */
	__u32 ready;
	__u32 inflight;		/* chains popped and not pushed yet */
	__u32 reserved[4];
};

/*
 * UVDEV_IOC_VQ_SET_KICKFD - the eventfd the kernel signals when the driver
 * kicks @queue; -1 removes it. A kick with no eventfd set is remembered and
 * signalled when one is set. Errors: EBADF @fd is not open, EINVAL it is
 * not an eventfd (or negative other than -1).
 */
struct uvdev_vq_kickfd {
	__u32 queue;
	__s32 fd;
	__u32 reserved[2];
};

#define UVDEV_MAX_BATCH		256

/* One available descriptor chain, as UVDEV_IOC_VQ_POP returns it. */
struct uvdev_vq_elem {
	__u32 head;		/* names the chain in XFER and PUSH */
	__u32 out_bytes;	/* driver -> device bytes, readable */
	__u32 in_bytes;		/* device -> driver bytes, writable */
	__u32 nsegs;		/* descriptors in the chain */
};

/*
 * UVDEV_IOC_VQ_POP - take up to @max available chains from @queue.
 * @elems: user array of @max struct uvdev_vq_elem.
 * @peek_len, @peek_buf: if @peek_len is non-zero, the first @peek_len
 *	out-bytes of chain i are copied to @peek_buf + i * @peek_len (fewer if
 *	the chain has fewer; the rest is zeroed), saving a read per chain.
 * Returns the number of chains popped; 0 when none is available.
 */
struct uvdev_vq_pop {
	__u32 queue;
	__u32 max;		/* 1..UVDEV_MAX_BATCH */
	__u64 elems;
	__u32 peek_len;		/* 0..UVDEV_MAX_PEEK */
	__u32 reserved;
	__u64 peek_buf;
};

#define UVDEV_MAX_PEEK		256

enum uvdev_xfer_dir {
	UVDEV_XFER_READ = 0,	/* out-bytes of the chain -> @addr */
	UVDEV_XFER_WRITE = 1,	/* @addr -> in-bytes of the chain */
};

struct uvdev_vq_xfer_op {
	__u32 queue;
	__u32 head;
	__u32 dir;		/* enum uvdev_xfer_dir */
	__u32 offset;		/* into the out-bytes (READ) or in-bytes (WRITE) */
	__u32 len;
	__s32 result;		/* out: bytes moved, or a negative errno */
	__u64 addr;		/* user buffer of @len bytes */
};

/*
 * UVDEV_IOC_VQ_XFER - move bytes between popped chains and user memory.
 * The ops run in order and stop at the first that fails. Returns the number
 * of ops that succeeded; if that is less than @count, ops[return].result
 * holds the error. If the first op fails, the call fails with its errno.
 * Errors: EINVAL bad queue or dir, ENOENT chain not popped, ERANGE offset or
 * length beyond the chain, EFAULT bad @addr.
 */
struct uvdev_vq_xfer {
	__u32 count;		/* 1..UVDEV_MAX_BATCH */
	__u32 reserved;
	__u64 ops;		/* user array of struct uvdev_vq_xfer_op */
};

struct uvdev_vq_used {
	__u32 head;
	__u32 len;		/* bytes written into the chain's in-bytes */
};

#define UVDEV_PUSH_F_IRQ	_BITUL(0)	/* inject the queue's IRQ after */

/*
 * UVDEV_IOC_VQ_PUSH - return chains to the driver through the used ring.
 * The entries are pushed in order up to the first that is refused (ENOENT
 * not in flight, ERANGE len above its in-bytes); returns how many were
 * pushed, or fails with the first entry's errno if none was.
 */
struct uvdev_vq_push {
	__u32 queue;
	__u32 count;		/* 1..UVDEV_MAX_BATCH */
	__u64 used;		/* user array of struct uvdev_vq_used */
	__u32 flags;		/* UVDEV_PUSH_F_* */
	__u32 reserved;
};

/*
 * UVDEV_IOC_VQ_SERVE - UVDEV_IOC_VQ_PUSH then UVDEV_IOC_VQ_POP on one queue,
 * in one call: a busy backend returns the batch it served and takes the
 * next with one syscall. The tracepoints, counters and the interrupt are
 * those of the two separate calls.
 * @queue: the queue of both halves.
 * @push_count, @used, @push_flags: as @count, @used and @flags of
 *	struct uvdev_vq_push (@push_count 1..UVDEV_MAX_BATCH).
 * @pop_max, @elems, @peek_len, @peek_buf: as @max, @elems, @peek_len and
 *	@peek_buf of struct uvdev_vq_pop (@pop_max 1..UVDEV_MAX_BATCH).
 * @pushed: out: how many entries were pushed; must be 0 on entry. Written
 *	whenever the call gets past its argument checks, so it is right on
 *	failure too.
 * @reserved: must be zero.
 *
 * Every argument of both halves is checked before anything is pushed: a
 * bad one fails the call with nothing pushed and nothing popped (EINVAL a
 * field out of range or reserved/@pushed not zero, EFAULT @used not
 * readable, @elems or @peek_buf not user addresses, or the struct not
 * writable). Then:
 * - the entries are pushed in order up to the first refused, as by
 *   UVDEV_IOC_VQ_PUSH (the interrupt, with UVDEV_PUSH_F_IRQ, covers those
 *   pushed). If one is refused, the call fails with its errno (ENOENT not
 *   in flight, ERANGE len above its in-bytes), @pushed says how many
 *   before it were pushed (they stay pushed) and nothing is popped. EIO
 *   (broken) or ENODEV (not ready) here: nothing pushed or popped.
 * - with every entry pushed (@pushed == @push_count), up to @pop_max
 *   chains are popped as by UVDEV_IOC_VQ_POP and the call returns how
 *   many, 0 when the ring is empty. If the pop fails before taking any
 *   chain (EFAULT writing @elems or @peek_buf, EIO, ENODEV), the call fails
 *   with that errno; the push stands (@pushed) and the chain being popped
 *   stays available for the next pop.
 */
struct uvdev_vq_serve {
	__u32 queue;
	__u32 push_count;	/* 1..UVDEV_MAX_BATCH */
	__u64 used;		/* user array of struct uvdev_vq_used */
	__u32 push_flags;	/* UVDEV_PUSH_F_* */
	__u32 pop_max;		/* 1..UVDEV_MAX_BATCH */
	__u64 elems;		/* user array of struct uvdev_vq_elem */
	__u32 peek_len;		/* 0..UVDEV_MAX_PEEK */
	__u32 pushed;		/* out: entries pushed */
	__u64 peek_buf;
	__u32 reserved[2];
};

/* UVDEV_IOC_VQ_IRQ - inject @queue's interrupt. */
struct uvdev_vq_irq {
	__u32 queue;
	__u32 reserved;
};

#define UVDEV_CONFIG_F_IRQ	_BITUL(0)	/* inject a config-change IRQ */

/*
 * UVDEV_IOC_SET_CONFIG - change config space bytes (bumps the generation),
 * and with UVDEV_CONFIG_F_IRQ tell the driver.
 * UVDEV_IOC_GET_CONFIG - read config space bytes (@flags must be 0), e.g.
 * after a reconnect.
 */
struct uvdev_config_update {
	__u32 offset;
	__u32 len;
	__u64 data;		/* user pointer to @len bytes */
	__u32 flags;		/* UVDEV_CONFIG_F_* */
	__u32 reserved;
};

/* Bottom-half events, delivered when UVDEV_NOTIF_BOTTOM_HALF is posted. */
#define UVDEV_NOTIF_EV_CONFIG	_BITUL(0)	/* config space changed */
#define UVDEV_NOTIF_EV_NEEDS_RESET _BITUL(1)	/* set VIRTIO_CONFIG_S_NEEDS_RESET */
#define UVDEV_NOTIF_EVENTS	(UVDEV_NOTIF_EV_CONFIG | UVDEV_NOTIF_EV_NEEDS_RESET)

/*
 * UVDEV_IOC_NOTIFY - post notification values (see UVDEV_IOC_NOTIF_WAIT).
 * @events are made pending first, for the next bottom half; then @count
 * values from @values are posted, in one batch: the top half runs once for
 * a burst. A config change or a reset request is @events with
 * UVDEV_NOTIF_BOTTOM_HALF among the values. Every value is checked before
 * any is posted. Errors: EINVAL @count above UVDEV_MAX_BATCH (0 is allowed
 * with @events), a value above the device's notif_max, unknown @events or
 * reserved not zero; EFAULT bad @values; EIO the device is broken.
 */
struct uvdev_notify {
	__u32 count;
	__u32 events;		/* UVDEV_NOTIF_EV_* */
	__u64 values;		/* user array of @count __u32 */
	__u32 reserved[2];
};

#define UVDEV_IOC_DEV_INFO	_IOR(UVDEV_IOC_MAGIC, 0x10, struct uvdev_dev_info)
#define UVDEV_IOC_VQ_INFO	_IOWR(UVDEV_IOC_MAGIC, 0x11, struct uvdev_vq_info)
#define UVDEV_IOC_VQ_SET_KICKFD	_IOW(UVDEV_IOC_MAGIC, 0x12, struct uvdev_vq_kickfd)
#define UVDEV_IOC_VQ_POP	_IOWR(UVDEV_IOC_MAGIC, 0x13, struct uvdev_vq_pop)
#define UVDEV_IOC_VQ_XFER	_IOW(UVDEV_IOC_MAGIC, 0x14, struct uvdev_vq_xfer)
#define UVDEV_IOC_VQ_PUSH	_IOW(UVDEV_IOC_MAGIC, 0x15, struct uvdev_vq_push)
#define UVDEV_IOC_VQ_IRQ	_IOW(UVDEV_IOC_MAGIC, 0x16, struct uvdev_vq_irq)
#define UVDEV_IOC_SET_CONFIG	_IOW(UVDEV_IOC_MAGIC, 0x17, struct uvdev_config_update)
#define UVDEV_IOC_GET_CONFIG	_IOW(UVDEV_IOC_MAGIC, 0x18, struct uvdev_config_update)
#define UVDEV_IOC_NOTIFY	_IOW(UVDEV_IOC_MAGIC, 0x19, struct uvdev_notify)

/*
 * Zero copy. A device created with @zc_window_pages has a window: the
 * backend maps it with mmap(NULL, pages * page size, PROT_READ | PROT_WRITE,
 * MAP_SHARED, fd, 0) (offset 0, MAP_SHARED, at most the window's size). It
 * cannot be forked (the child has no window), split, moved or grown, and
 * get_user_pages() on it fails (it maps page frames, not pages the mm owns),
 * so no one else takes a reference to what it shows; O_DIRECT I/O into it
 * fails with EFAULT for the same reason: use buffered I/O.
 *
 * UVDEV_IOC_ZC_MAP asks for byte ranges of a popped chain's out-bytes and
 * in-bytes to appear in the window. Each descriptor's part of a range is one
 * segment, laid out from the start of its own window pages. A segment whose
 * address and length are page aligned shows the chain's own pages: out-
 * segments read-only (a write faults with SIGSEGV), in-segments writable.
 * Any other segment, and any page the kernel will not map (slab, reserved,
 * device memory), is bounced: the window shows a zeroed page of the
 * kernel's, filled with the out-bytes at map time, or copied into the
 * chain's in-bytes at push time (the bytes below the pushed len only);
 * such segments carry UVDEV_ZC_SEG_COPIED. Mapping a page partly would show
 * whatever else lives in it.
 *
 * Each map takes the next id, a 32-bit counter that wraps. At push (or when
 * the chain fails or its queue is reset) the chain's pages are unmapped,
 * the TLB flushed and their references dropped before the driver sees the
 * completion: the addresses fault (SIGSEGV) from then on. The window pages
 * stay reserved until the backend reaps the id's completion with
 * UVDEV_IOC_ZC_REAP, as MSG_ZEROCOPY returns a buffer: completions are id
 * ranges lo..hi (hi may have wrapped past 0), a new id joining the last
 * range when it follows it on the same queue with the same COPIED flag.
 *
 * A full window never blocks: UVDEV_IOC_ZC_MAP fails with ENOBUFS and the
 * chain stays popped, to be served with UVDEV_IOC_VQ_XFER; reaping
 * completions frees window pages. When the backend's fd is closed, mapped
 * chains are unmapped and every id is forgotten (no completion for them).
 */
#define UVDEV_ZC_MAX_SEGS	1024

struct uvdev_zc_seg {
	__u64 offset;		/* into the window, page aligned */
	__u32 len;
	__u32 flags;		/* UVDEV_ZC_SEG_* */
};

#define UVDEV_ZC_SEG_IN		_BITUL(0)	/* in-bytes: writable */
#define UVDEV_ZC_SEG_COPIED	_BITUL(1)	/* bounced, not the chain's pages */

/*
 * UVDEV_IOC_ZC_MAP - map @out_len out-bytes from @out_offset and @in_len
 * in-bytes from @in_offset of the popped chain @head into the window.
 * @segs: user array of @max_segs (1..UVDEV_ZC_MAX_SEGS) struct uvdev_zc_seg;
 *	out-segments first, each range in chain order.
 * @id, @nsegs, @mapped_pages, @copied_pages: output.
 * Errors: EOPNOTSUPP the device has no window, EINVAL both lengths 0 or a
 * reserved field set, ENOENT chain not popped, EBUSY chain mapped already,
 * ERANGE a range beyond the chain, E2BIG more segments than @max_segs,
 * ENOBUFS not enough free window pages (reap completions, or use XFER),
 * ENOMEM no memory for bounce pages.
 */
struct uvdev_zc_map {
	__u32 queue;
	__u32 head;
	__u32 out_offset;
	__u32 out_len;
	__u32 in_offset;
	__u32 in_len;
	__u32 max_segs;
	__u32 flags;		/* must be 0 */
	__u64 segs;
	__u32 id;		/* out: the chain's zero-copy id */
	__u32 nsegs;		/* out: segments written to @segs */
	__u32 mapped_pages;	/* out: window pages showing the chain's pages */
	__u32 copied_pages;	/* out: window pages bounced */
	__u32 reserved[2];
};

#define UVDEV_ZC_COPIED		_BITUL(0)	/* some data was bounced */

struct uvdev_zc_completion {
	__u32 lo;		/* first id */
	__u32 hi;		/* last id: hi - lo + 1 ids, modulo 2^32 */
	__u32 queue;
	__u32 flags;		/* UVDEV_ZC_COPIED */
};

/*
 * UVDEV_IOC_ZC_REAP - take up to @max (1..UVDEV_MAX_BATCH) completions,
 * oldest first, and free their window pages. Returns how many; never
 * blocks: EAGAIN when none is pending, EOPNOTSUPP without a window, EFAULT
 * when @recs cannot be written (then none is taken).
 */
struct uvdev_zc_reap {
	__u32 max;
	__u32 reserved;
	__u64 recs;		/* user array of struct uvdev_zc_completion */
};

/* UVDEV_IOC_ZC_INFO - the window's state and counters; all output. */
struct uvdev_zc_info {
	__u32 window_pages;
	__u32 free_pages;	/* not reserved by any id */
	__u32 mapped_ids;	/* mapped chains not pushed yet */
	__u32 pending;		/* completions not reaped yet */
	__u32 next_id;
	__u32 reserved;
	__u64 maps;		/* successful UVDEV_IOC_ZC_MAP calls */
	__u64 mapped_pages;	/* window pages that showed chain pages */
	__u64 copied_pages;	/* window pages bounced */
	__u64 refused;		/* maps refused with ENOBUFS */
	__u64 page_refs;	/* chain pages referenced now */
};

#define UVDEV_IOC_ZC_MAP	_IOWR(UVDEV_IOC_MAGIC, 0x1A, struct uvdev_zc_map)
#define UVDEV_IOC_ZC_REAP	_IOW(UVDEV_IOC_MAGIC, 0x1B, struct uvdev_zc_reap)
#define UVDEV_IOC_ZC_INFO	_IOR(UVDEV_IOC_MAGIC, 0x1C, struct uvdev_zc_info)
#define UVDEV_IOC_VQ_SERVE	_IOWR(UVDEV_IOC_MAGIC, 0x1D, struct uvdev_vq_serve)

#endif /* _UAPI_LINUX_UVDEV_H */
