/* SPDX-License-Identifier: MIT
 * bt_limits: token buckets, the IP blocklist and the start-up HTTP GET (see bt_limits.h).
 *
 * The blocklist keeps IPv4 ranges as pairs of uint32 and IPv6 ranges as pairs of 128-bit
 * numbers (two uint64, big-endian order) in two arrays; bt_blocklist_finish() sorts and merges
 * them (overlapping and adjacent ranges become one), and a lookup is a binary search. An IPv6
 * range that covers part of ::ffff:0:0/96 (IPv4-mapped) also adds that part as an IPv4 range,
 * since mapped addresses are looked up as IPv4. Before finish() a lookup scans linearly. */
#include "cm.h"
#include "bt_limits.h"

#include <fcntl.h>
#include <math.h>
#include <strings.h>
#include <sys/stat.h>
#include <curl/curl.h>

#define BT_BLOCKLIST_TAG 0xb7b10001u

enum {
    S_LINE_TOKEN_MAX = 64,      /* bytes of an address token (INET6_ADDRSTRLEN is 46) */
    S_FETCH_TIMEOUT_MS = 60000, /* bt_load_text: a whole URL fetch */
    S_FETCH_REDIRS = 3,         /* redirects followed */
    S_READ_CHUNK = 64 * 1024,   /* bytes read from a file at a time */
};

/* Longest wait reported (2^52 us, 142 years): doubles are exact to the microsecond below. */
#define S_WAIT_MAX_US ((uint64_t)1 << 52)

/* --- token bucket --- */

/* Tokens earned since the last call, capped at the burst. */
static void s_refill(struct bt_bucket *b, uint64_t now_us)
{
    if (now_us > b->last_us) {
        b->tokens += (double)(now_us - b->last_us) * (double)b->rate / 1e6;
        if (b->tokens > (double)b->burst)
            b->tokens = (double)b->burst;
        b->last_us = now_us;
    }
}

/* A burst of 0 means one second of the rate. */
void bt_bucket_init(struct bt_bucket *b, uint64_t rate, uint64_t burst)
{
    b->rate = rate;
    b->burst = burst ? burst : rate;
    b->tokens = (double)b->burst;
    b->last_us = 0;
}

size_t bt_bucket_take(struct bt_bucket *b, size_t want, uint64_t now_us)
{
    if (b->rate == 0)
        return want;
    s_refill(b, now_us);
    if (b->tokens < 1.0)
        return 0;
    double have = floor(b->tokens);
    size_t grant = have < (double)want ? (size_t)have : want;
    b->tokens -= (double)grant;
    return grant;
}

uint64_t bt_bucket_wait_us(struct bt_bucket *b, size_t want, uint64_t now_us)
{
    if (b->rate == 0)
        return 0;
    s_refill(b, now_us);
    double w = (double)(want < b->burst ? want : b->burst); /* more than a burst never fits */
    if (b->tokens >= w)
        return 0;
    /* The smallest us for which the refill of bt_bucket_take (the same expression) reaches
     * w: start from the exact quotient, then correct the rounding either way. */
    double rate = (double)b->rate;
    double q = ceil((w - b->tokens) * 1e6 / rate);
    if (q >= (double)S_WAIT_MAX_US)
        return S_WAIT_MAX_US;
    uint64_t us = (uint64_t)q;
    while (b->tokens + (double)us * rate / 1e6 < w)
        us++;
    while (us > 1 && b->tokens + (double)(us - 1) * rate / 1e6 >= w)
        us--;
    return us;
}

void bt_bucket_refund(struct bt_bucket *b, size_t n)
{
    if (b->rate == 0)
        return;
    b->tokens += (double)n;
    if (b->tokens > (double)b->burst)
        b->tokens = (double)b->burst;
}

/* --- blocklist --- */

struct s_u128 {
    uint64_t hi; /* bits 127..64 */
    uint64_t lo; /* bits 63..0 */
};

struct s_r4 {
    uint32_t lo, hi; /* inclusive, host order */
};

struct s_r6 {
    struct s_u128 lo, hi; /* inclusive */
};

struct bt_blocklist {
    uint32_t tag;    /* BT_BLOCKLIST_TAG while alive */
    struct s_r4 *v4; /* IPv4 ranges */
    size_t n4, cap4; /* used, allocated */
    struct s_r6 *v6; /* IPv6 ranges */
    size_t n6, cap6; /* used, allocated */
    bool sorted;     /* sorted and merged since the last add */
};

