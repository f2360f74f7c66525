/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/torrent.toml
 * SPDX-License-Identifier: MIT
 * Tests of the torrent codecs: each message is built from its schema test values, encoded,
 * decoded, compared field by field, re-encoded and compared byte for byte (zproto's self-test),
 * compared with its golden encoding in tests/proto/golden/torrent/ and printed. Each str, bin,
 * list and map field is also tried at its max and past it. Run from the repository root. */
#include "cm.h"
#include "torrent_msg.h"
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

/* Compare an encoding with tests/proto/golden/torrent/<msg>.mp, written by `make proto-golden`
 * from the schema with the generator's own msgpack encoder. */
static void s_golden(const cm_buf_t *enc, const char *msg)
{
    char path[256];
    cm_buf_t *want = cm_buf_new(TEST_BUF_CAP);

    snprintf(path, sizeof(path), "tests/proto/golden/torrent/%s.mp", msg);
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
    const char *msg = torrent_msg_name(id);
    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);

    cm_buf_reset(enc);
    is_int(torrent_msg_encode(id, a, enc), 0, s_name(msg, "encodes"));
    int rc = torrent_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc));
    is_int(rc, 0, s_name(msg, "decodes"));
    is_int(torrent_msg_encode(id, b, again), 0, s_name(msg, "re-encodes"));
    ok(s_same(enc, again), s_name(msg, "re-encoding is identical"));
    cm_buf_destroy(&again);
}

/* The same without TAP output: true when every step passed. */
static bool s_cycle(int id, const void *a, void *b)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);
    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);
    bool pass = torrent_msg_encode(id, a, enc) == 0 &&
                torrent_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc)) == 0 &&
                torrent_msg_encode(id, b, again) == 0 && s_same(enc, again);
    cm_buf_destroy(&again);
    cm_buf_destroy(&enc);
    return pass;
}

/* True when encoding `a` is refused. */
static bool s_refused(int id, const void *a)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);
    bool refused = torrent_msg_encode(id, a, enc) == -1;
    cm_buf_destroy(&enc);
    return refused;
}

/* print writes exactly one line, starting with the protocol and message names. */
static void s_print(int id, const void *m)
{
    static char text[TEST_PRINT_MAX];
    const char *msg = torrent_msg_name(id);
    char want[64];

    memset(text, 0, sizeof(text));
    FILE *f = fmemopen(text, sizeof(text) - 1, "w");
    if (!ok(f != NULL, s_name(msg, "fmemopen")))
        return;
    torrent_msg_print(id, m, f);
    fclose(f);
    snprintf(want, sizeof(want), "torrent.%s", msg);
    size_t len = strlen(text);
    bool line = len > 0 && strchr(text, '\n') == text + len - 1;
    ok(line && strncmp(text, want, strlen(want)) == 0, s_name(msg, "prints one line"));
    diag("%.*s", (int)strcspn(text, "\n"), text);
}

/* --- READY --- */

/* The schema's test values. */
static void s_fill_ready(struct torrent_ready *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->worker_id, "worker-1", 8);
    memcpy(m->version, "0.1.0", 5);
    m->capacity = 8;
    m->free_cache_bytes = UINT64_C(10737418240);
    memcpy(m->cache_dir, "/var/cache/marquee", 18);
    memcpy(m->local_token, "00112233445566778899aabbccddeeff", 32);
}

static void s_test_ready(cm_buf_t *enc)
{
    struct torrent_ready a, b;

    s_fill_ready(&a);
    s_round_trip(TORRENT_MSG_READY, &a, &b, enc);
    is_str(b.worker_id, a.worker_id, s_name("READY", "worker_id"));
    is_str(b.version, a.version, s_name("READY", "version"));
    ok(b.capacity == a.capacity, s_name("READY", "capacity"));
    ok(b.free_cache_bytes == a.free_cache_bytes, s_name("READY", "free_cache_bytes"));
    is_str(b.cache_dir, a.cache_dir, s_name("READY", "cache_dir"));
    is_str(b.local_token, a.local_token, s_name("READY", "local_token"));
    s_golden(enc, "READY");
    s_print(TORRENT_MSG_READY, &b);

    s_fill_ready(&a);
    memset(a.worker_id, 'x', 64);
    ok(s_cycle(TORRENT_MSG_READY, &a, &b), s_name("READY", "worker_id at its max"));
    a.worker_id[64] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_READY, &a), s_name("READY", "worker_id past its max refused"));
    memcpy(a.worker_id, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_READY, &a), s_name("READY", "worker_id not UTF-8 refused"));

    s_fill_ready(&a);
    memset(a.version, 'x', 32);
    ok(s_cycle(TORRENT_MSG_READY, &a, &b), s_name("READY", "version at its max"));
    a.version[32] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_READY, &a), s_name("READY", "version past its max refused"));
    memcpy(a.version, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_READY, &a), s_name("READY", "version not UTF-8 refused"));

    s_fill_ready(&a);
    memset(a.cache_dir, 'x', 1024);
    ok(s_cycle(TORRENT_MSG_READY, &a, &b), s_name("READY", "cache_dir at its max"));
    a.cache_dir[1024] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_READY, &a), s_name("READY", "cache_dir past its max refused"));
    memcpy(a.cache_dir, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_READY, &a), s_name("READY", "cache_dir not UTF-8 refused"));

    s_fill_ready(&a);
    memset(a.local_token, 'x', 64);
    ok(s_cycle(TORRENT_MSG_READY, &a, &b), s_name("READY", "local_token at its max"));
    a.local_token[64] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_READY, &a), s_name("READY", "local_token past its max refused"));
    memcpy(a.local_token, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_READY, &a), s_name("READY", "local_token not UTF-8 refused"));
}

