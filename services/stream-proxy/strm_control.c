/* SPDX-License-Identifier: MIT
 * strm_control: stream.METADATA and stream.SCRAPE forwarded to a worker of the pool;
 * stream.SWARM_GATE handed to the pool's heartbeats. */
#include "cm.h"
#include "strm_control.h"
#include "bt_magnet.h"
#include "bt_metainfo.h"
#include "common_msg.h"
#include "stream_msg.h"
#include "torrent_msg.h"

#define STRM_CONTROL_TAG 0x57a00c01u

enum {
    CONTROL_REQ_BODY_MAX = 2 * BT_MAGNET_MAX, /* an encoded torrent.METADATA or SCRAPE */
};

/* One request from the control API, forwarded. It lives until it is answered and no call of
 * it is in flight any more (a call given up on a worker that left still ends later). */
struct job {
    strm_control_t *ctl;                 /* NULL once the control is gone */
    struct job *prev, *next;             /* ctl->jobs */
    cm_defer_t *defer;                   /* the answer; NULL once given */
    int msg;                             /* TORRENT_MSG_METADATA or _SCRAPE */
    char info_hash[40 + 1];              /* lower-case hex */
    cm_buf_t *body;                      /* the torrent.* request */
    int wait_ms;                         /* per worker */
    char worker[STRM_WORKER_ID_MAX + 1]; /* asked now; "" between tries */
    char tried[STRM_CONTROL_TRIES_MAX][STRM_WORKER_ID_MAX + 1]; /* asked so far, in order */
    int ntried;                                                 /* entries of tried */
    uint32_t gen;       /* of the call that counts; an older call's end is ignored */
    uint32_t calls;     /* calls whose callback has not run yet */
    int last_status;    /* why the last worker failed (CM_ERR_UNAVAILABLE before any) */
    char last_why[160]; /* ... in words */
    uint64_t rid;       /* the caller's request id, for logs */
};

/* A call's handle on its job. */
struct ticket {
    struct job *job;
    uint32_t gen;
};

struct strm_control {
    uint32_t tag;                  /* STRM_CONTROL_TAG while alive */
    strm_pool_t *pool;             /* borrowed */
    struct event *ev_watch;        /* checks that asked workers are still in the pool */
    struct job *jobs;              /* every job alive */
    size_t njobs;                  /* its length, <= STRM_CONTROL_INFLIGHT_MAX */
    struct strm_worker_info *live; /* scratch for the watch: STRM_CONTROL_WORKERS_SCAN */
};

