/* SPDX-License-Identifier: MIT
 * strm_http: routes of the stream-proxy's HTTP edge. Every handler ends in exactly one reply. */
#include "strm_http.h"

void strm_http_dispatch(cm_http_req_t *req, void *arg)
{
    struct strm_http_ctx *ctx = arg;
    strm_pool_t *pool = ctx->pool;
    if (ctx->edge && strm_edge_handle(ctx->edge, req))
        return;
    const char *method = cm_http_req_method(req);
    const char *path = cm_http_req_path(req);
    if (strcmp(path, "/health") == 0 &&
        (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
        char body[96];
        uint32_t live = strm_pool_live(pool);
        int n = snprintf(body, sizeof(body), "{\"status\":\"%s\",\"workers\":%u}",
                         live ? "ok" : "degraded", live);
        cm_http_req_add_header(req, "Cache-Control", "no-store");
        cm_http_reply(req, live ? 200 : 503, "application/json", body, (size_t)n);
        return;
    }
    cm_http_reply_json_error(req, 404, "not_found", "no such route: %s %s", method, path);
}
