/*
 * svc_small.c - the TCP "small services" of RFC 862 (echo), RFC 863 (discard)
 * and RFC 864 (character generator), as protocols of svc.h: bytes in, bytes
 * out, no sockets here.
 *
 * Each is bounded by its buffers: echo reads no more than it can hold until the
 * peer reads the echo back, so a client that only writes is throttled by TCP's
 * flow control; chargen produces only as much as the stack accepts (svc.c sends
 * until -EAGAIN), so it runs at the speed the client reads.
 */
#include <string.h>

#include "base/compiler.h"
#include "ctl/svc.h"

#define SVC_SMALL_MAX_CLIENTS 64
#define SVC_SMALL_IDLE_MS (300u * 1000)

/* RFC 862 "TCP Based Echo Service": "Once a connection is established any data
 * received is sent back. This continues until the calling user terminates the
 * connection." Our side closes once the peer has finished and everything is back. */
static enum svc_verdict echo_step(struct svc_conn *c)
{
	size_t n = us_min_sz(c->in_len, svc_out_room(c));

	svc_out_put(c, svc_in(c), n);
	svc_in_consume(c, n);
	return c->in_eof && !c->in_len ? SVC_CLOSE : SVC_MORE;
}

/* RFC 863 "TCP Based Discard Service": "any data received is thrown away. No
 * response is sent." */
static enum svc_verdict discard_step(struct svc_conn *c)
{
	svc_in_consume(c, c->in_len);
	return c->in_eof ? SVC_CLOSE : SVC_MORE;
}

/*
 * RFC 864 "TCP Based Character Generator Service": "Once a connection is
 * established a stream of data is sent out the connection (and any data received
 * is thrown away). This continues until the calling user terminates the
 * connection." The data is the RFC's "popular pattern": the 95 printing ASCII
 * characters (' ' to '~') as a ring, 72 of them per line followed by CR LF, each
 * line starting one character further round the ring than the one before.
 * A peer that only half-closes still gets the stream; one that closes makes our
 * next send fail, which ends the connection.
 */
#define CHARGEN_RING 95
#define CHARGEN_LINE 72

struct chargen {
	unsigned line;   /* the current line's first character, as an index into the ring */
	unsigned col;    /* bytes of the current line (CR LF included) already produced */
};

static enum svc_verdict chargen_step(struct svc_conn *c)
{
	struct chargen *g = c->priv;
	size_t room = svc_out_room(c);
	uint8_t *p = svc_out_tail(c);
	size_t n = 0;

	svc_in_consume(c, c->in_len);
	while (n < room) {
		if (g->col < CHARGEN_LINE) {
			p[n++] = (uint8_t)(' ' + (g->line + g->col) % CHARGEN_RING);
		} else {
			p[n++] = g->col == CHARGEN_LINE ? '\r' : '\n';
			if (g->col == CHARGEN_LINE + 1) {
				g->line = (g->line + 1) % CHARGEN_RING;
				g->col = 0;
				continue;
			}
		}
		g->col++;
	}
	svc_out_commit(c, n);
	return SVC_MORE;
}

const struct svc_proto svc_echo = {
	.name = "echo",
	.max_clients = SVC_SMALL_MAX_CLIENTS,
	.idle_timeout_ms = SVC_SMALL_IDLE_MS,
	.step = echo_step,
};

const struct svc_proto svc_discard = {
	.name = "discard",
	.max_clients = SVC_SMALL_MAX_CLIENTS,
	.idle_timeout_ms = SVC_SMALL_IDLE_MS,
	.step = discard_step,
};

const struct svc_proto svc_chargen = {
	.name = "chargen",
	.priv_size = sizeof(struct chargen),
	.max_clients = SVC_SMALL_MAX_CLIENTS,
	.idle_timeout_ms = SVC_SMALL_IDLE_MS,
	.step = chargen_step,
};
