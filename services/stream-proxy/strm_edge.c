/* SPDX-License-Identifier: MIT
 * strm_edge: the HTTP byte edge (see strm_edge.h).
 *
 * Asynchronous steps hold no pointer to a request: their callbacks carry the request's stream
 * id and a generation, and look the request up again. A request that ended meanwhile (client
 * gone, session ended) is simply not found, and a step overtaken by a failover carries an old
 * generation and is ignored. */
#include <openssl/evp.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>
#include "strm_edge.h"
#include "cm_metrics.h"
#include "cm_token.h"
#include "auth_msg.h"
#include "common_msg.h"
#include "discovery_msg.h"
#include "stream_msg.h"
#include "strm_range.h"
#include "torrent_msg.h"

enum {
    EDGE_BUCKETS = 1024,          /* stream id -> request hash buckets */
    EDGE_SESSIONS_MAX = 4096,     /* sessions open at once */
    EDGE_KEYS_MAX = 4096,         /* checked stream keys cached */
    EDGE_SOURCES_MAX = 256,       /* sources cached */
    EDGE_SOURCE_CACHE_MS = 60000, /* a cached source is asked for again after this */
    EDGE_TRIES_MAX = 4,           /* workers tried for one request before giving up */
    EDGE_HIGH_MARK = 2 << 20,     /* client output queued above this: credit is held back */
    EDGE_LOW_MARK = 512 << 10,    /* ... and given back when it drains to this */
    EDGE_RPC_TIMEOUT_MS = 5000,   /* auth and discovery calls */
};

/* A torrent's files as a worker's OPEN_OK listed them: what a request needs to choose its file
 * and answer its headers, so that a request for a torrent known here goes straight to READ. */
struct layout {
    uint32_t n;           /* files listed */
    uint32_t files_total; /* files in the torrent (may exceed n) */
    struct {
        uint64_t size;
        const char *ctype; /* strm_content_type()'s */
        bool video;
    } f[];
};

/* A source as discovery gave it (secrets included). */
struct source {
    uint64_t id;
    char info_hash[41];
    char *magnet;        /* owned, may be "" */
    cm_buf_t *torrent;   /* owned, may be NULL (magnet only) */
    struct layout *lay;  /* owned, NULL until a worker opened it once */
    uint64_t fetched_ms; /* mono */
    uint64_t used_ms;    /* mono, for LRU */
    uint32_t refs;       /* the cache's and each request's */
};

/* A checked stream key, by the SHA-256 of the key. */
struct key {
    uint8_t hash[32];
    bool used;
    uint64_t user_id, source_id;
    int64_t expires_ms;  /* wall clock */
    uint64_t checked_ms; /* mono */
};

struct session {
    uint64_t id; /* 0: free */
    uint64_t user_id, source_id;
    uint32_t refs; /* requests in flight */
    uint64_t bytes;
    int64_t started_ms, active_ms; /* wall clock */
    char worker[STRM_WORKER_ID_MAX + 1];
};

enum req_state { RS_AUTH, RS_SOURCE, RS_OPEN, RS_READ, RS_DONE };

struct sreq {
    strm_edge_t *e;
    cm_http_req_t *req;
    struct sreq *bnext;       /* bucket chain */
    struct sreq *prev, *next; /* all requests */
    uint64_t stream_id;
    uint32_t gen; /* bumped at each (re)open: stale callbacks are ignored */
    int state;
    bool head;
    uint64_t user_id, source_id;
    struct session *sess;
    struct source *src;
    char worker[STRM_WORKER_ID_MAX + 1];
    char tried[EDGE_TRIES_MAX][STRM_WORKER_ID_MAX + 1];
    int ntried;
    bool opened;   /* OPEN_OK came from r->worker (else a READ may find the torrent closed) */
    bool no_local; /* the worker's cache file could not be read here: CHUNK, not CHUNK_LOCAL */
    long file_arg; /* ?file=N, -1 none */
    /* what is being served */
    uint32_t file;
    uint64_t file_size;
    char ctype[64];
    char etag[24];
    struct strm_range_plan plan;
    char boundary[33];
    size_t cur;            /* range being read */
    uint64_t pos;          /* next file offset to write */
    uint64_t end;          /* one past the current range's last byte */
    bool started;          /* status line sent */
    bool planned;          /* file and ranges chosen (a reopen after failover keeps them) */
    uint64_t withheld;     /* credit owed to the worker, held while the client is slow */
    uint64_t last_byte_ms; /* mono */
    struct event *timer;   /* first-byte and stall deadline */
};

struct strm_edge {
    struct event_base *base;
    struct strm_edge_opts o;
    struct cm_jwt_key jwt;
    cm_jwt_verifier_t *verifier;
    struct sreq *buckets[EDGE_BUCKETS];
    struct sreq *all;
    size_t nreqs;
    uint64_t next_stream_id;
    uint64_t next_session_id;
    struct session sessions[EDGE_SESSIONS_MAX];
    size_t nsessions;
    cm_metric_t *bytes_out; /* bytes queued for clients */
    struct key keys[EDGE_KEYS_MAX];
    struct source *sources[EDGE_SOURCES_MAX];
};

static void s_source_unref(struct source *s);

/* --- lookups --- */

static struct sreq *s_find(strm_edge_t *e, uint64_t stream_id)
{
    for (struct sreq *r = e->buckets[stream_id % EDGE_BUCKETS]; r; r = r->bnext)
        if (r->stream_id == stream_id)
            return r;
    return NULL;
}

/* A callback's handle on a request: found only if it still exists at that generation. */
struct ticket {
    strm_edge_t *e;
    uint64_t stream_id;
    uint32_t gen;
};

static struct ticket *s_ticket(struct sreq *r)
{
    struct ticket *t = cm_malloc(sizeof(*t));
    *t = (struct ticket){r->e, r->stream_id, r->gen};
    return t;
}

/* Take the ticket back: the request, or NULL when it is gone or moved on. Frees `t`. */
static struct sreq *s_redeem(struct ticket *t)
{
    struct sreq *r = s_find(t->e, t->stream_id);
    if (r && r->gen != t->gen)
        r = NULL;
    cm_free(t);
    return r;
}

/* `r` under a fresh stream id in the id hash, and out of it. */
static void s_bucket_link(struct sreq *r)
{
    strm_edge_t *e = r->e;
    r->stream_id = ++e->next_stream_id;
    r->bnext = e->buckets[r->stream_id % EDGE_BUCKETS];
    e->buckets[r->stream_id % EDGE_BUCKETS] = r;
}

