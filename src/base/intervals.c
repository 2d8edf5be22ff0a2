/*
 * intervals.c - a bounded, sorted set of disjoint half-open intervals [start, end) of
 * 32-bit offsets. TCP keeps the receiver's out-of-order data in one (offsets from
 * RCV.NXT; SACK blocks come from it, RFC 2018) and the sender's SACK scoreboard in
 * another (offsets from SND.UNA, RFC 6675).
 *
 * Invariants kept by every operation (and relied on by every query):
 *   - iv[0 .. n-1] sorted by start, each start < end;
 *   - disjoint and not adjacent: iv[i].end < iv[i+1].start (touching intervals merge,
 *     so a contiguous run of data is always one interval and "covers" needs only one);
 *   - n <= US_INTERVALS_MAX: growth beyond the bound is refused with -ENOSPC and the
 *     set left as it was, so the caller can drop the segment (memory stays bounded
 *     whatever a peer sends, as Linux prunes its out-of-order queue);
 *   - last_added < n whenever n > 0.
 *
 * Offsets are plain uint32_t compared as numbers, not sequence numbers: in TCP use
 * they are distances from a base (RCV.NXT or SND.UNA), below 2^31 because windows are
 * (RFC 7323 2.3 caps the scaled window at 2^30). Nothing is asserted about them: the
 * full range works, an end of UINT32_MAX included, and no operation adds two offsets,
 * so nothing can overflow. The sum in us_intervals_total() cannot either: disjoint
 * intervals inside [0, UINT32_MAX] hold at most UINT32_MAX offsets.
 *
 * last_added: the index of the interval the most recent add produced, so TCP can put
 * the block holding the newest segment first in its SACK option (RFC 2018 section 4).
 * Remove and advance keep it on the same interval when that interval survives (its
 * index may shift); if it disappears it falls back to the nearest valid index.
 *
 * Every operation is one linear pass over at most US_INTERVALS_MAX entries.
 */
#include "base/intervals.h"

#include <errno.h>
#include <string.h>

/* Inserts @iv at index @i (n < US_INTERVALS_MAX checked by the caller). */
static void iv_insert(struct us_intervals *s, uint32_t i, struct us_interval iv)
{
	memmove(&s->iv[i + 1], &s->iv[i], (s->n - i) * sizeof(s->iv[0]));
	s->iv[i] = iv;
	s->n++;
}

int us_intervals_add(struct us_intervals *s, uint32_t start, uint32_t end)
{
	uint32_t i, j, gone;

	if (start >= end)
		return -EINVAL;
	/* First interval that ends at or after start: it overlaps or touches, or lies after. */
	for (i = 0; i < s->n && s->iv[i].end < start; i++)
		;
	/* One past the last interval that starts at or before end (overlapping or touching). */
	for (j = i; j < s->n && s->iv[j].start <= end; j++)
		;
	if (i == j) {
		/* Touches nothing: a new interval at i. */
		if (s->n == US_INTERVALS_MAX)
			return -ENOSPC;
		iv_insert(s, i, (struct us_interval){ start, end });
	} else {
		/* iv[i .. j-1] all overlap or touch [start, end): they become one interval. */
		if (s->iv[i].start < start)
			start = s->iv[i].start;
		if (s->iv[j - 1].end > end)
			end = s->iv[j - 1].end;
		s->iv[i].start = start;
		s->iv[i].end = end;
		gone = j - i - 1;
		if (gone) {
			memmove(&s->iv[i + 1], &s->iv[j], (s->n - j) * sizeof(s->iv[0]));
			s->n -= gone;
		}
	}
	s->last_added = i;
	return 0;
}

/*
 * After a pass that rewrote the array, points last_added at the new index @kept of its
 * interval, or (if that interval vanished, @kept == UINT32_MAX) at @near clamped to n.
 */
static void fix_last_added(struct us_intervals *s, uint32_t kept, uint32_t near)
{
	if (kept != UINT32_MAX)
		s->last_added = kept;
	else if (s->n == 0)
		s->last_added = 0;
	else
		s->last_added = near < s->n ? near : s->n - 1;
}

int us_intervals_remove(struct us_intervals *s, uint32_t start, uint32_t end)
{
	uint32_t i, w, kept = UINT32_MAX;

	if (start >= end)
		return -EINVAL;
	/*
	 * Only an interval strictly containing [start, end) splits, and only one can (they
	 * are disjoint). Handle it first, so the general pass below never grows the set.
	 */
	for (i = 0; i < s->n && s->iv[i].end <= end; i++)
		;
	if (i < s->n && s->iv[i].start < start) {
		/* iv[i].start < start < end < iv[i].end */
		if (s->n == US_INTERVALS_MAX)
			return -ENOSPC;
		iv_insert(s, i + 1, (struct us_interval){ end, s->iv[i].end });
		s->iv[i].end = start;
		if (s->last_added > i)
			s->last_added++;
		return 0;
	}
	/* General case: each interval survives whole, trimmed on one side, or not at all. */
	for (i = 0, w = 0; i < s->n; i++) {
		struct us_interval iv = s->iv[i];

		if (iv.end > start && iv.start < end) {
			if (iv.start < start)
				iv.end = start; /* keeps its left part */
			else if (iv.end > end)
				iv.start = end; /* keeps its right part */
			else
				continue; /* wholly removed */
		}
		if (i == s->last_added)
			kept = w;
		s->iv[w++] = iv;
	}
	s->n = w;
	fix_last_added(s, kept, s->last_added);
	return 0;
}

void us_intervals_advance(struct us_intervals *s, uint32_t n)
{
	uint32_t i, w, kept = UINT32_MAX;

	if (n == 0)
		return;
	for (i = 0, w = 0; i < s->n; i++) {
		struct us_interval iv = s->iv[i];

		if (iv.end <= n)
			continue; /* wholly below the new base */
		iv.start = iv.start > n ? iv.start - n : 0;
		iv.end -= n;
		if (i == s->last_added)
			kept = w;
		s->iv[w++] = iv;
	}
	/* Only a prefix of the set can be dropped, so a lost last_added maps to index 0. */
	s->n = w;
	fix_last_added(s, kept, 0);
}

bool us_intervals_covers(const struct us_intervals *s, uint32_t start, uint32_t end)
{
	if (start >= end)
		return true; /* the empty range */
	/* Adjacent intervals are merged, so covered means covered by one interval. */
	for (uint32_t i = 0; i < s->n; i++) {
		if (s->iv[i].end > start)
			return s->iv[i].start <= start && s->iv[i].end >= end;
	}
	return false;
}

uint32_t us_intervals_count_in(const struct us_intervals *s, uint32_t start, uint32_t end)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < s->n && s->iv[i].start < end; i++) {
		uint32_t a = s->iv[i].start > start ? s->iv[i].start : start;
		uint32_t b = s->iv[i].end < end ? s->iv[i].end : end;

		if (a < b)
			sum += b - a;
	}
	return sum;
}

uint32_t us_intervals_total(const struct us_intervals *s)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < s->n; i++)
		sum += s->iv[i].end - s->iv[i].start;
	return sum;
}

uint32_t us_intervals_prefix(const struct us_intervals *s)
{
	return s->n > 0 && s->iv[0].start == 0 ? s->iv[0].end : 0;
}
