/* SPDX-License-Identifier: MIT
 * Tests of bt_tracker.
 *  - Parsers: HTTP announce (compact v4, peers6, the dict-list form, failure reason, warning,
 *    intervals, malformed bencode, a peer string not a multiple of 6, caps), HTTP scrape (the
 *    hash, a missing hash), UDP packets (connect, announce, scrape, error, wrong transaction id,
 *    short packets, peer lists not a multiple of 6 or 18).
 *  - Best-trackers lists, the blacklist, the SSRF rule (table-driven, through swarms).
 *  - On the event loop: callbacks never run inside the call that started them; cancel; a fake
 *    UDP tracker (spoofed replies from another port and with a wrong transaction id are
 *    ignored (checklist B-11), cached connection ids, reconnect after an error, error and
 *    malformed replies, BEP 12 failover, started/completed/stopped); a fake HTTP tracker (query
 *    string, peers and peers6, failure reason, reply cap, redirects not followed, status codes,
 *    scrape URL derivation); a UDP tracker where nothing listens fails within the timeout.
 *  - A real opentracker on 127.0.0.1 (skipped when not installed): three fake peers over HTTP
 *    and UDP see each other, scrapes agree with what they announced, and `stopped` (sent when
 *    the swarms are destroyed) takes them out. */
#include "cm.h"
#include "bt_tracker.h"
#include "../../tap.h"

#include <event2/http.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

static struct event_base *s_base;
/* The info-hash 0123456789abcdef0123456789abcdef01234567. */
static const uint8_t s_hash[20] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23,
                                   0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67};
static const char s_hash_pct[] = "%01%23Eg%89%AB%CD%EF%01%23Eg%89%AB%CD%EF%01%23Eg";

static void s_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t s_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t s_get64(const uint8_t *p)
{
    return (uint64_t)s_get32(p) << 32 | s_get32(p + 4);
}

