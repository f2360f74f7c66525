/* SPDX-License-Identifier: MIT
 * bt_tracker: announces and scrapes over HTTP(S) (libcurl multi on libevent) and UDP (BEP 15),
 * the BEP 12 tier logic of a swarm, the blacklist and best-trackers list, and the pure reply
 * parsers. See bt_tracker.h for the contract.
 *
 * Every announce or scrape to one tracker is a `struct s_req` on the engine's list. It ends in
 * exactly one call of its `done` handler (from an event callback, never from the call that
 * started it), or it is cancelled without one. A failure known at once (a bad URL, a refused
 * address) is stored in the request and reported when its zero timer fires.
 *
 * Order of the file: helpers, parsers, URLs (SSRF rule, blacklist, lists), requests, HTTP,
 * UDP, the engine, swarms. */
#include "cm.h"
#include "bt_tracker.h"
#include "cm_curl.h"
#include "bt_bencode.h"

#include <curl/curl.h>
#include <event2/dns.h>

enum {
    S_TIMEOUT_MS = 15000,          /* default for one announce or scrape */
    S_STOPPED_MS = 5000,           /* `stopped` after a swarm is gone */
    S_CONN_TTL_MS = 60000,         /* a UDP connection id is reused this long (BEP 15: 2 min) */
    S_CONN_CACHE = 64,             /* UDP connection ids remembered */
    S_UDP_RETRY_MS = 15000,        /* BEP 15: 15 x 2^n s */
    S_UDP_RETRY_N = 8,             /* n <= 8 */
    S_UDP_PKT_MAX = 16384,         /* a bigger datagram is dropped */
    S_UDP_RECV_BURST = 64,         /* datagrams read per wake-up */
    S_NUMWANT = 200,               /* peers asked for (<= BT_TRK_PEERS_MAX) */
    S_INTERVAL_DEFAULT_S = 1800,   /* when a tracker gives none */
    S_MIN_INTERVAL_DEFAULT_S = 30, /* between announces asked by bt_trk_swarm_more_peers */
    S_BACKOFF_BASE_S = 30,         /* a whole tier failed: 30 s, 60 s, ... */
    S_BACKOFF_MAX_S = 1800,        /* ... up to 30 min */
    S_SWARM_TRACKERS_MAX = BT_TRACKERS_MAX + BT_TRK_LIST_MAX,
    S_WARNED_MAX = 1024,      /* refused URLs remembered for log-once */
    S_BE_TOKENS_MAX = 100000, /* bencode tokens of one reply */
    S_BE_DEPTH_MAX = 16,
    S_ERR_MAX = 160,
};

#define S_UDP_PROTOCOL_ID 0x41727101980ULL
#define S_MOD "tracker"
#define S_PAUSED_ERR "swarm traffic paused (VPN down)"

/* Events, numbered as on the UDP wire. */
enum { S_EV_NONE = 0, S_EV_COMPLETED = 1, S_EV_STARTED = 2, S_EV_STOPPED = 3 };
enum { S_KIND_ANNOUNCE, S_KIND_SCRAPE };
enum { S_SCHEME_HTTP = 1, S_SCHEME_HTTPS, S_SCHEME_UDP };
enum { S_U_IDLE, S_U_RESOLVING, S_U_CONNECTING, S_U_SENT };

static const char *const s_event_names[] = {"", "completed", "started", "stopped"};

/* --- small helpers --- */

static uint32_t s_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t s_get64(const uint8_t *p)
{
    return (uint64_t)s_get32(p) << 32 | s_get32(p + 4);
}

static void s_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void s_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void s_put64(uint8_t *p, uint64_t v)
{
    s_put32(p, (uint32_t)(v >> 32));
    s_put32(p + 4, (uint32_t)v);
}

/* Copy untrusted text (a failure reason, an error packet) into `out` (size <= 256): NUL and
 * control bytes become '?', invalid UTF-8 becomes '?', a cut falls on a character boundary. */
static void s_text(char *out, size_t size, const uint8_t *p, size_t len)
{
    char tmp[256 + 4];
    size_t n = CM_MIN(len, CM_MIN(size, 256) + 3);
    for (size_t i = 0; i < n; i++)
        tmp[i] = (p[i] < 0x20 || p[i] == 0x7f) ? '?' : (char)p[i];
    tmp[n] = '\0';
    cm_utf8_copy(out, size, tmp);
}

/* Format into `err` (may be NULL) as valid UTF-8. */
static void s_seterr(char *err, size_t errlen, const char *fmt, ...) CM_PRINTF(3, 4);
static void s_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    char tmp[1024];
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    cm_utf8_copy(err, errlen, tmp); /* a cut never splits a UTF-8 sequence */
}

/* Append compact peers (BEP 23: 4+2 bytes; BEP 7: 16+2 bytes) to out[*n..max). Port-0 and
 * unspecified addresses are skipped. -1 when len is not a multiple of the entry size. */
static int s_compact(const uint8_t *p, size_t len, bool v6, struct sockaddr_storage *out, size_t *n,
                     size_t max)
{
    static const uint8_t zero[16];
    size_t esz = v6 ? 18 : 6;
    if (len % esz != 0)
        return -1;
    for (size_t off = 0; off < len && *n < max; off += esz) {
        const uint8_t *e = p + off;
        uint16_t port = (uint16_t)(e[esz - 2] << 8 | e[esz - 1]);
        if (port == 0 || memcmp(e, zero, esz - 2) == 0)
            continue;
        struct sockaddr_storage *ss = &out[*n];
        memset(ss, 0, sizeof(*ss));
        if (v6) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
            s6->sin6_family = AF_INET6;
            memcpy(&s6->sin6_addr, e, 16);
            s6->sin6_port = htons(port);
        } else {
            struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
            s4->sin_family = AF_INET;
            memcpy(&s4->sin_addr, e, 4);
            s4->sin_port = htons(port);
        }
        (*n)++;
    }
    return 0;
}

/* --- reply parsers --- */

static int s_decode(bt_be_t *be, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    struct bt_be_limits lim = {
        .depth_max = S_BE_DEPTH_MAX, .tokens_max = S_BE_TOKENS_MAX, .len_max = BT_TRK_REPLY_MAX};
    char why[128] = "";
    if (!buf || len == 0) {
        s_seterr(err, errlen, "empty reply");
        return -1;
    }
    if (bt_be_decode(be, buf, len, &lim, NULL, why, sizeof(why)) != 0) {
        s_seterr(err, errlen, "malformed reply: %s", why);
        return -1;
    }
    if (bt_be_type(be, 0) != BT_BE_DICT) {
        bt_be_clear(be);
        s_seterr(err, errlen, "the reply is not a dictionary");
        return -1;
    }
    return 0;
}

/* One entry of the dictionary form of `peers`: {ip: "1.2.3.4" or "::1", port: n}. */
static bool s_peer_dict(const bt_be_t *be, bt_be_node_t d, struct sockaddr_storage *ss)
{
    size_t iplen;
    int64_t port;
    const uint8_t *ip = bt_be_dict_str(be, d, "ip", &iplen);
    if (!ip || iplen == 0 || iplen >= INET6_ADDRSTRLEN ||
        bt_be_dict_int(be, d, "port", &port) != 0 || port <= 0 || port > 65535)
        return false;
    char s[INET6_ADDRSTRLEN];
    memcpy(s, ip, iplen);
    s[iplen] = '\0';
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        return s4->sin_addr.s_addr != 0;
    }
    if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        return !IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
    }
    return false; /* a host name: not taken */
}

int bt_trk_parse_http_announce(const uint8_t *buf, size_t len, struct bt_announce_reply *out,
                               struct sockaddr_storage *peers, size_t max, char *err, size_t errlen)
{
    bt_be_t be = {0};
    int rc = -1;
    memset(out, 0, sizeof(*out));
    out->interval = out->min_interval = out->complete = out->incomplete = -1;
    s_seterr(err, errlen, "%s", "");
    if (!peers)
        max = 0;
    if (s_decode(&be, buf, len, err, errlen) != 0)
        return -1;

    size_t slen;
    const uint8_t *s = bt_be_dict_str(&be, 0, "failure reason", &slen);
    if (s)
        s_text(out->failure, sizeof(out->failure), s, slen);
    s = bt_be_dict_str(&be, 0, "warning message", &slen);
    if (s)
        s_text(out->warning, sizeof(out->warning), s, slen);
    static const char *const keys[] = {"interval", "min interval", "complete", "incomplete"};
    int64_t *dst[] = {&out->interval, &out->min_interval, &out->complete, &out->incomplete};
    for (size_t i = 0; i < CM_ARRAY_LEN(keys); i++) {
        int64_t v;
        if (bt_be_dict_int(&be, 0, keys[i], &v) == 0 && v >= 0)
            *dst[i] = v;
    }
    if (out->failure[0]) {
        rc = 0; /* a failure reason is a successful parse; its peers are not taken */
        goto out;
    }

