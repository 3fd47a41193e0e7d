// SPDX-License-Identifier: GPL-2.0
/*
 * The screen: a top-like ncurses view of the latest interval, with
 * sorting, a filter, a drill-down into one queue's histograms and help.
 * ASCII only, no reliance on colour: failure states always carry a '!'
 * marker, and colour is added when the terminal has it (TERM=vt100,
 * linux and serial consoles work).
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"
#include "names.h"
#include "render.h"
#include "table.h"

#define FILTER_MAX	256
#define EVENT_LINES	3
#define LINE_LEN	512
#define HEADER_LINES	4	/* summary, totals, states, column titles */

enum screen_mode {
	MODE_LIST,
	MODE_DRILL,
	MODE_HELP,
};

enum {
	PAIR_FAILURE = 1,
	PAIR_NOT_READY,
};

struct vtop_screen {
	SCREEN *term;
	bool colors;
	enum screen_mode mode;
	bool paused;
	bool cumulative;
	bool editing;			/* typing a filter after '/' */
	char filter[FILTER_MAX];
	char edit[FILTER_MAX];
	size_t edit_len;
	enum vtop_sort sort;
	struct vtop_view view;
	bool have_view;
	struct vtop_render_info info;

	/* Display order of the current view, and the selection in it. */
	struct vtop_table_row *rows;
	int nrows;
	int sel;
	int top;			/* first row shown */
	bool sel_is_queue;
	uint32_t sel_dev;
	uint32_t sel_queue;

	char events[EVENT_LINES][200];	/* the latest, oldest first */
	unsigned int nevents;
};

static const char *const help_lines[] = {
	"vtop keys",
	"",
	"  Up/Down, j/k   select a row (PgUp/PgDn, Home/End)",
	"  Enter, d       drill into the selected queue (or device): histograms",
	"  Esc, Left      back from the drill-down",
	"  s / S          sort by the next / previous column",
	"  /              filter: a glob on device names, or DEVICE/QUEUE",
	"                 (e.g. blk*, */0); empty shows everything",
	"  r              reset the baseline: rates and percentiles from now",
	"  c              toggle interval / since-baseline numbers",
	"  p, space       pause the display (sampling goes on)",
	"  + / -          longer / shorter interval",
	"  Ctrl-L         redraw",
	"  h, ?           this help",
	"  q              quit",
	"",
	"Columns: KICK/s, IRQ/s (injected), INFL chains in flight, OLDEST its age,",
	"WAIT kick->pop, SVC pop->push, IRQ inject->deliver: p50/p99 of the interval.",
	"ZC% zero-copy share of the pages mapped. A device row shows its control",
	"messages: rate, p99, in flight, timeouts, virtio status; and its",
	"notifications: posts/s, delivery p50/99, waiters now / the longest wait.",
	"",
	"States, worst first; '!' marks a failure: !broken, !needs-reset, !stalled,",
	"!notif-stalled, !irq-lost; then not-ready, idle, ok.",
	"",
	"Press any key to go back.",
};

static void release_rows(struct vtop_screen *s)
{
	free(s->rows);
	s->rows = NULL;
	s->nrows = 0;
}

/*
 * The screen needs cursor addressing; a terminal without it ("dumb")
 * gets plain text. Asked of terminfo before ncurses writes anything.
 */
static int check_terminal(const char *term, char *err, size_t errlen)
{
	const char *cup;
	int status;

	if (setupterm(NULL, STDOUT_FILENO, &status) != OK) {
		snprintf(err, errlen, "unknown terminal type (TERM=%s)", term ? term : "");
		return -1;
	}
	cup = tigetstr("cup");
	del_curterm(cur_term);
	if (!cup || cup == (const char *)-1) {
		snprintf(err, errlen, "the terminal cannot move its cursor (TERM=%s)",
			 term ? term : "");
		return -1;
	}
	return 0;
}

