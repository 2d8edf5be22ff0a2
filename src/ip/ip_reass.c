/*
 * ip_reass.c - IPv4 reassembly (RFC 791 3.2, with the bookkeeping ideas of RFC 815),
 * hardened against the classic fragment attacks.
 *
 * Entry: ip_reass(), called by ip_local_deliver() for a datagram with MF set or a
 * non-zero fragment offset. Consumes the fragment; returns the whole datagram when
 * this fragment completes it. Exit on timeout: icmp_send_error() (time exceeded,
 * fragment reassembly time exceeded) when fragment zero had arrived.
 * Never transmits directly and never calls up into the transports.
 *
 * Read first: RFC 791 3.2 (fragmentation and reassembly), RFC 815, RFC 1122 3.3.2
 * (reassembly timeout, ICMP time exceeded), RFC 1858 and RFC 3128 (tiny and
 * overlapping fragment attacks), RFC 5722 (overlaps discard the whole datagram).
 *
 * Mechanism
 * ---------
 * A datagram being reassembled is a `struct reasm_q`, found in a hash table keyed by
 * (src, dst, id, proto) with SipHash under st->hash_key, so nobody can aim a flood at
 * one chain. It holds its fragments as received (data at the IP header, trimmed to
 * the total length), linked through us_pkt.next in increasing offset order. Nothing
 * is copied until the datagram is complete; then one packet is allocated and the
 * first fragment's header plus every payload is copied into it.
 *
 * Because overlaps are refused, the held fragments never overlap, so "complete" is
 * simply: the final fragment (MF=0) fixed the length, and the payload bytes held
 * add up to it (RFC 815's hole list reduces to one counter).
 *
 * Each datagram has one timer, armed once at net.ipv4.ipfrag_time seconds after its
 * first fragment (as Linux; RFC 1122 3.3.2 allows a fixed timeout). It is not pushed
 * back by later fragments, so a trickle of fragments cannot keep a datagram alive.
 *
 * Limits (each bounds CPU or memory against an attacker who chooses the fragments):
 *  - memory: every held packet is charged its buffer size (struct + data area) and
 *    every record (live or dead) a flat REASM_REC_CHARGE; the total never exceeds
 *    net.ipv4.ipfrag_high_thresh. A fragment that would exceed it first evicts the
 *    oldest other records (oldest first creation, live or dead) until it fits; if it
 *    still does not fit it is dropped (IP_FRAG_MEM). We evict rather than refuse (as
 *    Linux did before 4.17) because a legitimate datagram completes within a round
 *    trip while a flood of incomplete ones would otherwise block all reassembly for
 *    ipfrag_time seconds; to starve a legitimate datagram by eviction, an attacker
 *    has to push ipfrag_high_thresh bytes through us while it is in flight. The flat
 *    record charge bounds the number of records, hence the hash chains' length.
 *  - fragments per datagram: at most net.ipv4.ipfrag_max_frags; inserting walks the
 *    datagram's list once, so the CPU per fragment is O(ipfrag_max_frags), plus one
 *    payload-sized compare for a duplicate and the final copy.
 *  - size: a datagram whose header plus payload would pass 65535 bytes (ping of
 *    death) is discarded as soon as a fragment says so.
 *  - overlaps: any overlap (teardrop, FragmentSmack, overlapping rewrites used to
 *    evade filters) discards the whole datagram, as RFC 5722 asks for IPv6 and Linux
 *    does for IPv4. An exact duplicate (same offset, length, MF and bytes) is only
 *    dropped itself: retransmitted fragments are legitimate.
 *  - inconsistent lengths (a non-final fragment not a multiple of 8 or empty, data
 *    beyond a known end, two different final fragments) discard the datagram too.
 *
 * A discarded datagram leaves a "dead" record: no packets, its key, the reason, and
 * its original deadline. Later fragments of that datagram are dropped with the same
 * reason until the deadline passes, so a flood of overlapping fragments costs one
 * small record instead of being reassembled again and again.
 */
#include <errno.h>
#include <string.h>

#include "base/hash.h"
#include "base/list.h"
#include "icmp/icmp.h"
#include "ip/ip.h"
#include "wire/icmp.h"

