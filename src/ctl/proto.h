/*
 * proto.h - the control protocol between `ustack` (the client) and a stack's
 * control server, over a Unix SOCK_SEQPACKET socket (message boundaries are
 * kept, so a message is one send and one recv).
 *
 * Client to server:
 *   'Q' CWD NUL ARG0 NUL ARG1 NUL ...   the request: the client's working directory
 *                                       (absolute, or empty) and the command's argv;
 *                                       exactly one per connection, first.
 *   'I'                                 interrupt: the running command stops early and
 *                                       finishes normally (ping prints its summary).
 * Server to client, zero or more of:
 *   'o' BYTES                           output for stdout
 *   'e' BYTES                           output for stderr
 * then exactly one
 *   'x' STATUS                          exit status (one byte), after which the server
 *                                       closes the connection.
 * A request that is oversized or malformed is answered with an error message
 * and exit status 2, as is any message but an interrupt while a command runs
 * (messages after the exit status are ignored); the server never trusts a
 * length or a count it did not check.
 */
#ifndef US_CTL_PROTO_H
#define US_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define CTL_REQ_MAX      16384  /* bytes of a request message, type byte included */
#define CTL_REQ_MAX_ARGS 256
#define CTL_MSG_MAX      16384  /* payload bytes of one server message */

enum ctl_msg_type {
	CTL_MSG_REQUEST = 'Q',
	CTL_MSG_INTERRUPT = 'I',
	CTL_MSG_STDOUT = 'o',
	CTL_MSG_STDERR = 'e',
	CTL_MSG_EXIT = 'x',
};

struct ctl_request {
	const char *cwd;                     /* "" when the client did not send one */
	int argc;
	char *argv[CTL_REQ_MAX_ARGS + 1];    /* NULL-terminated; point into the message */
};

/*
 * ctl_req_encode - build a request message for @argv in @buf. Returns its length,
 * -E2BIG if it does not fit CTL_REQ_MAX / CTL_REQ_MAX_ARGS (or @cap), -EINVAL for
 * argc < 1 or a relative @cwd.
 */
int ctl_req_encode(const char *cwd, int argc, char *const argv[], void *buf, size_t cap);

/*
 * ctl_req_decode - validate a received request in place (@msg, @len bytes) and
 * point @req's strings into it. 0, -EBADMSG (wrong type, not NUL-terminated,
 * no command, relative cwd), -E2BIG (too long, too many arguments).
 */
int ctl_req_decode(char *msg, size_t len, struct ctl_request *req);

/* Validates one server message (type + payload): 0 or -EBADMSG. For 'x' sets @status. */
int ctl_reply_check(const uint8_t *msg, size_t len, int *status);

#endif