static void s_bucket_unlink(struct sreq *r)
{
    struct sreq **pp = &r->e->buckets[r->stream_id % EDGE_BUCKETS];
    while (*pp && *pp != r)
        pp = &(*pp)->bnext;
    if (*pp)
        *pp = r->bnext;
}

/* A new stream id for `r`, for a read that must not be mistaken for the one it replaces. */
static void s_rekey(struct sreq *r)
{
    s_bucket_unlink(r);
    s_bucket_link(r);
}

/* --- sessions --- */

static struct session *s_session_get(strm_edge_t *e, uint64_t user, uint64_t source, int *status)
{
    int mine = 0;
    struct session *free_slot = NULL;
    for (size_t i = 0; i < EDGE_SESSIONS_MAX; i++) {
        struct session *s = &e->sessions[i];
        if (!s->id) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (s->user_id != user)
            continue;
        if (s->source_id == source) {
            s->refs++;
            return s;
        }
        mine++;
    }
    if (mine >= e->o.sessions_per_user) {
        *status = 429;
        return NULL;
    }
    if (!free_slot) {
        *status = 503;
        return NULL;
    }
    int64_t now = (int64_t)cm_now_ms();
    *free_slot = (struct session){.id = ++e->next_session_id,
                                  .user_id = user,
                                  .source_id = source,
                                  .refs = 1,
                                  .started_ms = now,
                                  .active_ms = now};
    e->nsessions++;
    return free_slot;
}

static void s_session_put(strm_edge_t *e, struct session *s)
{
    if (!s || !s->id)
        return;
    if (--s->refs == 0) {
        memset(s, 0, sizeof(*s));
        e->nsessions--;
    }
}

/* --- the request's end --- */

static void s_close_worker_read(struct sreq *r)
{
    if (r->worker[0] && (r->state == RS_READ || r->state == RS_OPEN)) {
        struct torrent_close c = {.stream_id = r->stream_id};
        cm_buf_t *b = cm_buf_new(32);
        if (torrent_close_encode(&c, b) == 0)
            strm_pool_send(r->e->o.pool, r->worker, TORRENT_MSG_CLOSE, b);
        cm_buf_destroy(&b);
    }
}

/* Unlink and free `r`; the HTTP request must have been answered (or be answered by the
 * caller right after, from a copy of r->req). */
static void s_free(struct sreq *r)
{
    strm_edge_t *e = r->e;
    s_bucket_unlink(r);
    if (r->prev)
        r->prev->next = r->next;
    else
        e->all = r->next;
    if (r->next)
        r->next->prev = r->prev;
    e->nreqs--;
    s_session_put(e, r->sess);
    s_source_unref(r->src);
    if (r->timer)
        event_free(r->timer);
    cm_free(r);
}

/* End the request: an error before any byte (JSON), or a cut connection after. */
static void s_fail(struct sreq *r, int status, const char *code, const char *fmt, ...)
    CM_PRINTF(4, 5);

static void s_fail(struct sreq *r, int status, const char *code, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    cm_http_req_t *req = r->req;
    bool started = r->started;
    s_close_worker_read(r);
    r->state = RS_DONE;
    cm_http_req_set_drain_cb(req, NULL, NULL, 0);
    cm_http_req_set_close_cb(req, NULL, NULL);
    if (started)
        cm_log_w("edge", cm_http_req_id(req),
                 "stream %" PRIu64 " cut after %" PRIu64 " of the range: %s", r->stream_id, r->pos,
                 why);
    s_free(r);
    if (started) {
        cm_http_reply_end(req); /* short body: the connection closes */
        return;
    }
    if (status == 429 || status == 503)
        cm_http_req_add_header(req, "Retry-After", "1");
    cm_http_reply_json_error(req, status, code, "%s", why);
}

static void s_done(struct sreq *r)
{
    cm_http_req_t *req = r->req;
    r->state = RS_DONE;
    cm_http_req_set_drain_cb(req, NULL, NULL, 0);
    cm_http_req_set_close_cb(req, NULL, NULL);
    s_free(r);
    cm_http_reply_end(req);
}

/* The client went away: the worker stops reading, the session loses a request, now. */
static void s_on_client_close(cm_http_req_t *req, void *arg)
{
    struct sreq *r = arg;
    s_close_worker_read(r);
    r->state = RS_DONE;
    cm_http_req_set_drain_cb(req, NULL, NULL, 0);
    bool started = r->started;
    s_free(r);
    if (started)
        cm_http_reply_end(req);
    else
        cm_http_reply_json_error(req, 499, "client_closed", "the client closed the connection");
}

/* --- timers --- */

static void s_arm(struct sreq *r, int ms)
{
    struct timeval tv = cm_tv_ms(ms);
    evtimer_add(r->timer, &tv);
}

static void s_on_timer(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    struct sreq *r = arg;
    if (r->state != RS_READ)
        return;
    if (!r->started) {
        s_fail(r, 504, "timeout",
               "no data from the swarm within %d s (no peers, or none that have these pieces)",
               r->e->o.first_byte_timeout_ms / 1000);
        return;
    }
    uint64_t idle = cm_mono_ms() - r->last_byte_ms;
    if (idle >= (uint64_t)r->e->o.stall_timeout_ms) {
        s_fail(r, 504, "timeout", "the stream stalled for %d s", r->e->o.stall_timeout_ms / 1000);
        return;
    }
    s_arm(r, (int)((uint64_t)r->e->o.stall_timeout_ms - idle));
}

/* --- reading --- */

static void s_open(struct sreq *r);
static void s_open_send(struct sreq *r);
static void s_move(struct sreq *r, bool planned, const char *why);

static void s_send_credit(struct sreq *r, uint64_t bytes)
{
    struct torrent_stream_credit c = {.stream_id = r->stream_id, .bytes = bytes};
    cm_buf_t *b = cm_buf_new(32);
    if (torrent_stream_credit_encode(&c, b) == 0)
        strm_pool_send(r->e->o.pool, r->worker, TORRENT_MSG_STREAM_CREDIT, b);
    cm_buf_destroy(&b);
}