static uint16_t s_port_of(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static bool s_is_v4(const struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    struct in_addr a;
    inet_pton(AF_INET, ip, &a);
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    return ss->ss_family == AF_INET && s4->sin_addr.s_addr == a.s_addr &&
           ntohs(s4->sin_port) == port;
}

static bool s_is_v6(const struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    struct in6_addr a;
    inet_pton(AF_INET6, ip, &a);
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    return ss->ss_family == AF_INET6 && memcmp(&s6->sin6_addr, &a, 16) == 0 &&
           ntohs(s6->sin6_port) == port;
}

/* Run the loop for up to `ms`. */
static void s_turn(int ms)
{
    struct timeval tv = cm_tv_ms(ms);
    event_base_loopexit(s_base, &tv);
    event_base_dispatch(s_base);
}

#define WAIT_FOR(cond, ms)                                                                         \
    do {                                                                                           \
        uint64_t end_ = cm_mono_ms() + (ms);                                                       \
        while (!(cond) && cm_mono_ms() < end_)                                                     \
            s_turn(5);                                                                             \
    } while (0)

/* --- HTTP announce parser --- */

static struct sockaddr_storage s_peers[BT_TRK_PEERS_MAX];
static char s_err[256];

static int s_ann(const void *buf, size_t len, struct bt_announce_reply *r, size_t max)
{
    return bt_trk_parse_http_announce(buf, len, r, s_peers, max, s_err, sizeof(s_err));
}

static void test_http_announce(void)
{
    struct bt_announce_reply r;
    static const char a[] = "d8:completei5e10:incompletei3e8:intervali1800e12:min intervali60e"
                            "5:peers18:\x7f\x00\x00\x01\x1a\xe1\x0a\x01\x02\x03\x00\x00"
                            "\xc0\x00\x02\x07\x00\x50"
                            "6:peers618:\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                            "\x00\x01\x1a\xe2"
                            "e";
    ok(s_ann(a, sizeof(a) - 1, &r, BT_TRK_PEERS_MAX) == 0, "compact announce parses");
    is_int(r.interval, 1800, "interval");
    is_int(r.min_interval, 60, "min interval");
    is_int(r.complete, 5, "complete");
    is_int(r.incomplete, 3, "incomplete");
    is_str(r.failure, "", "no failure");
    is_int(r.npeers, 3, "2 v4 peers (a port-0 entry skipped) and 1 v6 peer");
    ok(s_is_v4(&s_peers[0], "127.0.0.1", 6881), "first v4 peer");
    ok(s_is_v4(&s_peers[1], "192.0.2.7", 80), "second v4 peer");
    ok(s_is_v6(&s_peers[2], "2001:db8::1", 6882), "v6 peer from peers6");

    ok(s_ann(a, sizeof(a) - 1, &r, 2) == 0 && r.npeers == 2, "peers capped at max");
    ok(bt_trk_parse_http_announce((const uint8_t *)a, sizeof(a) - 1, &r, NULL, 5, s_err,
                                  sizeof(s_err)) == 0 &&
           r.npeers == 0,
       "NULL peers array takes no peers");

    static const char d[] = "d8:intervali900e5:peersld2:ip8:10.0.0.14:porti6881eed2:ip3:::14:"
                            "porti51413eed2:ip11:example.org4:porti1eed2:ip7:1.2.3.44:porti0eei5e"
                            "d4:porti80eeee";
    ok(s_ann(d, sizeof(d) - 1, &r, BT_TRK_PEERS_MAX) == 0, "dict-list announce parses");
    is_int(r.npeers, 2, "dict peers: names, port 0, non-dicts and missing ip skipped");
    ok(s_is_v4(&s_peers[0], "10.0.0.1", 6881), "dict v4 peer");
    ok(s_is_v6(&s_peers[1], "::1", 51413), "dict v6 peer");
    is_int(r.min_interval, -1, "absent min interval is -1");
    is_int(r.complete, -1, "absent complete is -1");

    static const char f[] = "d14:failure reason12:bad \x01hash\x00\xff!"
                            "15:warning message4:slowe";
    ok(s_ann(f, sizeof(f) - 1, &r, BT_TRK_PEERS_MAX) == 0, "failure reason is a successful parse");
    is_str(r.failure, "bad ?hash?\?!", "failure reason, control bytes and bad UTF-8 replaced");
    is_str(r.warning, "slow", "warning message");
    is_int(r.npeers, 0, "no peers with a failure");

    static const char w[] = "d15:warning message2:hi5:peers0:e";
    ok(s_ann(w, sizeof(w) - 1, &r, 10) == 0 && r.npeers == 0 && strcmp(r.warning, "hi") == 0,
       "warning with an empty peer string");
    is_int(r.interval, -1, "absent interval is -1");

    static const char bad6[] = "d5:peers7:abcdefge";
    ok(s_ann(bad6, sizeof(bad6) - 1, &r, 10) == -1, "peers of 7 bytes refused");
    ok(strstr(s_err, "multiple of 6") != NULL, "error names the multiple of 6");
    static const char bad18[] = "d6:peers65:abcdee";
    ok(s_ann(bad18, sizeof(bad18) - 1, &r, 10) == -1 && strstr(s_err, "18"),
       "peers6 of 5 bytes refused");
    static const char badt[] = "d5:peersi5ee";
    ok(s_ann(badt, sizeof(badt) - 1, &r, 10) == -1, "peers as an integer refused");
    static const char *const malformed[] = {
        "", "d", "d8:intervali1800e", "i5e", "le", "d5:peers6:abce", "x"};
    for (size_t i = 0; i < CM_ARRAY_LEN(malformed); i++) {
        s_err[0] = '\0';
        int rc = s_ann(malformed[i], strlen(malformed[i]), &r, 10);
        if (!ok(rc == -1 && s_err[0] != '\0' && r.npeers == 0, "malformed announce refused"))
            diag("input '%s'", malformed[i]);
    }
    static const char neg[] = "d8:intervali-5e8:completei-1ee";
    ok(s_ann(neg, sizeof(neg) - 1, &r, 10) == 0 && r.interval == -1 && r.complete == -1,
       "negative figures read as absent");
}

/* --- HTTP scrape parser --- */

static void test_http_scrape(void)
{
    uint32_t s = 9, l = 9, c = 9;
    char buf[256];
    int n = snprintf(buf, sizeof(buf),
                     "d5:filesd20:%.20sd8:completei4e10:downloadedi7e"
                     "10:incompletei2eeee",
                     "XXXXXXXXXXXXXXXXXXXX");
    memcpy(strstr(buf, "XXXX"), s_hash, 20);
    ok(bt_trk_parse_http_scrape((uint8_t *)buf, (size_t)n, s_hash, &s, &l, &c, s_err,
                                sizeof(s_err)) == 0,
       "scrape parses");
    ok(s == 4 && l == 2 && c == 7, "scrape figures");
    uint8_t other[20];
    memset(other, 0xee, 20);
    ok(bt_trk_parse_http_scrape((uint8_t *)buf, (size_t)n, other, &s, &l, &c, s_err,
                                sizeof(s_err)) == -1,
       "missing hash refused");
    ok(strstr(s_err, "not in the scrape reply") != NULL, "missing hash error");
    ok(s == 0 && l == 0 && c == 0, "figures zeroed on failure");
    static const char f[] = "d14:failure reason4:nopee";
    ok(bt_trk_parse_http_scrape((const uint8_t *)f, sizeof(f) - 1, s_hash, &s, &l, &c, s_err,
                                sizeof(s_err)) == -1 &&
           strstr(s_err, "nope"),
       "scrape failure reason");
    static const char nf[] = "d5:filesle";
    ok(bt_trk_parse_http_scrape((const uint8_t *)nf, sizeof(nf) - 1, s_hash, &s, &l, &c, s_err,
                                sizeof(s_err)) == -1,
       "files not a dict refused");
    ok(bt_trk_parse_http_scrape((const uint8_t *)"d5:fi", 5, s_hash, &s, &l, &c, s_err,
                                sizeof(s_err)) == -1,
       "truncated scrape refused");
}

/* --- UDP parser --- */

static void test_udp(void)
{
    struct bt_udp_reply r;
    uint8_t p[64];
    memset(p, 0, sizeof(p));
    s_put32(p, BT_UDP_CONNECT);
    s_put32(p + 4, 0xdeadbeef);
    s_put32(p + 8, 0x11223344);
    s_put32(p + 12, 0x55667788);
    ok(bt_trk_parse_udp(p, 16, 0xdeadbeef, false, &r, NULL, 0) == 0, "connect reply");
    ok(r.action == BT_UDP_CONNECT && r.connection_id == 0x1122334455667788ULL &&
           r.transaction_id == 0xdeadbeef,
       "connect fields");
    ok(bt_trk_parse_udp(p, 16, 0xdeadbeee, false, &r, NULL, 0) == -1, "wrong tid refused");
    ok(bt_trk_parse_udp(p, 15, 0xdeadbeef, false, &r, NULL, 0) == -1, "short connect refused");
    ok(bt_trk_parse_udp(p, 7, 0xdeadbeef, false, &r, NULL, 0) == -1, "7 bytes refused");
    ok(bt_trk_parse_udp(NULL, 0, 0, false, &r, NULL, 0) == -1, "nothing refused");

    /* announce: interval 120, leechers 3, seeders 4, peers 127.0.0.1:6881 and 10.0.0.2:0 */
    memset(p, 0, sizeof(p));
    s_put32(p, BT_UDP_ANNOUNCE);
    s_put32(p + 4, 7);
    s_put32(p + 8, 120);
    s_put32(p + 12, 3);
    s_put32(p + 16, 4);
    memcpy(p + 20, "\x7f\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\x00\x00", 12);
    ok(bt_trk_parse_udp(p, 32, 7, false, &r, s_peers, 10) == 0, "announce reply");
    ok(r.interval == 120 && r.leechers == 3 && r.seeders == 4, "announce figures");
    ok(r.npeers == 1 && s_is_v4(&s_peers[0], "127.0.0.1", 6881), "announce peers (port 0 skipped)");
    ok(bt_trk_parse_udp(p, 31, 7, false, &r, s_peers, 10) == -1, "peers not a multiple of 6");
    ok(bt_trk_parse_udp(p, 19, 7, false, &r, s_peers, 10) == -1, "short announce refused");
    ok(bt_trk_parse_udp(p, 20, 7, false, &r, s_peers, 10) == 0 && r.npeers == 0,
       "announce without peers");
    ok(bt_trk_parse_udp(p, 32, 7, false, &r, NULL, 0) == 0 && r.npeers == 0,
       "announce with no room for peers");
    ok(bt_trk_parse_udp(p, 32, 7, true, &r, s_peers, 10) == -1, "12 bytes are not v6 entries");
    memset(p + 20, 0, 36);
    p[20 + 15] = 1;
    p[20 + 16] = 0x1a;
    p[20 + 17] = 0xe2;
    ok(bt_trk_parse_udp(p, 38, 7, true, &r, s_peers, 10) == 0 && r.npeers == 1 &&
           s_is_v6(&s_peers[0], "::1", 6882),
       "v6 announce peer");
    ok(bt_trk_parse_udp(p, 38 + 17, 7, true, &r, s_peers, 10) == -1,
       "v6 peers not a multiple of 18");

    memset(p, 0, sizeof(p));
    s_put32(p, BT_UDP_SCRAPE);
    s_put32(p + 4, 9);
    s_put32(p + 8, 5);
    s_put32(p + 12, 6);
    s_put32(p + 16, 7);
    ok(bt_trk_parse_udp(p, 20, 9, false, &r, NULL, 0) == 0 && r.s_seeders == 5 &&
           r.s_completed == 6 && r.s_leechers == 7,
       "scrape reply");
    ok(bt_trk_parse_udp(p, 19, 9, false, &r, NULL, 0) == -1, "short scrape refused");

    s_put32(p, BT_UDP_ERROR);
    memcpy(p + 8, "no\nway", 6);
    ok(bt_trk_parse_udp(p, 14, 9, false, &r, NULL, 0) == 0 && r.action == BT_UDP_ERROR &&
           strcmp(r.error, "no?way") == 0,
       "error reply, control byte replaced");
    ok(bt_trk_parse_udp(p, 8, 9, false, &r, NULL, 0) == 0 && r.error[0] == '\0',
       "empty error message");
    uint8_t big[600];
    memset(big, 'a', sizeof(big));
    s_put32(big, BT_UDP_ERROR);
    s_put32(big + 4, 9);
    ok(bt_trk_parse_udp(big, sizeof(big), 9, false, &r, NULL, 0) == 0 &&
           strlen(r.error) == sizeof(r.error) - 1,
       "long error message cut");
    s_put32(p, 4);
    ok(bt_trk_parse_udp(p, 20, 9, false, &r, NULL, 0) == -1, "unknown action refused");
}

/* --- best-trackers lists and the blacklist --- */

static void test_list(void)
{
    static const char text[] = "# best trackers\r\n"
                               "udp://tracker.opentrackr.org:1337/announce\r\n"
                               "\r\n"
                               "   http://tracker.example.com/announce   \r\n"
                               "udp://tracker.opentrackr.org:1337/announce\n"
                               "ftp://bad.example.com/announce\n"
                               "wss://tracker.webtorrent.dev\n"
                               "udp://noport.example.com/announce\n"
                               "http://\n"
                               "http://a b/announce\n"
                               "https://[2001:db8::1]:443/announce\n"
                               "HTTPS://Secure.Example.Org/announce?passkey=x\n"
                               "http://user@evil.example/announce\n"
                               "  # indented comment\n"
                               "udp://[::1:6969/announce\n"
                               "http://h.example:99999/announce\n"
                               "udp://last.example:6969";
    char **urls = NULL;
    size_t n = 0;
    size_t added = bt_trk_list_parse(text, sizeof(text) - 1, &urls, &n);
    is_int(added, 5, "five URLs kept");
    is_int(n, 5, "count updated");
    if (n == 5) {
        is_str(urls[0], "udp://tracker.opentrackr.org:1337/announce", "first URL");
        is_str(urls[1], "http://tracker.example.com/announce", "blanks trimmed");
        is_str(urls[2], "https://[2001:db8::1]:443/announce", "IPv6 literal");
        is_str(urls[3], "HTTPS://Secure.Example.Org/announce?passkey=x", "scheme case");
        is_str(urls[4], "udp://last.example:6969", "last line without newline");
    }
    static const char more[] = "http://tracker.example.com/announce\nudp://new.example:1/a\n";
    added = bt_trk_list_parse(more, sizeof(more) - 1, &urls, &n);
    ok(added == 1 && n == 6 && strcmp(urls[5], "udp://new.example:1/a") == 0,
       "appending skips URLs already in the array");
    for (size_t i = 0; i < n; i++)
        cm_free(urls[i]);
    cm_free(urls);

    /* the cap */
    cm_buf_t *b = cm_buf_new(1 << 20);
    for (int i = 0; i < BT_TRK_LIST_MAX + 50; i++)
        if (cm_buf_appendf(b, "udp://t%d.example:80/announce\n", i) != 0)
            break;
    urls = NULL;
    n = 0;
    added = bt_trk_list_parse((const char *)cm_buf_data(b), cm_buf_len(b), &urls, &n);
    is_int(added, BT_TRK_LIST_MAX, "at most BT_TRK_LIST_MAX URLs");
    for (size_t i = 0; i < n; i++)
        cm_free(urls[i]);
    cm_free(urls);
    cm_buf_destroy(&b);
    urls = NULL;
    n = 0;
    ok(bt_trk_list_parse("", 0, &urls, &n) == 0 && urls == NULL, "empty list");
}

static const uint8_t s_pid_a[20] = "-MQ0001-AAAAAAAAAAAA";
static const uint8_t s_pid_b[20] = "-MQ0001-BBBBBBBBBBBB";
static const uint8_t s_pid_c[20] = "-MQ0001-CCCCCCCCCCCC";

static bt_trk_t *s_trk(uint16_t port, const uint8_t *pid, bool allow_private, int timeout_ms)
{
    struct bt_trk_opts o = {
        .port = port, .peer_id = pid, .allow_private = allow_private, .timeout_ms = timeout_ms};
    char err[128];
    bt_trk_t *t = bt_trk_new(s_base, &o, err, sizeof(err));
    if (!t)
        diag("bt_trk_new: %s", err);
    return t;
}

static uint32_t s_usable(bt_trk_t *t, const char *url)
{
    struct bt_tracker_url u = {.url = (char *)url, .tier = 0};
    bt_trk_swarm_t *s = bt_trk_swarm_new(t, s_hash, &u, 1, NULL);
    struct bt_trk_swarm_info info;
    bt_trk_swarm_info(s, &info);
    bt_trk_swarm_destroy(&s);
    return info.trackers;
}

static void test_blacklist_ssrf(void)
{
    bt_trk_t *t = s_trk(6881, s_pid_a, false, 0);
    bt_trk_t *tp = s_trk(6881, s_pid_a, true, 0);
    static const char bl[] = "# bad trackers\r\n\r\n  tracker.bad.org  \r\nEVIL\n#evil2\n";
    is_int(bt_trk_set_blacklist(t, bl, sizeof(bl) - 1), 2, "two blacklist patterns");
    ok(bt_trk_blacklisted(t, "udp://tracker.bad.org:80/announce"), "substring match");
    ok(bt_trk_blacklisted(t, "http://www.evil.example/announce"), "case-insensitive match");
    ok(!bt_trk_blacklisted(t, "http://good.example/announce"), "others pass");
    ok(!bt_trk_blacklisted(t, "http://goodevi.example/announce"), "comment lines are no pattern");
    is_int(s_usable(t, "udp://tracker.bad.org:80/announce"), 0, "blacklisted tracker dropped");
    is_int(s_usable(t, "udp://tracker.good.org:80/announce"), 1, "other tracker kept");

    struct {
        const char *url;
        uint32_t want;
    } cases[] = {
        {"http://127.0.0.1:8080/announce", 1},
        {"http://127.0.0.1:8080/announce.php?passkey=1", 1},
        {"http://127.0.0.1:8080/stats", 0},
        {"http://127.0.0.1:8080/", 0},
        {"http://127.0.0.1:8080", 0},
        {"udp://127.0.0.1:6969", 0},
        {"udp://127.0.0.1:6969/announce", 1},
        {"http://127.5.6.7/x", 0},
        {"http://10.1.2.3/x", 0},
        {"http://172.16.0.1/x", 0},
        {"http://172.31.255.255/x", 0},
        {"http://172.32.0.1/x", 1},
        {"http://192.168.1.1/x", 0},
        {"http://169.254.169.254/latest/meta-data", 0},
        {"http://0.0.0.0/x", 0},
        {"http://127.1/x", 0},
        {"http://2130706433/x", 0},
        {"http://0x7f000001/x", 0},
        {"http://localhost:9000/x", 0},
        {"http://LOCALHOST./x", 0},
        {"http://a.localhost/x", 0},
        {"http://[::1]:80/x", 0},
        {"http://[::]/x", 0},
        {"http://[fc00::1]/x", 0},
        {"http://[fd12:3456::1]/x", 0},
        {"http://[fe80::1]/x", 0},
        {"http://[::ffff:127.0.0.1]/x", 0},
        {"http://[::ffff:8.8.8.8]/x", 1},
        {"http://[2001:db8::1]/x", 1},
        {"http://[::1]/announce", 1},
        {"http://8.8.8.8/x", 1},
        {"http://tracker.example.com/x", 1}, /* names are not resolved for this check */
        {"ftp://8.8.8.8/announce", 0},
        {"http://user@8.8.8.8/announce", 0},
        {"http://[zz::1]/announce", 0},
        {"http://8.8.8.8:0/announce", 0},
        {"udp://8.8.8.8/announce", 0},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(cases); i++) {
        char name[200];
        snprintf(name, sizeof(name), "SSRF rule: %s %s", cases[i].url,
                 cases[i].want ? "kept" : "refused");
        is_int(s_usable(t, cases[i].url), cases[i].want, name);
    }
    is_int(s_usable(tp, "http://127.0.0.1:8080/stats"), 1, "allow_private keeps a private tracker");
    is_int(s_usable(tp, "http://[::1]:1/x"), 1, "allow_private keeps ::1");
    is_int(s_usable(tp, "ftp://127.0.0.1/announce"), 0, "allow_private still refuses ftp");

    /* tiers, duplicates, invalid entries */
    struct bt_tracker_url urls[] = {
        {"udp://a.example:1/announce", 0},
        {"udp://b.example:1/announce", 0},
        {"udp://a.example:1/announce", 1},
        {"http://10.0.0.1/admin", 1},
        {"nonsense", 2},
        {"http://c.example/announce", 2},
    };
    bt_trk_swarm_t *s = bt_trk_swarm_new(t, s_hash, urls, CM_ARRAY_LEN(urls), NULL);
    const char *extra[] = {"udp://b.example:1/announce", "udp://d.example:1/announce", NULL};
    bt_trk_swarm_add(s, extra, 3);
    struct bt_trk_swarm_info info;
    bt_trk_swarm_info(s, &info);
    is_int(info.trackers, 4, "swarm keeps 4 distinct usable trackers");
    ok(info.answered == 0 && info.peers == 0 && info.last_error[0] == '\0',
       "nothing sent before start");
    is_int(bt_trk_pending(t), 0, "no request before start");
    bt_trk_swarm_destroy(&s);
    ok(s == NULL, "destroy clears the pointer");
    bt_trk_swarm_destroy(&s);

    is_int(bt_trk_set_blacklist(t, "", 0), 0, "blacklist emptied");
    ok(!bt_trk_blacklisted(t, "udp://tracker.bad.org:80/announce"), "no longer blacklisted");
    bt_trk_destroy(&t);
    bt_trk_destroy(&tp);
    ok(t == NULL, "bt_trk_destroy clears the pointer");
    bt_trk_destroy(&t);
}

/* --- recorders --- */

struct scr {
    int called;
    int status;
    uint32_t seeders, leechers, completed;
    char err[160];
    uint64_t at_ms;
};

static void s_scrape_cb(void *arg, int status, uint32_t seeders, uint32_t leechers,
                        uint32_t completed, const char *err)
{
    struct scr *x = arg;
    x->called++;
    x->status = status;
    x->seeders = seeders;
    x->leechers = leechers;
    x->completed = completed;
    x->at_ms = cm_mono_ms();
    snprintf(x->err, sizeof(x->err), "%s", err ? err : "(null)");
}

struct rec {
    int calls;
    size_t n;
    struct sockaddr_storage peers[64];
    uint64_t left;
};

static void s_peers_cb(void *arg, const struct sockaddr_storage *p, size_t n)
{
    struct rec *r = arg;
    r->calls++;
    for (size_t i = 0; i < n && r->n < CM_ARRAY_LEN(r->peers); i++)
        r->peers[r->n++] = p[i];
}

static void s_stats_cb(void *arg, struct bt_trk_stats *o)
{
    struct rec *r = arg;
    o->left = r->left;
    o->downloaded = 100;
    o->uploaded = 50;
}

static bool s_has_port(const struct rec *r, uint16_t port)
{
    for (size_t i = 0; i < r->n; i++)
        if (s_port_of(&r->peers[i]) == port)
            return true;
    return false;
}

static struct bt_trk_swarm_cbs s_cbs(struct rec *r)
{
    struct bt_trk_swarm_cbs c = {.peers = s_peers_cb, .stats = s_stats_cb, .arg = r};
    return c;
}

static struct bt_trk_swarm_info s_info(const bt_trk_swarm_t *s)
{
    struct bt_trk_swarm_info i;
    bt_trk_swarm_info(s, &i);
    return i;
}

/* A UDP port where nothing listens. */
static uint16_t s_dead_udp_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &al);
    close(fd);
    return ntohs(a.sin_port);
}