    size_t n = 0;
    bt_be_node_t p = bt_be_dict_get(&be, 0, "peers");
    bt_be_type_t pt = bt_be_type(&be, p);
    if (pt == BT_BE_STR) {
        const uint8_t *c = bt_be_str(&be, p, &slen);
        if (s_compact(c, slen, false, peers, &n, max) != 0) {
            s_seterr(err, errlen, "peers is %zu bytes, not a multiple of 6", slen);
            goto out;
        }
    } else if (pt == BT_BE_LIST) {
        for (bt_be_node_t e = bt_be_first(&be, p); e != BT_BE_NIL && n < max;
             e = bt_be_next(&be, e)) {
            if (bt_be_type(&be, e) == BT_BE_DICT && s_peer_dict(&be, e, &peers[n]))
                n++;
        }
    } else if (pt != BT_BE_NONE) {
        s_seterr(err, errlen, "peers is neither a string nor a list");
        goto out;
    }
    p = bt_be_dict_get(&be, 0, "peers6");
    if (bt_be_type(&be, p) == BT_BE_STR) {
        const uint8_t *c = bt_be_str(&be, p, &slen);
        if (s_compact(c, slen, true, peers, &n, max) != 0) {
            s_seterr(err, errlen, "peers6 is %zu bytes, not a multiple of 18", slen);
            goto out;
        }
    }
    out->npeers = n;
    rc = 0;
out:
    bt_be_clear(&be);
    return rc;
}

