/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/test.toml
 * SPDX-License-Identifier: MIT
 * Tests of the test codecs: each message is built from its schema test values, encoded, decoded,
 * compared field by field, re-encoded and compared byte for byte (zproto's self-test), compared
 * with its golden encoding in tests/proto/golden/test/ and printed. Each str, bin, list and map
 * field is also tried at its max and past it. Run from the repository root. */
#include "cm.h"
#include "gen/test_msg.c"
#include "../tap.h"

/* --- Helpers --- */

enum {
    TEST_BUF_CAP = CM_POOL_MSG_MAX, /* room for any encoding */
    TEST_PRINT_MAX = 64 * 1024,     /* room for any printed line */
};

static const unsigned char s_zeros[1001]; /* bytes for bin fields at their max */

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

/* Compare an encoding with tests/proto/golden/test/<msg>.mp, written by `make proto-golden` from
 * the schema with the generator's own msgpack encoder. */
static void s_golden(const cm_buf_t *enc, const char *msg)
{
    char path[256];
    cm_buf_t *want = cm_buf_new(TEST_BUF_CAP);

    snprintf(path, sizeof(path), "tests/proto/golden/test/%s.mp", msg);
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
    const char *msg = test_msg_name(id);
    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);

    cm_buf_reset(enc);
    is_int(test_msg_encode(id, a, enc), 0, s_name(msg, "encodes"));
    int rc = test_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc));
    is_int(rc, 0, s_name(msg, "decodes"));
    is_int(test_msg_encode(id, b, again), 0, s_name(msg, "re-encodes"));
    ok(s_same(enc, again), s_name(msg, "re-encoding is identical"));
    cm_buf_destroy(&again);
}

/* The same without TAP output: true when every step passed. */
static bool s_cycle(int id, const void *a, void *b)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);
    cm_buf_t *again = cm_buf_new(TEST_BUF_CAP);
    bool pass = test_msg_encode(id, a, enc) == 0 &&
                test_msg_decode(id, b, cm_buf_data(enc), cm_buf_len(enc)) == 0 &&
                test_msg_encode(id, b, again) == 0 && s_same(enc, again);
    cm_buf_destroy(&again);
    cm_buf_destroy(&enc);
    return pass;
}

/* True when encoding `a` is refused. */
static bool s_refused(int id, const void *a)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);
    bool refused = test_msg_encode(id, a, enc) == -1;
    cm_buf_destroy(&enc);
    return refused;
}

/* print writes exactly one line, starting with the protocol and message names. */
static void s_print(int id, const void *m)
{
    static char text[TEST_PRINT_MAX];
    const char *msg = test_msg_name(id);
    char want[64];

    memset(text, 0, sizeof(text));
    FILE *f = fmemopen(text, sizeof(text) - 1, "w");
    if (!ok(f != NULL, s_name(msg, "fmemopen")))
        return;
    test_msg_print(id, m, f);
    fclose(f);
    snprintf(want, sizeof(want), "test.%s", msg);
    size_t len = strlen(text);
    bool line = len > 0 && strchr(text, '\n') == text + len - 1;
    ok(line && strncmp(text, want, strlen(want)) == 0, s_name(msg, "prints one line"));
    diag("%.*s", (int)strcspn(text, "\n"), text);
}

/* --- EMPTY --- */

/* The schema's test values. */
static void s_fill_empty(struct test_empty *m)
{
    memset(m, 0, sizeof(*m));
}

static void s_test_empty(cm_buf_t *enc)
{
    struct test_empty a, b;

    s_fill_empty(&a);
    s_round_trip(TEST_MSG_EMPTY, &a, &b, enc);
    s_golden(enc, "EMPTY");
    s_print(TEST_MSG_EMPTY, &b);
}

/* --- SCALARS --- */

/* The schema's test values. */
static void s_fill_scalars(struct test_scalars *m)
{
    memset(m, 0, sizeof(*m));
    m->a_u8 = 255;
    m->a_u16 = 65535;
    m->a_u32 = 4294967295u;
    m->a_u64 = UINT64_C(9223372036854775807);
    m->a_i64 = INT64_MIN;
    m->small_i64 = INT64_C(-33);
    m->pos_i64 = INT64_C(200);
    m->yes = true;
    m->no = false;
}

