// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev-rng: a virtio entropy device served from user space, with
 * getrandom() bytes or a reproducible seeded stream (rng_stream.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "backend.h"
#include "rng_stream.h"

#define PROG			"uvdev-rng"

#define RNG_BATCH		64	/* chains per VQ_POP */
#define RNG_MAX_REPLY		4096	/* bytes per request; the driver asks for 64 */
#define RNG_QUEUE_SIZE		64
#define RNG_DUMP_CHUNK		65536

_Static_assert(RNG_BATCH <= UVDEV_MAX_BATCH, "batch limit");

struct rng_options {
	const char *name;
	bool seeded;
	uint64_t seed;
	bool dump;
	uint64_t dump_bytes;
	bool attach;
	bool verbose;
	uint32_t timeout_ms;
};

/* The one queue's state. */
struct rng_source {
	struct backend *backend;
	bool seeded;
	struct rng_stream stream;
	struct uvdev_vq_elem elems[RNG_BATCH];
	struct uvdev_vq_xfer_op ops[RNG_BATCH];
	uint8_t op_slot[RNG_BATCH];
	struct uvdev_vq_used used[RNG_BATCH];
	uint8_t buf[RNG_BATCH * RNG_MAX_REPLY];
};

static int fill_random(uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = getrandom(buf, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int rng_serve_batch(struct uvdev_queue *q)
{
	struct rng_source *src = q->priv;
	int fd = q->svc->dev_fd;
	int n, i, nops = 0, ret;
	size_t total = 0;

	n = uvdev_queue_pop(q, src->elems, RNG_BATCH, NULL, 0);
	if (n <= 0)
		return n;
	for (i = 0; i < n; i++) {
		const struct uvdev_vq_elem *e = &src->elems[i];
		uint32_t len = e->in_bytes < RNG_MAX_REPLY ? e->in_bytes : RNG_MAX_REPLY;
		struct uvdev_vq_xfer_op *op = &src->ops[nops];

		src->used[i].head = e->head;
		src->used[i].len = len;
		if (!len)
			continue;
		memset(op, 0, sizeof(*op));
		op->queue = q->index;
		op->head = e->head;
		op->dir = UVDEV_XFER_WRITE;
		op->len = len;
		op->addr = (uintptr_t)(src->buf + total);
		src->op_slot[nops++] = (uint8_t)i;
		total += len;
	}
	/* Stream order is pop order: the requests take consecutive bytes. */
	if (src->seeded) {
		rng_stream_fill(&src->stream, src->buf, total);
	} else {
		ret = fill_random(src->buf, total);
		if (ret)
			return ret;
	}
	if (nops) {
		ret = uvdev_vq_xfer_all(fd, src->ops, nops);
		if (ret)
			return ret;
		for (i = 0; i < nops; i++) {
			if (src->ops[i].result >= 0)
				continue;
			backend_debug(src->backend, "filling chain %u failed: %s",
				      src->ops[i].head, strerror(-src->ops[i].result));
			src->used[src->op_slot[i]].len = 0;
		}
	}
	/* Push the batch and pop the next one (the next call serves it). */
	ret = uvdev_queue_push_pop(q, src->used, (size_t)n, UVDEV_PUSH_F_IRQ,
				   src->elems, RNG_BATCH, NULL, 0);
	if (ret < 0)
		return ret;
	if (ret > 0)
		backend_debug(src->backend, "the kernel refused %d completions", ret);
	return n;
}

static int rng_on_message(struct uvdev_service *svc, const struct uvdev_msg *msg)
{
	const struct rng_source *src = svc->priv;

	backend_debug_msg(src->backend, msg);
	return 0;
}

static const struct uvdev_service_ops rng_service_ops = {
	.serve_batch = rng_serve_batch,
	.on_message = rng_on_message,
};

/* --dump: the first @bytes bytes of the stream of @seed, to stdout. */
static int dump_stream(uint64_t seed, uint64_t bytes)
{
	static uint8_t buf[RNG_DUMP_CHUNK];
	struct rng_stream stream;

	rng_stream_init(&stream, seed);
	while (bytes) {
		size_t len = bytes < sizeof(buf) ? (size_t)bytes : sizeof(buf);
		size_t off = 0;

		rng_stream_fill(&stream, buf, len);
		while (off < len) {
			ssize_t n = write(STDOUT_FILENO, buf + off, len - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				fprintf(stderr, PROG ": writing to stdout failed: %s\n",
					n < 0 ? strerror(errno) : "short write");
				return BACKEND_EXIT_ERROR;
			}
			off += (size_t)n;
		}
		bytes -= len;
	}
	return BACKEND_EXIT_OK;
}

static void usage(FILE *out)
{
	fprintf(out,
		"NAME\n"
		"    uvdev-rng - serve a virtio entropy device through uvdev\n"
		"\n"
		"SYNOPSIS\n"
		"    uvdev-rng [--seed N] [--attach] [--timeout-ms MS] [-v] NAME\n"
		"    uvdev-rng --seed N --dump BYTES\n"
		"    uvdev-rng --help\n"
		"\n"
		"DESCRIPTION\n"
		"    Creates the uvdev device NAME (virtio device id 4, one queue) and fills\n"
		"    every buffer the kernel's virtio_rng driver offers, up to %u bytes\n"
		"    each: with getrandom(2) bytes, or with --seed from a reproducible\n"
		"    stream. The device becomes a hw_random source (/dev/hwrng when it is\n"
		"    the current one: /sys/class/misc/hw_random/rng_current).\n"
		"\n"
		"    The seeded stream is splitmix64 started from the state N, each 64-bit\n"
		"    output written little-endian, the outputs concatenated. Requests take\n"
		"    the next bytes of the stream in the order they are popped. Seed 0\n"
		"    starts with af cd 1d 7b 39 a8 20 e2.\n"
		"\n"
		"    The hw_random core reads the device too (early randomness, and its\n"
		"    fill thread while rng_quality is non-zero), so a reader of /dev/hwrng\n"
		"    sees pieces of the stream, not its start; with rng_quality set to 0\n"
		"    before the device appears, it sees one contiguous slice.\n"
		"\n"
		"    On SIGTERM or SIGINT the device is destroyed while uvdev-rng still\n"
		"    answers, so the driver unbinds cleanly; then uvdev-rng exits.\n"
		"\n"
		"OPTIONS\n"
		"    --seed N\n"
		"        Serve the seeded stream of N (decimal, or hexadecimal with 0x).\n"
		"    --dump BYTES\n"
		"        Write the first BYTES bytes of the seeded stream to stdout and\n"
		"        exit; needs --seed, involves no device.\n"
		"    --attach\n"
		"        Serve the existing device NAME instead of creating it, e.g. after\n"
		"        the previous backend was killed. It is still destroyed on SIGTERM.\n"
		"        A seeded stream starts again from its beginning.\n"
		"    --timeout-ms MS\n"
		"        How long the kernel waits for the answer to a control message\n"
		"        before it marks the device broken; 0 (default) takes the module's\n"
		"        msg_timeout_ms.\n"
		"    -v, --verbose\n"
		"        Log control messages and failed requests to stderr.\n"
		"    -h, --help\n"
		"        Show this help.\n"
		"\n"
		"    Once the device serves, one line goes to stderr:\n"
		"        uvdev-rng: NAME: serving (seed N | getrandom)\n"
		"\n"
		"EXIT STATUS\n"
		"    0   the device was destroyed (SIGTERM, SIGINT, or by another process),\n"
		"        or --dump wrote its bytes\n"
		"    1   runtime error; the message names the cause and the fix\n"
		"    2   usage error\n"
		"\n"
		"EXAMPLES\n"
		"    uvdev-rng rng0 &\n"
		"    uvdev-rng --seed 42 rng1 &\n"
		"    uvdev-rng --seed 42 --dump 4096 > expected.bin\n"
		"    kill -TERM %%1                 # destroy rng0, exit 0\n",
		RNG_MAX_REPLY);
}

#define usage_error(fmt, arg) backend_usage_error(PROG, fmt, arg)

/* Returns -1 to go on, or the exit status. */
static int parse_options(int argc, char **argv, struct rng_options *opt)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "dump", required_argument, NULL, 'd' },
		{ "attach", no_argument, NULL, 'a' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(opt, 0, sizeof(*opt));
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (backend_parse_u64(optarg, 0, UINT64_MAX, &opt->seed))
				return usage_error("--seed %s: give a 64-bit number", optarg);
			opt->seeded = true;
			break;
		case 'd':
			if (backend_parse_u64(optarg, 0, UINT64_MAX, &opt->dump_bytes))
				return usage_error("--dump %s: give a byte count", optarg);
			opt->dump = true;
			break;
		case 'a':
			opt->attach = true;
			break;
		case 't':
			if (backend_parse_u64(optarg, 0, UVDEV_MAX_TIMEOUT_MS, &v))
				return usage_error("--timeout-ms %s: give 0..3600000", optarg);
			opt->timeout_ms = (uint32_t)v;
			break;
		case 'v':
			opt->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return BACKEND_EXIT_OK;
		default:
			return usage_error("%s", "unknown option");
		}
	}
	if (opt->dump) {
		if (!opt->seeded)
			return usage_error("%s", "--dump needs --seed");
		if (optind != argc)
			return usage_error("%s", "--dump takes no NAME");
		return -1;
	}
	if (argc - optind != 1)
		return usage_error("%s", "give NAME");
	opt->name = argv[optind];
	if (!uvdev_name_valid(opt->name))
		return usage_error("bad NAME '%s': 1..31 characters of [a-zA-Z0-9_-]", opt->name);
	return -1;
}