static uint32_t s_u32(int64_t v)
{
    return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int bt_trk_parse_http_scrape(const uint8_t *buf, size_t len, const uint8_t info_hash[20],
                             uint32_t *seeders, uint32_t *leechers, uint32_t *completed, char *err,
                             size_t errlen)
{
    bt_be_t be = {0};
    int rc = -1;
    *seeders = *leechers = *completed = 0;
    s_seterr(err, errlen, "%s", "");
    if (s_decode(&be, buf, len, err, errlen) != 0)
        return -1;
    size_t slen;
    const uint8_t *s = bt_be_dict_str(&be, 0, "failure reason", &slen);
    if (s) {
        char why[256];
        s_text(why, sizeof(why), s, slen);
        s_seterr(err, errlen, "tracker: %s", why);
        goto out;
    }
    bt_be_node_t files = bt_be_dict_get(&be, 0, "files");
    if (bt_be_type(&be, files) != BT_BE_DICT) {
        s_seterr(err, errlen, "the scrape reply has no files dictionary");
        goto out;
    }
    for (bt_be_node_t k = bt_be_first(&be, files); k != BT_BE_NIL;) {
        bt_be_node_t v = bt_be_next(&be, k);
        if (v == BT_BE_NIL)
            break;
        const uint8_t *key = bt_be_str(&be, k, &slen);
        if (key && slen == 20 && memcmp(key, info_hash, 20) == 0) {
            if (bt_be_type(&be, v) != BT_BE_DICT) {
                s_seterr(err, errlen, "the scrape entry is not a dictionary");
                goto out;
            }
            int64_t x;
            if (bt_be_dict_int(&be, v, "complete", &x) == 0)
                *seeders = s_u32(x);
            if (bt_be_dict_int(&be, v, "incomplete", &x) == 0)
                *leechers = s_u32(x);
            if (bt_be_dict_int(&be, v, "downloaded", &x) == 0)
                *completed = s_u32(x);
            rc = 0;
            goto out;
        }
        k = bt_be_next(&be, v);
    }
    s_seterr(err, errlen, "the info-hash is not in the scrape reply");
out:
    bt_be_clear(&be);
    return rc;
}

int bt_trk_parse_udp(const uint8_t *buf, size_t len, uint32_t expect_tid, bool v6,
                     struct bt_udp_reply *out, struct sockaddr_storage *peers, size_t max)
{
    memset(out, 0, sizeof(*out));
    if (!peers)
        max = 0;
    if (!buf || len < 8)
        return -1;
    uint32_t action = s_get32(buf);
    out->transaction_id = s_get32(buf + 4);
    if (out->transaction_id != expect_tid)
        return -1;
    out->action = (int)CM_MIN(action, (uint32_t)INT_MAX);
    switch (action) {
    case BT_UDP_CONNECT:
        if (len < 16)
            return -1;
        out->connection_id = s_get64(buf + 8);
        return 0;
    case BT_UDP_ANNOUNCE:
        if (len < 20)
            return -1;
        out->interval = s_get32(buf + 8);
        out->leechers = s_get32(buf + 12);
        out->seeders = s_get32(buf + 16);
        return s_compact(buf + 20, len - 20, v6, peers, &out->npeers, max);
    case BT_UDP_SCRAPE:
        if (len < 20)
            return -1;
        out->s_seeders = s_get32(buf + 8);
        out->s_completed = s_get32(buf + 12);
        out->s_leechers = s_get32(buf + 16);
        return 0;
    case BT_UDP_ERROR:
        s_text(out->error, sizeof(out->error), buf + 8, len - 8);
        return 0;
    default:
        return -1;
    }
}

/* --- URLs: syntax, the SSRF rule, the blacklist, best-trackers lists --- */

struct s_url {
    int scheme;
    char host[256]; /* without the brackets of an IPv6 literal */
    bool host_v6;   /* the host was bracketed */
    uint16_t port;
    const char *path; /* into the URL: from the first '/', '?' or '#' after the host ("" if none) */
};

static bool s_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

/* Parse an http, https or udp URL. Refused: over BT_TRACKER_URL_MAX, bytes outside printable
 * ASCII, user info ('@' before the path), an empty host, a bad port, udp without a port. */
static int s_url_parse(const char *url, struct s_url *u)
{
    memset(u, 0, sizeof(*u));
    size_t len = strlen(url);
    if (len == 0 || len > BT_TRACKER_URL_MAX)
        return -1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return -1;
    const char *p;
    if (strncasecmp(url, "http://", 7) == 0) {
        u->scheme = S_SCHEME_HTTP;
        u->port = 80;
        p = url + 7;
    } else if (strncasecmp(url, "https://", 8) == 0) {
        u->scheme = S_SCHEME_HTTPS;
        u->port = 443;
        p = url + 8;
    } else if (strncasecmp(url, "udp://", 6) == 0) {
        u->scheme = S_SCHEME_UDP;
        p = url + 6;
    } else {
        return -1;
    }
    size_t alen = strcspn(p, "/?#");
    u->path = p + alen;
    if (memchr(p, '@', alen) || alen == 0)
        return -1;
    const char *port = NULL;
    size_t hlen;
    if (p[0] == '[') {
        const char *rb = memchr(p, ']', alen);
        if (!rb)
            return -1;
        hlen = (size_t)(rb - p - 1);
        if (hlen == 0 || hlen >= sizeof(u->host))
            return -1;
        memcpy(u->host, p + 1, hlen);
        u->host[hlen] = '\0';
        u->host_v6 = true;
        /* The literal, without a zone id ("%25eth0"), must be an IPv6 address. */
        char lit[INET6_ADDRSTRLEN];
        size_t llen = strcspn(u->host, "%");
        struct in6_addr a6;
        if (llen >= sizeof(lit))
            return -1;
        memcpy(lit, u->host, llen);
        lit[llen] = '\0';
        if (inet_pton(AF_INET6, lit, &a6) != 1)
            return -1;
        const char *after = rb + 1;
        if (after < p + alen) {
            if (*after != ':')
                return -1;
            port = after + 1;
        }
    } else {
        const char *colon = memchr(p, ':', alen);
        hlen = colon ? (size_t)(colon - p) : alen;
        if (hlen == 0 || hlen >= sizeof(u->host))
            return -1;
        for (size_t i = 0; i < hlen; i++)
            if (!s_host_char(p[i]))
                return -1;
        memcpy(u->host, p, hlen);
        u->host[hlen] = '\0';
        if (colon)
            port = colon + 1;
    }
    if (port) {
        size_t plen = (size_t)(p + alen - port);
        if (plen == 0 || plen > 5)
            return -1;
        unsigned v = 0;
        for (size_t i = 0; i < plen; i++) {
            if (port[i] < '0' || port[i] > '9')
                return -1;
            v = v * 10 + (unsigned)(port[i] - '0');
        }
        if (v == 0 || v > 65535)
            return -1;
        u->port = (uint16_t)v;
    }
    if (u->port == 0)
        return -1; /* udp:// needs a port */
    return 0;
}

/* 0/8, 10/8, 127/8, 169.254/16, 172.16/12, 192.168/16 (host byte order). */
static bool s_v4_private(uint32_t a)
{
    uint32_t b = a >> 24;
    return b == 0 || b == 10 || b == 127 || (a >> 16) == 0xa9fe || (a >> 20) == 0xac1 ||
           (a >> 16) == 0xc0a8;
}

/* ::, ::1, fc00::/7, fe80::/10, and IPv4-mapped or NAT64 (64:ff9b::/96) forms of the above. */
static bool s_v6_private(const uint8_t b[16])
{
    static const uint8_t zero[16];
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
    if (memcmp(b, zero, 15) == 0 && b[15] <= 1)
        return true;
    if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
        return true;
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
        return s_v4_private(s_get32(b + 12));
    return false;
}

static bool s_sa_private(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return s_v4_private(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return s_v6_private(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
    return true; /* no other family is a tracker */
}

/* The host as written: a literal loopback, private, link-local or unspecified address, or
 * "localhost". Host names are NOT resolved here; a name that resolves into those ranges is
 * caught when we connect (curl's open-socket callback, the UDP resolver callback). inet_aton
 * takes the legacy forms curl also takes ("127.1", "0x7f000001", "2130706433"). */
static bool s_host_private(const struct s_url *u)
{
    if (u->host_v6) {
        char lit[INET6_ADDRSTRLEN];
        size_t llen = strcspn(u->host, "%");
        struct in6_addr a6;
        if (llen >= sizeof(lit))
            return true;
        memcpy(lit, u->host, llen);
        lit[llen] = '\0';
        if (inet_pton(AF_INET6, lit, &a6) != 1)
            return true;
        return s_v6_private(a6.s6_addr) || u->host[llen] == '%';
    }
    struct in_addr a4;
    if (inet_aton(u->host, &a4))
        return s_v4_private(ntohl(a4.s_addr));
    size_t hl = strlen(u->host);
    if (hl > 0 && u->host[hl - 1] == '.')
        hl--; /* "localhost." */
    return (hl == 9 && strncasecmp(u->host, "localhost", 9) == 0) ||
           (hl > 10 && strncasecmp(u->host + hl - 10, ".localhost", 10) == 0);
}

/* libtorrent's ssrf_mitigation: a private host is fine when the path starts with /announce. */
static bool s_private_ok(const struct s_url *u, bool allow_private)
{
    return allow_private || strncmp(u->path, "/announce", 9) == 0;
}

/* Next line of text[*pos..len), trimmed of blanks and CR. false at the end. */
static bool s_next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *llen)
{
    if (*pos >= len)
        return false;
    const char *s = text + *pos;
    const char *nl = memchr(s, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - s) : len - *pos;
    *pos += n + (nl ? 1 : 0);
    while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    *line = s;
    *llen = n;
    return true;
}

size_t bt_trk_list_parse(const char *text, size_t len, char ***urls, size_t *n)
{
    size_t pos = 0, added = 0, cap = *n;
    const char *line;
    size_t llen;
    char buf[BT_TRACKER_URL_MAX + 1];
    struct s_url u;
    if (!text)
        return 0;
    while (added < BT_TRK_LIST_MAX && s_next_line(text, len, &pos, &line, &llen)) {
        if (llen == 0 || line[0] == '#' || llen > BT_TRACKER_URL_MAX || memchr(line, '\0', llen))
            continue;
        memcpy(buf, line, llen);
        buf[llen] = '\0';
        if (s_url_parse(buf, &u) != 0)
            continue;
        bool dup = false;
        for (size_t i = 0; i < *n && !dup; i++)
            dup = strcmp((*urls)[i], buf) == 0;
        if (dup)
            continue;
        if (added == 0 || *n == cap) { /* the caller's capacity is unknown: grow once first */
            cap = *n + 16 + *n / 2;
            *urls = cm_realloc(*urls, cap * sizeof(**urls));
        }
        (*urls)[(*n)++] = cm_strdup(buf);
        added++;
    }
    return added;
}

/* --- the engine's state --- */

struct s_result {
    int status; /* 0 or -1 */
    char err[S_ERR_MAX];
    struct bt_announce_reply ar; /* announce */
    struct sockaddr_storage *peers;
    size_t npeers;
    uint32_t seeders, leechers, completed; /* scrape */
};

struct s_req;
typedef void (*s_done_fn)(struct s_req *r, const struct s_result *res);

struct s_req {
    struct s_req *prev, *next; /* on the engine's list */
    bt_trk_t *t;
    uint64_t id;
    int kind;  /* S_KIND_* */
    int event; /* S_EV_* (announce) */
    char *url; /* owned */
    struct s_url u;
    uint8_t info_hash[20];
    struct bt_trk_stats stats;
    uint32_t key;
    bool private_ok;      /* may connect to a private address */
    uint64_t deadline_ms; /* monotonic */
    struct event *timer;  /* deferred failure; UDP retries and deadline */
    bool failed;          /* the timer reports `err` */
    bool at_deadline;     /* the timer is armed at the deadline */
    char err[S_ERR_MAX];
    /* HTTP */
    CURL *easy;
    cm_buf_t *body;
    bool too_big, refused;
    char curl_err[CURL_ERROR_SIZE];
    /* UDP */
    int ustate; /* S_U_* */
    struct sockaddr_storage addr;
    socklen_t alen;
    struct evdns_getaddrinfo_request *dns;
    uint32_t tid;
    unsigned attempt;
    bool waiting;     /* counted in the socket's users */
    bool cached_conn; /* the connection id came from the cache */
    bool reconnected;
    uint64_t conn_id;
    /* completion */
    s_done_fn done; /* NULL: detached (a `stopped`) */
    void *owner;    /* struct s_tracker * of an announce */
    bt_trk_scrape_cb scb;
    void *sarg;
};

struct s_conn { /* a cached UDP connection id */
    struct sockaddr_storage addr;
    uint64_t id;
    uint64_t at_ms; /* 0: free slot */
};

struct bt_trk {
    struct event_base *base;
    uint16_t port;
    uint8_t peer_id[20];
    bool allow_private;
    int timeout_ms;
    bool paused; /* the VPN gate: nothing is sent (bt_trk_set_paused) */
    uint64_t rng;
    uint64_t next_id;
    struct s_req *reqs;
    struct bt_trk_swarm *swarms;
    /* HTTP */
    cm_curl_t *curl; /* the multi handle on the loop */
    CURLM *multi;    /* ... its handle */
    /* UDP */
    int udp_fd[2]; /* IPv4, IPv6; -1 until first used */
    struct event *udp_ev[2];
    unsigned udp_users[2];
    struct s_conn conns[S_CONN_CACHE];
    uint8_t pkt[S_UDP_PKT_MAX];
    struct evdns_base *dns;
    /* lists */
    char **black;
    size_t nblack;
    uint64_t warned[S_WARNED_MAX];
    size_t nwarned;
};

/* Transaction ids and keys come from getrandom(): a tracker that sees ours must not be able
 * to predict the ids we use with another tracker. xorshift64* only if getrandom fails. */
static uint32_t s_rand32(bt_trk_t *t)
{
    uint32_t v;
    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
        return v;
    t->rng ^= t->rng >> 12;
    t->rng ^= t->rng << 25;
    t->rng ^= t->rng >> 27;
    return (uint32_t)((t->rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint64_t s_fnv(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

bool bt_trk_blacklisted(const bt_trk_t *t, const char *url)
{
    if (!t || !url)
        return false;
    for (size_t i = 0; i < t->nblack; i++)
        if (strcasestr(url, t->black[i]))
            return true;
    return false;
}

static void s_black_free(bt_trk_t *t)
{
    for (size_t i = 0; i < t->nblack; i++)
        cm_free(t->black[i]);
    cm_free(t->black);
    t->black = NULL;
    t->nblack = 0;
}

/* Patterns match case-insensitively anywhere in the URL. */
size_t bt_trk_set_blacklist(bt_trk_t *t, const char *text, size_t len)
{
    size_t pos = 0, cap = 0;
    const char *line;
    size_t llen;
    s_black_free(t);
    if (!text)
        return 0;
    while (t->nblack < BT_TRK_BLACKLIST_MAX && s_next_line(text, len, &pos, &line, &llen)) {
        if (llen == 0 || line[0] == '#' || llen > BT_TRACKER_URL_MAX || memchr(line, '\0', llen))
            continue;
        if (t->nblack == cap) {
            cap = cap ? cap * 2 : 16;
            t->black = cm_realloc(t->black, cap * sizeof(*t->black));
        }
        t->black[t->nblack++] = cm_strndup(line, llen);
    }
    return t->nblack;
}

/* Whether `url` may be used; logs why not (a refused private tracker once per URL). */
static bool s_url_usable(bt_trk_t *t, const char *url, struct s_url *u, char *err, size_t errlen)
{
    if (s_url_parse(url, u) != 0) {
        s_seterr(err, errlen, "not a valid http, https or udp tracker URL");
        cm_log_d(S_MOD, 0, "tracker URL refused (invalid): %.200s", url);
        return false;
    }
    if (bt_trk_blacklisted(t, url)) {
        s_seterr(err, errlen, "the tracker is blacklisted");
        cm_log_d(S_MOD, 0, "tracker %.200s is blacklisted", url);
        return false;
    }
    if (s_host_private(u) && !s_private_ok(u, t->allow_private)) {
        s_seterr(err, errlen, "refused: a tracker on a private address must use /announce");
        uint64_t h = s_fnv(url);
        bool seen = false;
        for (size_t i = 0; i < t->nwarned && !seen; i++)
            seen = t->warned[i] == h;
        if (!seen) {
            if (t->nwarned < S_WARNED_MAX)
                t->warned[t->nwarned++] = h;
            cm_log_w(S_MOD, 0,
                     "tracker %.200s refused: private address and the path is not /announce", url);
        }
        return false;
    }
    return true;
}

/* --- requests --- */

static void s_req_timer_cb(evutil_socket_t fd, short what, void *arg);
static void s_udp_wait(struct s_req *r, bool on);

static struct s_req *s_req_new(bt_trk_t *t, int kind, const char *url, const uint8_t info_hash[20],
                               int timeout_ms)
{
    struct s_req *r = cm_calloc(1, sizeof(*r));
    r->t = t;
    r->id = ++t->next_id;
    r->kind = kind;
    r->url = cm_strndup(url, BT_TRACKER_URL_MAX + 1);
    memcpy(r->info_hash, info_hash, 20);
    r->deadline_ms = cm_mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : t->timeout_ms);
    r->timer = evtimer_new(t->base, s_req_timer_cb, r);
    r->ustate = S_U_IDLE;
    r->next = t->reqs;
    if (t->reqs)
        t->reqs->prev = r;
    t->reqs = r;
    return r;
}

/* Stop every I/O of `r` (its timer aside); it stays on the list. */
static void s_req_stop_io(struct s_req *r)
{
    bt_trk_t *t = r->t;
    if (r->easy) {
        curl_multi_remove_handle(t->multi, r->easy);
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
    if (r->dns) {
        struct evdns_getaddrinfo_request *d = r->dns;
        r->dns = NULL;
        evdns_getaddrinfo_cancel(d); /* calls back with EVUTIL_EAI_CANCEL: ignored */
    }
    s_udp_wait(r, false);
}

/* Stop every I/O of `r` and take it off the list; no callback. */
static void s_req_release(struct s_req *r)
{
    bt_trk_t *t = r->t;
    if (r->prev)
        r->prev->next = r->next;
    else if (t->reqs == r)
        t->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
    s_req_stop_io(r);
    if (r->timer)
        event_free(r->timer);
    r->timer = NULL;
}

static void s_req_free(struct s_req *r)
{
    cm_buf_destroy(&r->body);
    cm_free(r->url);
    cm_free(r);
}

static void s_req_cancel(struct s_req *r)
{
    s_req_release(r);
    s_req_free(r);
}

/* End `r` with `res`: the handler runs after `r` left the list, then `r` is freed. */
static void s_req_finish(struct s_req *r, struct s_result *res)
{
    s_req_release(r);
    if (r->done)
        r->done(r, res);
    else if (res->status != 0)
        cm_log_d(S_MOD, 0, "%s to %.200s failed: %s", s_event_names[r->event], r->url, res->err);
    s_req_free(r);
}

static void s_req_finish_err(struct s_req *r, const char *err)
{
    struct s_result res = {.status = -1};
    snprintf(res.err, sizeof(res.err), "%s", err);
    s_req_finish(r, &res);
}

/* Report `err` on the next loop turn. */
static void s_req_fail_later(struct s_req *r, const char *fmt, ...) CM_PRINTF(2, 3);
static void s_req_fail_later(struct s_req *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[1024];
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    cm_utf8_copy(r->err, sizeof(r->err), tmp);
    r->failed = true;
    struct timeval tv = {0, 0};
    evtimer_add(r->timer, &tv);
}

/* --- HTTP --- */

static void s_curl_check(bt_trk_t *t);

static void s_on_progress(void *arg)
{
    s_curl_check(arg);
}

static size_t s_http_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct s_req *r = arg;
    size_t n = size * nmemb;
    if (cm_buf_append(r->body, ptr, n) != 0) {
        r->too_big = true;
        return 0; /* CURLE_WRITE_ERROR ends the transfer */
    }
    return n;
}

/* Connect-time half of the SSRF rule: the address curl resolved. */
static curl_socket_t s_http_opensocket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct s_req *r = arg;
    if (purpose == CURLSOCKTYPE_IPCXN && !r->private_ok && s_sa_private(&a->addr)) {
        r->refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static void s_pct(cm_buf_t *b, const uint8_t *p, size_t n, bool *fail)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        int rc;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            rc = cm_buf_append(b, &c, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = cm_buf_append(b, e, 3);
        }
        if (rc != 0)
            *fail = true;
    }
}

/* The request URL: the announce URL with our parameters, or the scrape URL. -1 when a scrape
 * URL cannot be derived (the last path segment does not start with "announce"). */
static int s_http_url(struct s_req *r, cm_buf_t *b)
{
    bt_trk_t *t = r->t;
    const char *url = r->url;
    size_t len = strcspn(url, "#");
    size_t qpos = strcspn(url, "?#");
    bool fail = false;
    if (r->kind == S_KIND_SCRAPE) {
        size_t pstart = (size_t)(r->u.path - url);
        size_t slash = qpos;
        while (slash > pstart && url[slash - 1] != '/')
            slash--;
        if (slash == pstart || qpos - slash < 8 || strncmp(url + slash, "announce", 8) != 0)
            return -1;
        fail |= cm_buf_append(b, url, slash) != 0;
        fail |= cm_buf_append(b, "scrape", 6) != 0;
        fail |= cm_buf_append(b, url + slash + 8, len - slash - 8) != 0;
    } else {
        fail |= cm_buf_append(b, url, len) != 0;
    }
    fail |= cm_buf_append(b, qpos < len ? "&info_hash=" : "?info_hash=", 11) != 0;
    s_pct(b, r->info_hash, 20, &fail);
    if (r->kind == S_KIND_ANNOUNCE) {
        fail |= cm_buf_append(b, "&peer_id=", 9) != 0;
        s_pct(b, t->peer_id, 20, &fail);
        fail |= cm_buf_appendf(b,
                               "&port=%u&uploaded=%" PRIu64 "&downloaded=%" PRIu64 "&left=%" PRIu64
                               "&compact=1&numwant=%d&key=%08" PRIx32 "%s%s",
                               t->port, r->stats.uploaded, r->stats.downloaded, r->stats.left,
                               S_NUMWANT, r->key, r->event ? "&event=" : "",
                               s_event_names[r->event]) != 0;
    }
    return fail ? -1 : 0;
}

static void s_http_start(struct s_req *r)
{
    bt_trk_t *t = r->t;
    cm_buf_t *b = cm_buf_new(BT_TRACKER_URL_MAX + 512);
    if (s_http_url(r, b) != 0) {
        if (r->kind == S_KIND_SCRAPE)
            s_req_fail_later(r, "scrape not supported (the URL does not end in /announce)");
        else
            s_req_fail_later(r, "the announce URL is too long");
        goto out;
    }
    r->body = cm_buf_new(BT_TRK_REPLY_MAX);
    r->easy = curl_easy_init();
    if (!r->easy) {
        s_req_fail_later(r, "curl_easy_init failed");
        goto out;
    }
    uint64_t now = cm_mono_ms();
    long left = r->deadline_ms > now ? (long)(r->deadline_ms - now) : 1;
    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, (const char *)cm_buf_data(b));
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, left);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, left);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "Marquee/0.1");
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* trackers are reached directly */
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_http_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, s_http_opensocket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_err);
    /* A connection to a private address allowed by the /announce rule must not be reused by a
     * later request that the rule would refuse. */
    if (r->private_ok && !t->allow_private)
        curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    CURLMcode mc = curl_multi_add_handle(t->multi, e);
    if (mc != CURLM_OK) {
        curl_easy_cleanup(e);
        r->easy = NULL;
        s_req_fail_later(r, "curl: %s", curl_multi_strerror(mc));
    }
