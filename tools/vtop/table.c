// SPDX-License-Identifier: GPL-2.0
/*
 * The table of the screen and of plain text (see table.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "table.h"

#define NAME_WIDTH_MIN		6	/* "DEVICE" */
#define NAME_WIDTH_SCREEN	8	/* names are cut to this on a narrow screen */
#define STATE_WIDTH		15	/* separator, marker, "notif-stalled" */

struct col_def {
	const char *header;
	int width;			/* with the separating space */
};

static const struct col_def cols[VTOP_COL_COUNT] = {
	[VTOP_COL_NAME] = { "DEVICE", 0 },
	[VTOP_COL_QUEUE] = { "Q", 4 },
	[VTOP_COL_KICKS] = { "KICK/s", 7 },
	[VTOP_COL_POPS] = { "POP/s", 7 },
	[VTOP_COL_PUSHES] = { "PUSH/s", 7 },
	[VTOP_COL_IRQS] = { "IRQ/s", 7 },
	[VTOP_COL_BYTES] = { "BYTES/s", 8 },
	[VTOP_COL_INFLIGHT] = { "INFL", 5 },
	[VTOP_COL_OLDEST] = { "OLDEST", 7 },
	[VTOP_COL_WAIT50] = { "WAIT50", 7 },
	[VTOP_COL_WAIT99] = { "WAIT99", 7 },
	[VTOP_COL_SVC50] = { "SVC50", 7 },
	[VTOP_COL_SVC99] = { "SVC99", 7 },
	[VTOP_COL_IRQ99] = { "IRQ99", 7 },
	[VTOP_COL_ZC] = { "ZC%", 4 },
	[VTOP_COL_STATE] = { "STATE", STATE_WIDTH },
};

/* Shown on the screen whatever its width; the others only if they fit. */
static const enum vtop_col required_cols[] = {
	VTOP_COL_NAME, VTOP_COL_KICKS, VTOP_COL_IRQS, VTOP_COL_INFLIGHT,
	VTOP_COL_WAIT50, VTOP_COL_WAIT99, VTOP_COL_SVC50, VTOP_COL_SVC99,
	VTOP_COL_IRQ99, VTOP_COL_ZC, VTOP_COL_STATE,
};

