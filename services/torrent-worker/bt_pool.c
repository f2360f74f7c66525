/* SPDX-License-Identifier: MIT
 * bt_pool: READY, HEARTBEAT and request handling on the pool DEALER. The streaming messages
 * (OPEN, READ, STREAM_CREDIT, CLOSE) are decoded here and handed to bt_stream. */
#include <fcntl.h>
#include "bt_pool.h"
#include "bt_config.h"
#include "bt_stream.h"
#include "cm_daemon.h"
#include "cm_token.h"
#include "common_msg.h"
#include "torrent_msg.h"

#define BT_POOL_TAG 0xb7000001u

struct bt_pool {
    uint32_t tag;           /* BT_POOL_TAG while alive */
    cm_rpc_t *rpc;          /* the DEALER client */
    struct event *ev_hb;    /* HEARTBEAT timer */
    char worker_id[64 + 1]; /* our id */
    bool registered;        /* the proxy has heartbeated us since our last READY */
    int heartbeat_ms;       /* interval of HEARTBEAT */
    uint64_t hb_sent;       /* mono ms of the last HEARTBEAT */
    uint32_t capacity;      /* streams we accept */
    cm_buf_t *buf;          /* scratch for bodies */
    struct event_base *base;
    bt_engine_t *engine;   /* borrowed */
    bt_cache_t *cache;     /* borrowed, may be NULL */
    const char *cache_dir; /* borrowed */
    struct md_job *jobs;   /* METADATA fetches in progress */
    uint32_t njobs;
    struct scrape_job *scrapes; /* SCRAPEs in progress */
    bt_stream_t *stream;        /* the read path: OPEN, READ, CHUNK */
    char local_dir[1025];       /* READY cache_dir: the cache's absolute path ("" unknown) */
    char local_token[33];       /* READY local_token: what cache_dir/.local-token holds */
    bool vpn_gate;              /* obey HEARTBEAT swarm_paused (VPN_GATE_TORRENTS) */
    bool gate_ignored;          /* swarm_paused seen and ignored: logged once per closing */
    bool draining;              /* bt_pool_drain: no new torrent, HEARTBEAT says so */
    bool hb_due;                /* a HEARTBEAT goes out at the next tick, interval or not */
    void (*drained)(void *arg); /* ... called once when no read is left (NULL after) */
    void *drained_arg;
    uint32_t drain_left;  /* reads left, as last logged */
    uint64_t drain_start; /* mono ms of bt_pool_drain */
};

/* READY goes out at every tick until the proxy heartbeats us back: a restarted proxy does not
 * know us until we announce ourselves again, and a READY queued for a proxy that was already
 * gone may never arrive. */
static void s_send_ready(bt_pool_t *self, cm_rpc_t *rpc)
{
    struct torrent_ready r;
    memset(&r, 0, sizeof(r));
    snprintf(r.worker_id, sizeof(r.worker_id), "%s", self->worker_id);
    snprintf(r.version, sizeof(r.version), "%s", CM_VERSION);
    r.capacity = self->capacity;
    r.free_cache_bytes = self->cache ? bt_cache_free(self->cache) : 0;
    if (self->local_token[0]) {
        snprintf(r.cache_dir, sizeof(r.cache_dir), "%s", self->local_dir);
        snprintf(r.local_token, sizeof(r.local_token), "%s", self->local_token);
    }
    cm_buf_reset(self->buf);
    if (torrent_ready_encode(&r, self->buf) == 0 &&
        cm_rpc_send(rpc, NULL, TORRENT_PROTO, TORRENT_MSG_READY, 0, self->buf, NULL) == 0)
        cm_log_d("pool", 0, "READY sent to %s", cm_rpc_endpoint(rpc));
}

/* A new socket: the proxy on the other end may not know us. */
static void s_on_connect(cm_rpc_t *rpc, void *arg)
{
    CM_UNUSED(rpc);
    bt_pool_t *self = arg;
    if (self->registered) {
        cm_log_w("pool", 0, "lost the stream-proxy; registering again");
        /* the proxy on the new socket does not know our reads: it will never CLOSE them */
        if (self->stream)
            bt_stream_forget_reads(self->stream);
    }
    self->registered = false;
}

