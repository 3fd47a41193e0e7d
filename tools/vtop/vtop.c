// SPDX-License-Identifier: GPL-2.0
/*
 * vtop: a top for userspace virtio devices (uvdev).
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vtop.h"
#include "vtop.skel.h"

static struct env {
	bool verbose;
	bool json;
	bool raw_tp;
	unsigned int interval;
	long count;
} env = {
	.interval = 1,
	.count = -1,
};

static volatile sig_atomic_t exiting;

const char *argp_program_version = "vtop 0.1";
static const char doc[] =
"vtop: live per-device and per-queue statistics of uvdev devices.\n"
"\n"
"USAGE: vtop [-v] [-o text|json] [--raw-tp] [interval] [count]\n"
"\n"
"EXAMPLES:\n"
"    vtop -o json 1 5   # five one-second samples as JSON lines\n"
"    vtop --raw-tp      # use raw tracepoints even when module BTF exists\n";

static const struct argp_option opts[] = {
	{ "verbose", 'v', NULL, 0, "Show libbpf's log", 0 },
	{ "output", 'o', "FORMAT", 0, "Output format: text (default) or json", 0 },
	{ "raw-tp", 'r', NULL, 0, "Attach raw tracepoints instead of tp_btf", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0 },
	{},
};

static int parse_uint(const char *arg, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || *out > max)
		return -1;
	return 0;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	static int pos;
	unsigned long v;

	switch (key) {
	case 'v':
		env.verbose = true;
		break;
	case 'o':
		if (!strcmp(arg, "json"))
			env.json = true;
		else if (strcmp(arg, "text"))
			argp_error(state, "unknown output format '%s' (use text or json)", arg);
		break;
	case 'r':
		env.raw_tp = true;
		break;
	case 'h':
		argp_state_help(state, stderr, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_ARG:
		if (parse_uint(arg, 3600, &v) || (pos == 0 && v == 0))
			argp_error(state, "invalid %s '%s'", pos ? "count" : "interval", arg);
		if (pos == 0)
			env.interval = v;
		else if (pos == 1)
			env.count = v;
		else
			argp_error(state, "too many arguments");
		pos++;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	if (level == LIBBPF_INFO && !env.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

/* Select the tp_btf or the raw_tp entry point of every handler. */
static void select_entry_points(struct vtop_bpf *skel, bool use_btf)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) {
		const char *sec = bpf_program__section_name(prog);
		bool is_btf = !strncmp(sec, "tp_btf/", 7);

		bpf_program__set_autoload(prog, is_btf == use_btf);
	}
}

static int sum_percpu(int fd, __u32 key, __u64 *out)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	int err, i;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	err = bpf_map_lookup_elem(fd, &key, vals);
	*out = 0;
	if (!err)
		for (i = 0; i < ncpu; i++)
			*out += vals[i];
	free(vals);
	return err;
}

static int print_sample(struct vtop_bpf *skel)
{
	int lc_fd = bpf_map__fd(skel->maps.lifecycle_counts);
	int dev_fd = bpf_map__fd(skel->maps.devices);
	__u64 created, destroyed;
	struct vtop_dev info;
	__u32 key, next;
	bool first = true, have_key = false;
	int err;

	err = sum_percpu(lc_fd, VTOP_LC_DEV_CREATE, &created);
	if (!err)
		err = sum_percpu(lc_fd, VTOP_LC_DEV_DESTROY, &destroyed);
	if (err)
		return err;

	if (env.json)
		printf("{\"time\":%ld,\"dev_create\":%llu,\"dev_destroy\":%llu,\"devices\":[",
		       (long)time(NULL), (unsigned long long)created,
		       (unsigned long long)destroyed);
	else
		printf("created %llu destroyed %llu\n", (unsigned long long)created,
		       (unsigned long long)destroyed);

	while (!bpf_map_get_next_key(dev_fd, have_key ? &key : NULL, &next)) {
		key = next;
		have_key = true;
		if (bpf_map_lookup_elem(dev_fd, &key, &info))
			continue;
		if (env.json)
			printf("%s{\"dev\":%u,\"name\":\"%s\",\"device_id\":%u,\"queues\":%u}",
			       first ? "" : ",", key, info.name, info.device_id,
			       info.num_queues);
		else
			printf("  dev %u %-16s device_id %u queues %u\n", key, info.name,
			       info.device_id, info.num_queues);
		first = false;
	}
	if (env.json)
		printf("]}\n");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL, doc, NULL, NULL, NULL };
	struct vtop_bpf *skel = NULL;
	bool use_btf;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 2;
	libbpf_set_print(libbpf_print);

	if (access("/sys/module/uvdev", F_OK)) {
		fprintf(stderr, "vtop: the uvdev module is not loaded (load it with 'modprobe uvdev' or 'insmod uvdev.ko')\n");
		return 2;
	}
	use_btf = !env.raw_tp && !access("/sys/kernel/btf/uvdev", F_OK);

	skel = vtop_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "vtop: cannot open the BPF object: %s\n", strerror(errno));
		goto cleanup;
	}
	select_entry_points(skel, use_btf);
	err = vtop_bpf__load(skel);
	if (err) {
		fprintf(stderr, "vtop: cannot load the BPF programs: %s%s\n", strerror(-err),
			err == -EPERM ? " (vtop needs root or CAP_BPF+CAP_PERFMON)" : "");
		goto cleanup;
	}
	err = vtop_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "vtop: cannot attach to the uvdev tracepoints: %s\n", strerror(-err));
		goto cleanup;
	}
	fprintf(stderr, "vtop: attached (%s)\n", use_btf ? "tp_btf" : "raw_tp");

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!exiting && env.count != 0) {
		sleep(env.interval);
		err = print_sample(skel);
		if (err) {
			fprintf(stderr, "vtop: cannot read the BPF maps: %s\n", strerror(-err));
			goto cleanup;
		}
		if (env.count > 0)
			env.count--;
	}

cleanup:
	vtop_bpf__destroy(skel);
	return err ? 1 : 0;
}