static const enum vtop_col optional_cols[] = {
	VTOP_COL_POPS, VTOP_COL_PUSHES, VTOP_COL_BYTES, VTOP_COL_OLDEST,
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int longest_name(const struct vtop_view *v)
{
	int longest = NAME_WIDTH_MIN;
	size_t i;

	for (i = 0; i < v->ndevs; i++) {
		int len = (int)strnlen(v->devs[i].name, sizeof(v->devs[i].name));

		if (len > longest)
			longest = len;
	}
	return longest;
}

void vtop_table_full(struct vtop_table *t, const struct vtop_view *v)
{
	unsigned int c;

	memset(t, 0, sizeof(*t));
	for (c = 0; c < VTOP_COL_COUNT; c++)
		t->show[c] = true;
	t->name_width = longest_name(v);
}

static int table_width(const struct vtop_table *t)
{
	int width = t->name_width;
	unsigned int c;

	for (c = VTOP_COL_NAME + 1; c < VTOP_COL_COUNT; c++)
		if (t->show[c])
			width += cols[c].width;
	return width;
}

void vtop_table_fit(struct vtop_table *t, const struct vtop_view *v, int width)
{
	int longest = longest_name(v), room;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->tree = true;
	for (i = 0; i < ARRAY_SIZE(required_cols); i++)
		t->show[required_cols[i]] = true;
	t->name_width = longest < NAME_WIDTH_SCREEN ? longest : NAME_WIDTH_SCREEN;
	/* Longer names first, then more columns. */
	room = width - table_width(t);
	if (room > 0 && longest > t->name_width)
		t->name_width += room < longest - t->name_width ? room : longest - t->name_width;
	for (i = 0; i < ARRAY_SIZE(optional_cols); i++) {
		enum vtop_col c = optional_cols[i];

		if (table_width(t) + cols[c].width <= width)
			t->show[c] = true;
	}
}

void vtop_fmt_duration(uint64_t ns, char *buf, size_t len)
{
	static const char *const units[] = { "us", "ms", "s" };
	double v = (double)ns;
	unsigned int u;

	if (ns < 1000) {
		snprintf(buf, len, "%" PRIu64 "ns", ns);
		return;
	}
	for (u = 0; u < ARRAY_SIZE(units); u++) {
		v /= 1000;
		if (v < 9.95) {
			snprintf(buf, len, "%.1f%s", v, units[u]);
			return;
		}
		if (v < 999.5 || u == ARRAY_SIZE(units) - 1) {
			snprintf(buf, len, "%.0f%s", v, units[u]);
			return;
		}
	}
}

const char *vtop_fmt_cost(const struct vtop_cost *c, char *buf, size_t len)
{
	switch (c->state) {
	case VTOP_COST_MEASURED:
		snprintf(buf, len, "%.0fns/event", vtop_cost_ns_per_event(c));
		break;
	case VTOP_COST_OFF:
		snprintf(buf, len, "off");
		break;
	case VTOP_COST_UNAVAILABLE:
		snprintf(buf, len, "n/a");
		break;
	default:
		snprintf(buf, len, "-");
		break;
	}
	return buf;
}

void vtop_fmt_rate(double v, char *buf, size_t len)
{
	static const char *const suffixes[] = { "k", "M", "G", "T" };
	unsigned int s;

	if (v <= 0) {
		snprintf(buf, len, "0");
		return;
	}
	if (v < 9.95) {
		snprintf(buf, len, "%.1f", v);
		return;
	}
	if (v < 9999.5) {
		snprintf(buf, len, "%.0f", v);
		return;
	}
	for (s = 0; s < ARRAY_SIZE(suffixes); s++) {
		v /= 1000;
		if (v < 99.95) {
			snprintf(buf, len, "%.1f%s", v, suffixes[s]);
			return;
		}
		if (v < 999.5 || s == ARRAY_SIZE(suffixes) - 1) {
			snprintf(buf, len, "%.0f%s", v, suffixes[s]);
			return;
		}
	}
}

/* Append to a line, never past its end. */
struct line {
	char *buf;
	size_t len;
	size_t pos;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->pos + 1 >= l->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->pos, l->len - l->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->pos += (size_t)n < l->len - l->pos ? (size_t)n : l->len - l->pos - 1;
}

static void put_name(struct line *l, const struct vtop_table *t, const char *name)
{
	int len = (int)strlen(name);

	if (len <= t->name_width)
		put(l, "%-*s", t->name_width, name);
	else
		put(l, "%.*s~", t->name_width - 1, name);
}

static void put_cell(struct line *l, enum vtop_col c, const char *text)
{
	put(l, "%*s", cols[c].width, text);
}

/* The state cell; returns the offset of its marker. */
static int put_state(struct line *l, enum vtop_state s)
{
	int marker;

	put(l, " ");
	marker = (int)l->pos;
	put(l, "%c%s", vtop_state_is_failure(s) ? '!' : ' ', vtop_state_name(s));
	return marker;
}

int vtop_table_header(const struct vtop_table *t, char *buf, size_t len)
{
	struct line l = { buf, len, 0 };
	unsigned int c;
	int marker;

	buf[0] = '\0';
	put_name(&l, t, cols[VTOP_COL_NAME].header);
	for (c = VTOP_COL_NAME + 1; c < VTOP_COL_STATE; c++) {
		if (c == VTOP_COL_QUEUE && t->tree)
			continue;
		if (t->show[c])
			put_cell(&l, c, cols[c].header);
	}
	put(&l, " ");
	marker = (int)l.pos;
	put(&l, " %s", cols[VTOP_COL_STATE].header);
	return marker;
}

static void fmt_latency(const struct vtop_latency *lat, uint64_t value, char *buf, size_t len)
{
	if (lat->count)
		vtop_fmt_duration(value, buf, len);
	else
		snprintf(buf, len, "-");
}

static void fmt_age_ms(double ms, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else
		vtop_fmt_duration((uint64_t)(ms * 1e6), buf, len);
}

int vtop_table_queue(const struct vtop_table *t, const struct vtop_dev_row *d,
		     const struct vtop_queue_row *q, char *buf, size_t len)
{
	struct line l = { buf, len, 0 };
	char cell[32];
	unsigned int c;

	buf[0] = '\0';
	if (t->tree) {
		snprintf(cell, sizeof(cell), "  q%u", q->cur.queue);
		put_name(&l, t, cell);
	} else {
		put_name(&l, t, d->name);
	}
	for (c = VTOP_COL_NAME + 1; c < VTOP_COL_STATE; c++) {
		if (!t->show[c] || (c == VTOP_COL_QUEUE && t->tree))
			continue;
		switch (c) {
		case VTOP_COL_QUEUE:
			snprintf(cell, sizeof(cell), "%u", q->cur.queue);
			break;
		case VTOP_COL_KICKS:
			vtop_fmt_rate(q->kicks_ps, cell, sizeof(cell));
			break;
		case VTOP_COL_POPS:
			vtop_fmt_rate(q->pops_ps, cell, sizeof(cell));
			break;
		case VTOP_COL_PUSHES:
			vtop_fmt_rate(q->pushes_ps, cell, sizeof(cell));
			break;
		case VTOP_COL_IRQS:
			vtop_fmt_rate(q->irqs_ps, cell, sizeof(cell));
			break;
		case VTOP_COL_BYTES:
			vtop_fmt_rate(q->pop_bytes_ps + q->push_bytes_ps, cell, sizeof(cell));
			break;
		case VTOP_COL_INFLIGHT:
			snprintf(cell, sizeof(cell), "%u", q->cur.k.inflight);
			break;
		case VTOP_COL_OLDEST:
			fmt_age_ms(q->oldest_ms, cell, sizeof(cell));
			break;
		case VTOP_COL_WAIT50:
			fmt_latency(&q->wait, q->wait.p50_ns, cell, sizeof(cell));
			break;
		case VTOP_COL_WAIT99:
			fmt_latency(&q->wait, q->wait.p99_ns, cell, sizeof(cell));
			break;
		case VTOP_COL_SVC50:
			fmt_latency(&q->service, q->service.p50_ns, cell, sizeof(cell));
			break;
		case VTOP_COL_SVC99:
			fmt_latency(&q->service, q->service.p99_ns, cell, sizeof(cell));
			break;
		case VTOP_COL_IRQ99:
			fmt_latency(&q->irq, q->irq.p99_ns, cell, sizeof(cell));
			break;
		default:	/* VTOP_COL_ZC */
			if (q->zc_pct < 0)
				snprintf(cell, sizeof(cell), "-");
			else
				snprintf(cell, sizeof(cell), "%.0f", q->zc_pct);
			break;
		}
		put_cell(&l, c, cell);
	}
	return put_state(&l, q->state);
}

/*
 * A device row spans the queue columns with a summary: its control
 * messages (the long form if it fits) and, when it has them, its
 * notifications (rate, delivery p50/p99, waiters / longest wait), cut at
 * the span.
 */
int vtop_table_device(const struct vtop_table *t, const struct vtop_dev_row *d,
		      char *buf, size_t len)
{
	struct line l = { buf, len, 0 };
	char rate[16], p99[16], oldest[16], status[8], msgs[160], notif[160] = "";
	char ntf[16], n50[16], n99[16], longest[16], summary[320];
	bool has_notif = vtop_dev_has_notif(d);
	int span = 0, n;
	unsigned int c;

	buf[0] = '\0';
	put_name(&l, t, d->name);
	for (c = VTOP_COL_NAME + 1; c < VTOP_COL_STATE; c++)
		if (t->show[c] && !(c == VTOP_COL_QUEUE && t->tree))
			span += cols[c].width;
	if (t->show[VTOP_COL_QUEUE] && !t->tree) {
		put_cell(&l, VTOP_COL_QUEUE, "-");
		span -= cols[VTOP_COL_QUEUE].width;
	}
	vtop_fmt_rate(d->msgs_ps, rate, sizeof(rate));
	fmt_latency(&d->msg, d->msg.p99_ns, p99, sizeof(p99));
	fmt_age_ms(d->oldest_msg_ms, oldest, sizeof(oldest));
	if (d->known)
		snprintf(status, sizeof(status), "0x%02x", d->cur.info.status & 0xff);
	else
		snprintf(status, sizeof(status), "?");
	if (has_notif) {
		vtop_fmt_rate(d->notif_posts_ps, ntf, sizeof(ntf));
		fmt_latency(&d->notif_deliver, d->notif_deliver.p50_ns, n50, sizeof(n50));
		fmt_latency(&d->notif_deliver, d->notif_deliver.p99_ns, n99, sizeof(n99));
		fmt_age_ms(d->longest_wait_ms, longest, sizeof(longest));
	}
	n = snprintf(msgs, sizeof(msgs),
		     "  msg/s %s  msg p99 %s  in flight %u  oldest %s  timeouts %" PRIu64
		     "  status %s", rate, p99, d->cur.msgs_inflight, oldest, d->timeouts_total,
		     status);
	/* With notifications, the short forms: the long ones never fit. */
	if (has_notif) {
		n = span;
		snprintf(notif, sizeof(notif), "  ntf/s %s p50/99 %s/%s wait %u/%s",
			 ntf, n50, n99, d->cur.notif.waiters, longest);
	}
	if (n >= span)
		snprintf(msgs, sizeof(msgs), "  msg/s %s p99 %s infl %u/%s tmo %" PRIu64
			 " st %s", rate, p99, d->cur.msgs_inflight, oldest, d->timeouts_total,
			 status);
	snprintf(summary, sizeof(summary), "%s%s", msgs, notif);
	put(&l, "%-*.*s", span, span, summary);
	return put_state(&l, d->state);
}

const char *vtop_sort_name(enum vtop_sort s)
{
	static const char *const names[VTOP_SORT_COUNT] = {
		[VTOP_SORT_NAME] = "name",
		[VTOP_SORT_KICKS] = "kicks/s",
		[VTOP_SORT_IRQS] = "IRQs/s",
		[VTOP_SORT_INFLIGHT] = "in flight",
		[VTOP_SORT_WAIT99] = "wait p99",
		[VTOP_SORT_SVC99] = "service p99",
		[VTOP_SORT_IRQ99] = "IRQ p99",
		[VTOP_SORT_STATE] = "state",
	};

	return (unsigned int)s < VTOP_SORT_COUNT ? names[s] : "?";
}

/* Idle sorts below ok: a busy device is more interesting. */
static int state_rank(enum vtop_state s)
{
	return s == VTOP_STATE_IDLE ? -1 : (int)s;
}

static int cmp_desc(double a, double b)
{
	return a > b ? -1 : a < b;
}

struct sort_ctx {
	const struct vtop_view *v;
	enum vtop_sort sort;
};

static int cmp_devs(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *ctx = arg;
	const struct vtop_dev_row *a = &ctx->v->devs[*(const size_t *)pa];
	const struct vtop_dev_row *b = &ctx->v->devs[*(const size_t *)pb];
	int c = 0;

	switch (ctx->sort) {
	case VTOP_SORT_NAME:
		c = strcmp(a->name, b->name);
		break;
	case VTOP_SORT_KICKS:
		c = cmp_desc(a->kicks_ps, b->kicks_ps);
		break;
	case VTOP_SORT_IRQS:
		c = cmp_desc(a->irqs_ps, b->irqs_ps);
		break;
	case VTOP_SORT_INFLIGHT:
		c = cmp_desc((double)a->inflight, (double)b->inflight);
		break;
	case VTOP_SORT_WAIT99:
		c = cmp_desc((double)a->wait_p99_ns, (double)b->wait_p99_ns);
		break;
	case VTOP_SORT_SVC99:
		c = cmp_desc((double)a->service_p99_ns, (double)b->service_p99_ns);
		break;
	case VTOP_SORT_IRQ99:
		c = cmp_desc((double)a->irq_p99_ns, (double)b->irq_p99_ns);
		break;
	default:
		c = cmp_desc(state_rank(a->state), state_rank(b->state));
		break;
	}
	if (c)
		return c;
	return a->cur.dev < b->cur.dev ? -1 : a->cur.dev > b->cur.dev;
}

static int cmp_queues(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *ctx = arg;
	const struct vtop_queue_row *a = &ctx->v->queues[*(const size_t *)pa];
	const struct vtop_queue_row *b = &ctx->v->queues[*(const size_t *)pb];
	int c = 0;

	switch (ctx->sort) {
	case VTOP_SORT_NAME:
		break;
	case VTOP_SORT_KICKS:
		c = cmp_desc(a->kicks_ps, b->kicks_ps);
		break;
	case VTOP_SORT_IRQS:
		c = cmp_desc(a->irqs_ps, b->irqs_ps);
		break;
	case VTOP_SORT_INFLIGHT:
		c = cmp_desc(a->cur.k.inflight, b->cur.k.inflight);
		break;
	case VTOP_SORT_WAIT99:
		c = cmp_desc((double)a->wait.p99_ns, (double)b->wait.p99_ns);
		break;
	case VTOP_SORT_SVC99:
		c = cmp_desc((double)a->service.p99_ns, (double)b->service.p99_ns);
		break;
	case VTOP_SORT_IRQ99:
		c = cmp_desc((double)a->irq.p99_ns, (double)b->irq.p99_ns);
		break;
	default:
		c = cmp_desc(state_rank(a->state), state_rank(b->state));
		break;
	}
	if (c)
		return c;
	return a->cur.queue < b->cur.queue ? -1 : a->cur.queue > b->cur.queue;
}

int vtop_table_order(const struct vtop_view *v, enum vtop_sort sort,
		     struct vtop_table_row *rows)
{
	struct sort_ctx ctx = { v, sort };
	size_t *devs, *queues, i, k, n = 0, nd = 0;

	devs = calloc(v->ndevs + 1, sizeof(*devs));
	queues = calloc(v->nqueues + 1, sizeof(*queues));
	if (!devs || !queues) {
		free(devs);
		free(queues);
		return -ENOMEM;
	}
	for (i = 0; i < v->ndevs; i++)
		if (v->devs[i].visible)
			devs[nd++] = i;
	qsort_r(devs, nd, sizeof(*devs), cmp_devs, &ctx);
	for (i = 0; i < nd; i++) {
		const struct vtop_dev_row *d = &v->devs[devs[i]];
		size_t nq = 0;

		rows[n++] = (struct vtop_table_row){ .is_queue = false, .index = devs[i] };
		for (k = d->first_queue; k < d->first_queue + d->nqueues; k++)
			if (v->queues[k].visible)
				queues[nq++] = k;
		qsort_r(queues, nq, sizeof(*queues), cmp_queues, &ctx);
		for (k = 0; k < nq; k++)
			rows[n++] = (struct vtop_table_row){ .is_queue = true, .index = queues[k] };
	}
	free(devs);
	free(queues);
	return (int)n;
}

bool vtop_hist_range(const uint64_t *hist, unsigned int *lo, unsigned int *hi)
{
	unsigned int i;
	bool any = false;

	for (i = 0; i < VTOP_HIST_SLOTS; i++) {
		if (!hist[i])
			continue;
		if (!any)
			*lo = i;
		*hi = i;
		any = true;
	}
	return any;
}

void vtop_hist_line(const uint64_t *hist, unsigned int slot, uint64_t max,
		    int bar_width, char *buf, size_t len)
{
	char low[16], high[16], bar[256];
	int filled = 0;

	if (bar_width < 1)
		bar_width = 1;
	if (bar_width > (int)sizeof(bar) - 1)
		bar_width = sizeof(bar) - 1;
	if (max && hist[slot]) {
		filled = (int)((double)hist[slot] * bar_width / (double)max + 0.5);
		if (filled < 1)
			filled = 1;
		if (filled > bar_width)
			filled = bar_width;
	}
	memset(bar, '#', (size_t)filled);
	memset(bar + filled, ' ', (size_t)(bar_width - filled));
	bar[bar_width] = '\0';
	vtop_fmt_duration(hist_slot_low(slot), low, sizeof(low));
	if (slot + 1 < VTOP_HIST_SLOTS)
		vtop_fmt_duration(hist_slot_high(slot) + 1, high, sizeof(high));
	else
		snprintf(high, sizeof(high), "inf");
	snprintf(buf, len, "%6s - %-6s|%s| %" PRIu64, low, high, bar, hist[slot]);
}