static void s_test_scalars(cm_buf_t *enc)
{
    struct test_scalars a, b;

    s_fill_scalars(&a);
    s_round_trip(TEST_MSG_SCALARS, &a, &b, enc);
    ok(b.a_u8 == a.a_u8, s_name("SCALARS", "a_u8"));
    ok(b.a_u16 == a.a_u16, s_name("SCALARS", "a_u16"));
    ok(b.a_u32 == a.a_u32, s_name("SCALARS", "a_u32"));
    ok(b.a_u64 == a.a_u64, s_name("SCALARS", "a_u64"));
    ok(b.a_i64 == a.a_i64, s_name("SCALARS", "a_i64"));
    ok(b.small_i64 == a.small_i64, s_name("SCALARS", "small_i64"));
    ok(b.pos_i64 == a.pos_i64, s_name("SCALARS", "pos_i64"));
    ok(b.yes == a.yes, s_name("SCALARS", "yes"));
    ok(b.no == a.no, s_name("SCALARS", "no"));
    s_golden(enc, "SCALARS");
    s_print(TEST_MSG_SCALARS, &b);
}

/* --- BLOBS --- */

/* The schema's test values. */
static void s_fill_blobs(struct test_blobs *m)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->name, "Am\303\251lie \342\200\224 \346\235\261\344\272\254 \"q\" \\ \?\? ", 28);
    memcpy(m->long_text,
           "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcd"
           "efghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqr"
           "stuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz012345"
           "6789abcdefghijklmnopqrstuvwxyz0123456789ab",
           300);
    m->blob.data = "\000\001binary\000";
    m->blob.len = 9;
    memcpy(m->medium, "forty characters of text, a str8 header.", 40);
    m->big_blob.data = "01234567890123456789012345678901234567890123456789012345678901234567890123"
                       "45678901234567890123456789012345678901234567890123456789012345678901234567"
                       "89012345678901234567890123456789012345678901234567890123456789012345678901"
                       "23456789012345678901234567890123456789012345678901234567890123456789012345"
                       "6789";
    m->big_blob.len = 300;
}

static void s_test_blobs(cm_buf_t *enc)
{
    struct test_blobs a, b;

    s_fill_blobs(&a);
    s_round_trip(TEST_MSG_BLOBS, &a, &b, enc);
    is_str(b.name, a.name, s_name("BLOBS", "name"));
    is_str(b.long_text, a.long_text, s_name("BLOBS", "long_text"));
    is_str(b.empty, a.empty, s_name("BLOBS", "empty"));
    ok(s_iov_eq(&b.blob, &a.blob), s_name("BLOBS", "blob"));
    ok(s_iov_eq(&b.nothing, &a.nothing), s_name("BLOBS", "nothing"));
    is_str(b.medium, a.medium, s_name("BLOBS", "medium"));
    ok(s_iov_eq(&b.big_blob, &a.big_blob), s_name("BLOBS", "big_blob"));
    s_golden(enc, "BLOBS");
    s_print(TEST_MSG_BLOBS, &b);

    s_fill_blobs(&a);
    memset(a.name, 'x', 40);
    ok(s_cycle(TEST_MSG_BLOBS, &a, &b), s_name("BLOBS", "name at its max"));
    a.name[40] = 'x'; /* no NUL left */
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "name past its max refused"));
    memcpy(a.name, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "name not UTF-8 refused"));

    s_fill_blobs(&a);
    memset(a.long_text, 'x', 300);
    ok(s_cycle(TEST_MSG_BLOBS, &a, &b), s_name("BLOBS", "long_text at its max"));
    a.long_text[300] = 'x'; /* no NUL left */
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "long_text past its max refused"));
    memcpy(a.long_text, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "long_text not UTF-8 refused"));

    s_fill_blobs(&a);
    memset(a.empty, 'x', 8);
    ok(s_cycle(TEST_MSG_BLOBS, &a, &b), s_name("BLOBS", "empty at its max"));
    a.empty[8] = 'x'; /* no NUL left */
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "empty past its max refused"));
    memcpy(a.empty, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "empty not UTF-8 refused"));

    s_fill_blobs(&a);
    a.blob.data = s_zeros;
    a.blob.len = 64;
    ok(s_cycle(TEST_MSG_BLOBS, &a, &b), s_name("BLOBS", "blob at its max"));
    a.blob.len = 65;
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "blob past its max refused"));
    a.blob.data = NULL;
    a.blob.len = 1;
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "blob without data refused"));

    s_fill_blobs(&a);
    a.nothing.data = s_zeros;
    a.nothing.len = 4;
    ok(s_cycle(TEST_MSG_BLOBS, &a, &b), s_name("BLOBS", "nothing at its max"));
    a.nothing.len = 5;
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "nothing past its max refused"));
    a.nothing.data = NULL;
    a.nothing.len = 1;
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "nothing without data refused"));

    s_fill_blobs(&a);
    memset(a.medium, 'x', 100);
    ok(s_cycle(TEST_MSG_BLOBS, &a, &b), s_name("BLOBS", "medium at its max"));
    a.medium[100] = 'x'; /* no NUL left */
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "medium past its max refused"));
    memcpy(a.medium, "\303", 2); /* a lone UTF-8 lead byte */
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "medium not UTF-8 refused"));

    s_fill_blobs(&a);
    a.big_blob.data = s_zeros;
    a.big_blob.len = 1000;
    ok(s_cycle(TEST_MSG_BLOBS, &a, &b), s_name("BLOBS", "big_blob at its max"));
    a.big_blob.len = 1001;
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "big_blob past its max refused"));
    a.big_blob.data = NULL;
    a.big_blob.len = 1;
    ok(s_refused(TEST_MSG_BLOBS, &a), s_name("BLOBS", "big_blob without data refused"));
}

