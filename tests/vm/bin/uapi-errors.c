// SPDX-License-Identifier: GPL-2.0
/*
 * uapi-errors: feed the uvdev ioctl ABI bad input and check each call gets
 * its specific error, then show the device still works.
 *
 * It creates a virtio-rng device and acts as its backend itself (raw
 * ioctls, no libuvdev), so it has a real chain in flight to abuse: the
 * hw_random core reads from a new rng as soon as it registers.
 *
 * Then UVDEV_IOC_VQ_SERVE on the receive queue of a virtio_net device (its
 * driver makes many chains available at once): every field's error, and
 * that a refused call loses nothing: entries before a refused one stay
 * pushed, nothing is popped when the push half failed.
 *
 * Then a virtio_blk device whose backend completes the probe's first read
 * without the interrupt: a destroy must still return in its bound (the
 * device breaks and the kernel delivers the interrupt owed).
 *
 * Usage: uapi-errors NAME      (run as root, uvdev and virtio_blk loaded)
 * Exit status: 0 every check passed, 1 a check failed, 2 setup failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <time.h>

#include <uapi/uvdev.h>

static int failures;

#define CHECK_ERR(call, err) check_err(#call, (call), (err), __LINE__)

/* @ret is the ioctl's return value; it must be -1 with errno @err. */
static void check_err(const char *what, long ret, int err, int line)
{
	int saved = errno;

	if (ret == -1 && saved == err) {
		printf("ok: %s -> %s\n", what, strerror(err));
		return;
	}
	printf("FAIL line %d: %s returned %ld (errno %s), expected %s\n", line,
	       what, ret, ret == -1 ? strerror(saved) : "none", strerror(err));
	failures++;
}

static void check_true(const char *what, bool cond)
{
	printf("%s: %s\n", cond ? "ok" : "FAIL", what);
	if (!cond)
		failures++;
}

static int dev_fd;
static volatile int vq_ready;

/* Answer every control message of the fd at @arg (an int) with 0. */
static void *message_loop(void *arg)
{
	int fd = *(int *)arg;
	struct uvdev_msg msg;
	struct uvdev_msg_reply reply;

	while (read(fd, &msg, sizeof(msg)) == (ssize_t)sizeof(msg)) {
		memset(&reply, 0, sizeof(reply));
		reply.id = msg.id;
		reply.type = msg.type;
		if (fd == dev_fd && msg.type == UVDEV_MSG_VQ_READY && msg.vq.queue == 0)
			__atomic_store_n(&vq_ready, msg.vq.ready, __ATOMIC_SEQ_CST);
		if (write(fd, &reply, sizeof(reply)) != (ssize_t)sizeof(reply))
			break;
	}
	return NULL;
}

static int control_fd;

static int create(const char *name, uint32_t device_id, uint64_t features,
		  uint32_t queues, uint32_t qsize, const void *config,
		  uint32_t config_size)
{
	struct uvdev_create c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.device_id = device_id;
	c.features = features;
	c.num_queues = queues;
	c.max_queue_size = qsize;
	c.config = (uintptr_t)config;
	c.config_size = config_size;
	return ioctl(control_fd, UVDEV_IOC_CREATE, &c);
}

static void check_create_errors(const char *name)
{
	const uint64_t v1 = 1ULL << VIRTIO_F_VERSION_1;
	struct uvdev_create c;

	CHECK_ERR(create("", VIRTIO_ID_RNG, v1, 1, 64, NULL, 0), EINVAL);
	CHECK_ERR(create("bad/name", VIRTIO_ID_RNG, v1, 1, 64, NULL, 0), EINVAL);
	CHECK_ERR(create("control", VIRTIO_ID_RNG, v1, 1, 64, NULL, 0), EINVAL);
	/* Letters, but not ASCII: Latin-1 e acute and u circumflex. */
	CHECK_ERR(create("caf\xe9", VIRTIO_ID_RNG, v1, 1, 64, NULL, 0), EINVAL);
	CHECK_ERR(create("\xfb", VIRTIO_ID_RNG, v1, 1, 64, NULL, 0), EINVAL);
	CHECK_ERR(create("x", 99, v1, 1, 64, NULL, 0), EINVAL);
	CHECK_ERR(create("x", VIRTIO_ID_RNG, 0, 1, 64, NULL, 0), EINVAL);
	CHECK_ERR(create("x", VIRTIO_ID_RNG, v1 | (1ULL << VIRTIO_F_ACCESS_PLATFORM),
			 1, 64, NULL, 0), EINVAL);
	CHECK_ERR(create("x", VIRTIO_ID_RNG, v1, 0, 64, NULL, 0), EINVAL);
	CHECK_ERR(create("x", VIRTIO_ID_RNG, v1, UVDEV_MAX_QUEUES + 1, 64, NULL, 0), EINVAL);
	CHECK_ERR(create("x", VIRTIO_ID_RNG, v1, 1, 100, NULL, 0), EINVAL);
	CHECK_ERR(create("x", VIRTIO_ID_RNG, v1, 1, 2048, NULL, 0), EINVAL);
	CHECK_ERR(create("x", VIRTIO_ID_RNG, v1, 1, 64, NULL, UVDEV_MAX_CONFIG_SIZE + 1), EINVAL);
	CHECK_ERR(create("x", VIRTIO_ID_RNG, v1, 1, 64, (void *)16, 8), EFAULT);
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "x");
	c.device_id = VIRTIO_ID_RNG;
	c.features = v1;
	c.num_queues = 1;
	c.max_queue_size = 64;
	c.reserved[3] = 1;
	CHECK_ERR(ioctl(control_fd, UVDEV_IOC_CREATE, &c), EINVAL);
	c.reserved[3] = 0;
	c.notif_max = UVDEV_NOTIF_MAX_KEY + 1;
	CHECK_ERR(ioctl(control_fd, UVDEV_IOC_CREATE, &c), EINVAL);
	CHECK_ERR(ioctl(control_fd, UVDEV_IOC_CREATE, (void *)8), EFAULT);
	CHECK_ERR(ioctl(control_fd, _IO(UVDEV_IOC_MAGIC, 0x7f)), ENOTTY);
	CHECK_ERR(create(name, VIRTIO_ID_RNG, v1, 1, 64, NULL, 0), EEXIST);
}

