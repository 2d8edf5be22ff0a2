/*
 * icmp.c - ICMPv4 (RFC 792): answering echo requests, sending errors for the
 * other layers under a rate limit, and passing received errors to the
 * transport that sent the quoted datagram.
 *
 * Entry: icmp_input() from IP local delivery (us_ip_protos[IPPROTO_ICMP]),
 *        consumes the packet; icmp_send_error() from IP (unreachable routes,
 *        TTL expiry, fragmentation needed, unknown protocols) and UDP (port
 *        unreachable), borrows the offending packet; icmp_output() for every
 *        ICMP message this stack originates (also ping sockets).
 * Exit:  ip_output() for replies and errors; us_ip_protos[proto].err() and
 *        sock_ping_err() for received errors; sock_ping_rcv() for echo replies.
 *
 * Rate limiting (Linux's icmp_global_allow + inet_peer_xrlim_allow): the types
 * in net.ipv4.icmp_ratemask (by default unreachable, source quench, time
 * exceeded, parameter problem; never fragmentation-needed, which path MTU
 * discovery depends on) pass two token buckets:
 *   - a global one: icmp_msgs_per_sec tokens a second, at most icmp_msgs_burst,
 *     refilled in steps of at least 20 ms; each message takes 0, 1 or 2 tokens
 *     at random (1 on average), as Linux does so the count cannot be used as a
 *     side channel to scan for open UDP ports (CVE-2020-25705);
 *   - one per destination: a message costs icmp_ratelimit ms of credit, credit
 *     accrues with time up to 6 messages' worth (XRLIM_BURST_FACTOR), and a new
 *     destination starts with the full burst. The per-destination state is a
 *     fixed table of ICMP_PEER_SETS x ICMP_PEER_WAYS entries indexed by a keyed
 *     hash of the address (least recently used entry replaced), so a flood of
 *     sources cannot grow memory.
 * Destinations that are our own addresses (loopback) are not limited per
 * destination, as Linux exempts the loopback device.
 *
 * Read first: RFC 792; RFC 1122 3.2.2 (3.2.2.1 unreachable, 3.2.2.6 echo);
 * RFC 1812 4.3.2 (4.3.2.3 quoting, 4.3.2.5 TOS, 4.3.2.7 when not to send,
 * 4.3.2.8 rate limiting); RFC 1191 (fragmentation needed); RFC 6633 (source
 * quench deprecated).
 */
#include "icmp/icmp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ip/fib.h"
#include "ip/ifaddr.h"
#include "ip/ip.h"
#include "ip/pmtu.h"
#include "socket/sock.h"

/* Highest ICMP type we know (address mask reply); Linux's NR_ICMP_TYPES. */
#define ICMP_MAX_TYPE 18
enum { ICMP_ADDRESS = 17, ICMP_ADDRESSREPLY = 18 };

/* RFC 1812 4.3.2.3: an error carries as much of the original datagram as fits in 576
 * bytes: 576 - 20 (our IP header, no options) - 8 (ICMP header). */
#define ICMP_ERR_MAX_LEN 576
#define ICMP_QUOTE_MAX (ICMP_ERR_MAX_LEN - IPV4_HDR_LEN - ICMP_HDR_LEN)

/* RFC 1812 4.3.2.5: errors go with the original TOS and precedence 6 (internetwork
 * control): Linux's RT_TOS(tos) | IPTOS_PREC_INTERNETCONTROL. */
#define IPTOS_TOS_MASK 0x1e
#define IPTOS_PREC_INTERNETCONTROL 0xc0

#define ICMP_PEER_SETS 256
#define ICMP_PEER_WAYS 4
#define ICMP_XRLIM_BURST_FACTOR 6
/* Global bucket: refill no more often than every 20 ms (Linux: HZ / 50). */
#define ICMP_GLOBAL_MIN_REFILL_MS 20

