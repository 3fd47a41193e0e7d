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

#define FX_MAX_EVENTS	32

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* The time window of one program run. */
struct fx_run {
	uint64_t before;
	uint64_t after;
};

struct fx {
	struct vtop_bpf *skel;
	struct ring_buffer *rb;
	struct fx_run last;		/* the latest run */
	struct vtop_event ev[FX_MAX_EVENTS];
	size_t nev;			/* events read from the ring, not taken yet */
};

/* cmocka setup and teardown of each test: load the programs, destroy them. */
int fx_setup(void **state);
int fx_teardown(void **state);
/* The same with the debug knob at its maximum (vtop --debug-bpf-loops). */
int fx_setup_debug_loops(void **state);

/*
 * One call per tracepoint, arguments as in kernel/uvdev/trace.h. Each
 * asserts the run succeeded with return value 0 and returns its window.
 * dev_create passes 0 as the name: no kernel string on the host.
 */
struct fx_run fx_dev_create(struct fx *fx, uint32_t dev, uint32_t device_id,
			    uint32_t num_queues, uint32_t max_queue_size);
struct fx_run fx_dev_destroy(struct fx *fx, uint32_t dev, uint32_t device_id,
			     uint32_t num_queues, uint32_t max_queue_size);
struct fx_run fx_status(struct fx *fx, uint32_t dev, uint32_t old_status,
			uint32_t new_status);
struct fx_run fx_vq_setup(struct fx *fx, uint32_t dev, uint32_t queue,
			  uint32_t size, uint32_t ready);
struct fx_run fx_msg_send(struct fx *fx, uint32_t dev, uint32_t id, uint32_t type);
struct fx_run fx_msg_done(struct fx *fx, uint32_t dev, uint32_t id, uint32_t type,
			  uint32_t result, uint64_t latency_ns);
struct fx_run fx_kick(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t mode);
struct fx_run fx_vq_pop(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t head,
			uint32_t bytes, uint64_t wait_ns, uint32_t pending);
struct fx_run fx_vq_push(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t head,
			 uint32_t bytes, uint64_t service_ns);
struct fx_run fx_irq_inject(struct fx *fx, uint32_t dev, uint32_t queue);
struct fx_run fx_irq_deliver(struct fx *fx, uint32_t dev, uint32_t queue,
			     uint64_t latency_ns, uint32_t outcome);

/* Assert @ns lies within @run. */
#define assert_in_run(ns, run)	assert_in_range((ns), (run).before, (run).after)

/*
 * Map readers. The per-CPU ones sum over every possible CPU. Each asserts
 * the entry exists; fx_has_*() say whether it does.
 */
struct vtop_queue_stats fx_queue_stats(struct fx *fx, uint32_t dev, uint32_t queue);
struct vtop_queue_state fx_queue_state(struct fx *fx, uint32_t dev, uint32_t queue);
struct vtop_dev_stats fx_dev_stats(struct fx *fx, uint32_t dev);
struct vtop_dev fx_dev(struct fx *fx, uint32_t dev);
uint64_t fx_inflight(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t head);
/* Chains in flight over every queue (checked against the queues' counts). */
unsigned int fx_inflight_count(struct fx *fx);
struct vtop_msg_inflight fx_msg(struct fx *fx, uint32_t dev, uint32_t id);
uint64_t fx_lifecycle(struct fx *fx, enum vtop_lifecycle slot);

bool fx_has_queue(struct fx *fx, uint32_t dev, uint32_t queue);
bool fx_has_dev_stats(struct fx *fx, uint32_t dev);
bool fx_has_dev(struct fx *fx, uint32_t dev);
bool fx_has_inflight(struct fx *fx, uint32_t dev, uint32_t queue, uint32_t head);
bool fx_has_msg(struct fx *fx, uint32_t dev, uint32_t id);

/* Entries in a map, whatever their keys. */
unsigned int fx_count(struct bpf_map *map);

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

/* Read and discard the events waiting, for a test to start from none. */
void fx_drain_events(struct fx *fx);

#endif /* BPF_FIXTURE_H */