static void s_send_heartbeat(bt_pool_t *self, uint64_t now)
{
    self->hb_sent = now;
    self->hb_due = false;
    struct torrent_heartbeat hb;
    memset(&hb, 0, sizeof(hb));
    struct bt_engine_stats es;
    bt_engine_stats(self->engine, &es);
    hb.torrents = es.torrents;
    hb.peers = es.peers;
    hb.down_bps = es.down_bps;
    hb.up_bps = es.up_bps;
    hb.free_cache_bytes = self->cache ? bt_cache_free(self->cache) : 0;
    hb.draining = self->draining;
    cm_buf_reset(self->buf);
    if (torrent_heartbeat_encode(&hb, self->buf) == 0)
        cm_rpc_send(self->rpc, NULL, TORRENT_PROTO, TORRENT_MSG_HEARTBEAT, 0, self->buf, NULL);
}

/* While draining: the reads left are logged when their number changes, and the owner hears
 * when there is none (the proxy CLOSEd them all, they ended, or the proxy is gone). */
static void s_drain_check(bt_pool_t *self, uint64_t now)
{
    if (!self->drained)
        return;
    uint32_t left = bt_stream_reads(self->stream);
    if (left == self->drain_left)
        return;
    self->drain_left = left;
    if (left > 0) {
        cm_log_n("pool", 0, "draining: %" PRIu32 " reads left", left);
        return;
    }
    cm_log_n("pool", 0, "draining: no read left after %" PRIu64 " ms", now - self->drain_start);
    void (*drained)(void *arg) = self->drained;
    self->drained = NULL;
    drained(self->drained_arg);
}

static void s_on_heartbeat_timer(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    bt_pool_t *self = arg;
    uint64_t now = cm_mono_ms();
    if (!self->registered)
        s_send_ready(self, self->rpc);
    else if (self->hb_due || now - self->hb_sent >= (uint64_t)self->heartbeat_ms)
        s_send_heartbeat(self, now);
    s_drain_check(self, now);
}

/* The proxy heartbeats only the workers it knows: its first heartbeat acknowledges READY.
 * (cm_rpc itself counts every message as a sign of life.) */
static void s_on_proxy_heartbeat(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    bt_pool_t *self = arg;
    if (!self->registered) {
        cm_log_n("pool", 0, "registered with the stream-proxy at %s as %s", cm_rpc_endpoint(rpc),
                 self->worker_id);
        self->hb_due = self->draining; /* a new proxy must hear it before it sends us streams */
    }
    self->registered = true;
    /* The VPN gate rides on every heartbeat (a malformed one changes nothing). */
    struct torrent_heartbeat hb;
    if (torrent_heartbeat_decode(&hb, msg->body.data, msg->body.len) < 0)
        return;
    if (self->vpn_gate) {
        bt_engine_set_paused(self->engine, hb.swarm_paused); /* logs a change */
    } else if (hb.swarm_paused != self->gate_ignored) {
        self->gate_ignored = hb.swarm_paused;
        if (hb.swarm_paused)
            cm_log_n("pool", 0,
                     "the stream-proxy says the VPN is down; VPN_GATE_TORRENTS is off, "
                     "so swarm traffic goes on");
    }
}

/* --- METADATA: one job per info-hash, several requests may wait on it --- */

enum { BT_MD_JOBS_MAX = 32, BT_MD_WAITERS_MAX = 8, BT_MD_TIMEOUT_DEFAULT_MS = 60000 };

struct md_job {
    bt_pool_t *pool;
    uint8_t hash[20];
    bt_torrent_t *t;
    cm_defer_t *waiters[BT_MD_WAITERS_MAX];
    size_t nwaiters;
    struct event *ev_timeout;
    uint32_t timeout_ms;
    char **tr; /* the magnet's trackers, for the .torrent */
    size_t ntr;
    struct md_job *next;
};