/* 40 hex digits in any case -> lower case in `out`. 0 or -1. */
static int s_hash_norm(const char *in, char out[40 + 1])
{
    if (strlen(in) != 40)
        return -1;
    for (size_t i = 0; i < 40; i++) {
        char c = in[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return -1;
        out[i] = c;
    }
    out[40] = '\0';
    return 0;
}

/* --- jobs --- */

static void s_job_unlink(struct job *j)
{
    strm_control_t *ctl = j->ctl;
    if (!ctl)
        return;
    if (j->prev)
        j->prev->next = j->next;
    else
        ctl->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    ctl->njobs--;
    if (!ctl->jobs)
        event_del(ctl->ev_watch);
    j->ctl = NULL;
    j->prev = j->next = NULL;
}

/* Free `j` once it is answered and none of its calls is pending. */
static void s_job_maybe_free(struct job *j)
{
    if (j->defer || j->calls)
        return;
    s_job_unlink(j);
    cm_buf_destroy(&j->body);
    cm_free(j);
}

/* A job for `msg`; NULL with the caller answered BUSY when the cap is reached. */
static struct job *s_job_new(strm_control_t *ctl, cm_rpc_t *rpc, const cm_msg_t *req, int msg,
                             const char *info_hash)
{
    if (ctl->njobs >= STRM_CONTROL_INFLIGHT_MAX) {
        cm_rpc_reply_error(rpc, req, CM_ERR_BUSY,
                           "too many metadata and scrape requests in flight (%d)",
                           STRM_CONTROL_INFLIGHT_MAX);
        return NULL;
    }
    struct job *j = cm_calloc(1, sizeof(*j));
    j->ctl = ctl;
    j->msg = msg;
    j->rid = req->hdr.rid;
    snprintf(j->info_hash, sizeof(j->info_hash), "%s", info_hash);
    j->body = cm_buf_new(CONTROL_REQ_BODY_MAX);
    j->last_status = CM_ERR_UNAVAILABLE;
    snprintf(j->last_why, sizeof(j->last_why), "no torrent worker is live");
    j->next = ctl->jobs;
    if (ctl->jobs)
        ctl->jobs->prev = j;
    else {
        struct timeval tv = cm_tv_ms(STRM_CONTROL_WATCH_MS);
        event_add(ctl->ev_watch, &tv);
    }
    ctl->jobs = j;
    ctl->njobs++;
    return j;
}

static const char *s_what(const struct job *j)
{
    return j->msg == TORRENT_MSG_METADATA ? "METADATA" : "SCRAPE";
}

/* Give up with the last worker's failure. */
static void s_job_fail(struct job *j)
{
    cm_log_w("control", j->rid, "%s of %s failed: %s", s_what(j), j->info_hash, j->last_why);
    cm_defer_error(&j->defer, j->last_status, "%s", j->last_why);
}

static void s_on_answer(int status, const cm_msg_t *reply, void *arg);

/* Ask the next worker in rendezvous order, if a try is left and a worker is. */
static void s_try(struct job *j)
{
    strm_control_t *ctl = j->ctl;
    j->worker[0] = '\0';
    while (j->ntried < STRM_CONTROL_TRIES_MAX) {
        const char *skip[STRM_CONTROL_TRIES_MAX];
        for (int i = 0; i < j->ntried; i++)
            skip[i] = j->tried[i];
        char w[STRM_WORKER_ID_MAX + 1];
        if (!strm_pool_pick(ctl->pool, j->info_hash, skip, (size_t)j->ntried, w)) {
            if (j->ntried > 0) {
                size_t n = strlen(j->last_why);
                snprintf(j->last_why + n, sizeof(j->last_why) - n, "; no other worker is live");
            }
            break;
        }
        snprintf(j->tried[j->ntried++], sizeof(j->tried[0]), "%s", w);
        struct ticket *t = cm_malloc(sizeof(*t));
        *t = (struct ticket){j, ++j->gen};
        if (strm_pool_call(ctl->pool, w, j->msg, j->body, j->wait_ms, s_on_answer, t) == 0) {
            cm_free(t); /* it left just now */
            continue;
        }
        j->calls++;
        snprintf(j->worker, sizeof(j->worker), "%s", w);
        cm_log_d("control", j->rid, "%s of %s asked of worker %s", s_what(j), j->info_hash, w);
        return;
    }
    s_job_fail(j);
}

/* The worker's METADATA_OK, checked and relayed with the worker's name. */
static void s_relay_metadata(struct job *j, const cm_msg_t *reply)
{
    struct torrent_metadata_ok *in = cm_calloc(1, sizeof(*in));
    struct stream_metadata_ok *out = cm_calloc(1, sizeof(*out));
    cm_buf_t *b = NULL;
    if (torrent_metadata_ok_decode(in, reply->body.data, reply->body.len) < 0) {
        cm_defer_error(&j->defer, CM_ERR_MALFORMED, "worker %s sent a malformed METADATA_OK",
                       j->worker);
        goto out;
    }
    char got[40 + 1];
    if (s_hash_norm(in->info_hash, got) < 0 || strcmp(got, j->info_hash) != 0) {
        cm_defer_error(&j->defer, CM_ERR_INTERNAL,
                       "worker %s answered the metadata of another torrent (%s)", j->worker,
                       in->info_hash);
        goto out;
    }
    snprintf(out->info_hash, sizeof(out->info_hash), "%s", j->info_hash);
    out->torrent = in->torrent; /* borrowed from the reply frame, alive during this call */
    snprintf(out->worker, sizeof(out->worker), "%s", j->worker);
    snprintf(out->name, sizeof(out->name), "%s", in->name);
    out->files = in->files;
    out->total_bytes = in->total_bytes;
    b = cm_buf_new(CM_POOL_MSG_MAX);
    if (stream_metadata_ok_encode(out, b) < 0) {
        cm_defer_error(&j->defer, CM_ERR_TOO_LARGE, "the .torrent does not fit a reply");
        goto out;
    }
    cm_log_i("control", j->rid, "metadata of %s from worker %s: %zu bytes", j->info_hash, j->worker,
             in->torrent.len);
    cm_defer_reply(&j->defer, STREAM_PROTO, STREAM_MSG_METADATA_OK, b, NULL);
out:
    cm_buf_destroy(&b);
    cm_free(out);
    cm_free(in);
}

static void s_relay_scrape(struct job *j, const cm_msg_t *reply)
{
    struct torrent_scrape_ok in;
    if (torrent_scrape_ok_decode(&in, reply->body.data, reply->body.len) < 0) {
        cm_defer_error(&j->defer, CM_ERR_MALFORMED, "worker %s sent a malformed SCRAPE_OK",
                       j->worker);
        return;
    }
    struct stream_scrape_ok out = {.seeders = in.seeders,
                                   .leechers = in.leechers,
                                   .completed = in.completed,
                                   .answered = in.answered,
                                   .asked = in.asked};
    snprintf(out.worker, sizeof(out.worker), "%s", j->worker);
    cm_buf_t *b = cm_buf_new(512);
    if (stream_scrape_ok_encode(&out, b) == 0) {
        cm_log_d("control", j->rid,
                 "scrape of %s from worker %s: %" PRIu32 " seeders, %" PRIu32 " leechers",
                 j->info_hash, j->worker, in.seeders, in.leechers);
        cm_defer_reply(&j->defer, STREAM_PROTO, STREAM_MSG_SCRAPE_OK, b, NULL);
    } else {
        cm_defer_error(&j->defer, CM_ERR_INTERNAL, "cannot encode SCRAPE_OK");
    }
    cm_buf_destroy(&b);
}

/* The end of a call to a worker. */
static void s_on_answer(int status, const cm_msg_t *reply, void *arg)
{
    struct ticket *t = arg;
    struct job *j = t->job;
    bool current = t->gen == j->gen;
    cm_free(t);
    j->calls--;
    if (!j->defer || !current) { /* answered already, or a call given up */
        s_job_maybe_free(j);
        return;
    }
    if (status == CM_OK && reply) {
        if (j->msg == TORRENT_MSG_METADATA)
            s_relay_metadata(j, reply);
        else
            s_relay_scrape(j, reply);
    } else if (reply) {
        /* the worker's ERROR: passed on with its reason, unless it is a bare "not now" */
        struct common_error e;
        if (common_error_decode(&e, reply->body.data, reply->body.len) < 0)
            e.reason[0] = '\0';
        if ((status == CM_ERR_TIMEOUT || status == CM_ERR_UNAVAILABLE) && !e.reason[0]) {
            j->last_status = status;
            snprintf(j->last_why, sizeof(j->last_why), "worker %s: %s", j->worker,
                     cm_status_str(status));
            s_try(j);
        } else {
            cm_log_d("control", j->rid, "%s of %s: worker %s answered %s: %s", s_what(j),
                     j->info_hash, j->worker, cm_status_str(status), e.reason);
            cm_defer_error(&j->defer, status, "%s", e.reason);
        }
    } else if (status == CM_ERR_SHUTDOWN) {
        cm_defer_error(&j->defer, CM_ERR_SHUTDOWN, "the stream-proxy is stopping");
    } else {
        /* no answer at all: timeout, the worker unreachable, or its queue full */
        j->last_status = status;
        if (status == CM_ERR_TIMEOUT)
            snprintf(j->last_why, sizeof(j->last_why), "worker %s did not answer within %d ms",
                     j->worker, j->wait_ms);
        else
            snprintf(j->last_why, sizeof(j->last_why), "worker %s: %s", j->worker,
                     cm_status_str(status));
        cm_log_n("control", j->rid, "%s of %s: %s", s_what(j), j->info_hash, j->last_why);
        s_try(j);
    }
    s_job_maybe_free(j);
}

/* Every STRM_CONTROL_WATCH_MS while jobs exist: a job whose worker left the pool (it died,
 * its connection closed) gives up that call and moves on to the next worker at once. */
static void s_on_watch(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    strm_control_t *ctl = arg;
    size_t n = strm_pool_list(ctl->pool, ctl->live, STRM_CONTROL_WORKERS_SCAN);
    for (struct job *j = ctl->jobs, *next; j; j = next) {
        next = j->next;
        if (!j->defer || !j->worker[0])
            continue;
        bool live = false;
        for (size_t i = 0; i < n && !live; i++)
            live = strcmp(ctl->live[i].id, j->worker) == 0;
        if (live)
            continue;
        j->gen++; /* its call still ends some day: then it is ignored */
        j->last_status = CM_ERR_UNAVAILABLE;
        snprintf(j->last_why, sizeof(j->last_why), "worker %s left the pool", j->worker);
        cm_log_n("control", j->rid, "%s of %s: %s", s_what(j), j->info_hash, j->last_why);
        s_try(j); /* the job stays: its given-up call is pending */
    }
}

/* --- requests --- */

/* The timeout a request asks for: 0 is `dflt`, anything is capped. */
static uint32_t s_timeout(uint32_t asked, uint32_t dflt)
{
    if (!asked)
        return dflt;
    return asked < STRM_CONTROL_TIMEOUT_MAX_MS ? asked : STRM_CONTROL_TIMEOUT_MAX_MS;
}

/* The magnet to send: the caller's, which must name `hash`, or a bare one. 0, or -1 with the
 * caller answered. */
static int s_magnet(cm_rpc_t *rpc, const cm_msg_t *msg, const char *given, const char *hex,
                    char *out, size_t outlen)
{
    uint8_t hash[20];
    if (bt_hash_parse(hex, 40, hash) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "info_hash must be 40 hex digits");
        return -1;
    }
    if (!given[0]) {
        cm_buf_t *b = cm_buf_new(outlen - 1);
        int rc = bt_magnet_build(hash, NULL, 0, NULL, 0, b);
        if (rc == 0)
            snprintf(out, outlen, "%.*s", (int)cm_buf_len(b), (const char *)cm_buf_data(b));
        cm_buf_destroy(&b);
        if (rc < 0)
            cm_rpc_reply_error(rpc, msg, CM_ERR_INTERNAL, "cannot build a magnet");
        return rc;
    }
    struct bt_magnet m;
    char err[CM_ERR_LEN];
    if (bt_magnet_parse(given, &m, err, sizeof(err)) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "bad magnet: %s", err);
        return -1;
    }
    bool same = memcmp(m.info_hash, hash, sizeof(hash)) == 0;
    char other[41];
    bt_hash_hex(m.info_hash, other);
    bt_magnet_clear(&m);
    if (!same) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "the magnet is of another torrent (%s)",
                           other);
        return -1;
    }
    snprintf(out, outlen, "%s", given);
    return 0;
}

