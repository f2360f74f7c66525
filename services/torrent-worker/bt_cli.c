/* SPDX-License-Identifier: MIT
 * bt_cli: the worker's commands on the same engine as the daemon:
 *   fetch SOURCE -o DIR        download a magnet or .torrent, every piece verified
 *   metadata MAGNET -o FILE    fetch the info dictionary from the swarm, write a .torrent
 *   scrape HASH|FILE --tracker URL...   seeders, leechers, completed per tracker
 *   seed FILE DIR              hash-check DIR, then seed until SIGINT/SIGTERM
 * Exit codes: 0 done, 1 failed (one line on stderr says what happened), 2 usage. Logs go to
 * stderr (LOG_LEVEL, default warning); results go to stdout as key=value lines; a progress
 * line is drawn on stderr when it is a terminal. */
#include "bt_cli.h"
#include "bt_config.h"
#include "bt_tracker.h"
#include "cm_daemon.h"
#include <sys/stat.h>

enum {
    CLI_TRACKERS_MAX = 64,
    CLI_PEERS_MAX = 64,
    CLI_TORRENT_FILE_MAX = 10 * 1024 * 1024,
};

struct cli {
    const char *cmd;
    const char *source; /* magnet or .torrent path, or hash for scrape */
    const char *out;    /* -o */
    const char *dir;    /* seed DIR */
    const char *listen; /* --listen */
    const char *trackers[CLI_TRACKERS_MAX];
    size_t ntrackers;
    const char *peers[CLI_PEERS_MAX];
    size_t npeers;
    int timeout_s;
    const char *down_limit, *up_limit;
    bool no_dht;

    struct event_base *base;
    struct bt_engine_setup setup;
    bt_engine_t *engine;
    bt_torrent_t *t;
    struct bt_magnet magnet;
    bool have_magnet;
    struct event *ev_progress, *ev_sigint, *ev_sigterm;
    bool tty;
    int rc;         /* exit code once finished, -1 while running */
    char fail[512]; /* the line printed on failure */
    uint64_t started_ms, last_progress_ms;
    uint64_t last_done;
    bool had_metadata;
    uint64_t rate_at_ms, rate_down, rate_up; /* the progress line's own rates */
    double down_bps, up_bps;
    /* scrape */
    bt_trk_t *trk;
    size_t scrapes_left, scrapes_ok;
};

static const char *s_usage =
    "Commands (the same engine, no daemon):\n"
    "  torrent-worker fetch <magnet|file.torrent> -o DIR [--tracker URL]... [--peer IP:PORT]...\n"
    "        [--listen IP:PORT] [--timeout S] [--download-limit MBPS] [--upload-limit MBPS]\n"
    "        [--no-dht]\n"
    "  torrent-worker metadata <magnet> -o OUT.torrent [--tracker URL]... [--peer IP:PORT]...\n"
    "        [--timeout S] [--no-dht]\n"
    "  torrent-worker scrape <infohash|file.torrent> --tracker URL [--tracker URL]... [--timeout "
    "S]\n"
    "  torrent-worker seed <file.torrent> DIR [--listen IP:PORT] [--tracker URL]... [--no-dht]\n"
    "--timeout: give up after S seconds without progress (default 60). Rates in MB/s (10^6 B).\n"
    "With no command, torrent-worker runs as the stream-proxy's pool daemon.";

const char *bt_cli_usage(void)
{
    return s_usage;
}

bool bt_cli_is_command(const char *arg)
{
    return strcmp(arg, "fetch") == 0 || strcmp(arg, "metadata") == 0 ||
           strcmp(arg, "scrape") == 0 || strcmp(arg, "seed") == 0;
}

static void s_finish(struct cli *c, int rc, const char *fmt, ...) CM_PRINTF(3, 4);
static void s_finish(struct cli *c, int rc, const char *fmt, ...)
{
    if (c->rc >= 0)
        return;
    c->rc = rc;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->fail, sizeof(c->fail), fmt, ap);
        va_end(ap);
    }
    event_base_loopbreak(c->base);
}

/* --- arguments --- */

static int s_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "torrent-worker: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "; try torrent-worker --help\n");
    return 2;
}

