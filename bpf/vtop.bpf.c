// SPDX-License-Identifier: GPL-2.0
/*
 * vtop's in-kernel aggregation over the uvdev tracepoints: per-queue and
 * per-device counters and log2 latency histograms, the control messages in
 * flight, and a ring buffer for the rare events (timeouts, broken devices,
 * status changes, queue setup, create and destroy). A ring event costs one
 * array lookup and no clock read: everything about a queue is one per-CPU
 * value at the slot its tracepoints carry, and the latencies come with the
 * events. What the rings hold (and
 * so the failure states) vtop reads from the kernel, not from here; so are
 * a device's notification waiters, while their counts and latencies are
 * aggregated here.
 *
 * Every handler has one body and two entry points: tp_btf (typed, cheapest,
 * needs the module's BTF) and raw_tp (the fallback). User space loads one
 * set. Tracepoint arguments are scalars, read from the u64 context.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "vtop.h"
#include "bits.bpf.h"
#include <uapi/uvdev_trace.h>

_Static_assert(VTOP_HIST_SLOTS == 64, "hist_slot() fills 64 slots");
_Static_assert(UVDEV_TRACE_WAIT_RESULTS <= VTOP_WAIT_RESULTS, "a slot per wait result");

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VTOP_LC_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lifecycle_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VTOP_MAX_DEVICES);
	__type(key, __u32);
	__type(value, struct vtop_dev);
} devices SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, VTOP_MAX_DEVICES);
	__type(key, __u32);
	__type(value, struct vtop_dev_stats);
} dev_stats SEC(".maps");

/* Indexed by the queue's slot; sized at load time to the module's max_queues. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VTOP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, struct vtop_queue_stats);
} queues SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VTOP_DROP_KINDS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VTOP_MAX_MSGS);
	__type(key, struct vtop_msg_key);
	__type(value, struct vtop_msg_inflight);
} msg_inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* Values to create entries from: too large for the BPF stack. */
static const struct vtop_dev_stats zero_dev_stats;
static const struct vtop_queue_stats zero_queue_stats;

/*
 * The array slot of a tracepoint value: itself when below @known, else
 * @other. The caller masks the result to the array size for the verifier;
 * the barrier keeps the compiler from dropping that mask as redundant.
 */
static __always_inline __u32 slot_of(__u32 v, __u32 known, __u32 other)
{
	__u32 slot = v < known ? v : other;

	barrier_var(slot);
	return slot;
}

static __always_inline void count_drop(__u32 kind)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &kind);

	if (n)
		*n += 1;
}

/* The entry of @key, made from @zero if new; NULL (counted) if full. */
static __always_inline void *lookup_or_init(void *map, const void *key,
					    const void *zero, __u32 drop_kind)
{
	void *val = bpf_map_lookup_elem(map, key);

	if (val)
		return val;
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	val = bpf_map_lookup_elem(map, key);
	if (!val)
		count_drop(drop_kind);
	return val;
}

static __always_inline void emit(__u32 type, __u32 dev, __u32 queue,
				 __u32 a, __u32 b)
{
	struct vtop_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		count_drop(VTOP_DROP_EVENTS);
		return;
	}
	ev->ns = bpf_ktime_get_ns();
	ev->type = type;
	ev->dev = dev;
	ev->queue = queue;
	ev->a = a;
	ev->b = b;
	ev->pad = 0;
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline void count_lifecycle(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&lifecycle_counts, &slot);

	if (n)
		*n += 1;
}

/* ---- lifecycle ---------------------------------------------------------- */

/* uvdev_dev_create(dev, name, device_id, num_queues, max_queue_size) */
static __always_inline int on_dev_create(__u64 *ctx)
{
	struct vtop_dev info = {};
	__u32 dev = ctx[0];

	bpf_probe_read_kernel_str(info.name, sizeof(info.name), (void *)ctx[1]);
	info.device_id = ctx[2];
	info.num_queues = ctx[3];
	info.max_queue_size = ctx[4];
	info.created_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&devices, &dev, &info, BPF_ANY))
		count_drop(VTOP_DROP_DEVICES);
	count_lifecycle(VTOP_LC_DEV_CREATE);
	emit(VTOP_EV_DEV_CREATE, dev, 0, info.device_id, info.num_queues);
	return 0;
}

