// SPDX-License-Identifier: GPL-2.0
/*
 * uvdevctl: create and destroy uvdev devices from the command line.
 */
#include <errno.h>
#include <getopt.h>
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
		"                            [--features HEX] [--timeout-ms MS] [--busy-wait]\n"
		"       uvdevctl destroy NAME\n"
		"       uvdevctl status NAME\n"
		"\n"
		"Create or destroy a uvdev device through " UVDEV_CONTROL_PATH ".\n"
		"A created device appears as " UVDEV_DEV_DIR "/NAME for its backend.\n"
		"status prints one line per queue, as the kernel sees it now: ring size,\n"
		"flags (ready, receive, broken, backend), chains pending (available, not\n"
		"popped) and in flight (popped, not pushed) with the age of the oldest\n"
		"in ms, and the age of the oldest completion not yet signalled by an\n"
		"interrupt (irq_ms).\n"
		"\n"
		"Options:\n"
		"  --device-id ID     virtio device id (default 4, entropy)\n"
		"  --queues N         number of virtqueues (default 1)\n"
		"  --queue-size N     largest virtqueue size, a power of two (default 256)\n"
		"  --features HEX     device feature bits (default VIRTIO_F_VERSION_1)\n"
		"  --timeout-ms MS    control message timeout (default: module parameter)\n"
		"  --busy-wait        allow a device whose driver busy-waits for it\n"
		"                     (virtio_console; virtio_net with CTRL_VQ): its CPU can\n"
		"                     lock up while the backend does not answer\n"
		"\n"
		"Destroy returns within the device's message timeout: past it, requests\n"
		"the backend has not answered fail with an I/O error.\n"
		"\n"
		"Exit status: 0 done, 1 the kernel refused, 2 usage error.\n");
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
	close(fd);
	return ret;
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
		}
	}
	if (argc - optind != 2 || (strcmp(argv[optind], "create") && strcmp(argv[optind], "destroy") &&
				   strcmp(argv[optind], "status"))) {
		usage(stderr);
		return 2;
	}
	p.name = argv[optind + 1];
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
