// SPDX-License-Identifier: GPL-2.0
/*
 * vtop's in-kernel aggregation over the uvdev tracepoints.
 *
 * Every handler has one body and two entry points: tp_btf (typed, cheapest,
 * needs the module's BTF) and raw_tp (the fallback). User space loads one of
 * the two sets. Tracepoint arguments are scalars, read from the u64 context.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "vtop.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VTOP_LC_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lifecycle_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VTOP_MAX_DEVICES);
	__type(key, __u32);
	__type(value, struct vtop_dev_info);
} devices SEC(".maps");

static __always_inline void count_lifecycle(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&lifecycle_counts, &slot);

	if (n)
		*n += 1;
}

/* uvdev_dev_create(dev, name, device_id, num_queues, max_queue_size) */
static __always_inline int on_dev_create(__u64 *ctx)
{
	struct vtop_dev_info info = {};
	__u32 dev = ctx[0];

	bpf_probe_read_kernel_str(info.name, sizeof(info.name), (void *)ctx[1]);
	info.device_id = ctx[2];
	info.num_queues = ctx[3];
	info.max_queue_size = ctx[4];
	bpf_map_update_elem(&devices, &dev, &info, BPF_ANY);
	count_lifecycle(VTOP_LC_DEV_CREATE);
	return 0;
}

/* uvdev_dev_destroy(dev, name, device_id, num_queues, max_queue_size) */
static __always_inline int on_dev_destroy(__u64 *ctx)
{
	__u32 dev = ctx[0];

	bpf_map_delete_elem(&devices, &dev);
	count_lifecycle(VTOP_LC_DEV_DESTROY);
	return 0;
}

#define VTOP_ENTRY(event, handler)					\
	SEC("tp_btf/" #event)						\
	int btf_##event(__u64 *ctx) { return handler(ctx); }		\
	SEC("raw_tp/" #event)						\
	int raw_##event(__u64 *ctx) { return handler(ctx); }

VTOP_ENTRY(uvdev_dev_create, on_dev_create)
VTOP_ENTRY(uvdev_dev_destroy, on_dev_destroy)
