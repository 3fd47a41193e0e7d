// SPDX-License-Identifier: GPL-2.0
/*
 * The perf gate's BPF knob (debug_loops, vtop --debug-bpf-loops): at 0 the
 * verifier removes the loop from every program, so it costs nothing; at its
 * maximum every program still loads and counts exactly as without it.
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <uapi/uvdev_trace.h>

#include "bpf_fixture.h"

#define DEV	5
#define Q	0

static uint32_t xlated_len(struct bpf_program *prog)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len), 0);
	return info.xlated_prog_len;
}

/* Every program is longer with the knob set: the loop exists only then. */
static void knob_zero_has_no_loop(void **state)
{
	static const struct fx_test none;
	struct fx *with = *state;
	struct bpf_program *p, *q;
	void *without_state = (void *)&none;
	struct fx *without;
	unsigned int n = 0;

	assert_int_equal(fx_setup(&without_state), 0);
	without = without_state;
	bpf_object__for_each_program(p, with->skel->obj) {
		if (strncmp(bpf_program__section_name(p), "raw_tp/", 7))
			continue;
		q = bpf_object__find_program_by_name(without->skel->obj, bpf_program__name(p));
		assert_non_null(q);
		if (xlated_len(p) <= xlated_len(q))
			fail_msg("%s: %u instruction bytes with the knob, %u without",
				 bpf_program__name(p), xlated_len(p), xlated_len(q));
		n++;
	}
	assert_int_equal(n, 18);
	fx_teardown(&without_state);
}

/* A request's round trip counts as in test_vtop_queues' request_round_trip. */
static void knob_keeps_results(void **state)
{
	struct fx *fx = *state;
	struct vtop_queue_stats s;

	fx_vq_setup(fx, DEV, Q, 128, 1);
	fx_expect_event(fx, fx->last, VTOP_EV_VQ_SETUP, DEV, Q, 128, 1);
	fx_kick(fx, DEV, Q, UVDEV_TRACE_KICK_EVENTFD);
	fx_vq_pop(fx, DEV, Q, 17, 4096 + 16, 2000, 0, 1, 0);
	fx_vq_push(fx, DEV, Q, 17, 1, 300000, 0, UVDEV_TRACE_PUSH_OK);
	fx_irq_inject(fx, DEV, Q);
	fx_irq_deliver(fx, DEV, Q, 40000, UVDEV_TRACE_IRQ_HANDLED);

	s = fx_queue_stats(fx, DEV, Q);
	fx_assert_queue_stats(&s, &(struct vtop_queue_stats){
		.kicks = { 1, 0, 0, 0 },
		.pops = 1, .pop_bytes = 4112, .wait_sum_ns = 2000,
		.pushes = 1, .push_bytes = 1, .service_sum_ns = 300000,
		.irq_injects = 1, .irq_delivers = { 1, 0, 0, 0 }, .irq_sum_ns = 40000,
		.wait_hist = { [10] = 1 },
		.service_hist = { [18] = 1 },
		.irq_hist = { [15] = 1 },
	});
	fx_expect_no_event(fx);
}

#define TEST(fn_)							\
	{ .name = #fn_, .test_func = fx_run_test, .setup_func = fx_setup_debug_loops, \
	  .teardown_func = fx_teardown,					\
	  .initial_state = (void *)&(const struct fx_test){ .fn = (fn_) } }

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(knob_zero_has_no_loop),
		TEST(knob_keeps_results),
	};

	return cmocka_run_group_tests_name("vtop_bpf_debug_knob", tests, NULL, NULL);
}
