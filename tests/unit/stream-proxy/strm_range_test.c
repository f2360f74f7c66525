/* SPDX-License-Identifier: MIT
 * Tests of strm_range: exact plans for the range cases of Go's net/http (ServeFileRangeTests
 * and the ServeContent/parseRange tables, 11- and 10-byte files) and of nginx-tests range.t
 * (1000-byte file), each noting where our policy (strm_range.h) answers differently; edge
 * values (leading zeros, uint64 overflow, MS15-034, whitespace, unit case, other units,
 * repeated "bytes=", size 0 and 1, size UINT64_MAX); the abuse policy (coalescing, the spec
 * cap, the disjoint-range cap, a 16 KiB header timed); If-Range with strong, weak, other and
 * malformed tags and the three HTTP-date forms; Content-Range strings and truncation;
 * multipart heads, tail, a whole body for a known plan, and the length computed against the
 * real strings; Content-Type and is_video; the ETag format, stability and sensitivity. */
#include "cm.h"
#include "strm_range.h"
#include "../../tap.h"

#define N STRM_RANGE_NONE
#define O STRM_RANGE_ONE
#define M STRM_RANGE_MULTI
#define U STRM_RANGE_UNSATISFIABLE

struct rcase {
    const char *hdr;  /* the Range value (NULL: absent) */
    uint64_t size;    /* resource size */
    int kind;         /* expected kind */
    const char *want; /* expected ranges "a-b,c-d" (inclusive), NULL when none */
};

/* The plan as "a-b,c-d" into buf. */
static const char *s_fmt(const struct strm_range_plan *p, char *buf, size_t size)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->n && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, "%s%" PRIu64 "-%" PRIu64, i ? "," : "",
                                p->r[i].first, p->r[i].last);
    return buf;
}

/* The header quoted, control characters as \xNN (TAP names are one line), cut to fit. */
static void s_escape(const char *h, char *out, size_t size)
{
    size_t o = 0;
    if (h == NULL) {
        snprintf(out, size, "(null)");
        return;
    }
    out[o++] = '\'';
    for (; *h && o + 8 < size; h++) {
        unsigned char c = (unsigned char)*h;
        if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o++] = '\'';
    out[o] = '\0';
}

static void s_check(const char *group, const struct rcase *c)
{
    struct strm_range_plan p;
    char name[256], got[1024];
    int kind = strm_range_parse(c->hdr, c->size, &p);
    char shown[160];
    s_escape(c->hdr, shown, sizeof(shown));
    snprintf(name, sizeof(name), "%s: %s size %" PRIu64, group, shown, c->size);
    s_fmt(&p, got, sizeof(got));
    bool good = kind == c->kind && p.kind == c->kind && strcmp(got, c->want ? c->want : "") == 0;
    if (!ok(good, name))
        diag("got kind %d ranges '%s', want kind %d ranges '%s'", p.kind, got, c->kind,
             c->want ? c->want : "");
}

static void s_table(const char *group, const struct rcase *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_check(group, &c[i]);
}

/* Go src/net/http/fs_test.go ServeFileRangeTests and the ServeContent range rows, on its
 * 11-byte testdata/file. Go's [start,end) become our inclusive ranges. */
static void test_go_servefile(void)
{
    static const struct rcase c[] = {
        {"", 11, N, NULL},
        {NULL, 11, N, NULL},
        {"bytes=0-4", 11, O, "0-4"},
        {"bytes=2-", 11, O, "2-10"},
        {"bytes=-5", 11, O, "6-10"},
        {"bytes=3-7", 11, O, "3-7"},
        {"bytes=20-", 11, U, NULL},
        {"bytes=0-0,-2", 11, M, "0-0,9-10"},
        {"bytes=0-1,5-8", 11, M, "0-1,5-8"},
        {"bytes=0-1,5-", 11, M, "0-1,5-10"},
        {"bytes=5-1000", 11, O, "5-10"},
        /* Go: 200 ("ignore wasteful range request"); ours: coalesced to one range. */
        {"bytes=0-,1-,2-,3-,4-", 11, O, "0-10"},
        {"bytes=0-9", 11, O, "0-9"},
        {"bytes=0-10", 11, O, "0-10"},
        {"bytes=0-11", 11, O, "0-10"},
        {"bytes=10-11", 11, O, "10-10"},
        {"bytes=10-", 11, O, "10-10"},
        {"bytes=11-", 11, U, NULL},
        {"bytes=11-12", 11, U, NULL},
        {"bytes=12-12", 11, U, NULL},
        {"bytes=11-100", 11, U, NULL},
        {"bytes=12-100", 11, U, NULL},
        {"bytes=100-", 11, U, NULL},
        {"bytes=12-101", 11, U, NULL},
        {"bytes=12-", 11, U, NULL},
    };
    s_table("go servefile", c, CM_ARRAY_LEN(c));
}

