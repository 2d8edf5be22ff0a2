/*
 * json.c - the JSON emitter of json.h (RFC 8259).
 */
#include "ctl/json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void us_json_init(struct us_json *j, struct us_buf *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->first[0] = true;
}

/* Comma before every value but the first in its container (keys carry their own). */
static void before_value(struct us_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->is_obj[j->depth])
		j->error = true; /* a value in an object without a key */
	if (j->depth == 0 && !j->first[0])
		j->error = true; /* a second top-level value */
	if (!j->first[j->depth])
		us_buf_putc(j->out, ',');
	j->first[j->depth] = false;
}

static void open_container(struct us_json *j, char c)
{
	before_value(j);
	if (j->depth >= US_JSON_MAX_DEPTH) {
		j->error = true;
		return;
	}
	us_buf_putc(j->out, c);
	j->depth++;
	j->first[j->depth] = true;
	j->is_obj[j->depth] = c == '{';
}

static void close_container(struct us_json *j, char c)
{
	if (j->depth == 0 || j->after_key || j->is_obj[j->depth] != (c == '}')) {
		j->error = true;
		return;
	}
	us_buf_putc(j->out, c);
	j->depth--;
}

void us_json_obj_begin(struct us_json *j) { open_container(j, '{'); }
void us_json_obj_end(struct us_json *j) { close_container(j, '}'); }
void us_json_arr_begin(struct us_json *j) { open_container(j, '['); }
void us_json_arr_end(struct us_json *j) { close_container(j, ']'); }

/* Length of the valid UTF-8 sequence at @s (RFC 3629 section 4), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0; /* continuation byte, overlong lead (c0/c1) or beyond U+10FFFF */
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Reject overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void us_json_escape(struct us_buf *out, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	us_buf_putc(out, '"');
	while (i < n) {
		unsigned char c = s[i];
		size_t len;

		switch (c) {
		case '"':  us_buf_puts(out, "\\\""); i++; continue;
		case '\\': us_buf_puts(out, "\\\\"); i++; continue;
		case '\b': us_buf_puts(out, "\\b"); i++; continue;
		case '\f': us_buf_puts(out, "\\f"); i++; continue;
		case '\n': us_buf_puts(out, "\\n"); i++; continue;
		case '\r': us_buf_puts(out, "\\r"); i++; continue;
		case '\t': us_buf_puts(out, "\\t"); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			/* RFC 8259 section 7: control characters must be escaped (DEL for safety). */
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };
			us_buf_append(out, u, sizeof(u));
			i++;
			continue;
		}
		len = utf8_seq_len(s + i, n - i);
		if (len == 0) {
			us_buf_puts(out, "\\ufffd");
			i++;
			continue;
		}
		us_buf_append(out, s + i, len);
		i += len;
	}
	us_buf_putc(out, '"');
}

void us_json_key(struct us_json *j, const char *key)
{
	if (j->after_key || !j->is_obj[j->depth]) {
		j->error = true;
		return;
	}
	if (!j->first[j->depth])
		us_buf_putc(j->out, ',');
	j->first[j->depth] = false;
	us_json_escape(j->out, key, strlen(key));
	us_buf_putc(j->out, ':');
	j->after_key = true;
}

void us_json_strn(struct us_json *j, const char *s, size_t n)
{
	before_value(j);
	us_json_escape(j->out, s, n);
}

void us_json_str(struct us_json *j, const char *s)
{
	if (!s) {
		us_json_null(j);
		return;
	}
	us_json_strn(j, s, strlen(s));
}

void us_json_u64(struct us_json *j, uint64_t v)
{
	before_value(j);
	us_buf_printf(j->out, "%" PRIu64, v);
}

void us_json_i64(struct us_json *j, int64_t v)
{
	before_value(j);
	us_buf_printf(j->out, "%" PRId64, v);
}

void us_json_double(struct us_json *j, double v, int decimals)
{
	if (!isfinite(v)) {
		us_json_null(j); /* JSON has no NaN or Infinity (RFC 8259 section 6) */
		return;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	before_value(j);
	us_buf_printf(j->out, "%.*f", decimals, v);
}

void us_json_bool(struct us_json *j, bool v)
{
	before_value(j);
	us_buf_puts(j->out, v ? "true" : "false");
}

void us_json_null(struct us_json *j)
{
	before_value(j);
	us_buf_puts(j->out, "null");
}

void us_json_kv_str(struct us_json *j, const char *key, const char *s)
{
	us_json_key(j, key);
	us_json_str(j, s);
}

void us_json_kv_u64(struct us_json *j, const char *key, uint64_t v)
{
	us_json_key(j, key);
	us_json_u64(j, v);
}

void us_json_kv_i64(struct us_json *j, const char *key, int64_t v)
{
	us_json_key(j, key);
	us_json_i64(j, v);
}

void us_json_kv_bool(struct us_json *j, const char *key, bool v)
{
	us_json_key(j, key);
	us_json_bool(j, v);
}

bool us_json_complete(const struct us_json *j)
{
	return !j->error && j->depth == 0 && !j->after_key && !j->first[0];
}