static void s_job_free(bt_pool_t *self, struct md_job *j)
{
    struct md_job **pp = &self->jobs;
    while (*pp && *pp != j)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = j->next;
        self->njobs--;
    }
    for (size_t i = 0; i < j->nwaiters; i++)
        cm_defer_drop(&j->waiters[i]);
    if (j->t)
        bt_torrent_remove(&j->t);
    event_free(j->ev_timeout);
    for (size_t i = 0; i < j->ntr; i++)
        cm_free(j->tr[i]);
    cm_free(j->tr);
    cm_free(j);
}

/* Answer every waiter with the .torrent of `mi` plus the magnet's trackers `tr`. */
static void s_reply_metadata(cm_defer_t **waiters, size_t n, const bt_metainfo_t *mi,
                             char *const *tr, size_t ntr)
{
    char err[CM_ERR_LEN];
    bt_metainfo_t *copy = bt_metainfo_from_info(mi->info_raw, mi->info_len, NULL, err, sizeof(err));
    cm_buf_t *tb = cm_buf_new(16 * 1024 * 1024);
    cm_buf_t *body = cm_buf_new(CM_POOL_MSG_MAX);
    struct torrent_metadata_ok r;
    memset(&r, 0, sizeof(r));
    int rc = -1;
    if (copy) {
        bt_metainfo_add_trackers(copy, (const char *const *)tr, ntr);
        if (bt_metainfo_write(copy, tb) == 0) {
            r.torrent.data = cm_buf_data(tb);
            r.torrent.len = cm_buf_len(tb);
            bt_hash_hex(copy->info_hash, r.info_hash);
            snprintf(r.name, sizeof(r.name), "%s", copy->name);
            r.files = copy->nfiles;
            r.total_bytes = copy->total_len;
            rc = torrent_metadata_ok_encode(&r, body);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            cm_defer_reply(&waiters[i], TORRENT_PROTO, TORRENT_MSG_METADATA_OK, body, NULL);
        else
            cm_defer_error(&waiters[i], CM_ERR_TOO_LARGE, "the .torrent does not fit a reply");
    }
    if (rc == 0)
        cm_log_n("pool", 0, "metadata of %s: \"%s\", %" PRIu32 " files", r.info_hash, r.name,
                 r.files);
    cm_buf_destroy(&body);
    cm_buf_destroy(&tb);
    bt_metainfo_destroy(&copy);
}

static void s_job_reply(bt_pool_t *self, struct md_job *j, const bt_metainfo_t *mi)
{
    s_reply_metadata(j->waiters, j->nwaiters, mi, j->tr, j->ntr);
    j->nwaiters = 0;
    s_job_free(self, j);
}

static void s_on_job_metadata(void *arg, bt_torrent_t *t)
{
    struct md_job *j = arg;
    s_job_reply(j->pool, j, bt_torrent_metainfo(t));
}

static void s_on_job_timeout(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    struct md_job *j = arg;
    struct bt_torrent_stats st;
    bt_torrent_stats(j->t, &st);
    for (size_t i = 0; i < j->nwaiters; i++)
        cm_defer_error(&j->waiters[i], CM_ERR_TIMEOUT,
                       "no metadata after %" PRIu32 " s: %" PRIu32 " peers from %" PRIu32
                       " trackers",
                       j->timeout_ms / 1000, st.known_peers, st.trackers);
    j->nwaiters = 0;
    s_job_free(j->pool, j);
}

static void s_on_metadata(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    bt_pool_t *self = arg;
    struct torrent_metadata req;
    if (self->draining) { /* bare: the proxy asks the next worker */
        cm_log_i("pool", msg->hdr.rid, "METADATA refused: draining");
        cm_rpc_reply_error(rpc, msg, CM_ERR_UNAVAILABLE, "%s", "");
        return;
    }
    if (torrent_metadata_decode(&req, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "malformed METADATA");
        return;
    }
    struct bt_magnet m;
    char err[CM_ERR_LEN];
    if (bt_magnet_parse(req.magnet, &m, err, sizeof(err)) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "bad magnet: %s", err);
        return;
    }
    bt_torrent_t *have = bt_engine_find(self->engine, m.info_hash);
    if (have && bt_torrent_metainfo(have)) { /* a loaded torrent knows it already */
        cm_defer_t *d = cm_rpc_defer(rpc, msg);
        s_reply_metadata(&d, 1, bt_torrent_metainfo(have), m.tr, m.ntr);
        bt_magnet_clear(&m);
        return;
    }
    struct md_job *j = self->jobs;
    while (j && memcmp(j->hash, m.info_hash, 20) != 0)
        j = j->next;
    if (j) {
        if (j->nwaiters == BT_MD_WAITERS_MAX)
            cm_rpc_reply_error(rpc, msg, CM_ERR_BUSY, "too many requests for that torrent");
        else
            j->waiters[j->nwaiters++] = cm_rpc_defer(rpc, msg);
        bt_magnet_clear(&m);
        return;
    }
    if (self->njobs >= BT_MD_JOBS_MAX || have) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_BUSY, "%s",
                           have ? "that torrent is loading" : "too many metadata fetches");
        bt_magnet_clear(&m);
        return;
    }
    j = cm_calloc(1, sizeof(*j));
    j->pool = self;
    memcpy(j->hash, m.info_hash, 20);
    j->timeout_ms = req.timeout_ms ? req.timeout_ms : BT_MD_TIMEOUT_DEFAULT_MS;
    j->tr = m.tr;
    j->ntr = m.ntr;
    struct bt_torrent_cbs cbs = {.metadata = s_on_job_metadata, .arg = j};
    j->t = bt_engine_add_magnet(self->engine, &m, self->cache_dir, BT_TF_METADATA_ONLY, &cbs, err,
                                sizeof(err));
    m.tr = NULL; /* now the job's */
    m.ntr = 0;
    bt_magnet_clear(&m);
    j->ev_timeout = event_new(self->base, -1, 0, s_on_job_timeout, j);
    j->next = self->jobs;
    self->jobs = j;
    self->njobs++;
    if (!j->t) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INTERNAL, "%s", err);
        s_job_free(self, j);
        return;
    }
    j->waiters[j->nwaiters++] = cm_rpc_defer(rpc, msg);
    struct timeval tv = cm_tv_ms(j->timeout_ms);
    event_add(j->ev_timeout, &tv);
}

