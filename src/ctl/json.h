/*
 * json.h - a tiny streaming JSON emitter (RFC 8259) into a struct us_buf, for
 * the -j output of the control commands.
 *
 * The emitter tracks nesting and inserts commas itself: callers just open
 * containers, write keys and values, and close them. Strings are escaped as
 * RFC 8259 section 7 requires (quote, backslash, control characters); bytes
 * that are not valid UTF-8 become U+FFFD so the output is always valid JSON.
 */
#ifndef US_CTL_JSON_H
#define US_CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/buf.h"

#define US_JSON_MAX_DEPTH 16

struct us_json {
	struct us_buf *out;
	int depth;
	bool first[US_JSON_MAX_DEPTH + 1]; /* no value written yet at this level */
	bool is_obj[US_JSON_MAX_DEPTH + 1]; /* this level is an object (values need keys) */
	bool after_key;                    /* a key was written; its value comes next */
	bool error;                        /* misuse (too deep, unbalanced): output invalid */
};

void us_json_init(struct us_json *j, struct us_buf *out);
void us_json_obj_begin(struct us_json *j);
void us_json_obj_end(struct us_json *j);
void us_json_arr_begin(struct us_json *j);
void us_json_arr_end(struct us_json *j);
void us_json_key(struct us_json *j, const char *key);
void us_json_str(struct us_json *j, const char *s);
void us_json_strn(struct us_json *j, const char *s, size_t n);
void us_json_u64(struct us_json *j, uint64_t v);
void us_json_i64(struct us_json *j, int64_t v);
/* Finite doubles with @decimals places; NaN and infinities become null. */
void us_json_double(struct us_json *j, double v, int decimals);
void us_json_bool(struct us_json *j, bool v);
void us_json_null(struct us_json *j);

/* Key + value in one call, for objects. */
void us_json_kv_str(struct us_json *j, const char *key, const char *s);
void us_json_kv_u64(struct us_json *j, const char *key, uint64_t v);
void us_json_kv_i64(struct us_json *j, const char *key, int64_t v);
void us_json_kv_bool(struct us_json *j, const char *key, bool v);

/* Writes @s as a JSON string literal (with quotes) into @out. */
void us_json_escape(struct us_buf *out, const char *s, size_t n);

/* True when every container was closed and nothing was misused. */
bool us_json_complete(const struct us_json *j);

#endif
