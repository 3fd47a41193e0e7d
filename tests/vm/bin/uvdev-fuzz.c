// SPDX-License-Identifier: GPL-2.0
/*
 * uvdev-fuzz: a structure-aware fuzzer of the uvdev backend ABI.
 *
 * It is a misbehaving backend. It creates devices through
 * /dev/uvdev/control and serves them itself with raw ioctls. Most control
 * messages are answered and most chains are served correctly, so the
 * kernel's virtio_blk, virtio_rng, virtio_net and virtio_console really
 * bind and real I/O flows (the partition scan, O_DIRECT reads and writes
 * whose bytes are checked, /dev/hwrng). The same threads mix in what a
 * backend must not do: malformed arguments, bad, read-only and kernel
 * pointers, duplicate and wrong completions, late, wrong and missing
 * replies, buffers that fault until released (userfaultfd), restarts and
 * destroys at any moment. Every answer the kernel gives is checked against
 * the ABI (kernel/include/uapi/uvdev.h). Run with --help for the details.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>
#include <linux/userfaultfd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include <uapi/uvdev.h>

#define PROG		"uvdev-fuzz"

#define EXIT_PASS	0
#define EXIT_PROBLEM	1
#define EXIT_USAGE	2

#define MAX_SLOTS	16
#define MAX_THREADS	(2 * MAX_SLOTS + 8)
#define PAGE		4096u
#define RING_BUF	(2u << 20)	/* a ring thread's transfer buffer */
#define WINDOW		(256u << 10)	/* largest data run moved per batch */
#define MAX_HELD	4096		/* chains a ring thread holds at most */
#define MAX_ELEMS	1024		/* elems a pop may return, whatever max says */
#define LOG_N		256		/* calls each thread remembers */
#define NERR		134		/* errnos counted one by one */
#define MAX_SURPRISES	64

#define HOLD_SHORT_MS	300		/* chains held back a little */
#define HOLD_LONG_MS	4000		/* chains held back a long time */
#define UFFD_HOLD_MS	2000		/* a fault held for a destroy, at most */
#define CLIENT_SLACK_MS	(HOLD_LONG_MS + 2000)
#define DESTROY_SLACK_MS	6000	/* the driver's removal, under TCG on a loaded host */
#define LATE_SLACK_MS	5000	/* a sender's wake-up after its timeout, likewise */
/* Both, times --time-scale (a debug kernel runs several times slower). */
#define DESTROY_SLACK	(DESTROY_SLACK_MS * opt.time_scale)
#define LATE_SLACK	(LATE_SLACK_MS * opt.time_scale)

#define DISK_SECTORS	16384ULL	/* 8 MiB */
#define BLK_SERIAL	"uvdev-fuzz-serial"
#define SENTINEL	0x7eadbeef

#define NS_PER_MS	((uint64_t)1000000)

/* ---- options ------------------------------------------------------------- */

/* Kinds of misbehaviour; --disable turns them off one by one. */
enum fz_class {
	C_BAD_CREATE,		/* invalid and edge-valid CREATE/DESTROY */
	C_BAD_REPLY,		/* malformed, wrong and duplicate replies, bad reads */
	C_DEFER,		/* replies delayed and out of order */
	C_REFUSE,		/* replies with a negative errno */
	C_NO_REPLY,		/* a message never answered in time: broken device */
	C_BAD_RING,		/* malformed pops, transfers, pushes and IRQs */
	C_HOLD,			/* chains served a little late */
	C_HOLD_LONG,		/* chains held back for seconds */
	C_UFFD,			/* transfers into buffers that fault until released */
	C_RESTART,		/* backend fd closed and reopened */
	C_DESTROY_OPEN,		/* destroy while the backend fd is open */
	C_DESTROY_CLOSED,	/* destroy with no backend attached */
	C_STRAY_OPEN,		/* second openers, short-lived backends */
	C_CONFIG,		/* SET_CONFIG, with and without the IRQ */
	C_IRQ,			/* interrupts nobody asked for */
	C_KICKFD,		/* kick eventfds replaced, removed, junk fds */
	C_SYSFS,		/* sysfs attributes read and written */
	C_SIGNALS,		/* blocking reads interrupted by signals */
	C_CLIENTS,		/* block and hwrng clients in user space */
	C_LOST_IRQ,		/* a new backend does not inject the IRQs the old one owed */
	/* Off unless --enable: they trip the drivers, not uvdev (see --help). */
	C_SHORT_RNG,		/* rng chains completed with fewer bytes, or none */
	C_NCLASSES
};

#define OFF_BY_DEFAULT	(1u << C_SHORT_RNG)

static const char *const class_names[C_NCLASSES] = {
	"bad-create", "bad-reply", "defer", "refuse", "no-reply", "bad-ring",
	"hold", "hold-long", "uffd", "restart", "destroy-open",
	"destroy-closed", "stray-open", "config", "irq", "kickfd", "sysfs",
	"signals", "clients", "lost-irq", "short-rng",
};

static struct {
	uint64_t seed;
	uint64_t calls;
	unsigned int seconds;
	unsigned int devices;
	unsigned int hang_ms;
	unsigned int time_scale;	/* multiplies every time bound */
	unsigned int progress_s;
	unsigned int types;		/* bit per virtio device id */
	uint32_t disabled;		/* bit per enum fz_class */
	bool trace;
	bool keep_going;		/* problems do not stop the run (hangs do) */
} opt = {
	.disabled = OFF_BY_DEFAULT,
	.calls = 20000,
	.seconds = 60,
	.devices = 4,
	.hang_ms = 10000,
	.time_scale = 1,
	.progress_s = 5,
	.types = (1u << VIRTIO_ID_NET) | (1u << VIRTIO_ID_BLOCK) |
		 (1u << VIRTIO_ID_CONSOLE) | (1u << VIRTIO_ID_RNG),
};

static bool enabled(enum fz_class c)
{
	return !(opt.disabled & (1u << c));
}

