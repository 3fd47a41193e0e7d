// SPDX-License-Identifier: GPL-2.0
/*
 * fault-backend: a file-backed virtio-blk backend that misbehaves on
 * purpose, at a chosen moment, for the fault matrix and durability VM cases.
 *
 * It is one thread polling the device fd (control messages), the queue's
 * kick eventfd and a signalfd, so the moment of a fault is exact: nothing
 * else runs while it misbehaves. Run it with --help for the modes, the
 * moments, the lines it prints and its exit status.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/userfaultfd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "backend.h"

#define PROG			"fault-backend"
#define SECTOR			512u
#define HDR_SIZE		16u	/* struct virtio_blk_outhdr */
#define BATCH			32u
#define CHUNK			(1u << 20)	/* data moved per XFER */
#define DEFAULT_SIZE		(64ull << 20)
#define DEFAULT_QUEUE_SIZE	128u

/* Exit statuses beyond the common ones of backend.h. */
enum {
	EXIT_BROKEN = 3,	/* the device broke under this backend */
	EXIT_FAULT = 4,		/* mode exit: ended itself on purpose */
};

enum mode {
	MODE_NONE,
	MODE_FLUSH_NOOP,
	MODE_STOP,
	MODE_EXIT,
	MODE_CLOSE,
	MODE_NO_POP,
	MODE_NO_PUSH,
	MODE_GARBAGE,
	MODE_UFFD,
};

static const char *const mode_names[] = {
	[MODE_NONE] = "none",
	[MODE_FLUSH_NOOP] = "flush-noop",
	[MODE_STOP] = "stop",
	[MODE_EXIT] = "exit",
	[MODE_CLOSE] = "close",
	[MODE_NO_POP] = "no-pop",
	[MODE_NO_PUSH] = "no-push",
	[MODE_GARBAGE] = "garbage",
	[MODE_UFFD] = "uffd",
};

enum moment {
	AT_NONE,
	AT_PROBE,	/* the first ring request: virtio_blk's partition scan */
	AT_SIGUSR1,
	AT_RESET,	/* a RESET message: unbind, destroy */
	AT_VQ_READY,	/* a VQ_READY message: probe, before DRIVER_OK */
};

static const char *const moment_names[] = {
	[AT_NONE] = "none",
	[AT_PROBE] = "probe",
	[AT_SIGUSR1] = "sigusr1",
	[AT_RESET] = "reset",
	[AT_VQ_READY] = "vq-ready",
};

enum fault_state {
	FAULT_WAITING,	/* the moment has not come */
	FAULT_ARMED,	/* it came; waiting for chains to hold */
	FAULT_ACTIVE,	/* misbehaving */
	FAULT_OVER,	/* stopped and continued: serving again */
};

/* The loop goes on; any other value is the exit status. */
#define GO_ON	(-1)

struct fault {
	struct backend b;
	enum mode mode;
	enum moment at;
	enum fault_state state;
	const char *path;
	int disk_fd;
	uint64_t size;			/* bytes */
	uint32_t queue_size;
	int kick_fd;
	uint8_t *buf;			/* CHUNK bytes */
	char serial[VIRTIO_BLK_ID_BYTES];

	bool driver_ok;			/* the driver set DRIVER_OK since the last reset */
	uint32_t held;			/* chains popped and never to be pushed */
	uint32_t *held_len;		/* in-bytes of each held head, [queue_size] */
	bool *is_held;			/* [queue_size] */

	int uffd;
	uint8_t *uffd_page;

	uint64_t served, flushes, fdatasyncs;
	uint32_t garbage_sent, garbage_refused;
};

