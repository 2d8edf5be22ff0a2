/*
 * sim_peer.h - shared helpers of the segment-level scenarios in tests/sim: one stack
 * on the test device of tests/unit/tcp/tcp_env.h and a scripted peer whose SYN-ACK
 * comes a chosen time after the SYN, so the connection starts with a known RTT.
 */
#ifndef US_TESTS_SIM_PEER_H
#define US_TESTS_SIM_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp/tcp_sock.h"
#include "tcp_env.h"

#define SP_PEER_ISS 0x30000000u
#define SP_MSS 1460

struct sp {
	struct us_stack *st;
	struct te_dev *dev;
	struct te_peer pe;
};

/* A new stack (seed @seed) and an active open from @lport to the peer's port 80 whose
 * SYN-ACK comes @rtt_ms after the SYN: MSS 1460, SACK-permitted if @sack, no timestamps
 * or window scaling. @cc (may be NULL) is set as the stack's default congestion control
 * first. The connection is ESTABLISHED with SRTT = @rtt_ms, RTTVAR = @rtt_ms / 2. */
struct tcp_sock *sp_open(struct sp *s, uint64_t seed, uint16_t lport, uint32_t rtt_ms, bool sack,
			 const char *cc);
/* Queues @n full segments (n <= 10) and lets output send them; asserts @n went out and
 * forgets them. */
void sp_send_segs(struct sp *s, struct tcp_sock *tp, unsigned n);
/* The peer's ACK of @ack with @nsack SACK blocks [start, end) given as pairs. */
void sp_ack(struct sp *s, uint32_t ack, const uint32_t (*blocks)[2], unsigned nsack);
/* Aborts @tp, checks no connection or buffer is left, frees the stack. */
void sp_close(struct sp *s, struct tcp_sock *tp);

#endif
