/* SPDX-License-Identifier: MIT
 * Tests of bt_limits: token buckets on a synthetic clock (2,000,000 B/s over 10 s within 1%,
 * wait_us exact to the microsecond, refund, the burst cap, unlimited); the blocklist (a
 * PeerGuardian-like sample, CIDR v4/v6, single addresses, overlapping and adjacent ranges
 * merged, matches at the edges of ranges, IPv4-mapped IPv6, leading-zero octets, comments,
 * CRLF and garbage counted as bad, the range cap, loading from a file and a URL); bt_fetch and
 * bt_load_text against an HTTP server forked on 127.0.0.1 (200, 404, too big with and without
 * Content-Length, redirects, a redirect to ftp, a redirect loop, a timeout) and files
 * (missing, too big, a directory). */
#include "cm.h"
#include "bt_limits.h"
#include "../../tap.h"

#include <math.h>
#include <sys/wait.h>

static char s_err[256];

/* --- token bucket --- */

static void test_bucket(void)
{
    struct bt_bucket b;
    const uint64_t rate = 2000000, burst = 65536, start = 5000000, span = 10000000;
    bt_bucket_init(&b, rate, burst);

    /* Greedy: every millisecond take 16 KiB blocks until refused. */
    uint64_t total = 0;
    for (uint64_t t = start; t <= start + span; t += 1000) {
        size_t g;
        while ((g = bt_bucket_take(&b, 16384, t)) > 0)
            total += g;
    }
    double want = (double)(rate * span / 1000000 + burst);
    diag("greedy: %" PRIu64 " bytes granted in 10 s (ideal %.0f)", total, want);
    ok(fabs((double)total - want) <= want * 0.01, "greedy takes: within 1% of 20 MB + burst");

    /* Sleep exactly wait_us before each 16 KiB take: every take is granted in full. */
    bt_bucket_init(&b, rate, burst);
    total = 0;
    int short_grants = 0, early_ok = 0, waits = 0;
    for (uint64_t t = start;;) {
        uint64_t w = bt_bucket_wait_us(&b, 16384, t);
        if (w > 0) {
            waits++;
            struct bt_bucket early = b; /* one microsecond earlier is not enough */
            if (bt_bucket_take(&early, 16384, t + w - 1) == 16384)
                early_ok++;
        }
        t += w;
        if (t > start + span)
            break;
        size_t g = bt_bucket_take(&b, 16384, t);
        short_grants += g != 16384;
        total += g;
    }
    diag("paced: %" PRIu64 " bytes in 10 s, %d waits", total, waits);
    ok(fabs((double)total - want) <= want * 0.01, "paced takes: within 1% of 20 MB + burst");
    is_int(short_grants, 0, "after wait_us the take is granted in full");
    ok(waits > 1000, "most takes had to wait");
    is_int(early_ok, 0, "wait_us is exact: one microsecond less is not enough");

    /* A slow rate with fractional tokens. */
    bt_bucket_init(&b, 3, 10);
    is_int(bt_bucket_take(&b, 10, 1000000), 10, "the burst is there at start");
    uint64_t w = bt_bucket_wait_us(&b, 1, 1000000);
    is_int(w, 333334, "1 byte at 3 B/s: 333,334 us");
    is_int(bt_bucket_take(&b, 1, 1000000 + w - 1), 0, "not a microsecond before");
    is_int(bt_bucket_take(&b, 1, 1000000 + w), 1, "granted at the microsecond");

    /* Refund, the burst cap, a want above the burst. */
    bt_bucket_init(&b, 1000, 5000);
    is_int(bt_bucket_take(&b, 3000, 10), 3000, "take 3000 of the burst");
    is_int(bt_bucket_take(&b, 3000, 10), 2000, "only 2000 left");
    bt_bucket_refund(&b, 1500);
    is_int(bt_bucket_take(&b, 3000, 10), 1500, "a refund is taken again");
    bt_bucket_refund(&b, 1000000);
    is_int(bt_bucket_take(&b, 1000000, 10), 5000, "refunds are capped at the burst");
    is_int(bt_bucket_take(&b, 1000000, 100000000), 5000, "idle time is capped at the burst");
    w = bt_bucket_wait_us(&b, 1000000, 100000000);
    is_int(w, 5000000, "a want above the burst waits for a full burst");
    is_int(bt_bucket_take(&b, 1, 99999999), 0, "a clock going backwards grants nothing");

    /* Absurd figures: no overflow, a finite answer. */
    bt_bucket_init(&b, 1, UINT64_MAX);
    bt_bucket_take(&b, SIZE_MAX, 1);
    w = bt_bucket_wait_us(&b, SIZE_MAX, 1);
    ok(w > 1000000000000ull, "1 B/s with a huge burst: a huge but finite wait");
    bt_bucket_init(&b, UINT64_MAX, 1);
    is_int(bt_bucket_take(&b, 1, UINT64_MAX), 1, "huge rate and clock");

    /* Unlimited; a burst of 0 is one second of the rate. */
    bt_bucket_init(&b, 0, 0);
    is_int(bt_bucket_take(&b, 123456789, 1), 123456789, "rate 0: unlimited");
    is_int(bt_bucket_wait_us(&b, 123456789, 1), 0, "rate 0: no wait");
    bt_bucket_init(&b, 4096, 0);
    is_int(bt_bucket_take(&b, 100000, 1), 4096, "burst 0 means one second of the rate");
}

