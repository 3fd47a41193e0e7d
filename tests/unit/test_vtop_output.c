// SPDX-License-Identifier: GPL-2.0
/*
 * JSON lines, CSV and string escaping (tools/vtop/output.c, escape.c).
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uapi/uvdev.h>
#include <uapi/uvdev_trace.h>

#include "escape.h"
#include "output.h"
#include "vtop_fixture.h"

static const struct vtop_state_opts opts = { .stall_ms = 1000, .irq_ms = 1000 };

/* ---- a small JSON syntax checker ------------------------------------- */

static bool json_value(const char **p);

static void json_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static bool json_string(const char **p)
{
	if (**p != '"')
		return false;
	for ((*p)++; **p != '"'; (*p)++) {
		unsigned char c = (unsigned char)**p;

		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		(*p)++;
		if (**p == 'u') {
			int i;

			for (i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)(*p)[i]))
					return false;
			*p += 4;
		} else if (!strchr("\"\\/bfnrt", **p) || !**p) {
			return false;
		}
	}
	(*p)++;
	return true;
}

static bool json_digits(const char **p)
{
	const char *start = *p;

	while (isdigit((unsigned char)**p))
		(*p)++;
	return *p > start;
}

static bool json_number(const char **p)
{
	if (**p == '-')
		(*p)++;
	if (**p == '0')
		(*p)++;
	else if (!json_digits(p))
		return false;
	if (**p == '.') {
		(*p)++;
		if (!json_digits(p))
			return false;
	}
	if (**p == 'e' || **p == 'E') {
		(*p)++;
		if (**p == '+' || **p == '-')
			(*p)++;
		if (!json_digits(p))
			return false;
	}
	return true;
}

static bool json_members(const char **p, char close, bool keys)
{
	(*p)++;
	json_ws(p);
	if (**p == close) {
		(*p)++;
		return true;
	}
	for (;;) {
		json_ws(p);
		if (keys) {
			if (!json_string(p))
				return false;
			json_ws(p);
			if (**p != ':')
				return false;
			(*p)++;
		}
		if (!json_value(p))
			return false;
		json_ws(p);
		if (**p == close) {
			(*p)++;
			return true;
		}
		if (**p != ',')
			return false;
		(*p)++;
	}
}

static bool json_value(const char **p)
{
	json_ws(p);
	switch (**p) {
	case '{':
		return json_members(p, '}', true);
	case '[':
		return json_members(p, ']', false);
	case '"':
		return json_string(p);
	case 't':
		return !strncmp(*p, "true", 4) && (*p += 4);
	case 'f':
		return !strncmp(*p, "false", 5) && (*p += 5);
	case 'n':
		return !strncmp(*p, "null", 4) && (*p += 4);
	default:
		return json_number(p);
	}
}

/* One JSON document followed by exactly one newline. */
static bool json_line_valid(const char *text)
{
	const char *p = text;

	if (!json_value(&p))
		return false;
	return p[0] == '\n' && p[1] == '\0';
}

static void checker_checks(void **state)
{
	(void)state;
	assert_true(json_line_valid("{\"a\":[1,-2.5,3e2,\"x\\n\\u00e9\",true,null,{}]}\n"));
	assert_false(json_line_valid("{\"a\":1,}\n"));
	assert_false(json_line_valid("{\"a\":\"raw\nnewline\"}\n"));
	assert_false(json_line_valid("{\"a\":01}\n"));
	assert_false(json_line_valid("{\"a\":1}"));
	assert_false(json_line_valid("{\"a\" 1}\n"));
}

/* ---- capture ---------------------------------------------------------- */

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void capture_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

static char *capture_close(struct capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	return c->buf;
}

/* ---- fixtures ---------------------------------------------------------- */

