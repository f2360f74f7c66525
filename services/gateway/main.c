/* SPDX-License-Identifier: MIT
 * gateway: the public JSON API. Routing, request ids, limits, and (later) access tokens, role
 * guards, rate limits and audit events. Stateless: no database. This file only wires. */
#include "cm.h"
#include "cm_service.h"
#include "gw.h"

static struct {
    char *listen;           /* GATEWAY_LISTEN */
    char *auth;             /* AUTH_ENDPOINT */
    char *discovery;        /* DISCOVERY_ENDPOINT */
    char *stream;           /* STREAM_CONTROL_ENDPOINT */
    int64_t health_timeout; /* HEALTH_TIMEOUT */
    int64_t conns;          /* HTTP_MAX_CONNECTIONS */
    int64_t headers_max;    /* HTTP_HEADERS_MAX */
    int64_t body_max;       /* HTTP_BODY_MAX */
    int64_t header_timeout; /* HTTP_HEADER_TIMEOUT */
    int64_t idle_timeout;   /* HTTP_IDLE_TIMEOUT */
} s_cfg;

static const struct cm_cfg_var s_vars[] = {
    {"GATEWAY_LISTEN", CM_CFG_LISTEN, "0.0.0.0:8080", &s_cfg.listen, 0, 0, NULL,
     "address and port of the public HTTP API"},
    {"AUTH_ENDPOINT", CM_CFG_ENDPOINT, "tcp://127.0.0.1:5551", &s_cfg.auth, 0, 0, NULL,
     "the auth daemon's RPC endpoint"},
    {"DISCOVERY_ENDPOINT", CM_CFG_ENDPOINT, "tcp://127.0.0.1:5552", &s_cfg.discovery, 0, 0, NULL,
     "the source-discovery daemon's RPC endpoint"},
    {"STREAM_CONTROL_ENDPOINT", CM_CFG_ENDPOINT, "tcp://127.0.0.1:5553", &s_cfg.stream, 0, 0, NULL,
     "the stream-proxy's control RPC endpoint"},
    {"HEALTH_TIMEOUT", CM_CFG_MS, "1000ms", &s_cfg.health_timeout, 50, 30000, NULL,
     "deadline of each daemon's answer to /api/health"},
    {"HTTP_MAX_CONNECTIONS", CM_CFG_INT, "1024", &s_cfg.conns, 1, 100000, NULL,
     "open HTTP connections at most"},
    {"HTTP_HEADERS_MAX", CM_CFG_BYTES, "16KB", &s_cfg.headers_max, 1024, 1048576, NULL,
     "request line and headers at most (431 beyond)"},
    {"HTTP_BODY_MAX", CM_CFG_BYTES, "1MB", &s_cfg.body_max, 0, 67108864, NULL,
     "request body at most (413 beyond)"},
    {"HTTP_HEADER_TIMEOUT", CM_CFG_MS, "10s", &s_cfg.header_timeout, 100, 600000, NULL,
     "a request must arrive whole within this"},
    {"HTTP_IDLE_TIMEOUT", CM_CFG_MS, "60s", &s_cfg.idle_timeout, 100, 3600000, NULL,
     "idle keep-alive connections are closed after this"},
};

static const struct cm_daemon s_daemon = {
    .name = "gateway",
    .summary = "Marquee gateway: the public JSON API (routing, limits, request ids).",
    .vars = s_vars,
    .nvars = CM_ARRAY_LEN(s_vars),
};

static struct gw s_gw;

static cm_rpc_t *s_client(struct cm_service_ctx *ctx, const char *name, const char *ep)
{
    char err[CM_ERR_LEN];
    struct cm_rpc_opts o = {.name = name};
    cm_rpc_t *rpc = cm_rpc_client_new(ctx->base, ctx->zctx, &o, ep, err, sizeof(err));
    if (!rpc)
        cm_log_e("main", 0, "%s", err);
    return rpc;
}

static int s_setup(struct cm_service_ctx *ctx, int argc, char **argv, int argi, void *arg)
{
    CM_UNUSED(argv);
    CM_UNUSED(arg);
    if (argi < argc) {
        cm_log_e("main", 0, "the gateway takes no command; try --help");
        return -1;
    }
    s_gw.up.health_timeout_ms = (int)s_cfg.health_timeout;
    if (!(s_gw.up.auth = s_client(ctx, "auth-client", s_cfg.auth)) ||
        !(s_gw.up.discovery = s_client(ctx, "discovery-client", s_cfg.discovery)) ||
        !(s_gw.up.stream = s_client(ctx, "stream-client", s_cfg.stream)))
        return -1;

    struct cm_http_opts ho = {
        .headers_max = (size_t)s_cfg.headers_max,
        .body_max = (size_t)s_cfg.body_max,
        .connections_max = (int)s_cfg.conns,
        .header_timeout_ms = (int)s_cfg.header_timeout,
        .idle_timeout_ms = (int)s_cfg.idle_timeout,
        .name = "http",
    };
    s_gw.http = cm_http_new(ctx->base, &ho, gw_routes_dispatch, &s_gw);
    char host[256], err[CM_ERR_LEN];
    int port = 0;
    /* GATEWAY_LISTEN passed the same parse in cm_config_load. */
    cm_config_parse_listen(s_cfg.listen, host, sizeof(host), &port);
    if (cm_http_listen(s_gw.http, host, port, err, sizeof(err)) < 0) {
        cm_log_e("main", 0, "%s", err);
        return -1;
    }
    snprintf(ctx->ready, sizeof(ctx->ready), "http=%s:%d", host[0] ? host : "0.0.0.0",
             cm_http_port(s_gw.http));
    return 0;
}

static void s_teardown(struct cm_service_ctx *ctx, void *arg)
{
    CM_UNUSED(ctx);
    CM_UNUSED(arg);
    /* Clients first: their pending calls complete with CM_ERR_SHUTDOWN and answer the HTTP
     * requests waiting on them while the server still exists. */
    cm_rpc_destroy(&s_gw.up.auth);
    cm_rpc_destroy(&s_gw.up.discovery);
    cm_rpc_destroy(&s_gw.up.stream);
    cm_http_destroy(&s_gw.http);
}

int main(int argc, char **argv)
{
    struct cm_service svc = {
        .daemon = &s_daemon,
        .setup = s_setup,
        .teardown = s_teardown,
    };
    return cm_service_main(&svc, argc, argv);
}
