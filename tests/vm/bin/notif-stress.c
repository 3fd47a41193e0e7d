// SPDX-License-Identifier: GPL-2.0
/*
 * notif-stress: drives uvdev's asynchronous notifications from a backend
 * and checks the kernel's account of them.
 *
 * It creates NAME, an empty virtio block device (capacity 0; every request
 * it gets is answered UNSUPP) with --keys notification keys, serves it, and
 * then, by mode:
 *
 *   burst (default)  --posters threads post --posts keys each, in batches
 *                    of --batch, while --waiters threads wait on keys
 *                    (waiter i on key i % keys + 1, --wait-ms per wait).
 *                    When the posters are done and the top half has taken
 *                    every value, each key is posted once more to end the
 *                    waits. The kernel's counters (UVDEV_IOC_NOTIF_STATE)
 *                    must then account for every post and every wake-up:
 *                    posted = the posts made, posted = delivered + merged,
 *                    delivered = woke + remembered + remembered_merged,
 *                    waits that returned 0 = wakeups + consumed, remembered
 *                    now = remembered - consumed, no waiter left.
 *   --pingpong N     two threads pass a key back and forth N times (post
 *                    key 1, the other wakes and posts key 2), then the same
 *                    over two eventfds: post-to-wake and round-trip p50/p99
 *                    of each.
 *   --rate N         one thread posts N keys (batches of --batch) with no
 *                    waiter: sustained posts per second.
 *   --serve          only serve, until SIGTERM (posts nothing).
 *   --mute           create the device and, on SIGHUP, open it and never
 *                    answer a control message: the driver's probe times out
 *                    (--timeout-ms) and the device breaks; on SIGTERM
 *                    destroy it. The test decides when the break begins.
 *
 * Before a burst, bad posts are refused and leave nothing behind: a key
 * above --keys, a batch above UVDEV_MAX_BATCH, unknown events, an empty
 * post.
 * Results are "key=value" lines on stdout; every mode but --serve then
 * destroys the device. Exit status: 0 done and every check held, 1 a check
 * failed or a call failed (the reason on stderr), 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "backend.h"

#define MAX_THREADS	64

struct stress {
	int dev_fd;
	int control_fd;
	uint32_t dev_id;
	uint32_t keys;
	uint32_t posters;
	uint32_t posts;
	uint32_t batch;
	uint32_t waiters;
	uint32_t wait_ms;
	atomic_bool stop;		/* waiters: end after the current wait */
	atomic_uint_fast64_t posted;	/* values this program posted */
	atomic_uint_fast64_t waits_ok;
	atomic_uint_fast64_t waits_timeout;
	atomic_int error;		/* first failed call's errno, negative */
};