/* The notification calls of the control node, on device @dev_id (notif_max 0). */
static void check_notif_control_errors(uint32_t dev_id)
{
	struct uvdev_notif_wait w = { .dev_id = dev_id, .key = 1, .timeout_ms = 1 };
	struct uvdev_notif_state st = { .dev_id = dev_id };

	CHECK_ERR(ioctl(control_fd, UVDEV_IOC_NOTIF_WAIT, &w), EINVAL);	/* key > notif_max */
	w.key = 0;
	CHECK_ERR(ioctl(control_fd, UVDEV_IOC_NOTIF_WAIT, &w), EINVAL);	/* the bottom half */
	w = (struct uvdev_notif_wait){ .dev_id = dev_id, .reserved = 1 };
	CHECK_ERR(ioctl(control_fd, UVDEV_IOC_NOTIF_WAIT, &w), EINVAL);
	w = (struct uvdev_notif_wait){ .dev_id = 0xffffffff, .key = 1 };
	CHECK_ERR(ioctl(control_fd, UVDEV_IOC_NOTIF_WAIT, &w), ENOENT);
	CHECK_ERR(ioctl(control_fd, UVDEV_IOC_NOTIF_WAIT, (void *)8), EFAULT);
	st.posted = 1;
	CHECK_ERR(ioctl(control_fd, UVDEV_IOC_NOTIF_STATE, &st), EINVAL);
	st = (struct uvdev_notif_state){ .dev_id = 0xffffffff };
	CHECK_ERR(ioctl(control_fd, UVDEV_IOC_NOTIF_STATE, &st), ENOENT);
	CHECK_ERR(ioctl(control_fd, UVDEV_IOC_NOTIF_STATE, (void *)8), EFAULT);
	st = (struct uvdev_notif_state){ .dev_id = dev_id };
	check_true("NOTIF_STATE of a device with notif_max 0",
		   ioctl(control_fd, UVDEV_IOC_NOTIF_STATE, &st) == 0 && st.notif_max == 0 &&
		   st.posted == 0 && st.waiters == 0 && st.now_ns != 0);
}

/* UVDEV_IOC_NOTIFY on the backend's fd of a device with notif_max 0. */
static void check_notify_errors(int dev_fd)
{
	uint32_t values[UVDEV_MAX_BATCH + 1] = { 1 };
	struct uvdev_notify n = { .count = 1, .values = (uintptr_t)values };

	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_NOTIFY, &n), EINVAL);		/* key 1 > 0 */
	n = (struct uvdev_notify){ .count = UVDEV_MAX_BATCH + 1, .values = (uintptr_t)(values + 1) };
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_NOTIFY, &n), EINVAL);
	n = (struct uvdev_notify){ .count = 0 };
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_NOTIFY, &n), EINVAL);
	n = (struct uvdev_notify){ .events = 1u << 31 };
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_NOTIFY, &n), EINVAL);
	n = (struct uvdev_notify){ .count = 1, .values = (uintptr_t)(values + 1), .reserved = { 1 } };
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_NOTIFY, &n), EINVAL);
	n = (struct uvdev_notify){ .count = 1, .values = 16 };
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_NOTIFY, &n), EFAULT);
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_NOTIFY, (void *)8), EFAULT);
	/* The bottom-half value alone is always allowed; no event: nothing to do. */
	n = (struct uvdev_notify){ .count = 1, .values = (uintptr_t)(values + 1) };
	check_true("NOTIFY of the bottom-half value", ioctl(dev_fd, UVDEV_IOC_NOTIFY, &n) == 0);
}

