// SPDX-License-Identifier: GPL-2.0
/*
 * JSON lines and CSV (see output.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "names.h"
#include "output.h"

#define JSON_MAX_DEPTH	8	/* the deepest document here nests 6 levels */

/* A streaming JSON writer: it places the commas. */
struct json {
	FILE *out;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool after_key;
};

static void json_sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	if (!j->first[j->depth - 1])
		fputc(',', j->out);
	j->first[j->depth - 1] = false;
}

static void json_open(struct json *j, char c)
{
	json_sep(j);
	fputc(c, j->out);
	if (j->depth == JSON_MAX_DEPTH)
		abort();	/* a bug in this file, not bad input */
	j->first[j->depth++] = true;
}

static void json_close(struct json *j, char c)
{
	fputc(c, j->out);
	j->depth--;
}

static void json_key(struct json *j, const char *key)
{
	json_sep(j);
	vtop_put_json_string(j->out, key, strlen(key));
	fputc(':', j->out);
	j->after_key = true;
}

static void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_sep(j);
	fprintf(j->out, "%" PRIu64, v);
}

static void json_i64(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_sep(j);
	fprintf(j->out, "%" PRId64, v);
}

static void json_null(struct json *j, const char *key)
{
	json_key(j, key);
	json_sep(j);
	fputs("null", j->out);
}

/* Rates, ages and intervals: three decimals. */
static void json_fixed(struct json *j, const char *key, double v)
{
	json_key(j, key);
	json_sep(j);
	fprintf(j->out, "%.3f", v);
}

/* A value where < 0 means none. */
static void json_fixed_or_null(struct json *j, const char *key, double v)
{
	if (v < 0)
		json_null(j, key);
	else
		json_fixed(j, key, v);
}

/* A percentile, null when the interval has no sample. */
static void json_pct(struct json *j, const char *key, const struct vtop_latency *lat,
		     uint64_t value)
{
	if (lat->count)
		json_u64(j, key, value);
	else
		json_null(j, key);
}

static void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_sep(j);
	fputs(v ? "true" : "false", j->out);
}

static void json_str(struct json *j, const char *key, const char *s, size_t len)
{
	json_key(j, key);
	json_sep(j);
	vtop_put_json_string(j->out, s, len);
}

static void json_cstr(struct json *j, const char *key, const char *s)
{
	json_str(j, key, s, strlen(s));
}

static void json_time(struct json *j, int64_t wall_ms)
{
	time_t secs = (time_t)(wall_ms / 1000);
	char buf[40];
	struct tm tm;

	if (!gmtime_r(&secs, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm)) {
		json_null(j, "time");
		return;
	}
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%03dZ",
		 (int)(wall_ms % 1000 + 1000) % 1000);
	json_cstr(j, "time", buf);
}

static void json_queue_totals(struct json *j, const struct vtop_queue_stats *st)
{
	unsigned int i;

	json_key(j, "totals");
	json_open(j, '{');
	json_key(j, "kicks");
	json_open(j, '{');
	for (i = 0; i < VTOP_KICK_MODES; i++)
		if (vtop_kick_mode_name(i))
			json_u64(j, vtop_kick_mode_name(i), st->kicks[i]);
	json_close(j, '}');
	json_u64(j, "pops", st->pops);
	json_u64(j, "resubmits", st->resubmits);
	json_u64(j, "failed", st->failed);
	json_u64(j, "pushes", st->pushes);
	json_u64(j, "pop_bytes", st->pop_bytes);
	json_u64(j, "push_bytes", st->push_bytes);
	json_u64(j, "irqs_injected", st->irq_injects);
	json_key(j, "irqs_delivered");
	json_open(j, '{');
	for (i = 0; i < VTOP_IRQ_OUTCOMES; i++)
		if (vtop_irq_outcome_name(i))
			json_u64(j, vtop_irq_outcome_name(i), st->irq_delivers[i]);
	json_close(j, '}');
	json_u64(j, "wait_sum_ns", st->wait_sum_ns);
	json_u64(j, "service_sum_ns", st->service_sum_ns);
	json_u64(j, "irq_sum_ns", st->irq_sum_ns);
	json_u64(j, "zc_maps", st->zc_maps);
	json_u64(j, "zc_mapped_pages", st->zc_mapped_pages);
	json_u64(j, "zc_copied_pages", st->zc_copied_pages);
	json_u64(j, "zc_fallbacks", st->zc_fallbacks);
	json_u64(j, "zc_completions", st->zc_completions);
	json_u64(j, "zc_complete_sum_ns", st->zc_complete_sum_ns);
	json_close(j, '}');
}

