/* SPDX-License-Identifier: MIT
 * disc_api: the catalog over RPC (proto/discovery.toml): movies, and the sources an admin adds
 * by hand from a magnet or a .torrent.
 *
 * What never leaves this file in clear: a source's info-hash, magnet and .torrent bytes. They
 * are sealed with disc_crypt (AES-256-GCM, the column name as additional data) before they
 * reach a query parameter, and opened only for SOURCE_GET with secrets = true (the
 * stream-proxy). Lookups and uniqueness by info-hash go through the blind index column
 * (sources.info_hash_index), so the same torrent cannot be added twice, whatever the case or
 * form (hex, base32, magnet or .torrent) of its hash. Nothing secret is logged.
 *
 * Plaintext that does appear in the table: the torrent's name, its size, its file list
 * (jsonb [[path, size], ...], the first DISC_FILES_MAX files in metainfo order, paths of a
 * multi-file torrent under its name as the worker lists them), the guessed quality. */
#include <openssl/crypto.h>
#include "cm.h"
#include "cm_json.h"
#include "cm_token.h"
#include "bt_magnet.h"
#include "bt_metainfo.h"
#include "disc.h"
#include "disc_search.h"
#include "discovery_msg.h"

/* The encoded SOURCE reply: a .torrent of 16 MiB, a magnet, a full file list, headroom. */
#define DISC_SOURCE_BODY_MAX (16u * 1024 * 1024 + 1024 * 1024)
#define DISC_MOVIE_BODY_MAX (256u * 1024)

static const char s_aad_hash[] = DISC_AAD_HASH;
static const char s_aad_magnet[] = DISC_AAD_MAGNET;
static const char s_aad_torrent[] = DISC_AAD_TORRENT;

/* --- pure helpers --- */

bool disc_imdb_valid(const char *s)
{
    if (!s || s[0] != 't' || s[1] != 't')
        return false;
    size_t n = 0;
    for (const char *p = s + 2; *p; p++, n++)
        if (*p < '0' || *p > '9' || n > 8)
            return false;
    return n == 7 || n == 8;
}

static bool s_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Is `tok` (lower case) in `name` as a whole token? */
static bool s_has_token(const char *name, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = name; *p; p++) {
        if (p != name && s_alnum(p[-1]))
            continue;
        if (strncasecmp(p, tok, n) == 0 && !s_alnum(p[n]))
            return true;
    }
    return false;
}

const char *disc_quality_guess(const char *name)
{
    /* Highest first: "2160p.x265" beats a "1080p" also present in a pack's name. */
    static const struct {
        const char *tok;
        const char *quality;
    } map[] = {
        {"4320p", "8K"}, {"8k", "8K"},     {"2160p", "4K"},  {"4k", "4K"},   {"uhd", "4K"},
        {"1440p", "2K"}, {"1080p", "FHD"}, {"1080i", "FHD"}, {"720p", "HD"}, {"576p", "SD"},
        {"480p", "SD"},  {"360p", "SD"},   {"dvdrip", "SD"},
    };
    if (!name)
        return "";
    for (size_t i = 0; i < CM_ARRAY_LEN(map); i++)
        if (s_has_token(name, map[i].tok))
            return map[i].quality;
    return "";
}

/* --- requests in progress --- */

struct op {
    struct disc *d;
    cm_defer_t *defer;
    uint64_t rid;
    uint64_t id;  /* the movie or source asked for */
    bool secrets; /* SOURCE_GET: open the sealed columns */
    bool sources; /* MOVIE_GET: include the sources */
    bool waited;  /* MOVIE_GET, MOVIE_CREATE: the providers were waited for already */
    int wait_ms;  /* MOVIE_CREATE: how long to wait for the providers' metadata */
};

static struct op *s_op_new(struct disc *d, cm_rpc_t *rpc, const cm_msg_t *msg)
{
    struct op *op = cm_calloc(1, sizeof(*op));
    op->d = d;
    op->defer = cm_rpc_defer(rpc, msg);
    op->rid = msg->hdr.rid;
    return op;
}

static void s_op_free(struct op *op)
{
    if (op->defer)
        cm_defer_error(&op->defer, CM_ERR_INTERNAL, "request abandoned");
    cm_free(op);
}

/* Answer for a failed query: CM_ERR_DB (logged with its SQLSTATE) becomes INTERNAL, a local
 * status (UNAVAILABLE, TIMEOUT, BUSY, ...) goes as it is. */
static void s_db_error(struct op *op, int status, const PGresult *res, const char *what)
{
    if (status == CM_ERR_DB)
        cm_log_e("discovery", op->rid, "%s failed: SQLSTATE %s", what, cm_pg_sqlstate(res));
    cm_defer_error(&op->defer, status == CM_ERR_DB ? CM_ERR_INTERNAL : status, "%s failed", what);
}

/* Copy a text column as valid UTF-8 cut to `size` (NULL is ""). */
static void s_col(const PGresult *res, int row, int col, char *out, size_t size)
{
    out[0] = '\0';
    if (!PQgetisnull(res, row, col))
        cm_utf8_copy(out, size, PQgetvalue(res, row, col));
}

