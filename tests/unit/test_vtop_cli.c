// SPDX-License-Identifier: GPL-2.0
/*
 * vtop's command line (tools/vtop/cli.c): defaults, every option, bad
 * input and the exit status.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static char err_text[4096];

/*
 * Parse @argv (NULL-terminated); what went to the error stream is in
 * err_text. getopt's own complaints about unknown options go to stderr:
 * that is /dev/null meanwhile.
 */
static int parse(char **argv, struct vtop_options *opts)
{
	FILE *err = fmemopen(err_text, sizeof(err_text), "w");
	int argc = 0, rc, saved, devnull;

	assert_non_null(err);
	while (argv[argc])
		argc++;
	memset(err_text, 0, sizeof(err_text));
	saved = dup(STDERR_FILENO);
	devnull = open("/dev/null", O_WRONLY);
	assert_true(saved >= 0 && devnull >= 0);
	dup2(devnull, STDERR_FILENO);
	rc = vtop_parse_args(argc, argv, opts, err);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(devnull);
	fclose(err);
	return rc;
}

#define PARSE(opts, ...) parse((char *[]){ "vtop", __VA_ARGS__, NULL }, opts)

static void defaults(void **state)
{
	struct vtop_options o;

	(void)state;
	assert_int_equal(parse((char *[]){ "vtop", NULL }, &o), VTOP_EXIT_OK);
	assert_int_equal(o.interval_ms, 1000);
	assert_int_equal(o.count, -1);
	assert_int_equal(o.format, VTOP_FORMAT_AUTO);
	assert_int_equal(o.fail_on, 0);
	assert_false(o.exporter);
	assert_false(o.raw_tp);
	assert_true(o.cost);
	assert_false(o.verbose);
	assert_false(o.exit_now);
	assert_string_equal(o.filter, "");
	assert_int_equal(o.states.stall_ms, VTOP_STALL_MS_DEFAULT);
	assert_int_equal(o.states.irq_ms, VTOP_IRQ_MS_DEFAULT);
}

static void every_option(void **state)
{
	struct vtop_options o;

	(void)state;
	assert_int_equal(PARSE(&o, "-v", "-o", "csv", "--fail-on", "stalled,broken",
			       "--exporter", "127.0.0.1:9100", "--stall-ms", "250",
			       "--irq-ms", "75", "--raw-tp", "--no-cost", "--filter", "blk*", "0.5",
			       "3"),
			 VTOP_EXIT_OK);
	assert_true(o.verbose);
	assert_int_equal(o.format, VTOP_FORMAT_CSV);
	assert_int_equal(o.fail_on, VTOP_STATE_BIT(VTOP_STATE_STALLED) |
			 VTOP_STATE_BIT(VTOP_STATE_BROKEN));
	assert_true(o.exporter);
	assert_string_equal(o.exporter_host, "127.0.0.1");
	assert_string_equal(o.exporter_port, "9100");
	assert_int_equal(o.states.stall_ms, 250);
	assert_int_equal(o.states.irq_ms, 75);
	assert_true(o.raw_tp);
	assert_false(o.cost);
	assert_string_equal(o.filter, "blk*");
	assert_int_equal(o.interval_ms, 500);
	assert_int_equal(o.count, 3);

	assert_int_equal(PARSE(&o, "--output=json", "-f", "*/0", "2"), VTOP_EXIT_OK);
	assert_int_equal(o.format, VTOP_FORMAT_JSON);
	assert_string_equal(o.filter, "*/0");
	assert_int_equal(o.interval_ms, 2000);
	assert_int_equal(PARSE(&o, "-o", "text"), VTOP_EXIT_OK);
	assert_int_equal(o.format, VTOP_FORMAT_TEXT);
}

static void once(void **state)
{
	struct vtop_options o;

	(void)state;
	assert_int_equal(PARSE(&o, "--once"), VTOP_EXIT_OK);
	assert_int_equal(o.count, 1);
	assert_int_equal(PARSE(&o, "--once", "5"), VTOP_EXIT_OK);
	assert_int_equal(o.count, 1);
	assert_int_equal(o.interval_ms, 5000);
	assert_int_equal(PARSE(&o, "--once", "5", "1"), VTOP_EXIT_OK);
	assert_int_equal(PARSE(&o, "--once", "5", "2"), VTOP_EXIT_USAGE);
	assert_non_null(strstr(err_text, "--once"));
}