struct vtop_screen *vtop_screen_open(const char *filter, char *err, size_t errlen)
{
	const char *term = getenv("TERM");
	struct vtop_screen *s;

	if (check_terminal(term, err, errlen))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (filter)
		snprintf(s->filter, sizeof(s->filter), "%s", filter);
	s->term = newterm(NULL, stdout, stdin);
	if (!s->term) {
		snprintf(err, errlen, "cannot drive the terminal (TERM=%s)", term ? term : "");
		free(s);
		return NULL;
	}
	set_term(s->term);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors() && start_color() == OK) {
		use_default_colors();
		init_pair(PAIR_FAILURE, COLOR_RED, -1);
		init_pair(PAIR_NOT_READY, COLOR_YELLOW, -1);
		s->colors = true;
	}
	erase();
	mvaddstr(0, 0, "vtop: waiting for the first interval...");
	refresh();
	return s;
}

void vtop_screen_close(struct vtop_screen *s)
{
	if (!s)
		return;
	endwin();
	delscreen(s->term);
	vtop_view_free(&s->view);
	release_rows(s);
	free(s);
}

bool vtop_screen_cumulative(const struct vtop_screen *s)
{
	return s->cumulative;
}

static int state_attr(const struct vtop_screen *s, enum vtop_state st)
{
	if (vtop_state_is_failure(st))
		return A_BOLD | (s->colors ? COLOR_PAIR(PAIR_FAILURE) : 0);
	if (st == VTOP_STATE_NOT_READY && s->colors)
		return COLOR_PAIR(PAIR_NOT_READY);
	return 0;
}

/* A line cut to the screen, with @attr. */
static void put_line(int y, const char *text, int attr)
{
	if (y < 0 || y >= LINES)
		return;
	attron(attr);
	mvaddnstr(y, 0, text, COLS > 1 ? COLS - 1 : 1);
	attroff(attr);
}

static void put_clock(char *buf, size_t len, int64_t wall_ms)
{
	time_t secs = (time_t)(wall_ms / 1000);
	struct tm tm;

	if (!localtime_r(&secs, &tm) || !strftime(buf, len, "%H:%M:%S", &tm))
		snprintf(buf, len, "--:--:--");
}

static void draw_summary(struct vtop_screen *s)
{
	const struct vtop_view *v = &s->view;
	char line[LINE_LEN], clock[16], kicks[16], irqs[16], msgs[16], notif[16], cost[32];
	char since[48];
	unsigned int counts[VTOP_STATE_COUNT] = { 0 };
	size_t i;
	int x;

	put_clock(clock, sizeof(clock), v->wall_ms);
	vtop_fmt_cost(&v->cost, cost, sizeof(cost));
	since[0] = '\0';
	if (s->cumulative)
		snprintf(since, sizeof(since), "  [since reset %.0fs]", s->info.since_reset_s);
	snprintf(line, sizeof(line), "vtop %s  interval %.1fs  %s  BPF %s%s",
		 clock, (double)s->info.interval_ms / 1000, s->info.mode, cost, since);
	put_line(0, line, A_BOLD);
	if (s->paused) {
		x = COLS - 9;
		if (x > (int)strlen(line) + 1)
			mvaddstr(0, x, "[PAUSED]");
		else
			put_line(0, "[PAUSED]", A_REVERSE);
	}

	vtop_fmt_rate(v->kicks_ps, kicks, sizeof(kicks));
	vtop_fmt_rate(v->irqs_ps, irqs, sizeof(irqs));
	vtop_fmt_rate(v->msgs_ps, msgs, sizeof(msgs));
	vtop_fmt_rate(v->notif_posts_ps, notif, sizeof(notif));
	snprintf(line, sizeof(line), "devices %zu  queues %zu  kicks/s %s  IRQs/s %s  msgs/s %s"
		 "  notif/s %s", v->ndevs, v->nqueues, kicks, irqs, msgs, notif);
	put_line(1, line, 0);

	/* Sort, filter, and how many rows are in each state, worst first. */
	snprintf(line, sizeof(line), "sort %s%s%s  states", vtop_sort_name(s->sort),
		 s->filter[0] ? "  filter " : "", s->filter);
	put_line(2, line, 0);
	for (i = 0; i < v->ndevs; i++)
		if (v->devs[i].visible)
			counts[v->devs[i].state]++;
	for (i = 0; i < v->nqueues; i++)
		if (v->queues[i].visible)
			counts[v->queues[i].state]++;
	x = (int)strlen(line);
	for (i = VTOP_STATE_COUNT; i-- > 0;) {
		char cell[32];

		if (!counts[i])
			continue;
		snprintf(cell, sizeof(cell), " %s%s %u", vtop_state_is_failure(i) ? "!" : "",
			 vtop_state_name(i), counts[i]);
		if (x + (int)strlen(cell) >= COLS)
			break;
		attron(state_attr(s, i));
		mvaddstr(2, x, cell);
		attroff(state_attr(s, i));
		x += (int)strlen(cell);
	}
}

