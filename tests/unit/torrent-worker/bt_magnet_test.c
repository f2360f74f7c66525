/* SPDX-License-Identifier: MIT
 * Tests of bt_magnet: hex and base32 forms of the same hash, xt variations (case, numbered
 * keys, btmh alongside or alone), tr (decoding, schemes, duplicates, the count cap, the byte
 * cap), dn with %20, '+' and UTF-8, xl, x.pe (IPv4, IPv6, host names and bad ports skipped,
 * cap), missing xt, bad hash lengths, bad escapes, the URI cap, and build -> parse. */
#include "cm.h"
#include "bt_magnet.h"
#include "bt_metainfo.h"
#include "../../tap.h"

static char s_err[256];

/* The info-hash of bt_metainfo_test's tiny torrent, in both text forms. */
#define HEX "133e7ef28fffcb98605443cbd54a9d391219d9a3"
#define B32 "CM7H54UP77FZQYCUIPF5KSU5HEJBTWND"

static void s_put_ok(int rc)
{
    if (rc != 0) {
        fprintf(stderr, "buffer cap hit in the test\n");
        abort();
    }
}

static void s_bad(const char *uri, const char *want, const char *name)
{
    struct bt_magnet m;
    memset(&m, 0x5a, sizeof(m));
    int rc = bt_magnet_parse(uri, &m, s_err, sizeof(s_err));
    ok(rc == -1 && m.dn == NULL && m.tr == NULL && m.ntr == 0 && m.peers == NULL, name);
    if (rc == 0)
        bt_magnet_clear(&m);
    if (want && !ok(strstr(s_err, want) != NULL, name))
        diag("error '%s' lacks '%s'", s_err, want);
}

static int s_parse(const char *uri, struct bt_magnet *m, const char *name)
{
    int rc = bt_magnet_parse(uri, m, s_err, sizeof(s_err));
    if (!ok(rc == 0, name))
        diag("error: %s", s_err);
    return rc;
}

static void test_hash_forms(void)
{
    uint8_t want[20];
    bt_hash_parse(HEX, 40, want);
    struct bt_magnet a, b, c;
    if (s_parse("magnet:?xt=urn:btih:" HEX, &a, "hex hash") == 0) {
        ok(memcmp(a.info_hash, want, 20) == 0, "hex hash value");
        ok(a.dn == NULL && a.xl == 0 && a.ntr == 0 && a.npeers == 0, "nothing else");
        bt_magnet_clear(&a);
    }
    if (s_parse("magnet:?xt=urn:btih:" B32, &b, "base32 hash") == 0) {
        ok(memcmp(b.info_hash, want, 20) == 0, "base32 gives the same hash as hex");
        bt_magnet_clear(&b);
    }
    if (s_parse("MAGNET:?xt=urn:BTIH:cm7h54up77fzqycuipf5ksu5hejbtwnd", &c,
                "upper-case scheme, lower-case base32") == 0) {
        ok(memcmp(c.info_hash, want, 20) == 0, "same hash");
        bt_magnet_clear(&c);
    }
}

static void test_xt(void)
{
    struct bt_magnet m;
    uint8_t want[20];
    bt_hash_parse(HEX, 40, want);
    if (s_parse("magnet:?xt=URN:BTIH:" HEX, &m, "URN:BTIH: in upper case") == 0) {
        ok(memcmp(m.info_hash, want, 20) == 0, "hash");
        bt_magnet_clear(&m);
    }
    if (s_parse("magnet:?xt.1=urn:btih:" HEX "&xt.2=urn:btmh:1220abcd", &m, "numbered xt") == 0)
        bt_magnet_clear(&m);
    if (s_parse("magnet:?xt=urn:btmh:1220abcd&xt=urn:btih:" HEX, &m, "btmh ignored beside btih") ==
        0) {
        ok(memcmp(m.info_hash, want, 20) == 0, "the btih is used");
        bt_magnet_clear(&m);
    }
    if (s_parse("magnet:?xt=urn:btih:" HEX "&xt=urn:btih:" B32 "00", &m,
                "the first btih wins, a later bad one is ignored") == 0)
        bt_magnet_clear(&m);
    s_bad("magnet:?xt=urn:btmh:1220abcdef", "no btih", "btmh only refused");
    s_bad("magnet:?dn=x", "no btih", "missing xt");
    s_bad("magnet:?xt=urn:sha1:" HEX, "no btih", "another urn only");
    s_bad("magnet:?", "no btih", "empty query");
    s_bad("magnet:?xt=urn:btih:" HEX "0", "41 characters", "41 hex digits");
    s_bad("magnet:?xt=urn:btih:" B32 "A", "33 characters", "33 base32 digits");
    s_bad("magnet:?xt=urn:btih:", "0 characters", "empty hash");
    s_bad("magnet:?xt=urn:btih:zz3e7ef28fffcb98605443cbd54a9d391219d9a3", "40 hex",
          "non-hex digit");
    s_bad("http://x/?xt=urn:btih:" HEX, "not a magnet", "not a magnet scheme");
    s_bad("magnet:", "not a magnet", "magnet: alone");
    s_bad(NULL, "no magnet", "NULL");
    s_bad("magnet:?XT=urn:btih:" HEX, "no btih", "the key is case-sensitive");
}

