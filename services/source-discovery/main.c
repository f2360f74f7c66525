/* SPDX-License-Identifier: MIT
 * source-discovery: the movie catalog, providers, source search and scoring, the encrypted
 * source store, .torrent retrieval and seeder stats through the pool, the VPN gate. This file
 * only wires: configuration, migrations, the RPC server (cm_service), the source keys, the
 * HTTP client and the providers (disc_http.c, disc_provider.c), the VPN gate (disc_vpn.c), the
 * searches (disc_search.c) and the handlers (disc_api.c, disc_status.c). */
#include <strings.h>
#include "cm.h"
#include "cm_service.h"
#include "cm_metrics.h"
#include "disc.h"
#include "disc_http.h"
#include "disc_provider.h"
#include "disc_search.h"
#include "disc_torrents.h"
#include "disc_vpn.h"
#include "discovery_msg.h"
#include "stream_msg.h"

extern const struct cm_migration source_discovery_migrations[];
extern const size_t source_discovery_migrations_count;

static struct {
    char *bind;                             /* DISCOVERY_BIND */
    char *database_url;                     /* DATABASE_URL */
    int64_t db_wait_ms;                     /* DB_WAIT */
    char *source_key;                       /* SOURCE_SECURITY_KEY */
    char *providers;                        /* DISCOVERY_PROVIDERS */
    char *yts_url, *yts_mirrors;            /* YTS_API_URL, YTS_MIRRORS */
    char *rarbg_url, *rarbg_mirrors;        /* THE_RARBG_API_URL, THE_RARBG_MIRRORS */
    int64_t yts_rate, yts_rate_od;          /* YTS_RATE, YTS_ONDEMAND_RATE (per minute) */
    int64_t rarbg_rate, rarbg_rate_od;      /* THE_RARBG_RATE, THE_RARBG_ONDEMAND_RATE */
    int64_t prov_timeout;                   /* PROVIDER_TIMEOUT */
    int64_t prov_retries;                   /* PROVIDER_RETRIES */
    int64_t prov_probe;                     /* PROVIDER_PROBE_INTERVAL */
    int64_t ondemand_ms;                    /* ONDEMAND_SEARCH_TIMEOUT_MS */
    int64_t create_wait;                    /* MOVIE_CREATE_WAIT */
    bool background;                        /* DISCOVERY_BACKGROUND */
    int64_t tick, concurrency, refresh;     /* DISCOVERY_TICK, _CONCURRENCY, _REFRESH */
    int64_t import;                         /* DISCOVERY_IMPORT_INTERVAL */
    char *trackers;                         /* BEST_TRACKERS */
    bool vpn_disabled;                      /* DISABLE_VPN_CHECK */
    char *vpn_ifaces, *vpn_url, *vpn_field; /* VPN_INTERFACES, VPN_CHECK_URL, VPN_CHECK_FIELD */
    int64_t vpn_interval;                   /* VPN_CHECK_INTERVAL */
    char *stream;                           /* STREAM_CONTROL_ENDPOINT */
    int64_t fetch_conc, fetch_timeout;      /* TORRENT_FETCH_CONCURRENCY, _TIMEOUT */
    int64_t scrape_conc, scrape_base, scrape_min, scrape_max; /* SCRAPE_* */
    char *metrics_listen;                                     /* METRICS_LISTEN */
} s_cfg;

