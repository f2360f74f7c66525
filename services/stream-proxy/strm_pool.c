/* SPDX-License-Identifier: MIT
 * strm_pool: worker membership, heartbeats and liveness on the pool ROUTER. */
#include "strm_pool.h"
#include "common_msg.h"
#include "torrent_msg.h"

#define STRM_POOL_TAG 0x57a00001u
#define POOL_MONITOR_EP "inproc://strm-pool-monitor"

enum {
    POOL_WORKERS_MAX = 1024, /* workers registered at once; READY past this is refused */
};

struct worker {
    uint8_t identity[CM_IDENTITY_MAX]; /* routing id of its DEALER */
    size_t idlen;                      /* its length; 0 = free slot */
    char worker_id[64 + 1];            /* from READY */
    char version[32 + 1];              /* from READY */
    uint32_t capacity;                 /* streams it accepts */
    uint64_t free_cache_bytes;         /* from READY/HEARTBEAT */
    uint32_t torrents, peers;          /* from HEARTBEAT */
    uint64_t last_seen;                /* mono ms of its last message */
    int srcfd;                         /* the TCP connection it uses, -1 unknown */
};

struct strm_pool {
    uint32_t tag;                            /* STRM_POOL_TAG while alive */
    cm_rpc_t *rpc;                           /* the ROUTER */
    cm_zsock_t *monitor;                     /* PAIR reading the ROUTER's socket events */
    struct event *ev_tick;                   /* heartbeats out, expiry */
    int heartbeat_ms;                        /* interval */
    uint64_t hb_sent;                        /* mono ms of the last heartbeat round */
    struct worker workers[POOL_WORKERS_MAX]; /* registry (small: a linear scan is fine) */
    size_t nworkers;                         /* slots in use */
    cm_buf_t *hb;                            /* the encoded HEARTBEAT we send */
};

static struct worker *s_find(strm_pool_t *self, const cm_iov_t *id)
{
    for (size_t i = 0; i < POOL_WORKERS_MAX; i++) {
        struct worker *w = &self->workers[i];
        if (w->idlen == id->len && memcmp(w->identity, id->data, id->len) == 0)
            return w;
    }
    return NULL;
}

static void s_remove(strm_pool_t *self, struct worker *w, const char *why)
{
    cm_log_w("pool", 0, "worker %s left: %s", w->worker_id, why);
    memset(w, 0, sizeof(*w));
    self->nworkers--;
}

static void s_on_ready(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    CM_UNUSED(rpc);
    strm_pool_t *self = arg;
    struct torrent_ready r;
    if (torrent_ready_decode(&r, msg->body.data, msg->body.len) < 0) {
        cm_log_w("pool", msg->hdr.rid, "malformed READY dropped");
        return;
    }
    struct worker *w = s_find(self, &msg->identity);
    if (!w) {
        /* A restarted worker with the same id replaces its dead former self. */
        for (size_t i = 0; i < POOL_WORKERS_MAX; i++) {
            if (self->workers[i].idlen && strcmp(self->workers[i].worker_id, r.worker_id) == 0)
                s_remove(self, &self->workers[i], "replaced by a new connection with its id");
        }
        for (size_t i = 0; i < POOL_WORKERS_MAX && !w; i++) {
            if (self->workers[i].idlen == 0)
                w = &self->workers[i];
        }
        if (!w) {
            cm_log_w("pool", 0, "worker %s refused: the pool is full (%d)", r.worker_id,
                     POOL_WORKERS_MAX);
            return;
        }
        memcpy(w->identity, msg->identity.data, msg->identity.len);
        w->idlen = msg->identity.len;
        self->nworkers++;
        cm_log_n("pool", 0, "worker %s joined (version %s, capacity %u)", r.worker_id, r.version,
                 r.capacity);
    }
    snprintf(w->worker_id, sizeof(w->worker_id), "%s", r.worker_id);
    snprintf(w->version, sizeof(w->version), "%s", r.version);
    w->capacity = r.capacity;
    w->free_cache_bytes = r.free_cache_bytes;
    w->last_seen = cm_mono_ms();
    w->srcfd = msg->srcfd;
}

static void s_on_heartbeat(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    CM_UNUSED(rpc);
    strm_pool_t *self = arg;
    struct worker *w = s_find(self, &msg->identity);
    struct torrent_heartbeat hb;
    if (!w || torrent_heartbeat_decode(&hb, msg->body.data, msg->body.len) < 0)
        return; /* unknown workers hear nothing back and re-register after their liveness */
    w->torrents = hb.torrents;
    w->peers = hb.peers;
    w->free_cache_bytes = hb.free_cache_bytes;
}

/* Any valid message from a known worker proves it alive. */
static void s_on_peer(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    CM_UNUSED(rpc);
    strm_pool_t *self = arg;
    struct worker *w = s_find(self, &msg->identity);
    if (w) {
        w->last_seen = cm_mono_ms();
        if (msg->srcfd >= 0)
            w->srcfd = msg->srcfd;
    }
}

