/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus exporter: a small HTTP/1.0 server thread that answers
 * GET /metrics with the text the sampler last published. One request at a
 * time, bounded in size and time; the sampler only ever waits for a pointer
 * swap.
 */
#ifndef VTOP_EXPORTER_H
#define VTOP_EXPORTER_H

#include <stddef.h>

#define VTOP_EXPORTER_REQUEST_MAX	8192	/* bytes of request head */
#define VTOP_EXPORTER_READ_MS		2000	/* to receive the request head */
#define VTOP_EXPORTER_WRITE_MS		5000	/* to send the answer */
#define VTOP_EXPORTER_LINGER_MS		500	/* for the client to hang up after it */

struct vtop_exporter;

/*
 * Listen on @host (NULL or "": every address) and @port (numeric; "0":
 * any free port) and start serving. NULL on failure, with the reason in
 * @err (@errlen bytes).
 */
struct vtop_exporter *vtop_exporter_start(const char *host, const char *port,
					  char *err, size_t errlen);

/* The port the exporter listens on. */
unsigned int vtop_exporter_port(const struct vtop_exporter *e);

/*
 * Serve @body (@len bytes, from malloc) from now on; the exporter owns it.
 * Until the first call, /metrics answers 503.
 */
void vtop_exporter_publish(struct vtop_exporter *e, char *body, size_t len);

/* Stop the thread, close the socket, free everything. NULL is fine. */
void vtop_exporter_stop(struct vtop_exporter *e);

#endif /* VTOP_EXPORTER_H */
