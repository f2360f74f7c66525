/* SPDX-License-Identifier: MIT
 * strm_range: Range, If-Range, Content-Range, multipart/byteranges framing, Content-Type and
 * ETag for the stream-proxy, without I/O. The policy is written in strm_range.h. */
#include "cm.h"
#include "cm_token.h"
#include "strm_range.h"

/* --- lexing helpers: ASCII only, never the locale --- */

static bool s_ows(char c)
{
    return c == ' ' || c == '\t';
}

static const char *s_skip_ows(const char *p)
{
    while (s_ows(*p))
        p++;
    return p;
}

static bool s_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char s_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* `n` bytes of `a` equal the lower-case ASCII `lower`, case-insensitively. */
static bool s_ieq(const char *a, const char *lower, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] == '\0' || s_lower(a[i]) != lower[i])
            return false;
    return true;
}

/* 1*DIGIT at *pp, leading zeros allowed, into *out; advances *pp. -1 when there is no digit or
 * the value exceeds UINT64_MAX (the whole header is then invalid: CVE-2017-7529 was a
 * suffix computed from an unchecked number). */
static int s_number(const char **pp, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;
    if (!s_digit(*p))
        return -1;
    for (; s_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *pp = p;
    *out = v;
    return 0;
}

/* --- Range --- */

/* One spec at *pp (not OWS, not ',', not NUL). On success advances *pp past it and its
 * trailing OWS, sets *sat and, when satisfiable, *r clamped to [0, size). -1 on a syntax
 * error or last < first. */
static int s_spec(const char **pp, uint64_t size, struct strm_range *r, bool *sat)
{
    const char *p = *pp;
    uint64_t first, last;
    if (*p == '-') { /* suffix-range: the final N bytes */
        uint64_t suffix;
        p = s_skip_ows(p + 1);
        if (s_number(&p, &suffix) < 0)
            return -1;
        *sat = suffix > 0 && size > 0;
        if (*sat) {
            r->first = suffix >= size ? 0 : size - suffix;
            r->last = size - 1;
        }
    } else {
        if (s_number(&p, &first) < 0)
            return -1;
        p = s_skip_ows(p);
        if (*p != '-')
            return -1;
        p = s_skip_ows(p + 1);
        last = UINT64_MAX;
        if (s_digit(*p)) {
            if (s_number(&p, &last) < 0 || last < first)
                return -1;
        }
        *sat = first < size;
        if (*sat) {
            r->first = first;
            r->last = last >= size ? size - 1 : last;
        }
    }
    *pp = s_skip_ows(p);
    return 0;
}

/* Sort by first byte (insertion sort: at most STRM_RANGE_SPECS_MAX elements), then merge
 * overlapping and adjacent ranges in place. Returns the number left. */
static size_t s_coalesce(struct strm_range *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct strm_range x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1].first > x.first; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        /* last < size <= UINT64_MAX, so last + 1 cannot wrap. */
        if (out > 0 && v[i].first <= v[out - 1].last + 1) {
            if (v[i].last > v[out - 1].last)
                v[out - 1].last = v[i].last;
        } else {
            v[out++] = v[i];
        }
    }
    return out;
}

static int s_plan(struct strm_range_plan *out, int kind)
{
    out->kind = kind;
    if (kind == STRM_RANGE_NONE || kind == STRM_RANGE_UNSATISFIABLE)
        out->n = 0;
    return kind;
}

