// SPDX-License-Identifier: GPL-2.0
/*
 * notif-burst: a uvdev backend that posts a known burst of asynchronous
 * notifications with tasks waiting on several keys, for VM case
 * 56-vtop-notif. It creates device NAME (a virtio-rng device with one
 * queue that it never serves: the case keeps drivers from binding), answers
 * its control messages, and then, printing one line per step on stdout:
 *
 *   1. --waiters W tasks per key 1..--keys K wait for their key (timeout
 *      60 s); "waiting N" once the kernel counts all N = K x W of them;
 *   2. --posters P threads each post --batches B batches of --batch S
 *      values (UVDEV_IOC_NOTIFY), the keys 1..K in turn; the first value of
 *      the first thread's first batch is the bottom-half value instead
 *      (with UVDEV_NOTIF_EV_CONFIG), so the bottom half runs exactly once;
 *   3. every waiter ends woken (checked), and each key is waited for once
 *      more with timeout 0: taken if it was remembered, EAGAIN otherwise;
 *   4. once the top and bottom halves have run (posted == delivered +
 *      merged, one bottom half), the kernel's UVDEV_IOC_NOTIF_STATE:
 *      "kernel posted=N merged=N delivered=N woke=N wakeups=N
 *      remembered=N remembered_merged=N consumed=N bottom_halves=N
 *      top_halves=N waiters=N", and "burst posts=P*B*S dev_id=ID";
 *   5. with --hold-ms MS, one task waits MS ms for key K + 1, which nobody
 *      posts: "holding" once the kernel counts it, "held result=timeout
 *      waited_ms=N" when it ends;
 *   6. "done", then it serves until SIGTERM and destroys the device.
 *
 * Usage: notif-burst [--keys K] [--waiters W] [--posters P] [--batches B]
 *                    [--batch S] [--hold-ms MS] NAME
 * Exit status: 0 done and destroyed (SIGTERM), 1 a step failed, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "backend.h"

#define WAIT_TIMEOUT_MS	60000
#define SETTLE_MS	20000	/* for the kernel's counts to settle */

struct burst {
	struct backend *b;
	int control_fd;
	uint32_t dev_id;
	uint32_t keys, waiters, posters, batches, batch, hold_ms;
};

struct waiter {
	struct burst *burst;
	pthread_t thread;
	uint32_t key;
	uint32_t timeout_ms;
	int result;
	uint64_t waited_ns;
};

struct poster {
	struct burst *burst;
	pthread_t thread;
	uint32_t index;
	int result;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->result = uvdev_notif_wait(w->burst->control_fd, w->burst->dev_id, w->key,
				     w->timeout_ms, &w->waited_ns);
	return NULL;
}

