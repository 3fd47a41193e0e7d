// SPDX-License-Identifier: GPL-2.0
/*
 * zc-test: the semantics and isolation of uvdev's zero-copy window.
 *
 * It creates a virtio_blk device over 16 MiB of its own memory and is its
 * backend (a thread that serves data through the window, or with XFER),
 * while its main thread is the client: O_DIRECT reads and writes of
 * /dev/vdX with buffers of different shapes (the idea of the vsock
 * MSG_ZEROCOPY tests). For each request the backend logs what the kernel
 * mapped and bounced, and the client checks it against what the buffer's
 * physical pages (from /proc/self/pagemap) say must happen: a run of
 * physically contiguous pages is one descriptor; it is mapped when it
 * starts and ends on page boundaries, bounced otherwise. The data must be
 * right either way.
 *
 * Checked: mapped vs copied per shape; completion ranges exact and
 * coalesced, across the 32-bit id wrap (the device is created with the
 * module's test-only zc_first_id near 2^32); reaping none -> EAGAIN; a
 * full window -> ENOBUFS and the chain still served by XFER; an out-
 * segment is not writable; get_user_pages on the window fails; after push
 * the addresses fault; a fork's child has no window; the window cannot be split, moved or grown; a backend
 * killed with a chain mapped (CYCLES times, each with a fresh client
 * buffer unmapped after) leaves no page reference: MemFree comes back, and
 * the kernel's count of referenced pages is 0.
 *
 * With --shapes it is only a client: COUNT rounds of O_DIRECT reads of DEV
 * (another backend's disk) with whole-page, partial-page and mixed buffers,
 * so that backend maps some pages and bounces others.
 *
 * Usage: zc-test NAME [CYCLES]     (root; uvdev and virtio_blk loaded)
 *        zc-test --shapes DEV COUNT
 * Exit status: 0 every check passed, 1 a check failed, 2 setup failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "libuvdev.h"

#define PAGE		4096u
#define DISK_BYTES	(16u << 20)
#define WINDOW_PAGES	256u
#define QSIZE		128u
#define MAX_SEGS	(QSIZE + 2)
#define LOG_MAX		4096
#define REC_MAX		4096
#define FIRST_ID	0xfffffffeu

static int failures;

static void check(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void check(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", cond ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		failures++;
}

static void die(const char *what)
{
	fprintf(stderr, "zc-test: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---- probing addresses for faults ----------------------------------- */

static __thread sigjmp_buf probe_jmp;
static __thread volatile sig_atomic_t probing;

