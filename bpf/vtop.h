/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The maps vtop's BPF programs fill and user space reads: keys, values and
 * events, with fixed-width fields only. Sizes are pinned at compile time on
 * both sides, from the module's limits.
 *
 * A queue's counters and histograms are one per-CPU array value at the
 * queue's slot (which the module assigns and its tracepoints carry), so
 * each ring event costs one array lookup and no atomic operation; device
 * counters are per-CPU too (user space sums them). Times come from the tracepoints, which
 * the kernel stamps with ktime_get_ns(), i.e. CLOCK_MONOTONIC.
 */
#ifndef VTOP_H
#define VTOP_H

#define VTOP_NAME_MAX		32	/* = UVDEV_NAME_MAX */
#define VTOP_MAX_DEVICES	256	/* = UVDEV_MAX_DEVICES: dev ids are below it */
#define VTOP_MAX_DEV_QUEUES	64	/* = UVDEV_MAX_QUEUES */
/*
 * The queues array's size when the module does not say: the default of its
 * max_queues parameter (all devices' queues together), which bounds every
 * queue's slot. vtop sizes the array from the parameter at load time, so it
 * has a place for every queue there can be.
 */
#define VTOP_MAX_QUEUES		1024
#define VTOP_MAX_MSGS		4096	/* messages sent and not done */
#define VTOP_HIST_SLOTS		64	/* log2(ns): every u64 has its slot */
#define VTOP_DEBUG_LOOPS_MAX	4096	/* vtop --debug-bpf-loops, per event */
/*
 * Array sizes indexed by tracepoint values are powers of two, so the BPF
 * side bounds an index with a mask the verifier can follow.
 */
#define VTOP_MSG_TYPES		8	/* uvdev message types 0..7 */
#define VTOP_MSG_RESULTS	4	/* enum uvdev_trace_msg_result */
#define VTOP_KICK_MODES		4	/* enum uvdev_trace_kick_mode (3 used) */
#define VTOP_IRQ_OUTCOMES	4	/* enum uvdev_trace_irq_outcome (3 used) */
#define VTOP_WAIT_RESULTS	8	/* enum uvdev_trace_wait_result (5 used) */
#define VTOP_CONFIG_QUEUE	0xffffffffU	/* = UVDEV_TRACE_QUEUE_CONFIG */
#define VTOP_NOTIF_BOTTOM_HALF	0	/* = UVDEV_NOTIF_BOTTOM_HALF: not a key */

/* Virtio status bits vtop's states look at. */
#define VTOP_STATUS_DRIVER_OK	0x04
#define VTOP_STATUS_NEEDS_RESET	0x40
#define VTOP_STATUS_FAILED	0x80

/*
 * Counters of one queue (queues array at the queue's slot, per CPU: user
 * space sums the CPUs whose copy has the queue's serial). A slot passes
 * from device to device; each CPU's copy starts again from zero at the
 * first event of a newer serial and ignores late events of an older one.
 * What the ring holds (pending, in flight, their ages) is not counted here:
 * vtop reads it from the kernel at each sample.
 */
struct vtop_queue_stats {
	__u32 serial;			/* the owner's device serial; 0: never used */
	__u32 dev;			/* the owner: device id and queue index */
	__u32 queue;
	__u32 pad;
	__u64 kicks[VTOP_KICK_MODES];
	__u64 pops;			/* every pop, resubmitted ones included */
	__u64 pop_bytes;
	__u64 resubmits;		/* chains handed out again after a restart */
	__u64 pushes;			/* every completion, failed ones included */
	__u64 push_bytes;
	__u64 failed;			/* completions failed by a broken device */
	__u64 irq_injects;
	__u64 irq_delivers[VTOP_IRQ_OUTCOMES];
	__u64 wait_sum_ns;		/* kick -> pop */
	__u64 service_sum_ns;		/* pop -> push */
	__u64 irq_sum_ns;		/* inject -> deliver */
	__u64 wait_hist[VTOP_HIST_SLOTS];
	__u64 service_hist[VTOP_HIST_SLOTS];
	__u64 irq_hist[VTOP_HIST_SLOTS];
	/* Zero copy (uvdev_zc_map, uvdev_zc_complete). */
	__u64 zc_maps;			/* map requests, refused ones included */
	__u64 zc_mapped_pages;		/* window pages that were the chain's own */
	__u64 zc_copied_pages;		/* bounced, or every page of a refused map */
	__u64 zc_fallbacks;		/* maps refused (window full) or with a page bounced */
	__u64 zc_completions;		/* completion notifications reaped */
	__u64 zc_complete_sum_ns;	/* first push -> reap, per notification */
	__u64 zc_complete_hist[VTOP_HIST_SLOTS];
};

/* What was dropped because a map or the ring buffer was full (drops map). */
enum vtop_drop {
	VTOP_DROP_QUEUES,		/* a queue event whose slot is past the array */
	VTOP_DROP_DEVICES,		/* a device: devices or dev_stats full */
	VTOP_DROP_MSGS,			/* a message in flight: msg_inflight full */
	VTOP_DROP_EVENTS,		/* a rare event: ring buffer full */
	VTOP_DROP_KINDS,
};

