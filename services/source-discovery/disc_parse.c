/* SPDX-License-Identifier: MIT
 * disc_parse: the YTS and TheRARBG JSON answers turned into bounded plain data (see
 * disc_parse.h). The bytes go through three gates before jansson sees them: the size cap,
 * invalid UTF-8 replaced by '?' (so one Latin-1 byte in a name costs a character, not the
 * whole answer: jansson refuses invalid UTF-8), and a bracket pre-scan against
 * DISC_PARSE_DEPTH_MAX (jansson recurses once per level up to 2048). Integers are decoded as
 * reals, so a 30-digit "seeds" is a number we clamp rather than a parse error; every value
 * we keep fits a double exactly (sizes < 2^40, times < 2^33). Any top-level value is decoded
 * so that `42` is reported as "not a JSON object" rather than as a syntax error. */
#include "cm.h"
#include <math.h>
#include "cm_json.h"
#include "bt_metainfo.h"
#include "disc_parse.h"

#define S_MOD "provider"

enum {
    S_SAMPLE_MAX = 80,        /* characters of an answer quoted in a log line or err */
    S_TORRENTS_FIRST = 16,    /* first allocation of the torrent array */
    S_YEAR_MIN = 1870,        /* plausible release years */
    S_YEAR_MAX = 2100,        /*   (the catalog's own range is wider) */
    S_RUNTIME_MAX_MIN = 1440, /* runtimes over a day are not believed */
    S_EPISODE_MAX = 9999,     /* season and episode numbers */
    S_BIT_DEPTH_MAX = 16,     /* video bit depth */
    S_NUMSTR_MAX = 64,        /* bytes of a number written as a string */
    S_YTS_NAME_BUF = 1024,    /* scratch for the built YTS name (cut to NAME_MAX later) */
};

/* Unix times after this (2100-01-01) are not believed. */
#define S_TIME_MAX INT64_C(4102444800)

/* One parse in progress: where items go and how many warnings were said. */
struct s_ctx {
    struct disc_parsed *out; /* the result being filled */
    const char *provider;    /* "YTS" or "TheRARBG", for the log */
    size_t warned;           /* warnings for this answer, logged or not */
    size_t items;            /* items looked at, against DISC_PARSE_ITEMS_MAX */
    size_t *owner;           /* posts only: the movie of each torrent, before regrouping */
};

/* --- text --- */

/* True for the C0 and C1 control characters and DEL. */
static bool s_is_ctrl(const unsigned char *p, size_t n)
{
    if (n == 1)
        return p[0] < 0x20 || p[0] == 0x7f;
    return n == 2 && p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
}

/* Copy `n` bytes of `s` into `dst` (`size` > 0) as text: invalid UTF-8 becomes '?', tabs and
 * line breaks become spaces, other control characters (C0, DEL, C1) go, leading and trailing
 * spaces go, runs of spaces become one, and a cut at `size` falls on a character boundary.
 * Returns the length written. */
static size_t s_text(char *dst, size_t size, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, i = 0;
    while (i < n) {
        size_t k = cm_utf8_seq(p + i, n - i);
        const unsigned char *c = p + i;
        unsigned char q = '?';
        if (k == 0) {
            c = &q;
            k = 1;
            i++;
        } else {
            i += k;
        }
        if (k == 1 && (c[0] == '\t' || c[0] == '\n' || c[0] == '\r')) {
            q = ' ';
            c = &q;
        } else if (s_is_ctrl(c, k)) {
            continue;
        }
        if (c[0] == ' ' && (o == 0 || dst[o - 1] == ' '))
            continue; /* no leading spaces, runs of spaces become one */
        if (o + k >= size)
            break;
        memcpy(dst + o, c, k);
        o += k;
    }
    while (o > 0 && dst[o - 1] == ' ')
        o--;
    dst[o] = '\0';
    return o;
}

/* Append to `buf` (`size` bytes, `*len` used); a cut leaves `*len` at size - 1. */
static void CM_PRINTF(4, 5) s_appendf(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    if (*len + 1 >= size)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

/* The string member `key` of `o`, or NULL (absent, null or not a string). */
static const char *s_str(const json_t *o, const char *key, size_t *len_out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return NULL;
    *len_out = json_string_length(v);
    return json_string_value(v);
}

/* Copy the string member `key` of `o` as text into `dst`. Returns its length (0 if none). */
static size_t s_copy(char *dst, size_t size, const json_t *o, const char *key)
{
    size_t n = 0;
    const char *s = s_str(o, key, &n);
    dst[0] = '\0';
    return s ? s_text(dst, size, s, n) : 0;
}

/* Copy the string member `key` of `o` into `dst` when it is a token of 1..size-1 characters
 * from [A-Za-z0-9._+-] (a quality, codec, channel layout); else "". */
static void s_token(char *dst, size_t size, const json_t *o, const char *key)
{
    size_t n = 0;
    const char *s = s_str(o, key, &n);
    dst[0] = '\0';
    if (!s || n == 0 || n >= size)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == '_' || c == '+' || c == '-'))
            return;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Copy `s` (`n` bytes) into `dst` when it is a URL of one of the `nschemes` schemes (any
 * case), with a host, of printable ASCII without spaces, shorter than `size`. Else "". */