/* --- a fake UDP tracker --- */

enum { FU_NORMAL, FU_SPOOF, FU_ERROR, FU_BADPEERS, FU_ERR_ONCE, FU_SILENT };

struct fake_udp {
    int fd, fd2;
    uint16_t port;
    struct event *ev;
    int mode;
    int connects, announces, scrapes;
    int events[16];
    int nevents;
    uint64_t left;
    uint16_t port_last;
    uint32_t numwant, key;
    uint8_t peer_id[20];
    uint64_t conn_id;
    bool hash_ok;
};

static void s_fu_send(int fd, const uint8_t *p, size_t n, const struct sockaddr_in *to)
{
    if (sendto(fd, p, n, 0, (const struct sockaddr *)to, sizeof(*to)) < 0)
        diag("fake tracker sendto: %s", strerror(errno));
}

static void s_fu_cb(evutil_socket_t fd, short what, void *arg)
{
    struct fake_udp *fu = arg;
    uint8_t in[256], out[128];
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    CM_UNUSED(what);
    ssize_t n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
    if (n < 16 || fu->mode == FU_SILENT)
        return;
    uint32_t action = s_get32(in + 8), tid = s_get32(in + 12);
    if (n == 16 && s_get64(in) == 0x41727101980ULL && action == 0) {
        fu->connects++;
        fu->conn_id = 0x1122334455667700ULL + (uint64_t)fu->connects;
        s_put32(out, 0);
        s_put32(out + 4, tid);
        s_put32(out + 8, (uint32_t)(fu->conn_id >> 32));
        s_put32(out + 12, (uint32_t)fu->conn_id);
        if (fu->mode == FU_SPOOF) {
            /* Spoofs carry another connection id: taken by mistake, the scrape would fail. */
            uint8_t spoof[16];
            memcpy(spoof, out, 16);
            memset(spoof + 8, 0xbd, 8);
            s_fu_send(fu->fd2, spoof, 16, &from); /* right tid, another port: ignored */
            s_put32(spoof + 4, tid ^ 1);
            s_fu_send(fu->fd, spoof, 16, &from); /* wrong tid: ignored */
        }
        s_fu_send(fu->fd, out, 16, &from);
        return;
    }
    if (s_get64(in) != fu->conn_id) {
        s_put32(out, 3);
        s_put32(out + 4, tid);
        memcpy(out + 8, "bad connection id", 17);
        s_fu_send(fu->fd, out, 25, &from);
        return;
    }
    if (action == 1 && n == 98) {
        fu->announces++;
        fu->hash_ok = memcmp(in + 16, s_hash, 20) == 0;
        memcpy(fu->peer_id, in + 36, 20);
        fu->left = s_get64(in + 64);
        if (fu->nevents < 16)
            fu->events[fu->nevents++] = (int)s_get32(in + 80);
        fu->key = s_get32(in + 88);
        fu->numwant = s_get32(in + 92);
        fu->port_last = (uint16_t)(in[96] << 8 | in[97]);
        s_put32(out, 1);
        s_put32(out + 4, tid);
        if (fu->mode == FU_ERROR) {
            s_put32(out, 3);
            memcpy(out + 8, "bad hash", 8);
            s_fu_send(fu->fd, out, 16, &from);
            return;
        }
        s_put32(out + 8, 120);
        s_put32(out + 12, 1);
        s_put32(out + 16, 2);
        memcpy(out + 20, "\x7f\x00\x00\x01\xc3\x51\x0a\x09\x08\x07\xc3\x52", 12);
        s_fu_send(fu->fd, out, fu->mode == FU_BADPEERS ? 27 : 32, &from);
        return;
    }
    if (action == 2 && n == 36) {
        fu->scrapes++;
        fu->hash_ok = memcmp(in + 16, s_hash, 20) == 0;
        if (fu->mode == FU_ERR_ONCE) {
            fu->mode = FU_NORMAL;
            s_put32(out, 3);
            s_put32(out + 4, tid);
            memcpy(out + 8, "expired", 7);
            s_fu_send(fu->fd, out, 15, &from);
            return;
        }
        s_put32(out, 2);
        s_put32(out + 4, tid);
        s_put32(out + 8, 9);
        s_put32(out + 12, 8);
        s_put32(out + 16, 7);
        s_fu_send(fu->fd, out, 20, &from);
    }
}

