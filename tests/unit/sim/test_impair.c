/*
 * test_impair.c - the impairment engine (src/dev/impair.c) on its own, with a
 * packet pool and times passed in: loss over 100k frames (the exact count for a
 * fixed seed, and within tolerance of the rate), delay, jitter that keeps
 * order, explicit reordering, serialisation at the rate limit, tail drop at
 * the limit, duplication, single-bit corruption, replay from the seed, and the
 * parser with its units and errors. Frames are 64 bytes carrying a 32-bit
 * number in front, so the order they come out in can be checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/bytes.h"
#include "core/pkt.h"
#include "dev/impair.h"

#define MS 1000000ULL
#define T0 (5 * 1000 * MS) /* an arbitrary start time: 5 s */

static struct us_pkt_pool pool;

static int setup(void **state)
{
	(void)state;
	us_pkt_pool_init(&pool, 4096, 16);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(pool.in_use, 0);
	assert_int_equal(pool.large_in_use, 0);
	us_pkt_pool_fini(&pool);
	return 0;
}

static struct us_pkt *frame(uint32_t id, size_t len)
{
	struct us_pkt *p = us_pkt_alloc(&pool, len);
	uint8_t *d;

	assert_non_null(p);
	d = us_pkt_put(p, len);
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)(i * 7 + 1);
	wr32(d, id);
	return p;
}

static uint32_t id_of(const struct us_pkt *p) { return rd32(p->data); }

static struct us_impair *engine(const char *spec)
{
	struct us_impair_cfg c = { 0 };
	struct us_impair *imp;

	assert_int_equal(us_impair_parse(spec, &c, NULL), 0);
	imp = us_impair_new(&c, &pool);
	assert_non_null(imp);
	return imp;
}

/* Takes the next frame due at @now: checks its number and frees it. */
static void expect_out(struct us_impair *imp, uint64_t now, uint32_t id)
{
	struct us_pkt *p = us_impair_dequeue(imp, now);

	assert_non_null(p);
	assert_int_equal(id_of(p), id);
	us_pkt_free(p);
}

static void perfect_link_passes_everything_at_once(void **state)
{
	struct us_impair *imp = engine("");

	(void)state;
	assert_int_equal(us_impair_next_ns(imp), UINT64_MAX);
	assert_null(us_impair_dequeue(imp, T0));
	for (uint32_t i = 0; i < 10; i++)
		us_impair_enqueue(imp, frame(i, 64), T0);
	assert_int_equal(us_impair_held(imp), 10);
	assert_int_equal(us_impair_next_ns(imp), T0);
	for (uint32_t i = 0; i < 10; i++)
		expect_out(imp, T0, i);
	assert_null(us_impair_dequeue(imp, T0));
	assert_int_equal(us_impair_stats(imp)->in, 10);
	assert_int_equal(us_impair_stats(imp)->out, 10);
	us_impair_free(imp);
}

/*
 * 10 % loss over 100000 frames. The count is exact for this seed (the engine
 * replays), and it lies within 5 standard deviations of 10000 (sigma = 95).
 */
static void loss_rate_over_100k_frames(void **state)
{
	struct us_impair *imp = engine("loss=10%,seed=42");
	uint64_t lost;

	(void)state;
	for (uint32_t i = 0; i < 100000; i++) {
		struct us_pkt *p;

		us_impair_enqueue(imp, frame(i, 60), T0 + i);
		p = us_impair_dequeue(imp, T0 + i);
		if (p) {
			assert_int_equal(id_of(p), i);
			us_pkt_free(p);
		}
	}
	lost = us_impair_stats(imp)->lost;
	assert_int_equal(us_impair_stats(imp)->in, 100000);
	assert_int_equal(us_impair_stats(imp)->out + lost, 100000);
	assert_in_range(lost, 10000 - 475, 10000 + 475);
	assert_int_equal(lost, 9926);
	us_impair_free(imp);

	/* 0.1 % of 100000 with another seed: about 100 (sigma = 10). */
	imp = engine("loss=0.1%,seed=7");
	for (uint32_t i = 0; i < 100000; i++) {
		us_impair_enqueue(imp, frame(i, 60), T0);
		us_pkt_free(us_impair_dequeue(imp, T0));
	}
	assert_in_range(us_impair_stats(imp)->lost, 50, 150);
	assert_int_equal(us_impair_stats(imp)->lost, 105);
	us_impair_free(imp);
}

