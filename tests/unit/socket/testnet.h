/*
 * testnet.h - a test harness for the ICMP, UDP and socket unit tests: a seeded
 * stack on the virtual clock with an in-memory IP-link device (no Ethernet,
 * no ARP: frames are bare IPv4 datagrams) whose receive queue the test fills
 * and whose transmit side the test reads back, as the "fake device" of
 * STYLE.md 2.13. Everything goes through the real receive and send paths:
 * tn_inject + us_stack_poll runs ip_input -> icmp/udp -> sockets; whatever the
 * stack sends lands in tn_tx after the poll's egress phase.
 */
#ifndef US_TESTS_TESTNET_H
#define US_TESTS_TESTNET_H

#include <stddef.h>
#include <stdint.h>

#include "core/stack.h"

#define TN_SEED 42
/* 198.18.0.0/15 (RFC 2544 benchmarking) is the only range these tests use. */
#define TN_ADDR(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))
#define TN_US TN_ADDR(198, 18, 0, 2)
#define TN_PEER TN_ADDR(198, 18, 0, 1)
#define TN_BCAST TN_ADDR(198, 18, 0, 255)

struct tn_dev;

/* A seeded stack on the virtual clock at 1 s, with lo and "tn0" (198.18.0.2/24).
 * *@dev gets the tn0 device. */
struct us_stack *tn_stack_new(struct tn_dev **dev);
/* Frees the stack after checking (cmocka asserts) that no packet buffer leaked. */
void tn_stack_free(struct us_stack *st);
/* Another IP-link device with @addr/@plen. */
struct tn_dev *tn_dev_add(struct us_stack *st, const char *name, uint32_t addr, unsigned plen);
int tn_ifindex(const struct tn_dev *d);

/* Queues @len bytes as a received datagram (delivered at the next poll). */
void tn_inject(struct tn_dev *d, const void *ip, size_t len);
/* As tn_inject, then one poll round. */
void tn_rx(struct us_stack *st, struct tn_dev *d, const void *ip, size_t len);
/* As tn_inject, with the packet's link type (enum us_pkt_type) set on arrival. */
void tn_inject_type(struct tn_dev *d, const void *ip, size_t len, uint8_t pkt_type);
/* Frames sent and not yet read. */
unsigned tn_tx_count(const struct tn_dev *d);
/* Takes the oldest sent frame into @buf; returns its length (0 if none). */
size_t tn_tx_pop(struct tn_dev *d, uint8_t *buf, size_t cap);
/* Takes the oldest sent frame itself (NULL if none); the caller frees it. */
struct us_pkt *tn_tx_pop_pkt(struct tn_dev *d);
/* The device (to set capabilities such as US_DEV_CAP_TX_CSUM). */
struct us_netdev *tn_netdev(struct tn_dev *d);
/* Drops every sent frame. */
void tn_tx_clear(struct tn_dev *d);

/* Advances the virtual clock by @ms and runs a poll round. */
void tn_advance_ms(struct us_stack *st, uint64_t ms);

/* Counter and drop-reason values by name (asserts the name exists). */
uint64_t tn_stat(struct us_stack *st, enum us_stat s);
uint64_t tn_drops(struct us_stack *st, enum us_drop_reason r);

/* Fails the test with a hex dump of both when the buffers differ. */
void tn_assert_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len);

/* Internet checksum helpers for building datagrams in tests. */
uint16_t tn_csum(const void *buf, size_t len);
/* Builds an IPv4 header (20 bytes, checksum filled) in @buf. Returns 20. */
size_t tn_ip_hdr(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto, uint16_t payload_len,
		 uint16_t id, uint8_t ttl);
/* Builds IPv4 + UDP (checksum filled) with @payload; returns the total length. */
size_t tn_udp_dgram(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		    const void *payload, size_t len);

#endif
