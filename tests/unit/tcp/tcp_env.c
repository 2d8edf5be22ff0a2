/*
 * tcp_env.c - see tcp_env.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_env.h"

#include "base/bytes.h"
#include "dev/devices.h"
#include "ip/ifaddr.h"
#include "ip/ip.h"
#include "tcp/tcp_sock.h"
#include "ustack/ustack.h"
#include "wire/checksum.h"

struct te_dev {
	struct us_netdev *dev;
	struct us_pktq rx;          /* frames to deliver; p->rx_ns holds the due time */
	struct us_pktq tx;          /* segment level: frames sent, for te_pop */
	struct te_link *link;       /* two-stack mode: where sent frames go */
	int dir;
	unsigned partial;           /* frames sent with US_CSUM_PARTIAL */
};

struct te_link {
	struct us_stack *st[2];
	struct te_dev *dev[2];
	uint64_t delay_ns;
	te_filter_fn *filter;
	void *filter_arg;
	te_delay_fn *delay_fn;
	void *delay_arg;
	uint64_t frames[2], dropped[2];
};

/* Queues @q for delivery at q->rx_ns, keeping the queue ordered by due time (a frame
 * given extra delay is overtaken by later ones: reordering). */
static void rx_insert(struct us_pktq *rx, struct us_pkt *q)
{
	struct us_pkt **pp = &rx->first;

	while (*pp && (*pp)->rx_ns <= q->rx_ns)
		pp = &(*pp)->next;
	q->next = *pp;
	*pp = q;
	if (!q->next)
		rx->last = q;
	rx->len++;
	rx->bytes += us_pkt_len(q);
}

static int te_rx_batch(struct us_netdev *dev, struct us_pkt **out, int max)
{
	struct te_dev *d = dev->priv;
	uint64_t now = dev->st->now_ns;
	int n = 0;

	while (n < max && d->rx.len && d->rx.first->rx_ns <= now)
		out[n++] = us_pktq_pop(&d->rx);
	return n;
}

static bool te_parse(const uint8_t *b, size_t len, struct te_out *o)
{
	if (len > sizeof(o->raw))
		return false;
	memcpy(o->raw, b, len);
	o->raw_len = len;
	if (ipv4_parse(o->raw, len, false, &o->ip) != US_DROP_NONE || o->ip.proto != 6)
		return false;
	if (tcp_parse(o->raw + o->ip.hdr_len, o->ip.total_len - o->ip.hdr_len, o->ip.src, o->ip.dst,
		      false, &o->th) != US_DROP_NONE)
		return false;
	o->data = o->raw + o->ip.hdr_len + o->th.hdr_len;
	o->len = (uint32_t)o->th.payload_len;
	return true;
}

static int te_tx_batch(struct us_netdev *dev, struct us_pkt **pkts, int n)
{
	struct te_dev *d = dev->priv;

	for (int i = 0; i < n; i++) {
		struct us_pkt *p = pkts[i];
		struct te_link *l = d->link;

		/* Checksum offload: the device finishes the checksum (virtio NEEDS_CSUM);
		 * it must start at the TCP header and land in its checksum field. */
		if (p->csum == US_CSUM_PARTIAL) {
			assert_true(dev->caps & US_DEV_CAP_TX_CSUM);
			assert_int_equal(p->csum_start, p->trans_off);
			assert_int_equal(p->csum_offset, TCP_OFF_CSUM);
			assert_int_equal(ip_csum_complete(p), 0);
			d->partial++;
		}
		assert_int_equal(p->csum, US_CSUM_NONE);
		if (!l) {
			us_pktq_push(&d->tx, p);
			continue;
		}
		{
			struct te_dev *peer = l->dev[!d->dir];
			struct us_stack *pst = l->st[!d->dir];
			size_t len = us_pkt_len(p);
			struct us_pkt *q;
			struct te_out o;

			assert_true(te_parse(p->data, len, &o));
			if (l->filter && l->filter(l->filter_arg, d->dir, &o, dev->st->now_ms)) {
				l->dropped[d->dir]++;
				us_pkt_free(p);
				continue;
			}
			l->frames[d->dir]++;
			q = us_pkt_alloc(&pst->pool, len);
			assert_non_null(q);
			memcpy(us_pkt_put(q, len), p->data, len);
			q->rx_ns = dev->st->now_ns + l->delay_ns;
			if (l->delay_fn)
				q->rx_ns += l->delay_fn(l->delay_arg, d->dir, &o, dev->st->now_ms) *
					    US_NSEC_PER_MSEC;
			rx_insert(&peer->rx, q);
			us_pkt_free(p);
		}
	}
	return n;
}

