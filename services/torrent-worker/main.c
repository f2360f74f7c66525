/* SPDX-License-Identifier: MIT
 * torrent-worker: a BitTorrent engine serving verified bytes to the stream-proxy's pool. With
 * no command it runs as the pool daemon; `fetch`, `metadata`, `scrape` and `seed` run the same
 * engine as a command-line tool (bt_cli.c). This file only wires. */
#include "cm.h"
#include "cm_service.h"
#include "cm_metrics.h"
#include "bt_pool.h"
#include "bt_cli.h"
#include "bt_config.h"
#include <sys/stat.h>

static struct {
    char *pool_endpoint;  /* STREAM_POOL_ENDPOINT */
    char *worker_id;      /* WORKER_ID */
    int64_t capacity;     /* WORKER_CAPACITY */
    int64_t heartbeat;    /* POOL_HEARTBEAT */
    char *cache_dir;      /* CACHE_DIR */
    int64_t cache_max;    /* CACHE_MAX_BYTES */
    bool vpn_gate;        /* VPN_GATE_TORRENTS */
    int64_t drain;        /* WORKER_DRAIN_TIMEOUT */
    char *metrics_listen; /* METRICS_LISTEN */
} s_cfg;

static const struct cm_cfg_var s_daemon_vars[] = {
    CM_METRICS_VARS(&s_cfg.metrics_listen, ""),
    {"STREAM_POOL_ENDPOINT", CM_CFG_ENDPOINT, "tcp://127.0.0.1:5554", &s_cfg.pool_endpoint, 0, 0,
     NULL, "the stream-proxy's pool endpoint to connect to"},
    {"WORKER_ID", CM_CFG_STR, "", &s_cfg.worker_id, 0, 64, NULL,
     "stable worker id (empty: the host name)"},
    {"WORKER_CAPACITY", CM_CFG_INT, "32", &s_cfg.capacity, 1, 100000, NULL,
     "streams this worker accepts at once"},
    {"POOL_HEARTBEAT", CM_CFG_MS, "1s", &s_cfg.heartbeat, 100, 60000, NULL,
     "heartbeat interval on the pool connection"},
    {"CACHE_DIR", CM_CFG_STR, "/var/lib/marquee/cache", &s_cfg.cache_dir, 1, 1024, NULL,
     "the disk cache: one directory per torrent"},
    {"CACHE_MAX_BYTES", CM_CFG_BYTES, "10GB", &s_cfg.cache_max, 0, INT64_MAX, NULL,
     "cap of the disk cache; least recently used torrents nobody streams are deleted (0: none)"},
    {"VPN_GATE_TORRENTS", CM_CFG_BOOL, "false", &s_cfg.vpn_gate, 0, 0, NULL,
     "obey source-discovery's VPN gate (passed on by the stream-proxy): while the VPN is down no "
     "peer, tracker or DHT traffic; cached pieces still stream. Starts paused until the proxy "
     "tells"},
    {"WORKER_DRAIN_TIMEOUT", CM_CFG_MS, "25s", &s_cfg.drain, 0, 3600000, NULL,
     "on SIGTERM, take no new torrent and serve the streams in progress until the stream-proxy "
     "has moved them to other workers, for at most this long; a second SIGTERM stops at once "
     "(0: stop at once)"},
};

/* The daemon's table: its own variables, then the engine's (bt_config.c). */
static struct cm_cfg_var s_vars[CM_ARRAY_LEN(s_daemon_vars) + 16];

static struct cm_daemon s_daemon = {
    .name = "torrent-worker",
    .summary = "Marquee torrent worker: a BitTorrent engine that serves verified bytes to the "
               "stream-proxy's pool. With no command it runs as the pool daemon.",
    .vars = s_vars,
};

static bt_pool_t *s_pool;
static bt_engine_t *s_engine;
static bt_cache_t *s_cache;
static struct bt_engine_setup s_setup;

/* --- metrics: the engine's figures, read when /metrics is asked --- */

enum { M_TORRENTS, M_PEERS, M_DOWN, M_UP, M_DOWNLOADED, M_UPLOADED, M_CACHE };

static double s_m_engine(void *arg)
{
    if (!s_engine)
        return 0;
    struct bt_engine_stats st;
    bt_engine_stats(s_engine, &st);
    switch ((int)(intptr_t)arg) {
    case M_TORRENTS:
        return st.torrents;
    case M_PEERS:
        return st.peers;
    case M_DOWN:
        return (double)st.down_bps;
    case M_UP:
        return (double)st.up_bps;
    case M_DOWNLOADED:
        return (double)st.downloaded;
    case M_UPLOADED:
        return (double)st.uploaded;
    case M_CACHE:
        return s_cache ? (double)bt_cache_used(s_cache) : 0;
    }
    return 0;
}

