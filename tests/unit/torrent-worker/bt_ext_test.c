/* SPDX-License-Identifier: MIT
 * Tests of bt_ext: extended handshakes as qBittorrent/libtorrent, aria2 and uTorrent send them,
 * missing keys, ids and values out of range, the B-05 metadata sizes (parsed and reported as
 * is); ut_metadata request/data/reject build -> parse and every refusal (data after a non-data
 * message, piece -1 and 2^31, no total_size); ut_pex with IPv4 and IPv6 entries, bad lengths
 * and the cap; compact peer lists. */
#include "cm.h"
#include "bt_ext.h"
#include "../../tap.h"

static int s_hs(const char *s, struct bt_ext_hs *h)
{
    return bt_ext_hs_parse((const uint8_t *)s, strlen(s), h);
}

static int s_md(const char *s, struct bt_md_msg *m)
{
    return bt_md_parse((const uint8_t *)s, strlen(s), m);
}

static void test_hs_real(void)
{
    struct bt_ext_hs h;
    const char *qb = "d1:md11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei31235e1:pi6881e4:reqqi500e"
                     "1:v17:qBittorrent/4.5.2e";
    is_int(s_hs(qb, &h), 0, "qBittorrent handshake parses");
    is_int(h.ut_metadata, 2, "qB: ut_metadata id 2");
    is_int(h.ut_pex, 1, "qB: ut_pex id 1");
    is_int(h.metadata_size, 31235, "qB: metadata_size");
    is_int(h.port, 6881, "qB: p");
    is_int(h.reqq, 500, "qB: reqq");
    is_str(h.client, "qBittorrent/4.5.2", "qB: v");
    ok(!h.upload_only, "qB: not upload_only");

    /* aria2 (HandshakeExtensionMessage): m, metadata_size, p, v; no reqq. */
    const char *a2 =
        "d1:md11:ut_metadatai1e6:ut_pexi2ee13:metadata_sizei5107e1:pi6881e1:v12:aria2/1.36.0e";
    is_int(s_hs(a2, &h), 0, "aria2 handshake parses");
    ok(h.ut_metadata == 1 && h.ut_pex == 2, "aria2: ids 1 and 2");
    is_int(h.metadata_size, 5107, "aria2: metadata_size");
    is_int(h.reqq, 0, "aria2: no reqq -> 0");
    is_str(h.client, "aria2/1.36.0", "aria2: v");

    /* uTorrent: UTF-8 in v, extra keys of all types, upload_only, unsorted keys. */
    static const uint8_t ut[] = "d1:ei0e4:ipv44:\x7f\x00\x00\x01"
                                "12:complete_agoi-1e1:md11:"
                                "upload_onlyi3e12:ut_holepunchi4e11:ut_metadatai2e6:ut_pexi1ee"
                                "13:metadata_sizei20000e1:pi50000e4:reqqi255e11:upload_onlyi1e"
                                "1:v15:\xc2\xb5Torrent 3.5.5"
                                "6:yourip4:\x0a\x00\x00\x01"
                                "e";
    is_int(bt_ext_hs_parse(ut, sizeof(ut) - 1, &h), 0, "uTorrent handshake parses");
    is_str(h.client, "??Torrent 3.5.5", "uTorrent: non-printable bytes of v replaced by '?'");
    ok(h.upload_only, "uTorrent: upload_only");
    ok(h.ut_metadata == 2 && h.ut_pex == 1 && h.port == 50000 && h.reqq == 255,
       "uTorrent: ids, p, reqq");

    /* Transmission: no metadata_size before it has the metadata. */
    is_int(s_hs("d1:ei1e1:md11:ut_metadatai3e6:ut_pexi1ee1:pi51413e4:reqqi512e1:v17:Transmission "
                "2.94e",
                &h),
           0, "Transmission handshake parses");
    is_int(h.metadata_size, -1, "Transmission: metadata_size absent -> -1");
    is_str(h.client, "Transmission 2.94", "Transmission: v with a space");
}

