/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/stream.toml
 * SPDX-License-Identifier: MIT
 * Tests of the stream codecs: each message is built from its schema test values, encoded,
 * decoded, compared field by field, re-encoded and compared byte for byte (zproto's self-test),
 * compared with its golden encoding in tests/proto/golden/stream/ and printed. Each str, bin,
 * list and map field is also tried at its max and past it. Run from the repository root. */
#include "cm.h"
#include "stream_msg.h"
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

/* Compare an encoding with tests/proto/golden/stream/<msg>.mp, written by `make proto-golden`
 * from the schema with the generator's own msgpack encoder. */
static void s_golden(const cm_buf_t *enc, const char *msg)
{
    char path[256];
    cm_buf_t *want = cm_buf_new(TEST_BUF_CAP);

    snprintf(path, sizeof(path), "tests/proto/golden/stream/%s.mp", msg);
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
    const char *msg = stream_msg_name(id);
    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);

    cm_buf_reset(enc);
    is_int(stream_msg_encode(id, a, enc), 0, s_name(msg, "encodes"));
    int rc = stream_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc));
    is_int(rc, 0, s_name(msg, "decodes"));
    is_int(stream_msg_encode(id, b, again), 0, s_name(msg, "re-encodes"));
    ok(s_same(enc, again), s_name(msg, "re-encoding is identical"));
    cm_buf_destroy(&again);
}

/* The same without TAP output: true when every step passed. */
static bool s_cycle(int id, const void *a, void *b)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);
    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);
    bool pass = stream_msg_encode(id, a, enc) == 0 &&
                stream_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc)) == 0 &&
                stream_msg_encode(id, b, again) == 0 && s_same(enc, again);
    cm_buf_destroy(&again);
    cm_buf_destroy(&enc);
    return pass;
}

/* True when encoding `a` is refused. */
static bool s_refused(int id, const void *a)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);
    bool refused = stream_msg_encode(id, a, enc) == -1;
    cm_buf_destroy(&enc);
    return refused;
}

/* print writes exactly one line, starting with the protocol and message names. */
static void s_print(int id, const void *m)
{
    static char text[TEST_PRINT_MAX];
    const char *msg = stream_msg_name(id);
    char want[64];

    memset(text, 0, sizeof(text));
    FILE *f = fmemopen(text, sizeof(text) - 1, "w");
    if (!ok(f != NULL, s_name(msg, "fmemopen")))
        return;
    stream_msg_print(id, m, f);
    fclose(f);
    snprintf(want, sizeof(want), "stream.%s", msg);
    size_t len = strlen(text);
    bool line = len > 0 && strchr(text, '\n') == text + len - 1;
    ok(line && strncmp(text, want, strlen(want)) == 0, s_name(msg, "prints one line"));
    diag("%.*s", (int)strcspn(text, "\n"), text);
}

/* --- SESSIONS --- */

/* The schema's test values. */
static void s_fill_sessions(struct stream_sessions *m)
{
    memset(m, 0, sizeof(*m));
    m->user_id = UINT64_C(42);
    m->all = false;
}

static void s_test_sessions(cm_buf_t *enc)
{
    struct stream_sessions a, b;

    s_fill_sessions(&a);
    s_round_trip(STREAM_MSG_SESSIONS, &a, &b, enc);
    ok(b.user_id == a.user_id, s_name("SESSIONS", "user_id"));
    ok(b.all == a.all, s_name("SESSIONS", "all"));
    s_golden(enc, "SESSIONS");
    s_print(STREAM_MSG_SESSIONS, &b);
}

/* --- SESSIONS_OK --- */

/* The schema's test values. */
static void s_fill_sessions_ok(struct stream_sessions_ok *m)
{
    memset(m, 0, sizeof(*m));
    m->ids[0] = UINT64_C(5);
    m->ids_count = 1;
    m->user_ids[0] = UINT64_C(42);
    m->user_ids_count = 1;
    m->source_ids[0] = UINT64_C(3);
    m->source_ids_count = 1;
    m->bytes[0] = UINT64_C(1048576);
    m->bytes_count = 1;
    m->started_ms[0] = INT64_C(1764000000000);
    m->started_ms_count = 1;
    m->active_ms[0] = INT64_C(1764000001000);
    m->active_ms_count = 1;
    memcpy(m->workers[0], "worker-1", 8);
    m->workers_count = 1;
}

