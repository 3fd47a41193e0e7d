// SPDX-License-Identifier: GPL-2.0
/*
 * Collection: load vtop's BPF programs (tp_btf when the module has BTF,
 * raw_tp otherwise), seed the device map with devices that existed before
 * vtop started, and read the maps into snapshots, with every queue's state
 * and every device's notification waiters as the kernel sees them (so a
 * hang that began before vtop shows at once).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect.h"
#include "vtop.skel.h"

#define SYSFS_CLASS "/sys/class/uvdev"

struct vtop_collector {
	struct vtop_bpf *skel;
	struct ring_buffer *events;
	int control_fd;			/* /dev/uvdev/control, for queue states */
	bool use_btf;
	bool measure_cost;		/* may turn BPF_ENABLE_STATS on */
	uint32_t debug_loops;
	int stats_fd;			/* keeps BPF run-time stats on; -1 if off */
	struct vtop_cost_meter cost;
	int ncpus;
	void *percpu_buf;		/* room for the largest per-CPU value */
	struct vtop_queue_stats *queue_buf;	/* one queues array value, every CPU */
	vtop_event_fn event_fn;
	void *event_ctx;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Select the tp_btf or the raw_tp entry point of every handler. */
static void select_entry_points(struct vtop_bpf *skel, bool use_btf)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) {
		const char *sec = bpf_program__section_name(prog);

		bpf_program__set_autoload(prog, !strncmp(sec, "tp_btf/", 7) == use_btf);
	}
}

static int read_sysfs_u32(const char *dev, const char *attr, uint32_t *out)
{
	char path[256], line[32], *end;
	unsigned long v;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), SYSFS_CLASS "/%s/%s", dev, attr);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	if (!ok)
		return -EINVAL;
	errno = 0;
	v = strtoul(line, &end, 0);
	if (errno || end == line || v > UINT32_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Whether the kernel.bpf_stats_enabled sysctl is on (read, never written). */
static bool stats_sysctl_on(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int on = 0;

	if (!f)
		return false;
	if (fscanf(f, "%d", &on) != 1)
		on = 0;
	fclose(f);
	return on == 1;
}

/*
 * Devices created before vtop attached are known only from sysfs. Events
 * seen since attaching win: entries are added, never replaced.
 */
static void seed_devices(struct vtop_collector *c)
{
	int fd = bpf_map__fd(c->skel->maps.devices);
	struct dirent *de;
	DIR *dir;

	dir = opendir(SYSFS_CLASS);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		struct vtop_dev info;
		uint32_t id;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(info.name))
			continue;
		memset(&info, 0, sizeof(info));
		memcpy(info.name, de->d_name, strlen(de->d_name));
		if (read_sysfs_u32(de->d_name, "dev_id", &id) ||
		    read_sysfs_u32(de->d_name, "device_id", &info.device_id) ||
		    read_sysfs_u32(de->d_name, "num_queues", &info.num_queues) ||
		    read_sysfs_u32(de->d_name, "max_queue_size", &info.max_queue_size) ||
		    read_sysfs_u32(de->d_name, "status", &info.status) ||
		    read_sysfs_u32(de->d_name, "broken", &info.broken))
			continue;
		bpf_map_update_elem(fd, &id, &info, BPF_NOEXIST);
		/* Destroyed meanwhile, and its destroy event came too early. */
		if (read_sysfs_u32(de->d_name, "dev_id", &id))
			bpf_map_delete_elem(fd, &id);
	}
	closedir(dir);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct vtop_collector *c = ctx;

	if (size >= sizeof(struct vtop_event) && c->event_fn)
		c->event_fn(data, c->event_ctx);
	return 0;
}

/*
 * The queues array has a place for every slot the module can give: its
 * max_queues parameter, all devices' queues together.
 */
static int size_queues_map(struct vtop_bpf *skel, char *err, size_t errlen)
{
	const char *path = "/sys/module/uvdev/parameters/max_queues";
	unsigned int n = VTOP_MAX_QUEUES;
	FILE *f = fopen(path, "re");
	int ret;

	if (f) {
		if (fscanf(f, "%u", &n) != 1 || n == 0 ||
		    n > VTOP_MAX_DEVICES * VTOP_MAX_DEV_QUEUES)
			n = VTOP_MAX_QUEUES;
		fclose(f);
	}
	ret = bpf_map__set_max_entries(skel->maps.queues, n);
	if (ret)
		set_err(err, errlen, "cannot size the queues array to %u: %s", n, strerror(-ret));
	return ret;
}