static uint64_t s_col_u64(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return 0;
    const char *v = PQgetvalue(res, row, col);
    return v[0] == '-' ? 0 : strtoull(v, NULL, 10);
}

static bool s_col_bool(const PGresult *res, int row, int col)
{
    return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

/* A bytes column selected as encode(x, 'hex') -> bytes. Caller owns *out (cm_free); NULL and
 * 0 for SQL NULL. -1 when the text is not hex. */
static int s_col_hex(const PGresult *res, int row, int col, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (PQgetisnull(res, row, col))
        return 0;
    const char *h = PQgetvalue(res, row, col);
    size_t n = (size_t)PQgetlength(res, row, col);
    if (n % 2)
        return -1;
    uint8_t *b = cm_malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = cm_hexval((unsigned char)h[2 * i]), lo = cm_hexval((unsigned char)h[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            cm_free(b);
            return -1;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = b;
    *len = n / 2;
    return 0;
}

/* Seal `len` bytes for column `aad` as the hex text of a query parameter. Caller owns the
 * result (cm_free); NULL when sealing failed. */
char *disc_seal_hex(const struct disc *d, const char *aad, const void *plain, size_t len)
{
    size_t n = disc_crypt_sealed_len(len);
    uint8_t *sealed = cm_malloc(n);
    char *hex = NULL;
    if (disc_crypt_seal(d->crypt, aad, plain, len, sealed) == 0) {
        hex = cm_malloc(2 * n + 1);
        cm_hex_encode(sealed, n, hex);
    }
    cm_free(sealed);
    return hex;
}

/* Open a sealed column into a fresh buffer. 0 with *out (caller owns; wipe then cm_free) and
 * its length, 0 with NULL for SQL NULL, -1 when it does not open (logged). */
int disc_col_open(const struct disc *d, const PGresult *res, int row, int col, const char *aad,
                  uint8_t **out, size_t *len)
{
    uint8_t *sealed;
    size_t slen;
    *out = NULL;
    *len = 0;
    if (s_col_hex(res, row, col, &sealed, &slen) < 0)
        return -1;
    if (!sealed)
        return 0;
    uint8_t *plain = cm_malloc(slen >= DISC_CRYPT_OVERHEAD ? slen - DISC_CRYPT_OVERHEAD + 1 : 1);
    int rc = disc_crypt_open(d->crypt, aad, sealed, slen, plain, len);
    cm_free(sealed);
    if (rc < 0) {
        cm_free(plain);
        return -1;
    }
    plain[*len] = '\0';
    *out = plain;
    return 0;
}

static int s_open_col(struct op *op, const PGresult *res, int row, int col, const char *aad,
                      uint8_t **out, size_t *len)
{
    if (disc_col_open(op->d, res, row, col, aad, out, len) == 0)
        return 0;
    cm_log_e("discovery", op->rid,
             "source %" PRIu64 ": %s does not open (another SOURCE_SECURITY_KEY, or the row "
             "was changed outside this daemon)",
             op->id, aad);
    return -1;
}

/* --- MOVIE_CREATE, MOVIE_GET --- */

#define MOVIE_COLS                                                                                 \
    "m.id, m.imdb_id, m.title, coalesce(m.year, 0), "                                              \
    "(extract(epoch FROM m.created_at) * 1000)::bigint, coalesce(m.runtime_min, 0), "              \
    "coalesce(round(m.rating * 10), 0)::int, array_to_string(m.genres, ', '), "                    \
    "coalesce(m.poster_url, ''), m.trailer"
enum { MOVIE_NCOLS = 10 };

static const char s_sql_movie_create[] =
    "INSERT INTO movies AS m (imdb_id, title, year) VALUES ($1, $2, nullif($3::int, 0)) "
    "RETURNING " MOVIE_COLS;

/* The movie, then one row per source (at most DISC_SOURCES_MAX, best score first) when $2. */
static const char s_sql_movie_get[] =
    "SELECT " MOVIE_COLS ", s.id, s.provider, s.quality, s.name, s.size, s.has_torrent, "
    "s.video_codec, s.source_type, s.seeders, s.leechers, s.score, s.uploaded_ms "
    "FROM movies m LEFT JOIN LATERAL (SELECT id, provider, quality, name, size, "
    "torrent_enc IS NOT NULL AS has_torrent, video_codec, source_type, seeders, leechers, score, "
    "coalesce((extract(epoch FROM uploaded_at) * 1000)::bigint, 0) AS uploaded_ms "
    "FROM sources WHERE movie_id = m.id AND $2::bool "
    "ORDER BY score DESC, id LIMIT 200) s ON true WHERE m.id = $1 "
    "ORDER BY s.score DESC, s.id";

/* Answer with MOVIE from the rows of s_sql_movie_get (or the one of s_sql_movie_create). */
static void s_reply_movie(struct op *op, const PGresult *res, bool with_sources)
{
    struct discovery_movie *m = cm_calloc(1, sizeof(*m));
    m->id = s_col_u64(res, 0, 0);
    s_col(res, 0, 1, m->imdb_id, sizeof(m->imdb_id));
    s_col(res, 0, 2, m->title, sizeof(m->title));
    m->year = (uint16_t)s_col_u64(res, 0, 3);
    m->created_ms = (int64_t)s_col_u64(res, 0, 4);
    m->runtime_min = (uint16_t)s_col_u64(res, 0, 5);
    m->rating10 = (uint16_t)s_col_u64(res, 0, 6);
    s_col(res, 0, 7, m->genres, sizeof(m->genres));
    s_col(res, 0, 8, m->poster_url, sizeof(m->poster_url));
    s_col(res, 0, 9, m->trailer, sizeof(m->trailer));
    m->searching = disc_search_running(op->d, m->id);
    int n = PQntuples(res);
    const int c = MOVIE_NCOLS;
    for (int i = 0; with_sources && i < n && i < DISC_SOURCES_MAX; i++) {
        if (PQgetisnull(res, i, c))
            continue; /* the LEFT JOIN's row of a movie without sources */
        uint32_t k = m->source_ids_count;
        m->source_ids[k] = s_col_u64(res, i, c);
        s_col(res, i, c + 1, m->source_providers[k], sizeof(m->source_providers[k]));
        s_col(res, i, c + 2, m->source_qualities[k], sizeof(m->source_qualities[k]));
        s_col(res, i, c + 3, m->source_names[k], sizeof(m->source_names[k]));
        m->source_sizes[k] = s_col_u64(res, i, c + 4);
        m->source_has_torrent[k] = s_col_bool(res, i, c + 5);
        s_col(res, i, c + 6, m->source_video_codecs[k], sizeof(m->source_video_codecs[k]));
        s_col(res, i, c + 7, m->source_types[k], sizeof(m->source_types[k]));
        m->source_seeders[k] = strtoll(PQgetvalue(res, i, c + 8), NULL, 10);
        m->source_leechers[k] = strtoll(PQgetvalue(res, i, c + 9), NULL, 10);
        m->source_scores[k] = (uint32_t)s_col_u64(res, i, c + 10);
        m->source_uploaded_ms[k] = strtoll(PQgetvalue(res, i, c + 11), NULL, 10);
        k++;
        m->source_ids_count = m->source_providers_count = m->source_qualities_count = k;
        m->source_names_count = m->source_sizes_count = m->source_has_torrent_count = k;
        m->source_video_codecs_count = m->source_types_count = m->source_seeders_count = k;
        m->source_leechers_count = m->source_scores_count = m->source_uploaded_ms_count = k;
    }
    cm_buf_t *body = cm_buf_new(DISC_MOVIE_BODY_MAX);
    if (discovery_movie_encode(m, body) == 0)
        cm_defer_reply(&op->defer, DISCOVERY_PROTO, DISCOVERY_MSG_MOVIE, body, NULL);
    else
        cm_defer_error(&op->defer, CM_ERR_INTERNAL, "cannot encode MOVIE");
    cm_buf_destroy(&body);
    cm_free(m);
}

static void s_on_movie_got(int status, const PGresult *res, void *arg);

/* The providers answered, or the wait is over: the movie as it is now. */
static void s_on_movie_waited(void *arg, bool finished)
{
    struct op *op = arg;
    CM_UNUSED(finished);
    char id[24];
    snprintf(id, sizeof(id), "%" PRIu64, op->id);
    const char *params[] = {id, op->sources ? "true" : "false"};
    cm_pg_query(op->d->pg, s_sql_movie_get, 2, params, 0, s_on_movie_got, op);
}

static void s_on_movie_created(int status, const PGresult *res, void *arg)
{
    struct op *op = arg;
    const char *state = cm_pg_sqlstate(res);
    if (status == CM_ERR_DB && strcmp(state, "23505") == 0) {
        cm_defer_error(&op->defer, CM_ERR_CONFLICT, "a movie with this IMDb id exists");
    } else if (status == CM_ERR_DB && strcmp(state, "23514") == 0) {
        cm_defer_error(&op->defer, CM_ERR_INVALID, "the movie breaks a rule of the catalog");
    } else if (status != CM_OK || PQntuples(res) != 1) {
        s_db_error(op, status == CM_OK ? CM_ERR_INTERNAL : status, res, "creating the movie");
    } else {
        cm_log_i("discovery", op->rid, "movie %s created", PQgetvalue(res, 0, 0));
        char title[8];
        s_col(res, 0, 2, title, sizeof(title));
        if (title[0] || op->wait_ms <= 0) {
            s_reply_movie(op, res, false);
        } else {
            /* no title: the providers fill the movie in; answer once they did (or the wait
             * ran out: the search goes on) */
            char imdb[16];
            s_col(res, 0, 1, imdb, sizeof(imdb));
            op->id = s_col_u64(res, 0, 0);
            op->waited = true;
            disc_search_wait(op->d, op->id, imdb, true, op->wait_ms, s_on_movie_waited, op);
            return;
        }
    }
    s_op_free(op);
}

static void s_on_movie_create(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct disc *d = arg;
    struct discovery_movie_create m;
    if (discovery_movie_create_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "MOVIE_CREATE does not decode");
        return;
    }
    if (!disc_imdb_valid(m.imdb_id)) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID,
                           "imdbId must be tt followed by 7 or 8 digits, e.g. tt1254207");
        return;
    }
    if (m.year && (m.year < 1870 || m.year > 2200)) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "year must be 1870..2200, or 0 (unknown)");
        return;
    }
    struct op *op = s_op_new(d, rpc, msg);
    op->wait_ms = m.wait_ms ? (int)CM_MIN(m.wait_ms, 60000u) : d->cfg.create_wait_ms;
    char year[8];
    snprintf(year, sizeof(year), "%u", (unsigned)m.year);
    const char *params[] = {m.imdb_id, m.title, year};
    cm_pg_query(d->pg, s_sql_movie_create, 3, params, 0, s_on_movie_created, op);
}

