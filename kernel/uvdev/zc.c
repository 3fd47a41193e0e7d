// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev: zero copy, chains' pages shown in the backend's window.
 *
 * The window is an mmap of the device fd: VM_PFNMAP | VM_IO (no struct page
 * behind it as far as the mm is concerned, so get_user_pages() fails and
 * nobody takes a reference through it), VM_DONTCOPY (fork leaves it
 * behind; VM_IO keeps MADV_DOFORK off), VM_DONTEXPAND, and refuses to be
 * split or moved. Its pages are slots filled at map time and inserted one
 * at a time by the fault handler: a chain's own page when its descriptor
 * covers whole pages, read-only for out-bytes, or a zeroed bounce page of
 * ours for anything else.
 *
 * Locking: zc->sem orders the slot table against faults. A fault holds it
 * (read) from looking a slot up until its pte is in; whoever empties a
 * slot holds it (write) while it unmaps the range, which flushes the TLB,
 * and drops the page's reference only then. So no pte outlives its slot
 * and no page is freed while mapped. Order: uq->lock, then zc->sem; the
 * mm's lock, then zc->sem (faults). Nothing under zc->sem takes either.
 *
 * A chain's mapping is retired at push (or failure, or reset): bounced
 * in-bytes are copied back, and the ranges of a whole push are unmapped at
 * once, before the used index that shows the driver the completions. The
 * id then waits in a completion record until the backend reaps it, which
 * frees its window pages (MSG_ZEROCOPY's buffer release).
 */
#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "uvdev.h"
#include "trace.h"

/*
 * Test only: lets the VM tests run the 32-bit id counter across its wrap
 * without four billion maps. Production has no use for it.
 */
static unsigned int zc_first_id;
module_param(zc_first_id, uint, 0644);
MODULE_PARM_DESC(zc_first_id,
		 "Test only: first zero-copy id of devices created from now on, to test the 32-bit wrap (default 0)");

#define UVDEV_ZC_WRITE	BIT(0)	/* in-bytes: mapped writable */
#define UVDEV_ZC_BOUNCE	BIT(1)	/* a page of ours, not the chain's */

/* One window page. */
struct uvdev_zc_slot {
	struct page *page;	/* what the page shows; NULL: it faults */
	u32 pos;		/* bounced in-page: in-byte offset of its data */
	u32 len;		/* bounced in-page: its bytes */
	u32 flags;		/* UVDEV_ZC_* */
};

/* One zero-copy id: a mapped chain, then a completion not reaped yet. */
struct uvdev_zc_ent {
	struct list_head node;	/* in a push batch, then in its record */
	u32 id;
	u32 queue;
	u16 head;
	u32 first;		/* window pages [first, first + npages) */
	u32 npages;
	u32 mapped;
	u32 copied;
};

/* A completion notification: consecutive ids of one queue. */
struct uvdev_zc_rec {
	u32 lo;
	u32 hi;
	u32 queue;
	u32 flags;		/* UVDEV_ZC_COPIED */
	u32 pages;
	u64 push_ns;		/* the first push among its ids */
	struct list_head ents;
};

struct uvdev_zc {
	/*
	 * One reaper at a time, held across its copy to user space: the
	 * records it copied out are the ones it then takes.
	 */
	struct mutex reap_lock;
	struct rw_semaphore sem;	/* everything below */
	struct address_space *mapping;	/* the backend's file, once mmapped */
	u32 npages;
	u32 nfree;
	u32 hint;			/* where the next search starts */
	u32 next_id;
	u32 mapped_ids;
	unsigned long *busy;		/* [npages]: reserved by an id */
	struct uvdev_zc_slot *slots;	/* [npages] */
	/* Records, a ring: at most one per id, so at most npages. */
	struct uvdev_zc_rec *recs;
	u32 rec_first;
	u32 nrecs;
	/* The last window mapped: compared, never dereferenced unchecked. */
	struct mm_struct *win_mm;
	unsigned long win_start;
	u64 maps;
	u64 mapped_pages;
	u64 copied_pages;
	u64 refused;
	u64 page_refs;
};

int uvdev_zc_alloc(struct uvdev_device *udev, u32 window_pages)
{
	struct uvdev_zc *zc;

	if (!window_pages)
		return 0;
	zc = kzalloc(sizeof(*zc), GFP_KERNEL);
	if (!zc)
		return -ENOMEM;
	mutex_init(&zc->reap_lock);
	init_rwsem(&zc->sem);
	zc->npages = window_pages;
	zc->nfree = window_pages;
	zc->next_id = READ_ONCE(zc_first_id);
	zc->busy = bitmap_zalloc(window_pages, GFP_KERNEL);
	zc->slots = kvcalloc(window_pages, sizeof(*zc->slots), GFP_KERNEL);
	zc->recs = kvcalloc(window_pages, sizeof(*zc->recs), GFP_KERNEL);
	udev->zc = zc;
	if (!zc->busy || !zc->slots || !zc->recs) {
		uvdev_zc_free(udev);
		return -ENOMEM;
	}
	return 0;
}

static void uvdev_zc_put_slot(struct uvdev_zc *zc, struct uvdev_zc_slot *s)
{
	if (s->page) {
		if (!(s->flags & UVDEV_ZC_BOUNCE))
			zc->page_refs--;
		put_page(s->page);
	}
	memset(s, 0, sizeof(*s));
}

static void uvdev_zc_release_ent(struct uvdev_zc *zc, struct uvdev_zc_ent *ent)
{
	bitmap_clear(zc->busy, ent->first, ent->npages);
	zc->nfree += ent->npages;
	kfree(ent);
}

/* Forget every completion record. Under zc->sem (write). */
static void uvdev_zc_drop_records(struct uvdev_zc *zc)
{
	struct uvdev_zc_ent *ent, *tmp;

	for (; zc->nrecs; zc->nrecs--) {
		struct uvdev_zc_rec *r = &zc->recs[zc->rec_first];

		list_for_each_entry_safe(ent, tmp, &r->ents, node)
			uvdev_zc_release_ent(zc, ent);
		zc->rec_first = (zc->rec_first + 1) % zc->npages;
	}
}

/* The device's memory goes: every chain is retired by now. */
void uvdev_zc_free(struct uvdev_device *udev)
{
	struct uvdev_zc *zc = udev->zc;
	u32 i;

	if (!zc)
		return;
	if (zc->recs)
		uvdev_zc_drop_records(zc);
	for (i = 0; zc->slots && i < zc->npages; i++)
		if (WARN_ON_ONCE(zc->slots[i].page))
			uvdev_zc_put_slot(zc, &zc->slots[i]);
	kvfree(zc->recs);
	kvfree(zc->slots);
	bitmap_free(zc->busy);
	mutex_destroy(&zc->reap_lock);
	kfree(zc);
	udev->zc = NULL;
}

/* ---- the window --------------------------------------------------------- */

static vm_fault_t uvdev_zc_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct uvdev_device *udev = vma->vm_private_data;
	struct uvdev_zc *zc = udev->zc;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	vm_fault_t ret = VM_FAULT_SIGSEGV;
	struct uvdev_zc_slot *s;

	down_read(&zc->sem);
	if (vmf->pgoff < zc->npages) {
		s = &zc->slots[array_index_nospec(vmf->pgoff, zc->npages)];
		if (s->page && (!write || (s->flags & UVDEV_ZC_WRITE))) {
			unsigned long flags = vma->vm_flags;

			if (!(s->flags & UVDEV_ZC_WRITE))
				flags &= ~VM_WRITE;
			ret = vmf_insert_pfn_prot(vma, vmf->address,
						  page_to_pfn(s->page),
						  vm_get_page_prot(flags));
		}
	}
	up_read(&zc->sem);
	return ret;
}

