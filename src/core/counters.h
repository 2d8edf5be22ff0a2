/*
 * counters.h - the stack's SNMP-style counters and drop reasons, generated
 * from stats.def and drop.def.
 *
 * us_drop(st, p, reason) is the only way a packet is discarded on the data
 * path: it counts the reason, optionally traces it, and frees the packet.
 */
#ifndef US_CORE_COUNTERS_H
#define US_CORE_COUNTERS_H

#include <stdint.h>

enum us_stat {
#define STAT(name, doc) US_STAT_##name,
#include "core/stats.def"
#undef STAT
	US_STAT__COUNT
};

enum us_drop_reason {
#define DROP(name, doc) US_DROP_##name,
#include "core/drop.def"
#undef DROP
	US_DROP__COUNT
};

struct us_counters {
	uint64_t stat[US_STAT__COUNT];
	uint64_t drop[US_DROP__COUNT];
};

struct us_stack;
struct us_pkt;

const char *us_stat_name(enum us_stat s);
const char *us_stat_doc(enum us_stat s);
const char *us_drop_name(enum us_drop_reason r);  /* "IP_CSUM" */
const char *us_drop_doc(enum us_drop_reason r);

#define US_INC(st, name) ((st)->counters.stat[US_STAT_##name]++)
#define US_ADD(st, name, n) ((st)->counters.stat[US_STAT_##name] += (n))

/*
 * us_drop - discard @p, counting @reason. Consumes @p (NULL is allowed: then
 * only the reason is counted, for packets that never got a buffer).
 */
void us_drop(struct us_stack *st, struct us_pkt *p, enum us_drop_reason reason);

#endif