static void s_on_movie_got(int status, const PGresult *res, void *arg)
{
    struct op *op = arg;
    if (status != CM_OK)
        s_db_error(op, status, res, "reading the movie");
    else if (PQntuples(res) < 1)
        cm_defer_error(&op->defer, CM_ERR_NOT_FOUND, "no such movie");
    else if (op->sources && !op->waited && PQntuples(res) == 1 &&
             PQgetisnull(res, 0, MOVIE_NCOLS) && op->d->cfg.ondemand_ms > 0) {
        /* no source stored: search on demand, answer with what it found in time */
        char imdb[16];
        s_col(res, 0, 1, imdb, sizeof(imdb));
        op->waited = true;
        disc_search_wait(op->d, op->id, imdb, true, op->d->cfg.ondemand_ms, s_on_movie_waited, op);
        return;
    } else
        s_reply_movie(op, res, op->sources);
    s_op_free(op);
}

static void s_on_movie_get(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct disc *d = arg;
    struct discovery_movie_get m;
    if (discovery_movie_get_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "MOVIE_GET does not decode");
        return;
    }
    if (m.id == 0 || m.id > INT64_MAX) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_NOT_FOUND, "no such movie");
        return;
    }
    struct op *op = s_op_new(d, rpc, msg);
    op->id = m.id;
    op->sources = m.include_sources;
    char id[24];
    snprintf(id, sizeof(id), "%" PRIu64, m.id);
    const char *params[] = {id, m.include_sources ? "true" : "false"};
    cm_pg_query(d->pg, s_sql_movie_get, 2, params, 0, s_on_movie_got, op);
}

