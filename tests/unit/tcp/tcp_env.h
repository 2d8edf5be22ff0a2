/*
 * tcp_env.h - the test harness of the TCP engine's unit tests.
 *
 * Two ways to drive a stack, both on the virtual clock:
 *   - segment level: one stack with an in-memory IP-link device ("te0", no ARP);
 *     the test injects IPv4+TCP datagrams built from a plain description (or real
 *     bytes from a fixture) and pops what the stack sent, parsed by wire/ (which
 *     checks the checksums). Exact replies can be asserted field by field.
 *   - two stacks: A and B joined by an in-memory link with a one-way delay and a
 *     filter hook that can drop chosen frames (the "test hook" for loss tests);
 *     te_run() advances both clocks together from event to event.
 * Addresses are from 198.18.0.0/15 only.
 */
#ifndef US_TESTS_TCP_ENV_H
#define US_TESTS_TCP_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stack.h"
#include "tcp/tcp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define TE_ADDR(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))
#define TE_US TE_ADDR(198, 18, 0, 2)
#define TE_PEER TE_ADDR(198, 18, 0, 1)
#define TE_START_MS 1000

struct te_dev;

/* A seeded stack on the virtual clock at TE_START_MS, with lo and "te0" (@addr/24). */
struct us_stack *te_stack_new(uint32_t addr, uint64_t seed, struct te_dev **dev);
/* Checks that every connection, request and TIME_WAIT record is gone and that no
 * packet buffer leaked (cmocka asserts), then frees the stack. */
void te_stack_free(struct us_stack *st);
/* Closes nothing: asserts the TCP table is empty (connections freed after close). */
void te_assert_no_conns(struct us_stack *st);
struct us_netdev *te_netdev(struct te_dev *d);

/* ---- segment level ---- */
struct te_seg {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	struct tcp_opts opts;
	const void *data;
	uint32_t len;
};
/* IPv4 + TCP bytes for @s, checksums filled; returns the length. */
size_t te_build(const struct te_seg *s, uint8_t *buf, size_t cap);
/* Queues @s (or raw @bytes) as received on @d; delivered by the next poll. */
void te_inject(struct te_dev *d, const struct te_seg *s);
void te_inject_bytes(struct te_dev *d, const void *bytes, size_t len);
/* As te_inject_bytes, the frame marked with checksum state @csum (enum us_csum_state). */
void te_inject_bytes_csum(struct te_dev *d, const void *bytes, size_t len, uint8_t csum);
/* Frames the device saw with checksum offload requested (US_CSUM_PARTIAL), all checked
 * to point at the TCP checksum and finished here before parsing. */
unsigned te_partial_seen(struct te_dev *d);

struct te_out {
	struct ipv4_repr ip;
	struct tcp_repr th;
	uint8_t raw[2048];        /* the whole datagram */
	size_t raw_len;
	const uint8_t *data;      /* payload inside raw */
	uint32_t len;
};
/* Takes the oldest frame @d sent, parsed (asserts it is a valid IPv4/TCP datagram). */
bool te_pop(struct te_dev *d, struct te_out *o);
unsigned te_tx_count(struct te_dev *d);
void te_tx_clear(struct te_dev *d);
/* Moves the clock forward by @ms and runs one poll round. */
void te_advance(struct us_stack *st, uint64_t ms);
void te_poll(struct us_stack *st);
uint64_t te_now_ms(struct us_stack *st);

/* A scripted peer at TE_PEER talking to the stack at TE_US (segment level). */
struct te_peer {
	struct us_stack *st;
	struct te_dev *dev;
	uint16_t sport, dport;      /* peer's port, the stack's */
	uint32_t snd_nxt;           /* peer's next sequence number */
	uint32_t rcv_nxt;           /* what the peer acknowledges */
	uint32_t tsval, tsecr;      /* peer's clock, and the last TSval seen from the stack */
	bool ts;                    /* the peer sends timestamps */
};
/* Sends a segment at snd_nxt acknowledging rcv_nxt and advances snd_nxt. */
void te_peer_send(struct te_peer *pe, uint8_t flags, const void *data, uint32_t len, uint16_t win);
/* Pops the next segment the stack sent (asserts there is one); tracks its TSval. */
void te_peer_pop(struct te_peer *pe, struct te_out *o);

/* ---- two stacks ---- */
struct te_link;
/* Return true to drop the frame. @dir: 0 = A to B, 1 = B to A. */
typedef bool te_filter_fn(void *arg, int dir, const struct te_out *frame, uint64_t now_ms);
/* Two seeded stacks, A at TE_PEER and B at TE_US, joined by a link with @delay_ms each way. */
struct te_link *te_link_new(uint64_t delay_ms, struct us_stack **a, struct us_stack **b);
struct us_stack *te_link_stack(struct te_link *l, int i);
void te_link_set_filter(struct te_link *l, te_filter_fn *fn, void *arg);
/* Extra one-way delay (ms) for a frame that passed the filter; frames are delivered in
 * order of due time, so a delayed frame is overtaken (reordering, delay spikes). */
typedef uint64_t te_delay_fn(void *arg, int dir, const struct te_out *frame, uint64_t now_ms);
void te_link_set_delay(struct te_link *l, te_delay_fn *fn, void *arg);
/* Runs both stacks until @done(@arg) (may be NULL) or @max_ms of virtual time passed.
 * 0 when done, -ETIMEDOUT, or -EDEADLK when nothing can happen any more. */
int te_run(struct te_link *l, uint64_t max_ms, bool (*done)(void *arg), void *arg);
/* Frees the link and both stacks (leak checks included). */
void te_link_free(struct te_link *l);
uint64_t te_link_frames(const struct te_link *l, int dir);  /* frames carried */
uint64_t te_link_dropped(const struct te_link *l, int dir); /* frames the filter dropped */

#endif
