/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus exporter: an HTTP server (libmicrohttpd, one internal
 * thread polling every connection with epoll) that answers GET /metrics
 * with the text the sampler last published, and / with a page naming
 * /metrics. Scrapes are served concurrently: an idle or slow client
 * holds only its own connection, for at most VTOP_EXPORTER_TIMEOUT_S; the
 * sampler only ever waits for a pointer swap.
 */
#ifndef VTOP_EXPORTER_H
#define VTOP_EXPORTER_H

#include <stddef.h>

#define VTOP_EXPORTER_TIMEOUT_S		5	/* an idle connection is closed after */
/*
 * Connections at once; more are refused until one closes. Far below
 * RLIMIT_NOFILE, so accepting never runs out of descriptors.
 */
#define VTOP_EXPORTER_CONNECTIONS	64

struct vtop_exporter;

/*
 * Listen on @host (a numeric address or a name; NULL or "": every address,
 * IPv6 and IPv4) and @port (numeric; "0": any free port) and start
 * serving. NULL on failure, with the reason in @err (@errlen bytes).
 */
struct vtop_exporter *vtop_exporter_start(const char *host, const char *port,
					  char *err, size_t errlen);

/* The port the exporter listens on. */
unsigned int vtop_exporter_port(const struct vtop_exporter *e);

/* Where it listens, numeric: "127.0.0.1:9464", "[::]:9464". */
const char *vtop_exporter_address(const struct vtop_exporter *e);

/*
 * Serve @body (@len bytes, from malloc) from now on; the exporter owns it
 * (also when this fails for lack of memory: the previous body stays).
 * Until the first call, /metrics answers 503.
 */
void vtop_exporter_publish(struct vtop_exporter *e, char *body, size_t len);

/*
 * Stop serving, close every connection and the socket, free everything.
 * NULL is fine.
 */
void vtop_exporter_stop(struct vtop_exporter *e);

#endif /* VTOP_EXPORTER_H */
