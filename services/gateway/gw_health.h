/* SPDX-License-Identifier: MIT
 * gw_health: GET /api/health. Asks auth, source-discovery and the stream-proxy for HEALTH at
 * once, each under the same deadline, and answers when all have replied or timed out, so the
 * answer comes within the deadline even when a daemon is dead or hung. 200 {"status":"ok"}
 * when every daemon, every database and at least one worker are up; 503 "degraded" otherwise,
 * with the same shape (API.md). */
#ifndef GW_HEALTH_H
#define GW_HEALTH_H
#include "cm.h"
#include "cm_rpc.h"

/* The daemons the gateway talks to. Borrowed by gw_health_check. */
struct gw_upstreams {
    cm_rpc_t *auth;        /* auth RPC client */
    cm_rpc_t *discovery;   /* source-discovery RPC client */
    cm_rpc_t *stream;      /* stream-proxy control RPC client */
    int health_timeout_ms; /* deadline of each HEALTH call */
};

/* Called once with the HTTP status and the JSON body (caller of the callback owns `json` and
 * frees it with cm_free()). */
typedef void(gw_health_done_fn)(int status, char *json, void *arg);

/* Start a health check tagged with request id `rid`; `done` runs exactly once, later (at the
 * latest when the upstreams' deadlines pass, or when they are destroyed). */
void gw_health_check(const struct gw_upstreams *u, uint64_t rid, gw_health_done_fn *done,
                     void *arg);

#endif
