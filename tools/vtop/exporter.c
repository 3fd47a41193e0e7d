// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus exporter's HTTP server (see exporter.h), on libmicrohttpd.
 * vtop opens the listening socket itself (so a failure names its cause
 * and the address) and hands it to libmicrohttpd, which closes it on stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "exporter.h"
#include "prom.h"

#define LISTEN_BACKLOG	64

static const char index_page[] =
	"<!DOCTYPE html>\n"
	"<html><head><title>vtop exporter</title></head><body>\n"
	"<h1>vtop exporter</h1>\n"
	"<p>Prometheus metrics of the uvdev devices and queues: "
	"<a href=\"/metrics\">/metrics</a></p>\n"
	"</body></html>\n";
static const char not_found_text[] = "404 Not Found: the metrics are on /metrics\n";
static const char not_allowed_text[] = "405 Method Not Allowed: GET or HEAD\n";
static const char no_sample_text[] = "503 Service Unavailable: no sample yet\n";
static const char no_memory_text[] = "500 Internal Server Error: out of memory\n";

/* A published body, shared by the responses that send it. */
struct body {
	atomic_uint refs;
	size_t len;
	char *data;
};

struct vtop_exporter {
	struct MHD_Daemon *daemon;
	unsigned int port;
	char address[INET6_ADDRSTRLEN + 16];	/* "127.0.0.1:9464", "[::]:9464" */
	pthread_mutex_t lock;		/* guards body and log */
	struct body *body;		/* NULL until the first publication */
	char log[256];			/* libmicrohttpd's last message */
	/* Fixed answers, made once. */
	struct MHD_Response *index;
	struct MHD_Response *not_found;
	struct MHD_Response *not_allowed;
	struct MHD_Response *no_sample;
	struct MHD_Response *no_memory;
};

static void body_put(void *cls)
{
	struct body *b = cls;

	if (b && atomic_fetch_sub(&b->refs, 1) == 1) {
		free(b->data);
		free(b);
	}
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	struct vtop_exporter *e = cls;
	size_t len;

	pthread_mutex_lock(&e->lock);
	vsnprintf(e->log, sizeof(e->log), fmt, ap);
	len = strlen(e->log);
	while (len && e->log[len - 1] == '\n')
		e->log[--len] = '\0';
	pthread_mutex_unlock(&e->lock);
}

static enum MHD_Result answer_metrics(struct vtop_exporter *e, struct MHD_Connection *conn)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	struct body *b;

	pthread_mutex_lock(&e->lock);
	b = e->body;
	if (b)
		atomic_fetch_add(&b->refs, 1);
	pthread_mutex_unlock(&e->lock);
	if (!b)
		return MHD_queue_response(conn, MHD_HTTP_SERVICE_UNAVAILABLE, e->no_sample);
	resp = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->data,
								      body_put, b);
	if (!resp) {
		body_put(b);
		return MHD_queue_response(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, e->no_memory);
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				    VTOP_PROM_CONTENT_TYPE) == MHD_YES)
		ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	else
		ret = MHD_queue_response(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, e->no_memory);
	MHD_destroy_response(resp);	/* the connection holds its own reference */
	return ret;
}

/*
 * libmicrohttpd's access handler. The first call for a request comes with
 * its head only: a GET or HEAD is answered on the next call, once its
 * (empty) body is read, so that the connection can serve the next request
 * (Prometheus keeps it alive). Any other method is answered at once, its
 * body unread, and the connection closes after the answer.
 */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload_data, size_t *upload_data_size,
			      void **req_cls)
{
	static int head_seen;
	struct vtop_exporter *e = cls;

	(void)version;
	(void)upload_data;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, e->not_allowed);
	if (!*req_cls) {
		*req_cls = &head_seen;
		return MHD_YES;
	}
	*upload_data_size = 0;
	/* The URL comes without its query string. */
	if (!strcmp(url, "/metrics"))
		return answer_metrics(e, conn);
	if (!strcmp(url, "/"))
		return MHD_queue_response(conn, MHD_HTTP_OK, e->index);
	return MHD_queue_response(conn, MHD_HTTP_NOT_FOUND, e->not_found);
}