static void usage(FILE *out)
{
	fprintf(out,
		"NAME\n"
		"    fault-backend - a virtio-blk backend that misbehaves on purpose\n"
		"\n"
		"SYNOPSIS\n"
		"    fault-backend [--mode MODE [--at MOMENT]] [--size BYTES] [--timeout-ms MS]\n"
		"                  [--queue-size N] NAME FILE\n"
		"    fault-backend --help\n"
		"\n"
		"DESCRIPTION\n"
		"    Creates the uvdev device NAME (virtio-blk, one queue) and serves it from\n"
		"    FILE (created or extended to --size) with one thread: reads, writes,\n"
		"    flushes (fdatasync of FILE), get id. At MOMENT it turns to MODE and\n"
		"    prints why the fault is real, with the kernel's view of the queue:\n"
		"        fault-backend: NAME: fault: MODE at MOMENT: FACTS\n"
		"    It never destroys the device: that is the test's job.\n"
		"\n"
		"MODES\n"
		"    none        serve well (default).\n"
		"    flush-noop  serve well but complete flushes without fdatasync: a\n"
		"                backend that loses acknowledged data on a host crash.\n"
		"    stop        raise SIGSTOP on itself (continued, it serves again).\n"
		"    exit        pop every available chain, then _exit without closing\n"
		"                anything first (the kernel closes the fd).\n"
		"    close       pop every available chain, close the device fd without\n"
		"                destroying the device, and idle until SIGTERM.\n"
		"    no-pop      answer control messages, never pop a chain again.\n"
		"    no-push     answer control messages, pop every chain, push none.\n"
		"    garbage     answer every control message only with malformed replies\n"
		"                (wrong id, wrong type, positive result, reserved bits,\n"
		"                short write) and every chain only with malformed pushes\n"
		"                (head out of range, head not popped, length past the\n"
		"                chain); counts how many the kernel refused.\n"
		"    uffd        pop every available chain, then XFER the first one into\n"
		"                a page registered with userfaultfd that is never served:\n"
		"                the backend blocks in the kernel for good (SIGKILL ends it).\n"
		"    exit, close, uffd and no-push wait at sigusr1 until they hold a chain.\n"
		"\n"
		"MOMENTS (--at)\n"
		"    probe       the first kick with a chain pending (as the kernel counts):\n"
		"                virtio_blk's partition scan, while it probes.\n"
		"    sigusr1     on SIGUSR1, e.g. under load.\n"
		"    reset       when a RESET message is read once the driver was live\n"
		"                (DRIVER_OK): unbind, destroy (virtio_blk resets after\n"
		"                draining); it stays unanswered.\n"
		"    vq-ready    when a VQ_READY message is read (probe); it stays\n"
		"                unanswered.\n"
		"    stop, exit, close and garbage take any moment; no-pop, no-push and uffd\n"
		"    only probe and sigusr1 (the rings are empty at a message moment).\n"
		"\n"
		"OPTIONS\n"
		"    --mode MODE       the fault (default none).\n"
		"    --at MOMENT       when; required with a fault mode.\n"
		"    --size BYTES      disk size, a multiple of 512; K, M and G multiply by\n"
		"                      powers of 1024 (default 64M).\n"
		"    --timeout-ms MS   the device's msg_timeout_ms (0: the module's).\n"
		"    --queue-size N    largest ring, a power of two in 2..%u (default %u).\n"
		"    -h, --help        this help.\n"
		"\n"
		"    The device offers VIRTIO_BLK_F_FLUSH and VIRTIO_BLK_F_CONFIG_WCE: writing\n"
		"    /sys/block/vdX/cache_type sends a SET_CONFIG message, a way to send\n"
		"    one while the disk is in use. SIGTERM or SIGINT: exit, device kept.\n"
		"    On exit it prints: served N requests, F flushes, S fdatasyncs, H held.\n"
		"\n"
		"EXIT STATUS\n"
		"    0   the device was destroyed under it, or SIGTERM/SIGINT\n"
		"    1   runtime error (the message says which)\n"
		"    2   usage error\n"
		"    3   the device broke while this backend held it (read() gave EIO)\n"
		"    4   mode exit ended it on purpose\n",
		UVDEV_MAX_QUEUE_SIZE, DEFAULT_QUEUE_SIZE);
}

static int lookup(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	}
	return -1;
}

static bool mode_takes_messages(enum mode m)
{
	return m == MODE_STOP || m == MODE_EXIT || m == MODE_CLOSE || m == MODE_GARBAGE;
}

/* ---- the kernel's view, for the premise lines ------------------------------ */

/*
 * Queue 0 as the kernel sees it. The control node is opened for each look
 * only: a backend that let go of its device must not hold the module.
 */
static int queue_state(const struct fault *f, struct uvdev_queue_state *st)
{
	int fd = uvdev_control_open();
	int ret;

	if (fd < 0)
		return fd;
	ret = uvdev_queue_state(fd, f->b.info.dev_id, 0, st);
	close(fd);
	return ret;
}

/* Chains the driver made available and nobody popped yet, or -errno. */
static int kernel_pending(const struct fault *f)
{
	struct uvdev_queue_state st;
	int ret = queue_state(f, &st);

	return ret ? ret : (int)st.pending;
}

static void kernel_view(const struct fault *f, char *out, size_t len)
{
	struct uvdev_queue_state st;
	int ret = queue_state(f, &st);

	if (ret) {
		snprintf(out, len, "kernel view unavailable: %s", strerror(-ret));
		return;
	}
	snprintf(out, len, "kernel: %u pending, %u in flight%s", st.pending, st.inflight,
		 (st.flags & UVDEV_QUEUE_READY) ? "" : ", queue not ready");
}

