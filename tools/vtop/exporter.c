// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus exporter's HTTP server (see exporter.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "exporter.h"
#include "prom.h"

struct vtop_exporter {
	int listen_fd;
	int wake_rd;			/* readable once stop is asked */
	int wake_wr;
	unsigned int port;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;		/* guards body and body_len */
	char *body;
	size_t body_len;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until @fd is ready for @events, stop is asked, or @deadline_ms
 * passes. 0 when ready, -1 otherwise.
 */
static int wait_fd(struct vtop_exporter *e, int fd, short events, int64_t deadline_ms)
{
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = fd, .events = events },
			{ .fd = e->wake_rd, .events = POLLIN },
		};
		int64_t left = deadline_ms - now_ms();
		int n;

		if (left <= 0)
			return -1;
		n = poll(fds, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || fds[1].revents)
			return -1;
		if (fds[0].revents & (events | POLLHUP | POLLERR))
			return 0;
	}
}

/* The end of the request head in @buf, or NULL while it is incomplete. */
static const char *head_end(const char *buf)
{
	const char *end = strstr(buf, "\r\n\r\n");

	return end ? end : strstr(buf, "\n\n");
}

/*
 * Read the request head into @buf (NUL-terminated). 0 when complete (or
 * the client stopped sending after at least one line), -E2BIG when it
 * does not fit, -1 on timeout or error.
 */
static int read_request(struct vtop_exporter *e, int fd, char *buf, size_t size)
{
	int64_t deadline = now_ms() + VTOP_EXPORTER_READ_MS;
	size_t len = 0;

	buf[0] = '\0';
	while (!head_end(buf)) {
		ssize_t n;

		if (len + 1 >= size)
			return -E2BIG;
		if (wait_fd(e, fd, POLLIN, deadline))
			return -1;
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return strchr(buf, '\n') ? 0 : -1;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return 0;
}

static int send_all(struct vtop_exporter *e, int fd, const char *data, size_t len,
		    int64_t deadline)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (wait_fd(e, fd, POLLOUT, deadline))
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static void respond(struct vtop_exporter *e, int fd, const char *status,
		    const char *type, const char *extra_headers,
		    const char *body, size_t len, bool head_only)
{
	int64_t deadline = now_ms() + VTOP_EXPORTER_WRITE_MS;
	char head[512];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
		     "Connection: close\r\n\r\n", status, type, len, extra_headers);
	if (n < 0 || (size_t)n >= sizeof(head))
		return;
	if (send_all(e, fd, head, (size_t)n, deadline))
		return;
	if (!head_only)
		send_all(e, fd, body, len, deadline);
}

static void respond_text(struct vtop_exporter *e, int fd, const char *status,
			 const char *extra_headers, bool head_only)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%s\n", status);

	respond(e, fd, status, "text/plain; charset=utf-8", extra_headers, body,
		n > 0 ? (size_t)n : 0, head_only);
}

static void serve_metrics(struct vtop_exporter *e, int fd, bool head_only)
{
	char *copy = NULL;
	size_t len = 0;
	bool have = false;

	pthread_mutex_lock(&e->lock);
	if (e->body) {
		have = true;
		len = e->body_len;
		copy = malloc(len ? len : 1);
		if (copy)
			memcpy(copy, e->body, len);
	}
	pthread_mutex_unlock(&e->lock);

	if (!have)
		respond_text(e, fd, "503 Service Unavailable", "", head_only);
	else if (!copy)
		respond_text(e, fd, "500 Internal Server Error", "", head_only);
	else
		respond(e, fd, "200 OK", VTOP_PROM_CONTENT_TYPE, "", copy, len, head_only);
	free(copy);
}

