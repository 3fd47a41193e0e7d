// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev: virtqueues, seen from the device side.
 *
 * The driver's split rings live in kernel memory (no DMA API: descriptors
 * hold physical addresses). The backend never sees them: it pops chains,
 * names them by (queue, head), reads their out-bytes and writes their
 * in-bytes at offsets through ioctls, and pushes them back. Every index,
 * offset and length it passes is checked against the chain as popped.
 *
 * Kicks signal the queue's eventfd; interrupts are injected from a work
 * item that calls vring_interrupt().
 */
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
#include <linux/virtio_ring.h>

#include "uvdev.h"
#include "trace.h"

/* ---- guest-physical memory ---------------------------------------------- */

/*
 * Move @len bytes at physical address @addr to (@to_iter) or from the
 * iterator, a page at a time: buffers may span pages that are not
 * contiguous in the kernel's mapping.
 */
static int uvdev_phys_iter(u64 addr, u32 len, struct iov_iter *iter,
			   bool to_iter)
{
	while (len) {
		unsigned long pfn = PHYS_PFN(addr);
		size_t off = offset_in_page(addr);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		size_t done;

		if (!pfn_valid(pfn))
			return -EIO;
		if (to_iter)
			done = copy_page_to_iter(pfn_to_page(pfn), off, n, iter);
		else
			done = copy_page_from_iter(pfn_to_page(pfn), off, n, iter);
		if (done != n)
			return -EFAULT;
		addr += n;
		len -= n;
	}
	return 0;
}

