/* SPDX-License-Identifier: MIT
 * gw_api_catalog: /api/movies... and /api/sources/... over source-discovery's RPCs. The
 * contract is in gw_api_catalog.h. */
#include <time.h>
#include "gw.h"
#include "gw_api_catalog.h"
#include "cm_token.h"
#include "common_msg.h"
#include "discovery_msg.h"

/* The largest SOURCE_ADD body sent: source-discovery's socket refuses frames over CM_MSG_MAX
 * (and drops the connection that sent one), so a larger .torrent is answered 413 here. */
#define GW_CATALOG_BODY_MAX ((size_t)CM_MSG_MAX)

/* A request waiting on source-discovery. */
struct call {
    struct gw *gw;
    cm_http_req_t *req;
    int kind;          /* what the reply is for (enum below) */
    bool with_sources; /* CALL_MOVIE: the caller asked for the sources */
    uint32_t page;     /* CALL_MOVIES: the page asked for */
};

enum { CALL_MOVIE_CREATED, CALL_MOVIE, CALL_SOURCE_CREATED, CALL_SOURCE, CALL_MOVIES, CALL_STATUS };

/* Calls that may wait for the providers (MOVIE_CREATE without a title, MOVIE_GET with sources
 * and none stored) get this much longer than the others. */
#define GW_CATALOG_SEARCH_MS 10000

/* The HTTP answer to a discovery ERROR or a local failure of the call. */
static void s_reply_error(cm_http_req_t *req, int status, const cm_msg_t *reply)
{
    gw_reply_rpc_error(req, status, reply, "discovery");
}

static void s_created_at(json_t *o, int64_t created_ms)
{
    if (created_ms > 0)
        json_object_set_new(o, "createdAt", gw_json_time(created_ms));
}

static json_t *s_movie_json(const struct discovery_movie *m, bool with_sources)
{
    json_t *o = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)m->id, "imdbId", m->imdb_id, "title",
                          m->title);
    json_object_set_new(o, "year", m->year ? json_integer(m->year) : json_null());
    json_object_set_new(o, "runtime", m->runtime_min ? json_integer(m->runtime_min) : json_null());
    json_object_set_new(o, "rating", m->rating10 ? json_real(m->rating10 / 10.0) : json_null());
    json_t *genres = json_array();
    for (const char *p = m->genres; *p;) {
        const char *e = strstr(p, ", ");
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n)
            json_array_append_new(genres, json_stringn(p, n));
        p += n + (e ? 2 : 0);
    }
    json_object_set_new(o, "genres", genres);
    json_object_set_new(o, "posterUrl",
                        m->poster_url[0] ? json_string(m->poster_url) : json_null());
    json_object_set_new(o, "trailer", m->trailer[0] ? json_string(m->trailer) : json_null());
    s_created_at(o, m->created_ms);
    if (!with_sources)
        return o;
    json_object_set_new(o, "searching", json_boolean(m->searching));
    json_t *arr = json_array();
    uint32_t n = m->source_ids_count;
    bool full = m->source_video_codecs_count == n && m->source_types_count == n &&
                m->source_seeders_count == n && m->source_leechers_count == n &&
                m->source_scores_count == n && m->source_uploaded_ms_count == n;
    for (uint32_t i = 0;
         i < n && i < m->source_providers_count && i < m->source_qualities_count &&
         i < m->source_names_count && i < m->source_sizes_count && i < m->source_has_torrent_count;
         i++) {
        json_t *so =
            json_pack("{s:I, s:s, s:s, s:s, s:I, s:b}", "id", (json_int_t)m->source_ids[i],
                      "provider", m->source_providers[i], "quality", m->source_qualities[i], "name",
                      m->source_names[i], "size", (json_int_t)m->source_sizes[i], "hasTorrentFile",
                      (int)m->source_has_torrent[i]);
        if (full) {
            json_object_set_new(so, "videoCodec", json_string(m->source_video_codecs[i]));
            json_object_set_new(so, "sourceType", json_string(m->source_types[i]));
            json_object_set_new(so, "seeders",
                                m->source_seeders[i] >= 0 ? json_integer(m->source_seeders[i])
                                                          : json_null());
            json_object_set_new(so, "leechers",
                                m->source_leechers[i] >= 0 ? json_integer(m->source_leechers[i])
                                                           : json_null());
            json_object_set_new(so, "score", json_integer(m->source_scores[i]));
            json_object_set_new(so, "uploadedAt",
                                m->source_uploaded_ms[i] > 0
                                    ? gw_json_time(m->source_uploaded_ms[i])
                                    : json_null());
        }
        json_array_append_new(arr, so);
    }
    json_object_set_new(o, "sources", arr);
    return o;
}

