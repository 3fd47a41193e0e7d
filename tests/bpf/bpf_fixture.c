// SPDX-License-Identifier: GPL-2.0
/*
 * The bpf tier's fixture: load vtop's raw_tp programs, run them with
 * crafted tracepoint arguments, read the maps and the ring buffer back.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include <uapi/uvdev_trace.h>

#include "bpf_fixture.h"

/* ---- setup -------------------------------------------------------------- */

static int on_event(void *ctx, void *data, size_t size)
{
	struct fx *fx = ctx;
	struct vtop_event *ev;

	if (fx->nev == FX_MAX_EVENTS) {
		fx->lost++;
		return 0;
	}
	ev = &fx->ev[fx->nev++];
	/* A record of the wrong size shows as an event of type 0. */
	memset(ev, 0, sizeof(*ev));
	if (size == sizeof(*ev))
		memcpy(ev, data, sizeof(*ev));
	return 0;
}

static int setup(void **state, uint32_t debug_loops)
{
	struct bpf_program *prog;
	struct fx *fx;

	fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	fx->test = *state;
	fx->cpu = -1;
	fx->skel = vtop_bpf__open();
	if (!fx->skel) {
		fprintf(stderr, "cannot open vtop's BPF object: %s\n", strerror(errno));
		goto fail;
	}
	fx->skel->rodata->debug_loops = debug_loops;
	/* Only the raw_tp entry points load here: tp_btf needs uvdev's BTF. */
	bpf_object__for_each_program(prog, fx->skel->obj)
		bpf_program__set_autoload(prog,
			!strncmp(bpf_program__section_name(prog), "raw_tp/", 7));
	if (vtop_bpf__load(fx->skel)) {
		fprintf(stderr, "cannot load vtop's BPF programs (root needed): %s\n",
			strerror(errno));
		goto fail;
	}
	if (bpf_map__max_entries(fx->skel->maps.events) != FX_RINGBUF_BYTES) {
		fprintf(stderr, "the events ring buffer has %u bytes, the tests expect %d: "
			"update FX_RINGBUF_BYTES\n",
			bpf_map__max_entries(fx->skel->maps.events), FX_RINGBUF_BYTES);
		goto fail;
	}
	fx->rb = ring_buffer__new(bpf_map__fd(fx->skel->maps.events), on_event, fx, NULL);
	if (!fx->rb) {
		fprintf(stderr, "cannot open the events ring buffer: %s\n", strerror(errno));
		goto fail;
	}
	*state = fx;
	return 0;
fail:
	vtop_bpf__destroy(fx->skel);
	free(fx);
	return -1;
}

static const char *const drop_names[VTOP_DROP_KINDS] = {
	[VTOP_DROP_QUEUES] = "queues",
	[VTOP_DROP_DEVICES] = "devices",
	[VTOP_DROP_MSGS] = "msgs",
	[VTOP_DROP_EVENTS] = "events",
};

int fx_setup(void **state)
{
	return setup(state, 0);
}

int fx_setup_debug_loops(void **state)
{
	return setup(state, VTOP_DEBUG_LOOPS_MAX);
}

int fx_teardown(void **state)
{
	struct fx *fx = *state;

	ring_buffer__free(fx->rb);
	vtop_bpf__destroy(fx->skel);
	free(fx);
	return 0;
}

void fx_run_test(void **state)
{
	struct fx *fx = *state;
	int kind, bad = 0;

	fx->test->fn(state);
	for (kind = 0; kind < VTOP_DROP_KINDS; kind++) {
		uint64_t n = fx_drops(fx, kind);

		if (n == fx->drops[kind])
			continue;
		print_error("drops[%s] = %llu at the end, the test expected %llu\n",
			    drop_names[kind], (unsigned long long)n,
			    (unsigned long long)fx->drops[kind]);
		bad++;
	}
	assert_int_equal(bad, 0);
}

void fx_on_cpu(struct fx *fx, int cpu)
{
	fx->cpu = cpu;
}

int fx_online_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int cpu, n = 0;

	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	for (cpu = 0; cpu < CPU_SETSIZE && n < max; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[n++] = cpu;
	return n;
}

