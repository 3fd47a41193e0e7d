// SPDX-License-Identifier: GPL-2.0
/*
 * http-get PORT PATH OUT: GET PATH from 127.0.0.1:PORT (HTTP/1.0), write the
 * body into OUT and the head into OUT.head, and print "status=N ms=M", M
 * being the time from connecting to the end of the answer, measured here
 * so that starting processes in a slow VM does not count. Gives up after
 * 10 s. PATH may be up to about 32 KiB (a long query string). Exit status:
 * 0 for a 200, 1 for another status, 2 on an error.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define DEADLINE_MS	10000

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read the whole answer into a malloc'd buffer; NULL on error or timeout. */
static char *read_answer(int fd, int64_t deadline, size_t *len)
{
	size_t cap = 1 << 16, got = 0;
	char *buf = malloc(cap + 1), *p;

	if (!buf)
		return NULL;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			fprintf(stderr, "http-get: no complete answer within %d ms\n", DEADLINE_MS);
			goto fail;
		}
		if (got == cap) {
			cap *= 2;
			p = realloc(buf, cap + 1);
			if (!p)
				goto fail;
			buf = p;
		}
		n = recv(fd, buf + got, cap - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "http-get: recv: %s\n", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
fail:
	free(buf);
	return NULL;
}

static int write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f) {
		fprintf(stderr, "http-get: %s: %s\n", path, strerror(errno));
		return -1;
	}
	ok = fwrite(data, 1, len, f) == len;
	if (fclose(f) || !ok) {
		fprintf(stderr, "http-get: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char request[32768], head_path[4096], *answer = NULL, *body;
	int64_t start, deadline, elapsed;
	int fd = -1, status = 0, ret = 2, n;
	size_t len = 0, off = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: http-get PORT PATH OUT\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	n = snprintf(request, sizeof(request), "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n",
		     argv[2]);
	if (n < 0 || (size_t)n >= sizeof(request) ||
	    snprintf(head_path, sizeof(head_path), "%s.head", argv[3]) >= (int)sizeof(head_path)) {
		fprintf(stderr, "http-get: path too long\n");
		return 2;
	}
	start = now_ms();
	deadline = start + DEADLINE_MS;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "http-get: connect to port %s: %s\n", argv[1], strerror(errno));
		goto cleanup;
	}
	while (off < (size_t)n) {
		ssize_t sent = send(fd, request + off, (size_t)n - off, MSG_NOSIGNAL);

		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0) {
			fprintf(stderr, "http-get: send: %s\n", strerror(errno));
			goto cleanup;
		}
		off += (size_t)sent;
	}
	answer = read_answer(fd, deadline, &len);
	if (!answer)
		goto cleanup;
	elapsed = now_ms() - start;
	body = strstr(answer, "\r\n\r\n");
	if (!body || sscanf(answer, "HTTP/1.%*[01] %d", &status) != 1) {
		fprintf(stderr, "http-get: not an HTTP answer: '%.60s'\n", answer);
		goto cleanup;
	}
	printf("status=%d ms=%lld\n", status, (long long)elapsed);
	body += 4;
	if (write_file(head_path, answer, (size_t)(body - answer)) ||
	    write_file(argv[3], body, len - (size_t)(body - answer)))
		goto cleanup;
	ret = status == 200 ? 0 : 1;

cleanup:
	free(answer);
	if (fd >= 0)
		close(fd);
	return ret;
}
