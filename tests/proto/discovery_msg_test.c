/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/discovery.toml
 * SPDX-License-Identifier: MIT
 * Tests of the discovery codecs: each message is built from its schema test values, encoded,
 * decoded, compared field by field, re-encoded and compared byte for byte (zproto's self-test),
 * compared with its golden encoding in tests/proto/golden/discovery/ and printed. Each str, bin,
 * list and map field is also tried at its max and past it. Run from the repository root. */
#include "cm.h"
#include "discovery_msg.h"
#include "../tap.h"

/* --- Helpers --- */

enum {
    TEST_BUF_CAP = CM_POOL_MSG_MAX, /* room for any encoding */
    TEST_PRINT_MAX = 64 * 1024,     /* room for any printed line */
};

static const unsigned char s_zeros[16777217]; /* bytes for bin fields at their max */

/* The TAP name "MSG: what", in a static buffer: valid until the next call. */
static const char *s_name(const char *msg, const char *what)
{
    static char name[256];
    snprintf(name, sizeof(name), "%s: %s", msg, what);
    return name;
}

/* Print the bytes of `buf` as a TAP diagnostic, in hex. */
static void s_diag_hex(const char *what, const cm_buf_t *buf)
{
    char hex[2 * 64 + 4] = "";
    size_t len = cm_buf_len(buf);
    for (size_t i = 0; i < len && i < 64; i++)
        snprintf(hex + 2 * i, 3, "%02x", cm_buf_data(buf)[i]);
    if (len > 64)
        memcpy(hex + 2 * 64, "...", 4);
    diag("%s (%zu bytes): %s", what, len, hex);
}

/* True when two arrays of the same type hold the same bytes. */
#define SAME_ARRAY(x, y) (memcmp((x), (y), sizeof(x)) == 0)

/* True when `a` and `b` hold the same bytes. */
static bool s_same(const cm_buf_t *a, const cm_buf_t *b)
{
    return cm_buf_len(a) == cm_buf_len(b) &&
           memcmp(cm_buf_data(a), cm_buf_data(b), cm_buf_len(a)) == 0;
}

/* True when two borrowed views show the same bytes. */
static bool s_iov_eq(const cm_iov_t *a, const cm_iov_t *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Read a whole file into `buf`; -1 when it cannot be read. */
static int s_read_file(const char *path, cm_buf_t *buf)
{
    unsigned char chunk[4096];
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n == 0)
            break;
        if (cm_buf_append(buf, chunk, n) < 0) {
            rc = -1;
            break;
        }
    }
    if (ferror(f))
        rc = -1;
    fclose(f);
    return rc;
}

/* Compare an encoding with tests/proto/golden/discovery/<msg>.mp, written by `make proto-golden`
 * from the schema with the generator's own msgpack encoder. */
static void s_golden(const cm_buf_t *enc, const char *msg)
{
    char path[256];
    cm_buf_t *want = cm_buf_new(TEST_BUF_CAP);

    snprintf(path, sizeof(path), "tests/proto/golden/discovery/%s.mp", msg);
    if (s_read_file(path, want) < 0) {
        ok(0, s_name(msg, "golden file readable"));
        diag("cannot read %s: run `make proto-golden` from the repository root", path);
    } else if (!ok(s_same(enc, want), s_name(msg, "encoding matches its golden file"))) {
        s_diag_hex("got ", enc);
        s_diag_hex("want", want);
        diag("if the change is intended, run `make proto-golden` and review the diff");
    }
    cm_buf_destroy(&want);
}

/* Encode `a`, decode that into `b`, encode `b` and compare the two encodings. Leaves the first
 * encoding in `enc` (the views of `b` point into it). */
static void s_round_trip(int id, const void *a, void *b, cm_buf_t *enc)
{
    const char *msg = discovery_msg_name(id);
    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);

    cm_buf_reset(enc);
    is_int(discovery_msg_encode(id, a, enc), 0, s_name(msg, "encodes"));
    int rc = discovery_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc));
    is_int(rc, 0, s_name(msg, "decodes"));
    is_int(discovery_msg_encode(id, b, again), 0, s_name(msg, "re-encodes"));
    ok(s_same(enc, again), s_name(msg, "re-encoding is identical"));
    cm_buf_destroy(&again);
}

/* The same without TAP output: true when every step passed. */
static bool s_cycle(int id, const void *a, void *b)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);
    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);
    bool pass = discovery_msg_encode(id, a, enc) == 0 &&
                discovery_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc)) == 0 &&
                discovery_msg_encode(id, b, again) == 0 && s_same(enc, again);
    cm_buf_destroy(&again);
    cm_buf_destroy(&enc);
    return pass;
}

/* True when encoding `a` is refused. */
static bool s_refused(int id, const void *a)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);
    bool refused = discovery_msg_encode(id, a, enc) == -1;
    cm_buf_destroy(&enc);
    return refused;
}

/* print writes exactly one line, starting with the protocol and message names. */
static void s_print(int id, const void *m)
{
    static char text[TEST_PRINT_MAX];
    const char *msg = discovery_msg_name(id);
    char want[64];

    memset(text, 0, sizeof(text));
    FILE *f = fmemopen(text, sizeof(text) - 1, "w");
    if (!ok(f != NULL, s_name(msg, "fmemopen")))
        return;
    discovery_msg_print(id, m, f);
    fclose(f);
    snprintf(want, sizeof(want), "discovery.%s", msg);
    size_t len = strlen(text);
    bool line = len > 0 && strchr(text, '\n') == text + len - 1;
    ok(line && strncmp(text, want, strlen(want)) == 0, s_name(msg, "prints one line"));
    diag("%.*s", (int)strcspn(text, "\n"), text);
}

/* --- MOVIE_CREATE --- */

/* The schema's test values. */
static void s_fill_movie_create(struct discovery_movie_create *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->imdb_id, "tt1254207", 9);
    memcpy(m->title, "Big Buck Bunny", 14);
    m->year = 2008;
    m->wait_ms = 3000;
}