/* --- LISTS --- */

/* The schema's test values. */
static void s_fill_lists(struct test_lists *m)
{
    memset(m, 0, sizeof(*m));
    m->bytes[0] = 0;
    m->bytes[1] = 1;
    m->bytes[2] = 255;
    m->bytes_count = 3;
    m->ports[0] = 80;
    m->ports[1] = 443;
    m->ports[2] = 65535;
    m->ports_count = 3;
    m->ids[0] = 7;
    m->ids_count = 1;
    m->sizes[0] = UINT64_C(0);
    m->sizes[1] = UINT64_C(4294967296);
    m->sizes_count = 2;
    m->deltas[0] = INT64_C(-1);
    m->deltas[1] = INT64_C(0);
    m->deltas[2] = INT64_C(1);
    m->deltas[3] = INT64_C(-4294967297);
    m->deltas_count = 4;
    m->flags[0] = true;
    m->flags[1] = false;
    m->flags_count = 2;
    memcpy(m->names[0], "alpha", 5);
    memcpy(m->names[2], "\316\263", 2);
    m->names_count = 3;
    m->chunks[0].data = "ab";
    m->chunks[0].len = 2;
    m->chunks_count = 2;
    memcpy(m->labels[0].key, "lang", 4);
    memcpy(m->labels[0].value, "fr", 2);
    memcpy(m->labels[1].key, "quality", 7);
    memcpy(m->labels[1].value, "1080p", 5);
    memcpy(m->labels[2].value, "empty key", 9);
    m->labels_count = 3;
    m->none_count = 0;
    m->many[0] = 0;
    m->many[1] = 1;
    m->many[2] = 2;
    m->many[3] = 3;
    m->many[4] = 4;
    m->many[5] = 5;
    m->many[6] = 6;
    m->many[7] = 7;
    m->many[8] = 8;
    m->many[9] = 9;
    m->many[10] = 10;
    m->many[11] = 11;
    m->many[12] = 12;
    m->many[13] = 13;
    m->many[14] = 14;
    m->many[15] = 15;
    m->many[16] = 16;
    m->many_count = 17;
}

