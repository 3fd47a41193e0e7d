// SPDX-License-Identifier: GPL-2.0
/*
 * vtop's own BPF cost per event (see cost.h).
 */
#include <stdio.h>
#include <string.h>

#include "cost.h"

double vtop_cost_ns_per_event(const struct vtop_cost *c)
{
	if (c->state != VTOP_COST_MEASURED || !c->runs)
		return -1;
	return (double)c->run_ns / (double)c->runs;
}

const char *vtop_cost_state_name(enum vtop_cost_state s)
{
	static const char *const names[VTOP_COST_STATES] = {
		[VTOP_COST_WAITING] = "waiting",
		[VTOP_COST_MEASURED] = "measured",
		[VTOP_COST_OFF] = "off",
		[VTOP_COST_UNAVAILABLE] = "unavailable",
	};

	return (unsigned int)s < VTOP_COST_STATES ? names[s] : "unknown";
}

const char *vtop_cost_describe(const struct vtop_cost *c, char *buf, size_t len)
{
	const char *by = c->elsewhere ? " (BPF stats on by another tool)" : "";

	switch (c->state) {
	case VTOP_COST_MEASURED:
		snprintf(buf, len, "measured over %llu events%s", (unsigned long long)c->runs, by);
		break;
	case VTOP_COST_WAITING:
		snprintf(buf, len, "no uvdev event has run vtop's programs while measured%s", by);
		break;
	case VTOP_COST_OFF:
		snprintf(buf, len, "not measured: --no-cost, and no other tool has BPF stats on");
		break;
	case VTOP_COST_UNAVAILABLE:
		snprintf(buf, len, "not measured: the kernel refused BPF_ENABLE_STATS: %s",
			 strerror(c->err));
		break;
	default:
		snprintf(buf, len, "unknown");
		break;
	}
	return buf;
}

bool vtop_cost_due(const struct vtop_cost *c, unsigned long interval)
{
	switch (c->state) {
	case VTOP_COST_WAITING:
		return true;
	case VTOP_COST_MEASURED:
		return interval % VTOP_COST_EVERY == 0;
	default:
		return false;
	}
}

void vtop_cost_meter_init(struct vtop_cost_meter *m, bool may_enable, bool elsewhere)
{
	memset(m, 0, sizeof(*m));
	m->fig.elsewhere = elsewhere;
	m->fig.state = may_enable || elsewhere ? VTOP_COST_WAITING : VTOP_COST_OFF;
}

void vtop_cost_meter_read(struct vtop_cost_meter *m, uint64_t run_ns, uint64_t runs,
			  uint64_t now_ns)
{
	/* Both counters move together, and only while the stats are on. */
	if (m->have_last && runs > m->last_runs && run_ns >= m->last_ns) {
		m->fig.state = VTOP_COST_MEASURED;
		m->fig.err = 0;
		m->fig.run_ns = run_ns - m->last_ns;
		m->fig.runs = runs - m->last_runs;
		m->fig.at_ns = now_ns;
		if (!m->holding)
			m->fig.elsewhere = true;
	}
	m->have_last = true;
	m->last_ns = run_ns;
	m->last_runs = runs;
}

void vtop_cost_meter_switched(struct vtop_cost_meter *m, bool holding, int err,
			      uint64_t run_ns, uint64_t runs)
{
	m->holding = holding && !err;
	if (err) {
		m->fig.err = -err;
		if (m->fig.state != VTOP_COST_MEASURED)
			m->fig.state = VTOP_COST_UNAVAILABLE;
	} else if (holding && m->fig.state == VTOP_COST_OFF) {
		m->fig.state = VTOP_COST_WAITING;
	}
	/* Runs between the last reading and the switch belong to no interval. */
	m->have_last = true;
	m->last_ns = run_ns;
	m->last_runs = runs;
}
