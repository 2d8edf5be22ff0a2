/*
 * http.c - the daemon's HTTP/1.1 server (see http.h for what it serves): the
 * request head parser (RFC 9112 sections 2-3 and 5), message body framing
 * (RFC 9112 6: Content-Length, chunked), persistence (RFC 9112 9.3) and the
 * responses, as a protocol of svc.h (bytes in, bytes out).
 *
 * One request at a time, in order: the head is parsed once it is complete in
 * the input buffer; the body is hashed as it streams through; the response is
 * produced when the body is done, and a /bytes/N body is generated only as fast
 * as the output buffer drains. A pipelined request waits in the input buffer
 * until the response before it is wholly produced. Nothing here grows with the
 * size of a body.
 *
 * Read first: RFC 9112 2.2 (message parsing robustness), 3 (request line), 5
 * (field syntax), 6.3 (message body length), 7.1 (chunked), 9.3 (persistence);
 * RFC 9110 10.1.1 (Expect), 15 (status codes).
 */
#include "ctl/http.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/compiler.h"
#include "ctl/sha256.h"
#include "ctl/svc.h"

#define HTTP_MAX_CLIENTS 64
#define HTTP_IDLE_MS (60u * 1000)     /* a persistent connection idle this long is closed */
#define HTTP_RESP_ROOM 2048           /* output room a request needs before it is taken */
#define HTTP_CHUNK_LINE_MAX 1024      /* chunk-size line with extensions */
#define HTTP_STEP_ITERS 64            /* state changes per step */

/* ---- the /bytes/N stream ------------------------------------------------------------- */

static uint64_t http_stream_word(uint64_t i)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull;

	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

void http_stream_fill(uint64_t off, uint8_t *out, size_t len)
{
	while (len) {
		uint64_t w = http_stream_word(off / 8);
		unsigned b = (unsigned)(off % 8);

		if (b == 0 && len >= 8) {
			for (unsigned k = 0; k < 8; k++)
				out[k] = (uint8_t)(w >> (8 * k));
			out += 8, off += 8, len -= 8;
			continue;
		}
		*out++ = (uint8_t)(w >> (8 * b));
		off++, len--;
	}
}

/* ---- parsing the head ----------------------------------------------------------------- */