int strm_range_parse(const char *header, uint64_t size, struct strm_range_plan *out)
{
    struct strm_range spec[STRM_RANGE_SPECS_MAX]; /* the satisfiable ones, clamped */
    size_t nspec = 0, nsat = 0;
    memset(out, 0, sizeof(*out));
    if (header == NULL)
        return s_plan(out, STRM_RANGE_NONE);
    const char *p = s_skip_ows(header);
    if (!s_ieq(p, "bytes", 5) || p[5] != '=')
        return s_plan(out, STRM_RANGE_NONE);
    p += 6;
    for (;;) {
        p = s_skip_ows(p);
        if (*p == ',') { /* an empty list element */
            p++;
            continue;
        }
        if (*p == '\0')
            break;
        if (++nspec > STRM_RANGE_SPECS_MAX)
            return s_plan(out, STRM_RANGE_NONE);
        bool sat = false;
        if (s_spec(&p, size, &spec[nsat], &sat) < 0)
            return s_plan(out, STRM_RANGE_NONE);
        if (sat)
            nsat++;
        if (*p == ',')
            p++;
        else if (*p != '\0')
            return s_plan(out, STRM_RANGE_NONE);
    }
    if (nspec == 0)
        return s_plan(out, STRM_RANGE_NONE);
    if (nsat == 0)
        return s_plan(out, STRM_RANGE_UNSATISFIABLE);
    size_t n = s_coalesce(spec, nsat);
    if (n > STRM_RANGES_MAX)
        return s_plan(out, STRM_RANGE_NONE);
    memcpy(out->r, spec, n * sizeof(spec[0]));
    out->n = n;
    return s_plan(out, n == 1 ? STRM_RANGE_ONE : STRM_RANGE_MULTI);
}

int strm_range_status(int kind)
{
    switch (kind) {
    case STRM_RANGE_ONE:
    case STRM_RANGE_MULTI:
        return 206;
    case STRM_RANGE_UNSATISFIABLE:
        return 416;
    default:
        return 200;
    }
}

/* --- HTTP-date (RFC 9110 §5.6.7), the three forms recipients must accept --- */

static const char *const s_days[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const s_days_long[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                           "Friday", "Saturday", "Sunday"};
static const char *const s_months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* The literal `lit` at *pp (case-sensitive, as HTTP-date is): advance and return true. */
static bool s_lit(const char **pp, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*pp, lit, n) != 0)
        return false;
    *pp += n;
    return true;
}

/* Exactly `n` digits at *pp. */
static bool s_digits(const char **pp, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!s_digit((*pp)[i]))
            return false;
        v = v * 10 + ((*pp)[i] - '0');
    }
    *pp += n;
    *out = v;
    return true;
}

static bool s_name(const char **pp, const char *const *names, int count, int *out)
{
    for (int i = 0; i < count; i++)
        if (s_lit(pp, names[i])) {
            *out = i;
            return true;
        }
    return false;
}

/* "HH:MM:SS" */
static bool s_clock(const char **pp, int *h, int *m, int *s)
{
    return s_digits(pp, 2, h) && s_lit(pp, ":") && s_digits(pp, 2, m) && s_lit(pp, ":") &&
           s_digits(pp, 2, s) && *h < 24 && *m < 60 && *s < 60;
}

static bool s_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (m 1..12), proleptic Gregorian (H. Hinnant's days_from_civil). */
static int64_t s_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The whole of [p, end) as an HTTP-date, in seconds since the epoch. */
static bool s_http_date(const char *p, const char *end, int64_t *out)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int wd, d, mon, y, h, mi, s;
    if (end - p > 40) /* the longest form, rfc850 with "Wednesday", is 33 */
        return false;
    char buf[48];
    memcpy(buf, p, (size_t)(end - p));
    buf[end - p] = '\0';
    const char *q = buf;
    if (!s_name(&q, s_days, 7, &wd))
        return false;
    if (*q == ',') { /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
        if (!(s_lit(&q, ", ") && s_digits(&q, 2, &d) && s_lit(&q, " ") &&
              s_name(&q, s_months, 12, &mon) && s_lit(&q, " ") && s_digits(&q, 4, &y) &&
              s_lit(&q, " ") && s_clock(&q, &h, &mi, &s) && s_lit(&q, " GMT")))
            return false;
    } else if (*q == ' ') { /* asctime: "Sun Nov  6 08:49:37 1994" */
        q++;
        if (!s_name(&q, s_months, 12, &mon) || !s_lit(&q, " "))
            return false;
        if (*q == ' ') {
            q++;
            if (!s_digits(&q, 1, &d))
                return false;
        } else if (!s_digits(&q, 2, &d)) {
            return false;
        }
        if (!(s_lit(&q, " ") && s_clock(&q, &h, &mi, &s) && s_lit(&q, " ") && s_digits(&q, 4, &y)))
            return false;
    } else { /* rfc850: "Sunday, 06-Nov-94 08:49:37 GMT" */
        q = buf;
        if (!(s_name(&q, s_days_long, 7, &wd) && s_lit(&q, ", ") && s_digits(&q, 2, &d) &&
              s_lit(&q, "-") && s_name(&q, s_months, 12, &mon) && s_lit(&q, "-") &&
              s_digits(&q, 2, &y) && s_lit(&q, " ") && s_clock(&q, &h, &mi, &s) &&
              s_lit(&q, " GMT")))
            return false;
        y += y < 70 ? 2000 : 1900;
    }
    if (*q != '\0')
        return false;
    int dim = mdays[mon] + (mon == 1 && s_leap(y));
    if (d < 1 || d > dim)
        return false;
    *out = s_days_from_civil(y, mon + 1, d) * 86400 + h * 3600 + mi * 60 + s;
    return true;
}

