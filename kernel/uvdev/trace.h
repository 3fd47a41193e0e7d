/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uvdev tracepoints (trace system "uvdev").
 *
 * One event class per event shape. Every event carries the device's stable
 * id as "dev"; names travel only in lifecycle events. Arguments are scalars
 * (and the name string), so BPF programs read them straight from the raw
 * tracepoint context without needing the module's types.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM uvdev

#if !defined(_UVDEV_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _UVDEV_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(uvdev_dev_lifecycle,
	TP_PROTO(u32 dev, const char *name, u32 device_id, u32 num_queues,
		 u32 max_queue_size),
	TP_ARGS(dev, name, device_id, num_queues, max_queue_size),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, device_id)
		__field(u32, num_queues)
		__field(u32, max_queue_size)
		__string(name, name)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->device_id = device_id;
		__entry->num_queues = num_queues;
		__entry->max_queue_size = max_queue_size;
		__assign_str(name, name);
	),
	TP_printk("dev=%u name=%s device_id=%u queues=%u max_queue_size=%u",
		  __entry->dev, __get_str(name), __entry->device_id,
		  __entry->num_queues, __entry->max_queue_size)
);

DEFINE_EVENT(uvdev_dev_lifecycle, uvdev_dev_create,
	TP_PROTO(u32 dev, const char *name, u32 device_id, u32 num_queues,
		 u32 max_queue_size),
	TP_ARGS(dev, name, device_id, num_queues, max_queue_size)
);

DEFINE_EVENT(uvdev_dev_lifecycle, uvdev_dev_destroy,
	TP_PROTO(u32 dev, const char *name, u32 device_id, u32 num_queues,
		 u32 max_queue_size),
	TP_ARGS(dev, name, device_id, num_queues, max_queue_size)
);

#endif /* _UVDEV_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
