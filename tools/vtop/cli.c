// SPDX-License-Identifier: GPL-2.0
/*
 * vtop's command line (see cli.h).
 */
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "version.h"
#include "vtop.h"

const char *argp_program_version = "vtop " VTOP_VERSION;

static const char doc[] =
"vtop: a top for the virtqueues of uvdev devices.\n"
"\n"
"USAGE: vtop [-v] [-o text|json|csv] [--once] [--fail-on STATE[,STATE]]\n"
"            [--exporter [ADDR:]PORT] [--stall-ms MS] [--irq-ms MS] [--raw-tp]\n"
"            [--no-cost] [--filter GLOB] [interval] [count]\n"
"\n"
"Every interval seconds (default 1, fractions allowed) vtop shows, per device\n"
"and per queue, kicks/s, IRQs/s, what is in flight, wait/service/IRQ latency\n"
"percentiles of the interval and a state: ok, idle, not-ready, irq-lost,\n"
"notif-stalled, stalled, needs-reset or broken; a device row adds its control\n"
"messages and its notifications (rate, delivery p50/p99, waiters, longest\n"
"wait). The screen is used when stdout is a terminal and -o is not given;\n"
"otherwise plain text. Needs root.\n"
"\v"
"EXAMPLES:\n"
"    vtop                      # live screen (h for its keys)\n"
"    vtop 0.5                  # refresh every half second\n"
"    vtop -o json 1 10         # ten one-second intervals as JSON lines\n"
"    vtop -o csv --filter 'blk*' 5   # CSV rows of the blk devices every 5 s\n"
"    vtop --once --fail-on stalled,irq-lost,broken 5\n"
"                              # CI: one 5 s interval, exit 3 on a failure\n"
"    vtop --exporter 9100 -o json 10 >/dev/null\n"
"                              # Prometheus metrics on 127.0.0.1:9100\n"
"    vtop --exporter 0.0.0.0:9100 --no-cost\n"
"                              # on every IPv4 address; no BPF stats\n"
"\n"
"STATES (highest priority first): broken (a control message timed out),\n"
"needs-reset (status NEEDS_RESET or FAILED), stalled (work available and not\n"
"popped for --stall-ms, or a control message in flight that long),\n"
"notif-stalled (a task has waited for a notification key for --stall-ms),\n"
"irq-lost (pushed and no interrupt delivered for --irq-ms), not-ready (queue\n"
"not ready or no DRIVER_OK), idle (nothing happened), ok.\n"
"\n"
"BPF COST: the header, JSON and the exporter show vtop's own BPF cost per\n"
"event, from the kernel's BPF run-time statistics (BPF_ENABLE_STATS). While\n"
"on, they cost every BPF program on the host two clock reads per run, so\n"
"vtop turns them on only to measure: every interval until the first figure,\n"
"then one interval in ten; a figure stands until the next. vtop never writes\n"
"the kernel.bpf_stats_enabled sysctl and never turns off statistics another\n"
"tool turned on. With --no-cost it never turns them on: a figure appears\n"
"only while another tool has them on.\n"
"\n"
"EXPORTER: --exporter serves http://ADDR:PORT/metrics (Prometheus text\n"
"format, every device and queue whatever --filter says, vtop's own cost and\n"
"last sample time) and a page naming it on /. Scrapes are served\n"
"concurrently; an idle connection is closed after a few seconds.\n"
"\n"
"EXIT STATUS: 0 done; 1 runtime error; 2 usage error; 3 a --fail-on state\n"
"was seen on a device or queue (after --filter) during the run.\n";

static const char args_doc[] = "[interval] [count]";

enum {
	OPT_ONCE = 1000,
	OPT_FAIL_ON,
	OPT_EXPORTER,
	OPT_STALL_MS,
	OPT_IRQ_MS,
	OPT_RAW_TP,
	OPT_NO_COST,
	OPT_USAGE,
	OPT_DEBUG_BPF_LOOPS,
};

static const struct argp_option options[] = {
	{ "verbose", 'v', NULL, 0, "Say more: libbpf's log, attach decisions", 0 },
	{ "output", 'o', "FORMAT", 0, "text, json (one object per line) or csv", 0 },
	{ "once", OPT_ONCE, NULL, 0, "One interval, then exit (same as count 1)", 0 },
	{ "fail-on", OPT_FAIL_ON, "STATE[,STATE]", 0,
	  "Exit with status 3 if any of these states was seen", 0 },
	{ "exporter", OPT_EXPORTER, "[ADDR:]PORT", 0,
	  "Serve Prometheus metrics on http://ADDR:PORT/metrics; ADDR is 127.0.0.1 "
	  "unless given, an IPv6 address goes in brackets ([::1]:9100), and an empty "
	  "ADDR (:9100) means every address", 0 },
	{ "stall-ms", OPT_STALL_MS, "MS", 0,
	  "Stalled after MS ms without a pop; notif-stalled when a notification "
	  "wait lasts MS ms (default 1000)", 0 },
	{ "irq-ms", OPT_IRQ_MS, "MS", 0,
	  "irq-lost after MS ms without a delivered IRQ (default 1000)", 0 },
	{ "raw-tp", OPT_RAW_TP, NULL, 0, "Attach raw tracepoints even when module BTF exists", 0 },
	{ "no-cost", OPT_NO_COST, NULL, 0,
	  "Never turn BPF run-time statistics on to measure vtop's own cost", 0 },
	{ "filter", 'f', "GLOB", 0,
	  "Only devices, or DEVICE/QUEUE, matching GLOB (fnmatch), e.g. 'blk*' or '*/0'", 0 },
	/* Deliberate extra work per BPF event, for the perf gate's selftest. */
	{ "debug-bpf-loops", OPT_DEBUG_BPF_LOOPS, "N", OPTION_HIDDEN, NULL, 0 },
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Show a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Show the version", -1 },
	{},
};