static const struct cm_cfg_var s_vars[] = {
    CM_METRICS_VARS(&s_cfg.metrics_listen, "127.0.0.1:9182"),
    {"DISCOVERY_BIND", CM_CFG_ENDPOINT, "tcp://*:5552", &s_cfg.bind, 0, 0, NULL,
     "ZeroMQ endpoint the RPC server binds"},
    CM_DATABASE_VARS(&s_cfg.database_url, &s_cfg.db_wait_ms),
    {"SOURCE_SECURITY_KEY", CM_CFG_SECRET, NULL, &s_cfg.source_key, 43, DISC_CRYPT_KEY_B64_MAX,
     NULL,
     "base64 of exactly 32 random bytes: the keys that encrypt the sources' info-hashes, "
     "magnets and .torrent files (losing it loses them)"},
    {"DISCOVERY_PROVIDERS", CM_CFG_STR, "yts,therarbg", &s_cfg.providers, 0, 64, NULL,
     "providers asked, comma-separated (yts, therarbg); empty: none"},
    {"YTS_API_URL", CM_CFG_STR, "https://yts.mx", &s_cfg.yts_url, 8, 255, NULL,
     "base URL of the YTS API"},
    {"YTS_MIRRORS", CM_CFG_STR, "https://yts.lt,https://yts.am", &s_cfg.yts_mirrors, 0, 2048, NULL,
     "YTS mirrors tried after YTS_API_URL fails, comma-separated"},
    {"THE_RARBG_API_URL", CM_CFG_STR, "https://therarbg.to", &s_cfg.rarbg_url, 8, 255, NULL,
     "base URL of TheRARBG"},
    {"THE_RARBG_MIRRORS", CM_CFG_STR, "https://therar.site", &s_cfg.rarbg_mirrors, 0, 2048, NULL,
     "TheRARBG mirrors tried after THE_RARBG_API_URL fails, comma-separated"},
    {"YTS_RATE", CM_CFG_INT, "20", &s_cfg.yts_rate, 1, 6000, NULL,
     "YTS requests per minute for background work"},
    {"YTS_ONDEMAND_RATE", CM_CFG_INT, "120", &s_cfg.yts_rate_od, 1, 6000, NULL,
     "YTS requests per minute for on-demand searches (a separate budget)"},
    {"THE_RARBG_RATE", CM_CFG_INT, "120", &s_cfg.rarbg_rate, 1, 6000, NULL,
     "TheRARBG requests per minute for background work"},
    {"THE_RARBG_ONDEMAND_RATE", CM_CFG_INT, "240", &s_cfg.rarbg_rate_od, 1, 6000, NULL,
     "TheRARBG requests per minute for on-demand searches"},
    {"PROVIDER_TIMEOUT", CM_CFG_MS, "15s", &s_cfg.prov_timeout, 500, 120000, NULL,
     "one provider request's deadline"},
    {"PROVIDER_RETRIES", CM_CFG_INT, "2", &s_cfg.prov_retries, 0, 5, NULL,
     "rounds over a provider's mirrors after the first, with backoff"},
    {"PROVIDER_PROBE_INTERVAL", CM_CFG_MS, "5m", &s_cfg.prov_probe, 0, 86400000, NULL,
     "health probe of each provider (0: none)"},
    {"ONDEMAND_SEARCH_TIMEOUT_MS", CM_CFG_INT, "1200", &s_cfg.ondemand_ms, 0, 60000, NULL,
     "a movie asked for with its sources and none stored waits this long for a search"},
    {"MOVIE_CREATE_WAIT", CM_CFG_MS, "5s", &s_cfg.create_wait, 0, 60000, NULL,
     "POST /api/movies {imdbId} waits this long for the providers' metadata"},
    {"DISCOVERY_BACKGROUND", CM_CFG_BOOL, "true", &s_cfg.background, 0, 0, NULL,
     "search movies with no or stale sources in the background, most popular first"},
    {"DISCOVERY_TICK", CM_CFG_MS, "2s", &s_cfg.tick, 100, 600000, NULL,
     "how often the background loop looks for movies due"},
    {"DISCOVERY_CONCURRENCY", CM_CFG_INT, "2", &s_cfg.concurrency, 1, 64, NULL,
     "background searches at once"},
    {"DISCOVERY_REFRESH", CM_CFG_MS, "24h", &s_cfg.refresh, 60000, 2592000000LL, NULL,
     "a movie with sources is searched again after this"},
    {"DISCOVERY_IMPORT_INTERVAL", CM_CFG_MS, "0", &s_cfg.import, 0, 86400000, NULL,
     "import the providers' newest movies this often (0: never); discovery finds their sources"},
    {"BEST_TRACKERS", CM_CFG_STR, "", &s_cfg.trackers, 0, 8192, NULL,
     "trackers added to every magnet built from a provider's hash, comma-separated"},
    {"DISABLE_VPN_CHECK", CM_CFG_BOOL, "false", &s_cfg.vpn_disabled, 0, 0, NULL,
     "true: provider traffic never waits for a VPN"},
    {"VPN_INTERFACES", CM_CFG_STR, "", &s_cfg.vpn_ifaces, 0, 256, NULL,
     "the VPN is up when one of these interfaces is up (e.g. wg0,tun0)"},
    {"VPN_CHECK_URL", CM_CFG_STR, "", &s_cfg.vpn_url, 0, 1024, NULL,
     "the VPN is up when this URL answers JSON with VPN_CHECK_FIELD true"},
    {"VPN_CHECK_FIELD", CM_CFG_STR, "connected", &s_cfg.vpn_field, 1, 128, NULL,
     "dotted path of the boolean in VPN_CHECK_URL's answer"},
    {"VPN_CHECK_INTERVAL", CM_CFG_MS, "5s", &s_cfg.vpn_interval, 200, 600000, NULL,
     "how often the VPN is checked"},
    {"STREAM_CONTROL_ENDPOINT", CM_CFG_ENDPOINT, "tcp://127.0.0.1:5553", &s_cfg.stream, 0, 0, NULL,
     "the stream-proxy's control API (metadata and scrapes through the worker pool)"},
    {"TORRENT_FETCH_CONCURRENCY", CM_CFG_INT, "4", &s_cfg.fetch_conc, 0, DISC_FETCH_MAX, NULL,
     ".torrent files fetched at once (provider URL, else the pool); 0: none"},
    {"TORRENT_FETCH_TIMEOUT", CM_CFG_MS, "60s", &s_cfg.fetch_timeout, 1000, 600000, NULL,
     "one .torrent fetch's deadline"},
    {"SCRAPE_CONCURRENCY", CM_CFG_INT, "4", &s_cfg.scrape_conc, 0, DISC_SCRAPE_MAX, NULL,
     "seeder counts scraped at once through the pool; 0: none"},
    {"SCRAPE_INTERVAL", CM_CFG_MS, "6h", &s_cfg.scrape_base, 60000, 2592000000LL, NULL,
     "a source's seeders are scraped again after this, adapted to how fast they change"},
    {"SCRAPE_MIN_INTERVAL", CM_CFG_MS, "30m", &s_cfg.scrape_min, 10000, 2592000000LL, NULL,
     "the adapted scrape interval is at least this"},
    {"SCRAPE_MAX_INTERVAL", CM_CFG_MS, "72h", &s_cfg.scrape_max, 60000, 2592000000LL, NULL,
     "... and at most this"},
};

