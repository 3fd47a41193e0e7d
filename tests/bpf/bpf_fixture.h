/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bpf tier's fixture: a freshly loaded copy of vtop's raw_tp programs
 * per test (so every map starts empty), one call per tracepoint that runs
 * its program through BPF_PROG_TEST_RUN with the tracepoint's arguments,
 * and readers that return what the programs left in the maps.
 *
 * Each run records the CLOCK_MONOTONIC time just before and just after it
 * (bpf_ktime_get_ns() is that clock), so a timestamp a program wrote is
 * checked to lie between the two.
 *
 * Runs happen on the calling CPU unless fx_on_cpu() pins them to one; the
 * per-CPU readers sum over every possible CPU, as vtop does.
 */
#ifndef BPF_FIXTURE_H
#define BPF_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <bpf/libbpf.h>

#include "vtop.h"
#include "vtop.skel.h"

/* More than the ring buffer holds: every event of a full ring is read. */
#define FX_MAX_EVENTS	2048

/* What the events ring buffer holds: records of 8-byte header + event. */
#define FX_RINGBUF_BYTES	(64 * 1024)
#define FX_RINGBUF_EVENTS	(FX_RINGBUF_BYTES / (8 + sizeof(struct vtop_event)))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* The time window of one program run. */
struct fx_run {
	uint64_t before;
	uint64_t after;
};

struct fx {
	const struct fx_test *test;
	struct vtop_bpf *skel;
	struct ring_buffer *rb;
	int cpu;			/* runs pinned to it; -1: the caller's */
	struct fx_run last;		/* the latest run */
	struct vtop_event ev[FX_MAX_EVENTS];
	size_t nev;			/* events read from the ring, not taken yet */
	size_t lost;			/* events read beyond FX_MAX_EVENTS */
	uint64_t drops[VTOP_DROP_KINDS];	/* drops the test expects so far */
	/* Each device id's serial now (0: none yet); see fx_slot(). */
	uint32_t serial[VTOP_MAX_DEVICES + 1];
	uint32_t last_serial;
	/* The (dev, queue) each slot was given to, in order. */
	struct vtop_owner { uint32_t dev, queue; } slots[VTOP_MAX_QUEUES + VTOP_MAX_DEV_QUEUES];
	uint32_t nslots;
};

/*
 * A test: FX_TEST(fn) in the tests array runs fn with a fresh fixture in
 * *state (fx_setup loads the programs, fx_teardown destroys them), then
 * fails it if the drops map counts a drop it did not expect through
 * fx_expect_drops().
 */
struct fx_test {
	CMUnitTestFunction fn;
};

#define FX_TEST(fn_)							\
	{ .name = #fn_, .test_func = fx_run_test, .setup_func = fx_setup,	\
	  .teardown_func = fx_teardown,					\
	  .initial_state = (void *)&(const struct fx_test){ .fn = (fn_) } }

int fx_setup(void **state);
int fx_teardown(void **state);
void fx_run_test(void **state);

/*
 * Pin the next runs to @cpu (an online CPU), or -1 to run them on the
 * calling CPU again. fx_online_cpus() fills @cpus with up to @max online
 * CPUs this process may run on and returns how many.
 */
void fx_on_cpu(struct fx *fx, int cpu);
int fx_online_cpus(int *cpus, int max);

/* The same with the debug knob at its maximum (vtop --debug-bpf-loops). */
int fx_setup_debug_loops(void **state);

/*
 * One call per tracepoint, arguments as in kernel/uvdev/trace.h. Each
 * asserts the run succeeded with return value 0 and returns its window.
 * dev_create and dev_destroy pass 0 as the name: no kernel string on the
 * host.
 *
 * Queue events get the slot and serial the module would give: the fixture
 * stands in for its allocators with a slot per (dev, queue), the next one
 * at its first event and the same one ever after (fx_slot()), and a serial
 * per device id, new at each fx_dev_create() (or at the first event of a
 * device never created) and forgotten at fx_dev_destroy(). fx_kick_as()
 * crafts both.
 */
uint32_t fx_slot(struct fx *fx, uint32_t dev, uint32_t queue);
uint32_t fx_serial(struct fx *fx, uint32_t dev);
struct fx_run fx_kick_as(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t mode,
			 uint32_t slot, uint32_t serial);
struct fx_run fx_dev_create(struct fx *fx, uint32_t dev, uint32_t device_id,
			    uint32_t num_queues, uint32_t max_queue_size);
struct fx_run fx_dev_destroy(struct fx *fx, uint32_t dev, uint32_t device_id,
			     uint32_t num_queues, uint32_t max_queue_size);
struct fx_run fx_status(struct fx *fx, uint32_t dev, uint32_t old_status,
			uint32_t new_status);
struct fx_run fx_dev_broken(struct fx *fx, uint32_t dev, uint32_t reason);
struct fx_run fx_vq_setup(struct fx *fx, uint32_t dev, uint32_t queue,
			  uint32_t size, uint32_t ready);
struct fx_run fx_msg_send(struct fx *fx, uint32_t dev, uint32_t id, uint32_t type);
struct fx_run fx_msg_done(struct fx *fx, uint32_t dev, uint32_t id, uint32_t type,
			  uint32_t result, uint64_t latency_ns);
struct fx_run fx_kick(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t mode);
struct fx_run fx_vq_pop(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t head,
			uint32_t bytes, uint64_t wait_ns, uint32_t pending,
			uint32_t inflight, uint32_t resubmitted);
struct fx_run fx_vq_push(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t head,
			 uint32_t bytes, uint64_t service_ns, uint32_t inflight,
			 uint32_t result);