int main(int argc, char **argv)
{
	struct rng_source *src = NULL;
	struct uvdev_params params;
	struct uvdev_service svc;
	bool svc_ready = false, serving = false;
	struct rng_options opt;
	struct backend b;
	int status, ret;

	status = parse_options(argc, argv, &opt);
	if (status >= 0)
		return status;
	if (opt.dump)
		return dump_stream(opt.seed, opt.dump_bytes);

	status = BACKEND_EXIT_ERROR;
	if (backend_init(&b, PROG))
		goto cleanup;
	b.name = opt.name;
	b.attach = opt.attach;
	b.verbose = opt.verbose;

	src = calloc(1, sizeof(*src));
	if (!src) {
		backend_error(&b, "out of memory");
		goto cleanup;
	}
	src->backend = &b;
	src->seeded = opt.seeded;
	rng_stream_init(&src->stream, opt.seed);

	params = (struct uvdev_params) {
		.name = opt.name,
		.device_id = VIRTIO_ID_RNG,
		.features = 1ULL << VIRTIO_F_VERSION_1,
		.num_queues = 1,
		.max_queue_size = RNG_QUEUE_SIZE,
		.msg_timeout_ms = opt.timeout_ms,
	};
	if (backend_open_device(&b, &params, VIRTIO_ID_RNG))
		goto cleanup;
	if (b.info.num_queues != 1) {
		backend_error(&b, "the device has %u queues, a virtio-rng device has 1: remove it with 'uvdevctl destroy %s'",
			      b.info.num_queues, opt.name);
		goto cleanup;
	}
	ret = uvdev_service_init(&svc, b.dev_fd, 1, &rng_service_ops, src);
	if (ret) {
		backend_error(&b, "setting up the service failed: %s", strerror(-ret));
		goto cleanup;
	}
	svc_ready = true;
	svc.queues[0].priv = src;
	if (backend_start(&b, &svc))
		goto cleanup;
	serving = true;

	if (opt.seeded)
		fprintf(stderr, PROG ": %s: serving (seed %" PRIu64 ")\n", opt.name, opt.seed);
	else
		fprintf(stderr, PROG ": %s: serving (getrandom)\n", opt.name);
	status = backend_wait(&b, &svc);

cleanup:
	if (svc_ready)
		uvdev_service_fini(&svc);
	if (!serving)
		backend_abandon(&b);
	backend_fini(&b);
	free(src);
	return status;
}
