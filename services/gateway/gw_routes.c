/* SPDX-License-Identifier: MIT
 * gw_routes: the route table of the public API, and what every request goes through before
 * its handler: security headers, the client address, the rate limit of its class, then the
 * access token and role guard of its route.
 *
 * The invariant of every handler here: it ends, perhaps later, in exactly one reply
 * (cm_http_reply or cm_http_reply_json_error). A handler that starts asynchronous work keeps
 * `req` and replies from the completion callback; cm_http keeps `req` valid until then even
 * when the client has gone. */
#include "gw.h"
#include "gw_api_catalog.h"
#include "gw_api_stream.h"

typedef void(gw_handler_fn)(struct gw *gw, cm_http_req_t *req, struct gw_caller *who,
                            const char *arg);

struct gw_route {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* the path; "{}" stands for one segment (no '/'), passed as `arg`;
                           a final "*" for any rest (passed as `arg`) */
    bool param;         /* the path has "{}" or "*" */
    enum gw_access access;
    int rl; /* rate-limit class (per client address) */
    gw_handler_fn *fn;
};

static void s_on_health_done(int status, char *json, void *arg)
{
    cm_http_req_t *req = arg;
    cm_http_reply(req, status, "application/json", json, strlen(json));
    cm_free(json);
}

static void s_health(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(who);
    CM_UNUSED(arg);
    gw_health_check(&gw->up, cm_http_req_id(req), s_on_health_done, req);
}

/* Health is public and not rate limited: orchestrators probe it. */
#define GW_RL_NONE (-1)

static const struct gw_route s_routes[] = {
    {"GET", "/api/health", false, GW_PUBLIC, GW_RL_NONE, s_health},
    {"POST", "/api/auth/login", false, GW_PUBLIC, GW_RL_LOGIN, gw_api_login},
    {"POST", "/api/auth/refresh", false, GW_PUBLIC, GW_RL_REFRESH, gw_api_refresh},
    {"POST", "/api/auth/logout", false, GW_PUBLIC, GW_RL_REFRESH, gw_api_logout},
    {"GET", "/api/auth/me", false, GW_USER, GW_RL_API, gw_api_me},
    {"POST", "/api/users", false, GW_ADMIN, GW_RL_API, gw_api_user_create},
    {"GET", "/api/users", false, GW_ADMIN, GW_RL_API, gw_api_user_list},
    {"PATCH", "/api/users/{}", true, GW_ADMIN, GW_RL_API, gw_api_user_update},
    {"DELETE", "/api/users/{}", true, GW_ADMIN, GW_RL_API, gw_api_user_delete},
    {"GET", "/api/status", false, GW_PUBLIC, GW_RL_API, gw_api_status},
    {"POST", "/api/movies", false, GW_ADMIN, GW_RL_API, gw_api_movie_create},
    {"GET", "/api/movies", false, GW_USER, GW_RL_API, gw_api_movie_list},
    {"GET", "/api/movies/{}", true, GW_USER, GW_RL_API, gw_api_movie_get},
    {"POST", "/api/movies/{}/sources", true, GW_ADMIN, GW_RL_API, gw_api_source_add},
    {"GET", "/api/sources/{}", true, GW_USER, GW_RL_API, gw_api_source_get},
    {"POST", "/api/stream/token", false, GW_USER, GW_RL_API, gw_api_stream_token},
    {"GET", "/api/stream/sessions", false, GW_USER, GW_RL_API, gw_api_stream_sessions},
    {"DELETE", "/api/stream/sessions/{}", true, GW_USER, GW_RL_API, gw_api_stream_session_end},
    {"GET", "/api/workers", false, GW_ADMIN, GW_RL_API, gw_api_workers},
    /* any other /api/stream/... goes to the stream-proxy: it checks keys and tokens itself */
    {"GET", "/api/stream/*", true, GW_PUBLIC, GW_RL_API, gw_api_stream_redirect},
};

/* Does `path` match route `r`? The {} segment or the * rest goes to `arg`. */
static bool s_match(const struct gw_route *r, const char *path, char *arg, size_t size)
{
    if (!r->param)
        return strcmp(r->path, path) == 0;
    const char *hole = strstr(r->path, "{}");
    const char *star = hole ? NULL : strchr(r->path, '*');
    size_t pre = (size_t)((hole ? hole : star) - r->path);
    if (strncmp(r->path, path, pre) != 0)
        return false;
    const char *rest = path + pre;
    if (star) {
        size_t len = strlen(rest);
        if (len == 0 || len >= size)
            return false;
        memcpy(arg, rest, len + 1);
        return true;
    }
    const char *suffix = hole + 2;
    const char *slash = strchr(rest, '/');
    size_t seg = slash ? (size_t)(slash - rest) : strlen(rest);
    if (seg == 0 || seg >= size || strcmp(rest + seg, suffix) != 0)
        return false;
    memcpy(arg, rest, seg);
    arg[seg] = '\0';
    return true;
}

void gw_routes_dispatch(cm_http_req_t *req, void *arg)
{
    struct gw *gw = arg;
    const char *method = cm_http_req_method(req);
    const char *path = cm_http_req_path(req);
    /* Every answer of the API is JSON that no cache or sniffer should keep or reinterpret. */
    cm_http_req_add_header(req, "Cache-Control", "no-store");
    cm_http_req_add_header(req, "X-Content-Type-Options", "nosniff");

    char allow[64] = "", param[2048];
    for (size_t i = 0; i < CM_ARRAY_LEN(s_routes); i++) {
        const struct gw_route *r = &s_routes[i];
        if (!s_match(r, path, param, sizeof(param)))
            continue;
        if (strcmp(r->method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
            struct gw_caller who = {.authed = false};
            char xff[GW_XFF_LEN_MAX + 1];
            bool has_xff = cm_http_req_header_join(req, "X-Forwarded-For", xff, sizeof(xff)) > 0;
            gw_client_addr(gw->proxies, cm_http_req_peer(req), has_xff ? xff : NULL, who.ip,
                           sizeof(who.ip));
            if (r->rl != GW_RL_NONE && !gw_rate_take(gw, req, r->rl, who.ip, who.ip))
                return;
            if (r->access != GW_PUBLIC && gw_auth_check(gw, req, r->access, &who) < 0)
                return;
            r->fn(gw, req, &who, r->param ? param : NULL);
            return;
        }
        size_t n = strlen(allow);
        if (!strstr(allow, r->method))
            snprintf(allow + n, sizeof(allow) - n, "%s%s", n ? ", " : "", r->method);
    }
    if (allow[0]) {
        cm_http_req_add_header(req, "Allow", allow);
        cm_http_reply_json_error(req, 405, "method_not_allowed", "%s is not allowed here; use %s",
                                 method, allow);
        return;
    }
    cm_http_reply_json_error(req, 404, "not_found", "no such route: %s %s", method, path);
}