static int s_parse_args(struct cli *c, int argc, char **argv)
{
    c->timeout_s = 60;
    const char *pos[2] = {NULL, NULL};
    size_t npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
                     strcmp(a, "--tracker") == 0 || strcmp(a, "--peer") == 0 ||
                     strcmp(a, "--listen") == 0 || strcmp(a, "--timeout") == 0 ||
                     strcmp(a, "--download-limit") == 0 || strcmp(a, "--upload-limit") == 0;
        if (takes && !v)
            return s_usage_error("option %s needs a value", a);
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            c->out = v;
        } else if (strcmp(a, "--tracker") == 0) {
            if (c->ntrackers == CLI_TRACKERS_MAX)
                return s_usage_error("too many --tracker options (%s)", "64 at most");
            c->trackers[c->ntrackers++] = v;
        } else if (strcmp(a, "--peer") == 0) {
            if (c->npeers == CLI_PEERS_MAX)
                return s_usage_error("too many --peer options (%s)", "64 at most");
            c->peers[c->npeers++] = v;
        } else if (strcmp(a, "--listen") == 0) {
            c->listen = v;
        } else if (strcmp(a, "--timeout") == 0) {
            int64_t t;
            if (cm_config_parse_int(v, &t) < 0 || t < 1 || t > 86400)
                return s_usage_error("--timeout wants seconds from 1 to 86400, not '%s'", v);
            c->timeout_s = (int)t;
        } else if (strcmp(a, "--no-dht") == 0) {
            c->no_dht = true;
            continue;
        } else if (strcmp(a, "--download-limit") == 0) {
            c->down_limit = v;
        } else if (strcmp(a, "--upload-limit") == 0) {
            c->up_limit = v;
        } else if (a[0] == '-' && a[1] != '\0') {
            return s_usage_error("unknown option '%s'", a);
        } else {
            if (npos == 2)
                return s_usage_error("unexpected argument '%s'", a);
            pos[npos++] = a;
            continue;
        }
        i++;
    }
    c->source = pos[0];
    if (!c->source)
        return s_usage_error("%s needs a source", c->cmd);
    if (strcmp(c->cmd, "seed") == 0) {
        c->dir = pos[1];
        if (!c->dir)
            return s_usage_error("seed needs a directory: seed FILE.torrent %s", "DIR");
    } else if (pos[1]) {
        return s_usage_error("unexpected argument '%s'", pos[1]);
    }
    if ((strcmp(c->cmd, "fetch") == 0 || strcmp(c->cmd, "metadata") == 0) && !c->out)
        return s_usage_error("%s needs -o", c->cmd);
    if (strcmp(c->cmd, "metadata") == 0 && strncmp(c->source, "magnet:", 7) != 0)
        return s_usage_error("metadata wants a magnet URI, not '%s'", c->source);
    return 0;
}

/* --- helpers --- */

static bt_metainfo_t *s_load_torrent(const char *path, char *err, size_t errlen)
{
    cm_buf_t *b = cm_buf_new(CLI_TORRENT_FILE_MAX);
    char e2[CM_ERR_LEN];
    if (bt_load_text(path, CLI_TORRENT_FILE_MAX, b, e2, sizeof(e2)) < 0) {
        snprintf(err, errlen, "%s", e2);
        cm_buf_destroy(&b);
        return NULL;
    }
    bt_metainfo_t *mi = bt_metainfo_parse(cm_buf_data(b), cm_buf_len(b), e2, sizeof(e2));
    if (!mi) {
        int n = snprintf(err, errlen, "%s is not a valid .torrent: ", path);
        if (n >= 0 && (size_t)n < errlen)
            snprintf(err + n, errlen - (size_t)n, "%s", e2);
    }
    cm_buf_destroy(&b);
    return mi;
}

static void s_human_rate(uint64_t bps, char *out, size_t len)
{
    if (bps >= 1024 * 1024)
        snprintf(out, len, "%.1f MiB/s", (double)bps / 1048576.0);
    else
        snprintf(out, len, "%.0f KiB/s", (double)bps / 1024.0);
}