struct match_ctx {
	__u32 dev;
};

static long drop_msgs(void *map, struct vtop_msg_key *key,
		      struct vtop_msg_inflight *val, struct match_ctx *m)
{
	if (key->dev == m->dev)
		bpf_map_delete_elem(map, key);
	return 0;
}

/* uvdev_dev_destroy(dev, name, device_id, num_queues, max_queue_size) */
static __always_inline int on_dev_destroy(__u64 *ctx)
{
	struct match_ctx m = { .dev = ctx[0] };

	/* Its queues' slots start again from zero with their next owner. */
	bpf_for_each_map_elem(&msg_inflight, drop_msgs, &m, 0);
	bpf_map_delete_elem(&dev_stats, &m.dev);
	bpf_map_delete_elem(&devices, &m.dev);
	count_lifecycle(VTOP_LC_DEV_DESTROY);
	emit(VTOP_EV_DEV_DESTROY, m.dev, 0, 0, 0);
	return 0;
}

/* uvdev_status(dev, old_status, new_status) */
static __always_inline int on_status(__u64 *ctx)
{
	__u32 dev = ctx[0];
	struct vtop_dev_stats *ds;
	struct vtop_dev *d;

	d = bpf_map_lookup_elem(&devices, &dev);
	if (d)
		d->status = ctx[2];
	ds = lookup_or_init(&dev_stats, &dev, &zero_dev_stats, VTOP_DROP_DEVICES);
	if (ds)
		ds->status_changes++;
	emit(VTOP_EV_STATUS, dev, 0, ctx[1], ctx[2]);
	return 0;
}

/* uvdev_dev_broken(dev, reason) */
static __always_inline int on_dev_broken(__u64 *ctx)
{
	__u32 dev = ctx[0];
	struct vtop_dev *d;

	d = bpf_map_lookup_elem(&devices, &dev);
	if (d && !d->broken) {
		d->broken = 1;
		d->broken_reason = ctx[1];
		d->broken_ns = bpf_ktime_get_ns();
	}
	emit(VTOP_EV_BROKEN, dev, 0, ctx[1], 0);
	return 0;
}

/* uvdev_vq_setup(dev, queue, size, ready) */
static __always_inline int on_vq_setup(__u64 *ctx)
{
	emit(VTOP_EV_VQ_SETUP, ctx[0], ctx[1], ctx[2], ctx[3]);
	return 0;
}

/* ---- message sync ------------------------------------------------------- */

/* uvdev_msg_send(dev, id, type) */
static __always_inline int on_msg_send(__u64 *ctx)
{
	struct vtop_msg_key key = { .dev = ctx[0], .id = ctx[1] };
	struct vtop_msg_inflight val = {
		.send_ns = bpf_ktime_get_ns(),
		.type = ctx[2],
	};

	if (bpf_map_update_elem(&msg_inflight, &key, &val, BPF_ANY))
		count_drop(VTOP_DROP_MSGS);
	return 0;
}

/* uvdev_msg_done(dev, id, type, result, latency_ns) */
static __always_inline int on_msg_done(__u64 *ctx)
{
	struct vtop_msg_key key = { .dev = ctx[0], .id = ctx[1] };
	/* Types uvdev does not define count as type 0; unknown results as failed. */
	__u32 type = slot_of(ctx[2], VTOP_MSG_TYPES, 0);
	__u32 result = slot_of(ctx[3], UVDEV_TRACE_MSG_RESULTS, UVDEV_TRACE_MSG_FAILED);
	__u64 lat = ctx[4];
	struct vtop_dev_stats *ds;

	bpf_map_delete_elem(&msg_inflight, &key);
	ds = lookup_or_init(&dev_stats, &key.dev, &zero_dev_stats, VTOP_DROP_DEVICES);
	if (ds) {
		ds->msgs[type & (VTOP_MSG_TYPES - 1)][result & (VTOP_MSG_RESULTS - 1)]++;
		ds->msg_sum_ns[type & (VTOP_MSG_TYPES - 1)] += lat;
		ds->msg_hist[type & (VTOP_MSG_TYPES - 1)][hist_slot(lat)]++;
	}
	if (result == UVDEV_TRACE_MSG_TIMEOUT)
		emit(VTOP_EV_MSG_TIMEOUT, key.dev, 0, key.id, type);
	return 0;
}