static int s_udp_bound(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &al);
    if (port)
        *port = ntohs(a.sin_port);
    return fd;
}

static void s_fu_open(struct fake_udp *fu)
{
    memset(fu, 0, sizeof(*fu));
    fu->fd = s_udp_bound(&fu->port);
    fu->fd2 = s_udp_bound(NULL);
    fu->ev = event_new(s_base, fu->fd, EV_READ | EV_PERSIST, s_fu_cb, fu);
    event_add(fu->ev, NULL);
}

static void s_fu_close(struct fake_udp *fu)
{
    event_free(fu->ev);
    close(fu->fd);
    close(fu->fd2);
}

static void test_loop_basics(void)
{
    bt_trk_t *t = s_trk(6881, s_pid_a, false, 400);
    struct scr a = {0}, b = {0}, c = {0}, d = {0}, e = {0};
    bt_trk_set_blacklist(t, "blocked.example", 15);
    bt_trk_req_t ra = bt_trk_scrape(t, "http://127.0.0.1:1/stats", s_hash, 0, s_scrape_cb, &a);
    bt_trk_req_t rb = bt_trk_scrape(t, "gopher://x/announce", s_hash, 0, s_scrape_cb, &b);
    bt_trk_req_t rc =
        bt_trk_scrape(t, "udp://blocked.example:1/announce", s_hash, 0, s_scrape_cb, &c);
    ok(ra && rb && rc && ra != rb && rb != rc, "request ids");
    ok(a.called == 0 && b.called == 0 && c.called == 0, "no callback inside bt_trk_scrape");
    is_int(bt_trk_pending(t), 3, "three pending");
    /* cancel: a UDP scrape to a dead port, cancelled at once, never calls back */
    char url[80];
    snprintf(url, sizeof(url), "udp://127.0.0.1:%u/announce", s_dead_udp_port());
    bt_trk_req_t rd = bt_trk_scrape(t, url, s_hash, 300, s_scrape_cb, &d);
    bt_trk_cancel(t, rd);
    bt_trk_cancel(t, rd); /* twice is harmless */
    bt_trk_cancel(t, 0);
    uint64_t t0 = cm_mono_ms();
    bt_trk_scrape(t, url, s_hash, 300, s_scrape_cb, &e);
    WAIT_FOR(a.called && b.called && c.called && e.called, 3000);
    ok(a.called == 1 && a.status == -1 && strstr(a.err, "refused"), "private URL refused later");
    ok(b.called == 1 && b.status == -1 && strstr(b.err, "valid"), "invalid URL fails later");
    ok(c.called == 1 && c.status == -1 && strstr(c.err, "blacklisted"), "blacklisted fails later");
    ok(e.called == 1 && e.status == -1 && strstr(e.err, "timed out"), "dead UDP scrape times out");
    uint64_t el = e.at_ms - t0;
    if (!ok(el >= 280 && el < 1500, "dead UDP scrape fails within its 300 ms timeout"))
        diag("took %" PRIu64 " ms", el);
    s_turn(20);
    is_int(d.called, 0, "cancelled scrape never called back");
    is_int(bt_trk_pending(t), 0, "nothing pending");

    /* a swarm whose only tracker is dead: the announce fails within the engine's timeout */
    struct rec r = {.left = 1};
    struct bt_tracker_url u = {.url = url, .tier = 0};
    struct bt_trk_swarm_cbs cbs = s_cbs(&r);
    bt_trk_swarm_t *s = bt_trk_swarm_new(t, s_hash, &u, 1, &cbs);
    t0 = cm_mono_ms();
    bt_trk_swarm_start(s);
    ok(s_info(s).last_error[0] == '\0' && bt_trk_pending(t) == 0, "start sends on the next turn");
    WAIT_FOR(s_info(s).last_error[0] != '\0', 3000);
    el = cm_mono_ms() - t0;
    struct bt_trk_swarm_info info = s_info(s);
    ok(strstr(info.last_error, "timed out") && strstr(info.last_error, "127.0.0.1"),
       "dead UDP announce: timed out, host named");
    if (!ok(el >= 380 && el < 1500, "dead UDP announce fails within the 400 ms timeout"))
        diag("took %" PRIu64 " ms: %s", el, info.last_error);
    ok(info.answered == 0 && info.peers == 0 && r.calls == 0, "no answer, no peers");
    bt_trk_swarm_more_peers(s); /* in back-off: nothing */
    s_turn(10);
    is_int(bt_trk_pending(t), 0, "back-off: no request");
    bt_trk_swarm_destroy(&s); /* never started: no `stopped` */
    is_int(bt_trk_pending(t), 0, "no stopped for a tracker never started");

    /* destroying the engine with requests in flight and a swarm still alive */
    struct scr f = {0};
    bt_trk_scrape(t, url, s_hash, 5000, s_scrape_cb, &f);
    s = bt_trk_swarm_new(t, s_hash, &u, 1, &cbs);
    bt_trk_swarm_start(s);
    s_turn(10);
    bt_trk_destroy(&t);
    bt_trk_swarm_more_peers(s);
    bt_trk_swarm_completed(s);
    ok(s_info(s).trackers == 1, "a detached swarm still answers info");
    bt_trk_swarm_destroy(&s);
    s_turn(10);
    is_int(f.called, 0, "bt_trk_destroy cancels without callbacks");
}

