/*
 * impair.c - the seeded link impairment engine of impair.h: one direction of a
 * link that loses, duplicates, corrupts, delays, jitters, reorders and
 * rate-limits frames, the same way on every run from the same seed.
 *
 * Entry: us_impair_enqueue() (a frame offered at a time), us_impair_dequeue()
 *        (the frames whose release time has come, in release-time order).
 * Users: dev_pair.c (the simulator's links, virtual clock) and tools/linkem.c
 *        (the userspace link emulator, real clock).
 * Never reads a clock: time is always an argument, so the engine replays.
 *
 * The model of a link, per frame (the order of netem's netem_enqueue):
 *   1. loss        the frame is dropped with probability loss_ppm;
 *   2. duplication with probability dup_ppm a copy (us_pkt_copy from the pool)
 *                  is made; original and copy then go through 3-4 separately;
 *   3. corruption  with probability corrupt_ppm one uniformly chosen bit of the
 *                  frame is flipped (the receiver's checksums must catch it);
 *   4. queueing    the frame waits for the serialiser, which is busy until
 *                  "busy_until": it starts at max(now, busy_until) and takes
 *                  len * 8 / rate_bps seconds (frame bytes as given: the
 *                  Ethernet header counts, no FCS, preamble or gap); then it
 *                  propagates for delay_ns + a jitter drawn uniformly from
 *                  [-jitter_ns, +jitter_ns] (never before its serialisation
 *                  ended). With rate 0 there is no serialisation time.
 *
 * Jitter alone never reorders: a frame is never released before the frame
 * offered ahead of it (its release time is raised to the last one's), so
 * frames stay in order unless reordering is asked for explicitly. This departs
 * from netem, where a large jitter reorders by itself; here the two effects
 * can be tested and tuned apart. A frame picked for reordering (reorder_ppm)
 * is released at once, skipping the serialiser and the delay, and so
 * overtakes every frame still held; it is counted in `reordered` only when
 * there was a held frame to overtake.
 *
 * Held frames (delayed, serialising) are bounded by `limit`; a frame offered
 * when `limit` are held is dropped (queue_drops), as a tail-drop FIFO. They
 * sit in a binary min-heap keyed by (release time, arrival number), so frames
 * due at the same time leave in the order they came. The heap's array grows by
 * doubling up to `limit` entries and never shrinks: no allocation per frame in
 * the steady state.
 *
 * Frames the link loses or tail-drops are freed here and counted in the
 * engine's statistics, not as a stack's drops: losing a frame on the wire is
 * not a decision of either stack (us_drop() is for those).
 *
 * The random numbers come from xoshiro256** (Blackman and Vigna, 2018) seeded
 * through splitmix64 from cfg.seed: small, fast, and the same sequence on
 * every machine. A probability is drawn only when it is non-zero, so a perfect
 * link consumes no randomness.
 */
#include "dev/impair.h"

#include "base/hash.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/compiler.h"

#define PPM 1000000u
#define DEFAULT_LIMIT 1000u
#define DEFAULT_SEED 0x5eed5eed5eed5eedULL
#define HEAP_INITIAL 1024u
#define NSEC_PER_SEC 1000000000ULL

struct held {
	uint64_t release_ns;
	uint64_t seq; /* arrival order: ties on release time leave first-come first-served */
	struct us_pkt *p;
};

struct us_impair {
	struct us_impair_cfg cfg;
	struct us_pkt_pool *pool;
	uint64_t rng[4];          /* xoshiro256** state */
	struct held *heap;        /* min-heap on (release_ns, seq) */
	unsigned n, cap;          /* held frames, array size (<= cfg.limit) */
	uint64_t seq;
	uint64_t busy_until;      /* the serialiser is free from this time */
	uint64_t last_release;    /* release time of the latest in-order frame */
	struct us_impair_stats stats;
};

/* ---- random numbers --------------------------------------------------------------------- */

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(struct us_impair *imp)
{
	uint64_t *s = imp->rng;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n) for n >= 1 (Lemire's multiply-shift; the bias is below 2^-40 for the
 * sizes used here: frame bits and jitter ranges). */
static uint64_t rng_below(struct us_impair *imp, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(imp) * n) >> 64);
}

/* True with probability @ppm / 10^6. Draws nothing for 0 or certainty. */
static bool roll(struct us_impair *imp, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	if (ppm >= PPM)
		return true;
	return rng_below(imp, PPM) < ppm;
}

/* ---- the heap of held frames ------------------------------------------------------------ */

static bool held_before(const struct held *a, const struct held *b)
{
	return a->release_ns < b->release_ns || (a->release_ns == b->release_ns && a->seq < b->seq);
}

