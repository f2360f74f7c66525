/* SPDX-License-Identifier: MIT
 * bt_pool: READY, HEARTBEAT and request handling on the pool DEALER. */
#include "bt_pool.h"
#include "cm_daemon.h"
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
    if (self->registered)
        cm_log_w("pool", 0, "lost the stream-proxy; registering again");
    self->registered = false;
}

static void s_on_heartbeat_timer(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    bt_pool_t *self = arg;
    if (!self->registered) {
        s_send_ready(self, self->rpc);
        return;
    }
    uint64_t now = cm_mono_ms();
    if (now - self->hb_sent < (uint64_t)self->heartbeat_ms)
        return;
    self->hb_sent = now;
    struct torrent_heartbeat hb;
    memset(&hb, 0, sizeof(hb));
    cm_buf_reset(self->buf);
    if (torrent_heartbeat_encode(&hb, self->buf) == 0)
        cm_rpc_send(self->rpc, NULL, TORRENT_PROTO, TORRENT_MSG_HEARTBEAT, 0, self->buf, NULL);
}

/* The proxy heartbeats only the workers it knows: its first heartbeat acknowledges READY.
 * (cm_rpc itself counts every message as a sign of life.) */
static void s_on_proxy_heartbeat(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    CM_UNUSED(msg);
    bt_pool_t *self = arg;
    if (!self->registered)
        cm_log_n("pool", 0, "registered with the stream-proxy at %s as %s", cm_rpc_endpoint(rpc),
                 self->worker_id);
    self->registered = true;
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
    cm_rpc_handle(rpc, TORRENT_PROTO, TORRENT_MSG_HEARTBEAT, s_on_proxy_heartbeat, self);
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
    cm_rpc_destroy(&self->rpc);
    cm_buf_destroy(&self->buf);
    self->tag = 0xdeadbeef;
    cm_free(self);
}
