// SPDX-License-Identifier: GPL-2.0
/*
 * sink-backend: a minimal uvdev backend for probe tests of device types the
 * project has no daemon for (virtio_net, virtio_console). It answers every
 * control message, and on the queues named with --sink it takes every
 * chain, appends its out-bytes to --capture FILE and pushes it back empty
 * (a transmit queue that delivers to nowhere). Other queues are left alone:
 * their buffers stay posted, as on a link that receives nothing.
 *
 * Faults, for the tests of vtop's failure states (each is a real fault the
 * kernel and vtop see; nothing is faked):
 *   --hold Q           pop every chain of queue Q and never push it: a
 *                      backend that takes the work and hangs (in flight,
 *                      nothing pending). The kernel drops the chains at the
 *                      driver's reset, so unbind and destroy still finish.
 *   --no-irq           push --sink chains without UVDEV_PUSH_F_IRQ: the
 *                      driver is never told of the completions.
 *   --refuse-features  refuse the SET_STATUS that sets FEATURES_OK: the
 *                      virtio core's probe fails and sets FAILED.
 *
 * Usage: sink-backend --device-id ID --queues N [--sink Q]... [--hold Q]...
 *                     [--capture FILE] [--config HEX] [--features HEX]
 *                     [--busy-wait] [--no-irq] [--refuse-features] NAME
 * Exit status: 0 destroyed (SIGTERM), 1 runtime error, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>

#include "backend.h"

#define BATCH 32

struct sink {
	uint64_t sink_queues;		/* bit per queue */
	uint64_t hold_queues;		/* bit per queue: pop, never push */
	bool no_irq;			/* push without asking for the interrupt */
	bool refuse_features;		/* refuse FEATURES_OK */
	FILE *capture;
	pthread_mutex_t capture_lock;	/* serialises the queue threads' writes */
};

static int sink_serve_batch(struct uvdev_queue *q)
{
	struct sink *sink = q->svc->priv;
	struct uvdev_vq_elem elems[BATCH];
	struct uvdev_vq_used used[BATCH];
	static __thread char buf[65536];
	int n, i, ret;

	if (sink->hold_queues & (1ULL << q->index))
		/* Popped chains stay in flight: the kernel keeps them. */
		return uvdev_vq_pop(q->svc->dev_fd, q->index, elems, BATCH, NULL, 0);
	if (!(sink->sink_queues & (1ULL << q->index)))
		return 0;
	n = uvdev_vq_pop(q->svc->dev_fd, q->index, elems, BATCH, NULL, 0);
	if (n <= 0)
		return n;
	for (i = 0; i < n; i++) {
		uint32_t len = elems[i].out_bytes < sizeof(buf) ? elems[i].out_bytes : sizeof(buf);
		struct uvdev_vq_xfer_op op = {
			.queue = q->index, .head = elems[i].head, .dir = UVDEV_XFER_READ,
			.len = len, .addr = (uintptr_t)buf,
		};

		if (len && sink->capture) {
			ret = uvdev_vq_xfer(q->svc->dev_fd, &op, 1);
			if (ret < 0)
				return ret;
			pthread_mutex_lock(&sink->capture_lock);
			fwrite(buf, 1, len, sink->capture);
			fflush(sink->capture);
			pthread_mutex_unlock(&sink->capture_lock);
		}
		used[i] = (struct uvdev_vq_used){ .head = elems[i].head, .len = 0 };
	}
	ret = uvdev_vq_push(q->svc->dev_fd, q->index, used, n,
			    sink->no_irq ? 0 : UVDEV_PUSH_F_IRQ);
	return ret < 0 ? ret : n;
}

