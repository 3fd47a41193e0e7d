/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the values the uvdev tracepoints carry, as vtop prints them in
 * every output (labels, JSON keys, table text).
 */
#ifndef VTOP_NAMES_H
#define VTOP_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* Control message types: "set_status", ...; NULL for a type uvdev lacks. */
const char *vtop_msg_type_name(unsigned int type);

/* The name of @type, or "type<N>" for one uvdev lacks, into @buf. */
const char *vtop_msg_type_label(unsigned int type, char *buf, size_t len);

/* "ok", "failed", "timeout", "interrupted". */
const char *vtop_msg_result_name(unsigned int result);

/* "eventfd", "deferred", "dropped"; NULL for an unused slot. */
const char *vtop_kick_mode_name(unsigned int mode);

/* "handled", "spurious", "suppressed"; NULL for an unused slot. */
const char *vtop_irq_outcome_name(unsigned int outcome);

/* "woken", "remembered", "timeout", "interrupted", "failed"; NULL past them. */
const char *vtop_wait_result_name(unsigned int result);

/*
 * "dev_create", "dev_destroy", "msg_timeout", "status", "vq_setup",
 * "broken", or "unknown".
 */
const char *vtop_event_type_name(unsigned int type);

/* "msg_timeout", "malformed_chain", "driver_timeout", "no_backend". */
const char *vtop_broken_reason_name(unsigned int reason);

/* "queues", "devices", "messages", "events" (enum vtop_drop). */
const char *vtop_drop_name(unsigned int kind);

#endif /* VTOP_NAMES_H */
