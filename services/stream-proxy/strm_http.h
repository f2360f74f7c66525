/* SPDX-License-Identifier: MIT
 * strm_http: the stream-proxy's HTTP edge (:8090). The byte-serving routes
 * (/api/stream/...) come with the streaming work; today it answers GET /health (for probes)
 * and a JSON 404 for everything else. */
#ifndef STRM_HTTP_H
#define STRM_HTTP_H
#include "cm.h"
#include "cm_http.h"
#include "strm_pool.h"

/* The cm_http handler; `arg` is the strm_pool_t. */
void strm_http_dispatch(cm_http_req_t *req, void *arg);

#endif
