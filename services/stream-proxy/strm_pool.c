/* SPDX-License-Identifier: MIT
 * strm_pool: worker membership, heartbeats and liveness on the pool ROUTER. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
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
    uint64_t down_bps, up_bps;         /* from HEARTBEAT */
    bool draining;                     /* from HEARTBEAT: takes no new streams */
    uint64_t last_seen;                /* mono ms of its last message */
    int srcfd;                         /* the TCP connection it uses, -1 unknown */
    bool local;                        /* it shares our filesystem: dirfd is its cache */
    int dirfd;                         /* ... opened O_PATH (valid only when local) */
    char local_token[32 + 1];          /* the READY token that dirfd was checked against */
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
    bool swarm_paused;                       /* ... its swarm_paused (the VPN gate) */
    struct strm_pool_events ev;              /* the edge's callbacks */
};

/* (Re-)encode the HEARTBEAT every worker is sent. */
static void s_hb_encode(strm_pool_t *self)
{
    struct torrent_heartbeat hb;
    memset(&hb, 0, sizeof(hb));
    hb.swarm_paused = self->swarm_paused;
    cm_buf_reset(self->hb);
    if (torrent_heartbeat_encode(&hb, self->hb) < 0)
        assert(!"HEARTBEAT fits in 256 bytes");
}

static struct worker *s_find(strm_pool_t *self, const cm_iov_t *id)
{
    for (size_t i = 0; i < POOL_WORKERS_MAX; i++) {
        struct worker *w = &self->workers[i];
        if (w->idlen == id->len && memcmp(w->identity, id->data, id->len) == 0)
            return w;
    }
    return NULL;
}

static struct worker *s_find_id(const strm_pool_t *self, const char *worker_id)
{
    for (size_t i = 0; i < POOL_WORKERS_MAX; i++) {
        const struct worker *w = &self->workers[i];
        if (w->idlen && strcmp(w->worker_id, worker_id) == 0)
            return (struct worker *)w;
    }
    return NULL;
}

static void s_local_drop(struct worker *w)
{
    if (w->local)
        close(w->dirfd);
    w->local = false;
    w->dirfd = -1;
    w->local_token[0] = '\0';
}

/* READY names the worker's cache directory and the token it wrote there: if we read the same
 * token in that directory, the worker's cache files are ours to read (CHUNK_LOCAL). */