out:
    cm_buf_destroy(&b);
}

static void s_http_done(struct s_req *r, CURLcode rc)
{
    struct s_result res = {.status = -1};
    long status = 0;
    char why[S_ERR_MAX] = "";
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) {
        if (r->refused)
            snprintf(res.err, sizeof(res.err), "refused: the host resolves to a private address");
        else if (r->too_big)
            snprintf(res.err, sizeof(res.err), "the reply is over %d bytes", BT_TRK_REPLY_MAX);
        else if (rc == CURLE_OPERATION_TIMEDOUT)
            snprintf(res.err, sizeof(res.err), "timed out");
        else
            s_seterr(res.err, sizeof(res.err), "%s",
                     r->curl_err[0] ? r->curl_err : curl_easy_strerror(rc));
        s_req_finish(r, &res);
        return;
    }
    const uint8_t *body = cm_buf_data(r->body);
    size_t blen = cm_buf_len(r->body);
    if (r->kind == S_KIND_SCRAPE) {
        int prc = bt_trk_parse_http_scrape(body, blen, r->info_hash, &res.seeders, &res.leechers,
                                           &res.completed, why, sizeof(why));
        if (status != 200 && strncmp(why, "tracker: ", 9) != 0)
            snprintf(res.err, sizeof(res.err), "HTTP status %ld", status);
        else if (prc != 0)
            snprintf(res.err, sizeof(res.err), "%s", why);
        else
            res.status = 0;
        s_req_finish(r, &res);
        return;
    }
    res.peers = cm_malloc(BT_TRK_PEERS_MAX * sizeof(*res.peers));
    int prc = bt_trk_parse_http_announce(body, blen, &res.ar, res.peers, BT_TRK_PEERS_MAX, why,
                                         sizeof(why));
    if (prc == 0 && res.ar.failure[0])
        s_seterr(res.err, sizeof(res.err), "tracker: %s", res.ar.failure);
    else if (status != 200)
        snprintf(res.err, sizeof(res.err), "HTTP status %ld", status);
    else if (prc != 0)
        snprintf(res.err, sizeof(res.err), "%s", why);
    else
        res.status = 0;
    res.npeers = res.status == 0 ? res.ar.npeers : 0;
    struct sockaddr_storage *peers = res.peers;
    s_req_finish(r, &res);
    cm_free(peers);
}