/* ---- queues ------------------------------------------------------------- */

/*
 * This CPU's counters of the queue at @slot, owned by the device with
 * @serial: reset when a newer device takes the slot over, NULL for a late
 * event of an older one (nobody reads its counters any more) or a slot past
 * the array (counted).
 */
static __always_inline struct vtop_queue_stats *
queue_lookup(__u32 dev, __u32 queue, __u32 slot, __u32 serial)
{
	struct vtop_queue_stats *q = bpf_map_lookup_elem(&queues, &slot);

	if (!q) {
		count_drop(VTOP_DROP_QUEUES);
		return NULL;
	}
	if (q->serial == serial)
		return q;
	if (q->serial && (__s32)(serial - q->serial) < 0)
		return NULL;
	/* A per-CPU array's update from a program writes this CPU's copy. */
	bpf_map_update_elem(&queues, &slot, &zero_queue_stats, BPF_ANY);
	q->serial = serial;
	q->dev = dev;
	q->queue = queue;
	return q;
}

/* uvdev_kick(dev, queue, avail_idx, mode, slot, serial) */
static __always_inline int on_kick(__u64 *ctx)
{
	/* Modes uvdev does not define count in the spare slot. */
	__u32 mode = slot_of(ctx[3], UVDEV_TRACE_KICK_MODES, VTOP_KICK_MODES - 1);
	struct vtop_queue_stats *q;

	q = queue_lookup(ctx[0], ctx[1], ctx[4], ctx[5]);
	if (q)
		q->kicks[mode & (VTOP_KICK_MODES - 1)]++;
	return 0;
}

/*
 * uvdev_vq_pop(dev, queue, head, bytes, wait_ns, pending, inflight,
 *		resubmitted, slot, serial)
 */
static __always_inline int on_vq_pop(__u64 *ctx)
{
	__u64 wait = ctx[4];
	struct vtop_queue_stats *q;

	q = queue_lookup(ctx[0], ctx[1], ctx[8], ctx[9]);
	if (!q)
		return 0;
	q->pops++;
	q->pop_bytes += (__u32)ctx[3];
	/* A chain handed out again waited once, at its first pop. */
	if ((__u32)ctx[7]) {
		q->resubmits++;
		return 0;
	}
	q->wait_sum_ns += wait;
	q->wait_hist[hist_slot(wait)]++;
	return 0;
}

/*
 * uvdev_vq_push(dev, queue, head, bytes, service_ns, inflight, result, slot,
 *		 serial)
 */
static __always_inline int on_vq_push(__u64 *ctx)
{
	__u64 service = ctx[4];
	struct vtop_queue_stats *q;

	q = queue_lookup(ctx[0], ctx[1], ctx[7], ctx[8]);
	if (!q)
		return 0;
	q->pushes++;
	q->push_bytes += (__u32)ctx[3];
	/* Failed by a broken device: no service, whatever it waited. */
	if ((__u32)ctx[6] != UVDEV_TRACE_PUSH_OK) {
		q->failed++;
		return 0;
	}
	q->service_sum_ns += service;
	q->service_hist[hist_slot(service)]++;
	return 0;
}

