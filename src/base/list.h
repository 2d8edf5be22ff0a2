/*
 * list.h - intrusive doubly linked lists (Linux list_head style) and hash-chain
 * heads with a single pointer (hlist). Nodes live inside the objects they link.
 */
#ifndef US_BASE_LIST_H
#define US_BASE_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "base/compiler.h"

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_head *h) { h->next = h->prev = h; }
static inline bool list_empty(const struct list_head *h) { return h->next == h; }

static inline void list_insert_between(struct list_head *n, struct list_head *prev,
				       struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

static inline void list_add(struct list_head *n, struct list_head *h) /* at the front */
{
	list_insert_between(n, h, h->next);
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	list_insert_between(n, h->prev, h);
}

/* Unlinks @n and leaves it pointing to itself, so list_del on it again is harmless. */
static inline void list_del(struct list_head *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

static inline bool list_linked(const struct list_head *n) { return n->next != n; }

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)

#define list_for_each_entry(pos, h, member)                                    \
	for (pos = list_entry((h)->next, __typeof__(*pos), member); &pos->member != (h); \
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))

#define list_for_each_entry_safe(pos, tmp, h, member)                                  \
	for (pos = list_entry((h)->next, __typeof__(*pos), member),                    \
	    tmp = list_entry(pos->member.next, __typeof__(*pos), member);              \
	     &pos->member != (h);                                                      \
	     pos = tmp, tmp = list_entry(tmp->member.next, __typeof__(*pos), member))

/* Hash chains: one pointer per bucket. */
struct hlist_node {
	struct hlist_node *next, **pprev;
};
struct hlist_head {
	struct hlist_node *first;
};

static inline void hlist_node_init(struct hlist_node *n)
{
	n->next = NULL;
	n->pprev = NULL;
}
static inline bool hlist_unhashed(const struct hlist_node *n) { return n->pprev == NULL; }

static inline void hlist_add_head(struct hlist_node *n, struct hlist_head *h)
{
	n->next = h->first;
	if (h->first)
		h->first->pprev = &n->next;
	h->first = n;
	n->pprev = &h->first;
}

static inline void hlist_del(struct hlist_node *n)
{
	if (hlist_unhashed(n))
		return;
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	hlist_node_init(n);
}

#define hlist_entry(ptr, type, member) container_of(ptr, type, member)
#define hlist_for_each_entry(pos, h, member)                                          \
	for (pos = (h)->first ? hlist_entry((h)->first, __typeof__(*pos), member) : NULL; \
	     pos;                                                                         \
	     pos = pos->member.next ? hlist_entry(pos->member.next, __typeof__(*pos), member) \
				    : NULL)
#define hlist_for_each_entry_safe(pos, tmp, h, member)                                    \
	for (pos = (h)->first ? hlist_entry((h)->first, __typeof__(*pos), member) : NULL;  \
	     pos && ((tmp = pos->member.next) || 1);                                          \
	     pos = tmp ? hlist_entry(tmp, __typeof__(*pos), member) : NULL)

#endif