struct parse_ctx {
	struct vtop_options *opts;
	FILE *err;
	unsigned int positional;
	bool once;
	bool count_given;
};

int vtop_parse_interval(const char *arg, uint64_t *ms)
{
	char *end;
	double secs;

	errno = 0;
	secs = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(secs) || isspace((unsigned char)arg[0]))
		return -EINVAL;
	secs *= 1000;
	if (secs < VTOP_INTERVAL_MS_MIN || secs > VTOP_INTERVAL_MS_MAX)
		return -EINVAL;
	*ms = (uint64_t)llround(secs);
	return 0;
}

static int parse_count(const char *arg, long long *count)
{
	char *end;

	if (!isdigit((unsigned char)arg[0]))
		return -EINVAL;
	errno = 0;
	*count = strtoll(arg, &end, 10);
	if (errno || *end || *count < 1)
		return -EINVAL;
	return 0;
}

static int parse_ms(const char *arg, uint64_t *ms)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)arg[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || v < 1 || v > VTOP_STATE_MS_MAX)
		return -EINVAL;
	*ms = v;
	return 0;
}

int vtop_parse_fail_on(const char *arg, unsigned int *mask)
{
	const char *p = arg;

	*mask = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		char name[32];
		enum vtop_state s;

		if (!len || len >= sizeof(name))
			return -EINVAL;
		memcpy(name, p, len);
		name[len] = '\0';
		if (vtop_state_parse(name, &s))
			return -EINVAL;
		*mask |= VTOP_STATE_BIT(s);
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* A port number, 1 to 65535, in decimal digits only. */
static int parse_port(const char *arg, char *port, size_t portlen)
{
	size_t len = strlen(arg), i;
	unsigned long p;

	if (!len || len > 5 || len >= portlen)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)arg[i]))
			return -EINVAL;
	p = strtoul(arg, NULL, 10);
	if (p < 1 || p > 65535)
		return -EINVAL;
	memcpy(port, arg, len + 1);
	return 0;
}

int vtop_parse_exporter_addr(const char *arg, char *host, size_t hostlen,
			     char *port, size_t portlen)
{
	const char *colon = strrchr(arg, ':');
	const char *h = arg;
	size_t hlen;

	if (!colon) {
		/* A port alone: loopback only. */
		if (strlen(VTOP_EXPORTER_HOST_DEFAULT) >= hostlen || parse_port(arg, port, portlen))
			return -EINVAL;
		strcpy(host, VTOP_EXPORTER_HOST_DEFAULT);
		return 0;
	}
	hlen = (size_t)(colon - arg);
	if (hlen && arg[0] == '[') {
		if (hlen < 3 || arg[hlen - 1] != ']')
			return -EINVAL;
		h = arg + 1;
		hlen -= 2;
	} else if (memchr(arg, ':', hlen) || memchr(arg, ']', hlen) || memchr(arg, '[', hlen)) {
		return -EINVAL;	/* an IPv6 address needs brackets */
	}
	if (hlen >= hostlen || parse_port(colon + 1, port, portlen))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	return 0;
}

static const char *const format_names[] = {
	[VTOP_FORMAT_TEXT] = "text",
	[VTOP_FORMAT_JSON] = "json",
	[VTOP_FORMAT_CSV] = "csv",
};

static int parse_format(const char *arg, enum vtop_format *format)
{
	unsigned int f;

	for (f = VTOP_FORMAT_TEXT; f <= VTOP_FORMAT_CSV; f++) {
		if (!strcmp(arg, format_names[f])) {
			*format = f;
			return 0;
		}
	}
	return -EINVAL;
}