/* Keep the selection on the same device or queue across refreshes. */
static void resolve_selection(struct vtop_screen *s)
{
	int i;

	for (i = 0; i < s->nrows; i++) {
		const struct vtop_table_row *r = &s->rows[i];
		bool same = r->is_queue == s->sel_is_queue &&
			    (r->is_queue ? s->view.queues[r->index].cur.dev == s->sel_dev &&
					   s->view.queues[r->index].cur.queue == s->sel_queue :
					   s->view.devs[r->index].cur.dev == s->sel_dev);

		if (same) {
			s->sel = i;
			return;
		}
	}
	if (s->sel >= s->nrows)
		s->sel = s->nrows - 1;
	if (s->sel < 0)
		s->sel = 0;
}

static void remember_selection(struct vtop_screen *s)
{
	const struct vtop_table_row *r;

	if (s->sel < 0 || s->sel >= s->nrows)
		return;
	r = &s->rows[s->sel];
	s->sel_is_queue = r->is_queue;
	if (r->is_queue) {
		s->sel_dev = s->view.queues[r->index].cur.dev;
		s->sel_queue = s->view.queues[r->index].cur.queue;
	} else {
		s->sel_dev = s->view.devs[r->index].cur.dev;
	}
}

/* Filter and order the view's rows for display. */
static void layout_rows(struct vtop_screen *s)
{
	int n;

	release_rows(s);
	if (!s->have_view)
		return;
	vtop_view_filter(&s->view, s->filter);
	s->rows = calloc(s->view.ndevs + s->view.nqueues + 1, sizeof(*s->rows));
	if (!s->rows)
		return;
	n = vtop_table_order(&s->view, s->sort, s->rows);
	if (n < 0) {
		release_rows(s);
		return;
	}
	s->nrows = n;
	resolve_selection(s);
	remember_selection(s);
}

static int body_lines(void)
{
	int events = LINES >= 16 ? EVENT_LINES : 0;
	int n = LINES - HEADER_LINES - 1 - events;

	return n > 0 ? n : 0;
}

static void draw_row(struct vtop_screen *s, const struct vtop_table *t, int y, int i)
{
	const struct vtop_table_row *r = &s->rows[i];
	char line[LINE_LEN];
	enum vtop_state st;
	int marker, attr = i == s->sel ? A_REVERSE : 0;

	if (r->is_queue) {
		const struct vtop_queue_row *q = &s->view.queues[r->index];

		marker = vtop_table_queue(t, &s->view.devs[q->dev_row], q, line, sizeof(line));
		st = q->state;
	} else {
		marker = vtop_table_device(t, &s->view.devs[r->index], line, sizeof(line));
		st = s->view.devs[r->index].state;
		attr |= A_BOLD;
	}
	put_line(y, line, attr);
	if (marker < COLS - 1 && state_attr(s, st)) {
		attron(attr | state_attr(s, st));
		mvaddnstr(y, marker, line + marker, COLS - 1 - marker);
		attroff(attr | state_attr(s, st));
	}
}