/* --- sources: the reply --- */

#define SOURCE_COLS                                                                                \
    "s.id, s.movie_id, s.provider, s.name, s.quality, s.size, s.files::text AS files_text, "       \
    "s.file_count, s.torrent_enc IS NOT NULL AS has_torrent, "                                     \
    "(extract(epoch FROM s.created_at) * 1000)::bigint AS created_ms"
enum { SOURCE_NCOLS = 10 };

/* The file list column ([[path, size], ...]) into the reply; junk is skipped, not fatal. */
static void s_files_into(struct discovery_source *m, const char *text)
{
    json_error_t je;
    json_t *arr = text ? json_loads(text, 0, &je) : NULL;
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        if (m->file_paths_count >= DISC_FILES_MAX)
            break;
        json_t *p = json_array_get(item, 0), *z = json_array_get(item, 1);
        if (!json_is_string(p) || !json_is_integer(z) || json_integer_value(z) < 0)
            continue;
        uint32_t k = m->file_paths_count;
        cm_utf8_copy(m->file_paths[k], sizeof(m->file_paths[k]), json_string_value(p));
        m->file_sizes[k] = (uint64_t)json_integer_value(z);
        m->file_paths_count = m->file_sizes_count = k + 1;
    }
    json_decref(arr);
}

/* Answer with SOURCE from row `row`, whose SOURCE_COLS start at column `c`; with the opened
 * secrets (SOURCE_GET's columns after SOURCE_COLS) when op->secrets. */