static void test_fake_udp(void)
{
    struct fake_udp fu;
    s_fu_open(&fu);
    bt_trk_t *t = s_trk(6881, s_pid_a, false, 1000);
    char url[80];
    snprintf(url, sizeof(url), "udp://127.0.0.1:%u/announce", fu.port);

    /* B-11: replies from another port and with a wrong tid are ignored */
    fu.mode = FU_SPOOF;
    struct scr a = {0}, b = {0}, c = {0};
    bt_trk_scrape(t, url, s_hash, 0, s_scrape_cb, &a);
    WAIT_FOR(a.called, 2000);
    ok(a.called == 1 && a.status == 0, "UDP scrape through spoofed replies");
    if (a.status)
        diag("error: %s", a.err);
    ok(a.seeders == 9 && a.completed == 8 && a.leechers == 7, "UDP scrape figures");
    ok(fu.connects == 1 && fu.scrapes == 1 && fu.hash_ok, "one connect, one scrape, right hash");
    fu.mode = FU_NORMAL;
    bt_trk_scrape(t, url, s_hash, 0, s_scrape_cb, &b);
    WAIT_FOR(b.called, 2000);
    ok(b.status == 0 && fu.connects == 1 && fu.scrapes == 2, "cached connection id reused");
    fu.mode = FU_ERR_ONCE;
    bt_trk_scrape(t, url, s_hash, 0, s_scrape_cb, &c);
    WAIT_FOR(c.called, 2000);
    ok(c.status == 0 && fu.connects == 2 && fu.scrapes == 4,
       "an error on a cached connection id: connect again once");

    /* a host name: resolved by evdns from /etc/hosts (no DNS traffic), then the cached id */
    struct scr n1 = {0};
    char named[80];
    snprintf(named, sizeof(named), "udp://localhost:%u/announce", fu.port);
    bt_trk_scrape(t, named, s_hash, 0, s_scrape_cb, &n1);
    ok(n1.called == 0, "no callback inside bt_trk_scrape (resolver path)");
    WAIT_FOR(n1.called, 2000);
    if (!ok(n1.status == 0 && n1.seeders == 9 && fu.scrapes == 5, "UDP scrape via a host name"))
        diag("%d %s", n1.status, n1.err);

    /* a swarm: tier 0 = a dead tracker and the fake one (BEP 12 failover either way) */
    char dead[80];
    snprintf(dead, sizeof(dead), "udp://127.0.0.1:%u/announce", s_dead_udp_port());
    struct bt_tracker_url urls[] = {{dead, 0}, {url, 0}};
    struct rec r = {.left = 1000};
    struct bt_trk_swarm_cbs cbs = s_cbs(&r);
    bt_trk_swarm_t *s = bt_trk_swarm_new(t, s_hash, urls, 2, &cbs);
    bt_trk_swarm_start(s);
    WAIT_FOR(r.calls > 0, 3000);
    ok(r.n == 2 && s_is_v4(&r.peers[0], "127.0.0.1", 50001) &&
           s_is_v4(&r.peers[1], "10.9.8.7", 50002),
       "swarm peers from the UDP tracker");
    ok(fu.nevents == 1 && fu.events[0] == 2, "event started");
    ok(fu.left == 1000 && fu.port_last == 6881 && fu.numwant == 200 &&
           memcmp(fu.peer_id, s_pid_a, 20) == 0 && fu.hash_ok,
       "announce fields: left, port, numwant, peer id, hash");
    struct bt_trk_swarm_info info = s_info(s);
    ok(info.trackers == 2 && info.answered == 1 && info.peers == 2 && info.seeders == 2 &&
           info.leechers == 1,
       "swarm info");
    r.left = 0;
    bt_trk_swarm_completed(s);
    bt_trk_swarm_completed(s); /* once */
    WAIT_FOR(fu.nevents >= 2, 2000);
    ok(fu.nevents == 2 && fu.events[1] == 1 && fu.left == 0, "event completed, left 0");
    uint32_t key = fu.key;
    bt_trk_swarm_more_peers(s); /* the min interval (30 s) forbids it */
    s_turn(50);
    is_int(fu.announces, 2, "more_peers respects the min interval");
    bt_trk_swarm_destroy(&s);
    WAIT_FOR(fu.nevents >= 3, 2000);
    ok(fu.nevents == 3 && fu.events[2] == 3 && fu.key == key, "stopped after destroy, same key");
    WAIT_FOR(bt_trk_pending(t) == 0, 2000);
    is_int(bt_trk_pending(t), 0, "the stopped request ends");

    /* a seed from the start: `started` with left 0, and no `completed` ever */
    struct rec r3 = {.left = 0};
    cbs = s_cbs(&r3);
    struct bt_tracker_url only = {url, 0};
    s = bt_trk_swarm_new(t, s_hash, &only, 1, &cbs);
    bt_trk_swarm_completed(s);
    int base = fu.nevents;
    bt_trk_swarm_start(s);
    WAIT_FOR(r3.calls > 0, 2000);
    s_turn(50);
    ok(fu.nevents == base + 1 && fu.events[base] == 2 && fu.left == 0,
       "a seed sends started with left 0, then no completed");
    bt_trk_swarm_destroy(&s);
    WAIT_FOR(bt_trk_pending(t) == 0, 2000);
    ok(fu.nevents == base + 2 && fu.events[base + 1] == 3, "and stopped on destroy");

    /* an error reply and a malformed one */
    struct rec r2 = {.left = 1};
    cbs = s_cbs(&r2);
    fu.mode = FU_ERROR;
    struct bt_tracker_url one = {url, 0};
    s = bt_trk_swarm_new(t, s_hash, &one, 1, &cbs);
    bt_trk_swarm_start(s);
    WAIT_FOR(s_info(s).last_error[0], 2000);
    info = s_info(s);
    ok(strstr(info.last_error, "bad hash") && info.answered == 0 && r2.calls == 0,
       "UDP error reply reported");
    bt_trk_swarm_destroy(&s);
    fu.mode = FU_BADPEERS;
    s = bt_trk_swarm_new(t, s_hash, &one, 1, &cbs);
    bt_trk_swarm_start(s);
    WAIT_FOR(s_info(s).last_error[0], 2000);
    info = s_info(s);
    ok(strstr(info.last_error, "malformed") && r2.calls == 0, "peer list of 7 bytes refused");
    bt_trk_swarm_destroy(&s);
    WAIT_FOR(bt_trk_pending(t) == 0, 2000);
    bt_trk_destroy(&t);
    s_fu_close(&fu);
}