static void s_on_progress(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    struct cli *c = arg;
    if (!c->t)
        return;
    struct bt_torrent_stats st;
    bt_torrent_stats(c->t, &st);
    uint64_t now = cm_mono_ms();
    if (st.done != c->last_done || (st.has_metadata && !c->had_metadata)) {
        c->last_done = st.done;
        c->had_metadata = st.has_metadata;
        c->last_progress_ms = now;
    }
    if (c->tty) {
        /* rates over the last half second, smoothed: the line moves from its first draw */
        if (c->rate_at_ms && now > c->rate_at_ms) {
            double dt = (double)(now - c->rate_at_ms) / 1000.0;
            c->down_bps = 0.5 * c->down_bps + 0.5 * (double)(st.downloaded - c->rate_down) / dt;
            c->up_bps = 0.5 * c->up_bps + 0.5 * (double)(st.uploaded - c->rate_up) / dt;
        }
        c->rate_at_ms = now;
        c->rate_down = st.downloaded;
        c->rate_up = st.uploaded;
        char down[32], up[32], eta[32] = "--:--";
        s_human_rate((uint64_t)c->down_bps, down, sizeof(down));
        s_human_rate((uint64_t)c->up_bps, up, sizeof(up));
        if (c->down_bps >= 1 && st.total > st.done) {
            uint64_t s = (uint64_t)((double)(st.total - st.done) / c->down_bps);
            snprintf(eta, sizeof(eta), "%" PRIu64 ":%02" PRIu64, s / 60, s % 60);
        }
        if (st.has_metadata)
            fprintf(stderr, "\r%5.1f%%  %s down  %s up  %" PRIu32 " peers  ETA %s\033[K",
                    st.total ? 100.0 * (double)st.done / (double)st.total : 100.0, down, up,
                    st.peers, eta);
        else
            fprintf(stderr, "\rmetadata...  %" PRIu32 " peers  %" PRIu32 " known\033[K", st.peers,
                    st.known_peers);
        fflush(stderr);
    }
    if (now - c->last_progress_ms > (uint64_t)c->timeout_s * 1000) {
        bool dht = c->setup.opts.dht && !c->no_dht;
        if (!st.has_metadata)
            s_finish(c, 1,
                     "no metadata after %d s: %" PRIu32 " peers from %" PRIu32 " trackers%s%s%s",
                     c->timeout_s, st.known_peers, st.trackers, dht ? " and the DHT" : "",
                     st.tracker_error[0] ? "; last tracker error: " : "", st.tracker_error);
        else
            s_finish(c, 1,
                     "no progress for %d s at %.1f%%: %" PRIu32 " peers connected, %" PRIu32
                     " known from %" PRIu32 " trackers",
                     c->timeout_s, st.total ? 100.0 * (double)st.done / (double)st.total : 0.0,
                     st.peers, st.known_peers, st.trackers);
    }
}

static void s_on_signal(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(what);
    struct cli *c = arg;
    if (strcmp(c->cmd, "seed") == 0)
        s_finish(c, 0, NULL);
    else
        s_finish(c, 1, "interrupted by signal %d", (int)fd);
}

static void s_on_complete(void *arg, bt_torrent_t *t)
{
    struct cli *c = arg;
    if (strcmp(c->cmd, "fetch") != 0)
        return;
    struct bt_torrent_stats st;
    bt_torrent_stats(t, &st);
    double secs = (double)(cm_mono_ms() - c->started_ms) / 1000.0;
    if (c->tty)
        fprintf(stderr, "\r\033[K");
    /* active: from the first block to the end, the figure a rate limit is judged by */
    double active = st.first_block_ms ? (double)(cm_mono_ms() - st.first_block_ms) / 1000.0 : 0.0;
    printf("done name=%s bytes=%" PRIu64 " downloaded=%" PRIu64
           " seconds=%.2f active_seconds=%.2f rate_mib_s=%.1f peers=%" PRIu32 "\n",
           bt_torrent_metainfo(t)->name, st.total, st.downloaded, secs, active,
           secs > 0 ? (double)st.downloaded / 1048576.0 / secs : 0.0, st.peers_used);
    fflush(stdout);
    s_finish(c, 0, NULL);
}