/* --- HEARTBEAT --- */

/* The schema's test values. */
static void s_fill_heartbeat(struct torrent_heartbeat *m)
{
    memset(m, 0, sizeof(*m));
    m->torrents = 2;
    m->peers = 47;
    m->down_bps = UINT64_C(5242880);
    m->up_bps = UINT64_C(65536);
    m->free_cache_bytes = UINT64_C(10737418240);
    m->draining = true;
    m->swarm_paused = true;
}

static void s_test_heartbeat(cm_buf_t *enc)
{
    struct torrent_heartbeat a, b;

    s_fill_heartbeat(&a);
    s_round_trip(TORRENT_MSG_HEARTBEAT, &a, &b, enc);
    ok(b.torrents == a.torrents, s_name("HEARTBEAT", "torrents"));
    ok(b.peers == a.peers, s_name("HEARTBEAT", "peers"));
    ok(b.down_bps == a.down_bps, s_name("HEARTBEAT", "down_bps"));
    ok(b.up_bps == a.up_bps, s_name("HEARTBEAT", "up_bps"));
    ok(b.free_cache_bytes == a.free_cache_bytes, s_name("HEARTBEAT", "free_cache_bytes"));
    ok(b.draining == a.draining, s_name("HEARTBEAT", "draining"));
    ok(b.swarm_paused == a.swarm_paused, s_name("HEARTBEAT", "swarm_paused"));
    s_golden(enc, "HEARTBEAT");
    s_print(TORRENT_MSG_HEARTBEAT, &b);
}

/* --- METADATA --- */

/* The schema's test values. */
static void s_fill_metadata(struct torrent_metadata *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->magnet, "magnet:\?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", 60);
    m->timeout_ms = 60000;
}

static void s_test_metadata(cm_buf_t *enc)
{
    struct torrent_metadata a, b;

    s_fill_metadata(&a);
    s_round_trip(TORRENT_MSG_METADATA, &a, &b, enc);
    is_str(b.magnet, a.magnet, s_name("METADATA", "magnet"));
    ok(b.timeout_ms == a.timeout_ms, s_name("METADATA", "timeout_ms"));
    s_golden(enc, "METADATA");
    s_print(TORRENT_MSG_METADATA, &b);

    s_fill_metadata(&a);
    memset(a.magnet, 'x', 65536);
    ok(s_cycle(TORRENT_MSG_METADATA, &a, &b), s_name("METADATA", "magnet at its max"));
    a.magnet[65536] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_METADATA, &a), s_name("METADATA", "magnet past its max refused"));
    memcpy(a.magnet, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_METADATA, &a), s_name("METADATA", "magnet not UTF-8 refused"));
}

/* --- METADATA_OK --- */

/* The schema's test values. */
static void s_fill_metadata_ok(struct torrent_metadata_ok *m)
{
    memset(m, 0, sizeof(*m));
    m->torrent.data = "d4:infod4:name1:aee";
    m->torrent.len = 19;
    memcpy(m->info_hash, "0123456789abcdef0123456789abcdef01234567", 40);
    memcpy(m->name, "Big Buck Bunny", 14);
    m->files = 3;
    m->total_bytes = UINT64_C(276445467);
}