static void delay_is_exact(void **state)
{
	struct us_impair *imp = engine("delay=10ms");

	(void)state;
	us_impair_enqueue(imp, frame(1, 64), T0);
	us_impair_enqueue(imp, frame(2, 64), T0 + 3 * MS);
	assert_int_equal(us_impair_next_ns(imp), T0 + 10 * MS);
	assert_null(us_impair_dequeue(imp, T0 + 10 * MS - 1));
	expect_out(imp, T0 + 10 * MS, 1);
	assert_int_equal(us_impair_next_ns(imp), T0 + 13 * MS);
	assert_null(us_impair_dequeue(imp, T0 + 12 * MS));
	expect_out(imp, T0 + 20 * MS, 2);
	assert_int_equal(us_impair_next_ns(imp), UINT64_MAX);
	us_impair_free(imp);
}

/*
 * Jitter spreads the release times within +-jitter of the delay, and never
 * reorders: a frame offered right behind another one waits for it.
 */
static void jitter_keeps_order(void **state)
{
	struct us_impair *imp = engine("delay=10ms,jitter=5ms,seed=3");
	uint64_t prev = 0, min = UINT64_MAX, max = 0, sum = 0;

	(void)state;
	/* Frames 20 ms apart never wait for each other: each gets its own jitter. */
	for (uint32_t i = 0; i < 500; i++) {
		uint64_t sent = T0 + i * 20 * MS, t;

		us_impair_enqueue(imp, frame(i, 64), sent);
		t = us_impair_next_ns(imp);
		assert_in_range(t, sent + 5 * MS, sent + 15 * MS);
		if (t - sent < min)
			min = t - sent;
		if (t - sent > max)
			max = t - sent;
		sum += t - sent;
		expect_out(imp, t, i);
	}
	assert_true(min < 5 * MS + 100000); /* the whole range is used */
	assert_true(max > 15 * MS - 100000);
	assert_in_range(sum / 500, 9500000, 10500000); /* centred on the delay */

	/* Frames 0.1 ms apart: the order holds and release times never go back. */
	for (uint32_t i = 0; i < 1000; i++)
		us_impair_enqueue(imp, frame(i, 64), T0 + 20000 * MS + i * MS / 10);
	for (uint32_t i = 0; i < 1000; i++) {
		uint64_t t = us_impair_next_ns(imp);
		uint64_t sent = T0 + 20000 * MS + i * MS / 10;

		assert_true(t >= prev);
		assert_true(t >= sent + 5 * MS);
		expect_out(imp, t, i);
		prev = t;
	}
	assert_int_equal(us_impair_stats(imp)->reordered, 0);
	us_impair_free(imp);
}

/* A frame picked for reordering leaves at once, ahead of the delayed ones. */
static void reorder_overtakes(void **state)
{
	struct us_impair *imp = engine("delay=10ms,reorder=25%,seed=11");
	uint32_t order[200], n = 0, early = 0, inversions = 0;

	(void)state;
	/* All offered within 2 ms, well inside the 10 ms delay. */
	for (uint32_t i = 0; i < 200; i++) {
		struct us_pkt *p;

		us_impair_enqueue(imp, frame(i, 64), T0 + i * 10000);
		while ((p = us_impair_dequeue(imp, T0 + i * 10000))) {
			/* Out now, at the time it was offered: one of the reordered. */
			assert_int_equal(id_of(p), i);
			order[n++] = id_of(p);
			early++;
			us_pkt_free(p);
		}
	}
	for (uint64_t t = T0 + 10 * MS; n < 200; t += MS) {
		struct us_pkt *p;

		assert_true(t < T0 + 20 * MS);
		while ((p = us_impair_dequeue(imp, t))) {
			order[n++] = id_of(p);
			us_pkt_free(p);
		}
	}
	for (uint32_t i = 1; i < n; i++)
		if (order[i] < order[i - 1])
			inversions++;
	/* With this seed frames 0, 1 and 2 are picked first, when nothing is held yet;
	 * every later pick overtook delayed frames. */
	assert_int_equal(early, 51);
	assert_int_equal(us_impair_stats(imp)->reordered, 48);
	assert_true(inversions > 0);
	assert_int_equal(us_impair_stats(imp)->out, 200);
	us_impair_free(imp);
}

