/* SPDX-License-Identifier: MIT
 * Tests of cm_http_parse: a table of valid and malformed heads (every strictness rule and the
 * smuggling defences), truncation at every offset, and the decoders (Content-Length, token
 * lists, query_get, path_decode). */
#include "cm.h"
#include "cm_http_parse.h"
#include "../../tap.h"

enum { MAXH = 16 };

static int s_parse(const char *req, struct cm_http_parsed *p, struct cm_http_header *h, size_t maxh)
{
    p->headers = h;
    return cm_http_parse_request(req, strlen(req), p, maxh);
}

static bool s_view_is(const char *v, size_t len, const char *want)
{
    return v && len == strlen(want) && memcmp(v, want, len) == 0;
}

/* --- the table --- */

static const struct {
    const char *req;  /* a request head, maybe followed by a body */
    int want;         /* > 0: "whole head" (strlen up to the body), else the error */
    const char *name; /* test name */
} s_cases[] = {
    /* valid */
    {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1, "minimal GET"},
    {"GET / HTTP/1.0\r\n\r\n", 1, "HTTP/1.0 without Host"},
    {"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", 1, "POST with CL"},
    {"GET / HTTP/1.1\nHost: a\n\n", 1, "LF-only line endings"},
    {"GET / HTTP/1.1\r\nHost: a\n\r\n", 1, "mixed line endings"},
    {"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 1, "leading empty lines skipped"},
    {"M-SEARCH / HTTP/1.1\r\nHost: a\r\n\r\n", 1, "method with a dash"},
    {"ABCDEFGHIJKLMNOP / HTTP/1.1\r\nHost: a\r\n\r\n", 1, "16-byte method"},
    {"GET /a?b=c&d HTTP/1.1\r\nHost: a\r\n\r\n", 1, "target with query"},
    {"GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n", 1, "empty header value"},
    {"GET / HTTP/1.1\r\nHost: a\r\nX: \t v \t \r\n\r\n", 1, "value with tabs trimmed"},
    {"GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n", 1, "obs-text in a value"},
    {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 1,
     "repeated equal Content-Length"},
    {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 1, "CL list of equal values"},
    /* malformed: request line */
    {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", -1, "two spaces after the method"},
    {"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", -1, "space before CRLF"},
    {"GET /\r\n\r\n", -1, "HTTP/0.9 request line"},
    {" GET / HTTP/1.1\r\nHost: a\r\n\r\n", -1, "leading space"},
    {"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", -1, "method not a token"},
    {"ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\nHost: a\r\n\r\n", -1, "17-byte method"},
    {"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", -1, "absolute-form refused"},
    {"CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", -1, "authority-form refused"},
    {"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", -1, "asterisk-form refused"},
    {"GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", -1, "fragment in target"},
    {"GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", -1, "control byte in target"},
    {"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", -1, "raw UTF-8 in target"},
    {"GET / HTTP/1.1\rHost: a\r\n\r\n", -1, "bare CR after request line"},
    {"GET / http/1.1\r\nHost: a\r\n\r\n", -1, "lower-case protocol"},
    {"GET / HTTP/1.x\r\nHost: a\r\n\r\n", -1, "non-digit minor"},
    {"GET / HTTP/11.0\r\nHost: a\r\n\r\n", -1, "two-digit major"},
    {"GET / HTTP/1\r\nHost: a\r\n\r\n", -1, "version without minor"},
    /* versions */
    {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", -3, "HTTP/2.0"},
    {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", -3, "HTTP/2 preface"},
    {"GET / HTTP/1.2\r\nHost: a\r\n\r\n", -3, "HTTP/1.2"},
    {"GET / HTTP/0.9\r\nHost: a\r\n\r\n", -3, "HTTP/0.9 with a version"},
    /* malformed: fields */
    {"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", -1, "obs-fold (SP)"},
    {"GET / HTTP/1.1\r\nHost: a\r\n\tfolded\r\n\r\n", -1, "obs-fold (HT)"},
    {"GET / HTTP/1.1\r\n Host: a\r\n\r\n", -1, "space before the first field"},
    {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", -1, "space before the colon"},
    {"GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", -1, "name not a token"},
    {"GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", -1, "empty name"},
    {"GET / HTTP/1.1\r\nHost a\r\n\r\n", -1, "no colon"},
    {"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", -1, "bare CR in a value"},
    {"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01"
     "b\r\n\r\n",
     -1, "control byte in a value"},
    {"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", -1, "DEL in a value"},
    {"GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", -1, "bare CR in the empty line"},
    /* Host */
    {"GET / HTTP/1.1\r\n\r\n", -1, "HTTP/1.1 without Host"},
    {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", -1, "two Host fields"},
    {"GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", -1, "two Host fields in HTTP/1.0"},
    /* smuggling */
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", -1,
     "CL and TE"},
    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", -1,
     "TE and CL"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", -1,
     "differing CL fields"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n", -1, "differing CL list"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", -1, "signed CL"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", -1, "hex CL"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", -1, "CL with inner space"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", -1, "empty CL"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,,5\r\n\r\n", -1, "CL list empty element"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", -1,
     "CL overflow"},
    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", -1,
     "CL past INT64_MAX"},
    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", -4, "chunked body"},
    {"POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: gzip, chunked\r\n\r\n", -4,
     "TE list (lower-case name)"},
    {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -4, "TE in HTTP/1.0"},
};

static void test_table(void)
{
    struct cm_http_parsed p;
    struct cm_http_header h[MAXH];
    char name[160];
    for (size_t i = 0; i < CM_ARRAY_LEN(s_cases); i++) {
        const char *req = s_cases[i].req;
        int want = s_cases[i].want;
        if (want > 0)
            want = (int)strlen(req);
        int rc = s_parse(req, &p, h, MAXH);
        snprintf(name, sizeof(name), "table: %s -> %d", s_cases[i].name, want);
        is_int(rc, want, name);
    }
}

static void test_fields(void)
{
    struct cm_http_parsed p;
    struct cm_http_header h[MAXH];
    const char *req = "POST /a/b%20c?x=1&y=two HTTP/1.1\r\n"
                      "Host: example.org\r\n"
                      "X-Pad:   spaced value \t\r\n"
                      "Content-Length: 4\r\n"
                      "Empty:\r\n"
                      "\r\n"
                      "body";
    int rc = s_parse(req, &p, h, MAXH);
    is_int(rc, (int)strlen(req) - 4, "fields: head length excludes the body");
    ok(s_view_is(p.method, p.method_len, "POST"), "fields: method");
    ok(s_view_is(p.path, p.path_len, "/a/b%20c"), "fields: path split at '?'");
    ok(s_view_is(p.query, p.query_len, "x=1&y=two"), "fields: query");
    is_int(p.minor_version, 1, "fields: minor version");
    is_int(p.num_headers, 4, "fields: four headers");
    is_int(p.content_length, 4, "fields: content length");
    const struct cm_http_header *x = cm_http_header_find(&p, "x-pad");
    ok(x && s_view_is(x->value, x->value_len, "spaced value"), "fields: value trimmed");
    x = cm_http_header_find(&p, "EMPTY");
    ok(x && x->value_len == 0, "fields: empty value, case-insensitive lookup");
    ok(cm_http_header_find(&p, "missing") == NULL, "fields: absent header is NULL");
    ok(cm_http_header_find(&p, "Host") == &p.headers[0], "fields: first match returned");

    static const char nul[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
    p.headers = h;
    is_int(cm_http_parse_request(nul, sizeof(nul) - 1, &p, MAXH), -1, "fields: NUL in a value");
    static const char nul_target[] = "GET /a\0b HTTP/1.0\r\n\r\n";
    is_int(cm_http_parse_request(nul_target, sizeof(nul_target) - 1, &p, MAXH), -1,
           "fields: NUL in the target");

    rc = s_parse("GET /x? HTTP/1.0\r\n\r\n", &p, h, MAXH);
    ok(rc > 0 && p.query && p.query_len == 0, "fields: '?' alone gives an empty query");
    ok(p.content_length == -1, "fields: no Content-Length is -1");
    rc = s_parse("GET /x HTTP/1.0\r\n\r\n", &p, h, MAXH);
    ok(rc > 0 && p.query == NULL && p.minor_version == 0, "fields: no '?' gives NULL query");
}

static void test_limits(void)
{
    struct cm_http_parsed p;
    struct cm_http_header h[MAXH];
    char buf[CM_HTTP_REQUEST_LINE_MAX + 256];

    /* max_headers: exactly at the limit passes, one more is 431-class. */
    const char *four = "GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n";
    is_int(s_parse(four, &p, h, 4), (int)strlen(four), "limits: 4 headers at max 4");
    is_int(s_parse(four, &p, h, 3), -2, "limits: 4 headers at max 3 -> too large");
    is_int(s_parse("GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\n", &p, h, 1), -2,
           "limits: too many headers detected before the head ends");
    is_int(s_parse("GET / HTTP/1.0\r\n\r\n", &p, h, 0), 18, "limits: no headers at max 0");

    /* Request line: 8 KiB accepted, one byte more is 414-class, even before its end. */
    size_t fixed = strlen("GET ") + strlen(" HTTP/1.0");
    memcpy(buf, "GET /", 5);
    memset(buf + 5, 'a', CM_HTTP_REQUEST_LINE_MAX - fixed - 1);
    snprintf(buf + 4 + CM_HTTP_REQUEST_LINE_MAX - fixed, 64, " HTTP/1.0\r\n\r\n");
    is_int(s_parse(buf, &p, h, MAXH), (int)strlen(buf), "limits: request line of 8 KiB");
    memcpy(buf, "GET /", 5);
    memset(buf + 5, 'a', CM_HTTP_REQUEST_LINE_MAX - fixed);
    snprintf(buf + 5 + CM_HTTP_REQUEST_LINE_MAX - fixed, 64, " HTTP/1.0\r\n\r\n");
    is_int(s_parse(buf, &p, h, MAXH), -5, "limits: request line of 8 KiB + 1");
    buf[CM_HTTP_REQUEST_LINE_MAX + 10] = '\0'; /* cut inside the target: still refused */
    memset(buf + 5, 'a', CM_HTTP_REQUEST_LINE_MAX + 5);
    is_int(s_parse(buf, &p, h, MAXH), -5, "limits: long target refused before its end");
}

/* Every prefix of a valid head needs more bytes; every prefix of a bad one needs more bytes
 * or fails, and never crashes (ASan watches the reads). */
static void test_truncation(void)
{
    struct cm_http_parsed p;
    struct cm_http_header h[MAXH];
    const char *good = "POST /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nX:  y \r\n\r\n";
    const char *good_lf = "GET /a HTTP/1.1\nHost: x\nX: y\n\n";
    const char *bad = "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n";
    size_t n = strlen(good);
    int fails = 0;
    for (size_t i = 0; i < n; i++) {
        char *copy = cm_memdup(good, i); /* exact-size heap copy: ASan sees any overread */
        p.headers = h;
        if (cm_http_parse_request(copy, i, &p, MAXH) != 0)
            fails++;
        cm_free(copy);
    }
    is_int(fails, 0, "truncation: every prefix of a CRLF head returns 0");
    p.headers = h;
    is_int(cm_http_parse_request(good, n, &p, MAXH), (int)n, "truncation: the whole head");

    fails = 0;
    n = strlen(good_lf);
    for (size_t i = 0; i < n; i++) {
        char *copy = cm_memdup(good_lf, i);
        p.headers = h;
        if (cm_http_parse_request(copy, i, &p, MAXH) != 0)
            fails++;
        cm_free(copy);
    }
    is_int(fails, 0, "truncation: every prefix of an LF head returns 0");

    fails = 0;
    int errors = 0;
    n = strlen(bad);
    for (size_t i = 0; i <= n; i++) {
        char *copy = cm_memdup(bad, i);
        p.headers = h;
        int rc = cm_http_parse_request(copy, i, &p, MAXH);
        if (rc > 0)
            fails++;
        if (rc < 0)
            errors++;
        cm_free(copy);
    }
    is_int(fails, 0, "truncation: no prefix of a bad head succeeds");
    ok(errors > 0 && errors < (int)n, "truncation: the bad byte is refused as soon as seen");
}

static void test_content_length(void)
{
    uint64_t v = 7;
    is_int(cm_http_parse_content_length("0", 1, &v), 0, "cl: 0");
    is_int(v, 0, "cl: value 0");
    is_int(cm_http_parse_content_length("18446744073709551615", 20, &v), 0, "cl: UINT64_MAX");
    ok(v == UINT64_MAX, "cl: value UINT64_MAX");
    is_int(cm_http_parse_content_length("18446744073709551616", 20, &v), -1, "cl: overflow");
    is_int(cm_http_parse_content_length("", 0, &v), -1, "cl: empty");
    is_int(cm_http_parse_content_length("-1", 2, &v), -1, "cl: negative");
    is_int(cm_http_parse_content_length(" 1", 2, &v), -1, "cl: leading space");
    is_int(cm_http_parse_content_length("12", 1, &v), 0, "cl: length respected");
    is_int(v, 1, "cl: only the first byte read");
}

static void test_tokens(void)
{
    ok(cm_http_list_has_token("keep-alive, Close", 17, "close"), "tokens: in a list");
    ok(cm_http_list_has_token("close", 5, "close"), "tokens: alone");
    ok(!cm_http_list_has_token("closed", 6, "close"), "tokens: not a prefix match");
    ok(!cm_http_list_has_token("", 0, "close"), "tokens: empty list");
    ok(cm_http_list_has_token(" ,  100-continue ", 17, "100-continue"), "tokens: spaces");
    ok(cm_http_is_token("X-Id", 4), "is_token: X-Id");
    ok(!cm_http_is_token("X Id", 4), "is_token: space refused");
    ok(!cm_http_is_token("", 0), "is_token: empty refused");
}

static void test_query(void)
{
    char out[16];
    is_int(cm_http_query_get("a=1&b=x%20y+z", "b", out, sizeof(out)), 5, "query: decoded length");
    is_str(out, "x y z", "query: %20 and + decoded");
    is_int(cm_http_query_get("a=1&b=2", "a", out, sizeof(out)), 1, "query: first key");
    is_str(out, "1", "query: first value");
    is_int(cm_http_query_get("a=1&b=2", "c", out, sizeof(out)), -1, "query: absent key");
    is_int(cm_http_query_get("", "a", out, sizeof(out)), -1, "query: empty query");
    is_int(cm_http_query_get("flag&a=1", "flag", out, sizeof(out)), 0, "query: key without =");
    is_str(out, "", "query: empty value");
    is_int(cm_http_query_get("a=1&a=2", "a", out, sizeof(out)), 1, "query: first match wins");
    is_str(out, "1", "query: first match value");
    is_int(cm_http_query_get("my%20key=v", "my key", out, sizeof(out)), 1, "query: escaped key");
    is_int(cm_http_query_get("&&a=1&", "a", out, sizeof(out)), 1, "query: empty pairs skipped");
    is_int(cm_http_query_get("a=%zz", "a", out, sizeof(out)), -2, "query: bad escape");
    is_int(cm_http_query_get("a=%2", "a", out, sizeof(out)), -2, "query: truncated escape");
    is_int(cm_http_query_get("a=%00", "a", out, sizeof(out)), -2, "query: %00 refused");
    is_int(cm_http_query_get("a=0123456789abcdef", "a", out, sizeof(out)), -2,
           "query: value longer than the buffer");
    is_int(cm_http_query_get("a=0123456789abcde", "a", out, sizeof(out)), 15,
           "query: value that just fits");
    is_int(cm_http_query_get("a=0123456789abcdef", "a", NULL, 0), 16, "query: measure only");
    is_int(cm_http_query_get("a=b=c", "a", out, sizeof(out)), 3, "query: '=' in a value");
    is_str(out, "b=c", "query: value keeps '='");
    is_int(cm_http_query_get("a=%C3%A9", "a", out, sizeof(out)), 2, "query: UTF-8 escape");
    is_int(cm_http_query_uint("page=3&limit=50", "limit", 7, 1, 100), 50, "uint: a value");
    is_int(cm_http_query_uint("page=3", "limit", 7, 1, 100), 7, "uint: absent gives def");
    is_int(cm_http_query_uint("limit=101", "limit", 7, 1, 100), -1, "uint: over max");
    is_int(cm_http_query_uint("limit=0", "limit", 7, 1, 100), -1, "uint: under min");
    is_int(cm_http_query_uint("file=0", "file", -2, 0, 9), 0, "uint: 0 when min is 0");
    is_int(cm_http_query_uint("limit=", "limit", 7, 1, 100), -1, "uint: empty");
    is_int(cm_http_query_uint("limit=1x", "limit", 7, 1, 100), -1, "uint: not digits");
    is_int(cm_http_query_uint("limit=-1", "limit", 7, 1, 100), -1, "uint: sign");
    is_int(cm_http_query_uint("limit=99999999999999999999", "limit", 7, 1, 100), -1,
           "uint: too long");
}

static void test_path(void)
{
    char out[16];
    is_int(cm_http_path_decode("/a%20b+c", 8, out, sizeof(out)), 6, "path: decoded length");
    is_str(out, "/a b+c", "path: '+' kept");
    is_int(cm_http_path_decode("/%2f", 4, out, sizeof(out)), 2, "path: %2f decoded");
    is_int(cm_http_path_decode("/%00", 4, out, sizeof(out)), -1, "path: %00 refused");
    is_int(cm_http_path_decode("/%g0", 4, out, sizeof(out)), -1, "path: bad hex");
    is_int(cm_http_path_decode("/%4", 3, out, sizeof(out)), -1, "path: truncated escape");
    is_int(cm_http_path_decode("/%", 2, out, sizeof(out)), -1, "path: lone %");
    is_int(cm_http_path_decode("/0123456789abcde", 16, out, sizeof(out)), -1, "path: too long");
    is_int(cm_http_path_decode("/0123456789abcd", 15, out, sizeof(out)), 15, "path: just fits");
    is_int(cm_http_path_decode("", 0, out, sizeof(out)), 0, "path: empty");
    is_int(cm_http_path_decode("/a", 2, out, 0), -1, "path: no room at all");
}

int main(void)
{
    test_table();
    test_fields();
    test_limits();
    test_truncation();
    test_content_length();
    test_tokens();
    test_query();
    test_path();
    return done_testing();
}
