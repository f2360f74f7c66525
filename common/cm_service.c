/* SPDX-License-Identifier: MIT
 * cm_service: the shared skeleton of every daemon's main(). */
#include "cm.h"
#include "cm_service.h"

/* The drain of the running daemon (one a process): what the first stop signal calls. */
static struct {
    struct cm_service *svc;     /* its hook */
    struct cm_service_ctx *ctx; /* the loop */
    struct event *deadline;     /* stops the loop when the drain's time is up */
} s_drain;

void cm_service_stop_now(struct cm_service_ctx *ctx)
{
    event_base_loopexit(ctx->base, NULL);
}

static void s_on_drain_deadline(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    cm_log_n("main", 0, "draining: time is up: stopping");
    cm_service_stop_now(arg);
}

static void s_on_first_stop(void *arg)
{
    CM_UNUSED(arg);
    int64_t ms = s_drain.svc->drain(s_drain.ctx, s_drain.svc->arg);
    if (ms <= 0) {
        cm_log_n("main", 0, "stopping");
        cm_service_stop_now(s_drain.ctx);
        return;
    }
    cm_log_n("main", 0, "draining for at most %" PRId64 " ms (another stop signal stops at once)",
             ms);
    s_drain.deadline = evtimer_new(s_drain.ctx->base, s_on_drain_deadline, s_drain.ctx);
    struct timeval tv = cm_tv_ms(ms);
    evtimer_add(s_drain.deadline, &tv);
}

int cm_service_main(struct cm_service *svc, int argc, char **argv)
{
    int argi = cm_daemon_init(svc->daemon, argc, argv);
    const char *name = svc->daemon->name;
    char err[CM_ERR_LEN * 2];
    int rc = 1;
    struct cm_service_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));

    if (svc->database_url && svc->migrations) {
        int applied = cm_migrate_run(*svc->database_url, name, svc->migrations, *svc->nmigrations,
                                     (int)*svc->db_wait_ms, err, sizeof(err));
        if (applied < 0) {
            cm_log_e("main", 0, "%s", err);
            cm_daemon_fini();
            return 1;
        }
    }

    ctx.base = event_base_new();
    ctx.zctx = zmq_ctx_new();
    if (!ctx.base || !ctx.zctx) {
        cm_log_e("main", 0, "cannot create the event loop or the ZeroMQ context");
        goto out;
    }
    zmq_ctx_set(ctx.zctx, ZMQ_IO_THREADS, 1);
    if (svc->database_url) {
        struct cm_pg_opts po = {.conninfo = *svc->database_url, .app_name = name};
        ctx.pg = cm_pg_new(ctx.base, &po);
        svc->health.pg = ctx.pg;
    }
    if (svc->bind) {
        struct cm_rpc_opts ro = {.name = name, .protos = svc->protos, .max_msg = svc->max_msg};
        ctx.rpc = cm_rpc_server_new(ctx.base, ctx.zctx, &ro, *svc->bind, ctx.bound,
                                    sizeof(ctx.bound), err, sizeof(err));
        if (!ctx.rpc) {
            cm_log_e("main", 0, "%s", err);
            goto out;
        }
        svc->health.service = svc->health.service ? svc->health.service : name;
        cm_health_serve(ctx.rpc, &svc->health);
        snprintf(ctx.ready, sizeof(ctx.ready), "rpc=%s", ctx.bound);
    }
    /* Signals first: a setup hook may run the loop (auth waits for its first admin), and a
     * SIGTERM then must stop the daemon cleanly rather than kill it. */
    cm_daemon_signals(ctx.base);
    if (svc->setup && svc->setup(&ctx, argc, argv, argi, svc->arg) < 0) {
        if (cm_daemon_stopping())
            rc = 0;
        goto out;
    }
    if (cm_daemon_stopping()) {
        rc = 0;
        goto out;
    }
    if (svc->drain) {
        s_drain.svc = svc;
        s_drain.ctx = &ctx;
        cm_daemon_on_stop(s_on_first_stop, NULL);
    }
    cm_daemon_ready("%s", ctx.ready);
    if (event_base_dispatch(ctx.base) < 0) {
        cm_log_e("main", 0, "the event loop failed");
        goto out;
    }
    rc = 0;
out:
    cm_daemon_on_stop(NULL, NULL);
    if (s_drain.deadline)
        event_free(s_drain.deadline);
    memset(&s_drain, 0, sizeof(s_drain));
    if (svc->teardown)
        svc->teardown(&ctx, svc->arg);
    cm_rpc_destroy(&ctx.rpc);
    cm_pg_destroy(&ctx.pg);
    if (ctx.zctx)
        zmq_ctx_term(ctx.zctx);
    cm_daemon_fini();
    if (ctx.base)
        event_base_free(ctx.base);
    libevent_global_shutdown();
    if (rc == 0)
        cm_log_n("main", 0, "stopped");
    return rc;
}