static void heap_swap(struct held *a, struct held *b)
{
	struct held t = *a;

	*a = *b;
	*b = t;
}

/* Room for one more held frame: grows the array by doubling, up to the limit. */
static bool heap_reserve(struct us_impair *imp)
{
	unsigned ncap;
	struct held *h;

	if (imp->n >= imp->cfg.limit)
		return false;
	if (imp->n < imp->cap)
		return true;
	ncap = imp->cap ? imp->cap * 2 : HEAP_INITIAL;
	if (ncap > imp->cfg.limit || ncap < imp->cap)
		ncap = imp->cfg.limit;
	h = realloc(imp->heap, (size_t)ncap * sizeof(*h));
	if (!h)
		return false;
	imp->heap = h;
	imp->cap = ncap;
	return true;
}

static void heap_push(struct us_impair *imp, struct us_pkt *p, uint64_t release_ns)
{
	struct held *h = imp->heap;
	unsigned i = imp->n++;

	h[i] = (struct held){ .release_ns = release_ns, .seq = imp->seq++, .p = p };
	while (i > 0) {
		unsigned parent = (i - 1) / 2;

		if (!held_before(&h[i], &h[parent]))
			break;
		heap_swap(&h[i], &h[parent]);
		i = parent;
	}
}

static struct us_pkt *heap_pop(struct us_impair *imp)
{
	struct held *h = imp->heap;
	struct us_pkt *p = h[0].p;
	unsigned i = 0;

	h[0] = h[--imp->n];
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;

		if (l < imp->n && held_before(&h[l], &h[m]))
			m = l;
		if (r < imp->n && held_before(&h[r], &h[m]))
			m = r;
		if (m == i)
			break;
		heap_swap(&h[i], &h[m]);
		i = m;
	}
	return p;
}

/* ---- the engine ------------------------------------------------------------------------- */

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

struct us_impair *us_impair_new(const struct us_impair_cfg *cfg, struct us_pkt_pool *pool)
{
	struct us_impair *imp = calloc(1, sizeof(*imp));
	uint64_t x;

	if (!imp)
		return NULL;
	imp->cfg = *cfg;
	if (!imp->cfg.limit)
		imp->cfg.limit = DEFAULT_LIMIT;
	if (imp->cfg.limit > US_IMPAIR_LIMIT_MAX)
		imp->cfg.limit = US_IMPAIR_LIMIT_MAX;
	imp->pool = pool;
	x = cfg->seed ? cfg->seed : DEFAULT_SEED;
	for (int i = 0; i < 4; i++)
		imp->rng[i] = us_splitmix64(&x);
	if (!heap_reserve(imp)) {
		free(imp);
		return NULL;
	}
	return imp;
}

void us_impair_set_cfg(struct us_impair *imp, const struct us_impair_cfg *cfg)
{
	uint64_t seed = imp->cfg.seed;

	imp->cfg = *cfg;
	imp->cfg.seed = seed; /* the random stream goes on: the run still replays */
	if (!imp->cfg.limit)
		imp->cfg.limit = DEFAULT_LIMIT;
	if (imp->cfg.limit > US_IMPAIR_LIMIT_MAX)
		imp->cfg.limit = US_IMPAIR_LIMIT_MAX;
}

void us_impair_free(struct us_impair *imp)
{
	if (!imp)
		return;
	for (unsigned i = 0; i < imp->n; i++)
		us_pkt_free(imp->heap[i].p);
	free(imp->heap);
	free(imp);
}

/* Flips one uniformly chosen bit of the frame. */
static void corrupt(struct us_impair *imp, struct us_pkt *p)
{
	size_t len = us_pkt_len(p);
	uint64_t bit;

	if (!len)
		return;
	bit = rng_below(imp, (uint64_t)len * 8);
	p->data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	imp->stats.corrupted++;
}

