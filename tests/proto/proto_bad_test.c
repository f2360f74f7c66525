/* SPDX-License-Identifier: MIT
 * Malformed bodies and header frames, shared by every protocol (STYLE.md, "proto/ conventions"):
 * truncation at every byte, flipped type bytes, count and length bombs, nesting past the limit,
 * oversize and invalid strings, out-of-range integers, duplicate and missing tags, and unknown
 * tags that must be skipped. Every case must be refused with -1 (or accepted with 0 where the name
 * says so) without a leak or an overread under ASan: each decode reads an exact-size heap copy.
 * The valid encodings mutated here are the golden files, so this runs from the repository root.
 * The test schema (proto/test.toml, generated into tests/proto/gen/) brings lists, maps and bin. */
#include "cm.h"
#include "common_msg.h"
#include "torrent_msg.h"
#include "gen/test_msg.c"
#include "../tap.h"

/* A protocol's codecs, chosen by message number. */
struct codec {
    const struct cm_proto *proto;
    int (*decode)(int id, void *m, const void *data, size_t size);
    int (*encode)(int id, const void *m, cm_buf_t *out);
};

static const struct codec s_common = {&common_proto, common_msg_decode, common_msg_encode};
static const struct codec s_torrent = {&torrent_proto, torrent_msg_decode, torrent_msg_encode};
static const struct codec s_test = {&test_proto, test_msg_decode, test_msg_encode};

/* Room for any decoded message; static because the test schema's are large. */
static union {
    union common_msg common;
    union torrent_msg torrent;
    union test_msg test;
} s_msg;

static cm_buf_t *s_body;   /* the body a case builds */
static cm_mp_writer_t s_w; /* writes into s_body */
static char s_what[256];   /* TAP name of the current case */

/* The TAP name "<proto>.<msg>: <what>", in a static buffer. */
static const char *s_name(const struct codec *c, int id, const char *what)
{
    const struct cm_proto_msg *d = cm_proto_find(c->proto, id);
    snprintf(s_what, sizeof(s_what), "%s.%s: %s", c->proto->name, d ? d->name : "?", what);
    return s_what;
}

/* Decode `size` bytes from an exact-size heap copy, so reading one byte too far is an ASan
 * error instead of a read of whatever follows. */
static int s_decode(const struct codec *c, int id, const void *data, size_t size)
{
    unsigned char *copy = cm_malloc(size ? size : 1);
    if (size)
        memcpy(copy, data, size);
    int rc = c->decode(id, &s_msg, copy, size);
    cm_free(copy);
    return rc;
}

static int s_decode_buf(const struct codec *c, int id, const cm_buf_t *buf)
{
    return s_decode(c, id, cm_buf_data(buf), cm_buf_len(buf));
}

/* Start a new body in s_body, written through s_w. */
static void s_begin(void)
{
    cm_buf_reset(s_body);
    cm_mp_writer_init(&s_w, s_body);
}

static int s_nibble(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Append raw bytes, given in hex, to s_body. */
static void s_hex(const char *hex)
{
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned char b = (unsigned char)(s_nibble(hex[0]) << 4 | s_nibble(hex[1]));
        if (cm_buf_append(s_body, &b, 1) < 0)
            abort();
    }
}

/* Append `n` copies of the byte `b`. */
static void s_fill(unsigned char b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (cm_buf_append(s_body, &b, 1) < 0)
            abort();
    }
}

/* Read the golden encoding of a message into `out`; -1 when it is missing. */
static int s_golden(const struct codec *c, const char *msg, cm_buf_t *out)
{
    char path[256];
    unsigned char chunk[4096];
    snprintf(path, sizeof(path), "tests/proto/golden/%s/%s.mp", c->proto->name, msg);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    int rc = 0;
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n == 0)
            break;
        if (cm_buf_append(out, chunk, n) < 0)
            rc = -1;
    }
    fclose(f);
    return rc;
}

/* Offsets of the map header's pairs in a body: key and value starts, in order. */
struct layout {
    size_t hlen;       /* bytes of the map header */
    uint32_t n;        /* pairs */
    size_t at[2 * 64]; /* at[2i]: key i, at[2i+1]: value i */
};