static void json_queue(struct json *j, const struct vtop_queue_row *q)
{
	json_open(j, '{');
	json_u64(j, "queue", q->cur.queue);
	json_cstr(j, "state", vtop_state_name(q->state));
	json_bool(j, "ready", q->cur.k.flags & UVDEV_QUEUE_READY);
	json_bool(j, "receive", q->cur.k.flags & UVDEV_QUEUE_RECEIVE);
	json_u64(j, "size", q->cur.k.size);
	json_fixed(j, "kicks_per_s", q->kicks_ps);
	json_fixed(j, "pops_per_s", q->pops_ps);
	json_fixed(j, "pushes_per_s", q->pushes_ps);
	json_fixed(j, "irqs_per_s", q->irqs_ps);
	json_fixed(j, "irqs_delivered_per_s", q->irqs_delivered_ps);
	json_fixed(j, "pop_bytes_per_s", q->pop_bytes_ps);
	json_fixed(j, "push_bytes_per_s", q->push_bytes_ps);
	/* On a receive queue, the chains waiting are buffers posted. */
	json_u64(j, "pending", q->cur.k.pending);
	json_fixed_or_null(j, "oldest_pending_ms", q->pending_ms);
	json_u64(j, "inflight", q->cur.k.inflight);
	json_fixed_or_null(j, "oldest_inflight_ms", q->oldest_ms);
	json_pct(j, "wait_p50_ns", &q->wait, q->wait.p50_ns);
	json_pct(j, "wait_p99_ns", &q->wait, q->wait.p99_ns);
	json_pct(j, "service_p50_ns", &q->service, q->service.p50_ns);
	json_pct(j, "service_p99_ns", &q->service, q->service.p99_ns);
	json_pct(j, "irq_p50_ns", &q->irq, q->irq.p50_ns);
	json_pct(j, "irq_p99_ns", &q->irq, q->irq.p99_ns);
	json_fixed_or_null(j, "zero_copy_pct", q->zc_pct);
	json_queue_totals(j, &q->cur.stats);
	json_u64(j, "zc_fallbacks", q->zc_fallbacks);
	json_pct(j, "zc_complete_p50_ns", &q->zc_complete, q->zc_complete.p50_ns);
	json_pct(j, "zc_complete_p99_ns", &q->zc_complete, q->zc_complete.p99_ns);
	json_close(j, '}');
}

static bool msg_type_shown(const struct vtop_dev_stats *st, unsigned int type)
{
	unsigned int r;

	if (vtop_msg_type_name(type))
		return true;
	for (r = 0; r < VTOP_MSG_RESULTS; r++)
		if (st->msgs[type][r])
			return true;
	return false;
}

static void json_msgs_total(struct json *j, const struct vtop_dev_stats *st)
{
	unsigned int t, r;

	json_key(j, "msgs_total");
	json_open(j, '{');
	for (t = 0; t < VTOP_MSG_TYPES; t++) {
		char label[16];

		if (!msg_type_shown(st, t))
			continue;
		json_key(j, vtop_msg_type_label(t, label, sizeof(label)));
		json_open(j, '{');
		for (r = 0; r < VTOP_MSG_RESULTS; r++)
			json_u64(j, vtop_msg_result_name(r), st->msgs[t][r]);
		json_close(j, '}');
	}
	json_close(j, '}');
}