/* 1000-byte frames at 1 Mbit/s take 8 ms each on the wire: back-to-back frames leave
 * 8 ms apart, the delay comes on top, an idle link starts again at once. */
static void rate_serialises(void **state)
{
	struct us_impair *imp = engine("rate=1mbit");

	(void)state;
	for (uint32_t i = 0; i < 5; i++)
		us_impair_enqueue(imp, frame(i, 1000), T0);
	for (uint32_t i = 0; i < 5; i++) {
		assert_int_equal(us_impair_next_ns(imp), T0 + (i + 1) * 8 * MS);
		assert_null(us_impair_dequeue(imp, T0 + (i + 1) * 8 * MS - 1));
		expect_out(imp, T0 + (i + 1) * 8 * MS, i);
	}
	/* Idle since 40 ms: a frame at 100 ms is done at 108 ms. */
	us_impair_enqueue(imp, frame(5, 1000), T0 + 100 * MS);
	assert_int_equal(us_impair_next_ns(imp), T0 + 108 * MS);
	expect_out(imp, T0 + 108 * MS, 5);
	us_impair_free(imp);

	/* With 5 ms of delay, 100 Mbit/s and 1500-byte frames (120 us each). */
	imp = engine("rate=100mbit,delay=5ms");
	us_impair_enqueue(imp, frame(0, 1500), T0);
	us_impair_enqueue(imp, frame(1, 1500), T0);
	us_impair_enqueue(imp, frame(2, 1500), T0 + 1 * MS);
	assert_int_equal(us_impair_next_ns(imp), T0 + 120000 + 5 * MS);
	expect_out(imp, T0 + 120000 + 5 * MS, 0);
	assert_int_equal(us_impair_next_ns(imp), T0 + 240000 + 5 * MS);
	expect_out(imp, T0 + 240000 + 5 * MS, 1);
	assert_int_equal(us_impair_next_ns(imp), T0 + 1 * MS + 120000 + 5 * MS);
	expect_out(imp, T0 + 6 * MS + 120000, 2);
	us_impair_free(imp);

	/* A rate that does not divide evenly rounds each frame's time up: 8 bits at 3 bit/s. */
	imp = engine("rate=3bit");
	us_impair_enqueue(imp, frame(0, 4), T0);
	assert_int_equal(us_impair_next_ns(imp), T0 + 10666666667ULL);
	us_impair_free(imp);
}

static void limit_tail_drops(void **state)
{
	struct us_impair *imp = engine("delay=1s,limit=5");

	(void)state;
	for (uint32_t i = 0; i < 8; i++)
		us_impair_enqueue(imp, frame(i, 64), T0 + i);
	assert_int_equal(us_impair_held(imp), 5);
	assert_int_equal(us_impair_stats(imp)->queue_drops, 3);
	for (uint32_t i = 0; i < 5; i++)
		expect_out(imp, T0 + 2000 * MS, i);
	assert_null(us_impair_dequeue(imp, T0 + 2000 * MS));
	/* Room again. */
	us_impair_enqueue(imp, frame(9, 64), T0 + 3000 * MS);
	expect_out(imp, T0 + 4000 * MS, 9);
	us_impair_free(imp);

	/* The default limit is 1000 frames. */
	imp = engine("delay=1s");
	for (uint32_t i = 0; i < 1005; i++)
		us_impair_enqueue(imp, frame(i, 60), T0);
	assert_int_equal(us_impair_held(imp), 1000);
	assert_int_equal(us_impair_stats(imp)->queue_drops, 5);
	us_impair_free(imp); /* frees the frames it holds: the teardown checks the pool */
}

