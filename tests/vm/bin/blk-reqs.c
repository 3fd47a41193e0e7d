// SPDX-License-Identifier: GPL-2.0
/*
 * blk-reqs: a fixed block workload for the perf gate. Issues exactly COUNT
 * random reads of BS bytes with O_DIRECT at queue depth QD (Linux native
 * AIO, the path fio's libaio engine takes), after WARMUP reads that are not
 * timed, and prints the CLOCK_MONOTONIC time the timed reads took:
 *
 *   blk-reqs: qd=32 bs=4096 requests=20000 ns=583400000 ns_per_req=29170.0
 *
 * The offsets come from a seeded generator, so every run reads the same
 * blocks in the same order. Under QEMU's -icount shift=0 a guest nanosecond
 * is one guest instruction: ns_per_req is instructions per request.
 *
 * With --seq the reads are sequential instead (wrapping at the end).
 *
 * Usage: blk-reqs [--qd N] [--count N] [--warmup N] [--bs BYTES] [--seed N]
 *                 [--seq] DEV
 * Exit status: 0 done, 1 an I/O or system error, 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/aio_abi.h>
#include <linux/fs.h>

#define QD_MAX		256

struct load {
	int fd;
	aio_context_t ctx;
	unsigned int qd;
	uint32_t bs;
	uint64_t blocks;		/* device size in units of bs */
	uint64_t rng;
	bool seq;			/* sequential offsets, not random */
	uint64_t next;			/* the next block when sequential */
	char *bufs;			/* qd buffers of bs bytes, aligned */
	struct iocb iocbs[QD_MAX];
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: blk-reqs [--qd N] [--count N] [--warmup N] [--bs BYTES] [--seed N]\n"
		"                [--seq] DEV\n"
		"\n"
		"Read COUNT random blocks of BS bytes (default 4096) from the block device\n"
		"DEV with O_DIRECT at queue depth QD (default 1, at most %d) through Linux\n"
		"native AIO, after WARMUP untimed reads (default 1000), and print the time\n"
		"the timed reads took and the time per read. Offsets come from a generator\n"
		"seeded with SEED (default 1): the same run reads the same blocks. With\n"
		"--seq the blocks are read in order from the start, wrapping at the end.\n"
		"\n"
		"Exit status: 0 done, 1 an I/O or system error, 2 usage error.\n", QD_MAX);
}

/* splitmix64: a full-period generator with no state beyond one word. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int parse_u64(const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	if (arg[0] < '0' || arg[0] > '9')
		return -1;
	errno = 0;
	*out = strtoull(arg, &end, 0);
	if (errno || *end || *out < min || *out > max)
		return -1;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Point slot @i's iocb at a fresh random block and submit it. 0 or -errno. */
static int submit(struct load *l, unsigned int i)
{
	struct iocb *cb = &l->iocbs[i];
	struct iocb *list[1] = { cb };

	memset(cb, 0, sizeof(*cb));
	cb->aio_data = i;
	cb->aio_lio_opcode = IOCB_CMD_PREAD;
	cb->aio_fildes = l->fd;
	cb->aio_buf = (uintptr_t)(l->bufs + (size_t)i * l->bs);
	cb->aio_nbytes = l->bs;
	if (l->seq) {
		cb->aio_offset = (int64_t)(l->next * l->bs);
		l->next = (l->next + 1) % l->blocks;
	} else {
		cb->aio_offset = (int64_t)((next_rand(&l->rng) % l->blocks) * l->bs);
	}
	if (syscall(SYS_io_submit, l->ctx, 1L, list) != 1)
		return errno ? -errno : -EIO;
	return 0;
}