static void s_test_sessions_ok(cm_buf_t *enc)
{
    struct stream_sessions_ok a, b;

    s_fill_sessions_ok(&a);
    s_round_trip(STREAM_MSG_SESSIONS_OK, &a, &b, enc);
    is_int(b.ids_count, a.ids_count, s_name("SESSIONS_OK", "ids_count"));
    ok(SAME_ARRAY(b.ids, a.ids), s_name("SESSIONS_OK", "ids"));
    is_int(b.user_ids_count, a.user_ids_count, s_name("SESSIONS_OK", "user_ids_count"));
    ok(SAME_ARRAY(b.user_ids, a.user_ids), s_name("SESSIONS_OK", "user_ids"));
    is_int(b.source_ids_count, a.source_ids_count, s_name("SESSIONS_OK", "source_ids_count"));
    ok(SAME_ARRAY(b.source_ids, a.source_ids), s_name("SESSIONS_OK", "source_ids"));
    is_int(b.bytes_count, a.bytes_count, s_name("SESSIONS_OK", "bytes_count"));
    ok(SAME_ARRAY(b.bytes, a.bytes), s_name("SESSIONS_OK", "bytes"));
    is_int(b.started_ms_count, a.started_ms_count, s_name("SESSIONS_OK", "started_ms_count"));
    ok(SAME_ARRAY(b.started_ms, a.started_ms), s_name("SESSIONS_OK", "started_ms"));
    is_int(b.active_ms_count, a.active_ms_count, s_name("SESSIONS_OK", "active_ms_count"));
    ok(SAME_ARRAY(b.active_ms, a.active_ms), s_name("SESSIONS_OK", "active_ms"));
    is_int(b.workers_count, a.workers_count, s_name("SESSIONS_OK", "workers_count"));
    ok(SAME_ARRAY(b.workers, a.workers), s_name("SESSIONS_OK", "workers"));
    s_golden(enc, "SESSIONS_OK");
    s_print(STREAM_MSG_SESSIONS_OK, &b);

    s_fill_sessions_ok(&a);
    a.ids_count = 1000;
    ok(s_cycle(STREAM_MSG_SESSIONS_OK, &a, &b), s_name("SESSIONS_OK", "ids at its max"));
    a.ids_count = 1001;
    ok(s_refused(STREAM_MSG_SESSIONS_OK, &a), s_name("SESSIONS_OK", "ids past its max refused"));

    s_fill_sessions_ok(&a);
    a.user_ids_count = 1000;
    ok(s_cycle(STREAM_MSG_SESSIONS_OK, &a, &b), s_name("SESSIONS_OK", "user_ids at its max"));
    a.user_ids_count = 1001;
    ok(s_refused(STREAM_MSG_SESSIONS_OK, &a),
       s_name("SESSIONS_OK", "user_ids past its max refused"));

    s_fill_sessions_ok(&a);
    a.source_ids_count = 1000;
    ok(s_cycle(STREAM_MSG_SESSIONS_OK, &a, &b), s_name("SESSIONS_OK", "source_ids at its max"));
    a.source_ids_count = 1001;
    ok(s_refused(STREAM_MSG_SESSIONS_OK, &a),
       s_name("SESSIONS_OK", "source_ids past its max refused"));

    s_fill_sessions_ok(&a);
    a.bytes_count = 1000;
    ok(s_cycle(STREAM_MSG_SESSIONS_OK, &a, &b), s_name("SESSIONS_OK", "bytes at its max"));
    a.bytes_count = 1001;
    ok(s_refused(STREAM_MSG_SESSIONS_OK, &a), s_name("SESSIONS_OK", "bytes past its max refused"));

    s_fill_sessions_ok(&a);
    a.started_ms_count = 1000;
    ok(s_cycle(STREAM_MSG_SESSIONS_OK, &a, &b), s_name("SESSIONS_OK", "started_ms at its max"));
    a.started_ms_count = 1001;
    ok(s_refused(STREAM_MSG_SESSIONS_OK, &a),
       s_name("SESSIONS_OK", "started_ms past its max refused"));

    s_fill_sessions_ok(&a);
    a.active_ms_count = 1000;
    ok(s_cycle(STREAM_MSG_SESSIONS_OK, &a, &b), s_name("SESSIONS_OK", "active_ms at its max"));
    a.active_ms_count = 1001;
    ok(s_refused(STREAM_MSG_SESSIONS_OK, &a),
       s_name("SESSIONS_OK", "active_ms past its max refused"));

    s_fill_sessions_ok(&a);
    for (uint32_t i = 0; i < 1000; i++)
        memset(a.workers[i], 'x', 64);
    a.workers_count = 1000;
    ok(s_cycle(STREAM_MSG_SESSIONS_OK, &a, &b), s_name("SESSIONS_OK", "workers at its max"));
    a.workers_count = 1001;
    ok(s_refused(STREAM_MSG_SESSIONS_OK, &a),
       s_name("SESSIONS_OK", "workers past its max refused"));
    a.workers_count = 1;
    a.workers[0][64] = 'x'; /* no NUL left */
    ok(s_refused(STREAM_MSG_SESSIONS_OK, &a),
       s_name("SESSIONS_OK", "workers item past its max refused"));
}