/* ---- time and randomness -------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void idle_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* xoshiro256**, seeded with splitmix64: one stream per thread. */
struct prng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void prng_seed(struct prng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t prng_next(struct prng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* 0..n-1 (0 when n is 0). */
static uint32_t below(struct prng *r, uint32_t n)
{
	return (uint32_t)(((prng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static bool chance(struct prng *r, unsigned int per_mille)
{
	return below(r, 1000) < per_mille;
}

/* ---- threads, calls and what they saw ------------------------------------- */

enum call_kind {
	K_CREATE, K_DESTROY, K_OPEN, K_CLOSE, K_READ, K_WRITE, K_POLL,
	K_DEV_INFO, K_VQ_INFO, K_KICKFD, K_POP, K_XFER, K_PUSH, K_SERVE, K_IRQ,
	K_SET_CONFIG, K_GET_CONFIG, K_QUEUE_STATE, K_OTHER_IOCTL, K_SYSFS, K_CLIENT,
	K_NKINDS
};

static const char *const kind_names[K_NKINDS] = {
	"CREATE", "DESTROY", "open", "close", "read", "write", "poll",
	"DEV_INFO", "VQ_INFO", "VQ_SET_KICKFD", "VQ_POP", "VQ_XFER", "VQ_PUSH",
	"VQ_SERVE", "VQ_IRQ", "SET_CONFIG", "GET_CONFIG", "QUEUE_STATE", "other ioctls", "sysfs",
	"client I/O",
};

#define CF_SIGNAL	1u	/* SIGUSR1 interrupts it after signal_at */
#define CF_CLIENT	2u	/* a client's I/O: waits for the backend */
#define CF_UFFD		4u	/* touches a buffer that faults until released */

struct logent {
	uint64_t ns;
	long ret;
	int err;
	char desc[160];
};

struct slot;

struct fz_thread {
	char name[24];
	int index;
	struct prng rng;
	struct slot *slot;
	void *(*fn)(void *);
	pthread_t pt;
	atomic_bool started;
	atomic_int tid;
	atomic_uint_fast64_t start_ns;	/* of the call in progress, 0 if none */
	atomic_uint flags;		/* CF_* of that call */
	atomic_uint_fast64_t signal_at;
	atomic_bool hang_reported;
	enum call_kind kind;
	pthread_mutex_t lock;		/* desc and log */
	char desc[160];
	struct logent log[LOG_N];
	unsigned int nlog;
};

static atomic_uint_fast64_t g_calls;
static atomic_bool g_stop;		/* budget spent or a problem: stop fuzzing */
static atomic_bool g_cleanup;		/* answer and serve politely */
static atomic_bool g_quit;		/* backend threads exit */
static atomic_bool g_uffd_quit;
static atomic_bool g_watch_quit;
static atomic_int g_problems;
static atomic_int g_hangs;
static atomic_uint_fast64_t g_first_hang_ns;
static uint64_t g_start_ns;
static int g_control_fd = -1;
static unsigned int g_module_timeout_ms = 30000;
static char g_tag[8];
static int g_status_fd = -1;
static int g_uffd = -1;

static struct fz_thread g_threads[MAX_THREADS];
static int g_nthreads;

static atomic_uint_fast64_t n_created, n_destroyed, n_restarts, n_broken,
	n_msgs, n_replies, n_popped, n_pushed, n_xfer_bytes, n_blk_reads,
	n_blk_writes, n_blk_checked, n_serials, n_rng_bytes, n_uffd_faults,
	n_uffd_holds, n_irqs, n_late_accepted;
static atomic_uint_fast64_t st_calls[K_NKINDS], st_ok[K_NKINDS], st_err[K_NKINDS][NERR];

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static double secs_since_start(uint64_t ns)
{
	return ns > g_start_ns ? (double)(ns - g_start_ns) / 1e9 : 0.0;
}

static const char *errname(int e)
{
	static __thread char buf[16];

	switch (e) {
#define E(x) case x: return #x
	E(EPERM); E(ENOENT); E(EINTR); E(EIO); E(ENXIO); E(EBADF);
	E(EAGAIN); E(ENOMEM); E(EACCES); E(EFAULT); E(EBUSY); E(EEXIST);
	E(ENODEV); E(EINVAL); E(ENOSPC); E(ENOTTY); E(ERANGE); E(EPROTO);
	E(EOVERFLOW); E(ENOTCONN); E(ESHUTDOWN); E(ETIMEDOUT); E(EMSGSIZE);
	E(EOPNOTSUPP); E(EROFS); E(EPIPE); E(ENOSYS); E(ESPIPE); E(E2BIG);
	E(EALREADY);
#undef E
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static void notify_supervisor(char c)
{
	if (g_status_fd >= 0 && write(g_status_fd, &c, 1) != 1)
		g_status_fd = -1;
}

static void vcall_begin(struct fz_thread *t, enum call_kind kind, unsigned int flags,
			const char *fmt, va_list ap)
{
	pthread_mutex_lock(&t->lock);
	vsnprintf(t->desc, sizeof(t->desc), fmt, ap);
	pthread_mutex_unlock(&t->lock);
	t->kind = kind;
	atomic_store(&t->hang_reported, false);
	atomic_store(&t->flags, flags);
	atomic_fetch_add(&g_calls, 1);
	atomic_fetch_add(&st_calls[kind], 1);
	atomic_store(&t->start_ns, now_ns());
}

static void __attribute__((format(printf, 4, 5)))
call_begin(struct fz_thread *t, enum call_kind kind, unsigned int flags, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcall_begin(t, kind, flags, fmt, ap);
	va_end(ap);
}

/* Records the end of a call; errno survives for the caller. */
static long call_end(struct fz_thread *t, long ret)
{
	int err = ret < 0 ? errno : 0;
	uint64_t now = now_ns();
	struct logent *e;

	atomic_store(&t->start_ns, 0);
	atomic_store(&t->flags, 0);
	atomic_store(&t->signal_at, 0);
	if (ret < 0) {
		if (err > 0 && err < NERR)
			atomic_fetch_add(&st_err[t->kind][err], 1);
	} else {
		atomic_fetch_add(&st_ok[t->kind], 1);
	}
	pthread_mutex_lock(&t->lock);
	e = &t->log[t->nlog++ % LOG_N];
	e->ns = now;
	e->ret = ret;
	e->err = err;
	snprintf(e->desc, sizeof(e->desc), "%s", t->desc);
	if (opt.trace)
		fprintf(stderr, "%10.6f %-8s %s -> %ld%s%s\n", secs_since_start(now), t->name,
			t->desc, ret, ret < 0 ? " " : "", ret < 0 ? errname(err) : "");
	pthread_mutex_unlock(&t->lock);
	errno = err;
	return ret;
}

/* One system call, watched and logged: CALL(t, kind, flags, expr, fmt, ...). */
#define CALL(t, kind, flags, expr, ...) \
	(call_begin((t), (kind), (flags), __VA_ARGS__), call_end((t), (long)(expr)))

static void dump_log(struct fz_thread *t)
{
	unsigned int n, i;

	pthread_mutex_lock(&t->lock);
	n = t->nlog < 24 ? t->nlog : 24;
	printf("  the last %u calls of thread %s:\n", n, t->name);
	for (i = t->nlog - n; i < t->nlog; i++) {
		const struct logent *e = &t->log[i % LOG_N];

		printf("    %9.3fs %s -> %ld%s%s\n", secs_since_start(e->ns), e->desc,
		       e->ret, e->ret < 0 ? " " : "", e->ret < 0 ? errname(e->err) : "");
	}
	pthread_mutex_unlock(&t->lock);
}

/* The kernel did something the ABI rules out: report it and stop fuzzing. */
static void __attribute__((format(printf, 2, 3)))
problem(struct fz_thread *t, const char *fmt, ...)
{
	int n = atomic_fetch_add(&g_problems, 1);
	va_list ap;

	pthread_mutex_lock(&print_lock);
	printf("PROBLEM %d [%s, %.3fs]: ", n + 1, t->name, secs_since_start(now_ns()));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (n < 3)
		dump_log(t);
	fflush(stdout);
	pthread_mutex_unlock(&print_lock);
	if (!opt.keep_going)
		atomic_store(&g_stop, true);
	notify_supervisor('P');
}

static struct {
	char text[200];
	uint64_t count;
} g_surprises[MAX_SURPRISES];
static int g_nsurprises;
static pthread_mutex_t surprise_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Behaviour the ABI does not describe (an errno it does not list, a field
 * it does not promise): counted, printed the first time, not a failure.
 */
static void __attribute__((format(printf, 2, 3)))
surprise(struct fz_thread *t, const char *fmt, ...)
{
	char text[200];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&surprise_lock);
	for (i = 0; i < g_nsurprises; i++) {
		if (!strcmp(g_surprises[i].text, text)) {
			g_surprises[i].count++;
			pthread_mutex_unlock(&surprise_lock);
			return;
		}
	}
	if (g_nsurprises < MAX_SURPRISES) {
		snprintf(g_surprises[g_nsurprises].text, sizeof(g_surprises[0].text), "%s", text);
		g_surprises[g_nsurprises++].count = 1;
	}
	pthread_mutex_unlock(&surprise_lock);
	pthread_mutex_lock(&print_lock);
	printf("note [%s, %.3fs]: %s\n", t->name, secs_since_start(now_ns()), text);
	pthread_mutex_unlock(&print_lock);
}

/* Errors that say the device or queue is gone, not the argument. */
static bool dev_err(int e)
{
	return e == EIO || e == ENODEV || e == ESHUTDOWN || e == ENOMEM;
}

/*
 * A call that must fail with @want (or @want2): success is a problem,
 * another errno a surprise. Device-level errors are always accepted.
 */
static void must_fail(struct fz_thread *t, long ret, int err, int want, int want2,
		      const char *what)
{
	if (ret >= 0) {
		problem(t, "%s succeeded (returned %ld); the ABI says it fails with %s",
			what, ret, errname(want));
		return;
	}
	if (err == want || (want2 && err == want2) || dev_err(err))
		return;
	surprise(t, "%s fails with %s; the ABI says %s", what, errname(err), errname(want));
}

/* ---- memory that must not work -------------------------------------------- */

static struct {
	uint8_t *ro;		/* a read-only page of zeros */
	uint8_t *none;		/* a PROT_NONE page */
	uint8_t *edge;		/* a writable page; the next is PROT_NONE */
	uint8_t *uffd;		/* a page per slot that faults through userfaultfd */
	uint8_t *big_ro;	/* BIG bytes, read-only */
	uint8_t *big_none;	/* BIG bytes, PROT_NONE */
	uint8_t *big_edge;	/* BIG writable bytes; the next page is PROT_NONE */
} mem;

#define BIG	(64u << 10)	/* bad buffers of transfers that pin pages */

struct badptr {
	uint64_t addr;
	uint32_t valid;		/* bytes usable from addr */
	const char *what;
};

/*
 * A pointer the kernel must not use. @kernel_writes: the kernel writes
 * there, so a read-only page counts as bad.
 */
static struct badptr pick_bad(struct prng *r, bool kernel_writes)
{
	uint32_t k;

	switch (below(r, kernel_writes ? 10 : 9)) {
	case 0:
		return (struct badptr){ 0, 0, "NULL" };
	case 1:
		return (struct badptr){ 8, 0, "address 8" };
	case 2:
		return (struct badptr){ (uintptr_t)mem.none, 0, "a PROT_NONE page" };
	case 3:
		return (struct badptr){ 0xffff888000000000ULL, 0, "the kernel direct map" };
	case 4:
		return (struct badptr){ 0xffffffff81000000ULL, 0, "kernel text" };
	case 5:
		return (struct badptr){ 0x0000800000000000ULL, 0, "a non-canonical address" };
	case 6:
		return (struct badptr){ 0xffffffffffffff00ULL, 0, "the top of the address space" };
	case 7:
		return (struct badptr){ 0xffff800000000000ULL, 0, "the first kernel address" };
	case 8:
		k = below(r, 8);
		return (struct badptr){ (uintptr_t)mem.edge + PAGE - k, k, "the last bytes before an unmapped page" };
	default:
		return (struct badptr){ (uintptr_t)mem.ro, 0, "a read-only page" };
	}
}

/* ---- devices -------------------------------------------------------------- */

enum slot_state { SLOT_EMPTY, SLOT_CREATED, SLOT_OPEN, SLOT_DEAD };

enum { UFFD_IDLE, UFFD_ARMED, UFFD_HELD, UFFD_RELEASE };

struct devparams {
	uint32_t device_id;
	uint32_t vendor_id;
	uint32_t num_queues;
	uint32_t max_queue_size;
	uint32_t timeout_ms;
	uint32_t config_size;
	uint32_t flags;			/* UVDEV_CREATE_F_* */
	uint64_t features;
	uint8_t config[128];
};

/*
 * One device at a time lives in a slot. Chaos threads own its life (under
 * @life); its message and ring threads use the fd under @fdlock read-held,
 * and opening or closing the fd takes it write-held.
 */
struct slot {
	int index;
	pthread_mutex_t life;
	pthread_rwlock_t fdlock;
	pthread_mutex_t config_lock;
	atomic_int state;
	int fd;
	atomic_uint gen;		/* bumps on every open */
	unsigned int name_gen;
	char name[UVDEV_NAME_MAX];
	uint32_t dev_id;
	struct devparams p;
	uint8_t config[UVDEV_MAX_CONFIG_SIZE];	/* what the backend wrote */
	atomic_bool config_driver_written;
	atomic_bool ever_opened;
	atomic_bool broken_seen;
	atomic_bool dead_seen;
	atomic_bool destroying;		/* a DESTROY was issued */
	atomic_bool destroy_running;	/* ... and has not returned yet */
	atomic_uint max_timeout_ms;
	atomic_uint q_epoch[UVDEV_MAX_QUEUES];
	atomic_uint q_setup_epoch[UVDEV_MAX_QUEUES];
	atomic_bool q_ready[UVDEV_MAX_QUEUES];
	atomic_uint q_size[UVDEV_MAX_QUEUES];
	atomic_int uffd_state;
	atomic_int held_now;		/* chains the ring thread holds */
	atomic_bool freeze;		/* the ring thread pops but serves nothing */
	atomic_uint_fast64_t last_push_ns;	/* reports */
	uint64_t life_until_ns;		/* chaos, under life */
	atomic_uint cur_timeout_ms;	/* what sysfs msg_timeout_ms must read */
	atomic_uint_fast64_t destroy_start_ns;
	pthread_mutex_t name_lock;	/* dying_* */
	char dying_name[UVDEV_NAME_MAX];	/* set while its DESTROY runs */
	uint32_t dying_dev_id;
};

static struct slot g_slots[MAX_SLOTS];

static struct timespec abs_after_ms(unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

static bool slot_rdlock(struct slot *s, unsigned int ms)
{
	struct timespec ts = abs_after_ms(ms);

	return pthread_rwlock_timedrdlock(&s->fdlock, &ts) == 0;
}

static bool slot_wrlock(struct slot *s, unsigned int ms)
{
	struct timespec ts = abs_after_ms(ms);

	return pthread_rwlock_timedwrlock(&s->fdlock, &ts) == 0;
}

static void slot_unlock(struct slot *s)
{
	pthread_rwlock_unlock(&s->fdlock);
}

enum qrole { Q_REQUEST, Q_RX, Q_TX, Q_CTRL };

static bool net_cvq(const struct devparams *p)
{
	return p->device_id == VIRTIO_ID_NET && (p->features & (1ULL << VIRTIO_NET_F_CTRL_VQ));
}

/* What a queue carries, by the driver's layout. */
static enum qrole queue_role(const struct devparams *p, uint32_t q)
{
	switch (p->device_id) {
	case VIRTIO_ID_NET:
		/* One queue pair (no VIRTIO_NET_F_MQ): the control queue is 2. */
		if (q == 2 && net_cvq(p))
			return Q_CTRL;
		return q % 2 == 0 ? Q_RX : Q_TX;
	case VIRTIO_ID_CONSOLE:
		return q % 2 == 0 ? Q_RX : Q_TX;
	default:
		return Q_REQUEST;
	}
}

static const char *type_name(uint32_t id)
{
	switch (id) {
	case VIRTIO_ID_NET: return "net";
	case VIRTIO_ID_BLOCK: return "blk";
	case VIRTIO_ID_CONSOLE: return "console";
	case VIRTIO_ID_RNG: return "rng";
	default: return "?";
	}
}

static unsigned int effective_timeout(const struct devparams *p)
{
	return p->timeout_ms ? p->timeout_ms : g_module_timeout_ms;
}

/*
 * A queue its driver spins on, with interrupts or preemption off, until the
 * backend returns the chain (UVDEV_CREATE_F_BUSY_WAIT): console output and
 * net control. Its chains are never held back long: that would lock a CPU
 * up, a limitation the README documents, not a kernel bug.
 */
static bool spun_on(const struct devparams *p, uint32_t q)
{
	if (p->device_id == VIRTIO_ID_CONSOLE)
		return q % 2 == 1;
	return queue_role(p, q) == Q_CTRL;
}

/* ---- data patterns -------------------------------------------------------- */

/*
 * The fuzzer's disks hold a fixed pattern of their byte offset (the first
 * 4 KiB are zero, so no partition table is ever found): reads are served
 * from it and writes must carry it, which checks that every transfer
 * moved the right bytes to the right place.
 */
static uint64_t pattern_word(uint64_t off)
{
	uint64_t x;

	if (off < 4096)
		return 0;
	x = off * 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29) ^ 0x5555aaaa5555aaaaULL;
}

static uint8_t pattern_byte(uint64_t off)
{
	return (uint8_t)(pattern_word(off & ~7ULL) >> (8 * (off & 7)));
}

static void pattern_fill(uint8_t *dst, uint64_t off, size_t len)
{
	size_t i = 0;

	for (; i < len && ((off + i) & 7); i++)
		dst[i] = pattern_byte(off + i);
	for (; i + 8 <= len; i += 8) {
		uint64_t w = pattern_word(off + i);

		memcpy(dst + i, &w, 8);	/* little-endian: byte k is bits 8k.. */
	}
	for (; i < len; i++)
		dst[i] = pattern_byte(off + i);
}

/* Index of the first byte that is not the pattern, or @len. */
static size_t pattern_check(const uint8_t *p, uint64_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern_byte(off + i))
			return i;
	return len;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* ---- device parameters ---------------------------------------------------- */

static uint32_t pick_type(struct prng *r)
{
	static const struct { uint32_t id; unsigned int weight; } w[] = {
		{ VIRTIO_ID_BLOCK, 45 }, { VIRTIO_ID_RNG, 35 },
		{ VIRTIO_ID_NET, 10 }, { VIRTIO_ID_CONSOLE, 10 },
	};
	unsigned int total = 0, i, x;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (opt.types & (1u << w[i].id))
			total += w[i].weight;
	x = below(r, total);
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		if (!(opt.types & (1u << w[i].id)))
			continue;
		if (x < w[i].weight)
			return w[i].id;
		x -= w[i].weight;
	}
	return VIRTIO_ID_RNG;
}

static uint32_t pick_queue_size(struct prng *r)
{
	if (chance(r, 600))
		return 64u << below(r, 3);	/* 64..256 */
	return 2u << below(r, 10);		/* 2..1024 */
}

static uint64_t pick_capacity(struct prng *r)
{
	static const uint64_t caps[] = { 0, 8, 2048, 1ULL << 20, 1ULL << 32 };

	if (chance(r, 850))
		return DISK_SECTORS;
	return caps[below(r, sizeof(caps) / sizeof(caps[0]))];
}

/*
 * A valid device, with parameters the kernel's drivers can live with (a
 * virtio_blk request must fit the ring). Drivers that busy-wait for the
 * device (virtio_console; virtio_net with VIRTIO_NET_F_CTRL_VQ) are
 * created with UVDEV_CREATE_F_BUSY_WAIT, which they need; other devices
 * sometimes carry it too, which changes nothing for them.
 */
static void gen_params(struct prng *r, struct devparams *p)
{
	bool indirect = chance(r, 500);

	memset(p, 0, sizeof(*p));
	p->device_id = pick_type(r);
	p->vendor_id = chance(r, 200) ? (uint32_t)prng_next(r) : 0x1af4;
	p->features = 1ULL << VIRTIO_F_VERSION_1;
	if (indirect)
		p->features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	p->max_queue_size = pick_queue_size(r);
	if (chance(r, 50))
		p->flags |= UVDEV_CREATE_F_BUSY_WAIT;
	p->timeout_ms = 400 + below(r, 1100);
	if (g_module_timeout_ms <= 2000 && chance(r, 100))
		p->timeout_ms = 0;

	switch (p->device_id) {
	case VIRTIO_ID_BLOCK: {
		struct virtio_blk_config cfg;

		memset(&cfg, 0, sizeof(cfg));
		p->num_queues = 1 + below(r, 4);
		if (!indirect && p->max_queue_size < 4)
			p->max_queue_size = 4;
		cfg.capacity = pick_capacity(r);
		if (chance(r, 400)) {
			p->features |= 1ULL << VIRTIO_BLK_F_SEG_MAX;
			cfg.seg_max = 1 + below(r, indirect ? 126 : p->max_queue_size - 2);
		}
		if (chance(r, 300)) {
			p->features |= 1ULL << VIRTIO_BLK_F_SIZE_MAX;
			cfg.size_max = 4096u << below(r, 5);
		}
		if (chance(r, 300)) {
			p->features |= 1ULL << VIRTIO_BLK_F_BLK_SIZE;
			cfg.blk_size = chance(r, 500) ? 512 : 4096;
		}
		if (chance(r, 500))
			p->features |= 1ULL << VIRTIO_BLK_F_FLUSH;
		if (chance(r, 150))
			p->features |= 1ULL << VIRTIO_BLK_F_RO;
		if (chance(r, 300)) {
			p->features |= 1ULL << VIRTIO_BLK_F_CONFIG_WCE;
			cfg.wce = (uint8_t)below(r, 2);
		}
		if (chance(r, 400)) {
			p->features |= 1ULL << VIRTIO_BLK_F_MQ;
			cfg.num_queues = (uint16_t)(1 + below(r, p->num_queues));
		}
		if (chance(r, 200)) {
			p->features |= 1ULL << VIRTIO_BLK_F_GEOMETRY;
			cfg.geometry.cylinders = (uint16_t)below(r, 65536);
			cfg.geometry.heads = (uint8_t)below(r, 256);
			cfg.geometry.sectors = (uint8_t)below(r, 256);
		}
		_Static_assert(sizeof(cfg) <= sizeof(p->config), "blk config fits");
		memcpy(p->config, &cfg, sizeof(cfg));
		p->config_size = chance(r, 900) ? sizeof(cfg) : 8 + below(r, sizeof(cfg) - 8);
		break;
	}
	case VIRTIO_ID_RNG:
		p->num_queues = chance(r, 900) ? 1 : 2 + below(r, 2);
		if (chance(r, 200))
			p->features |= prng_next(r) & 0xffffff;	/* bits rng does not define */
		if (chance(r, 300)) {
			uint32_t i;

			p->config_size = 1 + below(r, sizeof(p->config));
			for (i = 0; i < p->config_size; i++)
				p->config[i] = (uint8_t)prng_next(r);
		}
		break;
	case VIRTIO_ID_NET: {
		struct virtio_net_config cfg;

		memset(&cfg, 0, sizeof(cfg));
		p->num_queues = chance(r, 800) ? 2 : (chance(r, 500) ? 1 : 3 + below(r, 2));
		if (chance(r, 150)) {
			/* rx, tx and the control queue the driver spins on. */
			p->features |= 1ULL << VIRTIO_NET_F_CTRL_VQ;
			p->flags |= UVDEV_CREATE_F_BUSY_WAIT;
			p->num_queues = 3 + below(r, 2);
		}
		if (chance(r, 700))
			p->features |= 1ULL << VIRTIO_NET_F_MAC;
		if (chance(r, 500))
			p->features |= 1ULL << VIRTIO_NET_F_STATUS;
		if (chance(r, 300))
			p->features |= 1ULL << VIRTIO_NET_F_CSUM;
		if (chance(r, 300))
			p->features |= 1ULL << VIRTIO_NET_F_GUEST_CSUM;
		if (chance(r, 300))
			p->features |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
		cfg.mac[0] = 0x02;
		cfg.mac[1] = 0xf2;
		cfg.mac[2] = (uint8_t)prng_next(r);
		cfg.mac[3] = (uint8_t)prng_next(r);
		cfg.mac[4] = (uint8_t)prng_next(r);
		cfg.mac[5] = (uint8_t)prng_next(r);
		cfg.status = VIRTIO_NET_S_LINK_UP;
		_Static_assert(sizeof(cfg) <= sizeof(p->config), "net config fits");
		memcpy(p->config, &cfg, sizeof(cfg));
		p->config_size = offsetof(struct virtio_net_config, max_virtqueue_pairs);
		break;
	}
	case VIRTIO_ID_CONSOLE: {
		struct virtio_console_config cfg;

		memset(&cfg, 0, sizeof(cfg));
		p->num_queues = chance(r, 800) ? 2 : (chance(r, 500) ? 1 : 4);
		p->flags |= UVDEV_CREATE_F_BUSY_WAIT;
		if (chance(r, 500))
			p->features |= 1ULL << VIRTIO_CONSOLE_F_SIZE;
		cfg.cols = (uint16_t)(1 + below(r, 300));
		cfg.rows = (uint16_t)(1 + below(r, 100));
		memcpy(p->config, &cfg, sizeof(cfg));
		p->config_size = sizeof(cfg);
		break;
	}
	}
}

/*
 * The config bytes a backend may change while a driver is bound without
 * tripping over a driver's own trust in its device: capacity, MAC, console
 * size; anything for rng, which has no config.
 */
static void config_fuzz_region(const struct devparams *p, uint32_t *off, uint32_t *len)
{
	*off = 0;
	switch (p->device_id) {
	case VIRTIO_ID_BLOCK:
		*len = 8;
		break;
	case VIRTIO_ID_NET:
		*len = 6;
		break;
	case VIRTIO_ID_CONSOLE:
		*len = 4;
		break;
	default:
		*len = p->config_size;
		break;
	}
	if (*len > p->config_size)
		*len = p->config_size;
}

/* ---- control messages ----------------------------------------------------- */

struct outmsg {
	struct uvdev_msg msg;
	uint64_t read_ns;
	uint64_t due_ns;
	int32_t result;
	bool late;		/* answered after its timeout, on purpose */
	bool dup;		/* answered twice */
};

struct msg_ctx {
	struct fz_thread *t;
	struct slot *s;
	unsigned int gen;
	struct outmsg out[32];
	int nout;
	uint8_t bigbuf[4096];
};

static bool is_pow2(uint32_t x)
{
	return x && !(x & (x - 1));
}

static bool outstanding(const struct msg_ctx *c, uint32_t id)
{
	int i;

	for (i = 0; i < c->nout; i++)
		if (c->out[i].msg.id == id)
			return true;
	return false;
}

static void msg_drop(struct msg_ctx *c, int i)
{
	c->out[i] = c->out[--c->nout];
}

/* Check a message against the ABI and note what it changes. */
static bool msg_check(struct msg_ctx *c, const struct uvdev_msg *m)
{
	struct fz_thread *t = c->t;
	struct slot *s = c->s;
	const struct devparams *p = &s->p;
	uint32_t q;

	if (m->reserved[0] || m->reserved[1]) {
		problem(t, "message %u of %s has non-zero reserved words (%#x %#x): kernel bytes leak",
			m->id, s->name, m->reserved[0], m->reserved[1]);
		return false;
	}
	if (outstanding(c, m->id)) {
		problem(t, "message %u of %s was read twice before it was answered", m->id, s->name);
		return false;
	}
	switch (m->type) {
	case UVDEV_MSG_SET_STATUS:
		if (m->status.reserved[0] | m->status.reserved[1] | m->status.reserved[2] |
		    m->status.reserved[3] | m->status.reserved[4] | m->status.reserved[5]) {
			problem(t, "SET_STATUS message %u of %s has non-zero reserved bytes", m->id, s->name);
			return false;
		}
		if ((m->status.status & VIRTIO_CONFIG_S_FEATURES_OK) &&
		    (m->status.driver_features & ~p->features)) {
			problem(t, "SET_STATUS message %u of %s: driver features %#llx not offered (%#llx)",
				m->id, s->name, (unsigned long long)m->status.driver_features,
				(unsigned long long)p->features);
			return false;
		}
		break;
	case UVDEV_MSG_RESET:
		/* The kernel drops every chain once this is answered. */
		for (q = 0; q < p->num_queues; q++) {
			atomic_store(&s->q_ready[q], false);
			atomic_fetch_add(&s->q_epoch[q], 1);
		}
		break;
	case UVDEV_MSG_VQ_READY:
		q = m->vq.queue;
		if (q >= p->num_queues || !is_pow2(m->vq.size) ||
		    m->vq.size > p->max_queue_size || m->vq.ready != 1 || m->vq.reserved) {
			problem(t, "VQ_READY message %u of %s: queue %u size %u ready %u reserved %u "
				"(device: %u queues of at most %u)", m->id, s->name, q, m->vq.size,
				m->vq.ready, m->vq.reserved, p->num_queues, p->max_queue_size);
			return false;
		}
		atomic_store(&s->q_size[q], m->vq.size);
		atomic_store(&s->q_setup_epoch[q], atomic_fetch_add(&s->q_epoch[q], 1) + 1);
		atomic_store(&s->q_ready[q], true);
		break;
	case UVDEV_MSG_SET_CONFIG:
		if (m->config.len == 0 || m->config.len > UVDEV_MSG_CONFIG_MAX ||
		    (uint64_t)m->config.offset + m->config.len > p->config_size) {
			problem(t, "SET_CONFIG message %u of %s: offset %u len %u, config size %u",
				m->id, s->name, m->config.offset, m->config.len, p->config_size);
			return false;
		}
		atomic_store(&s->config_driver_written, true);
		break;
	default:
		problem(t, "message %u of %s has unknown type %u", m->id, s->name, m->type);
		return false;
	}
	return true;
}

/*
 * A refusal: the errnos uvdev passes to the driver, and others it must turn
 * into EIO (ERESTARTSYS, 512, must never reach a caller).
 */
static int32_t pick_refusal(struct prng *r)
{
	static const int32_t v[] = { -EINVAL, -EIO, -ENOMEM, -ENOSPC, -EBUSY, -EOPNOTSUPP,
				     -ENODEV, -EPERM, -EAGAIN, -ETIMEDOUT, -ENOTCONN, -512, -1, -4095 };

	return v[below(r, sizeof(v) / sizeof(v[0]))];
}

/* Replies the kernel must refuse, sent before the real one. */
static void msg_bad_reply(struct msg_ctx *c, struct outmsg *o)
{
	struct fz_thread *t = c->t;
	struct slot *s = c->s;
	struct uvdev_msg_reply r = { .id = o->msg.id, .type = o->msg.type };
	uint8_t raw[64];
	const void *buf = &r;
	size_t len = sizeof(r);
	struct badptr bp;
	const char *what;
	int want = EINVAL;
	bool strict = true;
	long ret;

	switch (below(&t->rng, 8)) {
	case 0:
		r.id = o->msg.id + 0x40000000u;
		if (outstanding(c, r.id))
			return;
		what = "a reply with an id never sent";
		want = ENOENT;
		break;
	case 1:
		r.type = (o->msg.type % 4) + 1;
		if (chance(&t->rng, 300))
			r.type = chance(&t->rng, 500) ? 0 : 77;
		what = "a reply with the wrong type";
		break;
	case 2:
		r.result = chance(&t->rng, 500) ? 1 : INT32_MAX;
		what = "a reply with a positive result";
		break;
	case 3:
		r.result = chance(&t->rng, 500) ? -4096 : INT32_MIN;
		what = "a reply with a result below -MAX_ERRNO";
		break;
	case 4:
		r.reserved = 1u << below(&t->rng, 32);
		what = "a reply with reserved bits set";
		break;
	case 5:
		memset(raw, 0, sizeof(raw));
		memcpy(raw, &r, sizeof(r));
		buf = raw;
		len = chance(&t->rng, 500) ? sizeof(r) - 1 : sizeof(r) + 1 + below(&t->rng, 40);
		what = "a reply of the wrong size";
		strict = false;
		break;
	case 6:
		bp = pick_bad(&t->rng, false);
		if (bp.valid)
			bp.addr = (uintptr_t)mem.none;
		buf = (const void *)(uintptr_t)bp.addr;
		what = "a reply from a bad pointer";
		want = EFAULT;
		break;
	default:
		if (!o->dup)
			return;
		what = NULL;
		break;
	}
	if (!what)
		return;
	ret = CALL(t, K_WRITE, 0, write(s->fd, buf, len), "write %s: %s (id %u type %u result %d, %zu bytes)",
		   s->name, what, r.id, r.type, r.result, len);
	if (ret >= 0) {
		if (strict)
			problem(t, "%s to message %u of %s was accepted", what, o->msg.id, s->name);
		else
			surprise(t, "%s is accepted", what);
		/* It counted as the answer. */
		o->due_ns = 0;
		o->dup = false;
		o->result = INT32_MIN;
		return;
	}
	if (errno == EIO) {
		atomic_store(&s->broken_seen, true);
		return;
	}
	if (errno == ENOENT && want != ENOENT)
		return;	/* the sender gave up first */
	if (errno != want && !dev_err(errno))
		surprise(t, "%s fails with %s; expected %s", what, errname(errno), errname(want));
}

/* Send the real answer to @o (unless a garbage reply already counted). */
static void msg_answer(struct msg_ctx *c, struct outmsg *o)
{
	struct fz_thread *t = c->t;
	struct slot *s = c->s;
	struct uvdev_msg_reply r = { .id = o->msg.id, .type = o->msg.type, .result = o->result };
	uint64_t age_ms;
	long ret;

	if (o->result == INT32_MIN)
		return;
	if (!atomic_load(&g_cleanup) && enabled(C_BAD_REPLY) && chance(&t->rng, 60))
		msg_bad_reply(c, o);
	if (o->result == INT32_MIN)
		return;
	ret = CALL(t, K_WRITE, 0, write(s->fd, &r, sizeof(r)), "reply %s id %u type %u result %d%s",
		   s->name, r.id, r.type, r.result, o->late ? " (late)" : "");
	age_ms = (now_ns() - o->read_ns) / NS_PER_MS;
	if (ret == (long)sizeof(r)) {
		atomic_fetch_add(&n_replies, 1);
		/*
		 * The sender gives up when it runs after its timeout: until
		 * then a reply still counts. Under TCG on a loaded host the
		 * guest stalls for a second or more, so only a reply accepted
		 * LATE_SLACK_MS past the timeout says the timeout never fired.
		 */
		if (o->late && !atomic_load(&g_cleanup)) {
			if (age_ms > atomic_load(&s->max_timeout_ms) + LATE_SLACK)
				problem(t, "the reply to message %u of %s was accepted %" PRIu64 " ms after it "
					"was read, beyond the device's message timeout (%u ms at most) and %u ms",
					r.id, s->name, age_ms, atomic_load(&s->max_timeout_ms), LATE_SLACK);
			else
				atomic_fetch_add(&n_late_accepted, 1);
		}
		if (o->dup && !atomic_load(&g_stop)) {
			ret = CALL(t, K_WRITE, 0, write(s->fd, &r, sizeof(r)),
				   "reply %s id %u again (duplicate)", s->name, r.id);
			if (ret >= 0)
				problem(t, "a second reply to message %u of %s was accepted", r.id, s->name);
			else if (errno != ENOENT && !dev_err(errno))
				surprise(t, "a duplicate reply fails with %s; expected ENOENT", errname(errno));
		}
		return;
	}
	if (ret >= 0) {
		problem(t, "write of a %zu-byte reply returned %ld", sizeof(r), ret);
		return;
	}
	switch (errno) {
	case ENOENT:		/* the sender timed out or the device went */
	case ESHUTDOWN:
	case EINTR:
		break;
	case EIO:
		atomic_store(&s->broken_seen, true);
		break;
	default:
		problem(t, "a well-formed reply to message %u (type %u) of %s failed with %s",
			r.id, r.type, s->name, errname(errno));
	}
}

static void msg_answer_due(struct msg_ctx *c)
{
	bool all = atomic_load(&g_cleanup);
	uint64_t now = now_ns();
	int i;

	/* Out of order: whatever is due, from a random start. */
	for (i = c->nout - 1; i >= 0; i--) {
		if (!all && c->out[i].due_ns > now)
			continue;
		msg_answer(c, &c->out[i]);
		msg_drop(c, i);
	}
}

static void msg_handle(struct msg_ctx *c, const struct uvdev_msg *m)
{
	struct fz_thread *t = c->t;
	struct slot *s = c->s;
	uint64_t now = now_ns();
	struct outmsg *o;

	atomic_fetch_add(&n_msgs, 1);
	if (!msg_check(c, m))
		return;
	if (c->nout == (int)(sizeof(c->out) / sizeof(c->out[0]))) {
		msg_answer(c, &c->out[0]);
		msg_drop(c, 0);
	}
	o = &c->out[c->nout++];
	memset(o, 0, sizeof(*o));
	o->msg = *m;
	o->read_ns = now;
	o->due_ns = now;
	if (!atomic_load(&g_cleanup)) {
		if (enabled(C_NO_REPLY) && chance(&t->rng, 4)) {
			o->late = true;
			o->due_ns = now + (atomic_load(&s->max_timeout_ms) + 300) * NS_PER_MS;
		} else if (enabled(C_DEFER) && chance(&t->rng, 60)) {
			o->due_ns = now + (1 + below(&t->rng, 150)) * NS_PER_MS;
		}
		if (enabled(C_REFUSE) && chance(&t->rng, 15))
			o->result = pick_refusal(&t->rng);
		if (enabled(C_BAD_REPLY) && chance(&t->rng, 25))
			o->dup = true;
	}
	if (o->due_ns <= now) {
		msg_answer(c, o);
		msg_drop(c, c->nout - 1);
	}
}

/* Reads the kernel must refuse: short buffers, bad and kernel pointers. */
static void msg_bad_read(struct msg_ctx *c)
{
	struct fz_thread *t = c->t;
	struct slot *s = c->s;
	struct badptr bp;
	uint8_t small[sizeof(struct uvdev_msg)];
	size_t len;
	long ret;

	if (chance(&t->rng, 500)) {
		len = chance(&t->rng, 300) ? 0 : 1 + below(&t->rng, sizeof(struct uvdev_msg) - 1);
		ret = CALL(t, K_READ, CF_SIGNAL, read(s->fd, small, len), "read %s into %zu bytes", s->name, len);
		if (ret == 0 && len == 0)
			return;
		if (ret >= 0) {
			problem(t, "read of %zu bytes from %s returned %ld: a message does not fit",
				len, s->name, ret);
			return;
		}
		if (errno != EINVAL && errno != EINTR && errno != EAGAIN && !dev_err(errno))
			surprise(t, "a read into a short buffer fails with %s; expected EINVAL", errname(errno));
		return;
	}
	bp = pick_bad(&t->rng, true);
	if (bp.valid)
		bp.addr = (uintptr_t)mem.edge + PAGE - 1;	/* one byte short */
	atomic_store(&t->signal_at, now_ns() + 100 * NS_PER_MS);
	ret = CALL(t, K_READ, CF_SIGNAL, read(s->fd, (void *)(uintptr_t)bp.addr, sizeof(struct uvdev_msg)),
		   "read %s into %s", s->name, bp.what);
	if (ret == 0)
		return;		/* destroyed */
	if (ret > 0) {
		problem(t, "read from %s into %s returned %ld bytes", s->name, bp.what, ret);
		return;
	}
	if (errno == EIO)
		atomic_store(&s->broken_seen, true);
	else if (errno != EFAULT && errno != EINTR && errno != EAGAIN && !dev_err(errno))
		surprise(t, "a read into a bad pointer fails with %s; expected EFAULT", errname(errno));
}

static void msg_read_one(struct msg_ctx *c)
{
	struct fz_thread *t = c->t;
	struct slot *s = c->s;
	bool cleanup = atomic_load(&g_cleanup);
	bool blocking = !cleanup && enabled(C_SIGNALS) && chance(&t->rng, 80);
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct uvdev_msg m;
	void *buf = &m;
	size_t len = sizeof(m);
	long ret;

	if (!blocking) {
		ret = CALL(t, K_POLL, 0, poll(&pfd, 1, 30 + (int)below(&t->rng, 50)), "poll %s", s->name);
		if (ret < 0) {
			if (errno != EINTR)
				surprise(t, "poll on a device fd fails with %s", errname(errno));
			return;
		}
		if (ret == 0)
			return;
		if (pfd.revents & POLLNVAL) {
			problem(t, "poll on the open fd of %s reports POLLNVAL", s->name);
			return;
		}
		if (pfd.revents & POLLHUP)
			atomic_store(&s->dead_seen, true);
		if ((pfd.revents & POLLERR) && !atomic_exchange(&s->broken_seen, true))
			atomic_fetch_add(&n_broken, 1);
		if (!(pfd.revents & POLLIN))
			return;
	}
	if (!cleanup && enabled(C_BAD_REPLY) && chance(&t->rng, 30)) {
		msg_bad_read(c);
		return;
	}
	if (!cleanup && chance(&t->rng, 50)) {
		buf = c->bigbuf;
		len = sizeof(c->bigbuf);
	}
	atomic_store(&t->signal_at, now_ns() + (blocking ? 20 + below(&t->rng, 200) : 100) * NS_PER_MS);
	ret = CALL(t, K_READ, CF_SIGNAL, read(s->fd, buf, len), "read %s (%zu bytes%s)", s->name, len,
		   blocking ? ", blocking" : "");
	if (ret == (long)sizeof(m)) {
		if (buf != &m)
			memcpy(&m, buf, sizeof(m));
		msg_handle(c, &m);
	} else if (ret == 0) {
		atomic_store(&s->dead_seen, true);
	} else if (ret < 0) {
		switch (errno) {
		case EAGAIN:
		case EINTR:
			break;
		case EIO:
			if (!atomic_exchange(&s->broken_seen, true))
				atomic_fetch_add(&n_broken, 1);
			break;
		default:
			problem(t, "read of a message from %s failed with %s", s->name, errname(errno));
		}
	} else {
		problem(t, "read from %s returned %ld bytes, not one message (%zu)", s->name, ret, sizeof(m));
	}
}

/* A slot's message thread: reads and answers its device's control messages. */
static void *msg_thread(void *arg)
{
	struct fz_thread *t = arg;
	struct slot *s = t->slot;
	struct msg_ctx *c = calloc(1, sizeof(*c));

	if (!c) {
		problem(t, "out of memory");
		return NULL;
	}
	c->t = t;
	c->s = s;
	while (!atomic_load(&g_quit)) {
		if (!slot_rdlock(s, 50))
			continue;
		if (atomic_load(&s->state) != SLOT_OPEN) {
			slot_unlock(s);
			idle_ms(5);
			continue;
		}
		if (atomic_load(&s->gen) != c->gen) {
			/* A new backend: the kernel queued the old one's messages again. */
			c->gen = atomic_load(&s->gen);
			c->nout = 0;
		}
		msg_answer_due(c);
		if (atomic_load(&s->dead_seen) || atomic_load(&s->broken_seen)) {
			slot_unlock(s);
			idle_ms(5);
			continue;
		}
		msg_read_one(c);
		slot_unlock(s);
	}
	free(c);
	return NULL;
}

/* ---- the rings ------------------------------------------------------------ */

/* A chain this backend popped and has not pushed. */
struct held {
	uint32_t queue;
	uint32_t head;
	uint32_t out;
	uint32_t in;
	uint32_t nsegs;
	unsigned int epoch;	/* the queue's epoch when popped */
	uint64_t due_ns;	/* serve it then; UINT64_MAX: a receive buffer, kept */
	uint32_t peek_len;	/* bytes of peek kept */
	uint8_t peek[64];
	bool gone;		/* pushed or dropped: removed after the round */
};

enum post { POST_NONE, POST_HEADER, POST_VERIFY, POST_PEEKCMP };

/* A chain being served in this round. */
struct svc {
	int h;
	bool failed;
	bool have_hdr;
	uint32_t type;
	uint64_t sector;
	uint32_t used_len;
};

struct opmeta {
	int svc;
	enum post post;
	uint64_t arg;
};

#define BATCH_OPS	UVDEV_MAX_BATCH
#define SERVE_MAX	64
#define SERVE_PEEK	16		/* VQ_SERVE's peek, when it asks for one */

struct ring_ctx {
	struct fz_thread *t;
	struct slot *s;
	unsigned int gen;
	int fd;
	int kick[UVDEV_MAX_QUEUES];
	uint64_t kick_reset_ns;
	struct held *held;
	int nheld;
	struct { uint32_t queue, head; } recent[64];
	unsigned int nrecent;
	bool irq_owed[UVDEV_MAX_QUEUES];
	uint8_t *buf;			/* RING_BUF bytes */
	size_t buf_used;
	struct uvdev_vq_elem *elems;	/* MAX_ELEMS, and slack to misalign */
	uint8_t *peekbuf;		/* a full batch of peeks, and slack */
	uint8_t *ro_ops;		/* a page made read-only with ops in it */
	uint32_t q;			/* the queue of the current batch */
	struct uvdev_vq_xfer_op ops[BATCH_OPS];
	struct opmeta meta[BATCH_OPS];
	int nops;
	struct svc sv[SERVE_MAX];
	int nsv;
	bool abort;			/* a device-level error ended the round */
	/*
	 * What a VQ_SERVE popped, recorded once the serving pass is over (the
	 * pass holds indices into held[]); one such serve per pass.
	 */
	struct {
		uint32_t queue, peek_len;
		unsigned int epoch;
		long n;
		struct uvdev_vq_elem elems[SERVE_MAX];
		uint8_t peek[SERVE_MAX * SERVE_PEEK];
	} served;
};

static bool held_stale(struct ring_ctx *c, const struct held *h)
{
	return atomic_load(&c->s->q_epoch[h->queue]) != h->epoch;
}

/* Stale, and the queue was set up again since: the kernel dropped it. */
static bool held_removable(struct ring_ctx *c, const struct held *h)
{
	return held_stale(c, h) && atomic_load(&c->s->q_setup_epoch[h->queue]) > h->epoch;
}

static int find_held(struct ring_ctx *c, uint32_t q, uint32_t head)
{
	int i;

	for (i = 0; i < c->nheld; i++)
		if (c->held[i].queue == q && c->held[i].head == head && !c->held[i].gone)
			return i;
	return -1;
}

static void remove_held(struct ring_ctx *c, int i)
{
	c->held[i] = c->held[--c->nheld];
}

static void compact_held(struct ring_ctx *c)
{
	int i;

	for (i = c->nheld - 1; i >= 0; i--)
		if (c->held[i].gone)
			remove_held(c, i);
	atomic_store(&c->s->held_now, c->nheld);
}

/* A fresh chain (optionally with out- or in-bytes), or -1. */
static int pick_fresh(struct ring_ctx *c, bool need_out, bool need_in)
{
	int tries, i;

	if (!c->nheld)
		return -1;
	for (tries = 0; tries < 8; tries++) {
		i = (int)below(&c->t->rng, (uint32_t)c->nheld);
		if (c->held[i].gone || held_stale(c, &c->held[i]))
			continue;
		if ((need_out && !c->held[i].out) || (need_in && !c->held[i].in))
			continue;
		return i;
	}
	return -1;
}

/* A head of @q this backend does not hold; *in_range: below the ring size. */
static uint32_t pick_unheld(struct ring_ctx *c, uint32_t q, bool *in_range)
{
	uint32_t size = c->s->p.max_queue_size, head;
	int tries;

	*in_range = true;
	for (tries = 0; tries < 16; tries++) {
		head = below(&c->t->rng, size);
		if (find_held(c, q, head) < 0)
			return head;
	}
	*in_range = false;
	switch (below(&c->t->rng, 3)) {
	case 0:
		return size + below(&c->t->rng, 64);
	case 1:
		return 0xffff;
	default:
		return UINT32_MAX;
	}
}

static void note_recent(struct ring_ctx *c, uint32_t q, uint32_t head)
{
	c->recent[c->nrecent % 64].queue = q;
	c->recent[c->nrecent % 64].head = head;
	c->nrecent++;
}

static uint64_t hold_until(struct ring_ctx *c, uint32_t q)
{
	struct fz_thread *t = c->t;
	uint64_t now = now_ns();

	if (queue_role(&c->s->p, q) == Q_RX)
		return UINT64_MAX;
	if (atomic_load(&g_cleanup))
		return now;
	if (spun_on(&c->s->p, q))
		return enabled(C_HOLD) && chance(&t->rng, 60) ? now + below(&t->rng, 50) * NS_PER_MS : now;
	if (enabled(C_HOLD_LONG) && chance(&t->rng, 3))
		return now + HOLD_LONG_MS * NS_PER_MS;
	if (enabled(C_HOLD) && chance(&t->rng, 60))
		return now + (1 + below(&t->rng, HOLD_SHORT_MS)) * NS_PER_MS;
	return now;
}

/* Chains a pop returned: check them and hold them. */
static void record_popped(struct ring_ctx *c, uint32_t q, const void *elems, long n,
			  unsigned int epoch, const uint8_t *peek, uint32_t peek_len)
{
	struct fz_thread *t = c->t;
	struct slot *s = c->s;
	bool blk = s->p.device_id == VIRTIO_ID_BLOCK;
	long i;

	for (i = 0; i < n; i++) {
		struct uvdev_vq_elem e;
		struct held *h;
		uint32_t k, n0;
		int j;

		memcpy(&e, (const uint8_t *)elems + i * sizeof(e), sizeof(e));
		if (e.head >= s->p.max_queue_size || e.nsegs == 0) {
			problem(t, "VQ_POP of %s queue %u returned head %u with %u segments (ring of at most %u)",
				s->name, q, e.head, e.nsegs, s->p.max_queue_size);
			return;
		}
		j = find_held(c, q, e.head);
		if (j >= 0) {
			if (!held_stale(c, &c->held[j])) {
				problem(t, "VQ_POP of %s queue %u handed out head %u again while it is in flight",
					s->name, q, e.head);
				return;
			}
			remove_held(c, j);	/* the kernel dropped it and the driver reused it */
		}
		if (blk && queue_role(&s->p, q) == Q_REQUEST && (e.out_bytes < 16 || e.in_bytes < 1)) {
			problem(t, "VQ_POP of %s queue %u: a virtio_blk request (head %u) with %u out-bytes "
				"and %u in-bytes", s->name, q, e.head, e.out_bytes, e.in_bytes);
			return;
		}
		if (peek_len) {
			n0 = e.out_bytes < peek_len ? e.out_bytes : peek_len;
			for (k = n0; k < peek_len; k++) {
				if (peek[i * peek_len + k]) {
					problem(t, "VQ_POP peek of %s queue %u head %u (%u out-bytes) is not zero-filled "
						"at byte %u of %u", s->name, q, e.head, e.out_bytes, k, peek_len);
					return;
				}
			}
		}
		if (c->nheld == MAX_HELD) {
			problem(t, "VQ_POP returned more chains than the rings can hold");
			return;
		}
		h = &c->held[c->nheld++];
		memset(h, 0, sizeof(*h));
		h->queue = q;
		h->head = e.head;
		h->out = e.out_bytes;
		h->in = e.in_bytes;
		h->nsegs = e.nsegs;
		h->epoch = epoch;
		h->due_ns = hold_until(c, q);
		if (peek_len && peek) {
			h->peek_len = peek_len < sizeof(h->peek) ? peek_len : sizeof(h->peek);
			if (h->peek_len > e.out_bytes)
				h->peek_len = e.out_bytes;
			memcpy(h->peek, peek + i * peek_len, h->peek_len);
		}
	}
	atomic_fetch_add(&n_popped, (uint64_t)n);
	atomic_store(&s->held_now, c->nheld);
}

static void ring_pop(struct ring_ctx *c, uint32_t q)
{
	struct fz_thread *t = c->t;
	struct slot *s = c->s;
	bool blk = s->p.device_id == VIRTIO_ID_BLOCK;
	unsigned int epoch = atomic_load(&s->q_epoch[q]);
	uint32_t max, peek_len = 0, room = MAX_HELD - (uint32_t)c->nheld;
	size_t eskew = 0, pskew = 0;
	struct uvdev_vq_pop p;
	long ret;

	switch (below(&t->rng, 10)) {
	case 0:
		max = 1;
		break;
	case 1:
		max = UVDEV_MAX_BATCH;
		break;
	case 2:
		max = 1 + below(&t->rng, UVDEV_MAX_BATCH);
		break;
	default:
		max = 64;
		break;
	}
	if (max > room)
		max = room;
	if (!max)
		return;
	if ((blk && chance(&t->rng, 500)) || chance(&t->rng, 100)) {
		static const uint32_t lens[] = { 16, 16, 32, 64, UVDEV_MAX_PEEK, 1 };

		peek_len = chance(&t->rng, 800) ? lens[below(&t->rng, 6)] : 1 + below(&t->rng, UVDEV_MAX_PEEK);
	}
	if (chance(&t->rng, 200))
		eskew = 1 + below(&t->rng, 7);
	if (chance(&t->rng, 200))
		pskew = 1 + below(&t->rng, 7);
	memset(&p, 0, sizeof(p));
	p.queue = q;
	p.max = max;
	p.elems = (uintptr_t)c->elems + eskew;
	p.peek_len = peek_len;
	p.peek_buf = (uintptr_t)c->peekbuf + pskew;
	if (peek_len)
		memset(c->peekbuf + pskew, 0xa5, (size_t)max * peek_len);
	ret = CALL(t, K_POP, 0, ioctl(c->fd, UVDEV_IOC_VQ_POP, &p), "VQ_POP %s q%u max %u peek %u%s",
		   s->name, q, max, peek_len, eskew || pskew ? " (misaligned)" : "");
	if (ret < 0) {
		if (!dev_err(errno) && errno != EINTR)
			problem(t, "a valid VQ_POP of %s queue %u failed with %s", s->name, q, errname(errno));
		return;
	}
	if ((uint64_t)ret > max) {
		problem(t, "VQ_POP with max %u returned %ld", max, ret);
		return;
	}
	record_popped(c, q, (const uint8_t *)c->elems + eskew, ret, epoch,
		      peek_len ? c->peekbuf + pskew : NULL, peek_len);
}

/* ---- serving chains: batched transfers and pushes ------------------------- */

static void batch_begin(struct ring_ctx *c, uint32_t q)
{
	c->q = q;
	c->nops = 0;
	c->buf_used = 0;
	c->abort = false;
}

/* Buffer room, often misaligned by a few bytes; NULL when full. */
static uint8_t *batch_alloc(struct ring_ctx *c, size_t len)
{
	size_t skew = chance(&c->t->rng, 300) ? 1 + below(&c->t->rng, 7) : 0;
	uint8_t *p;

	if (c->buf_used + skew + len > RING_BUF)
		return NULL;
	p = c->buf + c->buf_used + skew;
	c->buf_used += skew + len;
	return p;
}

/* An op failed: a stale chain is dropped, a device error ends the round. */
static void op_failed(struct ring_ctx *c, int k, int err)
{
	const struct uvdev_vq_xfer_op *op = &c->ops[k];
	struct svc *v = &c->sv[c->meta[k].svc];
	struct held *h = &c->held[v->h];

	if (dev_err(err) || err == EINTR) {
		c->abort = true;
		return;
	}
	if (held_stale(c, h)) {
		v->failed = true;
		h->gone = true;
		return;
	}
	problem(c->t, "a valid VQ_XFER %s of %u bytes at offset %u of %s queue %u head %u "
		"(out %u, in %u) failed with %s", op->dir == UVDEV_XFER_WRITE ? "write" : "read",
		op->len, op->offset, c->s->name, op->queue, op->head, h->out, h->in, errname(err));
	c->abort = true;
}

static void post_op(struct ring_ctx *c, int k)
{
	const struct uvdev_vq_xfer_op *op = &c->ops[k];
	const struct opmeta *m = &c->meta[k];
	struct svc *v = &c->sv[m->svc];
	struct held *h = &c->held[v->h];
	const uint8_t *p = (const uint8_t *)(uintptr_t)op->addr;
	size_t bad;

	switch (m->post) {
	case POST_HEADER:
		v->type = le32(p);
		v->sector = le64(p + 8);
		v->have_hdr = true;
		break;
	case POST_VERIFY:
		bad = pattern_check(p, m->arg, op->len);
		if (bad < op->len)
			problem(c->t, "a virtio_blk write through %s queue %u head %u carries %#x at disk offset "
				"%" PRIu64 " (chain offset %u), expected %#x: VQ_XFER read the wrong bytes",
				c->s->name, op->queue, op->head, p[bad], m->arg + bad,
				op->offset + (uint32_t)bad, pattern_byte(m->arg + bad));
		break;
	case POST_PEEKCMP:
		if (memcmp(p, h->peek, op->len < h->peek_len ? op->len : h->peek_len))
			problem(c->t, "VQ_POP's peek and VQ_XFER read different bytes from %s queue %u head %u",
				c->s->name, op->queue, op->head);
		break;
	case POST_NONE:
		break;
	}
}

/* Run the queued ops. False if the round must end. */
static bool batch_flush(struct ring_ctx *c)
{
	struct fz_thread *t = c->t;
	int i = 0, j;

	while (i < c->nops && !c->abort && !atomic_load(&g_quit)) {
		uint32_t cnt = (uint32_t)(c->nops - i);
		struct uvdev_vq_xfer x = { .count = cnt, .ops = (uintptr_t)&c->ops[i] };
		const struct uvdev_vq_xfer_op *f;
		long ret;
		int err, done, ferr;

		for (j = i; j < c->nops; j++)
			c->ops[j].result = SENTINEL;
		ret = CALL(t, K_XFER, 0, ioctl(c->fd, UVDEV_IOC_VQ_XFER, &x),
			   "VQ_XFER %s q%u %u ops (first: head %u %s offset %u len %u)", c->s->name, c->q, cnt,
			   c->ops[i].head, c->ops[i].dir ? "write" : "read", c->ops[i].offset, c->ops[i].len);
		err = errno;
		if (ret > (long)cnt) {
			problem(t, "VQ_XFER of %u ops returned %ld", cnt, ret);
			c->abort = true;
			break;
		}
		done = ret < 0 ? 0 : (int)ret;
		for (j = i; j < i + done; j++) {
			if (c->ops[j].result != (int32_t)c->ops[j].len) {
				problem(t, "VQ_XFER op %d succeeded with result %d, not its length %u",
					j - i, c->ops[j].result, c->ops[j].len);
				c->abort = true;
				return false;
			}
			atomic_fetch_add(&n_xfer_bytes, c->ops[j].len);
			post_op(c, j);
		}
		if (done == (int)cnt)
			break;
		f = &c->ops[i + done];
		if (ret < 0) {
			ferr = err;
			if (f->result != SENTINEL && f->result != -err) {
				problem(t, "VQ_XFER failed with %s but its first op's result is %d",
					errname(err), f->result);
				c->abort = true;
				return false;
			}
		} else {
			if (f->result == SENTINEL || f->result >= 0) {
				problem(t, "VQ_XFER returned %ld of %u, but op %ld's result is %d, not an error",
					ret, cnt, ret, f->result);
				c->abort = true;
				return false;
			}
			ferr = -f->result;
		}
		for (j = i + done + 1; j < c->nops; j++) {
			if (c->ops[j].result != SENTINEL) {
				problem(t, "VQ_XFER ran op %d after op %d failed", j - i, done);
				c->abort = true;
				return false;
			}
		}
		op_failed(c, i + done, ferr);
		i += done + 1;
	}
	c->nops = 0;
	c->buf_used = 0;
	return !c->abort;
}

/* Queue one op of chain @svc; returns its buffer, NULL if the round ended. */
static uint8_t *batch_op(struct ring_ctx *c, int svc, uint32_t dir, uint32_t off, uint32_t len,
			 enum post post, uint64_t arg)
{
	const struct held *h = &c->held[c->sv[svc].h];
	uint8_t *p = NULL;

	if (c->abort)
		return NULL;
	if (c->nops < BATCH_OPS)
		p = batch_alloc(c, len ? len : 1);
	if (!p) {
		if (!batch_flush(c))
			return NULL;
		p = batch_alloc(c, len ? len : 1);
		if (!p)
			return NULL;
	}
	c->ops[c->nops] = (struct uvdev_vq_xfer_op){
		.queue = c->q, .head = h->head, .dir = dir, .offset = off, .len = len,
		.result = SENTINEL, .addr = (uintptr_t)p,
	};
	c->meta[c->nops] = (struct opmeta){ .svc = svc, .post = post, .arg = arg };
	c->nops++;
	return p;
}

enum fill { FILL_PATTERN, FILL_RANDOM, FILL_VERIFY, FILL_DISCARD };

static void fill_random(struct prng *r, uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t v = prng_next(r);

		memcpy(p + i, &v, 8);
	}
	for (; i < len; i++)
		p[i] = (uint8_t)prng_next(r);
}

/*
 * Move @len bytes at @chain_off of chain @svc in windows, each split in up
 * to four ops at random cuts (zero-length ones included).
 */
static void add_data(struct ring_ctx *c, int svc, uint32_t dir, uint32_t chain_off, uint32_t len,
		     uint64_t pattern_off, enum fill fill)
{
	struct prng *r = &c->t->rng;

	while (len && !c->abort) {
		uint32_t win = len > WINDOW ? WINDOW : len;
		uint32_t cuts[5], pieces = chance(r, 700) ? 1 : 2 + below(r, 3), k, a, b;

		cuts[0] = 0;
		cuts[pieces] = win;
		for (k = 1; k < pieces; k++)
			cuts[k] = below(r, win + 1);
		for (a = 1; a < pieces; a++)		/* sort the inner cuts */
			for (b = a + 1; b < pieces; b++)
				if (cuts[b] < cuts[a]) {
					uint32_t tmp = cuts[a];

					cuts[a] = cuts[b];
					cuts[b] = tmp;
				}
		for (k = 0; k < pieces; k++) {
			uint32_t plen = cuts[k + 1] - cuts[k];
			uint8_t *p = batch_op(c, svc, dir, chain_off + cuts[k], plen,
					      fill == FILL_VERIFY ? POST_VERIFY : POST_NONE,
					      pattern_off + cuts[k]);

			if (!p)
				return;
			if (fill == FILL_PATTERN)
				pattern_fill(p, pattern_off + cuts[k], plen);
			else if (fill == FILL_RANDOM)
				fill_random(r, p, plen);
		}
		chain_off += win;
		pattern_off += win;
		len -= win;
	}
}

/* A virtio_blk request: header, data, status byte last. */
static void serve_blk(struct ring_ctx *c, int i)
{
	struct svc *v = &c->sv[i];
	const struct held *h = &c->held[v->h];
	uint8_t status = VIRTIO_BLK_S_OK;
	uint8_t *p;
	uint32_t n;

	if (!v->have_hdr) {
		v->used_len = 0;
		return;
	}
	v->used_len = h->in;
	switch (v->type) {
	case VIRTIO_BLK_T_IN:
		add_data(c, i, UVDEV_XFER_WRITE, 0, h->in - 1, v->sector * 512, FILL_PATTERN);
		break;
	case VIRTIO_BLK_T_OUT:
		add_data(c, i, UVDEV_XFER_READ, 16, h->out - 16, v->sector * 512, FILL_VERIFY);
		break;
	case VIRTIO_BLK_T_FLUSH:
		break;
	case VIRTIO_BLK_T_GET_ID:
		n = h->in - 1 < VIRTIO_BLK_ID_BYTES ? h->in - 1 : VIRTIO_BLK_ID_BYTES;
		p = batch_op(c, i, UVDEV_XFER_WRITE, 0, n, POST_NONE, 0);
		if (!p)
			return;
		memset(p, 0, n);
		memcpy(p, BLK_SERIAL, n < sizeof(BLK_SERIAL) - 1 ? n : sizeof(BLK_SERIAL) - 1);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	p = batch_op(c, i, UVDEV_XFER_WRITE, h->in - 1, 1, POST_NONE, 0);
	if (p)
		*p = status;
}

/*
 * VQ_SERVE: push @used as VQ_PUSH would, and pop the queue's next chains
 * into c->served. Returns what VQ_PUSH would have returned for @used (the
 * entries pushed, or -1 with errno when none was), so that push_round()
 * checks both calls alike; checks here what only VQ_SERVE says: the errno
 * of a refused entry after others were pushed, and the pop half.
 */
static long serve_call(struct ring_ctx *c, const struct uvdev_vq_used *used, int n,
		       uint32_t flags, int bad, const char *badwhat)
{
	struct fz_thread *t = c->t;
	struct slot *s = c->s;
	bool peek = chance(&t->rng, 500);
	unsigned int epoch = atomic_load(&s->q_epoch[c->q]);
	struct uvdev_vq_serve sv;
	long ret;
	int err;

	memset(&sv, 0, sizeof(sv));
	sv.queue = c->q;
	sv.push_count = (uint32_t)n;
	sv.used = (uintptr_t)used;
	sv.push_flags = flags;
	sv.pop_max = 1 + below(&t->rng, SERVE_MAX);
	sv.elems = (uintptr_t)c->served.elems;
	sv.peek_len = peek ? SERVE_PEEK : 0;
	sv.peek_buf = (uintptr_t)c->served.peek;
	if (peek)
		memset(c->served.peek, 0xa5, sizeof(c->served.peek));
	ret = CALL(t, K_SERVE, 0, ioctl(c->fd, UVDEV_IOC_VQ_SERVE, &sv),
		   "VQ_SERVE %s q%u push %d%s pop %u peek %u%s%s", s->name, c->q, n,
		   flags ? " +irq" : "", sv.pop_max, sv.peek_len,
		   bad >= 0 ? ", refuse one: " : "", badwhat);
	err = errno;
	if (ret >= 0) {
		if (ret > sv.pop_max) {
			problem(t, "VQ_SERVE with pop_max %u returned %ld", sv.pop_max, ret);
			ret = 0;
		}
		c->served.queue = c->q;
		c->served.epoch = epoch;
		c->served.peek_len = sv.peek_len;
		c->served.n = ret;
		return n;
	}
	if (sv.pushed > (uint32_t)n) {
		problem(t, "VQ_SERVE of %d entries says it pushed %u", n, sv.pushed);
		errno = err;
		return -1;
	}
	if (!sv.pushed) {
		errno = err;
		return -1;
	}
	if (dev_err(err) || err == EINTR)
		return sv.pushed;
	if ((int)sv.pushed == n)
		problem(t, "VQ_SERVE of %s queue %u pushed every entry, then its pop failed with %s",
			s->name, c->q, errname(err));
	else if ((int)sv.pushed == bad && err != ENOENT && err != ERANGE && err != EINVAL)
		surprise(t, "VQ_SERVE refusing %s after %u pushed fails with %s", badwhat, sv.pushed,
			 errname(err));
	return sv.pushed;
}

/* Push the served chains of the round, with a refused entry mixed in. */
static void push_round(struct ring_ctx *c)
{
	struct fz_thread *t = c->t;
	struct slot *s = c->s;
	bool cleanup = atomic_load(&g_cleanup);
	struct uvdev_vq_used used[SERVE_MAX + 1];
	int owner[SERVE_MAX + 1];
	int n = 0, i, bad = -1, want = 0, want2 = 0;
	const char *badwhat = "";
	struct uvdev_vq_push pr;
	uint32_t flags;
	long ret;

	for (i = 0; i < c->nsv; i++) {
		if (c->sv[i].failed)
			continue;
		used[n].head = c->held[c->sv[i].h].head;
		used[n].len = c->sv[i].used_len;
		owner[n++] = i;
	}
	if (!n)
		return;
	if (n > 1 && chance(&t->rng, 300)) {	/* any order */
		for (i = n - 1; i > 0; i--) {
			int j = (int)below(&t->rng, (uint32_t)i + 1);
			struct uvdev_vq_used tu = used[i];
			int to = owner[i];

			used[i] = used[j];
			owner[i] = owner[j];
			used[j] = tu;
			owner[j] = to;
		}
	}
	if (!cleanup && enabled(C_BAD_RING) && chance(&t->rng, 80)) {
		struct uvdev_vq_used b;
		bool in_range;
		int pos = (int)below(&t->rng, (uint32_t)n + 1), k;

		switch (below(&t->rng, 3)) {
		case 0:
			if (pos == 0) {
				pos = 1;
				if (pos > n)
					return;
			}
			b = used[below(&t->rng, (uint32_t)pos)];
			badwhat = "a head pushed earlier in the same call";
			want = ENOENT;
			break;
		case 1:
			b.head = pick_unheld(c, c->q, &in_range);
			b.len = 0;
			badwhat = "a head not in flight";
			want = ENOENT;
			want2 = in_range ? 0 : EINVAL;
			break;
		default:
			if (pos == n)
				pos = n - 1;
			b.head = used[pos].head;
			b.len = c->held[c->sv[owner[pos]].h].in + 1 + below(&t->rng, 100);
			if (b.len <= c->held[c->sv[owner[pos]].h].in)
				b.len = UINT32_MAX;
			badwhat = "a length beyond the chain's in-bytes";
			want = ERANGE;
			break;
		}
		for (k = n; k > pos; k--) {
			used[k] = used[k - 1];
			owner[k] = owner[k - 1];
		}
		used[pos] = b;
		owner[pos] = -1;
		bad = pos;
		n++;
	}
	flags = (!cleanup && chance(&t->rng, 150)) ? 0 : UVDEV_PUSH_F_IRQ;
	if (!c->served.n && c->nheld + SERVE_MAX <= MAX_HELD && chance(&t->rng, 300)) {
		ret = serve_call(c, used, n, flags, bad, badwhat);
	} else {
		memset(&pr, 0, sizeof(pr));
		pr.queue = c->q;
		pr.count = (uint32_t)n;
		pr.used = (uintptr_t)used;
		pr.flags = flags;
		ret = CALL(t, K_PUSH, 0, ioctl(c->fd, UVDEV_IOC_VQ_PUSH, &pr),
			   "VQ_PUSH %s q%u %d entries%s%s%s", s->name, c->q, n, flags ? " +irq" : "",
			   bad >= 0 ? ", refuse one: " : "", badwhat);
	}
	if (ret < 0) {
		int err = errno;

		if (dev_err(err) || err == EINTR)
			return;
		if (bad == 0) {
			if (err != want && !(want2 && err == want2))
				surprise(t, "VQ_PUSH refusing %s fails with %s; the ABI says %s",
					 badwhat, errname(err), errname(want));
			return;
		}
		if (held_stale(c, &c->held[c->sv[owner[0]].h])) {
			c->held[c->sv[owner[0]].h].gone = true;
			return;
		}
		problem(t, "VQ_PUSH of %s queue %u failed with %s, but its first entry (head %u len %u, "
			"in-bytes %u) is valid", s->name, c->q, errname(err), used[0].head, used[0].len,
			c->held[c->sv[owner[0]].h].in);
		return;
	}
	if (ret == 0)
		surprise(t, "VQ_PUSH returns 0 instead of failing with the first entry's errno");
	if (ret > (bad >= 0 ? bad : n)) {
		problem(t, "VQ_PUSH of %s queue %u returned %ld: entry %d (%s) had to be refused",
			s->name, c->q, ret, bad, badwhat);
		return;
	}
	for (i = 0; i < ret; i++) {
		if (owner[i] < 0)
			continue;
		c->held[c->sv[owner[i]].h].gone = true;
		note_recent(c, c->q, used[i].head);
		atomic_fetch_add(&n_pushed, 1);
	}
	if (ret > 0)
		atomic_store(&s->last_push_ns, now_ns());
	if (ret < (bad >= 0 ? bad : n)) {
		struct held *h = &c->held[c->sv[owner[ret]].h];

		if (held_stale(c, h))
			h->gone = true;
		else
			problem(t, "VQ_PUSH of %s queue %u stopped at entry %ld (head %u len %u, in-bytes %u), "
				"which is valid", s->name, c->q, ret, used[ret].head, used[ret].len, h->in);
	}
	if (ret > 0)
		c->irq_owed[c->q] = !(flags & UVDEV_PUSH_F_IRQ);
}

/* Serve chains @idx of queue @q: read what is needed, write, push. */
static void serve_round(struct ring_ctx *c, uint32_t q, const int *idx, int n)
{
	struct fz_thread *t = c->t;
	const struct devparams *p = &c->s->p;
	enum qrole role = queue_role(p, q);
	bool blk = p->device_id == VIRTIO_ID_BLOCK && role == Q_REQUEST;
	int i;

	c->nsv = n;
	batch_begin(c, q);
	for (i = 0; i < n; i++) {
		const struct held *h = &c->held[idx[i]];

		c->sv[i] = (struct svc){ .h = idx[i] };
		if (!blk)
			continue;
		if (h->out < 16 || h->in < 1)
			continue;
		if (h->peek_len >= 16) {
			c->sv[i].type = le32(h->peek);
			c->sv[i].sector = le64(h->peek + 8);
			c->sv[i].have_hdr = true;
		} else {
			batch_op(c, i, UVDEV_XFER_READ, 0, 16, POST_HEADER, 0);
		}
	}
	if (!batch_flush(c))
		return;
	for (i = 0; i < n && !c->abort; i++) {
		struct svc *v = &c->sv[i];
		const struct held *h = &c->held[v->h];

		if (v->failed)
			continue;
		if (h->peek_len && chance(&t->rng, 300))
			batch_op(c, i, UVDEV_XFER_READ, 0, h->peek_len, POST_PEEKCMP, 0);
		if (blk) {
			serve_blk(c, i);
		} else if (role == Q_TX) {
			add_data(c, i, UVDEV_XFER_READ, 0, h->out < WINDOW ? h->out : WINDOW, 0, FILL_DISCARD);
			v->used_len = 0;
		} else if (role == Q_CTRL) {
			/* A command: read it, acknowledge with VIRTIO_NET_OK in the last in-byte. */
			uint8_t *ack;

			add_data(c, i, UVDEV_XFER_READ, 0, h->out < WINDOW ? h->out : WINDOW, 0, FILL_DISCARD);
			v->used_len = 0;
			if (h->in) {
				ack = batch_op(c, i, UVDEV_XFER_WRITE, h->in - 1, 1, POST_NONE, 0);
				if (ack)
					*ack = VIRTIO_NET_OK;
				v->used_len = h->in;
			}
		} else {
			add_data(c, i, UVDEV_XFER_WRITE, 0, h->in, 0, FILL_RANDOM);
			v->used_len = h->in;
			/* Fewer bytes than asked hang virtio_rng: see --help (short-rng). */
			if ((p->device_id != VIRTIO_ID_RNG || enabled(C_SHORT_RNG)) && h->in &&
			    chance(&t->rng, 100))
				v->used_len = below(&t->rng, h->in);
			if (p->device_id == VIRTIO_ID_RNG)
				atomic_fetch_add(&n_rng_bytes, v->used_len);
		}
	}
	if (!batch_flush(c))
		return;
	push_round(c);
}

/* Serve every chain that is due, a round per queue. */
static void ring_serve_due(struct ring_ctx *c)
{
	bool cleanup = atomic_load(&g_cleanup);
	uint64_t now = now_ns();
	int idx[SERVE_MAX];
	uint32_t q;
	int i, n;

	for (i = c->nheld - 1; i >= 0; i--)
		if (held_removable(c, &c->held[i]))
			remove_held(c, i);
	if (atomic_load(&c->s->freeze) && !cleanup) {
		compact_held(c);
		return;
	}
	for (q = 0; q < c->s->p.num_queues; q++) {
		n = 0;
		for (i = 0; i < c->nheld; i++) {
			const struct held *h = &c->held[i];

			if (h->queue != q || h->gone || held_stale(c, h))
				continue;
			if (h->due_ns > now && !(cleanup && h->due_ns != UINT64_MAX))
				continue;
			idx[n++] = i;
			if (n == SERVE_MAX) {
				serve_round(c, q, idx, n);
				n = 0;
			}
		}
		if (n)
			serve_round(c, q, idx, n);
	}
	compact_held(c);
	if (c->served.n) {
		record_popped(c, c->served.queue, c->served.elems, c->served.n, c->served.epoch,
			      c->served.peek_len ? c->served.peek : NULL, c->served.peek_len);
		c->served.n = 0;
	}
}

/* ---- the rings, misused --------------------------------------------------- */

static uint32_t pick_queue(struct ring_ctx *c)
{
	uint32_t nq = c->s->p.num_queues, q = below(&c->t->rng, nq), i;

	for (i = 0; i < nq; i++, q = (q + 1) % nq)
		if (atomic_load(&c->s->q_ready[q]))
			return q;
	return q;
}

static uint32_t bad_queue(struct ring_ctx *c)
{
	return chance(&c->t->rng, 700) ? c->s->p.num_queues + below(&c->t->rng, 8) : UINT32_MAX;
}

static long do_pop(struct ring_ctx *c, struct uvdev_vq_pop *p, const char *what)
{
	return CALL(c->t, K_POP, 0, ioctl(c->fd, UVDEV_IOC_VQ_POP, p), "VQ_POP %s q%u max %u peek %u: %s",
		    c->s->name, p->queue, p->max, p->peek_len, what);
}

/* VQ_POP with one malformed field. */
static void garbage_pop_args(struct ring_ctx *c)
{
	struct fz_thread *t = c->t;
	unsigned int epoch;
	struct uvdev_vq_pop p;
	const char *what;
	long ret;

	memset(&p, 0, sizeof(p));
	p.queue = pick_queue(c);
	p.max = 1;
	p.elems = (uintptr_t)c->elems;
	p.peek_buf = (uintptr_t)mem.none;
	epoch = atomic_load(&c->s->q_epoch[p.queue]);
	switch (below(&t->rng, 4)) {
	case 0:
		p.queue = bad_queue(c);
		what = "a queue the device does not have";
		break;
	case 1:
		p.max = chance(&t->rng, 400) ? 0 : (chance(&t->rng, 500) ? UVDEV_MAX_BATCH + 1 : UINT32_MAX);
		what = "max 0 or above UVDEV_MAX_BATCH";
		break;
	case 2:
		p.reserved = 1u << below(&t->rng, 32);
		what = "reserved bits set";
		break;
	default:
		p.peek_len = chance(&t->rng, 500) ? UVDEV_MAX_PEEK + 1 + below(&t->rng, 100) : UINT32_MAX;
		what = "peek_len above UVDEV_MAX_PEEK";
		break;
	}
	ret = do_pop(c, &p, what);
	if (ret > 0 && p.queue < c->s->p.num_queues && ret <= MAX_ELEMS)
		record_popped(c, p.queue, c->elems, ret, epoch, NULL, 0);
	must_fail(t, ret, errno, EINVAL, p.peek_len ? EFAULT : 0, "VQ_POP with a malformed argument");
}

/* VQ_POP into memory it must not write: elems or peek. */
static void garbage_pop_memory(struct ring_ctx *c, bool peek)
{
	struct fz_thread *t = c->t;
	struct badptr bp = pick_bad(&t->rng, true);
	struct uvdev_vq_pop p;
	unsigned int epoch;
	uint64_t allowed;
	long ret;

	memset(&p, 0, sizeof(p));
	p.queue = pick_queue(c);
	p.max = 1 + below(&t->rng, 8);
	epoch = atomic_load(&c->s->q_epoch[p.queue]);
	if (peek) {
		p.elems = (uintptr_t)c->elems;
		p.peek_len = 1 + below(&t->rng, UVDEV_MAX_PEEK);
		p.peek_buf = bp.addr;
		allowed = bp.valid / p.peek_len;
	} else {
		p.elems = bp.addr;
		allowed = bp.valid / sizeof(struct uvdev_vq_elem);
	}
	ret = do_pop(c, &p, peek ? "peek into bad memory" : "elems into bad memory");
	if (ret > 0) {
		if ((uint64_t)ret > allowed) {
			problem(t, "VQ_POP of %s wrote %ld %s into %s", c->s->name, ret,
				peek ? "peeks" : "elems", bp.what);
			return;
		}
		record_popped(c, p.queue, peek ? (const void *)c->elems : (const void *)(uintptr_t)bp.addr,
			      ret, epoch, NULL, 0);
		return;
	}
	if (ret < 0 && errno != EFAULT && !dev_err(errno))
		surprise(t, "VQ_POP into %s fails with %s; expected EFAULT", peek ? "a bad peek buffer" :
			 "a bad elems array", errname(errno));
}

static long xfer_one(struct ring_ctx *c, struct uvdev_vq_xfer_op *op, unsigned int flags, const char *what)
{
	struct uvdev_vq_xfer x = { .count = 1, .ops = (uintptr_t)op };
	long ret;
	int err;

	op->result = SENTINEL;
	ret = CALL(c->t, K_XFER, flags, ioctl(c->fd, UVDEV_IOC_VQ_XFER, &x),
		   "VQ_XFER %s q%u head %u dir %u offset %u len %u: %s", c->s->name, op->queue, op->head,
		   op->dir, op->offset, op->len, what);
	err = errno;
	if (ret < 0 && op->result != SENTINEL && op->result != -err)
		problem(c->t, "VQ_XFER failed with %s but its op's result is %d", errname(err), op->result);
	if (ret == 1 && op->result != (int32_t)op->len)
		problem(c->t, "VQ_XFER op succeeded with result %d, not its length %u", op->result, op->len);
	errno = err;
	return ret;
}

/* An op on a chain in flight with one field wrong. */
static void garbage_xfer_field(struct ring_ctx *c)
{
	long ret;
	struct fz_thread *t = c->t;
	int i = pick_fresh(c, false, false);
	struct uvdev_vq_xfer_op op;
	const struct held *h;
	uint32_t limit;
	const char *what;
	int want = ERANGE;

	if (i < 0)
		return;
	h = &c->held[i];
	memset(&op, 0, sizeof(op));
	op.queue = h->queue;
	op.head = h->head;
	op.dir = h->in ? UVDEV_XFER_WRITE : UVDEV_XFER_READ;
	if (chance(&t->rng, 300) && h->out)
		op.dir = UVDEV_XFER_READ;
	limit = op.dir == UVDEV_XFER_READ ? h->out : h->in;
	op.len = 1;
	op.addr = (uintptr_t)c->buf;
	switch (below(&t->rng, 6)) {
	case 0:
		op.queue = bad_queue(c);
		what = "a queue the device does not have";
		want = EINVAL;
		break;
	case 1:
		op.dir = chance(&t->rng, 500) ? 2 + below(&t->rng, 5) : UINT32_MAX;
		what = "an unknown direction";
		want = EINVAL;
		break;
	case 2:
		op.offset = limit;
		op.len = 1 + below(&t->rng, 16);
		what = "an offset at the end of the chain";
		break;
	case 3:
		op.len = limit + 1 + below(&t->rng, 4096);
		what = "a length beyond the chain";
		break;
	case 4:
		op.offset = UINT32_MAX - below(&t->rng, 16);
		op.len = 2 + below(&t->rng, 64);
		what = "an offset and length that wrap";
		break;
	default:
		op.len = chance(&t->rng, 500) ? 0x80000000u + below(&t->rng, 1000) : UINT32_MAX;
		op.addr = (uintptr_t)mem.none;
		what = "a huge length";
		break;
	}
	ret = xfer_one(c, &op, 0, what);
	must_fail(t, ret, errno, want, 0, what);
}

/*
 * A bad buffer of @len bytes, more than the bounce buffer takes, so the
 * kernel pins the pages: ones that run into an unmapped page, read-only
 * (when the kernel writes), PROT_NONE, or addresses no user page has.
 */
static struct badptr pick_bad_big(struct prng *r, bool kernel_writes, uint32_t len)
{
	uint32_t valid;

	switch (below(r, kernel_writes ? 6 : 5)) {
	case 0:
		valid = below(r, len);
		valid -= valid % (chance(r, 500) ? PAGE : 1);
		return (struct badptr){ (uintptr_t)mem.big_edge + BIG - valid, valid,
					"a buffer that runs into an unmapped page" };
	case 1:
		return (struct badptr){ (uintptr_t)mem.big_none, 0, "PROT_NONE pages" };
	case 2:
		return (struct badptr){ 0x00007ffffffff000ULL - PAGE * below(r, 4), 0,
					"the last user pages and beyond" };
	case 3:
		return (struct badptr){ UINT64_MAX - below(r, len), 0, "a range that wraps the address space" };
	case 4:
		return pick_bad(r, kernel_writes);
	default:
		return (struct badptr){ (uintptr_t)mem.big_ro, 0, "read-only pages" };
	}
}

/* An op on a chain in flight with a buffer the kernel must not touch. */
static void garbage_xfer_addr(struct ring_ctx *c)
{
	long ret;
	struct fz_thread *t = c->t;
	int i = pick_fresh(c, false, false);
	struct uvdev_vq_xfer_op op;
	const struct held *h;
	struct badptr bp;
	uint32_t limit;

	if (i < 0)
		return;
	h = &c->held[i];
	memset(&op, 0, sizeof(op));
	op.queue = h->queue;
	op.head = h->head;
	op.dir = (h->out && (chance(&t->rng, 500) || !h->in)) ? UVDEV_XFER_READ : UVDEV_XFER_WRITE;
	limit = op.dir == UVDEV_XFER_READ ? h->out : h->in;
	if (!limit)
		return;
	if (limit > 256 && chance(&t->rng, 500)) {
		op.len = 257 + below(&t->rng, (limit < BIG ? limit : BIG) - 256);
		bp = pick_bad_big(&t->rng, op.dir == UVDEV_XFER_READ, op.len);
	} else {
		bp = pick_bad(&t->rng, op.dir == UVDEV_XFER_READ);
		op.len = 1 + below(&t->rng, limit < 256 ? limit : 256);
	}
	if (bp.valid >= op.len)
		return;
	op.addr = bp.addr;
	ret = xfer_one(c, &op, 0, bp.what);
	must_fail(t, ret, errno, EFAULT, 0,
		  op.dir == UVDEV_XFER_READ ? "VQ_XFER read into a bad buffer" :
					      "VQ_XFER write from a bad buffer");
}

/* An op on a head nobody popped. */
static void garbage_xfer_unheld(struct ring_ctx *c)
{
	long ret;
	struct uvdev_vq_xfer_op op;
	bool in_range;

	memset(&op, 0, sizeof(op));
	op.queue = pick_queue(c);
	op.head = pick_unheld(c, op.queue, &in_range);
	op.dir = below(&c->t->rng, 2);
	op.len = below(&c->t->rng, 2);
	op.addr = (uintptr_t)c->buf;
	ret = xfer_one(c, &op, 0, "a head not in flight");
	must_fail(c->t, ret, errno, ENOENT, in_range ? 0 : EINVAL, "VQ_XFER on a head not in flight");
}

/* Valid ops at the very edge of a chain. */
static void xfer_edges(struct ring_ctx *c)
{
	int i = pick_fresh(c, true, false);
	struct uvdev_vq_xfer_op op;
	const struct held *h;
	long ret;

	if (i < 0)
		return;
	h = &c->held[i];
	memset(&op, 0, sizeof(op));
	op.queue = h->queue;
	op.head = h->head;
	op.dir = UVDEV_XFER_READ;
	op.addr = (uintptr_t)c->buf;
	if (chance(&c->t->rng, 500)) {
		op.offset = h->out;
		op.len = 0;
	} else {
		op.offset = h->out - 1;
		op.len = 1;
	}
	ret = xfer_one(c, &op, 0, "the edge of the chain");
	if (ret == 1 || (ret < 0 && (dev_err(errno) || held_stale(c, h))))
		return;
	problem(c->t, "VQ_XFER read of %u bytes at offset %u of a chain with %u out-bytes returned %ld (%s)",
		op.len, op.offset, h->out, ret, ret < 0 ? errname(errno) : "no error");
}

/* Valid ops, then one that must fail, then more: it stops at the bad one. */
static void garbage_xfer_batch(struct ring_ctx *c)
{
	struct fz_thread *t = c->t;
	struct uvdev_vq_xfer_op ops[12];
	int chain[12];
	uint32_t k = 1 + below(&t->rng, 6), after = below(&t->rng, 4), n = k + 1 + after, j;
	struct uvdev_vq_xfer x;
	int want = ENOENT, want2 = 0;
	bool in_range;
	long ret;

	memset(ops, 0, sizeof(ops));
	for (j = 0; j < n; j++) {
		int i = pick_fresh(c, true, false);
		const struct held *h;

		if (i < 0)
			return;
		h = &c->held[i];
		chain[j] = i;
		ops[j].queue = h->queue;
		ops[j].head = h->head;
		ops[j].dir = UVDEV_XFER_READ;
		ops[j].offset = below(&t->rng, h->out);
		ops[j].len = 1 + below(&t->rng, h->out - ops[j].offset);
		if (ops[j].len > 4096)
			ops[j].len = 4096;
		ops[j].addr = (uintptr_t)c->buf + 4096 * j;
		ops[j].result = SENTINEL;
	}
	switch (below(&t->rng, 3)) {
	case 0:
		ops[k].head = pick_unheld(c, ops[k].queue, &in_range);
		want2 = in_range ? 0 : EINVAL;
		break;
	case 1:
		ops[k].offset = c->held[chain[k]].out;
		want = ERANGE;
		break;
	default:
		ops[k].addr = (uintptr_t)mem.ro;
		want = EFAULT;
		break;
	}
	x.count = n;
	x.reserved = 0;
	x.ops = (uintptr_t)ops;
	ret = CALL(t, K_XFER, 0, ioctl(c->fd, UVDEV_IOC_VQ_XFER, &x),
		   "VQ_XFER %s %u ops, op %u must fail with %s", c->s->name, n, k, errname(want));
	if (ret < 0) {
		if (dev_err(errno) || held_stale(c, &c->held[chain[0]]))
			return;
		problem(t, "VQ_XFER of %u ops failed with %s, but its first op is valid", n, errname(errno));
		return;
	}
	if (ret > (long)k) {
		problem(t, "VQ_XFER returned %ld: it ran past op %u, which had to fail with %s",
			ret, k, errname(want));
		return;
	}
	for (j = 0; j < (uint32_t)ret; j++)
		if (ops[j].result != (int32_t)ops[j].len)
			problem(t, "VQ_XFER op %u succeeded with result %d, not its length %u", j,
				ops[j].result, ops[j].len);
	for (j = (uint32_t)ret + 1; j < n; j++)
		if (ops[j].result != SENTINEL)
			problem(t, "VQ_XFER ran op %u after op %ld failed", j, ret);
	if (ret < (long)k) {
		if (!held_stale(c, &c->held[chain[ret]]) && !dev_err(-ops[ret].result))
			problem(t, "VQ_XFER stopped at op %ld (result %d), which is valid", ret, ops[ret].result);
		return;
	}
	if (ops[k].result >= 0)
		problem(t, "VQ_XFER returned %ld but op %u's result is %d, not an error", ret, k, ops[k].result);
	else if (-ops[k].result != want && -ops[k].result != want2 && !dev_err(-ops[k].result))
		surprise(t, "a bad op in a VQ_XFER batch gets %s; expected %s", errname(-ops[k].result),
			 errname(want));
}

/* The struct itself is wrong: count, reserved, pointers, read-only ops. */
static void garbage_xfer_struct(struct ring_ctx *c)
{
	struct fz_thread *t = c->t;
	struct uvdev_vq_xfer x = { .count = 1, .ops = (uintptr_t)c->ops };
	struct uvdev_vq_xfer_op *op;
	struct badptr bp;
	void *arg = &x;
	int want = EINVAL, want2 = 0, i;
	const char *what;
	long ret;

	memset(c->ops, 0, sizeof(c->ops[0]));
	c->ops[0].queue = UINT32_MAX;	/* harmless if the kernel took it */
	switch (below(&t->rng, 5)) {
	case 0:
		x.count = chance(&t->rng, 400) ? 0 : (chance(&t->rng, 500) ? UVDEV_MAX_BATCH + 1 : UINT32_MAX);
		x.ops = (uintptr_t)mem.none;
		want2 = EFAULT;
		what = "count 0 or above UVDEV_MAX_BATCH";
		break;
	case 1:
		x.reserved = 1u << below(&t->rng, 32);
		what = "reserved bits set";
		break;
	case 2:
		bp = pick_bad(&t->rng, false);
		x.ops = bp.addr;
		want = EFAULT;
		what = "ops at a bad address";
		break;
	case 3:
		bp = pick_bad(&t->rng, false);
		arg = (void *)(uintptr_t)bp.addr;
		want = EFAULT;
		what = "its argument at a bad address";
		break;
	default:
		/* A valid read whose result the kernel cannot write back. */
		i = pick_fresh(c, true, false);
		if (i < 0 || mprotect(c->ro_ops, PAGE, PROT_READ | PROT_WRITE))
			return;
		op = (struct uvdev_vq_xfer_op *)c->ro_ops;
		memset(op, 0, sizeof(*op));
		op->queue = c->held[i].queue;
		op->head = c->held[i].head;
		op->dir = UVDEV_XFER_READ;
		op->len = c->held[i].out < 64 ? c->held[i].out : 64;
		op->addr = (uintptr_t)c->buf;
		if (mprotect(c->ro_ops, PAGE, PROT_READ))
			return;
		x.ops = (uintptr_t)c->ro_ops;
		want = EFAULT;
		what = "ops in a read-only page (results cannot be written)";
		break;
	}
	ret = CALL(t, K_XFER, 0, ioctl(c->fd, UVDEV_IOC_VQ_XFER, arg), "VQ_XFER %s: %s", c->s->name, what);
	must_fail(t, ret, errno, want, want2, what);
}

/* VQ_PUSH of @p, or of the bad address @bad when @use_bad. */
static long do_push(struct ring_ctx *c, struct uvdev_vq_push *p, bool use_bad, uint64_t bad,
		    const char *what)
{
	void *arg = use_bad ? (void *)(uintptr_t)bad : (void *)p;

	return CALL(c->t, K_PUSH, 0, ioctl(c->fd, UVDEV_IOC_VQ_PUSH, arg),
		    "VQ_PUSH %s q%u count %u flags %#x: %s", c->s->name, p->queue, p->count, p->flags, what);
}

/* A push that must be refused whole. */
static void garbage_push(struct ring_ctx *c)
{
	struct fz_thread *t = c->t;
	struct uvdev_vq_used u = { 0, 0 };
	struct uvdev_vq_push p;
	struct badptr bp = { 0, 0, "" };
	int i = -1, want = EINVAL, want2 = 0;
	const char *what;
	bool in_range, use_bad = false;
	long ret;

	memset(&p, 0, sizeof(p));
	p.queue = pick_queue(c);
	p.count = 1;
	p.used = (uintptr_t)&u;
	switch (below(&t->rng, 7)) {
	case 0:
		u.head = pick_unheld(c, p.queue, &in_range);
		want = ENOENT;
		want2 = in_range ? 0 : EINVAL;
		what = "a head not in flight";
		break;
	case 1:
		i = pick_fresh(c, false, false);
		if (i < 0)
			return;
		p.queue = c->held[i].queue;
		u.head = c->held[i].head;
		u.len = c->held[i].in + 1 + below(&t->rng, 1000);
		if (u.len <= c->held[i].in)
			u.len = UINT32_MAX;
		want = ERANGE;
		what = "a length beyond the chain's in-bytes";
		break;
	case 2:
		i = pick_fresh(c, false, false);
		if (i < 0)
			return;
		p.queue = c->held[i].queue;
		u.head = c->held[i].head;
		p.flags = 2u << below(&t->rng, 31);
		what = "unknown flags";
		break;
	case 3:
		p.count = chance(&t->rng, 400) ? 0 : (chance(&t->rng, 500) ? UVDEV_MAX_BATCH + 1 : UINT32_MAX);
		p.used = (uintptr_t)mem.none;
		want2 = EFAULT;
		what = "count 0 or above UVDEV_MAX_BATCH";
		break;
	case 4:
		i = pick_fresh(c, false, false);
		if (i < 0)
			return;
		p.queue = c->held[i].queue;
		u.head = c->held[i].head;
		p.reserved = 1u << below(&t->rng, 32);
		what = "reserved bits set";
		break;
	case 5:
		bp = pick_bad(&t->rng, false);
		p.used = bp.addr;
		want = EFAULT;
		what = "used entries at a bad address";
		break;
	default:
		bp = pick_bad(&t->rng, false);
		use_bad = true;
		want = EFAULT;
		what = bp.what;
		break;
	}
	ret = do_push(c, &p, use_bad, bp.addr, what);
	if (ret > 0 && i >= 0)
		c->held[i].gone = true;
	must_fail(t, ret, errno, want, want2, what);
	compact_held(c);
}

/* Push a head this backend pushed already. */
static void garbage_push_again(struct ring_ctx *c)
{
	long ret;
	struct uvdev_vq_used u;
	struct uvdev_vq_push p;
	unsigned int k;

	if (!c->nrecent)
		return;
	k = (c->nrecent - 1 - below(&c->t->rng, c->nrecent < 64 ? c->nrecent : 64)) % 64;
	if (find_held(c, c->recent[k].queue, c->recent[k].head) >= 0)
		return;
	memset(&p, 0, sizeof(p));
	u.head = c->recent[k].head;
	u.len = 0;
	p.queue = c->recent[k].queue;
	p.count = 1;
	p.used = (uintptr_t)&u;
	ret = do_push(c, &p, false, 0, "a head pushed already");
	must_fail(c->t, ret, errno, ENOENT, 0, "VQ_PUSH of a head pushed already");
}

static void garbage_irq(struct ring_ctx *c)
{
	struct fz_thread *t = c->t;
	struct uvdev_vq_irq irq = { .queue = pick_queue(c) };
	unsigned int n, i;
	long ret;

	switch (below(&t->rng, 3)) {
	case 0:
		irq.queue = bad_queue(c);
		ret = CALL(t, K_IRQ, 0, ioctl(c->fd, UVDEV_IOC_VQ_IRQ, &irq), "VQ_IRQ %s q%u (no such queue)",
			   c->s->name, irq.queue);
		must_fail(t, ret, errno, EINVAL, 0, "VQ_IRQ of a queue the device does not have");
		return;
	case 1:
		irq.reserved = 1u << below(&t->rng, 32);
		ret = CALL(t, K_IRQ, 0, ioctl(c->fd, UVDEV_IOC_VQ_IRQ, &irq), "VQ_IRQ %s q%u reserved %#x",
			   c->s->name, irq.queue, irq.reserved);
		must_fail(t, ret, errno, EINVAL, 0, "VQ_IRQ with reserved bits set");
		return;
	default:
		if (!enabled(C_IRQ))
			return;
		n = 2 + below(&t->rng, 20);
		for (i = 0; i < n; i++) {
			ret = CALL(t, K_IRQ, 0, ioctl(c->fd, UVDEV_IOC_VQ_IRQ, &irq), "VQ_IRQ %s q%u (storm %u/%u)",
				   c->s->name, irq.queue, i + 1, n);
			if (ret == 0) {
				atomic_fetch_add(&n_irqs, 1);
				continue;
			}
			if (!dev_err(errno))
				problem(t, "VQ_IRQ of %s queue %u failed with %s", c->s->name, irq.queue,
					errname(errno));
			return;
		}
	}
}

/*
 * A valid transfer through a page that faults into userfaultfd: the
 * handler thread resolves it after a while, or, when armed, holds it until
 * a chaos thread has destroyed the device (a lock held across the access
 * would make that destroy wait for the fault).
 */
static void garbage_uffd(struct ring_ctx *c)
{
	struct fz_thread *t = c->t;
	struct slot *s = c->s;
	int i = pick_fresh(c, false, false), expected = UFFD_ARMED, err;
	uint8_t *page = mem.uffd + (size_t)s->index * PAGE;
	struct uvdev_vq_xfer_op op;
	const struct held *h;
	uint32_t limit;
	bool forever;
	long ret;

	if (i < 0 || g_uffd < 0)
		return;
	h = &c->held[i];
	memset(&op, 0, sizeof(op));
	op.queue = h->queue;
	op.head = h->head;
	op.dir = (h->out && (chance(&t->rng, 500) || !h->in)) ? UVDEV_XFER_READ : UVDEV_XFER_WRITE;
	limit = op.dir == UVDEV_XFER_READ ? h->out : h->in;
	if (!limit)
		return;
	op.len = 1 + below(&t->rng, limit < PAGE ? limit : PAGE);
	op.addr = (uintptr_t)page + below(&t->rng, PAGE - op.len + 1);
	forever = enabled(C_DESTROY_OPEN) && chance(&t->rng, 100);
	if (forever)
		atomic_store(&s->uffd_state, UFFD_ARMED);
	ret = xfer_one(c, &op, CF_UFFD, forever ? "a userfaultfd page held until a destroy" :
					"a userfaultfd page");
	err = errno;
	atomic_compare_exchange_strong(&s->uffd_state, &expected, UFFD_IDLE);
	madvise(page, PAGE, MADV_DONTNEED);	/* fault again next time */
	if (ret == 1 || (ret < 0 && (dev_err(err) || err == EINTR || held_stale(c, h) ||
				     atomic_load(&s->destroying))))
		return;
	problem(t, "a valid VQ_XFER through a userfaultfd page returned %ld (%s)", ret,
		ret < 0 ? errname(err) : "no error");
}

static void check_queue_state(struct fz_thread *t, struct slot *s, const struct uvdev_queue_state *st,
			      uint64_t before, uint64_t after, bool broken_before);

/* The kernel's count of chains in flight covers what this backend holds. */
static void check_vq_info(struct ring_ctx *c)
{
	struct fz_thread *t = c->t;
	struct uvdev_vq_info info;
	struct uvdev_dev_info dinfo;
	uint32_t q = pick_queue(c), mine = 0;
	unsigned int epoch = atomic_load(&c->s->q_epoch[q]);
	int i;
	long ret;

	for (i = 0; i < c->nheld; i++)
		if (c->held[i].queue == q && !c->held[i].gone) {
			if (held_stale(c, &c->held[i]))
				return;
			mine++;
		}
	memset(&info, 0, sizeof(info));
	info.queue = q;
	if (chance(&t->rng, 500)) {
		/* The monitors' view, from the control node. */
		struct uvdev_queue_state st;
		bool broken_before = atomic_load(&c->s->broken_seen);
		uint64_t before;

		memset(&st, 0, sizeof(st));
		st.dev_id = c->s->dev_id;
		st.queue = q;
		before = now_ns();
		ret = CALL(t, K_QUEUE_STATE, 0, ioctl(g_control_fd, UVDEV_IOC_QUEUE_STATE, &st),
			   "QUEUE_STATE dev_id %u (%s) q%u", st.dev_id, c->s->name, q);
		if (ret < 0) {
			if (errno != ENOENT || !atomic_load(&c->s->destroying))
				problem(t, "QUEUE_STATE of %s (dev_id %u) queue %u failed with %s", c->s->name,
					st.dev_id, q, errname(errno));
			return;
		}
		check_queue_state(t, c->s, &st, before, now_ns(), broken_before);
		info.ready = !!(st.flags & UVDEV_QUEUE_READY);
		info.inflight = st.inflight;
	} else {
		ret = CALL(t, K_VQ_INFO, 0, ioctl(c->fd, UVDEV_IOC_VQ_INFO, &info), "VQ_INFO %s q%u",
			   c->s->name, q);
		if (ret < 0) {
			if (!dev_err(errno))
				problem(t, "VQ_INFO of %s queue %u failed with %s", c->s->name, q, errname(errno));
			return;
		}
	}
	if (!info.ready || epoch != atomic_load(&c->s->q_epoch[q]) || info.inflight >= mine)
		return;
	ret = CALL(t, K_DEV_INFO, 0, ioctl(c->fd, UVDEV_IOC_DEV_INFO, &dinfo), "DEV_INFO %s", c->s->name);
	if (ret < 0 || dinfo.broken)
		return;
	problem(t, "VQ_INFO of %s queue %u says %u chains in flight, but this backend holds %u",
		c->s->name, q, info.inflight, mine);
}

static void set_kickfds(struct ring_ctx *c)
{
	struct uvdev_vq_kickfd k;
	uint32_t q;
	long ret;

	for (q = 0; q < c->s->p.num_queues; q++) {
		memset(&k, 0, sizeof(k));
		k.queue = q;
		k.fd = c->kick[q];
		ret = CALL(c->t, K_KICKFD, 0, ioctl(c->fd, UVDEV_IOC_VQ_SET_KICKFD, &k),
			   "VQ_SET_KICKFD %s q%u eventfd", c->s->name, q);
		if (ret < 0 && !dev_err(errno)) {
			problem(c->t, "VQ_SET_KICKFD of %s queue %u with an eventfd failed with %s",
				c->s->name, q, errname(errno));
			return;
		}
	}
	c->kick_reset_ns = now_ns() + 500 * NS_PER_MS;
}

static void ring_garbage(struct ring_ctx *c)
{
	switch (below(&c->t->rng, 15)) {
	case 0:
		garbage_pop_args(c);
		break;
	case 1:
		garbage_pop_memory(c, false);
		break;
	case 2:
		garbage_pop_memory(c, true);
		break;
	case 3:
		garbage_xfer_field(c);
		break;
	case 4:
		garbage_xfer_addr(c);
		break;
	case 5:
		garbage_xfer_unheld(c);
		break;
	case 6:
		garbage_xfer_batch(c);
		break;
	case 7:
		garbage_xfer_struct(c);
		break;
	case 8:
		garbage_push(c);
		break;
	case 9:
		garbage_push_again(c);
		break;
	case 10:
		garbage_irq(c);
		break;
	case 11:
		if (enabled(C_UFFD))
			garbage_uffd(c);
		break;
	case 12:
		xfer_edges(c);
		break;
	case 13:
		check_vq_info(c);
		break;
	default:
		set_kickfds(c);
		break;
	}
}

/* Wait for a kick (or a short while: kicks may go to someone else's eventfd). */
static void ring_wait(struct ring_ctx *c)
{
	struct pollfd pfd[UVDEV_MAX_QUEUES];
	uint32_t q, nq = c->s->p.num_queues;
	uint64_t v;

	for (q = 0; q < nq; q++) {
		pfd[q].fd = c->kick[q];
		pfd[q].events = POLLIN;
		pfd[q].revents = 0;
	}
	if (poll(pfd, nq, atomic_load(&g_cleanup) ? 2 : 5 + (int)below(&c->t->rng, 15)) <= 0)
		return;
	for (q = 0; q < nq; q++)
		if (pfd[q].revents & POLLIN)
			while (read(c->kick[q], &v, sizeof(v)) == sizeof(v))
				;
}

static void ring_new_gen(struct ring_ctx *c)
{
	struct slot *s = c->s;
	uint32_t q;
	uint64_t v;

	c->gen = atomic_load(&s->gen);
	c->fd = s->fd;
	c->nheld = 0;
	atomic_store(&s->held_now, 0);
	c->nrecent = 0;
	/*
	 * The old backend may have pushed without the IRQ and died before
	 * injecting it: a careful new one injects every queue's IRQ.
	 */
	for (q = 0; q < UVDEV_MAX_QUEUES; q++)
		c->irq_owed[q] = !enabled(C_LOST_IRQ) && q < s->p.num_queues;
	for (q = 0; q < UVDEV_MAX_QUEUES; q++)
		while (read(c->kick[q], &v, sizeof(v)) == sizeof(v))
			;
	set_kickfds(c);
}

/* After the device broke, every ring ioctl fails with EIO (or ESHUTDOWN). */
static void check_broken(struct ring_ctx *c)
{
	struct uvdev_vq_pop p;
	long ret;

	memset(&p, 0, sizeof(p));
	p.queue = pick_queue(c);
	p.max = 1;
	p.elems = (uintptr_t)c->elems;
	ret = do_pop(c, &p, "the device is broken");
	if (ret >= 0)
		problem(c->t, "VQ_POP on broken device %s returned %ld; ring ioctls must fail with EIO",
			c->s->name, ret);
	else if (errno != EIO && errno != ESHUTDOWN)
		surprise(c->t, "VQ_POP on a broken device fails with %s; the README says EIO", errname(errno));
}

static void ring_irqs_owed(struct ring_ctx *c)
{
	struct uvdev_vq_irq irq;
	uint32_t q;
	long ret;

	for (q = 0; q < c->s->p.num_queues; q++) {
		if (!c->irq_owed[q] || (chance(&c->t->rng, 300) && !atomic_load(&g_cleanup)))
			continue;
		memset(&irq, 0, sizeof(irq));
		irq.queue = q;
		ret = CALL(c->t, K_IRQ, 0, ioctl(c->fd, UVDEV_IOC_VQ_IRQ, &irq), "VQ_IRQ %s q%u",
			   c->s->name, q);
		if (ret < 0 && !dev_err(errno))
			problem(c->t, "VQ_IRQ of %s queue %u failed with %s", c->s->name, q, errname(errno));
		if (ret == 0)
			atomic_fetch_add(&n_irqs, 1);
		c->irq_owed[q] = false;
	}
}

static void *map_pages(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* @len bytes of a memfd, mapped shared: pages of a file to pin. */
static void *map_shared(size_t len)
{
	int fd = memfd_create("uvdev-fuzz", MFD_CLOEXEC);
	void *p = MAP_FAILED;

	if (fd < 0)
		return NULL;
	if (!ftruncate(fd, (off_t)len))
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* A slot's ring thread: pops, transfers and pushes; misuses all three. */
static void *ring_thread(void *arg)
{
	struct fz_thread *t = arg;
	struct slot *s = t->slot;
	struct ring_ctx *c = calloc(1, sizeof(*c));
	uint32_t q, start;

	if (!c)
		goto oom;
	c->t = t;
	c->s = s;
	c->held = calloc(MAX_HELD, sizeof(*c->held));
	/* Sometimes shared file pages (memfd) rather than anonymous ones. */
	c->buf = chance(&t->rng, 300) ? map_shared(RING_BUF) : map_pages(RING_BUF);
	c->elems = map_pages((MAX_ELEMS + 1) * sizeof(struct uvdev_vq_elem));
	c->peekbuf = map_pages((size_t)UVDEV_MAX_BATCH * UVDEV_MAX_PEEK + PAGE);
	c->ro_ops = map_pages(PAGE);
	if (!c->held || !c->buf || !c->elems || !c->peekbuf || !c->ro_ops)
		goto oom;
	for (q = 0; q < UVDEV_MAX_QUEUES; q++) {
		c->kick[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (c->kick[q] < 0) {
			problem(t, "eventfd: %s", strerror(errno));
			return NULL;
		}
	}
	while (!atomic_load(&g_quit)) {
		if (!slot_rdlock(s, 50))
			continue;
		if (atomic_load(&s->state) != SLOT_OPEN) {
			slot_unlock(s);
			idle_ms(5);
			continue;
		}
		if (atomic_load(&s->gen) != c->gen)
			ring_new_gen(c);
		if (atomic_load(&s->dead_seen) || atomic_load(&s->broken_seen)) {
			if (atomic_load(&s->broken_seen) && !atomic_load(&s->dead_seen) &&
			    !atomic_load(&g_cleanup) && chance(&t->rng, 50))
				check_broken(c);
			slot_unlock(s);
			idle_ms(5);
			continue;
		}
		ring_wait(c);
		start = below(&t->rng, s->p.num_queues);
		for (q = 0; q < s->p.num_queues; q++) {
			uint32_t qq = (start + q) % s->p.num_queues;

			if (atomic_load(&s->q_ready[qq]) ||
			    (!atomic_load(&g_cleanup) && chance(&t->rng, 30)))
				ring_pop(c, qq);
		}
		ring_serve_due(c);
		if (!atomic_load(&g_stop) && enabled(C_BAD_RING) && chance(&t->rng, 250))
			ring_garbage(c);
		else if (!atomic_load(&g_stop) && enabled(C_UFFD) && chance(&t->rng, 3))
			garbage_uffd(c);
		ring_irqs_owed(c);
		if (now_ns() > c->kick_reset_ns)
			set_kickfds(c);
		slot_unlock(s);
	}
	return NULL;
oom:
	problem(t, "out of memory for a ring thread");
	return NULL;
}

/* ---- device lifecycle ----------------------------------------------------- */

static void slot_reset(struct slot *s)
{
	uint32_t q;

	atomic_store(&s->config_driver_written, false);
	atomic_store(&s->ever_opened, false);
	atomic_store(&s->broken_seen, false);
	atomic_store(&s->dead_seen, false);
	atomic_store(&s->destroying, false);
	atomic_store(&s->uffd_state, UFFD_IDLE);
	atomic_store(&s->last_push_ns, 0);
	atomic_store(&s->freeze, false);
	for (q = 0; q < UVDEV_MAX_QUEUES; q++) {
		atomic_store(&s->q_ready[q], false);
		atomic_store(&s->q_size[q], 0);
		atomic_fetch_add(&s->q_epoch[q], 1);
	}
}

static void fill_create(struct uvdev_create *c, const char *name, const struct devparams *p)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->device_id = p->device_id;
	c->vendor_id = p->vendor_id;
	c->features = p->features;
	c->num_queues = p->num_queues;
	c->max_queue_size = p->max_queue_size;
	c->msg_timeout_ms = p->timeout_ms;
	c->config_size = p->config_size;
	c->config = p->config_size ? (uintptr_t)p->config : 0;
	c->flags = p->flags;
}

/* CREATE of @c, or of the bad address @bad when @use_bad. */
static long do_create(struct fz_thread *t, struct uvdev_create *c, bool use_bad, uint64_t bad,
		      const char *what)
{
	void *arg = use_bad ? (void *)(uintptr_t)bad : (void *)c;

	return CALL(t, K_CREATE, 0, ioctl(g_control_fd, UVDEV_IOC_CREATE, arg),
		    "CREATE %.32s %s queues %u size %u features %#llx timeout %u config %u%s%s",
		    c->name, type_name(c->device_id), c->num_queues, c->max_queue_size,
		    (unsigned long long)c->features, c->msg_timeout_ms, c->config_size,
		    what ? ": " : "", what ? what : "");
}

static long do_destroy(struct fz_thread *t, const char *name, const char *what)
{
	struct uvdev_destroy d;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	return CALL(t, K_DESTROY, 0, ioctl(g_control_fd, UVDEV_IOC_DESTROY, &d), "DESTROY %s (%s)", name, what);
}

/*
 * The module's max_queues bounds all devices' queues together: a create
 * that fits must not fail with ENOSPC, one that does not must. Other
 * threads create and destroy meanwhile, so the queues in use while the
 * call runs are known only between a lower bound (devices that existed
 * and whose destroy had not begun when it started, less those whose
 * destroy began before it ended) and an upper one (those, plus devices
 * being destroyed or created when it started, plus creates begun before
 * it ended).
 */
static pthread_mutex_t g_qlock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t g_max_queues;		/* 0: unknown, no check */
static uint32_t g_foreign_queues;	/* devices that are not this run's */
static uint32_t q_live, q_dying, q_creating;
static uint64_t q_create_begun, q_destroy_begun;	/* queues, ever */
static atomic_uint_fast64_t n_enospc;

static bool device_listed(const char *name)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/class/uvdev/%s", name);
	return stat(path, &st) == 0;
}

/* CREATE (do_create), its queues accounted and ENOSPC checked. */
static long create_acct(struct fz_thread *t, struct uvdev_create *c, bool use_bad, uint64_t bad,
			const char *what)
{
	uint32_t n = c->num_queues;
	uint64_t lo, hi, cb, db;
	long ret;
	int err;

	pthread_mutex_lock(&g_qlock);
	lo = g_foreign_queues + q_live;
	hi = lo + q_dying + q_creating;
	cb = q_create_begun;
	db = q_destroy_begun;
	q_creating += n;
	q_create_begun += n;
	pthread_mutex_unlock(&g_qlock);
	ret = do_create(t, c, use_bad, bad, what);
	err = errno;
	pthread_mutex_lock(&g_qlock);
	q_creating -= n;
	if (ret >= 0)
		q_live += n;
	hi += q_create_begun - cb - n;
	lo = q_destroy_begun - db > lo ? 0 : lo - (q_destroy_begun - db);
	pthread_mutex_unlock(&g_qlock);
	if (!g_max_queues || n == 0 || n > UVDEV_MAX_QUEUES) {
		errno = err;
		return ret;
	}
	if (ret >= 0 && lo + n > g_max_queues)
		problem(t, "CREATE of %.32s with %u queues succeeded while at least %" PRIu64 " of "
			"max_queues %u were in use", c->name, n, lo, g_max_queues);
	if (ret < 0 && err == ENOSPC) {
		atomic_fetch_add(&n_enospc, 1);
		if (hi + n <= g_max_queues)
			problem(t, "CREATE of %.32s with %u queues failed with ENOSPC while at most %" PRIu64
				" of max_queues %u were in use", c->name, n, hi, g_max_queues);
	}
	errno = err;
	return ret;
}

/* DESTROY (do_destroy) of a device of @n queues this run created. */
static long destroy_acct(struct fz_thread *t, const char *name, uint32_t n, const char *what)
{
	long ret;
	int err;

	pthread_mutex_lock(&g_qlock);
	q_live -= n;
	q_dying += n;
	q_destroy_begun += n;
	pthread_mutex_unlock(&g_qlock);
	ret = do_destroy(t, name, what);
	err = errno;
	pthread_mutex_lock(&g_qlock);
	q_dying -= n;
	if (ret < 0 && err != ENOENT)
		q_live += n;
	pthread_mutex_unlock(&g_qlock);
	errno = err;
	return ret;
}

static void create_slot(struct fz_thread *t, struct slot *s)
{
	struct uvdev_create c;
	long ret;

	gen_params(&t->rng, &s->p);
	s->name_gen++;
	snprintf(s->name, sizeof(s->name), "fz%s-%d-%u", g_tag, s->index, s->name_gen);
	fill_create(&c, s->name, &s->p);
	ret = create_acct(t, &c, false, 0, NULL);
	if (ret < 0) {
		if (errno != ENOMEM && errno != ENOSPC)
			problem(t, "a valid CREATE of %s failed with %s", s->name, errname(errno));
		return;
	}
	s->dev_id = c.dev_id;
	slot_reset(s);
	memset(s->config, 0, sizeof(s->config));
	memcpy(s->config, s->p.config, s->p.config_size);
	atomic_store(&s->max_timeout_ms, effective_timeout(&s->p));
	atomic_store(&s->cur_timeout_ms, effective_timeout(&s->p));
	atomic_store(&s->state, SLOT_CREATED);
	atomic_fetch_add(&n_created, 1);
}

static bool open_slot(struct fz_thread *t, struct slot *s)
{
	int flags = O_RDWR | O_CLOEXEC | (chance(&t->rng, 400) ? O_NONBLOCK : 0);
	char path[64];
	long fd;

	snprintf(path, sizeof(path), UVDEV_DEV_DIR "/%s", s->name);
	if (!slot_wrlock(s, 300))
		return false;
	fd = CALL(t, K_OPEN, 0, open(path, flags), "open %s%s", path, flags & O_NONBLOCK ? " O_NONBLOCK" : "");
	if (fd < 0) {
		int err = errno;

		slot_unlock(s);
		if (err != ENOMEM)
			problem(t, "opening %s as its only backend failed with %s", path, errname(err));
		return false;
	}
	s->fd = (int)fd;
	atomic_fetch_add(&s->gen, 1);
	atomic_store(&s->state, SLOT_OPEN);
	if (!atomic_exchange(&s->ever_opened, true))
		s->life_until_ns = now_ns() + (500 + below(&t->rng, 5500)) * NS_PER_MS;
	slot_unlock(s);
	return true;
}

static bool close_slot(struct fz_thread *t, struct slot *s)
{
	int st;
	long ret;

	if (!slot_wrlock(s, 300))
		return false;
	st = atomic_load(&s->state);
	if (st != SLOT_OPEN && st != SLOT_DEAD) {
		slot_unlock(s);
		return false;
	}
	ret = CALL(t, K_CLOSE, 0, close(s->fd), "close %s (%s)", s->name,
		   st == SLOT_DEAD ? "destroyed" : "backend restart");
	if (ret < 0)
		problem(t, "close of the fd of %s failed with %s", s->name, errname(errno));
	s->fd = -1;
	atomic_store(&s->state, st == SLOT_DEAD ? SLOT_EMPTY : SLOT_CREATED);
	if (st == SLOT_OPEN)
		atomic_fetch_add(&n_restarts, 1);
	slot_unlock(s);
	return true;
}

static void check_node_gone(struct fz_thread *t, const char *name)
{
	char path[64];
	long fd;

	snprintf(path, sizeof(path), UVDEV_DEV_DIR "/%s", name);
	fd = CALL(t, K_OPEN, 0, open(path, O_RDWR | O_CLOEXEC), "open %s (destroyed)", path);
	if (fd >= 0) {
		close((int)fd);
		problem(t, "%s can still be opened after its DESTROY returned", path);
		return;
	}
	if (errno != ENOENT)
		surprise(t, "opening the node of a destroyed device fails with %s; expected ENOENT", errname(errno));
}

/*
 * DESTROY returns within the message timeout, plus a second, plus the
 * driver's own removal (uvdev.h), whatever the backend does: a bound of
 * the longest timeout the device had, a second and DESTROY_SLACK_MS.
 */
static unsigned int destroy_bound_ms(struct slot *s)
{
	return atomic_load(&s->max_timeout_ms) + 1000 + DESTROY_SLACK;
}

static void destroy_slot(struct fz_thread *t, struct slot *s, const char *why)
{
	int st = atomic_load(&s->state), held = UFFD_HELD, err;
	uint64_t start, ms;
	bool faulting;
	long ret;

	pthread_mutex_lock(&s->name_lock);
	snprintf(s->dying_name, sizeof(s->dying_name), "%s", s->name);
	s->dying_dev_id = s->dev_id;
	pthread_mutex_unlock(&s->name_lock);
	atomic_store(&s->destroying, true);
	start = now_ns();
	atomic_store(&s->destroy_start_ns, start);
	atomic_store(&s->destroy_running, true);
	ret = destroy_acct(t, s->name, s->p.num_queues, why);
	err = errno;
	ms = (now_ns() - start) / NS_PER_MS;
	faulting = atomic_load(&s->uffd_state) == UFFD_HELD;
	atomic_store(&s->destroy_running, false);
	atomic_compare_exchange_strong(&s->uffd_state, &held, UFFD_RELEASE);
	pthread_mutex_lock(&s->name_lock);
	s->dying_name[0] = 0;
	pthread_mutex_unlock(&s->name_lock);
	if (ret < 0) {
		problem(t, "DESTROY of %s (%s) failed with %s", s->name, why, errname(err));
		return;
	}
	if (ms > destroy_bound_ms(s))
		problem(t, "DESTROY of %s (%s) took %" PRIu64 " ms; uvdev.h bounds it by the message timeout "
			"(%u ms at most), a second and the driver's removal (%u ms allowed)%s", s->name, why, ms,
			atomic_load(&s->max_timeout_ms), DESTROY_SLACK,
			faulting ? "; a transfer of the device waited in a user page fault until the "
				   "fuzzer gave up holding it" : "");
	atomic_fetch_add(&n_destroyed, 1);
	if (st == SLOT_OPEN) {
		atomic_store(&s->state, SLOT_DEAD);
	} else {
		atomic_store(&s->state, SLOT_EMPTY);
		check_node_gone(t, s->name);
	}
}

/* After destroy, the fd that outlived the device: EOF, EPOLLHUP, ESHUTDOWN. */
static void check_dead(struct fz_thread *t, struct slot *s)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct uvdev_dev_info info;
	struct uvdev_msg m;
	long ret;

	ret = CALL(t, K_POLL, 0, poll(&pfd, 1, 0), "poll %s (destroyed)", s->name);
	if (ret != 1 || !(pfd.revents & POLLHUP))
		problem(t, "poll on the fd of destroyed device %s returned %ld with events %#x, no POLLHUP",
			s->name, ret, pfd.revents);
	ret = CALL(t, K_DEV_INFO, 0, ioctl(s->fd, UVDEV_IOC_DEV_INFO, &info), "DEV_INFO %s (destroyed)", s->name);
	if (ret >= 0)
		problem(t, "DEV_INFO on the fd of destroyed device %s succeeds; the ABI says ESHUTDOWN", s->name);
	else if (errno != ESHUTDOWN)
		surprise(t, "an ioctl on a destroyed device's fd fails with %s; the ABI says ESHUTDOWN",
			 errname(errno));
	atomic_store(&t->signal_at, now_ns() + 200 * NS_PER_MS);
	ret = CALL(t, K_READ, CF_SIGNAL, read(s->fd, &m, sizeof(m)), "read %s (destroyed)", s->name);
	if (ret > 0)
		problem(t, "read on the fd of destroyed device %s returned a message", s->name);
	else if (ret < 0 && errno != EIO && errno != EINTR)
		surprise(t, "read on a destroyed device's fd fails with %s; the ABI says end of file",
			 errname(errno));
}

/* ---- creates and destroys that must fail ---------------------------------- */

static atomic_uint g_name_counter;

static void garbage_create(struct fz_thread *t)
{
	static const int transport_bits[] = { 29, 30, 31, 33, 34, 35, 36, 37, 38, 39, 40 };
	static const uint32_t bad_sizes[] = { 0, 1, 3, 100, 2048, 0x80000000u, UINT32_MAX };
	static const char bad_chars[] = "/ .:*\x01\xc3";
	struct devparams p;
	struct uvdev_create c;
	char name[UVDEV_NAME_MAX];
	struct badptr bp = { 0, 0, "" };
	bool use_bad = false;
	const char *what;
	char what_buf[96];
	int want = EINVAL, want2 = 0, bit;
	bool strict = true;
	uint8_t *ro = NULL;
	long ret;

	gen_params(&t->rng, &p);
	snprintf(name, sizeof(name), "fz%s-x%u", g_tag, atomic_fetch_add(&g_name_counter, 1));
	fill_create(&c, name, &p);
	switch (below(&t->rng, 19)) {
	case 0:
		c.name[0] = 0;
		what = "an empty name";
		break;
	case 1: {
		unsigned char bad = (unsigned char)bad_chars[below(&t->rng, sizeof(bad_chars) - 1)];

		if (chance(&t->rng, 300))
			bad = 0x80 + below(&t->rng, 0x80);	/* Latin-1 letters among them */
		c.name[below(&t->rng, (uint32_t)strlen(name))] = (char)bad;
		snprintf(what_buf, sizeof(what_buf), "a name with byte %#x, outside [a-zA-Z0-9_-]", bad);
		what = what_buf;
		break;
	}
	case 2:
		snprintf(c.name, sizeof(c.name), "control");
		what = "the name control";
		break;
	case 3:
		memset(c.name, 'a', sizeof(c.name));
		what = "a name without a NUL";
		break;
	case 4:
		c.device_id = (const uint32_t[]){ 0, 5, 99, UINT32_MAX }[below(&t->rng, 4)];
		what = "a device id uvdev does not serve";
		break;
	case 5:
		c.features &= ~(1ULL << VIRTIO_F_VERSION_1);
		what = "features without VIRTIO_F_VERSION_1";
		break;
	case 6:
		bit = transport_bits[below(&t->rng, sizeof(transport_bits) / sizeof(transport_bits[0]))];
		c.features |= 1ULL << bit;
		what = "a transport feature bit other than INDIRECT_DESC and VERSION_1";
		break;
	case 7:
		c.features |= 1ULL << 41;
		what = "transport feature bit 41";
		strict = false;
		break;
	case 8:
		c.num_queues = (const uint32_t[]){ 0, UVDEV_MAX_QUEUES + 1, UINT32_MAX }[below(&t->rng, 3)];
		what = "0 or more than UVDEV_MAX_QUEUES queues";
		break;
	case 9:
		c.max_queue_size = bad_sizes[below(&t->rng, sizeof(bad_sizes) / sizeof(bad_sizes[0]))];
		what = "a queue size that is not a power of two in 2..UVDEV_MAX_QUEUE_SIZE";
		break;
	case 10:
		c.msg_timeout_ms = chance(&t->rng, 500) ? UVDEV_MAX_TIMEOUT_MS + 1 : UINT32_MAX;
		what = "a timeout above UVDEV_MAX_TIMEOUT_MS";
		break;
	case 11:
		c.config_size = chance(&t->rng, 500) ? UVDEV_MAX_CONFIG_SIZE + 1 : UINT32_MAX;
		c.config = (uintptr_t)mem.none;
		want2 = EFAULT;
		what = "a config size above UVDEV_MAX_CONFIG_SIZE";
		break;
	case 12:
		bp = pick_bad(&t->rng, false);
		c.config = bp.addr;
		c.config_size = bp.valid + 1 + below(&t->rng, 64);
		want = EFAULT;
		what = "config bytes at a bad address";
		break;
	case 13:
		c.reserved[below(&t->rng, sizeof(c.reserved) / sizeof(c.reserved[0]))] =
			1u << below(&t->rng, 32);
		what = "reserved bits set";
		break;
	case 16:
		c.flags |= 2u << below(&t->rng, 31);
		what = "flags other than UVDEV_CREATE_F_BUSY_WAIT";
		break;
	case 17:
		/* A driver that busy-waits, without the flag that accepts it. */
		if (chance(&t->rng, 500)) {
			c.device_id = VIRTIO_ID_CONSOLE;
		} else {
			c.device_id = VIRTIO_ID_NET;
			c.features |= 1ULL << VIRTIO_NET_F_CTRL_VQ;
		}
		c.flags &= ~(uint32_t)UVDEV_CREATE_F_BUSY_WAIT;
		want = EOPNOTSUPP;
		what = c.device_id == VIRTIO_ID_CONSOLE ?
		       "virtio_console without UVDEV_CREATE_F_BUSY_WAIT" :
		       "virtio_net with VIRTIO_NET_F_CTRL_VQ without UVDEV_CREATE_F_BUSY_WAIT";
		break;
	case 18:
		c.dev_id = 1 + below(&t->rng, 1000);
		what = "a non-zero dev_id (an output field) on input";
		break;
	case 14:
		bp = pick_bad(&t->rng, true);
		use_bad = true;
		want = EFAULT;
		if (bp.addr == (uintptr_t)mem.ro)
			want2 = EINVAL;	/* zeros: readable, an empty name */
		what = "its argument at a bad address";
		break;
	default:
		/* A valid create, its argument in a read-only page: dev_id cannot be written. */
		ro = map_pages(PAGE);
		if (!ro)
			return;
		memcpy(ro, &c, sizeof(c));
		if (mprotect(ro, PAGE, PROT_READ)) {
			munmap(ro, PAGE);
			return;
		}
		bp = (struct badptr){ (uintptr_t)ro, 0, "a read-only page" };
		use_bad = true;
		want = EFAULT;
		what = "its argument in a read-only page (dev_id cannot be written back)";
		break;
	}
	ret = create_acct(t, &c, use_bad, bp.addr, what);
	if (ro) {
		munmap(ro, PAGE);
		if (ret < 0 && device_listed(c.name))
			problem(t, "CREATE of %s failed with %s, but the device exists: uvdev.h says dev_id is "
				"written before the device is, so that a bad pointer creates nothing",
				c.name, errname(EFAULT));
	}
	if (ret >= 0) {
		if (strict)
			problem(t, "CREATE with %s succeeded", what);
		else if (want)
			surprise(t, "CREATE with %s is accepted; uvdev.h says it is refused", what);
		destroy_acct(t, c.name, c.num_queues, "remove what CREATE accepted");
		return;
	}
	if (!want)
		surprise(t, "CREATE with %s fails with %s: not documented", what, errname(errno));
	else if (errno != want && errno != want2 && errno != ENOMEM)
		surprise(t, "CREATE with %s fails with %s; the ABI says %s", what, errname(errno), errname(want));
}

/* Valid at the edges: must succeed; destroyed at once, never opened. */
static void edge_create(struct fz_thread *t)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
	struct devparams p;
	struct uvdev_create c;
	char name[UVDEV_NAME_MAX];
	const char *what;
	bool strict = true;
	size_t i;
	long ret;

	gen_params(&t->rng, &p);
	snprintf(name, sizeof(name), "fz%s-e%u", g_tag, atomic_fetch_add(&g_name_counter, 1));
	fill_create(&c, name, &p);
	switch (below(&t->rng, 7)) {
	case 0:
		for (i = strlen(name); i < UVDEV_NAME_MAX - 1; i++)
			c.name[i] = chars[below(&t->rng, sizeof(chars) - 1)];
		c.name[UVDEV_NAME_MAX - 1] = 0;
		what = "a name of UVDEV_NAME_MAX - 1 bytes";
		break;
	case 1:
		c.num_queues = UVDEV_MAX_QUEUES;
		what = "UVDEV_MAX_QUEUES queues";
		break;
	case 2:
		c.max_queue_size = chance(&t->rng, 500) ? UVDEV_MAX_QUEUE_SIZE : 2;
		what = "the smallest or largest queue size";
		break;
	case 3:
		c.config_size = UVDEV_MAX_CONFIG_SIZE;
		c.config = (uintptr_t)mem.ro;
		what = "UVDEV_MAX_CONFIG_SIZE config bytes from a read-only page";
		break;
	case 4:
		c.msg_timeout_ms = UVDEV_MAX_TIMEOUT_MS;
		what = "a timeout of UVDEV_MAX_TIMEOUT_MS";
		break;
	case 5:
		c.vendor_id = UINT32_MAX;
		c.features |= prng_next(&t->rng) & ~((1ULL << 42) - 1);
		what = "feature bits above the transport range";
		strict = false;
		break;
	default:
		c.features = (1ULL << VIRTIO_F_VERSION_1) | (prng_next(&t->rng) & 0xffffff);
		what = "random device feature bits";
		break;
	}
	if (c.device_id == VIRTIO_ID_CONSOLE ||
	    (c.device_id == VIRTIO_ID_NET && (c.features & (1ULL << VIRTIO_NET_F_CTRL_VQ))))
		c.flags |= UVDEV_CREATE_F_BUSY_WAIT;
	ret = create_acct(t, &c, false, 0, what);
	if (ret < 0) {
		if (errno == ENOMEM || errno == ENOSPC)	/* create_acct checks ENOSPC */
			return;
		if (strict)
			problem(t, "a valid CREATE with %s failed with %s", what, errname(errno));
		else
			surprise(t, "CREATE with %s fails with %s", what, errname(errno));
		return;
	}
	atomic_fetch_add(&n_created, 1);
	ret = destroy_acct(t, c.name, c.num_queues, "edge-valid device, never opened");
	if (ret < 0) {
		problem(t, "DESTROY of %s, never opened, failed with %s", c.name, errname(errno));
		return;
	}
	atomic_fetch_add(&n_destroyed, 1);
	check_node_gone(t, c.name);
}

static void garbage_destroy(struct fz_thread *t)
{
	struct uvdev_destroy d;
	struct badptr bp;
	void *arg = &d;
	const char *what;
	int want = EINVAL;
	long ret;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "fz%s-n%u", g_tag, atomic_fetch_add(&g_name_counter, 1));
	switch (below(&t->rng, 5)) {
	case 0:
		what = "the name of no device";
		want = ENOENT;
		break;
	case 1:
		snprintf(d.name, sizeof(d.name), "%s", chance(&t->rng, 500) ? "a/b" : "");
		what = "an invalid name";
		break;
	case 2:
		d.reserved[below(&t->rng, 4)] = 1u << below(&t->rng, 32);
		what = "reserved bits set";
		break;
	case 3:
		memset(d.name, 'z', sizeof(d.name));
		what = "a name without a NUL";
		break;
	default:
		bp = pick_bad(&t->rng, false);
		arg = (void *)(uintptr_t)bp.addr;
		what = "its argument at a bad address";
		want = EFAULT;
		break;
	}
	ret = CALL(t, K_DESTROY, 0, ioctl(g_control_fd, UVDEV_IOC_DESTROY, arg), "DESTROY %.32s: %s",
		   arg == &d ? d.name : "?", what);
	must_fail(t, ret, errno, want, 0, what);
}

/* CREATE with the name of a live device. */
static void dup_create(struct fz_thread *t, struct slot *self)
{
	struct slot *o = &g_slots[below(&t->rng, opt.devices)];
	struct uvdev_create c;
	long ret;

	if (o == self || pthread_mutex_trylock(&o->life))
		return;
	if (atomic_load(&o->state) == SLOT_CREATED || atomic_load(&o->state) == SLOT_OPEN) {
		fill_create(&c, o->name, &o->p);
		ret = do_create(t, &c, false, 0, "the name of a live device");
		if (ret >= 0)
			problem(t, "CREATE with the name of live device %s succeeded", o->name);
		else if (errno == EEXIST && !device_listed(o->name))
			problem(t, "CREATE with the name of %s fails with EEXIST, but no such device is listed",
				o->name);
		else if (errno != EEXIST)
			surprise(t, "CREATE with the name of a live device fails with %s; the ABI says EEXIST",
				 errname(errno));
	}
	pthread_mutex_unlock(&o->life);
}

/* ---- the chaos threads: life, death and everything else ------------------- */

static void misc_dev_info(struct fz_thread *t, struct slot *s)
{
	static const uint8_t zero[30];
	struct uvdev_dev_info info;
	long ret;

	memset(&info, 0xa5, sizeof(info));
	ret = CALL(t, K_DEV_INFO, 0, ioctl(s->fd, UVDEV_IOC_DEV_INFO, &info), "DEV_INFO %s", s->name);
	if (ret < 0) {
		if (!dev_err(errno))
			problem(t, "DEV_INFO of %s failed with %s", s->name, errname(errno));
		return;
	}
	if (info.dev_id != s->dev_id || info.device_id != s->p.device_id ||
	    info.num_queues != s->p.num_queues || info.max_queue_size != s->p.max_queue_size ||
	    info.device_features != s->p.features || info.config_size != s->p.config_size ||
	    info.broken > 1 || (info.driver_features & ~info.device_features) ||
	    memcmp(info.reserved, zero, sizeof(zero)))
		problem(t, "DEV_INFO of %s: dev_id %u device_id %u queues %u size %u features %#llx/%#llx "
			"config %u broken %u; it was created as dev_id %u device_id %u queues %u size %u "
			"features %#llx config %u", s->name, info.dev_id, info.device_id, info.num_queues,
			info.max_queue_size, (unsigned long long)info.device_features,
			(unsigned long long)info.driver_features, info.config_size, info.broken, s->dev_id,
			s->p.device_id, s->p.num_queues, s->p.max_queue_size,
			(unsigned long long)s->p.features, s->p.config_size);
	if (info.broken && !atomic_exchange(&s->broken_seen, true))
		atomic_fetch_add(&n_broken, 1);
}

static void misc_vq_info(struct fz_thread *t, struct slot *s)
{
	struct uvdev_vq_info info;
	bool bad = chance(&t->rng, 200);
	long ret;

	memset(&info, 0, sizeof(info));
	info.queue = below(&t->rng, s->p.num_queues);
	if (bad) {
		if (chance(&t->rng, 500))
			info.queue = chance(&t->rng, 500) ? s->p.num_queues + below(&t->rng, 8) : UINT32_MAX;
		else
			info.reserved[below(&t->rng, 4)] = 1u << below(&t->rng, 32);
	}
	ret = CALL(t, K_VQ_INFO, 0, ioctl(s->fd, UVDEV_IOC_VQ_INFO, &info), "VQ_INFO %s q%u%s", s->name,
		   info.queue, bad ? " (malformed)" : "");
	if (bad) {
		must_fail(t, ret, errno, EINVAL, 0, "VQ_INFO with a bad queue or reserved bits");
		return;
	}
	if (ret < 0) {
		if (!dev_err(errno))
			problem(t, "VQ_INFO of %s queue %u failed with %s", s->name, info.queue, errname(errno));
		return;
	}
	if ((info.size && (!is_pow2(info.size) || info.size > s->p.max_queue_size)) || info.ready > 1 ||
	    (info.ready && !info.size) || info.inflight > s->p.max_queue_size ||
	    info.reserved[0] | info.reserved[1] | info.reserved[2] | info.reserved[3])
		problem(t, "VQ_INFO of %s queue %u: size %u ready %u inflight %u (ring of at most %u)",
			s->name, info.queue, info.size, info.ready, info.inflight, s->p.max_queue_size);
}

/* GET_CONFIG of valid and invalid ranges; compared when only we write config. */
static void misc_get_config(struct fz_thread *t, struct slot *s)
{
	uint8_t buf[UVDEV_MAX_CONFIG_SIZE + 8];
	struct uvdev_config_update cu;
	uint32_t size = s->p.config_size;
	bool valid = !chance(&t->rng, 250);
	const char *what = "";
	int want = EINVAL;
	long ret;

	memset(&cu, 0, sizeof(cu));
	cu.offset = below(&t->rng, size + 1);
	cu.len = below(&t->rng, size - cu.offset + 1);
	cu.data = (uintptr_t)buf + (chance(&t->rng, 300) ? 1 + below(&t->rng, 7) : 0);
	if (!valid) {
		struct badptr bp;

		switch (below(&t->rng, 5)) {
		case 0:
			cu.offset = size;
			cu.len = 1 + below(&t->rng, 8);
			what = "a range past the config space";
			break;
		case 1:
			cu.offset = UINT32_MAX - below(&t->rng, 4);
			cu.len = 2 + below(&t->rng, 8);
			what = "an offset and length that wrap";
			break;
		case 2:
			cu.flags = 1u << below(&t->rng, 32);
			what = "flags set";
			break;
		case 3:
			cu.reserved = 1u << below(&t->rng, 32);
			what = "reserved bits set";
			break;
		default:
			if (!cu.len)
				return;
			bp = pick_bad(&t->rng, true);
			if (bp.valid >= cu.len)
				return;
			cu.data = bp.addr;
			want = EFAULT;
			what = "data at a bad address";
			break;
		}
	}
	pthread_mutex_lock(&s->config_lock);
	ret = CALL(t, K_GET_CONFIG, 0, ioctl(s->fd, UVDEV_IOC_GET_CONFIG, &cu), "GET_CONFIG %s offset %u len %u%s%s",
		   s->name, cu.offset, cu.len, valid ? "" : ": ", what);
	if (!valid) {
		pthread_mutex_unlock(&s->config_lock);
		must_fail(t, ret, errno, want, 0, what);
		return;
	}
	if (ret < 0) {
		pthread_mutex_unlock(&s->config_lock);
		if (!dev_err(errno))
			problem(t, "GET_CONFIG of %s offset %u len %u (config %u) failed with %s", s->name,
				cu.offset, cu.len, size, errname(errno));
		return;
	}
	if ((s->p.device_id == VIRTIO_ID_BLOCK || s->p.device_id == VIRTIO_ID_RNG) &&
	    !atomic_load(&s->config_driver_written) &&
	    memcmp((const void *)(uintptr_t)cu.data, s->config + cu.offset, cu.len))
		problem(t, "GET_CONFIG of %s offset %u len %u differs from the bytes the backend set",
			s->name, cu.offset, cu.len);
	pthread_mutex_unlock(&s->config_lock);
}

static void misc_set_config(struct fz_thread *t, struct slot *s)
{
	uint8_t data[UVDEV_MAX_CONFIG_SIZE];
	struct uvdev_config_update cu;
	uint32_t size = s->p.config_size, roff, rlen;
	bool valid = !chance(&t->rng, 300);
	const char *what = "";
	int want = EINVAL;
	long ret;

	memset(&cu, 0, sizeof(cu));
	config_fuzz_region(&s->p, &roff, &rlen);
	fill_random(&t->rng, data, sizeof(data));
	cu.data = (uintptr_t)data;
	if (rlen) {
		cu.offset = roff + below(&t->rng, rlen);
		cu.len = 1 + below(&t->rng, roff + rlen - cu.offset);
		if (s->p.device_id == VIRTIO_ID_BLOCK && chance(&t->rng, 800)) {
			uint64_t cap = pick_capacity(&t->rng);

			cu.offset = 0;
			cu.len = 8;
			memcpy(data, &cap, 8);
		}
	} else {
		cu.offset = size;
		cu.len = 0;
	}
	if (chance(&t->rng, 500))
		cu.flags = UVDEV_CONFIG_F_IRQ;
	if (!valid) {
		struct badptr bp;

		switch (below(&t->rng, 5)) {
		case 0:
			cu.offset = size;
			cu.len = 1 + below(&t->rng, 8);
			what = "a range past the config space";
			break;
		case 1:
			cu.offset = UINT32_MAX - below(&t->rng, 4);
			cu.len = 2 + below(&t->rng, 8);
			what = "an offset and length that wrap";
			break;
		case 2:
			cu.flags |= 2u << below(&t->rng, 31);
			what = "unknown flags";
			break;
		case 3:
			cu.reserved = 1u << below(&t->rng, 32);
			what = "reserved bits set";
			break;
		default:
			if (!cu.len)
				return;
			bp = pick_bad(&t->rng, false);
			if (bp.valid >= cu.len)
				return;
			cu.data = bp.addr;
			want = EFAULT;
			what = "data at a bad address";
			break;
		}
	}
	pthread_mutex_lock(&s->config_lock);
	ret = CALL(t, K_SET_CONFIG, 0, ioctl(s->fd, UVDEV_IOC_SET_CONFIG, &cu),
		   "SET_CONFIG %s offset %u len %u flags %#x%s%s", s->name, cu.offset, cu.len, cu.flags,
		   valid ? "" : ": ", what);
	if (valid && ret == 0)
		memcpy(s->config + cu.offset, data, cu.len);
	pthread_mutex_unlock(&s->config_lock);
	if (!valid)
		must_fail(t, ret, errno, want, 0, what);
	else if (ret < 0 && !dev_err(errno))
		problem(t, "SET_CONFIG of %s offset %u len %u (config %u) failed with %s", s->name,
			cu.offset, cu.len, size, errname(errno));
}

static void misc_irq(struct fz_thread *t, struct slot *s)
{
	struct uvdev_vq_irq irq = { .queue = below(&t->rng, s->p.num_queues) };
	long ret;

	ret = CALL(t, K_IRQ, 0, ioctl(s->fd, UVDEV_IOC_VQ_IRQ, &irq), "VQ_IRQ %s q%u (unasked)", s->name, irq.queue);
	if (ret == 0)
		atomic_fetch_add(&n_irqs, 1);
	else if (!dev_err(errno))
		problem(t, "VQ_IRQ of %s queue %u failed with %s", s->name, irq.queue, errname(errno));
}

static void misc_kickfd(struct fz_thread *t, struct slot *s)
{
	struct uvdev_vq_kickfd k;
	const char *what;
	int want = EINVAL, want2 = 0, own = -1, junk = -1;
	bool must_work = false;
	long ret;

	memset(&k, 0, sizeof(k));
	k.queue = below(&t->rng, s->p.num_queues);
	switch (below(&t->rng, 8)) {
	case 0:
		k.fd = chance(&t->rng, 500) ? -2 : INT_MIN;
		what = "a negative fd other than -1";
		break;
	case 1:
		k.fd = INT_MAX;
		what = "an fd that is not open";
		want = EBADF;
		break;
	case 2:
		k.fd = chance(&t->rng, 500) ? g_control_fd : s->fd;
		what = "an fd that is not an eventfd";
		break;
	case 3:
		junk = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (junk < 0)
			return;
		k.fd = junk;
		what = "/dev/null";
		break;
	case 4:
		k.fd = -1;
		what = "-1, removing the eventfd";
		must_work = true;
		break;
	case 5:
		own = eventfd(0, EFD_CLOEXEC);
		if (own < 0)
			return;
		k.fd = own;
		what = "an eventfd closed right after";
		must_work = true;
		break;
	case 6:
		k.queue = chance(&t->rng, 500) ? s->p.num_queues + below(&t->rng, 8) : UINT32_MAX;
		k.fd = -1;
		what = "a queue the device does not have";
		break;
	default:
		k.reserved[below(&t->rng, 2)] = 1u << below(&t->rng, 32);
		k.fd = -1;
		what = "reserved bits set";
		break;
	}
	ret = CALL(t, K_KICKFD, 0, ioctl(s->fd, UVDEV_IOC_VQ_SET_KICKFD, &k), "VQ_SET_KICKFD %s q%u fd %d: %s",
		   s->name, k.queue, k.fd, what);
	if (must_work) {
		if (ret < 0 && !dev_err(errno))
			problem(t, "VQ_SET_KICKFD with %s failed with %s", what, errname(errno));
	} else {
		must_fail(t, ret, errno, want, want2, what);
	}
	if (own >= 0)
		close(own);
	if (junk >= 0)
		close(junk);
}

/* Commands nobody defined, the wrong size, the wrong fd. */
static void misc_bad_ioctl(struct fz_thread *t, struct slot *s)
{
	static uint8_t zero[512];
	unsigned long cmd;
	int fd = s->fd;
	const char *what;
	long ret;

	switch (below(&t->rng, 8)) {
	case 0:
		cmd = _IO(UVDEV_IOC_MAGIC, 0x7f);
		what = "an unknown command";
		break;
	case 1:
		cmd = _IOWR(UVDEV_IOC_MAGIC, 0x19 + below(&t->rng, 0x60), struct uvdev_vq_pop);
		what = "an unknown command number";
		break;
	case 2:
		cmd = _IOC(_IOC_READ | _IOC_WRITE, UVDEV_IOC_MAGIC, 0x13, sizeof(struct uvdev_vq_pop) + 8);
		what = "VQ_POP's number with the wrong size";
		break;
	case 3:
		cmd = _IOC(_IOC_WRITE, UVDEV_IOC_MAGIC, 0x14, sizeof(struct uvdev_vq_xfer) - 8);
		what = "VQ_XFER's number with the wrong size";
		break;
	case 4:
		cmd = (const unsigned long[]){ UVDEV_IOC_CREATE, UVDEV_IOC_DESTROY,
					       UVDEV_IOC_QUEUE_STATE }[below(&t->rng, 3)];
		what = "a control command on a device fd";
		break;
	case 5:
		cmd = (const unsigned long[]){ UVDEV_IOC_DEV_INFO, UVDEV_IOC_VQ_POP, UVDEV_IOC_VQ_PUSH,
					       UVDEV_IOC_VQ_SERVE,
					       UVDEV_IOC_GET_CONFIG }[below(&t->rng, 5)];
		fd = g_control_fd;
		what = "a device command on the control fd";
		break;
	case 6:
		cmd = chance(&t->rng, 500) ? 0x5401 /* TCGETS */ :
		      _IOWR(UVDEV_IOC_MAGIC, 0x03 + below(&t->rng, 13), struct uvdev_queue_state);
		fd = chance(&t->rng, 500) ? g_control_fd : s->fd;
		what = cmd == 0x5401 ? "TCGETS" : "an unknown command number below the device's";
		break;
	default:
		cmd = _IOR('X', 1 + below(&t->rng, 200), int);
		what = "another driver's command";
		break;
	}
	memset(zero, 0, sizeof(zero));
	ret = CALL(t, K_OTHER_IOCTL, 0, ioctl(fd, cmd, zero), "ioctl %s %#lx: %s",
		   fd == g_control_fd ? "control" : s->name, cmd, what);
	must_fail(t, ret, errno, ENOTTY, 0, what);
}

/* Each command's argument at an address the kernel must not use. */
static void misc_bad_arg(struct fz_thread *t, struct slot *s)
{
	static const struct { unsigned long cmd; const char *name; bool writes; } cmds[] = {
		{ UVDEV_IOC_DEV_INFO, "DEV_INFO", true },
		{ UVDEV_IOC_VQ_INFO, "VQ_INFO", true },
		{ UVDEV_IOC_VQ_SET_KICKFD, "VQ_SET_KICKFD", false },
		{ UVDEV_IOC_VQ_POP, "VQ_POP", false },
		{ UVDEV_IOC_VQ_XFER, "VQ_XFER", false },
		{ UVDEV_IOC_VQ_PUSH, "VQ_PUSH", false },
		{ UVDEV_IOC_VQ_SERVE, "VQ_SERVE", false },
		{ UVDEV_IOC_VQ_IRQ, "VQ_IRQ", false },
		{ UVDEV_IOC_SET_CONFIG, "SET_CONFIG", false },
		{ UVDEV_IOC_GET_CONFIG, "GET_CONFIG", false },
		{ UVDEV_IOC_NOTIFY, "NOTIFY", false },
	};
	unsigned int i = below(&t->rng, sizeof(cmds) / sizeof(cmds[0]));
	struct badptr bp = pick_bad(&t->rng, cmds[i].writes);
	char what[96];
	long ret;

	snprintf(what, sizeof(what), "%s with its argument at %s", cmds[i].name, bp.what);
	ret = CALL(t, K_OTHER_IOCTL, 0, ioctl(s->fd, cmds[i].cmd, (void *)(uintptr_t)bp.addr), "%s", what);
	must_fail(t, ret, errno, EFAULT, 0, what);
}

static void misc_poll(struct fz_thread *t, struct slot *s)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN | POLLOUT };
	struct uvdev_dev_info info;
	long ret;

	ret = CALL(t, K_POLL, 0, poll(&pfd, 1, 0), "poll %s POLLIN|POLLOUT", s->name);
	if (ret < 0)
		return;
	if (pfd.revents & (POLLNVAL | POLLHUP)) {
		problem(t, "poll on live device %s reports %#x", s->name, pfd.revents);
		return;
	}
	if (atomic_load(&s->broken_seen) && !(pfd.revents & POLLERR)) {
		problem(t, "poll on broken device %s does not report POLLERR (events %#x)", s->name, pfd.revents);
		return;
	}
	if (!(pfd.revents & POLLERR))
		return;
	ret = CALL(t, K_DEV_INFO, 0, ioctl(s->fd, UVDEV_IOC_DEV_INFO, &info), "DEV_INFO %s (after POLLERR)", s->name);
	if (ret == 0 && !info.broken)
		problem(t, "poll on %s reports POLLERR, but DEV_INFO says it is not broken", s->name);
	if (!atomic_exchange(&s->broken_seen, true))
		atomic_fetch_add(&n_broken, 1);
}

/*
 * QUEUE_STATE of a queue of an open device this thread holds (its backend
 * fd open, no destroy possible): every field within what uvdev.h says.
 */
static void check_queue_state(struct fz_thread *t, struct slot *s, const struct uvdev_queue_state *st,
			      uint64_t before, uint64_t after, bool broken_before)
{
	static const uint8_t zero[sizeof(st->reserved)];
	const char *bad = NULL;

	if (st->flags & ~(uint32_t)(UVDEV_QUEUE_READY | UVDEV_QUEUE_RECEIVE | UVDEV_QUEUE_BROKEN |
				    UVDEV_QUEUE_BACKEND))
		bad = "unknown flags";
	else if (st->size && (!is_pow2(st->size) || st->size > s->p.max_queue_size))
		bad = "a ring size that is not a power of two up to max_queue_size";
	else if ((st->flags & UVDEV_QUEUE_READY) && !st->size)
		bad = "ready with no ring";
	else if (!(st->flags & UVDEV_QUEUE_BACKEND))
		bad = "no backend flag while this backend holds the fd";
	else if (broken_before && !(st->flags & UVDEV_QUEUE_BROKEN))
		bad = "no broken flag on a device already seen broken";
	else if (st->pending > s->p.max_queue_size || st->inflight > s->p.max_queue_size)
		bad = "more chains pending or in flight than a ring holds";
	else if ((!st->pending && st->pending_since_ns) || (!st->inflight && st->inflight_since_ns))
		bad = "a time for chains there are none of";
	else if (st->now_ns < before || st->now_ns > after)
		bad = "now_ns outside the call";
	else if (st->pending_since_ns > st->now_ns || st->inflight_since_ns > st->now_ns ||
		 st->irq_since_ns > st->now_ns)
		bad = "a time after now_ns";
	else if (memcmp(st->reserved, zero, sizeof(zero)))
		bad = "reserved bytes not zero";
	if (bad)
		problem(t, "QUEUE_STATE of %s (dev_id %u) queue %u: %s: size %u flags %#x pending %u inflight %u "
			"pending_since %" PRIu64 " inflight_since %" PRIu64 " irq_since %" PRIu64 " now %" PRIu64
			" (call from %" PRIu64 " to %" PRIu64 ") status %#x", s->name, st->dev_id, st->queue, bad,
			st->size, st->flags, st->pending, st->inflight, (uint64_t)st->pending_since_ns,
			(uint64_t)st->inflight_since_ns, (uint64_t)st->irq_since_ns, (uint64_t)st->now_ns,
			before, after, st->status);
	if ((st->flags & UVDEV_QUEUE_BROKEN) && !atomic_exchange(&s->broken_seen, true))
		atomic_fetch_add(&n_broken, 1);
}

/* QUEUE_STATE on the control node: valid, and with each field wrong. */
static void misc_queue_state(struct fz_thread *t, struct slot *s)
{
	struct uvdev_queue_state st;
	bool broken_before = atomic_load(&s->broken_seen);
	uint8_t *ro = NULL;
	void *arg = &st;
	const char *what = NULL;
	int want = EINVAL, want2 = 0;
	uint64_t before, after;
	struct badptr bp;
	size_t off;
	long ret;

	memset(&st, 0, sizeof(st));
	st.dev_id = s->dev_id;
	st.queue = below(&t->rng, s->p.num_queues);
	if (chance(&t->rng, 300)) {
		switch (below(&t->rng, 5)) {
		case 0:
			st.dev_id = chance(&t->rng, 500) ? UINT32_MAX - below(&t->rng, 16) :
							   4096 + below(&t->rng, 100000);
			want = ENOENT;
			what = "a dev_id no device has";
			break;
		case 1:
			st.queue = chance(&t->rng, 500) ? s->p.num_queues + below(&t->rng, 8) : UINT32_MAX;
			what = "a queue the device does not have";
			break;
		case 2:
			off = offsetof(struct uvdev_queue_state, size);
			off += below(&t->rng, (uint32_t)(sizeof(st) - off));
			((uint8_t *)&st)[off] = (uint8_t)(1u << below(&t->rng, 8));
			what = "an output field not zero";
			break;
		case 3:
			bp = pick_bad(&t->rng, true);
			if (bp.valid)
				return;
			arg = (void *)(uintptr_t)bp.addr;
			want = EFAULT;
			if (bp.addr == (uintptr_t)mem.ro)
				want2 = ENOENT;	/* zeros: dev_id 0 queue 0, maybe no such device */
			what = bp.what;
			break;
		default:
			/* Valid input that cannot be written back. */
			ro = map_pages(PAGE);
			if (!ro)
				return;
			memcpy(ro, &st, sizeof(st));
			if (mprotect(ro, PAGE, PROT_READ)) {
				munmap(ro, PAGE);
				return;
			}
			arg = ro;
			want = EFAULT;
			what = "its argument in a read-only page";
			break;
		}
	}
	before = now_ns();
	ret = CALL(t, K_QUEUE_STATE, 0, ioctl(g_control_fd, UVDEV_IOC_QUEUE_STATE, arg),
		   "QUEUE_STATE dev_id %u (%s) q%u%s%s", st.dev_id, s->name, st.queue, what ? ": " : "",
		   what ? what : "");
	after = now_ns();
	if (ro)
		munmap(ro, PAGE);
	if (what) {
		must_fail(t, ret, errno, want, want2, what);
		return;
	}
	if (ret < 0) {
		problem(t, "QUEUE_STATE of %s (dev_id %u) queue %u failed with %s", s->name, st.dev_id, st.queue,
			errname(errno));
		return;
	}
	check_queue_state(t, s, &st, before, after, broken_before);
}

static long sysfs_rw(const char *path, char *buf, size_t len, bool write_it)
{
	int fd = open(path, (write_it ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	long n;
	int err;

	if (fd < 0)
		return -1;
	n = write_it ? write(fd, buf, len) : read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n >= 0 && !write_it)
		buf[n] = 0;
	errno = err;
	return n;
}

static void misc_sysfs(struct fz_thread *t, struct slot *s)
{
	static const char *const attrs[] = { "dev_id", "device_id", "num_queues", "max_queue_size",
					     "status", "broken", "backend", "msg_timeout_ms" };
	unsigned int a = below(&t->rng, sizeof(attrs) / sizeof(attrs[0]));
	char path[128], buf[64];
	unsigned long v, want = ULONG_MAX;
	long ret;

	snprintf(path, sizeof(path), "/sys/class/uvdev/%s/%s", s->name, attrs[a]);
	if (a == 7 && chance(&t->rng, 500)) {
		bool valid = chance(&t->rng, 700);
		unsigned int ms = 100 + below(&t->rng, 900);

		if (valid) {
			snprintf(buf, sizeof(buf), "%u", ms);
			if (ms > atomic_load(&s->max_timeout_ms))
				atomic_store(&s->max_timeout_ms, ms);
		} else {
			snprintf(buf, sizeof(buf), "%s", (const char *const[]){ "0", "3600001", "x", "-5",
				 "4294967296" }[below(&t->rng, 5)]);
		}
		ret = CALL(t, K_SYSFS, 0, sysfs_rw(path, buf, strlen(buf), true), "write %s <- %s", path, buf);
		if (valid && ret < 0)
			problem(t, "writing %s to %s failed with %s", buf, path, errname(errno));
		else if (valid)
			atomic_store(&s->cur_timeout_ms, ms);
		else
			must_fail(t, ret, errno, EINVAL, ERANGE, "writing an invalid msg_timeout_ms");
		return;
	}
	ret = CALL(t, K_SYSFS, 0, sysfs_rw(path, buf, sizeof(buf), false), "read %s", path);
	if (ret < 0) {
		problem(t, "reading %s failed with %s", path, errname(errno));
		return;
	}
	v = strtoul(buf, NULL, 0);
	switch (a) {
	case 0: want = s->dev_id; break;
	case 1: want = s->p.device_id; break;
	case 2: want = s->p.num_queues; break;
	case 3: want = s->p.max_queue_size; break;
	case 6: want = 1; break;	/* this backend holds the fd */
	case 7: want = atomic_load(&s->cur_timeout_ms); break;
	case 5:
		if (v > 1)
			problem(t, "%s reads %s", path, buf);
		if (v == 1 && !atomic_exchange(&s->broken_seen, true))
			atomic_fetch_add(&n_broken, 1);
		break;
	}
	if (want != ULONG_MAX && v != want)
		problem(t, "%s reads %lu, expected %lu", path, v, want);
}

/* Anything but the lifecycle, on an open device. */
static void chaos_misc(struct fz_thread *t, struct slot *s)
{
	if (!slot_rdlock(s, 100))
		return;
	if (atomic_load(&s->state) != SLOT_OPEN) {
		slot_unlock(s);
		return;
	}
	switch (below(&t->rng, 13)) {
	case 0:
		misc_dev_info(t, s);
		break;
	case 1:
		misc_vq_info(t, s);
		break;
	case 2:
		misc_get_config(t, s);
		break;
	case 3:
		if (enabled(C_CONFIG))
			misc_set_config(t, s);
		break;
	case 4:
		if (enabled(C_IRQ))
			misc_irq(t, s);
		break;
	case 5:
		if (enabled(C_KICKFD))
			misc_kickfd(t, s);
		break;
	case 6:
		misc_bad_ioctl(t, s);
		break;
	case 7:
		misc_bad_arg(t, s);
		break;
	case 8:
		misc_poll(t, s);
		break;
	case 9:
		if (enabled(C_SYSFS))
			misc_sysfs(t, s);
		break;
	case 10:
	case 11:
		misc_queue_state(t, s);
		break;
	default:
		misc_dev_info(t, s);
		break;
	}
	slot_unlock(s);
}

/* A second opener while the backend is attached gets EBUSY. */
static void second_open(struct fz_thread *t, struct slot *s)
{
	char path[64];
	long fd;

	snprintf(path, sizeof(path), UVDEV_DEV_DIR "/%s", s->name);
	fd = CALL(t, K_OPEN, 0, open(path, O_RDWR | O_CLOEXEC), "open %s (second opener)", path);
	if (fd >= 0) {
		close((int)fd);
		problem(t, "a second open of %s succeeded while its backend has it open", path);
		return;
	}
	must_fail(t, fd, errno, EBUSY, 0, "a second open of a device");
}

/* A backend that attaches and dies at once. */
static void short_backend(struct fz_thread *t, struct slot *s)
{
	char path[64];
	long fd;

	snprintf(path, sizeof(path), UVDEV_DEV_DIR "/%s", s->name);
	fd = CALL(t, K_OPEN, 0, open(path, O_RDWR | O_CLOEXEC), "open %s (short-lived backend)", path);
	if (fd < 0) {
		problem(t, "opening %s with no backend attached failed with %s", path, errname(errno));
		return;
	}
	CALL(t, K_CLOSE, 0, close((int)fd), "close %s (short-lived backend)", s->name);
}

static void chaos_open_slot(struct fz_thread *t, struct slot *s)
{
	bool d_open = enabled(C_DESTROY_OPEN), d_closed = enabled(C_DESTROY_CLOSED);
	bool broken = atomic_load(&s->broken_seen);
	uint64_t now = now_ns();

	if (atomic_load(&s->dead_seen)) {
		problem(t, "the fd of %s reports end of file, but nobody destroyed it", s->name);
		return;
	}
	if ((broken || now > s->life_until_ns) && (d_open || d_closed)) {
		/*
		 * The worst moment: requests in flight that the backend will
		 * never complete ("pops and never pushes"), then destroy.
		 */
		if (!broken && enabled(C_HOLD_LONG) && !(s->p.flags & UVDEV_CREATE_F_BUSY_WAIT) &&
		    chance(&t->rng, 400)) {
			int waited;

			atomic_store(&s->freeze, true);
			for (waited = 0; waited < 300 && atomic_load(&s->held_now) == 0; waited += 10)
				idle_ms(10);
		}
		if (d_closed && (!d_open || chance(&t->rng, 300))) {
			if (close_slot(t, s))
				destroy_slot(t, s, broken ? "broken, backend closed first" :
							    "end of life, backend closed first");
		} else {
			destroy_slot(t, s, broken ? "broken" : "end of life");
		}
		return;
	}
	if (enabled(C_RESTART) && chance(&t->rng, 15)) {
		/*
		 * A backend restart: closed, maybe a backend that dies at once,
		 * reopened within this step. A backend left away for long would
		 * stall every rng device (the hwrng core reads one device at a
		 * time under one mutex), which is not what this exercises.
		 */
		if (close_slot(t, s)) {
			idle_ms(below(&t->rng, 150));
			if (enabled(C_STRAY_OPEN) && chance(&t->rng, 200))
				short_backend(t, s);
			open_slot(t, s);
		}
		return;
	}
	if (enabled(C_STRAY_OPEN) && chance(&t->rng, 10)) {
		second_open(t, s);
		return;
	}
	chaos_misc(t, s);
}

/*
 * Devices of UVDEV_MAX_QUEUES queues, never opened, until max_queues is
 * reached (create_acct checks each answer), then all destroyed.
 */
static void fill_queues(struct fz_thread *t)
{
	char names[24][UVDEV_NAME_MAX];
	struct uvdev_create c;
	struct devparams p;
	int n = 0, i;
	long ret;

	for (i = 0; i < 24; i++) {
		gen_params(&t->rng, &p);
		p.num_queues = UVDEV_MAX_QUEUES;
		snprintf(names[n], sizeof(names[n]), "fz%s-q%u", g_tag, atomic_fetch_add(&g_name_counter, 1));
		fill_create(&c, names[n], &p);
		ret = create_acct(t, &c, false, 0, "filling max_queues");
		if (ret < 0) {
			if (errno != ENOSPC && errno != ENOMEM)
				problem(t, "a valid CREATE of %u queues failed with %s", c.num_queues,
					errname(errno));
			break;
		}
		atomic_fetch_add(&n_created, 1);
		n++;
	}
	for (i = 0; i < n; i++) {
		ret = destroy_acct(t, names[i], UVDEV_MAX_QUEUES, "filled max_queues, never opened");
		if (ret < 0)
			problem(t, "DESTROY of %s, never opened, failed with %s", names[i], errname(errno));
		else
			atomic_fetch_add(&n_destroyed, 1);
	}
}

/*
 * While a device is being destroyed (by the other chaos thread): a second
 * DESTROY gets EALREADY (ENOENT once it is gone), a CREATE of its name
 * EEXIST until then, an open ENODEV, and QUEUE_STATE answers or ENOENT.
 */
static void race_dying(struct fz_thread *t)
{
	struct slot *s = &g_slots[below(&t->rng, opt.devices)];
	char name[UVDEV_NAME_MAX], path[64];
	struct uvdev_queue_state st;
	struct uvdev_create c;
	struct devparams p;
	uint32_t dev_id;
	long ret;

	pthread_mutex_lock(&s->name_lock);
	memcpy(name, s->dying_name, sizeof(name));
	dev_id = s->dying_dev_id;
	pthread_mutex_unlock(&s->name_lock);
	if (!name[0])
		return;
	switch (below(&t->rng, 4)) {
	case 0:
		ret = do_destroy(t, name, "a second DESTROY while the first runs");
		if (ret >= 0)
			problem(t, "a second DESTROY of %s succeeded while the first ran", name);
		else if (errno != EALREADY && errno != ENOENT)
			surprise(t, "a second DESTROY while the first runs fails with %s; uvdev.h says EALREADY "
				 "(ENOENT once it is gone)", errname(errno));
		break;
	case 1:
		gen_params(&t->rng, &p);
		fill_create(&c, name, &p);
		ret = create_acct(t, &c, false, 0, "the name of a device being destroyed");
		if (ret >= 0) {
			/* Its destroy returned meanwhile: the name was free. */
			atomic_fetch_add(&n_created, 1);
			if (destroy_acct(t, name, c.num_queues, "created during a race") < 0)
				problem(t, "DESTROY of %s, never opened, failed with %s", name, errname(errno));
			else
				atomic_fetch_add(&n_destroyed, 1);
		} else if (errno != EEXIST && errno != ENOSPC && errno != ENOMEM) {
			surprise(t, "CREATE with the name of a device being destroyed fails with %s; uvdev.h says "
				 "EEXIST", errname(errno));
		}
		break;
	case 2:
		snprintf(path, sizeof(path), UVDEV_DEV_DIR "/%s", name);
		ret = CALL(t, K_OPEN, 0, open(path, O_RDWR | O_CLOEXEC), "open %s (being destroyed)", path);
		if (ret >= 0) {
			/* Before the destroy took effect: a backend for a moment. */
			CALL(t, K_CLOSE, 0, close((int)ret), "close %s (opened while destroyed)", name);
		} else if (errno != ENODEV && errno != ENOENT && errno != EBUSY && errno != ENXIO) {
			surprise(t, "opening a device being destroyed fails with %s", errname(errno));
		}
		break;
	default:
		memset(&st, 0, sizeof(st));
		st.dev_id = dev_id;
		ret = CALL(t, K_QUEUE_STATE, 0, ioctl(g_control_fd, UVDEV_IOC_QUEUE_STATE, &st),
			   "QUEUE_STATE dev_id %u (%s, being destroyed) q0", dev_id, name);
		if (ret < 0 && errno != ENOENT)
			problem(t, "QUEUE_STATE of %s, being destroyed, failed with %s", name, errname(errno));
		break;
	}
}

static void chaos_step(struct fz_thread *t)
{
	struct slot *s;
	unsigned int i;

	/* A transfer is blocked in a held page fault: destroy its device now. */
	for (i = 0; i < opt.devices; i++) {
		s = &g_slots[i];
		if (atomic_load(&s->uffd_state) != UFFD_HELD || pthread_mutex_trylock(&s->life))
			continue;
		if (atomic_load(&s->uffd_state) == UFFD_HELD && atomic_load(&s->state) == SLOT_OPEN)
			destroy_slot(t, s, "while a transfer waits in a user page fault");
		pthread_mutex_unlock(&s->life);
		return;
	}
	/* A broken device can only be destroyed: do it before anything else. */
	for (i = 0; i < opt.devices; i++) {
		s = &g_slots[i];
		if (!atomic_load(&s->broken_seen) || atomic_load(&s->state) != SLOT_OPEN ||
		    pthread_mutex_trylock(&s->life))
			continue;
		if (atomic_load(&s->state) == SLOT_OPEN)
			chaos_open_slot(t, s);
		pthread_mutex_unlock(&s->life);
		return;
	}
	if (enabled(C_BAD_CREATE) && chance(&t->rng, 150)) {
		race_dying(t);
		return;
	}
	s = &g_slots[below(&t->rng, opt.devices)];
	if (pthread_mutex_trylock(&s->life))
		return;
	switch (atomic_load(&s->state)) {
	case SLOT_EMPTY:
		if (enabled(C_BAD_CREATE) && chance(&t->rng, 250)) {
			switch (below(&t->rng, 41)) {
			case 0: fill_queues(t); break;
			case 1 ... 10: garbage_create(t); break;
			case 11 ... 20: edge_create(t); break;
			case 21 ... 30: garbage_destroy(t); break;
			default: dup_create(t, s); break;
			}
		} else {
			create_slot(t, s);
		}
		break;
	case SLOT_CREATED:
		if (!atomic_load(&s->ever_opened)) {
			if (enabled(C_DESTROY_CLOSED) && chance(&t->rng, 50))
				destroy_slot(t, s, "never opened");
			else
				open_slot(t, s);
		} else {
			/* A backend that did not come back (a reopen that failed). */
			open_slot(t, s);
		}
		break;
	case SLOT_OPEN:
		chaos_open_slot(t, s);
		break;
	case SLOT_DEAD:
		if (slot_rdlock(s, 100)) {
			check_dead(t, s);
			slot_unlock(s);
		}
		close_slot(t, s);
		break;
	}
	pthread_mutex_unlock(&s->life);
}

static void *chaos_thread(void *arg)
{
	struct fz_thread *t = arg;

	/* Once per run at least, whatever the seed: max_queues reached. */
	if (!strcmp(t->name, "chaos1") && enabled(C_BAD_CREATE))
		fill_queues(t);
	while (!atomic_load(&g_stop)) {
		chaos_step(t);
		idle_ms(1 + below(&t->rng, 4));
	}
	return NULL;
}

/* ---- clients: the kernel's drivers in use --------------------------------- */

/* A blk slot's disk (/dev/vdX) and its features, or false. */
static bool pick_disk(struct fz_thread *t, char *dev, size_t len, uint64_t *features, struct slot **out)
{
	struct slot *s = &g_slots[below(&t->rng, opt.devices)];
	char pattern[128];
	glob_t g;
	bool ok = false;

	if (!slot_rdlock(s, 50))
		return false;
	if (atomic_load(&s->state) == SLOT_OPEN && s->p.device_id == VIRTIO_ID_BLOCK) {
		snprintf(pattern, sizeof(pattern), "/sys/class/uvdev/%s/virtio*/block/*", s->name);
		*features = s->p.features;
		*out = s;
		if (glob(pattern, GLOB_NOSORT, NULL, &g) == 0) {
			const char *base = strrchr(g.gl_pathv[0], '/');

			snprintf(dev, len, "/dev/%s", base ? base + 1 : g.gl_pathv[0]);
			ok = true;
			globfree(&g);
		}
	}
	slot_unlock(s);
	return ok;
}

static void blk_io(struct fz_thread *t, const char *dev, uint64_t features, uint8_t *buf)
{
	bool ro = features & (1ULL << VIRTIO_BLK_F_RO);
	bool write_it = !ro && chance(&t->rng, 250);
	uint64_t size = 0, off;
	size_t len, bad;
	long fd, n;

	fd = CALL(t, K_CLIENT, CF_CLIENT, open(dev, (write_it ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC),
		  "open %s O_DIRECT", dev);
	if (fd < 0)
		return;
	if (CALL(t, K_CLIENT, CF_CLIENT, ioctl((int)fd, BLKGETSIZE64, &size), "BLKGETSIZE64 %s", dev) < 0 ||
	    size < 4096)
		goto out;
	off = 4096ULL * (prng_next(&t->rng) % (size / 4096));
	len = 4096u * (1 + below(&t->rng, 16));
	if (off + len > size)
		len = size - off;
	if (write_it) {
		pattern_fill(buf, off, len);
		n = CALL(t, K_CLIENT, CF_CLIENT, pwrite((int)fd, buf, len, (off_t)off), "pwrite %s %zu at %" PRIu64,
			 dev, len, off);
		if (n > 0)
			atomic_fetch_add(&n_blk_writes, 1);
		if (n > 0 && (features & (1ULL << VIRTIO_BLK_F_FLUSH)) && chance(&t->rng, 200))
			CALL(t, K_CLIENT, CF_CLIENT, fdatasync((int)fd), "fdatasync %s", dev);
	} else {
		memset(buf, 0x5a, len);
		n = CALL(t, K_CLIENT, CF_CLIENT, pread((int)fd, buf, len, (off_t)off), "pread %s %zu at %" PRIu64,
			 dev, len, off);
		if (n > 0) {
			atomic_fetch_add(&n_blk_reads, 1);
			atomic_fetch_add(&n_blk_checked, (uint64_t)n);
			bad = pattern_check(buf, off, (size_t)n);
			if (bad < (size_t)n)
				problem(t, "an O_DIRECT read of %s at %" PRIu64 " (%ld bytes) returned %#x at disk "
					"offset %" PRIu64 ", expected %#x: the backend wrote other bytes there",
					dev, off, n, buf[bad], off + bad, pattern_byte(off + bad));
		}
	}
out:
	close((int)fd);
}

static void blk_serial(struct fz_thread *t, const char *dev)
{
	char path[96], buf[64];
	long n;

	snprintf(path, sizeof(path), "/sys/block/%s/serial", dev + 5);
	n = CALL(t, K_CLIENT, CF_CLIENT, sysfs_rw(path, buf, sizeof(buf), false), "read %s", path);
	if (n <= 0)
		return;
	atomic_fetch_add(&n_serials, 1);
	if (buf[n - 1] == '\n')
		buf[n - 1] = 0;
	if (strcmp(buf, BLK_SERIAL))
		problem(t, "%s reads \"%s\"; the backend answered GET_ID with \"%s\"", path, buf, BLK_SERIAL);
}

static void blk_cache_type(struct fz_thread *t, const char *dev, struct slot *s)
{
	char path[96], value[16];

	snprintf(path, sizeof(path), "/sys/block/%s/cache_type", dev + 5);
	snprintf(value, sizeof(value), "%s", chance(&t->rng, 500) ? "write back" : "write through");
	/* The driver writes config space: GET_CONFIG no longer knows what to expect. */
	atomic_store(&s->config_driver_written, true);
	CALL(t, K_CLIENT, CF_CLIENT, sysfs_rw(path, value, strlen(value), true), "write %s <- %s", path, value);
}

static void *blk_client(void *arg)
{
	struct fz_thread *t = arg;
	uint8_t *buf = map_pages(1u << 20);
	uint64_t features;
	struct slot *s;
	char dev[64];

	if (!buf) {
		problem(t, "out of memory for the block client");
		return NULL;
	}
	while (!atomic_load(&g_stop)) {
		if (!pick_disk(t, dev, sizeof(dev), &features, &s)) {
			idle_ms(10);
			continue;
		}
		if (chance(&t->rng, 40))
			blk_serial(t, dev);
		else if ((features & (1ULL << VIRTIO_BLK_F_CONFIG_WCE)) && chance(&t->rng, 30))
			blk_cache_type(t, dev, s);
		else
			blk_io(t, dev, features, buf);
	}
	munmap(buf, 1u << 20);
	return NULL;
}

static void *rng_client(void *arg)
{
	struct fz_thread *t = arg;
	uint8_t buf[512];
	long fd = -1, n;

	while (!atomic_load(&g_stop)) {
		if (fd < 0) {
			fd = CALL(t, K_CLIENT, CF_CLIENT, open("/dev/hwrng", O_RDONLY | O_CLOEXEC |
							       (chance(&t->rng, 300) ? O_NONBLOCK : 0)),
				  "open /dev/hwrng");
			if (fd < 0) {
				idle_ms(50);
				continue;
			}
		}
		n = CALL(t, K_CLIENT, CF_CLIENT, read((int)fd, buf, 1 + below(&t->rng, sizeof(buf))),
			 "read /dev/hwrng");
		if (n <= 0 || chance(&t->rng, 20)) {
			close((int)fd);
			fd = -1;
			if (n <= 0)
				idle_ms(10);
		}
	}
	if (fd >= 0)
		close((int)fd);
	return NULL;
}

/* ---- userfaultfd: buffers that fault until released ----------------------- */

static int uffd_setup(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	long fd;

	mem.uffd = map_pages((size_t)MAX_SLOTS * PAGE);
	if (!mem.uffd)
		return -1;
	fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (ioctl((int)fd, UFFDIO_API, &api))
		goto err;
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)mem.uffd;
	reg.range.len = (uint64_t)MAX_SLOTS * PAGE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl((int)fd, UFFDIO_REGISTER, &reg))
		goto err;
	g_uffd = (int)fd;
	return 0;
err:
	close((int)fd);
	return -1;
}

/*
 * The handler takes no lock and no stdio stream: a thread blocked in a
 * fault it is to resolve may hold any of them.
 */
static void uffd_resolve(uint64_t page)
{
	struct uffdio_zeropage z;
	char msg[96];
	int n;

	memset(&z, 0, sizeof(z));
	z.range.start = page;
	z.range.len = PAGE;
	if (ioctl(g_uffd, UFFDIO_ZEROPAGE, &z) && errno != EEXIST && errno != EAGAIN) {
		n = snprintf(msg, sizeof(msg), PROG ": UFFDIO_ZEROPAGE: %s\n", strerror(errno));
		if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
			return;
	}
}

static void *uffd_thread(void *arg)
{
	struct fz_thread *t = arg;
	struct { uint64_t page, due; int slot; bool held; } pend[64];
	int np = 0, i;

	while (!atomic_load(&g_uffd_quit)) {
		struct pollfd pfd = { .fd = g_uffd, .events = POLLIN };
		struct uffd_msg m;
		uint64_t now;

		poll(&pfd, 1, 5);
		while (read(g_uffd, &m, sizeof(m)) == (ssize_t)sizeof(m)) {
			uint64_t page = m.arg.pagefault.address & ~((uint64_t)PAGE - 1);
			int slot = (int)((page - (uintptr_t)mem.uffd) / PAGE), armed = UFFD_ARMED;
			bool held;

			if (m.event != UFFD_EVENT_PAGEFAULT)
				continue;
			atomic_fetch_add(&n_uffd_faults, 1);
			held = slot >= 0 && slot < MAX_SLOTS &&
			       atomic_compare_exchange_strong(&g_slots[slot].uffd_state, &armed, UFFD_HELD);
			if (held)
				atomic_fetch_add(&n_uffd_holds, 1);
			if (np == 64) {
				uffd_resolve(page);
				continue;
			}
			pend[np].page = page;
			pend[np].slot = slot;
			pend[np].held = held;
			pend[np].due = now_ns() + (held ? UFFD_HOLD_MS : below(&t->rng, 150)) * NS_PER_MS;
			np++;
		}
		now = now_ns();
		for (i = np - 1; i >= 0; i--) {
			struct slot *s = pend[i].held ? &g_slots[pend[i].slot] : NULL;
			bool go;

			/*
			 * A held fault goes when the destroy returned, when its
			 * time is up and no destroy runs, or when a destroy runs
			 * past its bound: it waits for the fault (a lock held
			 * across the access), destroy_slot reports that, and the
			 * run goes on instead of wedging.
			 */
			if (atomic_load(&g_cleanup))
				go = true;
			else if (s)
				go = atomic_load(&s->uffd_state) == UFFD_RELEASE ||
				     (now >= pend[i].due && !atomic_load(&s->destroy_running)) ||
				     (atomic_load(&s->destroy_running) &&
				      now > atomic_load(&s->destroy_start_ns) + destroy_bound_ms(s) * NS_PER_MS);
			else
				go = now >= pend[i].due;
			if (!go)
				continue;
			uffd_resolve(pend[i].page);
			if (s)
				atomic_store(&s->uffd_state, UFFD_IDLE);
			pend[i] = pend[--np];
		}
	}
	for (i = 0; i < np; i++)
		uffd_resolve(pend[i].page);
	return NULL;
}

/* ---- the watchdog: no call may hang --------------------------------------- */

static uint64_t call_bound_ms(unsigned int flags)
{
	if (flags & CF_CLIENT)
		return 2ULL * opt.hang_ms + CLIENT_SLACK_MS;
	if (flags & CF_UFFD)
		return opt.hang_ms + UFFD_HOLD_MS + 3000;
	return opt.hang_ms;
}

/*
 * Hang reports. Reading the kernel's state may itself block (a queue's
 * lock, the hwrng core's mutex, a sysfs attribute), so a helper thread
 * writes the report into g_report while the watchdog waits for it a
 * bounded time and then prints whatever it has. Nothing that can block in
 * the kernel runs under print_lock, and the watchdog takes print_lock only
 * with a timeout: the fuzzer cannot wedge itself while reporting.
 */
static struct {
	char buf[1 << 16];
	atomic_size_t len;
	atomic_bool busy;	/* a helper is writing the report */
	atomic_bool done;
	struct fz_thread *subject;
	uint64_t now;
} g_report;

static void __attribute__((format(printf, 1, 2))) rprintf(const char *fmt, ...)
{
	size_t len = atomic_load(&g_report.len);
	va_list ap;
	int n;

	if (len >= sizeof(g_report.buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(g_report.buf + len, sizeof(g_report.buf) - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		atomic_store(&g_report.len, len + (size_t)n < sizeof(g_report.buf) - 1 ?
				len + (size_t)n : sizeof(g_report.buf) - 1);
}

/* Print @len bytes of @buf, under print_lock if it can be had within a second. */
static void print_bounded(const char *buf, size_t len)
{
	struct timespec ts = abs_after_ms(1000);
	size_t off = 0;
	ssize_t n;

	if (!pthread_mutex_timedlock(&print_lock, &ts)) {
		fwrite(buf, 1, len, stdout);
		fflush(stdout);
		pthread_mutex_unlock(&print_lock);
		return;
	}
	while (off < len && (n = write(STDOUT_FILENO, buf + off, len - off)) > 0)
		off += (size_t)n;
}

static void print_kernel_stack(int tid)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tid);
	f = fopen(path, "re");
	if (!f) {
		rprintf("    (no kernel stack: %s: %s)\n", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		rprintf("    %s", line);
	fclose(f);
}

static void sysfs_word(const char *name, const char *attr, char *out, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/uvdev/%s/%s", name, attr);
	if (sysfs_rw(path, out, len, false) <= 0)
		snprintf(out, len, "?");
	out[strcspn(out, "\n")] = 0;
}

/* A thread's last @max calls that did something (no empty polls and pops). */
static void dump_log_tail(struct fz_thread *t, unsigned int max)
{
	unsigned int n = 0, i, first;

	pthread_mutex_lock(&t->lock);
	first = t->nlog < LOG_N ? 0 : t->nlog - LOG_N;
	for (i = t->nlog; i > first && n < max; i--) {
		const struct logent *e = &t->log[(i - 1) % LOG_N];

		if (e->ret == 0 && (!strncmp(e->desc, "poll ", 5) || !strncmp(e->desc, "VQ_POP ", 7) ||
				    !strncmp(e->desc, "VQ_SET_KICKFD ", 14)))
			continue;
		n++;
	}
	for (; i < t->nlog; i++) {
		const struct logent *e = &t->log[i % LOG_N];

		if (e->ret == 0 && (!strncmp(e->desc, "poll ", 5) || !strncmp(e->desc, "VQ_POP ", 7) ||
				    !strncmp(e->desc, "VQ_SET_KICKFD ", 14)))
			continue;
		rprintf("        %9.3fs %-6s %s -> %ld%s%s\n", secs_since_start(e->ns), t->name, e->desc,
			e->ret, e->ret < 0 ? " " : "", e->ret < 0 ? errname(e->err) : "");
	}
	pthread_mutex_unlock(&t->lock);
}

/* What each slot's device looks like, for a hang report. */
static void dump_slots(uint64_t now)
{
	static const char *const states[] = { "empty", "created", "open", "destroyed, fd open" };
	char status[16], broken[16], backend[16], cur[64];
	unsigned int i, q;
	int k;

	rprintf("  devices:\n");
	for (i = 0; i < opt.devices; i++) {
		struct slot *s = &g_slots[i];
		int st = atomic_load(&s->state);
		uint64_t pushed = atomic_load(&s->last_push_ns);

		if (st == SLOT_EMPTY)
			continue;
		sysfs_word(s->name, "status", status, sizeof(status));
		sysfs_word(s->name, "broken", broken, sizeof(broken));
		sysfs_word(s->name, "backend", backend, sizeof(backend));
		rprintf("    %s (%s, %u queues of %u): %s; sysfs status %s broken %s backend %s; "
			"%d chains held, last push %" PRId64 " ms ago%s%s\n", s->name,
			type_name(s->p.device_id), s->p.num_queues, s->p.max_queue_size, states[st],
			status, broken, backend, atomic_load(&s->held_now),
			pushed ? (int64_t)((now - pushed) / NS_PER_MS) : -1,
			atomic_load(&s->destroy_running) ? "; DESTROY running" : "",
			atomic_load(&s->uffd_state) == UFFD_HELD ? "; a transfer waits in a held page fault" : "");
		for (k = 0; k < g_nthreads; k++)
			if (g_threads[k].slot == s)
				dump_log_tail(&g_threads[k], 16);
		/* The kernel's view of its queues, from the control node (no fd needed). */
		for (q = 0; st != SLOT_EMPTY && q < s->p.num_queues && q < 4; q++) {
			struct uvdev_queue_state qs;

			memset(&qs, 0, sizeof(qs));
			qs.dev_id = s->dev_id;
			qs.queue = q;
			if (ioctl(g_control_fd, UVDEV_IOC_QUEUE_STATE, &qs) == 0)
				rprintf("      queue %u: size %u flags %#x pending %u in flight %u, interrupt owed "
					"for %" PRId64 " ms (fuzzer: ready %d)\n", q, qs.size, qs.flags, qs.pending,
					qs.inflight, qs.irq_since_ns ? (int64_t)((qs.now_ns - qs.irq_since_ns) /
										 NS_PER_MS) : -1,
					atomic_load(&s->q_ready[q]));
		}
	}
	if (sysfs_rw("/sys/class/misc/hw_random/rng_current", cur, sizeof(cur), false) > 0)
		rprintf("  current hwrng: %s", cur);
}

/* Kernel tasks in uninterruptible sleep, other than this process's. */
static void dump_blocked_tasks(void)
{
	char path[320], stat[512], line[256];
	struct dirent *e;
	int shown = 0;
	DIR *d = opendir("/proc");
	FILE *f;

	if (!d)
		return;
	rprintf("  other tasks in uninterruptible sleep:\n");
	while ((e = readdir(d)) && shown < 8) {
		char *state;
		long n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		n = sysfs_rw(path, stat, sizeof(stat), false);
		state = n > 0 ? strrchr(stat, ')') : NULL;
		if (!state || strncmp(state, ") D", 3))
			continue;
		state[1] = 0;
		rprintf("    %s:\n", stat);
		snprintf(path, sizeof(path), "/proc/%s/stack", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			rprintf("      %s", line);
		fclose(f);
		shown++;
	}
	closedir(d);
}

/* The part of a hang report that reads the kernel's state: a thread of its own. */
static void *hang_report_thread(void *arg)
{
	struct fz_thread *t = g_report.subject, *o;
	uint64_t now = g_report.now, st;
	unsigned int n, i;
	int k;

	(void)arg;
	rprintf("  its kernel stack (task %d):\n", atomic_load(&t->tid));
	print_kernel_stack(atomic_load(&t->tid));
	rprintf("  calls in progress in the other threads:\n");
	for (k = 0; k < g_nthreads; k++) {
		o = &g_threads[k];
		st = atomic_load(&o->start_ns);
		if (o == t || !st || st > now)
			continue;
		pthread_mutex_lock(&o->lock);
		rprintf("    %s: `%s` for %" PRIu64 " ms\n", o->name, o->desc, (now - st) / NS_PER_MS);
		pthread_mutex_unlock(&o->lock);
		if ((now - st) / NS_PER_MS > 1000) {
			rprintf("      kernel stack (task %d):\n", atomic_load(&o->tid));
			print_kernel_stack(atomic_load(&o->tid));
		}
	}
	dump_slots(now);
	dump_blocked_tasks();
	pthread_mutex_lock(&t->lock);
	n = t->nlog < 24 ? t->nlog : 24;
	rprintf("  the last %u calls of thread %s:\n", n, t->name);
	for (i = t->nlog - n; i < t->nlog; i++) {
		const struct logent *e = &t->log[i % LOG_N];

		rprintf("    %9.3fs %s -> %ld%s%s\n", secs_since_start(e->ns), e->desc,
			e->ret, e->ret < 0 ? " " : "", e->ret < 0 ? errname(e->err) : "");
	}
	pthread_mutex_unlock(&t->lock);
	atomic_store(&g_report.done, true);
	atomic_store(&g_report.busy, false);
	return NULL;
}

static void report_hang(struct fz_thread *t, uint64_t elapsed_ns, uint64_t bound_ms)
{
	uint64_t now = now_ns(), expected = 0;
	struct timespec ts = abs_after_ms(100);
	char desc[sizeof(t->desc)], line[400];
	pthread_attr_t attr;
	pthread_t helper;
	unsigned int waited;
	int n;

	/* First tell the supervisor: the report itself may get stuck. */
	atomic_fetch_add(&g_problems, 1);
	atomic_fetch_add(&g_hangs, 1);
	atomic_compare_exchange_strong(&g_first_hang_ns, &expected, now);
	atomic_store(&g_stop, true);
	notify_supervisor('H');
	snprintf(desc, sizeof(desc), "?");
	if (!pthread_mutex_timedlock(&t->lock, &ts)) {
		memcpy(desc, t->desc, sizeof(desc));
		pthread_mutex_unlock(&t->lock);
	}
	n = snprintf(line, sizeof(line), "HANG [%s, %.3fs]: `%s` has not returned after %" PRIu64
		     " ms (bound %" PRIu64 " ms)\n", t->name, secs_since_start(now), desc,
		     elapsed_ns / NS_PER_MS, bound_ms);
	if (atomic_exchange(&g_report.busy, true)) {
		/* The helper of an earlier report is still stuck: just this line. */
		print_bounded(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
		return;
	}
	atomic_store(&g_report.len, 0);
	atomic_store(&g_report.done, false);
	g_report.subject = t;
	g_report.now = now;
	rprintf("%s", line);
	if (pthread_attr_init(&attr) || pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) ||
	    pthread_create(&helper, &attr, hang_report_thread, NULL)) {
		rprintf("  (no thread to gather the kernel's state)\n");
		atomic_store(&g_report.done, true);
		atomic_store(&g_report.busy, false);
	}
	pthread_attr_destroy(&attr);
	for (waited = 0; waited < 5000 && !atomic_load(&g_report.done); waited += 10)
		idle_ms(10);
	if (!atomic_load(&g_report.done))
		rprintf("  (the report stops here: reading the kernel's state has blocked for 5 s)\n");
	print_bounded(g_report.buf, atomic_load(&g_report.len));
}

static void *watchdog_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&g_watch_quit)) {
		uint64_t now = now_ns(), first;
		int i;

		for (i = 0; i < g_nthreads; i++) {
			struct fz_thread *t = &g_threads[i];
			uint64_t st = atomic_load(&t->start_ns), sig, bound;
			unsigned int flags;

			if (!st || now < st || !atomic_load(&t->started))
				continue;
			flags = atomic_load(&t->flags);
			sig = atomic_load(&t->signal_at);
			if ((flags & CF_SIGNAL) && sig && now >= sig) {
				pthread_kill(t->pt, SIGUSR1);
				atomic_store(&t->signal_at, now + 50 * NS_PER_MS);
			}
			bound = call_bound_ms(flags);
			if (now - st > bound * NS_PER_MS && !atomic_exchange(&t->hang_reported, true))
				report_hang(t, now - st, bound);
		}
		first = atomic_load(&g_first_hang_ns);
		if (first && now > first + (2ULL * opt.hang_ms + 15000) * NS_PER_MS) {
			static const char msg[] = PROG ": the cleanup after the hang did not finish; giving up "
				"on the calls still stuck in the kernel\n";

			print_bounded(msg, sizeof(msg) - 1);
			_exit(EXIT_PROBLEM);
		}
		idle_ms(20);
	}
	return NULL;
}

/* ---- progress and summary ------------------------------------------------- */

static void top_errors(char *out, size_t len, int kind)
{
	uint64_t count[NERR];
	size_t used = 0;
	int e, k, n;

	for (e = 0; e < NERR; e++) {
		count[e] = 0;
		for (k = 0; k < K_NKINDS; k++)
			if (kind < 0 || k == kind)
				count[e] += atomic_load(&st_err[k][e]);
	}
	out[0] = 0;
	for (n = 0; n < 8; n++) {
		int best = -1;

		for (e = 1; e < NERR; e++)
			if (count[e] && (best < 0 || count[e] > count[best]))
				best = e;
		if (best < 0)
			break;
		used += (size_t)snprintf(out + used, len - used, "%s%s %" PRIu64, n ? ", " : "",
					 errname(best), count[best]);
		count[best] = 0;
		if (used >= len)
			break;
	}
}

static unsigned int live_devices(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < opt.devices; i++)
		if (atomic_load(&g_slots[i].state) != SLOT_EMPTY)
			n++;
	return n;
}

static void print_progress(void)
{
	char errs[256];

	top_errors(errs, sizeof(errs), -1);
	pthread_mutex_lock(&print_lock);
	printf(PROG ": %6.1fs calls %" PRIu64 "/%" PRIu64 "; devices %" PRIu64 " created, %" PRIu64
	       " destroyed, %u live, %" PRIu64 " broken, %" PRIu64 " restarts; messages %" PRIu64
	       "; chains %" PRIu64 " popped, %" PRIu64 " pushed; client I/O %" PRIu64 " blk reads, %"
	       PRIu64 " blk writes, %" PRIu64 " rng bytes; errors: %s\n",
	       secs_since_start(now_ns()), (uint64_t)atomic_load(&g_calls), opt.calls,
	       (uint64_t)atomic_load(&n_created), (uint64_t)atomic_load(&n_destroyed), live_devices(),
	       (uint64_t)atomic_load(&n_broken), (uint64_t)atomic_load(&n_restarts),
	       (uint64_t)atomic_load(&n_msgs), (uint64_t)atomic_load(&n_popped),
	       (uint64_t)atomic_load(&n_pushed), (uint64_t)atomic_load(&n_blk_reads),
	       (uint64_t)atomic_load(&n_blk_writes), (uint64_t)atomic_load(&n_rng_bytes),
	       errs[0] ? errs : "none");
	fflush(stdout);
	pthread_mutex_unlock(&print_lock);
}

static void print_summary(uint64_t calls, double secs)
{
	char errs[256];
	int k, i;

	printf("\n" PROG ": summary of seed %" PRIu64 "\n", opt.seed);
	printf("  %-14s %9s %9s  errors\n", "call", "calls", "ok");
	for (k = 0; k < K_NKINDS; k++) {
		if (!atomic_load(&st_calls[k]))
			continue;
		top_errors(errs, sizeof(errs), k);
		printf("  %-14s %9" PRIu64 " %9" PRIu64 "  %s\n", kind_names[k],
		       (uint64_t)atomic_load(&st_calls[k]), (uint64_t)atomic_load(&st_ok[k]), errs);
	}
	printf("  devices: %" PRIu64 " created, %" PRIu64 " destroyed, %" PRIu64 " backend restarts, %"
	       PRIu64 " broken\n", (uint64_t)atomic_load(&n_created), (uint64_t)atomic_load(&n_destroyed),
	       (uint64_t)atomic_load(&n_restarts), (uint64_t)atomic_load(&n_broken));
	printf("  messages: %" PRIu64 " read, %" PRIu64 " answered (%" PRIu64 " after their timeout, before "
	       "the sender gave up)\n", (uint64_t)atomic_load(&n_msgs), (uint64_t)atomic_load(&n_replies),
	       (uint64_t)atomic_load(&n_late_accepted));
	printf("  chains: %" PRIu64 " popped, %" PRIu64 " pushed, %" PRIu64 " bytes moved, %" PRIu64
	       " IRQs injected\n", (uint64_t)atomic_load(&n_popped), (uint64_t)atomic_load(&n_pushed),
	       (uint64_t)atomic_load(&n_xfer_bytes), (uint64_t)atomic_load(&n_irqs));
	printf("  clients: %" PRIu64 " blk reads (%" PRIu64 " bytes checked), %" PRIu64 " blk writes, %"
	       PRIu64 " serials, %" PRIu64 " rng bytes served\n", (uint64_t)atomic_load(&n_blk_reads),
	       (uint64_t)atomic_load(&n_blk_checked), (uint64_t)atomic_load(&n_blk_writes),
	       (uint64_t)atomic_load(&n_serials), (uint64_t)atomic_load(&n_rng_bytes));
	printf("  userfaultfd: %" PRIu64 " faults, %" PRIu64 " held until a destroy\n",
	       (uint64_t)atomic_load(&n_uffd_faults), (uint64_t)atomic_load(&n_uffd_holds));
	printf("  max_queues reached (ENOSPC): %" PRIu64 " times\n", (uint64_t)atomic_load(&n_enospc));
	pthread_mutex_lock(&surprise_lock);
	if (g_nsurprises)
		printf("  behaviour the ABI does not describe (%d kinds):\n", g_nsurprises);
	for (i = 0; i < g_nsurprises; i++)
		printf("    %s (%" PRIu64 "x)\n", g_surprises[i].text, g_surprises[i].count);
	pthread_mutex_unlock(&surprise_lock);
	printf(PROG ": result seed=%" PRIu64 " calls=%" PRIu64 " seconds=%.1f problems=%d hangs=%d "
	       "devices=%" PRIu64 " chains=%" PRIu64 " blk_reads=%" PRIu64 " verdict=%s\n", opt.seed, calls,
	       secs, atomic_load(&g_problems), atomic_load(&g_hangs), (uint64_t)atomic_load(&n_created),
	       (uint64_t)atomic_load(&n_pushed), (uint64_t)atomic_load(&n_blk_reads),
	       atomic_load(&g_problems) ? "FAIL" : "PASS");
	fflush(stdout);
}

/* ---- setup and teardown --------------------------------------------------- */

static void on_usr1(int sig)
{
	(void)sig;	/* only interrupts a blocking call */
}

static void on_stop(int sig)
{
	(void)sig;
	atomic_store(&g_stop, true);
}

static int setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_usr1;	/* no SA_RESTART: the call returns EINTR */
	if (sigaction(SIGUSR1, &sa, NULL))
		return -1;
	sa.sa_handler = on_stop;
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

static int setup_memory(void)
{
	uint8_t *p = map_pages(4 * PAGE), *big = map_pages(3 * BIG + PAGE);

	if (!p || !big)
		return -1;
	mem.big_ro = big;
	mem.big_none = big + BIG;
	mem.big_edge = big + 2 * BIG;
	if (mprotect(mem.big_ro, BIG, PROT_READ) || mprotect(mem.big_none, BIG, PROT_NONE) ||
	    mprotect(mem.big_edge + BIG, PAGE, PROT_NONE))
		return -1;
	mem.ro = p;
	mem.none = p + PAGE;
	mem.edge = p + 2 * PAGE;
	if (mprotect(mem.ro, PAGE, PROT_READ) || mprotect(mem.none, PAGE, PROT_NONE) ||
	    mprotect(p + 3 * PAGE, PAGE, PROT_NONE))
		return -1;
	return 0;
}

static int setup_slots(void)
{
	pthread_rwlockattr_t attr;
	unsigned int i;

	if (pthread_rwlockattr_init(&attr) ||
	    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
		return -1;
	for (i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &g_slots[i];

		s->index = (int)i;
		s->fd = -1;
		if (pthread_mutex_init(&s->life, NULL) || pthread_mutex_init(&s->config_lock, NULL) ||
		    pthread_mutex_init(&s->name_lock, NULL) ||
		    pthread_rwlock_init(&s->fdlock, &attr))
			return -1;
		atomic_store(&s->state, SLOT_EMPTY);
	}
	pthread_rwlockattr_destroy(&attr);
	return 0;
}

static struct fz_thread *new_thread(const char *name, int slot, void *(*fn)(void *))
{
	struct fz_thread *t = &g_threads[g_nthreads];

	snprintf(t->name, sizeof(t->name), "%s", name);
	t->index = g_nthreads;
	prng_seed(&t->rng, opt.seed, (uint64_t)g_nthreads + 1);
	t->slot = slot >= 0 ? &g_slots[slot] : NULL;
	t->fn = fn;
	pthread_mutex_init(&t->lock, NULL);
	g_nthreads++;
	return t;
}

static void *thread_entry(void *arg)
{
	struct fz_thread *t = arg;

	t->pt = pthread_self();
	atomic_store(&t->tid, (int)syscall(SYS_gettid));
	atomic_store(&t->started, true);
	return t->fn(t);
}

static int start_thread(struct fz_thread *t)
{
	pthread_t pt;
	int ret = pthread_create(&pt, NULL, thread_entry, t);

	if (ret) {
		fprintf(stderr, PROG ": pthread_create: %s\n", strerror(ret));
		return -1;
	}
	t->pt = pt;
	return 0;
}

/* Destroy devices named NAME_PREFIX...: left by an earlier run, or ours at the end. */
static int destroy_matching(struct fz_thread *t, const char *prefix, bool ours)
{
	DIR *d = opendir("/sys/class/uvdev");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		if (ours)
			problem(t, "device %s was still there after the cleanup", e->d_name);
		else
			printf(PROG ": destroying %s, left by an earlier run\n", e->d_name);
		if (do_destroy(t, e->d_name, ours ? "left over" : "left by an earlier run") < 0 &&
		    errno != ENOENT)
			problem(t, "DESTROY of leftover device %s failed with %s", e->d_name, errname(errno));
		n++;
	}
	closedir(d);
	return n;
}

/* Stop fuzzing, serve politely, destroy every device, stop the threads. */
static void cleanup_all(struct fz_thread *main_t, struct fz_thread **chaos, int nchaos,
			struct fz_thread **clients, int nclients)
{
	char prefix[16];
	unsigned int i;
	int k;

	atomic_store(&g_stop, true);
	atomic_store(&g_cleanup, true);
	for (k = 0; k < nchaos; k++)
		pthread_join(chaos[k]->pt, NULL);
	/*
	 * Every backend attached first: a driver waiting for a device
	 * without one (the hwrng core, reading one rng under one mutex)
	 * would stall the removal of the others.
	 */
	for (i = 0; i < opt.devices; i++)
		if (atomic_load(&g_slots[i].state) == SLOT_CREATED &&
		    atomic_load(&g_slots[i].ever_opened))
			open_slot(main_t, &g_slots[i]);
	for (i = 0; i < opt.devices; i++) {
		struct slot *s = &g_slots[i];

		pthread_mutex_lock(&s->life);
		if (atomic_load(&s->state) == SLOT_CREATED || atomic_load(&s->state) == SLOT_OPEN)
			destroy_slot(main_t, s, "cleanup");
		if (atomic_load(&s->state) == SLOT_DEAD) {
			if (slot_rdlock(s, 1000)) {
				check_dead(main_t, s);
				slot_unlock(s);
			}
			close_slot(main_t, s);
		}
		pthread_mutex_unlock(&s->life);
	}
	for (k = 0; k < nclients; k++)
		pthread_join(clients[k]->pt, NULL);
	atomic_store(&g_quit, true);
	for (k = 0; k < g_nthreads; k++)
		if (g_threads[k].fn == msg_thread || g_threads[k].fn == ring_thread)
			pthread_join(g_threads[k].pt, NULL);
	snprintf(prefix, sizeof(prefix), "fz%s-", g_tag);
	destroy_matching(main_t, prefix, true);
}

/* The module's max_queues, and the queues of devices that are not this run's. */
static void read_queue_limits(void)
{
	char buf[32], path[320];
	struct dirent *e;
	DIR *d;
	long n = sysfs_rw("/sys/module/uvdev/parameters/max_queues", buf, sizeof(buf), false);

	g_max_queues = n > 0 ? (uint32_t)strtoul(buf, NULL, 10) : 0;
	d = opendir("/sys/class/uvdev");
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/uvdev/%s/num_queues", e->d_name);
		if (sysfs_rw(path, buf, sizeof(buf), false) > 0)
			g_foreign_queues += (uint32_t)strtoul(buf, NULL, 10);
	}
	closedir(d);
}

static unsigned int read_module_timeout(void)
{
	char buf[32];
	long n = sysfs_rw("/sys/module/uvdev/parameters/msg_timeout_ms", buf, sizeof(buf), false);

	return n > 0 ? (unsigned int)strtoul(buf, NULL, 10) : 30000;
}

static int fuzz_main(void)
{
	struct fz_thread *main_t, *chaos[2], *clients[2], *uffd_t = NULL;
	int nchaos = 0, nclients = 0, k;
	uint64_t deadline, next_progress, calls;
	pthread_t watchdog;
	unsigned int i;
	char name[24];

	g_start_ns = now_ns();
	if (setup_signals() || setup_memory() || setup_slots()) {
		fprintf(stderr, PROG ": setup failed: %s\n", strerror(errno));
		return EXIT_PROBLEM;
	}
	g_control_fd = open(UVDEV_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (g_control_fd < 0) {
		fprintf(stderr, PROG ": %s: %s (is the uvdev module loaded, and are you root?)\n",
			UVDEV_CONTROL_PATH, strerror(errno));
		return EXIT_PROBLEM;
	}
	g_module_timeout_ms = read_module_timeout();
	snprintf(g_tag, sizeof(g_tag), "%04x", (unsigned int)((opt.seed ^ (uint64_t)getpid()) & 0xffff));
	if (enabled(C_UFFD) && uffd_setup()) {
		printf(PROG ": userfaultfd is not available (%s): faulting buffers are not used\n",
		       strerror(errno));
		opt.disabled |= 1u << C_UFFD;
	}

	main_t = new_thread("main", -1, NULL);
	main_t->pt = pthread_self();
	atomic_store(&main_t->tid, (int)syscall(SYS_gettid));
	atomic_store(&main_t->started, true);
	for (i = 0; i < opt.devices; i++) {
		snprintf(name, sizeof(name), "msg%u", i);
		new_thread(name, (int)i, msg_thread);
		snprintf(name, sizeof(name), "ring%u", i);
		new_thread(name, (int)i, ring_thread);
	}
	chaos[nchaos++] = new_thread("chaos0", -1, chaos_thread);
	chaos[nchaos++] = new_thread("chaos1", -1, chaos_thread);
	if (enabled(C_CLIENTS)) {
		if (opt.types & (1u << VIRTIO_ID_BLOCK))
			clients[nclients++] = new_thread("blk-client", -1, blk_client);
		if (opt.types & (1u << VIRTIO_ID_RNG))
			clients[nclients++] = new_thread("rng-client", -1, rng_client);
	}
	if (g_uffd >= 0)
		uffd_t = new_thread("uffd", -1, uffd_thread);

	if (pthread_create(&watchdog, NULL, watchdog_thread, NULL)) {
		fprintf(stderr, PROG ": cannot start the watchdog\n");
		return EXIT_PROBLEM;
	}
	destroy_matching(main_t, "fz", false);
	read_queue_limits();
	printf(PROG ": max_queues %u, %u queues of other devices\n", g_max_queues, g_foreign_queues);
	for (k = 1; k < g_nthreads; k++)
		if (start_thread(&g_threads[k]))
			return EXIT_PROBLEM;

	deadline = g_start_ns + (uint64_t)opt.seconds * 1000000000ULL;
	next_progress = g_start_ns + (uint64_t)opt.progress_s * 1000000000ULL;
	while (!atomic_load(&g_stop)) {
		uint64_t now = now_ns();

		if (atomic_load(&g_calls) >= opt.calls || now >= deadline)
			break;
		if (opt.progress_s && now >= next_progress) {
			print_progress();
			next_progress += (uint64_t)opt.progress_s * 1000000000ULL;
		}
		idle_ms(10);
	}
	calls = atomic_load(&g_calls);
	print_progress();
	printf(PROG ": %s; destroying every device\n",
	       atomic_load(&g_problems) ? "stopping on a problem" :
	       calls >= opt.calls ? "call budget spent" : "time is up");
	cleanup_all(main_t, chaos, nchaos, clients, nclients);
	atomic_store(&g_uffd_quit, true);
	if (uffd_t)
		pthread_join(uffd_t->pt, NULL);
	atomic_store(&g_watch_quit, true);
	pthread_join(watchdog, NULL);
	close(g_control_fd);
	print_summary(calls, secs_since_start(now_ns()));
	return atomic_load(&g_problems) ? EXIT_PROBLEM : EXIT_PASS;
}

/* ---- the supervisor: outlives a fuzzer stuck in the kernel ---------------- */

static volatile sig_atomic_t g_sup_signal;

static void on_sup_signal(int sig)
{
	g_sup_signal = sig;
}

static void dump_stacks(pid_t pid)
{
	char path[320], line[256];
	struct dirent *e;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", (int)pid, e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		printf("  task %s:\n", e->d_name);
		while (fgets(line, sizeof(line), f))
			printf("    %s", line);
		fclose(f);
	}
	closedir(d);
}

static int supervise(void)
{
	uint64_t start = now_ns(), hang_at = 0, limit;
	struct sigaction sa;
	int p[2], status, rc;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC)) {
		perror(PROG ": pipe2");
		return EXIT_PROBLEM;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror(PROG ": fork");
		return EXIT_PROBLEM;
	}
	if (pid == 0) {
		close(p[0]);
		g_status_fd = p[1];
		rc = fuzz_main();
		fflush(stdout);
		_exit(rc);
	}
	close(p[1]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sup_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		pid_t w = waitpid(pid, &status, WNOHANG);
		uint64_t now;

		if (w == pid) {
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			printf(PROG ": the fuzzer process died of signal %d\n", WTERMSIG(status));
			return EXIT_PROBLEM;
		}
		if (g_sup_signal) {
			kill(pid, SIGTERM);
			g_sup_signal = 0;
		}
		if (poll(&pfd, p[0] >= 0 ? 1 : 0, 200) > 0) {
			char b[64];
			ssize_t n = read(p[0], b, sizeof(b)), i;

			if (n <= 0) {
				close(p[0]);
				p[0] = -1;
			}
			for (i = 0; i < n; i++)
				if (b[i] == 'H' && !hang_at)
					hang_at = now_ns();
		}
		now = now_ns();
		limit = hang_at ? hang_at + (2ULL * opt.hang_ms + 20000) * NS_PER_MS :
			start + ((uint64_t)opt.seconds + 60) * 1000000000ULL + 3ULL * opt.hang_ms * NS_PER_MS;
		if (now > limit) {
			printf(PROG ": %s; its kernel stacks:\n", hang_at ?
			       "the fuzzer process is stuck in the kernel after the hang it reported" :
			       "the fuzzer process did not finish in time");
			dump_stacks(pid);
			fflush(stdout);
			kill(pid, SIGKILL);
			return EXIT_PROBLEM;
		}
	}
}