/* --- a fake HTTP tracker --- */

struct fake_http {
    struct evhttp *http;
    uint16_t port;
    int hits;
    char uri[2048];
};

static void s_fh_cb(struct evhttp_request *req, void *arg)
{
    struct fake_http *fh = arg;
    const char *uri = evhttp_request_get_uri(req);
    struct evbuffer *b = evbuffer_new();
    fh->hits++;
    snprintf(fh->uri, sizeof(fh->uri), "%s", uri);
    int code = 200;
    if (strncmp(uri, "/scrape", 7) == 0) {
        uint8_t h[20];
        memcpy(h, s_hash, 20);
        if (strstr(uri, "mode=other"))
            h[0] ^= 1;
        evbuffer_add_printf(b, "d5:filesd20:");
        evbuffer_add(b, h, 20);
        evbuffer_add_printf(b, "d8:completei4e10:downloadedi7e10:incompletei2eeee");
    } else if (strstr(uri, "mode=ok")) {
        static const uint8_t body[] = "d8:intervali120e5:peers6:\x0a\x01\x02\x03\x1a\xe1"
                                      "6:peers618:\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\x1a"
                                      "\xe2"
                                      "e";
        evbuffer_add(b, body, sizeof(body) - 1);
    } else if (strstr(uri, "mode=fail")) {
        evbuffer_add_printf(b, "d14:failure reason7:go awaye");
    } else if (strstr(uri, "mode=big")) {
        char *big = cm_malloc(BT_TRK_REPLY_MAX + 4096);
        memset(big, 'x', BT_TRK_REPLY_MAX + 4096);
        evbuffer_add(b, big, BT_TRK_REPLY_MAX + 4096);
        cm_free(big);
    } else if (strstr(uri, "mode=redir")) {
        code = 302;
        evhttp_add_header(evhttp_request_get_output_headers(req), "Location",
                          "http://127.0.0.1:1/announce?mode=ok");
    } else if (strstr(uri, "mode=404")) {
        code = 404;
    } else {
        evbuffer_add_printf(b, "le");
    }
    evhttp_send_reply(req, code, code == 200 ? "OK" : "No", b);
    evbuffer_free(b);
}

