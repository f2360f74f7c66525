/* SPDX-License-Identifier: MIT
 * Tests of bt_wire: every message id parsed from hand-made bytes; every strict prefix of a
 * message asks for more with the right `need`; each error code (checklist B-06: huge length
 * prefixes, oversized request blocks, indexes >= n, bad bitfields), returned as soon as the
 * bytes that prove it are in; builders against hand-written bytes; the handshake. */
#include "cm.h"
#include "bt_wire.h"
#include "../../tap.h"

/* Every strict prefix of msg[0..n) must return 0 with need = 4 before the prefix is in, then
 * the whole size. */
static int s_prefixes_need_more(const uint8_t *msg, size_t n, uint32_t npieces)
{
    for (size_t k = 0; k < n; k++) {
        struct bt_msg m;
        size_t need = 12345;
        int rc = bt_wire_parse(msg, k, npieces, &m, &need);
        size_t want = k < 4 ? 4 : n;
        if (rc != 0 || need != want) {
            diag("split %zu: rc %d need %zu (want 0, %zu)", k, rc, need, want);
            return 0;
        }
        /* need may be NULL */
        if (bt_wire_parse(msg, k, npieces, &m, NULL) != 0)
            return 0;
    }
    return 1;
}

/* Parse a complete message (with trailing garbage after it, which must be ignored). The copy
 * is static: m->payload points into it after the return. */
static int s_parse(const uint8_t *msg, size_t n, uint32_t npieces, struct bt_msg *m)
{
    static uint8_t buf[64];
    if (n + 3 > sizeof(buf))
        return bt_wire_parse(msg, n, npieces, m, NULL);
    memcpy(buf, msg, n);
    memset(buf + n, 0xee, 3);
    return bt_wire_parse(buf, n + 3, npieces, m, NULL);
}

static void test_simple_ids(void)
{
    static const struct {
        uint8_t id;
        const char *name;
    } ids[] = {
        {0, "choke"},          {1, "unchoke"},   {2, "interested"},
        {3, "not_interested"}, {14, "have_all"}, {15, "have_none"},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(ids); i++) {
        uint8_t msg[5] = {0, 0, 0, 1, ids[i].id};
        struct bt_msg m;
        char name[96];
        snprintf(name, sizeof(name), "%s parses, takes 5 bytes", ids[i].name);
        is_int(s_parse(msg, 5, 10, &m), 5, name);
        snprintf(name, sizeof(name), "%s id and len", ids[i].name);
        ok(m.id == ids[i].id && m.len == 1 && m.payload == NULL && m.plen == 0, name);
        snprintf(name, sizeof(name), "%s: every split asks for more", ids[i].name);
        ok(s_prefixes_need_more(msg, 5, 10), name);
        /* Wrong length, refused from the prefix + id alone (body not sent). */
        uint8_t bad[5] = {0, 0, 0, 2, ids[i].id};
        snprintf(name, sizeof(name), "%s with len 2 -> ELENGTH before the body", ids[i].name);
        is_int(bt_wire_parse(bad, 5, 10, &m, NULL), BT_WIRE_ELENGTH, name);
        uint8_t out[5];
        snprintf(name, sizeof(name), "bt_wire_simple(%s) bytes", ids[i].name);
        ok(bt_wire_simple(out, ids[i].id) == 5 && memcmp(out, msg, 5) == 0, name);
    }
}

