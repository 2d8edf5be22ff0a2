/*
 * svc.c - the socket side of the daemon's TCP services (see svc.h): a listening
 * socket, a bounded table of clients, and a poll hook that moves bytes between
 * each client's socket and its fixed buffers while the protocol (struct
 * svc_proto) turns input into output. Written on the public socket API only.
 *
 * Per poll round and client, up to SVC_PASSES passes of: receive what fits in
 * the input buffer; run the protocol's step; send what the stack takes. A pass
 * that moves nothing ends the client's turn, so a peer that stops reading
 * (send says -EAGAIN) or stops writing costs nothing until it moves again, and
 * no client's turn is longer than SVC_PASSES buffers.
 *
 * Closing (RFC 9293 3.10.4 CLOSE; RFC 9112 9.6 on why a server closes in
 * halves): when the protocol is done and its output is queued, a client that
 * already finished sending is closed at once (an orderly FIN after the queued
 * data); otherwise the sending side is shut (our FIN) and input is read and
 * discarded until the peer's FIN or SVC_LINGER_MS, so that unread input does
 * not turn our close into a reset that could destroy the response in flight.
 */
#include "ctl/svc.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack.h"
#include "ustack/ctl.h"
#include "ustack/socket.h"

#define SVC_BACKLOG 128
#define SVC_ACCEPTS_PER_ROUND 32
#define SVC_PASSES 32
#define SVC_LINGER_MS 2000
#define SVC_LINGER_READS 8       /* receive calls per round while lingering */

enum svc_phase {
	SVC_RUN,    /* the protocol is working */
	SVC_LINGER, /* our FIN is sent; waiting for the peer's, discarding input */
};

struct svc_client {
	int sd;
	enum svc_phase phase;
	uint64_t last_ms;        /* when a byte last moved */
	uint64_t linger_end_ms;
	struct svc_conn conn;
};

struct us_tcp_service {
	struct us_stack *st;
	const struct svc_proto *proto;
	int lsd;
	struct us_poll_hook hook;
	unsigned nclients;
	struct svc_client **clients; /* proto->max_clients slots */
};

static const struct {
	const char *name;
	const struct svc_proto *proto;
} svc_protos[] = {
	{ "echo", &svc_echo },
	{ "discard", &svc_discard },
	{ "chargen", &svc_chargen },
	{ "http", &svc_http },
};

/* ---- the buffers, for the protocols ---------------------------------------------------- */

void svc_in_consume(struct svc_conn *c, size_t n)
{
	c->in_off += n;
	c->in_len -= n;
	if (!c->in_len)
		c->in_off = 0;
}

size_t svc_out_room(struct svc_conn *c)
{
	if (c->out_off && c->out_off + c->out_len > SVC_OUT_MAX / 2) {
		memmove(c->out, c->out + c->out_off, c->out_len);
		c->out_off = 0;
	}
	return SVC_OUT_MAX - c->out_off - c->out_len;
}

bool svc_out_put(struct svc_conn *c, const void *data, size_t n)
{
	if (svc_out_room(c) < n)
		return false;
	memcpy(svc_out_tail(c), data, n);
	c->out_len += n;
	return true;
}

static struct svc_client *svc_client_new(const struct svc_proto *proto)
{
	struct svc_client *cl = calloc(1, sizeof(*cl));

	if (!cl)
		return NULL;
	if (proto->priv_size && !(cl->conn.priv = calloc(1, proto->priv_size))) {
		free(cl);
		return NULL;
	}
	if (proto->open)
		proto->open(&cl->conn);
	return cl;
}

static void svc_client_free(const struct svc_proto *proto, struct svc_client *cl)
{
	if (proto->close)
		proto->close(&cl->conn);
	free(cl->conn.priv);
	free(cl);
}

struct svc_conn *svc_conn_new(const struct svc_proto *proto)
{
	struct svc_client *cl = svc_client_new(proto);

	return cl ? &cl->conn : NULL;
}

void svc_conn_free(const struct svc_proto *proto, struct svc_conn *c)
{
	if (c)
		svc_client_free(proto, container_of(c, struct svc_client, conn));
}

/* ---- the socket side ------------------------------------------------------------------ */

static void svc_drop(struct us_tcp_service *s, unsigned slot)
{
	struct svc_client *cl = s->clients[slot];

	us_close(s->st, cl->sd);
	svc_client_free(s->proto, cl);
	s->clients[slot] = NULL;
	s->nclients--;
}

/* The protocol is done and everything it produced is queued in the stack. */
static void svc_finish(struct us_tcp_service *s, unsigned slot, uint64_t now_ms)
{
	struct svc_client *cl = s->clients[slot];

	if (cl->conn.in_eof) {
		svc_drop(s, slot);
		return;
	}
	if (us_shutdown(s->st, cl->sd, SHUT_WR) < 0) {
		svc_drop(s, slot);
		return;
	}
	cl->phase = SVC_LINGER;
	cl->linger_end_ms = now_ms + SVC_LINGER_MS;
}

/* Lingering: read and forget until the peer's FIN (or an error, or the deadline). */
static void svc_linger(struct us_tcp_service *s, unsigned slot, uint64_t now_ms)
{
	struct svc_client *cl = s->clients[slot];

	for (int i = 0; i < SVC_LINGER_READS; i++) {
		ssize_t n = us_recv(s->st, cl->sd, cl->conn.in, SVC_IN_MAX, 0);

		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			svc_drop(s, slot);
			return;
		}
	}
	if (now_ms >= cl->linger_end_ms)
		svc_drop(s, slot);
}

