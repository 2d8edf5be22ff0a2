/*
 * ether.h - Ethernet II header (IEEE 802.3 / RFC 894), parse and emit.
 */
#ifndef US_WIRE_ETHER_H
#define US_WIRE_ETHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"

enum {
	ETH_OFF_DST = 0,
	ETH_OFF_SRC = 6,
	ETH_OFF_TYPE = 12,
	ETH_HDR_LEN = 14,
	ETH_ALEN = 6,
	ETH_MIN_FRAME = 60, /* without FCS; shorter frames are padded on send */
};

enum { ETH_P_IP = 0x0800, ETH_P_ARP = 0x0806, ETH_P_8021Q = 0x8100, ETH_P_IPV6 = 0x86dd };

struct eth_repr {
	uint8_t dst[ETH_ALEN];
	uint8_t src[ETH_ALEN];
	uint16_t ethertype;
};

/* Returns US_DROP_NONE or US_DROP_PKT_TOO_SHORT. Payload starts at buf + ETH_HDR_LEN. */
enum us_drop_reason eth_parse(const uint8_t *buf, size_t len, struct eth_repr *out);
/* Writes ETH_HDR_LEN bytes. */
void eth_emit(const struct eth_repr *r, uint8_t *buf);

static inline bool eth_addr_is_broadcast(const uint8_t *a)
{
	return (a[0] & a[1] & a[2] & a[3] & a[4] & a[5]) == 0xff;
}
static inline bool eth_addr_is_multicast(const uint8_t *a) { return a[0] & 1; }
static inline bool eth_addr_is_zero(const uint8_t *a)
{
	return !(a[0] | a[1] | a[2] | a[3] | a[4] | a[5]);
}

#endif