/* Go src/net/http/range_test.go ParseRangeTests. Go returns an error (416) for the invalid
 * ones; we ignore them (NONE, 200). */
static void test_go_parserange(void)
{
    static const struct rcase c[] = {
        {"", 0, N, NULL},
        {"", 1000, N, NULL},
        {"foo", 0, N, NULL},
        {"bytes=", 0, N, NULL},
        {"bytes=7", 10, N, NULL},
        {"bytes= 7 ", 10, N, NULL},
        /* Go: errNoOverlap, then 200 because the file is empty; ours: 416 (RFC 9110). */
        {"bytes=1-", 0, U, NULL},
        {"bytes=5-4", 10, N, NULL},
        {"bytes=0-2,5-4", 10, N, NULL},
        {"bytes=2-5,4-3", 10, N, NULL},
        {"bytes=--5,4--3", 10, N, NULL},
        {"bytes=A-", 10, N, NULL},
        {"bytes=A- ", 10, N, NULL},
        {"bytes=A-Z", 10, N, NULL},
        {"bytes= -Z", 10, N, NULL},
        {"bytes=5-Z", 10, N, NULL},
        {"bytes=Ran-dom, garbage", 10, N, NULL},
        {"bytes=0x01-0x02", 10, N, NULL},
        {"bytes=         ", 10, N, NULL},
        {"bytes= , , ,   ", 10, N, NULL},
        {"bytes=0-9", 10, O, "0-9"},
        {"Bytes=0-9", 10, O, "0-9"},
        {"BYTES=0-9", 10, O, "0-9"},
        {"bYtEs=0-9", 10, O, "0-9"},
        {"bytes=0-", 10, O, "0-9"},
        {"bytes=5-", 10, O, "5-9"},
        {"bytes=0-20", 10, O, "0-9"},
        {"bytes=15-,0-5", 10, O, "0-5"},
        {"bytes=1-2,5-", 10, M, "1-2,5-9"},
        /* Go: two overlapping parts 9-10 and 7-10; ours: merged. */
        {"bytes=-2 , 7-", 11, O, "7-10"},
        {"bytes=0-0 ,2-2, 7-", 11, M, "0-0,2-2,7-10"},
        {"bytes=-5", 10, O, "5-9"},
        {"bytes=-15", 10, O, "0-9"},
        {"bytes=0-499", 10000, O, "0-499"},
        {"bytes=500-999", 10000, O, "500-999"},
        {"bytes=-500", 10000, O, "9500-9999"},
        {"bytes=9500-", 10000, O, "9500-9999"},
        {"bytes=0-0,-1", 10000, M, "0-0,9999-9999"},
        /* Go: two parts each; ours: adjacent or overlapping, merged. */
        {"bytes=500-600,601-999", 10000, O, "500-999"},
        {"bytes=500-700,601-999", 10000, O, "500-999"},
        {"bytes=   1 -2   ,  4- 5, 7 - 8 , ,,", 11, M, "1-2,4-5,7-8"},
    };
    s_table("go parserange", c, CM_ARRAY_LEN(c));
}

/* nginx-tests range.t on its 1000-byte t1.html. nginx answers 416 to syntax errors (we: 200),
 * serves parts in request order (we: ascending, adjacent ones merged) and answers 200 when the
 * parts add up to more than the file (we: merge them). */
static void test_nginx(void)
{
    static const struct rcase c[] = {
        {"bytes=0-8", 1000, O, "0-8"},
        {"bytes=-10", 1000, O, "990-999"},
        {"bytes=990-", 1000, O, "990-999"},
        {"bytes=990-1990", 1000, O, "990-999"},
        {"bytes=0-9, -10, 10-19", 1000, M, "0-19,990-999"},
        {"bytes=0-9, -10, 100000-, 10-19", 1000, M, "0-19,990-999"},
        {"bytes=100000-", 1000, U, NULL},
        {"bytes=alpha", 1000, N, NULL},
        {"bytes=10-alpha", 1000, N, NULL},
        {"bytes=10", 1000, N, NULL},
        {"bytes=10-11 12-", 1000, N, NULL},
        {"bytes=0-10001", 1000, O, "0-999"},
        {"bytes=0-10001, 0-0", 1000, O, "0-999"},
        {"bytes=0-9, -10", 1000, M, "0-9,990-999"},
        {"bytes=0-9, -10, 10000-", 1000, M, "0-9,990-999"},
        {"bytes=0-9, -10, 20-29", 1000, M, "0-9,20-29,990-999"},
    };
    s_table("nginx range.t", c, CM_ARRAY_LEN(c));
}