/* --- blocklist --- */

static bool s_v4(const bt_blocklist_t *bl, const char *ip)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
        return false;
    return bt_blocklist_match(bl, (const struct sockaddr *)&sin);
}

static bool s_v6(const bt_blocklist_t *bl, const char *ip)
{
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, ip, &sin6.sin6_addr) != 1)
        return false;
    return bt_blocklist_match(bl, (const struct sockaddr *)&sin6);
}

/* A sample in the style of a PeerGuardian level1 list, with CIDR and single lines mixed in. */
static const char s_sample[] =
    "# List distributed under the terms of the sample licence\r\n"
    "#\r\n"
    "Bogon: Reserved, not routed:0.0.0.0-0.255.255.255\r\n"
    "Example Org, Inc.:192.0.2.0-192.0.2.255\r\n"
    "AS64496 Foo-Bar Networks: anti-p2p:198.51.100.0 - 198.51.100.127\r\n"
    "  IANA TEST-NET-3:203.0.113.10-203.0.113.20  \r\n"
    "Zero padded (eMule style):010.020.030.000-010.020.030.255\n"
    "\n"
    "10.99.0.0/16\n"
    "172.16.5.5\n"
    "2001:db8::/32\n"
    "2001:db8:ffff:ffff::1\n"
    "fe80::1-fe80::ff\n"
    "::ffff:100.64.0.0/106\n"
    "\t# an indented comment\n"
    "hello world\n"
    "Broken:1.2.3.4-1.2.3\n"
    "Backwards:1.2.3.5-1.2.3.4\n"
    "10.0.0.0/33\n"
    "2001:db8::/129\n"
    "1.2.3.256\n"
    "Only a description:1.2.3.4\n"
    "Too:1.2.3.4-1.2.3.5-1.2.3.6\n"
    "1.2.3.4/\n"
    "1.2.3.4/abc\n"
    ":\n"
    "-\n"
    "Last line without newline:192.0.2.250-192.0.3.10";

