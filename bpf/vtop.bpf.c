// SPDX-License-Identifier: GPL-2.0
/*
 * vtop's in-kernel aggregation over the uvdev tracepoints: per-queue and
 * per-device counters and log2 latency histograms, last-activity timestamps
 * for the failure states, what is in flight, and a ring buffer for the rare
 * events (timeouts, status changes, queue setup, create and destroy). A
 * ring event costs one map lookup: everything about a queue is one value.
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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VTOP_MAX_QUEUES);
	__type(key, struct vtop_queue_key);
	__type(value, struct vtop_queue);
} queues SEC(".maps");

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
static const struct vtop_queue new_queue;
/* A queue first seen through ring traffic was set up before vtop started. */
static const struct vtop_queue busy_queue = { .state.ready = 1 };

#define ADD(field, n)	__sync_fetch_and_add(&(field), (n))

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

static __always_inline void *lookup_or_init(void *map, const void *key,
					    const void *zero)
{
	void *val = bpf_map_lookup_elem(map, key);

	if (val)
		return val;
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

static __always_inline void emit(__u32 type, __u32 dev, __u32 queue,
				 __u32 a, __u32 b)
{
	struct vtop_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev)
		return;
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
	bpf_map_update_elem(&devices, &dev, &info, BPF_ANY);
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
	struct vtop_queue_key key = { .dev = ctx[0] };
	__u32 nq = ctx[3];
	__u32 i;

	for (i = 0; i < VTOP_MAX_DEV_QUEUES; i++) {
		if (i >= nq)
			break;
		key.queue = i;
		bpf_map_delete_elem(&queues, &key);
	}
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
	ds = lookup_or_init(&dev_stats, &dev, &zero_dev_stats);
	if (ds)
		ds->status_changes++;
	emit(VTOP_EV_STATUS, dev, 0, ctx[1], ctx[2]);
	return 0;
}

/* uvdev_vq_setup(dev, queue, size, ready) */
static __always_inline int on_vq_setup(__u64 *ctx)
{
	struct vtop_queue_key key = { .dev = ctx[0], .queue = ctx[1] };
	struct vtop_queue *q;
	__u32 i;

	q = lookup_or_init(&queues, &key, &new_queue);
	if (q) {
		q->state.size = ctx[2];
		q->state.ready = ctx[3];
		q->state.work_since_ns = 0;
		q->state.undelivered_since_ns = 0;
		/* Chains in flight on the queue are gone with its old ring. */
		q->state.inflight = 0;
		/* volatile: BPF has no memset for the compiler to turn this into. */
#pragma clang loop unroll(disable)
		for (i = 0; i < VTOP_RING_MAX; i++)
			*(volatile __u64 *)&q->pop_ns[i] = 0;
	}
	emit(VTOP_EV_VQ_SETUP, key.dev, key.queue, ctx[2], ctx[3]);
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

	bpf_map_update_elem(&msg_inflight, &key, &val, BPF_ANY);
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
	ds = lookup_or_init(&dev_stats, &key.dev, &zero_dev_stats);
	if (ds) {
		ds->msgs[type & (VTOP_MSG_TYPES - 1)][result & (VTOP_MSG_RESULTS - 1)]++;
		ds->msg_sum_ns[type & (VTOP_MSG_TYPES - 1)] += lat;
		ds->msg_hist[type & (VTOP_MSG_TYPES - 1)][hist_slot(lat)]++;
	}
	if (result == UVDEV_TRACE_MSG_TIMEOUT) {
		struct vtop_dev *d = bpf_map_lookup_elem(&devices, &key.dev);

		if (d && !d->broken) {
			d->broken = 1;
			d->broken_ns = bpf_ktime_get_ns();
		}
		emit(VTOP_EV_MSG_TIMEOUT, key.dev, 0, key.id, type);
	}
	return 0;
}

/* ---- queues ------------------------------------------------------------- */

/* @first: what a queue this event is the first sign of looks like. */
static __always_inline struct vtop_queue *queue_lookup(__u32 dev, __u32 queue,
						       const struct vtop_queue *first)
{
	struct vtop_queue_key key = { .dev = dev, .queue = queue };

	return lookup_or_init(&queues, &key, first);
}

/* uvdev_kick(dev, queue, avail_idx, mode) */
static __always_inline int on_kick(__u64 *ctx)
{
	/* Modes uvdev does not define count in the spare slot, as no work. */
	__u32 mode = slot_of(ctx[3], UVDEV_TRACE_KICK_MODES, VTOP_KICK_MODES - 1);
	bool work = mode == UVDEV_TRACE_KICK_EVENTFD || mode == UVDEV_TRACE_KICK_DEFERRED;
	struct vtop_queue *q;

	q = queue_lookup(ctx[0], ctx[1], work ? &busy_queue : &new_queue);
	if (!q)
		return 0;
	ADD(q->stats.kicks[mode & (VTOP_KICK_MODES - 1)], 1);
	if (work && !q->state.work_since_ns)
		q->state.work_since_ns = bpf_ktime_get_ns();
	return 0;
}