static void test_hs_defaults_and_ranges(void)
{
    struct bt_ext_hs h;
    is_int(s_hs("de", &h), 0, "empty dict parses");
    ok(h.ut_metadata == 0 && h.ut_pex == 0 && h.metadata_size == -1 && h.port == 0 && h.reqq == 0 &&
           h.client[0] == '\0' && !h.upload_only,
       "empty dict: every default");
    is_int(s_hs("d1:mdee", &h), 0, "empty m parses");
    ok(h.ut_metadata == 0 && h.ut_pex == 0, "empty m: nothing supported");
    is_int(s_hs("d1:md11:ut_metadatai0e6:ut_pexi255eee", &h), 0, "ids 0 and 255");
    ok(h.ut_metadata == 0 && h.ut_pex == 255, "id 0 is disabled, 255 kept");
    is_int(s_hs("d1:md11:ut_metadatai256e6:ut_pexi-1eee", &h), 0, "ids 256 and -1 parse");
    ok(h.ut_metadata == 0 && h.ut_pex == 0, "ids 256 and -1 count as absent");
    is_int(s_hs("d1:md11:ut_metadata1:26:ut_pexli1eeee", &h), 0, "ids of the wrong type parse");
    ok(h.ut_metadata == 0 && h.ut_pex == 0, "string and list ids count as absent");
    is_int(s_hs("d1:md11:ut_metadatai9223372036854775807eee", &h), 0, "id INT64_MAX parses");
    is_int(h.ut_metadata, 0, "id INT64_MAX is absent");

    is_int(s_hs("d1:pi0e4:reqqi0ee", &h), 0, "p 0, reqq 0");
    ok(h.port == 0 && h.reqq == 0, "p 0 and reqq 0 -> 0");
    is_int(s_hs("d1:pi65536e4:reqqi100001ee", &h), 0, "p 65536, reqq 100001");
    ok(h.port == 0 && h.reqq == 0, "p 65536 and reqq 100001 -> 0");
    is_int(s_hs("d1:pi65535e4:reqqi100000ee", &h), 0, "p 65535, reqq 100000");
    ok(h.port == 65535 && h.reqq == 100000, "p 65535 and reqq 100000 kept");
    is_int(s_hs("d1:pi-1e4:reqqi-5ee", &h), 0, "negative p and reqq");
    ok(h.port == 0 && h.reqq == 0, "negative p and reqq -> 0");
    is_int(s_hs("d1:p4:68814:reqq3:500e", &h), 0, "p and reqq as strings parse");
    ok(h.port == 0 && h.reqq == 0, "p and reqq as strings count as absent");
    is_int(s_hs("d1:vi5ee", &h), 0, "v as an integer parses");
    is_str(h.client, "", "v as an integer counts as absent");

    /* B-05: metadata_size is parsed and reported as is; the caller caps it. */
    is_int(s_hs("d13:metadata_sizei2147483647ee", &h), 0, "metadata_size 2^31-1 parses");
    is_int(h.metadata_size, 2147483647, "metadata_size 2^31-1 reported");
    is_int(s_hs("d13:metadata_sizei0ee", &h), 0, "metadata_size 0 parses");
    is_int(h.metadata_size, 0, "metadata_size 0 reported");
    is_int(s_hs("d13:metadata_sizei-1ee", &h), 0, "metadata_size -1 parses");
    is_int(h.metadata_size, -1, "metadata_size -1 reported");
    is_int(s_hs("d13:metadata_sizei9223372036854775807ee", &h), 0, "metadata_size INT64_MAX");
    ok(h.metadata_size == INT64_MAX, "metadata_size INT64_MAX reported");

    /* v: cut to 63 bytes, NUL and control bytes replaced. */
    char big[160];
    snprintf(big, sizeof(big), "d1:v100:%0100de", 7);
    is_int(s_hs(big, &h), 0, "v of 100 bytes parses");
    is_int(strlen(h.client), 63, "v cut to 63 bytes");
    static const uint8_t nul[] = "d1:v5:a\0b\n\x7f"
                                 "e";
    is_int(bt_ext_hs_parse(nul, sizeof(nul) - 1, &h), 0, "v with NUL, LF, DEL parses");
    is_str(h.client, "a?b??", "NUL, LF and DEL replaced by '?'");
    is_int(s_hs("d1:v0:e", &h), 0, "empty v");
    is_str(h.client, "", "empty v -> \"\"");
}

