/*
 * arp.c - ARP packets (RFC 826) for IPv4 over Ethernet, parse and emit.
 *
 * RFC 826 "Packet Reception": a receiver first checks that it speaks the
 * hardware type (ar$hrd) and protocol type (ar$pro); we also insist on the
 * matching address lengths so the fixed layout of ARP_OFF_* holds, and on an
 * opcode of request or reply (RARP and InARP are not ours). Everything about
 * whom the packet concerns (our address, gratuitous ARP, the sender's
 * validity) is neigh/'s business, not this file's.
 */
#include "wire/arp.h"

#include <string.h>

#include "base/bytes.h"

enum {
	ARP_HRD_ETHER = 1,     /* ar$hrd: Ethernet (RFC 826, IANA hardware types) */
	ARP_PRO_IPV4 = 0x0800, /* ar$pro: the EtherType of IPv4 */
	ARP_HLN_ETHER = 6,
	ARP_PLN_IPV4 = 4,
};

enum us_drop_reason arp_parse(const uint8_t *buf, size_t len, struct arp_repr *out)
{
	uint16_t op;

	/* The frame may carry Ethernet padding after the 28 bytes; it is ignored. */
	if (len < ARP_HDR_LEN)
		return US_DROP_PKT_TOO_SHORT;
	if (rd16(buf + ARP_OFF_HTYPE) != ARP_HRD_ETHER || rd16(buf + ARP_OFF_PTYPE) != ARP_PRO_IPV4 ||
	    buf[ARP_OFF_HLEN] != ARP_HLN_ETHER || buf[ARP_OFF_PLEN] != ARP_PLN_IPV4)
		return US_DROP_ARP_MALFORMED;
	op = rd16(buf + ARP_OFF_OP);
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
		return US_DROP_ARP_MALFORMED;

	out->op = op;
	memcpy(out->sha, buf + ARP_OFF_SHA, 6);
	out->spa = rd32(buf + ARP_OFF_SPA);
	memcpy(out->tha, buf + ARP_OFF_THA, 6);
	out->tpa = rd32(buf + ARP_OFF_TPA);
	return US_DROP_NONE;
}

void arp_emit(const struct arp_repr *r, uint8_t *buf)
{
	wr16(buf + ARP_OFF_HTYPE, ARP_HRD_ETHER);
	wr16(buf + ARP_OFF_PTYPE, ARP_PRO_IPV4);
	buf[ARP_OFF_HLEN] = ARP_HLN_ETHER;
	buf[ARP_OFF_PLEN] = ARP_PLN_IPV4;
	wr16(buf + ARP_OFF_OP, r->op);
	memcpy(buf + ARP_OFF_SHA, r->sha, 6);
	wr32(buf + ARP_OFF_SPA, r->spa);
	memcpy(buf + ARP_OFF_THA, r->tha, 6);
	wr32(buf + ARP_OFF_TPA, r->tpa);
}
