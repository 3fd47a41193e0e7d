// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev: virtqueues, seen from the device side.
 *
 * The backend never sees the rings (chain.c reads them): it pops chains,
 * names them by (queue, head), reads their out-bytes and writes their
 * in-bytes at offsets through ioctls, and pushes them back. Every index,
 * offset and length it passes is checked against the chain as popped.
 *
 * The queue's lock is never held across a user memory access: POP copies
 * each chain's description out after dropping it, and XFER pins the
 * backend's pages first and copies under the lock between pinned pages and
 * the chain. A backend whose memory never faults in (userfaultfd, FUSE, a
 * file on its own disk) blocks itself, never a reset or a destroy.
 *
 * Kicks signal the queue's eventfd; interrupts are delivered through
 * vring_interrupt() by whoever injects them, under the queue's lock, so
 * callbacks of a queue never run concurrently nor after a reset.
 */
#include <linux/bvec.h>
#include <linux/eventfd.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "uvdev.h"
#include "trace.h"

/* ---- tracepoints -------------------------------------------------------- */

/*
 * The data path's tracepoints, for use behind their static branch
 * (trace_*_enabled()). Left to itself the compiler loads a tracepoint's
 * arguments before the branch, which a disabled tracepoint would pay on
 * every request: the barrier keeps those loads behind it.
 */
static __always_inline void uvdev_trace_kick(const struct uvdev_vq *uq,
					     u32 avail, u32 mode)
{
	barrier();
	trace_uvdev_kick(uq->udev->id, uq->index, avail, mode, uq->slot,
			 uq->udev->serial);
}

static __always_inline void uvdev_trace_pop(const struct uvdev_vq *uq, u16 head,
					    const struct uvdev_vq_elem *elem,
					    u64 wait, u16 avail, bool resubmitted)
{
	barrier();
	trace_uvdev_vq_pop(uq->udev->id, uq->index, head,
			   elem->out_bytes + elem->in_bytes, wait,
			   (u16)(avail - uq->last_avail),
			   uq->ninflight + uq->nresubmit, resubmitted, uq->slot,
			   uq->udev->serial);
}

static __always_inline void uvdev_trace_push(const struct uvdev_vq *uq,
					     u16 head, u32 len, u64 service_ns,
					     u32 result)
{
	barrier();
	trace_uvdev_vq_push(uq->udev->id, uq->index, head, len, service_ns,
			    uq->ninflight + uq->nresubmit, result, uq->slot,
			    uq->udev->serial);
}

static __always_inline void uvdev_trace_irq_inject(const struct uvdev_vq *uq)
{
	barrier();
	trace_uvdev_irq_inject(uq->udev->id, uq->index, uq->slot,
			       uq->udev->serial);
}

/* @start: the clock when the delivery began, 0 if the tracepoint was off. */
static __always_inline void uvdev_trace_irq_deliver(const struct uvdev_vq *uq,
						    u64 start, u32 outcome)
{
	barrier();
	trace_uvdev_irq_deliver(uq->udev->id, uq->index,
				start ? ktime_get_ns() - start : 0, outcome,
				uq->slot, uq->udev->serial);
}

/* ---- kicks -------------------------------------------------------------- */

static u16 uvdev_avail_idx(struct uvdev_vq *uq)
{
	return virtio16_to_cpu(&uq->udev->vdev, READ_ONCE(uq->vring->avail->idx));
}

/* Remember when the chains below @avail_idx were kicked. Under kick_lock. */
static void uvdev_kick_stamp(struct uvdev_vq *uq, u16 avail_idx, u64 now)
{
	struct uvdev_kick_stamp *s;

	if (uq->stamp_count == UVDEV_KICK_STAMPS) {
		/* Full: the newest stamp also covers these chains. */
		s = &uq->stamps[(uq->stamp_first + UVDEV_KICK_STAMPS - 1) %
				UVDEV_KICK_STAMPS];
		s->avail_idx = avail_idx;
		return;
	}
	s = &uq->stamps[(uq->stamp_first + uq->stamp_count) % UVDEV_KICK_STAMPS];
	s->avail_idx = avail_idx;
	s->ns = now;
	uq->stamp_count++;
}

/* How long the chain in avail slot @pos waited since its kick. */
static u64 uvdev_kick_wait(struct uvdev_vq *uq, u16 pos, u64 now)
{
	unsigned long flags;
	u64 wait = 0;

	spin_lock_irqsave(&uq->kick_lock, flags);
	while (uq->stamp_count) {
		struct uvdev_kick_stamp *s = &uq->stamps[uq->stamp_first];

		if ((s16)(s->avail_idx - pos) > 0) {
			/*
			 * The driver may stamp its kick after the pop read the
			 * avail index and the clock: no wait, not a negative one.
			 */
			wait = now > s->ns ? now - s->ns : 0;
			break;
		}
		uq->stamp_first = (uq->stamp_first + 1) % UVDEV_KICK_STAMPS;
		uq->stamp_count--;
	}
	spin_unlock_irqrestore(&uq->kick_lock, flags);
	return wait;
}

static bool uvdev_vq_notify(struct virtqueue *vq)
{
	struct uvdev_vq *uq = vq->priv;
	u32 mode, avail = 0;
	unsigned long flags;

	spin_lock_irqsave(&uq->kick_lock, flags);
	if (!uq->ready) {
		mode = UVDEV_TRACE_KICK_DROPPED;
	} else {
		avail = uvdev_avail_idx(uq);
		uvdev_kick_stamp(uq, avail, ktime_get_ns());
		if (uq->kickfd) {
			eventfd_signal(uq->kickfd, 1);
			mode = UVDEV_TRACE_KICK_EVENTFD;
		} else {
			uq->kick_pending = true;
			mode = UVDEV_TRACE_KICK_DEFERRED;
		}
	}
	spin_unlock_irqrestore(&uq->kick_lock, flags);
	if (trace_uvdev_kick_enabled())
		uvdev_trace_kick(uq, avail, mode);
	/* A broken device fails what the driver adds, whenever it adds it. */
	if (unlikely(uvdev_is_broken(uq->udev)) && !uq->receive)
		uvdev_queue_work(uq->udev, &uq->udev->fail_work);
	return true;
}