static void s_reply_source(struct op *op, const PGresult *res, int row, int c)
{
    struct discovery_source *m = cm_calloc(1, sizeof(*m));
    uint8_t *hash = NULL, *magnet = NULL, *torrent = NULL;
    size_t hash_len = 0, magnet_len = 0, torrent_len = 0;
    m->id = s_col_u64(res, row, c + 0);
    op->id = m->id;
    m->movie_id = s_col_u64(res, row, c + 1);
    s_col(res, row, c + 2, m->provider, sizeof(m->provider));
    s_col(res, row, c + 3, m->name, sizeof(m->name));
    s_col(res, row, c + 4, m->quality, sizeof(m->quality));
    m->size = s_col_u64(res, row, c + 5);
    if (!PQgetisnull(res, row, c + 6))
        s_files_into(m, PQgetvalue(res, row, c + 6));
    m->has_torrent = s_col_bool(res, row, c + 8);
    m->created_ms = (int64_t)s_col_u64(res, row, c + 9);
    int s = c + SOURCE_NCOLS;
    if (op->secrets) {
        if (s_open_col(op, res, row, s, s_aad_hash, &hash, &hash_len) < 0 ||
            s_open_col(op, res, row, s + 1, s_aad_magnet, &magnet, &magnet_len) < 0 ||
            s_open_col(op, res, row, s + 2, s_aad_torrent, &torrent, &torrent_len) < 0 ||
            (hash && hash_len != 20) || magnet_len >= sizeof(m->magnet) ||
            (magnet && memchr(magnet, '\0', magnet_len))) {
            cm_defer_error(&op->defer, CM_ERR_INTERNAL, "the source's secrets do not open");
            goto out;
        }
        if (hash)
            bt_hash_hex(hash, m->info_hash);
        if (magnet)
            memcpy(m->magnet, magnet, magnet_len);
        m->torrent = (cm_iov_t){torrent, torrent_len};
    }
    cm_buf_t *body = cm_buf_new(DISC_SOURCE_BODY_MAX);
    if (discovery_source_encode(m, body) == 0)
        cm_defer_reply(&op->defer, DISCOVERY_PROTO, DISCOVERY_MSG_SOURCE, body, NULL);
    else
        cm_defer_error(&op->defer, CM_ERR_INTERNAL, "cannot encode SOURCE");
    OPENSSL_cleanse((void *)cm_buf_data(body), cm_buf_len(body));
    cm_buf_destroy(&body);
out:
    if (hash)
        OPENSSL_cleanse(hash, hash_len);
    if (magnet)
        OPENSSL_cleanse(magnet, magnet_len);
    if (torrent)
        OPENSSL_cleanse(torrent, torrent_len);
    cm_free(hash);
    cm_free(magnet);
    cm_free(torrent);
    OPENSSL_cleanse(m->info_hash, sizeof(m->info_hash));
    OPENSSL_cleanse(m->magnet, sizeof(m->magnet));
    cm_free(m);
}

/* --- what a magnet or a .torrent tells --- */

struct parsed {
    uint8_t hash[20];
    char name[BT_DN_MAX + 1];
    uint64_t size;
    char *files; /* owned JSON [[path, size], ...] or NULL (magnet) */
    uint32_t nfiles;
};

/* The first DISC_FILES_MAX files of `mi` as the files column. Caller owns it (cm_free). */
static char *s_files_json(const bt_metainfo_t *mi)
{
    json_t *arr = json_array();
    cm_buf_t *path = cm_buf_new(64 * 1024);
    for (uint32_t i = 0; i < mi->nfiles && i < DISC_FILES_MAX; i++) {
        const struct bt_file *f = &mi->files[i];
        cm_buf_reset(path);
        if ((mi->multi ? cm_buf_appendf(path, "%s/%s", mi->name, f->path)
                       : cm_buf_appendf(path, "%s", f->path)) < 0)
            continue; /* cannot happen: components are capped at 255 bytes */
        json_t *p = json_stringn((const char *)cm_buf_data(path), cm_buf_len(path));
        if (p)
            json_array_append_new(arr, json_pack("[o, I]", p, (json_int_t)f->length));
    }
    cm_buf_destroy(&path);
    return cm_json_take_dump(arr, NULL);
}

/* Parse a .torrent. 0 with `out` filled (out->files owned), or -1 with a sentence in err. */
static int s_parse_torrent(const uint8_t *buf, size_t len, struct parsed *out, char *err,
                           size_t errlen)
{
    bt_metainfo_t *mi = bt_metainfo_parse(buf, len, err, errlen);
    if (!mi)
        return -1;
    memcpy(out->hash, mi->info_hash, 20);
    cm_utf8_copy(out->name, sizeof(out->name), mi->name);
    out->size = mi->total_len;
    out->nfiles = mi->nfiles;
    out->files = s_files_json(mi);
    bt_metainfo_destroy(&mi);
    return 0;
}

/* --- SOURCE_ADD --- */

static const char s_sql_source_add[] =
    "INSERT INTO sources AS s (movie_id, provider, name, quality, size, files, file_count, "
    "info_hash_index, info_hash_enc, magnet_enc, torrent_enc) VALUES ($1, 'manual', $2, $3, $4, "
    "$5::jsonb, $6, decode($7, 'hex'), decode($8, 'hex'), decode($9, 'hex'), decode($10, 'hex')) "
    "RETURNING " SOURCE_COLS;

static void s_on_source_added(int status, const PGresult *res, void *arg)
{
    struct op *op = arg;
    const char *state = cm_pg_sqlstate(res);
    if (status == CM_ERR_DB && strcmp(state, "23505") == 0) {
        cm_defer_error(&op->defer, CM_ERR_CONFLICT, "a source with this info-hash exists");
    } else if (status == CM_ERR_DB && strcmp(state, "23503") == 0) {
        cm_defer_error(&op->defer, CM_ERR_NOT_FOUND, "no such movie");
    } else if (status == CM_ERR_DB && strcmp(state, "23514") == 0) {
        cm_defer_error(&op->defer, CM_ERR_INVALID, "the source breaks a rule of the catalog");
    } else if (status != CM_OK || PQntuples(res) != 1) {
        s_db_error(op, status == CM_OK ? CM_ERR_INTERNAL : status, res, "adding the source");
    } else {
        cm_log_i("discovery", op->rid, "source %s added to movie %s", PQgetvalue(res, 0, 0),
                 PQgetvalue(res, 0, 1));
        s_reply_source(op, res, 0, 0);
    }
    s_op_free(op);
}

