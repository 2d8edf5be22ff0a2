/*
 * server.c - the control socket server: listening, accepting, reading requests,
 * running commands and sending their output, all from the stack's poll loop
 * and never blocking it (see server.h for a client's life and proto.h for the
 * messages).
 *
 * The listening socket and the clients are registered in an epoll set of our
 * own, and that one fd is what the stack watches (us_stack_watch_fd): the stack
 * wakes when a client needs attention, and the poll hook asks the set what
 * happened with one epoll_wait(0), at most once per millisecond of stack time
 * while the stack is busy with traffic, so serving the CLI costs the data path
 * almost nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/proto.h"
#include "ctl/server.h"

#define CTL_LISTEN_TAG UINT64_MAX
#define CTL_EVENTS_PER_CHECK 32
#define CTL_ACCEPTS_PER_CHECK 16
#define CTL_READS_PER_EVENT 4
#define CTL_DEFAULT_RUNDIR "/run/ustack"

struct us_ctl_server {
	struct us_stack *st;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd;
	int epfd;
	struct us_poll_hook hook;
	struct us_timer timer;         /* wakes the loop for request deadlines */
	struct ctl_client *clients[CTL_MAX_CLIENTS];
	uint32_t next_gen;
	uint64_t last_check_ms;
	bool check_now;                /* look at the epoll set on the next round regardless */
	char rxbuf[CTL_REQ_MAX + 1];   /* one more byte than allowed: detects oversize */
};

/* ---- output ---- */

static uint32_t rec_len(const struct ctl_client *c, size_t off)
{
	uint32_t n;

	memcpy(&n, c->outq.data + off, sizeof(n));
	return n;
}

void ctl_write(struct ctl_client *c, char type, const void *data, size_t len)
{
	const char *p = data;

	if (c->state == CTL_CL_CLOSED || c->state == CTL_CL_DONE)
		return;
	while (len > 0) {
		/* Extend the last (unsent) record when it has the same type: fewer messages. */
		bool extend = c->last_rec != SIZE_MAX && c->outq.data[c->last_rec + 4] == type &&
			      rec_len(c, c->last_rec) - 1 < CTL_MSG_MAX;
		size_t room = extend ? CTL_MSG_MAX - (rec_len(c, c->last_rec) - 1) : CTL_MSG_MAX;
		size_t take = us_min_sz(len, room);
		uint32_t n;

		if (c->outq.len - c->out_head + len > CTL_OUT_MAX ||
		    us_buf_reserve(&c->outq, take + (extend ? 0 : 5)) < 0) {
			c->truncated = true; /* the limit, or no memory: said at the end */
			return;
		}
		if (extend) {
			n = rec_len(c, c->last_rec) + (uint32_t)take;
			memcpy(c->outq.data + c->last_rec, &n, sizeof(n));
		} else {
			char hdr[5];

			n = 1 + (uint32_t)take;
			memcpy(hdr, &n, sizeof(n));
			hdr[4] = type;
			c->last_rec = c->outq.len;
			us_buf_append(&c->outq, hdr, sizeof(hdr));
		}
		us_buf_append(&c->outq, p, take);
		p += take;
		len -= take;
	}
}

static void ctl_vwrite(struct ctl_client *c, char type, const char *fmt, va_list ap)
{
	char small[512];
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		ctl_write(c, type, small, (size_t)n);
	} else {
		char *big = malloc((size_t)n + 1);
		if (!big) {
			c->truncated = true;
			return;
		}
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		ctl_write(c, type, big, (size_t)n);
		free(big);
	}
}

void ctl_printf(struct ctl_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vwrite(c, CTL_MSG_STDOUT, fmt, ap);
	va_end(ap);
}

void ctl_eprintf(struct ctl_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vwrite(c, CTL_MSG_STDERR, fmt, ap);
	va_end(ap);
}

void ctl_json_start(struct us_buf *b, struct us_json *j)
{
	us_buf_init(b, CTL_OUT_MAX);
	us_json_init(j, b);
}

void ctl_json_emit(struct ctl_client *c, struct us_buf *b, struct us_json *j)
{
	if (b->overflow || !us_json_complete(j)) {
		c->truncated = true; /* never hand out half a document as if it were whole */
	} else {
		us_buf_putc(b, '\n');
		ctl_write(c, CTL_MSG_STDOUT, b->data, b->len);
	}
	us_buf_free(b);
}

