/*
 * udp.c - UDP header (RFC 768), parse and emit, with the pseudo-header checksum.
 *
 * RFC 768: the checksum covers the pseudo-header (source, destination, zero,
 * protocol 17, UDP length), the header and the data. A transmitted checksum of
 * zero means the sender computed none (RFC 1122 4.1.3.4 lets a receiver accept
 * that); a computed zero is therefore sent as all ones, its one's-complement
 * equivalent.
 */
#include "wire/udp.h"

#include "base/bytes.h"
#include "wire/checksum.h"

enum { IPPROTO_UDP_ = 17 };

enum us_drop_reason udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst,
			      bool csum_ok, struct udp_repr *out)
{
	unsigned ulen;
	uint16_t check;

	if (len < UDP_HDR_LEN)
		return US_DROP_PKT_TOO_SHORT;
	/* RFC 768: "Length is the length in octets of this user datagram including
	 * this header and the data". It may be less than the IP payload (the rest is
	 * ignored) but never more, and never less than the header. */
	ulen = rd16(buf + UDP_OFF_LEN);
	if (ulen < UDP_HDR_LEN || ulen > len)
		return US_DROP_UDP_LEN;
	check = rd16(buf + UDP_OFF_CSUM);
	out->csum_zero = check == 0;
	if (!csum_ok && check != 0 &&
	    csum_fold(csum_partial(buf, ulen, csum_pseudo(src, dst, IPPROTO_UDP_, (uint16_t)ulen))) != 0)
		return US_DROP_UDP_CSUM;
	out->sport = rd16(buf + UDP_OFF_SPORT);
	out->dport = rd16(buf + UDP_OFF_DPORT);
	out->payload_len = (uint16_t)(ulen - UDP_HDR_LEN);
	return US_DROP_NONE;
}

enum us_drop_reason udp_parse_quoted(const uint8_t *buf, size_t len, struct udp_repr *out)
{
	unsigned ulen;

	if (len < UDP_HDR_LEN)
		return US_DROP_PKT_TOO_SHORT;
	ulen = rd16(buf + UDP_OFF_LEN);
	out->sport = rd16(buf + UDP_OFF_SPORT);
	out->dport = rd16(buf + UDP_OFF_DPORT);
	out->payload_len = (uint16_t)(ulen >= UDP_HDR_LEN ? ulen - UDP_HDR_LEN : 0);
	out->csum_zero = rd16(buf + UDP_OFF_CSUM) == 0;
	return US_DROP_NONE;
}

void udp_emit(const struct udp_repr *r, uint8_t *buf, uint32_t src, uint32_t dst,
	      enum udp_csum_mode mode)
{
	uint16_t ulen = (uint16_t)(UDP_HDR_LEN + r->payload_len);
	uint32_t pseudo = csum_pseudo(src, dst, IPPROTO_UDP_, ulen);
	uint16_t check;

	wr16(buf + UDP_OFF_SPORT, r->sport);
	wr16(buf + UDP_OFF_DPORT, r->dport);
	wr16(buf + UDP_OFF_LEN, ulen);
	if (mode == UDP_CSUM_PARTIAL) {
		/*
		 * Checksum offload (virtio VIRTIO_NET_HDR_F_NEEDS_CSUM, Linux
		 * CHECKSUM_PARTIAL): the device sums everything from the UDP header
		 * on, this field included, folds, complements and stores the result
		 * here. For that to equal the full checksum the field must hold the
		 * pseudo-header sum folded to 16 bits and NOT complemented, i.e.
		 * ~csum_fold(pseudo) (Linux: ~csum_tcpudp_magic(...)). The device, not
		 * we, then owns the "0 is sent as 0xffff" rule.
		 */
		wr16(buf + UDP_OFF_CSUM, (uint16_t)~csum_fold(pseudo));
		return;
	}
	wr16(buf + UDP_OFF_CSUM, 0);
	check = csum_fold(csum_partial(buf, ulen, pseudo));
	wr16(buf + UDP_OFF_CSUM, check ? check : 0xffff);
}
