/*
 * ctl.h - the control plane of a running stack, for programs that embed
 * libustack and want `ustack -n NAME ...` to work against them (the `ustack
 * daemon` is one such program), and the small services the daemon offers.
 *
 * The control server listens on a Unix SOCK_SEQPACKET socket, by default
 * $USTACK_RUNDIR/NAME.sock (USTACK_RUNDIR defaults to /run/ustack), and is
 * driven by the stack's own loop: it registers a poll hook and a watched fd,
 * so it never blocks the stack and needs no thread. It must be started and
 * stopped on the thread that owns the stack, and stopped before us_stack_free.
 *
 * Functions return 0 or a negative errno.
 */
#ifndef USTACK_CTL_H
#define USTACK_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "ustack/ustack.h"

#ifdef __cplusplus
extern "C" {
#endif

struct us_ctl_server;
struct us_echo_service;
struct us_tcp_service;

/*
 * us_ctl_socket_path - write the control socket path of the stack named @name
 * ($USTACK_RUNDIR/NAME.sock) into @buf. Names are 1-31 characters of
 * [A-Za-z0-9._-] not starting with '.'. 0, -EINVAL (bad name), -ENAMETOOLONG.
 */
US_API_EXPORT int us_ctl_socket_path(const char *name, char *buf, size_t len);

/*
 * us_ctl_server_start - serve the control protocol for @st on @path (NULL: the
 * default path for the stack's name). Creates the directory (mode 0700) if
 * needed, removes a stale socket file nobody answers on, and fails with
 * -EADDRINUSE if a live server already answers there.
 */
US_API_EXPORT int us_ctl_server_start(struct us_stack *st, const char *path,
				      struct us_ctl_server **out);
/* Cancels running commands, closes every client and removes the socket file. */
US_API_EXPORT void us_ctl_server_stop(struct us_ctl_server *srv);

/*
 * us_echo_service_start - the UDP echo service (RFC 862) on @port (7 is the
 * standard one), on the stack's socket API: every datagram received is sent
 * back to its sender.
 */
US_API_EXPORT int us_echo_service_start(struct us_stack *st, uint16_t port,
					struct us_echo_service **out);
US_API_EXPORT void us_echo_service_stop(struct us_echo_service *es);

/*
 * us_tcp_service_start - a TCP service on @port, written on the stack's socket API
 * and driven by a poll hook (non-blocking, a bounded number of clients with fixed
 * buffers each). @name is one of:
 *   "echo"     RFC 862: every byte received is sent back (7 is the standard port)
 *   "discard"  RFC 863: everything received is thrown away (9)
 *   "chargen"  RFC 864: lines of 72 printable ASCII characters, each starting one
 *              character later, for as long as the client reads (19)
 *   "http"     HTTP/1.1 (80): GET / (a short page), GET /bytes/N (N bytes of the
 *              pseudo-random stream tests/integration/README.md describes), PUT or
 *              POST of a body of any length (answered with its size and SHA-256)
 * 0, -ENOENT (unknown name), or the socket calls' errors (-EADDRINUSE ...).
 */
US_API_EXPORT int us_tcp_service_start(struct us_stack *st, const char *name, uint16_t port,
				       struct us_tcp_service **out);
US_API_EXPORT void us_tcp_service_stop(struct us_tcp_service *svc);

#ifdef __cplusplus
}
#endif
#endif
