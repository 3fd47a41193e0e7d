/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uvdev tracepoints (trace system "uvdev").
 *
 * One event class per event shape. Every event carries the device's stable
 * id as "dev" and, where it has one, the queue index; names travel only in
 * lifecycle events. Arguments are scalars (and the name string), so BPF
 * programs read them straight from the raw tracepoint context without the
 * module's types. Times are ktime_get_ns() differences; the enums are in
 * uapi/uvdev_trace.h.
 *
 * Queue events (kick, pop, push, IRQ inject and deliver) also carry the
 * queue's "slot" among all devices' queues (below the module's max_queues)
 * and its device's "serial" (never reused), so a monitor can keep per-queue
 * counters in an array indexed by slot instead of a hash: see
 * struct uvdev_queue_state in uapi/uvdev.h. Config interrupts have slot
 * UVDEV_TRACE_SLOT_NONE.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM uvdev

#if !defined(_UVDEV_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _UVDEV_TRACE_H

#include <linux/tracepoint.h>
#include <uapi/uvdev_trace.h>

/* ---- lifecycle ---------------------------------------------------------- */

DECLARE_EVENT_CLASS(uvdev_dev_lifecycle,
	TP_PROTO(u32 dev, const char *name, u32 device_id, u32 num_queues,
		 u32 max_queue_size),
	TP_ARGS(dev, name, device_id, num_queues, max_queue_size),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, device_id)
		__field(u32, num_queues)
		__field(u32, max_queue_size)
		__string(name, name)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->device_id = device_id;
		__entry->num_queues = num_queues;
		__entry->max_queue_size = max_queue_size;
		__assign_str(name, name);
	),
	TP_printk("dev=%u name=%s device_id=%u queues=%u max_queue_size=%u",
		  __entry->dev, __get_str(name), __entry->device_id,
		  __entry->num_queues, __entry->max_queue_size)
);

DEFINE_EVENT(uvdev_dev_lifecycle, uvdev_dev_create,
	TP_PROTO(u32 dev, const char *name, u32 device_id, u32 num_queues,
		 u32 max_queue_size),
	TP_ARGS(dev, name, device_id, num_queues, max_queue_size)
);

DEFINE_EVENT(uvdev_dev_lifecycle, uvdev_dev_destroy,
	TP_PROTO(u32 dev, const char *name, u32 device_id, u32 num_queues,
		 u32 max_queue_size),
	TP_ARGS(dev, name, device_id, num_queues, max_queue_size)
);

DECLARE_EVENT_CLASS(uvdev_status_change,
	TP_PROTO(u32 dev, u32 old_status, u32 new_status),
	TP_ARGS(dev, old_status, new_status),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, old_status)
		__field(u32, new_status)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->old_status = old_status;
		__entry->new_status = new_status;
	),
	TP_printk("dev=%u status=0x%x->0x%x", __entry->dev,
		  __entry->old_status, __entry->new_status)
);

DEFINE_EVENT(uvdev_status_change, uvdev_status,
	TP_PROTO(u32 dev, u32 old_status, u32 new_status),
	TP_ARGS(dev, old_status, new_status)
);

/* The device broke, for good; reason: enum uvdev_trace_broken_reason. */
DECLARE_EVENT_CLASS(uvdev_dev_fault,
	TP_PROTO(u32 dev, u32 reason),
	TP_ARGS(dev, reason),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, reason)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->reason = reason;
	),
	TP_printk("dev=%u reason=%s", __entry->dev,
		  __print_symbolic(__entry->reason,
				   { UVDEV_TRACE_BROKEN_MSG_TIMEOUT, "msg_timeout" },
				   { UVDEV_TRACE_BROKEN_MALFORMED, "malformed_chain" },
				   { UVDEV_TRACE_BROKEN_DRIVER_TIMEOUT, "driver_timeout" },
				   { UVDEV_TRACE_BROKEN_NO_BACKEND, "no_backend" }))
);

DEFINE_EVENT(uvdev_dev_fault, uvdev_dev_broken,
	TP_PROTO(u32 dev, u32 reason),
	TP_ARGS(dev, reason)
);

DECLARE_EVENT_CLASS(uvdev_queue_state,
	TP_PROTO(u32 dev, u32 queue, u32 size, u32 ready),
	TP_ARGS(dev, queue, size, ready),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, queue)
		__field(u32, size)
		__field(u32, ready)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->queue = queue;
		__entry->size = size;
		__entry->ready = ready;
	),
	TP_printk("dev=%u queue=%u size=%u ready=%u", __entry->dev,
		  __entry->queue, __entry->size, __entry->ready)
);

