/*
 * sim.h - the deterministic network simulator (MISSION I1): several stacks in
 * one process on one virtual clock, joined by in-memory links that lose, delay,
 * jitter, reorder, duplicate, corrupt and rate-limit frames from a seed. A
 * scenario runs as fast as the CPU allows and replays exactly from its seed.
 */
#ifndef USTACK_SIM_H
#define USTACK_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "ustack/ustack.h"

#ifdef __cplusplus
extern "C" {
#endif

struct us_sim;

/* Impairments of one direction of a link; all zero = a perfect link. */
struct us_sim_link_cfg {
	double loss;             /* probability 0..1 */
	double dup;
	double corrupt;
	double reorder;
	uint64_t delay_ns;
	uint64_t jitter_ns;
	uint64_t rate_bps;       /* 0 = unlimited */
	uint32_t limit;          /* frames queued at most, 0 = 1000 */
};

US_API_EXPORT struct us_sim *us_sim_new(uint64_t seed);
/* Frees every stack and link of the simulation. */
US_API_EXPORT void us_sim_free(struct us_sim *sim);
/* A new stack on the simulation's clock (seeded from the simulation seed and its index). */
US_API_EXPORT struct us_stack *us_sim_add_stack(struct us_sim *sim, const char *name);
/*
 * Joins @a and @b with a link: a device @name_a in @a with @addr_a/@plen and @name_b in
 * @b with @addr_b/@plen (host-order addresses), each direction impaired by its config
 * (NULL = perfect). 0 or -errno.
 */
US_API_EXPORT int us_sim_link(struct us_sim *sim, struct us_stack *a, const char *name_a,
			      uint32_t addr_a, struct us_stack *b, const char *name_b,
			      uint32_t addr_b, unsigned plen, const struct us_sim_link_cfg *a_to_b,
			      const struct us_sim_link_cfg *b_to_a);
US_API_EXPORT uint64_t us_sim_now_ns(const struct us_sim *sim);
/*
 * Runs the simulation: repeatedly polls every stack and jumps the clock to the next
 * event (timer, frame release), until @done(@arg) returns true (checked after every
 * round; may be NULL) or the clock passes @until_ns. Returns 0 when done, -ETIMEDOUT
 * when the time ran out, -EDEADLK when nothing can ever happen again (no timer, no
 * frame in flight) before done.
 */
US_API_EXPORT int us_sim_run(struct us_sim *sim, uint64_t until_ns, bool (*done)(void *arg),
			     void *arg);

#ifdef __cplusplus
}
#endif
#endif