static void test_hs_bad(void)
{
    struct bt_ext_hs h;
    is_int(s_hs("", &h), -1, "empty payload -> -1");
    is_int(bt_ext_hs_parse(NULL, 0, &h), -1, "NULL payload -> -1");
    is_int(s_hs("le", &h), -1, "a list -> -1");
    is_int(s_hs("i5e", &h), -1, "an integer -> -1");
    is_int(s_hs("d1:m", &h), -1, "truncated dict -> -1");
    is_int(s_hs("d1:mi1ee", &h), -1, "m as an integer -> -1");
    is_int(s_hs("d1:ml11:ut_metadataee", &h), -1, "m as a list -> -1");
    is_int(s_hs("d1:pi1e1:pi2ee", &h), -1, "duplicate key -> -1");
    is_int(s_hs("GET / HTTP/1.1\r\n", &h), -1, "text -> -1");
    ok(h.metadata_size == -1 && h.ut_metadata == 0, "a refused payload leaves the defaults");
    /* Nesting over the depth cap of 8. */
    char deep[64];
    snprintf(deep, sizeof(deep), "d1:x%.10s%.11s", "llllllllll", "eeeeeeeeeee");
    is_int(s_hs(deep, &h), -1, "nesting of 11 (over the cap of 8) -> -1");
    snprintf(deep, sizeof(deep), "d1:x%.5s%.6s", "llllllllll", "eeeeeeeeeee");
    is_int(s_hs(deep, &h), 0, "nesting of 6 accepted");
    /* Over the byte cap: a 64 KiB + 1 payload is refused before parsing. "d1:x<L>:...e" with a
     * 5-digit L takes L + 11 bytes. */
    size_t n = BT_EXT_HS_MAX + 1;
    uint8_t *p = cm_malloc(n);
    for (size_t size = n - 1; size <= n; size++) {
        size_t l = size - 11;
        int hl = snprintf((char *)p, n, "d1:x%zu:", l);
        memset(p + hl, 'a', l);
        p[size - 1] = 'e';
        is_int(bt_ext_hs_parse(p, size, &h), size == n ? -1 : 0,
               size == n ? "handshake of 64 KiB + 1 -> -1" : "handshake of exactly 64 KiB parses");
    }
    cm_free(p);
    /* Too many tokens: 3000 pairs is over 4096 tokens. */
    cm_buf_t *b = cm_buf_new(1 << 20);
    int rc = cm_buf_append(b, "d", 1);
    for (int i = 0; i < 3000 && rc == 0; i++)
        rc = cm_buf_appendf(b, "5:k%04di%de", i, i);
    ok(rc == 0, "built a dict of 3000 keys");
    rc = cm_buf_append(b, "e", 1);
    is_int(bt_ext_hs_parse(cm_buf_data(b), cm_buf_len(b), &h), -1, "3000 pairs -> -1");
    cm_buf_reset(b);
    rc = cm_buf_append(b, "d1:xl", 5);
    for (int i = 0; i < 5000 && rc == 0; i++)
        rc = cm_buf_append(b, "i0e", 3);
    rc |= cm_buf_append(b, "ee", 2);
    ok(rc == 0 && cm_buf_len(b) < BT_EXT_HS_MAX, "built a list of 5000 ints");
    is_int(bt_ext_hs_parse(cm_buf_data(b), cm_buf_len(b), &h), -1, "5000 tokens -> -1");
    cm_buf_destroy(&b);
}