/* Notifications: interval figures, the kernel's waiters, totals from BPF. */
static void json_notif(struct json *j, const struct vtop_dev_row *d)
{
	const struct vtop_notif_stats *n = &d->cur.stats.notif;
	unsigned int r;

	json_u64(j, "notif_max", d->cur.notif.notif_max);
	json_fixed(j, "notif_posts_per_s", d->notif_posts_ps);
	json_fixed(j, "notif_deliveries_per_s", d->notif_deliveries_ps);
	json_pct(j, "notif_deliver_p50_ns", &d->notif_deliver, d->notif_deliver.p50_ns);
	json_pct(j, "notif_deliver_p99_ns", &d->notif_deliver, d->notif_deliver.p99_ns);
	json_pct(j, "notif_wait_p50_ns", &d->notif_wait, d->notif_wait.p50_ns);
	json_pct(j, "notif_wait_p99_ns", &d->notif_wait, d->notif_wait.p99_ns);
	json_u64(j, "notif_waiters", d->cur.notif.waiters);
	json_fixed_or_null(j, "notif_longest_wait_ms", d->longest_wait_ms);
	json_u64(j, "notif_remembered_now", d->cur.notif.remembered_now);
	json_key(j, "notif_total");
	json_open(j, '{');
	json_u64(j, "posts", n->posts);
	json_u64(j, "deliveries", n->deliveries);
	json_u64(j, "merged", n->merged);
	json_u64(j, "woke", n->woke);
	json_u64(j, "wakeups", n->wakeups);
	json_u64(j, "unwaited", n->unwaited);
	json_u64(j, "bh_requests", n->bh_requests);
	json_u64(j, "bottom_halves", n->bottom_halves);
	json_key(j, "waits");
	json_open(j, '{');
	for (r = 0; r < VTOP_WAIT_RESULTS; r++)
		if (vtop_wait_result_name(r))
			json_u64(j, vtop_wait_result_name(r), n->waits[r]);
	json_close(j, '}');
	json_u64(j, "deliver_sum_ns", n->deliver_sum_ns);
	json_u64(j, "wait_sum_ns", n->wait_sum_ns);
	json_close(j, '}');
}

static void json_device(struct json *j, const struct vtop_view *v, const struct vtop_dev_row *d)
{
	size_t i;

	json_open(j, '{');
	json_u64(j, "dev", d->cur.dev);
	json_str(j, "name", d->name, sizeof(d->name));
	json_bool(j, "known", d->known);
	json_u64(j, "device_id", d->cur.info.device_id);
	json_u64(j, "num_queues", d->cur.info.num_queues);
	json_u64(j, "status", d->cur.info.status);
	json_bool(j, "broken", d->cur.info.broken);
	json_cstr(j, "state", vtop_state_name(d->state));
	json_cstr(j, "own_state", vtop_state_name(d->own_state));
	json_fixed(j, "msgs_per_s", d->msgs_ps);
	json_pct(j, "msg_p50_ns", &d->msg, d->msg.p50_ns);
	json_pct(j, "msg_p99_ns", &d->msg, d->msg.p99_ns);
	json_u64(j, "msgs_inflight", d->cur.msgs_inflight);
	json_fixed_or_null(j, "oldest_msg_ms", d->oldest_msg_ms);
	json_u64(j, "timeouts", d->timeouts);
	json_u64(j, "timeouts_total", d->timeouts_total);
	json_msgs_total(j, &d->cur.stats);
	json_u64(j, "config_irqs_injected_total", d->cur.stats.config_irq_injects);
	json_u64(j, "config_irqs_delivered_total", d->cur.stats.config_irq_delivers);
	json_u64(j, "status_changes_total", d->cur.stats.status_changes);
	json_notif(j, d);
	json_key(j, "queues");
	json_open(j, '[');
	for (i = d->first_queue; i < d->first_queue + d->nqueues; i++)
		if (v->queues[i].visible)
			json_queue(j, &v->queues[i]);
	json_close(j, ']');
	json_close(j, '}');
}

static void json_event(struct json *j, const struct vtop_view *v,
		       const struct vtop_event_batch *b, size_t i)
{
	const struct vtop_event *ev = &b->ev[i];
	char label[16];
	int64_t age_ms = ev->ns < v->now_ns ? (int64_t)((v->now_ns - ev->ns) / 1000000) : 0;

	json_open(j, '{');
	json_cstr(j, "type", vtop_event_type_name(ev->type));
	json_i64(j, "time_ms", v->wall_ms - age_ms);
	json_u64(j, "ns", ev->ns);
	json_u64(j, "dev", ev->dev);
	json_str(j, "device", b->names[i], sizeof(b->names[i]));
	switch (ev->type) {
	case VTOP_EV_DEV_CREATE:
		json_u64(j, "device_id", ev->a);
		json_u64(j, "num_queues", ev->b);
		break;
	case VTOP_EV_DEV_DESTROY:
		break;
	case VTOP_EV_MSG_TIMEOUT:
		json_u64(j, "msg_id", ev->a);
		json_cstr(j, "msg_type", vtop_msg_type_label(ev->b, label, sizeof(label)));
		break;
	case VTOP_EV_STATUS:
		json_u64(j, "old_status", ev->a);
		json_u64(j, "new_status", ev->b);
		break;
	case VTOP_EV_VQ_SETUP:
		json_u64(j, "queue", ev->queue);
		json_u64(j, "size", ev->a);
		json_bool(j, "ready", ev->b);
		break;
	default:
		json_u64(j, "queue", ev->queue);
		json_u64(j, "a", ev->a);
		json_u64(j, "b", ev->b);
		break;
	}
	json_close(j, '}');
}

