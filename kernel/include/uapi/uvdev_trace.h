/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Values carried by the uvdev tracepoints, shared with the BPF programs and
 * tools that read them. No includes, so BPF code can use it beside vmlinux.h.
 */
#ifndef _UAPI_LINUX_UVDEV_TRACE_H
#define _UAPI_LINUX_UVDEV_TRACE_H

/* uvdev_msg_done: how a control message ended. */
enum uvdev_trace_msg_result {
	UVDEV_TRACE_MSG_OK = 0,		/* answered with result 0 */
	UVDEV_TRACE_MSG_FAILED = 1,	/* refused, or the device is broken or gone */
	UVDEV_TRACE_MSG_TIMEOUT = 2,	/* no answer in time: the device is now broken */
	UVDEV_TRACE_MSG_INTERRUPTED = 3, /* the waiting task was killed */
	UVDEV_TRACE_MSG_RESULTS
};

/* uvdev_kick: what became of a kick from the driver. */
enum uvdev_trace_kick_mode {
	UVDEV_TRACE_KICK_EVENTFD = 0,	/* signalled the queue's eventfd */
	UVDEV_TRACE_KICK_DEFERRED = 1,	/* no eventfd yet: remembered */
	UVDEV_TRACE_KICK_DROPPED = 2,	/* queue not ready: dropped */
	UVDEV_TRACE_KICK_MODES
};

/* uvdev_irq_deliver: what the injected interrupt found. */
enum uvdev_trace_irq_outcome {
	UVDEV_TRACE_IRQ_HANDLED = 0,	/* new used buffers, callback ran */
	UVDEV_TRACE_IRQ_SPURIOUS = 1,	/* nothing new in the used ring */
	UVDEV_TRACE_IRQ_SUPPRESSED = 2,	/* driver asked for no interrupts */
	UVDEV_TRACE_IRQ_OUTCOMES
};

/* uvdev_vq_push: how a chain was completed. */
enum uvdev_trace_push_result {
	UVDEV_TRACE_PUSH_OK = 0,	/* pushed by the backend */
	UVDEV_TRACE_PUSH_FAILED = 1,	/* failed: the device is broken */
	UVDEV_TRACE_PUSH_RESULTS
};

/* uvdev_dev_broken: why the device broke. */
enum uvdev_trace_broken_reason {
	UVDEV_TRACE_BROKEN_MSG_TIMEOUT = 0,	/* a control message timed out */
	UVDEV_TRACE_BROKEN_MALFORMED = 1,	/* a malformed descriptor chain */
	UVDEV_TRACE_BROKEN_DRIVER_TIMEOUT = 2,	/* a driver probe, unbind or destroy overran it */
	UVDEV_TRACE_BROKEN_NO_BACKEND = 3,	/* destroyed with no backend */
	UVDEV_TRACE_BROKEN_REASONS
};

/* uvdev_notif_wait_end: how a wait for a notification key ended. */
enum uvdev_trace_wait_result {
	UVDEV_TRACE_WAIT_WOKEN = 0,	/* the key was posted while it waited */
	UVDEV_TRACE_WAIT_REMEMBERED = 1, /* took a key posted before it waited */
	UVDEV_TRACE_WAIT_TIMEOUT = 2,	/* not posted in time (or not remembered) */
	UVDEV_TRACE_WAIT_INTERRUPTED = 3, /* a signal came first */
	UVDEV_TRACE_WAIT_FAILED = 4,	/* the device broke or was destroyed */
	UVDEV_TRACE_WAIT_RESULTS
};

/* The "queue" of config-change interrupts in uvdev_irq_inject/deliver. */
#define UVDEV_TRACE_QUEUE_CONFIG	0xffffffffU
/* Their "slot": config interrupts belong to no queue. */
#define UVDEV_TRACE_SLOT_NONE		0xffffffffU

/* uvdev_zc_map: how a zero-copy map request ended. */
enum uvdev_trace_zc_result {
	UVDEV_TRACE_ZC_MAPPED = 0,	/* mapped (some pages maybe bounced) */
	UVDEV_TRACE_ZC_WINDOW_FULL = 1,	/* refused: ENOBUFS, the backend copies */
	UVDEV_TRACE_ZC_RESULTS
};

#endif /* _UAPI_LINUX_UVDEV_TRACE_H */