/* --- SESSION_END --- */

/* The schema's test values. */
static void s_fill_session_end(struct stream_session_end *m)
{
    memset(m, 0, sizeof(*m));
    m->id = UINT64_C(5);
    m->user_id = UINT64_C(42);
    m->all = false;
}

static void s_test_session_end(cm_buf_t *enc)
{
    struct stream_session_end a, b;

    s_fill_session_end(&a);
    s_round_trip(STREAM_MSG_SESSION_END, &a, &b, enc);
    ok(b.id == a.id, s_name("SESSION_END", "id"));
    ok(b.user_id == a.user_id, s_name("SESSION_END", "user_id"));
    ok(b.all == a.all, s_name("SESSION_END", "all"));
    s_golden(enc, "SESSION_END");
    s_print(STREAM_MSG_SESSION_END, &b);
}

/* --- SESSION_END_OK --- */

/* The schema's test values. */
static void s_fill_session_end_ok(struct stream_session_end_ok *m)
{
    memset(m, 0, sizeof(*m));
}

static void s_test_session_end_ok(cm_buf_t *enc)
{
    struct stream_session_end_ok a, b;

    s_fill_session_end_ok(&a);
    s_round_trip(STREAM_MSG_SESSION_END_OK, &a, &b, enc);
    s_golden(enc, "SESSION_END_OK");
    s_print(STREAM_MSG_SESSION_END_OK, &b);
}

/* --- WORKERS --- */

/* The schema's test values. */
static void s_fill_workers(struct stream_workers *m)
{
    memset(m, 0, sizeof(*m));
}

static void s_test_workers(cm_buf_t *enc)
{
    struct stream_workers a, b;

    s_fill_workers(&a);
    s_round_trip(STREAM_MSG_WORKERS, &a, &b, enc);
    s_golden(enc, "WORKERS");
    s_print(STREAM_MSG_WORKERS, &b);
}

/* --- WORKERS_OK --- */

/* The schema's test values. */
static void s_fill_workers_ok(struct stream_workers_ok *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->ids[0], "worker-1", 8);
    m->ids_count = 1;
    m->torrents[0] = 2;
    m->torrents_count = 1;
    m->peers[0] = 47;
    m->peers_count = 1;
    m->down_bps[0] = UINT64_C(5242880);
    m->down_bps_count = 1;
    m->up_bps[0] = UINT64_C(65536);
    m->up_bps_count = 1;
    m->free_cache_bytes[0] = UINT64_C(10737418240);
    m->free_cache_bytes_count = 1;
    m->streams[0] = 1;
    m->streams_count = 1;
    m->draining[0] = false;
    m->draining_count = 1;
}

