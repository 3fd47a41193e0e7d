// SPDX-License-Identifier: GPL-2.0
/*
 * A fake of the uvdev ring ioctls (see fake_uvdev.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fake_uvdev.h"

struct fake_uvdev fake = { .fd = FAKE_FD, .num_queues = 1 };
pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;

int __real_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);

void fake_reset(void)
{
	uint32_t i;

	for (i = 0; i < fake.nchains; i++) {
		free(fake.chains[i].out);
		free(fake.chains[i].in);
	}
	memset(&fake, 0, sizeof(fake));
	fake.fd = FAKE_FD;
	fake.num_queues = 1;
	for (i = 0; i < UVDEV_MAX_QUEUES; i++)
		fake.kick_fd[i] = -1;
}

uint32_t fake_add_chain(const void *out, uint32_t out_len, uint32_t in_len)
{
	struct fake_chain *c = &fake.chains[fake.nchains];

	if (fake.nchains == FAKE_MAX_CHAINS)
		abort();
	memset(c, 0, sizeof(*c));
	c->out = malloc(out_len ? out_len : 1);
	c->in = malloc(in_len ? in_len : 1);
	if (!c->out || !c->in)
		abort();
	if (out_len)
		memcpy(c->out, out, out_len);
	memset(c->in, 0xee, in_len);
	c->out_len = out_len;
	c->in_len = in_len;
	c->state = FAKE_AVAIL;
	return fake.nchains++;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

static int fake_pop(struct uvdev_vq_pop *req)
{
	struct uvdev_vq_elem *elems = (void *)(uintptr_t)req->elems;
	uint8_t *peek = (void *)(uintptr_t)req->peek_buf;
	uint32_t n = 0;

	fake.pops++;
	if (req->queue >= fake.num_queues || req->reserved || !req->max ||
	    req->max > UVDEV_MAX_BATCH ||
	    req->peek_len > UVDEV_MAX_PEEK)
		return fail(EINVAL);
	if (fake.pop_error)
		return fail(fake.pop_error);
	while (n < req->max && fake.next_avail < fake.nchains) {
		uint32_t head = fake.next_avail++;
		struct fake_chain *c = &fake.chains[head];

		c->state = FAKE_POPPED;
		elems[n] = (struct uvdev_vq_elem){
			.head = head,
			.out_bytes = c->out_len,
			.in_bytes = c->in_len,
			.nsegs = 2,
		};
		if (req->peek_len) {
			uint32_t len = c->out_len < req->peek_len ? c->out_len : req->peek_len;
			uint8_t *dst = peek + (size_t)n * req->peek_len;

			memset(dst, 0, req->peek_len);
			memcpy(dst, c->out, len);
		}
		n++;
	}
	return (int)n;
}

static int xfer_op(struct uvdev_vq_xfer_op *op)
{
	struct fake_chain *c;
	uint32_t limit;

	if (op->queue >= fake.num_queues || op->dir > UVDEV_XFER_WRITE)
		return -EINVAL;
	if (op->head >= fake.nchains || fake.chains[op->head].state != FAKE_POPPED)
		return -ENOENT;
	c = &fake.chains[op->head];
	limit = op->dir == UVDEV_XFER_WRITE ? c->in_len : c->out_len;
	if ((uint64_t)op->offset + op->len > limit)
		return -ERANGE;
	if (op->dir == UVDEV_XFER_READ && c->fail_read)
		return -c->fail_read;
	if ((const uint8_t *)(uintptr_t)op->addr < fake.fault_hi &&
	    (const uint8_t *)(uintptr_t)op->addr + op->len > fake.fault_lo)
		return -EFAULT;
	if (op->dir == UVDEV_XFER_WRITE)
		memcpy(c->in + op->offset, (void *)(uintptr_t)op->addr, op->len);
	else
		memcpy((void *)(uintptr_t)op->addr, c->out + op->offset, op->len);
	return (int)op->len;
}

static int fake_xfer(struct uvdev_vq_xfer *req)
{
	struct uvdev_vq_xfer_op *ops = (void *)(uintptr_t)req->ops;
	uint32_t i;

	fake.xfers++;
	if (req->reserved || !req->count || req->count > UVDEV_MAX_BATCH)
		return fail(EINVAL);
	if (fake.xfer_error)
		return fail(fake.xfer_error);
	for (i = 0; i < req->count; i++) {
		int ret = xfer_op(&ops[i]);

		ops[i].result = ret;
		if (ret < 0)
			return i ? (int)i : fail(-ret);
		fake.xfer_ops++;
	}
	return (int)i;
}

static int fake_push(struct uvdev_vq_push *req)
{
	const struct uvdev_vq_used *used = (void *)(uintptr_t)req->used;
	uint32_t i;
	int err = 0;

	fake.pushes++;
	if (req->queue >= fake.num_queues || req->reserved || !req->count ||
	    req->count > UVDEV_MAX_BATCH || (req->flags & ~UVDEV_PUSH_F_IRQ))
		return fail(EINVAL);
	for (i = 0; i < req->count; i++) {
		struct fake_chain *c;

		if (used[i].head >= fake.nchains ||
		    fake.chains[used[i].head].state != FAKE_POPPED) {
			err = ENOENT;
			break;
		}
		c = &fake.chains[used[i].head];
		if (used[i].len > c->in_len) {
			err = ERANGE;
			break;
		}
		c->state = FAKE_USED;
		c->used_len = used[i].len;
		fake.used_order[fake.pushed++] = used[i].head;
	}
	if (i && (req->flags & UVDEV_PUSH_F_IRQ))
		fake.irqs++;
	return i ? (int)i : fail(err);
}

/* VQ_SERVE: the push half, then (every entry pushed) the pop half. */
static int fake_serve(struct uvdev_vq_serve *req)
{
	struct uvdev_vq_push push = {
		.queue = req->queue,
		.count = req->push_count,
		.used = req->used,
		.flags = req->push_flags,
	};
	struct uvdev_vq_pop pop = {
		.queue = req->queue,
		.max = req->pop_max,
		.elems = req->elems,
		.peek_len = req->peek_len,
		.peek_buf = req->peek_buf,
	};
	int ret;

	fake.serves++;
	if (req->queue >= fake.num_queues || req->reserved[0] ||
	    req->reserved[1] || req->pushed || !req->push_count ||
	    req->push_count > UVDEV_MAX_BATCH ||
	    (req->push_flags & ~UVDEV_PUSH_F_IRQ) || !req->pop_max ||
	    req->pop_max > UVDEV_MAX_BATCH || req->peek_len > UVDEV_MAX_PEEK)
		return fail(EINVAL);
	ret = fake_push(&push);
	fake.pushes--;
	if (ret < 0)
		return ret;
	req->pushed = (uint32_t)ret;
	if ((uint32_t)ret < req->push_count) {
		/* fake_push stopped at a refused entry: find out why. */
		const struct uvdev_vq_used *u =
			(const struct uvdev_vq_used *)(uintptr_t)req->used + ret;

		return fail(u->head < fake.nchains &&
			    fake.chains[u->head].state == FAKE_POPPED ? ERANGE : ENOENT);
	}
	ret = fake_pop(&pop);
	fake.pops--;
	return ret;
}

static int fake_set_kickfd(struct uvdev_vq_kickfd *req)
{
	if (req->queue >= fake.num_queues || req->reserved[0] || req->reserved[1])
		return fail(EINVAL);
	if (fake.kick_error)
		return fail(fake.kick_error);
	fake.kick_fd[req->queue] = req->fd;
	return 0;
}

static int fake_ioctl(unsigned long request, void *arg)
{
	switch (request) {
	case UVDEV_IOC_VQ_POP:
		return fake_pop(arg);
	case UVDEV_IOC_VQ_XFER:
		return fake_xfer(arg);
	case UVDEV_IOC_VQ_PUSH:
		return fake_push(arg);
	case UVDEV_IOC_VQ_SERVE:
		return fake_serve(arg);
	case UVDEV_IOC_VQ_SET_KICKFD:
		return fake_set_kickfd(arg);
	default:
		return fail(ENOTTY);
	}
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (fd != fake.fd)
		return __real_ioctl(fd, request, arg);
	pthread_mutex_lock(&fake_lock);
	ret = fake_ioctl(request, arg);
	pthread_mutex_unlock(&fake_lock);
	return ret;
}
