// SPDX-License-Identifier: GPL-2.0
/*
 * libuvdev: the per-queue service threads and the control message thread
 * that every backend runs.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "uvdev_service.h"

/* Record why a thread stopped by itself (the first reason wins). */
static void service_fail(struct uvdev_service *svc, int err)
{
	int none = 0;

	atomic_compare_exchange_strong(&svc->error, &none, err);
	eventfd_write(svc->event_fd, 1);
}

int uvdev_service_error(struct uvdev_service *svc)
{
	return atomic_load(&svc->error);
}

/*
 * Wait until @fd is readable or the service is stopping. Returns 1 if @fd
 * is ready, 0 on stop, or a negative errno.
 */
static int wait_readable(struct uvdev_service *svc, int fd)
{
	struct pollfd fds[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = svc->stop_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[1].revents)
			return 0;
		if (fds[0].revents)
			return 1;
	}
}

/* Serve batches until the ring is empty or an error ends the pass. */
static int serve_until_empty(struct uvdev_queue *q)
{
	int ret;

	do {
		pthread_mutex_lock(&q->lock);
		ret = q->svc->ops->serve_batch(q);
		pthread_mutex_unlock(&q->lock);
	} while (ret > 0);
	return ret;
}

int uvdev_queue_pop(struct uvdev_queue *q, struct uvdev_vq_elem *elems,
		    uint32_t max, void *peek_buf, uint32_t peek_len)
{
	if (q->carried) {
		q->carried = false;
		return (int)q->ncarried;
	}
	return uvdev_vq_pop(q->svc->dev_fd, q->index, elems, max, peek_buf,
			    peek_len);
}

int uvdev_queue_push_pop(struct uvdev_queue *q, const struct uvdev_vq_used *used,
			 size_t count, uint32_t flags, struct uvdev_vq_elem *elems,
			 uint32_t max, void *peek_buf, uint32_t peek_len)
{
	int refused, n;

	q->carried = false;
	n = uvdev_vq_serve_all(q->svc->dev_fd, q->index, used, count, flags,
			       elems, max, peek_buf, peek_len, &refused);
	if (n < 0)
		return n;
	q->carried = true;
	q->ncarried = (uint32_t)n;
	return refused;
}

static void *queue_thread(void *arg)
{
	struct uvdev_queue *q = arg;
	eventfd_t kicks;
	int ret;

	for (;;) {
		ret = wait_readable(q->svc, q->kick_fd);
		if (ret <= 0)
			break;
		/*
		 * Clear the kick before looking at the ring: a kick that comes
		 * while the ring is drained makes the next wait return at once.
		 */
		eventfd_read(q->kick_fd, &kicks);
		ret = serve_until_empty(q);
		if (ret < 0 && ret != -ENODEV)
			break;
	}
	if (ret < 0)
		service_fail(q->svc, ret);
	return NULL;
}

/* Wake @q's thread for a serve pass, as a kick would. */
static void poke_queue(struct uvdev_queue *q)
{
	eventfd_write(q->kick_fd, 1);
}

static int set_kick(struct uvdev_service *svc, struct uvdev_queue *q)
{
	int ret = uvdev_vq_set_kickfd(svc->dev_fd, q->index, q->kick_fd);

	if (!ret)
		q->kick_set = true;
	return ret;
}

static int hook_result(struct uvdev_service *svc, const struct uvdev_msg *msg)
{
	return svc->ops->on_message ? svc->ops->on_message(svc, msg) : 0;
}

/*
 * RESET: no batch may be half served when the kernel drops the queues, so
 * the reply goes out with every queue's lock held.
 */
static int handle_reset(struct uvdev_service *svc, const struct uvdev_msg *msg)
{
	uint32_t i;
	int ret;

	for (i = 0; i < svc->num_queues; i++)
		pthread_mutex_lock(&svc->queues[i].lock);
	ret = uvdev_reply_msg(svc->dev_fd, msg, hook_result(svc, msg));
	/*
	 * The kernel drops the queues' chains once the reply is in (or the
	 * message timed out), whatever it says: forget those popped by the
	 * last push-and-pop and not served yet.
	 */
	for (i = 0; i < svc->num_queues; i++)
		svc->queues[i].carried = false;
	for (i = svc->num_queues; i-- > 0;)
		pthread_mutex_unlock(&svc->queues[i].lock);
	return ret;
}

/* VQ_READY: make sure the kick eventfd is set, then look at the ring. */
static int handle_vq_ready(struct uvdev_service *svc, const struct uvdev_msg *msg)
{
	struct uvdev_queue *q = NULL;
	int result = 0, ret;

	if (msg->vq.queue >= svc->num_queues)
		result = -EINVAL;
	else
		q = &svc->queues[msg->vq.queue];
	if (!result && msg->vq.ready && !q->kick_set)
		result = set_kick(svc, q);
	if (!result)
		result = hook_result(svc, msg);
	ret = uvdev_reply_msg(svc->dev_fd, msg, result);
	if (!ret && !result && msg->vq.ready)
		poke_queue(q);
	return ret;
}