/* READ the current range from r->pos. */
static void s_read(struct sreq *r)
{
    struct torrent_read m = {.stream_id = r->stream_id,
                             .file = r->file,
                             .offset = r->pos,
                             .length = r->end - r->pos,
                             .credit = r->e->o.credit_window,
                             .local = r->e->o.local_reads && !r->no_local &&
                                      strm_pool_local_dir(r->e->o.pool, r->worker) >= 0};
    snprintf(m.info_hash, sizeof(m.info_hash), "%s", r->src->info_hash);
    cm_buf_t *b = cm_buf_new(128);
    int rc = torrent_read_encode(&m, b) == 0
                 ? strm_pool_send(r->e->o.pool, r->worker, TORRENT_MSG_READ, b)
                 : -1;
    cm_buf_destroy(&b);
    r->withheld = 0;
    r->state = RS_READ;
    r->last_byte_ms = cm_mono_ms();
    s_arm(r, r->started ? r->e->o.stall_timeout_ms : r->e->o.first_byte_timeout_ms);
    if (rc < 0) {
        /* the worker left between the pick and now: the next one */
        s_open(r);
    }
}

/* Begin range `cur`: its multipart part head, then READ. */
static void s_begin_range(struct sreq *r)
{
    const struct strm_range *rg = &r->plan.r[r->cur];
    r->pos = rg->first;
    r->end = rg->last + 1;
    if (r->plan.kind == STRM_RANGE_MULTI && r->started) {
        char head[512];
        size_t n =
            strm_multipart_part_head(head, sizeof(head), r->boundary, r->ctype, rg, r->file_size);
        cm_http_reply_write(r->req, head, n);
    }
    s_read(r);
}

/* The status line and headers, sent with the first byte. */
static void s_start(struct sreq *r)
{
    cm_http_req_t *req = r->req;
    int status = r->plan.kind == STRM_RANGE_NONE ? 200 : 206;
    uint64_t length = r->file_size;
    char v[160];
    if (r->plan.kind == STRM_RANGE_ONE) {
        strm_range_content_range(v, sizeof(v), &r->plan.r[0], r->file_size);
        cm_http_req_add_header(req, "Content-Range", v);
        cm_http_req_add_header(req, "Content-Type", r->ctype);
        length = r->plan.r[0].last - r->plan.r[0].first + 1;
    } else if (r->plan.kind == STRM_RANGE_MULTI) {
        snprintf(v, sizeof(v), "multipart/byteranges; boundary=%s", r->boundary);
        cm_http_req_add_header(req, "Content-Type", v);
        length = strm_multipart_length(&r->plan, r->boundary, r->ctype, r->file_size);
    } else {
        cm_http_req_add_header(req, "Content-Type", r->ctype);
    }
    cm_http_req_add_header(req, "Accept-Ranges", "bytes");
    cm_http_req_add_header(req, "ETag", r->etag);
    cm_http_req_add_header(req, "Cache-Control", "private, no-store");
    cm_http_req_add_header(req, "X-Content-Type-Options", "nosniff");
    r->started = true;
    cm_http_reply_start(req, status, (int64_t)length);
    if (r->plan.kind == STRM_RANGE_MULTI) {
        char head[512];
        size_t n = strm_multipart_part_head(head, sizeof(head), r->boundary, r->ctype,
                                            &r->plan.r[r->cur], r->file_size);
        cm_http_reply_write(req, head, n);
    }
}

static void s_on_drain(cm_http_req_t *req, void *arg)
{
    CM_UNUSED(req);
    struct sreq *r = arg;
    if (r->withheld && r->state == RS_READ) {
        s_send_credit(r, r->withheld);
        r->withheld = 0;
    }
}

static void s_advance(struct sreq *r, size_t len);

static void s_on_chunk(void *arg, const char *worker_id, uint64_t stream_id, uint64_t offset,
                       const void *data, size_t len)
{
    strm_edge_t *e = arg;
    struct sreq *r = s_find(e, stream_id);
    if (!r || r->state != RS_READ || strcmp(r->worker, worker_id) != 0)
        return; /* a read we gave up (seek, failover, end) */
    if (offset != r->pos || len == 0)
        return; /* not the next byte: a stale chunk, never written twice */
    if (len > r->end - r->pos)
        len = (size_t)(r->end - r->pos);
    if (!r->started)
        s_start(r);
    if (cm_http_reply_write(r->req, data, len) < 0) {
        s_fail(r, 499, "client_closed", "the client is gone");
        return;
    }
    s_advance(r, len);
}

/* CHUNK_LOCAL: the bytes are in the worker's cache file, on our filesystem; the connection
 * sends them from there. A file we cannot read (moved, not ours after all) costs nothing: the
 * read goes on from r->pos with its bytes over the pool. */
static void s_on_chunk_local(void *arg, const char *worker_id, uint64_t stream_id, uint64_t offset,
                             uint64_t len, const char *path)
{
    strm_edge_t *e = arg;
    struct sreq *r = s_find(e, stream_id);
    if (!r || r->state != RS_READ || strcmp(r->worker, worker_id) != 0)
        return;
    if (offset != r->pos || len == 0)
        return;
    if (len > r->end - r->pos)
        len = r->end - r->pos;
    int dfd = strm_pool_local_dir(e->o.pool, worker_id);
    int fd = dfd >= 0 ? strm_open_beneath(dfd, path) : -1;
    int err = errno;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < offset ||
        (uint64_t)st.st_size - offset < len) {
        if (fd >= 0) {
            err = EINVAL;
            close(fd);
        }
        cm_log_w("edge", cm_http_req_id(r->req),
                 "cannot read worker %s's cache file (%s): its bytes come over the pool", worker_id,
                 strerror(err));
        r->no_local = true;
        s_close_worker_read(r);
        s_rekey(r); /* what the old read still sends (chunks, its READ_END) finds no request */
        s_read(r);
        return;
    }
    if (!r->started)
        s_start(r);
    if (cm_http_reply_write_file(r->req, fd, offset, (size_t)len) < 0) {
        s_fail(r, 499, "client_closed", "the client is gone");
        return;
    }
    s_advance(r, (size_t)len);
}

/* `len` more bytes of the range are queued for the client: account them, give credit back. */
static void s_advance(struct sreq *r, size_t len)
{
    cm_metric_add(r->e->bytes_out, (double)len);
    r->pos += len;
    r->last_byte_ms = cm_mono_ms();
    if (r->sess) {
        r->sess->bytes += len;
        r->sess->active_ms = (int64_t)cm_now_ms();
    }
    if (cm_http_req_output_pending(r->req) < EDGE_HIGH_MARK)
        s_send_credit(r, len + r->withheld), r->withheld = 0;
    else
        r->withheld += len;
}

