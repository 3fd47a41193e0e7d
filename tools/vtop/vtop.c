// SPDX-License-Identifier: GPL-2.0
/*
 * vtop: a top for the virtqueues of uvdev devices. The sampling loop:
 * collect a snapshot every interval, build the interval's view, hand it
 * to the output (screen, text, JSON lines or CSV) and to the exporter,
 * and remember which states were seen for --fail-on.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "collect.h"
#include "events.h"
#include "exporter.h"
#include "output.h"
#include "prom.h"
#include "render.h"
#include "view.h"

enum output_kind {
	OUT_SCREEN,
	OUT_TEXT,
	OUT_JSON,
	OUT_CSV,
};

struct run {
	struct vtop_options opts;
	enum output_kind out;
	struct vtop_collector *collector;
	const char *mode;
	struct vtop_exporter *exporter;
	struct vtop_screen *screen;
	struct vtop_snapshot baseline;	/* for 'r' and the since-reset numbers */
	struct vtop_snapshot prev;	/* start of the current interval */
	struct vtop_event_batch events;
	uint64_t interval_ms;
	int64_t baseline_ms;		/* monotonic time of the baseline */
	unsigned long intervals;	/* sampled so far */
	unsigned int states_seen;
	bool csv_header_done;
};

static volatile sig_atomic_t stop_requested;
static int wake_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	ssize_t n;

	(void)sig;
	stop_requested = 1;
	n = write(wake_pipe[1], "x", 1);
	(void)n;
	errno = saved;
}