static error_t parse_positional(struct parse_ctx *ctx, char *arg, struct argp_state *state)
{
	struct vtop_options *opts = ctx->opts;

	switch (ctx->positional++) {
	case 0:
		if (vtop_parse_interval(arg, &opts->interval_ms)) {
			argp_error(state, "invalid interval '%s': seconds, from 0.1 to 3600", arg);
			return EINVAL;
		}
		return 0;
	case 1:
		if (parse_count(arg, &opts->count)) {
			argp_error(state, "invalid count '%s': a number of intervals, at least 1", arg);
			return EINVAL;
		}
		ctx->count_given = true;
		return 0;
	default:
		argp_error(state, "too many arguments: '%s'", arg);
		return EINVAL;
	}
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_ctx *ctx = state->input;
	struct vtop_options *opts = ctx->opts;

	switch (key) {
	case ARGP_KEY_INIT:
		state->err_stream = ctx->err;
		return 0;
	case 'v':
		opts->verbose = true;
		return 0;
	case 'o':
		if (parse_format(arg, &opts->format)) {
			argp_error(state, "unknown output format '%s' (use text, json or csv)", arg);
			return EINVAL;
		}
		return 0;
	case OPT_ONCE:
		ctx->once = true;
		return 0;
	case OPT_FAIL_ON:
		if (vtop_parse_fail_on(arg, &opts->fail_on)) {
			argp_error(state, "invalid --fail-on '%s': a comma-separated list of ok, idle, "
				   "not-ready, irq-lost, notif-stalled, stalled, needs-reset, broken", arg);
			return EINVAL;
		}
		return 0;
	case OPT_EXPORTER:
		if (vtop_parse_exporter_addr(arg, opts->exporter_host, sizeof(opts->exporter_host),
					     opts->exporter_port, sizeof(opts->exporter_port))) {
			argp_error(state, "invalid --exporter '%s': [ADDR:]PORT, PORT 1-65535 "
				   "(e.g. 9100, 127.0.0.1:9100, [::1]:9100, :9100)", arg);
			return EINVAL;
		}
		opts->exporter = true;
		return 0;
	case OPT_STALL_MS:
	case OPT_IRQ_MS:
		if (parse_ms(arg, key == OPT_STALL_MS ? &opts->states.stall_ms :
			     &opts->states.irq_ms)) {
			argp_error(state, "invalid %s '%s': milliseconds, from 1 to %d",
				   key == OPT_STALL_MS ? "--stall-ms" : "--irq-ms", arg,
				   VTOP_STATE_MS_MAX);
			return EINVAL;
		}
		return 0;
	case OPT_RAW_TP:
		opts->raw_tp = true;
		return 0;
	case OPT_NO_COST:
		opts->cost = false;
		return 0;
	case OPT_DEBUG_BPF_LOOPS: {
		long long n;

		if (parse_count(arg, &n) || n > VTOP_DEBUG_LOOPS_MAX) {
			argp_error(state, "invalid --debug-bpf-loops '%s': from 1 to %d",
				   arg, VTOP_DEBUG_LOOPS_MAX);
			return EINVAL;
		}
		opts->debug_bpf_loops = (uint32_t)n;
		return 0;
	}
	case 'f':
		if (!arg[0] || strlen(arg) >= sizeof(opts->filter)) {
			argp_error(state, "invalid --filter: 1 to %zu characters",
				   sizeof(opts->filter) - 1);
			return EINVAL;
		}
		strcpy(opts->filter, arg);
		return 0;
	case 'h':
		argp_state_help(state, state->out_stream, ARGP_HELP_STD_HELP);
		opts->exit_now = true;
		return 0;
	case OPT_USAGE:
		argp_state_help(state, state->out_stream, ARGP_HELP_USAGE);
		opts->exit_now = true;
		return 0;
	case 'V':
		fprintf(state->out_stream, "%s\n", argp_program_version);
		opts->exit_now = true;
		return 0;
	case ARGP_KEY_ARG:
		return parse_positional(ctx, arg, state);
	case ARGP_KEY_END:
		if (ctx->once && ctx->count_given && opts->count != 1) {
			argp_error(state, "--once runs one interval, but count is %lld",
				   opts->count);
			return EINVAL;
		}
		if (ctx->once)
			opts->count = 1;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

int vtop_exit_status(int err, unsigned int seen, unsigned int fail_on)
{
	if (err)
		return VTOP_EXIT_RUNTIME;
	return seen & fail_on ? VTOP_EXIT_FAIL_STATE : VTOP_EXIT_OK;
}

int vtop_parse_args(int argc, char **argv, struct vtop_options *opts, FILE *err)
{
	static const struct argp argp = { options, parse_opt, args_doc, doc, NULL, NULL, NULL };
	struct parse_ctx ctx = { .opts = opts, .err = err };
	int rc;

	memset(opts, 0, sizeof(*opts));
	opts->format = VTOP_FORMAT_AUTO;
	opts->states.stall_ms = VTOP_STALL_MS_DEFAULT;
	opts->states.irq_ms = VTOP_IRQ_MS_DEFAULT;
	opts->interval_ms = 1000;
	opts->count = -1;
	opts->cost = true;
	rc = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, &ctx);
	return rc ? VTOP_EXIT_USAGE : VTOP_EXIT_OK;
}