static void s_metrics(void)
{
    static const struct {
        const char *name, *help;
        int which;
    } m[] = {
        {"marquee_worker_torrents", "Torrents loaded in the engine.", M_TORRENTS},
        {"marquee_worker_peers", "Peer connections.", M_PEERS},
        {"marquee_worker_download_bytes_per_second", "Payload download rate.", M_DOWN},
        {"marquee_worker_upload_bytes_per_second", "Payload upload rate.", M_UP},
        {"marquee_worker_downloaded_bytes", "Payload bytes downloaded since start.", M_DOWNLOADED},
        {"marquee_worker_uploaded_bytes", "Payload bytes uploaded since start.", M_UPLOADED},
        {"marquee_worker_cache_bytes", "Bytes in the disk cache.", M_CACHE},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(m); i++)
        cm_metrics_gauge_fn(m[i].name, NULL, m[i].help, s_m_engine, (void *)(intptr_t)m[i].which);
}

static int s_setup_daemon(struct cm_service_ctx *ctx, int argc, char **argv, int argi, void *arg)
{
    CM_UNUSED(arg);
    if (argi < argc) {
        cm_log_e("main", 0, "unknown command '%s'; try --help", argv[argi]);
        return -1;
    }
    char err[CM_ERR_LEN * 2];
    if (mkdir(s_cfg.cache_dir, 0700) < 0 && errno != EEXIST) {
        cm_log_e("main", 0, "cannot create CACHE_DIR %s: %s", s_cfg.cache_dir, strerror(errno));
        return -1;
    }
    s_cache = bt_cache_new(s_cfg.cache_dir, (uint64_t)s_cfg.cache_max, err, sizeof(err));
    if (!s_cache) {
        cm_log_e("main", 0, "CACHE_DIR: %s", err);
        return -1;
    }
    if (bt_config_setup(&s_setup, err, sizeof(err)) < 0) {
        cm_log_e("main", 0, "%s", err);
        return -1;
    }
    s_setup.opts.cache = s_cache;
    static char dht_state[1100];
    snprintf(dht_state, sizeof(dht_state), "%s/dht.state", s_cfg.cache_dir);
    s_setup.opts.dht_state = dht_state;
    s_engine = bt_engine_new(ctx->base, &s_setup.opts, err, sizeof(err));
    if (!s_engine) {
        cm_log_e("main", 0, "%s", err);
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
        .engine = s_engine,
        .cache = s_cache,
        .cache_dir = s_cfg.cache_dir,
        .vpn_gate = s_cfg.vpn_gate,
    };
    s_pool = bt_pool_new(ctx->base, ctx->zctx, &po, err, sizeof(err));
    if (!s_pool) {
        cm_log_e("main", 0, "%s", err);
        return -1;
    }
    s_metrics();
    snprintf(ctx->ready, sizeof(ctx->ready), "pool=%s worker_id=%s peers=%s", s_cfg.pool_endpoint,
             po.worker_id, bt_engine_listen_addr(s_engine));
    return 0;
}

static void s_on_drained(void *arg)
{
    cm_log_n("main", 0, "drained: stopping");
    cm_service_stop_now(arg);
}

/* The first SIGTERM: hand the streams over, then stop (cm_service.h). */
static int64_t s_drain(struct cm_service_ctx *ctx, void *arg)
{
    CM_UNUSED(arg);
    if (s_cfg.drain == 0 || !s_pool)
        return 0; /* WORKER_DRAIN_TIMEOUT=0: stop at once */
    bt_pool_drain(s_pool, s_on_drained, ctx);
    return s_cfg.drain;
}

static void s_teardown(struct cm_service_ctx *ctx, void *arg)
{
    CM_UNUSED(ctx);
    CM_UNUSED(arg);
    bt_pool_destroy(&s_pool);
    if (s_engine)
        bt_engine_drain(s_engine, 2000); /* trackers hear `stopped`, bounded */
    bt_engine_destroy(&s_engine);
    bt_cache_destroy(&s_cache);
    bt_config_setup_free(&s_setup);
    cm_config_free(bt_cfg_vars, bt_cfg_nvars);
}

int main(int argc, char **argv)
{
    /* stream chunks of 1 MiB come and go all the time: keep them on the heap */
    cm_mem_tune_bulk(8u << 20, 32u << 20);
    if (argc > 1 && bt_cli_is_command(argv[1]))
        return bt_cli_main(argc - 1, argv + 1);
    size_t n = 0;
    for (size_t i = 0; i < CM_ARRAY_LEN(s_daemon_vars); i++)
        s_vars[n++] = s_daemon_vars[i];
    for (size_t i = 0; i < bt_cfg_nvars && n < CM_ARRAY_LEN(s_vars); i++)
        s_vars[n++] = bt_cfg_vars[i];
    s_daemon.nvars = n;
    s_daemon.usage = bt_cli_usage();
    struct cm_service svc = {
        .metrics_listen = &s_cfg.metrics_listen,
        .daemon = &s_daemon,
        .setup = s_setup_daemon,
        .teardown = s_teardown,
        .drain = s_drain,
    };
    return cm_service_main(&svc, argc, argv);
}
