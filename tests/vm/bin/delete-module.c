// SPDX-License-Identifier: GPL-2.0
/*
 * delete-module NAME: unload module NAME as rmmod(8) does (delete_module(2)
 * with O_NONBLOCK) and say how long the call took, timed around the system
 * call itself: a process that is slow to start under load does not count,
 * and neither the trace buffer (which the unload resets) nor a kprobe is
 * needed. Prints "calling" before the call and "rc RC errno E ms MS" after.
 * Exit status: 0 unloaded, 1 refused (the errno is printed), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	long long t0, t1;
	int ret, err;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: delete-module NAME\n");
		return 2;
	}
	printf("calling\n");
	fflush(stdout);
	t0 = now_us();
	ret = syscall(SYS_delete_module, argv[1], O_NONBLOCK);
	err = ret ? errno : 0;
	t1 = now_us();
	printf("rc %d errno %d ms %lld\n", ret ? 1 : 0, err, (t1 - t0) / 1000);
	if (ret)
		fprintf(stderr, "delete-module: %s: %s\n", argv[1], strerror(err));
	return ret ? 1 : 0;
}