DEFINE_EVENT(uvdev_queue_state, uvdev_vq_setup,
	TP_PROTO(u32 dev, u32 queue, u32 size, u32 ready),
	TP_ARGS(dev, queue, size, ready)
);

/* ---- message sync ------------------------------------------------------- */

DECLARE_EVENT_CLASS(uvdev_msg_start,
	TP_PROTO(u32 dev, u32 id, u32 type),
	TP_ARGS(dev, id, type),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, id)
		__field(u32, type)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->id = id;
		__entry->type = type;
	),
	TP_printk("dev=%u id=%u type=%u", __entry->dev, __entry->id,
		  __entry->type)
);

DEFINE_EVENT(uvdev_msg_start, uvdev_msg_send,
	TP_PROTO(u32 dev, u32 id, u32 type),
	TP_ARGS(dev, id, type)
);

DECLARE_EVENT_CLASS(uvdev_msg_end,
	TP_PROTO(u32 dev, u32 id, u32 type, u32 result, u64 latency_ns),
	TP_ARGS(dev, id, type, result, latency_ns),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, id)
		__field(u32, type)
		__field(u32, result)
		__field(u64, latency_ns)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->id = id;
		__entry->type = type;
		__entry->result = result;
		__entry->latency_ns = latency_ns;
	),
	TP_printk("dev=%u id=%u type=%u result=%s latency_ns=%llu",
		  __entry->dev, __entry->id, __entry->type,
		  __print_symbolic(__entry->result,
				   { UVDEV_TRACE_MSG_OK, "ok" },
				   { UVDEV_TRACE_MSG_FAILED, "failed" },
				   { UVDEV_TRACE_MSG_TIMEOUT, "timeout" },
				   { UVDEV_TRACE_MSG_INTERRUPTED, "interrupted" }),
		  __entry->latency_ns)
);

DEFINE_EVENT(uvdev_msg_end, uvdev_msg_done,
	TP_PROTO(u32 dev, u32 id, u32 type, u32 result, u64 latency_ns),
	TP_ARGS(dev, id, type, result, latency_ns)
);

/* ---- kick --------------------------------------------------------------- */

DECLARE_EVENT_CLASS(uvdev_queue_kick,
	TP_PROTO(u32 dev, u32 queue, u32 avail_idx, u32 mode, u32 slot,
		 u32 serial),
	TP_ARGS(dev, queue, avail_idx, mode, slot, serial),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, queue)
		__field(u32, avail_idx)
		__field(u32, mode)
		__field(u32, slot)
		__field(u32, serial)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->queue = queue;
		__entry->avail_idx = avail_idx;
		__entry->mode = mode;
		__entry->slot = slot;
		__entry->serial = serial;
	),
	TP_printk("dev=%u queue=%u slot=%u serial=%u avail_idx=%u mode=%s",
		  __entry->dev, __entry->queue, __entry->slot, __entry->serial,
		  __entry->avail_idx,
		  __print_symbolic(__entry->mode,
				   { UVDEV_TRACE_KICK_EVENTFD, "eventfd" },
				   { UVDEV_TRACE_KICK_DEFERRED, "deferred" },
				   { UVDEV_TRACE_KICK_DROPPED, "dropped" }))
);

DEFINE_EVENT(uvdev_queue_kick, uvdev_kick,
	TP_PROTO(u32 dev, u32 queue, u32 avail_idx, u32 mode, u32 slot,
		 u32 serial),
	TP_ARGS(dev, queue, avail_idx, mode, slot, serial)
);

/* ---- ring service ------------------------------------------------------- */

/*
 * A chain completed to the driver. bytes: the used length; service_ns: from
 * its first pop to this push; inflight: chains still popped and not pushed;
 * result: pushed by the backend, or failed by a broken device.
 */