static void s_test_movie_create(cm_buf_t *enc)
{
    struct discovery_movie_create a, b;

    s_fill_movie_create(&a);
    s_round_trip(DISCOVERY_MSG_MOVIE_CREATE, &a, &b, enc);
    is_str(b.imdb_id, a.imdb_id, s_name("MOVIE_CREATE", "imdb_id"));
    is_str(b.title, a.title, s_name("MOVIE_CREATE", "title"));
    ok(b.year == a.year, s_name("MOVIE_CREATE", "year"));
    ok(b.wait_ms == a.wait_ms, s_name("MOVIE_CREATE", "wait_ms"));
    s_golden(enc, "MOVIE_CREATE");
    s_print(DISCOVERY_MSG_MOVIE_CREATE, &b);

    s_fill_movie_create(&a);
    memset(a.imdb_id, 'x', 16);
    ok(s_cycle(DISCOVERY_MSG_MOVIE_CREATE, &a, &b), s_name("MOVIE_CREATE", "imdb_id at its max"));
    a.imdb_id[16] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE_CREATE, &a),
       s_name("MOVIE_CREATE", "imdb_id past its max refused"));
    memcpy(a.imdb_id, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_MOVIE_CREATE, &a),
       s_name("MOVIE_CREATE", "imdb_id not UTF-8 refused"));

    s_fill_movie_create(&a);
    memset(a.title, 'x', 512);
    ok(s_cycle(DISCOVERY_MSG_MOVIE_CREATE, &a, &b), s_name("MOVIE_CREATE", "title at its max"));
    a.title[512] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE_CREATE, &a),
       s_name("MOVIE_CREATE", "title past its max refused"));
    memcpy(a.title, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_MOVIE_CREATE, &a),
       s_name("MOVIE_CREATE", "title not UTF-8 refused"));
}

/* --- MOVIE --- */

/* The schema's test values. */
static void s_fill_movie(struct discovery_movie *m)
{
    memset(m, 0, sizeof(*m));
    m->id = UINT64_C(7);
    memcpy(m->imdb_id, "tt1254207", 9);
    memcpy(m->title, "Big Buck Bunny", 14);
    m->year = 2008;
    m->created_ms = INT64_C(1764000000000);
    m->source_ids[0] = UINT64_C(3);
    m->source_ids_count = 1;
    memcpy(m->source_providers[0], "manual", 6);
    m->source_providers_count = 1;
    memcpy(m->source_qualities[0], "FHD", 3);
    m->source_qualities_count = 1;
    memcpy(m->source_names[0], "Big.Buck.Bunny.1080p", 20);
    m->source_names_count = 1;
    m->source_sizes[0] = UINT64_C(276445467);
    m->source_sizes_count = 1;
    m->source_has_torrent[0] = true;
    m->source_has_torrent_count = 1;
    m->runtime_min = 90;
    m->rating10 = 75;
    memcpy(m->genres, "Animation, Comedy", 17);
    memcpy(m->poster_url, "https://img.example/p.jpg", 25);
    memcpy(m->trailer, "aqz-KE-bpKQ", 11);
    memcpy(m->source_video_codecs[0], "x264", 4);
    m->source_video_codecs_count = 1;
    memcpy(m->source_types[0], "WEB-DL", 6);
    m->source_types_count = 1;
    m->source_seeders[0] = INT64_C(42);
    m->source_seeders_count = 1;
    m->source_leechers[0] = INT64_C(7);
    m->source_leechers_count = 1;
    m->source_scores[0] = 7300;
    m->source_scores_count = 1;
    m->source_uploaded_ms[0] = INT64_C(1764000000000);
    m->source_uploaded_ms_count = 1;
    m->searching = false;
}