static void test_hs_build(void)
{
    cm_buf_t *b = cm_buf_new(1024);
    is_int(bt_ext_hs_build(b, 31235, 6881, 250, "Marquee/0.1"), 0, "build our handshake");
    is_str((const char *)cm_buf_data(b),
           "d1:md11:ut_metadatai1e6:ut_pexi2ee13:metadata_sizei31235e1:pi6881e4:reqqi250e1:v11:"
           "Marquee/0.1e",
           "handshake bytes (sorted keys)");
    struct bt_ext_hs h;
    is_int(bt_ext_hs_parse(cm_buf_data(b), cm_buf_len(b), &h), 0, "our handshake parses back");
    ok(h.ut_metadata == BT_EXT_UT_METADATA && h.ut_pex == BT_EXT_UT_PEX &&
           h.metadata_size == 31235 && h.port == 6881 && h.reqq == 250,
       "round trip: ids, metadata_size, p, reqq");
    is_str(h.client, "Marquee/0.1", "round trip: v");

    cm_buf_reset(b);
    is_int(bt_ext_hs_build(b, 0, 0, 0, NULL), 0, "build with nothing optional");
    is_str((const char *)cm_buf_data(b), "d1:md11:ut_metadatai1e6:ut_pexi2eee",
           "no metadata_size, p, reqq, v when 0 / NULL");
    cm_buf_reset(b);
    is_int(bt_ext_hs_build(b, -1, 0, 0, ""), 0, "build with metadata_size -1");
    is_str((const char *)cm_buf_data(b), "d1:md11:ut_metadatai1e6:ut_pexi2ee1:v0:e",
           "negative metadata_size left out");
    cm_buf_destroy(&b);

    b = cm_buf_new(40);
    is_int(bt_ext_hs_build(b, 31235, 6881, 250, "Marquee/0.1"), -1, "build over the cap -> -1");
    cm_buf_destroy(&b);
}