static void check_vq_errors(uint32_t head, uint32_t in_bytes)
{
	char *buf = malloc(1 << 20);
	struct uvdev_vq_xfer_op op;
	struct uvdev_vq_xfer xfer = { .count = 1, .ops = (uintptr_t)&op };
	struct uvdev_vq_used used;
	struct uvdev_vq_push push = { .queue = 0, .count = 1, .used = (uintptr_t)&used };
	struct uvdev_vq_elem elems[4];
	struct uvdev_vq_pop pop = { .queue = 0, .max = 4, .elems = (uintptr_t)elems };
	struct uvdev_vq_info info;
	struct uvdev_vq_kickfd kfd;
	void *unmapped;

	if (!buf) {
		perror("malloc");
		exit(2);
	}
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (unmapped == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}

#define XFER(q, h, d, off, l, a) \
	(op = (struct uvdev_vq_xfer_op){ .queue = (q), .head = (h), .dir = (d), \
		.offset = (off), .len = (l), .addr = (uintptr_t)(a) }, \
	 ioctl(dev_fd, UVDEV_IOC_VQ_XFER, &xfer))

	/* The chain works as given. */
	check_true("write one in-byte", XFER(0, head, UVDEV_XFER_WRITE, 0, 1, buf) == 1 &&
		   op.result == 1);
	/* Bad queue index, bad head, bad direction. */
	CHECK_ERR(XFER(1, head, UVDEV_XFER_WRITE, 0, 1, buf), EINVAL);
	CHECK_ERR(XFER(0xffffffff, head, UVDEV_XFER_WRITE, 0, 1, buf), EINVAL);
	CHECK_ERR(XFER(0, head, 7, 0, 1, buf), EINVAL);
	CHECK_ERR(XFER(0, 0xffff, UVDEV_XFER_WRITE, 0, 1, buf), ENOENT);
	CHECK_ERR(XFER(0, (head + 1) % 64, UVDEV_XFER_WRITE, 0, 1, buf), ENOENT);
	/* Huge length, offset past the chain, reading out-bytes it does not have. */
	CHECK_ERR(XFER(0, head, UVDEV_XFER_WRITE, 0, 0xffffffff, buf), ERANGE);
	CHECK_ERR(XFER(0, head, UVDEV_XFER_WRITE, in_bytes, 1, buf), ERANGE);
	CHECK_ERR(XFER(0, head, UVDEV_XFER_WRITE, 0xfffffff0, 0x20, buf), ERANGE);
	CHECK_ERR(XFER(0, head, UVDEV_XFER_READ, 0, 1, buf), ERANGE);
	check_true("op.result holds the error", op.result == -ERANGE);
	/* Bad user pointers. */
	CHECK_ERR(XFER(0, head, UVDEV_XFER_WRITE, 0, 1, unmapped), EFAULT);
	CHECK_ERR(XFER(0, head, UVDEV_XFER_WRITE, 0, 1, (void *)0xffff800000000000ULL), EFAULT);
	xfer.ops = (uintptr_t)unmapped;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_XFER, &xfer), EFAULT);
	xfer.ops = (uintptr_t)&op;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_XFER, unmapped), EFAULT);
	/* Batch limits and reserved fields. */
	xfer.count = 0;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_XFER, &xfer), EINVAL);
	xfer.count = UVDEV_MAX_BATCH + 1;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_XFER, &xfer), EINVAL);
	xfer.count = 1;
	pop.max = 0;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_POP, &pop), EINVAL);
	pop.max = 4;
	pop.peek_len = UVDEV_MAX_PEEK + 1;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_POP, &pop), EINVAL);
	pop.peek_len = 0;
	pop.elems = (uintptr_t)unmapped;
	pop.reserved = 0;
	pop.queue = 3;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_POP, &pop), EINVAL);
	pop.queue = 0;
	pop.elems = (uintptr_t)elems;
	/* Push: a used length beyond the chain, a head not in flight. */
	used = (struct uvdev_vq_used){ .head = head, .len = in_bytes + 1 };
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_PUSH, &push), ERANGE);
	used = (struct uvdev_vq_used){ .head = 0xffff, .len = 0 };
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_PUSH, &push), ENOENT);
	push.flags = 0x80;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_PUSH, &push), EINVAL);
	push.flags = 0;
	push.used = (uintptr_t)unmapped;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_PUSH, &push), EFAULT);
	push.used = (uintptr_t)&used;
	/* Kick eventfd: not an eventfd, negative other than -1. */
	kfd = (struct uvdev_vq_kickfd){ .queue = 0, .fd = dev_fd };
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_SET_KICKFD, &kfd), EINVAL);
	kfd.fd = -5;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_SET_KICKFD, &kfd), EINVAL);
	kfd.fd = 9999;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_SET_KICKFD, &kfd), EBADF);
	/* Info with reserved bits, unknown ioctl. */
	memset(&info, 0, sizeof(info));
	info.reserved[0] = 1;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_INFO, &info), EINVAL);
	CHECK_ERR(ioctl(dev_fd, _IO(UVDEV_IOC_MAGIC, 0x7e)), ENOTTY);
	CHECK_ERR(ioctl(dev_fd, 0x5401 /* TCGETS */), ENOTTY);

	/* The chain is still in flight and completes normally. */
	memset(&info, 0, sizeof(info));
	check_true("queue 0 reports one chain in flight",
		   ioctl(dev_fd, UVDEV_IOC_VQ_INFO, &info) == 0 && info.inflight == 1);
	memset(buf, 0x5a, in_bytes);
	check_true("fill the chain", XFER(0, head, UVDEV_XFER_WRITE, 0, in_bytes, buf) == 1);
	used = (struct uvdev_vq_used){ .head = head, .len = in_bytes };
	push.flags = UVDEV_PUSH_F_IRQ;
	check_true("push it", ioctl(dev_fd, UVDEV_IOC_VQ_PUSH, &push) == 1);
	CHECK_ERR(XFER(0, head, UVDEV_XFER_WRITE, 0, 1, buf), ENOENT);
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_PUSH, &push), ENOENT);
	munmap(unmapped, 4096);
	free(buf);
}