/*
 * A write to a page mapped read-only: allowed for in-bytes only (their
 * ptes are inserted writable; this is for one write-protected since).
 */
static vm_fault_t uvdev_zc_pfn_mkwrite(struct vm_fault *vmf)
{
	struct uvdev_device *udev = vmf->vma->vm_private_data;
	struct uvdev_zc *zc = udev->zc;
	vm_fault_t ret = VM_FAULT_SIGSEGV;
	struct uvdev_zc_slot *s;

	down_read(&zc->sem);
	if (vmf->pgoff < zc->npages) {
		s = &zc->slots[array_index_nospec(vmf->pgoff, zc->npages)];
		if (s->page && (s->flags & UVDEV_ZC_WRITE))
			ret = 0;
	}
	up_read(&zc->sem);
	return ret;
}

static int uvdev_zc_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static int uvdev_zc_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static void uvdev_zc_close(struct vm_area_struct *vma)
{
	struct uvdev_device *udev = vma->vm_private_data;
	struct uvdev_zc *zc = udev->zc;

	down_write(&zc->sem);
	if (zc->win_mm == vma->vm_mm && zc->win_start == vma->vm_start)
		zc->win_mm = NULL;
	up_write(&zc->sem);
}

static const struct vm_operations_struct uvdev_zc_vm_ops = {
	.fault = uvdev_zc_fault,
	.pfn_mkwrite = uvdev_zc_pfn_mkwrite,
	.may_split = uvdev_zc_may_split,
	.mremap = uvdev_zc_mremap,
	.close = uvdev_zc_close,
};