static void s_on_tick(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    strm_pool_t *self = arg;
    uint64_t now = cm_mono_ms();
    uint64_t dead_after = (uint64_t)self->heartbeat_ms * CM_HB_LIVENESS;
    bool send = now - self->hb_sent >= (uint64_t)self->heartbeat_ms;
    if (send)
        self->hb_sent = now;
    for (size_t i = 0; i < POOL_WORKERS_MAX; i++) {
        struct worker *w = &self->workers[i];
        if (!w->idlen)
            continue;
        if (now - w->last_seen >= dead_after) {
            s_remove(self, w, "no heartbeat");
            continue;
        }
        if (!send)
            continue;
        cm_iov_t id = {w->identity, w->idlen};
        if (cm_rpc_send(self->rpc, &id, TORRENT_PROTO, TORRENT_MSG_HEARTBEAT, 0, self->hb, NULL) <
                0 &&
            errno == EHOSTUNREACH)
            s_remove(self, w, "connection gone");
    }
}

/* Socket monitor: a closed TCP connection ends the workers that used it, at once. */
static void s_on_monitor(cm_zsock_t *zs, zmq_msg_t *frames, int n, void *arg)
{
    CM_UNUSED(zs);
    strm_pool_t *self = arg;
    if (n < 1 || zmq_msg_size(&frames[0]) < 6)
        return;
    const uint8_t *p = zmq_msg_data(&frames[0]);
    uint16_t event;
    uint32_t value;
    memcpy(&event, p, sizeof(event));
    memcpy(&value, p + 2, sizeof(value));
    if (event != ZMQ_EVENT_DISCONNECTED)
        return;
    for (size_t i = 0; i < POOL_WORKERS_MAX; i++) {
        struct worker *w = &self->workers[i];
        if (w->idlen && w->srcfd >= 0 && (uint32_t)w->srcfd == value)
            s_remove(self, w, "connection closed");
    }
}

strm_pool_t *strm_pool_new(struct event_base *base, void *zctx, const char *endpoint,
                           int heartbeat_ms, char *bound, size_t boundlen, char *err, size_t errlen)
{
    static const struct cm_proto *const protos[] = {&torrent_proto, NULL};
    struct cm_rpc_opts ro = {.name = "pool", .protos = protos, .max_msg = CM_POOL_MSG_MAX};
    cm_rpc_t *rpc = cm_rpc_server_new(base, zctx, &ro, endpoint, bound, boundlen, err, errlen);
    if (!rpc)
        return NULL;
    strm_pool_t *self = cm_calloc(1, sizeof(*self));
    self->tag = STRM_POOL_TAG;
    self->rpc = rpc;
    self->heartbeat_ms = heartbeat_ms > 0 ? heartbeat_ms : CM_HB_INTERVAL_MS;
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_READY, s_on_ready, self);
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_HEARTBEAT, s_on_heartbeat, self);
    cm_rpc_on_peer(rpc, s_on_peer, self);

    struct torrent_heartbeat hb;
    memset(&hb, 0, sizeof(hb));
    self->hb = cm_buf_new(256);
    if (torrent_heartbeat_encode(&hb, self->hb) < 0)
        assert(!"HEARTBEAT fits in 256 bytes");

    if (zmq_socket_monitor(cm_zsock_raw(cm_rpc_zsock(rpc)), POOL_MONITOR_EP,
                           ZMQ_EVENT_DISCONNECTED) == 0) {
        self->monitor = cm_zsock_new(base, zctx, ZMQ_PAIR, NULL);
        if (self->monitor) {
            cm_zsock_set_handler(self->monitor, s_on_monitor, self);
            if (cm_zsock_connect(self->monitor, POOL_MONITOR_EP, err, errlen) < 0)
                cm_zsock_destroy(&self->monitor);
        }
    }
    if (!self->monitor)
        cm_log_w("pool", 0, "no socket monitor: dead workers are noticed by heartbeats only");

    /* Tick four times an interval: heartbeats go out once an interval, expiry is checked
     * at every tick so a silent worker is dropped within a quarter interval of its deadline. */
    self->ev_tick = event_new(base, -1, EV_PERSIST, s_on_tick, self);
    int tick = CM_MAX(self->heartbeat_ms / 4, 10);
    struct timeval tv = cm_tv_ms(tick);
    event_add(self->ev_tick, &tv);
    return self;
}

void strm_pool_destroy(strm_pool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    strm_pool_t *self = *self_p;
    assert(self->tag == STRM_POOL_TAG);
    *self_p = NULL;
    if (self->ev_tick)
        event_free(self->ev_tick);
    if (self->monitor) {
        zmq_socket_monitor(cm_zsock_raw(cm_rpc_zsock(self->rpc)), NULL, 0);
        cm_zsock_destroy(&self->monitor);
    }
    cm_rpc_destroy(&self->rpc);
    cm_buf_destroy(&self->hb);
    self->tag = 0xdeadbeef;
    cm_free(self);
}

uint32_t strm_pool_live(const strm_pool_t *self)
{
    assert(self && self->tag == STRM_POOL_TAG);
    return (uint32_t)self->nworkers;
}
