/*
 * timer.c - hashed hierarchical timing wheel.
 *
 * Level n has 64 slots of 8^n ms each. A timer is placed in the lowest level
 * whose span covers its delay, in the slot of its expiry rounded *up* to that
 * level's granularity, so it never fires early. Level n is only examined when
 * the wheel clock is a multiple of 8^n ms, at slot (clk >> 3n) & 63; a slot's
 * whole list is due then. A pending bitmap per level makes "when is the next
 * timer" a few bit scans, which the event loop uses as its sleep timeout.
 *
 * clk_ms is the next millisecond to process. When nothing is due the clock
 * jumps straight to the next bucket (or to now + 1), so an idle hour costs
 * nothing and a virtual clock may leap.
 */
#include "core/timer.h"

#include "base/compiler.h"

#define LVL_BITS 6
#define LVL_MASK (US_TIMER_SLOTS - 1)
#define LVL_CLK_SHIFT 3
#define LVL_SHIFT(n) ((n) * LVL_CLK_SHIFT)
#define LVL_GRAN(n) (1ULL << LVL_SHIFT(n))
/* Delays below this use level n-1 (63 * 8^(n-1) ms): one rotation of that level. */
#define LVL_START(n) ((uint64_t)(US_TIMER_SLOTS - 1) << LVL_SHIFT((n) - 1))
#define WHEEL_MAX_DELAY (LVL_START(US_TIMER_LEVELS) - 1)

void us_timer_wheel_init(struct us_timer_wheel *w, uint64_t now_ms)
{
	w->clk_ms = now_ms;
	w->count = 0;
	for (int l = 0; l < US_TIMER_LEVELS; l++) {
		w->pending_bits[l] = 0;
		for (int s = 0; s < US_TIMER_SLOTS; s++)
			list_init(&w->slots[l][s]);
	}
}

void us_timer_init(struct us_timer *t, us_timer_fn *fn)
{
	list_init(&t->link);
	t->expires_ms = US_TIMER_NEVER;
	t->fn = fn;
}

static void slot_index(const struct us_timer_wheel *w, uint64_t expires, unsigned *lvl_out,
		       unsigned *slot_out)
{
	uint64_t clk = w->clk_ms;
	uint64_t delta;
	unsigned lvl;

	if (expires < clk)
		expires = clk; /* already due: the next slot processed */
	delta = expires - clk;
	if (delta > WHEEL_MAX_DELAY) {
		/* Beyond the top level's span: park at the cap; run() re-arms it. */
		expires = clk + WHEEL_MAX_DELAY;
		delta = WHEEL_MAX_DELAY;
	}
	for (lvl = 0; lvl < US_TIMER_LEVELS - 1; lvl++)
		if (delta < LVL_START(lvl + 1))
			break;
	*lvl_out = lvl;
	/* Round up to the level's granularity: never early. */
	*slot_out = (unsigned)(((expires + LVL_GRAN(lvl) - 1) >> LVL_SHIFT(lvl)) & LVL_MASK);
}

static void slot_unlink(struct us_timer_wheel *w, struct us_timer *t)
{
	struct list_head *next = t->link.next;

	list_del(&t->link);
	w->count--;
	/* If the slot became empty, clear its pending bit. The slot head is found
	 * by walking: it is the only list element that is not a timer, and we can
	 * recognise it by address range. */
	for (int l = 0; l < US_TIMER_LEVELS; l++) {
		struct list_head *base = &w->slots[l][0];
		if (next >= base && next < base + US_TIMER_SLOTS) {
			if (list_empty(next))
				w->pending_bits[l] &= ~(1ULL << (next - base));
			return;
		}
	}
	/* next was another timer: the slot is still non-empty. */
}

void us_timer_arm(struct us_timer_wheel *w, struct us_timer *t, uint64_t expires_ms)
{
	unsigned lvl, slot;

	if (us_timer_pending(t))
		slot_unlink(w, t);
	t->expires_ms = expires_ms;
	slot_index(w, expires_ms, &lvl, &slot);
	list_add_tail(&t->link, &w->slots[lvl][slot]);
	w->pending_bits[lvl] |= 1ULL << slot;
	w->count++;
}

void us_timer_cancel(struct us_timer_wheel *w, struct us_timer *t)
{
	if (us_timer_pending(t))
		slot_unlink(w, t);
}

uint64_t us_timer_wheel_next(const struct us_timer_wheel *w)
{
	uint64_t best = US_TIMER_NEVER;

	if (!w->count)
		return best;
	for (unsigned l = 0; l < US_TIMER_LEVELS; l++) {
		uint64_t bits = w->pending_bits[l];
		uint64_t unit, rot, t;
		unsigned k;

		if (!bits)
			continue;
		/* The first check of this level at or after clk is at unit u0 (in 8^l ms). */
		unit = (w->clk_ms + LVL_GRAN(l) - 1) >> LVL_SHIFT(l);
		k = (unsigned)(unit & LVL_MASK);
		rot = k ? (bits >> k) | (bits << (US_TIMER_SLOTS - k)) : bits;
		t = (unit + (uint64_t)__builtin_ctzll(rot)) << LVL_SHIFT(l);
		if (t < best)
			best = t;
	}
	return best;
}

unsigned us_timer_wheel_run(struct us_timer_wheel *w, uint64_t now_ms)
{
	struct list_head due;
	unsigned fired = 0;

	if (now_ms < w->clk_ms)
		return 0; /* this millisecond was run already */
	/*
	 * First collect every slot due up to now_ms, in time order, then bring the
	 * wheel's clock to now_ms, and only then run the callbacks. A timer that a
	 * callback arms is so placed relative to now_ms, as it would be outside a run;
	 * placed relative to a bucket of the past that a jump of the clock left to catch
	 * up on, it would land in a coarser level and fire late by up to 1/8 of the
	 * whole jump, not of its own delay.
	 */
	list_init(&due);
	while (w->clk_ms <= now_ms) {
		uint64_t next = us_timer_wheel_next(w);
		uint64_t clk;

		if (next > now_ms)
			break;
		if (next > w->clk_ms)
			w->clk_ms = next;
		clk = w->clk_ms;

		/* Append every level's due slot at this clk to the list. */
		for (unsigned l = 0; l < US_TIMER_LEVELS; l++) {
			unsigned slot = (unsigned)((clk >> LVL_SHIFT(l)) & LVL_MASK);
			struct list_head *h = &w->slots[l][slot];

			if (!list_empty(h)) {
				struct list_head *first = h->next, *last = h->prev;
				first->prev = due.prev;
				due.prev->next = first;
				last->next = &due;
				due.prev = last;
				list_init(h);
				w->pending_bits[l] &= ~(1ULL << slot);
			}
			if (clk & (LVL_GRAN(l + 1) - 1))
				break; /* higher levels are only due on multiples of their granularity */
		}
		w->clk_ms = clk + 1;
	}
	w->clk_ms = now_ms + 1;

	while (!list_empty(&due)) {
		struct us_timer *t = list_first_entry(&due, struct us_timer, link);

		list_del(&t->link);
		w->count--;
		if (t->expires_ms > now_ms) {
			/* Parked at the wheel's cap: place it again. */
			us_timer_arm(w, t, t->expires_ms);
			continue;
		}
		fired++;
		t->fn(t, now_ms);
	}
	return fired;
}