static const struct s_u128 s_mapped_lo = {0, 0x0000ffff00000000ull}; /* ::ffff:0.0.0.0 */
static const struct s_u128 s_mapped_hi = {0, 0x0000ffffffffffffull}; /* ::ffff:255.255.255.255 */

static int s_cmp128(struct s_u128 a, struct s_u128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static struct s_u128 s_u128_from(const uint8_t *b)
{
    struct s_u128 v = {0, 0};
    for (int i = 0; i < 8; i++) {
        v.hi = (v.hi << 8) | b[i];
        v.lo = (v.lo << 8) | b[8 + i];
    }
    return v;
}

bt_blocklist_t *bt_blocklist_new(void)
{
    bt_blocklist_t *bl = cm_calloc(1, sizeof(*bl));
    bl->tag = BT_BLOCKLIST_TAG;
    bl->sorted = true;
    return bl;
}

void bt_blocklist_destroy(bt_blocklist_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bt_blocklist_t *bl = *self_p;
    assert(bl->tag == BT_BLOCKLIST_TAG);
    bl->tag = 0xdeadbeef;
    cm_free(bl->v4);
    cm_free(bl->v6);
    cm_free(bl);
    *self_p = NULL;
}

static int s_add4(bt_blocklist_t *bl, uint32_t lo, uint32_t hi)
{
    if (bl->n4 + bl->n6 >= BT_BLOCKLIST_MAX)
        return -1;
    if (bl->n4 == bl->cap4) {
        bl->cap4 = bl->cap4 ? bl->cap4 * 2 : 256;
        bl->v4 = cm_realloc(bl->v4, sizeof(*bl->v4) * bl->cap4);
    }
    bl->v4[bl->n4].lo = lo;
    bl->v4[bl->n4].hi = hi;
    bl->n4++;
    bl->sorted = false;
    return 0;
}

/* An IPv6 range; the part inside ::ffff:0:0/96 goes to the IPv4 ranges, and the range itself
 * is kept unless it lies entirely inside. */
static int s_add6(bt_blocklist_t *bl, struct s_u128 lo, struct s_u128 hi)
{
    struct s_u128 mlo = s_cmp128(lo, s_mapped_lo) > 0 ? lo : s_mapped_lo;
    struct s_u128 mhi = s_cmp128(hi, s_mapped_hi) < 0 ? hi : s_mapped_hi;
    if (s_cmp128(mlo, mhi) <= 0) {
        if (s_add4(bl, (uint32_t)mlo.lo, (uint32_t)mhi.lo) < 0)
            return -1;
        if (s_cmp128(mlo, lo) == 0 && s_cmp128(mhi, hi) == 0)
            return 0;
    }
    if (bl->n4 + bl->n6 >= BT_BLOCKLIST_MAX)
        return -1;
    if (bl->n6 == bl->cap6) {
        bl->cap6 = bl->cap6 ? bl->cap6 * 2 : 64;
        bl->v6 = cm_realloc(bl->v6, sizeof(*bl->v6) * bl->cap6);
    }
    bl->v6[bl->n6].lo = lo;
    bl->v6[bl->n6].hi = hi;
    bl->n6++;
    bl->sorted = false;
    return 0;
}

/* A parsed address: family AF_INET (v4) or AF_INET6 (v6). */
struct s_addr {
    int family;
    uint32_t v4;
    struct s_u128 v6;
};

static bool s_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Every one of the `len` bytes at s is in `set` (s need not be NUL-terminated). */
static bool s_all_of(const char *s, size_t len, const char *set)
{
    for (size_t i = 0; i < len; i++)
        if (!s[i] || !strchr(set, s[i]))
            return false;
    return true;
}

/* Trim [*s, *s + *len) of spaces on both ends. */
static void s_trim(const char **s, size_t *len)
{
    while (*len && s_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && s_space((*s)[*len - 1]))
        (*len)--;
}

/* Parse one address (spaces around it tolerated). IPv4 octets may carry leading zeros
 * ("001.002.003.004", as some lists write them): they are dropped before inet_pton, which
 * refuses them. */
static bool s_parse_addr(const char *s, size_t len, struct s_addr *a)
{
    char buf[S_LINE_TOKEN_MAX];
    s_trim(&s, &len);
    if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len))
        return false;
    if (s_all_of(s, len, "0123456789.")) {
        size_t o = 0;
        for (size_t i = 0; i < len;) {
            size_t j = i;
            while (j < len && s[j] != '.')
                j++;
            size_t k = i;
            while (k + 1 < j && s[k] == '0') /* keep one digit */
                k++;
            memcpy(buf + o, s + k, j - k);
            o += j - k;
            if (j < len)
                buf[o++] = '.';
            i = j + 1;
        }
        buf[o] = '\0';
        uint8_t b[4];
        if (inet_pton(AF_INET, buf, b) != 1)
            return false;
        a->family = AF_INET;
        a->v4 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        return true;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    uint8_t b[16];
    if (inet_pton(AF_INET6, buf, b) != 1)
        return false;
    a->family = AF_INET6;
    a->v6 = s_u128_from(b);
    return true;
}