/* --- SCRAPE: every tracker at once, the largest figures win --- */

struct scrape_job {
    bt_pool_t *pool;
    cm_defer_t *defer;
    uint32_t left, asked, answered;
    uint32_t seeders, leechers, completed;
    bt_trk_req_t reqs[32];
    char last_err[160];
    struct scrape_job *next;
};

static void s_scrape_unlink(bt_pool_t *self, struct scrape_job *s)
{
    struct scrape_job **pp = &self->scrapes;
    while (*pp && *pp != s)
        pp = &(*pp)->next;
    if (*pp)
        *pp = s->next;
}

/* Cancel a scrape in progress; its request gets `status` (0: no answer at all). */
static void s_scrape_drop(bt_pool_t *self, struct scrape_job *sj, int status)
{
    s_scrape_unlink(self, sj);
    for (uint32_t i = 0; i < sj->asked; i++)
        bt_trk_cancel(bt_engine_trk(self->engine), sj->reqs[i]);
    if (status)
        cm_defer_error(&sj->defer, status, "%s", "");
    else
        cm_defer_drop(&sj->defer);
    cm_free(sj);
}

static void s_on_scrape_done(void *arg, int status, uint32_t seeders, uint32_t leechers,
                             uint32_t completed, const char *err)
{
    struct scrape_job *s = arg;
    if (status == 0) {
        s->answered++;
        s->seeders = CM_MAX(s->seeders, seeders);
        s->leechers = CM_MAX(s->leechers, leechers);
        s->completed = CM_MAX(s->completed, completed);
    } else if (err) {
        snprintf(s->last_err, sizeof(s->last_err), "%s", err);
    }
    if (--s->left > 0)
        return;
    if (s->answered == 0) {
        cm_defer_error(&s->defer, CM_ERR_UNAVAILABLE, "no tracker answered: %s", s->last_err);
    } else {
        struct torrent_scrape_ok r = {.seeders = s->seeders,
                                      .leechers = s->leechers,
                                      .completed = s->completed,
                                      .answered = s->answered,
                                      .asked = s->asked};
        cm_buf_t *body = cm_buf_new(256);
        if (torrent_scrape_ok_encode(&r, body) == 0)
            cm_defer_reply(&s->defer, TORRENT_PROTO, TORRENT_MSG_SCRAPE_OK, body, NULL);
        else
            cm_defer_error(&s->defer, CM_ERR_INTERNAL, "encoding failed");
        cm_buf_destroy(&body);
    }
    s_scrape_unlink(s->pool, s);
    cm_free(s);
}