struct fx_run fx_irq_inject(struct fx *fx, uint32_t dev, uint32_t queue);
struct fx_run fx_irq_deliver(struct fx *fx, uint32_t dev, uint32_t queue,
			     uint64_t latency_ns, uint32_t outcome);
struct fx_run fx_notif_post(struct fx *fx, uint32_t dev, uint32_t value, uint32_t batch);
struct fx_run fx_notif_deliver(struct fx *fx, uint32_t dev, uint32_t value,
			       uint64_t latency_ns, uint32_t posts, uint32_t woken);
struct fx_run fx_notif_wait_end(struct fx *fx, uint32_t dev, uint32_t key,
				uint32_t result, uint64_t waited_ns);
struct fx_run fx_notif_bh(struct fx *fx, uint32_t dev, uint32_t events,
			  uint64_t latency_ns);
struct fx_run fx_zc_map(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t head,
			uint32_t id, uint32_t mapped, uint32_t copied, uint32_t result);
struct fx_run fx_zc_complete(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t lo,
			     uint32_t hi, uint32_t pages, uint32_t copied,
			     uint64_t latency_ns);

/* Assert @ns lies within @run. */
#define assert_in_run(ns, run)	assert_in_range((ns), (run).before, (run).after)

/*
 * Map readers. The per-CPU ones sum over every possible CPU. Each asserts
 * the entry exists; fx_has_*() say whether it does.
 */
struct vtop_queue_stats fx_queue_stats(struct fx *fx, uint32_t dev, uint32_t queue);
/* One CPU's share of a queue's counters. */
struct vtop_queue_stats fx_queue_stats_cpu(struct fx *fx, uint32_t dev,
					   uint32_t queue, int cpu);
struct vtop_dev_stats fx_dev_stats(struct fx *fx, uint32_t dev);
struct vtop_dev fx_dev(struct fx *fx, uint32_t dev);
struct vtop_msg_inflight fx_msg(struct fx *fx, uint32_t dev, uint32_t id);
uint64_t fx_lifecycle(struct fx *fx, enum vtop_lifecycle slot);
uint64_t fx_drops(struct fx *fx, enum vtop_drop kind);

bool fx_has_queue(struct fx *fx, uint32_t dev, uint32_t queue);
bool fx_has_dev_stats(struct fx *fx, uint32_t dev);
bool fx_has_dev(struct fx *fx, uint32_t dev);
bool fx_has_msg(struct fx *fx, uint32_t dev, uint32_t id);

/* Slots of the queues array with counters of a device's current serial. */
unsigned int fx_queue_entries(struct fx *fx);
/* Entries in a map, whatever their keys. */
unsigned int fx_count(struct bpf_map *map);

/*
 * Assert the drops map counts exactly these drops since the test began
 * (each kind summed over CPUs), and expect them from now on: the teardown
 * checks that no other drop was counted.
 */
#define fx_expect_drops(fx, queues_, devices_, msgs_, events_)		\
	fx_expect_drops_at((fx), (const uint64_t[VTOP_DROP_KINDS]){	\
		[VTOP_DROP_QUEUES] = (queues_),				\
		[VTOP_DROP_DEVICES] = (devices_),			\
		[VTOP_DROP_MSGS] = (msgs_),				\
		[VTOP_DROP_EVENTS] = (events_) }, __FILE__, __LINE__)
void fx_expect_drops_at(struct fx *fx, const uint64_t *want,
			const char *file, int line);

/*
 * Whole-struct comparison of per-CPU counters, every field: each mismatch
 * is listed by field and index, then the test fails at the caller's line.
 */
#define fx_assert_queue_stats(got, ...)					\
	fx_assert_queue_stats_at((got), (__VA_ARGS__), __FILE__, __LINE__)
#define fx_assert_dev_stats(got, ...)					\
	fx_assert_dev_stats_at((got), (__VA_ARGS__), __FILE__, __LINE__)
void fx_assert_queue_stats_at(const struct vtop_queue_stats *got,
			      const struct vtop_queue_stats *want,
			      const char *file, int line);
void fx_assert_dev_stats_at(const struct vtop_dev_stats *got,
			    const struct vtop_dev_stats *want,
			    const char *file, int line);

/*
 * Events: fx_expect_event() asserts that exactly one event is waiting in
 * the ring buffer, that each of its fields is as given (pad 0) and that its
 * time lies within @run, and takes it. fx_expect_no_event() asserts none
 * waits. Both fail at the caller's line.
 */
#define fx_expect_event(fx, run, type_, dev_, queue_, a_, b_)		\
	fx_expect_event_at((fx), (run), &(const struct vtop_event){		\
		.type = (type_), .dev = (dev_), .queue = (queue_),		\
		.a = (a_), .b = (b_) }, __FILE__, __LINE__)
#define fx_expect_no_event(fx)	fx_expect_no_event_at((fx), __FILE__, __LINE__)
void fx_expect_event_at(struct fx *fx, struct fx_run run,
			const struct vtop_event *want, const char *file, int line);
void fx_expect_no_event_at(struct fx *fx, const char *file, int line);

/*
 * Read every event waiting into fx->ev (asserting none is lost) and return
 * how many there are; the caller inspects them and takes them with
 * fx_drain_events().
 */
size_t fx_read_events(struct fx *fx);

/* Read and discard the events waiting, for a test to start from none. */
void fx_drain_events(struct fx *fx);

/*
 * The helpers a loaded program calls (BPF helper ids, from its
 * instructions as libbpf handed them to the kernel, subprograms included):
 * fills @ids with up to @max of them, in order, and returns how many calls
 * there are. Kfunc calls count as helper id -1.
 */
size_t fx_prog_helpers(const struct bpf_program *prog, int *ids, size_t max);

#endif /* BPF_FIXTURE_H */
