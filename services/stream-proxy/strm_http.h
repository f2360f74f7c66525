/* SPDX-License-Identifier: MIT
 * strm_http: the stream-proxy's HTTP listener (:8090): /api/stream/... goes to the byte edge
 * (strm_edge.c), GET /health answers probes, everything else a JSON 404. */
#ifndef STRM_HTTP_H
#define STRM_HTTP_H
#include "cm.h"
#include "cm_http.h"
#include "strm_edge.h"
#include "strm_pool.h"

struct strm_http_ctx {
    strm_pool_t *pool;
    strm_edge_t *edge;
};

/* The cm_http handler; `arg` is a struct strm_http_ctx. */
void strm_http_dispatch(cm_http_req_t *req, void *arg);

#endif