static const char initial_config[8] = "uvdevcfg";

/* Config space: read back, bounds, and an update that bumps the generation. */
static void check_config(void)
{
	struct uvdev_config_update cu;
	struct uvdev_dev_info info;
	char buf[16] = { 0 };
	uint32_t gen;

	cu = (struct uvdev_config_update){ .offset = 0, .len = 8, .data = (uintptr_t)buf };
	check_true("GET_CONFIG returns the config given at create",
		   ioctl(dev_fd, UVDEV_IOC_GET_CONFIG, &cu) == 0 && !memcmp(buf, "uvdevcfg", 8));
	cu.offset = 4;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_GET_CONFIG, &cu), EINVAL);
	cu.offset = 0xffffffff;
	cu.len = 2;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_SET_CONFIG, &cu), EINVAL);
	cu = (struct uvdev_config_update){ .offset = 0, .len = 8, .data = 16 };
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_SET_CONFIG, &cu), EFAULT);
	cu.flags = 2;
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_SET_CONFIG, &cu), EINVAL);
	if (ioctl(dev_fd, UVDEV_IOC_DEV_INFO, &info))
		exit(2);
	gen = info.config_generation;
	cu = (struct uvdev_config_update){ .offset = 2, .len = 3, .data = (uintptr_t)"ABC" };
	check_true("SET_CONFIG", ioctl(dev_fd, UVDEV_IOC_SET_CONFIG, &cu) == 0);
	cu = (struct uvdev_config_update){ .offset = 0, .len = 8, .data = (uintptr_t)buf };
	check_true("GET_CONFIG sees it",
		   ioctl(dev_fd, UVDEV_IOC_GET_CONFIG, &cu) == 0 && !memcmp(buf, "uvABCcfg", 8));
	check_true("the generation moved",
		   ioctl(dev_fd, UVDEV_IOC_DEV_INFO, &info) == 0 &&
		   info.config_generation == gen + 1 && info.config_size == 8);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * A virtio_blk device whose backend pushes the probe's first read without
 * UVDEV_PUSH_F_IRQ and never injects the interrupt: the probe waits for
 * it, so a destroy waits for the probe until the deadline breaks the
 * device, and breaking must deliver the interrupt owed, or the probe, and
 * the destroy, wait for ever. Returns 0, or 2 if the setup failed.
 */
/* Create @name with @queues queues (nobody opens it: no driver binds). */
static uint32_t create_quiet(const char *name, uint32_t queues)
{
	struct uvdev_create c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.device_id = VIRTIO_ID_RNG;
	c.features = 1ULL << VIRTIO_F_VERSION_1;
	c.num_queues = queues;
	c.max_queue_size = 64;
	if (ioctl(control_fd, UVDEV_IOC_CREATE, &c)) {
		fprintf(stderr, "create %s: %s\n", name, strerror(errno));
		exit(2);
	}
	return c.dev_id;
}

/* Queue @q of device @dev_id as QUEUE_STATE reports it; exits if it fails. */
static struct uvdev_queue_state queue_state(uint32_t dev_id, uint32_t q)
{
	struct uvdev_queue_state st = { .dev_id = dev_id, .queue = q };

	if (ioctl(control_fd, UVDEV_IOC_QUEUE_STATE, &st)) {
		fprintf(stderr, "QUEUE_STATE %u/%u: %s\n", dev_id, q, strerror(errno));
		exit(2);
	}
	return st;
}

static void destroy_quiet(const char *name)
{
	struct uvdev_destroy d;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	check_true("destroy", ioctl(control_fd, UVDEV_IOC_DESTROY, &d) == 0);
}

/*
 * Queue slots (what monitors index arrays with) are distinct among live
 * queues and below max_queues; a device's serial is shared by its queues,
 * never 0, and new for every device, a re-created name included.
 */
