/* SPDX-License-Identifier: MIT
 * stream-proxy: the worker pool (membership, heartbeats, routing, failover), stream sessions
 * and the HTTP byte edge. This file only wires: the control RPC server (cm_service), the pool
 * ROUTER and the HTTP listener. */
#include "cm.h"
#include "cm_service.h"
#include "auth_msg.h"
#include "discovery_msg.h"
#include "stream_msg.h"
#include "strm_control.h"
#include "strm_edge.h"
#include "strm_http.h"
#include "strm_pool.h"
#include "cm_metrics.h"

static struct {
    char *control_bind;     /* STREAM_CONTROL_BIND */
    char *pool_bind;        /* STREAM_POOL_BIND */
    char *listen;           /* STREAM_LISTEN */
    int64_t heartbeat;      /* POOL_HEARTBEAT */
    int64_t conns;          /* HTTP_MAX_CONNECTIONS */
    int64_t header_timeout; /* HTTP_HEADER_TIMEOUT */
    char *auth;             /* AUTH_ENDPOINT */
    char *discovery;        /* DISCOVERY_ENDPOINT */
    char *jwt_secret;       /* JWT_SECRET */
    char *jwt_issuer;       /* JWT_ISSUER */
    char *jwt_audience;     /* JWT_AUDIENCE */
    int64_t jwt_leeway;     /* JWT_LEEWAY */
    int64_t per_user;       /* STREAM_SESSIONS_PER_USER */
    int64_t open_timeout;   /* STREAM_OPEN_TIMEOUT */
    int64_t first_byte;     /* STREAM_FIRST_BYTE_TIMEOUT */
    int64_t stall;          /* STREAM_STALL_TIMEOUT */
    int64_t credit;         /* STREAM_CREDIT_WINDOW */
    int64_t key_cache;      /* STREAM_KEY_CACHE */
    int64_t revoke_poll;    /* REVOCATION_POLL */
    bool local_reads;       /* STREAM_LOCAL_READS */
    char *metrics_listen;   /* METRICS_LISTEN */
} s_cfg;

static const struct cm_cfg_var s_vars[] = {
    CM_METRICS_VARS(&s_cfg.metrics_listen, "127.0.0.1:9183"),
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
    {"AUTH_ENDPOINT", CM_CFG_ENDPOINT, "tcp://127.0.0.1:5551", &s_cfg.auth, 0, 0, NULL,
     "the auth daemon's RPC endpoint (stream keys)"},
    {"DISCOVERY_ENDPOINT", CM_CFG_ENDPOINT, "tcp://127.0.0.1:5552", &s_cfg.discovery, 0, 0, NULL,
     "the source-discovery daemon's RPC endpoint (sources)"},
    {"JWT_SECRET", CM_CFG_SECRET, NULL, &s_cfg.jwt_secret, 32, 4096, NULL,
     "HS256 key of access tokens (for /api/stream/source/<id>), the same as auth's"},
    {"JWT_ISSUER", CM_CFG_STR, "marquee", &s_cfg.jwt_issuer, 1, 128, NULL,
     "iss claim an access token must carry"},
    {"JWT_AUDIENCE", CM_CFG_STR, "marquee-api", &s_cfg.jwt_audience, 1, 128, NULL,
     "aud claim an access token must carry"},
    {"JWT_LEEWAY", CM_CFG_MS, "30s", &s_cfg.jwt_leeway, 0, 60000, NULL,
     "clock skew accepted on exp, nbf and iat"},
    {"STREAM_SESSIONS_PER_USER", CM_CFG_INT, "3", &s_cfg.per_user, 1, 1000, NULL,
     "sources one user may stream at once (429 beyond)"},
    {"STREAM_OPEN_TIMEOUT", CM_CFG_MS, "30s", &s_cfg.open_timeout, 1000, 600000, NULL,
     "a torrent's metadata must arrive within this (504 beyond)"},
    {"STREAM_FIRST_BYTE_TIMEOUT", CM_CFG_MS, "30s", &s_cfg.first_byte, 500, 600000, NULL,
     "the first byte of a request must come within this (504 beyond: no peers)"},
    {"STREAM_STALL_TIMEOUT", CM_CFG_MS, "60s", &s_cfg.stall, 1000, 3600000, NULL,
     "a stream with no byte for this long is ended"},
    {"STREAM_CREDIT_WINDOW", CM_CFG_BYTES, "4MB", &s_cfg.credit, 262144, 268435456, NULL,
     "bytes a worker may send ahead of the client, per request"},
    {"STREAM_LOCAL_READS", CM_CFG_BOOL, "true", &s_cfg.local_reads, 0, 0, NULL,
     "send bytes straight from the cache files of workers on this host (sendfile)"},
    {"REVOCATION_POLL", CM_CFG_MS, "5s", &s_cfg.revoke_poll, 50, 30000, NULL,
     "how often revoked sessions are fetched from auth (for bearer tokens)"},
    {"STREAM_KEY_CACHE", CM_CFG_MS, "30s", &s_cfg.key_cache, 0, 600000, NULL,
     "a checked stream key is trusted this long (a dead session's key dies within it)"},
};