static void on_segv(int sig)
{
	if (probing)
		siglongjmp(probe_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* True if reading (or, with @write, writing) @p faults. */
static bool faults(volatile uint8_t *p, bool write)
{
	bool fault = false;

	if (sigsetjmp(probe_jmp, 1)) {
		fault = true;
	} else {
		probing = 1;
		if (write)
			*p = *p;
		else
			(void)*p;
	}
	probing = 0;
	return fault;
}

/* ---- the backend ---------------------------------------------------- */

struct logent {
	uint32_t type;
	uint64_t sector;
	uint32_t len;
	int map_ret;		/* 0, or the negative errno of ZC_MAP */
	uint32_t id, nsegs, mapped, copied;
	bool ro_faulted;	/* a write to an out-segment faulted */
	bool after_faulted;	/* reading the window after push faulted */
	bool gup_refused;	/* vmsplice (get_user_pages) of it: EFAULT */
	int fork_status;	/* the child's probe: 0 = the window was absent */
	bool done;		/* served, pushed, probed and reaped */
};

static struct {
	int fd;
	int kick;
	int stop;		/* eventfd: the serving thread exits */
	uint8_t *window;
	uint8_t *disk;
	pthread_mutex_t lock;	/* the logs and the switches */
	struct logent log[LOG_MAX];
	unsigned int nlog;
	struct uvdev_zc_completion recs[REC_MAX];
	unsigned int nrecs;
	bool zc;		/* serve data through the window */
	bool reap;		/* reap after each push */
	bool probe_ro, probe_after, probe_fork;
} be = { .lock = PTHREAD_MUTEX_INITIALIZER, .reap = true };

static bool flag(bool *f)
{
	bool v;

	pthread_mutex_lock(&be.lock);
	v = *f;
	pthread_mutex_unlock(&be.lock);
	return v;
}

static void set_flag(bool *f, bool v)
{
	pthread_mutex_lock(&be.lock);
	*f = v;
	pthread_mutex_unlock(&be.lock);
}

static void reap_all(void)
{
	struct uvdev_zc_completion c[64];
	int n, i;

	while ((n = uvdev_zc_reap(be.fd, c, 64)) > 0) {
		pthread_mutex_lock(&be.lock);
		for (i = 0; i < n && be.nrecs < REC_MAX; i++)
			be.recs[be.nrecs++] = c[i];
		pthread_mutex_unlock(&be.lock);
	}
}

/* Move @len bytes between the window's segments and @buf. */
static void seg_copy(const struct uvdev_zc_seg *segs, uint32_t nsegs,
		     uint8_t *buf, bool to_window)
{
	uint32_t i;

	for (i = 0; i < nsegs; i++) {
		if (to_window)
			memcpy(be.window + segs[i].offset, buf, segs[i].len);
		else
			memcpy(buf, be.window + segs[i].offset, segs[i].len);
		buf += segs[i].len;
	}
}

static int xfer(uint32_t head, uint32_t dir, uint32_t off, void *buf, uint32_t len)
{
	struct uvdev_vq_xfer_op op = {
		.queue = 0, .head = head, .dir = dir, .offset = off, .len = len,
		.addr = (uintptr_t)buf,
	};

	return uvdev_vq_xfer(be.fd, &op, 1) == 1 ? 0 : -1;
}

/*
 * True if get_user_pages on @p fails: vmsplice() takes references to the
 * pages it is given, so it must get none of the window's.
 */
static bool gup_refused(uint8_t *p)
{
	struct iovec iov = { .iov_base = p, .iov_len = PAGE };
	int pipefd[2];
	bool refused;

	if (pipe(pipefd))
		return false;
	refused = vmsplice(pipefd[1], &iov, 1, 0) < 0 && errno == EFAULT;
	close(pipefd[0]);
	close(pipefd[1]);
	return refused;
}

/* The child's probe of the window address @p: exit 0 if it faults. */
static int fork_probe(uint8_t *p)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(faults(p, false) ? 0 : 1);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void serve(const struct uvdev_vq_elem *e, const uint8_t *peek)
{
	struct virtio_blk_outhdr hdr;
	struct uvdev_zc_seg segs[MAX_SEGS];
	struct uvdev_zc_map res;
	struct logent ent = { .map_ret = 1 };
	uint8_t status = VIRTIO_BLK_S_OK;
	unsigned int slot = LOG_MAX;
	bool in;
	uint32_t len, used = 1;
	uint64_t off;

	memcpy(&hdr, peek, sizeof(hdr));
	ent.type = hdr.type;
	ent.sector = hdr.sector;
	/* Logged before the push, so the client finds it; done after. */
	pthread_mutex_lock(&be.lock);
	if (be.nlog < LOG_MAX) {
		slot = be.nlog++;
		be.log[slot] = ent;
	}
	pthread_mutex_unlock(&be.lock);
	in = hdr.type == VIRTIO_BLK_T_IN;
	len = in ? e->in_bytes - 1 : e->out_bytes - sizeof(hdr);
	ent.len = len;
	off = hdr.sector * 512;
	if ((hdr.type != VIRTIO_BLK_T_IN && hdr.type != VIRTIO_BLK_T_OUT) ||
	    off > DISK_BYTES || len > DISK_BYTES - off) {
		status = hdr.type == VIRTIO_BLK_T_FLUSH ? VIRTIO_BLK_S_OK :
							   VIRTIO_BLK_S_UNSUPP;
		len = 0;
		goto done;
	}
	if (len && flag(&be.zc)) {
		ent.map_ret = uvdev_zc_map(be.fd, 0, e->head,
					   in ? 0 : sizeof(hdr), in ? 0 : len,
					   0, in ? len : 0, segs, MAX_SEGS, &res);
	}
	if (ent.map_ret == 0) {
		ent.id = res.id;
		ent.nsegs = res.nsegs;
		ent.mapped = res.mapped_pages;
		ent.copied = res.copied_pages;
		seg_copy(segs, res.nsegs, be.disk + off, in);
		if (!in && flag(&be.probe_ro)) {
			ent.ro_faulted = faults(be.window + segs[0].offset, true);
			ent.gup_refused = gup_refused(be.window + segs[0].offset);
		}
		if (flag(&be.probe_fork))
			ent.fork_status = fork_probe(be.window + segs[0].offset);
	} else if (len) {
		if (xfer(e->head, in ? UVDEV_XFER_WRITE : UVDEV_XFER_READ,
			 in ? 0 : sizeof(hdr), be.disk + off, len))
			status = VIRTIO_BLK_S_IOERR;
	}
done:
	if (xfer(e->head, UVDEV_XFER_WRITE, e->in_bytes - 1, &status, 1))
		fprintf(stderr, "zc-test: status xfer failed\n");
	if (in)
		used += len;
	{
		struct uvdev_vq_used u = { .head = e->head, .len = used };

		if (uvdev_vq_push(be.fd, 0, &u, 1, UVDEV_PUSH_F_IRQ) != 1)
			fprintf(stderr, "zc-test: push failed\n");
	}
	if (ent.map_ret == 0 && flag(&be.probe_after))
		ent.after_faulted = faults(be.window + segs[0].offset, false);
	if (flag(&be.reap))
		reap_all();
	ent.done = true;
	pthread_mutex_lock(&be.lock);
	if (slot < LOG_MAX)
		be.log[slot] = ent;
	pthread_mutex_unlock(&be.lock);
}

static void *serve_loop(void *arg)
{
	struct uvdev_vq_elem elems[16];
	uint8_t peek[16 * 16];
	struct pollfd pfd[2] = {
		{ .fd = be.kick, .events = POLLIN },
		{ .fd = be.stop, .events = POLLIN },
	};
	uint64_t v;
	int n, i;

	(void)arg;
	for (;;) {
		while ((n = uvdev_vq_pop(be.fd, 0, elems, 16, peek, 16)) > 0)
			for (i = 0; i < n; i++)
				serve(&elems[i], peek + i * 16);
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (pfd[0].revents && read(be.kick, &v, sizeof(v)) < 0)
			break;
	}
	return NULL;
}

static void *message_loop(void *arg)
{
	int fd = *(int *)arg;
	struct uvdev_msg msg;

	while (uvdev_read_msg(fd, &msg) == 0)
		if (uvdev_reply_msg(fd, &msg, 0))
			break;
	return NULL;
}

static pthread_t serve_thread, msg_thread;

static void backend_start(const char *name)
{
	int ret;

	be.fd = uvdev_open(name);
	if (be.fd < 0) {
		errno = -be.fd;
		die("open the device");
	}
	be.kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	be.stop = eventfd(0, EFD_CLOEXEC);
	if (be.kick < 0 || be.stop < 0)
		die("eventfd");
	ret = uvdev_vq_set_kickfd(be.fd, 0, be.kick);
	if (ret) {
		errno = -ret;
		die("set the kick eventfd");
	}
	ret = uvdev_zc_window(be.fd, WINDOW_PAGES, (void **)&be.window);
	if (ret) {
		errno = -ret;
		die("mmap the window");
	}
	if (pthread_create(&msg_thread, NULL, message_loop, &be.fd) ||
	    pthread_create(&serve_thread, NULL, serve_loop, NULL))
		die("pthread_create");
}

/* Stop serving and close the fd: mapped chains go back to the ring. */
static void backend_stop(void)
{
	uint64_t one = 1;

	if (write(be.stop, &one, sizeof(one)) != sizeof(one))
		die("stop the backend");
	pthread_join(serve_thread, NULL);
	uvdev_zc_window_unmap(be.window, WINDOW_PAGES);
	/* The message thread ends when the fd is gone: cancel its read. */
	pthread_cancel(msg_thread);
	pthread_join(msg_thread, NULL);
	close(be.fd);
	close(be.kick);
	close(be.stop);
}

/* ---- the client ----------------------------------------------------- */

static int disk_fd;
static unsigned int seq;

static uint64_t pfn_of(const void *p)
{
	static int fd = -1;
	uint64_t e;

	if (fd < 0)
		fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, &e, 8, (off_t)((uintptr_t)p / PAGE) * 8) != 8)
		die("read /proc/self/pagemap");
	return e & ((1ULL << 55) - 1);
}