/* blk0: one queue, 10 kicks/pops/pushes over 2 s, 1 message. */
static void small_view(struct vtop_view *v, const char *name)
{
	struct fixture older, newer;
	struct vtop_queue_snap *q;
	struct vtop_dev_snap *d;

	fixture_init(&older, 1 * SEC, 1700000000000);
	fixture_init(&newer, 3 * SEC, 1700000002500);
	fixture_dev(&older, 1, name, STATUS_RUNNING);
	d = fixture_dev(&newer, 1, name, STATUS_RUNNING);
	d->stats.msgs[UVDEV_MSG_SET_STATUS][UVDEV_TRACE_MSG_OK] = 1;
	d->stats.msg_hist[UVDEV_MSG_SET_STATUS][10] = 1;
	/* 8 posts, 6 deliveries over the interval; 2 waiters, the longer 250 ms. */
	d->stats.notif = (struct vtop_notif_stats){
		.posts = 8, .deliveries = 6, .merged = 2, .woke = 2, .wakeups = 3,
		.unwaited = 3, .bh_requests = 1, .bottom_halves = 1,
		.waits = { [UVDEV_TRACE_WAIT_WOKEN] = 3, [UVDEV_TRACE_WAIT_REMEMBERED] = 1 },
		.deliver_sum_ns = 30000, .wait_sum_ns = 4500000,
		.deliver_hist = { [12] = 6 }, .wait_hist = { [20] = 4 },
	};
	d->notif = (struct vtop_knotif){
		.known = true, .notif_max = 16, .waiters = 2, .remembered_now = 1,
		.oldest_wait_ns = 3 * SEC - 250 * MS,
	};
	fixture_queue(&older, 1, 0);
	q = fixture_queue(&newer, 1, 0);
	q->stats.kicks[UVDEV_TRACE_KICK_EVENTFD] = 10;
	q->stats.pops = 10;
	q->stats.pushes = 10;
	q->stats.pop_bytes = 4000;
	q->stats.irq_injects = 10;
	q->stats.irq_delivers[UVDEV_TRACE_IRQ_HANDLED] = 10;
	q->stats.wait_hist[10] = 10;		/* [1024, 2047] */
	q->stats.wait_sum_ns = 15000;
	newer.snap.cost.state = VTOP_COST_MEASURED;
	newer.snap.cost.run_ns = 2000;
	newer.snap.cost.runs = 40;
	newer.snap.lifecycle[VTOP_LC_DEV_CREATE] = 1;
	assert_int_equal(vtop_view_build(v, &older.snap, &newer.snap, &opts), 0);
}

static const char small_json[] =
	"{\"time\":\"2023-11-14T22:13:22.500Z\",\"time_ms\":1700000002500,"
	"\"interval_ms\":2000.000,\"mode\":\"raw_tp\","
	"\"bpf\":{\"cost\":\"measured\",\"ns_per_event\":50.000,\"events_measured\":40,"
	"\"stats_on_elsewhere\":false,\"cost_note\":\"measured over 40 events\"},"
	"\"lifecycle\":{\"dev_create\":1,\"dev_destroy\":0},"
	"\"drops\":{\"queues\":0,\"devices\":0,\"messages\":0,\"events\":0},"
	"\"kicks_per_s\":5.000,\"irqs_per_s\":5.000,\"msgs_per_s\":0.500,"
	"\"notif_posts_per_s\":4.000,"
	"\"devices\":[{\"dev\":1,\"name\":\"blk0\",\"known\":true,\"device_id\":2,"
	"\"num_queues\":1,\"status\":15,\"broken\":false,\"state\":\"ok\",\"own_state\":\"ok\","
	"\"msgs_per_s\":0.500,\"msg_p50_ns\":1535,\"msg_p99_ns\":2036,\"msgs_inflight\":0,"
	"\"oldest_msg_ms\":null,\"timeouts\":0,\"timeouts_total\":0,"
	"\"msgs_total\":{"
	"\"set_status\":{\"ok\":1,\"failed\":0,\"timeout\":0,\"interrupted\":0},"
	"\"reset\":{\"ok\":0,\"failed\":0,\"timeout\":0,\"interrupted\":0},"
	"\"vq_ready\":{\"ok\":0,\"failed\":0,\"timeout\":0,\"interrupted\":0},"
	"\"set_config\":{\"ok\":0,\"failed\":0,\"timeout\":0,\"interrupted\":0}},"
	"\"config_irqs_injected_total\":0,\"config_irqs_delivered_total\":0,"
	"\"status_changes_total\":0,"
	"\"notif_max\":16,\"notif_posts_per_s\":4.000,\"notif_deliveries_per_s\":3.000,"
	"\"notif_deliver_p50_ns\":6143,\"notif_deliver_p99_ns\":8150,"
	"\"notif_wait_p50_ns\":1572863,\"notif_wait_p99_ns\":2086665,"
	"\"notif_waiters\":2,\"notif_longest_wait_ms\":250.000,\"notif_remembered_now\":1,"
	"\"notif_total\":{\"posts\":8,\"deliveries\":6,\"merged\":2,\"woke\":2,"
	"\"wakeups\":3,\"unwaited\":3,\"bh_requests\":1,\"bottom_halves\":1,"
	"\"waits\":{\"woken\":3,\"remembered\":1,\"timeout\":0,\"interrupted\":0,"
	"\"failed\":0},\"deliver_sum_ns\":30000,\"wait_sum_ns\":4500000},"
	"\"queues\":[{\"queue\":0,\"state\":\"ok\",\"ready\":true,\"receive\":false,"
	"\"size\":256,"
	"\"kicks_per_s\":5.000,\"pops_per_s\":5.000,\"pushes_per_s\":5.000,"
	"\"irqs_per_s\":5.000,\"irqs_delivered_per_s\":5.000,\"pop_bytes_per_s\":2000.000,"
	"\"push_bytes_per_s\":0.000,\"pending\":0,\"oldest_pending_ms\":null,"
	"\"inflight\":0,\"oldest_inflight_ms\":null,"
	"\"wait_p50_ns\":1535,\"wait_p99_ns\":2036,\"service_p50_ns\":null,"
	"\"service_p99_ns\":null,\"irq_p50_ns\":null,\"irq_p99_ns\":null,"
	"\"zero_copy_pct\":null,"
	"\"totals\":{\"kicks\":{\"eventfd\":10,\"deferred\":0,\"dropped\":0},\"pops\":10,"
	"\"resubmits\":0,\"failed\":0,\"pushes\":10,\"pop_bytes\":4000,\"push_bytes\":0,\"irqs_injected\":10,"
	"\"irqs_delivered\":{\"handled\":10,\"spurious\":0,\"suppressed\":0},"
	"\"wait_sum_ns\":15000,\"service_sum_ns\":0,\"irq_sum_ns\":0,"
	"\"zc_maps\":0,\"zc_mapped_pages\":0,\"zc_copied_pages\":0,\"zc_fallbacks\":0,"
	"\"zc_completions\":0,\"zc_complete_sum_ns\":0},"
	"\"zc_fallbacks\":0,\"zc_complete_p50_ns\":null,\"zc_complete_p99_ns\":null}]}],"
	"\"events\":[],\"events_dropped\":0}\n";