/* New settings apply to new frames; held ones keep their times and their order. */
static void settings_change_on_the_fly(void **state)
{
	struct us_impair *imp = engine("delay=1s,limit=10,seed=4");
	struct us_impair_cfg c = { .limit = 3, .seed = 99 };

	(void)state;
	for (uint32_t i = 0; i < 5; i++)
		us_impair_enqueue(imp, frame(i, 64), T0);
	us_impair_set_cfg(imp, &c);
	us_impair_enqueue(imp, frame(5, 64), T0 + MS); /* 5 held, limit now 3 */
	assert_int_equal(us_impair_stats(imp)->queue_drops, 1);
	for (uint32_t i = 0; i < 3; i++)
		expect_out(imp, T0 + 1000 * MS, i);
	/* Two held: one more fits; without delay it still waits behind them. */
	us_impair_enqueue(imp, frame(6, 64), T0 + 1000 * MS);
	assert_int_equal(us_impair_held(imp), 3);
	expect_out(imp, T0 + 1000 * MS, 3);
	expect_out(imp, T0 + 1000 * MS, 4);
	expect_out(imp, T0 + 1000 * MS, 6);
	/* And now frames pass at once. */
	us_impair_enqueue(imp, frame(7, 64), T0 + 1001 * MS);
	expect_out(imp, T0 + 1001 * MS, 7);
	/* A partition and its end. */
	c = (struct us_impair_cfg){ .loss_ppm = 1000000 };
	us_impair_set_cfg(imp, &c);
	for (uint32_t i = 0; i < 10; i++)
		us_impair_enqueue(imp, frame(i, 64), T0 + 2000 * MS);
	assert_null(us_impair_dequeue(imp, T0 + 3000 * MS));
	assert_int_equal(us_impair_stats(imp)->lost, 10);
	c.loss_ppm = 0;
	us_impair_set_cfg(imp, &c);
	us_impair_enqueue(imp, frame(8, 64), T0 + 3000 * MS);
	expect_out(imp, T0 + 3000 * MS, 8);
	us_impair_free(imp);
}

static void duplicates_are_copies(void **state)
{
	struct us_impair *imp = engine("dup=100%,delay=1ms");
	struct us_pkt *ref = frame(0, 200);

	(void)state;
	for (uint32_t i = 0; i < 3; i++)
		us_impair_enqueue(imp, frame(i, 200), T0);
	assert_int_equal(us_impair_held(imp), 6);
	assert_int_equal(us_impair_stats(imp)->duplicated, 3);
	for (uint32_t i = 0; i < 3; i++) {
		for (int k = 0; k < 2; k++) {
			struct us_pkt *p = us_impair_dequeue(imp, T0 + MS);

			assert_non_null(p);
			assert_int_equal(us_pkt_len(p), 200);
			assert_int_equal(id_of(p), i);
			assert_memory_equal(p->data + 4, ref->data + 4, 196);
			us_pkt_free(p);
		}
	}
	us_pkt_free(ref);
	us_impair_free(imp);

	/* Half of 10000 frames, about 5000 (sigma = 50); the copy of a frame follows it. */
	imp = engine("dup=50%,seed=5");
	for (uint32_t i = 0; i < 10000; i++) {
		struct us_pkt *p;

		us_impair_enqueue(imp, frame(i, 60), T0);
		while ((p = us_impair_dequeue(imp, T0))) {
			assert_int_equal(id_of(p), i);
			us_pkt_free(p);
		}
	}
	assert_in_range(us_impair_stats(imp)->duplicated, 4750, 5250);
	assert_int_equal(us_impair_stats(imp)->out, 10000 + us_impair_stats(imp)->duplicated);
	us_impair_free(imp);
}

/* No buffer for the copy: the frame goes through once, nothing breaks. */
static void duplicate_without_buffers(void **state)
{
	struct us_pkt_pool small;
	struct us_impair_cfg c = { .dup_ppm = 1000000 };
	struct us_impair *imp;
	struct us_pkt *p;

	(void)state;
	us_pkt_pool_init(&small, 1, 0);
	imp = us_impair_new(&c, &small);
	assert_non_null(imp);
	p = us_pkt_alloc(&small, 60);
	assert_non_null(p);
	us_pkt_put(p, 60);
	us_impair_enqueue(imp, p, T0);
	assert_int_equal(us_impair_stats(imp)->duplicated, 0);
	assert_int_equal(us_impair_held(imp), 1);
	us_pkt_free(us_impair_dequeue(imp, T0));
	us_impair_free(imp);
	assert_int_equal(small.in_use, 0);
	us_pkt_pool_fini(&small);
}