struct thread_arg {
	struct stress *s;
	uint32_t index;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void fail_call(struct stress *s, const char *what, int err)
{
	int expected = 0;

	if (atomic_compare_exchange_strong(&s->error, &expected, err))
		fprintf(stderr, "notif-stress: %s: %s\n", what, strerror(-err));
}

/* ---- serving the device: every request is unsupported ------------------ */

static int serve_batch(struct uvdev_queue *q)
{
	struct uvdev_vq_elem elems[32];
	struct uvdev_vq_used used[32];
	uint8_t status = VIRTIO_BLK_S_UNSUPP;
	int n, i, ret;

	n = uvdev_vq_pop(q->svc->dev_fd, q->index, elems, 32, NULL, 0);
	if (n <= 0)
		return n;
	for (i = 0; i < n; i++) {
		struct uvdev_vq_xfer_op op = {
			.queue = q->index, .head = elems[i].head,
			.dir = UVDEV_XFER_WRITE, .offset = elems[i].in_bytes - 1,
			.len = 1, .addr = (uintptr_t)&status,
		};

		used[i] = (struct uvdev_vq_used){ .head = elems[i].head };
		if (!elems[i].in_bytes)
			continue;
		ret = uvdev_vq_xfer(q->svc->dev_fd, &op, 1);
		if (ret < 0)
			return ret;
		used[i].len = 1;
	}
	ret = uvdev_vq_push(q->svc->dev_fd, q->index, used, n, UVDEV_PUSH_F_IRQ);
	return ret < 0 ? ret : n;
}

static const struct uvdev_service_ops stress_ops = {
	.serve_batch = serve_batch,
};

/* ---- bad input ----------------------------------------------------------- */

static int expect_refused(struct stress *s, const char *what, const uint32_t *values,
			  uint32_t count, uint32_t events)
{
	int ret = uvdev_notify(s->dev_fd, values, count, events);

	if (ret == -EINVAL)
		return 0;
	fprintf(stderr, "notif-stress: %s: got %s, expected EINVAL\n", what,
		ret ? strerror(-ret) : "success");
	return 1;
}

/* Refused posts change nothing: the counters stay at 0. */
static int check_bad_posts(struct stress *s)
{
	static uint32_t values[UVDEV_MAX_BATCH + 1];
	struct uvdev_notif_state st;
	int bad = 0, ret;

	values[0] = 1;
	values[1] = s->keys + 1;
	bad |= expect_refused(s, "a key above notif_max", values, 2, 0);
	bad |= expect_refused(s, "a batch above UVDEV_MAX_BATCH", values + 2,
			      UVDEV_MAX_BATCH + 1, 0);
	bad |= expect_refused(s, "unknown events", values, 1, 1u << 31);
	bad |= expect_refused(s, "no value and no event", values, 0, 0);
	ret = uvdev_notif_state(s->control_fd, s->dev_id, &st);
	if (ret < 0) {
		fail_call(s, "UVDEV_IOC_NOTIF_STATE", ret);
		return 1;
	}
	if (st.posted || st.events || st.top_halves) {
		fprintf(stderr, "notif-stress: refused posts left posted %llu, events %u\n",
			(unsigned long long)st.posted, st.events);
		bad = 1;
	}
	printf("bad_posts=%s\n", bad ? "FAILED" : "refused");
	return bad;
}

/* ---- burst --------------------------------------------------------------- */

/* A small deterministic generator per thread: keys spread over 1..keys. */
static uint32_t next_key(uint64_t *state, uint32_t keys)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*state >> 33) % keys + 1;
}

static void *poster(void *p)
{
	struct thread_arg *a = p;
	struct stress *s = a->s;
	uint64_t rng = a->index + 1;
	uint32_t values[UVDEV_MAX_BATCH];
	uint32_t done = 0, n, i;
	int ret;

	while (done < s->posts && !atomic_load(&s->error)) {
		n = s->posts - done < s->batch ? s->posts - done : s->batch;
		for (i = 0; i < n; i++)
			values[i] = next_key(&rng, s->keys);
		ret = uvdev_notify(s->dev_fd, values, n, 0);
		if (ret < 0) {
			fail_call(s, "UVDEV_IOC_NOTIFY", ret);
			break;
		}
		atomic_fetch_add(&s->posted, n);
		done += n;
	}
	return NULL;
}

static void *waiter(void *p)
{
	struct thread_arg *a = p;
	struct stress *s = a->s;
	uint32_t key = a->index % s->keys + 1;
	int ret;

	while (!atomic_load(&s->stop) && !atomic_load(&s->error)) {
		ret = uvdev_notif_wait(s->control_fd, s->dev_id, key, s->wait_ms,
				       NULL);
		if (!ret) {
			atomic_fetch_add(&s->waits_ok, 1);
		} else if (ret == -ETIMEDOUT) {
			atomic_fetch_add(&s->waits_timeout, 1);
		} else {
			fail_call(s, "UVDEV_IOC_NOTIF_WAIT", ret);
			break;
		}
	}
	return NULL;
}

static int check(const char *what, uint64_t got, uint64_t want)
{
	if (got == want)
		return 0;
	fprintf(stderr, "notif-stress: %s: %" PRIu64 ", expected %" PRIu64 "\n",
		what, got, want);
	return 1;
}

static void print_state(const struct uvdev_notif_state *st)
{
	printf("kernel_posted=%llu\nkernel_merged=%llu\nkernel_delivered=%llu\n"
	       "kernel_woke=%llu\nkernel_wakeups=%llu\nkernel_remembered=%llu\n"
	       "kernel_remembered_merged=%llu\nkernel_consumed=%llu\n"
	       "kernel_top_halves=%llu\nkernel_bottom_halves=%llu\n"
	       "kernel_waiters=%u\nkernel_remembered_now=%u\n",
	       st->posted, st->merged, st->delivered, st->woke, st->wakeups,
	       st->remembered, st->remembered_merged, st->consumed,
	       st->top_halves, st->bottom_halves, st->waiters,
	       st->remembered_now);
}

