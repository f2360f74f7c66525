/* SPDX-License-Identifier: MIT
 * gateway: the public JSON API. Routing, request ids, limits, access tokens, role guards, rate
 * limits and audit events. Stateless: no database. This file only wires. */
#include "cm.h"
#include "cm_service.h"
#include "gw.h"
#include "auth_msg.h"
#include "discovery_msg.h"
#include "stream_msg.h"

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
    char *jwt_secret;       /* JWT_SECRET */
    char *jwt_issuer;       /* JWT_ISSUER */
    char *jwt_audience;     /* JWT_AUDIENCE */
    int64_t jwt_leeway;     /* JWT_LEEWAY */
    char *audit;            /* AUDIT_ENDPOINT */
    int64_t revoke_poll;    /* REVOCATION_POLL */
    int64_t revoke_max;     /* REVOCATION_ENTRIES */
    char *proxies;          /* TRUSTED_PROXIES */
    char *rates[4];         /* RATE_LIMIT_LOGIN, _LOGIN_ACCOUNT, _REFRESH, _API */
    int64_t rl_entries;     /* RATE_LIMIT_ENTRIES */
    bool cookie_secure;     /* COOKIE_SECURE */
    int64_t auth_timeout;   /* AUTH_TIMEOUT */
    char *stream_url;       /* STREAM_PUBLIC_URL */
    char *metrics_listen;   /* METRICS_LISTEN */
} s_cfg;

static const struct cm_cfg_var s_vars[] = {
    CM_METRICS_VARS(&s_cfg.metrics_listen, "127.0.0.1:9180"),
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
    {"JWT_SECRET", CM_CFG_SECRET, NULL, &s_cfg.jwt_secret, 32, 4096, NULL,
     "HS256 key of access tokens: at least 32 random bytes, the same as auth's"},
    {"JWT_ISSUER", CM_CFG_STR, "marquee", &s_cfg.jwt_issuer, 1, 128, NULL,
     "iss claim an access token must carry"},
    {"JWT_AUDIENCE", CM_CFG_STR, "marquee-api", &s_cfg.jwt_audience, 1, 128, NULL,
     "aud claim an access token must carry"},
    {"JWT_LEEWAY", CM_CFG_MS, "30s", &s_cfg.jwt_leeway, 0, 60000, NULL,
     "clock skew accepted on exp, nbf and iat (60 s at most)"},
    {"AUDIT_ENDPOINT", CM_CFG_ENDPOINT, "tcp://127.0.0.1:5561", &s_cfg.audit, 0, 0, NULL,
     "auth's audit PULL socket"},
    {"REVOCATION_POLL", CM_CFG_MS, "5s", &s_cfg.revoke_poll, 50, 30000, NULL,
     "how often revoked sessions are fetched from auth (a revoked token dies within this)"},
    {"REVOCATION_ENTRIES", CM_CFG_INT, "262144", &s_cfg.revoke_max, 16, 16777216, NULL,
     "revocations held at most; beyond it every older token is refused (fail closed)"},
    {"TRUSTED_PROXIES", CM_CFG_STR, "", &s_cfg.proxies, 0, 4096, NULL,
     "addresses and CIDRs of reverse proxies whose X-Forwarded-For is believed"},
    {"RATE_LIMIT_LOGIN", CM_CFG_STR, "10/1m", &s_cfg.rates[0], 1, 64, NULL,
     "logins per client address: N/PERIOD (a bucket of N refilled N per PERIOD) or off"},
    {"RATE_LIMIT_LOGIN_ACCOUNT", CM_CFG_STR, "10/7m", &s_cfg.rates[1], 1, 64, NULL,
     "logins per account from any address (10/7m: under 100 an hour)"},
    {"RATE_LIMIT_REFRESH", CM_CFG_STR, "30/1m", &s_cfg.rates[2], 1, 64, NULL,
     "refreshes and logouts per client address"},
    {"RATE_LIMIT_API", CM_CFG_STR, "1200/1m", &s_cfg.rates[3], 1, 64, NULL,
     "other API requests per client address"},
    {"RATE_LIMIT_ENTRIES", CM_CFG_INT, "65536", &s_cfg.rl_entries, 64, 16777216, NULL,
     "rate-limit buckets held at most (idle ones expire, the least recently used go first)"},
    {"COOKIE_SECURE", CM_CFG_BOOL, "false", &s_cfg.cookie_secure, 0, 0, NULL,
     "mark the session cookies Secure (set it when clients come over HTTPS)"},
    {"AUTH_TIMEOUT", CM_CFG_MS, "5s", &s_cfg.auth_timeout, 100, 60000, NULL,
     "deadline of the gateway's calls to auth"},
    {"STREAM_PUBLIC_URL", CM_CFG_STR, "http://localhost:8090", &s_cfg.stream_url, 8, 1024, NULL,
     "base URL of the stream-proxy as clients reach it (stream URLs and /api/stream redirects)"},
};