void ctl_finish(struct ctl_client *c, int status)
{
	char rec[6];
	uint32_t n = 2;

	if (c->state == CTL_CL_CLOSED || c->state == CTL_CL_DONE)
		return;
	if (c->truncated) {
		static const char msg[] = "ustack: output too large, truncated\n";
		c->truncated = false;
		c->outq.overflow = false;
		/* The queue keeps slack beyond CTL_OUT_MAX for this and the exit record. */
		c->last_rec = SIZE_MAX;
		n = sizeof(msg);
		memcpy(rec, &n, sizeof(n));
		rec[4] = CTL_MSG_STDERR;
		us_buf_append(&c->outq, rec, 5);
		us_buf_append(&c->outq, msg, sizeof(msg) - 1);
		if (status == 0)
			status = CTL_EXIT_FAIL;
		n = 2;
	}
	memcpy(rec, &n, sizeof(n));
	rec[4] = CTL_MSG_EXIT;
	rec[5] = (char)(status < 0 ? CTL_EXIT_FAIL : status > 255 ? 255 : status);
	us_buf_append(&c->outq, rec, sizeof(rec));
	c->last_rec = SIZE_MAX;
	c->async = NULL;
	c->async_state = NULL;
	c->state = CTL_CL_DONE;
}

int ctl_client_path(const struct ctl_client *c, const char *path, char *buf, size_t len)
{
	int n;

	if (!path || !*path)
		return -EINVAL;
	if (path[0] == '/' || !c->cwd[0])
		n = snprintf(buf, len, "%s", path);
	else
		n = snprintf(buf, len, "%s/%s", c->cwd, path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ---- clients ---- */

static uint64_t client_tag(const struct ctl_client *c) { return (uint64_t)c->gen << 32 | c->slot; }

static void client_set_events(struct ctl_client *c, bool want_out)
{
	struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0u),
				  .data.u64 = client_tag(c) };

	if (c->fd < 0 || c->want_out == want_out)
		return;
	if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->want_out = want_out;
}