DECLARE_EVENT_CLASS(uvdev_ring_give,
	TP_PROTO(u32 dev, u32 queue, u32 head_idx, u32 bytes, u64 service_ns,
		 u32 inflight, u32 result, u32 slot, u32 serial),
	TP_ARGS(dev, queue, head_idx, bytes, service_ns, inflight, result,
		slot, serial),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, queue)
		__field(u32, head)
		__field(u32, bytes)
		__field(u64, service_ns)
		__field(u32, inflight)
		__field(u32, result)
		__field(u32, slot)
		__field(u32, serial)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->queue = queue;
		__entry->head = head_idx;
		__entry->bytes = bytes;
		__entry->service_ns = service_ns;
		__entry->inflight = inflight;
		__entry->result = result;
		__entry->slot = slot;
		__entry->serial = serial;
	),
	TP_printk("dev=%u queue=%u slot=%u serial=%u head=%u bytes=%u service_ns=%llu inflight=%u result=%s",
		  __entry->dev, __entry->queue, __entry->slot, __entry->serial,
		  __entry->head, __entry->bytes,
		  __entry->service_ns, __entry->inflight,
		  __print_symbolic(__entry->result,
				   { UVDEV_TRACE_PUSH_OK, "ok" },
				   { UVDEV_TRACE_PUSH_FAILED, "failed" }))
);

/*
 * A chain popped. bytes: its out + in bytes; wait_ns: from the kick that
 * made it visible to this pop; pending: chains still available after it
 * (0 when the backend has caught up); inflight: chains popped and not
 * pushed, this one included; resubmitted: 1 when the chain is handed out
 * again after its backend went away (its wait was counted at its first
 * pop, and its service time runs from there).
 */
DECLARE_EVENT_CLASS(uvdev_ring_take,
	TP_PROTO(u32 dev, u32 queue, u32 head_idx, u32 bytes, u64 wait_ns,
		 u32 pending, u32 inflight, u32 resubmitted, u32 slot,
		 u32 serial),
	TP_ARGS(dev, queue, head_idx, bytes, wait_ns, pending, inflight,
		resubmitted, slot, serial),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, queue)
		__field(u32, head)
		__field(u32, bytes)
		__field(u64, wait_ns)
		__field(u32, pending)
		__field(u32, inflight)
		__field(u32, resubmitted)
		__field(u32, slot)
		__field(u32, serial)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->queue = queue;
		__entry->head = head_idx;
		__entry->bytes = bytes;
		__entry->wait_ns = wait_ns;
		__entry->pending = pending;
		__entry->inflight = inflight;
		__entry->resubmitted = resubmitted;
		__entry->slot = slot;
		__entry->serial = serial;
	),
	TP_printk("dev=%u queue=%u slot=%u serial=%u head=%u bytes=%u wait_ns=%llu pending=%u inflight=%u resubmitted=%u",
		  __entry->dev, __entry->queue, __entry->slot, __entry->serial,
		  __entry->head, __entry->bytes,
		  __entry->wait_ns, __entry->pending, __entry->inflight,
		  __entry->resubmitted)
);

DEFINE_EVENT(uvdev_ring_take, uvdev_vq_pop,
	TP_PROTO(u32 dev, u32 queue, u32 head_idx, u32 bytes, u64 wait_ns,
		 u32 pending, u32 inflight, u32 resubmitted, u32 slot,
		 u32 serial),
	TP_ARGS(dev, queue, head_idx, bytes, wait_ns, pending, inflight,
		resubmitted, slot, serial)
);

DEFINE_EVENT(uvdev_ring_give, uvdev_vq_push,
	TP_PROTO(u32 dev, u32 queue, u32 head_idx, u32 bytes, u64 service_ns,
		 u32 inflight, u32 result, u32 slot, u32 serial),
	TP_ARGS(dev, queue, head_idx, bytes, service_ns, inflight, result,
		slot, serial)
);

/* ---- IRQ inject --------------------------------------------------------- */

DECLARE_EVENT_CLASS(uvdev_irq_request,
	TP_PROTO(u32 dev, u32 queue, u32 slot, u32 serial),
	TP_ARGS(dev, queue, slot, serial),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, queue)
		__field(u32, slot)
		__field(u32, serial)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->queue = queue;
		__entry->slot = slot;
		__entry->serial = serial;
	),
	TP_printk("dev=%u queue=%d slot=%d serial=%u", __entry->dev,
		  (int)__entry->queue, (int)__entry->slot, __entry->serial)
);

DEFINE_EVENT(uvdev_irq_request, uvdev_irq_inject,
	TP_PROTO(u32 dev, u32 queue, u32 slot, u32 serial),
	TP_ARGS(dev, queue, slot, serial)
);

/*
 * The interrupt was delivered; latency_ns: from inject to deliver (0 for
 * one delivered while the tracepoint was being switched on); outcome:
 * handled, spurious, or suppressed by the driver.
 */