static void json_exact(void **state)
{
	struct capture c;
	struct vtop_view v;
	char *text;

	(void)state;
	small_view(&v, "blk0");
	capture_open(&c);
	assert_int_equal(vtop_output_json(c.f, &v, NULL, "raw_tp"), 0);
	text = capture_close(&c);
	assert_string_equal(text, small_json);
	assert_true(json_line_valid(text));
	free(text);
	vtop_view_free(&v);
}

static void json_odd_name_is_escaped(void **state)
{
	/* Quote, backslash, newline, tab, a control byte, an invalid byte, é. */
	static const char odd[] = "a\"b\\c\nd\te\x01\xff\xc3\xa9";
	static const char escaped[] =
		"\"name\":\"a\\\"b\\\\c\\nd\\te\\u0001\xef\xbf\xbd\xc3\xa9\"";
	struct capture c;
	struct vtop_view v;
	char *text;

	(void)state;
	small_view(&v, odd);
	capture_open(&c);
	assert_int_equal(vtop_output_json(c.f, &v, NULL, "tp_btf"), 0);
	text = capture_close(&c);
	assert_true(json_line_valid(text));
	assert_non_null(strstr(text, escaped));
	free(text);
	vtop_view_free(&v);
}

static void json_events_and_filter(void **state)
{
	static const char expected_events[] =
		"\"events\":[{\"type\":\"dev_create\",\"time_ms\":1700000002000,"
		"\"ns\":2500000000,\"dev\":1,\"device\":\"blk0\",\"device_id\":2,\"num_queues\":1},"
		"{\"type\":\"msg_timeout\",\"time_ms\":1700000002500,\"ns\":3000000000,\"dev\":9,"
		"\"device\":\"dev9\",\"msg_id\":77,\"msg_type\":\"reset\"},"
		"{\"type\":\"status\",\"time_ms\":1700000002500,\"ns\":3000000000,\"dev\":1,"
		"\"device\":\"blk0\",\"old_status\":7,\"new_status\":15},"
		"{\"type\":\"vq_setup\",\"time_ms\":1700000002500,\"ns\":3000000000,\"dev\":1,"
		"\"device\":\"blk0\",\"queue\":0,\"size\":256,\"ready\":true}],"
		"\"events_dropped\":0}\n";
	struct vtop_event_batch *b = calloc(1, sizeof(*b));
	struct vtop_event ev = { .ns = 3 * SEC, .dev = 1 };
	struct fixture snap;
	struct capture c;
	struct vtop_view v;
	char *text;

	(void)state;
	assert_non_null(b);
	fixture_init(&snap, 3 * SEC, 0);
	fixture_dev(&snap, 1, "blk0", STATUS_RUNNING);
	ev.type = VTOP_EV_DEV_CREATE;
	ev.ns = 2500 * MS;
	ev.a = 2;
	ev.b = 1;
	vtop_event_batch_add(&ev, b);
	ev = (struct vtop_event){ .ns = 3 * SEC, .type = VTOP_EV_MSG_TIMEOUT, .dev = 9,
				  .a = 77, .b = UVDEV_MSG_RESET };
	vtop_event_batch_add(&ev, b);
	ev = (struct vtop_event){ .ns = 3 * SEC, .type = VTOP_EV_STATUS, .dev = 1, .a = 7, .b = 15 };
	vtop_event_batch_add(&ev, b);
	ev = (struct vtop_event){ .ns = 3 * SEC, .type = VTOP_EV_VQ_SETUP, .dev = 1, .a = 256,
				  .b = 1 };
	vtop_event_batch_add(&ev, b);
	vtop_event_batch_name(b, NULL, &snap.snap);

	small_view(&v, "blk0");
	vtop_view_filter(&v, "rng*");
	capture_open(&c);
	assert_int_equal(vtop_output_json(c.f, &v, b, "tp_btf"), 0);
	text = capture_close(&c);
	assert_true(json_line_valid(text));
	assert_non_null(strstr(text, "\"devices\":[],"));
	assert_non_null(strstr(text, expected_events));
	free(text);
	vtop_view_free(&v);
	free(b);
}

