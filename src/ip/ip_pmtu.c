/*
 * ip_pmtu.c - the path MTU cache (see pmtu.h): a set-associative table keyed by
 * destination, filled from ICMP fragmentation-needed messages, read on output.
 */
#include "ip/pmtu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "core/stack.h"

#define PMTU_SETS (PMTU_SLOTS / PMTU_WAYS)
#define PMTU_MIN_IP 68 /* RFC 791: every host must take 68 bytes unfragmented */

struct pmtu_entry {
	uint32_t dst;
	uint16_t mtu;
	bool locked;
	bool used;
	uint64_t expires_ms;
};

struct us_pmtu {
	struct pmtu_entry e[PMTU_SLOTS];
};

/* RFC 1191 section 7.1: the plateaus MTUs cluster at, largest first. */
static const uint16_t plateaus[] = { 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68 };

int pmtu_init(struct us_stack *st)
{
	st->pmtu = calloc(1, sizeof(*st->pmtu));
	return st->pmtu ? 0 : -ENOMEM;
}

void pmtu_fini(struct us_stack *st)
{
	free(st->pmtu);
	st->pmtu = NULL;
}

static struct pmtu_entry *set_of(struct us_stack *st, uint32_t dst)
{
	uint64_t h = us_siphash_3u32(&st->hash_key, dst, 0x706d7475 /* "pmtu" */, 0);

	return &st->pmtu->e[(h % PMTU_SETS) * PMTU_WAYS];
}

static bool live(const struct us_stack *st, const struct pmtu_entry *e)
{
	return e->used && e->expires_ms > st->now_ms;
}

static struct pmtu_entry *find(struct us_stack *st, uint32_t dst)
{
	struct pmtu_entry *set = set_of(st, dst);

	for (unsigned i = 0; i < PMTU_WAYS; i++)
		if (set[i].used && set[i].dst == dst) {
			if (!live(st, &set[i])) {
				set[i].used = false; /* expired: forget it on the way */
				return NULL;
			}
			return &set[i];
		}
	return NULL;
}

/* RFC 1191 section 5: without a usable MTU in the message, guess the next plateau below
 * the size of the datagram that did not fit. */
static uint32_t plateau_below(uint32_t tot_len)
{
	for (size_t i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
		if (plateaus[i] < tot_len)
			return plateaus[i];
	return PMTU_MIN_IP;
}

uint32_t pmtu_learn(struct us_stack *st, uint32_t dst, uint32_t tot_len, uint32_t mtu)
{
	uint32_t min_pmtu = (uint32_t)st->cfg.ip_rt_min_pmtu;
	struct pmtu_entry *e, *set, *victim;
	bool locked = false;

	if (!st->pmtu || tot_len <= PMTU_MIN_IP)
		return 0;
	if (mtu == 0 || mtu >= tot_len)
		mtu = plateau_below(tot_len);
	if (mtu < min_pmtu) {
		mtu = min_pmtu;
		locked = true;
	}
	e = find(st, dst);
	if (e) {
		/* RFC 1191 section 6.3: never raise the estimate on such a message. */
		if (mtu < e->mtu || (mtu == e->mtu && locked)) {
			e->mtu = (uint16_t)mtu;
			e->locked = e->locked || locked;
		}
		e->expires_ms = st->now_ms + (uint64_t)st->cfg.ip_rt_mtu_expires * 1000;
		return e->mtu;
	}
	set = set_of(st, dst);
	victim = &set[0];
	for (unsigned i = 0; i < PMTU_WAYS; i++) {
		if (!live(st, &set[i])) {
			victim = &set[i];
			break;
		}
		if (set[i].expires_ms < victim->expires_ms)
			victim = &set[i];
	}
	*victim = (struct pmtu_entry){
		.dst = dst,
		.mtu = (uint16_t)mtu,
		.locked = locked,
		.used = true,
		.expires_ms = st->now_ms + (uint64_t)st->cfg.ip_rt_mtu_expires * 1000,
	};
	return mtu;
}

uint32_t pmtu_get(struct us_stack *st, uint32_t dst, bool *locked)
{
	struct pmtu_entry *e = st->pmtu ? find(st, dst) : NULL;

	if (locked)
		*locked = e && e->locked;
	return e ? e->mtu : 0;
}

void pmtu_flush(struct us_stack *st)
{
	if (st->pmtu)
		memset(st->pmtu, 0, sizeof(*st->pmtu));
}

void pmtu_dump(struct us_stack *st,
	       void (*fn)(uint32_t dst, uint32_t mtu, bool locked, uint64_t expires_in_ms, void *arg),
	       void *arg)
{
	if (!st->pmtu)
		return;
	for (unsigned i = 0; i < PMTU_SLOTS; i++) {
		const struct pmtu_entry *e = &st->pmtu->e[i];

		if (live(st, e))
			fn(e->dst, e->mtu, e->locked, e->expires_ms - st->now_ms, arg);
	}
}