static void s_test_metadata_ok(cm_buf_t *enc)
{
    struct torrent_metadata_ok a, b;

    s_fill_metadata_ok(&a);
    s_round_trip(TORRENT_MSG_METADATA_OK, &a, &b, enc);
    ok(s_iov_eq(&b.torrent, &a.torrent), s_name("METADATA_OK", "torrent"));
    is_str(b.info_hash, a.info_hash, s_name("METADATA_OK", "info_hash"));
    is_str(b.name, a.name, s_name("METADATA_OK", "name"));
    ok(b.files == a.files, s_name("METADATA_OK", "files"));
    ok(b.total_bytes == a.total_bytes, s_name("METADATA_OK", "total_bytes"));
    s_golden(enc, "METADATA_OK");
    s_print(TORRENT_MSG_METADATA_OK, &b);

    s_fill_metadata_ok(&a);
    a.torrent.data = s_zeros;
    a.torrent.len = 16777216;
    ok(s_cycle(TORRENT_MSG_METADATA_OK, &a, &b), s_name("METADATA_OK", "torrent at its max"));
    a.torrent.len = 16777217;
    ok(s_refused(TORRENT_MSG_METADATA_OK, &a),
       s_name("METADATA_OK", "torrent past its max refused"));
    a.torrent.data = NULL;
    a.torrent.len = 1;
    ok(s_refused(TORRENT_MSG_METADATA_OK, &a),
       s_name("METADATA_OK", "torrent without data refused"));

    s_fill_metadata_ok(&a);
    memset(a.info_hash, 'x', 40);
    ok(s_cycle(TORRENT_MSG_METADATA_OK, &a, &b), s_name("METADATA_OK", "info_hash at its max"));
    a.info_hash[40] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_METADATA_OK, &a),
       s_name("METADATA_OK", "info_hash past its max refused"));
    memcpy(a.info_hash, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_METADATA_OK, &a),
       s_name("METADATA_OK", "info_hash not UTF-8 refused"));

    s_fill_metadata_ok(&a);
    memset(a.name, 'x', 1024);
    ok(s_cycle(TORRENT_MSG_METADATA_OK, &a, &b), s_name("METADATA_OK", "name at its max"));
    a.name[1024] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_METADATA_OK, &a), s_name("METADATA_OK", "name past its max refused"));
    memcpy(a.name, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_METADATA_OK, &a), s_name("METADATA_OK", "name not UTF-8 refused"));
}

/* --- SCRAPE --- */

/* The schema's test values. */
static void s_fill_scrape(struct torrent_scrape *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->info_hash, "0123456789abcdef0123456789abcdef01234567", 40);
    memcpy(m->trackers[0], "udp://tracker.example:1337/announce", 35);
    m->trackers_count = 1;
    m->timeout_ms = 10000;
}

static void s_test_scrape(cm_buf_t *enc)
{
    struct torrent_scrape a, b;

    s_fill_scrape(&a);
    s_round_trip(TORRENT_MSG_SCRAPE, &a, &b, enc);
    is_str(b.info_hash, a.info_hash, s_name("SCRAPE", "info_hash"));
    is_int(b.trackers_count, a.trackers_count, s_name("SCRAPE", "trackers_count"));
    ok(SAME_ARRAY(b.trackers, a.trackers), s_name("SCRAPE", "trackers"));
    ok(b.timeout_ms == a.timeout_ms, s_name("SCRAPE", "timeout_ms"));
    s_golden(enc, "SCRAPE");
    s_print(TORRENT_MSG_SCRAPE, &b);

    s_fill_scrape(&a);
    memset(a.info_hash, 'x', 40);
    ok(s_cycle(TORRENT_MSG_SCRAPE, &a, &b), s_name("SCRAPE", "info_hash at its max"));
    a.info_hash[40] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_SCRAPE, &a), s_name("SCRAPE", "info_hash past its max refused"));
    memcpy(a.info_hash, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_SCRAPE, &a), s_name("SCRAPE", "info_hash not UTF-8 refused"));

    s_fill_scrape(&a);
    for (uint32_t i = 0; i < 32; i++)
        memset(a.trackers[i], 'x', 1024);
    a.trackers_count = 32;
    ok(s_cycle(TORRENT_MSG_SCRAPE, &a, &b), s_name("SCRAPE", "trackers at its max"));
    a.trackers_count = 33;
    ok(s_refused(TORRENT_MSG_SCRAPE, &a), s_name("SCRAPE", "trackers past its max refused"));
    a.trackers_count = 1;
    a.trackers[0][1024] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_SCRAPE, &a), s_name("SCRAPE", "trackers item past its max refused"));
}

/* --- SCRAPE_OK --- */

/* The schema's test values. */
static void s_fill_scrape_ok(struct torrent_scrape_ok *m)
{
    memset(m, 0, sizeof(*m));
    m->seeders = 12;
    m->leechers = 3;
    m->completed = 1234;
    m->answered = 2;
    m->asked = 3;
}