int uvdev_zc_mmap(struct uvdev_device *udev, struct file *file,
		  struct vm_area_struct *vma)
{
	struct uvdev_zc *zc = udev->zc;

	if (!zc)
		return -ENODEV;
	if (vma->vm_pgoff || vma_pages(vma) > zc->npages ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTCOPY | VM_DONTEXPAND |
			 VM_DONTDUMP;
	vma->vm_flags &= ~VM_MAYEXEC;
	vma->vm_ops = &uvdev_zc_vm_ops;
	vma->vm_private_data = udev;
	down_write(&zc->sem);
	zc->mapping = file->f_mapping;
	zc->win_mm = vma->vm_mm;
	zc->win_start = vma->vm_start;
	up_write(&zc->sem);
	return 0;
}

struct uvdev_zc_prefault {
	struct uvdev_zc *zc;
	struct mm_struct *mm;
	unsigned long start;		/* the window's first address */
	pgprot_t rw;
	pgprot_t ro;
};

/* Under the pte lock and zc->sem (read): what a fault would insert. */
static int uvdev_zc_set_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct uvdev_zc_prefault *p = data;
	struct uvdev_zc_slot *s = &p->zc->slots[(addr - p->start) >> PAGE_SHIFT];

	if (!pte_none(*pte) || !s->page)
		return 0;
	set_pte_at(p->mm, addr, pte,
		   pte_mkspecial(pfn_pte(page_to_pfn(s->page),
					 s->flags & UVDEV_ZC_WRITE ? p->rw : p->ro)));
	return 0;
}

/**
 * uvdev_zc_prefault - fault in window pages [@first, @first + @npages)
 * @udev: the device
 * @first: first window page
 * @npages: how many
 *
 * A chain just mapped is about to be read or written whole: inserting its
 * ptes at once saves a fault per page. Exactly what the fault handler
 * would do (under the same locks, special ptes, read-only for out-bytes),
 * for the caller's own window, if it has one mapped. Takes no uq->lock.
 */
void uvdev_zc_prefault(struct uvdev_device *udev, u32 first, u32 npages)
{
	struct mm_struct *mm = current->mm;
	struct uvdev_zc *zc = udev->zc;
	struct vm_area_struct *vma;
	struct uvdev_zc_prefault p;

	if (!mm)
		return;
	mmap_read_lock(mm);
	down_read(&zc->sem);
	if (zc->win_mm != mm)
		goto out;
	vma = vma_lookup(mm, zc->win_start);
	if (!vma || vma->vm_ops != &uvdev_zc_vm_ops ||
	    vma->vm_private_data != udev || vma->vm_pgoff ||
	    !(vma->vm_flags & VM_READ) || (u64)first + npages > vma_pages(vma))
		goto out;
	p = (struct uvdev_zc_prefault) {
		.zc = zc,
		.mm = mm,
		.start = vma->vm_start,
		.rw = vm_get_page_prot(vma->vm_flags),
		.ro = vm_get_page_prot(vma->vm_flags & ~VM_WRITE),
	};
	apply_to_page_range(mm, vma->vm_start + ((unsigned long)first << PAGE_SHIFT),
			    (unsigned long)npages << PAGE_SHIFT, uvdev_zc_set_pte, &p);
out:
	up_read(&zc->sem);
	mmap_read_unlock(mm);
}