/*
 * What the kernel must map and bounce for an O_DIRECT request on @len
 * bytes at @buf: each run of physically contiguous pages is a descriptor.
 */
static void expect_shape(const uint8_t *buf, uint32_t len, uint32_t *mapped,
			 uint32_t *copied)
{
	uintptr_t a = (uintptr_t)buf, end = a + len;
	uint64_t prev = 0;
	uintptr_t run_start = a;

	*mapped = *copied = 0;
	while (a < end) {
		uintptr_t next = (a / PAGE + 1) * PAGE;
		uint64_t pfn = pfn_of((const void *)a);
		bool cont = a != run_start && pfn == prev + 1;

		if (!cont && a != run_start) {
			uintptr_t rl = a - run_start;

			if (run_start % PAGE == 0 && rl % PAGE == 0)
				*mapped += rl / PAGE;
			else
				*copied += (rl + PAGE - 1) / PAGE;
			run_start = a;
		}
		prev = pfn;
		a = next < end ? next : end;
	}
	{
		uintptr_t rl = end - run_start;

		if (run_start % PAGE == 0 && rl % PAGE == 0)
			*mapped += rl / PAGE;
		else
			*copied += (rl + PAGE - 1) / PAGE;
	}
}

/*
 * The backend's log entry of the last request of @type at @sector, once
 * the backend is done with it (it is logged before its push, which the
 * client's I/O waited for).
 */
