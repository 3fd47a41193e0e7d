// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev: descriptor chains, read from the device side.
 *
 * The driver's split rings live in kernel memory (no DMA API: descriptors
 * hold physical addresses). A chain is walked descriptor by descriptor,
 * following at most one indirect table, and every step is checked: indexes
 * inside the ring or table, no loops (a chain has at most as many
 * descriptors as its ring or table), no nested tables, no out-segment after
 * an in-segment. Callers hold the queue's lock, so the chain stays in
 * flight while it is read or written.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/uio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "uvdev.h"

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
int uvdev_chain_measure(struct uvdev_vq *uq, u16 head,
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
int uvdev_chain_copy(struct uvdev_vq *uq, u16 head, bool in, u32 offset,
		     u32 len, struct iov_iter *iter)
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

/*
 * Call @fn for each descriptor's part of @len bytes at @offset of the
 * chain's in-bytes (@in) or out-bytes: its physical address, its length and
 * its position in those bytes. The caller has checked the range against the
 * chain. Returns 0, @fn's error, or -EIO for a malformed chain.
 */
int uvdev_chain_pieces(struct uvdev_vq *uq, u16 head, bool in, u32 offset,
		       u32 len, int (*fn)(void *ctx, u64 addr, u32 len, u32 pos),
		       void *ctx)
{
	struct uvdev_chain_iter it;
	struct uvdev_seg seg;
	u32 pos = offset;
	int ret = 0;

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
		ret = fn(ctx, seg.addr + offset, n, pos);
		if (ret)
			return ret;
		pos += n;
		offset = 0;
		len -= n;
	}
	if (!len)
		return 0;
	return ret < 0 ? ret : -ERANGE;
}
