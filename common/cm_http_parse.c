/* SPDX-License-Identifier: MIT
 * cm_http_parse: strict HTTP/1.x request-head parser and decoders. Pure functions over borrowed
 * bytes. The parser is written to be re-run over a growing buffer: on a prefix of a valid head
 * it returns 0, and it fails as early as the bytes seen allow, so a server can reject garbage
 * before the whole head has arrived. */
#include "cm.h"
#include "cm_http_parse.h"

/* tchar (RFC 9110 §5.6.2): the characters of methods, header names and list tokens. */
static bool s_is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

/* A byte of the request-target: visible ASCII except '#' (a fragment is never sent). Escapes
 * are checked later by the decoders, where the handler asks for them. */
static bool s_is_target_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '#';
}

/* A byte of a field value: HTAB, SP, VCHAR or obs-text. Refuses NUL, CR, LF, DEL and the other
 * controls, so a value can never smuggle a line ending. */
static bool s_is_value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static unsigned char s_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* ASCII case-insensitive comparison of a view with a NUL-terminated string. */
static bool s_equal_nocase(const char *a, size_t alen, const char *b)
{
    size_t i = 0;
    for (; i < alen; i++) {
        if (b[i] == '\0' || s_lower((unsigned char)a[i]) != s_lower((unsigned char)b[i]))
            return false;
    }
    return b[i] == '\0';
}

/* Match a line ending at p[*i]: CRLF or a lone LF. Returns 1 and moves *i past it, 0 when the
 * buffer ends inside it, -1 when the byte is not a line ending (a bare CR included). */
static int s_eol(const unsigned char *p, size_t len, size_t *i)
{
    if (*i >= len)
        return 0;
    if (p[*i] == '\n') {
        *i += 1;
        return 1;
    }
    if (p[*i] != '\r')
        return -1;
    if (*i + 1 >= len)
        return 0;
    if (p[*i + 1] != '\n')
        return -1;
    *i += 2;
    return 1;
}

/* One element of the comma-separated list at `v` (up to `end`): [*a_out, *b_out), trimmed of
 * SP and HTAB; elements may be empty. Returns where the next element starts, or NULL after the
 * last one. */