static uint64_t te_next_rx_ns(struct us_netdev *dev)
{
	struct te_dev *d = dev->priv;

	return d->rx.len ? d->rx.first->rx_ns : UINT64_MAX;
}

static void te_close(struct us_netdev *dev)
{
	struct te_dev *d = dev->priv;

	us_pktq_purge(&d->rx);
	us_pktq_purge(&d->tx);
	free(d);
}

static const struct us_netdev_ops te_ops = {
	.kind = "tcptest",
	.rx_batch = te_rx_batch,
	.tx_batch = te_tx_batch,
	.next_rx_ns = te_next_rx_ns,
	.close = te_close,
};

struct us_stack *te_stack_new(uint32_t addr, uint64_t seed, struct te_dev **devp)
{
	struct us_stack_opts o = {
		.name = "tcptest",
		.virtual_clock = true,
		.clock_start_ns = TE_START_MS * US_NSEC_PER_MSEC,
		.seed = seed,
	};
	struct us_stack *st = us_stack_new(&o);
	struct us_netdev *dev;
	struct te_dev *d;
	int idx;

	assert_non_null(st);
	us_stack_update_time(st);
	dev = us_netdev_alloc("te0", &te_ops);
	d = calloc(1, sizeof(*d));
	assert_non_null(dev);
	assert_non_null(d);
	d->dev = dev;
	us_pktq_init(&d->rx, 0);
	us_pktq_init(&d->tx, 0);
	dev->priv = d;
	dev->link = US_LINK_IP;
	dev->flags = US_DEV_UP;
	dev->mtu = 1500;
	idx = dev_register(st, dev);
	assert_true(idx > 0);
	assert_int_equal(ifaddr_add(st, idx, addr, 24), 0);
	*devp = d;
	return st;
}

struct us_netdev *te_netdev(struct te_dev *d) { return d->dev; }

void te_assert_no_conns(struct us_stack *st)
{
	assert_int_equal(st->tcp->nsocks, 0);
	assert_int_equal(st->tcp->ntw, 0);
	assert_int_equal(st->tcp->nreq, 0);
	assert_true(list_empty(&st->tcp->pending));
}

void te_stack_free(struct us_stack *st)
{
	unsigned held = 0;

	for (int i = 1; i <= US_MAX_DEVS; i++) {
		struct us_netdev *dev = st->devs[i];

		if (!dev)
			continue;
		if (dev->ops == &te_ops) {
			struct te_dev *d = dev->priv;
			held += d->rx.len + d->tx.len;
		}
		held += dev->txq.len;
	}
	assert_int_equal(st->pool.in_use + st->pool.large_in_use, held);
	us_stack_free(st);
}

size_t te_build(const struct te_seg *s, uint8_t *buf, size_t cap)
{
	struct tcp_repr r = { 0 };
	struct ipv4_repr ip = { 0 };
	size_t hlen, total;

	r.sport = s->sport;
	r.dport = s->dport;
	r.seq = s->seq;
	r.ack = s->ack;
	r.flags = s->flags;
	r.window = s->win;
	r.opts = s->opts;
	r.payload_len = s->len;
	hlen = tcp_hdr_len(&r);
	total = 20 + hlen + s->len;
	assert_true(total <= cap);
	if (s->len)
		memcpy(buf + 20 + hlen, s->data, s->len);
	tcp_emit(&r, buf + 20, s->saddr, s->daddr, TCP_CSUM_FULL);
	ip.hdr_len = 20;
	ip.total_len = (uint16_t)total;
	ip.id = 1;
	ip.df = true;
	ip.ttl = 64;
	ip.proto = 6;
	ip.src = s->saddr;
	ip.dst = s->daddr;
	ipv4_emit(&ip, NULL, buf);
	return total;
}

void te_inject_bytes(struct te_dev *d, const void *bytes, size_t len)
{
	struct us_pkt *p = us_pkt_alloc(&d->dev->st->pool, len);

	assert_non_null(p);
	memcpy(us_pkt_put(p, len), bytes, len);
	p->rx_ns = 0;
	us_pktq_push(&d->rx, p);
}

void te_inject_bytes_csum(struct te_dev *d, const void *bytes, size_t len, uint8_t csum)
{
	struct us_pkt *p = us_pkt_alloc(&d->dev->st->pool, len);

	assert_non_null(p);
	memcpy(us_pkt_put(p, len), bytes, len);
	p->rx_ns = 0;
	p->csum = csum;
	us_pktq_push(&d->rx, p);
}

unsigned te_partial_seen(struct te_dev *d) { return d->partial; }

