/*
 * bsd.h - the BSD socket API of libustack over the channel (DESIGN.md section 2).
 *
 * These calls take and return real file descriptors and report errors in errno,
 * with Linux's meanings: a program written against <sys/socket.h> is ported by
 * renaming its calls (socket -> ustack_socket ...), and the LD_PRELOAD shim
 * (libustack-preload.so, `ustack run -- PROGRAM`) calls them for the descriptors
 * ustack owns. The stack runs elsewhere: in the `ustack daemon` (shared mode: the
 * control socket $USTACK_RUNDIR/NAME.chan) or in a thread of this process
 * (in-process mode, ustack_client_attach_fd). Either way the data moves through
 * per-socket rings in shared memory and the descriptor the program holds is an
 * eventfd, so ustack descriptors never collide with kernel ones, survive fork and
 * exec where Linux keeps sockets, and can be mixed with kernel descriptors in
 * ustack_poll / ustack_select / ustack_epoll_*.
 *
 * Descriptors: every call below accepts any descriptor. The socket calls on a
 * descriptor that is not a ustack socket fail as the kernel would (ENOTSOCK for a
 * file, EBADF for a closed one) - except the calls that make sense for any
 * descriptor (read, write, readv, writev, close, fcntl, ioctl, dup*, poll, select,
 * epoll_*), which pass kernel descriptors to the kernel. So the shim may call them
 * whenever a set contains at least one ustack descriptor.
 *
 * Blocking: as Linux. A socket blocks unless O_NONBLOCK (SOCK_NONBLOCK, FIONBIO,
 * fcntl) is set or MSG_DONTWAIT is given; SO_RCVTIMEO/SO_SNDTIMEO bound the wait
 * (EAGAIN); a signal interrupts a wait (EINTR, as without SA_RESTART).
 *
 * Which stack: the first call connects to the stack named by $USTACK_NAME
 * (default "ustack"), unless ustack_client_attach_fd() gave a connection first.
 * When no stack answers, ustack_socket fails with ENETDOWN... unless kernel
 * handover is on (ustack_client_set_handover), then it returns a kernel socket.
 *
 * Thread-safe; async-signal-safe only where the kernel call it replaces is.
 */
#ifndef USTACK_BSD_H
#define USTACK_BSD_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "ustack/ustack.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the client's connection to a stack ---------------------------------------- */

/* Use the already-connected channel socket @fd (a SOCK_SEQPACKET end; the other end
 * is served by us_chan_serve_fd in a stack thread). Before any other call. 0 or -1. */
US_API_EXPORT int ustack_client_attach_fd(int fd);
/* Kernel handover (the shim turns it on; off by default): a socket whose destination
 * (connect, sendto) or bound address (bind) ustack has no route or address for
 * becomes a kernel socket under the same descriptor number, with the options set so
 * far; and ustack_socket returns a kernel socket when no stack answers. */
US_API_EXPORT void ustack_client_set_handover(bool on);
/* Is @fd a ustack socket of this process? */
US_API_EXPORT bool ustack_is_socket(int fd);

/* ---- sockets -------------------------------------------------------------------- */

US_API_EXPORT int ustack_socket(int domain, int type, int protocol);
US_API_EXPORT int ustack_bind(int fd, const struct sockaddr *addr, socklen_t len);
US_API_EXPORT int ustack_listen(int fd, int backlog);
US_API_EXPORT int ustack_accept(int fd, struct sockaddr *addr, socklen_t *len);
US_API_EXPORT int ustack_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
US_API_EXPORT int ustack_connect(int fd, const struct sockaddr *addr, socklen_t len);
US_API_EXPORT int ustack_shutdown(int fd, int how);
US_API_EXPORT int ustack_close(int fd);

US_API_EXPORT ssize_t ustack_send(int fd, const void *buf, size_t len, int flags);
US_API_EXPORT ssize_t ustack_sendto(int fd, const void *buf, size_t len, int flags,
				    const struct sockaddr *to, socklen_t tolen);
US_API_EXPORT ssize_t ustack_sendmsg(int fd, const struct msghdr *msg, int flags);
US_API_EXPORT int ustack_sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags);
US_API_EXPORT ssize_t ustack_recv(int fd, void *buf, size_t len, int flags);
US_API_EXPORT ssize_t ustack_recvfrom(int fd, void *buf, size_t len, int flags,
				      struct sockaddr *from, socklen_t *fromlen);
