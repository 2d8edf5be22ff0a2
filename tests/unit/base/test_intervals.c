/*
 * test_intervals.c - the bounded interval set (src/base/intervals.c): every merge case of
 * add, the US_INTERVALS_MAX bound (-ENOSPC leaves the set byte-for-byte unchanged),
 * remove and its split, advance, the queries, last_added, offsets at the top of the
 * 32-bit range, and a randomized run checked step by step against a bitmap model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/intervals.h"

/* Asserts the set is exactly the @n intervals given as start, end pairs in @want. */
static void expect_set(const struct us_intervals *s, const uint32_t *want, uint32_t n)
{
	assert_int_equal(s->n, n);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(s->iv[i].start, want[2 * i]);
		assert_int_equal(s->iv[i].end, want[2 * i + 1]);
	}
}

#define EXPECT_SET(s, ...)                                                            \
	do {                                                                          \
		static const uint32_t want_[] = { __VA_ARGS__ };                      \
		expect_set((s), want_, (uint32_t)(sizeof(want_) / sizeof(want_[0])) / 2); \
	} while (0)

/* The invariants every operation must keep. */
static void check_invariants(const struct us_intervals *s)
{
	assert_true(s->n <= US_INTERVALS_MAX);
	for (uint32_t i = 0; i < s->n; i++) {
		assert_true(s->iv[i].start < s->iv[i].end);
		if (i + 1 < s->n)
			assert_true(s->iv[i].end < s->iv[i + 1].start); /* disjoint, not adjacent */
	}
	if (s->n > 0)
		assert_true(s->last_added < s->n);
}

/* The base set used by the merge tests: [10,20) [30,40) [50,60) [70,80). */
static void four(struct us_intervals *s)
{
	us_intervals_init(s);
	assert_int_equal(us_intervals_add(s, 50, 60), 0);
	assert_int_equal(us_intervals_add(s, 10, 20), 0);
	assert_int_equal(us_intervals_add(s, 70, 80), 0);
	assert_int_equal(us_intervals_add(s, 30, 40), 0);
	EXPECT_SET(s, 10, 20, 30, 40, 50, 60, 70, 80);
	assert_int_equal(s->last_added, 1);
}

static void intervals_add_disjoint_sorted(void **state)
{
	struct us_intervals s;

	(void)state;
	us_intervals_init(&s);
	assert_int_equal(s.n, 0);
	assert_int_equal(us_intervals_total(&s), 0);
	assert_int_equal(us_intervals_prefix(&s), 0);
	assert_int_equal(us_intervals_add(&s, 100, 110), 0);
	assert_int_equal(s.last_added, 0);
	assert_int_equal(us_intervals_add(&s, 0, 5), 0); /* before */
	assert_int_equal(s.last_added, 0);
	assert_int_equal(us_intervals_add(&s, 200, 201), 0); /* after */
	assert_int_equal(s.last_added, 2);
	assert_int_equal(us_intervals_add(&s, 50, 60), 0); /* between */
	assert_int_equal(s.last_added, 1);
	EXPECT_SET(&s, 0, 5, 50, 60, 100, 110, 200, 201);
	check_invariants(&s);
}

static void intervals_add_invalid(void **state)
{
	struct us_intervals s;

	(void)state;
	four(&s);
	assert_int_equal(us_intervals_add(&s, 5, 5), -EINVAL);
	assert_int_equal(us_intervals_add(&s, 6, 5), -EINVAL);
	assert_int_equal(us_intervals_add(&s, UINT32_MAX, UINT32_MAX), -EINVAL);
	assert_int_equal(us_intervals_remove(&s, 15, 15), -EINVAL);
	assert_int_equal(us_intervals_remove(&s, 16, 15), -EINVAL);
	EXPECT_SET(&s, 10, 20, 30, 40, 50, 60, 70, 80);
	assert_int_equal(s.last_added, 1);
}

