/*
 * pkt.c - packet buffers and their pool.
 *
 * A pool buffer is one allocation: the struct us_pkt followed by its
 * US_PKT_HEADROOM + US_PKT_POOL_DATA bytes. Pool buffers are carved lazily
 * and kept on a free list for good; large buffers (bigger frames) are a
 * struct plus a malloc'd area, freed when the packet is.
 */
#include "core/pkt.h"

#include <stdlib.h>
#include <string.h>

#define POOL_BUF_SIZE (US_PKT_HEADROOM + US_PKT_POOL_DATA)

void us_pkt_pool_init(struct us_pkt_pool *pool, unsigned max_buffers, unsigned max_large)
{
	memset(pool, 0, sizeof(*pool));
	pool->max = max_buffers;
	pool->large_max = max_large;
}

void us_pkt_pool_fini(struct us_pkt_pool *pool)
{
	struct us_pkt *p = pool->free_list, *next;

	while (p) {
		next = p->next;
		free(p);
		p = next;
	}
	pool->free_list = NULL;
}

void us_pkt_reset_meta(struct us_pkt *p)
{
	p->dev = NULL;
	p->rx_ns = 0;
	p->nexthop = 0;
	p->mark = 0;
	p->mac_off = p->net_off = p->trans_off = US_PKT_NOHDR;
	p->csum_start = p->csum_offset = 0;
	p->gso_size = 0;
	p->gso_type = US_GSO_NONE;
	p->csum = US_CSUM_NONE;
	p->pkt_type = US_PKT_HOST;
	p->flags = 0;
}

static void pkt_reset(struct us_pkt *p, uint8_t *buf, size_t size, size_t headroom)
{
	p->next = NULL;
	p->head = buf;
	p->end = buf + size;
	p->data = p->tail = buf + headroom;
	p->refcnt = 1;
	us_pkt_reset_meta(p);
}

struct us_pkt *us_pkt_alloc_headroom(struct us_pkt_pool *pool, size_t headroom, size_t len)
{
	struct us_pkt *p;

	if (headroom + len <= POOL_BUF_SIZE) {
		p = pool->free_list;
		if (p) {
			pool->free_list = p->next;
		} else {
			if (pool->total >= pool->max)
				goto fail;
			p = malloc(sizeof(*p) + POOL_BUF_SIZE);
			if (!p)
				goto fail;
			pool->total++;
		}
		pool->in_use++;
		p->pool = pool;
		p->large = false;
		pkt_reset(p, (uint8_t *)(p + 1), POOL_BUF_SIZE, headroom);
		return p;
	}
	if (headroom + len > US_PKT_MAX_LARGE + US_PKT_HEADROOM || pool->large_in_use >= pool->large_max)
		goto fail;
	p = malloc(sizeof(*p) + headroom + len);
	if (!p)
		goto fail;
	pool->large_in_use++;
	p->pool = pool;
	p->large = true;
	pkt_reset(p, (uint8_t *)(p + 1), headroom + len, headroom);
	return p;
fail:
	pool->alloc_failures++;
	return NULL;
}

struct us_pkt *us_pkt_alloc(struct us_pkt_pool *pool, size_t len)
{
	return us_pkt_alloc_headroom(pool, US_PKT_HEADROOM, len);
}

struct us_pkt *us_pkt_copy(struct us_pkt_pool *pool, const struct us_pkt *p)
{
	size_t headroom = us_pkt_headroom(p), len = us_pkt_len(p);
	struct us_pkt *c = us_pkt_alloc_headroom(pool, headroom, len);

	if (!c)
		return NULL;
	memcpy(c->head, p->head, headroom + len);
	c->tail = c->data + len;
	c->dev = p->dev;
	c->rx_ns = p->rx_ns;
	c->nexthop = p->nexthop;
	c->mark = p->mark;
	c->mac_off = p->mac_off;
	c->net_off = p->net_off;
	c->trans_off = p->trans_off;
	c->csum_start = p->csum_start;
	c->csum_offset = p->csum_offset;
	c->gso_size = p->gso_size;
	c->gso_type = p->gso_type;
	c->csum = p->csum;
	c->pkt_type = p->pkt_type;
	c->flags = p->flags;
	return c;
}

void us_pkt_free(struct us_pkt *p)
{
	struct us_pkt_pool *pool;

	if (!p)
		return;
	US_ASSERT(p->refcnt > 0);
	if (--p->refcnt)
		return;
	pool = p->pool;
	if (p->large) {
		pool->large_in_use--;
		free(p);
		return;
	}
	pool->in_use--;
	p->next = pool->free_list;
	pool->free_list = p;
}

void us_pktq_push(struct us_pktq *q, struct us_pkt *p)
{
	p->next = NULL;
	if (q->last)
		q->last->next = p;
	else
		q->first = p;
	q->last = p;
	q->len++;
	q->bytes += us_pkt_len(p);
}

struct us_pkt *us_pktq_pop(struct us_pktq *q)
{
	struct us_pkt *p = q->first;

	if (!p)
		return NULL;
	q->first = p->next;
	if (!q->first)
		q->last = NULL;
	p->next = NULL;
	q->len--;
	q->bytes -= us_pkt_len(p);
	return p;
}

void us_pktq_purge(struct us_pktq *q)
{
	struct us_pkt *p;

	while ((p = us_pktq_pop(q)))
		us_pkt_free(p);
}
