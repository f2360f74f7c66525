/* SPDX-License-Identifier: MIT
 * disc_torrents: .torrent retrieval and seeder statistics (see disc_torrents.h).
 *
 * A job (fetch or scrape) lives from its pick to disc_job_end. Its asynchronous steps (an HTTP
 * GET, a call to the stream-proxy, a query) are counted in `out`; after disc_torrents_stop a
 * job is dead, and the last step to come back frees it. */
#include <openssl/crypto.h>
#include "disc_torrents.h"
#include "cm_token.h"
#include "bt_magnet.h"
#include "bt_metainfo.h"
#include "disc_http.h"
#include "disc_release.h"
#include "disc_vpn.h"
#include "stream_msg.h"

enum {
    S_TRACKERS_MAX = 32,     /* trackers scraped for one source */
    S_WHY_MAX = 320,         /* bytes of a failure kept (the table keeps 256) */
    S_RETRY_BASE_S = 5 * 60, /* a failed fetch: again after 5 min, doubling ... */
    S_RETRY_MAX_S = 86400,   /* ... up to a day */
    S_RPC_MARGIN_MS = 5000,  /* over the worker's own deadline */
    S_SCRAPE_TIMEOUT_MS = 10000,
    S_IDS_MAX = 2 * 64, /* ids excluded from a pick (the jobs running) */
};

enum job_kind { JOB_FETCH, JOB_SCRAPE };

struct job {
    struct disc_torrents *t;
    enum job_kind kind;
    uint64_t id;
    uint8_t hash[20];
    char hex[41];
    char *magnet; /* opened, owned; may be NULL */
    char *url;    /* FETCH: the provider's .torrent URL, owned; may be NULL */
    int http_id;  /* FETCH: the GET in flight, 0 none */
    uint32_t out; /* steps in flight (RPC, query) */
    bool dead;    /* stopped: the last step frees it */
    bool ended;   /* disc_job_end ran (its slot is back) */
    /* SCRAPE: what the score and the next interval need */
    int64_t old_seeders, old_leechers;
    int prev_interval_s;
    char name[256];
    char quality[8];
    uint64_t size;
    uint32_t runtime_min;
    int64_t uploaded;
    struct job *prev, *next;
};

struct disc_torrents {
    struct disc *d;
    struct event *tick;
    bool picking[2];
    bool stopped; /* disc_torrents_stop ran: the last pick's callback frees this */
    uint32_t running[2];
    struct job *jobs;
};

int disc_scrape_interval(int prev_s, int64_t old_seeders, int64_t old_leechers, uint32_t seeders,
                         uint32_t leechers, int base_s, int min_s, int max_s, double jitter)
{
    double next;
    if (prev_s <= 0 || old_seeders < 0 || old_leechers < 0) {
        next = base_s;
    } else {
        double v = 0;
        const int64_t before[2] = {old_seeders, old_leechers};
        const uint32_t now[2] = {seeders, leechers};
        for (int i = 0; i < 2; i++) {
            double c = before[i] == 0 ? (now[i] > 0 ? 1.0 : 0.0)
                                      : (double)(now[i] > before[i] ? now[i] - before[i]
                                                                    : before[i] - now[i]) /
                                            (double)before[i];
            v = c > v ? c : v;
        }
        next = v < 0.05   ? prev_s * 2.0
               : v < 0.10 ? prev_s
               : v < 0.20 ? prev_s * 0.75
               : v < 0.50 ? prev_s * 0.5
                          : base_s;
    }
    if (!(jitter >= 0.5 && jitter <= 1.5))
        jitter = 1.0;
    next *= jitter;
    if (next < min_s)
        next = min_s;
    if (next > max_s)
        next = max_s;
    return (int)next;
}

uint32_t disc_torrents_fetching(const struct disc *d)
{
    return d->torrents ? d->torrents->running[JOB_FETCH] : 0;
}

uint32_t disc_torrents_scraping(const struct disc *d)
{
    return d->torrents ? d->torrents->running[JOB_SCRAPE] : 0;
}

/* --- jobs --- */

