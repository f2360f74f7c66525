/* SPDX-License-Identifier: MIT
 * Tests of gw_client: trusted proxy lists (addresses, CIDR ranges of both families, blanks
 * and commas, empty lists, the 64-entry cap, bad items named in the error, host bits past the
 * prefix); membership (IPv4-mapped addresses match IPv4 ranges); the client address: an
 * untrusted peer with a spoofed header, a trusted peer with one hop, chains of trusted
 * proxies, all trusted, garbage items, empty items, IPv6 with brackets and ports, IPv4 with a
 * port, mapped addresses normalised, empty and blank headers, 1000 items, a header past the
 * length cap, peers that are not addresses, and small output buffers. */
#include "cm.h"
#include "gw_client.h"
#include "../../tap.h"

static char s_err[256];

/* `s` for a test name: at most 80 bytes, control characters shown as '?' (TAP is line-based). */
static const char *s_show(const char *s)
{
    static char buf[81];
    size_t i = 0;
    for (; s && s[i] && i < sizeof(buf) - 1; i++)
        buf[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    buf[i] = '\0';
    return s ? buf : "NULL";
}

static void s_bad(const char *list, const char *want)
{
    s_err[0] = '\0';
    gw_proxies_t *p = gw_proxies_parse(list, s_err, sizeof(s_err));
    char name[200];
    snprintf(name, sizeof(name), "proxies \"%s\" refused", s_show(list));
    ok(p == NULL, name);
    gw_proxies_destroy(&p);
    snprintf(name, sizeof(name), "proxies \"%s\": error names \"%s\"", s_show(list), want);
    if (!ok(strstr(s_err, want) != NULL, name))
        diag("error: '%s'", s_err);
}

static gw_proxies_t *s_good(const char *list, size_t count)
{
    gw_proxies_t *p = gw_proxies_parse(list, s_err, sizeof(s_err));
    char name[200];
    snprintf(name, sizeof(name), "proxies \"%s\" parse to %zu entries", s_show(list), count);
    if (!ok(p && gw_proxies_count(p) == count, name))
        diag("error: %s", p ? "(wrong count)" : s_err);
    return p;
}

static void test_parse(void)
{
    gw_proxies_t *p = s_good("127.0.0.1, 10.0.0.0/8, ::1, fd00::/8", 4);
    gw_proxies_destroy(&p);
    ok(p == NULL, "destroy nulls the pointer");
    gw_proxies_destroy(&p);
    p = s_good("", 0);
    ok(!gw_proxies_contains(p, "127.0.0.1"), "an empty list trusts nobody");
    gw_proxies_destroy(&p);
    p = s_good(NULL, 0);
    gw_proxies_destroy(&p);
    p = s_good(" ,, \t\n", 0);
    gw_proxies_destroy(&p);
    p = s_good("1.2.3.4\t5.6.7.8\n9.9.9.9,,10.0.0.0/8 ,\t 0.0.0.0/0", 5);
    gw_proxies_destroy(&p);
    p = s_good("::/0 2001:db8::/32 ::ffff:10.0.0.0/104 10.1.2.3/32 2001:db8::1/128", 5);
    gw_proxies_destroy(&p);

    char list[64 * 20 + 32];
    size_t off = 0;
    for (int i = 0; i < 64; i++)
        off += (size_t)snprintf(list + off, sizeof(list) - off, "10.0.%d.0/24, ", i);
    p = s_good(list, 64);
    ok(gw_proxies_contains(p, "10.0.63.9") && !gw_proxies_contains(p, "10.0.64.9"),
       "the 64th entry counts");
    gw_proxies_destroy(&p);
    snprintf(list + off, sizeof(list) - off, "192.0.2.1");
    s_bad(list, "more than 64 entries (at \"192.0.2.1\")");

    s_bad("127.0.0.1, bogus, ::1", "\"bogus\" is not an IP address");
    s_bad("10.0.0.0/33", "\"10.0.0.0/33\" has a bad prefix length (0 to 32)");
    s_bad("fd00::/129", "\"fd00::/129\" has a bad prefix length (0 to 128)");
    s_bad("10.0.0.0/", "\"10.0.0.0/\" has a bad prefix");
    s_bad("10.0.0.0/-8", "bad prefix");
    s_bad("10.0.0.0/8/8", "bad prefix");
    s_bad("10.0.0.0/0008", "bad prefix");
    s_bad("10.1.0.0/8", "\"10.1.0.0/8\" has address bits set past its prefix");
    s_bad("fd00::1/8", "\"fd00::1/8\" has address bits set");
    s_bad("1.2.3", "\"1.2.3\" is not an IP");
    s_bad("1.2.3.4.5", "\"1.2.3.4.5\"");
    s_bad("::1%lo", "\"::1%lo\"");
    s_bad("[::1]", "\"[::1]\"");
    s_bad("1.2.3.4:80", "\"1.2.3.4:80\"");
    s_bad("localhost", "\"localhost\"");
    s_bad("/8", "\"/8\"");
    char longer[200];
    memset(longer, '1', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    s_bad(longer, "\"11111111111111111111111111111111...\" is not");
    char *huge = cm_malloc(GW_PROXIES_TEXT_MAX + 2);
    memset(huge, ' ', GW_PROXIES_TEXT_MAX + 1);
    huge[GW_PROXIES_TEXT_MAX + 1] = '\0';
    s_bad(huge, "longer than 8192");
    cm_free(huge);
}

static void test_contains(void)
{
    gw_proxies_t *p = s_good("127.0.0.1, 10.0.0.0/8, ::1, fd00::/8, 192.168.1.128/25", 5);
    ok(gw_proxies_contains(p, "127.0.0.1"), "127.0.0.1 trusted");
    ok(!gw_proxies_contains(p, "127.0.0.2"), "127.0.0.2 not");
    ok(gw_proxies_contains(p, "10.255.1.2"), "10.255.1.2 in 10/8");
    ok(!gw_proxies_contains(p, "11.0.0.1"), "11.0.0.1 not");
    ok(gw_proxies_contains(p, "192.168.1.200"), "192.168.1.200 in .128/25");
    ok(!gw_proxies_contains(p, "192.168.1.127"), "192.168.1.127 not in .128/25");
    ok(gw_proxies_contains(p, "::ffff:10.1.2.3"), "mapped ::ffff:10.1.2.3 in 10/8");
    ok(gw_proxies_contains(p, "::1"), "::1 trusted");
    ok(gw_proxies_contains(p, "fd12:3456::1"), "fd12:3456::1 in fd00::/8");
    ok(!gw_proxies_contains(p, "fe80::1"), "fe80::1 not");
    ok(!gw_proxies_contains(p, "::ffff:7f00:2"), "::ffff:127.0.0.2 (hex form) not");
    ok(gw_proxies_contains(p, "::ffff:7f00:1"), "::ffff:127.0.0.1 (hex form) trusted");
    ok(!gw_proxies_contains(p, "garbage"), "garbage is not trusted");
    ok(!gw_proxies_contains(p, " 127.0.0.1"), "an address with a blank is not an address");
    ok(!gw_proxies_contains(p, NULL), "NULL ip is not trusted");
    ok(!gw_proxies_contains(NULL, "127.0.0.1"), "NULL list trusts nobody");
    gw_proxies_destroy(&p);

    p = s_good("0.0.0.0/0", 1);
    ok(gw_proxies_contains(p, "203.0.113.1"), "0.0.0.0/0 holds IPv4");
    ok(!gw_proxies_contains(p, "2001:db8::1"), "0.0.0.0/0 does not hold IPv6");
    gw_proxies_destroy(&p);
    p = s_good("::/0", 1);
    ok(gw_proxies_contains(p, "2001:db8::1") && gw_proxies_contains(p, "203.0.113.1"),
       "::/0 holds everything, IPv4 included (as mapped)");
    gw_proxies_destroy(&p);
    p = s_good("::ffff:10.0.0.0/104", 1);
    ok(gw_proxies_contains(p, "10.9.8.7"), "a mapped range holds plain IPv4");
    gw_proxies_destroy(&p);
}

/* gw_client_addr(p, peer, xff) must answer `want`. */
static void s_client(const gw_proxies_t *p, const char *peer, const char *xff, const char *want,
                     const char *name)
{
    char out[GW_ADDR_LEN];
    memset(out, 'z', sizeof(out));
    gw_client_addr(p, peer, xff, out, sizeof(out));
    is_str(out, want, name);
}

static void test_client(void)
{
    gw_proxies_t *p = s_good("127.0.0.1, 10.0.0.0/8, ::1, fd00::/8", 4);

    s_client(p, "203.0.113.50", "1.1.1.1", "203.0.113.50",
             "untrusted peer: a spoofed header is ignored");
    s_client(p, "203.0.113.50", "10.0.0.1, 1.1.1.1", "203.0.113.50",
             "untrusted peer: even a header of trusted addresses is ignored");
    s_client(NULL, "127.0.0.1", "1.1.1.1", "127.0.0.1", "no list: the peer");
    s_client(p, "127.0.0.1", NULL, "127.0.0.1", "trusted peer without a header: the peer");
    s_client(p, "127.0.0.1", "203.0.113.7", "203.0.113.7", "trusted peer, one hop");
    s_client(p, "127.0.0.1", "198.51.100.1, 203.0.113.7, 10.0.0.2, 10.0.0.3", "203.0.113.7",
             "chain: trusted hops skipped, the client's own claim to the left ignored");
    s_client(p, "10.1.1.1", "203.0.113.7,10.0.0.2,10.0.0.3", "203.0.113.7", "chain without blanks");
    s_client(p, "127.0.0.1", "10.0.0.5, 10.0.0.6, 127.0.0.1", "10.0.0.5",
             "all trusted: the leftmost");
    s_client(p, "127.0.0.1", "garbage", "127.0.0.1", "garbage alone: the peer");
    s_client(p, "127.0.0.1", "203.0.113.9, unknown, 10.0.0.2", "10.0.0.2",
             "garbage in the chain: the last good address");
    s_client(p, "127.0.0.1", "unknown, 203.0.113.9", "203.0.113.9",
             "garbage left of the client does not matter");
    s_client(p, "127.0.0.1", "203.0.113.9, _hidden, 10.0.0.2", "10.0.0.2",
             "RFC 7239 obfuscated ids are malformed");
    s_client(p, "127.0.0.1", "203.0.113.9, 10.0.0.2 10.0.0.3", "127.0.0.1",
             "two addresses in one item are malformed");
    s_client(p, "127.0.0.1", "203.0.113.9, example.com", "127.0.0.1", "host names are malformed");
    s_client(p, "127.0.0.1", "203.0.113.9, 10.0.0.2\x01", "127.0.0.1",
             "control bytes are malformed");
    s_client(p, "127.0.0.1", "203.0.113.9 ,\t10.0.0.2\t", "203.0.113.9",
             "blanks and tabs around items");
    s_client(p, "127.0.0.1", "203.0.113.9, , 10.0.0.2,", "203.0.113.9", "empty items skipped");

    s_client(p, "::1", "2001:db8::1", "2001:db8::1", "IPv6 peer and client");
    s_client(p, "::1", "2001:DB8:0:0:0:0:0:1", "2001:db8::1", "IPv6 normalised");
    s_client(p, "::1", "2001:db8::2, fd00::9", "2001:db8::2", "IPv6 trusted hop skipped");
    s_client(p, "::1", "[2001:db8::2]", "2001:db8::2", "bracketed IPv6");
    s_client(p, "::1", "[2001:db8::2]:443", "2001:db8::2", "bracketed IPv6 with a port");
    s_client(p, "::1", "203.0.113.5:8080", "203.0.113.5", "IPv4 with a port");
    s_client(p, "::1", "1.2.3.4, 10.0.0.1:65536", "::1", "a port past 65535 is malformed");
    s_client(p, "::1", "1.2.3.4, 10.0.0.1:", "::1", "an empty port is malformed");
    s_client(p, "::1", "1.2.3.4, [2001:db8::2", "::1", "an unclosed bracket is malformed");
    s_client(p, "::1", "1.2.3.4, [2001:db8::2]x", "::1", "junk after a bracket is malformed");
    s_client(p, "::1", "1.2.3.4, [10.0.0.1]", "::1", "IPv4 in brackets is malformed");
    s_client(p, "::1", "1.2.3.4, 2001:db8::2:80", "2001:db8::2:80",
             "an unbracketed IPv6 'port' is just part of the address");
    s_client(p, "::1", "1.2.3.4, fe80::1%eth0", "::1", "a zone id is malformed");

    s_client(p, "::ffff:127.0.0.1", "::ffff:203.0.113.8", "203.0.113.8",
             "mapped peer trusted by its IPv4 entry, mapped client printed as IPv4");
    s_client(p, "::ffff:198.51.100.3", "1.1.1.1", "198.51.100.3", "mapped untrusted peer as IPv4");
    s_client(p, "127.0.0.1", "203.0.113.8, ::ffff:10.0.0.7", "203.0.113.8",
             "a mapped trusted hop is skipped");
    s_client(p, "127.0.0.1", "::ffff:a00:7", "10.0.0.7", "hex-mapped, all trusted: as IPv4");

    s_client(p, "127.0.0.1", "", "127.0.0.1", "empty header: the peer");
    s_client(p, "127.0.0.1", "   ", "127.0.0.1", "blank header: the peer");
    s_client(p, "127.0.0.1", ", ,", "127.0.0.1", "only empty items: the peer");

    s_client(p, "unix:/run/gw.sock", "1.1.1.1", "unix:/run/gw.sock",
             "a peer that is not an address is copied as is");
    s_client(p, NULL, "1.1.1.1", "", "a NULL peer gives an empty answer");
    s_client(p, "127.000.0.1", "1.1.1.1", "127.000.0.1",
             "a non-canonical peer is not an address (not trusted)");
    gw_proxies_destroy(&p);
}

static void test_caps(void)
{
    gw_proxies_t *p = s_good("127.0.0.1, 10.0.0.0/8", 2);
    enum { ITEMS = 1000 };
    char *xff = cm_malloc(ITEMS * 16 + 32);
    size_t off = 0;
    off += (size_t)snprintf(xff + off, 32, "203.0.113.1");
    for (int i = 1; i < ITEMS; i++)
        off += (size_t)snprintf(xff + off, 32, ", 10.0.%d.%d", i / 250, i % 250 + 1);
    char want[32];
    snprintf(want, sizeof(want), "10.0.%d.%d", (ITEMS - 32) / 250, (ITEMS - 32) % 250 + 1);
    s_client(p, "127.0.0.1", xff, want,
             "1000 items of which 999 trusted: stops after 32, at the 32nd from the right");

    off = 0;
    for (int i = 0; i < ITEMS; i++) {
        const char *item = i < ITEMS - 5    ? "198.51.100.1"
                           : i == ITEMS - 5 ? "203.0.113.77"
                                            : "10.0.0.1";
        off += (size_t)snprintf(xff + off, 32, "%s%s", i ? ", " : "", item);
    }
    s_client(p, "127.0.0.1", xff, "203.0.113.77", "1000 items: the 5th from the right is found");

    /* Past GW_XFF_LEN_MAX bytes from the right, the cut item is a fragment: stop before it. */
    off = 0;
    for (int i = 0; i < 30; i++)
        off += (size_t)snprintf(xff + off, 32, "%s10.0.0.%d", i ? "," : "", i + 1);
    char *big = cm_malloc(GW_XFF_LEN_MAX + 64);
    size_t pad = GW_XFF_LEN_MAX - off;
    memset(big, ' ', pad);
    memcpy(big, "203.0.113.1,", 12);
    memcpy(big + pad, xff, off + 1);
    ok(strlen(big) == GW_XFF_LEN_MAX, "the header is exactly at the cap");
    s_client(p, "127.0.0.1", big, "203.0.113.1", "at the cap: the whole header is read");
    memmove(big + 1, big, GW_XFF_LEN_MAX + 1);
    big[0] = '9';
    s_client(p, "127.0.0.1", big, "10.0.0.1",
             "one byte past the cap: the cut item is a fragment, the last good one answers");
    big[0] = ',';
    s_client(p, "127.0.0.1", big, "203.0.113.1",
             "one byte past the cap, cut at a comma: the first item is whole");
    cm_free(big);
    cm_free(xff);

    char out[8];
    gw_client_addr(p, "127.0.0.1", "2001:db8::1234:5678", out, sizeof(out));
    is_str(out, "2001:db", "a short buffer gets a truncated, terminated answer");
    out[0] = 'q';
    gw_client_addr(p, "127.0.0.1", "1.2.3.4", out, 0);
    ok(out[0] == 'q', "outlen 0 writes nothing");
    gw_proxies_destroy(&p);
}

int main(void)
{
    test_parse();
    test_contains();
    test_client();
    test_caps();
    return done_testing();
}