static void bad_interval_and_count(void **state)
{
	static const char *const bad_intervals[] = {
		"0", "0.0", "0.05", "abc", "1x", "", " 1", "nan", "inf", "3601", "1e9",
	};
	struct vtop_options o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_intervals) / sizeof(bad_intervals[0]); i++) {
		assert_int_equal(PARSE(&o, (char *)bad_intervals[i]), VTOP_EXIT_USAGE);
		assert_non_null(strstr(err_text, "invalid interval"));
	}
	assert_int_equal(PARSE(&o, "-1"), VTOP_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "1", "0"), VTOP_EXIT_USAGE);
	assert_non_null(strstr(err_text, "invalid count '0'"));
	assert_int_equal(PARSE(&o, "1", "x"), VTOP_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "1", "-3"), VTOP_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "1", "2", "3"), VTOP_EXIT_USAGE);
	assert_non_null(strstr(err_text, "too many arguments"));
	assert_int_equal(PARSE(&o, "0.1", "99999"), VTOP_EXIT_OK);
	assert_int_equal(o.interval_ms, 100);
	assert_int_equal(PARSE(&o, "3600"), VTOP_EXIT_OK);
}

static void bad_options(void **state)
{
	struct vtop_options o;

	(void)state;
	assert_int_equal(PARSE(&o, "-o", "xml"), VTOP_EXIT_USAGE);
	assert_non_null(strstr(err_text, "unknown output format 'xml'"));
	assert_int_equal(PARSE(&o, "--stall-ms", "0"), VTOP_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "--stall-ms", "12ms"), VTOP_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "--irq-ms", "-5"), VTOP_EXIT_USAGE);
	assert_non_null(strstr(err_text, "--irq-ms"));
	assert_int_equal(PARSE(&o, "--filter", ""), VTOP_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "--no-such-option"), VTOP_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-o"), VTOP_EXIT_USAGE);
}

static void fail_on_states(void **state)
{
	unsigned int mask;
	struct vtop_options o;

	(void)state;
	assert_int_equal(vtop_parse_fail_on("ok,idle,not-ready,irq-lost,notif-stalled,stalled,"
					    "needs-reset,broken", &mask), 0);
	assert_int_equal(mask, (1U << VTOP_STATE_COUNT) - 1);
	assert_int_equal(vtop_parse_fail_on("irq-lost", &mask), 0);
	assert_int_equal(mask, VTOP_STATE_BIT(VTOP_STATE_IRQ_LOST));
	assert_int_not_equal(vtop_parse_fail_on("stalled,hung", &mask), 0);
	assert_int_not_equal(vtop_parse_fail_on("stalled,", &mask), 0);
	assert_int_not_equal(vtop_parse_fail_on(",", &mask), 0);
	assert_int_not_equal(vtop_parse_fail_on("", &mask), 0);
	assert_int_not_equal(vtop_parse_fail_on("Stalled", &mask), 0);
	assert_int_equal(PARSE(&o, "--fail-on", "stalled,hung"), VTOP_EXIT_USAGE);
	assert_non_null(strstr(err_text, "invalid --fail-on 'stalled,hung'"));
}

static void exporter_addresses(void **state)
{
	static const struct {
		const char *arg, *host, *port;
	} good[] = {
		{ "9100", "127.0.0.1", "9100" },	/* a port alone: loopback only */
		{ "1", "127.0.0.1", "1" },
		{ ":9100", "", "9100" },		/* every address */
		{ "0.0.0.0:9100", "0.0.0.0", "9100" },
		{ "127.0.0.1:9100", "127.0.0.1", "9100" },
		{ "[::1]:80", "::1", "80" },
		{ "[::]:65535", "::", "65535" },
		{ "localhost:1", "localhost", "1" },
	};
	static const char *const bad[] = {
		"0", "65536", "91a", "-1", "", " 9100", "[::1]", "host:", "host:0", "host:65536", "host:99999", "host:abc", "host:-1",
		"host: 80", "::1:9100", "[::1:9100", "[]:80", "[::1]x:80", "a]:80", ":",
	};
	char host[VTOP_HOST_MAX], port[VTOP_PORT_MAX];
	struct vtop_options o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(vtop_parse_exporter_addr(good[i].arg, host, sizeof(host),
							  port, sizeof(port)), 0);
		assert_string_equal(host, good[i].host);
		assert_string_equal(port, good[i].port);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!vtop_parse_exporter_addr(bad[i], host, sizeof(host), port, sizeof(port)))
			fail_msg("'%s' was accepted", bad[i]);
	}
	/* A host that does not fit. */
	assert_int_not_equal(vtop_parse_exporter_addr("abcdef:80", host, 4, port,
						      sizeof(port)), 0);
	assert_int_equal(PARSE(&o, "--exporter", "nope"), VTOP_EXIT_USAGE);
	assert_non_null(strstr(err_text, "invalid --exporter 'nope'"));
	assert_int_equal(PARSE(&o, "--exporter", "9464"), VTOP_EXIT_OK);
	assert_true(o.exporter);
	assert_string_equal(o.exporter_host, "127.0.0.1");
	assert_string_equal(o.exporter_port, "9464");
}

