/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtop's command line: options, their parsing and the exit statuses.
 */
#ifndef VTOP_CLI_H
#define VTOP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "states.h"

enum vtop_exit {
	VTOP_EXIT_OK = 0,
	VTOP_EXIT_RUNTIME = 1,		/* could not attach, read or write */
	VTOP_EXIT_USAGE = 2,
	VTOP_EXIT_FAIL_STATE = 3,	/* a --fail-on state was seen */
};

enum vtop_format {
	VTOP_FORMAT_AUTO,		/* the screen on a terminal, else text */
	VTOP_FORMAT_TEXT,
	VTOP_FORMAT_JSON,
	VTOP_FORMAT_CSV,
};

#define VTOP_INTERVAL_MS_MIN	100
#define VTOP_INTERVAL_MS_MAX	3600000
#define VTOP_STATE_MS_MAX	3600000
#define VTOP_HOST_MAX		256
#define VTOP_PORT_MAX		8
#define VTOP_FILTER_MAX		256
#define VTOP_EXPORTER_HOST_DEFAULT	"127.0.0.1"	/* for --exporter PORT */

struct vtop_options {
	bool verbose;
	enum vtop_format format;
	unsigned int fail_on;		/* VTOP_STATE_BIT()s */
	bool exporter;
	char exporter_host[VTOP_HOST_MAX];	/* "": every address */
	char exporter_port[VTOP_PORT_MAX];
	struct vtop_state_opts states;
	bool raw_tp;
	bool cost;			/* may measure vtop's BPF cost (not --no-cost) */
	char filter[VTOP_FILTER_MAX];	/* "": everything */
	uint32_t debug_bpf_loops;	/* hidden --debug-bpf-loops (perf gate) */
	uint64_t interval_ms;
	long long count;		/* intervals to run; < 0: until stopped */
	bool exit_now;			/* --help, --usage or --version was answered */
};

/*
 * Parse @argv into @opts (defaults first). Help goes to stdout, errors to
 * @err. Returns VTOP_EXIT_OK, or VTOP_EXIT_USAGE after printing why.
 */
int vtop_parse_args(int argc, char **argv, struct vtop_options *opts, FILE *err);

/*
 * The exit status of a run that ended with @err (0 or -errno) and saw the
 * states @seen, for the --fail-on states @fail_on.
 */
int vtop_exit_status(int err, unsigned int seen, unsigned int fail_on);

/*
 * The pieces, for the parser and its tests. 0 or -EINVAL.
 * vtop_parse_exporter_addr: "PORT" (host VTOP_EXPORTER_HOST_DEFAULT),
 * "HOST:PORT", "[IPV6]:PORT" or ":PORT" (host "": every address).
 */
int vtop_parse_interval(const char *arg, uint64_t *ms);
int vtop_parse_fail_on(const char *arg, unsigned int *mask);
int vtop_parse_exporter_addr(const char *arg, char *host, size_t hostlen,
			     char *port, size_t portlen);

#endif /* VTOP_CLI_H */