/* Wait until the top half has taken every value posted so far. */
static int drain(struct stress *s, struct uvdev_notif_state *st)
{
	uint64_t deadline = now_ns() + 10ULL * 1000000000u;
	int ret;

	for (;;) {
		ret = uvdev_notif_state(s->control_fd, s->dev_id, st);
		if (ret < 0)
			return ret;
		if (st->delivered + st->merged == st->posted)
			return 0;
		if (now_ns() > deadline)
			return -ETIMEDOUT;
		sched_yield();
	}
}

static int run_burst(struct stress *s)
{
	pthread_t threads[2 * MAX_THREADS];
	struct thread_arg args[2 * MAX_THREADS];
	struct uvdev_notif_state before, st;
	uint32_t i, nthreads = 0, values[UVDEV_MAX_BATCH];
	uint64_t start, secs_ns;
	int bad, ret;

	bad = check_bad_posts(s);
	ret = uvdev_notif_state(s->control_fd, s->dev_id, &before);
	if (ret < 0) {
		fail_call(s, "UVDEV_IOC_NOTIF_STATE", ret);
		return 1;
	}
	start = now_ns();
	for (i = 0; i < s->waiters; i++) {
		args[nthreads] = (struct thread_arg){ s, i };
		if (pthread_create(&threads[nthreads], NULL, waiter, &args[nthreads]))
			goto err_threads;
		nthreads++;
	}
	for (i = 0; i < s->posters; i++) {
		args[nthreads] = (struct thread_arg){ s, i };
		if (pthread_create(&threads[nthreads], NULL, poster, &args[nthreads]))
			goto err_threads;
		nthreads++;
	}
	for (i = s->waiters; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	secs_ns = now_ns() - start;

	/* Every value taken; then one more post of each key ends the waits. */
	ret = drain(s, &st);
	if (ret < 0)
		fail_call(s, "waiting for the top half to take every value", ret);
	atomic_store(&s->stop, true);
	for (i = 0; i < s->keys; i += UVDEV_MAX_BATCH) {
		uint32_t n = s->keys - i < UVDEV_MAX_BATCH ? s->keys - i : UVDEV_MAX_BATCH, j;

		for (j = 0; j < n; j++)
			values[j] = i + j + 1;
		ret = uvdev_notify(s->dev_fd, values, n, 0);
		if (ret < 0) {
			fail_call(s, "UVDEV_IOC_NOTIFY", ret);
			break;
		}
		atomic_fetch_add(&s->posted, n);
	}
	for (i = 0; i < s->waiters; i++)
		pthread_join(threads[i], NULL);
	ret = drain(s, &st);
	if (ret < 0)
		fail_call(s, "waiting for the top half to take every value", ret);
	if (atomic_load(&s->error))
		return 1;

	printf("posted=%" PRIuFAST64 "\nwaits_ok=%" PRIuFAST64 "\nwaits_timeout=%" PRIuFAST64 "\n"
	       "posts_per_s=%.0f\n", atomic_load(&s->posted), atomic_load(&s->waits_ok),
	       atomic_load(&s->waits_timeout),
	       (double)s->posters * s->posts * 1e9 / (double)(secs_ns ? secs_ns : 1));
	print_state(&st);
	/* The device is new: its counters began at 0 with this run. */
	bad |= check("counters before the run", before.posted + before.consumed, 0);
	bad |= check("kernel posted", st.posted, atomic_load(&s->posted));
	bad |= check("posted = delivered + merged", st.posted, st.delivered + st.merged);
	bad |= check("delivered = woke + remembered + remembered_merged", st.delivered,
		     st.woke + st.remembered + st.remembered_merged);
	bad |= check("waits returned = wakeups + consumed", atomic_load(&s->waits_ok),
		     st.wakeups + st.consumed);
	bad |= check("remembered now = remembered - consumed", st.remembered_now,
		     st.remembered - st.consumed);
	bad |= check("waiters left", st.waiters, 0);
	bad |= check("bottom halves", st.bottom_halves, 0);
	printf("verdict=%s\n", bad ? "FAILED" : "ok");
	return bad;

err_threads:
	fprintf(stderr, "notif-stress: cannot start a thread\n");
	atomic_store(&s->error, -EAGAIN);
	atomic_store(&s->stop, true);
	s->posts = 0;
	while (nthreads--)
		pthread_join(threads[nthreads], NULL);
	return 1;
}

/* ---- ping-pong ----------------------------------------------------------- */

struct pingpong {
	struct stress *s;
	uint32_t rounds;
	bool eventfds;
	int efd[2];			/* eventfd mode: to B, to A */
	_Atomic uint64_t sent_ns;	/* when A posted this round */
	uint64_t *oneway;		/* [rounds] post -> B awake */
	uint64_t *round;		/* [rounds] post -> A awake again */
	int error;
};

static int pp_signal(struct pingpong *pp, uint32_t key)
{
	uint64_t one = 1;

	if (pp->eventfds)
		return write(pp->efd[key - 1], &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
	return uvdev_notify(pp->s->dev_fd, &key, 1, 0);
}

static int pp_wait(struct pingpong *pp, uint32_t key)
{
	uint64_t v;

	if (pp->eventfds)
		return read(pp->efd[key - 1], &v, sizeof(v)) == sizeof(v) ? 0 : -errno;
	return uvdev_notif_wait(pp->s->control_fd, pp->s->dev_id, key, 10000, NULL);
}

static void *pp_partner(void *p)
{
	struct pingpong *pp = p;
	uint32_t i;
	int ret;

	for (i = 0; i < pp->rounds; i++) {
		ret = pp_wait(pp, 1);
		if (!ret) {
			pp->oneway[i] = now_ns() - atomic_load(&pp->sent_ns);
			ret = pp_signal(pp, 2);
		}
		if (ret < 0) {
			pp->error = ret;
			break;
		}
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(uint64_t *v, uint32_t n, uint32_t p)
{
	return v[(uint64_t)(n - 1) * p / 100];
}

static int pingpong_once(struct stress *s, uint32_t rounds, bool eventfds)
{
	struct pingpong pp = { .s = s, .rounds = rounds, .eventfds = eventfds,
			       .efd = { -1, -1 } };
	const char *name = eventfds ? "eventfd" : "uvdev";
	pthread_t partner;
	uint32_t i;
	int ret = -ENOMEM;

	pp.oneway = calloc(rounds, sizeof(*pp.oneway));
	pp.round = calloc(rounds, sizeof(*pp.round));
	if (!pp.oneway || !pp.round)
		goto cleanup;
	if (eventfds) {
		pp.efd[0] = eventfd(0, EFD_CLOEXEC);
		pp.efd[1] = eventfd(0, EFD_CLOEXEC);
		if (pp.efd[0] < 0 || pp.efd[1] < 0) {
			ret = -errno;
			goto cleanup;
		}
	}
	if (pthread_create(&partner, NULL, pp_partner, &pp)) {
		ret = -EAGAIN;
		goto cleanup;
	}
	for (i = 0; i < rounds; i++) {
		uint64_t t0 = now_ns();

		atomic_store(&pp.sent_ns, t0);
		ret = pp_signal(&pp, 1);
		if (!ret)
			ret = pp_wait(&pp, 2);
		if (ret < 0)
			break;
		pp.round[i] = now_ns() - t0;
	}
	/*
	 * On a failure the partner's wait ends by its timeout (uvdev) or by
	 * this extra signal (eventfd).
	 */
	if (ret < 0 && eventfds)
		pp_signal(&pp, 1);
	pthread_join(partner, NULL);
	if (!ret && pp.error)
		ret = pp.error;
	if (ret < 0)
		goto cleanup;
	qsort(pp.oneway, rounds, sizeof(*pp.oneway), cmp_u64);
	qsort(pp.round, rounds, sizeof(*pp.round), cmp_u64);
	printf("%s_oneway_p50_ns=%" PRIu64 "\n%s_oneway_p99_ns=%" PRIu64 "\n"
	       "%s_round_p50_ns=%" PRIu64 "\n%s_round_p99_ns=%" PRIu64 "\n",
	       name, pct(pp.oneway, rounds, 50), name, pct(pp.oneway, rounds, 99),
	       name, pct(pp.round, rounds, 50), name, pct(pp.round, rounds, 99));
	ret = 0;
cleanup:
	if (ret < 0)
		fail_call(s, eventfds ? "eventfd ping-pong" : "notification ping-pong", ret);
	if (pp.efd[0] >= 0)
		close(pp.efd[0]);
	if (pp.efd[1] >= 0)
		close(pp.efd[1]);
	free(pp.oneway);
	free(pp.round);
	return ret < 0;
}

/* ---- sustained rate ------------------------------------------------------ */

static int run_rate(struct stress *s, uint32_t total)
{
	uint32_t values[UVDEV_MAX_BATCH], done = 0, n, i;
	uint64_t rng = 1, start = now_ns(), secs_ns;
	int ret;

	while (done < total) {
		n = total - done < s->batch ? total - done : s->batch;
		for (i = 0; i < n; i++)
			values[i] = next_key(&rng, s->keys);
		ret = uvdev_notify(s->dev_fd, values, n, 0);
		if (ret < 0) {
			fail_call(s, "UVDEV_IOC_NOTIFY", ret);
			return 1;
		}
		done += n;
	}
	secs_ns = now_ns() - start;
	printf("rate_posts=%u\nrate_batch=%u\nrate_posts_per_s=%.0f\n", total, s->batch,
	       total * 1e9 / (double)(secs_ns ? secs_ns : 1));
	return 0;
}

/* ---- mute ---------------------------------------------------------------- */

/*
 * Create the device; on SIGHUP open it and answer nothing; on SIGTERM or
 * SIGINT destroy it.
 */
static int run_mute(struct backend *b, const struct uvdev_params *params)
{
	struct signalfd_siginfo si;
	int fd = -1, ret;

	ret = uvdev_create_device(params);
	if (ret < 0) {
		fprintf(stderr, "notif-stress: creating %s: %s\n", b->name, uvdev_strerror(ret));
		return BACKEND_EXIT_ERROR;
	}
	fprintf(stderr, "notif-stress: %s: created; SIGHUP opens it\n", b->name);
	for (;;) {
		if (read(b->signal_fd, &si, sizeof(si)) != sizeof(si)) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (si.ssi_signo != SIGHUP)
			break;
		if (fd < 0) {
			fd = uvdev_open(b->name);
			if (fd < 0) {
				ret = fd;
				break;
			}
			fprintf(stderr, "notif-stress: %s: open, answering nothing\n", b->name);
		}
	}
	if (ret < 0)
		fprintf(stderr, "notif-stress: %s: %s\n", b->name, strerror(-ret));
	if (fd >= 0)
		close(fd);
	ret = uvdev_destroy_device(b->name);
	if (ret) {
		fprintf(stderr, "notif-stress: destroying %s: %s\n", b->name, strerror(-ret));
		return BACKEND_EXIT_ERROR;
	}
	return BACKEND_EXIT_OK;
}

/* ---- main ---------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: notif-stress [--keys K] [--posters P] [--posts N] [--batch B]\n"
		"                    [--waiters W] [--wait-ms MS] NAME\n"
		"       notif-stress [--keys K] --pingpong ROUNDS NAME\n"
		"       notif-stress [--keys K] [--batch B] --rate POSTS NAME\n"
		"       notif-stress [--keys K] --serve NAME\n"
		"       notif-stress [--keys K] [--timeout-ms MS] --mute NAME\n"
		"Defaults: --keys 64 --posters 4 --posts 25000 --batch 16 --waiters 16\n"
		"--wait-ms 1000.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keys", required_argument, NULL, 'k' },
		{ "posters", required_argument, NULL, 'p' },
		{ "posts", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "waiters", required_argument, NULL, 'w' },
		{ "wait-ms", required_argument, NULL, 't' },
		{ "pingpong", required_argument, NULL, 'P' },
		{ "rate", required_argument, NULL, 'r' },
		{ "serve", no_argument, NULL, 's' },
		{ "mute", no_argument, NULL, 'm' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct virtio_blk_config config;
	struct stress s = {
		.control_fd = -1, .keys = 64, .posters = 4, .posts = 25000,
		.batch = 16, .waiters = 16, .wait_ms = 1000,
	};
	struct uvdev_params params = {
		.device_id = VIRTIO_ID_BLOCK,
		.features = 1ULL << VIRTIO_F_VERSION_1,
		.num_queues = 1,
		.max_queue_size = 64,
		.config = &config,
		.config_size = sizeof(config),
	};
	uint64_t v, pingpong = 0, rate = 0;
	bool serve = false, mute = false;
	struct uvdev_service svc;
	struct backend b;
	int opt, status = BACKEND_EXIT_ERROR;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
		case 'p':
		case 'n':
		case 'b':
		case 'w':
		case 't':
		case 'P':
		case 'T':
		case 'r': {
			uint64_t max = opt == 'k' ? UVDEV_NOTIF_MAX_KEY :
				       opt == 'p' || opt == 'w' ? MAX_THREADS :
				       opt == 'b' ? UVDEV_MAX_BATCH :
				       opt == 't' || opt == 'T' ? UVDEV_MAX_TIMEOUT_MS : 100000000;

			if (backend_parse_u64(optarg, opt == 'w' ? 0 : 1, max, &v)) {
				fprintf(stderr, "notif-stress: '%s': not a number in 1..%" PRIu64 "\n",
					optarg, max);
				return BACKEND_EXIT_USAGE;
			}
			if (opt == 'k')
				s.keys = v;
			else if (opt == 'p')
				s.posters = v;
			else if (opt == 'n')
				s.posts = v;
			else if (opt == 'b')
				s.batch = v;
			else if (opt == 'w')
				s.waiters = v;
			else if (opt == 't')
				s.wait_ms = v;
			else if (opt == 'P')
				pingpong = v;
			else if (opt == 'T')
				params.msg_timeout_ms = v;
			else
				rate = v;
			break;
		}
		case 's':
			serve = true;
			break;
		case 'm':
			mute = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return BACKEND_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || (pingpong && s.keys < 2)) {
		usage(stderr);
		return BACKEND_EXIT_USAGE;
	}
	params.name = argv[optind];
	params.notif_max = s.keys;

	if (backend_init(&b, "notif-stress"))
		goto cleanup;
	b.name = params.name;
	if (mute) {
		status = run_mute(&b, &params);
		goto cleanup_backend;
	}
	if (backend_open_device(&b, &params, params.device_id))
		goto cleanup_backend;
	s.dev_fd = b.dev_fd;
	s.dev_id = b.info.dev_id;
	if (uvdev_service_init(&svc, b.dev_fd, 1, &stress_ops, &s)) {
		backend_abandon(&b);
		goto cleanup_backend;
	}
	if (backend_start(&b, &svc)) {
		backend_abandon(&b);
		goto cleanup_service;
	}
	s.control_fd = uvdev_control_open();
	if (s.control_fd < 0) {
		fail_call(&s, UVDEV_CONTROL_PATH, s.control_fd);
	} else if (!serve) {
		int bad = pingpong ? pingpong_once(&s, pingpong, false) ||
				     pingpong_once(&s, pingpong, true) :
			  rate ? run_rate(&s, rate) : run_burst(&s);

		fflush(stdout);
		/* Done: SIGTERM ourselves, so backend_wait() destroys the device. */
		kill(getpid(), SIGTERM);
		status = backend_wait(&b, &svc);
		if (bad && status == BACKEND_EXIT_OK)
			status = BACKEND_EXIT_ERROR;
		goto cleanup_service;
	}
	if (s.control_fd >= 0)
		fprintf(stderr, "notif-stress: %s: serving\n", params.name);
	status = backend_wait(&b, &svc);
	if (s.control_fd < 0)
		status = BACKEND_EXIT_ERROR;
cleanup_service:
	uvdev_service_fini(&svc);
cleanup_backend:
	backend_fini(&b);
cleanup:
	if (s.control_fd >= 0)
		close(s.control_fd);
	return status;
}
