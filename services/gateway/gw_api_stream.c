/* SPDX-License-Identifier: MIT
 * gw_api_stream: /api/stream/... and /api/workers, translated to discovery's MOVIE_GET
 * (proto/discovery.toml), auth's STREAM_KEY_MINT (proto/auth.toml) and the stream-proxy's
 * control API (proto/stream.toml).
 *
 * A stream URL carries a key, not the access token: a <video> element cannot send a bearer
 * header, and a URL ends up in histories and logs, so what it carries must be narrow (one
 * source), short-lived (STREAM_KEY_TTL) and die with the session that asked for it. auth owns
 * all of that; the gateway only names the caller's session (the token's sid). The key is
 * never logged here; the structs and buffers that held it are wiped.
 *
 * The byte path never crosses the gateway: any GET or HEAD of /api/stream/... gets a 307 to the
 * stream-proxy (STREAM_PUBLIC_URL) with the same path and query, so clients need one base URL.
 * 307 keeps the method, and the proxy checks the key itself. */
#include <openssl/crypto.h>
#include <strings.h>
#include <time.h>
#include "gw_api_stream.h"
#include "auth_msg.h"
#include "common_msg.h"
#include "discovery_msg.h"
#include "stream_msg.h"

enum {
    GW_STREAM_TARGET_MAX = 2048, /* path + '?' + query of a redirected request, bytes */
};

#define GW_STREAM_PREFIX "/api/stream/"
#define GW_STREAM_PUBLIC_URL_DEFAULT "http://localhost:8090"

/* What a call's reply is for. */
enum { SC_MOVIE, SC_MINT, SC_SESSIONS, SC_END, SC_WORKERS };

/* A request waiting on an upstream; freed when it is answered. */
struct scall {
    struct gw *gw;
    cm_http_req_t *req;
    int kind;                    /* SC_* */
    uint64_t user_id;            /* the caller */
    char sid[CM_JWT_ID_LEN + 1]; /* the caller's session (the access token's sid) */
    char quality[8];             /* SC_MOVIE: canonical quality, "" for auto */
    uint64_t source_id;          /* SC_MINT: the source the key is for */
};

/* The qualities a client may ask for; "auto" (or none) picks by metadata. */
static const char *const s_qualities[] = {"SD", "HD", "FHD", "2K", "4K", "8K"};

/* --- helpers --- */

static json_int_t s_int(uint64_t v)
{
    return v > INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v;
}

static bool s_admin(const struct gw_caller *who)
{
    return strcmp(who->c.role, "admin") == 0;
}

/* STREAM_PUBLIC_URL without its trailing slashes: `*len_out` bytes of the returned string. */
static const char *s_public_base(const struct gw *gw, size_t *len_out)
{
    const char *b = gw->stream_public_url && gw->stream_public_url[0]
                        ? gw->stream_public_url
                        : GW_STREAM_PUBLIC_URL_DEFAULT;
    size_t n = strlen(b);
    while (n > 0 && b[n - 1] == '/')
        n--;
    *len_out = n;
    return b;
}

/* The HTTP answer to an upstream ERROR or a local failure of the call. */
static void s_reply_error(cm_http_req_t *req, int status, const cm_msg_t *reply, int kind)
{
    struct common_error e = {0};
    if (reply)
        common_error_decode(&e, reply->body.data, reply->body.len);
    const char *svc = kind == SC_MINT    ? "auth"
                      : kind == SC_MOVIE ? "source-discovery"
                                         : "stream-proxy";
    switch (status) {
    case CM_ERR_UNAUTHORIZED:
        /* The token verified here, but auth knows its session is over (the revocation feed
         * has not reached this gateway yet). */
        cm_http_req_add_header(req, "WWW-Authenticate", "Bearer realm=\"marquee\"");
        cm_http_reply_json_error(req, 401, "invalid_token", "the session has ended; log in again");
        return;
    case CM_ERR_NOT_FOUND:
        if (kind == SC_MOVIE)
            cm_http_reply_json_error(req, 404, "not_found", "no such movie");
        else if (kind == SC_END)
            cm_http_reply_json_error(req, 404, "not_found", "no such stream session");
        else
            cm_http_reply_json_error(req, 404, "not_found", "%s",
                                     e.reason[0] ? e.reason : "not found");
        return;
    default:
        gw_reply_rpc_error(req, status, reply, svc);
        return;
    }
}

