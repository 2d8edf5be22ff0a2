/*
 * arp.h - ARP for IPv4 over Ethernet (RFC 826), parse and emit. Only
 * htype 1 / ptype 0x0800 / hlen 6 / plen 4 is accepted.
 */
#ifndef US_WIRE_ARP_H
#define US_WIRE_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"

enum {
	ARP_OFF_HTYPE = 0,
	ARP_OFF_PTYPE = 2,
	ARP_OFF_HLEN = 4,
	ARP_OFF_PLEN = 5,
	ARP_OFF_OP = 6,
	ARP_OFF_SHA = 8,
	ARP_OFF_SPA = 14,
	ARP_OFF_THA = 18,
	ARP_OFF_TPA = 24,
	ARP_HDR_LEN = 28,
};

enum { ARP_OP_REQUEST = 1, ARP_OP_REPLY = 2 };

struct arp_repr {
	uint16_t op;
	uint8_t sha[6];
	uint32_t spa;  /* host order */
	uint8_t tha[6];
	uint32_t tpa;  /* host order */
};

/* US_DROP_NONE, US_DROP_PKT_TOO_SHORT, or US_DROP_ARP_MALFORMED (types, lengths, opcode). */
enum us_drop_reason arp_parse(const uint8_t *buf, size_t len, struct arp_repr *out);
/* Writes ARP_HDR_LEN bytes. */
void arp_emit(const struct arp_repr *r, uint8_t *buf);

#endif