static void s_on_read_end(void *arg, const char *worker_id, uint64_t stream_id, int status,
                          const char *reason)
{
    strm_edge_t *e = arg;
    struct sreq *r = s_find(e, stream_id);
    if (!r || r->state != RS_READ || strcmp(r->worker, worker_id) != 0)
        return;
    if (status == 0 && r->pos == r->end) {
        if (++r->cur < r->plan.n && r->plan.kind == STRM_RANGE_MULTI) {
            s_begin_range(r);
            return;
        }
        if (r->plan.kind == STRM_RANGE_MULTI) {
            char tail[64];
            size_t n = strm_multipart_tail(tail, sizeof(tail), r->boundary);
            cm_http_reply_write(r->req, tail, n);
        }
        s_done(r);
        return;
    }
    if (status == CM_ERR_NOT_FOUND && !r->opened) {
        s_open_send(r); /* read straight from the layout, but the torrent is not open there */
        return;
    }
    if (status == CM_ERR_SHUTDOWN) { /* the worker is stopping: as if it had died */
        s_move(r, false, "stopped");
        return;
    }
    if (status == 0) {
        s_fail(r, 502, "bad_worker", "the worker ended the read at %" PRIu64 " of %" PRIu64, r->pos,
               r->end);
        return;
    }
    int http = cm_status_http(status);
    s_fail(r, http >= 500 || http < 400 ? (status == CM_ERR_TIMEOUT ? 504 : 503) : http,
           cm_status_code(status), "the worker could not read: %s", reason[0] ? reason : "?");
}

/* --- OPEN: the file, the plan, the headers of a HEAD or a 416 --- */

/* ?file=N: N, -1 when absent, -2 when malformed. */
static long s_file_arg(cm_http_req_t *req)
{
    long x = cm_http_query_uint(cm_http_req_query(req), "file", -2, 0, 9999999);
    return x == -2 ? -1 : x < 0 ? -2 : x;
}

static void s_store_torrent(struct sreq *r, const struct torrent_open_ok *ok);
static void s_read_planned(struct sreq *r);
static void s_plan(struct sreq *r);

static void s_on_open(int status, const cm_msg_t *reply, void *arg)
{
    struct sreq *r = s_redeem(arg);
    if (!r || r->state != RS_OPEN)
        return;
    if (status != CM_OK) {
        struct common_error err = {0};
        if (reply)
            common_error_decode(&err, reply->body.data, reply->body.len);
        if (status == CM_ERR_UNAVAILABLE && strm_pool_draining(r->e->o.pool, r->worker)) {
            /* it got SIGTERM after we picked it (its HEARTBEAT came first, so we know) */
            cm_log_i("edge", cm_http_req_id(r->req), "worker %s is draining: OPEN goes on",
                     r->worker);
            s_open(r);
            return;
        }
        if (status == CM_ERR_TIMEOUT || status == CM_ERR_UNAVAILABLE) {
            if (!err.reason[0] && strm_pool_live(r->e->o.pool) > (uint32_t)r->ntried) {
                s_open(r); /* the worker did not answer at all: try the next */
                return;
            }
            s_fail(r, 504, "timeout", "the torrent's metadata did not arrive: %s",
                   err.reason[0] ? err.reason : "the worker did not answer");
            return;
        }
        s_fail(r, 502, "bad_worker", "the worker could not open the torrent: %s",
               err.reason[0] ? err.reason : cm_status_str(status));
        return;
    }
    struct torrent_open_ok *ok = cm_malloc(sizeof(*ok));
    if (torrent_open_ok_decode(ok, reply->body.data, reply->body.len) < 0 ||
        ok->file_paths_count != ok->file_sizes_count || ok->file_paths_count == 0) {
        cm_free(ok);
        s_fail(r, 502, "bad_worker", "the worker's file list does not decode");
        return;
    }
    if (!r->src->torrent && ok->torrent.len)
        s_store_torrent(r, ok);
    struct layout *lay = cm_malloc(sizeof(*lay) + ok->file_paths_count * sizeof(lay->f[0]));
    lay->n = ok->file_paths_count;
    lay->files_total = ok->files_total ? ok->files_total : ok->file_paths_count;
    for (uint32_t i = 0; i < lay->n; i++) {
        lay->f[i].size = ok->file_sizes[i];
        lay->f[i].ctype = strm_content_type(ok->file_paths[i]);
        lay->f[i].video = strm_is_video(ok->file_paths[i]);
    }
    cm_free(ok);
    cm_free(r->src->lay);
    r->src->lay = lay;
    r->opened = true;
    if (r->planned)
        s_read_planned(r);
    else
        s_plan(r);
}

/* Reopened (on another worker after a failure, or where the torrent had closed): the same
 * file and plan, from r->pos. */
static void s_read_planned(struct sreq *r)
{
    const struct layout *lay = r->src->lay;
    if (r->file >= lay->n || lay->f[r->file].size != r->file_size) {
        s_fail(r, 502, "bad_worker", "the worker sees another file layout");
        return;
    }
    s_read(r);
}

/* The file (?file=N, else the largest video file, else the largest file) and the ranges, from
 * the source's layout; then the answer of a HEAD or a 416, else READ. */
static void s_plan(struct sreq *r)
{
    const struct layout *lay = r->src->lay;
    long want = r->file_arg;
    if (want >= (long)lay->n) {
        s_fail(r, 404, "not_found", "no file %ld: the torrent has %u", want, lay->files_total);
        return;
    }
    if (want < 0) {
        uint64_t best_size = 0;
        bool best_video = false;
        for (uint32_t i = 0; i < lay->n; i++) {
            bool v = lay->f[i].video;
            if (want < 0 || (v && !best_video) || (v == best_video && lay->f[i].size > best_size)) {
                want = i;
                best_size = lay->f[i].size;
                best_video = v;
            }
        }
    }
    r->file = (uint32_t)want;
    r->file_size = lay->f[r->file].size;
    snprintf(r->ctype, sizeof(r->ctype), "%s", lay->f[r->file].ctype);
    strm_etag(r->etag, r->src->info_hash, r->file, r->file_size);

    cm_http_req_t *req = r->req;
    const char *range = cm_http_req_header(req, "Range");
    if (range && !strm_range_if_range(cm_http_req_header(req, "If-Range"), r->etag, 0))
        range = NULL;
    if (range)
        strm_range_parse(range, r->file_size, &r->plan);
    else
        r->plan = (struct strm_range_plan){.kind = STRM_RANGE_NONE};
    if (r->plan.kind == STRM_RANGE_UNSATISFIABLE) {
        char v[64];
        strm_range_unsatisfied(v, sizeof(v), r->file_size);
        cm_http_req_add_header(req, "Content-Range", v);
        cm_http_req_add_header(req, "Accept-Ranges", "bytes");
        s_fail(r, 416, "range_not_satisfiable", "the range is outside the file's %" PRIu64 " bytes",
               r->file_size);
        return;
    }
    if (r->plan.kind == STRM_RANGE_NONE) {
        r->plan.n = 1;
        r->plan.r[0] = (struct strm_range){0, r->file_size ? r->file_size - 1 : 0};
    }
    if (r->plan.kind == STRM_RANGE_MULTI)
        strm_multipart_boundary(r->boundary);
    r->cur = 0;
    r->planned = true;
    if (r->head || r->file_size == 0) {
        r->state = RS_READ;
        s_start(r);
        s_done(r);
        return;
    }
    r->pos = r->plan.r[0].first;
    r->end = r->plan.r[0].last + 1;
    s_read(r);
}

