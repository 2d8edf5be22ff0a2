/*
 * eth.h - Ethernet input and output (DESIGN.md section 1: dev -> l2 -> ip).
 *
 * eth_input() filters on the destination address (ours, broadcast, multicast;
 * anything else only in promiscuous mode), classifies the frame (p->pkt_type),
 * and hands IPv4 to ip_input() and ARP to arp_input(). Every drop is counted
 * with its reason.
 *
 * eth_output() pushes the Ethernet header in front of the packet's data, pads
 * runt frames to 60 bytes, and queues the frame on the device.
 */
#ifndef US_L2_ETH_H
#define US_L2_ETH_H

#include <stdint.h>

#include "core/stack.h"

/* Consumes @p; p->data is at the Ethernet header, p->dev is the input device. */
void eth_input(struct us_stack *st, struct us_pkt *p);

/* Consumes @p; p->data is at the L3 header. Source address is dev->hwaddr. */
void eth_output(struct us_stack *st, struct us_netdev *dev, const uint8_t dst[6],
		uint16_t ethertype, struct us_pkt *p);

#endif