static int s_layout(const unsigned char *p, size_t len, struct layout *l)
{
    cm_mp_reader_t r;
    cm_mp_reader_init(&r, p, len);
    if (cm_mp_read_map(&r, &l->n) < 0 || l->n > 64)
        return -1;
    l->hlen = len - cm_mp_left(&r);
    for (uint32_t i = 0; i < 2 * l->n; i++) {
        l->at[i] = len - cm_mp_left(&r);
        if (cm_mp_skip(&r, CM_MP_DEPTH_MAX) < 0)
            return -1;
    }
    return 0;
}

/* Start s_body as a copy of `golden` whose map header announces `extra` more pairs, which the
 * caller then appends. */
static void s_rehead(const cm_buf_t *golden, uint32_t extra)
{
    cm_mp_reader_t r;
    uint32_t n;
    cm_mp_reader_init(&r, cm_buf_data(golden), cm_buf_len(golden));
    if (cm_mp_read_map(&r, &n) < 0)
        abort();
    s_begin();
    cm_mp_put_map(&s_w, n + extra);
    if (cm_buf_append(s_body, r.p, cm_mp_left(&r)) < 0)
        abort();
}

/* --- Every message: mutations of its golden encoding --- */

static void s_mutate(const struct codec *c, const struct cm_proto_msg *d)
{
    cm_buf_t *golden = cm_buf_new(CM_POOL_MSG_MAX);
    cm_buf_t *again = cm_buf_new(CM_POOL_MSG_MAX);
    struct layout l;

    if (!ok(s_golden(c, d->name, golden) == 0, s_name(c, d->id, "golden file readable"))) {
        diag("run `make proto-golden` from the repository root");
        goto out;
    }
    const unsigned char *g = cm_buf_data(golden);
    size_t glen = cm_buf_len(golden);
    is_int(s_decode_buf(c, d->id, golden), 0, s_name(c, d->id, "golden body accepted"));

    /* Truncated at every offset, the empty body included. */
    int bad = 0;
    for (size_t i = 0; i < glen; i++) {
        if (s_decode(c, d->id, g, i) != -1) {
            diag("accepted when cut to %zu bytes", i);
            bad++;
        }
    }
    ok(bad == 0, s_name(c, d->id, "truncated at every offset: refused"));
    is_int(c->decode(d->id, &s_msg, NULL, 0), -1, s_name(c, d->id, "NULL body refused"));

    /* A type byte flipped at the map header and at every key and value start. */
    bad = 0;
    if (!ok(s_layout(g, glen, &l) == 0, s_name(c, d->id, "golden body walks"))) {
        goto out;
    }
    for (uint32_t i = 0; i <= 2 * l.n; i++) {
        size_t at = i == 0 ? 0 : l.at[i - 1];
        cm_mp_reader_t r;
        cm_mp_reader_init(&r, g + at, glen - at);
        /* Never-used, nil, and a type other than the one there: every field refuses them. */
        unsigned char flips[3] = {0xc1, 0xc0, cm_mp_peek(&r) == CM_MP_BOOL ? 0xa0 : 0xc2};
        for (int k = 0; k < 3; k++) {
            unsigned char *mut = cm_memdup(g, glen);
            mut[at] = flips[k];
            if (s_decode(c, d->id, mut, glen) != -1) {
                diag("accepted with byte %zu set to %02x", at, flips[k]);
                bad++;
            }
            cm_free(mut);
        }
    }
    ok(bad == 0, s_name(c, d->id, "each type byte flipped: refused"));

    /* Trailing bytes, and bodies that are not maps. */
    s_begin();
    if (cm_buf_append(s_body, g, glen) < 0)
        abort();
    s_hex("00");
    is_int(s_decode_buf(c, d->id, s_body), -1, s_name(c, d->id, "trailing byte refused"));
    s_begin();
    s_hex("90");
    is_int(s_decode_buf(c, d->id, s_body), -1, s_name(c, d->id, "an array body refused"));
    s_begin();
    s_hex("c0");
    is_int(s_decode_buf(c, d->id, s_body), -1, s_name(c, d->id, "a nil body refused"));

    /* Counts and lengths larger than the bytes left: the whole body, a field's value, an unknown
     * tag's value. */
    static const char *const bombs[] = {"dd10000000", "ddffffffff", "dfffffffff",
                                        "c6ffffffff", "dbffffffff", "dcffff"};
    bad = 0;
    for (size_t i = 0; i < CM_ARRAY_LEN(bombs); i++) {
        for (int where = 0; where < 3; where++) {
            s_begin();
            if (where == 1)
                s_hex("8101"); /* tag 1 */
            if (where == 2)
                s_hex("8164"); /* tag 100, unknown everywhere */
            s_hex(bombs[i]);
            if (s_decode_buf(c, d->id, s_body) != -1) {
                diag("bomb %s at %d accepted", bombs[i], where);
                bad++;
            }
        }
    }
    ok(bad == 0, s_name(c, d->id, "count and length bombs refused"));

    /* Unknown tags with nested values are skipped: the rest decodes to the same message. */
    s_rehead(golden, 3);
    cm_mp_put_uint(&s_w, 100);
    cm_mp_put_array(&s_w, 7);
    cm_mp_put_uint(&s_w, 1);
    cm_mp_put_map(&s_w, 1);
    cm_mp_put_uint(&s_w, 2);
    cm_mp_put_cstr(&s_w, "x");
    cm_mp_put_bin(&s_w, "\0\1\2", 3);
    cm_mp_put_int(&s_w, -5);
    cm_mp_put_double(&s_w, 1.5);
    cm_mp_put_nil(&s_w);
    cm_mp_put_bool(&s_w, true);
    cm_mp_put_uint(&s_w, UINT64_C(1) << 40); /* a tag past 32 bits */
    cm_mp_put_cstr(&s_w, "skipped");
    cm_mp_put_uint(&s_w, 127);
    cm_mp_put_array(&s_w, 1);
    s_fill(0x91, CM_MP_DEPTH_MAX - 2); /* map + 15 arrays: the deepest nesting accepted */
    s_hex("01");
    /* Decoded in place: bin fields borrow from the body, which must outlive the re-encoding. */
    int rc = c->decode(d->id, &s_msg, cm_buf_data(s_body), cm_buf_len(s_body));
    is_int(rc, 0, s_name(c, d->id, "unknown tags with nested values skipped"));
    cm_buf_reset(again);
    ok(rc == 0 && c->encode(d->id, &s_msg, again) == 0 && cm_buf_len(again) == glen &&
           memcmp(cm_buf_data(again), g, glen) == 0,
       s_name(c, d->id, "the skipped tags change nothing"));

    /* Nesting past the limit under an unknown tag: one level too deep, and 1000 levels. */
    s_rehead(golden, 1);
    cm_mp_put_uint(&s_w, 100);
    s_fill(0x91, CM_MP_DEPTH_MAX); /* map + 16 arrays */
    s_hex("01");
    is_int(s_decode_buf(c, d->id, s_body), -1, s_name(c, d->id, "nesting one past the limit"));
    s_rehead(golden, 1);
    cm_mp_put_uint(&s_w, 100);
    s_fill(0x91, 1000);
    s_hex("01");
    is_int(s_decode_buf(c, d->id, s_body), -1, s_name(c, d->id, "nesting 1000 deep refused"));

    /* Keys that are not unsigned integers. */
    static const char *const keys[] = {"ff", "a161", "c0", "c3", "90", "80", "cb3ff0000000000000"};
    bad = 0;
    for (size_t i = 0; i < CM_ARRAY_LEN(keys); i++) {
        s_rehead(golden, 1);
        s_hex(keys[i]);
        s_hex("01");
        if (s_decode_buf(c, d->id, s_body) != -1) {
            diag("key %s accepted", keys[i]);
            bad++;
        }
    }
    ok(bad == 0, s_name(c, d->id, "non-integer keys refused"));

    /* A tag given twice: the first pair again. */
    if (l.n > 0) {
        s_rehead(golden, 1);
        size_t end = l.n > 1 ? l.at[2] : glen;
        if (cm_buf_append(s_body, g + l.at[0], end - l.at[0]) < 0)
            abort();
        is_int(s_decode_buf(c, d->id, s_body), -1, s_name(c, d->id, "a tag given twice refused"));
    }
out:
    cm_buf_destroy(&again);
    cm_buf_destroy(&golden);
}