void te_inject(struct te_dev *d, const struct te_seg *s)
{
	uint8_t buf[2048];

	te_inject_bytes(d, buf, te_build(s, buf, sizeof(buf)));
}

bool te_pop(struct te_dev *d, struct te_out *o)
{
	struct us_pkt *p = us_pktq_pop(&d->tx);
	bool ok;

	if (!p)
		return false;
	ok = te_parse(p->data, us_pkt_len(p), o);
	us_pkt_free(p);
	assert_true(ok);
	return true;
}

unsigned te_tx_count(struct te_dev *d) { return d->tx.len; }

void te_tx_clear(struct te_dev *d) { us_pktq_purge(&d->tx); }

void te_poll(struct us_stack *st) { us_stack_poll(st); }

void te_advance(struct us_stack *st, uint64_t ms)
{
	us_stack_clock_set(st, us_stack_now_ns(st) + ms * US_NSEC_PER_MSEC);
	us_stack_poll(st);
}

uint64_t te_now_ms(struct us_stack *st) { return us_stack_now_ns(st) / US_NSEC_PER_MSEC; }

void te_peer_send(struct te_peer *pe, uint8_t flags, const void *data, uint32_t len, uint16_t win)
{
	struct te_seg s = {
		.saddr = TE_PEER, .daddr = TE_US, .sport = pe->sport, .dport = pe->dport,
		.seq = pe->snd_nxt, .ack = pe->rcv_nxt, .flags = flags, .win = win,
		.data = data, .len = len,
	};

	if (pe->ts) {
		s.opts.ts_present = true;
		s.opts.tsval = ++pe->tsval;
		s.opts.tsecr = pe->tsecr;
	}
	te_inject(pe->dev, &s);
	pe->snd_nxt += len + ((flags & TCP_FIN) ? 1 : 0) + ((flags & TCP_SYN) ? 1 : 0);
}

void te_peer_pop(struct te_peer *pe, struct te_out *o)
{
	assert_true(te_pop(pe->dev, o));
	if (o->th.opts.ts_present)
		pe->tsecr = o->th.opts.tsval;
}

/* ---- two stacks ---- */

struct te_link *te_link_new(uint64_t delay_ms, struct us_stack **a, struct us_stack **b)
{
	struct te_link *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	l->st[0] = te_stack_new(TE_PEER, 11, &l->dev[0]);
	l->st[1] = te_stack_new(TE_US, 22, &l->dev[1]);
	for (int i = 0; i < 2; i++) {
		l->dev[i]->link = l;
		l->dev[i]->dir = i;
	}
	l->delay_ns = delay_ms * US_NSEC_PER_MSEC;
	*a = l->st[0];
	*b = l->st[1];
	return l;
}

struct us_stack *te_link_stack(struct te_link *l, int i) { return l->st[i]; }

void te_link_set_filter(struct te_link *l, te_filter_fn *fn, void *arg)
{
	l->filter = fn;
	l->filter_arg = arg;
}

void te_link_set_delay(struct te_link *l, te_delay_fn *fn, void *arg)
{
	l->delay_fn = fn;
	l->delay_arg = arg;
}

uint64_t te_link_frames(const struct te_link *l, int dir) { return l->frames[dir]; }
uint64_t te_link_dropped(const struct te_link *l, int dir) { return l->dropped[dir]; }

int te_run(struct te_link *l, uint64_t max_ms, bool (*done)(void *arg), void *arg)
{
	uint64_t end = us_stack_now_ns(l->st[0]) + max_ms * US_NSEC_PER_MSEC;

	for (unsigned long iter = 0; iter < 50000000ul; iter++) {
		uint64_t now = us_stack_now_ns(l->st[0]), next;

		us_stack_poll(l->st[0]);
		us_stack_poll(l->st[1]);
		if (done && done(arg))
			return 0;
		next = us_stack_next_deadline_ns(l->st[0]);
		{
			uint64_t nb = us_stack_next_deadline_ns(l->st[1]);
			if (nb < next)
				next = nb;
		}
		if (next == UINT64_MAX)
			return done ? -EDEADLK : 0;
		if (next <= now)
			continue;
		if (next > end) {
			us_stack_clock_set(l->st[0], end);
			us_stack_clock_set(l->st[1], end);
			us_stack_poll(l->st[0]);
			us_stack_poll(l->st[1]);
			return done && done(arg) ? 0 : (done ? -ETIMEDOUT : 0);
		}
		us_stack_clock_set(l->st[0], next);
		us_stack_clock_set(l->st[1], next);
	}
	return -ETIMEDOUT;
}

void te_link_free(struct te_link *l)
{
	te_stack_free(l->st[0]);
	te_stack_free(l->st[1]);
	free(l);
}