static void s_on_scrape(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    bt_pool_t *self = arg;
    static struct torrent_scrape req; /* large (32 URLs of 1 KiB): not on the stack */
    uint8_t hash[20];
    if (self->draining) { /* bare: the proxy asks the next worker */
        cm_log_i("pool", msg->hdr.rid, "SCRAPE refused: draining");
        cm_rpc_reply_error(rpc, msg, CM_ERR_UNAVAILABLE, "%s", "");
        return;
    }
    if (torrent_scrape_decode(&req, msg->body.data, msg->body.len) < 0 ||
        bt_hash_parse(req.info_hash, strlen(req.info_hash), hash) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "malformed SCRAPE");
        return;
    }
    if (req.trackers_count == 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "SCRAPE names no tracker");
        return;
    }
    if (bt_engine_paused(self->engine)) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_UNAVAILABLE, "swarm traffic paused (VPN down)");
        return;
    }
    struct scrape_job *s = cm_calloc(1, sizeof(*s));
    s->pool = self;
    s->defer = cm_rpc_defer(rpc, msg);
    s->asked = s->left = req.trackers_count;
    s->next = self->scrapes;
    self->scrapes = s;
    int timeout = req.timeout_ms ? (int)req.timeout_ms : 10000;
    for (uint32_t i = 0; i < req.trackers_count; i++)
        s->reqs[i] = bt_trk_scrape(bt_engine_trk(self->engine), req.trackers[i], hash, timeout,
                                   s_on_scrape_done, s);
}

static void s_on_status(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    bt_pool_t *self = arg;
    struct bt_engine_stats es;
    bt_engine_stats(self->engine, &es);
    struct torrent_status_ok r;
    memset(&r, 0, sizeof(r));
    snprintf(r.worker_id, sizeof(r.worker_id), "%s", self->worker_id);
    snprintf(r.version, sizeof(r.version), "%s", CM_VERSION);
    r.torrents = es.torrents;
    r.peers = es.peers;
    r.down_bps = es.down_bps;
    r.up_bps = es.up_bps;
    r.downloaded = es.downloaded;
    r.uploaded = es.uploaded;
    if (self->cache) {
        r.cache_used = bt_cache_used(self->cache);
        r.cache_free = bt_cache_free(self->cache);
    }
    snprintf(r.listen, sizeof(r.listen), "%s", bt_engine_listen_addr(self->engine));
    r.draining = self->draining;
    cm_buf_t *body = cm_buf_new(1024);
    if (torrent_status_ok_encode(&r, body) == 0)
        cm_rpc_reply(rpc, msg, TORRENT_PROTO, TORRENT_MSG_STATUS_OK, body, NULL);
    else
        cm_rpc_reply_error(rpc, msg, CM_ERR_INTERNAL, "encoding failed");
    cm_buf_destroy(&body);
}

/* --- the read path (bt_stream) --- */