static struct MHD_Response *fixed_response(const char *text, const char *type,
					   const char *allow)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return NULL;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    (allow && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

static int make_responses(struct vtop_exporter *e)
{
	static const char text[] = "text/plain; charset=utf-8";

	e->index = fixed_response(index_page, "text/html; charset=utf-8", NULL);
	e->not_found = fixed_response(not_found_text, text, NULL);
	e->not_allowed = fixed_response(not_allowed_text, text, "GET, HEAD");
	e->no_sample = fixed_response(no_sample_text, text, NULL);
	e->no_memory = fixed_response(no_memory_text, text, NULL);
	if (!e->index || !e->not_found || !e->not_allowed || !e->no_sample || !e->no_memory)
		return -ENOMEM;
	return 0;
}

static void destroy_response(struct MHD_Response *r)
{
	if (r)
		MHD_destroy_response(r);
}

/*
 * A listening socket on the first address of @host (NULL: the wildcard of
 * @family) that takes it. @dual: an IPv6 socket takes IPv4 too. The
 * descriptor, or -errno with the reason in @err.
 */
static int listen_on(const char *host, int family, bool dual, const char *port,
		     char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	const char *shown = host ? host : family == AF_INET6 ? "::" : "0.0.0.0";
	struct addrinfo *res = NULL, *ai;
	int fd = -1, gai, saved = EADDRNOTAVAIL;

	gai = getaddrinfo(host, port, &hints, &res);
	if (gai) {
		snprintf(err, errlen, "cannot resolve '%s': %s", shown,
			 gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		return gai == EAI_FAMILY || gai == EAI_ADDRFAMILY ? -EAFNOSUPPORT : -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1, v6only = !dual;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
		    (ai->ai_family != AF_INET6 ||
		     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) == 0) &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, LISTEN_BACKLOG) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s%s%s:%s: %s",
			 strchr(shown, ':') ? "[" : "", shown, strchr(shown, ':') ? "]" : "",
			 port, strerror(saved));
		return -saved;
	}
	return fd;
}

/* Every address: IPv6 and IPv4 on one socket, or IPv4 alone without IPv6. */
static int listen_everywhere(const char *port, char *err, size_t errlen)
{
	int fd = listen_on(NULL, AF_INET6, true, port, err, errlen);

	if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL)
		fd = listen_on(NULL, AF_INET, false, port, err, errlen);
	return fd;
}

/* The port and the address ("[v6]:port" or "v4:port") @fd listens on. */
static void bound_address(struct vtop_exporter *e, int fd)
{
	char host[INET6_ADDRSTRLEN], port[8];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(e->address, sizeof(e->address), "?");
		return;
	}
	e->port = (unsigned int)strtoul(port, NULL, 10);
	snprintf(e->address, sizeof(e->address), ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, port);
}

struct vtop_exporter *vtop_exporter_start(const char *host, const char *port,
					  char *err, size_t errlen)
{
	struct vtop_exporter *e;
	sigset_t all, old;
	int fd;

	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&e->lock, NULL);
	if (make_responses(e)) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	fd = host && host[0] ? listen_on(host, AF_UNSPEC, false, port, err, errlen) :
		listen_everywhere(port, err, errlen);
	if (fd < 0)
		goto cleanup;
	bound_address(e, fd);
	/* Signals are for the sampler: the server thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e->daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
				     0, NULL, NULL, answer, e,
				     MHD_OPTION_EXTERNAL_LOGGER, on_log, e,
				     MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_CONNECTION_TIMEOUT,
				     (unsigned int)VTOP_EXPORTER_TIMEOUT_S,
				     MHD_OPTION_CONNECTION_LIMIT,
				     (unsigned int)VTOP_EXPORTER_CONNECTIONS,
				     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!e->daemon) {
		snprintf(err, errlen, "cannot start the HTTP server (libmicrohttpd): %s",
			 e->log[0] ? e->log : "no reason given");
		/* Whether it closed the socket depends on where it failed. */
		if (fcntl(fd, F_GETFD) >= 0)
			close(fd);
		goto cleanup;
	}
	return e;

cleanup:
	vtop_exporter_stop(e);
	return NULL;
}

unsigned int vtop_exporter_port(const struct vtop_exporter *e)
{
	return e->port;
}

const char *vtop_exporter_address(const struct vtop_exporter *e)
{
	return e->address;
}

void vtop_exporter_publish(struct vtop_exporter *e, char *data, size_t len)
{
	struct body *b = malloc(sizeof(*b)), *old;

	if (!b) {
		free(data);
		return;
	}
	atomic_init(&b->refs, 1);
	b->len = len;
	b->data = data;
	pthread_mutex_lock(&e->lock);
	old = e->body;
	e->body = b;
	pthread_mutex_unlock(&e->lock);
	body_put(old);
}

void vtop_exporter_stop(struct vtop_exporter *e)
{
	if (!e)
		return;
	if (e->daemon)
		MHD_stop_daemon(e->daemon);
	destroy_response(e->index);
	destroy_response(e->not_found);
	destroy_response(e->not_allowed);
	destroy_response(e->no_sample);
	destroy_response(e->no_memory);
	body_put(e->body);
	pthread_mutex_destroy(&e->lock);
	free(e);
}