static int install_signals(void)
{
	struct sigaction sa;

	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	/* A reader that goes away (vtop -o json | head) ends the run normally. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL))
		return -errno;
	return 0;
}

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level != LIBBPF_WARN && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct vtop_render_info render_info(const struct run *r)
{
	return (struct vtop_render_info){
		.mode = r->mode,
		.interval_ms = r->interval_ms,
		.since_reset_s = (double)(now_ms() - r->baseline_ms) / 1000,
	};
}

/* The next interval step up or down: 0.1 s to 1 min. */
static uint64_t step_interval(uint64_t ms, bool longer)
{
	static const uint64_t steps[] = {
		100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000,
	};
	size_t i, n = sizeof(steps) / sizeof(steps[0]);

	if (longer) {
		for (i = 0; i < n; i++)
			if (steps[i] > ms)
				return steps[i];
		return ms;
	}
	for (i = n; i-- > 0;)
		if (steps[i] < ms)
			return steps[i];
	return ms;
}

static void drain_wake_pipe(void)
{
	char buf[64];

	while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
		;
}

/*
 * Wait until @deadline_ms, serving the keyboard meanwhile. Returns 1 when
 * the keyboard asked for something (in @req), 0 when the deadline came,
 * or -errno. A signal asks to quit.
 */
static int wait_until(struct run *r, int64_t deadline_ms, struct vtop_screen_request *req)
{
	memset(req, 0, sizeof(*req));
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = wake_pipe[0], .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		struct vtop_render_info info = render_info(r);
		int64_t left = deadline_ms - now_ms();
		int n;

		if (stop_requested) {
			req->quit = true;
			return 1;
		}
		if (left <= 0)
			return 0;
		n = poll(fds, r->screen ? 2 : 1, left > 60000 ? 60000 : (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && fds[0].revents)
			drain_wake_pipe();
		/* Also after EINTR: SIGWINCH leaves a KEY_RESIZE to read. */
		if (r->screen)
			vtop_screen_input(r->screen, &info, req);
		if (req->quit || req->reset || req->interval_steps)
			return 1;
	}
}

static int publish_metrics(struct run *r, const struct vtop_view *v)
{
	char *body = NULL;
	size_t len = 0;
	FILE *mem;
	int err;

	mem = open_memstream(&body, &len);
	if (!mem)
		return -errno;
	err = vtop_prom_render(mem, v, r->mode);
	if (fclose(mem) && !err)
		err = -EIO;
	if (err) {
		free(body);
		return err;
	}
	vtop_exporter_publish(r->exporter, body, len);
	return 0;
}

/* The screen's view: the interval's, or everything since the baseline. */
static int show_on_screen(struct run *r, struct vtop_view *interval,
			  const struct vtop_snapshot *cur)
{
	struct vtop_render_info info = render_info(r);
	struct vtop_view since;
	int err;

	if (!vtop_screen_cumulative(r->screen)) {
		vtop_screen_update(r->screen, interval, &r->events, &info);
		return 0;
	}
	err = vtop_view_build(&since, &r->baseline, cur, &r->opts.states);
	if (err)
		return err;
	vtop_screen_update(r->screen, &since, &r->events, &info);
	vtop_view_free(&since);
	return 0;
}

static int emit(struct run *r, struct vtop_view *v, const struct vtop_snapshot *cur)
{
	struct vtop_render_info info = render_info(r);
	int err = 0;

	switch (r->out) {
	case OUT_SCREEN:
		return show_on_screen(r, v, cur);
	case OUT_TEXT:
		err = vtop_render_text(stdout, v, &r->events, &info);
		break;
	case OUT_JSON:
		err = vtop_output_json(stdout, v, &r->events, r->mode);
		break;
	case OUT_CSV:
		if (!r->csv_header_done) {
			err = vtop_output_csv_header(stdout);
			r->csv_header_done = true;
		}
		if (!err)
			err = vtop_output_csv(stdout, v);
		break;
	}
	if (fflush(stdout) && !err)
		err = -errno;
	return err;
}

/*
 * Measure vtop's own BPF cost in the interval that starts now, or not
 * (see cost.h). A refusal is in the figure; -v also says it here.
 */
static void plan_cost(struct run *r)
{
	bool on = r->opts.cost && vtop_cost_due(&r->prev.cost, r->intervals);
	int err = vtop_collector_measure(r->collector, on);

	if (err && r->opts.verbose)
		fprintf(stderr, "vtop: cannot measure vtop's BPF cost: BPF_ENABLE_STATS: %s\n",
			strerror(-err));
}

/* One interval ends: collect, build, output. */
static int sample(struct run *r)
{
	struct vtop_snapshot cur;
	struct vtop_view v;
	int err, n;

	err = vtop_collect(r->collector, &cur);
	if (err) {
		fprintf(stderr, "vtop: cannot read the BPF maps: %s\n", strerror(-err));
		return err;
	}
	/* Events are a bonus: a failure to read them does not end the run. */
	n = vtop_collect_events(r->collector, vtop_event_batch_add, &r->events);
	if (n < 0 && r->opts.verbose)
		fprintf(stderr, "vtop: cannot read the events: %s\n", strerror(-n));
	vtop_event_batch_name(&r->events, &r->prev, &cur);
	err = vtop_view_build(&v, &r->prev, &cur, &r->opts.states);
	if (err) {
		fprintf(stderr, "vtop: %s\n", strerror(-err));
		goto cleanup;
	}
	vtop_view_filter(&v, r->opts.filter);
	r->states_seen |= vtop_view_states_seen(&v);
	if (r->exporter) {
		err = publish_metrics(r, &v);
		if (err) {
			fprintf(stderr, "vtop: cannot render the metrics: %s\n", strerror(-err));
			goto cleanup;
		}
	}
	err = emit(r, &v, &cur);
	if (err && err != -EPIPE)
		fprintf(stderr, "vtop: cannot write the output: %s\n", strerror(-err));

cleanup:
	vtop_view_free(&v);
	vtop_event_batch_reset(&r->events);
	vtop_snapshot_free(&r->prev);
	r->prev = cur;
	r->intervals++;
	return err;
}

/* Start over from now: a new baseline and a new interval. */
static int reset_baseline(struct run *r)
{
	int err;

	vtop_snapshot_free(&r->baseline);
	vtop_snapshot_free(&r->prev);
	err = vtop_collect(r->collector, &r->baseline);
	if (!err)
		err = vtop_collect(r->collector, &r->prev);
	if (err) {
		fprintf(stderr, "vtop: cannot read the BPF maps: %s\n", strerror(-err));
		return err;
	}
	r->baseline_ms = now_ms();
	plan_cost(r);
	return 0;
}

/* The exporter answers from the start, with totals and no rates yet. */
static int publish_first(struct run *r)
{
	struct vtop_view v;
	int err;

	err = vtop_view_build(&v, NULL, &r->prev, &r->opts.states);
	if (err)
		return err;
	err = publish_metrics(r, &v);
	vtop_view_free(&v);
	return err;
}

static int run_loop(struct run *r)
{
	long long left = r->opts.count;
	int64_t deadline;
	int err;

	err = reset_baseline(r);
	if (!err && r->exporter)
		err = publish_first(r);
	if (err)
		return err;
	deadline = now_ms() + (int64_t)r->interval_ms;
	while (!stop_requested) {
		struct vtop_screen_request req;
		int woke = wait_until(r, deadline, &req);

		if (woke < 0)
			return woke;
		if (req.quit)
			break;
		if (req.reset) {
			err = reset_baseline(r);
			if (err)
				return err;
			vtop_event_batch_reset(&r->events);
			deadline = now_ms() + (int64_t)r->interval_ms;
		}
		if (req.interval_steps) {
			int64_t start = deadline - (int64_t)r->interval_ms;

			for (; req.interval_steps > 0; req.interval_steps--)
				r->interval_ms = step_interval(r->interval_ms, true);
			for (; req.interval_steps < 0; req.interval_steps++)
				r->interval_ms = step_interval(r->interval_ms, false);
			deadline = start + (int64_t)r->interval_ms;
			if (r->screen) {
				struct vtop_render_info info = render_info(r);

				vtop_screen_redraw(r->screen, &info);
			}
		}
		if (woke)
			continue;
		err = sample(r);
		if (err)
			return err;
		if (left > 0 && --left == 0)
			break;
		plan_cost(r);
		deadline += (int64_t)r->interval_ms;
		if (deadline <= now_ms())
			deadline = now_ms() + (int64_t)r->interval_ms;
	}
	return 0;
}

static enum output_kind pick_output(const struct vtop_options *opts)
{
	switch (opts->format) {
	case VTOP_FORMAT_JSON:
		return OUT_JSON;
	case VTOP_FORMAT_CSV:
		return OUT_CSV;
	case VTOP_FORMAT_TEXT:
		return OUT_TEXT;
	default:
		return isatty(STDOUT_FILENO) && isatty(STDIN_FILENO) ? OUT_SCREEN : OUT_TEXT;
	}
}

static int open_everything(struct run *r)
{
	struct vtop_collect_opts copts = {
		.force_raw_tp = r->opts.raw_tp,
		.measure_cost = r->opts.cost,
		.debug_loops = r->opts.debug_bpf_loops,
	};
	char err[256];

	if (!r->opts.raw_tp && access("/sys/kernel/btf/uvdev", F_OK) &&
	    !access("/sys/module/uvdev", F_OK)) {
		copts.force_raw_tp = true;
		if (r->opts.verbose)
			fprintf(stderr, "vtop: the uvdev module has no BTF (/sys/kernel/btf/uvdev "
				"is missing): using raw_tp\n");
	}
	r->collector = vtop_collector_open(&copts, err, sizeof(err));
	if (!r->collector) {
		fprintf(stderr, "vtop: %s\n", err);
		return -1;
	}
	r->mode = vtop_collector_mode(r->collector);
	fprintf(stderr, "vtop: attached (%s)\n", r->mode);
	if (r->opts.exporter) {
		r->exporter = vtop_exporter_start(r->opts.exporter_host, r->opts.exporter_port,
						  err, sizeof(err));
		if (!r->exporter) {
			fprintf(stderr, "vtop: exporter: %s\n", err);
			return -1;
		}
		fprintf(stderr, "vtop: metrics on http://%s/metrics\n",
			vtop_exporter_address(r->exporter));
	}
	if (r->out == OUT_SCREEN) {
		r->screen = vtop_screen_open(r->opts.filter, err, sizeof(err));
		if (!r->screen) {
			fprintf(stderr, "vtop: %s: plain text instead\n", err);
			r->out = OUT_TEXT;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct run *r;
	int status, err;

	r = calloc(1, sizeof(*r));
	if (!r) {
		fprintf(stderr, "vtop: out of memory\n");
		return VTOP_EXIT_RUNTIME;
	}
	status = vtop_parse_args(argc, argv, &r->opts, stderr);
	if (status || r->opts.exit_now)
		goto cleanup;
	verbose = r->opts.verbose;
	libbpf_set_print(libbpf_print);
	r->interval_ms = r->opts.interval_ms;
	r->out = pick_output(&r->opts);
	if (install_signals()) {
		fprintf(stderr, "vtop: cannot set up signal handling: %s\n", strerror(errno));
		status = VTOP_EXIT_RUNTIME;
		goto cleanup;
	}
	if (open_everything(r)) {
		status = VTOP_EXIT_RUNTIME;
		goto cleanup;
	}
	err = run_loop(r);
	if (err == -EPIPE)
		err = 0;	/* the reader is gone: a normal end */
	if (err && r->screen) {
		/* Errors were printed under the screen: say it again after. */
		vtop_screen_close(r->screen);
		r->screen = NULL;
		fprintf(stderr, "vtop: stopped: %s\n", strerror(-err));
	}
	status = vtop_exit_status(err, r->states_seen, r->opts.fail_on);

cleanup:
	vtop_screen_close(r->screen);
	vtop_exporter_stop(r->exporter);
	vtop_snapshot_free(&r->prev);
	vtop_snapshot_free(&r->baseline);
	vtop_collector_close(r->collector);
	free(r);
	return status;
}
