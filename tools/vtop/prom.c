// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text format (see prom.h). Metric names follow the Prometheus
 * conventions: base units (seconds, bytes), _total on counters, one HELP
 * and TYPE line per family.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "hist.h"
#include "names.h"
#include "prom.h"
#include "version.h"

void vtop_prom_put_seconds(FILE *out, uint64_t ns)
{
	char frac[16];
	int len;

	len = snprintf(frac, sizeof(frac), "%09" PRIu64, ns % UINT64_C(1000000000));
	while (len > 0 && frac[len - 1] == '0')
		frac[--len] = '\0';
	if (len)
		fprintf(out, "%" PRIu64 ".%s", ns / UINT64_C(1000000000), frac);
	else
		fprintf(out, "%" PRIu64, ns / UINT64_C(1000000000));
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* "name{device="..",queue=".."": the caller adds labels and the value. */
static void series(FILE *out, const char *name, const char *suffix,
		   const struct vtop_dev_row *d, const struct vtop_queue_row *q)
{
	fprintf(out, "%s%s{device=", name, suffix);
	vtop_put_prom_label(out, d->name, sizeof(d->name));
	if (q)
		fprintf(out, ",queue=\"%u\"", q->cur.queue);
}

static void label(FILE *out, const char *key, const char *value)
{
	fprintf(out, ",%s=", key);
	vtop_put_prom_label(out, value, strlen(value));
}

static void value_u64(FILE *out, uint64_t v)
{
	fprintf(out, "} %" PRIu64 "\n", v);
}

static void value_seconds(FILE *out, uint64_t ns)
{
	fputs("} ", out);
	vtop_prom_put_seconds(out, ns);
	fputc('\n', out);
}

/*
 * Buckets: the first one ends at the first log2 slot that reaches 1 us
 * (slot 9, up to 1023 ns) and counts every faster slot too: each uvdev
 * latency spans a wake-up of user space or a work item, never less than
 * a microsecond, so finer buckets would be series that stay at zero. Then
 * one bucket per slot up to slot 39 (2^40 - 1 ns, 18 min); slower slots
 * count only in +Inf. It keeps the series per histogram few and fixed.
 */
#define BUCKET_FIRST	9
#define BUCKET_LAST	(VTOP_HIST_SLOTS - 2 < 39 ? VTOP_HIST_SLOTS - 2 : 39)
_Static_assert((1ULL << BUCKET_FIRST) < 1000 && (2ULL << BUCKET_FIRST) > 1000,
	       "the first bucket is the first slot that reaches 1 us");

static void bucket_labels(FILE *out, const char *name, const struct vtop_dev_row *d,
			  const struct vtop_queue_row *q, const char *type)
{
	series(out, name, "_bucket", d, q);
	if (type)
		label(out, "type", type);
}

/*
 * A log2 histogram as cumulative buckets: slot i holds integer
 * nanoseconds up to hist_slot_high(i).
 */
static void histogram(FILE *out, const char *name, const struct vtop_dev_row *d,
		      const struct vtop_queue_row *q, const char *type,
		      const __u64 *slots, uint64_t sum_ns)
{
	uint64_t cumulative = 0;
	unsigned int i;

	for (i = 0; i < BUCKET_FIRST; i++)
		cumulative += slots[i];
	for (i = BUCKET_FIRST; i <= BUCKET_LAST; i++) {
		cumulative += slots[i];
		bucket_labels(out, name, d, q, type);
		fputs(",le=\"", out);
		vtop_prom_put_seconds(out, hist_slot_high(i));
		fprintf(out, "\"} %" PRIu64 "\n", cumulative);
	}
	for (; i < VTOP_HIST_SLOTS; i++)
		cumulative += slots[i];
	bucket_labels(out, name, d, q, type);
	fprintf(out, ",le=\"+Inf\"} %" PRIu64 "\n", cumulative);
	series(out, name, "_sum", d, q);
	if (type)
		label(out, "type", type);
	value_seconds(out, sum_ns);
	series(out, name, "_count", d, q);
	if (type)
		label(out, "type", type);
	value_u64(out, cumulative);
}

/* A gauge with one label, always 1: what vtop is. */
static void info_gauge(FILE *out, const char *name, const char *help, const char *key,
		       const char *value)
{
	family(out, name, "gauge", help);
	fprintf(out, "%s{%s=", name, key);
	vtop_put_prom_label(out, value, strlen(value));
	fputs("} 1\n", out);
}

/* vtop itself: what it is, when it last sampled, its own cost. */
static void self_metrics(FILE *out, const struct vtop_view *v, const char *mode)
{
	double ns = vtop_cost_ns_per_event(&v->cost);
	unsigned int i;

	info_gauge(out, "vtop_build_info", "vtop's version; always 1.", "version",
		   VTOP_VERSION);
	info_gauge(out, "vtop_attach_mode", "How vtop's BPF programs are attached "
		   "(tp_btf, or raw_tp without module BTF); always 1.", "mode", mode);
	family(out, "vtop_last_sample_timestamp_seconds", "gauge",
	       "When vtop last read its BPF maps (Unix time).");
	fprintf(out, "vtop_last_sample_timestamp_seconds %" PRId64 ".%03" PRId64 "\n",
		v->wall_ms / 1000, v->wall_ms % 1000);
	family(out, "vtop_bpf_seconds_per_event", "gauge",
	       "Run time of vtop's BPF programs per uvdev event, at the last measurement "
	       "(a gauge: do not rate() it); absent until one.");
	if (ns >= 0)
		fprintf(out, "vtop_bpf_seconds_per_event %.6e\n", ns / 1e9);
	family(out, "vtop_drops_total", "counter",
	       "What vtop could not record: a map or its ring buffer was full, "
	       "or memory for an entry was short.");
	for (i = 0; i < VTOP_DROP_KINDS; i++)
		fprintf(out, "vtop_drops_total{kind=\"%s\"} %" PRIu64 "\n",
			vtop_drop_name(i), v->drops[i]);
}

static void global_metrics(FILE *out, const struct vtop_view *v)
{
	family(out, "uvdev_devices_created_total", "counter",
	       "uvdev devices created since vtop attached.");
	fprintf(out, "uvdev_devices_created_total %" PRIu64 "\n",
		v->lifecycle[VTOP_LC_DEV_CREATE]);
	family(out, "uvdev_devices_destroyed_total", "counter",
	       "uvdev devices destroyed since vtop attached.");
	fprintf(out, "uvdev_devices_destroyed_total %" PRIu64 "\n",
		v->lifecycle[VTOP_LC_DEV_DESTROY]);
}

/* One family with one plain value per device. */
static void device_family(FILE *out, const struct vtop_view *v, const char *name,
			  const char *type, const char *help,
			  uint64_t (*get)(const struct vtop_dev_row *d))
{
	size_t i;

	family(out, name, type, help);
	for (i = 0; i < v->ndevs; i++) {
		series(out, name, "", &v->devs[i], NULL);
		value_u64(out, get(&v->devs[i]));
	}
}

static uint64_t dev_status(const struct vtop_dev_row *d)
{
	return d->cur.info.status;
}

static uint64_t dev_broken(const struct vtop_dev_row *d)
{
	return d->cur.info.broken ? 1 : 0;
}

static uint64_t dev_msgs_inflight(const struct vtop_dev_row *d)
{
	return d->cur.msgs_inflight;
}

static uint64_t dev_config_injects(const struct vtop_dev_row *d)
{
	return d->cur.stats.config_irq_injects;
}

static uint64_t dev_config_delivers(const struct vtop_dev_row *d)
{
	return d->cur.stats.config_irq_delivers;
}

static uint64_t dev_status_changes(const struct vtop_dev_row *d)
{
	return d->cur.stats.status_changes;
}

static uint64_t age_ns(uint64_t since_ns, uint64_t now_ns)
{
	return since_ns && since_ns < now_ns ? now_ns - since_ns : 0;
}

/* Types with a name, and others once they were seen. */
static bool msg_type_exported(const struct vtop_dev_row *d, unsigned int type)
{
	unsigned int r;

	if (vtop_msg_type_name(type))
		return true;
	for (r = 0; r < VTOP_MSG_RESULTS; r++)
		if (d->cur.stats.msgs[type][r])
			return true;
	return false;
}

static uint64_t dev_notif_posts(const struct vtop_dev_row *d)
{
	return d->cur.stats.notif.posts;
}

static uint64_t dev_notif_merged(const struct vtop_dev_row *d)
{
	return d->cur.stats.notif.merged;
}

static uint64_t dev_notif_wakeups(const struct vtop_dev_row *d)
{
	return d->cur.stats.notif.wakeups;
}

static uint64_t dev_notif_bottom_halves(const struct vtop_dev_row *d)
{
	return d->cur.stats.notif.bottom_halves;
}

static uint64_t dev_notif_waiters(const struct vtop_dev_row *d)
{
	return d->cur.notif.waiters;
}

/* Notifications: counters and histograms from BPF, waiters from the kernel. */
static void notif_metrics(FILE *out, const struct vtop_view *v)
{
	static const char *const outcomes[] = { "woke", "unwaited", "bottom_half" };
	unsigned int o, r;
	size_t i;

	device_family(out, v, "uvdev_device_notif_posts_total", "counter",
		      "Notification values the backend posted.", dev_notif_posts);
	family(out, "uvdev_device_notif_deliveries_total", "counter",
	       "Notification values the top half took, by outcome: a key that woke its "
	       "waiters, a key no one waited for (remembered), the bottom-half value.");
	for (i = 0; i < v->ndevs; i++) {
		const struct vtop_notif_stats *n = &v->devs[i].cur.stats.notif;
		const uint64_t counts[] = { n->woke, n->unwaited, n->bh_requests };

		for (o = 0; o < sizeof(outcomes) / sizeof(outcomes[0]); o++) {
			series(out, "uvdev_device_notif_deliveries_total", "", &v->devs[i], NULL);
			label(out, "outcome", outcomes[o]);
			value_u64(out, counts[o]);
		}
	}
	device_family(out, v, "uvdev_device_notif_merged_total", "counter",
		      "Posts of a value not delivered yet, merged into its delivery.",
		      dev_notif_merged);
	device_family(out, v, "uvdev_device_notif_wakeups_total", "counter",
		      "Waiters woken by a delivered key.", dev_notif_wakeups);
	device_family(out, v, "uvdev_device_notif_bottom_halves_total", "counter",
		      "Runs of the notification bottom half.", dev_notif_bottom_halves);
	family(out, "uvdev_device_notif_waits_total", "counter",
	       "Waits for a notification key that ended, by result.");
	for (i = 0; i < v->ndevs; i++) {
		for (r = 0; r < VTOP_WAIT_RESULTS; r++) {
			if (!vtop_wait_result_name(r))
				continue;
			series(out, "uvdev_device_notif_waits_total", "", &v->devs[i], NULL);
			label(out, "result", vtop_wait_result_name(r));
			value_u64(out, v->devs[i].cur.stats.notif.waits[r]);
		}
	}
	family(out, "uvdev_device_notif_delivery_seconds", "histogram",
	       "Notification latency, a value's first post to the top half taking it.");
	for (i = 0; i < v->ndevs; i++)
		histogram(out, "uvdev_device_notif_delivery_seconds", &v->devs[i], NULL, NULL,
			  v->devs[i].cur.stats.notif.deliver_hist,
			  v->devs[i].cur.stats.notif.deliver_sum_ns);
	family(out, "uvdev_device_notif_wait_seconds", "histogram",
	       "Time a wait for a notification key took, whatever its result.");
	for (i = 0; i < v->ndevs; i++)
		histogram(out, "uvdev_device_notif_wait_seconds", &v->devs[i], NULL, NULL,
			  v->devs[i].cur.stats.notif.wait_hist,
			  v->devs[i].cur.stats.notif.wait_sum_ns);
	device_family(out, v, "uvdev_device_notif_waiters", "gauge",
		      "Tasks waiting for a notification key now (the kernel's count).",
		      dev_notif_waiters);
	family(out, "uvdev_device_notif_longest_wait_seconds", "gauge",
	       "Age of the longest wait for a notification key now; 0 when none.");
	for (i = 0; i < v->ndevs; i++) {
		const struct vtop_dev_row *d = &v->devs[i];

		series(out, "uvdev_device_notif_longest_wait_seconds", "", d, NULL);
		value_seconds(out, d->cur.notif.waiters ?
			      age_ns(d->cur.notif.oldest_wait_ns, v->now_ns) : 0);
	}
}

static void device_metrics(FILE *out, const struct vtop_view *v)
{
	unsigned int t, r, s;
	char buf[16];
	size_t i;

	family(out, "uvdev_device_info", "gauge",
	       "A uvdev device: its id and virtio device id; always 1.");
	for (i = 0; i < v->ndevs; i++) {
		const struct vtop_dev_row *d = &v->devs[i];

		series(out, "uvdev_device_info", "", d, NULL);
		fprintf(out, ",dev=\"%u\",device_id=\"%u\",num_queues=\"%u\"} 1\n", d->cur.dev,
			d->cur.info.device_id, d->cur.info.num_queues);
	}
	device_family(out, v, "uvdev_device_status", "gauge", "The virtio status byte.",
		      dev_status);
	device_family(out, v, "uvdev_device_broken", "gauge",
		      "1 when a control message timed out and the device is broken.",
		      dev_broken);
	family(out, "uvdev_device_state", "gauge",
	       "1 for the device's state (the worst of its own and its queues'), 0 for the others.");
	for (i = 0; i < v->ndevs; i++) {
		for (s = 0; s < VTOP_STATE_COUNT; s++) {
			series(out, "uvdev_device_state", "", &v->devs[i], NULL);
			label(out, "state", vtop_state_name(s));
			value_u64(out, v->devs[i].state == s);
		}
	}
	family(out, "uvdev_device_messages_total", "counter",
	       "Control messages done, by type and result.");
	for (i = 0; i < v->ndevs; i++) {
		for (t = 0; t < VTOP_MSG_TYPES; t++) {
			if (!msg_type_exported(&v->devs[i], t))
				continue;
			for (r = 0; r < VTOP_MSG_RESULTS; r++) {
				series(out, "uvdev_device_messages_total", "", &v->devs[i], NULL);
				label(out, "type", vtop_msg_type_label(t, buf, sizeof(buf)));
				label(out, "result", vtop_msg_result_name(r));
				value_u64(out, v->devs[i].cur.stats.msgs[t][r]);
			}
		}
	}
	family(out, "uvdev_device_message_seconds", "histogram",
	       "Control message latency, send to done, by type.");
	for (i = 0; i < v->ndevs; i++)
		for (t = 0; t < VTOP_MSG_TYPES; t++)
			if (msg_type_exported(&v->devs[i], t))
				histogram(out, "uvdev_device_message_seconds", &v->devs[i], NULL,
					  vtop_msg_type_label(t, buf, sizeof(buf)),
					  v->devs[i].cur.stats.msg_hist[t],
					  v->devs[i].cur.stats.msg_sum_ns[t]);
	device_family(out, v, "uvdev_device_messages_inflight", "gauge",
		      "Control messages sent and not done.", dev_msgs_inflight);
	family(out, "uvdev_device_oldest_message_seconds", "gauge",
	       "Age of the oldest control message in flight; 0 when none.");
	for (i = 0; i < v->ndevs; i++) {
		const struct vtop_dev_row *d = &v->devs[i];

		series(out, "uvdev_device_oldest_message_seconds", "", d, NULL);
		value_seconds(out, d->cur.msgs_inflight ?
			      age_ns(d->cur.oldest_msg_ns, v->now_ns) : 0);
	}
	device_family(out, v, "uvdev_device_config_irqs_injected_total", "counter",
		      "Config-change interrupts injected.", dev_config_injects);
	device_family(out, v, "uvdev_device_config_irqs_delivered_total", "counter",
		      "Config-change interrupts delivered.", dev_config_delivers);
	device_family(out, v, "uvdev_device_status_changes_total", "counter",
		      "Writes of the virtio status byte.", dev_status_changes);
	notif_metrics(out, v);
}

/* One family with one plain value per queue. */
static void queue_family(FILE *out, const struct vtop_view *v, const char *name,
			 const char *type, const char *help,
			 uint64_t (*get)(const struct vtop_queue_row *q))
{
	size_t i;

	family(out, name, type, help);
	for (i = 0; i < v->nqueues; i++) {
		series(out, name, "", &v->devs[v->queues[i].dev_row], &v->queues[i]);
		value_u64(out, get(&v->queues[i]));
	}
}

static uint64_t q_ready(const struct vtop_queue_row *q)
{
	return q->cur.k.flags & UVDEV_QUEUE_READY ? 1 : 0;
}

static uint64_t q_size(const struct vtop_queue_row *q)
{
	return q->cur.k.size;
}

static uint64_t q_pops(const struct vtop_queue_row *q)
{
	return q->cur.stats.pops;
}

static uint64_t q_pushes(const struct vtop_queue_row *q)
{
	return q->cur.stats.pushes;
}

static uint64_t q_resubmits(const struct vtop_queue_row *q)
{
	return q->cur.stats.resubmits;
}

static uint64_t q_failed(const struct vtop_queue_row *q)
{
	return q->cur.stats.failed;
}

static uint64_t q_irq_injects(const struct vtop_queue_row *q)
{
	return q->cur.stats.irq_injects;
}

static uint64_t q_inflight(const struct vtop_queue_row *q)
{
	return q->cur.k.inflight;
}

static uint64_t q_pending(const struct vtop_queue_row *q)
{
	return q->cur.k.pending;
}

static uint64_t q_inflight_since(const struct vtop_queue_row *q)
{
	return q->cur.k.inflight_since_ns;
}

static uint64_t q_pending_since(const struct vtop_queue_row *q)
{
	return q->cur.k.pending_since_ns;
}

/* One gauge per queue: the age of what @since says began, 0 when nothing. */
static void queue_age_family(FILE *out, const struct vtop_view *v, const char *name,
			     const char *help, uint64_t (*since)(const struct vtop_queue_row *q))
{
	size_t i;

	family(out, name, "gauge", help);
	for (i = 0; i < v->nqueues; i++) {
		series(out, name, "", &v->devs[v->queues[i].dev_row], &v->queues[i]);
		value_seconds(out, age_ns(since(&v->queues[i]), v->now_ns));
	}
}

static uint64_t q_zc_mapped(const struct vtop_queue_row *q)
{
	return q->cur.stats.zc_mapped_pages;
}

static uint64_t q_zc_copied(const struct vtop_queue_row *q)
{
	return q->cur.stats.zc_copied_pages;
}

static uint64_t q_zc_fallbacks(const struct vtop_queue_row *q)
{
	return q->cur.stats.zc_fallbacks;
}

static uint64_t q_zc_maps(const struct vtop_queue_row *q)
{
	return q->cur.stats.zc_maps;
}

static void queue_zc_metrics(FILE *out, const struct vtop_view *v)
{
	size_t i;

	queue_family(out, v, "uvdev_queue_zc_maps_total", "counter",
		     "Zero-copy map requests of the backend, refused ones included.", q_zc_maps);
	queue_family(out, v, "uvdev_queue_zc_mapped_pages_total", "counter",
		     "Window pages that showed a chain's own pages (zero copy).", q_zc_mapped);
	queue_family(out, v, "uvdev_queue_zc_copied_pages_total", "counter",
		     "Window pages bounced by the kernel, or asked for by refused maps.",
		     q_zc_copied);
	queue_family(out, v, "uvdev_queue_zc_fallbacks_total", "counter",
		     "Zero-copy maps refused (window full) or with a page bounced.",
		     q_zc_fallbacks);
	family(out, "uvdev_queue_zc_complete_seconds", "histogram",
	       "Time from the first push of a zero-copy completion to its reap.");
	for (i = 0; i < v->nqueues; i++)
		histogram(out, "uvdev_queue_zc_complete_seconds", &v->devs[v->queues[i].dev_row],
			  &v->queues[i], NULL, v->queues[i].cur.stats.zc_complete_hist,
			  v->queues[i].cur.stats.zc_complete_sum_ns);
}

static void queue_histograms(FILE *out, const struct vtop_view *v)
{
	size_t i;

	family(out, "uvdev_queue_wait_seconds", "histogram",
	       "Time from a kick to the pop of the chain it made available.");
	for (i = 0; i < v->nqueues; i++)
		histogram(out, "uvdev_queue_wait_seconds", &v->devs[v->queues[i].dev_row],
			  &v->queues[i], NULL, v->queues[i].cur.stats.wait_hist,
			  v->queues[i].cur.stats.wait_sum_ns);
	family(out, "uvdev_queue_service_seconds", "histogram",
	       "Time from the pop of a chain to its push (backend service).");
	for (i = 0; i < v->nqueues; i++)
		histogram(out, "uvdev_queue_service_seconds", &v->devs[v->queues[i].dev_row],
			  &v->queues[i], NULL, v->queues[i].cur.stats.service_hist,
			  v->queues[i].cur.stats.service_sum_ns);
	family(out, "uvdev_queue_irq_latency_seconds", "histogram",
	       "Time from an interrupt injection to its delivery to the driver.");
	for (i = 0; i < v->nqueues; i++)
		histogram(out, "uvdev_queue_irq_latency_seconds", &v->devs[v->queues[i].dev_row],
			  &v->queues[i], NULL, v->queues[i].cur.stats.irq_hist,
			  v->queues[i].cur.stats.irq_sum_ns);
}

static void queue_metrics(FILE *out, const struct vtop_view *v)
{
	unsigned int k, s;
	size_t i;

	queue_family(out, v, "uvdev_queue_ready", "gauge", "1 when the driver set the queue ready.",
		     q_ready);
	queue_family(out, v, "uvdev_queue_size", "gauge", "Ring size; 0 before setup.", q_size);
	family(out, "uvdev_queue_kicks_total", "counter",
	       "Kicks from the driver, by what became of them.");
	for (i = 0; i < v->nqueues; i++) {
		for (k = 0; k < VTOP_KICK_MODES; k++) {
			if (!vtop_kick_mode_name(k))
				continue;
			series(out, "uvdev_queue_kicks_total", "", &v->devs[v->queues[i].dev_row],
			       &v->queues[i]);
			label(out, "mode", vtop_kick_mode_name(k));
			value_u64(out, v->queues[i].cur.stats.kicks[k]);
		}
	}
	queue_family(out, v, "uvdev_queue_pops_total", "counter",
		     "Chains popped by the backend.", q_pops);
	queue_family(out, v, "uvdev_queue_pushes_total", "counter",
		     "Chains pushed back to the driver.", q_pushes);
	queue_family(out, v, "uvdev_queue_resubmits_total", "counter",
		     "Chains popped again after a backend restart (counted in pops too).",
		     q_resubmits);
	queue_family(out, v, "uvdev_queue_failed_total", "counter",
		     "Chains failed back to the driver by a broken device (counted in pushes too).",
		     q_failed);
	family(out, "uvdev_queue_bytes_total", "counter",
	       "Bytes of the chains popped (direction=\"pop\", whole chains) and written back "
	       "with pushes (direction=\"push\", used length).");
	for (i = 0; i < v->nqueues; i++) {
		const struct vtop_queue_row *q = &v->queues[i];

		series(out, "uvdev_queue_bytes_total", "", &v->devs[q->dev_row], q);
		label(out, "direction", "pop");
		value_u64(out, q->cur.stats.pop_bytes);
		series(out, "uvdev_queue_bytes_total", "", &v->devs[q->dev_row], q);
		label(out, "direction", "push");
		value_u64(out, q->cur.stats.push_bytes);
	}
	queue_family(out, v, "uvdev_queue_irqs_injected_total", "counter",
		     "Interrupts injected by the backend.", q_irq_injects);
	family(out, "uvdev_queue_irqs_delivered_total", "counter",
	       "Interrupts delivered to the driver, by outcome.");
	for (i = 0; i < v->nqueues; i++) {
		for (k = 0; k < VTOP_IRQ_OUTCOMES; k++) {
			if (!vtop_irq_outcome_name(k))
				continue;
			series(out, "uvdev_queue_irqs_delivered_total", "",
			       &v->devs[v->queues[i].dev_row], &v->queues[i]);
			label(out, "outcome", vtop_irq_outcome_name(k));
			value_u64(out, v->queues[i].cur.stats.irq_delivers[k]);
		}
	}
	queue_family(out, v, "uvdev_queue_inflight", "gauge",
		     "Chains popped and not pushed yet.", q_inflight);
	queue_age_family(out, v, "uvdev_queue_oldest_inflight_seconds",
			 "Age of the oldest chain in flight; 0 when none.", q_inflight_since);
	queue_family(out, v, "uvdev_queue_pending", "gauge",
		     "Chains available and not popped yet (on a receive queue: buffers posted).",
		     q_pending);
	queue_age_family(out, v, "uvdev_queue_oldest_pending_seconds",
			 "Age of the oldest chain available and not popped, from its kick; 0 when none.",
			 q_pending_since);
	queue_histograms(out, v);
	family(out, "uvdev_queue_state", "gauge",
	       "1 for the queue's state, 0 for the others.");
	for (i = 0; i < v->nqueues; i++) {
		for (s = 0; s < VTOP_STATE_COUNT; s++) {
			series(out, "uvdev_queue_state", "", &v->devs[v->queues[i].dev_row],
			       &v->queues[i]);
			label(out, "state", vtop_state_name(s));
			value_u64(out, v->queues[i].state == s);
		}
	}
	queue_zc_metrics(out, v);
}

int vtop_prom_render(FILE *out, const struct vtop_view *v, const char *mode)
{
	self_metrics(out, v, mode);
	global_metrics(out, v);
	device_metrics(out, v);
	queue_metrics(out, v);
	return ferror(out) ? -EIO : 0;
}