static void s_test_scrape_ok(cm_buf_t *enc)
{
    struct torrent_scrape_ok a, b;

    s_fill_scrape_ok(&a);
    s_round_trip(TORRENT_MSG_SCRAPE_OK, &a, &b, enc);
    ok(b.seeders == a.seeders, s_name("SCRAPE_OK", "seeders"));
    ok(b.leechers == a.leechers, s_name("SCRAPE_OK", "leechers"));
    ok(b.completed == a.completed, s_name("SCRAPE_OK", "completed"));
    ok(b.answered == a.answered, s_name("SCRAPE_OK", "answered"));
    ok(b.asked == a.asked, s_name("SCRAPE_OK", "asked"));
    s_golden(enc, "SCRAPE_OK");
    s_print(TORRENT_MSG_SCRAPE_OK, &b);
}

/* --- STATUS --- */

/* The schema's test values. */
static void s_fill_status(struct torrent_status *m)
{
    memset(m, 0, sizeof(*m));
}

static void s_test_status(cm_buf_t *enc)
{
    struct torrent_status a, b;

    s_fill_status(&a);
    s_round_trip(TORRENT_MSG_STATUS, &a, &b, enc);
    s_golden(enc, "STATUS");
    s_print(TORRENT_MSG_STATUS, &b);
}

/* --- STATUS_OK --- */

/* The schema's test values. */
static void s_fill_status_ok(struct torrent_status_ok *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->worker_id, "worker-1", 8);
    memcpy(m->version, "0.1.0", 5);
    m->torrents = 2;
    m->peers = 47;
    m->down_bps = UINT64_C(5242880);
    m->up_bps = UINT64_C(65536);
    m->downloaded = UINT64_C(1073741824);
    m->uploaded = UINT64_C(1048576);
    m->cache_used = UINT64_C(2147483648);
    m->cache_free = UINT64_C(8589934592);
    memcpy(m->listen, "0.0.0.0:6881", 12);
    m->draining = false;
}

static void s_test_status_ok(cm_buf_t *enc)
{
    struct torrent_status_ok a, b;

    s_fill_status_ok(&a);
    s_round_trip(TORRENT_MSG_STATUS_OK, &a, &b, enc);
    is_str(b.worker_id, a.worker_id, s_name("STATUS_OK", "worker_id"));
    is_str(b.version, a.version, s_name("STATUS_OK", "version"));
    ok(b.torrents == a.torrents, s_name("STATUS_OK", "torrents"));
    ok(b.peers == a.peers, s_name("STATUS_OK", "peers"));
    ok(b.down_bps == a.down_bps, s_name("STATUS_OK", "down_bps"));
    ok(b.up_bps == a.up_bps, s_name("STATUS_OK", "up_bps"));
    ok(b.downloaded == a.downloaded, s_name("STATUS_OK", "downloaded"));
    ok(b.uploaded == a.uploaded, s_name("STATUS_OK", "uploaded"));
    ok(b.cache_used == a.cache_used, s_name("STATUS_OK", "cache_used"));
    ok(b.cache_free == a.cache_free, s_name("STATUS_OK", "cache_free"));
    is_str(b.listen, a.listen, s_name("STATUS_OK", "listen"));
    ok(b.draining == a.draining, s_name("STATUS_OK", "draining"));
    s_golden(enc, "STATUS_OK");
    s_print(TORRENT_MSG_STATUS_OK, &b);

    s_fill_status_ok(&a);
    memset(a.worker_id, 'x', 64);
    ok(s_cycle(TORRENT_MSG_STATUS_OK, &a, &b), s_name("STATUS_OK", "worker_id at its max"));
    a.worker_id[64] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_STATUS_OK, &a), s_name("STATUS_OK", "worker_id past its max refused"));
    memcpy(a.worker_id, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_STATUS_OK, &a), s_name("STATUS_OK", "worker_id not UTF-8 refused"));

    s_fill_status_ok(&a);
    memset(a.version, 'x', 32);
    ok(s_cycle(TORRENT_MSG_STATUS_OK, &a, &b), s_name("STATUS_OK", "version at its max"));
    a.version[32] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_STATUS_OK, &a), s_name("STATUS_OK", "version past its max refused"));
    memcpy(a.version, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_STATUS_OK, &a), s_name("STATUS_OK", "version not UTF-8 refused"));

    s_fill_status_ok(&a);
    memset(a.listen, 'x', 64);
    ok(s_cycle(TORRENT_MSG_STATUS_OK, &a, &b), s_name("STATUS_OK", "listen at its max"));
    a.listen[64] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_STATUS_OK, &a), s_name("STATUS_OK", "listen past its max refused"));
    memcpy(a.listen, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_STATUS_OK, &a), s_name("STATUS_OK", "listen not UTF-8 refused"));
}

