/*
 * ether.c - Ethernet II header (RFC 894), parse and emit. The FCS is never
 * seen: devices strip it on receive and append it on send. Frames with an
 * 802.1Q tag are returned with ethertype ETH_P_8021Q; l2/ decides what to do.
 */
#include "wire/ether.h"

#include <string.h>

#include "base/bytes.h"

enum us_drop_reason eth_parse(const uint8_t *buf, size_t len, struct eth_repr *out)
{
	if (len < ETH_HDR_LEN)
		return US_DROP_PKT_TOO_SHORT;
	memcpy(out->dst, buf + ETH_OFF_DST, ETH_ALEN);
	memcpy(out->src, buf + ETH_OFF_SRC, ETH_ALEN);
	out->ethertype = rd16(buf + ETH_OFF_TYPE);
	return US_DROP_NONE;
}

void eth_emit(const struct eth_repr *r, uint8_t *buf)
{
	memcpy(buf + ETH_OFF_DST, r->dst, ETH_ALEN);
	memcpy(buf + ETH_OFF_SRC, r->src, ETH_ALEN);
	wr16(buf + ETH_OFF_TYPE, r->ethertype);
}