static void premise(const struct fault *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void premise(const struct fault *f, const char *fmt, ...)
{
	char facts[256], view[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(facts, sizeof(facts), fmt, ap);
	va_end(ap);
	kernel_view(f, view, sizeof(view));
	fprintf(stderr, PROG ": %s: fault: %s at %s: %s (%s)\n", f->b.name,
		mode_names[f->mode], moment_names[f->at], facts, view);
}

/* ---- ring access ------------------------------------------------------------- */

/* Errors that end the whole backend, not one request. */
static bool device_gone(int err)
{
	return err == -EIO || err == -ESHUTDOWN || err == -ENODEV;
}

/*
 * Move @len bytes between chain @head and @buf. Returns 0, 1 if the kernel
 * refused this op alone, or a negative errno that stops the backend.
 */
static int xfer(struct fault *f, uint32_t head, uint32_t dir, uint32_t offset,
		void *buf, uint32_t len)
{
	struct uvdev_vq_xfer_op op = {
		.head = head,
		.dir = dir,
		.offset = offset,
		.len = len,
		.addr = (uintptr_t)buf,
	};
	int ret = uvdev_vq_xfer(f->b.dev_fd, &op, 1);

	if (ret == 1)
		return 0;
	if (ret < 0 && device_gone(ret))
		return ret;
	return 1;
}

/* pread @len bytes at @off, zeroes past the end of the file. */
static int read_file(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			memset(buf, 0, len);
			return 0;
		}
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int write_file(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Read or write the data of one request, a chunk at a time. */
static int move_data(struct fault *f, uint32_t head, bool write, uint64_t off,
		     uint32_t len, uint8_t *status)
{
	uint32_t done = 0;
	int ret;

	while (done < len) {
		uint32_t n = len - done < CHUNK ? len - done : CHUNK;

		if (write) {
			ret = xfer(f, head, UVDEV_XFER_READ, HDR_SIZE + done, f->buf, n);
			if (ret)
				goto fail;
			if (write_file(f->disk_fd, f->buf, n, off + done))
				goto io_error;
		} else {
			if (read_file(f->disk_fd, f->buf, n, off + done))
				goto io_error;
			ret = xfer(f, head, UVDEV_XFER_WRITE, done, f->buf, n);
			if (ret)
				goto fail;
		}
		done += n;
	}
	return 0;

fail:
	if (ret < 0)
		return ret;
io_error:
	*status = VIRTIO_BLK_S_IOERR;
	return 0;
}

/* Serve one chain; returns 0 or a negative errno that stops the backend. */
static int serve_chain(struct fault *f, const struct uvdev_vq_elem *e,
		       const struct virtio_blk_outhdr *hdr)
{
	uint32_t type = le32toh(hdr->type);
	uint64_t off = le64toh(hdr->sector) * SECTOR;
	uint8_t status = VIRTIO_BLK_S_OK;
	uint32_t len;
	int ret = 0;

	if (e->in_bytes < 1)
		return 0;	/* no status byte: nothing can be answered */
	if (e->out_bytes < HDR_SIZE) {
		status = VIRTIO_BLK_S_IOERR;
		goto answer;
	}
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		len = type == VIRTIO_BLK_T_IN ? e->in_bytes - 1 : e->out_bytes - HDR_SIZE;
		if (len % SECTOR || off > f->size || len > f->size - off) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		ret = move_data(f, e->head, type == VIRTIO_BLK_T_OUT, off, len, &status);
		break;
	case VIRTIO_BLK_T_FLUSH:
		f->flushes++;
		if (f->mode == MODE_FLUSH_NOOP)
			break;
		f->fdatasyncs++;
		if (fdatasync(f->disk_fd))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		len = e->in_bytes - 1 < VIRTIO_BLK_ID_BYTES ? e->in_bytes - 1 : VIRTIO_BLK_ID_BYTES;
		ret = xfer(f, e->head, UVDEV_XFER_WRITE, 0, f->serial, len);
		if (ret > 0)
			status = VIRTIO_BLK_S_IOERR;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (ret < 0)
		return ret;
answer:
	ret = xfer(f, e->head, UVDEV_XFER_WRITE, e->in_bytes - 1, &status, 1);
	return ret < 0 ? ret : 0;
}

/* Serve one batch; returns the chains served, 0 if none, or -errno. */
static int serve_batch(struct fault *f)
{
	struct uvdev_vq_elem elems[BATCH];
	struct virtio_blk_outhdr hdrs[BATCH];
	struct uvdev_vq_used used[BATCH];
	int n, i, ret;

	n = uvdev_vq_pop(f->b.dev_fd, 0, elems, BATCH, hdrs, sizeof(hdrs[0]));
	if (n <= 0)
		return n;
	for (i = 0; i < n; i++) {
		ret = serve_chain(f, &elems[i], &hdrs[i]);
		if (ret)
			return ret;
		used[i].head = elems[i].head;
		used[i].len = elems[i].in_bytes;
	}
	ret = uvdev_vq_push_all(f->b.dev_fd, 0, used, (size_t)n, UVDEV_PUSH_F_IRQ);
	if (ret < 0)
		return ret;
	if (ret > 0)
		backend_error(&f->b, "the kernel refused %d of my completions", ret);
	f->served += (uint64_t)n;
	return n;
}

/* Pop every available chain and keep it; returns how many, or -errno. */
static int hold_all(struct fault *f)
{
	struct uvdev_vq_elem elems[BATCH];
	int n, i, total = 0;

	for (;;) {
		n = uvdev_vq_pop(f->b.dev_fd, 0, elems, BATCH, NULL, 0);
		if (n == -ENODEV)
			return total;	/* not set up (yet), or reset */
		if (n <= 0)
			return n < 0 ? n : total;
		for (i = 0; i < n; i++) {
			uint32_t head = elems[i].head;

			if (head < f->queue_size && !f->is_held[head]) {
				f->is_held[head] = true;
				f->held_len[head] = elems[i].in_bytes;
				f->held++;
			}
		}
		total += n;
	}
}

static uint32_t first_held(const struct fault *f)
{
	uint32_t h;

	for (h = 0; h < f->queue_size; h++) {
		if (f->is_held[h])
			return h;
	}
	return 0;
}

/* One malformed push; counts whether the kernel refused it as it must. */
static int garbage_push(struct fault *f, uint32_t head, uint32_t len, int expect)
{
	struct uvdev_vq_used used = { .head = head, .len = len };
	int ret = uvdev_vq_push(f->b.dev_fd, 0, &used, 1, UVDEV_PUSH_F_IRQ);

	f->garbage_sent++;
	if (ret == expect) {
		f->garbage_refused++;
		return 0;
	}
	if (ret < 0 && device_gone(ret))
		return ret;
	backend_error(&f->b, "a malformed push (head %u, len %u) got %d, not %d",
		      head, len, ret, expect);
	return 0;
}

/* Hold what is available and answer each new chain with malformed pushes. */
static int garbage_chains(struct fault *f)
{
	uint32_t head, not_held = 0;
	bool *seen;
	int ret = 0;

	seen = calloc(f->queue_size, sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	memcpy(seen, f->is_held, f->queue_size * sizeof(*seen));
	ret = hold_all(f);
	if (ret < 0)
		goto cleanup;
	ret = 0;
	while (not_held < f->queue_size && f->is_held[not_held])
		not_held++;
	for (head = 0; head < f->queue_size && !ret; head++) {
		if (!f->is_held[head] || seen[head])
			continue;
		ret = garbage_push(f, f->queue_size + head, 0, -ENOENT);
		if (!ret)
			ret = garbage_push(f, head, f->held_len[head] + 1, -ERANGE);
		if (!ret && not_held < f->queue_size)
			ret = garbage_push(f, not_held, 0, -ENOENT);
	}
cleanup:
	free(seen);
	return ret;
}

/* ---- control messages ---------------------------------------------------------- */

static int raw_reply(struct fault *f, const struct uvdev_msg_reply *r, size_t len,
		     int expect)
{
	ssize_t n = write(f->b.dev_fd, r, len);
	int ret = n < 0 ? -errno : (int)n;

	f->garbage_sent++;
	if (ret == expect) {
		f->garbage_refused++;
		return 0;
	}
	if (ret == -EIO)
		return ret;
	backend_error(&f->b, "a malformed reply to message %u got %d, not %d", r->id, ret,
		      expect);
	return 0;
}

/* Answer @msg only with replies the kernel must refuse. */
static int garbage_reply(struct fault *f, const struct uvdev_msg *msg)
{
	const struct uvdev_msg_reply good = { .id = msg->id, .type = msg->type };
	struct uvdev_msg_reply r;
	int ret;

	r = good;
	r.id += 1000;
	ret = raw_reply(f, &r, sizeof(r), -ENOENT);
	r = good;
	r.type ^= 0x40;
	if (!ret)
		ret = raw_reply(f, &r, sizeof(r), -EINVAL);
	r = good;
	r.result = 1;
	if (!ret)
		ret = raw_reply(f, &r, sizeof(r), -EINVAL);
	r = good;
	r.reserved = 0xdead;
	if (!ret)
		ret = raw_reply(f, &r, sizeof(r), -EINVAL);
	if (!ret)
		ret = raw_reply(f, &good, sizeof(good) - 1, -EINVAL);
	return ret;
}

/* The exit status for an error from the device, or GO_ON. */
static int device_status(struct fault *f, int err)
{
	switch (-err) {
	case 0:
	case ENODEV:	/* the queue was reset under a batch */
	case ENOENT:	/* a reply to a message whose sender gave up */
		return GO_ON;
	case EIO:
		backend_error(&f->b, "the device is broken");
		return EXIT_BROKEN;
	case ESHUTDOWN:
		/* Ioctls only say destroyed; read() says broken first. */
		if (f->b.dev_fd >= 0 && read(f->b.dev_fd, &(struct uvdev_msg){ 0 },
					     sizeof(struct uvdev_msg)) < 0 && errno == EIO)
			return device_status(f, -EIO);
		backend_error(&f->b, "the device was destroyed");
		return BACKEND_EXIT_OK;
	default:
		backend_error(&f->b, "the device failed: %s", strerror(-err));
		return BACKEND_EXIT_ERROR;
	}
}

/* ---- the fault ----------------------------------------------------------------- */

static int block_in_uffd(struct fault *f)
{
	uint32_t head = first_held(f);
	int ret;

	premise(f, "%u chains popped and not pushed; XFER of chain %u into an unserved userfaultfd page",
		f->held, head);
	ret = xfer(f, head, UVDEV_XFER_READ, 0, f->uffd_page, HDR_SIZE);
	backend_error(&f->b, "the XFER into the userfaultfd page returned %d", ret);
	return ret < 0 ? device_status(f, ret) : BACKEND_EXIT_ERROR;
}

static int close_device(struct fault *f)
{
	close(f->b.dev_fd);
	f->b.dev_fd = -1;
	close(f->kick_fd);
	f->kick_fd = -1;
	return GO_ON;
}

/*
 * Act on a chain-holding fault once chains are held: exit, close, uffd; for
 * no-push, just say so. @msg is the message read at the moment, if any.
 */
static int act_holding(struct fault *f, const struct uvdev_msg *msg)
{
	char what[96] = "";

	if (msg)
		snprintf(what, sizeof(what), "; message %u (%s) read and not answered", msg->id,
			 uvdev_msg_name(msg->type));
	f->state = FAULT_ACTIVE;
	switch (f->mode) {
	case MODE_EXIT:
		premise(f, "%u chains popped and not pushed%s; exiting", f->held, what);
		_exit(EXIT_FAULT);
	case MODE_CLOSE:
		premise(f, "%u chains popped and not pushed%s; closing the device fd", f->held,
			what);
		return close_device(f);
	case MODE_UFFD:
		return block_in_uffd(f);
	default:
		premise(f, "%u chains popped and not pushed", f->held);
		return GO_ON;
	}
}

/* The moment has come. @msg: the message read at a message moment. */
static int trigger(struct fault *f, const struct uvdev_msg *msg)
{
	int ret;

	f->state = FAULT_ACTIVE;
	switch (f->mode) {
	case MODE_STOP:
		if (msg)
			premise(f, "message %u (%s) read and not answered; stopping", msg->id,
				uvdev_msg_name(msg->type));
		else
			premise(f, "stopping");
		raise(SIGSTOP);
		fprintf(stderr, PROG ": %s: continued; serving again\n", f->b.name);
		f->state = FAULT_OVER;
		return GO_ON;
	case MODE_NO_POP:
		premise(f, "popping no more");
		return GO_ON;
	case MODE_GARBAGE:
		if (msg) {
			ret = garbage_reply(f, msg);
			premise(f, "message %u (%s) answered only with %u malformed replies, %u refused",
				msg->id, uvdev_msg_name(msg->type), f->garbage_sent, f->garbage_refused);
			return device_status(f, ret);
		}
		ret = garbage_chains(f);
		premise(f, "%u chains popped and not pushed; %u malformed pushes, %u refused",
			f->held, f->garbage_sent, f->garbage_refused);
		return device_status(f, ret);
	case MODE_EXIT:
	case MODE_CLOSE:
	case MODE_UFFD:
	case MODE_NO_PUSH:
		ret = hold_all(f);
		if (ret < 0)
			return device_status(f, ret);
		/* Under load the ring may be empty right now: wait for a chain. */
		if (!f->held && !msg && f->at == AT_SIGUSR1) {
			f->state = FAULT_ARMED;
			return GO_ON;
		}
		return act_holding(f, msg);
	default:
		return GO_ON;
	}
}

/* ---- events -------------------------------------------------------------------- */

static int serve_ring(struct fault *f)
{
	int ret;

	/* A pass with nothing in the ring (after VQ_READY) is not the moment. */
	if (f->state == FAULT_WAITING && f->at == AT_PROBE && kernel_pending(f) > 0)
		return trigger(f, NULL);
	if (f->state == FAULT_ARMED) {
		ret = hold_all(f);
		if (ret < 0)
			return device_status(f, ret);
		return f->held ? act_holding(f, NULL) : GO_ON;
	}
	if (f->state == FAULT_ACTIVE) {
		switch (f->mode) {
		case MODE_NO_PUSH:
			ret = hold_all(f);
			return ret < 0 ? device_status(f, ret) : GO_ON;
		case MODE_GARBAGE:
			return device_status(f, garbage_chains(f));
		default:
			return GO_ON;	/* no-pop */
		}
	}
	do {
		ret = serve_batch(f);
	} while (ret > 0);
	return device_status(f, ret);
}

static int on_kick(struct fault *f)
{
	eventfd_t kicks;

	eventfd_read(f->kick_fd, &kicks);
	return serve_ring(f);
}

/* The RESET of a removal, not the one every probe begins with. */
static bool is_moment(const struct fault *f, const struct uvdev_msg *msg)
{
	return f->state == FAULT_WAITING &&
	       ((f->at == AT_RESET && msg->type == UVDEV_MSG_RESET && f->driver_ok) ||
		(f->at == AT_VQ_READY && msg->type == UVDEV_MSG_VQ_READY));
}

static int on_message(struct fault *f, const struct uvdev_msg *msg)
{
	int ret;

	if (msg->type == UVDEV_MSG_SET_STATUS)
		f->driver_ok = msg->status.status & VIRTIO_CONFIG_S_DRIVER_OK;
	if (is_moment(f, msg)) {
		ret = trigger(f, msg);
		if (ret != GO_ON || f->b.dev_fd < 0 || f->state != FAULT_OVER)
			return ret;
		/* Stopped and continued: answer it now. */
	} else if (f->state == FAULT_ACTIVE && f->mode == MODE_GARBAGE) {
		return device_status(f, garbage_reply(f, msg));
	}
	ret = uvdev_reply_msg(f->b.dev_fd, msg, 0);
	if (ret)
		return device_status(f, ret);
	/* A queue set up again (or for the first time) may hold chains. */
	if (msg->type == UVDEV_MSG_VQ_READY)
		return serve_ring(f);
	if (msg->type == UVDEV_MSG_RESET) {
		f->driver_ok = false;
		/* The kernel forgets the chains with the reset. */
		memset(f->is_held, 0, f->queue_size * sizeof(*f->is_held));
		f->held = 0;
	}
	return GO_ON;
}

static int on_messages(struct fault *f)
{
	struct uvdev_msg msg;
	int ret;

	while (f->b.dev_fd >= 0) {
		ret = uvdev_read_msg(f->b.dev_fd, &msg);
		if (ret == -EAGAIN)
			return GO_ON;
		if (ret)
			return device_status(f, ret);
		ret = on_message(f, &msg);
		if (ret != GO_ON)
			return ret;
	}
	return GO_ON;
}

static int on_signal(struct fault *f)
{
	struct signalfd_siginfo si;

	if (read(f->b.signal_fd, &si, sizeof(si)) != sizeof(si))
		return GO_ON;
	if (si.ssi_signo != SIGUSR1) {
		fprintf(stderr, PROG ": %s: %s: exiting, the device stays\n", f->b.name,
			strsignal((int)si.ssi_signo));
		return BACKEND_EXIT_OK;
	}
	if (f->at == AT_SIGUSR1 && f->state == FAULT_WAITING)
		return trigger(f, NULL);
	return GO_ON;
}

static int run(struct fault *f)
{
	int ret = GO_ON;

	while (ret == GO_ON) {
		struct pollfd fds[3] = {
			{ .fd = f->b.signal_fd, .events = POLLIN },
			{ .fd = f->b.dev_fd, .events = POLLIN },
			{ .fd = f->kick_fd, .events = POLLIN },
		};

		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			backend_error(&f->b, "poll failed: %s", strerror(errno));
			return BACKEND_EXIT_ERROR;
		}
		if (fds[0].revents)
			ret = on_signal(f);
		if (ret == GO_ON && fds[1].revents)
			ret = on_messages(f);
		if (ret == GO_ON && fds[2].revents && f->kick_fd >= 0)
			ret = on_kick(f);
	}
	return ret;
}

/* ---- setup --------------------------------------------------------------------- */

static int setup_signals(struct fault *f)
{
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	ret = sigprocmask(SIG_BLOCK, &set, NULL);
	if (ret) {
		backend_error(&f->b, "blocking signals failed: %s", strerror(errno));
		return -1;
	}
	f->b.signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (f->b.signal_fd < 0) {
		backend_error(&f->b, "signalfd failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int setup_uffd(struct fault *f)
{
	long page = sysconf(_SC_PAGESIZE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	void *p;

	f->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (f->uffd < 0) {
		backend_error(&f->b, "userfaultfd failed: %s (mode uffd needs CAP_SYS_PTRACE or vm.unprivileged_userfaultfd=1)",
			      strerror(errno));
		return -1;
	}
	if (ioctl(f->uffd, UFFDIO_API, &api)) {
		backend_error(&f->b, "UFFDIO_API failed: %s", strerror(errno));
		return -1;
	}
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		backend_error(&f->b, "mmap failed: %s", strerror(errno));
		return -1;
	}
	f->uffd_page = p;
	reg.range.start = (uintptr_t)p;
	reg.range.len = (uint64_t)page;
	if (ioctl(f->uffd, UFFDIO_REGISTER, &reg)) {
		backend_error(&f->b, "UFFDIO_REGISTER failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int open_disk(struct fault *f)
{
	struct stat st;

	f->disk_fd = open(f->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f->disk_fd < 0) {
		backend_error(&f->b, "cannot open %s: %s", f->path, strerror(errno));
		return -1;
	}
	if (fstat(f->disk_fd, &st)) {
		backend_error(&f->b, "cannot stat %s: %s", f->path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		backend_error(&f->b, "%s is not a regular file", f->path);
		return -1;
	}
	if ((uint64_t)st.st_size < f->size && ftruncate(f->disk_fd, (off_t)f->size)) {
		backend_error(&f->b, "extending %s to %" PRIu64 " bytes failed: %s", f->path,
			      f->size, strerror(errno));
		return -1;
	}
	return 0;
}

static int open_device(struct fault *f, uint32_t timeout_ms)
{
	struct virtio_blk_config config;
	struct uvdev_params params = {
		.name = f->b.name,
		.device_id = VIRTIO_ID_BLOCK,
		.features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_INDIRECT_DESC |
			    1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_CONFIG_WCE |
			    1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_BLK_SIZE,
		.num_queues = 1,
		.max_queue_size = f->queue_size,
		.msg_timeout_ms = timeout_ms,
		.config = &config,
		.config_size = sizeof(config),
	};
	int ret, flags;

	memset(&config, 0, sizeof(config));
	config.capacity = htole64(f->size / SECTOR);
	config.seg_max = htole32(f->queue_size - 2);
	config.blk_size = htole32(SECTOR);
	config.wce = 1;
	if (backend_open_device(&f->b, &params, VIRTIO_ID_BLOCK))
		return -1;
	flags = fcntl(f->b.dev_fd, F_GETFL);
	if (flags < 0 || fcntl(f->b.dev_fd, F_SETFL, flags | O_NONBLOCK)) {
		backend_error(&f->b, "making the device fd non-blocking failed: %s", strerror(errno));
		return -1;
	}
	f->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->kick_fd < 0) {
		backend_error(&f->b, "eventfd failed: %s", strerror(errno));
		return -1;
	}
	ret = uvdev_vq_set_kickfd(f->b.dev_fd, 0, f->kick_fd);
	if (ret) {
		backend_error(&f->b, "setting the kick eventfd failed: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

/* BYTES, with an optional K, M or G (powers of 1024); a multiple of 512. */
static int parse_size(const char *arg, uint64_t *size)
{
	char digits[32];
	size_t len = strlen(arg);
	unsigned int shift = 0;

	if (len == 0 || len >= sizeof(digits))
		return -1;
	memcpy(digits, arg, len + 1);
	switch (digits[len - 1]) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	}
	if (shift)
		digits[len - 1] = '\0';
	if (backend_parse_u64(digits, 1, (1ull << 40) >> shift, size))
		return -1;
	*size <<= shift;
	return *size % SECTOR ? -1 : 0;
}

/* Returns GO_ON, or the exit status for a usage error or --help. */
static int parse_options(int argc, char **argv, struct fault *f, uint32_t *timeout_ms)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "at", required_argument, NULL, 'a' },
		{ "size", required_argument, NULL, 's' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "queue-size", required_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, i;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			i = lookup(mode_names, sizeof(mode_names) / sizeof(mode_names[0]), optarg);
			if (i < 0)
				return backend_usage_error(PROG, "unknown --mode %s", optarg);
			f->mode = (enum mode)i;
			break;
		case 'a':
			i = lookup(moment_names, sizeof(moment_names) / sizeof(moment_names[0]), optarg);
			if (i <= AT_NONE)
				return backend_usage_error(PROG, "unknown --at %s", optarg);
			f->at = (enum moment)i;
			break;
		case 's':
			if (parse_size(optarg, &f->size))
				return backend_usage_error(PROG, "--size %s: give a multiple of 512, up to 1T",
							   optarg);
			break;
		case 't':
			if (backend_parse_u64(optarg, 0, UVDEV_MAX_TIMEOUT_MS, &v))
				return backend_usage_error(PROG, "--timeout-ms %s: give 0..3600000", optarg);
			*timeout_ms = (uint32_t)v;
			break;
		case 'Q':
			if (backend_parse_u64(optarg, 4, UVDEV_MAX_QUEUE_SIZE, &v) || (v & (v - 1)))
				return backend_usage_error(PROG, "--queue-size %s: give a power of two in 4..1024",
							   optarg);
			f->queue_size = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			return BACKEND_EXIT_OK;
		default:
			return backend_usage_error(PROG, "%s", "unknown option");
		}
	}
	if (argc - optind != 2)
		return backend_usage_error(PROG, "%s", "give NAME and FILE");
	f->b.name = argv[optind];
	f->path = argv[optind + 1];
	if (!uvdev_name_valid(f->b.name))
		return backend_usage_error(PROG, "bad NAME '%s': 1..31 characters of [a-zA-Z0-9_-]",
					   f->b.name);
	if ((f->mode == MODE_NONE || f->mode == MODE_FLUSH_NOOP) != (f->at == AT_NONE))
		return backend_usage_error(PROG, "--mode %s: give --at with a fault mode, and only then",
					   mode_names[f->mode]);
	if ((f->at == AT_RESET || f->at == AT_VQ_READY) && !mode_takes_messages(f->mode))
		return backend_usage_error(PROG, "--mode %s acts on chains: give --at probe or sigusr1",
					   mode_names[f->mode]);
	return GO_ON;
}

int main(int argc, char **argv)
{
	struct fault f = {
		.size = DEFAULT_SIZE,
		.queue_size = DEFAULT_QUEUE_SIZE,
		.disk_fd = -1,
		.kick_fd = -1,
		.uffd = -1,
		.b = { .prog = PROG, .signal_fd = -1, .dev_fd = -1 },
	};
	uint32_t timeout_ms = 0;
	int status;

	status = parse_options(argc, argv, &f, &timeout_ms);
	if (status != GO_ON)
		return status;
	status = BACKEND_EXIT_ERROR;
	snprintf(f.serial, sizeof(f.serial), "%s", f.b.name);
	f.buf = aligned_alloc(4096, CHUNK);
	f.is_held = calloc(f.queue_size, sizeof(*f.is_held));
	f.held_len = calloc(f.queue_size, sizeof(*f.held_len));
	if (!f.buf || !f.is_held || !f.held_len) {
		backend_error(&f.b, "out of memory");
		goto cleanup;
	}
	if (setup_signals(&f) || open_disk(&f))
		goto cleanup;
	if (f.mode == MODE_UFFD && setup_uffd(&f))
		goto cleanup;
	if (open_device(&f, timeout_ms))
		goto cleanup;
	fprintf(stderr, PROG ": %s: serving %s (%" PRIu64 " sectors), fault %s at %s\n", f.b.name,
		f.path, f.size / SECTOR, mode_names[f.mode], moment_names[f.at]);
	status = run(&f);
	fprintf(stderr, PROG ": %s: exit %d: served %" PRIu64 " requests, %" PRIu64 " flushes, %"
		PRIu64 " fdatasyncs, %u chains held, %u malformed answers (%u refused)\n",
		f.b.name, status, f.served, f.flushes, f.fdatasyncs, f.held, f.garbage_sent,
		f.garbage_refused);

cleanup:
	if (f.kick_fd >= 0)
		close(f.kick_fd);
	if (f.uffd >= 0)
		close(f.uffd);
	if (f.uffd_page)
		munmap(f.uffd_page, (size_t)sysconf(_SC_PAGESIZE));
	if (f.disk_fd >= 0)
		close(f.disk_fd);
	free(f.buf);
	free(f.is_held);
	free(f.held_len);
	backend_fini(&f.b);
	return status;
}