static void s_on_reply(int status, const cm_msg_t *reply, void *arg);

/* Send `body` as `msg` of `proto` on `rpc` for `c` (taken: freed when answered). */
static void s_call(struct scall *c, cm_rpc_t *rpc, int proto, int msg, const cm_buf_t *body)
{
    cm_rpc_call(rpc, NULL, proto, msg, cm_http_req_id(c->req), body, NULL, c->gw->rpc_timeout_ms,
                s_on_reply, c);
}

static struct scall *s_scall_new(struct gw *gw, cm_http_req_t *req, const struct gw_caller *who,
                                 int kind)
{
    struct scall *c = cm_calloc(1, sizeof(*c));
    c->gw = gw;
    c->req = req;
    c->kind = kind;
    c->user_id = who->c.user_id;
    snprintf(c->sid, sizeof(c->sid), "%s", who->c.sid);
    return c;
}

/* Ask auth for a key of `c->source_id` bound to the caller's session. */
static void s_mint(struct scall *c)
{
    struct auth_stream_key_mint m = {.user_id = c->user_id, .source_id = c->source_id};
    snprintf(m.session_id, sizeof(m.session_id), "%s", c->sid);
    cm_buf_t *body = cm_buf_new(256);
    c->kind = SC_MINT;
    if (auth_stream_key_mint_encode(&m, body) == 0) {
        s_call(c, c->gw->up.auth, AUTH_PROTO, AUTH_MSG_STREAM_KEY_MINT, body);
    } else {
        cm_http_reply_json_error(c->req, 500, "internal", "cannot encode STREAM_KEY_MINT");
        cm_free(c);
    }
    cm_buf_destroy(&body);
}

/* The source a movie's token is for: discovery lists them best score first (disc_score: any
 * source with seeders before every one without, then quality, source, codec for a browser,
 * availability, size), so `auto` ("") is the first, and a quality the first of that quality.
 * 0 when there is none. */
static uint64_t s_pick(const struct discovery_movie *mv, const char *quality)
{
    for (uint32_t i = 0; i < mv->source_ids_count; i++) {
        if (!mv->source_ids[i])
            continue;
        if (!quality[0] ||
            (i < mv->source_qualities_count && strcasecmp(mv->source_qualities[i], quality) == 0))
            return mv->source_ids[i];
    }
    return 0;
}

/* --- replies --- */

static void s_on_movie(struct scall *c, const cm_msg_t *reply)
{
    struct discovery_movie *mv = cm_calloc(1, sizeof(*mv)); /* ~60 KB: not on the stack */
    if (discovery_movie_decode(mv, reply->body.data, reply->body.len) < 0) {
        cm_free(mv);
        s_reply_error(c->req, CM_ERR_INTERNAL, NULL, c->kind);
        cm_free(c);
        return;
    }
    c->source_id = s_pick(mv, c->quality);
    cm_free(mv);
    if (!c->source_id) {
        if (c->quality[0])
            cm_http_reply_json_error(c->req, 404, "not_found", "the movie has no %s source",
                                     c->quality);
        else
            cm_http_reply_json_error(c->req, 404, "not_found", "the movie has no source");
        cm_free(c);
        return;
    }
    s_mint(c); /* takes c */
}

static void s_on_key(struct scall *c, const cm_msg_t *reply)
{
    struct auth_stream_key k;
    if (auth_stream_key_decode(&k, reply->body.data, reply->body.len) < 0 || !k.key[0]) {
        OPENSSL_cleanse(&k, sizeof(k));
        s_reply_error(c->req, CM_ERR_INTERNAL, NULL, c->kind);
        return;
    }
    size_t blen;
    const char *base = s_public_base(c->gw, &blen);
    size_t size = blen + sizeof(GW_STREAM_PREFIX) + strlen(k.key);
    char *url = cm_malloc(size);
    snprintf(url, size, "%.*s" GW_STREAM_PREFIX "%s", (int)blen, base, k.key);
    json_t *o = json_pack("{s:s, s:o, s:I}", "url", url, "expiresAt", gw_json_time(k.expires_ms),
                          "sourceId", s_int(c->source_id));
    OPENSSL_cleanse(url, size);
    cm_free(url);
    OPENSSL_cleanse(&k, sizeof(k));
    gw_reply_json(c->req, 200, o);
}