/* The public view of a source: never its info-hash, magnet or .torrent. */
static json_t *s_source_json(const struct discovery_source *s)
{
    json_t *o =
        json_pack("{s:I, s:I, s:s, s:s, s:s, s:I, s:b}", "id", (json_int_t)s->id, "movieId",
                  (json_int_t)s->movie_id, "provider", s->provider, "name", s->name, "quality",
                  s->quality, "size", (json_int_t)s->size, "hasTorrentFile", (int)s->has_torrent);
    s_created_at(o, s->created_ms);
    json_t *files = json_array();
    for (uint32_t i = 0; i < s->file_paths_count && i < s->file_sizes_count; i++)
        json_array_append_new(files,
                              json_pack("{s:I, s:s, s:I}", "index", (json_int_t)i, "path",
                                        s->file_paths[i], "size", (json_int_t)s->file_sizes[i]));
    json_object_set_new(o, "files", files);
    return o;
}

static void s_on_reply(int status, const cm_msg_t *reply, void *arg)
{
    struct call *c = arg;
    cm_http_req_t *req = c->req;
    if (status != CM_OK) {
        s_reply_error(req, status, reply);
        cm_free(c);
        return;
    }
    switch (c->kind) {
    case CALL_MOVIE_CREATED:
    case CALL_MOVIE: {
        struct discovery_movie *m = cm_malloc(sizeof(*m));
        if (discovery_movie_decode(m, reply->body.data, reply->body.len) < 0)
            s_reply_error(req, CM_ERR_INTERNAL, NULL);
        else
            gw_reply_json(req, c->kind == CALL_MOVIE_CREATED ? 201 : 200,
                          s_movie_json(m, c->with_sources));
        cm_free(m);
        break;
    }
    case CALL_MOVIES: {
        struct discovery_movie_list_ok *m = cm_malloc(sizeof(*m));
        if (discovery_movie_list_ok_decode(m, reply->body.data, reply->body.len) < 0) {
            s_reply_error(req, CM_ERR_INTERNAL, NULL);
        } else {
            json_t *arr = json_array();
            for (uint32_t i = 0; i < m->ids_count && i < m->imdb_ids_count && i < m->titles_count &&
                                 i < m->years_count && i < m->ratings10_count &&
                                 i < m->posters_count && i < m->source_counts_count;
                 i++) {
                json_t *mo = json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)m->ids[i],
                                       "imdbId", m->imdb_ids[i], "title", m->titles[i],
                                       "sourceCount", (json_int_t)m->source_counts[i]);
                json_object_set_new(mo, "year",
                                    m->years[i] ? json_integer(m->years[i]) : json_null());
                json_object_set_new(mo, "rating",
                                    m->ratings10[i] ? json_real(m->ratings10[i] / 10.0)
                                                    : json_null());
                json_object_set_new(mo, "posterUrl",
                                    m->posters[i][0] ? json_string(m->posters[i]) : json_null());
                json_array_append_new(arr, mo);
            }
            gw_reply_json(req, 200,
                          json_pack("{s:o, s:I, s:I}", "results", arr, "page", (json_int_t)c->page,
                                    "total", (json_int_t)m->total));
        }
        cm_free(m);
        break;
    }
    case CALL_STATUS: {
        struct discovery_status_ok *m = cm_malloc(sizeof(*m));
        if (discovery_status_ok_decode(m, reply->body.data, reply->body.len) < 0) {
            s_reply_error(req, CM_ERR_INTERNAL, NULL);
        } else {
            json_t *vpn = json_pack("{s:s, s:b, s:s}", "check", m->vpn_check, "up", (int)m->vpn_up,
                                    "reason", m->vpn_reason);
            json_object_set_new(vpn, "checkedAt",
                                m->vpn_checked_ms > 0 ? gw_json_time(m->vpn_checked_ms)
                                                      : json_null());
            json_t *provs = json_array();
            bool all_ready = true;
            for (uint32_t i = 0; i < m->provider_names_count && i < m->provider_states_count &&
                                 i < m->provider_reasons_count && i < m->provider_requests_count &&
                                 i < m->provider_errors_count;
                 i++) {
                all_ready = all_ready && strcmp(m->provider_states[i], "ready") == 0;
                json_array_append_new(
                    provs,
                    json_pack("{s:s, s:s, s:s, s:I, s:I}", "name", m->provider_names[i], "state",
                              m->provider_states[i], "reason", m->provider_reasons[i], "requests",
                              (json_int_t)m->provider_requests[i], "errors",
                              (json_int_t)m->provider_errors[i]));
            }
            const char *st = !m->vpn_up ? "paused" : all_ready ? "ok" : "degraded";
            gw_reply_json(req, 200,
                          json_pack("{s:s, s:o, s:o, s:{s:i, s:I, s:I}}", "status", st, "vpn", vpn,
                                    "providers", provs, "discovery", "searchesRunning",
                                    (int)m->searches_running, "moviesDue",
                                    (json_int_t)m->movies_due, "torrentsPending",
                                    (json_int_t)m->torrents_pending));
        }
        cm_free(m);
        break;
    }
    case CALL_SOURCE_CREATED:
    case CALL_SOURCE: {
        struct discovery_source *s = cm_malloc(sizeof(*s));
        if (discovery_source_decode(s, reply->body.data, reply->body.len) < 0)
            s_reply_error(req, CM_ERR_INTERNAL, NULL);
        else
            gw_reply_json(req, c->kind == CALL_SOURCE_CREATED ? 201 : 200, s_source_json(s));
        cm_free(s);
        break;
    }
    }
    cm_free(c);
}

