/*
 * ipv4.c - IPv4 header and options (RFC 791), parse and emit.
 *
 * Read first: RFC 791 3.1 (header format and options), RFC 1122 3.2.1 (what a
 * host must check on receive), RFC 1812 5.2.2 (the same for routers). The
 * parser only decides whether the header is well formed; what to do with a
 * well-formed header (source routes refused, martians, routing) is ip/'s job.
 */
#include "wire/ipv4.h"

#include <string.h>

#include "base/bytes.h"
#include "base/compiler.h"
#include "wire/checksum.h"

enum {
	IPOPT_COPIED = 0x80,  /* RFC 791 3.1: option is copied into all fragments */
	IPOPT_OFF_LEN = 1,    /* offsets inside one option */
	IPOPT_OFF_PTR = 2,
	IPOPT_OFF_TSFLAGS = 3,
	IPOPT_RR_MINPTR = 4,  /* RFC 791: "the smallest legal value is 4" */
	IPOPT_TS_MINPTR = 5,  /* RFC 791: "the smallest legal value is 5" */
	IPOPT_TS_TSONLY = 0,  /* timestamp flags (low nibble of the 4th byte) */
	IPOPT_TS_TSANDADDR = 1,
	IPOPT_TS_PRESPEC = 3,
	IPOPT_RA_LEN = 4,     /* RFC 2113 2.1 */
};

/*
 * Checks one option of @olen bytes starting at @o (with @olen >= 2 and inside the
 * header, already checked). Returns 0, or the offset inside the option of the bad
 * byte plus one (so 0 can mean "fine").
 */
static unsigned ipv4_check_option(const uint8_t *o, unsigned olen, struct ipv4_repr *r)
{
	unsigned ptr;

	switch (o[0]) {
	case IPOPT_LSRR:
	case IPOPT_SSRR:
	case IPOPT_RR:
		/* RFC 791: type, length, pointer, then route data of 4-byte addresses.
		 * The pointer is 1-based; past the length means "full", which is legal;
		 * inside it must leave room for one whole address. */
		if (olen < 3)
			return IPOPT_OFF_LEN + 1;
		ptr = o[IPOPT_OFF_PTR];
		if (ptr < IPOPT_RR_MINPTR || (ptr <= olen && ptr + 3 > olen))
			return IPOPT_OFF_PTR + 1;
		if (o[0] == IPOPT_RR) {
			if (r->opt_rr) /* RFC 791: may appear at most once */
				return 1;
			r->opt_rr = true;
		} else {
			if (r->opt_srcroute)
				return 1;
			r->opt_srcroute = true;
		}
		return 0;
	case IPOPT_TS: {
		unsigned flag, unit;

		if (olen < 4)
			return IPOPT_OFF_LEN + 1;
		ptr = o[IPOPT_OFF_PTR];
		if (ptr < IPOPT_TS_MINPTR)
			return IPOPT_OFF_PTR + 1;
		flag = o[IPOPT_OFF_TSFLAGS] & 0x0f;
		if (flag == IPOPT_TS_TSONLY)
			unit = 4;
		else if (flag == IPOPT_TS_TSANDADDR || flag == IPOPT_TS_PRESPEC)
			unit = 8;
		else
			return IPOPT_OFF_TSFLAGS + 1;
		if (ptr <= olen && ptr + unit - 1 > olen)
			return IPOPT_OFF_PTR + 1;
		if (r->opt_ts)
			return 1;
		r->opt_ts = true;
		return 0;
	}
	case IPOPT_RA:
		/* RFC 2113 2.1: length 4, value 0 = "router shall examine packet".
		 * Other lengths are not a router alert; like Linux we ignore them. */
		if (olen == IPOPT_RA_LEN)
			r->opt_ra = true;
		return 0;
	default:
		/* RFC 1122 3.2.1.8: options we do not implement are ignored. */
		return 0;
	}
}