static void s_test_movie(cm_buf_t *enc)
{
    struct discovery_movie a, b;

    s_fill_movie(&a);
    s_round_trip(DISCOVERY_MSG_MOVIE, &a, &b, enc);
    ok(b.id == a.id, s_name("MOVIE", "id"));
    is_str(b.imdb_id, a.imdb_id, s_name("MOVIE", "imdb_id"));
    is_str(b.title, a.title, s_name("MOVIE", "title"));
    ok(b.year == a.year, s_name("MOVIE", "year"));
    ok(b.created_ms == a.created_ms, s_name("MOVIE", "created_ms"));
    is_int(b.source_ids_count, a.source_ids_count, s_name("MOVIE", "source_ids_count"));
    ok(SAME_ARRAY(b.source_ids, a.source_ids), s_name("MOVIE", "source_ids"));
    is_int(b.source_providers_count, a.source_providers_count,
           s_name("MOVIE", "source_providers_count"));
    ok(SAME_ARRAY(b.source_providers, a.source_providers), s_name("MOVIE", "source_providers"));
    is_int(b.source_qualities_count, a.source_qualities_count,
           s_name("MOVIE", "source_qualities_count"));
    ok(SAME_ARRAY(b.source_qualities, a.source_qualities), s_name("MOVIE", "source_qualities"));
    is_int(b.source_names_count, a.source_names_count, s_name("MOVIE", "source_names_count"));
    ok(SAME_ARRAY(b.source_names, a.source_names), s_name("MOVIE", "source_names"));
    is_int(b.source_sizes_count, a.source_sizes_count, s_name("MOVIE", "source_sizes_count"));
    ok(SAME_ARRAY(b.source_sizes, a.source_sizes), s_name("MOVIE", "source_sizes"));
    is_int(b.source_has_torrent_count, a.source_has_torrent_count,
           s_name("MOVIE", "source_has_torrent_count"));
    ok(SAME_ARRAY(b.source_has_torrent, a.source_has_torrent),
       s_name("MOVIE", "source_has_torrent"));
    ok(b.runtime_min == a.runtime_min, s_name("MOVIE", "runtime_min"));
    ok(b.rating10 == a.rating10, s_name("MOVIE", "rating10"));
    is_str(b.genres, a.genres, s_name("MOVIE", "genres"));
    is_str(b.poster_url, a.poster_url, s_name("MOVIE", "poster_url"));
    is_str(b.trailer, a.trailer, s_name("MOVIE", "trailer"));
    is_int(b.source_video_codecs_count, a.source_video_codecs_count,
           s_name("MOVIE", "source_video_codecs_count"));
    ok(SAME_ARRAY(b.source_video_codecs, a.source_video_codecs),
       s_name("MOVIE", "source_video_codecs"));
    is_int(b.source_types_count, a.source_types_count, s_name("MOVIE", "source_types_count"));
    ok(SAME_ARRAY(b.source_types, a.source_types), s_name("MOVIE", "source_types"));
    is_int(b.source_seeders_count, a.source_seeders_count, s_name("MOVIE", "source_seeders_count"));
    ok(SAME_ARRAY(b.source_seeders, a.source_seeders), s_name("MOVIE", "source_seeders"));
    is_int(b.source_leechers_count, a.source_leechers_count,
           s_name("MOVIE", "source_leechers_count"));
    ok(SAME_ARRAY(b.source_leechers, a.source_leechers), s_name("MOVIE", "source_leechers"));
    is_int(b.source_scores_count, a.source_scores_count, s_name("MOVIE", "source_scores_count"));
    ok(SAME_ARRAY(b.source_scores, a.source_scores), s_name("MOVIE", "source_scores"));
    is_int(b.source_uploaded_ms_count, a.source_uploaded_ms_count,
           s_name("MOVIE", "source_uploaded_ms_count"));
    ok(SAME_ARRAY(b.source_uploaded_ms, a.source_uploaded_ms),
       s_name("MOVIE", "source_uploaded_ms"));
    ok(b.searching == a.searching, s_name("MOVIE", "searching"));
    s_golden(enc, "MOVIE");
    s_print(DISCOVERY_MSG_MOVIE, &b);

    s_fill_movie(&a);
    memset(a.imdb_id, 'x', 16);
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "imdb_id at its max"));
    a.imdb_id[16] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "imdb_id past its max refused"));
    memcpy(a.imdb_id, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "imdb_id not UTF-8 refused"));

    s_fill_movie(&a);
    memset(a.title, 'x', 512);
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "title at its max"));
    a.title[512] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "title past its max refused"));
    memcpy(a.title, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "title not UTF-8 refused"));

    s_fill_movie(&a);
    a.source_ids_count = 200;
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "source_ids at its max"));
    a.source_ids_count = 201;
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "source_ids past its max refused"));

    s_fill_movie(&a);
    for (uint32_t i = 0; i < 200; i++)
        memset(a.source_providers[i], 'x', 32);
    a.source_providers_count = 200;
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "source_providers at its max"));
    a.source_providers_count = 201;
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a),
       s_name("MOVIE", "source_providers past its max refused"));
    a.source_providers_count = 1;
    a.source_providers[0][32] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a),
       s_name("MOVIE", "source_providers item past its max refused"));

    s_fill_movie(&a);
    for (uint32_t i = 0; i < 200; i++)
        memset(a.source_qualities[i], 'x', 8);
    a.source_qualities_count = 200;
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "source_qualities at its max"));
    a.source_qualities_count = 201;
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a),
       s_name("MOVIE", "source_qualities past its max refused"));
    a.source_qualities_count = 1;
    a.source_qualities[0][8] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a),
       s_name("MOVIE", "source_qualities item past its max refused"));

    s_fill_movie(&a);
    for (uint32_t i = 0; i < 200; i++)
        memset(a.source_names[i], 'x', 256);
    a.source_names_count = 200;
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "source_names at its max"));
    a.source_names_count = 201;
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "source_names past its max refused"));
    a.source_names_count = 1;
    a.source_names[0][256] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a),
       s_name("MOVIE", "source_names item past its max refused"));

    s_fill_movie(&a);
    a.source_sizes_count = 200;
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "source_sizes at its max"));
    a.source_sizes_count = 201;
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "source_sizes past its max refused"));

    s_fill_movie(&a);
    a.source_has_torrent_count = 200;
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "source_has_torrent at its max"));
    a.source_has_torrent_count = 201;
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a),
       s_name("MOVIE", "source_has_torrent past its max refused"));

    s_fill_movie(&a);
    memset(a.genres, 'x', 256);
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "genres at its max"));
    a.genres[256] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "genres past its max refused"));
    memcpy(a.genres, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "genres not UTF-8 refused"));

    s_fill_movie(&a);
    memset(a.poster_url, 'x', 512);
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "poster_url at its max"));
    a.poster_url[512] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "poster_url past its max refused"));
    memcpy(a.poster_url, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "poster_url not UTF-8 refused"));

    s_fill_movie(&a);
    memset(a.trailer, 'x', 32);
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "trailer at its max"));
    a.trailer[32] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "trailer past its max refused"));
    memcpy(a.trailer, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "trailer not UTF-8 refused"));

    s_fill_movie(&a);
    for (uint32_t i = 0; i < 200; i++)
        memset(a.source_video_codecs[i], 'x', 16);
    a.source_video_codecs_count = 200;
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "source_video_codecs at its max"));
    a.source_video_codecs_count = 201;
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a),
       s_name("MOVIE", "source_video_codecs past its max refused"));
    a.source_video_codecs_count = 1;
    a.source_video_codecs[0][16] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a),
       s_name("MOVIE", "source_video_codecs item past its max refused"));

    s_fill_movie(&a);
    for (uint32_t i = 0; i < 200; i++)
        memset(a.source_types[i], 'x', 16);
    a.source_types_count = 200;
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "source_types at its max"));
    a.source_types_count = 201;
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "source_types past its max refused"));
    a.source_types_count = 1;
    a.source_types[0][16] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a),
       s_name("MOVIE", "source_types item past its max refused"));

    s_fill_movie(&a);
    a.source_seeders_count = 200;
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "source_seeders at its max"));
    a.source_seeders_count = 201;
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "source_seeders past its max refused"));

    s_fill_movie(&a);
    a.source_leechers_count = 200;
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "source_leechers at its max"));
    a.source_leechers_count = 201;
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "source_leechers past its max refused"));

    s_fill_movie(&a);
    a.source_scores_count = 200;
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "source_scores at its max"));
    a.source_scores_count = 201;
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a), s_name("MOVIE", "source_scores past its max refused"));

    s_fill_movie(&a);
    a.source_uploaded_ms_count = 200;
    ok(s_cycle(DISCOVERY_MSG_MOVIE, &a, &b), s_name("MOVIE", "source_uploaded_ms at its max"));
    a.source_uploaded_ms_count = 201;
    ok(s_refused(DISCOVERY_MSG_MOVIE, &a),
       s_name("MOVIE", "source_uploaded_ms past its max refused"));
}

/* --- MOVIE_GET --- */

/* The schema's test values. */
static void s_fill_movie_get(struct discovery_movie_get *m)
{
    memset(m, 0, sizeof(*m));
    m->id = UINT64_C(7);
    m->include_sources = true;
}

