/* SPDX-License-Identifier: MIT
 * cm_http: our HTTP/1.1 server on libevent bufferevents, used by the gateway (JSON API) and the
 * stream-proxy (video bytes). Written instead of evhttp because libevent 2.1.12's evhttp has no
 * connection cap, no absolute request deadline (slowloris), HTML error bodies and no
 * per-connection backpressure. What it adds:
 *   - caps on head size, header count, body size and connections, each answered with a JSON
 *     error ({"error":"<sentence>","code":"<code>"}) and a close;
 *   - an absolute deadline per request (first byte, or accept, to last body byte) and an idle
 *     deadline between keep-alive requests, on one timer per connection;
 *   - a request id on every response (X-Request-Id: 16 hex digits), the same id in the logs;
 *   - streaming replies with watermark backpressure (the le-proxy pattern).
 * Every function here is called from the thread running the server's event_base, and every
 * callback runs there. The process must ignore SIGPIPE; cm_http_new() does so (libevent writes
 * with writev(), which has no MSG_NOSIGNAL).
 *
 * The invariant (evhttp's): every request handed to the handler ends in exactly one reply:
 * cm_http_reply(), cm_http_reply_json_error(), or cm_http_reply_start() ... cm_http_reply_end().
 * The reply frees the request, even when the client has gone; a disconnect never frees a
 * request the handler holds. */
#ifndef CM_HTTP_H
#define CM_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cm_prelude.h"
#include "cm_http_parse.h"

typedef struct cm_http cm_http_t;         /* opaque: a server with one listener */
typedef struct cm_http_req cm_http_req_t; /* opaque: one request, from handler to reply */

/* Server options. Zero in any field takes the CM_HTTP_* default of cm_limits.h. */
struct cm_http_opts {
    size_t headers_max;      /* request line + headers, bytes; over it: 431 */
    size_t header_count_max; /* header fields per request; over it: 431 */
    size_t body_max;         /* request body, bytes; a larger Content-Length: 413 unread */
    int connections_max;     /* open connections; at the cap: evict an idle one, else 503 */
    int header_timeout_ms;   /* a request must arrive whole (head and body) within this */
    int idle_timeout_ms;     /* an idle keep-alive connection is closed after this */
    int write_timeout_ms;    /* a client that takes no bytes for this long is closed */
    const char *name;        /* log module, e.g. "gateway-http" (copied); NULL: "http" */
};

/* Called once per complete request (head and whole body). `req` is the handler's until it
 * replies; the reply may come later, from any callback of the same loop. */
typedef void(cm_http_handler_fn)(cm_http_req_t *req, void *arg);

/* Called at most once when the client goes away (EOF, reset, write timeout, server destroyed)
 * before the reply finished. `req` stays valid and must still be answered (any reply call
 * just frees it then); the callback itself may answer it. */
typedef void(cm_http_close_fn)(cm_http_req_t *req, void *arg);

/* Called during a streaming reply when the bytes queued for the client drop to the watermark
 * given to cm_http_req_set_drain_cb(): the moment to write more. May write or end the reply. */
typedef void(cm_http_drain_fn)(cm_http_req_t *req, void *arg);

/* --- the server --- */

/* Create a server on `base` calling `handler(req, arg)` for each request. `opts` may be NULL
 * (all defaults); it is copied. `base` and `arg` are borrowed and must outlive the server.
 * Caller owns the result; free it with cm_http_destroy(). Aborts on OOM. */
cm_http_t *cm_http_new(struct event_base *base, const struct cm_http_opts *opts,
                       cm_http_handler_fn *handler, void *arg);

/* Close the listener and every connection, then free the server; set *self_p to NULL. NULL
 * and a NULL *self_p are fine. Requests held by handlers are orphaned (their close callbacks
 * fire) and must still be answered, which frees them. Never call it from a callback of this
 * server. */
void cm_http_destroy(cm_http_t **self_p);

/* Listen on `host` (numeric address or name; NULL or "" = 0.0.0.0) and `port` (0 = an
 * ephemeral port, see cm_http_port()), with SO_REUSEADDR. Once per server. Returns 0, or -1
 * with a sentence in `err` (e.g. "cannot listen on 0.0.0.0:8080: Address already in use"). */
int cm_http_listen(cm_http_t *self, const char *host, int port, char *err, size_t errlen);

/* The bound port after a successful cm_http_listen(), else 0. */
int cm_http_port(const cm_http_t *self);

/* Open connections, for tests and metrics. */
int cm_http_connections(const cm_http_t *self);

/* --- the request: accessors, borrowed until the request is answered --- */

const char *cm_http_req_method(const cm_http_req_t *req); /* "GET" */
const char *cm_http_req_path(const cm_http_req_t *req);   /* raw (still escaped), "/a%20b" */
const char *cm_http_req_query(const cm_http_req_t *req);  /* raw, after '?'; "" if none */