static void s_job_free(struct job *j)
{
    struct disc_torrents *t = j->t;
    if (j->prev)
        j->prev->next = j->next;
    else if (t && t->jobs == j)
        t->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    if (j->magnet) {
        OPENSSL_cleanse(j->magnet, strlen(j->magnet));
        cm_free(j->magnet);
    }
    if (j->url) {
        OPENSSL_cleanse(j->url, strlen(j->url));
        cm_free(j->url);
    }
    OPENSSL_cleanse(j->hash, sizeof(j->hash));
    OPENSSL_cleanse(j->hex, sizeof(j->hex));
    cm_free(j);
}

/* A step came back: false when the job is dead (freed with its last step). */
static bool s_back(struct job *j)
{
    j->out--;
    if (!j->dead)
        return true;
    if (j->out == 0)
        s_job_free(j);
    return false;
}

static void s_on_end_noted(int status, const PGresult *res, void *arg)
{
    CM_UNUSED(res);
    struct job *j = arg;
    if (!s_back(j))
        return;
    if (status != CM_OK)
        cm_log_w("torrents", 0, "source %" PRIu64 ": its next attempt could not be planned", j->id);
    s_job_free(j);
}

static const char s_sql_fetch_failed[] =
    "UPDATE sources SET torrent_attempts = torrent_attempts + 1, torrent_error = left($2, 256), "
    "torrent_next_at = now() + make_interval(secs => least($4::int, $3::int * "
    "power(2, least(torrent_attempts, 16))) * (0.8 + random() * 0.4)) WHERE id = $1";

/* The job is over: its slot is given back here, whatever happened; a failed fetch plans its
 * next attempt (the job is freed when that is written). */
static void s_job_end(struct job *j, bool ok, const char *why)
{
    struct disc_torrents *t = j->t;
    j->ended = true;
    t->running[j->kind]--;
    if (ok || j->kind != JOB_FETCH) {
        if (j->out == 0)
            s_job_free(j);
        return;
    }
    cm_log_i("torrents", 0, "source %" PRIu64 ": no .torrent yet: %s", j->id, why);
    char id[24], base[16], max[16];
    snprintf(id, sizeof(id), "%" PRIu64, j->id);
    snprintf(base, sizeof(base), "%d", S_RETRY_BASE_S);
    snprintf(max, sizeof(max), "%d", S_RETRY_MAX_S);
    const char *params[] = {id, why, base, max};
    j->out++;
    cm_pg_query(t->d->pg, s_sql_fetch_failed, 4, params, 0, s_on_end_noted, j);
}

static struct job *s_job_new(struct disc_torrents *t, enum job_kind kind, uint64_t id)
{
    struct job *j = cm_calloc(1, sizeof(*j));
    j->t = t;
    j->kind = kind;
    j->id = id;
    j->next = t->jobs;
    if (j->next)
        j->next->prev = j;
    t->jobs = j;
    t->running[kind]++;
    return j;
}

/* --- .torrent: store --- */

static void s_on_stored(int status, const PGresult *res, void *arg)
{
    struct job *j = arg;
    if (!s_back(j))
        return;
    if (status != CM_OK)
        s_job_end(j, false, "storing the .torrent failed");
    else if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "t") != 0)
        s_job_end(j, false, "the .torrent is not of this source's info-hash");
    else {
        cm_log_n("torrents", 0, "source %" PRIu64 ": .torrent stored", j->id);
        s_job_end(j, true, "");
    }
}

/* `buf` is a .torrent for job j: store it if it is of the job's info-hash. */
static bool s_store(struct job *j, const uint8_t *buf, size_t len, char *why, size_t whylen)
{
    char err[CM_ERR_LEN];
    bt_metainfo_t *mi = bt_metainfo_parse(buf, len, err, sizeof(err));
    if (!mi) {
        snprintf(why, whylen, "not a .torrent: %.200s", err);
        return false;
    }
    bool same = memcmp(mi->info_hash, j->hash, 20) == 0;
    bt_metainfo_destroy(&mi);
    if (!same) {
        snprintf(why, whylen, "a .torrent of another info-hash");
        return false;
    }
    j->out++;
    int st = disc_torrent_store(j->t->d, j->id, buf, len, s_on_stored, j, err, sizeof(err));
    if (st != CM_OK) {
        j->out--;
        snprintf(why, whylen, "%.200s", err);
        return false;
    }
    return true;
}

/* --- .torrent: through the pool --- */

