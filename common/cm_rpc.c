/* SPDX-License-Identifier: MIT
 * cm_rpc: ROUTER servers and DEALER clients with dispatch, request ids, deadlines and
 * heartbeats. See cm_rpc.h for the contract. */
#include "cm.h"
#include "cm_rpc.h"
#include "cm_metrics.h"
#include "common_msg.h"
#include <sys/random.h>

#define CM_RPC_TAG 0xcb0f0003u

enum {
    RPC_ROUTES_MAX = 64,      /* handlers per endpoint */
    RPC_PROTOS_MAX = 8,       /* protocols per endpoint, common included */
    RPC_CALL_BUCKETS = 1024,  /* hash buckets of pending calls (power of two) */
    RPC_WARN_EVERY_MS = 1000, /* at most one malformed-input warning a second */
};

struct route {
    uint16_t proto;        /* protocol number */
    uint16_t msg;          /* message number */
    cm_rpc_handler_fn *fn; /* handler */
    void *arg;             /* its argument */
};

/* A call waiting for its reply. */
struct call {
    struct call *next;  /* bucket chain */
    cm_rpc_t *rpc;      /* owner */
    uint64_t rid;       /* request id */
    cm_rpc_call_fn *cb; /* completion */
    void *arg;          /* its argument */
    struct event *ev;   /* deadline timer, or a zero timer for an immediate failure */
    int fail_status;    /* when the timer fires: 0 = timeout, else this status */
};

struct cm_defer {
    struct cm_defer *prev, *next;      /* the owner's list, so destroy can orphan us */
    cm_rpc_t *rpc;                     /* owner; NULL once it is gone */
    uint8_t identity[CM_IDENTITY_MAX]; /* server: the peer's routing id */
    size_t idlen;                      /* its length (0 on a client) */
    struct cm_hdr hdr;                 /* the request's header */
};

struct cm_rpc {
    uint32_t tag;                                  /* CM_RPC_TAG while alive */
    struct event_base *base;                       /* the loop */
    void *zctx;                                    /* ZeroMQ context */
    bool server;                                   /* ROUTER (bound) or DEALER (connected) */
    char name[32];                                 /* for logs */
    char endpoint[256];                            /* bound or connected endpoint */
    size_t max_msg;                                /* ZMQ_MAXMSGSIZE */
    const struct cm_proto *protos[RPC_PROTOS_MAX]; /* [0] is common */
    size_t nprotos;                                /* entries in protos */
    cm_zsock_t *zs;                                /* the socket; NULL while reconnecting */
    struct route routes[RPC_ROUTES_MAX];           /* dispatch table */
    size_t nroutes;                                /* entries in routes */
    cm_rpc_handler_fn *peer_fn;                    /* every valid inbound message */
    void *peer_arg;                                /* its argument */
    void (*connect_fn)(cm_rpc_t *, void *);        /* client: after each connect */
    void *connect_arg;                             /* its argument */
    struct call *calls[RPC_CALL_BUCKETS];          /* pending calls by rid */
    size_t ncalls;                                 /* entries in calls */
    uint64_t next_rid;                             /* next fresh request id */
    struct cm_defer *defers;                       /* outstanding deferred replies */
    /* client heartbeats */
    int hb_interval_ms;         /* idle time before PING */
    int hb_liveness;            /* silent intervals before dead */
    int reconnect_min_ms;       /* first back-off */
    int reconnect_max_ms;       /* back-off cap */
    int backoff_ms;             /* next back-off */
    struct event *ev_hb;        /* heartbeat tick */
    struct event *ev_reconnect; /* re-create the socket */
    uint64_t last_recv;         /* mono ms of the last valid inbound message */
    uint64_t last_send;         /* mono ms of the last send */
    bool alive;                 /* heard from within the liveness window */
    /* state */
    bool in_dispatch;          /* inside s_on_msg */
    bool dead;                 /* destroyed during dispatch: free at the end */
    bool closing;              /* inside destroy */
    uint64_t warn_at;          /* mono ms of the last rate-limited warning */
    uint32_t warn_suppressed;  /* warnings skipped since */
    cm_buf_t *hbuf;            /* scratch: header frame */
    cm_buf_t *ebuf;            /* scratch: ERROR body */
    struct cm_rpc_stats stats; /* counters */
};

