// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberately broken module for the VM harness's self-test: it warns as
 * it loads, and the harness must fail the case that loaded it.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init uvdev_selftest_warn_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit uvdev_selftest_warn_exit(void)
{
}

module_init(uvdev_selftest_warn_init);
module_exit(uvdev_selftest_warn_exit);

MODULE_DESCRIPTION("uvdev VM harness self-test: WARN_ON at load");
MODULE_LICENSE("GPL");