static void s_every_message(const struct codec *c)
{
    for (size_t i = 0; i < c->proto->nmsgs; i++)
        s_mutate(c, &c->proto->msgs[i]);
    s_begin();
    s_hex("80");
    is_int(c->decode(0, &s_msg, cm_buf_data(s_body), cm_buf_len(s_body)), -1,
           "message number 0 refused");
    is_int(c->decode(65535, &s_msg, cm_buf_data(s_body), cm_buf_len(s_body)), -1,
           "an unknown message number refused");
}

/* --- Field by field: one body per case --- */

/* Decode s_body as message `id` and check the result. */
#define EXPECT(c, id, want, what)                                                                  \
    is_int(s_decode_buf((c), (id), s_body), (want), s_name((c), (id), (what)))

/* An ERROR body: {1: status, 2: the `len` bytes at `reason`}. */
static void s_error_body(uint64_t status, const char *reason, size_t len)
{
    s_begin();
    cm_mp_put_map(&s_w, 2);
    cm_mp_put_uint(&s_w, 1);
    cm_mp_put_uint(&s_w, status);
    cm_mp_put_uint(&s_w, 2);
    cm_mp_put_str(&s_w, reason, len);
}

static void s_strings(void)
{
    static char big[1024];
    memset(big, 'x', sizeof(big));

    s_error_body(8, big, 256);
    EXPECT(&s_common, COMMON_MSG_ERROR, 0, "reason at its max (256) accepted");
    s_error_body(8, big, 257);
    EXPECT(&s_common, COMMON_MSG_ERROR, -1, "reason of 257 bytes refused");
    s_error_body(8, "", 0);
    EXPECT(&s_common, COMMON_MSG_ERROR, 0, "empty reason accepted");
    s_error_body(8, "\xf0\x9f\x8e\xac", 4);
    EXPECT(&s_common, COMMON_MSG_ERROR, 0, "a 4-byte UTF-8 character accepted");
    s_error_body(8, "a\xff", 2);
    EXPECT(&s_common, COMMON_MSG_ERROR, -1, "invalid UTF-8 (0xff) refused");
    s_error_body(8, "\xc0\x80", 2);
    EXPECT(&s_common, COMMON_MSG_ERROR, -1, "overlong NUL (c0 80) refused");
    s_error_body(8, "\xed\xa0\x80", 3);
    EXPECT(&s_common, COMMON_MSG_ERROR, -1, "a UTF-16 surrogate refused");
    s_error_body(8, "\xe2\x82", 2);
    EXPECT(&s_common, COMMON_MSG_ERROR, -1, "a cut UTF-8 sequence refused");
    s_error_body(8, "a\0b", 3);
    EXPECT(&s_common, COMMON_MSG_ERROR, -1, "an embedded NUL refused");

    s_begin();
    cm_mp_put_map(&s_w, 2);
    cm_mp_put_uint(&s_w, 1);
    cm_mp_put_uint(&s_w, 8);
    cm_mp_put_uint(&s_w, 2);
    cm_mp_put_bin(&s_w, "x", 1);
    EXPECT(&s_common, COMMON_MSG_ERROR, -1, "reason sent as bin refused");

    /* HEALTH_OK.service is 32 at most; READY.worker_id 64. */
    s_begin();
    cm_mp_put_map(&s_w, 2);
    cm_mp_put_uint(&s_w, 1);
    cm_mp_put_str(&s_w, big, 33);
    cm_mp_put_uint(&s_w, 2);
    cm_mp_put_cstr(&s_w, "1");
    EXPECT(&s_common, COMMON_MSG_HEALTH_OK, -1, "service of 33 bytes refused");
    s_begin();
    cm_mp_put_map(&s_w, 2);
    cm_mp_put_uint(&s_w, 1);
    cm_mp_put_str(&s_w, big, 65);
    cm_mp_put_uint(&s_w, 2);
    cm_mp_put_cstr(&s_w, "1");
    EXPECT(&s_torrent, TORRENT_MSG_READY, -1, "worker_id of 65 bytes refused");
    s_begin();
    cm_mp_put_map(&s_w, 2);
    cm_mp_put_uint(&s_w, 1);
    cm_mp_put_str(&s_w, big, 64);
    cm_mp_put_uint(&s_w, 2);
    cm_mp_put_cstr(&s_w, "1");
    EXPECT(&s_torrent, TORRENT_MSG_READY, 0, "worker_id of 64 bytes accepted");
}