/* Complete @count reads with up to qd in flight. 0 or -errno. */
static int run(struct load *l, uint64_t count)
{
	struct io_event events[QD_MAX];
	uint64_t submitted = 0, done = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < l->qd && submitted < count; i++, submitted++) {
		ret = submit(l, i);
		if (ret)
			return ret;
	}
	while (done < count) {
		long n = syscall(SYS_io_getevents, l->ctx, 1L, (long)l->qd, events, NULL);
		long k;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (k = 0; k < n; k++) {
			if (events[k].res != (int64_t)l->bs) {
				fprintf(stderr, "blk-reqs: a read returned %" PRId64 " instead of %u%s%s\n",
					(int64_t)events[k].res, l->bs,
					events[k].res < 0 ? ": " : "",
					events[k].res < 0 ? strerror((int)-events[k].res) : "");
				return -EIO;
			}
			done++;
			if (submitted < count) {
				ret = submit(l, (unsigned int)events[k].data);
				if (ret)
					return ret;
				submitted++;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "qd", required_argument, NULL, 'q' },
		{ "count", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "bs", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "seq", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct load l = { .fd = -1, .qd = 1, .bs = 4096, .rng = 1 };
	uint64_t count = 10000, warmup = 1000, v, bytes, t0, t1;
	int c, ret, status = 1;
	const char *dev;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			if (parse_u64(optarg, 1, QD_MAX, &v))
				goto bad_arg;
			l.qd = (unsigned int)v;
			break;
		case 'n':
			if (parse_u64(optarg, 1, UINT64_MAX / 2, &count))
				goto bad_arg;
			break;
		case 'w':
			if (parse_u64(optarg, 0, UINT64_MAX / 2, &warmup))
				goto bad_arg;
			break;
		case 'b':
			if (parse_u64(optarg, 512, 1 << 20, &v) || (v & (v - 1)))
				goto bad_arg;
			l.bs = (uint32_t)v;
			break;
		case 's':
			if (parse_u64(optarg, 0, UINT64_MAX, &l.rng))
				goto bad_arg;
			break;
		case 'S':
			l.seq = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "blk-reqs: name one block device (see --help)\n");
		return 2;
	}
	dev = argv[optind];

	l.fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (l.fd < 0) {
		fprintf(stderr, "blk-reqs: cannot open %s with O_DIRECT: %s\n", dev, strerror(errno));
		return 1;
	}
	if (ioctl(l.fd, BLKGETSIZE64, &bytes)) {
		fprintf(stderr, "blk-reqs: %s: cannot read its size (is it a block device?): %s\n",
			dev, strerror(errno));
		goto cleanup;
	}
	l.blocks = bytes / l.bs;
	if (!l.blocks) {
		fprintf(stderr, "blk-reqs: %s is smaller than one block of %u bytes\n", dev, l.bs);
		goto cleanup;
	}
	ret = posix_memalign((void **)&l.bufs, 4096, (size_t)l.qd * l.bs);
	if (ret) {
		fprintf(stderr, "blk-reqs: cannot allocate the buffers: %s\n", strerror(ret));
		l.bufs = NULL;
		goto cleanup;
	}
	if (syscall(SYS_io_setup, (long)l.qd, &l.ctx)) {
		fprintf(stderr, "blk-reqs: io_setup(%u): %s (see /proc/sys/fs/aio-max-nr)\n",
			l.qd, strerror(errno));
		l.ctx = 0;
		goto cleanup;
	}

	if (warmup) {
		ret = run(&l, warmup);
		if (ret)
			goto io_error;
	}
	t0 = now_ns();
	ret = run(&l, count);
	t1 = now_ns();
	if (ret)
		goto io_error;
	printf("blk-reqs: qd=%u bs=%u requests=%" PRIu64 " ns=%" PRIu64 " ns_per_req=%.1f\n",
	       l.qd, l.bs, count, t1 - t0, (double)(t1 - t0) / (double)count);
	status = 0;
	goto cleanup;

io_error:
	fprintf(stderr, "blk-reqs: reading %s failed: %s\n", dev, strerror(-ret));
	goto cleanup;
bad_arg:
	fprintf(stderr, "blk-reqs: invalid value '%s' for --%s (see --help)\n", optarg,
		c == 'q' ? "qd" : c == 'n' ? "count" : c == 'w' ? "warmup" : c == 'b' ? "bs" : "seed");
	return 2;
cleanup:
	if (l.ctx)
		syscall(SYS_io_destroy, l.ctx);
	free(l.bufs);
	close(l.fd);
	return status;
}