static int uvdev_vq_set_kickfd(struct uvdev_vq *uq, int fd)
{
	struct eventfd_ctx *ctx = NULL, *old;
	unsigned long flags;

	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	} else if (fd != -1) {
		return -EINVAL;
	}
	spin_lock_irqsave(&uq->kick_lock, flags);
	old = uq->kickfd;
	uq->kickfd = ctx;
	if (ctx && uq->kick_pending) {
		uq->kick_pending = false;
		eventfd_signal(ctx, 1);
	}
	spin_unlock_irqrestore(&uq->kick_lock, flags);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

/* ---- interrupts --------------------------------------------------------- */

/*
 * Deliver the queue's interrupt now, in the caller's context (the pushing
 * backend's, or the work failing a broken device's chains), as an
 * interrupt handler would: no kworker to wake, no second copy of a
 * callback. Caller holds uq->lock, which serialises the queue's callbacks
 * and which reset and teardown take before the ring goes; uq is ready.
 */
static void uvdev_vq_interrupt(struct uvdev_vq *uq)
{
	/*
	 * The delivery latency is for the tracepoint alone: no clock read
	 * while nothing listens. One switched on meanwhile gets latency 0.
	 */
	u64 start = trace_uvdev_irq_deliver_enabled() ? ktime_get_ns() : 0;
	u32 outcome;
	u16 avail_flags;

	lockdep_assert_held(&uq->lock);
	if (trace_uvdev_irq_inject_enabled())
		uvdev_trace_irq_inject(uq);
	/* What was published so far is the driver's now, or is suppressed. */
	atomic64_set(&uq->unnotified_ns, 0);
	/* Pairs with the driver's barrier after it sets NO_INTERRUPT. */
	smp_mb();
	avail_flags = virtio16_to_cpu(&uq->udev->vdev,
				      READ_ONCE(uq->vring->avail->flags));
	if (avail_flags & VRING_AVAIL_F_NO_INTERRUPT) {
		outcome = UVDEV_TRACE_IRQ_SUPPRESSED;
	} else {
		irqreturn_t ret;

		/* Callbacks expect interrupt context: run softirqs they raise. */
		local_bh_disable();
		ret = vring_interrupt(0, uq->vq);
		local_bh_enable();
		outcome = ret == IRQ_HANDLED ? UVDEV_TRACE_IRQ_HANDLED :
					       UVDEV_TRACE_IRQ_SPURIOUS;
	}
	if (trace_uvdev_irq_deliver_enabled())
		uvdev_trace_irq_deliver(uq, start, outcome);
}

/* No interrupt callback runs on @uq after this returns. */
void uvdev_vq_sync_irq(struct uvdev_vq *uq)
{
	mutex_lock(&uq->lock);
	mutex_unlock(&uq->lock);
}

/* ---- setup and teardown ------------------------------------------------- */

/*
 * Queues whose buffers wait for data the device starts (the virtio spec's
 * receive queues): a broken device holds them rather than completing them
 * empty, which the driver would refill at once, and monitors never count
 * them as waiting work.
 */
static bool uvdev_queue_receives(struct uvdev_device *udev, u32 index)
{
	switch (udev->device_id) {
	case VIRTIO_ID_NET:
		/* receiveq1, transmitq1, ...; the controlq last, if offered */
		if ((udev->device_features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ)) &&
		    index == udev->num_queues - 1)
			return false;
		return index % 2 == 0;
	case VIRTIO_ID_CONSOLE:
		/* port 0 receiveq, transmitq, control receiveq, transmitq, ... */
		return index % 2 == 0;
	default:
		return false;
	}
}

void uvdev_vq_init(struct uvdev_vq *uq, struct uvdev_device *udev, u32 index)
{
	uq->udev = udev;
	uq->index = index;
	uq->receive = uvdev_queue_receives(udev, index);
	mutex_init(&uq->lock);
	spin_lock_init(&uq->kick_lock);
	atomic64_set(&uq->unnotified_ns, 0);
}

static void uvdev_vq_set_ready(struct uvdev_vq *uq, bool ready)
{
	unsigned long flags;

	lockdep_assert_held(&uq->lock);
	spin_lock_irqsave(&uq->kick_lock, flags);
	WRITE_ONCE(uq->ready, ready);
	uq->stamp_count = 0;
	spin_unlock_irqrestore(&uq->kick_lock, flags);
}

/* Forget the device-side ring state. Under uq->lock. */
static void uvdev_vq_clear(struct uvdev_vq *uq)
{
	lockdep_assert_held(&uq->lock);
	uvdev_zc_forget_queue(uq, true);
	uq->gen++;
	uq->last_avail = 0;
	uq->used_idx = 0;
	uq->ninflight = 0;
	uq->nresubmit = 0;
	if (uq->inflight)
		memset(uq->inflight, 0, uq->num * sizeof(*uq->inflight));
}

