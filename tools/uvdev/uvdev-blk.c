// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev-blk: a file-backed virtio-blk device served from user space.
 *
 * The command line and the device; the queues are served by blk_queue.c,
 * one thread each.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "blk_queue.h"

#define PROG			"uvdev-blk"

#define BLK_MAX_DISCARD_SEGS	32		/* ranges per discard */
#define BLK_MAX_ZEROES_SEGS	1		/* Linux sends one per write zeroes */
#define BLK_MAX_RANGE_SECTORS	(1u << 22)	/* 2 GiB per range */
#define BLK_DISCARD_ALIGN	8		/* sectors: a 4 KiB fs block */
#define BLK_DEFAULT_QUEUE_SIZE	256
#define BLK_MAX_SIZE		((uint64_t)INT64_MAX & ~(uint64_t)(BLK_SECTOR_SIZE - 1))
#define BLK_ZC_MIN_DEFAULT	(64u << 10)	/* auto: map requests from 64 KiB */
#define BLK_ZC_WINDOW_PER_QUEUE	4096u		/* pages: 16 MiB per queue */

enum blk_zc_mode {
	BLK_ZC_AUTO,		/* map requests of --zero-copy-min bytes or more */
	BLK_ZC_ALWAYS,		/* map every read and write */
	BLK_ZC_NEVER,		/* XFER only; the device has no window */
};

struct blk_options {
	const char *name;
	const char *path;
	uint64_t size;		/* 0: the file's size */
	bool read_only;
	bool attach;
	bool verbose;
	bool queues_set;
	uint32_t queues;
	uint32_t queue_size;
	uint32_t timeout_ms;
	enum blk_zc_mode zc_mode;
	uint32_t zc_min;
	bool file_map;		/* read through a mapping of FILE */
};

static int blk_on_message(struct uvdev_service *svc, const struct uvdev_msg *msg)
{
	const struct blk_disk *disk = svc->priv;

	backend_debug_msg(disk->backend, msg);
	return 0;
}

static const struct uvdev_service_ops blk_service_ops = {
	.serve_batch = blk_serve_batch,
	.on_message = blk_on_message,
};

/* ---- the device ------------------------------------------------------------- */

static uint64_t blk_features(const struct blk_limits *limits, uint32_t queues)
{
	uint64_t features = 1ULL << VIRTIO_F_VERSION_1 |
			    1ULL << VIRTIO_RING_F_INDIRECT_DESC |
			    1ULL << VIRTIO_BLK_F_FLUSH |
			    1ULL << VIRTIO_BLK_F_SEG_MAX |
			    1ULL << VIRTIO_BLK_F_BLK_SIZE |
			    1ULL << VIRTIO_BLK_F_DISCARD |
			    1ULL << VIRTIO_BLK_F_WRITE_ZEROES;

	if (queues > 1)
		features |= 1ULL << VIRTIO_BLK_F_MQ;
	if (limits->read_only)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	return features;
}

static void blk_config(struct virtio_blk_config *cfg, const struct blk_limits *limits,
		       uint32_t queues, uint32_t queue_size)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->capacity = htole64(limits->capacity);
	/* A chain holds the header, the data segments and the status. */
	cfg->seg_max = htole32(queue_size > 2 ? queue_size - 2 : 1);
	cfg->blk_size = htole32(BLK_SECTOR_SIZE);
	cfg->num_queues = htole16((uint16_t)queues);
	cfg->max_discard_sectors = htole32(limits->max_discard_sectors);
	cfg->max_discard_seg = htole32(limits->max_discard_seg);
	cfg->discard_sector_alignment = htole32(BLK_DISCARD_ALIGN);
	cfg->max_write_zeroes_sectors = htole32(limits->max_write_zeroes_sectors);
	cfg->max_write_zeroes_seg = htole32(limits->max_write_zeroes_seg);
	cfg->write_zeroes_may_unmap = 1;
}