static const struct cm_daemon s_daemon = {
    .name = "gateway",
    .summary = "Marquee gateway: the public JSON API (routing, tokens, roles, rate limits).",
    .vars = s_vars,
    .nvars = CM_ARRAY_LEN(s_vars),
};

static struct gw s_gw;

static cm_rpc_t *s_client(struct cm_service_ctx *ctx, const char *name, const char *ep,
                          const struct cm_proto *const *protos)
{
    char err[CM_ERR_LEN];
    struct cm_rpc_opts o = {.name = name, .protos = protos};
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
    char err[CM_ERR_LEN];
    static const char *const rate_names[] = {"RATE_LIMIT_LOGIN", "RATE_LIMIT_LOGIN_ACCOUNT",
                                             "RATE_LIMIT_REFRESH", "RATE_LIMIT_API"};
    static const int rate_cls[] = {GW_RL_LOGIN, GW_RL_LOGIN_ACCOUNT, GW_RL_REFRESH, GW_RL_API};
    for (size_t i = 0; i < CM_ARRAY_LEN(rate_names); i++) {
        if (gw_rate_parse(s_cfg.rates[i], &s_gw.rates[rate_cls[i]], err, sizeof(err)) < 0) {
            cm_log_e("main", 0, "%s='%s' is not valid: %s", rate_names[i], s_cfg.rates[i], err);
            return -1;
        }
    }
    if (!(s_gw.proxies = gw_proxies_parse(s_cfg.proxies, err, sizeof(err)))) {
        cm_log_e("main", 0, "TRUSTED_PROXIES is not valid: %s", err);
        return -1;
    }
    s_gw.jwt = (struct cm_jwt_key){
        .secret = (const unsigned char *)s_cfg.jwt_secret,
        .secret_len = strlen(s_cfg.jwt_secret),
        .iss = s_cfg.jwt_issuer,
        .aud = s_cfg.jwt_audience,
        .leeway_s = (int)(s_cfg.jwt_leeway / 1000),
    };
    if (!(s_gw.verifier = cm_jwt_verifier_new(&s_gw.jwt, 4096, err, sizeof(err)))) {
        cm_log_e("main", 0, "%s", err);
        return -1;
    }
    s_gw.cookie_secure = s_cfg.cookie_secure;
    s_gw.rpc_timeout_ms = (int)s_cfg.auth_timeout;
    s_gw.stream_public_url = s_cfg.stream_url;
    if (strncmp(s_gw.stream_public_url, "http://", 7) != 0 &&
        strncmp(s_gw.stream_public_url, "https://", 8) != 0) {
        cm_log_e("main", 0, "STREAM_PUBLIC_URL must start with http:// or https://");
        return -1;
    }
    s_gw.rl = gw_ratelimit_new((size_t)s_cfg.rl_entries);
    static const struct cm_proto *const auth_protos[] = {&auth_proto, NULL};
    static const struct cm_proto *const disc_protos[] = {&discovery_proto, NULL};
    static const struct cm_proto *const stream_protos[] = {&stream_proto, NULL};
    if (!(s_gw.up.auth = s_client(ctx, "auth-client", s_cfg.auth, auth_protos)) ||
        !(s_gw.up.discovery = s_client(ctx, "discovery-client", s_cfg.discovery, disc_protos)) ||
        !(s_gw.up.stream = s_client(ctx, "stream-client", s_cfg.stream, stream_protos)))
        return -1;
    if (!(s_gw.audit =
              cm_audit_new(ctx->base, ctx->zctx, s_cfg.audit, "gateway", err, sizeof(err)))) {
        cm_log_e("main", 0, "%s", err);
        return -1;
    }
    /* An entry must outlive any token it voids: 15 min + leeway, with slack. */
    s_gw.revoke = cm_revoke_new(ctx->base, s_gw.up.auth, (int)s_cfg.revoke_poll,
                                (size_t)s_cfg.revoke_max, 15 * 60 + 180);

    struct cm_http_opts ho = {
        .headers_max = (size_t)s_cfg.headers_max,
        .body_max = (size_t)s_cfg.body_max,
        .connections_max = (int)s_cfg.conns,
        .header_timeout_ms = (int)s_cfg.header_timeout,
        .idle_timeout_ms = (int)s_cfg.idle_timeout,
        .name = "http",
    };
    s_gw.http = cm_http_new(ctx->base, &ho, gw_routes_dispatch, &s_gw);
    char host[256];
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
    cm_revoke_destroy(&s_gw.revoke);
    cm_jwt_verifier_destroy(&s_gw.verifier);
    gw_ratelimit_destroy(&s_gw.rl);
    gw_proxies_destroy(&s_gw.proxies);
    cm_audit_destroy(&s_gw.audit);
}

int main(int argc, char **argv)
{
    struct cm_service svc = {
        .metrics_listen = &s_cfg.metrics_listen,
        .daemon = &s_daemon,
        .setup = s_setup,
        .teardown = s_teardown,
    };
    return cm_service_main(&svc, argc, argv);
}