static void check_slots(const char *base)
{
	char a[UVDEV_NAME_MAX], b[UVDEV_NAME_MAX];
	struct uvdev_queue_state sa[3], sb[2], st;
	unsigned int max_queues = 0;
	uint32_t ida, idb, q, r;
	FILE *f;

	f = fopen("/sys/module/uvdev/parameters/max_queues", "r");
	if (!f || fscanf(f, "%u", &max_queues) != 1) {
		fprintf(stderr, "cannot read uvdev's max_queues\n");
		exit(2);
	}
	fclose(f);
	snprintf(a, sizeof(a), "%.20s-sa", base);
	snprintf(b, sizeof(b), "%.20s-sb", base);
	ida = create_quiet(a, 3);
	idb = create_quiet(b, 2);
	for (q = 0; q < 3; q++)
		sa[q] = queue_state(ida, q);
	for (q = 0; q < 2; q++)
		sb[q] = queue_state(idb, q);
	for (q = 0; q < 3; q++) {
		check_true("a slot is below max_queues", sa[q].slot < max_queues);
		check_true("a device's queues share its serial",
			   sa[q].serial == sa[0].serial && sa[q].serial != 0);
		for (r = 0; r < 2; r++)
			check_true("two devices' queues have different slots",
				   sa[q].slot != sb[r].slot);
		for (r = q + 1; r < 3; r++)
			check_true("a device's queues have different slots",
				   sa[q].slot != sa[r].slot);
	}
	check_true("slots of the second device", sb[0].slot != sb[1].slot &&
		   sb[0].slot < max_queues && sb[1].slot < max_queues);
	check_true("a later device has a later serial",
		   sb[0].serial == sb[1].serial && sb[0].serial - sa[0].serial < 0x80000000u &&
		   sb[0].serial != sa[0].serial);
	destroy_quiet(a);
	ida = create_quiet(a, 1);
	st = queue_state(ida, 0);
	check_true("a re-created device has a new serial",
		   st.serial != sa[0].serial && st.serial != sb[0].serial &&
		   st.serial - sb[0].serial < 0x80000000u);
	check_true("its slot is free", st.slot != sb[0].slot && st.slot != sb[1].slot &&
		   st.slot < max_queues);
	destroy_quiet(a);
	destroy_quiet(b);
}

/* Chains of queue 0 of @fd popped and not pushed (VQ_INFO). */
static uint32_t inflight_of(int fd)
{
	struct uvdev_vq_info info = { .queue = 0 };

	if (ioctl(fd, UVDEV_IOC_VQ_INFO, &info)) {
		perror("VQ_INFO");
		exit(2);
	}
	return info.inflight;
}

/* Bring the network interface of uvdev device @name up; exits on failure. */
static void net_up(const char *name)
{
	char pattern[128];
	struct ifreq ifr;
	uint64_t deadline = now_ms() + 30000;
	glob_t g;
	int sock;

	snprintf(pattern, sizeof(pattern), "/sys/class/uvdev/%s/virtio*/net/*", name);
	while (glob(pattern, 0, NULL, &g)) {
		struct pollfd none = { .fd = -1 };

		if (now_ms() > deadline) {
			fprintf(stderr, "virtio_net did not bind to %s within 30 s\n", name);
			exit(2);
		}
		poll(&none, 0, 50);	/* the driver's probe runs meanwhile */
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", strrchr(g.gl_pathv[0], '/') + 1);
	globfree(&g);
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &ifr)) {
		perror(ifr.ifr_name);
		exit(2);
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr)) {
		perror(ifr.ifr_name);
		exit(2);
	}
	close(sock);
	printf("interface %s is up\n", ifr.ifr_name);
}

#define SERVE_SENTINEL	0xa5a5a5a5u

/*
 * UVDEV_IOC_VQ_SERVE on the receive queue of a virtio_net device, which
 * has many chains available once its interface is up: the backend holds
 * two in flight and others stay available, so "nothing popped" and
 * "nothing pushed" are both observable.
 */