/* Steps 3 and 4 for one frame (an original or its duplicate). Consumes @p. */
static void queue_one(struct us_impair *imp, struct us_pkt *p, uint64_t now)
{
	const struct us_impair_cfg *c = &imp->cfg;
	uint64_t release;

	if (roll(imp, c->corrupt_ppm))
		corrupt(imp, p);
	if (!heap_reserve(imp)) {
		imp->stats.queue_drops++;
		us_pkt_free(p);
		return;
	}
	if (roll(imp, c->reorder_ppm)) {
		/* Sent at once, ahead of everything still held. */
		if (imp->last_release > now)
			imp->stats.reordered++;
		heap_push(imp, p, now);
		return;
	}
	release = now;
	if (c->rate_bps) {
		uint64_t bits = (uint64_t)us_pkt_len(p) * 8;
		/* Rounded up: a frame never takes less than its serialisation time. */
		uint64_t tx_ns = (uint64_t)(((unsigned __int128)bits * NSEC_PER_SEC + c->rate_bps - 1) /
					    c->rate_bps);

		if (imp->busy_until > release)
			release = imp->busy_until;
		release = sat_add(release, tx_ns);
		imp->busy_until = release;
	}
	{
		uint64_t wire_end = release; /* serialisation done: propagation starts */

		release = sat_add(release, c->delay_ns);
		if (c->jitter_ns) {
			uint64_t span = c->jitter_ns > (UINT64_MAX - 1) / 2 ? UINT64_MAX
									 : 2 * c->jitter_ns + 1;
			uint64_t r = rng_below(imp, span); /* jitter = r - jitter_ns */

			if (r >= c->jitter_ns)
				release = sat_add(release, r - c->jitter_ns);
			else
				release = release - wire_end >= c->jitter_ns - r
						  ? release - (c->jitter_ns - r)
						  : wire_end;
		}
	}
	/* Jitter does not reorder: never before the frame offered ahead of this one. */
	if (release < imp->last_release)
		release = imp->last_release;
	imp->last_release = release;
	heap_push(imp, p, release);
}

void us_impair_enqueue(struct us_impair *imp, struct us_pkt *p, uint64_t now_ns)
{
	struct us_pkt *dup = NULL;

	imp->stats.in++;
	if (roll(imp, imp->cfg.loss_ppm)) {
		imp->stats.lost++;
		us_pkt_free(p);
		return;
	}
	if (roll(imp, imp->cfg.dup_ppm)) {
		/* No buffer for the copy: the frame just is not duplicated this time. */
		dup = imp->pool ? us_pkt_copy(imp->pool, p) : NULL;
		if (dup)
			imp->stats.duplicated++;
	}
	queue_one(imp, p, now_ns);
	if (dup)
		queue_one(imp, dup, now_ns);
}

struct us_pkt *us_impair_dequeue(struct us_impair *imp, uint64_t now_ns)
{
	if (!imp->n || imp->heap[0].release_ns > now_ns)
		return NULL;
	imp->stats.out++;
	return heap_pop(imp);
}

uint64_t us_impair_next_ns(const struct us_impair *imp)
{
	return imp->n ? imp->heap[0].release_ns : UINT64_MAX;
}

unsigned us_impair_held(const struct us_impair *imp) { return imp->n; }

const struct us_impair_stats *us_impair_stats(const struct us_impair *imp) { return &imp->stats; }

/* ---- the parser ------------------------------------------------------------------------- */

/*
 * A decimal number with up to 9 fraction digits, as an exact fixed-point value
 * scaled by 10^9 (no floating point: "0.1%" is exactly 1000 ppm, on every
 * machine and in every locale). The integer part is bounded to keep the scaled
 * value in 64 bits. Moves *@s past the digits.
 */
#define FIX 1000000000ULL
static bool parse_fixed(const char **s, uint64_t *out)
{
	const char *p = *s;
	uint64_t ip = 0, frac = 0, scale = FIX;
	bool digits = false;

	while (isdigit((unsigned char)*p)) {
		ip = ip * 10 + (uint64_t)(*p++ - '0');
		digits = true;
		if (ip >= 1000000000ULL) /* 10^9: beyond every bound below */
			return false;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
			p++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	*out = ip * FIX + frac;
	*s = p;
	return true;
}

/* The unit after a number: the rest of the item, case-insensitive. */
static bool unit_is(const char *u, size_t ulen, const char *name)
{
	return ulen == strlen(name) && !strncasecmp(u, name, ulen);
}

/* Rounds @num / @den to the nearest integer (den > 0; num fits in 128 bits). */
static uint64_t div_round(unsigned __int128 num, uint64_t den)
{
	return (uint64_t)((num + den / 2) / den);
}

/* "1%", "0.25%", "500ppm", "0" -> parts per million (at most 10^6). */
static bool parse_prob(const char *v, size_t vlen, uint32_t *ppm)
{
	const char *p = v;
	uint64_t x, r;
	size_t ulen;

	if (!parse_fixed(&p, &x))
		return false;
	ulen = vlen - (size_t)(p - v);
	if (unit_is(p, ulen, "%"))
		r = div_round((unsigned __int128)x * 10000, FIX);
	else if (unit_is(p, ulen, "ppm"))
		r = div_round(x, FIX);
	else if (ulen == 0 && x == 0)
		r = 0;
	else
		return false;
	if (r > PPM)
		return false;
	*ppm = (uint32_t)r;
	return true;
}

struct unit {
	const char *name;
	uint64_t mult;
};

/*
 * A fixed-point number followed by one of @units ("10ms", "1.5gbit"), or a bare "0":
 * the value times the unit's multiplier, rounded, at most @max. @min_nonzero keeps a
 * non-zero value from rounding down to 0.
 */
static bool parse_with_unit(const char *v, size_t vlen, const struct unit *units, size_t nunits,
			    uint64_t max, bool min_nonzero, uint64_t *out)
{
	const char *p = v;
	uint64_t x;
	size_t ulen;

	if (!parse_fixed(&p, &x))
		return false;
	ulen = vlen - (size_t)(p - v);
	if (ulen == 0 && x == 0) {
		*out = 0;
		return true;
	}
	for (size_t i = 0; i < nunits; i++) {
		if (unit_is(p, ulen, units[i].name)) {
			uint64_t r = div_round((unsigned __int128)x * units[i].mult, FIX);

			if (r > max)
				return false;
			*out = r || !x || !min_nonzero ? r : 1;
			return true;
		}
	}
	return false;
}

/* "10ms", "1.5s", "250us", "100ns", "0" -> ns (at most one hour). */
static bool parse_time(const char *v, size_t vlen, uint64_t *ns)
{
	static const struct unit units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", NSEC_PER_SEC },
	};

	return parse_with_unit(v, vlen, units, ARRAY_SIZE(units), 3600 * NSEC_PER_SEC, false, ns);
}

