/* SPDX-License-Identifier: MIT
 * strm_edge: the HTTP byte edge of the stream-proxy. GET and HEAD of
 *   /api/stream/<key>[?file=N]          a stream key minted by auth (POST /api/stream/token)
 *   /api/stream/source/<id>[?file=N]    the same with `Authorization: Bearer <access token>`
 * with Range (single, suffix, open-ended, several: multipart/byteranges), If-Range, ETag, 416.
 *
 * One request's life: the key is checked with auth (cached STRM_KEY_CACHE_MS, so a Range
 * request costs no database trip) -> the source's info-hash and .torrent (or magnet) come from
 * discovery (cached) -> the worker is picked by rendezvous hashing -> OPEN gives the file list
 * -> the file (?file=N, else the largest video file) and the range plan -> READ, and CHUNKs
 * of verified bytes are written to the client as they come. The status line goes out with the
 * first byte, so a torrent that yields nothing answers 504 after STREAM_FIRST_BYTE_TIMEOUT
 * instead of a 206 that hangs.
 *
 * Flow control: the worker may have at most STREAM_CREDIT_WINDOW bytes in flight per request;
 * the edge gives credit back only while the client takes bytes (its output queue under a high
 * mark), so a client that stops reading holds bounded memory here and at the worker.
 *
 * Failover: when the worker of a request dies (or ends its read because it is stopping), the
 * request is opened again on the next worker in rendezvous order and continues from the first
 * byte not yet written: no byte lost, none twice. Draining is the same, planned: when a
 * worker's HEARTBEAT says it drains (SIGTERM), each of its requests CLOSEs its read there and
 * moves the same way, unless no other worker is live (then it stays until the worker stops);
 * a draining worker that refuses an OPEN sends the request on as well. Sessions: every (user,
 * source) with requests in flight is a session (bytes served, start, last activity, worker); a user
 * has at most STREAM_SESSIONS_PER_USER (429 beyond). A client disconnect ends its request, the
 * worker's read (CLOSE) and, with its last request, the session, at once. Everything runs on the
 * loop's thread. */
#ifndef STRM_EDGE_H
#define STRM_EDGE_H
#include "cm.h"
#include "cm_http.h"
#include "cm_jwt.h"
#include "cm_revoke.h"
#include "cm_rpc.h"
#include "strm_pool.h"

typedef struct strm_edge strm_edge_t;

struct strm_edge_opts {
    cm_rpc_t *auth;               /* client of auth (stream keys); borrowed */
    cm_rpc_t *discovery;          /* client of source-discovery (sources); borrowed */
    strm_pool_t *pool;            /* the workers; borrowed */
    const struct cm_jwt_key *jwt; /* access tokens for /api/stream/source/<id>; copied */
    cm_revoke_t *revoke;          /* ... and their revocations (NULL: none); borrowed */
    int sessions_per_user;        /* concurrent sessions of one user */
    int open_timeout_ms;          /* OPEN (metadata) deadline */
    int first_byte_timeout_ms;    /* no byte by then: 504 */
    int stall_timeout_ms;         /* no byte for this long mid-stream: the request ends */
    size_t credit_window;         /* bytes a worker may have in flight per request */
    bool local_reads;             /* CHUNK_LOCAL from workers sharing our filesystem */
    int key_cache_ms;             /* a checked key is trusted this long */
};

/* Caller owns the result (strm_edge_destroy). Aborts on OOM. */
strm_edge_t *strm_edge_new(struct event_base *base, const struct strm_edge_opts *opts);
/* Stopping, in this order: strm_edge_shutdown ends every request in flight (their workers
 * get CLOSE, their clients an error or a closed connection); then the RPC clients and the
 * pool are destroyed (late callbacks of their calls find no request and do nothing); then
 * strm_edge_destroy frees the edge (it touches neither the pool nor the clients). */
void strm_edge_shutdown(strm_edge_t *self);
void strm_edge_destroy(strm_edge_t **self_p);

/* Serve `req` if it is an /api/stream/ route: true (the request is answered, now or later),
 * false (not ours: the caller answers it). */
bool strm_edge_handle(strm_edge_t *self, cm_http_req_t *req);

/* The control API (proto/stream.toml: SESSIONS, SESSION_END, WORKERS) on the daemon's RPC
 * server. */
void strm_edge_register(strm_edge_t *self, cm_rpc_t *control);

/* Requests in flight and sessions open (tests, metrics). */
size_t strm_edge_requests(const strm_edge_t *self);
size_t strm_edge_sessions(const strm_edge_t *self);

#endif