/* Receive into the input buffer: bytes moved, 0 for none, -1 for a dead connection. */
static ssize_t svc_receive(struct us_tcp_service *s, struct svc_client *cl)
{
	struct svc_conn *c = &cl->conn;
	size_t room;
	ssize_t n;

	if (c->in_eof)
		return 0;
	if (c->in_off && c->in_off + c->in_len == SVC_IN_MAX) {
		memmove(c->in, c->in + c->in_off, c->in_len);
		c->in_off = 0;
	}
	room = SVC_IN_MAX - c->in_off - c->in_len;
	if (!room)
		return 0;
	n = us_recv(s->st, cl->sd, c->in + c->in_off + c->in_len, room, 0);
	if (n == -EAGAIN)
		return 0;
	if (n < 0)
		return -1;
	if (n == 0) {
		c->in_eof = true;
		return 1; /* news for the protocol */
	}
	c->in_len += (size_t)n;
	return n;
}

/* Send queued output: bytes moved, 0 for none (or no room), -1 for a dead connection. */
static ssize_t svc_transmit(struct us_tcp_service *s, struct svc_client *cl)
{
	struct svc_conn *c = &cl->conn;
	ssize_t n;

	if (!c->out_len)
		return 0;
	n = us_send(s->st, cl->sd, c->out + c->out_off, c->out_len, MSG_NOSIGNAL);
	if (n == -EAGAIN)
		return 0;
	if (n < 0)
		return -1;
	c->out_off += (size_t)n;
	c->out_len -= (size_t)n;
	if (!c->out_len)
		c->out_off = 0;
	return n;
}

static void svc_run_client(struct us_tcp_service *s, unsigned slot, uint64_t now_ms)
{
	struct svc_client *cl = s->clients[slot];
	struct svc_conn *c = &cl->conn;

	if (cl->phase == SVC_LINGER) {
		svc_linger(s, slot, now_ms);
		return;
	}
	for (int pass = 0; pass < SVC_PASSES; pass++) {
		size_t in_before, out_before;
		enum svc_verdict v;
		ssize_t rx, tx;

		rx = svc_receive(s, cl);
		in_before = c->in_len;
		out_before = c->out_len;
		v = s->proto->step(c);
		tx = svc_transmit(s, cl);
		if (rx < 0 || tx < 0 || v == SVC_ABORT) {
			svc_drop(s, slot);
			return;
		}
		if (v == SVC_CLOSE && !c->out_len) {
			svc_finish(s, slot, now_ms);
			return;
		}
		if (rx || tx)
			cl->last_ms = now_ms;
		if (!rx && !tx && c->in_len == in_before && c->out_len == out_before)
			break;
	}
	if (now_ms - cl->last_ms > s->proto->idle_timeout_ms)
		svc_drop(s, slot);
}

static void svc_accept(struct us_tcp_service *s, uint64_t now_ms)
{
	unsigned max = s->proto->max_clients;

	for (int i = 0; i < SVC_ACCEPTS_PER_ROUND && s->nclients < max; i++) {
		struct svc_client *cl;
		unsigned slot;
		int sd = us_accept(s->st, s->lsd, NULL, NULL);

		if (sd < 0)
			return; /* -EAGAIN: none waiting; -EMFILE: try again next round */
		cl = svc_client_new(s->proto);
		if (!cl) {
			us_close(s->st, sd);
			return;
		}
		for (slot = 0; s->clients[slot]; slot++)
			;
		cl->sd = sd;
		cl->last_ms = now_ms;
		s->clients[slot] = cl;
		s->nclients++;
	}
}

static void svc_hook(struct us_poll_hook *h, struct us_stack *st)
{
	struct us_tcp_service *s = container_of(h, struct us_tcp_service, hook);
	uint64_t now_ms = us_stack_now_ns(st) / 1000000u;

	svc_accept(s, now_ms);
	for (unsigned i = 0; i < s->proto->max_clients; i++)
		if (s->clients[i])
			svc_run_client(s, i, now_ms);
}

US_API int us_tcp_service_start(struct us_stack *st, const char *name, uint16_t port,
				struct us_tcp_service **out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_ANY) };
	const struct svc_proto *proto = NULL;
	struct us_tcp_service *s;
	int one = 1, err;

	if (!st || !name || !out)
		return -EINVAL;
	*out = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(svc_protos); i++)
		if (!strcmp(svc_protos[i].name, name))
			proto = svc_protos[i].proto;
	if (!proto)
		return -ENOENT;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->clients = calloc(proto->max_clients, sizeof(*s->clients));
	if (!s->clients) {
		free(s);
		return -ENOMEM;
	}
	s->st = st;
	s->proto = proto;
	s->lsd = us_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->lsd < 0) {
		err = s->lsd;
		goto fail;
	}
	/* A restarted service must not wait for its old connections' TIME_WAIT. */
	err = us_setsockopt(st, s->lsd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!err)
		err = us_bind(st, s->lsd, (struct sockaddr *)&sa, sizeof(sa));
	if (!err)
		err = us_listen(st, s->lsd, SVC_BACKLOG);
	if (err) {
		us_close(st, s->lsd);
		goto fail;
	}
	s->hook.fn = svc_hook;
	us_stack_add_poll_hook(st, &s->hook);
	*out = s;
	return 0;
fail:
	free(s->clients);
	free(s);
	return err;
}

US_API void us_tcp_service_stop(struct us_tcp_service *s)
{
	if (!s)
		return;
	us_stack_del_poll_hook(s->st, &s->hook);
	for (unsigned i = 0; i < s->proto->max_clients; i++)
		if (s->clients[i])
			svc_drop(s, i);
	us_close(s->st, s->lsd);
	free(s->clients);
	free(s);
}