static void test_fields(void)
{
    struct bt_magnet m;
    const char *uri = "magnet:?xt=urn:btih:" HEX "&dn=Big%20Buck+Bunny%20%E2%9C%93"
                      "&xl=276134947&tr=udp%3A%2F%2Ftracker.example%3A1337%2Fannounce"
                      "&tr=http://t.example/ann?a=1%26b=2&tr=wss%3A%2F%2Fx&tr=udp%3A%2F%2Ftracker."
                      "example%3A1337%2Fannounce&tr.1=https://x.example/a&x.pe=10.0.0.1:6881"
                      "&x.pe=[2001:db8::1]:51413&x.pe=peer.example:6881&x.pe=10.0.0.2:0"
                      "&x.pe=10.0.0.3:65536&x.pe=10.0.0.4&x.pe=[::1]&x.pe=1.2.3.4:65535"
                      "&junk&unknown=%41&&";
    if (s_parse(uri, &m, "a full magnet") != 0)
        return;
    is_str(m.dn, "Big Buck+Bunny \xe2\x9c\x93", "dn: %20 decoded, '+' kept, UTF-8");
    ok(m.xl == 276134947, "xl");
    is_int(m.ntr, 3, "3 trackers (wss dropped, duplicate dropped)");
    if (m.ntr == 3) {
        is_str(m.tr[0], "udp://tracker.example:1337/announce", "tr 0 decoded");
        is_str(m.tr[1], "http://t.example/ann?a=1&b=2", "tr 1 with %26 decoded");
        is_str(m.tr[2], "https://x.example/a", "tr.1 accepted");
    }
    is_int(m.npeers, 3, "3 peers (host name, bad ports and no port skipped)");
    if (m.npeers == 3) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&m.peers[0];
        ok(a->sin_family == AF_INET && ntohs(a->sin_port) == 6881 &&
               ntohl(a->sin_addr.s_addr) == 0x0a000001,
           "peer 0 is 10.0.0.1:6881");
        const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)&m.peers[1];
        struct in6_addr w;
        inet_pton(AF_INET6, "2001:db8::1", &w);
        ok(b->sin6_family == AF_INET6 && ntohs(b->sin6_port) == 51413 &&
               memcmp(&b->sin6_addr, &w, 16) == 0,
           "peer 1 is [2001:db8::1]:51413");
        const struct sockaddr_in *c = (const struct sockaddr_in *)&m.peers[2];
        ok(c->sin_family == AF_INET && ntohs(c->sin_port) == 65535, "peer 2 port 65535");
    }
    bt_magnet_clear(&m);
    ok(m.dn == NULL && m.tr == NULL && m.ntr == 0 && m.peers == NULL, "clear empties");
    bt_magnet_clear(&m);
    bt_magnet_clear(NULL);
    ok(1, "clear twice and clear(NULL) are safe");

    s_bad("magnet:?xt=urn:btih:" HEX "&dn=%G1", "bad percent escape at offset 64", "%G1");
    s_bad("magnet:?xt=urn:btih:" HEX "&dn=%4", "bad percent escape", "%4 at the end");
    s_bad("magnet:?xt=urn:btih:" HEX "&dn=%", "bad percent escape", "% at the end");
    s_bad("magnet:?xt=urn:btih:" HEX "&dn=a%4&b", "bad percent escape", "%4 before &");
    s_bad("magnet:?xt=urn:btih:" HEX "&dn=%FF%FE", "dn is not valid UTF-8", "bad UTF-8 dn");
    s_bad("magnet:?xt=urn:btih:" HEX "&dn=a%00b", "dn is not valid UTF-8", "NUL in dn");
    s_bad("magnet:?xt=urn:btih:" HEX "&xl=12a", "xl is not a length", "bad xl");
    s_bad("magnet:?xt=urn:btih:" HEX "&xl=", "xl is not a length", "empty xl");
    s_bad("magnet:?xt=urn:btih:" HEX "&xl=-1", "xl is not a length", "negative xl");
    s_bad("magnet:?xt=urn:btih:" HEX "&xl=99999999999999999999", "xl", "xl over 19 digits");
    if (s_parse("magnet:?xt=urn:btih:" HEX "&tr=udp://a%00b:1", &m, "NUL in a tr") == 0) {
        is_int(m.ntr, 0, "a tr with a NUL is dropped");
        bt_magnet_clear(&m);
    }

    /* Caps. */
    cm_buf_t *b = cm_buf_new(1 << 20);
    s_put_ok(cm_buf_appendf(b, "magnet:?xt=urn:btih:" HEX "&dn="));
    for (int i = 0; i < BT_DN_MAX + 1; i++)
        s_put_ok(cm_buf_append(b, "a", 1));
    s_bad((const char *)cm_buf_data(b), "dn is 1025 bytes", "dn over 1024 bytes");
    cm_buf_reset(b);
    s_put_ok(cm_buf_appendf(b, "magnet:?xt=urn:btih:" HEX "&tr=http://"));
    for (int i = 0; i < BT_TRACKER_URL_MAX; i++)
        s_put_ok(cm_buf_append(b, "a", 1));
    s_bad((const char *)cm_buf_data(b), "over the cap of 1024", "tr over 1024 bytes");
    cm_buf_reset(b);
    s_put_ok(cm_buf_appendf(b, "magnet:?xt=urn:btih:" HEX));
    for (int i = 0; i < 300; i++)
        s_put_ok(cm_buf_appendf(b, "&tr=udp://t%d.example:80", i));
    for (int i = 0; i < 100; i++)
        s_put_ok(cm_buf_appendf(b, "&x.pe=10.0.%d.%d:1", i / 256, i % 256));
    if (s_parse((const char *)cm_buf_data(b), &m, "300 trackers and 100 peers") == 0) {
        is_int(m.ntr, BT_TRACKERS_MAX, "trackers capped at BT_TRACKERS_MAX");
        is_str(m.tr[BT_TRACKERS_MAX - 1], "udp://t199.example:80", "the first ones are kept");
        is_int(m.npeers, BT_MAGNET_PEERS_MAX, "peers capped");
        bt_magnet_clear(&m);
    }
    cm_buf_reset(b);
    s_put_ok(cm_buf_appendf(b, "magnet:?xt=urn:btih:" HEX "&x="));
    while (cm_buf_len(b) < BT_MAGNET_MAX)
        s_put_ok(cm_buf_append(b, "a", 1));
    if (s_parse((const char *)cm_buf_data(b), &m, "a URI of exactly BT_MAGNET_MAX bytes") == 0)
        bt_magnet_clear(&m);
    s_put_ok(cm_buf_append(b, "a", 1));
    s_bad((const char *)cm_buf_data(b), "over the cap of 65536", "a URI over BT_MAGNET_MAX");
    cm_buf_destroy(&b);
}

