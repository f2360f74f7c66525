/* SPDX-License-Identifier: MIT
 * cm_rpc: request/reply over ZeroMQ with request ids, deadlines and heartbeats.
 *
 * A cm_rpc_t is either a server (a bound ROUTER) or a client (a connected DEALER). Both can
 * receive requests (dispatched by (proto, msg) to handlers), answer them, send events, and
 * make calls of their own whose replies are matched by request id:
 *   - every call has a deadline, carried in the header; the callback runs exactly once, never
 *     from inside cm_rpc_call(): with the reply, with CM_ERR_TIMEOUT when the deadline passes
 *     (a reply arriving after that is dropped), with CM_ERR_UNAVAILABLE when the peer has been
 *     declared dead (fail fast), or CM_ERR_BUSY when a queue is full. A client's call made
 *     while its connection is still coming up waits in the socket's queue (up to the HWM);
 *   - a server drops requests whose deadline has already passed (the caller gave up), answers
 *     PING with PONG by itself, and answers malformed frames, unknown messages and unknown
 *     versions with common.ERROR (frames too broken to answer are dropped; never a crash);
 *   - a client sends PING when it has been idle for the heartbeat interval; any inbound
 *     message counts as a heartbeat; after `liveness` silent intervals the peer is dead: the
 *     pending calls fail, the socket is closed and re-created, with back-off doubling from
 *     reconnect_min_ms to reconnect_max_ms (zguide's Paranoid Pirate).
 * Everything runs on the loop's thread. */
#ifndef CM_RPC_H
#define CM_RPC_H
#include "cm_buf.h"
#include "cm_proto.h"
#include "cm_zsock.h"

typedef struct cm_rpc cm_rpc_t;
typedef struct cm_defer cm_defer_t;

/* An inbound message. Borrowed: valid only during the callback that receives it. */
typedef struct cm_msg {
    struct cm_hdr hdr; /* decoded header frame */
    cm_iov_t identity; /* server: the peer's routing id; client: empty */
    cm_iov_t body;     /* body frame (a msgpack map that passed cm_mp_check) */
    cm_iov_t payload;  /* raw payload frame; .data NULL when absent */
    int srcfd;         /* server: the TCP connection it came on (ZMQ_SRCFD), else -1 */
} cm_msg_t;

/* Handler of an inbound request or event. For a request it must answer exactly once, now
 * (cm_rpc_reply / cm_rpc_reply_error) or later (cm_rpc_defer). */
typedef void(cm_rpc_handler_fn)(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg);

/* Completion of a call. status CM_OK: `reply` is the reply message. Another status from the
 * peer (common.ERROR): `reply` is that ERROR message (decode it for the reason). A local status
 * (CM_ERR_TIMEOUT, CM_ERR_UNAVAILABLE, CM_ERR_SHUTDOWN): `reply` is NULL. */
typedef void(cm_rpc_call_fn)(int status, const cm_msg_t *reply, void *arg);

struct cm_rpc_opts {
    const char *name;                     /* for logs, e.g. "auth" or "pool" */
    const struct cm_proto *const *protos; /* protocols spoken besides common; NULL-terminated */
    size_t max_msg;                       /* ZMQ_MAXMSGSIZE; 0 = CM_MSG_MAX */
    int hb_interval_ms;                   /* client: idle time before a PING; 0 = default */
    int hb_liveness;                      /* client: silent intervals before dead; 0 = default */
    int reconnect_min_ms;                 /* client: first back-off; 0 = default */
    int reconnect_max_ms;                 /* client: back-off cap; 0 = default */
};

/* Create a server bound to `endpoint`; the endpoint actually bound goes to `bound`.
 * Caller owns the result (cm_rpc_destroy). NULL with a sentence in `err`. */
cm_rpc_t *cm_rpc_server_new(struct event_base *base, void *zctx, const struct cm_rpc_opts *opts,
                            const char *endpoint, char *bound, size_t boundlen, char *err,
                            size_t errlen);

/* Create a client connecting to `endpoint` (it need not be up yet).
 * Caller owns the result (cm_rpc_destroy). NULL with a sentence in `err`. */
cm_rpc_t *cm_rpc_client_new(struct event_base *base, void *zctx, const struct cm_rpc_opts *opts,
                            const char *endpoint, char *err, size_t errlen);

/* Fail every pending call with CM_ERR_SHUTDOWN, orphan every deferred reply (answering one later
 * just frees it), close the socket, free; sets *self_p to NULL. */