static void check_serve(const char *base)
{
	struct uvdev_vq_kickfd kfd = { .queue = 0 };
	struct uvdev_vq_elem elems[4], two[2];
	struct uvdev_vq_pop pop = { .queue = 0, .max = 2, .elems = (uintptr_t)two };
	struct uvdev_vq_used used[2];
	struct uvdev_vq_push push = { .queue = 0, .count = 1, .used = (uintptr_t)used };
	struct uvdev_vq_serve req, *ro;
	struct uvdev_create c;
	char name[UVDEV_NAME_MAX], path[64];
	uint8_t peek[4 * 16];
	uint64_t deadline;
	pthread_t thread;
	uint32_t a, b, i;
	void *unmapped;
	int fd, efd, n;

	snprintf(name, sizeof(name), "%.20s-serve", base);
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.device_id = VIRTIO_ID_NET;
	c.features = 1ULL << VIRTIO_F_VERSION_1;
	c.num_queues = 2;
	c.max_queue_size = 64;
	if (ioctl(control_fd, UVDEV_IOC_CREATE, &c)) {
		perror("create the virtio_net device");
		exit(2);
	}
	snprintf(path, sizeof(path), UVDEV_DEV_DIR "/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	efd = eventfd(0, EFD_CLOEXEC);
	kfd.fd = efd;
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || efd < 0 || unmapped == MAP_FAILED || ro == MAP_FAILED ||
	    ioctl(fd, UVDEV_IOC_VQ_SET_KICKFD, &kfd) ||
	    pthread_create(&thread, NULL, message_loop, &fd)) {
		perror(path);
		exit(2);
	}
	net_up(name);
	/* The driver fills its receive ring: wait until two chains pop. */
	deadline = now_ms() + 30000;
	n = 0;
	while (n < 2) {
		struct pollfd pfd = { .fd = efd, .events = POLLIN };
		uint64_t v;
		int got;

		if (now_ms() > deadline || poll(&pfd, 1, 1000) < 0) {
			fprintf(stderr, "virtio_net made no receive buffers available\n");
			exit(2);
		}
		if (pfd.revents && read(efd, &v, sizeof(v)) != sizeof(v))
			exit(2);
		pop.max = 2 - (uint32_t)n;
		pop.elems = (uintptr_t)(two + n);
		got = ioctl(fd, UVDEV_IOC_VQ_POP, &pop);
		if (got < 0 && errno != ENODEV) {
			perror("pop");
			exit(2);
		}
		if (got > 0)
			n += got;
	}
	a = two[0].head;
	b = two[1].head;
	printf("popped receive chains %u and %u (%u in-bytes)\n", a, b, two[0].in_bytes);

/* A valid request for one entry and four chains, then @set, then the call. */
#define SERVE_REQ(set) \
	(req = (struct uvdev_vq_serve){ .queue = 0, .push_count = 1, \
		.used = (uintptr_t)used, .pop_max = 4, .elems = (uintptr_t)elems }, \
	 (set), ioctl(fd, UVDEV_IOC_VQ_SERVE, &req))

	/* Bad arguments: nothing pushed, nothing popped. */
	used[0] = (struct uvdev_vq_used){ .head = a, .len = 0 };
	CHECK_ERR(SERVE_REQ((req.queue = 2)), EINVAL);
	CHECK_ERR(SERVE_REQ((req.queue = 0xffffffff)), EINVAL);
	CHECK_ERR(SERVE_REQ((req.push_count = 0)), EINVAL);
	CHECK_ERR(SERVE_REQ((req.push_count = UVDEV_MAX_BATCH + 1)), EINVAL);
	CHECK_ERR(SERVE_REQ((req.pop_max = 0)), EINVAL);
	CHECK_ERR(SERVE_REQ((req.pop_max = UVDEV_MAX_BATCH + 1)), EINVAL);
	CHECK_ERR(SERVE_REQ((req.peek_len = UVDEV_MAX_PEEK + 1,
				 req.peek_buf = (uintptr_t)peek)), EINVAL);
	CHECK_ERR(SERVE_REQ((req.push_flags = 0x80)), EINVAL);
	CHECK_ERR(SERVE_REQ((req.reserved[0] = 1, req.reserved[1] = 0)), EINVAL);
	CHECK_ERR(SERVE_REQ((req.reserved[0] = 0, req.reserved[1] = 1)), EINVAL);
	CHECK_ERR(SERVE_REQ((req.pushed = 1)), EINVAL);
	CHECK_ERR(SERVE_REQ((req.used = (uintptr_t)unmapped)), EFAULT);
	CHECK_ERR(SERVE_REQ((req.used = 0xffff800000000000ULL)), EFAULT);
	CHECK_ERR(SERVE_REQ((req.elems = 0xffff800000000000ULL)), EFAULT);
	CHECK_ERR(SERVE_REQ((req.peek_len = 16, req.peek_buf = 0xffff800000000000ULL)), EFAULT);
	CHECK_ERR(ioctl(fd, UVDEV_IOC_VQ_SERVE, unmapped), EFAULT);
	/* The struct must be writable (for @pushed) before anything is pushed. */
	*ro = (struct uvdev_vq_serve){ .queue = 0, .push_count = 1, .used = (uintptr_t)used,
				       .pop_max = 4, .elems = (uintptr_t)elems };
	if (mprotect(ro, 4096, PROT_READ)) {
		perror("mprotect");
		exit(2);
	}
	CHECK_ERR(ioctl(fd, UVDEV_IOC_VQ_SERVE, ro), EFAULT);
	/* Refused first entries: @pushed 0, nothing popped. */
	used[0] = (struct uvdev_vq_used){ .head = a, .len = two[0].in_bytes + 1 };
	CHECK_ERR(SERVE_REQ((req.pushed = 0)), ERANGE);
	check_true("ERANGE: pushed 0", req.pushed == 0);
	used[0] = (struct uvdev_vq_used){ .head = 0xffff, .len = 0 };
	CHECK_ERR(SERVE_REQ((req.pushed = 0)), ENOENT);
	check_true("ENOENT: pushed 0", req.pushed == 0);
	check_true("bad arguments pushed and popped nothing: two chains in flight",
		   inflight_of(fd) == 2);

	/* A refused second entry: the first stays pushed, nothing is popped. */
	for (i = 0; i < 4; i++)
		elems[i] = (struct uvdev_vq_elem){ SERVE_SENTINEL, SERVE_SENTINEL,
						   SERVE_SENTINEL, SERVE_SENTINEL };
	used[0] = (struct uvdev_vq_used){ .head = a, .len = 0 };
	used[1] = (struct uvdev_vq_used){ .head = a, .len = 0 };	/* pushed just before */
	CHECK_ERR(SERVE_REQ((req.push_count = 2, req.push_flags = UVDEV_PUSH_F_IRQ)), ENOENT);
	check_true("pushed says the first entry went", req.pushed == 1);
	check_true("nothing was popped: the elems are untouched",
		   elems[0].head == SERVE_SENTINEL && elems[3].nsegs == SERVE_SENTINEL);
	check_true("one chain left in flight", inflight_of(fd) == 1);
	used[0] = (struct uvdev_vq_used){ .head = a, .len = 0 };
	CHECK_ERR(ioctl(fd, UVDEV_IOC_VQ_PUSH, &push), ENOENT);	/* used already */

	/* The pop half fails on bad elems: the push stands, nothing is lost. */
	used[0] = (struct uvdev_vq_used){ .head = b, .len = 0 };
	CHECK_ERR(SERVE_REQ((req.elems = (uintptr_t)unmapped)), EFAULT);
	check_true("the push half stands: pushed 1", req.pushed == 1);
	/* The chain it took is handed out again (VQ_INFO counts it in flight). */
	check_true("only the chain the failed pop took is left to hand out",
		   inflight_of(fd) == 1);

	/* Push and pop in one call, with peeked (empty) out-bytes. */
	pop.max = 1;
	pop.elems = (uintptr_t)two;
	check_true("pop the chain handed out again",
		   ioctl(fd, UVDEV_IOC_VQ_POP, &pop) == 1 && inflight_of(fd) == 1);
	used[0] = (struct uvdev_vq_used){ .head = two[0].head, .len = 0 };
	memset(peek, 0xff, sizeof(peek));
	n = SERVE_REQ((req.push_flags = UVDEV_PUSH_F_IRQ, req.peek_len = 16,
			 req.peek_buf = (uintptr_t)peek));
	check_true("SERVE pushes one and pops up to four", n >= 1 && n <= 4 && req.pushed == 1);
	check_true("a receive chain peeks as zeroes", n >= 1 && peek[0] == 0 && peek[15] == 0);
	check_true("what it popped is in flight", n >= 1 && inflight_of(fd) == (uint32_t)n);
	printf("SERVE popped %d chain(s), first head %u\n", n, elems[0].head);
#undef SERVE_REQ

	destroy_quiet(name);
	pthread_join(thread, NULL);
	close(fd);
	close(efd);
	munmap(unmapped, 4096);
	munmap(ro, 4096);
}