static void s_curl_check(bt_trk_t *t)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(t->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *e = msg->easy_handle;
        CURLcode rc = msg->data.result;
        char *priv = NULL;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
        if (priv)
            s_http_done((struct s_req *)(void *)priv, rc);
    }
}

/* --- UDP (BEP 15) --- */

static int s_fam(int family)
{
    return family == AF_INET6 ? 1 : 0;
}

static void s_udp_read_cb(evutil_socket_t fd, short what, void *arg);

/* The socket of a family, created on first use. */
static int s_udp_socket(bt_trk_t *t, int family)
{
    int f = s_fam(family);
    if (t->udp_fd[f] >= 0)
        return t->udp_fd[f];
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sl;
    if (family == AF_INET6) {
        int one = 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
        sl = sizeof(struct sockaddr_in6);
    } else {
        ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
        sl = sizeof(struct sockaddr_in);
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
        close(fd);
        return -1;
    }
    t->udp_ev[f] = event_new(t->base, fd, EV_READ | EV_PERSIST, s_udp_read_cb, t);
    if (!t->udp_ev[f]) {
        close(fd);
        return -1;
    }
    t->udp_fd[f] = fd;
    return fd;
}

/* The read event is pending only while a request waits on the socket, so an idle engine does
 * not keep the loop running. */
static void s_udp_wait(struct s_req *r, bool on)
{
    bt_trk_t *t = r->t;
    if (r->waiting == on)
        return;
    int f = s_fam(r->addr.ss_family);
    r->waiting = on;
    if (on) {
        if (t->udp_users[f]++ == 0)
            event_add(t->udp_ev[f], NULL);
    } else {
        if (--t->udp_users[f] == 0)
            event_del(t->udp_ev[f]);
    }
}

static bool s_sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
    }
    return false;
}

static struct s_conn *s_conn_find(bt_trk_t *t, const struct sockaddr_storage *a)
{
    uint64_t now = cm_mono_ms();
    for (size_t i = 0; i < S_CONN_CACHE; i++) {
        struct s_conn *c = &t->conns[i];
        if (c->at_ms && now - c->at_ms < S_CONN_TTL_MS && s_sa_equal(&c->addr, a))
            return c;
    }
    return NULL;
}

static void s_conn_put(bt_trk_t *t, const struct sockaddr_storage *a, uint64_t id)
{
    struct s_conn *c = s_conn_find(t, a);
    if (!c) { /* a free slot (at_ms 0) or else the oldest entry */
        c = &t->conns[0];
        for (size_t i = 1; i < S_CONN_CACHE; i++)
            if (t->conns[i].at_ms < c->at_ms)
                c = &t->conns[i];
    }
    c->addr = *a;
    c->id = id;
    c->at_ms = CM_MAX(cm_mono_ms(), (uint64_t)1);
}

static void s_conn_drop(bt_trk_t *t, const struct sockaddr_storage *a)
{
    struct s_conn *c = s_conn_find(t, a);
    if (c)
        c->at_ms = 0;
}

static void s_udp_send(struct s_req *r)
{
    bt_trk_t *t = r->t;
    uint8_t pkt[98];
    size_t n;
    if (r->ustate == S_U_CONNECTING) {
        s_put64(pkt, S_UDP_PROTOCOL_ID);
        s_put32(pkt + 8, BT_UDP_CONNECT);
        s_put32(pkt + 12, r->tid);
        n = 16;
    } else if (r->kind == S_KIND_SCRAPE) {
        s_put64(pkt, r->conn_id);
        s_put32(pkt + 8, BT_UDP_SCRAPE);
        s_put32(pkt + 12, r->tid);
        memcpy(pkt + 16, r->info_hash, 20);
        n = 36;
    } else {
        s_put64(pkt, r->conn_id);
        s_put32(pkt + 8, BT_UDP_ANNOUNCE);
        s_put32(pkt + 12, r->tid);
        memcpy(pkt + 16, r->info_hash, 20);
        memcpy(pkt + 36, t->peer_id, 20);
        s_put64(pkt + 56, r->stats.downloaded);
        s_put64(pkt + 64, r->stats.left);
        s_put64(pkt + 72, r->stats.uploaded);
        s_put32(pkt + 80, (uint32_t)r->event);
        s_put32(pkt + 84, 0); /* ip: the sender's */
        s_put32(pkt + 88, r->key);
        s_put32(pkt + 92, S_NUMWANT);
        s_put16(pkt + 96, t->port);
        n = 98;
    }
    int fd = t->udp_fd[s_fam(r->addr.ss_family)];
    ssize_t w = sendto(fd, pkt, n, MSG_NOSIGNAL, (struct sockaddr *)&r->addr, r->alen);
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS && errno != EINTR)
        s_req_fail_later(r, "sendto: %s", strerror(errno));
    /* else a lost datagram: the retry timer sends it again */
}

/* Arm the retry timer: 15 x 2^attempt s, or the deadline if sooner. */
static void s_udp_arm(struct s_req *r)
{
    uint64_t now = cm_mono_ms();
    uint64_t at = now + ((uint64_t)S_UDP_RETRY_MS << CM_MIN(r->attempt, (unsigned)S_UDP_RETRY_N));
    r->at_deadline = at >= r->deadline_ms;
    if (r->at_deadline)
        at = r->deadline_ms;
    struct timeval tv = cm_tv_ms(at > now ? (int64_t)(at - now) : 0);
    evtimer_add(r->timer, &tv);
}

static void s_udp_begin(struct s_req *r)
{
    bt_trk_t *t = r->t;
    if (!r->private_ok && s_sa_private((struct sockaddr *)&r->addr)) {
        s_req_fail_later(r, "refused: the host resolves to a private address");
        return;
    }
    if (s_udp_socket(t, r->addr.ss_family) < 0) {
        s_req_fail_later(r, "no UDP socket for this address family: %s", strerror(errno));
        return;
    }
    s_udp_wait(r, true);
    struct s_conn *c = s_conn_find(t, &r->addr);
    if (c) {
        r->conn_id = c->id;
        r->cached_conn = true;
        r->ustate = S_U_SENT;
    } else {
        r->ustate = S_U_CONNECTING;
    }
    r->tid = s_rand32(t);
    r->attempt = 0;
    s_udp_send(r);
    if (!r->failed)
        s_udp_arm(r);
}

