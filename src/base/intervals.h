/*
 * intervals.h - a small sorted set of disjoint half-open intervals [start, end)
 * of 32-bit offsets, with merging. TCP uses it for the receiver's out-of-order
 * data (offsets from RCV.NXT; SACK blocks are derived from it, RFC 2018) and for
 * the sender's SACK scoreboard (offsets from SND.UNA, RFC 6675).
 *
 * The number of intervals is bounded (US_INTERVALS_MAX): a peer cannot make us
 * track unbounded fragmentation of the sequence space (a new interval beyond the
 * bound is refused and the caller drops the data, as Linux prunes its ofo queue).
 * Every operation is O(US_INTERVALS_MAX).
 */
#ifndef US_BASE_INTERVALS_H
#define US_BASE_INTERVALS_H

#include <stdbool.h>
#include <stdint.h>

#define US_INTERVALS_MAX 64

struct us_interval {
	uint32_t start, end; /* start < end */
};

struct us_intervals {
	uint32_t n;
	struct us_interval iv[US_INTERVALS_MAX]; /* sorted by start, disjoint, not adjacent */
	uint32_t last_added; /* index of the interval the last add touched (RFC 2018 4: the
	                      * first SACK block reports the most recent segment) */
};

static inline void us_intervals_init(struct us_intervals *s) { s->n = 0; s->last_added = 0; }
/*
 * Adds [start, end), merging with overlapping or adjacent intervals.
 * Returns 0, or -ENOSPC when it would need a new interval and the set is full (the
 * set is unchanged then), -EINVAL if start >= end.
 */
int us_intervals_add(struct us_intervals *s, uint32_t start, uint32_t end);
/* Removes [start, end) from the set (splitting an interval may need room: -ENOSPC). */
int us_intervals_remove(struct us_intervals *s, uint32_t start, uint32_t end);
/* Shifts every offset down by @n (the base advanced), dropping what falls below 0. */
void us_intervals_advance(struct us_intervals *s, uint32_t n);
/* Is every offset of [start, end) in the set? */
bool us_intervals_covers(const struct us_intervals *s, uint32_t start, uint32_t end);
/* Bytes of [start, end) that are in the set. */
uint32_t us_intervals_count_in(const struct us_intervals *s, uint32_t start, uint32_t end);
/* Total bytes in the set. */
uint32_t us_intervals_total(const struct us_intervals *s);
/* If the set has an interval starting at 0, its end (the contiguous prefix); else 0. */
uint32_t us_intervals_prefix(const struct us_intervals *s);

#endif