/* Edge values (security-and-reliability.md R-02) and the grammar's corners. */
static void test_edges(void)
{
    static const struct rcase c[] = {
        {"bytes=0-", 1000, O, "0-999"},
        {"bytes=-1", 1000, O, "999-999"},
        {"bytes=0-0", 1000, O, "0-0"},
        {"bytes=5-3", 1000, N, NULL},
        {"bytes=5-4", 1000, N, NULL},
        {"bytes=5-5", 1000, O, "5-5"},
        {"bytes=-0", 1000, U, NULL},
        {"bytes=-0,-0", 1000, U, NULL},
        {"bytes=-0,0-1", 1000, O, "0-1"},
        {"bytes= 0-1", 1000, O, "0-1"},
        {"bytes=\t0-1\t", 1000, O, "0-1"},
        {" \tbytes=0-1 ", 1000, O, "0-1"},
        {"bytes=0-1, 3-4", 1000, M, "0-1,3-4"},
        {"bytes=0-1,,,,5-6,", 1000, M, "0-1,5-6"},
        {"bytes=,0-1", 1000, O, "0-1"},
        {"bytes=0-1,2-3", 1000, O, "0-3"},
        {"bytes=500-599,0-99", 1000, M, "0-99,500-599"},
        {"bytes=- 5", 1000, O, "995-999"},
        {"bytes=000-0001", 1000, O, "0-1"},
        {"bytes=-0001", 1000, O, "999-999"},
        {"bytes=00000000000000000000000000000010-00000000000000000000000000000020", 1000, O,
         "10-20"},
        /* uint64 overflow: invalid, whole header ignored */
        {"bytes=18446744073709551616-", 1000, N, NULL},
        {"bytes=0-18446744073709551616", 1000, N, NULL},
        {"bytes=-18446744073709551616", 1000, N, NULL},
        {"bytes=99999999999999999999999-", 1000, N, NULL},
        {"bytes=-99999999999999999999", 1000, N, NULL},
        {"bytes=0-1,18446744073709551616-", 1000, N, NULL},
        /* MS15-034 (HTTP.sys): the largest value is legal and clamps */
        {"bytes=0-18446744073709551615", 1000, O, "0-999"},
        {"bytes=18446744073709551615-", 1000, U, NULL},
        {"bytes=-18446744073709551615", 1000, O, "0-999"},
        {"bytes=18446744073709551615-18446744073709551615", 1000, U, NULL},
        /* nginx CVE-2017-7529 shape: a suffix larger than the file, then an overlapping spec */
        {"bytes=-1000000000000000000,0-1", 1000, O, "0-999"},
        /* syntax */
        {"bytes=", 1000, N, NULL},
        {"bytes=-", 1000, N, NULL},
        {"bytes=1", 1000, N, NULL},
        {"bytes=1-2-3", 1000, N, NULL},
        {"bytes=0--1", 1000, N, NULL},
        {"bytes=+0-1", 1000, N, NULL},
        {"bytes=0-+1", 1000, N, NULL},
        {"bytes=1 2-3", 1000, N, NULL},
        {"bytes=0-1;", 1000, N, NULL},
        {"bytes=0-1\r\n", 1000, N, NULL},
        {"bytes=0-1 x", 1000, N, NULL},
        {"bytes=0-1,x", 1000, N, NULL},
        {"items=0-1", 1000, N, NULL},
        {"BYTES=0-1", 1000, O, "0-1"},
        {"bytes = 0-1", 1000, N, NULL},
        {"bytes =0-1", 1000, N, NULL},
        {"bytes", 1000, N, NULL},
        {"byte=0-1", 1000, N, NULL},
        {"bytesx=0-1", 1000, N, NULL},
        {"=0-1", 1000, N, NULL},
        {"0-1", 1000, N, NULL},
        {"bytes=bytes=0-1", 1000, N, NULL},
        {"bytes=0-1,bytes=2-3", 1000, N, NULL},
        {"bytes=0-1, bytes=2-3", 1000, N, NULL},
        {"bytes=0-1 bytes=2-3", 1000, N, NULL},
        {"bytes==0-1", 1000, N, NULL},
        /* size 0: every range is unsatisfiable (RFC 9110 §14.1.1); no range is still 200 */
        {"bytes=0-", 0, U, NULL},
        {"bytes=0-0", 0, U, NULL},
        {"bytes=-1", 0, U, NULL},
        {"bytes=-0", 0, U, NULL},
        {"bytes=0-,-5", 0, U, NULL},
        {"bytes=x", 0, N, NULL},
        {NULL, 0, N, NULL},
        /* size 1 */
        {"bytes=0-0", 1, O, "0-0"},
        {"bytes=-1", 1, O, "0-0"},
        {"bytes=-2", 1, O, "0-0"},
        {"bytes=0-", 1, O, "0-0"},
        {"bytes=1-", 1, U, NULL},
        /* the largest size: last byte is UINT64_MAX - 1 */
        {"bytes=0-", UINT64_MAX, O, "0-18446744073709551614"},
        {"bytes=-18446744073709551615", UINT64_MAX, O, "0-18446744073709551614"},
        {"bytes=-1", UINT64_MAX, O, "18446744073709551614-18446744073709551614"},
        {"bytes=18446744073709551614-", UINT64_MAX, O, "18446744073709551614-18446744073709551614"},
        {"bytes=18446744073709551615-", UINT64_MAX, U, NULL},
        {"bytes=0-0,-1", UINT64_MAX, M, "0-0,18446744073709551614-18446744073709551614"},
    };
    s_table("edge", c, CM_ARRAY_LEN(c));
}