static void s_on_metadata(void *arg, bt_torrent_t *t)
{
    struct cli *c = arg;
    if (strcmp(c->cmd, "metadata") != 0)
        return;
    const bt_metainfo_t *mi = bt_torrent_metainfo(t);
    char err[CM_ERR_LEN];
    bt_metainfo_t *copy = bt_metainfo_from_info(mi->info_raw, mi->info_len, NULL, err, sizeof(err));
    if (!copy) {
        s_finish(c, 1, "metadata: %s", err);
        return;
    }
    if (c->have_magnet)
        bt_metainfo_add_trackers(copy, (const char *const *)c->magnet.tr, c->magnet.ntr);
    bt_metainfo_add_trackers(copy, c->trackers, c->ntrackers);
    cm_buf_t *b = cm_buf_new(BT_METADATA_MAX + 256 * 1024);
    if (bt_metainfo_write(copy, b) < 0) {
        s_finish(c, 1, "metadata: the .torrent is too big to write");
    } else {
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.part", c->out);
        FILE *f = fopen(tmp, "wb");
        if (!f || fwrite(cm_buf_data(b), 1, cm_buf_len(b), f) != cm_buf_len(b) || fclose(f) != 0 ||
            rename(tmp, c->out) < 0) {
            s_finish(c, 1, "cannot write %s: %s", c->out, strerror(errno));
        } else {
            char hex[41];
            bt_hash_hex(copy->info_hash, hex);
            printf("metadata name=%s infohash=%s files=%" PRIu32 " bytes=%" PRIu64
                   " file=%s seconds=%.2f\n",
                   copy->name, hex, copy->nfiles, copy->total_len, c->out,
                   (double)(cm_mono_ms() - c->started_ms) / 1000.0);
            fflush(stdout);
            s_finish(c, 0, NULL);
        }
    }
    cm_buf_destroy(&b);
    bt_metainfo_destroy(&copy);
}

static int s_add_peers(struct cli *c)
{
    for (size_t i = 0; i < c->npeers; i++) {
        struct sockaddr_storage ss;
        int len = (int)sizeof(ss);
        memset(&ss, 0, sizeof(ss));
        if (evutil_parse_sockaddr_port(c->peers[i], (struct sockaddr *)&ss, &len) < 0) {
            fprintf(stderr, "torrent-worker: --peer '%s' is not IP:PORT\n", c->peers[i]);
            return -1;
        }
        bt_torrent_add_peer(c->t, (struct sockaddr *)&ss, (socklen_t)len);
    }
    return 0;
}

/* Engine with the CLI's overrides; a busy default port falls back to a free one. */
static int s_engine(struct cli *c, bool listen)
{
    char err[CM_ERR_LEN];
    if (bt_config_setup(&c->setup, err, sizeof(err)) < 0) {
        fprintf(stderr, "torrent-worker: %s\n", err);
        return -1;
    }
    struct bt_engine_opts o = c->setup.opts;
    if (c->down_limit && bt_config_parse_rate(c->down_limit, &o.down_rate) < 0) {
        fprintf(stderr, "torrent-worker: --download-limit '%s' is not MB/s\n", c->down_limit);
        return -1;
    }
    if (c->up_limit && bt_config_parse_rate(c->up_limit, &o.up_rate) < 0) {
        fprintf(stderr, "torrent-worker: --upload-limit '%s' is not MB/s\n", c->up_limit);
        return -1;
    }
    o.listen = !listen ? NULL : c->listen ? c->listen : o.listen;
    if (c->no_dht)
        o.dht = false;
    c->engine = bt_engine_new(c->base, &o, err, sizeof(err));
    if (!c->engine && listen && !c->listen && !getenv("BT_LISTEN")) {
        o.listen = "0.0.0.0:0";
        c->engine = bt_engine_new(c->base, &o, err, sizeof(err));
    }
    if (!c->engine) {
        fprintf(stderr, "torrent-worker: %s\n", err);
        return -1;
    }
    return 0;
}

/* --- commands --- */

