// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberately broken module for the debug tier's self-test: as it loads,
 * it commits the one bug its "bug" parameter names, and the harness must
 * fail the case that loaded it on the debug kernel's report of that bug.
 *
 *   none     nothing (the harness must pass the case)
 *   leak     allocates and forgets an object (kmemleak)
 *   sleep    might_sleep() under a spinlock (DEBUG_ATOMIC_SLEEP)
 *   odebug   frees a work item still queued (DEBUG_OBJECTS_WORK)
 *   kasan    reads a freed object (KASAN)
 *   lockdep  takes two mutexes in both orders (PROVE_LOCKING)
 *
 * Every bug is one the kernel survives: the leak is small, the queued work
 * item is cancelled by debugobjects' fixup before its memory goes, the read
 * after free reads memory KASAN keeps in quarantine, and the two lock
 * orders are taken one after the other by one thread.
 */
#include <linux/completion.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>

static char *bug = "none";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "the bug to commit at load: none, leak, sleep, odebug, kasan, lockdep");

static void *leaked;

static noinline int commit_leak(void)
{
	leaked = kmalloc(128, GFP_KERNEL);
	if (!leaked)
		return -ENOMEM;
	memset(leaked, 0x5a, 128);
	/* The only reference goes: kmemleak finds nothing that points at it. */
	WRITE_ONCE(leaked, NULL);
	return 0;
}

static DEFINE_SPINLOCK(atomic_lock);

static noinline int commit_sleep(void)
{
	spin_lock(&atomic_lock);
	might_sleep();
	spin_unlock(&atomic_lock);
	return 0;
}

struct held_work {
	struct work_struct work;
	struct completion *release;
};

static void held_work_fn(struct work_struct *work)
{
	struct held_work *h = container_of(work, struct held_work, work);

	wait_for_completion(h->release);
}

static void nop_work_fn(struct work_struct *work)
{
}

/*
 * An ordered workqueue runs one item at a time: the first item waits for a
 * completion, so the second stays queued while its memory is freed.
 */
static noinline int commit_odebug(void)
{
	DECLARE_COMPLETION_ONSTACK(release);
	struct workqueue_struct *wq;
	struct held_work first = { .release = &release };
	struct work_struct *second;
	int ret = 0;

	wq = alloc_ordered_workqueue("uvdev_selftest", 0);
	if (!wq)
		return -ENOMEM;
	second = kmalloc(sizeof(*second), GFP_KERNEL);
	if (!second) {
		ret = -ENOMEM;
		goto out;
	}
	INIT_WORK_ONSTACK(&first.work, held_work_fn);
	INIT_WORK(second, nop_work_fn);
	queue_work(wq, &first.work);
	queue_work(wq, second);
	kfree(second);		/* ODEBUG: free active ... work_struct */
	complete(&release);
	flush_work(&first.work);
	destroy_work_on_stack(&first.work);
out:
	destroy_workqueue(wq);
	return ret;
}

static noinline int commit_kasan(void)
{
	char *p;

	p = kmalloc(64, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	kfree(p);
	/* The compiler must not see that p was freed: the read has to happen. */
	OPTIMIZER_HIDE_VAR(p);
	pr_info("uvdev_selftest_debug: read after free: %d\n", READ_ONCE(p[8]));
	return 0;
}

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);

static noinline int commit_lockdep(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);

	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
	return 0;
}

static int __init uvdev_selftest_debug_init(void)
{
	if (!strcmp(bug, "none"))
		return 0;
	if (!strcmp(bug, "leak"))
		return commit_leak();
	if (!strcmp(bug, "sleep"))
		return commit_sleep();
	if (!strcmp(bug, "odebug"))
		return commit_odebug();
	if (!strcmp(bug, "kasan"))
		return commit_kasan();
	if (!strcmp(bug, "lockdep"))
		return commit_lockdep();
	pr_err("uvdev_selftest_debug: unknown bug '%s'\n", bug);
	return -EINVAL;
}

static void __exit uvdev_selftest_debug_exit(void)
{
}

module_init(uvdev_selftest_debug_init);
module_exit(uvdev_selftest_debug_exit);

MODULE_DESCRIPTION("uvdev debug tier self-test: one deliberate bug at load");
MODULE_LICENSE("GPL");
