/* SPDX-License-Identifier: MIT
 * cm_service: the life of a daemon, so each main.c only wires. In order:
 *   configuration (cm_daemon_init) -> migrations (when the daemon owns tables) -> event base,
 *   ZeroMQ context, PostgreSQL connection, RPC server with the HEALTH handler -> the
 *   daemon's own setup hook -> signals -> "ready" line -> loop ->
 *   teardown hook -> everything destroyed in reverse order -> exit code.
 * A daemon with a `drain` hook is not stopped by its first SIGTERM/SIGINT but drained: see
 * the hook below (the torrent worker hands its streams over to other workers that way).
 * A daemon without a database leaves database_url NULL; one that binds no RPC server (the
 * gateway, a torrent worker) leaves bind NULL. */
#ifndef CM_SERVICE_H
#define CM_SERVICE_H
#include "cm_daemon.h"
#include "cm_health.h"
#include "cm_migrate.h"

struct cm_service_ctx {
    struct event_base *base; /* the loop */
    void *zctx;              /* the ZeroMQ context */
    cm_pg_t *pg;             /* the database, or NULL */
    cm_rpc_t *rpc;           /* the RPC server, or NULL */
    char bound[256];         /* the endpoint the RPC server bound */
    char ready[512];         /* setup appends " key=value" pairs for the ready line */
};

struct cm_service {
    const struct cm_daemon *daemon;        /* name, help, configuration table */
    char *const *bind;                     /* -> the configured RPC endpoint, or NULL */
    const struct cm_proto *const *protos;  /* protocols the RPC server speaks; NULL-terminated */
    size_t max_msg;                        /* largest frame the RPC server takes; 0: CM_MSG_MAX */
    char *const *database_url;             /* -> the configured DATABASE_URL, or NULL */
    const int64_t *db_wait_ms;             /* -> how long migrations wait for the database */
    const struct cm_migration *migrations; /* this service's migrations */
    const size_t *nmigrations;             /* their count */
    struct cm_health health;               /* what HEALTH reports (pg filled in here) */
    char *const *metrics_listen;           /* -> METRICS_LISTEN ("host:port", "" off), or NULL */
    /* Hooks. setup runs before the loop: return 0, or -1 after logging why (exit 1). It may
     * parse argv from `argi` (subcommands). teardown runs after the loop, before the
     * context is destroyed. */
    int (*setup)(struct cm_service_ctx *ctx, int argc, char **argv, int argi, void *arg);
    void (*teardown)(struct cm_service_ctx *ctx, void *arg);
    /* Draining, optional (NULL: the first SIGTERM or SIGINT stops the loop at once). Once the
     * daemon is ready, the first stop signal calls drain instead, from the loop. It returns
     * how long the daemon may go on serving, in ms: 0 stops now (as without the hook); more
     * keeps the loop running until the hook's owner calls cm_service_stop_now, that time has
     * passed, or a second stop signal arrives, whichever comes first. Then teardown runs as
     * after any stop, and the exit code is 0. A signal during setup stops at once. */
    int64_t (*drain)(struct cm_service_ctx *ctx, void *arg);
    void *arg;
};

/* Run the daemon; returns the process exit code (0 after a clean SIGTERM/SIGINT). */
int cm_service_main(struct cm_service *svc, int argc, char **argv);

/* End the loop of the running daemon now: its teardown follows, exit code 0. For a drain
 * hook's owner that has nothing left to serve; safe from any loop callback, and more than
 * once. */
void cm_service_stop_now(struct cm_service_ctx *ctx);

/* The operations listener (METRICS_LISTEN): a small HTTP server, separate from any public one,
 * answering GET /metrics (cm_metrics_render), GET /health (200 while the loop runs: liveness)
 * and GET /ready (200 when the daemon can serve: its database up, if it has one; else 503).
 * Its address goes into the ready line as metrics=host:port. `def` is the daemon's default. */
#define CM_METRICS_VARS(listen, def)                                                               \
    {                                                                                              \
        "METRICS_LISTEN", CM_CFG_STR, (def), (listen), 0, 64, NULL,                                \
            "host:port of GET /metrics, /health and /ready (Prometheus, probes); empty: off"       \
    }

/* Database configuration shared by the daemons that own tables. */
#define CM_DATABASE_VARS(url, wait)                                                                \
    {"DATABASE_URL",                                                                               \
     CM_CFG_SECRET,                                                                                \
     "postgresql:///marquee",                                                                      \
     (url),                                                                                        \
     1,                                                                                            \
     4096,                                                                                         \
     NULL,                                                                                         \
     "PostgreSQL connection URL or key=value string"},                                             \
    {                                                                                              \
        "DB_WAIT", CM_CFG_MS, "30s", (wait), 0, 600000, NULL,                                      \
            "how long start-up waits for the database before giving up"                            \
    }

#endif