/* "bytes=" + `count` copies of `spec(i)` joined by ','. */
static char *s_repeat(size_t count, const char *fmt, uint64_t step)
{
    size_t cap = 32 + count * 48;
    char *s = cm_malloc(cap);
    size_t off = (size_t)snprintf(s, cap, "bytes=");
    for (size_t i = 0; i < count; i++)
        off += (size_t)snprintf(s + off, cap - off, fmt, i ? "," : "", (uint64_t)i * step,
                                (uint64_t)i * step);
    return s;
}

/* The abuse policy: coalescing, the spec cap, the disjoint-range cap. */
static void test_abuse(void)
{
    struct strm_range_plan p;
    char *h;

    /* 64 copies of "0-0": under the spec cap, merged into one. */
    h = s_repeat(STRM_RANGE_SPECS_MAX, "%s%" PRIu64 "-%" PRIu64, 0);
    ok(strm_range_parse(h, 1000, &p) == O && p.n == 1 && p.r[0].first == 0 && p.r[0].last == 0,
       "64 x 0-0: one range");
    cm_free(h);
    h = s_repeat(STRM_RANGE_SPECS_MAX + 1, "%s%" PRIu64 "-%" PRIu64, 0);
    ok(strm_range_parse(h, 1000, &p) == N && p.n == 0, "65 x 0-0: over the spec cap, 200");
    cm_free(h);

    /* Apache Killer (CVE-2011-3192): "0-,5-0,5-1,..." has last < first: invalid, 200. */
    ok(strm_range_parse("bytes=0-,5-0,5-1,5-2,5-3,5-4,5-5,5-6", 1000, &p) == N,
       "apache killer: 200");
    /* its valid twin, many overlapping "5-k": merged into one 0-999 */
    ok(strm_range_parse("bytes=0-,5-6,5-7,5-8,5-9,5-10,5-11,5-12,5-13", 1000, &p) == O &&
           p.r[0].first == 0 && p.r[0].last == 999,
       "overlapping 5-k: one range");

    /* 16 disjoint ranges: MULTI; 17: 200. */
    h = s_repeat(STRM_RANGES_MAX, "%s%" PRIu64 "-%" PRIu64, 2);
    ok(strm_range_parse(h, 1000, &p) == M && p.n == STRM_RANGES_MAX &&
           p.r[STRM_RANGES_MAX - 1].first == 2 * (STRM_RANGES_MAX - 1),
       "16 disjoint ranges: multipart");
    cm_free(h);
    h = s_repeat(STRM_RANGES_MAX + 1, "%s%" PRIu64 "-%" PRIu64, 2);
    ok(strm_range_parse(h, 1000, &p) == N && p.n == 0, "17 disjoint ranges: 200");
    cm_free(h);

    /* 40 disjoint ranges bridged by a last "0-999": coalesced to one, served 206. */
    char buf[1024];
    h = s_repeat(40, "%s%" PRIu64 "-%" PRIu64, 2);
    snprintf(buf, sizeof(buf), "%s,0-999", h);
    cm_free(h);
    ok(strm_range_parse(buf, 1000, &p) == O && p.r[0].first == 0 && p.r[0].last == 999,
       "40 disjoint + a bridge: one range");
    /* 17 disjoint ranges, some of them unsatisfiable: only satisfiable ones count. */
    h = s_repeat(20, "%s%" PRIu64 "-%" PRIu64, 100);
    ok(strm_range_parse(h, 1000, &p) == M && p.n == 10, "20 ranges, 10 past the end: 10 parts");
    cm_free(h);

    /* A 16 KiB header (the HTTP layer's cap) of "0-0," and of ",": bounded time, no allocation */
    size_t big = CM_HTTP_HEADERS_MAX;
    char *s = cm_malloc(big + 1);
    memcpy(s, "bytes=", 6);
    for (size_t i = 6; i < big; i++)
        s[i] = "0-0,"[(i - 6) % 4];
    s[big] = '\0';
    uint64_t t0 = cm_mono_us();
    int k1 = strm_range_parse(s, 1000, &p);
    for (size_t i = 6; i < big; i++)
        s[i] = ',';
    int k2 = strm_range_parse(s, 1000, &p);
    for (size_t i = 6; i < big; i++)
        s[i] = ' ';
    int k3 = strm_range_parse(s, 1000, &p);
    uint64_t dt = cm_mono_us() - t0;
    ok(k1 == N && k2 == N && k3 == N, "16 KiB headers of 0-0, commas, spaces: 200");
    diag("three 16 KiB Range headers parsed in %" PRIu64 " us", dt);
    ok(dt < 50000, "16 KiB headers parse well under the 5 ms budget each (50 ms for 3, slack)");
    cm_free(s);
}

