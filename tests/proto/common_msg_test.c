/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/common.toml
 * SPDX-License-Identifier: MIT
 * Tests of the common codecs: each message is built from its schema test values, encoded,
 * decoded, compared field by field, re-encoded and compared byte for byte (zproto's self-test),
 * compared with its golden encoding in tests/proto/golden/common/ and printed. Each str, bin,
 * list and map field is also tried at its max and past it. Run from the repository root. */
#include "cm.h"
#include "common_msg.h"
#include "../tap.h"

/* --- Helpers --- */

enum {
    TEST_BUF_CAP = CM_POOL_MSG_MAX, /* room for any encoding */
    TEST_PRINT_MAX = 64 * 1024,     /* room for any printed line */
};

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

/* Compare an encoding with tests/proto/golden/common/<msg>.mp, written by `make proto-golden`
 * from the schema with the generator's own msgpack encoder. */
static void s_golden(const cm_buf_t *enc, const char *msg)
{
    char path[256];
    cm_buf_t *want = cm_buf_new(TEST_BUF_CAP);

    snprintf(path, sizeof(path), "tests/proto/golden/common/%s.mp", msg);
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
    const char *msg = common_msg_name(id);
    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);

    cm_buf_reset(enc);
    is_int(common_msg_encode(id, a, enc), 0, s_name(msg, "encodes"));
    int rc = common_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc));
    is_int(rc, 0, s_name(msg, "decodes"));
    is_int(common_msg_encode(id, b, again), 0, s_name(msg, "re-encodes"));
    ok(s_same(enc, again), s_name(msg, "re-encoding is identical"));
    cm_buf_destroy(&again);
}

/* The same without TAP output: true when every step passed. */
static bool s_cycle(int id, const void *a, void *b)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);
    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);
    bool pass = common_msg_encode(id, a, enc) == 0 &&
                common_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc)) == 0 &&
                common_msg_encode(id, b, again) == 0 && s_same(enc, again);
    cm_buf_destroy(&again);
    cm_buf_destroy(&enc);
    return pass;
}

/* True when encoding `a` is refused. */
static bool s_refused(int id, const void *a)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);
    bool refused = common_msg_encode(id, a, enc) == -1;
    cm_buf_destroy(&enc);
    return refused;
}

/* print writes exactly one line, starting with the protocol and message names. */
static void s_print(int id, const void *m)
{
    static char text[TEST_PRINT_MAX];
    const char *msg = common_msg_name(id);
    char want[64];

    memset(text, 0, sizeof(text));
    FILE *f = fmemopen(text, sizeof(text) - 1, "w");
    if (!ok(f != NULL, s_name(msg, "fmemopen")))
        return;
    common_msg_print(id, m, f);
    fclose(f);
    snprintf(want, sizeof(want), "common.%s", msg);
    size_t len = strlen(text);
    bool line = len > 0 && strchr(text, '\n') == text + len - 1;
    ok(line && strncmp(text, want, strlen(want)) == 0, s_name(msg, "prints one line"));
    diag("%.*s", (int)strcspn(text, "\n"), text);
}

/* --- PING --- */

/* The schema's test values. */
static void s_fill_ping(struct common_ping *m)
{
    memset(m, 0, sizeof(*m));
}

static void s_test_ping(cm_buf_t *enc)
{
    struct common_ping a, b;

    s_fill_ping(&a);
    s_round_trip(COMMON_MSG_PING, &a, &b, enc);
    s_golden(enc, "PING");
    s_print(COMMON_MSG_PING, &b);
}

/* --- PONG --- */

/* The schema's test values. */
static void s_fill_pong(struct common_pong *m)
{
    memset(m, 0, sizeof(*m));
}

static void s_test_pong(cm_buf_t *enc)
{
    struct common_pong a, b;

    s_fill_pong(&a);
    s_round_trip(COMMON_MSG_PONG, &a, &b, enc);
    s_golden(enc, "PONG");
    s_print(COMMON_MSG_PONG, &b);
}