static void s_local_check(struct worker *w, const struct torrent_ready *r)
{
    if (w->local && strcmp(w->local_token, r->local_token) == 0)
        return; /* READY repeated */
    s_local_drop(w);
    if (!r->cache_dir[0] || r->cache_dir[0] != '/' || strlen(r->local_token) != 32)
        return;
    int dfd = open(r->cache_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return;
    char tok[33] = {0};
    int fd = openat(dfd, ".local-token", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n = fd >= 0 ? read(fd, tok, 32) : -1;
    if (fd >= 0)
        close(fd);
    if (n != 32 || strcmp(tok, r->local_token) != 0) {
        close(dfd);
        return;
    }
    w->local = true;
    w->dirfd = dfd;
    snprintf(w->local_token, sizeof(w->local_token), "%s", r->local_token);
    cm_log_n("pool", 0, "worker %s shares this host's filesystem: stream bytes come from %s",
             r->worker_id, r->cache_dir);
}

int strm_open_beneath(int dirfd, const char *path)
{
    if (!path[0] || path[0] == '/')
        return -1;
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                      RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    if (fd >= 0 || errno != ENOSYS)
        return (int)fd;
    /* before Linux 5.6: no ".." component, and no symbolic link as the last one */
    for (const char *p = path; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return -1;
        p += n + (e ? 1 : 0);
    }
    return openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

int strm_pool_local_dir(const strm_pool_t *self, const char *worker_id)
{
    const struct worker *w = s_find_id(self, worker_id);
    return w && w->local ? w->dirfd : -1;
}

static void s_remove(strm_pool_t *self, struct worker *w, const char *why)
{
    char id[sizeof(w->worker_id)];
    snprintf(id, sizeof(id), "%s", w->worker_id);
    s_local_drop(w);
    cm_log_w("pool", 0, "worker %s left: %s", id, why);
    memset(w, 0, sizeof(*w));
    self->nworkers--;
    if (self->ev.worker_gone)
        self->ev.worker_gone(self->ev.arg, id);
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
        w->dirfd = -1;
        self->nworkers++;
        cm_log_n("pool", 0, "worker %s joined (version %s, capacity %u)", r.worker_id, r.version,
                 r.capacity);
        if (self->swarm_paused) { /* it must not wait a round to hear that the gate is closed */
            cm_iov_t id = {w->identity, w->idlen};
            (void)cm_rpc_send(self->rpc, &id, TORRENT_PROTO, TORRENT_MSG_HEARTBEAT, 0, self->hb,
                              NULL);
        }
    }
    snprintf(w->worker_id, sizeof(w->worker_id), "%s", r.worker_id);
    snprintf(w->version, sizeof(w->version), "%s", r.version);
    w->capacity = r.capacity;
    w->free_cache_bytes = r.free_cache_bytes;
    w->last_seen = cm_mono_ms();
    w->srcfd = msg->srcfd;
    s_local_check(w, &r);
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
    w->down_bps = hb.down_bps;
    w->up_bps = hb.up_bps;
    if (hb.draining == w->draining)
        return;
    w->draining = hb.draining;
    if (!w->draining) { /* not sent by our workers; a worker may change its mind */
        cm_log_n("pool", 0, "worker %s is no longer draining", w->worker_id);
        return;
    }
    cm_log_n("pool", 0, "worker %s is draining: nothing new goes to it", w->worker_id);
    if (self->ev.worker_draining) {
        char id[sizeof(w->worker_id)]; /* the callback may end up removing w */
        snprintf(id, sizeof(id), "%s", w->worker_id);
        self->ev.worker_draining(self->ev.arg, id);
    }
}

static void s_on_chunk(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    CM_UNUSED(rpc);
    strm_pool_t *self = arg;
    struct worker *w = s_find(self, &msg->identity);
    struct torrent_chunk c;
    if (!w || torrent_chunk_decode(&c, msg->body.data, msg->body.len) < 0 || !msg->payload.data)
        return;
    if (self->ev.chunk)
        self->ev.chunk(self->ev.arg, w->worker_id, c.stream_id, c.offset, msg->payload.data,
                       msg->payload.len);
}

static void s_on_chunk_local(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    CM_UNUSED(rpc);
    strm_pool_t *self = arg;
    struct worker *w = s_find(self, &msg->identity);
    struct torrent_chunk_local *c = cm_malloc(sizeof(*c));
    if (w && torrent_chunk_local_decode(c, msg->body.data, msg->body.len) == 0 &&
        self->ev.chunk_local)
        self->ev.chunk_local(self->ev.arg, w->worker_id, c->stream_id, c->offset, c->length,
                             c->path);
    cm_free(c);
}

static void s_on_read_end(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    CM_UNUSED(rpc);
    strm_pool_t *self = arg;
    struct worker *w = s_find(self, &msg->identity);
    struct torrent_read_end e;
    if (!w || torrent_read_end_decode(&e, msg->body.data, msg->body.len) < 0)
        return;
    if (self->ev.read_end)
        self->ev.read_end(self->ev.arg, w->worker_id, e.stream_id, e.status, e.reason);
}

void strm_pool_set_events(strm_pool_t *self, const struct strm_pool_events *ev)
{
    self->ev = *ev;
}

/* The rendezvous score of a (worker, torrent) pair: a 64-bit mix of both names. */
static uint64_t s_score(const char *worker_id, const char *info_hash)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = worker_id; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL; /* separator: ("ab","c") != ("a","bc") */
    for (const char *p = info_hash; *p; p++)
        h = (h ^ (uint8_t)(*p | 0x20)) * 1099511628211ULL; /* hex in any case */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

bool strm_pool_pick(const strm_pool_t *self, const char *info_hash, const char *const *skip,
                    size_t nskip, char out[STRM_WORKER_ID_MAX + 1])
{
    const struct worker *best = NULL;
    uint64_t best_score = 0;
    for (size_t i = 0; i < POOL_WORKERS_MAX; i++) {
        const struct worker *w = &self->workers[i];
        if (!w->idlen || w->draining)
            continue;
        bool skipped = false;
        for (size_t k = 0; k < nskip && !skipped; k++)
            skipped = strcmp(skip[k], w->worker_id) == 0;
        if (skipped)
            continue;
        uint64_t sc = s_score(w->worker_id, info_hash);
        if (!best || sc > best_score ||
            (sc == best_score && strcmp(w->worker_id, best->worker_id) < 0)) {
            best = w;
            best_score = sc;
        }
    }
    if (!best)
        return false;
    snprintf(out, STRM_WORKER_ID_MAX + 1, "%s", best->worker_id);
    return true;
}

bool strm_pool_draining(const strm_pool_t *self, const char *worker_id)
{
    const struct worker *w = s_find_id(self, worker_id);
    return w && w->draining;
}

uint64_t strm_pool_call(strm_pool_t *self, const char *worker_id, int msg, const cm_buf_t *body,
                        int timeout_ms, cm_rpc_call_fn *cb, void *arg)
{
    struct worker *w = s_find_id(self, worker_id);
    if (!w)
        return 0;
    cm_iov_t id = {w->identity, w->idlen};
    return cm_rpc_call(self->rpc, &id, TORRENT_PROTO, msg, 0, body, NULL, timeout_ms, cb, arg);
}

int strm_pool_send(strm_pool_t *self, const char *worker_id, int msg, const cm_buf_t *body)
{
    struct worker *w = s_find_id(self, worker_id);
    if (!w)
        return -1;
    cm_iov_t id = {w->identity, w->idlen};
    return cm_rpc_send(self->rpc, &id, TORRENT_PROTO, msg, 0, body, NULL);
}

uint32_t strm_pool_set_swarm_paused(strm_pool_t *self, bool paused)
{
    assert(self && self->tag == STRM_POOL_TAG);
    if (self->swarm_paused == paused)
        return (uint32_t)self->nworkers;
    self->swarm_paused = paused;
    s_hb_encode(self);
    /* One round now. A send that fails is left to the tick, which drops a worker that is gone
     * (no callback may run from inside this call). */
    self->hb_sent = cm_mono_ms();
    uint32_t told = 0;
    for (size_t i = 0; i < POOL_WORKERS_MAX; i++) {
        struct worker *w = &self->workers[i];
        if (!w->idlen)
            continue;
        cm_iov_t id = {w->identity, w->idlen};
        if (cm_rpc_send(self->rpc, &id, TORRENT_PROTO, TORRENT_MSG_HEARTBEAT, 0, self->hb, NULL) ==
            0)
            told++;
    }
    return told;
}

bool strm_pool_swarm_paused(const strm_pool_t *self)
{
    assert(self && self->tag == STRM_POOL_TAG);
    return self->swarm_paused;
}

size_t strm_pool_list(const strm_pool_t *self, struct strm_worker_info *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < POOL_WORKERS_MAX && n < max; i++) {
        const struct worker *w = &self->workers[i];
        if (!w->idlen)
            continue;
        struct strm_worker_info *o = &out[n++];
        memset(o, 0, sizeof(*o));
        snprintf(o->id, sizeof(o->id), "%s", w->worker_id);
        o->torrents = w->torrents;
        o->peers = w->peers;
        o->capacity = w->capacity;
        o->down_bps = w->down_bps;
        o->up_bps = w->up_bps;
        o->free_cache_bytes = w->free_cache_bytes;
        o->draining = w->draining;
    }
    return n;
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
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_CHUNK, s_on_chunk, self);
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_CHUNK_LOCAL, s_on_chunk_local, self);
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_READ_END, s_on_read_end, self);
    cm_rpc_on_peer(rpc, s_on_peer, self);

    self->hb = cm_buf_new(256);
    s_hb_encode(self);

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
    for (size_t i = 0; i < POOL_WORKERS_MAX; i++)
        if (self->workers[i].idlen)
            s_local_drop(&self->workers[i]);
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
