/*
 * testnet.c - see testnet.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testnet.h"

#include "base/bytes.h"
#include "dev/devices.h"
#include "ip/ifaddr.h"
#include "socket/sock.h"
#include "ustack/ustack.h"

struct tn_dev {
	struct us_netdev *dev;
	struct us_pktq rx;
	struct us_pktq tx;
};

static int tn_rx_batch(struct us_netdev *dev, struct us_pkt **out, int max)
{
	struct tn_dev *d = dev->priv;
	int n = 0;

	while (n < max && d->rx.len)
		out[n++] = us_pktq_pop(&d->rx);
	return n;
}

static int tn_tx_batch(struct us_netdev *dev, struct us_pkt **pkts, int n)
{
	struct tn_dev *d = dev->priv;

	for (int i = 0; i < n; i++)
		us_pktq_push(&d->tx, pkts[i]);
	return n;
}

static uint64_t tn_next_rx_ns(struct us_netdev *dev)
{
	struct tn_dev *d = dev->priv;

	return d->rx.len ? 0 : UINT64_MAX;
}

static void tn_close(struct us_netdev *dev)
{
	struct tn_dev *d = dev->priv;

	us_pktq_purge(&d->rx);
	us_pktq_purge(&d->tx);
	free(d);
}

static const struct us_netdev_ops tn_ops = {
	.kind = "testnet",
	.rx_batch = tn_rx_batch,
	.tx_batch = tn_tx_batch,
	.next_rx_ns = tn_next_rx_ns,
	.close = tn_close,
};

struct tn_dev *tn_dev_add(struct us_stack *st, const char *name, uint32_t addr, unsigned plen)
{
	struct us_netdev *dev = us_netdev_alloc(name, &tn_ops);
	struct tn_dev *d = calloc(1, sizeof(*d));
	int idx;

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
	assert_int_equal(ifaddr_add(st, idx, addr, (uint8_t)plen), 0);
	return d;
}

int tn_ifindex(const struct tn_dev *d) { return d->dev->ifindex; }

struct us_stack *tn_stack_new(struct tn_dev **dev)
{
	struct us_stack_opts o = {
		.name = "test",
		.virtual_clock = true,
		.clock_start_ns = 1000 * US_NSEC_PER_MSEC,
		.seed = TN_SEED,
	};
	struct us_stack *st = us_stack_new(&o);

	assert_non_null(st);
	us_stack_update_time(st);
	*dev = tn_dev_add(st, "tn0", TN_US, 24);
	return st;
}

void tn_stack_free(struct us_stack *st)
{
	/* Whatever the devices still hold is freed with them; the sockets are closed by
	 * us_stack_free. Count what is left before that to catch leaks. */
	unsigned held = 0;

	for (int i = 1; i <= US_MAX_DEVS; i++) {
		struct us_netdev *dev = st->devs[i];
		if (dev && dev->ops == &tn_ops) {
			struct tn_dev *d = dev->priv;
			held += d->rx.len + d->tx.len;
		}
		if (dev)
			held += dev->txq.len;
	}
	if (st->socks) {
		for (unsigned i = 0; i < st->socks->cap; i++)
			if (st->socks->slots[i])
				held += st->socks->slots[i]->rxq.len;
	}
	assert_int_equal(st->pool.in_use + st->pool.large_in_use, held);
	us_stack_free(st);
}

static struct us_pkt *tn_make(struct tn_dev *d, const void *ip, size_t len)
{
	struct us_pkt *p = us_pkt_alloc(&d->dev->st->pool, len);

	assert_non_null(p);
	memcpy(us_pkt_put(p, len), ip, len);
	return p;
}

void tn_inject(struct tn_dev *d, const void *ip, size_t len)
{
	us_pktq_push(&d->rx, tn_make(d, ip, len));
}

void tn_inject_type(struct tn_dev *d, const void *ip, size_t len, uint8_t pkt_type)
{
	struct us_pkt *p = tn_make(d, ip, len);

	p->pkt_type = pkt_type;
	us_pktq_push(&d->rx, p);
}

void tn_rx(struct us_stack *st, struct tn_dev *d, const void *ip, size_t len)
{
	tn_inject(d, ip, len);
	us_stack_poll(st);
}

unsigned tn_tx_count(const struct tn_dev *d) { return d->tx.len; }

size_t tn_tx_pop(struct tn_dev *d, uint8_t *buf, size_t cap)
{
	struct us_pkt *p = us_pktq_pop(&d->tx);
	size_t len;

	if (!p)
		return 0;
	len = us_pkt_len(p);
	assert_true(len <= cap);
	memcpy(buf, p->data, len);
	us_pkt_free(p);
	return len;
}

struct us_pkt *tn_tx_pop_pkt(struct tn_dev *d) { return us_pktq_pop(&d->tx); }

struct us_netdev *tn_netdev(struct tn_dev *d) { return d->dev; }

void tn_tx_clear(struct tn_dev *d) { us_pktq_purge(&d->tx); }

void tn_advance_ms(struct us_stack *st, uint64_t ms)
{
	us_stack_clock_set(st, us_stack_now_ns(st) + ms * US_NSEC_PER_MSEC);
	us_stack_poll(st);
}

uint64_t tn_stat(struct us_stack *st, enum us_stat s) { return st->counters.stat[s]; }
uint64_t tn_drops(struct us_stack *st, enum us_drop_reason r) { return st->counters.drop[r]; }

static void tn_hexdump(const char *what, const uint8_t *b, size_t len)
{
	fprintf(stderr, "%s (%zu bytes):", what, len);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", b[i]);
	fprintf(stderr, "\n");
}

void tn_assert_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
	if (got_len == want_len && !memcmp(got, want, got_len))
		return;
	tn_hexdump("got", got, got_len);
	tn_hexdump("want", want, want_len);
	for (size_t i = 0; i < got_len && i < want_len; i++) {
		if (got[i] != want[i]) {
			fprintf(stderr, "first difference at offset %zu\n", i);
			break;
		}
	}
	fail_msg("bytes differ");
}

static uint32_t tn_sum(const uint8_t *b, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)rd16(b + i);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t tn_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t tn_csum(const void *buf, size_t len) { return tn_fold(tn_sum(buf, len, 0)); }

size_t tn_ip_hdr(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, uint16_t payload_len,
		 uint16_t id, uint8_t ttl)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	wr16(b + 2, (uint16_t)(20 + payload_len));
	wr16(b + 4, id);
	b[8] = ttl;
	b[9] = proto;
	wr32(b + 12, src);
	wr32(b + 16, dst);
	wr16(b + 10, tn_csum(b, 20));
	return 20;
}

size_t tn_udp_dgram(uint8_t *b, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		    const void *payload, size_t len)
{
	uint8_t *u = b + 20;
	uint8_t ph[12];
	uint32_t sum;
	uint16_t c;

	tn_ip_hdr(b, src, dst, 17, (uint16_t)(8 + len), 1, 64);
	wr16(u, sport);
	wr16(u + 2, dport);
	wr16(u + 4, (uint16_t)(8 + len));
	wr16(u + 6, 0);
	if (len)
		memcpy(u + 8, payload, len);
	wr32(ph, src);
	wr32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = 17;
	wr16(ph + 10, (uint16_t)(8 + len));
	sum = tn_sum(ph, sizeof(ph), 0);
	c = tn_fold(tn_sum(u, 8 + len, sum));
	wr16(u + 6, c ? c : 0xffff);
	return 20 + 8 + len;
}