/* ---- command line --------------------------------------------------------- */

static void usage(FILE *f)
{
	int i;

	fprintf(f,
"NAME\n"
"    uvdev-fuzz - fuzz the uvdev backend ABI as a misbehaving backend\n"
"\n"
"SYNOPSIS\n"
"    uvdev-fuzz [--seed N] [--calls N] [--seconds N] [--devices N]\n"
"               [--types LIST] [--disable LIST] [--enable LIST] [--hang-ms MS]\n"
"               [--time-scale N]\n"
"               [--progress SEC] [--keep-going] [--trace]\n"
"\n"
"DESCRIPTION\n"
"    Creates virtio devices through " UVDEV_CONTROL_PATH " and serves them\n"
"    itself, with raw ioctls, from several threads per device: a message\n"
"    thread answers control messages, a ring thread pops, transfers and\n"
"    pushes chains (or pushes and pops in one VQ_SERVE), two chaos threads\n"
"    create, open, close (a backend restart), destroy (with the fd open and\n"
"    closed) and call every other ioctl, and clients use the kernel's\n"
"    drivers (O_DIRECT reads and writes on the virtio_blk disks, GET_ID\n"
"    through sysfs, /dev/hwrng).\n"
"\n"
"    Most messages are answered and most chains served correctly, so the\n"
"    drivers bind and real I/O flows. Mixed in: malformed arguments in every\n"
"    field, NULL, unmapped, read-only, misaligned and kernel pointers (large\n"
"    transfers, whose pages the kernel pins, included), duplicate and wrong\n"
"    completions, replies late, refused with any errno, wrong or never sent,\n"
"    chains held back, IRQ storms, kick eventfds replaced by junk, buffers\n"
"    that fault through userfaultfd until a destroy has returned, creates\n"
"    with bad flags or a busy-waiting driver without UVDEV_CREATE_F_BUSY_WAIT,\n"
"    devices filling the module's max_queues until ENOSPC, QUEUE_STATE on\n"
"    the control node with each field wrong, and a second DESTROY, a CREATE\n"
"    of the same name and an open while a device is being destroyed.\n"
"\n"
"    Every answer is checked against kernel/include/uapi/uvdev.h and the\n"
"    README: a call that must fail and succeeds, a valid call that fails\n"
"    with an argument error, data that reaches the wrong place (disks hold\n"
"    a pattern of their offset; writes must carry it, reads must return\n"
"    it), a broken or destroyed device that does not say so, a CREATE that\n"
"    ENOSPC refuses though max_queues has room (or that exceeds it), a\n"
"    QUEUE_STATE that contradicts the backend's own view, a DESTROY longer\n"
"    than the message timeout plus a second plus %u ms, are problems.\n"
"    A call that does not return within its bound is a hang: its kernel\n"
"    stack is printed. Errnos the ABI does not list are reported as notes.\n"
"\n"
"    Each thread has its own generator seeded from --seed, so a seed\n"
"    replays the same decisions; thread timing still varies. At the end it\n"
"    destroys every device it created (and, at the start, devices left by\n"
"    an earlier run: names fz, four hex digits and a dash), so the module\n"
"    can unload. A supervisor process outlives a fuzzer stuck in the\n"
"    kernel.\n"
"\n"
"OPTIONS\n"
"    --seed N        the seed (default: from the clock; printed)\n"
"    --calls N       stop after N system calls (default 20000)\n"
"    --seconds N     stop after N seconds (default 60)\n"
"    --devices N     devices at a time, 1..%d (default 4)\n"
"    --types LIST    device types, of blk,rng,net,console (default all)\n"
"    --disable LIST  misbehaviour not to use (comma-separated; 'all' makes\n"
"                    a well-behaved backend, a baseline):\n"
"                   ", DESTROY_SLACK_MS, MAX_SLOTS);
	for (i = 0; i < C_NCLASSES; i++) {
		if (OFF_BY_DEFAULT & (1u << i))
			continue;
		fprintf(f, " %s%s", class_names[i], i % 6 == 5 ? "\n                   " : "");
	}
	fprintf(f,
"\n"
"    --enable LIST   misbehaviour off by default, because it hangs one of\n"
"                    the kernel's drivers rather than uvdev:\n"
"                    short-rng  complete rng requests with fewer bytes than\n"
"                               asked, or none. With none, virtio_rng never\n"
"                               asks again; with fewer, Debian 6.1's\n"
"                               virtio_rng (copy_data()'s clamp) can be left\n"
"                               with bytes it never hands out and no request\n"
"                               posted. Either way its reader waits forever\n"
"                               holding the hwrng core's reading_mutex, and\n"
"                               every rng probe and removal waits with it.\n"
"    --hang-ms MS    a call that takes longer is a hang (default 10000;\n"
"                    clients' I/O and faulting transfers get more)\n"
"    --time-scale N  multiply the hang bound and the slack of DESTROY and of\n"
"                    late replies by N, 1..100, for slow kernels (default 1)\n"
"    --progress SEC  a progress line every SEC seconds, 0 for none (default 5)\n"
"    --keep-going    report problems and go on (a hang still ends the run)\n"
"    --trace         print every call to stderr\n"
"    -h, --help      this help\n"
"\n"
"OUTPUT\n"
"    Progress lines, PROBLEM and HANG reports with the calls that led to\n"
"    them, notes, a summary per call and a last line\n"
"    'uvdev-fuzz: result seed=N calls=N ... verdict=PASS|FAIL'.\n"
"\n"
"EXIT STATUS\n"
"    0  the budget ran out and the kernel did nothing the ABI rules out\n"
"    1  a problem or a hang was found, or the fuzzer could not run\n"
"    2  usage error\n"
"\n"
"EXAMPLES\n"
"    uvdev-fuzz --seed 1 --calls 100000\n"
"    uvdev-fuzz --seed 7 --types rng --disable uffd,clients --trace\n");
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || *end || *out < min || *out > max)
		return -1;
	return 0;
}

