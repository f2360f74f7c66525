/* SPDX-License-Identifier: MIT
 * gw: the gateway's state, shared by its modules. The gateway is stateless (no database): it
 * routes the public JSON API to the daemons that own the data. */
#ifndef GW_H
#define GW_H
#include "cm.h"
#include "cm_http.h"
#include "gw_health.h"

struct gw {
    cm_http_t *http;        /* the public listener */
    struct gw_upstreams up; /* RPC clients of auth, discovery, stream-proxy */
};

/* Route one request (the cm_http handler; `arg` is the struct gw). Every route ends in
 * exactly one reply. */
void gw_routes_dispatch(cm_http_req_t *req, void *arg);

#endif