static void test_fake_http(void)
{
    struct fake_http fh = {0};
    fh.http = evhttp_new(s_base);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(fh.http, "127.0.0.1", 0);
    if (!ok(bs != NULL, "fake HTTP tracker listens")) {
        evhttp_free(fh.http);
        return;
    }
    struct sockaddr_in sa;
    socklen_t al = sizeof(sa);
    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &al);
    fh.port = ntohs(sa.sin_port);
    evhttp_set_gencb(fh.http, s_fh_cb, &fh);

    bt_trk_t *t = s_trk(6881, s_pid_a, false, 2000);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/announce?mode=ok", fh.port);
    struct rec r = {.left = 1000};
    struct bt_trk_swarm_cbs cbs = s_cbs(&r);
    struct bt_tracker_url u = {url, 0};
    bt_trk_swarm_t *s = bt_trk_swarm_new(t, s_hash, &u, 1, &cbs);
    bt_trk_swarm_start(s);
    WAIT_FOR(r.calls > 0, 3000);
    ok(r.n == 2 && s_is_v4(&r.peers[0], "10.1.2.3", 6881) &&
           s_is_v6(&r.peers[1], "2001:db8::1", 6882),
       "HTTP peers and peers6");
    char want[160];
    snprintf(want, sizeof(want), "/announce?mode=ok&info_hash=%s&peer_id=-MQ0001-AAAAAAAAAAAA&",
             s_hash_pct);
    if (!ok(strncmp(fh.uri, want, strlen(want)) == 0, "announce query starts right"))
        diag("uri %s", fh.uri);
    ok(strstr(fh.uri, "&port=6881&") && strstr(fh.uri, "&uploaded=50&") &&
           strstr(fh.uri, "&downloaded=100&") && strstr(fh.uri, "&left=1000&") &&
           strstr(fh.uri, "&compact=1") && strstr(fh.uri, "&numwant=200") &&
           strstr(fh.uri, "&key=") && strstr(fh.uri, "&event=started"),
       "announce query fields");
    struct bt_trk_swarm_info info = s_info(s);
    ok(info.answered == 1 && info.peers == 2 && info.last_error[0] == '\0', "HTTP swarm info");
    int hits = fh.hits;
    bt_trk_swarm_destroy(&s);
    WAIT_FOR(fh.hits > hits && bt_trk_pending(t) == 0, 3000);
    ok(strstr(fh.uri, "&event=stopped") != NULL, "stopped sent over HTTP after destroy");

    /* failures, each in its own swarm, all at once */
    static const char *const modes[] = {"fail", "big", "redir", "404", "garbage"};
    static const char *const errs[] = {"go away", "over", "302", "404", "not a dictionary"};
    bt_trk_swarm_t *sw[5];
    struct rec rr[5];
    for (size_t i = 0; i < 5; i++) {
        char mu[128];
        memset(&rr[i], 0, sizeof(rr[i]));
        snprintf(mu, sizeof(mu), "http://127.0.0.1:%u/announce?mode=%s", fh.port, modes[i]);
        struct bt_tracker_url one = {mu, 0};
        struct bt_trk_swarm_cbs c = s_cbs(&rr[i]);
        sw[i] = bt_trk_swarm_new(t, s_hash, &one, 1, &c);
        bt_trk_swarm_start(sw[i]);
    }
    for (size_t i = 0; i < 5; i++) {
        WAIT_FOR(s_info(sw[i]).last_error[0], 3000);
        info = s_info(sw[i]);
        char name[64];
        snprintf(name, sizeof(name), "HTTP tracker failure: %s", modes[i]);
        if (!ok(strstr(info.last_error, errs[i]) && info.answered == 0 && rr[i].calls == 0, name))
            diag("last error: %s", info.last_error);
        bt_trk_swarm_destroy(&sw[i]);
    }

    /* scrape: URL derivation, figures, a missing hash, a URL that cannot be scraped */
    struct scr a = {0}, b = {0}, c = {0};
    bt_trk_scrape(t, url, s_hash, 0, s_scrape_cb, &a);
    WAIT_FOR(a.called, 3000);
    ok(a.status == 0 && a.seeders == 4 && a.leechers == 2 && a.completed == 7,
       "HTTP scrape figures");
    snprintf(want, sizeof(want), "/scrape?mode=ok&info_hash=%s", s_hash_pct);
    is_str(fh.uri, want, "scrape URL derived from the announce URL");
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/announce?mode=other", fh.port);
    bt_trk_scrape(t, url, s_hash, 0, s_scrape_cb, &b);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/announce/x", fh.port);
    bt_trk_scrape(t, url, s_hash, 0, s_scrape_cb, &c);
    WAIT_FOR(b.called && c.called, 3000);
    ok(b.status == -1 && strstr(b.err, "not in the scrape reply"), "HTTP scrape, hash missing");
    ok(c.status == -1 && strstr(c.err, "scrape not supported"), "no scrape URL for /announce/x");

    WAIT_FOR(bt_trk_pending(t) == 0, 3000);
    bt_trk_destroy(&t);

    /* allow_private: connections are kept alive and reused; destroy with one in the cache */
    t = s_trk(6881, s_pid_a, true, 2000);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/scrape-me/announce?mode=ok", fh.port);
    struct scr d = {0}, e = {0};
    bt_trk_scrape(t, url, s_hash, 0, s_scrape_cb, &d);
    WAIT_FOR(d.called, 3000);
    bt_trk_scrape(t, url, s_hash, 0, s_scrape_cb, &e);
    WAIT_FOR(e.called, 3000);
    ok(d.status == 0 && e.status == 0 && strncmp(fh.uri, "/scrape-me/scrape?mode=ok&", 26) == 0,
       "allow_private: scrape of a non-/announce path, twice");
    bt_trk_destroy(&t);
    evhttp_free(fh.http);
}

/* --- a real opentracker --- */

static pid_t s_ot_pid = -1;
static char s_ot_dir[64];

static uint16_t s_free_port(void)
{
    for (int i = 0; i < 50; i++) {
        int tf = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t al = sizeof(a);
        bind(tf, (struct sockaddr *)&a, sizeof(a));
        getsockname(tf, (struct sockaddr *)&a, &al);
        int uf = socket(AF_INET, SOCK_DGRAM, 0);
        int rc = bind(uf, (struct sockaddr *)&a, sizeof(a));
        close(tf);
        close(uf);
        if (rc == 0)
            return ntohs(a.sin_port);
    }
    return 0;
}

static bool s_tcp_up(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool up = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return up;
}

static void s_ot_stop(void)
{
    if (s_ot_pid > 0) {
        kill(s_ot_pid, SIGTERM);
        int st;
        uint64_t end = cm_mono_ms() + 2000;
        while (waitpid(s_ot_pid, &st, WNOHANG) == 0) {
            if (cm_mono_ms() > end) {
                kill(s_ot_pid, SIGKILL);
                waitpid(s_ot_pid, &st, 0);
                break;
            }
            usleep(10000);
        }
        s_ot_pid = -1;
    }
    if (s_ot_dir[0]) {
        char p[96];
        snprintf(p, sizeof(p), "%s/wl", s_ot_dir);
        unlink(p);
        rmdir(s_ot_dir);
        s_ot_dir[0] = '\0';
    }
}

/* Start opentracker on 127.0.0.1:port (TCP and UDP) with our hash whitelisted. */
static int s_ot_start(uint16_t port)
{
    snprintf(s_ot_dir, sizeof(s_ot_dir), "/tmp/bt-trk-ot-XXXXXX");
    if (!mkdtemp(s_ot_dir)) {
        s_ot_dir[0] = '\0';
        return -1;
    }
    chmod(s_ot_dir, 0755);
    char p[96];
    snprintf(p, sizeof(p), "%s/wl", s_ot_dir);
    FILE *f = fopen(p, "w");
    if (!f)
        return -1;
    for (int i = 0; i < 20; i++)
        fprintf(f, "%02x", s_hash[i]);
    fputc('\n', f);
    fclose(f);
    chmod(p, 0644);
    char ps[8];
    snprintf(ps, sizeof(ps), "%u", port);
    fflush(stdout);
    s_ot_pid = fork();
    if (s_ot_pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 1);
        dup2(nul, 2);
        execl("/usr/bin/opentracker", "opentracker", "-i", "127.0.0.1", "-p", ps, "-P", ps, "-d",
              s_ot_dir, "-w", "wl", (char *)NULL);
        _exit(127);
    }
    if (s_ot_pid < 0)
        return -1;
    uint64_t end = cm_mono_ms() + 3000;
    while (cm_mono_ms() < end) {
        int st;
        if (waitpid(s_ot_pid, &st, WNOHANG) == s_ot_pid) {
            s_ot_pid = -1;
            return -1;
        }
        if (s_tcp_up(port))
            return 0;
        usleep(20000);
    }
    return -1;
}