/* Send `m` (the struct of discovery message `msg`); the reply answers the request. */
static void s_send(struct gw *gw, cm_http_req_t *req, int msg, const void *m, int kind,
                   bool with_sources, uint32_t page)
{
    cm_buf_t *body = cm_buf_new(GW_CATALOG_BODY_MAX);
    if (discovery_msg_encode(msg, m, body) == 0) {
        struct call *c = cm_calloc(1, sizeof(*c));
        c->gw = gw;
        c->req = req;
        c->kind = kind;
        c->with_sources = with_sources;
        c->page = page;
        bool waits = kind == CALL_MOVIE_CREATED || (kind == CALL_MOVIE && with_sources);
        cm_rpc_call(gw->up.discovery, NULL, DISCOVERY_PROTO, msg, cm_http_req_id(req), body, NULL,
                    gw->rpc_timeout_ms + (waits ? GW_CATALOG_SEARCH_MS : 0), s_on_reply, c);
    } else {
        cm_http_reply_json_error(req, 400, "invalid", "the request does not fit");
    }
    cm_buf_destroy(&body);
}

/* Parse the body as an object or answer 400; NULL then. */
static json_t *s_body(cm_http_req_t *req)
{
    size_t len = 0;
    const void *b = cm_http_req_body(req, &len);
    char err[CM_ERR_LEN];
    json_t *o = gw_json_parse(b, len, false, err, sizeof(err));
    if (!o)
        cm_http_reply_json_error(req, 400, "bad_json", "%s", err);
    return o;
}

/* A string member or answer 400: 1 present, 0 absent, -1 answered. */
static int s_str(cm_http_req_t *req, json_t *o, const char *key, size_t max, const char **out)
{
    char err[CM_ERR_LEN];
    int r = gw_json_str(o, key, max, out, err, sizeof(err));
    if (r < 0)
        cm_http_reply_json_error(req, 400, "invalid", "%s", err);
    return r;
}

/* A boolean query parameter: 1 true, 0 false or absent, -1 malformed. */
static int s_query_bool(cm_http_req_t *req, const char *name)
{
    char v[8];
    int len = cm_http_query_get(cm_http_req_query(req), name, v, sizeof(v));
    if (len == -1 || (len >= 0 && (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)))
        return 0;
    return len >= 0 && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) ? 1 : -1;
}

/* --- /api/movies --- */

void gw_api_movie_create(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(who);
    CM_UNUSED(arg);
    json_t *o = s_body(req);
    if (!o)
        return;
    const char *imdb = NULL, *title = NULL;
    int r = s_str(req, o, "imdbId", 16, &imdb);
    if (r == 0) {
        cm_http_reply_json_error(req, 400, "invalid", "imdbId is required");
        r = -1;
    }
    if (r < 0 || s_str(req, o, "title", 512, &title) < 0) {
        json_decref(o);
        return;
    }
    json_t *y = json_object_get(o, "year");
    json_int_t year = 0;
    if (y && !json_is_null(y)) {
        if (!json_is_integer(y) || json_integer_value(y) < 0 || json_integer_value(y) > 9999) {
            json_decref(o);
            cm_http_reply_json_error(req, 400, "invalid", "year must be an integer, e.g. 2008");
            return;
        }
        year = json_integer_value(y);
    }
    struct discovery_movie_create m = {.year = (uint16_t)year};
    snprintf(m.imdb_id, sizeof(m.imdb_id), "%s", imdb);
    snprintf(m.title, sizeof(m.title), "%s", title ? title : "");
    json_decref(o);
    s_send(gw, req, DISCOVERY_MSG_MOVIE_CREATE, &m, CALL_MOVIE_CREATED, false, 0);
}