/* The bytes of FILE, a block device or a regular file, as stat'ed in @st. */
static int disk_bytes(int fd, const struct stat *st, uint64_t *size)
{
	if (S_ISBLK(st->st_mode))
		return ioctl(fd, BLKGETSIZE64, size) ? -errno : 0;
	*size = (uint64_t)st->st_size;
	return 0;
}

static int open_file(const struct backend *b, const struct blk_options *opt,
		     struct blk_disk *disk)
{
	int flags = (opt->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	uint64_t file_size, size;
	bool blockdev;
	struct stat st;
	int ret;

	if (opt->size && !opt->read_only)
		flags |= O_CREAT;
	disk->fd = open(opt->path, flags, 0600);
	if (disk->fd < 0) {
		if (errno == ENOENT)
			backend_error(b, "%s does not exist: create it (truncate -s 1G %s), or give --size to have it created",
				      opt->path, opt->path);
		else if (!opt->read_only && (errno == EACCES || errno == EROFS || errno == EPERM))
			backend_error(b, "cannot open %s for writing (%s): fix its permissions, or serve it with --read-only",
				      opt->path, strerror(errno));
		else
			backend_error(b, "cannot open %s: %s", opt->path, strerror(errno));
		return -1;
	}
	if (fstat(disk->fd, &st)) {
		backend_error(b, "cannot stat %s: %s", opt->path, strerror(errno));
		return -1;
	}
	blockdev = S_ISBLK(st.st_mode);
	if (!blockdev && !S_ISREG(st.st_mode)) {
		backend_error(b, "%s is neither a regular file nor a block device", opt->path);
		return -1;
	}
	ret = disk_bytes(disk->fd, &st, &file_size);
	if (ret) {
		backend_error(b, "cannot read the size of %s: %s", opt->path, strerror(-ret));
		return -1;
	}

	size = opt->size ? opt->size : file_size;
	if (size == 0) {
		backend_error(b, "%s is empty: give --size BYTES", opt->path);
		return -1;
	}
	if (size % BLK_SECTOR_SIZE || size > BLK_MAX_SIZE) {
		backend_error(b, "%s is %" PRIu64 " bytes, not a multiple of 512: give --size BYTES",
			      opt->path, size);
		return -1;
	}
	if (size > file_size) {
		if (blockdev || opt->read_only) {
			backend_error(b, "%s is %" PRIu64 " bytes, less than --size %" PRIu64 ", and %s: give a smaller --size",
				      opt->path, file_size, size,
				      blockdev ? "a block device cannot grow" : "--read-only does not extend it");
			return -1;
		}
		if (ftruncate(disk->fd, (off_t)size)) {
			backend_error(b, "extending %s to %" PRIu64 " bytes failed: %s",
				      opt->path, size, strerror(errno));
			return -1;
		}
	}
	disk->path = opt->path;
	disk->limits.capacity = size / BLK_SECTOR_SIZE;
	disk->limits.read_only = opt->read_only;
	disk->limits.max_discard_sectors = BLK_MAX_RANGE_SECTORS;
	disk->limits.max_discard_seg = BLK_MAX_DISCARD_SEGS;
	disk->limits.max_write_zeroes_sectors = BLK_MAX_RANGE_SECTORS;
	disk->limits.max_write_zeroes_seg = BLK_MAX_ZEROES_SEGS;
	return 0;
}

/* ---- command line ----------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"NAME\n"
		"    uvdev-blk - serve a file as a virtio block device through uvdev\n"
		"\n"
		"SYNOPSIS\n"
		"    uvdev-blk [--size BYTES] [--read-only] [--queues N] [--queue-size N]\n"
		"              [--timeout-ms MS] [--zero-copy auto|always|never]\n"
		"              [--zero-copy-min BYTES] [--file-map auto|never] [--attach]\n"
		"              [-v] NAME FILE\n"
		"    uvdev-blk --help\n"
		"\n"
		"DESCRIPTION\n"
		"    Creates the uvdev device NAME (virtio device id 2) and serves it from\n"
		"    FILE, a regular file or a block device. The kernel's virtio_blk driver\n"
		"    binds to it, and the disk appears under\n"
		"    /sys/class/uvdev/NAME/virtio*/block/ as /dev/vdX. Each virtqueue is\n"
		"    served by its own thread.\n"
		"\n"
		"    Requests: read, write, flush (fdatasync), get id (the serial is NAME, or\n"
		"    its first 11 characters and a hash when NAME is longer than 20), discard\n"
		"    (punches a hole) and write zeroes (zeroes the range, or punches a hole\n"
		"    when the driver allows unmapping). A malformed request is answered\n"
		"    with VIRTIO_BLK_S_IOERR, an unknown one with VIRTIO_BLK_S_UNSUPP.\n"
		"\n"
		"    On SIGTERM or SIGINT the device is destroyed while uvdev-blk still\n"
		"    answers, so the driver unbinds and everything in flight completes;\n"
		"    then FILE is synced and uvdev-blk exits.\n"
		"\n"
		"    On SIGHUP uvdev-blk reads the size of FILE again and, if it changed,\n"
		"    gives the disk that size online (the driver is told through a\n"
		"    notification; grow the file first, then e.g. resize2fs the mounted\n"
		"    file system); then it posts notification key 1, which\n"
		"    'uvdevctl wait NAME 1' waits for. When FILE fails (an I/O error) or\n"
		"    was removed (seen on SIGHUP), uvdev-blk asks the driver to reset the\n"
		"    device (VIRTIO_CONFIG_S_NEEDS_RESET, shown by vtop) and posts key 2,\n"
		"    once; requests FILE fails keep failing with VIRTIO_BLK_S_IOERR.\n"
		"\n"
		"OPTIONS\n"
		"    --size BYTES\n"
		"        Disk size, a multiple of 512; K, M, G and T multiply by powers of\n"
		"        1024. Default: the size of FILE. A smaller regular FILE is\n"
		"        extended, a missing one created.\n"
		"    --read-only\n"
		"        Open FILE read-only, offer VIRTIO_BLK_F_RO, and fail writes,\n"
		"        discards and write zeroes with VIRTIO_BLK_S_IOERR.\n"
		"    --queues N\n"
		"        Virtqueues, 1..%u (default 1); more than one offers VIRTIO_BLK_F_MQ.\n"
		"    --queue-size N\n"
		"        Largest ring the driver may set up, a power of two in 2..%u\n"
		"        (default %u).\n"
		"    --timeout-ms MS\n"
		"        How long the kernel waits for the answer to a control message\n"
		"        before it marks the device broken; 0 (default) takes the module's\n"
		"        msg_timeout_ms.\n"
		"    --zero-copy auto|always|never\n"
		"        How request data moves. auto (default): reads and writes of\n"
		"        --zero-copy-min bytes or more are mapped into the device's zero-copy\n"
		"        window and FILE is read or written straight into the request's\n"
		"        pages (one copy, the page cache's); smaller ones are copied\n"
		"        through a buffer with UVDEV_IOC_VQ_XFER (two copies, but no\n"
		"        mapping cost). always: map every read and write. never: XFER only,\n"
		"        the device gets no window. When the window is full a request is\n"
		"        copied instead. With --attach, a device created without a window\n"
		"        is served with XFER. auto leaves reads that --file-map serves to\n"
		"        XFER: from the mapping they cost one copy and no window mapping.\n"
		"    --zero-copy-min BYTES\n"
		"        The smallest request auto maps (default 64K; K and M multiply).\n"
		"    --file-map auto|never\n"
		"        auto (default): map FILE read-only and answer reads with\n"
		"        UVDEV_IOC_VQ_XFER straight from the mapping, one copy and no\n"
		"        read(2); a read the mapping cannot serve (an I/O error, FILE\n"
		"        shrank, or past the size it had at start) is read with pread(2),\n"
		"        and when FILE cannot be mapped every read is. never: every read\n"
		"        with pread(2) into a buffer, then XFER. Writes use pwrite(2)\n"
		"        either way.\n"
		"    --attach\n"
		"        Serve the existing device NAME instead of creating it, e.g. after\n"
		"        the previous backend was killed: the requests it left unanswered\n"
		"        are served again. The queue count and the read-only flag come from\n"
		"        the device (--queues and --queue-size are ignored); the capacity is\n"
		"        taken from FILE and --size again and sent to the driver. The\n"
		"        device is still destroyed on SIGTERM.\n"
		"    -v, --verbose\n"
		"        Log control messages and refused or failed requests to stderr.\n"
		"    -h, --help\n"
		"        Show this help.\n"
		"\n"
		"    Once the device serves, one line goes to stderr:\n"
		"        uvdev-blk: NAME: serving FILE (N sectors, Q queues)\n"
		"    and at exit, unless --zero-copy never, the data path's counts:\n"
		"        uvdev-blk: NAME: zero copy: M maps, P pages mapped, C pages copied\n"
		"        (R refused), X requests by XFER\n"
		"\n"
		"EXIT STATUS\n"
		"    0   the device was destroyed (SIGTERM, SIGINT, or by another process)\n"
		"    1   runtime error; the message names the cause and the fix\n"
		"    2   usage error\n"
		"\n"
		"EXAMPLES\n"
		"    truncate -s 1G disk.img; uvdev-blk blk0 disk.img &\n"
		"    uvdev-blk --size 256M --queues 4 blk1 scratch.img\n"
		"    uvdev-blk --read-only cdrom0 image.iso\n"
		"    uvdev-blk --attach blk0 disk.img    # after the backend was killed\n"
		"    truncate -s 2G disk.img; kill -HUP %%1; uvdevctl wait blk0 1\n"
		"    kill -TERM %%1                       # destroy blk0, exit 0\n",
		UVDEV_MAX_QUEUES, UVDEV_MAX_QUEUE_SIZE, BLK_DEFAULT_QUEUE_SIZE);
}