/* Unmap window pages [first, last) and flush the TLB. Under zc->sem. */
static void uvdev_zc_unmap(struct uvdev_zc *zc, u32 first, u32 last)
{
	if (zc->mapping && first < last)
		unmap_mapping_range(zc->mapping, (loff_t)first << PAGE_SHIFT,
				    (loff_t)(last - first) << PAGE_SHIFT, 1);
}

/* ---- map ---------------------------------------------------------------- */

struct uvdev_zc_plan {
	struct uvdev_zc *zc;
	struct uvdev_zc_seg *segs;	/* NULL while counting */
	u32 max_segs;
	u32 max_pages;			/* reserved, when filling */
	u32 nsegs;
	u32 first;			/* window page of the first segment */
	u32 npages;			/* pages counted or filled so far */
	u32 mapped;
	u32 copied;
	bool in;
};

static int uvdev_zc_count(void *ctx, u64 addr, u32 len, u32 pos)
{
	struct uvdev_zc_plan *p = ctx;

	if (++p->nsegs > p->max_segs)
		return -E2BIG;
	if (p->npages + DIV_ROUND_UP(len, PAGE_SIZE) > p->zc->npages)
		return -ENOBUFS;
	p->npages += DIV_ROUND_UP(len, PAGE_SIZE);
	return 0;
}

/* A reference to the page at @pfn if it may be shown whole, else NULL. */
static struct page *uvdev_zc_get_page(unsigned long pfn)
{
	struct page *page;

	if (!pfn_valid(pfn))
		return NULL;
	page = pfn_to_page(pfn);
	if (PageSlab(page) || PageReserved(page) || is_zone_device_page(page))
		return NULL;
	if (!get_page_unless_zero(page))
		return NULL;
	return page;
}