struct virtqueue *uvdev_vq_setup(struct uvdev_vq *uq, vq_callback_t *callback,
				 const char *name, bool ctx)
{
	struct uvdev_device *udev = uq->udev;
	struct uvdev_inflight *inflight;
	struct uvdev_msg msg = { .type = UVDEV_MSG_VQ_READY };
	struct virtqueue *vq;
	u16 *resubmit;
	u32 num;
	int ret;

	/* A broken device sets up no queue: the probe fails instead. */
	if (uvdev_is_broken(udev))
		return ERR_PTR(-EIO);
	vq = vring_create_virtqueue(uq->index, udev->max_queue_size,
				    SMP_CACHE_BYTES, &udev->vdev, true, true,
				    ctx, uvdev_vq_notify, callback, name);
	if (!vq)
		return ERR_PTR(-ENOMEM);
	vq->priv = uq;
	num = virtqueue_get_vring_size(vq);

	inflight = kvcalloc(num, sizeof(*inflight), GFP_KERNEL);
	if (!inflight) {
		ret = -ENOMEM;
		goto err_del_vq;
	}
	resubmit = kvcalloc(num, sizeof(*resubmit), GFP_KERNEL);
	if (!resubmit) {
		ret = -ENOMEM;
		goto err_free_inflight;
	}

	mutex_lock(&uq->lock);
	uq->vq = vq;
	uq->vring = virtqueue_get_vring(vq);
	uq->num = num;
	uq->inflight = inflight;
	uq->resubmit = resubmit;
	uvdev_vq_clear(uq);
	uvdev_vq_set_ready(uq, true);
	mutex_unlock(&uq->lock);
	trace_uvdev_vq_setup(udev->id, uq->index, num, 1);

	msg.vq.queue = uq->index;
	msg.vq.size = num;
	msg.vq.ready = 1;
	ret = uvdev_msg_sync(udev, &msg);
	if (ret) {
		uvdev_vq_teardown(uq);
		return ERR_PTR(ret);
	}
	return vq;

err_free_inflight:
	kvfree(inflight);
err_del_vq:
	vring_del_virtqueue(vq);
	return ERR_PTR(ret);
}

/*
 * Stop the queue: no kick reaches the backend, no interrupt the driver.
 * Under uq->lock, so the callback of one being delivered has returned.
 */
static void uvdev_vq_stop(struct uvdev_vq *uq)
{
	lockdep_assert_held(&uq->lock);
	if (uq->vq)
		uvdev_vq_set_ready(uq, false);
	atomic64_set(&uq->unnotified_ns, 0);
}

void uvdev_vq_teardown(struct uvdev_vq *uq)
{
	struct uvdev_inflight *inflight;
	struct virtqueue *vq;
	u16 *resubmit;

	mutex_lock(&uq->lock);
	uvdev_vq_stop(uq);
	vq = uq->vq;
	if (!vq) {
		mutex_unlock(&uq->lock);
		return;
	}
	uvdev_vq_clear(uq);
	inflight = uq->inflight;
	resubmit = uq->resubmit;
	uq->vq = NULL;
	uq->vring = NULL;
	uq->inflight = NULL;
	uq->resubmit = NULL;
	uq->num = 0;
	mutex_unlock(&uq->lock);

	kvfree(resubmit);
	kvfree(inflight);
	vring_del_virtqueue(vq);
	trace_uvdev_vq_setup(uq->udev->id, uq->index, 0, 0);
}

/* Device reset: the queue stops and forgets its chains. */
void uvdev_vq_reset(struct uvdev_vq *uq)
{
	bool was_ready;
	u32 num;

	mutex_lock(&uq->lock);
	was_ready = uq->ready;
	num = uq->num;
	uvdev_vq_stop(uq);
	if (uq->vq)
		uvdev_vq_clear(uq);
	mutex_unlock(&uq->lock);
	if (was_ready)
		trace_uvdev_vq_setup(uq->udev->id, uq->index, num, 0);
}

/*
 * The backend closed its fd: chains it popped and did not push are handed
 * out again to the next backend, and its kick eventfd is dropped. A kick is
 * remembered so the next backend looks at the ring as soon as it is ready.
 */
void uvdev_vq_backend_gone(struct uvdev_vq *uq)
{
	struct uvdev_zc_batch zcb;
	unsigned long flags;
	u32 head;

	uvdev_zc_batch_init(&zcb);
	mutex_lock(&uq->lock);
	for (head = 0; uq->inflight && head < uq->num; head++) {
		if (!uq->inflight[head].in_use)
			continue;
		/* Unmapped; the next backend maps it again if it wants. */
		if (uq->inflight[head].zc)
			uvdev_zc_retire(uq, &uq->inflight[head], 0, &zcb);
		uq->inflight[head].in_use = false;
		uq->ninflight--;
		uq->resubmit[uq->nresubmit++] = head;
	}
	uvdev_zc_batch_end(uq->udev, &zcb, 0, false);
	mutex_unlock(&uq->lock);
	spin_lock_irqsave(&uq->kick_lock, flags);
	uq->kick_pending = true;
	spin_unlock_irqrestore(&uq->kick_lock, flags);
	uvdev_vq_set_kickfd(uq, -1);
}

/* ---- pop, xfer, push ---------------------------------------------------- */

/* Take the next chain. Returns 1 with @elem filled, 0 if none, or -errno. */
static int uvdev_vq_pop_one(struct uvdev_vq *uq, struct uvdev_vq_elem *elem)
{
	struct uvdev_inflight *inf;
	u64 now = ktime_get_ns();
	u16 avail = uvdev_avail_idx(uq);
	u64 wait = 0;
	bool fresh;
	u16 head;
	int ret;

	lockdep_assert_held(&uq->lock);
	fresh = uq->nresubmit == 0;
	if (fresh) {
		if (avail == uq->last_avail)
			return 0;
		if ((u16)(avail - uq->last_avail) > uq->num)
			return -EIO;
		/* Read the ring entry only after seeing the index move. */
		smp_rmb();
		head = virtio16_to_cpu(&uq->udev->vdev,
				       READ_ONCE(uq->vring->avail->ring[uq->last_avail % uq->num]));
		wait = uvdev_kick_wait(uq, uq->last_avail, now);
	} else {
		head = uq->resubmit[uq->nresubmit - 1];
	}
	if (head >= uq->num)
		return -EIO;
	head = array_index_nospec(head, uq->num);
	inf = &uq->inflight[head];
	if (inf->in_use)
		return -EIO;
	ret = uvdev_chain_measure(uq, head, elem);
	if (ret)
		return ret;

	if (fresh) {
		uq->last_avail++;
		inf->pop_ns = now;
	} else {
		uq->nresubmit--;
	}
	inf->out_bytes = elem->out_bytes;
	inf->in_bytes = elem->in_bytes;
	inf->in_use = true;
	uq->ninflight++;
	if (trace_uvdev_vq_pop_enabled())
		uvdev_trace_pop(uq, head, elem, wait, avail, !fresh);
	return 1;
}