static void s_integers(void)
{
    s_error_body(65535, "", 0);
    EXPECT(&s_common, COMMON_MSG_ERROR, 0, "status 65535 accepted");
    s_error_body(65536, "", 0);
    EXPECT(&s_common, COMMON_MSG_ERROR, -1, "status 65536 refused");
    s_begin();
    s_hex("8101ff"); /* {1: -1} */
    EXPECT(&s_common, COMMON_MSG_ERROR, -1, "status -1 refused");
    s_begin();
    s_hex("8101a138"); /* {1: "8"} */
    EXPECT(&s_common, COMMON_MSG_ERROR, -1, "status as a string refused");
    s_begin();
    s_hex("8101cb4020000000000000"); /* {1: 8.0} */
    EXPECT(&s_common, COMMON_MSG_ERROR, -1, "status as a float refused");
    s_begin();
    s_hex("8101d10008"); /* {1: int16 8}: any encoding whose value fits */
    EXPECT(&s_common, COMMON_MSG_ERROR, 0, "status 8 as an int16 accepted");

    /* HEALTH_OK.db is a u8, pid a u32. */
    for (int i = 0; i < 2; i++) {
        s_begin();
        cm_mp_put_map(&s_w, 3);
        cm_mp_put_uint(&s_w, 1);
        cm_mp_put_cstr(&s_w, "auth");
        cm_mp_put_uint(&s_w, 2);
        cm_mp_put_cstr(&s_w, "1");
        cm_mp_put_uint(&s_w, 5);
        cm_mp_put_uint(&s_w, 255 + (uint64_t)i);
        EXPECT(&s_common, COMMON_MSG_HEALTH_OK, i ? -1 : 0,
               i ? "db 256 refused" : "db 255 accepted");
    }
    s_begin();
    cm_mp_put_map(&s_w, 3);
    cm_mp_put_uint(&s_w, 1);
    cm_mp_put_cstr(&s_w, "auth");
    cm_mp_put_uint(&s_w, 2);
    cm_mp_put_cstr(&s_w, "1");
    cm_mp_put_uint(&s_w, 3);
    cm_mp_put_uint(&s_w, UINT64_C(1) << 32);
    EXPECT(&s_common, COMMON_MSG_HEALTH_OK, -1, "pid 2^32 refused");

    /* CREDIT.bytes is a u64. */
    s_begin();
    s_hex("8101cfffffffffffffffff");
    EXPECT(&s_common, COMMON_MSG_CREDIT, 0, "bytes 2^64-1 accepted");
    s_begin();
    s_hex("8101d3ffffffffffffffff");
    EXPECT(&s_common, COMMON_MSG_CREDIT, -1, "bytes as int64 -1 refused");

    /* HEARTBEAT.draining is a bool. */
    s_begin();
    s_hex("810601");
    EXPECT(&s_torrent, TORRENT_MSG_HEARTBEAT, -1, "draining as 1 refused");
    s_begin();
    s_hex("8106c0");
    EXPECT(&s_torrent, TORRENT_MSG_HEARTBEAT, -1, "draining as nil refused");
    s_begin();
    s_hex("80");
    EXPECT(&s_torrent, TORRENT_MSG_HEARTBEAT, 0, "no fields at all accepted (none required)");

    /* test.SCALARS: the i64 edges. */
    s_begin();
    s_hex("820101"
          "05cf8000000000000000"); /* a_i64 = 2^63 */
    EXPECT(&s_test, TEST_MSG_SCALARS, -1, "i64 2^63 refused");
    s_begin();
    s_hex("820101"
          "05d38000000000000000"); /* a_i64 = -2^63 */
    EXPECT(&s_test, TEST_MSG_SCALARS, 0, "i64 -2^63 accepted");
    s_begin();
    s_hex("820101"
          "0800"); /* yes = 0 */
    EXPECT(&s_test, TEST_MSG_SCALARS, -1, "bool as 0 refused");
    s_begin();
    s_hex("820101"
          "03cf0000000100000000"); /* a_u32 = 2^32 */
    EXPECT(&s_test, TEST_MSG_SCALARS, -1, "u32 2^32 refused");
}