/* Fill the slots of one piece of the chain. Under zc->sem (write). */
static int uvdev_zc_fill(void *ctx, u64 addr, u32 len, u32 pos)
{
	struct uvdev_zc_plan *p = ctx;
	struct uvdev_zc *zc = p->zc;
	bool whole = PAGE_ALIGNED(addr) && PAGE_ALIGNED(len);
	struct uvdev_zc_seg *seg;
	u32 done, n;
	int ret;

	/* The chain as counted: the driver does not touch it in flight. */
	if (p->nsegs == p->max_segs ||
	    p->npages + DIV_ROUND_UP(len, PAGE_SIZE) > p->max_pages)
		return -EIO;
	seg = &p->segs[p->nsegs++];
	seg->offset = (u64)(p->first + p->npages) << PAGE_SHIFT;
	seg->len = len;
	seg->flags = p->in ? UVDEV_ZC_SEG_IN : 0;
	for (done = 0; done < len; done += n) {
		struct uvdev_zc_slot *s = &zc->slots[p->first + p->npages];
		struct page *page = NULL;

		n = min_t(u32, len - done, PAGE_SIZE);
		if (whole)
			page = uvdev_zc_get_page(PHYS_PFN(addr + done));
		if (page) {
			s->page = page;
			s->flags = p->in ? UVDEV_ZC_WRITE : 0;
			zc->page_refs++;
			p->mapped++;
			p->npages++;
			continue;
		}
		page = alloc_page(GFP_NOIO | __GFP_ZERO);
		if (!page)
			return -ENOMEM;
		s->page = page;
		s->flags = UVDEV_ZC_BOUNCE | (p->in ? UVDEV_ZC_WRITE : 0);
		p->npages++;
		p->copied++;
		seg->flags |= UVDEV_ZC_SEG_COPIED;
		if (p->in) {
			s->pos = pos + done;
			s->len = n;
		} else {
			ret = uvdev_phys_kernel(addr + done, page_address(page), n, true);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int uvdev_zc_walk(struct uvdev_vq *uq, u16 head,
			 const struct uvdev_zc_map *req,
			 int (*fn)(void *ctx, u64 addr, u32 len, u32 pos),
			 struct uvdev_zc_plan *p)
{
	int ret = 0;

	p->in = false;
	if (req->out_len)
		ret = uvdev_chain_pieces(uq, head, false, req->out_offset,
					 req->out_len, fn, p);
	if (ret)
		return ret;
	p->in = true;
	if (req->in_len)
		ret = uvdev_chain_pieces(uq, head, true, req->in_offset,
					 req->in_len, fn, p);
	return ret;
}

/* @n free window pages in a row, reserved; or U32_MAX. Under zc->sem. */
static u32 uvdev_zc_reserve(struct uvdev_zc *zc, u32 n)
{
	unsigned long first;

	if (n > zc->nfree)
		return U32_MAX;
	first = bitmap_find_next_zero_area(zc->busy, zc->npages, zc->hint, n, 0);
	if (first >= zc->npages)
		first = bitmap_find_next_zero_area(zc->busy, zc->npages, 0, n, 0);
	if (first >= zc->npages)
		return U32_MAX;
	bitmap_set(zc->busy, first, n);
	zc->nfree -= n;
	zc->hint = (first + n) % zc->npages;
	return first;
}

/**
 * uvdev_zc_map - show a popped chain's byte ranges in the window
 * @uq: its queue, locked
 * @inf: the chain, in flight
 * @head: its head
 * @req: the ranges; its output fields are filled
 * @segs: room for @req->max_segs segments
 *
 * Return: 0, or -errno as UVDEV_IOC_ZC_MAP documents.
 */
int uvdev_zc_map(struct uvdev_vq *uq, struct uvdev_inflight *inf, u16 head,
		 struct uvdev_zc_map *req, struct uvdev_zc_seg *segs)
{
	struct uvdev_device *udev = uq->udev;
	struct uvdev_zc *zc = udev->zc;
	struct uvdev_zc_plan p = { .zc = zc, .max_segs = req->max_segs };
	struct uvdev_zc_ent *ent;
	u32 i;
	int ret;

	lockdep_assert_held(&uq->lock);
	if (inf->zc)
		return -EBUSY;
	if ((u64)req->out_offset + req->out_len > inf->out_bytes ||
	    (u64)req->in_offset + req->in_len > inf->in_bytes)
		return -ERANGE;
	ret = uvdev_zc_walk(uq, head, req, uvdev_zc_count, &p);
	if (ret && ret != -ENOBUFS)
		return ret;
	ent = kzalloc(sizeof(*ent), GFP_NOIO);
	if (!ent)
		return -ENOMEM;

	down_write(&zc->sem);
	p.first = ret ? U32_MAX : uvdev_zc_reserve(zc, p.npages);
	if (p.first == U32_MAX) {
		zc->refused++;
		up_write(&zc->sem);
		kfree(ent);
		trace_uvdev_zc_map(udev->id, uq->index, head, 0, 0,
				   DIV_ROUND_UP(req->out_len, PAGE_SIZE) +
				   DIV_ROUND_UP(req->in_len, PAGE_SIZE),
				   UVDEV_TRACE_ZC_WINDOW_FULL, uq->slot,
				   udev->serial);
		return -ENOBUFS;
	}
	ent->first = p.first;
	ent->npages = p.npages;
	p.max_pages = p.npages;
	p.segs = segs;
	p.nsegs = 0;
	p.npages = 0;
	ret = uvdev_zc_walk(uq, head, req, uvdev_zc_fill, &p);
	if (ret) {
		for (i = 0; i < ent->npages; i++)
			uvdev_zc_put_slot(zc, &zc->slots[ent->first + i]);
		uvdev_zc_release_ent(zc, ent);
		up_write(&zc->sem);
		return ret;
	}
	ent->id = zc->next_id++;
	ent->queue = uq->index;
	ent->head = head;
	ent->mapped = p.mapped;
	ent->copied = p.copied;
	zc->mapped_ids++;
	zc->maps++;
	zc->mapped_pages += p.mapped;
	zc->copied_pages += p.copied;
	up_write(&zc->sem);

	inf->zc = ent;
	req->id = ent->id;
	req->nsegs = p.nsegs;
	req->mapped_pages = p.mapped;
	req->copied_pages = p.copied;
	trace_uvdev_zc_map(udev->id, uq->index, head, ent->id, p.mapped,
			   p.copied, UVDEV_TRACE_ZC_MAPPED, uq->slot,
			   udev->serial);
	return 0;
}

/* ---- retire and complete ------------------------------------------------ */

/*
 * The chain of @inf completes (@used_len bytes written to its in-bytes;
 * 0 when it fails or is dropped): copy its bounced in-bytes back and add
 * it to @b, whose end unmaps it. Under uq->lock, which keeps the chain's
 * slots ours.
 */
void uvdev_zc_retire(struct uvdev_vq *uq, struct uvdev_inflight *inf,
		     u32 used_len, struct uvdev_zc_batch *b)
{
	struct uvdev_zc_ent *ent = inf->zc;
	struct uvdev_zc *zc = uq->udev->zc;
	u32 i;

	lockdep_assert_held(&uq->lock);
	inf->zc = NULL;
	for (i = 0; ent->copied && i < ent->npages; i++) {
		struct uvdev_zc_slot *s = &zc->slots[ent->first + i];
		struct kvec kv;
		struct iov_iter iter;
		u32 n;

		if ((s->flags & (UVDEV_ZC_BOUNCE | UVDEV_ZC_WRITE)) !=
		    (UVDEV_ZC_BOUNCE | UVDEV_ZC_WRITE) || s->pos >= used_len)
			continue;
		n = min(s->len, used_len - s->pos);
		kv.iov_base = page_address(s->page);
		kv.iov_len = n;
		iov_iter_kvec(&iter, WRITE, &kv, 1, n);
		/* The chain was walked at map time: this cannot fail. */
		WARN_ON_ONCE(uvdev_chain_copy(uq, ent->head, true, s->pos, n,
					      &iter));
	}
	list_add_tail(&ent->node, &b->ents);
	b->first = min(b->first, ent->first);
	b->last = max(b->last, ent->first + ent->npages);
}

/* Queue @ent's completion, joining the last record if it follows it. */
static void uvdev_zc_add_completion(struct uvdev_zc *zc,
				    struct uvdev_zc_ent *ent, u64 now)
{
	u32 flags = ent->copied ? UVDEV_ZC_COPIED : 0;
	struct uvdev_zc_rec *r;

	if (zc->nrecs) {
		r = &zc->recs[(zc->rec_first + zc->nrecs - 1) % zc->npages];
		if (r->queue == ent->queue && r->flags == flags &&
		    r->hi + 1 == ent->id) {
			r->hi = ent->id;
			r->pages += ent->npages;
			list_add_tail(&ent->node, &r->ents);
			return;
		}
	}
	/* One record per id at most, and each id holds a window page. */
	if (WARN_ON_ONCE(zc->nrecs == zc->npages)) {
		uvdev_zc_release_ent(zc, ent);
		return;
	}
	r = &zc->recs[(zc->rec_first + zc->nrecs) % zc->npages];
	zc->nrecs++;
	r->lo = ent->id;
	r->hi = ent->id;
	r->queue = ent->queue;
	r->flags = flags;
	r->pages = ent->npages;
	r->push_ns = now;
	INIT_LIST_HEAD(&r->ents);
	list_add_tail(&ent->node, &r->ents);
}

/*
 * Unmap what @b retired (one TLB flush for the batch), then drop the page
 * references, and queue a completion for each id (@complete) or forget it.
 * Before the driver can see the completions.
 */
void uvdev_zc_batch_flush(struct uvdev_device *udev, struct uvdev_zc_batch *b,
			  u64 now, bool complete)
{
	struct uvdev_zc *zc = udev->zc;
	struct uvdev_zc_ent *ent, *tmp;
	u32 i;

	down_write(&zc->sem);
	uvdev_zc_unmap(zc, b->first, b->last);
	list_for_each_entry_safe(ent, tmp, &b->ents, node) {
		list_del(&ent->node);
		for (i = 0; i < ent->npages; i++)
			uvdev_zc_put_slot(zc, &zc->slots[ent->first + i]);
		zc->mapped_ids--;
		if (complete)
			uvdev_zc_add_completion(zc, ent, now);
		else
			uvdev_zc_release_ent(zc, ent);
	}
	up_write(&zc->sem);
	uvdev_zc_batch_init(b);
}

/* The queue forgets its chains (reset, teardown). Under uq->lock. */
void uvdev_zc_forget_queue(struct uvdev_vq *uq, bool complete)
{
	struct uvdev_zc_batch b;
	u32 head;

	lockdep_assert_held(&uq->lock);
	if (!uq->udev->zc || !uq->inflight)
		return;
	uvdev_zc_batch_init(&b);
	for (head = 0; head < uq->num; head++)
		if (uq->inflight[head].zc)
			uvdev_zc_retire(uq, &uq->inflight[head], 0, &b);
	uvdev_zc_batch_end(uq->udev, &b, ktime_get_ns(), complete);
}

/*
 * The backend's fd is closed (its queues have retired their chains): its
 * ids are forgotten and the window is free for the next backend.
 */
void uvdev_zc_backend_gone(struct uvdev_device *udev)
{
	struct uvdev_zc *zc = udev->zc;

	if (!zc)
		return;
	down_write(&zc->sem);
	uvdev_zc_drop_records(zc);
	zc->mapping = NULL;
	up_write(&zc->sem);
}

/* ---- reap and info ------------------------------------------------------ */

/*
 * Nothing is taken before the backend has it: the records are copied out
 * first, and a copy that faults leaves every one of them pending.
 */
static long uvdev_zc_reap(struct uvdev_device *udev,
			  struct uvdev_zc_reap __user *argp)
{
	struct uvdev_zc_completion *out;
	struct uvdev_zc *zc = udev->zc;
	struct uvdev_zc_ent *ent, *tmp;
	struct uvdev_zc_reap req;
	u32 i, n = 0;
	long ret;
	u64 now;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved || !req.max || req.max > UVDEV_MAX_BATCH)
		return -EINVAL;
	out = kmalloc_array(req.max, sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;

	mutex_lock(&zc->reap_lock);
	down_read(&zc->sem);
	for (; n < req.max && n < zc->nrecs; n++) {
		struct uvdev_zc_rec *r;

		r = &zc->recs[(zc->rec_first + n) % zc->npages];
		out[n] = (struct uvdev_zc_completion) {
			.lo = r->lo, .hi = r->hi, .queue = r->queue,
			.flags = r->flags,
		};
	}
	up_read(&zc->sem);
	ret = -EAGAIN;
	if (!n)
		goto out_unlock;
	/* No lock the window's fault handler takes is held here. */
	ret = -EFAULT;
	if (copy_to_user(u64_to_user_ptr(req.recs), out, n * sizeof(*out)))
		goto out_unlock;

	/*
	 * Only a reaper takes records while the backend's fd is open, so the
	 * first @n are still the ones copied out.
	 */
	now = ktime_get_ns();
	down_write(&zc->sem);
	for (i = 0; i < n && zc->nrecs; i++) {
		struct uvdev_zc_rec *r = &zc->recs[zc->rec_first];
		struct uvdev_vq *uq = &udev->vqs[r->queue];

		list_for_each_entry_safe(ent, tmp, &r->ents, node)
			uvdev_zc_release_ent(zc, ent);
		trace_uvdev_zc_complete(udev->id, r->queue, r->lo, r->hi,
					r->pages, !!(r->flags & UVDEV_ZC_COPIED),
					now > r->push_ns ? now - r->push_ns : 0,
					uq->slot, udev->serial);
		zc->rec_first = (zc->rec_first + 1) % zc->npages;
		zc->nrecs--;
	}
	up_write(&zc->sem);
	ret = n;
out_unlock:
	mutex_unlock(&zc->reap_lock);
	kfree(out);
	return ret;
}

static long uvdev_zc_info(struct uvdev_device *udev,
			  struct uvdev_zc_info __user *argp)
{
	struct uvdev_zc *zc = udev->zc;
	struct uvdev_zc_info info;

	memset(&info, 0, sizeof(info));
	down_read(&zc->sem);
	info.window_pages = zc->npages;
	info.free_pages = zc->nfree;
	info.mapped_ids = zc->mapped_ids;
	info.pending = zc->nrecs;
	info.next_id = zc->next_id;
	info.maps = zc->maps;
	info.mapped_pages = zc->mapped_pages;
	info.copied_pages = zc->copied_pages;
	info.refused = zc->refused;
	info.page_refs = zc->page_refs;
	up_read(&zc->sem);
	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

long uvdev_zc_ioctl(struct uvdev_device *udev, unsigned int cmd,
		    void __user *argp)
{
	if (!udev->zc)
		return -EOPNOTSUPP;
	switch (cmd) {
	case UVDEV_IOC_ZC_REAP:
		return uvdev_zc_reap(udev, argp);
	case UVDEV_IOC_ZC_INFO:
		return uvdev_zc_info(udev, argp);
	default:
		return -ENOTTY;
	}
}