static void s_test_movie_get(cm_buf_t *enc)
{
    struct discovery_movie_get a, b;

    s_fill_movie_get(&a);
    s_round_trip(DISCOVERY_MSG_MOVIE_GET, &a, &b, enc);
    ok(b.id == a.id, s_name("MOVIE_GET", "id"));
    ok(b.include_sources == a.include_sources, s_name("MOVIE_GET", "include_sources"));
    s_golden(enc, "MOVIE_GET");
    s_print(DISCOVERY_MSG_MOVIE_GET, &b);
}

/* --- SOURCE_ADD --- */

/* The schema's test values. */
static void s_fill_source_add(struct discovery_source_add *m)
{
    memset(m, 0, sizeof(*m));
    m->movie_id = UINT64_C(7);
    memcpy(m->magnet, "magnet:\?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", 60);
    m->torrent.data = "d4:infod4:name1:aee";
    m->torrent.len = 19;
}

static void s_test_source_add(cm_buf_t *enc)
{
    struct discovery_source_add a, b;

    s_fill_source_add(&a);
    s_round_trip(DISCOVERY_MSG_SOURCE_ADD, &a, &b, enc);
    ok(b.movie_id == a.movie_id, s_name("SOURCE_ADD", "movie_id"));
    is_str(b.magnet, a.magnet, s_name("SOURCE_ADD", "magnet"));
    ok(s_iov_eq(&b.torrent, &a.torrent), s_name("SOURCE_ADD", "torrent"));
    s_golden(enc, "SOURCE_ADD");
    s_print(DISCOVERY_MSG_SOURCE_ADD, &b);

    s_fill_source_add(&a);
    memset(a.magnet, 'x', 65536);
    ok(s_cycle(DISCOVERY_MSG_SOURCE_ADD, &a, &b), s_name("SOURCE_ADD", "magnet at its max"));
    a.magnet[65536] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_SOURCE_ADD, &a),
       s_name("SOURCE_ADD", "magnet past its max refused"));
    memcpy(a.magnet, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_SOURCE_ADD, &a), s_name("SOURCE_ADD", "magnet not UTF-8 refused"));

    s_fill_source_add(&a);
    a.torrent.data = s_zeros;
    a.torrent.len = 16777216;
    ok(s_cycle(DISCOVERY_MSG_SOURCE_ADD, &a, &b), s_name("SOURCE_ADD", "torrent at its max"));
    a.torrent.len = 16777217;
    ok(s_refused(DISCOVERY_MSG_SOURCE_ADD, &a),
       s_name("SOURCE_ADD", "torrent past its max refused"));
    a.torrent.data = NULL;
    a.torrent.len = 1;
    ok(s_refused(DISCOVERY_MSG_SOURCE_ADD, &a),
       s_name("SOURCE_ADD", "torrent without data refused"));
}

/* --- SOURCE --- */

/* The schema's test values. */
static void s_fill_source(struct discovery_source *m)
{
    memset(m, 0, sizeof(*m));
    m->id = UINT64_C(3);
    m->movie_id = UINT64_C(7);
    memcpy(m->provider, "manual", 6);
    memcpy(m->name, "Big.Buck.Bunny.1080p", 20);
    memcpy(m->quality, "FHD", 3);
    m->size = UINT64_C(276445467);
    memcpy(m->file_paths[0], "bbb.mp4", 7);
    m->file_paths_count = 1;
    m->file_sizes[0] = UINT64_C(276445467);
    m->file_sizes_count = 1;
    memcpy(m->info_hash, "0123456789abcdef0123456789abcdef01234567", 40);
    memcpy(m->magnet, "magnet:\?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", 60);
    m->torrent.data = "d4:infod4:name1:aee";
    m->torrent.len = 19;
    m->has_torrent = true;
    m->created_ms = INT64_C(1764000000000);
}

static void s_test_source(cm_buf_t *enc)
{
    struct discovery_source a, b;

    s_fill_source(&a);
    s_round_trip(DISCOVERY_MSG_SOURCE, &a, &b, enc);
    ok(b.id == a.id, s_name("SOURCE", "id"));
    ok(b.movie_id == a.movie_id, s_name("SOURCE", "movie_id"));
    is_str(b.provider, a.provider, s_name("SOURCE", "provider"));
    is_str(b.name, a.name, s_name("SOURCE", "name"));
    is_str(b.quality, a.quality, s_name("SOURCE", "quality"));
    ok(b.size == a.size, s_name("SOURCE", "size"));
    is_int(b.file_paths_count, a.file_paths_count, s_name("SOURCE", "file_paths_count"));
    ok(SAME_ARRAY(b.file_paths, a.file_paths), s_name("SOURCE", "file_paths"));
    is_int(b.file_sizes_count, a.file_sizes_count, s_name("SOURCE", "file_sizes_count"));
    ok(SAME_ARRAY(b.file_sizes, a.file_sizes), s_name("SOURCE", "file_sizes"));
    is_str(b.info_hash, a.info_hash, s_name("SOURCE", "info_hash"));
    is_str(b.magnet, a.magnet, s_name("SOURCE", "magnet"));
    ok(s_iov_eq(&b.torrent, &a.torrent), s_name("SOURCE", "torrent"));
    ok(b.has_torrent == a.has_torrent, s_name("SOURCE", "has_torrent"));
    ok(b.created_ms == a.created_ms, s_name("SOURCE", "created_ms"));
    s_golden(enc, "SOURCE");
    s_print(DISCOVERY_MSG_SOURCE, &b);

    s_fill_source(&a);
    memset(a.provider, 'x', 32);
    ok(s_cycle(DISCOVERY_MSG_SOURCE, &a, &b), s_name("SOURCE", "provider at its max"));
    a.provider[32] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "provider past its max refused"));
    memcpy(a.provider, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "provider not UTF-8 refused"));

    s_fill_source(&a);
    memset(a.name, 'x', 1024);
    ok(s_cycle(DISCOVERY_MSG_SOURCE, &a, &b), s_name("SOURCE", "name at its max"));
    a.name[1024] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "name past its max refused"));
    memcpy(a.name, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "name not UTF-8 refused"));

    s_fill_source(&a);
    memset(a.quality, 'x', 8);
    ok(s_cycle(DISCOVERY_MSG_SOURCE, &a, &b), s_name("SOURCE", "quality at its max"));
    a.quality[8] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "quality past its max refused"));
    memcpy(a.quality, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "quality not UTF-8 refused"));

    s_fill_source(&a);
    for (uint32_t i = 0; i < 1000; i++)
        memset(a.file_paths[i], 'x', 512);
    a.file_paths_count = 1000;
    ok(s_cycle(DISCOVERY_MSG_SOURCE, &a, &b), s_name("SOURCE", "file_paths at its max"));
    a.file_paths_count = 1001;
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "file_paths past its max refused"));
    a.file_paths_count = 1;
    a.file_paths[0][512] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a),
       s_name("SOURCE", "file_paths item past its max refused"));

    s_fill_source(&a);
    a.file_sizes_count = 1000;
    ok(s_cycle(DISCOVERY_MSG_SOURCE, &a, &b), s_name("SOURCE", "file_sizes at its max"));
    a.file_sizes_count = 1001;
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "file_sizes past its max refused"));

    s_fill_source(&a);
    memset(a.info_hash, 'x', 40);
    ok(s_cycle(DISCOVERY_MSG_SOURCE, &a, &b), s_name("SOURCE", "info_hash at its max"));
    a.info_hash[40] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "info_hash past its max refused"));
    memcpy(a.info_hash, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "info_hash not UTF-8 refused"));

    s_fill_source(&a);
    memset(a.magnet, 'x', 65536);
    ok(s_cycle(DISCOVERY_MSG_SOURCE, &a, &b), s_name("SOURCE", "magnet at its max"));
    a.magnet[65536] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "magnet past its max refused"));
    memcpy(a.magnet, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "magnet not UTF-8 refused"));

    s_fill_source(&a);
    a.torrent.data = s_zeros;
    a.torrent.len = 16777216;
    ok(s_cycle(DISCOVERY_MSG_SOURCE, &a, &b), s_name("SOURCE", "torrent at its max"));
    a.torrent.len = 16777217;
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "torrent past its max refused"));
    a.torrent.data = NULL;
    a.torrent.len = 1;
    ok(s_refused(DISCOVERY_MSG_SOURCE, &a), s_name("SOURCE", "torrent without data refused"));
}

