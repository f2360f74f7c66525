/* SPDX-License-Identifier: MIT
 * strm_pool: the worker pool as the stream-proxy sees it. A ROUTER bound on the pool
 * endpoint; workers connect a DEALER, announce themselves with READY and send HEARTBEAT every
 * second; the pool heartbeats each known worker back every second. A worker is dead after
 * CM_HB_LIVENESS silent intervals, or at once when its TCP connection closes (a socket monitor
 * maps the closed fd to the worker, so a kill -9 is noticed immediately). A worker whose
 * HEARTBEAT says `draining` (it got SIGTERM) stays in the pool but is picked for nothing new,
 * and the edge hears it (worker_draining) to move that worker's streams elsewhere. */
#ifndef STRM_POOL_H
#define STRM_POOL_H
#include "cm.h"
#include "cm_rpc.h"

typedef struct strm_pool strm_pool_t;

/* Bind the pool on `endpoint`; the endpoint actually bound goes to `bound`.
 * Caller owns the result (strm_pool_destroy). NULL with a sentence in `err`. */
strm_pool_t *strm_pool_new(struct event_base *base, void *zctx, const char *endpoint,
                           int heartbeat_ms, char *bound, size_t boundlen, char *err,
                           size_t errlen);

void strm_pool_destroy(strm_pool_t **self_p);

/* Workers alive now. */
uint32_t strm_pool_live(const strm_pool_t *self);

#define STRM_WORKER_ID_MAX 64

/* What the pool tells the streaming edge. Callbacks run on the loop, never from inside a
 * strm_pool_* call. `data` is borrowed for the call. */
struct strm_pool_events {
    void (*chunk)(void *arg, const char *worker_id, uint64_t stream_id, uint64_t offset,
                  const void *data, size_t len);
    /* CHUNK_LOCAL: `len` bytes at `offset` of the file `path` under the worker's cache
     * directory (strm_pool_local_dir, strm_open_beneath) */
    void (*chunk_local)(void *arg, const char *worker_id, uint64_t stream_id, uint64_t offset,
                        uint64_t len, const char *path);
    void (*read_end)(void *arg, const char *worker_id, uint64_t stream_id, int status,
                     const char *reason);
    void (*worker_gone)(void *arg, const char *worker_id); /* dead, left, or replaced */
    /* its HEARTBEAT turned `draining`: it serves what it has but takes nothing new */
    void (*worker_draining)(void *arg, const char *worker_id);
    void *arg;
};
void strm_pool_set_events(strm_pool_t *self, const struct strm_pool_events *ev);

/* Rendezvous hashing (highest random weight): of the live workers that are not draining and
 * not named in `skip`, the one whose score for `info_hash` is highest. Every proxy computes
 * the same order, a torrent stays on its worker while that worker lives, and when a worker
 * joins or leaves only the torrents it wins or held move. Writes its id into `out`; false when
 * there is none. */
bool strm_pool_pick(const strm_pool_t *self, const char *info_hash, const char *const *skip,
                    size_t nskip, char out[STRM_WORKER_ID_MAX + 1]);

/* True when the worker named `worker_id` is in the pool and draining. */
bool strm_pool_draining(const strm_pool_t *self, const char *worker_id);

/* A request to the worker named `worker_id` (torrent protocol). Returns the request id, or 0
 * when the worker is not in the pool (then `cb` is never called). */
uint64_t strm_pool_call(strm_pool_t *self, const char *worker_id, int msg, const cm_buf_t *body,
                        int timeout_ms, cm_rpc_call_fn *cb, void *arg);
/* An event to a worker. 0, or -1 when it is not in the pool or its queue is full. */
int strm_pool_send(strm_pool_t *self, const char *worker_id, int msg, const cm_buf_t *body);

/* The cache directory (an O_PATH descriptor, the pool's) of a worker that shares this
 * host's filesystem, proved at READY by the token it wrote there; -1 for any other worker.
 * Valid until the worker leaves. */
int strm_pool_local_dir(const strm_pool_t *self, const char *worker_id);

/* Open `path` read-only strictly beneath `dirfd`: no absolute path, no "..", no symbolic link
 * on the way (openat2 RESOLVE_BENEATH; before Linux 5.6, the same checked by hand). A
 * descriptor, or -1 with errno. */
int strm_open_beneath(int dirfd, const char *path);

/* The VPN gate as the pool passes it on: every HEARTBEAT the pool sends carries `paused`
 * (torrent.HEARTBEAT swarm_paused; at start: false), and a worker that joins while it is set
 * hears it at once. On a change one heartbeat round goes out now; returns how many workers it
 * was sent to (a worker whose queue is full hears it at the next round). Unchanged: nothing is
 * sent and the live workers are counted (the regular heartbeats carry it). */
uint32_t strm_pool_set_swarm_paused(strm_pool_t *self, bool paused);
/* The state last set. */
bool strm_pool_swarm_paused(const strm_pool_t *self);

/* The live workers, for GET /api/workers. */
struct strm_worker_info {
    char id[STRM_WORKER_ID_MAX + 1];
    uint32_t torrents, peers, capacity;
    uint64_t down_bps, up_bps, free_cache_bytes;
    bool draining;
};
size_t strm_pool_list(const strm_pool_t *self, struct strm_worker_info *out, size_t max);

#endif