static void s_on_metadata(int status, const cm_msg_t *reply, void *arg)
{
    struct job *j = arg;
    if (!s_back(j))
        return;
    char why[S_WHY_MAX];
    if (status != CM_OK) {
        snprintf(why, sizeof(why), "the pool could not fetch the metadata: %s",
                 cm_status_str(status));
        s_job_end(j, false, why);
        return;
    }
    struct stream_metadata_ok *m = cm_malloc(sizeof(*m));
    if (stream_metadata_ok_decode(m, reply->body.data, reply->body.len) < 0) {
        cm_free(m);
        s_job_end(j, false, "the pool's METADATA_OK does not decode");
        return;
    }
    bool ok = s_store(j, m->torrent.data, m->torrent.len, why, sizeof(why));
    cm_free(m);
    if (!ok)
        s_job_end(j, false, why);
}

static void s_via_pool(struct job *j, const char *before)
{
    struct disc *d = j->t->d;
    struct stream_metadata *m = cm_calloc(1, sizeof(*m));
    snprintf(m->info_hash, sizeof(m->info_hash), "%s", j->hex);
    snprintf(m->magnet, sizeof(m->magnet), "%s", j->magnet ? j->magnet : "");
    m->timeout_ms = (uint32_t)d->cfg.fetch_timeout_ms;
    cm_buf_t *b = cm_buf_new(70000);
    int rc = stream_metadata_encode(m, b);
    cm_free(m);
    if (rc == 0) {
        j->out++;
        cm_rpc_call(d->pool, NULL, STREAM_PROTO, STREAM_MSG_METADATA, 0, b, NULL,
                    d->cfg.fetch_timeout_ms + S_RPC_MARGIN_MS, s_on_metadata, j);
    }
    cm_buf_destroy(&b);
    if (rc != 0) {
        char why[S_WHY_MAX];
        snprintf(why, sizeof(why), "%s%scannot ask the pool", before, before[0] ? "; " : "");
        s_job_end(j, false, why);
    }
}

/* --- .torrent: the provider's URL --- */

static void s_on_url(void *arg, const struct disc_http_result *res)
{
    struct job *j = arg;
    j->http_id = 0;
    char why[S_WHY_MAX] = "";
    if (res->curl_code != 0)
        snprintf(why, sizeof(why), "the provider URL: %.200s", res->error);
    else if (res->status != 200)
        snprintf(why, sizeof(why), "the provider URL answered HTTP %ld", res->status);
    else if (s_store(j, (const uint8_t *)res->body, res->len, why, sizeof(why)))
        return;
    cm_log_i("torrents", 0, "source %" PRIu64 ": %s; asking the pool", j->id, why);
    s_via_pool(j, why);
}

static void s_fetch(struct job *j)
{
    struct disc *d = j->t->d;
    if (j->url && d->http) {
        j->http_id = disc_http_get(d->http, j->url, d->cfg.fetch_timeout_ms, DISC_TORRENT_BYTES_MAX,
                                   s_on_url, j);
        if (j->http_id > 0)
            return;
        j->http_id = 0;
    }
    s_via_pool(j, "");
}

/* --- scrape --- */

static void s_on_scraped_noted(int status, const PGresult *res, void *arg)
{
    struct job *j = arg;
    if (!s_back(j))
        return;
    if (status != CM_OK)
        cm_log_w("torrents", 0, "source %" PRIu64 ": its figures could not be stored: SQLSTATE %s",
                 j->id, cm_pg_sqlstate(res));
    if (j->ended)
        s_job_free(j);
    else
        s_job_end(j, status == CM_OK, "");
}

static const char s_sql_scraped[] =
    "UPDATE sources SET seeders = $2::int, leechers = $3::int, completed = $4::int, "
    "score = $5::int, stats_at = now(), stats_interval_s = $6::int, "
    "stats_next_at = now() + make_interval(secs => $6::int), "
    "updated_at = now() WHERE id = $1";
static const char s_sql_scrape_failed[] = "UPDATE sources SET stats_interval_s = $2::int, "
                                          "stats_next_at = now() + make_interval(secs => $2::int) "
                                          "WHERE id = $1";

static double s_jitter(void)
{
    uint32_t r;
    cm_rand_bytes(&r, sizeof(r));
    return 0.8 + 0.4 * ((double)r / 4294967295.0);
}

