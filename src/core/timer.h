/*
 * timer.h - a hashed hierarchical timing wheel (Varghese & Lauck; the layout of
 * Linux's kernel/time/timer.c): 8 levels of 64 slots, each level 8 times coarser
 * than the one below, no cascading. Arm and cancel are O(1); a timer fires at
 * or after its expiry, at most 1/8 of its remaining delay late (level 0 is
 * exact to the millisecond, so timers under 64 ms are exact).
 *
 * Deadlines are data: objects keep their own deadlines and use one timer to be
 * woken at the earliest (STYLE.md Part 3, example 7). Callbacks run from
 * us_timer_wheel_run() on the stack thread; they may re-arm or cancel any timer.
 */
#ifndef US_CORE_TIMER_H
#define US_CORE_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/list.h"

#define US_TIMER_LEVELS 8
#define US_TIMER_SLOTS 64
#define US_TIMER_NEVER UINT64_MAX

struct us_timer;
typedef void us_timer_fn(struct us_timer *t, uint64_t now_ms);

struct us_timer {
	struct list_head link;   /* in a wheel slot, or pointing to itself */
	uint64_t expires_ms;     /* absolute, stack clock in ms */
	us_timer_fn *fn;         /* owner found with container_of */
};

struct us_timer_wheel {
	uint64_t clk_ms;         /* every slot up to this time has been run */
	uint64_t pending_bits[US_TIMER_LEVELS];
	struct list_head slots[US_TIMER_LEVELS][US_TIMER_SLOTS];
	unsigned count;          /* timers armed */
};

void us_timer_wheel_init(struct us_timer_wheel *w, uint64_t now_ms);
void us_timer_init(struct us_timer *t, us_timer_fn *fn);
/* Arms (or re-arms) @t to fire at @expires_ms; a time in the past fires on the next run. */
void us_timer_arm(struct us_timer_wheel *w, struct us_timer *t, uint64_t expires_ms);
void us_timer_cancel(struct us_timer_wheel *w, struct us_timer *t); /* idempotent */
static inline bool us_timer_pending(const struct us_timer *t) { return list_linked(&t->link); }
/* Fires every timer due at @now_ms. Returns how many fired. */
unsigned us_timer_wheel_run(struct us_timer_wheel *w, uint64_t now_ms);
/* The earliest time a run could fire something, or US_TIMER_NEVER. */
uint64_t us_timer_wheel_next(const struct us_timer_wheel *w);

#endif
