/*
 * sim.c - the deterministic network simulator of include/ustack/sim.h
 * (MISSION I1): several stacks in one process and one thread, one virtual
 * clock for all of them, joined by in-memory links whose two directions each
 * run a seeded impairment engine (dev/impair.h).
 *
 * A link is a pair of dev_pair devices, one in each stack. A frame sent on one
 * end is copied into the other stack's buffers and offered to the engine of
 * that direction, which holds it until its release time (delay, jitter,
 * serialisation at the link rate) or loses, duplicates, corrupts or reorders
 * it; the receiving device reports the next release time through next_rx_ns(),
 * which us_stack_next_deadline_ns() folds into the stack's next deadline.
 *
 * The run loop (us_sim_run):
 *   1. set every stack's clock to the simulation's time and poll each once
 *      (timers, receive, hooks, transmit), in the order the stacks were added;
 *   2. ask done();
 *   3. the next event is the minimum of every stack's next deadline; if it is
 *      now (a frame crossed a zero-delay link, output is left over), go to 1 at
 *      the same instant; if there is none, nothing can ever happen again
 *      (-EDEADLK); if it lies beyond the time limit, stop there (-ETIMEDOUT);
 *      otherwise jump the clock to it and go to 1.
 * Time never passes between events, so a scenario of minutes of virtual time
 * runs in milliseconds, and nothing depends on the host: the same seed gives
 * the same stacks (their hash keys, MACs, ports and ISNs derive from it), the
 * same engines, the same polling order, hence the same packets.
 *
 * Never reads the real clock and never sleeps.
 */
#include "ustack/sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack.h"
#include "base/hash.h"
#include "dev/impair.h"
#include "dev/netdev.h"

#define SIM_MAX_STACKS 64
#define SIM_MAX_LINK_ENDS (SIM_MAX_STACKS * US_MAX_DEVS)
#define SIM_MAX_ROUNDS_PER_INSTANT (1u << 24)

/* Salts keep the seed streams of stacks and link directions apart. */
#define SALT_STACK 0x57ac000000000000ULL
#define SALT_LINK 0x11c0000000000000ULL

/* The receiving end of one direction of a link, and the engine in front of it. */
struct link_end {
	struct us_stack *st;
	int ifindex;
	struct us_impair *imp; /* owned by the device */
};

struct us_sim {
	uint64_t seed;
	uint64_t now_ns;
	struct us_stack *stacks[SIM_MAX_STACKS];
	unsigned nstacks;
	struct link_end ends[SIM_MAX_LINK_ENDS];
	unsigned nends;
	unsigned nlinks;
};

static uint64_t derive_seed(const struct us_sim *sim, uint64_t salt, uint64_t index)
{
	return us_mix64(us_mix64(sim->seed) ^ salt ^ index);
}

US_API struct us_sim *us_sim_new(uint64_t seed)
{
	struct us_sim *sim = calloc(1, sizeof(*sim));

	if (!sim)
		return NULL;
	sim->seed = seed;
	sim->now_ns = US_SIM_START_NS;
	return sim;
}

US_API void us_sim_free(struct us_sim *sim)
{
	if (!sim)
		return;
	/* Closing a pair end detaches its peer, so stacks may go in any order. */
	for (unsigned i = 0; i < sim->nstacks; i++)
		us_stack_free(sim->stacks[i]);
	free(sim);
}

US_API struct us_stack *us_sim_add_stack(struct us_sim *sim, const char *name)
{
	struct us_stack_opts o = { 0 };
	char defname[16];
	struct us_stack *st;

	if (!sim || sim->nstacks >= SIM_MAX_STACKS)
		return NULL;
	if (!name) {
		snprintf(defname, sizeof(defname), "sim%u", sim->nstacks);
		name = defname;
	}
	o.name = name;
	o.virtual_clock = true;
	o.clock_start_ns = sim->now_ns;
	o.seed = derive_seed(sim, SALT_STACK, sim->nstacks);
	st = us_stack_new(&o);
	if (!st)
		return NULL;
	sim->stacks[sim->nstacks++] = st;
	return st;
}

static bool sim_owns(const struct us_sim *sim, const struct us_stack *st)
{
	for (unsigned i = 0; i < sim->nstacks; i++)
		if (sim->stacks[i] == st)
			return true;
	return false;
}

/* A probability 0..1 as parts per million; false when out of range (or NaN). */
static bool prob_to_ppm(double p, uint32_t *ppm)
{
	if (!(p >= 0.0 && p <= 1.0))
		return false;
	*ppm = (uint32_t)(p * 1e6 + 0.5);
	return true;
}

static int cfg_from_sim(const struct us_sim_link_cfg *lc, uint64_t seed, struct us_impair_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->seed = seed;
	if (!lc)
		return 0;
	if (!prob_to_ppm(lc->loss, &c->loss_ppm) || !prob_to_ppm(lc->dup, &c->dup_ppm) ||
	    !prob_to_ppm(lc->corrupt, &c->corrupt_ppm) ||
	    !prob_to_ppm(lc->reorder, &c->reorder_ppm) || lc->limit > US_IMPAIR_LIMIT_MAX)
		return -EINVAL;
	c->delay_ns = lc->delay_ns;
	c->jitter_ns = lc->jitter_ns;
	c->rate_bps = lc->rate_bps;
	c->limit = lc->limit;
	return 0;
}

