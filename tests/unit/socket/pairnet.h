/*
 * pairnet.h - two seeded stacks on virtual clocks joined by an in-memory
 * Ethernet pair (us_dev_pair_new), for tests of stream sockets and of the
 * services written on them: A is 198.18.0.1/24 on "pa", B 198.18.0.2/24 on
 * "pb". The driver polls both stacks and, when both are idle, moves both clocks
 * to the earlier of their next deadlines, so a test waits in virtual time only.
 */
#ifndef US_TESTS_PAIRNET_H
#define US_TESTS_PAIRNET_H

#include <stdint.h>

#include "core/stack.h"

#define PN_ADDR(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))
#define PN_A PN_ADDR(198, 18, 0, 1)
#define PN_B PN_ADDR(198, 18, 0, 2)

struct pairnet {
	struct us_stack *a, *b;
};

void pn_new(struct pairnet *n);
/* Runs both stacks for @ms of virtual time. */
void pn_run(struct pairnet *n, uint64_t ms);
/* Runs until socket @sd of @st shows one of @events or @ms pass; returns its events. */
int pn_wait(struct pairnet *n, struct us_stack *st, int sd, int events, uint64_t ms);
/* Lets every close finish (TIME_WAIT included), checks (cmocka) that no packet buffer
 * leaked in either stack, and frees both. */
void pn_free(struct pairnet *n);

#endif