static void intervals_add_merges(void **state)
{
	struct us_intervals s;

	(void)state;
	/* Overlap on the left side of an interval. */
	four(&s);
	assert_int_equal(us_intervals_add(&s, 25, 35), 0);
	EXPECT_SET(&s, 10, 20, 25, 40, 50, 60, 70, 80);
	assert_int_equal(s.last_added, 1);
	/* Overlap on the right side. */
	four(&s);
	assert_int_equal(us_intervals_add(&s, 55, 65), 0);
	EXPECT_SET(&s, 10, 20, 30, 40, 50, 65, 70, 80);
	assert_int_equal(s.last_added, 2);
	/* Inside an interval: nothing changes but last_added. */
	four(&s);
	assert_int_equal(us_intervals_add(&s, 72, 78), 0);
	EXPECT_SET(&s, 10, 20, 30, 40, 50, 60, 70, 80);
	assert_int_equal(s.last_added, 3);
	/* Exactly an existing interval. */
	four(&s);
	assert_int_equal(us_intervals_add(&s, 10, 20), 0);
	EXPECT_SET(&s, 10, 20, 30, 40, 50, 60, 70, 80);
	assert_int_equal(s.last_added, 0);
	/* Containing one interval with room on both sides. */
	four(&s);
	assert_int_equal(us_intervals_add(&s, 28, 42), 0);
	EXPECT_SET(&s, 10, 20, 28, 42, 50, 60, 70, 80);
	assert_int_equal(s.last_added, 1);
	/* Spanning many: from inside the first to inside the last. */
	four(&s);
	assert_int_equal(us_intervals_add(&s, 15, 75), 0);
	EXPECT_SET(&s, 10, 80);
	assert_int_equal(s.last_added, 0);
	/* Spanning the middle two, from a gap to a gap. */
	four(&s);
	assert_int_equal(us_intervals_add(&s, 25, 65), 0);
	EXPECT_SET(&s, 10, 20, 25, 65, 70, 80);
	assert_int_equal(s.last_added, 1);
	/* Swallowing everything. */
	four(&s);
	assert_int_equal(us_intervals_add(&s, 0, 1000), 0);
	EXPECT_SET(&s, 0, 1000);
	assert_int_equal(s.last_added, 0);
	check_invariants(&s);
}

static void intervals_add_adjacent(void **state)
{
	struct us_intervals s;

	(void)state;
	/* Touching the end of one interval (half-open: [20,25) touches [10,20)). */
	four(&s);
	assert_int_equal(us_intervals_add(&s, 20, 25), 0);
	EXPECT_SET(&s, 10, 25, 30, 40, 50, 60, 70, 80);
	assert_int_equal(s.last_added, 0);
	/* Touching the start of one. */
	four(&s);
	assert_int_equal(us_intervals_add(&s, 45, 50), 0);
	EXPECT_SET(&s, 10, 20, 30, 40, 45, 60, 70, 80);
	assert_int_equal(s.last_added, 2);
	/* Filling a gap exactly: both neighbours merge. */
	four(&s);
	assert_int_equal(us_intervals_add(&s, 40, 50), 0);
	EXPECT_SET(&s, 10, 20, 30, 60, 70, 80);
	assert_int_equal(s.last_added, 1);
	/* Filling every gap one by one leaves one interval. */
	assert_int_equal(us_intervals_add(&s, 20, 30), 0);
	assert_int_equal(us_intervals_add(&s, 60, 70), 0);
	EXPECT_SET(&s, 10, 80);
	/* One short of touching stays separate. */
	four(&s);
	assert_int_equal(us_intervals_add(&s, 21, 29), 0);
	EXPECT_SET(&s, 10, 20, 21, 29, 30, 40, 50, 60, 70, 80);
	assert_int_equal(s.last_added, 1);
	check_invariants(&s);
}

/* A full set: intervals [5i, 5i+2) for i < US_INTERVALS_MAX; [5i+3, 5i+4) touches none. */
static void full(struct us_intervals *s)
{
	us_intervals_init(s);
	for (uint32_t i = 0; i < US_INTERVALS_MAX; i++)
		assert_int_equal(us_intervals_add(s, 5 * i, 5 * i + 2), 0);
	assert_int_equal(s->n, US_INTERVALS_MAX);
	check_invariants(s);
}