static void s_on_scrape(int status, const cm_msg_t *reply, void *arg)
{
    struct job *j = arg;
    if (!s_back(j))
        return;
    struct disc *d = j->t->d;
    struct stream_scrape_ok m;
    char id[24], interval[16];
    snprintf(id, sizeof(id), "%" PRIu64, j->id);
    if (status != CM_OK || stream_scrape_ok_decode(&m, reply->body.data, reply->body.len) < 0) {
        int next = j->prev_interval_s > 0 ? j->prev_interval_s * 2 : d->cfg.scrape_base_s;
        next = CM_MAX(d->cfg.scrape_min_s, CM_MIN(next, d->cfg.scrape_max_s));
        snprintf(interval, sizeof(interval), "%d", next);
        cm_log_i("torrents", 0, "source %" PRIu64 ": scrape failed (%s); again in %d min", j->id,
                 cm_status_str(status), next / 60);
        const char *params[] = {id, interval};
        j->out++;
        cm_pg_query(d->pg, s_sql_scrape_failed, 2, params, 0, s_on_scraped_noted, j);
        return;
    }
    int next = disc_scrape_interval(j->prev_interval_s, j->old_seeders, j->old_leechers, m.seeders,
                                    m.leechers, d->cfg.scrape_base_s, d->cfg.scrape_min_s,
                                    d->cfg.scrape_max_s, s_jitter());
    struct disc_release rel;
    disc_release_parse(j->name, &rel);
    struct disc_score_in in = {0};
    disc_score_in_from_release(&in, &rel);
    enum disc_quality q = disc_quality_from_name(j->quality);
    if (q != DISC_Q_UNKNOWN)
        in.quality = q;
    in.seeders = m.seeders;
    in.leechers = m.leechers;
    in.size = j->size;
    in.runtime_min = j->runtime_min;
    in.uploaded = j->uploaded;
    in.now = (int64_t)(cm_now_ms() / 1000);
    char seed[16], leech[16], done[16], score[16];
    snprintf(seed, sizeof(seed), "%u", (unsigned)CM_MIN(m.seeders, (uint32_t)INT32_MAX));
    snprintf(leech, sizeof(leech), "%u", (unsigned)CM_MIN(m.leechers, (uint32_t)INT32_MAX));
    snprintf(done, sizeof(done), "%u", (unsigned)CM_MIN(m.completed, (uint32_t)INT32_MAX));
    snprintf(score, sizeof(score), "%d", disc_score(&in));
    snprintf(interval, sizeof(interval), "%d", next);
    cm_log_i("torrents", 0,
             "source %" PRIu64 ": %u seeders, %u leechers (%u of %u trackers); score %s; again "
             "in %d min",
             j->id, m.seeders, m.leechers, m.answered, m.asked, score, next / 60);
    const char *params[] = {id, seed, leech, done, score, interval};
    j->out++;
    cm_pg_query(d->pg, s_sql_scraped, 6, params, 0, s_on_scraped_noted, j);
}

static void s_scrape(struct job *j)
{
    struct disc_torrents *t = j->t;
    struct disc *d = t->d;
    struct stream_scrape *m = cm_calloc(1, sizeof(*m));
    snprintf(m->info_hash, sizeof(m->info_hash), "%s", j->hex);
    struct bt_magnet mg;
    char err[256];
    uint32_t n = 0;
    if (j->magnet && bt_magnet_parse(j->magnet, &mg, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < mg.ntr && n < S_TRACKERS_MAX; i++)
            snprintf(m->trackers[n++], sizeof(m->trackers[0]), "%s", mg.tr[i]);
        bt_magnet_clear(&mg);
    }
    for (size_t i = 0; i < d->cfg.ntrackers && n < S_TRACKERS_MAX; i++) {
        bool dup = false;
        for (uint32_t k = 0; k < n && !dup; k++)
            dup = strcmp(m->trackers[k], d->cfg.trackers[i]) == 0;
        if (!dup)
            snprintf(m->trackers[n++], sizeof(m->trackers[0]), "%s", d->cfg.trackers[i]);
    }
    m->trackers_count = n;
    m->timeout_ms = S_SCRAPE_TIMEOUT_MS;
    if (n == 0) {
        cm_free(m);
        /* nothing to ask: look again at the longest interval */
        j->prev_interval_s = d->cfg.scrape_max_s / 2;
        char id[24], interval[16];
        snprintf(id, sizeof(id), "%" PRIu64, j->id);
        snprintf(interval, sizeof(interval), "%d", d->cfg.scrape_max_s);
        const char *params[] = {id, interval};
        j->out++;
        cm_pg_query(d->pg, s_sql_scrape_failed, 2, params, 0, s_on_scraped_noted, j);
        return;
    }
    cm_buf_t *b = cm_buf_new(64 * 1024);
    if (stream_scrape_encode(m, b) == 0) {
        j->out++;
        cm_rpc_call(d->pool, NULL, STREAM_PROTO, STREAM_MSG_SCRAPE, 0, b, NULL,
                    S_SCRAPE_TIMEOUT_MS * 2 + S_RPC_MARGIN_MS, s_on_scrape, j);
    } else {
        s_job_end(j, false, "cannot encode SCRAPE");
    }
    cm_buf_destroy(&b);
    cm_free(m);
}