static int parse_types(const char *list)
{
	char buf[128], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", list);
	opt.types = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "blk"))
			opt.types |= 1u << VIRTIO_ID_BLOCK;
		else if (!strcmp(tok, "rng"))
			opt.types |= 1u << VIRTIO_ID_RNG;
		else if (!strcmp(tok, "net"))
			opt.types |= 1u << VIRTIO_ID_NET;
		else if (!strcmp(tok, "console"))
			opt.types |= 1u << VIRTIO_ID_CONSOLE;
		else
			return -1;
	}
	return opt.types ? 0 : -1;
}

/* --disable (@on false) or --enable (@on true) a list of classes. */
static int parse_classes(const char *list, bool on)
{
	char buf[512], *tok, *save;
	int i;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!on && !strcmp(tok, "all")) {
			opt.disabled = ((1u << C_NCLASSES) - 1) & ~(1u << C_CLIENTS);
			continue;
		}
		for (i = 0; i < C_NCLASSES; i++)
			if (!strcmp(tok, class_names[i]))
				break;
		if (i == C_NCLASSES)
			return -1;
		if (on)
			opt.disabled &= ~(1u << i);
		else
			opt.disabled |= 1u << i;
	}
	return 0;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; see " PROG " --help\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "devices", required_argument, NULL, 'd' },
		{ "types", required_argument, NULL, 't' },
		{ "disable", required_argument, NULL, 'x' },
		{ "enable", required_argument, NULL, 'e' },
		{ "hang-ms", required_argument, NULL, 'H' },
		{ "time-scale", required_argument, NULL, 'X' },
		{ "progress", required_argument, NULL, 'p' },
		{ "trace", no_argument, NULL, 'T' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool seeded = false;
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_u64(optarg, 0, UINT64_MAX, &opt.seed))
				return usage_error("--seed wants a number, not '%s'", optarg);
			seeded = true;
			break;
		case 'c':
			if (parse_u64(optarg, 1, UINT64_MAX, &opt.calls))
				return usage_error("--calls wants a positive number, not '%s'", optarg);
			break;
		case 'S':
			if (parse_u64(optarg, 1, 1000000, &v))
				return usage_error("--seconds wants 1..1000000, not '%s'", optarg);
			opt.seconds = (unsigned int)v;
			break;
		case 'd':
			if (parse_u64(optarg, 1, MAX_SLOTS, &v))
				return usage_error("--devices wants 1..16, not '%s'", optarg);
			opt.devices = (unsigned int)v;
			break;
		case 't':
			if (parse_types(optarg))
				return usage_error("--types wants a list of blk,rng,net,console, not '%s'", optarg);
			break;
		case 'x':
			if (parse_classes(optarg, false))
				return usage_error("--disable: unknown class in '%s' (the classes are in --help)",
						   optarg);
			break;
		case 'e':
			if (parse_classes(optarg, true))
				return usage_error("--enable: unknown class in '%s' (the classes are in --help)",
						   optarg);
			break;
		case 'H':
			if (parse_u64(optarg, 1000, 3600000, &v))
				return usage_error("--hang-ms wants 1000..3600000, not '%s'", optarg);
			opt.hang_ms = (unsigned int)v;
			break;
		case 'X':
			if (parse_u64(optarg, 1, 100, &v))
				return usage_error("--time-scale wants 1..100, not '%s'", optarg);
			opt.time_scale = (unsigned int)v;
			break;
		case 'p':
			if (parse_u64(optarg, 0, 3600, &v))
				return usage_error("--progress wants 0..3600, not '%s'", optarg);
			opt.progress_s = (unsigned int)v;
			break;
		case 'T':
			opt.trace = true;
			break;
		case 'k':
			opt.keep_going = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_PASS;
		default:
			fprintf(stderr, "see " PROG " --help\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!seeded)
		opt.seed = now_ns() ^ ((uint64_t)getpid() << 32);
	opt.hang_ms *= opt.time_scale;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf(PROG ": seed %" PRIu64 ", %" PRIu64 " calls, %u s, %u devices, hang bound %u ms "
	       "(rerun: " PROG " --seed %" PRIu64 " --calls %" PRIu64 " --seconds %u --devices %u)\n",
	       opt.seed, opt.calls, opt.seconds, opt.devices, opt.hang_ms, opt.seed, opt.calls,
	       opt.seconds, opt.devices);
	return supervise();
}