/* Open, load and attach one set of entry points (c->use_btf). 0 or -errno. */
static int load_and_attach(struct vtop_collector *c, char *err, size_t errlen)
{
	int ret;

	c->skel = vtop_bpf__open();
	if (!c->skel) {
		ret = -errno;
		set_err(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return ret;
	}
	select_entry_points(c->skel, c->use_btf);
	ret = size_queues_map(c->skel, err, errlen);
	if (ret)
		goto err_destroy;
	c->skel->rodata->debug_loops = c->debug_loops;
	ret = vtop_bpf__load(c->skel);
	if (ret) {
		set_err(err, errlen, "cannot load the BPF programs: %s "
			"(run with -v for the verifier log)", strerror(-ret));
		goto err_destroy;
	}
	ret = vtop_bpf__attach(c->skel);
	if (ret) {
		set_err(err, errlen, "cannot attach to the uvdev tracepoints: %s "
			"(is this uvdev.ko from the same source as vtop?)", strerror(-ret));
		goto err_destroy;
	}
	return 0;

err_destroy:
	vtop_bpf__destroy(c->skel);
	c->skel = NULL;
	return ret;
}

struct vtop_collector *vtop_collector_open(const struct vtop_collect_opts *opts,
					   char *err, size_t errlen)
{
	struct vtop_collector *c;
	int ret;

	if (access("/sys/module/uvdev", F_OK)) {
		set_err(err, errlen, "the uvdev module is not loaded "
			"(load it with 'insmod build/modules/uvdev.ko')");
		return NULL;
	}
	if (geteuid() != 0) {
		set_err(err, errlen, "vtop needs root (CAP_BPF and CAP_PERFMON) "
			"to load its BPF programs; run it with sudo");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	c->stats_fd = -1;
	c->control_fd = open(UVDEV_CONTROL_PATH, O_RDONLY | O_CLOEXEC);
	if (c->control_fd < 0) {
		set_err(err, errlen, "cannot open %s: %s (is the uvdev module loaded?)",
			UVDEV_CONTROL_PATH, strerror(errno));
		free(c);
		return NULL;
	}
	c->debug_loops = opts->debug_loops;
	c->use_btf = !opts->force_raw_tp && !access("/sys/kernel/btf/uvdev", F_OK);
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0) {
		set_err(err, errlen, "cannot count the possible CPUs: %s",
			strerror(-c->ncpus));
		goto err_free;
	}
	c->percpu_buf = calloc(c->ncpus, sizeof(struct vtop_dev_stats));
	c->queue_buf = calloc(c->ncpus, sizeof(*c->queue_buf));
	if (!c->percpu_buf || !c->queue_buf) {
		set_err(err, errlen, "out of memory");
		goto err_free;
	}

	ret = load_and_attach(c, err, errlen);
	if (ret && c->use_btf) {
		/* The module's BTF may not match: the raw entry points need none. */
		c->use_btf = false;
		ret = load_and_attach(c, err, errlen);
	}
	if (ret)
		goto err_free;
	c->events = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_event, c, NULL);
	if (!c->events) {
		set_err(err, errlen, "cannot open the event ring buffer: %s", strerror(errno));
		goto err_destroy;
	}
	c->measure_cost = opts->measure_cost;
	vtop_cost_meter_init(&c->cost, c->measure_cost, stats_sysctl_on());
	seed_devices(c);
	return c;

err_destroy:
	vtop_bpf__destroy(c->skel);
err_free:
	free(c->queue_buf);
	free(c->percpu_buf);
	close(c->control_fd);
	free(c);
	return NULL;
}

void vtop_collector_close(struct vtop_collector *c)
{
	if (!c)
		return;
	ring_buffer__free(c->events);
	vtop_bpf__destroy(c->skel);
	if (c->stats_fd >= 0)
		close(c->stats_fd);
	close(c->control_fd);
	free(c->queue_buf);
	free(c->percpu_buf);
	free(c);
}

const char *vtop_collector_mode(const struct vtop_collector *c)
{
	return c->use_btf ? "tp_btf" : "raw_tp";
}

