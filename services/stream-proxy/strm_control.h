/* SPDX-License-Identifier: MIT
 * strm_control: the pool requests of the stream-proxy's control API (proto/stream.toml
 * METADATA and SCRAPE), by which source-discovery reaches the torrent workers. Each request
 * goes to the worker that rendezvous hashing names for its info-hash (so a .torrent is fetched
 * by the worker that will stream it) as torrent.METADATA or torrent.SCRAPE, and the worker's
 * answer comes back as METADATA_OK / SCRAPE_OK, or as its ERROR with the worker's reason.
 *
 * A worker that does not answer (no reply within the request's timeout plus
 * STRM_CONTROL_MARGIN_MS, an ERROR TIMEOUT or UNAVAILABLE without a reason, or it leaves the
 * pool meanwhile: checked every STRM_CONTROL_WATCH_MS) is skipped and the next one in
 * rendezvous order asked; at most STRM_CONTROL_TRIES_MAX workers per request. At most
 * STRM_CONTROL_INFLIGHT_MAX requests are forwarded at once (a request given up on a worker
 * that left still counts until its call ends): ERROR BUSY beyond. No live worker: ERROR
 * UNAVAILABLE. Everything runs on the loop's thread.
 *
 * Also stream.SWARM_GATE, the VPN gate of source-discovery: its state goes to the pool
 * (strm_pool_set_swarm_paused), whose heartbeats pass it to every worker; a change is logged
 * with its reason. It is answered SWARM_GATE_OK with the workers told. */
#ifndef STRM_CONTROL_H
#define STRM_CONTROL_H
#include "cm.h"
#include "cm_rpc.h"
#include "strm_pool.h"

enum {
    STRM_CONTROL_INFLIGHT_MAX = 64,           /* requests forwarded at once; BUSY beyond */
    STRM_CONTROL_TRIES_MAX = 2,               /* workers asked per request */
    STRM_CONTROL_MARGIN_MS = 2000,            /* waited for a worker past the request's timeout */
    STRM_CONTROL_TIMEOUT_MAX_MS = 600000,     /* a request's timeout_ms is capped to this */
    STRM_CONTROL_METADATA_DEFAULT_MS = 60000, /* METADATA timeout_ms 0 */
    STRM_CONTROL_SCRAPE_DEFAULT_MS = 10000,   /* SCRAPE timeout_ms 0 (per tracker) */
    STRM_CONTROL_WATCH_MS = 250,              /* how often the asked workers are checked */
    STRM_CONTROL_WORKERS_SCAN = 1024,         /* live workers looked at by that check */
};

typedef struct strm_control strm_control_t;

/* Handle METADATA, SCRAPE and SWARM_GATE of the stream protocol on `control` (the daemon's RPC
 * server), forwarding them to the workers of `pool`. Both are borrowed and must outlive the result,
 * or be destroyed in the daemon's teardown: destroying the pool ends the calls in flight, whose
 * callers get ERROR SHUTDOWN. Caller owns the result (strm_control_destroy). Aborts on OOM. */
strm_control_t *strm_control_new(struct event_base *base, strm_pool_t *pool, cm_rpc_t *control);

/* Answer every request still waiting with ERROR SHUTDOWN and free; sets *self_p to NULL.
 * May run before or after the pool is destroyed: a call still in flight frees its request
 * when it ends, and touches nothing else. */
void strm_control_destroy(strm_control_t **self_p);

/* Requests forwarded and not yet over (their calls included), for tests and metrics. */
size_t strm_control_inflight(const strm_control_t *self);

#endif
