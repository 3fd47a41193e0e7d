// SPDX-License-Identifier: GPL-2.0
/*
 * Drive vtop's raw_tp programs with crafted tracepoint arguments through
 * BPF_PROG_TEST_RUN and check what they leave in the maps.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vtop.h"
#include "vtop.skel.h"

static int setup(void **state)
{
	struct vtop_bpf *skel = vtop_bpf__open();
	struct bpf_program *prog;

	if (!skel)
		return -1;
	/* Only the raw_tp entry points load here: tp_btf needs uvdev's BTF. */
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog,
			!strncmp(bpf_program__section_name(prog), "raw_tp/", 7));
	if (vtop_bpf__load(skel)) {
		fprintf(stderr, "cannot load vtop's BPF programs (root needed): %s\n",
			strerror(errno));
		vtop_bpf__destroy(skel);
		return -1;
	}
	*state = skel;
	return 0;
}

static int teardown(void **state)
{
	vtop_bpf__destroy(*state);
	return 0;
}

static void run_prog(struct bpf_program *prog, const uint64_t *args, size_t n)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.ctx_in = args,
		.ctx_size_in = n * sizeof(*args),
	);

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), 0);
	assert_int_equal(opts.retval, 0);
}

static uint64_t percpu_sum(struct bpf_map *map, uint32_t key)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu], sum = 0;
	int i;

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(map), &key, vals), 0);
	for (i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

static void dev_create_and_destroy(void **state)
{
	struct vtop_bpf *skel = *state;
	/* dev, name (no kernel string here), device_id, num_queues, max size */
	const uint64_t create[] = { 7, 0, 2, 4, 256 };
	const uint64_t destroy[] = { 7, 0, 2, 4, 256 };
	struct vtop_dev info;
	uint32_t dev = 7;

	run_prog(skel->progs.raw_uvdev_dev_create, create, 5);
	assert_int_equal(percpu_sum(skel->maps.lifecycle_counts, VTOP_LC_DEV_CREATE), 1);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.devices), &dev, &info), 0);
	assert_int_equal(info.device_id, 2);
	assert_int_equal(info.num_queues, 4);
	assert_int_equal(info.max_queue_size, 256);
	assert_string_equal(info.name, "");

	run_prog(skel->progs.raw_uvdev_dev_destroy, destroy, 5);
	assert_int_equal(percpu_sum(skel->maps.lifecycle_counts, VTOP_LC_DEV_DESTROY), 1);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.devices), &dev, &info),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dev_create_and_destroy),
	};

	return cmocka_run_group_tests_name("vtop_bpf", tests, setup, teardown);
}