#define usage_error(fmt, arg) backend_usage_error(PROG, fmt, arg)

/* BYTES with an optional K, M, G or T suffix (powers of 1024). */
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
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	case 'T':
	case 't':
		shift = 40;
		break;
	}
	if (shift)
		digits[len - 1] = '\0';
	if (backend_parse_u64(digits, 1, BLK_MAX_SIZE >> shift, size))
		return -1;
	*size <<= shift;
	return 0;
}

/* Returns -1 to go on, or the exit status. */
static int parse_options(int argc, char **argv, struct blk_options *opt)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "queues", required_argument, NULL, 'q' },
		{ "queue-size", required_argument, NULL, 'Q' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "attach", no_argument, NULL, 'a' },
		{ "zero-copy", required_argument, NULL, 'z' },
		{ "zero-copy-min", required_argument, NULL, 'm' },
		{ "file-map", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->queues = 1;
	opt->queue_size = BLK_DEFAULT_QUEUE_SIZE;
	opt->zc_mode = BLK_ZC_AUTO;
	opt->zc_min = BLK_ZC_MIN_DEFAULT;
	opt->file_map = true;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_size(optarg, &opt->size) || opt->size % BLK_SECTOR_SIZE)
				return usage_error("--size %s: give a positive multiple of 512 bytes", optarg);
			break;
		case 'r':
			opt->read_only = true;
			break;
		case 'q':
			if (backend_parse_u64(optarg, 1, UVDEV_MAX_QUEUES, &v))
				return usage_error("--queues %s: give 1..64", optarg);
			opt->queues = (uint32_t)v;
			opt->queues_set = true;
			break;
		case 'Q':
			if (backend_parse_u64(optarg, 2, UVDEV_MAX_QUEUE_SIZE, &v) || (v & (v - 1)))
				return usage_error("--queue-size %s: give a power of two in 2..1024", optarg);
			opt->queue_size = (uint32_t)v;
			break;
		case 't':
			if (backend_parse_u64(optarg, 0, UVDEV_MAX_TIMEOUT_MS, &v))
				return usage_error("--timeout-ms %s: give 0..3600000", optarg);
			opt->timeout_ms = (uint32_t)v;
			break;
		case 'a':
			opt->attach = true;
			break;
		case 'z':
			if (!strcmp(optarg, "auto"))
				opt->zc_mode = BLK_ZC_AUTO;
			else if (!strcmp(optarg, "always"))
				opt->zc_mode = BLK_ZC_ALWAYS;
			else if (!strcmp(optarg, "never"))
				opt->zc_mode = BLK_ZC_NEVER;
			else
				return usage_error("--zero-copy %s: give auto, always or never", optarg);
			break;
		case 'm':
			if (parse_size(optarg, &v) || v > UINT32_MAX)
				return usage_error("--zero-copy-min %s: give 1 byte..4G", optarg);
			opt->zc_min = (uint32_t)v;
			break;
		case 'f':
			if (!strcmp(optarg, "auto"))
				opt->file_map = true;
			else if (!strcmp(optarg, "never"))
				opt->file_map = false;
			else
				return usage_error("--file-map %s: give auto or never", optarg);
			break;
		case 'v':
			opt->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return BACKEND_EXIT_OK;
		default:
			return usage_error("%s", "unknown option");
		}
	}
	if (argc - optind != 2)
		return usage_error("%s", "give NAME and FILE");
	opt->name = argv[optind];
	opt->path = argv[optind + 1];
	if (!uvdev_name_valid(opt->name))
		return usage_error("bad NAME '%s': 1..31 characters of [a-zA-Z0-9_-]", opt->name);
	return -1;
}

