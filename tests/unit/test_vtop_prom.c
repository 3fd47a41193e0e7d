// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition (tools/vtop/prom.c), checked line by line and
 * by promtool (the prometheus package) as Prometheus itself would read it.
 */
#include <errno.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <uapi/uvdev.h>
#include <uapi/uvdev_trace.h>

#include "prom.h"
#include "version.h"
#include "vtop_fixture.h"

static const struct vtop_state_opts opts = { .stall_ms = 1000, .irq_ms = 1000 };

#define ODD_NAME "od\"d\\x\ny"

/* blk0 (busy, queue 0 and 1), rng0 and a device with an odd name. */
static void three_devices(struct fixture *f)
{
	struct vtop_queue_snap *q;
	struct vtop_dev_snap *d;

	fixture_init(f, 10 * SEC, 1700000000000);
	d = fixture_dev(f, 1, "blk0", STATUS_RUNNING);
	d->stats.msgs[UVDEV_MSG_SET_STATUS][UVDEV_TRACE_MSG_OK] = 3;
	d->stats.msgs[6][UVDEV_TRACE_MSG_FAILED] = 1;	/* a type uvdev lacks */
	d->stats.msg_hist[UVDEV_MSG_SET_STATUS][12] = 3;
	d->stats.msg_sum_ns[UVDEV_MSG_SET_STATUS] = 15000;
	d->msgs_inflight = 1;
	d->oldest_msg_ns = 10 * SEC - 1500 * MS;
	q = fixture_queue(f, 1, 0);
	q->stats.kicks[UVDEV_TRACE_KICK_EVENTFD] = 30;
	q->stats.kicks[UVDEV_TRACE_KICK_DROPPED] = 2;
	q->stats.pops = 28;
	q->stats.pushes = 27;
	q->stats.resubmits = 3;
	q->stats.failed = 2;
	q->stats.pop_bytes = 28 * 4096;
	q->stats.push_bytes = 27 * 512;
	q->stats.irq_injects = 27;
	q->stats.irq_delivers[UVDEV_TRACE_IRQ_HANDLED] = 25;
	q->stats.irq_delivers[UVDEV_TRACE_IRQ_SPURIOUS] = 2;
	q->stats.wait_hist[0] = 1;	/* 0 or 1 ns */
	q->stats.wait_hist[1] = 2;	/* 2..3 ns */
	q->stats.wait_hist[20] = 24;
	q->stats.wait_hist[45] = 1;	/* past the last bucket: only +Inf */
	q->stats.wait_sum_ns = 1500000000;
	q->k.inflight = 1;
	q->k.inflight_since_ns = 10 * SEC - 2 * SEC - 500;
	q->k.pending = 1;
	q->k.pending_since_ns = 10 * SEC - 5 * SEC;	/* stalled */
	fixture_queue(f, 1, 1);
	d = fixture_dev(f, 2, "rng0", STATUS_RUNNING);
	/* Notifications: 7 posts, 5 deliveries (1 merged), 2 waiters, one 1.25 s old. */
	d->stats.notif = (struct vtop_notif_stats){
		.posts = 7, .deliveries = 5, .merged = 1, .woke = 2, .wakeups = 4,
		.unwaited = 2, .bh_requests = 1, .bottom_halves = 1,
		.waits = { [UVDEV_TRACE_WAIT_WOKEN] = 4, [UVDEV_TRACE_WAIT_TIMEOUT] = 1 },
		.deliver_sum_ns = 5 * 3000, .wait_sum_ns = 4 * 5000 + 2000000000,
		.deliver_hist = { [11] = 5 }, .wait_hist = { [12] = 4, [30] = 1 },
	};
	d->notif = (struct vtop_knotif){
		.known = true, .notif_max = 8, .waiters = 2,
		.oldest_wait_ns = 10 * SEC - 1250 * MS,
	};
	fixture_queue(f, 2, 0);
	fixture_dev(f, 3, ODD_NAME, 0);
	f->snap.cost.state = VTOP_COST_MEASURED;
	f->snap.cost.run_ns = 25000;
	f->snap.cost.runs = 80;		/* 312.5 ns per event */
	f->snap.lifecycle[VTOP_LC_DEV_CREATE] = 4;
	f->snap.lifecycle[VTOP_LC_DEV_DESTROY] = 1;
}

