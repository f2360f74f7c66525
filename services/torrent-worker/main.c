/* SPDX-License-Identifier: MIT
 * torrent-worker: a BitTorrent engine serving verified bytes to the stream-proxy's pool. With
 * no subcommand it runs as the pool daemon. This file only wires. */
#include "cm.h"
#include "cm_service.h"
#include "bt_pool.h"

static struct {
    char *pool_endpoint; /* STREAM_POOL_ENDPOINT */
    char *worker_id;     /* WORKER_ID */
    int64_t capacity;    /* WORKER_CAPACITY */
    int64_t heartbeat;   /* POOL_HEARTBEAT */
} s_cfg;

static const struct cm_cfg_var s_vars[] = {
    {"STREAM_POOL_ENDPOINT", CM_CFG_ENDPOINT, "tcp://127.0.0.1:5554", &s_cfg.pool_endpoint, 0, 0,
     NULL, "the stream-proxy's pool endpoint to connect to"},
    {"WORKER_ID", CM_CFG_STR, "", &s_cfg.worker_id, 0, 64, NULL,
     "stable worker id (empty: the host name)"},
    {"WORKER_CAPACITY", CM_CFG_INT, "32", &s_cfg.capacity, 1, 100000, NULL,
     "streams this worker accepts at once"},
    {"POOL_HEARTBEAT", CM_CFG_MS, "1s", &s_cfg.heartbeat, 100, 60000, NULL,
     "heartbeat interval on the pool connection"},
};

static const struct cm_daemon s_daemon = {
    .name = "torrent-worker",
    .summary = "Marquee torrent worker: a BitTorrent engine that serves verified bytes to the "
               "stream-proxy's pool. With no command it runs as the pool daemon.",
    .vars = s_vars,
    .nvars = CM_ARRAY_LEN(s_vars),
};

static bt_pool_t *s_pool;

static int s_setup(struct cm_service_ctx *ctx, int argc, char **argv, int argi, void *arg)
{
    CM_UNUSED(arg);
    if (argi < argc) {
        cm_log_e("main", 0, "unknown command '%s'; try --help", argv[argi]);
        return -1;
    }
    char host[65] = "worker";
    if (s_cfg.worker_id[0] == '\0' && gethostname(host, sizeof(host) - 1) < 0)
        snprintf(host, sizeof(host), "worker");
    struct bt_pool_opts po = {
        .endpoint = s_cfg.pool_endpoint,
        .worker_id = s_cfg.worker_id[0] ? s_cfg.worker_id : host,
        .capacity = (uint32_t)s_cfg.capacity,
        .heartbeat_ms = (int)s_cfg.heartbeat,
    };
    char err[CM_ERR_LEN];
    s_pool = bt_pool_new(ctx->base, ctx->zctx, &po, err, sizeof(err));
    if (!s_pool) {
        cm_log_e("main", 0, "%s", err);
        return -1;
    }
    snprintf(ctx->ready, sizeof(ctx->ready), "pool=%s worker_id=%s", s_cfg.pool_endpoint,
             po.worker_id);
    return 0;
}

static void s_teardown(struct cm_service_ctx *ctx, void *arg)
{
    CM_UNUSED(ctx);
    CM_UNUSED(arg);
    bt_pool_destroy(&s_pool);
}

int main(int argc, char **argv)
{
    struct cm_service svc = {
        .daemon = &s_daemon,
        .setup = s_setup,
        .teardown = s_teardown,
    };
    return cm_service_main(&svc, argc, argv);
}