static void s_open(struct sreq *r)
{
    strm_edge_t *e = r->e;
    const char *skip[EDGE_TRIES_MAX];
    for (int i = 0; i < r->ntried; i++)
        skip[i] = r->tried[i];
    char w[STRM_WORKER_ID_MAX + 1];
    if (r->ntried >= EDGE_TRIES_MAX ||
        !strm_pool_pick(e->o.pool, r->src->info_hash, skip, (size_t)r->ntried, w)) {
        s_fail(r, 503, "no_worker", "no torrent worker is available");
        return;
    }
    snprintf(r->worker, sizeof(r->worker), "%s", w);
    snprintf(r->tried[r->ntried++], sizeof(r->tried[0]), "%s", w);
    if (r->sess)
        snprintf(r->sess->worker, sizeof(r->sess->worker), "%s", w);
    r->opened = false;
    if (r->src->lay) {
        /* the layout is known: READ at once; a worker that has not the torrent open answers
         * NOT_FOUND, and gets the OPEN then (s_on_read_end) */
        if (r->planned)
            s_read_planned(r);
        else
            s_plan(r);
        return;
    }
    s_open_send(r);
}

/* OPEN the torrent on r->worker. */
static void s_open_send(struct sreq *r)
{
    strm_edge_t *e = r->e;
    r->gen++;
    r->state = RS_OPEN;
    struct torrent_open *m = cm_calloc(1, sizeof(*m));
    snprintf(m->info_hash, sizeof(m->info_hash), "%s", r->src->info_hash);
    if (r->src->torrent) {
        m->torrent.data = cm_buf_data(r->src->torrent);
        m->torrent.len = cm_buf_len(r->src->torrent);
    } else {
        snprintf(m->magnet, sizeof(m->magnet), "%s", r->src->magnet);
    }
    m->timeout_ms = (uint32_t)e->o.open_timeout_ms;
    cm_buf_t *b = cm_buf_new(1024 + m->torrent.len);
    struct ticket *t = s_ticket(r);
    uint64_t rid = torrent_open_encode(m, b) == 0
                       ? strm_pool_call(e->o.pool, r->worker, TORRENT_MSG_OPEN, b,
                                        e->o.open_timeout_ms + 2000, s_on_open, t)
                       : 0;
    cm_buf_destroy(&b);
    cm_free(m);
    if (!rid) {
        cm_free(t);
        s_open(r); /* gone already: the next one */
    }
}

/* Move `r` off its worker to the next one in rendezvous order, from r->pos, the first byte
 * not yet written: no byte lost, none twice (the layout is known, so the next worker gets a
 * READ at once; without the torrent open it answers NOT_FOUND and gets the OPEN). The request
 * takes a new stream id, so that whatever the old read still sends finds no request.
 * `planned`: the worker drains and still serves, so its read is CLOSEd first, and the tries
 * start again (a long stream may outlive several rolling restarts; the draining worker stays
 * skipped). Else it died or stopped: nothing is sent to it. */
static void s_move(struct sreq *r, bool planned, const char *why)
{
    cm_log_n("edge", cm_http_req_id(r->req),
             "worker %s %s under stream %" PRIu64 ": moving on at byte %" PRIu64, r->worker, why,
             r->stream_id, r->pos);
    if (planned) {
        s_close_worker_read(r);
        r->ntried = 0;
        snprintf(r->tried[r->ntried++], sizeof(r->tried[0]), "%s", r->worker);
    }
    s_rekey(r);
    r->worker[0] = '\0';
    r->no_local = false; /* that was the old worker's cache */
    s_open(r);
}

/* Move every request that opens or reads on `worker_id` (s_move). A planned move needs
 * another worker: without one the request stays, served until the draining worker stops. */
static void s_move_all(strm_edge_t *e, const char *worker_id, bool planned, const char *why)
{
    /* collect first: a move may fail a request, which unlinks it */
    uint64_t *ids = cm_malloc((e->nreqs ? e->nreqs : 1) * sizeof(*ids));
    size_t n = 0;
    for (struct sreq *r = e->all; r && n < e->nreqs; r = r->next)
        if ((r->state == RS_OPEN || r->state == RS_READ) && strcmp(r->worker, worker_id) == 0)
            ids[n++] = r->stream_id;
    size_t moved = 0, stayed = 0;
    for (size_t i = 0; i < n; i++) {
        struct sreq *r = s_find(e, ids[i]);
        if (!r)
            continue;
        char w[STRM_WORKER_ID_MAX + 1];
        if (planned && !strm_pool_pick(e->o.pool, r->src->info_hash, &worker_id, 1, w)) {
            stayed++;
            continue;
        }
        s_move(r, planned, why);
        moved++;
    }
    cm_free(ids);
    if (stayed)
        cm_log_w("edge", 0,
                 "worker %s %s: %zu streams stay on it (no other worker is live), %zu moved",
                 worker_id, why, stayed, moved);
    else if (planned)
        cm_log_n("edge", 0, "worker %s %s: %zu streams moved", worker_id, why, moved);
}

static void s_on_worker_gone(void *arg, const char *worker_id)
{
    s_move_all(arg, worker_id, false, "died");
}

/* A planned failover: the worker got SIGTERM and serves on until its streams are elsewhere. */
static void s_on_worker_draining(void *arg, const char *worker_id)
{
    s_move_all(arg, worker_id, true, "drains");
}

