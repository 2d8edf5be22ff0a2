/*
 * tcp_app.h - a small application for the two-stack tests: a sender writing a
 * deterministic pseudo-random byte stream into a connection and a receiver that
 * checks every byte it reads against the same stream and hashes it (FNV-1a), so
 * a transfer is proved byte-exact at both ends. Driven from te_run's done()
 * callback after each poll round, as an event loop would.
 */
#ifndef US_TESTS_TCP_APP_H
#define US_TESTS_TCP_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_env.h"

struct xfer {
	struct us_stack *a, *b;         /* A connects and sends, B listens and receives */
	struct tcp_sock *lst, *tx, *rx;
	uint16_t port;
	uint64_t total;                 /* bytes to send */
	uint64_t sent, rcvd;
	uint64_t tx_hash, rx_hash;
	bool shut_tx;                   /* sender did shutdown(SHUT_WR) after the last byte */
	bool eof;                       /* receiver read the end of stream */
	bool close_when_done;           /* both close once the transfer is complete */
	bool closed;
	uint32_t rd_chunk;              /* bytes per read (0: as much as fits in 64 KB) */
	uint64_t rd_pause_until_ms;     /* receiver does not read before this time */
	uint32_t wr_chunk;              /* bytes per write (0: 64 KB) */
	int rx_err, tx_err;             /* first error seen by each side */
	bool mismatch;                  /* a received byte differed from the stream */
};

uint8_t xfer_byte(uint64_t i);
/* Sets up the listener on B and connects A (a = te_link stack A, b = stack B). */
void xfer_start(struct xfer *x, struct us_stack *a, struct us_stack *b, uint16_t port,
		uint64_t total);
/* One round of application work; true when B has read everything and the EOF. */
bool xfer_step(void *arg);
/* done() for te_run: every TCP object of both stacks is gone. */
bool xfer_all_gone(void *arg);

#endif