/* ---- SIGHUP: the file's size again ------------------------------------------ */

/*
 * Give the disk FILE's size now, tell the driver (config space, then the
 * bottom half with a config change), and post BLK_KEY_RELOADED. A removed
 * FILE fails the disk instead.
 */
static void blk_reload(struct backend *b, void *arg)
{
	struct blk_disk *disk = arg;
	uint32_t values[2], n = 0, events = 0;
	uint64_t size, old, sectors, le;
	struct stat st;
	int ret;

	ret = fstat(disk->fd, &st) ? -errno : disk_bytes(disk->fd, &st, &size);
	if (ret) {
		blk_disk_failed(disk, disk->path, ret);
	} else if (S_ISREG(st.st_mode) && st.st_nlink == 0) {
		blk_disk_failed(disk, "the file was removed", 0);
	} else {
		sectors = size / BLK_SECTOR_SIZE;
		old = atomic_load(&disk->limits.capacity);
		if (sectors != old) {
			atomic_store(&disk->limits.capacity, sectors);
			le = htole64(sectors);
			ret = uvdev_set_config(b->dev_fd, offsetof(struct virtio_blk_config, capacity),
					       &le, sizeof(le), 0);
			if (ret)
				backend_error(b, "updating the capacity failed: %s", strerror(-ret));
			values[n++] = UVDEV_NOTIF_BOTTOM_HALF;
			events = UVDEV_NOTIF_EV_CONFIG;
			fprintf(stderr, PROG ": %s: %s: %" PRIu64 " -> %" PRIu64 " sectors\n",
				b->name, disk->path, old, sectors);
		} else {
			backend_debug(b, "SIGHUP: %s still has %" PRIu64 " sectors", disk->path,
				      sectors);
		}
	}
	values[n++] = BLK_KEY_RELOADED;
	ret = uvdev_notify(b->dev_fd, values, n, events);
	if (ret)
		backend_error(b, "posting the reload failed: %s", strerror(-ret));
}