static void s_test_workers_ok(cm_buf_t *enc)
{
    struct stream_workers_ok a, b;

    s_fill_workers_ok(&a);
    s_round_trip(STREAM_MSG_WORKERS_OK, &a, &b, enc);
    is_int(b.ids_count, a.ids_count, s_name("WORKERS_OK", "ids_count"));
    ok(SAME_ARRAY(b.ids, a.ids), s_name("WORKERS_OK", "ids"));
    is_int(b.torrents_count, a.torrents_count, s_name("WORKERS_OK", "torrents_count"));
    ok(SAME_ARRAY(b.torrents, a.torrents), s_name("WORKERS_OK", "torrents"));
    is_int(b.peers_count, a.peers_count, s_name("WORKERS_OK", "peers_count"));
    ok(SAME_ARRAY(b.peers, a.peers), s_name("WORKERS_OK", "peers"));
    is_int(b.down_bps_count, a.down_bps_count, s_name("WORKERS_OK", "down_bps_count"));
    ok(SAME_ARRAY(b.down_bps, a.down_bps), s_name("WORKERS_OK", "down_bps"));
    is_int(b.up_bps_count, a.up_bps_count, s_name("WORKERS_OK", "up_bps_count"));
    ok(SAME_ARRAY(b.up_bps, a.up_bps), s_name("WORKERS_OK", "up_bps"));
    is_int(b.free_cache_bytes_count, a.free_cache_bytes_count,
           s_name("WORKERS_OK", "free_cache_bytes_count"));
    ok(SAME_ARRAY(b.free_cache_bytes, a.free_cache_bytes),
       s_name("WORKERS_OK", "free_cache_bytes"));
    is_int(b.streams_count, a.streams_count, s_name("WORKERS_OK", "streams_count"));
    ok(SAME_ARRAY(b.streams, a.streams), s_name("WORKERS_OK", "streams"));
    is_int(b.draining_count, a.draining_count, s_name("WORKERS_OK", "draining_count"));
    ok(SAME_ARRAY(b.draining, a.draining), s_name("WORKERS_OK", "draining"));
    s_golden(enc, "WORKERS_OK");
    s_print(STREAM_MSG_WORKERS_OK, &b);

    s_fill_workers_ok(&a);
    for (uint32_t i = 0; i < 256; i++)
        memset(a.ids[i], 'x', 64);
    a.ids_count = 256;
    ok(s_cycle(STREAM_MSG_WORKERS_OK, &a, &b), s_name("WORKERS_OK", "ids at its max"));
    a.ids_count = 257;
    ok(s_refused(STREAM_MSG_WORKERS_OK, &a), s_name("WORKERS_OK", "ids past its max refused"));
    a.ids_count = 1;
    a.ids[0][64] = 'x'; /* no NUL left */
    ok(s_refused(STREAM_MSG_WORKERS_OK, &a), s_name("WORKERS_OK", "ids item past its max refused"));

    s_fill_workers_ok(&a);
    a.torrents_count = 256;
    ok(s_cycle(STREAM_MSG_WORKERS_OK, &a, &b), s_name("WORKERS_OK", "torrents at its max"));
    a.torrents_count = 257;
    ok(s_refused(STREAM_MSG_WORKERS_OK, &a), s_name("WORKERS_OK", "torrents past its max refused"));

    s_fill_workers_ok(&a);
    a.peers_count = 256;
    ok(s_cycle(STREAM_MSG_WORKERS_OK, &a, &b), s_name("WORKERS_OK", "peers at its max"));
    a.peers_count = 257;
    ok(s_refused(STREAM_MSG_WORKERS_OK, &a), s_name("WORKERS_OK", "peers past its max refused"));

    s_fill_workers_ok(&a);
    a.down_bps_count = 256;
    ok(s_cycle(STREAM_MSG_WORKERS_OK, &a, &b), s_name("WORKERS_OK", "down_bps at its max"));
    a.down_bps_count = 257;
    ok(s_refused(STREAM_MSG_WORKERS_OK, &a), s_name("WORKERS_OK", "down_bps past its max refused"));

    s_fill_workers_ok(&a);
    a.up_bps_count = 256;
    ok(s_cycle(STREAM_MSG_WORKERS_OK, &a, &b), s_name("WORKERS_OK", "up_bps at its max"));
    a.up_bps_count = 257;
    ok(s_refused(STREAM_MSG_WORKERS_OK, &a), s_name("WORKERS_OK", "up_bps past its max refused"));

    s_fill_workers_ok(&a);
    a.free_cache_bytes_count = 256;
    ok(s_cycle(STREAM_MSG_WORKERS_OK, &a, &b), s_name("WORKERS_OK", "free_cache_bytes at its max"));
    a.free_cache_bytes_count = 257;
    ok(s_refused(STREAM_MSG_WORKERS_OK, &a),
       s_name("WORKERS_OK", "free_cache_bytes past its max refused"));

    s_fill_workers_ok(&a);
    a.streams_count = 256;
    ok(s_cycle(STREAM_MSG_WORKERS_OK, &a, &b), s_name("WORKERS_OK", "streams at its max"));
    a.streams_count = 257;
    ok(s_refused(STREAM_MSG_WORKERS_OK, &a), s_name("WORKERS_OK", "streams past its max refused"));

    s_fill_workers_ok(&a);
    a.draining_count = 256;
    ok(s_cycle(STREAM_MSG_WORKERS_OK, &a, &b), s_name("WORKERS_OK", "draining at its max"));
    a.draining_count = 257;
    ok(s_refused(STREAM_MSG_WORKERS_OK, &a), s_name("WORKERS_OK", "draining past its max refused"));
}

