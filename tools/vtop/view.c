// SPDX-License-Identifier: GPL-2.0
/*
 * Interval views from two snapshots (see view.h).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uapi/uvdev_trace.h>

#include "hist.h"
#include "view.h"

/* Snapshot entries in key order, whatever order the snapshot has. */
struct sorted_snap {
	const struct vtop_dev_snap **devs;
	size_t ndevs;
	const struct vtop_queue_snap **queues;
	size_t nqueues;
};

static int cmp_dev_ptr(const void *a, const void *b)
{
	const struct vtop_dev_snap *x = *(const struct vtop_dev_snap *const *)a;
	const struct vtop_dev_snap *y = *(const struct vtop_dev_snap *const *)b;

	return x->dev < y->dev ? -1 : x->dev > y->dev;
}

static int cmp_queue_key(uint32_t dev_a, uint32_t queue_a,
			 uint32_t dev_b, uint32_t queue_b)
{
	if (dev_a != dev_b)
		return dev_a < dev_b ? -1 : 1;
	return queue_a < queue_b ? -1 : queue_a > queue_b;
}

static int cmp_queue_ptr(const void *a, const void *b)
{
	const struct vtop_queue_snap *x = *(const struct vtop_queue_snap *const *)a;
	const struct vtop_queue_snap *y = *(const struct vtop_queue_snap *const *)b;

	return cmp_queue_key(x->dev, x->queue, y->dev, y->queue);
}

static void sorted_snap_free(struct sorted_snap *s)
{
	free(s->devs);
	free(s->queues);
	memset(s, 0, sizeof(*s));
}

static int sorted_snap_init(struct sorted_snap *s, const struct vtop_snapshot *snap)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!snap)
		return 0;
	s->devs = calloc(snap->ndevs + 1, sizeof(*s->devs));
	s->queues = calloc(snap->nqueues + 1, sizeof(*s->queues));
	if (!s->devs || !s->queues) {
		sorted_snap_free(s);
		return -ENOMEM;
	}
	for (i = 0; i < snap->ndevs; i++)
		s->devs[i] = &snap->devs[i];
	for (i = 0; i < snap->nqueues; i++)
		s->queues[i] = &snap->queues[i];
	s->ndevs = snap->ndevs;
	s->nqueues = snap->nqueues;
	qsort(s->devs, s->ndevs, sizeof(*s->devs), cmp_dev_ptr);
	qsort(s->queues, s->nqueues, sizeof(*s->queues), cmp_queue_ptr);
	return 0;
}

