/* SPDX-License-Identifier: MIT
 * cm_health: HEALTH -> HEALTH_OK, with a database round trip where there is a database. */
#include "cm.h"
#include "cm_daemon.h"
#include "cm_health.h"
#include "common_msg.h"

enum {
    HEALTH_DB_TIMEOUT_MS = 1000, /* longest database probe, whatever the caller's deadline */
};

/* One HEALTH request waiting for its database probe. */
struct probe {
    const struct cm_health *h; /* borrowed */
    cm_defer_t *defer;         /* the answer to send */
    uint64_t started_us;       /* when the probe was sent */
};

static void s_answer(const struct cm_health *h, cm_defer_t **defer_p, int db, uint32_t db_us,
                     const char *detail)
{
    struct common_health_ok ok;
    memset(&ok, 0, sizeof(ok));
    snprintf(ok.service, sizeof(ok.service), "%s", h->service);
    snprintf(ok.version, sizeof(ok.version), "%s", CM_VERSION);
    ok.pid = (uint32_t)getpid();
    ok.uptime_ms = cm_daemon_uptime_ms();
    ok.db = (uint8_t)db;
    ok.db_us = db_us;
    ok.workers = h->workers_fn ? h->workers_fn(h->workers_arg) : 0;
    cm_utf8_copy(ok.detail, sizeof(ok.detail), detail ? detail : "");
    cm_buf_t *body = cm_buf_new(1024);
    if (common_health_ok_encode(&ok, body) == 0)
        cm_defer_reply(defer_p, COMMON_PROTO, COMMON_MSG_HEALTH_OK, body, NULL);
    else
        cm_defer_error(defer_p, CM_ERR_INTERNAL, "cannot encode HEALTH_OK");
    cm_buf_destroy(&body);
}

static void s_on_probe(int status, const PGresult *res, void *arg)
{
    CM_UNUSED(res);
    struct probe *p = arg;
    uint64_t us = cm_mono_us() - p->started_us;
    if (status == CM_OK)
        s_answer(p->h, &p->defer, 1, (uint32_t)CM_MIN(us, UINT32_MAX), NULL);
    else
        s_answer(p->h, &p->defer, 2, 0, cm_status_str(status));
    cm_free(p);
}

static void s_on_health(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    const struct cm_health *h = arg;
    cm_defer_t *defer = cm_rpc_defer(rpc, msg);
    if (!h->pg) {
        s_answer(h, &defer, 0, 0, NULL);
        return;
    }
    int timeout = HEALTH_DB_TIMEOUT_MS;
    if (msg->hdr.deadline) {
        uint64_t now = cm_now_ms();
        uint64_t left = msg->hdr.deadline > now ? msg->hdr.deadline - now : 1;
        timeout = (int)CM_MIN(left, (uint64_t)HEALTH_DB_TIMEOUT_MS);
    }
    struct probe *p = cm_calloc(1, sizeof(*p));
    p->h = h;
    p->defer = defer;
    p->started_us = cm_mono_us();
    cm_pg_query(h->pg, "SELECT 1", 0, NULL, timeout, s_on_probe, p);
}

void cm_health_serve(cm_rpc_t *rpc, const struct cm_health *h)
{
    cm_rpc_handle(rpc, COMMON_PROTO, COMMON_MSG_HEALTH, s_on_health, (void *)h);
}