static int check_lost_irq_destroy(const char *base)
{
	const unsigned int timeout_ms = 1000, bound_ms = timeout_ms + 1000 + 5000;
	struct virtio_blk_config cfg = { .capacity = 64 };
	struct uvdev_vq_elem elem;
	struct uvdev_vq_pop pop = { .queue = 0, .max = 1, .elems = (uintptr_t)&elem };
	struct uvdev_vq_kickfd kfd = { .queue = 0 };
	struct uvdev_vq_xfer_op op;
	struct uvdev_vq_xfer xfer = { .count = 1, .ops = (uintptr_t)&op };
	struct uvdev_vq_used used;
	struct uvdev_vq_push push = { .queue = 0, .count = 1, .used = (uintptr_t)&used };
	struct uvdev_queue_state st;
	struct uvdev_create c;
	struct uvdev_destroy d;
	char path[64], name[UVDEV_NAME_MAX];
	uint8_t status = VIRTIO_BLK_S_OK;
	uint64_t start, ms;
	pthread_t thread;
	int fd, efd, n;

	snprintf(name, sizeof(name), "%.20s-lostirq", base);
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.device_id = VIRTIO_ID_BLOCK;
	c.features = 1ULL << VIRTIO_F_VERSION_1;
	c.num_queues = 1;
	c.max_queue_size = 64;
	c.msg_timeout_ms = timeout_ms;
	c.config = (uintptr_t)&cfg;
	c.config_size = sizeof(cfg);
	if (ioctl(control_fd, UVDEV_IOC_CREATE, &c)) {
		perror("create the virtio_blk device");
		return 2;
	}
	snprintf(path, sizeof(path), UVDEV_DEV_DIR "/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	efd = eventfd(0, EFD_CLOEXEC);
	kfd.fd = efd;
	if (fd < 0 || efd < 0 || ioctl(fd, UVDEV_IOC_VQ_SET_KICKFD, &kfd) ||
	    pthread_create(&thread, NULL, message_loop, &fd)) {
		perror(path);
		return 2;
	}
	for (;;) {
		struct pollfd pfd = { .fd = efd, .events = POLLIN };
		uint64_t v;

		if (poll(&pfd, 1, 30000) != 1) {
			fprintf(stderr, "no request from virtio_blk within 30 s\n");
			return 2;
		}
		if (read(efd, &v, sizeof(v)) != sizeof(v))
			return 2;
		n = ioctl(fd, UVDEV_IOC_VQ_POP, &pop);
		if (n == 1)
			break;
		if (n < 0 && errno != ENODEV) {
			perror("pop");
			return 2;
		}
	}
	printf("popped the probe's first request: head %u out %u in %u\n", elem.head,
	       elem.out_bytes, elem.in_bytes);
	op = (struct uvdev_vq_xfer_op){ .queue = 0, .head = elem.head, .dir = UVDEV_XFER_WRITE,
					.offset = elem.in_bytes - 1, .len = 1, .addr = (uintptr_t)&status };
	used = (struct uvdev_vq_used){ .head = elem.head, .len = elem.in_bytes };
	check_true("complete it without the interrupt",
		   elem.in_bytes > 0 && ioctl(fd, UVDEV_IOC_VQ_XFER, &xfer) == 1 &&
		   ioctl(fd, UVDEV_IOC_VQ_PUSH, &push) == 1);
	memset(&st, 0, sizeof(st));
	st.dev_id = c.dev_id;
	check_true("QUEUE_STATE shows the interrupt owed",
		   ioctl(control_fd, UVDEV_IOC_QUEUE_STATE, &st) == 0 && st.irq_since_ns != 0 &&
		   st.inflight == 0);

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	printf("destroy %s: if it hangs, breaking the device did not deliver the interrupt\n", name);
	fflush(stdout);
	start = now_ms();
	check_true("destroy with the interrupt owed", ioctl(control_fd, UVDEV_IOC_DESTROY, &d) == 0);
	ms = now_ms() - start;
	printf("destroy took %llu ms (bound %u)\n", (unsigned long long)ms, bound_ms);
	check_true("destroy within the message timeout, a second and 5 s", ms <= bound_ms);
	pthread_join(thread, NULL);
	close(fd);
	close(efd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "uapi-errors";
	char path[64];
	struct uvdev_vq_elem elem;
	struct uvdev_vq_pop pop = { .queue = 0, .max = 1, .elems = (uintptr_t)&elem };
	struct uvdev_vq_kickfd kfd = { .queue = 0 };
	struct uvdev_destroy d;
	pthread_t thread;
	int efd, second, n;

	control_fd = open(UVDEV_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (control_fd < 0) {
		perror(UVDEV_CONTROL_PATH);
		return 2;
	}
	if (create(name, VIRTIO_ID_RNG, 1ULL << VIRTIO_F_VERSION_1, 1, 64,
		   initial_config, sizeof(initial_config))) {
		perror("create");
		return 2;
	}
	check_create_errors(name);

	snprintf(path, sizeof(path), UVDEV_DEV_DIR "/%s", name);
	dev_fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev_fd < 0) {
		perror(path);
		return 2;
	}
	second = open(path, O_RDWR | O_CLOEXEC);
	check_true("a second backend gets EBUSY", second < 0 && errno == EBUSY);
	{
		struct uvdev_dev_info info;

		check_true("DEV_INFO", ioctl(dev_fd, UVDEV_IOC_DEV_INFO, &info) == 0);
		check_notif_control_errors(info.dev_id);
		check_notify_errors(dev_fd);
	}
	{
		char small[8];

		CHECK_ERR(read(dev_fd, small, sizeof(small)), EINVAL);
	}
	{
		struct uvdev_msg_reply bogus = { .id = 123456, .type = 1 };

		CHECK_ERR(write(dev_fd, &bogus, sizeof(bogus)), ENOENT);
		bogus.result = 5;
		CHECK_ERR(write(dev_fd, &bogus, sizeof(bogus)), EINVAL);
		CHECK_ERR(write(dev_fd, &bogus, 3), EINVAL);
	}
	check_config();
	/* Ring ioctls before the driver set the queue up. */
	CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_VQ_POP, &pop), ENODEV);

	if (pthread_create(&thread, NULL, message_loop, &dev_fd)) {
		fprintf(stderr, "pthread_create failed\n");
		return 2;
	}
	efd = eventfd(0, EFD_CLOEXEC);
	kfd.fd = efd;
	if (efd < 0 || ioctl(dev_fd, UVDEV_IOC_VQ_SET_KICKFD, &kfd)) {
		perror("kick eventfd");
		return 2;
	}
	/* Wait for the driver's first request: the kick wakes us. */
	for (;;) {
		struct pollfd pfd = { .fd = efd, .events = POLLIN };
		uint64_t v;

		if (poll(&pfd, 1, 30000) != 1) {
			fprintf(stderr, "no request from virtio_rng within 30 s\n");
			return 2;
		}
		if (read(efd, &v, sizeof(v)) != sizeof(v))
			return 2;
		n = ioctl(dev_fd, UVDEV_IOC_VQ_POP, &pop);
		if (n == 1)
			break;
		if (n < 0 && errno != ENODEV) {
			perror("pop");
			return 2;
		}
	}
	printf("popped head %u: out %u in %u segs %u\n", elem.head, elem.out_bytes,
	       elem.in_bytes, elem.nsegs);
	check_true("an rng request has only in-bytes", elem.out_bytes == 0 && elem.in_bytes > 0);
	check_vq_errors(elem.head, elem.in_bytes);

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	check_true("destroy", ioctl(control_fd, UVDEV_IOC_DESTROY, &d) == 0);
	CHECK_ERR(ioctl(control_fd, UVDEV_IOC_DESTROY, &d), ENOENT);
	pthread_join(thread, NULL);
	{
		struct uvdev_dev_info info;

		CHECK_ERR(ioctl(dev_fd, UVDEV_IOC_DEV_INFO, &info), ESHUTDOWN);
	}
	close(dev_fd);
	close(efd);
	check_slots(name);
	check_serve(name);
	if (check_lost_irq_destroy(name))
		return 2;
	close(control_fd);
	printf("%s\n", failures ? "uapi-errors: FAILED" : "uapi-errors: all checks passed");
	return failures ? 1 : 0;
}