/* Walks the options in hdr[20 .. hlen); returns 0 or the offset of the bad byte. */
static unsigned ipv4_walk_options(const uint8_t *hdr, unsigned hlen, struct ipv4_repr *r)
{
	unsigned i = IPV4_HDR_LEN;

	while (i < hlen) {
		unsigned olen, bad;

		if (hdr[i] == IPOPT_END)
			break;          /* the rest is padding */
		if (hdr[i] == IPOPT_NOP) {
			i++;
			continue;
		}
		/* RFC 791 3.1 case (2): type, length (counting type and length), data. */
		if (i + 1 >= hlen)
			return i;       /* no room for the length byte */
		olen = hdr[i + 1];
		if (olen < 2 || i + olen > hlen)
			return i + 1;
		bad = ipv4_check_option(hdr + i, olen, r);
		if (bad)
			return i + bad - 1;
		i += olen;
	}
	return 0;
}

enum us_drop_reason ipv4_parse(const uint8_t *buf, size_t len, bool csum_ok,
			       struct ipv4_repr *out)
{
	unsigned hlen, tot, frag;

	if (len < IPV4_HDR_LEN)
		return US_DROP_PKT_TOO_SHORT;
	if ((buf[IPV4_OFF_VER_IHL] >> 4) != 4)
		return US_DROP_IP_VERSION;
	hlen = (buf[IPV4_OFF_VER_IHL] & 0x0fu) * 4;
	if (hlen < IPV4_HDR_LEN)
		return US_DROP_IP_IHL;
	/* The header claims more bytes than the frame holds: a truncated frame. */
	if (hlen > len)
		return US_DROP_PKT_TOO_SHORT;
	/* RFC 1122 3.2.1.1 checks; the total length may be less than the buffer (link
	 * padding, trimmed by the caller) but never more, nor less than the header. */
	tot = rd16(buf + IPV4_OFF_LEN);
	if (tot < hlen || tot > len) {
		out->hdr_len = (uint8_t)hlen;
		out->total_len = (uint16_t)tot;
		return US_DROP_IP_TOTAL_LEN;
	}
	/* RFC 791 3.1 / RFC 1122 3.2.1.2: a host MUST verify the checksum and silently
	 * discard a datagram whose checksum is bad. The sum over a correct header,
	 * checksum field included, is 0xffff, so the folded complement is 0. */
	if (!csum_ok && csum_fold(csum_partial(buf, hlen, 0)) != 0)
		return US_DROP_IP_CSUM;

	out->hdr_len = (uint8_t)hlen;
	out->tos = buf[IPV4_OFF_TOS];
	out->total_len = (uint16_t)tot;
	out->id = rd16(buf + IPV4_OFF_ID);
	frag = rd16(buf + IPV4_OFF_FRAG);
	out->df = (frag & IPV4_FLAG_DF) != 0;
	out->mf = (frag & IPV4_FLAG_MF) != 0;
	out->frag_off = (uint16_t)((frag & IPV4_FRAG_MASK) * 8);
	out->ttl = buf[IPV4_OFF_TTL];
	out->proto = buf[IPV4_OFF_PROTO];
	out->src = rd32(buf + IPV4_OFF_SRC);
	out->dst = rd32(buf + IPV4_OFF_DST);
	out->opt_len = (uint8_t)(hlen - IPV4_HDR_LEN);
	out->opt_srcroute = out->opt_rr = out->opt_ts = out->opt_ra = false;
	out->opt_err_off = 0;

	if (hlen > IPV4_HDR_LEN) {
		unsigned bad = ipv4_walk_options(buf, hlen, out);

		if (bad) {
			out->opt_err_off = (uint8_t)bad;
			return US_DROP_IP_BAD_OPTIONS;
		}
	}
	return US_DROP_NONE;
}

enum us_drop_reason ipv4_parse_quoted(const uint8_t *buf, size_t len, struct ipv4_repr *out)
{
	uint8_t hdr[IPV4_MAX_HDR_LEN];
	unsigned hlen, tot;

	if (len < IPV4_HDR_LEN || (buf[IPV4_OFF_VER_IHL] >> 4) != 4)
		return US_DROP_ICMP_MALFORMED;
	hlen = ipv4_hdr_len(buf);
	if (hlen < IPV4_HDR_LEN || hlen > len)
		return US_DROP_ICMP_MALFORMED;
	tot = rd16(buf + IPV4_OFF_LEN);
	if (tot < hlen)
		return US_DROP_ICMP_MALFORMED;
	/* Parse a copy of the header alone, its total length set to the header length, so
	 * the parser checks everything but how much of the datagram was quoted. */
	memcpy(hdr, buf, hlen);
	wr16(hdr + IPV4_OFF_LEN, (uint16_t)hlen);
	switch (ipv4_parse(hdr, hlen, true, out)) {
	case US_DROP_NONE:
	case US_DROP_IP_BAD_OPTIONS: /* every field is filled; see the header comment */
		break;
	default:
		return US_DROP_ICMP_MALFORMED;
	}
	out->total_len = (uint16_t)tot;
	return US_DROP_NONE;
}