static void s_on_metadata(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    strm_control_t *ctl = arg;
    struct stream_metadata *req = cm_calloc(1, sizeof(*req));
    struct torrent_metadata *fwd = cm_calloc(1, sizeof(*fwd));
    char hex[40 + 1];
    struct job *j = NULL;
    if (stream_metadata_decode(req, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "malformed METADATA");
        goto out;
    }
    if (s_hash_norm(req->info_hash, hex) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "info_hash must be 40 hex digits");
        goto out;
    }
    if (s_magnet(rpc, msg, req->magnet, hex, fwd->magnet, sizeof(fwd->magnet)) < 0)
        goto out;
    fwd->timeout_ms = s_timeout(req->timeout_ms, STRM_CONTROL_METADATA_DEFAULT_MS);
    if (!(j = s_job_new(ctl, rpc, msg, TORRENT_MSG_METADATA, hex)))
        goto out;
    if (torrent_metadata_encode(fwd, j->body) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INTERNAL, "cannot encode torrent.METADATA");
        s_job_maybe_free(j);
        goto out;
    }
    j->wait_ms = (int)fwd->timeout_ms + STRM_CONTROL_MARGIN_MS;
    j->defer = cm_rpc_defer(rpc, msg);
    s_try(j);
    s_job_maybe_free(j);