/* ---- main -------------------------------------------------------------------- */

static uint32_t zc_window_pages(uint32_t queues)
{
	uint64_t pages = (uint64_t)queues * BLK_ZC_WINDOW_PER_QUEUE;

	return pages < UVDEV_ZC_MAX_WINDOW_PAGES ? (uint32_t)pages :
						   UVDEV_ZC_MAX_WINDOW_PAGES;
}

/*
 * Map the device's window (with --attach, whatever size it was created
 * with) and set what the queues map. Returns 0 or -1.
 */
static int open_window(const struct backend *b, const struct blk_options *opt,
		       struct blk_disk *disk, uint32_t *pages)
{
	struct uvdev_zc_info info;
	void *window;
	int ret;

	ret = uvdev_zc_info(b->dev_fd, &info);
	if (ret == -EOPNOTSUPP && opt->attach) {
		backend_error(b, "the device has no zero-copy window (created with --zero-copy never): serving with XFER");
		return 0;
	}
	if (ret) {
		backend_error(b, "cannot query the zero-copy window: %s (a uvdev module without zero copy? use --zero-copy never)",
			      strerror(-ret));
		return -1;
	}
	ret = uvdev_zc_window(b->dev_fd, info.window_pages, &window);
	if (ret) {
		backend_error(b, "cannot map the zero-copy window of %u pages: %s (use --zero-copy never)",
			      info.window_pages, strerror(-ret));
		return -1;
	}
	disk->window = window;
	*pages = info.window_pages;
	disk->zc_min = opt->zc_mode == BLK_ZC_ALWAYS ? 1 : opt->zc_min;
	if (!disk->zc_min)
		disk->zc_min = 1;
	disk->zc_reads = opt->zc_mode == BLK_ZC_ALWAYS;
	return 0;
}