/* Puts an engine configured by @c in front of device @ifindex of @st. */
static int attach_engine(struct us_sim *sim, struct us_stack *st, int ifindex,
			 const struct us_impair_cfg *c)
{
	struct us_netdev *dev = us_netdev_by_index(st, ifindex);
	struct us_impair *imp;
	int err;

	if (!dev)
		return -ENODEV;
	imp = us_impair_new(c, &st->pool);
	if (!imp)
		return -ENOMEM;
	err = dev_pair_set_impair(dev, imp);
	if (err) {
		us_impair_free(imp);
		return err;
	}
	sim->ends[sim->nends++] = (struct link_end){ .st = st, .ifindex = ifindex, .imp = imp };
	return 0;
}

US_API int us_sim_link(struct us_sim *sim, struct us_stack *a, const char *name_a, uint32_t addr_a,
		       struct us_stack *b, const char *name_b, uint32_t addr_b, unsigned plen,
		       const struct us_sim_link_cfg *a_to_b, const struct us_sim_link_cfg *b_to_a)
{
	struct us_impair_cfg ab, ba;
	int ia, ib = -1, err;

	if (!sim || !sim_owns(sim, a) || !sim_owns(sim, b) || plen > 32)
		return -EINVAL;
	if (sim->nends + 2 > SIM_MAX_LINK_ENDS)
		return -ENOSPC;
	/* Each direction its own random stream, fixed by the seed and the link's number. */
	err = cfg_from_sim(a_to_b, derive_seed(sim, SALT_LINK, 2ULL * sim->nlinks), &ab);
	if (!err)
		err = cfg_from_sim(b_to_a, derive_seed(sim, SALT_LINK, 2ULL * sim->nlinks + 1), &ba);
	if (err)
		return err;
	ia = us_dev_pair_new(a, name_a, b, name_b, &ib);
	if (ia < 0)
		return ia;
	sim->nlinks++;
	/* Frames from a to b are impaired on arrival at b, with b's buffers, and back. */
	err = attach_engine(sim, b, ib, &ab);
	if (!err)
		err = attach_engine(sim, a, ia, &ba);
	if (!err)
		err = us_addr_add(a, ia, addr_a, plen);
	if (!err)
		err = us_addr_add(b, ib, addr_b, plen);
	return err < 0 ? err : 0;
}

US_API uint64_t us_sim_now_ns(const struct us_sim *sim) { return sim->now_ns; }

/* The engine in front of device @dev_name of @st, or NULL. */
static struct us_impair *find_engine(const struct us_sim *sim, struct us_stack *st,
				     const char *dev_name)
{
	struct us_netdev *dev = us_netdev_by_name(st, dev_name);

	if (!dev)
		return NULL;
	for (unsigned i = 0; i < sim->nends; i++) {
		const struct link_end *e = &sim->ends[i];

		if (e->st == st && e->ifindex == dev->ifindex)
			return e->imp;
	}
	return NULL;
}

US_API int us_sim_link_set(struct us_sim *sim, struct us_stack *st, const char *dev_name,
			   const struct us_sim_link_cfg *cfg)
{
	struct us_impair_cfg c;
	struct us_impair *imp;

	if (!sim || !st || !dev_name)
		return -EINVAL;
	imp = find_engine(sim, st, dev_name);
	if (!imp)
		return -ENOENT;
	if (cfg_from_sim(cfg, 0, &c))
		return -EINVAL;
	us_impair_set_cfg(imp, &c);
	return 0;
}

US_API int us_sim_link_stats(const struct us_sim *sim, struct us_stack *st, const char *dev_name,
			     struct us_sim_link_stats *out)
{
	const struct us_impair_stats *s;
	struct us_impair *imp;

	if (!sim || !st || !dev_name || !out)
		return -EINVAL;
	imp = find_engine(sim, st, dev_name);
	if (!imp)
		return -ENOENT;
	s = us_impair_stats(imp);
	*out = (struct us_sim_link_stats){
		.in = s->in,
		.out = s->out,
		.lost = s->lost,
		.duplicated = s->duplicated,
		.corrupted = s->corrupted,
		.reordered = s->reordered,
		.queue_drops = s->queue_drops,
	};
	return 0;
}

/* Every stack's clock (and its idea of "now") to the simulation's time. */
static void set_clocks(struct us_sim *sim)
{
	for (unsigned i = 0; i < sim->nstacks; i++) {
		us_stack_clock_set(sim->stacks[i], sim->now_ns);
		us_stack_update_time(sim->stacks[i]);
	}
}

static uint64_t next_event(struct us_sim *sim)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < sim->nstacks; i++) {
		uint64_t t = us_stack_next_deadline_ns(sim->stacks[i]);

		if (t < next)
			next = t;
	}
	return next;
}

US_API int us_sim_run(struct us_sim *sim, uint64_t until_ns, bool (*done)(void *arg), void *arg)
{
	unsigned rounds_now = 0;

	if (!sim)
		return -EINVAL;
	for (;;) {
		uint64_t next;

		set_clocks(sim);
		for (unsigned i = 0; i < sim->nstacks; i++)
			us_stack_poll(sim->stacks[i]);
		if (done && done(arg))
			return 0;
		next = next_event(sim);
		if (next <= sim->now_ns) {
			/* More work at this instant (frames crossing zero-delay links). */
			if (++rounds_now >= SIM_MAX_ROUNDS_PER_INSTANT)
				return -ELOOP;
			continue;
		}
		rounds_now = 0;
		if (next == UINT64_MAX && done)
			return -EDEADLK;
		if (next > until_ns) {
			if (until_ns > sim->now_ns) {
				sim->now_ns = until_ns;
				set_clocks(sim);
			}
			return -ETIMEDOUT;
		}
		sim->now_ns = next;
	}
}
