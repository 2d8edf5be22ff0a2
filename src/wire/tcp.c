/*
 * tcp.c - TCP header and options, parse and emit.
 *
 * Read first: RFC 9293 3.1 (header format, option layout "Kind, Length, data";
 * 3.2 for MSS), RFC 7323 2.2 and 3.2 (window scale, timestamps), RFC 2018 2-3
 * (SACK-permitted, SACK). The parser checks form only: whether an option is
 * acceptable on this segment (MSS on a non-SYN, say) is tcp/'s decision.
 */
#include "wire/tcp.h"

#include "base/bytes.h"
#include "base/compiler.h"
#include "wire/checksum.h"

enum {
	IPPROTO_TCP_ = 6,
	TCPOLEN_MSS = 4,
	TCPOLEN_WSCALE = 3,
	TCPOLEN_SACK_PERM = 2,
	TCPOLEN_TIMESTAMP = 10,
	TCPOLEN_SACK_BASE = 2,
	TCPOLEN_SACK_BLOCK = 8,
	TCP_MAX_OPT_LEN = TCP_MAX_HDR_LEN - TCP_HDR_LEN,
	/* Sizes of the aligned groups tcp_emit writes. */
	TCPOLEN_MSS_ALIGNED = 4,
	TCPOLEN_TS_ALIGNED = 12,
	TCPOLEN_SACKPERM_ALIGNED = 4,
	TCPOLEN_WSCALE_ALIGNED = 4,
	TCPOLEN_SACK_ALIGNED = 4,       /* NOP NOP kind len, then the blocks */
};

/* Decodes one option of @olen bytes (olen >= 2, inside the header) into @o. */
static enum us_drop_reason tcp_parse_option(const uint8_t *p, unsigned olen, struct tcp_opts *o)
{
	unsigned i, n;