/* Add the range [a, b] (same family, a <= b). 0, -1 malformed, -2 cap. */
static int s_add_range(bt_blocklist_t *bl, const struct s_addr *a, const struct s_addr *b)
{
    if (a->family != b->family)
        return -1;
    if (a->family == AF_INET) {
        if (a->v4 > b->v4)
            return -1;
        return s_add4(bl, a->v4, b->v4) < 0 ? -2 : 0;
    }
    if (s_cmp128(a->v6, b->v6) > 0)
        return -1;
    return s_add6(bl, a->v6, b->v6) < 0 ? -2 : 0;
}

/* "addr/prefix". 0 added, 1 not CIDR (the address does not parse), -1 malformed, -2 cap. */
static int s_line_cidr(bt_blocklist_t *bl, const char *s, size_t len)
{
    const char *slash = memrchr(s, '/', len);
    if (!slash)
        return 1;
    struct s_addr a;
    if (!s_parse_addr(s, (size_t)(slash - s), &a))
        return 1;
    const char *d = slash + 1;
    size_t dlen = len - (size_t)(d - s);
    s_trim(&d, &dlen);
    if (dlen == 0 || dlen > 3 || !s_all_of(d, dlen, "0123456789"))
        return -1;
    unsigned prefix = 0;
    for (size_t i = 0; i < dlen; i++)
        prefix = prefix * 10 + (unsigned)(d[i] - '0');
    struct s_addr lo = a, hi = a;
    if (a.family == AF_INET) {
        if (prefix > 32)
            return -1;
        uint32_t mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
        lo.v4 = a.v4 & mask;
        hi.v4 = a.v4 | ~mask;
    } else {
        if (prefix > 128)
            return -1;
        uint64_t mhi = prefix >= 64 ? ~0ull : prefix == 0 ? 0 : ~0ull << (64 - prefix);
        uint64_t mlo = prefix <= 64 ? 0 : prefix == 128 ? ~0ull : ~0ull << (128 - prefix);
        lo.v6.hi = a.v6.hi & mhi;
        lo.v6.lo = a.v6.lo & mlo;
        hi.v6.hi = a.v6.hi | ~mhi;
        hi.v6.lo = a.v6.lo | ~mlo;
    }
    return s_add_range(bl, &lo, &hi);
}

/* "a-b": 0 added, 1 not a range of two addresses, -1 malformed (start > end), -2 cap. */
static int s_line_range(bt_blocklist_t *bl, const char *s, size_t len)
{
    const char *dash = memchr(s, '-', len);
    if (!dash || memchr(dash + 1, '-', len - (size_t)(dash + 1 - s)))
        return 1;
    struct s_addr a, b;
    if (!s_parse_addr(s, (size_t)(dash - s), &a) ||
        !s_parse_addr(dash + 1, len - (size_t)(dash + 1 - s), &b) || a.family != b.family)
        return 1;
    return s_add_range(bl, &a, &b);
}

/* One line. 0 added or nothing to add, -1 malformed, -2 cap. */
static int s_line(bt_blocklist_t *bl, const char *s, size_t len)
{
    s_trim(&s, &len);
    if (len == 0 || s[0] == '#')
        return 0;
    int rc = s_line_cidr(bl, s, len);
    if (rc <= 0)
        return rc;
    struct s_addr a;
    if (s_parse_addr(s, len, &a))
        return s_add_range(bl, &a, &a);
    rc = s_line_range(bl, s, len); /* "a-b" without a description, IPv6 included */
    if (rc <= 0)
        return rc;
    /* PeerGuardian: "description:a.b.c.d-e.f.g.h"; the description may hold ':'. */
    const char *colon = memrchr(s, ':', len);
    if (!colon)
        return -1;
    const char *r = colon + 1;
    rc = s_line_range(bl, r, len - (size_t)(r - s));
    return rc == 1 ? -1 : rc;
}

int bt_blocklist_add_text(bt_blocklist_t *bl, const char *text, size_t len, size_t *bad)
{
    size_t nbad = 0;
    int rc = 0;
    const char *end = text + len;
    for (const char *s = text; len && s < end;) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        int r = s_line(bl, s, (size_t)(e - s));
        if (r == -1)
            nbad++;
        if (r == -2) {
            rc = -1;
            break;
        }
        s = nl ? nl + 1 : end;
    }
    if (bad)
        *bad = nbad;
    return rc;
}