/* ---- runs --------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static struct fx_run run(struct fx *fx, struct bpf_program *prog,
			 const uint64_t *args, size_t n)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.ctx_in = args,
		.ctx_size_in = n * sizeof(*args),
	);
	int err;

	if (fx->cpu >= 0) {
		opts.flags = BPF_F_TEST_RUN_ON_CPU;
		opts.cpu = fx->cpu;
	}
	fx->last.before = now_ns();
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	fx->last.after = now_ns();
	if (err)
		print_error("BPF_PROG_TEST_RUN of %s: %s\n", bpf_program__name(prog),
			    strerror(errno));
	assert_int_equal(err, 0);
	assert_int_equal(opts.retval, 0);
	return fx->last;
}

#define RUN(fx, event, ...)						\
	({								\
		const uint64_t args_[] = { __VA_ARGS__ };		\
		run(fx, (fx)->skel->progs.raw_##event, args_,		\
		    ARRAY_SIZE(args_));					\
	})


uint32_t fx_slot(struct fx *fx, uint32_t dev, uint32_t queue)
{
	uint32_t i;

	if (queue == UVDEV_TRACE_QUEUE_CONFIG)
		return UVDEV_TRACE_SLOT_NONE;
	for (i = 0; i < fx->nslots; i++)
		if (fx->slots[i].dev == dev && fx->slots[i].queue == queue)
			return i;
	assert_true(fx->nslots < ARRAY_SIZE(fx->slots));
	fx->slots[fx->nslots] = (struct vtop_owner){ .dev = dev, .queue = queue };
	return fx->nslots++;
}

uint32_t fx_serial(struct fx *fx, uint32_t dev)
{
	assert_in_range(dev, 0, VTOP_MAX_DEVICES);
	if (!fx->serial[dev])
		fx->serial[dev] = ++fx->last_serial;
	return fx->serial[dev];
}

struct fx_run fx_dev_create(struct fx *fx, uint32_t dev, uint32_t device_id,
			    uint32_t num_queues, uint32_t max_queue_size)
{
	if (dev <= VTOP_MAX_DEVICES)
		fx->serial[dev] = ++fx->last_serial;
	return RUN(fx, uvdev_dev_create, dev, 0, device_id, num_queues, max_queue_size);
}

struct fx_run fx_dev_destroy(struct fx *fx, uint32_t dev, uint32_t device_id,
			     uint32_t num_queues, uint32_t max_queue_size)
{
	struct fx_run r = RUN(fx, uvdev_dev_destroy, dev, 0, device_id, num_queues,
			      max_queue_size);

	if (dev <= VTOP_MAX_DEVICES)
		fx->serial[dev] = 0;
	return r;
}

struct fx_run fx_status(struct fx *fx, uint32_t dev, uint32_t old_status,
			uint32_t new_status)
{
	return RUN(fx, uvdev_status, dev, old_status, new_status);
}

struct fx_run fx_dev_broken(struct fx *fx, uint32_t dev, uint32_t reason)
{
	return RUN(fx, uvdev_dev_broken, dev, reason);
}

struct fx_run fx_vq_setup(struct fx *fx, uint32_t dev, uint32_t queue,
			  uint32_t size, uint32_t ready)
{
	return RUN(fx, uvdev_vq_setup, dev, queue, size, ready);
}

struct fx_run fx_msg_send(struct fx *fx, uint32_t dev, uint32_t id, uint32_t type)
{
	return RUN(fx, uvdev_msg_send, dev, id, type);
}

struct fx_run fx_msg_done(struct fx *fx, uint32_t dev, uint32_t id, uint32_t type,
			  uint32_t result, uint64_t latency_ns)
{
	return RUN(fx, uvdev_msg_done, dev, id, type, result, latency_ns);
}

struct fx_run fx_kick_as(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t mode,
			 uint32_t slot, uint32_t serial)
{
	/* The avail index is traced for humans; the program ignores it. */
	return RUN(fx, uvdev_kick, dev, queue, 0x1234, mode, slot, serial);
}