/* A whole entity-tag: DQUOTE *etagc DQUOTE (etagc = %x21 / %x23-7E / obs-text). */
static bool s_opaque_tag(const char *p, size_t n)
{
    if (n < 2 || p[0] != '"' || p[n - 1] != '"')
        return false;
    for (size_t i = 1; i + 1 < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!(c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80))
            return false;
    }
    return true;
}

bool strm_range_if_range(const char *if_range, const char *etag, int64_t last_modified)
{
    if (if_range == NULL)
        return true;
    const char *b = s_skip_ows(if_range);
    const char *e = b + strlen(b);
    while (e > b && s_ows(e[-1]))
        e--;
    size_t n = (size_t)(e - b);
    /* §13.1.5: a DQUOTE in the first three characters tells an entity-tag from a date. */
    if (n > 0 && b[0] == '"') {
        if (etag == NULL || !s_opaque_tag(b, n))
            return false;
        return strlen(etag) == n && memcmp(etag, b, n) == 0;
    }
    if (n >= 2 && b[0] == 'W' && b[1] == '/')
        return false; /* weak validators never pass the strong comparison */
    int64_t t;
    if (last_modified <= 0 || !s_http_date(b, e, &t))
        return false;
    return t == last_modified;
}

/* --- Content-Range and multipart framing --- */

static size_t s_len(int n)
{
    return n < 0 ? 0 : (size_t)n;
}

size_t strm_range_content_range(char *out, size_t size, const struct strm_range *r, uint64_t total)
{
    return s_len(
        snprintf(out, size, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, r->first, r->last, total));
}

size_t strm_range_unsatisfied(char *out, size_t size, uint64_t total)
{
    return s_len(snprintf(out, size, "bytes */%" PRIu64, total));
}

void strm_multipart_boundary(char out[STRM_BOUNDARY_SIZE])
{
    cm_rand_hex(out, (STRM_BOUNDARY_SIZE - 1) / 2);
}

#define S_HEAD_FMT                                                                                 \
    "\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64        \
    "\r\n\r\n"
#define S_TAIL_FMT "\r\n--%s--\r\n"

size_t strm_multipart_part_head(char *out, size_t size, const char *boundary,
                                const char *content_type, const struct strm_range *r,
                                uint64_t total)
{
    return s_len(snprintf(out, size, S_HEAD_FMT, boundary, content_type, r->first, r->last, total));
}

size_t strm_multipart_tail(char *out, size_t size, const char *boundary)
{
    return s_len(snprintf(out, size, S_TAIL_FMT, boundary));
}