static struct logent last_log(uint32_t type, uint64_t sector)
{
	struct logent e = { .map_ret = 1 };
	unsigned int i, tries;

	for (tries = 0; tries < 1000; tries++) {
		pthread_mutex_lock(&be.lock);
		for (i = be.nlog; i-- > 0;)
			if (be.log[i].type == type && be.log[i].sector == sector) {
				e = be.log[i];
				break;
			}
		pthread_mutex_unlock(&be.lock);
		if (e.done)
			return e;
		usleep(10000);
	}
	fprintf(stderr, "zc-test: no finished request of type %u at sector %" PRIu64 "\n",
		type, sector);
	exit(2);
}

static void fill(uint8_t *p, uint32_t len, unsigned int salt)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + salt * 13 + (i >> 9));
}

/*
 * Write @len bytes from @buf at @off, read them back into a second buffer
 * of the same shape, check the data and the shape both ways. Returns the
 * log entry of the read.
 */
static struct logent roundtrip(const char *what, uint8_t *buf, uint8_t *back,
			       uint32_t len, uint64_t off)
{
	uint32_t em, ec;
	struct logent w, r;
	unsigned int salt = ++seq;

	fill(buf, len, salt);
	if (pwrite(disk_fd, buf, len, (off_t)off) != (ssize_t)len)
		die("pwrite the disk");
	w = last_log(VIRTIO_BLK_T_OUT, off / 512);
	expect_shape(buf, len, &em, &ec);
	check(w.map_ret == 0 && w.mapped == em && w.copied == ec,
	      "%s write: mapped %u copied %u (expected %u, %u; map %d)", what,
	      w.mapped, w.copied, em, ec, w.map_ret);
	check(memcmp(be.disk + off, buf, len) == 0, "%s write: data on the disk", what);

	memset(back, 0xa5, len);
	if (pread(disk_fd, back, len, (off_t)off) != (ssize_t)len)
		die("pread the disk");
	r = last_log(VIRTIO_BLK_T_IN, off / 512);
	expect_shape(back, len, &em, &ec);
	check(r.map_ret == 0 && r.mapped == em && r.copied == ec,
	      "%s read: mapped %u copied %u (expected %u, %u; map %d)", what,
	      r.mapped, r.copied, em, ec, r.map_ret);
	check(memcmp(back, buf, len) == 0, "%s read: data read back", what);
	return r;
}

static uint8_t *area(size_t bytes)
{
	uint8_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap a buffer");
	return p;
}

/*
 * A buffer whose neighbouring pages are not physically contiguous: every
 * other page of a populated area twice its size, moved into place. So
 * each page is a descriptor of its own.
 */
static uint8_t *scattered(size_t bytes)
{
	uint8_t *src = area(2 * bytes), *dst = area(bytes);
	size_t i;

	for (i = 0; i < bytes / PAGE; i++)
		if (mremap(src + 2 * i * PAGE, PAGE, PAGE,
			   MREMAP_MAYMOVE | MREMAP_FIXED, dst + i * PAGE) == MAP_FAILED)
			die("mremap a page");
	munmap(src, 2 * bytes);
	return dst;
}

static void read_at(uint8_t *buf, uint32_t len, uint64_t off)
{
	if (pread(disk_fd, buf, len, (off_t)off) != (ssize_t)len)
		die("pread the disk");
}

static void test_shapes(void)
{
	uint8_t *a = area(1 << 20), *b = area(1 << 20);
	struct logent r;

	printf("== buffer shapes\n");
	r = roundtrip("aligned 64k", a, b, 65536, 1 << 20);
	check(r.copied == 0 && r.mapped == 16, "aligned whole pages are all mapped");
	roundtrip("aligned 4k", a, b, 4096, 2 << 20);
	r = roundtrip("sub-page 512 at +1024", a + 1024, b + 1024, 512, 3 << 20);
	check(r.mapped == 0 && r.copied == 1, "a sub-page buffer is bounced");
	roundtrip("unaligned 8k at +512", a + 512, b + 512, 8192, 4 << 20);
	roundtrip("unaligned 60k at +3584", a + 3584, b + 3584, 61440, 5 << 20);
	roundtrip("aligned 256k", a, b, 256 << 10, 8 << 20);
	munmap(a, 1 << 20);
	munmap(b, 1 << 20);
	a = scattered(65536);
	b = scattered(65536);
	r = roundtrip("scattered 40k at +512", a + 512, b + 512, 40960, 9 << 20);
	check(r.mapped > 0 && r.copied > 0,
	      "a mixed chain: its whole pages mapped, its partial ones bounced");
	roundtrip("scattered 64k", a, b, 65536, 9 << 20);
	munmap(a, 65536);
	munmap(b, 65536);
}

