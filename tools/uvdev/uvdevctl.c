// SPDX-License-Identifier: GPL-2.0
/*
 * uvdevctl: create and destroy uvdev devices from the command line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>

#include "libuvdev.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: uvdevctl create NAME [--device-id ID] [--queues N] [--queue-size N]\n"
		"                            [--features HEX] [--timeout-ms MS]\n"
		"       uvdevctl destroy NAME\n"
		"\n"
		"Create or destroy a uvdev device through " UVDEV_CONTROL_PATH ".\n"
		"A created device appears as " UVDEV_DEV_DIR "/NAME for its backend.\n"
		"\n"
		"Options:\n"
		"  --device-id ID     virtio device id (default 4, entropy)\n"
		"  --queues N         number of virtqueues (default 1)\n"
		"  --queue-size N     largest virtqueue size, a power of two (default 256)\n"
		"  --features HEX     device feature bits (default VIRTIO_F_VERSION_1)\n"
		"  --timeout-ms MS    control message timeout (default: module parameter)\n"
		"\n"
		"Exit status: 0 done, 1 the kernel refused, 2 usage error.\n");
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
	if (argc - optind != 2 || (strcmp(argv[optind], "create") && strcmp(argv[optind], "destroy"))) {
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
	} else {
		ret = uvdev_destroy_device(p.name);
		if (ret == 0)
			return 0;
	}
	fprintf(stderr, "uvdevctl: %s %s: %s\n", argv[optind], p.name, uvdev_strerror(ret));
	return 1;
}