static char *render(const struct vtop_snapshot *snap)
{
	struct vtop_view v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(vtop_view_build(&v, NULL, snap, &opts), 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(vtop_prom_render(f, &v, "tp_btf"), 0);
	assert_int_equal(fclose(f), 0);
	vtop_view_free(&v);
	return buf;
}

static int count_lines_starting(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = text;
	int count = 0;

	while (p && *p) {
		if (!strncmp(p, prefix, n))
			count++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return count;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
		p += n;
	}
	return false;
}

/*
 * Run "promtool check metrics" with @text on its stdin; its verdict is the
 * exit status, its complaints land in @out.
 */
static int promtool_check(const char *text, char *out, size_t outlen)
{
	int in_pipe[2], out_pipe[2], status;
	size_t len = strlen(text), got = 0;
	pid_t pid;

	assert_int_equal(pipe(in_pipe), 0);
	assert_int_equal(pipe(out_pipe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(in_pipe[0], STDIN_FILENO);
		dup2(out_pipe[1], STDOUT_FILENO);
		dup2(out_pipe[1], STDERR_FILENO);
		close(in_pipe[0]);
		close(in_pipe[1]);
		close(out_pipe[0]);
		close(out_pipe[1]);
		execlp("promtool", "promtool", "check", "metrics", (char *)NULL);
		fprintf(stderr, "cannot run promtool (Debian package prometheus): %s\n",
			strerror(errno));
		_exit(127);
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	/* The text is larger than a pipe: write it while promtool reads. */
	while (len) {
		ssize_t n = write(in_pipe[1], text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		text += n;
		len -= (size_t)n;
	}
	close(in_pipe[1]);
	for (;;) {
		ssize_t n = read(out_pipe[0], out + got, outlen - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == outlen - 1)
			break;
	}
	out[got] = '\0';
	close(out_pipe[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void promtool_accepts(void **state)
{
	struct fixture f;
	char out[4096];
	char *text;
	int rc;

	(void)state;
	three_devices(&f);
	text = render(&f.snap);
	rc = promtool_check(text, out, sizeof(out));
	if (rc != 0)
		print_error("promtool check metrics: exit %d\n%s\n", rc, out);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "");
	free(text);
}

static void promtool_can_fail(void **state)
{
	char out[4096];

	(void)state;
	/* The checker must be able to say no: a counter without _total. */
	assert_int_not_equal(promtool_check("# HELP foo Foo.\n# TYPE foo counter\nfoo 1\n",
					    out, sizeof(out)), 0);
	assert_int_not_equal(promtool_check("foo{a=\"b} 1\n", out, sizeof(out)), 0);
}

static void series_values(void **state)
{
	struct fixture f;
	char *t;

	(void)state;
	three_devices(&f);
	t = render(&f.snap);
	assert_true(has_line(t, "vtop_build_info{version=\"" VTOP_VERSION "\"} 1"));
	assert_true(has_line(t, "vtop_attach_mode{mode=\"tp_btf\"} 1"));
	assert_true(has_line(t, "vtop_last_sample_timestamp_seconds 1700000000.000"));
	assert_true(has_line(t, "vtop_bpf_seconds_per_event 3.125000e-07"));
	/* No counter that counts only while measured. */
	assert_null(strstr(t, "vtop_bpf_run"));
	assert_true(has_line(t, "uvdev_devices_created_total 4"));
	assert_true(has_line(t, "uvdev_devices_destroyed_total 1"));
	assert_true(has_line(t, "uvdev_queue_kicks_total{device=\"blk0\",queue=\"0\",mode=\"eventfd\"} 30"));
	assert_true(has_line(t, "uvdev_queue_kicks_total{device=\"blk0\",queue=\"0\",mode=\"dropped\"} 2"));
	assert_true(has_line(t, "uvdev_queue_pops_total{device=\"blk0\",queue=\"0\"} 28"));
	assert_true(has_line(t, "uvdev_queue_pushes_total{device=\"blk0\",queue=\"0\"} 27"));
	assert_true(has_line(t, "uvdev_queue_bytes_total{device=\"blk0\",queue=\"0\",direction=\"pop\"} 114688"));
	assert_true(has_line(t, "uvdev_queue_bytes_total{device=\"blk0\",queue=\"0\",direction=\"push\"} 13824"));
	assert_true(has_line(t, "uvdev_queue_irqs_injected_total{device=\"blk0\",queue=\"0\"} 27"));
	assert_true(has_line(t, "uvdev_queue_irqs_delivered_total{device=\"blk0\",queue=\"0\",outcome=\"spurious\"} 2"));
	assert_true(has_line(t, "uvdev_queue_inflight{device=\"blk0\",queue=\"0\"} 1"));
	assert_true(has_line(t, "uvdev_queue_oldest_inflight_seconds{device=\"blk0\",queue=\"0\"} 2.0000005"));
	assert_true(has_line(t, "uvdev_queue_resubmits_total{device=\"blk0\",queue=\"0\"} 3"));
	assert_true(has_line(t, "uvdev_queue_failed_total{device=\"blk0\",queue=\"0\"} 2"));
	assert_true(has_line(t, "uvdev_queue_oldest_pending_seconds{device=\"blk0\",queue=\"0\"} 5"));
	/* None pending or none in flight: 0, not an age since boot. */
	assert_true(has_line(t, "uvdev_queue_oldest_pending_seconds{device=\"blk0\",queue=\"1\"} 0"));
	assert_true(has_line(t, "uvdev_queue_state{device=\"blk0\",queue=\"0\",state=\"stalled\"} 1"));
	assert_true(has_line(t, "uvdev_queue_state{device=\"blk0\",queue=\"0\",state=\"ok\"} 0"));
	assert_true(has_line(t, "uvdev_queue_state{device=\"blk0\",queue=\"1\",state=\"idle\"} 1"));
	assert_true(has_line(t, "uvdev_device_state{device=\"blk0\",state=\"stalled\"} 1"));
	assert_true(has_line(t, "uvdev_device_status{device=\"blk0\"} 15"));
	assert_true(has_line(t, "uvdev_device_broken{device=\"blk0\"} 0"));
	assert_true(has_line(t, "uvdev_device_messages_inflight{device=\"blk0\"} 1"));
	assert_true(has_line(t, "uvdev_device_oldest_message_seconds{device=\"blk0\"} 1.5"));
	assert_true(has_line(t, "uvdev_device_messages_total{device=\"blk0\",type=\"set_status\",result=\"ok\"} 3"));
	assert_true(has_line(t, "uvdev_device_messages_total{device=\"blk0\",type=\"type6\",result=\"failed\"} 1"));
	/* Types uvdev lacks only once seen. */
	assert_false(strstr(t, "device=\"rng0\",type=\"type6\""));
	assert_true(has_line(t, "uvdev_device_info{device=\"blk0\",dev=\"1\",device_id=\"2\",num_queues=\"1\"} 1"));
	/* A state series per state and queue, exactly one of them 1. */
	assert_int_equal(count_lines_starting(t, "uvdev_queue_state{device=\"blk0\",queue=\"0\","),
			 VTOP_STATE_COUNT);
	free(t);
}

static void notif_series(void **state)
{
	struct fixture f;
	char *t;

	(void)state;
	three_devices(&f);
	t = render(&f.snap);
	assert_true(has_line(t, "# TYPE uvdev_device_notif_posts_total counter"));
	assert_true(has_line(t, "uvdev_device_notif_posts_total{device=\"rng0\"} 7"));
	assert_true(has_line(t, "uvdev_device_notif_posts_total{device=\"blk0\"} 0"));
	/* Deliveries by outcome add up to the deliveries. */
	assert_true(has_line(t, "uvdev_device_notif_deliveries_total{device=\"rng0\",outcome=\"woke\"} 2"));
	assert_true(has_line(t, "uvdev_device_notif_deliveries_total{device=\"rng0\",outcome=\"unwaited\"} 2"));
	assert_true(has_line(t, "uvdev_device_notif_deliveries_total{device=\"rng0\",outcome=\"bottom_half\"} 1"));
	assert_true(has_line(t, "uvdev_device_notif_merged_total{device=\"rng0\"} 1"));
	assert_true(has_line(t, "uvdev_device_notif_wakeups_total{device=\"rng0\"} 4"));
	assert_true(has_line(t, "uvdev_device_notif_bottom_halves_total{device=\"rng0\"} 1"));
	assert_true(has_line(t, "uvdev_device_notif_waits_total{device=\"rng0\",result=\"woken\"} 4"));
	assert_true(has_line(t, "uvdev_device_notif_waits_total{device=\"rng0\",result=\"timeout\"} 1"));
	assert_true(has_line(t, "uvdev_device_notif_waits_total{device=\"rng0\",result=\"failed\"} 0"));
	assert_int_equal(count_lines_starting(t, "uvdev_device_notif_waits_total{device=\"rng0\","),
			 UVDEV_TRACE_WAIT_RESULTS);
	/* 3000 ns is slot 11: [2048, 4095], le 4.095e-06 s. */
	assert_true(has_line(t, "uvdev_device_notif_delivery_seconds_bucket{device=\"rng0\",le=\"0.000002047\"} 0"));
	assert_true(has_line(t, "uvdev_device_notif_delivery_seconds_bucket{device=\"rng0\",le=\"0.000004095\"} 5"));
	assert_true(has_line(t, "uvdev_device_notif_delivery_seconds_sum{device=\"rng0\"} 0.000015"));
	assert_true(has_line(t, "uvdev_device_notif_delivery_seconds_count{device=\"rng0\"} 5"));
	assert_true(has_line(t, "uvdev_device_notif_wait_seconds_count{device=\"rng0\"} 5"));
	assert_true(has_line(t, "uvdev_device_notif_wait_seconds_sum{device=\"rng0\"} 2.00002"));
	/* Waiters and the longest wait: the kernel's, at the sample. */
	assert_true(has_line(t, "uvdev_device_notif_waiters{device=\"rng0\"} 2"));
	assert_true(has_line(t, "uvdev_device_notif_longest_wait_seconds{device=\"rng0\"} 1.25"));
	assert_true(has_line(t, "uvdev_device_notif_waiters{device=\"blk0\"} 0"));
	assert_true(has_line(t, "uvdev_device_notif_longest_wait_seconds{device=\"blk0\"} 0"));
	/* Past --stall-ms: the device's state. */
	assert_true(has_line(t, "uvdev_device_state{device=\"rng0\",state=\"notif-stalled\"} 1"));
	assert_true(has_line(t, "uvdev_device_state{device=\"blk0\",state=\"notif-stalled\"} 0"));
	free(t);
}

static void histogram_buckets(void **state)
{
	struct fixture f;
	char *t;

	(void)state;
	three_devices(&f);
	t = render(&f.snap);
	/*
	 * Cumulative, le = the slot's highest nanosecond in seconds; the
	 * first bucket ends at 1023 ns and counts everything faster.
	 */
	assert_true(has_line(t, "uvdev_queue_wait_seconds_bucket{device=\"blk0\",queue=\"0\",le=\"0.000001023\"} 3"));
	assert_true(has_line(t, "uvdev_queue_wait_seconds_bucket{device=\"blk0\",queue=\"0\",le=\"0.000002047\"} 3"));
	assert_null(strstr(t, "le=\"0.000000511\""));
	assert_null(strstr(t, "le=\"0.000000001\""));
	assert_true(has_line(t, "uvdev_queue_wait_seconds_bucket{device=\"blk0\",queue=\"0\",le=\"0.002097151\"} 27"));
	assert_true(has_line(t, "uvdev_queue_wait_seconds_bucket{device=\"blk0\",queue=\"0\",le=\"1099.511627775\"} 27"));
	assert_true(has_line(t, "uvdev_queue_wait_seconds_bucket{device=\"blk0\",queue=\"0\",le=\"+Inf\"} 28"));
	assert_true(has_line(t, "uvdev_queue_wait_seconds_sum{device=\"blk0\",queue=\"0\"} 1.5"));
	assert_true(has_line(t, "uvdev_queue_wait_seconds_count{device=\"blk0\",queue=\"0\"} 28"));
	/* 31 finite buckets (slots 9 to 39) and +Inf per histogram. */
	assert_int_equal(count_lines_starting(t, "uvdev_queue_wait_seconds_bucket{device=\"blk0\",queue=\"0\","), 32);
	assert_true(has_line(t, "uvdev_device_message_seconds_bucket{device=\"blk0\",type=\"set_status\",le=\"0.000008191\"} 3"));
	assert_true(has_line(t, "uvdev_device_message_seconds_sum{device=\"blk0\",type=\"set_status\"} 0.000015"));
	free(t);
}

static void one_help_and_type_per_family(void **state)
{
	static const char *const families[] = {
		"uvdev_queue_kicks_total counter", "uvdev_queue_pops_total counter",
		"uvdev_queue_pushes_total counter", "uvdev_queue_bytes_total counter",
		"uvdev_queue_irqs_injected_total counter",
		"uvdev_queue_irqs_delivered_total counter", "uvdev_queue_inflight gauge",
		"uvdev_queue_oldest_inflight_seconds gauge",
		"uvdev_queue_resubmits_total counter", "uvdev_queue_failed_total counter",
		"uvdev_queue_oldest_pending_seconds gauge",
		"uvdev_queue_wait_seconds histogram", "uvdev_queue_service_seconds histogram",
		"uvdev_queue_irq_latency_seconds histogram", "uvdev_queue_state gauge",
		"uvdev_device_messages_total counter", "uvdev_device_message_seconds histogram",
		"uvdev_device_messages_inflight gauge", "uvdev_device_broken gauge",
		"uvdev_device_status gauge", "vtop_build_info gauge", "vtop_attach_mode gauge",
		"vtop_last_sample_timestamp_seconds gauge", "vtop_bpf_seconds_per_event gauge",
	};
	struct fixture f;
	char prefix[128];
	size_t i;
	char *t;

	(void)state;
	three_devices(&f);
	t = render(&f.snap);
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		snprintf(prefix, sizeof(prefix), "# TYPE %s", families[i]);
		assert_true(has_line(t, prefix));
		assert_int_equal(count_lines_starting(t, prefix), 1);
		/* "# HELP name ": the name and a space, not a longer name. */
		strchr(prefix + 7, ' ')[1] = '\0';
		memcpy(prefix, "# HELP", 6);
		assert_int_equal(count_lines_starting(t, prefix), 1);
	}
	free(t);
}

static void label_values_escaped(void **state)
{
	struct fixture f;
	char *t;

	(void)state;
	three_devices(&f);
	t = render(&f.snap);
	assert_true(has_line(t, "uvdev_device_status{device=\"od\\\"d\\\\x\\ny\"} 0"));
	free(t);
}

static void destroyed_device_disappears(void **state)
{
	struct fixture before, after;
	char *t1, *t2, out[4096];

	(void)state;
	three_devices(&before);
	t1 = render(&before.snap);
	assert_non_null(strstr(t1, "device=\"rng0\""));
	/* rng0 destroyed: its device and queue entries are gone. */
	three_devices(&after);
	after.devs[1] = after.devs[2];
	after.snap.ndevs = 2;
	after.snap.nqueues = 2;
	assert_int_equal(after.queues[1].dev, 1);
	t2 = render(&after.snap);
	assert_null(strstr(t2, "rng0"));
	assert_non_null(strstr(t2, "device=\"blk0\""));
	assert_int_equal(promtool_check(t2, out, sizeof(out)), 0);
	free(t1);
	free(t2);
}

static void no_device_at_all(void **state)
{
	struct fixture f;
	char out[4096];
	char *t;

	(void)state;
	fixture_init(&f, 1 * SEC, 0);
	t = render(&f.snap);
	assert_null(strstr(t, "device=\""));
	/* Nothing measured: the family, and no series. */
	assert_true(has_line(t, "# TYPE vtop_bpf_seconds_per_event gauge"));
	assert_int_equal(count_lines_starting(t, "vtop_bpf_seconds_per_event"), 0);
	assert_true(has_line(t, "vtop_last_sample_timestamp_seconds 0.000"));
	assert_int_equal(promtool_check(t, out, sizeof(out)), 0);
	free(t);
}

static void seconds_exactly(void **state)
{
	static const struct {
		uint64_t ns;
		const char *text;
	} cases[] = {
		{ 0, "0" }, { 1, "0.000000001" }, { 1500, "0.0000015" }, { 1000000000, "1" },
		{ 1234567890123ULL, "1234.567890123" }, { UINT64_MAX, "18446744073.709551615" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		vtop_prom_put_seconds(f, cases[i].ns);
		assert_int_equal(fclose(f), 0);
		assert_string_equal(buf, cases[i].text);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(promtool_accepts),
		cmocka_unit_test(promtool_can_fail),
		cmocka_unit_test(series_values),
		cmocka_unit_test(notif_series),
		cmocka_unit_test(histogram_buckets),
		cmocka_unit_test(one_help_and_type_per_family),
		cmocka_unit_test(label_values_escaped),
		cmocka_unit_test(destroyed_device_disappears),
		cmocka_unit_test(no_device_at_all),
		cmocka_unit_test(seconds_exactly),
	};

	/* promtool stops reading at the first error: EPIPE, not death. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("vtop_prom", tests, NULL, NULL);
}
