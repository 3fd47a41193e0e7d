// SPDX-License-Identifier: GPL-2.0
/*
 * The service threads of libuvdev (tools/uvdev/uvdev_service.c), run for
 * real: the test plays the kernel's side of the message protocol over a
 * socketpair standing in for the device fd, and the fake ring ioctls serve
 * the queue. Each wait has a deadline, so a lost wakeup fails, never hangs.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake_uvdev.h"
#include "uvdev_service.h"

#define DEADLINE_MS	5000

struct fixture {
	int kernel_end;		/* the test's end of the "device fd" */
	struct uvdev_service svc;
	atomic_int messages;	/* seen by the hook */
	atomic_int batches;
};

static struct fixture fx;

/* Serve up to 8 chains: push each with nothing written. */
static int serve_batch(struct uvdev_queue *q)
{
	struct uvdev_vq_elem elems[8];
	struct uvdev_vq_used used[8];
	int n, i, ret;

	n = uvdev_vq_pop(q->svc->dev_fd, q->index, elems, 8, NULL, 0);
	if (n <= 0)
		return n;
	for (i = 0; i < n; i++)
		used[i] = (struct uvdev_vq_used){ .head = elems[i].head };
	ret = uvdev_vq_push_all(q->svc->dev_fd, q->index, used, (size_t)n, UVDEV_PUSH_F_IRQ);
	if (ret < 0)
		return ret;
	atomic_fetch_add(&fx.batches, 1);
	return n;
}

/* Refuses a SET_STATUS to 0xff, accepts everything else. */
static int on_message(struct uvdev_service *svc, const struct uvdev_msg *msg)
{
	(void)svc;
	atomic_fetch_add(&fx.messages, 1);
	if (msg->type == UVDEV_MSG_SET_STATUS && msg->status.status == 0xff)
		return -EPERM;
	return 0;
}

static const struct uvdev_service_ops ops = {
	.serve_batch = serve_batch,
	.on_message = on_message,
};

static int setup(void **state)
{
	int sv[2];

	(void)state;
	fake_reset();
	memset(&fx, 0, sizeof(fx));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	fx.kernel_end = sv[1];
	fake.fd = sv[0];
	return uvdev_service_init(&fx.svc, sv[0], 1, &ops, NULL);
}