/* --- the source --- */

static struct source *s_source_cached(strm_edge_t *e, uint64_t id)
{
    uint64_t now = cm_mono_ms();
    for (size_t i = 0; i < EDGE_SOURCES_MAX; i++) {
        struct source *s = e->sources[i];
        if (s && s->id == id && now - s->fetched_ms < EDGE_SOURCE_CACHE_MS) {
            s->used_ms = now;
            return s;
        }
    }
    return NULL;
}

static void s_source_free(struct source *s)
{
    if (!s)
        return;
    cm_free(s->magnet);
    cm_buf_destroy(&s->torrent);
    cm_free(s->lay);
    cm_free(s);
}

static void s_source_unref(struct source *s)
{
    if (s && --s->refs == 0)
        s_source_free(s);
}

/* Keep `s` in the cache (which takes a reference): it replaces the entry of the same id, else
 * a free slot, else the least recently used entry. A replaced entry lives on while requests
 * still hold it. */
static void s_source_put(strm_edge_t *e, struct source *s)
{
    size_t slot = EDGE_SOURCES_MAX;
    for (size_t i = 0; i < EDGE_SOURCES_MAX; i++) {
        struct source *c = e->sources[i];
        if (c && c->id == s->id) {
            slot = i;
            break;
        }
        if (!c && slot == EDGE_SOURCES_MAX)
            slot = i;
    }
    if (slot == EDGE_SOURCES_MAX) {
        slot = 0;
        for (size_t i = 1; i < EDGE_SOURCES_MAX; i++)
            if (e->sources[i]->used_ms < e->sources[slot]->used_ms)
                slot = i;
    }
    s_source_unref(e->sources[slot]);
    s->refs++;
    e->sources[slot] = s;
}

/* A magnet-only source's .torrent, fetched by the worker: kept here and given to discovery so
 * that the next OPEN anywhere needs no metadata exchange. */
static void s_store_torrent(struct sreq *r, const struct torrent_open_ok *ok)
{
    struct source *src = r->src;
    src->torrent = cm_buf_new(ok->torrent.len);
    if (cm_buf_append(src->torrent, ok->torrent.data, ok->torrent.len) < 0) {
        cm_buf_destroy(&src->torrent);
        return;
    }
    struct discovery_source_set_torrent *m = cm_calloc(1, sizeof(*m));
    m->id = src->id;
    m->torrent = ok->torrent;
    cm_buf_t *b = cm_buf_new(ok->torrent.len + 64);
    if (discovery_source_set_torrent_encode(m, b) == 0)
        cm_rpc_send(r->e->o.discovery, NULL, DISCOVERY_PROTO, DISCOVERY_MSG_SOURCE_SET_TORRENT,
                    cm_http_req_id(r->req), b, NULL);
    cm_buf_destroy(&b);
    cm_free(m);
}

static void s_on_source(int status, const cm_msg_t *reply, void *arg)
{
    struct sreq *r = s_redeem(arg);
    if (!r || r->state != RS_SOURCE)
        return;
    if (status != CM_OK) {
        int http = status == CM_ERR_NOT_FOUND ? 404 : status == CM_ERR_TIMEOUT ? 504 : 503;
        s_fail(r, http, http == 404 ? "not_found" : "unavailable",
               http == 404 ? "no such source" : "the catalog is unavailable");
        return;
    }
    struct discovery_source *m = cm_malloc(sizeof(*m));
    if (discovery_source_decode(m, reply->body.data, reply->body.len) < 0 ||
        strlen(m->info_hash) != 40) {
        cm_free(m);
        s_fail(r, 502, "bad_catalog", "the source does not decode");
        return;
    }
    struct source *s = cm_calloc(1, sizeof(*s));
    s->id = r->source_id;
    for (size_t i = 0; i < 40; i++)
        s->info_hash[i] = (char)(m->info_hash[i] | 0x20);
    s->magnet = cm_strdup(m->magnet);
    if (m->torrent.len) {
        s->torrent = cm_buf_new(m->torrent.len);
        if (cm_buf_append(s->torrent, m->torrent.data, m->torrent.len) < 0)
            cm_buf_destroy(&s->torrent);
    }
    s->fetched_ms = s->used_ms = cm_mono_ms();
    cm_free(m);
    if (!s->torrent && !s->magnet[0]) {
        s_source_free(s);
        s_fail(r, 502, "bad_catalog", "the source has neither a .torrent nor a magnet");
        return;
    }
    s_source_put(r->e, s);
    s->refs++; /* the request's */
    r->src = s;
    s_open(r);
}

/* --- the key --- */

static void s_got_caller(struct sreq *r)
{
    strm_edge_t *e = r->e;
    int st = 0;
    if (!(r->sess = s_session_get(e, r->user_id, r->source_id, &st))) {
        s_fail(r, st, st == 429 ? "too_many_streams" : "busy",
               st == 429 ? "at most %d streams at once per user" : "too many streams (%d per user)",
               e->o.sessions_per_user);
        return;
    }
    r->src = s_source_cached(e, r->source_id);
    if (r->src) {
        r->src->refs++;
        s_open(r);
        return;
    }
    r->state = RS_SOURCE;
    struct discovery_source_get q = {.id = r->source_id, .secrets = true};
    cm_buf_t *b = cm_buf_new(64);
    if (discovery_source_get_encode(&q, b) == 0)
        cm_rpc_call(e->o.discovery, NULL, DISCOVERY_PROTO, DISCOVERY_MSG_SOURCE_GET,
                    cm_http_req_id(r->req), b, NULL, EDGE_RPC_TIMEOUT_MS, s_on_source, s_ticket(r));
    cm_buf_destroy(&b);
}

static struct key *s_key_slot(strm_edge_t *e, const uint8_t hash[32], bool create)
{
    size_t i = ((size_t)hash[0] << 8 | hash[1]) % EDGE_KEYS_MAX;
    struct key *k = &e->keys[i]; /* direct-mapped: a collision just evicts */
    if (k->used && memcmp(k->hash, hash, 32) == 0)
        return k;
    if (!create)
        return NULL;
    memset(k, 0, sizeof(*k));
    memcpy(k->hash, hash, 32);
    return k;
}

