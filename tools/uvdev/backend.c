// SPDX-License-Identifier: GPL-2.0
/*
 * The life of a backend daemon, shared by uvdev-blk and uvdev-rng.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>

#include "backend.h"

/* How long to wait for /dev/uvdev/NAME after creating the device. */
#define NODE_WAIT_MS		2000
#define NODE_POLL_MS		20

static void vmessage(const struct backend *b, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (b->name)
		fprintf(stderr, "%s: %s: %s\n", b->prog, b->name, line);
	else
		fprintf(stderr, "%s: %s\n", b->prog, line);
}

void backend_error(const struct backend *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(b, fmt, ap);
	va_end(ap);
}

void backend_debug(const struct backend *b, const char *fmt, ...)
{
	va_list ap;

	if (!b->verbose)
		return;
	va_start(ap, fmt);
	vmessage(b, fmt, ap);
	va_end(ap);
}

int backend_usage_error(const char *prog, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; see %s --help\n", prog);
	return BACKEND_EXIT_USAGE;
}

int backend_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	int base = 10;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return -1;
	}
	errno = 0;
	*out = strtoull(s, &end, base);
	if (errno || end == s || *end || *out < min || *out > max)
		return -1;
	return 0;
}

int backend_init(struct backend *b, const char *prog)
{
	sigset_t set;
	int ret;

	memset(b, 0, sizeof(*b));
	b->prog = prog;
	b->signal_fd = -1;
	b->dev_fd = -1;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	ret = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (ret) {
		backend_error(b, "blocking SIGTERM, SIGINT and SIGHUP failed: %s", strerror(ret));
		return -1;
	}
	b->signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (b->signal_fd < 0) {
		backend_error(b, "signalfd failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void backend_fini(struct backend *b)
{
	if (b->dev_fd >= 0)
		close(b->dev_fd);
	if (b->signal_fd >= 0)
		close(b->signal_fd);
	b->dev_fd = -1;
	b->signal_fd = -1;
}

static bool module_loaded(void)
{
	return access("/sys/module/uvdev", F_OK) == 0;
}

static void explain_create_error(const struct backend *b, int err)
{
	switch (-err) {
	case ENOENT:
		if (!module_loaded())
			backend_error(b, "uvdev module not loaded: insmod build/modules/uvdev.ko");
		else
			backend_error(b, "%s is missing although the module is loaded: mount devtmpfs on /dev",
				      UVDEV_CONTROL_PATH);
		break;
	case EPERM:
	case EACCES:
		backend_error(b, "creating a device needs CAP_SYS_ADMIN: run %s as root", b->prog);
		break;
	case EEXIST:
		backend_error(b, "the device already exists: serve it with --attach, or remove it with 'uvdevctl destroy %s'",
			      b->name);
		break;
	case EINVAL:
		backend_error(b, "the kernel refused the device's parameters (%s): check the option values against %s --help",
			      strerror(-err), b->prog);
		break;
	default:
		backend_error(b, "creating the device failed: %s", strerror(-err));
		break;
	}
}

static void explain_open_error(const struct backend *b, int err)
{
	switch (-err) {
	case ENOENT:
		if (!module_loaded())
			backend_error(b, "uvdev module not loaded: insmod build/modules/uvdev.ko");
		else if (b->attach)
			backend_error(b, "no such device: start %s without --attach to create it", b->prog);
		else
			backend_error(b, "%s/%s did not appear after the device was created: is devtmpfs mounted on /dev?",
				      UVDEV_DEV_DIR, b->name);
		break;
	case EBUSY:
		backend_error(b, "another backend has %s/%s open: stop it first (fuser -v %s/%s names it)",
			      UVDEV_DEV_DIR, b->name, UVDEV_DEV_DIR, b->name);
		break;
	case EPERM:
	case EACCES:
		backend_error(b, "opening %s/%s is not permitted: run %s as root",
			      UVDEV_DEV_DIR, b->name, b->prog);
		break;
	default:
		backend_error(b, "opening %s/%s failed: %s", UVDEV_DEV_DIR, b->name, strerror(-err));
		break;
	}
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Open the device; a node that was just created may take a moment to appear. */
static int open_device(const struct backend *b, bool created)
{
	unsigned int waited = 0;
	int fd;

	for (;;) {
		fd = uvdev_open(b->name);
		if (fd != -ENOENT || !created || waited >= NODE_WAIT_MS)
			return fd;
		sleep_ms(NODE_POLL_MS);
		waited += NODE_POLL_MS;
	}
}

static void destroy_after_failure(const struct backend *b)
{
	int ret = uvdev_destroy_device(b->name);

	if (ret && ret != -ENOENT)
		backend_error(b, "removing the device failed too (%s): remove it with 'uvdevctl destroy %s'",
			      strerror(-ret), b->name);
}

int backend_open_device(struct backend *b, const struct uvdev_params *params,
			uint32_t device_id)
{
	bool created = false;
	int ret;

	if (!b->attach) {
		ret = uvdev_create_device(params);
		if (ret < 0) {
			explain_create_error(b, ret);
			return -1;
		}
		created = true;
		backend_debug(b, "created, dev id %d", ret);
	}
	ret = open_device(b, created);
	if (ret < 0) {
		explain_open_error(b, ret);
		goto cleanup;
	}
	b->dev_fd = ret;

	ret = uvdev_dev_info(b->dev_fd, &b->info);
	if (ret) {
		backend_error(b, "reading the device's info failed: %s", strerror(-ret));
		goto cleanup;
	}
	if (b->info.device_id != device_id) {
		backend_error(b, "the device has virtio device id %u, but %s serves id %u: name a device it can serve",
			      b->info.device_id, b->prog, device_id);
		goto cleanup;
	}
	if (b->info.broken) {
		backend_error(b, "the device is broken (a control message timed out): remove it with 'uvdevctl destroy %s' and start again without --attach",
			      b->name);
		goto cleanup;
	}
	b->created = created;
	backend_debug(b, "%s, dev id %u, %u queues, status 0x%02x, features 0x%llx",
		      created ? "opened" : "attached", b->info.dev_id, b->info.num_queues,
		      b->info.status, (unsigned long long)b->info.device_features);
	return 0;

cleanup:
	if (b->dev_fd >= 0)
		close(b->dev_fd);
	b->dev_fd = -1;
	if (created)
		destroy_after_failure(b);
	return -1;
}

void backend_abandon(struct backend *b)
{
	if (b->dev_fd >= 0)
		close(b->dev_fd);
	b->dev_fd = -1;
	if (b->created)
		destroy_after_failure(b);
	b->created = false;
}

int backend_start(struct backend *b, struct uvdev_service *svc)
{
	int ret = uvdev_service_start(svc);

	if (ret) {
		backend_error(b, "starting the service threads failed: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

/* Destroy the device while the threads still answer, then stop them. */
static int destroy_and_stop(const struct backend *b, struct uvdev_service *svc)
{
	int ret = uvdev_destroy_device(b->name);

	uvdev_service_stop(svc);
	/* ENOENT: another process destroyed it meanwhile, which is as good. */
	if (!ret || ret == -ENOENT) {
		backend_debug(b, "destroyed");
		return BACKEND_EXIT_OK;
	}
	if (ret == -EPERM || ret == -EACCES)
		backend_error(b, "destroying the device needs CAP_SYS_ADMIN: run %s as root, or 'uvdevctl destroy %s' as root",
			      b->prog, b->name);
	else
		backend_error(b, "destroying the device failed: %s; remove it with 'uvdevctl destroy %s'",
			      strerror(-ret), b->name);
	return BACKEND_EXIT_ERROR;
}

/* A service thread stopped by itself with @err. */
static int service_stopped(const struct backend *b, struct uvdev_service *svc, int err)
{
	switch (-err) {
	case ESHUTDOWN:
		uvdev_service_stop(svc);
		backend_error(b, "the device was destroyed by another process; exiting");
		return BACKEND_EXIT_OK;
	case EIO:
		backend_error(b, "the device is broken (a control message was not answered within msg_timeout_ms, or the driver sent a malformed ring; the kernel log says which): destroying it; give a larger --timeout-ms if the backend was only slow");
		destroy_and_stop(b, svc);
		return BACKEND_EXIT_ERROR;
	default:
		uvdev_service_stop(svc);
		backend_error(b, "stopped serving: %s; the device stays: serve it again with '%s --attach', or remove it with 'uvdevctl destroy %s'",
			      strerror(-err), b->prog, b->name);
		return BACKEND_EXIT_ERROR;
	}
}

int backend_wait(struct backend *b, struct uvdev_service *svc)
{
	struct pollfd fds[2] = {
		{ .fd = b->signal_fd, .events = POLLIN },
		{ .fd = svc->event_fd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	int err;

	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (fds[0].revents) {
			if (read(b->signal_fd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				if (b->reload)
					b->reload(b, b->reload_arg);
				else
					backend_debug(b, "SIGHUP: nothing to reload");
				continue;
			}
			backend_debug(b, "%s: destroying the device", strsignal(si.ssi_signo));
			return destroy_and_stop(b, svc);
		}
		if (fds[1].revents) {
			err = uvdev_service_error(svc);
			if (err)
				break;
			eventfd_read(svc->event_fd, &(eventfd_t){ 0 });
		}
	}
	return service_stopped(b, svc, err);
}

void backend_debug_msg(const struct backend *b, const struct uvdev_msg *msg)
{
	const char *type = uvdev_msg_name(msg->type);

	switch (msg->type) {
	case UVDEV_MSG_SET_STATUS:
		backend_debug(b, "message %u %s: 0x%02x -> 0x%02x%s, driver features 0x%llx",
			      msg->id, type, msg->status.old_status, msg->status.status,
			      (msg->status.status & VIRTIO_CONFIG_S_DRIVER_OK) ? " (driver ok)" : "",
			      (unsigned long long)msg->status.driver_features);
		break;
	case UVDEV_MSG_VQ_READY:
		backend_debug(b, "message %u %s: queue %u, size %u, ready %u",
			      msg->id, type, msg->vq.queue, msg->vq.size, msg->vq.ready);
		break;
	case UVDEV_MSG_SET_CONFIG:
		backend_debug(b, "message %u %s: offset %u, %u bytes",
			      msg->id, type, msg->config.offset, msg->config.len);
		break;
	default:
		backend_debug(b, "message %u %s (type %u)", msg->id, type, msg->type);
		break;
	}
}