static void draw_events(struct vtop_screen *s)
{
	int first = LINES - 1 - EVENT_LINES;
	unsigned int i;

	if (LINES < 16)
		return;
	for (i = 0; i < s->nevents; i++)
		put_line(first + (int)i, s->events[i], 0);
}

static void draw_bottom(struct vtop_screen *s)
{
	char line[LINE_LEN];

	if (s->editing) {
		snprintf(line, sizeof(line), "filter (glob, Enter applies, Esc cancels): %s",
			 s->edit);
		put_line(LINES - 1, line, A_BOLD);
		return;
	}
	put_line(LINES - 1, s->mode == MODE_DRILL ?
		 "Esc back  Up/Down other row  p pause  r reset  c interval/total  q quit" :
		 "h help  q quit  s sort  / filter  Enter drill  r reset  p pause  +/- interval",
		 A_REVERSE);
}

static void draw_list(struct vtop_screen *s)
{
	char line[LINE_LEN];
	struct vtop_table t;
	int i, shown = body_lines(), marker;

	if (!s->have_view) {
		put_line(0, "vtop: waiting for the first interval...", 0);
		return;
	}
	draw_summary(s);
	vtop_table_fit(&t, &s->view, COLS - 1);
	marker = vtop_table_header(&t, line, sizeof(line));
	(void)marker;
	put_line(3, line, A_REVERSE);
	if (s->sel < s->top)
		s->top = s->sel;
	if (shown && s->sel >= s->top + shown)
		s->top = s->sel - shown + 1;
	if (s->top < 0)
		s->top = 0;
	for (i = 0; i < shown && s->top + i < s->nrows; i++)
		draw_row(s, &t, HEADER_LINES + i, s->top + i);
	if (!s->nrows)
		put_line(HEADER_LINES, s->filter[0] ? "  (nothing matches the filter)" :
			 "  (no uvdev device)", 0);
	draw_events(s);
}

/* One histogram section of the drill-down; returns the next free line. */
static int draw_histogram(int y, int max_lines, const char *title,
			  const struct vtop_latency *lat, const uint64_t *hist)
{
	char line[LINE_LEN], p50[16], p99[16], avg[16];
	unsigned int lo, hi, slot;
	uint64_t max = 0;
	int bar_width = COLS - 32, shown = 0;

	if (max_lines < 1)
		return y;
	vtop_fmt_duration(lat->p50_ns, p50, sizeof(p50));
	vtop_fmt_duration(lat->p99_ns, p99, sizeof(p99));
	vtop_fmt_duration(lat->avg_ns, avg, sizeof(avg));
	if (lat->count)
		snprintf(line, sizeof(line), "%s: %llu samples  p50 %s  p99 %s  avg %s", title,
			 (unsigned long long)lat->count, p50, p99, avg);
	else
		snprintf(line, sizeof(line), "%s: no samples", title);
	put_line(y++, line, A_BOLD);
	if (!vtop_hist_range(hist, &lo, &hi))
		return y;
	for (slot = lo; slot <= hi; slot++)
		if (hist[slot] > max)
			max = hist[slot];
	if (bar_width > 50)
		bar_width = 50;
	for (slot = lo; slot <= hi; slot++) {
		if (shown + 1 >= max_lines && slot < hi) {
			snprintf(line, sizeof(line), "  ... %u more slots up to %s", hi - slot + 1,
				 "the slowest");
			put_line(y++, line, 0);
			break;
		}
		vtop_hist_line(hist, slot, max, bar_width > 4 ? bar_width : 4, line, sizeof(line));
		put_line(y++, line, 0);
		shown++;
	}
	return y;
}