static void test_md(void)
{
    cm_buf_t *b = cm_buf_new(64 * 1024);
    struct bt_md_msg m;

    is_int(bt_md_build(b, BT_MD_REQUEST, 3, -1, NULL, 0), 0, "build request");
    is_str((const char *)cm_buf_data(b), "d8:msg_typei0e5:piecei3ee", "request bytes");
    is_int(bt_md_parse(cm_buf_data(b), cm_buf_len(b), &m), 0, "request parses");
    ok(m.type == BT_MD_REQUEST && m.piece == 3 && m.data == NULL && m.dlen == 0 &&
           m.total_size == -1,
       "request fields");

    cm_buf_reset(b);
    is_int(bt_md_build(b, BT_MD_REJECT, 0, 123, NULL, 0), 0, "build reject");
    is_str((const char *)cm_buf_data(b), "d8:msg_typei2e5:piecei0ee",
           "reject bytes (no total_size)");
    is_int(bt_md_parse(cm_buf_data(b), cm_buf_len(b), &m), 0, "reject parses");
    ok(m.type == BT_MD_REJECT && m.piece == 0 && m.dlen == 0, "reject fields");

    uint8_t *piece = cm_malloc(BT_METADATA_PIECE);
    for (size_t i = 0; i < BT_METADATA_PIECE; i++)
        piece[i] = (uint8_t)(i * 7);
    cm_buf_reset(b);
    is_int(bt_md_build(b, BT_MD_DATA, 1, 31235, piece, BT_METADATA_PIECE), 0, "build data");
    static const char head[] = "d8:msg_typei1e5:piecei1e10:total_sizei31235ee";
    ok(memcmp(cm_buf_data(b), head, sizeof(head) - 1) == 0, "data dict bytes");
    is_int(cm_buf_len(b), sizeof(head) - 1 + BT_METADATA_PIECE, "data message length");
    is_int(bt_md_parse(cm_buf_data(b), cm_buf_len(b), &m), 0, "data parses");
    ok(m.type == BT_MD_DATA && m.piece == 1 && m.total_size == 31235, "data fields");
    ok(m.data == cm_buf_data(b) + sizeof(head) - 1 && m.dlen == BT_METADATA_PIECE,
       "data starts right after the dict");
    ok(m.data && memcmp(m.data, piece, BT_METADATA_PIECE) == 0, "data bytes");
    /* One byte more than a piece. */
    uint8_t *over = cm_malloc(cm_buf_len(b) + 1);
    memcpy(over, cm_buf_data(b), cm_buf_len(b));
    over[cm_buf_len(b)] = 'x';
    is_int(bt_md_parse(over, cm_buf_len(b) + 1, &m), -1, "data of 16 KiB + 1 -> -1");
    cm_free(over);

    /* Last piece: short data, and data that starts with bencode-looking bytes. */
    is_int(s_md("d8:msg_typei1e5:piecei1e10:total_sizei16390eed4:name", &m), 0,
           "short last piece parses");
    ok(m.dlen == 7 && memcmp(m.data, "d4:name", 7) == 0,
       "data is the bytes after the dict, even when they look like bencode");
    is_int(s_md("d8:msg_typei1e5:piecei0e10:total_sizei0ee", &m), 0, "empty data parses");
    ok(m.dlen == 0 && m.total_size == 0, "empty data: dlen 0 (the caller checks it)");
    /* Unsorted keys and extra keys are accepted (non-strict). */
    is_int(s_md("d5:piecei4e8:msg_typei0e4:junki1ee", &m), 0, "unsorted and extra keys accepted");
    ok(m.type == 0 && m.piece == 4, "unsorted keys read");

    cm_buf_reset(b);
    is_int(bt_md_build(b, BT_MD_DATA, 0, 5, (const uint8_t *)"hello", 5), 0, "build small data");
    is_int(bt_md_parse(cm_buf_data(b), cm_buf_len(b), &m), 0, "small data parses");
    ok(m.dlen == 5 && memcmp(m.data, "hello", 5) == 0 && m.total_size == 5, "small data bytes");

    /* Refusals. */
    is_int(s_md("d8:msg_typei0e5:piecei0eeXYZ", &m), -1, "data after a request -> -1");
    is_int(s_md("d8:msg_typei2e5:piecei0eeX", &m), -1, "data after a reject -> -1");
    is_int(s_md("d8:msg_typei1e5:piecei0eeXYZ", &m), -1, "data without total_size -> -1");
    is_int(s_md("d8:msg_typei1e5:piecei0e10:total_sizei-1eeXYZ", &m), -1,
           "data with total_size -1 -> -1");
    is_int(s_md("d8:msg_typei3e5:piecei0ee", &m), -1, "msg_type 3 -> -1");
    is_int(s_md("d8:msg_typei-1e5:piecei0ee", &m), -1, "msg_type -1 -> -1");
    is_int(s_md("d5:piecei0ee", &m), -1, "no msg_type -> -1");
    is_int(s_md("d8:msg_type1:05:piecei0ee", &m), -1, "msg_type as a string -> -1");
    is_int(s_md("d8:msg_typei0ee", &m), -1, "no piece -> -1");
    is_int(s_md("d8:msg_typei0e5:piecei-1ee", &m), -1, "piece -1 -> -1");
    is_int(s_md("d8:msg_typei0e5:piecei2147483648ee", &m), -1, "piece 2^31 -> -1");
    is_int(s_md("d8:msg_typei0e5:piecei2147483647ee", &m), 0, "piece 2^31-1 accepted");
    is_int(m.piece, 2147483647, "piece 2^31-1 reported");
    is_int(s_md("d8:msg_typei0e5:piece1:0e", &m), -1, "piece as a string -> -1");
    is_int(s_md("li0ee", &m), -1, "a list -> -1");
    is_int(s_md("d8:msg_typei0e5:piecei0e", &m), -1, "truncated dict -> -1");
    is_int(s_md("", &m), -1, "empty -> -1");
    is_int(bt_md_parse(NULL, 0, &m), -1, "NULL -> -1");
    /* A dict longer than 4 KiB before the data. */
    cm_buf_reset(b);
    int rc = cm_buf_appendf(b, "d4:junk5000:");
    for (int i = 0; i < 5000 && rc == 0; i++)
        rc = cm_buf_append(b, "j", 1);
    rc |= cm_buf_appendf(b, "8:msg_typei0e5:piecei0ee");
    ok(rc == 0, "built a 5 KB ut_metadata dict");
    is_int(bt_md_parse(cm_buf_data(b), cm_buf_len(b), &m), -1, "dict over 4 KiB -> -1");

    /* Builder refusals. */
    cm_buf_reset(b);
    is_int(bt_md_build(b, 3, 0, -1, NULL, 0), -1, "build msg_type 3 -> -1");
    is_int(bt_md_build(b, BT_MD_REQUEST, 0x80000000u, -1, NULL, 0), -1, "build piece 2^31 -> -1");
    is_int(bt_md_build(b, BT_MD_REQUEST, 0, -1, piece, 1), -1, "build request with data -> -1");
    is_int(bt_md_build(b, BT_MD_DATA, 0, -1, piece, 1), -1, "build data without size -> -1");
    is_int(bt_md_build(b, BT_MD_DATA, 0, 1, piece, BT_METADATA_PIECE + 1), -1,
           "build data over 16 KiB -> -1");
    is_int(cm_buf_len(b), 0, "refused builds wrote nothing");
    cm_buf_destroy(&b);
    b = cm_buf_new(100);
    is_int(bt_md_build(b, BT_MD_DATA, 0, 200, piece, 200), -1, "build over the buffer cap -> -1");
    cm_buf_destroy(&b);
    cm_free(piece);
}

