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

/* Where a simulation's clock starts (1 s: time 0 is "never" for some deadlines). */
#define US_SIM_START_NS 1000000000ULL

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
/*
 * Notes on us_sim_run:
 * - One round polls every stack once, in the order they were added, all with the
 *   clock at the same instant; rounds repeat at that instant until nothing is due
 *   (frames cross a zero-delay link within the instant), then the clock jumps to the
 *   earliest next event of any stack (its timers, frames released by its links).
 * - With @done NULL the run simply advances the simulation to @until_ns (idle time
 *   is skipped) and returns -ETIMEDOUT; use it to step a scenario in time.
 * - When it returns -ETIMEDOUT the clock of every stack reads @until_ns (the user
 *   may act at that time, then run again).
 * - More than 2^24 rounds at one instant (a storm that never lets time move)
 *   returns -ELOOP.
 */

/*
 * Changes the impairments of the direction of a link that ends at device @dev_name
 * of @st (the frames that device receives) from now on; NULL = perfect. Frames in
 * flight keep their release times. For partitions (loss 1), changing conditions.
 * 0, -ENOENT when no link ends there, -EINVAL for a bad config.
 */
US_API_EXPORT int us_sim_link_set(struct us_sim *sim, struct us_stack *st, const char *dev_name,
				  const struct us_sim_link_cfg *cfg);

/* What one direction of a link did to its frames. */
struct us_sim_link_stats {
	uint64_t in, out, lost, duplicated, corrupted, reordered, queue_drops;
};
/* The counters of the direction of a link that ends at device @dev_name of @st (the
 * frames that device receives). 0, or -ENOENT when no link ends there. */
US_API_EXPORT int us_sim_link_stats(const struct us_sim *sim, struct us_stack *st,
				    const char *dev_name, struct us_sim_link_stats *out);

#ifdef __cplusplus
}
#endif
#endif