/*
 * Hand a chain back for the next pop: its popper could not be told of it.
 * Unless the chains were forgotten since (@gen) or it was pushed already.
 */
static void uvdev_vq_unpop(struct uvdev_vq *uq, u32 gen, u16 head)
{
	lockdep_assert_held(&uq->lock);
	if (uq->gen != gen || head >= uq->num || !uq->inflight[head].in_use)
		return;
	uq->inflight[head].in_use = false;
	uq->ninflight--;
	uq->resubmit[uq->nresubmit++] = head;
}

/* Lock @uq for ring access by the backend; fails if it cannot be used. */
static int uvdev_vq_lock_ready(struct uvdev_vq *uq)
{
	mutex_lock(&uq->lock);
	if (uvdev_is_broken(uq->udev)) {
		mutex_unlock(&uq->lock);
		return -EIO;
	}
	if (!uq->ready) {
		mutex_unlock(&uq->lock);
		return -ENODEV;
	}
	return 0;
}

static struct uvdev_vq *uvdev_get_vq(struct uvdev_device *udev, u32 queue)
{
	if (queue >= udev->num_queues)
		return NULL;
	return &udev->vqs[array_index_nospec(queue, udev->num_queues)];
}

/*
 * Pop one chain and its first @peek_len out-bytes (zero-filled past them)
 * into kernel memory. Returns 1, 0 when the ring is empty, or -errno.
 */
static int uvdev_pop_peek(struct uvdev_vq *uq, struct uvdev_vq_elem *elem,
			  u8 *peek, u32 peek_len, u32 *gen)
{
	int ret;

	ret = uvdev_vq_lock_ready(uq);
	if (ret)
		return ret;
	ret = uvdev_vq_pop_one(uq, elem);
	if (ret > 0 && peek_len) {
		u32 n = min(peek_len, elem->out_bytes);
		struct kvec kv = { .iov_base = peek, .iov_len = n };
		struct iov_iter iter;
		int err;

		iov_iter_kvec(&iter, READ, &kv, 1, n);
		err = uvdev_chain_copy(uq, elem->head, false, 0, n, &iter);
		if (err) {
			uvdev_vq_unpop(uq, uq->gen, elem->head);
			ret = err;
		}
		memset(peek + n, 0, peek_len - n);
	}
	*gen = uq->gen;
	mutex_unlock(&uq->lock);
	return ret;
}

/*
 * Pop up to @max chains of @uq into the user arrays @elems and, with
 * @peek_len, @peek_buf (both checked by access_ok). Returns how many were
 * popped, or -errno if none was.
 */
static long uvdev_pop_to_user(struct uvdev_device *udev, struct uvdev_vq *uq,
			      struct uvdev_vq_elem __user *elems, u32 max,
			      u8 __user *peek_buf, u32 peek_len)
{
	u8 peek[UVDEV_MAX_PEEK];
	u32 n = 0;
	int ret = 0;

	/* One chain at a time, so user memory is written with no lock held. */
	while (n < max) {
		struct uvdev_vq_elem elem;
		u32 gen;

		ret = uvdev_pop_peek(uq, &elem, peek, peek_len, &gen);
		if (ret <= 0)
			break;
		ret = 0;
		if (copy_to_user(&elems[n], &elem, sizeof(elem)) ||
		    copy_to_user(peek_buf + (size_t)n * peek_len, peek,
				 peek_len)) {
			mutex_lock(&uq->lock);
			uvdev_vq_unpop(uq, gen, elem.head);
			mutex_unlock(&uq->lock);
			ret = -EFAULT;
			break;
		}
		n++;
	}

	if (ret == -EIO && !uvdev_is_broken(udev))
		uvdev_break(udev, UVDEV_TRACE_BROKEN_MALFORMED,
			    "queue %u: malformed descriptor chain from the driver",
			    uq->index);
	if (n)
		return n;
	return ret;
}

/*
 * The arguments of a pop (VQ_POP, and VQ_SERVE's second half): -EINVAL for
 * a count or peek length out of range, -EFAULT when the user arrays are not
 * in user space, else 0.
 */
static int uvdev_pop_args_check(struct uvdev_vq_elem __user *elems, u32 max,
				u8 __user *peek_buf, u32 peek_len)
{
	if (max == 0 || max > UVDEV_MAX_BATCH || peek_len > UVDEV_MAX_PEEK)
		return -EINVAL;
	if (!access_ok(elems, (size_t)max * sizeof(*elems)) ||
	    (peek_len && !access_ok(peek_buf, (size_t)max * peek_len)))
		return -EFAULT;
	return 0;
}

static long uvdev_ioctl_pop(struct uvdev_device *udev,
			    struct uvdev_vq_pop __user *argp)
{
	struct uvdev_vq_elem __user *elems;
	u8 __user *peek_buf;
	struct uvdev_vq_pop req;
	struct uvdev_vq *uq;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	uq = uvdev_get_vq(udev, req.queue);
	if (!uq || req.reserved)
		return -EINVAL;
	elems = u64_to_user_ptr(req.elems);
	peek_buf = u64_to_user_ptr(req.peek_buf);
	ret = uvdev_pop_args_check(elems, req.max, peek_buf, req.peek_len);
	if (ret)
		return ret;
	return uvdev_pop_to_user(udev, uq, elems, req.max, peek_buf,
				 req.peek_len);
}

/* Pages of the backend's buffer pinned at a time by one XFER step. */
#define UVDEV_XFER_PAGES	16