static int s_cmp_r4(const void *a, const void *b)
{
    const struct s_r4 *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->hi < y->hi ? -1 : x->hi > y->hi;
}

static int s_cmp_r6(const void *a, const void *b)
{
    const struct s_r6 *x = a, *y = b;
    int c = s_cmp128(x->lo, y->lo);
    return c ? c : s_cmp128(x->hi, y->hi);
}

void bt_blocklist_finish(bt_blocklist_t *bl)
{
    if (bl->sorted)
        return;
    if (bl->n4) {
        qsort(bl->v4, bl->n4, sizeof(*bl->v4), s_cmp_r4);
        size_t o = 0;
        for (size_t i = 1; i < bl->n4; i++) {
            struct s_r4 *cur = &bl->v4[o];
            if ((uint64_t)bl->v4[i].lo <= (uint64_t)cur->hi + 1) { /* overlapping or adjacent */
                if (bl->v4[i].hi > cur->hi)
                    cur->hi = bl->v4[i].hi;
            } else {
                bl->v4[++o] = bl->v4[i];
            }
        }
        bl->n4 = o + 1;
    }
    if (bl->n6) {
        qsort(bl->v6, bl->n6, sizeof(*bl->v6), s_cmp_r6);
        size_t o = 0;
        for (size_t i = 1; i < bl->n6; i++) {
            struct s_r6 *cur = &bl->v6[o];
            struct s_u128 next = cur->hi; /* cur->hi + 1, or cur->hi when it is the maximum */
            if (next.lo != ~0ull)
                next.lo++;
            else if (next.hi != ~0ull) {
                next.lo = 0;
                next.hi++;
            }
            if (s_cmp128(bl->v6[i].lo, next) <= 0) {
                if (s_cmp128(bl->v6[i].hi, cur->hi) > 0)
                    cur->hi = bl->v6[i].hi;
            } else {
                bl->v6[++o] = bl->v6[i];
            }
        }
        bl->n6 = o + 1;
    }
    bl->sorted = true;
}

static bool s_match4(const bt_blocklist_t *bl, uint32_t x)
{
    if (!bl->sorted) {
        for (size_t i = 0; i < bl->n4; i++)
            if (bl->v4[i].lo <= x && x <= bl->v4[i].hi)
                return true;
        return false;
    }
    size_t lo = 0, hi = bl->n4; /* first range with lo > x */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bl->v4[mid].lo <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && x <= bl->v4[lo - 1].hi;
}

static bool s_match6(const bt_blocklist_t *bl, struct s_u128 x)
{
    if (!bl->sorted) {
        for (size_t i = 0; i < bl->n6; i++)
            if (s_cmp128(bl->v6[i].lo, x) <= 0 && s_cmp128(x, bl->v6[i].hi) <= 0)
                return true;
        return false;
    }
    size_t lo = 0, hi = bl->n6;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s_cmp128(bl->v6[mid].lo, x) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && s_cmp128(x, bl->v6[lo - 1].hi) <= 0;
}