static uint64_t s_ndigits(uint64_t v)
{
    uint64_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static uint64_t s_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t strm_multipart_length(const struct strm_range_plan *p, const char *boundary,
                               const char *content_type, uint64_t total)
{
    /* The fixed text of a head: "\r\n--" "\r\nContent-Type: " "\r\nContent-Range: bytes " "-"
     * "/" "\r\n\r\n"; of the tail: "\r\n--" "--\r\n". */
    static const uint64_t head_fixed = 4 + 16 + 23 + 1 + 1 + 4, tail_fixed = 4 + 4;
    uint64_t blen = strlen(boundary), ctlen = strlen(content_type);
    uint64_t head = head_fixed + blen + ctlen + s_ndigits(total);
    uint64_t len = tail_fixed + blen;
    for (size_t i = 0; i < p->n && i < STRM_RANGES_MAX; i++) {
        const struct strm_range *r = &p->r[i];
        len = s_add(len, head + s_ndigits(r->first) + s_ndigits(r->last));
        len = s_add(len, strm_range_length(r));
    }
    return len;
}

/* --- Content-Type and ETag --- */

/* Extension -> type. Kept to what torrents carry; never a type a browser would execute. */
static const struct {
    const char *ext;  /* lower case, without the dot */
    const char *type; /* the Content-Type we send */
    bool video;       /* a candidate for "the largest video file" */
} s_types[] = {
    {"mp4", "video/mp4", true},
    {"m4v", "video/mp4", true},
    {"mkv", "video/x-matroska", true},
    {"webm", "video/webm", true},
    {"avi", "video/x-msvideo", true},
    {"mov", "video/quicktime", true},
    {"ts", "video/mp2t", true},
    {"m2ts", "video/mp2t", true},
    {"mts", "video/mp2t", true},
    {"mpg", "video/mpeg", true},
    {"mpeg", "video/mpeg", true},
    {"vob", "video/mpeg", true},
    {"wmv", "video/x-ms-wmv", true},
    {"flv", "video/x-flv", true},
    {"ogv", "video/ogg", true},
    {"3gp", "video/3gpp", true},
    {"srt", "application/x-subrip", false},
    {"vtt", "text/vtt", false},
    {"ass", "text/x-ssa", false},
    {"ssa", "text/x-ssa", false},
    {"mp3", "audio/mpeg", false},
    {"m4a", "audio/mp4", false},
    {"flac", "audio/flac", false},
    {"aac", "audio/aac", false},
    {"ogg", "audio/ogg", false},
    {"oga", "audio/ogg", false},
    {"opus", "audio/ogg", false},
    {"wav", "audio/wav", false},
    {"mka", "audio/x-matroska", false},
    {"ac3", "audio/ac3", false},
    {"jpg", "image/jpeg", false},
    {"jpeg", "image/jpeg", false},
    {"png", "image/png", false},
    {"gif", "image/gif", false},
    {"webp", "image/webp", false},
    {"txt", "text/plain", false},
    {"nfo", "text/plain", false},
};

/* The table index for the name's extension, or -1. */
static int s_type_index(const char *name)
{
    if (name == NULL)
        return -1;
    const char *dot = NULL;
    for (const char *p = name; *p; p++) {
        if (*p == '/' || *p == '\\')
            dot = NULL;
        else if (*p == '.')
            dot = p;
    }
    if (dot == NULL)
        return -1;
    const char *ext = dot + 1;
    size_t n = strlen(ext);
    for (size_t i = 0; i < CM_ARRAY_LEN(s_types); i++)
        if (strlen(s_types[i].ext) == n && s_ieq(ext, s_types[i].ext, n))
            return (int)i;
    return -1;
}

const char *strm_content_type(const char *name)
{
    int i = s_type_index(name);
    return i < 0 ? "application/octet-stream" : s_types[i].type;
}

bool strm_is_video(const char *name)
{
    int i = s_type_index(name);
    return i >= 0 && s_types[i].video;
}

void strm_etag(char out[STRM_ETAG_SIZE], const char *info_hash, uint32_t file, uint64_t size)
{
    /* "strm-etag-1" NUL lower(info_hash) NUL file (4 bytes BE) size (8 bytes BE): the NUL
     * separators keep the encoding unambiguous; the version string lets the scheme change. */
    enum { HASH_MAX = 128 };
    static const char tag[] = "strm-etag-1";
    unsigned char buf[sizeof(tag) + HASH_MAX + 1 + 12];
    size_t n = 0;
    memcpy(buf, tag, sizeof(tag));
    n += sizeof(tag);
    for (size_t i = 0; info_hash && info_hash[i] && i < HASH_MAX; i++)
        buf[n++] = (unsigned char)s_lower(info_hash[i]);
    buf[n++] = '\0';
    for (int i = 3; i >= 0; i--)
        buf[n++] = (unsigned char)(file >> (8 * i));
    for (int i = 7; i >= 0; i--)
        buf[n++] = (unsigned char)(size >> (8 * i));
    char hex[65];
    cm_sha256_hex(buf, n, hex);
    out[0] = '"';
    memcpy(out + 1, hex, 16);
    out[17] = '"';
    out[18] = '\0';
}