/*
 * Copy up to UVDEV_XFER_PAGES pages of the op, from byte @done on. The
 * backend's pages are pinned first, with no lock held (they may fault for
 * as long as the backend's memory takes), then copied under uq->lock,
 * where nothing faults. Returns the bytes moved or -errno.
 */
static int uvdev_xfer_step(struct uvdev_vq *uq, const struct uvdev_vq_xfer_op *op,
			   u32 gen, u32 done)
{
	bool to_chain = op->dir == UVDEV_XFER_WRITE;
	unsigned long addr = op->addr + done;
	size_t off = offset_in_page(addr);
	u32 len = min_t(u64, op->len - done, UVDEV_XFER_PAGES * PAGE_SIZE - off);
	int npages = DIV_ROUND_UP(off + len, PAGE_SIZE);
	struct page *pages[UVDEV_XFER_PAGES];
	struct bio_vec bv[UVDEV_XFER_PAGES];
	struct iov_iter iter;
	size_t left = len;
	int pinned, i, ret;

	pinned = pin_user_pages_fast(addr - off, npages, to_chain ? 0 : FOLL_WRITE,
				     pages);
	if (pinned < 0)
		return pinned;
	if (pinned < npages) {
		unpin_user_pages(pages, pinned);
		return -EFAULT;
	}
	for (i = 0; i < npages; i++) {
		bv[i].bv_page = pages[i];
		bv[i].bv_offset = i ? 0 : off;
		bv[i].bv_len = min_t(size_t, left, PAGE_SIZE - bv[i].bv_offset);
		left -= bv[i].bv_len;
	}
	iov_iter_bvec(&iter, to_chain ? WRITE : READ, bv, npages, len);

	ret = uvdev_vq_lock_ready(uq);
	if (!ret) {
		if (uq->gen != gen || !uq->inflight[op->head].in_use)
			ret = -ENOENT;
		else
			ret = uvdev_chain_copy(uq, op->head, to_chain,
					       op->offset + done, len, &iter);
		mutex_unlock(&uq->lock);
	}
	if (to_chain)
		unpin_user_pages(pages, npages);
	else
		unpin_user_pages_dirty_lock(pages, npages, !ret);
	return ret ? ret : len;
}

/* Transfers up to this size go through a buffer on the stack, not pins. */
#define UVDEV_XFER_BOUNCE	256

/*
 * A short op through a bounce buffer: the backend's memory is read before
 * taking uq->lock, or written after dropping it. Returns the bytes moved
 * or -errno.
 */
static int uvdev_xfer_bounce(struct uvdev_vq *uq, const struct uvdev_vq_xfer_op *op,
			     u32 gen)
{
	bool to_chain = op->dir == UVDEV_XFER_WRITE;
	void __user *addr = u64_to_user_ptr(op->addr);
	u8 buf[UVDEV_XFER_BOUNCE];
	struct kvec kv = { .iov_base = buf, .iov_len = op->len };
	struct iov_iter iter;
	int ret;

	if (to_chain && copy_from_user(buf, addr, op->len))
		return -EFAULT;
	iov_iter_kvec(&iter, to_chain ? WRITE : READ, &kv, 1, op->len);
	ret = uvdev_vq_lock_ready(uq);
	if (ret)
		return ret;
	if (uq->gen != gen || !uq->inflight[op->head].in_use)
		ret = -ENOENT;
	else
		ret = uvdev_chain_copy(uq, op->head, to_chain, op->offset,
				       op->len, &iter);
	mutex_unlock(&uq->lock);
	if (ret)
		return ret;
	if (!to_chain && copy_to_user(addr, buf, op->len))
		return -EFAULT;
	return op->len;
}

static int uvdev_xfer_one(struct uvdev_device *udev, struct uvdev_vq_xfer_op *op)
{
	bool to_chain = op->dir == UVDEV_XFER_WRITE;
	struct uvdev_inflight *inf;
	struct uvdev_vq *uq;
	u32 done, gen;
	u64 limit;
	int ret;

	uq = uvdev_get_vq(udev, op->queue);
	if (!uq || op->dir > UVDEV_XFER_WRITE)
		return -EINVAL;

	ret = uvdev_vq_lock_ready(uq);
	if (ret)
		return ret;
	if (op->head >= uq->num) {
		ret = -ENOENT;
		goto out_unlock;
	}
	op->head = array_index_nospec(op->head, uq->num);
	inf = &uq->inflight[op->head];
	if (!inf->in_use) {
		ret = -ENOENT;
		goto out_unlock;
	}
	limit = to_chain ? inf->in_bytes : inf->out_bytes;
	if ((u64)op->offset + op->len > limit || op->len > INT_MAX)
		ret = -ERANGE;
	gen = uq->gen;
out_unlock:
	mutex_unlock(&uq->lock);
	if (ret)
		return ret;

	if (op->len <= UVDEV_XFER_BOUNCE)
		return uvdev_xfer_bounce(uq, op, gen);
	for (done = 0; done < op->len; done += ret) {
		ret = uvdev_xfer_step(uq, op, gen, done);
		if (ret < 0)
			return ret;
	}
	return op->len;
}

static long uvdev_ioctl_xfer(struct uvdev_device *udev,
			     struct uvdev_vq_xfer __user *argp)
{
	struct uvdev_vq_xfer_op __user *uops;
	struct uvdev_vq_xfer req;
	u32 i;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved || req.count == 0 || req.count > UVDEV_MAX_BATCH)
		return -EINVAL;
	uops = u64_to_user_ptr(req.ops);

	for (i = 0; i < req.count; i++) {
		struct uvdev_vq_xfer_op op;
		int ret;

		if (copy_from_user(&op, &uops[i], sizeof(op)))
			return i ? i : -EFAULT;
		ret = uvdev_xfer_one(udev, &op);
		op.result = ret;
		if (put_user(op.result, &uops[i].result))
			return i ? i : -EFAULT;
		if (ret < 0)
			return i ? i : ret;
	}
	return i;
}

/*
 * Complete the chain @head with @len bytes written; @result is how
 * (enum uvdev_trace_push_result). Under uq->lock.
 */