	switch (p[0]) {
	case TCPOPT_MSS:
		if (olen != TCPOLEN_MSS)
			return US_DROP_TCP_MALFORMED;
		o->mss_present = true;
		o->mss = rd16(p + 2);
		break;
	case TCPOPT_WSCALE:
		if (olen != TCPOLEN_WSCALE)
			return US_DROP_TCP_MALFORMED;
		o->wscale_present = true;
		o->wscale = p[2];
		break;
	case TCPOPT_SACK_PERM:
		if (olen != TCPOLEN_SACK_PERM)
			return US_DROP_TCP_MALFORMED;
		o->sack_perm = true;
		break;
	case TCPOPT_SACK:
		/* RFC 2018 3: "Length: Variable", 8 bytes per block, 1..4 blocks. */
		if (olen < TCPOLEN_SACK_BASE + TCPOLEN_SACK_BLOCK ||
		    (olen - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_BLOCK != 0)
			return US_DROP_TCP_MALFORMED;
		n = (olen - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_BLOCK;
		if (n > TCP_MAX_SACK)
			return US_DROP_TCP_MALFORMED;
		for (i = 0; i < n; i++) {
			o->sack[i].start = rd32(p + 2 + i * 8);
			o->sack[i].end = rd32(p + 6 + i * 8);
		}
		o->sack_count = (uint8_t)n;
		break;
	case TCPOPT_TIMESTAMP:
		if (olen != TCPOLEN_TIMESTAMP)
			return US_DROP_TCP_MALFORMED;
		o->ts_present = true;
		o->tsval = rd32(p + 2);
		o->tsecr = rd32(p + 6);
		break;
	default:
		/* RFC 9293 3.1: "a TCP implementation MUST be prepared to handle an
		 * illegal option length (e.g., zero)" and must ignore unknown options;
		 * the length byte lets us skip them. */
		break;
	}
	return US_DROP_NONE;
}

static enum us_drop_reason tcp_parse_options(const uint8_t *hdr, unsigned hlen,
					     struct tcp_opts *o)
{
	unsigned i = TCP_HDR_LEN;

	while (i < hlen) {
		enum us_drop_reason r;
		unsigned olen;

		if (hdr[i] == TCPOPT_EOL)
			break;
		if (hdr[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		/* The length byte must be there, count kind and length (so >= 2,
		 * which also keeps this loop moving), and end inside the header. */
		if (i + 1 >= hlen)
			return US_DROP_TCP_MALFORMED;
		olen = hdr[i + 1];
		if (olen < 2 || i + olen > hlen)
			return US_DROP_TCP_MALFORMED;
		r = tcp_parse_option(hdr + i, olen, o);
		if (r != US_DROP_NONE)
			return r;
		i += olen;
	}
	return US_DROP_NONE;
}

enum us_drop_reason tcp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
			      bool csum_ok, struct tcp_repr *out)
{
	unsigned hlen;

	if (len < TCP_HDR_LEN)
		return US_DROP_PKT_TOO_SHORT;
	hlen = (unsigned)(buf[TCP_OFF_DOFF] >> 4) * 4;
	if (hlen < TCP_HDR_LEN || hlen > len)
		return US_DROP_TCP_MALFORMED;
	/* The segment length of the pseudo-header fits 16 bits: it came from an IPv4
	 * total length. Larger buffers are a caller error (GSO is emitted, not parsed). */
	if (len > 0xffff)
		return US_DROP_TCP_MALFORMED;
	/* RFC 9293 3.1: the checksum covers pseudo-header, header and text; a segment
	 * failing it is discarded (RFC 1122 4.2.2.7 MUST). */
	if (!csum_ok &&
	    csum_fold(csum_partial(buf, len, csum_pseudo(src, dst, IPPROTO_TCP_, (uint16_t)len))) != 0)
		return US_DROP_TCP_CSUM;

	out->sport = rd16(buf + TCP_OFF_SPORT);
	out->dport = rd16(buf + TCP_OFF_DPORT);
	out->seq = rd32(buf + TCP_OFF_SEQ);
	out->ack = rd32(buf + TCP_OFF_ACK);
	out->hdr_len = (uint8_t)hlen;
	out->flags = buf[TCP_OFF_FLAGS];
	out->window = rd16(buf + TCP_OFF_WIN);
	out->urg_ptr = rd16(buf + TCP_OFF_URG);
	out->payload_len = len - hlen;
	out->opts = (struct tcp_opts){ 0 };
	return tcp_parse_options(buf, hlen, &out->opts);
}

/* Option bytes other than SACK blocks, as tcp_emit lays them out. */
static unsigned tcp_base_opt_len(const struct tcp_opts *o)
{
	unsigned n = 0;

	if (o->mss_present)
		n += TCPOLEN_MSS_ALIGNED;
	if (o->ts_present)
		n += TCPOLEN_TS_ALIGNED;        /* carries SACK-permitted when set */
	else if (o->sack_perm)
		n += TCPOLEN_SACKPERM_ALIGNED;
	if (o->wscale_present)
		n += TCPOLEN_WSCALE_ALIGNED;
	return n;
}

unsigned tcp_sack_blocks_fit(const struct tcp_repr *r)
{
	unsigned base = tcp_base_opt_len(&r->opts), room, n = r->opts.sack_count;

	if (n > TCP_MAX_SACK)
		n = TCP_MAX_SACK;
	if (n == 0 || base + TCPOLEN_SACK_ALIGNED + TCPOLEN_SACK_BLOCK > TCP_MAX_OPT_LEN)
		return 0;
	room = (TCP_MAX_OPT_LEN - base - TCPOLEN_SACK_ALIGNED) / TCPOLEN_SACK_BLOCK;
	return n < room ? n : room;
}

size_t tcp_hdr_len(const struct tcp_repr *r)
{
	unsigned n = tcp_base_opt_len(&r->opts), sacks = tcp_sack_blocks_fit(r);

	if (sacks)
		n += TCPOLEN_SACK_ALIGNED + sacks * TCPOLEN_SACK_BLOCK;
	/* Every group above is already a multiple of 4; keep the rule explicit. */
	return TCP_HDR_LEN + ((n + 3u) & ~3u);
}

/* Writes the options at @p; returns how many bytes were written. */
static unsigned tcp_emit_options(const struct tcp_repr *r, uint8_t *p)
{
	const struct tcp_opts *o = &r->opts;
	unsigned n = 0, i, sacks = tcp_sack_blocks_fit(r);

	if (o->mss_present) {
		p[n++] = TCPOPT_MSS;
		p[n++] = TCPOLEN_MSS;
		wr16(p + n, o->mss);
		n += 2;
	}
	if (o->ts_present) {
		/* Linux puts SACK-permitted in the two bytes that would be NOP NOP. */
		if (o->sack_perm) {
			p[n++] = TCPOPT_SACK_PERM;
			p[n++] = TCPOLEN_SACK_PERM;
		} else {
			p[n++] = TCPOPT_NOP;
			p[n++] = TCPOPT_NOP;
		}
		p[n++] = TCPOPT_TIMESTAMP;
		p[n++] = TCPOLEN_TIMESTAMP;
		wr32(p + n, o->tsval);
		wr32(p + n + 4, o->tsecr);
		n += 8;
	} else if (o->sack_perm) {
		p[n++] = TCPOPT_NOP;
		p[n++] = TCPOPT_NOP;
		p[n++] = TCPOPT_SACK_PERM;
		p[n++] = TCPOLEN_SACK_PERM;
	}
	if (o->wscale_present) {
		p[n++] = TCPOPT_NOP;
		p[n++] = TCPOPT_WSCALE;
		p[n++] = TCPOLEN_WSCALE;
		p[n++] = o->wscale;
	}
	if (sacks) {
		p[n++] = TCPOPT_NOP;
		p[n++] = TCPOPT_NOP;
		p[n++] = TCPOPT_SACK;
		p[n++] = (uint8_t)(TCPOLEN_SACK_BASE + sacks * TCPOLEN_SACK_BLOCK);
		for (i = 0; i < sacks; i++) {
			wr32(p + n, o->sack[i].start);
			wr32(p + n + 4, o->sack[i].end);
			n += 8;
		}
	}
	while (n % 4)
		p[n++] = TCPOPT_EOL;
	return n;
}

void tcp_emit(const struct tcp_repr *r, uint8_t *buf, uint32_t src, uint32_t dst,
	      enum tcp_csum_mode mode)
{
	size_t hlen = TCP_HDR_LEN + tcp_emit_options(r, buf + TCP_HDR_LEN);
	size_t seglen = hlen + r->payload_len;
	uint32_t pseudo;

	US_ASSERT(hlen == tcp_hdr_len(r) && seglen <= 0xffff);
	wr16(buf + TCP_OFF_SPORT, r->sport);
	wr16(buf + TCP_OFF_DPORT, r->dport);
	wr32(buf + TCP_OFF_SEQ, r->seq);
	wr32(buf + TCP_OFF_ACK, r->ack);
	buf[TCP_OFF_DOFF] = (uint8_t)((hlen / 4) << 4);
	buf[TCP_OFF_FLAGS] = r->flags;
	wr16(buf + TCP_OFF_WIN, r->window);
	wr16(buf + TCP_OFF_CSUM, 0);
	wr16(buf + TCP_OFF_URG, r->urg_ptr);

	pseudo = csum_pseudo(src, dst, IPPROTO_TCP_, (uint16_t)seglen);
	if (mode == TCP_CSUM_PARTIAL)
		/* Folded, not complemented: see enum tcp_csum_mode. */
		wr16(buf + TCP_OFF_CSUM, (uint16_t)~csum_fold(pseudo));
	else
		wr16(buf + TCP_OFF_CSUM, csum_fold(csum_partial(buf, seglen, pseudo)));
}