/* "100mbit", "1.5gbit", "64kbit", "9600bit", "0" -> bits per second (at most 10 Tbit/s;
 * a non-zero rate rounds to at least 1 bit/s). Decimal prefixes, as tc's. */
static bool parse_rate(const char *v, size_t vlen, uint64_t *bps)
{
	static const struct unit units[] = {
		{ "bit", 1 }, { "kbit", 1000 }, { "mbit", 1000000 }, { "gbit", 1000000000 },
	};

	return parse_with_unit(v, vlen, units, ARRAY_SIZE(units), 10000ULL * 1000000000ULL, true,
			       bps);
}

/* A plain unsigned integer (decimal, or hex with 0x) of the whole value, at most @max. */
static bool parse_uint(const char *v, size_t vlen, uint64_t max, uint64_t *out)
{
	char buf[32];
	char *end;
	unsigned long long x;

	if (vlen == 0 || vlen >= sizeof(buf) || !isdigit((unsigned char)v[0]))
		return false;
	memcpy(buf, v, vlen);
	buf[vlen] = 0;
	errno = 0;
	x = strtoull(buf, &end, 0);
	if (errno || *end || x > max)
		return false;
	*out = x;
	return true;
}

/* One "key=value" item of @len bytes into @c. */
static bool parse_item(const char *item, size_t len, struct us_impair_cfg *c)
{
	const char *eq = memchr(item, '=', len);
	const char *v;
	size_t klen, vlen;
	uint64_t x;

	if (!eq)
		return false;
	klen = (size_t)(eq - item);
	v = eq + 1;
	vlen = len - klen - 1;
#define KEY(name) (klen == strlen(name) && !strncmp(item, name, klen))
	if (KEY("loss"))
		return parse_prob(v, vlen, &c->loss_ppm);
	if (KEY("dup") || KEY("duplicate"))
		return parse_prob(v, vlen, &c->dup_ppm);
	if (KEY("corrupt"))
		return parse_prob(v, vlen, &c->corrupt_ppm);
	if (KEY("reorder"))
		return parse_prob(v, vlen, &c->reorder_ppm);
	if (KEY("delay"))
		return parse_time(v, vlen, &c->delay_ns);
	if (KEY("jitter"))
		return parse_time(v, vlen, &c->jitter_ns);
	if (KEY("rate"))
		return parse_rate(v, vlen, &c->rate_bps);
	if (KEY("limit")) {
		if (!parse_uint(v, vlen, US_IMPAIR_LIMIT_MAX, &x))
			return false;
		c->limit = (uint32_t)x;
		return true;
	}
	if (KEY("seed")) {
		if (!parse_uint(v, vlen, UINT64_MAX, &x))
			return false;
		c->seed = x;
		return true;
	}
#undef KEY
	return false;
}

int us_impair_parse(const char *spec, struct us_impair_cfg *cfg, const char **bad)
{
	struct us_impair_cfg c = *cfg;
	const char *s = spec;

	if (bad)
		*bad = NULL;
	/* Nothing to change: an empty spec, or "none" (a perfect link). */
	if (!*spec || !strcmp(spec, "none"))
		return 0;
	for (;;) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);

		if (!parse_item(s, len, &c)) {
			if (bad)
				*bad = s;
			return -EINVAL;
		}
		if (!end)
			break;
		s = end + 1;
	}
	*cfg = c; /* all or nothing: @cfg is untouched on error */
	return 0;
}
