/*
 * http.h - the daemon's small HTTP/1.1 server (RFC 9110 semantics, RFC 9112
 * message syntax) as a protocol of svc.h, and the pieces of it that are pure
 * functions (request head parsing, the /bytes/N stream) for the unit tests.
 *
 * Resources:
 *   GET|HEAD /          a short text page saying what is here
 *   GET|HEAD /bytes/N   N bytes (0 <= N <= HTTP_BYTES_MAX) of the stream below,
 *                       application/octet-stream, Content-Length: N
 *   PUT|POST any path   the body (Content-Length or chunked, up to HTTP_BODY_MAX
 *                       bytes) is read, counted and hashed; the answer is
 *                       {"bytes":N,"sha256":"<hex>"} (SHA-256 of the body)
 * Anything else: 404 (unknown path), 501 (unknown method), 400 (malformed),
 * 413 (body too large), 414 (target too long), 431 (head too large), 417
 * (unknown expectation), 505 (not HTTP/1.x); an error closes the connection.
 * Persistent connections as RFC 9112 9.3 says (HTTP/1.1 unless "Connection:
 * close"; HTTP/1.0 with "Connection: keep-alive"), pipelined requests answered
 * in order, "Expect: 100-continue" honoured. Bodies stream through the fixed
 * connection buffers: memory does not grow with N or with the body.
 *
 * The /bytes/N stream (so that clients can check what they got): byte k is byte
 * (k mod 8) of the little-endian 64-bit word z(k / 8), where z(i) is output i of
 * SplitMix64 started from state 0:
 *     x = (i + 1) * 0x9E3779B97F4A7C15          (mod 2^64)
 *     x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
 *     x = (x ^ (x >> 27)) * 0x94D049BB133111EB
 *     z(i) = x ^ (x >> 31)
 * It is the same for every request (a counter mode: any offset is computable).
 */
#ifndef US_CTL_HTTP_H
#define US_CTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX 8192                  /* request line + header fields (431 beyond) */
#define HTTP_TARGET_MAX 1024                /* request-target (414 beyond) */
#define HTTP_FIELDS_MAX 64                  /* header fields (431 beyond) */
#define HTTP_BODY_MAX (1ull << 40)          /* request body bytes (413 beyond) */
#define HTTP_BYTES_MAX (1ull << 40)         /* largest N of /bytes/N */

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_PUT, HTTP_POST };

struct http_req {
	enum http_method method;
	char target[HTTP_TARGET_MAX + 1];   /* NUL-terminated, origin form ("/..."), no query */
	unsigned minor;                     /* HTTP/1.minor */
	bool keep_alive;                    /* the connection persists after the response */
	bool has_length;
	uint64_t content_length;
	bool chunked;
	bool expect_continue;
};

/*
 * http_head_end - where the request head in @buf ends: the offset just past the
 * empty line ending the header fields (CRLF CRLF, or bare LFs, RFC 9112 2.2), or
 * 0 when it has not all arrived. Empty lines before the request line are part of
 * the head (RFC 9112 2.2: a server SHOULD ignore at least one).
 */
size_t http_head_end(const uint8_t *buf, size_t len);

/*
 * http_parse_head - parse a complete head (as http_head_end delimits it) into
 * @req. Returns 0, or the status code of the error response: 400 (malformed: bad
 * request line, whitespace before a colon, obsolete line folding, a bad or
 * conflicting Content-Length, Transfer-Encoding with Content-Length or in
 * HTTP/1.0, no or several Host fields in HTTP/1.1, control characters), 413
 * (Content-Length above HTTP_BODY_MAX), 414, 417, 431 (too many fields), 501
 * (unknown method or transfer coding), 505 (HTTP major version not 1).
 */
int http_parse_head(const uint8_t *buf, size_t len, struct http_req *req);

/* Fills @out with bytes [@off, @off + @len) of the /bytes/N stream. */
void http_stream_fill(uint64_t off, uint8_t *out, size_t len);

/* The reason phrase of a status code this server sends ("" for others). */
const char *http_reason(int status);

#endif