static const struct cm_daemon s_daemon = {
    .name = "stream-proxy",
    .summary = "Marquee stream-proxy: the torrent worker pool and the HTTP byte edge.",
    .vars = s_vars,
    .nvars = CM_ARRAY_LEN(s_vars),
};

static strm_pool_t *s_pool;
static cm_http_t *s_http;
static cm_rpc_t *s_auth, *s_disc;
static strm_edge_t *s_edge;
static strm_control_t *s_control;
static cm_revoke_t *s_revoke;
static struct strm_http_ctx s_http_ctx;

static cm_rpc_t *s_client(struct cm_service_ctx *ctx, const char *name, const char *ep,
                          const struct cm_proto *proto)
{
    char err[CM_ERR_LEN];
    const struct cm_proto *protos[] = {proto, NULL};
    struct cm_rpc_opts o = {.name = name, .protos = protos, .max_msg = CM_POOL_MSG_MAX};
    cm_rpc_t *rpc = cm_rpc_client_new(ctx->base, ctx->zctx, &o, ep, err, sizeof(err));
    if (!rpc)
        cm_log_e("main", 0, "%s", err);
    return rpc;
}

static double s_m_workers(void *arg)
{
    CM_UNUSED(arg);
    return s_pool ? strm_pool_live(s_pool) : 0;
}

static double s_m_requests(void *arg)
{
    CM_UNUSED(arg);
    return s_edge ? (double)strm_edge_requests(s_edge) : 0;
}

static double s_m_sessions(void *arg)
{
    CM_UNUSED(arg);
    return s_edge ? (double)strm_edge_sessions(s_edge) : 0;
}

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
    if (!(s_auth = s_client(ctx, "auth-client", s_cfg.auth, &auth_proto)) ||
        !(s_disc = s_client(ctx, "discovery-client", s_cfg.discovery, &discovery_proto)))
        return -1;
    struct cm_jwt_key jwt = {
        .secret = (const unsigned char *)s_cfg.jwt_secret,
        .secret_len = strlen(s_cfg.jwt_secret),
        .iss = s_cfg.jwt_issuer,
        .aud = s_cfg.jwt_audience,
        .leeway_s = (int)(s_cfg.jwt_leeway / 1000),
    };
    s_revoke = cm_revoke_new(ctx->base, s_auth, (int)s_cfg.revoke_poll, 262144, 15 * 60 + 180);
    struct strm_edge_opts eo = {
        .revoke = s_revoke,
        .auth = s_auth,
        .discovery = s_disc,
        .pool = s_pool,
        .jwt = &jwt,
        .sessions_per_user = (int)s_cfg.per_user,
        .open_timeout_ms = (int)s_cfg.open_timeout,
        .first_byte_timeout_ms = (int)s_cfg.first_byte,
        .stall_timeout_ms = (int)s_cfg.stall,
        .credit_window = (size_t)s_cfg.credit,
        .local_reads = s_cfg.local_reads,
        .key_cache_ms = (int)s_cfg.key_cache,
    };
    s_edge = strm_edge_new(ctx->base, &eo);
    cm_metrics_gauge_fn("marquee_pool_workers", NULL, "Live workers in the pool.", s_m_workers,
                        NULL);
    cm_metrics_gauge_fn("marquee_stream_requests", NULL, "Stream requests in flight.", s_m_requests,
                        NULL);
    cm_metrics_gauge_fn("marquee_stream_sessions", NULL, "Stream sessions open.", s_m_sessions,
                        NULL);
    strm_edge_register(s_edge, ctx->rpc);
    s_control = strm_control_new(ctx->base, s_pool, ctx->rpc); /* METADATA, SCRAPE */
    s_http_ctx = (struct strm_http_ctx){.pool = s_pool, .edge = s_edge};
    struct cm_http_opts ho = {
        .connections_max = (int)s_cfg.conns,
        .header_timeout_ms = (int)s_cfg.header_timeout,
        .name = "http",
    };
    s_http = cm_http_new(ctx->base, &ho, strm_http_dispatch, &s_http_ctx);
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
    strm_edge_shutdown(s_edge); /* requests in flight end: their clients see a close */
    cm_rpc_destroy(&s_auth);
    cm_rpc_destroy(&s_disc);
    strm_pool_destroy(&s_pool); /* its calls in flight end here, with SHUTDOWN */
    strm_control_destroy(&s_control);
    strm_edge_destroy(&s_edge);
    cm_revoke_destroy(&s_revoke);
    cm_http_destroy(&s_http);
}

static const struct cm_proto *const s_protos[] = {&stream_proto, NULL};

int main(int argc, char **argv)
{
    /* stream chunks of 1 MiB come and go all the time: keep them on the heap */
    cm_mem_tune_bulk(8u << 20, 32u << 20);
    struct cm_service svc = {
        .metrics_listen = &s_cfg.metrics_listen,
        .daemon = &s_daemon,
        .bind = &s_cfg.control_bind,
        .protos = s_protos,
        .health = {.service = "stream", .workers_fn = s_live_workers},
        .setup = s_setup,
        .teardown = s_teardown,
    };
    return cm_service_main(&svc, argc, argv);
}
