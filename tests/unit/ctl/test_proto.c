/*
 * test_proto.c - the control protocol's message framing (src/ctl/proto.c):
 * request encoding and validation, including every malformation the server
 * must refuse, and the check of server messages the client applies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "ctl/proto.h"

static void test_roundtrip(void **state)
{
	char *argv[] = { "route", "add", "default", "via", "198.18.0.1", "", NULL };
	char buf[CTL_REQ_MAX];
	struct ctl_request req;
	int len;

	(void)state;
	len = ctl_req_encode("/tmp", 6, argv, buf, sizeof(buf));
	/* 'Q' "/tmp\0" "route\0" "add\0" "default\0" "via\0" "198.18.0.1\0" "\0" */
	assert_int_equal(len, 1 + 5 + 6 + 4 + 8 + 4 + 11 + 1);
	assert_memory_equal(buf, "Q/tmp\0route\0add\0", 16);
	assert_int_equal(ctl_req_decode(buf, (size_t)len, &req), 0);
	assert_string_equal(req.cwd, "/tmp");
	assert_int_equal(req.argc, 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(req.argv[i], argv[i]);
	assert_null(req.argv[6]);

	/* no working directory */
	len = ctl_req_encode(NULL, 1, argv, buf, sizeof(buf));
	assert_int_equal(len, 1 + 1 + 6);
	assert_int_equal(ctl_req_decode(buf, (size_t)len, &req), 0);
	assert_string_equal(req.cwd, "");
	assert_int_equal(req.argc, 1);
	assert_string_equal(req.argv[0], "route");
}

static void test_encode_limits(void **state)
{
	static char big[CTL_REQ_MAX];
	char *argv[CTL_REQ_MAX_ARGS + 1];
	char buf[CTL_REQ_MAX];
	struct ctl_request req;
	int len;

	(void)state;
	for (int i = 0; i <= CTL_REQ_MAX_ARGS; i++)
		argv[i] = "x";
	assert_int_equal(ctl_req_encode("/", 0, argv, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ctl_req_encode("rel", 1, argv, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ctl_req_encode("/", CTL_REQ_MAX_ARGS + 1, argv, buf, sizeof(buf)), -E2BIG);
	len = ctl_req_encode("/", CTL_REQ_MAX_ARGS, argv, buf, sizeof(buf));
	assert_int_equal(len, 1 + 2 + 2 * CTL_REQ_MAX_ARGS);
	assert_int_equal(ctl_req_decode(buf, (size_t)len, &req), 0);
	assert_int_equal(req.argc, CTL_REQ_MAX_ARGS);
	/* small output buffers */
	assert_int_equal(ctl_req_encode("/", 1, argv, buf, 0), -E2BIG);
	assert_int_equal(ctl_req_encode("/", 1, argv, buf, 1), -E2BIG);
	assert_int_equal(ctl_req_encode("/", 1, argv, buf, 4), -E2BIG);
	assert_int_equal(ctl_req_encode("/", 1, argv, buf, 5), 5);
	/* one argument too long for a request */
	memset(big, 'a', sizeof(big) - 1);
	argv[0] = big;
	assert_int_equal(ctl_req_encode("/", 1, argv, buf, sizeof(buf)), -E2BIG);
}

static int decode(const char *bytes, size_t len)
{
	char buf[64];
	struct ctl_request req;

	memcpy(buf, bytes, len);
	return ctl_req_decode(buf, len, &req);
}

static void test_decode_malformed(void **state)
{
	(void)state;
	assert_int_equal(decode("", 0), -EBADMSG);             /* empty */
	assert_int_equal(decode("Q", 1), -EBADMSG);            /* no cwd */
	assert_int_equal(decode("Q\0", 2), -EBADMSG);          /* no command */
	assert_int_equal(decode("Q/\0", 3), -EBADMSG);         /* no command */
	assert_int_equal(decode("Q\0stat", 6), -EBADMSG);      /* not NUL-terminated */
	assert_int_equal(decode("X\0stat\0", 7), -EBADMSG);    /* wrong type */
	assert_int_equal(decode("I", 1), -EBADMSG);            /* an interrupt is no request */
	assert_int_equal(decode("Qtmp\0stat\0", 10), -EBADMSG); /* relative cwd */
	assert_int_equal(decode("Q\0stat\0", 7), 0);
	assert_int_equal(decode("Q\0\0", 3), 0);               /* an empty command word: the
								 * dispatcher rejects it */
}

static void test_decode_oversized(void **state)
{
	static char buf[CTL_REQ_MAX + 2];
	struct ctl_request req;

	(void)state;
	/* CTL_REQ_MAX + 1 bytes */
	memset(buf, 'a', sizeof(buf));
	buf[0] = 'Q';
	buf[1] = '\0';
	buf[CTL_REQ_MAX] = '\0';
	assert_int_equal(ctl_req_decode(buf, CTL_REQ_MAX + 1, &req), -E2BIG);
	/* exactly the limit is fine */
	buf[CTL_REQ_MAX - 1] = '\0';
	assert_int_equal(ctl_req_decode(buf, CTL_REQ_MAX, &req), 0);
	assert_int_equal(req.argc, 1);
	/* too many arguments: CTL_REQ_MAX_ARGS + 1 empty words */
	memset(buf, 0, sizeof(buf));
	buf[0] = 'Q';
	assert_int_equal(ctl_req_decode(buf, 2 + CTL_REQ_MAX_ARGS + 1, &req), -E2BIG);
	assert_int_equal(ctl_req_decode(buf, 2 + CTL_REQ_MAX_ARGS, &req), 0);
	assert_int_equal(req.argc, CTL_REQ_MAX_ARGS);
}

static void test_reply_check(void **state)
{
	static uint8_t big[CTL_MSG_MAX + 2];
	int status = -1;

	(void)state;
	assert_int_equal(ctl_reply_check((const uint8_t *)"ohello", 6, &status), 0);
	assert_int_equal(ctl_reply_check((const uint8_t *)"e", 1, &status), 0);
	assert_int_equal(ctl_reply_check((const uint8_t *)"x\x02", 2, &status), 0);
	assert_int_equal(status, 2);
	assert_int_equal(ctl_reply_check((const uint8_t *)"x", 1, &status), -EBADMSG);
	assert_int_equal(ctl_reply_check((const uint8_t *)"x\0\0", 3, &status), -EBADMSG);
	assert_int_equal(ctl_reply_check((const uint8_t *)"z", 1, &status), -EBADMSG);
	assert_int_equal(ctl_reply_check((const uint8_t *)"", 0, &status), -EBADMSG);
	big[0] = 'o';
	assert_int_equal(ctl_reply_check(big, CTL_MSG_MAX + 1, &status), 0);
	assert_int_equal(ctl_reply_check(big, CTL_MSG_MAX + 2, &status), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),        cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_decode_malformed), cmocka_unit_test(test_decode_oversized),
		cmocka_unit_test(test_reply_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