/* --- ERROR --- */

/* The schema's test values. */
static void s_fill_error(struct common_error *m)
{
    memset(m, 0, sizeof(*m));
    m->status = 8;
    memcpy(m->reason, "no such torrent: \"x\"", 20);
}

static void s_test_error(cm_buf_t *enc)
{
    struct common_error a, b;

    s_fill_error(&a);
    s_round_trip(COMMON_MSG_ERROR, &a, &b, enc);
    ok(b.status == a.status, s_name("ERROR", "status"));
    is_str(b.reason, a.reason, s_name("ERROR", "reason"));
    s_golden(enc, "ERROR");
    s_print(COMMON_MSG_ERROR, &b);

    s_fill_error(&a);
    memset(a.reason, 'x', 256);
    ok(s_cycle(COMMON_MSG_ERROR, &a, &b), s_name("ERROR", "reason at its max"));
    a.reason[256] = 'x'; /* no NUL left */
    ok(s_refused(COMMON_MSG_ERROR, &a), s_name("ERROR", "reason past its max refused"));
    memcpy(a.reason, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(COMMON_MSG_ERROR, &a), s_name("ERROR", "reason not UTF-8 refused"));
}

/* --- CREDIT --- */

/* The schema's test values. */
static void s_fill_credit(struct common_credit *m)
{
    memset(m, 0, sizeof(*m));
    m->bytes = UINT64_C(4294967296);
}

static void s_test_credit(cm_buf_t *enc)
{
    struct common_credit a, b;

    s_fill_credit(&a);
    s_round_trip(COMMON_MSG_CREDIT, &a, &b, enc);
    ok(b.bytes == a.bytes, s_name("CREDIT", "bytes"));
    s_golden(enc, "CREDIT");
    s_print(COMMON_MSG_CREDIT, &b);
}

/* --- HEALTH --- */

/* The schema's test values. */
static void s_fill_health(struct common_health *m)
{
    memset(m, 0, sizeof(*m));
}

static void s_test_health(cm_buf_t *enc)
{
    struct common_health a, b;

    s_fill_health(&a);
    s_round_trip(COMMON_MSG_HEALTH, &a, &b, enc);
    s_golden(enc, "HEALTH");
    s_print(COMMON_MSG_HEALTH, &b);
}

/* --- HEALTH_OK --- */

/* The schema's test values. */
static void s_fill_health_ok(struct common_health_ok *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->service, "stream-proxy", 12);
    memcpy(m->version, "0.1.0", 5);
    m->pid = 4312;
    m->uptime_ms = UINT64_C(86400000);
    m->db = 1;
    m->db_us = 350;
    m->workers = 3;
}

