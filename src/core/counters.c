/*
 * counters.c - names and meanings for the counter and drop-reason tables,
 * and us_drop(), the single exit for discarded packets.
 */
#include "core/counters.h"

#include "core/pkt.h"
#include "core/stack.h"

static const char *const stat_names[] = {
#define STAT(name, doc) #name,
#include "core/stats.def"
#undef STAT
};
static const char *const stat_docs[] = {
#define STAT(name, doc) doc,
#include "core/stats.def"
#undef STAT
};
static const char *const drop_names[] = {
#define DROP(name, doc) #name,
#include "core/drop.def"
#undef DROP
};
static const char *const drop_docs[] = {
#define DROP(name, doc) doc,
#include "core/drop.def"
#undef DROP
};

const char *us_stat_name(enum us_stat s) { return (unsigned)s < US_STAT__COUNT ? stat_names[s] : "?"; }
const char *us_stat_doc(enum us_stat s) { return (unsigned)s < US_STAT__COUNT ? stat_docs[s] : "?"; }
const char *us_drop_name(enum us_drop_reason r)
{
	return (unsigned)r < US_DROP__COUNT ? drop_names[r] : "?";
}
const char *us_drop_doc(enum us_drop_reason r)
{
	return (unsigned)r < US_DROP__COUNT ? drop_docs[r] : "?";
}

void us_drop(struct us_stack *st, struct us_pkt *p, enum us_drop_reason reason)
{
	if ((unsigned)reason >= US_DROP__COUNT)
		reason = US_DROP_NONE;
	st->counters.drop[reason]++;
	us_log_ratelimited(st, US_LOG_DEBUG, "drop", "%s (%s)", drop_names[reason], drop_docs[reason]);
	if (p)
		us_pkt_free(p);
}