/*
 * --file-map: FILE mapped read-only for the reads (see struct blk_disk).
 * Not fatal: a FILE that cannot be mapped is read with pread(2).
 */
static void map_file(const struct backend *b, const struct blk_options *opt,
		     struct blk_disk *disk)
{
	uint64_t len = disk->limits.capacity * BLK_SECTOR_SIZE;
	void *map;

	if (len > SIZE_MAX)
		return;
	map = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, disk->fd, 0);
	if (map == MAP_FAILED) {
		backend_error(b, "cannot map %s (%s): reading it with pread(2)", opt->path,
			      strerror(errno));
		return;
	}
	disk->map = map;
	disk->map_len = len;
}

/* With --attach the device, not the options, says what the driver was told. */
static void adopt_device(const struct backend *b, const struct blk_options *opt,
			 struct blk_disk *disk, uint32_t *queues, uint32_t *queue_size)
{
	if (opt->queues_set && opt->queues != b->info.num_queues)
		backend_error(b, "--queues %u ignored: the device has %u", opt->queues,
			      b->info.num_queues);
	*queues = b->info.num_queues;
	*queue_size = b->info.max_queue_size;
	if (b->info.device_features & (1ULL << VIRTIO_BLK_F_RO))
		disk->limits.read_only = true;
}