static void s_required(void)
{
    s_begin();
    s_hex("8102a178"); /* {2: "x"} */
    EXPECT(&s_common, COMMON_MSG_ERROR, -1, "status missing refused");
    s_begin();
    s_hex("80");
    EXPECT(&s_common, COMMON_MSG_CREDIT, -1, "bytes missing refused");
    s_begin();
    s_hex("8101a461757468"); /* {1: "auth"} */
    EXPECT(&s_common, COMMON_MSG_HEALTH_OK, -1, "version missing refused");
    s_begin();
    s_hex("8102a131"); /* {2: "1"} */
    EXPECT(&s_torrent, TORRENT_MSG_READY, -1, "worker_id missing refused");
    s_begin();
    s_hex("8264a178"
          "0108"); /* {100: "x", 1: 8}: order does not matter */
    EXPECT(&s_common, COMMON_MSG_ERROR, 0, "an unknown tag first, status after: accepted");
    s_begin();
    s_hex("820108"
          "0109"); /* {1: 8, 1: 9} */
    EXPECT(&s_common, COMMON_MSG_ERROR, -1, "status given twice refused");
    s_begin();
    s_hex("80");
    EXPECT(&s_test, TEST_MSG_SCALARS, -1, "a_u8 missing refused");
}

/* test.LISTS with only the required `names` and one more field written by the caller. */
static void s_lists_body(void)
{
    s_begin();
    cm_mp_put_map(&s_w, 2);
    cm_mp_put_uint(&s_w, 7);
    cm_mp_put_array(&s_w, 0);
}