/* --- METADATA --- */

/* The schema's test values. */
static void s_fill_metadata(struct stream_metadata *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->info_hash, "0123456789abcdef0123456789abcdef01234567", 40);
    memcpy(m->magnet, "magnet:\?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", 60);
    m->timeout_ms = 60000;
}

static void s_test_metadata(cm_buf_t *enc)
{
    struct stream_metadata a, b;

    s_fill_metadata(&a);
    s_round_trip(STREAM_MSG_METADATA, &a, &b, enc);
    is_str(b.info_hash, a.info_hash, s_name("METADATA", "info_hash"));
    is_str(b.magnet, a.magnet, s_name("METADATA", "magnet"));
    ok(b.timeout_ms == a.timeout_ms, s_name("METADATA", "timeout_ms"));
    s_golden(enc, "METADATA");
    s_print(STREAM_MSG_METADATA, &b);

    s_fill_metadata(&a);
    memset(a.info_hash, 'x', 40);
    ok(s_cycle(STREAM_MSG_METADATA, &a, &b), s_name("METADATA", "info_hash at its max"));
    a.info_hash[40] = 'x'; /* no NUL left */
    ok(s_refused(STREAM_MSG_METADATA, &a), s_name("METADATA", "info_hash past its max refused"));
    memcpy(a.info_hash, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(STREAM_MSG_METADATA, &a), s_name("METADATA", "info_hash not UTF-8 refused"));

    s_fill_metadata(&a);
    memset(a.magnet, 'x', 65536);
    ok(s_cycle(STREAM_MSG_METADATA, &a, &b), s_name("METADATA", "magnet at its max"));
    a.magnet[65536] = 'x'; /* no NUL left */
    ok(s_refused(STREAM_MSG_METADATA, &a), s_name("METADATA", "magnet past its max refused"));
    memcpy(a.magnet, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(STREAM_MSG_METADATA, &a), s_name("METADATA", "magnet not UTF-8 refused"));
}

/* --- METADATA_OK --- */

/* The schema's test values. */
static void s_fill_metadata_ok(struct stream_metadata_ok *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->info_hash, "0123456789abcdef0123456789abcdef01234567", 40);
    m->torrent.data = "d4:infod4:name1:aee";
    m->torrent.len = 19;
    memcpy(m->worker, "worker-1", 8);
    memcpy(m->name, "Big Buck Bunny", 14);
    m->files = 3;
    m->total_bytes = UINT64_C(276445467);
}

