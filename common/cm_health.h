/* SPDX-License-Identifier: MIT
 * cm_health: the common.HEALTH handler every daemon registers. It answers HEALTH_OK with the
 * daemon's name, version, pid and uptime; a daemon with a database first runs `SELECT 1`
 * (bounded by the request's deadline, at most 1 s) and reports whether it answered and how
 * long it took; the stream-proxy adds its live worker count through a callback. */
#ifndef CM_HEALTH_H
#define CM_HEALTH_H
#include "cm_rpc.h"
#include "cm_pg.h"

struct cm_health {
    const char *service;               /* name reported, e.g. "auth" */
    cm_pg_t *pg;                       /* borrowed; NULL for a daemon without a database */
    uint32_t (*workers_fn)(void *arg); /* stream-proxy: live workers; NULL otherwise */
    void *workers_arg;                 /* its argument */
};

/* Register the HEALTH handler on `rpc`. `h` is borrowed and must outlive `rpc`. */
void cm_health_serve(cm_rpc_t *rpc, const struct cm_health *h);

#endif