static void test_build(void)
{
    uint8_t h[20];
    bt_hash_parse(HEX, 40, h);
    const char *tr[] = {"udp://tracker.example:1337/announce", "http://t.example/a?x=1&y=2", NULL};
    const char *dn = "Big Buck+Bunny \xe2\x9c\x93 (2008) 100%";
    cm_buf_t *b = cm_buf_new(4096);
    is_int(bt_magnet_build(h, dn, 276134947, tr, 3, b), 0, "build");
    is_str((const char *)cm_buf_data(b),
           "magnet:?xt=urn:btih:" HEX "&dn=Big%20Buck%2BBunny%20%E2%9C%93%20%282008%29%20100%25"
           "&xl=276134947&tr=udp%3A%2F%2Ftracker.example%3A1337%2Fannounce"
           "&tr=http%3A%2F%2Ft.example%2Fa%3Fx%3D1%26y%3D2",
           "built magnet, values percent-encoded");
    struct bt_magnet m;
    if (s_parse((const char *)cm_buf_data(b), &m, "parse what was built") == 0) {
        ok(memcmp(m.info_hash, h, 20) == 0, "round trip: hash");
        is_str(m.dn, dn, "round trip: dn");
        ok(m.xl == 276134947, "round trip: xl");
        is_int(m.ntr, 2, "round trip: 2 trackers");
        if (m.ntr == 2) {
            is_str(m.tr[0], tr[0], "round trip: tr 0");
            is_str(m.tr[1], tr[1], "round trip: tr 1");
        }
        bt_magnet_clear(&m);
    }
    cm_buf_reset(b);
    is_int(bt_magnet_build(h, NULL, 0, NULL, 0, b), 0, "build the bare form");
    is_str((const char *)cm_buf_data(b), "magnet:?xt=urn:btih:" HEX, "bare magnet");
    cm_buf_destroy(&b);
    b = cm_buf_new(60);
    is_int(bt_magnet_build(h, dn, 0, NULL, 0, b), -1, "build over the cap fails");
    cm_buf_destroy(&b);
}

int main(void)
{
    test_hash_forms();
    test_xt();
    test_fields();
    test_build();
    return done_testing();
}