#define REASM_HASH_BITS 12
#define REASM_HASH_SIZE (1u << REASM_HASH_BITS)
/* Flat charge per record, live or dead: bounds the record count (and chain length)
 * to ipfrag_high_thresh / 512, i.e. 8192 records in 4096 buckets by default. */
#define REASM_REC_CHARGE 512
/* Records kept for reuse after their datagram ends, so steady state does not malloc. */
#define REASM_FREE_MAX 256

struct reasm_q {
	struct hlist_node hash_link;
	struct list_head lru_link;    /* r->lru, in creation order: oldest first; or r->spare */
	struct us_timer timer;        /* fires at the deadline: timeout or end of a dead record */
	struct us_stack *st;
	uint32_t src, dst;            /* key, host order */
	uint16_t id;
	uint8_t proto;
	enum us_drop_reason dead;     /* US_DROP_NONE while live, else what discarded it */
	struct us_pkt *frags;         /* held fragments by increasing offset, via us_pkt.next */
	unsigned nfrags;
	uint32_t len;                 /* payload length once the final fragment came, else 0 */
	uint32_t max_end;             /* highest payload end seen among held fragments */
	uint32_t held;                /* payload bytes held */
	bool last_in;                 /* the final fragment (MF=0) has arrived */
	size_t mem;                   /* bytes charged to this record */
};

struct us_reasm {
	struct hlist_head table[REASM_HASH_SIZE];
	struct list_head lru;
	size_t mem;                   /* total charged bytes */
	unsigned nq;                  /* records, live and dead */
	struct list_head spare;       /* unused records for reuse, up to REASM_FREE_MAX */
	unsigned nspare;
};

/* Helpers over a held fragment: data is at its IP header, trimmed to its total length. */
static uint32_t frag_hlen(const struct us_pkt *f) { return ipv4_hdr_len(f->data); }
static uint32_t frag_off(const struct us_pkt *f) { return ipv4_frag_off(f->data); }
static bool frag_mf(const struct us_pkt *f) { return ipv4_more_frags(f->data); }
static uint32_t frag_plen(const struct us_pkt *f) { return (uint32_t)us_pkt_len(f) - frag_hlen(f); }
static const uint8_t *frag_payload(const struct us_pkt *f) { return f->data + frag_hlen(f); }

/* What a held packet costs: its struct and whole buffer, whatever it carries. */
static size_t pkt_charge(const struct us_pkt *p)
{
	return sizeof(*p) + (size_t)(p->end - p->head);
}

/*
 * Held fragments keep the device they came in on, which may be unregistered during
 * the 30 s they wait. Compare the pointer with the registered devices (never read
 * through it) before anything uses it.
 */
static bool reasm_dev_alive(const struct us_stack *st, const struct us_netdev *dev)
{
	if (!dev)
		return true;
	for (int i = 1; i <= US_MAX_DEVS; i++)
		if (st->devs[i] == dev)
			return true;
	return false;
}

static struct hlist_head *reasm_bucket(struct us_stack *st, uint32_t src, uint32_t dst,
				       uint16_t id, uint8_t proto)
{
	uint64_t h = us_siphash_3u32(&st->hash_key, src, dst, ((uint32_t)id << 8) | proto);

	return &st->reasm->table[h & (REASM_HASH_SIZE - 1)];
}

static struct reasm_q *reasm_find(struct us_stack *st, const struct ipv4_repr *ip)
{
	struct hlist_head *b = reasm_bucket(st, ip->src, ip->dst, ip->id, ip->proto);
	struct reasm_q *q;

	hlist_for_each_entry(q, b, hash_link) {
		if (q->src == ip->src && q->dst == ip->dst && q->id == ip->id &&
		    q->proto == ip->proto)
			return q;
	}
	return NULL;
}

/* Releases every held fragment: counted as @reason drops, or silently freed when
 * @reason is US_DROP_NONE (the fragments went into a reassembled datagram). */
static void reasm_release_frags(struct us_stack *st, struct reasm_q *q,
				enum us_drop_reason reason)
{
	struct us_pkt *f = q->frags, *next;

