/*
 * buf.h - a growable byte buffer with a hard size limit, for building command
 * output and protocol messages on the control path (never on the data path).
 *
 * Appending past the limit (or failing to allocate) sets @overflow and keeps
 * what fits; callers check it once at the end instead of after every append.
 */
#ifndef US_CTL_BUF_H
#define US_CTL_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/compiler.h"

struct us_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;     /* never grows beyond this many bytes */
	bool overflow;  /* something did not fit */
};

void us_buf_init(struct us_buf *b, size_t max);
void us_buf_free(struct us_buf *b);
void us_buf_reset(struct us_buf *b);
/* Makes room for @n more bytes. 0, or -ENOBUFS (and sets overflow). */
int us_buf_reserve(struct us_buf *b, size_t n);
void us_buf_append(struct us_buf *b, const void *p, size_t n);
void us_buf_putc(struct us_buf *b, char c);
void us_buf_puts(struct us_buf *b, const char *s);
void us_buf_printf(struct us_buf *b, const char *fmt, ...) US_PRINTF(2, 3);
/* Removes the first @n bytes. */
void us_buf_consume(struct us_buf *b, size_t n);

#endif