static void intervals_bound(void **state)
{
	struct us_intervals s, before;
	const uint32_t top = 5 * US_INTERVALS_MAX;

	(void)state;
	full(&s);
	assert_int_equal(s.last_added, US_INTERVALS_MAX - 1);
	assert_int_equal(us_intervals_add(&s, 10, 11), 0); /* inside [10,12): last_added moves */
	assert_int_equal(s.last_added, 2);
	before = s;
	/* Any add that needs a new interval is refused and changes nothing, last_added too. */
	assert_int_equal(us_intervals_add(&s, top + 1, top + 5), -ENOSPC); /* after the last */
	assert_memory_equal(&s, &before, sizeof(s));
	assert_int_equal(us_intervals_add(&s, 38, 39), -ENOSPC); /* in the gap [37,40) */
	assert_memory_equal(&s, &before, sizeof(s));
	assert_int_equal(us_intervals_add(&s, UINT32_MAX - 1, UINT32_MAX), -ENOSPC);
	assert_memory_equal(&s, &before, sizeof(s));
	/* Touching a neighbour needs no slot. */
	assert_int_equal(us_intervals_add(&s, 27, 28), 0); /* [25,27) becomes [25,28) */
	assert_int_equal(s.n, US_INTERVALS_MAX);
	assert_int_equal(s.iv[5].end, 28);
	assert_int_equal(s.last_added, 5);
	assert_int_equal(us_intervals_add(&s, 3, 5), 0); /* [5,7) becomes [3,7) */
	assert_int_equal(s.iv[1].start, 3);
	check_invariants(&s);

	/* A bridging add frees a slot, which the next new interval takes. */
	full(&s);
	assert_int_equal(us_intervals_add(&s, 2, 5), 0); /* bridges [0,2) and [5,7) */
	assert_int_equal(s.n, US_INTERVALS_MAX - 1);
	assert_int_equal(s.iv[0].start, 0);
	assert_int_equal(s.iv[0].end, 7);
	assert_int_equal(s.iv[1].start, 10);
	assert_int_equal(us_intervals_add(&s, top + 10, top + 20), 0);
	assert_int_equal(s.n, US_INTERVALS_MAX);
	assert_int_equal(s.last_added, US_INTERVALS_MAX - 1);
	before = s;
	assert_int_equal(us_intervals_add(&s, top + 21, top + 22), -ENOSPC);
	assert_memory_equal(&s, &before, sizeof(s));
	/* One add swallowing the whole set. */
	assert_int_equal(us_intervals_add(&s, 1, top + 21), 0);
	EXPECT_SET(&s, 0, top + 21);
	assert_int_equal(s.last_added, 0);
	check_invariants(&s);
}