static void s_test_metadata_ok(cm_buf_t *enc)
{
    struct stream_metadata_ok a, b;

    s_fill_metadata_ok(&a);
    s_round_trip(STREAM_MSG_METADATA_OK, &a, &b, enc);
    is_str(b.info_hash, a.info_hash, s_name("METADATA_OK", "info_hash"));
    ok(s_iov_eq(&b.torrent, &a.torrent), s_name("METADATA_OK", "torrent"));
    is_str(b.worker, a.worker, s_name("METADATA_OK", "worker"));
    is_str(b.name, a.name, s_name("METADATA_OK", "name"));
    ok(b.files == a.files, s_name("METADATA_OK", "files"));
    ok(b.total_bytes == a.total_bytes, s_name("METADATA_OK", "total_bytes"));
    s_golden(enc, "METADATA_OK");
    s_print(STREAM_MSG_METADATA_OK, &b);

    s_fill_metadata_ok(&a);
    memset(a.info_hash, 'x', 40);
    ok(s_cycle(STREAM_MSG_METADATA_OK, &a, &b), s_name("METADATA_OK", "info_hash at its max"));
    a.info_hash[40] = 'x'; /* no NUL left */
    ok(s_refused(STREAM_MSG_METADATA_OK, &a),
       s_name("METADATA_OK", "info_hash past its max refused"));
    memcpy(a.info_hash, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(STREAM_MSG_METADATA_OK, &a), s_name("METADATA_OK", "info_hash not UTF-8 refused"));

    s_fill_metadata_ok(&a);
    a.torrent.data = s_zeros;
    a.torrent.len = 16777216;
    ok(s_cycle(STREAM_MSG_METADATA_OK, &a, &b), s_name("METADATA_OK", "torrent at its max"));
    a.torrent.len = 16777217;
    ok(s_refused(STREAM_MSG_METADATA_OK, &a),
       s_name("METADATA_OK", "torrent past its max refused"));
    a.torrent.data = NULL;
    a.torrent.len = 1;
    ok(s_refused(STREAM_MSG_METADATA_OK, &a),
       s_name("METADATA_OK", "torrent without data refused"));

    s_fill_metadata_ok(&a);
    memset(a.worker, 'x', 64);
    ok(s_cycle(STREAM_MSG_METADATA_OK, &a, &b), s_name("METADATA_OK", "worker at its max"));
    a.worker[64] = 'x'; /* no NUL left */
    ok(s_refused(STREAM_MSG_METADATA_OK, &a), s_name("METADATA_OK", "worker past its max refused"));
    memcpy(a.worker, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(STREAM_MSG_METADATA_OK, &a), s_name("METADATA_OK", "worker not UTF-8 refused"));

    s_fill_metadata_ok(&a);
    memset(a.name, 'x', 1024);
    ok(s_cycle(STREAM_MSG_METADATA_OK, &a, &b), s_name("METADATA_OK", "name at its max"));
    a.name[1024] = 'x'; /* no NUL left */
    ok(s_refused(STREAM_MSG_METADATA_OK, &a), s_name("METADATA_OK", "name past its max refused"));
    memcpy(a.name, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(STREAM_MSG_METADATA_OK, &a), s_name("METADATA_OK", "name not UTF-8 refused"));
}

/* --- SCRAPE --- */

/* The schema's test values. */
static void s_fill_scrape(struct stream_scrape *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->info_hash, "0123456789abcdef0123456789abcdef01234567", 40);
    memcpy(m->trackers[0], "udp://tracker.example:1337/announce", 35);
    m->trackers_count = 1;
    m->timeout_ms = 10000;
}

static void s_test_scrape(cm_buf_t *enc)
{
    struct stream_scrape a, b;

    s_fill_scrape(&a);
    s_round_trip(STREAM_MSG_SCRAPE, &a, &b, enc);
    is_str(b.info_hash, a.info_hash, s_name("SCRAPE", "info_hash"));
    is_int(b.trackers_count, a.trackers_count, s_name("SCRAPE", "trackers_count"));
    ok(SAME_ARRAY(b.trackers, a.trackers), s_name("SCRAPE", "trackers"));
    ok(b.timeout_ms == a.timeout_ms, s_name("SCRAPE", "timeout_ms"));
    s_golden(enc, "SCRAPE");
    s_print(STREAM_MSG_SCRAPE, &b);

    s_fill_scrape(&a);
    memset(a.info_hash, 'x', 40);
    ok(s_cycle(STREAM_MSG_SCRAPE, &a, &b), s_name("SCRAPE", "info_hash at its max"));
    a.info_hash[40] = 'x'; /* no NUL left */
    ok(s_refused(STREAM_MSG_SCRAPE, &a), s_name("SCRAPE", "info_hash past its max refused"));
    memcpy(a.info_hash, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(STREAM_MSG_SCRAPE, &a), s_name("SCRAPE", "info_hash not UTF-8 refused"));

    s_fill_scrape(&a);
    for (uint32_t i = 0; i < 32; i++)
        memset(a.trackers[i], 'x', 1024);
    a.trackers_count = 32;
    ok(s_cycle(STREAM_MSG_SCRAPE, &a, &b), s_name("SCRAPE", "trackers at its max"));
    a.trackers_count = 33;
    ok(s_refused(STREAM_MSG_SCRAPE, &a), s_name("SCRAPE", "trackers past its max refused"));
    a.trackers_count = 1;
    a.trackers[0][1024] = 'x'; /* no NUL left */
    ok(s_refused(STREAM_MSG_SCRAPE, &a), s_name("SCRAPE", "trackers item past its max refused"));
}