struct fx_run fx_kick(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t mode)
{
	return fx_kick_as(fx, dev, queue, mode, fx_slot(fx, dev, queue), fx_serial(fx, dev));
}

struct fx_run fx_vq_pop(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t head,
			uint32_t bytes, uint64_t wait_ns, uint32_t pending,
			uint32_t inflight, uint32_t resubmitted)
{
	return RUN(fx, uvdev_vq_pop, dev, queue, head, bytes, wait_ns, pending,
			inflight, resubmitted, fx_slot(fx, dev, queue), fx_serial(fx, dev));
}

struct fx_run fx_vq_push(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t head,
			 uint32_t bytes, uint64_t service_ns, uint32_t inflight,
			 uint32_t result)
{
	return RUN(fx, uvdev_vq_push, dev, queue, head, bytes, service_ns,
			inflight, result, fx_slot(fx, dev, queue), fx_serial(fx, dev));
}

struct fx_run fx_irq_inject(struct fx *fx, uint32_t dev, uint32_t queue)
{
	return RUN(fx, uvdev_irq_inject, dev, queue, fx_slot(fx, dev, queue),
		   fx_serial(fx, dev));
}

struct fx_run fx_irq_deliver(struct fx *fx, uint32_t dev, uint32_t queue,
			     uint64_t latency_ns, uint32_t outcome)
{
	return RUN(fx, uvdev_irq_deliver, dev, queue, latency_ns, outcome,
		   fx_slot(fx, dev, queue), fx_serial(fx, dev));
}

struct fx_run fx_notif_post(struct fx *fx, uint32_t dev, uint32_t value, uint32_t batch)
{
	return RUN(fx, uvdev_notif_post, dev, value, batch);
}

struct fx_run fx_notif_deliver(struct fx *fx, uint32_t dev, uint32_t value,
			       uint64_t latency_ns, uint32_t posts, uint32_t woken)
{
	return RUN(fx, uvdev_notif_deliver, dev, value, latency_ns, posts, woken);
}

struct fx_run fx_notif_wait_end(struct fx *fx, uint32_t dev, uint32_t key,
				uint32_t result, uint64_t waited_ns)
{
	return RUN(fx, uvdev_notif_wait_end, dev, key, result, waited_ns);
}

struct fx_run fx_notif_bh(struct fx *fx, uint32_t dev, uint32_t events,
			  uint64_t latency_ns)
{
	return RUN(fx, uvdev_notif_bh, dev, events, latency_ns);
}

struct fx_run fx_zc_map(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t head,
			uint32_t id, uint32_t mapped, uint32_t copied, uint32_t result)
{
	return RUN(fx, uvdev_zc_map, dev, queue, head, id, mapped, copied, result,
		   fx_slot(fx, dev, queue), fx_serial(fx, dev));
}

struct fx_run fx_zc_complete(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t lo,
			     uint32_t hi, uint32_t pages, uint32_t copied,
			     uint64_t latency_ns)
{
	return RUN(fx, uvdev_zc_complete, dev, queue, lo, hi, pages, copied, latency_ns,
		   fx_slot(fx, dev, queue), fx_serial(fx, dev));
}

/* ---- maps --------------------------------------------------------------- */

static int lookup(struct bpf_map *map, const void *key, void *val)
{
	return bpf_map_lookup_elem(bpf_map__fd(map), key, val);
}

static bool is_percpu(const struct bpf_map *map)
{
	switch (bpf_map__type(map)) {
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return true;
	default:
		return false;
	}
}

static bool has(struct bpf_map *map, const void *key)
{
	size_t size = bpf_map__value_size(map);
	void *val;
	int err;

	/* The kernel lays per-CPU values out 8-byte aligned, one per CPU. */
	if (is_percpu(map))
		size = (size + 7) / 8 * 8 * libbpf_num_possible_cpus();
	val = malloc(size);
	assert_non_null(val);
	err = lookup(map, key, val);
	free(val);
	if (err)
		assert_int_equal(errno, ENOENT);
	return !err;
}

/*
 * The per-CPU values of @key, a struct of @size bytes of u64s: their sum
 * over every possible CPU (@cpu < 0) or one CPU's share, into @out.
 */