/* A control message in flight (msg_inflight map): sent, not done yet. */
struct vtop_msg_key {
	__u32 dev;
	__u32 id;
};

struct vtop_msg_inflight {
	__u64 send_ns;
	__u32 type;
	__u32 pad;
};

/*
 * A device's asynchronous notifications (uvdev_notif_* tracepoints), as the
 * kernel's UVDEV_IOC_NOTIF_STATE counts them once its top half has run:
 * posts == posted, deliveries == delivered, merged == merged, woke and
 * wakeups the same, unwaited == remembered + remembered_merged,
 * bottom_halves the same, waits[REMEMBERED] == consumed.
 */
struct vtop_notif_stats {
	__u64 posts;			/* values posted (UVDEV_IOC_NOTIFY) */
	__u64 deliveries;		/* values the top half took */
	__u64 merged;			/* posts merged into a delivery (posts - 1 each) */
	__u64 woke;			/* deliveries of a key that woke a waiter */
	__u64 wakeups;			/* waiters they woke */
	__u64 unwaited;			/* deliveries of a key no one waited for */
	__u64 bh_requests;		/* deliveries of the bottom-half value */
	__u64 bottom_halves;		/* bottom-half runs */
	__u64 waits[VTOP_WAIT_RESULTS];	/* waits ended, by enum uvdev_trace_wait_result */
	__u64 deliver_sum_ns;		/* first post -> delivery */
	__u64 wait_sum_ns;		/* every wait that ended, whatever its result */
	__u64 deliver_hist[VTOP_HIST_SLOTS];
	__u64 wait_hist[VTOP_HIST_SLOTS];
};

/* Per-CPU counters of one device (dev_stats map). */
struct vtop_dev_stats {
	__u64 msgs[VTOP_MSG_TYPES][VTOP_MSG_RESULTS];
	__u64 msg_sum_ns[VTOP_MSG_TYPES];
	__u64 msg_hist[VTOP_MSG_TYPES][VTOP_HIST_SLOTS];
	__u64 config_irq_injects;
	__u64 config_irq_delivers;
	__u64 status_changes;
	struct vtop_notif_stats notif;
};

/* One device (devices map): identity and shared state. */
struct vtop_dev {
	char name[VTOP_NAME_MAX];
	__u32 device_id;
	__u32 num_queues;
	__u32 max_queue_size;
	__u32 status;			/* virtio status byte */
	__u32 broken;			/* broke for good (uvdev_dev_broken) */
	__u32 broken_reason;		/* enum uvdev_trace_broken_reason */
	__u64 created_ns;		/* 0 if it existed before vtop */
	__u64 broken_ns;
};

/* Rare events, through the events ring buffer. */
enum vtop_event_type {
	VTOP_EV_DEV_CREATE = 1,		/* a: device_id, b: num_queues */
	VTOP_EV_DEV_DESTROY = 2,
	VTOP_EV_MSG_TIMEOUT = 3,	/* a: message id, b: type; device broken */
	VTOP_EV_STATUS = 4,		/* a: old status, b: new status */
	VTOP_EV_VQ_SETUP = 5,		/* queue; a: size, b: ready */
	VTOP_EV_BROKEN = 6,		/* a: enum uvdev_trace_broken_reason */
};

struct vtop_event {
	__u64 ns;
	__u32 type;
	__u32 dev;
	__u32 queue;
	__u32 a;
	__u32 b;
	__u32 pad;
};

/* Slots of the lifecycle_counts map. */
enum vtop_lifecycle {
	VTOP_LC_DEV_CREATE,
	VTOP_LC_DEV_DESTROY,
	VTOP_LC_MAX,
};

#define VTOP_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
VTOP_STATIC_ASSERT(sizeof(struct vtop_queue_stats) == (26 + 4 * VTOP_HIST_SLOTS) * 8,
		   "vtop_queue_stats layout");
VTOP_STATIC_ASSERT(sizeof(struct vtop_msg_inflight) == 16, "vtop_msg_inflight layout");
VTOP_STATIC_ASSERT(sizeof(struct vtop_notif_stats) ==
		   (8 + VTOP_WAIT_RESULTS + 2 + 2 * VTOP_HIST_SLOTS) * 8,
		   "vtop_notif_stats layout");
VTOP_STATIC_ASSERT(sizeof(struct vtop_dev_stats) ==
		   (VTOP_MSG_TYPES * (VTOP_MSG_RESULTS + 1 + VTOP_HIST_SLOTS) + 3) * 8 +
		   sizeof(struct vtop_notif_stats),
		   "vtop_dev_stats layout");
VTOP_STATIC_ASSERT(sizeof(struct vtop_dev) == 72, "vtop_dev layout");
VTOP_STATIC_ASSERT(sizeof(struct vtop_event) == 32, "vtop_event layout");

#endif /* VTOP_H */