/* uvdev_vq_pop(dev, queue, head, bytes, wait_ns, pending) */
static __always_inline int on_vq_pop(__u64 *ctx)
{
	__u32 head = ctx[2];
	__u64 wait = ctx[4], now, *popped;
	struct vtop_queue *q;

	q = queue_lookup(ctx[0], ctx[1], &busy_queue);
	if (!q)
		return 0;
	ADD(q->stats.pops, 1);
	ADD(q->stats.pop_bytes, (__u32)ctx[3]);
	ADD(q->stats.wait_sum_ns, wait);
	ADD(q->stats.wait_hist[hist_slot(wait)], 1);
	now = bpf_ktime_get_ns();
	q->state.last_pop_ns = now;
	/* Work left after this pop waits from now on. */
	q->state.work_since_ns = (__u32)ctx[5] ? now : 0;
	/* A chain handed out again after a backend restart is counted once. */
	popped = &q->pop_ns[head & (VTOP_RING_MAX - 1)];
	if (!*popped)
		ADD(q->state.inflight, 1);
	*popped = now;
	return 0;
}

/* uvdev_vq_push(dev, queue, head, bytes, service_ns) */
static __always_inline int on_vq_push(__u64 *ctx)
{
	__u32 head = ctx[2];
	__u64 service = ctx[4], *popped;
	struct vtop_queue *q;

	q = queue_lookup(ctx[0], ctx[1], &busy_queue);
	if (!q)
		return 0;
	ADD(q->stats.pushes, 1);
	ADD(q->stats.push_bytes, (__u32)ctx[3]);
	ADD(q->stats.service_sum_ns, service);
	ADD(q->stats.service_hist[hist_slot(service)], 1);
	/* The clock is read only when an undelivered stretch begins. */
	if (!q->state.undelivered_since_ns)
		q->state.undelivered_since_ns = bpf_ktime_get_ns();
	popped = &q->pop_ns[head & (VTOP_RING_MAX - 1)];
	if (*popped) {
		*popped = 0;
		ADD(q->state.inflight, -1);
	}
	return 0;
}

/* uvdev_irq_inject(dev, queue) */
static __always_inline int on_irq_inject(__u64 *ctx)
{
	__u32 dev = ctx[0], queue = ctx[1];
	struct vtop_queue *q;

	if (queue == UVDEV_TRACE_QUEUE_CONFIG) {
		struct vtop_dev_stats *ds;

		ds = lookup_or_init(&dev_stats, &dev, &zero_dev_stats);
		if (ds)
			ds->config_irq_injects++;
		return 0;
	}
	q = queue_lookup(dev, queue, &busy_queue);
	if (q)
		ADD(q->stats.irq_injects, 1);
	return 0;
}

/* uvdev_irq_deliver(dev, queue, latency_ns, outcome) */
static __always_inline int on_irq_deliver(__u64 *ctx)
{
	__u32 dev = ctx[0], queue = ctx[1], outcome = ctx[3];
	__u64 lat = ctx[2];
	struct vtop_queue *q;

	if (queue == UVDEV_TRACE_QUEUE_CONFIG) {
		struct vtop_dev_stats *ds;

		ds = lookup_or_init(&dev_stats, &dev, &zero_dev_stats);
		if (ds)
			ds->config_irq_delivers++;
		return 0;
	}
	q = queue_lookup(dev, queue, &busy_queue);
	if (!q)
		return 0;
	/* Outcomes uvdev does not define count in the spare slot. */
	outcome = slot_of(outcome, UVDEV_TRACE_IRQ_OUTCOMES, VTOP_IRQ_OUTCOMES - 1);
	ADD(q->stats.irq_delivers[outcome & (VTOP_IRQ_OUTCOMES - 1)], 1);
	ADD(q->stats.irq_sum_ns, lat);
	ADD(q->stats.irq_hist[hist_slot(lat)], 1);
	q->state.undelivered_since_ns = 0;
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
VTOP_ENTRY(uvdev_vq_setup, on_vq_setup)
VTOP_ENTRY(uvdev_msg_send, on_msg_send)
VTOP_ENTRY(uvdev_msg_done, on_msg_done)
VTOP_ENTRY(uvdev_kick, on_kick)
VTOP_ENTRY(uvdev_vq_pop, on_vq_pop)
VTOP_ENTRY(uvdev_vq_push, on_vq_push)
VTOP_ENTRY(uvdev_irq_inject, on_irq_inject)
VTOP_ENTRY(uvdev_irq_deliver, on_irq_deliver)