struct icmp_peer {
	uint32_t addr;
	bool used;
	uint64_t tokens_ms;              /* credit, in ms of icmp_ratelimit */
	uint64_t last_ms;
};

struct us_icmp_state {
	uint64_t global_credit;
	uint64_t global_stamp_ms;
	struct icmp_peer peers[ICMP_PEER_SETS][ICMP_PEER_WAYS];
};

int icmp_init(struct us_stack *st)
{
	st->icmp = calloc(1, sizeof(*st->icmp));
	if (!st->icmp)
		return -ENOMEM;
	st->icmp->global_credit = (uint64_t)st->cfg.icmp_msgs_burst;
	st->icmp->global_stamp_ms = st->now_ms;
	return 0;
}

void icmp_fini(struct us_stack *st)
{
	free(st->icmp);
	st->icmp = NULL;
}

/* ---- errno mapping --------------------------------------------------------------- */

/* Destination unreachable codes 0..15: Linux's icmp_err_convert[]. */
static const struct {
	int err;
	bool fatal;
} icmp_unreach_errs[] = {
	{ ENETUNREACH, false },  /* 0  net unreachable */
	{ EHOSTUNREACH, false }, /* 1  host unreachable */
	{ ENOPROTOOPT, true },   /* 2  protocol unreachable */
	{ ECONNREFUSED, true },  /* 3  port unreachable */
	{ EMSGSIZE, false },     /* 4  fragmentation needed (made hard below) */
	{ EOPNOTSUPP, false },   /* 5  source route failed */
	{ ENETUNREACH, true },   /* 6  destination network unknown */
	{ EHOSTDOWN, true },     /* 7  destination host unknown */
	{ ENONET, true },        /* 8  source host isolated */
	{ ENETUNREACH, true },   /* 9  network administratively prohibited */
	{ EHOSTUNREACH, true },  /* 10 host administratively prohibited */
	{ ENETUNREACH, false },  /* 11 network unreachable for TOS */
	{ EHOSTUNREACH, false }, /* 12 host unreachable for TOS */
	{ EHOSTUNREACH, true },  /* 13 communication administratively prohibited */
	{ EHOSTUNREACH, true },  /* 14 host precedence violation */
	{ EHOSTUNREACH, true },  /* 15 precedence cutoff in effect */
};

int icmp_err_convert(uint8_t type, uint8_t code, bool *fatal)
{
	*fatal = false;
	switch (type) {
	case ICMP_DEST_UNREACH:
		if (code == ICMP_FRAG_NEEDED) {
			/* RFC 1191: the datagram was too big for a hop; with path MTU discovery
			 * on (DF set), the sender must learn it: Linux reports it as hard. */
			*fatal = true;
			return EMSGSIZE;
		}
		if (code < ARRAY_SIZE(icmp_unreach_errs)) {
			*fatal = icmp_unreach_errs[code].fatal;
			return icmp_unreach_errs[code].err;
		}
		return EHOSTUNREACH;
	case ICMP_TIME_EXCEEDED:
		return EHOSTUNREACH;
	case ICMP_PARAMETERPROB:
		*fatal = true;
		return EPROTO;
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
		/* Not errors for the transport; ping sockets still show them (Linux
		 * ping_err uses EREMOTEIO "so ping can see it"). */
		return EREMOTEIO;
	default:
		return 0;
	}
}

/* ---- helpers ----------------------------------------------------------------------- */

/* Is @addr a broadcast or multicast destination: limited broadcast, class D, or a
 * subnet broadcast/network address of ours (a BROADCAST route in the local table)? */
static bool icmp_addr_is_bcast(struct us_stack *st, uint32_t addr)
{
	struct us_route rt;

	if (ipv4_is_lbcast(addr) || ipv4_is_multicast(addr))
		return true;
	return fib_lookup(st, addr, &rt) == 0 && rt.type == US_RTN_BROADCAST;
}