/* uvdev_irq_inject(dev, queue, slot, serial) */
static __always_inline int on_irq_inject(__u64 *ctx)
{
	__u32 dev = ctx[0], queue = ctx[1];
	struct vtop_queue_stats *q;

	if (queue == UVDEV_TRACE_QUEUE_CONFIG) {
		struct vtop_dev_stats *ds;

		ds = lookup_or_init(&dev_stats, &dev, &zero_dev_stats, VTOP_DROP_DEVICES);
		if (ds)
			ds->config_irq_injects++;
		return 0;
	}
	q = queue_lookup(dev, queue, ctx[2], ctx[3]);
	if (q)
		q->irq_injects++;
	return 0;
}

/* uvdev_irq_deliver(dev, queue, latency_ns, outcome, slot, serial) */
static __always_inline int on_irq_deliver(__u64 *ctx)
{
	__u32 dev = ctx[0], queue = ctx[1], outcome = ctx[3];
	__u64 lat = ctx[2];
	struct vtop_queue_stats *q;

	if (queue == UVDEV_TRACE_QUEUE_CONFIG) {
		struct vtop_dev_stats *ds;

		ds = lookup_or_init(&dev_stats, &dev, &zero_dev_stats, VTOP_DROP_DEVICES);
		if (ds)
			ds->config_irq_delivers++;
		return 0;
	}
	q = queue_lookup(dev, queue, ctx[4], ctx[5]);
	if (!q)
		return 0;
	/* Outcomes uvdev does not define count in the spare slot. */
	outcome = slot_of(outcome, UVDEV_TRACE_IRQ_OUTCOMES, VTOP_IRQ_OUTCOMES - 1);
	q->irq_delivers[outcome & (VTOP_IRQ_OUTCOMES - 1)]++;
	q->irq_sum_ns += lat;
	q->irq_hist[hist_slot(lat)]++;
	return 0;
}

/* ---- async notifications ------------------------------------------------ */

/*
 * This CPU's notification counters of device @dev, or NULL when vtop does
 * not know the device: a wait that destroy ended may be traced after the
 * device's destroy event, and must not count for a later device that gets
 * the same id. Devices that existed before vtop are in the map (seeded).
 */
static __always_inline struct vtop_notif_stats *notif_lookup(__u32 dev)
{
	struct vtop_dev_stats *ds;

	if (!bpf_map_lookup_elem(&devices, &dev))
		return NULL;
	ds = lookup_or_init(&dev_stats, &dev, &zero_dev_stats, VTOP_DROP_DEVICES);
	return ds ? &ds->notif : NULL;
}

/* uvdev_notif_post(dev, value, batch) */
static __always_inline int on_notif_post(__u64 *ctx)
{
	struct vtop_notif_stats *n = notif_lookup(ctx[0]);

	if (n)
		n->posts++;
	return 0;
}

/* uvdev_notif_deliver(dev, value, latency_ns, posts, woken) */
static __always_inline int on_notif_deliver(__u64 *ctx)
{
	__u32 value = ctx[1], posts = ctx[3], woken = ctx[4];
	struct vtop_notif_stats *n = notif_lookup(ctx[0]);
	__u64 lat = ctx[2];

	if (!n)
		return 0;
	n->deliveries++;
	/* Every delivery is at least its first post; the others were merged. */
	if (posts > 1)
		n->merged += posts - 1;
	if (woken) {
		n->woke++;
		n->wakeups += woken;
	} else if (value == VTOP_NOTIF_BOTTOM_HALF) {
		n->bh_requests++;
	} else {
		n->unwaited++;
	}
	n->deliver_sum_ns += lat;
	n->deliver_hist[hist_slot(lat)]++;
	return 0;
}

/* uvdev_notif_wait_end(dev, key, result, waited_ns) */
static __always_inline int on_notif_wait_end(__u64 *ctx)
{
	/* Results uvdev does not define count as failed. */
	__u32 result = slot_of(ctx[2], UVDEV_TRACE_WAIT_RESULTS, UVDEV_TRACE_WAIT_FAILED);
	struct vtop_notif_stats *n = notif_lookup(ctx[0]);
	__u64 waited = ctx[3];

	if (!n)
		return 0;
	n->waits[result & (VTOP_WAIT_RESULTS - 1)]++;
	n->wait_sum_ns += waited;
	n->wait_hist[hist_slot(waited)]++;
	return 0;
}