static void draw_drill_queue(struct vtop_screen *s, const struct vtop_queue_row *q)
{
	const struct vtop_dev_row *d = &s->view.devs[q->dev_row];
	int per = (LINES - 3) / 3, y = 2;
	char line[LINE_LEN];

	snprintf(line, sizeof(line), "%s queue %u  state %s%s  size %u  in flight %u  %s",
		 d->name, q->cur.queue, vtop_state_is_failure(q->state) ? "!" : "",
		 vtop_state_name(q->state), q->cur.k.size, q->cur.k.inflight,
		 s->cumulative ? "since reset" : "this interval");
	put_line(0, line, A_BOLD);
	if (q->zc_maps) {
		char p50[16], p99[16];

		vtop_fmt_duration(q->zc_complete.p50_ns, p50, sizeof(p50));
		vtop_fmt_duration(q->zc_complete.p99_ns, p99, sizeof(p99));
		snprintf(line, sizeof(line),
			 "zero copy: %llu maps, %.0f%% of pages mapped, %llu fallbacks, completion p50 %s p99 %s",
			 (unsigned long long)q->zc_maps, q->zc_pct,
			 (unsigned long long)q->zc_fallbacks,
			 q->zc_complete.count ? p50 : "-", q->zc_complete.count ? p99 : "-");
		put_line(1, line, 0);
	}
	y = draw_histogram(y, per, "wait (kick to pop)", &q->wait, q->wait_hist);
	y = draw_histogram(y + 1, per, "service (pop to push)", &q->service, q->service_hist);
	draw_histogram(y + 1, per, "IRQ (inject to deliver)", &q->irq, q->irq_hist);
}

/* A device's notifications: totals and the delivery latency histogram. */
static int draw_drill_notif(int y, int max_lines, const struct vtop_dev_row *d)
{
	const struct vtop_notif_stats *n = &d->cur.stats.notif;
	char line[LINE_LEN], longest[16];

	if (max_lines < 3)
		return y;
	if (d->longest_wait_ms >= 0)
		vtop_fmt_duration((uint64_t)(d->longest_wait_ms * 1e6), longest,
				  sizeof(longest));
	else
		snprintf(longest, sizeof(longest), "-");
	snprintf(line, sizeof(line), "notifications: keys 1..%u  waiters %u  longest %s  "
		 "remembered %u", d->cur.notif.notif_max, d->cur.notif.waiters, longest,
		 d->cur.notif.remembered_now);
	put_line(y++, line, A_BOLD);
	snprintf(line, sizeof(line), "  totals: posts %llu  delivered %llu  merged %llu  "
		 "woke %llu (%llu waiters)  unwaited %llu  bottom halves %llu",
		 (unsigned long long)n->posts, (unsigned long long)n->deliveries,
		 (unsigned long long)n->merged, (unsigned long long)n->woke,
		 (unsigned long long)n->wakeups, (unsigned long long)n->unwaited,
		 (unsigned long long)n->bottom_halves);
	put_line(y++, line, 0);
	return draw_histogram(y, max_lines - 2, "notification delivery (first post to top half)",
			      &d->notif_deliver, d->notif_deliver_hist);
}