static void json_no_device(void **state)
{
	static const char expected[] =
		"{\"time\":\"1970-01-01T00:00:01.000Z\",\"time_ms\":1000,\"interval_ms\":0.000,"
		"\"mode\":\"tp_btf\",\"bpf\":{\"cost\":\"waiting\",\"ns_per_event\":null,"
		"\"events_measured\":0,\"stats_on_elsewhere\":false,\"cost_note\":"
		"\"no uvdev event has run vtop's programs while measured\"},"
		"\"lifecycle\":{\"dev_create\":0,\"dev_destroy\":0},"
		"\"drops\":{\"queues\":0,\"devices\":0,\"messages\":0,\"events\":0},"
		"\"kicks_per_s\":0.000,\"irqs_per_s\":0.000,\"msgs_per_s\":0.000,"
		"\"notif_posts_per_s\":0.000,\"devices\":[],\"events\":[],\"events_dropped\":0}\n";
	struct fixture snap;
	struct capture c;
	struct vtop_view v;
	char *text;

	(void)state;
	fixture_init(&snap, 1 * SEC, 1000);
	assert_int_equal(vtop_view_build(&v, NULL, &snap.snap, &opts), 0);
	capture_open(&c);
	assert_int_equal(vtop_output_json(c.f, &v, NULL, "tp_btf"), 0);
	text = capture_close(&c);
	assert_string_equal(text, expected);
	free(text);
	vtop_view_free(&v);
}

static const char csv_header[] =
	"time_ms,interval_ms,device,dev,queue,state,device_state,device_status,ready,"
	"kicks_per_s,pops_per_s,pushes_per_s,irqs_per_s,irqs_delivered_per_s,"
	"pop_bytes_per_s,push_bytes_per_s,inflight,oldest_inflight_ms,wait_p50_ns,"
	"wait_p99_ns,service_p50_ns,service_p99_ns,irq_p50_ns,irq_p99_ns,zero_copy_pct,"
	"kicks_total,pops_total,pushes_total,irqs_injected_total,irqs_delivered_total,"
	"zc_fallbacks,zc_complete_p50_ns,zc_complete_p99_ns,zc_mapped_pages_total,"
	"zc_copied_pages_total,"
	"notif_posts_per_s,notif_deliver_p50_ns,notif_deliver_p99_ns,notif_waiters,"
	"notif_longest_wait_ms,notif_posts_total,notif_deliveries_total\n";