static const struct cm_daemon s_daemon = {
    .name = "source-discovery",
    .summary = "Marquee source-discovery daemon: catalog, providers, encrypted sources.",
    .vars = s_vars,
    .nvars = CM_ARRAY_LEN(s_vars),
};

static const struct cm_proto *const s_protos[] = {&discovery_proto, NULL};

static struct disc s_disc;
static char s_trackers_buf[8192 + 1];
static const char *s_trackers[DISC_TRACKERS_MAX]; /* BEST_TRACKERS, pointers into the buffer */
static size_t s_ntrackers;
static struct event *s_probe; /* providers' health probes */
static struct event *s_gate;  /* the gate told to the stream-proxy again, for a restarted one */

/* Split a comma-separated list into `out` (pointers into `buf`, a copy); the count. */
static size_t s_split(const char *list, char *buf, size_t size, const char **out, size_t max)
{
    snprintf(buf, size, "%s", list ? list : "");
    size_t n = 0;
    for (char *p = buf; *p && n < max;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        while (*p == ' ')
            p++;
        size_t len = strlen(p);
        while (len && p[len - 1] == ' ')
            p[--len] = '\0';
        if (*p)
            out[n++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    return n;
}

static int s_provider(const char *name, char *err, size_t errlen)
{
    bool yts = strcasecmp(name, "yts") == 0;
    if (!yts && strcasecmp(name, "therarbg") != 0) {
        snprintf(err, errlen, "DISCOVERY_PROVIDERS: unknown provider \"%s\" (yts, therarbg)", name);
        return -1;
    }
    if (s_disc.nproviders >= DISC_PROVIDERS_MAX) {
        snprintf(err, errlen, "DISCOVERY_PROVIDERS: at most %d", DISC_PROVIDERS_MAX);
        return -1;
    }
    const char *mirrors[DISC_PROVIDER_MIRRORS_MAX];
    char buf[2300];
    mirrors[0] = yts ? s_cfg.yts_url : s_cfg.rarbg_url;
    size_t n = 1 + s_split(yts ? s_cfg.yts_mirrors : s_cfg.rarbg_mirrors, buf, sizeof(buf),
                           mirrors + 1, DISC_PROVIDER_MIRRORS_MAX - 1);
    struct disc_provider_opts o = {
        .kind = yts ? DISC_PROV_YTS : DISC_PROV_RARBG,
        .mirrors = mirrors,
        .nmirrors = n,
        .rate_bg = (double)(yts ? s_cfg.yts_rate : s_cfg.rarbg_rate) / 60.0,
        .rate_ondemand = (double)(yts ? s_cfg.yts_rate_od : s_cfg.rarbg_rate_od) / 60.0,
        .burst = 2,
        .timeout_ms = (int)s_cfg.prov_timeout,
        .retries = (int)s_cfg.prov_retries,
    };
    disc_provider_t *p = disc_provider_new(s_disc.base, s_disc.http, &o, err, errlen);
    if (!p)
        return -1;
    s_disc.providers[s_disc.nproviders++] = p;
    return 0;
}

/* The stream-proxy passes the gate to every worker (their swarm traffic pauses when they run
 * with VPN_GATE_TORRENTS=true). */
static void s_on_gate_told(int status, const cm_msg_t *reply, void *arg)
{
    CM_UNUSED(reply);
    CM_UNUSED(arg);
    if (status != CM_OK)
        cm_log_d("vpn", 0, "the stream-proxy was not told the gate: %s", cm_status_str(status));
}

static void s_tell_gate(bool up, const char *reason)
{
    struct stream_swarm_gate g = {.paused = !up};
    snprintf(g.reason, sizeof(g.reason), "%s", reason ? reason : "");
    cm_buf_t *b = cm_buf_new(512);
    if (s_disc.pool && stream_swarm_gate_encode(&g, b) == 0)
        cm_rpc_call(s_disc.pool, NULL, STREAM_PROTO, STREAM_MSG_SWARM_GATE, 0, b, NULL, 5000,
                    s_on_gate_told, NULL);
    cm_buf_destroy(&b);
}

static void s_on_vpn(void *arg, bool up, const char *reason)
{
    CM_UNUSED(arg);
    for (size_t i = 0; i < s_disc.nproviders; i++)
        disc_provider_pause(s_disc.providers[i], !up);
    s_tell_gate(up, reason);
}

static void s_on_gate_timer(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    CM_UNUSED(arg);
    s_tell_gate(disc_vpn_up(s_disc.vpn), disc_vpn_reason(s_disc.vpn));
}

static void s_on_probe(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    CM_UNUSED(arg);
    if (s_disc.vpn && !disc_vpn_up(s_disc.vpn))
        return;
    for (size_t i = 0; i < s_disc.nproviders; i++)
        disc_provider_probe(s_disc.providers[i], NULL, NULL);
}

/* --- metrics, read when /metrics is asked --- */

enum { M_SEARCHES, M_FETCHING, M_SCRAPING, M_VPN };

static double s_m_disc(void *arg)
{
    switch ((int)(intptr_t)arg) {
    case M_SEARCHES:
        return disc_search_count(&s_disc);
    case M_FETCHING:
        return disc_torrents_fetching(&s_disc);
    case M_SCRAPING:
        return disc_torrents_scraping(&s_disc);
    case M_VPN:
        return s_disc.vpn && disc_vpn_up(s_disc.vpn) ? 1 : 0;
    }
    return 0;
}

/* Provider i's requests (even arg) or errors (odd arg). */
static double s_m_provider(void *arg)
{
    size_t k = (size_t)(intptr_t)arg, i = k / 2;
    if (i >= s_disc.nproviders || !s_disc.providers[i])
        return 0;
    struct disc_provider_stats st;
    disc_provider_stats(s_disc.providers[i], &st);
    return (double)(k % 2 ? st.errors : st.requests);
}

static void s_metrics(void)
{
    cm_metrics_gauge_fn("marquee_discovery_searches", NULL, "Provider searches running.", s_m_disc,
                        (void *)(intptr_t)M_SEARCHES);
    cm_metrics_gauge_fn("marquee_discovery_torrent_fetches", NULL, ".torrent fetches running.",
                        s_m_disc, (void *)(intptr_t)M_FETCHING);
    cm_metrics_gauge_fn("marquee_discovery_scrapes", NULL, "Scrapes running.", s_m_disc,
                        (void *)(intptr_t)M_SCRAPING);
    cm_metrics_gauge_fn("marquee_vpn_up", NULL, "1 while the VPN gate is open.", s_m_disc,
                        (void *)(intptr_t)M_VPN);
    for (size_t i = 0; i < s_disc.nproviders; i++) {
        char labels[64];
        snprintf(labels, sizeof(labels), "provider=\"%s\"",
                 disc_provider_name(s_disc.providers[i]));
        cm_metrics_gauge_fn("marquee_provider_requests", labels, "HTTP requests to a provider.",
                            s_m_provider, (void *)(intptr_t)(2 * i));
        cm_metrics_gauge_fn("marquee_provider_errors", labels, "Failed provider requests.",
                            s_m_provider, (void *)(intptr_t)(2 * i + 1));
    }
}

static int s_setup(struct cm_service_ctx *ctx, int argc, char **argv, int argi, void *arg)
{
    CM_UNUSED(argv);
    CM_UNUSED(arg);
    if (argi < argc) {
        cm_log_e("main", 0, "source-discovery takes no command; try --help");
        return -1;
    }
    char err[CM_ERR_LEN];
    s_disc.base = ctx->base;
    s_disc.pg = ctx->pg;
    s_disc.rpc = ctx->rpc;
    if (!(s_disc.crypt = disc_crypt_new(s_cfg.source_key, err, sizeof(err)))) {
        cm_log_e("main", 0, "%s", err);
        return -1;
    }
    const char *tr[DISC_TRACKERS_MAX];
    size_t ntr =
        s_split(s_cfg.trackers, s_trackers_buf, sizeof(s_trackers_buf), tr, DISC_TRACKERS_MAX);
    for (size_t i = 0; i < ntr; i++) {
        if (strlen(tr[i]) > DISC_TRACKER_URL_MAX ||
            (strncmp(tr[i], "udp://", 6) != 0 && strncmp(tr[i], "http://", 7) != 0 &&
             strncmp(tr[i], "https://", 8) != 0)) {
            cm_log_w("main", 0,
                     "BEST_TRACKERS: \"%.80s\" is not a udp, http or https URL of at "
                     "most %d bytes: skipped",
                     tr[i], DISC_TRACKER_URL_MAX);
            continue;
        }
        s_trackers[s_ntrackers++] = tr[i];
    }
    s_disc.cfg = (struct disc_cfg){
        .background = s_cfg.background,
        .tick_ms = (int)s_cfg.tick,
        .concurrency = (int)s_cfg.concurrency,
        .refresh_s = (int)(s_cfg.refresh / 1000),
        .ondemand_ms = (int)s_cfg.ondemand_ms,
        .create_wait_ms = (int)s_cfg.create_wait,
        .trackers = s_trackers,
        .ntrackers = s_ntrackers,
        .import_ms = (int)s_cfg.import,
        .fetch_concurrency = (int)s_cfg.fetch_conc,
        .fetch_timeout_ms = (int)s_cfg.fetch_timeout,
        .scrape_concurrency = (int)s_cfg.scrape_conc,
        .scrape_base_s = (int)(s_cfg.scrape_base / 1000),
        .scrape_min_s = (int)(s_cfg.scrape_min / 1000),
        .scrape_max_s = (int)(s_cfg.scrape_max / 1000),
    };
    if (s_disc.cfg.scrape_min_s > s_disc.cfg.scrape_max_s) {
        cm_log_e("main", 0, "SCRAPE_MIN_INTERVAL is longer than SCRAPE_MAX_INTERVAL");
        return -1;
    }
    static const struct cm_proto *const pool_protos[] = {&stream_proto, NULL};
    struct cm_rpc_opts po = {.name = "stream", .protos = pool_protos, .max_msg = CM_POOL_MSG_MAX};
    if (!(s_disc.pool =
              cm_rpc_client_new(ctx->base, ctx->zctx, &po, s_cfg.stream, err, sizeof(err)))) {
        cm_log_e("main", 0, "STREAM_CONTROL_ENDPOINT: %s", err);
        return -1;
    }
    char ua[64];
    snprintf(ua, sizeof(ua), "Marquee/%s", CM_VERSION);
    s_disc.http = disc_http_new(s_disc.base, ua);
    const char *names[DISC_PROVIDERS_MAX + 1];
    char buf[80];
    size_t n = s_split(s_cfg.providers, buf, sizeof(buf), names, CM_ARRAY_LEN(names));
    for (size_t i = 0; i < n; i++)
        if (s_provider(names[i], err, sizeof(err)) < 0) {
            cm_log_e("main", 0, "%s", err);
            return -1;
        }
    struct disc_vpn_opts vo = {.disabled = s_cfg.vpn_disabled,
                               .interfaces = s_cfg.vpn_ifaces,
                               .url = s_cfg.vpn_url,
                               .field = s_cfg.vpn_field,
                               .interval_ms = (int)s_cfg.vpn_interval};
    if (!(s_disc.vpn =
              disc_vpn_new(s_disc.base, s_disc.http, &vo, s_on_vpn, NULL, err, sizeof(err)))) {
        cm_log_e("main", 0, "%s", err);
        return -1;
    }
    s_on_vpn(NULL, disc_vpn_up(s_disc.vpn), disc_vpn_reason(s_disc.vpn));
    const char *check = disc_vpn_check(s_disc.vpn);
    if (strcmp(check, "off") != 0 && strcmp(check, "none") != 0) {
        s_gate = event_new(s_disc.base, -1, EV_PERSIST, s_on_gate_timer, NULL);
        struct timeval tv = cm_tv_ms((int)CM_MAX(s_cfg.vpn_interval, (int64_t)5000));
        event_add(s_gate, &tv);
    }
    if (s_cfg.prov_probe > 0 && s_disc.nproviders) {
        s_probe = event_new(s_disc.base, -1, EV_PERSIST, s_on_probe, NULL);
        struct timeval tv = cm_tv_ms((int)CM_MIN(s_cfg.prov_probe, (int64_t)INT_MAX));
        event_add(s_probe, &tv);
        event_active(s_probe, EV_TIMEOUT, 0);
    }
    cm_log_n("main", 0, "providers: %s; VPN gate: %s (%s)", n ? s_cfg.providers : "none",
             disc_vpn_check(s_disc.vpn), disc_vpn_reason(s_disc.vpn));
    s_metrics();
    disc_search_start(&s_disc);
    disc_torrents_start(&s_disc);
    disc_api_register(&s_disc);
    disc_status_register(&s_disc);
    return 0;
}

static void s_teardown(struct cm_service_ctx *ctx, void *arg)
{
    CM_UNUSED(ctx);
    CM_UNUSED(arg);
    if (s_probe)
        event_free(s_probe);
    s_probe = NULL;
    if (s_gate)
        event_free(s_gate);
    s_gate = NULL;
    /* providers first (their callbacks never come after), then the searches, the gate and
     * the client; the database goes after this (cm_service) */
    for (size_t i = 0; i < s_disc.nproviders; i++)
        disc_provider_destroy(&s_disc.providers[i]);
    s_disc.nproviders = 0;
    disc_search_stop(&s_disc);
    disc_torrents_stop(&s_disc);
    cm_rpc_destroy(&s_disc.pool);
    disc_vpn_destroy(&s_disc.vpn);
    disc_http_destroy(&s_disc.http);
    disc_crypt_destroy(&s_disc.crypt);
}

int main(int argc, char **argv)
{
    struct cm_service svc = {
        .metrics_listen = &s_cfg.metrics_listen,
        .daemon = &s_daemon,
        .bind = &s_cfg.bind,
        .protos = s_protos,
        .max_msg = CM_POOL_MSG_MAX, /* SOURCE_ADD and SOURCE_SET_TORRENT carry .torrent files */
        .database_url = &s_cfg.database_url,
        .db_wait_ms = &s_cfg.db_wait_ms,
        .migrations = source_discovery_migrations,
        .nmigrations = &source_discovery_migrations_count,
        .health = {.service = "discovery"},
        .setup = s_setup,
        .teardown = s_teardown,
    };
    return cm_service_main(&svc, argc, argv);
}
