/* SPDX-License-Identifier: MIT
 * disc_search: provider searches, merged into the source store (see disc_search.h).
 *
 * Each provider's answer becomes one INSERT ... SELECT FROM json_to_recordset($1) ON CONFLICT
 * (info_hash_index): a torrent another provider (or an earlier search) already stored gets its
 * fresh figures, a new one is inserted with its secrets sealed here. Nothing secret reaches a
 * log line. */
#include <jansson.h>
#include "disc_search.h"
#include "cm_json.h"
#include "cm_token.h"
#include "bt_magnet.h"
#include "bt_metainfo.h"
#include "disc_parse.h"
#include "disc_provider.h"
#include "disc_release.h"
#include "disc_vpn.h"

enum {
    S_ERROR_MAX = 200,         /* bytes of a search's error sentence */
    S_NOTHING_MIN_S = 45 * 60, /* a search that found nothing: again after 45..75 min */
    S_NOTHING_SPAN_S = 30 * 60,
    S_FAILED_MIN_S = 10 * 60, /* every provider failed: again after 10..20 min */
    S_FAILED_SPAN_S = 10 * 60,
};

struct waiter {
    disc_search_wait_fn *cb;
    void *arg;
    struct event *timer; /* the wait's end */
    struct search *s;    /* NULL once the search is over */
    bool finished;       /* ... because it ended */
    struct disc_searches *ss;
    struct waiter *prev, *next; /* in ss->waiters */
};

/* One provider's part of a search (the callback's argument). */
struct ask {
    struct search *s;
    const char *provider; /* its name (static) */
};

struct search {
    struct disc *d;
    struct ask asks[DISC_PROVIDERS_MAX];
    uint64_t id;
    char imdb[16];
    bool ondemand;
    size_t pending;   /* providers (and store statements) not finished */
    uint32_t found;   /* torrents the providers gave */
    uint32_t failed;  /* providers that failed */
    bool meta_done;   /* the movie's metadata was written */
    uint32_t in_db;   /* queries in flight with this search as their argument */
    bool dead;        /* disc_search_stop ran: the last query's callback frees it */
    uint32_t runtime; /* minutes, from a provider, for the score */
    char error[S_ERROR_MAX];
    struct waiter *waiters[DISC_SEARCH_WAITERS_MAX];
    size_t nwaiters;
    struct search *next;
};

struct disc_searches {
    struct search *all;
    uint32_t n, nbg;      /* searches running; of them, background ones */
    struct event *tick;   /* the background loop */
    struct event *import; /* the periodic import of the newest listings */
    int importing;        /* listings in flight */
    bool picking;         /* a pick query is in flight */
    bool stopped;
    struct waiter *waiters; /* every waiter not yet called */
};

