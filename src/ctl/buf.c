/*
 * buf.c - the bounded growable buffer of buf.h.
 */
#include "ctl/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void us_buf_init(struct us_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void us_buf_free(struct us_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void us_buf_reset(struct us_buf *b)
{
	b->len = 0;
	b->overflow = false;
}

int us_buf_reserve(struct us_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > b->max || b->len > b->max - n) {
		b->overflow = true;
		return -ENOBUFS;
	}
	need = b->len + n;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > b->max / 2 ? b->max : cap * 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->overflow = true;
		return -ENOBUFS;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void us_buf_append(struct us_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (us_buf_reserve(b, n) < 0) {
		/* Keep what fits, so a truncated listing is still readable. */
		size_t room = b->max > b->len ? b->max - b->len : 0;
		if (room == 0 || us_buf_reserve(b, room) < 0)
			return;
		b->overflow = true;
		n = room;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void us_buf_putc(struct us_buf *b, char c) { us_buf_append(b, &c, 1); }

void us_buf_puts(struct us_buf *b, const char *s) { us_buf_append(b, s, strlen(s)); }

void us_buf_printf(struct us_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		us_buf_append(b, small, (size_t)n);
		return;
	}
	if (us_buf_reserve(b, (size_t)n + 1) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void us_buf_consume(struct us_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}