static void s_test_lists(cm_buf_t *enc)
{
    struct test_lists a, b;

    s_fill_lists(&a);
    s_round_trip(TEST_MSG_LISTS, &a, &b, enc);
    is_int(b.bytes_count, a.bytes_count, s_name("LISTS", "bytes_count"));
    ok(SAME_ARRAY(b.bytes, a.bytes), s_name("LISTS", "bytes"));
    is_int(b.ports_count, a.ports_count, s_name("LISTS", "ports_count"));
    ok(SAME_ARRAY(b.ports, a.ports), s_name("LISTS", "ports"));
    is_int(b.ids_count, a.ids_count, s_name("LISTS", "ids_count"));
    ok(SAME_ARRAY(b.ids, a.ids), s_name("LISTS", "ids"));
    is_int(b.sizes_count, a.sizes_count, s_name("LISTS", "sizes_count"));
    ok(SAME_ARRAY(b.sizes, a.sizes), s_name("LISTS", "sizes"));
    is_int(b.deltas_count, a.deltas_count, s_name("LISTS", "deltas_count"));
    ok(SAME_ARRAY(b.deltas, a.deltas), s_name("LISTS", "deltas"));
    is_int(b.flags_count, a.flags_count, s_name("LISTS", "flags_count"));
    ok(SAME_ARRAY(b.flags, a.flags), s_name("LISTS", "flags"));
    is_int(b.names_count, a.names_count, s_name("LISTS", "names_count"));
    ok(SAME_ARRAY(b.names, a.names), s_name("LISTS", "names"));
    is_int(b.chunks_count, a.chunks_count, s_name("LISTS", "chunks_count"));
    for (uint32_t i = 0; i < a.chunks_count; i++)
        ok(s_iov_eq(&b.chunks[i], &a.chunks[i]), s_name("LISTS", "chunks"));
    is_int(b.labels_count, a.labels_count, s_name("LISTS", "labels_count"));
    ok(SAME_ARRAY(b.labels, a.labels), s_name("LISTS", "labels"));
    is_int(b.none_count, a.none_count, s_name("LISTS", "none_count"));
    ok(SAME_ARRAY(b.none, a.none), s_name("LISTS", "none"));
    is_int(b.many_count, a.many_count, s_name("LISTS", "many_count"));
    ok(SAME_ARRAY(b.many, a.many), s_name("LISTS", "many"));
    s_golden(enc, "LISTS");
    s_print(TEST_MSG_LISTS, &b);

    s_fill_lists(&a);
    a.bytes_count = 4;
    ok(s_cycle(TEST_MSG_LISTS, &a, &b), s_name("LISTS", "bytes at its max"));
    a.bytes_count = 5;
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "bytes past its max refused"));

    s_fill_lists(&a);
    a.ports_count = 8;
    ok(s_cycle(TEST_MSG_LISTS, &a, &b), s_name("LISTS", "ports at its max"));
    a.ports_count = 9;
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "ports past its max refused"));

    s_fill_lists(&a);
    a.ids_count = 4;
    ok(s_cycle(TEST_MSG_LISTS, &a, &b), s_name("LISTS", "ids at its max"));
    a.ids_count = 5;
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "ids past its max refused"));

    s_fill_lists(&a);
    a.sizes_count = 4;
    ok(s_cycle(TEST_MSG_LISTS, &a, &b), s_name("LISTS", "sizes at its max"));
    a.sizes_count = 5;
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "sizes past its max refused"));

    s_fill_lists(&a);
    a.deltas_count = 4;
    ok(s_cycle(TEST_MSG_LISTS, &a, &b), s_name("LISTS", "deltas at its max"));
    a.deltas_count = 5;
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "deltas past its max refused"));

    s_fill_lists(&a);
    a.flags_count = 4;
    ok(s_cycle(TEST_MSG_LISTS, &a, &b), s_name("LISTS", "flags at its max"));
    a.flags_count = 5;
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "flags past its max refused"));

    s_fill_lists(&a);
    for (uint32_t i = 0; i < 3; i++)
        memset(a.names[i], 'x', 16);
    a.names_count = 3;
    ok(s_cycle(TEST_MSG_LISTS, &a, &b), s_name("LISTS", "names at its max"));
    a.names_count = 4;
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "names past its max refused"));
    a.names_count = 1;
    a.names[0][16] = 'x'; /* no NUL left */
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "names item past its max refused"));

    s_fill_lists(&a);
    for (uint32_t i = 0; i < 3; i++) {
        a.chunks[i].data = s_zeros;
        a.chunks[i].len = 8;
    }
    a.chunks_count = 3;
    ok(s_cycle(TEST_MSG_LISTS, &a, &b), s_name("LISTS", "chunks at its max"));
    a.chunks_count = 4;
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "chunks past its max refused"));
    a.chunks_count = 1;
    a.chunks[0].len = 9;
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "chunks item past its max refused"));

    s_fill_lists(&a);
    for (uint32_t i = 0; i < 4; i++)
        snprintf(a.labels[i].key, 12 + 1, "%" PRIu32, i);
    a.labels_count = 4;
    ok(s_cycle(TEST_MSG_LISTS, &a, &b), s_name("LISTS", "labels at its max"));
    a.labels_count = 5;
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "labels past its max refused"));
    a.labels_count = 2;
    memcpy(a.labels[1].key, a.labels[0].key, 12 + 1);
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "labels with a duplicate key refused"));

    s_fill_lists(&a);
    a.none_count = 2;
    ok(s_cycle(TEST_MSG_LISTS, &a, &b), s_name("LISTS", "none at its max"));
    a.none_count = 3;
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "none past its max refused"));

    s_fill_lists(&a);
    a.many_count = 40;
    ok(s_cycle(TEST_MSG_LISTS, &a, &b), s_name("LISTS", "many at its max"));
    a.many_count = 41;
    ok(s_refused(TEST_MSG_LISTS, &a), s_name("LISTS", "many past its max refused"));
}

/* --- WIDE --- */