DECLARE_EVENT_CLASS(uvdev_irq_result,
	TP_PROTO(u32 dev, u32 queue, u64 latency_ns, u32 outcome, u32 slot,
		 u32 serial),
	TP_ARGS(dev, queue, latency_ns, outcome, slot, serial),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, queue)
		__field(u64, latency_ns)
		__field(u32, outcome)
		__field(u32, slot)
		__field(u32, serial)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->queue = queue;
		__entry->latency_ns = latency_ns;
		__entry->outcome = outcome;
		__entry->slot = slot;
		__entry->serial = serial;
	),
	TP_printk("dev=%u queue=%d slot=%d serial=%u latency_ns=%llu outcome=%s",
		  __entry->dev, (int)__entry->queue, (int)__entry->slot,
		  __entry->serial, __entry->latency_ns,
		  __print_symbolic(__entry->outcome,
				   { UVDEV_TRACE_IRQ_HANDLED, "handled" },
				   { UVDEV_TRACE_IRQ_SPURIOUS, "spurious" },
				   { UVDEV_TRACE_IRQ_SUPPRESSED, "suppressed" }))
);

DEFINE_EVENT(uvdev_irq_result, uvdev_irq_deliver,
	TP_PROTO(u32 dev, u32 queue, u64 latency_ns, u32 outcome, u32 slot,
		 u32 serial),
	TP_ARGS(dev, queue, latency_ns, outcome, slot, serial)
);

/* ---- async notifications ------------------------------------------------ */

/* A value the backend posted; batch: values in its UVDEV_IOC_NOTIFY call. */
DECLARE_EVENT_CLASS(uvdev_notif_value,
	TP_PROTO(u32 dev, u32 value, u32 batch),
	TP_ARGS(dev, value, batch),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, value)
		__field(u32, batch)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->value = value;
		__entry->batch = batch;
	),
	TP_printk("dev=%u value=%u batch=%u", __entry->dev, __entry->value,
		  __entry->batch)
);

DEFINE_EVENT(uvdev_notif_value, uvdev_notif_post,
	TP_PROTO(u32 dev, u32 value, u32 batch),
	TP_ARGS(dev, value, batch)
);

/*
 * The top half took a value: latency_ns since it was first posted, posts
 * of it merged into this delivery (at least 1), waiters it woke (0: it was
 * remembered, or it is the bottom-half value).
 */
DECLARE_EVENT_CLASS(uvdev_notif_take,
	TP_PROTO(u32 dev, u32 value, u64 latency_ns, u32 posts, u32 woken),
	TP_ARGS(dev, value, latency_ns, posts, woken),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, value)
		__field(u64, latency_ns)
		__field(u32, posts)
		__field(u32, woken)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->value = value;
		__entry->latency_ns = latency_ns;
		__entry->posts = posts;
		__entry->woken = woken;
	),
	TP_printk("dev=%u value=%u latency_ns=%llu posts=%u woken=%u",
		  __entry->dev, __entry->value, __entry->latency_ns,
		  __entry->posts, __entry->woken)
);

DEFINE_EVENT(uvdev_notif_take, uvdev_notif_deliver,
	TP_PROTO(u32 dev, u32 value, u64 latency_ns, u32 posts, u32 woken),
	TP_ARGS(dev, value, latency_ns, posts, woken)
);

/* A task begins to wait for a key. */
DECLARE_EVENT_CLASS(uvdev_notif_key,
	TP_PROTO(u32 dev, u32 key),
	TP_ARGS(dev, key),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, key)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->key = key;
	),
	TP_printk("dev=%u key=%u", __entry->dev, __entry->key)
);

DEFINE_EVENT(uvdev_notif_key, uvdev_notif_wait_start,
	TP_PROTO(u32 dev, u32 key),
	TP_ARGS(dev, key)
);

/* A wait ended: result is enum uvdev_trace_wait_result. */
DECLARE_EVENT_CLASS(uvdev_notif_key_end,
	TP_PROTO(u32 dev, u32 key, u32 result, u64 waited_ns),
	TP_ARGS(dev, key, result, waited_ns),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, key)
		__field(u32, result)
		__field(u64, waited_ns)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->key = key;
		__entry->result = result;
		__entry->waited_ns = waited_ns;
	),
	TP_printk("dev=%u key=%u result=%s waited_ns=%llu", __entry->dev,
		  __entry->key,
		  __print_symbolic(__entry->result,
				   { UVDEV_TRACE_WAIT_WOKEN, "woken" },
				   { UVDEV_TRACE_WAIT_REMEMBERED, "remembered" },
				   { UVDEV_TRACE_WAIT_TIMEOUT, "timeout" },
				   { UVDEV_TRACE_WAIT_INTERRUPTED, "interrupted" },
				   { UVDEV_TRACE_WAIT_FAILED, "failed" }),
		  __entry->waited_ns)
);