static void icmp_count_out(struct us_stack *st, uint8_t type)
{
	US_INC(st, IcmpOutMsgs);
	switch (type) {
	case ICMP_ECHOREPLY:
		US_INC(st, IcmpOutEchoReps);
		break;
	case ICMP_ECHO:
		US_INC(st, IcmpOutEchos);
		break;
	case ICMP_DEST_UNREACH:
		US_INC(st, IcmpOutDestUnreachs);
		break;
	case ICMP_TIME_EXCEEDED:
		US_INC(st, IcmpOutTimeExcds);
		break;
	case ICMP_PARAMETERPROB:
		US_INC(st, IcmpOutParmProbs);
		break;
	case ICMP_REDIRECT:
		US_INC(st, IcmpOutRedirects);
		break;
	default:
		break;
	}
}

int icmp_output(struct us_stack *st, const struct us_ip_tx *tx, struct us_pkt *p)
{
	uint8_t type = p->data[ICMP_OFF_TYPE];
	int err;

	p->flags |= US_PKT_F_LOCAL_OUT;
	us_pkt_set_transport(p);
	err = ip_output(st, tx, p);
	if (err < 0) {
		US_INC(st, IcmpOutErrors);
		return err;
	}
	icmp_count_out(st, type);
	return 0;
}

/* ---- rate limiting (RFC 1812 4.3.2.8) ------------------------------------------------ */

static bool icmp_global_allow(struct us_stack *st)
{
	struct us_icmp_state *s = st->icmp;
	uint64_t burst = (uint64_t)st->cfg.icmp_msgs_burst;
	uint64_t delta = st->now_ms - s->global_stamp_ms;

	if (delta > 1000)
		delta = 1000;
	if (delta >= ICMP_GLOBAL_MIN_REFILL_MS) {
		uint64_t incr = (uint64_t)st->cfg.icmp_msgs_per_sec * delta / 1000;
		if (incr) {
			s->global_stamp_ms = st->now_ms;
			s->global_credit += incr;
		}
	}
	if (s->global_credit > burst)
		s->global_credit = burst;
	if (!s->global_credit)
		return false;
	{
		/* One token on average, randomised (see the file comment). */
		uint64_t take = us_stack_rand(st) % 3;
		s->global_credit = s->global_credit > take ? s->global_credit - take : 0;
	}
	return true;
}

static struct icmp_peer *icmp_peer_get(struct us_stack *st, uint32_t addr)
{
	uint64_t h = us_siphash_3u32(&st->hash_key, addr, 0x69636d70 /* "icmp" */, 0);
	struct icmp_peer *set = st->icmp->peers[h & (ICMP_PEER_SETS - 1)];
	struct icmp_peer *victim = &set[0];

	for (int i = 0; i < ICMP_PEER_WAYS; i++) {
		if (set[i].used && set[i].addr == addr)
			return &set[i];
		if (!set[i].used) {
			if (victim->used)
				victim = &set[i];
		} else if (victim->used && set[i].last_ms < victim->last_ms) {
			victim = &set[i];
		}
	}
	/* A new destination starts with the full burst (Linux sets rate_last 60 s back). */
	victim->used = true;
	victim->addr = addr;
	victim->tokens_ms = (uint64_t)st->cfg.icmp_ratelimit * ICMP_XRLIM_BURST_FACTOR;
	victim->last_ms = st->now_ms;
	return victim;
}

static bool icmp_peer_allow(struct us_stack *st, uint32_t dst)
{
	uint64_t timeout = (uint64_t)st->cfg.icmp_ratelimit;
	struct icmp_peer *peer;

	if (!timeout)
		return true;
	peer = icmp_peer_get(st, dst);
	peer->tokens_ms += st->now_ms - peer->last_ms;
	peer->last_ms = st->now_ms;
	if (peer->tokens_ms > ICMP_XRLIM_BURST_FACTOR * timeout)
		peer->tokens_ms = ICMP_XRLIM_BURST_FACTOR * timeout;
	if (peer->tokens_ms < timeout)
		return false;
	peer->tokens_ms -= timeout;
	return true;
}

