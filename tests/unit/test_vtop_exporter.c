// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's HTTP server (tools/vtop/exporter.c) on a loopback port:
 * what each request gets, and that idle clients delay no scrape.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "exporter.h"

#define IDLE_CLIENTS	16

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A connected socket to @port on @family's loopback; -1 if that fails. */
static int try_connect(int family, unsigned int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(port),
		.sin6_addr = IN6ADDR_LOOPBACK_INIT,
	};
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -1;
	if (family == AF_INET)
		rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	else
		rc = connect(fd, (struct sockaddr *)&sin6, sizeof(sin6));
	if (rc) {
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_to(unsigned int port)
{
	int fd = try_connect(AF_INET, port);

	assert_true(fd >= 0);
	return fd;
}

/* Send @len bytes of @request on @fd; the server may hang up early. */
static void send_request(int fd, const char *request, size_t len)
{
	while (len) {
		ssize_t n = send(fd, request, len, MSG_NOSIGNAL);

		if (n < 0) {
			assert_true(errno == EPIPE || errno == ECONNRESET);
			return;
		}
		request += n;
		len -= (size_t)n;
	}
}

/* Read until the server closes (5 s at most), NUL-terminated. */
static char *read_all(int fd)
{
	size_t cap = 1 << 16, got = 0;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&p, 1, 5000), 1);
		n = recv(fd, buf + got, cap - 1 - got, 0);
		if (n < 0 && errno == ECONNRESET)
			break;
		assert_true(n >= 0);
		if (n == 0)
			break;
		got += (size_t)n;
		assert_true(got < cap - 1);
	}
	buf[got] = '\0';
	return buf;
}

/* Send @request (@len bytes) on a new connection and read the whole answer. */
static char *exchange(unsigned int port, const char *request, size_t len)
{
	int fd = connect_to(port);
	char *answer;

	send_request(fd, request, len);
	answer = read_all(fd);
	close(fd);
	return answer;
}

static char *get(unsigned int port, const char *request)
{
	return exchange(port, request, strlen(request));
}

/* The status code of an answer: "HTTP/1.x NNN ...". */
static int status_of(const char *answer)
{
	int code = 0;

	if (sscanf(answer, "HTTP/1.%*[01] %d ", &code) != 1)
		fail_msg("not an HTTP answer: '%.60s'", answer);
	return code;
}

static const char *body_of(const char *answer)
{
	const char *end = strstr(answer, "\r\n\r\n");

	assert_non_null(end);
	return end + 4;
}

/* Whether a line of the head of @answer starts with @line (any case). */
static bool has_header(const char *answer, const char *line)
{
	const char *end = strstr(answer, "\r\n\r\n");
	const char *p = strcasestr(answer, line);

	return p && end && p < end && p[-1] == '\n';
}

static struct vtop_exporter *start_on(const char *host)
{
	char err[256] = "";
	struct vtop_exporter *e = vtop_exporter_start(host, "0", err, sizeof(err));

	if (!e)
		print_error("exporter: %s\n", err);
	assert_non_null(e);
	assert_int_not_equal(vtop_exporter_port(e), 0);
	return e;
}

static struct vtop_exporter *start_local(void)
{
	return start_on("127.0.0.1");
}

static void publish_text(struct vtop_exporter *e, const char *text)
{
	char *body = strdup(text);

	assert_non_null(body);
	vtop_exporter_publish(e, body, strlen(body));
}