/* --- OPEN --- */

/* The schema's test values. */
static void s_fill_open(struct torrent_open *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->info_hash, "0123456789abcdef0123456789abcdef01234567", 40);
    m->torrent.data = "d4:infod4:name1:aee";
    m->torrent.len = 19;
    memcpy(m->magnet, "magnet:\?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", 60);
    m->timeout_ms = 30000;
}

static void s_test_open(cm_buf_t *enc)
{
    struct torrent_open a, b;

    s_fill_open(&a);
    s_round_trip(TORRENT_MSG_OPEN, &a, &b, enc);
    is_str(b.info_hash, a.info_hash, s_name("OPEN", "info_hash"));
    ok(s_iov_eq(&b.torrent, &a.torrent), s_name("OPEN", "torrent"));
    is_str(b.magnet, a.magnet, s_name("OPEN", "magnet"));
    ok(b.timeout_ms == a.timeout_ms, s_name("OPEN", "timeout_ms"));
    s_golden(enc, "OPEN");
    s_print(TORRENT_MSG_OPEN, &b);

    s_fill_open(&a);
    memset(a.info_hash, 'x', 40);
    ok(s_cycle(TORRENT_MSG_OPEN, &a, &b), s_name("OPEN", "info_hash at its max"));
    a.info_hash[40] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_OPEN, &a), s_name("OPEN", "info_hash past its max refused"));
    memcpy(a.info_hash, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_OPEN, &a), s_name("OPEN", "info_hash not UTF-8 refused"));

    s_fill_open(&a);
    a.torrent.data = s_zeros;
    a.torrent.len = 16777216;
    ok(s_cycle(TORRENT_MSG_OPEN, &a, &b), s_name("OPEN", "torrent at its max"));
    a.torrent.len = 16777217;
    ok(s_refused(TORRENT_MSG_OPEN, &a), s_name("OPEN", "torrent past its max refused"));
    a.torrent.data = NULL;
    a.torrent.len = 1;
    ok(s_refused(TORRENT_MSG_OPEN, &a), s_name("OPEN", "torrent without data refused"));

    s_fill_open(&a);
    memset(a.magnet, 'x', 65536);
    ok(s_cycle(TORRENT_MSG_OPEN, &a, &b), s_name("OPEN", "magnet at its max"));
    a.magnet[65536] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_OPEN, &a), s_name("OPEN", "magnet past its max refused"));
    memcpy(a.magnet, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_OPEN, &a), s_name("OPEN", "magnet not UTF-8 refused"));
}

/* --- OPEN_OK --- */

/* The schema's test values. */
static void s_fill_open_ok(struct torrent_open_ok *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->info_hash, "0123456789abcdef0123456789abcdef01234567", 40);
    memcpy(m->name, "Big Buck Bunny", 14);
    m->piece_length = 262144;
    m->total_bytes = UINT64_C(276445467);
    memcpy(m->file_paths[0], "Big Buck Bunny/bbb.mp4", 22);
    m->file_paths_count = 1;
    m->file_sizes[0] = UINT64_C(276445467);
    m->file_sizes_count = 1;
    m->torrent.data = "d4:infod4:name1:aee";
    m->torrent.len = 19;
    m->files_total = 1;
}