/* The first header named `name` (ASCII case-insensitive), trimmed and NUL-terminated, or NULL
 * when absent. Header values carry tokens: never log them. */
const char *cm_http_req_header(const cm_http_req_t *req, const char *name);

/* Every line of header `name`, in order, joined with ", " into `out` (RFC 9110 §5.3: the same
 * as one line), NUL-terminated. Lines that do not fit are dropped from the left, whole: the
 * right-most values (those a trusted proxy appended, for X-Forwarded-For) are kept. Returns
 * the number of lines seen (0: absent, `out` is ""). */
size_t cm_http_req_header_join(const cm_http_req_t *req, const char *name, char *out, size_t size);

/* The body and its length (0 and a pointer to "" when none). It is followed by a NUL byte not
 * counted in *len_out, but may itself contain NUL bytes. */
const void *cm_http_req_body(const cm_http_req_t *req, size_t *len_out);

const char *cm_http_req_peer(const cm_http_req_t *req); /* "127.0.0.1", "::1" */
int cm_http_req_peer_port(const cm_http_req_t *req);
int cm_http_req_version(const cm_http_req_t *req); /* 10 or 11 */
uint64_t cm_http_req_id(const cm_http_req_t *req); /* also sent as X-Request-Id */

/* Set the callback told when the client goes away before the reply finished (NULL: none). */
void cm_http_req_set_close_cb(cm_http_req_t *req, cm_http_close_fn *fn, void *arg);

/* --- replies --- */

/* Add a response header (copied) before the reply starts. Returns 0, or -1 when `name` is not
 * a token, `value` holds CR, LF or another control byte, the reply has started, the added
 * headers would pass 8 KiB, or `name` is one the server writes itself: Content-Length,
 * Transfer-Encoding, Connection, Date, X-Request-Id. */
int cm_http_req_add_header(cm_http_req_t *req, const char *name, const char *value);

/* Send a whole response and end the request: `req` is freed, whatever happens. `status` is
 * 200..599; `content_type` may be NULL (no Content-Type); `body` (`len` bytes) is copied. HEAD
 * gets the headers with the body's Content-Length and no body; 204 and 304 get no body. */
void cm_http_reply(cm_http_req_t *req, int status, const char *content_type, const void *body,
                   size_t len);

/* Send {"error":"<printf sentence>","code":"<code>"} as application/json, with JSON string
 * escaping (invalid UTF-8 becomes U+FFFD), and end the request like cm_http_reply(). */
void cm_http_reply_json_error(cm_http_req_t *req, int status, const char *code, const char *fmt,
                              ...) CM_PRINTF(4, 5);

/* Start a streaming reply: send the status line and headers now. `content_length` >= 0 fixes
 * the length; -1 streams chunked (HTTP/1.1) or until close (HTTP/1.0). Set Content-Type with
 * cm_http_req_add_header() before. Returns 0, or -1 when the client has gone; either way the
 * request must be ended with cm_http_reply_end(). */
int cm_http_reply_start(cm_http_req_t *req, int status, int64_t content_length);

/* Queue `len` bytes (copied) of a started reply. Returns 0, or -1 when the client has gone,
 * the bytes would pass the declared Content-Length, or 64 MiB are already queued (a handler
 * that ignores cm_http_req_output_pending()). HEAD: the bytes are counted and dropped. */
int cm_http_reply_write(cm_http_req_t *req, const void *data, size_t len);

/* Like cm_http_reply_write() with the whole contents of `buf`, moved without a copy: `buf` is
 * left empty on success and untouched on failure. `buf` stays the caller's. */
int cm_http_reply_write_buffer(cm_http_req_t *req, struct evbuffer *buf);

/* Like cm_http_reply_write() with `len` bytes of the file `fd` from `offset`, sent from the
 * file (sendfile) when the connection drains, never copied here. `fd` is taken in every case
 * (closed once sent, or at once on failure). The bytes must not change until they are sent. */
int cm_http_reply_write_file(cm_http_req_t *req, int fd, uint64_t offset, size_t len);

/* End a started reply and free `req`. If fewer bytes than the declared Content-Length were
 * written, the connection is closed (the client sees a short body, not a wrong framing). */
void cm_http_reply_end(cm_http_req_t *req);

/* Bytes queued in the connection's output buffer, not yet taken by the kernel (0 when the
 * client has gone). A streaming handler keeps this under its own high mark. */
size_t cm_http_req_output_pending(const cm_http_req_t *req);

/* Call `fn(req, arg)` whenever, during a streaming reply, a write to the client leaves at most
 * `low_watermark` bytes queued (fn NULL: stop). When the queue is already that low, fn is
 * called once from the loop soon after this call. */
void cm_http_req_set_drain_cb(cm_http_req_t *req, cm_http_drain_fn *fn, void *arg,
                              size_t low_watermark);

#endif