static void test_status(void)
{
    is_int(strm_range_status(N), 200, "status NONE");
    is_int(strm_range_status(O), 206, "status ONE");
    is_int(strm_range_status(M), 206, "status MULTI");
    is_int(strm_range_status(U), 416, "status UNSATISFIABLE");
    struct strm_range r = {3, 7};
    is_int(strm_range_length(&r), 5, "length of 3-7");
}

/* If-Range. */
static void test_if_range(void)
{
    const char *tag = "\"0123456789abcdef\"";
    const int64_t lm = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    ok(strm_range_if_range(NULL, tag, lm), "absent: honour Range");
    ok(strm_range_if_range(NULL, NULL, 0), "absent, no validators: honour Range");
    ok(strm_range_if_range(tag, tag, lm), "strong tag equal");
    ok(strm_range_if_range(" \"0123456789abcdef\"\t", tag, lm), "strong tag with OWS");
    ok(!strm_range_if_range("W/\"0123456789abcdef\"", tag, lm), "weak tag never matches");
    ok(!strm_range_if_range("W/\"x\"", "W/\"x\"", lm), "weak against weak: no");
    ok(!strm_range_if_range("\"x\"", "W/\"x\"", lm), "strong against our weak: no");
    ok(!strm_range_if_range("\"0123456789abcdee\"", tag, lm), "another tag");
    ok(!strm_range_if_range("\"0123456789ABCDEF\"", tag, lm), "tags compare byte for byte");
    ok(!strm_range_if_range("\"0123456789abcdef", tag, lm), "unterminated tag");
    ok(!strm_range_if_range("\"0123456789abcdef\"x", tag, lm), "garbage after tag");
    ok(!strm_range_if_range("\"a\"b\"", "\"a\"b\"", lm), "DQUOTE inside a tag");
    ok(!strm_range_if_range("\"a b\"", "\"a b\"", lm), "SP inside a tag");
    ok(!strm_range_if_range("\"\"", tag, lm), "empty tag, not ours");
    ok(strm_range_if_range("\"\"", "\"\"", lm), "empty tag equal to an empty tag");
    ok(!strm_range_if_range(tag, NULL, lm), "we have no etag");
    ok(!strm_range_if_range("\"0123456789abcdef\", \"x\"", tag, lm), "a list is not a tag");
    ok(!strm_range_if_range("", tag, lm), "empty value");
    ok(!strm_range_if_range("  ", tag, lm), "blank value");
    ok(!strm_range_if_range("garbage", tag, lm), "garbage");
    ok(!strm_range_if_range("*", tag, lm), "star");
    /* dates */
    ok(strm_range_if_range("Sun, 06 Nov 1994 08:49:37 GMT", tag, lm), "IMF-fixdate equal");
    ok(strm_range_if_range("Sunday, 06-Nov-94 08:49:37 GMT", tag, lm), "rfc850 equal");
    ok(strm_range_if_range("Sun Nov  6 08:49:37 1994", tag, lm), "asctime equal");
    ok(strm_range_if_range("Sun Nov 06 08:49:37 1994", tag, lm), "asctime 2-digit day");
    ok(!strm_range_if_range("Sun, 06 Nov 1994 08:49:38 GMT", tag, lm), "date 1 s later");
    ok(!strm_range_if_range("Sun, 06 Nov 1994 08:49:36 GMT", tag, lm), "date 1 s earlier");
    ok(!strm_range_if_range("Sun, 06 Nov 1994 08:49:37 GMT", tag, 0), "no Last-Modified");
    ok(!strm_range_if_range("Sun, 06 Nov 1994 08:49:37 GMT", tag, -1), "negative Last-Modified");
    ok(!strm_range_if_range("sun, 06 nov 1994 08:49:37 gmt", tag, lm), "dates are case-sensitive");
    ok(!strm_range_if_range("Sun, 06 Nov 1994 08:49:37 UTC", tag, lm), "UTC is not GMT");
    ok(!strm_range_if_range("Sun, 6 Nov 1994 08:49:37 GMT", tag, lm), "1-digit day in IMF");
    ok(!strm_range_if_range("Sun, 06 Nov 1994 08:49:37 GMT x", tag, lm), "trailing garbage");
    ok(!strm_range_if_range("Sun, 06 Nov 1994 8:49:37 GMT", tag, lm), "1-digit hour");
    ok(!strm_range_if_range("Sun, 06 Nov 94 08:49:37 GMT", tag, lm), "2-digit year in IMF");
    ok(!strm_range_if_range("Sun, 06 Nov 1994 24:00:00 GMT", tag, lm), "hour 24");
    ok(!strm_range_if_range("Sun, 06 Nov 1994 23:60:00 GMT", tag, lm), "minute 60");
    ok(!strm_range_if_range("Sun, 31 Nov 1994 08:49:37 GMT", tag, lm), "Nov 31");
    ok(!strm_range_if_range("Sun, 00 Nov 1994 08:49:37 GMT", tag, lm), "day 0");
    ok(!strm_range_if_range("Xyz, 06 Nov 1994 08:49:37 GMT", tag, lm), "bad day name");
    ok(!strm_range_if_range("Sun, 06 Foo 1994 08:49:37 GMT", tag, lm), "bad month");
    ok(!strm_range_if_range("Sun, 06 Nov 1994 08:49:37 GMT", tag, lm + 3600), "other date");
    ok(strm_range_if_range("Thu, 29 Feb 2024 12:00:00 GMT", tag, 1709208000), "leap day 2024");
    ok(!strm_range_if_range("Wed, 29 Feb 2023 12:00:00 GMT", tag, 1709208000), "Feb 29 2023");
    ok(!strm_range_if_range("Mon, 29 Feb 2100 12:00:00 GMT", tag, 4107585600), "Feb 29 2100");
    ok(strm_range_if_range("Wed, 21 Oct 2015 07:28:00 GMT", tag, 1445412480), "2015 date");
    ok(strm_range_if_range("Wednesday, 21-Oct-15 07:28:00 GMT", tag, 1445412480),
       "rfc850 yy < 70 is 20yy");
    ok(strm_range_if_range("Thu, 01 Jan 1970 00:00:01 GMT", tag, 1), "epoch + 1 s");
    ok(strm_range_if_range("Fri, 31 Dec 9999 23:59:59 GMT", tag, 253402300799), "year 9999");
}