/* vtop's own BPF: its cost per event. */
static void json_bpf(struct json *j, const struct vtop_view *v)
{
	char note[128];

	json_key(j, "bpf");
	json_open(j, '{');
	json_cstr(j, "cost", vtop_cost_state_name(v->cost.state));
	json_fixed_or_null(j, "ns_per_event", vtop_cost_ns_per_event(&v->cost));
	json_u64(j, "events_measured", v->cost.state == VTOP_COST_MEASURED ? v->cost.runs : 0);
	json_bool(j, "stats_on_elsewhere", v->cost.elsewhere);
	json_cstr(j, "cost_note", vtop_cost_describe(&v->cost, note, sizeof(note)));
	json_close(j, '}');
}

int vtop_output_json(FILE *out, const struct vtop_view *v,
		     const struct vtop_event_batch *events, const char *mode)
{
	struct json j = { .out = out };
	size_t i;

	json_open(&j, '{');
	json_time(&j, v->wall_ms);
	json_i64(&j, "time_ms", v->wall_ms);
	json_fixed(&j, "interval_ms", (double)v->interval_ns / 1e6);
	json_cstr(&j, "mode", mode);
	json_bpf(&j, v);
	json_key(&j, "lifecycle");
	json_open(&j, '{');
	json_u64(&j, "dev_create", v->lifecycle[VTOP_LC_DEV_CREATE]);
	json_u64(&j, "dev_destroy", v->lifecycle[VTOP_LC_DEV_DESTROY]);
	json_close(&j, '}');
	json_key(&j, "drops");
	json_open(&j, '{');
	for (i = 0; i < VTOP_DROP_KINDS; i++)
		json_u64(&j, vtop_drop_name(i), v->drops[i]);
	json_close(&j, '}');
	json_fixed(&j, "kicks_per_s", v->kicks_ps);
	json_fixed(&j, "irqs_per_s", v->irqs_ps);
	json_fixed(&j, "msgs_per_s", v->msgs_ps);
	json_fixed(&j, "notif_posts_per_s", v->notif_posts_ps);
	json_key(&j, "devices");
	json_open(&j, '[');
	for (i = 0; i < v->ndevs; i++)
		if (v->devs[i].visible)
			json_device(&j, v, &v->devs[i]);
	json_close(&j, ']');
	json_key(&j, "events");
	json_open(&j, '[');
	for (i = 0; events && i < events->n; i++)
		json_event(&j, v, events, i);
	json_close(&j, ']');
	json_u64(&j, "events_dropped", events ? events->dropped : 0);
	json_close(&j, '}');
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}

static const char *const csv_columns[] = {
	"time_ms", "interval_ms", "device", "dev", "queue", "state", "device_state",
	"device_status", "ready", "kicks_per_s", "pops_per_s", "pushes_per_s",
	"irqs_per_s", "irqs_delivered_per_s", "pop_bytes_per_s", "push_bytes_per_s",
	"inflight", "oldest_inflight_ms", "wait_p50_ns", "wait_p99_ns",
	"service_p50_ns", "service_p99_ns", "irq_p50_ns", "irq_p99_ns",
	"zero_copy_pct", "kicks_total", "pops_total", "pushes_total",
	"irqs_injected_total", "irqs_delivered_total", "zc_fallbacks",
	"zc_complete_p50_ns", "zc_complete_p99_ns", "zc_mapped_pages_total",
	"zc_copied_pages_total",
	/* The queue's device: its notifications. */
	"notif_posts_per_s", "notif_deliver_p50_ns", "notif_deliver_p99_ns",
	"notif_waiters", "notif_longest_wait_ms", "notif_posts_total",
	"notif_deliveries_total",
};