/* Sum a per-CPU value of @words u64s into @out. */
static int lookup_percpu_sum(struct vtop_collector *c, int fd, const void *key,
			     uint64_t *out, size_t words)
{
	const uint64_t *vals = c->percpu_buf;
	int cpu, ret;
	size_t i;

	memset(out, 0, words * sizeof(*out));
	ret = bpf_map_lookup_elem(fd, key, c->percpu_buf);
	if (ret)
		return ret;
	for (cpu = 0; cpu < c->ncpus; cpu++)
		for (i = 0; i < words; i++)
			out[i] += vals[cpu * words + i];
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct vtop_dev_snap *x = a, *y = b;

	return (x->dev > y->dev) - (x->dev < y->dev);
}

/* Grow *@arr to hold @n + 1 entries of @size bytes. */
static int reserve(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, *cap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

static int collect_devices(struct vtop_collector *c, struct vtop_snapshot *snap)
{
	int fd = bpf_map__fd(c->skel->maps.devices);
	int stats_fd = bpf_map__fd(c->skel->maps.dev_stats);
	uint32_t key, next;
	bool have_key = false;
	size_t cap = 0, i, n;

	while (!bpf_map_get_next_key(fd, have_key ? &key : NULL, &next)) {
		struct vtop_dev_snap *d;

		key = next;
		have_key = true;
		if (reserve((void **)&snap->devs, &cap, snap->ndevs, sizeof(*snap->devs)))
			return -ENOMEM;
		d = &snap->devs[snap->ndevs];
		memset(d, 0, sizeof(*d));
		d->dev = key;
		if (bpf_map_lookup_elem(fd, &key, &d->info))
			continue;
		lookup_percpu_sum(c, stats_fd, &key, (uint64_t *)&d->stats,
				  sizeof(d->stats) / sizeof(uint64_t));
		snap->ndevs++;
	}
	qsort(snap->devs, snap->ndevs, sizeof(*snap->devs), cmp_dev);
	/* A key deleted during the walk restarts it: drop repeats. */
	for (i = 0, n = 0; i < snap->ndevs; i++)
		if (!n || snap->devs[n - 1].dev != snap->devs[i].dev)
			snap->devs[n++] = snap->devs[i];
	snap->ndevs = n;
	return 0;
}

/*
 * The counters of the queue at @slot owned by the device with @serial:
 * the sum of the CPUs whose copy is that owner's (see vtop.h); zero if none.
 */
static void read_queue_stats(struct vtop_collector *c, uint32_t slot, uint32_t serial,
			     struct vtop_queue_stats *out)
{
	int fd = bpf_map__fd(c->skel->maps.queues);
	size_t words = sizeof(*out) / sizeof(uint64_t), i;
	uint64_t *sum = (uint64_t *)out;
	int cpu;

	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(fd, &slot, c->queue_buf))
		return;			/* a slot past the array: counted as drops */
	for (cpu = 0; cpu < c->ncpus; cpu++) {
		const uint64_t *vals = (const uint64_t *)&c->queue_buf[cpu];

		if (c->queue_buf[cpu].serial != serial)
			continue;
		for (i = 0; i < words; i++)
			sum[i] += vals[i];
	}
	out->serial = serial;
	out->dev = 0;
	out->queue = 0;
	out->pad = 0;
}

/*
 * Every queue of every known device: what its ring holds now, from the
 * kernel, and its counters, from the queues array at the slot the kernel
 * names. Each device gets its status and broken flag as they are now.
 */
static int collect_queues(struct vtop_collector *c, struct vtop_snapshot *snap)
{
	size_t i, cap = 0;

	for (i = 0; i < snap->ndevs; i++) {
		struct vtop_dev_snap *d = &snap->devs[i];
		uint32_t q;

		for (q = 0; q < d->info.num_queues && q < VTOP_MAX_DEV_QUEUES; q++) {
			struct uvdev_queue_state st = { .dev_id = d->dev, .queue = q };
			struct vtop_queue_snap *qs;

			if (ioctl(c->control_fd, UVDEV_IOC_QUEUE_STATE, &st))
				break;		/* destroyed meanwhile */
			if (reserve((void **)&snap->queues, &cap, snap->nqueues,
				    sizeof(*snap->queues)))
				return -ENOMEM;
			qs = &snap->queues[snap->nqueues++];
			memset(qs, 0, sizeof(*qs));
			qs->dev = d->dev;
			qs->queue = q;
			read_queue_stats(c, st.slot, st.serial, &qs->stats);
			qs->k = (struct vtop_kqueue) {
				.known = true,
				.size = st.size,
				.flags = st.flags,
				.pending = st.pending,
				.inflight = st.inflight,
				.pending_since_ns = st.pending_since_ns,
				.inflight_since_ns = st.inflight_since_ns,
				.irq_since_ns = st.irq_since_ns,
			};
			d->info.status = st.status;
			if (st.flags & UVDEV_QUEUE_BROKEN)
				d->info.broken = 1;
		}
	}
	/* Devices are sorted by id and queues listed in order: (dev, queue). */
	return 0;
}

