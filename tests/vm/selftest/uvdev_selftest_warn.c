// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberately broken module for the VM harness's self-test: it warns as
 * it loads, or with hang_ms set it blocks its loader uninterruptibly that
 * long; the harness must fail the case that loaded it either way.
 */
#include <linux/bug.h>
#include <linux/delay.h>
#include <linux/module.h>

static unsigned int hang_ms;
module_param(hang_ms, uint, 0444);
MODULE_PARM_DESC(hang_ms, "Block the loading task in D state this long instead of warning");

static int __init uvdev_selftest_warn_init(void)
{
	if (hang_ms)
		msleep(hang_ms);
	else
		WARN_ON(1);
	return 0;
}

static void __exit uvdev_selftest_warn_exit(void)
{
}

module_init(uvdev_selftest_warn_init);
module_exit(uvdev_selftest_warn_exit);

MODULE_DESCRIPTION("uvdev VM harness self-test: WARN_ON or a hung task at load");
MODULE_LICENSE("GPL");
