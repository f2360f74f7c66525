/* SPDX-License-Identifier: MIT
 * gw_client: trusted proxies and the X-Forwarded-For walk. Every address is held as 16 bytes
 * of IPv6 (IPv4 as ::ffff:a.b.c.d), so one comparison serves both families. */
#include "gw_client.h"

#define GW_PROXIES_TAG 0x67777031u /* "gwp1" */

/* One trusted range. */
struct net {
    uint8_t addr[16]; /* network address, bits past the prefix zero */
    int bits;         /* prefix length, 0..128, in the IPv6 space */
};

struct gw_proxies {
    uint32_t tag;                    /* GW_PROXIES_TAG while alive */
    size_t n;                        /* entries used */
    struct net nets[GW_PROXIES_MAX]; /* the ranges, in the order given */
};

static const uint8_t s_v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* --- Addresses --- */

/* Parse a bare numeric address (NUL-terminated) into 16 bytes. *v4_out: it was IPv4 text. */
static bool s_parse_ip(const char *s, uint8_t a[16], bool *v4_out)
{
    struct in_addr v4;
    if (inet_pton(AF_INET, s, &v4) == 1) {
        memcpy(a, s_v4mapped, 12);
        memcpy(a + 12, &v4, 4);
        if (v4_out)
            *v4_out = true;
        return true;
    }
    if (v4_out)
        *v4_out = false;
    return inet_pton(AF_INET6, s, a) == 1;
}

/* The inet_ntop text of `a`; an IPv4-mapped address comes out as plain IPv4. */
static void s_format(const uint8_t a[16], char *out, size_t outlen)
{
    char buf[INET6_ADDRSTRLEN];
    const char *s;
    if (memcmp(a, s_v4mapped, 12) == 0)
        s = inet_ntop(AF_INET, a + 12, buf, sizeof(buf));
    else
        s = inet_ntop(AF_INET6, a, buf, sizeof(buf));
    if (outlen > 0)
        snprintf(out, outlen, "%s", s ? s : "");
}