static const char *s_list_item(const char *v, const char *end, const char **a_out,
                               const char **b_out)
{
    const char *comma = memchr(v, ',', (size_t)(end - v));
    const char *a = v, *b = comma ? comma : end;
    while (a < b && (*a == ' ' || *a == '\t'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    *a_out = a;
    *b_out = b;
    return comma ? comma + 1 : NULL;
}

/* Fold every Content-Length element of every Content-Length field into one value. Lists such
 * as "5, 5" are accepted when all elements agree (RFC 9110 §8.6); any disagreement or a bad
 * element is MALFORMED, since two parsers reading the same bytes differently is smuggling. */
static int s_content_length(const struct cm_http_parsed *out, int64_t *cl_out)
{
    int64_t cl = -1;
    for (size_t h = 0; h < out->num_headers; h++) {
        const struct cm_http_header *hd = &out->headers[h];
        if (!s_equal_nocase(hd->name, hd->name_len, "content-length"))
            continue;
        const char *end = hd->value + hd->value_len;
        for (const char *v = hd->value; v;) {
            const char *a, *b;
            v = s_list_item(v, end, &a, &b);
            uint64_t n;
            if (cm_http_parse_content_length(a, (size_t)(b - a), &n) != 0 || n > INT64_MAX)
                return CM_HTTP_PARSE_MALFORMED;
            if (cl >= 0 && (uint64_t)cl != n)
                return CM_HTTP_PARSE_MALFORMED;
            cl = (int64_t)n;
        }
    }
    *cl_out = cl;
    return 0;
}

/* The checks that need the whole head: framing (smuggling) and Host. */
static int s_check_head(struct cm_http_parsed *out)
{
    bool te = false;
    size_t hosts = 0;
    for (size_t h = 0; h < out->num_headers; h++) {
        const struct cm_http_header *hd = &out->headers[h];
        if (s_equal_nocase(hd->name, hd->name_len, "transfer-encoding"))
            te = true;
        else if (s_equal_nocase(hd->name, hd->name_len, "host"))
            hosts++;
    }
    int rc = s_content_length(out, &out->content_length);
    if (rc < 0)
        return rc;
    if (te && out->content_length >= 0)
        return CM_HTTP_PARSE_MALFORMED;
    if (hosts > 1 || (hosts == 0 && out->minor_version == 1))
        return CM_HTTP_PARSE_MALFORMED;
    if (te)
        return CM_HTTP_PARSE_LENGTH_REQUIRED;
    return 0;
}

int cm_http_parse_request(const char *buf, size_t len, struct cm_http_parsed *out,
                          size_t max_headers)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t i = 0;
    int rc;

    out->method = out->path = out->query = NULL;
    out->method_len = out->path_len = out->query_len = 0;
    out->minor_version = -1;
    out->num_headers = 0;
    out->content_length = -1;
    if (len > INT_MAX)
        len = INT_MAX; /* the result is an int; a head that long is refused long before */

    /* Empty lines before the request line are ignored (old clients send CRLF after a body). */
    for (;;) {
        if (i >= len)
            return CM_HTTP_PARSE_AGAIN;
        if (p[i] != '\r' && p[i] != '\n')
            break;
        rc = s_eol(p, len, &i);
        if (rc <= 0)
            return rc;
    }
    size_t line0 = i;

    /* method SP */
    while (i < len && s_is_tchar(p[i])) {
        i++;
        if (i - line0 > CM_HTTP_METHOD_MAX)
            return CM_HTTP_PARSE_MALFORMED;
    }
    if (i >= len)
        return CM_HTTP_PARSE_AGAIN;
    if (p[i] != ' ' || i == line0)
        return CM_HTTP_PARSE_MALFORMED;
    out->method = buf + line0;
    out->method_len = i - line0;
    i++;

    /* request-target SP */
    size_t t0 = i, q = 0;
    bool has_q = false;
    for (; i < len && p[i] != ' '; i++) {
        if (i - line0 >= CM_HTTP_REQUEST_LINE_MAX)
            return CM_HTTP_PARSE_URI_TOO_LONG;
        if (!s_is_target_char(p[i]))
            return CM_HTTP_PARSE_MALFORMED;
        if (p[i] == '?' && !has_q) {
            has_q = true;
            q = i;
        }
    }
    if (i >= len)
        return CM_HTTP_PARSE_AGAIN;
    if (i == t0)
        return CM_HTTP_PARSE_MALFORMED;
    size_t t1 = i++;

    /* HTTP-version: "HTTP/" DIGIT "." DIGIT, then the line ending. */
    static const char s_proto[] = "HTTP/";
    for (size_t k = 0; k < sizeof(s_proto) - 1; k++, i++) {
        if (i >= len)
            return CM_HTTP_PARSE_AGAIN;
        if (p[i] != (unsigned char)s_proto[k])
            return CM_HTTP_PARSE_MALFORMED;
    }
    int ver[2];
    for (int k = 0; k < 2; k++) {
        if (i >= len)
            return CM_HTTP_PARSE_AGAIN;
        if (p[i] < '0' || p[i] > '9')
            return CM_HTTP_PARSE_MALFORMED;
        ver[k] = p[i++] - '0';
        if (k == 0) {
            if (i >= len)
                return CM_HTTP_PARSE_AGAIN;
            if (p[i++] != '.')
                return CM_HTTP_PARSE_MALFORMED;
        }
    }
    size_t eol = i;
    rc = s_eol(p, len, &i);
    if (rc <= 0)
        return rc;
    if (eol - line0 > CM_HTTP_REQUEST_LINE_MAX)
        return CM_HTTP_PARSE_URI_TOO_LONG;
    /* The version is judged before the target so that the HTTP/2 preface ("PRI * HTTP/2.0")
     * gets its 505 rather than a 400 for the asterisk. */
    if (ver[0] != 1 || ver[1] > 1)
        return CM_HTTP_PARSE_VERSION;
    out->minor_version = ver[1];
    if (p[t0] != '/')
        return CM_HTTP_PARSE_MALFORMED;
    out->path = buf + t0;
    out->path_len = (has_q ? q : t1) - t0;
    if (has_q) {
        out->query = buf + q + 1;
        out->query_len = t1 - q - 1;
    }

    /* header fields, up to the empty line */
    for (;;) {
        if (i >= len)
            return CM_HTTP_PARSE_AGAIN;
        if (p[i] == '\r' || p[i] == '\n') {
            rc = s_eol(p, len, &i);
            if (rc <= 0)
                return rc;
            break;
        }
        if (p[i] == ' ' || p[i] == '\t')
            return CM_HTTP_PARSE_MALFORMED; /* obs-fold, or space before the first field */
        if (out->num_headers >= max_headers)
            return CM_HTTP_PARSE_TOO_LARGE;
        size_t n0 = i;
        while (i < len && s_is_tchar(p[i]))
            i++;
        if (i >= len)
            return CM_HTTP_PARSE_AGAIN;
        if (p[i] != ':' || i == n0)
            return CM_HTTP_PARSE_MALFORMED; /* also "Name : v": no space before the colon */
        size_t n1 = i++;
        while (i < len && (p[i] == ' ' || p[i] == '\t'))
            i++;
        size_t v0 = i;
        while (i < len && s_is_value_char(p[i]))
            i++;
        size_t v1 = i;
        rc = s_eol(p, len, &i);
        if (rc <= 0)
            return rc;
        while (v1 > v0 && (p[v1 - 1] == ' ' || p[v1 - 1] == '\t'))
            v1--;
        struct cm_http_header *hd = &out->headers[out->num_headers++];
        hd->name = buf + n0;
        hd->name_len = n1 - n0;
        hd->value = buf + v0;
        hd->value_len = v1 - v0;
    }

    rc = s_check_head(out);
    if (rc < 0)
        return rc;
    return (int)i;
}

int cm_http_parse_content_length(const char *s, size_t len, uint64_t *value_out)
{
    uint64_t v = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < '0' || c > '9')
            return -1;
        if (v > (UINT64_MAX - (c - '0')) / 10)
            return -1;
        v = v * 10 + (c - '0');
    }
    *value_out = v;
    return 0;
}