static void s_on_source_add(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct disc *d = arg;
    struct discovery_source_add *m = cm_malloc(sizeof(*m));
    struct parsed *p = cm_calloc(1, sizeof(*p));
    char err[CM_ERR_LEN];
    char *ih_hex = NULL, *magnet_hex = NULL, *torrent_hex = NULL;
    if (discovery_source_add_decode(m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "SOURCE_ADD does not decode");
        goto out;
    }
    if (m->movie_id == 0 || m->movie_id > INT64_MAX) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_NOT_FOUND, "no such movie");
        goto out;
    }
    bool has_magnet = m->magnet[0] != '\0', has_torrent = m->torrent.len > 0;
    if (has_magnet == has_torrent) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "send either a magnet or a torrent");
        goto out;
    }
    if (has_magnet) {
        struct bt_magnet mg;
        if (bt_magnet_parse(m->magnet, &mg, err, sizeof(err)) < 0) {
            cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "the magnet is not valid: %s", err);
            goto out;
        }
        memcpy(p->hash, mg.info_hash, 20);
        cm_utf8_copy(p->name, sizeof(p->name), mg.dn ? mg.dn : "");
        p->size = mg.xl;
        bt_magnet_clear(&mg);
        magnet_hex = disc_seal_hex(d, s_aad_magnet, m->magnet, strlen(m->magnet));
    } else {
        if (s_parse_torrent(m->torrent.data, m->torrent.len, p, err, sizeof(err)) < 0) {
            cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "the torrent is not valid: %s", err);
            goto out;
        }
        torrent_hex = disc_seal_hex(d, s_aad_torrent, m->torrent.data, m->torrent.len);
    }
    ih_hex = disc_seal_hex(d, s_aad_hash, p->hash, 20);
    if (!ih_hex || (has_magnet ? !magnet_hex : !torrent_hex)) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INTERNAL, "cannot seal the source");
        goto out;
    }
    uint8_t index[DISC_CRYPT_INDEX_LEN];
    char index_hex[2 * DISC_CRYPT_INDEX_LEN + 1], movie[24], size[24], nfiles[16];
    disc_crypt_index(d->crypt, p->hash, index);
    cm_hex_encode(index, sizeof(index), index_hex);
    snprintf(movie, sizeof(movie), "%" PRIu64, m->movie_id);
    snprintf(size, sizeof(size), "%" PRIu64, p->size > INT64_MAX ? (uint64_t)INT64_MAX : p->size);
    snprintf(nfiles, sizeof(nfiles), "%" PRIu32, p->nfiles);
    struct op *op = s_op_new(d, rpc, msg);
    const char *params[] = {movie,      p->name,  disc_quality_guess(p->name),
                            size,       p->files, nfiles,
                            index_hex,  ih_hex,   magnet_hex,
                            torrent_hex};
    cm_pg_query(d->pg, s_sql_source_add, 10, params, 0, s_on_source_added, op);
out:
    OPENSSL_cleanse(m->magnet, sizeof(m->magnet));
    OPENSSL_cleanse(p->hash, sizeof(p->hash));
    cm_free(m);
    cm_free(p->files);
    cm_free(p);
    cm_free(ih_hex);
    cm_free(magnet_hex);
    cm_free(torrent_hex);
}

/* --- SOURCE_GET --- */

static const char s_sql_source_get[] =
    "SELECT " SOURCE_COLS ", CASE WHEN $2::bool THEN encode(s.info_hash_enc, 'hex') END, "
    "CASE WHEN $2::bool THEN encode(s.magnet_enc, 'hex') END, "
    "CASE WHEN $2::bool THEN encode(s.torrent_enc, 'hex') END FROM sources s WHERE s.id = $1";

static void s_on_source_got(int status, const PGresult *res, void *arg)
{
    struct op *op = arg;
    if (status != CM_OK)
        s_db_error(op, status, res, "reading the source");
    else if (PQntuples(res) != 1)
        cm_defer_error(&op->defer, CM_ERR_NOT_FOUND, "no such source");
    else
        s_reply_source(op, res, 0, 0);
    s_op_free(op);
}

static void s_on_source_get(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct disc *d = arg;
    struct discovery_source_get m;
    if (discovery_source_get_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "SOURCE_GET does not decode");
        return;
    }
    if (m.id == 0 || m.id > INT64_MAX) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_NOT_FOUND, "no such source");
        return;
    }
    struct op *op = s_op_new(d, rpc, msg);
    op->id = m.id;
    op->secrets = m.secrets;
    char id[24];
    snprintf(id, sizeof(id), "%" PRIu64, m.id);
    const char *params[] = {id, m.secrets ? "true" : "false"};
    cm_pg_query(d->pg, s_sql_source_get, 2, params, 0, s_on_source_got, op);
}

/* --- SOURCE_SET_TORRENT --- */

/* One row when the source exists: whether the blind index matched, then the updated source
 * (NULLs when it did not). The quality guessed from the torrent's name fills an empty one. */