/* --- SOURCE_GET --- */

/* The schema's test values. */
static void s_fill_source_get(struct discovery_source_get *m)
{
    memset(m, 0, sizeof(*m));
    m->id = UINT64_C(3);
    m->secrets = false;
}

static void s_test_source_get(cm_buf_t *enc)
{
    struct discovery_source_get a, b;

    s_fill_source_get(&a);
    s_round_trip(DISCOVERY_MSG_SOURCE_GET, &a, &b, enc);
    ok(b.id == a.id, s_name("SOURCE_GET", "id"));
    ok(b.secrets == a.secrets, s_name("SOURCE_GET", "secrets"));
    s_golden(enc, "SOURCE_GET");
    s_print(DISCOVERY_MSG_SOURCE_GET, &b);
}

/* --- SOURCE_SET_TORRENT --- */

/* The schema's test values. */
static void s_fill_source_set_torrent(struct discovery_source_set_torrent *m)
{
    memset(m, 0, sizeof(*m));
    m->id = UINT64_C(3);
    m->torrent.data = "d4:infod4:name1:aee";
    m->torrent.len = 19;
}

static void s_test_source_set_torrent(cm_buf_t *enc)
{
    struct discovery_source_set_torrent a, b;

    s_fill_source_set_torrent(&a);
    s_round_trip(DISCOVERY_MSG_SOURCE_SET_TORRENT, &a, &b, enc);
    ok(b.id == a.id, s_name("SOURCE_SET_TORRENT", "id"));
    ok(s_iov_eq(&b.torrent, &a.torrent), s_name("SOURCE_SET_TORRENT", "torrent"));
    s_golden(enc, "SOURCE_SET_TORRENT");
    s_print(DISCOVERY_MSG_SOURCE_SET_TORRENT, &b);

    s_fill_source_set_torrent(&a);
    a.torrent.data = s_zeros;
    a.torrent.len = 16777216;
    ok(s_cycle(DISCOVERY_MSG_SOURCE_SET_TORRENT, &a, &b),
       s_name("SOURCE_SET_TORRENT", "torrent at its max"));
    a.torrent.len = 16777217;
    ok(s_refused(DISCOVERY_MSG_SOURCE_SET_TORRENT, &a),
       s_name("SOURCE_SET_TORRENT", "torrent past its max refused"));
    a.torrent.data = NULL;
    a.torrent.len = 1;
    ok(s_refused(DISCOVERY_MSG_SOURCE_SET_TORRENT, &a),
       s_name("SOURCE_SET_TORRENT", "torrent without data refused"));
}

/* --- MOVIE_LIST --- */

/* The schema's test values. */
static void s_fill_movie_list(struct discovery_movie_list *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->query, "bunny", 5);
    m->page = 1;
    m->limit = 20;
}

static void s_test_movie_list(cm_buf_t *enc)
{
    struct discovery_movie_list a, b;

    s_fill_movie_list(&a);
    s_round_trip(DISCOVERY_MSG_MOVIE_LIST, &a, &b, enc);
    is_str(b.query, a.query, s_name("MOVIE_LIST", "query"));
    ok(b.page == a.page, s_name("MOVIE_LIST", "page"));
    ok(b.limit == a.limit, s_name("MOVIE_LIST", "limit"));
    s_golden(enc, "MOVIE_LIST");
    s_print(DISCOVERY_MSG_MOVIE_LIST, &b);

    s_fill_movie_list(&a);
    memset(a.query, 'x', 200);
    ok(s_cycle(DISCOVERY_MSG_MOVIE_LIST, &a, &b), s_name("MOVIE_LIST", "query at its max"));
    a.query[200] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE_LIST, &a), s_name("MOVIE_LIST", "query past its max refused"));
    memcpy(a.query, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_MOVIE_LIST, &a), s_name("MOVIE_LIST", "query not UTF-8 refused"));
}

/* --- MOVIE_LIST_OK --- */