static void s_on_sessions(struct scall *c, const cm_msg_t *reply)
{
    struct stream_sessions_ok *l = cm_calloc(1, sizeof(*l)); /* ~110 KB */
    if (stream_sessions_ok_decode(l, reply->body.data, reply->body.len) < 0) {
        cm_free(l);
        s_reply_error(c->req, CM_ERR_INTERNAL, NULL, c->kind);
        return;
    }
    json_t *arr = json_array();
    for (uint32_t i = 0; i < l->ids_count; i++) {
        /* Parallel lists: an item missing from a shorter list is 0 or "". */
        json_t *s =
            json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:s}", "id", s_int(l->ids[i]), "userId",
                      s_int(i < l->user_ids_count ? l->user_ids[i] : 0), "sourceId",
                      s_int(i < l->source_ids_count ? l->source_ids[i] : 0), "bytesServed",
                      s_int(i < l->bytes_count ? l->bytes[i] : 0), "startedAt",
                      gw_json_time(i < l->started_ms_count ? l->started_ms[i] : 0),
                      "lastActivityAt", gw_json_time(i < l->active_ms_count ? l->active_ms[i] : 0),
                      "worker", i < l->workers_count ? l->workers[i] : "");
        json_array_append_new(arr, s);
    }
    cm_free(l);
    gw_reply_json(c->req, 200, json_pack("{s:o}", "results", arr));
}

static void s_on_workers(struct scall *c, const cm_msg_t *reply)
{
    struct stream_workers_ok *w = cm_calloc(1, sizeof(*w));
    if (stream_workers_ok_decode(w, reply->body.data, reply->body.len) < 0) {
        cm_free(w);
        s_reply_error(c->req, CM_ERR_INTERNAL, NULL, c->kind);
        return;
    }
    json_t *arr = json_array();
    for (uint32_t i = 0; i < w->ids_count; i++) {
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "id", w->ids[i],
                              "torrents", (json_int_t)(i < w->torrents_count ? w->torrents[i] : 0),
                              "peers", (json_int_t)(i < w->peers_count ? w->peers[i] : 0),
                              "downBps", s_int(i < w->down_bps_count ? w->down_bps[i] : 0), "upBps",
                              s_int(i < w->up_bps_count ? w->up_bps[i] : 0), "freeCacheBytes",
                              s_int(i < w->free_cache_bytes_count ? w->free_cache_bytes[i] : 0),
                              "streams", (json_int_t)(i < w->streams_count ? w->streams[i] : 0),
                              "draining", (int)(i < w->draining_count && w->draining[i]));
        json_array_append_new(arr, o);
    }
    cm_free(w);
    gw_reply_json(c->req, 200, json_pack("{s:o}", "workers", arr));
}

static void s_on_reply(int status, const cm_msg_t *reply, void *arg)
{
    struct scall *c = arg;
    if (status != CM_OK) {
        s_reply_error(c->req, status, reply, c->kind);
        cm_free(c);
        return;
    }
    switch (c->kind) {
    case SC_MOVIE:
        s_on_movie(c, reply); /* takes c: it goes on to auth */
        return;
    case SC_MINT:
        s_on_key(c, reply);
        break;
    case SC_SESSIONS:
        s_on_sessions(c, reply);
        break;
    case SC_END:
        cm_http_reply(c->req, 204, NULL, NULL, 0);
        break;
    case SC_WORKERS:
        s_on_workers(c, reply);
        break;
    }
    cm_free(c);
}

/* --- request bodies --- */

/* Member `key` of `obj` as an id 1..2^63-1: 1 and *out, 0 when absent or null, -1 with a
 * sentence in err otherwise. */