static void metrics_served(void **state)
{
	struct vtop_exporter *e = start_local();
	unsigned int port = vtop_exporter_port(e);
	char *answer;

	(void)state;
	answer = get(port, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_int_equal(status_of(answer), 503);
	free(answer);

	publish_text(e, "up 1\n");
	answer = get(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_int_equal(status_of(answer), 200);
	assert_true(has_header(answer,
			       "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_true(has_header(answer, "Content-Length: 5\r\n"));
	assert_string_equal(body_of(answer), "up 1\n");
	free(answer);

	/* The latest publication wins; a query string is ignored. */
	publish_text(e, "up 2\n");
	answer = get(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
	assert_int_equal(status_of(answer), 200);
	assert_string_equal(body_of(answer), "up 2\n");
	free(answer);
	vtop_exporter_stop(e);
}

static void keep_alive_serves_several(void **state)
{
	static const char request[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	struct vtop_exporter *e = start_local();
	char buf[4096];
	int fd, i;

	(void)state;
	publish_text(e, "up 1\n");
	fd = connect_to(vtop_exporter_port(e));
	for (i = 0; i < 3; i++) {
		size_t got = 0;

		send_request(fd, request, strlen(request));
		/* The answer ends with its 5-byte body. */
		while (got < 5 || strcmp(buf + got - 5, "up 1\n")) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			ssize_t n;

			assert_int_equal(poll(&p, 1, 5000), 1);
			n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
			assert_true(n > 0);
			got += (size_t)n;
			buf[got] = '\0';
		}
		assert_int_equal(status_of(buf), 200);
	}
	close(fd);
	vtop_exporter_stop(e);
}

static void other_requests(void **state)
{
	struct vtop_exporter *e = start_local();
	unsigned int port = vtop_exporter_port(e);
	char big[64 * 1024];
	char *answer;

	(void)state;
	publish_text(e, "up 1\n");
	/* The root page names /metrics. */
	answer = get(port, "GET / HTTP/1.0\r\n\r\n");
	assert_int_equal(status_of(answer), 200);
	assert_true(has_header(answer, "Content-Type: text/html"));
	assert_non_null(strstr(body_of(answer), "href=\"/metrics\""));
	free(answer);
	answer = get(port, "GET /metricsx HTTP/1.0\r\n\r\n");
	assert_int_equal(status_of(answer), 404);
	assert_non_null(strstr(body_of(answer), "/metrics"));
	free(answer);
	answer = get(port, "GET /index.html HTTP/1.0\r\n\r\n");
	assert_int_equal(status_of(answer), 404);
	free(answer);
	answer = get(port, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(status_of(answer), 405);
	assert_true(has_header(answer, "Allow: GET, HEAD\r\n"));
	free(answer);
	answer = get(port, "HEAD /metrics HTTP/1.0\r\n\r\n");
	assert_int_equal(status_of(answer), 200);
	assert_string_equal(body_of(answer), "");
	free(answer);
	/* Not HTTP: a 400, or the connection closed without an answer. */
	answer = get(port, "hello\r\n\r\n");
	if (answer[0])
		assert_int_equal(status_of(answer), 400);
	free(answer);

	/*
	 * A request head past the memory limit is refused (431), not read
	 * forever; the answer may be lost to a reset, as the client was still
	 * sending when the server closed.
	 */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.0\r\nX: ", 26);
	answer = exchange(port, big, sizeof(big));
	if (answer[0])
		assert_int_equal(status_of(answer), 431);
	free(answer);

	/* Still serving after all that. */
	answer = get(port, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_int_equal(status_of(answer), 200);
	free(answer);
	vtop_exporter_stop(e);
}

static void idle_clients_delay_no_scrape(void **state)
{
	struct vtop_exporter *e = start_local();
	unsigned int port = vtop_exporter_port(e);
	int idle[IDLE_CLIENTS], i;
	int64_t start;
	char *answer;

	(void)state;
	publish_text(e, "up 3\n");
	/* Silent clients, and clients that stop half-way through a request. */
	for (i = 0; i < IDLE_CLIENTS; i++) {
		idle[i] = connect_to(port);
		if (i % 2)
			send_request(idle[i], "GET /metrics HTTP/1.1\r\nHo", 25);
	}
	start = now_ms();
	publish_text(e, "up 4\n");
	assert_true(now_ms() - start < 100);
	for (i = 0; i < 3; i++) {
		start = now_ms();
		answer = get(port, "GET /metrics HTTP/1.0\r\n\r\n");
		assert_int_equal(status_of(answer), 200);
		assert_string_equal(body_of(answer), "up 4\n");
		free(answer);
		/* One poll round, not a client's timeout. */
		assert_true(now_ms() - start < 1000);
	}

	/* Stopping does not wait for the idle clients' timeout either. */
	start = now_ms();
	vtop_exporter_stop(e);
	assert_true(now_ms() - start < 1000);
	for (i = 0; i < IDLE_CLIENTS; i++)
		close(idle[i]);
}

static void idle_client_timed_out(void **state)
{
	struct vtop_exporter *e = start_local();
	struct pollfd p;
	int64_t start;
	char c;

	(void)state;
	p.fd = connect_to(vtop_exporter_port(e));
	p.events = POLLIN;
	start = now_ms();
	/* The server closes the connection: EOF, after the timeout. */
	assert_int_equal(poll(&p, 1, (VTOP_EXPORTER_TIMEOUT_S + 5) * 1000), 1);
	assert_true(recv(p.fd, &c, 1, 0) <= 0);
	assert_true(now_ms() - start >= (VTOP_EXPORTER_TIMEOUT_S - 1) * 1000);
	close(p.fd);
	vtop_exporter_stop(e);
}

static void every_address(void **state)
{
	struct vtop_exporter *e = start_on("");
	unsigned int port = vtop_exporter_port(e);
	char *answer, where[32];
	int fd;

	(void)state;
	publish_text(e, "up 5\n");
	answer = get(port, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_string_equal(body_of(answer), "up 5\n");
	free(answer);
	/* IPv6 too, where this machine has it. */
	fd = try_connect(AF_INET6, port);
	if (fd >= 0) {
		snprintf(where, sizeof(where), "[::]:%u", port);
		assert_string_equal(vtop_exporter_address(e), where);
		send_request(fd, "GET /metrics HTTP/1.0\r\n\r\n", 25);
		answer = read_all(fd);
		assert_string_equal(body_of(answer), "up 5\n");
		free(answer);
		close(fd);
	}
	vtop_exporter_stop(e);
}

static void loopback_only(void **state)
{
	struct vtop_exporter *e = start_on("127.0.0.1");
	char where[32];
	int fd;

	(void)state;
	snprintf(where, sizeof(where), "127.0.0.1:%u", vtop_exporter_port(e));
	assert_string_equal(vtop_exporter_address(e), where);
	/* Nothing on ::1 (or no IPv6 at all). */
	fd = try_connect(AF_INET6, vtop_exporter_port(e));
	assert_int_equal(fd, -1);
	vtop_exporter_stop(e);
}

static void start_errors(void **state)
{
	struct vtop_exporter *e = start_local(), *second;
	char port[16], err[256] = "";

	(void)state;
	snprintf(port, sizeof(port), "%u", vtop_exporter_port(e));
	second = vtop_exporter_start("127.0.0.1", port, err, sizeof(err));
	assert_null(second);
	assert_non_null(strstr(err, "cannot listen on 127.0.0.1:"));
	assert_non_null(strstr(err, "in use"));
	err[0] = '\0';
	/* A numeric address that is not this machine's (TEST-NET-1): no DNS. */
	assert_null(vtop_exporter_start("192.0.2.1", "9100", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot listen on 192.0.2.1:9100"));
	err[0] = '\0';
	assert_null(vtop_exporter_start("[::1]", "9100", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot resolve '[::1]'"));

	/* Stopping releases the port at once. */
	vtop_exporter_stop(e);
	second = vtop_exporter_start("127.0.0.1", port, err, sizeof(err));
	if (!second)
		fail_msg("the port stays taken after stop: %s", err);
	vtop_exporter_stop(second);
	vtop_exporter_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metrics_served),
		cmocka_unit_test(keep_alive_serves_several),
		cmocka_unit_test(other_requests),
		cmocka_unit_test(idle_clients_delay_no_scrape),
		cmocka_unit_test(idle_client_timed_out),
		cmocka_unit_test(every_address),
		cmocka_unit_test(loopback_only),
		cmocka_unit_test(start_errors),
	};

	return cmocka_run_group_tests_name("vtop_exporter", tests, NULL, NULL);
}
