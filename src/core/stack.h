/*
 * stack.h - struct us_stack, one instance of the whole network stack, owned by
 * exactly one thread (DESIGN.md section 2). Protocol code takes no locks.
 *
 * One poll round (us_stack_poll), in this order, each phase bounded:
 *   1. clock      st->now_ns / st->now_ms read once from st->clock
 *   2. timers     us_timer_wheel_run(now)
 *   3. ingress    per device, up to net.core.netdev_budget frames: rx -> eth/ip input
 *   4. hooks      registered per-round hooks (control server, services, applications)
 *   5. output     registered output hooks (TCP's egress: segments for what the input and
 *                 the hooks above changed, so an application's send goes out this round)
 *   6. devices    per device: hand the transmit queue to the device in one batch
 *
 * Work that must run in a round but has no deadline (a send from outside the loop)
 * calls us_stack_request_round(): us_stack_next_deadline_ns is then "now", so an
 * event loop or the simulator runs a round at once instead of sleeping.
 *
 * Each protocol module keeps its state behind a pointer here and provides
 * <module>_init(st) / <module>_fini(st), called by us_stack_new/us_stack_free.
 */
#ifndef US_CORE_STACK_H
#define US_CORE_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/hash.h"
#include "base/list.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/counters.h"
#include "core/log.h"
#include "core/pkt.h"
#include "core/timer.h"
#include "dev/netdev.h"

struct us_neigh_table;
struct us_fib;
struct us_reasm;
struct us_pmtu;
struct us_icmp_state;
struct us_udp_table;
struct us_sock_table;
struct us_tcp_table;

/* A function run once per poll round after ingress (e.g. a service or the control server). */
struct us_poll_hook {
	struct list_head link;
	void (*fn)(struct us_poll_hook *h, struct us_stack *st);
};

struct us_stack {
	char name[32];
	struct us_clock clock;
	uint64_t now_ns;                 /* set once per poll round */
	uint64_t now_ms;
	struct us_config cfg;
	struct us_counters counters;
	struct us_log_state log;
	struct us_timer_wheel timers;
	struct us_pkt_pool pool;
	struct us_siphash_key hash_key;  /* keys every hash table holding packet-chosen keys */
	uint64_t rand_state;             /* xorshift state for non-cryptographic choices */

	struct us_netdev *devs[US_MAX_DEVS + 1]; /* by ifindex; [0] unused */
	int ndevs;
	struct us_netdev *loopback;     /* the first loopback device: where local traffic goes */
	int epoll_fd;                    /* device fds, for us_stack_wait */

	struct us_neigh_table *neigh;    /* neigh/ */
	struct us_fib *fib;              /* ip/fib.c */
	struct us_reasm *reasm;          /* ip/ip_reass.c */
	struct us_pmtu *pmtu;            /* ip/ip_pmtu.c */
	struct us_icmp_state *icmp;      /* icmp/ */
	struct us_udp_table *udp;        /* udp/ */
	struct us_tcp_table *tcp;        /* tcp/ */
	struct us_sock_table *socks;     /* socket/ */

	struct list_head poll_hooks;
	struct list_head output_hooks;
	bool round_requested;            /* us_stack_request_round since the round began */
};

/* A pseudo-random 32-bit value for non-security uses (jitter, IP ids are keyed elsewhere). */
uint32_t us_stack_rand(struct us_stack *st);

/* Refresh st->now_ns/now_ms from the clock (done by us_stack_poll; tests may call it). */
void us_stack_update_time(struct us_stack *st);

void us_stack_add_poll_hook(struct us_stack *st, struct us_poll_hook *h);
void us_stack_del_poll_hook(struct us_stack *st, struct us_poll_hook *h);
/* A hook of phase 5: runs after every poll hook of the round (and is removed with
 * us_stack_del_poll_hook). */
void us_stack_add_output_hook(struct us_stack *st, struct us_poll_hook *h);
/* Asks for a poll round as soon as possible (see the phases above). */
static inline void us_stack_request_round(struct us_stack *st) { st->round_requested = true; }

#endif