static void test_blocklist_sample(void)
{
    bt_blocklist_t *bl = bt_blocklist_new();
    size_t bad = 99;
    is_int(bt_blocklist_add_text(bl, s_sample, strlen(s_sample), &bad), 0, "sample added");
    is_int(bad, 12, "12 malformed lines counted");
    is_int(bt_blocklist_count(bl), 12, "12 ranges before merging");
    bt_blocklist_finish(bl);
    /* 192.0.2.0-192.0.2.255 and 192.0.2.250-192.0.3.10 merge; 2001:db8:ffff:ffff::1 lies in
     * 2001:db8::/32. */
    is_int(bt_blocklist_count(bl), 10, "10 ranges after merging");

    ok(s_v4(bl, "0.0.0.0") && s_v4(bl, "0.255.255.255"), "bogon edges");
    ok(!s_v4(bl, "1.0.0.0"), "one past the bogon range");
    ok(!s_v4(bl, "192.0.1.255"), "one before a range");
    ok(s_v4(bl, "192.0.2.0") && s_v4(bl, "192.0.2.128") && s_v4(bl, "192.0.3.10"),
       "a merged range, start, middle and end");
    ok(!s_v4(bl, "192.0.3.11"), "one past the merged range");
    ok(s_v4(bl, "198.51.100.0") && s_v4(bl, "198.51.100.127"), "spaces around '-' tolerated");
    ok(!s_v4(bl, "198.51.100.128"), "past it");
    ok(s_v4(bl, "203.0.113.10") && s_v4(bl, "203.0.113.20") && !s_v4(bl, "203.0.113.9") &&
           !s_v4(bl, "203.0.113.21"),
       "leading/trailing spaces trimmed, edges exact");
    ok(s_v4(bl, "10.20.30.0") && s_v4(bl, "10.20.30.255") && !s_v4(bl, "10.20.31.0"),
       "zero-padded octets");
    ok(s_v4(bl, "10.99.0.0") && s_v4(bl, "10.99.255.255") && !s_v4(bl, "10.98.255.255") &&
           !s_v4(bl, "10.100.0.0"),
       "CIDR v4 edges");
    ok(s_v4(bl, "172.16.5.5") && !s_v4(bl, "172.16.5.4") && !s_v4(bl, "172.16.5.6"),
       "a single address");
    ok(s_v6(bl, "2001:db8::") && s_v6(bl, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff") &&
           !s_v6(bl, "2001:db9::") && !s_v6(bl, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"),
       "CIDR v6 edges");
    ok(s_v6(bl, "fe80::1") && s_v6(bl, "fe80::ff") && !s_v6(bl, "fe80::") && !s_v6(bl, "fe80::100"),
       "a v6 range");
    ok(s_v6(bl, "::ffff:192.0.2.7") && s_v6(bl, "::ffff:0.0.0.1"),
       "IPv4-mapped IPv6 matched as IPv4");
    ok(!s_v6(bl, "::ffff:8.8.8.8") && !s_v6(bl, "::192.0.2.7"),
       "a mapped address outside; an IPv4-compatible one is not mapped");
    ok(s_v4(bl, "100.64.0.0") && s_v4(bl, "100.127.255.255") && !s_v4(bl, "100.128.0.0"),
       "a v6 CIDR of mapped addresses blocks the IPv4 range");
    ok(!s_v4(bl, "1.2.3.4") && !s_v4(bl, "1.2.3.5"), "malformed lines add nothing");
    ok(!s_v4(bl, "8.8.8.8") && !s_v6(bl, "2001:4860::8888"), "other addresses pass");
    struct sockaddr sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_family = AF_UNIX;
    ok(!bt_blocklist_match(bl, &sa), "another family never matches");
    ok(!bt_blocklist_match(bl, NULL), "NULL never matches");
    bt_blocklist_destroy(&bl);
    ok(bl == NULL, "destroy sets NULL");

    /* The text need not be NUL-terminated: an exact-size copy (ASan sees any over-read). */
    size_t len = strlen(s_sample);
    char *copy = cm_memdup(s_sample, len);
    bl = bt_blocklist_new();
    bt_blocklist_add_text(bl, copy, len, &bad);
    bt_blocklist_finish(bl);
    ok(bad == 12 && bt_blocklist_count(bl) == 10, "text without a NUL: same result");
    static const char *const tails[] = {"1.2.3.4", "10.0.0.0/8", "a:1.2.3.4-1.2.3.5", "::1"};
    for (size_t i = 0; i < CM_ARRAY_LEN(tails); i++) { /* the last line at the very end */
        char *t = cm_memdup(tails[i], strlen(tails[i]));
        bt_blocklist_add_text(bl, t, strlen(tails[i]), &bad);
        cm_free(t);
    }
    bt_blocklist_finish(bl);
    ok(s_v4(bl, "1.2.3.5") && s_v4(bl, "10.1.2.3") && s_v6(bl, "::1"),
       "lines ending at the end of an unterminated buffer");
    cm_free(copy);
    bt_blocklist_destroy(&bl);
    bt_blocklist_destroy(&bl);
}

static void test_blocklist_merge(void)
{
    static const char text[] = "a:10.0.0.0-10.0.0.10\n"
                               "b:10.0.0.5-10.0.0.20\n"  /* overlaps */
                               "c:10.0.0.21-10.0.0.30\n" /* adjacent */
                               "d:10.0.0.32-10.0.0.40\n" /* a gap at .31 */
                               "e:10.0.0.33-10.0.0.34\n" /* inside */
                               "255.255.255.0/24\n"      /* at the top of the space */
                               "255.255.255.255\n"
                               "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120\n"
                               "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n"
                               "2001:db8:0:0:ffff:ffff:ffff:ffff\n"
                               "2001:db8:0:1::-2001:db8:0:1::5\n"; /* adjacent across 64 bits */
    bt_blocklist_t *bl = bt_blocklist_new();
    size_t bad = 99;
    is_int(bt_blocklist_add_text(bl, text, strlen(text), &bad), 0, "added");
    is_int(bad, 0, "no bad line");
    /* Before finish, lookups scan linearly and agree. */
    ok(s_v4(bl, "10.0.0.25") && !s_v4(bl, "10.0.0.31"), "lookups before finish");
    bt_blocklist_finish(bl);
    is_int(bt_blocklist_count(bl), 5, "merged to 5 ranges");
    ok(s_v4(bl, "10.0.0.0") && s_v4(bl, "10.0.0.30") && !s_v4(bl, "10.0.0.31") &&
           s_v4(bl, "10.0.0.32") && s_v4(bl, "10.0.0.40") && !s_v4(bl, "10.0.0.41"),
       "merged edges");
    ok(s_v4(bl, "255.255.255.255") && s_v4(bl, "255.255.255.0") && !s_v4(bl, "255.255.254.255"),
       "the top of the IPv4 space");
    ok(s_v6(bl, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") &&
           !s_v6(bl, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:feff"),
       "the top of the IPv6 space");
    ok(s_v6(bl, "2001:db8:0:0:ffff:ffff:ffff:ffff") && s_v6(bl, "2001:db8:0:1::3") &&
           !s_v6(bl, "2001:db8:0:1::6"),
       "v6 ranges adjacent across the 64-bit halves merge");
    /* Adding after finish: finish again. */
    static const char more[] = "10.0.0.31\n";
    is_int(bt_blocklist_add_text(bl, more, strlen(more), NULL), 0, "more added, bad NULL");
    bt_blocklist_finish(bl);
    is_int(bt_blocklist_count(bl), 4, "the gap filled: 4 ranges");
    ok(s_v4(bl, "10.0.0.31"), "the filled gap matches");
    bt_blocklist_destroy(&bl);

    /* Everything. */
    bl = bt_blocklist_new();
    static const char all[] = "0.0.0.0/0\n::/0\n";
    bt_blocklist_add_text(bl, all, strlen(all), NULL);
    bt_blocklist_finish(bl);
    ok(s_v4(bl, "0.0.0.0") && s_v4(bl, "255.255.255.255") && s_v6(bl, "::") &&
           s_v6(bl, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
       "/0 blocks everything");
    bt_blocklist_destroy(&bl);

    /* Embedded NUL bytes make a line bad, not a shorter address. */
    bl = bt_blocklist_new();
    static const char nul[] = "1.2.3.4\0garbage\nx:5.6.7.8\0-5.6.7.9\n9.9.9.9\n";
    bt_blocklist_add_text(bl, nul, sizeof(nul) - 1, &bad);
    is_int(bad, 2, "NUL bytes in lines are malformed");
    bt_blocklist_finish(bl);
    ok(!s_v4(bl, "1.2.3.4") && s_v4(bl, "9.9.9.9"), "only the clean line counts");
    bt_blocklist_destroy(&bl);
}

/* Decimal digits of v (0..255) at p; returns the end. */
static char *s_octet(char *p, unsigned v)
{
    if (v >= 100)
        *p++ = (char)('0' + v / 100);
    if (v >= 10)
        *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

static void test_blocklist_cap(void)
{
    /* BT_BLOCKLIST_MAX + 1 distinct single addresses "a.b.c.1" (written by hand: snprintf
     * would dominate the test's time). */
    size_t n = (size_t)BT_BLOCKLIST_MAX + 1;
    char *text = cm_malloc(n * 16);
    char *p = text;
    for (size_t i = 0; i < n; i++) {
        p = s_octet(p, (unsigned)(10 + (i >> 16)));
        *p++ = '.';
        p = s_octet(p, (unsigned)((i >> 8) & 255));
        *p++ = '.';
        p = s_octet(p, (unsigned)(i & 255));
        memcpy(p, ".1\n", 3);
        p += 3;
    }
    bt_blocklist_t *bl = bt_blocklist_new();
    size_t bad = 99;
    is_int(bt_blocklist_add_text(bl, text, (size_t)(p - text), &bad), -1,
           "the cap on ranges is reported");
    is_int(bt_blocklist_count(bl), BT_BLOCKLIST_MAX, "exactly BT_BLOCKLIST_MAX ranges kept");
    is_int(bad, 0, "no bad line");
    bt_blocklist_finish(bl);
    ok(s_v4(bl, "10.0.0.1") && !s_v4(bl, "10.0.0.2") && s_v4(bl, "71.8.255.1"),
       "the list still works");
    ok(!s_v4(bl, "71.9.0.1"), "the line past the cap was not added");
    bt_blocklist_destroy(&bl);
    cm_free(text);
}

static char s_tmp[64];

static void s_write_file(const char *text, size_t len)
{
    snprintf(s_tmp, sizeof(s_tmp), "/tmp/bt_limits_test.XXXXXX");
    int fd = mkstemp(s_tmp);
    if (fd >= 0) {
        ssize_t w = write(fd, text, len);
        CM_UNUSED(w);
        close(fd);
    }
}

static void test_files(void)
{
    s_write_file(s_sample, strlen(s_sample));
    cm_buf_t *out = cm_buf_new(1 << 20);
    is_int(bt_load_text(s_tmp, 1 << 20, out, s_err, sizeof(s_err)), 0, "a file is read");
    is_int(cm_buf_len(out), strlen(s_sample), "its whole content");
    ok(memcmp(cm_buf_data(out), s_sample, strlen(s_sample)) == 0, "byte for byte");
    is_int(bt_load_text(s_tmp, 100, out, s_err, sizeof(s_err)), -1, "a file over the cap");
    ok(strstr(s_err, "larger than 100 bytes") != NULL, "the error says too big");
    is_int(cm_buf_len(out), strlen(s_sample), "out unchanged by the failure");

    bt_blocklist_t *bl = bt_blocklist_new();
    is_int(bt_blocklist_load(bl, s_tmp, s_err, sizeof(s_err)), 0, "blocklist loaded from a file");
    bt_blocklist_finish(bl);
    is_int(bt_blocklist_count(bl), 10, "the sample's ranges");
    ok(s_v4(bl, "192.0.2.1"), "and they match");
    unlink(s_tmp);

    is_int(bt_blocklist_load(bl, "/nonexistent/list.p2p", s_err, sizeof(s_err)), -1,
           "a missing file");
    ok(strstr(s_err, "/nonexistent/list.p2p") && strstr(s_err, "No such file"),
       "the error names the path and the cause");
    is_int(bt_load_text("/tmp", 100, out, s_err, sizeof(s_err)), -1, "a directory is refused");
    ok(strstr(s_err, "not a regular file") != NULL, "the error says so");
    is_int(bt_load_text("", 100, out, s_err, sizeof(s_err)), -1, "an empty name is refused");

    static const uint8_t gz[] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0};
    s_write_file((const char *)gz, sizeof(gz));
    is_int(bt_blocklist_load(bl, s_tmp, s_err, sizeof(s_err)), -1, "a gzip file is refused");
    ok(strstr(s_err, "gzip") != NULL, "with a clear error");
    unlink(s_tmp);
    bt_blocklist_destroy(&bl);

    cm_buf_t *small = cm_buf_new(10);
    s_write_file("0123456789abcdef", 16);
    is_int(bt_load_text(s_tmp, 100, small, s_err, sizeof(s_err)), -1,
           "a file that does not fit the output buffer");
    unlink(s_tmp);
    cm_buf_destroy(&small);
    cm_buf_destroy(&out);
}

/* --- HTTP --- */

static const char s_list_body[] = "# served\nServed Org:5.6.7.0-5.6.7.255\n8.8.4.4\n";

static void s_send(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static void s_reply(int fd, const char *status, const char *extra, const char *body, size_t len,
                    bool with_length)
{
    char head[512];
    int n;
    if (with_length)
        n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
                     extra, len);
    else
        n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\n%sConnection: close\r\n\r\n", status,
                     extra);
    s_send(fd, head, (size_t)n);
    s_send(fd, body, len);
}

/* The child: answer requests one connection at a time until killed. */
static void s_serve(int lfd, int port)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(30); /* never outlive a broken test */
    static char big[100000];
    memset(big, '#', sizeof(big));
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            continue;
        char req[4096];
        size_t got = 0;
        while (got < sizeof(req) - 1) {
            ssize_t n = read(c, req + got, sizeof(req) - 1 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
            req[got] = '\0';
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        req[got] = '\0';
        char path[256] = "";
        sscanf(req, "GET %255s", path);
        char loc[256];
        if (strcmp(path, "/list") == 0) {
            s_reply(c, "200 OK", "", s_list_body, strlen(s_list_body), true);
        } else if (strcmp(path, "/big") == 0) {
            s_reply(c, "200 OK", "", big, 100000, true);
        } else if (strcmp(path, "/big-nolen") == 0) {
            s_reply(c, "200 OK", "", big, 100000, false);
        } else if (strcmp(path, "/redirect") == 0) {
            snprintf(loc, sizeof(loc), "Location: http://127.0.0.1:%d/list\r\n", port);
            s_reply(c, "302 Found", loc, "", 0, true);
        } else if (strcmp(path, "/redirect-ftp") == 0) {
            s_reply(c, "302 Found", "Location: ftp://127.0.0.1/list\r\n", "", 0, true);
        } else if (strcmp(path, "/loop") == 0) {
            s_reply(c, "302 Found", "Location: /loop\r\n", "", 0, true);
        } else if (strcmp(path, "/slow") == 0) {
            sleep(3);
        } else {
            s_reply(c, "404 Not Found", "", "not here\n", 9, true);
        }
        close(c);
    }
}

static pid_t s_server(int *port_out)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sin);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(lfd, 16) < 0 ||
        getsockname(lfd, (struct sockaddr *)&sin, &sl) < 0)
        return -1;
    *port_out = ntohs(sin.sin_port);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        s_serve(lfd, *port_out);
        _exit(0);
    }
    close(lfd);
    return pid;
}