static void s_udp_resolved(int rc, struct evutil_addrinfo *ai, void *arg)
{
    struct s_req *r = arg;
    if (rc == EVUTIL_EAI_CANCEL) {
        if (ai)
            evutil_freeaddrinfo(ai);
        return; /* the request is being released */
    }
    r->dns = NULL;
    r->ustate = S_U_IDLE;
    const struct evutil_addrinfo *pick = NULL;
    for (const struct evutil_addrinfo *a = ai; a; a = a->ai_next) /* IPv4 first */
        if (a->ai_family == AF_INET && (!pick || pick->ai_family != AF_INET))
            pick = a;
    for (const struct evutil_addrinfo *a = ai; a && !pick; a = a->ai_next)
        if (a->ai_family == AF_INET6)
            pick = a;
    if (rc != 0 || !pick || pick->ai_addrlen > sizeof(r->addr)) {
        s_req_fail_later(r, "cannot resolve %s: %s", r->u.host,
                         rc ? evutil_gai_strerror(rc) : "no address");
    } else {
        memset(&r->addr, 0, sizeof(r->addr));
        memcpy(&r->addr, pick->ai_addr, pick->ai_addrlen);
        r->alen = (socklen_t)pick->ai_addrlen;
        if (pick->ai_family == AF_INET)
            ((struct sockaddr_in *)&r->addr)->sin_port = htons(r->u.port);
        else
            ((struct sockaddr_in6 *)&r->addr)->sin6_port = htons(r->u.port);
        s_udp_begin(r);
    }
    if (ai)
        evutil_freeaddrinfo(ai);
}

static void s_udp_start(struct s_req *r)
{
    bt_trk_t *t = r->t;
    memset(&r->addr, 0, sizeof(r->addr));
    struct sockaddr_in *s4 = (struct sockaddr_in *)&r->addr;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&r->addr;
    char lit[INET6_ADDRSTRLEN];
    size_t llen = strcspn(r->u.host, "%");
    if (r->u.host_v6 && llen < sizeof(lit)) {
        memcpy(lit, r->u.host, llen);
        lit[llen] = '\0';
        if (inet_pton(AF_INET6, lit, &s6->sin6_addr) != 1) {
            s_req_fail_later(r, "bad IPv6 address");
            return;
        }
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(r->u.port);
        r->alen = sizeof(*s6);
        s_udp_begin(r);
        return;
    }
    if (inet_aton(r->u.host, &s4->sin_addr)) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(r->u.port);
        r->alen = sizeof(*s4);
        s_udp_begin(r);
        return;
    }
    if (!t->dns)
        t->dns = evdns_base_new(t->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                             EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    if (!t->dns) {
        s_req_fail_later(r, "no DNS resolver (resolv.conf)");
        return;
    }
    struct evutil_addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    r->ustate = S_U_RESOLVING;
    r->at_deadline = true;
    struct timeval tv = cm_tv_ms((int64_t)(r->deadline_ms - cm_mono_ms()));
    evtimer_add(r->timer, &tv);
    struct evdns_getaddrinfo_request *d =
        evdns_getaddrinfo(t->dns, r->u.host, NULL, &hints, s_udp_resolved, r);
    if (r->ustate == S_U_RESOLVING) /* else the callback already ran */
        r->dns = d;
}

static void s_udp_reply(struct s_req *r, const uint8_t *buf, size_t len)
{
    bt_trk_t *t = r->t;
    struct bt_udp_reply rep;
    struct s_result res = {.status = -1};
    bool v6 = r->addr.ss_family == AF_INET6;
    bool announce = r->ustate == S_U_SENT && r->kind == S_KIND_ANNOUNCE;
    if (announce)
        res.peers = cm_malloc(BT_TRK_PEERS_MAX * sizeof(*res.peers));
    if (bt_trk_parse_udp(buf, len, r->tid, v6, &rep, res.peers, announce ? BT_TRK_PEERS_MAX : 0) !=
        0) {
        /* A matching transaction id and address, but a packet we cannot take. */
        snprintf(res.err, sizeof(res.err), "malformed UDP tracker reply (%zu bytes)", len);
        s_req_finish(r, &res);
        goto out;
    }
    switch (rep.action) {
    case BT_UDP_ERROR:
        if (r->ustate == S_U_SENT && r->cached_conn && !r->reconnected) {
            /* Maybe the tracker forgot our connection id: connect again, once. */
            s_conn_drop(t, &r->addr);
            r->reconnected = true;
            r->cached_conn = false;
            r->ustate = S_U_CONNECTING;
            r->tid = s_rand32(t);
            s_udp_send(r);
            if (!r->failed)
                s_udp_arm(r);
            break;
        }
        s_seterr(res.err, sizeof(res.err), "tracker: %s", rep.error);
        s_req_finish(r, &res);
        break;
    case BT_UDP_CONNECT:
        if (r->ustate != S_U_CONNECTING)
            break;
        s_conn_put(t, &r->addr, rep.connection_id);
        r->conn_id = rep.connection_id;
        r->ustate = S_U_SENT;
        r->tid = s_rand32(t);
        r->attempt = 0;
        s_udp_send(r);
        if (!r->failed)
            s_udp_arm(r);
        break;
    case BT_UDP_ANNOUNCE:
        if (!announce)
            break;
        res.status = 0;
        res.ar.interval = rep.interval;
        res.ar.min_interval = -1;
        res.ar.complete = rep.seeders;
        res.ar.incomplete = rep.leechers;
        res.ar.npeers = res.npeers = rep.npeers;
        s_req_finish(r, &res);
        break;
    case BT_UDP_SCRAPE:
        if (r->ustate != S_U_SENT || r->kind != S_KIND_SCRAPE)
            break;
        res.status = 0;
        res.seeders = rep.s_seeders;
        res.leechers = rep.s_leechers;
        res.completed = rep.s_completed;
        s_req_finish(r, &res);
        break;
    default:
        break;
    }
out:
    cm_free(res.peers);
}

static void s_udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
    bt_trk_t *t = arg;
    CM_UNUSED(what);
    for (int i = 0; i < S_UDP_RECV_BURST; i++) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof(from);
        memset(&from, 0, sizeof(from));
        ssize_t n =
            recvfrom(fd, t->pkt, sizeof(t->pkt), MSG_TRUNC, (struct sockaddr *)&from, &flen);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break; /* EAGAIN, or an ICMP error we have no use for */
        }
        if (n < 8 || (size_t)n > sizeof(t->pkt))
            continue;
        uint32_t tid = s_get32(t->pkt + 4);
        struct s_req *r = t->reqs;
        while (r && !(r->waiting && r->tid == tid && s_sa_equal(&r->addr, &from)))
            r = r->next;
        if (!r) {
            /* An unknown transaction id, or a reply from another address (B-11): ignored. */
            cm_log_d(S_MOD, 0, "UDP datagram of %zd bytes ignored (no matching request)", n);
            continue;
        }
        s_udp_reply(r, t->pkt, (size_t)n);
    }
}

/* The request's timer: a deferred failure, a UDP retry, or the deadline. */
static void s_req_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct s_req *r = arg;
    CM_UNUSED(fd);
    CM_UNUSED(what);
    if (r->failed) {
        s_req_finish_err(r, r->err);
        return;
    }
    if (r->at_deadline) {
        s_req_finish_err(r,
                         r->ustate == S_U_RESOLVING ? "timed out resolving the host" : "timed out");
        return;
    }
    r->attempt++;
    s_udp_send(r);
    if (!r->failed)
        s_udp_arm(r);
}

static void s_req_start(struct s_req *r)
{
    if (r->t->paused) {
        s_req_fail_later(r, "%s", S_PAUSED_ERR);
        return;
    }
    char why[S_ERR_MAX];
    if (!s_url_usable(r->t, r->url, &r->u, why, sizeof(why))) {
        s_req_fail_later(r, "%s", why);
        return;
    }
    r->private_ok = s_private_ok(&r->u, r->t->allow_private);
    if (r->u.scheme == S_SCHEME_UDP)
        s_udp_start(r);
    else
        s_http_start(r);
}

/* --- the engine --- */

static void s_swarm_detach(struct bt_trk_swarm *s);

bt_trk_t *bt_trk_new(struct event_base *base, const struct bt_trk_opts *opts, char *err,
                     size_t errlen)
{
    if (!base || !opts || !opts->peer_id) {
        s_seterr(err, errlen, "bt_trk_new: missing event base, options or peer id");
        return NULL;
    }
    bt_trk_t *t = cm_calloc(1, sizeof(*t));
    t->base = base;
    t->port = opts->port;
    memcpy(t->peer_id, opts->peer_id, 20);
    t->allow_private = opts->allow_private;
    t->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : S_TIMEOUT_MS;
    t->udp_fd[0] = t->udp_fd[1] = -1;
    if (getrandom(&t->rng, sizeof(t->rng), 0) != (ssize_t)sizeof(t->rng))
        t->rng = cm_mono_us() ^ ((uint64_t)getpid() << 32);
    t->rng |= 1;
    if (!(t->curl = cm_curl_new(base, s_on_progress, t))) {
        s_seterr(err, errlen, "libcurl cannot be initialised");
        goto fail;
    }
    t->multi = cm_curl_multi(t->curl);
    return t;
fail:
    bt_trk_destroy(&t);
    return NULL;
}

