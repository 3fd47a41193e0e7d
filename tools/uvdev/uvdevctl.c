// SPDX-License-Identifier: GPL-2.0
/*
 * uvdevctl: create, inspect and destroy uvdev devices from the command
 * line, and wait for a device's notification keys.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>

#include "libuvdev.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: uvdevctl create NAME [--device-id ID] [--queues N] [--queue-size N]\n"
		"                            [--features HEX] [--timeout-ms MS] [--notif-max N]\n"
		"                            [--busy-wait]\n"
		"       uvdevctl destroy NAME\n"
		"       uvdevctl status NAME\n"
		"       uvdevctl wait NAME KEY [--timeout MS]\n"
		"\n"
		"Create or destroy a uvdev device through " UVDEV_CONTROL_PATH ".\n"
		"A created device appears as " UVDEV_DEV_DIR "/NAME for its backend.\n"
		"status prints one line per queue, as the kernel sees it now: ring size,\n"
		"flags (ready, receive, broken, backend), chains pending (available, not\n"
		"popped) and in flight (popped, not pushed) with the age of the oldest\n"
		"in ms, and the age of the oldest completion not yet signalled by an\n"
		"interrupt (irq_ms); then the device's notifications: waiters and the\n"
		"age of the longest wait, keys remembered, values posted, delivered by\n"
		"the top half and merged into another post, waiters woken.\n"
		"wait returns once the device's backend posts notification KEY (at once\n"
		"if it was posted while no one waited); the backend decides what keys\n"
		"mean (uvdev-blk(8): 1 after a resize, 2 after it asked for a reset).\n"
		"\n"
		"Options:\n"
		"  --device-id ID     virtio device id (default 4, entropy)\n"
		"  --queues N         number of virtqueues (default 1)\n"
		"  --queue-size N     largest virtqueue size, a power of two (default 256)\n"
		"  --features HEX     device feature bits (default VIRTIO_F_VERSION_1)\n"
		"  --timeout-ms MS    control message timeout (default: module parameter)\n"
		"  --notif-max N      largest notification key, 0..1024 (default 0)\n"
		"  --timeout MS       wait: give up after MS ms (default 30000; 0 only takes a\n"
		"                     key already posted)\n"
		"  -h, --help         this help\n"
		"  --busy-wait        allow a device whose driver busy-waits for it\n"
		"                     (virtio_console; virtio_net with CTRL_VQ): its CPU can\n"
		"                     lock up while the backend does not answer\n"
		"\n"
		"Destroy returns within the device's message timeout: past it, requests\n"
		"the backend has not answered fail with an I/O error.\n"
		"\n"
		"Exit status: 0 done (wait: the key was posted), 1 the kernel refused\n"
		"(wait: also the device broke or was destroyed), 2 usage error, 3 wait\n"
		"timed out.\n");
}

/* Read an unsigned number from /sys/class/uvdev/NAME/ATTR. */
static int read_attr(const char *name, const char *attr, unsigned long long *out)
{
	char path[256];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "/sys/class/uvdev/%s/%s", name, attr);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%llu", out) != 1)
		ret = -EIO;
	fclose(f);
	return ret;
}

static double age_ms(uint64_t since, uint64_t now)
{
	return since ? (double)(now - since) / 1e6 : 0.0;
}

static int notif_status(int fd, uint32_t dev_id)
{
	struct uvdev_notif_state st;
	int ret;

	ret = uvdev_notif_state(fd, dev_id, &st);
	if (ret)
		return ret;
	printf("notifications: max_key %u, waiters %u (longest %.1f ms), remembered %u, "
	       "posted %llu, delivered %llu, merged %llu, wakeups %llu\n",
	       st.notif_max, st.waiters, age_ms(st.oldest_wait_ns, st.now_ns),
	       st.remembered_now, (unsigned long long)st.posted,
	       (unsigned long long)st.delivered, (unsigned long long)st.merged,
	       (unsigned long long)st.wakeups);
	return 0;
}

static int status(const char *name)
{
	unsigned long long dev_id, queues;
	int fd, ret;
	uint32_t q;

	if (!uvdev_name_valid(name))
		return -EINVAL;
	ret = read_attr(name, "dev_id", &dev_id);
	if (!ret)
		ret = read_attr(name, "num_queues", &queues);
	if (ret)
		return ret;
	fd = uvdev_control_open();
	if (fd < 0)
		return fd;
	printf("%-5s %5s %-24s %8s %10s %8s %10s %10s %6s\n", "queue", "size", "flags",
	       "pending", "pend_ms", "inflight", "infl_ms", "irq_ms", "slot");
	for (q = 0; q < queues; q++) {
		struct uvdev_queue_state st;
		char flags[64];

		ret = uvdev_queue_state(fd, dev_id, q, &st);
		if (ret)
			break;
		snprintf(flags, sizeof(flags), "%s%s%s%s",
			 st.flags & UVDEV_QUEUE_READY ? "ready," : "",
			 st.flags & UVDEV_QUEUE_RECEIVE ? "receive," : "",
			 st.flags & UVDEV_QUEUE_BROKEN ? "broken," : "",
			 st.flags & UVDEV_QUEUE_BACKEND ? "backend," : "");
		if (flags[0])
			flags[strlen(flags) - 1] = '\0';
		else
			strcpy(flags, "-");
		printf("%-5u %5u %-24s %8u %10.1f %8u %10.1f %10.1f %6u\n", q, st.size, flags,
		       st.pending, age_ms(st.pending_since_ns, st.now_ns), st.inflight,
		       age_ms(st.inflight_since_ns, st.now_ns),
		       age_ms(st.irq_since_ns, st.now_ns), st.slot);
	}
	if (!ret)
		ret = notif_status(fd, dev_id);
	close(fd);
	return ret;
}

