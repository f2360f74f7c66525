/* SPDX-License-Identifier: MIT
 * cm_service: the shared skeleton of every daemon's main(). */
#include "cm.h"
#include "cm_service.h"
#include "cm_http.h"
#include "cm_metrics.h"

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

/* --- the operations listener --- */

struct ops {
    cm_http_t *http;
    cm_pg_t *pg; /* borrowed, may be NULL */
    cm_metric_t *scrapes;
};

static void s_on_ops(cm_http_req_t *req, void *arg)
{
    struct ops *o = arg;
    const char *path = cm_http_req_path(req);
    if (strcmp(cm_http_req_method(req), "GET") != 0) {
        cm_http_req_add_header(req, "Allow", "GET");
        cm_http_reply_json_error(req, 405, "method_not_allowed", "only GET here");
    } else if (strcmp(path, "/metrics") == 0) {
        cm_metric_inc(o->scrapes);
        cm_buf_t *b = cm_buf_new(1 << 20);
        if (cm_metrics_render(b) == 0)
            cm_http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", cm_buf_data(b),
                          cm_buf_len(b));
        else
            cm_http_reply_json_error(req, 500, "internal", "the metrics do not fit");
        cm_buf_destroy(&b);
    } else if (strcmp(path, "/health") == 0) {
        static const char ok[] = "{\"status\":\"ok\"}";
        cm_http_reply(req, 200, "application/json", ok, sizeof(ok) - 1);
    } else if (strcmp(path, "/ready") == 0) {
        bool db = !o->pg || cm_pg_is_up(o->pg);
        if (db) {
            static const char ok[] = "{\"status\":\"ready\"}";
            cm_http_reply(req, 200, "application/json", ok, sizeof(ok) - 1);
        } else {
            cm_http_reply_json_error(req, 503, "unavailable", "the database is down");
        }
    } else {
        cm_http_reply_json_error(req, 404, "not_found", "GET /metrics, /health or /ready");
    }
}

/* Start the listener on "host:port"; 0 (also when off), -1 with `err`. */
static int s_ops_start(struct ops *o, struct event_base *base, const char *listen,
                       struct cm_service_ctx *ctx, char *err, size_t errlen)
{
    if (!listen || !listen[0])
        return 0;
    const char *colon = strrchr(listen, ':');
    char host[64];
    long port = colon ? strtol(colon + 1, NULL, 10) : -1;
    if (!colon || (size_t)(colon - listen) >= sizeof(host) || port < 0 || port > 65535) {
        snprintf(err, errlen, "METRICS_LISTEN must be host:port, e.g. 127.0.0.1:9181");
        return -1;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    struct cm_http_opts ho = {.connections_max = 16,
                              .header_timeout_ms = 5000,
                              .idle_timeout_ms = 30000,
                              .name = "metrics-http"};
    o->http = cm_http_new(base, &ho, s_on_ops, o);
    if (cm_http_listen(o->http, host, (int)port, err, errlen) < 0) {
        cm_http_destroy(&o->http);
        return -1;
    }
    o->scrapes = cm_metrics_counter("marquee_metrics_scrapes_total", NULL,
                                    "GET /metrics answered by this process.");
    size_t n = strlen(ctx->ready);
    snprintf(ctx->ready + n, sizeof(ctx->ready) - n, "%smetrics=%s:%d", n ? " " : "", host,
             cm_http_port(o->http));
    return 0;
}

int cm_service_main(struct cm_service *svc, int argc, char **argv)
{
    int argi = cm_daemon_init(svc->daemon, argc, argv);
    const char *name = svc->daemon->name;
    char err[CM_ERR_LEN * 2];
    int rc = 1;
    struct cm_service_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    struct ops ops = {0};

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
    ops.pg = ctx.pg;
    if (s_ops_start(&ops, ctx.base, svc->metrics_listen ? *svc->metrics_listen : NULL, &ctx, err,
                    sizeof(err)) < 0) {
        cm_log_e("main", 0, "METRICS_LISTEN: %s", err);
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
    cm_http_destroy(&ops.http);
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
