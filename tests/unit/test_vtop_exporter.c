// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's HTTP server (tools/vtop/exporter.c) on a loopback port.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
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

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_to(unsigned int port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Send @request (@len bytes) and read the whole answer, NUL-terminated. */
static char *exchange(unsigned int port, const char *request, size_t len)
{
	size_t cap = 1 << 16, got = 0;
	char *buf = malloc(cap);
	int fd = connect_to(port);

	assert_non_null(buf);
	while (len) {
		ssize_t n = send(fd, request, len, MSG_NOSIGNAL);

		if (n < 0) {
			/* The server may hang up before reading everything. */
			assert_true(errno == EPIPE || errno == ECONNRESET);
			break;
		}
		request += n;
		len -= (size_t)n;
	}
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
	close(fd);
	return buf;
}

static char *get(unsigned int port, const char *request)
{
	return exchange(port, request, strlen(request));
}

static struct vtop_exporter *start_local(void)
{
	char err[256] = "";
	struct vtop_exporter *e = vtop_exporter_start("127.0.0.1", "0", err, sizeof(err));

	if (!e)
		print_error("exporter: %s\n", err);
	assert_non_null(e);
	assert_int_not_equal(vtop_exporter_port(e), 0);
	return e;
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
	char *answer;

	(void)state;
	answer = get(vtop_exporter_port(e), "GET /metrics HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(answer, "HTTP/1.0 503 "));
	free(answer);

	publish_text(e, "up 1\n");
	answer = get(vtop_exporter_port(e), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_memory_equal(answer, "HTTP/1.0 200 OK\r\n", 17);
	assert_non_null(strstr(answer, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(answer, "\r\nContent-Length: 5\r\n"));
	assert_non_null(strstr(answer, "\r\n\r\nup 1\n"));
	assert_string_equal(strstr(answer, "\r\n\r\n") + 4, "up 1\n");
	free(answer);

	/* The latest publication wins; a query string is ignored. */
	publish_text(e, "up 2\n");
	answer = get(vtop_exporter_port(e), "GET /metrics?x=1 HTTP/1.0\n\n");
	assert_string_equal(strstr(answer, "\r\n\r\n") + 4, "up 2\n");
	free(answer);
	vtop_exporter_stop(e);
}

static void other_requests(void **state)
{
	struct vtop_exporter *e = start_local();
	unsigned int port = vtop_exporter_port(e);
	char big[VTOP_EXPORTER_REQUEST_MAX + 100];
	char *answer;

	(void)state;
	publish_text(e, "up 1\n");
	answer = get(port, "GET / HTTP/1.0\r\n\r\n");
	assert_memory_equal(answer, "HTTP/1.0 404 ", 13);
	free(answer);
	answer = get(port, "GET /metricsx HTTP/1.0\r\n\r\n");
	assert_memory_equal(answer, "HTTP/1.0 404 ", 13);
	free(answer);
	answer = get(port, "POST /metrics HTTP/1.0\r\n\r\n");
	assert_memory_equal(answer, "HTTP/1.0 405 ", 13);
	assert_non_null(strstr(answer, "\r\nAllow: GET, HEAD\r\n"));
	free(answer);
	answer = get(port, "HEAD /metrics HTTP/1.0\r\n\r\n");
	assert_memory_equal(answer, "HTTP/1.0 200 OK\r\n", 17);
	assert_string_equal(strstr(answer, "\r\n\r\n"), "\r\n\r\n");
	free(answer);
	answer = get(port, "hello\r\n\r\n");
	assert_memory_equal(answer, "HTTP/1.0 400 ", 13);
	free(answer);

	/* A request head past the limit is refused, not read forever. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.0\r\nX: ", 26);
	answer = exchange(port, big, sizeof(big));
	assert_memory_equal(answer, "HTTP/1.0 431 ", 13);
	free(answer);

	/* Still serving after all that. */
	answer = get(port, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_memory_equal(answer, "HTTP/1.0 200 OK\r\n", 17);
	free(answer);
	vtop_exporter_stop(e);
}

static void silent_client_never_blocks_the_sampler(void **state)
{
	struct vtop_exporter *e = start_local();
	int64_t start;
	char *answer;
	int idle;

	(void)state;
	/* A client that connects and says nothing holds the server thread. */
	idle = connect_to(vtop_exporter_port(e));
	usleep(50 * 1000);
	start = now_ms();
	publish_text(e, "up 3\n");
	publish_text(e, "up 4\n");
	assert_true(now_ms() - start < 100);
	close(idle);
	answer = get(vtop_exporter_port(e), "GET /metrics HTTP/1.0\r\n\r\n");
	assert_string_equal(strstr(answer, "\r\n\r\n") + 4, "up 4\n");
	free(answer);

	/* Stopping does not wait for a silent client's timeout either. */
	idle = connect_to(vtop_exporter_port(e));
	usleep(50 * 1000);
	start = now_ms();
	vtop_exporter_stop(e);
	assert_true(now_ms() - start < VTOP_EXPORTER_READ_MS / 2);
	close(idle);
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
	err[0] = '\0';
	/* A numeric address that is not this machine's (TEST-NET-1): no DNS. */
	assert_null(vtop_exporter_start("192.0.2.1", "9100", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot listen on 192.0.2.1:9100"));
	vtop_exporter_stop(e);
	vtop_exporter_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metrics_served),
		cmocka_unit_test(other_requests),
		cmocka_unit_test(silent_client_never_blocks_the_sampler),
		cmocka_unit_test(start_errors),
	};

	return cmocka_run_group_tests_name("vtop_exporter", tests, NULL, NULL);
}