static void handle_client(struct vtop_exporter *e, int fd)
{
	char buf[VTOP_EXPORTER_REQUEST_MAX + 1];
	char method[16], target[256], version[16];
	bool head_only;
	char *query;
	int err;

	err = read_request(e, fd, buf, sizeof(buf));
	if (err == -E2BIG) {
		respond_text(e, fd, "431 Request Header Fields Too Large", "", false);
		return;
	}
	if (err)
		return;
	if (sscanf(buf, "%15s %255s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/", 5)) {
		respond_text(e, fd, "400 Bad Request", "", false);
		return;
	}
	head_only = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head_only) {
		respond_text(e, fd, "405 Method Not Allowed", "Allow: GET, HEAD\r\n", false);
		return;
	}
	query = strchr(target, '?');
	if (query)
		*query = '\0';
	if (strcmp(target, "/metrics")) {
		respond_text(e, fd, "404 Not Found", "", head_only);
		return;
	}
	serve_metrics(e, fd, head_only);
}

/*
 * Close after the answer without losing it: a client still sending (a
 * request too large) would otherwise get a reset instead of the answer.
 * Bounded by time and size.
 */
static void linger_close(struct vtop_exporter *e, int fd)
{
	int64_t deadline = now_ms() + VTOP_EXPORTER_LINGER_MS;
	size_t drained = 0;
	char buf[1024];

	shutdown(fd, SHUT_WR);
	while (drained < VTOP_EXPORTER_REQUEST_MAX * 8 && !wait_fd(e, fd, POLLIN, deadline)) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		drained += (size_t)n;
	}
	close(fd);
}

static void *serve(void *arg)
{
	struct vtop_exporter *e = arg;

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = e->listen_fd, .events = POLLIN },
			{ .fd = e->wake_rd, .events = POLLIN },
		};
		int fd;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents)
			break;
		if (!(fds[0].revents & POLLIN))
			continue;
		fd = accept4(e->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		handle_client(e, fd);
		linger_close(e, fd);
	}
	return NULL;
}

static int listen_on(const char *host, const char *port, unsigned int *bound_port,
		     char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	struct addrinfo *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int fd = -1, gai, saved = 0;

	gai = getaddrinfo(host && host[0] ? host : NULL, port, &hints, &res);
	if (gai) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host ? host : "", gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 16) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s:%s: %s", host ? host : "", port,
			 strerror(saved ? saved : EADDRNOTAVAIL));
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0) {
		if (ss.ss_family == AF_INET)
			*bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			*bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return fd;
}

struct vtop_exporter *vtop_exporter_start(const char *host, const char *port,
					  char *err, size_t errlen)
{
	struct vtop_exporter *e;
	sigset_t all, old;
	int pipefd[2];
	int rc;

	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->listen_fd = e->wake_rd = e->wake_wr = -1;
	pthread_mutex_init(&e->lock, NULL);
	e->listen_fd = listen_on(host, port, &e->port, err, errlen);
	if (e->listen_fd < 0)
		goto cleanup;
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
		goto cleanup;
	}
	e->wake_rd = pipefd[0];
	e->wake_wr = pipefd[1];
	/* Signals are for the sampler: the server thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&e->thread, NULL, serve, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		snprintf(err, errlen, "cannot start the exporter thread: %s", strerror(rc));
		goto cleanup;
	}
	e->running = true;
	return e;

cleanup:
	vtop_exporter_stop(e);
	return NULL;
}

unsigned int vtop_exporter_port(const struct vtop_exporter *e)
{
	return e->port;
}

void vtop_exporter_publish(struct vtop_exporter *e, char *body, size_t len)
{
	char *old;

	pthread_mutex_lock(&e->lock);
	old = e->body;
	e->body = body;
	e->body_len = len;
	pthread_mutex_unlock(&e->lock);
	free(old);
}

void vtop_exporter_stop(struct vtop_exporter *e)
{
	if (!e)
		return;
	if (e->running) {
		ssize_t n;

		do {
			n = write(e->wake_wr, "x", 1);
		} while (n < 0 && errno == EINTR);
		pthread_join(e->thread, NULL);
	}
	if (e->listen_fd >= 0)
		close(e->listen_fd);
	if (e->wake_rd >= 0)
		close(e->wake_rd);
	if (e->wake_wr >= 0)
		close(e->wake_wr);
	pthread_mutex_destroy(&e->lock);
	free(e->body);
	free(e);
}