/* May we send an ICMP @type/@code to @dst now? Counts the suppression if not. */
static bool icmp_rate_allow(struct us_stack *st, uint8_t type, uint8_t code, uint32_t dst)
{
	if (type > ICMP_MAX_TYPE)
		return true;
	/* RFC 1191 needs every fragmentation-needed to get through (Linux exempts it). */
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
		return true;
	if (!((uint64_t)st->cfg.icmp_ratemask & (1u << type)))
		return true;
	if (!icmp_global_allow(st)) {
		US_INC(st, IcmpOutRateLimitGlobal);
		return false;
	}
	if (ifaddr_is_local(st, dst))
		return true;
	if (!icmp_peer_allow(st, dst)) {
		US_INC(st, IcmpOutRateLimitHost);
		return false;
	}
	return true;
}

/* ---- sending errors ---------------------------------------------------------------- */

/* RFC 1812 4.3.2.7: a source address that does not name a single host. */
static bool icmp_src_is_martian(struct us_stack *st, const struct us_pkt *orig, uint32_t src)
{
	if (ipv4_is_zeronet(src) || ipv4_is_lbcast(src) || ipv4_is_multicast(src) ||
	    ipv4_is_class_e(src))
		return true;
	/* Loopback sources are fine only on the loopback device itself. */
	if (ipv4_is_loopback(src))
		return !(orig->dev && (orig->dev->flags & US_DEV_LOOPBACK));
	return icmp_addr_is_bcast(st, src);
}