static bool s_is_v4(const struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
    char buf[INET_ADDRSTRLEN];
    return sin->sin_family == AF_INET && ntohs(sin->sin_port) == port &&
           inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)) && strcmp(buf, ip) == 0;
}

static bool s_is_v6(const struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
    char buf[INET6_ADDRSTRLEN];
    return sin6->sin6_family == AF_INET6 && ntohs(sin6->sin6_port) == port &&
           inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf)) && strcmp(buf, ip) == 0;
}

static int s_pex(const char *p, size_t len, struct sockaddr_storage *out, size_t max)
{
    return bt_pex_parse((const uint8_t *)p, len, out, max);
}
/* A literal and its length (it may hold NUL bytes). */
#define LIT(s) (s), sizeof(s) - 1

static void test_pex(void)
{
    struct sockaddr_storage a[8];
    /* 2 IPv4 (one with port 0), 1 IPv6; flags and dropped ignored. */
    static const char pex[] = "d5:added18:"
                              "\x0a\x00\x00\x01\x1a\xe1"
                              "\xc0\xa8\x01\x02\x00\x00"
                              "\x01\x02\x03\x04\xc3\x50"
                              "7:added.f3:\x10\x00\x02"
                              "6:added618:"
                              "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
                              "\x1a\xe1"
                              "8:added6.f1:\x00"
                              "7:dropped6:\x05\x06\x07\x08\x00\x50"
                              "e";
    memset(a, 0, sizeof(a));
    is_int(s_pex(pex, sizeof(pex) - 1, a, 8), 3, "pex: 3 peers (port 0 skipped)");
    ok(s_is_v4(&a[0], "10.0.0.1", 6881), "pex: first IPv4");
    ok(s_is_v4(&a[1], "1.2.3.4", 50000), "pex: second IPv4 (after the port-0 entry)");
    ok(s_is_v6(&a[2], "2001:db8::1", 6881), "pex: IPv6");
    is_int(s_pex(pex, sizeof(pex) - 1, a, 2), 2, "pex capped at max 2");
    ok(s_is_v4(&a[1], "1.2.3.4", 50000), "pex cap: IPv4 first");
    is_int(s_pex(pex, sizeof(pex) - 1, a, 0), 0, "pex with max 0 -> 0");

    is_int(s_pex(LIT("de"), a, 8), 0, "empty pex -> 0");
    is_int(s_pex(LIT("d7:dropped6:\x05\x06\x07\x08\x00\x50"
                     "e"),
                 a, 8),
           0, "only dropped -> 0");
    is_int(s_pex(LIT("d5:added0:e"), a, 8), 0, "empty added -> 0");
    is_int(s_pex(LIT("d5:added7:1234567e"), a, 8), -1, "added of 7 bytes -> -1");
    is_int(s_pex(LIT("d5:added5:12345e"), a, 8), -1, "added of 5 bytes -> -1");
    char v6bad[64];
    int n = snprintf(v6bad, sizeof(v6bad), "d6:added617:%017de", 0);
    is_int(s_pex(v6bad, (size_t)n, a, 8), -1, "added6 of 17 bytes -> -1");
    n = snprintf(v6bad, sizeof(v6bad), "d6:added612:%012de", 0);
    is_int(s_pex(v6bad, (size_t)n, a, 8), -1, "added6 of 12 bytes (two v4 entries) -> -1");
    is_int(s_pex(LIT("d5:addedi5ee"), a, 8), -1, "added as an integer -> -1");
    is_int(s_pex(LIT("le"), a, 8), -1, "a list -> -1");
    is_int(s_pex(LIT("d5:added"), a, 8), -1, "truncated -> -1");
    is_int(s_pex(LIT(""), a, 8), -1, "empty -> -1");
}