static void s_on_open(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    bt_pool_t *self = arg;
    struct torrent_open *req = cm_calloc(1, sizeof(*req)); /* 64 KiB of magnet: not on the stack */
    /* A proxy that picked us before it heard we drain (it may have just met us) hears it
     * before any "draining" refusal: it then sends the request on instead of failing it. */
    if (self->draining)
        s_send_heartbeat(self, cm_mono_ms());
    if (torrent_open_decode(req, msg->body.data, msg->body.len) < 0)
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "malformed OPEN");
    else
        bt_stream_open(self->stream, req, cm_rpc_defer(rpc, msg));
    cm_free(req);
}

static void s_on_read(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    CM_UNUSED(rpc);
    bt_pool_t *self = arg;
    struct torrent_read req;
    if (torrent_read_decode(&req, msg->body.data, msg->body.len) < 0) {
        cm_log_w("pool", 0, "malformed READ dropped");
        return;
    }
    bt_stream_read(self->stream, &req);
}

static void s_on_stream_credit(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    CM_UNUSED(rpc);
    bt_pool_t *self = arg;
    struct torrent_stream_credit req;
    if (torrent_stream_credit_decode(&req, msg->body.data, msg->body.len) < 0) {
        cm_log_w("pool", 0, "malformed STREAM_CREDIT dropped");
        return;
    }
    bt_stream_credit(self->stream, req.stream_id, req.bytes);
}

static void s_on_close(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    CM_UNUSED(rpc);
    bt_pool_t *self = arg;
    struct torrent_close req;
    if (torrent_close_decode(&req, msg->body.data, msg->body.len) < 0) {
        cm_log_w("pool", 0, "malformed CLOSE dropped");
        return;
    }
    bt_stream_close(self->stream, req.stream_id);
}

/* A proxy on this host may send stream bytes straight from our cache files (CHUNK_LOCAL). It
 * proves that it sees our filesystem by reading cache_dir/.local-token, a random value written
 * at each start and announced in READY. Without it (the cache's path unknown, the file not
 * written) READY carries none and every read goes out as CHUNK. */
static void s_local_token(bt_pool_t *self, const char *cache_dir)
{
    char abs[PATH_MAX], path[PATH_MAX + 32], tmp[PATH_MAX + 48], tok[33];
    if (!cache_dir || !realpath(cache_dir, abs) || strlen(abs) >= sizeof(self->local_dir))
        return;
    cm_rand_hex(tok, 16);
    snprintf(path, sizeof(path), "%s/.local-token", abs);
    snprintf(tmp, sizeof(tmp), "%s/.local-token.%d", abs, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        cm_log_w("pool", 0, "cannot write %s (%s): stream bytes go through the pool socket", tmp,
                 strerror(errno));
        return;
    }
    bool ok = write(fd, tok, 32) == 32;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) < 0) {
        cm_log_w("pool", 0, "cannot write %s (%s): stream bytes go through the pool socket", path,
                 strerror(errno));
        unlink(tmp);
        return;
    }
    snprintf(self->local_dir, sizeof(self->local_dir), "%s", abs);
    snprintf(self->local_token, sizeof(self->local_token), "%s", tok);
}