/* Reaped completions since @from. */
static unsigned int recs_since(unsigned int from, struct uvdev_zc_completion *out,
			       unsigned int max)
{
	unsigned int n = 0;

	pthread_mutex_lock(&be.lock);
	while (from + n < be.nrecs && n < max) {
		out[n] = be.recs[from + n];
		n++;
	}
	pthread_mutex_unlock(&be.lock);
	return n;
}

static unsigned int nrecs(void)
{
	unsigned int n;

	pthread_mutex_lock(&be.lock);
	n = be.nrecs;
	pthread_mutex_unlock(&be.lock);
	return n;
}

static void test_wrap(void)
{
	uint8_t *a = area(65536);
	struct uvdev_zc_completion c[4];
	unsigned int from = nrecs(), n, i;
	struct logent e;

	printf("== completion ranges across the id wrap\n");
	set_flag(&be.reap, false);
	for (i = 0; i < 4; i++) {
		read_at(a, 8192, (64 + i) * PAGE);
		e = last_log(VIRTIO_BLK_T_IN, (64 + i) * PAGE / 512);
		check(e.map_ret == 0 && e.id == FIRST_ID + i,
		      "request %u has id %#x (got %#x)", i, FIRST_ID + i, e.id);
	}
	reap_all();
	n = recs_since(from, c, 4);
	check(n == 1, "four consecutive ids make one completion (got %u)", n);
	if (n >= 1)
		check(c[0].lo == FIRST_ID && c[0].hi == 1 && !c[0].flags &&
		      uvdev_zc_ids(&c[0]) == 4,
		      "it is %#x..%#x across the wrap (got %#x..%#x flags %u)",
		      FIRST_ID, 1u, c[0].lo, c[0].hi, c[0].flags);
	set_flag(&be.reap, true);
	munmap(a, 65536);
}

/* A reap whose copy to user memory faults takes no completion. */
static void reap_fault_keeps(void)
{
	struct uvdev_zc_info before, after;
	void *ro;
	int ret;

	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		die("mmap of a read-only page");
	if (uvdev_zc_info(be.fd, &before))
		die("UVDEV_IOC_ZC_INFO");
	ret = uvdev_zc_reap(be.fd, ro, 8);
	if (uvdev_zc_info(be.fd, &after))
		die("UVDEV_IOC_ZC_INFO");
	check(ret == -EFAULT && before.pending > 0 && after.pending == before.pending &&
	      after.free_pages == before.free_pages,
	      "a reap into read-only memory fails with EFAULT and takes none (%d; %u -> %u pending, %u -> %u free pages)",
	      ret, before.pending, after.pending, before.free_pages, after.free_pages);
	munmap(ro, PAGE);
}

static void test_coalesce(void)
{
	uint8_t *a = area(65536);
	struct uvdev_zc_completion c[8], none;
	unsigned int from = nrecs(), n;
	uint32_t id0;
	int ret;

	printf("== completion ranges coalesce by copied flag\n");
	ret = uvdev_zc_reap(be.fd, &none, 1);
	check(ret == -EAGAIN, "reaping with none pending fails with EAGAIN (%d)", ret);
	set_flag(&be.reap, false);
	read_at(a, 8192, 80 * PAGE);
	id0 = last_log(VIRTIO_BLK_T_IN, 80 * PAGE / 512).id;
	read_at(a, 8192, 81 * PAGE);
	read_at(a, 8192, 82 * PAGE);
	read_at(a + 512, 1024, 83 * PAGE);	/* bounced */
	read_at(a, 4096, 84 * PAGE);
	read_at(a, 4096, 85 * PAGE);
	reap_fault_keeps();
	reap_all();
	n = recs_since(from, c, 8);
	check(n == 3, "three completions (got %u)", n);
	if (n == 3) {
		check(c[0].lo == id0 && c[0].hi == id0 + 2 && !c[0].flags,
		      "mapped ids %u..%u (got %u..%u/%u)", id0, id0 + 2,
		      c[0].lo, c[0].hi, c[0].flags);
		check(c[1].lo == id0 + 3 && c[1].hi == id0 + 3 &&
		      c[1].flags == UVDEV_ZC_COPIED,
		      "bounced id %u alone, COPIED (got %u..%u/%u)", id0 + 3,
		      c[1].lo, c[1].hi, c[1].flags);
		check(c[2].lo == id0 + 4 && c[2].hi == id0 + 5 && !c[2].flags,
		      "mapped ids %u..%u (got %u..%u/%u)", id0 + 4, id0 + 5,
		      c[2].lo, c[2].hi, c[2].flags);
	}
	set_flag(&be.reap, true);
	munmap(a, 65536);
}

