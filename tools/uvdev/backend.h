/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The life of a backend daemon, shared by uvdev-blk and uvdev-rng: create
 * the device (or attach to it), run the service threads, and on SIGTERM or
 * SIGINT destroy the device while the threads still answer, then stop them.
 * SIGHUP calls the daemon's reload hook, if it has one.
 * Errors are printed here, each naming its cause and its fix.
 */
#ifndef UVDEV_BACKEND_H
#define UVDEV_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "libuvdev.h"
#include "uvdev_service.h"

/* Exit statuses of the daemons. */
enum {
	BACKEND_EXIT_OK = 0,
	BACKEND_EXIT_ERROR = 1,
	BACKEND_EXIT_USAGE = 2,
};

struct backend {
	const char *prog;	/* prefix of every message */
	const char *name;	/* device name */
	bool attach;		/* open an existing device, do not create it */
	bool verbose;
	bool created;		/* this process created the device */
	int signal_fd;		/* SIGTERM, SIGINT, SIGHUP: blocked in every thread */
	int dev_fd;
	struct uvdev_dev_info info;	/* the device when it was opened */
	/* On SIGHUP, while serving; NULL: SIGHUP is ignored. */
	void (*reload)(struct backend *b, void *arg);
	void *reload_arg;
};

/*
 * Block SIGTERM, SIGINT and SIGHUP and read them from a signalfd instead. Call it
 * first, before any thread starts, so that every thread inherits the mask.
 */
int backend_init(struct backend *b, const char *prog);

/*
 * Create the device from @params (unless b->attach), open it and read its
 * info into b->info; an attached device must have @device_id. Prints the
 * reason on failure. Returns 0 or -1.
 */
int backend_open_device(struct backend *b, const struct uvdev_params *params,
			uint32_t device_id);

/* Start @svc's threads. Prints the reason on failure. Returns 0 or -1. */
int backend_start(struct backend *b, struct uvdev_service *svc);

/*
 * Serve until SIGTERM/SIGINT, or until the service stops by itself. On a
 * signal (and when the device broke), destroy the device while the threads
 * still answer, then stop them. Returns the exit status.
 */
int backend_wait(struct backend *b, struct uvdev_service *svc);

/*
 * For a failure before serving started: close the device, and destroy it
 * if this process created it.
 */
void backend_abandon(struct backend *b);

/* Close the device fd and the signalfd. */
void backend_fini(struct backend *b);

/* A message on stderr: "prog: name: ...". */
void backend_error(const struct backend *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, only with -v. */
void backend_debug(const struct backend *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Print "prog: <fmt with arg>; see prog --help" on stderr; returns the
 * usage exit status.
 */
int backend_usage_error(const char *prog, const char *fmt, const char *arg)
	__attribute__((format(printf, 2, 0)));

/* Parse a decimal (or 0x hex) number in [min, max]; returns 0 or -1. */
int backend_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A one-line description of a control message, for -v. */
void backend_debug_msg(const struct backend *b, const struct uvdev_msg *msg);

#endif /* UVDEV_BACKEND_H */
