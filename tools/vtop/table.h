/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The table both text renderers draw (the screen and plain text): which
 * columns, how each cell reads, the order of the rows, and histogram bars
 * for the drill-down. Lines are plain ASCII.
 */
#ifndef VTOP_TABLE_H
#define VTOP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "view.h"

enum vtop_col {
	VTOP_COL_NAME,
	VTOP_COL_QUEUE,
	VTOP_COL_KICKS,
	VTOP_COL_POPS,
	VTOP_COL_PUSHES,
	VTOP_COL_IRQS,
	VTOP_COL_BYTES,
	VTOP_COL_INFLIGHT,
	VTOP_COL_OLDEST,
	VTOP_COL_WAIT50,
	VTOP_COL_WAIT99,
	VTOP_COL_SVC50,
	VTOP_COL_SVC99,
	VTOP_COL_IRQ99,
	VTOP_COL_ZC,
	VTOP_COL_STATE,
	VTOP_COL_COUNT
};

struct vtop_table {
	bool show[VTOP_COL_COUNT];
	int name_width;
	/*
	 * Tree: queue rows sit under their device with "q<N>" in the name
	 * column and no queue column (the screen). Otherwise every row
	 * carries its device name and queue number (plain text).
	 */
	bool tree;
};

/* Every column, the name column as wide as the longest name (plain text). */
void vtop_table_full(struct vtop_table *t, const struct vtop_view *v);

/*
 * The columns that fit in @width (the screen): the required ones always,
 * then pops/s, pushes/s, bytes/s and oldest age while they fit.
 */
void vtop_table_fit(struct vtop_table *t, const struct vtop_view *v, int width);

/*
 * A line of the table into @buf; each returns the offset of the state cell
 * (its marker character: '!' for a failure state), so a renderer can
 * highlight it.
 */
int vtop_table_header(const struct vtop_table *t, char *buf, size_t len);
int vtop_table_device(const struct vtop_table *t, const struct vtop_dev_row *d,
		      char *buf, size_t len);
int vtop_table_queue(const struct vtop_table *t, const struct vtop_dev_row *d,
		     const struct vtop_queue_row *q, char *buf, size_t len);

/* Cells, at most 5 characters: "850ns", "1.2us", "13ms", "2.5s". */
void vtop_fmt_duration(uint64_t ns, char *buf, size_t len);
/* "0", "2.5", "123", "4567", "12.3k", "1.2M". */
void vtop_fmt_rate(double v, char *buf, size_t len);
/* vtop's BPF cost for the header: "312ns/event", "-" (none yet), "off", "n/a". */
const char *vtop_fmt_cost(const struct vtop_cost *c, char *buf, size_t len);

enum vtop_sort {
	VTOP_SORT_NAME,
	VTOP_SORT_KICKS,
	VTOP_SORT_IRQS,
	VTOP_SORT_INFLIGHT,
	VTOP_SORT_WAIT99,
	VTOP_SORT_SVC99,
	VTOP_SORT_IRQ99,
	VTOP_SORT_STATE,
	VTOP_SORT_COUNT
};

const char *vtop_sort_name(enum vtop_sort s);

/* One displayed row: a device or a queue, by index into the view. */
struct vtop_table_row {
	bool is_queue;
	size_t index;
};

/*
 * The visible rows in display order: each device, then its queues, both
 * sorted by @sort (numbers highest first, names and ids ascending; a
 * device by the sum or the highest of its queues). @rows holds at least
 * ndevs + nqueues entries. Returns how many were written, or -ENOMEM.
 */
int vtop_table_order(const struct vtop_view *v, enum vtop_sort sort,
		     struct vtop_table_row *rows);

/*
 * Histogram bars: the range of non-empty slots (false when all are
 * empty), and one line per slot: "  1.0us -   2.0us |#####     | 42"
 * with the bar scaled to @max over @bar_width characters.
 */
bool vtop_hist_range(const uint64_t *hist, unsigned int *lo, unsigned int *hi);
void vtop_hist_line(const uint64_t *hist, unsigned int slot, uint64_t max,
		    int bar_width, char *buf, size_t len);

#endif /* VTOP_TABLE_H */