static bool s_in_net(const struct net *n, const uint8_t a[16])
{
    int full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(n->addr, a, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (n->addr[full] & mask) == (a[full] & mask);
}

static bool s_contains(const gw_proxies_t *self, const uint8_t a[16])
{
    if (!self)
        return false;
    for (size_t i = 0; i < self->n; i++)
        if (s_in_net(&self->nets[i], a))
            return true;
    return false;
}

/* A decimal number of 1..`maxdigits` digits filling [s, s + n), at most `max`; -1 otherwise. */
static long s_number(const char *s, size_t n, int maxdigits, long max)
{
    if (n == 0 || n > (size_t)maxdigits)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v <= max ? v : -1;
}

/* --- Trusted proxies --- */

static bool s_is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parse one list item "addr" or "addr/bits" into *n. -1 with a sentence in `err`. */
static int s_parse_net(const char *item, struct net *n, char *err, size_t errlen)
{
    char buf[GW_XFF_ITEM_MAX + 1];
    size_t len = strlen(item);
    const char *slash = strchr(item, '/');
    size_t alen = slash ? (size_t)(slash - item) : len;
    bool v4 = false;
    if (alen > GW_XFF_ITEM_MAX) {
        cm_errf(err, errlen, "trusted proxy \"%s\" is not an IP address or CIDR range", item);
        return -1;
    }
    memcpy(buf, item, alen);
    buf[alen] = '\0';
    if (!s_parse_ip(buf, n->addr, &v4)) {
        cm_errf(err, errlen, "trusted proxy \"%s\" is not an IP address or CIDR range", item);
        return -1;
    }
    n->bits = 128;
    if (slash) {
        long bits = s_number(slash + 1, len - alen - 1, 3, v4 ? 32 : 128);
        if (bits < 0) {
            cm_errf(err, errlen, "trusted proxy \"%s\" has a bad prefix length (0 to %d)", item,
                    v4 ? 32 : 128);
            return -1;
        }
        n->bits = (int)bits + (v4 ? 96 : 0);
    }
    for (int bit = n->bits; bit < 128; bit++) {
        if (n->addr[bit / 8] & (0x80 >> (bit % 8))) {
            cm_errf(err, errlen,
                    "trusted proxy \"%s\" has address bits set past its prefix (the network "
                    "address is wanted)",
                    item);
            return -1;
        }
    }
    return 0;
}

gw_proxies_t *gw_proxies_parse(const char *list, char *err, size_t errlen)
{
    if (!list)
        list = "";
    size_t total = strnlen(list, GW_PROXIES_TEXT_MAX + 1);
    if (total > GW_PROXIES_TEXT_MAX) {
        cm_errf(err, errlen, "trusted proxy list is longer than %d characters",
                GW_PROXIES_TEXT_MAX);
        return NULL;
    }
    gw_proxies_t *self = cm_calloc(1, sizeof(*self));
    self->tag = GW_PROXIES_TAG;
    const char *p = list;
    for (;;) {
        while (*p && s_is_sep(*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !s_is_sep(*p))
            p++;
        size_t n = (size_t)(p - start);
        char item[GW_XFF_ITEM_MAX + 1];
        if (n > GW_XFF_ITEM_MAX) {
            cm_errf(err, errlen, "trusted proxy \"%.*s...\" is not an IP address or CIDR range", 32,
                    start);
            goto fail;
        }
        memcpy(item, start, n);
        item[n] = '\0';
        if (self->n == GW_PROXIES_MAX) {
            cm_errf(err, errlen, "trusted proxy list has more than %d entries (at \"%s\")",
                    GW_PROXIES_MAX, item);
            goto fail;
        }
        if (s_parse_net(item, &self->nets[self->n], err, errlen) < 0)
            goto fail;
        self->n++;
    }
    return self;
fail:
    gw_proxies_destroy(&self);
    return NULL;
}

void gw_proxies_destroy(gw_proxies_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_proxies_t *self = *self_p;
    assert(self->tag == GW_PROXIES_TAG);
    self->tag = 0xdeadbeef;
    cm_free(self);
    *self_p = NULL;
}

size_t gw_proxies_count(const gw_proxies_t *self)
{
    assert(!self || self->tag == GW_PROXIES_TAG);
    return self ? self->n : 0;
}

bool gw_proxies_contains(const gw_proxies_t *self, const char *ip)
{
    assert(!self || self->tag == GW_PROXIES_TAG);
    uint8_t a[16];
    return self && ip && s_parse_ip(ip, a, NULL) && s_contains(self, a);
}

/* --- X-Forwarded-For --- */

/* One item [s, s + n) of the header: 1 with the address in `a`, 0 if it is empty, -1 if it is
 * malformed. Forms: addr, [v6], [v6]:port, a.b.c.d:port, each with optional blanks around. */
static int s_xff_item(const char *s, size_t n, uint8_t a[16])
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0)
        return 0;
    if (n > GW_XFF_ITEM_MAX)
        return -1;
    char buf[GW_XFF_ITEM_MAX + 1];
    memcpy(buf, s, n);
    buf[n] = '\0';

    const char *port = NULL; /* digits after the address's ':' if any */
    if (buf[0] == '[') {
        char *close = memchr(buf, ']', n);
        if (!close)
            return -1;
        *close = '\0';
        if (close[1] == ':')
            port = close + 2;
        else if (close[1] != '\0')
            return -1;
        if (inet_pton(AF_INET6, buf + 1, a) != 1)
            return -1;
    } else {
        char *colon = strchr(buf, ':');
        if (colon && strchr(colon + 1, ':') == NULL) { /* one colon: IPv4 with a port */
            *colon = '\0';
            port = colon + 1;
            bool v4 = false;
            if (!s_parse_ip(buf, a, &v4) || !v4)
                return -1;
        } else if (!s_parse_ip(buf, a, NULL)) {
            return -1;
        }
    }
    if (port && s_number(port, strlen(port), 5, 65535) < 0)
        return -1;
    return 1;
}

void gw_client_addr(const gw_proxies_t *self, const char *peer_ip, const char *xff, char *out,
                    size_t outlen)
{
    assert(!self || self->tag == GW_PROXIES_TAG);
    if (!out || outlen == 0)
        return;
    uint8_t best[16];
    if (!peer_ip || !s_parse_ip(peer_ip, best, NULL)) {
        snprintf(out, outlen, "%s", peer_ip ? peer_ip : "");
        return;
    }
    if (!xff || !s_contains(self, best)) {
        s_format(best, out, outlen);
        return;
    }

    /* Only the rightmost GW_XFF_LEN_MAX bytes count; an item cut by that window is a
     * fragment, where the walk stops as on a malformed item. */
    size_t len = strlen(xff);
    size_t lo = len > GW_XFF_LEN_MAX ? len - GW_XFF_LEN_MAX : 0;
    bool cut = lo > 0 && xff[lo - 1] != ',';
    size_t hi = len;
    for (int examined = 0; examined < GW_XFF_ITEMS_MAX; examined++) {
        size_t b = hi;
        while (b > lo && xff[b - 1] != ',')
            b--;
        bool leftmost = b == lo;
        if (leftmost && cut)
            break;
        uint8_t a[16];
        int rc = s_xff_item(xff + b, hi - b, a);
        if (rc < 0)
            break;
        if (rc > 0) {
            memcpy(best, a, sizeof(best));
            if (!s_contains(self, a))
                break; /* the client */
        }
        if (leftmost)
            break; /* all trusted: the leftmost address is the answer */
        hi = b - 1;
    }
    s_format(best, out, outlen);
}