static void intervals_remove(void **state)
{
	struct us_intervals s, before;

	(void)state;
	/* Split an interval in two. */
	four(&s);
	assert_int_equal(us_intervals_remove(&s, 33, 36), 0);
	EXPECT_SET(&s, 10, 20, 30, 33, 36, 40, 50, 60, 70, 80);
	/* Trim the left of one. */
	four(&s);
	assert_int_equal(us_intervals_remove(&s, 5, 12), 0);
	EXPECT_SET(&s, 12, 20, 30, 40, 50, 60, 70, 80);
	/* Trim the right of one, removal ending in a gap. */
	four(&s);
	assert_int_equal(us_intervals_remove(&s, 55, 65), 0);
	EXPECT_SET(&s, 10, 20, 30, 40, 50, 55, 70, 80);
	/* Exactly one interval. */
	four(&s);
	assert_int_equal(us_intervals_remove(&s, 30, 40), 0);
	EXPECT_SET(&s, 10, 20, 50, 60, 70, 80);
	/* Edge-aligned inside: no split needed. */
	four(&s);
	assert_int_equal(us_intervals_remove(&s, 30, 35), 0);
	assert_int_equal(us_intervals_remove(&s, 58, 60), 0);
	EXPECT_SET(&s, 10, 20, 35, 40, 50, 58, 70, 80);
	/* Across many: trims both ends, drops the middle ones. */
	four(&s);
	assert_int_equal(us_intervals_remove(&s, 15, 75), 0);
	EXPECT_SET(&s, 10, 15, 75, 80);
	/* Only gaps: nothing changes. */
	four(&s);
	assert_int_equal(us_intervals_remove(&s, 20, 30), 0);
	assert_int_equal(us_intervals_remove(&s, 0, 10), 0);
	assert_int_equal(us_intervals_remove(&s, 80, UINT32_MAX), 0);
	EXPECT_SET(&s, 10, 20, 30, 40, 50, 60, 70, 80);
	/* Everything. */
	assert_int_equal(us_intervals_remove(&s, 0, UINT32_MAX), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.last_added, 0);
	assert_int_equal(us_intervals_remove(&s, 1, 2), 0);
	assert_int_equal(s.n, 0);

	/* A split in a full set needs a slot: refused, unchanged. Trims still work. */
	full(&s);
	assert_int_equal(us_intervals_remove(&s, 6, 7), 0); /* trims [5,7) to [5,6) */
	assert_int_equal(s.iv[1].end, 6);
	assert_int_equal(us_intervals_remove(&s, 0, 1), 0); /* trims [0,2) to [1,2) */
	assert_int_equal(s.iv[0].start, 1);
	assert_int_equal(s.n, US_INTERVALS_MAX);
	full(&s);
	assert_int_equal(us_intervals_add(&s, 0, 3), 0); /* [0,3) */
	before = s;
	assert_int_equal(us_intervals_remove(&s, 1, 2), -ENOSPC);
	assert_memory_equal(&s, &before, sizeof(s));
	/* Removing a whole interval frees a slot for the split. */
	assert_int_equal(us_intervals_remove(&s, 5, 7), 0);
	assert_int_equal(s.n, US_INTERVALS_MAX - 1);
	assert_int_equal(us_intervals_remove(&s, 1, 2), 0);
	assert_int_equal(s.n, US_INTERVALS_MAX);
	assert_int_equal(s.iv[0].start, 0);
	assert_int_equal(s.iv[0].end, 1);
	assert_int_equal(s.iv[1].start, 2);
	assert_int_equal(s.iv[1].end, 3);
	assert_int_equal(s.iv[2].start, 10);
	assert_int_equal(s.iv[2].end, 12);
	check_invariants(&s);
}

static void intervals_last_added_follows(void **state)
{
	struct us_intervals s;

	(void)state;
	four(&s);
	assert_int_equal(us_intervals_add(&s, 55, 57), 0);
	assert_int_equal(s.last_added, 2); /* [50,60) */
	/* A split before it shifts it up by one. */
	assert_int_equal(us_intervals_remove(&s, 12, 14), 0);
	assert_int_equal(s.last_added, 3);
	assert_int_equal(s.iv[s.last_added].start, 50);
	/* A split after it leaves it. */
	assert_int_equal(us_intervals_remove(&s, 72, 74), 0);
	assert_int_equal(s.last_added, 3);
	/* Removing intervals before it shifts it down. */
	assert_int_equal(us_intervals_remove(&s, 0, 45), 0);
	assert_int_equal(s.last_added, 0);
	assert_int_equal(s.iv[0].start, 50);
	/* Trimming it keeps it. */
	assert_int_equal(us_intervals_remove(&s, 50, 52), 0);
	assert_int_equal(s.last_added, 0);
	assert_int_equal(s.iv[0].start, 52);
	/* Removing it leaves a valid index. */
	assert_int_equal(us_intervals_add(&s, 100, 110), 0);
	assert_int_equal(s.last_added, 3);
	assert_int_equal(us_intervals_remove(&s, 100, 110), 0);
	assert_int_equal(s.n, 3);
	assert_true(s.last_added < s.n);
	/* Advance past intervals before it shifts it down. */
	four(&s);
	assert_int_equal(us_intervals_add(&s, 75, 76), 0);
	us_intervals_advance(&s, 35);
	EXPECT_SET(&s, 0, 5, 15, 25, 35, 45);
	assert_int_equal(s.last_added, 2);
	us_intervals_advance(&s, 50);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.last_added, 0);
	four(&s);
	us_intervals_advance(&s, 45); /* drops [30,40), the last added */
	assert_int_equal(s.last_added, 0);
	check_invariants(&s);
}