void gw_api_movie_get(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(who);
    uint64_t id = gw_path_id(arg);
    if (!id) {
        cm_http_reply_json_error(req, 404, "not_found", "no such movie");
        return;
    }
    int with = s_query_bool(req, "includeSources");
    if (with < 0) {
        cm_http_reply_json_error(req, 400, "invalid", "includeSources must be true or false");
        return;
    }
    struct discovery_movie_get m = {.id = id, .include_sources = with == 1};
    s_send(gw, req, DISCOVERY_MSG_MOVIE_GET, &m, CALL_MOVIE, with == 1, 0);
}

void gw_api_movie_list(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(who);
    CM_UNUSED(arg);
    const char *q = cm_http_req_query(req);
    long page = cm_http_query_uint(q, "page", 1, 1, 100000);
    long limit = cm_http_query_uint(q, "limit", 20, 1, 100);
    struct discovery_movie_list m = {0};
    int qn = cm_http_query_get(q, "query", m.query, sizeof(m.query));
    if (page < 0 || limit < 0 || qn == -2) {
        cm_http_reply_json_error(req, 400, "invalid",
                                 "page must be 1..100000, limit 1..100, query at most %zu bytes",
                                 sizeof(m.query) - 1);
        return;
    }
    if (qn < 0)
        m.query[0] = '\0';
    m.page = (uint32_t)page;
    m.limit = (uint32_t)limit;
    s_send(gw, req, DISCOVERY_MSG_MOVIE_LIST, &m, CALL_MOVIES, false, (uint32_t)page);
}

void gw_api_status(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(who);
    CM_UNUSED(arg);
    struct discovery_status m = {0};
    s_send(gw, req, DISCOVERY_MSG_STATUS, &m, CALL_STATUS, false, 0);
}

/* --- sources --- */

void gw_api_source_add(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(who);
    uint64_t id = gw_path_id(arg);
    if (!id) {
        cm_http_reply_json_error(req, 404, "not_found", "no such movie");
        return;
    }
    json_t *o = s_body(req);
    if (!o)
        return;
    const char *magnet = NULL, *torrent = NULL;
    int hm = s_str(req, o, "magnet", 65536, &magnet);
    int ht = hm < 0 ? -1 : s_str(req, o, "torrent", SIZE_MAX / 2, &torrent);
    if (hm < 0 || ht < 0) {
        json_decref(o);
        return;
    }
    if (hm == ht) {
        json_decref(o);
        cm_http_reply_json_error(req, 400, "invalid",
                                 "send either magnet (a magnet URI) or torrent (a .torrent file "
                                 "in base64)");
        return;
    }
    struct discovery_source_add *m = cm_calloc(1, sizeof(*m));
    uint8_t *bytes = NULL;
    m->movie_id = id;
    if (magnet) {
        snprintf(m->magnet, sizeof(m->magnet), "%s", magnet);
    } else {
        size_t len = strlen(torrent);
        bytes = cm_malloc(len / 4 * 3 + 3);
        long n = cm_b64_decode(torrent, len, bytes, len / 4 * 3 + 3);
        if (n <= 0) {
            json_decref(o);
            cm_free(bytes);
            cm_free(m);
            cm_http_reply_json_error(req, 400, "invalid",
                                     "torrent must be a .torrent file in standard base64");
            return;
        }
        m->torrent = (cm_iov_t){bytes, (size_t)n};
        if (m->torrent.len + 1024 > GW_CATALOG_BODY_MAX) {
            json_decref(o);
            cm_free(bytes);
            cm_free(m);
            cm_http_reply_json_error(req, 413, "too_large",
                                     "the .torrent is over %zu bytes, the most a source can have",
                                     GW_CATALOG_BODY_MAX - 1024);
            return;
        }
    }
    json_decref(o);
    s_send(gw, req, DISCOVERY_MSG_SOURCE_ADD, m, CALL_SOURCE_CREATED, false, 0);
    cm_free(bytes);
    cm_free(m);
}

void gw_api_source_get(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(who);
    uint64_t id = gw_path_id(arg);
    if (!id) {
        cm_http_reply_json_error(req, 404, "not_found", "no such source");
        return;
    }
    struct discovery_source_get m = {.id = id, .secrets = false};
    s_send(gw, req, DISCOVERY_MSG_SOURCE_GET, &m, CALL_SOURCE, false, 0);
}