static void test_window_full(void)
{
	uint8_t *a = area(65536), *b = area(65536);
	struct uvdev_zc_info info;
	struct logent e;
	unsigned int i, full = 0;

	printf("== a full window\n");
	set_flag(&be.reap, false);
	for (i = 0; i < WINDOW_PAGES / 16 + 2; i++) {
		fill(a, 65536, i);
		if (pwrite(disk_fd, a, 65536, (off_t)(i * 65536)) != 65536)
			die("pwrite");
		read_at(b, 65536, i * 65536);
		e = last_log(VIRTIO_BLK_T_IN, i * 65536 / 512);
		if (e.map_ret == -ENOBUFS) {
			full++;
			check(memcmp(a, b, 65536) == 0,
			      "read %u refused with ENOBUFS, served by XFER, data right", i);
		}
	}
	check(full > 0, "the window filled up: %u maps refused with ENOBUFS", full);
	if (uvdev_zc_info(be.fd, &info) == 0)
		check(info.free_pages < 32 && info.pending > 0 && info.refused >= full,
		      "ZC_INFO: %u pages free, %u completions pending, %llu refused",
		      info.free_pages, info.pending, (unsigned long long)info.refused);
	reap_all();
	set_flag(&be.reap, true);
	read_at(b, 65536, 0);
	e = last_log(VIRTIO_BLK_T_IN, 0);
	check(e.map_ret == 0, "after reaping, maps succeed again (%d)", e.map_ret);
	if (uvdev_zc_info(be.fd, &info) == 0)
		check(info.free_pages == WINDOW_PAGES && info.mapped_ids == 0 &&
		      info.page_refs == 0,
		      "all %u window pages free, no chain mapped, no page referenced",
		      info.free_pages);
	munmap(a, 65536);
	munmap(b, 65536);
}

static void test_isolation(void)
{
	uint8_t *a = area(65536), *m, *dst;
	struct logent e;

	printf("== isolation\n");
	set_flag(&be.probe_ro, true);
	set_flag(&be.probe_after, true);
	set_flag(&be.probe_fork, true);
	fill(a, 65536, 99);
	if (pwrite(disk_fd, a, 65536, 6 << 20) != 65536)
		die("pwrite");
	e = last_log(VIRTIO_BLK_T_OUT, (6 << 20) / 512);
	check(e.map_ret == 0 && e.ro_faulted, "writing a mapped out-segment faults");
	check(e.gup_refused, "get_user_pages on a mapped page fails (vmsplice: EFAULT)");
	check(e.after_faulted, "after push the write's window addresses fault");
	check(e.fork_status == 0, "a fork's child has no window (status %d)",
	      e.fork_status);
	read_at(a, 4096, 6 << 20);
	e = last_log(VIRTIO_BLK_T_IN, (6 << 20) / 512);
	check(e.map_ret == 0 && e.after_faulted,
	      "after push the read's window addresses fault");
	set_flag(&be.probe_ro, false);
	set_flag(&be.probe_after, false);
	set_flag(&be.probe_fork, false);

	check(munmap(be.window + PAGE, PAGE) == -1 && errno == EINVAL,
	      "the window cannot be split (munmap of a part: EINVAL)");
	m = mremap(be.window, WINDOW_PAGES * PAGE, 2 * WINDOW_PAGES * PAGE, 0);
	check(m == MAP_FAILED, "the window cannot grow (mremap: %s)", strerror(errno));
	/* Somewhere to move it to: MREMAP_FIXED unmaps the target first. */
	dst = mmap(NULL, WINDOW_PAGES * PAGE, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dst == MAP_FAILED)
		die("mmap a target");
	m = mremap(be.window, WINDOW_PAGES * PAGE, WINDOW_PAGES * PAGE,
		   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	check(m == MAP_FAILED, "the window cannot move (mremap: %s)", strerror(errno));
	munmap(dst, WINDOW_PAGES * PAGE);
	m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, be.fd, 0);
	check(m == MAP_FAILED && errno == EINVAL, "a private mapping is refused");
	if (m != MAP_FAILED)
		munmap(m, PAGE);
	m = mmap(NULL, (WINDOW_PAGES + 1) * PAGE, PROT_READ, MAP_SHARED, be.fd, 0);
	check(m == MAP_FAILED && errno == EINVAL, "a mapping past the window is refused");
	if (m != MAP_FAILED)
		munmap(m, (WINDOW_PAGES + 1) * PAGE);
	munmap(a, 65536);
}

/* ---- a backend killed with a chain mapped ----------------------------- */

