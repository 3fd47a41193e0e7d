// SPDX-License-Identifier: GPL-2.0
/*
 * Plain text: one table per interval, for pipes, logs and serial consoles
 * without a screen.
 */
#include <errno.h>
#include <time.h>

#include "render.h"
#include "table.h"

#define LINE_MAX_LEN	512

static void put_clock(FILE *out, int64_t wall_ms)
{
	time_t secs = (time_t)(wall_ms / 1000);
	char buf[16];
	struct tm tm;

	if (localtime_r(&secs, &tm) && strftime(buf, sizeof(buf), "%H:%M:%S", &tm))
		fputs(buf, out);
	else
		fputs("--:--:--", out);
}

static void put_summary(FILE *out, const struct vtop_view *v,
			const struct vtop_render_info *info)
{
	char kicks[16], irqs[16], msgs[16], notif[16], cost[32];

	vtop_fmt_rate(v->kicks_ps, kicks, sizeof(kicks));
	vtop_fmt_rate(v->irqs_ps, irqs, sizeof(irqs));
	vtop_fmt_rate(v->msgs_ps, msgs, sizeof(msgs));
	vtop_fmt_rate(v->notif_posts_ps, notif, sizeof(notif));
	put_clock(out, v->wall_ms);
	fprintf(out, "  interval %.2fs  devices %zu  queues %zu  kicks/s %s  IRQs/s %s  msgs/s %s"
		"  notif/s %s", (double)v->interval_ns / 1e9, v->ndevs, v->nqueues, kicks, irqs,
		msgs, notif);
	fprintf(out, "  BPF %s (%s)\n", vtop_fmt_cost(&v->cost, cost, sizeof(cost)), info->mode);
}

int vtop_render_text(FILE *out, const struct vtop_view *v,
		     const struct vtop_event_batch *events,
		     const struct vtop_render_info *info)
{
	char line[LINE_MAX_LEN];
	struct vtop_table t;
	size_t i, k;

	vtop_table_full(&t, v);
	put_summary(out, v, info);
	vtop_table_header(&t, line, sizeof(line));
	fprintf(out, "%s\n", line);
	for (i = 0; i < v->ndevs; i++) {
		const struct vtop_dev_row *d = &v->devs[i];

		if (!d->visible)
			continue;
		vtop_table_device(&t, d, line, sizeof(line));
		fprintf(out, "%s\n", line);
		for (k = d->first_queue; k < d->first_queue + d->nqueues; k++) {
			if (!v->queues[k].visible)
				continue;
			vtop_table_queue(&t, d, &v->queues[k], line, sizeof(line));
			fprintf(out, "%s\n", line);
		}
	}
	for (i = 0; events && i < events->n; i++) {
		vtop_event_describe(&events->ev[i], line, sizeof(line));
		fprintf(out, "event %s: %s\n", events->names[i], line);
	}
	if (events && events->dropped)
		fprintf(out, "event: %llu more not shown\n", (unsigned long long)events->dropped);
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}