static void percpu_read(struct bpf_map *map, const void *key, int cpu, void *out,
			size_t size)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t words = size / sizeof(uint64_t), stride;
	uint64_t *vals, *sum = out;
	int c;
	size_t i;

	assert_true(ncpu > 0);
	assert_true(cpu < ncpu);
	assert_true(is_percpu(map));
	assert_int_equal(size % sizeof(uint64_t), 0);
	assert_int_equal(bpf_map__value_size(map), size);
	stride = (size + 7) / 8;
	vals = calloc(ncpu, stride * sizeof(uint64_t));
	assert_non_null(vals);
	if (lookup(map, key, vals)) {
		print_error("no entry in %s: %s\n", bpf_map__name(map), strerror(errno));
		free(vals);
		fail();
	}
	memset(out, 0, size);
	for (c = 0; c < ncpu; c++) {
		if (cpu >= 0 && c != cpu)
			continue;
		for (i = 0; i < words; i++)
			sum[i] += vals[c * stride + i];
	}
	free(vals);
}

/*
 * Every CPU's copy of the queues array at @slot, into a new array the
 * caller frees; NULL if the slot is past the array.
 */
static struct vtop_queue_stats *queue_copies(struct fx *fx, uint32_t slot)
{
	struct bpf_map *map = fx->skel->maps.queues;
	struct vtop_queue_stats *v;
	int ncpu = libbpf_num_possible_cpus();

	assert_true(ncpu > 0);
	assert_int_equal(bpf_map__value_size(map), sizeof(*v));
	v = calloc(ncpu, sizeof(*v));
	assert_non_null(v);
	if (lookup(map, &slot, v)) {
		free(v);
		return NULL;
	}
	return v;
}

/* Does some CPU's copy at @slot belong to @serial (not 0)? */
static bool slot_has(struct fx *fx, uint32_t slot, uint32_t serial)
{
	struct vtop_queue_stats *v = queue_copies(fx, slot);
	int c, ncpu = libbpf_num_possible_cpus();
	bool found = false;

	for (c = 0; v && serial && c < ncpu && !found; c++)
		found = v[c].serial == serial;
	free(v);
	return found;
}

static struct vtop_msg_key mkey(uint32_t dev, uint32_t id)
{
	return (struct vtop_msg_key){ .dev = dev, .id = id };
}

struct vtop_queue_stats fx_queue_stats(struct fx *fx, uint32_t dev, uint32_t queue)
{
	return fx_queue_stats_cpu(fx, dev, queue, -1);
}

/*
 * As vtop reads them: the sum of the CPUs whose copy has the device's
 * current serial, with the owner fields cleared. Asserts one CPU has it.
 */
struct vtop_queue_stats fx_queue_stats_cpu(struct fx *fx, uint32_t dev,
					   uint32_t queue, int cpu)
{
	uint32_t slot = fx_slot(fx, dev, queue), serial = fx->serial[dev];
	struct vtop_queue_stats s, *v;
	size_t words = sizeof(s) / sizeof(uint64_t), i;
	int c, ncpu = libbpf_num_possible_cpus();
	uint64_t *sum = (uint64_t *)&s;

	if (!slot_has(fx, slot, serial)) {
		print_error("no counters of dev %u queue %u (slot %u serial %u)\n", dev,
			    queue, slot, serial);
		fail();
	}
	assert_true(cpu < ncpu);
	v = queue_copies(fx, slot);
	assert_non_null(v);
	memset(&s, 0, sizeof(s));
	for (c = 0; c < ncpu; c++) {
		if ((cpu >= 0 && c != cpu) || v[c].serial != serial)
			continue;
		assert_int_equal(v[c].dev, dev);
		assert_int_equal(v[c].queue, queue);
		for (i = 0; i < words; i++)
			sum[i] += ((const uint64_t *)&v[c])[i];
	}
	free(v);
	s.serial = s.dev = s.queue = s.pad = 0;
	return s;
}

struct vtop_dev_stats fx_dev_stats(struct fx *fx, uint32_t dev)
{
	struct vtop_dev_stats s;