void cm_rpc_destroy(cm_rpc_t **self_p);

/* Route inbound (proto, msg) to `fn`. Returns 0, or -1 when the table is full. */
int cm_rpc_handle(cm_rpc_t *self, int proto, int msg, cm_rpc_handler_fn *fn, void *arg);

/* Called for every inbound message that passed the envelope checks, before dispatch (a server
 * uses it to track its peers' liveness). */
void cm_rpc_on_peer(cm_rpc_t *self, cm_rpc_handler_fn *fn, void *arg);

/* Client: called after each socket (re-)creation, and at once when the client exists already.
 * The TCP connection may not be up yet, and the peer may not be the one that knew us: an
 * announcement must be repeated until the peer acknowledges it. */
void cm_rpc_on_connect(cm_rpc_t *self, void (*fn)(cm_rpc_t *rpc, void *arg), void *arg);

/* Call `msg` of `proto` with `body` (NULL: empty map) and an optional `payload`.
 * `identity` selects the peer on a server (NULL on a client). `rid` 0 picks a fresh request id;
 * a caller's id (the gateway's X-Request-Id) is used unless it is already in flight.
 * `timeout_ms` <= 0 means CM_RPC_TIMEOUT_MS. `cb` runs exactly once, later.
 * Returns the request id used. */
uint64_t cm_rpc_call(cm_rpc_t *self, const cm_iov_t *identity, int proto, int msg, uint64_t rid,
                     const cm_buf_t *body, const cm_iov_t *payload, int timeout_ms,
                     cm_rpc_call_fn *cb, void *arg);

/* Send a one-way message (an event). Returns 0, or -1 with errno (see cm_zsock_send). */
int cm_rpc_send(cm_rpc_t *self, const cm_iov_t *identity, int proto, int msg, uint64_t rid,
                const cm_buf_t *body, const cm_iov_t *payload);

/* Answer the request `req` (borrowed) with `msg` of `proto`. Returns 0 or -1 (peer gone). */
int cm_rpc_reply(cm_rpc_t *self, const cm_msg_t *req, int proto, int msg, const cm_buf_t *body,
                 const cm_iov_t *payload);

/* Answer `req` with common.ERROR {status, reason}. Returns 0 or -1. */
int cm_rpc_reply_error(cm_rpc_t *self, const cm_msg_t *req, int status, const char *fmt, ...)
    CM_PRINTF(4, 5);

/* Keep what is needed to answer `req` after the handler returns. Caller owns the result and
 * must end it with exactly one of cm_defer_reply, cm_defer_error or cm_defer_drop. */
cm_defer_t *cm_rpc_defer(cm_rpc_t *self, const cm_msg_t *req);

/* Answer a deferred request and free it; sets *defer_p to NULL. A no-op answer (freed only)
 * when the cm_rpc_t is gone or the request's deadline passed. Returns 0 when sent. */
int cm_defer_reply(cm_defer_t **defer_p, int proto, int msg, const cm_buf_t *body,
                   const cm_iov_t *payload);
int cm_defer_error(cm_defer_t **defer_p, int status, const char *fmt, ...) CM_PRINTF(3, 4);
void cm_defer_drop(cm_defer_t **defer_p);

/* The request id of a deferred request (for logs). */
uint64_t cm_defer_rid(const cm_defer_t *defer);

/* Client: true when the peer was heard from within the liveness window. Server: true. */
bool cm_rpc_alive(const cm_rpc_t *self);

/* Server: its socket (borrowed; lives as long as `self`), e.g. for a socket monitor. */
cm_zsock_t *cm_rpc_zsock(cm_rpc_t *self);

/* The endpoint bound or connected to (borrowed; lives as long as `self`). */
const char *cm_rpc_endpoint(const cm_rpc_t *self);

/* Counters for tests and metrics. */
struct cm_rpc_stats {
    uint64_t received;   /* messages that passed the envelope checks */
    uint64_t malformed;  /* messages refused for their envelope or body */
    uint64_t expired;    /* requests dropped because their deadline had passed */
    uint64_t late;       /* replies that matched no pending call (late or unknown) */
    uint64_t timeouts;   /* calls that ended with CM_ERR_TIMEOUT */
    uint64_t reconnects; /* client: sockets re-created after the peer was declared dead */
};
void cm_rpc_stats(const cm_rpc_t *self, struct cm_rpc_stats *out);

#endif