/* RFC 9110 5.6.2: tchar. */
static bool http_tchar(uint8_t c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The line starting at *@pos (without its CRLF or LF); *@pos moves past it.
 * false: a bare CR (RFC 9112 2.2: invalid, reject) or no line end. */
static bool http_line(const uint8_t *buf, size_t len, size_t *pos, const uint8_t **line,
		      size_t *llen)
{
	size_t i = *pos;

	*line = buf + i;
	for (; i < len; i++) {
		if (buf[i] == '\n') {
			*llen = i - *pos;
			if (*llen && buf[i - 1] == '\r')
				(*llen)--;
			*pos = i + 1;
			for (size_t k = 0; k < *llen; k++)
				if ((*line)[k] == '\r')
					return false;
			return true;
		}
	}
	return false;
}

size_t http_head_end(const uint8_t *buf, size_t len)
{
	size_t i = 0;

	/* Empty lines before the request line (RFC 9112 2.2). */
	while (i < len && (buf[i] == '\n' || (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')))
		i += buf[i] == '\r' ? 2 : 1;
	for (; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static bool http_ieq(const uint8_t *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp((const char *)s, lit, n);
}

/* Trims optional whitespace (RFC 9110 5.6.3: SP / HTAB) from both ends. */
static void http_trim(const uint8_t **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* Calls @fn for each non-empty element of a comma-separated list (RFC 9110 5.6.1);
 * stops at the first non-zero result and returns it. */
static int http_list(const uint8_t *v, size_t n, int (*fn)(const uint8_t *e, size_t en, void *arg),
		     void *arg)
{
	while (n) {
		const uint8_t *comma = memchr(v, ',', n);
		size_t en = comma ? (size_t)(comma - v) : n;
		const uint8_t *e = v;
		size_t elen = en;
		int r;

		http_trim(&e, &elen);
		if (elen && (r = fn(e, elen, arg)) != 0)
			return r;
		if (!comma)
			break;
		v += en + 1;
		n -= en + 1;
	}
	return 0;
}

/* What the header fields said, gathered before their meaning is decided. */
struct http_fields {
	unsigned hosts;
	bool conn_close, conn_keep_alive;
	unsigned te_codings;    /* transfer codings listed */
	bool te_chunked_last;   /* the last coding listed is chunked */
	bool te_unknown;        /* a coding other than chunked */
	bool te_chunked_twice;
};

static int http_conn_token(const uint8_t *e, size_t n, void *arg)
{
	struct http_fields *f = arg;

	if (http_ieq(e, n, "close"))
		f->conn_close = true;
	else if (http_ieq(e, n, "keep-alive"))
		f->conn_keep_alive = true;
	return 0;
}

static int http_te_token(const uint8_t *e, size_t n, void *arg)
{
	struct http_fields *f = arg;
	bool chunked = http_ieq(e, n, "chunked");

	/* RFC 9112 6.1: chunked must be applied last, and only once. */
	if (chunked && f->te_chunked_last)
		f->te_chunked_twice = true;
	if (!chunked)
		f->te_unknown = true;
	f->te_chunked_last = chunked;
	f->te_codings++;
	return 0;
}

/* 1*DIGIT into @v. 0, 400 (not digits), 413 (does not fit: certainly too large). */
static int http_number(const uint8_t *s, size_t n, uint64_t *v)
{
	*v = 0;
	if (!n)
		return 400;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit(s[i]))
			return 400;
		if (*v > (UINT64_MAX - 9) / 10)
			return 413;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

/* One header field (RFC 9112 5.1, RFC 9110 5.5). */
static int http_field(const uint8_t *line, size_t n, struct http_req *req, struct http_fields *f)
{
	const uint8_t *colon = memchr(line, ':', n), *v;
	size_t nlen, vlen;
	int err;

	/* RFC 9112 5.1: no whitespace between the name and the colon (400). */
	if (!colon || colon == line)
		return 400;
	nlen = (size_t)(colon - line);
	for (size_t i = 0; i < nlen; i++)
		if (!http_tchar(line[i]))
			return 400;
	v = colon + 1;
	vlen = n - nlen - 1;
	/* RFC 9110 5.5: field values hold no control characters but HTAB. */
	for (size_t i = 0; i < vlen; i++)
		if ((v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			return 400;
	http_trim(&v, &vlen);

	if (http_ieq(line, nlen, "content-length")) {
		uint64_t len;

		err = http_number(v, vlen, &len);
		if (err)
			return err;
		/* RFC 9112 6.3 item 5: differing lengths make the framing unknowable. */
		if (req->has_length && req->content_length != len)
			return 400;
		req->has_length = true;
		req->content_length = len;
	} else if (http_ieq(line, nlen, "transfer-encoding")) {
		http_list(v, vlen, http_te_token, f);
	} else if (http_ieq(line, nlen, "host")) {
		f->hosts++;
	} else if (http_ieq(line, nlen, "connection")) {
		http_list(v, vlen, http_conn_token, f);
	} else if (http_ieq(line, nlen, "expect")) {
		/* RFC 9110 10.1.1: 100-continue is the only expectation defined. */
		if (!http_ieq(v, vlen, "100-continue"))
			return 417;
		req->expect_continue = true;
	}
	return 0;
}

/* The request-target (RFC 9112 3.2) into req->target: origin form, or absolute form
 * reduced to its path; the query is dropped (nothing here uses one). */
static int http_target(const uint8_t *t, size_t n, struct http_req *req)
{
	const uint8_t *q;

	for (size_t i = 0; i < n; i++)
		if (t[i] <= 0x20 || t[i] >= 0x7f)
			return 400;
	if (n > 7 && !strncasecmp((const char *)t, "http://", 7)) {
		const uint8_t *path = memchr(t + 7, '/', n - 7);

		if (!path) {
			t = (const uint8_t *)"/";
			n = 1;
		} else {
			n -= (size_t)(path - t);
			t = path;
		}
	}
	if (!n || t[0] != '/')
		return 400;
	q = memchr(t, '?', n);
	if (q)
		n = (size_t)(q - t);
	if (n > HTTP_TARGET_MAX)
		return 414;
	memcpy(req->target, t, n);
	req->target[n] = '\0';
	return 0;
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 3). */
static int http_request_line(const uint8_t *line, size_t n, struct http_req *req, int *method_err)
{
	static const struct {
		const char *name;
		enum http_method m;
	} methods[] = { { "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "PUT", HTTP_PUT },
			{ "POST", HTTP_POST } };
	const uint8_t *sp1 = memchr(line, ' ', n), *sp2, *ver;
	size_t mlen, tlen, vlen;
	int err;

	if (!sp1)
		return 400;
	mlen = (size_t)(sp1 - line);
	sp2 = memchr(sp1 + 1, ' ', n - mlen - 1);
	if (!sp2 || !mlen)
		return 400;
	tlen = (size_t)(sp2 - sp1 - 1);
	ver = sp2 + 1;
	vlen = n - (size_t)(ver - line);
	for (size_t i = 0; i < mlen; i++)
		if (!http_tchar(line[i]))
			return 400;
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 2.3). */
	if (vlen != 8 || memcmp(ver, "HTTP/", 5) || !isdigit(ver[5]) || ver[6] != '.' ||
	    !isdigit(ver[7]))
		return 400;
	err = http_target(sp1 + 1, tlen, req);
	if (err)
		return err;
	if (ver[5] != '1')
		return 505;
	req->minor = (unsigned)(ver[7] - '0');
	/* Method names are case-sensitive (RFC 9110 9.1); an unknown one is 501, decided
	 * after the rest of the head is known to be well formed. */
	*method_err = 501;
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
		if (strlen(methods[i].name) == mlen && !memcmp(line, methods[i].name, mlen)) {
			req->method = methods[i].m;
			*method_err = 0;
		}
	}
	return 0;
}

int http_parse_head(const uint8_t *buf, size_t len, struct http_req *req)
{
	struct http_fields f = { 0 };
	const uint8_t *line;
	size_t pos = 0, n;
	unsigned fields = 0;
	int err, method_err = 0;

	memset(req, 0, sizeof(*req));
	do {
		if (!http_line(buf, len, &pos, &line, &n))
			return 400;
	} while (n == 0); /* empty lines before the request line */
	err = http_request_line(line, n, req, &method_err);
	if (err)
		return err;
	for (;;) {
		if (!http_line(buf, len, &pos, &line, &n))
			return 400;
		if (n == 0)
			break;
		/* RFC 9112 5.2: obsolete line folding is rejected with 400. */
		if (line[0] == ' ' || line[0] == '\t')
			return 400;
		if (++fields > HTTP_FIELDS_MAX)
			return 431;
		err = http_field(line, n, req, &f);
		if (err)
			return err;
	}
	/* RFC 9112 3.2: exactly one Host in HTTP/1.1, at most one otherwise. */
	if (f.hosts > 1 || (req->minor >= 1 && f.hosts == 0))
		return 400;
	if (f.te_codings) {
		/* RFC 9112 6.1: Transfer-Encoding in 1.0 is faulty; with Content-Length it
		 * smells of request smuggling (6.3 item 3 allows rejecting it). */
		if (req->minor == 0 || req->has_length || f.te_chunked_twice)
			return 400;
		if (f.te_unknown)
			return f.te_chunked_last ? 501 : 400;
		req->chunked = true;
	}
	if (req->has_length && req->content_length > HTTP_BODY_MAX)
		return 413;
	if (method_err)
		return method_err;
	/* RFC 9112 9.3: 1.1 persists unless told to close; 1.0 only when asked to. */
	req->keep_alive = !f.conn_close && (req->minor >= 1 || f.conn_keep_alive);
	if (!req->has_length && !req->chunked)
		req->expect_continue = false; /* no body to wait for */
	return 0;
}

const char *http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

/* ---- the connection ------------------------------------------------------------------- */

enum http_state {
	H_HEAD,         /* waiting for a request head */
	H_BODY,         /* Content-Length body: 'left' bytes to go */
	H_CHUNK_SIZE,   /* a chunk-size line (RFC 9112 7.1) */
	H_CHUNK_DATA,   /* chunk data: 'left' bytes to go */
	H_CHUNK_END,    /* the CRLF after chunk data */
	H_TRAILER,      /* trailer fields up to the empty line */
	H_RESPOND,      /* the request is whole: produce the response */
	H_SEND_BYTES,   /* /bytes/N: 'left' bytes of the stream to produce */
	H_CLOSING,      /* everything is produced; close when sent */
};

struct http_conn {
	enum http_state state;
	struct http_req req;
	uint64_t left;
	uint64_t body_bytes;
	uint64_t stream_off;
	struct sha256 sha;
};

/* The response head (and a small body, unless HEAD). The caller made sure of the room
 * (HTTP_RESP_ROOM is reserved before a request is taken). */
static void http_respond(struct svc_conn *c, struct http_conn *h, int status, const char *ctype,
			 uint64_t length, const char *body)
{
	size_t room = svc_out_room(c);
	int n;

	n = snprintf((char *)svc_out_tail(c), room,
		     "HTTP/1.1 %d %s\r\n"
		     "Server: ustack\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %" PRIu64 "\r\n"
		     "%s"
		     "\r\n"
		     "%s",
		     status, http_reason(status), ctype, length,
		     !h->req.keep_alive ? "Connection: close\r\n"
		     : h->req.minor == 0 ? "Connection: keep-alive\r\n" : "",
		     body && h->req.method != HTTP_HEAD ? body : "");
	if (n > 0 && (size_t)n < room)
		svc_out_commit(c, (size_t)n);
}

/* An error response; the connection closes after it (whatever input is left is not
 * a request we can find the start of). */
static void http_error(struct svc_conn *c, struct http_conn *h, int status)
{
	char body[64];

	h->req.keep_alive = false;
	if (h->req.method == HTTP_HEAD)
		h->req.method = HTTP_GET; /* an error is always explained */
	snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));
	http_respond(c, h, status, "text/plain", strlen(body), body);
	h->state = H_CLOSING;
}

static const char http_index[] =
	"ustack HTTP service\n"
	"\n"
	"GET /bytes/N     N bytes of a fixed pseudo-random stream (SplitMix64 words, little\n"
	"                 endian, counter from 0; see tests/integration/README.md)\n"
	"PUT or POST      any path: the body is read and answered with\n"
	"                 {\"bytes\":N,\"sha256\":\"...\"}\n";

/* /bytes/N: N, or -1 when the target is not of that form or N is too large. */
static int64_t http_bytes_target(const char *t)
{
	uint64_t n;

	if (strncmp(t, "/bytes/", 7) || http_number((const uint8_t *)t + 7, strlen(t + 7), &n) ||
	    n > HTTP_BYTES_MAX)
		return -1;
	return (int64_t)n;
}

/* The next state once a response is wholly produced. */
static enum http_state http_after(const struct http_conn *h)
{
	return h->req.keep_alive ? H_HEAD : H_CLOSING;
}

static void http_response(struct svc_conn *c, struct http_conn *h)
{
	int64_t n;

	if (h->req.method == HTTP_PUT || h->req.method == HTTP_POST) {
		uint8_t digest[SHA256_DIGEST_LEN];
		char hex[SHA256_HEX_LEN], body[128];

		sha256_final(&h->sha, digest);
		sha256_hex(digest, hex);
		snprintf(body, sizeof(body), "{\"bytes\":%" PRIu64 ",\"sha256\":\"%s\"}\n",
			 h->body_bytes, hex);
		http_respond(c, h, 200, "application/json", strlen(body), body);
		h->state = http_after(h);
		return;
	}
	if (!strcmp(h->req.target, "/")) {
		http_respond(c, h, 200, "text/plain", sizeof(http_index) - 1, http_index);
		h->state = http_after(h);
		return;
	}
	n = http_bytes_target(h->req.target);
	if (n < 0) {
		static const char nf[] = "404 Not Found\n";
		http_respond(c, h, 404, "text/plain", sizeof(nf) - 1, nf);
		h->state = http_after(h);
		return;
	}
	http_respond(c, h, 200, "application/octet-stream", (uint64_t)n, NULL);
	h->left = h->req.method == HTTP_HEAD ? 0 : (uint64_t)n;
	h->stream_off = 0;
	h->state = h->left ? H_SEND_BYTES : http_after(h);
}

/* H_HEAD: take the next request if it is whole (and there is room to answer it).
 * false: nothing to do until more input or more output room. */
static bool http_take_head(struct svc_conn *c, struct http_conn *h)
{
	size_t end;
	int err;

	if (svc_out_room(c) < HTTP_RESP_ROOM)
		return false;
	end = http_head_end(svc_in(c), c->in_len);
	if (!end) {
		if (c->in_len >= HTTP_HEAD_MAX)
			http_error(c, h, 431);
		else if (c->in_eof && c->in_len)
			http_error(c, h, 400); /* the peer ended in the middle of a head */
		else if (c->in_eof)
			h->state = H_CLOSING;
		else
			return false;
		return true;
	}
	if (end > HTTP_HEAD_MAX) {
		http_error(c, h, 431);
		return true;
	}
	err = http_parse_head(svc_in(c), end, &h->req);
	svc_in_consume(c, end);
	if (err) {
		http_error(c, h, err);
		return true;
	}
	/* RFC 9110 10.1.1: a 1.1 client waiting for "100 Continue" before sending. */
	if (h->req.expect_continue && h->req.minor >= 1) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		svc_out_put(c, cont, sizeof(cont) - 1);
	}
	sha256_init(&h->sha);
	h->body_bytes = 0;
	if (h->req.chunked) {
		h->state = H_CHUNK_SIZE;
	} else if (h->req.content_length) {
		h->left = h->req.content_length;
		h->state = H_BODY;
	} else {
		h->state = H_RESPOND;
	}
	return true;
}

/* Body bytes from the input into the digest, up to h->left. false: none available. */
static bool http_take_body(struct svc_conn *c, struct http_conn *h)
{
	size_t n = (size_t)us_min_u64(c->in_len, h->left);

	if (!n)
		return false;
	sha256_update(&h->sha, svc_in(c), n);
	svc_in_consume(c, n);
	h->left -= n;
	h->body_bytes += n;
	return true;
}

/* chunk = chunk-size [ chunk-ext ] CRLF (RFC 9112 7.1): the size in hex; extensions are
 * ignored. 1 taken, 0 incomplete, or an error status. */
static int http_take_chunk_size(struct svc_conn *c, struct http_conn *h)
{
	const uint8_t *line;
	size_t pos = 0, n, i;
	uint64_t size = 0;

	if (!memchr(svc_in(c), '\n', c->in_len))
		return c->in_len >= HTTP_CHUNK_LINE_MAX ? 400 : 0;
	if (!http_line(svc_in(c), c->in_len, &pos, &line, &n) || pos > HTTP_CHUNK_LINE_MAX)
		return 400;
	for (i = 0; i < n && isxdigit(line[i]); i++) {
		if (size >> 60)
			return 413;
		size = size * 16 + (uint64_t)(isdigit(line[i]) ? line[i] - '0'
							       : (tolower(line[i]) - 'a' + 10));
	}
	if (i == 0 || (i < n && line[i] != ';' && line[i] != ' ' && line[i] != '\t'))
		return 400;
	if (h->body_bytes + size > HTTP_BODY_MAX)
		return 413;
	svc_in_consume(c, pos);
	h->left = size;
	h->state = size ? H_CHUNK_DATA : H_TRAILER;
	return 1;
}

/* A line that must be empty (after chunk data) or trailer lines up to the empty one.
 * 1 progress, 0 incomplete, or an error status. */
static int http_take_line(struct svc_conn *c, struct http_conn *h)
{
	const uint8_t *line;
	size_t pos = 0, n;

	if (!memchr(svc_in(c), '\n', c->in_len))
		return c->in_len >= HTTP_HEAD_MAX ? 431 : 0;
	if (!http_line(svc_in(c), c->in_len, &pos, &line, &n))
		return 400;
	svc_in_consume(c, pos);
	if (h->state == H_CHUNK_END) {
		if (n)
			return 400;
		h->state = H_CHUNK_SIZE;
	} else if (n == 0) {
		h->state = H_RESPOND; /* the trailer section ended */
	}
	return 1;
}

static bool http_send_bytes(struct svc_conn *c, struct http_conn *h)
{
	size_t n = (size_t)us_min_u64(svc_out_room(c), h->left);

	if (!n)
		return false;
	http_stream_fill(h->stream_off, svc_out_tail(c), n);
	svc_out_commit(c, n);
	h->stream_off += n;
	h->left -= n;
	if (!h->left)
		h->state = http_after(h);
	return true;
}

static enum svc_verdict http_step(struct svc_conn *c)
{
	struct http_conn *h = c->priv;

	for (int i = 0; i < HTTP_STEP_ITERS; i++) {
		bool more;
		int r;

		switch (h->state) {
		case H_HEAD:
			more = http_take_head(c, h);
			break;
		case H_BODY:
		case H_CHUNK_DATA:
			more = http_take_body(c, h);
			if (!h->left) {
				h->state = h->state == H_BODY ? H_RESPOND : H_CHUNK_END;
				more = true;
			} else if (!more && c->in_eof) {
				http_error(c, h, 400); /* the body ended early */
				more = true;
			}
			break;
		case H_CHUNK_SIZE:
		case H_CHUNK_END:
		case H_TRAILER:
			r = h->state == H_CHUNK_SIZE ? http_take_chunk_size(c, h) : http_take_line(c, h);
			if (r > 1)
				http_error(c, h, r);
			else if (r == 0 && c->in_eof)
				http_error(c, h, 400);
			more = r != 0 || c->in_eof;
			break;
		case H_RESPOND:
			http_response(c, h);
			more = true;
			break;
		case H_SEND_BYTES:
			more = http_send_bytes(c, h);
			break;
		case H_CLOSING:
		default:
			return SVC_CLOSE;
		}
		if (!more)
			break;
	}
	return SVC_MORE;
}

const struct svc_proto svc_http = {
	.name = "http",
	.priv_size = sizeof(struct http_conn),
	.max_clients = HTTP_MAX_CLIENTS,
	.idle_timeout_ms = HTTP_IDLE_MS,
	.step = http_step,
};
