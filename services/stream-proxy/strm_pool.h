/* SPDX-License-Identifier: MIT
 * strm_pool: the worker pool as the stream-proxy sees it. A ROUTER bound on the pool
 * endpoint; workers connect a DEALER, announce themselves with READY and send HEARTBEAT every
 * second; the pool heartbeats each known worker back every second. A worker is dead after
 * CM_HB_LIVENESS silent intervals, or at once when its TCP connection closes (a socket monitor
 * maps the closed fd to the worker, so a kill -9 is noticed immediately). */
#ifndef STRM_POOL_H
#define STRM_POOL_H
#include "cm.h"
#include "cm_rpc.h"

typedef struct strm_pool strm_pool_t;

/* Bind the pool on `endpoint`; the endpoint actually bound goes to `bound`.
 * Caller owns the result (strm_pool_destroy). NULL with a sentence in `err`. */
strm_pool_t *strm_pool_new(struct event_base *base, void *zctx, const char *endpoint,
                           int heartbeat_ms, char *bound, size_t boundlen, char *err,
                           size_t errlen);

void strm_pool_destroy(strm_pool_t **self_p);

/* Workers alive now. */
uint32_t strm_pool_live(const strm_pool_t *self);

#endif