static void corruption_flips_one_bit(void **state)
{
	struct us_impair *imp = engine("corrupt=100%,seed=9");
	struct us_pkt *ref = frame(0, 100);
	unsigned where[100] = { 0 };

	(void)state;
	for (uint32_t n = 0; n < 2000; n++) {
		struct us_pkt *p;
		int bits = 0;

		us_impair_enqueue(imp, frame(0, 100), T0);
		p = us_impair_dequeue(imp, T0);
		assert_non_null(p);
		for (size_t i = 0; i < 100; i++) {
			uint8_t x = p->data[i] ^ ref->data[i];

			bits += __builtin_popcount(x);
			if (x)
				where[i]++;
		}
		assert_int_equal(bits, 1);
		us_pkt_free(p);
	}
	/* Every byte of the frame gets hit sometimes (20 times on average). */
	for (size_t i = 0; i < 100; i++)
		assert_true(where[i] > 0);
	assert_int_equal(us_impair_stats(imp)->corrupted, 2000);
	us_pkt_free(ref);
	us_impair_free(imp);
}

/* Runs 2000 frames through every effect; writes "id@time" of each output into @log. */
static void replay_run(const char *spec, uint64_t *log, size_t *n)
{
	struct us_impair *imp = engine(spec);
	struct us_pkt *p;

	*n = 0;
	for (uint32_t i = 0; i < 2000; i++) {
		uint64_t now = T0 + i * 100000;

		us_impair_enqueue(imp, frame(i, 100 + i % 1000), now);
		while ((p = us_impair_dequeue(imp, now))) {
			log[(*n)++] = ((uint64_t)id_of(p) << 40) ^ now ^ p->data[50];
			us_pkt_free(p);
		}
	}
	for (uint64_t t = T0 + 200 * MS; us_impair_next_ns(imp) != UINT64_MAX; t += MS) {
		while ((p = us_impair_dequeue(imp, t))) {
			log[(*n)++] = ((uint64_t)id_of(p) << 40) ^ t ^ p->data[50];
			us_pkt_free(p);
		}
	}
	us_impair_free(imp);
}

static void same_seed_same_output(void **state)
{
	static uint64_t a[4000], b[4000], c[4000];
	size_t na, nb, nc;
	const char *s1 = "loss=5%,dup=5%,corrupt=5%,reorder=5%,delay=20ms,jitter=10ms,rate=50mbit,seed=77";
	const char *s2 = "loss=5%,dup=5%,corrupt=5%,reorder=5%,delay=20ms,jitter=10ms,rate=50mbit,seed=78";

	(void)state;
	replay_run(s1, a, &na);
	replay_run(s1, b, &nb);
	replay_run(s2, c, &nc);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na * sizeof(a[0]));
	assert_true(na != nc || memcmp(a, c, na * sizeof(a[0])));
	/* Seed 0 is a fixed default, not "random": also replays. */
	replay_run("loss=5%,delay=1ms,jitter=1ms", a, &na);
	replay_run("loss=5%,delay=1ms,jitter=1ms", b, &nb);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na * sizeof(a[0]));
}

static void parse_everything(void **state)
{
	struct us_impair_cfg c = { 0 };
	const char *bad = "x";

	(void)state;
	assert_int_equal(us_impair_parse("loss=1%,delay=10ms,jitter=2ms,reorder=5%,dup=1%,"
					 "corrupt=0.1%,rate=100mbit,limit=1000,seed=42",
					 &c, &bad),
			 0);
	assert_null(bad);
	assert_int_equal(c.loss_ppm, 10000);
	assert_int_equal(c.delay_ns, 10 * MS);
	assert_int_equal(c.jitter_ns, 2 * MS);
	assert_int_equal(c.reorder_ppm, 50000);
	assert_int_equal(c.dup_ppm, 10000);
	assert_int_equal(c.corrupt_ppm, 1000);
	assert_int_equal(c.rate_bps, 100000000);
	assert_int_equal(c.limit, 1000);
	assert_int_equal(c.seed, 42);

	/* Fields not named keep their values; later items win. */
	assert_int_equal(us_impair_parse("delay=1.5s,loss=250ppm,loss=0.5%", &c, NULL), 0);
	assert_int_equal(c.delay_ns, 1500 * MS);
	assert_int_equal(c.loss_ppm, 5000);
	assert_int_equal(c.rate_bps, 100000000);

	/* Every unit. */
	assert_int_equal(us_impair_parse("delay=7ns,jitter=3us", &c, NULL), 0);
	assert_int_equal(c.delay_ns, 7);
	assert_int_equal(c.jitter_ns, 3000);
	assert_int_equal(us_impair_parse("delay=2s,jitter=0", &c, NULL), 0);
	assert_int_equal(c.delay_ns, 2000 * MS);
	assert_int_equal(c.jitter_ns, 0);
	assert_int_equal(us_impair_parse("rate=9600bit", &c, NULL), 0);
	assert_int_equal(c.rate_bps, 9600);
	assert_int_equal(us_impair_parse("rate=64kbit", &c, NULL), 0);
	assert_int_equal(c.rate_bps, 64000);
	assert_int_equal(us_impair_parse("rate=1.5Gbit", &c, NULL), 0);
	assert_int_equal(c.rate_bps, 1500000000);
	assert_int_equal(us_impair_parse("rate=0", &c, NULL), 0);
	assert_int_equal(c.rate_bps, 0);
	assert_int_equal(us_impair_parse("loss=100%,dup=0,corrupt=0.0001%", &c, NULL), 0);
	assert_int_equal(c.loss_ppm, 1000000);
	assert_int_equal(c.dup_ppm, 0);
	assert_int_equal(c.corrupt_ppm, 1);
	assert_int_equal(us_impair_parse("duplicate=2%,seed=0x10,limit=1", &c, NULL), 0);
	assert_int_equal(c.dup_ppm, 20000);
	assert_int_equal(c.seed, 16);
	assert_int_equal(c.limit, 1);

	/* Nothing to change. */
	assert_int_equal(us_impair_parse("", &c, &bad), 0);
	assert_int_equal(us_impair_parse("none", &c, &bad), 0);
	assert_int_equal(c.seed, 16);
}