bt_pool_t *bt_pool_new(struct event_base *base, void *zctx, const struct bt_pool_opts *opts,
                       char *err, size_t errlen)
{
    static const struct cm_proto *const protos[] = {&torrent_proto, NULL};
    struct cm_rpc_opts ro = {
        .name = "pool",
        .protos = protos,
        .max_msg = CM_POOL_MSG_MAX,
        .hb_interval_ms = opts->heartbeat_ms,
    };
    cm_rpc_t *rpc = cm_rpc_client_new(base, zctx, &ro, opts->endpoint, err, errlen);
    if (!rpc)
        return NULL;
    bt_pool_t *self = cm_calloc(1, sizeof(*self));
    self->tag = BT_POOL_TAG;
    self->rpc = rpc;
    self->capacity = opts->capacity;
    snprintf(self->worker_id, sizeof(self->worker_id), "%s", opts->worker_id);
    self->buf = cm_buf_new(1024);
    self->base = base;
    self->engine = opts->engine;
    self->cache = opts->cache;
    self->cache_dir = opts->cache_dir;
    self->vpn_gate = opts->vpn_gate;
    if (self->vpn_gate) { /* fail closed: nothing goes out before the proxy says the VPN is up */
        cm_log_n("pool", 0,
                 "VPN_GATE_TORRENTS: no swarm traffic until the stream-proxy says the "
                 "VPN is up");
        bt_engine_set_paused(self->engine, true);
    }
    s_local_token(self, opts->cache_dir);
    struct bt_stream_opts so = {
        .engine = opts->engine,
        .cache = opts->cache,
        .cache_dir = opts->cache_dir,
        .reads_max = CM_MAX(opts->capacity, (uint32_t)BT_STREAM_READS_MAX),
        .linger_ms = (int)CM_MIN(bt_cfg.stream_linger, (int64_t)INT_MAX),
    };
    self->stream = bt_stream_new(base, rpc, &so);
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_HEARTBEAT, s_on_proxy_heartbeat, self);
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_METADATA, s_on_metadata, self);
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_SCRAPE, s_on_scrape, self);
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_STATUS, s_on_status, self);
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_OPEN, s_on_open, self);
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_READ, s_on_read, self);
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_STREAM_CREDIT, s_on_stream_credit, self);
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_CLOSE, s_on_close, self);
    cm_rpc_on_connect(rpc, s_on_connect, self);

    self->heartbeat_ms = opts->heartbeat_ms > 0 ? opts->heartbeat_ms : CM_HB_INTERVAL_MS;
    /* Tick four times an interval: READY is retried quickly until acknowledged. */
    int ms = CM_MAX(self->heartbeat_ms / 4, 10);
    self->ev_hb = event_new(base, -1, EV_PERSIST, s_on_heartbeat_timer, self);
    struct timeval tv = cm_tv_ms(ms);
    event_add(self->ev_hb, &tv);
    event_active(self->ev_hb, EV_TIMEOUT, 0); /* first READY without waiting an interval */
    return self;
}

void bt_pool_destroy(bt_pool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bt_pool_t *self = *self_p;
    assert(self->tag == BT_POOL_TAG);
    *self_p = NULL;
    if (self->ev_hb)
        event_free(self->ev_hb);
    bt_stream_destroy(&self->stream); /* its READ_ENDs go out before the socket closes */
    while (self->jobs)
        s_job_free(self, self->jobs);
    while (self->scrapes)
        s_scrape_drop(self, self->scrapes, 0);
    cm_rpc_destroy(&self->rpc);
    cm_buf_destroy(&self->buf);
    self->tag = 0xdeadbeef;
    cm_free(self);
}

void bt_pool_drain(bt_pool_t *self, void (*drained)(void *arg), void *arg)
{
    assert(self && self->tag == BT_POOL_TAG);
    if (self->draining)
        return;
    self->draining = true;
    self->hb_due = true;
    self->drained = drained;
    self->drained_arg = arg;
    self->drain_start = cm_mono_ms();
    self->drain_left = UINT32_MAX; /* the first check logs */
    bt_stream_set_draining(self->stream);
    /* what waits on this worker asks the next one now, rather than when we are gone */
    uint32_t jobs = 0, scrapes = 0;
    while (self->jobs) {
        struct md_job *j = self->jobs;
        for (size_t i = 0; i < j->nwaiters; i++)
            cm_defer_error(&j->waiters[i], CM_ERR_UNAVAILABLE, "%s", "");
        j->nwaiters = 0;
        s_job_free(self, j);
        jobs++;
    }
    while (self->scrapes) {
        s_scrape_drop(self, self->scrapes, CM_ERR_UNAVAILABLE);
        scrapes++;
    }
    cm_log_n("pool", 0,
             "draining: no new torrent; %" PRIu32 " reads to hand over (the stream-proxy moves "
             "them), %" PRIu32 " metadata and %" PRIu32 " scrape requests sent elsewhere",
             bt_stream_reads(self->stream), jobs, scrapes);
    event_active(self->ev_hb, EV_TIMEOUT, 0); /* the HEARTBEAT now, the first check next */
}