void bt_trk_destroy(bt_trk_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bt_trk_t *t = *self_p;
    *self_p = NULL;
    while (t->swarms)
        s_swarm_detach(t->swarms);
    while (t->reqs)
        s_req_cancel(t->reqs);
    cm_curl_destroy(&t->curl);
    if (t->dns)
        evdns_base_free(t->dns, 0);
    for (int f = 0; f < 2; f++) {
        if (t->udp_ev[f])
            event_free(t->udp_ev[f]);
        if (t->udp_fd[f] >= 0)
            close(t->udp_fd[f]);
    }
    s_black_free(t);
    cm_free(t);
}

size_t bt_trk_pending(const bt_trk_t *t)
{
    size_t n = 0;
    for (const struct s_req *r = t ? t->reqs : NULL; r; r = r->next)
        n++;
    return n;
}

static void s_scrape_done(struct s_req *r, const struct s_result *res)
{
    r->scb(r->sarg, res->status, res->seeders, res->leechers, res->completed,
           res->status == 0 ? "" : res->err);
}

bt_trk_req_t bt_trk_scrape(bt_trk_t *t, const char *url, const uint8_t info_hash[20],
                           int timeout_ms, bt_trk_scrape_cb cb, void *arg)
{
    if (!t || !url || !info_hash || !cb)
        return 0;
    struct s_req *r = s_req_new(t, S_KIND_SCRAPE, url, info_hash, timeout_ms);
    r->done = s_scrape_done;
    r->scb = cb;
    r->sarg = arg;
    s_req_start(r);
    return r->id;
}

void bt_trk_cancel(bt_trk_t *t, bt_trk_req_t req)
{
    if (!t || req == 0)
        return;
    for (struct s_req *r = t->reqs; r; r = r->next) {
        if (r->id == req && r->kind == S_KIND_SCRAPE) {
            s_req_cancel(r);
            return;
        }
    }
}

/* --- swarms (BEP 12) --- */

struct s_tier;

struct s_tracker {
    char *url; /* owned */
    char host[64];
    struct s_tier *tier;
    struct s_req *req;         /* the announce in flight */
    bool started;              /* answered a `started` */
    bool completed_sent;       /* answered a `completed` */
    bool answered;             /* answered at least once */
    int64_t seeders, leechers; /* last figures, -1 unknown */
};

struct s_tier {
    struct bt_trk_swarm *s;
    struct s_tracker **trk; /* owned; the working one moves to the front */
    size_t n, cur;          /* trackers; the one in use */
    struct event *timer;    /* next announce */
    uint64_t next_ms;       /* when the timer fires (monotonic), 0 when not armed */
    uint64_t last_ms;       /* last successful announce, 0 never */
    uint32_t failures;      /* whole-tier failures in a row (back-off) */
    uint32_t min_interval_s;
};

struct bt_trk_swarm {
    bt_trk_t *t; /* NULL once the engine is gone */
    struct bt_trk_swarm *prev, *next;
    uint8_t info_hash[20];
    struct bt_trk_swarm_cbs cbs;
    uint32_t key;
    struct s_tier **tiers; /* owned */
    size_t ntiers;
    size_t ntrackers;
    bool started, completed;
    struct bt_trk_stats last_stats; /* the figures of the last announce, for `stopped` */
    uint32_t peers_total;
    char last_error[160];
};

static void s_tier_timer_cb(evutil_socket_t fd, short what, void *arg);

static void s_tier_schedule(struct s_tier *tr, uint64_t delay_ms)
{
    struct timeval tv = cm_tv_ms((int64_t)delay_ms);
    tr->next_ms = cm_mono_ms() + delay_ms;
    evtimer_add(tr->timer, &tv);
}

static void s_swarm_done(struct s_req *r, const struct s_result *res)
{
    struct s_tracker *k = r->owner;
    struct s_tier *tr = k->tier;
    struct bt_trk_swarm *s = tr->s;
    k->req = NULL;
    if (res->status != 0) {
        s_seterr(s->last_error, sizeof(s->last_error), "%s: %s", k->host, res->err);
        cm_log_d(S_MOD, 0, "announce (%s) to %.200s failed: %s",
                 r->event ? s_event_names[r->event] : "interval", k->url, res->err);
        if (++tr->cur < tr->n) {
            s_tier_schedule(tr, 0); /* the next tracker of the tier, now */
        } else {
            tr->cur = 0;
            uint64_t d = (uint64_t)S_BACKOFF_BASE_S << CM_MIN(tr->failures, 10u);
            tr->failures++;
            s_tier_schedule(tr, CM_MIN(d, (uint64_t)S_BACKOFF_MAX_S) * 1000);
        }
        return;
    }
    k->answered = true;
    if (r->event == S_EV_STARTED) {
        k->started = true;
        if (r->stats.left == 0)
            k->completed_sent = true; /* it met us as a seed: no `completed` for it */
    }
    if (r->event == S_EV_COMPLETED)
        k->completed_sent = true;
    k->seeders = res->ar.complete;
    k->leechers = res->ar.incomplete;
    if (res->ar.warning[0])
        cm_log_i(S_MOD, 0, "tracker %.200s warns: %s", k->url, res->ar.warning);
    memmove(&tr->trk[1], &tr->trk[0], tr->cur * sizeof(*tr->trk)); /* BEP 12: to the front */
    tr->trk[0] = k;
    tr->cur = 0;
    tr->failures = 0;
    tr->last_ms = cm_mono_ms();
    int64_t iv = res->ar.interval >= 0 ? res->ar.interval : S_INTERVAL_DEFAULT_S;
    iv = CM_MAX(iv, BT_TRK_INTERVAL_MIN_S);
    iv = CM_MIN(iv, BT_TRK_INTERVAL_MAX_S);
    int64_t mi = res->ar.min_interval >= 0 ? res->ar.min_interval : S_MIN_INTERVAL_DEFAULT_S;
    mi = CM_MAX(mi, S_MIN_INTERVAL_DEFAULT_S);
    tr->min_interval_s = (uint32_t)CM_MIN(mi, iv);
    if (s->completed && !k->completed_sent)
        s_tier_schedule(tr, 0); /* completed while `started` was in flight */
    else
        s_tier_schedule(tr, (uint64_t)iv * 1000);
    uint64_t total = (uint64_t)s->peers_total + res->npeers;
    s->peers_total = (uint32_t)CM_MIN(total, (uint64_t)UINT32_MAX);
    cm_log_d(S_MOD, 0, "tracker %.200s: %zu peers, interval %" PRId64 " s", k->url, res->npeers,
             iv);
    /* Last: the callback may destroy the swarm. */
    if (res->npeers > 0 && s->cbs.peers)
        s->cbs.peers(s->cbs.arg, res->peers, res->npeers);
}

static void s_tier_announce(struct s_tier *tr)
{
    struct bt_trk_swarm *s = tr->s;
    bt_trk_t *t = s->t;
    if (!t || !s->started || tr->n == 0 || t->paused)
        return; /* paused: bt_trk_set_paused announces again on resume */
    struct s_tracker *k = tr->trk[tr->cur];
    if (k->req)
        return;
    int ev = S_EV_NONE;
    if (!k->started)
        ev = S_EV_STARTED;
    else if (s->completed && !k->completed_sent)
        ev = S_EV_COMPLETED;
    struct bt_trk_stats st = {0, 0, 0};
    if (s->cbs.stats)
        s->cbs.stats(s->cbs.arg, &st);
    s->last_stats = st;
    struct s_req *r = s_req_new(t, S_KIND_ANNOUNCE, k->url, s->info_hash, 0);
    r->event = ev;
    r->stats = st;
    r->key = s->key;
    r->done = s_swarm_done;
    r->owner = k;
    k->req = r;
    s_req_start(r);
}

static void s_tier_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct s_tier *tr = arg;
    CM_UNUSED(fd);
    CM_UNUSED(what);
    tr->next_ms = 0;
    s_tier_announce(tr);
}

static void s_tier_free(struct s_tier *tr)
{
    for (size_t i = 0; i < tr->n; i++) {
        cm_free(tr->trk[i]->url);
        cm_free(tr->trk[i]);
    }
    cm_free(tr->trk);
    if (tr->timer)
        event_free(tr->timer);
    cm_free(tr);
}

