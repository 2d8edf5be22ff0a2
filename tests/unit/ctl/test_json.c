/*
 * test_json.c - the JSON emitter (src/ctl/json.c) and the bounded buffer under
 * it (src/ctl/buf.c): structure and commas, RFC 8259 string escaping, invalid
 * UTF-8, numbers, misuse detection and the size limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "ctl/buf.h"
#include "ctl/json.h"

/* The buffer's contents as a C string (the emitter does not NUL-terminate). */
static const char *str(struct us_buf *b)
{
	us_buf_putc(b, '\0');
	b->len--;
	return b->data;
}

static void escaped(const char *in, size_t n, const char *want)
{
	struct us_buf b;

	us_buf_init(&b, 4096);
	us_json_escape(&b, in, n);
	assert_string_equal(str(&b), want);
	us_buf_free(&b);
}

static void test_escape(void **state)
{
	(void)state;
	escaped("", 0, "\"\"");
	escaped("plain", 5, "\"plain\"");
	escaped("a\"b", 3, "\"a\\\"b\"");
	escaped("a\\b", 3, "\"a\\\\b\"");
	escaped("/", 1, "\"/\""); /* solidus need not be escaped */
	escaped("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
	escaped("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
	escaped("a\0b", 3, "\"a\\u0000b\""); /* embedded NUL with an explicit length */
	/* valid UTF-8 passes through: e-acute, euro sign, U+1F600 */
	escaped("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	/* invalid UTF-8 becomes U+FFFD, one per bad byte */
	escaped("\xff", 1, "\"\\ufffd\"");
	escaped("\x80", 1, "\"\\ufffd\"");                    /* lone continuation */
	escaped("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");        /* overlong '/' */
	escaped("\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\""); /* overlong, 3 bytes */
	escaped("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""); /* UTF-16 surrogate */
	escaped("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
	escaped("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");        /* truncated at the end */
	escaped("\xe2\x82x", 3, "\"\\ufffd\\ufffdx\"");      /* truncated in the middle */
}

static void test_structure(void **state)
{
	struct us_buf b;
	struct us_json j;

	(void)state;
	us_buf_init(&b, 4096);
	us_json_init(&j, &b);
	us_json_obj_begin(&j);
	us_json_kv_str(&j, "name", "tp0");
	us_json_kv_u64(&j, "mtu", 1500);
	us_json_kv_i64(&j, "neg", -3);
	us_json_kv_bool(&j, "up", true);
	us_json_key(&j, "list");
	us_json_arr_begin(&j);
	us_json_u64(&j, 1);
	us_json_null(&j);
	us_json_obj_begin(&j);
	us_json_obj_end(&j);
	us_json_arr_begin(&j);
	us_json_arr_end(&j);
	us_json_str(&j, NULL);
	us_json_arr_end(&j);
	us_json_key(&j, "empty");
	us_json_obj_begin(&j);
	us_json_obj_end(&j);
	us_json_key(&j, "rtt");
	us_json_double(&j, 0.1234, 3);
	us_json_key(&j, "nan");
	us_json_double(&j, NAN, 3);
	us_json_key(&j, "inf");
	us_json_double(&j, INFINITY, 3);
	us_json_key(&j, "big");
	us_json_u64(&j, UINT64_MAX);
	us_json_obj_end(&j);
	assert_true(us_json_complete(&j));
	assert_string_equal(str(&b), "{\"name\":\"tp0\",\"mtu\":1500,\"neg\":-3,\"up\":true,"
				     "\"list\":[1,null,{},[],null],\"empty\":{},\"rtt\":0.123,"
				     "\"nan\":null,\"inf\":null,\"big\":18446744073709551615}");
	us_buf_free(&b);
}

static void test_keys_escaped(void **state)
{
	struct us_buf b;
	struct us_json j;

	(void)state;
	us_buf_init(&b, 4096);
	us_json_init(&j, &b);
	us_json_obj_begin(&j);
	us_json_kv_str(&j, "dev\"x", "a\nb");
	us_json_obj_end(&j);
	assert_true(us_json_complete(&j));
	assert_string_equal(str(&b), "{\"dev\\\"x\":\"a\\nb\"}");
	us_buf_free(&b);
}

static void test_misuse(void **state)
{
	struct us_buf b;
	struct us_json j;

	(void)state;
	us_buf_init(&b, 4096);

	/* unclosed */
	us_json_init(&j, &b);
	us_json_arr_begin(&j);
	assert_false(us_json_complete(&j));

	/* nothing written */
	us_buf_reset(&b);
	us_json_init(&j, &b);
	assert_false(us_json_complete(&j));

	/* value in an object without a key */
	us_buf_reset(&b);
	us_json_init(&j, &b);
	us_json_obj_begin(&j);
	us_json_u64(&j, 1);
	us_json_obj_end(&j);
	assert_false(us_json_complete(&j));

	/* key in an array */
	us_buf_reset(&b);
	us_json_init(&j, &b);
	us_json_arr_begin(&j);
	us_json_key(&j, "k");
	us_json_arr_end(&j);
	assert_false(us_json_complete(&j));

	/* key without a value */
	us_buf_reset(&b);
	us_json_init(&j, &b);
	us_json_obj_begin(&j);
	us_json_key(&j, "k");
	us_json_obj_end(&j);
	assert_false(us_json_complete(&j));

	/* mismatched close */
	us_buf_reset(&b);
	us_json_init(&j, &b);
	us_json_obj_begin(&j);
	us_json_arr_end(&j);
	assert_false(us_json_complete(&j));

	/* two top-level values */
	us_buf_reset(&b);
	us_json_init(&j, &b);
	us_json_u64(&j, 1);
	us_json_u64(&j, 2);
	assert_false(us_json_complete(&j));

	/* too deep */
	us_buf_reset(&b);
	us_json_init(&j, &b);
	for (int i = 0; i < US_JSON_MAX_DEPTH + 1; i++)
		us_json_arr_begin(&j);
	for (int i = 0; i < US_JSON_MAX_DEPTH + 1; i++)
		us_json_arr_end(&j);
	assert_false(us_json_complete(&j));

	/* a scalar alone is a complete document */
	us_buf_reset(&b);
	us_json_init(&j, &b);
	us_json_str(&j, "x");
	assert_true(us_json_complete(&j));
	us_buf_free(&b);
}

static void test_buf_limit(void **state)
{
	struct us_buf b;

	(void)state;
	us_buf_init(&b, 10);
	us_buf_puts(&b, "12345");
	assert_false(b.overflow);
	us_buf_printf(&b, "%s", "6789abc");
	assert_true(b.overflow);
	assert_int_equal(b.len, 10); /* kept what fit */
	assert_memory_equal(b.data, "123456789a", 10);
	us_buf_putc(&b, 'x');
	assert_int_equal(b.len, 10);
	us_buf_consume(&b, 4);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.data, "56789a", 6);
	us_buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	us_buf_free(&b);

	/* printf longer than the internal small buffer */
	us_buf_init(&b, 4096);
	us_buf_printf(&b, "%0300d", 7);
	assert_false(b.overflow);
	assert_int_equal(b.len, 300);
	assert_int_equal(b.data[299], '7');
	assert_int_equal(b.data[0], '0');
	us_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),  cmocka_unit_test(test_structure),
		cmocka_unit_test(test_keys_escaped), cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_buf_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