int vtop_output_csv_header(FILE *out)
{
	size_t i;

	for (i = 0; i < sizeof(csv_columns) / sizeof(csv_columns[0]); i++)
		fprintf(out, "%s%s", i ? "," : "", csv_columns[i]);
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}

/* A percentile cell: empty when the interval has no sample. */
static void csv_pct(FILE *out, const struct vtop_latency *lat, uint64_t value)
{
	if (lat->count)
		fprintf(out, ",%" PRIu64, value);
	else
		fputc(',', out);
}

static uint64_t sum_delivers(const struct vtop_queue_stats *st)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < VTOP_IRQ_OUTCOMES; i++)
		total += st->irq_delivers[i];
	return total;
}

static uint64_t sum_kicks(const struct vtop_queue_stats *st)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < VTOP_KICK_MODES; i++)
		total += st->kicks[i];
	return total;
}

static void csv_row(FILE *out, const struct vtop_view *v, const struct vtop_dev_row *d,
		    const struct vtop_queue_row *q)
{
	const struct vtop_queue_stats *st = &q->cur.stats;

	fprintf(out, "%" PRId64 ",%.3f,", v->wall_ms, (double)v->interval_ns / 1e6);
	vtop_put_csv_field(out, d->name, sizeof(d->name));
	fprintf(out, ",%u,%u,%s,%s,%u,%u", d->cur.dev, q->cur.queue, vtop_state_name(q->state),
		vtop_state_name(d->state), d->cur.info.status,
		q->cur.k.flags & UVDEV_QUEUE_READY ? 1 : 0);
	fprintf(out, ",%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%u", q->kicks_ps, q->pops_ps,
		q->pushes_ps, q->irqs_ps, q->irqs_delivered_ps, q->pop_bytes_ps,
		q->push_bytes_ps, q->cur.k.inflight);
	if (q->oldest_ms >= 0)
		fprintf(out, ",%.3f", q->oldest_ms);
	else
		fputc(',', out);
	csv_pct(out, &q->wait, q->wait.p50_ns);
	csv_pct(out, &q->wait, q->wait.p99_ns);
	csv_pct(out, &q->service, q->service.p50_ns);
	csv_pct(out, &q->service, q->service.p99_ns);
	csv_pct(out, &q->irq, q->irq.p50_ns);
	csv_pct(out, &q->irq, q->irq.p99_ns);
	if (q->zc_pct >= 0)
		fprintf(out, ",%.3f", q->zc_pct);
	else
		fputc(',', out);
	fprintf(out, ",%" PRIu64 ",%llu,%llu,%llu,%" PRIu64, sum_kicks(st),
		(unsigned long long)st->pops, (unsigned long long)st->pushes,
		(unsigned long long)st->irq_injects, sum_delivers(st));
	fprintf(out, ",%" PRIu64, q->zc_fallbacks);
	csv_pct(out, &q->zc_complete, q->zc_complete.p50_ns);
	csv_pct(out, &q->zc_complete, q->zc_complete.p99_ns);
	fprintf(out, ",%llu,%llu", (unsigned long long)st->zc_mapped_pages,
		(unsigned long long)st->zc_copied_pages);
	fprintf(out, ",%.3f", d->notif_posts_ps);
	csv_pct(out, &d->notif_deliver, d->notif_deliver.p50_ns);
	csv_pct(out, &d->notif_deliver, d->notif_deliver.p99_ns);
	fprintf(out, ",%u", d->cur.notif.waiters);
	if (d->longest_wait_ms >= 0)
		fprintf(out, ",%.3f", d->longest_wait_ms);
	else
		fputc(',', out);
	fprintf(out, ",%llu,%llu\n", (unsigned long long)d->cur.stats.notif.posts,
		(unsigned long long)d->cur.stats.notif.deliveries);
}

int vtop_output_csv(FILE *out, const struct vtop_view *v)
{
	size_t i, k;

	for (i = 0; i < v->ndevs; i++) {
		const struct vtop_dev_row *d = &v->devs[i];

		if (!d->visible)
			continue;
		for (k = d->first_queue; k < d->first_queue + d->nqueues; k++)
			if (v->queues[k].visible)
				csv_row(out, v, d, &v->queues[k]);
	}
	return ferror(out) ? -EIO : 0;
}