	percpu_read(fx->skel->maps.dev_stats, &dev, -1, &s, sizeof(s));
	return s;
}

struct vtop_dev fx_dev(struct fx *fx, uint32_t dev)
{
	struct vtop_dev d;

	assert_int_equal(lookup(fx->skel->maps.devices, &dev, &d), 0);
	return d;
}

struct vtop_msg_inflight fx_msg(struct fx *fx, uint32_t dev, uint32_t id)
{
	struct vtop_msg_key key = mkey(dev, id);
	struct vtop_msg_inflight m;

	assert_int_equal(lookup(fx->skel->maps.msg_inflight, &key, &m), 0);
	return m;
}

uint64_t fx_lifecycle(struct fx *fx, enum vtop_lifecycle slot)
{
	uint32_t key = slot;
	uint64_t n;

	percpu_read(fx->skel->maps.lifecycle_counts, &key, -1, &n, sizeof(n));
	return n;
}

uint64_t fx_drops(struct fx *fx, enum vtop_drop kind)
{
	uint32_t key = kind;
	uint64_t n;

	percpu_read(fx->skel->maps.drops, &key, -1, &n, sizeof(n));
	return n;
}

bool fx_has_queue(struct fx *fx, uint32_t dev, uint32_t queue)
{
	uint32_t slot;

	for (slot = 0; slot < fx->nslots; slot++)
		if (fx->slots[slot].dev == dev && fx->slots[slot].queue == queue)
			return dev <= VTOP_MAX_DEVICES &&
			       slot_has(fx, slot, fx->serial[dev]);
	return false;
}

unsigned int fx_queue_entries(struct fx *fx)
{
	unsigned int n = 0;
	uint32_t slot;

	for (slot = 0; slot < fx->nslots; slot++)
		n += fx_has_queue(fx, fx->slots[slot].dev, fx->slots[slot].queue);
	return n;
}

bool fx_has_dev_stats(struct fx *fx, uint32_t dev)
{
	return has(fx->skel->maps.dev_stats, &dev);
}

bool fx_has_dev(struct fx *fx, uint32_t dev)
{
	return has(fx->skel->maps.devices, &dev);
}

bool fx_has_msg(struct fx *fx, uint32_t dev, uint32_t id)
{
	struct vtop_msg_key key = mkey(dev, id);

	return has(fx->skel->maps.msg_inflight, &key);
}

unsigned int fx_count(struct bpf_map *map)
{
	size_t ksize = bpf_map__key_size(map);
	char *key = calloc(2, ksize), *next = key + ksize;
	unsigned int n = 0;
	void *prev = NULL;

	assert_non_null(key);
	while (!bpf_map_get_next_key(bpf_map__fd(map), prev, next)) {
		memcpy(key, next, ksize);
		prev = key;
		n++;
	}
	assert_int_equal(errno, ENOENT);
	free(key);
	return n;
}

void fx_expect_drops_at(struct fx *fx, const uint64_t *want, const char *file, int line)
{
	int kind, bad = 0;

	for (kind = 0; kind < VTOP_DROP_KINDS; kind++) {
		uint64_t n = fx_drops(fx, kind);

		if (n != want[kind]) {
			print_error("drops[%s]: got %llu, want %llu\n", drop_names[kind],
				    (unsigned long long)n, (unsigned long long)want[kind]);
			bad++;
		}
		fx->drops[kind] = want[kind];
	}
	if (bad)
		_fail(file, line);
}

/* ---- whole-struct comparison -------------------------------------------- */

/* A run of u64 words of a counters struct, by name. */
struct field {
	const char *name;
	size_t off;
	size_t words;
};

#define FIELD(type, member)						\
	{ #member, offsetof(type, member),				\
	  sizeof(((type *)0)->member) / sizeof(uint64_t) }