/* The schema's test values. */
static void s_fill_movie_list_ok(struct discovery_movie_list_ok *m)
{
    memset(m, 0, sizeof(*m));
    m->total = UINT64_C(1);
    m->ids[0] = UINT64_C(7);
    m->ids_count = 1;
    memcpy(m->imdb_ids[0], "tt1254207", 9);
    m->imdb_ids_count = 1;
    memcpy(m->titles[0], "Big Buck Bunny", 14);
    m->titles_count = 1;
    m->years[0] = 2008;
    m->years_count = 1;
    m->ratings10[0] = 75;
    m->ratings10_count = 1;
    m->posters_count = 1;
    m->source_counts[0] = 2;
    m->source_counts_count = 1;
}

static void s_test_movie_list_ok(cm_buf_t *enc)
{
    struct discovery_movie_list_ok a, b;

    s_fill_movie_list_ok(&a);
    s_round_trip(DISCOVERY_MSG_MOVIE_LIST_OK, &a, &b, enc);
    ok(b.total == a.total, s_name("MOVIE_LIST_OK", "total"));
    is_int(b.ids_count, a.ids_count, s_name("MOVIE_LIST_OK", "ids_count"));
    ok(SAME_ARRAY(b.ids, a.ids), s_name("MOVIE_LIST_OK", "ids"));
    is_int(b.imdb_ids_count, a.imdb_ids_count, s_name("MOVIE_LIST_OK", "imdb_ids_count"));
    ok(SAME_ARRAY(b.imdb_ids, a.imdb_ids), s_name("MOVIE_LIST_OK", "imdb_ids"));
    is_int(b.titles_count, a.titles_count, s_name("MOVIE_LIST_OK", "titles_count"));
    ok(SAME_ARRAY(b.titles, a.titles), s_name("MOVIE_LIST_OK", "titles"));
    is_int(b.years_count, a.years_count, s_name("MOVIE_LIST_OK", "years_count"));
    ok(SAME_ARRAY(b.years, a.years), s_name("MOVIE_LIST_OK", "years"));
    is_int(b.ratings10_count, a.ratings10_count, s_name("MOVIE_LIST_OK", "ratings10_count"));
    ok(SAME_ARRAY(b.ratings10, a.ratings10), s_name("MOVIE_LIST_OK", "ratings10"));
    is_int(b.posters_count, a.posters_count, s_name("MOVIE_LIST_OK", "posters_count"));
    ok(SAME_ARRAY(b.posters, a.posters), s_name("MOVIE_LIST_OK", "posters"));
    is_int(b.source_counts_count, a.source_counts_count,
           s_name("MOVIE_LIST_OK", "source_counts_count"));
    ok(SAME_ARRAY(b.source_counts, a.source_counts), s_name("MOVIE_LIST_OK", "source_counts"));
    s_golden(enc, "MOVIE_LIST_OK");
    s_print(DISCOVERY_MSG_MOVIE_LIST_OK, &b);

    s_fill_movie_list_ok(&a);
    a.ids_count = 100;
    ok(s_cycle(DISCOVERY_MSG_MOVIE_LIST_OK, &a, &b), s_name("MOVIE_LIST_OK", "ids at its max"));
    a.ids_count = 101;
    ok(s_refused(DISCOVERY_MSG_MOVIE_LIST_OK, &a),
       s_name("MOVIE_LIST_OK", "ids past its max refused"));

    s_fill_movie_list_ok(&a);
    for (uint32_t i = 0; i < 100; i++)
        memset(a.imdb_ids[i], 'x', 16);
    a.imdb_ids_count = 100;
    ok(s_cycle(DISCOVERY_MSG_MOVIE_LIST_OK, &a, &b),
       s_name("MOVIE_LIST_OK", "imdb_ids at its max"));
    a.imdb_ids_count = 101;
    ok(s_refused(DISCOVERY_MSG_MOVIE_LIST_OK, &a),
       s_name("MOVIE_LIST_OK", "imdb_ids past its max refused"));
    a.imdb_ids_count = 1;
    a.imdb_ids[0][16] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE_LIST_OK, &a),
       s_name("MOVIE_LIST_OK", "imdb_ids item past its max refused"));

    s_fill_movie_list_ok(&a);
    for (uint32_t i = 0; i < 100; i++)
        memset(a.titles[i], 'x', 512);
    a.titles_count = 100;
    ok(s_cycle(DISCOVERY_MSG_MOVIE_LIST_OK, &a, &b), s_name("MOVIE_LIST_OK", "titles at its max"));
    a.titles_count = 101;
    ok(s_refused(DISCOVERY_MSG_MOVIE_LIST_OK, &a),
       s_name("MOVIE_LIST_OK", "titles past its max refused"));
    a.titles_count = 1;
    a.titles[0][512] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE_LIST_OK, &a),
       s_name("MOVIE_LIST_OK", "titles item past its max refused"));

    s_fill_movie_list_ok(&a);
    a.years_count = 100;
    ok(s_cycle(DISCOVERY_MSG_MOVIE_LIST_OK, &a, &b), s_name("MOVIE_LIST_OK", "years at its max"));
    a.years_count = 101;
    ok(s_refused(DISCOVERY_MSG_MOVIE_LIST_OK, &a),
       s_name("MOVIE_LIST_OK", "years past its max refused"));

    s_fill_movie_list_ok(&a);
    a.ratings10_count = 100;
    ok(s_cycle(DISCOVERY_MSG_MOVIE_LIST_OK, &a, &b),
       s_name("MOVIE_LIST_OK", "ratings10 at its max"));
    a.ratings10_count = 101;
    ok(s_refused(DISCOVERY_MSG_MOVIE_LIST_OK, &a),
       s_name("MOVIE_LIST_OK", "ratings10 past its max refused"));

    s_fill_movie_list_ok(&a);
    for (uint32_t i = 0; i < 100; i++)
        memset(a.posters[i], 'x', 512);
    a.posters_count = 100;
    ok(s_cycle(DISCOVERY_MSG_MOVIE_LIST_OK, &a, &b), s_name("MOVIE_LIST_OK", "posters at its max"));
    a.posters_count = 101;
    ok(s_refused(DISCOVERY_MSG_MOVIE_LIST_OK, &a),
       s_name("MOVIE_LIST_OK", "posters past its max refused"));
    a.posters_count = 1;
    a.posters[0][512] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_MOVIE_LIST_OK, &a),
       s_name("MOVIE_LIST_OK", "posters item past its max refused"));

    s_fill_movie_list_ok(&a);
    a.source_counts_count = 100;
    ok(s_cycle(DISCOVERY_MSG_MOVIE_LIST_OK, &a, &b),
       s_name("MOVIE_LIST_OK", "source_counts at its max"));
    a.source_counts_count = 101;
    ok(s_refused(DISCOVERY_MSG_MOVIE_LIST_OK, &a),
       s_name("MOVIE_LIST_OK", "source_counts past its max refused"));
}