static int s_cmd_fetch_or_metadata(struct cli *c)
{
    char err[CM_ERR_LEN];
    bool meta = strcmp(c->cmd, "metadata") == 0;
    if (s_engine(c, true) < 0)
        return 1;
    struct bt_torrent_cbs cbs = {.metadata = s_on_metadata, .complete = s_on_complete, .arg = c};
    const char *root = meta ? "." : c->out;
    if (!meta && mkdir(root, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "torrent-worker: cannot create %s: %s\n", root, strerror(errno));
        return 1;
    }
    if (strncmp(c->source, "magnet:", 7) == 0) {
        if (bt_magnet_parse(c->source, &c->magnet, err, sizeof(err)) < 0) {
            fprintf(stderr, "torrent-worker: bad magnet: %s\n", err);
            return 1;
        }
        c->have_magnet = true;
        c->t = bt_engine_add_magnet(c->engine, &c->magnet, root, meta ? BT_TF_METADATA_ONLY : 0,
                                    &cbs, err, sizeof(err));
    } else {
        bt_metainfo_t *mi = s_load_torrent(c->source, err, sizeof(err));
        if (!mi) {
            fprintf(stderr, "torrent-worker: %s\n", err);
            return 1;
        }
        c->t = bt_engine_add_metainfo(c->engine, mi, root, 0, &cbs, err, sizeof(err));
    }
    if (!c->t) {
        fprintf(stderr, "torrent-worker: %s\n", err);
        return 1;
    }
    bt_torrent_add_trackers(c->t, c->trackers, c->ntrackers);
    if (s_add_peers(c) < 0)
        return 2;
    c->ev_progress = event_new(c->base, -1, EV_PERSIST, s_on_progress, c);
    struct timeval tv = cm_tv_ms(500);
    event_add(c->ev_progress, &tv);
    event_base_dispatch(c->base);
    if (c->tty)
        fprintf(stderr, "\r\033[K");
    if (c->rc > 0)
        fprintf(stderr, "torrent-worker: %s\n", c->fail);
    return c->rc < 0 ? 1 : c->rc;
}

static int s_cmd_seed(struct cli *c)
{
    char err[CM_ERR_LEN];
    bt_metainfo_t *mi = s_load_torrent(c->source, err, sizeof(err));
    if (!mi) {
        fprintf(stderr, "torrent-worker: %s\n", err);
        return 1;
    }
    if (s_engine(c, true) < 0) {
        bt_metainfo_destroy(&mi);
        return 1;
    }
    struct stat sb;
    if (stat(c->dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "torrent-worker: %s is not a directory\n", c->dir);
        bt_metainfo_destroy(&mi);
        return 1;
    }
    struct bt_torrent_cbs cbs = {.arg = c};
    c->t = bt_engine_add_metainfo(c->engine, mi, c->dir, BT_TF_SEED_CHECK, &cbs, err, sizeof(err));
    if (!c->t) {
        fprintf(stderr, "torrent-worker: %s\n", err);
        return 1;
    }
    struct bt_torrent_stats st;
    bt_torrent_stats(c->t, &st);
    const bt_metainfo_t *m = bt_torrent_metainfo(c->t);
    if (st.pieces_have == 0) {
        fprintf(stderr,
                "torrent-worker: %s holds none of the %" PRIu32
                " pieces of %s: the files belong in %s/%s\n",
                c->dir, st.npieces, m->name, c->dir, m->name);
        return 1;
    }
    if (st.pieces_have < st.npieces)
        cm_log_w("seed", 0, "only %" PRIu32 " of %" PRIu32 " pieces are present: seeding those",
                 st.pieces_have, st.npieces);
    bt_torrent_add_trackers(c->t, c->trackers, c->ntrackers);
    if (s_add_peers(c) < 0)
        return 2;
    printf("seeding name=%s pieces=%" PRIu32 "/%" PRIu32 " listen=%s\n", m->name, st.pieces_have,
           st.npieces, bt_engine_listen_addr(c->engine));
    fflush(stdout);
    event_base_dispatch(c->base);
    return c->rc < 0 ? 0 : c->rc;
}

struct scrape_req {
    struct cli *c;
    const char *url;
};

static void s_on_scrape(void *arg, int status, uint32_t seeders, uint32_t leechers,
                        uint32_t completed, const char *err)
{
    struct scrape_req *r = arg;
    struct cli *c = r->c;
    if (status == 0) {
        printf("tracker=%s seeders=%" PRIu32 " leechers=%" PRIu32 " completed=%" PRIu32 "\n",
               r->url, seeders, leechers, completed);
        c->scrapes_ok++;
    } else {
        char clean[256];
        size_t j = 0;
        for (size_t i = 0; err && err[i] && j + 1 < sizeof(clean); i++)
            clean[j++] = err[i] == '"' ? '\'' : err[i];
        clean[j] = '\0';
        printf("tracker=%s error=\"%s\"\n", r->url, clean);
    }
    fflush(stdout);
    if (--c->scrapes_left == 0)
        s_finish(c, c->scrapes_ok > 0 ? 0 : 1, "no tracker answered the scrape");
}