/* The schema's test values. */
static void s_fill_wide(struct test_wide *m)
{
    memset(m, 0, sizeof(*m));
    m->f1 = 1;
    m->f2 = 2;
    m->f3 = 3;
    m->f4 = 4;
    m->f5 = 5;
    m->f6 = 6;
    m->f7 = 7;
    m->f8 = 8;
    m->f9 = 9;
    m->f10 = 10;
    m->f11 = 11;
    m->f12 = 12;
    m->f13 = 13;
    m->f14 = 14;
    m->f15 = 15;
    m->f16 = 16;
    m->f17 = 17;
}

static void s_test_wide(cm_buf_t *enc)
{
    struct test_wide a, b;

    s_fill_wide(&a);
    s_round_trip(TEST_MSG_WIDE, &a, &b, enc);
    ok(b.f1 == a.f1, s_name("WIDE", "f1"));
    ok(b.f2 == a.f2, s_name("WIDE", "f2"));
    ok(b.f3 == a.f3, s_name("WIDE", "f3"));
    ok(b.f4 == a.f4, s_name("WIDE", "f4"));
    ok(b.f5 == a.f5, s_name("WIDE", "f5"));
    ok(b.f6 == a.f6, s_name("WIDE", "f6"));
    ok(b.f7 == a.f7, s_name("WIDE", "f7"));
    ok(b.f8 == a.f8, s_name("WIDE", "f8"));
    ok(b.f9 == a.f9, s_name("WIDE", "f9"));
    ok(b.f10 == a.f10, s_name("WIDE", "f10"));
    ok(b.f11 == a.f11, s_name("WIDE", "f11"));
    ok(b.f12 == a.f12, s_name("WIDE", "f12"));
    ok(b.f13 == a.f13, s_name("WIDE", "f13"));
    ok(b.f14 == a.f14, s_name("WIDE", "f14"));
    ok(b.f15 == a.f15, s_name("WIDE", "f15"));
    ok(b.f16 == a.f16, s_name("WIDE", "f16"));
    ok(b.f17 == a.f17, s_name("WIDE", "f17"));
    s_golden(enc, "WIDE");
    s_print(TEST_MSG_WIDE, &b);
}

/* --- Protocol --- */

static void s_test_protocol(void)
{
    union test_msg u;
    cm_buf_t *enc = cm_buf_new(64);

    memset(&u, 0, sizeof(u));
    is_int(test_proto.id, TEST_PROTO, "test: protocol number");
    is_int(test_proto.version, TEST_VERSION, "test: version");
    is_str(test_proto.name, "test", "test: name");
    is_int(test_proto.nmsgs, 5, "test: 5 messages");
    const struct cm_proto_msg *d = cm_proto_find(&test_proto, TEST_MSG_EMPTY);
    ok(d && d->kind == CM_MSG_REQUEST && d->payload == 0, "EMPTY: descriptor");
    is_str(test_msg_name(TEST_MSG_EMPTY), "EMPTY", "EMPTY: name");
    d = cm_proto_find(&test_proto, TEST_MSG_SCALARS);
    ok(d && d->kind == CM_MSG_REPLY && d->payload == 0, "SCALARS: descriptor");
    is_str(test_msg_name(TEST_MSG_SCALARS), "SCALARS", "SCALARS: name");
    d = cm_proto_find(&test_proto, TEST_MSG_BLOBS);
    ok(d && d->kind == CM_MSG_EVENT && d->payload == 1, "BLOBS: descriptor");
    is_str(test_msg_name(TEST_MSG_BLOBS), "BLOBS", "BLOBS: name");
    d = cm_proto_find(&test_proto, TEST_MSG_LISTS);
    ok(d && d->kind == CM_MSG_EVENT && d->payload == 0, "LISTS: descriptor");
    is_str(test_msg_name(TEST_MSG_LISTS), "LISTS", "LISTS: name");
    d = cm_proto_find(&test_proto, TEST_MSG_WIDE);
    ok(d && d->kind == CM_MSG_EVENT && d->payload == 0, "WIDE: descriptor");
    is_str(test_msg_name(TEST_MSG_WIDE), "WIDE", "WIDE: name");
    is_str(test_msg_name(6), "?", "test: unknown id has no name");
    is_str(test_msg_name(-1), "?", "test: negative id has no name");
    is_int(test_msg_decode(6, &u, "\x80", 1), -1, "test: unknown id: no decode");
    is_int(test_msg_encode(6, &u, enc), -1, "test: unknown id: no encode");
    cm_buf_destroy(&enc);
}

int main(void)
{
    cm_buf_t *enc = cm_buf_new(TEST_BUF_CAP);

    s_test_protocol();
    s_test_empty(enc);
    s_test_scalars(enc);
    s_test_blobs(enc);
    s_test_lists(enc);
    s_test_wide(enc);
    cm_buf_destroy(&enc);
    return done_testing();
}