DEFINE_EVENT(uvdev_notif_key_end, uvdev_notif_wait_end,
	TP_PROTO(u32 dev, u32 key, u32 result, u64 waited_ns),
	TP_ARGS(dev, key, result, waited_ns)
);

/*
 * The bottom half ran: the events it delivered (UVDEV_NOTIF_EV_*) and
 * latency_ns since the top half took the value that asked for it.
 */
DECLARE_EVENT_CLASS(uvdev_notif_bottom,
	TP_PROTO(u32 dev, u32 events, u64 latency_ns),
	TP_ARGS(dev, events, latency_ns),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, events)
		__field(u64, latency_ns)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->events = events;
		__entry->latency_ns = latency_ns;
	),
	TP_printk("dev=%u events=%#x latency_ns=%llu", __entry->dev,
		  __entry->events, __entry->latency_ns)
);

DEFINE_EVENT(uvdev_notif_bottom, uvdev_notif_bh,
	TP_PROTO(u32 dev, u32 events, u64 latency_ns),
	TP_ARGS(dev, events, latency_ns)
);

/* ---- zero copy ---------------------------------------------------------- */

/*
 * A zero-copy map request on a popped chain. id: its zero-copy id (0 when
 * refused); mapped: window pages showing the chain's own pages; copied:
 * window pages bounced (for a refused request, every page it needed: the
 * backend copies them all); result: enum uvdev_trace_zc_result.
 */
TRACE_EVENT(uvdev_zc_map,
	TP_PROTO(u32 dev, u32 queue, u32 head_idx, u32 id, u32 mapped,
		 u32 copied, u32 result, u32 slot, u32 serial),
	TP_ARGS(dev, queue, head_idx, id, mapped, copied, result, slot, serial),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, queue)
		__field(u32, head)
		__field(u32, id)
		__field(u32, mapped)
		__field(u32, copied)
		__field(u32, result)
		__field(u32, slot)
		__field(u32, serial)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->queue = queue;
		__entry->head = head_idx;
		__entry->id = id;
		__entry->mapped = mapped;
		__entry->copied = copied;
		__entry->result = result;
		__entry->slot = slot;
		__entry->serial = serial;
	),
	TP_printk("dev=%u queue=%u slot=%u serial=%u head=%u id=%u mapped=%u copied=%u result=%s",
		  __entry->dev, __entry->queue, __entry->slot, __entry->serial,
		  __entry->head, __entry->id, __entry->mapped, __entry->copied,
		  __print_symbolic(__entry->result,
				   { UVDEV_TRACE_ZC_MAPPED, "mapped" },
				   { UVDEV_TRACE_ZC_WINDOW_FULL, "window_full" }))
);

/*
 * A zero-copy completion notification the backend reaped: ids lo..hi
 * (modulo 2^32) of one queue, their window pages, copied: 1 when some of
 * their data was bounced; latency_ns: from the first push among them to
 * the reap that returned their window pages.
 */
TRACE_EVENT(uvdev_zc_complete,
	TP_PROTO(u32 dev, u32 queue, u32 lo, u32 hi, u32 pages, u32 copied,
		 u64 latency_ns, u32 slot, u32 serial),
	TP_ARGS(dev, queue, lo, hi, pages, copied, latency_ns, slot, serial),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, queue)
		__field(u32, lo)
		__field(u32, hi)
		__field(u32, pages)
		__field(u32, copied)
		__field(u64, latency_ns)
		__field(u32, slot)
		__field(u32, serial)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->queue = queue;
		__entry->lo = lo;
		__entry->hi = hi;
		__entry->pages = pages;
		__entry->copied = copied;
		__entry->latency_ns = latency_ns;
		__entry->slot = slot;
		__entry->serial = serial;
	),
	TP_printk("dev=%u queue=%u slot=%u serial=%u lo=%u hi=%u pages=%u copied=%u latency_ns=%llu",
		  __entry->dev, __entry->queue, __entry->slot, __entry->serial,
		  __entry->lo, __entry->hi, __entry->pages, __entry->copied,
		  __entry->latency_ns)
);

#endif /* _UVDEV_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