static void s_on_key(int status, const cm_msg_t *reply, void *arg)
{
    struct ticket *t = arg;
    strm_edge_t *e = t->e;
    struct sreq *r = s_redeem(t);
    if (!r || r->state != RS_AUTH)
        return;
    struct auth_stream_key_ok ok;
    if (status != CM_OK || auth_stream_key_ok_decode(&ok, reply->body.data, reply->body.len) < 0) {
        if (status == CM_ERR_UNAUTHORIZED || status == CM_OK)
            s_fail(r, 401, "invalid_key",
                   "the stream key is not valid (expired, or its session ended)");
        else
            s_fail(r, status == CM_ERR_TIMEOUT ? 504 : 503, "unavailable",
                   "the auth service is unavailable");
        return;
    }
    uint8_t hash[32];
    const char *key = cm_http_req_path(r->req) + strlen("/api/stream/");
    EVP_Digest(key, strlen(key), hash, NULL, EVP_sha256(), NULL);
    struct key *k = s_key_slot(e, hash, true);
    k->used = true;
    k->user_id = ok.user_id;
    k->source_id = ok.source_id;
    k->expires_ms = ok.expires_ms;
    k->checked_ms = cm_mono_ms();
    r->user_id = ok.user_id;
    r->source_id = ok.source_id;
    s_got_caller(r);
}

/* --- entry --- */

static struct sreq *s_new(strm_edge_t *e, cm_http_req_t *req)
{
    struct sreq *r = cm_calloc(1, sizeof(*r));
    r->e = e;
    r->req = req;
    r->head = strcmp(cm_http_req_method(req), "HEAD") == 0;
    r->timer = evtimer_new(e->base, s_on_timer, r);
    s_bucket_link(r);
    r->next = e->all;
    if (e->all)
        e->all->prev = r;
    e->all = r;
    e->nreqs++;
    cm_http_req_set_close_cb(req, s_on_client_close, r);
    cm_http_req_set_drain_cb(req, s_on_drain, r, EDGE_LOW_MARK);
    return r;
}

static bool s_key_shaped(const char *k)
{
    size_t n = strlen(k);
    if (n < 16 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if (cm_b64_digit((unsigned char)k[i], true) < 0)
            return false;
    return true;
}

bool strm_edge_handle(strm_edge_t *e, cm_http_req_t *req)
{
    const char *path = cm_http_req_path(req);
    if (strncmp(path, "/api/stream/", 12) != 0)
        return false;
    const char *m = cm_http_req_method(req);
    if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) {
        cm_http_req_add_header(req, "Allow", "GET, HEAD");
        cm_http_reply_json_error(req, 405, "method_not_allowed", "%s is not allowed here; use GET",
                                 m);
        return true;
    }
    long file = s_file_arg(req);
    if (file == -2) {
        cm_http_reply_json_error(req, 400, "invalid", "file must be a file index: ?file=N");
        return true;
    }
    const char *rest = path + 12;
    if (strncmp(rest, "source/", 7) == 0) {
        /* an API client with its access token */
        const char *idp = rest + 7;
        uint64_t id = 0;
        size_t digits = 0;
        for (; idp[digits] >= '0' && idp[digits] <= '9' && digits < 19; digits++)
            id = id * 10 + (uint64_t)(idp[digits] - '0');
        if (!digits || idp[digits] || !id) {
            cm_http_reply_json_error(req, 404, "not_found", "no such source");
            return true;
        }
        const char *h = cm_http_req_header(req, "Authorization");
        struct cm_jwt_claims c;
        char err[CM_ERR_LEN];
        int64_t now_s = (int64_t)(cm_now_ms() / 1000);
        if (h && e->o.revoke && !cm_revoke_synced(e->o.revoke)) {
            cm_http_req_add_header(req, "Retry-After", "1");
            cm_http_reply_json_error(req, 503, "unavailable",
                                     "starting: the auth service has not answered yet");
            return true;
        }
        if (!h || !e->verifier || strncasecmp(h, "Bearer ", 7) != 0 ||
            cm_jwt_verifier_check(e->verifier, h + 7, strlen(h + 7), now_s, &c, err, sizeof(err)) <
                0 ||
            (e->o.revoke &&
             cm_revoke_is_void(e->o.revoke, c.sid, c.user_id, c.ver, c.iat, now_s))) {
            cm_http_req_add_header(req, "WWW-Authenticate", "Bearer realm=\"marquee\"");
            cm_http_reply_json_error(req, 401, h ? "invalid_token" : "unauthorized",
                                     "a valid access token is required");
            return true;
        }
        struct sreq *r = s_new(e, req);
        r->file_arg = file;
        r->user_id = c.user_id;
        r->source_id = id;
        s_got_caller(r);
        return true;
    }
    if (!s_key_shaped(rest)) {
        cm_http_reply_json_error(req, 401, "invalid_key", "the stream key is not valid");
        return true;
    }
    struct sreq *r = s_new(e, req);
    r->file_arg = file;
    uint8_t hash[32];
    EVP_Digest(rest, strlen(rest), hash, NULL, EVP_sha256(), NULL);
    struct key *k = s_key_slot(e, hash, false);
    if (k && cm_mono_ms() - k->checked_ms < (uint64_t)e->o.key_cache_ms &&
        k->expires_ms > (int64_t)cm_now_ms()) {
        r->user_id = k->user_id;
        r->source_id = k->source_id;
        s_got_caller(r);
        return true;
    }
    r->state = RS_AUTH;
    struct auth_stream_key_check q;
    snprintf(q.key, sizeof(q.key), "%s", rest);
    cm_buf_t *b = cm_buf_new(256);
    if (auth_stream_key_check_encode(&q, b) == 0)
        cm_rpc_call(e->o.auth, NULL, AUTH_PROTO, AUTH_MSG_STREAM_KEY_CHECK, cm_http_req_id(req), b,
                    NULL, EDGE_RPC_TIMEOUT_MS, s_on_key, s_ticket(r));
    cm_buf_destroy(&b);
    return true;
}

/* --- the control API --- */