/* The peer is gone (or misbehaved beyond repair): stop everything for it. */
static void client_gone(struct ctl_client *c)
{
	if (c->async && c->async->cancel)
		c->async->cancel(c);
	c->async = NULL;
	c->async_state = NULL;
	if (c->fd >= 0) {
		epoll_ctl(c->srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	c->state = CTL_CL_CLOSED;
}

static void client_flush(struct ctl_client *c)
{
	while (c->fd >= 0 && c->out_head < c->outq.len) {
		uint32_t n = rec_len(c, c->out_head);
		ssize_t r = send(c->fd, c->outq.data + c->out_head + 4, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				client_set_events(c, true);
				break;
			}
			client_gone(c);
			return;
		}
		if (c->last_rec == c->out_head)
			c->last_rec = SIZE_MAX; /* sent: it can no longer be extended */
		c->out_head += 4 + n;
	}
	if (c->out_head == c->outq.len) {
		c->outq.len = 0;
		c->out_head = 0;
		client_set_events(c, false);
		if (c->state == CTL_CL_DONE)
			client_gone(c); /* everything said; closing tells the client we are done */
	} else if (c->out_head > c->outq.len / 2) {
		/* Compact now and then, not per record (a large listing is many records). */
		us_buf_consume(&c->outq, c->out_head);
		if (c->last_rec != SIZE_MAX)
			c->last_rec -= c->out_head;
		c->out_head = 0;
	}
}

static void client_free(struct ctl_client *c)
{
	c->srv->clients[c->slot] = NULL;
	us_buf_free(&c->outq);
	free(c);
}

static void client_request(struct ctl_client *c, char *msg, size_t len, bool truncated)
{
	struct ctl_request req;
	int err, status;

	err = truncated ? -E2BIG : ctl_req_decode(msg, len, &req);
	if (err == -E2BIG) {
		ctl_eprintf(c, "ustack: request too large (at most %d bytes and %d arguments)\n",
			    CTL_REQ_MAX, CTL_REQ_MAX_ARGS);
		ctl_finish(c, CTL_EXIT_USAGE);
		return;
	}
	if (err < 0) {
		ctl_eprintf(c, "ustack: malformed request\n");
		ctl_finish(c, CTL_EXIT_USAGE);
		return;
	}
	if (strlen(req.cwd) >= sizeof(c->cwd))
		c->cwd[0] = '\0'; /* relative paths then fail to resolve, clearly */
	else
		snprintf(c->cwd, sizeof(c->cwd), "%s", req.cwd);
	c->state = CTL_CL_RUNNING;
	status = ctl_dispatch(c, req.argc, req.argv);
	if (status == CTL_ASYNC && c->async)
		return; /* the command finishes later */
	ctl_finish(c, status == CTL_ASYNC ? CTL_EXIT_FAIL : status);
}

static void client_readable(struct ctl_client *c)
{
	struct us_ctl_server *srv = c->srv;

	for (int k = 0; k < CTL_READS_PER_EVENT && c->fd >= 0; k++) {
		struct iovec iov = { .iov_base = srv->rxbuf, .iov_len = sizeof(srv->rxbuf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			client_gone(c);
			return;
		}
		if (n == 0) {
			/* The client hung up: a running command is cancelled (e.g. ^C twice). */
			client_gone(c);
			return;
		}
		switch (c->state) {
		case CTL_CL_WAIT_REQ:
			client_request(c, srv->rxbuf, (size_t)n,
				       (mh.msg_flags & MSG_TRUNC) || (size_t)n > CTL_REQ_MAX);
			break;
		case CTL_CL_RUNNING:
			if (n == 1 && srv->rxbuf[0] == CTL_MSG_INTERRUPT) {
				if (c->async && c->async->interrupt)
					c->async->interrupt(c);
			} else {
				/* One request per connection; anything else is a broken client. */
				if (c->async && c->async->cancel)
					c->async->cancel(c);
				c->async = NULL;
				ctl_eprintf(c, "ustack: unexpected message while a command runs\n");
				ctl_finish(c, CTL_EXIT_USAGE);
			}
			break;
		default:
			break; /* output is being flushed; late interrupts do not matter */
		}
	}
}

/* No free slot: say so (best effort, never blocking) and hang up. */
static void srv_reject(int fd)
{
	static const char ex[] = { CTL_MSG_EXIT, CTL_EXIT_FAIL };
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "%custack: too many control connections, try again\n",
			 CTL_MSG_STDERR);

	(void)!send(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)!send(fd, ex, sizeof(ex), MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

static void srv_accept(struct us_ctl_server *srv)
{
	for (int k = 0; k < CTL_ACCEPTS_PER_CHECK; k++) {
		struct ctl_client *c;
		struct epoll_event ev = { .events = EPOLLIN };
		int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		unsigned slot;

		if (fd < 0)
			return; /* EAGAIN, or a transient error (EMFILE...): try next round */
		for (slot = 0; slot < CTL_MAX_CLIENTS && srv->clients[slot]; slot++)
			;
		c = slot < CTL_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			srv_reject(fd);
			continue;
		}
		c->srv = srv;
		c->st = srv->st;
		c->fd = fd;
		c->slot = slot;
		c->gen = ++srv->next_gen;
		c->state = CTL_CL_WAIT_REQ;
		c->deadline_ns = srv->st->now_ns + CTL_REQ_TIMEOUT_NS;
		c->last_rec = SIZE_MAX;
		/* Slack past CTL_OUT_MAX so the truncation notice and exit record always fit. */
		us_buf_init(&c->outq, CTL_OUT_MAX + 4096);
		ev.data.u64 = client_tag(c);
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		srv->clients[slot] = c;
		/* The request is usually there already: serve it now, not a round later. */
		client_readable(c);
	}
}

static void srv_events(struct us_ctl_server *srv)
{
	struct epoll_event evs[CTL_EVENTS_PER_CHECK];
	int n = epoll_wait(srv->epfd, evs, CTL_EVENTS_PER_CHECK, 0);

	if (n <= 0)
		return;
	srv->check_now = true; /* busy: look again next round */
	for (int i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64;
		struct ctl_client *c;
		unsigned slot;

		if (tag == CTL_LISTEN_TAG) {
			srv_accept(srv);
			continue;
		}
		slot = (unsigned)(tag & 0xffffffffu);
		if (slot >= CTL_MAX_CLIENTS)
			continue;
		c = srv->clients[slot];
		if (!c || c->gen != (uint32_t)(tag >> 32) || c->fd < 0)
			continue; /* a client closed earlier in this batch */
		if (evs[i].events & EPOLLOUT)
			client_flush(c);
		if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			client_readable(c);
	}
}

static void srv_timer_fn(struct us_timer *t, uint64_t now_ms)
{
	struct us_ctl_server *srv = container_of(t, struct us_ctl_server, timer);

	(void)now_ms;
	srv->check_now = true;
}

static void srv_hook(struct us_poll_hook *h, struct us_stack *st)
{
	struct us_ctl_server *srv = container_of(h, struct us_ctl_server, hook);
	uint64_t next_deadline = UINT64_MAX;

	if (srv->check_now || st->now_ms != srv->last_check_ms || st->clock.is_virtual) {
		srv->check_now = false;
		srv->last_check_ms = st->now_ms;
		srv_events(srv);
		for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++) {
			struct ctl_client *c = srv->clients[i];
			if (c && c->state == CTL_CL_WAIT_REQ && st->now_ns >= c->deadline_ns)
				client_gone(c); /* connected but silent: free the slot */
		}
	}
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = srv->clients[i];

		if (!c)
			continue;
		if (c->state == CTL_CL_RUNNING && c->async && c->async->poll)
			c->async->poll(c);
		if (c->fd >= 0 && c->out_head < c->outq.len && !c->want_out)
			client_flush(c);
		if (c->state == CTL_CL_CLOSED) {
			client_free(c);
			continue;
		}
		if (c->state == CTL_CL_WAIT_REQ && c->deadline_ns < next_deadline)
			next_deadline = c->deadline_ns;
	}
	if (next_deadline != UINT64_MAX) {
		uint64_t ms = (next_deadline + US_NSEC_PER_MSEC - 1) / US_NSEC_PER_MSEC;
		if (!us_timer_pending(&srv->timer) || srv->timer.expires_ms != ms)
			us_timer_arm(&st->timers, &srv->timer, ms);
	} else {
		us_timer_cancel(&st->timers, &srv->timer);
	}
}