void ipv4_emit(const struct ipv4_repr *r, const uint8_t *opts, uint8_t *buf)
{
	unsigned hlen = IPV4_HDR_LEN + r->opt_len;
	uint16_t frag;

	/* Options come padded by the caller; the IHL counts 32-bit words. */
	US_ASSERT(r->opt_len % 4 == 0 && hlen <= IPV4_MAX_HDR_LEN);
	US_ASSERT(r->frag_off % 8 == 0);
	buf[IPV4_OFF_VER_IHL] = (uint8_t)(0x40 | (hlen / 4));
	buf[IPV4_OFF_TOS] = r->tos;
	wr16(buf + IPV4_OFF_LEN, r->total_len);
	wr16(buf + IPV4_OFF_ID, r->id);
	frag = (uint16_t)(((unsigned)r->frag_off / 8) & IPV4_FRAG_MASK);
	if (r->df)
		frag |= IPV4_FLAG_DF;
	if (r->mf)
		frag |= IPV4_FLAG_MF;
	wr16(buf + IPV4_OFF_FRAG, frag);
	buf[IPV4_OFF_TTL] = r->ttl;
	buf[IPV4_OFF_PROTO] = r->proto;
	wr16(buf + IPV4_OFF_CSUM, 0);
	wr32(buf + IPV4_OFF_SRC, r->src);
	wr32(buf + IPV4_OFF_DST, r->dst);
	if (r->opt_len)
		memcpy(buf + IPV4_HDR_LEN, opts, r->opt_len);
	wr16(buf + IPV4_OFF_CSUM, csum_fold(csum_partial(buf, hlen, 0)));
}

void ipv4_decrement_ttl(uint8_t *hdr)
{
	/* TTL and protocol share a 16-bit word; the TTL is its high byte. */
	uint16_t old = rd16(hdr + IPV4_OFF_TTL);
	uint16_t new_ = (uint16_t)(old - 0x100);

	wr16(hdr + IPV4_OFF_TTL, new_);
	wr16(hdr + IPV4_OFF_CSUM, csum_replace16(rd16(hdr + IPV4_OFF_CSUM), old, new_));
}

void ipv4_set_reassembled(uint8_t *hdr, uint16_t total_len)
{
	unsigned hlen = ipv4_hdr_len(hdr);

	wr16(hdr + IPV4_OFF_LEN, total_len);
	wr16(hdr + IPV4_OFF_FRAG, rd16(hdr + IPV4_OFF_FRAG) & IPV4_FLAG_DF);
	wr16(hdr + IPV4_OFF_CSUM, 0);
	wr16(hdr + IPV4_OFF_CSUM, csum_fold(csum_partial(hdr, hlen, 0)));
}

/*
 * RFC 791 3.1 (and 3.2 "Fragmentation"): the copied flag says whether an option
 * goes into every fragment; the others stay in the first fragment only. We walk
 * options already validated by ipv4_parse, but stay bounded on anything.
 */
size_t ipv4_fragment_options(const uint8_t *opts, size_t opt_len, uint8_t *out)
{
	size_t i = 0, n = 0;

	while (i < opt_len) {
		size_t olen;

		if (opts[i] == IPOPT_END)
			break;
		if (opts[i] == IPOPT_NOP) {
			i++; /* NOP has the copied flag clear: it is not copied */
			continue;
		}
		if (i + 1 >= opt_len)
			break;
		olen = opts[i + 1];
		if (olen < 2 || i + olen > opt_len)
			break;
		if (opts[i] & IPOPT_COPIED) {
			memcpy(out + n, opts + i, olen);
			n += olen;
		}
		i += olen;
	}
	while (n % 4)
		out[n++] = IPOPT_END;
	return n;
}