int main(int argc, char **argv)
{
	struct blk_queue *queues[UVDEV_MAX_QUEUES] = { NULL };
	atomic_bool failed = false;
	struct blk_disk disk = { .fd = -1, .failed = &failed };
	struct virtio_blk_config config;
	struct uvdev_params params;
	struct blk_options opt;
	struct uvdev_service svc;
	bool svc_ready = false, serving = false;
	uint32_t nqueues, queue_size, i, window_pages = 0;
	struct backend b;
	int status, ret;

	status = parse_options(argc, argv, &opt);
	if (status >= 0)
		return status;
	status = BACKEND_EXIT_ERROR;
	if (backend_init(&b, PROG))
		goto cleanup;
	b.name = opt.name;
	b.attach = opt.attach;
	b.verbose = opt.verbose;
	disk.backend = &b;
	blk_serial(opt.name, disk.serial);
	if (open_file(&b, &opt, &disk))
		goto cleanup;
	if (opt.file_map)
		map_file(&b, &opt, &disk);

	nqueues = opt.queues;
	queue_size = opt.queue_size;
	blk_config(&config, &disk.limits, nqueues, queue_size);
	params = (struct uvdev_params) {
		.name = opt.name,
		.device_id = VIRTIO_ID_BLOCK,
		.features = blk_features(&disk.limits, nqueues),
		.num_queues = nqueues,
		.max_queue_size = queue_size,
		.msg_timeout_ms = opt.timeout_ms,
		.config = &config,
		.config_size = sizeof(config),
		.notif_max = BLK_NOTIF_MAX,
		.zc_window_pages = opt.zc_mode == BLK_ZC_NEVER ? 0 :
				   zc_window_pages(nqueues),
	};
	if (backend_open_device(&b, &params, VIRTIO_ID_BLOCK))
		goto cleanup;
	disk.dev_fd = b.dev_fd;
	b.reload = blk_reload;
	b.reload_arg = &disk;
	if (opt.attach) {
		adopt_device(&b, &opt, &disk, &nqueues, &queue_size);
		blk_config(&config, &disk.limits, nqueues, queue_size);
	}
	if (opt.zc_mode != BLK_ZC_NEVER &&
	    open_window(&b, &opt, &disk, &window_pages))
		goto cleanup;

	for (i = 0; i < nqueues; i++) {
		queues[i] = blk_queue_alloc(&disk);
		if (!queues[i]) {
			backend_error(&b, "out of memory for queue %u", i);
			goto cleanup;
		}
	}
	ret = uvdev_service_init(&svc, b.dev_fd, nqueues, &blk_service_ops, &disk);
	if (ret) {
		backend_error(&b, "setting up the service failed: %s", strerror(-ret));
		goto cleanup;
	}
	svc_ready = true;
	for (i = 0; i < nqueues; i++)
		svc.queues[i].priv = queues[i];
	if (backend_start(&b, &svc))
		goto cleanup;
	serving = true;

	if (opt.attach) {
		/* The capacity may have changed with FILE: tell the driver. */
		ret = uvdev_set_config(b.dev_fd, 0, &config, sizeof(config),
				       (b.info.status & VIRTIO_CONFIG_S_DRIVER_OK) ?
				       UVDEV_CONFIG_F_IRQ : 0);
		if (ret)
			backend_error(&b, "updating the config space failed: %s", strerror(-ret));
	}
	fprintf(stderr, PROG ": %s: serving %s (%" PRIu64 " sectors, %u queues)\n",
		opt.name, opt.path, disk.limits.capacity, nqueues);

	status = backend_wait(&b, &svc);
	if (opt.zc_mode != BLK_ZC_NEVER) {
		struct blk_zc_stats zs = { 0 };

		uvdev_service_stop(&svc);
		for (i = 0; i < nqueues; i++)
			blk_queue_zc_stats(queues[i], &zs);
		fprintf(stderr, PROG ": %s: zero copy: %" PRIu64 " maps, %" PRIu64
			" pages mapped, %" PRIu64 " pages copied (%" PRIu64
			" refused), %" PRIu64 " requests by XFER\n", opt.name, zs.maps,
			zs.mapped_pages, zs.copied_pages, zs.refused, zs.xfer_requests);
	}
	if (!opt.read_only && fdatasync(disk.fd)) {
		backend_error(&b, "syncing %s failed: %s", opt.path, strerror(errno));
		status = BACKEND_EXIT_ERROR;
	}

cleanup:
	if (svc_ready)
		uvdev_service_fini(&svc);
	if (!serving)
		backend_abandon(&b);
	for (i = 0; i < UVDEV_MAX_QUEUES; i++)
		blk_queue_free(queues[i]);
	uvdev_zc_window_unmap(disk.window, window_pages);
	if (disk.map)
		munmap((void *)disk.map, (size_t)disk.map_len);
	if (disk.fd >= 0)
		close(disk.fd);
	backend_fini(&b);
	return status;
}