static void test_content_range(void)
{
    char buf[STRM_CONTENT_RANGE_MAX];
    struct strm_range r = {0, 4};
    is_int(strm_range_content_range(buf, sizeof(buf), &r, 11), 12, "content-range length");
    is_str(buf, "bytes 0-4/11", "content-range 0-4/11");
    r = (struct strm_range){990, 999};
    strm_range_content_range(buf, sizeof(buf), &r, 1000);
    is_str(buf, "bytes 990-999/1000", "content-range 990-999/1000");
    r = (struct strm_range){UINT64_MAX - 1, UINT64_MAX - 1};
    size_t n = strm_range_content_range(buf, sizeof(buf), &r, UINT64_MAX);
    is_str(buf, "bytes 18446744073709551614-18446744073709551614/18446744073709551615",
           "content-range at the uint64 limit fits STRM_CONTENT_RANGE_MAX");
    ok(n < sizeof(buf), "largest content-range under the cap");
    is_int(strm_range_unsatisfied(buf, sizeof(buf), 11), 10, "unsatisfied length");
    is_str(buf, "bytes */11", "unsatisfied 11");
    strm_range_unsatisfied(buf, sizeof(buf), 0);
    is_str(buf, "bytes */0", "unsatisfied 0");
    char small[8];
    r = (struct strm_range){0, 4};
    is_int(strm_range_content_range(small, sizeof(small), &r, 11), 12, "cut: returns full length");
    is_str(small, "bytes 0", "cut: NUL-terminated prefix");
}

static const char *const B = "0123456789abcdef0123456789abcdef";

/* Build the multipart body of plan `p` over `data` into a cm_buf. */
static cm_buf_t *s_body(const struct strm_range_plan *p, const char *ct, const char *data,
                        uint64_t total)
{
    cm_buf_t *b = cm_buf_new(1 << 20);
    char head[STRM_MULTIPART_HEAD_MAX];
    for (size_t i = 0; i < p->n; i++) {
        size_t n = strm_multipart_part_head(head, sizeof(head), B, ct, &p->r[i], total);
        if (n >= sizeof(head) || cm_buf_append(b, head, n) < 0 ||
            cm_buf_append(b, data + p->r[i].first, strm_range_length(&p->r[i])) < 0)
            abort();
    }
    size_t n = strm_multipart_tail(head, sizeof(head), B);
    if (n >= sizeof(head) || cm_buf_append(b, head, n) < 0)
        abort();
    return b;
}