static const char s_sql_set_torrent[] =
    "WITH t AS (SELECT id, coalesce(info_hash_index = decode($2, 'hex'), false) AS same "
    "FROM sources WHERE id = $1), "
    "u AS (UPDATE sources s SET torrent_enc = decode($3, 'hex'), name = $4, size = $5, "
    "quality = CASE WHEN s.quality = '' THEN $6 ELSE s.quality END, files = $7::jsonb, "
    "file_count = $8, updated_at = now() FROM t WHERE s.id = t.id AND t.same "
    "RETURNING " SOURCE_COLS ") "
    "SELECT t.same, u.* FROM t LEFT JOIN u ON true";

static void s_on_torrent_set(int status, const PGresult *res, void *arg)
{
    struct op *op = arg;
    if (status != CM_OK) {
        s_db_error(op, status, res, "storing the torrent");
    } else if (PQntuples(res) != 1) {
        cm_defer_error(&op->defer, CM_ERR_NOT_FOUND, "no such source");
    } else if (!s_col_bool(res, 0, 0) || PQgetisnull(res, 0, 1)) {
        cm_defer_error(&op->defer, CM_ERR_INVALID, "the torrent is not this source's info-hash");
    } else {
        cm_log_i("discovery", op->rid, "source %" PRIu64 ": torrent stored", op->id);
        s_reply_source(op, res, 0, 1);
    }
    s_op_free(op);
}

static void s_on_set_torrent(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct disc *d = arg;
    struct discovery_source_set_torrent m;
    struct parsed *p = cm_calloc(1, sizeof(*p));
    char err[CM_ERR_LEN], *torrent_hex = NULL;
    if (discovery_source_set_torrent_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "SOURCE_SET_TORRENT does not decode");
        goto out;
    }
    if (m.id == 0 || m.id > INT64_MAX) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_NOT_FOUND, "no such source");
        goto out;
    }
    struct op *op = s_op_new(d, rpc, msg);
    op->id = m.id;
    int st = disc_torrent_store(d, m.id, m.torrent.data, m.torrent.len, s_on_torrent_set, op, err,
                                sizeof(err));
    if (st != CM_OK) {
        cm_defer_error(&op->defer, st, "%s", err);
        s_op_free(op);
    }
out:
    cm_free(p);
    CM_UNUSED(torrent_hex);
}

int disc_torrent_store(struct disc *d, uint64_t id, const uint8_t *buf, size_t len,
                       cm_pg_result_fn *cb, void *arg, char *err, size_t errlen)
{
    struct parsed *p = cm_calloc(1, sizeof(*p));
    char *torrent_hex = NULL;
    int rc = CM_OK;
    char why[CM_ERR_LEN];
    if (s_parse_torrent(buf, len, p, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "the torrent is not valid: %s", why);
        rc = CM_ERR_INVALID;
    } else if (!(torrent_hex = disc_seal_hex(d, s_aad_torrent, buf, len))) {
        snprintf(err, errlen, "cannot seal the torrent");
        rc = CM_ERR_INTERNAL;
    } else {
        uint8_t index[DISC_CRYPT_INDEX_LEN];
        char index_hex[2 * DISC_CRYPT_INDEX_LEN + 1], sid[24], size[24], nfiles[16];
        disc_crypt_index(d->crypt, p->hash, index);
        cm_hex_encode(index, sizeof(index), index_hex);
        snprintf(sid, sizeof(sid), "%" PRIu64, id);
        snprintf(size, sizeof(size), "%" PRIu64,
                 p->size > INT64_MAX ? (uint64_t)INT64_MAX : p->size);
        snprintf(nfiles, sizeof(nfiles), "%" PRIu32, p->nfiles);
        const char *params[] = {sid,      index_hex, torrent_hex,
                                p->name,  size,      disc_quality_guess(p->name),
                                p->files, nfiles};
        cm_pg_query(d->pg, s_sql_set_torrent, 8, params, 0, cb, arg);
    }
    OPENSSL_cleanse(p->hash, sizeof(p->hash));
    cm_free(p->files);
    cm_free(p);
    cm_free(torrent_hex);
    return rc;
}

/* --- MOVIE_LIST --- */

enum { LIST_LIMIT_MAX = 100, LIST_PAGE_MAX = 100000 };

/* Movies whose IMDb id is $1 or whose title holds the words of $2 (a LIKE pattern), most
 * popular first; one row even for an empty page (the total, then NULLs). */
static const char s_sql_movie_list[] =
    "WITH f AS (SELECT m.* FROM movies m WHERE $1 = '' OR m.imdb_id = $1 "
    "OR lower(m.title) LIKE $2), t AS (SELECT count(*) AS total FROM f) "
    "SELECT t.total, p.id, p.imdb_id, p.title, p.year, p.rating10, p.poster, p.nsources "
    "FROM t LEFT JOIN LATERAL (SELECT f.id, f.imdb_id, f.title, coalesce(f.year, 0) AS year, "
    "coalesce(round(f.rating * 10), 0)::int AS rating10, coalesce(f.poster_url, '') AS poster, "
    "(SELECT count(*) FROM sources s WHERE s.movie_id = f.id) AS nsources, f.popularity "
    "FROM f ORDER BY f.popularity DESC, f.id LIMIT $3 OFFSET $4) p ON true "
    "ORDER BY p.popularity DESC, p.id";

