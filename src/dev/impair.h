/*
 * impair.h - a seeded link impairment engine: loss, delay, jitter, reordering,
 * duplication, corruption and a rate limit with a bounded queue (MISSION H3, I1).
 *
 * One engine impairs one direction of a link. It is pure with respect to time:
 * frames are offered with the current time and taken out when their release time
 * has come, so the same engine serves the deterministic simulator (virtual clock,
 * in-memory links between stacks) and the userspace link emulator (`ustack linkem`,
 * real clock, AF_PACKET between two interfaces). Same seed and same input times,
 * same output: every run replays.
 *
 * Order of effects for each frame (as netem): loss, duplication, corruption, then
 * queueing: the frame is released at max(now + delay +- jitter, link free time)
 * where the link serialises frames at rate_bps; reordering sends a frame with no
 * delay (ahead of those queued).
 */
#ifndef US_DEV_IMPAIR_H
#define US_DEV_IMPAIR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"

struct us_impair_cfg {
	uint32_t loss_ppm;       /* frames dropped, parts per million */
	uint32_t dup_ppm;        /* frames sent twice */
	uint32_t corrupt_ppm;    /* frames with one random bit flipped */
	uint32_t reorder_ppm;    /* frames sent at once, overtaking delayed ones */
	uint64_t delay_ns;       /* one-way delay */
	uint64_t jitter_ns;      /* uniform in [-jitter, +jitter] around the delay */
	uint64_t rate_bps;       /* serialisation rate, 0 = unlimited */
	uint32_t limit;          /* frames held at most (0 = 1000); tail drop beyond */
	uint64_t seed;           /* 0: fixed default seed (runs are always reproducible) */
};

struct us_impair_stats {
	uint64_t in, out, lost, duplicated, corrupted, reordered, queue_drops;
};

struct us_impair;

/* @pool supplies the copies made for duplication. NULL on allocation failure. */
struct us_impair *us_impair_new(const struct us_impair_cfg *cfg, struct us_pkt_pool *pool);
/* Frees the engine and every frame it holds. */
void us_impair_free(struct us_impair *imp);
/* Offers @p at time @now_ns. Consumes @p (it is held, released later, or dropped). */
void us_impair_enqueue(struct us_impair *imp, struct us_pkt *p, uint64_t now_ns);
/* The next frame due at @now_ns, or NULL. Frames come out in release-time order. */
struct us_pkt *us_impair_dequeue(struct us_impair *imp, uint64_t now_ns);
/* When the next held frame is due; UINT64_MAX when none is held. */
uint64_t us_impair_next_ns(const struct us_impair *imp);
const struct us_impair_stats *us_impair_stats(const struct us_impair *imp);
/*
 * Parses "loss=1%,delay=10ms,jitter=2ms,reorder=5%,dup=1%,corrupt=0.1%,rate=100mbit,
 * limit=1000,seed=42" (any subset, any order; units: %, ppm; ns, us, ms, s; bit, kbit,
 * mbit, gbit) into @cfg (fields not named keep their values).
 * 0, or -EINVAL with *@bad pointing at the offending item.
 */
int us_impair_parse(const char *spec, struct us_impair_cfg *cfg, const char **bad);

/* The largest cfg.limit the parser accepts (us_impair_new clamps to it): held frames
 * and the engine's memory stay bounded. */
#define US_IMPAIR_LIMIT_MAX (1u << 20)
/* Frames held now (delayed or waiting for the serialiser). */
unsigned us_impair_held(const struct us_impair *imp);
/*
 * Changes the impairments from now on (cfg.seed is ignored: the random stream goes
 * on, so a run that changes them at the same times still replays). Frames already
 * held keep their release times, and a shorter delay does not let new frames overtake
 * them (order is kept, as with jitter); a lower limit refuses new frames until the
 * queue has drained below it.
 */
void us_impair_set_cfg(struct us_impair *imp, const struct us_impair_cfg *cfg);

struct us_netdev;
/*
 * dev_pair_set_impair - impair the frames arriving at the pair end @dev (sent by
 * its peer): each is copied into @dev's stack's buffers as usual, offered to @imp at
 * the receiving stack's clock, and received when its release time has come;
 * next_rx_ns() reports that time, so a simulator can jump its clock to it. @imp must
 * draw duplicates from @dev's stack's pool. @dev owns @imp from now on (freed with
 * its held frames when the device closes, or when replaced); NULL removes it.
 * Return: 0, or -EOPNOTSUPP when @dev is not a pair end (@imp is then not taken).
 */
int dev_pair_set_impair(struct us_netdev *dev, struct us_impair *imp);

#endif