static void draw_drill_device(struct vtop_screen *s, const struct vtop_dev_row *d)
{
	char line[LINE_LEN], label[16];
	int msg_lines = LINES - 5 - VTOP_MSG_TYPES;
	unsigned int t, r;
	int y;

	snprintf(line, sizeof(line), "%s  state %s%s  status 0x%02x  messages in flight %u  %s",
		 d->name, vtop_state_is_failure(d->state) ? "!" : "", vtop_state_name(d->state),
		 d->cur.info.status & 0xff, d->cur.msgs_inflight,
		 s->cumulative ? "since reset" : "this interval");
	put_line(0, line, A_BOLD);
	/* With notifications, they take half of the histograms' room. */
	if (vtop_dev_has_notif(d))
		msg_lines /= 2;
	y = draw_histogram(2, msg_lines, "control messages", &d->msg, d->msg_hist);
	snprintf(line, sizeof(line), "%-12s %10s %10s %10s %12s   (totals)", "type", "ok",
		 "failed", "timeout", "interrupted");
	put_line(++y, line, A_BOLD);
	for (t = 0; t < VTOP_MSG_TYPES; t++) {
		const __u64 *m = d->cur.stats.msgs[t];
		int n;

		if (!vtop_msg_type_name(t) && !(m[0] | m[1] | m[2] | m[3]))
			continue;
		n = snprintf(line, sizeof(line), "%-12s", vtop_msg_type_label(t, label, sizeof(label)));
		for (r = 0; r < VTOP_MSG_RESULTS && n > 0 && (size_t)n < sizeof(line); r++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, r == 3 ? " %12llu" : " %10llu",
				      (unsigned long long)m[r]);
		put_line(++y, line, 0);
	}
	if (vtop_dev_has_notif(d))
		draw_drill_notif(y + 2, LINES - y - 3, d);
}

static void draw_drill(struct vtop_screen *s)
{
	const struct vtop_table_row *r;

	if (!s->have_view || s->sel < 0 || s->sel >= s->nrows) {
		s->mode = MODE_LIST;
		draw_list(s);
		return;
	}
	r = &s->rows[s->sel];
	if (r->is_queue)
		draw_drill_queue(s, &s->view.queues[r->index]);
	else
		draw_drill_device(s, &s->view.devs[r->index]);
}

static void draw_help(void)
{
	size_t i;

	for (i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]); i++)
		put_line((int)i, help_lines[i], i == 0 ? A_BOLD : 0);
}

static void draw(struct vtop_screen *s)
{
	erase();
	switch (s->mode) {
	case MODE_LIST:
		draw_list(s);
		break;
	case MODE_DRILL:
		draw_drill(s);
		break;
	case MODE_HELP:
		draw_help();
		break;
	}
	if (s->mode != MODE_HELP)
		draw_bottom(s);
	refresh();
}

static void add_events(struct vtop_screen *s, const struct vtop_view *v,
		       const struct vtop_event_batch *events)
{
	size_t i;

	for (i = 0; events && i < events->n; i++) {
		const struct vtop_event *ev = &events->ev[i];
		int64_t ms = v->wall_ms;
		char clock[16], what[128];

		if (ev->ns < v->now_ns)
			ms -= (int64_t)((v->now_ns - ev->ns) / 1000000);
		put_clock(clock, sizeof(clock), ms);
		vtop_event_describe(ev, what, sizeof(what));
		if (s->nevents == EVENT_LINES) {
			memmove(s->events[0], s->events[1], sizeof(s->events[0]) * (EVENT_LINES - 1));
			s->nevents--;
		}
		snprintf(s->events[s->nevents++], sizeof(s->events[0]), "%s %s: %s", clock,
			 events->names[i], what);
	}
}

void vtop_screen_update(struct vtop_screen *s, struct vtop_view *v,
			const struct vtop_event_batch *events,
			const struct vtop_render_info *info)
{
	s->info = *info;
	add_events(s, v, events);
	if (!s->paused) {
		vtop_view_free(&s->view);
		s->view = *v;
		memset(v, 0, sizeof(*v));
		s->have_view = true;
		layout_rows(s);
	}
	draw(s);
}

void vtop_screen_redraw(struct vtop_screen *s, const struct vtop_render_info *info)
{
	s->info = *info;
	draw(s);
}

static void move_selection(struct vtop_screen *s, int by)
{
	s->sel += by;
	if (s->sel >= s->nrows)
		s->sel = s->nrows - 1;
	if (s->sel < 0)
		s->sel = 0;
	remember_selection(s);
}