static void s_containers(void)
{
    static char big[128];
    memset(big, 'y', sizeof(big));

    s_lists_body();
    s_hex("01"
          "9400010203");
    EXPECT(&s_test, TEST_MSG_LISTS, 0, "list<u8> at its max (4) accepted");
    s_lists_body();
    s_hex("01"
          "950001020304");
    EXPECT(&s_test, TEST_MSG_LISTS, -1, "list<u8> of 5 refused");
    s_lists_body();
    s_hex("01"
          "91cd0100");
    EXPECT(&s_test, TEST_MSG_LISTS, -1, "list<u8> item 256 refused");
    s_lists_body();
    s_hex("02"
          "92a161cd01bb");
    EXPECT(&s_test, TEST_MSG_LISTS, -1, "list<u16> item of the wrong type refused");
    s_lists_body();
    s_hex("05"
          "91cf8000000000000000");
    EXPECT(&s_test, TEST_MSG_LISTS, -1, "list<i64> item 2^63 refused");
    s_lists_body();
    s_hex("06"
          "92c3c0");
    EXPECT(&s_test, TEST_MSG_LISTS, -1, "list<bool> item nil refused");
    s_lists_body();
    s_hex("0a"
          "93010203");
    EXPECT(&s_test, TEST_MSG_LISTS, -1, "list<u32> of 3 over its max (2) refused");
    s_lists_body();
    s_hex("01"
          "8100");
    EXPECT(&s_test, TEST_MSG_LISTS, -1, "a map where a list belongs refused");
    s_lists_body();
    s_hex("01"
          "dc0001"
          "00");
    EXPECT(&s_test, TEST_MSG_LISTS, 0, "a list in array16 form accepted");

    /* list<str> (3 items of 16 bytes at most) and list<bin> (3 of 8). */
    s_begin();
    cm_mp_put_map(&s_w, 1);
    cm_mp_put_uint(&s_w, 7);
    cm_mp_put_array(&s_w, 1);
    cm_mp_put_str(&s_w, big, 17);
    EXPECT(&s_test, TEST_MSG_LISTS, -1, "list<str> item of 17 bytes refused");
    s_begin();
    cm_mp_put_map(&s_w, 1);
    cm_mp_put_uint(&s_w, 7);
    cm_mp_put_array(&s_w, 2);
    cm_mp_put_str(&s_w, big, 16);
    cm_mp_put_str(&s_w, "a\0", 2);
    EXPECT(&s_test, TEST_MSG_LISTS, -1, "list<str> item with a NUL refused");
    s_begin();
    cm_mp_put_map(&s_w, 1);
    cm_mp_put_uint(&s_w, 7);
    cm_mp_put_array(&s_w, 4);
    for (int i = 0; i < 4; i++)
        cm_mp_put_cstr(&s_w, "a");
    EXPECT(&s_test, TEST_MSG_LISTS, -1, "list<str> of 4 refused");
    s_lists_body();
    s_hex("08");
    cm_mp_put_array(&s_w, 1);
    cm_mp_put_bin(&s_w, big, 9);
    EXPECT(&s_test, TEST_MSG_LISTS, -1, "list<bin> item of 9 bytes refused");
    s_lists_body();
    s_hex("08");
    cm_mp_put_array(&s_w, 1);
    cm_mp_put_str(&s_w, "ab", 2);
    EXPECT(&s_test, TEST_MSG_LISTS, -1, "list<bin> item sent as str refused");

    /* map<str,str>: 4 pairs of 12-byte keys and values at most, keys unique. */
    static const struct {
        const char *hex;
        int want;
        const char *what;
    } maps[] = {
        {"82a161a162a162a162", 0, "map with two keys accepted"},
        {"82a161a162a161a163", -1, "map with a key given twice refused"},
        {"85a130a1ffa131a1ffa132a1ffa133a1ffa134a1ff", -1, "map of 5 pairs refused"},
        {"8101a162", -1, "map with an integer key refused"},
        {"81a161c0", -1, "map with a nil value refused"},
        {"81ad61616161616161616161616161a162", -1, "map key of 13 bytes refused"},
        {"81ac616161616161616161616161a162", 0, "map key of 12 bytes accepted"},
        {"81a161ad61616161616161616161616161", -1, "map value of 13 bytes refused"},
        {"81a1ffa162", -1, "map key not UTF-8 refused"},
        {"91a161", -1, "an array where a map belongs refused"},
        {"de0001a161a162", 0, "a map in map16 form accepted"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(maps); i++) {
        s_lists_body();
        s_hex("09");
        s_hex(maps[i].hex);
        EXPECT(&s_test, TEST_MSG_LISTS, maps[i].want, maps[i].what);
    }

    /* bin: BLOBS.blob is 64 bytes at most and required; name is a required str. */
    for (int i = 0; i < 2; i++) {
        s_begin();
        cm_mp_put_map(&s_w, 2);
        cm_mp_put_uint(&s_w, 1);
        cm_mp_put_cstr(&s_w, "n");
        cm_mp_put_uint(&s_w, 5);
        cm_mp_put_bin(&s_w, big, 64 + (size_t)i);
        EXPECT(&s_test, TEST_MSG_BLOBS, i ? -1 : 0, i ? "bin of 65 refused" : "bin of 64 accepted");
    }
    s_begin();
    s_hex("8201a16e"
          "05a3616263"); /* blob as a str */
    EXPECT(&s_test, TEST_MSG_BLOBS, -1, "bin sent as str refused");
    s_begin();
    s_hex("8201c4016e"
          "05c400"); /* name as a bin */
    EXPECT(&s_test, TEST_MSG_BLOBS, -1, "str sent as bin refused");
    s_begin();
    s_hex("8201a16e"
          "05c400"); /* an empty bin */
    int rc = s_decode_buf(&s_test, TEST_MSG_BLOBS, s_body);
    ok(rc == 0 && s_msg.test.blobs.blob.len == 0 && s_msg.test.blobs.blob.data == NULL,
       "test.BLOBS: an empty bin decodes to {NULL, 0}");
}

/* --- Header frames --- */

static int s_hdr_hex(const char *hex, struct cm_hdr *h)
{
    s_begin();
    s_hex(hex);
    unsigned char *copy = cm_malloc(cm_buf_len(s_body) + 1);
    memcpy(copy, cm_buf_data(s_body), cm_buf_len(s_body));
    int rc = cm_hdr_decode(h, copy, cm_buf_len(s_body));
    cm_free(copy);
    return rc;
}

static void s_headers(void)
{
    struct cm_hdr h = {.proto = 4, .version = 1, .msg = 2, .rid = UINT64_MAX, .deadline = 1234};
    struct cm_hdr got;
    cm_buf_t *enc = cm_buf_new(CM_HDR_MAX);

    is_int(cm_hdr_encode(&h, enc), 0, "header: encodes within CM_HDR_MAX");
    is_int(cm_hdr_decode(&got, cm_buf_data(enc), cm_buf_len(enc)), 0, "header: decodes");
    ok(got.proto == 4 && got.version == 1 && got.msg == 2 && got.rid == UINT64_MAX &&
           got.deadline == 1234,
       "header: every field round-trips");
    int bad = 0;
    for (size_t i = 0; i < cm_buf_len(enc); i++) {
        unsigned char *copy = cm_malloc(i ? i : 1);
        memcpy(copy, cm_buf_data(enc), i);
        if (cm_hdr_decode(&got, copy, i) != -1)
            bad++;
        cm_free(copy);
    }
    ok(bad == 0, "header: truncated at every offset: refused");
    cm_buf_destroy(&enc);

    is_int(s_hdr_hex("950001020300", &got), 0, "header: [0,1,2,3,0] accepted");
    is_int(s_hdr_hex("9400010203", &got), -1, "header: 4 elements refused");
    is_int(s_hdr_hex("960001020304a3657874", &got), 0, "header: a 6th element is ignored");
    ok(got.proto == 0 && got.version == 1 && got.msg == 2 && got.rid == 3 && got.deadline == 4,
       "header: the first 5 of 6 elements read");
    is_int(s_hdr_hex("95cdffff01020300", &got), 0, "header: proto 65535 accepted");
    is_int(s_hdr_hex("95ce0001000001020300", &got), -1, "header: proto 65536 refused");
    is_int(s_hdr_hex("9500ce00010000020300", &got), -1, "header: version 65536 refused");
    is_int(s_hdr_hex("950001ce000100000300", &got), -1, "header: msg 65536 refused");
    is_int(s_hdr_hex("95ff01020300", &got), -1, "header: a negative proto refused");
    is_int(s_hdr_hex("95a13001020300", &got), -1, "header: a string element refused");
    is_int(s_hdr_hex("959000010203", &got), -1, "header: an array element refused");
    is_int(s_hdr_hex("8200010203", &got), -1, "header: a map refused");
    is_int(s_hdr_hex("950001020300"
                     "00",
                     &got),
           -1, "header: a trailing byte refused");
    is_int(s_hdr_hex("ddffffffff", &got), -1, "header: array32 bomb refused");
    is_int(s_hdr_hex("", &got), -1, "header: empty frame refused");
    s_begin();
    s_fill(0x91, 1000);
    s_hex("00");
    is_int(cm_hdr_decode(&got, cm_buf_data(s_body), cm_buf_len(s_body)), -1,
           "header: nesting 1000 deep refused");
}

int main(void)
{
    s_body = cm_buf_new(CM_POOL_MSG_MAX);
    s_every_message(&s_common);
    s_every_message(&s_torrent);
    s_every_message(&s_test);
    s_strings();
    s_integers();
    s_required();
    s_containers();
    s_headers();
    cm_buf_destroy(&s_body);
    return done_testing();
}