US_API_EXPORT ssize_t ustack_recvmsg(int fd, struct msghdr *msg, int flags);
US_API_EXPORT int ustack_recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags,
				  struct timespec *timeout);
US_API_EXPORT ssize_t ustack_read(int fd, void *buf, size_t len);
US_API_EXPORT ssize_t ustack_write(int fd, const void *buf, size_t len);
US_API_EXPORT ssize_t ustack_readv(int fd, const struct iovec *iov, int iovcnt);
US_API_EXPORT ssize_t ustack_writev(int fd, const struct iovec *iov, int iovcnt);
/* sendfile(2) with a ustack socket as @out_fd (nginx): reads @in_fd, sends the bytes. */
US_API_EXPORT ssize_t ustack_sendfile(int out_fd, int in_fd, off_t *offset, size_t count);

US_API_EXPORT int ustack_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
US_API_EXPORT int ustack_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
US_API_EXPORT int ustack_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
US_API_EXPORT int ustack_setsockopt(int fd, int level, int name, const void *val,
				   socklen_t len);
/* F_GETFL/F_SETFL (O_NONBLOCK), F_GETFD/F_SETFD (FD_CLOEXEC), F_DUPFD(_CLOEXEC); other
 * commands go to the kernel. @arg is the third argument as an integer or pointer. */
US_API_EXPORT int ustack_fcntl(int fd, int cmd, uintptr_t arg);
/* FIONREAD/SIOCINQ, SIOCOUTQ, FIONBIO, SIOCATMARK; interface ioctls (SIOCGIF*) and
 * everything else go to the kernel. */
US_API_EXPORT int ustack_ioctl(int fd, unsigned long request, void *arg);
US_API_EXPORT int ustack_dup(int fd);
US_API_EXPORT int ustack_dup2(int oldfd, int newfd);
US_API_EXPORT int ustack_dup3(int oldfd, int newfd, int flags);

/* ---- readiness: mixed sets of ustack and kernel descriptors ---------------------- */

US_API_EXPORT int ustack_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms);
US_API_EXPORT int ustack_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
			       const sigset_t *sigmask);
US_API_EXPORT int ustack_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
				struct timeval *timeout);
US_API_EXPORT int ustack_pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
				 const struct timespec *timeout, const sigset_t *sigmask);
/* An epoll instance is a kernel epoll descriptor; the library remembers the ustack
 * sockets registered in it. Level- and edge-triggered, EPOLLONESHOT, EPOLLRDHUP,
 * EPOLLEXCLUSIVE accepted (and ignored, as for a single waiter). */
US_API_EXPORT int ustack_epoll_create1(int flags);
US_API_EXPORT int ustack_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
US_API_EXPORT int ustack_epoll_wait(int epfd, struct epoll_event *events, int maxevents,
				    int timeout_ms);
US_API_EXPORT int ustack_epoll_pwait(int epfd, struct epoll_event *events, int maxevents,
				     int timeout_ms, const sigset_t *sigmask);
/* Is @epfd an epoll instance with ustack sockets in it (the shim routes epoll_wait)? */
US_API_EXPORT bool ustack_is_epoll(int epfd);

/* ---- low-level readiness of one ustack socket (the poll/epoll emulation above is
 * built on these; event loops embedding ustack may use them directly) ------------- */

/* Readiness now as poll(2) bits (POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP), from
 * the socket's shared state and rings, without a request to the stack. -1 (EBADF). */
US_API_EXPORT int ustack_fd_events(int fd);
/* Bumped at every readiness change the stack publishes (edge-triggered epoll). */
US_API_EXPORT uint32_t ustack_fd_gen(int fd);
/* Prepare to sleep until @events may be ready on @fd: returns the events of @events
 * ready now (> 0: do not sleep, nothing armed), or 0: armed - the eventfd @fd will
 * become readable (POLLIN in the kernel) when the stack changed something a waiter
 * for @events cares about. -1 on error. */
US_API_EXPORT int ustack_fd_wait_arm(int fd, int events);
/* After the sleep (woken or not): drain the eventfd and withdraw the arming. */
US_API_EXPORT void ustack_fd_wait_end(int fd);

#ifdef __cplusplus
}
#endif
#endif