static void csv_exact(void **state)
{
	static const char row[] =
		"1700000002500,2000.000,blk0,1,0,ok,ok,15,1,5.000,5.000,5.000,5.000,5.000,"
		"2000.000,0.000,0,,1535,2036,,,,,,10,10,10,10,10,0,,,0,0,4.000,6143,8150,2,250.000,8,6\n";
	struct capture c;
	struct vtop_view v;
	char *text;
	int commas = 0;
	const char *p;

	(void)state;
	small_view(&v, "blk0");
	capture_open(&c);
	assert_int_equal(vtop_output_csv_header(c.f), 0);
	assert_int_equal(vtop_output_csv(c.f, &v), 0);
	text = capture_close(&c);
	assert_memory_equal(text, csv_header, strlen(csv_header));
	assert_string_equal(text + strlen(csv_header), row);
	/* As many cells in the row as in the header. */
	for (p = csv_header; *p; p++)
		commas += *p == ',';
	for (p = row; *p; p++)
		commas -= *p == ',';
	assert_int_equal(commas, 0);
	free(text);
	vtop_view_free(&v);
}

static void csv_odd_name_is_quoted(void **state)
{
	struct capture c;
	struct vtop_view v;
	char *text;

	(void)state;
	small_view(&v, "a,b\"c");
	capture_open(&c);
	assert_int_equal(vtop_output_csv(c.f, &v), 0);
	text = capture_close(&c);
	assert_non_null(strstr(text, ",2000.000,\"a,b\"\"c\",1,0,ok,"));
	free(text);
	vtop_view_free(&v);
}

static char *escape_with(void (*put)(FILE *out, const char *s, size_t len),
			 const char *s, size_t len)
{
	struct capture c;

	capture_open(&c);
	put(c.f, s, len);
	return capture_close(&c);
}

static void escaping_rules(void **state)
{
	char *t;

	(void)state;
	t = escape_with(vtop_put_json_string, "plain", 32);
	assert_string_equal(t, "\"plain\"");
	free(t);
	/* @len bounds a name without its NUL. */
	t = escape_with(vtop_put_json_string, "abcdef", 3);
	assert_string_equal(t, "\"abc\"");
	free(t);
	t = escape_with(vtop_put_json_string, "\x7f\x1f", 8);
	assert_string_equal(t, "\"\\u007f\\u001f\"");
	free(t);
	/* Overlong '/', a UTF-16 surrogate, a cut sequence: each byte replaced. */
	t = escape_with(vtop_put_json_string, "\xc0\xaf|\xed\xa0\x80|\xe2\x82", 16);
	assert_string_equal(t, "\"\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
			    "\xef\xbf\xbd\xef\xbf\xbd\"");
	free(t);
	/* A 4-byte sequence stays. */
	t = escape_with(vtop_put_json_string, "\xf0\x9f\x98\x80", 8);
	assert_string_equal(t, "\"\xf0\x9f\x98\x80\"");
	free(t);

	t = escape_with(vtop_put_csv_field, "blk0", 32);
	assert_string_equal(t, "blk0");
	free(t);
	t = escape_with(vtop_put_csv_field, "a\"b", 32);
	assert_string_equal(t, "\"a\"\"b\"");
	free(t);
	t = escape_with(vtop_put_csv_field, "line\nbreak", 32);
	assert_string_equal(t, "\"line\nbreak\"");
	free(t);
	t = escape_with(vtop_put_csv_field, " padded", 32);
	assert_string_equal(t, "\" padded\"");
	free(t);

	t = escape_with(vtop_put_prom_label, "a\"b\\c\nd,e", 32);
	assert_string_equal(t, "\"a\\\"b\\\\c\\nd,e\"");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checker_checks),
		cmocka_unit_test(json_exact),
		cmocka_unit_test(json_odd_name_is_escaped),
		cmocka_unit_test(json_events_and_filter),
		cmocka_unit_test(json_no_device),
		cmocka_unit_test(csv_exact),
		cmocka_unit_test(csv_odd_name_is_quoted),
		cmocka_unit_test(escaping_rules),
	};

	return cmocka_run_group_tests_name("vtop_output", tests, NULL, NULL);
}