out:
    cm_free(fwd);
    cm_free(req);
}

static void s_on_scrape(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    strm_control_t *ctl = arg;
    struct stream_scrape *req = cm_calloc(1, sizeof(*req));
    struct torrent_scrape *fwd = cm_calloc(1, sizeof(*fwd));
    struct job *j = NULL;
    if (stream_scrape_decode(req, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "malformed SCRAPE");
        goto out;
    }
    if (s_hash_norm(req->info_hash, fwd->info_hash) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "info_hash must be 40 hex digits");
        goto out;
    }
    if (req->trackers_count == 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "SCRAPE names no tracker");
        goto out;
    }
    _Static_assert(sizeof(fwd->trackers) == sizeof(req->trackers), "the same tracker lists");
    memcpy(fwd->trackers, req->trackers, sizeof(fwd->trackers));
    fwd->trackers_count = req->trackers_count;
    fwd->timeout_ms = s_timeout(req->timeout_ms, STRM_CONTROL_SCRAPE_DEFAULT_MS);
    if (!(j = s_job_new(ctl, rpc, msg, TORRENT_MSG_SCRAPE, fwd->info_hash)))
        goto out;
    if (torrent_scrape_encode(fwd, j->body) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INTERNAL, "cannot encode torrent.SCRAPE");
        s_job_maybe_free(j);
        goto out;
    }
    j->wait_ms = (int)fwd->timeout_ms + STRM_CONTROL_MARGIN_MS;
    j->defer = cm_rpc_defer(rpc, msg);
    s_try(j);
    s_job_maybe_free(j);