static int teardown(void **state)
{
	int dev_fd = fx.svc.dev_fd;

	(void)state;
	uvdev_service_fini(&fx.svc);
	close(dev_fd);
	if (fx.kernel_end >= 0)
		close(fx.kernel_end);
	fake_reset();
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t chains_used(void)
{
	uint32_t i, n = 0;

	pthread_mutex_lock(&fake_lock);
	for (i = 0; i < fake.nchains; i++)
		n += fake.chains[i].state == FAKE_USED;
	pthread_mutex_unlock(&fake_lock);
	return n;
}

static bool wait_used(uint32_t n)
{
	long end = now_ms() + DEADLINE_MS;

	while (chains_used() < n) {
		if (now_ms() > end)
			return false;
		usleep(1000);
	}
	return true;
}

static void add_chains(uint32_t n)
{
	uint8_t out[4] = { 0 };

	pthread_mutex_lock(&fake_lock);
	while (n--)
		fake_add_chain(out, sizeof(out), 4);
	pthread_mutex_unlock(&fake_lock);
}

static int kick_fd_of(uint32_t queue)
{
	int fd;

	pthread_mutex_lock(&fake_lock);
	fd = fake.kick_fd[queue];
	pthread_mutex_unlock(&fake_lock);
	return fd;
}

static void send_msg(uint32_t id, uint32_t type, struct uvdev_msg *msg)
{
	msg->id = id;
	msg->type = type;
	assert_int_equal(write(fx.kernel_end, msg, sizeof(*msg)), sizeof(*msg));
}

static struct uvdev_msg_reply read_reply(void)
{
	struct pollfd pfd = { .fd = fx.kernel_end, .events = POLLIN };
	struct uvdev_msg_reply reply;

	memset(&reply, 0, sizeof(reply));
	assert_int_equal(poll(&pfd, 1, DEADLINE_MS), 1);
	assert_int_equal(read(fx.kernel_end, &reply, sizeof(reply)), sizeof(reply));
	return reply;
}

static bool wait_event(void)
{
	struct pollfd pfd = { .fd = fx.svc.event_fd, .events = POLLIN };

	return poll(&pfd, 1, DEADLINE_MS) == 1;
}

static void start_serves_leftover_chains(void **state)
{
	(void)state;
	/* Chains a previous backend popped: no kick will come for them. */
	add_chains(20);
	assert_int_equal(uvdev_service_start(&fx.svc), 0);
	assert_true(wait_used(20));
	assert_true(kick_fd_of(0) >= 0);
	assert_int_equal(uvdev_service_error(&fx.svc), 0);
}

static void kicks_wake_the_queue(void **state)
{
	int i;

	(void)state;
	assert_int_equal(uvdev_service_start(&fx.svc), 0);
	for (i = 1; i <= 5; i++) {
		add_chains(3);
		/* What the kernel does on a kick. */
		assert_int_equal(eventfd_write(kick_fd_of(0), 1), 0);
		assert_true(wait_used((uint32_t)i * 3));
	}
}

static void messages_are_answered(void **state)
{
	struct uvdev_msg msg;
	struct uvdev_msg_reply reply;

	(void)state;
	assert_int_equal(uvdev_service_start(&fx.svc), 0);

	memset(&msg, 0, sizeof(msg));
	msg.status.status = 0x0f;
	send_msg(10, UVDEV_MSG_SET_STATUS, &msg);
	reply = read_reply();
	assert_int_equal(reply.id, 10);
	assert_int_equal(reply.type, UVDEV_MSG_SET_STATUS);
	assert_int_equal(reply.result, 0);

	msg.status.status = 0xff;
	send_msg(11, UVDEV_MSG_SET_STATUS, &msg);
	assert_int_equal(read_reply().result, -EPERM);

	memset(&msg, 0, sizeof(msg));
	msg.vq.queue = 0;
	msg.vq.size = 256;
	msg.vq.ready = 1;
	send_msg(12, UVDEV_MSG_VQ_READY, &msg);
	assert_int_equal(read_reply().result, 0);
	/* A queue the device does not have. */
	msg.vq.queue = 1;
	send_msg(13, UVDEV_MSG_VQ_READY, &msg);
	assert_int_equal(read_reply().result, -EINVAL);

	memset(&msg, 0, sizeof(msg));
	msg.config.len = 1;
	send_msg(14, UVDEV_MSG_SET_CONFIG, &msg);
	assert_int_equal(read_reply().result, 0);
	send_msg(15, UVDEV_MSG_RESET, &msg);
	reply = read_reply();
	assert_int_equal(reply.id, 15);
	assert_int_equal(reply.result, 0);
	send_msg(16, 99, &msg);
	reply = read_reply();
	assert_int_equal(reply.type, 99);
	assert_int_equal(reply.result, -EOPNOTSUPP);

	/* The hook saw the accepted types, not the bad queue or unknown type. */
	assert_int_equal(atomic_load(&fx.messages), 5);
	assert_int_equal(uvdev_service_error(&fx.svc), 0);
}

static void vq_ready_sets_a_missing_kick(void **state)
{
	struct uvdev_msg msg;

	(void)state;
	/* The kernel refuses eventfds of queues that are not ready. */
	fake.kick_error = ENODEV;
	assert_int_equal(uvdev_service_start(&fx.svc), 0);
	assert_int_equal(kick_fd_of(0), -1);
	add_chains(2);

	pthread_mutex_lock(&fake_lock);
	fake.kick_error = 0;
	pthread_mutex_unlock(&fake_lock);
	memset(&msg, 0, sizeof(msg));
	msg.vq.size = 64;
	msg.vq.ready = 1;
	send_msg(1, UVDEV_MSG_VQ_READY, &msg);
	assert_int_equal(read_reply().result, 0);
	assert_true(kick_fd_of(0) >= 0);
	/* ... and looks at the ring right away. */
	assert_true(wait_used(2));
}

static void queue_not_ready_is_quiet(void **state)
{
	(void)state;
	fake.pop_error = ENODEV;
	assert_int_equal(uvdev_service_start(&fx.svc), 0);
	add_chains(1);
	assert_int_equal(eventfd_write(kick_fd_of(0), 1), 0);
	usleep(20000);
	assert_int_equal(uvdev_service_error(&fx.svc), 0);

	pthread_mutex_lock(&fake_lock);
	fake.pop_error = 0;
	pthread_mutex_unlock(&fake_lock);
	assert_int_equal(eventfd_write(kick_fd_of(0), 1), 0);
	assert_true(wait_used(1));
}

static void broken_device_stops_the_service(void **state)
{
	(void)state;
	assert_int_equal(uvdev_service_start(&fx.svc), 0);
	pthread_mutex_lock(&fake_lock);
	fake.pop_error = EIO;
	pthread_mutex_unlock(&fake_lock);
	assert_int_equal(eventfd_write(kick_fd_of(0), 1), 0);
	assert_true(wait_event());
	assert_int_equal(uvdev_service_error(&fx.svc), -EIO);
}

static void destroyed_device_is_reported(void **state)
{
	(void)state;
	assert_int_equal(uvdev_service_start(&fx.svc), 0);
	/* The kernel reports a destroyed device as end of file. */
	close(fx.kernel_end);
	fx.kernel_end = -1;
	assert_true(wait_event());
	assert_int_equal(uvdev_service_error(&fx.svc), -ESHUTDOWN);
}

static void stop_is_prompt_and_repeatable(void **state)
{
	long start;

	(void)state;
	assert_int_equal(uvdev_service_start(&fx.svc), 0);
	start = now_ms();
	uvdev_service_stop(&fx.svc);
	uvdev_service_stop(&fx.svc);
	assert_true(now_ms() - start < 1000);
	assert_int_equal(uvdev_service_error(&fx.svc), 0);
}

static void init_checks_its_arguments(void **state)
{
	struct uvdev_service svc;
	const struct uvdev_service_ops no_serve = { 0 };

	(void)state;
	assert_int_equal(uvdev_service_init(&svc, 3, 0, &ops, NULL), -EINVAL);
	assert_int_equal(uvdev_service_init(&svc, 3, UVDEV_MAX_QUEUES + 1, &ops, NULL), -EINVAL);
	assert_int_equal(uvdev_service_init(&svc, 3, 1, &no_serve, NULL), -EINVAL);
	uvdev_service_fini(&svc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(start_serves_leftover_chains, setup, teardown),
		cmocka_unit_test_setup_teardown(kicks_wake_the_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(messages_are_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(vq_ready_sets_a_missing_kick, setup, teardown),
		cmocka_unit_test_setup_teardown(queue_not_ready_is_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(broken_device_stops_the_service, setup, teardown),
		cmocka_unit_test_setup_teardown(destroyed_device_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(stop_is_prompt_and_repeatable, setup, teardown),
		cmocka_unit_test(init_checks_its_arguments),
	};

	return cmocka_run_group_tests_name("uvdev_service", tests, NULL, NULL);
}