static void s_test_open_ok(cm_buf_t *enc)
{
    struct torrent_open_ok a, b;

    s_fill_open_ok(&a);
    s_round_trip(TORRENT_MSG_OPEN_OK, &a, &b, enc);
    is_str(b.info_hash, a.info_hash, s_name("OPEN_OK", "info_hash"));
    is_str(b.name, a.name, s_name("OPEN_OK", "name"));
    ok(b.piece_length == a.piece_length, s_name("OPEN_OK", "piece_length"));
    ok(b.total_bytes == a.total_bytes, s_name("OPEN_OK", "total_bytes"));
    is_int(b.file_paths_count, a.file_paths_count, s_name("OPEN_OK", "file_paths_count"));
    ok(SAME_ARRAY(b.file_paths, a.file_paths), s_name("OPEN_OK", "file_paths"));
    is_int(b.file_sizes_count, a.file_sizes_count, s_name("OPEN_OK", "file_sizes_count"));
    ok(SAME_ARRAY(b.file_sizes, a.file_sizes), s_name("OPEN_OK", "file_sizes"));
    ok(s_iov_eq(&b.torrent, &a.torrent), s_name("OPEN_OK", "torrent"));
    ok(b.files_total == a.files_total, s_name("OPEN_OK", "files_total"));
    s_golden(enc, "OPEN_OK");
    s_print(TORRENT_MSG_OPEN_OK, &b);

    s_fill_open_ok(&a);
    memset(a.info_hash, 'x', 40);
    ok(s_cycle(TORRENT_MSG_OPEN_OK, &a, &b), s_name("OPEN_OK", "info_hash at its max"));
    a.info_hash[40] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_OPEN_OK, &a), s_name("OPEN_OK", "info_hash past its max refused"));
    memcpy(a.info_hash, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_OPEN_OK, &a), s_name("OPEN_OK", "info_hash not UTF-8 refused"));

    s_fill_open_ok(&a);
    memset(a.name, 'x', 1024);
    ok(s_cycle(TORRENT_MSG_OPEN_OK, &a, &b), s_name("OPEN_OK", "name at its max"));
    a.name[1024] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_OPEN_OK, &a), s_name("OPEN_OK", "name past its max refused"));
    memcpy(a.name, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_OPEN_OK, &a), s_name("OPEN_OK", "name not UTF-8 refused"));

    s_fill_open_ok(&a);
    for (uint32_t i = 0; i < 1000; i++)
        memset(a.file_paths[i], 'x', 512);
    a.file_paths_count = 1000;
    ok(s_cycle(TORRENT_MSG_OPEN_OK, &a, &b), s_name("OPEN_OK", "file_paths at its max"));
    a.file_paths_count = 1001;
    ok(s_refused(TORRENT_MSG_OPEN_OK, &a), s_name("OPEN_OK", "file_paths past its max refused"));
    a.file_paths_count = 1;
    a.file_paths[0][512] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_OPEN_OK, &a),
       s_name("OPEN_OK", "file_paths item past its max refused"));

    s_fill_open_ok(&a);
    a.file_sizes_count = 1000;
    ok(s_cycle(TORRENT_MSG_OPEN_OK, &a, &b), s_name("OPEN_OK", "file_sizes at its max"));
    a.file_sizes_count = 1001;
    ok(s_refused(TORRENT_MSG_OPEN_OK, &a), s_name("OPEN_OK", "file_sizes past its max refused"));

    s_fill_open_ok(&a);
    a.torrent.data = s_zeros;
    a.torrent.len = 16777216;
    ok(s_cycle(TORRENT_MSG_OPEN_OK, &a, &b), s_name("OPEN_OK", "torrent at its max"));
    a.torrent.len = 16777217;
    ok(s_refused(TORRENT_MSG_OPEN_OK, &a), s_name("OPEN_OK", "torrent past its max refused"));
    a.torrent.data = NULL;
    a.torrent.len = 1;
    ok(s_refused(TORRENT_MSG_OPEN_OK, &a), s_name("OPEN_OK", "torrent without data refused"));
}

/* --- READ --- */

/* The schema's test values. */
static void s_fill_read(struct torrent_read *m)
{
    memset(m, 0, sizeof(*m));
    m->stream_id = UINT64_C(77);
    memcpy(m->info_hash, "0123456789abcdef0123456789abcdef01234567", 40);
    m->file = 0;
    m->offset = UINT64_C(1048576);
    m->length = UINT64_C(4194304);
    m->credit = UINT64_C(1048576);
    m->local = false;
}

static void s_test_read(cm_buf_t *enc)
{
    struct torrent_read a, b;

    s_fill_read(&a);
    s_round_trip(TORRENT_MSG_READ, &a, &b, enc);
    ok(b.stream_id == a.stream_id, s_name("READ", "stream_id"));
    is_str(b.info_hash, a.info_hash, s_name("READ", "info_hash"));
    ok(b.file == a.file, s_name("READ", "file"));
    ok(b.offset == a.offset, s_name("READ", "offset"));
    ok(b.length == a.length, s_name("READ", "length"));
    ok(b.credit == a.credit, s_name("READ", "credit"));
    ok(b.local == a.local, s_name("READ", "local"));
    s_golden(enc, "READ");
    s_print(TORRENT_MSG_READ, &b);

    s_fill_read(&a);
    memset(a.info_hash, 'x', 40);
    ok(s_cycle(TORRENT_MSG_READ, &a, &b), s_name("READ", "info_hash at its max"));
    a.info_hash[40] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_READ, &a), s_name("READ", "info_hash past its max refused"));
    memcpy(a.info_hash, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_READ, &a), s_name("READ", "info_hash not UTF-8 refused"));
}

/* --- CHUNK --- */

/* The schema's test values. */
static void s_fill_chunk(struct torrent_chunk *m)
{
    memset(m, 0, sizeof(*m));
    m->stream_id = UINT64_C(77);
    m->offset = UINT64_C(1048576);
}