/* Each bad spec is refused, *bad points at the offending item, @cfg is untouched. */
static void parse_errors(void **state)
{
	static const struct { const char *spec; size_t bad_at; } cases[] = {
		{ "loss", 0 },                 /* no value */
		{ "loss=", 0 },                /* empty value */
		{ "loss=1", 0 },               /* no unit */
		{ "loss=1%%", 0 },
		{ "loss=101%", 0 },
		{ "loss=1000001ppm", 0 },
		{ "loss=-1%", 0 },
		{ "loss=abc", 0 },
		{ "delay=10", 0 },
		{ "delay=10m", 0 },
		{ "delay=10msec", 0 },
		{ "delay=2h", 0 },
		{ "delay=3601s", 0 },
		{ "rate=100mbps", 0 },         /* tc's bps means bytes: refused, not guessed */
		{ "rate=10001gbit", 0 },
		{ "limit=1.5", 0 },
		{ "limit=2000000", 0 },
		{ "limit=-1", 0 },
		{ "seed=x", 0 },
		{ "seed=99999999999999999999", 0 },
		{ "speed=10mbit", 0 },
		{ "loss=1%,,delay=1ms", 8 },   /* empty item */
		{ "loss=1%,", 8 },             /* trailing comma */
		{ ",loss=1%", 0 },
		{ "loss=1%,delay=10ms,bogus=1", 19 },
		{ "delay=10ms jitter=1ms", 0 },
		{ "Loss=1%", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct us_impair_cfg c = { .loss_ppm = 7, .delay_ns = 8, .limit = 9 };
		const char *bad = NULL;

		if (us_impair_parse(cases[i].spec, &c, &bad) != -EINVAL)
			fail_msg("accepted \"%s\"", cases[i].spec);
		assert_ptr_equal(bad, cases[i].spec + cases[i].bad_at);
		assert_int_equal(c.loss_ppm, 7);
		assert_int_equal(c.delay_ns, 8);
		assert_int_equal(c.limit, 9);
	}
	/* @bad may be NULL. */
	{
		struct us_impair_cfg c = { 0 };
		assert_int_equal(us_impair_parse("nope", &c, NULL), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(perfect_link_passes_everything_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(loss_rate_over_100k_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(delay_is_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(jitter_keeps_order, setup, teardown),
		cmocka_unit_test_setup_teardown(reorder_overtakes, setup, teardown),
		cmocka_unit_test_setup_teardown(rate_serialises, setup, teardown),
		cmocka_unit_test_setup_teardown(limit_tail_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(settings_change_on_the_fly, setup, teardown),
		cmocka_unit_test_setup_teardown(duplicates_are_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(duplicate_without_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(corruption_flips_one_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(same_seed_same_output, setup, teardown),
		cmocka_unit_test(parse_everything),
		cmocka_unit_test(parse_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