static void uvdev_vq_complete(struct uvdev_vq *uq, u16 head, u32 len, u64 now,
			      u32 result)
{
	struct virtio_device *vdev = &uq->udev->vdev;
	struct uvdev_inflight *inf = &uq->inflight[head];
	struct vring_used_elem *slot;

	slot = &uq->vring->used->ring[uq->used_idx % uq->num];
	WRITE_ONCE(slot->id, cpu_to_virtio32(vdev, head));
	WRITE_ONCE(slot->len, cpu_to_virtio32(vdev, len));
	uq->used_idx++;
	inf->in_use = false;
	uq->ninflight--;
	if (trace_uvdev_vq_push_enabled())
		uvdev_trace_push(uq, head, len, now - inf->pop_ns, result);
}

/*
 * Publish the used entries written so far. Under uq->lock. Until an
 * interrupt is delivered (or found suppressed) after this, the driver has
 * not been told: monitors call that interrupt lost past a limit.
 */
static void uvdev_vq_publish(struct uvdev_vq *uq, u64 now)
{
	/* The entries must be visible before the index that covers them. */
	smp_wmb();
	WRITE_ONCE(uq->vring->used->idx,
		   cpu_to_virtio16(&uq->udev->vdev, uq->used_idx));
	atomic64_cmpxchg(&uq->unnotified_ns, 0, now);
}

/*
 * Debug only: deliberate extra work per pushed chain, so the perf gate
 * (tests/perf/gate.sh) can show that it fails on a slower push path.
 */
static unsigned int debug_push_delay_loops;
module_param(debug_push_delay_loops, uint, 0644);
MODULE_PARM_DESC(debug_push_delay_loops,
		 "Debug: busy-loop iterations per pushed chain, to test the perf gate (default 0)");

static void uvdev_debug_push_delay(u32 chains)
{
	u64 n = (u64)READ_ONCE(debug_push_delay_loops) * chains;

	while (n--)
		cpu_relax();
}

/* Pushes of up to this many entries copy them to the stack. */
#define UVDEV_PUSH_ON_STACK	32

/* A push's count and flags (VQ_PUSH, and VQ_SERVE's first half). */
static bool uvdev_push_args_valid(u32 count, u32 flags)
{
	return count && count <= UVDEV_MAX_BATCH && !(flags & ~UVDEV_PUSH_F_IRQ);
}

/*
 * Copy @count used entries from @uptr: into @on_stack if they fit, else
 * into memory the caller frees when *@used is not @on_stack.
 */
static int uvdev_used_from_user(struct uvdev_vq_used *on_stack, u64 uptr,
				u32 count, struct uvdev_vq_used **used)
{
	*used = on_stack;
	if (count > UVDEV_PUSH_ON_STACK) {
		*used = memdup_user(u64_to_user_ptr(uptr),
				    (size_t)count * sizeof(**used));
		if (IS_ERR(*used)) {
			int ret = PTR_ERR(*used);

			*used = on_stack;
			return ret;
		}
		return 0;
	}
	if (copy_from_user(on_stack, u64_to_user_ptr(uptr),
			   (size_t)count * sizeof(*on_stack)))
		return -EFAULT;
	return 0;
}

/*
 * Push @used[0..@count) to @uq in order, up to the first entry refused,
 * then publish them and, with UVDEV_PUSH_F_IRQ in @flags, inject the
 * interrupt if any was pushed. Returns how many were pushed, with *@err
 * the refused entry's errno (ENOENT not in flight, ERANGE len above its
 * in-bytes) or 0; or -errno (EIO broken, ENODEV not ready) with none
 * pushed.
 */
static int uvdev_push_used(struct uvdev_device *udev, struct uvdev_vq *uq,
			   const struct uvdev_vq_used *used, u32 count,
			   u32 flags, int *err)
{
	struct uvdev_zc_batch zcb;
	u64 now;
	u32 i;
	int ret;

	*err = 0;
	uvdev_zc_batch_init(&zcb);
	ret = uvdev_vq_lock_ready(uq);
	if (ret)
		return ret;
	now = ktime_get_ns();
	for (i = 0; i < count; i++) {
		u32 head = used[i].head;

		if (head >= uq->num) {
			*err = -ENOENT;
			break;
		}
		head = array_index_nospec(head, uq->num);
		if (!uq->inflight[head].in_use) {
			*err = -ENOENT;
			break;
		}
		if (used[i].len > uq->inflight[head].in_bytes) {
			*err = -ERANGE;
			break;
		}
		if (unlikely(uq->inflight[head].zc))
			uvdev_zc_retire(uq, &uq->inflight[head], used[i].len,
					&zcb);
		uvdev_vq_complete(uq, head, used[i].len, now,
				  UVDEV_TRACE_PUSH_OK);
	}
	/* Unmapped, TLB flushed, pages put: only then may the driver look. */
	uvdev_zc_batch_end(udev, &zcb, now, true);
	if (i) {
		uvdev_vq_publish(uq, now);
		if (flags & UVDEV_PUSH_F_IRQ)
			uvdev_vq_interrupt(uq);
	}
	mutex_unlock(&uq->lock);
	uvdev_debug_push_delay(i);
	return i;
}

static long uvdev_ioctl_push(struct uvdev_device *udev,
			     struct uvdev_vq_push __user *argp)
{
	struct uvdev_vq_used on_stack[UVDEV_PUSH_ON_STACK], *used;
	struct uvdev_vq_push req;
	struct uvdev_vq *uq;
	int ret, err;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	uq = uvdev_get_vq(udev, req.queue);
	if (!uq || req.reserved || !uvdev_push_args_valid(req.count, req.flags))
		return -EINVAL;
	ret = uvdev_used_from_user(on_stack, req.used, req.count, &used);
	if (ret)
		goto out_free;
	ret = uvdev_push_used(udev, uq, used, req.count, req.flags, &err);
	if (ret == 0)
		ret = err;
out_free:
	if (used != on_stack)
		kfree(used);
	return ret;
}