/* ---- socket path and setup ---- */

US_API int us_ctl_socket_path(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("USTACK_RUNDIR");
	size_t n;
	int r;

	if (!name || !buf)
		return -EINVAL;
	n = strlen(name);
	if (n == 0 || n > 31 || name[0] == '.')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return -EINVAL;
	}
	if (!dir || !*dir)
		dir = CTL_DEFAULT_RUNDIR;
	r = snprintf(buf, len, "%s/%s.sock", dir, name);
	if (r < 0 || (size_t)r >= len || (size_t)r >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

/* mkdir -p for the directory part of @path; new directories get mode 0700. */
static int make_parent_dirs(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat sb;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (stat(dir, &sb) < 0)
		return -errno;
	return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
}

static int sockaddr_for(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* A socket file already there: a live server (refuse) or a stale one (remove). */
static int claim_path(const char *path)
{
	struct sockaddr_un sa;
	struct stat sb;
	int fd, err;

	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(sb.st_mode))
		return -EEXIST;
	err = sockaddr_for(path, &sa);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Non-blocking connect to a Unix socket completes or fails at once; EAGAIN means
	 * a live listener with a full backlog. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
		close(fd);
		return -EADDRINUSE;
	}
	err = errno;
	close(fd);
	if (err != ECONNREFUSED && err != ENOENT)
		return -err;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

US_API int us_ctl_server_start(struct us_stack *st, const char *path, struct us_ctl_server **out)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = CTL_LISTEN_TAG };
	struct us_ctl_server *srv;
	struct sockaddr_un sa;
	char defpath[sizeof(sa.sun_path)];
	int err;

	if (!st || !out)
		return -EINVAL;
	*out = NULL;
	if (!path) {
		err = us_ctl_socket_path(st->name, defpath, sizeof(defpath));
		if (err)
			return err;
		path = defpath;
	}
	err = sockaddr_for(path, &sa);
	if (err)
		return err;
	err = make_parent_dirs(path);
	if (err)
		return err;
	err = claim_path(path);
	if (err)
		return err;

	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->st = st;
	srv->epfd = -1;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	srv->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (srv->lfd < 0)
		goto err_errno;
	if (bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto err_errno;
	/* Only the owner may talk to the stack (the directory is 0700 too). */
	if (chmod(path, 0600) < 0 || listen(srv->lfd, CTL_MAX_CLIENTS) < 0)
		goto err_unlink;
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0 || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &ev) < 0)
		goto err_unlink;
	err = us_stack_watch_fd(st, srv->epfd);
	if (err) {
		errno = -err;
		goto err_unlink;
	}
	us_timer_init(&srv->timer, srv_timer_fn);
	srv->hook.fn = srv_hook;
	srv->check_now = true;
	us_stack_add_poll_hook(st, &srv->hook);
	*out = srv;
	return 0;

err_unlink:
	err = -errno;
	unlink(path);
	goto err_close;
err_errno:
	err = -errno;
err_close:
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->lfd >= 0)
		close(srv->lfd);
	free(srv);
	return err;
}

US_API void us_ctl_server_stop(struct us_ctl_server *srv)
{
	if (!srv)
		return;
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = srv->clients[i];
		if (!c)
			continue;
		client_gone(c);
		client_free(c);
	}
	us_stack_del_poll_hook(srv->st, &srv->hook);
	us_timer_cancel(&srv->st->timers, &srv->timer);
	us_stack_unwatch_fd(srv->st, srv->epfd);
	close(srv->epfd);
	close(srv->lfd);
	unlink(srv->path);
	free(srv);
}