static void test_compact(void)
{
    struct sockaddr_storage a[4];
    size_t n = 0;
    static const uint8_t v4[] = {127, 0, 0, 1, 0x1a, 0xe1, 8, 8, 8, 8, 0, 0, 9, 9, 9, 9, 0, 80};
    is_int(bt_compact_peers(v4, sizeof(v4), false, a, &n, 4), 0, "compact v4 parses");
    is_int(n, 2, "compact v4: 2 (port 0 skipped)");
    ok(s_is_v4(&a[0], "127.0.0.1", 6881) && s_is_v4(&a[1], "9.9.9.9", 80), "compact v4 peers");
    ok(((struct sockaddr_in *)&a[0])->sin_port == htons(6881), "port in network order");

    static const uint8_t v6[36] = {0xfe,
                                   0x80,
                                   [15] = 1,
                                   [16] = 0x00,
                                   [17] = 0x50,
                                   [18 + 10] = 0xff,
                                   [18 + 11] = 0xff,
                                   [18 + 12] = 10,
                                   [18 + 15] = 7,
                                   [34] = 0xc3,
                                   [35] = 0x50};
    is_int(bt_compact_peers(v6, sizeof(v6), true, a, &n, 4), 0, "compact v6 appends");
    is_int(n, 4, "compact v6: appended after the v4 entries");
    ok(s_is_v6(&a[2], "fe80::1", 80), "compact v6 first peer");
    ok(s_is_v6(&a[3], "::ffff:10.0.0.7", 50000), "compact v6 v4-mapped peer");
    ok(s_is_v4(&a[0], "127.0.0.1", 6881), "earlier entries untouched");

    is_int(bt_compact_peers(v4, sizeof(v4), false, a, &n, 4), 0, "full: still 0");
    is_int(n, 4, "full: nothing appended");
    n = 0;
    is_int(bt_compact_peers(v4, sizeof(v4), false, a, &n, 1), 0, "max 1");
    is_int(n, 1, "max 1: one peer");
    n = 0;
    is_int(bt_compact_peers(v4, 5, false, a, &n, 4), -1, "5 bytes v4 -> -1");
    is_int(bt_compact_peers(v4, 18, true, a, &n, 4), 0, "18 bytes read as one v6 entry");
    is_int(bt_compact_peers(v6, 6, true, a, &n, 4), -1, "6 bytes v6 -> -1");
    size_t before = n;
    is_int(bt_compact_peers(NULL, 0, false, a, &n, 4), 0, "empty list -> 0");
    is_int(n, before, "empty list appends nothing");
}

int main(void)
{
    test_hs_real();
    test_hs_defaults_and_ranges();
    test_hs_bad();
    test_hs_build();
    test_md();
    test_pex();
    test_compact();
    return done_testing();
}