static void *post_thread(void *arg)
{
	struct poster *p = arg;
	struct burst *bu = p->burst;
	uint32_t *values = calloc(bu->batch, sizeof(*values));
	uint32_t i, n, next = p->index;

	p->result = -ENOMEM;
	if (!values)
		return NULL;
	p->result = 0;
	for (n = 0; n < bu->batches && !p->result; n++) {
		uint32_t events = 0;

		for (i = 0; i < bu->batch; i++)
			values[i] = 1 + next++ % bu->keys;
		if (p->index == 0 && n == 0) {
			values[0] = UVDEV_NOTIF_BOTTOM_HALF;
			events = UVDEV_NOTIF_EV_CONFIG;
		}
		p->result = uvdev_notify(bu->b->dev_fd, values, bu->batch, events);
	}
	free(values);
	return NULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Poll the kernel's notification state until @done says so, for @limit_ms.
 * 0, or -ETIMEDOUT / the ioctl's error; *st holds the last state read.
 */
static int poll_state(struct burst *bu, struct uvdev_notif_state *st,
		      bool (*done)(const struct burst *, const struct uvdev_notif_state *),
		      uint64_t limit_ms)
{
	uint64_t deadline = now_ms() + limit_ms;
	int ret;

	for (;;) {
		ret = uvdev_notif_state(bu->control_fd, bu->dev_id, st);
		if (ret)
			return ret;
		if (done(bu, st))
			return 0;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(10000);
	}
}

static bool all_waiting(const struct burst *bu, const struct uvdev_notif_state *st)
{
	return st->waiters == bu->keys * bu->waiters;
}

static bool one_waiting(const struct burst *bu, const struct uvdev_notif_state *st)
{
	(void)bu;
	return st->waiters == 1;
}

/* Every post taken by the top half, the one bottom half run. */
static bool settled(const struct burst *bu, const struct uvdev_notif_state *st)
{
	(void)bu;
	return st->posted == st->delivered + st->merged && st->bottom_halves == 1 &&
	       !st->events && !st->waiters;
}

/* Start @n waiters for @key (each with @timeout_ms) into @w. */
static int start_waiters(struct burst *bu, struct waiter *w, uint32_t n, uint32_t key,
			 uint32_t timeout_ms)
{
	uint32_t i;
	int ret;

	for (i = 0; i < n; i++) {
		w[i] = (struct waiter){ .burst = bu, .key = key, .timeout_ms = timeout_ms };
		ret = pthread_create(&w[i].thread, NULL, wait_thread, &w[i]);
		if (ret) {
			backend_error(bu->b, "cannot start a waiter: %s", strerror(ret));
			while (i--)
				pthread_join(w[i].thread, NULL);
			return -ret;
		}
	}
	return 0;
}

static void print_state(const struct uvdev_notif_state *st)
{
	printf("kernel posted=%llu merged=%llu delivered=%llu woke=%llu wakeups=%llu "
	       "remembered=%llu remembered_merged=%llu consumed=%llu bottom_halves=%llu "
	       "top_halves=%llu waiters=%u\n",
	       (unsigned long long)st->posted, (unsigned long long)st->merged,
	       (unsigned long long)st->delivered, (unsigned long long)st->woke,
	       (unsigned long long)st->wakeups, (unsigned long long)st->remembered,
	       (unsigned long long)st->remembered_merged, (unsigned long long)st->consumed,
	       (unsigned long long)st->bottom_halves, (unsigned long long)st->top_halves,
	       st->waiters);
}

/* Steps 1 to 4. 0 or -1 (printed). */
static int run_burst(struct burst *bu)
{
	uint32_t nwait = bu->keys * bu->waiters, i, k;
	struct poster *posters = calloc(bu->posters, sizeof(*posters));
	struct waiter *waiters = calloc(nwait, sizeof(*waiters));
	struct uvdev_notif_state st;
	int ret = -1, err;

	if (!posters || !waiters) {
		backend_error(bu->b, "out of memory");
		goto cleanup;
	}
	for (k = 1; k <= bu->keys; k++) {
		if (start_waiters(bu, waiters + (k - 1) * bu->waiters, bu->waiters, k,
				  WAIT_TIMEOUT_MS)) {
			/* The keys' earlier waiters time out; join them. */
			for (i = 0; i < (k - 1) * bu->waiters; i++)
				pthread_join(waiters[i].thread, NULL);
			goto cleanup;
		}
	}
	err = poll_state(bu, &st, all_waiting, SETTLE_MS);
	if (err) {
		backend_error(bu->b, "the kernel counts %u waiters, not %u: %s", st.waiters,
			      nwait, strerror(-err));
		/* Post every key once so that the waiters end. */
	} else {
		printf("waiting %u\n", st.waiters);
	}
	for (i = 0; i < bu->posters; i++) {
		posters[i] = (struct poster){ .burst = bu, .index = i };
		err = pthread_create(&posters[i].thread, NULL, post_thread, &posters[i]);
		if (err) {
			backend_error(bu->b, "cannot start a poster: %s", strerror(err));
			posters[i].thread = 0;
			posters[i].result = -err;
		}
	}
	ret = 0;
	for (i = 0; i < bu->posters; i++) {
		if (posters[i].thread)
			pthread_join(posters[i].thread, NULL);
		if (posters[i].result) {
			backend_error(bu->b, "poster %u: UVDEV_IOC_NOTIFY: %s", i,
				      strerror(-posters[i].result));
			ret = -1;
		}
	}
	for (i = 0; i < nwait; i++) {
		pthread_join(waiters[i].thread, NULL);
		if (waiters[i].result) {
			backend_error(bu->b, "a waiter for key %u ended with %s, not woken",
				      waiters[i].key, strerror(-waiters[i].result));
			ret = -1;
		}
	}
	if (ret)
		goto cleanup;
	/* Each key once more: remembered (taken) or not (EAGAIN). */
	for (k = 1; k <= bu->keys; k++) {
		err = uvdev_notif_wait(bu->control_fd, bu->dev_id, k, 0, NULL);
		if (err && err != -EAGAIN) {
			backend_error(bu->b, "a wait for key %u with timeout 0: %s", k,
				      strerror(-err));
			ret = -1;
			goto cleanup;
		}
	}
	err = poll_state(bu, &st, settled, SETTLE_MS);
	if (err) {
		backend_error(bu->b, "the kernel's notifications did not settle: %s",
			      strerror(-err));
		print_state(&st);
		ret = -1;
		goto cleanup;
	}
	print_state(&st);
	printf("burst posts=%u dev_id=%u\n", bu->posters * bu->batches * bu->batch,
	       bu->dev_id);

cleanup:
	free(waiters);
	free(posters);
	return ret;
}

/* Step 5: one wait for a key nobody posts. 0 or -1 (printed). */
static int run_hold(struct burst *bu)
{
	struct uvdev_notif_state st;
	struct waiter w;
	int err;

	if (start_waiters(bu, &w, 1, bu->keys + 1, bu->hold_ms))
		return -1;
	err = poll_state(bu, &st, one_waiting, SETTLE_MS);
	if (!err)
		printf("holding\n");
	else
		backend_error(bu->b, "the kernel never counted the held waiter: %s",
			      strerror(-err));
	fflush(stdout);
	pthread_join(w.thread, NULL);
	if (w.result != -ETIMEDOUT) {
		backend_error(bu->b, "the held wait ended with %s, not a timeout",
			      w.result ? strerror(-w.result) : "success");
		return -1;
	}
	printf("held result=timeout waited_ms=%llu\n",
	       (unsigned long long)(w.waited_ns / 1000000));
	return err ? -1 : 0;
}

static int parse_u32(const char *prog, const char *opt, const char *arg, uint64_t min,
		     uint64_t max, uint32_t *out)
{
	uint64_t v;

	if (backend_parse_u64(arg, min, max, &v)) {
		fprintf(stderr, "%s: --%s '%s': a number from %llu to %llu\n", prog, opt, arg,
			(unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

/* The queue is never served: no driver binds to use it. */
static int burst_serve_batch(struct uvdev_queue *q)
{
	(void)q;
	return 0;
}

static const struct uvdev_service_ops burst_ops = {
	.serve_batch = burst_serve_batch,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keys", required_argument, NULL, 'k' },
		{ "waiters", required_argument, NULL, 'w' },
		{ "posters", required_argument, NULL, 'p' },
		{ "batches", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 's' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct burst bu = { .keys = 8, .waiters = 2, .posters = 4, .batches = 25, .batch = 16 };
	struct uvdev_params params = {
		.device_id = VIRTIO_ID_RNG,
		.features = 1ULL << VIRTIO_F_VERSION_1,
		.num_queues = 1,
		.max_queue_size = 64,
	};
	struct uvdev_service svc;
	struct backend b;
	int opt, ret, status = BACKEND_EXIT_ERROR;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		const char *name = NULL;
		uint32_t *out = NULL, max = 64;

		switch (opt) {
		case 'k':
			name = "keys", out = &bu.keys, max = UVDEV_NOTIF_MAX_KEY - 1;
			break;
		case 'w':
			name = "waiters", out = &bu.waiters;
			break;
		case 'p':
			name = "posters", out = &bu.posters;
			break;
		case 'n':
			name = "batches", out = &bu.batches, max = 100000;
			break;
		case 's':
			name = "batch", out = &bu.batch, max = UVDEV_MAX_BATCH;
			break;
		case 'H':
			name = "hold-ms", out = &bu.hold_ms, max = UVDEV_MAX_TIMEOUT_MS;
			break;
		default:
			return BACKEND_EXIT_USAGE;
		}
		if (parse_u32(argv[0], name, optarg, opt == 'H' ? 0 : 1, max, out))
			return BACKEND_EXIT_USAGE;
	}
	if (optind != argc - 1 || bu.keys * bu.waiters > UVDEV_NOTIF_MAX_WAITERS) {
		fprintf(stderr, "usage: notif-burst [--keys K] [--waiters W] [--posters P] "
			"[--batches B] [--batch S] [--hold-ms MS] NAME (K x W at most %d)\n",
			UVDEV_NOTIF_MAX_WAITERS);
		return BACKEND_EXIT_USAGE;
	}
	params.name = argv[optind];
	params.notif_max = bu.keys + 1;		/* the last key is the held one */

	if (backend_init(&b, "notif-burst"))
		return BACKEND_EXIT_ERROR;
	b.name = params.name;
	bu.b = &b;
	bu.control_fd = uvdev_control_open();
	if (bu.control_fd < 0) {
		fprintf(stderr, "notif-burst: %s\n", uvdev_strerror(bu.control_fd));
		backend_fini(&b);
		return BACKEND_EXIT_ERROR;
	}
	if (backend_open_device(&b, &params, params.device_id))
		goto out_control;
	bu.dev_id = b.info.dev_id;
	ret = uvdev_service_init(&svc, b.dev_fd, params.num_queues, &burst_ops, &bu);
	if (ret) {
		backend_error(&b, "cannot set up the service threads: %s", strerror(-ret));
		backend_abandon(&b);
		goto out_control;
	}
	if (backend_start(&b, &svc)) {
		uvdev_service_fini(&svc);
		backend_abandon(&b);
		goto out_control;
	}
	ret = run_burst(&bu);
	if (!ret && bu.hold_ms)
		ret = run_hold(&bu);
	if (!ret)
		printf("done\n");
	fflush(stdout);
	/* Serve until SIGTERM, even after a failed step: the case cleans up. */
	status = backend_wait(&b, &svc);
	if (ret)
		status = BACKEND_EXIT_ERROR;
	uvdev_service_fini(&svc);
out_control:
	close(bu.control_fd);
	backend_fini(&b);
	return status;
}