static void help_and_version_exit_zero(void **state)
{
	struct vtop_options o;
	int saved, devnull;

	(void)state;
	/* Help goes to stdout: keep it out of the test log. */
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	devnull = open("/dev/null", O_WRONLY);
	assert_true(saved >= 0 && devnull >= 0);
	dup2(devnull, STDOUT_FILENO);
	assert_int_equal(PARSE(&o, "--help"), VTOP_EXIT_OK);
	assert_true(o.exit_now);
	assert_int_equal(PARSE(&o, "-h"), VTOP_EXIT_OK);
	assert_true(o.exit_now);
	assert_int_equal(PARSE(&o, "--version"), VTOP_EXIT_OK);
	assert_true(o.exit_now);
	assert_int_equal(PARSE(&o, "--usage"), VTOP_EXIT_OK);
	assert_true(o.exit_now);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(devnull);
	assert_string_equal(err_text, "");
}

/* The perf gate's hidden knob: 1 to VTOP_DEBUG_LOOPS_MAX, not in --help. */
static void debug_bpf_loops(void **state)
{
	struct vtop_options o;
	char help[16384];
	FILE *out;
	size_t n;
	int saved;

	(void)state;
	assert_int_equal(PARSE(&o, "-o", "json"), VTOP_EXIT_OK);
	assert_int_equal(o.debug_bpf_loops, 0);
	assert_int_equal(PARSE(&o, "--debug-bpf-loops", "7"), VTOP_EXIT_OK);
	assert_int_equal(o.debug_bpf_loops, 7);
	assert_int_equal(PARSE(&o, "--debug-bpf-loops", "4096"), VTOP_EXIT_OK);
	assert_int_equal(o.debug_bpf_loops, VTOP_DEBUG_LOOPS_MAX);
	assert_int_equal(PARSE(&o, "--debug-bpf-loops", "0"), VTOP_EXIT_USAGE);
	assert_non_null(strstr(err_text, "--debug-bpf-loops"));
	assert_int_equal(PARSE(&o, "--debug-bpf-loops", "4097"), VTOP_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "--debug-bpf-loops", "x"), VTOP_EXIT_USAGE);

	/* Hidden: --help does not mention it. */
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	out = tmpfile();
	assert_true(saved >= 0 && out);
	dup2(fileno(out), STDOUT_FILENO);
	assert_int_equal(PARSE(&o, "--help"), VTOP_EXIT_OK);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(out);
	n = fread(help, 1, sizeof(help) - 1, out);
	fclose(out);
	help[n] = '\0';
	assert_non_null(strstr(help, "--raw-tp"));
	assert_null(strstr(help, "debug"));
}

static void exit_status(void **state)
{
	unsigned int stalled = VTOP_STATE_BIT(VTOP_STATE_STALLED);
	unsigned int ok = VTOP_STATE_BIT(VTOP_STATE_OK);

	(void)state;
	assert_int_equal(vtop_exit_status(0, ok, 0), VTOP_EXIT_OK);
	assert_int_equal(vtop_exit_status(0, ok | stalled, 0), VTOP_EXIT_OK);
	assert_int_equal(vtop_exit_status(0, ok, stalled), VTOP_EXIT_OK);
	assert_int_equal(vtop_exit_status(0, ok | stalled, stalled), VTOP_EXIT_FAIL_STATE);
	assert_int_equal(vtop_exit_status(-5, ok | stalled, stalled), VTOP_EXIT_RUNTIME);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_option),
		cmocka_unit_test(once),
		cmocka_unit_test(bad_interval_and_count),
		cmocka_unit_test(bad_options),
		cmocka_unit_test(fail_on_states),
		cmocka_unit_test(exporter_addresses),
		cmocka_unit_test(help_and_version_exit_zero),
		cmocka_unit_test(debug_bpf_loops),
		cmocka_unit_test(exit_status),
	};

	return cmocka_run_group_tests_name("vtop_cli", tests, NULL, NULL);
}