/* Add a tier of the usable URLs among `urls` (none added when none is usable). */
static void s_swarm_add_tier(struct bt_trk_swarm *s, const char *const *urls, size_t n)
{
    bt_trk_t *t = s->t;
    struct s_tier *tr = cm_calloc(1, sizeof(*tr));
    tr->s = s;
    tr->trk = cm_calloc(n ? n : 1, sizeof(*tr->trk));
    for (size_t i = 0; i < n && s->ntrackers < S_SWARM_TRACKERS_MAX; i++) {
        struct s_url u;
        if (!urls[i] || !s_url_usable(t, urls[i], &u, NULL, 0))
            continue;
        bool dup = false;
        for (size_t a = 0; a < s->ntiers && !dup; a++)
            for (size_t b = 0; b < s->tiers[a]->n && !dup; b++)
                dup = strcmp(s->tiers[a]->trk[b]->url, urls[i]) == 0;
        for (size_t b = 0; b < tr->n && !dup; b++)
            dup = strcmp(tr->trk[b]->url, urls[i]) == 0;
        if (dup)
            continue;
        struct s_tracker *k = cm_calloc(1, sizeof(*k));
        k->url = cm_strdup(urls[i]);
        s_seterr(k->host, sizeof(k->host), "%s", u.host);
        k->tier = tr;
        k->seeders = k->leechers = -1;
        tr->trk[tr->n++] = k;
        s->ntrackers++;
    }
    if (tr->n == 0) {
        s_tier_free(tr);
        return;
    }
    for (size_t i = tr->n - 1; i > 0; i--) { /* BEP 12: shuffled once */
        size_t j = s_rand32(t) % (i + 1);
        struct s_tracker *x = tr->trk[i];
        tr->trk[i] = tr->trk[j];
        tr->trk[j] = x;
    }
    tr->timer = evtimer_new(t->base, s_tier_timer_cb, tr);
    tr->min_interval_s = S_MIN_INTERVAL_DEFAULT_S;
    s->tiers = cm_realloc(s->tiers, (s->ntiers + 1) * sizeof(*s->tiers));
    s->tiers[s->ntiers++] = tr;
    if (s->started)
        s_tier_schedule(tr, 0);
}

bt_trk_swarm_t *bt_trk_swarm_new(bt_trk_t *t, const uint8_t info_hash[20],
                                 const struct bt_tracker_url *urls, size_t n,
                                 const struct bt_trk_swarm_cbs *cbs)
{
    if (!t || !info_hash)
        return NULL;
    struct bt_trk_swarm *s = cm_calloc(1, sizeof(*s));
    s->t = t;
    memcpy(s->info_hash, info_hash, 20);
    if (cbs)
        s->cbs = *cbs;
    s->key = s_rand32(t);
    s->next = t->swarms;
    if (t->swarms)
        t->swarms->prev = s;
    t->swarms = s;
    const char **group = cm_calloc(n ? n : 1, sizeof(*group));
    for (size_t i = 0; i < n;) { /* consecutive URLs of one tier value form a tier */
        size_t g = 0, j = i;
        for (; j < n && urls[j].tier == urls[i].tier; j++)
            group[g++] = urls[j].url;
        s_swarm_add_tier(s, group, g);
        i = j;
    }
    cm_free(group);
    return s;
}

void bt_trk_swarm_add(bt_trk_swarm_t *s, const char *const *urls, size_t n)
{
    if (s && s->t && urls && n)
        s_swarm_add_tier(s, urls, n);
}

void bt_trk_swarm_start(bt_trk_swarm_t *s)
{
    if (!s || !s->t || s->started)
        return;
    s->started = true;
    for (size_t i = 0; i < s->ntiers; i++)
        s_tier_schedule(s->tiers[i], 0);
}

void bt_trk_swarm_completed(bt_trk_swarm_t *s)
{
    if (!s || !s->t || s->completed)
        return;
    s->completed = true;
    if (!s->started)
        return;
    for (size_t i = 0; i < s->ntiers; i++) {
        struct s_tier *tr = s->tiers[i];
        struct s_tracker *k = tr->trk[tr->cur];
        /* In flight: s_swarm_done sends it; in back-off: the next attempt carries it. */
        if (!k->req && tr->failures == 0 && k->started && !k->completed_sent)
            s_tier_schedule(tr, 0);
    }
}

void bt_trk_swarm_more_peers(bt_trk_swarm_t *s)
{
    if (!s || !s->t || !s->started)
        return;
    uint64_t now = cm_mono_ms();
    for (size_t i = 0; i < s->ntiers; i++) {
        struct s_tier *tr = s->tiers[i];
        if (tr->trk[tr->cur]->req || tr->failures > 0 || tr->last_ms == 0)
            continue; /* in flight, in back-off, or not announced yet */
        uint64_t at = tr->last_ms + (uint64_t)tr->min_interval_s * 1000;
        at = CM_MAX(at, now);
        if (tr->next_ms == 0 || at < tr->next_ms)
            s_tier_schedule(tr, at - now);
    }
}

/* The engine goes first: stop every timer and request of the swarm, keep its memory. */
static void s_swarm_detach(struct bt_trk_swarm *s)
{
    bt_trk_t *t = s->t;
    for (size_t i = 0; i < s->ntiers; i++) {
        struct s_tier *tr = s->tiers[i];
        for (size_t j = 0; j < tr->n; j++) {
            if (tr->trk[j]->req)
                s_req_cancel(tr->trk[j]->req);
            tr->trk[j]->req = NULL;
        }
        if (tr->timer)
            event_free(tr->timer);
        tr->timer = NULL;
    }
    if (s->prev)
        s->prev->next = s->next;
    else if (t->swarms == s)
        t->swarms = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    s->t = NULL;
}

void bt_trk_swarm_destroy(bt_trk_swarm_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    struct bt_trk_swarm *s = *self_p;
    *self_p = NULL;
    bt_trk_t *t = s->t;
    if (t) {
        int timeout = CM_MIN(t->timeout_ms, (int)S_STOPPED_MS);
        for (size_t i = 0; i < s->ntiers; i++) {
            struct s_tier *tr = s->tiers[i];
            for (size_t j = 0; j < tr->n; j++) {
                struct s_tracker *k = tr->trk[j];
                bool stop = k->started || (k->req && k->req->event == S_EV_STARTED);
                if (k->req)
                    s_req_cancel(k->req);
                k->req = NULL;
                if (!stop)
                    continue;
                /* Fire and forget: the engine owns it, with no handler. */
                struct s_req *r = s_req_new(t, S_KIND_ANNOUNCE, k->url, s->info_hash, timeout);
                r->event = S_EV_STOPPED;
                r->stats = s->last_stats;
                r->key = s->key;
                s_req_start(r);
            }
        }
        s_swarm_detach(s);
    }
    for (size_t i = 0; i < s->ntiers; i++)
        s_tier_free(s->tiers[i]);
    cm_free(s->tiers);
    cm_free(s);
}

void bt_trk_swarm_info(const bt_trk_swarm_t *s, struct bt_trk_swarm_info *out)
{
    memset(out, 0, sizeof(*out));
    if (!s)
        return;
    int64_t seeders = 0, leechers = 0;
    for (size_t i = 0; i < s->ntiers; i++) {
        for (size_t j = 0; j < s->tiers[i]->n; j++) {
            const struct s_tracker *k = s->tiers[i]->trk[j];
            out->answered += k->answered;
            seeders = CM_MAX(seeders, k->seeders);
            leechers = CM_MAX(leechers, k->leechers);
        }
    }
    out->trackers = (uint32_t)s->ntrackers;
    out->peers = s->peers_total;
    out->seeders = s_u32(seeders);
    out->leechers = s_u32(leechers);
    snprintf(out->last_error, sizeof(out->last_error), "%s", s->last_error);
}

/* --- the VPN gate --- */

void bt_trk_set_paused(bt_trk_t *t, bool paused)
{
    if (!t || t->paused == paused)
        return;
    t->paused = paused;
    if (paused) {
        for (struct bt_trk_swarm *s = t->swarms; s; s = s->next)
            for (size_t i = 0; i < s->ntiers; i++)
                for (size_t j = 0; j < s->tiers[i]->n; j++) {
                    struct s_tracker *k = s->tiers[i]->trk[j];
                    if (k->req)
                        s_req_cancel(k->req); /* dropped: announced again on resume */
                    k->req = NULL;
                }
        /* What is left: scrapes and detached `stopped`s. They end, failed, next turn. */
        for (struct s_req *r = t->reqs; r; r = r->next) {
            if (r->failed)
                continue;
            s_req_stop_io(r);
            s_req_fail_later(r, "%s", S_PAUSED_ERR);
        }
        return;
    }
    for (struct bt_trk_swarm *s = t->swarms; s; s = s->next) {
        if (!s->started)
            continue;
        for (size_t i = 0; i < s->ntiers; i++) {
            struct s_tier *tr = s->tiers[i];
            tr->failures = 0;
            s_tier_schedule(tr, 0);
        }
    }
}