/* --- SCRAPE_OK --- */

/* The schema's test values. */
static void s_fill_scrape_ok(struct stream_scrape_ok *m)
{
    memset(m, 0, sizeof(*m));
    m->seeders = 12;
    m->leechers = 3;
    m->completed = 1234;
    m->answered = 2;
    m->asked = 3;
    memcpy(m->worker, "worker-1", 8);
}

static void s_test_scrape_ok(cm_buf_t *enc)
{
    struct stream_scrape_ok a, b;

    s_fill_scrape_ok(&a);
    s_round_trip(STREAM_MSG_SCRAPE_OK, &a, &b, enc);
    ok(b.seeders == a.seeders, s_name("SCRAPE_OK", "seeders"));
    ok(b.leechers == a.leechers, s_name("SCRAPE_OK", "leechers"));
    ok(b.completed == a.completed, s_name("SCRAPE_OK", "completed"));
    ok(b.answered == a.answered, s_name("SCRAPE_OK", "answered"));
    ok(b.asked == a.asked, s_name("SCRAPE_OK", "asked"));
    is_str(b.worker, a.worker, s_name("SCRAPE_OK", "worker"));
    s_golden(enc, "SCRAPE_OK");
    s_print(STREAM_MSG_SCRAPE_OK, &b);

    s_fill_scrape_ok(&a);
    memset(a.worker, 'x', 64);
    ok(s_cycle(STREAM_MSG_SCRAPE_OK, &a, &b), s_name("SCRAPE_OK", "worker at its max"));
    a.worker[64] = 'x'; /* no NUL left */
    ok(s_refused(STREAM_MSG_SCRAPE_OK, &a), s_name("SCRAPE_OK", "worker past its max refused"));
    memcpy(a.worker, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(STREAM_MSG_SCRAPE_OK, &a), s_name("SCRAPE_OK", "worker not UTF-8 refused"));
}

/* --- SWARM_GATE --- */

/* The schema's test values. */
static void s_fill_swarm_gate(struct stream_swarm_gate *m)
{
    memset(m, 0, sizeof(*m));
    m->paused = true;
    memcpy(m->reason, "interface wg0 is down", 21);
}

static void s_test_swarm_gate(cm_buf_t *enc)
{
    struct stream_swarm_gate a, b;

    s_fill_swarm_gate(&a);
    s_round_trip(STREAM_MSG_SWARM_GATE, &a, &b, enc);
    ok(b.paused == a.paused, s_name("SWARM_GATE", "paused"));
    is_str(b.reason, a.reason, s_name("SWARM_GATE", "reason"));
    s_golden(enc, "SWARM_GATE");
    s_print(STREAM_MSG_SWARM_GATE, &b);

    s_fill_swarm_gate(&a);
    memset(a.reason, 'x', 256);
    ok(s_cycle(STREAM_MSG_SWARM_GATE, &a, &b), s_name("SWARM_GATE", "reason at its max"));
    a.reason[256] = 'x'; /* no NUL left */
    ok(s_refused(STREAM_MSG_SWARM_GATE, &a), s_name("SWARM_GATE", "reason past its max refused"));
    memcpy(a.reason, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(STREAM_MSG_SWARM_GATE, &a), s_name("SWARM_GATE", "reason not UTF-8 refused"));
}

/* --- SWARM_GATE_OK --- */

/* The schema's test values. */
static void s_fill_swarm_gate_ok(struct stream_swarm_gate_ok *m)
{
    memset(m, 0, sizeof(*m));
    m->workers = 2;
}

static void s_test_swarm_gate_ok(cm_buf_t *enc)
{
    struct stream_swarm_gate_ok a, b;

    s_fill_swarm_gate_ok(&a);
    s_round_trip(STREAM_MSG_SWARM_GATE_OK, &a, &b, enc);
    ok(b.workers == a.workers, s_name("SWARM_GATE_OK", "workers"));
    s_golden(enc, "SWARM_GATE_OK");
    s_print(STREAM_MSG_SWARM_GATE_OK, &b);
}

/* --- Protocol --- */

