/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Renderers of views for people: plain text (render_text.c) and the
 * ncurses screen (render_curses.c).
 */
#ifndef VTOP_RENDER_H
#define VTOP_RENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "events.h"
#include "view.h"

/* What the renderers show besides the view. */
struct vtop_render_info {
	const char *mode;		/* "tp_btf" or "raw_tp" */
	uint64_t interval_ms;		/* the configured interval */
	double since_reset_s;		/* age of the baseline (screen, cumulative) */
};

/*
 * One interval as plain text: a summary line, the table (visible rows)
 * and the events. 0, or -EIO when @out failed.
 */
int vtop_render_text(FILE *out, const struct vtop_view *v,
		     const struct vtop_event_batch *events,
		     const struct vtop_render_info *info);

/* ---- the screen ---------------------------------------------------------- */

struct vtop_screen;

/* What the keyboard asks of the sampling loop. */
struct vtop_screen_request {
	bool quit;
	bool reset;			/* new baseline: rates and percentiles from now */
	int interval_steps;		/* > 0: longer intervals, < 0: shorter */
};

/*
 * Take over the terminal on stdin/stdout. @filter is the initial filter
 * (NULL: none). NULL when the terminal cannot be used, with the reason in
 * @err.
 */
struct vtop_screen *vtop_screen_open(const char *filter, char *err, size_t errlen);

/* Give the terminal back. NULL is fine. */
void vtop_screen_close(struct vtop_screen *s);

/*
 * A new interval: unless paused, the screen takes @v over (leaving it
 * empty) and shows it; the events are always added to its event lines.
 */
void vtop_screen_update(struct vtop_screen *s, struct vtop_view *v,
			const struct vtop_event_batch *events,
			const struct vtop_render_info *info);

/* Handle the keys waiting on stdin and redraw; adds to @req. */
void vtop_screen_input(struct vtop_screen *s, const struct vtop_render_info *info,
		       struct vtop_screen_request *req);

/* Redraw with new @info (the interval changed). */
void vtop_screen_redraw(struct vtop_screen *s, const struct vtop_render_info *info);

/* True while the screen shows totals since the baseline, not the interval. */
bool vtop_screen_cumulative(const struct vtop_screen *s);

#endif /* VTOP_RENDER_H */