bool bt_blocklist_match(const bt_blocklist_t *bl, const struct sockaddr *sa)
{
    if (!bl || !sa)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        return s_match4(bl, ntohl(sin->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        const uint8_t *b = sin6->sin6_addr.s6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
            return s_match4(bl, (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
                                    (uint32_t)b[14] << 8 | b[15]);
        return s_match6(bl, s_u128_from(b));
    }
    return false;
}

size_t bt_blocklist_count(const bt_blocklist_t *bl)
{
    return bl->n4 + bl->n6;
}

int bt_blocklist_load(bt_blocklist_t *bl, const char *path_or_url, char *err, size_t errlen)
{
    int rc = -1;
    cm_buf_t *buf = cm_buf_new(BT_FETCH_MAX);
    if (bt_load_text(path_or_url, BT_FETCH_MAX, buf, err, errlen) < 0)
        goto out;
    const unsigned char *d = cm_buf_data(buf);
    size_t len = cm_buf_len(buf);
    if (len >= 2 && d[0] == 0x1f && d[1] == 0x8b) {
        snprintf(err, errlen, "the blocklist is gzip-compressed: give the uncompressed list");
        goto out;
    }
    size_t before = bt_blocklist_count(bl), bad = 0;
    if (bt_blocklist_add_text(bl, (const char *)d, len, &bad) < 0) {
        snprintf(err, errlen, "the blocklist has more than %d ranges", (int)BT_BLOCKLIST_MAX);
        goto out;
    }
    if (bad)
        cm_log_w("blocklist", 0, "%zu malformed lines skipped", bad);
    cm_log_i("blocklist", 0, "%zu ranges added from %zu bytes", bt_blocklist_count(bl) - before,
             len);
    rc = 0;
out:
    cm_buf_destroy(&buf);
    return rc;
}

/* --- HTTP GET --- */

static bool s_is_http(const char *s)
{
    return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

struct s_fetch {
    cm_buf_t *body; /* capped at `max` */
    bool too_big;   /* the cap stopped the transfer */
};

static size_t s_on_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct s_fetch *f = arg;
    size_t n = size * nmemb;
    if (cm_buf_append(f->body, ptr, n) < 0) {
        f->too_big = true;
        return 0; /* aborts with CURLE_WRITE_ERROR */
    }
    return n;
}

int bt_fetch(const char *url, size_t max, int timeout_ms, cm_buf_t *out, char *err, size_t errlen)
{
    int rc = -1;
    CURL *c = NULL;
    struct s_fetch f = {cm_buf_new(max), false};
    char cerr[CURL_ERROR_SIZE] = "";
    if (!url || !s_is_http(url)) {
        snprintf(err, errlen, "only http:// and https:// URLs can be fetched");
        goto out;
    }
    c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "cannot start libcurl");
        goto out;
    }
    if (timeout_ms <= 0)
        timeout_ms = S_FETCH_TIMEOUT_MS;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)S_FETCH_REDIRS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);     /* status >= 400: no body, an error */
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* the cap applies to decoded bytes */
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "marquee-torrent-worker");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
    CURLcode res = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if ((res == CURLE_WRITE_ERROR && f.too_big) || res == CURLE_FILESIZE_EXCEEDED) {
        snprintf(err, errlen, "the response is larger than %zu bytes", max);
    } else if (res == CURLE_HTTP_RETURNED_ERROR) {
        snprintf(err, errlen, "HTTP status %ld", status);
    } else if (res == CURLE_OPERATION_TIMEDOUT) {
        snprintf(err, errlen, "no complete response within %d ms", timeout_ms);
    } else if (res == CURLE_TOO_MANY_REDIRECTS) {
        snprintf(err, errlen, "more than %d redirects", (int)S_FETCH_REDIRS);
    } else if (res == CURLE_UNSUPPORTED_PROTOCOL) {
        snprintf(err, errlen, "redirected to a protocol other than http or https");
    } else if (res != CURLE_OK) {
        snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(res));
    } else if (status < 200 || status > 299) {
        snprintf(err, errlen, "HTTP status %ld", status);
    } else if (cm_buf_append(out, cm_buf_data(f.body), cm_buf_len(f.body)) < 0) {
        snprintf(err, errlen, "the response (%zu bytes) does not fit", cm_buf_len(f.body));
    } else {
        rc = 0;
    }
out:
    if (c)
        curl_easy_cleanup(c);
    cm_buf_destroy(&f.body);
    return rc;
}

int bt_load_text(const char *path_or_url, size_t max, cm_buf_t *out, char *err, size_t errlen)
{
    if (!path_or_url || !*path_or_url) {
        snprintf(err, errlen, "no file or URL given");
        return -1;
    }
    if (s_is_http(path_or_url))
        return bt_fetch(path_or_url, max, S_FETCH_TIMEOUT_MS, out, err, errlen);

    int rc = -1;
    cm_buf_t *body = NULL;
    char *chunk = NULL;
    int fd = open(path_or_url, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path_or_url, strerror(errno));
        goto out;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "cannot stat %s: %s", path_or_url, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path_or_url);
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        snprintf(err, errlen, "%s is larger than %zu bytes", path_or_url, max);
        goto out;
    }
    body = cm_buf_new(max); /* the file may grow while we read: the cap still holds */
    chunk = cm_malloc(S_READ_CHUNK);
    for (;;) {
        ssize_t n = read(fd, chunk, S_READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "cannot read %s: %s", path_or_url, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (cm_buf_append(body, chunk, (size_t)n) < 0) {
            snprintf(err, errlen, "%s is larger than %zu bytes", path_or_url, max);
            goto out;
        }
    }
    if (cm_buf_append(out, cm_buf_data(body), cm_buf_len(body)) < 0) {
        snprintf(err, errlen, "%s (%zu bytes) does not fit", path_or_url, cm_buf_len(body));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    cm_free(chunk);
    cm_buf_destroy(&body);
    return rc;
}