static void test_opentracker(void)
{
    if (access("/usr/bin/opentracker", X_OK) != 0) {
        printf("# SKIP opentracker not installed\n");
        return;
    }
    uint16_t port = s_free_port();
    if (!ok(port && s_ot_start(port) == 0, "opentracker starts")) {
        s_ot_stop();
        return;
    }
    char hurl[64], uurl[64];
    snprintf(hurl, sizeof(hurl), "http://127.0.0.1:%u/announce", port);
    snprintf(uurl, sizeof(uurl), "udp://127.0.0.1:%u/announce", port);
    struct bt_tracker_url uh = {hurl, 0}, uu = {uurl, 0};
    bt_trk_t *ta = s_trk(41001, s_pid_a, false, 3000);
    bt_trk_t *tb = s_trk(41002, s_pid_b, false, 3000);
    bt_trk_t *tc = s_trk(41003, s_pid_c, false, 3000);
    /* A: a leecher that completes; B: a seeder; C: a leecher (HTTP only). */
    struct rec rah = {.left = 1000}, rau = {.left = 1000}, rbh = {.left = 0}, rbu = {.left = 0},
               rch = {.left = 500};
    struct bt_trk_swarm_cbs c;
    c = s_cbs(&rah);
    bt_trk_swarm_t *ah = bt_trk_swarm_new(ta, s_hash, &uh, 1, &c);
    c = s_cbs(&rau);
    bt_trk_swarm_t *au = bt_trk_swarm_new(ta, s_hash, &uu, 1, &c);
    c = s_cbs(&rbh);
    bt_trk_swarm_t *bh = bt_trk_swarm_new(tb, s_hash, &uh, 1, &c);
    c = s_cbs(&rbu);
    bt_trk_swarm_t *bu = bt_trk_swarm_new(tb, s_hash, &uu, 1, &c);
    c = s_cbs(&rch);
    bt_trk_swarm_t *ch = bt_trk_swarm_new(tc, s_hash, &uh, 1, &c);

    bt_trk_swarm_start(ah);
    bt_trk_swarm_start(au);
    WAIT_FOR(s_info(ah).answered && s_info(au).answered, 3000);
    ok(s_info(ah).answered == 1, "A announced over HTTP");
    if (!ok(s_info(au).answered == 1, "A announced over UDP"))
        diag("%s", s_info(au).last_error);
    bt_trk_swarm_start(bh);
    bt_trk_swarm_start(bu);
    WAIT_FOR(s_has_port(&rbh, 41001) && s_has_port(&rbu, 41001), 3000);
    ok(s_has_port(&rbh, 41001), "B gets A over HTTP");
    ok(s_has_port(&rbu, 41001), "B gets A over UDP");
    bt_trk_swarm_start(ch);
    WAIT_FOR(s_info(ch).answered, 3000);
    ok(s_has_port(&rch, 41001) && s_has_port(&rch, 41002), "C gets A and B");
    ok(!s_has_port(&rah, 41002) && !s_has_port(&rau, 41002), "A has not seen B yet");
    rah.left = rau.left = 0;
    bt_trk_swarm_completed(ah);
    bt_trk_swarm_completed(au);
    WAIT_FOR(s_has_port(&rah, 41002) && s_has_port(&rau, 41002), 3000);
    ok(s_has_port(&rah, 41002), "A gets B over HTTP (completed announce)");
    ok(s_has_port(&rau, 41002), "A gets B over UDP (completed announce)");
    struct bt_trk_swarm_info ia = s_info(ah);
    ok(ia.seeders == 2 && ia.leechers == 1, "A's HTTP swarm info: 2 seeders, 1 leecher");
    ia = s_info(au);
    ok(ia.seeders == 2 && ia.leechers == 1, "A's UDP swarm info: 2 seeders, 1 leecher");

    struct scr sh = {0}, su = {0};
    bt_trk_scrape(tc, hurl, s_hash, 0, s_scrape_cb, &sh);
    bt_trk_scrape(tc, uurl, s_hash, 0, s_scrape_cb, &su);
    WAIT_FOR(sh.called && su.called, 3000);
    if (!ok(sh.status == 0 && sh.seeders == 2 && sh.leechers == 1 && sh.completed == 1,
            "HTTP scrape: 2 seeders, 1 leecher, 1 completed"))
        diag("%d %u %u %u %s", sh.status, sh.seeders, sh.leechers, sh.completed, sh.err);
    if (!ok(su.status == 0 && su.seeders == 2 && su.leechers == 1 && su.completed == 1,
            "UDP scrape: 2 seeders, 1 leecher, 1 completed"))
        diag("%d %u %u %u %s", su.status, su.seeders, su.leechers, su.completed, su.err);

    /* stopped on destroy takes everyone out */
    bt_trk_swarm_destroy(&ah);
    bt_trk_swarm_destroy(&au);
    bt_trk_swarm_destroy(&bh);
    bt_trk_swarm_destroy(&bu);
    bt_trk_swarm_destroy(&ch);
    ok(bt_trk_pending(ta) == 2 && bt_trk_pending(tb) == 2 && bt_trk_pending(tc) == 1,
       "one stopped per started tracker");
    WAIT_FOR(bt_trk_pending(ta) + bt_trk_pending(tb) + bt_trk_pending(tc) == 0, 3000);
    ok(bt_trk_pending(ta) + bt_trk_pending(tb) + bt_trk_pending(tc) == 0, "stopped requests end");
    memset(&sh, 0, sizeof(sh));
    memset(&su, 0, sizeof(su));
    bt_trk_scrape(tc, hurl, s_hash, 0, s_scrape_cb, &sh);
    bt_trk_scrape(tc, uurl, s_hash, 0, s_scrape_cb, &su);
    WAIT_FOR(sh.called && su.called, 3000);
    if (!ok(sh.status == 0 && sh.seeders == 0 && sh.leechers == 0 && sh.completed == 1,
            "after stopped: HTTP scrape 0 seeders, 0 leechers, 1 completed"))
        diag("%d %u %u %u %s", sh.status, sh.seeders, sh.leechers, sh.completed, sh.err);
    ok(su.status == 0 && su.seeders == 0 && su.leechers == 0 && su.completed == 1,
       "after stopped: UDP scrape agrees");

    /* a hash that is not whitelisted: the tracker's failure reason comes back */
    uint8_t other[20];
    memset(other, 0x42, 20);
    struct rec ro = {.left = 1};
    c = s_cbs(&ro);
    bt_trk_swarm_t *so = bt_trk_swarm_new(ta, other, &uh, 1, &c);
    bt_trk_swarm_start(so);
    WAIT_FOR(s_info(so).last_error[0], 3000);
    ok(strstr(s_info(so).last_error, "tracker: ") != NULL, "not whitelisted: failure reason");
    diag("opentracker says: %s", s_info(so).last_error);
    bt_trk_swarm_destroy(&so);

    bt_trk_destroy(&ta);
    bt_trk_destroy(&tb);
    bt_trk_destroy(&tc);
    s_ot_stop();
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    cm_log_set_level(CM_LOG_ERROR);
    s_base = event_base_new();
    uint64_t t0 = cm_mono_ms();
    test_http_announce();
    test_http_scrape();
    test_udp();
    test_list();
    test_blacklist_ssrf();
    test_loop_basics();
    test_fake_udp();
    test_fake_http();
    test_opentracker();
    diag("took %" PRIu64 " ms", cm_mono_ms() - t0);
    event_base_free(s_base);
    return done_testing();
}
