/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The threads every backend runs (part of libuvdev):
 *
 * - one service thread per queue, sleeping on the queue's kick eventfd and
 *   calling the backend's serve_batch() until the ring is empty;
 * - one message thread answering control messages: SET_STATUS, RESET,
 *   VQ_READY and SET_CONFIG, with an optional backend hook.
 *
 * The caller keeps a third thread free to destroy the device: destroying
 * unbinds the driver, which sends messages and may queue requests that these
 * threads must still answer while the destroy ioctl runs. Block the signals
 * the caller waits for before uvdev_service_start(): the threads inherit
 * the signal mask.
 *
 * Like the rest of libuvdev, nothing here prints.
 */
#ifndef UVDEV_SERVICE_H
#define UVDEV_SERVICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "libuvdev.h"

struct uvdev_service;

struct uvdev_queue {
	struct uvdev_service *svc;
	uint32_t index;
	int kick_fd;		/* eventfd the kernel signals on a kick */
	bool kick_set;		/* kick_fd is registered with the kernel */
	/* Held while a batch is served; RESET waits for it. */
	pthread_mutex_t lock;
	pthread_t thread;
	bool running;
	/*
	 * With @carried, the last uvdev_queue_push_pop() popped @ncarried
	 * chains (0: the ring was empty) that the next uvdev_queue_pop()
	 * hands out; without, the ring must be asked. A RESET clears it:
	 * the kernel drops those chains. Under @lock; zero is "ask".
	 */
	bool carried;
	uint32_t ncarried;
	void *priv;		/* the backend's per-queue state */
};

struct uvdev_service_ops {
	/*
	 * Serve one batch of @q: pop, do the work, push. Return the number of
	 * chains served, 0 once the ring is empty, or a negative errno:
	 * -ENODEV (the queue is not ready, e.g. reset) ends the pass quietly,
	 * anything else stops the service (see uvdev_service_error()).
	 */
	int (*serve_batch)(struct uvdev_queue *q);
	/*
	 * Optional: sees each SET_STATUS, RESET, VQ_READY and SET_CONFIG
	 * message the library accepts, before the reply; returns the reply's
	 * result (0 accepts, a negative errno refuses). Runs on the message
	 * thread; for RESET, with every queue's lock held.
	 */
	int (*on_message)(struct uvdev_service *svc, const struct uvdev_msg *msg);
};

struct uvdev_service {
	int dev_fd;
	uint32_t num_queues;
	const struct uvdev_service_ops *ops;
	void *priv;		/* the backend's state */
	struct uvdev_queue *queues;
	int stop_fd;		/* eventfd, readable once the threads must stop */
	int event_fd;		/* eventfd, readable once a thread stopped itself */
	atomic_int error;	/* why the first thread stopped itself */
	pthread_t msg_thread;
	bool msg_running;
};

/*
 * For serve_batch(): take the next batch of @q into @elems (and @peek_buf,
 * as uvdev_vq_pop()): the chains the last uvdev_queue_push_pop() popped
 * into the same arrays, or else a VQ_POP. Returns how many, 0 when the
 * ring is empty, or a negative errno.
 */
int uvdev_queue_pop(struct uvdev_queue *q, struct uvdev_vq_elem *elems,
		    uint32_t max, void *peek_buf, uint32_t peek_len);

/*
 * For serve_batch(): push the @count entries of @used (UVDEV_PUSH_F_*
 * @flags) and pop the next batch into @elems and @peek_buf, in one
 * UVDEV_IOC_VQ_SERVE; the next uvdev_queue_pop() returns that batch, so
 * a busy queue makes one ring syscall per batch and an idle one finds its
 * ring empty without another. Returns the number of entries the kernel
 * refused (they are skipped, as by uvdev_vq_push_all()), or the negative
 * errno that stopped the whole batch.
 */
int uvdev_queue_push_pop(struct uvdev_queue *q, const struct uvdev_vq_used *used,
			 size_t count, uint32_t flags, struct uvdev_vq_elem *elems,
			 uint32_t max, void *peek_buf, uint32_t peek_len);

/* Prepare @svc for the open device @dev_fd with @num_queues queues. */
int uvdev_service_init(struct uvdev_service *svc, int dev_fd,
		       uint32_t num_queues, const struct uvdev_service_ops *ops,
		       void *priv);

/*
 * Register every queue's kick eventfd and start the threads. Every queue
 * gets one serve pass at once, so chains a previous backend popped and never
 * pushed (handed out again first) are served without waiting for a kick.
 */
int uvdev_service_start(struct uvdev_service *svc);

/*
 * The error that made a thread stop by itself: -EIO (the device is broken),
 * -ESHUTDOWN (it was destroyed), another negative errno (a failed call), or
 * 0 while all run. svc->event_fd becomes readable when it is set.
 */
int uvdev_service_error(struct uvdev_service *svc);

/* Stop the threads and wait for them. Safe to call more than once. */
void uvdev_service_stop(struct uvdev_service *svc);

/* Stop the threads if needed and release what init allocated. */
void uvdev_service_fini(struct uvdev_service *svc);

#endif /* UVDEV_SERVICE_H */