/* --- picking due sources --- */

static const char s_sql_due_fetch[] =
    "SELECT id, encode(info_hash_enc, 'hex'), encode(magnet_enc, 'hex'), encode(url_enc, 'hex') "
    "FROM sources WHERE torrent_enc IS NULL "
    "AND torrent_next_at <= now() AND NOT (id = ANY ($1::bigint[])) "
    "ORDER BY score DESC, id LIMIT $2";

static const char s_sql_due_scrape[] =
    "SELECT s.id, encode(s.info_hash_enc, 'hex'), encode(s.magnet_enc, 'hex'), s.seeders, "
    "s.leechers, "
    "CASE WHEN s.stats_at IS NULL THEN 0 ELSE s.stats_interval_s END, s.name, s.quality, s.size, "
    "coalesce(m.runtime_min, 0), coalesce(extract(epoch FROM s.uploaded_at), 0)::bigint "
    "FROM sources s JOIN movies m ON m.id = s.movie_id WHERE s.stats_next_at <= now() "
    "AND NOT (s.id = ANY ($1::bigint[])) ORDER BY s.stats_next_at LIMIT $2";

/* Fill the job's hash and magnet from the row's sealed columns; false when they do not open. */
static bool s_open_secrets(struct job *j, const PGresult *res, int row)
{
    struct disc *d = j->t->d;
    uint8_t *hash = NULL, *magnet = NULL;
    size_t hl = 0, ml = 0;
    bool ok = disc_col_open(d, res, row, 1, DISC_AAD_HASH, &hash, &hl) == 0 && hash && hl == 20 &&
              disc_col_open(d, res, row, 2, DISC_AAD_MAGNET, &magnet, &ml) == 0;
    if (ok) {
        memcpy(j->hash, hash, 20);
        cm_hex_encode(j->hash, 20, j->hex);
        j->magnet = (char *)magnet;
        magnet = NULL;
    }
    if (hash) {
        OPENSSL_cleanse(hash, hl);
        cm_free(hash);
    }
    if (magnet)
        cm_free(magnet);
    return ok;
}

static void s_on_due(int status, const PGresult *res, void *arg, enum job_kind kind)
{
    struct disc_torrents *t = arg;
    t->picking[kind] = false;
    if (t->stopped) {
        if (!t->picking[JOB_FETCH] && !t->picking[JOB_SCRAPE])
            cm_free(t);
        return;
    }
    if (status != CM_OK)
        return;
    for (int i = 0; i < PQntuples(res); i++) {
        uint64_t id = strtoull(PQgetvalue(res, i, 0), NULL, 10);
        struct job *j = s_job_new(t, kind, id);
        if (!s_open_secrets(j, res, i)) {
            cm_log_e("torrents", 0,
                     "source %" PRIu64 ": its sealed columns do not open (another "
                     "SOURCE_SECURITY_KEY?)",
                     id);
            if (kind == JOB_SCRAPE) {
                /* look again only at the longest interval */
                char sid[24], interval[16];
                snprintf(sid, sizeof(sid), "%" PRIu64, id);
                snprintf(interval, sizeof(interval), "%d", t->d->cfg.scrape_max_s);
                const char *params[] = {sid, interval};
                j->out++;
                cm_pg_query(t->d->pg, s_sql_scrape_failed, 2, params, 0, s_on_scraped_noted, j);
            } else {
                s_job_end(j, false, "its sealed columns do not open");
            }
            continue;
        }
        if (kind == JOB_FETCH) {
            uint8_t *url = NULL;
            size_t ul = 0;
            if (disc_col_open(t->d, res, i, 3, DISC_AAD_URL, &url, &ul) == 0 && url && ul)
                j->url = (char *)url;
            else
                cm_free(url);
            s_fetch(j);
        } else {
            j->old_seeders = strtoll(PQgetvalue(res, i, 3), NULL, 10);
            j->old_leechers = strtoll(PQgetvalue(res, i, 4), NULL, 10);
            j->prev_interval_s = (int)strtol(PQgetvalue(res, i, 5), NULL, 10);
            snprintf(j->name, sizeof(j->name), "%s", PQgetvalue(res, i, 6));
            snprintf(j->quality, sizeof(j->quality), "%s", PQgetvalue(res, i, 7));
            j->size = strtoull(PQgetvalue(res, i, 8), NULL, 10);
            j->runtime_min = (uint32_t)strtoul(PQgetvalue(res, i, 9), NULL, 10);
            j->uploaded = strtoll(PQgetvalue(res, i, 10), NULL, 10);
            s_scrape(j);
        }
    }
}