static void s_test_protocol(void)
{
    union stream_msg u;
    cm_buf_t *enc = cm_buf_new(64);

    memset(&u, 0, sizeof(u));
    is_int(stream_proto.id, STREAM_PROTO, "stream: protocol number");
    is_int(stream_proto.version, STREAM_VERSION, "stream: version");
    is_str(stream_proto.name, "stream", "stream: name");
    is_int(stream_proto.nmsgs, 12, "stream: 12 messages");
    const struct cm_proto_msg *d = cm_proto_find(&stream_proto, STREAM_MSG_SESSIONS);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "SESSIONS: descriptor");
    is_str(stream_msg_name(STREAM_MSG_SESSIONS), "SESSIONS", "SESSIONS: name");
    d = cm_proto_find(&stream_proto, STREAM_MSG_SESSIONS_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "SESSIONS_OK: descriptor");
    is_str(stream_msg_name(STREAM_MSG_SESSIONS_OK), "SESSIONS_OK", "SESSIONS_OK: name");
    d = cm_proto_find(&stream_proto, STREAM_MSG_SESSION_END);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "SESSION_END: descriptor");
    is_str(stream_msg_name(STREAM_MSG_SESSION_END), "SESSION_END", "SESSION_END: name");
    d = cm_proto_find(&stream_proto, STREAM_MSG_SESSION_END_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "SESSION_END_OK: descriptor");
    is_str(stream_msg_name(STREAM_MSG_SESSION_END_OK), "SESSION_END_OK", "SESSION_END_OK: name");
    d = cm_proto_find(&stream_proto, STREAM_MSG_WORKERS);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "WORKERS: descriptor");
    is_str(stream_msg_name(STREAM_MSG_WORKERS), "WORKERS", "WORKERS: name");
    d = cm_proto_find(&stream_proto, STREAM_MSG_WORKERS_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "WORKERS_OK: descriptor");
    is_str(stream_msg_name(STREAM_MSG_WORKERS_OK), "WORKERS_OK", "WORKERS_OK: name");
    d = cm_proto_find(&stream_proto, STREAM_MSG_METADATA);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "METADATA: descriptor");
    is_str(stream_msg_name(STREAM_MSG_METADATA), "METADATA", "METADATA: name");
    d = cm_proto_find(&stream_proto, STREAM_MSG_METADATA_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "METADATA_OK: descriptor");
    is_str(stream_msg_name(STREAM_MSG_METADATA_OK), "METADATA_OK", "METADATA_OK: name");
    d = cm_proto_find(&stream_proto, STREAM_MSG_SCRAPE);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "SCRAPE: descriptor");
    is_str(stream_msg_name(STREAM_MSG_SCRAPE), "SCRAPE", "SCRAPE: name");
    d = cm_proto_find(&stream_proto, STREAM_MSG_SCRAPE_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "SCRAPE_OK: descriptor");
    is_str(stream_msg_name(STREAM_MSG_SCRAPE_OK), "SCRAPE_OK", "SCRAPE_OK: name");
    d = cm_proto_find(&stream_proto, STREAM_MSG_SWARM_GATE);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "SWARM_GATE: descriptor");
    is_str(stream_msg_name(STREAM_MSG_SWARM_GATE), "SWARM_GATE", "SWARM_GATE: name");
    d = cm_proto_find(&stream_proto, STREAM_MSG_SWARM_GATE_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "SWARM_GATE_OK: descriptor");
    is_str(stream_msg_name(STREAM_MSG_SWARM_GATE_OK), "SWARM_GATE_OK", "SWARM_GATE_OK: name");
    is_str(stream_msg_name(13), "?", "stream: unknown id has no name");
    is_str(stream_msg_name(-1), "?", "stream: negative id has no name");
    is_int(stream_msg_decode(13, &u, "\x80", 1), -1, "stream: unknown id: no decode");
    is_int(stream_msg_encode(13, &u, enc), -1, "stream: unknown id: no encode");
    cm_buf_destroy(&enc);
}

int main(void)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);

    s_test_protocol();
    s_test_sessions(enc);
    s_test_sessions_ok(enc);
    s_test_session_end(enc);
    s_test_session_end_ok(enc);
    s_test_workers(enc);
    s_test_workers_ok(enc);
    s_test_metadata(enc);
    s_test_metadata_ok(enc);
    s_test_scrape(enc);
    s_test_scrape_ok(enc);
    s_test_swarm_gate(enc);
    s_test_swarm_gate_ok(enc);
    cm_buf_destroy(&enc);
    return done_testing();
}
