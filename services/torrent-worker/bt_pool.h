/* SPDX-License-Identifier: MIT
 * bt_pool: the worker's side of the pool protocol. A DEALER connected to the stream-proxy's
 * pool ROUTER: READY on every (re)connect, HEARTBEAT every interval with load figures, and
 * the requests the proxy sends: METADATA (a magnet's info dictionary from the swarm, as a
 * .torrent), SCRAPE (tracker figures), STATUS (load and cache), and the streaming path's OPEN,
 * READ, STREAM_CREDIT and CLOSE (bt_stream.c). When the proxy falls silent for CM_HB_LIVENESS
 * intervals (it restarted, or died), cm_rpc re-creates the socket and we announce ourselves again.
 * With `vpn_gate` the proxy's heartbeats also open and close the engine's swarm traffic
 * (bt_engine_set_paused); the last state holds while the proxy is away.
 * Draining (bt_pool_drain, on SIGTERM): HEARTBEAT says `draining` (the proxy then sends no new
 * stream here and moves the streams it has to other workers, CLOSEing their reads here), no
 * new torrent is taken, and the owner hears when the last read is gone.
 */
#ifndef BT_POOL_H
#define BT_POOL_H
#include "cm.h"
#include "cm_rpc.h"
#include "bt_engine.h"

typedef struct bt_pool bt_pool_t;

struct bt_pool_opts {
    const char *endpoint;  /* the proxy's pool endpoint */
    const char *worker_id; /* stable id (hostname, pod name) */
    uint32_t capacity;     /* streams this worker accepts */
    int heartbeat_ms;      /* interval */
    bt_engine_t *engine;   /* borrowed: the BitTorrent engine */
    bt_cache_t *cache;     /* borrowed, may be NULL */
    const char *cache_dir; /* where metadata-only torrents live (nothing is written) */
    bool vpn_gate;         /* obey the proxy's HEARTBEAT swarm_paused (VPN_GATE_TORRENTS): the
                              engine pauses its swarm traffic while it is set, and starts paused
                              until the proxy's first heartbeat tells */
};

/* Connect (the proxy need not be up yet). Caller owns the result (bt_pool_destroy).
 * NULL with a sentence in `err`. */
bt_pool_t *bt_pool_new(struct event_base *base, void *zctx, const struct bt_pool_opts *opts,
                       char *err, size_t errlen);

void bt_pool_destroy(bt_pool_t **self_p);

/* Start draining (once; later calls do nothing). A HEARTBEAT with `draining` goes out at once
 * (and again before each OPEN is handled, so a proxy that picked us unaware hears why we
 * refuse), and every one after carries it; OPEN of a torrent not held answers ERROR UNAVAILABLE
 * "draining"; METADATA and SCRAPE, and those in progress, answer a bare ERROR UNAVAILABLE (the
 * proxy asks the next worker). Reads in progress go on until the proxy CLOSEs them or they
 * end. `drained(arg)` is called once, from the loop (never from inside this call), when no
 * read is left; the progress is logged. */
void bt_pool_drain(bt_pool_t *self, void (*drained)(void *arg), void *arg);

#endif
