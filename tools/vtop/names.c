// SPDX-License-Identifier: GPL-2.0
/*
 * Names of tracepoint values (see names.h).
 */
#include <stdio.h>

#include <linux/types.h>
#include <uapi/uvdev.h>
#include <uapi/uvdev_trace.h>

#include "names.h"
#include "vtop.h"

_Static_assert(UVDEV_TRACE_MSG_RESULTS <= VTOP_MSG_RESULTS, "message results fit");
_Static_assert(UVDEV_TRACE_KICK_MODES <= VTOP_KICK_MODES, "kick modes fit");
_Static_assert(UVDEV_TRACE_IRQ_OUTCOMES <= VTOP_IRQ_OUTCOMES, "IRQ outcomes fit");
_Static_assert(UVDEV_TRACE_WAIT_RESULTS <= VTOP_WAIT_RESULTS, "wait results fit");

const char *vtop_msg_type_name(unsigned int type)
{
	switch (type) {
	case UVDEV_MSG_SET_STATUS:
		return "set_status";
	case UVDEV_MSG_RESET:
		return "reset";
	case UVDEV_MSG_VQ_READY:
		return "vq_ready";
	case UVDEV_MSG_SET_CONFIG:
		return "set_config";
	default:
		return NULL;
	}
}

const char *vtop_msg_type_label(unsigned int type, char *buf, size_t len)
{
	const char *name = vtop_msg_type_name(type);

	if (name)
		return name;
	snprintf(buf, len, "type%u", type);
	return buf;
}

const char *vtop_msg_result_name(unsigned int result)
{
	switch (result) {
	case UVDEV_TRACE_MSG_OK:
		return "ok";
	case UVDEV_TRACE_MSG_FAILED:
		return "failed";
	case UVDEV_TRACE_MSG_TIMEOUT:
		return "timeout";
	case UVDEV_TRACE_MSG_INTERRUPTED:
		return "interrupted";
	default:
		return "unknown";
	}
}

const char *vtop_wait_result_name(unsigned int result)
{
	switch (result) {
	case UVDEV_TRACE_WAIT_WOKEN:
		return "woken";
	case UVDEV_TRACE_WAIT_REMEMBERED:
		return "remembered";
	case UVDEV_TRACE_WAIT_TIMEOUT:
		return "timeout";
	case UVDEV_TRACE_WAIT_INTERRUPTED:
		return "interrupted";
	case UVDEV_TRACE_WAIT_FAILED:
		return "failed";
	default:
		return NULL;
	}
}

const char *vtop_kick_mode_name(unsigned int mode)
{
	switch (mode) {
	case UVDEV_TRACE_KICK_EVENTFD:
		return "eventfd";
	case UVDEV_TRACE_KICK_DEFERRED:
		return "deferred";
	case UVDEV_TRACE_KICK_DROPPED:
		return "dropped";
	default:
		return NULL;
	}
}

const char *vtop_irq_outcome_name(unsigned int outcome)
{
	switch (outcome) {
	case UVDEV_TRACE_IRQ_HANDLED:
		return "handled";
	case UVDEV_TRACE_IRQ_SPURIOUS:
		return "spurious";
	case UVDEV_TRACE_IRQ_SUPPRESSED:
		return "suppressed";
	default:
		return NULL;
	}
}

const char *vtop_event_type_name(unsigned int type)
{
	switch (type) {
	case VTOP_EV_DEV_CREATE:
		return "dev_create";
	case VTOP_EV_DEV_DESTROY:
		return "dev_destroy";
	case VTOP_EV_MSG_TIMEOUT:
		return "msg_timeout";
	case VTOP_EV_STATUS:
		return "status";
	case VTOP_EV_VQ_SETUP:
		return "vq_setup";
	case VTOP_EV_BROKEN:
		return "broken";
	default:
		return "unknown";
	}
}

const char *vtop_broken_reason_name(unsigned int reason)
{
	switch (reason) {
	case UVDEV_TRACE_BROKEN_MSG_TIMEOUT:
		return "msg_timeout";
	case UVDEV_TRACE_BROKEN_MALFORMED:
		return "malformed_chain";
	case UVDEV_TRACE_BROKEN_DRIVER_TIMEOUT:
		return "driver_timeout";
	case UVDEV_TRACE_BROKEN_NO_BACKEND:
		return "no_backend";
	default:
		return "unknown";
	}
}

const char *vtop_drop_name(unsigned int kind)
{
	static const char *const names[VTOP_DROP_KINDS] = {
		[VTOP_DROP_QUEUES] = "queues",
		[VTOP_DROP_DEVICES] = "devices",
		[VTOP_DROP_MSGS] = "messages",
		[VTOP_DROP_EVENTS] = "events",
	};

	return kind < VTOP_DROP_KINDS ? names[kind] : "unknown";
}
