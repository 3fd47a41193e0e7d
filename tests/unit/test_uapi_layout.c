// SPDX-License-Identifier: GPL-2.0
/*
 * The uvdev ioctl ABI has one layout for every caller: sizes, offsets and
 * ioctl numbers are pinned here, so a change to them is deliberate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <uapi/uvdev.h>

static void create_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct uvdev_create), 104);
	assert_int_equal(offsetof(struct uvdev_create, device_id), 32);
	assert_int_equal(offsetof(struct uvdev_create, features), 40);
	assert_int_equal(offsetof(struct uvdev_create, config), 64);
	assert_int_equal(offsetof(struct uvdev_create, dev_id), 72);
	assert_int_equal(offsetof(struct uvdev_create, flags), 76);
	assert_int_equal(offsetof(struct uvdev_create, notif_max), 80);
	assert_int_equal(offsetof(struct uvdev_create, zc_window_pages), 84);
	assert_int_equal(sizeof(struct uvdev_destroy), 48);
}

static void queue_state_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct uvdev_queue_state), 72);
	assert_int_equal(offsetof(struct uvdev_queue_state, pending), 16);
	assert_int_equal(offsetof(struct uvdev_queue_state, pending_since_ns), 24);
	assert_int_equal(offsetof(struct uvdev_queue_state, now_ns), 48);
	assert_int_equal(offsetof(struct uvdev_queue_state, status), 56);
	assert_int_equal(offsetof(struct uvdev_queue_state, slot), 60);
	assert_int_equal(offsetof(struct uvdev_queue_state, serial), 64);
}

static void notif_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct uvdev_notify), 24);
	assert_int_equal(offsetof(struct uvdev_notify, values), 8);
	assert_int_equal(sizeof(struct uvdev_notif_wait), 24);
	assert_int_equal(offsetof(struct uvdev_notif_wait, waited_ns), 16);
	assert_int_equal(sizeof(struct uvdev_notif_state), 120);
	assert_int_equal(offsetof(struct uvdev_notif_state, oldest_wait_ns), 24);
	assert_int_equal(offsetof(struct uvdev_notif_state, now_ns), 112);
}

static void ioctl_numbers(void **state)
{
	(void)state;
	assert_int_equal(UVDEV_IOC_CREATE, 0xc068e500);
	assert_int_equal(UVDEV_IOC_DESTROY, 0x4030e501);
	assert_int_equal(UVDEV_IOC_QUEUE_STATE, 0xc048e502);
	assert_int_equal(UVDEV_IOC_NOTIF_WAIT, 0xc018e503);
	assert_int_equal(UVDEV_IOC_NOTIF_STATE, 0xc078e504);
	assert_int_equal(UVDEV_IOC_NOTIFY, 0x4018e519);
	assert_int_equal(UVDEV_IOC_ZC_MAP, 0xc040e51a);
	assert_int_equal(UVDEV_IOC_ZC_REAP, 0x4010e51b);
	assert_int_equal(UVDEV_IOC_ZC_INFO, 0x8040e51c);
	assert_int_equal(UVDEV_IOC_VQ_SERVE, 0xc038e51d);
}

static void ring_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct uvdev_vq_pop), 32);
	assert_int_equal(sizeof(struct uvdev_vq_push), 24);
	assert_int_equal(sizeof(struct uvdev_vq_serve), 56);
	assert_int_equal(offsetof(struct uvdev_vq_serve, push_count), 4);
	assert_int_equal(offsetof(struct uvdev_vq_serve, used), 8);
	assert_int_equal(offsetof(struct uvdev_vq_serve, push_flags), 16);
	assert_int_equal(offsetof(struct uvdev_vq_serve, pop_max), 20);
	assert_int_equal(offsetof(struct uvdev_vq_serve, elems), 24);
	assert_int_equal(offsetof(struct uvdev_vq_serve, peek_len), 32);
	assert_int_equal(offsetof(struct uvdev_vq_serve, pushed), 36);
	assert_int_equal(offsetof(struct uvdev_vq_serve, peek_buf), 40);
	assert_int_equal(offsetof(struct uvdev_vq_serve, reserved), 48);
}

static void zero_copy_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct uvdev_zc_map), 64);
	assert_int_equal(offsetof(struct uvdev_zc_map, segs), 32);
	assert_int_equal(offsetof(struct uvdev_zc_map, id), 40);
	assert_int_equal(sizeof(struct uvdev_zc_seg), 16);
	assert_int_equal(sizeof(struct uvdev_zc_completion), 16);
	assert_int_equal(sizeof(struct uvdev_zc_reap), 16);
	assert_int_equal(sizeof(struct uvdev_zc_info), 64);
	assert_int_equal(offsetof(struct uvdev_zc_info, maps), 24);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_layout),
		cmocka_unit_test(queue_state_layout),
		cmocka_unit_test(notif_layout),
		cmocka_unit_test(ioctl_numbers),
		cmocka_unit_test(ring_layout),
		cmocka_unit_test(zero_copy_layout),
	};

	return cmocka_run_group_tests_name("uapi_layout", tests, NULL, NULL);
}