/* Copy between physical memory and a kernel buffer. */
static int uvdev_phys_kernel(u64 addr, void *buf, u32 len, bool to_buf)
{
	while (len) {
		unsigned long pfn = PHYS_PFN(addr);
		size_t off = offset_in_page(addr);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);

		if (!pfn_valid(pfn))
			return -EIO;
		if (to_buf)
			memcpy_from_page(buf, pfn_to_page(pfn), off, n);
		else
			memcpy_to_page(pfn_to_page(pfn), off, buf, n);
		addr += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* ---- descriptor chains -------------------------------------------------- */

struct uvdev_seg {
	u64 addr;
	u32 len;
	bool write;			/* device-writable: an in-segment */
};

struct uvdev_chain_iter {
	struct uvdev_vq *uq;
	u64 table;			/* indirect table address, if any */
	u32 table_len;			/* its entries */
	u32 next;			/* next descriptor index */
	u32 budget;			/* descriptors left before it is a loop */
	bool indirect;
	bool seen_write;
	bool done;
};

static void uvdev_chain_start(struct uvdev_vq *uq, u16 head,
			      struct uvdev_chain_iter *it)
{
	*it = (struct uvdev_chain_iter) {
		.uq = uq,
		.next = head,
		.budget = uq->num,
	};
}

static int uvdev_read_desc(struct uvdev_chain_iter *it, struct vring_desc *d)
{
	if (it->indirect)
		return uvdev_phys_kernel(it->table + (u64)it->next * sizeof(*d),
					 d, sizeof(*d), true);
	*d = it->uq->vring->desc[array_index_nospec(it->next, it->uq->num)];
	return 0;
}

/*
 * The next segment of the chain. Returns 1 and fills @seg, 0 at the end,
 * -EIO for a malformed chain (loop, bad index, nested indirect table,
 * out-segment after an in-segment).
 */
static int uvdev_chain_next(struct uvdev_chain_iter *it, struct uvdev_seg *seg)
{
	struct virtio_device *vdev = &it->uq->udev->vdev;
	struct vring_desc d;
	u16 flags;
	int ret;

	for (;;) {
		if (it->done)
			return 0;
		if (it->budget-- == 0)
			return -EIO;
		ret = uvdev_read_desc(it, &d);
		if (ret)
			return ret;
		flags = virtio16_to_cpu(vdev, d.flags);
		if (!(flags & VRING_DESC_F_INDIRECT))
			break;
		if (it->indirect || (flags & VRING_DESC_F_NEXT))
			return -EIO;
		it->table_len = virtio32_to_cpu(vdev, d.len) / sizeof(d);
		if (!it->table_len ||
		    virtio32_to_cpu(vdev, d.len) % sizeof(d))
			return -EIO;
		it->table = virtio64_to_cpu(vdev, d.addr);
		it->indirect = true;
		it->next = 0;
		it->budget = it->table_len;
	}

	seg->addr = virtio64_to_cpu(vdev, d.addr);
	seg->len = virtio32_to_cpu(vdev, d.len);
	seg->write = flags & VRING_DESC_F_WRITE;
	if (seg->addr + seg->len < seg->addr)
		return -EIO;
	if (!seg->write && it->seen_write)
		return -EIO;
	it->seen_write |= seg->write;

	if (flags & VRING_DESC_F_NEXT) {
		it->next = virtio16_to_cpu(vdev, d.next);
		if (it->next >= (it->indirect ? it->table_len : it->uq->num))
			return -EIO;
	} else {
		it->done = true;
	}
	return 1;
}

/* Count a chain's bytes and segments; checks its whole shape. */
static int uvdev_chain_measure(struct uvdev_vq *uq, u16 head,
			       struct uvdev_vq_elem *elem)
{
	struct uvdev_chain_iter it;
	struct uvdev_seg seg;
	u64 out = 0, in = 0;
	u32 nsegs = 0;
	int ret;

	uvdev_chain_start(uq, head, &it);
	while ((ret = uvdev_chain_next(&it, &seg)) > 0) {
		if (seg.write)
			in += seg.len;
		else
			out += seg.len;
		nsegs++;
	}
	if (ret < 0)
		return ret;
	if (out > U32_MAX || in > U32_MAX)
		return -EIO;
	elem->head = head;
	elem->out_bytes = out;
	elem->in_bytes = in;
	elem->nsegs = nsegs;
	return 0;
}

/*
 * Move @len bytes at @offset of the chain's in-bytes (@in) or out-bytes
 * to or from @iter. The caller has checked the range against the chain.
 */
static int uvdev_chain_copy(struct uvdev_vq *uq, u16 head, bool in,
			    u32 offset, u32 len, struct iov_iter *iter)
{
	struct uvdev_chain_iter it;
	struct uvdev_seg seg;
	int ret;

	uvdev_chain_start(uq, head, &it);
	while (len && (ret = uvdev_chain_next(&it, &seg)) > 0) {
		u32 n;

		if (seg.write != in)
			continue;
		if (offset >= seg.len) {
			offset -= seg.len;
			continue;
		}
		n = min(seg.len - offset, len);
		ret = uvdev_phys_iter(seg.addr + offset, n, iter, !in);
		if (ret)
			return ret;
		offset = 0;
		len -= n;
	}
	if (!len)
		return 0;
	return ret < 0 ? ret : -ERANGE;
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
			wait = now - s->ns;
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
	trace_uvdev_kick(uq->udev->id, uq->index, avail, mode);
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

static void uvdev_vq_inject_irq(struct uvdev_vq *uq)
{
	atomic64_cmpxchg(&uq->irq_inject_ns, 0, ktime_get_ns());
	trace_uvdev_irq_inject(uq->udev->id, uq->index);
	queue_work(uvdev_irq_wq, &uq->irq_work);
}

/* Deliver a pending interrupt now. Caller ensures the vq stays. */
static void uvdev_vq_deliver_irq(struct uvdev_vq *uq, struct virtqueue *vq)
{
	u64 start = atomic64_xchg(&uq->irq_inject_ns, 0);
	u32 outcome;
	u16 avail_flags;

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
		ret = vring_interrupt(0, vq);
		local_bh_enable();
		outcome = ret == IRQ_HANDLED ? UVDEV_TRACE_IRQ_HANDLED :
					       UVDEV_TRACE_IRQ_SPURIOUS;
	}
	trace_uvdev_irq_deliver(uq->udev->id, uq->index,
				start ? ktime_get_ns() - start : 0, outcome);
}

static void uvdev_vq_irq_work(struct work_struct *work)
{
	struct uvdev_vq *uq = container_of(work, struct uvdev_vq, irq_work);
	struct virtqueue *vq = READ_ONCE(uq->vq);

	/* Teardown clears ready, then cancels this work before freeing vq. */
	if (!READ_ONCE(uq->ready) || !vq)
		return;
	uvdev_vq_deliver_irq(uq, vq);
}

/* No interrupt callback runs on @uq after this returns. */
void uvdev_vq_sync_irq(struct uvdev_vq *uq)
{
	flush_work(&uq->irq_work);
}

/* ---- setup and teardown ------------------------------------------------- */

void uvdev_vq_init(struct uvdev_vq *uq, struct uvdev_device *udev, u32 index)
{
	uq->udev = udev;
	uq->index = index;
	mutex_init(&uq->lock);
	spin_lock_init(&uq->kick_lock);
	INIT_WORK(&uq->irq_work, uvdev_vq_irq_work);
	atomic64_set(&uq->irq_inject_ns, 0);
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

void uvdev_vq_teardown(struct uvdev_vq *uq)
{
	struct virtqueue *vq;

	mutex_lock(&uq->lock);
	vq = uq->vq;
	if (!vq) {
		mutex_unlock(&uq->lock);
		return;
	}
	uvdev_vq_set_ready(uq, false);
	uq->vq = NULL;
	uq->vring = NULL;
	kvfree(uq->inflight);
	uq->inflight = NULL;
	kvfree(uq->resubmit);
	uq->resubmit = NULL;
	uvdev_vq_clear(uq);
	uq->num = 0;
	mutex_unlock(&uq->lock);

	cancel_work_sync(&uq->irq_work);
	atomic64_set(&uq->irq_inject_ns, 0);
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
	if (uq->vq) {
		uvdev_vq_set_ready(uq, false);
		uvdev_vq_clear(uq);
	}
	mutex_unlock(&uq->lock);
	cancel_work_sync(&uq->irq_work);
	atomic64_set(&uq->irq_inject_ns, 0);
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
	unsigned long flags;
	u32 head;

	mutex_lock(&uq->lock);
	for (head = 0; uq->inflight && head < uq->num; head++) {
		if (!uq->inflight[head].in_use)
			continue;
		uq->inflight[head].in_use = false;
		uq->ninflight--;
		uq->resubmit[uq->nresubmit++] = head;
	}
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
	trace_uvdev_vq_pop(uq->udev->id, uq->index, head,
			   elem->out_bytes + elem->in_bytes, wait,
			   uq->nresubmit + (u16)(avail - uq->last_avail));
	return 1;
}

/* Hand a chain back for the next pop (its owner could not be told). */
static void uvdev_vq_unpop(struct uvdev_vq *uq, u16 head)
{
	uq->inflight[head].in_use = false;
	uq->ninflight--;
	uq->resubmit[uq->nresubmit++] = head;
}

/* Copy the first @len out-bytes of a popped chain to @dst, zero-filled. */
static int uvdev_vq_peek(struct uvdev_vq *uq, const struct uvdev_vq_elem *elem,
			 u32 len, void __user *dst)
{
	u32 n = min(len, elem->out_bytes);
	struct iov_iter iter;
	struct iovec iov;
	int ret;

	ret = import_single_range(READ, dst, n, &iov, &iter);
	if (ret)
		return ret;
	ret = uvdev_chain_copy(uq, elem->head, false, 0, n, &iter);
	if (ret)
		return ret;
	if (n < len && clear_user(dst + n, len - n))
		return -EFAULT;
	return 0;
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

static long uvdev_ioctl_pop(struct uvdev_device *udev,
			    struct uvdev_vq_pop __user *argp)
{
	struct uvdev_vq_elem __user *elems;
	u8 __user *peek_buf;
	struct uvdev_vq_pop req;
	struct uvdev_vq *uq;
	u32 n = 0;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	uq = uvdev_get_vq(udev, req.queue);
	if (!uq || req.reserved || req.max == 0 || req.max > UVDEV_MAX_BATCH ||
	    req.peek_len > UVDEV_MAX_PEEK)
		return -EINVAL;
	elems = u64_to_user_ptr(req.elems);
	peek_buf = u64_to_user_ptr(req.peek_buf);
	if (!access_ok(elems, (size_t)req.max * sizeof(*elems)) ||
	    (req.peek_len &&
	     !access_ok(peek_buf, (size_t)req.max * req.peek_len)))
		return -EFAULT;

	ret = uvdev_vq_lock_ready(uq);
	if (ret)
		return ret;
	while (n < req.max) {
		struct uvdev_vq_elem elem;

		ret = uvdev_vq_pop_one(uq, &elem);
		if (ret <= 0)
			break;
		ret = 0;
		if (req.peek_len)
			ret = uvdev_vq_peek(uq, &elem, req.peek_len,
					    peek_buf + (size_t)n * req.peek_len);
		if (!ret && copy_to_user(&elems[n], &elem, sizeof(elem)))
			ret = -EFAULT;
		if (ret) {
			uvdev_vq_unpop(uq, elem.head);
			break;
		}
		n++;
	}
	mutex_unlock(&uq->lock);

	if (ret == -EIO) {
		dev_err_ratelimited(&udev->dev,
				    "queue %u: malformed descriptor chain from the driver: device broken\n",
				    uq->index);
		uvdev_mark_broken(udev);
	}
	if (n)
		return n;
	return ret;
}

static int uvdev_xfer_one(struct uvdev_device *udev, struct uvdev_vq_xfer_op *op)
{
	bool to_chain = op->dir == UVDEV_XFER_WRITE;
	struct uvdev_inflight *inf;
	struct uvdev_vq *uq;
	struct iov_iter iter;
	struct iovec iov;
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
	inf = &uq->inflight[array_index_nospec(op->head, uq->num)];
	if (!inf->in_use) {
		ret = -ENOENT;
		goto out_unlock;
	}
	limit = to_chain ? inf->in_bytes : inf->out_bytes;
	if ((u64)op->offset + op->len > limit || op->len > INT_MAX) {
		ret = -ERANGE;
		goto out_unlock;
	}
	ret = import_single_range(to_chain ? WRITE : READ,
				  u64_to_user_ptr(op->addr), op->len, &iov, &iter);
	if (!ret)
		ret = uvdev_chain_copy(uq, op->head, to_chain, op->offset,
				       op->len, &iter);
out_unlock:
	mutex_unlock(&uq->lock);
	return ret ? ret : op->len;
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

static long uvdev_ioctl_push(struct uvdev_device *udev,
			     struct uvdev_vq_push __user *argp)
{
	struct uvdev_vq_used *used;
	struct uvdev_vq_push req;
	struct uvdev_vq *uq;
	u64 now;
	u32 i;
	int ret = 0;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	uq = uvdev_get_vq(udev, req.queue);
	if (!uq || req.reserved || req.count == 0 ||
	    req.count > UVDEV_MAX_BATCH || (req.flags & ~UVDEV_PUSH_F_IRQ))
		return -EINVAL;
	used = memdup_user(u64_to_user_ptr(req.used),
			   (size_t)req.count * sizeof(*used));
	if (IS_ERR(used))
		return PTR_ERR(used);

	ret = uvdev_vq_lock_ready(uq);
	if (ret)
		goto out_free;
	now = ktime_get_ns();
	for (i = 0; i < req.count; i++) {
		struct vring_used_elem *slot;
		struct uvdev_inflight *inf;
		u32 head = used[i].head;

		if (head >= uq->num) {
			ret = -ENOENT;
			break;
		}
		head = array_index_nospec(head, uq->num);
		inf = &uq->inflight[head];
		if (!inf->in_use) {
			ret = -ENOENT;
			break;
		}
		if (used[i].len > inf->in_bytes) {
			ret = -ERANGE;
			break;
		}
		slot = &uq->vring->used->ring[uq->used_idx % uq->num];
		WRITE_ONCE(slot->id, cpu_to_virtio32(&udev->vdev, head));
		WRITE_ONCE(slot->len, cpu_to_virtio32(&udev->vdev, used[i].len));
		uq->used_idx++;
		inf->in_use = false;
		uq->ninflight--;
		trace_uvdev_vq_push(udev->id, uq->index, head, used[i].len,
				    now - inf->pop_ns);
	}
	if (i) {
		/* The entries must be visible before the index that covers them. */
		smp_wmb();
		WRITE_ONCE(uq->vring->used->idx,
			   cpu_to_virtio16(&udev->vdev, uq->used_idx));
		if (req.flags & UVDEV_PUSH_F_IRQ)
			uvdev_vq_inject_irq(uq);
	}
	mutex_unlock(&uq->lock);
	uvdev_debug_push_delay(i);
	if (i)
		ret = i;
out_free:
	kfree(used);
	return ret;
}

/*
 * The device is broken: complete every chain the driver has made available
 * (popped or not) so no request waits for a backend that will not answer.
 * Block requests get VIRTIO_BLK_S_IOERR in their status byte; others come
 * back with nothing written.
 */
void uvdev_vq_fail_all(struct uvdev_vq *uq)
{
	bool blk = uq->udev->device_id == VIRTIO_ID_BLOCK;
	struct virtio_device *vdev = &uq->udev->vdev;
	u32 pushed = 0;
	u32 head;

	mutex_lock(&uq->lock);
	if (!uq->ready) {
		mutex_unlock(&uq->lock);
		return;
	}
	/* Everything available becomes in flight, then all of it is pushed. */
	for (;;) {
		struct uvdev_vq_elem elem;

		if (uvdev_vq_pop_one(uq, &elem) <= 0)
			break;
	}
	for (head = 0; head < uq->num; head++) {
		struct uvdev_inflight *inf = &uq->inflight[head];
		struct vring_used_elem *slot;
		u32 len = 0;

		if (!inf->in_use)
			continue;
		if (blk && inf->in_bytes) {
			u8 status = VIRTIO_BLK_S_IOERR;
			struct iov_iter iter;
			struct kvec kv = { .iov_base = &status, .iov_len = 1 };

			iov_iter_kvec(&iter, WRITE, &kv, 1, 1);
			if (!uvdev_chain_copy(uq, head, true, inf->in_bytes - 1,
					      1, &iter))
				len = 1;
		}
		slot = &uq->vring->used->ring[uq->used_idx % uq->num];
		WRITE_ONCE(slot->id, cpu_to_virtio32(vdev, head));
		WRITE_ONCE(slot->len, cpu_to_virtio32(vdev, len));
		uq->used_idx++;
		inf->in_use = false;
		uq->ninflight--;
		pushed++;
	}
	uq->nresubmit = 0;
	if (pushed) {
		/* Entries before the index, as in a normal push. */
		smp_wmb();
		WRITE_ONCE(uq->vring->used->idx, cpu_to_virtio16(vdev, uq->used_idx));
		atomic64_cmpxchg(&uq->irq_inject_ns, 0, ktime_get_ns());
		uvdev_vq_deliver_irq(uq, uq->vq);
	}
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
		uvdev_vq_inject_irq(uq);
		mutex_unlock(&uq->lock);
		return 0;
	}
	default:
		return -ENOTTY;
	}
}
