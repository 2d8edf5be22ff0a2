/*
 * proto.c - encoding and validation of control protocol messages (proto.h).
 */
#include "ctl/proto.h"

#include <errno.h>
#include <string.h>

int ctl_req_encode(const char *cwd, int argc, char *const argv[], void *buf, size_t cap)
{
	char *out = buf;
	size_t len = 1, cwdlen;

	if (argc < 1 || !argv)
		return -EINVAL;
	if (!cwd)
		cwd = "";
	if (cwd[0] && cwd[0] != '/')
		return -EINVAL;
	if (argc > CTL_REQ_MAX_ARGS)
		return -E2BIG;
	if (cap > CTL_REQ_MAX)
		cap = CTL_REQ_MAX;
	if (cap < 2)
		return -E2BIG;
	cwdlen = strlen(cwd) + 1;
	if (cwdlen > cap - len)
		return -E2BIG;
	out[0] = CTL_MSG_REQUEST;
	memcpy(out + len, cwd, cwdlen);
	len += cwdlen;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		if (n > cap - len)
			return -E2BIG;
		memcpy(out + len, argv[i], n);
		len += n;
	}
	return (int)len;
}

int ctl_req_decode(char *msg, size_t len, struct ctl_request *req)
{
	size_t off;
	int argc = 0;

	if (len > CTL_REQ_MAX)
		return -E2BIG;
	if (len < 2 || msg[0] != CTL_MSG_REQUEST || msg[len - 1] != '\0')
		return -EBADMSG;
	req->cwd = msg + 1;
	off = 1 + strlen(req->cwd) + 1; /* the last byte is NUL, so strlen stays inside */
	if (req->cwd[0] && req->cwd[0] != '/')
		return -EBADMSG;
	while (off < len) {
		if (argc == CTL_REQ_MAX_ARGS)
			return -E2BIG;
		req->argv[argc++] = msg + off;
		off += strlen(msg + off) + 1;
	}
	if (argc == 0)
		return -EBADMSG;
	req->argv[argc] = NULL;
	req->argc = argc;
	return 0;
}

int ctl_reply_check(const uint8_t *msg, size_t len, int *status)
{
	if (len < 1)
		return -EBADMSG;
	switch (msg[0]) {
	case CTL_MSG_STDOUT:
	case CTL_MSG_STDERR:
		return len - 1 <= CTL_MSG_MAX ? 0 : -EBADMSG;
	case CTL_MSG_EXIT:
		if (len != 2)
			return -EBADMSG;
		*status = msg[1];
		return 0;
	default:
		return -EBADMSG;
	}
}