const struct cm_http_header *cm_http_header_find(const struct cm_http_parsed *parsed,
                                                 const char *name)
{
    for (size_t h = 0; h < parsed->num_headers; h++) {
        const struct cm_http_header *hd = &parsed->headers[h];
        if (s_equal_nocase(hd->name, hd->name_len, name))
            return hd;
    }
    return NULL;
}

bool cm_http_is_token(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!s_is_tchar((unsigned char)s[i]))
            return false;
    }
    return true;
}

bool cm_http_list_has_token(const char *value, size_t len, const char *token)
{
    const char *end = value + len;
    for (const char *v = value; v && v < end;) {
        const char *a, *b;
        v = s_list_item(v, end, &a, &b);
        if (s_equal_nocase(a, (size_t)(b - a), token))
            return true;
    }
    return false;
}

/* Decode one percent-escaped byte string. `plus` turns '+' into a space (query syntax). Writes
 * at most `outlen` bytes when `out` is not NULL; returns the decoded length (which may exceed
 * outlen: the caller checks), or -1 on a malformed escape or %00. */
static long s_pct_decode(const char *in, size_t len, bool plus, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = cm_hexval((unsigned char)in[i + 1]);
            int lo = cm_hexval((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        if (out && o < outlen)
            out[o] = (char)c;
        o++;
    }
    return (long)o;
}

/* True when `raw` (a query key, escaped) decodes exactly to `key`. */
static bool s_key_equal(const char *raw, size_t len, const char *key)
{
    size_t klen = strlen(key);
    char tmp[256];
    if (len > sizeof(tmp) * 3)
        return false; /* an escaped key decodes to at least len/3 bytes: too long to match */
    long n = s_pct_decode(raw, len, true, tmp, sizeof(tmp));
    return n >= 0 && (size_t)n == klen && (size_t)n <= sizeof(tmp) && memcmp(tmp, key, klen) == 0;
}

int cm_http_query_get(const char *query, const char *key, char *out, size_t outlen)
{
    const char *p = query;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', plen);
        size_t klen = eq ? (size_t)(eq - p) : plen;
        if (plen > 0 && s_key_equal(p, klen, key)) {
            const char *v = eq ? eq + 1 : p + plen;
            size_t vlen = eq ? plen - klen - 1 : 0;
            long n = s_pct_decode(v, vlen, true, out, outlen);
            if (n < 0 || n > INT_MAX)
                return -2;
            if (out) {
                if ((size_t)n >= outlen)
                    return -2;
                out[n] = '\0';
            }
            return (int)n;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    return -1;
}

int cm_http_path_decode(const char *path, size_t len, char *out, size_t outlen)
{
    if (outlen == 0)
        return -1;
    long n = s_pct_decode(path, len, false, out, outlen);
    if (n < 0 || (size_t)n >= outlen || n > INT_MAX)
        return -1;
    out[n] = '\0';
    return (int)n;
}

long cm_http_query_uint(const char *query, const char *name, long def, long min, long max)
{
    char v[24];
    int len = cm_http_query_get(query, name, v, sizeof(v));
    if (len == -1)
        return def;
    if (len <= 0 || len > 18)
        return -1;
    long x = 0;
    for (int i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    return x >= min && x <= max ? x : -1;
}