static void intervals_advance(void **state)
{
	struct us_intervals s;

	(void)state;
	four(&s);
	us_intervals_advance(&s, 0);
	EXPECT_SET(&s, 10, 20, 30, 40, 50, 60, 70, 80);
	us_intervals_advance(&s, 5);
	EXPECT_SET(&s, 5, 15, 25, 35, 45, 55, 65, 75);
	us_intervals_advance(&s, 5); /* first interval now starts at 0 */
	EXPECT_SET(&s, 0, 10, 20, 30, 40, 50, 60, 70);
	assert_int_equal(us_intervals_prefix(&s), 10);
	us_intervals_advance(&s, 10); /* exactly past the first: dropped */
	EXPECT_SET(&s, 10, 20, 30, 40, 50, 60);
	us_intervals_advance(&s, 15); /* inside the first: truncated */
	EXPECT_SET(&s, 0, 5, 15, 25, 35, 45);
	us_intervals_advance(&s, 20); /* inside the second, past the first */
	EXPECT_SET(&s, 0, 5, 15, 25);
	us_intervals_advance(&s, UINT32_MAX);
	assert_int_equal(s.n, 0);
	us_intervals_advance(&s, 3);
	assert_int_equal(s.n, 0);
	check_invariants(&s);
}

static void intervals_queries(void **state)
{
	struct us_intervals s;

	(void)state;
	four(&s);
	assert_int_equal(us_intervals_total(&s), 40);
	assert_int_equal(us_intervals_prefix(&s), 0);

	assert_true(us_intervals_covers(&s, 10, 20));
	assert_true(us_intervals_covers(&s, 11, 19));
	assert_true(us_intervals_covers(&s, 19, 20));
	assert_false(us_intervals_covers(&s, 9, 20));
	assert_false(us_intervals_covers(&s, 10, 21));
	assert_false(us_intervals_covers(&s, 15, 35)); /* spans a gap */
	assert_false(us_intervals_covers(&s, 20, 30));
	assert_false(us_intervals_covers(&s, 80, 81));
	assert_false(us_intervals_covers(&s, 0, 1));
	assert_true(us_intervals_covers(&s, 5, 5)); /* empty range: vacuously */

	assert_int_equal(us_intervals_count_in(&s, 0, 100), 40);
	assert_int_equal(us_intervals_count_in(&s, 0, UINT32_MAX), 40);
	assert_int_equal(us_intervals_count_in(&s, 15, 35), 10);
	assert_int_equal(us_intervals_count_in(&s, 20, 30), 0);
	assert_int_equal(us_intervals_count_in(&s, 12, 18), 6);
	assert_int_equal(us_intervals_count_in(&s, 19, 71), 22);
	assert_int_equal(us_intervals_count_in(&s, 80, 1000), 0);
	assert_int_equal(us_intervals_count_in(&s, 30, 30), 0);
	assert_int_equal(us_intervals_count_in(&s, 40, 30), 0);

	assert_int_equal(us_intervals_add(&s, 0, 10), 0);
	assert_int_equal(us_intervals_prefix(&s), 20);
	assert_int_equal(us_intervals_total(&s), 50);
}