out:
    cm_free(fwd);
    cm_free(req);
}

/* The VPN gate: kept by the pool, which tells the workers. */
static void s_on_swarm_gate(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    strm_control_t *ctl = arg;
    struct stream_swarm_gate req;
    if (stream_swarm_gate_decode(&req, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "malformed SWARM_GATE");
        return;
    }
    bool was = strm_pool_swarm_paused(ctl->pool);
    struct stream_swarm_gate_ok out = {.workers =
                                           strm_pool_set_swarm_paused(ctl->pool, req.paused)};
    if (was != req.paused) {
        if (req.paused)
            cm_log_w("control", msg->hdr.rid,
                     "swarm traffic paused (VPN gate closed: %s); told %" PRIu32 " workers",
                     req.reason[0] ? req.reason : "no reason given", out.workers);
        else
            cm_log_n("control", msg->hdr.rid,
                     "swarm traffic resumed (VPN gate open%s%s); told %" PRIu32 " workers",
                     req.reason[0] ? ": " : "", req.reason, out.workers);
    }
    cm_buf_t *b = cm_buf_new(64);
    if (stream_swarm_gate_ok_encode(&out, b) == 0)
        cm_rpc_reply(rpc, msg, STREAM_PROTO, STREAM_MSG_SWARM_GATE_OK, b, NULL);
    else
        cm_rpc_reply_error(rpc, msg, CM_ERR_INTERNAL, "cannot encode SWARM_GATE_OK");
    cm_buf_destroy(&b);
}

/* --- life --- */

strm_control_t *strm_control_new(struct event_base *base, strm_pool_t *pool, cm_rpc_t *control)
{
    strm_control_t *self = cm_calloc(1, sizeof(*self));
    self->tag = STRM_CONTROL_TAG;
    self->pool = pool;
    self->ev_watch = event_new(base, -1, EV_PERSIST, s_on_watch, self);
    self->live = cm_calloc(STRM_CONTROL_WORKERS_SCAN, sizeof(*self->live));
    cm_rpc_handle(control, STREAM_PROTO, STREAM_MSG_METADATA, s_on_metadata, self);
    cm_rpc_handle(control, STREAM_PROTO, STREAM_MSG_SCRAPE, s_on_scrape, self);
    cm_rpc_handle(control, STREAM_PROTO, STREAM_MSG_SWARM_GATE, s_on_swarm_gate, self);
    return self;
}

void strm_control_destroy(strm_control_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    strm_control_t *self = *self_p;
    assert(self->tag == STRM_CONTROL_TAG);
    *self_p = NULL;
    while (self->jobs) {
        struct job *j = self->jobs;
        cm_defer_error(&j->defer, CM_ERR_SHUTDOWN, "the stream-proxy is stopping");
        s_job_unlink(j);     /* orphaned: its pending calls find no control */
        s_job_maybe_free(j); /* now, if none is pending */
    }
    event_free(self->ev_watch);
    cm_free(self->live);
    self->tag = 0xdeadbeef;
    cm_free(self);
}

size_t strm_control_inflight(const strm_control_t *self)
{
    assert(self && self->tag == STRM_CONTROL_TAG);
    return self->njobs;
}
