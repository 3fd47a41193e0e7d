/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake of the uvdev ring ioctls, for unit tests of the code above them.
 * Linked with -Wl,--wrap=ioctl, it answers VQ_POP, VQ_XFER, VQ_PUSH and
 * VQ_SERVE (counted as a serve alone, not as a push and a pop) on one
 * queue of chains that a test adds, following the ABI's rules (partial
 * success, ENOENT, ERANGE, a failed first op as -1 and errno), and counts
 * the calls so a test can check how many syscalls a batch costs.
 */
#ifndef FAKE_UVDEV_H
#define FAKE_UVDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <uapi/uvdev.h>

#define FAKE_FD			1000
#define FAKE_MAX_CHAINS		512

enum fake_chain_state {
	FAKE_AVAIL,
	FAKE_POPPED,
	FAKE_USED,
};

struct fake_chain {
	uint8_t *out;		/* driver -> device bytes */
	uint32_t out_len;
	uint8_t *in;		/* device -> driver bytes */
	uint32_t in_len;
	enum fake_chain_state state;
	uint32_t used_len;
	int fail_read;		/* errno for XFER reads of this chain, or 0 */
};

struct fake_uvdev {
	int fd;			/* the device fd it answers for, FAKE_FD */
	uint32_t num_queues;	/* 1; chains are all on queue 0 */
	struct fake_chain chains[FAKE_MAX_CHAINS];
	uint32_t nchains;
	uint32_t next_avail;
	int pop_error;		/* errno for every VQ_POP, or 0 */
	int xfer_error;		/* errno for every VQ_XFER, or 0 */
	int kick_error;		/* errno for every VQ_SET_KICKFD, or 0 */
	/* An XFER op whose buffer overlaps [fault_lo, fault_hi) faults: EFAULT. */
	const uint8_t *fault_lo, *fault_hi;
	int kick_fd[UVDEV_MAX_QUEUES];	/* as set by VQ_SET_KICKFD, or -1 */
	/* What the code under test did. */
	unsigned int pops, xfers, pushes, serves, irqs;
	unsigned int xfer_ops, pushed;
	uint32_t used_order[FAKE_MAX_CHAINS];
};

extern struct fake_uvdev fake;
/* Held by every fake ioctl; tests that run threads take it to look. */
extern pthread_mutex_t fake_lock;

/* Forget every chain and count; free their buffers. */
void fake_reset(void);

/*
 * Make a chain available: @out_len bytes of @out, @in_len bytes for the
 * device to fill (preset to 0xee). Returns its head.
 */
uint32_t fake_add_chain(const void *out, uint32_t out_len, uint32_t in_len);

#endif /* FAKE_UVDEV_H */