static void s_on_due_fetch(int status, const PGresult *res, void *arg)
{
    s_on_due(status, res, arg, JOB_FETCH);
}

static void s_on_due_scrape(int status, const PGresult *res, void *arg)
{
    s_on_due(status, res, arg, JOB_SCRAPE);
}

static void s_pick(struct disc_torrents *t, enum job_kind kind, int room)
{
    char ids[24 * S_IDS_MAX + 4] = "{";
    size_t n = 1, k = 0;
    for (struct job *j = t->jobs; j && k < S_IDS_MAX; j = j->next, k++)
        n += (size_t)snprintf(ids + n, sizeof(ids) - n, "%s%" PRIu64, n > 1 ? "," : "", j->id);
    snprintf(ids + n, sizeof(ids) - n, "}");
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", room);
    const char *params[] = {ids, lim};
    t->picking[kind] = true;
    cm_pg_query(t->d->pg, kind == JOB_FETCH ? s_sql_due_fetch : s_sql_due_scrape, 2, params, 0,
                kind == JOB_FETCH ? s_on_due_fetch : s_on_due_scrape, t);
}

static void s_on_tick(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    struct disc_torrents *t = arg;
    struct disc *d = t->d;
    if ((d->vpn && !disc_vpn_up(d->vpn)) || !cm_pg_is_up(d->pg))
        return;
    int room = d->cfg.fetch_concurrency - (int)t->running[JOB_FETCH];
    if (room > 0 && !t->picking[JOB_FETCH])
        s_pick(t, JOB_FETCH, room);
    room = d->cfg.scrape_concurrency - (int)t->running[JOB_SCRAPE];
    if (room > 0 && !t->picking[JOB_SCRAPE])
        s_pick(t, JOB_SCRAPE, room);
}

int disc_torrents_start(struct disc *d)
{
    if (d->cfg.fetch_concurrency <= 0 && d->cfg.scrape_concurrency <= 0)
        return 0;
    struct disc_torrents *t = cm_calloc(1, sizeof(*t));
    t->d = d;
    d->torrents = t;
    t->tick = event_new(d->base, -1, EV_PERSIST, s_on_tick, t);
    struct timeval tv = cm_tv_ms(d->cfg.tick_ms > 0 ? d->cfg.tick_ms : 2000);
    event_add(t->tick, &tv);
    return 0;
}

void disc_torrents_stop(struct disc *d)
{
    struct disc_torrents *t = d->torrents;
    if (!t)
        return;
    d->torrents = NULL;
    if (t->tick)
        event_free(t->tick);
    while (t->jobs) {
        struct job *j = t->jobs;
        t->jobs = j->next;
        j->prev = j->next = NULL;
        j->t = NULL;
        if (j->http_id > 0 && d->http)
            disc_http_cancel(d->http, j->http_id);
        j->http_id = 0;
        j->dead = true;
        if (j->out == 0)
            s_job_free(j);
    }
    t->stopped = true;
    if (!t->picking[JOB_FETCH] && !t->picking[JOB_SCRAPE])
        cm_free(t);
}