/* wait: 0 posted, 3 timed out, 1 any other failure (printed). */
static int wait_key(const char *name, const char *key_arg, uint32_t timeout_ms)
{
	unsigned long long dev_id, key;
	uint64_t waited_ns = 0;
	char *end;
	int fd = -1, ret;

	errno = 0;
	key = strtoull(key_arg, &end, 10);
	if (errno || end == key_arg || *end || !key || key > UVDEV_NOTIF_MAX_KEY) {
		fprintf(stderr, "uvdevctl: wait %s: key '%s' is not 1..%u\n", name, key_arg,
			UVDEV_NOTIF_MAX_KEY);
		return 2;
	}
	if (!uvdev_name_valid(name)) {
		fprintf(stderr, "uvdevctl: wait %s: %s\n", name, uvdev_strerror(-EINVAL));
		return 2;
	}
	ret = read_attr(name, "dev_id", &dev_id);
	if (!ret) {
		fd = uvdev_control_open();
		ret = fd < 0 ? fd : 0;
	}
	if (!ret)
		ret = uvdev_notif_wait(fd, dev_id, key, timeout_ms, &waited_ns);
	if (fd >= 0)
		close(fd);
	switch (ret) {
	case 0:
		printf("%s: key %llu posted (waited %.1f ms)\n", name, key, waited_ns / 1e6);
		return 0;
	case -ETIMEDOUT:
	case -EAGAIN:
		fprintf(stderr, "uvdevctl: wait %s: key %llu not posted within %u ms\n", name, key,
			timeout_ms);
		return 3;
	case -EINVAL:
		fprintf(stderr, "uvdevctl: wait %s: key %llu is above the device's notif_max "
			"(/sys/class/uvdev/%s/notif_max; set at create with --notif-max)\n",
			name, key, name);
		return 1;
	case -EIO:
		fprintf(stderr, "uvdevctl: wait %s: the device is broken (see the kernel log); "
			"destroy it\n", name);
		return 1;
	case -ENODEV:
		fprintf(stderr, "uvdevctl: wait %s: the device was destroyed while waiting\n", name);
		return 1;
	case -ENOSPC:
		fprintf(stderr, "uvdevctl: wait %s: %u tasks wait on this device already; "
			"try again later\n", name, UVDEV_NOTIF_MAX_WAITERS);
		return 1;
	case -EINTR:
		fprintf(stderr, "uvdevctl: wait %s: interrupted by a signal\n", name);
		return 1;
	default:
		fprintf(stderr, "uvdevctl: wait %s: %s\n", name, uvdev_strerror(ret));
		return 1;
	}
}

static int parse_u64(const char *s, int base, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, base);
	return (errno || end == s || *end) ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device-id", required_argument, NULL, 'd' },
		{ "queues", required_argument, NULL, 'q' },
		{ "queue-size", required_argument, NULL, 's' },
		{ "features", required_argument, NULL, 'f' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "busy-wait", no_argument, NULL, 'b' },
		{ "notif-max", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct uvdev_params p = {
		.device_id = 4,
		.features = 1ULL << VIRTIO_F_VERSION_1,
		.num_queues = 1,
		.max_queue_size = 256,
	};
	unsigned long long v;
	uint32_t wait_ms = 30000;
	const char *cmd;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int base = opt == 'f' ? 16 : 10;

		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == 'b') {
			p.flags |= UVDEV_CREATE_F_BUSY_WAIT;
			continue;
		}
		if (opt == '?' || parse_u64(optarg, base, &v) ||
		    (opt != 'f' && v > UINT32_MAX)) {
			fprintf(stderr, "uvdevctl: bad value for option (see --help)\n");
			return 2;
		}
		switch (opt) {
		case 'd': p.device_id = v; break;
		case 'q': p.num_queues = v; break;
		case 's': p.max_queue_size = v; break;
		case 'f': p.features = v; break;
		case 't': p.msg_timeout_ms = v; break;
		case 'n': p.notif_max = v; break;
		case 'w': wait_ms = v; break;
		}
	}
	cmd = optind < argc ? argv[optind] : "";
	if (argc - optind != (strcmp(cmd, "wait") ? 2 : 3) ||
	    (strcmp(cmd, "create") && strcmp(cmd, "destroy") && strcmp(cmd, "status") &&
	     strcmp(cmd, "wait"))) {
		usage(stderr);
		return 2;
	}
	p.name = argv[optind + 1];
	if (!strcmp(cmd, "wait"))
		return wait_key(p.name, argv[optind + 2], wait_ms);
	if (!strcmp(argv[optind], "create")) {
		ret = uvdev_create_device(&p);
		if (ret >= 0) {
			printf("%s: created, id %d\n", p.name, ret);
			return 0;
		}
	} else if (!strcmp(argv[optind], "status")) {
		ret = status(p.name);
		if (ret == 0)
			return 0;
	} else {
		ret = uvdev_destroy_device(p.name);
		if (ret == 0)
			return 0;
	}
	fprintf(stderr, "uvdevctl: %s %s: %s\n", argv[optind], p.name, uvdev_strerror(ret));
	return 1;
}