/* MemFree in KiB, after dropping the clean caches. */
static long mem_free_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f;

	sync();
	f = fopen("/proc/sys/vm/drop_caches", "w");
	if (!f || fputs("3", f) < 0 || fclose(f))
		die("drop caches");
	f = fopen("/proc/meminfo", "r");
	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The killed backend, a forked child: map the read of @sector, say so on @fd, wait. */
static int child_main(const char *name, uint64_t sector, int fd)
{
	struct uvdev_vq_elem e;
	struct uvdev_zc_seg segs[MAX_SEGS];
	struct uvdev_zc_map res;
	uint8_t peek[16];
	struct virtio_blk_outhdr hdr;
	struct uvdev_zc_info info;
	uint32_t report[2];
	struct pollfd pfd;
	uint64_t v;
	int n;

	be.fd = uvdev_open(name);
	be.kick = eventfd(0, EFD_CLOEXEC);
	if (be.fd < 0 || be.kick < 0 || uvdev_vq_set_kickfd(be.fd, 0, be.kick) ||
	    uvdev_zc_window(be.fd, WINDOW_PAGES, (void **)&be.window))
		return 2;
	pfd.fd = be.kick;
	pfd.events = POLLIN;
	for (;;) {
		n = uvdev_vq_pop(be.fd, 0, &e, 1, peek, 16);
		if (n < 0)
			return 2;
		if (n == 0) {
			if (poll(&pfd, 1, -1) < 0 || read(be.kick, &v, 8) != 8)
				return 2;
			continue;
		}
		memcpy(&hdr, peek, sizeof(hdr));
		if (hdr.type != VIRTIO_BLK_T_IN || hdr.sector != sector)
			return 3;
		if (uvdev_zc_map(be.fd, 0, e.head, 0, 0, 0, e.in_bytes - 1, segs,
				 MAX_SEGS, &res))
			return 4;
		/* Touch it, so ptes exist when we die. */
		memset(be.window + segs[0].offset, 0x5a, segs[0].len);
		if (uvdev_zc_info(be.fd, &info))
			return 2;
		report[0] = res.mapped_pages;
		report[1] = (uint32_t)info.page_refs;
		if (write(fd, report, sizeof(report)) != sizeof(report))
			return 2;
		pause();
	}
}

struct pending_read {
	uint8_t *buf;
	uint32_t len;
	uint64_t off;
	ssize_t ret;
};

static void *client_read(void *arg)
{
	struct pending_read *r = arg;

	r->ret = pread(disk_fd, r->buf, r->len, (off_t)r->off);
	return NULL;
}

/*
 * A backend that dies with a chain mapped, CYCLES times: each time a fresh
 * client buffer, unmapped at the end, so a page reference left behind
 * keeps its pages out of MemFree for good.
 */
static void test_kill(const char *name, unsigned int cycles)
{
	const uint32_t len = 256 << 10;
	uint8_t *want = area(len);
	unsigned int c, premise = 0, leaks = 0, bad_data = 0;
	uint64_t off = 10 << 20;
	struct uvdev_zc_info info;
	long before, after, limit;

	printf("== backend killed with a chain mapped, %u cycles\n", cycles);
	fill(want, len, 7);
	memcpy(be.disk + off, want, len);
	backend_stop();
	before = mem_free_kb();
	for (c = 0; c < cycles; c++) {
		struct pending_read r = { .buf = area(len), .len = len, .off = off };
		uint32_t report[2] = { 0, 0 };
		int pipefd[2], status;
		pthread_t t;
		pid_t pid;

		if (pipe(pipefd))
			die("pipe");
		/* No thread runs here: the backend's were joined, the client's is not started. */
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(pipefd[0]);
			_exit(child_main(name, off / 512, pipefd[1]));
		}
		close(pipefd[1]);
		if (pthread_create(&t, NULL, client_read, &r))
			die("pthread_create");
		if (read(pipefd[0], report, sizeof(report)) != sizeof(report)) {
			waitpid(pid, &status, 0);
			fprintf(stderr, "zc-test: the child backend failed (%d)\n",
				WEXITSTATUS(status));
			exit(2);
		}
		close(pipefd[0]);
		/* Premise: the chain was mapped and its pages referenced. */
		if (report[0] == len / PAGE && report[1] == report[0])
			premise++;
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		backend_start(name);
		pthread_join(t, NULL);
		if (r.ret != (ssize_t)len || memcmp(r.buf, want, len))
			bad_data++;
		if (uvdev_zc_info(be.fd, &info) || info.page_refs || info.mapped_ids)
			leaks++;
		munmap(r.buf, len);
		if (c + 1 < cycles)
			backend_stop();
	}
	after = mem_free_kb();
	check(premise == cycles,
	      "each killed backend had all %u pages of its chain mapped and referenced (%u of %u)",
	      len / PAGE, premise, cycles);
	check(leaks == 0, "the kernel counts no page referenced after each kill (%u)", leaks);
	check(bad_data == 0, "the resubmitted reads returned the right data (%u bad)",
	      bad_data);
	/* A reference left per kill would cost len bytes a cycle. */
	limit = (long)cycles * (len / 1024) / 2;
	check(before - after < limit,
	      "MemFree across %u kills: %ld kB before, %ld kB after (a leak would cost %ld kB)",
	      cycles, before, after, (long)cycles * (len / 1024));
	munmap(want, len);
}