/* uvdev_notif_bh(dev, events, latency_ns) */
static __always_inline int on_notif_bh(__u64 *ctx)
{
	struct vtop_notif_stats *n = notif_lookup(ctx[0]);

	if (n)
		n->bottom_halves++;
	return 0;
}

/*
 * uvdev_zc_map(dev, queue, head, id, mapped, copied, result, slot, serial):
 * a refused map (window full) reports every page it needed as copied.
 */
static __always_inline int on_zc_map(__u64 *ctx)
{
	__u32 copied = ctx[5];
	struct vtop_queue_stats *q;

	q = queue_lookup(ctx[0], ctx[1], ctx[7], ctx[8]);
	if (!q)
		return 0;
	q->zc_maps++;
	q->zc_mapped_pages += (__u32)ctx[4];
	q->zc_copied_pages += copied;
	if (copied || (__u32)ctx[6] != UVDEV_TRACE_ZC_MAPPED)
		q->zc_fallbacks++;
	return 0;
}

/*
 * uvdev_zc_complete(dev, queue, lo, hi, pages, copied, latency_ns, slot,
 *		     serial)
 */
static __always_inline int on_zc_complete(__u64 *ctx)
{
	__u64 lat = ctx[6];
	struct vtop_queue_stats *q;

	q = queue_lookup(ctx[0], ctx[1], ctx[7], ctx[8]);
	if (!q)
		return 0;
	q->zc_completions++;
	q->zc_complete_sum_ns += lat;
	q->zc_complete_hist[hist_slot(lat)]++;
	return 0;
}

/*
 * Debug only: extra loop iterations per event, so the perf gate
 * (tests/perf/gate.sh) can show that it fails on slower programs. vtop sets
 * it with --debug-bpf-loops before loading; at 0 the verifier drops the loop.
 */
const volatile __u32 debug_loops;

static __always_inline void debug_burn(void)
{
	__u32 i;

	for (i = 0; i < debug_loops && i < VTOP_DEBUG_LOOPS_MAX; i++)
		barrier_var(i);
}

#define VTOP_ENTRY(event, handler)					\
	SEC("tp_btf/" #event)						\
	int btf_##event(__u64 *ctx) { debug_burn(); return handler(ctx); } \
	SEC("raw_tp/" #event)						\
	int raw_##event(__u64 *ctx) { debug_burn(); return handler(ctx); }

VTOP_ENTRY(uvdev_dev_create, on_dev_create)
VTOP_ENTRY(uvdev_dev_destroy, on_dev_destroy)
VTOP_ENTRY(uvdev_status, on_status)
VTOP_ENTRY(uvdev_dev_broken, on_dev_broken)
VTOP_ENTRY(uvdev_vq_setup, on_vq_setup)
VTOP_ENTRY(uvdev_msg_send, on_msg_send)
VTOP_ENTRY(uvdev_msg_done, on_msg_done)
VTOP_ENTRY(uvdev_kick, on_kick)
VTOP_ENTRY(uvdev_vq_pop, on_vq_pop)
VTOP_ENTRY(uvdev_vq_push, on_vq_push)
VTOP_ENTRY(uvdev_irq_inject, on_irq_inject)
VTOP_ENTRY(uvdev_irq_deliver, on_irq_deliver)
VTOP_ENTRY(uvdev_notif_post, on_notif_post)
VTOP_ENTRY(uvdev_notif_deliver, on_notif_deliver)
VTOP_ENTRY(uvdev_notif_wait_end, on_notif_wait_end)
VTOP_ENTRY(uvdev_notif_bh, on_notif_bh)
VTOP_ENTRY(uvdev_zc_map, on_zc_map)
VTOP_ENTRY(uvdev_zc_complete, on_zc_complete)
