/* SPDX-License-Identifier: MIT
 * stream-proxy: the worker pool (membership, heartbeats, routing, failover), stream sessions
 * and the HTTP byte edge. This file only wires: the control RPC server (cm_service), the pool
 * ROUTER and the HTTP listener. */
#include "cm.h"
#include "cm_service.h"
#include "stream_msg.h"
#include "strm_http.h"
#include "strm_pool.h"

static struct {
    char *control_bind;     /* STREAM_CONTROL_BIND */
    char *pool_bind;        /* STREAM_POOL_BIND */
    char *listen;           /* STREAM_LISTEN */
    int64_t heartbeat;      /* POOL_HEARTBEAT */
    int64_t conns;          /* HTTP_MAX_CONNECTIONS */
    int64_t header_timeout; /* HTTP_HEADER_TIMEOUT */
} s_cfg;

static const struct cm_cfg_var s_vars[] = {
    {"STREAM_CONTROL_BIND", CM_CFG_ENDPOINT, "tcp://*:5553", &s_cfg.control_bind, 0, 0, NULL,
     "ZeroMQ endpoint of the control RPC server (gateway, discovery)"},
    {"STREAM_POOL_BIND", CM_CFG_ENDPOINT, "tcp://*:5554", &s_cfg.pool_bind, 0, 0, NULL,
     "ZeroMQ endpoint the torrent workers connect to"},
    {"STREAM_LISTEN", CM_CFG_LISTEN, "0.0.0.0:8090", &s_cfg.listen, 0, 0, NULL,
     "address and port of the HTTP byte edge"},
    {"POOL_HEARTBEAT", CM_CFG_MS, "1s", &s_cfg.heartbeat, 100, 60000, NULL,
     "heartbeat interval on the pool; a worker is dead after 3 silent intervals"},
    {"HTTP_MAX_CONNECTIONS", CM_CFG_INT, "1024", &s_cfg.conns, 1, 100000, NULL,
     "open HTTP connections at most"},
    {"HTTP_HEADER_TIMEOUT", CM_CFG_MS, "10s", &s_cfg.header_timeout, 100, 600000, NULL,
     "a request must arrive whole within this"},
};

static const struct cm_daemon s_daemon = {
    .name = "stream-proxy",
    .summary = "Marquee stream-proxy: the torrent worker pool and the HTTP byte edge.",
    .vars = s_vars,
    .nvars = CM_ARRAY_LEN(s_vars),
};

static strm_pool_t *s_pool;
static cm_http_t *s_http;

static uint32_t s_live_workers(void *arg)
{
    CM_UNUSED(arg);
    return s_pool ? strm_pool_live(s_pool) : 0;
}

static int s_setup(struct cm_service_ctx *ctx, int argc, char **argv, int argi, void *arg)
{
    CM_UNUSED(argv);
    CM_UNUSED(arg);
    if (argi < argc) {
        cm_log_e("main", 0, "the stream-proxy takes no command; try --help");
        return -1;
    }
    char err[CM_ERR_LEN], pool_ep[256], host[256];
    s_pool = strm_pool_new(ctx->base, ctx->zctx, s_cfg.pool_bind, (int)s_cfg.heartbeat, pool_ep,
                           sizeof(pool_ep), err, sizeof(err));
    if (!s_pool) {
        cm_log_e("main", 0, "%s", err);
        return -1;
    }
    struct cm_http_opts ho = {
        .connections_max = (int)s_cfg.conns,
        .header_timeout_ms = (int)s_cfg.header_timeout,
        .name = "http",
    };
    s_http = cm_http_new(ctx->base, &ho, strm_http_dispatch, s_pool);
    int port = 0;
    cm_config_parse_listen(s_cfg.listen, host, sizeof(host), &port); /* validated at load */
    if (cm_http_listen(s_http, host, port, err, sizeof(err)) < 0) {
        cm_log_e("main", 0, "%s", err);
        return -1;
    }
    size_t n = strlen(ctx->ready);
    snprintf(ctx->ready + n, sizeof(ctx->ready) - n, " pool=%s http=%s:%d", pool_ep,
             host[0] ? host : "0.0.0.0", cm_http_port(s_http));
    return 0;
}

static void s_teardown(struct cm_service_ctx *ctx, void *arg)
{
    CM_UNUSED(ctx);
    CM_UNUSED(arg);
    cm_http_destroy(&s_http);
    strm_pool_destroy(&s_pool);
}

static const struct cm_proto *const s_protos[] = {&stream_proto, NULL};

int main(int argc, char **argv)
{
    struct cm_service svc = {
        .daemon = &s_daemon,
        .bind = &s_cfg.control_bind,
        .protos = s_protos,
        .health = {.service = "stream", .workers_fn = s_live_workers},
        .setup = s_setup,
        .teardown = s_teardown,
    };
    return cm_service_main(&svc, argc, argv);
}