static struct search *s_find(const struct disc *d, uint64_t id)
{
    for (struct search *s = d->searches ? d->searches->all : NULL; s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

bool disc_search_running(const struct disc *d, uint64_t id)
{
    return s_find(d, id) != NULL;
}

uint32_t disc_search_count(const struct disc *d)
{
    return d->searches ? d->searches->n : 0;
}

/* --- waiters --- */

static void s_waiter_free(struct waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        w->ss->waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
    if (w->timer)
        event_free(w->timer);
    cm_free(w);
}

static void s_waiter_unlink(struct waiter *w)
{
    struct search *s = w->s;
    for (size_t i = 0; s && i < s->nwaiters; i++) {
        if (s->waiters[i] == w) {
            s->waiters[i] = s->waiters[--s->nwaiters];
            break;
        }
    }
    w->s = NULL;
}

static void s_on_wait_over(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    struct waiter *w = arg;
    bool finished = w->finished;
    s_waiter_unlink(w);
    disc_search_wait_fn *cb = w->cb;
    void *cbarg = w->arg;
    s_waiter_free(w);
    cb(cbarg, finished);
}

/* --- the end of a search --- */

/* cm_pg_query with `s` as the callback's argument, counted (see s_db_back). */
static void s_query(struct search *s, const char *sql, int n, const char *const *params,
                    cm_pg_result_fn *cb)
{
    s->in_db++;
    cm_pg_query(s->d->pg, sql, n, params, 0, cb, s);
}

/* A query of `s` came back: false when the search is dead (freed here with its last query). */
static bool s_db_back(struct search *s)
{
    s->in_db--;
    if (!s->dead)
        return true;
    if (s->in_db == 0)
        cm_free(s);
    return false;
}

static void s_on_planned(int status, const PGresult *res, void *arg)
{
    CM_UNUSED(res);
    struct search *s = arg;
    if (!s_db_back(s))
        return;
    if (status != CM_OK)
        cm_log_w("search", 0, "movie %" PRIu64 ": its next search could not be planned", s->id);
    struct disc_searches *ss = s->d->searches;
    for (struct search **pp = &ss->all; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    ss->n--;
    if (!s->ondemand)
        ss->nbg--;
    /* every waiter hears now that the search is over */
    while (s->nwaiters) {
        struct waiter *w = s->waiters[--s->nwaiters];
        w->s = NULL;
        w->finished = true;
        event_del(w->timer);
        event_active(w->timer, EV_TIMEOUT, 0);
    }
    cm_free(s);
}

static const char s_sql_plan[] =
    "UPDATE movies SET searched_at = now(), search_error = $4, "
    "search_misses = CASE WHEN $2::int > 0 THEN 0 ELSE search_misses + 1 END, "
    "next_search_at = now() + CASE WHEN $2::int > 0 THEN make_interval(secs => $5::int) "
    "WHEN $3::bool THEN make_interval(secs => $8::int + random() * $9::int) "
    "ELSE make_interval(secs => $6::int + random() * $7::int) END, "
    "updated_at = now() WHERE id = $1";

/* Every provider has answered (or failed) and every answer is stored: plan the next search. */
static void s_finish(struct search *s)
{
    struct disc *d = s->d;
    bool all_failed = s->failed == d->nproviders && d->nproviders > 0;
    char id[24], found[16], failed[8], refresh[16], nmin[16], nspan[16], fmin[16], fspan[16];
    snprintf(id, sizeof(id), "%" PRIu64, s->id);
    snprintf(found, sizeof(found), "%u", s->found);
    snprintf(failed, sizeof(failed), "%s", all_failed ? "true" : "false");
    snprintf(refresh, sizeof(refresh), "%d", d->cfg.refresh_s);
    snprintf(nmin, sizeof(nmin), "%d", S_NOTHING_MIN_S);
    snprintf(nspan, sizeof(nspan), "%d", S_NOTHING_SPAN_S);
    snprintf(fmin, sizeof(fmin), "%d", S_FAILED_MIN_S);
    snprintf(fspan, sizeof(fspan), "%d", S_FAILED_SPAN_S);
    const char *params[] = {id, found, failed, s->error, refresh, nmin, nspan, fmin, fspan};
    cm_log_i("search", 0, "movie %" PRIu64 " (%s): %u torrents from %zu providers, %u failed%s%s",
             s->id, s->imdb, s->found, d->nproviders, s->failed, s->error[0] ? ": " : "", s->error);
    s_query(s, s_sql_plan, 9, params, s_on_planned);
}

static void s_step_done(struct search *s)
{
    if (--s->pending == 0)
        s_finish(s);
}

/* --- storing one provider's answer --- */

/* The magnet we keep for a torrent: its hash, its name, the provider's trackers and ours. */
static char *s_magnet(const struct disc_cfg *cfg, const uint8_t hash[20],
                      const struct disc_torrent *t)
{
    const char *tr[DISC_PARSE_TRACKERS_MAX + DISC_TRACKERS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < t->ntrackers; i++)
        tr[n++] = t->trackers[i];
    for (size_t i = 0; i < cfg->ntrackers; i++) {
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++)
            dup = strcmp(tr[j], cfg->trackers[i]) == 0;
        if (!dup)
            tr[n++] = cfg->trackers[i];
    }
    cm_buf_t *b = cm_buf_new(64 * 1024);
    char *out = NULL;
    if (bt_magnet_build(hash, t->name[0] ? t->name : NULL, t->size > 0 ? (uint64_t)t->size : 0, tr,
                        n, b) == 0 &&
        cm_buf_append(b, "", 1) == 0)
        out = cm_strdup((const char *)cm_buf_data(b));
    cm_buf_destroy(&b);
    return out;
}

static void s_langs(uint32_t langs, char *out, size_t size)
{
    out[0] = '\0';
    size_t n = 0;
    for (int i = 0; i < DISC_LANG_COUNT; i++) {
        if (!(langs & (1u << i)))
            continue;
        int k = snprintf(out + n, size - n, "%s%s", n ? "," : "", disc_lang_code(i));
        if (k < 0 || (size_t)k >= size - n)
            break;
        n += (size_t)k;
    }
}

static void s_bits(uint32_t bits, const char *(*name)(uint32_t), char *out, size_t size)
{
    out[0] = '\0';
    size_t n = 0;
    for (int i = 0; i < 32; i++) {
        const char *w = (bits & (1u << i)) ? name(1u << i) : "";
        if (!w[0])
            continue;
        int k = snprintf(out + n, size - n, "%s%s", n ? "," : "", w);
        if (k < 0 || (size_t)k >= size - n)
            break;
        n += (size_t)k;
    }
}

/* One row of the recordset, or NULL when the torrent cannot be stored (logged by caller). */
static json_t *s_row(struct search *s, const char *provider, const struct disc_torrent *t,
                     int64_t now)
{
    struct disc *d = s->d;
    uint8_t hash[20];
    if (bt_hash_parse(t->hash, strlen(t->hash), hash) < 0)
        return NULL;
    struct disc_release rel;
    disc_release_parse(t->name, &rel);
    /* the provider's own fields beat the name's where it has them */
    enum disc_quality q = disc_quality_from_name(t->quality);
    if (q == DISC_Q_UNKNOWN && t->quality[0]) {
        struct disc_release pq;
        disc_release_parse(t->quality, &pq);
        q = pq.quality;
    }
    if (q == DISC_Q_UNKNOWN)
        q = rel.quality;
    struct disc_score_in in = {0};
    disc_score_in_from_release(&in, &rel);
    in.quality = q;
    in.seeders = t->seeders > 0 ? (uint32_t)t->seeders : 0;
    in.leechers = t->leechers > 0 ? (uint32_t)t->leechers : 0;
    in.size = t->size > 0 ? (uint64_t)t->size : 0;
    in.runtime_min = s->runtime;
    in.uploaded = t->uploaded;
    in.now = now;
    int score = disc_score(&in);

    uint8_t index[DISC_CRYPT_INDEX_LEN];
    disc_crypt_index(d->crypt, hash, index);
    char index_hex[2 * DISC_CRYPT_INDEX_LEN + 1];
    cm_hex_encode(index, sizeof(index), index_hex);
    char *hash_hex = disc_seal_hex(d, DISC_AAD_HASH, hash, sizeof(hash));
    char *magnet = s_magnet(&d->cfg, hash, t);
    char *magnet_hex = magnet ? disc_seal_hex(d, DISC_AAD_MAGNET, magnet, strlen(magnet)) : NULL;
    char *url_hex = t->url[0] ? disc_seal_hex(d, DISC_AAD_URL, t->url, strlen(t->url)) : NULL;
    if (magnet)
        cm_free(magnet);
    json_t *row = NULL;
    if (hash_hex && magnet_hex) {
        char audio[128], hdr[32], langs[128];
        s_bits(rel.audio, disc_audio_name, audio, sizeof(audio));
        s_bits(rel.hdr, disc_hdr_name, hdr, sizeof(hdr));
        s_langs(rel.langs, langs, sizeof(langs));
        row = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, "
                        "s:I, s:i, s:I}",
                        "provider", provider, "name", t->name, "quality", disc_quality_name(q),
                        "size", (json_int_t)(t->size > 0 ? t->size : 0), "idx", index_hex,
                        "hash_enc", hash_hex, "magnet_enc", magnet_hex, "video_codec",
                        disc_codec_name(rel.codec), "source_type", disc_source_name(rel.source),
                        "audio", audio, "hdr", hdr, "languages", langs, "grp", rel.group, "seeders",
                        (json_int_t)t->seeders, "leechers", (json_int_t)t->leechers, "score", score,
                        "uploaded", (json_int_t)t->uploaded);
        if (row)
            json_object_set_new(row, "url_enc", url_hex ? json_string(url_hex) : json_null());
    }
    cm_free(hash_hex);
    cm_free(magnet_hex);
    cm_free(url_hex);
    return row;
}

static const char s_sql_store[] =
    "INSERT INTO sources AS s (movie_id, provider, name, quality, size, info_hash_index, "
    "info_hash_enc, magnet_enc, url_enc, video_codec, source_type, audio, hdr, languages, "
    "release_group, seeders, leechers, score, uploaded_at) "
    "SELECT $1::bigint, x.provider, x.name, x.quality, x.size, decode(x.idx, 'hex'), "
    "decode(x.hash_enc, 'hex'), decode(x.magnet_enc, 'hex'), decode(x.url_enc, 'hex'), "
    "x.video_codec, x.source_type, x.audio, x.hdr, x.languages, x.grp, greatest(x.seeders, -1), "
    "greatest(x.leechers, -1), x.score, CASE WHEN x.uploaded > 0 THEN to_timestamp(x.uploaded) END "
    "FROM json_to_recordset($2::json) AS x(provider text, name text, quality text, size bigint, "
    "idx text, hash_enc text, magnet_enc text, url_enc text, video_codec text, source_type text, "
    "audio text, hdr text, languages text, grp text, seeders int, leechers int, score int, "
    "uploaded bigint) "
    "ON CONFLICT (info_hash_index) DO UPDATE SET "
    "seeders = CASE WHEN EXCLUDED.seeders >= 0 THEN EXCLUDED.seeders ELSE s.seeders END, "
    "leechers = CASE WHEN EXCLUDED.leechers >= 0 THEN EXCLUDED.leechers ELSE s.leechers END, "
    "score = EXCLUDED.score, url_enc = coalesce(s.url_enc, EXCLUDED.url_enc), "
    "size = CASE WHEN s.size = 0 THEN EXCLUDED.size ELSE s.size END, "
    "uploaded_at = coalesce(s.uploaded_at, EXCLUDED.uploaded_at), updated_at = now() "
    "WHERE s.movie_id = EXCLUDED.movie_id";

static void s_on_stored(int status, const PGresult *res, void *arg)
{
    struct search *s = arg;
    if (!s_db_back(s))
        return;
    if (status != CM_OK) {
        cm_log_e("search", 0, "movie %" PRIu64 ": storing sources failed: SQLSTATE %s", s->id,
                 cm_pg_sqlstate(res));
        snprintf(s->error, sizeof(s->error), "storing sources failed");
    }
    s_step_done(s);
}

static const char s_sql_meta[] =
    "UPDATE movies SET title = CASE WHEN title = '' THEN left($2, 512) ELSE title END, "
    "year = coalesce(year, nullif($3::int, 0)), "
    "runtime_min = coalesce(runtime_min, nullif($4::int, 0)), "
    "rating = coalesce(rating, nullif($5::real, 0)), "
    "genres = CASE WHEN genres = '{}' AND $6 <> '' THEN string_to_array($6, ', ') ELSE genres END, "
    "poster_url = coalesce(poster_url, nullif($7, '')), "
    "trailer = CASE WHEN trailer = '' THEN $8 ELSE trailer END, "
    "popularity = CASE WHEN popularity = 0 THEN $5::real ELSE popularity END, updated_at = now() "
    "WHERE id = $1";

static void s_on_meta(int status, const PGresult *res, void *arg)
{
    struct search *s = arg;
    if (!s_db_back(s))
        return;
    if (status != CM_OK)
        cm_log_w("search", 0, "movie %" PRIu64 ": its metadata could not be stored: SQLSTATE %s",
                 s->id, cm_pg_sqlstate(res));
    s_step_done(s);
}

static void s_store_meta(struct search *s, const struct disc_movie_meta *m)
{
    char id[24], year[8], runtime[8], rating[16];
    snprintf(id, sizeof(id), "%" PRIu64, s->id);
    snprintf(year, sizeof(year), "%d", m->year >= 1870 && m->year <= 2200 ? m->year : 0);
    snprintf(runtime, sizeof(runtime), "%d",
             m->runtime_min > 0 && m->runtime_min <= 2000 ? m->runtime_min : 0);
    snprintf(rating, sizeof(rating), "%.1f", m->rating >= 0 && m->rating <= 10 ? m->rating : 0.0);
    const char *params[] = {id, m->title, year, runtime, rating, m->genres, m->poster, m->trailer};
    s->meta_done = true;
    s->pending++;
    s_query(s, s_sql_meta, 8, params, s_on_meta);
}

static void s_on_provider(void *arg, int status, struct disc_parsed **result_p, const char *why)
{
    const struct ask *a = arg;
    struct search *s = a->s;
    const char *provider = a->provider;
    const struct disc_parsed *res = result_p ? *result_p : NULL;
    if (status != DISC_PROV_OK || !res) {
        s->failed++;
        size_t n = strlen(s->error);
        snprintf(s->error + n, sizeof(s->error) - n, "%s%s: %s", n ? "; " : "", provider,
                 why && why[0] ? why : "failed");
        s_step_done(s);
        return;
    }
    /* the movie asked for: its metadata once, its torrents */
    const struct disc_movie *mv = NULL;
    for (size_t i = 0; i < res->nmovies && !mv; i++)
        if (strcmp(res->movies[i].meta.imdb, s->imdb) == 0)
            mv = &res->movies[i];
    if (!mv && res->nmovies)
        mv = &res->movies[0];
    if (!mv) {
        s_step_done(s);
        return;
    }
    if (mv->meta.runtime_min > 0 && !s->runtime)
        s->runtime = (uint32_t)mv->meta.runtime_min;
    if (!s->meta_done && (mv->meta.title[0] || mv->meta.year))
        s_store_meta(s, &mv->meta);
    int64_t now = (int64_t)(cm_now_ms() / 1000);
    json_t *rows = json_array();
    for (size_t i = 0; i < mv->ntorrents; i++) {
        json_t *row = s_row(s, provider, &res->torrents[mv->first + i], now);
        if (row)
            json_array_append_new(rows, row);
    }
    size_t n = json_array_size(rows);
    s->found += (uint32_t)n;
    if (n == 0) {
        json_decref(rows);
        s_step_done(s);
        return;
    }
    char *text = cm_json_take_dump(rows, NULL);
    char id[24];
    snprintf(id, sizeof(id), "%" PRIu64, s->id);
    const char *params[] = {id, text};
    s_query(s, s_sql_store, 2, params, s_on_stored);
    cm_free(text);
}

/* --- starting --- */

static struct search *s_start(struct disc *d, uint64_t id, const char *imdb, bool ondemand)
{
    struct disc_searches *ss = d->searches;
    if (!ss || ss->stopped || ss->n >= DISC_SEARCHES_MAX || !disc_imdb_valid(imdb))
        return NULL;
    struct search *s = cm_calloc(1, sizeof(*s));
    s->d = d;
    s->id = id;
    s->ondemand = ondemand;
    snprintf(s->imdb, sizeof(s->imdb), "%s", imdb);
    s->next = ss->all;
    ss->all = s;
    ss->n++;
    if (!ondemand)
        ss->nbg++;
    s->pending = d->nproviders + 1; /* +1: the start itself, released below */
    cm_log_i("search", 0, "movie %" PRIu64 " (%s): asking %zu providers%s", id, imdb, d->nproviders,
             ondemand ? " (on demand)" : "");
    for (size_t i = 0; i < d->nproviders; i++) {
        s->asks[i] = (struct ask){s, disc_provider_name(d->providers[i])};
        if (disc_provider_search(d->providers[i], imdb, ondemand, s_on_provider, &s->asks[i]) < 0) {
            s->failed++;
            s->pending--;
        }
    }
    s_step_done(s);
    return s;
}

void disc_search_wait(struct disc *d, uint64_t id, const char *imdb, bool ondemand, int wait_ms,
                      disc_search_wait_fn *cb, void *arg)
{
    assert(d->searches);
    struct search *s = s_find(d, id);
    if (!s)
        s = s_start(d, id, imdb, ondemand);
    struct waiter *w = cm_calloc(1, sizeof(*w));
    w->cb = cb;
    w->arg = arg;
    w->timer = evtimer_new(d->base, s_on_wait_over, w);
    w->ss = d->searches;
    w->next = d->searches->waiters;
    if (w->next)
        w->next->prev = w;
    d->searches->waiters = w;
    if (!s || !s->pending || s->nwaiters >= DISC_SEARCH_WAITERS_MAX) {
        event_active(w->timer, EV_TIMEOUT, 0); /* at once, "not finished" */
        return;
    }
    w->s = s;
    s->waiters[s->nwaiters++] = w;
    struct timeval tv = cm_tv_ms(wait_ms > 0 ? wait_ms : 0);
    evtimer_add(w->timer, &tv);
}

/* --- the background loop --- */

static const char s_sql_due[] =
    "SELECT id, imdb_id FROM movies WHERE next_search_at <= now() "
    "AND NOT (id = ANY ($1::bigint[])) ORDER BY popularity DESC, next_search_at LIMIT $2";

static void s_on_due(int status, const PGresult *res, void *arg)
{
    struct disc *d = arg;
    struct disc_searches *ss = d->searches;
    ss->picking = false;
    if (ss->stopped || status != CM_OK)
        return;
    for (int i = 0; i < PQntuples(res); i++) {
        uint64_t id = strtoull(PQgetvalue(res, i, 0), NULL, 10);
        if (!s_find(d, id))
            s_start(d, id, PQgetvalue(res, i, 1), false);
    }
}

static void s_on_tick(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    struct disc *d = arg;
    struct disc_searches *ss = d->searches;
    if (ss->stopped || ss->picking || (d->vpn && !disc_vpn_up(d->vpn)) || !cm_pg_is_up(d->pg))
        return;
    int room = d->cfg.concurrency - (int)ss->nbg;
    if (room <= 0)
        return;
    /* the running ones are excluded: their ids as an array literal */
    char ids[24 * 64] = "{";
    size_t n = 1;
    for (struct search *s = ss->all; s && n < sizeof(ids) - 24; s = s->next)
        n += (size_t)snprintf(ids + n, sizeof(ids) - n, "%s%" PRIu64, n > 1 ? "," : "", s->id);
    snprintf(ids + n, sizeof(ids) - n, "}");
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", room);
    const char *params[] = {ids, lim};
    ss->picking = true;
    cm_pg_query(d->pg, s_sql_due, 2, params, 0, s_on_due, d);
}

/* --- the periodic import of the newest movies --- */

static const char s_sql_import[] =
    "INSERT INTO movies (imdb_id, title, year, runtime_min, genres, poster_url) "
    "SELECT x.imdb, left(x.title, 512), nullif(x.year, 0), nullif(x.runtime, 0), "
    "CASE WHEN x.genres = '' THEN '{}'::text[] ELSE string_to_array(x.genres, ', ') END, "
    "nullif(x.poster, '') FROM json_to_recordset($1::json) AS x(imdb text, title text, year int, "
    "runtime int, genres text, poster text) "
    "WHERE x.imdb ~ '^tt[0-9]{7,8}$' AND (x.year = 0 OR x.year BETWEEN 1870 AND 2200) "
    "AND (x.runtime BETWEEN 0 AND 2000) ON CONFLICT (imdb_id) DO NOTHING";

static void s_on_imported(int status, const PGresult *res, void *arg)
{
    struct disc *d = arg;
    if (status == CM_OK)
        cm_log_i("search", 0, "import: %s new movies", PQcmdTuples((PGresult *)res));
    else
        cm_log_w("search", 0, "import: storing the new movies failed");
    if (d->searches)
        d->searches->importing--;
}

static void s_on_latest(void *arg, int status, struct disc_parsed **result_p, const char *why)
{
    struct disc *d = arg;
    const struct disc_parsed *res = result_p ? *result_p : NULL;
    if (!d->searches)
        return;
    if (status != DISC_PROV_OK || !res || res->nmovies == 0) {
        if (status != DISC_PROV_OK)
            cm_log_w("search", 0, "import: the listing failed: %s", why);
        d->searches->importing--;
        return;
    }
    json_t *rows = json_array();
    for (size_t i = 0; i < res->nmovies; i++) {
        const struct disc_movie_meta *m = &res->movies[i].meta;
        json_array_append_new(rows,
                              json_pack("{s:s, s:s, s:i, s:i, s:s, s:s}", "imdb", m->imdb, "title",
                                        m->title, "year", m->year, "runtime", m->runtime_min,
                                        "genres", m->genres, "poster", m->poster));
    }
    char *text = cm_json_take_dump(rows, NULL);
    const char *params[] = {text};
    cm_pg_query(d->pg, s_sql_import, 1, params, 0, s_on_imported, d);
    cm_free(text);
}

static void s_on_import(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    struct disc *d = arg;
    struct disc_searches *ss = d->searches;
    if (ss->stopped || ss->importing || (d->vpn && !disc_vpn_up(d->vpn)))
        return;
    for (size_t i = 0; i < d->nproviders; i++)
        if (disc_provider_latest(d->providers[i], s_on_latest, d) > 0)
            ss->importing++;
}

int disc_search_start(struct disc *d)
{
    struct disc_searches *ss = cm_calloc(1, sizeof(*ss));
    d->searches = ss;
    if (d->cfg.import_ms > 0 && d->nproviders) {
        ss->import = event_new(d->base, -1, EV_PERSIST, s_on_import, d);
        struct timeval tv = cm_tv_ms(d->cfg.import_ms);
        event_add(ss->import, &tv);
        event_active(ss->import, EV_TIMEOUT, 0);
    }
    if (d->cfg.background) {
        ss->tick = event_new(d->base, -1, EV_PERSIST, s_on_tick, d);
        struct timeval tv = cm_tv_ms(d->cfg.tick_ms > 0 ? d->cfg.tick_ms : 2000);
        event_add(ss->tick, &tv);
    }
    return 0;
}

void disc_search_stop(struct disc *d)
{
    struct disc_searches *ss = d->searches;
    if (!ss)
        return;
    ss->stopped = true;
    if (ss->tick)
        event_free(ss->tick);
    ss->tick = NULL;
    if (ss->import)
        event_free(ss->import);
    ss->import = NULL;
    /* the providers are gone already (no callback comes); the database goes after this and
     * answers what is in flight with SHUTDOWN: a search with queries out is freed by the last
     * one's callback. Waiters go without a call. */
    while (ss->waiters)
        s_waiter_free(ss->waiters);
    while (ss->all) {
        struct search *s = ss->all;
        ss->all = s->next;
        s->dead = true;
        if (s->in_db == 0)
            cm_free(s);
    }
    cm_free(ss);
    d->searches = NULL;
}