/*
 * UVDEV_IOC_VQ_SERVE: UVDEV_IOC_VQ_PUSH, then UVDEV_IOC_VQ_POP, in one
 * call (see the uapi header). Every argument of both halves is checked
 * before anything is pushed; the pop runs only if every entry was pushed.
 */
static long uvdev_ioctl_serve(struct uvdev_device *udev,
			      struct uvdev_vq_serve __user *argp)
{
	struct uvdev_vq_used on_stack[UVDEV_PUSH_ON_STACK], *used;
	struct uvdev_vq_elem __user *elems;
	struct uvdev_vq_serve req;
	u8 __user *peek_buf;
	struct uvdev_vq *uq;
	int ret, err;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	uq = uvdev_get_vq(udev, req.queue);
	if (!uq || req.reserved[0] || req.reserved[1] || req.pushed ||
	    !uvdev_push_args_valid(req.push_count, req.push_flags))
		return -EINVAL;
	elems = u64_to_user_ptr(req.elems);
	peek_buf = u64_to_user_ptr(req.peek_buf);
	ret = uvdev_pop_args_check(elems, req.pop_max, peek_buf, req.peek_len);
	if (ret)
		return ret;
	/* @pushed must be writable before anything is pushed. */
	if (put_user(0, &argp->pushed))
		return -EFAULT;
	ret = uvdev_used_from_user(on_stack, req.used, req.push_count, &used);
	if (ret)
		goto out_free;
	ret = uvdev_push_used(udev, uq, used, req.push_count, req.push_flags,
			      &err);
	/* Nothing pushed: the queue is unusable or the first entry refused. */
	if (ret <= 0) {
		if (ret == 0)
			ret = err;
		goto out_free;
	}
	if (put_user(ret, &argp->pushed)) {
		ret = -EFAULT;
		goto out_free;
	}
	if (err) {
		ret = err;
		goto out_free;
	}
	ret = uvdev_pop_to_user(udev, uq, elems, req.pop_max, peek_buf,
				req.peek_len);
out_free:
	if (used != on_stack)
		kfree(used);
	return ret;
}

/*
 * The device is broken: complete every chain the driver has made available
 * (popped or not) so no request waits for a backend that will not answer.
 * Block requests get VIRTIO_BLK_S_IOERR in their status byte; others come
 * back with nothing written. Receive queues keep their buffers: completed
 * empty, they would be refilled at once, for ever; the driver reclaims
 * them when it resets the device. Completions the backend published
 * without an interrupt are delivered too: no backend can inject it now,
 * and a driver waiting for them (a block device's removal) would wait for
 * ever.
 */
void uvdev_vq_fail_all(struct uvdev_vq *uq)
{
	bool blk = uq->udev->device_id == VIRTIO_ID_BLOCK;
	struct uvdev_zc_batch zcb;
	struct uvdev_vq_elem elem;
	u32 failed = 0;
	u64 now;
	u32 head;

	uvdev_zc_batch_init(&zcb);
	mutex_lock(&uq->lock);
	if (!uq->ready)
		goto out_unlock;
	if (uq->receive)
		goto out_notify;
	/* Everything available becomes in flight, then all of it completes. */
	for (; uq->nresubmit; uq->nresubmit--) {
		head = uq->resubmit[uq->nresubmit - 1];
		uq->inflight[head].in_use = true;
		uq->ninflight++;
	}
	while (uvdev_vq_pop_one(uq, &elem) > 0)
		;
	now = ktime_get_ns();
	for (head = 0; head < uq->num; head++) {
		struct uvdev_inflight *inf = &uq->inflight[head];
		u32 len = 0;

		if (!inf->in_use)
			continue;
		if (inf->zc)
			uvdev_zc_retire(uq, inf, 0, &zcb);
		if (blk && inf->in_bytes) {
			u8 status = VIRTIO_BLK_S_IOERR;
			struct kvec kv = { .iov_base = &status, .iov_len = 1 };
			struct iov_iter iter;

			iov_iter_kvec(&iter, WRITE, &kv, 1, 1);
			if (!uvdev_chain_copy(uq, head, true, inf->in_bytes - 1,
					      1, &iter))
				len = 1;
		}
		uvdev_vq_complete(uq, head, len, now, UVDEV_TRACE_PUSH_FAILED);
		failed++;
	}
	uvdev_zc_batch_end(uq->udev, &zcb, now, true);
	if (failed)
		uvdev_vq_publish(uq, now);
out_notify:
	if (atomic64_read(&uq->unnotified_ns))
		uvdev_vq_interrupt(uq);
out_unlock:
	mutex_unlock(&uq->lock);
}

/* ---- zero copy ---------------------------------------------------------- */

static long uvdev_ioctl_zc_map(struct uvdev_device *udev,
			       struct uvdev_zc_map __user *argp)
{
	struct uvdev_zc_seg *segs;
	struct uvdev_zc_map req;
	struct uvdev_vq *uq;
	u32 head;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (!udev->zc)
		return -EOPNOTSUPP;
	uq = uvdev_get_vq(udev, req.queue);
	if (!uq || req.flags || req.reserved[0] || req.reserved[1] ||
	    req.id || req.nsegs || req.mapped_pages || req.copied_pages ||
	    !req.max_segs || req.max_segs > UVDEV_ZC_MAX_SEGS ||
	    (!req.out_len && !req.in_len))
		return -EINVAL;
	segs = kvmalloc_array(req.max_segs, sizeof(*segs), GFP_KERNEL);
	if (!segs)
		return -ENOMEM;