static const uint8_t s_empty_map = 0x80; /* the msgpack encoding of {} */

/* --- Helpers --- */

static void s_warn_limited(cm_rpc_t *self, uint64_t rid, const char *fmt, ...) CM_PRINTF(3, 4);

static void s_warn_limited(cm_rpc_t *self, uint64_t rid, const char *fmt, ...)
{
    uint64_t now = cm_mono_ms();
    if (self->warn_at && now - self->warn_at < RPC_WARN_EVERY_MS) {
        self->warn_suppressed++;
        return;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (self->warn_suppressed)
        cm_log_w(self->name, rid, "%s (%u similar messages suppressed)", msg,
                 self->warn_suppressed);
    else
        cm_log_w(self->name, rid, "%s", msg);
    self->warn_at = now;
    self->warn_suppressed = 0;
}

static const struct cm_proto *s_proto(const cm_rpc_t *self, int proto)
{
    for (size_t i = 0; i < self->nprotos; i++) {
        if (self->protos[i]->id == proto)
            return self->protos[i];
    }
    return NULL;
}

static uint64_t s_fresh_rid(cm_rpc_t *self)
{
    uint64_t rid = self->next_rid++;
    if (rid == 0)
        rid = self->next_rid++;
    return rid;
}

/* Send header + body (+ payload) to `identity` (server) or the peer (client). */
static int s_send(cm_rpc_t *self, const cm_iov_t *identity, int proto, int msg, uint64_t rid,
                  uint64_t deadline, const cm_iov_t *body, const cm_iov_t *payload)
{
    if (!self->zs) {
        errno = EAGAIN;
        return -1;
    }
    const struct cm_proto *p = s_proto(self, proto);
    struct cm_hdr h = {
        .proto = (uint16_t)proto,
        .version = p ? p->version : 1,
        .msg = (uint16_t)msg,
        .rid = rid,
        .deadline = deadline,
    };
    cm_buf_reset(self->hbuf);
    if (cm_hdr_encode(&h, self->hbuf) < 0) {
        errno = EMSGSIZE;
        return -1;
    }
    cm_iov_t frames[CM_MSG_FRAMES_MAX];
    int n = 0;
    if (self->server) {
        if (!identity || !identity->len) {
            errno = EHOSTUNREACH;
            return -1;
        }
        frames[n++] = *identity;
    }
    frames[n++] = (cm_iov_t){cm_buf_data(self->hbuf), cm_buf_len(self->hbuf)};
    frames[n++] = body && body->len ? *body : (cm_iov_t){&s_empty_map, 1};
    if (payload && payload->data)
        frames[n++] = *payload;
    int rc = cm_zsock_send(self->zs, frames, n);
    if (rc == 0)
        self->last_send = cm_mono_ms();
    return rc;
}

static cm_iov_t s_body_iov(const cm_buf_t *body)
{
    if (!body)
        return (cm_iov_t){NULL, 0};
    return (cm_iov_t){cm_buf_data(body), cm_buf_len(body)};
}

static int s_send_error(cm_rpc_t *self, const cm_iov_t *identity, uint64_t rid, int status,
                        const char *reason)
{
    struct common_error e = {.status = (uint16_t)status};
    cm_utf8_copy(e.reason, sizeof(e.reason), reason); /* must pass the str field's checks */
    cm_buf_reset(self->ebuf);
    if (common_error_encode(&e, self->ebuf) < 0)
        return -1;
    cm_iov_t body = s_body_iov(self->ebuf);
    return s_send(self, identity, COMMON_PROTO, COMMON_MSG_ERROR, rid, 0, &body, NULL);
}

/* --- Pending calls --- */

static struct call **s_bucket(cm_rpc_t *self, uint64_t rid)
{
    uint64_t h = rid * 0x9e3779b97f4a7c15ull;
    return &self->calls[(h >> 32) & (RPC_CALL_BUCKETS - 1)];
}

static struct call *s_call_find(cm_rpc_t *self, uint64_t rid)
{
    for (struct call *c = *s_bucket(self, rid); c; c = c->next) {
        if (c->rid == rid)
            return c;
    }
    return NULL;
}

static void s_call_unlink(cm_rpc_t *self, struct call *call)
{
    for (struct call **pp = s_bucket(self, call->rid); *pp; pp = &(*pp)->next) {
        if (*pp == call) {
            *pp = call->next;
            self->ncalls--;
            return;
        }
    }
}

/* Unlink, run the callback, free. */
static void s_call_finish(struct call *call, int status, const cm_msg_t *reply)
{
    cm_rpc_t *self = call->rpc;
    s_call_unlink(self, call);
    event_free(call->ev);
    cm_rpc_call_fn *cb = call->cb;
    void *arg = call->arg;
    cm_free(call);
    if (cb)
        cb(status, reply, arg);
}

static void s_on_call_timer(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    struct call *call = arg;
    int status = call->fail_status ? call->fail_status : CM_ERR_TIMEOUT;
    if (status == CM_ERR_TIMEOUT) {
        call->rpc->stats.timeouts++;
        cm_log_d(call->rpc->name, call->rid, "call timed out");
    }
    s_call_finish(call, status, NULL);
}

/* Fail every pending call with `status`. Callbacks may start new calls: those are not failed. */
static void s_fail_all(cm_rpc_t *self, int status)
{
    struct call *list = NULL;
    for (size_t i = 0; i < RPC_CALL_BUCKETS; i++) {
        while (self->calls[i]) {
            struct call *c = self->calls[i];
            self->calls[i] = c->next;
            c->next = list;
            list = c;
        }
    }
    self->ncalls = 0;
    while (list) {
        struct call *c = list;
        list = c->next;
        event_free(c->ev);
        cm_rpc_call_fn *cb = c->cb;
        void *arg = c->arg;
        cm_free(c);
        if (cb)
            cb(status, NULL, arg);
    }
}

/* --- Inbound --- */

static void s_reply_malformed(cm_rpc_t *self, const cm_iov_t *identity, uint64_t rid,
                              const char *what)
{
    self->stats.malformed++;
    char idhex[17] = "";
    if (identity && identity->len) {
        const uint8_t *p = identity->data;
        for (size_t i = 0; i < identity->len && i < 8; i++)
            snprintf(idhex + 2 * i, 3, "%02x", p[i]);
    }
    s_warn_limited(self, rid, "malformed message from peer %s: %s", idhex[0] ? idhex : "-", what);
    if (self->server && identity)
        s_send_error(self, identity, rid, CM_ERR_MALFORMED, what);
}

static void s_mark_alive(cm_rpc_t *self)
{
    self->last_recv = cm_mono_ms();
    if (!self->alive) {
        self->alive = true;
        self->backoff_ms = self->reconnect_min_ms;
        if (!self->server)
            cm_log_n(self->name, 0, "connected to %s", self->endpoint);
    }
}

static void s_dispatch(cm_rpc_t *self, const cm_msg_t *m)
{
    const struct cm_proto *p = s_proto(self, m->hdr.proto);
    if (!p) {
        self->stats.malformed++;
        s_warn_limited(self, m->hdr.rid, "unknown protocol %u", m->hdr.proto);
        if (self->server)
            s_send_error(self, &m->identity, m->hdr.rid, CM_ERR_UNKNOWN_MSG, "unknown protocol");
        return;
    }
    const struct cm_proto_msg *d = cm_proto_find(p, m->hdr.msg);
    if (!d) {
        self->stats.malformed++;
        s_warn_limited(self, m->hdr.rid, "unknown message %s/%u", p->name, m->hdr.msg);
        s_send_error(self, &m->identity, m->hdr.rid, CM_ERR_UNKNOWN_MSG, "unknown message");
        return;
    }
    if (m->hdr.version != p->version) {
        self->stats.malformed++;
        s_warn_limited(self, m->hdr.rid, "%s version %u, we speak %u", p->name, m->hdr.version,
                       p->version);
        if (d->kind == CM_MSG_REQUEST)
            s_send_error(self, &m->identity, m->hdr.rid, CM_ERR_VERSION,
                         "unsupported protocol version");
        return;
    }
    if (m->payload.data && !d->payload) {
        s_reply_malformed(self, &m->identity, m->hdr.rid, "unexpected payload frame");
        return;
    }

    s_mark_alive(self);
    self->stats.received++;
    if (self->server && d->kind == CM_MSG_REQUEST) {
        static cm_metric_t *requests; /* looked up once: this runs for every request */
        if (!requests)
            requests = cm_metrics_counter("marquee_rpc_requests_total", NULL,
                                          "RPC requests received by this daemon's server.");
        cm_metric_inc(requests);
    }
    if (self->peer_fn)
        self->peer_fn(self, m, self->peer_arg);
    if (self->dead)
        return;

    if (d->kind == CM_MSG_REPLY) {
        struct call *call = s_call_find(self, m->hdr.rid);
        if (!call) {
            self->stats.late++;
            cm_log_d(self->name, m->hdr.rid, "dropped a late or unknown reply %s/%s", p->name,
                     d->name);
            return;
        }
        int status = CM_OK;
        if (m->hdr.proto == COMMON_PROTO && m->hdr.msg == COMMON_MSG_ERROR) {
            struct common_error e;
            status = common_error_decode(&e, m->body.data, m->body.len) == 0 && e.status
                         ? e.status
                         : CM_ERR_MALFORMED;
        }
        s_call_finish(call, status, m);
        return;
    }

    if (d->kind == CM_MSG_REQUEST && m->hdr.deadline && m->hdr.deadline < cm_now_ms()) {
        self->stats.expired++;
        cm_log_d(self->name, m->hdr.rid, "dropped %s/%s: deadline passed", p->name, d->name);
        return;
    }
    for (size_t i = 0; i < self->nroutes; i++) {
        if (self->routes[i].proto == m->hdr.proto && self->routes[i].msg == m->hdr.msg) {
            self->routes[i].fn(self, m, self->routes[i].arg);
            return;
        }
    }
    if (m->hdr.proto == COMMON_PROTO && m->hdr.msg == COMMON_MSG_PING) {
        cm_rpc_reply(self, m, COMMON_PROTO, COMMON_MSG_PONG, NULL, NULL);
        return;
    }
    if (d->kind == CM_MSG_REQUEST)
        s_send_error(self, &m->identity, m->hdr.rid, CM_ERR_UNKNOWN_MSG, "no handler");
    else
        cm_log_d(self->name, m->hdr.rid, "no handler for event %s/%s", p->name, d->name);
}

static void s_free(cm_rpc_t *self);

static void s_on_msg(cm_zsock_t *zs, zmq_msg_t *frames, int n, void *arg)
{
    CM_UNUSED(zs);
    cm_rpc_t *self = arg;
    cm_msg_t m;
    memset(&m, 0, sizeof(m));
    m.srcfd = -1;
    int off = 0;
    if (self->server) {
        m.identity = (cm_iov_t){zmq_msg_data(&frames[0]), zmq_msg_size(&frames[0])};
        m.srcfd = cm_zsock_msg_srcfd(&frames[0]);
        off = 1;
        if (m.identity.len == 0 || m.identity.len > CM_IDENTITY_MAX)
            return;
    }
    if (n - off < 1) {
        s_reply_malformed(self, NULL, 0, "empty message");
        return;
    }
    if (cm_hdr_decode(&m.hdr, zmq_msg_data(&frames[off]), zmq_msg_size(&frames[off])) < 0) {
        s_reply_malformed(self, &m.identity, 0, "bad header frame");
        return;
    }
    if (n - off < 2) {
        s_reply_malformed(self, &m.identity, m.hdr.rid, "no body frame");
        return;
    }
    m.body = (cm_iov_t){zmq_msg_data(&frames[off + 1]), zmq_msg_size(&frames[off + 1])};
    cm_mp_reader_t r;
    cm_mp_reader_init(&r, m.body.data, m.body.len);
    if (cm_mp_check(m.body.data, m.body.len, CM_MP_DEPTH_MAX) < 0 || cm_mp_peek(&r) != CM_MP_MAP) {
        s_reply_malformed(self, &m.identity, m.hdr.rid, "body is not a well-formed msgpack map");
        return;
    }
    if (n - off == 3)
        m.payload = (cm_iov_t){zmq_msg_data(&frames[off + 2]), zmq_msg_size(&frames[off + 2])};
    else if (n - off > 3) {
        s_reply_malformed(self, &m.identity, m.hdr.rid, "too many frames");
        return;
    }

    self->in_dispatch = true;
    s_dispatch(self, &m);
    self->in_dispatch = false;
    if (self->dead)
        s_free(self);
}

/* --- Client connection management --- */

static int s_open_socket(cm_rpc_t *self, char *err, size_t errlen)
{
    struct cm_zsock_opts zo = {.max_msg = self->max_msg};
    self->zs = cm_zsock_new(self->base, self->zctx, self->server ? ZMQ_ROUTER : ZMQ_DEALER, &zo);
    if (!self->zs) {
        snprintf(err, errlen, "cannot create a ZeroMQ socket: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    cm_zsock_set_handler(self->zs, s_on_msg, self);
    return 0;
}

static void s_on_reconnect(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    cm_rpc_t *self = arg;
    char err[CM_ERR_LEN];
    if (s_open_socket(self, err, sizeof(err)) < 0 ||
        cm_zsock_connect(self->zs, self->endpoint, err, sizeof(err)) < 0) {
        cm_log_e(self->name, 0, "%s", err);
        cm_zsock_destroy(&self->zs);
        struct timeval tv = cm_tv_ms(self->backoff_ms);
        evtimer_add(self->ev_reconnect, &tv);
        return;
    }
    self->last_recv = cm_mono_ms(); /* a fresh liveness window */
    if (self->connect_fn)
        self->connect_fn(self, self->connect_arg);
}

static void s_on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    cm_rpc_t *self = arg;
    if (!self->zs)
        return; /* a reconnect is scheduled */
    uint64_t now = cm_mono_ms();
    uint64_t silence = now - self->last_recv;
    if (silence >= (uint64_t)self->hb_interval_ms * (uint64_t)self->hb_liveness) {
        if (self->alive)
            cm_log_w(self->name, 0,
                     "no message from %s for %" PRIu64 " ms: peer is down; "
                     "reconnecting",
                     self->endpoint, silence);
        else
            cm_log_d(self->name, 0, "still no answer from %s; retrying in %d ms", self->endpoint,
                     self->backoff_ms);
        self->alive = false;
        self->stats.reconnects++;
        cm_zsock_destroy(&self->zs);
        struct timeval tv = cm_tv_ms(self->backoff_ms);
        evtimer_add(self->ev_reconnect, &tv);
        self->backoff_ms = CM_MIN(self->backoff_ms * 2, self->reconnect_max_ms);
        /* Last: a callback may destroy `self`. */
        s_fail_all(self, CM_ERR_UNAVAILABLE);
        return;
    }
    if (now - self->last_send >= (uint64_t)self->hb_interval_ms) {
        s_send(self, NULL, COMMON_PROTO, COMMON_MSG_PING, s_fresh_rid(self),
               cm_now_ms() + (uint64_t)self->hb_interval_ms, NULL, NULL);
        self->last_send = now; /* even when it failed: try again next interval */
    }
}

/* --- Construction --- */

static cm_rpc_t *s_new(struct event_base *base, void *zctx, const struct cm_rpc_opts *opts,
                       bool server, const char *endpoint)
{
    cm_rpc_t *self = cm_calloc(1, sizeof(*self));
    self->tag = CM_RPC_TAG;
    self->base = base;
    self->zctx = zctx;
    self->server = server;
    snprintf(self->name, sizeof(self->name), "%s", opts && opts->name ? opts->name : "rpc");
    snprintf(self->endpoint, sizeof(self->endpoint), "%s", endpoint);
    self->max_msg = opts && opts->max_msg ? opts->max_msg : CM_MSG_MAX;
    self->protos[self->nprotos++] = &common_proto;
    for (size_t i = 0; opts && opts->protos && opts->protos[i]; i++) {
        assert(self->nprotos < RPC_PROTOS_MAX);
        self->protos[self->nprotos++] = opts->protos[i];
    }
    self->hb_interval_ms = opts && opts->hb_interval_ms ? opts->hb_interval_ms : CM_HB_INTERVAL_MS;
    self->hb_liveness = opts && opts->hb_liveness ? opts->hb_liveness : CM_HB_LIVENESS;
    self->reconnect_min_ms =
        opts && opts->reconnect_min_ms ? opts->reconnect_min_ms : CM_RECONNECT_MIN_MS;
    self->reconnect_max_ms =
        opts && opts->reconnect_max_ms ? opts->reconnect_max_ms : CM_RECONNECT_MAX_MS;
    self->backoff_ms = self->reconnect_min_ms;
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
        seed = (uint64_t)getpid() << 32 ^ cm_now_ms();
    self->next_rid = (seed >> 1) | 1;
    self->hbuf = cm_buf_new(CM_HDR_MAX);
    self->ebuf = cm_buf_new(CM_REASON_MAX + 64);
    return self;
}

cm_rpc_t *cm_rpc_server_new(struct event_base *base, void *zctx, const struct cm_rpc_opts *opts,
                            const char *endpoint, char *bound, size_t boundlen, char *err,
                            size_t errlen)
{
    cm_rpc_t *self = s_new(base, zctx, opts, true, endpoint);
    char actual[256];
    if (s_open_socket(self, err, errlen) < 0 ||
        cm_zsock_bind(self->zs, endpoint, actual, sizeof(actual), err, errlen) < 0) {
        cm_rpc_destroy(&self);
        return NULL;
    }
    snprintf(self->endpoint, sizeof(self->endpoint), "%s", actual);
    if (bound && boundlen)
        snprintf(bound, boundlen, "%s", actual);
    self->alive = true;
    return self;
}

cm_rpc_t *cm_rpc_client_new(struct event_base *base, void *zctx, const struct cm_rpc_opts *opts,
                            const char *endpoint, char *err, size_t errlen)
{
    cm_rpc_t *self = s_new(base, zctx, opts, false, endpoint);
    if (s_open_socket(self, err, errlen) < 0 ||
        cm_zsock_connect(self->zs, endpoint, err, errlen) < 0) {
        cm_rpc_destroy(&self);
        return NULL;
    }
    self->last_recv = cm_mono_ms();
    self->ev_hb = event_new(base, -1, EV_PERSIST, s_on_heartbeat, self);
    self->ev_reconnect = evtimer_new(base, s_on_reconnect, self);
    /* Tick four times an interval so a death is noticed within a quarter interval. */
    int tick = CM_MAX(self->hb_interval_ms / 4, 10);
    struct timeval tv = cm_tv_ms(tick);
    event_add(self->ev_hb, &tv);
    return self;
}

static void s_free(cm_rpc_t *self)
{
    self->closing = true;
    s_fail_all(self, CM_ERR_SHUTDOWN);
    for (struct cm_defer *d = self->defers; d; d = d->next)
        d->rpc = NULL;
    if (self->ev_hb)
        event_free(self->ev_hb);
    if (self->ev_reconnect)
        event_free(self->ev_reconnect);
    cm_zsock_destroy(&self->zs);
    cm_buf_destroy(&self->hbuf);
    cm_buf_destroy(&self->ebuf);
    self->tag = 0xdeadbeef;
    cm_free(self);
}

void cm_rpc_destroy(cm_rpc_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cm_rpc_t *self = *self_p;
    assert(self->tag == CM_RPC_TAG);
    *self_p = NULL;
    if (self->in_dispatch) {
        self->dead = true; /* s_on_msg frees it when the handler returns */
        return;
    }
    s_free(self);
}

int cm_rpc_handle(cm_rpc_t *self, int proto, int msg, cm_rpc_handler_fn *fn, void *arg)
{
    assert(self && self->tag == CM_RPC_TAG);
    assert(s_proto(self, proto) && "register the protocol in cm_rpc_opts.protos");
    if (self->nroutes >= RPC_ROUTES_MAX)
        return -1;
    self->routes[self->nroutes++] = (struct route){(uint16_t)proto, (uint16_t)msg, fn, arg};
    return 0;
}

void cm_rpc_on_peer(cm_rpc_t *self, cm_rpc_handler_fn *fn, void *arg)
{
    assert(self && self->tag == CM_RPC_TAG);
    self->peer_fn = fn;
    self->peer_arg = arg;
}

void cm_rpc_on_connect(cm_rpc_t *self, void (*fn)(cm_rpc_t *rpc, void *arg), void *arg)
{
    assert(self && self->tag == CM_RPC_TAG);
    self->connect_fn = fn;
    self->connect_arg = arg;
    if (fn && self->zs && !self->server)
        fn(self, arg); /* already connected once */
}

/* --- Outbound --- */

uint64_t cm_rpc_call(cm_rpc_t *self, const cm_iov_t *identity, int proto, int msg, uint64_t rid,
                     const cm_buf_t *body, const cm_iov_t *payload, int timeout_ms,
                     cm_rpc_call_fn *cb, void *arg)
{
    assert(self && self->tag == CM_RPC_TAG);
    if (self->closing) {
        if (cb)
            cb(CM_ERR_SHUTDOWN, NULL, arg);
        return 0;
    }
    if (timeout_ms <= 0)
        timeout_ms = CM_RPC_TIMEOUT_MS;
    if (rid == 0 || s_call_find(self, rid))
        rid = s_fresh_rid(self);
    struct call *call = cm_calloc(1, sizeof(*call));
    call->rpc = self;
    call->rid = rid;
    call->cb = cb;
    call->arg = arg;
    call->ev = evtimer_new(self->base, s_on_call_timer, call);
    struct call **bucket = s_bucket(self, rid);
    call->next = *bucket;
    *bucket = call;
    self->ncalls++;

    struct timeval tv = {0, 0};
    if (self->ncalls > CM_RPC_PENDING_MAX) {
        call->fail_status = CM_ERR_BUSY;
    } else {
        cm_iov_t b = s_body_iov(body);
        uint64_t deadline = cm_now_ms() + (uint64_t)timeout_ms;
        /* A client whose peer was declared dead has no socket: the call fails at once.
         * Otherwise the DEALER queues it until the connection is up (its deadline in the
         * header makes a late delivery harmless: the server drops expired requests). */
        int rc = s_send(self, identity, proto, msg, rid, deadline, &b, payload);
        if (rc < 0) {
            call->fail_status = errno == EAGAIN && self->zs ? CM_ERR_BUSY : CM_ERR_UNAVAILABLE;
        } else {
            tv = cm_tv_ms(timeout_ms);
        }
    }
    evtimer_add(call->ev, &tv);
    return rid;
}

int cm_rpc_send(cm_rpc_t *self, const cm_iov_t *identity, int proto, int msg, uint64_t rid,
                const cm_buf_t *body, const cm_iov_t *payload)
{
    assert(self && self->tag == CM_RPC_TAG);
    cm_iov_t b = s_body_iov(body);
    return s_send(self, identity, proto, msg, rid, 0, &b, payload);
}

int cm_rpc_reply(cm_rpc_t *self, const cm_msg_t *req, int proto, int msg, const cm_buf_t *body,
                 const cm_iov_t *payload)
{
    assert(self && self->tag == CM_RPC_TAG);
    cm_iov_t b = s_body_iov(body);
    return s_send(self, &req->identity, proto, msg, req->hdr.rid, 0, &b, payload);
}

static int s_vreply_error(cm_rpc_t *self, const cm_iov_t *identity, uint64_t rid, int status,
                          const char *fmt, va_list ap)
{
    char reason[CM_REASON_MAX];
    vsnprintf(reason, sizeof(reason), fmt, ap);
    return s_send_error(self, identity, rid, status, reason);
}

int cm_rpc_reply_error(cm_rpc_t *self, const cm_msg_t *req, int status, const char *fmt, ...)
{
    assert(self && self->tag == CM_RPC_TAG);
    va_list ap;
    va_start(ap, fmt);
    int rc = s_vreply_error(self, &req->identity, req->hdr.rid, status, fmt, ap);
    va_end(ap);
    return rc;
}

/* --- Deferred replies --- */

cm_defer_t *cm_rpc_defer(cm_rpc_t *self, const cm_msg_t *req)
{
    assert(self && self->tag == CM_RPC_TAG);
    cm_defer_t *d = cm_calloc(1, sizeof(*d));
    d->rpc = self;
    d->hdr = req->hdr;
    d->idlen = req->identity.len <= CM_IDENTITY_MAX ? req->identity.len : 0;
    if (d->idlen)
        memcpy(d->identity, req->identity.data, d->idlen);
    d->next = self->defers;
    if (self->defers)
        self->defers->prev = d;
    self->defers = d;
    return d;
}

static void s_defer_free(cm_defer_t *d)
{
    if (d->rpc) {
        if (d->prev)
            d->prev->next = d->next;
        else
            d->rpc->defers = d->next;
        if (d->next)
            d->next->prev = d->prev;
    }
    cm_free(d);
}

/* True when a deferred answer should still go out. */
static bool s_defer_live(const cm_defer_t *d)
{
    if (!d->rpc)
        return false;
    if (d->hdr.deadline && d->hdr.deadline < cm_now_ms()) {
        cm_log_d(d->rpc->name, d->hdr.rid, "answer dropped: the caller's deadline passed");
        return false;
    }
    return true;
}

int cm_defer_reply(cm_defer_t **defer_p, int proto, int msg, const cm_buf_t *body,
                   const cm_iov_t *payload)
{
    if (!defer_p || !*defer_p)
        return -1;
    cm_defer_t *d = *defer_p;
    *defer_p = NULL;
    int rc = -1;
    if (s_defer_live(d)) {
        cm_iov_t id = {d->identity, d->idlen};
        cm_iov_t b = s_body_iov(body);
        rc = s_send(d->rpc, &id, proto, msg, d->hdr.rid, 0, &b, payload);
    }
    s_defer_free(d);
    return rc;
}

int cm_defer_error(cm_defer_t **defer_p, int status, const char *fmt, ...)
{
    if (!defer_p || !*defer_p)
        return -1;
    cm_defer_t *d = *defer_p;
    *defer_p = NULL;
    int rc = -1;
    if (s_defer_live(d)) {
        cm_iov_t id = {d->identity, d->idlen};
        va_list ap;
        va_start(ap, fmt);
        rc = s_vreply_error(d->rpc, &id, d->hdr.rid, status, fmt, ap);
        va_end(ap);
    }
    s_defer_free(d);
    return rc;
}

void cm_defer_drop(cm_defer_t **defer_p)
{
    if (!defer_p || !*defer_p)
        return;
    s_defer_free(*defer_p);
    *defer_p = NULL;
}

uint64_t cm_defer_rid(const cm_defer_t *defer)
{
    return defer->hdr.rid;
}

/* --- State --- */

bool cm_rpc_alive(const cm_rpc_t *self)
{
    assert(self && self->tag == CM_RPC_TAG);
    if (self->server)
        return true;
    return self->alive && self->zs &&
           cm_mono_ms() - self->last_recv <
               (uint64_t)self->hb_interval_ms * (uint64_t)self->hb_liveness;
}

cm_zsock_t *cm_rpc_zsock(cm_rpc_t *self)
{
    assert(self && self->tag == CM_RPC_TAG && self->server);
    return self->zs;
}

const char *cm_rpc_endpoint(const cm_rpc_t *self)
{
    assert(self && self->tag == CM_RPC_TAG);
    return self->endpoint;
}

void cm_rpc_stats(const cm_rpc_t *self, struct cm_rpc_stats *out)
{
    assert(self && self->tag == CM_RPC_TAG);
    *out = self->stats;
}