	while (f) {
		next = f->next;
		f->next = NULL;
		if (reason == US_DROP_NONE)
			us_pkt_free(f);
		else
			us_drop(st, f, reason);
		f = next;
	}
	q->frags = NULL;
	q->nfrags = 0;
	q->held = 0;
	st->reasm->mem -= q->mem - REASM_REC_CHARGE;
	q->mem = REASM_REC_CHARGE;
}

/* Unlinks @q (hash, LRU, timer) and recycles it. Its fragments must be gone. */
static void reasm_destroy(struct us_stack *st, struct reasm_q *q)
{
	struct us_reasm *r = st->reasm;

	US_ASSERT(!q->frags);
	hlist_del(&q->hash_link);
	list_del(&q->lru_link);
	us_timer_cancel(&st->timers, &q->timer);
	r->mem -= q->mem;
	r->nq--;
	if (r->nspare < REASM_FREE_MAX) {
		list_add(&q->lru_link, &r->spare);
		r->nspare++;
	} else {
		free(q);
	}
}

/* Discards the whole datagram: its fragments are dropped with @reason and the record
 * stays, dead, until its deadline so later fragments of it are refused at once. */
static void reasm_kill(struct us_stack *st, struct reasm_q *q, enum us_drop_reason reason)
{
	US_INC(st, IpReasmFails);
	reasm_release_frags(st, q, reason);
	q->dead = reason;
}