static void test_keepalive(void)
{
    static const uint8_t msg[4] = {0, 0, 0, 0};
    struct bt_msg m;
    size_t need = 0;
    is_int(bt_wire_parse(msg, 4, 0, &m, &need), 4, "keep-alive takes 4 bytes");
    is_int(m.id, BT_MSG_KEEPALIVE, "keep-alive id");
    ok(s_prefixes_need_more(msg, 4, 0), "keep-alive: every split asks for 4");
    uint8_t two[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    is_int(bt_wire_parse(two, 8, 0, &m, &need), 4, "keep-alive followed by more: takes 4");
    uint8_t out[4] = {1, 1, 1, 1};
    ok(bt_wire_keepalive(out) == 4 && memcmp(out, msg, 4) == 0, "bt_wire_keepalive bytes");
    need = 77;
    is_int(bt_wire_parse(msg, 0, 0, &m, &need), 0, "empty input: 0");
    is_int(need, 4, "empty input: need 4");
}

static void test_have_family(void)
{
    static const struct {
        uint8_t id;
        const char *name;
    } ids[] = {{4, "have"}, {13, "suggest"}, {17, "allowed_fast"}};
    for (size_t i = 0; i < CM_ARRAY_LEN(ids); i++) {
        uint8_t msg[9] = {0, 0, 0, 5, ids[i].id, 0, 0, 0x01, 0x02};
        struct bt_msg m;
        char name[96];
        snprintf(name, sizeof(name), "%s parses (9 bytes)", ids[i].name);
        is_int(s_parse(msg, 9, 1000, &m), 9, name);
        snprintf(name, sizeof(name), "%s fields", ids[i].name);
        ok(m.id == ids[i].id && m.len == 5 && m.index == 0x102, name);
        snprintf(name, sizeof(name), "%s: every split asks for more", ids[i].name);
        ok(s_prefixes_need_more(msg, 9, 1000), name);
        snprintf(name, sizeof(name), "%s index 258 < n 259 accepted", ids[i].name);
        is_int(s_parse(msg, 9, 259, &m), 9, name);
        snprintf(name, sizeof(name), "%s index 258 >= n 258 -> EINDEX", ids[i].name);
        is_int(s_parse(msg, 9, 258, &m), BT_WIRE_EINDEX, name);
        snprintf(name, sizeof(name), "%s any index when n unknown", ids[i].name);
        uint8_t big[9] = {0, 0, 0, 5, ids[i].id, 0xff, 0xff, 0xff, 0xff};
        ok(s_parse(big, 9, 0, &m) == 9 && m.index == 0xffffffffu, name);
        /* A `have` announcing a 1 MiB body is refused at 5 bytes. */
        uint8_t lng[5] = {0, 0x10, 0, 0, ids[i].id};
        snprintf(name, sizeof(name), "%s with len 1 MiB -> ELENGTH at 5 bytes", ids[i].name);
        is_int(bt_wire_parse(lng, 5, 1000, &m, NULL), BT_WIRE_ELENGTH, name);
        uint8_t shrt[5] = {0, 0, 0, 4, ids[i].id};
        snprintf(name, sizeof(name), "%s with len 4 -> ELENGTH", ids[i].name);
        is_int(bt_wire_parse(shrt, 5, 1000, &m, NULL), BT_WIRE_ELENGTH, name);
    }
    uint8_t out[9];
    static const uint8_t want[9] = {0, 0, 0, 5, 4, 0xde, 0xad, 0xbe, 0xef};
    ok(bt_wire_have(out, 0xdeadbeef) == 9 && memcmp(out, want, 9) == 0, "bt_wire_have bytes");
}

static void test_request_family(void)
{
    static const struct {
        uint8_t id;
        const char *name;
    } ids[] = {{6, "request"}, {8, "cancel"}, {16, "reject"}};
    for (size_t i = 0; i < CM_ARRAY_LEN(ids); i++) {
        uint8_t id = ids[i].id;
        const uint8_t msg[17] = {0, 0, 0, 13, id, 0, 0, 0, 7, 0, 0, 0x40, 0, 0, 0, 0x40, 0};
        struct bt_msg m;
        char name[96];
        snprintf(name, sizeof(name), "%s parses (17 bytes)", ids[i].name);
        is_int(s_parse(msg, 17, 8, &m), 17, name);
        snprintf(name, sizeof(name), "%s fields", ids[i].name);
        ok(m.id == id && m.len == 13 && m.index == 7 && m.begin == 0x4000 && m.length == 16384,
           name);
        snprintf(name, sizeof(name), "%s: every split asks for more", ids[i].name);
        ok(s_prefixes_need_more(msg, 17, 8), name);
        snprintf(name, sizeof(name), "%s index 7 >= n 7 -> EINDEX", ids[i].name);
        is_int(s_parse(msg, 17, 7, &m), BT_WIRE_EINDEX, name);

        const uint8_t over[17] = {0, 0, 0, 13, id, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0x40, 0x01};
        snprintf(name, sizeof(name), "%s length 16 KiB + 1 -> EBLOCK", ids[i].name);
        is_int(s_parse(over, 17, 8, &m), BT_WIRE_EBLOCK, name);
        const uint8_t zero[17] = {0, 0, 0, 13, id, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0};
        snprintf(name, sizeof(name), "%s length 0 -> EBLOCK", ids[i].name);
        is_int(s_parse(zero, 17, 0, &m), BT_WIRE_EBLOCK, name);
        const uint8_t one[17] = {0, 0, 0, 13, id, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1};
        snprintf(name, sizeof(name), "%s length 1 accepted", ids[i].name);
        is_int(s_parse(one, 17, 0, &m), 17, name);

        uint8_t bad[5] = {0, 0, 0, 12, id};
        snprintf(name, sizeof(name), "%s with len 12 -> ELENGTH at 5 bytes", ids[i].name);
        is_int(bt_wire_parse(bad, 5, 8, &m, NULL), BT_WIRE_ELENGTH, name);
        bad[3] = 14;
        snprintf(name, sizeof(name), "%s with len 14 -> ELENGTH at 5 bytes", ids[i].name);
        is_int(bt_wire_parse(bad, 5, 8, &m, NULL), BT_WIRE_ELENGTH, name);

        uint8_t out[17];
        snprintf(name, sizeof(name), "bt_wire_request(%s) bytes", ids[i].name);
        ok(bt_wire_request(out, id, 7, 0x4000, 0x4000) == 17 && memcmp(out, msg, 17) == 0, name);
    }
}

static void test_port(void)
{
    static const uint8_t msg[7] = {0, 0, 0, 3, 9, 0x1a, 0xe1};
    struct bt_msg m;
    is_int(s_parse(msg, 7, 0, &m), 7, "port parses (7 bytes)");
    ok(m.id == BT_MSG_PORT && m.port == 6881, "port 6881");
    ok(s_prefixes_need_more(msg, 7, 0), "port: every split asks for more");
    uint8_t bad[5] = {0, 0, 0, 5, 9};
    is_int(bt_wire_parse(bad, 5, 0, &m, NULL), BT_WIRE_ELENGTH, "port with len 5 -> ELENGTH");
}

static void test_bitfield(void)
{
    struct bt_msg m;
    /* 10 pieces: 2 bytes, the low 6 bits of the second are spare. */
    static const uint8_t msg[7] = {0, 0, 0, 3, 5, 0xff, 0xc0};
    is_int(s_parse(msg, 7, 10, &m), 7, "bitfield of 10 pieces parses");
    ok(m.id == BT_MSG_BITFIELD && m.plen == 2 && m.payload && m.payload[0] == 0xff &&
           m.payload[1] == 0xc0,
       "bitfield payload");
    ok(s_prefixes_need_more(msg, 7, 10), "bitfield: every split asks for more");

    static const uint8_t spare[7] = {0, 0, 0, 3, 5, 0xff, 0xe0};
    is_int(s_parse(spare, 7, 10, &m), BT_WIRE_EBITFIELD, "spare bit set -> EBITFIELD");
    static const uint8_t spare_low[7] = {0, 0, 0, 3, 5, 0x00, 0x01};
    is_int(s_parse(spare_low, 7, 10, &m), BT_WIRE_EBITFIELD, "lowest spare bit -> EBITFIELD");
    static const uint8_t spare_ok[7] = {0, 0, 0, 3, 5, 0x00, 0x01};
    is_int(s_parse(spare_ok, 7, 16, &m), 7, "16 pieces: no spare bits, 0x01 accepted");

    /* Wrong size is refused from the prefix + id, before the bits. */
    static const uint8_t longer[5] = {0, 0, 0, 4, 5};
    is_int(bt_wire_parse(longer, 5, 10, &m, NULL), BT_WIRE_EBITFIELD,
           "3 bytes for 10 pieces -> EBITFIELD at 5 bytes");
    static const uint8_t shorter[5] = {0, 0, 0, 2, 5};
    is_int(bt_wire_parse(shorter, 5, 10, &m, NULL), BT_WIRE_EBITFIELD,
           "1 byte for 10 pieces -> EBITFIELD at 5 bytes");
    static const uint8_t empty[5] = {0, 0, 0, 1, 5};
    is_int(bt_wire_parse(empty, 5, 10, &m, NULL), BT_WIRE_EBITFIELD,
           "empty bitfield for 10 pieces -> EBITFIELD");

    /* n unknown: any size, spare bits not checked. */
    is_int(bt_wire_parse(longer, 5, 0, &m, NULL), 0,
           "n unknown: 3-byte bitfield waits for its body");
    static const uint8_t any[8] = {0, 0, 0, 4, 5, 1, 2, 3};
    ok(s_parse(any, 8, 0, &m) == 8 && m.plen == 3, "n unknown: 3-byte bitfield accepted");
    ok(s_parse(empty, 5, 0, &m) == 5 && m.plen == 0, "n unknown: empty bitfield accepted");

    uint8_t out[5];
    static const uint8_t want[5] = {0, 0, 0x01, 0x00, 5};
    ok(bt_wire_bitfield_header(out, 255) == 5 && memcmp(out, want, 5) == 0,
       "bt_wire_bitfield_header bytes");
}

static void test_piece(void)
{
    struct bt_msg m;
    static const uint8_t msg[16] = {0, 0, 0, 12, 7, 0, 0, 0, 3, 0, 0, 0x40, 0, 'a', 'b', 'c'};
    is_int(s_parse(msg, 16, 4, &m), 16, "piece parses");
    ok(m.id == BT_MSG_PIECE && m.len == 12 && m.index == 3 && m.begin == 0x4000 && m.length == 3 &&
           m.plen == 3,
       "piece fields");
    ok(m.payload && memcmp(m.payload, "abc", 3) == 0, "piece data");
    ok(s_prefixes_need_more(msg, 16, 4), "piece: every split asks for more");

    /* Index checked as soon as its 4 bytes are in, before the block. */
    is_int(bt_wire_parse(msg, 9, 3, &m, NULL), BT_WIRE_EINDEX,
           "piece index 3 >= n 3 -> EINDEX at 9 bytes");
    is_int(bt_wire_parse(msg, 16, 3, &m, NULL), BT_WIRE_EINDEX, "piece index 3 >= n 3 -> EINDEX");
    size_t need = 0;
    ok(bt_wire_parse(msg, 8, 3, &m, &need) == 0 && need == 16, "piece index not yet in: wait");

    static const uint8_t nodata[5] = {0, 0, 0, 9, 7};
    is_int(bt_wire_parse(nodata, 5, 0, &m, NULL), BT_WIRE_EBLOCK, "empty piece -> EBLOCK");
    static const uint8_t tiny[5] = {0, 0, 0, 8, 7};
    is_int(bt_wire_parse(tiny, 5, 0, &m, NULL), BT_WIRE_ELENGTH, "piece len 8 -> ELENGTH");
    static const uint8_t one[5] = {0, 0, 0, 1, 7};
    is_int(bt_wire_parse(one, 5, 0, &m, NULL), BT_WIRE_ELENGTH, "piece len 1 -> ELENGTH");
    static const uint8_t over[5] = {0, 0, 0x40, 0x0a, 7}; /* 9 + 16385 */
    is_int(bt_wire_parse(over, 5, 0, &m, NULL), BT_WIRE_EBLOCK,
           "piece block 16 KiB + 1 -> EBLOCK at 5 bytes");
    static const uint8_t max[5] = {0, 0, 0x40, 0x09, 7}; /* 9 + 16384 */
    ok(bt_wire_parse(max, 5, 0, &m, &need) == 0 && need == 4 + 9 + 16384,
       "piece block 16 KiB: waits for 16397 bytes");
    static const uint8_t mib[5] = {0, 0x10, 0, 0x01, 7};
    is_int(bt_wire_parse(mib, 5, 0, &m, NULL), BT_WIRE_ETOOLONG, "piece of 1 MiB + 1 -> ETOOLONG");

    /* A full 16 KiB block. */
    uint8_t *full = cm_calloc(1, 4 + 9 + 16384);
    memcpy(full, max, 5);
    full[8] = 2;
    int rc = bt_wire_parse(full, 4 + 9 + 16384, 3, &m, NULL);
    ok(rc == 4 + 9 + 16384 && m.index == 2 && m.length == 16384 && m.plen == 16384 &&
           m.payload == full + 13,
       "16 KiB block parses, payload after the header");
    cm_free(full);

    uint8_t out[13];
    static const uint8_t want[13] = {0, 0, 0x40, 0x09, 7, 0, 0, 0, 5, 0, 1, 0, 0};
    ok(bt_wire_piece_header(out, 5, 0x10000, 16384) == 13 && memcmp(out, want, 13) == 0,
       "bt_wire_piece_header bytes");
}

static void test_extended(void)
{
    struct bt_msg m;
    static const uint8_t msg[10] = {0, 0, 0, 6, 20, 0, 'd', '1', ':', 'e'};
    is_int(s_parse(msg, 10, 0, &m), 10, "extended parses");
    ok(m.id == BT_MSG_EXTENDED && m.ext_id == 0 && m.plen == 4, "extended fields");
    ok(m.payload && memcmp(m.payload, "d1:e", 4) == 0, "extended payload after the ext id");
    ok(s_prefixes_need_more(msg, 10, 0), "extended: every split asks for more");
    static const uint8_t bare[6] = {0, 0, 0, 2, 20, 3};
    ok(s_parse(bare, 6, 0, &m) == 6 && m.ext_id == 3 && m.plen == 0,
       "extended with an empty payload");
    static const uint8_t noid[5] = {0, 0, 0, 1, 20};
    is_int(bt_wire_parse(noid, 5, 0, &m, NULL), BT_WIRE_ELENGTH, "extended len 1 -> ELENGTH");

    uint8_t out[6];
    static const uint8_t want[6] = {0, 0, 0x01, 0x01, 20, 2};
    ok(bt_wire_extended_header(out, 2, 255) == 6 && memcmp(out, want, 6) == 0,
       "bt_wire_extended_header bytes");
}

static void test_unknown(void)
{
    struct bt_msg m;
    static const uint8_t msg[8] = {0, 0, 0, 4, 99, 'x', 'y', 'z'};
    is_int(s_parse(msg, 8, 5, &m), 8, "unknown id parses");
    ok(m.id == BT_MSG_UNKNOWN && m.len == 4 && m.plen == 3 && m.payload &&
           memcmp(m.payload, "xyz", 3) == 0,
       "unknown: BT_MSG_UNKNOWN with its body");
    ok(s_prefixes_need_more(msg, 8, 5), "unknown: every split asks for more");
    static const uint8_t bare[5] = {0, 0, 0, 1, 10};
    ok(s_parse(bare, 5, 0, &m) == 5 && m.id == BT_MSG_UNKNOWN && m.plen == 0,
       "unknown id 10 with no body");
}

static void test_too_long(void)
{
    struct bt_msg m;
    static const uint8_t huge[4] = {0xff, 0xff, 0xff, 0xff};
    is_int(bt_wire_parse(huge, 4, 0, &m, NULL), BT_WIRE_ETOOLONG,
           "length 2^32-1 -> ETOOLONG from the prefix alone");
    uint8_t cap[4] = {0, 0x10, 0, 0x01}; /* BT_WIRE_MSG_MAX + 1 = 1 MiB + 1 (checklist B-06) */
    is_int(bt_wire_parse(cap, 4, 0, &m, NULL), BT_WIRE_ETOOLONG, "length cap + 1 -> ETOOLONG");
    uint8_t at[5] = {0, 0x10, 0, 0x00, 20}; /* exactly BT_WIRE_MSG_MAX */
    size_t need = 0;
    ok(bt_wire_parse(at, 5, 0, &m, &need) == 0 && need == 4 + (size_t)BT_WIRE_MSG_MAX,
       "length at the cap waits for the whole message");
    /* Just under the cap, ids with a size rule refuse at 5 bytes, before buffering. */
    static const uint8_t mib_have[5] = {0, 0x0f, 0xff, 0xff, 4};
    is_int(bt_wire_parse(mib_have, 5, 0, &m, NULL), BT_WIRE_ELENGTH,
           "have of 1 MiB - 1 -> ELENGTH at 5 bytes");
    static const uint8_t mib_req[5] = {0, 0x0f, 0xff, 0xff, 6};
    is_int(bt_wire_parse(mib_req, 5, 0, &m, NULL), BT_WIRE_ELENGTH,
           "request of 1 MiB - 1 -> ELENGTH at 5 bytes");
    static const uint8_t mib_bf[5] = {0, 0x0f, 0xff, 0xff, 5};
    is_int(bt_wire_parse(mib_bf, 5, 100, &m, NULL), BT_WIRE_EBITFIELD,
           "bitfield of 1 MiB - 1 with n known -> EBITFIELD at 5 bytes");
}

/* Several messages back to back, consumed by advancing over the return values. */
static void test_stream(void)
{
    uint8_t buf[64];
    size_t n = 0;
    n += bt_wire_keepalive(buf + n);
    n += bt_wire_simple(buf + n, BT_MSG_UNCHOKE);
    n += bt_wire_have(buf + n, 3);
    n += bt_wire_request(buf + n, BT_MSG_REQUEST, 1, 0, 100);
    n += bt_wire_piece_header(buf + n, 1, 0, 2);
    buf[n++] = 'h';
    buf[n++] = 'i';
    static const int want[] = {BT_MSG_KEEPALIVE, BT_MSG_UNCHOKE, BT_MSG_HAVE, BT_MSG_REQUEST,
                               BT_MSG_PIECE};
    size_t off = 0, i = 0;
    int bad = 0;
    while (off < n && i < CM_ARRAY_LEN(want)) {
        struct bt_msg m;
        int rc = bt_wire_parse(buf + off, n - off, 4, &m, NULL);
        if (rc <= 0 || m.id != want[i])
            bad++;
        if (rc <= 0)
            break;
        off += (size_t)rc;
        i++;
    }
    ok(!bad && off == n && i == CM_ARRAY_LEN(want), "built stream parses back in order");
}

static void test_handshake(void)
{
    uint8_t ih[20], pid[20], hs[BT_HANDSHAKE_LEN];
    for (int i = 0; i < 20; i++) {
        ih[i] = (uint8_t)(0xa0 + i);
        pid[i] = (uint8_t)('A' + i);
    }
    bt_wire_handshake(hs, ih, pid, false);
    static const uint8_t head[28] = {19,  'B', 'i', 't', 'T', 'o',  'r', 'r', 'e', 'n',
                                     't', ' ', 'p', 'r', 'o', 't',  'o', 'c', 'o', 'l',
                                     0,   0,   0,   0,   0,   0x10, 0,   0};
    ok(memcmp(hs, head, 28) == 0, "handshake: pstr and reserved (extension bit only)");
    ok(memcmp(hs + 28, ih, 20) == 0 && memcmp(hs + 48, pid, 20) == 0,
       "handshake: info-hash then peer id");

    struct bt_handshake h;
    memset(&h, 0, sizeof(h));
    is_int(bt_wire_handshake_parse(hs, &h), 0, "handshake parses back");
    ok(memcmp(h.info_hash, ih, 20) == 0 && memcmp(h.peer_id, pid, 20) == 0,
       "round trip: info-hash and peer id");
    ok(BT_HS_EXTENDED(h.reserved) && !BT_HS_FAST(h.reserved), "round trip: extended, not fast");

    bt_wire_handshake(hs, ih, pid, true);
    ok(hs[27] == 0x04 && hs[25] == 0x10, "fast handshake sets reserved[7] bit 0x04");
    is_int(bt_wire_handshake_parse(hs, &h), 0, "fast handshake parses");
    ok(BT_HS_EXTENDED(h.reserved) && BT_HS_FAST(h.reserved), "round trip: extended and fast");

    uint8_t bad[BT_HANDSHAKE_LEN];
    memcpy(bad, hs, sizeof(bad));
    bad[1] = 'b';
    is_int(bt_wire_handshake_parse(bad, &h), -1, "wrong protocol string -> -1");
    memcpy(bad, hs, sizeof(bad));
    bad[0] = 18;
    is_int(bt_wire_handshake_parse(bad, &h), -1, "wrong pstrlen -> -1");
    memcpy(bad, hs, sizeof(bad));
    bad[0] = 'G'; /* an HTTP client on the peer port */
    is_int(bt_wire_handshake_parse(bad, &h), -1, "HTTP request -> -1");
}

int main(void)
{
    test_keepalive();
    test_simple_ids();
    test_have_family();
    test_request_family();
    test_port();
    test_bitfield();
    test_piece();
    test_extended();
    test_unknown();
    test_too_long();
    test_stream();
    test_handshake();
    return done_testing();
}