static void s_test_chunk(cm_buf_t *enc)
{
    struct torrent_chunk a, b;

    s_fill_chunk(&a);
    s_round_trip(TORRENT_MSG_CHUNK, &a, &b, enc);
    ok(b.stream_id == a.stream_id, s_name("CHUNK", "stream_id"));
    ok(b.offset == a.offset, s_name("CHUNK", "offset"));
    s_golden(enc, "CHUNK");
    s_print(TORRENT_MSG_CHUNK, &b);
}

/* --- READ_END --- */

/* The schema's test values. */
static void s_fill_read_end(struct torrent_read_end *m)
{
    memset(m, 0, sizeof(*m));
    m->stream_id = UINT64_C(77);
    m->status = 0;
}

static void s_test_read_end(cm_buf_t *enc)
{
    struct torrent_read_end a, b;

    s_fill_read_end(&a);
    s_round_trip(TORRENT_MSG_READ_END, &a, &b, enc);
    ok(b.stream_id == a.stream_id, s_name("READ_END", "stream_id"));
    ok(b.status == a.status, s_name("READ_END", "status"));
    is_str(b.reason, a.reason, s_name("READ_END", "reason"));
    s_golden(enc, "READ_END");
    s_print(TORRENT_MSG_READ_END, &b);

    s_fill_read_end(&a);
    memset(a.reason, 'x', 256);
    ok(s_cycle(TORRENT_MSG_READ_END, &a, &b), s_name("READ_END", "reason at its max"));
    a.reason[256] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_READ_END, &a), s_name("READ_END", "reason past its max refused"));
    memcpy(a.reason, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_READ_END, &a), s_name("READ_END", "reason not UTF-8 refused"));
}

/* --- STREAM_CREDIT --- */

/* The schema's test values. */
static void s_fill_stream_credit(struct torrent_stream_credit *m)
{
    memset(m, 0, sizeof(*m));
    m->stream_id = UINT64_C(77);
    m->bytes = UINT64_C(1048576);
}

static void s_test_stream_credit(cm_buf_t *enc)
{
    struct torrent_stream_credit a, b;

    s_fill_stream_credit(&a);
    s_round_trip(TORRENT_MSG_STREAM_CREDIT, &a, &b, enc);
    ok(b.stream_id == a.stream_id, s_name("STREAM_CREDIT", "stream_id"));
    ok(b.bytes == a.bytes, s_name("STREAM_CREDIT", "bytes"));
    s_golden(enc, "STREAM_CREDIT");
    s_print(TORRENT_MSG_STREAM_CREDIT, &b);
}

/* --- CLOSE --- */

/* The schema's test values. */
static void s_fill_close(struct torrent_close *m)
{
    memset(m, 0, sizeof(*m));
    m->stream_id = UINT64_C(77);
}

static void s_test_close(cm_buf_t *enc)
{
    struct torrent_close a, b;

    s_fill_close(&a);
    s_round_trip(TORRENT_MSG_CLOSE, &a, &b, enc);
    ok(b.stream_id == a.stream_id, s_name("CLOSE", "stream_id"));
    s_golden(enc, "CLOSE");
    s_print(TORRENT_MSG_CLOSE, &b);
}

/* --- CHUNK_LOCAL --- */

/* The schema's test values. */
static void s_fill_chunk_local(struct torrent_chunk_local *m)
{
    memset(m, 0, sizeof(*m));
    m->stream_id = UINT64_C(77);
    m->offset = UINT64_C(1048576);
    m->length = UINT64_C(4194304);
    memcpy(m->path, "0123456789abcdef0123456789abcdef01234567/Big Buck Bunny/bbb.mp4", 63);
}

static void s_test_chunk_local(cm_buf_t *enc)
{
    struct torrent_chunk_local a, b;

    s_fill_chunk_local(&a);
    s_round_trip(TORRENT_MSG_CHUNK_LOCAL, &a, &b, enc);
    ok(b.stream_id == a.stream_id, s_name("CHUNK_LOCAL", "stream_id"));
    ok(b.offset == a.offset, s_name("CHUNK_LOCAL", "offset"));
    ok(b.length == a.length, s_name("CHUNK_LOCAL", "length"));
    is_str(b.path, a.path, s_name("CHUNK_LOCAL", "path"));
    s_golden(enc, "CHUNK_LOCAL");
    s_print(TORRENT_MSG_CHUNK_LOCAL, &b);

    s_fill_chunk_local(&a);
    memset(a.path, 'x', 4096);
    ok(s_cycle(TORRENT_MSG_CHUNK_LOCAL, &a, &b), s_name("CHUNK_LOCAL", "path at its max"));
    a.path[4096] = 'x'; /* no NUL left */
    ok(s_refused(TORRENT_MSG_CHUNK_LOCAL, &a), s_name("CHUNK_LOCAL", "path past its max refused"));
    memcpy(a.path, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TORRENT_MSG_CHUNK_LOCAL, &a), s_name("CHUNK_LOCAL", "path not UTF-8 refused"));
}