static void reasm_timer(struct us_timer *t, uint64_t now_ms)
{
	struct reasm_q *q = container_of(t, struct reasm_q, timer);
	struct us_stack *st = q->st;

	(void)now_ms;
	if (q->dead == US_DROP_NONE) {
		US_INC(st, IpReasmTimeout);
		US_INC(st, IpReasmFails);
		/* Unlink first: the ICMP error goes down through ip_output, and nothing it
		 * does may find (or evict) this record. */
		hlist_del(&q->hash_link);
		list_del(&q->lru_link);
		/* RFC 1122 3.3.2 / RFC 792: time exceeded, code 1, only if fragment zero
		 * is here (it is the one quoted, and it identifies the datagram). */
		if (q->frags && frag_off(q->frags) == 0 && reasm_dev_alive(st, q->frags->dev))
			icmp_send_error(st, q->frags, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
		reasm_release_frags(st, q, US_DROP_IP_FRAG_TIMEOUT);
	}
	reasm_destroy(st, q);
}

/*
 * Makes room for @need more bytes under ipfrag_high_thresh by evicting the oldest
 * records other than @keep (see the file comment). Returns false if it cannot.
 * Each record is evicted at most once, so the work is amortised O(1) per fragment.
 */
static bool reasm_make_room(struct us_stack *st, size_t need, struct reasm_q *keep)
{
	struct us_reasm *r = st->reasm;
	size_t limit = (size_t)st->cfg.ipfrag_high_thresh;
	struct reasm_q *q, *tmp;

	if (need > limit)
		return false;
	list_for_each_entry_safe(q, tmp, &r->lru, lru_link) {
		if (r->mem + need <= limit)
			break;
		if (q == keep)
			continue;
		if (q->dead == US_DROP_NONE) {
			US_INC(st, IpReasmFails);
			reasm_release_frags(st, q, US_DROP_IP_FRAG_MEM);
		}
		reasm_destroy(st, q);
	}
	return r->mem + need <= limit;
}

static struct reasm_q *reasm_create(struct us_stack *st, const struct ipv4_repr *ip)
{
	struct us_reasm *r = st->reasm;
	struct reasm_q *q;

	if (!list_empty(&r->spare)) {
		q = list_first_entry(&r->spare, struct reasm_q, lru_link);
		list_del(&q->lru_link);
		r->nspare--;
	} else {
		q = malloc(sizeof(*q));
		if (!q)
			return NULL;
	}
	memset(q, 0, sizeof(*q));
	q->st = st;
	q->src = ip->src;
	q->dst = ip->dst;
	q->id = ip->id;
	q->proto = ip->proto;
	q->mem = REASM_REC_CHARGE;
	hlist_add_head(&q->hash_link, reasm_bucket(st, ip->src, ip->dst, ip->id, ip->proto));
	list_add_tail(&q->lru_link, &r->lru);
	us_timer_init(&q->timer, reasm_timer);
	us_timer_arm(&st->timers, &q->timer,
		     st->now_ms + (uint64_t)st->cfg.ipfrag_time * 1000);
	r->mem += q->mem;
	r->nq++;
	return q;
}

/* Builds the whole datagram from @q's fragments (complete and contiguous); @last is
 * the fragment that completed it. */
static struct us_pkt *reasm_build(struct us_stack *st, struct reasm_q *q,
				  const struct us_pkt *last, struct ipv4_repr *ip)
{
	const struct us_pkt *first = q->frags, *f;
	uint32_t hlen = frag_hlen(first);
	uint32_t total = hlen + q->len;
	struct us_pkt *out;
	uint8_t *d;

	out = us_pkt_alloc(&st->pool, total); /* a large buffer when it exceeds a pool buffer */
	if (!out)
		return NULL;
	d = us_pkt_put(out, total);
	memcpy(d, first->data, hlen);
	for (f = first; f; f = f->next)
		memcpy(d + hlen + frag_off(f), frag_payload(f), frag_plen(f));

	/* RFC 791 3.2: the reassembled header is the first fragment's, with the total
	 * length of the whole datagram and MF/offset cleared (DF is kept). */
	ipv4_set_reassembled(d, (uint16_t)total);

	/* Metadata of the first fragment; its device, unless that one has gone away
	 * since (then the device the datagram completed on, as Linux always does). */
	out->dev = reasm_dev_alive(st, first->dev) ? first->dev : last->dev;
	out->pkt_type = first->pkt_type;
	out->rx_ns = first->rx_ns;
	out->mark = first->mark;
	out->flags = first->flags;
	out->csum = US_CSUM_NONE; /* the transport verifies its checksum over the whole */
	us_pkt_set_network(out);

	if (ipv4_parse(d, total, true, ip) != US_DROP_NONE) {
		/* Cannot happen: the header was accepted when the first fragment came. */
		us_pkt_free(out);
		return NULL;
	}
	return out;
}

struct us_pkt *ip_reass(struct us_stack *st, struct us_pkt *p, struct ipv4_repr *ip)
{
	uint32_t hlen = ip->hdr_len, off = ip->frag_off, plen, end, base_hlen;
	enum us_drop_reason reason;
	struct us_pkt *prev = NULL, *next, *out;
	struct reasm_q *q;
	size_t charge;

	if (!ip->mf && off == 0)
		return p; /* not a fragment */
	US_INC(st, IpReasmReqds);
	us_pkt_trim(p, ip->total_len);
	if (us_pkt_len(p) != ip->total_len || ip->total_len < hlen) {
		us_drop(st, p, US_DROP_IP_TOTAL_LEN); /* the caller should have checked */
		return NULL;
	}
	us_pkt_set_network(p);
	plen = ip->total_len - hlen;
	end = off + plen;
	charge = pkt_charge(p);

	q = reasm_find(st, ip);
	if (q && q->dead != US_DROP_NONE) {
		/* The datagram was discarded; refuse the rest of it until the deadline. */
		us_drop(st, p, q->dead);
		return NULL;
	}
	if (!q) {
		if (!reasm_make_room(st, REASM_REC_CHARGE + charge, NULL)) {
			US_INC(st, IpReasmFails);
			us_drop(st, p, US_DROP_IP_FRAG_MEM);
			return NULL;
		}
		q = reasm_create(st, ip);
		if (!q) {
			US_INC(st, IpReasmFails);
			us_drop(st, p, US_DROP_NOMEM);
			return NULL;
		}
	}

	/* RFC 791 3.2: every fragment but the last carries a multiple of 8 bytes; an
	 * empty fragment carries nothing and only costs us (Linux discards it too). */
	reason = US_DROP_IP_FRAG_BAD_LEN;
	if (plen == 0 || (ip->mf && plen % 8))
		goto kill;
	/* Ping of death: header plus payload beyond 65535. The header that counts is
	 * fragment zero's; before it arrives, assume the smallest. */
	base_hlen = off == 0 ? hlen : (q->frags && frag_off(q->frags) == 0 ? frag_hlen(q->frags)
									     : IPV4_HDR_LEN);
	if ((uint64_t)base_hlen + (end > q->max_end ? end : q->max_end) > IPV4_MAX_LEN) {
		reason = US_DROP_IP_FRAG_TOO_BIG;
		goto kill;
	}

	/* Find the neighbours: prev = last held fragment starting at or before off. */
	for (next = q->frags; next && frag_off(next) <= off; next = next->next)
		prev = next;
	if (prev && frag_off(prev) == off && frag_plen(prev) == plen) {
		if (frag_mf(prev) == ip->mf &&
		    !memcmp(frag_payload(prev), p->data + hlen, plen)) {
			us_drop(st, p, US_DROP_IP_FRAG_DUP);
			return NULL;
		}
		reason = US_DROP_IP_FRAG_OVERLAP; /* same place, different contents */
		goto kill;
	}
	/* Held fragments never overlap each other, so only the neighbours can overlap. */
	if ((prev && frag_off(prev) + frag_plen(prev) > off) || (next && frag_off(next) < end)) {
		reason = US_DROP_IP_FRAG_OVERLAP;
		goto kill;
	}

	/* Consistency with the end of the datagram, once some fragment has fixed it. */
	reason = US_DROP_IP_FRAG_BAD_LEN;
	if (ip->mf) {
		if (q->last_in && end > q->len)
			goto kill; /* data beyond the known end */
	} else {
		if (q->last_in && end != q->len)
			goto kill; /* a second, different final fragment */
		if (end < q->max_end)
			goto kill; /* data already held beyond this end */
	}
	if (q->nfrags + 1 > (unsigned)st->cfg.ipfrag_max_frags) {
		reason = US_DROP_IP_FRAG_TOO_MANY;
		goto kill;
	}
	if (!reasm_make_room(st, charge, q)) {
		US_INC(st, IpReasmFails);
		us_drop(st, p, US_DROP_IP_FRAG_MEM);
		if (!q->frags)
			reasm_destroy(st, q);
		return NULL;
	}

	/* Insert between prev and next. */
	p->next = next;
	if (prev)
		prev->next = p;
	else
		q->frags = p;
	q->nfrags++;
	q->held += plen;
	q->mem += charge;
	st->reasm->mem += charge;
	if (end > q->max_end)
		q->max_end = end;
	if (!ip->mf) {
		q->last_in = true;
		q->len = end;
	}
	if (!q->last_in || q->held != q->len)
		return NULL;

	/* Complete: the fragments tile [0, len) exactly (no overlaps, sum == len). */
	out = reasm_build(st, q, p, ip);
	if (!out) {
		reasm_kill(st, q, US_DROP_NOMEM);
		return NULL;
	}
	US_INC(st, IpReasmOKs);
	reasm_release_frags(st, q, US_DROP_NONE);
	reasm_destroy(st, q);
	return out;

kill:
	reasm_kill(st, q, reason);
	us_drop(st, p, reason);
	return NULL;
}

void reasm_usage(struct us_stack *st, size_t *bytes, unsigned *datagrams)
{
	if (!st->reasm) {
		*bytes = 0;
		*datagrams = 0;
		return;
	}
	*bytes = st->reasm->mem;
	*datagrams = st->reasm->nq;
}

int reasm_init(struct us_stack *st)
{
	struct us_reasm *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	list_init(&r->lru);
	list_init(&r->spare);
	st->reasm = r;
	return 0;
}

void reasm_fini(struct us_stack *st)
{
	struct us_reasm *r = st->reasm;
	struct reasm_q *q, *tmp;

	if (!r)
		return;
	list_for_each_entry_safe(q, tmp, &r->lru, lru_link) {
		reasm_release_frags(st, q, US_DROP_NONE);
		reasm_destroy(st, q);
	}
	list_for_each_entry_safe(q, tmp, &r->spare, lru_link)
		free(q);
	free(r);
	st->reasm = NULL;
}