static void s_on_sessions(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    strm_edge_t *e = arg;
    struct stream_sessions q;
    if (stream_sessions_decode(&q, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "SESSIONS does not decode");
        return;
    }
    struct stream_sessions_ok *r = cm_calloc(1, sizeof(*r));
    for (size_t i = 0; i < EDGE_SESSIONS_MAX && r->ids_count < CM_ARRAY_LEN(r->ids); i++) {
        const struct session *s = &e->sessions[i];
        if (!s->id || (!q.all && s->user_id != q.user_id))
            continue;
        uint32_t k = r->ids_count;
        r->ids[k] = s->id;
        r->user_ids[k] = s->user_id;
        r->source_ids[k] = s->source_id;
        r->bytes[k] = s->bytes;
        r->started_ms[k] = s->started_ms;
        r->active_ms[k] = s->active_ms;
        snprintf(r->workers[k], sizeof(r->workers[k]), "%s", s->worker);
        r->ids_count = r->user_ids_count = r->source_ids_count = r->bytes_count =
            r->started_ms_count = r->active_ms_count = r->workers_count = k + 1;
    }
    cm_buf_t *b = cm_buf_new(64 * 1024);
    if (stream_sessions_ok_encode(r, b) == 0)
        cm_rpc_reply(rpc, msg, STREAM_PROTO, STREAM_MSG_SESSIONS_OK, b, NULL);
    else
        cm_rpc_reply_error(rpc, msg, CM_ERR_INTERNAL, "cannot encode SESSIONS_OK");
    cm_buf_destroy(&b);
    cm_free(r);
}

static void s_on_session_end(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    strm_edge_t *e = arg;
    struct stream_session_end q;
    if (stream_session_end_decode(&q, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "SESSION_END does not decode");
        return;
    }
    struct session *s = NULL;
    for (size_t i = 0; i < EDGE_SESSIONS_MAX && !s; i++)
        if (e->sessions[i].id == q.id && (q.all || e->sessions[i].user_id == q.user_id))
            s = &e->sessions[i];
    if (!s) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_NOT_FOUND, "no such stream session");
        return;
    }
    /* end every request of the session; the last one frees it */
    uint64_t ids[256];
    size_t n = 0;
    for (struct sreq *r = e->all; r && n < CM_ARRAY_LEN(ids); r = r->next)
        if (r->sess == s)
            ids[n++] = r->stream_id;
    for (size_t i = 0; i < n; i++) {
        struct sreq *r = s_find(e, ids[i]);
        if (r)
            s_fail(r, 410, "session_ended", "the stream session was ended");
    }
    cm_buf_t *b = cm_buf_new(16);
    struct stream_session_end_ok ok = {0};
    if (stream_session_end_ok_encode(&ok, b) == 0)
        cm_rpc_reply(rpc, msg, STREAM_PROTO, STREAM_MSG_SESSION_END_OK, b, NULL);
    cm_buf_destroy(&b);
}

static void s_on_workers(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    strm_edge_t *e = arg;
    struct strm_worker_info *w = cm_calloc(256, sizeof(*w));
    size_t n = strm_pool_list(e->o.pool, w, 256);
    struct stream_workers_ok *r = cm_calloc(1, sizeof(*r));
    for (size_t i = 0; i < n; i++) {
        snprintf(r->ids[i], sizeof(r->ids[i]), "%s", w[i].id);
        r->torrents[i] = w[i].torrents;
        r->peers[i] = w[i].peers;
        r->down_bps[i] = w[i].down_bps;
        r->up_bps[i] = w[i].up_bps;
        r->free_cache_bytes[i] = w[i].free_cache_bytes;
        uint32_t streams = 0;
        for (struct sreq *q = e->all; q; q = q->next)
            streams += strcmp(q->worker, w[i].id) == 0;
        r->streams[i] = streams;
        r->draining[i] = w[i].draining;
    }
    r->ids_count = r->torrents_count = r->peers_count = r->down_bps_count = r->up_bps_count =
        r->free_cache_bytes_count = r->streams_count = r->draining_count = (uint32_t)n;
    cm_buf_t *b = cm_buf_new(64 * 1024);
    if (stream_workers_ok_encode(r, b) == 0)
        cm_rpc_reply(rpc, msg, STREAM_PROTO, STREAM_MSG_WORKERS_OK, b, NULL);
    else
        cm_rpc_reply_error(rpc, msg, CM_ERR_INTERNAL, "cannot encode WORKERS_OK");
    cm_buf_destroy(&b);
    cm_free(r);
    cm_free(w);
}

void strm_edge_register(strm_edge_t *e, cm_rpc_t *control)
{
    cm_rpc_handle(control, STREAM_PROTO, STREAM_MSG_SESSIONS, s_on_sessions, e);
    cm_rpc_handle(control, STREAM_PROTO, STREAM_MSG_SESSION_END, s_on_session_end, e);
    cm_rpc_handle(control, STREAM_PROTO, STREAM_MSG_WORKERS, s_on_workers, e);
}

/* --- life --- */

strm_edge_t *strm_edge_new(struct event_base *base, const struct strm_edge_opts *opts)
{
    strm_edge_t *e = cm_calloc(1, sizeof(*e));
    e->base = base;
    e->o = *opts;
    e->jwt = *opts->jwt;
    e->o.jwt = &e->jwt;
    char err[CM_ERR_LEN];
    e->verifier = cm_jwt_verifier_new(&e->jwt, 1024, err, sizeof(err));
    if (!e->verifier)
        cm_log_w("edge", 0, "bearer tokens are refused: %s", err);
    struct strm_pool_events ev = {.chunk = s_on_chunk,
                                  .chunk_local = s_on_chunk_local,
                                  .read_end = s_on_read_end,
                                  .worker_gone = s_on_worker_gone,
                                  .worker_draining = s_on_worker_draining,
                                  .arg = e};
    strm_pool_set_events(e->o.pool, &ev);
    e->bytes_out = cm_metrics_counter("marquee_stream_bytes_total", NULL,
                                      "Verified bytes queued for stream clients.");
    return e;
}

void strm_edge_shutdown(strm_edge_t *e)
{
    if (!e)
        return;
    while (e->all)
        s_fail(e->all, 503, "shutdown", "the stream-proxy is stopping");
    struct strm_pool_events none = {0};
    strm_pool_set_events(e->o.pool, &none);
}

void strm_edge_destroy(strm_edge_t **self_p)
{
    strm_edge_t *e = *self_p;
    if (!e)
        return;
    *self_p = NULL;
    while (e->all) /* only if strm_edge_shutdown was not called */
        s_fail(e->all, 503, "shutdown", "the stream-proxy is stopping");
    for (size_t i = 0; i < EDGE_SOURCES_MAX; i++)
        s_source_unref(e->sources[i]);
    cm_jwt_verifier_destroy(&e->verifier);
    cm_free(e);
}

size_t strm_edge_requests(const strm_edge_t *e)
{
    return e->nreqs;
}

size_t strm_edge_sessions(const strm_edge_t *e)
{
    return e->nsessions;
}