	ret = uvdev_vq_lock_ready(uq);
	if (ret)
		goto out_free;
	head = req.head;
	if (head >= uq->num || !uq->inflight[array_index_nospec(head, uq->num)].in_use) {
		ret = -ENOENT;
	} else {
		head = array_index_nospec(head, uq->num);
		ret = uvdev_zc_map(uq, &uq->inflight[head], head, &req, segs);
	}
	mutex_unlock(&uq->lock);
	if (ret == -EIO && !uvdev_is_broken(udev))
		uvdev_break(udev, UVDEV_TRACE_BROKEN_MALFORMED,
			    "queue %u: malformed descriptor chain from the driver",
			    uq->index);
	if (!ret)
		uvdev_zc_prefault(udev, segs[0].offset >> PAGE_SHIFT,
				  req.mapped_pages + req.copied_pages);
	/* A chain mapped but not told of stays mapped until its push. */
	if (!ret && (copy_to_user(u64_to_user_ptr(req.segs), segs,
				  (size_t)req.nsegs * sizeof(*segs)) ||
		     copy_to_user(argp, &req, sizeof(req))))
		ret = -EFAULT;
out_free:
	kvfree(segs);
	return ret;
}

/* ---- state for monitors ------------------------------------------------ */

/* When the chain in avail slot @pos was kicked; 0 if not known. */
static u64 uvdev_kick_time(struct uvdev_vq *uq, u16 pos)
{
	unsigned long flags;
	u32 i;
	u64 ns = 0;

	spin_lock_irqsave(&uq->kick_lock, flags);
	for (i = 0; i < uq->stamp_count; i++) {
		struct uvdev_kick_stamp *s;

		s = &uq->stamps[(uq->stamp_first + i) % UVDEV_KICK_STAMPS];
		if ((s16)(s->avail_idx - pos) > 0) {
			ns = s->ns;
			break;
		}
	}
	spin_unlock_irqrestore(&uq->kick_lock, flags);
	return ns;
}

/* The oldest pop among the chains in flight; 0 if none. Under uq->lock. */
static u64 uvdev_oldest_pop(struct uvdev_vq *uq)
{
	u64 oldest = 0;
	u32 i;

	for (i = 0; i < uq->num; i++) {
		const struct uvdev_inflight *inf = &uq->inflight[i];

		if (inf->in_use && (!oldest || inf->pop_ns < oldest))
			oldest = inf->pop_ns;
	}
	for (i = 0; i < uq->nresubmit; i++) {
		u64 ns = uq->inflight[uq->resubmit[i]].pop_ns;

		if (!oldest || ns < oldest)
			oldest = ns;
	}
	return oldest;
}

/* Fill @st (all but dev_id, status and BROKEN/BACKEND) for monitors. */
void uvdev_vq_state(struct uvdev_vq *uq, struct uvdev_queue_state *st)
{
	mutex_lock(&uq->lock);
	st->size = uq->num;
	st->slot = uq->slot;
	if (uq->receive)
		st->flags |= UVDEV_QUEUE_RECEIVE;
	if (uq->ready) {
		u16 pending = uvdev_avail_idx(uq) - uq->last_avail;

		st->flags |= UVDEV_QUEUE_READY;
		st->pending = min_t(u32, pending, uq->num);
		if (st->pending)
			st->pending_since_ns = uvdev_kick_time(uq, uq->last_avail);
		st->inflight = uq->ninflight + uq->nresubmit;
		st->inflight_since_ns = uvdev_oldest_pop(uq);
	}
	st->irq_since_ns = atomic64_read(&uq->unnotified_ns);
	mutex_unlock(&uq->lock);
}

/* ---- ioctl dispatch ----------------------------------------------------- */

static long uvdev_ioctl_vq_info(struct uvdev_device *udev,
				struct uvdev_vq_info __user *argp)
{
	struct uvdev_vq_info info;
	struct uvdev_vq *uq;

	if (copy_from_user(&info, argp, sizeof(info)))
		return -EFAULT;
	uq = uvdev_get_vq(udev, info.queue);
	if (!uq || memchr_inv(info.reserved, 0, sizeof(info.reserved)))
		return -EINVAL;
	mutex_lock(&uq->lock);
	info.size = uq->num;
	info.ready = uq->ready;
	info.inflight = uq->ninflight + uq->nresubmit;
	mutex_unlock(&uq->lock);
	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

long uvdev_vq_ioctl(struct uvdev_device *udev, unsigned int cmd,
		    void __user *argp)
{
	switch (cmd) {
	case UVDEV_IOC_VQ_INFO:
		return uvdev_ioctl_vq_info(udev, argp);
	case UVDEV_IOC_VQ_SET_KICKFD: {
		struct uvdev_vq_kickfd req;
		struct uvdev_vq *uq;

		if (copy_from_user(&req, argp, sizeof(req)))
			return -EFAULT;
		uq = uvdev_get_vq(udev, req.queue);
		if (!uq || req.reserved[0] || req.reserved[1])
			return -EINVAL;
		return uvdev_vq_set_kickfd(uq, req.fd);
	}
	case UVDEV_IOC_VQ_POP:
		return uvdev_ioctl_pop(udev, argp);
	case UVDEV_IOC_VQ_XFER:
		return uvdev_ioctl_xfer(udev, argp);
	case UVDEV_IOC_VQ_PUSH:
		return uvdev_ioctl_push(udev, argp);
	case UVDEV_IOC_VQ_SERVE:
		return uvdev_ioctl_serve(udev, argp);
	case UVDEV_IOC_ZC_MAP:
		return uvdev_ioctl_zc_map(udev, argp);
	case UVDEV_IOC_VQ_IRQ: {
		struct uvdev_vq_irq req;
		struct uvdev_vq *uq;
		int ret;

		if (copy_from_user(&req, argp, sizeof(req)))
			return -EFAULT;
		uq = uvdev_get_vq(udev, req.queue);
		if (!uq || req.reserved)
			return -EINVAL;
		ret = uvdev_vq_lock_ready(uq);
		if (ret)
			return ret;
		uvdev_vq_interrupt(uq);
		mutex_unlock(&uq->lock);
		return 0;
	}
	default:
		return -ENOTTY;
	}
}