static void s_test_health_ok(cm_buf_t *enc)
{
    struct common_health_ok a, b;

    s_fill_health_ok(&a);
    s_round_trip(COMMON_MSG_HEALTH_OK, &a, &b, enc);
    is_str(b.service, a.service, s_name("HEALTH_OK", "service"));
    is_str(b.version, a.version, s_name("HEALTH_OK", "version"));
    ok(b.pid == a.pid, s_name("HEALTH_OK", "pid"));
    ok(b.uptime_ms == a.uptime_ms, s_name("HEALTH_OK", "uptime_ms"));
    ok(b.db == a.db, s_name("HEALTH_OK", "db"));
    ok(b.db_us == a.db_us, s_name("HEALTH_OK", "db_us"));
    ok(b.workers == a.workers, s_name("HEALTH_OK", "workers"));
    is_str(b.detail, a.detail, s_name("HEALTH_OK", "detail"));
    s_golden(enc, "HEALTH_OK");
    s_print(COMMON_MSG_HEALTH_OK, &b);

    s_fill_health_ok(&a);
    memset(a.service, 'x', 32);
    ok(s_cycle(COMMON_MSG_HEALTH_OK, &a, &b), s_name("HEALTH_OK", "service at its max"));
    a.service[32] = 'x'; /* no NUL left */
    ok(s_refused(COMMON_MSG_HEALTH_OK, &a), s_name("HEALTH_OK", "service past its max refused"));
    memcpy(a.service, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(COMMON_MSG_HEALTH_OK, &a), s_name("HEALTH_OK", "service not UTF-8 refused"));

    s_fill_health_ok(&a);
    memset(a.version, 'x', 32);
    ok(s_cycle(COMMON_MSG_HEALTH_OK, &a, &b), s_name("HEALTH_OK", "version at its max"));
    a.version[32] = 'x'; /* no NUL left */
    ok(s_refused(COMMON_MSG_HEALTH_OK, &a), s_name("HEALTH_OK", "version past its max refused"));
    memcpy(a.version, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(COMMON_MSG_HEALTH_OK, &a), s_name("HEALTH_OK", "version not UTF-8 refused"));

    s_fill_health_ok(&a);
    memset(a.detail, 'x', 256);
    ok(s_cycle(COMMON_MSG_HEALTH_OK, &a, &b), s_name("HEALTH_OK", "detail at its max"));
    a.detail[256] = 'x'; /* no NUL left */
    ok(s_refused(COMMON_MSG_HEALTH_OK, &a), s_name("HEALTH_OK", "detail past its max refused"));
    memcpy(a.detail, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(COMMON_MSG_HEALTH_OK, &a), s_name("HEALTH_OK", "detail not UTF-8 refused"));
}

/* --- Protocol --- */

static void s_test_protocol(void)
{
    union common_msg u;
    cm_buf_t *enc = cm_buf_new(64);

    memset(&u, 0, sizeof(u));
    is_int(common_proto.id, COMMON_PROTO, "common: protocol number");
    is_int(common_proto.version, COMMON_VERSION, "common: version");
    is_str(common_proto.name, "common", "common: name");
    is_int(common_proto.nmsgs, 6, "common: 6 messages");
    const struct cm_proto_msg *d = cm_proto_find(&common_proto, COMMON_MSG_PING);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "PING: descriptor");
    is_str(common_msg_name(COMMON_MSG_PING), "PING", "PING: name");
    d = cm_proto_find(&common_proto, COMMON_MSG_PONG);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "PONG: descriptor");
    is_str(common_msg_name(COMMON_MSG_PONG), "PONG", "PONG: name");
    d = cm_proto_find(&common_proto, COMMON_MSG_ERROR);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "ERROR: descriptor");
    is_str(common_msg_name(COMMON_MSG_ERROR), "ERROR", "ERROR: name");
    d = cm_proto_find(&common_proto, COMMON_MSG_CREDIT);
    ok(d && d->kind == CM_MSG_EVENT && d->payload == 0, "CREDIT: descriptor");
    is_str(common_msg_name(COMMON_MSG_CREDIT), "CREDIT", "CREDIT: name");
    d = cm_proto_find(&common_proto, COMMON_MSG_HEALTH);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "HEALTH: descriptor");
    is_str(common_msg_name(COMMON_MSG_HEALTH), "HEALTH", "HEALTH: name");
    d = cm_proto_find(&common_proto, COMMON_MSG_HEALTH_OK);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "HEALTH_OK: descriptor");
    is_str(common_msg_name(COMMON_MSG_HEALTH_OK), "HEALTH_OK", "HEALTH_OK: name");
    is_str(common_msg_name(7), "?", "common: unknown id has no name");
    is_str(common_msg_name(-1), "?", "common: negative id has no name");
    is_int(common_msg_decode(7, &u, "\x80", 1), -1, "common: unknown id: no decode");
    is_int(common_msg_encode(7, &u, enc), -1, "common: unknown id: no encode");
    cm_buf_destroy(&enc);
}

int main(void)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);

    s_test_protocol();
    s_test_ping(enc);
    s_test_pong(enc);
    s_test_error(enc);
    s_test_credit(enc);
    s_test_health(enc);
    s_test_health_ok(enc);
    cm_buf_destroy(&enc);
    return done_testing();
}