void icmp_send_error(struct us_stack *st, const struct us_pkt *orig, uint8_t type, uint8_t code,
		     uint32_t info)
{
	struct ipv4_repr o;
	struct icmp_repr r = { .type = type, .code = code };
	const uint8_t *iph;
	size_t avail, qlen;
	uint32_t src;
	struct us_pkt *p;

	if (!orig || orig->net_off == US_PKT_NOHDR)
		return;
	iph = us_pkt_network(orig);
	if (orig->tail <= iph)
		return;
	avail = (size_t)(orig->tail - iph);
	if (ipv4_parse_quoted(iph, avail, &o) != US_DROP_NONE)
		return;

	/* RFC 1122 3.2.2 / RFC 1812 4.3.2.7: the datagrams never answered with an error. */
	if (orig->pkt_type != US_PKT_HOST)
		return; /* came as a link-layer broadcast or multicast */
	if (o.frag_off)
		return; /* not the first fragment */
	if (icmp_addr_is_bcast(st, o.dst))
		return; /* sent to a broadcast or multicast address */
	if (icmp_src_is_martian(st, orig, o.src))
		return;
	if (o.proto == IPPROTO_ICMP && icmp_is_error(type)) {
		/* Never an error about an ICMP error (nor about a type we do not know, which
		 * might be one). */
		if (avail < (size_t)o.hdr_len + 1)
			return;
		uint8_t otype = iph[o.hdr_len];
		if (otype > ICMP_MAX_TYPE || icmp_is_error(otype))
			return;
	}
	if (!icmp_rate_allow(st, type, code, o.src)) {
		us_drop(st, NULL, US_DROP_ICMP_RATELIMIT);
		return;
	}

	/* The source: the address the datagram was sent to when it is ours; for forwarded
	 * datagrams, our address on the device it came in on (so traceroute shows that
	 * hop; Linux's icmp_errors_use_inbound_ifaddr). 0 lets IP pick by route. */
	if (ifaddr_is_local(st, o.dst))
		src = o.dst;
	else
		src = orig->dev ? ifaddr_select_src(st, orig->dev, o.src) : 0;

	/* RFC 1812 4.3.2.3: quote as much as fits in 576 bytes; never past the datagram. */
	qlen = avail;
	if (o.total_len < qlen)
		qlen = o.total_len;
	if (qlen > ICMP_QUOTE_MAX)
		qlen = ICMP_QUOTE_MAX;

	switch (type) {
	case ICMP_DEST_UNREACH:
		if (code == ICMP_FRAG_NEEDED)
			r.rest = info & 0xffff; /* RFC 1191: next-hop MTU in the low 16 bits */
		break;
	case ICMP_PARAMETERPROB:
		r.rest = (info & 0xff) << 24;   /* RFC 792: the pointer, first octet */
		break;
	case ICMP_REDIRECT:
		r.rest = info;                  /* the gateway */
		break;
	default:
		break;
	}
	r.payload_len = qlen;

	p = us_pkt_alloc(&st->pool, ICMP_HDR_LEN + qlen);
	if (!p) {
		US_INC(st, IcmpOutErrors);
		us_drop(st, NULL, US_DROP_NOMEM);
		return;
	}
	us_pkt_put(p, ICMP_HDR_LEN + qlen);
	memcpy(p->data + ICMP_HDR_LEN, iph, qlen);
	icmp_emit(&r, p->data);

	struct us_ip_tx tx = {
		.src = src,
		.dst = o.src,
		.proto = IPPROTO_ICMP,
		.tos = (uint8_t)((o.tos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL),
		.df = 0, /* as Linux's ICMP socket (IP_PMTUDISC_DONT) */
	};
	icmp_output(st, &tx, p);
}

/* ---- receiving --------------------------------------------------------------------- */

/* RFC 792 / RFC 1122 3.2.2.6: answer with the same identifier, sequence and data. */
static void icmp_echo(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip,
		      const struct icmp_repr *h, bool bcast)
{
	size_t len = us_pkt_len(p);
	struct icmp_repr r = { .type = ICMP_ECHOREPLY, .code = 0, .rest = h->rest };
	struct us_pkt *q;
	uint32_t src;

	if (st->cfg.icmp_echo_ignore_all) {
		us_drop(st, p, US_DROP_ICMP_ECHO_IGNORED);
		return;
	}
	/* RFC 1122 3.2.2.6: an echo to a broadcast or multicast address MAY be ignored. */
	if (bcast && st->cfg.icmp_echo_ignore_broadcasts) {
		US_INC(st, IcmpInErrors);
		us_drop(st, p, US_DROP_ICMP_BCAST_ECHO);
		return;
	}
	/* RFC 1122 3.2.2.6: the reply's source is the request's destination, unless that
	 * was a broadcast or multicast address: then one of ours on the input device. */
	if (bcast)
		src = p->dev ? ifaddr_select_src(st, p->dev, ip->src) : 0;
	else
		src = ip->dst;
	if (!icmp_rate_allow(st, ICMP_ECHOREPLY, 0, ip->src)) {
		us_drop(st, p, US_DROP_ICMP_RATELIMIT);
		return;
	}

	struct us_ip_tx tx = {
		.src = src,
		.dst = ip->src,
		.proto = IPPROTO_ICMP,
		.tos = ip->tos, /* as Linux's icmp_reply */
		.df = 0,
	};

	/* The reply is the request with another type: build it in the request's own
	 * buffer (no allocation, no copy) when nobody else holds that buffer and it has
	 * a fresh packet's headroom for the headers below (the request's took it). */
	if (p->refcnt == 1 && us_pkt_headroom(p) >= US_PKT_HEADROOM) {
		q = p;
		us_pkt_reset_meta(q);
	} else {
		q = us_pkt_alloc(&st->pool, len);
		if (!q) {
			US_INC(st, IcmpOutErrors);
			us_drop(st, p, US_DROP_NOMEM);
			return;
		}
		memcpy(us_pkt_put(q, len), p->data, len);
		us_pkt_free(p);
	}
	r.payload_len = len - ICMP_HDR_LEN;
	icmp_emit(&r, q->data);
	icmp_output(st, &tx, q);
}

/*
 * An error about a datagram we sent (RFC 1122 3.2.2: MUST pass it to the transport that
 * sent the quoted datagram). @p's data is at the ICMP header.
 */
static void icmp_input_error(struct us_stack *st, struct us_pkt *p, const struct icmp_repr *h)
{
	const uint8_t *quote = p->data + ICMP_HDR_LEN;
	size_t qlen = us_pkt_len(p) - ICMP_HDR_LEN;
	const uint8_t *l4;
	size_t l4_len;
	struct ipv4_repr q;
	uint32_t info = 0;
	bool fatal;
	int err;

	if (ipv4_parse_quoted(quote, qlen, &q) != US_DROP_NONE) {
		US_INC(st, IcmpInErrors);
		us_drop(st, p, US_DROP_ICMP_MALFORMED);
		return;
	}
	/* RFC 792: the quote holds the header and at least 64 bits of data. */
	if (qlen < (size_t)q.hdr_len + 8) {
		US_INC(st, IcmpInErrors);
		us_drop(st, p, US_DROP_ICMP_MALFORMED);
		return;
	}
	/* Only datagrams we sent can have caused an error for us. */
	if (!ifaddr_is_local(st, q.src)) {
		us_drop(st, p, US_DROP_ICMP_BOGUS_ERROR);
		return;
	}
	/* RFC 1122 3.2.2: nobody may answer a broadcast with an error, so one that claims
	 * to is bogus (some routers do it when netmasks disagree). */
	if (icmp_addr_is_bcast(st, q.dst)) {
		if (!st->cfg.icmp_ignore_bogus_error_responses)
			us_log_ratelimited(st, US_LOG_WARN, "icmp",
					   "ICMP type %u code %u error about a broadcast to %u.%u.%u.%u",
					   h->type, h->code, q.dst >> 24, (q.dst >> 16) & 0xff,
					   (q.dst >> 8) & 0xff, q.dst & 0xff);
		us_drop(st, p, US_DROP_ICMP_BOGUS_ERROR);
		return;
	}

	err = icmp_err_convert(h->type, h->code, &fatal);
	if (h->type == ICMP_DEST_UNREACH && h->code == ICMP_FRAG_NEEDED) {
		/* RFC 1191: only a datagram sent with DF can have been refused for its size;
		 * the transport gets the path MTU now in force (0: the message taught
		 * nothing). */
		info = q.df ? pmtu_learn(st, q.dst, q.total_len, icmp_frag_mtu(h)) : 0;
	}
	else if (h->type == ICMP_PARAMETERPROB)
		info = icmp_param_pointer(h);

	l4 = quote + q.hdr_len;
	l4_len = qlen - q.hdr_len;
	if (q.total_len >= (size_t)q.hdr_len + 8 && l4_len > (size_t)(q.total_len - q.hdr_len))
		l4_len = (size_t)(q.total_len - q.hdr_len);

	/* RFC 1122 3.2.2: no ICMP message is ever sent about an ICMP error, and the only
	 * ICMP query we originate is an echo request: an error quoting anything else from
	 * us is bogus. */
	if (q.proto == IPPROTO_ICMP && l4[ICMP_OFF_TYPE] != ICMP_ECHO) {
		us_drop(st, p, US_DROP_ICMP_BOGUS_ERROR);
		return;
	}
	if (q.proto == IPPROTO_ICMP)
		sock_ping_err(st, &q, l4, l4_len, h->type, h->code, err, info);
	else if (us_ip_protos[q.proto].err)
		us_ip_protos[q.proto].err(st, &q, l4, l4_len, h->type, h->code, err, info);
	us_pkt_free(p); /* consumed: handed to the transport */
}

void icmp_input(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip)
{
	bool csum_ok = p->csum == US_CSUM_VERIFIED || p->csum == US_CSUM_PARTIAL;
	enum us_drop_reason reason;
	struct icmp_repr h;
	bool bcast;

	us_pkt_set_transport(p);
	US_INC(st, IcmpInMsgs);
	reason = icmp_parse(p->data, us_pkt_len(p), csum_ok, &h);
	if (reason != US_DROP_NONE) {
		if (reason == US_DROP_ICMP_CSUM)
			US_INC(st, IcmpInCsumErrors);
		US_INC(st, IcmpInErrors);
		us_drop(st, p, reason);
		return;
	}

	/* RFC 1122 3.2.2.6 / 3.2.2.8: only echo, timestamp and address mask requests make
	 * sense to a broadcast or multicast address; anything else sent there is dropped. */
	bcast = icmp_addr_is_bcast(st, ip->dst);
	if (bcast && h.type != ICMP_ECHO && h.type != ICMP_TIMESTAMP && h.type != ICMP_ADDRESS &&
	    h.type != ICMP_ADDRESSREPLY) {
		US_INC(st, IcmpInErrors);
		us_drop(st, p, US_DROP_ICMP_BCAST);
		return;
	}

	switch (h.type) {
	case ICMP_ECHOREPLY:
		US_INC(st, IcmpInEchoReps);
		if (!sock_ping_rcv(st, p, ip, &h))
			us_drop(st, p, US_DROP_ICMP_NO_SOCKET);
		return;
	case ICMP_ECHO:
		US_INC(st, IcmpInEchos);
		icmp_echo(st, p, ip, &h, bcast);
		return;
	case ICMP_DEST_UNREACH:
		US_INC(st, IcmpInDestUnreachs);
		icmp_input_error(st, p, &h);
		return;
	case ICMP_TIME_EXCEEDED:
		US_INC(st, IcmpInTimeExcds);
		icmp_input_error(st, p, &h);
		return;
	case ICMP_PARAMETERPROB:
		US_INC(st, IcmpInParmProbs);
		icmp_input_error(st, p, &h);
		return;
	case ICMP_SOURCE_QUENCH:
		/* RFC 6633: hosts ignore it; passed on only so ping sockets can show it. */
		US_INC(st, IcmpInSrcQuenchs);
		icmp_input_error(st, p, &h);
		return;
	case ICMP_REDIRECT:
		/* RFC 1122 3.2.2.2 lets a host update its routes; like Linux's default for
		 * routers and careful hosts, we do not (accept_redirects=0). Even with
		 * accept_redirects=1 redirects are only counted for now: no route cache. */
		US_INC(st, IcmpInRedirects);
		if (!st->cfg.accept_redirects) {
			us_drop(st, p, US_DROP_ICMP_REDIRECT);
		} else {
			us_log_ratelimited(st, US_LOG_INFO, "icmp",
					   "redirect received: accept_redirects=1 is not implemented yet");
			us_drop(st, p, US_DROP_ICMP_UNHANDLED);
		}
		return;
	case ICMP_TIMESTAMP:
		/* RFC 1122 3.2.2.8 makes timestamp replies optional; they leak the clock,
		 * so, as recommended hardening, we do not answer. */
		US_INC(st, IcmpInTimestamps);
		us_drop(st, p, US_DROP_ICMP_UNHANDLED);
		return;
	case ICMP_TIMESTAMPREPLY:
		US_INC(st, IcmpInTimestampReps);
		us_drop(st, p, US_DROP_ICMP_UNHANDLED);
		return;
	case ICMP_ADDRESS:
		US_INC(st, IcmpInAddrMasks);
		us_drop(st, p, US_DROP_ICMP_UNHANDLED);
		return;
	case ICMP_ADDRESSREPLY:
		US_INC(st, IcmpInAddrMaskReps);
		us_drop(st, p, US_DROP_ICMP_UNHANDLED);
		return;
	default:
		/* Unknown types are counted as errors (Linux: type > NR_ICMP_TYPES). */
		if (h.type > ICMP_MAX_TYPE)
			US_INC(st, IcmpInErrors);
		us_drop(st, p, US_DROP_ICMP_UNHANDLED);
		return;
	}
}