/* Offsets at the top of the 32-bit range: no operation may overflow. */
static void intervals_near_uint32_max(void **state)
{
	struct us_intervals s;
	const uint32_t M = UINT32_MAX;

	(void)state;
	us_intervals_init(&s);
	assert_int_equal(us_intervals_add(&s, M - 10, M), 0);
	assert_int_equal(us_intervals_add(&s, 0, 5), 0);
	assert_int_equal(us_intervals_add(&s, M - 20, M - 10), 0); /* adjacent to the top one */
	EXPECT_SET(&s, 0, 5, M - 20, M);
	assert_int_equal(us_intervals_total(&s), 25);
	assert_int_equal(us_intervals_count_in(&s, 0, M), 25);
	assert_int_equal(us_intervals_count_in(&s, M - 1, M), 1);
	assert_true(us_intervals_covers(&s, M - 15, M));
	assert_false(us_intervals_covers(&s, M - 25, M));
	assert_int_equal(us_intervals_remove(&s, M - 5, M), 0);
	EXPECT_SET(&s, 0, 5, M - 20, M - 5);
	assert_int_equal(us_intervals_remove(&s, M - 15, M - 10), 0); /* split */
	EXPECT_SET(&s, 0, 5, M - 20, M - 15, M - 10, M - 5);

	/* The largest possible interval, and its total. */
	assert_int_equal(us_intervals_add(&s, 0, M), 0);
	EXPECT_SET(&s, 0, M);
	assert_int_equal(us_intervals_total(&s), M);
	assert_int_equal(us_intervals_prefix(&s), M);
	assert_int_equal(us_intervals_count_in(&s, 0, M), M);
	assert_true(us_intervals_covers(&s, 0, M));
	us_intervals_advance(&s, M - 3);
	EXPECT_SET(&s, 0, 3);

	us_intervals_init(&s);
	assert_int_equal(us_intervals_add(&s, M - 2, M), 0);
	us_intervals_advance(&s, M - 1);
	EXPECT_SET(&s, 0, 1);
	us_intervals_advance(&s, 1);
	assert_int_equal(s.n, 0);
}

/* --- randomized comparison with a bitmap model --- */

#define UNIVERSE 1024u

struct model {
	uint8_t bit[UNIVERSE];
};

static uint32_t rng_state;