static int s_json_id(json_t *obj, const char *key, uint64_t *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1) {
        cm_errf(err, errlen, "%s must be a positive integer", key);
        return -1;
    }
    *out = (uint64_t)json_integer_value(v);
    return 1;
}

/* The canonical spelling of a quality into out ("" for auto); -1 when it is none of ours. */
static int s_quality(const char *q, char *out, size_t size)
{
    out[0] = '\0';
    if (!q || strcasecmp(q, "auto") == 0)
        return 0;
    for (size_t i = 0; i < CM_ARRAY_LEN(s_qualities); i++)
        if (strcasecmp(q, s_qualities[i]) == 0) {
            snprintf(out, size, "%s", s_qualities[i]);
            return 0;
        }
    return -1;
}

/* --- handlers --- */

void gw_api_stream_token(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(arg);
    size_t len = 0;
    const void *b = cm_http_req_body(req, &len);
    char err[CM_ERR_LEN];
    json_t *o = gw_json_parse(b, len, false, err, sizeof(err));
    if (!o) {
        cm_http_reply_json_error(req, 400, "bad_json", "%s", err);
        return;
    }
    uint64_t source_id = 0, movie_id = 0;
    const char *quality = NULL;
    char canon[8];
    int rs = s_json_id(o, "sourceId", &source_id, err, sizeof(err));
    int rm = rs < 0 ? 0 : s_json_id(o, "movieId", &movie_id, err, sizeof(err));
    int rq = rs < 0 || rm < 0 ? 0 : gw_json_str(o, "quality", 8, &quality, err, sizeof(err));
    if (rs < 0 || rm < 0 || rq < 0) {
        json_decref(o);
        cm_http_reply_json_error(req, 400, "invalid", "%s", err);
        return;
    }
    if ((rs > 0) == (rm > 0) || (rs > 0 && rq > 0)) {
        json_decref(o);
        cm_http_reply_json_error(req, 400, "invalid",
                                 "send sourceId, or movieId with an optional quality");
        return;
    }
    if (s_quality(quality, canon, sizeof(canon)) < 0) {
        json_decref(o);
        cm_http_reply_json_error(req, 400, "invalid",
                                 "quality must be auto, SD, HD, FHD, 2K, 4K or 8K");
        return;
    }
    json_decref(o);
    if (source_id) {
        struct scall *c = s_scall_new(gw, req, who, SC_MINT);
        c->source_id = source_id;
        s_mint(c);
        return;
    }
    struct scall *c = s_scall_new(gw, req, who, SC_MOVIE);
    snprintf(c->quality, sizeof(c->quality), "%s", canon);
    struct discovery_movie_get m = {.id = movie_id, .include_sources = true};
    cm_buf_t *body = cm_buf_new(64);
    if (discovery_movie_get_encode(&m, body) == 0) {
        s_call(c, gw->up.discovery, DISCOVERY_PROTO, DISCOVERY_MSG_MOVIE_GET, body);
    } else {
        cm_http_reply_json_error(req, 500, "internal", "cannot encode MOVIE_GET");
        cm_free(c);
    }
    cm_buf_destroy(&body);
}

/* A raw request target is printable ASCII (RFC 9112 §3.2); anything else, CR and LF above all,
 * must not reach a Location header. */
static bool s_printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return false;
    return true;
}