/* --- STATUS --- */

/* The schema's test values. */
static void s_fill_status(struct discovery_status *m)
{
    memset(m, 0, sizeof(*m));
}

static void s_test_status(cm_buf_t *enc)
{
    struct discovery_status a, b;

    s_fill_status(&a);
    s_round_trip(DISCOVERY_MSG_STATUS, &a, &b, enc);
    s_golden(enc, "STATUS");
    s_print(DISCOVERY_MSG_STATUS, &b);
}

/* --- STATUS_OK --- */

/* The schema's test values. */
static void s_fill_status_ok(struct discovery_status_ok *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->vpn_check, "interface", 9);
    m->vpn_up = true;
    memcpy(m->vpn_reason, "wg0 is up", 9);
    m->vpn_checked_ms = INT64_C(1764000000000);
    memcpy(m->provider_names[0], "YTS", 3);
    m->provider_names_count = 1;
    memcpy(m->provider_states[0], "ready", 5);
    m->provider_states_count = 1;
    m->provider_reasons_count = 1;
    m->provider_requests[0] = UINT64_C(12);
    m->provider_requests_count = 1;
    m->provider_errors[0] = UINT64_C(1);
    m->provider_errors_count = 1;
    m->searches_running = 0;
    m->movies_due = UINT64_C(0);
    m->torrents_pending = UINT64_C(0);
}

static void s_test_status_ok(cm_buf_t *enc)
{
    struct discovery_status_ok a, b;

    s_fill_status_ok(&a);
    s_round_trip(DISCOVERY_MSG_STATUS_OK, &a, &b, enc);
    is_str(b.vpn_check, a.vpn_check, s_name("STATUS_OK", "vpn_check"));
    ok(b.vpn_up == a.vpn_up, s_name("STATUS_OK", "vpn_up"));
    is_str(b.vpn_reason, a.vpn_reason, s_name("STATUS_OK", "vpn_reason"));
    ok(b.vpn_checked_ms == a.vpn_checked_ms, s_name("STATUS_OK", "vpn_checked_ms"));
    is_int(b.provider_names_count, a.provider_names_count,
           s_name("STATUS_OK", "provider_names_count"));
    ok(SAME_ARRAY(b.provider_names, a.provider_names), s_name("STATUS_OK", "provider_names"));
    is_int(b.provider_states_count, a.provider_states_count,
           s_name("STATUS_OK", "provider_states_count"));
    ok(SAME_ARRAY(b.provider_states, a.provider_states), s_name("STATUS_OK", "provider_states"));
    is_int(b.provider_reasons_count, a.provider_reasons_count,
           s_name("STATUS_OK", "provider_reasons_count"));
    ok(SAME_ARRAY(b.provider_reasons, a.provider_reasons), s_name("STATUS_OK", "provider_reasons"));
    is_int(b.provider_requests_count, a.provider_requests_count,
           s_name("STATUS_OK", "provider_requests_count"));
    ok(SAME_ARRAY(b.provider_requests, a.provider_requests),
       s_name("STATUS_OK", "provider_requests"));
    is_int(b.provider_errors_count, a.provider_errors_count,
           s_name("STATUS_OK", "provider_errors_count"));
    ok(SAME_ARRAY(b.provider_errors, a.provider_errors), s_name("STATUS_OK", "provider_errors"));
    ok(b.searches_running == a.searches_running, s_name("STATUS_OK", "searches_running"));
    ok(b.movies_due == a.movies_due, s_name("STATUS_OK", "movies_due"));
    ok(b.torrents_pending == a.torrents_pending, s_name("STATUS_OK", "torrents_pending"));
    s_golden(enc, "STATUS_OK");
    s_print(DISCOVERY_MSG_STATUS_OK, &b);

    s_fill_status_ok(&a);
    memset(a.vpn_check, 'x', 16);
    ok(s_cycle(DISCOVERY_MSG_STATUS_OK, &a, &b), s_name("STATUS_OK", "vpn_check at its max"));
    a.vpn_check[16] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_STATUS_OK, &a),
       s_name("STATUS_OK", "vpn_check past its max refused"));
    memcpy(a.vpn_check, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_STATUS_OK, &a), s_name("STATUS_OK", "vpn_check not UTF-8 refused"));

    s_fill_status_ok(&a);
    memset(a.vpn_reason, 'x', 256);
    ok(s_cycle(DISCOVERY_MSG_STATUS_OK, &a, &b), s_name("STATUS_OK", "vpn_reason at its max"));
    a.vpn_reason[256] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_STATUS_OK, &a),
       s_name("STATUS_OK", "vpn_reason past its max refused"));
    memcpy(a.vpn_reason, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(DISCOVERY_MSG_STATUS_OK, &a), s_name("STATUS_OK", "vpn_reason not UTF-8 refused"));

    s_fill_status_ok(&a);
    for (uint32_t i = 0; i < 8; i++)
        memset(a.provider_names[i], 'x', 32);
    a.provider_names_count = 8;
    ok(s_cycle(DISCOVERY_MSG_STATUS_OK, &a, &b), s_name("STATUS_OK", "provider_names at its max"));
    a.provider_names_count = 9;
    ok(s_refused(DISCOVERY_MSG_STATUS_OK, &a),
       s_name("STATUS_OK", "provider_names past its max refused"));
    a.provider_names_count = 1;
    a.provider_names[0][32] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_STATUS_OK, &a),
       s_name("STATUS_OK", "provider_names item past its max refused"));

    s_fill_status_ok(&a);
    for (uint32_t i = 0; i < 8; i++)
        memset(a.provider_states[i], 'x', 16);
    a.provider_states_count = 8;
    ok(s_cycle(DISCOVERY_MSG_STATUS_OK, &a, &b), s_name("STATUS_OK", "provider_states at its max"));
    a.provider_states_count = 9;
    ok(s_refused(DISCOVERY_MSG_STATUS_OK, &a),
       s_name("STATUS_OK", "provider_states past its max refused"));
    a.provider_states_count = 1;
    a.provider_states[0][16] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_STATUS_OK, &a),
       s_name("STATUS_OK", "provider_states item past its max refused"));

    s_fill_status_ok(&a);
    for (uint32_t i = 0; i < 8; i++)
        memset(a.provider_reasons[i], 'x', 256);
    a.provider_reasons_count = 8;
    ok(s_cycle(DISCOVERY_MSG_STATUS_OK, &a, &b),
       s_name("STATUS_OK", "provider_reasons at its max"));
    a.provider_reasons_count = 9;
    ok(s_refused(DISCOVERY_MSG_STATUS_OK, &a),
       s_name("STATUS_OK", "provider_reasons past its max refused"));
    a.provider_reasons_count = 1;
    a.provider_reasons[0][256] = 'x'; /* no NUL left */
    ok(s_refused(DISCOVERY_MSG_STATUS_OK, &a),
       s_name("STATUS_OK", "provider_reasons item past its max refused"));

    s_fill_status_ok(&a);
    a.provider_requests_count = 8;
    ok(s_cycle(DISCOVERY_MSG_STATUS_OK, &a, &b),
       s_name("STATUS_OK", "provider_requests at its max"));
    a.provider_requests_count = 9;
    ok(s_refused(DISCOVERY_MSG_STATUS_OK, &a),
       s_name("STATUS_OK", "provider_requests past its max refused"));

    s_fill_status_ok(&a);
    a.provider_errors_count = 8;
    ok(s_cycle(DISCOVERY_MSG_STATUS_OK, &a, &b), s_name("STATUS_OK", "provider_errors at its max"));
    a.provider_errors_count = 9;
    ok(s_refused(DISCOVERY_MSG_STATUS_OK, &a),
       s_name("STATUS_OK", "provider_errors past its max refused"));
}

