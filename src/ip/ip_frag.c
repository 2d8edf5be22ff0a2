/*
 * ip_frag.c - IPv4 fragmentation on output (RFC 791 3.2, "An Example Fragmentation
 * Procedure"; RFC 1812 4.2.2.7 for fragments that are fragmented again).
 *
 * Entry: ip_fragment(), called by ip_send_datagram() for a datagram larger than the
 * path MTU whose DF bit is clear (the caller checked DF and answers with ICMP
 * fragmentation-needed itself). Consumes the datagram; hands every fragment to the
 * caller's send function, which consumes it.
 * Never routes, never touches devices, never sends ICMP.
 *
 * Read first: RFC 791 3.1 (the copied flag of options) and 3.2; RFC 815.
 *
 * How: every fragment is a new packet from st->pool with US_PKT_HEADROOM headroom,
 * so the link layer can push its header without copying. The first fragment keeps
 * the whole header with all options; the later ones carry only the options whose
 * copied flag is set (ipv4_fragment_options). Every fragment but the last carries a
 * multiple of 8 payload bytes. All fragments are built before any is sent, so a
 * buffer shortage sends nothing rather than a datagram that can never be reassembled.
 * The offsets and MF of a datagram that is itself a fragment are kept: its pieces
 * start at its offset, and its last piece keeps its MF bit (RFC 791 3.2, "fragmenting
 * a fragment").
 */
#include <errno.h>
#include <string.h>

#include "ip/ip.h"

/* Builds one fragment: header @hdr (its fields set by the caller), @opts of
 * hdr->opt_len bytes, then @len payload bytes from @payload. NULL when out of buffers. */
static struct us_pkt *frag_build(struct us_stack *st, const struct us_pkt *orig,
				 const struct ipv4_repr *hdr, const uint8_t *opts,
				 const uint8_t *payload, size_t len)
{
	struct us_pkt *f = us_pkt_alloc(&st->pool, hdr->hdr_len + len);
	uint8_t *d;

	if (!f)
		return NULL;
	d = us_pkt_put(f, hdr->hdr_len + len);
	ipv4_emit(hdr, opts, d);
	memcpy(d + hdr->hdr_len, payload, len);
	us_pkt_set_network(f);
	f->dev = orig->dev;
	f->nexthop = orig->nexthop;
	f->mark = orig->mark;
	f->flags = orig->flags;
	f->pkt_type = orig->pkt_type;
	f->rx_ns = orig->rx_ns;
	return f;
}

int ip_fragment(struct us_stack *st, struct us_pkt *p, uint32_t mtu,
		int (*send)(struct us_stack *st, struct us_pkt *frag, void *arg), void *arg)
{
	uint8_t copied_opts[IPV4_MAX_HDR_LEN - IPV4_HDR_LEN];
	struct us_pkt *frags = NULL, **tail = &frags, *f, *next;
	size_t copied_len, plen, pos, len, room;
	const uint8_t *payload;
	struct ipv4_repr ip, hdr;
	unsigned count = 0;
	int err = 0, rc;

	if (ipv4_parse(p->data, us_pkt_len(p), true, &ip) != US_DROP_NONE) {
		err = -EINVAL; /* our own callers built it: a programmer error, still counted */
		goto err_drop;
	}
	us_pkt_trim(p, ip.total_len);
	if (ip.total_len <= mtu)
		return send(st, p, arg); /* nothing to do */
	/* A transport checksum left for the device can no longer be finished by it
	 * once the payload is split: finish it here. */
	if (ip_csum_complete(p) < 0) {
		err = -EINVAL;
		goto err_drop;
	}
	payload = p->data + ip.hdr_len;
	plen = ip.total_len - ip.hdr_len;
	copied_len = ipv4_fragment_options(p->data + IPV4_HDR_LEN, ip.opt_len, copied_opts);

	/* RFC 791 3.2: payload per fragment is a multiple of 8 (NFB), except the last.
	 * The first fragment has the full header; the others the shorter one. */
	if (mtu < ip.hdr_len + 8u || mtu < IPV4_HDR_LEN + copied_len + 8u) {
		err = -EMSGSIZE;
		goto err_drop;
	}
	hdr = ip;
	for (pos = 0; pos < plen; pos += len) {
		room = (mtu - hdr.hdr_len) & ~(size_t)7;
		len = plen - pos <= room ? plen - pos : room;
		hdr.total_len = (uint16_t)(hdr.hdr_len + len);
		hdr.frag_off = (uint16_t)(ip.frag_off + pos);
		/* The last piece keeps the original MF: it may itself be a middle fragment. */
		hdr.mf = pos + len < plen ? true : ip.mf;
		f = frag_build(st, p, &hdr, pos == 0 ? p->data + IPV4_HDR_LEN : copied_opts,
			       payload + pos, len);
		if (!f) {
			err = -ENOBUFS;
			goto err_free;
		}
		*tail = f;
		tail = &f->next;
		count++;
		if (pos == 0) {
			/* Later fragments: only the copied options (RFC 791 3.1). */
			hdr.opt_len = (uint8_t)copied_len;
			hdr.hdr_len = (uint8_t)(IPV4_HDR_LEN + copied_len);
		}
	}
	us_pkt_free(p); /* every byte of it is in the fragments now */
	US_INC(st, IpFragOKs);
	US_ADD(st, IpFragCreates, count);

	/* Each fragment's fate is its own from here (the send function counts and drops
	 * what it cannot send); report the first failure. */
	for (f = frags; f; f = next) {
		next = f->next;
		f->next = NULL;
		rc = send(st, f, arg);
		if (rc < 0 && !err)
			err = rc;
	}
	return err;

err_free:
	for (f = frags; f; f = next) {
		next = f->next;
		us_pkt_free(f); /* never sent: not a drop of its own, the datagram's is counted */
	}
err_drop:
	US_INC(st, IpFragFails);
	us_drop(st, p, err == -ENOBUFS ? US_DROP_NOMEM : US_DROP_IP_FRAG_FAILED);
	return err;
}