void gw_api_stream_redirect(struct gw *gw, cm_http_req_t *req, struct gw_caller *who,
                            const char *arg)
{
    CM_UNUSED(who);
    CM_UNUSED(arg);
    const char *path = cm_http_req_path(req);
    const char *query = cm_http_req_query(req);
    size_t plen = strlen(path), qlen = strlen(query);
    size_t n = sizeof(GW_STREAM_PREFIX) - 1;
    if (plen + (qlen ? 1 + qlen : 0) > GW_STREAM_TARGET_MAX) {
        cm_http_reply_json_error(req, 400, "invalid", "the stream URL is longer than %d bytes",
                                 GW_STREAM_TARGET_MAX);
        return;
    }
    if (!s_printable(path) || !s_printable(query)) {
        cm_http_reply_json_error(req, 400, "invalid", "the stream URL holds a byte it must not");
        return;
    }
    const char *rest = strncmp(path, GW_STREAM_PREFIX, n) == 0 ? path + n : "";
    if (!rest[0]) {
        cm_http_reply_json_error(req, 404, "not_found", "no such route: %s %s",
                                 cm_http_req_method(req), path);
        return;
    }
    if (strcmp(rest, "token") == 0) {
        cm_http_req_add_header(req, "Allow", "POST");
        cm_http_reply_json_error(req, 405, "method_not_allowed", "use POST for a stream token");
        return;
    }
    if (strncmp(rest, "sessions/", 9) == 0) {
        cm_http_req_add_header(req, "Allow", "DELETE");
        cm_http_reply_json_error(req, 405, "method_not_allowed",
                                 "%s is not allowed here; use DELETE", cm_http_req_method(req));
        return;
    }
    if (strcmp(rest, "sessions") == 0) { /* its own route comes first; not a key either way */
        cm_http_reply_json_error(req, 404, "not_found", "no such route: %s %s",
                                 cm_http_req_method(req), path);
        return;
    }
    size_t blen;
    const char *base = s_public_base(gw, &blen);
    size_t size = blen + plen + 1 + qlen + 1;
    char *loc = cm_malloc(size);
    snprintf(loc, size, "%.*s%s%s%s", (int)blen, base, path, qlen ? "?" : "", query);
    int rc = cm_http_req_add_header(req, "Location", loc);
    cm_free(loc);
    if (rc < 0) {
        cm_http_reply_json_error(req, 400, "invalid", "the stream URL cannot be redirected");
        return;
    }
    cm_http_reply(req, 307, NULL, NULL, 0);
}

void gw_api_stream_sessions(struct gw *gw, cm_http_req_t *req, struct gw_caller *who,
                            const char *arg)
{
    CM_UNUSED(arg);
    /* Everyone's for an admin (user_id 0 with all, as proto/stream.toml says). */
    bool admin = s_admin(who);
    struct stream_sessions m = {.user_id = admin ? 0 : who->c.user_id, .all = admin};
    struct scall *c = s_scall_new(gw, req, who, SC_SESSIONS);
    cm_buf_t *body = cm_buf_new(64);
    if (stream_sessions_encode(&m, body) == 0) {
        s_call(c, gw->up.stream, STREAM_PROTO, STREAM_MSG_SESSIONS, body);
    } else {
        cm_http_reply_json_error(req, 500, "internal", "cannot encode SESSIONS");
        cm_free(c);
    }
    cm_buf_destroy(&body);
}

void gw_api_stream_session_end(struct gw *gw, cm_http_req_t *req, struct gw_caller *who,
                               const char *arg)
{
    uint64_t id = gw_path_id(arg);
    if (!id) {
        cm_http_reply_json_error(req, 404, "not_found", "no such stream session");
        return;
    }
    struct stream_session_end m = {.id = id, .user_id = who->c.user_id, .all = s_admin(who)};
    struct scall *c = s_scall_new(gw, req, who, SC_END);
    cm_buf_t *body = cm_buf_new(64);
    if (stream_session_end_encode(&m, body) == 0) {
        s_call(c, gw->up.stream, STREAM_PROTO, STREAM_MSG_SESSION_END, body);
    } else {
        cm_http_reply_json_error(req, 500, "internal", "cannot encode SESSION_END");
        cm_free(c);
    }
    cm_buf_destroy(&body);
}

void gw_api_workers(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(arg);
    struct stream_workers m = {0};
    struct scall *c = s_scall_new(gw, req, who, SC_WORKERS);
    cm_buf_t *body = cm_buf_new(16);
    if (stream_workers_encode(&m, body) == 0) {
        s_call(c, gw->up.stream, STREAM_PROTO, STREAM_MSG_WORKERS, body);
    } else {
        cm_http_reply_json_error(req, 500, "internal", "cannot encode WORKERS");
        cm_free(c);
    }
    cm_buf_destroy(&body);
}