static const struct field queue_stats_fields[] = {
	/* serial, dev, queue, pad: cleared by fx_queue_stats(), so 0. */
	{ "owner", 0, offsetof(struct vtop_queue_stats, kicks) / sizeof(uint64_t) },
	FIELD(struct vtop_queue_stats, kicks),
	FIELD(struct vtop_queue_stats, pops),
	FIELD(struct vtop_queue_stats, pop_bytes),
	FIELD(struct vtop_queue_stats, resubmits),
	FIELD(struct vtop_queue_stats, pushes),
	FIELD(struct vtop_queue_stats, push_bytes),
	FIELD(struct vtop_queue_stats, failed),
	FIELD(struct vtop_queue_stats, irq_injects),
	FIELD(struct vtop_queue_stats, irq_delivers),
	FIELD(struct vtop_queue_stats, wait_sum_ns),
	FIELD(struct vtop_queue_stats, service_sum_ns),
	FIELD(struct vtop_queue_stats, irq_sum_ns),
	FIELD(struct vtop_queue_stats, wait_hist),
	FIELD(struct vtop_queue_stats, service_hist),
	FIELD(struct vtop_queue_stats, irq_hist),
	FIELD(struct vtop_queue_stats, zc_maps),
	FIELD(struct vtop_queue_stats, zc_mapped_pages),
	FIELD(struct vtop_queue_stats, zc_copied_pages),
	FIELD(struct vtop_queue_stats, zc_fallbacks),
	FIELD(struct vtop_queue_stats, zc_completions),
	FIELD(struct vtop_queue_stats, zc_complete_sum_ns),
	FIELD(struct vtop_queue_stats, zc_complete_hist),
};

static const struct field dev_stats_fields[] = {
	FIELD(struct vtop_dev_stats, msgs),
	FIELD(struct vtop_dev_stats, msg_sum_ns),
	FIELD(struct vtop_dev_stats, msg_hist),
	FIELD(struct vtop_dev_stats, config_irq_injects),
	FIELD(struct vtop_dev_stats, config_irq_delivers),
	FIELD(struct vtop_dev_stats, status_changes),
	FIELD(struct vtop_dev_stats, notif.posts),
	FIELD(struct vtop_dev_stats, notif.deliveries),
	FIELD(struct vtop_dev_stats, notif.merged),
	FIELD(struct vtop_dev_stats, notif.woke),
	FIELD(struct vtop_dev_stats, notif.wakeups),
	FIELD(struct vtop_dev_stats, notif.unwaited),
	FIELD(struct vtop_dev_stats, notif.bh_requests),
	FIELD(struct vtop_dev_stats, notif.bottom_halves),
	FIELD(struct vtop_dev_stats, notif.waits),
	FIELD(struct vtop_dev_stats, notif.deliver_sum_ns),
	FIELD(struct vtop_dev_stats, notif.wait_sum_ns),
	FIELD(struct vtop_dev_stats, notif.deliver_hist),
	FIELD(struct vtop_dev_stats, notif.wait_hist),
};

static void assert_fields(const char *what, const void *got, const void *want,
			  size_t size, const struct field *fields, size_t nfields,
			  const char *file, int line)
{
	size_t i, w, covered = 0, bad = 0;

	for (i = 0; i < nfields; i++) {
		const uint64_t *g = (const uint64_t *)((const char *)got + fields[i].off);
		const uint64_t *e = (const uint64_t *)((const char *)want + fields[i].off);

		assert_int_equal(fields[i].off, covered);
		for (w = 0; w < fields[i].words; w++) {
			if (g[w] == e[w])
				continue;
			if (fields[i].words > 1)
				print_error("%s.%s[%zu]: got %llu, want %llu\n", what,
					    fields[i].name, w, (unsigned long long)g[w],
					    (unsigned long long)e[w]);
			else
				print_error("%s.%s: got %llu, want %llu\n", what,
					    fields[i].name, (unsigned long long)g[w],
					    (unsigned long long)e[w]);
			bad++;
		}
		covered += fields[i].words * sizeof(uint64_t);
	}
	/* The tables above name every field: a new one must be added there. */
	assert_int_equal(covered, size);
	if (bad)
		_fail(file, line);
}

void fx_assert_queue_stats_at(const struct vtop_queue_stats *got,
			      const struct vtop_queue_stats *want,
			      const char *file, int line)
{
	assert_fields("queue_stats", got, want, sizeof(*got), queue_stats_fields,
		      ARRAY_SIZE(queue_stats_fields),
		      file, line);
}