/* --- Protocol --- */

static void s_test_protocol(void)
{
    union torrent_msg u;
    cm_buf_t *enc = cm_buf_new(64);

    memset(&u, 0, sizeof(u));
    is_int(torrent_proto.id, TORRENT_PROTO, "torrent: protocol number");
    is_int(torrent_proto.version, TORRENT_VERSION, "torrent: version");
    is_str(torrent_proto.name, "torrent", "torrent: name");
    is_int(torrent_proto.nmsgs, 16, "torrent: 16 messages");
    const struct cm_proto_msg *d = cm_proto_find(&torrent_proto, TORRENT_MSG_READY);
    ok(d && d->kind == CM_MSG_EVENT && d->payload == 0, "READY: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_READY), "READY", "READY: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_HEARTBEAT);
    ok(d && d->kind == CM_MSG_EVENT && d->payload == 0, "HEARTBEAT: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_HEARTBEAT), "HEARTBEAT", "HEARTBEAT: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_METADATA);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "METADATA: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_METADATA), "METADATA", "METADATA: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_METADATA_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "METADATA_OK: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_METADATA_OK), "METADATA_OK", "METADATA_OK: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_SCRAPE);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "SCRAPE: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_SCRAPE), "SCRAPE", "SCRAPE: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_SCRAPE_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "SCRAPE_OK: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_SCRAPE_OK), "SCRAPE_OK", "SCRAPE_OK: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_STATUS);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "STATUS: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_STATUS), "STATUS", "STATUS: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_STATUS_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "STATUS_OK: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_STATUS_OK), "STATUS_OK", "STATUS_OK: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_OPEN);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "OPEN: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_OPEN), "OPEN", "OPEN: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_OPEN_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "OPEN_OK: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_OPEN_OK), "OPEN_OK", "OPEN_OK: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_READ);
    ok(d && d->kind == CM_MSG_EVENT && d->payload == 0, "READ: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_READ), "READ", "READ: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_CHUNK);
    ok(d && d->kind == CM_MSG_EVENT && d->payload == 1, "CHUNK: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_CHUNK), "CHUNK", "CHUNK: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_READ_END);
    ok(d && d->kind == CM_MSG_EVENT && d->payload == 0, "READ_END: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_READ_END), "READ_END", "READ_END: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_STREAM_CREDIT);
    ok(d && d->kind == CM_MSG_EVENT && d->payload == 0, "STREAM_CREDIT: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_STREAM_CREDIT), "STREAM_CREDIT", "STREAM_CREDIT: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_CLOSE);
    ok(d && d->kind == CM_MSG_EVENT && d->payload == 0, "CLOSE: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_CLOSE), "CLOSE", "CLOSE: name");
    d = cm_proto_find(&torrent_proto, TORRENT_MSG_CHUNK_LOCAL);
    ok(d && d->kind == CM_MSG_EVENT && d->payload == 0, "CHUNK_LOCAL: descriptor");
    is_str(torrent_msg_name(TORRENT_MSG_CHUNK_LOCAL), "CHUNK_LOCAL", "CHUNK_LOCAL: name");
    is_str(torrent_msg_name(17), "?", "torrent: unknown id has no name");
    is_str(torrent_msg_name(-1), "?", "torrent: negative id has no name");
    is_int(torrent_msg_decode(17, &u, "\x80", 1), -1, "torrent: unknown id: no decode");
    is_int(torrent_msg_encode(17, &u, enc), -1, "torrent: unknown id: no encode");
    cm_buf_destroy(&enc);
}

int main(void)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);

    s_test_protocol();
    s_test_ready(enc);
    s_test_heartbeat(enc);
    s_test_metadata(enc);
    s_test_metadata_ok(enc);
    s_test_scrape(enc);
    s_test_scrape_ok(enc);
    s_test_status(enc);
    s_test_status_ok(enc);
    s_test_open(enc);
    s_test_open_ok(enc);
    s_test_read(enc);
    s_test_chunk(enc);
    s_test_read_end(enc);
    s_test_stream_credit(enc);
    s_test_close(enc);
    s_test_chunk_local(enc);
    cm_buf_destroy(&enc);
    return done_testing();
}