/* ---- setup ---------------------------------------------------------- */

static void write_param(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(val, f) < 0 || fclose(f))
		die(path);
}

/*
 * Open the block device of @name (its path in @dev) for O_DIRECT I/O, or
 * -1 after a minute. Its node can appear before the disk opens (ENXIO
 * until the probe has added it): a slow kernel shows the gap.
 */
static int open_disk(const char *name, char *dev, size_t size)
{
	char pattern[128];
	glob_t g;
	int i, fd = -1;

	dev[0] = '\0';
	snprintf(pattern, sizeof(pattern), "/sys/class/uvdev/%s/virtio*/block/*", name);
	for (i = 0; i < 600 && fd < 0; i++) {
		if (glob(pattern, 0, NULL, &g) == 0) {
			const char *base = strrchr(g.gl_pathv[0], '/') + 1;

			snprintf(dev, size, "/dev/%s", base);
			fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
		}
		globfree(&g);
		if (fd < 0)
			usleep(100000);
	}
	return fd;
}

/* Mixed-shape O_DIRECT reads of @dev, @count rounds. */
static int shapes_main(const char *dev, unsigned int count)
{
	uint8_t *a = area(65536), *m = scattered(65536);
	unsigned int i;

	disk_fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (disk_fd < 0)
		die(dev);
	for (i = 0; i < count; i++) {
		off_t off = (off_t)(i % 64) * 131072;

		if (pread(disk_fd, a, 65536, off) != 65536 ||
		    pread(disk_fd, a + 512, 8192, off) != 8192 ||
		    pread(disk_fd, a + 1024, 512, off) != 512 ||
		    pread(disk_fd, m + 512, 40960, off) != 40960)
			die("pread");
	}
	close(disk_fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct virtio_blk_config cfg;
	struct uvdev_params p;
	struct sigaction sa;
	unsigned int cycles = 1000;
	char disk[64];
	int ret;

	if (argc == 4 && !strcmp(argv[1], "--shapes"))
		return shapes_main(argv[2], (unsigned int)strtoul(argv[3], NULL, 0));
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: zc-test NAME [CYCLES]\n");
		return 2;
	}
	if (argc == 3)
		cycles = (unsigned int)strtoul(argv[2], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	be.disk = area(DISK_BYTES);
	memset(&cfg, 0, sizeof(cfg));
	cfg.capacity = DISK_BYTES / 512;
	cfg.seg_max = QSIZE - 2;
	memset(&p, 0, sizeof(p));
	p.name = argv[1];
	p.device_id = VIRTIO_ID_BLOCK;
	p.features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_BLK_F_SEG_MAX |
		     1ULL << VIRTIO_BLK_F_FLUSH;
	p.num_queues = 1;
	p.max_queue_size = QSIZE;
	p.config = &cfg;
	p.config_size = sizeof(cfg);
	p.zc_window_pages = WINDOW_PAGES;
	/* Test only: start the ids just below the wrap. */
	write_param("/sys/module/uvdev/parameters/zc_first_id", "0xfffffffe");
	ret = uvdev_create_device(&p);
	write_param("/sys/module/uvdev/parameters/zc_first_id", "0");
	if (ret < 0) {
		fprintf(stderr, "zc-test: create %s: %s\n", p.name, uvdev_strerror(ret));
		return 2;
	}
	backend_start(p.name);
	disk_fd = open_disk(p.name, disk, sizeof(disk));
	if (disk_fd < 0) {
		if (disk[0])
			fprintf(stderr, "zc-test: %s did not open within a minute: %s\n",
				disk, strerror(errno));
		else
			fprintf(stderr, "zc-test: no block device of %s within a minute\n",
				p.name);
		return 2;
	}
	printf("zc-test: %s is %s\n", p.name, disk);
	/* The probe's reads are served by XFER: the ids start with ours. */
	set_flag(&be.zc, true);

	test_wrap();
	test_coalesce();
	test_shapes();
	test_window_full();
	test_isolation();
	test_kill(p.name, cycles);

	close(disk_fd);
	ret = uvdev_destroy_device(p.name);
	check(ret == 0, "destroy (%d)", ret);
	backend_stop();
	printf("zc-test: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