/* Each device's notification waiters, from the kernel. */
static void collect_notif(struct vtop_collector *c, struct vtop_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->ndevs; i++) {
		struct vtop_dev_snap *d = &snap->devs[i];
		struct uvdev_notif_state st = { .dev_id = d->dev };

		if (ioctl(c->control_fd, UVDEV_IOC_NOTIF_STATE, &st))
			continue;		/* destroyed meanwhile */
		d->notif = (struct vtop_knotif) {
			.known = true,
			.notif_max = st.notif_max,
			.waiters = st.waiters,
			.remembered_now = st.remembered_now,
			.oldest_wait_ns = st.waiters ? st.oldest_wait_ns : 0,
		};
	}
}

static void collect_msgs(struct vtop_collector *c, struct vtop_snapshot *snap)
{
	int fd = bpf_map__fd(c->skel->maps.msg_inflight);
	struct vtop_msg_key key, next;
	bool have_key = false;

	while (!bpf_map_get_next_key(fd, have_key ? &key : NULL, &next)) {
		struct vtop_msg_inflight val;
		struct vtop_dev_snap *d;

		key = next;
		have_key = true;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		d = (struct vtop_dev_snap *)vtop_snapshot_dev(snap, key.dev);
		if (!d)
			continue;
		d->msgs_inflight++;
		if (!d->oldest_msg_ns || val.send_ns < d->oldest_msg_ns)
			d->oldest_msg_ns = val.send_ns;
	}
}

/* The run-time counters of vtop's programs, summed. */
static void read_cost(struct vtop_collector *c, uint64_t *run_ns, uint64_t *runs)
{
	struct bpf_program *prog;

	*run_ns = *runs = 0;
	bpf_object__for_each_program(prog, c->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		*run_ns += info.run_time_ns;
		*runs += info.run_cnt;
	}
}

int vtop_collector_measure(struct vtop_collector *c, bool on)
{
	uint64_t run_ns, runs;
	int err = 0;

	if (on == (c->stats_fd >= 0) || (on && !c->measure_cost))
		return 0;
	if (on) {
		c->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (c->stats_fd < 0) {
			err = -errno;
			c->stats_fd = -1;
		}
	} else {
		close(c->stats_fd);
		c->stats_fd = -1;
	}
	read_cost(c, &run_ns, &runs);
	vtop_cost_meter_switched(&c->cost, on, err, run_ns, runs);
	return err;
}

int vtop_collect(struct vtop_collector *c, struct vtop_snapshot *snap)
{
	int lc_fd = bpf_map__fd(c->skel->maps.lifecycle_counts);
	int drops_fd = bpf_map__fd(c->skel->maps.drops);
	struct timespec mono, wall;
	uint64_t run_ns, runs;
	uint32_t slot;
	int ret;

	memset(snap, 0, sizeof(*snap));
	ret = collect_devices(c, snap);
	if (!ret)
		ret = collect_queues(c, snap);
	if (ret) {
		vtop_snapshot_free(snap);
		return ret;
	}
	collect_notif(c, snap);
	/* After the kernel's state: no age it reports is in the future. */
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	snap->now_ns = (uint64_t)mono.tv_sec * 1000000000ULL + mono.tv_nsec;
	snap->wall_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
	collect_msgs(c, snap);
	read_cost(c, &run_ns, &runs);
	vtop_cost_meter_read(&c->cost, run_ns, runs, snap->now_ns);
	snap->cost = c->cost.fig;
	for (slot = 0; slot < VTOP_LC_MAX; slot++)
		lookup_percpu_sum(c, lc_fd, &slot, &snap->lifecycle[slot], 1);
	for (slot = 0; slot < VTOP_DROP_KINDS; slot++)
		lookup_percpu_sum(c, drops_fd, &slot, &snap->drops[slot], 1);
	return 0;
}

int vtop_collect_events(struct vtop_collector *c, vtop_event_fn fn, void *ctx)
{
	int n;

	c->event_fn = fn;
	c->event_ctx = ctx;
	n = ring_buffer__consume(c->events);
	c->event_fn = NULL;
	return n;
}