/* Sum of the formatted heads, range bytes and tail, to check strm_multipart_length. */
static uint64_t s_real_length(const struct strm_range_plan *p, const char *b, const char *ct,
                              uint64_t total)
{
    char head[512];
    uint64_t len = strm_multipart_tail(head, sizeof(head), b);
    for (size_t i = 0; i < p->n; i++)
        len += strm_multipart_part_head(head, sizeof(head), b, ct, &p->r[i], total) +
               strm_range_length(&p->r[i]);
    return len;
}

static void test_multipart(void)
{
    char b1[STRM_BOUNDARY_SIZE], b2[STRM_BOUNDARY_SIZE];
    strm_multipart_boundary(b1);
    strm_multipart_boundary(b2);
    ok(strlen(b1) == 32 && strspn(b1, "0123456789abcdef") == 32, "boundary: 32 hex digits");
    ok(strcmp(b1, b2) != 0, "boundaries differ");

    char head[STRM_MULTIPART_HEAD_MAX];
    struct strm_range r = {0, 0};
    size_t n = strm_multipart_part_head(head, sizeof(head), B, "video/mp4", &r, 11);
    is_str(head,
           "\r\n--0123456789abcdef0123456789abcdef\r\nContent-Type: video/mp4\r\n"
           "Content-Range: bytes 0-0/11\r\n\r\n",
           "part head");
    is_int(n, strlen(head), "part head length");
    n = strm_multipart_tail(head, sizeof(head), B);
    is_str(head, "\r\n--0123456789abcdef0123456789abcdef--\r\n", "tail");
    is_int(n, 40, "tail length");

    /* Go's "bytes=0-0,-2" on an 11-byte file, the whole body byte for byte. */
    const char *data = "0123456789a";
    struct strm_range_plan p;
    strm_range_parse("bytes=0-0,-2", 11, &p);
    cm_buf_t *body = s_body(&p, "text/plain", data, 11);
    const char *want = "\r\n--0123456789abcdef0123456789abcdef\r\n"
                       "Content-Type: text/plain\r\nContent-Range: bytes 0-0/11\r\n\r\n0"
                       "\r\n--0123456789abcdef0123456789abcdef\r\n"
                       "Content-Type: text/plain\r\nContent-Range: bytes 9-10/11\r\n\r\n9a"
                       "\r\n--0123456789abcdef0123456789abcdef--\r\n";
    ok(cm_buf_len(body) == strlen(want) && memcmp(cm_buf_data(body), want, strlen(want)) == 0,
       "multipart body for bytes=0-0,-2");
    is_int(strm_multipart_length(&p, B, "text/plain", 11), cm_buf_len(body),
           "multipart length = body length");
    cm_buf_destroy(&body);

    /* The computed length equals the real strings for assorted plans, boundaries and types. */
    static const struct {
        const char *hdr;
        uint64_t size;
    } plans[] = {
        {"bytes=0-1,5-8", 11},
        {"bytes=0-9, -10, 10-19", 1000},
        {"bytes=0-0,9-9,99-99,999-999,9999-9999,99999-", 1000000},
        {"bytes=0-0,-1", UINT64_MAX / 2},
        {"bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,"
         "28-28,30-30",
         31},
        {"bytes=0-4", 11},
    };
    const char *types[] = {"video/mp4", "application/octet-stream", "x"};
    const char *bounds[] = {B, "b", b1};
    bool all = true;
    for (size_t i = 0; i < CM_ARRAY_LEN(plans); i++)
        for (size_t t = 0; t < CM_ARRAY_LEN(types); t++)
            for (size_t k = 0; k < CM_ARRAY_LEN(bounds); k++) {
                strm_range_parse(plans[i].hdr, plans[i].size, &p);
                uint64_t got = strm_multipart_length(&p, bounds[k], types[t], plans[i].size);
                uint64_t real = s_real_length(&p, bounds[k], types[t], plans[i].size);
                if (got != real) {
                    all = false;
                    diag("'%s': computed %" PRIu64 ", real %" PRIu64, plans[i].hdr, got, real);
                }
            }
    ok(all, "multipart length = sum of real part strings (6 plans x 3 types x 3 boundaries)");

    /* Saturation: two ranges that together are nearly 2^64 bytes. */
    p = (struct strm_range_plan){.kind = M, .n = 2};
    p.r[0] = (struct strm_range){0, UINT64_MAX / 2};
    p.r[1] = (struct strm_range){UINT64_MAX / 2 + 2, UINT64_MAX - 1};
    ok(strm_multipart_length(&p, B, "video/mp4", UINT64_MAX) == UINT64_MAX,
       "multipart length saturates");
}