static const struct vtop_dev_snap *find_dev(const struct sorted_snap *s, uint32_t dev)
{
	size_t lo = 0, hi = s->ndevs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->devs[mid]->dev == dev)
			return s->devs[mid];
		if (s->devs[mid]->dev < dev)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct vtop_queue_snap *find_queue(const struct sorted_snap *s,
						uint32_t dev, uint32_t queue)
{
	size_t lo = 0, hi = s->nqueues;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_queue_key(s->queues[mid]->dev, s->queues[mid]->queue, dev, queue);

		if (!c)
			return s->queues[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static uint64_t delta(uint64_t newer, uint64_t older)
{
	return newer >= older ? newer - older : newer;
}

static double per_second(uint64_t count, uint64_t interval_ns)
{
	if (!interval_ns)
		return 0;
	return (double)count * 1e9 / (double)interval_ns;
}

static double age_ms(uint64_t since_ns, uint64_t now_ns)
{
	if (!since_ns)
		return -1;
	if (since_ns >= now_ns)
		return 0;
	return (double)(now_ns - since_ns) / 1e6;
}

static void hist_delta(uint64_t *out, const __u64 *newer, const __u64 *older)
{
	unsigned int i;

	for (i = 0; i < VTOP_HIST_SLOTS; i++)
		out[i] = delta(newer[i], older[i]);
}

static struct vtop_latency latency_of(const uint64_t *hist, uint64_t sum_ns)
{
	struct vtop_latency lat = { .count = hist_total(hist, VTOP_HIST_SLOTS) };

	if (!lat.count)
		return lat;
	lat.p50_ns = hist_percentile(hist, VTOP_HIST_SLOTS, 50);
	lat.p99_ns = hist_percentile(hist, VTOP_HIST_SLOTS, 99);
	lat.avg_ns = sum_ns / lat.count;
	return lat;
}

static uint64_t sum_u64(const __u64 *v, unsigned int n)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += v[i];
	return total;
}

/* True when a counter of @newer is below @older's: the entry started over. */
static bool queue_restarted(const struct vtop_queue_stats *newer,
			    const struct vtop_queue_stats *older)
{
	return newer->pops < older->pops || newer->pushes < older->pushes ||
	       newer->irq_injects < older->irq_injects ||
	       sum_u64(newer->kicks, VTOP_KICK_MODES) < sum_u64(older->kicks, VTOP_KICK_MODES) ||
	       sum_u64(newer->irq_delivers, VTOP_IRQ_OUTCOMES) <
	       sum_u64(older->irq_delivers, VTOP_IRQ_OUTCOMES);
}

static uint64_t dev_msgs_total(const struct vtop_dev_stats *st)
{
	uint64_t total = 0;
	unsigned int t;

	for (t = 0; t < VTOP_MSG_TYPES; t++)
		total += sum_u64(st->msgs[t], VTOP_MSG_RESULTS);
	return total;
}

static uint64_t dev_timeouts_total(const struct vtop_dev_stats *st)
{
	uint64_t total = 0;
	unsigned int t;

	for (t = 0; t < VTOP_MSG_TYPES; t++)
		total += st->msgs[t][UVDEV_TRACE_MSG_TIMEOUT];
	return total;
}

static void fill_queue(struct vtop_queue_row *row, const struct vtop_queue_snap *cur,
		       const struct vtop_queue_snap *old_entry, uint64_t interval_ns)
{
	static const struct vtop_queue_stats zero;
	const struct vtop_queue_stats *now = &cur->stats, *old = &zero;
	uint64_t wait_sum, service_sum, irq_sum;
	unsigned int i;

	if (old_entry && !queue_restarted(now, &old_entry->stats))
		old = &old_entry->stats;
	row->cur = *cur;
	for (i = 0; i < VTOP_KICK_MODES; i++) {
		row->kicks[i] = delta(now->kicks[i], old->kicks[i]);
		row->kicks_all += row->kicks[i];
	}
	row->pops = delta(now->pops, old->pops);
	row->pushes = delta(now->pushes, old->pushes);
	row->pop_bytes = delta(now->pop_bytes, old->pop_bytes);
	row->push_bytes = delta(now->push_bytes, old->push_bytes);
	row->irq_injects = delta(now->irq_injects, old->irq_injects);
	for (i = 0; i < VTOP_IRQ_OUTCOMES; i++)
		row->irq_delivers += delta(now->irq_delivers[i], old->irq_delivers[i]);
	hist_delta(row->wait_hist, now->wait_hist, old->wait_hist);
	hist_delta(row->service_hist, now->service_hist, old->service_hist);
	hist_delta(row->irq_hist, now->irq_hist, old->irq_hist);
	wait_sum = delta(now->wait_sum_ns, old->wait_sum_ns);
	service_sum = delta(now->service_sum_ns, old->service_sum_ns);
	irq_sum = delta(now->irq_sum_ns, old->irq_sum_ns);

	row->kicks_ps = per_second(row->kicks_all, interval_ns);
	row->pops_ps = per_second(row->pops, interval_ns);
	row->pushes_ps = per_second(row->pushes, interval_ns);
	row->irqs_ps = per_second(row->irq_injects, interval_ns);
	row->irqs_delivered_ps = per_second(row->irq_delivers, interval_ns);
	row->pop_bytes_ps = per_second(row->pop_bytes, interval_ns);
	row->push_bytes_ps = per_second(row->push_bytes, interval_ns);
	row->wait = latency_of(row->wait_hist, wait_sum);
	row->service = latency_of(row->service_hist, service_sum);
	row->irq = latency_of(row->irq_hist, irq_sum);
	row->visible = true;

	row->zc_maps = delta(now->zc_maps, old->zc_maps);
	row->zc_mapped_pages = delta(now->zc_mapped_pages, old->zc_mapped_pages);
	row->zc_copied_pages = delta(now->zc_copied_pages, old->zc_copied_pages);
	row->zc_fallbacks = delta(now->zc_fallbacks, old->zc_fallbacks);
	hist_delta(row->zc_complete_hist, now->zc_complete_hist, old->zc_complete_hist);
	row->zc_pct = vtop_zc_pct(row->zc_mapped_pages, row->zc_copied_pages);
	row->zc_complete = latency_of(row->zc_complete_hist,
				      delta(now->zc_complete_sum_ns, old->zc_complete_sum_ns));
}

double vtop_zc_pct(uint64_t mapped, uint64_t copied)
{
	if (!mapped && !copied)
		return -1;
	return 100.0 * (double)mapped / (double)(mapped + copied);
}

static uint64_t notif_total(const struct vtop_notif_stats *n)
{
	return n->posts + n->deliveries + n->bottom_halves +
	       sum_u64(n->waits, VTOP_WAIT_RESULTS);
}

static void fill_notif(struct vtop_dev_row *row, const struct vtop_notif_stats *now,
		       const struct vtop_notif_stats *old, uint64_t interval_ns)
{
	row->notif_posts = delta(now->posts, old->posts);
	row->notif_deliveries = delta(now->deliveries, old->deliveries);
	row->notif_merged = delta(now->merged, old->merged);
	row->notif_wakeups = delta(now->wakeups, old->wakeups);
	row->notif_wait_ends = delta(sum_u64(now->waits, VTOP_WAIT_RESULTS),
				     sum_u64(old->waits, VTOP_WAIT_RESULTS));
	row->notif_bottom_halves = delta(now->bottom_halves, old->bottom_halves);
	hist_delta(row->notif_deliver_hist, now->deliver_hist, old->deliver_hist);
	hist_delta(row->notif_wait_hist, now->wait_hist, old->wait_hist);
	row->notif_posts_ps = per_second(row->notif_posts, interval_ns);
	row->notif_deliveries_ps = per_second(row->notif_deliveries, interval_ns);
	row->notif_deliver = latency_of(row->notif_deliver_hist,
					delta(now->deliver_sum_ns, old->deliver_sum_ns));
	row->notif_wait = latency_of(row->notif_wait_hist,
				     delta(now->wait_sum_ns, old->wait_sum_ns));
}

static void fill_dev(struct vtop_dev_row *row, uint32_t dev, const struct vtop_dev_snap *cur,
		     const struct vtop_dev_snap *old_entry, uint64_t interval_ns)
{
	static const struct vtop_dev_stats zero;
	const struct vtop_dev_stats *now, *old = &zero;
	uint64_t sum_ns = 0;
	unsigned int t, r;

	row->cur.dev = dev;
	if (cur) {
		row->cur = *cur;
		row->known = true;
		memcpy(row->name, cur->info.name, VTOP_NAME_MAX);
		row->name[VTOP_NAME_MAX] = '\0';
	}
	if (!row->name[0])
		snprintf(row->name, sizeof(row->name), "dev%u", dev);
	now = &row->cur.stats;
	if (old_entry && dev_msgs_total(now) >= dev_msgs_total(&old_entry->stats) &&
	    notif_total(&now->notif) >= notif_total(&old_entry->stats.notif))
		old = &old_entry->stats;
	for (t = 0; t < VTOP_MSG_TYPES; t++) {
		uint64_t hist[VTOP_HIST_SLOTS];
		unsigned int i;

		for (r = 0; r < VTOP_MSG_RESULTS; r++) {
			row->msgs_by[t][r] = delta(now->msgs[t][r], old->msgs[t][r]);
			row->msgs += row->msgs_by[t][r];
		}
		row->timeouts += row->msgs_by[t][UVDEV_TRACE_MSG_TIMEOUT];
		hist_delta(hist, now->msg_hist[t], old->msg_hist[t]);
		for (i = 0; i < VTOP_HIST_SLOTS; i++)
			row->msg_hist[i] += hist[i];
		sum_ns += delta(now->msg_sum_ns[t], old->msg_sum_ns[t]);
	}
	row->msgs_total = dev_msgs_total(now);
	row->timeouts_total = dev_timeouts_total(now);
	row->msgs_ps = per_second(row->msgs, interval_ns);
	row->msg = latency_of(row->msg_hist, sum_ns);
	fill_notif(row, &now->notif, &old->notif, interval_ns);
	row->visible = true;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Fold a device's queues into its sort keys and its state. */
static void fold_queues(struct vtop_view *v, struct vtop_dev_row *d)
{
	size_t i;

	d->state = d->own_state;
	for (i = d->first_queue; i < d->first_queue + d->nqueues; i++) {
		const struct vtop_queue_row *q = &v->queues[i];

		d->kicks_ps += q->kicks_ps;
		d->irqs_ps += q->irqs_ps;
		d->inflight += q->cur.k.inflight;
		d->wait_p99_ns = max_u64(d->wait_p99_ns, q->wait.p99_ns);
		d->service_p99_ns = max_u64(d->service_p99_ns, q->service.p99_ns);
		d->irq_p99_ns = max_u64(d->irq_p99_ns, q->irq.p99_ns);
		d->state = vtop_state_worse(d->state, q->state);
	}
	v->kicks_ps += d->kicks_ps;
	v->irqs_ps += d->irqs_ps;
	v->msgs_ps += d->msgs_ps;
	v->notif_posts_ps += d->notif_posts_ps;
}

static void judge(struct vtop_view *v, struct vtop_dev_row *d,
		  const struct vtop_state_opts *opts)
{
	uint64_t events = d->msgs + d->notif_posts + d->notif_deliveries +
			  d->notif_wait_ends + d->notif_bottom_halves;
	size_t i;

	if (d->known)
		d->own_state = vtop_device_own_state(&d->cur, events, v->now_ns, opts);
	else
		d->own_state = events ? VTOP_STATE_OK : VTOP_STATE_IDLE;
	for (i = d->first_queue; i < d->first_queue + d->nqueues; i++) {
		struct vtop_queue_row *q = &v->queues[i];
		struct vtop_queue_activity act = {
			.kicks = q->kicks_all, .pops = q->pops, .pushes = q->pushes,
		};

		q->state = vtop_queue_state(d->known ? &d->cur.info : NULL, &q->cur, &act,
					    v->now_ns, opts);
		q->oldest_ms = q->cur.k.inflight_since_ns ?
				age_ms(q->cur.k.inflight_since_ns, v->now_ns) : -1;
		q->pending_ms = q->cur.k.pending_since_ns ?
				age_ms(q->cur.k.pending_since_ns, v->now_ns) : -1;
	}
	d->oldest_msg_ms = d->cur.msgs_inflight ? age_ms(d->cur.oldest_msg_ns, v->now_ns) : -1;
	d->longest_wait_ms = d->cur.notif.waiters ?
			     age_ms(d->cur.notif.oldest_wait_ns, v->now_ns) : -1;
	fold_queues(v, d);
}

static void fill_header(struct vtop_view *v, const struct vtop_snapshot *older,
			const struct vtop_snapshot *newer)
{
	v->now_ns = newer->now_ns;
	v->wall_ms = newer->wall_ms;
	v->cost = newer->cost;
	memcpy(v->lifecycle, newer->lifecycle, sizeof(v->lifecycle));
	memcpy(v->drops, newer->drops, sizeof(v->drops));
	if (older && newer->now_ns > older->now_ns)
		v->interval_ns = newer->now_ns - older->now_ns;
}

int vtop_view_build(struct vtop_view *v, const struct vtop_snapshot *older,
		    const struct vtop_snapshot *newer,
		    const struct vtop_state_opts *opts)
{
	struct sorted_snap now, old;
	size_t i = 0, j = 0;
	int err;

	memset(v, 0, sizeof(*v));
	err = sorted_snap_init(&now, newer);
	if (err)
		return err;
	err = sorted_snap_init(&old, older);
	if (err)
		goto cleanup;
	err = -ENOMEM;
	/* At most one device row per device entry and per queue entry. */
	v->devs = calloc(now.ndevs + now.nqueues + 1, sizeof(*v->devs));
	v->queues = calloc(now.nqueues + 1, sizeof(*v->queues));
	if (!v->devs || !v->queues)
		goto cleanup;
	fill_header(v, older, newer);

	/* Merge the device entries with the devices of the queue entries. */
	while (i < now.ndevs || j < now.nqueues) {
		const struct vtop_dev_snap *cur = NULL;
		struct vtop_dev_row *d = &v->devs[v->ndevs];
		uint32_t dev;

		if (j >= now.nqueues || (i < now.ndevs && now.devs[i]->dev <= now.queues[j]->dev))
			dev = now.devs[i]->dev;
		else
			dev = now.queues[j]->dev;
		if (i < now.ndevs && now.devs[i]->dev == dev)
			cur = now.devs[i++];
		fill_dev(d, dev, cur, find_dev(&old, dev), v->interval_ns);
		d->first_queue = v->nqueues;
		for (; j < now.nqueues && now.queues[j]->dev == dev; j++) {
			const struct vtop_queue_snap *q = now.queues[j];
			struct vtop_queue_row *row = &v->queues[v->nqueues++];

			fill_queue(row, q, find_queue(&old, q->dev, q->queue), v->interval_ns);
			row->dev_row = v->ndevs;
			d->nqueues++;
		}
		judge(v, d, opts);
		v->ndevs++;
	}
	err = 0;

cleanup:
	sorted_snap_free(&old);
	sorted_snap_free(&now);
	if (err)
		vtop_view_free(v);
	return err;
}

void vtop_view_free(struct vtop_view *v)
{
	free(v->devs);
	free(v->queues);
	memset(v, 0, sizeof(*v));
}

void vtop_view_filter(struct vtop_view *v, const char *glob)
{
	size_t i, k;

	for (i = 0; i < v->ndevs; i++) {
		struct vtop_dev_row *d = &v->devs[i];
		bool whole = !glob || !glob[0] || !fnmatch(glob, d->name, 0);

		d->visible = whole;
		for (k = d->first_queue; k < d->first_queue + d->nqueues; k++) {
			struct vtop_queue_row *q = &v->queues[k];
			char path[VTOP_NAME_MAX + 16];

			snprintf(path, sizeof(path), "%s/%u", d->name, q->cur.queue);
			q->visible = whole || !fnmatch(glob, path, 0);
			if (q->visible)
				d->visible = true;
		}
	}
}

unsigned int vtop_view_states_seen(const struct vtop_view *v)
{
	unsigned int seen = 0;
	size_t i;

	for (i = 0; i < v->ndevs; i++)
		if (v->devs[i].visible)
			seen |= VTOP_STATE_BIT(v->devs[i].state);
	for (i = 0; i < v->nqueues; i++)
		if (v->queues[i].visible)
			seen |= VTOP_STATE_BIT(v->queues[i].state);
	return seen;
}

bool vtop_dev_has_notif(const struct vtop_dev_row *d)
{
	return d->cur.notif.notif_max || d->cur.notif.waiters ||
	       notif_total(&d->cur.stats.notif);
}

const struct vtop_dev_row *vtop_view_dev(const struct vtop_view *v, uint32_t dev)
{
	size_t i;

	for (i = 0; i < v->ndevs; i++)
		if (v->devs[i].cur.dev == dev)
			return &v->devs[i];
	return NULL;
}

const struct vtop_queue_row *vtop_view_queue(const struct vtop_view *v,
					     uint32_t dev, uint32_t queue)
{
	const struct vtop_dev_row *d = vtop_view_dev(v, dev);
	size_t i;

	if (!d)
		return NULL;
	for (i = d->first_queue; i < d->first_queue + d->nqueues; i++)
		if (v->queues[i].cur.queue == queue)
			return &v->queues[i];
	return NULL;
}