/* --- Protocol --- */

static void s_test_protocol(void)
{
    union discovery_msg u;
    cm_buf_t *enc = cm_buf_new(64);

    memset(&u, 0, sizeof(u));
    is_int(discovery_proto.id, DISCOVERY_PROTO, "discovery: protocol number");
    is_int(discovery_proto.version, DISCOVERY_VERSION, "discovery: version");
    is_str(discovery_proto.name, "discovery", "discovery: name");
    is_int(discovery_proto.nmsgs, 11, "discovery: 11 messages");
    const struct cm_proto_msg *d = cm_proto_find(&discovery_proto, DISCOVERY_MSG_MOVIE_CREATE);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "MOVIE_CREATE: descriptor");
    is_str(discovery_msg_name(DISCOVERY_MSG_MOVIE_CREATE), "MOVIE_CREATE", "MOVIE_CREATE: name");
    d = cm_proto_find(&discovery_proto, DISCOVERY_MSG_MOVIE);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "MOVIE: descriptor");
    is_str(discovery_msg_name(DISCOVERY_MSG_MOVIE), "MOVIE", "MOVIE: name");
    d = cm_proto_find(&discovery_proto, DISCOVERY_MSG_MOVIE_GET);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "MOVIE_GET: descriptor");
    is_str(discovery_msg_name(DISCOVERY_MSG_MOVIE_GET), "MOVIE_GET", "MOVIE_GET: name");
    d = cm_proto_find(&discovery_proto, DISCOVERY_MSG_SOURCE_ADD);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "SOURCE_ADD: descriptor");
    is_str(discovery_msg_name(DISCOVERY_MSG_SOURCE_ADD), "SOURCE_ADD", "SOURCE_ADD: name");
    d = cm_proto_find(&discovery_proto, DISCOVERY_MSG_SOURCE);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "SOURCE: descriptor");
    is_str(discovery_msg_name(DISCOVERY_MSG_SOURCE), "SOURCE", "SOURCE: name");
    d = cm_proto_find(&discovery_proto, DISCOVERY_MSG_SOURCE_GET);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "SOURCE_GET: descriptor");
    is_str(discovery_msg_name(DISCOVERY_MSG_SOURCE_GET), "SOURCE_GET", "SOURCE_GET: name");
    d = cm_proto_find(&discovery_proto, DISCOVERY_MSG_SOURCE_SET_TORRENT);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "SOURCE_SET_TORRENT: descriptor");
    is_str(discovery_msg_name(DISCOVERY_MSG_SOURCE_SET_TORRENT), "SOURCE_SET_TORRENT",
           "SOURCE_SET_TORRENT: name");
    d = cm_proto_find(&discovery_proto, DISCOVERY_MSG_MOVIE_LIST);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "MOVIE_LIST: descriptor");
    is_str(discovery_msg_name(DISCOVERY_MSG_MOVIE_LIST), "MOVIE_LIST", "MOVIE_LIST: name");
    d = cm_proto_find(&discovery_proto, DISCOVERY_MSG_MOVIE_LIST_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "MOVIE_LIST_OK: descriptor");
    is_str(discovery_msg_name(DISCOVERY_MSG_MOVIE_LIST_OK), "MOVIE_LIST_OK", "MOVIE_LIST_OK: name");
    d = cm_proto_find(&discovery_proto, DISCOVERY_MSG_STATUS);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "STATUS: descriptor");
    is_str(discovery_msg_name(DISCOVERY_MSG_STATUS), "STATUS", "STATUS: name");
    d = cm_proto_find(&discovery_proto, DISCOVERY_MSG_STATUS_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "STATUS_OK: descriptor");
    is_str(discovery_msg_name(DISCOVERY_MSG_STATUS_OK), "STATUS_OK", "STATUS_OK: name");
    is_str(discovery_msg_name(12), "?", "discovery: unknown id has no name");
    is_str(discovery_msg_name(-1), "?", "discovery: negative id has no name");
    is_int(discovery_msg_decode(12, &u, "\x80", 1), -1, "discovery: unknown id: no decode");
    is_int(discovery_msg_encode(12, &u, enc), -1, "discovery: unknown id: no encode");
    cm_buf_destroy(&enc);
}

int main(void)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);

    s_test_protocol();
    s_test_movie_create(enc);
    s_test_movie(enc);
    s_test_movie_get(enc);
    s_test_source_add(enc);
    s_test_source(enc);
    s_test_source_get(enc);
    s_test_source_set_torrent(enc);
    s_test_movie_list(enc);
    s_test_movie_list_ok(enc);
    s_test_status(enc);
    s_test_status_ok(enc);
    cm_buf_destroy(&enc);
    return done_testing();
}