void fx_assert_dev_stats_at(const struct vtop_dev_stats *got,
			    const struct vtop_dev_stats *want,
			    const char *file, int line)
{
	assert_fields("dev_stats", got, want, sizeof(*got), dev_stats_fields,
		      ARRAY_SIZE(dev_stats_fields),
		      file, line);
}

/* ---- events ------------------------------------------------------------- */

static void read_events(struct fx *fx)
{
	int n = ring_buffer__consume(fx->rb);

	assert_true(n >= 0);
	if (fx->lost) {
		print_error("%zu events read beyond the fixture's %d\n", fx->lost,
			    FX_MAX_EVENTS);
		fail();
	}
}

static const char *const event_names[] = {
	[VTOP_EV_DEV_CREATE] = "DEV_CREATE",
	[VTOP_EV_DEV_DESTROY] = "DEV_DESTROY",
	[VTOP_EV_MSG_TIMEOUT] = "MSG_TIMEOUT",
	[VTOP_EV_STATUS] = "STATUS",
	[VTOP_EV_VQ_SETUP] = "VQ_SETUP",
	[VTOP_EV_BROKEN] = "BROKEN",
};

static void print_event(const char *what, const struct vtop_event *ev)
{
	const char *name = NULL;

	if (ev->type < ARRAY_SIZE(event_names))
		name = event_names[ev->type];
	print_error("%s: type %u (%s) dev %u queue %u a %u b %u pad %u\n",
		    what, ev->type, name ? name : "?", ev->dev, ev->queue, ev->a,
		    ev->b, ev->pad);
}

void fx_expect_event_at(struct fx *fx, struct fx_run run,
			const struct vtop_event *want, const char *file, int line)
{
	const struct vtop_event *ev = &fx->ev[0];
	size_t i;

	read_events(fx);
	if (fx->nev != 1) {
		print_error("%zu events waiting, want 1\n", fx->nev);
		for (i = 0; i < fx->nev && i < 8; i++)
			print_event("  got", &fx->ev[i]);
		print_event("  want", want);
		fx->nev = 0;
		_fail(file, line);
	}
	fx->nev = 0;
	if (ev->type != want->type || ev->dev != want->dev || ev->queue != want->queue ||
	    ev->a != want->a || ev->b != want->b || ev->pad) {
		print_event("got", ev);
		print_event("want", want);
		_fail(file, line);
	}
	if (ev->ns < run.before || ev->ns > run.after) {
		print_error("event time %llu outside its run [%llu, %llu]\n",
			    (unsigned long long)ev->ns, (unsigned long long)run.before,
			    (unsigned long long)run.after);
		_fail(file, line);
	}
}

void fx_expect_no_event_at(struct fx *fx, const char *file, int line)
{
	size_t i;

	read_events(fx);
	if (fx->nev) {
		print_error("%zu events waiting, want none\n", fx->nev);
		for (i = 0; i < fx->nev && i < 8; i++)
			print_event("  got", &fx->ev[i]);
		fx->nev = 0;
		_fail(file, line);
	}
}

size_t fx_read_events(struct fx *fx)
{
	read_events(fx);
	return fx->nev;
}

void fx_drain_events(struct fx *fx)
{
	read_events(fx);
	fx->nev = 0;
}

/* ---- instructions ------------------------------------------------------- */

size_t fx_prog_helpers(const struct bpf_program *prog, int *ids, size_t max)
{
	const struct bpf_insn *insn = bpf_program__insns(prog);
	size_t i, cnt = bpf_program__insn_cnt(prog), n = 0;

	assert_true(cnt > 0);
	for (i = 0; i < cnt; i++) {
		if (insn[i].code != (BPF_JMP | BPF_CALL))
			continue;
		/* Calls of the program's own subprograms: their code is appended. */
		if (insn[i].src_reg == BPF_PSEUDO_CALL)
			continue;
		if (n < max)
			ids[n] = insn[i].src_reg == BPF_PSEUDO_KFUNC_CALL ? -1 : insn[i].imm;
		n++;
	}
	return n;
}