static int s_cmd_scrape(struct cli *c)
{
    char err[CM_ERR_LEN];
    uint8_t hash[20];
    bt_metainfo_t *mi = NULL;
    if (bt_hash_parse(c->source, strlen(c->source), hash) < 0) {
        mi = s_load_torrent(c->source, err, sizeof(err));
        if (!mi) {
            fprintf(stderr, "torrent-worker: '%s' is neither an info-hash nor a .torrent: %s\n",
                    c->source, err);
            return 1;
        }
        memcpy(hash, mi->info_hash, 20);
        for (uint32_t i = 0; i < mi->ntrackers && c->ntrackers < CLI_TRACKERS_MAX; i++)
            c->trackers[c->ntrackers++] = mi->trackers[i].url;
    }
    if (c->ntrackers == 0) {
        bt_metainfo_destroy(&mi);
        return s_usage_error("scrape needs a tracker: %s", "--tracker URL");
    }
    uint8_t peer_id[20];
    memcpy(peer_id, BT_PEER_ID_PREFIX "scrapescrape", 20);
    struct bt_trk_opts to = {.port = 0,
                             .peer_id = peer_id,
                             .allow_private = bt_cfg.allow_private,
                             .timeout_ms = c->timeout_s * 1000};
    c->trk = bt_trk_new(c->base, &to, err, sizeof(err));
    if (!c->trk) {
        fprintf(stderr, "torrent-worker: %s\n", err);
        bt_metainfo_destroy(&mi);
        return 1;
    }
    struct scrape_req reqs[CLI_TRACKERS_MAX];
    c->scrapes_left = c->ntrackers;
    for (size_t i = 0; i < c->ntrackers; i++) {
        reqs[i].c = c;
        reqs[i].url = c->trackers[i];
        bt_trk_scrape(c->trk, c->trackers[i], hash, c->timeout_s * 1000, s_on_scrape, &reqs[i]);
    }
    event_base_dispatch(c->base);
    bt_trk_destroy(&c->trk);
    bt_metainfo_destroy(&mi);
    if (c->rc > 0)
        fprintf(stderr, "torrent-worker: %s\n", c->fail);
    return c->rc < 0 ? 1 : c->rc;
}

int bt_cli_main(int argc, char **argv)
{
    struct cli c;
    memset(&c, 0, sizeof(c));
    c.cmd = argv[0];
    c.rc = -1;
    cm_log_init("torrent-worker");
    const char *lvl = getenv("LOG_LEVEL");
    cm_log_set_level(lvl && strcmp(lvl, "debug") == 0    ? CM_LOG_DEBUG
                     : lvl && strcmp(lvl, "info") == 0   ? CM_LOG_INFO
                     : lvl && strcmp(lvl, "notice") == 0 ? CM_LOG_NOTICE
                     : lvl && strcmp(lvl, "error") == 0  ? CM_LOG_ERROR
                                                         : CM_LOG_WARN);
    int rc = s_parse_args(&c, argc, argv);
    if (rc != 0)
        return rc;
    char err[CM_ERR_LEN * 2];
    if (cm_config_load(bt_cfg_vars, bt_cfg_nvars, err, sizeof(err)) < 0) {
        fprintf(stderr, "torrent-worker: %s\n", err);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    c.base = event_base_new();
    c.tty = isatty(STDERR_FILENO) == 1;
    c.started_ms = c.last_progress_ms = cm_mono_ms();
    c.ev_sigint = evsignal_new(c.base, SIGINT, s_on_signal, &c);
    c.ev_sigterm = evsignal_new(c.base, SIGTERM, s_on_signal, &c);
    event_add(c.ev_sigint, NULL);
    event_add(c.ev_sigterm, NULL);
    if (strcmp(c.cmd, "seed") == 0)
        rc = s_cmd_seed(&c);
    else if (strcmp(c.cmd, "scrape") == 0)
        rc = s_cmd_scrape(&c);
    else
        rc = s_cmd_fetch_or_metadata(&c);
    if (c.t)
        bt_torrent_remove(&c.t);
    if (c.engine)
        bt_engine_drain(c.engine, 2000); /* trackers hear `stopped`, bounded */
    bt_engine_destroy(&c.engine);
    if (c.ev_progress)
        event_free(c.ev_progress);
    event_free(c.ev_sigint);
    event_free(c.ev_sigterm);
    if (c.have_magnet)
        bt_magnet_clear(&c.magnet);
    bt_config_setup_free(&c.setup);
    cm_config_free(bt_cfg_vars, bt_cfg_nvars);
    event_base_free(c.base);
    return rc;
}