static int handle_message(struct uvdev_service *svc, const struct uvdev_msg *msg)
{
	switch (msg->type) {
	case UVDEV_MSG_RESET:
		return handle_reset(svc, msg);
	case UVDEV_MSG_VQ_READY:
		return handle_vq_ready(svc, msg);
	case UVDEV_MSG_SET_STATUS:
	case UVDEV_MSG_SET_CONFIG:
		return uvdev_reply_msg(svc->dev_fd, msg, hook_result(svc, msg));
	default:
		return uvdev_reply_msg(svc->dev_fd, msg, -EOPNOTSUPP);
	}
}

static void *message_thread(void *arg)
{
	struct uvdev_service *svc = arg;
	struct uvdev_msg msg;
	int ret;

	for (;;) {
		ret = wait_readable(svc, svc->dev_fd);
		if (ret <= 0)
			break;
		ret = uvdev_read_msg(svc->dev_fd, &msg);
		if (ret == -EAGAIN)
			continue;
		if (ret < 0)
			break;
		ret = handle_message(svc, &msg);
		/* Its sender gave up (was killed): nobody waits for the answer. */
		if (ret == -ENOENT)
			ret = 0;
		if (ret < 0)
			break;
	}
	if (ret < 0)
		service_fail(svc, ret);
	return NULL;
}

int uvdev_service_init(struct uvdev_service *svc, int dev_fd,
		       uint32_t num_queues, const struct uvdev_service_ops *ops,
		       void *priv)
{
	uint32_t i;
	int ret;

	memset(svc, 0, sizeof(*svc));
	svc->dev_fd = dev_fd;
	svc->ops = ops;
	svc->priv = priv;
	svc->stop_fd = -1;
	svc->event_fd = -1;
	atomic_init(&svc->error, 0);
	if (num_queues == 0 || num_queues > UVDEV_MAX_QUEUES || !ops ||
	    !ops->serve_batch)
		return -EINVAL;

	svc->queues = calloc(num_queues, sizeof(*svc->queues));
	if (!svc->queues)
		return -ENOMEM;
	svc->num_queues = num_queues;
	for (i = 0; i < num_queues; i++) {
		struct uvdev_queue *q = &svc->queues[i];

		q->svc = svc;
		q->index = i;
		q->kick_fd = -1;
		q->lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
	}

	svc->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (svc->stop_fd < 0)
		goto cleanup_errno;
	svc->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (svc->event_fd < 0)
		goto cleanup_errno;
	for (i = 0; i < num_queues; i++) {
		svc->queues[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (svc->queues[i].kick_fd < 0)
			goto cleanup_errno;
	}
	return 0;

cleanup_errno:
	ret = -errno;
	uvdev_service_fini(svc);
	return ret;
}

int uvdev_service_start(struct uvdev_service *svc)
{
	uint32_t i;
	int ret;

	for (i = 0; i < svc->num_queues; i++) {
		struct uvdev_queue *q = &svc->queues[i];

		/* A queue that is not ready yet gets its eventfd at VQ_READY. */
		ret = set_kick(svc, q);
		if (ret && ret != -ENODEV)
			return ret;
		/* One pass at start: serves chains a previous backend left. */
		poke_queue(q);
	}
	for (i = 0; i < svc->num_queues; i++) {
		struct uvdev_queue *q = &svc->queues[i];

		ret = -pthread_create(&q->thread, NULL, queue_thread, q);
		if (ret)
			goto cleanup;
		q->running = true;
	}
	ret = -pthread_create(&svc->msg_thread, NULL, message_thread, svc);
	if (ret)
		goto cleanup;
	svc->msg_running = true;
	return 0;

cleanup:
	uvdev_service_stop(svc);
	return ret;
}

void uvdev_service_stop(struct uvdev_service *svc)
{
	uint32_t i;

	if (svc->stop_fd >= 0)
		eventfd_write(svc->stop_fd, 1);
	for (i = 0; i < svc->num_queues; i++) {
		if (svc->queues[i].running) {
			pthread_join(svc->queues[i].thread, NULL);
			svc->queues[i].running = false;
		}
	}
	if (svc->msg_running) {
		pthread_join(svc->msg_thread, NULL);
		svc->msg_running = false;
	}
}

void uvdev_service_fini(struct uvdev_service *svc)
{
	uint32_t i;

	uvdev_service_stop(svc);
	for (i = 0; i < svc->num_queues; i++) {
		if (svc->queues[i].kick_fd >= 0)
			close(svc->queues[i].kick_fd);
	}
	free(svc->queues);
	svc->queues = NULL;
	svc->num_queues = 0;
	if (svc->stop_fd >= 0)
		close(svc->stop_fd);
	if (svc->event_fd >= 0)
		close(svc->event_fd);
	svc->stop_fd = -1;
	svc->event_fd = -1;
}