static bool s_url(char *dst, size_t size, const char *s, size_t n, const char *const *schemes,
                  size_t nschemes)
{
    dst[0] = '\0';
    if (!s || n == 0 || n >= size)
        return false;
    bool scheme_ok = false;
    for (size_t i = 0; i < nschemes && !scheme_ok; i++) {
        size_t k = strlen(schemes[i]);
        scheme_ok = n > k && strncasecmp(s, schemes[i], k) == 0 && s[k] != '/' && s[k] != ':';
    }
    if (!scheme_ok)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\')
            return false;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

static const char *const s_web[] = {"http://", "https://"};
static const char *const s_announce[] = {"udp://", "http://", "https://"};

/* The string member `key` of `o` as a web URL into `dst` ("" when not one). */
static void s_web_url(char *dst, size_t size, const json_t *o, const char *key)
{
    size_t n = 0;
    const char *s = s_str(o, key, &n);
    s_url(dst, size, s, n, s_web, CM_ARRAY_LEN(s_web));
}

/* True for an IMDb title id: "tt" and 7 or 8 digits. */
static bool s_imdb_ok(const char *s, size_t n)
{
    if (!s || (n != 9 && n != 10) || s[0] != 't' || s[1] != 't')
        return false;
    for (size_t i = 2; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* The IMDb id member `key` of `o` into `dst` (12 bytes). False when absent or invalid. */
static bool s_imdb(char dst[12], const json_t *o, const char *key)
{
    size_t n = 0;
    const char *s = s_str(o, key, &n);
    dst[0] = '\0';
    if (!s_imdb_ok(s, n))
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

/* --- numbers: an integer, a real or a numeric string --- */

/* `v` as a finite double. Strings are accepted when they hold one decimal number (spaces
 * around allowed; no hex, inf or nan). */
static bool s_num(const json_t *v, double *out)
{
    if (json_is_number(v)) {
        double d = json_number_value(v);
        if (!isfinite(d))
            return false;
        *out = d;
        return true;
    }
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), a = 0;
    while (a < n && s[a] == ' ')
        a++;
    while (n > a && s[n - 1] == ' ')
        n--;
    if (n == a || n - a >= S_NUMSTR_MAX)
        return false;
    char buf[S_NUMSTR_MAX];
    for (size_t i = a; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return false;
        buf[i - a] = c;
    }
    buf[n - a] = '\0';
    char *end = NULL;
    errno = 0;
    double d = strtod(buf, &end);
    if (end != buf + (n - a) || errno == ERANGE || !isfinite(d))
        return false;
    *out = d;
    return true;
}

/* `v` as an integer in [lo, hi] (a real is truncated). False when not a number or outside. */
static bool s_int(const json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    double d;
    if (!s_num(v, &d) || d < (double)lo || d > (double)hi)
        return false;
    *out = (int64_t)d;
    return true;
}

/* A seeder or leecher count: -1 when not a number, else clamped to [0, SEEDERS_MAX]. */
static int32_t s_count(const json_t *v)
{
    double d;
    if (!s_num(v, &d))
        return -1;
    if (d <= 0)
        return 0;
    if (d >= DISC_PARSE_SEEDERS_MAX)
        return DISC_PARSE_SEEDERS_MAX;
    return (int32_t)d;
}

/* A size in bytes: 0 when not a number, negative or over DISC_PARSE_SIZE_MAX. */
static int64_t s_size(const json_t *v)
{
    int64_t x = 0;
    return s_int(v, 0, DISC_PARSE_SIZE_MAX, &x) ? x : 0;
}

/* A human size such as YTS's "1.03 GB" (binary units, as YTS writes them), or 0. */
static int64_t s_human_size(const json_t *o, const char *key)
{
    size_t n = 0;
    const char *s = s_str(o, key, &n);
    if (!s || n == 0 || n >= S_NUMSTR_MAX)
        return 0;
    char buf[S_NUMSTR_MAX];
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!(buf[0] >= '0' && buf[0] <= '9'))
        return 0;
    char *end = NULL;
    double d = strtod(buf, &end);
    while (*end == ' ')
        end++;
    static const struct {
        const char *unit;
        double mult;
    } units[] = {{"B", 1.0},
                 {"KB", 1024.0},
                 {"KiB", 1024.0},
                 {"MB", 1048576.0},
                 {"MiB", 1048576.0},
                 {"GB", 1073741824.0},
                 {"GiB", 1073741824.0},
                 {"TB", 1099511627776.0},
                 {"TiB", 1099511627776.0}};
    for (size_t i = 0; i < CM_ARRAY_LEN(units); i++) {
        if (strcasecmp(end, units[i].unit) == 0) {
            double b = d * units[i].mult;
            return isfinite(b) && b > 0 && b <= (double)DISC_PARSE_SIZE_MAX ? (int64_t)b : 0;
        }
    }
    return 0;
}

/* A unix time: 0 unless in (0, S_TIME_MAX]. */
static int64_t s_unix(const json_t *v)
{
    int64_t t = 0;
    return s_int(v, 1, S_TIME_MAX, &t) ? t : 0;
}

/* Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t s_days(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* `n` digits of `s` at `at` as a number, or -1. */
static int s_digits(const char *s, size_t len, size_t at, size_t n)
{
    int v = 0;
    if (at + n > len)
        return -1;
    for (size_t i = at; i < at + n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|+hh:mm|-hh:mm]" as a unix time (no zone = UTC), or 0
 * for anything else. */
static int64_t s_iso_time(const json_t *o, const char *key)
{
    size_t n = 0;
    const char *s = s_str(o, key, &n);
    if (!s || n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return 0;
    int y = s_digits(s, n, 0, 4), mo = s_digits(s, n, 5, 2), d = s_digits(s, n, 8, 2);
    int h = s_digits(s, n, 11, 2), mi = s_digits(s, n, 14, 2), se = s_digits(s, n, 17, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        se < 0 || se > 60)
        return 0;
    size_t i = 19;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    int64_t off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int oh = s_digits(s, n, i + 1, 2), om = -1;
        if (oh >= 0 && i + 3 < n && s[i + 3] == ':')
            om = s_digits(s, n, i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return 0;
        off = (s[i] == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
        i += 6;
    }
    if (i != n)
        return 0;
    int64_t t = s_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return t > 0 && t <= S_TIME_MAX ? t : 0;
}

/* --- warnings and the result --- */

/* A log-safe sample of the string member `key` of `o` (at most S_SAMPLE_MAX characters). */
static const char *s_sample(char *buf, size_t size, const json_t *o, const char *key)
{
    if (!json_is_object(o) || s_copy(buf, size, o, key) == 0)
        snprintf(buf, size, "%s", "?");
    return buf;
}

/* Log one warning about this answer, unless DISC_PARSE_WARN_MAX were said already. */
static void s_warn(struct s_ctx *c, const char *what, const char *sample)
{
    if (c->warned++ < DISC_PARSE_WARN_MAX)
        cm_log_w(S_MOD, 0, "%s: %s (%.80s)", c->provider, what, sample ? sample : "");
}

/* An item skipped as malformed. */
static void s_skip(struct s_ctx *c, const char *what, const char *sample)
{
    c->out->skipped++;
    s_warn(c, what, sample);
}

/* The summary line when more warnings were due than logged. */
static void s_warn_end(struct s_ctx *c)
{
    if (c->warned > DISC_PARSE_WARN_MAX)
        cm_log_w(S_MOD, 0, "%s: %zu more warnings for this answer (skipped %zu, truncated %zu)",
                 c->provider, c->warned - DISC_PARSE_WARN_MAX, c->out->skipped, c->out->truncated);
}

/* Empty `p` (the torrent storage is kept for reuse). */
static void s_reset(struct disc_parsed *p)
{
    struct disc_torrent *t = p->torrents;
    size_t cap = p->torrents_cap;
    memset(p, 0, sizeof(*p));
    p->torrents = t;
    p->torrents_cap = cap;
    p->provider_count = -1;
}

/* A new movie with id `imdb`, or NULL (counted as truncated) at DISC_PARSE_MOVIES_MAX. */
static struct disc_movie *s_movie_add(struct s_ctx *c, const char *imdb)
{
    struct disc_parsed *p = c->out;
    if (p->nmovies >= DISC_PARSE_MOVIES_MAX) {
        p->truncated++;
        s_warn(c, "too many movies; the rest is dropped", imdb);
        return NULL;
    }
    struct disc_movie *m = &p->movies[p->nmovies++];
    memset(m, 0, sizeof(*m));
    snprintf(m->meta.imdb, sizeof(m->meta.imdb), "%s", imdb);
    m->first = p->ntorrents;
    return m;
}

/* A zeroed slot for the next torrent of movie `mi`, not yet counted (s_torrent_commit counts
 * it), or NULL at a cap (the item counted as truncated). */
static struct disc_torrent *s_torrent_slot(struct s_ctx *c, size_t mi)
{
    struct disc_parsed *p = c->out;
    if (p->movies[mi].ntorrents >= DISC_PARSE_TORRENTS_MAX ||
        p->ntorrents >= DISC_PARSE_ALL_TORRENTS_MAX) {
        p->truncated++;
        s_warn(c, "too many torrents; the rest is dropped", p->movies[mi].meta.imdb);
        return NULL;
    }
    if (p->ntorrents == p->torrents_cap) {
        size_t cap = p->torrents_cap ? p->torrents_cap * 2 : S_TORRENTS_FIRST;
        if (cap > DISC_PARSE_ALL_TORRENTS_MAX)
            cap = DISC_PARSE_ALL_TORRENTS_MAX;
        p->torrents = cm_realloc(p->torrents, cap * sizeof(*p->torrents));
        p->torrents_cap = cap;
    }
    struct disc_torrent *t = &p->torrents[p->ntorrents];
    memset(t, 0, sizeof(*t));
    t->seeders = t->leechers = -1;
    return t;
}

/* Count the slot filled by the caller as a torrent of movie `mi`. */
static void s_torrent_commit(struct s_ctx *c, size_t mi)
{
    if (c->owner)
        c->owner[c->out->ntorrents] = mi;
    c->out->ntorrents++;
    c->out->movies[mi].ntorrents++;
}

/* Read the hash member `key` of item `o` into `t`. False (item skipped and counted) when it
 * is missing, not 40 hex or 32 base32, all zeros, or already in this answer. */
static bool s_hash(struct s_ctx *c, const json_t *o, const char *key, struct disc_torrent *t,
                   const char *sample)
{
    size_t n = 0;
    const char *s = s_str(o, key, &n);
    uint8_t h[20], zero[20] = {0};
    if (!s) {
        s_skip(c, "no hash", sample);
        return false;
    }
    if (bt_hash_parse(s, n, h) < 0 || memcmp(h, zero, sizeof(h)) == 0) {
        s_skip(c, "hash is not 40 hex or 32 base32 digits", sample);
        return false;
    }
    bt_hash_hex(h, t->hash);
    for (size_t i = 0; i < c->out->ntorrents; i++) {
        if (memcmp(c->out->torrents[i].hash, t->hash, sizeof(t->hash)) == 0) {
            s_skip(c, "duplicate hash in the answer", sample);
            return false;
        }
    }
    return true;
}

/* One more item looked at; false (and `left` counted as truncated) at DISC_PARSE_ITEMS_MAX. */
static bool s_item(struct s_ctx *c, size_t left)
{
    if (c->items >= DISC_PARSE_ITEMS_MAX) {
        c->out->truncated += left;
        s_warn(c, "too many items; the rest is not looked at", NULL);
        return false;
    }
    c->items++;
    return true;
}

/* The "Action, Thriller" join of the string array member `key` of `o` into `dst`: whole
 * genres only, as many as fit. */
static void s_genres(char *dst, size_t size, const json_t *o, const char *key)
{
    const json_t *a = json_object_get(o, key);
    size_t o_len = 0, i;
    const json_t *g;
    dst[0] = '\0';
    if (!json_is_array(a))
        return;
    json_array_foreach(a, i, g)
    {
        char one[DISC_PARSE_GENRES_MAX + 1];
        if (!json_is_string(g))
            continue;
        size_t n = s_text(one, sizeof(one), json_string_value(g), json_string_length(g));
        size_t sep = o_len ? 2 : 0;
        if (n == 0)
            continue;
        if (o_len + sep + n >= size)
            break;
        if (sep)
            memcpy(dst + o_len, ", ", 2);
        memcpy(dst + o_len + sep, one, n);
        o_len += sep + n;
        dst[o_len] = '\0';
    }
}

/* A YouTube video id ([A-Za-z0-9_-], 1..31 characters) into `dst` (32 bytes), or "". */
static bool s_trailer(char dst[32], const char *s, size_t n)
{
    dst[0] = '\0';
    if (!s || n == 0 || n >= 32)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              ch == '_' || ch == '-'))
            return false;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

/* A language code ([A-Za-z-], 1..7 characters) lower-cased into `dst` (8 bytes), or "". */
static void s_language(char dst[8], const char *s, size_t n)
{
    dst[0] = '\0';
    if (!s || n == 0 || n >= 8)
        return;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-'))
            return;
    for (size_t i = 0; i < n; i++)
        dst[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
    dst[n] = '\0';
}

/* A rating in [0, 10], else 0. */
static double s_rating(const json_t *v)
{
    double d = 0;
    return s_num(v, &d) && d >= 0 && d <= 10 ? d : 0;
}

/* --- loading an answer --- */

/* Deepest nesting of `len` bytes, counting brackets outside strings; stops past the cap. */
static int s_depth(const unsigned char *p, size_t len)
{
    int depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = p[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = false;
        } else if (ch == '"') {
            in_str = true;
        } else if (ch == '{' || ch == '[') {
            if (++depth > max)
                max = depth;
            if (max > DISC_PARSE_DEPTH_MAX)
                return max;
        } else if (ch == '}' || ch == ']') {
            depth--;
        }
    }
    return max;
}

/* The answer as a JSON object, or NULL with a sentence in `err`. Caller owns the result
 * (json_decref). */
static json_t *s_load(const char *body, size_t len, char *err, size_t errlen)
{
    const unsigned char *p = (const unsigned char *)body;
    size_t i = 0;
    if (len > DISC_PARSE_BODY_MAX) {
        cm_errf(err, errlen, "the answer is %zu bytes, over the %d-byte cap", len,
                DISC_PARSE_BODY_MAX);
        return NULL;
    }
    while (p && i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (!p || i == len) {
        cm_errf(err, errlen, "the answer is empty");
        return NULL;
    }
    if (p[i] == '<') {
        char sample[S_SAMPLE_MAX + 1];
        s_text(sample, sizeof(sample), body + i, len - i < 200 ? len - i : 200);
        cm_errf(err, errlen, "the answer is HTML, not JSON (an error page?): %s", sample);
        return NULL;
    }
    if (s_depth(p, len) > DISC_PARSE_DEPTH_MAX) {
        cm_errf(err, errlen, "the answer nests deeper than %d levels", DISC_PARSE_DEPTH_MAX);
        return NULL;
    }
    /* Invalid UTF-8 bytes become '?' one for one, so positions in errors stay right. */
    unsigned char *copy = cm_malloc(len);
    memcpy(copy, p, len);
    for (size_t k = 0; k < len;) {
        size_t n = cm_utf8_seq(copy + k, len - k);
        if (n == 0) {
            copy[k++] = '?';
            continue;
        }
        k += n;
    }
    json_error_t je;
    json_t *root =
        json_loadb((const char *)copy, len,
                   JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL | JSON_DECODE_ANY, &je);
    cm_free(copy);
    if (!root) {
        char why[sizeof(je.text)]; /* jansson quotes the input near the error: clean it */
        s_text(why, sizeof(why), je.text, strnlen(je.text, sizeof(je.text)));
        cm_errf(err, errlen, "the answer is not valid JSON: %s (at byte %d)", why, je.position);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        cm_errf(err, errlen, "the answer is not a JSON object");
        return NULL;
    }
    return root;
}

/* End a parse: log the summary, or on failure leave `out` empty. Returns `rc`. */
static int s_finish(struct s_ctx *c, json_t *root, int rc)
{
    json_decref(root);
    if (rc < 0)
        s_reset(c->out);
    else
        s_warn_end(c);
    return rc;
}

/* --- public: the result --- */

struct disc_parsed *disc_parsed_new(void)
{
    struct disc_parsed *p = cm_calloc(1, sizeof(*p));
    p->provider_count = -1;
    return p;
}

void disc_parsed_destroy(struct disc_parsed **self_p)
{
    if (!self_p || !*self_p)
        return;
    cm_free((*self_p)->torrents);
    cm_free(*self_p);
    *self_p = NULL;
}

/* --- YTS --- */

/* The movie fields of a YTS movie object. */
static void s_yts_meta(struct disc_movie_meta *m, const json_t *mv)
{
    int64_t x = 0;
    size_t n = 0;
    const char *s;
    if (s_copy(m->title, sizeof(m->title), mv, "title") == 0 &&
        s_copy(m->title, sizeof(m->title), mv, "title_english") == 0)
        s_copy(m->title, sizeof(m->title), mv, "title_long");
    if (s_int(json_object_get(mv, "year"), S_YEAR_MIN, S_YEAR_MAX, &x))
        m->year = (int)x;
    if (s_int(json_object_get(mv, "runtime"), 0, S_RUNTIME_MAX_MIN, &x))
        m->runtime_min = (int)x;
    s = s_str(mv, "yt_trailer_code", &n);
    s_trailer(m->trailer, s, n);
    m->rating = s_rating(json_object_get(mv, "rating"));
    s = s_str(mv, "language", &n);
    s_language(m->language, s, n);
    s_genres(m->genres, sizeof(m->genres), mv, "genres");
    s_web_url(m->poster, sizeof(m->poster), mv, "large_cover_image");
    if (!m->poster[0])
        s_web_url(m->poster, sizeof(m->poster), mv, "medium_cover_image");
}

/* One YTS torrent of movie `mi` (`tt` is its JSON). */
static void s_yts_torrent(struct s_ctx *c, size_t mi, const json_t *tt)
{
    const struct disc_movie_meta *m = &c->out->movies[mi].meta;
    char sample[S_SAMPLE_MAX + 1];
    int64_t x = 0;
    if (!json_is_object(tt)) {
        s_skip(c, "a torrent is not an object", m->imdb);
        return;
    }
    struct disc_torrent *t = s_torrent_slot(c, mi);
    if (!t)
        return;
    s_token(t->quality, sizeof(t->quality), tt, "quality");
    snprintf(sample, sizeof(sample), "%s %s", m->imdb, t->quality);
    if (!s_hash(c, tt, "hash", t, sample))
        return;
    s_token(t->type, sizeof(t->type), tt, "type");
    s_token(t->codec, sizeof(t->codec), tt, "video_codec");
    s_token(t->audio_channels, sizeof(t->audio_channels), tt, "audio_channels");
    if (s_int(json_object_get(tt, "bit_depth"), 1, S_BIT_DEPTH_MAX, &x))
        t->bit_depth = (int)x;
    t->size = s_size(json_object_get(tt, "size_bytes"));
    if (t->size == 0)
        t->size = s_human_size(tt, "size");
    t->seeders = s_count(json_object_get(tt, "seeds"));
    t->leechers = s_count(json_object_get(tt, "peers"));
    t->uploaded = s_unix(json_object_get(tt, "date_uploaded_unix"));
    if (t->uploaded == 0)
        t->uploaded = s_iso_time(tt, "date_uploaded");
    s_web_url(t->url, sizeof(t->url), tt, "url");

    /* "Title (2025) 1080p bluray x265 10bit 5.1": what a release name would say. */
    char buf[S_YTS_NAME_BUF];
    size_t o = 0;
    const char *parts[] = {t->quality, t->type, t->codec};
    s_appendf(buf, sizeof(buf), &o, "%s", m->title[0] ? m->title : m->imdb);
    if (m->year)
        s_appendf(buf, sizeof(buf), &o, " (%d)", m->year);
    for (size_t i = 0; i < CM_ARRAY_LEN(parts); i++)
        if (parts[i][0])
            s_appendf(buf, sizeof(buf), &o, " %s", parts[i]);
    if (t->bit_depth)
        s_appendf(buf, sizeof(buf), &o, " %dbit", t->bit_depth);
    if (t->audio_channels[0])
        s_appendf(buf, sizeof(buf), &o, " %s", t->audio_channels);
    s_text(t->name, sizeof(t->name), buf, o);
    s_torrent_commit(c, mi);
}

int disc_parse_yts(const char *body, size_t len, struct disc_parsed *out, char *err, size_t errlen)
{
    struct s_ctx c = {.out = out, .provider = "YTS"};
    s_reset(out);
    json_t *root = s_load(body, len, err, errlen);
    if (!root)
        return -1;
    size_t n = 0;
    const char *status = s_str(root, "status", &n);
    if (!status || strcmp(status, "ok") != 0) {
        char st[S_SAMPLE_MAX + 1], msg[S_SAMPLE_MAX + 1];
        s_copy(st, sizeof(st), root, "status");
        s_copy(msg, sizeof(msg), root, "status_message");
        cm_errf(err, errlen, "YTS status is \"%s\", not \"ok\": %s", st,
                msg[0] ? msg : "(no status_message)");
        return s_finish(&c, root, -1);
    }
    const json_t *data = json_object_get(root, "data");
    if (!json_is_object(data)) {
        cm_errf(err, errlen, "the YTS answer has no data object");
        return s_finish(&c, root, -1);
    }
    int64_t x = 0;
    if (s_int(json_object_get(data, "movie_count"), 0, INT32_MAX, &x))
        out->provider_count = x;
    const json_t *movies = json_object_get(data, "movies");
    if (!movies || json_is_null(movies))
        return s_finish(&c, root, 0);
    if (!json_is_array(movies)) {
        cm_errf(err, errlen, "the YTS data.movies is not an array");
        return s_finish(&c, root, -1);
    }
    size_t i;
    const json_t *mv;
    json_array_foreach(movies, i, mv)
    {
        char sample[S_SAMPLE_MAX + 1], imdb[12];
        if (!s_item(&c, json_array_size(movies) - i))
            break;
        if (!json_is_object(mv)) {
            s_skip(&c, "a movie is not an object", NULL);
            continue;
        }
        s_sample(sample, sizeof(sample), mv, "title");
        if (!s_imdb(imdb, mv, "imdb_code")) {
            s_skip(&c, "a movie has no valid imdb_code", sample);
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < out->nmovies && !dup; k++)
            dup = strcmp(out->movies[k].meta.imdb, imdb) == 0;
        if (dup) {
            s_skip(&c, "duplicate movie in the answer", imdb);
            continue;
        }
        struct disc_movie *m = s_movie_add(&c, imdb);
        if (!m) {
            out->truncated += json_array_size(movies) - i - 1;
            break;
        }
        size_t mi = (size_t)(m - out->movies);
        s_yts_meta(&m->meta, mv);
        const json_t *ts = json_object_get(mv, "torrents");
        if (!json_is_array(ts)) {
            if (ts && !json_is_null(ts))
                s_skip(&c, "a movie's torrents is not an array", imdb);
            continue;
        }
        size_t j;
        const json_t *tt;
        json_array_foreach(ts, j, tt)
        {
            if (!s_item(&c, json_array_size(ts) - j))
                break;
            s_yts_torrent(&c, mi, tt);
        }
    }
    return s_finish(&c, root, 0);
}

bool disc_parse_yts_ok(const char *body, size_t len)
{
    char err[8];
    json_t *root = s_load(body, len, err, sizeof(err));
    if (!root)
        return false;
    size_t n = 0;
    const char *status = s_str(root, "status", &n);
    bool ok = status && strcmp(status, "ok") == 0;
    json_decref(root);
    return ok;
}

/* --- TheRARBG --- */

/* True when the category member `key` of a post is "Movies" (any case) or absent/null. */
static bool s_is_movie(const json_t *post, const char *key)
{
    const json_t *v = json_object_get(post, key);
    if (!v || json_is_null(v))
        return true;
    return json_is_string(v) && strcasecmp(json_string_value(v), "Movies") == 0;
}

/* The movie fields of TheRARBG's `imdb` object. */
static void s_rarbg_meta(struct disc_movie_meta *m, const json_t *im)
{
    int64_t x = 0;
    size_t n = 0;
    const char *s;
    s_copy(m->title, sizeof(m->title), im, "name");
    const json_t *rd = json_object_get(im, "release_detailed");
    if (s_int(json_object_get(rd, "year"), S_YEAR_MIN, S_YEAR_MAX, &x)) {
        m->year = (int)x;
    } else if ((s = s_str(rd, "date", &n)) != NULL) {
        int y = s_digits(s, n, 0, 4);
        m->year = y >= S_YEAR_MIN && y <= S_YEAR_MAX ? y : 0;
    }
    /* TheRARBG gives seconds, as a string ("8940"). */
    if (s_int(json_object_get(im, "runtime"), 0, (int64_t)S_RUNTIME_MAX_MIN * 60, &x))
        m->runtime_min = (int)((x + 30) / 60);
    size_t i;
    const json_t *vd;
    json_array_foreach(json_object_get(im, "video_list"), i, vd)
    {
        const char *site = s_str(vd, "site", &n);
        if (site && strcasecmp(site, "YouTube") == 0 && (s = s_str(vd, "key", &n)) != NULL &&
            s_trailer(m->trailer, s, n))
            break;
    }
    m->rating = s_rating(json_object_get(im, "rating"));
    const json_t *langs = json_object_get(im, "spoken_languages");
    if (json_is_array(langs) && json_array_size(langs) > 0) {
        s = s_str(json_array_get(langs, 0), "id", &n);
        s_language(m->language, s, n);
    }
    if (s_int(json_object_get(im, "tmdb_id"), 1, INT64_C(1) << 50, &x))
        m->tmdb_id = x;
    s_genres(m->genres, sizeof(m->genres), im, "genre_list");
    s_web_url(m->poster, sizeof(m->poster), im, "image");
    if (!m->poster[0])
        s_web_url(m->poster, sizeof(m->poster), im, "thumbnail");
}

/* The sum of files[].size (each an integer or a one-element array), or 0. */
static int64_t s_files_size(const json_t *files)
{
    int64_t sum = 0;
    size_t i;
    const json_t *f;
    json_array_foreach(files, i, f)
    {
        const json_t *v = json_object_get(f, "size");
        if (json_is_array(v))
            v = json_array_size(v) == 1 ? json_array_get(v, 0) : NULL;
        int64_t x = 0;
        if (!s_int(v, 0, DISC_PARSE_SIZE_MAX, &x) || sum + x > DISC_PARSE_SIZE_MAX)
            return 0;
        sum += x;
    }
    return sum;
}

/* The trackers of a post whose scrape_error is null (or absent), udp/http/https only. */
static void s_trackers(struct disc_torrent *t, const json_t *trs)
{
    size_t i;
    const json_t *tr;
    json_array_foreach(trs, i, tr)
    {
        if (t->ntrackers >= DISC_PARSE_TRACKERS_MAX)
            break;
        const json_t *e = json_object_get(tr, "scrape_error");
        if (e && !json_is_null(e))
            continue;
        size_t n = 0;
        const char *s = s_str(tr, "tracker", &n);
        char *dst = t->trackers[t->ntrackers];
        if (!s_url(dst, sizeof(t->trackers[0]), s, n, s_announce, CM_ARRAY_LEN(s_announce)))
            continue;
        bool dup = false;
        for (size_t k = 0; k < t->ntrackers && !dup; k++)
            dup = strcmp(t->trackers[k], dst) == 0;
        if (dup)
            memset(dst, 0, sizeof(t->trackers[0]));
        else
            t->ntrackers++;
    }
}

/* One trb_posts entry for movie `mi`. */
static void s_rarbg_post(struct s_ctx *c, size_t mi, const json_t *po)
{
    const char *imdb = c->out->movies[mi].meta.imdb;
    char sample[S_SAMPLE_MAX + 1], other[12];
    int64_t x = 0;
    if (!json_is_object(po)) {
        s_skip(c, "a post is not an object", imdb);
        return;
    }
    s_sample(sample, sizeof(sample), po, "name");
    if (!s_is_movie(po, "category_str")) {
        c->out->ignored++;
        return;
    }
    if (s_imdb(other, po, "imdb") && strcmp(other, imdb) != 0) {
        c->out->ignored++;
        s_warn(c, "a post of another movie is ignored", other);
        return;
    }
    struct disc_torrent *t = s_torrent_slot(c, mi);
    if (!t)
        return;
    if (!s_hash(c, po, "info_hash", t, sample))
        return;
    if (s_copy(t->name, sizeof(t->name), po, "name") == 0) {
        s_skip(c, "a post has no name", imdb); /* never log a hash (README) */
        return;
    }
    t->size = s_size(json_object_get(po, "size"));
    if (t->size == 0)
        t->size = s_files_size(json_object_get(po, "files"));
    t->seeders = s_count(json_object_get(po, "seeders"));
    t->leechers = s_count(json_object_get(po, "leechers"));
    t->uploaded = s_unix(json_object_get(po, "added"));
    if (t->uploaded == 0)
        t->uploaded = s_iso_time(po, "timestamp");
    s_trackers(t, json_object_get(po, "trackers"));
    if (s_int(json_object_get(po, "season"), 0, S_EPISODE_MAX, &x))
        t->season = (int)x;
    if (s_int(json_object_get(po, "episode"), 0, S_EPISODE_MAX, &x))
        t->episode = (int)x;
    s_torrent_commit(c, mi);
}

int disc_parse_rarbg_detail(const char *body, size_t len, const char *imdb, struct disc_parsed *out,
                            char *err, size_t errlen)
{
    struct s_ctx c = {.out = out, .provider = "TheRARBG"};
    s_reset(out);
    if (imdb && !s_imdb_ok(imdb, strlen(imdb))) {
        cm_errf(err, errlen, "the IMDb id asked for is not tt + 7 or 8 digits");
        return -1;
    }
    json_t *root = s_load(body, len, err, errlen);
    if (!root)
        return -1;
    const json_t *im = json_object_get(root, "imdb");
    const json_t *posts = json_object_get(root, "trb_posts");
    if (posts && !json_is_null(posts) && !json_is_array(posts)) {
        cm_errf(err, errlen, "the TheRARBG trb_posts is not an array");
        return s_finish(&c, root, -1);
    }
    if (im && !json_is_null(im) && !json_is_object(im)) {
        cm_errf(err, errlen, "the TheRARBG imdb member is not an object");
        return s_finish(&c, root, -1);
    }
    if (!json_is_object(im) && !json_is_array(posts))
        return s_finish(&c, root, 0); /* the site knows nothing about it */
    char said[12] = "";
    if (json_is_object(im))
        s_imdb(said, im, "imdb_id");
    if (imdb && said[0] && strcmp(said, imdb) != 0) {
        cm_errf(err, errlen, "the TheRARBG answer is about %s, not %s", said, imdb);
        return s_finish(&c, root, -1);
    }
    if (!imdb && !said[0]) {
        cm_errf(err, errlen, "the TheRARBG answer names no valid IMDb id");
        return s_finish(&c, root, -1);
    }
    struct disc_movie *m = s_movie_add(&c, imdb ? imdb : said);
    if (json_is_object(im))
        s_rarbg_meta(&m->meta, im);
    size_t i;
    const json_t *po;
    json_array_foreach(posts, i, po)
    {
        if (!s_item(&c, json_array_size(posts) - i))
            break;
        s_rarbg_post(&c, 0, po);
    }
    return s_finish(&c, root, 0);
}

/* One get-posts result: find or add its movie, then its torrent. */
static void s_rarbg_result(struct s_ctx *c, const json_t *r)
{
    struct disc_parsed *p = c->out;
    char sample[S_SAMPLE_MAX + 1], imdb[12];
    if (!json_is_object(r)) {
        s_skip(c, "a result is not an object", NULL);
        return;
    }
    s_sample(sample, sizeof(sample), r, "n");
    if (!s_is_movie(r, "c") || !s_imdb(imdb, r, "i")) {
        p->ignored++;
        return;
    }
    size_t mi = 0;
    while (mi < p->nmovies && strcmp(p->movies[mi].meta.imdb, imdb) != 0)
        mi++;
    bool fresh = mi == p->nmovies;
    if (fresh && !s_movie_add(c, imdb))
        return;
    struct disc_torrent *t = s_torrent_slot(c, mi);
    bool ok = t && s_hash(c, r, "h", t, sample);
    if (ok && s_copy(t->name, sizeof(t->name), r, "n") == 0) {
        s_skip(c, "a result has no name", imdb);
        ok = false;
    }
    if (!ok) {
        if (fresh) /* a movie is listed only with a torrent */
            p->nmovies--;
        return;
    }
    t->size = s_size(json_object_get(r, "s"));
    t->seeders = s_count(json_object_get(r, "se"));
    t->leechers = s_count(json_object_get(r, "le"));
    t->uploaded = s_unix(json_object_get(r, "a"));
    s_torrent_commit(c, mi);
}

/* Reorder the torrents so that each movie's run is contiguous, in first-seen order. */
static void s_regroup(struct disc_parsed *p, const size_t *owner)
{
    if (p->ntorrents == 0)
        return;
    struct disc_torrent *sorted = cm_malloc(p->torrents_cap * sizeof(*sorted));
    size_t o = 0;
    for (size_t m = 0; m < p->nmovies; m++) {
        p->movies[m].first = o;
        for (size_t i = 0; i < p->ntorrents; i++)
            if (owner[i] == m)
                sorted[o++] = p->torrents[i];
    }
    assert(o == p->ntorrents);
    cm_free(p->torrents);
    p->torrents = sorted;
}

int disc_parse_rarbg_posts(const char *body, size_t len, struct disc_parsed *out, char *err,
                           size_t errlen)
{
    struct s_ctx c = {.out = out, .provider = "TheRARBG"};
    s_reset(out);
    json_t *root = s_load(body, len, err, errlen);
    if (!root)
        return -1;
    const json_t *results = json_object_get(root, "results");
    if (!json_is_array(results)) {
        cm_errf(err, errlen, "the TheRARBG listing has no results array");
        return s_finish(&c, root, -1);
    }
    int64_t x = 0;
    if (s_int(json_object_get(root, "total"), 0, INT32_MAX, &x) ||
        s_int(json_object_get(root, "count"), 0, INT32_MAX, &x))
        out->provider_count = x;
    size_t owner[DISC_PARSE_ALL_TORRENTS_MAX];
    c.owner = owner;
    size_t i;
    const json_t *r;
    json_array_foreach(results, i, r)
    {
        if (!s_item(&c, json_array_size(results) - i))
            break;
        s_rarbg_result(&c, r);
    }
    s_regroup(out, owner);
    return s_finish(&c, root, 0);
}