static void test_content_type(void)
{
    static const struct {
        const char *name, *type;
        bool video;
    } c[] = {
        {"movie.mp4", "video/mp4", true},
        {"Movie.M4V", "video/mp4", true},
        {"dir/Film.2023.1080p.MKV", "video/x-matroska", true},
        {"a.webm", "video/webm", true},
        {"a.avi", "video/x-msvideo", true},
        {"a.mov", "video/quicktime", true},
        {"a.ts", "video/mp2t", true},
        {"a.m2ts", "video/mp2t", true},
        {"a.mpg", "video/mpeg", true},
        {"a.MPEG", "video/mpeg", true},
        {"a.wmv", "video/x-ms-wmv", true},
        {"a.flv", "video/x-flv", true},
        {"a.ogv", "video/ogg", true},
        {"subs/en.srt", "application/x-subrip", false},
        {"en.VTT", "text/vtt", false},
        {"a.mp3", "audio/mpeg", false},
        {"a.m4a", "audio/mp4", false},
        {"a.flac", "audio/flac", false},
        {"a.aac", "audio/aac", false},
        {"poster.JPG", "image/jpeg", false},
        {"readme.nfo", "text/plain", false},
        /* active content is never labelled as such */
        {"index.html", "application/octet-stream", false},
        {"x.htm", "application/octet-stream", false},
        {"x.svg", "application/octet-stream", false},
        {"x.xml", "application/octet-stream", false},
        {"x.js", "application/octet-stream", false},
        {"x.pdf", "application/octet-stream", false},
        /* no usable extension */
        {"noext", "application/octet-stream", false},
        {"a.mkv/noext", "application/octet-stream", false},
        {"a.mkv\\noext", "application/octet-stream", false},
        {"x.", "application/octet-stream", false},
        {"x.mp4.part", "application/octet-stream", false},
        {"x.tar.gz", "application/octet-stream", false},
        {"x.mp4 ", "application/octet-stream", false},
        {"x.mkvv", "application/octet-stream", false},
        {"x.mk", "application/octet-stream", false},
        {".mkv", "video/x-matroska", true},
        {"", "application/octet-stream", false},
    };
    for (size_t i = 0; i < CM_ARRAY_LEN(c); i++) {
        char name[128];
        snprintf(name, sizeof(name), "content type of '%s'", c[i].name);
        is_str(strm_content_type(c[i].name), c[i].type, name);
        snprintf(name, sizeof(name), "is_video('%s')", c[i].name);
        ok(strm_is_video(c[i].name) == c[i].video, name);
    }
    is_str(strm_content_type(NULL), "application/octet-stream", "content type of NULL");
    ok(!strm_is_video(NULL), "is_video(NULL)");
}

static void test_etag(void)
{
    const char *ih = "133e7ef28fffcb98605443cbd54a9d391219d9a3";
    char a[STRM_ETAG_SIZE], b[STRM_ETAG_SIZE];
    strm_etag(a, ih, 0, 1000);
    ok(strlen(a) == 18 && a[0] == '"' && a[17] == '"' && strspn(a + 1, "0123456789abcdef") == 16,
       "etag: quoted 16 hex digits");
    strm_etag(b, ih, 0, 1000);
    is_str(b, a, "etag stable");
    strm_etag(b, "133E7EF28FFFCB98605443CBD54A9D391219D9A3", 0, 1000);
    is_str(b, a, "etag ignores info-hash case");
    strm_etag(b, ih, 1, 1000);
    ok(strcmp(a, b) != 0, "etag differs per file index");
    strm_etag(b, ih, 0, 1001);
    ok(strcmp(a, b) != 0, "etag differs per size");
    strm_etag(b, "233e7ef28fffcb98605443cbd54a9d391219d9a3", 0, 1000);
    ok(strcmp(a, b) != 0, "etag differs per info-hash");
    strm_etag(b, NULL, 0, 1000);
    ok(strcmp(a, b) != 0 && strlen(b) == 18, "etag of a NULL info-hash");
    /* a golden value pins the encoding: changing it changes every client's validator */
    char g[STRM_ETAG_SIZE];
    strm_etag(g, ih, 3, 123456789);
    is_str(g, "\"bf890ee528b67ba7\"", "etag golden value (python hashlib computed)");
    ok(strm_range_if_range(a, a, 0), "our etag passes If-Range");
    ok(!strm_range_if_range(b, a, 0), "another file's etag fails If-Range");
}

int main(void)
{
    test_go_servefile();
    test_go_parserange();
    test_nginx();
    test_edges();
    test_abuse();
    test_status();
    test_if_range();
    test_content_range();
    test_multipart();
    test_content_type();
    test_etag();
    return done_testing();
}