static void s_on_movie_listed(int status, const PGresult *res, void *arg)
{
    struct op *op = arg;
    if (status != CM_OK || PQntuples(res) < 1) {
        s_db_error(op, status == CM_OK ? CM_ERR_INTERNAL : status, res, "listing movies");
        s_op_free(op);
        return;
    }
    struct discovery_movie_list_ok *m = cm_calloc(1, sizeof(*m));
    m->total = s_col_u64(res, 0, 0);
    for (int i = 0; i < PQntuples(res) && i < LIST_LIMIT_MAX; i++) {
        if (PQgetisnull(res, i, 1))
            continue;
        uint32_t k = m->ids_count;
        m->ids[k] = s_col_u64(res, i, 1);
        s_col(res, i, 2, m->imdb_ids[k], sizeof(m->imdb_ids[k]));
        s_col(res, i, 3, m->titles[k], sizeof(m->titles[k]));
        m->years[k] = (uint32_t)s_col_u64(res, i, 4);
        m->ratings10[k] = (uint32_t)s_col_u64(res, i, 5);
        s_col(res, i, 6, m->posters[k], sizeof(m->posters[k]));
        m->source_counts[k] = (uint32_t)s_col_u64(res, i, 7);
        k++;
        m->ids_count = m->imdb_ids_count = m->titles_count = m->years_count = k;
        m->ratings10_count = m->posters_count = m->source_counts_count = k;
    }
    cm_buf_t *body = cm_buf_new(DISC_MOVIE_BODY_MAX);
    if (discovery_movie_list_ok_encode(m, body) == 0)
        cm_defer_reply(&op->defer, DISCOVERY_PROTO, DISCOVERY_MSG_MOVIE_LIST_OK, body, NULL);
    else
        cm_defer_error(&op->defer, CM_ERR_INTERNAL, "cannot encode MOVIE_LIST_OK");
    cm_buf_destroy(&body);
    cm_free(m);
    s_op_free(op);
}

/* The LIKE pattern of a query's words: "%w1%w2%", lower case, with % _ \ escaped. */
static void s_like(const char *q, char *out, size_t size)
{
    size_t n = 0;
    out[n++] = '%';
    bool word = false;
    for (const unsigned char *p = (const unsigned char *)q; *p && n + 4 < size; p++) {
        if (*p == ' ' || *p == '\t' || *p == '.' || *p == '_' || *p == '-') {
            if (word)
                out[n++] = '%';
            word = false;
            continue;
        }
        if (*p == '%' || *p == '\\')
            out[n++] = '\\';
        out[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        word = true;
    }
    if (word)
        out[n++] = '%';
    out[n] = '\0';
}

static void s_on_movie_list(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct disc *d = arg;
    struct discovery_movie_list m;
    if (discovery_movie_list_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "MOVIE_LIST does not decode");
        return;
    }
    uint32_t limit = m.limit ? m.limit : 20, page = m.page ? m.page : 1;
    if (limit > LIST_LIMIT_MAX || page > LIST_PAGE_MAX) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "limit must be 1..%d and page 1..%d",
                           LIST_LIMIT_MAX, LIST_PAGE_MAX);
        return;
    }
    char q[256], like[512], lim[16], off[24];
    const char *qs = m.query;
    while (*qs == ' ')
        qs++;
    snprintf(q, sizeof(q), "%s", qs);
    size_t qn = strlen(q);
    while (qn && q[qn - 1] == ' ')
        q[--qn] = '\0';
    s_like(q, like, sizeof(like));
    char imdb[256];
    snprintf(imdb, sizeof(imdb), "%s", disc_imdb_valid(q) ? q : "");
    snprintf(lim, sizeof(lim), "%u", limit);
    snprintf(off, sizeof(off), "%" PRIu64, (uint64_t)(page - 1) * limit);
    struct op *op = s_op_new(d, rpc, msg);
    /* an empty query lists everything: $1 = '' */
    const char *params[] = {q[0] ? (imdb[0] ? imdb : "-") : "", like, lim, off};
    cm_pg_query(d->pg, s_sql_movie_list, 4, params, 0, s_on_movie_listed, op);
}

void disc_api_register(struct disc *d)
{
    cm_rpc_handle(d->rpc, DISCOVERY_PROTO, DISCOVERY_MSG_MOVIE_LIST, s_on_movie_list, d);
    cm_rpc_handle(d->rpc, DISCOVERY_PROTO, DISCOVERY_MSG_MOVIE_CREATE, s_on_movie_create, d);
    cm_rpc_handle(d->rpc, DISCOVERY_PROTO, DISCOVERY_MSG_MOVIE_GET, s_on_movie_get, d);
    cm_rpc_handle(d->rpc, DISCOVERY_PROTO, DISCOVERY_MSG_SOURCE_ADD, s_on_source_add, d);
    cm_rpc_handle(d->rpc, DISCOVERY_PROTO, DISCOVERY_MSG_SOURCE_GET, s_on_source_get, d);
    cm_rpc_handle(d->rpc, DISCOVERY_PROTO, DISCOVERY_MSG_SOURCE_SET_TORRENT, s_on_set_torrent, d);
}