static uint32_t rng(void)
{
	/* xorshift32 (Marsaglia 2003): deterministic from the fixed seed. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Number of maximal runs of set bits (what the interval count must be). */
static uint32_t model_runs(const struct model *m)
{
	uint32_t runs = 0;

	for (uint32_t i = 0; i < UNIVERSE; i++)
		if (m->bit[i] && (i == 0 || !m->bit[i - 1]))
			runs++;
	return runs;
}

static bool model_any(const struct model *m, uint32_t a, uint32_t b)
{
	for (uint32_t i = a; i < b && i < UNIVERSE; i++)
		if (m->bit[i])
			return true;
	return false;
}

/* The set equals the model: same runs, same bytes. */
static void expect_model(const struct us_intervals *s, const struct model *m)
{
	uint32_t i = 0, k = 0;

	check_invariants(s);
	while (i < UNIVERSE) {
		uint32_t a, b;

		while (i < UNIVERSE && !m->bit[i])
			i++;
		if (i == UNIVERSE)
			break;
		a = i;
		while (i < UNIVERSE && m->bit[i])
			i++;
		b = i;
		assert_true(k < s->n);
		assert_int_equal(s->iv[k].start, a);
		assert_int_equal(s->iv[k].end, b);
		k++;
	}
	assert_int_equal(s->n, k);
}

static void intervals_random_vs_bitmap(void **state)
{
	struct us_intervals s;
	struct model m;
	unsigned enospc_add = 0, enospc_remove = 0, adds = 0, removes = 0, advances = 0;

	(void)state;
	rng_state = 0x2018u; /* fixed seed: failures reproduce */
	us_intervals_init(&s);
	memset(&m, 0, sizeof(m));
	for (int op = 0; op < 20000; op++) {
		uint32_t r = rng() % 100;
		uint32_t a = rng() % UNIVERSE;
		/* Phases of short pieces (fragmenting past the bound) and long ones (merging). */
		uint32_t maxlen = r % 50 == 0 ? 200 : (op / 1000) % 2 ? 3 : 40;
		uint32_t len = 1 + rng() % maxlen;
		uint32_t b = a + len > UNIVERSE ? UNIVERSE : a + len;
		struct us_intervals before = s;
		int ret;

		if (a == b)
			continue;
		if (r < 50) {
			/* add: -ENOSPC exactly when it touches nothing and the set is full. */
			bool touches = model_any(&m, a == 0 ? 0 : a - 1, b + 1);

			ret = us_intervals_add(&s, a, b);
			if (!touches && before.n == US_INTERVALS_MAX) {
				assert_int_equal(ret, -ENOSPC);
				assert_memory_equal(&s, &before, sizeof(s));
				enospc_add++;
			} else {
				assert_int_equal(ret, 0);
				memset(&m.bit[a], 1, b - a);
				/* The interval last added holds the new range. */
				assert_true(s.iv[s.last_added].start <= a);
				assert_true(s.iv[s.last_added].end >= b);
				adds++;
			}
		} else if (r < 90) {
			/* remove: -ENOSPC exactly when it splits one interval and the set is full. */
			bool splits = a > 0 && b < UNIVERSE && !memchr(&m.bit[a - 1], 0, b - a + 2);

			ret = us_intervals_remove(&s, a, b);
			if (splits && before.n == US_INTERVALS_MAX) {
				assert_int_equal(ret, -ENOSPC);
				assert_memory_equal(&s, &before, sizeof(s));
				enospc_remove++;
			} else {
				assert_int_equal(ret, 0);
				memset(&m.bit[a], 0, b - a);
				removes++;
			}
		} else {
			/* advance by a small amount, or now and then past everything. */
			uint32_t n = r == 99 ? UNIVERSE + rng() % 5 : rng() % 24;

			us_intervals_advance(&s, n);
			if (n >= UNIVERSE) {
				memset(&m, 0, sizeof(m));
			} else {
				memmove(&m.bit[0], &m.bit[n], UNIVERSE - n);
				memset(&m.bit[UNIVERSE - n], 0, n);
			}
			advances++;
		}
		expect_model(&s, &m);
		assert_int_equal(s.n, model_runs(&m));

		/* Queries on a random range against the model. */
		{
			uint32_t qa = rng() % (UNIVERSE + 8), qb = qa + rng() % 64, cnt = 0, tot = 0;
			bool all = true;

			for (uint32_t i = qa; i < qb; i++) {
				bool in = i < UNIVERSE && m.bit[i];

				cnt += in;
				all = all && in;
			}
			for (uint32_t i = 0; i < UNIVERSE; i++)
				tot += m.bit[i];
			assert_int_equal(us_intervals_count_in(&s, qa, qb), cnt);
			assert_int_equal(us_intervals_covers(&s, qa, qb), all);
			assert_int_equal(us_intervals_total(&s), tot);
			{
				uint32_t p = 0;

				while (p < UNIVERSE && m.bit[p])
					p++;
				assert_int_equal(us_intervals_prefix(&s), p);
			}
		}
	}
	/* The run must have exercised every path, including both -ENOSPC cases. */
	assert_true(adds > 1000);
	assert_true(removes > 1000);
	assert_true(advances > 100);
	assert_true(enospc_add > 10);
	assert_true(enospc_remove > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(intervals_add_disjoint_sorted),
		cmocka_unit_test(intervals_add_invalid),
		cmocka_unit_test(intervals_add_merges),
		cmocka_unit_test(intervals_add_adjacent),
		cmocka_unit_test(intervals_bound),
		cmocka_unit_test(intervals_remove),
		cmocka_unit_test(intervals_last_added_follows),
		cmocka_unit_test(intervals_advance),
		cmocka_unit_test(intervals_queries),
		cmocka_unit_test(intervals_near_uint32_max),
		cmocka_unit_test(intervals_random_vs_bitmap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