static void filter_key(struct vtop_screen *s, int key)
{
	switch (key) {
	case 27:	/* Esc */
		s->editing = false;
		return;
	case '\r':
	case '\n':
	case KEY_ENTER:
		s->editing = false;
		memcpy(s->filter, s->edit, sizeof(s->filter));
		s->top = 0;
		layout_rows(s);
		return;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (s->edit_len)
			s->edit[--s->edit_len] = '\0';
		return;
	case 21:	/* Ctrl-U */
		s->edit_len = 0;
		s->edit[0] = '\0';
		return;
	default:
		if (key >= 0x20 && key < 0x7f && s->edit_len + 1 < sizeof(s->edit)) {
			s->edit[s->edit_len++] = (char)key;
			s->edit[s->edit_len] = '\0';
		}
	}
}

/* Keys that work in the list and in the drill-down; true when handled. */
static bool common_key(struct vtop_screen *s, int key, struct vtop_screen_request *req)
{
	switch (key) {
	case 'q':
	case 'Q':
		req->quit = true;
		return true;
	case 'p':
	case ' ':
		s->paused = !s->paused;
		return true;
	case 'r':
		req->reset = true;
		return true;
	case '+':
		req->interval_steps++;
		return true;
	case '-':
		req->interval_steps--;
		return true;
	case 'c':
		s->cumulative = !s->cumulative;
		return true;
	case 'h':
	case '?':
	case KEY_F(1):
		s->mode = MODE_HELP;
		return true;
	case 12:	/* Ctrl-L */
		clearok(curscr, TRUE);
		return true;
	case KEY_UP:
	case 'k':
		move_selection(s, -1);
		return true;
	case KEY_DOWN:
	case 'j':
		move_selection(s, 1);
		return true;
	case KEY_PPAGE:
		move_selection(s, -(body_lines() > 1 ? body_lines() - 1 : 1));
		return true;
	case KEY_NPAGE:
		move_selection(s, body_lines() > 1 ? body_lines() - 1 : 1);
		return true;
	case KEY_HOME:
	case 'g':
		move_selection(s, -s->nrows);
		return true;
	case KEY_END:
	case 'G':
		move_selection(s, s->nrows);
		return true;
	case KEY_RESIZE:
		return true;
	default:
		return false;
	}
}

static void list_key(struct vtop_screen *s, int key)
{
	switch (key) {
	case 's':
		s->sort = (s->sort + 1) % VTOP_SORT_COUNT;
		layout_rows(s);
		break;
	case 'S':
		s->sort = (s->sort + VTOP_SORT_COUNT - 1) % VTOP_SORT_COUNT;
		layout_rows(s);
		break;
	case '/':
		s->editing = true;
		memcpy(s->edit, s->filter, sizeof(s->edit));
		s->edit_len = strlen(s->edit);
		break;
	case '\r':
	case '\n':
	case KEY_ENTER:
	case 'd':
		if (s->nrows)
			s->mode = MODE_DRILL;
		break;
	default:
		break;
	}
}

static void drill_key(struct vtop_screen *s, int key)
{
	switch (key) {
	case 27:	/* Esc */
	case '\r':
	case '\n':
	case KEY_ENTER:
	case 'd':
	case KEY_LEFT:
	case KEY_BACKSPACE:
	case 127:
		s->mode = MODE_LIST;
		break;
	default:
		break;
	}
}

void vtop_screen_input(struct vtop_screen *s, const struct vtop_render_info *info,
		       struct vtop_screen_request *req)
{
	bool seen = false;
	int key;

	s->info = *info;
	while ((key = getch()) != ERR) {
		seen = true;
		if (s->editing)
			filter_key(s, key);
		else if (s->mode == MODE_HELP)
			s->mode = MODE_LIST;
		else if (common_key(s, key, req))
			continue;
		else if (s->mode == MODE_DRILL)
			drill_key(s, key);
		else
			list_key(s, key);
	}
	if (seen)
		draw(s);
}
