/* SPDX-License-Identifier: MIT
 * gw_routes: the route table of the public API.
 *
 * The invariant of every handler here: it ends, perhaps later, in exactly one reply
 * (cm_http_reply or cm_http_reply_json_error). A handler that starts asynchronous work keeps
 * `req` and replies from the completion callback; cm_http keeps `req` valid until then even
 * when the client has gone. */
#include "gw.h"

typedef void(gw_handler_fn)(struct gw *gw, cm_http_req_t *req);

struct gw_route {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* exact path */
    gw_handler_fn *fn;  /* handler */
};

static void s_on_health_done(int status, char *json, void *arg)
{
    cm_http_req_t *req = arg;
    cm_http_reply(req, status, "application/json", json, strlen(json));
    cm_free(json);
}

static void s_health(struct gw *gw, cm_http_req_t *req)
{
    gw_health_check(&gw->up, cm_http_req_id(req), s_on_health_done, req);
}

static const struct gw_route s_routes[] = {
    {"GET", "/api/health", s_health},
};

void gw_routes_dispatch(cm_http_req_t *req, void *arg)
{
    struct gw *gw = arg;
    const char *method = cm_http_req_method(req);
    const char *path = cm_http_req_path(req);
    /* Every answer of the API is JSON that no cache or sniffer should keep or reinterpret. */
    cm_http_req_add_header(req, "Cache-Control", "no-store");
    cm_http_req_add_header(req, "X-Content-Type-Options", "nosniff");

    char allow[64] = "";
    for (size_t i = 0; i < CM_ARRAY_LEN(s_routes); i++) {
        const struct gw_route *r = &s_routes[i];
        if (strcmp(r->path, path) != 0)
            continue;
        if (strcmp(r->method, method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
            r->fn(gw, req);
            return;
        }
        size_t n = strlen(allow);
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
