/*
 * svc.h - the TCP services of the daemon (echo, discard, chargen, HTTP), written
 * on the public socket API (include/ustack/socket.h) as any application would
 * be, and driven by one poll hook each: non-blocking, bounded in clients, in
 * buffer space per client, and in work per poll round.
 *
 * The socket work is common (svc.c): accept while there is room for a client;
 * for each client receive into a fixed input buffer, let the protocol consume
 * input and produce output, send the output until the stack says -EAGAIN; close
 * gracefully (a lingering close: shutdown(SHUT_WR), read until the peer's FIN,
 * then close) or abort. A protocol (struct svc_proto) only sees a struct
 * svc_conn - bytes in, bytes out - so it is unit-testable without a stack.
 *
 * The protocols: svc_echo, svc_discard, svc_chargen (svc_small.c: RFC 862, 863,
 * 864) and svc_http (http.c).
 */
#ifndef US_CTL_SVC_H
#define US_CTL_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SVC_IN_MAX (16u * 1024)  /* received bytes a connection holds unconsumed */
#define SVC_OUT_MAX (64u * 1024) /* produced bytes a connection holds unsent */

/* What a protocol step asks for next. */
enum svc_verdict {
	SVC_MORE,  /* keep going */
	SVC_CLOSE, /* send what is queued, then close gracefully */
	SVC_ABORT, /* close now (a reset if input is left unread) */
};

/* One connection's buffers, as the protocol sees them. */
struct svc_conn {
	uint8_t in[SVC_IN_MAX];
	size_t in_off, in_len;   /* unconsumed input is in[in_off .. in_off+in_len) */
	bool in_eof;             /* the peer will send no more */
	uint8_t out[SVC_OUT_MAX];
	size_t out_off, out_len; /* unsent output is out[out_off .. out_off+out_len) */
	void *priv;              /* the protocol's state (priv_size bytes, zeroed) */
};

struct svc_proto {
	const char *name;
	size_t priv_size;
	unsigned max_clients;     /* connections served at once (more wait in the backlog) */
	uint64_t idle_timeout_ms; /* a connection that moves no byte this long is aborted */
	/* Optional: a connection was accepted (priv zeroed). */
	void (*open)(struct svc_conn *c);
	/*
	 * Consume input (svc_in / svc_in_consume) and produce output (svc_out_*), as much
	 * as the buffers allow. Called whenever input arrived, output room appeared or
	 * the peer finished; it must be cheap when there is nothing to do.
	 */
	enum svc_verdict (*step)(struct svc_conn *c);
	/* Optional: the connection is going away (free what priv points to). */
	void (*close)(struct svc_conn *c);
};

extern const struct svc_proto svc_echo, svc_discard, svc_chargen, svc_http;

/* Unconsumed input. */
static inline const uint8_t *svc_in(const struct svc_conn *c) { return c->in + c->in_off; }
void svc_in_consume(struct svc_conn *c, size_t n);
/* Room for output, after compacting what is unsent to the front. */
size_t svc_out_room(struct svc_conn *c);
/* Where the next output bytes go (svc_out_room() of them), and how many were written. */
static inline uint8_t *svc_out_tail(struct svc_conn *c) { return c->out + c->out_off + c->out_len; }
static inline void svc_out_commit(struct svc_conn *c, size_t n) { c->out_len += n; }
/* Appends @n bytes; false (nothing written) when they do not fit. */
bool svc_out_put(struct svc_conn *c, const void *data, size_t n);

/* For tests: a fresh connection with @proto's state, and its end. */
struct svc_conn *svc_conn_new(const struct svc_proto *proto);
void svc_conn_free(const struct svc_proto *proto, struct svc_conn *c);

#endif