static int sink_on_message(struct uvdev_service *svc, const struct uvdev_msg *msg)
{
	struct sink *sink = svc->priv;

	if (sink->refuse_features && msg->type == UVDEV_MSG_SET_STATUS &&
	    (msg->status.status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(msg->status.old_status & VIRTIO_CONFIG_S_FEATURES_OK))
		return -EINVAL;
	return 0;
}

static const struct uvdev_service_ops sink_ops = {
	.serve_batch = sink_serve_batch,
	.on_message = sink_on_message,
};

static int parse_hex(const char *hex, unsigned char *out, size_t max, size_t *len)
{
	size_t n = strlen(hex), i;

	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned int byte;

		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return -1;
		out[i] = byte;
	}
	*len = n / 2;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device-id", required_argument, NULL, 'd' },
		{ "queues", required_argument, NULL, 'q' },
		{ "sink", required_argument, NULL, 's' },
		{ "capture", required_argument, NULL, 'c' },
		{ "config", required_argument, NULL, 'C' },
		{ "features", required_argument, NULL, 'f' },
		{ "busy-wait", no_argument, NULL, 'b' },
		{ "hold", required_argument, NULL, 'H' },
		{ "no-irq", no_argument, NULL, 'n' },
		{ "refuse-features", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct sink sink = { .capture_lock = PTHREAD_MUTEX_INITIALIZER };
	struct uvdev_params params = {
		.features = 1ULL << VIRTIO_F_VERSION_1,
		.num_queues = 1,
		.max_queue_size = 256,
	};
	static unsigned char config[UVDEV_MAX_CONFIG_SIZE];
	struct uvdev_service svc;
	struct backend b;
	size_t config_len = 0;
	uint64_t v;
	int opt, status = BACKEND_EXIT_ERROR;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
		case 'q':
		case 's':
		case 'H':
			if (backend_parse_u64(optarg, 0, opt == 'd' ? UINT32_MAX : 63, &v))
				return BACKEND_EXIT_USAGE;
			if (opt == 'd')
				params.device_id = v;
			else if (opt == 'q')
				params.num_queues = v;
			else if (opt == 's')
				sink.sink_queues |= 1ULL << v;
			else
				sink.hold_queues |= 1ULL << v;
			break;
		case 'n':
			sink.no_irq = true;
			break;
		case 'r':
			sink.refuse_features = true;
			break;
		case 'c':
			sink.capture = fopen(optarg, "we");
			if (!sink.capture) {
				perror(optarg);
				return BACKEND_EXIT_ERROR;
			}
			break;
		case 'C':
			if (parse_hex(optarg, config, sizeof(config), &config_len))
				return BACKEND_EXIT_USAGE;
			break;
		case 'f':
			if (backend_parse_u64(optarg, 0, UINT64_MAX, &v))
				return BACKEND_EXIT_USAGE;
			params.features = v;
			break;
		case 'b':
			params.flags |= UVDEV_CREATE_F_BUSY_WAIT;
			break;
		default:
			return BACKEND_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: sink-backend --device-id ID --queues N [--sink Q]... "
			"[--hold Q]... [--capture FILE] [--config HEX] [--features HEX] "
			"[--busy-wait] [--no-irq] [--refuse-features] NAME\n");
		return BACKEND_EXIT_USAGE;
	}
	params.name = argv[optind];
	params.config = config;
	params.config_size = config_len;

	if (backend_init(&b, "sink-backend"))
		goto cleanup;
	b.name = params.name;
	if (backend_open_device(&b, &params, params.device_id))
		goto cleanup_backend;
	if (uvdev_service_init(&svc, b.dev_fd, params.num_queues, &sink_ops, &sink)) {
		backend_abandon(&b);
		goto cleanup_backend;
	}
	if (backend_start(&b, &svc)) {
		backend_abandon(&b);
		goto cleanup_service;
	}
	fprintf(stderr, "sink-backend: %s: serving\n", params.name);
	status = backend_wait(&b, &svc);
cleanup_service:
	uvdev_service_fini(&svc);
cleanup_backend:
	backend_fini(&b);
cleanup:
	if (sink.capture)
		fclose(sink.capture);
	return status;
}