static void test_fetch(void)
{
    int port = 0;
    pid_t pid = s_server(&port);
    ok(pid > 0, "test HTTP server started");
    if (pid <= 0)
        return;
    char url[128];
    cm_buf_t *out = cm_buf_new(1 << 20);

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/list", port);
    if (cm_buf_append(out, "X", 1) < 0)
        ok(0, "append");
    is_int(bt_fetch(url, 4096, 5000, out, s_err, sizeof(s_err)), 0, "200: fetched");
    ok(cm_buf_len(out) == 1 + strlen(s_list_body) &&
           memcmp(cm_buf_data(out) + 1, s_list_body, strlen(s_list_body)) == 0,
       "the body is appended");

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/missing", port);
    is_int(bt_fetch(url, 4096, 5000, out, s_err, sizeof(s_err)), -1, "404: an error");
    ok(strstr(s_err, "404") != NULL, "the error names the status");
    is_int(cm_buf_len(out), 1 + strlen(s_list_body), "out unchanged by an error");

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", port);
    is_int(bt_fetch(url, 1000, 5000, out, s_err, sizeof(s_err)), -1,
           "over the cap (Content-Length)");
    ok(strstr(s_err, "larger than 1000 bytes") != NULL, "the error says too big");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/big-nolen", port);
    is_int(bt_fetch(url, 1000, 5000, out, s_err, sizeof(s_err)), -1,
           "over the cap (no Content-Length): the write callback stops it");
    ok(strstr(s_err, "larger than 1000 bytes") != NULL, "the error says too big");
    is_int(bt_fetch(url, 100000, 5000, out, s_err, sizeof(s_err)), 0, "exactly at the cap");
    is_int(cm_buf_len(out), 1 + strlen(s_list_body) + 100000, "the whole body appended");
    cm_buf_reset(out);

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/redirect", port);
    is_int(bt_fetch(url, 4096, 5000, out, s_err, sizeof(s_err)), 0, "a redirect is followed");
    is_int(cm_buf_len(out), strlen(s_list_body), "to the list");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/redirect-ftp", port);
    is_int(bt_fetch(url, 4096, 5000, out, s_err, sizeof(s_err)), -1, "no redirect to ftp");
    diag("redirect to ftp: %s", s_err);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/loop", port);
    is_int(bt_fetch(url, 4096, 5000, out, s_err, sizeof(s_err)), -1, "a redirect loop stops");
    ok(strstr(s_err, "redirects") != NULL, "after 3 redirects");

    is_int(bt_fetch("ftp://127.0.0.1/x", 4096, 5000, out, s_err, sizeof(s_err)), -1, "ftp refused");
    is_int(bt_fetch("file:///etc/hostname", 4096, 5000, out, s_err, sizeof(s_err)), -1,
           "file:// refused");
    ok(strstr(s_err, "http") != NULL, "the error says http only");
    is_int(cm_buf_len(out), strlen(s_list_body), "out unchanged by refusals");

    bt_blocklist_t *bl = bt_blocklist_new();
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/list", port);
    is_int(bt_blocklist_load(bl, url, s_err, sizeof(s_err)), 0, "a blocklist from a URL");
    bt_blocklist_finish(bl);
    ok(s_v4(bl, "5.6.7.8") && s_v4(bl, "8.8.4.4") && !s_v4(bl, "8.8.8.8"), "it matches");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/missing", port);
    is_int(bt_blocklist_load(bl, url, s_err, sizeof(s_err)), -1, "a missing URL");
    ok(strstr(s_err, "404") != NULL, "names the status");
    bt_blocklist_destroy(&bl);

    /* bt_load_text on a URL goes through bt_fetch. */
    cm_buf_reset(out);
    snprintf(url, sizeof(url), "HTTP://127.0.0.1:%d/list", port);
    is_int(bt_load_text(url, 4096, out, s_err, sizeof(s_err)), 0, "bt_load_text on a URL");
    is_int(cm_buf_len(out), strlen(s_list_body), "the body");

    /* Last: the server holds the connection and says nothing. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow", port);
    uint64_t t0 = cm_mono_ms();
    is_int(bt_fetch(url, 4096, 300, out, s_err, sizeof(s_err)), -1, "a silent server times out");
    uint64_t dt = cm_mono_ms() - t0;
    ok(dt >= 250 && dt < 2500, "after about the timeout");
    ok(strstr(s_err, "300 ms") != NULL, "the error says timeout");

    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);

    /* Nobody listening any more. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/list", port);
    is_int(bt_fetch(url, 4096, 2000, out, s_err, sizeof(s_err)), -1, "connection refused");
    diag("refused: %s", s_err);
    cm_buf_destroy(&out);
}

int main(void)
{
    cm_log_set_level(CM_LOG_ERROR); /* the loader's notes are not test output */
    test_bucket();
    test_blocklist_sample();
    test_blocklist_merge();
    test_blocklist_cap();
    test_files();
    test_fetch();
    return done_testing();
}
